#!/usr/bin/env python3
"""measure.py CMD...: runs CMD (output discarded), prints "seconds peak_rss_kib" (ms precision)."""
import resource, subprocess, sys, time
t = time.perf_counter()
r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
dt = time.perf_counter() - t
if r.returncode:
    sys.stderr.write(r.stderr.decode(errors="replace")[-2000:])
    sys.exit(r.returncode)
print("%.4f %d" % (dt, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))

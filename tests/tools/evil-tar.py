#!/usr/bin/env python3
"""Writes hostile archives for the tests: evil-tar.py KIND OUT [LAYOUT_DIR]

KIND: traversal (an entry ../escaped), absolute (/tmp/...), symlink (blobs -> /etc),
hardlink (a link to /etc/passwd), truncated (a valid archive of LAYOUT_DIR cut in half).
"""
import io, os, sys, tarfile

kind, out = sys.argv[1], sys.argv[2]
def add(t, name, data=b"x"):
    ti = tarfile.TarInfo(name)
    ti.size = len(data)
    t.addfile(ti, io.BytesIO(data))

if kind == "truncated":
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as t:
        t.add(sys.argv[3], arcname=".")
    data = buf.getvalue()
    # in the middle of an entry's data when LAYOUT_DIR ends in "mid", else at a block boundary
    cut = len(data) // 2 // 512 * 512 + (100 if out.endswith("mid.tar") else 0)
    open(out, "wb").write(data[:cut])
    sys.exit(0)
with tarfile.open(out, "w") as t:
    add(t, "oci-layout", b'{"imageLayoutVersion":"1.0.0"}')
    if kind == "traversal":
        add(t, "blobs/../../escaped", b"pwned")
    elif kind == "absolute":
        add(t, "/tmp/winch-evil-absolute", b"pwned")
    elif kind == "symlink":
        ti = tarfile.TarInfo("blobs"); ti.type = tarfile.SYMTYPE; ti.linkname = "/etc"; t.addfile(ti)
        add(t, "blobs/pwned", b"pwned")
    elif kind == "hardlink":
        ti = tarfile.TarInfo("index.json"); ti.type = tarfile.LNKTYPE; ti.linkname = "/etc/passwd"; t.addfile(ti)
    add(t, "index.json", b'{"schemaVersion":2,"manifests":[]}')

#!/usr/bin/env python3
"""Writes hostile archives for the tests: evil-tar.py KIND OUT [LAYOUT_DIR [MB]]

KIND: traversal (an entry ../escaped), absolute (/tmp/...), symlink (blobs -> /etc),
hardlink (a link to /etc/passwd), truncated (a valid archive of LAYOUT_DIR cut in half),
bloat (LAYOUT_DIR as an archive, index.json last, plus an MB-MiB blob of zeros that
nothing references: the 46 MB .tar.gz that unpacked to 10 GiB of issue 9, item 11, in
small; OUT ending in .gz is gzip-compressed).
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
if kind == "bloat":
    src, mb = sys.argv[3], int(sys.argv[4])
    with tarfile.open(out, "w:gz" if out.endswith(".gz") else "w") as t:
        t.add(os.path.join(src, "oci-layout"), arcname="oci-layout")
        blobs = os.path.join(src, "blobs", "sha256")
        for n in sorted(os.listdir(blobs)):
            t.add(os.path.join(blobs, n), arcname="blobs/sha256/" + n)
        ti = tarfile.TarInfo("blobs/sha256/" + "0" * 64)  # named like a blob, listed nowhere
        ti.size = mb << 20
        t.addfile(ti, io.BytesIO(bytes(ti.size)))
        t.add(os.path.join(src, "index.json"), arcname="index.json")
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

#!/usr/bin/env python3
"""Writes a tarball the way `docker save` does (tests only).

mkdockersave.py OUT.tar [--bad-diffid] [--escape-link] [--junk MB]
Two images: demo/app:1.0 (also demo/app:latest; 2 layers) and demo/tool:2 (1 layer).
Layers are uncompressed tars in <id>/layer.tar with <id>/VERSION and <id>/json,
configs <hex>.json, manifest.json and repositories, as docker save 20+ writes.
--bad-diffid: the first config lists a wrong diff_id.  --escape-link: adds a
symlink pointing outside the archive.  --junk MB: adds an MB-MiB file that no
image references (an archive whose unpacking would fill $TMPDIR).
"""
import hashlib, io, json, sys, tarfile

out = sys.argv[1]
bad = "--bad-diffid" in sys.argv
escape = "--escape-link" in sys.argv
junk = int(sys.argv[sys.argv.index("--junk") + 1]) if "--junk" in sys.argv else 0
members = []

def add(name, data):
    members.append((name, data))

def layer_tar(files):
    b = io.BytesIO()
    with tarfile.open(fileobj=b, mode="w", format=tarfile.PAX_FORMAT) as t:
        for n, d in files:
            ti = tarfile.TarInfo(n); ti.size = len(d); ti.mtime = 0
            t.addfile(ti, io.BytesIO(d))
    return b.getvalue()

def image(tags, layers, bad_diff=False):
    diffs, paths = [], []
    for i, files in enumerate(layers):
        data = layer_tar(files)
        h = hashlib.sha256(data).hexdigest()
        lid = hashlib.sha256((h + str(i)).encode()).hexdigest()
        add(lid + "/layer.tar", data)
        add(lid + "/VERSION", b"1.0")
        add(lid + "/json", json.dumps({"id": lid}).encode())
        diffs.append("sha256:" + h)
        paths.append(lid + "/layer.tar")
    if bad_diff:
        diffs[0] = "sha256:" + "0" * 64
    cfg = json.dumps({"architecture": "amd64", "os": "linux", "created": "2024-05-06T07:08:09Z",
                      "config": {"Env": ["PATH=/bin"], "Labels": {"from": "docker-save"}},
                      "rootfs": {"type": "layers", "diff_ids": diffs}}).encode()
    ch = hashlib.sha256(cfg).hexdigest()
    add(ch + ".json", cfg)
    return {"Config": ch + ".json", "RepoTags": tags, "Layers": paths}

m = [image(["demo/app:1.0", "demo/app:latest"], [[("etc/hello", b"hello\n")], [("usr/bin/app", b"#!/bin/sh\necho app\n")]], bad),
     image(["demo/tool:2"], [[("usr/bin/tool", b"tool\n")]])]
add("manifest.json", json.dumps(m).encode())
add("repositories", json.dumps({"demo/app": {"1.0": m[0]["Layers"][-1].split("/")[0]}}).encode())
with tarfile.open(out, "w") as t:
    for n, d in members:
        ti = tarfile.TarInfo(n); ti.size = len(d); ti.mtime = 0
        t.addfile(ti, io.BytesIO(d))
    if junk:
        ti = tarfile.TarInfo("junk/layer.tar"); ti.size = junk << 20; ti.mtime = 0
        t.addfile(ti, io.BytesIO(bytes(ti.size)))
    if escape:
        ti = tarfile.TarInfo("sneaky"); ti.type = tarfile.SYMTYPE; ti.linkname = "../../etc/passwd"; t.addfile(ti)

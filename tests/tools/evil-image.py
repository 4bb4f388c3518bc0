#!/usr/bin/env python3
"""Writes hostile OCI image layouts for the tests: evil-image.py KIND DIR [ARG]

What it emulates: an image (or a layout, or an archive made from one) whose
publisher controls every byte of its JSON, as the threat model of issue 9
says.  Each KIND reproduces one probe of that issue:
  index-traversal    index.json's entry names "sha256:../../../..<ARG>" (a path,
                     not a digest): a reader that builds blobs/ALG/HEX from it
                     opens ARG (default /etc/passwd)
  diffid-traversal   a valid single-platform image (tag "x") whose config lists
                     rootfs.diff_ids "sha256:../../..<ARG>": a docker-archive
                     writer that names layer files after diff_ids writes ARG.tar
  dup-children       an index (tag "x") listing one child manifest ARG times
                     (default 300): a 61 KB root that costs ARG fetches
  refname-traversal  a valid image tagged "sha256-<hex>./../../x" in index.json
                     (an invalid tag that could become a registry path)
  dup-layer          not hostile: a valid image (tag "x") that lists one layer twice,
                     as some builders write (a docker-archive holds it once)
  blob-symlink       a valid image (tag "x") whose layer blob is a symbolic link to
                     ARG (default /etc/passwd): a reader that follows it hashes
                     that file, prints the hash, and streams it to the destination
Blobs are content-addressed and valid unless the KIND says otherwise.
"""
import gzip, hashlib, io, json, os, sys, tarfile

kind, d = sys.argv[1], sys.argv[2]
arg = sys.argv[3] if len(sys.argv) > 3 else None
os.makedirs(os.path.join(d, "blobs", "sha256"), exist_ok=True)
open(os.path.join(d, "oci-layout"), "w").write('{"imageLayoutVersion":"1.0.0"}')

def blob(data):
    h = hashlib.sha256(data).hexdigest()
    open(os.path.join(d, "blobs", "sha256", h), "wb").write(data)
    return {"digest": "sha256:" + h, "size": len(data)}

def image(diff_override=None, salt="", twice=False):
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as t:
        body = ("hello from a hostile image%s\n" % salt).encode()
        ti = tarfile.TarInfo("hello"); ti.size = len(body); ti.mtime = 0
        t.addfile(ti, io.BytesIO(body))
    diff = "sha256:" + hashlib.sha256(raw.getvalue()).hexdigest()
    layer = dict(blob(gzip.compress(raw.getvalue(), mtime=0)), mediaType="application/vnd.oci.image.layer.v1.tar+gzip")
    n = 2 if twice else 1
    cfg = {"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": [diff_override or diff] * n},
           "config": {}}
    c = dict(blob(json.dumps(cfg).encode()), mediaType="application/vnd.oci.image.config.v1+json")
    man = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json", "config": c, "layers": [layer] * n}
    return dict(blob(json.dumps(man).encode()), mediaType="application/vnd.oci.image.manifest.v1+json")

def index_json(entries):
    open(os.path.join(d, "index.json"), "w").write(json.dumps({"schemaVersion": 2, "manifests": entries}))

def tagged(desc, tag):
    return dict(desc, annotations={"org.opencontainers.image.ref.name": tag})

if kind == "index-traversal":
    target = arg or "/etc/passwd"
    index_json([tagged({"mediaType": "application/vnd.oci.image.manifest.v1+json",
                        "digest": "sha256:" + "../" * 12 + target.lstrip("/"), "size": 100}, "x")])
elif kind == "diffid-traversal":
    index_json([tagged(image("sha256:" + "../" * 12 + arg.lstrip("/")), "x")])
elif kind == "dup-children":
    child = dict(image(), platform={"architecture": "amd64", "os": "linux"})
    idx = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
           "manifests": [child] * int(arg or 300)}
    index_json([tagged(dict(blob(json.dumps(idx).encode()), mediaType="application/vnd.oci.image.index.v1+json"), "x")])
elif kind == "refname-traversal":
    top = image()
    hexd = top["digest"].split(":")[1]
    index_json([tagged(top, "x"), tagged(top, "sha256-%s./../../x" % hexd)])
elif kind == "dup-layer":
    index_json([tagged(image(salt=" (twice)", twice=True), "x")])
elif kind == "blob-symlink":
    top = image(salt=" (symlinked)")
    man = json.load(open(os.path.join(d, "blobs", "sha256", top["digest"].split(":")[1])))
    p = os.path.join(d, "blobs", "sha256", man["layers"][0]["digest"].split(":")[1])
    os.unlink(p)
    os.symlink(arg or "/etc/passwd", p)
    index_json([tagged(top, "x")])
else:
    sys.exit("unknown kind " + kind)

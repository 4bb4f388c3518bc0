#!/usr/bin/env python3
"""Writes a small OCI image layout for the tests and the demo.

mkimage.py DIR TAG [--layers N] [--size BYTES] [--platforms linux/amd64,linux/arm64/v8]
           [--created 2024-01-02T03:04:05Z] [--label k=v ...] [--env K=V ...] [--seed S]
           [--docker]   (Docker media types instead of OCI)
           [--layer-type gzip|tar|zstd|foreign] [--config JSON]

--config JSON is merged into the config's "config" object ({"Cmd": [...]}).
--layer-type foreign (with --docker): a gzip layer typed as Docker's foreign
layer (application/vnd.docker.image.rootfs.foreign.diff.tar.gzip).

Several platforms make an index whose children are full images.  Layer bytes
are random (seeded) so sizes are honest and digests differ per seed.
"""
import argparse, gzip, hashlib, io, json, os, random, tarfile

def blob(d, data):
    dg = hashlib.sha256(data).hexdigest()
    p = os.path.join(d, "blobs", "sha256")
    os.makedirs(p, exist_ok=True)
    with open(os.path.join(p, dg), "wb") as f:
        f.write(data)
    return "sha256:" + dg, len(data)

def layer(rng, size, name, kind="gzip"):
    # randbytes asks for size*8 bits as a C int: make big layers in pieces
    content = b"".join(rng.randbytes(min(1 << 26, size - off)) for off in range(0, size, 1 << 26))
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as t:
        ti = tarfile.TarInfo(name)
        ti.size = len(content)
        ti.mtime = 0
        t.addfile(ti, io.BytesIO(content))
    diff = "sha256:" + hashlib.sha256(raw.getvalue()).hexdigest()
    if kind not in ("gzip", "foreign"):  # "tar": uncompressed; "zstd": labelled zstd (the bytes are never unpacked here)
        return raw.getvalue(), diff
    gz = gzip.compress(raw.getvalue(), compresslevel=1, mtime=0)
    return gz, diff

def image(d, a, rng, plat, docker):
    os_, arch, *var = plat.split("/")
    mt_layer = "application/vnd.docker.image.rootfs.diff.tar.gzip" if docker else "application/vnd.oci.image.layer.v1.tar+gzip"
    if a.layer_type == "tar":
        mt_layer = "application/vnd.oci.image.layer.v1.tar"
    elif a.layer_type == "zstd":
        mt_layer = "application/vnd.oci.image.layer.v1.tar+zstd"
    elif a.layer_type == "foreign":
        mt_layer = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"
    mt_cfg = "application/vnd.docker.container.image.v1+json" if docker else "application/vnd.oci.image.config.v1+json"
    mt_man = "application/vnd.docker.distribution.manifest.v2+json" if docker else "application/vnd.oci.image.manifest.v1+json"
    layers, diffs = [], []
    for i in range(a.layers):
        gz, diff = layer(rng, a.size, "file%d-%s" % (i, arch), a.layer_type)
        dg, n = blob(d, gz)
        layers.append({"mediaType": mt_layer, "digest": dg, "size": n})
        diffs.append(diff)
    cfg = {"created": a.created, "architecture": arch, "os": os_,
           "config": dict({"Env": a.env or ["PATH=/usr/bin:/bin"], "Labels": dict(l.split("=", 1) for l in a.label)},
                          **json.loads(a.config)),
           "rootfs": {"type": "layers", "diff_ids": diffs}, "history": []}
    if var:
        cfg["variant"] = var[0]
    cdg, cn = blob(d, json.dumps(cfg, sort_keys=True).encode())
    man = {"schemaVersion": 2, "mediaType": mt_man, "config": {"mediaType": mt_cfg, "digest": cdg, "size": cn}, "layers": layers}
    mdg, mn = blob(d, json.dumps(man, indent=2).encode())
    desc = {"mediaType": mt_man, "digest": mdg, "size": mn, "platform": {"architecture": arch, "os": os_}}
    if var:
        desc["platform"]["variant"] = var[0]
    return desc

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir"); ap.add_argument("tag")
    ap.add_argument("--layers", type=int, default=1)
    ap.add_argument("--size", type=int, default=1024)
    ap.add_argument("--platforms", default="linux/amd64")
    ap.add_argument("--created", default="2024-01-02T03:04:05Z")
    ap.add_argument("--label", action="append", default=[])
    ap.add_argument("--env", action="append", default=[])
    ap.add_argument("--seed", default="1")
    ap.add_argument("--docker", action="store_true")
    ap.add_argument("--layer-type", choices=("gzip", "tar", "zstd", "foreign"), default="gzip")
    ap.add_argument("--config", default="{}")
    a = ap.parse_args()
    rng = random.Random(a.seed)
    os.makedirs(a.dir, exist_ok=True)
    with open(os.path.join(a.dir, "oci-layout"), "w") as f:
        json.dump({"imageLayoutVersion": "1.0.0"}, f)
    plats = a.platforms.split(",")
    descs = [image(a.dir, a, rng, p, a.docker) for p in plats]
    if len(descs) == 1:
        top = dict(descs[0]); top.pop("platform")
    else:
        mt = "application/vnd.docker.distribution.manifest.list.v2+json" if a.docker else "application/vnd.oci.image.index.v1+json"
        idx = {"schemaVersion": 2, "mediaType": mt, "manifests": descs}
        dg, n = blob(a.dir, json.dumps(idx, indent=2).encode())
        top = {"mediaType": mt, "digest": dg, "size": n}
    top["annotations"] = {"org.opencontainers.image.ref.name": a.tag}
    ip = os.path.join(a.dir, "index.json")
    index = {"schemaVersion": 2, "manifests": []}
    if os.path.exists(ip):
        index = json.load(open(ip))
        index["manifests"] = [m for m in index["manifests"] if m.get("annotations", {}).get("org.opencontainers.image.ref.name") != a.tag]
    index["manifests"].append(top)
    with open(ip, "w") as f:
        json.dump(index, f)
    print(top["digest"])

main()

#!/usr/bin/env python3
"""Pushes a multi-platform image the way `docker buildx build --sbom=true --provenance=true --push`
stores it (tests only, plain HTTP, loopback):

push-attested.py HOST:PORT REPO TAG [--platforms linux/amd64,linux/arm64] [--seed S]
                 [--created 2024-01-02T03:04:05Z] [--no-tag] [--annotation K=V ...]

The shape is BuildKit's "Image attestation storage" (docs.docker.com/build/metadata/attestations/
attestation-storage/, also buildkit's docs/attestations/attestation-storage.md):
 - one OCI image manifest per platform, listed in an OCI index with its `platform`;
 - per platform, one *attestation manifest*: an OCI image manifest whose config is a
   placeholder image config ({"architecture": "unknown", "os": "unknown", ...}) and whose layers
   are in-toto statements (`application/vnd.in-toto+json`, each annotated
   `in-toto.io/predicate-type`: an SPDX SBOM and a SLSA provenance here), listed in the same index
   after the images, with platform `unknown/unknown` and the annotations
   `vnd.docker.reference.type: attestation-manifest` and
   `vnd.docker.reference.digest: <the platform image's digest>`.
Images differ per seed.  Prints {"index": digest, "images": {platform: digest},
"attestations": {platform: digest}} as JSON.  With --no-tag the index is pushed by digest only;
--annotation sets annotations of the index itself (buildx's --annotation index:K=V).
"""
import argparse, hashlib, http.client, json, random, sys

ap = argparse.ArgumentParser()
ap.add_argument("host"); ap.add_argument("repo"); ap.add_argument("tag")
ap.add_argument("--platforms", default="linux/amd64,linux/arm64")
ap.add_argument("--seed", default="1")
ap.add_argument("--created", default="2024-01-02T03:04:05Z")
ap.add_argument("--no-tag", action="store_true")
ap.add_argument("--annotation", action="append", default=[])
a = ap.parse_args()
host, repo = a.host, a.repo
conn = http.client.HTTPConnection(host)
rng = random.Random(a.seed)
OCI_MAN = "application/vnd.oci.image.manifest.v1+json"
OCI_IDX = "application/vnd.oci.image.index.v1+json"
OCI_CFG = "application/vnd.oci.image.config.v1+json"

def req(method, path, body=b"", headers=None):
    conn.request(method, path, body=body, headers=headers or {})
    r = conn.getresponse()
    data = r.read()
    if r.status >= 300:
        sys.exit("%s %s: %d %s" % (method, path, r.status, data[:200]))
    return r

def blob(data, mt):
    d = "sha256:" + hashlib.sha256(data).hexdigest()
    loc = req("POST", "/v2/%s/blobs/uploads/" % repo).getheader("Location").split(host, 1)[-1]
    req("PUT", loc + ("&" if "?" in loc else "?") + "digest=" + d, data, {"Content-Type": "application/octet-stream"})
    return {"mediaType": mt, "digest": d, "size": len(data)}

def put(obj, ref=None):
    data = json.dumps(obj, indent=2).encode()
    d = "sha256:" + hashlib.sha256(data).hexdigest()
    req("PUT", "/v2/%s/manifests/%s" % (repo, ref or d), data, {"Content-Type": obj["mediaType"]})
    return {"mediaType": obj["mediaType"], "digest": d, "size": len(data)}

out = {"images": {}, "attestations": {}}
images, attestations = [], []
for plat in a.platforms.split(","):
    os_, arch, *var = plat.split("/")
    layer = blob(b"\x1f\x8b" + rng.randbytes(200), "application/vnd.oci.image.layer.v1.tar+gzip")
    cfg = {"created": a.created, "architecture": arch, "os": os_, "config": {"Env": ["PATH=/usr/bin:/bin"]},
           "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(rng.randbytes(8)).hexdigest()]}}
    if var:
        cfg["variant"] = var[0]
    c = blob(json.dumps(cfg, sort_keys=True).encode(), OCI_CFG)
    img = put({"schemaVersion": 2, "mediaType": OCI_MAN, "config": c, "layers": [layer]})
    img["platform"] = {"architecture": arch, "os": os_}
    if var:
        img["platform"]["variant"] = var[0]
    images.append(img)
    out["images"][plat] = img["digest"]
    # the attestation manifest: in-toto statements about that image
    subject = [{"name": "pkg:docker/%s@%s?platform=%s" % (repo, a.tag, plat.replace("/", "%2F")),
                "digest": {"sha256": img["digest"].split(":")[1]}}]
    layers, diffs = [], []
    for ptype, pred in (("https://spdx.dev/Document", {"spdxVersion": "SPDX-2.3", "name": "sbom-" + plat}),
                        ("https://slsa.dev/provenance/v0.2", {"builder": {"id": "winch-tests"}})):
        stmt = json.dumps({"_type": "https://in-toto.io/Statement/v0.1", "predicateType": ptype,
                           "subject": subject, "predicate": pred}).encode()
        l = blob(stmt, "application/vnd.in-toto+json")
        l["annotations"] = {"in-toto.io/predicate-type": ptype}
        layers.append(l)
        diffs.append(l["digest"])
    acfg = blob(json.dumps({"architecture": "unknown", "os": "unknown", "config": {},
                            "rootfs": {"type": "layers", "diff_ids": diffs}}).encode(), OCI_CFG)
    att = put({"schemaVersion": 2, "mediaType": OCI_MAN, "config": acfg, "layers": layers})
    att["annotations"] = {"vnd.docker.reference.digest": img["digest"],
                          "vnd.docker.reference.type": "attestation-manifest"}
    att["platform"] = {"architecture": "unknown", "os": "unknown"}
    attestations.append(att)
    out["attestations"][plat] = att["digest"]
index = {"schemaVersion": 2, "mediaType": OCI_IDX, "manifests": images + attestations}
if a.annotation:
    index["annotations"] = dict(kv.split("=", 1) for kv in a.annotation)
idx = put(index, None if a.no_tag else a.tag)
out["index"] = idx["digest"]
print(json.dumps(out, sort_keys=True))

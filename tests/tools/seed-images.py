#!/usr/bin/env python3
"""Pushes small images into a plain registry for the vendor-API tests, cheaply (one keep-alive
connection, one shared layer; each config differs):

  seed-images.py HOST:PORT REPO SPEC... > digests.json

SPEC is NAME (an untagged image, pushed by digest), NAME:TAG[,TAG...] (tagged), NAME+multi[:TAGS]
(an OCI index of an amd64 and an arm64 image, its children untagged) or NAME+ref:SUBJECT (an
untagged OCI 1.1 referrer, an SBOM-like artifact whose subject is the image SUBJECT names).
Prints {NAME: digest}, and NAME/amd64, NAME/arm64 for an index's children.
"""
import hashlib, http.client, json, sys

host, repo, specs = sys.argv[1], sys.argv[2], sys.argv[3:]
conn = http.client.HTTPConnection(host)


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


def put(obj, refs):
    data = json.dumps(obj).encode()
    d = "sha256:" + hashlib.sha256(data).hexdigest()
    for ref in refs or [d]:
        req("PUT", "/v2/%s/manifests/%s" % (repo, ref), data, {"Content-Type": obj["mediaType"]})
    return {"mediaType": obj["mediaType"], "digest": d, "size": len(data)}


layer = blob(b"\x1f\x8b" + b"shared layer" * 10, "application/vnd.oci.image.layer.v1.tar+gzip")


def image(name, arch="amd64", tags=None, subject=None):
    cfg = {"architecture": arch, "os": "linux", "config": {"Labels": {"name": name}},
           "rootfs": {"type": "layers", "diff_ids": ["sha256:" + "1" * 64]}}
    m = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
         "config": blob(json.dumps(cfg).encode(), "application/vnd.oci.image.config.v1+json"), "layers": [layer]}
    if subject:
        m["artifactType"] = "application/spdx+json"
        m["subject"] = subject
    return put(m, tags)


out, descs = {}, {}
for spec in specs:
    head, _, tagpart = spec.partition(":")
    tags = [t for t in tagpart.split(",") if t] if tagpart and "+ref" not in head else []
    name, _, kind = head.partition("+")
    if kind == "multi":
        kids = []
        for arch in ("amd64", "arm64"):
            d = image("%s-%s" % (name, arch), arch)
            d["platform"] = {"os": "linux", "architecture": arch}
            out["%s/%s" % (name, arch)] = d["digest"]
            kids.append(d)
        d = put({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": kids}, tags)
    elif kind == "ref":
        d = image(name, subject=descs[tagpart])
    else:
        d = image(name, tags=tags)
    out[name] = d["digest"]
    descs[name] = {k: d[k] for k in ("mediaType", "digest", "size")}
print(json.dumps(out))

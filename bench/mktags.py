#!/usr/bin/env python3
"""Pushes N tags, each its own image (one shared layer, distinct configs), fast.
mktags.py HOST:PORT REPO N [PREFIX]   (plain HTTP, one keep-alive connection)"""
import hashlib, http.client, json, sys

host, repo, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
prefix = sys.argv[4] if len(sys.argv) > 4 else "t"
conn = http.client.HTTPConnection(host)

def req(method, path, body=b"", headers=None):
    conn.request(method, path, body=body, headers=headers or {})
    r = conn.getresponse()
    data = r.read()
    if r.status >= 300:
        sys.exit("%s %s: %d" % (method, path, r.status))
    return r

def blob(data):
    d = "sha256:" + hashlib.sha256(data).hexdigest()
    loc = req("POST", "/v2/%s/blobs/uploads/" % repo).getheader("Location").split(host, 1)[-1]
    req("PUT", loc + ("&" if "?" in loc else "?") + "digest=" + d, data, {"Content-Type": "application/octet-stream"})
    return {"digest": d, "size": len(data)}

layer = dict(blob(b"\x1f\x8b" + b"bench" * 100), mediaType="application/vnd.oci.image.layer.v1.tar+gzip")
for i in range(n):
    cfg = json.dumps({"architecture": "amd64", "os": "linux", "created": "2024-01-01T00:00:%02dZ" % (i % 60),
                      "config": {"Labels": {"i": str(i)}}, "rootfs": {"type": "layers", "diff_ids": ["sha256:" + "2" * 64]}})
    c = dict(blob(cfg.encode()), mediaType="application/vnd.oci.image.config.v1+json")
    m = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json", "config": c,
                    "layers": [layer]}).encode()
    req("PUT", "/v2/%s/manifests/%s-%d" % (repo, prefix, i), m, {"Content-Type": "application/vnd.oci.image.manifest.v1+json"})

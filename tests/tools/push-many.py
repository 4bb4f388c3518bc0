#!/usr/bin/env python3
"""Fills a repository for the cleanup tests, cheaply (plain HTTP, one keep-alive connection):

push-many.py HOST:PORT REPO NOW_UNIX > tags.json

 - v1.0.0 .. v1.0.199: one image each, created (1.8*(199-i)) days before NOW (a year and more);
   "latest" on v1.0.199, "stable" on v1.0.150;
 - pr-0 .. pr-39: images created 0..39 days ago; pr-3 also tagged v-less "keep-me";
 - multi-0 .. multi-4: indexes of two platform images (children untagged), created 0..4 weeks ago;
   multi-0's amd64 child is also tagged "multi-0-amd64";
 - referrers of v1.0.5 and v1.0.199: sha256-<hex> (an index) and sha256-<hex>.sig tags.
All images share one layer; configs differ.  Prints {tag: digest} for every tag.
"""
import hashlib, http.client, json, sys, time

host, repo, now = sys.argv[1], sys.argv[2], int(sys.argv[3])
conn = http.client.HTTPConnection(host)

def req(method, path, body=b"", headers=None):
    conn.request(method, path, body=body, headers=headers or {})
    r = conn.getresponse()
    data = r.read()
    if r.status >= 300:
        sys.exit("%s %s: %d %s" % (method, path, r.status, data[:200]))
    return r

def blob(data):
    d = "sha256:" + hashlib.sha256(data).hexdigest()
    loc = req("POST", "/v2/%s/blobs/uploads/" % repo).getheader("Location").split(host, 1)[-1]
    req("PUT", loc + ("&" if "?" in loc else "?") + "digest=" + d, data, {"Content-Type": "application/octet-stream"})
    return {"digest": d, "size": len(data)}

def put(obj, ref):
    data = json.dumps(obj).encode()
    req("PUT", "/v2/%s/manifests/%s" % (repo, ref), data, {"Content-Type": obj["mediaType"]})
    return {"mediaType": obj["mediaType"], "digest": "sha256:" + hashlib.sha256(data).hexdigest(), "size": len(data)}

layer = dict(blob(b"\x1f\x8b" + b"shared layer" * 10), mediaType="application/vnd.oci.image.layer.v1.tar+gzip")
def image(name, created, arch="amd64", tag=None):
    cfg = {"created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(created)), "architecture": arch, "os": "linux",
           "config": {"Labels": {"name": name}}, "rootfs": {"type": "layers", "diff_ids": ["sha256:" + "1" * 64]}}
    c = dict(blob(json.dumps(cfg).encode()), mediaType="application/vnd.oci.image.config.v1+json")
    m = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json", "config": c, "layers": [layer]}
    data = json.dumps(m).encode()
    return put(m, tag or "sha256:" + hashlib.sha256(data).hexdigest())

tags = {}
day = 86400
for i in range(200):
    d = image("v%d" % i, now - int(1.8 * (199 - i) * day), tag="v1.0.%d" % i)
    tags["v1.0.%d" % i] = d["digest"]
for t, src in (("latest", "v1.0.199"), ("stable", "v1.0.150")):
    m = req("GET", "/v2/%s/manifests/%s" % (repo, src), headers={"Accept": "application/vnd.oci.image.manifest.v1+json"})
    conn.close()
for t, src in (("latest", "v1.0.199"), ("stable", "v1.0.150")):
    conn.request("GET", "/v2/%s/manifests/%s" % (repo, src), headers={"Accept": "application/vnd.oci.image.manifest.v1+json"})
    data = conn.getresponse().read()
    req("PUT", "/v2/%s/manifests/%s" % (repo, t), data, {"Content-Type": "application/vnd.oci.image.manifest.v1+json"})
    tags[t] = tags[src]
for i in range(40):
    d = image("pr%d" % i, now - i * day - 3600, tag="pr-%d" % i)
    tags["pr-%d" % i] = d["digest"]
conn.request("GET", "/v2/%s/manifests/pr-3" % repo, headers={"Accept": "application/vnd.oci.image.manifest.v1+json"})
data = conn.getresponse().read()
req("PUT", "/v2/%s/manifests/keep-me" % repo, data, {"Content-Type": "application/vnd.oci.image.manifest.v1+json"})
tags["keep-me"] = tags["pr-3"]
for i in range(5):
    kids = []
    for arch in ("amd64", "arm64"):
        d = image("multi%d-%s" % (i, arch), now - i * 7 * day - 7200, arch)
        d["platform"] = {"os": "linux", "architecture": arch}
        kids.append(d)
    idx = put({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": kids}, "multi-%d" % i)
    tags["multi-%d" % i] = idx["digest"]
    if i == 0:
        conn.request("GET", "/v2/%s/manifests/%s" % (repo, kids[0]["digest"]), headers={"Accept": "application/vnd.oci.image.manifest.v1+json"})
        data = conn.getresponse().read()
        req("PUT", "/v2/%s/manifests/multi-0-amd64" % repo, data, {"Content-Type": "application/vnd.oci.image.manifest.v1+json"})
        tags["multi-0-amd64"] = kids[0]["digest"]
empty = dict(blob(b"{}"), mediaType="application/vnd.oci.empty.v1+json")
for t in ("v1.0.5", "v1.0.199"):
    subject = tags[t]
    hexd = subject.split(":")[1]
    sig = dict(blob(("signature of " + subject).encode()), mediaType="application/vnd.dev.cosign.simplesigning.v1+json")
    art = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json", "artifactType": "application/example",
           "config": empty, "layers": [sig], "subject": {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": subject, "size": 1}}
    ad = put(art, "sha256:" + hashlib.sha256(json.dumps(art).encode()).hexdigest())
    ad["artifactType"] = "application/example"
    tags["sha256-" + hexd] = put({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": [ad]},
                                 "sha256-" + hexd)["digest"]
    tags["sha256-%s.sig" % hexd] = put({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                                        "config": empty, "layers": [sig]}, "sha256-%s.sig" % hexd)["digest"]
print(json.dumps(tags, sort_keys=True))

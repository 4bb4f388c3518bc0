#!/usr/bin/env python3
"""Pushes artifacts that refer to an image, the way signers and SBOM tools do
on a registry without the referrers API (tests only, plain HTTP):

push-referrers.py HOST:PORT REPO SUBJECT_DIGEST

 - an SBOM artifact manifest with `subject` and `artifactType`, plus the OCI
   tag-schema fallback: an index tagged sha256-<hex> listing it;
 - a cosign-style signature manifest tagged sha256-<hex>.sig.
Prints the two tags.
"""
import hashlib, http.client, json, sys

host, repo, subject = sys.argv[1:4]

def req(method, path, body=b"", headers=None):
    c = http.client.HTTPConnection(host)
    c.request(method, path, body=body, headers=headers or {})
    r = c.getresponse()
    data = r.read()
    if r.status >= 300:
        sys.exit("%s %s: %d %s" % (method, path, r.status, data[:200]))
    return r

def blob(data):
    d = "sha256:" + hashlib.sha256(data).hexdigest()
    loc = req("POST", "/v2/%s/blobs/uploads/" % repo).getheader("Location")
    loc = loc.split(host, 1)[-1]
    req("PUT", loc + ("&" if "?" in loc else "?") + "digest=" + d, data, {"Content-Type": "application/octet-stream"})
    return {"digest": d, "size": len(data)}

def manifest(obj, ref):
    data = json.dumps(obj).encode()
    req("PUT", "/v2/%s/manifests/%s" % (repo, ref), data, {"Content-Type": obj["mediaType"]})
    return {"mediaType": obj["mediaType"], "digest": "sha256:" + hashlib.sha256(data).hexdigest(), "size": len(data)}

subj = json.loads(req("GET", "/v2/%s/manifests/%s" % (repo, subject),
                      headers={"Accept": "application/vnd.oci.image.manifest.v1+json,application/vnd.oci.image.index.v1+json,"
                               "application/vnd.docker.distribution.manifest.v2+json"}).read() or b"{}")
empty = dict(blob(b"{}"), mediaType="application/vnd.oci.empty.v1+json")
sbom = dict(blob(b'{"spdxVersion":"SPDX-2.3","name":"demo"}'), mediaType="application/spdx+json")
subject_desc = {"mediaType": subj.get("mediaType", "application/vnd.oci.image.manifest.v1+json"), "digest": subject,
                "size": len(json.dumps(subj))}
art = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json", "artifactType": "application/spdx+json",
       "config": empty, "layers": [sbom], "subject": subject_desc}
art_desc = manifest(art, "sha256:" + hashlib.sha256(json.dumps(art).encode()).hexdigest())
art_desc["artifactType"] = "application/spdx+json"
hexd = subject.split(":")[1]
manifest({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": [art_desc]}, "sha256-" + hexd)
sig = dict(blob(b'{"critical":{"image":{"docker-manifest-digest":"%s"}}}' % subject.encode()),
           mediaType="application/vnd.dev.cosign.simplesigning.v1+json")
manifest({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json", "config": empty, "layers": [sig]},
         "sha256-%s.sig" % hexd)
print("sha256-%s sha256-%s.sig" % (hexd, hexd))

#!/usr/bin/env python3
"""Attaches an SBOM to an image the way SBOM tools do (tests only, plain HTTP, loopback):

push-sbom.py HOST:PORT REPO SUBJECT_DIGEST [--fallback]

pushes an OCI artifact manifest (artifactType application/spdx+json, the empty config, one
SBOM layer) whose `subject` is the manifest SUBJECT_DIGEST names, with that manifest's own
media type and size (as the OCI 1.1 image spec requires of a descriptor), by digest.  With
--fallback it also writes the referrers tag schema: an index tagged sha256-<hex> listing it,
which is what registries without the referrers API are read by.  Prints the SBOM's digest.
"""
import hashlib, http.client, json, sys

host, repo, subject = sys.argv[1:4]
fallback = "--fallback" in sys.argv[4:]
ACCEPT = ", ".join(("application/vnd.oci.image.index.v1+json", "application/vnd.oci.image.manifest.v1+json",
                    "application/vnd.docker.distribution.manifest.list.v2+json",
                    "application/vnd.docker.distribution.manifest.v2+json"))


def req(method, path, body=b"", headers=None):
    c = http.client.HTTPConnection(host)
    c.request(method, path, body=body, headers=headers or {})
    r = c.getresponse()
    data = r.read()
    if r.status >= 300:
        sys.exit("%s %s: %d %s" % (method, path, r.status, data[:200]))
    return r, data


def blob(data):
    d = "sha256:" + hashlib.sha256(data).hexdigest()
    loc = req("POST", "/v2/%s/blobs/uploads/" % repo)[0].getheader("Location")
    loc = loc.split(host, 1)[-1]
    req("PUT", loc + ("&" if "?" in loc else "?") + "digest=" + d, data, {"Content-Type": "application/octet-stream"})
    return {"digest": d, "size": len(data)}


def manifest(obj, ref):
    data = json.dumps(obj).encode()
    req("PUT", "/v2/%s/manifests/%s" % (repo, ref), data, {"Content-Type": obj["mediaType"]})
    return {"mediaType": obj["mediaType"], "digest": "sha256:" + hashlib.sha256(data).hexdigest(), "size": len(data)}


r, raw = req("GET", "/v2/%s/manifests/%s" % (repo, subject), headers={"Accept": ACCEPT})
if "sha256:" + hashlib.sha256(raw).hexdigest() != subject:
    sys.exit("the manifest of %s is not %s" % (repo, subject))
subject_desc = {"mediaType": json.loads(raw).get("mediaType") or r.getheader("Content-Type"), "digest": subject,
                "size": len(raw)}
empty = dict(blob(b"{}"), mediaType="application/vnd.oci.empty.v1+json")
sbom = dict(blob(b'{"spdxVersion":"SPDX-2.3","name":"winch-test"}'), mediaType="application/spdx+json")
art = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
       "artifactType": "application/spdx+json", "config": empty, "layers": [sbom], "subject": subject_desc}
art_desc = manifest(art, "sha256:" + hashlib.sha256(json.dumps(art).encode()).hexdigest())
if fallback:
    art_desc["artifactType"] = "application/spdx+json"
    manifest({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": [art_desc]},
             "sha256-" + subject.split(":")[1])
print(art_desc["digest"])

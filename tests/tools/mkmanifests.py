#!/usr/bin/env python3
"""Writes an OCI image layout holding manifests of kinds winch refuses: mkmanifests.py DIR

What it emulates: manifests that old or withdrawn formats produce, as a
registry (tests/tools/hostile-server.py serves a layout's images with the
mediaType and digest of their index.json entry) or a layout would hold them:
  s1signed   a Docker schema 1 manifest signed as docker/libtrust signs them
             (jsonsign.go: the payload pretty-printed with three-space
             indents, then ',\\n   "signatures": [...]' inserted before its
             closing brace; each signature's "protected" header carries
             formatLength and formatTail, so payload = bytes[:formatLength] +
             b64url(formatTail)).  Its digest is that of the payload, as the
             distribution registry computes it (Docker-Content-Digest), so it
             is NOT the sha256 of the bytes.  The signature itself is not
             valid: no reader here verifies it.
  s1         the same manifest unsigned (mediaType ...v1+json, digest of the bytes)
  artifact   an OCI artifact manifest (application/vnd.oci.artifact.manifest.v1+json,
             image-spec 1.1.0-rc2's artifact.md: mediaType, artifactType, blobs;
             no schemaVersion), withdrawn from image-spec before 1.1.0
Prints nothing.  Python's standard library only.
"""
import base64, hashlib, json, os, sys

d = sys.argv[1]
os.makedirs(os.path.join(d, "blobs", "sha256"), exist_ok=True)
open(os.path.join(d, "oci-layout"), "w").write('{"imageLayoutVersion":"1.0.0"}')

def b64url(b):
    return base64.urlsafe_b64encode(b).decode().rstrip("=")

def put(data, digest=None):
    digest = digest or "sha256:" + hashlib.sha256(data).hexdigest()
    open(os.path.join(d, "blobs", "sha256", digest.split(":")[1]), "wb").write(data)
    return digest

entries = []
def entry(tag, mt, data, digest=None):
    entries.append({"mediaType": mt, "digest": put(data, digest), "size": len(data),
                    "annotations": {"org.opencontainers.image.ref.name": tag}})

layer = b"a layer nobody unpacks\n"
layer_digest = put(layer)
v1 = {"schemaVersion": 1, "name": "library/old", "tag": "latest", "architecture": "amd64",
      "fsLayers": [{"blobSum": layer_digest}],
      "history": [{"v1Compatibility": json.dumps({"id": "a" * 64, "created": "2016-01-02T03:04:05Z"})}]}

# libtrust's JSONSignature: payload pretty-printed, signatures spliced in before the last brace
payload = json.dumps(v1, indent=3).encode()
fl = payload.rindex(b"}")
while payload[fl - 1:fl] in (b"\n", b" "):
    fl -= 1
tail = payload[fl:]
protected = b64url(json.dumps({"formatLength": fl, "formatTail": b64url(tail),
                               "time": "2016-01-02T03:04:05Z"}).encode())
sigs = [{"header": {"jwk": {"crv": "P-256", "kty": "EC", "x": b64url(b"x" * 32), "y": b64url(b"y" * 32)},
                    "alg": "ES256"},
         "signature": b64url(b"s" * 64), "protected": protected}]
signed = payload[:fl] + b',\n   "signatures": ' + json.dumps(sigs, indent=3).replace("\n", "\n   ").encode() + tail
assert signed != payload
entry("s1signed", "application/vnd.docker.distribution.manifest.v1+prettyjws", signed,
      "sha256:" + hashlib.sha256(payload).hexdigest())
# unsigned: another image (the signed one's payload is already stored under its own digest)
v1["name"] = "library/unsigned"
entry("s1", "application/vnd.docker.distribution.manifest.v1+json", json.dumps(v1, indent=3).encode())

art = {"mediaType": "application/vnd.oci.artifact.manifest.v1+json", "artifactType": "application/example.sbom",
       "blobs": [{"mediaType": "application/json", "digest": layer_digest, "size": len(layer)}]}
entry("artifact", "application/vnd.oci.artifact.manifest.v1+json", json.dumps(art).encode())

json.dump({"schemaVersion": 2, "manifests": entries}, open(os.path.join(d, "index.json"), "w"))

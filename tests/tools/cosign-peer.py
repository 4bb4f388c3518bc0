#!/usr/bin/python3
"""cosign-peer.py: an independent signer and verifier of cosign signatures, for t-sign.sh.

It plays cosign (and Rekor, and Fulcio) on the other side of winch's tests, written from
sigstore's sources and none of winch's C: Debian's python3-cryptography (keys, ECDSA, RSA,
Ed25519, X.509, scrypt) and python3-nacl (secretbox, Ed25519ph).  Run it with /usr/bin/python3
(Debian's packages).  Registries are spoken to over plain HTTP on loopback only.

What it emulates, and where each format comes from:
  - cosign's .sig tag: sha256-HEX.sig, an OCI manifest, one layer per simple-signing payload
    (application/vnd.dev.cosign.simplesigning.v1+json), annotation dev.cosignproject.cosign/signature,
    dev.sigstore.cosign/bundle (Rekor SET + entry), dev.sigstore.cosign/certificate and /chain
    (cosign pkg/oci/internal/signature/layer.go, pkg/oci/static/options.go; sigstore
    pkg/signature/payload/payload.go);
  - cosign v3's sigstore bundle referrer: in-toto statement in a DSSE envelope in a v0.3 bundle, as
    an OCI manifest with subject (cosign pkg/oci/remote/write.go WriteAttestationNewBundleFormat,
    cmd/cosign/cli/sign/sign.go signDigestBundle; protobuf-specs sigstore_bundle.proto);
  - cosign's encrypted key file: PEM "ENCRYPTED SIGSTORE/COSIGN PRIVATE KEY", JSON of scrypt +
    nacl/secretbox over PKCS#8 (cosign pkg/cosign/keys.go, go-securesystemslib encrypted.go);
  - Rekor's SignedEntryTimestamp: ECDSA over SHA-256 of the canonical JSON
    {"body","integratedTime","logID","logIndex"} (sigstore-go pkg/tlog/entry.go VerifySET);
  - a sigstore trusted_root.json (protobuf-specs sigstore_trustroot.proto) with a test Rekor key
    and a test Fulcio CA chain whose leaves carry the SAN and the OIDC issuer extensions
    1.3.6.1.4.1.57264.1.1 / .8 (sigstore-go pkg/fulcio/certificate/extensions.go).

Commands (REG is host:port of a plain-HTTP registry):
  genkey TYPE PRIV PUB [--password P] [--pem-type sigstore|cosign|pkcs8]
  decrypt PRIV --password P                  prints the key type of a cosign key file (winch's)
  payload REF DIGEST [k=v ...]               prints a simple-signing payload
  root DIR                                   test Rekor key, Fulcio CA, trusted_root.json in DIR
  leaf DIR NAME SAN ISSUER [--old-oid] [--email]   a Fulcio-style leaf cert + key in DIR
  sign REG REPO DIGEST --key PRIV [--password P] [--ref REF] [-a k=v] [--rekor DIR] [--cert DIR/NAME]
       [--ed25519ph] [--hash sha256|sha384|sha512] [--bad-set] [--set-for-other]
  bundle REG REPO DIGEST --key PRIV [...same] [--predicate TYPE] [--raw FILE (the bundle's bytes)]
  push-sig REG REPO DIGEST PAYLOAD SIG [--size-delta N]   a .sig layer from files (openssl's signatures)
  push-raw-sig REG REPO DIGEST N            a .sig manifest with N layers (the layer limit)
  verify REG REPO DIGEST --pub PUB [--bundle] [-a k=v]   checks winch's signatures; prints "verified N"
"""
import argparse, base64, hashlib, json, os, sys, time, urllib.request, urllib.error

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
import nacl.bindings, nacl.secret, nacl.signing

SIG_MT = "application/vnd.dev.cosign.simplesigning.v1+json"
BUNDLE_MT = "application/vnd.dev.sigstore.bundle.v0.3+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
INTOTO = "application/vnd.in-toto+json"
SIGN_PREDICATE = "https://sigstore.dev/cosign/sign/v1"

# ---- registry (OCI distribution spec, plain HTTP on loopback) -------------------------------

def req(reg, method, path, body=None, headers=None):
    assert reg.startswith("127.0.0.1:") or reg.startswith("localhost:")
    url = path if path.startswith("http") else "http://%s%s" % (reg, path)
    r = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(r, timeout=20) as resp:
            return resp.status, resp.read(), resp.headers
    except urllib.error.HTTPError as e:
        return e.code, e.read(), e.headers

def put_blob(reg, repo, data):
    dg = "sha256:" + hashlib.sha256(data).hexdigest()
    st, _, h = req(reg, "POST", "/v2/%s/blobs/uploads/" % repo)
    assert st == 202, st
    loc = h["Location"]
    if not loc.startswith("http"):
        loc = "http://%s%s" % (reg, loc)
    loc += ("&" if "?" in loc else "?") + "digest=" + dg
    st, body, _ = req(reg, "PUT", loc, data, {"Content-Type": "application/octet-stream"})
    assert st == 201, (st, body)
    return dg

def get_manifest(reg, repo, ref):
    st, body, h = req(reg, "GET", "/v2/%s/manifests/%s" % (repo, ref),
                      headers={"Accept": ",".join([OCI_MANIFEST, OCI_INDEX,
                               "application/vnd.docker.distribution.manifest.v2+json"])})
    return (body, h.get("Content-Type")) if st == 200 else (None, None)

def put_manifest(reg, repo, ref, doc, mt=OCI_MANIFEST):
    body = json.dumps(doc, separators=(",", ":")).encode()
    st, resp, _ = req(reg, "PUT", "/v2/%s/manifests/%s" % (repo, ref), body, {"Content-Type": mt})
    assert st == 201, (st, resp)
    return "sha256:" + hashlib.sha256(body).hexdigest(), len(body)

def get_blob(reg, repo, dg):
    st, body, _ = req(reg, "GET", "/v2/%s/blobs/%s" % (repo, dg))
    assert st == 200 and "sha256:" + hashlib.sha256(body).hexdigest() == dg
    return body

def b64(b):
    return base64.b64encode(b).decode()

# ---- keys -------------------------------------------------------------------------------

def new_key(kind):
    return {"ecdsa-p256": lambda: ec.generate_private_key(ec.SECP256R1()),
            "ecdsa-p384": lambda: ec.generate_private_key(ec.SECP384R1()),
            "ecdsa-p521": lambda: ec.generate_private_key(ec.SECP521R1()),
            "rsa": lambda: rsa.generate_private_key(65537, 2048),
            "ed25519": ed25519.Ed25519PrivateKey.generate}[kind]()

def pem(kind, der):
    return ("-----BEGIN %s-----\n" % kind + "\n".join(b64(der)[i:i + 64] for i in range(0, len(b64(der)), 64))
            + "\n-----END %s-----\n" % kind)

def unpem(text):
    lines = text.strip().splitlines()
    kind = lines[0][len("-----BEGIN "):-5]
    return kind, base64.b64decode("".join(lines[1:-1]))

def encrypt_key(key, password, pem_type):
    # go-securesystemslib encrypted.go: scrypt (N 2^16, r 8, p 1, salt 32), nacl/secretbox
    der = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    salt, nonce = os.urandom(32), os.urandom(24)
    k = Scrypt(salt=salt, length=32, n=65536, r=8, p=1).derive(password.encode())
    ct = nacl.secret.SecretBox(k).encrypt(der, nonce).ciphertext
    doc = {"kdf": {"name": "scrypt", "params": {"N": 65536, "r": 8, "p": 1}, "salt": b64(salt)},
           "cipher": {"name": "nacl/secretbox", "nonce": b64(nonce)}, "ciphertext": b64(ct)}
    return pem("ENCRYPTED %s PRIVATE KEY" % pem_type.upper(), json.dumps(doc).encode())

def load_private(path, password):
    kind, body = unpem(open(path).read())
    if kind.startswith("ENCRYPTED ") and kind != "ENCRYPTED PRIVATE KEY":
        doc = json.loads(body)
        assert doc["kdf"]["name"] == "scrypt" and doc["cipher"]["name"] == "nacl/secretbox"
        p = doc["kdf"]["params"]
        k = Scrypt(salt=base64.b64decode(doc["kdf"]["salt"]), length=32, n=p["N"], r=p["r"],
                   p=p["p"]).derive(password.encode())
        der = nacl.secret.SecretBox(k).decrypt(base64.b64decode(doc["ciphertext"]),
                                               base64.b64decode(doc["cipher"]["nonce"]))
        return serialization.load_der_private_key(der, None), kind
    return serialization.load_pem_private_key(open(path, "rb").read(), None), kind

def kind_of(key):
    if isinstance(key, (ec.EllipticCurvePrivateKey, ec.EllipticCurvePublicKey)):
        return "ecdsa-" + {"secp256r1": "p256", "secp384r1": "p384", "secp521r1": "p521"}[key.curve.name]
    if isinstance(key, (rsa.RSAPrivateKey, rsa.RSAPublicKey)):
        return "rsa"
    return "ed25519"

HASHES = {"sha256": hashes.SHA256, "sha384": hashes.SHA384, "sha512": hashes.SHA512}

def sign_bytes(key, data, hash_name="sha256", ed25519ph=False):
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return key.sign(data, ec.ECDSA(HASHES[hash_name]()))
    if isinstance(key, rsa.RSAPrivateKey):
        return key.sign(data, padding.PKCS1v15(), HASHES[hash_name]())
    if ed25519ph:
        # RFC 8032 Ed25519ph, as cosign signs with Ed25519 keys by default (keys.go GetDefaultLoadOptions)
        seed = key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                 serialization.NoEncryption())
        st = nacl.bindings.crypto_sign_ed25519ph_state()
        nacl.bindings.crypto_sign_ed25519ph_update(st, data)
        return nacl.bindings.crypto_sign_ed25519ph_final_create(st, nacl.signing.SigningKey(seed)._signing_key)
    return key.sign(data)

def verify_bytes(pub, data, sig):
    if isinstance(pub, ec.EllipticCurvePublicKey):
        pub.verify(sig, data, ec.ECDSA(hashes.SHA256()))
    elif isinstance(pub, rsa.RSAPublicKey):
        pub.verify(sig, data, padding.PKCS1v15(), hashes.SHA256())
    else:
        pub.verify(sig, data)

# ---- payloads, bundles, Rekor ---------------------------------------------------------------

def payload(ref, digest, annotations):
    opt = dict(a.split("=", 1) for a in annotations) if annotations else None
    return json.dumps({"critical": {"identity": {"docker-reference": ref},
                                    "image": {"docker-manifest-digest": digest},
                                    "type": "cosign container image signature"},
                       "optional": opt}, separators=(",", ":")).encode()

def pae(ptype, body):
    return b"DSSEv1 %d %s %d %s" % (len(ptype), ptype.encode(), len(body), body)

def rekor_entry(rootdir, body, bad_set=False):
    """A Rekor entry for body: (logID hex, integratedTime, logIndex, SET)."""
    key = serialization.load_pem_private_key(open(os.path.join(rootdir, "rekor.key"), "rb").read(), None)
    spki = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    log_id = hashlib.sha256(spki).hexdigest()
    t, idx = int(time.time()) - 60, 4242
    canon = json.dumps({"body": b64(body), "integratedTime": t, "logID": log_id, "logIndex": idx},
                       sort_keys=True, separators=(",", ":")).encode()
    set_ = key.sign(canon, ec.ECDSA(hashes.SHA256()))
    if bad_set:
        canon2 = canon.replace(b'"logIndex":4242', b'"logIndex":4243')
        set_ = key.sign(canon2, ec.ECDSA(hashes.SHA256()))
    return log_id, t, idx, set_

def verifier_pem(args, key):
    if args.cert:
        return open(args.cert + ".crt", "rb").read()
    return key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)

def hashedrekord(data_hash, sig, vpem):
    return json.dumps({"apiVersion": "0.0.1", "kind": "hashedrekord", "spec": {
        "data": {"hash": {"algorithm": "sha256", "value": data_hash}},
        "signature": {"content": b64(sig), "publicKey": {"content": b64(vpem)}}}}, separators=(",", ":")).encode()

def cmd_sign(args):
    key, _ = load_private(args.key, args.password or "")
    ref = args.ref or "%s/%s" % (args.reg, args.repo)
    pl = payload(ref, args.digest, args.a)
    sig = sign_bytes(key, pl, args.hash, args.ed25519ph)
    ann = {"dev.cosignproject.cosign/signature": b64(sig)}
    if args.cert:
        ann["dev.sigstore.cosign/certificate"] = open(args.cert + ".crt").read()
        ann["dev.sigstore.cosign/chain"] = open(os.path.join(os.path.dirname(args.cert), "chain.crt")).read()
    if args.rekor:
        what = pl if not args.set_for_other else pl + b" "
        body = hashedrekord(hashlib.sha256(what).hexdigest(), sig, verifier_pem(args, key))
        log_id, t, idx, set_ = rekor_entry(args.rekor, body, args.bad_set)
        ann["dev.sigstore.cosign/bundle"] = json.dumps({"SignedEntryTimestamp": b64(set_), "Payload": {
            "body": b64(body), "integratedTime": t, "logIndex": idx, "logID": log_id}})
    add_sig_layer(args.reg, args.repo, args.digest, pl, ann)

def add_sig_layer(reg, repo, digest, pl, ann, size_delta=0):
    tag = digest.replace(":", "-") + ".sig"
    old, _ = get_manifest(reg, repo, tag)
    layers = json.loads(old)["layers"] if old else []
    layers.append({"mediaType": SIG_MT, "digest": put_blob(reg, repo, pl), "size": len(pl) + size_delta, "annotations": ann})
    cfg = json.dumps({"architecture": "", "os": "", "config": {},
                      "rootfs": {"type": "layers", "diff_ids": [l["digest"] for l in layers]}}).encode()
    put_manifest(reg, repo, tag, {"schemaVersion": 2, "mediaType": OCI_MANIFEST,
                                  "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                                             "digest": put_blob(reg, repo, cfg), "size": len(cfg)},
                                  "layers": layers})

def cmd_push_sig(args):
    pl, sig = open(args.payload, "rb").read(), open(args.sig, "rb").read()
    add_sig_layer(args.reg, args.repo, args.digest, pl, {"dev.cosignproject.cosign/signature": b64(sig)}, args.size_delta)

def cmd_push_raw_sig(args):
    tag = args.digest.replace(":", "-") + ".sig"
    pl = b"{}"
    dg = put_blob(args.reg, args.repo, pl)
    layer = {"mediaType": SIG_MT, "digest": dg, "size": len(pl), "annotations": {"dev.cosignproject.cosign/signature": "AAAA"}}
    cfg = b"{}"
    put_manifest(args.reg, args.repo, tag, {"schemaVersion": 2, "mediaType": OCI_MANIFEST,
                 "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": put_blob(args.reg, args.repo, cfg),
                            "size": 2}, "layers": [layer] * args.n})

def cmd_bundle(args):
    key, _ = load_private(args.key, args.password or "")
    hexd = args.digest.split(":", 1)[1]
    subj = {"digest": {"sha256": hexd}}
    if args.a:
        subj["annotations"] = dict(a.split("=", 1) for a in args.a)
    stmt = json.dumps({"_type": "https://in-toto.io/Statement/v1", "subject": [subj],
                       "predicateType": args.predicate, "predicate": {}}, separators=(",", ":")).encode()
    sig = sign_bytes(key, pae(INTOTO, stmt), args.hash, args.ed25519ph)
    vm = {}
    if args.cert:
        vm["certificate"] = {"rawBytes": b64(x509.load_pem_x509_certificate(open(args.cert + ".crt", "rb").read())
                                             .public_bytes(serialization.Encoding.DER))}
    else:
        vm["publicKey"] = {"hint": "test"}
    if args.rekor:
        what = stmt if not args.set_for_other else stmt + b" "
        body = json.dumps({"apiVersion": "0.0.1", "kind": "dsse", "spec": {
            "envelopeHash": {"algorithm": "sha256", "value": "00" * 32},
            "payloadHash": {"algorithm": "sha256", "value": hashlib.sha256(what).hexdigest()},
            "signatures": [{"signature": b64(sig), "verifier": b64(verifier_pem(args, key))}]}},
            separators=(",", ":")).encode()
        log_id, t, idx, set_ = rekor_entry(args.rekor, body, args.bad_set)
        vm["tlogEntries"] = [{"logIndex": str(idx), "logId": {"keyId": b64(bytes.fromhex(log_id))},
                              "kindVersion": {"kind": "dsse", "version": "0.0.1"}, "integratedTime": str(t),
                              "inclusionPromise": {"signedEntryTimestamp": b64(set_)},
                              "inclusionProof": {"logIndex": str(idx), "rootHash": b64(b"\0" * 32), "treeSize": "5000",
                                                 "hashes": [], "checkpoint": {"envelope": "test"}},
                              "canonicalizedBody": b64(body)}]
    bundle = json.dumps({"mediaType": BUNDLE_MT, "verificationMaterial": vm,
                         "dsseEnvelope": {"payload": b64(stmt), "payloadType": INTOTO,
                                          "signatures": [{"sig": b64(sig), "keyid": ""}]}}).encode()
    if args.raw:
        bundle = open(args.raw, "rb").read()
    st, body, h = req(args.reg, "HEAD", "/v2/%s/manifests/%s" % (args.repo, args.digest),
                      headers={"Accept": ",".join([OCI_MANIFEST, OCI_INDEX])})
    subject = {"mediaType": h["Content-Type"], "digest": args.digest, "size": int(h["Content-Length"])}
    m = {"schemaVersion": 2, "mediaType": OCI_MANIFEST, "artifactType": BUNDLE_MT,
         "config": {"mediaType": "application/vnd.oci.empty.v1+json", "digest": put_blob(args.reg, args.repo, b"{}"), "size": 2},
         "layers": [{"mediaType": BUNDLE_MT, "digest": put_blob(args.reg, args.repo, bundle), "size": len(bundle)}],
         "subject": subject,
         "annotations": {"dev.sigstore.bundle.content": "dsse-envelope", "dev.sigstore.bundle.predicateType": args.predicate}}
    mdg, mlen = put_manifest(args.reg, args.repo, "sha256:" + hashlib.sha256(json.dumps(m, separators=(",", ":")).encode()).hexdigest(), m)
    # distribution 2.8 has no referrers API: the fallback tag (OCI distribution spec, referrers tag schema)
    tag = args.digest.replace(":", "-")
    old, _ = get_manifest(args.reg, args.repo, tag)
    idx = json.loads(old) if old else {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": []}
    idx["manifests"].append({"mediaType": OCI_MANIFEST, "digest": mdg, "size": mlen, "artifactType": BUNDLE_MT})
    put_manifest(args.reg, args.repo, tag, idx, OCI_INDEX)

# ---- verifying what winch signed --------------------------------------------------------------

def cmd_verify(args):
    pub = serialization.load_pem_public_key(open(args.pub, "rb").read())
    n = 0
    want = dict(a.split("=", 1) for a in args.a) if args.a else {}
    if not args.bundle:
        body, _ = get_manifest(args.reg, args.repo, args.digest.replace(":", "-") + ".sig")
        for l in json.loads(body)["layers"] if body else []:
            pl = get_blob(args.reg, args.repo, l["digest"])
            try:
                verify_bytes(pub, pl, base64.b64decode(l["annotations"]["dev.cosignproject.cosign/signature"]))
            except Exception:
                continue
            p = json.loads(pl)
            c = p["critical"]
            if c["type"] != "cosign container image signature" or c["image"]["docker-manifest-digest"] != args.digest:
                continue
            if any((p.get("optional") or {}).get(k) != v for k, v in want.items()):
                continue
            n += 1
    else:
        body, _ = get_manifest(args.reg, args.repo, args.digest.replace(":", "-"))
        for d in json.loads(body)["manifests"] if body else []:
            if d.get("artifactType") != BUNDLE_MT:
                continue
            m = json.loads(get_manifest(args.reg, args.repo, d["digest"])[0])
            assert m["subject"]["digest"] == args.digest and m["artifactType"] == BUNDLE_MT
            b = json.loads(get_blob(args.reg, args.repo, m["layers"][0]["digest"]))
            assert b["mediaType"] == BUNDLE_MT
            env = b["dsseEnvelope"]
            stmt = base64.b64decode(env["payload"])
            try:
                verify_bytes(pub, pae(env["payloadType"], stmt), base64.b64decode(env["signatures"][0]["sig"]))
            except Exception:
                continue
            s = json.loads(stmt)
            if s["predicateType"] != SIGN_PREDICATE or s["subject"][0]["digest"]["sha256"] != args.digest.split(":")[1]:
                continue
            if any(s["subject"][0].get("annotations", {}).get(k) != v for k, v in want.items()):
                continue
            n += 1
    print("verified %d" % n)
    sys.exit(0 if n else 1)

# ---- a test sigstore: Rekor key, Fulcio CA, trusted_root.json --------------------------------

def cmd_root(args):
    d = args.dir
    rekor = ec.generate_private_key(ec.SECP256R1())
    open(os.path.join(d, "rekor.key"), "wb").write(rekor.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    spki = rekor.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    import datetime
    now = datetime.datetime.utcnow()
    def ca(name, issuer_name, key, issuer_key, path_len):
        return (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
                .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer_name)]))
                .public_key(key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(now - datetime.timedelta(days=2)).not_valid_after(now + datetime.timedelta(days=30))
                .add_extension(x509.BasicConstraints(ca=True, path_length=path_len), critical=True)
                .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
                .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CODE_SIGNING]), critical=False)
                .sign(issuer_key, hashes.SHA384()))
    rk, ik = ec.generate_private_key(ec.SECP384R1()), ec.generate_private_key(ec.SECP384R1())
    root = ca("sigstore-test", "sigstore-test", rk, rk, 1)
    inter = ca("sigstore-test-intermediate", "sigstore-test", ik, rk, 0)
    open(os.path.join(d, "fulcio-int.key"), "wb").write(ik.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    open(os.path.join(d, "fulcio-int.crt"), "wb").write(inter.public_bytes(serialization.Encoding.PEM))
    open(os.path.join(d, "chain.crt"), "wb").write(inter.public_bytes(serialization.Encoding.PEM) +
                                                   root.public_bytes(serialization.Encoding.PEM))
    der = lambda c: b64(c.public_bytes(serialization.Encoding.DER))
    start = (now - datetime.timedelta(days=3)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    tr = {"mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
          "tlogs": [{"baseUrl": "https://rekor.test", "hashAlgorithm": "SHA2_256",
                     "publicKey": {"rawBytes": b64(spki), "keyDetails": "PKIX_ECDSA_P256_SHA_256",
                                   "validFor": {"start": start}},
                     "logId": {"keyId": b64(hashlib.sha256(spki).digest())}}],
          "certificateAuthorities": [{"subject": {"organization": "test", "commonName": "sigstore-test"},
                                      "uri": "https://fulcio.test",
                                      "certChain": {"certificates": [{"rawBytes": der(inter)}, {"rawBytes": der(root)}]},
                                      "validFor": {"start": start}}],
          "ctlogs": [], "timestampAuthorities": []}
    json.dump(tr, open(os.path.join(d, "trusted_root.json"), "w"), indent=2)

def der_utf8(s):
    b = s.encode()
    assert len(b) < 128
    return bytes([0x0c, len(b)]) + b

def cmd_leaf(args):
    import datetime
    d = args.dir
    ik = serialization.load_pem_private_key(open(os.path.join(d, "fulcio-int.key"), "rb").read(), None)
    inter = x509.load_pem_x509_certificate(open(os.path.join(d, "fulcio-int.crt"), "rb").read())
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.utcnow()
    san = x509.RFC822Name(args.san) if args.email else x509.UniformResourceIdentifier(args.san)
    iss = (x509.UnrecognizedExtension(x509.ObjectIdentifier("1.3.6.1.4.1.57264.1.1"), args.issuer.encode())
           if args.old_oid else x509.UnrecognizedExtension(x509.ObjectIdentifier("1.3.6.1.4.1.57264.1.8"), der_utf8(args.issuer)))
    b = (x509.CertificateBuilder().subject_name(x509.Name([]))
         .issuer_name(inter.subject).public_key(key.public_key()).serial_number(x509.random_serial_number())
         .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(minutes=10))
         .add_extension(x509.KeyUsage(True, False, False, False, False, False, False, False, False), critical=True)
         .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH if args.no_codesign else ExtendedKeyUsageOID.CODE_SIGNING]),
                        critical=False)
         .add_extension(x509.SubjectAlternativeName([san]), critical=True)
         .add_extension(iss, critical=False))
    cert = b.sign(ik, hashes.SHA384())
    open(os.path.join(d, args.name + ".crt"), "wb").write(cert.public_bytes(serialization.Encoding.PEM))
    open(os.path.join(d, args.name + ".key"), "wb").write(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))

def main():
    ap = argparse.ArgumentParser()
    sp = ap.add_subparsers(dest="cmd", required=True)
    g = sp.add_parser("genkey"); g.add_argument("type"); g.add_argument("priv"); g.add_argument("pub")
    g.add_argument("--password", default=""); g.add_argument("--pem-type", default="sigstore")
    g = sp.add_parser("decrypt"); g.add_argument("priv"); g.add_argument("--password", default="")
    g = sp.add_parser("payload"); g.add_argument("ref"); g.add_argument("digest"); g.add_argument("a", nargs="*")
    g = sp.add_parser("root"); g.add_argument("dir")
    g = sp.add_parser("leaf"); g.add_argument("dir"); g.add_argument("name"); g.add_argument("san"); g.add_argument("issuer")
    g.add_argument("--old-oid", action="store_true"); g.add_argument("--email", action="store_true")
    g.add_argument("--no-codesign", action="store_true")
    for name in ("sign", "bundle"):
        g = sp.add_parser(name); g.add_argument("reg"); g.add_argument("repo"); g.add_argument("digest")
        g.add_argument("--key", required=True); g.add_argument("--password"); g.add_argument("--ref")
        g.add_argument("-a", action="append"); g.add_argument("--rekor"); g.add_argument("--cert")
        g.add_argument("--ed25519ph", action="store_true"); g.add_argument("--hash", default="sha256")
        g.add_argument("--bad-set", action="store_true"); g.add_argument("--set-for-other", action="store_true")
        g.add_argument("--predicate", default=SIGN_PREDICATE); g.add_argument("--raw")
    g = sp.add_parser("push-sig"); [g.add_argument(x) for x in ("reg", "repo", "digest", "payload", "sig")]
    g.add_argument("--size-delta", type=int, default=0)
    g = sp.add_parser("push-raw-sig"); [g.add_argument(x) for x in ("reg", "repo", "digest")]; g.add_argument("n", type=int)
    g = sp.add_parser("verify"); [g.add_argument(x) for x in ("reg", "repo", "digest")]
    g.add_argument("--pub", required=True); g.add_argument("--bundle", action="store_true"); g.add_argument("-a", action="append")
    args = ap.parse_args()
    if args.cmd == "genkey":
        key = new_key(args.type)
        if args.pem_type == "pkcs8":
            open(args.priv, "wb").write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                          serialization.NoEncryption()))
        else:
            open(args.priv, "w").write(encrypt_key(key, args.password, args.pem_type))
        open(args.pub, "wb").write(key.public_key().public_bytes(serialization.Encoding.PEM,
                                                                  serialization.PublicFormat.SubjectPublicKeyInfo))
    elif args.cmd == "decrypt":
        key, kind = load_private(args.priv, args.password)
        print(kind, kind_of(key))
    elif args.cmd == "payload":
        sys.stdout.buffer.write(payload(args.ref, args.digest, args.a))
    elif args.cmd == "root":
        cmd_root(args)
    elif args.cmd == "leaf":
        cmd_leaf(args)
    elif args.cmd == "sign":
        cmd_sign(args)
    elif args.cmd == "bundle":
        cmd_bundle(args)
    elif args.cmd == "push-sig":
        cmd_push_sig(args)
    elif args.cmd == "push-raw-sig":
        cmd_push_raw_sig(args)
    elif args.cmd == "verify":
        cmd_verify(args)

if __name__ == "__main__":
    main()

#!/bin/bash
# Signatures (issue 15): winch verify, sign, generate-key and the copy/pull
# gate, against an independent cosign peer (tests/tools/cosign-peer.py, on
# Debian's python3-cryptography and python3-nacl: it signs what winch
# verifies and verifies what winch signs, with its keys and winch's) and
# signatures made with the openssl command line.  The test sigstore (a Rekor
# key, a Fulcio CA chain, trusted_root.json and SETs) is built here.
. "$(dirname "$0")/lib.sh"

PEER() { /usr/bin/python3 "$TOP/tests/tools/cosign-peer.py" "$@"; }
export COSIGN_PASSWORD=s3cret
unset COSIGN_REPOSITORY
reg_start plain || fail "registry started"
W() { "$WINCH" --plain-http "$@"; }
K=$WORK/keys
mkdir -p "$K" "$WORK/root"
cd "$WORK" || exit 1

python3 "$TOP/tests/tools/mkimage.py" "$WORK/img" one --seed 11 > /dev/null
python3 "$TOP/tests/tools/mkimage.py" "$WORK/img" two --seed 12 --platforms linux/amd64,linux/arm64 > /dev/null
seed "$WORK/img" one app:1 && seed "$WORK/img" two multi:1 && seed "$WORK/img" one other:1 || fail "seeded"
D=$("$WINCH" digest --plain-http "$REG/app:1")
DM=$("$WINCH" digest --plain-http "$REG/multi:1")
PEER root "$WORK/root" || fail "test sigstore built"
ROOT=$WORK/root/trusted_root.json

# ---- generate-key: cosign's format, read by the peer -------------------------------------------
expect 0 "generate-key writes a key pair" "$WINCH" generate-key --output-key-prefix "$K/w"
contains "... says where" "$ERR" "Private key written to $K/w.key"
same "... the private key is ENCRYPTED COSIGN PRIVATE KEY" "$(head -n 1 "$K/w.key")" "-----BEGIN ENCRYPTED COSIGN PRIVATE KEY-----"
same "... mode 0600" "$(stat -c %a "$K/w.key")" 600
same "... the peer decrypts it (scrypt + secretbox) to an ECDSA P-256 PKCS#8 key" \
	"$(PEER decrypt "$K/w.key" --password s3cret)" "ENCRYPTED COSIGN PRIVATE KEY ecdsa-p256"
expect 1 "generate-key refuses to overwrite" "$WINCH" generate-key --output-key-prefix "$K/w"
contains "... naming the file" "$ERR" "w.key exists"

# ---- sign with winch, verify with the peer and with winch ----------------------------------------
expect 0 "sign --key (winch's key) writes the .sig tag" W sign --key "$K/w.key" "$REG/app:1"
contains "... says no transparency-log entry was made" "$ERR" "verifiers need --insecure-ignore-tlog"
same "... the peer verifies it" "$(PEER verify "$REG" app "$D" --pub "$K/w.pub")" "verified 1"
expect 0 "verify --key --insecure-ignore-tlog accepts it" W verify --key "$K/w.pub" --insecure-ignore-tlog "$REG/app:1"
contains "... one line per signature" "$OUT" "valid sha256-${D#sha256:}.sig layer 1: signed by the key"
expect 2 "verify without --trusted-root or --insecure-ignore-tlog refuses" W verify --key "$K/w.pub" "$REG/app:1"
contains "... saying which to give" "$ERR" "give --trusted-root FILE (a sigstore trusted_root.json) to verify their entries offline, or --insecure-ignore-tlog"
expect 10 "with --trusted-root, winch's own signature (no Rekor entry) is refused" W verify --key "$K/w.pub" --trusted-root "$ROOT" "$REG/app:1"
contains "... saying so" "$ERR" "it has no Rekor entry"
expect 0 "signing again" W sign --format json --key "$K/w.key" "$REG/app:1"
same "... adds nothing (alreadySigned)" "$(printf %s "$OUT" | json "d['alreadySigned']")" "true"
expect 0 "sign -a env=prod" W sign --key "$K/w.key" -a env=prod "$REG/app:1"
same "... the peer finds the annotation signed" "$(PEER verify "$REG" app "$D" --pub "$K/w.pub" -a env=prod)" "verified 1"
expect 0 "verify -a env=prod" W verify --key "$K/w.pub" --insecure-ignore-tlog -a env=prod "$REG/app:1"
expect 10 "verify -a env=dev: no signature carries it" W verify --key "$K/w.pub" --insecure-ignore-tlog -a env=dev "$REG/app:1"
contains "... naming it" "$ERR" "it has no annotation env=dev"
expect 0 "sign --bundle-only pushes a v0.3 bundle referrer" W sign --key "$K/w.key" --bundle-only "$REG/multi:1"
same "... the peer verifies the bundle" "$(PEER verify "$REG" multi "$DM" --pub "$K/w.pub" --bundle)" "verified 1"
expect 0 "verify finds the bundle" W verify --format json --key "$K/w.pub" --insecure-ignore-tlog "$REG/multi:1"
same "... a sigstore-bundle, valid" "$(printf %s "$OUT" | json "[(s['format'], s['valid']) for s in d['signatures']]")" '[["sigstore-bundle", true]]'

# ---- every key type, both ways: the peer's keys (cosign's encrypted file) and winch's ----------
n=0
for t in ecdsa-p256 ecdsa-p384 ecdsa-p521 rsa ed25519; do
	n=$((n + 1))
	pt=sigstore
	[ $n = 2 ] && pt=cosign
	PEER genkey $t "$K/p-$t.key" "$K/p-$t.pub" --password s3cret --pem-type $pt
	W copy -q "$REG/app:1" "$REG/k-$t:1" && W copy -q "$REG/app:1" "$REG/p-$t:1" || fail "copied for $t"
	expect 0 "$t: winch signs with the peer's key (ENCRYPTED $(echo $pt | tr a-z A-Z) PRIVATE KEY)" W sign --key "$K/p-$t.key" --bundle "$REG/k-$t:1"
	same "... the peer verifies the .sig" "$(PEER verify "$REG" k-$t "$D" --pub "$K/p-$t.pub")" "verified 1"
	same "... and the bundle" "$(PEER verify "$REG" k-$t "$D" --pub "$K/p-$t.pub" --bundle)" "verified 1"
	PEER sign "$REG" p-$t "$D" --key "$K/p-$t.key" --password s3cret || fail "peer signed ($t)"
	PEER bundle "$REG" p-$t "$D" --key "$K/p-$t.key" --password s3cret || fail "peer signed a bundle ($t)"
	expect 0 "$t: winch verifies the peer's signatures" W verify --format json --key "$K/p-$t.pub" --insecure-ignore-tlog "$REG/p-$t:1"
	same "... both" "$(printf %s "$OUT" | json "[s['valid'] for s in d['signatures']]")" "[true, true]"
	alg=$(case $t in ecdsa-p256) echo ecdsa-sha2-256-nistp256 ;; ecdsa-p384) echo ecdsa-sha2-384-nistp384 ;;
		ecdsa-p521) echo ecdsa-sha2-512-nistp521 ;; rsa) echo rsa-sign-pkcs1-2048-sha256 ;; *) echo ed25519 ;; esac)
	expect 0 "$t: generate-key --signing-algorithm $alg" "$WINCH" generate-key --signing-algorithm $alg --output-key-prefix "$K/g-$t"
	same "... the peer reads it" "$(PEER decrypt "$K/g-$t.key" --password s3cret)" "ENCRYPTED COSIGN PRIVATE KEY $t"
	W copy -q "$REG/app:1" "$REG/g-$t:1"
	expect 0 "... winch signs with it" W sign --key "$K/g-$t.key" "$REG/g-$t:1"
	same "... the peer verifies" "$(PEER verify "$REG" g-$t "$D" --pub "$K/g-$t.pub")" "verified 1"
done
# cosign sign's own defaults: the curve's hash for P-384 (SHA-384), Ed25519ph for Ed25519
W copy -q "$REG/app:1" "$REG/defaults:1"
PEER sign "$REG" defaults "$D" --key "$K/p-ecdsa-p384.key" --password s3cret --hash sha384
expect 0 "a P-384 signature over SHA-384 (cosign sign's default) verifies" W verify --format json --key "$K/p-ecdsa-p384.pub" --insecure-ignore-tlog "$REG/defaults:1"
same "... as ecdsa-p384-sha384" "$(printf %s "$OUT" | json "d['signatures'][0]['scheme']")" "ecdsa-p384-sha384"
PEER sign "$REG" defaults "$D" --key "$K/p-ed25519.key" --password s3cret --ed25519ph
expect 0 "an Ed25519ph signature (cosign sign's default for Ed25519) verifies" W verify --format json --key "$K/p-ed25519.pub" --insecure-ignore-tlog "$REG/defaults:1"
same "... as ed25519ph" "$(printf %s "$OUT" | json "[s['scheme'] for s in d['signatures'] if s['valid']]")" '["ed25519ph"]'
expect 0 "a PKCS#8 private key (plain PEM) signs" W sign --key "$WORK/root/rekor.key" "$REG/defaults:1"

# ---- signatures made with the openssl command line ------------------------------------------------
PEER payload "$REG/ossl" "$D" > "$WORK/payload.json"
W copy -q "$REG/app:1" "$REG/ossl:1"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$K/o-rsa.pem" 2>/dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out "$K/o-p384.pem" 2>/dev/null
openssl genpkey -algorithm ED25519 -out "$K/o-ed.pem" 2>/dev/null
for k in o-rsa o-p384 o-ed; do
	openssl pkey -in "$K/$k.pem" -pubout -out "$K/$k.pub" 2>/dev/null
	case $k in
	o-ed) openssl pkeyutl -sign -inkey "$K/$k.pem" -rawin -in "$WORK/payload.json" -out "$WORK/$k.sig" ;;
	*) openssl dgst -sha256 -sign "$K/$k.pem" -out "$WORK/$k.sig" "$WORK/payload.json" ;;
	esac
	PEER push-sig "$REG" ossl "$D" "$WORK/payload.json" "$WORK/$k.sig"
	expect 0 "openssl's $k signature verifies" W verify --key "$K/$k.pub" --insecure-ignore-tlog "$REG/ossl:1"
done
expect 0 "verify --format json lists the three" W verify --format json --key "$K/o-rsa.pub" --insecure-ignore-tlog "$REG/ossl:1"
same "... one valid for the RSA key, two rejected" "$(printf %s "$OUT" | json "[s['valid'] for s in d['signatures']]")" "[true, false, false]"

# ---- tampering: payload, signature, digest, reference, annotations, key ----------------------------
tamper() { # NAME: a repo holding app's image
	W copy -q "$REG/app:1" "$REG/$1:1"
}
tamper t-payload
openssl dgst -sha256 -sign "$K/o-p384.pem" -out "$WORK/t.sig" "$WORK/payload.json"
sed 's/ossl/osst/' "$WORK/payload.json" > "$WORK/payload2.json"
PEER push-sig "$REG" t-payload "$D" "$WORK/payload2.json" "$WORK/t.sig"
expect 10 "a tampered payload is refused" W verify --key "$K/o-p384.pub" --insecure-ignore-tlog "$REG/t-payload:1"
contains "... its signature does not verify" "$ERR" "its signature does not verify with the key"
tamper t-sig
python3 -c "import sys; b=bytearray(open(sys.argv[1],'rb').read()); b[-5]^=1; open(sys.argv[2],'wb').write(b)" "$WORK/t.sig" "$WORK/t2.sig"
PEER push-sig "$REG" t-sig "$D" "$WORK/payload.json" "$WORK/t2.sig"
expect 10 "a tampered signature is refused" W verify --key "$K/o-p384.pub" --insecure-ignore-tlog "$REG/t-sig:1"
tamper t-digest
OTHER=$(W digest "$REG/multi:1")
PEER payload "$REG/t-digest" "$OTHER" > "$WORK/pd.json"
openssl dgst -sha256 -sign "$K/o-rsa.pem" -out "$WORK/pd.sig" "$WORK/pd.json"
PEER push-sig "$REG" t-digest "$D" "$WORK/pd.json" "$WORK/pd.sig"
expect 10 "a payload naming another digest is refused" W verify --key "$K/o-rsa.pub" --insecure-ignore-tlog "$REG/t-digest:1"
contains "... naming both" "$ERR" "it signs $OTHER, not $D"
tamper t-ref
PEER payload "$REG/elsewhere" "$D" > "$WORK/pr.json"
openssl dgst -sha256 -sign "$K/o-rsa.pem" -out "$WORK/pr.sig" "$WORK/pr.json"
PEER push-sig "$REG" t-ref "$D" "$WORK/pr.json" "$WORK/pr.sig"
expect 10 "a payload naming another repository is refused" W verify --key "$K/o-rsa.pub" --insecure-ignore-tlog "$REG/t-ref:1"
contains "... naming it" "$ERR" "it names $REG/elsewhere, not $REG/t-ref"
expect 0 "... accepted with --allow-reference-mismatch" W verify --allow-reference-mismatch --key "$K/o-rsa.pub" --insecure-ignore-tlog "$REG/t-ref:1"
PEER payload "$REG/t-ref:2" "$D" > "$WORK/pt.json"
openssl dgst -sha256 -sign "$K/o-rsa.pem" -out "$WORK/pt.sig" "$WORK/pt.json"
W copy -q "$REG/app:1" "$REG/t-tag:1"
PEER push-sig "$REG" t-tag "$D" "$WORK/pt.json" "$WORK/pt.sig"
sed -i "s#$REG/t-ref:2#$REG/t-tag:2#" "$WORK/pt.json"
expect 10 "a payload naming another tag is refused" W verify --key "$K/o-rsa.pub" --insecure-ignore-tlog "$REG/t-tag:1"
expect 0 "... a reference by digest takes it (the repository matches)" W verify --key "$K/o-rsa.pub" --insecure-ignore-tlog --allow-reference-mismatch "$REG/t-tag@$D"
expect 10 "a signature by another key is refused" W verify --key "$K/w.pub" --insecure-ignore-tlog "$REG/p-rsa:1"
contains "... saying why" "$ERR" "does not verify with the key"
tamper t-mixed
PEER push-sig "$REG" t-mixed "$D" "$WORK/payload2.json" "$WORK/t.sig"
PEER sign "$REG" t-mixed "$D" --key "$K/p-ecdsa-p256.key" --password s3cret
expect 0 "a bad signature next to a good one does not spoil it" W verify --format json --key "$K/p-ecdsa-p256.pub" --insecure-ignore-tlog "$REG/t-mixed:1"
same "... --format json lists both" "$(printf %s "$OUT" | json "[s['valid'] for s in d['signatures']]")" "[false, true]"

# ---- the transparency log: SETs from the test Rekor key, verified offline ---------------------------
tamper tl
PEER sign "$REG" tl "$D" --key "$K/p-ecdsa-p256.key" --password s3cret --rekor "$WORK/root"
expect 0 "a Rekor-logged signature verifies with --trusted-root" W verify --format json --key "$K/p-ecdsa-p256.pub" --trusted-root "$ROOT" "$REG/tl:1"
same "... its entry verified" "$(printf %s "$OUT" | json "[d['signatures'][0][k] for k in ('tlog', 'logIndex')]")" '["verified", 4242]'
tamper tl-bad
PEER sign "$REG" tl-bad "$D" --key "$K/p-ecdsa-p256.key" --password s3cret --rekor "$WORK/root" --bad-set
expect 10 "a SET that does not verify is refused" W verify --key "$K/p-ecdsa-p256.pub" --trusted-root "$ROOT" "$REG/tl-bad:1"
contains "... saying so" "$ERR" "its Rekor SignedEntryTimestamp does not verify with the trusted root's Rekor key"
expect 0 "... --insecure-ignore-tlog takes it" W verify --key "$K/p-ecdsa-p256.pub" --insecure-ignore-tlog "$REG/tl-bad:1"
tamper tl-other
PEER sign "$REG" tl-other "$D" --key "$K/p-ecdsa-p256.key" --password s3cret --rekor "$WORK/root" --set-for-other
expect 10 "an entry logging another payload is refused" W verify --key "$K/p-ecdsa-p256.pub" --trusted-root "$ROOT" "$REG/tl-other:1"
contains "... saying so" "$ERR" "its Rekor entry is about another payload"
mkdir -p "$WORK/root2"
PEER root "$WORK/root2"
expect 10 "an entry of a log the trusted root does not list is refused" W verify --key "$K/p-ecdsa-p256.pub" --trusted-root "$WORK/root2/trusted_root.json" "$REG/tl:1"
contains "... saying so" "$ERR" "which the trusted root does not list"
tamper tl-bundle
PEER bundle "$REG" tl-bundle "$D" --key "$K/p-ecdsa-p384.key" --password s3cret --rekor "$WORK/root"
expect 0 "a bundle's Rekor entry verifies" W verify --format json --key "$K/p-ecdsa-p384.pub" --trusted-root "$ROOT" "$REG/tl-bundle:1"
same "... verified" "$(printf %s "$OUT" | json "d['signatures'][0]['tlog']")" "verified"
PEER bundle "$REG" tl-bundle "$D" --key "$K/p-ecdsa-p384.key" --password s3cret --rekor "$WORK/root" --bad-set
expect 0 "... a second bundle with a bad SET is listed as rejected" W verify --format json --key "$K/p-ecdsa-p384.pub" --trusted-root "$ROOT" "$REG/tl-bundle:1"
same "... beside the good one" "$(printf %s "$OUT" | json "[s['valid'] for s in d['signatures']]")" "[true, false]"

# ---- keyless: a test Fulcio chain with the sigstore OID extensions ----------------------------------
GH_ID=https://github.com/org/app/.github/workflows/release.yml@refs/heads/main
GH_ISS=https://token.actions.githubusercontent.com
PEER leaf "$WORK/root" gha "$GH_ID" "$GH_ISS"
PEER leaf "$WORK/root" old "$GH_ID" "$GH_ISS" --old-oid
PEER leaf "$WORK/root" mail dev@example.com https://accounts.google.com --email
PEER leaf "$WORK/root" nocs "$GH_ID" "$GH_ISS" --no-codesign
PEER leaf "$WORK/root2" alien "$GH_ID" "$GH_ISS"
for c in gha old mail nocs; do
	tamper kl-$c
	PEER sign "$REG" kl-$c "$D" --key "$WORK/root/$c.key" --cert "$WORK/root/$c" --rekor "$WORK/root"
done
tamper kl-alien
PEER sign "$REG" kl-alien "$D" --key "$WORK/root2/alien.key" --cert "$WORK/root2/alien" --rekor "$WORK/root"
KL="--trusted-root $ROOT --certificate-oidc-issuer $GH_ISS"
expect 0 "keyless: GitHub Actions' identity and issuer verify" W verify --format json $KL --certificate-identity "$GH_ID" "$REG/kl-gha:1"
same "... identity, issuer and the entry" "$(printf %s "$OUT" | json "[d['signatures'][0][k] for k in ('identity', 'issuer', 'tlog')]")" "[\"$GH_ID\", \"$GH_ISS\", \"verified\"]"
expect 0 "keyless: --certificate-identity-regexp" W verify $KL --certificate-identity-regexp '^https://github.com/org/app/' "$REG/kl-gha:1"
expect 10 "keyless: another identity is refused" W verify $KL --certificate-identity https://github.com/org/other/.github/workflows/release.yml@refs/heads/main "$REG/kl-gha:1"
contains "... naming the one it has" "$ERR" "its certificate's identity is \"$GH_ID\""
expect 10 "keyless: another issuer is refused" W verify --trusted-root "$ROOT" --certificate-oidc-issuer https://gitlab.com --certificate-identity "$GH_ID" "$REG/kl-gha:1"
expect 0 "keyless: the older issuer extension (1.3.6.1.4.1.57264.1.1) is read" W verify $KL --certificate-identity "$GH_ID" "$REG/kl-old:1"
expect 0 "keyless: an e-mail identity" W verify --trusted-root "$ROOT" --certificate-oidc-issuer https://accounts.google.com --certificate-identity dev@example.com "$REG/kl-mail:1"
expect 10 "keyless: a certificate from a CA the trusted root does not list is refused" W verify $KL --certificate-identity "$GH_ID" "$REG/kl-alien:1"
contains "... saying so" "$ERR" "does not chain to a Fulcio CA of the trusted root"
expect 10 "keyless: a certificate not for code signing is refused" W verify $KL --certificate-identity "$GH_ID" "$REG/kl-nocs:1"
expect 2 "keyless without --trusted-root is a usage error" W verify --insecure-ignore-tlog --certificate-oidc-issuer "$GH_ISS" --certificate-identity "$GH_ID" "$REG/kl-gha:1"
expect 2 "keyless needs the issuer too" W verify --trusted-root "$ROOT" --certificate-identity "$GH_ID" "$REG/kl-gha:1"
tamper kl-bundle
PEER bundle "$REG" kl-bundle "$D" --key "$WORK/root/gha.key" --cert "$WORK/root/gha" --rekor "$WORK/root"
expect 0 "keyless: a v0.3 bundle with a Fulcio certificate" W verify $KL --certificate-identity "$GH_ID" "$REG/kl-bundle:1"

# ---- bad input: one line naming what is wrong, never a crash --------------------------------------
printf 'not a key\n' > "$WORK/nokey.pub"
expect 2 "a key file that is not a key" W verify --key "$WORK/nokey.pub" --insecure-ignore-tlog "$REG/app:1"
same "... one line" "$(printf '%s\n' "$ERR" | wc -l)" 1
contains "... naming the file" "$ERR" "nokey.pub: the key is not a PEM file"
expect 2 "a private key given to verify" W verify --key "$K/w.key" --insecure-ignore-tlog "$REG/app:1"
contains "... says to give the public key" "$ERR" "verifying takes the public key"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-224 2>/dev/null | openssl pkey -pubout -out "$K/p224.pub" 2>/dev/null
expect 2 "an unsupported key type (ECDSA P-224)" W verify --key "$K/p224.pub" --insecure-ignore-tlog "$REG/app:1"
contains "... naming the curve" "$ERR" "an ECDSA key on the curve secp224r1"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-224 -out "$K/p224.pem" 2>/dev/null
expect 2 "sign with an unsupported key type" W sign --key "$K/p224.pem" "$REG/app:1"
COSIGN_PASSWORD=wrong expect 4 "sign with the wrong password" W sign --key "$K/w.key" "$REG/app:1"
contains "... says so" "$ERR" "wrong password (COSIGN_PASSWORD)"
printf '{"mediaType":"x"}' > "$WORK/badroot.json"
expect 2 "a trusted root that is not one" W verify --key "$K/w.pub" --trusted-root "$WORK/badroot.json" "$REG/app:1"
contains "... naming its media type" "$ERR" "the trusted root's mediaType is \"x\""
tamper bad-json
printf 'not json at all' > "$WORK/nj.json"
openssl dgst -sha256 -sign "$K/o-rsa.pem" -out "$WORK/nj.sig" "$WORK/nj.json"
PEER push-sig "$REG" bad-json "$D" "$WORK/nj.json" "$WORK/nj.sig"
expect 10 "a payload that is not JSON" W verify --key "$K/o-rsa.pub" --insecure-ignore-tlog "$REG/bad-json:1"
contains "... says so" "$ERR" "the payload is not JSON"
tamper bad-trunc
PEER push-sig "$REG" bad-trunc "$D" "$WORK/payload.json" "$WORK/o-rsa.sig" --size-delta 40
expect 10 "a truncated signature layer" W verify --key "$K/o-rsa.pub" --insecure-ignore-tlog "$REG/bad-trunc:1"
contains "... says so" "$ERR" "its blob is corrupt or truncated"
tamper bad-many
PEER push-raw-sig "$REG" bad-many "$D" 1001
expect 10 "a signature manifest with 1001 layers" W verify --key "$K/o-rsa.pub" --insecure-ignore-tlog "$REG/bad-many:1"
contains "... names cosign's limit" "$ERR" "its manifest has 1001 layers: more than cosign's limit of 1000"
tamper bad-bundle
printf '{"mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json", "verificationMaterial": ' > "$WORK/bb.json"
PEER bundle "$REG" bad-bundle "$D" --key "$K/p-rsa.key" --password s3cret --raw "$WORK/bb.json"
PEER sign "$REG" bad-bundle "$D" --key "$K/p-rsa.key" --password s3cret
expect 0 "a bundle that does not parse spoils nothing" W verify --format json --key "$K/p-rsa.pub" --insecure-ignore-tlog "$REG/bad-bundle:1"
same "... listed with its reason" "$(printf %s "$OUT" | json "[(s['valid'], s['reason']) for s in d['signatures']]")" \
	'[[true, "signed by the key; payload names '"$D"' and '"$REG"'/bad-bundle; transparency log not checked (--insecure-ignore-tlog)"], [false, "the bundle is not a JSON object"]]'
tamper unsigned
expect 10 "an unsigned image" W verify --key "$K/w.pub" --insecure-ignore-tlog "$REG/unsigned:1"
contains "... says it has no signatures" "$ERR" "has no signatures"

# ---- platforms, COSIGN_REPOSITORY ------------------------------------------------------------------
expect 0 "sign --platform linux/arm64 signs that manifest" W sign --key "$K/w.key" --platform linux/arm64 "$REG/multi:1"
expect 0 "verify --platform linux/arm64" W verify --key "$K/w.pub" --insecure-ignore-tlog --platform linux/arm64 "$REG/multi:1"
expect 10 "... not linux/amd64" W verify --key "$K/w.pub" --insecure-ignore-tlog --platform linux/amd64 "$REG/multi:1"
tamper moved
COSIGN_REPOSITORY=$REG/signatures expect 0 "COSIGN_REPOSITORY moves the signature" W sign --key "$K/w.key" "$REG/moved:1"
expect 0 "... into that repository" W exists "$REG/signatures:sha256-${D#sha256:}.sig"
COSIGN_REPOSITORY=$REG/signatures expect 0 "... where verify finds it" W verify --key "$K/w.pub" --insecure-ignore-tlog "$REG/moved:1"
expect 10 "... not in the image's" W verify --key "$K/w.pub" --insecure-ignore-tlog "$REG/moved:1"

# ---- the gate: copy and pull --verify-key ---------------------------------------------------------
expect 0 "copy --verify-key copies a signed image" W copy --verify-key "$K/w.pub" --insecure-ignore-tlog "$REG/app:1" "$REG/gated:1"
expect 10 "... with its signatures, which name the source's repository" W verify --key "$K/w.pub" --insecure-ignore-tlog "$REG/gated:1"
expect 0 "... verified at the destination with --allow-reference-mismatch" W verify --allow-reference-mismatch --key "$K/w.pub" --insecure-ignore-tlog "$REG/gated:1"
expect 10 "copy --verify-key refuses an unsigned image" W copy --verify-key "$K/w.pub" --insecure-ignore-tlog "$REG/unsigned:1" "$REG/gated-u:1"
contains "... saying so" "$ERR" "has no signatures"
expect 3 "... and copies nothing" W exists "$REG/gated-u:1"
expect 10 "copy --verify-key refuses an image signed by another key" W copy --verify-key "$K/w.pub" --insecure-ignore-tlog "$REG/p-rsa:1" "$REG/gated-o:1"
expect 3 "... and copies nothing" W exists "$REG/gated-o:1"
expect 2 "copy --verify-key without --trusted-root or --insecure-ignore-tlog" W copy --verify-key "$K/w.pub" "$REG/app:1" "$REG/gated:2"
expect 2 "copy --trusted-root without a key or identity" W copy --trusted-root "$ROOT" "$REG/app:1" "$REG/gated:2"
expect 0 "copy with the keyless options" W copy $KL --certificate-identity "$GH_ID" "$REG/kl-gha:1" "$REG/gated-kl:1"
expect 0 "... with its signature" W verify --allow-reference-mismatch $KL --certificate-identity "$GH_ID" "$REG/gated-kl:1"
expect 0 "pull --verify-key into a layout" W pull --verify-key "$K/w.pub" --insecure-ignore-tlog "$REG/app:1" "oci:$WORK/lay:1"
expect 0 "... which holds the signatures: verify reads the layout" W verify --key "$K/w.pub" --insecure-ignore-tlog "oci:$WORK/lay:1"
expect 10 "pull --verify-key refuses an unsigned image" W pull --verify-key "$K/w.pub" --insecure-ignore-tlog "$REG/unsigned:1" "oci:$WORK/lay2:1"
[ ! -e "$WORK/lay2/index.json" ] && pass "... and writes nothing" || fail "... and writes nothing"
W copy -q "$REG/multi:1" "$REG/mirror-src:unsigned"
W copy -q "$REG/app:1" "$REG/mirror-src:signed"
W sign -q --key "$K/w.key" "$REG/mirror-src:signed" > /dev/null
expect 8 "copy --all-tags --verify-key: the unsigned tag fails" W copy --all-tags --verify-key "$K/w.pub" --insecure-ignore-tlog --allow-reference-mismatch "$REG/mirror-src" "$REG/mirror-dst"
contains "... naming it" "$ERR" "unsigned: "
expect 0 "... the signed one is copied" W exists "$REG/mirror-dst:signed"
expect 3 "... the unsigned one is not" W exists "$REG/mirror-dst:unsigned"
expect 0 "sync --verify-key copies a signed image" \
	W sync --src docker --verify-key "$K/w.pub" --insecure-ignore-tlog "$REG/mirror-src:signed" "$REG/synced"
expect 0 "... with its signatures" \
	W verify --allow-reference-mismatch --key "$K/w.pub" --insecure-ignore-tlog "$REG/synced/mirror-src:signed"
expect 8 "sync --verify-key refuses an unsigned image" W sync --src docker --format json --verify-key "$K/w.pub" \
	--insecure-ignore-tlog "$REG/mirror-src:unsigned" "$REG/synced"
contains "... failed in the report" "$OUT" '"result": "failed"'
expect 3 "... and not copied" W exists "$REG/synced/mirror-src:unsigned"
expect 2 "sync --verify-key without --trusted-root or --insecure-ignore-tlog" \
	W sync --src docker --verify-key "$K/w.pub" "$REG/mirror-src:signed" "$REG/synced"

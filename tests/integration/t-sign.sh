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

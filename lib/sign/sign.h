/*
 * sign.h: what the files of lib/sign/ share (cosign signatures: keys,
 * payloads, sigstore bundles, the Rekor transparency log, Fulcio
 * certificates, verification and signing).  Every format fact is checked
 * against sigstore's own source, cited where it is used:
 *   cosign          github.com/sigstore/cosign         (d6d86c224e58)
 *   sigstore-go     github.com/sigstore/sigstore-go    (4594ab4c779d)
 *   sigstore        github.com/sigstore/sigstore       (bd0ad71258e9)
 *   protobuf-specs  github.com/sigstore/protobuf-specs (104df670656f)
 *   securesystemslib github.com/secure-systems-lab/go-securesystemslib (8b6ec9cb6eef)
 * Nothing here is copied from them: winch's own C on OpenSSL and libsodium.
 */
#ifndef WN_SIGN_H
#define WN_SIGN_H

#include <openssl/evp.h>
#include <openssl/x509.h>
#include "internal.h"

/* cosign's names (cosign pkg/oci/internal/signature/layer.go, pkg/types/media.go) */
#define WN__SIG_MT        "application/vnd.dev.cosign.simplesigning.v1+json"
#define WN__SIG_ANN       "dev.cosignproject.cosign/signature"
#define WN__SIG_ANN_CERT  "dev.sigstore.cosign/certificate"
#define WN__SIG_ANN_CHAIN "dev.sigstore.cosign/chain"
#define WN__SIG_ANN_BUNDLE "dev.sigstore.cosign/bundle"
#define WN__SIG_TYPE      "cosign container image signature" /* sigstore pkg/signature/payload/payload.go */
/* sigstore-go pkg/bundle, cosign pkg/oci/remote/write.go WriteAttestationNewBundleFormat */
#define WN__BUNDLE_MT     "application/vnd.dev.sigstore.bundle.v0.3+json"
#define WN__BUNDLE_MT_ALT "application/vnd.dev.sigstore.bundle+json;version=0.3"
#define WN__INTOTO_MT     "application/vnd.in-toto+json"
#define WN__INTOTO_STATEMENT "https://in-toto.io/Statement/v1"
#define WN__COSIGN_SIGN_PREDICATE "https://sigstore.dev/cosign/sign/v1" /* cosign pkg/types/predicate.go */
#define WN__TRUSTED_ROOT_MT "application/vnd.dev.sigstore.trustedroot+json;version=0.1" /* sigstore-go pkg/root */

#define WN__SIG_MAX_LAYERS 1000          /* cosign pkg/oci/remote/signatures.go maxLayers */
#define WN__SIG_PAYLOAD_MAX (4u << 20)   /* a payload or bundle blob read into memory */
#define WN__KEY_FILE_MAX (1u << 20)

struct wn_key {
	EVP_PKEY *pkey;
	enum wn_key_type type;
	int is_private;
};

/* ---- keys.c ----------------------------------------------------------- */
/* A key from an EVP_PKEY (taken, freed on failure): ECDSA P-256/384/521,
 * RSA 2048..8192 bits, Ed25519; any other is WN_EUNSUPPORTED naming it. */
int wn__key_wrap(struct wn_key **out, EVP_PKEY *pk, int is_private, const char *what, struct wn_error *err);
/* A signature over data as cosign makes it for `cosign verify --key` (see keys.c). */
int wn__key_sign(const struct wn_key *k, const void *data, size_t len, unsigned char **sig, size_t *sig_len,
                 struct wn_error *err);
/* The scheme that verifies sig over data ("ecdsa-p256-sha256", "ed25519ph" ...), NULL when none does. */
const char *wn__key_verify(const struct wn_key *k, const void *data, size_t len, const unsigned char *sig,
                           size_t sig_len);
/* The public key's DER (SubjectPublicKeyInfo); caller frees. */
int wn__key_spki(const struct wn_key *k, unsigned char **der, size_t *len);

/* ---- b64 ---------------------------------------------------------------- */
/* Standard or URL-safe base64, padded or not (protojson takes both); NULL when malformed or past max. */
unsigned char *wn__b64_any(const char *s, size_t max, size_t *out_len);

/* ---- payload.c ---------------------------------------------------------- */
struct wn__payload {
	char *reference;   /* critical.identity.docker-reference */
	char *digest;      /* critical.image.docker-manifest-digest */
	cJSON *optional;   /* the "optional" object, NULL when null or absent */
};
/* Parses a cosign simple-signing payload; errors say what is wrong in one line. */
int wn__payload_parse(struct wn__payload *p, const void *data, size_t len, struct wn_error *err);
void wn__payload_clear(struct wn__payload *p);
/* The payload cosign writes for (reference, digest) with the annotations
 * "k=v" (NULL-terminated; NULL: "optional": null); caller frees. */
char *wn__payload_make(const char *reference, const char *digest, const char *const *annotations, size_t *len);
/* Does the identity a signature claims name the reference verified?  *why gets the reason when not. */
bool wn__reference_matches(const char *claimed, const struct wn_ref *verified, char *why, size_t n);
/* Are the annotations "k=v" all in obj (a JSON object of strings)?  *why names the first missing. */
bool wn__annotations_match(const cJSON *obj, const char *const *want, char *why, size_t n);

/* ---- bundle.c ----------------------------------------------------------- */
struct wn__tlog_entry {
	int64_t log_index, integrated_time;
	char log_id[72];               /* hex of the key ID */
	unsigned char *set;            /* the SignedEntryTimestamp (inclusion promise); NULL: none */
	size_t set_len;
	unsigned char *body;           /* the canonicalized entry body (JSON) */
	size_t body_len;
};
void wn__tlog_entry_clear(struct wn__tlog_entry *e);

struct wn__bundle {
	int has_public_key;            /* verificationMaterial.publicKey (a key the verifier brings) */
	unsigned char **certs;         /* DER: leaf first (x509CertificateChain or certificate) */
	size_t *cert_lens, n_certs;
	struct wn__tlog_entry *tlog;
	size_t n_tlog;
	/* dsseEnvelope */
	char *payload_type;
	unsigned char *payload, *sig;
	size_t payload_len, sig_len;
};
int wn__bundle_parse(struct wn__bundle *b, const void *data, size_t len, struct wn_error *err);
void wn__bundle_clear(struct wn__bundle *b);
/* DSSE's pre-authentication encoding: "DSSEv1 LEN(type) type LEN(body) body". */
unsigned char *wn__dsse_pae(const char *type, const void *body, size_t len, size_t *out_len);
/* An in-toto statement's subject digest "alg:hex" for alg sha256 (or sha512),
 * its annotations (subject[0].annotations, owned by *doc) and predicate type. */
int wn__statement_parse(const void *data, size_t len, char *digest, size_t n, const cJSON **annotations,
                        const char **predicate_type, cJSON **doc, struct wn_error *err);

/* ---- tlog.c ------------------------------------------------------------- */
struct wn__root_ca {
	X509 *root;
	STACK_OF(X509) *intermediates;
	int64_t start, end;            /* validFor, seconds; 0: open */
};
struct wn__root_tlog {
	char log_id[72];               /* hex */
	EVP_PKEY *key;
	int64_t start, end;
};
struct wn_trusted_root {
	struct wn__root_tlog *tlogs;
	size_t n_tlogs;
	struct wn__root_ca *cas;
	size_t n_cas;
};
/* Verifies an entry's SignedEntryTimestamp with the trusted root's Rekor key
 * for its log ID, offline (sigstore-go pkg/tlog/entry.go VerifySET). */
int wn__tlog_verify_set(const struct wn_trusted_root *root, const struct wn__tlog_entry *e, struct wn_error *err);
/* The entry body's claims: a hashedrekord's hash and signature, or a dsse's
 * payload hash and signature, must be those of what was verified. */
int wn__tlog_body_check(const struct wn__tlog_entry *e, const unsigned char *payload_sha256,
                        const unsigned char *sig, size_t sig_len, struct wn_error *err);

/* ---- cert.c ------------------------------------------------------------- */
struct wn__cert_id {
	char *san;                     /* URI, else e-mail, SAN (sigstore-go SummarizeCertificate) */
	char *issuer;                  /* the OIDC issuer extension */
	int64_t not_before, not_after;
};
/* Verifies a leaf (with the chain it came with) against the Fulcio CAs of the
 * trusted root as cosign does (at the leaf's notBefore, code signing), and
 * reads its identity.  *leaf_key gets its public key. */
int wn__cert_verify(const struct wn_trusted_root *root, X509 *leaf, STACK_OF(X509) *chain, struct wn__cert_id *id,
                    struct wn_key **leaf_key, struct wn_error *err);
void wn__cert_id_clear(struct wn__cert_id *id);
/* Does the identity match the options (exact or POSIX ERE, issuer likewise)? */
bool wn__cert_id_matches(const struct wn__cert_id *id, const struct wn_verify_options *o, char *why, size_t n);

/* ---- gate (verify.c) ---------------------------------------------------- */
/* The copy gate: verifies the image `ref` (tag or digest) of src names, with
 * o, and gives the digest verified; WN_ESIGNATURE when no signature is valid. */
int wn__sign_gate(struct wn_ctx *ctx, struct wn__src *src, const char *ref, const struct wn_verify_options *o,
                  char digest[WN_DIGEST_MAX]);

#endif

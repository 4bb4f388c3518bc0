/*
 * keys.c: the keys cosign signs with, and its encrypted private-key file.
 *
 * Key types: ECDSA P-256 (cosign's default), P-384, P-521, RSA (PKCS#1 v1.5)
 * and Ed25519 (cosign pkg/cosign/keys.go GeneratePrivateKeyWithAlgorithm,
 * SupportedKeyDetails; sigstore pkg/signature/algorithm_registry.go).
 *
 * Which hash: `cosign verify --key` loads the key with SHA-256 whatever the
 * curve (cosign cmd/cosign/cli/verify/verify.go: "always default to sha256",
 * LoadVerifierFromKeyOrCert -> signature.LoadVerifier(pub, SHA256)), and an
 * Ed25519 key as plain Ed25519.  winch signs that way, so cosign verifies
 * what winch signs.  `cosign sign` itself loads a private key with
 * LoadDefaultSignerVerifier (cosign pkg/cosign/keys.go LoadPrivateKey): the
 * curve's own hash (SHA-384 for P-384, SHA-512 for P-521) and Ed25519ph for
 * Ed25519 (GetDefaultLoadOptions).  winch verifies both kinds.
 *
 * The encrypted file (cosign pkg/cosign/keys.go marshalKeyPair,
 * LoadPrivateKey): PEM type "ENCRYPTED SIGSTORE PRIVATE KEY" (cosign 2.0.1
 * and later write it, cosign #2735) or "ENCRYPTED COSIGN PRIVATE KEY" (every
 * version reads it; older containers/image reads only this one), whose body is the JSON
 * of go-securesystemslib encrypted/encrypted.go:
 *   {"kdf":{"name":"scrypt","params":{"N":65536,"r":8,"p":1},"salt":B64},
 *    "cipher":{"name":"nacl/secretbox","nonce":B64},"ciphertext":B64}
 * key = scrypt(password, salt, N, r, p, 32); plaintext = secretbox_open
 * (tag first, as NaCl's combined form) = the PKCS#8 DER of the private key.
 * Only the three scrypt parameter sets securesystemslib accepts are taken
 * (CheckParams: N 2^15, 2^16, 2^17 with r 8, p 1), so a hostile file cannot
 * make winch spend gigabytes.
 */
#include <stdlib.h>
#include <string.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/kdf.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <sodium.h>
#include "sign/sign.h"

#define PEM_COSIGN   "ENCRYPTED COSIGN PRIVATE KEY"
#define PEM_SIGSTORE "ENCRYPTED SIGSTORE PRIVATE KEY"

const char *wn_key_type_name(enum wn_key_type t)
{
	switch (t) {
	case WN_KEY_ECDSA_P256: return "ecdsa-p256";
	case WN_KEY_ECDSA_P384: return "ecdsa-p384";
	case WN_KEY_ECDSA_P521: return "ecdsa-p521";
	case WN_KEY_RSA: return "rsa";
	case WN_KEY_ED25519: return "ed25519";
	}
	return "unknown";
}

enum wn_key_type wn_key_get_type(const struct wn_key *k)
{
	return k->type;
}

void wn_key_free(struct wn_key *k)
{
	if (!k)
		return;
	EVP_PKEY_free(k->pkey);
	free(k);
}

int wn__key_wrap(struct wn_key **out, EVP_PKEY *pk, int is_private, const char *what, struct wn_error *err)
{
	enum wn_key_type t = 0;
	char curve[64] = "";
	*out = NULL;
	if (EVP_PKEY_is_a(pk, "EC")) {
		size_t n = 0;
		EVP_PKEY_get_utf8_string_param(pk, OSSL_PKEY_PARAM_GROUP_NAME, curve, sizeof curve, &n);
		t = !strcmp(curve, "prime256v1") || !strcmp(curve, "P-256") ? WN_KEY_ECDSA_P256
		  : !strcmp(curve, "secp384r1") || !strcmp(curve, "P-384") ? WN_KEY_ECDSA_P384
		  : !strcmp(curve, "secp521r1") || !strcmp(curve, "P-521") ? WN_KEY_ECDSA_P521 : 0;
		if (!t) {
			EVP_PKEY_free(pk);
			return wn__error_set(err, WN_EUNSUPPORTED, "%s: an ECDSA key on the curve %s: only P-256, P-384 and "
			                     "P-521 are supported", what, *curve ? curve : "(unnamed)");
		}
	} else if (EVP_PKEY_is_a(pk, "RSA")) {
		/* sigstore's goodkey refuses RSA under 2048 bits (cryptoutils/goodkey) */
		int bits = EVP_PKEY_get_bits(pk);
		if (bits < 2048 || bits > 8192) {
			EVP_PKEY_free(pk);
			return wn__error_set(err, WN_EUNSUPPORTED, "%s: an RSA key of %d bits: 2048 to 8192 are supported",
			                     what, bits);
		}
		t = WN_KEY_RSA;
	} else if (EVP_PKEY_is_a(pk, "ED25519")) {
		t = WN_KEY_ED25519;
	} else {
		const char *name = EVP_PKEY_get0_type_name(pk);
		EVP_PKEY_free(pk);
		return wn__error_set(err, WN_EUNSUPPORTED, "%s: a key of type %s is not supported (ECDSA P-256, P-384, "
		                     "P-521, RSA or Ed25519)", what, name ? name : "unknown");
	}
	struct wn_key *k = calloc(1, sizeof *k);
	if (!k) {
		EVP_PKEY_free(pk);
		return wn__error_set(err, WN_ENOMEM, "out of memory");
	}
	k->pkey = pk;
	k->type = t;
	k->is_private = is_private;
	*out = k;
	return WN_OK;
}

/* The first PEM block of the text: its type and decoded body. */
static int pem_first(const void *pem, size_t len, char **type, unsigned char **data, long *dlen, const char *what,
                     struct wn_error *err)
{
	BIO *b = BIO_new_mem_buf(pem, len > INT32_MAX ? INT32_MAX : (int)len);
	char *header = NULL;
	*type = NULL;
	*data = NULL;
	int ok = b && PEM_read_bio(b, type, &header, data, dlen) == 1;
	OPENSSL_free(header);
	BIO_free(b);
	if (!ok) {
		OPENSSL_free(*type);
		OPENSSL_free(*data);
		*type = NULL;
		*data = NULL;
		return wn__error_set(err, WN_ECORRUPT, "%s is not a PEM file (no well-formed -----BEGIN ...----- block)", what);
	}
	return WN_OK;
}

int wn_key_load_public(struct wn_key **out, const void *pem, size_t len, struct wn_error *err)
{
	char *type;
	unsigned char *data;
	long dlen;
	*out = NULL;
	if (pem_first(pem, len, &type, &data, &dlen, "the key", err) != WN_OK)
		return err->code;
	int rc;
	if (strcmp(type, "PUBLIC KEY")) {
		bool priv = strstr(type, "PRIVATE KEY") != NULL;
		rc = wn__error_set(err, WN_EINVAL, "the key is a PEM \"%s\", not a \"PUBLIC KEY\"%s", type,
		                   priv ? ": verifying takes the public key (cosign.pub)" : "");
	} else {
		const unsigned char *p = data;
		EVP_PKEY *pk = d2i_PUBKEY(NULL, &p, dlen);
		if (!pk || p != data + dlen) {
			EVP_PKEY_free(pk);
			rc = wn__error_set(err, WN_ECORRUPT, "the PEM \"PUBLIC KEY\" does not hold a valid public key");
		} else {
			rc = wn__key_wrap(out, pk, 0, "the public key", err);
		}
	}
	OPENSSL_free(type);
	OPENSSL_free(data);
	return rc;
}

int wn_key_is_encrypted(const void *pem, size_t len)
{
	struct wn_error err;
	char *type;
	unsigned char *data;
	long dlen;
	if (pem_first(pem, len, &type, &data, &dlen, "the key", &err) != WN_OK)
		return 0;
	int yes = !strcmp(type, PEM_COSIGN) || !strcmp(type, PEM_SIGSTORE);
	OPENSSL_free(type);
	OPENSSL_free(data);
	return yes;
}

/* scrypt(password, salt, N, r, p) into key[32] through OpenSSL 3's EVP_KDF "SCRYPT". */
static int scrypt32(const char *password, const unsigned char *salt, size_t salt_len, uint64_t N, uint32_t r,
                    uint32_t p, unsigned char key[32])
{
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "SCRYPT", NULL);
	EVP_KDF_CTX *kctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
	uint64_t maxmem = 256u << 20; /* N 2^17, r 8: 128 MiB */
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PASSWORD, (void *)password, strlen(password)),
		OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt, salt_len),
		OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_N, &N),
		OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_R, &r),
		OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_P, &p),
		OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_MAXMEM, &maxmem),
		OSSL_PARAM_construct_end(),
	};
	int ok = kctx && EVP_KDF_derive(kctx, key, 32, params) == 1;
	EVP_KDF_CTX_free(kctx);
	EVP_KDF_free(kdf);
	return ok ? 0 : -1;
}

/* A JSON number that is one of the integers securesystemslib allows. */
static bool json_int(const cJSON *o, const char *key, int64_t *v)
{
	const cJSON *n = cJSON_GetObjectItemCaseSensitive(o, key);
	if (!cJSON_IsNumber(n) || n->valuedouble < 0 || n->valuedouble > 1e9 || n->valuedouble != (double)(int64_t)n->valuedouble)
		return false;
	*v = (int64_t)n->valuedouble;
	return true;
}

/* cosign's encrypted body -> PKCS#8 DER (caller frees with free, after wiping). */
static int decrypt_cosign(const unsigned char *body, size_t len, const char *password, unsigned char **der,
                          size_t *der_len, struct wn_error *err)
{
	cJSON *j = wn__json_parse(body, len);
	const cJSON *kdf = cJSON_GetObjectItemCaseSensitive(j, "kdf"), *cipher = cJSON_GetObjectItemCaseSensitive(j, "cipher");
	const cJSON *params = cJSON_GetObjectItemCaseSensitive(kdf, "params");
	const char *kname = wn__json_str(kdf, "name"), *cname = wn__json_str(cipher, "name");
	const char *salt_b = wn__json_str(kdf, "salt"), *nonce_b = wn__json_str(cipher, "nonce"), *ct_b = wn__json_str(j, "ciphertext");
	unsigned char *salt = NULL, *nonce = NULL, *ct = NULL, key[32];
	size_t salt_len = 0, nonce_len = 0, ct_len = 0;
	int64_t N = 0, r = 0, p = 0;
	int rc = WN_OK;
	*der = NULL;
	if (!cJSON_IsObject(j)) {
		rc = wn__error_set(err, WN_ECORRUPT, "the encrypted cosign key does not hold JSON");
		goto done;
	}
	if (!kname || strcmp(kname, "scrypt") || !cname || strcmp(cname, "nacl/secretbox")) {
		rc = wn__error_set(err, WN_EUNSUPPORTED, "the encrypted cosign key uses kdf \"%s\" and cipher \"%s\": only "
		                   "scrypt and nacl/secretbox are known", kname ? kname : "", cname ? cname : "");
		goto done;
	}
	if (!json_int(params, "N", &N) || !json_int(params, "r", &r) || !json_int(params, "p", &p) ||
	    !((N == 32768 || N == 65536 || N == 131072) && r == 8 && p == 1)) {
		rc = wn__error_set(err, WN_EUNSUPPORTED, "the encrypted cosign key has scrypt parameters other than "
		                   "securesystemslib's (N 32768, 65536 or 131072; r 8; p 1)");
		goto done;
	}
	if (!salt_b || !nonce_b || !ct_b || !(salt = wn__b64_any(salt_b, 1024, &salt_len)) ||
	    !(nonce = wn__b64_any(nonce_b, 64, &nonce_len)) || !(ct = wn__b64_any(ct_b, WN__KEY_FILE_MAX, &ct_len)) ||
	    nonce_len != crypto_secretbox_NONCEBYTES || ct_len < crypto_secretbox_MACBYTES) {
		rc = wn__error_set(err, WN_ECORRUPT, "the encrypted cosign key lacks a valid salt, nonce or ciphertext");
		goto done;
	}
	if (sodium_init() < 0 || scrypt32(password ? password : "", salt, salt_len, (uint64_t)N, (uint32_t)r, (uint32_t)p, key)) {
		rc = wn__error_set(err, WN_ERROR, "scrypt failed (OpenSSL's SCRYPT KDF)");
		goto done;
	}
	*der_len = ct_len - crypto_secretbox_MACBYTES;
	if (!(*der = malloc(*der_len + 1))) {
		rc = wn__error_set(err, WN_ENOMEM, "out of memory");
		goto done;
	}
	if (crypto_secretbox_open_easy(*der, ct, ct_len, nonce, key)) {
		free(*der);
		*der = NULL;
		rc = wn__error_set(err, WN_EAUTH, "cannot decrypt the cosign key: wrong password (COSIGN_PASSWORD), or a "
		                   "damaged file");
	}
done:
	OPENSSL_cleanse(key, sizeof key);
	free(salt);
	free(nonce);
	free(ct);
	cJSON_Delete(j);
	return rc;
}

int wn_key_load_private(struct wn_key **out, const void *pem, size_t len, const char *password, struct wn_error *err)
{
	char *type;
	unsigned char *data, *plain = NULL;
	long dlen;
	size_t plain_len = 0;
	int rc = WN_OK;
	*out = NULL;
	if (pem_first(pem, len, &type, &data, &dlen, "the key", err) != WN_OK)
		return err->code;
	const unsigned char *p = data, *end = data + dlen;
	EVP_PKEY *pk = NULL;
	if (!strcmp(type, PEM_COSIGN) || !strcmp(type, PEM_SIGSTORE)) {
		if ((rc = decrypt_cosign(data, (size_t)dlen, password, &plain, &plain_len, err)) != WN_OK)
			goto done;
		p = plain;
		end = plain + plain_len;
		pk = d2i_AutoPrivateKey(NULL, &p, (long)plain_len);
	} else if (!strcmp(type, "PRIVATE KEY") || !strcmp(type, "EC PRIVATE KEY") || !strcmp(type, "RSA PRIVATE KEY")) {
		/* PKCS#8, SEC1 and PKCS#1 (cosign ImportKeyPair takes the same three) */
		pk = d2i_AutoPrivateKey(NULL, &p, dlen);
	} else if (!strcmp(type, "PUBLIC KEY")) {
		rc = wn__error_set(err, WN_EINVAL, "the key is a PEM \"PUBLIC KEY\": signing takes the private key (cosign.key)");
		goto done;
	} else if (!strcmp(type, "ENCRYPTED PRIVATE KEY")) {
		rc = wn__error_set(err, WN_EUNSUPPORTED, "the key is a PKCS#8 \"ENCRYPTED PRIVATE KEY\": decrypt it with "
		                   "`openssl pkey`, or import it with `cosign import-key-pair`");
		goto done;
	} else {
		rc = wn__error_set(err, WN_EINVAL, "the key is a PEM \"%s\", not a private key", type);
		goto done;
	}
	if (!pk || p != end) {
		EVP_PKEY_free(pk);
		rc = wn__error_set(err, WN_ECORRUPT, "the PEM \"%s\" does not hold a valid private key", type);
		goto done;
	}
	rc = wn__key_wrap(out, pk, 1, "the private key", err);
done:
	if (plain) {
		OPENSSL_cleanse(plain, plain_len);
		free(plain);
	}
	OPENSSL_cleanse(data, (size_t)dlen);
	OPENSSL_free(type);
	OPENSSL_free(data);
	return rc;
}

int wn_key_generate(struct wn_key **out, enum wn_key_type type, int rsa_bits, struct wn_error *err)
{
	EVP_PKEY *pk = NULL;
	*out = NULL;
	switch (type) {
	case WN_KEY_ECDSA_P256: pk = EVP_EC_gen("P-256"); break;
	case WN_KEY_ECDSA_P384: pk = EVP_EC_gen("P-384"); break;
	case WN_KEY_ECDSA_P521: pk = EVP_EC_gen("P-521"); break;
	case WN_KEY_RSA: pk = EVP_RSA_gen(rsa_bits ? (unsigned)rsa_bits : 2048); break;
	case WN_KEY_ED25519: pk = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519"); break;
	}
	if (!pk)
		return wn__error_set(err, WN_ERROR, "cannot generate a %s key", wn_key_type_name(type));
	return wn__key_wrap(out, pk, 1, "the generated key", err);
}

static char *pem_text(const char *type, const unsigned char *data, size_t len)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *out = NULL, *p;
	if (b && PEM_write_bio(b, type, "", data, (long)len) > 0) {
		long n = BIO_get_mem_data(b, &p);
		if (n > 0 && (out = malloc((size_t)n + 1))) {
			memcpy(out, p, (size_t)n);
			out[n] = 0;
		}
	}
	BIO_free(b);
	return out;
}

int wn__key_spki(const struct wn_key *k, unsigned char **der, size_t *len)
{
	unsigned char *d = NULL;
	int n = i2d_PUBKEY(k->pkey, &d);
	if (n <= 0)
		return WN_ERROR;
	*der = malloc((size_t)n);
	if (*der)
		memcpy(*der, d, (size_t)n);
	*len = (size_t)n;
	OPENSSL_free(d);
	return *der ? WN_OK : WN_ENOMEM;
}

int wn_key_export(char **private_pem, char **public_pem, const struct wn_key *k, const char *password,
                  struct wn_error *err)
{
	unsigned char *der = NULL, *spki = NULL, salt[32], nonce[crypto_secretbox_NONCEBYTES], key[32], *ct = NULL;
	size_t spki_len = 0;
	int der_len, rc = WN_OK;
	cJSON *j = NULL;
	char *body = NULL, *s_b = NULL, *n_b = NULL, *c_b = NULL;
	*private_pem = *public_pem = NULL;
	if (!k->is_private)
		return wn__error_set(err, WN_EINVAL, "a public key cannot be exported as a private key");
	if ((der_len = i2d_PrivateKey(k->pkey, &der)) <= 0 || wn__key_spki(k, &spki, &spki_len) != WN_OK) {
		rc = wn__error_set(err, WN_ERROR, "cannot encode the key");
		goto done;
	}
	/* i2d_PrivateKey gives PKCS#8 for Ed25519 but the traditional form for EC
	 * and RSA: PKCS#8 for all, as x509.MarshalPKCS8PrivateKey writes it */
	PKCS8_PRIV_KEY_INFO *p8 = EVP_PKEY2PKCS8(k->pkey);
	OPENSSL_clear_free(der, (size_t)der_len);
	der = NULL;
	der_len = p8 ? i2d_PKCS8_PRIV_KEY_INFO(p8, &der) : -1;
	PKCS8_PRIV_KEY_INFO_free(p8);
	if (der_len <= 0) {
		rc = wn__error_set(err, WN_ERROR, "cannot encode the key as PKCS#8");
		goto done;
	}
	/* securesystemslib's default parameters (Standard: N 2^16, r 8, p 1) */
	if (sodium_init() < 0 || RAND_bytes(salt, sizeof salt) != 1 || RAND_bytes(nonce, sizeof nonce) != 1 ||
	    scrypt32(password ? password : "", salt, sizeof salt, 65536, 8, 1, key) ||
	    !(ct = malloc((size_t)der_len + crypto_secretbox_MACBYTES))) {
		rc = wn__error_set(err, WN_ERROR, "cannot encrypt the key (random bytes, scrypt or memory)");
		goto done;
	}
	crypto_secretbox_easy(ct, der, (unsigned long long)der_len, nonce, key);
	j = cJSON_CreateObject();
	cJSON *kdf = cJSON_AddObjectToObject(j, "kdf"), *params, *cipher;
	cJSON_AddStringToObject(kdf, "name", "scrypt");
	params = cJSON_AddObjectToObject(kdf, "params");
	cJSON_AddNumberToObject(params, "N", 65536);
	cJSON_AddNumberToObject(params, "r", 8);
	cJSON_AddNumberToObject(params, "p", 1);
	cJSON_AddStringToObject(kdf, "salt", s_b = wn__b64_encode(salt, sizeof salt));
	cipher = cJSON_AddObjectToObject(j, "cipher");
	cJSON_AddStringToObject(cipher, "name", "nacl/secretbox");
	cJSON_AddStringToObject(cipher, "nonce", n_b = wn__b64_encode(nonce, sizeof nonce));
	cJSON_AddStringToObject(j, "ciphertext", c_b = wn__b64_encode(ct, (size_t)der_len + crypto_secretbox_MACBYTES));
	if (!s_b || !n_b || !c_b || !(body = cJSON_PrintUnformatted(j)) ||
	    !(*private_pem = pem_text(PEM_COSIGN, (unsigned char *)body, strlen(body))) ||
	    !(*public_pem = pem_text("PUBLIC KEY", spki, spki_len))) {
		free(*private_pem);
		*private_pem = NULL;
		rc = wn__error_set(err, WN_ENOMEM, "out of memory");
	}
done:
	OPENSSL_cleanse(key, sizeof key);
	if (der)
		OPENSSL_clear_free(der, (size_t)der_len);
	free(spki);
	free(ct);
	free(s_b);
	free(n_b);
	free(c_b);
	free(body);
	cJSON_Delete(j);
	return rc;
}

/* ---- signing and verifying ---------------------------------------------- */

static int digest_sign(EVP_PKEY *pk, const EVP_MD *md, const void *data, size_t len, unsigned char **sig, size_t *sig_len)
{
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	size_t n = 0;
	int ok = m && EVP_DigestSignInit(m, NULL, md, NULL, pk) == 1 && EVP_DigestSign(m, NULL, &n, data, len) == 1 &&
	         (*sig = malloc(n)) && EVP_DigestSign(m, *sig, &n, data, len) == 1;
	EVP_MD_CTX_free(m);
	if (!ok)
		return -1;
	*sig_len = n;
	return 0;
}

int wn__key_sign(const struct wn_key *k, const void *data, size_t len, unsigned char **sig, size_t *sig_len,
                 struct wn_error *err)
{
	*sig = NULL;
	if (!k->is_private)
		return wn__error_set(err, WN_EINVAL, "signing needs a private key");
	/* SHA-256 for ECDSA (any curve) and RSA PKCS#1 v1.5, plain Ed25519: what
	 * `cosign verify --key` checks by default (see the top of this file) */
	if (digest_sign(k->pkey, k->type == WN_KEY_ED25519 ? NULL : EVP_sha256(), data, len, sig, sig_len)) {
		free(*sig);
		*sig = NULL;
		return wn__error_set(err, WN_ERROR, "signing with the %s key failed", wn_key_type_name(k->type));
	}
	return WN_OK;
}

static bool digest_verify(EVP_PKEY *pk, const EVP_MD *md, const void *data, size_t len, const unsigned char *sig,
                          size_t sig_len)
{
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	bool ok = m && EVP_DigestVerifyInit(m, &pctx, md, NULL, pk) == 1 &&
	          (!EVP_PKEY_is_a(pk, "RSA") || EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) == 1) &&
	          EVP_DigestVerify(m, sig, sig_len, data, len) == 1;
	EVP_MD_CTX_free(m);
	return ok;
}

/* Ed25519ph (RFC 8032, empty context): libsodium's multi-part API is exactly
 * that (crypto_sign_init/update/final_verify), which OpenSSL 3.0 lacks. */
static bool ed25519ph_verify(EVP_PKEY *pk, const void *data, size_t len, const unsigned char *sig, size_t sig_len)
{
	unsigned char raw[32];
	size_t raw_len = sizeof raw;
	crypto_sign_state st;
	if (sig_len != crypto_sign_BYTES || EVP_PKEY_get_raw_public_key(pk, raw, &raw_len) != 1 || raw_len != 32 ||
	    sodium_init() < 0)
		return false;
	crypto_sign_init(&st);
	crypto_sign_update(&st, data, len);
	return crypto_sign_final_verify(&st, sig, raw) == 0;
}

const char *wn__key_verify(const struct wn_key *k, const void *data, size_t len, const unsigned char *sig,
                           size_t sig_len)
{
	switch (k->type) {
	case WN_KEY_ECDSA_P256:
		return digest_verify(k->pkey, EVP_sha256(), data, len, sig, sig_len) ? "ecdsa-p256-sha256" : NULL;
	case WN_KEY_ECDSA_P384:
		if (digest_verify(k->pkey, EVP_sha256(), data, len, sig, sig_len))
			return "ecdsa-p384-sha256";
		return digest_verify(k->pkey, EVP_sha384(), data, len, sig, sig_len) ? "ecdsa-p384-sha384" : NULL;
	case WN_KEY_ECDSA_P521:
		if (digest_verify(k->pkey, EVP_sha256(), data, len, sig, sig_len))
			return "ecdsa-p521-sha256";
		return digest_verify(k->pkey, EVP_sha512(), data, len, sig, sig_len) ? "ecdsa-p521-sha512" : NULL;
	case WN_KEY_RSA:
		return digest_verify(k->pkey, EVP_sha256(), data, len, sig, sig_len) ? "rsa-pkcs1v15-sha256" : NULL;
	case WN_KEY_ED25519:
		if (digest_verify(k->pkey, NULL, data, len, sig, sig_len))
			return "ed25519";
		return ed25519ph_verify(k->pkey, data, len, sig, sig_len) ? "ed25519ph" : NULL;
	}
	return NULL;
}

/* ---- base64 as protojson and Go write it --------------------------------- */
unsigned char *wn__b64_any(const char *s, size_t max, size_t *out_len)
{
	size_t n = strlen(s), o = 0;
	uint32_t acc = 0;
	int bits = 0;
	while (n && s[n - 1] == '=')
		n--;
	if (n / 4 * 3 > max || n % 4 == 1)
		return NULL;
	unsigned char *out = malloc(n / 4 * 3 + 3);
	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)s[i], v;
		if (c >= 'A' && c <= 'Z')
			v = c - 'A';
		else if (c >= 'a' && c <= 'z')
			v = c - 'a' + 26;
		else if (c >= '0' && c <= '9')
			v = c - '0' + 52;
		else if (c == '+' || c == '-')
			v = 62;
		else if (c == '/' || c == '_')
			v = 63;
		else {
			free(out);
			return NULL;
		}
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)(acc >> bits);
		}
	}
	out[o] = 0;
	*out_len = o;
	return out;
}

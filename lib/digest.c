/*
 * digest.c: "algorithm:hex" digests and a streaming verifier, so content is
 * hashed while it flows and never needs to be held whole.
 */
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>
#include "internal.h"

struct wn_hasher {
	EVP_MD_CTX *md;
	const char *alg;
};

static const EVP_MD *md_for(const char *alg, size_t n, size_t *hexlen)
{
	if (n == 6 && !strncmp(alg, "sha256", 6)) {
		*hexlen = 64;
		return EVP_sha256();
	}
	if (n == 6 && !strncmp(alg, "sha512", 6)) {
		*hexlen = 128;
		return EVP_sha512();
	}
	/* go-digest's third algorithm: docker accepts it in references */
	if (n == 6 && !strncmp(alg, "sha384", 6)) {
		*hexlen = 96;
		return EVP_sha384();
	}
	return NULL;
}

int wn_digest_validate(const char *s, struct wn_error *err)
{
	const char *colon = s ? strchr(s, ':') : NULL;
	size_t hexlen;
	if (!colon || colon == s)
		return wn__error_set(err, WN_EINVAL, "invalid digest \"%s\": expected ALGORITHM:HEX", s ? s : "");
	if (!md_for(s, (size_t)(colon - s), &hexlen)) {
		for (const char *p = s; p < colon; p++)
			if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || strchr("+._-", *p)))
				return wn__error_set(err, WN_EINVAL, "invalid digest \"%s\": bad algorithm", s);
		return wn__error_set(err, WN_EUNSUPPORTED, "unsupported digest algorithm \"%.*s\" (sha256, sha384 and sha512 are)",
		                     (int)(colon - s), s);
	}
	const char *hex = colon + 1;
	if (strlen(hex) != hexlen)
		return wn__error_set(err, WN_EINVAL, "invalid digest \"%s\": %.*s needs %zu hex characters", s,
		                     (int)(colon - s), s, hexlen);
	for (const char *p = hex; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return wn__error_set(err, WN_EINVAL, "invalid digest \"%s\": hex must be lower-case 0-9a-f", s);
	return WN_OK;
}

int wn_hasher_new(struct wn_hasher **out, const char *alg_or_digest, struct wn_error *err)
{
	size_t n = strcspn(alg_or_digest, ":"), hexlen;
	const EVP_MD *md = md_for(alg_or_digest, n, &hexlen);
	*out = NULL;
	if (!md)
		return wn__error_set(err, WN_EUNSUPPORTED, "unsupported digest algorithm \"%.*s\"", (int)n,
		                     alg_or_digest);
	struct wn_hasher *h = calloc(1, sizeof *h);
	if (!h || !(h->md = EVP_MD_CTX_new()) || !EVP_DigestInit_ex(h->md, md, NULL)) {
		wn_hasher_free(h);
		return wn__error_set(err, WN_ENOMEM, "out of memory");
	}
	h->alg = hexlen == 64 ? "sha256" : hexlen == 96 ? "sha384" : "sha512";
	*out = h;
	return WN_OK;
}

void wn_hasher_update(struct wn_hasher *h, const void *data, size_t len)
{
	EVP_DigestUpdate(h->md, data, len);
}

void wn__hex(char *out, size_t size, const unsigned char *d, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;
	if (!size)
		return;
	for (size_t i = 0; i < len && o + 2 < size; i++) {
		out[o++] = hex[d[i] >> 4];
		out[o++] = hex[d[i] & 15];
	}
	out[o] = 0;
}

void wn_hasher_final(struct wn_hasher *h, char out[WN_DIGEST_MAX])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	EVP_DigestFinal_ex(h->md, md, &n);
	size_t off = (size_t)snprintf(out, WN_DIGEST_MAX, "%s:", h->alg);
	wn__hex(out + off, WN_DIGEST_MAX - off, md, n);
}

void wn_hasher_free(struct wn_hasher *h)
{
	if (!h)
		return;
	EVP_MD_CTX_free(h->md);
	free(h);
}

void wn_digest_sha256(char out[WN_DIGEST_MAX], const void *data, size_t len)
{
	struct wn_hasher *h;
	if (wn_hasher_new(&h, "sha256", NULL) != WN_OK) {
		out[0] = 0;
		return;
	}
	wn_hasher_update(h, data, len);
	wn_hasher_final(h, out);
	wn_hasher_free(h);
}

int wn__hasher_copy(struct wn_hasher *dst, const struct wn_hasher *src)
{
	if (!EVP_MD_CTX_copy_ex(dst->md, src->md))
		return WN_ENOMEM;
	dst->alg = src->alg;
	return WN_OK;
}

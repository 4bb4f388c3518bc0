/* Unit tests: lib/sign's pure parts: payloads, the reference rule, DSSE's
 * PAE, protojson base64, keys (sign/verify, cosign's encrypted file). */
#include <stdlib.h>
#include "harness.h"
#include "sign/sign.h"

static void payloads(void)
{
	struct wn__payload p;
	struct wn_error err;
	size_t len;
	const char *const ann[] = { "env=prod", "env=dev", NULL };
	char *s = wn__payload_make("ghcr.io/org/app", "sha256:" "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
	                           ann, &len);
	/* cosign's bytes: Go's json.Marshal of SimpleContainerImage, the last -a value of a key */
	CHECK_STR(s, "{\"critical\":{\"identity\":{\"docker-reference\":\"ghcr.io/org/app\"},\"image\":{\"docker-manifest-digest\":"
	             "\"sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\"},\"type\":\"cosign container "
	             "image signature\"},\"optional\":{\"env\":\"dev\"}}");
	CHECK(wn__payload_parse(&p, s, len, &err) == WN_OK);
	CHECK_STR(p.reference, "ghcr.io/org/app");
	char why[256] = "";
	const char *const want[] = { "env=dev", NULL }, *const other[] = { "env=prod", NULL };
	CHECK(wn__annotations_match(p.optional, want, why, sizeof why));
	CHECK(!wn__annotations_match(p.optional, other, why, sizeof why));
	CHECK_STR(why, "its annotation env is \"dev\", not \"prod\"");
	wn__payload_clear(&p);
	free(s);
	s = wn__payload_make("r/x", "sha256:" "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", NULL, &len);
	CHECK(strstr(s, "\"optional\":null") != NULL);
	free(s);
	CHECK(wn__payload_parse(&p, "{}", 2, &err) == WN_ECORRUPT);
	CHECK_STR(err.msg, "the payload has no \"critical\" object");
	CHECK(wn__payload_parse(&p, "[1", 2, &err) == WN_ECORRUPT);
	CHECK_STR(err.msg, "the payload is not JSON");
}

static void references(void)
{
	struct wn_ref *tag = NULL, *dg = NULL;
	char why[512];
	wn_ref_parse(&tag, "docker.io/library/app:1", 0, NULL);
	wn_ref_parse(&dg, "app@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", 0, NULL);
	CHECK(wn__reference_matches("index.docker.io/library/app", tag, why, sizeof why)); /* cosign's spelling of Hub */
	CHECK(wn__reference_matches("app:1", tag, why, sizeof why));
	CHECK(!wn__reference_matches("app:2", tag, why, sizeof why));
	CHECK_STR(why, "it names the tag 2, not 1 (--allow-reference-mismatch accepts it)");
	CHECK(wn__reference_matches("app:2", dg, why, sizeof why)); /* by digest: any tag of the repository */
	CHECK(!wn__reference_matches("ghcr.io/app", tag, why, sizeof why));
	CHECK(!wn__reference_matches("NOT A REF", tag, why, sizeof why));
	wn_ref_free(tag);
	wn_ref_free(dg);
}

static void encodings(void)
{
	size_t n;
	unsigned char *b = wn__b64_any("aGk-_w", 100, &n); /* URL-safe, unpadded */
	CHECK(b && n == 4 && b[0] == 'h' && b[1] == 'i' && b[2] == 0x3e && b[3] == 0xff);
	free(b);
	CHECK(wn__b64_any("a", 100, &n) == NULL);
	CHECK(wn__b64_any("ab*c", 100, &n) == NULL);
	unsigned char *pae = wn__dsse_pae("application/vnd.in-toto+json", "{}", 2, &n);
	CHECK(pae && n == 43 && !memcmp(pae, "DSSEv1 28 application/vnd.in-toto+json 2 {}", 43));
	free(pae);
}

static void keys(void)
{
	static const enum wn_key_type types[] = { WN_KEY_ECDSA_P256, WN_KEY_ECDSA_P384, WN_KEY_ECDSA_P521, WN_KEY_RSA,
		                                      WN_KEY_ED25519 };
	struct wn_error err;
	for (size_t i = 0; i < sizeof types / sizeof *types; i++) {
		struct wn_key *k = NULL, *back = NULL, *pub = NULL, *none = NULL;
		char *priv_pem = NULL, *pub_pem = NULL;
		unsigned char *sig = NULL;
		size_t sig_len = 0;
		CHECK(wn_key_generate(&k, types[i], 0, &err) == WN_OK);
		CHECK(wn_key_export(&priv_pem, &pub_pem, k, "pw", &err) == WN_OK);
		CHECK(priv_pem && !strncmp(priv_pem, "-----BEGIN ENCRYPTED COSIGN PRIVATE KEY-----", 44));
		CHECK(wn_key_is_encrypted(priv_pem, strlen(priv_pem)));
		CHECK(wn_key_load_private(&back, priv_pem, strlen(priv_pem), "wrong", &err) == WN_EAUTH);
		CHECK(wn_key_load_private(&back, priv_pem, strlen(priv_pem), "pw", &err) == WN_OK);
		CHECK(wn_key_load_public(&pub, pub_pem, strlen(pub_pem), &err) == WN_OK);
		CHECK(back && pub && wn_key_get_type(pub) == types[i]);
		if (back && pub) {
			CHECK(wn__key_sign(back, "payload", 7, &sig, &sig_len, &err) == WN_OK);
			CHECK(wn__key_verify(pub, "payload", 7, sig, sig_len) != NULL);
			CHECK(wn__key_verify(pub, "payloaD", 7, sig, sig_len) == NULL);
		}
		CHECK(wn_key_load_public(&none, priv_pem, strlen(priv_pem), &err) == WN_EINVAL && !none);
		free(sig);
		free(priv_pem);
		free(pub_pem);
		wn_key_free(k);
		wn_key_free(back);
		wn_key_free(pub);
	}
}

int main(void)
{
	payloads();
	references();
	encodings();
	keys();
	return TEST_DONE();
}

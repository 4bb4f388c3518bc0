/* Fuzz target: key files (lib/sign/keys.c): PEM public keys, private keys
 * and cosign's encrypted key file (with a fixed password). */
#include "fuzz.h"
#include "sign/sign.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	struct wn_key *k = NULL;
	struct wn_error err;
	if (wn_key_load_public(&k, d, n, &err) == WN_OK) {
		static const unsigned char sig[8] = { 0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01 };
		wn__key_verify(k, d, n, sig, sizeof sig);
		wn_key_free(k);
	}
	wn_key_is_encrypted(d, n);
	if (wn_key_load_private(&k, d, n, "s3cret", &err) == WN_OK)
		wn_key_free(k);
	size_t len;
	char *s = fuzz_cstr(d, n);
	unsigned char *b = s ? wn__b64_any(s, 1u << 20, &len) : NULL;
	free(b);
	free(s);
	return 0;
}

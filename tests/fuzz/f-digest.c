/* Fuzz target: digest validation and the hasher's algorithm choice. */
#include "fuzz.h"
#include "winch.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	char *s = fuzz_cstr(d, n);
	struct wn_error e;
	struct wn_hasher *h;
	if (s) {
		wn_digest_validate(s, &e);
		if (wn_hasher_new(&h, s, &e) == WN_OK) {
			char out[WN_DIGEST_MAX];
			wn_hasher_update(h, d, n);
			wn_hasher_final(h, out);
			wn_hasher_free(h);
		}
	}
	free(s);
	return 0;
}

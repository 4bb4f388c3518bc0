/* Fuzz target: image references. A parsed reference must print and re-parse to itself. */
#include "fuzz.h"
#include "winch.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	char *s = fuzz_cstr(d, n);
	struct wn_ref *r, *r2;
	struct wn_error e;
	if (s && wn_ref_parse(&r, s, WN_REF_DEFAULT_TAG, &e) == WN_OK) {
		char *str = wn_ref_string(r);
		if (wn_ref_parse(&r2, str, 0, &e) != WN_OK || strcmp(r->repository, r2->repository) ||
		    strcmp(r->registry, r2->registry))
			abort();
		wn_ref_free(r2);
		free(str);
		wn_ref_free(r);
	}
	free(s);
	return 0;
}

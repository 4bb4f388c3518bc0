/* Fuzz target: WWW-Authenticate challenges. */
#include "fuzz.h"
#include "internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	char *s = fuzz_cstr(d, n);
	struct wn__challenge c;
	struct wn_error e;
	if (s && wn__challenge_parse(&c, s, &e) == WN_OK)
		wn__challenge_free(&c);
	free(s);
	return 0;
}

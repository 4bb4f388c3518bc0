/* Fuzz target: registry error bodies. */
#include "fuzz.h"
#include "internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	struct wn__regerr re;
	wn__regerr_parse(&re, d, n);
	if (memchr(re.message, '\n', sizeof re.message))
		abort();
	return 0;
}

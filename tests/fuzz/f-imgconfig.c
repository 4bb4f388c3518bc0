/* Fuzz target: image config blobs. */
#include "fuzz.h"
#include "winch.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	struct wn_image_config *c;
	struct wn_error e;
	if (wn_image_config_parse(&c, d, n, &e) == WN_OK)
		wn_image_config_free(c);
	return 0;
}

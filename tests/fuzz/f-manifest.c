/* Fuzz target: manifests and indexes (bytes are kept exactly). */
#include "fuzz.h"
#include "winch.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	struct wn_manifest *m;
	struct wn_error e;
	if (wn_manifest_parse(&m, d, n, NULL, &e) == WN_OK) {
		if (m->len != n || memcmp(m->data, d, n))
			abort();
		wn_manifest_free(m);
	}
	return 0;
}

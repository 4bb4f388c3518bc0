/* Fuzz target: cosign simple-signing payloads, the reference rule and the
 * annotation check (lib/sign/payload.c), and the in-toto statement of a bundle. */
#include "fuzz.h"
#include "sign/sign.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	struct wn__payload p;
	struct wn_error err;
	if (wn__payload_parse(&p, d, n, &err) == WN_OK) {
		struct wn_ref *ref = NULL;
		char why[512];
		static const char *const want[] = { "a=b", "noequals", NULL };
		if (wn_ref_parse(&ref, "registry.example/app:1", 0, NULL) == WN_OK)
			wn__reference_matches(p.reference, ref, why, sizeof why);
		wn__annotations_match(p.optional, want, why, sizeof why);
		wn_ref_free(ref);
		wn__payload_clear(&p);
	}
	char digest[WN_DIGEST_MAX];
	const cJSON *ann;
	const char *pt;
	cJSON *doc = NULL;
	if (wn__statement_parse(d, n, digest, sizeof digest, &ann, &pt, &doc, &err) == WN_OK)
		cJSON_Delete(doc);
	return 0;
}

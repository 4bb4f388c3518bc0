/* Fuzz target: ECR lifecycle policies, parsed and, when accepted, evaluated
 * over a small fixed repository (tagged, untagged, undated and long-tagged
 * images) so the rule matching and ranking run on whatever the parser lets through. */
#include "fuzz.h"
#include "winch.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	static char *const t1[] = { "v1.0", "prod-1" }, *const t2[] = { "v1.1", "beta-2", "latest" },
	                   *const t3[] = { "sha-0123abc" },
	                   *const t4[] = { "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	                                   "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" };
	static const int64_t now = 1700000000;
	const struct wn_ret_image imgs[] = {
		{ "sha256:01", t1, 2, now - 40 * 86400 }, { "sha256:02", t2, 3, now - 2 * 86400 },
		{ "sha256:03", t3, 1, 0 },                { "sha256:04", NULL, 0, now - 9 * 86400 },
		{ "sha256:05", NULL, 0, -1 },             { "sha256:06", t4, 1, now - 400 * 86400 },
	};
	const struct wn_ret_image *ptrs[] = { &imgs[0], &imgs[1], &imgs[2], &imgs[3], &imgs[4], &imgs[5] };
	struct wn_policy *p;
	struct wn_ret_result *res;
	struct wn_error e;
	if (wn_policy_parse_ecr(&p, d, n, &e) != WN_OK)
		return 0;
	for (int undated = 0; undated < 2; undated++) {
		p->expire_undated = undated;
		if (wn_policy_evaluate(&res, p, ptrs, 6, now, &e) == WN_OK)
			wn_ret_result_free(res, 6);
	}
	wn_policy_free(p);
	return 0;
}

/* Tag ordering. */
#include <stdlib.h>
#include "harness.h"
#include "winch.h"

int main(void)
{
	CHECK(wn_tag_semver_cmp("1.2.9", "1.2.10") < 0);
	CHECK(wn_tag_semver_cmp("v1.10.0", "1.9.0") > 0);
	CHECK(wn_tag_semver_cmp("1.0.0-rc1", "1.0.0") < 0);
	CHECK(wn_tag_semver_cmp("1.0.0-alpha", "1.0.0-beta") < 0);
	CHECK(wn_tag_semver_cmp("1.2", "1.2.0") < 0);
	CHECK(wn_tag_semver_cmp("2", "10") < 0);
	CHECK(wn_tag_semver_cmp("latest", "1.0") > 0);
	CHECK(wn_tag_semver_cmp("latest", "main") < 0);
	CHECK(wn_tag_semver_cmp("1.0.0+build1", "1.0.0+build2") < 0);
	CHECK(wn_tag_semver_cmp("1.0", "1.0") == 0);
	CHECK(wn_tag_semver_cmp("1.x", "1.0") > 0);

	/* SemVer 2.0.0 11: the specification's own example, in order */
	const char *prec[] = { "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2",
		                   "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0" };
	for (int i = 0; i + 1 < 8; i++)
		for (int k = i + 1; k < 8; k++)
			if (!(wn_tag_semver_cmp(prec[i], prec[k]) < 0 && wn_tag_semver_cmp(prec[k], prec[i]) > 0)) {
				printf("FAIL semver: %s should come before %s\n", prec[i], prec[k]);
				t_failed++;
			} else {
				t_passed++;
			}
	CHECK(wn_tag_semver_cmp("1.0.0-rc.2", "1.0.0-rc.10") < 0);      /* numeric identifiers as numbers */
	CHECK(wn_tag_semver_cmp("1.0.0-rc.99", "1.0.0-rc.x") < 0);      /* numeric below alphanumeric */
	CHECK(wn_tag_semver_cmp("1.0.0-1", "1.0.0-a") < 0);
	CHECK(wn_tag_semver_cmp("1.0.0-rc.1", "1.0.0-rc.1.1") < 0);     /* the larger set wins */
	CHECK(wn_tag_semver_cmp("1.0.0-rc.12345678901234567890", "1.0.0-rc.2345678901234567890") > 0);
	CHECK(wn_tag_semver_cmp("1.0.0-Beta", "1.0.0-alpha") < 0);      /* ASCII: upper case first */
	CHECK(wn_tag_semver_cmp("1.0.0-beta.2+b1", "1.0.0-beta.11") < 0); /* build metadata plays no part */

	const char *in[] = { "latest", "1.10.0", "v1.9.2", "1.9.2-rc1", "sha-abc", "2.0.0", "1.2" };
	struct wn_strlist *l = calloc(1, sizeof *l);
	l->items = calloc(8, sizeof *l->items);
	for (int i = 0; i < 7; i++)
		l->items[l->n++] = strdup(in[i]);
	struct wn_error e;
	CHECK(wn_tags_sort(l, "semver", &e) == WN_OK);
	const char *want[] = { "1.2", "1.9.2-rc1", "v1.9.2", "1.10.0", "2.0.0", "latest", "sha-abc" };
	for (int i = 0; i < 7; i++)
		CHECK_STR(l->items[i], want[i]);
	CHECK(wn_tags_sort(l, "name", &e) == WN_OK);
	CHECK_STR(l->items[0], "1.10.0");
	CHECK_STR(l->items[6], "v1.9.2");
	CHECK(wn_tags_sort(l, "date", &e) == WN_EINVAL);
	wn_strlist_free(l);

	/* the order list-tags --sort semver prints */
	const char *mixed[] = { "v2.0.0-rc.10", "v2.0.0", "v2.0.0-rc.2", "v2.0.0-beta.11", "v2.0.0-beta.2", "v2.0.0-rc.1" };
	const char *sorted[] = { "v2.0.0-beta.2", "v2.0.0-beta.11", "v2.0.0-rc.1", "v2.0.0-rc.2", "v2.0.0-rc.10", "v2.0.0" };
	l = calloc(1, sizeof *l);
	l->items = calloc(7, sizeof *l->items);
	for (int i = 0; i < 6; i++)
		l->items[l->n++] = strdup(mixed[i]);
	CHECK(wn_tags_sort(l, "semver", &e) == WN_OK);
	for (int i = 0; i < 6; i++)
		CHECK_STR(l->items[i], sorted[i]);
	wn_strlist_free(l);
	return TEST_DONE();
}

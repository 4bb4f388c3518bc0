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
	return TEST_DONE();
}

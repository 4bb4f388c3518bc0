/*
 * list_tags.c: `winch list-tags REPOSITORY`: every tag, one per line, in a
 * stable order (registries return them unsorted); for a layout or an
 * archive, the names of the images it holds.
 */
#include <stdlib.h>
#include "cmd.h"

static const char *match, *sort = "name";

const struct opt_spec list_tags_opts[] = {
	{ "match", 0, OPT_STR, &match, "REGEX", "only tags matching this extended regular expression" },
	{ "sort", 0, OPT_STR, &sort, "ORDER", "name (default), semver or none (the registry's order)" },
	OPT_END,
};

int cmd_list_tags(int argc, char **argv)
{
	int rc = 0;
	struct wn_ctx *ctx = ctx_open();
	struct wn_strlist *tags = NULL;
	struct wn_error err;
	char *name = NULL;
	if (!ctx)
		return EXIT_ERROR;
	if (wn_location_tags(&tags, ctx, argv[0], &name) != WN_OK)
		rc = fail_ctx(ctx);
	else if (wn_tags_sort(tags, sort, &err) != WN_OK)
		rc = fail_err(&err);
	else
		rc = print_list("name", name, "tags", tags->items, tags->n, match);
	free(name);
	wn_strlist_free(tags);
	wn_ctx_free(ctx);
	return rc;
}

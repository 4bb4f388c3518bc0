/*
 * list_tags.c: `winch list-tags REPOSITORY`: every tag, one per line, in a
 * stable order (registries return them unsorted); for a layout or an
 * archive, the names of the images it holds.  Several repositories (or "-"
 * for a list on stdin) are listed in parallel and printed in order (batch.c).
 */
#include <cjson/cJSON.h>
#include <regex.h>
#include <stdlib.h>
#include "cmd.h"

static const char *match, *sort = "name";

const struct opt_spec list_tags_opts[] = {
	{ "match", 0, OPT_STR, &match, "REGEX", "only tags matching this extended regular expression" },
	{ "sort", 0, OPT_STR, &sort, "ORDER", "name (default), semver or none (the registry's order)" },
	OPT_END,
};

struct tags_res {
	struct wn_strlist *tags;
	char *name;
};

static void tags_free(void *res)
{
	struct tags_res *r = res;
	wn_strlist_free(r->tags);
	free(r->name);
	free(r);
}

static int tags_fetch(struct wn_ctx *ctx, const char *ref, void **res, char **msg)
{
	struct tags_res *r = calloc(1, sizeof *r);
	*res = r;
	if (!r)
		return WN_ENOMEM;
	int rc = wn_location_tags(&r->tags, ctx, ref, &r->name);
	if (rc == WN_OK)
		wn_tags_sort(r->tags, sort, NULL); /* checked before anything was asked */
	return rc;
}

/* --format json in a list: print_list's object, on one line */
static regex_t re;
static void tags_print(const char *ref, void *res)
{
	struct tags_res *r = res;
	if (!batch_mode || !want_json()) {
		print_list("name", r->name, "tags", r->tags->items, r->tags->n, match);
		return;
	}
	cJSON *doc = cJSON_CreateObject(), *arr;
	cJSON_AddStringToObject(doc, "name", r->name);
	arr = cJSON_AddArrayToObject(doc, "tags");
	for (size_t i = 0; i < r->tags->n; i++)
		if (!match || !regexec(&re, r->tags->items[i], 0, NULL, 0))
			cJSON_AddItemToArray(arr, cJSON_CreateString(r->tags->items[i]));
	print_json_out(doc);
	cJSON_Delete(doc);
}

static const struct batch_ops tags_ops = { tags_fetch, tags_print, tags_free };

int cmd_list_tags(int argc, char **argv)
{
	int rc = 0;
	struct wn_error err;
	void *res = NULL;
	char *msg = NULL;
	char *one[] = { "x" };
	struct wn_strlist probe = { one, 1, 1 };
	/* what applies to every repository is checked before any is asked */
	if (wn_tags_sort(&probe, sort, &err) != WN_OK)
		return fail_err(&err);
	if (match && regcomp(&re, match, REG_EXTENDED | REG_NOSUB))
		return usage_error(NULL, "invalid --match regular expression \"%s\"", match);
	if (batch_wanted(argc, argv)) {
		rc = batch_run(argc, argv, &tags_ops);
	} else {
		struct wn_ctx *ctx = ctx_open();
		if (!ctx)
			rc = EXIT_ERROR;
		else if (tags_fetch(ctx, argv[0], &res, &msg) != WN_OK)
			rc = fail_ctx(ctx);
		else
			tags_print(argv[0], res);
		wn_ctx_free(ctx);
	}
	if (res)
		tags_free(res);
	if (match)
		regfree(&re);
	return rc;
}

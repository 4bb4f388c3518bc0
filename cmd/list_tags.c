/*
 * list_tags.c: `winch list-tags REPOSITORY`: every tag, one per line, in a
 * stable order (registries return them unsorted).
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

int cmd_list_tags(int argc, char **argv)
{
	int rc = 0;
	struct wn_ref *ref = ref_arg(argv[0], WN_REF_NAME_ONLY, &rc);
	struct wn_ctx *ctx = NULL;
	struct wn_strlist *tags = NULL;
	struct wn_error err;
	regex_t re;
	bool have_re = false;
	if (!ref)
		return rc;
	if (match) {
		if (regcomp(&re, match, REG_EXTENDED | REG_NOSUB)) {
			rc = usage_error(NULL, "list-tags: invalid --match regular expression \"%s\"", match);
			goto done;
		}
		have_re = true;
	}
	if (!(ctx = ctx_open())) {
		rc = EXIT_ERROR;
		goto done;
	}
	if (wn_tags_list(&tags, ctx, ref) != WN_OK) {
		rc = fail_ctx(ctx);
		goto done;
	}
	if (wn_tags_sort(tags, sort, &err) != WN_OK) {
		rc = fail_err(&err);
		goto done;
	}
	cJSON *doc = NULL, *arr = NULL;
	if (want_json()) {
		char *name = wn_ref_name(ref);
		doc = cJSON_CreateObject();
		cJSON_AddStringToObject(doc, "name", name);
		arr = cJSON_AddArrayToObject(doc, "tags");
		free(name);
	}
	for (size_t i = 0; i < tags->n; i++) {
		if (have_re && regexec(&re, tags->items[i], 0, NULL, 0))
			continue;
		if (arr)
			cJSON_AddItemToArray(arr, cJSON_CreateString(tags->items[i]));
		else
			printf("%s\n", tags->items[i]);
	}
	if (doc) {
		print_json(doc);
		cJSON_Delete(doc);
	}
done:
	if (have_re)
		regfree(&re);
	wn_strlist_free(tags);
	wn_ctx_free(ctx);
	wn_ref_free(ref);
	return rc;
}

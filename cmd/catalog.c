/*
 * catalog.c: `winch catalog REGISTRY`: every repository, following pages.
 */
#include <cjson/cJSON.h>
#include <regex.h>
#include <stdlib.h>
#include "cmd.h"

static const char *match;

const struct opt_spec catalog_opts[] = {
	{ "match", 0, OPT_STR, &match, "REGEX", "only repositories matching this extended regular expression" },
	OPT_END,
};

int cmd_catalog(int argc, char **argv)
{
	char *reg = NULL;
	struct wn_error err;
	struct wn_ctx *ctx = NULL;
	struct wn_strlist *repos = NULL;
	regex_t re;
	bool have_re = false;
	int rc = 0;
	if (wn_registry_normalize(&reg, argv[0], &err) != WN_OK)
		return fail_err(&err);
	if (match) {
		if (regcomp(&re, match, REG_EXTENDED | REG_NOSUB)) {
			rc = usage_error(NULL, "catalog: invalid --match regular expression \"%s\"", match);
			goto done;
		}
		have_re = true;
	}
	if (!(ctx = ctx_open())) {
		rc = EXIT_ERROR;
		goto done;
	}
	if (wn_catalog_list(&repos, ctx, reg) != WN_OK) {
		rc = fail_ctx(ctx);
		goto done;
	}
	cJSON *doc = NULL, *arr = NULL;
	if (want_json()) {
		doc = cJSON_CreateObject();
		cJSON_AddStringToObject(doc, "registry", reg);
		arr = cJSON_AddArrayToObject(doc, "repositories");
	}
	for (size_t i = 0; i < repos->n; i++) {
		if (have_re && regexec(&re, repos->items[i], 0, NULL, 0))
			continue;
		if (arr)
			cJSON_AddItemToArray(arr, cJSON_CreateString(repos->items[i]));
		else
			printf("%s\n", repos->items[i]);
	}
	if (doc) {
		print_json(doc);
		cJSON_Delete(doc);
	}
done:
	if (have_re)
		regfree(&re);
	wn_strlist_free(repos);
	wn_ctx_free(ctx);
	free(reg);
	return rc;
}

/*
 * catalog.c: `winch catalog REGISTRY`: every repository, following pages.
 */
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
	struct wn_ctx *ctx;
	struct wn_strlist *repos = NULL;
	int rc = 0;
	if (wn_registry_normalize(&reg, argv[0], &err) != WN_OK)
		return fail_err(&err);
	if (!(ctx = ctx_open())) {
		free(reg);
		return EXIT_ERROR;
	}
	if (wn_catalog_list(&repos, ctx, reg) != WN_OK)
		rc = fail_ctx(ctx);
	else
		rc = print_list("registry", reg, "repositories", repos->items, repos->n, match);
	wn_strlist_free(repos);
	wn_ctx_free(ctx);
	free(reg);
	return rc;
}

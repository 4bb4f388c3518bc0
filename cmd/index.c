/*
 * index.c: `winch index create|append DEST SRC...`.
 */
#include <string.h>
#include "cmd.h"

int cmd_index(int argc, char **argv)
{
	bool append;
	if (!strcmp(argv[0], "create"))
		append = false;
	else if (!strcmp(argv[0], "append"))
		append = true;
	else
		return usage_error(NULL, "index: unknown action \"%s\" (create or append)", argv[0]);
	if (argc < 3)
		return usage_error(NULL, "index %s: needs DEST and at least one SRC", argv[0]);
	struct wn_ctx *ctx = ctx_open();
	char digest[WN_DIGEST_MAX];
	int rc = 0;
	if (!ctx)
		return EXIT_ERROR;
	if (wn_index_build(ctx, argv[1], (const char *const *)argv + 2, (size_t)argc - 2, append, digest) != WN_OK)
		rc = fail_ctx(ctx);
	else
		printf("%s\n", digest);
	wn_ctx_free(ctx);
	return rc;
}

/*
 * tag.c: `winch tag REF NEWTAG...` and `winch delete REF`.
 */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>
#include "cmd.h"

static int tag_no_clobber;

const struct opt_spec tag_opts[] = {
	{ "no-clobber", 0, OPT_FLAG, &tag_no_clobber, NULL,
	  "refuse to move a tag that exists and points at another manifest (nothing is written)" },
	OPT_END,
};

int cmd_tag(int argc, char **argv)
{
	struct wn_ref *ref;
	struct wn_ctx *ctx;
	struct wn_tag_options o = WN_TAG_OPTIONS_INIT;
	char digest[WN_DIGEST_MAX];
	int rc = ref_and_ctx(argv[0], WN_REF_DEFAULT_TAG, &ref, &ctx);
	if (rc)
		return rc;
	o.no_clobber = tag_no_clobber;
	if (wn_tag_add_opts(ctx, ref, (const char *const *)argv + 1, (size_t)argc - 1, &o, digest) != WN_OK) {
		rc = fail_ctx(ctx);
	} else {
		char *name = wn_ref_name(ref);
		for (int i = 1; i < argc; i++)
			say("tagged %s:%s (%s)", name, argv[i], digest);
		free(name);
	}
	wn_ctx_free(ctx);
	wn_ref_free(ref);
	return rc;
}

static int image, force, dry_run;
static const char *api, *api_url;

const struct opt_spec delete_opts[] = {
	{ "image", 0, OPT_FLAG, &image, NULL, "given a tag, delete its image (the manifest and every tag on it)" },
	{ "force", 'f', OPT_FLAG, &force, NULL, "delete a manifest even when other tags point at it" },
	{ "dry-run", 'n', OPT_FLAG, &dry_run, NULL, "say what would be deleted, delete nothing" },
	{ "api", 0, OPT_STR, &api, "API",
	  "registry, hub, github, ecr or harbor: whose API deletes (default: the host's, see man page)" },
	{ "api-url", 0, OPT_STR, &api_url, "URL", "the vendor API's URL (GitHub Enterprise, a Harbor host)" },
	OPT_END,
};

static char *joined(const struct wn_strlist *l)
{
	size_t n = 1;
	for (size_t i = 0; l && i < l->n; i++)
		n += strlen(l->items[i]) + 2;
	char *s = calloc(1, n);
	for (size_t i = 0; s && l && i < l->n; i++) {
		if (i)
			strcat(s, ", ");
		strcat(s, l->items[i]);
	}
	return s;
}

int cmd_delete(int argc, char **argv)
{
	struct wn_ref *ref;
	struct wn_delete_options o = { image, force, dry_run, api, api_url };
	struct wn_delete_result *r = NULL;
	struct wn_ctx *ctx;
	if (api && strcmp(api, "registry") && strcmp(api, "hub") && strcmp(api, "github") && strcmp(api, "ecr") &&
	    strcmp(api, "harbor"))
		return usage_error(NULL, "delete: --api takes registry, hub, github, ecr or harbor, not \"%s\"", api);
	int rc = ref_and_ctx(argv[0], WN_REF_DEFAULT_TAG, &ref, &ctx);
	if (rc)
		return rc;
	if (wn_delete(&r, ctx, ref, &o) != WN_OK) {
		rc = fail_ctx(ctx);
		goto done;
	}
	char *name = wn_ref_name(ref), *tags = joined(r->tags_removed);
	if (want_json()) {
		cJSON *j = cJSON_CreateObject(), *arr;
		cJSON_AddStringToObject(j, "name", name);
		cJSON_AddStringToObject(j, "deleted", r->what == WN_DELETE_TAG ? "tag" : "manifest");
		cJSON_AddStringToObject(j, "digest", r->digest);
		arr = cJSON_AddArrayToObject(j, "tags");
		for (size_t i = 0; r->tags_removed && i < r->tags_removed->n; i++)
			cJSON_AddItemToArray(arr, cJSON_CreateString(r->tags_removed->items[i]));
		cJSON_AddBoolToObject(j, "dryRun", r->dry_run);
		if (r->method)
			cJSON_AddStringToObject(j, "method", r->method);
		cJSON_AddStringToObject(j, "api", r->api ? r->api : "registry");
		if (r->refused)
			cJSON_AddStringToObject(j, "refused", r->refused);
		print_json(j);
		cJSON_Delete(j);
	} else if (r->refused) {
		/* said below, whatever the format */
	} else if (r->what == WN_DELETE_TAG) {
		bool vendor = r->api && strcmp(r->api, "registry");
		const char *how = !r->method ? NULL
		                : !strcmp(r->method, "tag-delete") ? (vendor ? "the API's tag delete" : "the registry's tag DELETE")
		                : !strcmp(r->method, "placeholder") ? "a placeholder manifest"
		                                                    : r->method;
		say("%s tag %s of %s; the image %s and its other tags stay%s%s%s", r->dry_run ? "would remove" : "removed",
		    ref->tag, name, r->digest, how ? " (by " : "", how ? how : "", how ? ")" : "");
	} else {
		say("%s manifest %s of %s%s%s", r->dry_run ? "would delete" : "deleted", r->digest, name,
		    tags && *tags ? " and its tags " : " (no tag pointed at it)", tags && *tags ? tags : "");
	}
	if (r->refused) {
		/* the report is out; the exit status is the real run's */
		warn_msg("dry run: %s", r->refused);
		rc = exit_code_for(WN_EREFUSED);
	}
	free(name);
	free(tags);
done:
	wn_delete_result_free(r);
	wn_ctx_free(ctx);
	wn_ref_free(ref);
	return rc;
}

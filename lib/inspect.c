/*
 * inspect.c: a manifest plus, for an image, its config: everything `inspect`
 * shows, in two requests (three with a token), never the tag list.
 */
#include <stdlib.h>
#include <string.h>
#include "internal.h"

#define CONFIG_BLOB_MAX (8u << 20)

void wn_inspect_free(struct wn_inspect *in)
{
	if (!in)
		return;
	wn_ref_free(in->ref);
	wn_manifest_free(in->manifest);
	wn_image_config_free(in->config);
	free(in->config_raw);
	free(in);
}

static bool is_image_config(const char *mt)
{
	return mt && (!strcmp(mt, "application/vnd.oci.image.config.v1+json") ||
	              !strcmp(mt, "application/vnd.docker.container.image.v1+json"));
}

int wn_inspect_get(struct wn_inspect **out, struct wn_ctx *ctx, const struct wn_ref *ref)
{
	struct wn_inspect *in = calloc(1, sizeof *in);
	int rc;
	*out = NULL;
	if (!in)
		return wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
	if ((rc = wn_ref_dup(&in->ref, ref)) != WN_OK || (rc = wn_manifest_get(&in->manifest, ctx, ref)) != WN_OK)
		goto done;
	if (!in->manifest->is_index && is_image_config(in->manifest->config.media_type)) {
		struct wn_error err;
		if ((rc = wn_blob_get_mem(&in->config_raw, &in->config_len, ctx, ref, in->manifest->config.digest,
		                          CONFIG_BLOB_MAX)) != WN_OK)
			goto done;
		if ((rc = wn_image_config_parse(&in->config, in->config_raw, in->config_len, &err)) != WN_OK) {
			rc = wn__ctx_take(ctx, &err);
			goto done;
		}
	}
	*out = in;
	in = NULL;
done:
	wn_inspect_free(in);
	return rc;
}

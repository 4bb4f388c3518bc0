/*
 * vendors/harbor.c: Harbor's API v2.0 (goharbor/harbor api/v2.0/swagger.yaml,
 * on the registry's own host under /api/v2.0), with Basic auth (users and
 * robot accounts, robot$project+name):
 *   GET /projects/P/repositories/R/artifacts?with_tag=true&page_size=100:
 *     every artifact, untagged ones included: digest, push_time, size,
 *     manifest_media_type, tags[].name, references[].child_digest (an index's
 *     manifests), pages by Link rel="next";
 *   DELETE /projects/P/repositories/R/artifacts/DIGEST/tags/TAG: the tag;
 *   DELETE /projects/P/repositories/R/artifacts/DIGEST: the artifact.
 * R, a repository name with '/', is URL-encoded twice (a/b: a%252Fb), as the
 * swagger file says.  --api-url is the Harbor host's URL; /api/v2.0 is added.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "../internal.h"

struct harbor {
	char *base;                 /* .../api/v2.0/projects/P/repositories/R2 */
};

static char *harbor_default_url(const char *registry)
{
	return wn__sprintf("https://%s", registry);
}

static void harbor_close(struct wn__vapi *a)
{
	struct harbor *h = a->impl;
	if (h) {
		free(h->base);
		free(h);
	}
	a->impl = NULL;
}

static int harbor_fail(struct wn__vapi *a, struct wn_ctx *ctx, const struct wn__resp *resp, const char *what)
{
	struct wn__regerr re;
	char detail[700] = "";
	if (!resp->body.overflow && wn__regerr_parse(&re, resp->body.data, resp->body.len) > 0)
		snprintf(detail, sizeof detail, "%s%s%s", re.code, re.message[0] ? ": " : "", re.message);
	return wn__api_fail(a, ctx, resp, what, detail);
}

static int harbor_open(struct wn__vapi *a, struct wn_ctx *ctx)
{
	struct harbor *h = calloc(1, sizeof *h);
	const char *repo = a->repo->repository, *slash = strchr(repo, '/');
	if (!h)
		return wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
	a->impl = h;
	if (!slash)
		return wn__ctx_fail(ctx, WN_EINVAL, "%s/%s: a Harbor repository is PROJECT/NAME", a->repo->registry, repo);
	char *project = strndup(repo, (size_t)(slash - repo));
	a->permission = wn__sprintf("an account (a robot account: robot$%s+NAME) with the permissions to list and delete "
	                            "artifacts and tags in the project %s", project ? project : "?",
	                            project ? project : "?");
	char *once = wn__url_escape(slash + 1), *twice = once ? wn__url_escape(once) : NULL;
	size_t n = strlen(a->url);
	bool has_api = n >= 9 && !strcmp(a->url + n - 9, "/api/v2.0");
	h->base = project && twice ? wn__sprintf("%s%s/projects/%s/repositories/%s", a->url, has_api ? "" : "/api/v2.0",
	                                         project, twice)
	                           : NULL;
	free(project);
	free(once);
	free(twice);
	if (!h->base || !a->permission)
		return wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
	char *scope = wn__sprintf("repository:%s:pull", repo);
	const struct wn_creds *c = scope ? wn__creds_get(ctx, a->repo->registry, scope) : NULL;
	free(scope);
	if (c && c->username) {
		char *up = wn__sprintf("%s:%s", c->username, c->password ? c->password : "");
		char *b = up ? wn__b64_encode(up, strlen(up)) : NULL;
		wn__free_secret(up);
		a->auth = b ? wn__sprintf("Basic %s", b) : NULL;
		wn__free_secret(b);
		if (!a->auth)
			return wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
	}
	return WN_OK;
}

/* One artifact: its digest, id, push time, size, media type, tags and (an index's) manifests. */
static int harbor_artifact(struct wn__vapi *a, struct wn_ctx *ctx, const cJSON *v, const char *what, void *data)
{
	struct wn__images *out = data;
	const char *digest = wn__json_str(v, "digest");
	const cJSON *t, *r, *id = cJSON_GetObjectItemCaseSensitive(v, "id");
	struct wn_error derr;
	if (!digest || wn_digest_validate(digest, &derr) != WN_OK)
		return wn__ctx_fail(ctx, WN_EPROTO, "%s: an artifact without a valid digest", what);
	if (out->n >= WN__LIST_MAX)
		return wn__ctx_fail(ctx, WN_EPROTO, "%s: more than %u artifacts", what, WN__LIST_MAX);
	struct wn__image *m = wn__images_add(out, digest);
	if (!m)
		return wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
	if (cJSON_IsNumber(id) && id->valuedouble >= 0 && id->valuedouble < 9e15)
		m->id = wn__sprintf("%.0f", id->valuedouble);
	wn__time_parse(wn__json_str(v, "push_time"), &m->pushed);
	wn__json_size(cJSON_GetObjectItemCaseSensitive(v, "size"), &m->size);
	m->media_type = wn__strdup(wn__json_str(v, "manifest_media_type"));
	cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(v, "tags")) {
		const char *name = wn__json_str(t, "name");
		if (name && wn__strlist_push(&m->tags, name) != WN_OK)
			return wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
	}
	/* an index's manifests, which Harbor lists under it rather than as artifacts */
	const cJSON *refs = cJSON_GetObjectItemCaseSensitive(v, "references");
	m->children_known = cJSON_IsArray(refs) || cJSON_IsNull(refs) || !refs;
	cJSON_ArrayForEach(r, refs) {
		const char *cd = wn__json_str(r, "child_digest");
		if (cd && wn_digest_validate(cd, &derr) == WN_OK && wn__strlist_push(&m->children, cd) != WN_OK)
			return wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
	}
	return WN_OK;
}

static int harbor_list(struct wn__vapi *a, struct wn_ctx *ctx, struct wn__images *out)
{
	struct harbor *h = a->impl;
	char *what = wn__sprintf("the artifacts of %s/%s", a->repo->registry, a->repo->repository);
	struct wn__api_pager p = { .what = what, .fail = harbor_fail, .item = harbor_artifact, .data = out };
	int rc = what ? wn__api_pages(a, ctx, wn__sprintf("%s/artifacts?with_tag=true&page=1&page_size=100", h->base), &p)
	              : wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
	free(what);
	return rc;
}

static int harbor_delete(struct wn__vapi *a, struct wn_ctx *ctx, const char *url, const char *what)
{
	struct wn__resp resp;
	int rc = wn__api_request(a, ctx, "DELETE", url, NULL, NULL, 0, &resp);
	if (rc == WN_OK) {
		if (resp.status < 200 || resp.status >= 300)
			rc = harbor_fail(a, ctx, &resp, what);
		wn__resp_free(&resp);
	}
	return rc;
}

static int harbor_delete_tag(struct wn__vapi *a, struct wn_ctx *ctx, const char *digest, const char *tag)
{
	struct harbor *h = a->impl;
	char *url = wn__sprintf("%s/artifacts/%s/tags/%s", h->base, digest, tag);
	char *what = wn__sprintf("deleting tag %s of %s/%s", tag, a->repo->registry, a->repo->repository);
	int rc = url && what ? harbor_delete(a, ctx, url, what) : wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
	free(url);
	free(what);
	return rc;
}

static int harbor_delete_image(struct wn__vapi *a, struct wn_ctx *ctx, const char *digest, const char *id)
{
	struct harbor *h = a->impl;
	char *url = wn__sprintf("%s/artifacts/%s", h->base, digest);
	char *what = wn__sprintf("deleting %s/%s@%s", a->repo->registry, a->repo->repository, digest);
	int rc = url && what ? harbor_delete(a, ctx, url, what) : wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
	free(url);
	free(what);
	return rc;
}

const struct wn__vapi_ops wn__api_harbor = {
	.name = "harbor",
	.display = "the Harbor API",
	.lists_untagged = true,
	.deletes_images = true,
	.untags = true,
	.default_url = harbor_default_url,
	.open = harbor_open,
	.list = harbor_list,
	.delete_tag = harbor_delete_tag,
	.delete_image = harbor_delete_image,
	.close = harbor_close,
};

/*
 * vendors/github.c: GitHub's REST API for packages (docs.github.com, "REST
 * API endpoints for packages", API version 2022-11-28), for GHCR:
 *   GET /users/OWNER: whether OWNER is an "Organization" or a "User";
 *   GET /orgs/OWNER/packages/container/NAME/versions (or /users/OWNER/...),
 *     per_page=100, pages by Link rel="next": every version of the package,
 *     untagged ones included: id, name (the manifest digest), created_at,
 *     metadata.container.tags;
 *   DELETE .../versions/ID: the version, with every tag on it.
 * There is no endpoint that removes one tag from a version: a tag alone goes
 * by moving it to a placeholder manifest with the registry API and deleting
 * that version (api.c), as dataaxiom/ghcr-cleanup-action untags.
 * The token: the password winch resolves for ghcr.io (a personal access
 * token with read:packages and delete:packages), else GITHUB_TOKEN.  A classic
 * token states its scopes in X-OAuth-Scopes: one without delete:packages is
 * refused before anything is deleted.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "../internal.h"

struct github {
	char *base;                 /* .../orgs/OWNER/packages/container/NAME */
	char *scopes;               /* X-OAuth-Scopes of the first answer; NULL: not stated */
};

static const char *const gh_headers[] = { "Accept: application/vnd.github+json", "X-GitHub-Api-Version: 2022-11-28",
	                                      NULL };

static char *gh_default_url(const char *registry)
{
	return !strcasecmp(registry, "ghcr.io") ? strdup("https://api.github.com") : NULL;
}

static void gh_close(struct wn__vapi *a)
{
	struct github *g = a->impl;
	if (g) {
		free(g->base);
		free(g->scopes);
		free(g);
	}
	a->impl = NULL;
}

/* GitHub's own message of an error answer ({"message": ...}), or NULL; caller frees. */
static char *gh_message(const struct wn__resp *resp)
{
	cJSON *j = resp->body.overflow ? NULL : wn__json_parse(resp->body.data, resp->body.len);
	char *m = wn__strdup(wn__json_str(j, "message"));
	cJSON_Delete(j);
	return m;
}

static int gh_fail(struct wn__vapi *a, struct wn_ctx *ctx, const struct wn__resp *resp, const char *what)
{
	char *m = gh_message(resp);
	int rc = wn__api_fail(a, ctx, resp, what, m);
	free(m);
	return rc;
}

static int gh_open(struct wn__vapi *a, struct wn_ctx *ctx)
{
	struct github *g = calloc(1, sizeof *g);
	const char *repo = a->repo->repository, *slash = strchr(repo, '/');
	char *scope = wn__sprintf("repository:%s:pull", repo), *owner = NULL, *pkg = NULL, *url = NULL;
	struct wn__resp resp;
	int rc = WN_OK;
	if (!g || !scope) {
		free(g);
		free(scope);
		return wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
	}
	a->impl = g;
	a->permission = strdup("a token with read:packages and delete:packages (a classic personal access token), or "
	                       "packages: write (a workflow's GITHUB_TOKEN, a fine-grained token)");
	const struct wn_creds *c = wn__creds_get(ctx, a->repo->registry, scope);
	const char *tok = c && c->password && *c->password ? c->password : getenv("GITHUB_TOKEN");
	free(scope);
	if (!tok || !*tok)
		return wn__ctx_fail(ctx, WN_EAUTH, "unauthorized: the GitHub API needs a token: winch login %s with a "
		                    "personal access token (read:packages, delete:packages), or GITHUB_TOKEN",
		                    a->repo->registry);
	if (!slash)
		return wn__ctx_fail(ctx, WN_EINVAL, "%s/%s: a GHCR repository is OWNER/PACKAGE", a->repo->registry, repo);
	a->auth = wn__sprintf("Bearer %s", tok);
	char *o = strndup(repo, (size_t)(slash - repo));
	owner = o ? wn__url_escape(o) : NULL;
	free(o);
	pkg = wn__url_escape(slash + 1); /* "team/app" is the package "team%2Fapp" */
	url = owner ? wn__sprintf("%s/users/%s", a->url, owner) : NULL;
	if (!a->auth || !owner || !pkg || !url) {
		rc = wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
		goto done;
	}
	if ((rc = wn__api_request(a, ctx, "GET", url, gh_headers, NULL, 0, &resp)) != WN_OK)
		goto done;
	if (resp.status != 200) {
		char *what = wn__sprintf("the owner %.*s of %s", (int)(slash - repo), repo, repo);
		rc = gh_fail(a, ctx, &resp, what ? what : "the owner");
		free(what);
	} else {
		cJSON *j = wn__json_parse(resp.body.data, resp.body.len);
		const char *type = wn__json_str(j, "type");
		g->base = wn__sprintf("%s/%s/%s/packages/container/%s", a->url,
		                      type && !strcmp(type, "Organization") ? "orgs" : "users", owner, pkg);
		const char *sc = wn__api_kept(&resp, "X-OAuth-Scopes");
		g->scopes = wn__strdup(sc);
		cJSON_Delete(j);
		if (!g->base)
			rc = wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
	}
	wn__resp_free(&resp);
done:
	free(owner);
	free(pkg);
	free(url);
	return rc;
}

/* One package version: its digest (the name), id, creation time and tags. */
static int gh_version(struct wn__vapi *a, struct wn_ctx *ctx, const cJSON *v, const char *what, void *data)
{
	struct wn__images *out = data;
	const char *digest = wn__json_str(v, "name");
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(v, "id"), *t;
	struct wn_error derr;
	if (!digest || wn_digest_validate(digest, &derr) != WN_OK || !cJSON_IsNumber(id) || id->valuedouble < 0 ||
	    id->valuedouble > 9e15)
		return wn__ctx_fail(ctx, WN_EPROTO, "%s: a version without a digest name or a numeric id", what);
	if (out->n >= WN__LIST_MAX)
		return wn__ctx_fail(ctx, WN_EPROTO, "%s: more than %u versions", what, WN__LIST_MAX);
	struct wn__image *m = wn__images_add(out, digest);
	if (!m || !(m->id = wn__sprintf("%.0f", id->valuedouble)))
		return wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
	/* created_at: when the version (the manifest) was first pushed */
	wn__time_parse(wn__json_str(v, "created_at"), &m->pushed);
	const cJSON *meta = cJSON_GetObjectItemCaseSensitive(v, "metadata");
	cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(meta, "container"), "tags"))
		if (cJSON_IsString(t) && wn__strlist_push(&m->tags, t->valuestring) != WN_OK)
			return wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
	return WN_OK;
}

/* A classic token's scopes, said on every answer: may_delete reads them. */
static void gh_answered(struct wn__vapi *a, const struct wn__resp *resp)
{
	struct github *g = a->impl;
	if (!g->scopes)
		g->scopes = wn__strdup(wn__api_kept(resp, "X-OAuth-Scopes"));
}

static int gh_list(struct wn__vapi *a, struct wn_ctx *ctx, struct wn__images *out)
{
	struct github *g = a->impl;
	char *what = wn__sprintf("the versions of ghcr package %s", a->repo->repository);
	struct wn__api_pager p = { .what = what, .headers = gh_headers, .fail = gh_fail, .item = gh_version,
		                       .answered = gh_answered, .data = out };
	int rc = what ? wn__api_pages(a, ctx, wn__sprintf("%s/versions?per_page=100&state=active", g->base), &p)
	              : wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
	free(what);
	return rc;
}

static int gh_delete_image(struct wn__vapi *a, struct wn_ctx *ctx, const char *digest, const char *id)
{
	struct github *g = a->impl;
	struct wn__images all = { 0 };
	struct wn__resp resp;
	char *what = wn__sprintf("deleting version %s (%s) of ghcr package %s", id ? id : "?", digest,
	                         a->repo->repository);
	char *url = NULL;
	int rc = what ? WN_OK : wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
	/* a tag's placeholder: its version id is looked up (the newest come first) */
	if (rc == WN_OK && !id && (rc = gh_list(a, ctx, &all)) == WN_OK) {
		const struct wn__image *m = wn__images_find(&all, digest);
		if (!m)
			rc = wn__ctx_fail(ctx, WN_ENOTFOUND, "not found: no version of ghcr package %s holds %s",
			                  a->repo->repository, digest);
		else
			id = m->id;
	}
	if (rc == WN_OK && !(url = wn__sprintf("%s/versions/%s", g->base, id)))
		rc = wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
	if (rc == WN_OK && (rc = wn__api_request(a, ctx, "DELETE", url, gh_headers, NULL, 0, &resp)) == WN_OK) {
		if (resp.status < 200 || resp.status >= 300) {
			free(what);
			what = wn__sprintf("deleting version %s (%s) of ghcr package %s", id, digest, a->repo->repository);
			rc = gh_fail(a, ctx, &resp, what ? what : "deleting a version");
		}
		wn__resp_free(&resp);
	}
	wn__images_free(&all);
	free(url);
	free(what);
	return rc;
}

/* A classic token that says it lacks delete:packages will be refused: say so before deleting anything. */
static int gh_may_delete(struct wn__vapi *a, struct wn_ctx *ctx)
{
	struct github *g = a->impl;
	if (!g->scopes)
		return WN_OK; /* fine-grained tokens and GITHUB_TOKEN state none: the deletions will tell */
	for (const char *s = g->scopes; *s;) {
		s += strspn(s, ", ");
		size_t n = strcspn(s, ", ");
		if (n == 15 && !strncmp(s, "delete:packages", 15))
			return WN_OK;
		s += n;
	}
	return wn__ctx_fail(ctx, WN_EDENIED, "denied: the GitHub token for %s has the scopes \"%s\", without "
	                    "delete:packages: nothing deleted (a classic personal access token needs read:packages and "
	                    "delete:packages)", a->repo->registry, g->scopes);
}

const struct wn__vapi_ops wn__api_github = {
	.name = "github",
	.display = "the GitHub API",
	.lists_untagged = true,
	.deletes_images = true,
	.untags = false,
	.default_url = gh_default_url,
	.open = gh_open,
	.list = gh_list,
	.delete_tag = NULL,
	.delete_image = gh_delete_image,
	.may_delete = gh_may_delete,
	.close = gh_close,
};

/*
 * vendors/hub.c: the Docker Hub API (docs.docker.com, "Docker Hub API
 * reference", API version 2-beta), at https://hub.docker.com:
 *   POST /v2/auth/token {"identifier", "secret"} (a user name and a password
 *     or personal access token): {"access_token"}, a short-lived bearer JWT;
 *   GET /v2/repositories/NAMESPACE/REPOSITORY/tags?page_size=100: pages of
 *     {"count", "next", "results": [{"name", "digest", "tag_last_pushed",
 *     "last_updated", "full_size", "media_type", ...}]}, "next" the next
 *     page's URL (null at the end);
 *   DELETE /v2/repositories/NAMESPACE/REPOSITORY/tags/TAG/: the tag alone
 *     (the endpoint hub-tool and the seeds' script use; 204).
 * Docker Hub's API deletes tags, not images, and lists no untagged image: an
 * image goes by deleting every tag on it, and policies on untagged images are
 * refused before anything is read (cleanup.c).  The credentials are the ones
 * winch resolves for docker.io; without any, public tags are listed
 * anonymously and nothing can be deleted.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "../internal.h"

static char *hub_default_url(const char *registry)
{
	return !strcmp(registry, "docker.io") ? strdup("https://hub.docker.com") : NULL;
}

/* Docker Hub's message of an error answer ({"message"} or {"detail"}), or NULL; caller frees. */
static char *hub_message(const struct wn__resp *resp)
{
	cJSON *j = resp->body.overflow ? NULL : wn__json_parse(resp->body.data, resp->body.len);
	const char *m = wn__json_str(j, "message");
	char *out = wn__strdup(m && *m ? m : wn__json_str(j, "detail"));
	cJSON_Delete(j);
	return out;
}

static int hub_fail(struct wn__vapi *a, struct wn_ctx *ctx, const struct wn__resp *resp, const char *what)
{
	char *m = hub_message(resp);
	int rc = wn__api_fail(a, ctx, resp, what, m);
	free(m);
	return rc;
}

static int hub_open(struct wn__vapi *a, struct wn_ctx *ctx)
{
	const char *slash = strchr(a->repo->repository, '/');
	a->permission = strdup("an access token with Read, Write, Delete access (the repo:admin scope) of a member "
	                       "allowed to delete in the repository");
	if (!slash || strchr(slash + 1, '/'))
		return wn__ctx_fail(ctx, WN_EINVAL, "%s/%s: a Docker Hub repository is NAMESPACE/NAME", a->repo->registry,
		                    a->repo->repository);
	char *scope = wn__sprintf("repository:%s:pull", a->repo->repository);
	const struct wn_creds *c = scope ? wn__creds_get(ctx, a->repo->registry, scope) : NULL;
	free(scope);
	if (!c || !c->username || !c->password || !*c->password) {
		wn__log(ctx, WN_LOG_INFO, "the Docker Hub API: no credentials for %s: listing anonymously",
		        a->repo->registry);
		return WN_OK;
	}
	/* the credentials become the API's bearer token */
	cJSON *b = cJSON_CreateObject();
	cJSON_AddStringToObject(b, "identifier", c->username);
	cJSON_AddStringToObject(b, "secret", c->password);
	char *body = cJSON_PrintUnformatted(b), *url = wn__sprintf("%s/v2/auth/token", a->url);
	const char *hdrs[] = { "Content-Type: application/json", NULL };
	struct wn__resp resp;
	int rc;
	cJSON_Delete(b); /* the tree held the password: the text alone is wiped below */
	if (!body || !url) {
		wn__free_secret(body);
		free(url);
		return wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
	}
	rc = wn__api_request(a, ctx, "POST", url, hdrs, body, strlen(body), &resp);
	wn__free_secret(body);
	free(url);
	if (rc != WN_OK)
		return rc;
	if (resp.status == 200 || resp.status == 201) {
		cJSON *j = wn__json_parse(resp.body.data, resp.body.len);
		const char *t = wn__json_str(j, "access_token");
		if (!t)
			t = wn__json_str(j, "token"); /* /v2/users/login's answer */
		a->auth = t ? wn__sprintf("Bearer %s", t) : NULL;
		if (t)
			memset((char *)t, 0, strlen(t));
		cJSON_Delete(j);
		if (!a->auth)
			rc = wn__ctx_fail(ctx, WN_EPROTO, "the Docker Hub API answered the login of %s with no access_token",
			                  c->username);
	} else if (resp.status == 401 || resp.status == 403) {
		char *m = hub_message(&resp);
		rc = wn__ctx_fail(ctx, WN_EAUTH, "unauthorized: the Docker Hub API refused the credentials of %s (from %s)%s%s%s",
		                  c->username, c->source, m ? " (" : "", m ? m : "", m ? ")" : "");
		free(m);
	} else {
		rc = hub_fail(a, ctx, &resp, "the login");
	}
	if (resp.body.data)
		memset(resp.body.data, 0, resp.body.len);
	wn__resp_free(&resp);
	return rc;
}

struct hub_listing {
	struct wn__images *out;
	size_t tags;
};

/* One tag: Hub lists tags, not images, so the images are gathered by digest. */
static int hub_tag(struct wn__vapi *a, struct wn_ctx *ctx, const cJSON *r, const char *what, void *data)
{
	struct hub_listing *l = data;
	const char *name = wn__json_str(r, "name"), *digest = wn__json_str(r, "digest");
	struct wn_error derr;
	if (!name || wn_tag_validate(name, &derr) != WN_OK || !digest || wn_digest_validate(digest, &derr) != WN_OK) {
		wn__log(ctx, WN_LOG_INFO, "%s: a result without a valid tag name and digest is left out", what);
		return WN_OK;
	}
	if (++l->tags > WN__LIST_MAX)
		return wn__ctx_fail(ctx, WN_EPROTO, "%s: more than %u tags", what, WN__LIST_MAX);
	struct wn__image *m = wn__images_find(l->out, digest);
	if ((!m && !(m = wn__images_add(l->out, digest))) || wn__strlist_push(&m->tags, name) != WN_OK)
		return wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
	/* the image was pushed when its newest tag was */
	int64_t t;
	const char *pushed = wn__json_str(r, "tag_last_pushed");
	if (!pushed)
		pushed = wn__json_str(r, "last_pushed");
	if (!pushed)
		pushed = wn__json_str(r, "last_updated");
	if (wn__time_parse(pushed, &t) && t > m->pushed)
		m->pushed = t;
	int64_t size;
	if (m->size < 0 && wn__json_size(cJSON_GetObjectItemCaseSensitive(r, "full_size"), &size))
		m->size = size;
	if (!m->media_type)
		m->media_type = wn__strdup(wn__json_str(r, "media_type"));
	return WN_OK;
}

static int hub_list(struct wn__vapi *a, struct wn_ctx *ctx, struct wn__images *out)
{
	struct hub_listing l = { out, 0 };
	char *what = wn__sprintf("the tags of %s/%s", a->repo->registry, a->repo->repository);
	struct wn__api_pager p = { .what = what, .items = "results", .next = "next", .fail = hub_fail, .item = hub_tag,
		                       .data = &l };
	int rc = what ? wn__api_pages(a, ctx, wn__sprintf("%s/v2/repositories/%s/tags?page_size=100", a->url,
	                                                  a->repo->repository), &p)
	              : wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
	free(what);
	return rc;
}

static int hub_delete_tag(struct wn__vapi *a, struct wn_ctx *ctx, const char *digest, const char *tag)
{
	char *url = wn__sprintf("%s/v2/repositories/%s/tags/%s/", a->url, a->repo->repository, tag);
	char *what = wn__sprintf("deleting tag %s of %s/%s", tag, a->repo->registry, a->repo->repository);
	struct wn__resp resp;
	int rc = url && what ? WN_OK : wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
	if (rc == WN_OK && !a->auth)
		rc = wn__ctx_fail(ctx, WN_EAUTH, "unauthorized: %s through the Docker Hub API needs a login (winch login)",
		                  what);
	if (rc == WN_OK && (rc = wn__api_request(a, ctx, "DELETE", url, NULL, NULL, 0, &resp)) == WN_OK) {
		if (resp.status < 200 || resp.status >= 300)
			rc = hub_fail(a, ctx, &resp, what);
		wn__resp_free(&resp);
	}
	free(url);
	free(what);
	return rc;
}

const struct wn__vapi_ops wn__api_hub = {
	.name = "hub",
	.display = "the Docker Hub API",
	.lists_untagged = false,
	.deletes_images = false,
	.untags = true,
	.default_url = hub_default_url,
	.open = hub_open,
	.list = hub_list,
	.delete_tag = hub_delete_tag,
	.delete_image = NULL,
	.close = NULL,
};

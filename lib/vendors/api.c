/*
 * vendors/api.c: the vendor APIs behind one interface (struct wn__vapi_ops):
 * which backend a repository gets, the requests they share (through the one
 * request funnel, with the API's credentials for the API's origin only), how
 * their answers become errors (a denial names the permission, a rate limit
 * says when it resets), and the two things cleanup and delete ask of any of
 * them: remove one tag so that the image stays, and delete an image.
 *
 * The backend is chosen by --api, else from the registry host where winch
 * knows the API's URL (docker.io: Docker Hub's; ghcr.io: GitHub's; an ECR
 * host: ECR's in its region, or AWS_ENDPOINT_URL_ECR); everywhere else, and
 * for Harbor unless asked, the registry API stays.  --api-url alone picks the
 * backend of the host's vendor (lib/registries/vendor.c).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include "../internal.h"

static const struct {
	enum wn__vendor vendor;
	const struct wn__vapi_ops *ops;
	bool automatic;             /* chosen without --api when its URL is known */
} backends[] = {
	{ WN__V_DOCKERHUB, &wn__api_hub, true },
	{ WN__V_GHCR, &wn__api_github, true },
	{ WN__V_ECR, &wn__api_ecr, true },
	{ WN__V_HARBOR, &wn__api_harbor, false }, /* the issue: the registry API stays the default there */
};
#define N_BACKENDS (sizeof backends / sizeof *backends)

/* Rate-limit and scope headers the vendors send (GitHub's and Docker Hub's
 * X-RateLimit-*, GitHub's X-OAuth-Scopes), kept for the backends. */
static const char *const kept_headers[] = { "X-RateLimit-Remaining", "X-RateLimit-Reset", "X-RateLimit-Limit",
	                                        "X-OAuth-Scopes", NULL };
enum { K_REMAINING, K_RESET, K_LIMIT, K_SCOPES };

void wn__images_free(struct wn__images *l)
{
	for (size_t i = 0; i < l->n; i++) {
		struct wn__image *m = &l->v[i];
		free(m->digest);
		for (size_t k = 0; k < m->tags.n; k++)
			free(m->tags.items[k]);
		free(m->tags.items);
		for (size_t k = 0; k < m->children.n; k++)
			free(m->children.items[k]);
		free(m->children.items);
		free(m->media_type);
		free(m->id);
	}
	free(l->v);
	memset(l, 0, sizeof *l);
}

struct wn__image *wn__images_add(struct wn__images *l, const char *digest)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 32;
		struct wn__image *v = realloc(l->v, cap * sizeof *v);
		if (!v)
			return NULL;
		l->v = v;
		l->cap = cap;
	}
	struct wn__image *m = &l->v[l->n];
	memset(m, 0, sizeof *m);
	m->pushed = m->size = -1;
	if (!(m->digest = strdup(digest)))
		return NULL;
	l->n++;
	return m;
}

struct wn__image *wn__images_find(const struct wn__images *l, const char *digest)
{
	for (size_t i = 0; digest && i < l->n; i++)
		if (!strcmp(l->v[i].digest, digest))
			return &l->v[i];
	return NULL;
}

bool wn__time_parse(const char *s, int64_t *out)
{
	struct tm tm = { 0 };
	const char *rest;
	if (!s || !(rest = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm)))
		return false;
	int64_t t = (int64_t)timegm(&tm);
	while (*rest == '.' || (*rest >= '0' && *rest <= '9'))
		rest++;
	if ((*rest == '+' || *rest == '-') && strlen(rest) >= 6) {
		int64_t off = (rest[1] - '0') * 36000 + (rest[2] - '0') * 3600 + (rest[4] - '0') * 600 + (rest[5] - '0') * 60;
		t += *rest == '+' ? -off : off;
	}
	*out = t;
	return true;
}

static const struct wn__vapi_ops *by_name(const char *name)
{
	for (size_t i = 0; i < N_BACKENDS; i++)
		if (!strcmp(backends[i].ops->name, name))
			return backends[i].ops;
	return NULL;
}

/* The backend and its URL (caller frees) for auto mode; NULL: the registry API. */
static const struct wn__vapi_ops *automatic(const struct wn_ref *repo, const char *api_url, char **url)
{
	enum wn__vendor v = wn__vendor_of(repo->registry);
	*url = NULL;
	for (size_t i = 0; i < N_BACKENDS; i++) {
		if (backends[i].vendor != v || (!backends[i].automatic && !api_url))
			continue;
		*url = api_url ? strdup(api_url) : backends[i].ops->default_url(repo->registry);
		return *url ? backends[i].ops : NULL;
	}
	return NULL;
}

const char *wn__api_choose(const struct wn_ref *repo, const char *api, const char *api_url)
{
	if (api && *api)
		return by_name(api) ? by_name(api)->name : "registry";
	char *url;
	const struct wn__vapi_ops *ops = automatic(repo, api_url, &url);
	free(url);
	return ops ? ops->name : "registry";
}

void wn__api_free(struct wn__vapi *a)
{
	if (!a)
		return;
	if (a->ops->close)
		a->ops->close(a);
	wn_ref_free(a->repo);
	free(a->url);
	wn__free_secret(a->auth);
	free(a->permission);
	free(a);
}

int wn__api_open(struct wn__vapi **out, struct wn_ctx *ctx, const struct wn_ref *repo, const char *api,
                 const char *api_url)
{
	const struct wn__vapi_ops *ops = NULL;
	char *url = NULL;
	*out = NULL;
	if (api && *api && strcmp(api, "registry")) {
		if (!(ops = by_name(api)))
			return wn__ctx_fail(ctx, WN_EINVAL, "unknown --api \"%s\" (registry, hub, github, ecr, harbor)", api);
		url = api_url ? strdup(api_url) : ops->default_url(repo->registry);
		if (!url)
			return wn__ctx_fail(ctx, WN_EINVAL, "%s: no URL for %s is known for %s: give --api-url", ops->display,
			                    ops->name, repo->registry);
	} else if (!api || !*api) {
		ops = automatic(repo, api_url, &url);
	} else if (api_url) {
		return wn__ctx_fail(ctx, WN_EINVAL, "--api-url goes with a vendor API, not --api registry");
	}
	if (!ops)
		return WN_OK; /* the registry API */
	struct wn__vapi *a = calloc(1, sizeof *a);
	int rc;
	if (!a || !url) {
		free(a);
		free(url);
		return wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
	}
	a->ops = ops;
	a->url = url;
	for (size_t n = strlen(a->url); n && a->url[n - 1] == '/'; n--)
		a->url[n - 1] = 0;
	if ((rc = wn__ref_at(&a->repo, repo, NULL, NULL)) != WN_OK) {
		wn__api_free(a);
		return wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
	}
	if (strncasecmp(a->url, "https://", 8) && strncasecmp(a->url, "http://", 7)) {
		rc = wn__ctx_fail(ctx, WN_EINVAL, "--api-url %s: not an http(s) URL", a->url);
		wn__api_free(a);
		return rc;
	}
	if (!strncasecmp(a->url, "http://", 7)) {
		/* the API's credentials never travel in the clear, but to this machine or when asked */
		size_t hl = strcspn(a->url + 7, "/?#");
		char *hp = strndup(a->url + 7, hl);
		bool ok = hp && (wn__host_is_loopback(hp) || ctx->opt.plain_http);
		free(hp);
		if (!ok) {
			rc = wn__ctx_fail(ctx, WN_EINVAL, "refusing plain HTTP to %s: its credentials would travel in the clear "
			                  "(use https://, or --plain-http)", a->url);
			wn__api_free(a);
			return rc;
		}
	}
	wn__log(ctx, WN_LOG_INFO, "%s/%s: through %s (%s)", repo->registry, repo->repository, ops->display, a->url);
	if ((rc = ops->open(a, ctx)) != WN_OK) {
		wn__api_free(a);
		return rc;
	}
	*out = a;
	return WN_OK;
}

int wn__api_request(struct wn__vapi *a, struct wn_ctx *ctx, const char *method, const char *url,
                    const char *const *headers, const void *body, size_t len, struct wn__resp *resp)
{
	const char *hdrs[16];
	size_t n = 0;
	hdrs[n++] = "Accept: application/json";
	for (size_t i = 0; headers && headers[i] && n + 1 < sizeof hdrs / sizeof *hdrs; i++)
		hdrs[n++] = headers[i];
	hdrs[n] = NULL;
	struct wn__req req = {
		.method = method, .path = url, .headers = hdrs, .body = body, .body_len = len,
		.authorization = a->auth, .keep_headers = kept_headers,
	};
	return wn__http_do(ctx, &req, resp);
}

static const char *kept(const struct wn__resp *resp, int which)
{
	return (size_t)which < resp->n_kept ? resp->kept[which] : NULL;
}

const char *wn__api_kept(const struct wn__resp *resp, const char *name)
{
	for (size_t i = 0; kept_headers[i]; i++)
		if (!strcasecmp(kept_headers[i], name))
			return kept(resp, (int)i);
	return NULL;
}

int wn__api_fail(struct wn__vapi *a, struct wn_ctx *ctx, const struct wn__resp *resp, const char *what,
                 const char *detail)
{
	char extra[600] = "";
	if (detail && *detail)
		snprintf(extra, sizeof extra, " (%.500s)", detail);
	const char *remaining = kept(resp, K_REMAINING), *reset = kept(resp, K_RESET);
	bool spent = remaining && !strcmp(remaining, "0");
	if (resp->status == 429 || (resp->status == 403 && spent)) {
		/* when it comes back: X-RateLimit-Reset (unix seconds: GitHub, Docker Hub), else Retry-After */
		char when[160] = " (it states no reset time: run again later)";
		time_t t = 0;
		char *end = NULL;
		long long r = reset ? strtoll(reset, &end, 10) : 0;
		if (reset && end && !*end && r > 0)
			t = (time_t)r;
		else if (resp->retry_after >= 0)
			t = time(NULL) + resp->retry_after;
		struct tm tm;
		char ts[32];
		if (t && gmtime_r(&t, &tm)) {
			strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
			snprintf(when, sizeof when, ": the limit resets at %s%s", ts,
			         reset ? " (X-RateLimit-Reset)" : " (Retry-After)");
		}
		return wn__ctx_fail(ctx, WN_ERATELIMIT, "rate limited by %s: %s%s%s", a->ops->display, what, extra, when);
	}
	switch (resp->status) {
	case 401:
		return wn__ctx_fail(ctx, WN_EAUTH, "unauthorized: %s refused the credentials for %s%s", a->ops->display,
		                    what, extra);
	case 403:
		return wn__ctx_fail(ctx, WN_EDENIED, "denied: %s does not allow %s%s%s%s", a->ops->display, what, extra,
		                    a->permission ? ": it needs " : "", a->permission ? a->permission : "");
	case 404:
		return wn__ctx_fail(ctx, WN_ENOTFOUND, "not found: %s%s", what, extra);
	default:
		break;
	}
	return wn__ctx_fail(ctx, resp->status >= 500 ? WN_ENET : WN_EPROTO, "%s answered %ld to %s%s", a->ops->display,
	                    resp->status, what, extra);
}

int wn__api_follow(struct wn__vapi *a, struct wn_ctx *ctx, const char *base, const char *ref, char **out)
{
	char *next = NULL;
	int rc;
	*out = NULL;
	if (!ref || !*ref)
		return WN_OK;
	if ((rc = wn__url_ref(ctx, base, ref, "a page link", &next)) != WN_OK)
		return rc;
	if (!wn__url_same_origin(next, a->url)) {
		rc = wn__ctx_fail(ctx, WN_EPROTO, "%s: refusing a next page on another origin (%.200s): the credentials "
		                  "would go there", a->ops->display, next);
		free(next);
		return rc;
	}
	*out = next;
	return WN_OK;
}

int wn__api_pages(struct wn__vapi *a, struct wn_ctx *ctx, char *url, const struct wn__api_pager *p)
{
	char *prev = NULL;
	int rc = url ? WN_OK : wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
	for (int page = 0; rc == WN_OK && url; page++) {
		struct wn__resp resp;
		if (page >= WN__LIST_PAGES_MAX || (prev && !strcmp(prev, url))) {
			rc = wn__ctx_fail(ctx, WN_EPROTO, "%s: the pages do not end", p->what);
			break;
		}
		if ((rc = wn__api_request(a, ctx, "GET", url, p->headers, NULL, 0, &resp)) != WN_OK)
			break;
		if (resp.status != 200) {
			rc = p->fail(a, ctx, &resp, p->what);
			wn__resp_free(&resp);
			break;
		}
		if (p->answered)
			p->answered(a, &resp);
		cJSON *j = resp.body.overflow ? NULL : wn__json_parse(resp.body.data, resp.body.len), *v;
		const cJSON *arr = p->items ? cJSON_GetObjectItemCaseSensitive(j, p->items) : j;
		if (!cJSON_IsArray(arr)) {
			rc = p->items ? wn__ctx_fail(ctx, WN_EPROTO, "%s: the answer has no %s", p->what, p->items)
			              : wn__ctx_fail(ctx, WN_EPROTO, "%s: the answer is no JSON array", p->what);
		}
		cJSON_ArrayForEach(v, arr) {
			if (rc != WN_OK)
				break;
			rc = p->item(a, ctx, v, p->what, p->data);
		}
		char *next = NULL, *ref = NULL;
		const char *base = resp.effective_url ? resp.effective_url : url;
		if (rc == WN_OK && p->next)
			rc = wn__api_follow(a, ctx, base, wn__json_str(j, p->next), &next);
		else if (rc == WN_OK && (ref = wn__link_next(resp.link)))
			rc = wn__api_follow(a, ctx, base, ref, &next);
		free(ref);
		cJSON_Delete(j);
		wn__resp_free(&resp);
		free(prev);
		prev = url;
		url = next;
	}
	free(prev);
	free(url);
	return rc;
}

int wn__api_untag(struct wn__vapi *a, struct wn_ctx *ctx, const struct wn__image *img, const char *tag,
                  const char **method)
{
	const struct wn__vapi_ops *o = a->ops;
	if (o->untags && !(o->last_tag_takes_image && img->tags.n <= 1)) {
		*method = "tag-delete";
		return o->delete_tag(a, ctx, img->digest, tag);
	}
	/* the tag moves to a placeholder of its own, which then goes as an image:
	 * the image keeps its other tags and stays, untagged, when this was its last */
	struct wn_ref *at = NULL;
	struct wn_manifest *orig = NULL;
	char pdigest[WN_DIGEST_MAX];
	int rc;
	*method = "placeholder";
	if ((rc = wn__ref_at(&at, a->repo, NULL, img->digest)) != WN_OK)
		return wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
	if ((rc = wn_manifest_get(&orig, ctx, at)) == WN_OK &&
	    (rc = wn__tag_placeholder_put(ctx, a->repo, tag, pdigest)) == WN_OK &&
	    (rc = o->delete_image(a, ctx, pdigest, NULL)) != WN_OK) {
		/* put the tag back on its image: nothing is lost */
		struct wn_error err = ctx->err;
		wn__manifest_put(ctx, a->repo, tag, orig->data, orig->len, orig->media_type, NULL);
		ctx->err = err;
	}
	wn_manifest_free(orig);
	wn_ref_free(at);
	return rc;
}

int wn__api_delete_image(struct wn__vapi *a, struct wn_ctx *ctx, const struct wn__image *img)
{
	if (a->ops->deletes_images)
		return a->ops->delete_image(a, ctx, img->digest, img->id);
	/* Docker Hub deletes tags, not images: every tag on it goes */
	int rc = WN_OK, gone = 0;
	for (size_t i = 0; i < img->tags.n && rc == WN_OK; i++) {
		struct wn_error saved = ctx->err;
		rc = a->ops->delete_tag(a, ctx, img->digest, img->tags.items[i]);
		if (rc == WN_ENOTFOUND) {
			ctx->err = saved;
			gone++;
			rc = WN_OK;
		}
	}
	if (rc == WN_OK && img->tags.n && (size_t)gone == img->tags.n)
		return wn__ctx_fail(ctx, WN_ENOTFOUND, "not found: %s has no tag on %s left", a->ops->display, img->digest);
	return rc;
}

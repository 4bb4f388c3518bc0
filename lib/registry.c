/*
 * registry.c: the registry's read API: manifests (GET and HEAD), small blobs,
 * tag lists and the catalog.  Every call names the token scope it needs and
 * goes through wn__http_do; statuses become errors in wn__http_fail.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "internal.h"

static char *repo_scope(const struct wn_ref *ref, const char *actions)
{
	return wn__sprintf("repository:%s:%s", ref->repository, actions);
}

/* 404 on a tag: say which tag, the message users grep for. */
static int manifest_fail(struct wn_ctx *ctx, const struct wn__resp *resp, const struct wn_ref *ref)
{
	char *s = wn_ref_string(ref);
	int rc = wn__http_fail(ctx, resp, s ? s : ref->repository);
	struct wn__regerr re;
	wn__regerr_parse(&re, resp->body.data, resp->body.len);
	if (rc == WN_ENOTFOUND && strcmp(re.code, "NAME_UNKNOWN")) {
		char *name = wn_ref_name(ref);
		if (ref->digest)
			wn__ctx_fail(ctx, WN_ENOTFOUND, "manifest unknown: %s has no manifest %s", name, ref->digest);
		else
			wn__ctx_fail(ctx, WN_ENOTFOUND, "manifest unknown: %s has no tag %s", name, ref->tag);
		free(name);
	}
	free(s);
	return rc;
}

static int check_digest(struct wn_ctx *ctx, const struct wn_ref *ref, const void *data, size_t len,
                        const char *header_digest)
{
	struct wn_error err;
	const char *want = ref->digest ? ref->digest : header_digest;
	if (!want || wn_digest_validate(want, &err) != WN_OK)
		return WN_OK; /* a registry's malformed header is not the content's fault */
	struct wn_hasher *h;
	char got[WN_DIGEST_MAX];
	if (wn_hasher_new(&h, want, &err) != WN_OK)
		return WN_OK;
	wn_hasher_update(h, data, len);
	wn_hasher_final(h, got);
	wn_hasher_free(h);
	if (strcmp(got, want)) {
		char *s = wn_ref_string(ref);
		int rc = wn__ctx_fail(ctx, WN_EDIGEST, "digest mismatch: the manifest of %s should be %s but is %s", s,
		                      want, got);
		free(s);
		return rc;
	}
	return WN_OK;
}

static char *manifest_path(const struct wn_ref *ref)
{
	return wn__sprintf("/v2/%s/manifests/%s", ref->repository, ref->digest ? ref->digest : ref->tag);
}

int wn_manifest_get(struct wn_manifest **out, struct wn_ctx *ctx, const struct wn_ref *ref)
{
	const char *hdrs[] = { wn__manifest_accept, NULL };
	char *path = manifest_path(ref), *scope = repo_scope(ref, "pull");
	struct wn__resp resp;
	struct wn_error err;
	int rc;
	*out = NULL;
	if (!path || !scope) {
		rc = wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
		goto done;
	}
	struct wn__req req = { .method = "GET", .registry = ref->registry, .path = path, .scope = scope,
		                   .headers = hdrs, .body_max = WN__MANIFEST_MAX };
	if ((rc = wn__http_do(ctx, &req, &resp)) != WN_OK)
		goto done_nresp;
	if (resp.status < 200 || resp.status >= 300) {
		rc = manifest_fail(ctx, &resp, ref);
		goto done_resp;
	}
	if (resp.body.overflow) {
		rc = wn__ctx_fail(ctx, WN_ECORRUPT, "the manifest of %s/%s is larger than 4 MiB", ref->registry,
		                  ref->repository);
		goto done_resp;
	}
	/* schema 1 is refused for what it is before the digest check: a signed
	 * one's digest is over its JWS payload, and would be called a mismatch */
	if (wn__manifest_refuse(resp.body.data, resp.body.len, resp.content_type, &err) != WN_OK) {
		rc = wn__ctx_take(ctx, &err);
		goto done_resp;
	}
	if ((rc = check_digest(ctx, ref, resp.body.data, resp.body.len, resp.docker_digest)) != WN_OK)
		goto done_resp;
	if ((rc = wn_manifest_parse(out, resp.body.data, resp.body.len, resp.content_type, &err)) != WN_OK)
		rc = wn__ctx_take(ctx, &err);
done_resp:
	wn__resp_free(&resp);
done_nresp:
done:
	free(path);
	free(scope);
	return rc;
}

int wn_manifest_head(struct wn_ctx *ctx, const struct wn_ref *ref, char digest[WN_DIGEST_MAX], char **media_type,
                     int64_t *size)
{
	const char *hdrs[] = { wn__manifest_accept, NULL };
	char *path = manifest_path(ref), *scope = repo_scope(ref, "pull");
	struct wn__resp resp;
	int rc;
	if (media_type)
		*media_type = NULL;
	if (!path || !scope) {
		free(path);
		free(scope);
		return wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
	}
	struct wn__req req = { .method = "HEAD", .registry = ref->registry, .path = path, .scope = scope,
		                   .headers = hdrs };
	rc = wn__http_do(ctx, &req, &resp);
	free(path);
	free(scope);
	if (rc != WN_OK)
		return rc;
	struct wn_error err;
	if (resp.status < 200 || resp.status >= 300) {
		rc = manifest_fail(ctx, &resp, ref);
	} else if (!resp.docker_digest || wn_digest_validate(resp.docker_digest, &err) != WN_OK ||
	           (ref->digest && strcmp(resp.docker_digest, ref->digest))) {
		/* no usable digest on HEAD: fetch the bytes and hash them */
		struct wn_manifest *m;
		wn__resp_free(&resp);
		if ((rc = wn_manifest_get(&m, ctx, ref)) != WN_OK)
			return rc;
		if (digest)
			snprintf(digest, WN_DIGEST_MAX, "%s", ref->digest ? ref->digest : m->digest);
		if (media_type)
			*media_type = strdup(m->media_type);
		if (size)
			*size = (int64_t)m->len;
		wn_manifest_free(m);
		return WN_OK;
	} else {
		if (digest)
			snprintf(digest, WN_DIGEST_MAX, "%s", resp.docker_digest);
		if (media_type && resp.content_type)
			*media_type = wn__strndup(resp.content_type, strcspn(resp.content_type, "; "));
		if (size)
			*size = resp.content_length;
	}
	wn__resp_free(&resp);
	return rc;
}

int wn_blob_get_mem(unsigned char **out, size_t *out_len, struct wn_ctx *ctx, const struct wn_ref *repo,
                    const char *digest, size_t max)
{
	char *path = wn__sprintf("/v2/%s/blobs/%s", repo->repository, digest), *scope = repo_scope(repo, "pull");
	struct wn__resp resp;
	struct wn_error err;
	int rc;
	*out = NULL;
	*out_len = 0;
	if (wn_digest_validate(digest, &err) != WN_OK) {
		free(path);
		free(scope);
		return wn__ctx_take(ctx, &err);
	}
	struct wn__req req = { .method = "GET", .registry = repo->registry, .path = path, .scope = scope,
		                   .body_max = max };
	rc = path && scope ? wn__http_do(ctx, &req, &resp) : wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
	free(path);
	free(scope);
	if (rc != WN_OK)
		return rc;
	char what[WN_DIGEST_MAX + 300];
	snprintf(what, sizeof what, "blob %s in %s/%s", digest, repo->registry, repo->repository);
	if (resp.status < 200 || resp.status >= 300) {
		rc = wn__http_fail(ctx, &resp, what);
	} else if (resp.body.overflow) {
		rc = wn__ctx_fail(ctx, WN_ECORRUPT, "%s is larger than %zu bytes", what, max);
	} else {
		struct wn_hasher *h;
		char got[WN_DIGEST_MAX];
		wn_hasher_new(&h, digest, NULL);
		wn_hasher_update(h, resp.body.data ? resp.body.data : (unsigned char *)"", resp.body.len);
		wn_hasher_final(h, got);
		wn_hasher_free(h);
		if (strcmp(got, digest)) {
			rc = wn__ctx_fail(ctx, WN_EDIGEST, "digest mismatch: %s has content %s", what, got);
		} else {
			wn__buf_cstr(&resp.body);
			*out = resp.body.data;
			*out_len = resp.body.len;
			resp.body.data = NULL;
		}
	}
	wn__resp_free(&resp);
	return rc;
}

/* The target of the rel="next" link in a Link header (RFC 8288):
 * </v2/...?last=x&n=y>; rel="next", possibly among other links.  NULL when
 * there is none; the caller resolves it as a reference. */
static char *next_link(const char *link)
{
	for (const char *p = link; p && *p;) {
		const char *lt = strchr(p, '<'), *gt = lt ? strchr(lt, '>') : NULL;
		if (!gt)
			return NULL;
		/* parameters run to the next link (a comma outside quotes) */
		const char *q = gt + 1;
		bool in_quote = false, next = false;
		for (; *q && (in_quote || *q != ','); q++) {
			if (*q == '"')
				in_quote = !in_quote;
			else if (!in_quote && (*q == ';' || *q == ' ')) {
				const char *r = q + 1;
				while (*r == ' ')
					r++;
				if (!strncasecmp(r, "rel", 3)) {
					r += 3;
					while (*r == ' ')
						r++;
					if (*r == '=') {
						r++;
						while (*r == ' ')
							r++;
						if (*r == '"')
							r++;
						/* rel may list several types: "next" must be one of them */
						for (const char *t = r; *t && *t != '"' && *t != ';' && *t != ',';) {
							size_t n = strcspn(t, " \";,");
							if (n == 4 && !strncasecmp(t, "next", 4))
								next = true;
							t += n;
							while (*t == ' ')
								t++;
						}
					}
				}
			}
		}
		if (next)
			return strndup(lt + 1, (size_t)(gt - lt - 1));
		p = *q ? q + 1 : q;
	}
	return NULL;
}

/* The URLs of the pages read so far, as 64-bit hashes: a Link that leads
 * back to one of them is a loop.  Open addressing, at most half full. */
struct urlset {
	uint64_t *h;
	size_t n, cap;
};

static uint64_t url_hash(const char *s)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a */
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h ? h : 1; /* 0 marks a free slot */
}

/* 1: already there; 0: added; -1: out of memory. */
static int urlset_add(struct urlset *u, const char *url)
{
	if (2 * (u->n + 1) > u->cap) {
		size_t cap = u->cap ? 2 * u->cap : 64;
		uint64_t *h = calloc(cap, sizeof *h);
		if (!h)
			return -1;
		for (size_t i = 0; i < u->cap; i++)
			if (u->h[i])
				for (size_t j = u->h[i] & (cap - 1);; j = (j + 1) & (cap - 1))
					if (!h[j]) {
						h[j] = u->h[i];
						break;
					}
		free(u->h);
		u->h = h;
		u->cap = cap;
	}
	uint64_t k = url_hash(url);
	for (size_t j = k & (u->cap - 1);; j = (j + 1) & (u->cap - 1)) {
		if (u->h[j] == k)
			return 1;
		if (!u->h[j]) {
			u->h[j] = k;
			u->n++;
			return 0;
		}
	}
}

/* Follows pages of {"<key>": [...]}.  A registry decides how many pages
 * there are: a Link back to a page already read is a loop, and a listing
 * stops at WN__LIST_MAX entries, so that no answer makes it run forever. */
static int list_pages(struct wn_ctx *ctx, const char *registry, const char *first, const char *scope,
                      const char *key, const char *what, struct wn_strlist **out)
{
	struct wn_strlist *l = calloc(1, sizeof *l);
	struct urlset seen = {0};
	char *path = strdup(first);
	int rc = WN_OK, pages = 0;
	*out = NULL;
	if (!l || !path) {
		free(l);
		free(path);
		return wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
	}
	while (path && rc == WN_OK) {
		struct wn__resp resp;
		struct wn__req req = { .method = "GET", .registry = registry, .path = path, .scope = scope };
		if (++pages > WN__LIST_PAGES_MAX) {
			rc = wn__ctx_fail(ctx, WN_EPROTO, "%s: more than %d pages: winch reads no more (the registry's list "
			                  "does not end?)", what, WN__LIST_PAGES_MAX);
			break;
		}
		if ((rc = wn__http_do(ctx, &req, &resp)) != WN_OK)
			break;
		if (resp.status < 200 || resp.status >= 300) {
			rc = wn__http_fail(ctx, &resp, what);
		} else if (resp.body.overflow) {
			rc = wn__ctx_fail(ctx, WN_EPROTO, "%s: a page larger than 8 MiB", what);
		} else if (urlset_add(&seen, resp.effective_url) < 0) { /* where this page came from */
			rc = wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
		} else {
			cJSON *j = wn__json_parse(resp.body.data, resp.body.len);
			const cJSON *arr = cJSON_GetObjectItemCaseSensitive(j, key), *e;
			if (!cJSON_IsObject(j) || (!cJSON_IsArray(arr) && !cJSON_IsNull(arr) && arr)) {
				rc = wn__ctx_fail(ctx, WN_EPROTO, "%s: the registry's answer is not a %s list", what, key);
			} else {
				cJSON_ArrayForEach(e, arr) {
					if (!cJSON_IsString(e))
						continue;
					if (l->n >= WN__LIST_MAX) {
						rc = wn__ctx_fail(ctx, WN_EPROTO, "%s: more than %u %s: winch reads no more (the "
						                  "registry's list does not end?)", what, WN__LIST_MAX, key);
						break;
					}
					if ((rc = wn__strlist_push(l, e->valuestring)) != WN_OK)
						break;
				}
			}
			cJSON_Delete(j);
		}
		free(path);
		path = NULL;
		char *ref = rc == WN_OK ? next_link(resp.link) : NULL;
		if (ref) {
			/* a reference, resolved against the page that carried it (RFC 3986):
			 * never glued to the registry's address, where "@host/..." would
			 * turn that address into user info */
			char *lwhat = wn__sprintf("the Link header of %s", what);
			rc = wn__url_ref(ctx, resp.effective_url, ref, lwhat ? lwhat : what, &path);
			free(lwhat);
			int dup = rc == WN_OK ? urlset_add(&seen, path) : 0;
			if (dup > 0)
				rc = wn__ctx_fail(ctx, WN_EPROTO, "%s: the registry's Link header leads back to a page already "
				                  "read (%.80s): a loop", what, path);
			else if (dup < 0)
				rc = wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
			if (rc != WN_OK) {
				free(path);
				path = NULL;
			}
			free(ref);
		}
		wn__resp_free(&resp);
	}
	free(path);
	free(seen.h);
	if (rc != WN_OK) {
		wn_strlist_free(l);
		return rc;
	}
	*out = l;
	return WN_OK;
}

int wn_tags_list(struct wn_strlist **out, struct wn_ctx *ctx, const struct wn_ref *repo)
{
	char *path = wn__sprintf("/v2/%s/tags/list?n=1000", repo->repository), *scope = repo_scope(repo, "pull");
	char *name = wn_ref_name(repo);
	int rc = path && scope && name ? list_pages(ctx, repo->registry, path, scope, "tags", name, out)
	                               : wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
	free(path);
	free(scope);
	free(name);
	return rc;
}

int wn_catalog_list(struct wn_strlist **out, struct wn_ctx *ctx, const char *registry)
{
	char *what = wn__sprintf("the catalog of %s", registry);
	int rc = what ? list_pages(ctx, registry, "/v2/_catalog?n=1000", "registry:catalog:*", "repositories", what, out)
	              : WN_ENOMEM;
	free(what);
	return rc;
}

int wn__manifest_put(struct wn_ctx *ctx, const struct wn_ref *repo, const char *tag_or_digest, const void *data,
                     size_t len, const char *media_type, char digest_out[WN_DIGEST_MAX])
{
	char *path = wn__sprintf("/v2/%s/manifests/%s", repo->repository, tag_or_digest);
	char *scope = repo_scope(repo, "pull,push"), *ctype = wn__sprintf("Content-Type: %s", media_type);
	const char *hdrs[] = { ctype, NULL };
	char digest[WN_DIGEST_MAX];
	struct wn__resp resp;
	int rc;
	wn_digest_sha256(digest, data, len);
	struct wn__req req = { .method = "PUT", .registry = repo->registry, .path = path, .scope = scope,
		                   .headers = hdrs, .body = data, .body_len = len };
	rc = path && scope && ctype ? wn__http_do(ctx, &req, &resp) : wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
	if (rc == WN_OK) {
		char *name = wn__sprintf("%s/%s:%s", repo->registry, repo->repository, tag_or_digest);
		if (resp.status != 201 && resp.status != 200)
			rc = wn__http_fail(ctx, &resp, name ? name : tag_or_digest);
		else if (resp.docker_digest && strcmp(resp.docker_digest, digest))
			rc = wn__ctx_fail(ctx, WN_EDIGEST, "digest mismatch: %s stored the manifest %s as %s", repo->registry,
			                  digest, resp.docker_digest);
		free(name);
		wn__resp_free(&resp);
	}
	if (rc == WN_OK && digest_out)
		memcpy(digest_out, digest, WN_DIGEST_MAX);
	free(path);
	free(scope);
	free(ctype);
	return rc;
}

int wn__referrers_get(struct wn_ctx *ctx, const struct wn_ref *repo, const char *digest, struct wn_manifest **out)
{
	static const char *const hdrs[] = { "Accept: " WN_MT_OCI_INDEX, NULL };
	char *path = wn__sprintf("/v2/%s/referrers/%s", repo->repository, digest), *scope = repo_scope(repo, "pull");
	struct wn__resp resp;
	struct wn_error err;
	int rc;
	*out = NULL;
	struct wn__req req = { .method = "GET", .registry = repo->registry, .path = path, .scope = scope,
		                   .headers = hdrs, .body_max = WN__MANIFEST_MAX };
	rc = path && scope ? wn__http_do(ctx, &req, &resp) : wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
	free(path);
	free(scope);
	if (rc != WN_OK)
		return rc;
	const char *ct = resp.content_type ? resp.content_type : "";
	if (resp.status == 200 && resp.body.overflow) {
		rc = wn__ctx_fail(ctx, WN_ECORRUPT, "the referrers index of %s in %s/%s is larger than 4 MiB", digest,
		                  repo->registry, repo->repository);
	} else if (resp.status == 200 && !strncmp(ct, WN_MT_OCI_INDEX, strlen(WN_MT_OCI_INDEX))) {
		if ((rc = wn_manifest_parse(out, resp.body.data, resp.body.len, ct, &err)) != WN_OK)
			rc = wn__ctx_take(ctx, &err);
	} else if (resp.status == 200 || resp.status == 404 || resp.status == 400 || resp.status == 405) {
		rc = WN_EUNSUPPORTED; /* no referrers API: the caller falls back to the tag schema */
	} else {
		rc = wn__http_fail(ctx, &resp, "the referrers API");
	}
	wn__resp_free(&resp);
	return rc;
}

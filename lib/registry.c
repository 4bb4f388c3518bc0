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

/* One HEAD of the manifest ref names: WN_OK whenever an answer came (*resp to free). */
static int manifest_head_req(struct wn_ctx *ctx, const struct wn_ref *ref, struct wn__resp *resp)
{
	const char *hdrs[] = { wn__manifest_accept, NULL };
	char *path = manifest_path(ref), *scope = repo_scope(ref, "pull");
	int rc;
	if (path && scope) {
		struct wn__req req = { .method = "HEAD", .registry = ref->registry, .path = path, .scope = scope,
			                   .headers = hdrs };
		rc = wn__http_do(ctx, &req, resp);
	} else {
		rc = wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
	}
	free(path);
	free(scope);
	return rc;
}

int wn_manifest_head(struct wn_ctx *ctx, const struct wn_ref *ref, char digest[WN_DIGEST_MAX], char **media_type,
                     int64_t *size)
{
	struct wn__resp resp;
	int rc;
	if (media_type)
		*media_type = NULL;
	if ((rc = manifest_head_req(ctx, ref, &resp)) != WN_OK)
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
char *wn__link_next(const char *link)
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
		char *ref = rc == WN_OK ? wn__link_next(resp.link) : NULL;
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
	enum wn__vendor v = wn__vendor_of(registry);
	const char *hint;
	if (rc == WN_ENOTFOUND) {
		/* no such endpoint: GHCR's "404 page not found", a registry with it switched off */
		rc = wn__noapi_fail(ctx, registry, WN__API_CATALOG, "GET /v2/_catalog answered 404");
	} else if ((rc == WN_EAUTH || rc == WN_EDENIED) && wn__vendor_lacks(v, WN__API_CATALOG)) {
		/* Docker Hub: the scope is asked for and never granted, to anyone */
		rc = wn__noapi_fail(ctx, registry, WN__API_CATALOG, "it never grants registry:catalog:*");
	} else if ((rc == WN_EAUTH || rc == WN_EDENIED) && (hint = wn__vendor_denied_hint(v, WN__API_CATALOG))) {
		char msg[sizeof ctx->err.msg];
		snprintf(msg, sizeof msg, "%s", ctx->err.msg);
		rc = wn__ctx_fail(ctx, rc, "%s; %s", msg, hint);
	}
	return rc;
}

/* A refused manifest PUT, said so that the reader knows what to do: an
 * immutable tag is not a retryable failure, and a referrer a registry will
 * not take (ECR's 405 for a referrer of an index) names its subject. */
static int manifest_put_fail(struct wn_ctx *ctx, const struct wn__resp *resp, const struct wn_ref *repo,
                             const char *ref, const void *data, size_t len, const char *name)
{
	struct wn__regerr re;
	wn__regerr_parse(&re, resp->body.data, resp->body.len);
	const char *who = wn__vendor_info(wn__vendor_of(repo->registry))->display;
	if (!strchr(ref, ':') && wn__answer_immutable(resp->status, &re))
		return wn__ctx_fail(ctx, WN_EREFUSED, "tag %s of %s/%s is immutable: the registry (%s) refuses to move it "
		                    "(%s: %s); push under a new tag, or change the repository's tag immutability",
		                    ref, repo->registry, repo->repository, who, re.code, re.message);
	if (resp->status == 405) {
		cJSON *j = wn__json_parse(data, len);
		const cJSON *subj = cJSON_GetObjectItemCaseSensitive(j, "subject");
		const char *sd = cJSON_IsObject(subj) ? wn__json_str(subj, "digest") : NULL;
		const char *smt = cJSON_IsObject(subj) ? wn__json_str(subj, "mediaType") : NULL;
		int rc;
		if (sd)
			/* ECR: 405 on a referrer whose subject is an index (aws/containers-roadmap#2783) */
			rc = wn__ctx_fail(ctx, WN_ENOAPI, "%s (%s) refused the referrer %s of %s%s with 405 (%s%s%s): it does "
			                  "not take referrers of this subject; copy without --referrers, or sign and attach to "
			                  "the platform images instead", repo->registry, who, ref, sd,
			                  smt && wn__mt_is_index(smt) ? " (an index)" : "", re.code[0] ? re.code : "405",
			                  re.message[0] ? ": " : "", re.message);
		else
			rc = wn__ctx_fail(ctx, WN_ENOAPI, "%s (%s) does not accept a manifest PUT of %s (405%s%s%s%s)",
			                  repo->registry, who, name, re.code[0] ? " " : "", re.code, re.message[0] ? ": " : "",
			                  re.message);
		cJSON_Delete(j);
		return rc;
	}
	return wn__http_fail(ctx, resp, name);
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
	/* distribution before 3.0 rewrites its link files in place (truncate, then
	 * write; atomic since distribution/distribution a5a6f1ba3): a PUT that
	 * verifies an index while another push of the same child manifest rewrites
	 * its link reads an empty digest and answers 400 DIGEST_INVALID.  The bytes
	 * are ours and their digest is computed here, so that answer to a tag or
	 * to this digest is the race: the same PUT again, a few times. */
	for (int again = 0; rc == WN_OK && resp.status == 400 && again < 3 &&
	                    (!strchr(tag_or_digest, ':') || !strcmp(tag_or_digest, digest));
	     again++) {
		struct wn__regerr re;
		wn__regerr_parse(&re, resp.body.data, resp.body.len);
		if (strcmp(re.code, "DIGEST_INVALID"))
			break;
		wn__resp_free(&resp);
		wn__log(ctx, WN_LOG_DEBUG, "manifest PUT of %s: 400 DIGEST_INVALID for bytes of %s, again", tag_or_digest,
		        digest);
		wn__sleep_ms(ctx, 100L << again);
		if ((rc = wn__check_cancel(ctx)) == WN_OK)
			rc = wn__http_do(ctx, &req, &resp);
	}
	if (rc == WN_OK) {
		char *name = wn__sprintf("%s/%s:%s", repo->registry, repo->repository, tag_or_digest);
		if (resp.status != 201 && resp.status != 200)
			rc = manifest_put_fail(ctx, &resp, repo, tag_or_digest, data, len, name ? name : tag_or_digest);
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
	char *path = NULL, *scope = NULL;
	struct wn__resp resp;
	struct wn_error err;
	struct wn__host *host = wn__ctx_host(ctx, repo->registry);
	bool known_missing = false;
	int rc;
	*out = NULL;
	if (host) {
		wn__lock(ctx);
		known_missing = host->no_referrers_api;
		wn__unlock(ctx);
	}
	if (known_missing)
		return WN_EUNSUPPORTED; /* found out earlier in this run */
	path = wn__sprintf("/v2/%s/referrers/%s", repo->repository, digest);
	scope = repo_scope(repo, "pull");
	/* a probe: a referrers API that is not there, or that answers something
	 * else than an index (GHCR's 303 to a rate-limited host on another domain,
	 * followed without credentials, artifacthub/hub#4785), is no API, at once */
	struct wn__req req = { .method = "GET", .registry = repo->registry, .path = path, .scope = scope,
		                   .headers = hdrs, .body_max = WN__MANIFEST_MAX, .probe = true };
	rc = path && scope ? wn__http_do(ctx, &req, &resp) : wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
	free(path);
	free(scope);
	if (rc != WN_OK)
		return rc;
	const char *ct = resp.content_type ? resp.content_type : "";
	char why[256] = "";
	if (resp.foreign) {
		char *h = NULL;
		CURLU *u = curl_url();
		if (u && !curl_url_set(u, CURLUPART_URL, resp.effective_url, 0))
			curl_url_get(u, CURLUPART_HOST, &h, 0);
		snprintf(why, sizeof why, "it redirected to another host (%s), which answered %ld", h ? h : "?", resp.status);
		curl_free(h);
		curl_url_cleanup(u);
	} else if (resp.status == 200 && resp.body.overflow) {
		snprintf(why, sizeof why, "its index is larger than 4 MiB");
	} else if (resp.status == 200 && !strncmp(ct, WN_MT_OCI_INDEX, strlen(WN_MT_OCI_INDEX))) {
		if (wn_manifest_parse(out, resp.body.data, resp.body.len, ct, &err) != WN_OK)
			snprintf(why, sizeof why, "its answer is no index: %.150s", err.msg);
		else if (!(*out)->is_index)
			snprintf(why, sizeof why, "its answer is no index");
		if (why[0]) {
			wn_manifest_free(*out);
			*out = NULL;
		}
	} else if (resp.status == 200) {
		snprintf(why, sizeof why, "it answered %.80s, not an OCI index", *ct ? ct : "without a Content-Type");
	} else {
		snprintf(why, sizeof why, "it answered %ld", resp.status);
	}
	if (why[0]) {
		/* 404 (distribution, ECR), 400 and 405 are the usual "none here"; anything else is worth a line */
		bool usual = !resp.foreign && (resp.status == 404 || resp.status == 400 || resp.status == 405);
		wn__log(ctx, usual ? WN_LOG_DEBUG : WN_LOG_WARN, "%s: no usable referrers API (%s): using the tag schema",
		        repo->registry, why);
		if (host) {
			wn__lock(ctx);
			host->no_referrers_api = true;
			wn__unlock(ctx);
		}
		rc = WN_EUNSUPPORTED; /* the caller falls back to the tag schema */
	}
	wn__resp_free(&resp);
	return rc;
}

int wn_ratelimit_get(struct wn_ratelimit *out, struct wn_ctx *ctx, const struct wn_ref *ref)
{
	/* one HEAD, as regctl's `image ratelimit` (regclient cmd/regctl/image.go runImageRateLimit:
	 * "request only the headers, avoids adding to Docker Hub rate limits"); never the GET that
	 * wn_manifest_head falls back to */
	struct wn__resp resp;
	int rc;
	wn__ratelimit_clear(out);
	if ((rc = manifest_head_req(ctx, ref, &resp)) != WN_OK)
		return rc;
	if (resp.status < 200 || resp.status >= 300) {
		rc = manifest_fail(ctx, &resp, ref);
	} else {
		*out = resp.ratelimit;
		snprintf(out->registry, sizeof out->registry, "%s", ref->registry);
	}
	wn__resp_free(&resp);
	return rc;
}

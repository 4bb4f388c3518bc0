/*
 * blob.c: blobs on a registry: HEAD, streamed GET that resumes with Range,
 * and uploads.  An upload tries a cross-repository mount first when the
 * blob is on the same registry (a refused mount is uploaded instead), sends
 * small blobs in one PUT and large ones in PATCH chunks; a chunk that breaks
 * is resumed from the offset the registry reports, and an upload whose
 * source turns out wrong is abandoned (DELETE) so the registry never stores it.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"

#define STREAM_RESUMES 5
#define UPLOAD_ATTEMPTS 3

static char *scope_of(const struct wn_ref *repo, const char *actions)
{
	return wn__sprintf("repository:%s:%s", repo->repository, actions);
}

int wn__blob_exists(struct wn_ctx *ctx, const struct wn_ref *repo, const char *digest, bool *yes)
{
	char *path = wn__sprintf("/v2/%s/blobs/%s", repo->repository, digest), *scope = scope_of(repo, "pull");
	struct wn__resp resp;
	int rc;
	*yes = false;
	struct wn__req req = { .method = "HEAD", .registry = repo->registry, .path = path, .scope = scope };
	rc = path && scope ? wn__http_do(ctx, &req, &resp) : wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
	if (rc == WN_OK) {
		if (resp.status >= 200 && resp.status < 300) {
			*yes = true;
		} else if (resp.status != 404) {
			char what[WN_DIGEST_MAX + 300];
			snprintf(what, sizeof what, "blob %s in %s/%s", digest, repo->registry, repo->repository);
			rc = wn__http_fail(ctx, &resp, what);
		}
		wn__resp_free(&resp);
	}
	free(path);
	free(scope);
	return rc;
}

/* Hands the body on, dropping the first `skip` bytes of a 200 to a Range request. */
struct stream_state {
	wn__sink_fn sink;
	void *data;
	struct wn__resp *resp;
	uint64_t skip;
	uint64_t passed;
};

static size_t stream_sink(void *data, const void *p, size_t n)
{
	struct stream_state *s = data;
	const char *b = p;
	size_t all = n;
	if (s->resp->status == 200 && s->skip) {
		size_t k = s->skip < n ? (size_t)s->skip : n;
		s->skip -= k;
		b += k;
		n -= k;
	}
	if (n && s->sink(s->data, b, n) != n)
		return 0;
	s->passed += n;
	return all;
}

int wn__blob_stream(struct wn_ctx *ctx, const struct wn_ref *repo, const struct wn_descriptor *d, uint64_t offset,
                    wn__sink_fn sink, void *data)
{
	char *path = wn__sprintf("/v2/%s/blobs/%s", repo->repository, d->digest), *scope = scope_of(repo, "pull");
	uint64_t pos = offset;
	int rc = WN_OK, resumes = 0;
	if (!path || !scope) {
		rc = wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
		goto done;
	}
	for (;;) {
		char range[64];
		const char *hdrs[] = { range, NULL };
		struct wn__resp resp;
		uint64_t delivered = 0;
		struct stream_state st = { sink, data, &resp, pos, 0 };
		snprintf(range, sizeof range, "Range: bytes=%" PRIu64 "-", pos);
		struct wn__req req = { .method = "GET", .registry = repo->registry, .path = path, .scope = scope,
			                   .headers = pos ? hdrs : NULL, .sink = stream_sink, .sink_data = &st,
			                   .delivered = &delivered };
		rc = wn__http_do(ctx, &req, &resp);
		pos += st.passed;
		if (rc == WN_OK) {
			if (resp.status < 200 || resp.status >= 300) {
				char what[WN_DIGEST_MAX + 300];
				snprintf(what, sizeof what, "blob %s in %s/%s", d->digest, repo->registry, repo->repository);
				rc = wn__http_fail(ctx, &resp, what);
			}
			wn__resp_free(&resp);
			break;
		}
		/* a transfer that broke after some bytes: ask for the rest */
		if (rc == WN_ENET && delivered && resumes++ < STREAM_RESUMES) {
			wn__log(ctx, WN_LOG_INFO, "download of %s broke at byte %" PRIu64 ": resuming", d->digest, pos);
			continue;
		}
		break;
	}
done:
	free(path);
	free(scope);
	return rc;
}

static char *with_digest(const char *loc, const char *digest)
{
	char *esc = wn__url_escape(digest);
	char *u = esc ? wn__sprintf("%s%sdigest=%s", loc, strchr(loc, '?') ? "&" : "?", esc) : NULL;
	free(esc);
	return u;
}

static void cancel(struct wn_ctx *ctx, const struct wn_ref *repo, const char *scope, const char *loc)
{
	struct wn__resp resp;
	struct wn_error saved = ctx->err;
	struct wn__req req = { .method = "DELETE", .registry = repo->registry, .path = loc, .scope = scope };
	if (wn__http_do(ctx, &req, &resp) == WN_OK)
		wn__resp_free(&resp);
	ctx->err = saved;
}

static ssize_t feed_reader(void *data, void *buf, size_t n)
{
	return wn__feed_read(data, buf, n);
}

/* The error to report after a failed request: the feed's when it is the cause. */
static int upload_error(struct wn_ctx *ctx, struct wn__feed *feed, int rc)
{
	struct wn_error ferr;
	if (feed && wn__feed_error(feed, &ferr) != WN_OK)
		return wn__ctx_take(ctx, &ferr);
	return rc;
}

/* The upload URL a Location header names: a reference resolved against the
 * URL that answered (RFC 3986), never glued to the registry's address, where
 * "@host/..." would make that address user info and send the blob (and the
 * credentials) to another host.  One on another origin gets no credentials
 * (wn__http_do). */
static int session_url(struct wn_ctx *ctx, const struct wn__resp *resp, const char *name, char **out)
{
	char *what = wn__sprintf("the upload Location of %s", name ? name : "the registry");
	int rc = wn__url_ref(ctx, resp->effective_url, resp->location, what ? what : "the upload Location", out);
	free(what);
	return rc;
}

/* POST to open an upload session (or mount). Sets *loc, or *mounted. */
static int open_session(struct wn_ctx *ctx, const struct wn_ref *repo, const struct wn_descriptor *d,
                        const struct wn_ref *from, char **loc, bool *mounted)
{
	char *path, *scope;
	struct wn__resp resp;
	int rc;
	*loc = NULL;
	if (from) {
		char *esc = wn__url_escape(d->digest), *fesc = wn__url_escape(from->repository);
		path = wn__sprintf("/v2/%s/blobs/uploads/?mount=%s&from=%s", repo->repository, esc, fesc);
		/* one token for push here and pull there */
		scope = wn__sprintf("repository:%s:pull,push repository:%s:pull", repo->repository, from->repository);
		free(esc);
		free(fesc);
	} else {
		path = wn__sprintf("/v2/%s/blobs/uploads/", repo->repository);
		scope = scope_of(repo, "pull,push");
	}
	struct wn__req req = { .method = "POST", .registry = repo->registry, .path = path, .scope = scope };
	struct wn_error saved = ctx->err;
	rc = path && scope ? wn__http_do(ctx, &req, &resp) : wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
	if (from && (rc == WN_EAUTH || rc == WN_EDENIED || (rc == WN_OK && (resp.status == 401 || resp.status == 403)))) {
		/* the mount is refused: these credentials may push here but not pull
		 * there (distribution answers 401 insufficient_scope; a copy with
		 * two identities meets it).  A plain upload needs no access there:
		 * fall back to it, as docker and containers/image do. */
		wn__log(ctx, WN_LOG_DEBUG, "mount of %s from %s refused (%s): uploading it", d->digest, from->repository,
		        rc == WN_OK ? (resp.status == 401 ? "401" : "403") : ctx->err.msg);
		if (rc == WN_OK)
			wn__resp_free(&resp);
		ctx->err = saved;
		free(path);
		free(scope);
		return open_session(ctx, repo, d, NULL, loc, mounted);
	}
	if (rc == WN_OK) {
		char *name = wn_ref_name(repo);
		if (from && resp.status == 201) {
			*mounted = true;
			wn__log(ctx, WN_LOG_DEBUG, "mounted %s from %s", d->digest, from->repository);
		} else if (resp.status == 202 && resp.location) {
			rc = session_url(ctx, &resp, name, loc);
		} else if (resp.status == 202) {
			rc = wn__ctx_fail(ctx, WN_EPROTO, "%s opened an upload without a Location", name);
		} else {
			rc = wn__http_fail(ctx, &resp, name);
		}
		free(name);
		wn__resp_free(&resp);
	}
	free(path);
	free(scope);
	return rc;
}

/* GET on the upload URL: how many bytes the registry holds ("Range: 0-N"). */
static int session_offset(struct wn_ctx *ctx, const struct wn_ref *repo, const char *scope, const char *loc,
                          uint64_t *off, char **newloc)
{
	struct wn__resp resp;
	struct wn__req req = { .method = "GET", .registry = repo->registry, .path = loc, .scope = scope };
	int rc = wn__http_do(ctx, &req, &resp);
	*newloc = NULL;
	if (rc != WN_OK)
		return rc;
	if (resp.status != 204 && resp.status != 200) {
		rc = wn__http_fail(ctx, &resp, "the upload session");
	} else {
		/* "0-N" holds N+1 bytes, but distribution says "0-0" for an empty session
		 * too (it clamps the end at 0): an end of 0 is read as nothing yet */
		const char *dash = resp.range ? strchr(resp.range, '-') : NULL;
		uint64_t end = dash ? strtoull(dash + 1, NULL, 10) : 0;
		*off = end ? end + 1 : 0;
		if (resp.location)
			rc = session_url(ctx, &resp, repo->registry, newloc);
	}
	wn__resp_free(&resp);
	return rc;
}

int wn__blob_upload(struct wn_ctx *ctx, const struct wn_ref *repo, const struct wn_descriptor *d,
                    struct wn__feed *feed, const struct wn_ref *from_repo, size_t chunk_size, bool *mounted)
{
	char *scope = scope_of(repo, "pull,push"), *loc = NULL;
	uint64_t size = (uint64_t)d->size;
	int rc = WN_OK, attempts = 0;
	*mounted = false;
	if (from_repo && (strcmp(from_repo->registry, repo->registry) || !strcmp(from_repo->repository, repo->repository)))
		from_repo = NULL; /* mounts only work within one registry */
	if (!scope)
		return wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
	wn__feed_mark(feed);

again:
	if ((rc = open_session(ctx, repo, d, attempts ? NULL : from_repo, &loc, mounted)) != WN_OK || *mounted)
		goto done;
	if (size <= chunk_size) {
		char *url = with_digest(loc, d->digest);
		struct wn__resp resp;
		struct wn__req req = { .method = "PUT", .registry = repo->registry, .path = url, .scope = scope,
			                   .reader = feed_reader, .reader_data = feed, .body_len = size };
		wn__log(ctx, WN_LOG_DEBUG, "uploading %s (%" PRIu64 " bytes, one request)", d->digest, size);
		rc = url ? wn__http_do(ctx, &req, &resp) : wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
		free(url);
		if (rc == WN_OK && resp.status == 201) {
			wn__resp_free(&resp);
			goto done;
		}
		if (rc == WN_OK) {
			rc = upload_error(ctx, feed, wn__http_fail(ctx, &resp, d->digest));
			wn__resp_free(&resp);
		} else {
			rc = upload_error(ctx, feed, rc);
		}
		cancel(ctx, repo, scope, loc);
		if ((rc == WN_ENET || rc == WN_ECANCELED) && ++attempts < UPLOAD_ATTEMPTS &&
		    wn__feed_rewind(feed, 0) == WN_OK) {
			wn__log(ctx, WN_LOG_INFO, "upload of %s failed: starting it again", d->digest);
			free(loc);
			loc = NULL;
			goto again;
		}
		goto done;
	}

	/* chunked: PATCH chunk_size bytes at a time, then PUT the digest */
	uint64_t off = 0;
	int fails = 0;
	while (off < size) {
		uint64_t n = size - off < chunk_size ? size - off : chunk_size;
		struct wn__resp resp;
		struct wn__req req = { .method = "PATCH", .registry = repo->registry, .path = loc, .scope = scope,
			                   .reader = feed_reader, .reader_data = feed, .body_len = n };
		wn__feed_mark(feed);
		wn__log(ctx, WN_LOG_DEBUG, "uploading %s bytes %" PRIu64 "-%" PRIu64 " of %" PRIu64, d->digest, off,
		        off + n - 1, size);
		rc = wn__http_do(ctx, &req, &resp);
		if (rc == WN_OK && resp.status == 202 && resp.location) {
			char *next = NULL;
			rc = session_url(ctx, &resp, repo->registry, &next);
			wn__resp_free(&resp);
			if (rc != WN_OK)
				break;
			free(loc);
			loc = next; /* the previous URL is dead now */
			off += n;
			continue;
		}
		if (rc == WN_OK) {
			rc = upload_error(ctx, feed, wn__http_fail(ctx, &resp, d->digest));
			wn__resp_free(&resp);
		} else {
			rc = upload_error(ctx, feed, rc);
		}
		if ((rc != WN_ENET && rc != WN_ECANCELED) || ++fails > UPLOAD_ATTEMPTS)
			break;
		/* resume where the registry says it is */
		uint64_t have = 0;
		char *newloc = NULL;
		struct wn_error saved = ctx->err;
		if (session_offset(ctx, repo, scope, loc, &have, &newloc) != WN_OK || have < off || have > off + n ||
		    wn__feed_rewind(feed, have) != WN_OK) {
			free(newloc);
			ctx->err = saved;
			break;
		}
		wn__log(ctx, WN_LOG_INFO, "upload of %s broke: resuming at byte %" PRIu64, d->digest, have);
		if (newloc) {
			free(loc);
			loc = newloc;
		}
		off = have;
		rc = WN_OK;
	}
	if (rc != WN_OK) {
		cancel(ctx, repo, scope, loc);
		goto done;
	}
	char *url = with_digest(loc, d->digest);
	struct wn__resp resp;
	/* the commit: the registry may take long to move a large blob into place */
	struct wn__req req = { .method = "PUT", .registry = repo->registry, .path = url, .scope = scope, .body = "",
		                   .body_len = 0, .stream = true };
	rc = url ? wn__http_do(ctx, &req, &resp) : wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
	free(url);
	if (rc == WN_OK) {
		if (resp.status != 201)
			rc = wn__http_fail(ctx, &resp, d->digest);
		wn__resp_free(&resp);
	}
done:
	free(loc);
	free(scope);
	return rc;
}

int wn__blob_put_mem(struct wn_ctx *ctx, const struct wn_ref *repo, const char *digest, const void *data, size_t len)
{
	char *scope = scope_of(repo, "pull,push"), *loc = NULL, *url = NULL;
	struct wn_descriptor d = { .digest = (char *)digest, .size = (int64_t)len };
	bool mounted = false;
	struct wn__resp resp;
	int rc = scope ? open_session(ctx, repo, &d, NULL, &loc, &mounted) : WN_ENOMEM;
	if (rc != WN_OK)
		goto done;
	url = with_digest(loc, digest);
	struct wn__req req = { .method = "PUT", .registry = repo->registry, .path = url, .scope = scope,
		                   .body = len ? data : "", .body_len = len };
	rc = url ? wn__http_do(ctx, &req, &resp) : WN_ENOMEM;
	if (rc == WN_OK) {
		if (resp.status != 201)
			rc = wn__http_fail(ctx, &resp, digest);
		wn__resp_free(&resp);
	}
done:
	free(url);
	free(loc);
	free(scope);
	return rc;
}

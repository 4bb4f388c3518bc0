/*
 * blob.c: blobs on a registry: HEAD, streamed GET that resumes with Range,
 * and uploads.  An upload tries a cross-repository mount first when the
 * blob is on the same registry (a refused mount is uploaded instead), then sends the blob the way
 * registries/uploads.c plans: in one request by default (a PUT, or one
 * streamed PATCH and the commit), in PATCH chunks where asked for or needed
 * and taken.  A chunk that breaks is resumed from the offset the registry
 * reports; an upload whose source turns out wrong is abandoned (DELETE) so
 * the registry never stores it.  What a registry refuses (a size, chunks, a
 * Range that does not advance) is learned on its wn__host for the rest of
 * the run, and the blob starts again from its first byte, checked again.
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
	if (loc && wn__http_do(ctx, &req, &resp) == WN_OK)
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

/* A size header of the last answer on this context's handle (the request
 * wn__http_do just made): OCI-Chunk-Min-Length, which wn__resp does not keep.
 * 0 when absent or not a number. */
static uint64_t last_header_size(struct wn_ctx *ctx, const char *name)
{
#if LIBCURL_VERSION_NUM >= 0x075300
	struct curl_header *h;
	if (curl_easy_header(ctx->curl, name, 0, CURLH_HEADER, -1, &h) == CURLHE_OK && h->value &&
	    h->value[0] >= '0' && h->value[0] <= '9' && strspn(h->value, "0123456789") == strlen(h->value) &&
	    strlen(h->value) <= 15)
		return strtoull(h->value, NULL, 10);
#endif
	return 0;
}

/* POST to open an upload session (or mount). Sets *loc, or *mounted, and
 * *chunk_min to the OCI-Chunk-Min-Length the registry announced (0: none). */
static int open_session(struct wn_ctx *ctx, const struct wn_ref *repo, const struct wn_descriptor *d,
                        const struct wn_ref *from, char **loc, bool *mounted, uint64_t *chunk_min)
{
	char *path, *scope;
	struct wn__resp resp;
	int rc;
	*loc = NULL;
	*chunk_min = 0;
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
		return open_session(ctx, repo, d, NULL, loc, mounted, chunk_min);
	}
	if (rc == WN_OK) {
		char *name = wn_ref_name(repo);
		if (from && resp.status == 201) {
			*mounted = true;
			wn__log(ctx, WN_LOG_DEBUG, "mounted %s from %s", d->digest, from->repository);
		} else if (resp.status == 202 && resp.location) {
			rc = session_url(ctx, &resp, name, loc);
			*chunk_min = last_header_size(ctx, "OCI-Chunk-Min-Length");
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

/* The byte after the end of an upload Range ("0-N", also "bytes=0-N"): N+1. */
static bool range_next(const char *range, uint64_t *next)
{
	const char *dash = range ? strchr(range, '-') : NULL;
	if (!dash || dash[1] < '0' || dash[1] > '9')
		return false;
	*next = strtoull(dash + 1, NULL, 10) + 1;
	return true;
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
		uint64_t next = 0;
		*off = range_next(resp.range, &next) && next > 1 ? next : 0;
		if (resp.location)
			rc = session_url(ctx, &resp, repo->registry, newloc);
	}
	wn__resp_free(&resp);
	return rc;
}

/* One blob on its way up: its session, and why an attempt failed when
 * another way of sending may succeed. */
struct upload {
	struct wn_ctx *ctx;
	const struct wn_ref *repo;
	const struct wn_descriptor *d;
	struct wn__feed *feed;
	char *scope;
	char *loc;                 /* the session: each answer's Location replaces it */
	uint64_t size;
	enum { WHY_OTHER, WHY_TOO_BIG, WHY_CHUNKS } why;
	uint64_t refused;          /* WHY_TOO_BIG: the body that was too big */
	bool refused_chunk;        /* ... a chunk (GHCR's 416) rather than any request (a 413) */
	char said[512];            /* ... what the registry said about it */
	struct wn__journal *j;     /* resume: the journal of the chunks acknowledged (NULL: none kept) */
	char *key;                 /* ... and its key */
};

static bool is_2xx(long st)
{
	return st >= 200 && st < 300;
}

/* A 2xx to a PATCH: the session's next URL, when the answer names one. */
static int follow(struct upload *u, const struct wn__resp *resp)
{
	char *next = NULL;
	if (!resp->location)
		return WN_OK; /* the spec wants one; keep the URL we have */
	int rc = session_url(u->ctx, resp, u->repo->registry, &next);
	if (rc == WN_OK) {
		free(u->loc);
		u->loc = next; /* the previous URL is dead now */
	}
	return rc;
}

/* A non-2xx answer to a request carrying `n` bytes from byte `off` (`chunk`:
 * a PATCH with Content-Range, or the commit after them): the error, and in
 * u->why whether sending the blob another way may work. */
static int refused(struct upload *u, struct wn__resp *resp, bool chunk, uint64_t n, uint64_t off)
{
	long st = resp->status;
	uint64_t next;
	int rc = upload_error(u->ctx, u->feed, wn__http_fail(u->ctx, resp, u->d->digest));
	struct wn_error ferr;
	if (wn__feed_error(u->feed, &ferr) != WN_OK)
		return rc; /* the source failed: nothing the registry said matters */
	if (st == 416 && chunk && range_next(resp->range, &next) && next != off && !(next == 1 && !off)) {
		/* not about size: the registry holds other bytes than we think (ECR, chalk#682) */
		u->why = WHY_CHUNKS;
		snprintf(u->said, sizeof u->said, "answered 416 with Range %s to a chunk at byte %" PRIu64, resp->range,
		         off);
	} else if ((st == 413 || st == 416) && n) {
		struct wn__regerr re;
		u->why = WHY_TOO_BIG;
		u->refused = n;
		u->refused_chunk = chunk && st == 416;
		if (wn__regerr_parse(&re, resp->body.data, resp->body.len) > 0)
			snprintf(u->said, sizeof u->said, "%s", re.message);
		else if (wn__buf_cstr(&resp->body) == WN_OK && resp->body.data)
			snprintf(u->said, sizeof u->said, "%s", (const char *)resp->body.data);
		else
			u->said[0] = 0;
	} else if (chunk && st >= 400 && st < 500 && st != 401 && st != 403 && st != 404 && st != 429) {
		/* Artifact Registry's 400 page, an ECR part under its minimum at the commit, a
		 * registry that assembled the chunks wrong (DIGEST_INVALID): the whole blob in
		 * one request may still go */
		u->why = WHY_CHUNKS;
		snprintf(u->said, sizeof u->said, "refused %s (%ld)", n ? "a chunk" : "the chunks at the commit", st);
	}
	return rc;
}

/* PUT ?digest= closing the session (the bytes went in PATCHes). */
static int commit(struct upload *u, bool after_chunks)
{
	char *url = with_digest(u->loc, u->d->digest);
	struct wn__resp resp;
	/* the registry may take long to move a large blob into place */
	struct wn__req req = { .method = "PUT", .registry = u->repo->registry, .path = url, .scope = u->scope,
		                   .body = "", .body_len = 0, .stream = true };
	int rc = url ? wn__http_do(u->ctx, &req, &resp) : wn__ctx_fail(u->ctx, WN_ENOMEM, "out of memory");
	free(url);
	if (rc == WN_OK) {
		/* 201, as the spec says and containers/image insists: an answer from something that
		 * takes any request (a proxy, a CDN) is no stored blob */
		if (resp.status != 201)
			rc = after_chunks ? refused(u, &resp, true, 0, u->size) : wn__http_fail(u->ctx, &resp, u->d->digest);
		wn__resp_free(&resp);
	}
	return rc;
}

/* The whole blob in the PUT that closes the session (the spec's monolithic upload). */
static int send_put(struct upload *u)
{
	char *url = with_digest(u->loc, u->d->digest);
	struct wn__resp resp;
	struct wn__req req = { .method = "PUT", .registry = u->repo->registry, .path = url, .scope = u->scope,
		                   .reader = feed_reader, .reader_data = u->feed, .body_len = u->size };
	int rc = url ? wn__http_do(u->ctx, &req, &resp) : wn__ctx_fail(u->ctx, WN_ENOMEM, "out of memory");
	free(url);
	if (rc != WN_OK)
		return upload_error(u->ctx, u->feed, rc);
	if (resp.status != 201) /* as for the commit */
		rc = refused(u, &resp, false, u->size, 0);
	wn__resp_free(&resp);
	return rc;
}

/* The whole blob in one streamed PATCH without Content-Range, then the
 * commit: what docker and skopeo send. */
static int send_stream(struct upload *u)
{
	struct wn__resp resp;
	struct wn__req req = { .method = "PATCH", .registry = u->repo->registry, .path = u->loc, .scope = u->scope,
		                   .reader = feed_reader, .reader_data = u->feed, .body_len = u->size };
	int rc = wn__http_do(u->ctx, &req, &resp);
	if (rc != WN_OK)
		return upload_error(u->ctx, u->feed, rc);
	/* any 2xx: ECR answers 201 (aws/containers-roadmap#2831), as docker's and
	 * containers/image's clients accept */
	rc = is_2xx(resp.status) ? follow(u, &resp) : refused(u, &resp, false, u->size, 0);
	wn__resp_free(&resp);
	return rc == WN_OK ? commit(u, false) : rc;
}

/* What a run killed after this chunk needs: the session URL the registry
 * gave with its acknowledgement (distribution's carries its upload state,
 * which must match what it stored) and how far it had got. */
static void journal_ack(struct upload *u, uint64_t off)
{
	cJSON *st = u->j ? cJSON_CreateObject() : NULL;
	if (!st)
		return;
	cJSON_AddStringToObject(st, "registry", u->repo->registry);
	cJSON_AddStringToObject(st, "repository", u->repo->repository);
	cJSON_AddStringToObject(st, "digest", u->d->digest);
	cJSON_AddNumberToObject(st, "size", (double)u->size);
	cJSON_AddStringToObject(st, "location", u->loc);
	cJSON_AddNumberToObject(st, "offset", (double)off);
	wn__journal_write(u->j, "upload", u->key, st);
	cJSON_Delete(st);
}

/* PATCH chunks of p->chunk bytes with Content-Range "START-END" (the spec's
 * form; ACR refuses "bytes START-END" followed by "/" and the total), from
 * byte `off` (the registry holds those before), then the commit.  A chunk
 * that breaks is resumed from the offset the registry reports. */
static int send_chunks(struct upload *u, const struct wn__upload_plan *p, uint64_t off)
{
	int fails = 0, rc = WN_OK;
	while (off < u->size) {
		uint64_t n = u->size - off < p->chunk ? u->size - off : p->chunk;
		char cr[64];
		const char *hdrs[] = { cr, NULL };
		struct wn__resp resp;
		snprintf(cr, sizeof cr, "Content-Range: %" PRIu64 "-%" PRIu64, off, off + n - 1);
		struct wn__req req = { .method = "PATCH", .registry = u->repo->registry, .path = u->loc,
			                   .scope = u->scope, .headers = hdrs, .reader = feed_reader, .reader_data = u->feed,
			                   .body_len = n };
		wn__feed_mark(u->feed);
		wn__log(u->ctx, WN_LOG_DEBUG, "uploading %s bytes %" PRIu64 "-%" PRIu64 " of %" PRIu64, u->d->digest, off,
		        off + n - 1, u->size);
		rc = wn__http_do(u->ctx, &req, &resp);
		if (rc == WN_OK && is_2xx(resp.status)) {
			uint64_t next;
			rc = follow(u, &resp);
			if (rc == WN_OK && p->check_range && range_next(resp.range, &next) && next != off + n) {
				/* the registry says it holds other bytes than it was sent: its Range did not
				 * advance (ECR's, aws/containers-roadmap#2831); the bytes may be lost */
				u->why = WHY_CHUNKS;
				snprintf(u->said, sizeof u->said, "answered Range %s after bytes %" PRIu64 "-%" PRIu64,
				         resp.range, off, off + n - 1);
				rc = wn__ctx_fail(u->ctx, WN_EPROTO, "upload of %s: the registry's Range %s did not advance to byte %" PRIu64,
				                  u->d->digest, resp.range, off + n - 1);
			}
			wn__resp_free(&resp);
			if (rc != WN_OK)
				return rc;
			off += n;
			journal_ack(u, off);
			continue;
		}
		if (rc == WN_OK) {
			rc = refused(u, &resp, true, n, off);
			wn__resp_free(&resp);
			if (u->why != WHY_OTHER)
				return rc;
		} else {
			rc = upload_error(u->ctx, u->feed, rc);
		}
		/* a Range that may be stuck cannot say where to resume: the caller starts again */
		if ((rc != WN_ENET && rc != WN_ECANCELED) || ++fails > UPLOAD_ATTEMPTS || !p->check_range)
			return rc;
		/* resume where the registry says it is */
		uint64_t have = 0;
		char *newloc = NULL;
		struct wn_error saved = u->ctx->err;
		if (session_offset(u->ctx, u->repo, u->scope, u->loc, &have, &newloc) != WN_OK || have < off ||
		    have > off + n || wn__feed_rewind(u->feed, have) != WN_OK) {
			free(newloc);
			u->ctx->err = saved;
			return rc;
		}
		wn__log(u->ctx, WN_LOG_INFO, "upload of %s broke: resuming at byte %" PRIu64, u->d->digest, have);
		if (newloc) {
			free(u->loc);
			u->loc = newloc;
		}
		off = have;
		rc = WN_OK;
	}
	return commit(u, true);
}

static const char *size_words(uint64_t n, char *buf, size_t len)
{
	if (n >= (1u << 20) && !(n % (1u << 20)))
		snprintf(buf, len, "%" PRIu64 " MiB", n >> 20);
	else if (n >= 1024 && !(n % 1024))
		snprintf(buf, len, "%" PRIu64 " KiB", n >> 10);
	else
		snprintf(buf, len, "%" PRIu64 " bytes", n);
	return buf;
}

#define CAP_STEPS 8 /* smaller caps tried for one blob: 4 GiB down to the floor in halves */

void wn__upload_plan_resume(struct wn__upload_plan *out, const struct wn__upload_rules *r,
                            const struct wn__upload_known *k, uint64_t size, uint64_t asked, bool resume)
{
	/* One request is what docker and skopeo send, and the fastest: distribution
	 * syncs its upload file at the end of every PATCH, so small chunks cost
	 * (32 MiB ones about 18% of a 256 MiB push on loopback, 128 MiB ones
	 * within the noise).  But a killed run can only continue a session from a
	 * chunk the registry acknowledged: a large blob goes in chunks where they
	 * are taken that large and the registry's Range says where a session
	 * stands (not on GHCR, whose chunks stop at 4 MiB, ECR, whose Range
	 * sticks, nor Artifact Registry, which takes none: there a restart sends
	 * the blob again). */
	if (resume && !asked && size > WN__UP_RESUME_CHUNK) {
		wn__upload_plan(out, r, k, size, WN__UP_RESUME_CHUNK);
		if (out->how == WN__UP_CHUNKS && out->check_range && out->chunk >= WN__UP_RESUME_CHUNK)
			return;
	}
	wn__upload_plan(out, r, k, size, asked);
}

/* Can a run that is killed continue this plan's session?  Only from a chunk
 * the registry acknowledged, and only where its Range tells how far it got. */
static bool resumable(const struct wn__upload_plan *p)
{
	return p->how == WN__UP_CHUNKS && p->check_range;
}

/* The session a killed run left for this blob (its journal `prev`, locked
 * in u->j), continued where the registry says it stands now: the journal's
 * offset is never believed.  *resumed when it goes on (u->loc set, the feed
 * past the bytes the registry holds, *off where to send from); else the old
 * session is left (a registry that no longer knows it needs nothing) or
 * cancelled, and the blob starts again, quietly.  An error is the source's. */
static int resume_session(struct upload *u, const cJSON *prev, const struct wn__upload_plan *plan, uint64_t *off,
                          bool *resumed)
{
	const char *loc = wn__json_str(prev, "location"), *digest = wn__json_str(prev, "digest");
	struct wn_error saved = u->ctx->err;
	char *newloc = NULL;
	int64_t size = -1;
	uint64_t have = 0;
	*resumed = false;
	*off = 0;
	if (!loc || !digest || strcmp(digest, u->d->digest) ||
	    !wn__json_size(cJSON_GetObjectItemCaseSensitive(prev, "size"), &size) || (uint64_t)size != u->size)
		return WN_OK;
	if (session_offset(u->ctx, u->repo, u->scope, loc, &have, &newloc) != WN_OK) {
		/* distribution answers 404 for a session it purged, and cancels one whose stored size
		 * is not the upload state in its URL ("upload resumed at wrong offset": a run killed
		 * in the middle of a chunk that reached it) */
		wn__log(u->ctx, WN_LOG_INFO, "the upload of %s a previous run left cannot go on (%s): starting it again",
		        u->d->digest, u->ctx->err.msg);
		u->ctx->err = saved;
		return WN_OK;
	}
	if (have >= u->size || !resumable(plan)) {
		/* all there but the commit, or this run sends it another way: a new session is simpler */
		cancel(u->ctx, u->repo, u->scope, newloc ? newloc : loc);
		free(newloc);
		return WN_OK;
	}
	if (!newloc && !(newloc = strdup(loc)))
		return wn__ctx_fail(u->ctx, WN_ENOMEM, "out of memory");
	int rc = wn__feed_skip(u->feed, have);
	if (rc != WN_OK) {
		cancel(u->ctx, u->repo, u->scope, newloc);
		free(newloc);
		return upload_error(u->ctx, u->feed, wn__ctx_fail(u->ctx, rc, "cannot read blob %s again", u->d->digest));
	}
	wn__log(u->ctx, WN_LOG_INFO, "resuming the upload of %s at byte %" PRIu64 " of %" PRIu64 " (a previous run stopped there)",
	        u->d->digest, have, u->size);
	u->loc = newloc;
	*off = have;
	*resumed = true;
	return WN_OK;
}

int wn__blob_upload(struct wn_ctx *ctx, const struct wn_ref *repo, const struct wn_descriptor *d,
                    struct wn__feed *feed, const struct wn_ref *from_repo, size_t chunk_size, bool resume,
                    bool *mounted)
{
	struct upload u = { .ctx = ctx, .repo = repo, .d = d, .feed = feed, .size = (uint64_t)d->size };
	struct wn__host *host = wn__ctx_host(ctx, repo->registry);
	const struct wn__upload_rules *rules = wn__upload_rules(wn__vendor_of(repo->registry));
	uint64_t asked = chunk_size; /* 0: no chunks asked for */
	struct wn__upload_known k;
	struct wn__upload_plan plan;
	uint64_t start = 0;
	cJSON *prev = NULL;
	int rc = WN_OK, tries = 0, steps = 0;
	bool fell_back = false, resumed = false;
	char a[32], b[32];
	*mounted = false;
	if (from_repo && (strcmp(from_repo->registry, repo->registry) || !strcmp(from_repo->repository, repo->repository)))
		from_repo = NULL; /* mounts only work within one registry */
	if (!(u.scope = scope_of(repo, "pull,push")) || !host ||
	    (resume && !(u.key = wn__sprintf("%s/%s@%s", repo->registry, repo->repository, d->digest)))) {
		rc = wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
		goto done;
	}
	wn__feed_mark(feed);
	/* a session a killed run left, where this run would keep a journal too */
	wn__lock(ctx);
	k = host->up;
	wn__unlock(ctx);
	wn__upload_plan_resume(&plan, rules, &k, u.size, asked, resume);
	if (resume && resumable(&plan) && wn__journal_open(ctx, "upload", u.key, &u.j, &prev) == WN_OK && prev &&
	    (rc = resume_session(&u, prev, &plan, &start, &resumed)) != WN_OK)
		goto done;

	for (;;) {
		uint64_t chunk_min = 0;
		bool first = !tries && !steps && !fell_back;
		if (!resumed) {
			if ((rc = open_session(ctx, repo, d, first ? from_repo : NULL, &u.loc, mounted, &chunk_min)) != WN_OK ||
			    *mounted)
				break;
			/* what this run knows of the registry, shared with the blobs going up beside this one */
			wn__lock(ctx);
			if (chunk_min > host->up.chunk_min)
				host->up.chunk_min = chunk_min;
			k = host->up;
			wn__unlock(ctx);
			wn__upload_plan_resume(&plan, rules, &k, u.size, asked, resume);
		}
		if (plan.how == WN__UP_CHUNKS)
			wn__log(ctx, WN_LOG_DEBUG, "uploading %s (%" PRIu64 " bytes) in chunks of %s", d->digest, u.size,
			        size_words(plan.chunk, a, sizeof a));
		else
			wn__log(ctx, WN_LOG_DEBUG, "uploading %s (%" PRIu64 " bytes, one %s)", d->digest, u.size,
			        plan.how == WN__UP_PUT ? "request" : "streamed PATCH");
		/* the journal lives while acknowledged chunks can be continued */
		if (resume && resumable(&plan) && !u.j)
			wn__journal_open(ctx, "upload", u.key, &u.j, NULL);
		else if (!resumable(&plan) && u.j) {
			wn__journal_done(u.j);
			u.j = NULL;
		}
		u.why = WHY_OTHER;
		rc = plan.how == WN__UP_PUT ? send_put(&u) : plan.how == WN__UP_STREAM ? send_stream(&u)
		                                                                       : send_chunks(&u, &plan, start);
		resumed = false;
		start = 0;
		if (rc == WN_OK)
			break;
		cancel(ctx, repo, u.scope, u.loc); /* the registry never keeps a half upload */
		free(u.loc);
		u.loc = NULL;
		if (u.why == WHY_TOO_BIG) {
			/* learned for the rest of the run: the next blob goes within it at once */
			uint64_t cap = wn__upload_cap_after(u.refused, u.said);
			if (!cap || ++steps > CAP_STEPS) {
				rc = wn__ctx_fail(ctx, WN_EPROTO, "%s refused blob %s as too large even at %s per request",
				                  repo->registry, d->digest, size_words(u.refused, a, sizeof a));
				break;
			}
			wn__lock(ctx);
			uint64_t *slot = u.refused_chunk ? &host->up.chunk_max : &host->up.body_max;
			if (!*slot || cap < *slot)
				*slot = cap;
			cap = *slot; /* a blob beside this one may have learned less */
			wn__unlock(ctx);
			wn__log(ctx, WN_LOG_INFO, "%s refused an upload request of %s as too large: at most %s per %s from now on",
			        repo->registry, size_words(u.refused, a, sizeof a), size_words(cap, b, sizeof b),
			        u.refused_chunk ? "chunk" : "request");
		} else if (u.why == WHY_CHUNKS) {
			wn__lock(ctx);
			host->up.no_chunks = true;
			wn__unlock(ctx);
			if (fell_back)
				break;
			fell_back = true;
			wn__log(ctx, WN_LOG_INFO, "%s %s: sending %s again in one request, and every later blob the same way",
			        repo->registry, u.said, d->digest);
		} else if ((rc == WN_ENET || rc == WN_ECANCELED) && ++tries < UPLOAD_ATTEMPTS) {
			wn__log(ctx, WN_LOG_INFO, "upload of %s failed: starting it again", d->digest);
		} else {
			break;
		}
		/* from the first byte, every byte read and checked again */
		if (wn__feed_restart(feed) != WN_OK)
			break;
	}
done:
	/* stored, failed or interrupted: only a run killed outright leaves its journal */
	wn__journal_done(u.j);
	cJSON_Delete(prev);
	free(u.key);
	free(u.loc);
	free(u.scope);
	return rc;
}

int wn__blob_put_mem(struct wn_ctx *ctx, const struct wn_ref *repo, const char *digest, const void *data, size_t len)
{
	char *scope = scope_of(repo, "pull,push"), *loc = NULL, *url = NULL;
	struct wn_descriptor d = { .digest = (char *)digest, .size = (int64_t)len };
	bool mounted = false;
	struct wn__resp resp;
	uint64_t chunk_min;
	int rc = scope ? open_session(ctx, repo, &d, NULL, &loc, &mounted, &chunk_min) : WN_ENOMEM;
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

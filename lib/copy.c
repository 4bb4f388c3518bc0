/*
 * copy.c: the one copy engine behind copy, pull and push.
 *
 * It walks the source's manifest tree (an index, its platform manifests,
 * their blobs), asks the destination which blobs and manifests it already
 * holds, moves the missing blobs in parallel (each streamed and verified on
 * the way, see pipe.c), then writes manifests children first, the top one
 * last: a destination never holds a manifest whose blobs are missing.
 * Manifests are copied byte for byte, so digests are kept; only a
 * platform-filtered index is new.
 *
 * The two sides may have contexts of their own (wn_copy_options.dest_ctx):
 * two identities, TLS settings and token caches, even for one registry.
 * Every source operation then runs on the source's context (or a fork of
 * it), every destination operation on the destination's, and an error is
 * moved to the source's, where the caller reads it.
 */
#include <regex.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"
#include "sign/sign.h"

#define DEFAULT_JOBS 4
#define MAX_JOBS 64
#define MAX_DEPTH 4

struct engine {
	struct wn_ctx *ctx;             /* the source's context; the copy's errors end up here */
	struct wn_ctx *dctx;            /* the destination's: ctx, unless the copy has two */
	struct wn__src *src;
	struct wn__dst *dst;
	const struct wn_copy_options *opt;
	struct wn_copy_result *res;

	struct wn_manifest **mans;      /* to write, in order: children first */
	size_t n_mans, cap_mans;
	const struct wn_descriptor **blobs; /* unique by digest, pointing into mans */
	size_t n_blobs, cap_blobs;

	pthread_mutex_t mu;             /* the pool's state and the progress below */
	size_t next;
	bool abort;
	bool no_mount;                  /* two contexts: a blob did not mount, upload the rest */
	struct wn_error err;
	struct wn_copy_progress prog;
};

/* With two contexts an operation's error is on the side it ran on: moves it
 * to the context the caller of the step reads (`to`).  Returns rc. */
static int moved(struct wn_ctx *to, struct wn_ctx *from, int rc)
{
	if (rc != WN_OK && to != from)
		wn__ctx_take(to, &from->err);
	return rc;
}

static int push_manifest(struct engine *e, struct wn_manifest *m)
{
	if (e->n_mans == e->cap_mans) {
		size_t cap = e->cap_mans ? e->cap_mans * 2 : 8;
		struct wn_manifest **n = realloc(e->mans, cap * sizeof *n);
		if (!n)
			return WN_ENOMEM;
		e->mans = n;
		e->cap_mans = cap;
	}
	e->mans[e->n_mans++] = m;
	return WN_OK;
}

static int add_blob(struct engine *e, const struct wn_descriptor *d)
{
	for (size_t i = 0; i < e->n_blobs; i++)
		if (!strcmp(e->blobs[i]->digest, d->digest))
			return WN_OK;
	if (e->n_blobs == e->cap_blobs) {
		size_t cap = e->cap_blobs ? e->cap_blobs * 2 : 16;
		const struct wn_descriptor **n = realloc(e->blobs, cap * sizeof *n);
		if (!n)
			return WN_ENOMEM;
		e->blobs = n;
		e->cap_blobs = cap;
	}
	e->blobs[e->n_blobs++] = d;
	return WN_OK;
}

/* Adds m (owned by the engine from now on) and what it needs from the source. */
static int collect(struct engine *e, struct wn_manifest *m, int depth)
{
	int rc = WN_OK;
	if (depth > MAX_DEPTH) {
		wn_manifest_free(m);
		return wn__ctx_fail(e->ctx, WN_EUNSUPPORTED, "indexes nested more than %d deep", MAX_DEPTH);
	}
	if (m->is_index) {
		for (size_t i = 0; i < m->n_manifests && rc == WN_OK; i++) {
			const struct wn_descriptor *c = &m->manifests[i];
			char have[WN_DIGEST_MAX];
			bool seen = false;
			/* a child listed twice (here, or under another index of the tree) is
			 * fetched and written once: 300 copies of one entry are one manifest */
			for (size_t k = 0; k < i && !seen; k++)
				seen = !strcmp(m->manifests[k].digest, c->digest);
			for (size_t k = 0; k < e->n_mans && !seen; k++)
				seen = !strcmp(e->mans[k]->digest, c->digest);
			if (seen)
				continue;
			struct wn_error saved = e->dctx->err;
			/* (converted, a child is another manifest: it is fetched to be converted) */
			if (!e->opt->dest_format && e->dst->ops->manifest_digest(e->dst, e->dctx, c->digest, have) == WN_OK) {
				continue; /* the destination holds this child and so its blobs */
			}
			e->dctx->err = saved;
			struct wn_manifest *child;
			if ((rc = e->src->ops->manifest_get(e->src, e->ctx, c->digest, &child)) == WN_OK)
				rc = collect(e, child, depth + 1);
		}
	} else {
		if ((rc = add_blob(e, &m->config)) != WN_OK)
			goto fail;
		for (size_t i = 0; i < m->n_layers && rc == WN_OK; i++)
			rc = add_blob(e, &m->layers[i]);
	}
	if (rc == WN_OK && (rc = push_manifest(e, m)) == WN_OK)
		return WN_OK;
fail:
	wn_manifest_free(m);
	return rc == WN_ENOMEM ? wn__ctx_fail(e->ctx, WN_ENOMEM, "out of memory") : rc;
}

/* One blob's progress: the feed reports bytes so far, the engine adds the growth. */
struct blob_progress {
	struct engine *e;
	uint64_t last;
};

static void progress(void *data, const struct wn_descriptor *d, uint64_t done)
{
	struct blob_progress *bp = data;
	struct engine *e = bp->e;
	pthread_mutex_lock(&e->mu);
	e->prog.bytes_done += done - bp->last;
	bp->last = done;
	if (e->opt->progress)
		e->opt->progress(e->opt->progress_data, &e->prog);
	pthread_mutex_unlock(&e->mu);
}

/* Blobs on their way to a destination, shared by every copy of the context:
 * parallel tag copies of a mirror share layers, and sending one blob twice at
 * once wastes the bandwidth (and races the registry's commit). */
struct wn__inflight {
	char *key;                 /* destination name + digest */
	struct wn__inflight *next;
};

/* true: the caller sends it (and must call inflight_end); false: another
 * copy just did (or failed to), so look again */
static bool inflight_begin(struct wn_ctx *ctx, const char *key)
{
	bool waited = false;
	wn__lock(ctx);
	for (;;) {
		struct wn__inflight *f = ctx->sh->inflight;
		while (f && strcmp(f->key, key))
			f = f->next;
		if (!f)
			break;
		waited = true;
		pthread_cond_wait(&ctx->sh->inflight_done, &ctx->sh->lock);
	}
	if (!waited) {
		struct wn__inflight *f = calloc(1, sizeof *f);
		if (f && (f->key = strdup(key))) {
			f->next = ctx->sh->inflight;
			ctx->sh->inflight = f;
		} else {
			free(f);
		}
	}
	wn__unlock(ctx);
	return !waited;
}

static void inflight_end(struct wn_ctx *ctx, const char *key)
{
	wn__lock(ctx);
	for (struct wn__inflight **p = &ctx->sh->inflight; *p; p = &(*p)->next)
		if (!strcmp((*p)->key, key)) {
			struct wn__inflight *f = *p;
			*p = f->next;
			free(f->key);
			free(f);
			break;
		}
	pthread_cond_broadcast(&ctx->sh->inflight_done);
	wn__unlock(ctx);
}

/* HEAD, then mount or stream it: `ctx` is the worker's context for the
 * destination (its errors are read there), `sctx` for the source (the feed
 * streams on a fork of it); one and the same with one context. */
static int send_blob(struct engine *e, struct wn_ctx *sctx, struct wn_ctx *ctx, const struct wn_descriptor *d)
{
	bool have = false, mounted = false;
	struct wn__feed *feed = NULL;
	const struct wn__src *from;
	int rc = e->dst->ops->blob_exists(e->dst, ctx, d, &have);
	if (rc != WN_OK || have) {
		if (have)
			wn__log(ctx, WN_LOG_DEBUG, "blob %s: already there", d->digest);
		pthread_mutex_lock(&e->mu);
		if (have) {
			e->res->blobs_skipped++;
			e->prog.bytes_total -= (uint64_t)d->size;
		}
		pthread_mutex_unlock(&e->mu);
		return rc;
	}
	struct blob_progress bp = { e, 0 };
	if ((rc = wn__feed_new(&feed, sctx, e->src, d, progress, &bp)) != WN_OK)
		return moved(ctx, sctx, rc);
	/* A mount (same registry) is asked for with the destination's
	 * credentials, and needs pull on the source repository as well.  With two
	 * identities that may not be granted: a refused mount is uploaded (blob.c),
	 * and after one blob that did not mount the rest are uploaded at once. */
	pthread_mutex_lock(&e->mu);
	from = e->no_mount ? NULL : e->src;
	pthread_mutex_unlock(&e->mu);
	rc = e->dst->ops->blob_write(e->dst, ctx, d, feed, from, &mounted);
	wn__feed_free(feed);
	pthread_mutex_lock(&e->mu);
	if (rc == WN_OK && from && !mounted && e->dctx != e->ctx)
		e->no_mount = true;
	if (rc == WN_OK && mounted) {
		e->res->blobs_mounted++;
		e->prog.bytes_total -= (uint64_t)d->size;
	} else if (rc == WN_OK) {
		e->res->blobs_copied++;
		e->res->bytes_copied += (uint64_t)d->size;
	}
	pthread_mutex_unlock(&e->mu);
	return rc;
}

static int copy_blob(struct engine *e, struct wn_ctx *sctx, struct wn_ctx *ctx, size_t i)
{
	const struct wn_descriptor *d = e->blobs[i];
	char *key = e->dst->ref ? wn__sprintf("%s/%s@%s", e->dst->ref->registry, e->dst->ref->repository, d->digest)
	                        : NULL;
	while (key && !inflight_begin(ctx, key))
		; /* another copy was sending it: look again (its HEAD will find it) */
	int rc = send_blob(e, sctx, ctx, d);
	if (key) {
		inflight_end(ctx, key);
		free(key);
	}
	return rc;
}

static void *worker(void *arg)
{
	struct engine *e = arg;
	struct wn_ctx *sctx = NULL, *ctx = NULL;
	/* a fork of each side's context (one with one context); errors are read on ctx */
	if (wn__ctx_fork(&sctx, e->ctx) != WN_OK ||
	    (e->dctx == e->ctx ? (ctx = sctx) == NULL : wn__ctx_fork(&ctx, e->dctx) != WN_OK)) {
		wn_ctx_free(sctx);
		pthread_mutex_lock(&e->mu);
		if (!e->abort) {
			e->abort = true;
			wn__error_set(&e->err, WN_ENOMEM, "out of memory");
		}
		pthread_mutex_unlock(&e->mu);
		return NULL;
	}
	for (;;) {
		pthread_mutex_lock(&e->mu);
		size_t i = e->next;
		bool stop = e->abort || i >= e->n_blobs;
		if (!stop)
			e->next++;
		pthread_mutex_unlock(&e->mu);
		if (stop)
			break;
		if (copy_blob(e, sctx, ctx, i) != WN_OK) {
			pthread_mutex_lock(&e->mu);
			if (!e->abort) { /* the first failure is the one reported */
				e->abort = true;
				e->err = ctx->err;
			}
			pthread_mutex_unlock(&e->mu);
			break;
		}
		pthread_mutex_lock(&e->mu);
		e->prog.blobs_done++;
		if (e->opt->progress)
			e->opt->progress(e->opt->progress_data, &e->prog);
		pthread_mutex_unlock(&e->mu);
	}
	if (ctx != sctx)
		wn_ctx_free(ctx);
	wn_ctx_free(sctx);
	return NULL;
}

static int cmp_size_desc(const void *a, const void *b)
{
	const struct wn_descriptor *x = *(const struct wn_descriptor *const *)a, *y = *(const struct wn_descriptor *const *)b;
	return x->size < y->size ? 1 : x->size > y->size ? -1 : 0;
}

static int run_blobs(struct engine *e)
{
	if (!e->n_blobs)
		return WN_OK;
	/* the largest first: they bound the total time */
	qsort(e->blobs, e->n_blobs, sizeof *e->blobs, cmp_size_desc);
	e->next = 0;
	e->abort = false;
	e->prog.blobs_total += (unsigned)e->n_blobs;
	for (size_t i = 0; i < e->n_blobs; i++)
		e->prog.bytes_total += (uint64_t)e->blobs[i]->size;
	unsigned jobs = e->opt->jobs ? e->opt->jobs : DEFAULT_JOBS;
	if (jobs > MAX_JOBS)
		jobs = MAX_JOBS;
	if (jobs > e->n_blobs)
		jobs = (unsigned)e->n_blobs;
	pthread_t thr[MAX_JOBS];
	unsigned started = 0;
	for (; started < jobs; started++)
		if (pthread_create(&thr[started], NULL, worker, e))
			break;
	if (!started)
		worker(e);
	for (unsigned i = 0; i < started; i++)
		pthread_join(thr[i], NULL);
	if (e->abort)
		return wn__ctx_take(e->ctx, &e->err);
	return WN_OK;
}

static size_t mem_sink(void *data, const void *p, size_t n)
{
	struct wn__buf *b = data;
	return wn__buf_append(b, p, n) == WN_OK && !b->overflow ? n : 0;
}

/* The platform a single image's config states, "" when it states none. */
static int image_platform(struct engine *e, const struct wn_manifest *m, char **out)
{
	struct wn__buf b = { .max = 8u << 20 };
	struct wn_image_config *c = NULL;
	struct wn_hasher *h = NULL;
	char got[WN_DIGEST_MAX];
	struct wn_error err;
	int rc = e->src->ops->blob_stream(e->src, e->ctx, &m->config, 0, mem_sink, &b);
	*out = NULL;
	if (rc == WN_OK && (rc = wn_hasher_new(&h, m->config.digest, &err)) != WN_OK)
		rc = wn__ctx_take(e->ctx, &err);
	if (rc == WN_OK) {
		wn_hasher_update(h, b.data, b.len);
		wn_hasher_final(h, got);
		if (strcmp(got, m->config.digest))
			rc = wn__ctx_fail(e->ctx, WN_EDIGEST, "config %s of %s has the digest %s", m->config.digest,
			                  e->src->name, got);
	}
	if (rc == WN_OK && wn_image_config_parse(&c, b.data, b.len, &err) == WN_OK && c->os && c->architecture) {
		struct wn_platform p = { c->os, c->architecture, c->variant, NULL };
		*out = wn_platform_string(&p);
	} else if (rc == WN_OK) {
		*out = strdup("");
	}
	if (rc == WN_OK && !*out)
		rc = wn__ctx_fail(e->ctx, WN_ENOMEM, "out of memory");
	wn_image_config_free(c);
	wn_hasher_free(h);
	wn__buf_free(&b);
	return rc;
}

/* A single image and --platform: its config must state one of them, as docker
 * refuses an image of another platform.  The platform wn_copy picks by itself
 * for a destination without indexes (this machine's) is no demand: a
 * single-platform image is taken whatever it states, as docker pull does. */
static int check_single(struct engine *e, const struct wn_manifest *m)
{
	const char *const *want = e->opt->platforms;
	char *have = NULL;
	bool ok = false;
	int rc;
	if (!want[1] && want[0] == wn__host_platform())
		return WN_OK;
	if ((rc = image_platform(e, m, &have)) != WN_OK)
		return rc;
	for (size_t i = 0; want[i] && *have && !ok; i++) {
		struct wn_platform w, h;
		struct wn_error err;
		if (wn_platform_parse(&w, want[i], &err) != WN_OK) {
			free(have);
			return wn__ctx_take(e->ctx, &err);
		}
		if (wn_platform_parse(&h, have, NULL) == WN_OK)
			ok = wn_platform_match(&w, &h);
		wn_platform_clear(&w);
		wn_platform_clear(&h);
	}
	if (!ok)
		rc = wn__ctx_fail(e->ctx, WN_ENOTFOUND, "platform %s is not in %s: it is a single image %s%s%s", want[0],
		                  e->src->name, *have ? "for " : "", *have ? have : "that states no platform",
		                  want[1] ? " (nor any other --platform given)" : "");
	free(have);
	return rc;
}

/* An index holding only the platforms asked for: one gives its manifest,
 * several give a new index (the original's other fields kept) with the
 * attestation manifests of the images picked.  Attestation entries
 * (unknown/unknown) are never a platform to pick. */
static int select_platforms(struct engine *e, struct wn_manifest **root)
{
	const char *const *want = e->opt->platforms;
	struct wn_manifest *idx = *root;
	size_t n_want = 0, picked[64];
	struct wn_error err;
	int rc = WN_OK;
	if (!want || !want[0])
		return WN_OK;
	if (!idx->is_index)
		return check_single(e, idx);
	for (; want[n_want]; n_want++) {
		if (n_want == 64)
			return wn__ctx_fail(e->ctx, WN_EINVAL, "too many --platform values");
		if ((rc = wn__index_pick(e->ctx, idx, want[n_want], e->src->name, &picked[n_want])) != WN_OK)
			return rc;
	}
	if (n_want == 1) {
		struct wn_manifest *m;
		if ((rc = e->src->ops->manifest_get(e->src, e->ctx, idx->manifests[picked[0]].digest, &m)) != WN_OK)
			return rc;
		wn_manifest_free(idx);
		*root = m;
		return WN_OK;
	}
	cJSON *j = wn__json_parse(idx->data, idx->len), *arr = cJSON_CreateArray();
	const cJSON *orig = cJSON_GetObjectItemCaseSensitive(j, "manifests");
	for (size_t k = 0; k < n_want; k++) {
		bool dup = false;
		for (size_t q = 0; q < k; q++)
			dup |= picked[q] == picked[k];
		if (!dup)
			cJSON_AddItemToArray(arr, cJSON_Duplicate(cJSON_GetArrayItem(orig, (int)picked[k]), 1));
	}
	/* the attestations of the images picked come with them, after them as buildx writes them */
	for (size_t i = 0; i < idx->n_manifests; i++) {
		const char *of = wn_descriptor_attests(&idx->manifests[i]);
		bool mine = false;
		for (size_t k = 0; of && k < n_want && !mine; k++)
			mine = !strcmp(of, idx->manifests[picked[k]].digest);
		if (mine)
			cJSON_AddItemToArray(arr, cJSON_Duplicate(cJSON_GetArrayItem(orig, (int)i), 1));
	}
	cJSON_ReplaceItemInObjectCaseSensitive(j, "manifests", arr);
	char *text = cJSON_PrintUnformatted(j);
	cJSON_Delete(j);
	struct wn_manifest *m = NULL;
	if (!text)
		return wn__ctx_fail(e->ctx, WN_ENOMEM, "out of memory");
	rc = wn_manifest_parse(&m, text, strlen(text), idx->media_type, &err);
	free(text);
	if (rc != WN_OK)
		return wn__ctx_take(e->ctx, &err);
	wn_manifest_free(idx);
	*root = m;
	return WN_OK;
}

/* --dest-format (convert.c): the manifests collected, converted children
 * first.  For the main image the result's digest is the converted one; a
 * destination whose tag (or digest) already holds that is up to date. */
static int convert(struct engine *e, const char *tag, bool main_image, bool *up_to_date)
{
	struct wn_error saved = e->dctx->err;
	char have[WN_DIGEST_MAX];
	bool changed;
	int rc;
	*up_to_date = false;
	if (!e->opt->dest_format || !e->n_mans)
		return WN_OK;
	if ((rc = wn__convert(e->ctx, e->opt->dest_format, e->mans, e->n_mans, e->src->name, &changed)) != WN_OK)
		return rc;
	/* the blob list pointed into the manifests replaced: the same blobs, from the new ones */
	e->n_blobs = 0;
	for (size_t i = 0; i < e->n_mans && rc == WN_OK; i++)
		for (size_t k = 0; !e->mans[i]->is_index && k <= e->mans[i]->n_layers && rc == WN_OK; k++)
			rc = add_blob(e, k ? &e->mans[i]->layers[k - 1] : &e->mans[i]->config);
	if (rc != WN_OK)
		return wn__ctx_fail(e->ctx, WN_ENOMEM, "out of memory");
	const struct wn_manifest *top = e->mans[e->n_mans - 1];
	if (main_image) {
		memcpy(e->res->digest, top->digest, WN_DIGEST_MAX);
		e->res->converted = changed;
	}
	if (e->dst->ops->manifest_digest(e->dst, e->dctx, tag ? tag : top->digest, have) == WN_OK &&
	    !strcmp(have, top->digest)) {
		wn__log(e->ctx, WN_LOG_INFO, "%s already holds %s", e->dst->name, top->digest);
		*up_to_date = true;
		e->res->up_to_date |= main_image;
	} else {
		e->dctx->err = saved;
	}
	return WN_OK;
}

static void engine_reset(struct engine *e)
{
	for (size_t i = 0; i < e->n_mans; i++)
		wn_manifest_free(e->mans[i]);
	free(e->mans);
	free(e->blobs);
	e->mans = NULL;
	e->blobs = NULL;
	e->n_mans = e->cap_mans = e->n_blobs = e->cap_blobs = 0;
}

/* Copies what `ref` (tag or digest) names at the source to `tag` (NULL: by
 * digest) at the destination.  *root_digest gets the source's top digest. */
static int copy_ref(struct engine *e, const char *ref, const char *tag, bool filter, char src_digest[WN_DIGEST_MAX])
{
	struct wn_manifest *root;
	char have[WN_DIGEST_MAX];
	int rc = e->src->ops->manifest_get(e->src, e->ctx, ref, &root);
	if (rc != WN_OK)
		return rc;
	if (src_digest)
		memcpy(src_digest, root->digest, WN_DIGEST_MAX);
	if (filter && (rc = select_platforms(e, &root)) != WN_OK) {
		wn_manifest_free(root);
		return rc;
	}
	memcpy(e->res->digest, root->digest, WN_DIGEST_MAX);
	if (filter)
		memcpy(e->res->source_digest, root->digest, WN_DIGEST_MAX);
	struct wn_error saved = e->dctx->err;
	bool same = false;
	int hrc = e->dst->ops->manifest_digest(e->dst, e->dctx, tag ? tag : root->digest, have);
	/* converted, the destination holds another digest: convert() looks */
	if (!e->opt->dest_format && hrc == WN_OK && !strcmp(have, root->digest)) {
		wn__log(e->ctx, WN_LOG_INFO, "%s already holds %s", e->dst->name, root->digest);
		wn_manifest_free(root);
		if (filter) /* only the main image decides "nothing to do" */
			e->res->up_to_date = 1;
		return WN_OK;
	}
	/* --no-clobber: the tag exists and holds something else (or cannot be
	 * checked): nothing is sent.  Converted, what it holds is compared with
	 * the conversion's digest once convert() made it. */
	bool clobber = filter && tag && e->opt->no_clobber && hrc != WN_ENOTFOUND;
	if (clobber && (hrc != WN_OK || !e->opt->dest_format)) {
		wn_manifest_free(root);
		return hrc != WN_OK ? moved(e->ctx, e->dctx, hrc)
		                    : wn__ctx_fail(e->ctx, WN_EREFUSED, "refusing to move %s: the tag %s holds %s, not %s "
		                                   "(--no-clobber)", e->dst->name, tag, have, e->res->digest);
	}
	e->dctx->err = saved;
	if ((rc = collect(e, root, 0)) != WN_OK || (rc = convert(e, tag, filter, &same)) != WN_OK || same)
		goto done;
	if (clobber) {
		rc = wn__ctx_fail(e->ctx, WN_EREFUSED, "refusing to move %s: the tag %s holds %s, not %s (--no-clobber)",
		                  e->dst->name, tag, have, e->res->digest);
		goto done;
	}
	if ((rc = run_blobs(e)) != WN_OK)
		goto done;
	for (size_t i = 0; i < e->n_mans && rc == WN_OK; i++) {
		bool top = i + 1 == e->n_mans;
		rc = moved(e->ctx, e->dctx, e->dst->ops->manifest_put(e->dst, e->dctx, e->mans[i], top ? tag : NULL, top));
		if (rc == WN_OK)
			e->res->manifests_put++;
	}
done:
	engine_reset(e);
	return rc;
}

/* With the source's referrers API: each referrer by digest, and where the
 * destination has no API, the referrers index under the fallback tag.
 * Returns WN_EUNSUPPORTED when the source has no API. */
static int copy_referrers_api(struct engine *e, const char *subject, const char *fallback_tag)
{
	struct wn_manifest *idx = NULL;
	struct wn_error saved = e->ctx->err;
	int rc = e->src->ops->referrers ? e->src->ops->referrers(e->src, e->ctx, subject, &idx) : WN_EUNSUPPORTED;
	if (rc != WN_OK) {
		if (rc == WN_EUNSUPPORTED)
			e->ctx->err = saved;
		return rc;
	}
	if (!idx->n_manifests) { /* none listed: the tag schema may still hold some (an API that lags) */
		wn_manifest_free(idx);
		return WN_EUNSUPPORTED;
	}
	for (size_t i = 0; i < idx->n_manifests && rc == WN_OK; i++)
		if ((rc = copy_ref(e, idx->manifests[i].digest, NULL, false, NULL)) == WN_OK)
			e->res->referrers++;
	bool api = false;
	if (rc == WN_OK && idx->n_manifests && e->dst->ops->referrers_api)
		rc = moved(e->ctx, e->dctx, e->dst->ops->referrers_api(e->dst, e->dctx, subject, &api));
	if (rc == WN_OK && idx->n_manifests && !api)
		rc = moved(e->ctx, e->dctx, e->dst->ops->manifest_put(e->dst, e->dctx, idx, fallback_tag, true));
	wn_manifest_free(idx);
	return rc;
}

/* Artifacts that refer to `subject`: through the referrers API where the
 * source has one, else the tag schema ("sha256-<hex>" for the OCI referrers
 * index); cosign's "sha256-<hex>.sig/.att/.sbom" tags in both cases. */
static int copy_referrers(struct engine *e, const struct wn_strlist *tags, const char *subject)
{
	const char *hex = strchr(subject, ':');
	char prefix[WN_DIGEST_MAX + 8];
	int rc = WN_OK;
	if (!hex)
		return WN_OK;
	snprintf(prefix, sizeof prefix, "%.*s-%s", (int)(hex - subject), subject, hex + 1);
	size_t pl = strlen(prefix);
	int api = copy_referrers_api(e, subject, prefix);
	if (api != WN_OK && api != WN_EUNSUPPORTED)
		return api;
	for (size_t i = 0; i < tags->n && rc == WN_OK; i++) {
		const char *t = tags->items[i];
		if (strncmp(t, prefix, pl) || (t[pl] && t[pl] != '.') || (api == WN_OK && !t[pl]))
			continue;
		wn__log(e->ctx, WN_LOG_INFO, "referrer tag %s", t);
		if ((rc = copy_ref(e, t, t, false, NULL)) == WN_OK)
			e->res->referrers++;
	}
	return rc;
}

/* wn_copy with the source's context ctx and the destination's dctx (the same one, or forks of two). */
static int copy_sides(struct wn_copy_result *out, struct wn_ctx *ctx, struct wn_ctx *dctx, const char *src,
                      const char *dst, const struct wn_copy_options *opts)
{
	static const struct wn_copy_options defaults = WN_COPY_OPTIONS_INIT;
	struct engine e = { .ctx = ctx, .dctx = dctx, .opt = opts ? opts : &defaults, .res = out };
	char src_digest[WN_DIGEST_MAX] = "", *src_tag = NULL;
	int rc;
	memset(out, 0, sizeof *out);
	pthread_mutex_init(&e.mu, NULL);
	if ((rc = wn__src_open(&e.src, ctx, src)) != WN_OK ||
	    (rc = moved(ctx, dctx, wn__dst_open(&e.dst, dctx, dst))) != WN_OK)
		goto done;
	e.dst->chunk_size = e.opt->chunk_size;
	/* resume journals (journal.c): kept while blobs move, unless asked not to; stale ones go first */
	if ((e.dst->resume = !e.opt->no_resume))
		wn__journal_clean(ctx);
	const char *ref = e.src->digest ? e.src->digest : e.src->tag;
	/* DST without a tag takes SRC's.  A source named by digest alone gives
	 * none: the image goes by digest only, as crane does, since a "latest"
	 * nobody asked for would move a tag others rely on.  Only a source with
	 * neither (an archive's only image) gets docker's default. */
	if (!e.dst->tag && !e.dst->digest && (rc = wn__dst_default_tag(ctx, e.src, e.dst, &src_tag)) != WN_OK)
		goto done;
	const char *tag = e.dst->tag ? e.dst->tag : e.dst->digest ? NULL : src_tag;
	if (!tag && !e.dst->digest && !e.src->digest && e.dst->ref)
		tag = "latest";
	out->by_digest = !tag;
	if (e.dst->digest && e.dst->tag) {
		rc = wn__ctx_fail(ctx, WN_EINVAL, "destination \"%s\": give a tag or a digest, not both", dst);
		goto done;
	}
	size_t n_platforms = 0;
	while (e.opt->platforms && e.opt->platforms[n_platforms])
		n_platforms++;
	if (e.dst->single_image && (n_platforms > 1 || e.opt->referrers)) {
		/* several platforms make an index, and referrers are more images: such a destination holds one */
		rc = n_platforms > 1 ? wn__ctx_fail(ctx, WN_EINVAL, "%s holds one image: give at most one --platform (%zu given)",
		                                    e.dst->name, n_platforms)
		                     : wn__ctx_fail(ctx, WN_EINVAL, "%s holds one image: it cannot take --referrers", e.dst->name);
		goto done;
	}
	if (e.opt->dest_format && (e.opt->referrers || (e.opt->dest_format == WN_FORMAT_OCI && e.dst->single_image) ||
	                           (e.opt->dest_format != WN_FORMAT_OCI && e.opt->dest_format != WN_FORMAT_DOCKER))) {
		/* signatures and attestations name the source's digests, which a conversion changes */
		rc = e.opt->referrers ? wn__ctx_fail(ctx, WN_EINVAL, "a conversion (--dest-format) changes the digests that "
		                                     "signatures and attestations name: it cannot take --referrers")
		     : e.dst->single_image ? wn__ctx_fail(ctx, WN_EINVAL, "%s holds Docker's format: --dest-format oci does not apply",
		                                          e.dst->name)
		                           : wn__ctx_fail(ctx, WN_EINVAL, "unknown destination format %d", e.opt->dest_format);
		goto done;
	}
	/* The signature gate (lib/sign/verify.c): only an image that verifies is
	 * copied, by the digest verified (no tag moving in between), and its
	 * signatures go with it where the destination can hold them. */
	struct wn_copy_options gated;
	char verified[WN_DIGEST_MAX];
	if (e.opt->verify) {
		if ((rc = wn__sign_gate(ctx, e.src, ref, e.opt->verify, verified)) != WN_OK)
			goto done;
		ref = verified;
		gated = *e.opt;
		gated.referrers = !e.dst->single_image && !e.opt->dest_format;
		e.opt = &gated;
	}
	const char *host[2] = { NULL, NULL };
	struct wn_copy_options single;
	if (e.dst->single_image && !(e.opt->platforms && e.opt->platforms[0])) {
		/* a destination without indexes gets the platform of this machine, as docker pull would */
		single = *e.opt;
		host[0] = wn__host_platform();
		single.platforms = host;
		e.opt = &single;
	}
	if ((rc = copy_ref(&e, ref, tag, true, src_digest)) != WN_OK)
		goto done;
	if (out->converted)
		wn__log(ctx, WN_LOG_WARN, "converted to %s media types: %s holds %s, which is not the source's digest (%s)",
		        e.opt->dest_format == WN_FORMAT_OCI ? "OCI" : "Docker", e.dst->name, out->digest, out->source_digest);
	if (e.dst->digest && strcmp(e.dst->digest, out->digest)) {
		rc = wn__ctx_fail(ctx, WN_EDIGEST, "digest mismatch: %s was asked for but the copy is %s",
		                  e.dst->digest, out->digest);
		goto done;
	}
	if (e.opt->referrers) {
		struct wn_strlist *tags = NULL;
		char result[WN_DIGEST_MAX];
		memcpy(result, out->digest, WN_DIGEST_MAX);
		if ((rc = e.src->ops->tags(e.src, ctx, &tags)) == WN_OK) {
			struct wn_manifest *m = NULL;
			rc = copy_referrers(&e, tags, src_digest);
			/* and those of each platform of an index */
			if (rc == WN_OK && e.src->ops->manifest_get(e.src, ctx, src_digest, &m) == WN_OK && m->is_index)
				for (size_t i = 0; i < m->n_manifests && rc == WN_OK; i++)
					rc = copy_referrers(&e, tags, m->manifests[i].digest);
			wn_manifest_free(m);
		}
		wn_strlist_free(tags);
		memcpy(out->digest, result, WN_DIGEST_MAX);
	}
done:
	engine_reset(&e);
	free(src_tag);
	wn__src_free(e.src);
	wn__dst_free(e.dst);
	pthread_mutex_destroy(&e.mu);
	return rc;
}

int wn_copy(struct wn_copy_result *out, struct wn_ctx *ctx, const char *src, const char *dst,
            const struct wn_copy_options *opts)
{
	struct wn_ctx *dctx = opts && opts->dest_ctx ? opts->dest_ctx : ctx, *sf = NULL, *df = NULL;
	int rc;
	if (dctx == ctx)
		return copy_sides(out, ctx, ctx, src, dst, opts);
	/* Two contexts: the copy runs on a fork of each that also watches the
	 * other's cancel flag, so that an interrupt given to either side stops
	 * the transfers of both (a stalled source would otherwise hold a
	 * destination's upload, and the other way round). */
	memset(out, 0, sizeof *out);
	if ((rc = wn__ctx_fork(&sf, ctx)) != WN_OK)
		return rc;
	if ((rc = wn__ctx_fork(&df, dctx)) != WN_OK) {
		wn_ctx_free(sf);
		return wn__ctx_take(ctx, &dctx->err);
	}
	if (dctx->opt.cancel)
		sf->cancel_also = dctx->opt.cancel;
	if (ctx->opt.cancel)
		df->cancel_also = ctx->opt.cancel;
	if ((rc = copy_sides(out, sf, df, src, dst, opts)) != WN_OK)
		wn__ctx_take(ctx, &sf->err);
	wn_ctx_free(df);
	wn_ctx_free(sf);
	return rc;
}

struct tag_job {
	char *src, *dst;
	int rc;
	char msg[WN_ERRMSG_MAX];
	struct wn_copy_result res;
};

struct tags_pool {
	struct wn_ctx *ctx, *dctx;       /* the source's and the destination's (the same, or two) */
	const struct wn_copy_options *opts;
	struct tag_job *jobs;
	size_t n, next;
	pthread_mutex_t mu;
};

static void *tags_worker(void *arg)
{
	struct tags_pool *p = arg;
	struct wn_ctx *ctx, *dctx = NULL;
	struct wn_copy_options o = WN_COPY_OPTIONS_INIT;
	if (wn__ctx_fork(&ctx, p->ctx) != WN_OK)
		return NULL;
	/* each side's own fork: the destination's shares the blobs in flight with the other tags' */
	if (p->dctx != p->ctx && wn__ctx_fork(&dctx, p->dctx) != WN_OK) {
		wn_ctx_free(ctx);
		return NULL;
	}
	if (p->opts)
		o = *p->opts;
	o.dest_ctx = dctx;
	for (;;) {
		pthread_mutex_lock(&p->mu);
		size_t i = p->next++;
		pthread_mutex_unlock(&p->mu);
		if (i >= p->n)
			break;
		struct tag_job *j = &p->jobs[i];
		/* the copy's own check (source manifest, destination HEAD) finds a mirrored tag */
		j->rc = wn_copy(&j->res, ctx, j->src, j->dst, &o);
		snprintf(j->msg, sizeof j->msg, "%s", j->rc == WN_OK ? "" : wn_ctx_errmsg(ctx));
	}
	wn_ctx_free(dctx);
	wn_ctx_free(ctx);
	return NULL;
}

int wn_copy_all_tags(struct wn_ctx *ctx, const char *src_repo, const char *dst_repo, const char *match,
                     const struct wn_copy_options *opts, wn_copy_tag_fn each, void *data)
{
	struct wn_ref *sref = NULL, *dref = NULL;
	struct wn_strlist *tags = NULL;
	struct wn_error err;
	struct tags_pool pool = { .ctx = ctx, .dctx = opts && opts->dest_ctx ? opts->dest_ctx : ctx, .opts = opts,
		                      .mu = PTHREAD_MUTEX_INITIALIZER };
	regex_t re;
	bool have_re = false;
	unsigned failed = 0;
	int rc;
	if ((rc = wn_ref_parse(&sref, src_repo, WN_REF_NAME_ONLY, &err)) != WN_OK ||
	    (rc = wn_ref_parse(&dref, dst_repo, WN_REF_NAME_ONLY, &err)) != WN_OK) {
		rc = wn__ctx_take(ctx, &err);
		goto done;
	}
	if (match) {
		if (regcomp(&re, match, REG_EXTENDED | REG_NOSUB)) {
			rc = wn__ctx_fail(ctx, WN_EINVAL, "invalid regular expression \"%s\"", match);
			goto done;
		}
		have_re = true;
	}
	if ((rc = wn_tags_list(&tags, ctx, sref)) != WN_OK)
		goto done;
	wn_tags_sort(tags, "name", NULL);
	pool.jobs = calloc(tags->n + 1, sizeof *pool.jobs);
	if (!pool.jobs) {
		rc = wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
		goto done;
	}
	char *sname = wn_ref_name(sref), *dname = wn_ref_name(dref);
	for (size_t i = 0; i < tags->n && sname && dname; i++) {
		if (have_re && regexec(&re, tags->items[i], 0, NULL, 0))
			continue;
		struct tag_job *j = &pool.jobs[pool.n++];
		j->src = wn__sprintf("%s:%s", sname, tags->items[i]);
		j->dst = wn__sprintf("%s:%s", dname, tags->items[i]);
		if (!j->src || !j->dst)
			break;
		/* a tag no worker reaches (a fork that failed) is not a success */
		j->rc = WN_ERROR;
		snprintf(j->msg, sizeof j->msg, "not copied");
	}
	bool oom = !sname || !dname || (pool.n && (!pool.jobs[pool.n - 1].src || !pool.jobs[pool.n - 1].dst));
	free(sname);
	free(dname);
	if (oom) {
		rc = wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
		goto done;
	}
	/* nothing to copy is an answer a script must see, not a silent success */
	if (!pool.n) {
		if (match)
			rc = wn__ctx_fail(ctx, WN_ENOTFOUND, "no tag of %s matches \"%s\" (it has %zu tag%s)", src_repo, match,
			                  tags->n, tags->n == 1 ? "" : "s");
		else
			rc = wn__ctx_fail(ctx, WN_ENOTFOUND, "%s has no tags", src_repo);
		goto done;
	}
	/* several tags at once, each over its own connections; reports in tag order */
	unsigned nthr = opts && opts->jobs ? opts->jobs : DEFAULT_JOBS;
	pthread_t thr[MAX_JOBS];
	unsigned started = 0;
	for (; started < nthr && started < MAX_JOBS && started < pool.n; started++)
		if (pthread_create(&thr[started], NULL, tags_worker, &pool))
			break;
	if (!started && pool.n)
		tags_worker(&pool);
	for (unsigned i = 0; i < started; i++)
		pthread_join(thr[i], NULL);
	for (size_t i = 0; i < pool.n; i++) {
		struct tag_job *j = &pool.jobs[i];
		if (j->rc != WN_OK)
			failed++;
		if (each)
			each(data, strrchr(j->src, ':') + 1, j->rc, j->msg, &j->res);
	}
	if (failed)
		rc = wn__ctx_fail(ctx, WN_EPARTIAL, "%u of the tags failed to copy", failed);
done:
	for (size_t i = 0; i < pool.n; i++) {
		free(pool.jobs[i].src);
		free(pool.jobs[i].dst);
	}
	free(pool.jobs);
	if (have_re)
		regfree(&re);
	wn_strlist_free(tags);
	wn_ref_free(sref);
	wn_ref_free(dref);
	return rc;
}

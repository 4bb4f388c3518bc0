/*
 * pipe.c: a blob on its way from a source to a destination, never whole in
 * memory and never on disk.
 *
 * A producer thread streams the blob from the source into a bounded ring; the
 * destination reads from the other end (wn__feed_read).  The reading side
 * hashes bytes as it hands them out and holds back the blob's final byte
 * until every byte has been hashed and the digest and size match: a
 * destination can never complete a blob whose content is wrong, it only
 * ever sees an error in its place.
 *
 * Resuming: the reader marks chunk starts (wn__feed_mark keeps the hasher's
 * state there); after a failed upload, wn__feed_rewind restarts the producer
 * at the mark, re-hashes up to the offset the destination reports, and goes
 * on from there.  wn__feed_restart starts the whole blob again (an upload
 * that begins anew): every byte is read and hashed again, and the final byte
 * again waits for the digest check.
 */
#include <stdlib.h>
#include <string.h>
#include "internal.h"

#define RING_SIZE (256u << 10)

struct wn__feed {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	unsigned char *ring;
	size_t head, len;          /* ring[head .. head+len) holds bytes from read_off on */
	uint64_t read_off;         /* offset of ring[head] */
	uint64_t prod_off;         /* offset of the next byte the producer pushes */
	uint64_t start_off;        /* where the current producer run began */
	bool prod_done, stop, failed, started;
	int err_code;
	char err_msg[WN_ERRMSG_MAX];
	pthread_t thr;

	/* the reading side only */
	struct wn_hasher *h;
	struct wn_hasher *mark_h;
	struct wn_hasher *zero_h;  /* the hasher's state before any byte (wn__feed_restart) */
	uint64_t mark_off;
	uint64_t handed;           /* bytes handed to the destination */
	bool verified;

	struct wn_ctx *pctx;       /* the producer's context (a fork) */
	struct wn__src *src;
	const struct wn_descriptor *desc;
	wn__progress_fn progress;
	void *progress_data;
};

static void fail_locked(struct wn__feed *f, int code, const char *msg)
{
	if (!f->failed) {
		f->failed = true;
		f->err_code = code;
		snprintf(f->err_msg, sizeof f->err_msg, "%s", msg);
	}
	pthread_cond_broadcast(&f->cv);
}

static size_t push(void *data, const void *p, size_t n)
{
	struct wn__feed *f = data;
	const unsigned char *b = p;
	size_t left = n;
	pthread_mutex_lock(&f->mu);
	if (f->prod_off + n > (uint64_t)f->desc->size) {
		char msg[WN_ERRMSG_MAX];
		snprintf(msg, sizeof msg, "digest mismatch: blob %s is longer than its %lld bytes", f->desc->digest,
		         (long long)f->desc->size);
		fail_locked(f, WN_EDIGEST, msg);
	}
	while (left && !f->stop && !f->failed) {
		size_t space = RING_SIZE - f->len;
		if (!space) {
			pthread_cond_wait(&f->cv, &f->mu);
			continue;
		}
		size_t tail = (f->head + f->len) % RING_SIZE;
		size_t k = left < space ? left : space;
		if (k > RING_SIZE - tail)
			k = RING_SIZE - tail;
		memcpy(f->ring + tail, b, k);
		f->len += k;
		f->prod_off += k;
		b += k;
		left -= k;
		pthread_cond_broadcast(&f->cv);
	}
	bool ok = !left;
	pthread_mutex_unlock(&f->mu);
	return ok ? n : 0; /* 0 stops the source's transfer */
}

static void *producer(void *arg)
{
	struct wn__feed *f = arg;
	int rc = f->src->ops->blob_stream(f->src, f->pctx, f->desc, f->start_off, push, f);
	pthread_mutex_lock(&f->mu);
	if (!f->stop && !f->failed) {
		if (rc != WN_OK) {
			fail_locked(f, rc, wn_ctx_errmsg(f->pctx));
		} else if (f->prod_off != (uint64_t)f->desc->size) {
			char msg[WN_ERRMSG_MAX];
			snprintf(msg, sizeof msg, "digest mismatch: blob %s ended after %llu of %lld bytes", f->desc->digest,
			         (unsigned long long)f->prod_off, (long long)f->desc->size);
			fail_locked(f, WN_EDIGEST, msg);
		}
	}
	f->prod_done = true;
	pthread_cond_broadcast(&f->cv);
	pthread_mutex_unlock(&f->mu);
	return NULL;
}

static int start_producer(struct wn__feed *f, uint64_t from)
{
	f->start_off = f->prod_off = f->read_off = from;
	f->head = f->len = 0;
	f->prod_done = f->stop = false;
	if (pthread_create(&f->thr, NULL, producer, f)) {
		f->failed = true;
		f->err_code = WN_ERROR;
		snprintf(f->err_msg, sizeof f->err_msg, "cannot start a thread");
		return WN_ERROR;
	}
	f->started = true;
	return WN_OK;
}

static void stop_producer(struct wn__feed *f)
{
	if (!f->started)
		return;
	pthread_mutex_lock(&f->mu);
	f->stop = true;
	pthread_cond_broadcast(&f->cv);
	pthread_mutex_unlock(&f->mu);
	pthread_join(f->thr, NULL);
	f->started = false;
}

/* ctx is the source's side: the producer streams on a fork of it (in a copy
 * with two contexts, one that also stops when the destination's is cancelled). */
int wn__feed_new(struct wn__feed **out, struct wn_ctx *ctx, struct wn__src *src, const struct wn_descriptor *desc,
                 wn__progress_fn progress, void *progress_data)
{
	struct wn__feed *f = calloc(1, sizeof *f);
	struct wn_error err;
	*out = NULL;
	if (!f)
		return wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
	pthread_mutex_init(&f->mu, NULL);
	pthread_cond_init(&f->cv, NULL);
	f->src = src;
	f->desc = desc;
	f->progress = progress;
	f->progress_data = progress_data;
	if (desc->size < 0 || !(f->ring = malloc(RING_SIZE)) || wn__ctx_fork(&f->pctx, ctx) != WN_OK ||
	    wn_hasher_new(&f->h, desc->digest, &err) != WN_OK || wn_hasher_new(&f->mark_h, desc->digest, &err) != WN_OK ||
	    wn_hasher_new(&f->zero_h, desc->digest, &err) != WN_OK) {
		wn__feed_free(f);
		return wn__ctx_fail(ctx, WN_ENOMEM, "cannot stream blob %s", desc->digest);
	}
	*out = f;
	return WN_OK;
}

void wn__feed_free(struct wn__feed *f)
{
	if (!f)
		return;
	stop_producer(f);
	wn_hasher_free(f->h);
	wn_hasher_free(f->mark_h);
	wn_hasher_free(f->zero_h);
	wn_ctx_free(f->pctx);
	free(f->ring);
	pthread_cond_destroy(&f->cv);
	pthread_mutex_destroy(&f->mu);
	free(f);
}

/* Takes up to n bytes out of the ring (waiting for them), hashing them.
 * Never takes the final byte: that is wn__feed_read's job. Returns bytes or -1. */
static ssize_t take(struct wn__feed *f, unsigned char *buf, size_t n, uint64_t limit)
{
	ssize_t got = -1;
	pthread_mutex_lock(&f->mu);
	while (!f->failed && !f->len && !f->prod_done)
		pthread_cond_wait(&f->cv, &f->mu);
	if (f->failed)
		goto done;
	if (!f->len) { /* producer done with nothing left: the size check reported it */
		fail_locked(f, WN_EDIGEST, "blob ended early");
		goto done;
	}
	size_t k = f->len < n ? f->len : n;
	if (k > RING_SIZE - f->head)
		k = RING_SIZE - f->head;
	if (f->read_off + k > limit)
		k = (size_t)(limit - f->read_off);
	memcpy(buf, f->ring + f->head, k);
	f->head = (f->head + k) % RING_SIZE;
	f->len -= k;
	f->read_off += k;
	got = (ssize_t)k;
	pthread_cond_broadcast(&f->cv);
done:
	pthread_mutex_unlock(&f->mu);
	if (got > 0)
		wn_hasher_update(f->h, buf, (size_t)got);
	return got;
}

ssize_t wn__feed_read(struct wn__feed *f, void *buf, size_t n)
{
	uint64_t size = (uint64_t)f->desc->size;
	if (f->failed)
		return -1;
	/* an interrupt stops the destination's loop here, whatever the source does */
	if (wn__cancelled(f->pctx)) {
		pthread_mutex_lock(&f->mu);
		fail_locked(f, WN_ECANCELED, "interrupted");
		pthread_mutex_unlock(&f->mu);
		return -1;
	}
	if (!f->started && !f->verified && start_producer(f, 0) != WN_OK)
		return -1;
	if (f->verified || !n)
		return 0;
	if (f->read_off + 1 < size) {
		ssize_t k = take(f, buf, n, size - 1);
		if (k > 0) {
			f->handed += (uint64_t)k;
			if (f->progress)
				f->progress(f->progress_data, f->desc, f->handed);
		}
		return k;
	}
	/* the final byte: only once all bytes are hashed and match */
	unsigned char last = 0;
	if (size && take(f, &last, 1, size) != 1)
		return -1;
	pthread_mutex_lock(&f->mu);
	while (!f->prod_done && !f->failed)
		pthread_cond_wait(&f->cv, &f->mu);
	bool failed = f->failed;
	pthread_mutex_unlock(&f->mu);
	if (failed)
		return -1;
	char got[WN_DIGEST_MAX];
	wn_hasher_final(f->h, got);
	if (strcmp(got, f->desc->digest)) {
		char msg[WN_ERRMSG_MAX];
		snprintf(msg, sizeof msg, "digest mismatch: blob %s has content %s; not stored", f->desc->digest, got);
		pthread_mutex_lock(&f->mu);
		fail_locked(f, WN_EDIGEST, msg);
		pthread_mutex_unlock(&f->mu);
		return -1;
	}
	f->verified = true;
	if (!size)
		return 0;
	*(unsigned char *)buf = last;
	f->handed = size;
	if (f->progress)
		f->progress(f->progress_data, f->desc, f->handed);
	return 1;
}

uint64_t wn__feed_offset(const struct wn__feed *f)
{
	return f->handed;
}

int wn__feed_mark(struct wn__feed *f)
{
	/* the hasher holds exactly the bytes handed out so far */
	if (wn__hasher_copy(f->mark_h, f->h) != WN_OK)
		return WN_ENOMEM;
	f->mark_off = f->handed;
	return WN_OK;
}

int wn__feed_rewind(struct wn__feed *f, uint64_t offset)
{
	unsigned char scratch[65536];
	if (offset < f->mark_off || offset > f->handed || f->verified)
		return WN_EINVAL;
	stop_producer(f);
	if (f->failed)
		return f->err_code;
	if (wn__hasher_copy(f->h, f->mark_h) != WN_OK)
		return WN_ENOMEM;
	f->handed = f->mark_off;
	if (start_producer(f, f->mark_off) != WN_OK)
		return WN_ERROR;
	/* bytes the destination already has are hashed again, not sent again */
	while (f->handed < offset) {
		uint64_t want = offset - f->handed;
		ssize_t k = take(f, scratch, want < sizeof scratch ? (size_t)want : sizeof scratch, offset);
		if (k <= 0)
			return f->err_code ? f->err_code : WN_ERROR;
		f->handed += (uint64_t)k;
	}
	return WN_OK;
}

int wn__feed_restart(struct wn__feed *f)
{
	stop_producer(f);
	if (f->failed)
		return f->err_code;
	if (wn__hasher_copy(f->h, f->zero_h) != WN_OK || wn__hasher_copy(f->mark_h, f->zero_h) != WN_OK)
		return WN_ENOMEM;
	f->mark_off = f->handed = 0;
	f->verified = false;
	/* the producer starts again on the first read */
	return WN_OK;
}

/* Both starts below: only before anything was read, and short of the last
 * byte (which only the verified end hands out). */
static bool fresh(const struct wn__feed *f, uint64_t offset)
{
	return !f->started && !f->handed && !f->verified && !f->failed && offset < (uint64_t)f->desc->size;
}

int wn__feed_start_at(struct wn__feed *f, uint64_t offset, const struct wn_hasher *h)
{
	if (!fresh(f, offset))
		return WN_EINVAL;
	if (wn__hasher_copy(f->h, h) != WN_OK || wn__hasher_copy(f->mark_h, h) != WN_OK)
		return WN_ENOMEM;
	f->mark_off = f->handed = offset;
	return start_producer(f, offset);
}

int wn__feed_skip(struct wn__feed *f, uint64_t offset)
{
	unsigned char scratch[65536];
	if (!offset)
		return WN_OK;
	if (!fresh(f, offset))
		return WN_EINVAL;
	if (start_producer(f, 0) != WN_OK)
		return WN_ERROR;
	/* the bytes the destination holds are hashed, not handed out */
	while (f->handed < offset) {
		uint64_t want = offset - f->handed;
		ssize_t k = take(f, scratch, want < sizeof scratch ? (size_t)want : sizeof scratch, offset);
		if (k <= 0)
			return f->err_code ? f->err_code : WN_ERROR;
		f->handed += (uint64_t)k;
	}
	return wn__feed_mark(f);
}

int wn__feed_prefix(const struct wn__feed *f, char digest[WN_DIGEST_MAX])
{
	struct wn_hasher *h;
	if (wn_hasher_new(&h, f->desc->digest, NULL) != WN_OK)
		return WN_ENOMEM;
	int rc = wn__hasher_copy(h, f->h);
	if (rc == WN_OK)
		wn_hasher_final(h, digest);
	wn_hasher_free(h);
	return rc;
}

int wn__feed_error(const struct wn__feed *f, struct wn_error *err)
{
	err->code = f->failed ? f->err_code : WN_OK;
	snprintf(err->msg, sizeof err->msg, "%s", f->failed ? f->err_msg : "");
	return err->code;
}

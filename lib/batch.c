/*
 * batch.c: many references in one call (digest, exists, inspect, list-tags
 * over a list).  A script that loops over hundreds of tags pays a process
 * start and a TLS handshake per call; one call with the whole list pays them
 * once per worker.  Unlike wn__parallel (which stops at the first failure),
 * every item runs whatever the others do, and results come back in input
 * order as soon as a prefix of the list is done, so a long list streams.
 */
#include <stdlib.h>
#include <string.h>
#include "internal.h"

#define DEFAULT_JOBS 8
#define MAX_JOBS 64

struct item {
	int rc;
	char *msg;                 /* the item's error message; NULL when none */
	bool done;
};

struct batch {
	struct wn_ctx *ctx;
	size_t n, next, emitted;
	wn_batch_fn fn;
	wn_batch_done_fn done;
	void *data;
	struct item *items;
	pthread_mutex_t mu;        /* next, emitted, items[].done, warm */
	pthread_mutex_t out;       /* one done() at a time, in order */
	pthread_cond_t warmed;
	bool warm;                 /* the first item is done */
};

/* Hands on every finished item at the head of the list: whoever finishes the
 * item a prefix waited for does it, so results never wait for a slow item
 * behind them, only for those before them. */
static void emit(struct batch *b)
{
	pthread_mutex_lock(&b->out);
	for (;;) {
		pthread_mutex_lock(&b->mu);
		size_t i = b->emitted;
		bool ready = i < b->n && b->items[i].done;
		if (ready)
			b->emitted++;
		pthread_mutex_unlock(&b->mu);
		if (!ready)
			break;
		b->done(b->data, i, b->items[i].rc, b->items[i].msg ? b->items[i].msg : "");
		free(b->items[i].msg);
		b->items[i].msg = NULL;
	}
	pthread_mutex_unlock(&b->out);
}

static void finish(struct batch *b, size_t i, int rc, const char *msg)
{
	char *m = rc != WN_OK ? strdup(msg && *msg ? msg : wn_err_name(rc)) : NULL;
	pthread_mutex_lock(&b->mu);
	b->items[i].rc = rc;
	b->items[i].msg = m;
	b->items[i].done = true;
	if (!i) {
		b->warm = true;
		pthread_cond_broadcast(&b->warmed);
	}
	pthread_mutex_unlock(&b->mu);
	emit(b);
}

static void *worker(void *arg)
{
	struct batch *b = arg;
	struct wn_ctx *c = NULL;
	int frc = wn__ctx_fork(&c, b->ctx);
	for (;;) {
		pthread_mutex_lock(&b->mu);
		size_t i = b->next;
		if (i < b->n)
			b->next++;
		/* The first item runs alone: it learns what the others share (the
		 * registry's scheme, its auth scheme, a token), so that they send
		 * credentials at once instead of each meeting a 401 and asking the
		 * token server for the same scope. */
		while (i && i < b->n && !b->warm)
			pthread_cond_wait(&b->warmed, &b->mu);
		pthread_mutex_unlock(&b->mu);
		if (i >= b->n)
			break;
		if (frc != WN_OK) {
			finish(b, i, WN_ENOMEM, "out of memory");
			continue;
		}
		if (wn__cancelled(c)) {
			finish(b, i, WN_ECANCELED, "interrupted");
			continue;
		}
		/* each item starts with a clean error; the connection and tokens stay */
		c->err.code = WN_OK;
		c->err.msg[0] = 0;
		int rc = b->fn(c, i, b->data);
		finish(b, i, rc, c->err.msg);
	}
	wn_ctx_free(c);
	return NULL;
}

int wn_batch(struct wn_ctx *ctx, size_t n, unsigned jobs, wn_batch_fn fn, wn_batch_done_fn done, void *data)
{
	struct batch b = { .ctx = ctx, .n = n, .fn = fn, .done = done, .data = data };
	pthread_t thr[MAX_JOBS];
	unsigned started = 0;
	if (!n)
		return WN_OK;
	if (!(b.items = calloc(n, sizeof *b.items)))
		return wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
	pthread_mutex_init(&b.mu, NULL);
	pthread_mutex_init(&b.out, NULL);
	pthread_cond_init(&b.warmed, NULL);
	if (!jobs)
		jobs = DEFAULT_JOBS;
	for (; started < jobs && started < MAX_JOBS && started < n; started++)
		if (pthread_create(&thr[started], NULL, worker, &b))
			break;
	if (!started)
		worker(&b); /* no thread at all: this one does the work */
	for (unsigned i = 0; i < started; i++)
		pthread_join(thr[i], NULL);
	pthread_cond_destroy(&b.warmed);
	pthread_mutex_destroy(&b.mu);
	pthread_mutex_destroy(&b.out);
	free(b.items);
	return WN_OK;
}

/*
 * parallel.c: a parallel for-loop over forked contexts, for work made of
 * many small independent requests (a HEAD per tag, a DELETE per manifest).
 */
#include <stdlib.h>
#include "internal.h"

#define MAX_THREADS 64

struct par {
	struct wn_ctx *ctx;
	size_t n, next;
	int (*fn)(struct wn_ctx *, size_t, void *);
	void *arg;
	pthread_mutex_t mu;
	int rc;
	struct wn_error err;
};

static void *run(void *p_)
{
	struct par *p = p_;
	struct wn_ctx *ctx;
	if (wn__ctx_fork(&ctx, p->ctx) != WN_OK) {
		pthread_mutex_lock(&p->mu);
		if (!p->rc) {
			p->rc = WN_ENOMEM;
			wn__error_set(&p->err, WN_ENOMEM, "out of memory");
		}
		pthread_mutex_unlock(&p->mu);
		return NULL;
	}
	for (;;) {
		pthread_mutex_lock(&p->mu);
		size_t i = p->next++;
		bool stop = p->rc || i >= p->n;
		pthread_mutex_unlock(&p->mu);
		if (stop)
			break;
		int rc = p->fn(ctx, i, p->arg);
		if (rc != WN_OK) {
			pthread_mutex_lock(&p->mu);
			if (!p->rc) {
				p->rc = rc;
				p->err = ctx->err;
			}
			pthread_mutex_unlock(&p->mu);
			break;
		}
	}
	wn_ctx_free(ctx);
	return NULL;
}

int wn__parallel(struct wn_ctx *ctx, size_t n, unsigned jobs, int (*fn)(struct wn_ctx *, size_t, void *), void *arg)
{
	struct par p = { ctx, n, 0, fn, arg, PTHREAD_MUTEX_INITIALIZER, WN_OK, { 0, "" } };
	pthread_t thr[MAX_THREADS];
	unsigned started = 0;
	if (!jobs)
		jobs = 4;
	for (; started < jobs && started < MAX_THREADS && started < n; started++)
		if (pthread_create(&thr[started], NULL, run, &p))
			break;
	if (!started && n)
		run(&p);
	for (unsigned i = 0; i < started; i++)
		pthread_join(thr[i], NULL);
	pthread_mutex_destroy(&p.mu);
	return p.rc ? wn__ctx_take(ctx, &p.err) : WN_OK;
}

/*
 * ctx.c: struct wn_ctx, the session every call runs in.  It owns a libcurl
 * handle (so connections are reused across requests) and shares with its
 * forks what has been learned about each registry: scheme, TLS files, auth
 * scheme, tokens, credentials, TLS files per host.  Forks give parallel
 * transfers their own connections and errors.
 */
#include <stdlib.h>
#include <string.h>
#include "internal.h"

int wn_ctx_new(struct wn_ctx **out, const struct wn_ctx_options *opts)
{
	static const struct wn_ctx_options defaults = WN_CTX_OPTIONS_INIT;
	struct wn_ctx *ctx = calloc(1, sizeof *ctx);
	*out = NULL;
	if (!ctx)
		return WN_ENOMEM;
	ctx->opt = opts ? *opts : defaults;
	ctx->cert_dir = wn__strdup(ctx->opt.cert_dir);
	ctx->certs_d = wn__strdup(ctx->opt.certs_d);
	ctx->authfile = wn__strdup(ctx->opt.authfile);
	ctx->creds = wn__strdup(ctx->opt.creds);
	ctx->user_agent = ctx->opt.user_agent ? strdup(ctx->opt.user_agent) : strdup("winch/" WN_VERSION);
	/* the options struct's pointers belong to the caller: use only our copies */
	ctx->opt.cert_dir = ctx->opt.certs_d = ctx->opt.authfile = ctx->opt.creds = ctx->opt.user_agent = NULL;
	if (!ctx->opt.helper_timeout_ms)
		ctx->opt.helper_timeout_ms = 10000;
	/* time limits (see winch.h): negative values are taken as the default too */
	if (ctx->opt.connect_timeout_ms <= 0)
		ctx->opt.connect_timeout_ms = 30000;
	if (ctx->opt.stall_timeout_ms <= 0)
		ctx->opt.stall_timeout_ms = 60000;
	if (ctx->opt.request_timeout_ms <= 0)
		ctx->opt.request_timeout_ms = 60000;
	ctx->curl = curl_easy_init();
	ctx->sh = calloc(1, sizeof *ctx->sh);
	if (ctx->sh) {
		pthread_mutexattr_t a;
		pthread_mutexattr_init(&a);
		pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE);
		pthread_mutex_init(&ctx->sh->lock, &a);
		pthread_mutexattr_destroy(&a);
		pthread_cond_init(&ctx->sh->inflight_done, NULL);
	}
	if (!ctx->curl || !ctx->user_agent || !ctx->sh) {
		wn_ctx_free(ctx);
		return WN_ENOMEM;
	}
	*out = ctx;
	return WN_OK;
}

int wn__ctx_fork(struct wn_ctx **out, struct wn_ctx *parent)
{
	struct wn_ctx *c = calloc(1, sizeof *c);
	*out = NULL;
	if (!c || !(c->curl = curl_easy_init())) {
		free(c);
		return wn__ctx_fail(parent, WN_ENOMEM, "out of memory");
	}
	c->opt = parent->opt;
	c->cert_dir = parent->cert_dir;
	c->certs_d = parent->certs_d;
	c->authfile = parent->authfile;
	c->creds = parent->creds;
	c->user_agent = parent->user_agent;
	c->sh = parent->sh;
	c->is_fork = true;
	c->cancel_also = parent->cancel_also;
	*out = c;
	return WN_OK;
}

void wn__lock(struct wn_ctx *ctx)
{
	pthread_mutex_lock(&ctx->sh->lock);
}

void wn__unlock(struct wn_ctx *ctx)
{
	pthread_mutex_unlock(&ctx->sh->lock);
}

void wn_ctx_free(struct wn_ctx *ctx)
{
	if (!ctx)
		return;
	if (ctx->is_fork) {
		curl_easy_cleanup(ctx->curl);
		free(ctx);
		return;
	}
	for (struct wn__host *h = ctx->sh ? ctx->sh->hosts : NULL, *next; h; h = next) {
		next = h->next;
		free(h->registry);
		wn__auth_state_free(h->auth);
		wn__host_creds_clear(h);
		free(h);
	}
	if (ctx->curl)
		curl_easy_cleanup(ctx->curl);
	if (ctx->sh) {
		wn__tls_cache_free(ctx->sh->tls);
		pthread_cond_destroy(&ctx->sh->inflight_done);
		pthread_mutex_destroy(&ctx->sh->lock);
		free(ctx->sh);
	}
	free(ctx->cert_dir);
	free(ctx->certs_d);
	free(ctx->authfile);
	wn__free_secret(ctx->creds);
	free(ctx->user_agent);
	free(ctx);
}

/* Hosts are never freed before the root context, so the pointer stays valid;
 * their fields are read and written under the lock. */
struct wn__host *wn__ctx_host(struct wn_ctx *ctx, const char *registry)
{
	struct wn__host *h;
	wn__lock(ctx);
	for (h = ctx->sh->hosts; h; h = h->next)
		if (!strcmp(h->registry, registry))
			goto done;
	h = calloc(1, sizeof *h);
	if (!h || !(h->registry = strdup(registry))) {
		free(h);
		h = NULL;
		goto done;
	}
	h->next = ctx->sh->hosts;
	ctx->sh->hosts = h;
done:
	wn__unlock(ctx);
	return h;
}

unsigned long wn_ctx_request_count(const struct wn_ctx *ctx)
{
	return ctx ? __atomic_load_n(&ctx->sh->requests, __ATOMIC_RELAXED) : 0;
}

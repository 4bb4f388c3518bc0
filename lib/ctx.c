/*
 * ctx.c: struct wn_ctx, the session every call runs in.  It owns the one
 * libcurl handle (so connections are reused across requests) and what has
 * been learned about each registry: scheme, TLS files, auth scheme, tokens.
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
	ctx->curl = curl_easy_init();
	if (!ctx->curl || !ctx->user_agent) {
		wn_ctx_free(ctx);
		return WN_ENOMEM;
	}
	*out = ctx;
	return WN_OK;
}

void wn_ctx_free(struct wn_ctx *ctx)
{
	if (!ctx)
		return;
	for (struct wn__host *h = ctx->hosts, *next; h; h = next) {
		next = h->next;
		free(h->registry);
		wn__tls_free(h->tls);
		wn__auth_state_free(h->auth);
		wn_creds_free(h->creds);
		free(h);
	}
	if (ctx->curl)
		curl_easy_cleanup(ctx->curl);
	free(ctx->cert_dir);
	free(ctx->certs_d);
	free(ctx->authfile);
	wn__free_secret(ctx->creds);
	free(ctx->user_agent);
	free(ctx);
}

struct wn__host *wn__ctx_host(struct wn_ctx *ctx, const char *registry)
{
	for (struct wn__host *h = ctx->hosts; h; h = h->next)
		if (!strcmp(h->registry, registry))
			return h;
	struct wn__host *h = calloc(1, sizeof *h);
	if (!h || !(h->registry = strdup(registry))) {
		free(h);
		return NULL;
	}
	h->next = ctx->hosts;
	ctx->hosts = h;
	return h;
}

unsigned long wn_ctx_request_count(const struct wn_ctx *ctx)
{
	return ctx ? ctx->requests : 0;
}

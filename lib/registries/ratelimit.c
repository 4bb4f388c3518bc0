/*
 * registries/ratelimit.c: the rate-limit headers registries send, read
 * defensively, remembered per context, and said in words.
 *
 * Docker Hub's pull limit (docs.docker.com, "Docker Hub usage and limits";
 * docker/docs#13499, as cited in tests/tools/registry-front.md):
 *   ratelimit-limit: 100;w=21600        (requests per window of w seconds)
 *   ratelimit-remaining: 76;w=21600
 *   docker-ratelimit-source: 192.0.2.7  (the address or account id counted)
 * on manifest GETs and HEADs (a HEAD costs no pull).  The values are sometimes
 * empty ("ratelimit-limit: ;w=21600", docker/hub-feedback#2081), and the
 * headers are absent for unlimited (paying) accounts.  The IETF draft's
 * RateLimit-Reset (seconds) is read too, as regclient does
 * (regclient types/manifest/common.go setRateLimit, commit 725072f6): its
 * limit may list policies ("10, 10;w=1, 50;w=60"), the first number counts.
 * Nothing here trusts a value: a garbled one is -1 ("not stated").
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include "../internal.h"

#define NUM_MAX 9007199254740991LL /* 2^53 - 1: what a JSON number holds exactly */

void wn__ratelimit_clear(struct wn_ratelimit *rl)
{
	memset(rl, 0, sizeof *rl);
	rl->limit = rl->remaining = rl->window = rl->reset = -1;
}

/* A decimal number at *p (after blanks), moving p past it; -1 when there is
 * none or it is too large. */
static int64_t number(const char **p, const char *end)
{
	const char *s = *p;
	int64_t v = 0;
	bool any = false;
	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	for (; s < end && isdigit((unsigned char)*s); s++) {
		any = true;
		if (v > (NUM_MAX - 9) / 10) {
			v = -2; /* too large: read past it */
			while (s < end && isdigit((unsigned char)*s))
				s++;
			break;
		}
		v = v * 10 + (*s - '0');
	}
	*p = s;
	return any && v >= 0 ? v : -1;
}

/* "N[;w=W][;other=x]" -- one item of a comma list, [s, e). */
static void item(const char *s, const char *e, int64_t *n, int64_t *w)
{
	const char *p = s;
	*n = number(&p, e);
	*w = -1;
	/* only a whole number: "1e3" or "12abc" is none */
	const char *q = p;
	while (q < e && (*q == ' ' || *q == '\t'))
		q++;
	if (q < e && *q != ';')
		*n = -1;
	while ((p = memchr(p, ';', (size_t)(e - p)))) {
		p++;
		while (p < e && (*p == ' ' || *p == '\t'))
			p++;
		if (e - p > 2 && (*p == 'w' || *p == 'W') && p[1] == '=') {
			p += 2;
			const char *r = p;
			int64_t v = number(&r, e);
			/* only the whole parameter: "w=12abc" is no window */
			while (r < e && (*r == ' ' || *r == '\t'))
				r++;
			if (r == e || *r == ';')
				*w = v;
		}
	}
}

static void limit_value(struct wn_ratelimit *rl, const char *v)
{
	const char *end = v + strlen(v), *comma = memchr(v, ',', (size_t)(end - v));
	int64_t n, w;
	item(v, comma ? comma : end, &n, &w);
	rl->limit = n;
	if (w >= 0)
		rl->window = w;
	/* "10, 10;w=1, 50;w=60": the quota first, then its policies; the one
	 * whose number is the quota names the window */
	for (const char *p = comma; p && rl->window < 0;) {
		const char *s = p + 1, *c = memchr(s, ',', (size_t)(end - s));
		int64_t pn, pw;
		item(s, c ? c : end, &pn, &pw);
		if (pw >= 0 && (pn == rl->limit || rl->limit < 0))
			rl->window = pw;
		p = c;
	}
}

void wn__ratelimit_header(struct wn_ratelimit *rl, const char *name, const char *value)
{
	int64_t n, w;
	if (!strcasecmp(name, "ratelimit-limit")) {
		rl->set = 1;
		limit_value(rl, value);
	} else if (!strcasecmp(name, "ratelimit-remaining")) {
		const char *end = value + strlen(value), *comma = memchr(value, ',', (size_t)(end - value));
		rl->set = 1;
		item(value, comma ? comma : end, &n, &w);
		rl->remaining = n;
		if (rl->window < 0)
			rl->window = w;
	} else if (!strcasecmp(name, "ratelimit-reset")) {
		const char *p = value;
		rl->reset = number(&p, value + strlen(value));
	} else if (!strcasecmp(name, "docker-ratelimit-source")) {
		/* an address or an account id: printable ASCII only, as much as fits */
		size_t k = 0;
		for (const char *p = value; *p && k + 1 < sizeof rl->source; p++)
			if (*p > ' ' && *p < 0x7f)
				rl->source[k++] = *p;
		rl->source[k] = 0;
	}
}

/* "6 h", "15 min", "90 s" */
static void span(char *buf, size_t n, int64_t s)
{
	if (s > 0 && s % 3600 == 0)
		snprintf(buf, n, "%lld h", (long long)(s / 3600));
	else if (s > 0 && s % 60 == 0)
		snprintf(buf, n, "%lld min", (long long)(s / 60));
	else
		snprintf(buf, n, "%lld s", (long long)s);
}

static void utc(char *buf, size_t n, int64_t from_now)
{
	time_t t = time(NULL) + (time_t)from_now;
	struct tm tm;
	if (!gmtime_r(&t, &tm) || !strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(buf, n, "?");
}

void wn__ratelimit_note(struct wn_ctx *ctx, const char *registry, const struct wn_ratelimit *rl)
{
	char lim[32] = "?", left[32] = "?", win[32] = "", who[sizeof rl->source + 24] = "";
	struct wn__host *h = registry ? wn__ctx_host(ctx, registry) : NULL;
	wn__lock(ctx);
	ctx->sh->ratelimit = *rl;
	snprintf(ctx->sh->ratelimit.registry, sizeof ctx->sh->ratelimit.registry, "%s", registry ? registry : "");
	if (h)
		h->ratelimit = ctx->sh->ratelimit;
	wn__unlock(ctx);
	if (rl->limit >= 0)
		snprintf(lim, sizeof lim, "%lld", (long long)rl->limit);
	if (rl->remaining >= 0)
		snprintf(left, sizeof left, "%lld", (long long)rl->remaining);
	if (rl->window >= 0) {
		char s[24];
		span(s, sizeof s, rl->window);
		snprintf(win, sizeof win, " per %s", s);
	}
	if (rl->source[0])
		snprintf(who, sizeof who, ", counted for %s", rl->source);
	wn__log(ctx, WN_LOG_DEBUG, "  rate limit: %s of %s left%s%s", left, lim, win, who);
}

int wn__ratelimit_of(struct wn_ctx *ctx, const char *registry, struct wn_ratelimit *out)
{
	wn__ratelimit_clear(out);
	wn__lock(ctx);
	for (struct wn__host *h = ctx->sh->hosts; registry && h; h = h->next)
		if (!strcmp(h->registry, registry)) {
			if (h->ratelimit.set)
				*out = h->ratelimit;
			break;
		}
	wn__unlock(ctx);
	return out->set;
}

int wn_ctx_ratelimit(const struct wn_ctx *ctx, struct wn_ratelimit *out)
{
	struct wn_ctx *c = (struct wn_ctx *)ctx; /* the lock is the shared state's, not the context's */
	wn__ratelimit_clear(out);
	if (!ctx)
		return 0;
	wn__lock(c);
	if (c->sh->ratelimit.set)
		*out = c->sh->ratelimit;
	wn__unlock(c);
	return out->set;
}

void wn__ratelimit_when(char *buf, size_t n, const struct wn_ratelimit *rl, long retry_after)
{
	char ts[32], win[24], who[sizeof rl->source + 8] = "";
	*buf = 0;
	if (retry_after >= 0 || !rl->set)
		return; /* Retry-After is said by the caller; nothing else to go by */
	if (rl->reset >= 0) {
		utc(ts, sizeof ts, rl->reset);
		snprintf(buf, n, "; the quota resets at %s (RateLimit-Reset: %lld s)", ts, (long long)rl->reset);
		return;
	}
	if (rl->window <= 0)
		return;
	/* a sliding window (Docker Hub's): pulls come back as they age out of it,
	 * the last of them one window from now */
	utc(ts, sizeof ts, rl->window);
	span(win, sizeof win, rl->window);
	if (rl->source[0])
		snprintf(who, sizeof who, " for %s", rl->source);
	if (rl->limit >= 0)
		snprintf(buf, n, "; the limit of %lld per %s%s is used up: requests come back as older ones leave "
		         "the window, all of them by %s", (long long)rl->limit, win, who, ts);
	else
		snprintf(buf, n, "; the limit per %s%s is used up: requests come back as older ones leave the window, "
		         "all of them by %s", win, who, ts);
}

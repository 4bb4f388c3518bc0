/*
 * ratelimit.c: `winch ratelimit REF`: what the registry says of its rate limit,
 * asked with one HEAD of REF's manifest, which Docker Hub does not count as a
 * pull (as regctl's `image ratelimit` does, regclient cmd/regctl/image.go);
 * and the "rateLimit" member every transfer's JSON report carries.
 */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include "cmd.h"

static void add_num(cJSON *o, const char *key, int64_t v)
{
	if (v >= 0)
		cJSON_AddNumberToObject(o, key, (double)v);
	else
		cJSON_AddNullToObject(o, key);
}

/* {"registry", "limit", "remaining", "window", "reset", "source"}: a value the
 * registry did not state (or left empty) is null. */
static cJSON *ratelimit_json(const struct wn_ratelimit *rl)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "registry", rl->registry);
	add_num(o, "limit", rl->limit);
	add_num(o, "remaining", rl->remaining);
	add_num(o, "window", rl->window);
	add_num(o, "reset", rl->reset);
	if (rl->source[0])
		cJSON_AddStringToObject(o, "source", rl->source);
	else
		cJSON_AddNullToObject(o, "source");
	return o;
}

void json_add_ratelimit(void *cjson, struct wn_ctx *ctx)
{
	struct wn_ratelimit rl;
	if (wn_ctx_ratelimit(ctx, &rl))
		cJSON_AddItemToObject(cjson, "rateLimit", ratelimit_json(&rl));
	else
		cJSON_AddNullToObject(cjson, "rateLimit");
}

/* "6 h", "15 min", "90 s" */
static const char *span(char buf[32], int64_t s)
{
	if (s > 0 && s % 3600 == 0)
		snprintf(buf, 32, "%lld h", (long long)(s / 3600));
	else if (s > 0 && s % 60 == 0)
		snprintf(buf, 32, "%lld min", (long long)(s / 60));
	else
		snprintf(buf, 32, "%lld s", (long long)s);
	return buf;
}

int cmd_ratelimit(int argc, char **argv)
{
	struct wn_ref *ref;
	struct wn_ctx *ctx;
	struct wn_ratelimit rl;
	int rc = ref_and_ctx(argv[0], WN_REF_DEFAULT_TAG, &ref, &ctx);
	if (rc)
		return rc;
	if (wn_ratelimit_get(&rl, ctx, ref) != WN_OK) {
		rc = fail_ctx(ctx);
	} else if (want_json()) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddBoolToObject(o, "set", rl.set);
		cJSON *d = ratelimit_json(&rl);
		for (cJSON *c = d->child; c; c = c->next)
			cJSON_AddItemToObject(o, c->string, cJSON_Duplicate(c, 1));
		cJSON_Delete(d);
		print_json(o);
		cJSON_Delete(o);
	} else if (!rl.set) {
		printf("%s: no rate limit stated (no rate-limit headers: no limit, or an account without one)\n",
		       ref->registry);
	} else {
		char lim[32] = "?", left[32] = "?", win[32], per[48] = "", reset[48] = "", who[160] = "";
		if (rl.limit >= 0)
			snprintf(lim, sizeof lim, "%lld", (long long)rl.limit);
		if (rl.remaining >= 0)
			snprintf(left, sizeof left, "%lld", (long long)rl.remaining);
		if (rl.window >= 0)
			snprintf(per, sizeof per, " per %s", span(win, rl.window));
		if (rl.reset >= 0)
			snprintf(reset, sizeof reset, ", resets in %s", span(win, rl.reset));
		if (rl.source[0])
			snprintf(who, sizeof who, ", counted for %s", rl.source);
		printf("%s: %s of %s left%s%s%s\n", ref->registry, left, lim, per, reset, who);
	}
	wn_ctx_free(ctx);
	wn_ref_free(ref);
	return rc;
}

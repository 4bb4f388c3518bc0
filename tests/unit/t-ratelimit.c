/* Rate-limit headers (lib/registries/ratelimit.c), read defensively, and what a
 * 429 then says; the answers of lib/registries/apis.c (immutable tags, missing APIs). */
#include <stdlib.h>
#include "harness.h"
#include "internal.h"

static struct wn_ratelimit parse(const char *limit, const char *remaining, const char *source)
{
	struct wn_ratelimit rl;
	wn__ratelimit_clear(&rl);
	if (limit)
		wn__ratelimit_header(&rl, "RateLimit-Limit", limit);
	if (remaining)
		wn__ratelimit_header(&rl, "ratelimit-remaining", remaining);
	if (source)
		wn__ratelimit_header(&rl, "docker-ratelimit-source", source);
	return rl;
}

int main(void)
{
	struct wn_ratelimit rl;
	char buf[512];

	/* Docker Hub's, as documented */
	rl = parse("100;w=21600", "76;w=21600", "192.0.2.7");
	CHECK(rl.set && rl.limit == 100 && rl.remaining == 76 && rl.window == 21600 && rl.reset == -1);
	CHECK_STR(rl.source, "192.0.2.7");
	/* empty values (docker/hub-feedback#2081): set, but nothing stated */
	rl = parse(";w=21600", ";w=21600", NULL);
	CHECK(rl.set && rl.limit == -1 && rl.remaining == -1 && rl.window == 21600);
	rl = parse("", "", NULL);
	CHECK(rl.set && rl.limit == -1 && rl.remaining == -1 && rl.window == -1);
	/* absent: not set */
	rl = parse(NULL, NULL, NULL);
	CHECK(!rl.set && rl.limit == -1);
	/* only the source (Hub's 401) is no limit */
	rl = parse(NULL, NULL, "1.2.3.4");
	CHECK(!rl.set);
	/* the IETF draft's policy list: the first number, the window of the policy that matches it */
	rl = parse("10, 10;w=1, 50;w=60", "9", NULL);
	CHECK(rl.limit == 10 && rl.window == 1 && rl.remaining == 9);
	rl = parse("50, 10;w=1, 50;w=60", NULL, NULL);
	CHECK(rl.limit == 50 && rl.window == 60);
	/* garbage stays "not stated" */
	rl = parse("abc;w=xyz", "-5;w=12abc", NULL);
	CHECK(rl.set && rl.limit == -1 && rl.remaining == -1 && rl.window == -1);
	rl = parse("99999999999999999999999;w=21600", "1e3", NULL);
	CHECK(rl.limit == -1 && rl.window == 21600 && rl.remaining == -1);
	rl = parse(" 100 ; w = 21600", NULL, NULL);
	CHECK(rl.limit == 100 && rl.window == -1); /* "w = 21600" is no parameter of the draft's grammar */
	rl = parse("100;W=3600;comment=\"x\"", NULL, NULL);
	CHECK(rl.limit == 100 && rl.window == 3600);
	/* a source is kept printable and bounded */
	rl = parse("1", "1", "evil\r\nX-Injected: 1 and more");
	CHECK_STR(rl.source, "evilX-Injected:1andmore");
	char longsrc[400];
	memset(longsrc, 'a', sizeof longsrc - 1);
	longsrc[sizeof longsrc - 1] = 0;
	rl = parse("1", "1", longsrc);
	CHECK(strlen(rl.source) == sizeof rl.source - 1);
	wn__ratelimit_clear(&rl);
	wn__ratelimit_header(&rl, "RateLimit-Reset", "3600");
	CHECK(rl.reset == 3600 && !rl.set);

	/* what a 429 says of when the quota comes back */
	rl = parse("100;w=21600", "0;w=21600", "192.0.2.7");
	wn__ratelimit_when(buf, sizeof buf, &rl, -1);
	CHECK(strstr(buf, "the limit of 100 per 6 h for 192.0.2.7 is used up") != NULL);
	CHECK(strstr(buf, "all of them by 20") != NULL);
	wn__ratelimit_when(buf, sizeof buf, &rl, 30); /* Retry-After is said by the caller */
	CHECK_STR(buf, "");
	rl.reset = 90;
	wn__ratelimit_when(buf, sizeof buf, &rl, -1);
	CHECK(strstr(buf, "the quota resets at 20") && strstr(buf, "(RateLimit-Reset: 90 s)"));
	rl = parse(NULL, NULL, NULL);
	wn__ratelimit_when(buf, sizeof buf, &rl, -1);
	CHECK_STR(buf, "");

	/* immutable tags: ECR's message (old and new wording) and Harbor's */
	struct wn__regerr re = { "TAG_INVALID", "The image tag 'v1' already exists in the 'app' repository and cannot be "
	                                        "overwritten because the tag is immutable." };
	CHECK(wn__answer_immutable(400, &re));
	snprintf(re.message, sizeof re.message, "tag invalid: ... because the repository is immutable.");
	CHECK(wn__answer_immutable(400, &re));
	snprintf(re.code, sizeof re.code, "PRECONDITION");
	snprintf(re.message, sizeof re.message, "Failed to process request due to 'app:v1' configured as immutable.");
	CHECK(wn__answer_immutable(412, &re));
	snprintf(re.code, sizeof re.code, "TAG_INVALID");
	snprintf(re.message, sizeof re.message, "manifest tag did not match URI");
	CHECK(!wn__answer_immutable(400, &re)); /* distribution's own TAG_INVALID */
	snprintf(re.code, sizeof re.code, "GOOGLE_MANIFEST_DANGLING_TAG");
	CHECK(wn__answer_untag_first(400, &re) && !wn__answer_untag_first(404, &re));

	/* Harbor robots whose "$..." a shell expanded */
	CHECK(wn__user_hint("robot+ci") != NULL && wn__user_hint("robot") != NULL);
	CHECK(wn__user_hint("robot$winch+ci") == NULL && wn__user_hint("alice") == NULL && wn__user_hint("robots") == NULL);

	/* what a missing API says, per vendor */
	unsetenv("WINCH_REGISTRY_VENDOR");
	CHECK(wn__vendor_lacks(WN__V_DOCKERHUB, WN__API_DELETE) && wn__vendor_lacks(WN__V_GHCR, WN__API_CATALOG));
	CHECK(!wn__vendor_lacks(WN__V_ECR, WN__API_DELETE) && !wn__vendor_lacks(WN__V_GENERIC, WN__API_CATALOG));
	CHECK(wn__vendor_denied_hint(WN__V_HARBOR, WN__API_CATALOG) && !wn__vendor_denied_hint(WN__V_HARBOR, WN__API_DELETE));
	struct wn_ctx *ctx;
	CHECK(wn_ctx_new(&ctx, NULL) == WN_OK);
	CHECK(wn__noapi_fail(ctx, "docker.io", WN__API_DELETE, "it never grants the delete scope") == WN_ENOAPI);
	CHECK(strstr(wn_ctx_errmsg(ctx), "docker.io (Docker Hub) has no registry-API DELETE (it never grants the delete "
	                                 "scope): winch deletes tags through the Docker Hub API: --api hub") != NULL);
	wn__noapi_fail(ctx, "127.0.0.1:5000", WN__API_DELETE, NULL);
	CHECK(strstr(wn_ctx_errmsg(ctx), "has no registry-API DELETE: deletion is disabled there") != NULL);
	CHECK(wn_ctx_errcode(ctx) == WN_ENOAPI);
	CHECK(!wn_ctx_ratelimit(ctx, &rl) && rl.limit == -1);
	rl = parse("100;w=21600", "7", "x");
	wn__ratelimit_note(ctx, "docker.io", &rl);
	struct wn_ratelimit got;
	CHECK(wn_ctx_ratelimit(ctx, &got) && got.remaining == 7 && !strcmp(got.registry, "docker.io"));
	CHECK_STR(wn_err_name(WN_ENOAPI), "no-api");
	wn_ctx_free(ctx);
	return TEST_DONE();
}

/* The request funnel's URL rules: what counts as one origin, how references
 * from the network resolve, which hosts are loopback. */
#include <stdlib.h>
#include "harness.h"
#include "internal.h"

static const char *ref(struct wn_ctx *ctx, const char *base, const char *r)
{
	static char buf[512];
	char *out = NULL;
	if (wn__url_ref(ctx, base, r, "test", &out) != WN_OK)
		return NULL;
	snprintf(buf, sizeof buf, "%s", out);
	free(out);
	return buf;
}

int main(void)
{
	/* scheme and effective port are part of the origin: 443 -> 80 is another one */
	CHECK(wn__url_same_origin("https://localhost/v2/", "https://localhost:443/x"));
	CHECK(!wn__url_same_origin("https://localhost/v2/", "http://localhost/v2/"));
	CHECK(!wn__url_same_origin("https://127.0.0.1:5000/v2/", "http://127.0.0.1:5000/v2/"));
	CHECK(!wn__url_same_origin("https://127.0.0.1:5000/", "https://127.0.0.1:5001/"));
	CHECK(!wn__url_same_origin("https://127.0.0.1:5000/", "https://127.0.0.2:5000/"));
	CHECK(wn__url_same_origin("HTTPS://Registry.Example/a", "https://registry.example:443/b"));
	CHECK(!wn__url_same_origin("http://a.example/", "http://a.example.evil/"));
	CHECK(!wn__url_same_origin("https://a.example/", NULL));

	struct wn_ctx *ctx;
	CHECK(wn_ctx_new(&ctx, NULL) == WN_OK);
	const char *base = "https://127.0.0.1:5000/v2/app/tags/list?n=1000";
	CHECK_STR(ref(ctx, base, "/v2/app/tags/list?last=a&n=1000"), "https://127.0.0.1:5000/v2/app/tags/list?last=a&n=1000");
	CHECK_STR(ref(ctx, base, "list?last=b"), "https://127.0.0.1:5000/v2/app/tags/list?last=b");
	CHECK_STR(ref(ctx, base, "//127.0.0.2:6000/v2/x"), "https://127.0.0.2:6000/v2/x");
	CHECK_STR(ref(ctx, base, "http://127.0.0.2:6000/up?x=1"), "http://127.0.0.2:6000/up?x=1");
	/* never glued: "@host:port/..." would make the registry's address user info */
	CHECK(ref(ctx, base, "@127.0.0.2:6000/v2/app/tags/list") == NULL);
	CHECK(strstr(wn_ctx_errmsg(ctx), "not a valid URL reference") != NULL);
	CHECK_STR(ref(ctx, base, "@evil/x"), "https://127.0.0.1:5000/v2/app/tags/@evil/x");
	CHECK(ref(ctx, base, "http://user:pw@127.0.0.2/x") == NULL);
	CHECK(strstr(wn_ctx_errmsg(ctx), "user info") != NULL);
	CHECK(ref(ctx, base, "https://user@127.0.0.2/x") == NULL);
	CHECK(ref(ctx, base, "file:///etc/passwd") == NULL);
	CHECK(ref(ctx, base, "ftp://127.0.0.2/x") == NULL);
	CHECK(ref(ctx, "not a url", "/x") == NULL);
	wn_ctx_free(ctx);

	/* Docker's loopback rule, by name and literal only */
	CHECK(wn__host_is_loopback("localhost"));
	CHECK(wn__host_is_loopback("LOCALHOST:5000"));
	CHECK(wn__host_is_loopback("127.0.0.1:5000"));
	CHECK(wn__host_is_loopback("127.255.0.9"));
	CHECK(wn__host_is_loopback("[::1]:5000"));
	CHECK(wn__host_is_loopback("::1"));
	CHECK(wn__host_is_loopback("[::ffff:127.0.0.1]:5000"));
	CHECK(!wn__host_is_loopback("localhost.evil.example:5000"));
	CHECK(!wn__host_is_loopback("127.evil.example:5000"));
	CHECK(!wn__host_is_loopback("127.0.0.1.evil.example"));
	CHECK(!wn__host_is_loopback("128.0.0.1:5000"));
	CHECK(!wn__host_is_loopback("[::2]:5000"));
	CHECK(!wn__host_is_loopback("localhostx"));
	return TEST_DONE();
}

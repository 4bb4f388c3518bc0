/* WWW-Authenticate challenges and registry error bodies. */
#include <stdlib.h>
#include "harness.h"
#include "internal.h"

static void ch_ok(const char *h, const char *scheme, const char *realm, const char *service, const char *scope,
                  const char *error)
{
	struct wn__challenge c;
	struct wn_error e;
	CHECK(wn__challenge_parse(&c, h, &e) == WN_OK);
	CHECK_STR(c.scheme, scheme);
	if (realm) CHECK_STR(c.realm, realm); else CHECK(c.realm == NULL);
	if (service) CHECK_STR(c.service, service); else CHECK(c.service == NULL);
	if (scope) CHECK_STR(c.scope, scope); else CHECK(c.scope == NULL);
	if (error) CHECK_STR(c.error, error); else CHECK(c.error == NULL);
	wn__challenge_free(&c);
}

int main(void)
{
	ch_ok("Bearer realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\",scope=\"repository:library/ubuntu:pull\"",
	      "bearer", "https://auth.docker.io/token", "registry.docker.io", "repository:library/ubuntu:pull", NULL);
	ch_ok("bearer realm=\"http://127.0.0.1:1/token\", service=\"s\", scope=\"repository:a:pull,push\", error=\"insufficient_scope\"",
	      "bearer", "http://127.0.0.1:1/token", "s", "repository:a:pull,push", "insufficient_scope");
	ch_ok("Basic realm=\"Registry Realm\"", "basic", "Registry Realm", NULL, NULL, NULL);
	ch_ok("Basic realm=winch", "basic", "winch", NULL, NULL, NULL);
	ch_ok("Bearer Realm=\"r\",SERVICE=\"s\"", "bearer", "r", "s", NULL, NULL);
	ch_ok("Bearer realm=\"a\\\"b\",service=\"x,y\"", "bearer", "a\"b", "x,y", NULL, NULL);
	ch_ok("Bearer realm=\"r\",scope=\"repository:a:pull\",scope=\"repository:b:pull\"", "bearer", "r", NULL,
	      "repository:a:pull repository:b:pull", NULL);
	/* the first challenge is the one used */
	ch_ok("Basic realm=\"x\", Bearer realm=\"y\"", "basic", "x", NULL, NULL, NULL);

	struct wn__challenge c;
	struct wn_error e;
	CHECK(wn__challenge_parse(&c, NULL, &e) == WN_EPROTO);
	CHECK(wn__challenge_parse(&c, "", &e) == WN_EPROTO);
	CHECK(wn__challenge_parse(&c, "Bearer service=\"s\"", &e) == WN_EPROTO);
	CHECK(strstr(e.msg, "realm") != NULL);
	CHECK(wn__challenge_parse(&c, "Bearer realm=\"unterminated", &e) == WN_EPROTO);
	CHECK(wn__challenge_parse(&c, "Negotiate abc", &e) == WN_EUNSUPPORTED);
	CHECK(strstr(e.msg, "negotiate") != NULL);

	/* registry error bodies */
	struct wn__regerr re;
	const char *b = "{\"errors\":[{\"code\":\"MANIFEST_UNKNOWN\",\"message\":\"manifest unknown\",\"detail\":{}},"
	                "{\"code\":\"X\"}]}";
	CHECK(wn__regerr_parse(&re, b, strlen(b)) == 2);
	CHECK_STR(re.code, "MANIFEST_UNKNOWN");
	CHECK_STR(re.message, "manifest unknown");
	CHECK(wn__regerr_parse(&re, "404 page not found\n", 19) == 0);
	CHECK_STR(re.code, "");
	CHECK(wn__regerr_parse(&re, NULL, 0) == 0);
	b = "{\"errors\":[{\"code\":\"DENIED\",\"message\":\"line1\\nline2\"}]}";
	CHECK(wn__regerr_parse(&re, b, strlen(b)) == 1);
	CHECK(strchr(re.message, '\n') == NULL);
	b = "{\"errors\":\"nope\"}";
	CHECK(wn__regerr_parse(&re, b, strlen(b)) == 0);
	return TEST_DONE();
}

/* WWW-Authenticate challenges and registry error bodies. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
	ch_ok("Bearer Realm=\"https://r/t\",SERVICE=\"s\"", "bearer", "https://r/t", "s", NULL, NULL);
	ch_ok("Bearer realm=\"https://r/t\",service=\"x\\\"y,z\"", "bearer", "https://r/t", "x\"y,z", NULL, NULL);
	ch_ok("Bearer realm=\"https://r/t\",scope=\"repository:a:pull\",scope=\"repository:b:pull\"", "bearer",
	      "https://r/t", NULL, "repository:a:pull repository:b:pull", NULL);
	/* the first challenge is the one used */
	ch_ok("Basic realm=\"x\", Bearer realm=\"y\"", "basic", "x", NULL, NULL, NULL);

	/* several WWW-Authenticate lines (wn__resp joins them with '\n'): the first
	 * Basic or Bearer one, in header order; Negotiate and NTLM are skipped */
	ch_ok("Negotiate\nNTLM\nBearer realm=\"https://auth.example/token\",service=\"reg\"", "bearer",
	      "https://auth.example/token", "reg", NULL, NULL);
	ch_ok("Bearer realm=\"https://good.example/token\"\nBearer realm=\"https://evil.example/token\"", "bearer",
	      "https://good.example/token", NULL, NULL, NULL);
	ch_ok("Basic realm=\"reg\"\nBearer realm=\"https://evil.example/token\"", "basic", "reg", NULL, NULL, NULL);
	ch_ok("Negotiate YIIGhgYJKoZIhvcSAQICAQBuggY1MIIGMaADAgEFoQMCAQ6iBwMFACAAAACjggRGYYIEQjCCBD6gAwIBBaEMGwpF==\n"
	      "Basic realm=\"r\"", "basic", "r", NULL, NULL, NULL);
	/* several challenges in one line (RFC 7235 4.1's example among them) */
	ch_ok("Newauth realm=\"apps\", type=1, title=\"Login to \\\"apps\\\"\", Basic realm=\"simple\"", "basic", "simple",
	      NULL, NULL, NULL);
	ch_ok("Negotiate, NTLM, Bearer realm=\"https://a.example/t\",service=\"s\", Basic realm=\"z\"", "bearer",
	      "https://a.example/t", "s", NULL, NULL);
	ch_ok("Negotiate abc==, Basic realm=\"x\"", "basic", "x", NULL, NULL, NULL);
	ch_ok("Negotiate abc=, Bearer realm=https://a.example/t", "bearer", "https://a.example/t", NULL, NULL, NULL);
	ch_ok("NTLM, Negotiate\nBasic realm=\"b\"", "basic", "b", NULL, NULL, NULL);
	/* a skipped scheme's broken line does not hide the next line */
	ch_ok("Newauth x=\"unterminated\nBasic realm=\"b\"", "basic", "b", NULL, NULL, NULL);
	ch_ok("realm=\"orphan\"\nBasic realm=\"b\"", "basic", "b", NULL, NULL, NULL);
	/* realms that are URLs with a host */
	ch_ok("Bearer realm=\"http://127.0.0.1:5000/token\"", "bearer", "http://127.0.0.1:5000/token", NULL, NULL, NULL);
	ch_ok("Bearer realm=\"https://[::1]:5000/token?x=1\"", "bearer", "https://[::1]:5000/token?x=1", NULL, NULL,
	      NULL);
	ch_ok("Bearer realm=\"HTTPS://Auth.Example\"", "bearer", "HTTPS://Auth.Example", NULL, NULL, NULL);

	struct wn__challenge c;
	struct wn_error e;
	CHECK(wn__challenge_parse(&c, NULL, &e) == WN_EPROTO);
	CHECK(wn__challenge_parse(&c, "", &e) == WN_EPROTO);
	CHECK(wn__challenge_parse(&c, "\n\n", &e) == WN_EPROTO);
	CHECK(wn__challenge_parse(&c, "Bearer service=\"s\"", &e) == WN_EPROTO);
	CHECK(strstr(e.msg, "realm") != NULL);
	CHECK(wn__challenge_parse(&c, "Bearer realm=\"unterminated", &e) == WN_EPROTO);
	CHECK(strstr(e.msg, "unterminated quote") != NULL);
	CHECK(wn__challenge_parse(&c, "Negotiate abc", &e) == WN_EUNSUPPORTED);
	CHECK(strstr(e.msg, "negotiate") != NULL);
	CHECK(wn__challenge_parse(&c, "Negotiate\nNTLM abc==, Digest realm=\"x\", nonce=\"y\"", &e) == WN_EUNSUPPORTED);
	CHECK_STR(e.msg, "unsupported authentication schemes \"negotiate\", \"ntlm\", \"digest\" "
	                 "(winch speaks Basic and Bearer)");
	/* the first usable challenge decides: a broken one is an error, never a
	 * reason to take a later line's realm */
	CHECK(wn__challenge_parse(&c, "Bearer service=\"s\"\nBearer realm=\"https://evil.example/t\"", &e) == WN_EPROTO);
	/* a realm without a scheme or a host is an error naming it, never a guess */
	static const char *const bad_realms[] = {
		"https:///127.0.0.2:80/token", /* libcurl's host would be 127.0.0.2 */
		"http:///token",
		"/token",
		"token",
		"auth.example.com/token",
		"ftp://auth.example.com/token",
		"https://",
		"https://:443/token",
		"https://?x",
		"https://user@evil.example/token",
		"https://a b/token",
		"http:auth.example/token",
	};
	for (size_t i = 0; i < sizeof bad_realms / sizeof *bad_realms; i++) {
		char h[256];
		snprintf(h, sizeof h, "Bearer realm=\"%s\",service=\"s\"", bad_realms[i]);
		CHECK(wn__challenge_parse(&c, h, &e) == WN_EPROTO);
		CHECK(strstr(e.msg, bad_realms[i]) != NULL);
		if (!strstr(e.msg, bad_realms[i]))
			printf("  realm %s: %s\n", bad_realms[i], e.msg);
	}
	/* values are capped, not cut: a 5000-byte realm is an error */
	char big[6000] = "Bearer realm=\"https://a.example/";
	memset(big + strlen(big), 'x', 5000);
	strcpy(big + strlen(big), "\"");
	CHECK(wn__challenge_parse(&c, big, &e) == WN_EPROTO);
	CHECK(strstr(e.msg, "4096") != NULL);

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

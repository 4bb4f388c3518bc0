/* References: Docker's normalisation and the grammar's limits. */
#include <stdlib.h>
#include "harness.h"
#include "winch.h"

static void ok(const char *in, const char *reg, const char *repo, const char *tag, const char *digest)
{
	struct wn_ref *r;
	struct wn_error e;
	int rc = wn_ref_parse(&r, in, WN_REF_DEFAULT_TAG, &e);
	CHECK(rc == WN_OK);
	if (rc != WN_OK) {
		printf("  %s: %s\n", in, e.msg);
		return;
	}
	CHECK_STR(r->registry, reg);
	CHECK_STR(r->repository, repo);
	if (tag)
		CHECK_STR(r->tag, tag);
	else
		CHECK(r->tag == NULL);
	if (digest)
		CHECK_STR(r->digest, digest);
	else
		CHECK(r->digest == NULL);
	wn_ref_free(r);
}

static void bad(const char *in, enum wn_err code, const char *needle)
{
	struct wn_ref *r = (struct wn_ref *)1;
	struct wn_error e = { 0, "" };
	CHECK(wn_ref_parse(&r, in, 0, &e) == (int)code);
	CHECK(r == NULL);
	if (needle && !strstr(e.msg, needle)) {
		printf("FAIL message for \"%s\" lacks \"%s\": %s\n", in, needle, e.msg);
		t_failed++;
	}
}

#define D "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

int main(void)
{
	ok("ubuntu", "docker.io", "library/ubuntu", "latest", NULL);
	ok("ubuntu:22.04", "docker.io", "library/ubuntu", "22.04", NULL);
	ok("docker://ubuntu", "docker.io", "library/ubuntu", "latest", NULL);
	ok("user/app", "docker.io", "user/app", "latest", NULL);
	ok("index.docker.io/user/app:1", "docker.io", "user/app", "1", NULL);
	ok("index.docker.io/nginx", "docker.io", "library/nginx", "latest", NULL);
	ok("docker.io/nginx", "docker.io", "library/nginx", "latest", NULL);
	ok("registry-1.docker.io/library/nginx", "docker.io", "library/nginx", "latest", NULL);
	ok("localhost/app", "localhost", "app", "latest", NULL);
	ok("localhost:5000/x", "localhost:5000", "x", "latest", NULL);
	ok("127.0.0.1:5000/a/b/c:t", "127.0.0.1:5000", "a/b/c", "t", NULL);
	ok("ghcr.io/org/app:1.2", "ghcr.io", "org/app", "1.2", NULL);
	ok("GHCR.io/org/app:1.2", "GHCR.io", "org/app", "1.2", NULL);
	ok("Localhostx/a", "Localhostx", "a", "latest", NULL);
	ok("Index.Docker.io/a", "docker.io", "library/a", "latest", NULL);
	ok("ghcr.io/org/app@" D, "ghcr.io", "org/app", NULL, D);
	ok("ghcr.io/org/app:1.2@" D, "ghcr.io", "org/app", "1.2", D);
	ok("[::1]:5000/app", "[::1]:5000", "app", "latest", NULL);
	ok("a/b__c/d-e.f_g---h:T_1.x-y", "docker.io", "a/b__c/d-e.f_g---h", "T_1.x-y", NULL);

	bad("", WN_EINVAL, "empty");
	bad("Ubuntu", WN_EINVAL, "must be lowercase");
	bad("ghcr.io/Org/app", WN_EINVAL, "must be lowercase");
	bad("app:", WN_EINVAL, "bad tag");
	bad("app:-x", WN_EINVAL, "bad tag");
	bad("app:.x", WN_EINVAL, "bad tag");
	bad("a//b", WN_EINVAL, "component");
	bad("a/-b", WN_EINVAL, "component");
	bad("a/b_", WN_EINVAL, "component");
	bad("a/b___c", WN_EINVAL, "component");
	bad("app@sha256:abc", WN_EINVAL, "64 hex");
	bad("app@sha256:0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef", WN_EINVAL, "lower-case");
	bad("app@md5:0123", WN_EUNSUPPORTED, "unsupported");
	bad("ghcr.io/", WN_EINVAL, "missing repository");
	bad("-host.io/app", WN_EINVAL, NULL);
	bad("host:port/app", WN_EINVAL, "bad registry");

	char tag129[140];
	memset(tag129, 'a', 129);
	tag129[129] = 0;
	char in[160];
	snprintf(in, sizeof in, "app:%s", tag129);
	bad(in, WN_EINVAL, "at most 128");
	tag129[128] = 0;
	snprintf(in, sizeof in, "app:%s", tag129);
	ok(in, "docker.io", "library/app", tag129, NULL);

	char longname[300];
	memset(longname, 'a', 260);
	longname[260] = 0;
	bad(longname, WN_EINVAL, "longer than 255");

	/* name-only and default-tag flags */
	struct wn_ref *r;
	struct wn_error e;
	CHECK(wn_ref_parse(&r, "ghcr.io/a:1", WN_REF_NAME_ONLY, &e) == WN_EINVAL);
	CHECK(wn_ref_parse(&r, "ghcr.io/a", WN_REF_NAME_ONLY, &e) == WN_OK && r->tag == NULL);
	char *s = wn_ref_string(r);
	CHECK_STR(s, "ghcr.io/a");
	free(s);
	wn_ref_free(r);
	CHECK(wn_ref_parse(&r, "ghcr.io/a:1@" D, 0, &e) == WN_OK);
	s = wn_ref_string(r);
	CHECK_STR(s, "ghcr.io/a:1@" D);
	free(s);
	wn_ref_free(r);

	/* registry names as login/catalog take them */
	char *reg;
	CHECK(wn_registry_normalize(&reg, "https://index.docker.io/v1/", &e) == WN_OK);
	CHECK_STR(reg, "docker.io");
	free(reg);
	CHECK(wn_registry_normalize(&reg, "Localhost:5000", &e) == WN_OK);
	CHECK_STR(reg, "Localhost:5000");
	free(reg);
	CHECK(wn_registry_normalize(&reg, "ghcr.io/org/app", &e) == WN_EINVAL);
	CHECK(wn_registry_normalize(&reg, "bad host", &e) == WN_EINVAL);
	return TEST_DONE();
}

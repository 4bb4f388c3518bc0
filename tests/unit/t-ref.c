/* References: Docker's normalisation and the grammar's limits.  The vectors
 * marked "upstream" are distribution/reference v0.6.0's own (reference_test.go
 * TestReferenceParse, normalize_test.go TestValidateReferenceName,
 * TestValidateRemoteName, TestParseRepositoryInfo), with the answer
 * ParseNormalizedNamed gives, which is what the docker CLI uses. */
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
#define F64 "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"
#define HEX64 "1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a"

/* the reference is valid (whatever it normalises to) */
static void valid(const char *in)
{
	struct wn_ref *r;
	struct wn_error e;
	int rc = wn_ref_parse(&r, in, 0, &e);
	CHECK(rc == WN_OK);
	if (rc != WN_OK)
		printf("  \"%s\" refused: %s\n", in, e.msg);
	else
		wn_ref_free(r);
}

static char *rep(char *buf, const char *prefix, const char *unit, int n, const char *suffix)
{
	strcpy(buf, prefix);
	for (int i = 0; i < n; i++)
		strcat(buf, unit);
	strcat(buf, suffix);
	return buf;
}

int main(void)
{
	struct wn_error e0;
	ok("ubuntu", "docker.io", "library/ubuntu", "latest", NULL);
	ok("ubuntu:22.04", "docker.io", "library/ubuntu", "22.04", NULL);
	ok("docker://ubuntu", "docker.io", "library/ubuntu", "latest", NULL);
	ok("user/app", "docker.io", "user/app", "latest", NULL);
	ok("index.docker.io/user/app:1", "docker.io", "user/app", "1", NULL);
	ok("index.docker.io/nginx", "docker.io", "library/nginx", "latest", NULL);
	ok("docker.io/nginx", "docker.io", "library/nginx", "latest", NULL);
	/* only the exact "index.docker.io" is Hub's other name (normalize.go); the
	 * API host and other spellings are registries of their own, as for docker */
	ok("registry-1.docker.io/library/nginx", "registry-1.docker.io", "library/nginx", "latest", NULL);
	ok("registry-1.docker.io/alpine", "registry-1.docker.io", "alpine", "latest", NULL);
	ok("localhost/app", "localhost", "app", "latest", NULL);
	ok("localhost:5000/x", "localhost:5000", "x", "latest", NULL);
	ok("127.0.0.1:5000/a/b/c:t", "127.0.0.1:5000", "a/b/c", "t", NULL);
	ok("ghcr.io/org/app:1.2", "ghcr.io", "org/app", "1.2", NULL);
	ok("GHCR.io/org/app:1.2", "GHCR.io", "org/app", "1.2", NULL);
	ok("Localhostx/a", "Localhostx", "a", "latest", NULL);
	ok("Index.Docker.io/a", "Index.Docker.io", "a", "latest", NULL);
	ok("Docker.io/a", "Docker.io", "a", "latest", NULL);
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
	/* an unknown algorithm is a bad reference (exit 2), like every other */
	bad("app@md5:0123", WN_EINVAL, "unsupported");
	bad("app@foo:" F64, WN_EINVAL, "unsupported digest algorithm");
	/* docker accepts sha384 (go-digest registers it with crypto/sha512) */
	ok("app@sha384:" F64 "ffffffffffffffffffffffffffffffff", "docker.io", "library/app", NULL,
	   "sha384:" F64 "ffffffffffffffffffffffffffffffff");
	bad("app@sha384:" F64, WN_EINVAL, "96");
	{
		struct wn_hasher *h;
		char out[WN_DIGEST_MAX] = "";
		CHECK(wn_hasher_new(&h, "sha384", &e0) == WN_OK);
		if (h)
			wn_hasher_final(h, out);
		wn_hasher_free(h);
		CHECK_STR(out, "sha384:38b060a751ac96384cd9327eb1b1e36a21fdb71114be07434c0cc7bf63f6e1da274edebfe76f65fbd51ad2f14898b95b");
	}
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

	/* the 255 limit is on the path (library/ included), never the domain */
	char longname[1100], want[600];
	memset(longname, 'a', 260);
	longname[260] = 0;
	bad(longname, WN_EINVAL, "must not be more than 255 characters");
	ok(rep(longname, "", "a", 247, ""), "docker.io", rep(want, "library/", "a", 247, ""), "latest", NULL);
	bad(rep(longname, "", "a", 248, ""), WN_EINVAL, "must not be more than 255 characters");
	ok(rep(longname, "example.com/", "a", 255, ":tag"), "example.com", rep(want, "", "a", 255, ""), "tag", NULL); /* upstream */
	bad(rep(longname, "example.com/", "a", 256, ""), WN_EINVAL, "must not be more than 255 characters");
	bad(rep(longname, "domain/", "a", 256, ":tag"), WN_EINVAL, "must not be more than 255"); /* upstream */
	/* upstream's one-letter domain: a Hub path for the normalised parser; a
	 * one-letter registry needs a port or localhost */
	ok(rep(longname, "", "a/", 127, "a:tag-puts-this-over-max"), "docker.io", rep(want, "", "a/", 127, "a"),
	   "tag-puts-this-over-max", NULL);
	ok(rep(longname, "a:1/", "a", 255, ""), "a:1", rep(want, "", "a", 255, ""), "latest", NULL);
	ok(rep(longname, "localhost/", "a", 255, ""), "localhost", rep(want, "", "a", 255, ""), "latest", NULL);
	{
		char dom[300];
		rep(dom, "", "abcdefghi.", 25, "io");
		snprintf(longname, sizeof longname, "%s/%s", dom, rep(want, "", "b", 255, ""));
		ok(longname, dom, want, "latest", NULL);
	}

	/* a 64-character lower-case hex string alone is an image ID, not a name */
	bad(HEX64, WN_EINVAL, "cannot specify 64-byte hexadecimal strings");
	bad("docker://" HEX64, WN_EINVAL, "cannot specify 64-byte hexadecimal strings");
	bad("1A3F5E7D9C1B3A5F7E9D1C3B5A7F9E1D3C5B7A9F1E3D5D7C9B1A3F5E7D9C1B3A", WN_EINVAL, "must be lowercase");
	ok(HEX64 ":v1", "docker.io", "library/" HEX64, "v1", NULL);
	ok(HEX64 "@" D, "docker.io", "library/" HEX64, NULL, D);
	ok("library/" HEX64, "docker.io", "library/" HEX64, "latest", NULL);
	ok("docker.io/" HEX64, "docker.io", "library/" HEX64, "latest", NULL); /* upstream */
	valid("1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3"); /* 63 */
	valid(HEX64 "a"); /* 65 */

	/* IPv6 hosts: upstream's `\[(?:[a-fA-F0-9:]+)\]` then an optional port */
	ok("[2001:db8::1]/repo", "[2001:db8::1]", "repo", "latest", NULL);
	ok("[2001:db8:1:2:3:4:5:6]/repo:tag", "[2001:db8:1:2:3:4:5:6]", "repo", "tag", NULL);
	ok("[2001:db8::1]:5000/repo", "[2001:db8::1]:5000", "repo", "latest", NULL);
	ok("[2001:db8::1]:5000/repo:tag", "[2001:db8::1]:5000", "repo", "tag", NULL);
	ok("[2001:db8::1]:5000/repo@sha256:" F64, "[2001:db8::1]:5000", "repo", NULL, "sha256:" F64);
	ok("[2001:db8::1]:5000/repo:tag@sha256:" F64, "[2001:db8::1]:5000", "repo", "tag", "sha256:" F64);
	ok("[2001:db8::]:5000/repo", "[2001:db8::]:5000", "repo", "latest", NULL);
	ok("[::1]:5000/repo", "[::1]:5000", "repo", "latest", NULL);
	ok("[ABCD]/x", "[ABCD]", "x", "latest", NULL); /* upper case makes it a domain; the regex takes it */
	ok("[abcd]:5000/x", "[abcd]:5000", "x", "latest", NULL);
	bad("[abcd]/x", WN_EINVAL, NULL); /* no '.' or ':': a Hub path, and not a valid one */
	bad("[2001:db8::1]", WN_EINVAL, NULL);
	bad("[2001:db8::1]:5000", WN_EINVAL, NULL);
	bad("[2001:db8::1]:tag", WN_EINVAL, NULL);
	bad("[fe80::1%eth0]:5000/repo", WN_EINVAL, NULL);
	bad("[fe80::1%@invalidzone]:5000/repo", WN_EINVAL, NULL);
	bad("[2001:db8:3:4::192.0.2.33]:5000/debian", WN_EINVAL, "bad registry");
	bad("[::ffff:1.2.3.4]/x", WN_EINVAL, "bad registry");
	bad("[]:5000/x", WN_EINVAL, NULL);
	bad("fc00::1:5000/debian", WN_EINVAL, NULL);

	/* upstream: reference_test.go TestReferenceParse, normalised */
	ok("test_com", "docker.io", "library/test_com", "latest", NULL);
	ok("test.com:tag", "docker.io", "library/test.com", "tag", NULL);
	ok("test.com:5000", "docker.io", "library/test.com", "5000", NULL);
	ok("test.com/repo:tag", "test.com", "repo", "tag", NULL);
	ok("test:5000/repo", "test:5000", "repo", "latest", NULL);
	ok("test:5000/repo:tag", "test:5000", "repo", "tag", NULL);
	ok("test:5000/repo@sha256:" F64, "test:5000", "repo", NULL, "sha256:" F64);
	ok("test:5000/repo:tag@sha256:" F64, "test:5000", "repo", "tag", "sha256:" F64);
	bad(":justtag", WN_EINVAL, NULL);
	bad("@sha256:" F64, WN_EINVAL, NULL);
	bad("repo@sha256:ffffffffffffffffffffffffffffffffff", WN_EINVAL, NULL);
	bad("validname@invaliddigest:" F64, WN_EINVAL, "unsupported digest algorithm");
	bad("Uppercase:tag", WN_EINVAL, "must be lowercase");
	bad("test:5000/Uppercase/lowercase:tag", WN_EINVAL, "must be lowercase");
	ok("lowercase:Uppercase", "docker.io", "library/lowercase", "Uppercase", NULL);
	bad("aa/asdf$$^/aa", WN_EINVAL, NULL);
	ok("sub-dom1.foo.com/bar/baz/quux", "sub-dom1.foo.com", "bar/baz/quux", "latest", NULL);
	ok("sub-dom1.foo.com/bar/baz/quux:some-long-tag", "sub-dom1.foo.com", "bar/baz/quux", "some-long-tag", NULL);
	ok("b.gcr.io/test.example.com/my-app:test.example.com", "b.gcr.io", "test.example.com/my-app",
	   "test.example.com", NULL);
	ok("xn--n3h.com/myimage:xn--n3h.com", "xn--n3h.com", "myimage", "xn--n3h.com", NULL);
	ok("xn--7o8h.com/myimage:xn--7o8h.com@sha512:" F64 F64, "xn--7o8h.com", "myimage", "xn--7o8h.com",
	   "sha512:" F64 F64);
	ok("foo_bar.com:8080", "docker.io", "library/foo_bar.com", "8080", NULL);
	ok("foo/foo_bar.com:8080", "docker.io", "foo/foo_bar.com", "8080", NULL);
	ok("192.168.1.1", "docker.io", "library/192.168.1.1", "latest", NULL);
	ok("192.168.1.1:tag", "docker.io", "library/192.168.1.1", "tag", NULL);
	ok("192.168.1.1:5000", "docker.io", "library/192.168.1.1", "5000", NULL);
	ok("192.168.1.1/repo", "192.168.1.1", "repo", "latest", NULL);
	ok("192.168.1.1:5000/repo", "192.168.1.1:5000", "repo", "latest", NULL);
	ok("192.168.1.1:5000/repo:5050", "192.168.1.1:5000", "repo", "5050", NULL);

	/* upstream: normalize_test.go TestValidateReferenceName and TestValidateRemoteName */
	static const char *const valid_names[] = {
		"docker/docker", "library/debian", "debian", "localhost/library/debian", "localhost/debian",
		"LOCALDOMAIN/library/debian", "LOCALDOMAIN/debian", "docker.io/docker/docker", "docker.io/library/debian",
		"docker.io/debian", "index.docker.io/docker/docker", "index.docker.io/library/debian",
		"index.docker.io/debian", "127.0.0.1:5000/docker/docker", "127.0.0.1:5000/library/debian",
		"127.0.0.1:5000/debian", "192.168.0.1", "192.168.0.1:80", "192.168.0.1:8/debian",
		"192.168.0.2:25000/debian", "thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev",
		"[fc00::1]:5000/docker", "[fc00::1]:5000/docker/docker", "[fc00:1:2:3:4:5:6:7]:5000/library/debian",
		"docker.io/" HEX64, "Docker/docker", "DOCKER/docker", "docker-rules/docker", "docker---rules/docker",
		"doc/docker", "d/docker", "jess/t", "dock__er/docker",
	};
	for (size_t i = 0; i < sizeof valid_names / sizeof *valid_names; i++)
		valid(valid_names[i]);
	static const char *const invalid_names[] = {
		"https://github.com/docker/docker", "docker/Docker", "-docker", "-docker/docker", "-docker.io/docker/docker",
		"docker///docker", "docker.io/docker/Docker", "docker.io/docker///docker", "[fc00::1]", "[fc00::1]:5000",
		"fc00::1:5000/debian", "[fe80::1%eth0]:5000/debian", "[2001:db8:3:4::192.0.2.33]:5000/debian", HEX64,
		"docker-/docker", "-docker-/docker", "____/____", "_docker/_docker", "dock..er/docker", "dock_.er/docker",
		"dock-.er/docker", "docker/",
		"this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255_this_is_not_a_valid_namespace_because_"
		"its_lenth_is_greater_than_255_this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255_this_is_"
		"not_a_valid_namespace_because_its_lenth_is_greater_than_255/docker",
	};
	for (size_t i = 0; i < sizeof invalid_names / sizeof *invalid_names; i++)
		bad(invalid_names[i], WN_EINVAL, NULL);

	/* upstream: normalize_test.go TestParseRepositoryInfo (domain and path) */
	ok("localhost/fooo", "localhost", "fooo", "latest", NULL);
	ok("localhost/fooo/bar", "localhost", "fooo/bar", "latest", NULL);
	ok("LOCALDOMAIN/fooo", "LOCALDOMAIN", "fooo", "latest", NULL);
	ok("index.docker.io/fooo/bar", "docker.io", "fooo/bar", "latest", NULL);
	ok("library/ubuntu", "docker.io", "library/ubuntu", "latest", NULL);
	ok("docker.io/foo", "docker.io", "library/foo", "latest", NULL);
	ok("other/library", "docker.io", "other/library", "latest", NULL);
	ok("127.0.0.1:8000/privatebase", "127.0.0.1:8000", "privatebase", "latest", NULL);
	ok("example.com:8000/private/moonbase", "example.com:8000", "private/moonbase", "latest", NULL);
	ok("index.docker.io/library/ubuntu-12.04-base", "docker.io", "library/ubuntu-12.04-base", "latest", NULL);
	ok("Foo/bar", "Foo", "bar", "latest", NULL);
	ok("FOO/bar", "FOO", "bar", "latest", NULL);
	ok("busybox:latest@sha256:86e0e091d0da6bde2456dbb48306f3956bbeb2eae1b5b9a43045843f69fe4aaa", "docker.io",
	   "library/busybox", "latest", "sha256:86e0e091d0da6bde2456dbb48306f3956bbeb2eae1b5b9a43045843f69fe4aaa");

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
	CHECK(wn_registry_normalize(&reg, "index.docker.io", &e) == WN_OK);
	CHECK_STR(reg, "docker.io");
	free(reg);
	CHECK(wn_registry_normalize(&reg, "registry-1.docker.io", &e) == WN_OK);
	CHECK_STR(reg, "registry-1.docker.io");
	free(reg);
	CHECK(wn_registry_normalize(&reg, "Index.Docker.IO", &e) == WN_OK);
	CHECK_STR(reg, "Index.Docker.IO");
	free(reg);
	CHECK(wn_registry_normalize(&reg, "[::1]:5000", &e) == WN_OK);
	CHECK_STR(reg, "[::1]:5000");
	free(reg);
	CHECK(wn_registry_normalize(&reg, "[::ffff:1.2.3.4]:5000", &e) == WN_EINVAL);
	return TEST_DONE();
}

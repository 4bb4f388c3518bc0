/* Credentials: the docker CLI's lookup order, helpers, and safe writes of config.json.
 * Runs from the repository top (tests/bin holds the test helpers). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <sys/mount.h>
#include <stdlib.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "harness.h"
#include "internal.h"

static char home[PATH_MAX], store[PATH_MAX];
static char logged[16384]; /* every message the library logged since the last lookup */
static char warned[16384]; /* those of them that were warnings (or errors) */

static void collect_log(void *data, enum wn_log_level level, const char *msg)
{
	size_t n = strlen(logged);
	snprintf(logged + n, sizeof logged - n, "%s\n", msg);
	if (level <= WN_LOG_WARN) {
		n = strlen(warned);
		snprintf(warned + n, sizeof warned - n, "%s\n", msg);
	}
}

static void write_file(const char *rel, const char *text)
{
	char p[PATH_MAX * 2];
	snprintf(p, sizeof p, "%s/%s", home, rel);
	char dir[PATH_MAX * 2];
	snprintf(dir, sizeof dir, "%s", p);
	*strrchr(dir, '/') = 0;
	char cmd[PATH_MAX * 3];
	snprintf(cmd, sizeof cmd, "mkdir -p '%s'", dir);
	if (system(cmd)) {}
	FILE *f = fopen(p, "w");
	fputs(text, f);
	fclose(f);
}

static char *read_file(const char *path)
{
	static char buf[65536];
	FILE *f = fopen(path, "r");
	if (!f)
		return NULL;
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	buf[n] = 0;
	fclose(f);
	return buf;
}

static void reset(void)
{
	char cmd[PATH_MAX * 5];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'/* '%s'/.docker '%s'/.config; mkdir -p '%s'", home, home, home, store);
	if (system(cmd)) {}
	unsetenv("DOCKER_CONFIG");
	unsetenv("REGISTRY_AUTH_FILE");
	unsetenv("DOCKER_AUTH_CONFIG");
	unsetenv("XDG_RUNTIME_DIR");
}

static struct wn_ctx *ctx_with(const char *authfile, const char *creds)
{
	struct wn_ctx_options o = WN_CTX_OPTIONS_INIT;
	struct wn_ctx *ctx;
	o.authfile = authfile;
	o.creds = creds;
	o.helper_timeout_ms = 5000;
	o.log = collect_log;
	o.log_level = WN_LOG_TRACE;
	wn_ctx_new(&ctx, &o);
	return ctx;
}

/* The user/password a lookup finds, as "user:pass@source-suffix", or "none". */
static const char *lookup(const char *reg, const char *authfile, const char *creds)
{
	static char out[512];
	struct wn_ctx *ctx = ctx_with(authfile, creds);
	struct wn_creds *c = NULL;
	logged[0] = warned[0] = 0;
	int rc = wn_creds_lookup(&c, ctx, reg);
	if (rc != WN_OK)
		snprintf(out, sizeof out, "error %d", rc);
	else if (!c)
		snprintf(out, sizeof out, "none");
	else if (c->identity_token)
		snprintf(out, sizeof out, "token:%s", c->identity_token);
	else
		snprintf(out, sizeof out, "%s:%s", c->username, c->password);
	wn_creds_free(c);
	wn_ctx_free(ctx);
	return out;
}

/* What the auth code gets for registry and token scope, as "user:pass", or "none". */
static const char *for_scope(struct wn_ctx *ctx, const char *reg, const char *scope)
{
	static char out[512];
	const struct wn_creds *c = wn__creds_get(ctx, reg, scope);
	snprintf(out, sizeof out, "%s%s%s", c ? c->username : "none", c ? ":" : "", c ? c->password : "");
	return out;
}

static int count_lines(const char *path, const char *word)
{
	char *text = read_file(path);
	int n = 0;
	for (const char *p = text; p && (p = strstr(p, word)); p += strlen(word))
		n++;
	return n;
}

int main(void)
{
	char tmpl[] = "/tmp/winch-t-creds.XXXXXX", cwd[PATH_MAX], path[PATH_MAX * 4], cfgpath[PATH_MAX * 2];
	if (!mkdtemp(tmpl) || !getcwd(cwd, sizeof cwd))
		return 1;
	snprintf(home, sizeof home, "%s", tmpl);
	snprintf(cfgpath, sizeof cfgpath, "%s/.docker/config.json", home);
	snprintf(store, sizeof store, "%s/helper-store", tmpl);
	setenv("HOME", home, 1);
	setenv("WNTEST_HELPER_STORE", store, 1);
	snprintf(path, sizeof path, "%s/tests/bin:%s", cwd, getenv("PATH"));
	setenv("PATH", path, 1);

	/* auths: base64 "auth", username/password, identitytoken, Docker Hub's key */
	reset();
	write_file(".docker/config.json",
	           "{\"auths\":{\"ghcr.io\":{\"auth\":\"dTE6cDE6d2l0aDpjb2xvbnM=\"},"
	           "\"https://quay.io\":{\"username\":\"u2\",\"password\":\"p2\"},"
	           "\"https://index.docker.io/v1/\":{\"auth\":\"aHViOmh1YnBhc3M=\"},"
	           "\"tok.example\":{\"identitytoken\":\"rt-1\"},"
	           "\"empty.example\":{}}}");
	CHECK_STR(lookup("ghcr.io", NULL, NULL), "u1:p1:with:colons");
	CHECK_STR(lookup("quay.io", NULL, NULL), "u2:p2");
	CHECK_STR(lookup("docker.io", NULL, NULL), "hub:hubpass");
	CHECK_STR(lookup("tok.example", NULL, NULL), "token:rt-1");
	CHECK_STR(lookup("empty.example", NULL, NULL), "none");
	CHECK_STR(lookup("other.example", NULL, NULL), "none");
	/* --creds comes first */
	CHECK_STR(lookup("ghcr.io", NULL, "cli:secret"), "cli:secret");

	/* DOCKER_CONFIG moves the file; DOCKER_AUTH_CONFIG comes before it */
	reset();
	write_file("alt/config.json", "{\"auths\":{\"ghcr.io\":{\"auth\":\"YWx0OmFsdA==\"}}}");
	snprintf(path, sizeof path, "%s/alt", home);
	setenv("DOCKER_CONFIG", path, 1);
	CHECK_STR(lookup("ghcr.io", NULL, NULL), "alt:alt");
	setenv("DOCKER_AUTH_CONFIG", "{\"auths\":{\"ghcr.io\":{\"auth\":\"ZW52OmVudg==\"}}}", 1);
	CHECK_STR(lookup("ghcr.io", NULL, NULL), "env:env");
	/* DOCKER_AUTH_CONFIG is read as docker reads it (configfile.parseEnvConfig):
	 * only auths.*.auth; anything else, trailing data, a missing or bad auth
	 * makes docker ignore the whole variable with a warning, and use the files */
	setenv("DOCKER_AUTH_CONFIG", "not json", 1);
	CHECK_STR(lookup("ghcr.io", NULL, NULL), "alt:alt");
	CHECK(strstr(warned, "ignoring DOCKER_AUTH_CONFIG: not valid JSON") != NULL);
	static const char *const env_bad[][2] = {
		{ "{\"auths\":{\"ghcr.io\":{\"auth\":\"ZW52OmVudg==\"}},\"credHelpers\":{}}", "json: unknown field \"credHelpers\"" },
		{ "{\"auths\":{\"ghcr.io\":{\"auth\":\"ZW52OmVudg==\",\"username\":\"x\"}}}", "json: unknown field \"username\"" },
		{ "{\"auths\":{\"ghcr.io\":{\"auth\":\"ZW52OmVudg==\"}}} {}", "does not support more than one JSON object" },
		{ "{\"auths\":{\"ghcr.io\":{\"auth\":\"ZW52OmVudg==\"}}}x", "does not support more than one JSON object" },
		{ "{\"auths\":{\"ghcr.io\":{\"auth\":\"ZW52OmVudg==\"},\"quay.io\":{}}}", "is missing key `auth` for quay.io" },
		{ "{\"auths\":{\"ghcr.io\":{\"auth\":\"ZW52OmVudg==\"},\"quay.io\":{\"auth\":\"!!!!\"}}}", "\"quay.io\" is not valid base64" },
		{ "{\"auths\":{\"ghcr.io\":{\"auth\":\"ZW52OmVudg==\"},\"quay.io\":{\"auth\":\"OnB3\"}}}", "\"quay.io\" is not base64 of USER:PASSWORD (no user)" },
		{ "[]", "not a JSON object" },
	};
	for (size_t i = 0; i < sizeof env_bad / sizeof *env_bad; i++) {
		setenv("DOCKER_AUTH_CONFIG", env_bad[i][0], 1);
		CHECK_STR(lookup("ghcr.io", NULL, NULL), "alt:alt");
		if (!strstr(warned, env_bad[i][1])) {
			printf("FAIL DOCKER_AUTH_CONFIG %s: warning lacks %s: %s\n", env_bad[i][0], env_bad[i][1], warned);
			t_failed++;
		}
	}
	/* what docker takes: field names in any case, a '}' after the value (Go's
	 * Decoder.More), null, blank; the key only exactly (no ConvertToHostname) */
	setenv("DOCKER_AUTH_CONFIG", "{\"AUTHS\":{\"ghcr.io\":{\"Auth\":\"ZW52OmVudg==\"}}}}", 1);
	CHECK_STR(lookup("ghcr.io", NULL, NULL), "env:env");
	CHECK(warned[0] == 0);
	setenv("DOCKER_AUTH_CONFIG", "{\"auths\":{\"https://ghcr.io/v2/\":{\"auth\":\"ZW52OmVudg==\"}}}", 1);
	CHECK_STR(lookup("ghcr.io", NULL, NULL), "alt:alt");
	setenv("DOCKER_AUTH_CONFIG", "null", 1);
	CHECK_STR(lookup("ghcr.io", NULL, NULL), "alt:alt");
	CHECK(warned[0] == 0);
	setenv("DOCKER_AUTH_CONFIG", "  \n", 1);
	CHECK_STR(lookup("ghcr.io", NULL, NULL), "alt:alt");
	CHECK(warned[0] == 0);
	setenv("DOCKER_AUTH_CONFIG", "{\"auths\":{\"https://index.docker.io/v1/\":{\"auth\":\"aHViOmh1Yg==\"},"
	                             "\"docker.io\":{\"auth\":\"bm86bm8=\"}}}", 1);
	CHECK_STR(lookup("docker.io", NULL, NULL), "hub:hub");
	unsetenv("DOCKER_AUTH_CONFIG");

	/* --authfile / REGISTRY_AUTH_FILE come before docker's file; XDG auth.json after it */
	reset();
	write_file(".docker/config.json", "{\"auths\":{\"ghcr.io\":{\"auth\":\"ZG9jazpkb2Nr\"}}}");
	write_file("auth.json", "{\"auths\":{\"ghcr.io\":{\"auth\":\"ZmlsZTpmaWxl\"}}}");
	snprintf(path, sizeof path, "%s/auth.json", home);
	CHECK_STR(lookup("ghcr.io", path, NULL), "file:file");
	/* a named file that is missing is an error, not a fall-through to docker's */
	snprintf(path, sizeof path, "%s/missing.json", home);
	CHECK_STR(lookup("ghcr.io", path, NULL), "error 2");
	setenv("REGISTRY_AUTH_FILE", path, 1);
	CHECK_STR(lookup("ghcr.io", NULL, NULL), "dock:dock");
	snprintf(path, sizeof path, "%s/auth.json", home);
	setenv("REGISTRY_AUTH_FILE", path, 1);
	CHECK_STR(lookup("ghcr.io", NULL, NULL), "file:file");
	unsetenv("REGISTRY_AUTH_FILE");
	CHECK_STR(lookup("ghcr.io", NULL, NULL), "dock:dock");
	write_file("run/containers/auth.json", "{\"auths\":{\"quay.io\":{\"auth\":\"eGRnOnhkZw==\"}}}");
	snprintf(path, sizeof path, "%s/run", home);
	setenv("XDG_RUNTIME_DIR", path, 1);
	CHECK_STR(lookup("quay.io", NULL, NULL), "xdg:xdg");

	/* helpers: credHelpers beats auths; credsStore is asked alone (docker's rule) */
	reset();
	write_file("helper-store/ghcr.io", "{\"ServerURL\":\"ghcr.io\",\"Username\":\"hu\",\"Secret\":\"hs\"}");
	write_file("helper-store/https___index.docker.io_v1_", "{\"Username\":\"<token>\",\"Secret\":\"idt\"}");
	write_file(".docker/config.json", "{\"credHelpers\":{\"ghcr.io\":\"wntest\"},"
	                                  "\"auths\":{\"ghcr.io\":{\"auth\":\"bm86bm8=\"},\"quay.io\":{\"auth\":\"cTpx\"}}}");
	CHECK_STR(lookup("ghcr.io", NULL, NULL), "hu:hs");
	CHECK_STR(lookup("quay.io", NULL, NULL), "q:q");
	write_file(".docker/config.json", "{\"credsStore\":\"wntest\",\"auths\":{\"quay.io\":{\"auth\":\"cTpx\"}}}");
	CHECK_STR(lookup("docker.io", NULL, NULL), "token:idt");
	CHECK_STR(lookup("quay.io", NULL, NULL), "none");
	/* a broken or missing helper is a warning: no credentials, no error */
	write_file(".docker/config.json", "{\"credHelpers\":{\"ghcr.io\":\"wnbroken\",\"quay.io\":\"wnmissing\"}}");
	CHECK_STR(lookup("ghcr.io", NULL, NULL), "none");
	CHECK_STR(lookup("quay.io", NULL, NULL), "none");
	/* a helper that fails after printing the credentials on stdout: the warning
	 * gives its exit status and stderr, never its stdout (the secret) */
	write_file(".docker/config.json", "{\"credHelpers\":{\"ghcr.io\":\"wnleak\"}}");
	CHECK_STR(lookup("ghcr.io", NULL, NULL), "none");
	CHECK(strstr(logged, "docker-credential-wnleak get failed (exit status 1), nothing on stderr") != NULL);
	CHECK(strstr(logged, "wnleak-SECRET") == NULL && strstr(logged, "leak-user") == NULL);
	setenv("WNLEAK_STDERR", "error: \033[31mwrapper failed\033[0m", 1);
	CHECK_STR(lookup("ghcr.io", NULL, NULL), "none");
	CHECK(strstr(logged, "(exit status 1): error: ?[31mwrapper failed?[0m") != NULL);
	CHECK(strstr(logged, "wnleak-SECRET") == NULL);
	unsetenv("WNLEAK_STDERR");
	/* an empty answer, {"Username":"","Secret":""} (docker-credential-pass
	 * before 0.7 for a host it does not know), is no credentials, silently;
	 * in config.json the helper decides alone, as in docker */
	write_file(".docker/config.json", "{\"credHelpers\":{\"ghcr.io\":\"wnempty\"},\"auths\":{\"ghcr.io\":{\"auth\":\"bm86bm8=\"}}}");
	snprintf(path, sizeof path, "%s/ghcr.io", store);
	unlink(path);
	CHECK_STR(lookup("ghcr.io", NULL, NULL), "none");
	CHECK(warned[0] == 0);
	if (warned[0])
		printf("# warned: %s", warned);
	/* a user with an empty password is used, as docker uses it */
	write_file("helper-store/ghcr.io", "{\"Username\":\"u\",\"Secret\":\"\"}");
	CHECK_STR(lookup("ghcr.io", NULL, NULL), "u:");
	/* an answer that is not JSON is still warned about */
	write_file("helper-store/ghcr.io", "garbage");
	CHECK_STR(lookup("ghcr.io", NULL, NULL), "none");
	CHECK(strstr(warned, "gave no usable credentials") != NULL);
	/* a malformed config.json is an error, not silence */
	write_file(".docker/config.json", "{\"auths\": ");
	CHECK_STR(lookup("ghcr.io", NULL, NULL), "error 14");

	/* config.json auths keys with a scheme or a path match their host as
	 * docker's ConvertToHostname makes it, after the exact key */
	reset();
	write_file(".docker/config.json",
	           "{\"auths\":{\"https://a.example/foo\":{\"auth\":\"YTph\"},\"b.example/foo\":{\"auth\":\"Yjpi\"},"
	           "\"http://c.example:5000/v2/\":{\"auth\":\"Yzpj\"},\"https://[::1]:5000/\":{\"auth\":\"Njo2\"},"
	           "\"https://[::2]/\":{\"auth\":\"Nzo3\"},\"https://user@d.example:443?x#y\":{\"auth\":\"ZDpk\"},"
	           "\"https://e.example\":{\"auth\":\"d3Jvbmc6d3Jvbmc=\"},\"e.example\":{\"auth\":\"ZTpl\"},"
	           "\"https://F.example/\":{\"auth\":\"Zjpm\"},\"https://g.example:x/\":{\"auth\":\"Zzpn\"},"
	           "\"https://fe80::1:5000/\":{\"auth\":\"ODo4\"}}}");
	CHECK_STR(lookup("a.example", NULL, NULL), "a:a");
	CHECK_STR(lookup("b.example", NULL, NULL), "b:b");
	CHECK_STR(lookup("c.example:5000", NULL, NULL), "c:c");
	CHECK_STR(lookup("c.example", NULL, NULL), "none");
	CHECK_STR(lookup("[::1]:5000", NULL, NULL), "6:6");
	CHECK_STR(lookup("[::2]", NULL, NULL), "none"); /* docker makes that key "::2": no match */
	CHECK_STR(lookup("d.example:443", NULL, NULL), "d:d");
	CHECK_STR(lookup("e.example", NULL, NULL), "e:e");       /* the exact key first */
	CHECK_STR(lookup("F.example", NULL, NULL), "f:f");       /* case kept */
	CHECK_STR(lookup("f.example", NULL, NULL), "none");
	CHECK_STR(lookup("g.example:x", NULL, NULL), "g:g");     /* url.Parse fails: the text up to '/' */
	CHECK_STR(lookup("[fe80::1]:5000", NULL, NULL), "8:8");  /* hostFromURLFallback brackets it */

	/* keys url.Parse refuses or finds odd: no crash, and Go's answers */
	{
		char keys[2048];
		snprintf(keys, sizeof keys, "{\"auths\":{\"://\":{},\"https://\":{},\"https://[\":{},\"https://@\":{},"
		         "\"https://[::1\":{},\"a b://c\":{\"auth\":\"Yzpj\"},\"https://h:\":{\"auth\":\"aDpo\"},"
		         "\"%0600d\":{}}}", 0);
		write_file(".docker/config.json", keys);
		CHECK_STR(lookup("h", NULL, NULL), "h:h");    /* "host:" has an empty port */
		CHECK_STR(lookup("c", NULL, NULL), "c:c");    /* a bad scheme: the fallback's text after :// */
		CHECK_STR(lookup("https:", NULL, NULL), "none");
	}

	/* Docker Hub in config.json: "https://index.docker.io/v1/" only, as docker
	 * (getAuthConfigKey); other spellings are not Hub, and registry-1.docker.io
	 * is a registry of its own */
	write_file(".docker/config.json",
	           "{\"auths\":{\"docker.io\":{\"auth\":\"bm86bm8=\"},\"index.docker.io\":{\"auth\":\"bm86bm8=\"},"
	           "\"https://index.docker.io/v1\":{\"auth\":\"bm86bm8=\"},\"https://index.docker.io\":{\"auth\":\"bm86bm8=\"},"
	           "\"registry-1.docker.io\":{\"auth\":\"cjE6cjE=\"}}}");
	CHECK_STR(lookup("docker.io", NULL, NULL), "none");
	CHECK_STR(lookup("registry-1.docker.io", NULL, NULL), "r1:r1");
	write_file("helper-store/https___index.docker.io_v1_", "{\"Username\":\"helped\",\"Secret\":\"h\"}");
	write_file(".docker/config.json", "{\"auths\":{\"https://index.docker.io/v1/\":{\"auth\":\"aHViOmh1Yg==\"}},"
	                                  "\"credHelpers\":{\"docker.io\":\"wntest\",\"registry-1.docker.io\":\"wntest\"}}");
	CHECK_STR(lookup("docker.io", NULL, NULL), "hub:hub"); /* credHelpers["docker.io"] is not Hub's */
	write_file(".docker/config.json", "{\"auths\":{\"https://index.docker.io/v1/\":{\"auth\":\"aHViOmh1Yg==\"},"
	                                  "\"docker.io\":{\"auth\":\"bm86bm8=\"}}}");
	CHECK_STR(lookup("docker.io", NULL, NULL), "hub:hub");
	CHECK_STR(lookup("registry-1.docker.io", NULL, NULL), "none");

	/* an auth that is not base64 of user:password: a warning naming the key
	 * and the file (never the text), and the entry is skipped */
	write_file(".docker/config.json", "{\"auths\":{\"a.example\":{\"auth\":\"!!notbase64\"},"
	                                  "\"b.example\":{\"auth\":\"bm9jb2xvbg==\"},\"c.example\":{\"auth\":\"OnB3\"},"
	                                  "\"d.example\":{\"auth\":\"dTpw\\r\\nd2Q=\"}}}");
	CHECK_STR(lookup("a.example", NULL, NULL), "none");
	CHECK(strstr(warned, "config.json: the \"auth\" of auths entry \"a.example\" is not valid base64") != NULL);
	CHECK_STR(lookup("b.example", NULL, NULL), "none");
	CHECK(strstr(warned, "\"b.example\" is not base64 of USER:PASSWORD (no ':')") != NULL);
	CHECK(strstr(warned, "nocolon") == NULL);
	CHECK_STR(lookup("c.example", NULL, NULL), "none"); /* docker: no user is "invalid auth configuration file" */
	CHECK(strstr(warned, "\"c.example\" is not base64 of USER:PASSWORD (no user)") != NULL);
	CHECK_STR(lookup("d.example", NULL, NULL), "u:pwd");  /* Go's decoder skips CR and LF */
	snprintf(path, sizeof path, "%s/auth.json", home);
	write_file("auth.json", "{\"auths\":{\"c.example\":{\"auth\":\"OnB3\"},\"b.example\":{\"auth\":\"bm9jb2xvbg==\"}}}");
	CHECK_STR(lookup("c.example", path, NULL), ":pw");   /* containers/image takes an empty user */
	CHECK_STR(lookup("b.example", path, NULL), "none");
	CHECK(strstr(warned, "auth.json: the \"auth\" of auths entry \"b.example\" is not base64 of USER:PASSWORD") != NULL);

	/* auth.json (containers-auth.json(5)): repository-scoped keys, most
	 * specific first; the first key present wins even when empty, and an
	 * empty entry sends the search on to the next file */
	reset();
	write_file("auth.json", "{\"auths\":{\"reg.example/ns/app\":{\"auth\":\"YTph\"},\"reg.example/ns\":{\"auth\":\"Yjpi\"},"
	                        "\"reg.example\":{\"auth\":\"Yzpj\"},\"reg.example/other/x\":{},"
	                        "\"https://quay.example/v1/\":{\"auth\":\"cTpx\"},\"plain.example/v2/\":{\"auth\":\"cDpw\"}}}");
	write_file(".docker/config.json", "{\"auths\":{\"reg.example\":{\"auth\":\"ZDpk\"}}}");
	snprintf(path, sizeof path, "%s/auth.json", home);
	{
		struct wn_ctx *sc = ctx_with(path, NULL);
		CHECK_STR(for_scope(sc, "reg.example", "repository:ns/app:pull"), "a:a");
		CHECK_STR(for_scope(sc, "reg.example", "repository:ns/app2:pull,push"), "b:b");
		CHECK_STR(for_scope(sc, "reg.example", "repository:ns/app/sub:pull"), "a:a");
		CHECK_STR(for_scope(sc, "reg.example", "repository:ns:pull"), "b:b");
		CHECK_STR(for_scope(sc, "reg.example", "repository:nsx/app:pull"), "c:c");
		CHECK_STR(for_scope(sc, "reg.example", "repository:ns/app:pull repository:lib/x:pull"), "a:a");
		CHECK_STR(for_scope(sc, "reg.example", "registry:catalog:*"), "c:c");
		CHECK_STR(for_scope(sc, "reg.example", NULL), "c:c");
		CHECK_STR(for_scope(sc, "reg.example", "repository:other/x:pull"), "d:d"); /* {} first: next file */
		CHECK_STR(for_scope(sc, "reg.example", "repository:ns/app:pull"), "a:a"); /* cached */
		/* only scheme-prefixed keys lose their path there: plain.example/v2/ is a repository */
		CHECK_STR(for_scope(sc, "quay.example", "repository:a/b:pull"), "q:q");
		CHECK_STR(for_scope(sc, "plain.example", "repository:a/b:pull"), "none");
		wn_ctx_free(sc);
	}
	CHECK_STR(lookup("reg.example", path, NULL), "c:c");
	/* in docker's config.json the same key names the host (ConvertToHostname) */
	write_file(".docker/config.json", "{\"auths\":{\"reg2.example/ns/app\":{\"auth\":\"YTph\"}}}");
	CHECK_STR(lookup("reg2.example", NULL, NULL), "a:a");
	/* Docker Hub in auth.json: every spelling, most specific first, and helpers
	 * asked with "docker.io" (podman writes and reads that) */
	write_file("auth.json", "{\"auths\":{\"https://index.docker.io/v1/\":{\"auth\":\"aHViOmh1Yg==\"},"
	                        "\"docker.io/library/x\":{\"auth\":\"eDp4\"}}}");
	{
		struct wn_ctx *sc = ctx_with(path, NULL);
		CHECK_STR(for_scope(sc, "docker.io", "repository:library/x:pull"), "x:x");
		CHECK_STR(for_scope(sc, "docker.io", "repository:library/y:pull"), "hub:hub");
		CHECK_STR(for_scope(sc, "registry-1.docker.io", "repository:library/y:pull"), "hub:hub");
		wn_ctx_free(sc);
	}
	write_file("auth.json", "{\"credHelpers\":{\"docker.io\":\"wntest\"}}");
	write_file("helper-store/docker.io", "{\"Username\":\"podhub\",\"Secret\":\"ph\"}");
	CHECK_STR(lookup("docker.io", path, NULL), "podhub:ph");
	/* an empty helper answer there lets the next file decide, as containers/image does */
	write_file("auth.json", "{\"credHelpers\":{\"reg.example\":\"wnempty\"}}");
	write_file(".docker/config.json", "{\"auths\":{\"reg.example\":{\"auth\":\"ZDpk\"}}}");
	CHECK_STR(lookup("reg.example", path, NULL), "d:d");
	CHECK(warned[0] == 0);
	/* a registry without scoped keys is looked up once, whatever the repository */
	write_file("auth.json", "{\"credHelpers\":{\"ghcr.io\":\"wntest\"}}");
	write_file("helper-store/ghcr.io", "{\"Username\":\"hu\",\"Secret\":\"hs\"}");
	{
		char calls[PATH_MAX * 2];
		snprintf(calls, sizeof calls, "%s/calls.log", store);
		unlink(calls);
		struct wn_ctx *sc = ctx_with(path, NULL);
		CHECK_STR(for_scope(sc, "ghcr.io", "repository:a/b:pull"), "hu:hs");
		CHECK_STR(for_scope(sc, "ghcr.io", "repository:c/d:pull"), "hu:hs");
		CHECK_STR(for_scope(sc, "ghcr.io", NULL), "hu:hs");
		CHECK(count_lines(calls, "get") == 1);
		wn_ctx_free(sc);
	}

	/* podman's files: ${XDG_CONFIG_HOME:-~/.config}/containers/auth.json */
	reset();
	write_file("xdgcfg/containers/auth.json", "{\"auths\":{\"quay.io\":{\"auth\":\"eGNmZzp4Y2Zn\"}}}");
	write_file(".config/containers/auth.json", "{\"auths\":{\"quay.io\":{\"auth\":\"aG9tZTpob21l\"}}}");
	CHECK_STR(lookup("quay.io", NULL, NULL), "home:home");
	snprintf(path, sizeof path, "%s/xdgcfg", home);
	setenv("XDG_CONFIG_HOME", path, 1);
	CHECK_STR(lookup("quay.io", NULL, NULL), "xcfg:xcfg");
	unsetenv("XDG_CONFIG_HOME");
	/* and /run/containers/UID/auth.json when XDG_RUNTIME_DIR is unset or empty
	 * (podman writes it there): checked in a private mount namespace with a
	 * tmpfs on /run, so the machine's /run is never touched */
	{
		pid_t kid = fork();
		if (!kid) {
			int bad = 0;
			if (unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
			    mount("tmpfs", "/run", "tmpfs", 0, "mode=0755"))
				_exit(77);
			char run[64];
			snprintf(run, sizeof run, "/run/containers/%ld", (long)getuid());
			if (mkdir("/run/containers", 0755) || mkdir(run, 0700))
				_exit(78);
			strcat(run, "/auth.json");
			FILE *f = fopen(run, "w");
			if (!f)
				_exit(79);
			fputs("{\"auths\":{\"quay.io\":{\"auth\":\"cnVuOnJ1bg==\"}}}", f);
			fclose(f);
			unsetenv("XDG_RUNTIME_DIR");
			bad |= strcmp(lookup("quay.io", NULL, NULL), "run:run") != 0;
			setenv("XDG_RUNTIME_DIR", "", 1);
			bad |= (strcmp(lookup("quay.io", NULL, NULL), "run:run") != 0) << 1;
			snprintf(path, sizeof path, "%s/run", home);
			setenv("XDG_RUNTIME_DIR", path, 1); /* set: its directory instead, not /run */
			bad |= (strcmp(lookup("quay.io", NULL, NULL), "home:home") != 0) << 2;
			_exit(bad);
		}
		int stt = -1;
		waitpid(kid, &stt, 0);
		if (WIFEXITED(stt) && WEXITSTATUS(stt) == 77)
			printf("# /run/containers/UID: no mount namespace here (not root?), not checked\n");
		else
			CHECK(WIFEXITED(stt) && WEXITSTATUS(stt) == 0);
		if (!WIFEXITED(stt) || WEXITSTATUS(stt))
			printf("# /run/containers/UID checks: exit %d\n", WIFEXITED(stt) ? WEXITSTATUS(stt) : -1);
	}

	/* logout through a helper: only what the helper held is "removed" */
	reset();
	{
		struct wn_ctx *lc = ctx_with(NULL, NULL);
		char calls[PATH_MAX * 2];
		snprintf(calls, sizeof calls, "%s/calls.log", store);
		/* an empty answer to get: not logged in, and erase is not even asked */
		write_file(".docker/config.json", "{\"credHelpers\":{\"ghcr.io\":\"wnempty\"},\"auths\":{\"ghcr.io\":{}}}");
		CHECK(wn_creds_erase(lc, "ghcr.io", NULL) == WN_ENOTFOUND);
		CHECK(count_lines(calls, "erase") == 0);
		/* the helper's own marker {} went, but it held nothing: still not logged in */
		CHECK(strstr(read_file(cfgpath), "auths\": {}") || strstr(read_file(cfgpath), "\"auths\":\t{\n\t}"));
		/* secretservice and wincred erase a missing entry with exit 0 */
		setenv("WNEMPTY_ERASE", "quiet", 1);
		CHECK(wn_creds_erase(lc, "ghcr.io", NULL) == WN_ENOTFOUND);
		unsetenv("WNEMPTY_ERASE");
		/* pass's "is not in the password store" on erase is "not found", not a failure */
		write_file("helper-store/ghcr.io", "{\"Username\":\"u\",\"Secret\":\"s\"}");
		setenv("WNEMPTY_LOST", "1", 1);
		CHECK(wn_creds_erase(lc, "ghcr.io", NULL) == WN_ENOTFOUND);
		unsetenv("WNEMPTY_LOST");
		/* and when the helper holds it, it is removed and says where */
		char *where = NULL;
		CHECK(wn_creds_erase(lc, "ghcr.io", &where) == WN_OK);
		CHECK_STR(where, "credential helper docker-credential-wnempty");
		free(where);
		snprintf(path, sizeof path, "%s/ghcr.io", store);
		CHECK(access(path, F_OK) != 0);
		/* a login to an auth.json goes under the key podman writes */
		snprintf(path, sizeof path, "%s/podman-auth.json", home);
		write_file("podman-auth.json", "{\"auths\":{\"https://index.docker.io/v1/\":{\"auth\":\"b2xkOm9sZA==\"},"
		                               "\"docker.io/library/x\":{\"auth\":\"eDp4\"}}}");
		struct wn_ctx *pc = ctx_with(path, NULL);
		CHECK(wn_creds_store(pc, "docker.io", "new", "pw", NULL) == WN_OK);
		char *text = read_file(path);
		CHECK(text && strstr(text, "\"docker.io\"") && !strstr(text, "index.docker.io") && strstr(text, "docker.io/library/x"));
		CHECK(wn_creds_erase(pc, "docker.io", NULL) == WN_OK);
		text = read_file(path);
		CHECK(text && !strstr(text, "\"docker.io\"") && strstr(text, "docker.io/library/x"));
		wn_ctx_free(pc);
		wn_ctx_free(lc);
	}

	/* store: atomic, 0600, other keys kept */
	reset();
	write_file(".docker/config.json", "{\"HttpHeaders\":{\"X-Y\":\"z\"},\"auths\":{\"quay.io\":{\"auth\":\"cTpx\"}},"
	                                  "\"experimental\":\"enabled\"}");
	struct wn_ctx *ctx = ctx_with(NULL, NULL);
	char *where = NULL;
	CHECK(wn_creds_store(ctx, "ghcr.io", "me", "pw", &where) == WN_OK);
	CHECK_STR(where, cfgpath);
	free(where);
	struct stat st;
	CHECK(stat(cfgpath, &st) == 0 && (st.st_mode & 0777) == 0600);
	char *text = read_file(cfgpath);
	CHECK(text && strstr(text, "\"X-Y\"") && strstr(text, "experimental") && strstr(text, "cTpx"));
	CHECK(text && strstr(text, "bWU6cHc="));
	CHECK_STR(lookup("ghcr.io", NULL, NULL), "me:pw");
	CHECK(wn_creds_store(ctx, "docker.io", "hub", "h", NULL) == WN_OK);
	text = read_file(cfgpath);
	CHECK(text && strstr(text, "https://index.docker.io/v1/"));
	CHECK(wn_creds_erase(ctx, "ghcr.io", NULL) == WN_OK);
	CHECK_STR(lookup("ghcr.io", NULL, NULL), "none");
	CHECK(wn_creds_erase(ctx, "ghcr.io", NULL) == WN_ENOTFOUND);
	text = read_file(cfgpath);
	CHECK(text && strstr(text, "cTpx") && strstr(text, "experimental"));
	/* a malformed file is never overwritten */
	write_file(".docker/config.json", "{broken");
	CHECK(wn_creds_store(ctx, "ghcr.io", "me", "pw", NULL) == WN_ECONFIG);
	CHECK_STR(read_file(cfgpath), "{broken");
	CHECK(strstr(wn_ctx_errmsg(ctx), "config.json") != NULL);
	/* no temp files left beside it */
	snprintf(path, sizeof path, "ls -a '%s/.docker' | grep -c winch- > /dev/null", home);
	CHECK(system(path) != 0);
	/* a symlinked config.json stays a symlink */
	write_file("real.json", "{}");
	snprintf(path, sizeof path, "ln -sf '%s/real.json' '%s'", home, cfgpath);
	if (system(path)) {}
	CHECK(wn_creds_store(ctx, "ghcr.io", "me", "pw", NULL) == WN_OK);
	CHECK(lstat(cfgpath, &st) == 0 && S_ISLNK(st.st_mode));
	snprintf(path, sizeof path, "%s/real.json", home);
	CHECK(strstr(read_file(path), "bWU6cHc=") != NULL);

	/* store through a helper: the secret goes to the helper, config.json gets an empty entry */
	reset();
	write_file(".docker/config.json", "{\"credHelpers\":{\"ghcr.io\":\"wntest\"}}");
	CHECK(wn_creds_store(ctx, "ghcr.io", "me", "pw", &where) == WN_OK);
	CHECK_STR(where, "credential helper docker-credential-wntest");
	free(where);
	CHECK(strstr(read_file(cfgpath), "pw") == NULL);
	snprintf(path, sizeof path, "%s/ghcr.io", store);
	CHECK(strstr(read_file(path), "\"Secret\":\"pw\"") != NULL);
	CHECK_STR(lookup("ghcr.io", NULL, NULL), "me:pw");
	CHECK(wn_creds_erase(ctx, "ghcr.io", NULL) == WN_OK);
	CHECK(access(path, F_OK) != 0);
	/* a helper failing to store leaves config.json as it was */
	write_file(".docker/config.json", "{\"credHelpers\":{\"ghcr.io\":\"wnbroken\"}}");
	CHECK(wn_creds_store(ctx, "ghcr.io", "me", "pw", NULL) == WN_ECONFIG);
	CHECK(strstr(wn_ctx_errmsg(ctx), "keychain is locked") != NULL);
	CHECK_STR(read_file(cfgpath), "{\"credHelpers\":{\"ghcr.io\":\"wnbroken\"}}");

	/* --authfile receives the login */
	reset();
	snprintf(path, sizeof path, "%s/my-auth.json", home);
	struct wn_ctx *actx = ctx_with(path, NULL);
	CHECK(wn_creds_store(actx, "ghcr.io", "a", "b", NULL) == WN_OK);
	CHECK(access(cfgpath, F_OK) != 0);
	CHECK_STR(lookup("ghcr.io", path, NULL), "a:b");
	wn_ctx_free(actx);

	/* concurrent logins to one config.json: every one of them is kept (each
	 * process locks the file, reads it again, merges, writes) */
	reset();
	{
		enum { N = 12 };
		int go[2];
		pid_t kids[N];
		if (pipe(go))
			return 1;
		for (int i = 0; i < N; i++) {
			if ((kids[i] = fork()) == 0) {
				char c, reg[64];
				close(go[1]);
				if (read(go[0], &c, 1) < 0) {} /* all start together when the pipe closes */
				snprintf(reg, sizeof reg, "reg%d.example", i);
				struct wn_ctx *k = ctx_with(NULL, NULL);
				int krc = wn_creds_store(k, reg, "u", "p", NULL);
				wn_ctx_free(k);
				_exit(krc);
			}
		}
		close(go[0]);
		close(go[1]);
		int ok = 0;
		for (int i = 0; i < N; i++) {
			int stt;
			waitpid(kids[i], &stt, 0);
			ok += WIFEXITED(stt) && WEXITSTATUS(stt) == 0;
		}
		CHECK(ok == N);
		int kept = 0;
		for (int i = 0; i < N; i++) {
			char reg[64];
			snprintf(reg, sizeof reg, "reg%d.example", i);
			kept += !strcmp(lookup(reg, NULL, NULL), "u:p");
		}
		printf("# %d concurrent stores, %d entries kept\n", N, kept);
		CHECK(kept == N);
		/* and concurrent logouts: every one removes its own entry and no other */
		for (int i = 0; i < N; i++) {
			if ((kids[i] = fork()) == 0) {
				char reg[64];
				snprintf(reg, sizeof reg, "reg%d.example", i);
				struct wn_ctx *k = ctx_with(NULL, NULL);
				int krc = i % 2 ? wn_creds_erase(k, reg, NULL) : WN_OK;
				wn_ctx_free(k);
				_exit(krc);
			}
		}
		ok = 0;
		for (int i = 0; i < N; i++) {
			int stt;
			waitpid(kids[i], &stt, 0);
			ok += WIFEXITED(stt) && WEXITSTATUS(stt) == 0;
		}
		CHECK(ok == N);
		kept = 0;
		for (int i = 0; i < N; i++) {
			char reg[64];
			snprintf(reg, sizeof reg, "reg%d.example", i);
			kept += !strcmp(lookup(reg, NULL, NULL), i % 2 ? "none" : "u:p");
		}
		CHECK(kept == N);
	}

	/* temp files: named FILE.winch-tmp-PID-*, created 0600, and those of dead
	 * processes (and of winch versions without the pid, a minute old) go at the
	 * next write; a live process's stay */
	reset();
	{
		pid_t dead = fork();
		if (!dead)
			_exit(0);
		waitpid(dead, NULL, 0);
		char stale[PATH_MAX * 3], live[PATH_MAX * 3], oldstyle[PATH_MAX * 3], fresh[PATH_MAX * 3];
		write_file(".docker/config.json", "{}");
		snprintf(stale, sizeof stale, "%s.winch-tmp-%d-a1b2c3", cfgpath, (int)dead);
		snprintf(live, sizeof live, "%s.winch-tmp-%d-a1b2c3", cfgpath, (int)getppid());
		snprintf(oldstyle, sizeof oldstyle, "%s.winch-Xy12Zq", cfgpath);
		snprintf(fresh, sizeof fresh, "%s.winch-Ab34Cd", cfgpath);
		const char *const all[] = { stale, live, oldstyle, fresh };
		for (int i = 0; i < 4; i++) {
			FILE *f = fopen(all[i], "w");
			if (f) {
				fputs("{\"auths\":{\"x\":{\"auth\":\"c2VjcmV0\"}}}", f);
				fclose(f);
			}
		}
		struct timespec old[2] = { { time(NULL) - 600, 0 }, { time(NULL) - 600, 0 } };
		utimensat(AT_FDCWD, oldstyle, old, 0);
		char dir[PATH_MAX * 2];
		snprintf(dir, sizeof dir, "%s/.docker", home);
		int in = inotify_init1(IN_NONBLOCK);
		CHECK(in >= 0 && inotify_add_watch(in, dir, IN_CREATE) >= 0);
		mode_t um = umask(0);
		CHECK(wn_creds_store(ctx, "ghcr.io", "me", "pw", NULL) == WN_OK);
		umask(um);
		CHECK(stat(cfgpath, &st) == 0 && (st.st_mode & 0777) == 0600);
		CHECK(access(stale, F_OK) != 0);
		CHECK(access(oldstyle, F_OK) != 0);
		CHECK(access(live, F_OK) == 0);
		CHECK(access(fresh, F_OK) == 0);
		/* the temp file this write used carried this process's pid */
		char ev[8192], want[64];
		snprintf(want, sizeof want, "config.json.winch-tmp-%d-", (int)getpid());
		ssize_t got = read(in, ev, sizeof ev);
		bool saw = false;
		for (ssize_t off = 0; got > 0 && off < got;) {
			struct inotify_event *e = (struct inotify_event *)(ev + off);
			if (e->len && !strncmp(e->name, want, strlen(want)))
				saw = true;
			off += (ssize_t)(sizeof *e + e->len);
		}
		CHECK(saw);
		close(in);
		unlink(live);
		unlink(fresh);
	}

	/* a dangling symlink: its target is created, the link stays */
	reset();
	{
		char linkdir[PATH_MAX * 5];
		snprintf(linkdir, sizeof linkdir, "mkdir -p '%s/.docker' && ln -s ../dotfiles/docker/config.json '%s'", home,
		         cfgpath);
		if (system(linkdir)) {}
		CHECK(wn_creds_store(ctx, "ghcr.io", "me", "pw", NULL) == WN_OK);
		CHECK(lstat(cfgpath, &st) == 0 && S_ISLNK(st.st_mode));
		snprintf(path, sizeof path, "%s/.docker/../dotfiles/docker/config.json", home);
		CHECK(read_file(path) && strstr(read_file(path), "bWU6cHc=") != NULL);
		CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
		CHECK_STR(lookup("ghcr.io", NULL, NULL), "me:pw");
		CHECK(wn_creds_erase(ctx, "ghcr.io", NULL) == WN_OK);
		CHECK(lstat(cfgpath, &st) == 0 && S_ISLNK(st.st_mode));
		CHECK_STR(lookup("ghcr.io", NULL, NULL), "none");
	}

	/* known keys of the wrong type: refused by name, the file left as it was */
	{
		static const char *const bad[][2] = {
			{ "{\"auths\":5,\"x\":1}", "\"auths\" is a number, not an object" },
			{ "{\"auths\":[]}", "\"auths\" is an array, not an object" },
			{ "{\"auths\":{\"quay.io\":\"cTpx\"}}", "\"auths\" entry \"quay.io\" is a string, not an object" },
			{ "{\"credHelpers\":\"wntest\"}", "\"credHelpers\" is a string, not an object" },
			{ "{\"credHelpers\":{\"ghcr.io\":true}}", "\"credHelpers\" entry \"ghcr.io\" is a boolean, not a string" },
			{ "{\"credsStore\":{\"a\":1}}", "\"credsStore\" is an object, not a string" },
		};
		for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
			reset();
			write_file(".docker/config.json", bad[i][0]);
			CHECK(wn_creds_store(ctx, "ghcr.io", "me", "pw", NULL) == WN_ECONFIG);
			CHECK(strstr(wn_ctx_errmsg(ctx), bad[i][1]) != NULL);
			CHECK(strstr(wn_ctx_errmsg(ctx), cfgpath) != NULL);
			CHECK_STR(read_file(cfgpath), bad[i][0]);
			CHECK(wn_creds_erase(ctx, "quay.io", NULL) == WN_ECONFIG);
			CHECK_STR(read_file(cfgpath), bad[i][0]);
		}
		/* null is no value at all, as docker reads it */
		write_file(".docker/config.json", "{\"auths\":null,\"credsStore\":null}");
		CHECK(wn_creds_store(ctx, "ghcr.io", "me", "pw", NULL) == WN_OK);
		CHECK_STR(lookup("ghcr.io", NULL, NULL), "me:pw");
	}

	/* a directory this user cannot write (a config.json mounted from a
	 * secret): logout with nothing to erase answers "not there", a login fails
	 * naming the directory.  Run as "nobody" when the tests run as root. */
	reset();
	write_file(".docker/config.json", "{\"auths\":{\"quay.io\":{\"auth\":\"cTpx\"}}}");
	snprintf(path, sizeof path, "%s/.docker", home);
	chmod(path, 0555);
	chmod(home, 0711);
	snprintf(cfgpath, sizeof cfgpath, "%s/.docker/config.json", home);
	chmod(cfgpath, 0644);
	{
		pid_t kid = fork();
		if (!kid) {
			if (geteuid() == 0 && (setgid(65534) || setuid(65534)))
				_exit(10);
			struct wn_ctx *k = ctx_with(NULL, NULL);
			int bad = 0;
			bad |= (wn_creds_erase(k, "ghcr.io", NULL) != WN_ENOTFOUND) << 1;
			bad |= (wn_creds_store(k, "ghcr.io", "me", "pw", NULL) != WN_EIO) << 2;
			bad |= (strstr(wn_ctx_errmsg(k), path) == NULL) << 3;
			wn_ctx_free(k);
			_exit(bad);
		}
		int stt = -1;
		waitpid(kid, &stt, 0);
		CHECK(WIFEXITED(stt) && WEXITSTATUS(stt) == 0);
		if (!WIFEXITED(stt) || WEXITSTATUS(stt))
			printf("# read-only directory checks: exit %d\n", WIFEXITED(stt) ? WEXITSTATUS(stt) : -1);
	}
	chmod(path, 0700);
	chmod(home, 0700);

	/* logout with no config file at all makes nothing */
	reset();
	CHECK(wn_creds_erase(ctx, "ghcr.io", NULL) == WN_ENOTFOUND);
	snprintf(path, sizeof path, "%s/.docker", home);
	CHECK(access(path, F_OK) != 0);

	wn_ctx_free(ctx);
	snprintf(path, sizeof path, "rm -rf '%s'", home);
	if (system(path)) {}
	return TEST_DONE();
}

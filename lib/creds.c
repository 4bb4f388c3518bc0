/*
 * creds.c: where a registry's credentials come from, and where login puts them.
 *
 * Lookup order (first source that has an entry for the registry wins):
 *   1. --creds USER:PASS
 *   2. --authfile FILE, else $REGISTRY_AUTH_FILE (auth.json rules, below)
 *   3. $DOCKER_AUTH_CONFIG, parsed strictly as docker does
 *   4. $DOCKER_CONFIG/config.json or ~/.docker/config.json, with the docker
 *      CLI's rules: credHelpers[key], else credsStore, else auths
 *   5. podman's ${XDG_RUNTIME_DIR}/containers/auth.json (without
 *      XDG_RUNTIME_DIR: /run/containers/UID/auth.json), then
 *      ${XDG_CONFIG_HOME:-~/.config}/containers/auth.json (auth.json rules)
 * The order of these sources is winch's own (docker reads only 3 and 4,
 * podman 2 or 5 then 4); within a file, the rules are its tool's (see
 * "which key names a registry" below).  A helper that is missing or fails is
 * warned about and treated as "no credentials", so public pulls keep working.
 *
 * Writes go to the file of 2 or 4, through its helper when it names one,
 * atomically (temp file, fsync, rename) with mode 0600, keeping every other
 * key of the file as it was.  Writers take an flock on FILE.lock and read the
 * file again under it, so concurrent logins and logouts each keep their
 * entry.  A symlinked FILE stays a symlink (a dangling one gets its target
 * created).  Temp files are FILE.winch-tmp-PID-RANDOM beside the target,
 * created 0600; those of dead processes go at the next write.  A file whose
 * auths, credHelpers or credsStore have the wrong JSON type is not rewritten.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "internal.h"

#define CONFIG_MAX (4u << 20)
#define TMP_INFIX ".winch-tmp-"   /* FILE.winch-tmp-PID-RANDOM, as layouts name theirs */
#define LOCK_WAIT_MS 30000L       /* on top of the helper timeout: a writer may be running a helper */

void wn_creds_free(struct wn_creds *c)
{
	if (!c)
		return;
	free(c->username);
	wn__free_secret(c->password);
	wn__free_secret(c->identity_token);
	free(c->source);
	free(c);
}

static char *home_path(const char *rel)
{
	const char *home = getenv("HOME");
	return home && *home ? wn__sprintf("%s/%s", home, rel) : NULL;
}

/* The docker CLI's config.json path. Caller frees. */
static char *docker_config_path(void)
{
	const char *dir = getenv("DOCKER_CONFIG");
	if (dir && *dir)
		return wn__sprintf("%s/config.json", dir);
	return home_path(".docker/config.json");
}

/* The explicit auth file (--authfile, then $REGISTRY_AUTH_FILE), or NULL. */
static const char *explicit_authfile(struct wn_ctx *ctx)
{
	if (ctx->authfile)
		return ctx->authfile;
	const char *env = getenv("REGISTRY_AUTH_FILE");
	return env && *env ? env : NULL;
}

/* Reads a JSON config file.  *out is NULL if the file does not exist. */
static int read_config(struct wn_ctx *ctx, const char *path, cJSON **out)
{
	struct wn__buf b = { .max = CONFIG_MAX };
	char chunk[8192];
	size_t n;
	*out = NULL;
	FILE *f = fopen(path, "rb");
	if (!f) {
		if (errno == ENOENT || errno == ENOTDIR)
			return WN_OK;
		return wn__ctx_fail(ctx, WN_ECONFIG, "cannot read %s: %s", path, strerror(errno));
	}
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		wn__buf_append(&b, chunk, n);
	int read_errno = ferror(f) ? errno : 0; /* a directory opens, then reads EISDIR */
	fclose(f);
	explicit_bzero(chunk, sizeof chunk);
	if (read_errno) {
		if (b.data)
			explicit_bzero(b.data, b.len);
		wn__buf_free(&b);
		return wn__ctx_fail(ctx, WN_ECONFIG, "cannot read %s: %s", path, strerror(read_errno));
	}
	if (b.overflow) {
		wn__buf_free(&b);
		return wn__ctx_fail(ctx, WN_ECONFIG, "%s is larger than 4 MiB", path);
	}
	if (!b.len) { /* an empty file is an empty config, as docker treats it */
		wn__buf_free(&b);
		*out = cJSON_CreateObject();
		return *out ? WN_OK : WN_ENOMEM;
	}
	*out = wn__json_parse(b.data, b.len);
	memset(b.data, 0, b.len);
	wn__buf_free(&b);
	if (!cJSON_IsObject(*out)) {
		cJSON_Delete(*out);
		*out = NULL;
		return wn__ctx_fail(ctx, WN_ECONFIG, "%s is not a valid JSON object", path);
	}
	return WN_OK;
}

/* ---- reading: which key names a registry ---------------------------------
 *
 * Two sets of rules, one per kind of file, because they disagree and each
 * tool reads its own files by its own rules:
 *
 * docker's config.json and $DOCKER_AUTH_CONFIG (docker/cli cli/config:
 * configfile/file.go getAuthConfigKey, credentials/file_store.go): the key is
 * the registry's host, or "https://index.docker.io/v1/" for Docker Hub and
 * nothing else; credHelpers is looked up by that exact key; auths by the exact
 * key, then by every key whose ConvertToHostname (scheme and path stripped) is
 * it.  Helpers are asked with that key.
 *
 * auth.json (containers-auth.json(5); containers/image pkg/docker/config
 * findCredentialsInFile): credHelpers[host] exactly, the helper asked with the
 * host ("docker.io" for Docker Hub); then the exact keys host/ns/repo,
 * host/ns, host, most specific first (the first present wins, even empty);
 * then every key that, with an http(s):// scheme and its path removed, is the
 * host, Docker Hub's spellings (docker.io, index.docker.io,
 * registry-1.docker.io) counting as one.  There "example.com/foo" names a
 * repository, while for docker it names the host example.com. */

/* Go's net.JoinHostPort: brackets around a host that has a colon. */
static void join_host_port(char *out, size_t n, const char *host, size_t hl, const char *port, size_t pl)
{
	if (!pl)
		snprintf(out, n, "%.*s", (int)hl, host);
	else if (memchr(host, ':', hl))
		snprintf(out, n, "[%.*s]:%.*s", (int)hl, host, (int)pl, port);
	else
		snprintf(out, n, "%.*s:%.*s", (int)hl, host, (int)pl, port);
}

static bool all_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/* What Go's url.Parse makes of "SCHEME://" + rest: false where it fails or
 * finds no host name; else out is Hostname(), or JoinHostPort(Hostname(),
 * Port()) when there is a port. */
static bool url_hostname(const char *k, const char *rest, char *out, size_t n)
{
	/* a scheme is [A-Za-z][A-Za-z0-9+.-]* */
	if (rest - 3 == k || !((*k >= 'a' && *k <= 'z') || (*k >= 'A' && *k <= 'Z')))
		return false;
	for (const char *p = k; p < rest - 3; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || strchr("+.-", *p)))
			return false;
	size_t an = strcspn(rest, "/?#");
	const char *host = rest, *end = rest + an;
	for (const char *p = rest; p < end; p++) /* user info ends at the last '@' */
		if (*p == '@')
			host = p + 1;
	const char *hn, *port = NULL;
	size_t hl, pl = 0;
	if (*host == '[') {
		const char *close = NULL;
		for (const char *p = host; p < end; p++)
			if (*p == ']')
				close = p;
		if (!close)
			return false;
		hn = host + 1;
		hl = (size_t)(close - hn);
		if (close + 1 < end) {
			if (close[1] != ':' || !all_digits(close + 2, (size_t)(end - close - 2)))
				return false;
			port = close + 2;
			pl = (size_t)(end - port);
		}
	} else {
		const char *colon = NULL;
		for (const char *p = host; p < end; p++)
			if (*p == ':')
				colon = p;
		hn = host;
		hl = colon ? (size_t)(colon - host) : (size_t)(end - host);
		if (colon) {
			if (!all_digits(colon + 1, (size_t)(end - colon - 1)))
				return false;
			port = colon + 1;
			pl = (size_t)(end - port);
		}
	}
	if (!hl)
		return false;
	join_host_port(out, n, hn, hl, port, pl);
	return true;
}

/* docker's credentials.ConvertToHostname (file_store.go), with its
 * hostFromURLFallback for what url.Parse refuses. */
static void convert_to_hostname(const char *k, char *out, size_t n)
{
	const char *sep = strstr(k, "://");
	if (sep) {
		const char *rest = sep + 3;
		if (url_hostname(k, rest, out, n))
			return;
		size_t hl = strcspn(rest, "/");
		if (hl) {
			const char *last = NULL;
			int colons = 0;
			for (const char *p = rest; p < rest + hl; p++)
				if (*p == ':') {
					colons++;
					last = p;
				}
			if (colons > 1 && *rest != '[' && last > rest && last + 1 < rest + hl &&
			    all_digits(last + 1, (size_t)(rest + hl - last - 1))) {
				join_host_port(out, n, rest, (size_t)(last - rest), last + 1, (size_t)(rest + hl - last - 1));
				return;
			}
			snprintf(out, n, "%.*s", (int)hl, rest);
			return;
		}
	}
	snprintf(out, n, "%.*s", (int)strcspn(k, "/"), k);
}

/* containers/image's normalizeRegistry: Docker Hub's host names as one. */
static const char *containers_registry(const char *registry)
{
	return !strcmp(registry, "docker.io") || !strcmp(registry, "registry-1.docker.io") ? "index.docker.io" : registry;
}

/* containers/image's normalizeAuthFileKey: a key with an http(s):// scheme
 * loses it and its path; then normalizeRegistry. */
static bool containers_key_is(const char *k, const char *registry)
{
	const char *s = k;
	if (!strncmp(s, "http://", 7))
		s += 7;
	if (!strncmp(s, "https://", 8))
		s += 8;
	size_t n = s != k ? strcspn(s, "/") : strlen(s);
	char host[512];
	if (n >= sizeof host)
		return false;
	memcpy(host, s, n);
	host[n] = 0;
	return !strcmp(containers_registry(host), containers_registry(registry));
}

/* docker: the entry of `map` for `key`, exactly, then (with convert, for
 * auths) by ConvertToHostname, in file order (docker's order is a Go map's:
 * random, so any order matches it). */
static cJSON *docker_find(cJSON *map, const char *key, bool convert)
{
	cJSON *e;
	if (!cJSON_IsObject(map))
		return NULL;
	cJSON_ArrayForEach(e, map)
		if (e->string && !strcmp(e->string, key))
			return e;
	if (convert)
		cJSON_ArrayForEach(e, map) {
			char host[512];
			if (!e->string)
				continue;
			convert_to_hostname(e->string, host, sizeof host);
			if (!strcmp(host, key))
				return e;
		}
	return NULL;
}

/* containers: the auths entry for registry[/repository], most specific key
 * first, then the normalised host keys.  *scoped is set when the map has any
 * key below the registry (host/...): then the answer depends on the
 * repository. */
static cJSON *containers_find(cJSON *map, const char *registry, const char *repository, bool *scoped)
{
	cJSON *e;
	size_t rl = strlen(registry);
	if (!cJSON_IsObject(map))
		return NULL;
	cJSON_ArrayForEach(e, map)
		if (e->string && !strncmp(e->string, registry, rl) && e->string[rl] == '/')
			*scoped = true;
	char *key = repository && *repository ? wn__sprintf("%s/%s", registry, repository) : strdup(registry);
	if (!key)
		return NULL;
	for (;;) {
		cJSON_ArrayForEach(e, map)
			if (e->string && !strcmp(e->string, key)) {
				free(key);
				return e;
			}
		char *slash = strrchr(key, '/');
		if (!slash)
			break;
		*slash = 0;
	}
	free(key);
	cJSON_ArrayForEach(e, map)
		if (e->string && containers_key_is(e->string, registry))
			return e;
	return NULL;
}

/* Base64 as Go's StdEncoding reads it: CR and LF anywhere are skipped. */
static char *b64_decode_go(const char *s, size_t *len)
{
	char *clean = malloc(strlen(s) + 1), *o = clean;
	if (!clean)
		return NULL;
	for (const char *p = s; *p; p++)
		if (*p != '\r' && *p != '\n')
			*o++ = *p;
	*o = 0;
	char *dec = (char *)wn__b64_decode(clean, len);
	wn__free_secret(clean);
	return dec;
}

/* docker's decodeAuth: "user:password" with a user (containers/image also
 * takes an empty one), NULs trimmed off both ends of the password.  Returns
 * the password inside *user's buffer; NULL and *why when it is none of that
 * (*why NULL: the value is empty, a helper user's marker, nothing to say). */
static const char *split_auth(const char *auth, bool empty_user_ok, char **user, const char **why)
{
	size_t len = 0;
	char *dec = b64_decode_go(auth, &len), *colon = dec ? memchr(dec, ':', len) : NULL;
	*user = NULL;
	*why = NULL;
	if (!dec) {
		*why = "is not valid base64";
		return NULL;
	}
	if (!colon || (colon == dec && !empty_user_ok)) {
		if (len)
			*why = !colon ? "is not base64 of USER:PASSWORD (no ':')" : "is not base64 of USER:PASSWORD (no user)";
		wn__free_secret(dec);
		return NULL;
	}
	*colon = 0;
	char *pass = colon + 1, *end = dec + len;
	while (pass < end && !*pass)
		pass++;
	*user = dec;
	return pass; /* trailing NULs end the C string */
}

/* An auths entry into creds; NULL if it holds none.  An "auth" that is not
 * base64 of user:password is warned about, naming the key and the file (never
 * its text): docker warns about it and reads on, containers/image warns or
 * fails that lookup; winch warns and skips the entry. */
static struct wn_creds *from_entry(struct wn_ctx *ctx, const cJSON *entry, const char *source, const char *key,
                                   bool docker_rules)
{
	const char *auth = wn__json_str(entry, "auth"), *user = wn__json_str(entry, "username"),
	           *pass = wn__json_str(entry, "password"), *idt = wn__json_str(entry, "identitytoken");
	struct wn_creds *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	if (auth && *auth) {
		char *u;
		const char *why, *p = split_auth(auth, !docker_rules, &u, &why);
		if (p) {
			c->username = strdup(u);
			c->password = strdup(p);
			wn__free_secret(u);
		} else if (why) {
			wn__log(ctx, WN_LOG_WARN, "%s: the \"auth\" of auths entry \"%.100s\" %s; ignoring the entry", source, key,
			        why);
		}
	} else if (user && *user) {
		c->username = strdup(user);
		c->password = strdup(pass ? pass : "");
	}
	if (idt && *idt) {
		c->identity_token = strdup(idt);
		if (!c->username)
			c->username = strdup("<token>");
	}
	if (!c->username && !c->identity_token) {
		wn_creds_free(c);
		return NULL;
	}
	/* a repository-scoped key is named: it tells which of several identities */
	c->source = strchr(key, '/') && !strstr(key, "://") ? wn__sprintf("%s (key %s)", source, key) : strdup(source);
	return c;
}

/* Asks a helper for `key`.  Not found, or an answer with neither user nor
 * secret (docker-credential-pass before 0.7 answers {"Username":"","Secret":""}
 * for an unknown host), is no credentials, silently, as docker takes it.  A
 * helper that is missing, fails or answers garbage is a warning, not an error
 * (anonymous access may do). */
static int from_helper(struct wn_ctx *ctx, const char *helper, const char *key, const char *registry,
                       struct wn_creds **out)
{
	char *json = NULL;
	*out = NULL;
	struct wn_error saved = ctx->err;
	int rc = wn__helper_run(ctx, helper, "get", key, &json);
	if (rc == WN_ENOTFOUND)
		return WN_OK;
	if (rc != WN_OK) {
		wn__log(ctx, WN_LOG_WARN, "%s; going on without credentials for %s", ctx->err.msg, registry);
		ctx->err = saved;
		return WN_OK;
	}
	cJSON *j = wn__json_parse(json, strlen(json));
	const char *user = wn__json_str(j, "Username"), *secret = wn__json_str(j, "Secret");
	if (!cJSON_IsObject(j)) {
		wn__log(ctx, WN_LOG_WARN, "credential helper docker-credential-%s gave no usable credentials for %s",
		        helper, registry);
	} else if ((!user || !*user || !strcmp(user, "<token>")) && (!secret || !*secret)) {
		wn__log(ctx, WN_LOG_DEBUG, "auth: credential helper docker-credential-%s has no credentials for %s", helper,
		        key);
	} else {
		struct wn_creds *c = calloc(1, sizeof *c);
		if (c) {
			if (user && !strcmp(user, "<token>"))
				c->identity_token = strdup(secret);
			else
				c->password = strdup(secret ? secret : "");
			c->username = strdup(user ? user : "");
			c->source = wn__sprintf("credential helper docker-credential-%s", helper);
		}
		*out = c;
	}
	/* the parsed tree and the raw output both held the secret */
	if (secret)
		memset(cJSON_GetObjectItemCaseSensitive(j, "Secret")->valuestring, 0, strlen(secret));
	cJSON_Delete(j);
	wn__free_secret(json);
	return WN_OK;
}

/* docker's config.json: credHelpers[key], else credsStore, else auths.
 * *found: the file decided (a helper always decides, as in docker, even
 * when it has nothing). */
static int from_docker_config(struct wn_ctx *ctx, cJSON *cfg, const char *source, const char *registry,
                              struct wn_creds **out, bool *found)
{
	const char *key = wn__registry_auth_key(registry);
	*out = NULL;
	*found = false;
	cJSON *h = docker_find(cJSON_GetObjectItemCaseSensitive(cfg, "credHelpers"), key, false);
	const char *store = wn__json_str(cfg, "credsStore");
	if (cJSON_IsString(h)) /* even "": getConfiguredCredentialStore then gives the file */
		store = h->valuestring;
	if (store && *store) {
		*found = true;
		return from_helper(ctx, store, key, registry, out);
	}
	cJSON *e = docker_find(cJSON_GetObjectItemCaseSensitive(cfg, "auths"), key, true);
	if (e) {
		*out = from_entry(ctx, e, source, e->string, true);
		*found = *out != NULL;
	}
	return WN_OK;
}

/* An auth.json: credHelpers[registry], else the auths keys.  Empty answers
 * leave the decision to the next file, as containers/image does. */
static int from_containers_config(struct wn_ctx *ctx, cJSON *cfg, const char *source, const char *registry,
                                  const char *repository, bool *scoped, struct wn_creds **out, bool *found)
{
	*out = NULL;
	*found = false;
	cJSON *h = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(cfg, "credHelpers"), registry);
	int rc = WN_OK;
	if (cJSON_IsString(h) && *h->valuestring) {
		rc = from_helper(ctx, h->valuestring, registry, registry, out);
	} else {
		cJSON *e = containers_find(cJSON_GetObjectItemCaseSensitive(cfg, "auths"), registry, repository, scoped);
		if (e)
			*out = from_entry(ctx, e, source, e->string, false);
	}
	*found = *out != NULL;
	return rc;
}

static int from_file(struct wn_ctx *ctx, const char *path, const char *registry, const char *repository,
                     bool docker_rules, bool *scoped, struct wn_creds **out, bool *found)
{
	cJSON *cfg = NULL;
	int rc = read_config(ctx, path, &cfg);
	*out = NULL;
	*found = false;
	if (rc != WN_OK || !cfg)
		return rc;
	if (docker_rules)
		rc = from_docker_config(ctx, cfg, path, registry, out, found);
	else
		rc = from_containers_config(ctx, cfg, path, registry, repository, scoped, out, found);
	cJSON_Delete(cfg);
	return rc;
}

/* $DOCKER_AUTH_CONFIG as docker reads it (configfile/file.go parseEnvConfig):
 * {"auths":{KEY:{"auth":BASE64}}} and nothing else (field names matched
 * without regard to case, as Go's decoder does), one JSON value (trailing
 * data refused), every entry decodable.  Any fault makes docker ignore the
 * whole variable with a warning; so does winch.  The entry is found by exact
 * key only.  *out: NULL when the variable has nothing for the key. */
static int from_env_config(struct wn_ctx *ctx, const char *v, const char *registry, struct wn_creds **out)
{
	const char *key = wn__registry_auth_key(registry), *end = NULL, *why = NULL;
	char whybuf[200];
	cJSON *j = NULL, *found = NULL;
	*out = NULL;
	size_t skip = strspn(v, " \t\r\n");
	if (!v[skip])
		return WN_OK; /* io.EOF: nothing */
	j = cJSON_ParseWithLengthOpts(v, strlen(v), &end, 0);
	if (!j) {
		why = "not valid JSON";
		goto done;
	}
	end += strspn(end, " \t\r\n");
	if (*end && *end != '}' && *end != ']') { /* json.Decoder.More() */
		why = "DOCKER_AUTH_CONFIG does not support more than one JSON object";
		goto done;
	}
	if (!cJSON_IsObject(j) && !cJSON_IsNull(j)) {
		why = "not a JSON object";
		goto done;
	}
	const cJSON *top, *e, *f;
	cJSON_ArrayForEach(top, (cJSON_IsObject(j) ? j : NULL)) {
		if (strcasecmp(top->string, "auths")) {
			snprintf(whybuf, sizeof whybuf, "json: unknown field \"%.100s\"", top->string);
			why = whybuf;
			goto done;
		}
		if (!cJSON_IsObject(top) && !cJSON_IsNull(top)) {
			why = "\"auths\" is not an object";
			goto done;
		}
		cJSON_ArrayForEach(e, (cJSON_IsObject(top) ? top : NULL)) {
			const char *auth = NULL;
			if (!cJSON_IsObject(e) && !cJSON_IsNull(e)) {
				snprintf(whybuf, sizeof whybuf, "auths entry \"%.100s\" is not an object", e->string);
				why = whybuf;
				goto done;
			}
			cJSON_ArrayForEach(f, (cJSON_IsObject(e) ? e : NULL)) {
				if (strcasecmp(f->string, "auth")) {
					snprintf(whybuf, sizeof whybuf, "json: unknown field \"%.100s\"", f->string);
					why = whybuf;
					goto done;
				}
				if (!cJSON_IsString(f) && !cJSON_IsNull(f)) {
					snprintf(whybuf, sizeof whybuf, "the \"auth\" of \"%.100s\" is not a string", e->string);
					why = whybuf;
					goto done;
				}
				if (cJSON_IsString(f)) /* null leaves a Go string as it was */
					auth = f->valuestring;
			}
			if (!auth || !*auth) {
				snprintf(whybuf, sizeof whybuf,
				         "DOCKER_AUTH_CONFIG environment variable is missing key `auth` for %.100s", e->string);
				why = whybuf;
				goto done;
			}
			char *u;
			const char *w, *p = split_auth(auth, false, &u, &w);
			if (!p) {
				snprintf(whybuf, sizeof whybuf, "the \"auth\" of \"%.100s\" %s", e->string,
				         w ? w : "is not base64 of USER:PASSWORD (empty)");
				why = whybuf;
				goto done;
			}
			wn__free_secret(u);
			if (!strcmp(e->string, key))
				found = (cJSON *)e; /* a later duplicate wins, as in a Go map */
		}
	}
	if (found) {
		const cJSON *a = NULL;
		cJSON_ArrayForEach(f, found)
			if (cJSON_IsString(f))
				a = f;
		char *u;
		const char *w, *p = split_auth(a->valuestring, false, &u, &w);
		struct wn_creds *c = calloc(1, sizeof *c);
		if (!c || !p || !(c->username = strdup(u)) || !(c->password = strdup(p)) ||
		    !(c->source = strdup("DOCKER_AUTH_CONFIG"))) {
			wn_creds_free(c);
			wn__free_secret(u);
			cJSON_Delete(j);
			return wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
		}
		wn__free_secret(u);
		*out = c;
	}
done:
	if (why)
		wn__log(ctx, WN_LOG_WARN, "ignoring DOCKER_AUTH_CONFIG: %s", why);
	cJSON_Delete(j);
	return WN_OK;
}

/* podman's primary auth.json: ${XDG_RUNTIME_DIR}/containers/auth.json, or
 * /run/containers/UID/auth.json when XDG_RUNTIME_DIR is unset or empty
 * (containers/image getPathToAuthWithOS; podman writes it there, for root
 * and for users without a session alike); then
 * ${XDG_CONFIG_HOME:-~/.config}/containers/auth.json. */
static void podman_paths(char *paths[2])
{
	const char *xdg = getenv("XDG_RUNTIME_DIR"), *cfg = getenv("XDG_CONFIG_HOME");
	paths[0] = xdg && *xdg ? wn__sprintf("%s/containers/auth.json", xdg)
	                       : wn__sprintf("/run/containers/%ld/auth.json", (long)getuid());
	paths[1] = cfg && *cfg ? wn__sprintf("%s/containers/auth.json", cfg) : home_path(".config/containers/auth.json");
}

/* Credentials found for one repository (the registry's own when NULL). */
struct wn__repo_creds {
	char *repository;
	struct wn_creds *creds;
	struct wn__repo_creds *next;
};

/* After a login or logout: what was cached is stale, not refused. */
static void forget_quietly(struct wn_ctx *ctx, const char *registry)
{
	struct wn__host *h = wn__ctx_host(ctx, registry);
	if (h) {
		wn__lock(ctx);
		wn__host_creds_clear(h);
		wn__unlock(ctx);
	}
}

int wn_login_ecr(struct wn_ctx *ctx, const char *registry, char **username, char **password)
{
	struct wn__aws_creds *aws = NULL;
	char *ep = wn__vendor_of(registry) == WN__V_ECR ? wn__ecr_endpoint(registry) : NULL;
	int rc;
	*username = *password = NULL;
	if (!ep)
		return WN_ENOTFOUND;
	free(ep);
	if ((rc = wn__aws_creds_find(ctx, &aws)) != WN_OK)
		return rc;
	wn__aws_creds_free(aws);
	return wn__ecr_login(ctx, registry, username, password, NULL);
}

/* Passwords an ECR registry refused in this run (its 12-hour passwords
 * expire): kept as entries of the host's repo_creds under this key, which no
 * repository has, so that the file they came from is not believed again. */
#define DENIED_KEY "\x01refused"

static bool refused_before(const struct wn__host *h, const char *password)
{
	for (const struct wn__repo_creds *r = h->repo_creds; password && r; r = r->next)
		if (!strcmp(r->repository, DENIED_KEY) && r->creds && r->creds->password &&
		    !strcmp(r->creds->password, password))
			return true;
	return false;
}

/* Nothing configured for an ECR registry, and AWS credentials at hand (as the
 * AWS tools find them): a password from ECR's GetAuthorizationToken, as
 * amazon-ecr-credential-helper gives docker one.  A failure is a warning: the
 * command goes on without credentials, as with a failing helper. */
static struct wn_creds *from_ecr(struct wn_ctx *ctx, const char *registry)
{
	struct wn__aws_creds *aws = NULL;
	struct wn_error saved = ctx->err;
	char *user = NULL, *pass = NULL, *ep;
	if (wn__vendor_of(registry) != WN__V_ECR || !(ep = wn__ecr_endpoint(registry)))
		return NULL;
	free(ep);
	int rc = wn__aws_creds_find(ctx, &aws);
	if (rc == WN_OK)
		rc = wn__ecr_login(ctx, registry, &user, &pass, NULL);
	struct wn_creds *c = NULL;
	if (rc == WN_OK && (c = calloc(1, sizeof *c))) {
		c->username = user;
		c->password = pass;
		c->source = wn__sprintf("ECR's GetAuthorizationToken (AWS credentials from %s)", aws->source);
		user = pass = NULL;
	} else if (rc != WN_OK && rc != WN_ENOTFOUND) {
		wn__log(ctx, WN_LOG_WARN, "%s; going on without credentials for %s", ctx->err.msg, registry);
	}
	ctx->err = saved;
	free(user);
	wn__free_secret(pass);
	wn__aws_creds_free(aws);
	return c;
}

/* The lookup behind wn_creds_lookup and the cache: *scoped tells whether an
 * auth.json read holds repository-scoped keys for the registry. */
static int lookup(struct wn_creds **out, struct wn_ctx *ctx, const char *registry, const char *repository,
                  bool *scoped)
{
	bool found = false;
	int rc;
	*out = NULL;
	*scoped = false;
	if (ctx->creds) {
		struct wn_creds *c = calloc(1, sizeof *c);
		const char *colon = strchr(ctx->creds, ':');
		if (!c)
			return WN_ENOMEM;
		c->username = colon ? strndup(ctx->creds, (size_t)(colon - ctx->creds)) : strdup(ctx->creds);
		c->password = strdup(colon ? colon + 1 : "");
		c->source = strdup("--creds");
		*out = c;
		return WN_OK;
	}
	const char *af = explicit_authfile(ctx);
	/* a file the caller named must be there: falling through to docker's
	 * config.json would use credentials nobody asked for.  $REGISTRY_AUTH_FILE,
	 * set once for every command of a session, may name one that a first login
	 * creates later: missing, it simply holds nothing. */
	if (ctx->authfile && access(ctx->authfile, F_OK))
		return wn__ctx_fail(ctx, WN_EINVAL, "authfile %s: %s", ctx->authfile, strerror(errno));
	if (af) {
		if ((rc = from_file(ctx, af, registry, repository, false, scoped, out, &found)) != WN_OK || found)
			return rc;
	}
	const char *dac = getenv("DOCKER_AUTH_CONFIG");
	if (dac && *dac) {
		if ((rc = from_env_config(ctx, dac, registry, out)) != WN_OK || *out)
			return rc;
	}
	char *dc = docker_config_path();
	if (dc) {
		rc = from_file(ctx, dc, registry, repository, true, scoped, out, &found);
		free(dc);
		if (rc != WN_OK || found)
			return rc;
	}
	char *paths[2];
	podman_paths(paths);
	rc = WN_OK;
	for (int i = 0; i < 2 && !found && rc == WN_OK; i++)
		if (paths[i])
			rc = from_file(ctx, paths[i], registry, repository, false, scoped, out, &found);
	free(paths[0]);
	free(paths[1]);
	if (rc == WN_OK && !found && !*out)
		*out = from_ecr(ctx, registry);
	return rc;
}

int wn_creds_lookup(struct wn_creds **out, struct wn_ctx *ctx, const char *registry)
{
	bool scoped;
	return lookup(out, ctx, registry, NULL, &scoped);
}


/* The repository a token scope names first ("repository:org/app:pull ..."),
 * or NULL (a catalog scope, no scope). Caller frees. */
static char *scope_repository(const char *scope)
{
	for (const char *s = scope ? scope : ""; *s;) {
		size_t n = strcspn(s, " ");
		if (!strncmp(s, "repository:", 11) || !strncmp(s, "repository(", 11)) {
			const char *first = memchr(s, ':', n), *last = first;
			for (const char *p = first + 1; p < s + n; p++)
				if (*p == ':')
					last = p;
			if (last > first + 1)
				return strndup(first + 1, (size_t)(last - first - 1));
		}
		s += n;
		s += strspn(s, " ");
	}
	return NULL;
}

void wn__host_creds_clear(struct wn__host *h)
{
	wn_creds_free(h->creds);
	h->creds = NULL;
	h->creds_loaded = 0;
	for (struct wn__repo_creds *r = h->repo_creds, *next; r; r = next) {
		next = r->next;
		free(r->repository);
		wn_creds_free(r->creds);
		free(r);
	}
	h->repo_creds = NULL;
	h->creds_scoped = 0;
}

/* Looked up once per registry; per repository only when an auth.json has
 * repository-scoped keys for it (then two repositories of one registry may
 * have two identities).  The returned creds stay valid until
 * wn__creds_forget: callers in other threads use them under the lock (auth
 * code holds it). */
const struct wn_creds *wn__creds_get(struct wn_ctx *ctx, const char *registry, const char *scope)
{
	struct wn__host *h = wn__ctx_host(ctx, registry);
	const struct wn_creds *c = NULL;
	char *repo = NULL;
	if (!h)
		return NULL;
	wn__lock(ctx);
	if (h->creds_loaded && !h->creds_scoped) {
		c = h->creds;
		goto done;
	}
	repo = scope_repository(scope);
	const char *rkey = repo ? repo : "";
	for (struct wn__repo_creds *r = h->repo_creds; r; r = r->next)
		if (!strcmp(r->repository, rkey)) {
			c = r->creds;
			goto done;
		}
	struct wn_creds *got = NULL;
	bool scoped = false;
	struct wn_error saved = ctx->err;
	if (lookup(&got, ctx, registry, repo, &scoped) != WN_OK) {
		wn__log(ctx, WN_LOG_WARN, "%s; going on without credentials for %s", ctx->err.msg, registry);
		ctx->err = saved;
	}
	if (got && refused_before(h, got->password)) {
		/* a long copy outlived ECR's 12-hour password, which came from a file: AWS
		 * credentials at hand give a fresh one */
		struct wn_creds *fresh = from_ecr(ctx, registry);
		if (fresh) {
			wn__log(ctx, WN_LOG_INFO, "%s refused the password from %s: a fresh one from %s", registry, got->source,
			        fresh->source);
			wn_creds_free(got);
			got = fresh;
		}
	}
	if (got)
		wn__log(ctx, WN_LOG_DEBUG, "auth: credentials for %s%s%s from %s", registry, repo ? "/" : "",
		        repo ? repo : "", got->source);
	if (!scoped && !h->creds_scoped) {
		h->creds = got;
		h->creds_loaded = 1;
		c = got;
		goto done;
	}
	struct wn__repo_creds *r = calloc(1, sizeof *r);
	if (!r || !(r->repository = strdup(rkey))) {
		free(r);
		wn_creds_free(got);
		goto done;
	}
	r->creds = got;
	r->next = h->repo_creds;
	h->repo_creds = r;
	h->creds_loaded = h->creds_scoped = 1;
	c = got;
done:
	wn__unlock(ctx);
	free(repo);
	return c;
}

void wn__creds_forget(struct wn_ctx *ctx, const char *registry)
{
	struct wn__host *h = wn__ctx_host(ctx, registry);
	if (!h)
		return;
	wn__lock(ctx);
	/* auth.c forgets credentials a registry refused: for ECR, remember the password */
	struct wn__repo_creds *keep = NULL;
	if (wn__vendor_of(registry) == WN__V_ECR && h->creds && h->creds->password &&
	    !refused_before(h, h->creds->password) && (keep = calloc(1, sizeof *keep))) {
		keep->repository = strdup(DENIED_KEY);
		keep->creds = calloc(1, sizeof *keep->creds);
		if (keep->creds)
			keep->creds->password = strdup(h->creds->password);
	}
	/* the earlier refusals stay */
	struct wn__repo_creds **pp = &h->repo_creds, *old = NULL;
	while (*pp) {
		struct wn__repo_creds *r = *pp;
		if (r->repository && !strcmp(r->repository, DENIED_KEY)) {
			*pp = r->next;
			r->next = old;
			old = r;
		} else {
			pp = &r->next;
		}
	}
	wn__host_creds_clear(h);
	if (keep) {
		keep->next = old;
		old = keep;
	}
	h->repo_creds = old;
	wn__unlock(ctx);
}

int wn_login_check(struct wn_ctx *ctx, const char *registry, const char *username, const char *password)
{
	return wn__auth_check(ctx, registry, username, password);
}

/* ---- writing ---------------------------------------------------------- */

static int mkdirs(const char *dir)
{
	char tmp[PATH_MAX];
	if (snprintf(tmp, sizeof tmp, "%s", dir) >= (int)sizeof tmp)
		return -1;
	for (char *p = tmp + 1; *p; p++)
		if (*p == '/') {
			*p = 0;
			if (mkdir(tmp, 0700) && errno != EEXIST)
				return -1;
			*p = '/';
		}
	return mkdir(tmp, 0700) && errno != EEXIST ? -1 : 0;
}

/* Where a config file really is: symlinks are followed even when the last
 * one dangles (the write then creates the target), so a config.json kept as a
 * link into a dotfiles repository stays a link.  Caller frees; NULL with
 * errno set (ELOOP, ENOMEM) on failure. */
static char *resolve_target(const char *path)
{
	char *p = strdup(path);
	for (int hops = 0; p && hops < 40; hops++) {
		struct stat st;
		if (lstat(p, &st) || !S_ISLNK(st.st_mode))
			return p; /* a file, or nothing yet: this is where it goes */
		char link[PATH_MAX];
		ssize_t n = readlink(p, link, sizeof link - 1);
		if (n < 0) {
			free(p);
			return NULL;
		}
		link[n] = 0;
		char *next;
		if (link[0] == '/') {
			next = strdup(link);
		} else {
			char *slash = strrchr(p, '/');
			next = slash ? wn__sprintf("%.*s/%s", (int)(slash - p), p, link) : strdup(link);
		}
		free(p);
		p = next;
	}
	if (p) {
		free(p);
		errno = ELOOP;
	} else {
		errno = ENOMEM;
	}
	return NULL;
}

/* Serialises the writers of one config file: an exclusive flock on
 * TARGET.lock, held across read, merge and write.  The lock file stays (a
 * removed lock file lets two writers hold "the" lock at once).  Waits,
 * cancellably, for as long as another writer may legitimately take. */
static int lock_config(struct wn_ctx *ctx, const char *target, int *out)
{
	char *lock = wn__sprintf("%s.lock", target);
	int fd = lock ? open(lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600) : -1;
	int rc = WN_OK;
	*out = -1;
	if (!lock) {
		rc = wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
		goto done;
	}
	if (fd < 0 && (errno == EROFS || errno == EACCES)) {
		/* a read-only directory (a config.json mounted from a secret): no one
		 * can write the file there, so no update can be lost; a logout with
		 * nothing to erase still answers, a write fails with its own reason */
		wn__log(ctx, WN_LOG_DEBUG, "not locking %s: %s", target, strerror(errno));
		goto done;
	}
	if (fd < 0) {
		rc = wn__ctx_fail(ctx, WN_EIO, "cannot lock %s: %s: %s", target, lock, strerror(errno));
		goto done;
	}
	long waited = 0, limit = LOCK_WAIT_MS + ctx->opt.helper_timeout_ms;
	while (flock(fd, LOCK_EX | LOCK_NB)) {
		if (errno != EWOULDBLOCK && errno != EINTR) {
			rc = wn__ctx_fail(ctx, WN_EIO, "cannot lock %s: %s", lock, strerror(errno));
			goto done;
		}
		if ((rc = wn__check_cancel(ctx)) != WN_OK)
			goto done;
		if (waited >= limit) {
			rc = wn__ctx_fail(ctx, WN_EIO, "%s is locked by another process (%s) for more than %ld s", target,
			                  lock, limit / 1000);
			goto done;
		}
		wn__sleep_ms(ctx, 20);
		waited += 20;
	}
	*out = fd;
	fd = -1;
done:
	if (fd >= 0)
		close(fd);
	free(lock);
	return rc;
}

/* Removes temp files that earlier writers of `target` left behind when they
 * were killed: TARGET.winch-tmp-PID-* of processes that no longer exist (or
 * of this process: under the lock it has none), and TARGET.winch-XXXXXX of
 * winch versions before the pid was in the name, once a minute old.  They
 * hold base64 credentials.  Runs under the lock. */
static void clean_stale_temps(const char *target)
{
	char *dcopy = strdup(target), *bcopy = strdup(target);
	DIR *d = dcopy && bcopy ? opendir(dirname(dcopy)) : NULL;
	const char *base = bcopy ? basename(bcopy) : "";
	size_t bl = strlen(base);
	struct dirent *e;
	while (d && (e = readdir(d))) {
		const char *rest = e->d_name;
		if (strncmp(rest, base, bl))
			continue;
		rest += bl;
		bool stale = false;
		if (!strncmp(rest, TMP_INFIX, strlen(TMP_INFIX))) {
			char *end;
			long pid = strtol(rest + strlen(TMP_INFIX), &end, 10);
			stale = pid > 0 && *end == '-' &&
			        (pid == (long)getpid() || (kill((pid_t)pid, 0) && errno == ESRCH));
		} else if (!strncmp(rest, ".winch-", 7) && strlen(rest + 7) == 6) {
			struct stat st;
			stale = !fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) && S_ISREG(st.st_mode) &&
			        st.st_mtime < time(NULL) - 60;
		}
		if (stale)
			unlinkat(dirfd(d), e->d_name, 0);
	}
	if (d)
		closedir(d);
	free(dcopy);
	free(bcopy);
}

/* A new temp file beside target, created 0600 (O_EXCL, never widened later:
 * it holds credentials from its first byte).  *tmp gets its name. */
static int create_temp(const char *target, char **tmp)
{
	for (int tries = 0; tries < 16; tries++) {
		unsigned char r[6];
		if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r)
			return -1;
		*tmp = wn__sprintf("%s" TMP_INFIX "%ld-%02x%02x%02x%02x%02x%02x", target, (long)getpid(), r[0], r[1], r[2],
		                   r[3], r[4], r[5]);
		if (!*tmp) {
			errno = ENOMEM;
			return -1;
		}
		int fd = open(*tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fd >= 0 || errno != EEXIST)
			return fd;
		free(*tmp);
		*tmp = NULL;
	}
	errno = EEXIST;
	return -1;
}

/* Replaces `target` (a resolved path, see resolve_target) with `cfg`: a temp
 * file beside it, fsync, rename.  A crash leaves either the old file or the
 * new one, never half of one.  Called under the lock. */
static int write_config_atomic(struct wn_ctx *ctx, const char *target, cJSON *cfg)
{
	char *dcopy = strdup(target), *tmp = NULL, *text = NULL;
	int fd = -1, rc = WN_OK;
	if (!dcopy)
		return wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
	const char *dir = dirname(dcopy);
	clean_stale_temps(target);
	text = cJSON_Print(cfg);
	if (!text) {
		rc = wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
		goto done;
	}
	if ((fd = create_temp(target, &tmp)) < 0) {
		rc = wn__ctx_fail(ctx, WN_EIO, "cannot write in %s: %s", dir, strerror(errno));
		goto done;
	}
	size_t len = strlen(text), off = 0;
	while (off < len) {
		ssize_t w = write(fd, text + off, len - off);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			rc = wn__ctx_fail(ctx, WN_EIO, "cannot write %s: %s", tmp, strerror(errno));
			goto done;
		}
		off += (size_t)w;
	}
	if (write(fd, "\n", 1) != 1 || fsync(fd)) {
		rc = wn__ctx_fail(ctx, WN_EIO, "cannot write %s: %s", tmp, strerror(errno));
		goto done;
	}
	int cr = close(fd);
	fd = -1;
	if (cr) {
		rc = wn__ctx_fail(ctx, WN_EIO, "cannot write %s: %s", tmp, strerror(errno));
		goto done;
	}
	if (rename(tmp, target)) {
		rc = wn__ctx_fail(ctx, WN_EIO, "cannot replace %s: %s", target, strerror(errno));
		goto done;
	}
	free(tmp);
	tmp = NULL;
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
done:
	if (fd >= 0)
		close(fd);
	if (tmp) {
		unlink(tmp);
		free(tmp);
	}
	if (text) {
		memset(text, 0, strlen(text));
		free(text);
	}
	free(dcopy);
	return rc;
}

static const char *json_type(const cJSON *j)
{
	return cJSON_IsObject(j) ? "an object" : cJSON_IsArray(j) ? "an array" : cJSON_IsString(j) ? "a string"
	     : cJSON_IsNumber(j) ? "a number" : cJSON_IsBool(j) ? "a boolean" : "null";
}

/* A config whose known keys have the wrong type is not winch's to fix (docker
 * refuses to load it too): rewriting it would silently drop what is there. */
static int check_known_keys(struct wn_ctx *ctx, const char *path, const cJSON *cfg)
{
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(cfg, "auths");
	const cJSON *h = cJSON_GetObjectItemCaseSensitive(cfg, "credHelpers");
	const cJSON *st = cJSON_GetObjectItemCaseSensitive(cfg, "credsStore");
	const cJSON *e, *aobj = cJSON_IsObject(a) ? a : NULL, *hobj = cJSON_IsObject(h) ? h : NULL;
	if (a && !cJSON_IsNull(a) && !cJSON_IsObject(a))
		return wn__ctx_fail(ctx, WN_ECONFIG, "%s: \"auths\" is %s, not an object; not rewriting the file", path,
		                    json_type(a));
	cJSON_ArrayForEach(e, aobj)
		if (!cJSON_IsObject(e))
			return wn__ctx_fail(ctx, WN_ECONFIG, "%s: \"auths\" entry \"%.100s\" is %s, not an object; not rewriting the file",
			                    path, e->string ? e->string : "", json_type(e));
	if (h && !cJSON_IsNull(h) && !cJSON_IsObject(h))
		return wn__ctx_fail(ctx, WN_ECONFIG, "%s: \"credHelpers\" is %s, not an object; not rewriting the file",
		                    path, json_type(h));
	cJSON_ArrayForEach(e, hobj)
		if (!cJSON_IsString(e))
			return wn__ctx_fail(ctx, WN_ECONFIG,
			                    "%s: \"credHelpers\" entry \"%.100s\" is %s, not a string; not rewriting the file", path,
			                    e->string ? e->string : "", json_type(e));
	if (st && !cJSON_IsNull(st) && !cJSON_IsString(st))
		return wn__ctx_fail(ctx, WN_ECONFIG, "%s: \"credsStore\" is %s, not a string; not rewriting the file", path,
		                    json_type(st));
	return WN_OK;
}

/* What a writer holds: the file named (for messages and *where), its resolved
 * target, the lock, and the config read under the lock (an empty object when
 * there is no file yet).  *docker_rules: credsStore applies. */
struct config_txn {
	char *path, *target;
	int lock_fd;
	cJSON *cfg;
	bool docker_rules, existed;
};

static void txn_end(struct config_txn *t)
{
	cJSON_Delete(t->cfg);
	if (t->lock_fd >= 0)
		close(t->lock_fd); /* releases the flock */
	free(t->path);
	free(t->target);
	memset(t, 0, sizeof *t);
	t->lock_fd = -1;
}

static char *target_file(struct wn_ctx *ctx, bool *docker_rules);

/* create: the file may be created (login); otherwise a missing file is
 * WN_ENOTFOUND (no message) and nothing is made, not even the lock. */
static int txn_begin(struct wn_ctx *ctx, struct config_txn *t, bool create)
{
	int rc;
	memset(t, 0, sizeof *t);
	t->lock_fd = -1;
	if (!(t->path = target_file(ctx, &t->docker_rules)))
		return wn__ctx_fail(ctx, WN_ECONFIG, "cannot find the config file: set HOME or DOCKER_CONFIG");
	if (!(t->target = resolve_target(t->path))) {
		rc = wn__ctx_fail(ctx, WN_ECONFIG, "cannot follow the symlink %s: %s", t->path, strerror(errno));
		goto fail;
	}
	if (!create && access(t->target, F_OK) && errno == ENOENT) {
		rc = WN_ENOTFOUND;
		goto fail;
	}
	char *dcopy = strdup(t->target);
	if (!dcopy) {
		rc = wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
		goto fail;
	}
	if (mkdirs(dirname(dcopy))) {
		rc = wn__ctx_fail(ctx, WN_EIO, "cannot create %s: %s", dcopy, strerror(errno));
		free(dcopy);
		goto fail;
	}
	free(dcopy);
	if ((rc = lock_config(ctx, t->target, &t->lock_fd)) != WN_OK)
		goto fail;
	/* read under the lock: what another writer stored meanwhile is kept */
	if ((rc = read_config(ctx, t->target, &t->cfg)) != WN_OK)
		goto fail; /* a broken file is never overwritten */
	t->existed = t->cfg != NULL;
	if (!t->cfg && !(t->cfg = cJSON_CreateObject())) {
		rc = wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
		goto fail;
	}
	if ((rc = check_known_keys(ctx, t->path, t->cfg)) != WN_OK)
		goto fail;
	return WN_OK;
fail:
	txn_end(t);
	return rc;
}

/* The file login writes and whether docker's helper rules apply to it. */
static char *target_file(struct wn_ctx *ctx, bool *docker_rules)
{
	const char *af = explicit_authfile(ctx);
	*docker_rules = af == NULL;
	return af ? strdup(af) : docker_config_path();
}

/* The helper a login or logout goes through, by the file's rules (see the
 * lookup): docker's credHelpers[key], else credsStore; auth.json's
 * credHelpers[registry]. */
static const char *helper_for(cJSON *cfg, const char *registry, bool docker_rules)
{
	cJSON *helpers = cJSON_GetObjectItemCaseSensitive(cfg, "credHelpers");
	if (!docker_rules) {
		cJSON *h = cJSON_GetObjectItemCaseSensitive(helpers, registry);
		return cJSON_IsString(h) && *h->valuestring ? h->valuestring : NULL;
	}
	cJSON *h = docker_find(helpers, wn__registry_auth_key(registry), false);
	const char *store = wn__json_str(cfg, "credsStore");
	if (cJSON_IsString(h))
		store = h->valuestring;
	return store && *store ? store : NULL;
}

/* The key a login writes: docker's ("https://index.docker.io/v1/" for Docker
 * Hub), or in an auth.json the registry as podman writes it ("docker.io"). */
static const char *write_key(const char *registry, bool docker_rules)
{
	return docker_rules ? wn__registry_auth_key(registry) : registry;
}

/* Removes every auths entry a lookup of the registry could find in this file
 * (not repository-scoped ones: they are not the registry's).  *had: one of
 * them held something (an empty {} is a helper user's marker, not a login). */
static void remove_keys(cJSON *auths, const char *registry, bool docker_rules, bool *had)
{
	const char *key = write_key(registry, docker_rules);
	cJSON *e, *next;
	*had = false;
	for (e = cJSON_IsObject(auths) ? auths->child : NULL; e; e = next) {
		next = e->next;
		if (!e->string)
			continue;
		bool match = !strcmp(e->string, key);
		if (!match && docker_rules) {
			char host[512];
			convert_to_hostname(e->string, host, sizeof host);
			match = !strcmp(host, key);
		} else if (!match) {
			match = containers_key_is(e->string, registry);
		}
		if (!match)
			continue;
		const char *auth = wn__json_str(e, "auth"), *user = wn__json_str(e, "username"),
		           *idt = wn__json_str(e, "identitytoken");
		*had |= (auth && *auth) || (user && *user) || (idt && *idt);
		cJSON_Delete(cJSON_DetachItemViaPointer(auths, e));
	}
}

/* Whether a helper holds credentials for key: WN_OK yes, WN_ENOTFOUND no
 * (its "not found", or an empty answer: helpers such as secretservice and
 * wincred erase a missing entry without a word, so erase alone cannot tell),
 * WN_ERROR when it could not say (then erase is tried and speaks for itself). */
static int helper_holds(struct wn_ctx *ctx, const char *helper, const char *key)
{
	char *json = NULL;
	struct wn_error saved = ctx->err;
	int rc = wn__helper_run(ctx, helper, "get", key, &json);
	if (rc != WN_OK) {
		ctx->err = saved;
		return rc == WN_ENOTFOUND ? WN_ENOTFOUND : WN_ERROR;
	}
	cJSON *j = wn__json_parse(json, strlen(json));
	const char *user = wn__json_str(j, "Username"), *secret = wn__json_str(j, "Secret");
	rc = !cJSON_IsObject(j) ? WN_ERROR : (user && *user) || (secret && *secret) ? WN_OK : WN_ENOTFOUND;
	if (secret)
		memset(cJSON_GetObjectItemCaseSensitive(j, "Secret")->valuestring, 0, strlen(secret));
	cJSON_Delete(j);
	wn__free_secret(json);
	return rc;
}

int wn_creds_store(struct wn_ctx *ctx, const char *registry, const char *username, const char *password,
                   char **where)
{
	struct config_txn t;
	int rc;
	if (where)
		*where = NULL;
	if ((rc = txn_begin(ctx, &t, true)) != WN_OK)
		return rc;
	cJSON *auths = cJSON_GetObjectItemCaseSensitive(t.cfg, "auths");
	if (!cJSON_IsObject(auths)) { /* absent or null (check_known_keys refused the rest) */
		cJSON_DeleteItemFromObjectCaseSensitive(t.cfg, "auths");
		auths = cJSON_AddObjectToObject(t.cfg, "auths");
	}
	const char *key = write_key(registry, t.docker_rules);
	const char *helper = helper_for(t.cfg, registry, t.docker_rules);
	bool had;
	remove_keys(auths, registry, t.docker_rules, &had);
	cJSON *entry = cJSON_AddObjectToObject(auths, key);
	if (!entry) {
		rc = wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
		goto done;
	}
	if (helper) {
		cJSON *in = cJSON_CreateObject();
		cJSON_AddStringToObject(in, "ServerURL", key);
		cJSON_AddStringToObject(in, "Username", username);
		cJSON_AddStringToObject(in, "Secret", password);
		char *text = cJSON_PrintUnformatted(in), *out = NULL;
		rc = text ? wn__helper_run(ctx, helper, "store", text, &out) : wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
		if (text) {
			memset(text, 0, strlen(text));
			free(text);
		}
		cJSON_Delete(in);
		wn__free_secret(out);
		if (rc != WN_OK)
			goto done; /* the file is left as it was */
		if (where)
			*where = wn__sprintf("credential helper docker-credential-%s", helper);
	} else {
		char *up = wn__sprintf("%s:%s", username, password);
		char *b = up ? wn__b64_encode(up, strlen(up)) : NULL;
		wn__free_secret(up);
		if (!b) {
			rc = wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
			goto done;
		}
		cJSON_AddStringToObject(entry, "auth", b);
		wn__free_secret(b);
		if (where)
			*where = strdup(t.path);
	}
	rc = write_config_atomic(ctx, t.target, t.cfg);
	forget_quietly(ctx, registry);
done:
	if (rc != WN_OK && where) {
		free(*where);
		*where = NULL;
	}
	txn_end(&t);
	return rc;
}

int wn_creds_erase(struct wn_ctx *ctx, const char *registry, char **where)
{
	struct config_txn t;
	bool had = false;
	int rc;
	if (where)
		*where = NULL;
	if ((rc = txn_begin(ctx, &t, false)) != WN_OK)
		return rc;
	if (!t.existed) {
		rc = WN_ENOTFOUND;
		goto done;
	}
	const char *helper = helper_for(t.cfg, registry, t.docker_rules);
	const char *key = write_key(registry, t.docker_rules);
	/* asked first: only a helper that had the entry has removed anything */
	if (helper && helper_holds(ctx, helper, key) != WN_ENOTFOUND) {
		char *out = NULL;
		rc = wn__helper_run(ctx, helper, "erase", key, &out);
		wn__free_secret(out);
		if (rc == WN_OK) {
			had = true;
			if (where)
				*where = wn__sprintf("credential helper docker-credential-%s", helper);
		} else if (rc != WN_ENOTFOUND) {
			goto done;
		}
	}
	cJSON *auths = cJSON_GetObjectItemCaseSensitive(t.cfg, "auths");
	int before = cJSON_GetArraySize(auths);
	bool had_entry;
	remove_keys(auths, registry, t.docker_rules, &had_entry);
	if (cJSON_GetArraySize(auths) != before) {
		if ((rc = write_config_atomic(ctx, t.target, t.cfg)) != WN_OK)
			goto done;
		if (had_entry && !had && where)
			*where = strdup(t.path);
		had |= had_entry;
	}
	rc = had ? WN_OK : WN_ENOTFOUND;
	forget_quietly(ctx, registry);
done:
	txn_end(&t);
	return rc;
}

/*
 * creds.c: where a registry's credentials come from, and where login puts them.
 *
 * Lookup order (first source that has an entry for the registry wins):
 *   1. --creds USER:PASS
 *   2. --authfile FILE, else $REGISTRY_AUTH_FILE (containers-auth.json format)
 *   3. $DOCKER_AUTH_CONFIG (a config.json document in the environment)
 *   4. $DOCKER_CONFIG/config.json or ~/.docker/config.json, with the docker
 *      CLI's rules: credHelpers[registry], else credsStore, else auths
 *   5. ${XDG_RUNTIME_DIR}/containers/auth.json, ~/.config/containers/auth.json
 * A helper that is missing or fails is warned about and treated as "no
 * credentials", so public pulls keep working.
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

/* The key of `map` naming `registry` (exact key first, then normalised). */
static cJSON *find_key(cJSON *map, const char *registry)
{
	cJSON *e;
	if (!cJSON_IsObject(map))
		return NULL;
	const char *key = wn__registry_auth_key(registry);
	cJSON_ArrayForEach(e, map)
		if (e->string && !strcmp(e->string, key))
			return e;
	cJSON_ArrayForEach(e, map) {
		char *norm = NULL;
		if (e->string && wn_registry_normalize(&norm, e->string, NULL) == WN_OK && !strcmp(norm, registry)) {
			free(norm);
			return e;
		}
		free(norm);
	}
	return NULL;
}

/* An auths entry into creds; NULL if it holds none. */
static struct wn_creds *from_entry(const cJSON *entry, const char *source)
{
	const char *auth = wn__json_str(entry, "auth"), *user = wn__json_str(entry, "username"),
	           *pass = wn__json_str(entry, "password"), *idt = wn__json_str(entry, "identitytoken");
	struct wn_creds *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	if (auth && *auth) {
		size_t n;
		char *dec = (char *)wn__b64_decode(auth, &n);
		char *colon = dec ? strchr(dec, ':') : NULL;
		if (colon) {
			c->username = strndup(dec, (size_t)(colon - dec));
			c->password = strdup(colon + 1);
		}
		wn__free_secret(dec);
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
	c->source = strdup(source);
	return c;
}

/* Asks a helper; a failure is a warning, not an error (anonymous access may do). */
static int from_helper(struct wn_ctx *ctx, const char *helper, const char *registry, struct wn_creds **out)
{
	char *json = NULL;
	*out = NULL;
	struct wn_error saved = ctx->err;
	int rc = wn__helper_run(ctx, helper, "get", wn__registry_auth_key(registry), &json);
	if (rc == WN_ENOTFOUND)
		return WN_OK;
	if (rc != WN_OK) {
		wn__log(ctx, WN_LOG_WARN, "%s; going on without credentials for %s", ctx->err.msg, registry);
		ctx->err = saved;
		return WN_OK;
	}
	cJSON *j = wn__json_parse(json, strlen(json));
	const char *user = wn__json_str(j, "Username"), *secret = wn__json_str(j, "Secret");
	if (user && secret && *secret) {
		struct wn_creds *c = calloc(1, sizeof *c);
		if (c) {
			if (!strcmp(user, "<token>"))
				c->identity_token = strdup(secret);
			else
				c->password = strdup(secret);
			c->username = strdup(user);
			c->source = wn__sprintf("credential helper docker-credential-%s", helper);
		}
		*out = c;
	} else {
		wn__log(ctx, WN_LOG_WARN, "credential helper docker-credential-%s gave no usable credentials for %s",
		        helper, registry);
	}
	/* the parsed tree and the raw output both held the secret */
	if (cJSON_IsString(cJSON_GetObjectItemCaseSensitive(j, "Secret")))
		memset(cJSON_GetObjectItemCaseSensitive(j, "Secret")->valuestring, 0, strlen(secret));
	cJSON_Delete(j);
	wn__free_secret(json);
	return WN_OK;
}

/* One config document: credHelpers, then credsStore (docker_rules), then auths.
 * *found says whether the document decided (even on "no credentials"). */
static int from_config(struct wn_ctx *ctx, cJSON *cfg, const char *source, const char *registry,
                       bool docker_rules, struct wn_creds **out, bool *found)
{
	*out = NULL;
	*found = false;
	cJSON *h = find_key(cJSON_GetObjectItemCaseSensitive(cfg, "credHelpers"), registry);
	if (h && cJSON_IsString(h) && *h->valuestring) {
		*found = true;
		return from_helper(ctx, h->valuestring, registry, out);
	}
	const char *store = wn__json_str(cfg, "credsStore");
	if (docker_rules && store && *store) {
		*found = true; /* with a credsStore, docker asks only the store */
		return from_helper(ctx, store, registry, out);
	}
	cJSON *e = find_key(cJSON_GetObjectItemCaseSensitive(cfg, "auths"), registry);
	if (e) {
		*out = from_entry(e, source);
		*found = *out != NULL;
	}
	return WN_OK;
}

static int from_file(struct wn_ctx *ctx, const char *path, const char *registry, bool docker_rules,
                     struct wn_creds **out, bool *found)
{
	cJSON *cfg = NULL;
	int rc = read_config(ctx, path, &cfg);
	*out = NULL;
	*found = false;
	if (rc != WN_OK || !cfg)
		return rc;
	rc = from_config(ctx, cfg, path, registry, docker_rules, out, found);
	cJSON_Delete(cfg);
	return rc;
}

int wn_creds_lookup(struct wn_creds **out, struct wn_ctx *ctx, const char *registry)
{
	bool found = false;
	int rc;
	*out = NULL;
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
		if ((rc = from_file(ctx, af, registry, false, out, &found)) != WN_OK || found)
			return rc;
	}
	const char *dac = getenv("DOCKER_AUTH_CONFIG");
	if (dac && *dac) {
		cJSON *cfg = wn__json_parse(dac, strlen(dac));
		if (!cJSON_IsObject(cfg)) {
			cJSON_Delete(cfg);
			return wn__ctx_fail(ctx, WN_ECONFIG, "DOCKER_AUTH_CONFIG is not a valid JSON object");
		}
		rc = from_config(ctx, cfg, "DOCKER_AUTH_CONFIG", registry, true, out, &found);
		cJSON_Delete(cfg);
		if (rc != WN_OK || found)
			return rc;
	}
	char *dc = docker_config_path();
	if (dc) {
		rc = from_file(ctx, dc, registry, true, out, &found);
		free(dc);
		if (rc != WN_OK || found)
			return rc;
	}
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	char *paths[2] = { xdg && *xdg ? wn__sprintf("%s/containers/auth.json", xdg) : NULL,
		               home_path(".config/containers/auth.json") };
	rc = WN_OK;
	for (int i = 0; i < 2 && !found && rc == WN_OK; i++)
		if (paths[i])
			rc = from_file(ctx, paths[i], registry, false, out, &found);
	free(paths[0]);
	free(paths[1]);
	return rc;
}

/* The returned creds stay valid until wn__creds_forget: callers in other
 * threads use them under the lock (auth code holds it). */
const struct wn_creds *wn__creds_get(struct wn_ctx *ctx, const char *registry)
{
	struct wn__host *h = wn__ctx_host(ctx, registry);
	if (!h)
		return NULL;
	wn__lock(ctx);
	if (!h->creds_loaded) {
		h->creds_loaded = 1;
		struct wn_error saved = ctx->err;
		if (wn_creds_lookup(&h->creds, ctx, registry) != WN_OK) {
			wn__log(ctx, WN_LOG_WARN, "%s; going on without credentials for %s", ctx->err.msg, registry);
			ctx->err = saved;
		}
		if (h->creds)
			wn__log(ctx, WN_LOG_DEBUG, "auth: credentials for %s from %s", registry, h->creds->source);
	}
	wn__unlock(ctx);
	return h->creds;
}

void wn__creds_forget(struct wn_ctx *ctx, const char *registry)
{
	struct wn__host *h = wn__ctx_host(ctx, registry);
	if (h) {
		wn__lock(ctx);
		wn_creds_free(h->creds);
		h->creds = NULL;
		h->creds_loaded = 0;
		wn__unlock(ctx);
	}
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

static const char *helper_for(cJSON *cfg, const char *registry, bool docker_rules)
{
	cJSON *h = find_key(cJSON_GetObjectItemCaseSensitive(cfg, "credHelpers"), registry);
	if (h && cJSON_IsString(h) && *h->valuestring)
		return h->valuestring;
	const char *store = wn__json_str(cfg, "credsStore");
	return docker_rules && store && *store ? store : NULL;
}

static void remove_keys(cJSON *auths, const char *registry)
{
	cJSON *e;
	while ((e = find_key(auths, registry)))
		cJSON_Delete(cJSON_DetachItemViaPointer(auths, e));
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
	const char *key = wn__registry_auth_key(registry);
	const char *helper = helper_for(t.cfg, registry, t.docker_rules);
	remove_keys(auths, registry);
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
	wn__creds_forget(ctx, registry);
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
	if (helper) {
		char *out = NULL;
		rc = wn__helper_run(ctx, helper, "erase", wn__registry_auth_key(registry), &out);
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
	if (find_key(auths, registry)) {
		remove_keys(auths, registry);
		if ((rc = write_config_atomic(ctx, t.target, t.cfg)) != WN_OK)
			goto done;
		if (!had && where)
			*where = strdup(t.path);
		had = true;
	}
	rc = had ? WN_OK : WN_ENOTFOUND;
	wn__creds_forget(ctx, registry);
done:
	txn_end(&t);
	return rc;
}

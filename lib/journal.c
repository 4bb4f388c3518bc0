/*
 * journal.c: what a transfer killed outright (SIGKILL, a crash, a power cut)
 * leaves for the next run of the same work to continue from.
 *
 * One small JSON file per blob on its way, in $XDG_STATE_HOME/winch/journal
 * (else ~/.local/state/winch/journal), named after a hash of what it is about:
 * an upload's registry, repository and digest, or a download's destination
 * (a layout's directory, an archive's file) and digest.  An upload's journal
 * holds the session URL of the last chunk the registry acknowledged; a
 * download's the partial file and the digest of its first bytes at the last
 * checkpoint.  Neither is ever believed: a rerun asks the registry where the
 * session stands, and re-hashes the bytes on disk before it uses them.
 *
 * The process writing a journal holds an flock on it for as long as the
 * blob is in flight, so a journal nobody holds belongs to a run that is gone
 * (whatever its pid says: pids are reused, and a run in another pid
 * namespace may share the directory).  Finished, failed and interrupted
 * transfers remove their journal; only one that was killed leaves it.  The
 * content is rewritten in place under the lock, padded with spaces to the
 * length it had, so a reader never sees the tail of an older text; a torn
 * write (a power cut) leaves something that does not parse or does not
 * match, which counts as no journal at all.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "internal.h"

#define JOURNAL_MAX (64u << 10)   /* a journal's text: a URL and a path */
#define DIR_NAME "journal"

struct wn__journal {
	int fd;
	char *path;
	size_t len;                   /* the length of the longest text written: shorter ones are padded */
};

/* $XDG_STATE_HOME/winch/journal (an XDG_STATE_HOME that is not absolute is
 * ignored, as the XDG spec says), else $HOME/.local/state/winch/journal;
 * NULL when neither can be named. */
static char *journal_dir(void)
{
	const char *xdg = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
	if (xdg && xdg[0] == '/')
		return wn__sprintf("%s/winch/" DIR_NAME, xdg);
	if (home && home[0] == '/')
		return wn__sprintf("%s/.local/state/winch/" DIR_NAME, home);
	return NULL;
}

/* mkdir -p, private: what it creates is the user's alone (session URLs may be
 * worth something to someone else). */
static int make_dirs(const char *dir)
{
	char *p = strdup(dir);
	int rc = p ? 0 : -1;
	for (char *s = p ? strchr(p + 1, '/') : NULL; !rc; s = strchr(s + 1, '/')) {
		if (s)
			*s = 0;
		if (mkdir(p, 0700) && errno != EEXIST)
			rc = -1;
		if (!s)
			break;
		*s = '/';
	}
	free(p);
	return rc;
}

static char *journal_path(const char *dir, const char *kind, const char *key)
{
	char d[WN_DIGEST_MAX], *text = wn__sprintf("%s\n%s", kind, key);
	if (!text)
		return NULL;
	wn_digest_sha256(d, text, strlen(text));
	free(text);
	/* 160 bits of the hash: the file also names its key, which is checked */
	return wn__sprintf("%s/%s-%.40s.json", dir, kind, d + 7);
}

/* The text of an open journal; NULL when empty, unreadable or too long. */
static cJSON *read_fd(int fd)
{
	struct stat st;
	if (fstat(fd, &st) || !st.st_size || st.st_size > (off_t)JOURNAL_MAX)
		return NULL;
	char *buf = malloc((size_t)st.st_size);
	ssize_t n = buf ? pread(fd, buf, (size_t)st.st_size, 0) : -1;
	cJSON *doc = n > 0 ? wn__json_parse(buf, (size_t)n) : NULL;
	free(buf);
	if (!cJSON_IsObject(doc)) {
		cJSON_Delete(doc);
		return NULL;
	}
	return doc;
}

int wn__journal_open(struct wn_ctx *ctx, const char *kind, const char *key, struct wn__journal **out, cJSON **prev)
{
	char *dir = journal_dir(), *path = NULL;
	int fd = -1;
	struct stat a, b;
	*out = NULL;
	if (prev)
		*prev = NULL;
	if (!dir || make_dirs(dir) || !(path = journal_path(dir, kind, key))) {
		wn__log(ctx, WN_LOG_DEBUG, "no resume journal for %s: %s", key,
		        dir ? strerror(errno) : "neither XDG_STATE_HOME nor HOME names a directory");
		goto done;
	}
	for (int tries = 0; tries < 3; tries++) {
		if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600)) < 0)
			break;
		if (flock(fd, LOCK_EX | LOCK_NB)) {
			/* a live run is moving this very blob: it keeps its journal, this one goes without */
			wn__log(ctx, WN_LOG_DEBUG, "%s is in use by another run: no resume journal for %s", path, key);
			close(fd);
			fd = -1;
			break;
		}
		/* its owner may have finished (and removed it) between our open and our lock */
		if (!fstat(fd, &a) && !stat(path, &b) && a.st_ino == b.st_ino && a.st_dev == b.st_dev)
			break;
		close(fd);
		fd = -1;
	}
	if (fd < 0)
		goto done;
	struct wn__journal *j = calloc(1, sizeof *j);
	if (!j) {
		close(fd);
		goto done;
	}
	j->fd = fd;
	j->path = path;
	j->len = (size_t)a.st_size;
	path = NULL;
	cJSON *doc = read_fd(fd);
	/* a file of another kind or key (a hash collision, a hand edit) is no journal of this */
	if (doc && (!wn__json_str(doc, "kind") || strcmp(wn__json_str(doc, "kind"), kind) || !wn__json_str(doc, "key") ||
	            strcmp(wn__json_str(doc, "key"), key))) {
		cJSON_Delete(doc);
		doc = NULL;
	}
	if (prev)
		*prev = doc;
	else
		cJSON_Delete(doc);
	*out = j;
done:
	free(path);
	free(dir);
	return WN_OK;
}

int wn__journal_write(struct wn__journal *j, const char *kind, const char *key, cJSON *state)
{
	if (!j)
		return WN_OK;
	cJSON_DeleteItemFromObjectCaseSensitive(state, "kind");
	cJSON_DeleteItemFromObjectCaseSensitive(state, "key");
	cJSON_DeleteItemFromObjectCaseSensitive(state, "pid");
	cJSON_AddStringToObject(state, "kind", kind);
	cJSON_AddStringToObject(state, "key", key);
	cJSON_AddNumberToObject(state, "pid", (double)getpid());
	char *text = cJSON_PrintUnformatted(state);
	if (!text)
		return WN_ENOMEM;
	size_t n = strlen(text), len = n > j->len ? n : j->len;
	char *buf = len > n ? realloc(text, len) : text;
	int rc = WN_OK;
	if (!buf) {
		free(text);
		return WN_ENOMEM;
	}
	memset(buf + n, ' ', len - n);
	/* one write at offset 0; no fsync: a journal lost in a power cut only means starting over */
	if (pwrite(j->fd, buf, len, 0) != (ssize_t)len)
		rc = WN_EIO;
	else
		j->len = len;
	free(buf);
	return rc;
}

void wn__journal_done(struct wn__journal *j)
{
	if (!j)
		return;
	unlink(j->path); /* still under the lock: a run waiting for it finds it gone */
	close(j->fd);
	free(j->path);
	free(j);
}

/* Is the journal at `path` held by a live run?  If not, *doc gets its text
 * (NULL when there is none worth reading).  *fd keeps the lock for the caller. */
static bool held(const char *path, int *fd, cJSON **doc)
{
	*doc = NULL;
	*fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (*fd < 0)
		return true; /* gone, or not ours to judge */
	if (flock(*fd, LOCK_EX | LOCK_NB)) {
		close(*fd);
		*fd = -1;
		return true;
	}
	*doc = read_fd(*fd);
	return false;
}

static bool is_journal_name(const char *n)
{
	size_t l = strlen(n);
	return (!strncmp(n, "upload-", 7) || !strncmp(n, "download-", 9)) && l > 5 && !strcmp(n + l - 5, ".json");
}

void wn__journal_clean(struct wn_ctx *ctx)
{
	char *dir = journal_dir();
	DIR *d = dir ? opendir(dir) : NULL;
	struct dirent *e;
	time_t now = time(NULL);
	while (d && (e = readdir(d))) {
		if (!is_journal_name(e->d_name))
			continue;
		char *p = wn__sprintf("%s/%s", dir, e->d_name);
		struct stat st;
		cJSON *doc;
		int fd;
		if (!p || lstat(p, &st) || held(p, &fd, &doc)) {
			free(p);
			continue;
		}
		const char *file = wn__json_str(doc, "file"), *final = wn__json_str(doc, "final");
		bool old = now - st.st_mtime > WN__JOURNAL_MAX_AGE, dropped = false, done = false;
		struct stat fst;
		/* a download's session is its partial file: one that is gone (its layout was
		 * removed, or another run took it over) leaves nothing to resume, and a blob in
		 * place (another run, or one that kept no journal, finished it) needs nothing */
		if (!strncmp(e->d_name, "download-", 9)) {
			dropped = !file || file[0] != '/' || lstat(file, &fst);
			done = final && final[0] == '/' && !lstat(final, &fst);
		}
		if (!doc || old || dropped || done) {
			if ((old || done) && file && file[0] == '/' && strstr(file, ".winch-tmp-"))
				unlink(file); /* the partial file goes with its journal */
			wn__log(ctx, WN_LOG_DEBUG, "removing the stale resume journal %s", p);
			unlink(p);
		}
		cJSON_Delete(doc);
		close(fd);
		free(p);
	}
	if (d)
		closedir(d);
	free(dir);
}

struct wn_strlist *wn__journal_files(void)
{
	char *dir = journal_dir();
	DIR *d = dir ? opendir(dir) : NULL;
	struct dirent *e;
	struct wn_strlist *l = calloc(1, sizeof *l);
	time_t now = time(NULL);
	while (l && d && (e = readdir(d))) {
		if (strncmp(e->d_name, "download-", 9) || !is_journal_name(e->d_name))
			continue;
		char *p = wn__sprintf("%s/%s", dir, e->d_name);
		struct stat st;
		int fd = p ? open(p, O_RDONLY | O_CLOEXEC | O_NOFOLLOW) : -1;
		/* read without the lock: a live run's own temporary files are kept for its pid anyway */
		cJSON *doc = fd >= 0 && !fstat(fd, &st) && now - st.st_mtime <= WN__JOURNAL_MAX_AGE ? read_fd(fd) : NULL;
		const char *file = wn__json_str(doc, "file");
		if (file && file[0] == '/')
			wn__strlist_push(l, file);
		cJSON_Delete(doc);
		if (fd >= 0)
			close(fd);
		free(p);
	}
	if (d)
		closedir(d);
	free(dir);
	return l;
}

bool wn__journal_names(const struct wn_strlist *files, const char *path)
{
	size_t n = strlen(path);
	for (size_t i = 0; files && i < files->n; i++) {
		const char *f = files->items[i];
		if (!strncmp(f, path, n) && (!f[n] || f[n] == '/'))
			return true;
	}
	return false;
}

/*
 * layout.c: the OCI image layout ("oci:DIR[:TAG]") as a source and a
 * destination.  Several images and tags share one layout, blobs stored once
 * under blobs/ALG/HEX; a tag is the org.opencontainers.image.ref.name
 * annotation of an index.json entry.
 *
 * Writes cannot leave a layout half-changed: a blob goes to a temp file
 * beside its final place and is verified while it is written (the feed holds
 * back its last byte until the digest matches).  Blobs and manifests keep
 * their temp names until the copy's top manifest arrives; then they are
 * renamed into place and index.json, last, is replaced with a rename.  A
 * failed copy removes its temp files; a crash leaves them, named
 * .winch-tmp-PID-*, and the next write removes them once their process is
 * gone.  Either way the layout holds exactly what it held before, and a
 * directory the failed copy created is removed with what it put there.
 *
 * Several writers may share a layout (parallel pulls of several tags): the
 * read-merge-write of index.json happens under an flock on index.json.lock,
 * beside it, so every writer's entry is in the result.
 */
#include <sys/file.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "internal.h"

#define REF_NAME "org.opencontainers.image.ref.name"
#define LOCK_NAME "index.json.lock"
#define INDEX_MAX (16u << 20)
#define READ_CHUNK (256u << 10)
#define WRITEBACK_STEP (8u << 20)
#define NAME_MAX_LEN 4096         /* an image name in index.json (a reference is at most 1024) */

struct layout {
	char *dir;
	char *name;                /* for messages: "oci:DIR", or the archive it came from */
	pthread_mutex_t mu;        /* blobs are written from several threads */
	struct wn_strlist pend_tmp, pend_final; /* renames that wait for the commit */
	struct wn__journal **pend_j;  /* ... and each blob's resume journal (NULL: none), pend_tmp's size */
	size_t pend_j_cap;
	char *abs_dir;             /* DIR as an absolute path: what journals name */
	char *resume_base;         /* "oci:/ABS/DIR", or the archive's "oci-archive:/ABS/FILE": journals' keys */
	bool dst;                  /* opened to be written */
	bool private_;             /* an archive's own copy under $TMPDIR: no other writer, no lock */
	char *created;             /* the outermost directory this copy created (NULL: DIR was there) */
	bool fresh;                /* DIR held no layout when opened: what a failure leaves is removed */
	struct wn_strlist committed; /* files renamed into place, for the removal of a fresh DIR */
	bool indexed;              /* index.json was written: the copy is in the layout */
	long index;                /* ":@N": index.json's entry N is the image (-1: none) */
	const char *docker_type;   /* a Docker media type this copy wrote (static), for the warning */
};

/* Files written but not yet renamed into place (a failed copy unlinks them),
 * with the resume journal of each blob (j, may be NULL), which goes when the
 * file gets its name or is removed: until then a killed run's next run finds
 * the blob complete and takes it as it is, checked again. */
static int pend(struct layout *l, char *tmp, const char *final, struct wn__journal *j)
{
	pthread_mutex_lock(&l->mu);
	int rc = WN_OK;
	if (l->pend_tmp.n >= l->pend_j_cap) {
		size_t cap = l->pend_j_cap ? l->pend_j_cap * 2 : 16;
		struct wn__journal **n = realloc(l->pend_j, cap * sizeof *n);
		if (n) {
			l->pend_j = n;
			l->pend_j_cap = cap;
		} else {
			rc = WN_ENOMEM;
		}
	}
	if (rc == WN_OK && (rc = wn__strlist_push_owned(&l->pend_tmp, tmp)) == WN_OK &&
	    (rc = wn__strlist_push(&l->pend_final, final)) != WN_OK)
		free(l->pend_tmp.items[--l->pend_tmp.n]);
	if (rc == WN_OK)
		l->pend_j[l->pend_tmp.n - 1] = j;
	pthread_mutex_unlock(&l->mu);
	return rc;
}

static bool pending(struct layout *l, const char *final)
{
	bool yes = false;
	pthread_mutex_lock(&l->mu);
	for (size_t i = 0; i < l->pend_final.n && !yes; i++)
		yes = !strcmp(l->pend_final.items[i], final);
	pthread_mutex_unlock(&l->mu);
	return yes;
}

static int commit(struct wn_ctx *ctx, struct layout *l)
{
	int rc = WN_OK;
	pthread_mutex_lock(&l->mu);
	for (size_t i = 0; i < l->pend_tmp.n; i++) {
		if (rc == WN_OK && rename(l->pend_tmp.items[i], l->pend_final.items[i]))
			rc = wn__write_fail(ctx, "write", l->pend_final.items[i], errno);
		if (rc != WN_OK)
			unlink(l->pend_tmp.items[i]);
		else if (l->fresh) /* remembered only where a failure removes them */
			wn__strlist_push(&l->committed, l->pend_final.items[i]);
		wn__journal_done(l->pend_j[i]); /* in place, or gone: nothing to resume */
		free(l->pend_tmp.items[i]);
		free(l->pend_final.items[i]);
	}
	l->pend_tmp.n = l->pend_final.n = 0;
	pthread_mutex_unlock(&l->mu);
	return rc;
}

/* blobs/ALG/HEX, or NULL (errno EINVAL) for anything but a well-formed
 * digest: digests come from index.json and manifests, which whoever made the
 * layout or the archive controls, and "sha256:../../etc/passwd" is a path. */
static char *blob_path(const struct layout *l, const char *digest)
{
	if (!digest || wn_digest_validate(digest, NULL) != WN_OK) {
		errno = EINVAL;
		return NULL;
	}
	const char *colon = strchr(digest, ':');
	return wn__sprintf("%s/blobs/%.*s/%s", l->dir, (int)(colon - digest), digest, colon + 1);
}

/* The error for a blob_path that gave NULL. */
static int path_fail(struct wn_ctx *ctx, const struct layout *l, const char *digest)
{
	if (errno == EINVAL)
		return wn__ctx_fail(ctx, WN_ECORRUPT, "%s names an invalid digest \"%.100s\": refused", l->name,
		                    digest ? digest : "");
	return wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
}

/* index.json, or an empty index when the layout has none yet. */
static int read_index(struct wn_ctx *ctx, const struct layout *l, cJSON **out)
{
	char *p = wn__sprintf("%s/index.json", l->dir);
	unsigned char *data;
	size_t len;
	int rc = p ? wn__file_read(ctx, p, INDEX_MAX, &data, &len) : WN_ENOMEM;
	*out = NULL;
	if (rc == WN_ENOTFOUND) {
		*out = cJSON_Parse("{\"schemaVersion\":2,\"manifests\":[]}");
		free(p);
		return WN_OK;
	}
	if (rc == WN_OK) {
		*out = wn__json_parse(data, len);
		free(data);
		if (!cJSON_IsObject(*out) || !cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(*out, "manifests"))) {
			cJSON_Delete(*out);
			*out = NULL;
			rc = wn__ctx_fail(ctx, WN_ECORRUPT, "%s is not an OCI image index", p);
		}
	}
	free(p);
	return rc;
}

static const char *entry_name(const cJSON *entry)
{
	return wn__json_str(cJSON_GetObjectItemCaseSensitive(entry, "annotations"), REF_NAME);
}

/* The index.json entry an image name names: the first whose ref.name it is,
 * as containers/image picks; with no name, entry N of ":@N", else the only
 * entry. */
static int find_entry(struct wn_ctx *ctx, const struct layout *l, const cJSON *idx, const char *tag, const cJSON **out)
{
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(idx, "manifests"), *e;
	int n = cJSON_GetArraySize(arr);
	*out = NULL;
	if (!tag && l->index >= 0) {
		if (l->index < n) {
			*out = cJSON_GetArrayItem(arr, (int)l->index);
			return WN_OK;
		}
		return wn__ctx_fail(ctx, WN_ENOTFOUND, "%s: index %ld is too large, only %d entries available", l->name,
		                    l->index, n);
	}
	if (!tag) {
		if (n == 1) {
			*out = cJSON_GetArrayItem(arr, 0);
			return WN_OK;
		}
		return wn__ctx_fail(ctx, n ? WN_EINVAL : WN_ENOTFOUND, "%s holds %d images: name one as %s:NAME (or :@N)",
		                    l->name, n, l->name);
	}
	cJSON_ArrayForEach(e, arr) {
		const char *name = entry_name(e);
		if (name && !strcmp(name, tag)) {
			*out = e;
			break;
		}
	}
	return *out ? WN_OK : wn__ctx_fail(ctx, WN_ENOTFOUND, "%s has no image named %s", l->name, tag);
}

/* Opens a blob to read it.  Not through a symbolic link: a layout made by
 * someone else could name blobs/sha256/HEX -> ~/.ssh/id_rsa, and its bytes
 * would be hashed (the hash printed) and streamed to the destination. */
static int open_blob(const char *path)
{
	return open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
}

static int open_fail(struct wn_ctx *ctx, const struct layout *l, const char *digest, int err)
{
	if (err == ELOOP)
		return wn__ctx_fail(ctx, WN_ECORRUPT, "%s: blob %s is a symbolic link: refused", l->name, digest);
	return wn__ctx_fail(ctx, err == ENOENT ? WN_ENOTFOUND : WN_EIO, "%s: blob %s: %s", l->name, digest, strerror(err));
}

/* A small blob into memory (capped at max); WN_ENOTFOUND without a message when absent. */
static int read_small(struct wn_ctx *ctx, const struct layout *l, const char *path, const char *digest, size_t max,
                      unsigned char **out, size_t *len)
{
	struct wn__buf b = { .max = max };
	unsigned char chunk[65536];
	int fd = open_blob(path), rc = WN_OK;
	*out = NULL;
	if (fd < 0)
		return errno == ENOENT ? WN_ENOTFOUND : open_fail(ctx, l, digest, errno);
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof chunk);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = open_fail(ctx, l, digest, errno);
			break;
		}
		if (!n || b.overflow)
			break;
		if (wn__buf_append(&b, chunk, (size_t)n) != WN_OK) {
			rc = wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
			break;
		}
	}
	close(fd);
	if (rc == WN_OK && b.overflow)
		rc = wn__ctx_fail(ctx, WN_ECORRUPT, "%s: manifest %s is larger than %zu bytes", l->name, digest, max);
	if (rc == WN_OK)
		rc = wn__buf_cstr(&b);
	if (rc != WN_OK) {
		wn__buf_free(&b);
		return rc;
	}
	*out = b.data;
	*len = b.len;
	return WN_OK;
}

/* A manifest blob, checked against its digest. */
static int read_manifest(struct wn_ctx *ctx, const struct layout *l, const char *digest, const char *media_type,
                         struct wn_manifest **out)
{
	struct wn_error err;
	unsigned char *data;
	size_t len;
	char *p = blob_path(l, digest);
	int rc = p ? read_small(ctx, l, p, digest, WN__MANIFEST_MAX, &data, &len) : path_fail(ctx, l, digest);
	if (rc == WN_ENOTFOUND)
		rc = wn__ctx_fail(ctx, WN_ENOTFOUND, "%s has no manifest %s", l->name, digest);
	free(p);
	if (rc != WN_OK)
		return rc;
	struct wn_hasher *h;
	char got[WN_DIGEST_MAX];
	/* a signed schema 1 manifest's digest is over its JWS payload: refuse it for what it is first */
	if (wn__manifest_refuse(data, len, media_type, &err) != WN_OK) {
		free(data);
		return wn__ctx_take(ctx, &err);
	}
	if ((rc = wn_hasher_new(&h, digest, &err)) != WN_OK) {
		free(data);
		return wn__ctx_take(ctx, &err);
	}
	wn_hasher_update(h, data, len);
	wn_hasher_final(h, got);
	wn_hasher_free(h);
	if (strcmp(got, digest))
		rc = wn__ctx_fail(ctx, WN_EDIGEST, "digest mismatch: %s manifest %s has content %s", l->name, digest, got);
	else if ((rc = wn_manifest_parse(out, data, len, media_type, &err)) != WN_OK)
		rc = wn__ctx_take(ctx, &err);
	free(data);
	return rc;
}

/* ---- source ----------------------------------------------------------- */

/* What the copy engine hands a layout is a digest or an image name, and a
 * name may hold ':' ("127.0.0.1:5000/small:latest"): only a well-formed
 * digest is a digest (so is a name that is one, "sha256:<64 hex>"). */
static bool is_digest(const char *ref)
{
	return ref && wn_digest_validate(ref, NULL) == WN_OK;
}

static int lay_manifest_get(struct wn__src *s, struct wn_ctx *ctx, const char *ref, struct wn_manifest **out)
{
	struct layout *l = s->impl;
	*out = NULL;
	if (is_digest(ref))
		return read_manifest(ctx, l, ref, NULL, out);
	cJSON *idx;
	const cJSON *e;
	int rc = read_index(ctx, l, &idx);
	if (rc == WN_OK && (rc = find_entry(ctx, l, idx, ref, &e)) == WN_OK) {
		const char *d = wn__json_str(e, "digest");
		rc = d ? read_manifest(ctx, l, d, wn__json_str(e, "mediaType"), out)
		       : wn__ctx_fail(ctx, WN_ECORRUPT, "%s/index.json: an entry without a digest", l->name);
	}
	cJSON_Delete(idx);
	return rc;
}

static int lay_blob_stream(struct wn__src *s, struct wn_ctx *ctx, const struct wn_descriptor *d, uint64_t offset,
                           wn__sink_fn sink, void *data)
{
	struct layout *l = s->impl;
	char *p = blob_path(l, d->digest);
	int fd = p ? open_blob(p) : -1, rc = WN_OK, err = errno;
	unsigned char *buf = malloc(READ_CHUNK);
	if (!p) {
		rc = path_fail(ctx, l, d->digest);
		goto done;
	}
	if (fd < 0 || !buf) {
		rc = fd < 0 ? open_fail(ctx, l, d->digest, err) : wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
		goto done;
	}
	if (offset && lseek(fd, (off_t)offset, SEEK_SET) < 0) {
		rc = wn__ctx_fail(ctx, WN_EIO, "%s: blob %s: %s", l->name, d->digest, strerror(errno));
		goto done;
	}
	for (;;) {
		if ((rc = wn__check_cancel(ctx)) != WN_OK)
			break;
		ssize_t n = read(fd, buf, READ_CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = wn__ctx_fail(ctx, WN_EIO, "%s: blob %s: %s", l->name, d->digest, strerror(errno));
			break;
		}
		if (!n)
			break;
		if (sink(data, buf, (size_t)n) != (size_t)n) {
			rc = wn__ctx_fail(ctx, WN_ECANCELED, "stopped");
			break;
		}
	}
done:
	if (fd >= 0)
		close(fd);
	free(buf);
	free(p);
	return rc;
}

static bool name_ok(const char *name);

static int lay_tags(struct wn__src *s, struct wn_ctx *ctx, struct wn_strlist **out)
{
	struct layout *l = s->impl;
	cJSON *idx;
	const cJSON *e;
	int rc = read_index(ctx, l, &idx);
	*out = NULL;
	if (rc != WN_OK)
		return rc;
	struct wn_strlist *t = calloc(1, sizeof *t);
	/* only names that are valid tags: they may become a registry's tags (--referrers) */
	cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(idx, "manifests"))
		if (t && entry_name(e) && wn_tag_validate(entry_name(e), NULL) == WN_OK)
			wn__strlist_push(t, entry_name(e));
	cJSON_Delete(idx);
	*out = t;
	return t ? WN_OK : WN_ENOMEM;
}

static void remove_created(struct layout *l);

static void layout_free(struct layout *l)
{
	if (!l)
		return;
	/* what a failed copy wrote never got its name: remove it */
	for (size_t i = 0; i < l->pend_tmp.n; i++) {
		unlink(l->pend_tmp.items[i]);
		wn__journal_done(l->pend_j[i]);
		free(l->pend_tmp.items[i]);
		free(l->pend_final.items[i]);
	}
	l->pend_tmp.n = l->pend_final.n = 0;
	if (l->dst && l->fresh && !l->indexed && !l->private_)
		remove_created(l);
	for (size_t i = 0; i < l->committed.n; i++)
		free(l->committed.items[i]);
	free(l->committed.items);
	free(l->pend_tmp.items);
	free(l->pend_final.items);
	free(l->pend_j);
	free(l->abs_dir);
	free(l->resume_base);
	pthread_mutex_destroy(&l->mu);
	free(l->created);
	free(l->dir);
	free(l->name);
	free(l);
}

static void lay_src_free(struct wn__src *s)
{
	layout_free(s->impl);
	free(s->name);
	free(s->tag);
	free(s->digest);
	free(s->base);
	free(s);
}

static const struct wn__src_ops layout_src_ops = { lay_manifest_get, lay_blob_stream, NULL, lay_tags, lay_src_free };

/* ---- destination ------------------------------------------------------ */

/* mkdir -p; *created (if given) gets the outermost directory it made, NULL if none. */
static int mkdirs(const char *dir, char **created)
{
	char *tmp = strdup(dir);
	int rc = tmp ? 0 : -1;
	size_t n = tmp ? strlen(tmp) : 0;
	if (created)
		*created = NULL;
	/* each prefix ending before a '/', then the whole path */
	for (size_t i = 1; tmp && i <= n && !rc; i++) {
		if (i < n && tmp[i] != '/')
			continue;
		char c = tmp[i];
		tmp[i] = 0;
		if (!mkdir(tmp, 0755)) {
			if (created && !*created && !(*created = strdup(tmp)))
				rc = -1;
		} else if (errno != EEXIST) {
			rc = -1;
		}
		tmp[i] = c;
	}
	free(tmp);
	return rc;
}

/* Writes `data` to `path` through a temp file and a rename; with l, the
 * rename waits for the commit. */
static int write_file(struct wn_ctx *ctx, struct layout *l, const char *path, const void *data, size_t len)
{
	char *tmp = wn__sprintf("%s.winch-tmp-%d-XXXXXX", path, (int)getpid());
	int fd = tmp ? mkstemp(tmp) : -1, rc = WN_OK;
	if (fd < 0) {
		rc = wn__write_fail(ctx, "write", path, errno);
		free(tmp);
		return rc;
	}
	fchmod(fd, 0644);
	const char *p = data;
	size_t left = len;
	while (left) {
		ssize_t w = write(fd, p, left);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			break;
		p += w;
		left -= (size_t)w;
	}
	if (left || fsync(fd) || close(fd) || (!l && rename(tmp, path))) {
		rc = wn__write_fail(ctx, "write", path, errno);
		if (left)
			close(fd);
		unlink(tmp);
	} else if (l) {
		if ((rc = pend(l, tmp, path, NULL)) != WN_OK)
			unlink(tmp);
		else
			tmp = NULL;
	}
	free(tmp);
	return rc;
}

static int write_atomic(struct wn_ctx *ctx, const char *path, const void *data, size_t len)
{
	return write_file(ctx, NULL, path, data, len);
}

/* Removes temp files whose writer is gone (a crash, a kill), except the
 * partial downloads a resume journal younger than a week names: those wait
 * for the next run of their copy (journal.c), and go with their journal. */
static void clean_temps(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	struct wn_strlist *journaled = NULL;
	char *abs = d ? realpath(dir, NULL) : NULL;
	while (d && (e = readdir(d))) {
		const char *t = strstr(e->d_name, ".winch-tmp-");
		if (!t)
			continue;
		int pid = atoi(t + 11);
		if (pid > 0 && (kill(pid, 0) == 0 || errno != ESRCH))
			continue;
		char *p = wn__sprintf("%s/%s", dir, e->d_name), *ap = abs ? wn__sprintf("%s/%s", abs, e->d_name) : NULL;
		if (!journaled)
			journaled = wn__journal_files();
		if (p && !wn__journal_names(journaled, ap ? ap : p))
			unlink(p);
		free(ap);
		free(p);
	}
	if (d)
		closedir(d);
	free(abs);
	wn_strlist_free(journaled);
}

/* Takes the layout's index lock (an flock on index.json.lock): waiting for
 * it, unless `wait` is false (then WN_EREFUSED when another writer holds it),
 * and giving up when the call is cancelled.  *fd: close it to unlock. */
static int lock_index(struct wn_ctx *ctx, const struct layout *l, bool wait, int *fd)
{
	char *p = wn__sprintf("%s/" LOCK_NAME, l->dir);
	long slept = 0, step = 2;
	int rc = WN_OK;
	*fd = p ? open(p, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644) : -1;
	if (*fd < 0) {
		rc = ctx ? wn__ctx_fail(ctx, WN_EIO, "cannot lock %s: %s", p ? p : l->dir, strerror(errno)) : WN_EIO;
		goto done;
	}
	/* polled rather than blocking, so an interrupt is never stuck behind another writer */
	while (flock(*fd, LOCK_EX | LOCK_NB)) {
		if (errno == EINTR)
			continue;
		if (errno != EWOULDBLOCK || !wait) {
			rc = errno == EWOULDBLOCK ? WN_EREFUSED : ctx ? wn__ctx_fail(ctx, WN_EIO, "cannot lock %s: %s", p, strerror(errno)) : WN_EIO;
			break;
		}
		if (ctx && (rc = wn__check_cancel(ctx)) != WN_OK)
			break;
		if (slept >= 2000 && slept - step < 2000)
			wn__log(ctx, WN_LOG_INFO, "waiting for another writer of %s (%s)", l->name, p);
		wn__sleep_ms(ctx, step);
		slept += step;
		if (step < 50)
			step *= 2;
	}
	if (rc != WN_OK && *fd >= 0) {
		close(*fd);
		*fd = -1;
	}
done:
	free(p);
	return rc;
}

static void rmdir_in(const char *dir, const char *name)
{
	char *p = wn__sprintf("%s/%s", dir, name);
	if (p)
		rmdir(p);
	free(p);
}

static void unlink_in(const char *dir, const char *name)
{
	char *p = wn__sprintf("%s/%s", dir, name);
	if (p)
		unlink(p);
	free(p);
}

/* A copy that failed in a directory that held no layout (or that it
 * created) takes away what it put there, and the directories it created,
 * unless another writer has made it a layout meanwhile (index.json exists)
 * or is writing in it now (holds the lock, or has files of its own there:
 * directories are only ever removed when empty). */
static void remove_created(struct layout *l)
{
	int fd;
	struct stat st;
	char *ip = wn__sprintf("%s/index.json", l->dir), *blobs = wn__sprintf("%s/blobs", l->dir);
	if (!ip || !blobs || lock_index(NULL, l, false, &fd) != WN_OK)
		goto done;
	if (stat(ip, &st)) {
		for (size_t i = 0; i < l->committed.n; i++)
			unlink(l->committed.items[i]);
		DIR *d = opendir(blobs);
		struct dirent *e;
		while (d && (e = readdir(d)))
			if (e->d_name[0] != '.')
				rmdir_in(blobs, e->d_name);
		if (d)
			closedir(d);
		if (!rmdir(blobs) || errno == ENOENT) {
			unlink_in(l->dir, "oci-layout");
			unlink_in(l->dir, LOCK_NAME);
			/* DIR, then each parent this copy made, while they are empty */
			char *p = l->created ? strdup(l->dir) : NULL;
			size_t keep = p ? strlen(l->created) : 0;
			while (p && strlen(p) >= keep && !rmdir(p)) {
				char *slash = strrchr(p, '/');
				if (!slash || slash == p)
					break;
				*slash = 0;
			}
			free(p);
		}
	}
	close(fd);
done:
	free(ip);
	free(blobs);
}

static int lay_blob_exists(struct wn__dst *dd, struct wn_ctx *ctx, const struct wn_descriptor *desc, bool *yes)
{
	struct layout *l = dd->impl;
	char *p = blob_path(l, desc->digest);
	struct stat st;
	*yes = p && ((!stat(p, &st) && S_ISREG(st.st_mode) && st.st_size == desc->size) || pending(l, p));
	free(p);
	return WN_OK;
}

/* Resume journals: blobs of at least RESUME_MIN bytes are journaled, with a
 * checkpoint (the digest of the bytes written so far) every
 * size/16 bytes, at least CKPT_MIN and at most CKPT_MAX: a killed pull's next
 * run fetches at most that much again, and a 512 MiB pull writes 64 small
 * journal updates (no fsync: see adopt()). */
#define RESUME_MIN (1u << 20)
#define CKPT_MIN (1u << 20)
#define CKPT_MAX WRITEBACK_STEP

static uint64_t ckpt_step(uint64_t size)
{
	uint64_t s = size / 16;
	return s < CKPT_MIN ? CKPT_MIN : s > CKPT_MAX ? CKPT_MAX : s;
}

/* A path under DIR as journals name it: absolute. */
static char *abs_name(const struct layout *l, const char *path)
{
	size_t n = strlen(l->dir);
	if (l->abs_dir && !strncmp(path, l->dir, n) && path[n] == '/')
		return wn__sprintf("%s%s", l->abs_dir, path + n);
	return path[0] == '/' ? strdup(path) : NULL;
}

/* `file` the partial file, `final` the name it gets (both absolute): a journal
 * whose blob is in place was finished by someone, and goes with its file. */
static void checkpoint(struct wn__journal *j, const char *key, const struct wn_descriptor *desc, const char *file,
                       const char *final, uint64_t off, const char *prefix)
{
	cJSON *st = file && final ? cJSON_CreateObject() : NULL;
	if (!st)
		return;
	cJSON_AddStringToObject(st, "digest", desc->digest);
	cJSON_AddNumberToObject(st, "size", (double)desc->size);
	cJSON_AddStringToObject(st, "file", file);
	cJSON_AddStringToObject(st, "final", final);
	cJSON_AddNumberToObject(st, "offset", (double)off);
	cJSON_AddStringToObject(st, "prefix", prefix);
	wn__journal_write(j, "download", key, st);
	cJSON_Delete(st);
}

/* The partial file a killed run left for this blob (its journal `prev`),
 * taken over: renamed onto tmp (which it replaces) and reopened as *fd.  Its
 * first bytes are hashed again: when they are what the journal recorded,
 * they stay (anything after them goes: nothing unverified counts) and the
 * feed goes on from there, else the file starts empty.  *written: the bytes
 * kept.  The journal is not synced to disk, nor are the bytes at a
 * checkpoint: after a power cut either may be older than the other, which
 * the hash finds. */
static int adopt(struct wn_ctx *ctx, struct layout *l, const struct wn_descriptor *desc, struct wn__feed *feed,
                 const cJSON *prev, const char *tmp, int *fd, uint64_t *written)
{
	const char *file = wn__json_str(prev, "file"), *prefix = wn__json_str(prev, "prefix");
	const char *digest = wn__json_str(prev, "digest");
	int64_t off = -1, size = -1;
	struct wn_hasher *h = NULL;
	unsigned char *buf = NULL;
	struct stat st;
	int rc = WN_OK;
	*written = 0;
	if (!file || file[0] != '/' || !prefix || !digest || strcmp(digest, desc->digest) ||
	    !wn__json_size(cJSON_GetObjectItemCaseSensitive(prev, "size"), &size) || size != desc->size ||
	    !wn__json_size(cJSON_GetObjectItemCaseSensitive(prev, "offset"), &off) || off <= 0 || off > size)
		return WN_OK;
	if (rename(file, tmp)) { /* gone, or on another file system */
		wn__log(ctx, WN_LOG_DEBUG, "the partial download %s a previous run left: %s", file, strerror(errno));
		return WN_OK;
	}
	int nfd = open(tmp, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
	if (nfd < 0 || fstat(nfd, &st) || !S_ISREG(st.st_mode)) {
		if (nfd >= 0)
			close(nfd);
		return wn__write_fail(ctx, "open", tmp, errno ? errno : EINVAL);
	}
	close(*fd);
	*fd = nfd;
	fchmod(nfd, 0644);
	char got[WN_DIGEST_MAX] = "";
	if (st.st_size >= off && wn_hasher_new(&h, desc->digest, NULL) == WN_OK && (buf = malloc(READ_CHUNK))) {
		uint64_t done = 0;
		while (done < (uint64_t)off) {
			size_t want = (uint64_t)off - done < READ_CHUNK ? (size_t)((uint64_t)off - done) : READ_CHUNK;
			ssize_t n = pread(nfd, buf, want, (off_t)done);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break;
			wn_hasher_update(h, buf, (size_t)n);
			done += (uint64_t)n;
			if ((rc = wn__check_cancel(ctx)) != WN_OK)
				goto done;
		}
		struct wn_hasher *copy = NULL;
		if (done == (uint64_t)off && wn_hasher_new(&copy, desc->digest, NULL) == WN_OK &&
		    wn__hasher_copy(copy, h) == WN_OK)
			wn_hasher_final(copy, got);
		wn_hasher_free(copy);
	}
	if (strcmp(got, prefix) || (off == size && strcmp(got, desc->digest))) {
		wn__log(ctx, WN_LOG_INFO, "the partial download of %s a previous run left does not hash to what its journal "
		        "recorded: starting it again", desc->digest);
		if (ftruncate(nfd, 0))
			rc = wn__write_fail(ctx, "write", tmp, errno);
		goto done;
	}
	if (ftruncate(nfd, off) || lseek(nfd, off, SEEK_SET) < 0) {
		rc = wn__write_fail(ctx, "write", tmp, errno);
		goto done;
	}
	if (off < size && (rc = wn__feed_start_at(feed, (uint64_t)off, h)) != WN_OK) {
		rc = wn__ctx_fail(ctx, rc, "cannot resume the download of %s", desc->digest);
		goto done;
	}
	wn__log(ctx, WN_LOG_INFO, "resuming the download of %s at byte %" PRId64 " of %" PRId64
	        " (a previous run stopped there)", desc->digest, off, size);
	*written = (uint64_t)off;
done:
	wn_hasher_free(h);
	free(buf);
	return rc;
}

static int lay_blob_write(struct wn__dst *dd, struct wn_ctx *ctx, const struct wn_descriptor *desc,
                          struct wn__feed *feed, const struct wn__src *from, bool *mounted)
{
	struct layout *l = dd->impl;
	char *p = blob_path(l, desc->digest), *dir = p ? strdup(p) : NULL, *tmp = NULL, *key = NULL, *abs_tmp = NULL;
	char *abs_p = NULL;
	unsigned char *buf = malloc(READ_CHUNK);
	struct wn__journal *j = NULL;
	cJSON *prev = NULL;
	int fd = -1, rc = WN_OK;
	char prefix[WN_DIGEST_MAX];
	*mounted = false;
	if (!p) {
		rc = path_fail(ctx, l, desc->digest);
		goto done;
	}
	if (!dir || !buf) {
		rc = wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
		goto done;
	}
	*strrchr(dir, '/') = 0;
	if (mkdirs(dir, NULL) || !(tmp = wn__sprintf("%s.winch-tmp-%d-XXXXXX", p, (int)getpid())) || (fd = mkstemp(tmp)) < 0) {
		rc = wn__write_fail(ctx, "write in", dir, errno);
		goto done;
	}
	fchmod(fd, 0644);
	uint64_t written = 0, flushed = 0, ckpt = 0, step = ckpt_step((uint64_t)desc->size);
	/* what a killed run left of this blob: its journal names the partial file */
	if (dd->resume && l->resume_base && desc->size >= (int64_t)RESUME_MIN && (abs_tmp = abs_name(l, tmp)) &&
	    (abs_p = abs_name(l, p)) &&
	    (key = wn__sprintf("%s@%s", l->resume_base, desc->digest)) &&
	    wn__journal_open(ctx, "download", key, &j, &prev) == WN_OK && j) {
		if (prev && (rc = adopt(ctx, l, desc, feed, prev, tmp, &fd, &written)) != WN_OK)
			goto fail;
		flushed = ckpt = written;
		/* the partial file is this run's now: a second kill finds it under its new name */
		if (written)
			checkpoint(j, key, desc, abs_tmp, abs_p, written, written == (uint64_t)desc->size ? desc->digest :
			           wn__json_str(prev, "prefix"));
	}
	while (written < (uint64_t)desc->size || !desc->size) {
		ssize_t n = wn__feed_read(feed, buf, READ_CHUNK);
		if (n < 0) {
			struct wn_error err;
			wn__feed_error(feed, &err);
			rc = wn__ctx_take(ctx, &err);
			break;
		}
		if (!n)
			break;
		for (ssize_t off = 0; off < n;) {
			ssize_t w = write(fd, buf + off, (size_t)(n - off));
			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0) {
				rc = wn__write_fail(ctx, "write", tmp, errno);
				break;
			}
			off += w;
		}
		if (rc != WN_OK)
			break;
		/* start writeback as we go, so the fsync at the end has little left to wait for */
		written += (uint64_t)n;
		if (written - flushed >= WRITEBACK_STEP) {
			sync_file_range(fd, (off_t)flushed, (off_t)(written - flushed), SYNC_FILE_RANGE_WRITE);
			flushed = written;
		}
		if (j && written - ckpt >= step && written < (uint64_t)desc->size && wn__feed_prefix(feed, prefix) == WN_OK) {
			checkpoint(j, key, desc, abs_tmp, abs_p, written, prefix);
			ckpt = written;
		}
	}
	/* only a verified blob gets its name, when the copy commits */
	if (rc == WN_OK && (fsync(fd) || close(fd)))
		rc = wn__write_fail(ctx, "write", p, errno);
	else if (rc != WN_OK)
		close(fd);
	fd = -1;
	/* complete: a killed run's next run takes it as it is (checked again) until the commit names it */
	if (rc == WN_OK && j)
		checkpoint(j, key, desc, abs_tmp, abs_p, (uint64_t)desc->size, desc->digest);
	if (rc == WN_OK && (rc = pend(l, tmp, p, j)) == WN_OK) {
		tmp = NULL;
		j = NULL;
	}
fail:
	if (fd >= 0)
		close(fd);
	if (tmp)
		unlink(tmp);
done:
	wn__journal_done(j); /* failed or interrupted: nothing is left to resume */
	cJSON_Delete(prev);
	free(key);
	free(abs_tmp);
	free(abs_p);
	free(p);
	free(dir);
	free(tmp);
	free(buf);
	return rc;
}

static int lay_manifest_digest(struct wn__dst *dd, struct wn_ctx *ctx, const char *ref, char digest[WN_DIGEST_MAX])
{
	struct layout *l = dd->impl;
	if (is_digest(ref)) {
		char *p = blob_path(l, ref);
		struct stat st;
		bool have = p && !stat(p, &st);
		free(p);
		if (!have)
			return WN_ENOTFOUND;
		snprintf(digest, WN_DIGEST_MAX, "%s", ref);
		return WN_OK;
	}
	cJSON *idx;
	const cJSON *e;
	struct wn_error saved = ctx->err;
	int rc = read_index(ctx, l, &idx);
	if (rc == WN_OK && (rc = find_entry(ctx, l, idx, ref, &e)) == WN_OK) {
		const char *d = wn__json_str(e, "digest");
		if (d && wn_digest_validate(d, NULL) == WN_OK)
			snprintf(digest, WN_DIGEST_MAX, "%s", d);
		else
			rc = WN_ENOTFOUND; /* a broken entry: the copy replaces it */
	}
	if (rc == WN_ENOTFOUND)
		ctx->err = saved;
	cJSON_Delete(idx);
	return rc;
}

static int lay_manifest_put(struct wn__dst *dd, struct wn_ctx *ctx, const struct wn_manifest *m, const char *tag,
                            bool top)
{
	struct layout *l = dd->impl;
	char *p = blob_path(l, m->digest), *dir = p ? strdup(p) : NULL;
	struct stat st;
	int rc = WN_OK, lock_fd = -1;
	if (!p || !dir) {
		rc = wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
		goto done;
	}
	*strrchr(dir, '/') = 0;
	if (!strcmp(m->media_type, WN_MT_DOCKER_MANIFEST) || !strcmp(m->media_type, WN_MT_DOCKER_LIST))
		l->docker_type = !strcmp(m->media_type, WN_MT_DOCKER_LIST) ? WN_MT_DOCKER_LIST : WN_MT_DOCKER_MANIFEST;
	if (stat(p, &st) && !pending(l, p) && (mkdirs(dir, NULL) || (rc = write_file(ctx, l, p, m->data, m->len)) != WN_OK)) {
		if (rc == WN_OK)
			rc = wn__write_fail(ctx, "create", dir, errno);
		goto done;
	}
	if (!top)
		goto done;
	if ((rc = commit(ctx, l)) != WN_OK)
		goto done;
	/* index.json last: the layout shows the image only once everything is in
	 * place.  Read, merged and replaced under the lock: another writer's entry
	 * written meanwhile is kept */
	if (!l->private_ && (rc = lock_index(ctx, l, true, &lock_fd)) != WN_OK)
		goto done;
	char *lf = wn__sprintf("%s/oci-layout", l->dir);
	if (lf && stat(lf, &st)) {
		static const char layout_json[] = "{\"imageLayoutVersion\":\"1.0.0\"}";
		rc = write_atomic(ctx, lf, layout_json, sizeof layout_json - 1);
	}
	free(lf);
	cJSON *idx;
	if (rc != WN_OK || (rc = read_index(ctx, l, &idx)) != WN_OK)
		goto done;
	cJSON *arr = cJSON_GetObjectItemCaseSensitive(idx, "manifests"), *e = arr ? arr->child : NULL;
	while (e) {
		cJSON *next = e->next;
		const char *n = entry_name(e), *d = wn__json_str(e, "digest");
		if ((tag && n && !strcmp(n, tag)) || (!tag && !n && d && !strcmp(d, m->digest)))
			cJSON_Delete(cJSON_DetachItemViaPointer(arr, e));
		e = next;
	}
	cJSON *entry = cJSON_CreateObject();
	cJSON_AddStringToObject(entry, "mediaType", m->media_type);
	cJSON_AddStringToObject(entry, "digest", m->digest);
	cJSON_AddNumberToObject(entry, "size", (double)m->len);
	if (tag)
		cJSON_AddStringToObject(cJSON_AddObjectToObject(entry, "annotations"), REF_NAME, tag);
	cJSON_AddItemToArray(arr, entry);
	char *text = cJSON_PrintUnformatted(idx), *ip = wn__sprintf("%s/index.json", l->dir);
	cJSON_Delete(idx);
	rc = text && ip ? write_atomic(ctx, ip, text, strlen(text)) : wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
	if (rc == WN_OK)
		l->indexed = true;
	/* bytes and digests are kept, but not every reader takes Docker's types
	 * in a layout (containers/image only since 5.35: oci_transport.go
	 * getManifestDescriptor; umoci 0.6 never) */
	if (rc == WN_OK && l->docker_type)
		wn__log(ctx, WN_LOG_WARN, "%s: the image is in Docker's media types (%s), kept as they are: umoci, and "
		        "skopeo, podman or buildah on containers/image before 5.35 (skopeo before 1.19), read only OCI media "
		        "types from a layout; --dest-format oci converts it (its digest changes)",
		        l->name, l->docker_type);
	l->docker_type = NULL;
	free(text);
	free(ip);
done:
	if (lock_fd >= 0)
		close(lock_fd);
	free(p);
	free(dir);
	return rc;
}

static void lay_dst_free(struct wn__dst *d)
{
	layout_free(d->impl);
	free(d->name);
	free(d->tag);
	free(d->digest);
	free(d);
}

static const struct wn__dst_ops layout_dst_ops = { lay_blob_exists, lay_blob_write, lay_manifest_digest,
	                                               lay_manifest_put, NULL, lay_dst_free };

/* A name containers/image takes after "oci:DIR:" (oci_util.go
 * ValidateImageName): components of letters and digits joined by one of
 * "-._:@+" or by "--", separated by '/' ("127.0.0.1:5000/small:latest",
 * as podman writes them). */
static bool alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static bool cimage_name_ok(const char *p)
{
	for (;;) {
		if (!alnum(*p))
			return false;
		while (alnum(*p))
			p++;
		for (;;) {
			if (p[0] == '-' && p[1] == '-' && alnum(p[2]))
				p += 2;
			else if (*p && strchr("-._:@+", *p) && alnum(p[1]))
				p++;
			else
				break;
			while (alnum(*p))
				p++;
		}
		if (!*p)
			return true;
		if (*p++ != '/')
			return false;
	}
}

/* An image name a layout takes: containers/image's, or any valid tag (a tag
 * such as "v1__rc" or "_tmp" is no containers/image name, yet a pull of it
 * names its image so). */
static bool name_ok(const char *name)
{
	return *name && strlen(name) <= NAME_MAX_LEN && (cimage_name_ok(name) || wn_tag_validate(name, NULL) == WN_OK);
}

int wn__layout_ref_parse(struct wn_ctx *ctx, const char *where, const char *ref, bool dst, char **name, char **digest,
                         long *index)
{
	struct wn_error err;
	*name = *digest = NULL;
	*index = -1;
	if (!ref || !*ref)
		return WN_OK;
	if (ref[0] != '@') {
		if (!name_ok(ref))
			return wn__ctx_fail(ctx, WN_EINVAL,
			                    "invalid image name \"%.300s\" in %s: letters and digits joined by one of -._:@+ "
			                    "or --, parts separated by /, or a valid tag",
			                    ref, where);
		return (*name = strdup(ref)) ? WN_OK : wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
	}
	if (strchr(ref, ':')) { /* winch's ":@DIGEST" */
		if (wn_digest_validate(ref + 1, &err) != WN_OK)
			return wn__ctx_fail(ctx, WN_EINVAL, "%s: %s", where, err.msg);
		return (*digest = strdup(ref + 1)) ? WN_OK : wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
	}
	/* containers/image's source index ":@N" */
	char *end;
	errno = 0;
	long n = strtol(ref + 1, &end, 10);
	if (!ref[1] || *end || errno || ref[1] == '+' || ref[1] == ' ')
		return wn__ctx_fail(ctx, WN_EINVAL, "invalid source index %s in %s: not an integer", ref, where);
	if (n < 0 || ref[1] == '-')
		return wn__ctx_fail(ctx, WN_EINVAL, "invalid source index %s in %s: must not be negative", ref, where);
	if (dst)
		return wn__ctx_fail(ctx, WN_EINVAL, "%s: a destination takes an image name, not a source index (%s)", where,
		                    ref);
	*index = n > INT_MAX ? INT_MAX : n;
	return WN_OK;
}

/* The layout of `dir`, for the image `ref` names (see wn__layout_ref_parse). */
static int layout_new(struct wn_ctx *ctx, const char *dir, size_t n, const char *ref, bool dst, struct layout **out,
                      char **name, char **digest)
{
	struct layout *l = calloc(1, sizeof *l);
	*out = l;
	*name = *digest = NULL;
	if (!l || !(l->dir = strndup(dir, n)))
		return wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
	pthread_mutex_init(&l->mu, NULL);
	l->index = -1;
	while (n > 1 && l->dir[n - 1] == '/')
		l->dir[--n] = 0;
	if (!(l->name = wn__sprintf("oci:%s", l->dir)))
		return wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
	if (!n)
		return wn__ctx_fail(ctx, WN_EINVAL, "oci: needs a directory (oci:DIR[:NAME])");
	return wn__layout_ref_parse(ctx, l->name, ref, dst, name, digest, &l->index);
}

/* "DIR[:NAME]": DIR ends at the first ':', as containers/image reads it, and
 * NAME may hold ':' and '/'.  winch's "DIR@sha256:HEX" stays: when the text
 * before the first ':' ends in "@sha256" or "@sha512", what follows '@' is a
 * digest (a directory whose name ends so is written "DIR/"). */
static int split(struct wn_ctx *ctx, const char *spec, bool dst, struct layout **l, char **name, char **digest)
{
	const char *colon = strchr(spec, ':');
	size_t n = colon ? (size_t)(colon - spec) : strlen(spec);
	static const char *const algs[] = { "@sha256", "@sha512" };
	for (size_t i = 0; colon && i < 2; i++) {
		size_t k = strlen(algs[i]);
		if (n >= k && !memcmp(spec + n - k, algs[i], k)) {
			char *ref = wn__sprintf("@%s", spec + n - k + 1);
			int rc = ref ? layout_new(ctx, spec, n - k, ref, dst, l, name, digest)
			             : wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
			free(ref);
			return rc;
		}
	}
	return layout_new(ctx, spec, n, colon ? colon + 1 : NULL, dst, l, name, digest);
}

static int src_open(struct wn__src **out, struct wn_ctx *ctx, struct wn__src *s, struct layout *l, int rc,
                    const char *spec)
{
	struct stat st;
	*out = NULL;
	s->ops = &layout_src_ops;
	s->impl = l;
	if (rc == WN_OK && (stat(l->dir, &st) || !S_ISDIR(st.st_mode)))
		rc = wn__ctx_fail(ctx, WN_ENOTFOUND, "%s: no such directory", l->name);
	if (rc == WN_OK && (!(s->name = wn__sprintf("oci:%s", spec)) || !(s->base = strdup(l->name))))
		rc = wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
	if (rc != WN_OK) {
		lay_src_free(s);
		return rc;
	}
	*out = s;
	return WN_OK;
}

int wn__layout_src_new(struct wn__src **out, struct wn_ctx *ctx, const char *spec)
{
	struct wn__src *s = calloc(1, sizeof *s);
	struct layout *l = NULL;
	if (!s)
		return wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
	int rc = split(ctx, spec, false, &l, &s->tag, &s->digest);
	return src_open(out, ctx, s, l, rc, spec);
}

int wn__layout_src_at(struct wn__src **out, struct wn_ctx *ctx, const char *dir, const char *ref)
{
	struct wn__src *s = calloc(1, sizeof *s);
	struct layout *l = NULL;
	if (!s)
		return wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
	int rc = layout_new(ctx, dir, strlen(dir), ref, false, &l, &s->tag, &s->digest);
	return src_open(out, ctx, s, l, rc, dir);
}

static int dst_open(struct wn__dst **out, struct wn_ctx *ctx, struct wn__dst *d, struct layout *l, int rc,
                    const char *spec)
{
	*out = NULL;
	d->ops = &layout_dst_ops;
	d->impl = l;
	if (l)
		l->dst = true;
	if (rc == WN_OK && mkdirs(l->dir, &l->created))
		rc = wn__write_fail(ctx, "create", l->dir, errno);
	if (rc == WN_OK) {
		/* oci-layout is written with index.json, at the end: a failed first
		 * copy leaves no half layout, and its directory goes (remove_created) */
		char *b = wn__sprintf("%s/blobs", l->dir), *b256 = wn__sprintf("%s/blobs/sha256", l->dir);
		char *lf = wn__sprintf("%s/oci-layout", l->dir), *ip = wn__sprintf("%s/index.json", l->dir);
		struct stat st;
		l->fresh = b && lf && ip && stat(b, &st) && stat(lf, &st) && stat(ip, &st);
		/* journals name files by absolute paths, and downloads by where they go */
		if ((l->abs_dir = realpath(l->dir, NULL)))
			l->resume_base = wn__sprintf("oci:%s", l->abs_dir);
		if (b256) {
			clean_temps(l->dir);
			clean_temps(b256);
		}
		free(b);
		free(b256);
		free(lf);
		free(ip);
	}
	if (rc == WN_OK && !(d->name = wn__sprintf("oci:%s", spec)))
		rc = WN_ENOMEM;
	if (rc != WN_OK) {
		lay_dst_free(d);
		return rc;
	}
	*out = d;
	return WN_OK;
}

int wn__layout_dst_new(struct wn__dst **out, struct wn_ctx *ctx, const char *spec)
{
	struct wn__dst *d = calloc(1, sizeof *d);
	struct layout *l = NULL;
	if (!d)
		return wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
	int rc = split(ctx, spec, true, &l, &d->tag, &d->digest);
	return dst_open(out, ctx, d, l, rc, spec);
}

int wn__layout_dst_at(struct wn__dst **out, struct wn_ctx *ctx, const char *dir, const char *ref)
{
	struct wn__dst *d = calloc(1, sizeof *d);
	struct layout *l = NULL;
	if (!d)
		return wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
	int rc = layout_new(ctx, dir, strlen(dir), ref, true, &l, &d->tag, &d->digest);
	return dst_open(out, ctx, d, l, rc, dir);
}

void wn__layout_set_resume_base(void *layout_impl, const char *base)
{
	struct layout *l = layout_impl;
	char *b = strdup(base);
	if (b) {
		free(l->resume_base);
		l->resume_base = b;
	}
}

void wn__layout_set_name(void *src_or_dst_impl, const char *name)
{
	struct layout *l = src_or_dst_impl;
	char *n = strdup(name);
	l->private_ = true;
	if (n) {
		free(l->name);
		l->name = n;
	}
}

int wn__layout_index_names(struct wn_ctx *ctx, const void *data, size_t len, const char *where,
                           struct wn_strlist **out)
{
	cJSON *idx = wn__json_parse(data, len);
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(idx, "manifests"), *e;
	struct wn_strlist *t = NULL;
	int rc = WN_OK;
	*out = NULL;
	if (!cJSON_IsObject(idx) || !cJSON_IsArray(arr)) {
		cJSON_Delete(idx);
		return wn__ctx_fail(ctx, WN_ECORRUPT, "%s: index.json is not an OCI image index", where);
	}
	if (!(t = calloc(1, sizeof *t)))
		rc = wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
	/* the names oci:DIR:NAME can name (whoever wrote index.json chose them:
	 * others are left out), each once */
	cJSON_ArrayForEach(e, arr) {
		const char *n = entry_name(e);
		bool seen = false;
		for (size_t i = 0; t && n && i < t->n && !seen; i++)
			seen = !strcmp(t->items[i], n);
		if (rc == WN_OK && n && !seen && name_ok(n) && wn__strlist_push(t, n) != WN_OK)
			rc = wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
	}
	cJSON_Delete(idx);
	if (rc != WN_OK) {
		wn_strlist_free(t);
		return rc;
	}
	*out = t;
	return WN_OK;
}

int wn__layout_names(struct wn_ctx *ctx, const char *spec, struct wn_strlist **out, char **base)
{
	struct wn__src *s;
	unsigned char *data = NULL;
	size_t len = 0;
	char *p = NULL;
	*out = NULL;
	*base = NULL;
	int rc = wn__layout_src_new(&s, ctx, spec);
	if (rc != WN_OK)
		return rc;
	struct layout *l = s->impl;
	if (s->tag || s->digest || l->index >= 0)
		rc = wn__ctx_fail(ctx, WN_EINVAL, "oci:%s names an image: the images of a layout are listed from %s", spec,
		                  l->name);
	else if (!(p = wn__sprintf("%s/index.json", l->dir)) || !(*base = strdup(l->name)))
		rc = wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
	else if ((rc = wn__file_read(ctx, p, INDEX_MAX, &data, &len)) == WN_ENOTFOUND)
		rc = wn__ctx_fail(ctx, WN_ENOTFOUND, "%s is no OCI image layout (it has no index.json)", l->name);
	if (rc == WN_OK)
		rc = wn__layout_index_names(ctx, data, len, l->name, out);
	if (rc != WN_OK) {
		free(*base);
		*base = NULL;
	}
	free(data);
	free(p);
	wn__src_free(s);
	return rc;
}

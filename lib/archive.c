/*
 * archive.c: oci-archive:FILE[:TAG], an OCI image layout in one tar file, and
 * the tar reading and writing both archive formats use.
 *
 * Reading never unpacks what it has not checked.  A first pass reads the
 * tar's headers (and keeps small files in memory): every name must be
 * relative without "..", every entry a file, a directory or (docker-archive
 * only) a link that stays inside, no name twice, no entry over the size
 * limits, and the tar must end cleanly (with its zero blocks: libarchive
 * reads a tar cut between two entries as a shorter one).  Then the format's own index
 * (index.json, or manifest.json) says which members the image needs: for an
 * oci-archive the tree of manifests is resolved (more passes read manifests
 * the first one did not keep), and every blob's size in the tar must be the
 * size its descriptor declares (a blob the tar lacks is left to the copy,
 * which fails if it needs it: the image-layout spec allows missing blobs).  A last pass writes exactly those members
 * into a private temporary directory, so the disk used is the declared size
 * of what is copied, whatever else the archive holds.  A second pass rather
 * than a streaming check, because an archive may list index.json after the
 * blobs (winch and skopeo both do): until then no size is known.  Links are
 * never created: a docker-archive's links are followed in the header table.
 *
 * The temporary directory, $TMPDIR/winch-archive-PID-XXXXXX, is held with an
 * flock for the life of the run and removed with it; one a killed run left
 * is removed by the next archive command once its process is gone.  Writing
 * builds a layout in such a directory and, when the copy completes, writes
 * the tar beside FILE (FILE.winch-tmp-PID-XXXXXX) and renames it over FILE:
 * FILE is either the old archive or the new one, never half of one.
 */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include "internal.h"

#define ENTRY_MAX ((int64_t)64 << 30)   /* one blob */
#define TOTAL_MAX ((int64_t)256 << 30)  /* what one archive may unpack to */
#define ENTRIES_MAX 100000
#define NAME_MAX_ 4096
#define IO_CHUNK (256u << 10)
#define CACHE_ONE (64u << 10)           /* the first pass keeps files up to this size ... */
#define CACHE_ALL (16u << 20)           /* ... up to this much in all (manifests, configs) */
#define FETCH_BUDGET (64u << 20)        /* manifests held at once by a later pass */
#define PASSES_MAX 16
#define INDEX_MAX (16u << 20)
#define TMP_PREFIX "winch-archive-"

/* ---- temporary data ----------------------------------------------------- */

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

void wn__rm_tree(const char *dir)
{
	if (dir)
		nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static const char *tmp_base(void)
{
	const char *base = getenv("TMPDIR");
	return base && *base ? base : "/tmp";
}

/* Is the process of a temp name's pid gone?  EPERM: alive, someone else's. */
static bool pid_dead(const char *digits)
{
	char *end;
	long pid = strtol(digits, &end, 10);
	return end != digits && *end == '-' && pid > 0 && pid != (long)getpid() && kill((pid_t)pid, 0) && errno == ESRCH;
}

/* Removes what killed runs left in $TMPDIR: winch-archive-PID-* of a pid that
 * is gone and whose flock nobody holds (a run in another pid namespace
 * sharing $TMPDIR still holds its lock), unless a resume journal younger
 * than a week names a partial download in it: the next pull into that
 * archive takes the file over (journal.c), and the directory goes after. */
static void clean_stale_tmpdirs(const char *base)
{
	DIR *d = opendir(base);
	struct dirent *e;
	struct wn_strlist *journaled = NULL;
	while (d && (e = readdir(d))) {
		if (strncmp(e->d_name, TMP_PREFIX, sizeof TMP_PREFIX - 1) || !pid_dead(e->d_name + sizeof TMP_PREFIX - 1))
			continue;
		char *p = wn__sprintf("%s/%s", base, e->d_name), *abs = p ? realpath(p, NULL) : NULL;
		int fd = p ? open(p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) : -1;
		if (!journaled)
			journaled = wn__journal_files();
		if (fd >= 0 && !wn__journal_names(journaled, abs ? abs : p) && !flock(fd, LOCK_EX | LOCK_NB))
			wn__rm_tree(p);
		free(abs);
		if (fd >= 0)
			close(fd);
		free(p);
	}
	if (d)
		closedir(d);
	wn_strlist_free(journaled);
}

char *wn__tmpdir_new(struct wn_ctx *ctx, int *lock_fd)
{
	const char *base = tmp_base();
	*lock_fd = -1;
	clean_stale_tmpdirs(base);
	char *t = wn__sprintf("%s/" TMP_PREFIX "%d-XXXXXX", base, (int)getpid());
	if (!t) {
		wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
		return NULL;
	}
	if (!mkdtemp(t)) {
		wn__ctx_fail(ctx, WN_EIO, "cannot create a temporary directory in %s ($TMPDIR): %s", base, strerror(errno));
		free(t);
		return NULL;
	}
	/* held until the directory is removed: tells a later run this one is alive */
	if ((*lock_fd = open(t, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0)
		flock(*lock_fd, LOCK_EX | LOCK_NB);
	return t;
}

void wn__tmpdir_free(char *dir, int lock_fd)
{
	wn__rm_tree(dir);
	if (lock_fd >= 0)
		close(lock_fd);
	free(dir);
}

void wn__tar_clean_beside(const char *file)
{
	char *dcopy = strdup(file), *bcopy = strdup(file);
	const char *dir = dcopy ? dirname(dcopy) : NULL, *base = bcopy ? basename(bcopy) : NULL;
	char *prefix = base ? wn__sprintf("%s.winch-tmp-", base) : NULL;
	DIR *d = dir && prefix ? opendir(dir) : NULL;
	struct dirent *e;
	size_t pl = prefix ? strlen(prefix) : 0;
	while (d && (e = readdir(d))) {
		if (strncmp(e->d_name, prefix, pl) || !pid_dead(e->d_name + pl))
			continue;
		char *p = wn__sprintf("%s/%s", dir, e->d_name);
		if (p)
			unlink(p);
		free(p);
	}
	if (d)
		closedir(d);
	free(prefix);
	free(dcopy);
	free(bcopy);
}

int wn__write_all(int fd, const void *buf, size_t n)
{
	const char *p = buf;
	/* a short write is not an error by itself, and leaves errno as it was:
	 * go on until write says why it stops (ENOSPC) */
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (!w)
				errno = EIO;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int wn__write_fail(struct wn_ctx *ctx, const char *what, const char *path, int err)
{
	const char *base = tmp_base();
	size_t bl = strlen(base);
	if ((err == ENOSPC || err == EDQUOT) && !strncmp(path, base, bl) && (path[bl] == '/' || !path[bl]))
		/* the facts first: a long path may not fit in the message */
		return wn__ctx_fail(ctx, WN_EIO, "$TMPDIR (%s) is full (%s): winch unpacks and assembles archives there; make "
		                    "room or point TMPDIR to a larger place (cannot %s %s)", base, strerror(err), what, path);
	return wn__ctx_fail(ctx, WN_EIO, "cannot %s %s: %s", what, path, strerror(err));
}

/* ---- reading tars ------------------------------------------------------- */

struct member {
	char *name;          /* normalised: no "./", "." or empty components, no trailing "/" */
	char type;           /* 'f' file, 'd' directory, 's' symbolic link, 'h' hard link */
	int64_t size;
	char *link;          /* 's': the target as written; 'h': the target, normalised */
	unsigned char *data; /* kept bytes, or NULL */
	size_t len;
	bool keep;           /* read into data by the next pass */
	bool want;           /* written out by wn__tar_extract */
	bool seen;           /* met by the current pass */
	bool queued;         /* an oci-archive manifest on the resolver's list */
};

struct wn__tar {
	char *file;
	int fd;              /* opened once: every pass reads the same file */
	bool links;
	struct member *m;    /* sorted by name */
	size_t n, cap;
	size_t cached;
	int passes;
};

static int cmp_member(const void *a, const void *b)
{
	return strcmp(((const struct member *)a)->name, ((const struct member *)b)->name);
}

static struct member *find(const struct wn__tar *t, const char *name)
{
	struct member key = { .name = (char *)name };
	return t->n ? bsearch(&key, t->m, t->n, sizeof *t->m, cmp_member) : NULL;
}

/* Joins `dir` and `rel` lexically into a normalised member name: "." and
 * empty components dropped, ".." taking one away.  NULL when ".." leaves
 * the root (or the name is absolute, or empty). */
static char *normalise(const char *dir, const char *rel)
{
	if (!rel || rel[0] == '/')
		return NULL;
	size_t dl = dir ? strlen(dir) : 0, cap = dl + strlen(rel) + 2, n = 0;
	char *out = malloc(cap);
	if (!out)
		return NULL;
	for (int part = dir && dl ? 0 : 1; part < 2; part++) {
		for (const char *c = part ? rel : dir; *c;) {
			size_t k = strcspn(c, "/");
			if (k == 2 && c[0] == '.' && c[1] == '.') {
				if (!n) {
					free(out);
					return NULL;
				}
				while (n && out[n - 1] != '/')
					n--;
				if (n)
					n--;
			} else if (k && !(k == 1 && c[0] == '.')) {
				if (n)
					out[n++] = '/';
				memcpy(out + n, c, k);
				n += k;
			}
			c += k;
			while (*c == '/')
				c++;
		}
	}
	out[n] = 0;
	if (!n) {
		free(out);
		return NULL;
	}
	return out;
}

/* A name as the tar gives it: relative, no "..", normalised; NULL when unsafe. */
static char *safe_name(const char *raw)
{
	if (!raw || !*raw || raw[0] == '/' || strlen(raw) > NAME_MAX_)
		return NULL;
	for (const char *c = raw; *c;) {
		size_t k = strcspn(c, "/");
		if (k == 2 && c[0] == '.' && c[1] == '.')
			return NULL;
		c += k;
		while (*c == '/')
			c++;
	}
	return normalise(NULL, raw);
}

static bool is_root_dot(const char *raw)
{
	for (const char *c = raw; *c; c++)
		if (*c != '.' && *c != '/')
			return false;
	return true;
}

/* Does `target`, seen from the directory of the link `name`, stay inside the root? */
static bool link_inside(const char *name, const char *target)
{
	if (!target || !*target || target[0] == '/')
		return false;
	const char *slash = strrchr(name, '/');
	char *dir = slash ? strndup(name, (size_t)(slash - name)) : NULL;
	char *r = slash && !dir ? NULL : normalise(dir, target);
	bool ok = r != NULL;
	free(r);
	free(dir);
	return ok;
}

static void tar_free_members(struct wn__tar *t)
{
	for (size_t i = 0; i < t->n; i++) {
		free(t->m[i].name);
		free(t->m[i].link);
		free(t->m[i].data);
	}
	free(t->m);
	t->m = NULL;
	t->n = t->cap = 0;
}

void wn__tar_free(struct wn__tar *t)
{
	if (!t)
		return;
	tar_free_members(t);
	if (t->fd >= 0)
		close(t->fd);
	free(t->file);
	free(t);
}

static int corrupt(struct wn_ctx *ctx, const struct wn__tar *t, const char *why, const char *name)
{
	return wn__ctx_fail(ctx, WN_ECORRUPT, "%s: \"%.100s\" %s: refused", t->file, name ? name : "", why);
}

/* Reads an entry's data into keep (up to its size), or through scratch to
 * get past it, checking for cancellation as it goes. */
static int read_data(struct wn_ctx *ctx, struct wn__tar *t, struct archive *a, int64_t size, unsigned char *keep,
                     unsigned char *scratch, bool seekable, bool *skipped)
{
	if (!keep && seekable) {
		/* an uncompressed tar: skipping is a seek */
		*skipped = true;
		if (archive_read_data_skip(a) != ARCHIVE_OK)
			return wn__ctx_fail(ctx, WN_ECORRUPT, "%s is truncated or corrupt (%s): refused", t->file,
			                    archive_error_string(a));
		return WN_OK;
	}
	int64_t got = 0;
	for (;;) {
		if (wn__cancelled(ctx))
			return wn__check_cancel(ctx);
		ssize_t n = archive_read_data(a, keep ? keep + got : scratch,
		                              keep ? (size_t)(size - got < IO_CHUNK ? size - got : IO_CHUNK) : IO_CHUNK);
		if (n < 0)
			return wn__ctx_fail(ctx, WN_ECORRUPT, "%s is truncated or corrupt (%s): refused", t->file,
			                    archive_error_string(a));
		if (!n || (keep && got + n >= size)) {
			got += n;
			break;
		}
		got += n;
	}
	if (keep && got != size)
		return wn__ctx_fail(ctx, WN_ECORRUPT, "%s is truncated or corrupt: refused", t->file);
	return WN_OK;
}

enum pass_kind { PASS_SCAN, PASS_FETCH, PASS_EXTRACT };

/* One pass over the tar.  SCAN fills the member table (checking every
 * header) and keeps meta files and small files; FETCH keeps the members
 * marked keep (up to `budget` bytes); EXTRACT writes the members marked want
 * into dir.  Later passes check that the tar still has the headers the scan
 * saw: what was checked is what is read. */
static int pass(struct wn_ctx *ctx, struct wn__tar *t, enum pass_kind kind, const char *const *meta, size_t meta_max,
                size_t budget, const char *dir, int64_t *written)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	unsigned char *scratch = malloc(IO_CHUNK);
	size_t fetched = 0;
	int rc = WN_OK, r = ARCHIVE_OK;
	bool seekable;
	if (++t->passes > PASSES_MAX) {
		rc = wn__ctx_fail(ctx, WN_ECORRUPT, "%s: its manifests need more than %d reads of the archive: refused",
		                  t->file, PASSES_MAX);
		goto done;
	}
	if (!a || !scratch) {
		rc = wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
		goto done;
	}
	archive_read_support_format_tar(a);
	archive_read_support_filter_all(a);
	if (lseek(t->fd, 0, SEEK_SET) < 0 || archive_read_open_fd(a, t->fd, IO_CHUNK) != ARCHIVE_OK) {
		rc = wn__ctx_fail(ctx, WN_ECORRUPT, "cannot read %s: %s", t->file, archive_error_string(a));
		goto done;
	}
	/* a later pass stops once it has what it came for (the scan saw the rest) */
	size_t todo = 0;
	bool early = false;
	for (size_t i = 0; i < t->n; i++) {
		t->m[i].seen = false;
		todo += t->m[i].type == 'f' && ((kind == PASS_FETCH && t->m[i].keep && !t->m[i].data) ||
		                                (kind == PASS_EXTRACT && t->m[i].want));
	}
	int64_t entry_end = 0; /* where the last entry's data and padding ended */
	bool in_entry = false, skipped = false;
	while (rc == WN_OK) {
		if (kind != PASS_SCAN && !todo) {
			early = true;
			break;
		}
		/* past what is left of the entry (its padding at least), to know where it ends */
		if (in_entry && !skipped && archive_read_data_skip(a) != ARCHIVE_OK) {
			rc = wn__ctx_fail(ctx, WN_ECORRUPT, "%s is truncated or corrupt (%s): refused", t->file, archive_error_string(a));
			break;
		}
		entry_end = archive_filter_bytes(a, 0);
		if ((r = archive_read_next_header(a, &e)) != ARCHIVE_OK)
			break;
		in_entry = true;
		skipped = false;
		if ((rc = wn__check_cancel(ctx)) != WN_OK)
			break;
		seekable = archive_filter_code(a, 0) == ARCHIVE_FILTER_NONE;
		const char *raw = archive_entry_pathname(e);
		mode_t type = archive_entry_filetype(e);
		int64_t size = archive_entry_size(e);
		const char *hard = archive_entry_hardlink(e);
		if (!raw || is_root_dot(raw)) {
			rc = read_data(ctx, t, a, size, NULL, scratch, seekable, &skipped);
			continue;
		}
		char *name = safe_name(raw);
		char kind_c = hard ? 'h' : type == AE_IFREG ? 'f' : type == AE_IFDIR ? 'd' : type == AE_IFLNK ? 's' : '?';
		if (!name) {
			rc = corrupt(ctx, t, "is an unsafe path (absolute or with \"..\")", raw);
			break;
		}
		if (kind != PASS_SCAN) {
			struct member *m = find(t, name);
			free(name);
			if (!m || m->type != kind_c || (kind_c == 'f' && m->size != size) || (m->seen && m->type != 'd')) {
				rc = wn__ctx_fail(ctx, WN_ECORRUPT, "%s changed while it was being read: refused", t->file);
				break;
			}
			m->seen = true;
			unsigned char *keep = NULL;
			if (kind == PASS_FETCH && m->type == 'f' && m->keep && !m->data && fetched + (size_t)size <= budget) {
				if (!(keep = malloc(size ? (size_t)size : 1))) {
					rc = wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
					break;
				}
				if ((rc = read_data(ctx, t, a, size, keep, scratch, seekable, &skipped)) != WN_OK) {
					free(keep);
					break;
				}
				m->data = keep;
				m->len = (size_t)size;
				m->keep = false;
				fetched += (size_t)size;
				t->cached += (size_t)size;
				todo--;
				continue;
			}
			if (kind == PASS_EXTRACT && m->type == 'f' && m->want) {
				char *path = wn__sprintf("%s/%s", dir, m->name);
				int fd = -1;
				/* parents are plain directories made here (no link is ever created) */
				for (char *c = path ? path + strlen(dir) + 1 : NULL; c && *c; c++)
					if (*c == '/') {
						*c = 0;
						if (mkdir(path, 0755) && errno != EEXIST)
							rc = wn__write_fail(ctx, "create", path, errno);
						*c = '/';
						if (rc != WN_OK)
							break;
					}
				if (rc == WN_OK && (!path || (fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644)) < 0))
					rc = path ? wn__write_fail(ctx, "write", path, errno) : wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
				int64_t got = 0;
				while (rc == WN_OK) {
					if ((rc = wn__check_cancel(ctx)) != WN_OK)
						break;
					ssize_t n = archive_read_data(a, scratch, IO_CHUNK);
					if (n < 0) {
						rc = wn__ctx_fail(ctx, WN_ECORRUPT, "%s is truncated or corrupt (%s): refused", t->file,
						                  archive_error_string(a));
					} else if (!n) {
						break;
					} else if ((got += n) > m->size) {
						rc = corrupt(ctx, t, "holds more than its header says", m->name);
					} else if (wn__write_all(fd, scratch, (size_t)n)) {
						rc = wn__write_fail(ctx, "write", path, errno);
					}
				}
				if (rc == WN_OK && got != m->size)
					rc = wn__ctx_fail(ctx, WN_ECORRUPT, "%s is truncated or corrupt: refused", t->file);
				if (fd >= 0 && close(fd) && rc == WN_OK)
					rc = wn__write_fail(ctx, "write", path, errno);
				if (written && rc == WN_OK)
					*written += got;
				free(path);
				todo--;
				continue;
			}
			rc = read_data(ctx, t, a, size, NULL, scratch, seekable, &skipped);
			continue;
		}
		/* the scan: every header is checked here, once */
		if (t->n >= ENTRIES_MAX) {
			free(name);
			rc = wn__ctx_fail(ctx, WN_ECORRUPT, "%s: more than %d entries: refused", t->file, ENTRIES_MAX);
			break;
		}
		if (kind_c == '?' || ((kind_c == 's' || kind_c == 'h') && !t->links)) {
			rc = corrupt(ctx, t, kind_c == 's' ? "is a symbolic link, which an image archive has no use for"
			                    : kind_c == 'h' ? "is a hard link, which an image archive has no use for"
			                                    : "is a special file, which an image archive has no use for", raw);
			free(name);
			break;
		}
		if (kind_c == 'f' && (size < 0 || size > ENTRY_MAX)) {
			rc = corrupt(ctx, t, "is over the size limit", raw);
			free(name);
			break;
		}
		char *link = NULL;
		if (kind_c == 's' && !link_inside(name, archive_entry_symlink(e))) {
			rc = corrupt(ctx, t, "is a link that points outside the archive", raw);
			free(name);
			break;
		}
		if (kind_c == 's' && !(link = strdup(archive_entry_symlink(e))))
			rc = WN_ENOMEM;
		if (kind_c == 'h' && !(link = safe_name(hard)))
			rc = corrupt(ctx, t, "is a hard link that does not name a file in the archive", raw);
		if (rc == WN_OK && t->n == t->cap) {
			size_t cap = t->cap ? t->cap * 2 : 64;
			struct member *nm = realloc(t->m, cap * sizeof *nm);
			if (!nm)
				rc = WN_ENOMEM;
			else {
				t->m = nm;
				t->cap = cap;
			}
		}
		if (rc != WN_OK) {
			if (rc == WN_ENOMEM)
				rc = wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
			free(name);
			free(link);
			break;
		}
		struct member *m = &t->m[t->n++];
		memset(m, 0, sizeof *m);
		m->name = name;
		m->type = kind_c;
		m->size = kind_c == 'f' ? size : 0;
		m->link = link;
		/* keep what the caller asked for, and small files (manifests, configs) */
		bool is_meta = false;
		for (const char *const *mm = meta; mm && *mm && !is_meta; mm++)
			is_meta = !strcmp(*mm, name);
		if (kind_c == 'f' && is_meta && size > (int64_t)meta_max) {
			rc = corrupt(ctx, t, "is larger than such a file may be", raw);
			break;
		}
		if (kind_c == 'f' && (is_meta || (size <= (int64_t)CACHE_ONE && t->cached + (size_t)size <= CACHE_ALL))) {
			if (!(m->data = malloc(size ? (size_t)size : 1))) {
				rc = wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
				break;
			}
			m->len = (size_t)size;
			t->cached += m->len;
			rc = read_data(ctx, t, a, size, m->data, scratch, seekable, &skipped);
			continue;
		}
		rc = read_data(ctx, t, a, size, NULL, scratch, seekable, &skipped);
	}
	if (rc == WN_OK && !early && r != ARCHIVE_EOF)
		rc = wn__ctx_fail(ctx, WN_ECORRUPT, "%s is truncated or corrupt (%s): refused", t->file, archive_error_string(a));
	/* libarchive takes a tar cut after an entry for a shorter tar: a whole one
	 * ends with zero blocks (two; one is tolerated, as GNU tar does) */
	if (rc == WN_OK && kind == PASS_SCAN && archive_filter_bytes(a, 0) - entry_end < 512)
		rc = wn__ctx_fail(ctx, WN_ECORRUPT, "%s is truncated (it has no end-of-archive blocks): refused", t->file);
	if (rc == WN_OK && kind != PASS_SCAN && !early)
		for (size_t i = 0; i < t->n && rc == WN_OK; i++)
			if (!t->m[i].seen)
				rc = wn__ctx_fail(ctx, WN_ECORRUPT, "%s changed while it was being read: refused", t->file);
done:
	archive_read_free(a);
	free(scratch);
	return rc;
}

/* A pipe (docker save | winch push docker-archive:/dev/stdin) cannot be read
 * twice: its bytes go to an unlinked file in spool_dir first, as they come
 * (compressed ones stay compressed), and the passes read that. */
static int spool(struct wn_ctx *ctx, struct wn__tar *t, const char *spool_dir)
{
	char *p = wn__sprintf("%s/.archive-XXXXXX", spool_dir ? spool_dir : tmp_base());
	unsigned char *buf = malloc(IO_CHUNK);
	int fd = p && buf ? mkstemp(p) : -1, rc = WN_OK;
	if (fd < 0) {
		rc = p && buf ? wn__write_fail(ctx, "write", p, errno) : wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
		goto done;
	}
	unlink(p); /* gone with the descriptor, whatever happens */
	for (;;) {
		ssize_t n = read(t->fd, buf, IO_CHUNK);
		if ((rc = wn__check_cancel(ctx)) != WN_OK)
			break;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = wn__ctx_fail(ctx, WN_EIO, "cannot read %s: %s", t->file, strerror(errno));
			break;
		}
		if (!n)
			break;
		if (wn__write_all(fd, buf, (size_t)n)) {
			rc = wn__write_fail(ctx, "write", p, errno);
			break;
		}
	}
	if (rc == WN_OK) {
		close(t->fd);
		t->fd = fd;
		fd = -1;
	}
done:
	if (fd >= 0)
		close(fd);
	free(p);
	free(buf);
	return rc;
}

int wn__tar_open(struct wn_ctx *ctx, const char *file, bool links, const char *const *meta, size_t meta_max,
                 const char *spool_dir, struct wn__tar **out)
{
	struct wn__tar *t = calloc(1, sizeof *t);
	struct stat st;
	int rc = WN_OK;
	*out = NULL;
	if (!t || !(t->file = strdup(file))) {
		free(t);
		return wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
	}
	t->links = links;
	if ((t->fd = open(file, O_RDONLY | O_CLOEXEC)) < 0) {
		rc = wn__ctx_fail(ctx, errno == ENOENT ? WN_ENOTFOUND : WN_EIO, "cannot open %s: %s", file, strerror(errno));
		goto done;
	}
	if (fstat(t->fd, &st) || !S_ISREG(st.st_mode) || lseek(t->fd, 0, SEEK_SET) < 0)
		if ((rc = spool(ctx, t, spool_dir)) != WN_OK)
			goto done;
	if ((rc = pass(ctx, t, PASS_SCAN, meta, meta_max, 0, NULL, NULL)) != WN_OK)
		goto done;
	if (t->n)
		qsort(t->m, t->n, sizeof *t->m, cmp_member);
	for (size_t i = 0; i + 1 < t->n && rc == WN_OK; i++)
		if (!strcmp(t->m[i].name, t->m[i + 1].name) && !(t->m[i].type == 'd' && t->m[i + 1].type == 'd'))
			rc = corrupt(ctx, t, "appears twice", t->m[i].name);
	/* drop repeated directories, so every name is one member */
	size_t k = 0;
	for (size_t i = 0; i < t->n && rc == WN_OK; i++) {
		if (k && !strcmp(t->m[k - 1].name, t->m[i].name)) {
			free(t->m[i].name);
			continue;
		}
		t->m[k++] = t->m[i];
	}
	if (rc == WN_OK)
		t->n = k;
	/* nothing lies below a file or a link: one name, one meaning */
	for (size_t i = 0; i < t->n && rc == WN_OK; i++) {
		char *p = strdup(t->m[i].name);
		for (char *c = p; p && *c && rc == WN_OK; c++)
			if (*c == '/') {
				*c = 0;
				const struct member *up = find(t, p);
				if (up && up->type != 'd')
					rc = corrupt(ctx, t, up->type == 's' ? "lies below a symbolic link" : "lies below a file",
					             t->m[i].name);
				*c = '/';
			}
		free(p);
	}
	for (size_t i = 0; i < t->n && rc == WN_OK; i++)
		if (t->m[i].type == 'h') {
			const struct member *to = find(t, t->m[i].link);
			if (!to || to->type != 'f')
				rc = corrupt(ctx, t, "is a hard link that does not name a file in the archive", t->m[i].name);
		}
done:
	if (rc != WN_OK) {
		wn__tar_free(t);
		return rc;
	}
	*out = t;
	return WN_OK;
}

/* The member holding name's bytes, following links (inside the table only). */
static struct member *resolve(const struct wn__tar *t, const char *name)
{
	char *path = safe_name(name);
	for (int hops = 0; path && hops < 40; hops++) {
		/* a link among the parents: replace that prefix by its target */
		bool moved = false;
		for (char *c = path; *c && !moved; c++) {
			if (*c != '/')
				continue;
			*c = 0;
			const struct member *up = find(t, path);
			if (up && up->type == 's') {
				char *slash = strrchr(path, '/'), *dir = slash ? strndup(path, (size_t)(slash - path)) : NULL;
				char *target = normalise(dir, up->link), *next = target ? wn__sprintf("%s/%s", target, c + 1) : NULL;
				free(dir);
				free(target);
				free(path);
				path = next ? normalise(NULL, next) : NULL;
				free(next);
				moved = true;
				break;
			}
			*c = '/';
			if (up && up->type != 'd') {
				free(path);
				return NULL;
			}
		}
		if (moved)
			continue;
		struct member *m = find(t, path);
		if (m && m->type == 's') {
			char *slash = strrchr(path, '/'), *dir = slash ? strndup(path, (size_t)(slash - path)) : NULL;
			char *next = normalise(dir, m->link);
			free(dir);
			free(path);
			path = next;
			continue;
		}
		if (m && m->type == 'h')
			m = find(t, m->link);
		free(path);
		return m && m->type == 'f' ? m : NULL;
	}
	free(path);
	return NULL;
}

const char *wn__tar_find(const struct wn__tar *t, const char *name, int64_t *size)
{
	const struct member *m = resolve(t, name);
	if (m && size)
		*size = m->size;
	return m ? m->name : NULL;
}

const unsigned char *wn__tar_data(const struct wn__tar *t, const char *name, size_t *len)
{
	const struct member *m = resolve(t, name);
	if (!m || !m->data)
		return NULL;
	*len = m->len;
	return m->data;
}

static void tar_drop(struct wn__tar *t, const char *name)
{
	struct member *m = find(t, name);
	if (m && m->data) {
		t->cached -= m->len;
		free(m->data);
		m->data = NULL;
		m->len = 0;
	}
}

int wn__tar_want(struct wn__tar *t, const char *name)
{
	struct member *m = resolve(t, name);
	if (!m)
		return WN_ENOTFOUND;
	m->want = true;
	return WN_OK;
}

int wn__tar_extract(struct wn_ctx *ctx, struct wn__tar *t, const char *dir)
{
	int64_t total = 0, written = 0;
	bool any = false;
	for (size_t i = 0; i < t->n; i++)
		if (t->m[i].want) {
			total += t->m[i].size;
			any = true;
		}
	if (total > TOTAL_MAX)
		return wn__ctx_fail(ctx, WN_ECORRUPT, "%s: the image would unpack to %lld bytes, over the limit of %lld: refused",
		                    t->file, (long long)total, (long long)TOTAL_MAX);
	if (!any)
		return WN_OK;
	int rc = pass(ctx, t, PASS_EXTRACT, NULL, 0, 0, dir, &written);
	if (rc == WN_OK)
		wn__log(ctx, WN_LOG_DEBUG, "%s: unpacked %lld bytes (what the image needs) to %s, in %d reads of the archive",
		        t->file, (long long)written, dir, t->passes);
	return rc;
}

/* ---- oci-archive: the members its images need --------------------------- */

struct job {
	struct member *m;
	char digest[WN_DIGEST_MAX];
	char *media_type;
};
struct jobs {
	struct job *j;
	size_t n, cap;
};

static void jobs_clear(struct jobs *q)
{
	for (size_t i = 0; i < q->n; i++)
		free(q->j[i].media_type);
	free(q->j);
	memset(q, 0, sizeof *q);
}

/* Layers a layout may leave out (Windows base layers, and the like). */
static bool optional_blob(const char *mt)
{
	return mt && (strstr(mt, "nondistributable") || strstr(mt, "foreign"));
}

/* One descriptor of the tree: its blob must be in the archive with the size
 * declared; a manifest goes on the list to be read. */
static int need(struct wn_ctx *ctx, struct wn__tar *t, struct jobs *q, const char *digest, int64_t size, const char *mt,
                bool manifest)
{
	char *name;
	const char *colon;
	if (wn_digest_validate(digest, NULL) != WN_OK)
		return wn__ctx_fail(ctx, WN_ECORRUPT, "%s names an invalid digest \"%.100s\": refused", t->file, digest);
	colon = strchr(digest, ':');
	if (!(name = wn__sprintf("blobs/%.*s/%s", (int)(colon - digest), digest, colon + 1)))
		return wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
	struct member *m = find(t, name);
	free(name);
	if (!m || m->type != 'f') {
		/* a layout may lack referenced blobs (image-layout spec): a copy that needs one says so */
		wn__log(ctx, WN_LOG_DEBUG, "%s has no blob %s%s", t->file, digest, optional_blob(mt) ? " (non-distributable)" : "");
		return WN_OK;
	}
	if (m->size != size)
		return wn__ctx_fail(ctx, WN_ECORRUPT, "%s: blob %s is %lld bytes, its descriptor says %lld: refused", t->file,
		                    digest, (long long)m->size, (long long)size);
	m->want = true;
	if (!manifest || m->queued)
		return WN_OK;
	if (size > (int64_t)WN__MANIFEST_MAX)
		return wn__ctx_fail(ctx, WN_ECORRUPT, "%s: manifest %s is larger than 4 MiB: refused", t->file, digest);
	if (q->n == q->cap) {
		size_t cap = q->cap ? q->cap * 2 : 16;
		struct job *nj = realloc(q->j, cap * sizeof *nj);
		if (!nj)
			return wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
		q->j = nj;
		q->cap = cap;
	}
	struct job *j = &q->j[q->n++];
	j->m = m;
	snprintf(j->digest, sizeof j->digest, "%s", digest);
	j->media_type = wn__strdup(mt);
	m->queued = true;
	return WN_OK;
}

/* Reads one manifest (its bytes are kept) and puts what it names on the list
 * (layers only with `layers`: the read commands need none). */
static int read_one(struct wn_ctx *ctx, struct wn__tar *t, struct jobs *q, const struct job *j, bool layers)
{
	struct wn_hasher *h;
	struct wn_manifest *mf = NULL;
	struct wn_error err;
	char got[WN_DIGEST_MAX];
	int rc;
	if (wn_hasher_new(&h, j->digest, &err) != WN_OK)
		return wn__ctx_take(ctx, &err);
	wn_hasher_update(h, j->m->data, j->m->len);
	wn_hasher_final(h, got);
	wn_hasher_free(h);
	if (strcmp(got, j->digest))
		return wn__ctx_fail(ctx, WN_EDIGEST, "digest mismatch: %s holds %s under the name %s: refused", t->file, got,
		                    j->digest);
	/* what does not parse as a manifest is carried as a blob: a copy that needs it says why */
	if (wn_manifest_parse(&mf, j->m->data, j->m->len, j->media_type, &err) != WN_OK)
		return WN_OK;
	rc = WN_OK;
	for (size_t i = 0; i < mf->n_manifests && rc == WN_OK; i++)
		rc = need(ctx, t, q, mf->manifests[i].digest, mf->manifests[i].size, mf->manifests[i].media_type, true);
	if (rc == WN_OK && !mf->is_index && mf->config.digest)
		rc = need(ctx, t, q, mf->config.digest, mf->config.size, mf->config.media_type, false);
	for (size_t i = 0; i < mf->n_layers && layers && rc == WN_OK; i++)
		rc = need(ctx, t, q, mf->layers[i].digest, mf->layers[i].size, mf->layers[i].media_type, false);
	wn_manifest_free(mf);
	return rc;
}

/* Marks for extraction index.json, oci-layout and every blob the images of
 * index.json need, reading manifests as far as the tree goes. */
static int oci_resolve(struct wn_ctx *ctx, struct wn__tar *t, bool layers)
{
	size_t len = 0;
	const unsigned char *data = wn__tar_data(t, "index.json", &len);
	struct jobs q = { 0 }, later = { 0 };
	int rc = WN_OK;
	for (const char *const *need_file = (const char *const[]){ "oci-layout", "index.json", NULL }; *need_file; need_file++) {
		struct member *m = find(t, *need_file);
		if (!m || m->type != 'f')
			return wn__ctx_fail(ctx, WN_ECORRUPT, "%s has no %s: truncated, or not an image archive of this kind: refused",
			                    t->file, *need_file);
		m->want = true;
	}
	cJSON *idx = data ? wn__json_parse(data, len) : NULL, *e;
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(idx, "manifests");
	if (!cJSON_IsObject(idx) || !cJSON_IsArray(arr)) {
		cJSON_Delete(idx);
		return wn__ctx_fail(ctx, WN_ECORRUPT, "%s: index.json is not an OCI image index: refused", t->file);
	}
	cJSON_ArrayForEach(e, arr) {
		const char *dg = wn__json_str(e, "digest");
		int64_t size;
		if (!dg || !wn__json_size(cJSON_GetObjectItemCaseSensitive(e, "size"), &size)) {
			rc = wn__ctx_fail(ctx, WN_ECORRUPT, "%s: an index.json entry without a valid digest and size: refused", t->file);
			break;
		}
		if ((rc = need(ctx, t, &q, dg, size, wn__json_str(e, "mediaType"), true)) != WN_OK)
			break;
	}
	cJSON_Delete(idx);
	/* each round reads the manifests whose bytes are kept; the others wait for one more pass */
	while (rc == WN_OK && q.n) {
		for (size_t i = 0; i < q.n && rc == WN_OK; i++) {
			struct job j = q.j[i]; /* need() may move q.j */
			if (!j.m->data) {
				j.m->keep = true;
				if (later.n == later.cap) {
					size_t cap = later.cap ? later.cap * 2 : 16;
					struct job *nj = realloc(later.j, cap * sizeof *nj);
					if (!nj) {
						rc = wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
						break;
					}
					later.j = nj;
					later.cap = cap;
				}
				later.j[later.n++] = j;
				q.j[i].media_type = NULL; /* moved */
				continue;
			}
			rc = read_one(ctx, t, &q, &j, layers);
			tar_drop(t, j.m->name);
		}
		/* the jobs done are gone; new ones (from need()) were appended to q */
		struct jobs next = later;
		memset(&later, 0, sizeof later);
		jobs_clear(&q);
		q = next;
		if (rc == WN_OK && q.n)
			rc = pass(ctx, t, PASS_FETCH, NULL, 0, FETCH_BUDGET, NULL, NULL);
	}
	jobs_clear(&q);
	jobs_clear(&later);
	return rc;
}

/* ---- source ----------------------------------------------------------- */

struct wrapped {
	char *tmpdir;       /* the unpacked or to-be-packed layout */
	int tmpfd;          /* its flock, held while it exists */
	char *file;         /* the archive */
	void *inner;        /* struct wn__src * or struct wn__dst * over tmpdir */
};

static struct wn__src *inner_src(struct wn__src *s)
{
	return ((struct wrapped *)s->impl)->inner;
}

static int arc_manifest_get(struct wn__src *s, struct wn_ctx *ctx, const char *ref, struct wn_manifest **out)
{
	struct wn__src *in = inner_src(s);
	return in->ops->manifest_get(in, ctx, ref, out);
}

static int arc_blob_stream(struct wn__src *s, struct wn_ctx *ctx, const struct wn_descriptor *d, uint64_t offset,
                           wn__sink_fn sink, void *data)
{
	struct wn__src *in = inner_src(s);
	return in->ops->blob_stream(in, ctx, d, offset, sink, data);
}

static int arc_tags(struct wn__src *s, struct wn_ctx *ctx, struct wn_strlist **out)
{
	struct wn__src *in = inner_src(s);
	return in->ops->tags(in, ctx, out);
}

static void wrapped_free(struct wrapped *w, bool src)
{
	if (!w)
		return;
	if (src)
		wn__src_free(w->inner);
	else
		wn__dst_free(w->inner);
	wn__tmpdir_free(w->tmpdir, w->tmpfd);
	free(w->file);
	free(w);
}

static void arc_src_free(struct wn__src *s)
{
	wrapped_free(s->impl, true);
	free(s->name);
	free(s->tag);
	free(s->digest);
	free(s->base);
	free(s);
}

static const struct wn__src_ops archive_src_ops = { arc_manifest_get, arc_blob_stream, NULL, arc_tags, arc_src_free };

/* Splits "FILE[:NAME]" at the first ':', as containers/image does (NAME may
 * hold ':' and '/': podman names images "127.0.0.1:5000/small:latest"), and
 * checks NAME before anything is read or written.  *ref: NULL when none. */
static int split(struct wn_ctx *ctx, const char *spec, bool dst, char **file, char **ref)
{
	const char *colon = strchr(spec, ':');
	char *name = NULL, *digest = NULL, *where;
	long index;
	*file = colon ? strndup(spec, (size_t)(colon - spec)) : strdup(spec);
	*ref = colon && colon[1] ? strdup(colon + 1) : NULL;
	if (!*file || (colon && colon[1] && !*ref))
		return wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
	if (!**file)
		return wn__ctx_fail(ctx, WN_EINVAL, "oci-archive: needs a file (oci-archive:FILE[:NAME])");
	if (!(where = wn__sprintf("oci-archive:%s", *file)))
		return wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
	int rc = wn__layout_ref_parse(ctx, where, *ref, dst, &name, &digest, &index);
	free(where);
	free(name);
	free(digest);
	return rc;
}

/* layers: unpack the layers too (a copy); without, manifests and configs (the read commands) */
static int archive_src(struct wn__src **out, struct wn_ctx *ctx, const char *spec, bool layers)
{
	struct wn__src *s = calloc(1, sizeof *s);
	struct wrapped *w = calloc(1, sizeof *w);
	if (w)
		w->tmpfd = -1;
	char *rest = NULL;
	int rc;
	*out = NULL;
	if (!s || !w) {
		free(s);
		free(w);
		return wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
	}
	s->ops = &archive_src_ops;
	s->impl = w;
	struct wn__tar *t = NULL;
	/* headers first, then what index.json's images need, then only that is written */
	if ((rc = split(ctx, spec, false, &w->file, &rest)) != WN_OK || !(w->tmpdir = wn__tmpdir_new(ctx, &w->tmpfd)) ||
	    (rc = wn__tar_open(ctx, w->file, false, (const char *const[]){ "index.json", "oci-layout", NULL }, INDEX_MAX,
	                       w->tmpdir, &t)) != WN_OK ||
	    (rc = oci_resolve(ctx, t, layers)) != WN_OK || (rc = wn__tar_extract(ctx, t, w->tmpdir)) != WN_OK) {
		wn__tar_free(t);
		goto done;
	}
	wn__tar_free(t);
	if ((rc = wn__layout_src_at((struct wn__src **)&w->inner, ctx, w->tmpdir, rest)) != WN_OK)
		goto done;
	struct wn__src *in = w->inner;
	char *name = wn__sprintf("oci-archive:%s", w->file);
	if (name)
		wn__layout_set_name(in->impl, name);
	free(name);
	s->tag = wn__strdup(in->tag);
	s->digest = wn__strdup(in->digest);
	s->name = wn__sprintf("oci-archive:%s", spec);
	s->base = wn__sprintf("oci-archive:%s", w->file);
	if (!s->name || !s->base)
		rc = wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
done:
	if (rc == WN_OK && !w->tmpdir)
		rc = wn_ctx_errcode(ctx);
	free(rest);
	if (rc != WN_OK) {
		arc_src_free(s);
		return rc;
	}
	*out = s;
	return WN_OK;
}

int wn__archive_src_new(struct wn__src **out, struct wn_ctx *ctx, const char *spec)
{
	return archive_src(out, ctx, spec, true);
}

int wn__archive_src_read(struct wn__src **out, struct wn_ctx *ctx, const char *spec)
{
	return archive_src(out, ctx, spec, false);
}

/* ---- destination ------------------------------------------------------ */

static struct wn__dst *inner_dst(struct wn__dst *d)
{
	return ((struct wrapped *)d->impl)->inner;
}

static int arc_blob_exists(struct wn__dst *d, struct wn_ctx *ctx, const struct wn_descriptor *desc, bool *yes)
{
	struct wn__dst *in = inner_dst(d);
	return in->ops->blob_exists(in, ctx, desc, yes);
}

static int arc_blob_write(struct wn__dst *d, struct wn_ctx *ctx, const struct wn_descriptor *desc,
                          struct wn__feed *feed, const struct wn__src *from, bool *mounted)
{
	struct wn__dst *in = inner_dst(d);
	in->resume = d->resume; /* set on the archive by the copy, after it was opened */
	return in->ops->blob_write(in, ctx, desc, feed, from, mounted);
}

static int arc_manifest_digest(struct wn__dst *d, struct wn_ctx *ctx, const char *ref, char digest[WN_DIGEST_MAX])
{
	struct wn__dst *in = inner_dst(d);
	return in->ops->manifest_digest(in, ctx, ref, digest);
}

static int add_tree(struct wn_ctx *ctx, struct archive *a, const char *root, const char *rel, unsigned char *buf);

int wn__tar_pack(struct wn_ctx *ctx, const char *dir, const char *file)
{
	/* the pid in the name lets a later run remove it if this one is killed */
	char *tmp = wn__sprintf("%s.winch-tmp-%d-XXXXXX", file, (int)getpid());
	unsigned char *buf = malloc(IO_CHUNK);
	wn__tar_clean_beside(file);
	int fd = tmp ? mkstemp(tmp) : -1, rc;
	if (fd < 0 || !buf) {
		rc = wn__write_fail(ctx, "write", file, errno);
		free(tmp);
		free(buf);
		return rc;
	}
	fchmod(fd, 0644);
	struct archive *a = archive_write_new();
	archive_write_set_format_pax_restricted(a);
	rc = archive_write_open_fd(a, fd) == ARCHIVE_OK ? add_tree(ctx, a, dir, "", buf)
	                                                 : wn__ctx_fail(ctx, WN_EIO, "cannot write %s", file);
	if (archive_write_close(a) != ARCHIVE_OK && rc == WN_OK)
		rc = wn__ctx_fail(ctx, WN_EIO, "cannot write %s: %s", file, archive_error_string(a));
	archive_write_free(a);
	if (rc == WN_OK && (fsync(fd) || close(fd) || rename(tmp, file))) {
		rc = wn__write_fail(ctx, "write", file, errno);
		fd = -1;
	} else if (rc != WN_OK) {
		close(fd);
	}
	if (rc != WN_OK)
		unlink(tmp);
	free(tmp);
	free(buf);
	return rc;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Adds root/rel and below, in name order (the same layout gives the same tar). */
static int add_tree(struct wn_ctx *ctx, struct archive *a, const char *root, const char *rel, unsigned char *buf)
{
	char *dirpath = wn__sprintf("%s/%s", root, rel);
	struct wn_strlist names = { 0 };
	int rc = WN_OK;
	DIR *d = dirpath ? opendir(dirpath) : NULL;
	struct dirent *de;
	while (d && (de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			wn__strlist_push(&names, de->d_name);
	if (d)
		closedir(d);
	if (names.n)
		qsort(names.items, names.n, sizeof *names.items, cmp_names);
	for (size_t i = 0; i < names.n && rc == WN_OK; i++) {
		if ((rc = wn__check_cancel(ctx)) != WN_OK)
			break;
		char *r = wn__sprintf("%s%s%s", rel, *rel ? "/" : "", names.items[i]);
		char *p = r ? wn__sprintf("%s/%s", root, r) : NULL;
		struct stat st;
		if (!p || lstat(p, &st)) {
			rc = wn__ctx_fail(ctx, WN_EIO, "cannot read %s", p ? p : rel);
		} else if (S_ISDIR(st.st_mode) || S_ISREG(st.st_mode)) {
			struct archive_entry *e = archive_entry_new();
			archive_entry_set_pathname(e, r);
			archive_entry_set_filetype(e, S_ISDIR(st.st_mode) ? AE_IFDIR : AE_IFREG);
			archive_entry_set_perm(e, S_ISDIR(st.st_mode) ? 0755 : 0644);
			archive_entry_set_size(e, S_ISDIR(st.st_mode) ? 0 : st.st_size);
			archive_entry_set_mtime(e, 0, 0);
			if (archive_write_header(a, e) != ARCHIVE_OK)
				rc = wn__ctx_fail(ctx, WN_EIO, "cannot write the archive: %s", archive_error_string(a));
			archive_entry_free(e);
			if (rc == WN_OK && S_ISREG(st.st_mode)) {
				int fd = open(p, O_RDONLY | O_CLOEXEC);
				ssize_t n = 0;
				while (fd >= 0 && (n = read(fd, buf, IO_CHUNK)) > 0) {
					if (wn__cancelled(ctx)) {
						rc = wn__check_cancel(ctx);
						break;
					}
					if (archive_write_data(a, buf, (size_t)n) != n) {
						rc = wn__ctx_fail(ctx, WN_EIO, "cannot write the archive: %s", archive_error_string(a));
						break;
					}
				}
				if (fd < 0 || n < 0)
					rc = wn__ctx_fail(ctx, WN_EIO, "cannot read %s: %s", p, strerror(errno));
				if (fd >= 0)
					close(fd);
			}
			if (rc == WN_OK && S_ISDIR(st.st_mode))
				rc = add_tree(ctx, a, root, r, buf);
		}
		free(r);
		free(p);
	}
	for (size_t i = 0; i < names.n; i++)
		free(names.items[i]);
	free(names.items);
	free(dirpath);
	return rc;
}

static int arc_manifest_put(struct wn__dst *d, struct wn_ctx *ctx, const struct wn_manifest *m, const char *tag,
                            bool top)
{
	struct wn__dst *in = inner_dst(d);
	int rc = in->ops->manifest_put(in, ctx, m, tag, top);
	struct wrapped *w = d->impl;
	return rc == WN_OK && top ? wn__tar_pack(ctx, w->tmpdir, w->file) : rc;
}

static void arc_dst_free(struct wn__dst *d)
{
	wrapped_free(d->impl, false);
	/* a killed run's directory whose partial downloads this run took over can go now */
	if (d->resume)
		clean_stale_tmpdirs(tmp_base());
	free(d->name);
	free(d->tag);
	free(d->digest);
	free(d);
}

static const struct wn__dst_ops archive_dst_ops = { arc_blob_exists, arc_blob_write, arc_manifest_digest,
	                                                arc_manifest_put, NULL, arc_dst_free };

/* FILE as an absolute path, whether it exists yet or not; NULL if its directory does not. */
static char *abs_file(const char *file)
{
	char *a = realpath(file, NULL);
	if (a)
		return a;
	char *dcopy = strdup(file), *bcopy = strdup(file);
	char *dir = dcopy ? realpath(dirname(dcopy), NULL) : NULL;
	a = dir && bcopy ? wn__sprintf("%s/%s", strcmp(dir, "/") ? dir : "", basename(bcopy)) : NULL;
	free(dir);
	free(dcopy);
	free(bcopy);
	return a;
}

int wn__archive_dst_new(struct wn__dst **out, struct wn_ctx *ctx, const char *spec)
{
	struct wn__dst *d = calloc(1, sizeof *d);
	struct wrapped *w = calloc(1, sizeof *w);
	if (w)
		w->tmpfd = -1;
	char *rest = NULL;
	int rc;
	*out = NULL;
	if (!d || !w) {
		free(d);
		free(w);
		return wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
	}
	d->ops = &archive_dst_ops;
	d->impl = w;
	rc = split(ctx, spec, true, &w->file, &rest);
	if (rc == WN_OK && !(w->tmpdir = wn__tmpdir_new(ctx, &w->tmpfd)))
		rc = wn_ctx_errcode(ctx);
	if (rc == WN_OK)
		wn__tar_clean_beside(w->file);
	if (rc == WN_OK)
		rc = wn__layout_dst_at((struct wn__dst **)&w->inner, ctx, w->tmpdir, rest);
	if (rc == WN_OK) {
		struct wn__dst *in = w->inner;
		char *name = wn__sprintf("oci-archive:%s", w->file), *abs = abs_file(w->file);
		char *base = abs ? wn__sprintf("oci-archive:%s", abs) : NULL;
		if (name)
			wn__layout_set_name(in->impl, name);
		/* resume journals go by the archive: its layout's directory is new each run */
		if (base)
			wn__layout_set_resume_base(in->impl, base);
		free(name);
		free(abs);
		free(base);
		d->tag = wn__strdup(in->tag);
		d->digest = wn__strdup(in->digest);
		d->name = wn__sprintf("oci-archive:%s", spec);
	}
	free(rest);
	if (rc != WN_OK) {
		arc_dst_free(d);
		return rc;
	}
	*out = d;
	return WN_OK;
}

int wn__archive_names(struct wn_ctx *ctx, const char *spec, struct wn_strlist **out, char **base)
{
	char *file = NULL, *ref = NULL, *tmpdir = NULL;
	int lock = -1, rc;
	struct wn__tar *t = NULL;
	*out = NULL;
	*base = NULL;
	/* the header pass alone, keeping index.json: nothing is unpacked */
	if ((rc = split(ctx, spec, false, &file, &ref)) == WN_OK && ref)
		rc = wn__ctx_fail(ctx, WN_EINVAL, "oci-archive:%s names an image: the images of an archive are listed from "
		                  "oci-archive:%s", spec, file);
	if (rc == WN_OK && !(tmpdir = wn__tmpdir_new(ctx, &lock)))
		rc = wn_ctx_errcode(ctx);
	if (rc == WN_OK)
		rc = wn__tar_open(ctx, file, false, (const char *const[]){ "index.json", NULL }, INDEX_MAX, tmpdir, &t);
	if (rc == WN_OK) {
		size_t len = 0;
		const unsigned char *data = wn__tar_data(t, "index.json", &len);
		*base = wn__sprintf("oci-archive:%s", file);
		if (!data)
			rc = wn__ctx_fail(ctx, WN_ECORRUPT, "%s has no index.json: not an oci-archive", file);
		else if (!*base)
			rc = wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
		else
			rc = wn__layout_index_names(ctx, data, len, *base, out);
	}
	if (rc != WN_OK) {
		free(*base);
		*base = NULL;
	}
	wn__tar_free(t);
	if (tmpdir)
		wn__tmpdir_free(tmpdir, lock);
	free(file);
	free(ref);
	return rc;
}

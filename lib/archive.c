/*
 * archive.c: oci-archive:FILE[:TAG], an OCI image layout in one tar file.
 *
 * Reading unpacks the tar into a private temporary directory and serves it
 * as a layout.  Only regular files and directories with relative paths and
 * no ".." are accepted; links (an OCI layout has no use for them), devices,
 * absolute paths and entries over the size limits make the whole archive
 * refused, and the temporary directory goes away with it.  docker-archive
 * (which `docker save` and skopeo write with internal links) may have links
 * that stay inside; nothing is ever written through a link.  Writing builds a layout in a
 * temporary directory and, when the copy completes, writes the tar beside
 * FILE and renames it over FILE: FILE is either the old archive or the new
 * one, never half of one.
 */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "internal.h"

#define ENTRY_MAX ((int64_t)64 << 30)   /* one blob */
#define TOTAL_MAX ((int64_t)256 << 30)  /* the whole archive, unpacked */
#define ENTRIES_MAX 1000000
#define IO_CHUNK (256u << 10)

struct wrapped {
	char *tmpdir;       /* the unpacked or to-be-packed layout */
	char *file;         /* the archive */
	void *inner;        /* struct wn__src * or struct wn__dst * over tmpdir */
};

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

void wn__rm_tree(const char *dir)
{
	if (dir)
		nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

char *wn__tmpdir_new(struct wn_ctx *ctx)
{
	const char *base = getenv("TMPDIR");
	char *t = wn__sprintf("%s/winch-archive-XXXXXX", base && *base ? base : "/tmp");
	if (t && !mkdtemp(t)) {
		wn__ctx_fail(ctx, WN_EIO, "cannot create a temporary directory in %s: %s", base ? base : "/tmp",
		             strerror(errno));
		free(t);
		return NULL;
	}
	return t;
}

/* A relative path without "..", "." only as a whole component. */
static bool safe_path(const char *p)
{
	if (!*p || *p == '/')
		return false;
	for (const char *c = p; *c;) {
		size_t n = strcspn(c, "/");
		if (n == 2 && !strncmp(c, "..", 2))
			return false;
		c += n;
		while (*c == '/')
			c++;
	}
	return true;
}

static int mkparents(const char *root, const char *rel)
{
	char *p = wn__sprintf("%s/%s", root, rel);
	if (!p)
		return -1;
	for (char *c = p + strlen(root) + 1; *c; c++)
		if (*c == '/') {
			*c = 0;
			if (mkdir(p, 0755) && errno != EEXIST) {
				free(p);
				return -1;
			}
			*c = '/';
		}
	free(p);
	return 0;
}

/* Does `target`, seen from the directory of `name`, stay inside the root? (lexically) */
static bool link_inside(const char *name, const char *target)
{
	int depth = 0;
	if (!*target || *target == '/')
		return false;
	for (const char *c = name; *c;) { /* the link's own directory depth */
		size_t n = strcspn(c, "/");
		if (c[n] == '/')
			depth++;
		c += n;
		while (*c == '/')
			c++;
	}
	for (const char *c = target; *c;) {
		size_t n = strcspn(c, "/");
		if (n == 2 && !strncmp(c, "..", 2)) {
			if (--depth < 0)
				return false;
		} else if (!(n == 1 && *c == '.')) {
			depth++;
		}
		c += n;
		while (*c == '/')
			c++;
	}
	return true;
}

/* No component of rel's parent may be a symbolic link: nothing is written through one. */
static bool parents_plain(const char *root, const char *rel)
{
	char *p = wn__sprintf("%s/%s", root, rel);
	bool ok = p != NULL;
	for (char *c = p ? p + strlen(root) + 1 : NULL; ok && c && *c; c++)
		if (*c == '/') {
			struct stat st;
			*c = 0;
			ok = lstat(p, &st) || !S_ISLNK(st.st_mode);
			*c = '/';
		}
	free(p);
	return ok;
}

int wn__tar_unpack(struct wn_ctx *ctx, const char *file, const char *dir, const char *const *required, bool links)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	unsigned char *buf = malloc(IO_CHUNK);
	int64_t total = 0;
	long entries = 0;
	int rc = WN_OK, r;
	archive_read_support_format_tar(a);
	archive_read_support_filter_all(a);
	if (!buf || archive_read_open_filename(a, file, IO_CHUNK) != ARCHIVE_OK) {
		rc = wn__ctx_fail(ctx, errno == ENOENT ? WN_ENOTFOUND : WN_EIO, "cannot open %s: %s", file,
		                  buf ? archive_error_string(a) : "out of memory");
		goto done;
	}
	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		const char *name = archive_entry_pathname(e);
		mode_t type = archive_entry_filetype(e);
		int64_t size = archive_entry_size(e);
		while (name && name[0] == '.' && name[1] == '/')
			name += 2;
		if (!name || !*name || !strcmp(name, "."))
			continue;
		if (++entries > ENTRIES_MAX) {
			rc = wn__ctx_fail(ctx, WN_ECORRUPT, "%s: more than %d entries", file, ENTRIES_MAX);
			break;
		}
		if (!safe_path(name)) {
			rc = wn__ctx_fail(ctx, WN_ECORRUPT, "%s: unsafe path \"%.100s\" (absolute or with \"..\"): refused",
			                  file, name);
			break;
		}
		if (!parents_plain(dir, name)) {
			rc = wn__ctx_fail(ctx, WN_ECORRUPT, "%s: \"%.100s\" lies below a symbolic link: refused", file, name);
			break;
		}
		if (links && type == AE_IFLNK) {
			const char *target = archive_entry_symlink(e);
			char *path = wn__sprintf("%s/%s", dir, name);
			if (!target || !link_inside(name, target)) {
				rc = wn__ctx_fail(ctx, WN_ECORRUPT, "%s: the link \"%.100s\" points outside the archive: refused", file,
				                  name);
			} else if (!path || mkparents(dir, name) || symlink(target, path)) {
				rc = wn__ctx_fail(ctx, WN_ECORRUPT, "%s: \"%.100s\" appears twice or cannot be written: refused", file, name);
			}
			free(path);
			if (rc != WN_OK)
				break;
			continue;
		}
		if (links && archive_entry_hardlink(e)) {
			const char *target = archive_entry_hardlink(e);
			char *tp = wn__sprintf("%s/%s", dir, target), *path = wn__sprintf("%s/%s", dir, name);
			struct stat st;
			if (!tp || !path || !safe_path(target) || !parents_plain(dir, target) || lstat(tp, &st) ||
			    !S_ISREG(st.st_mode) || mkparents(dir, name) || link(tp, path))
				rc = wn__ctx_fail(ctx, WN_ECORRUPT, "%s: the hard link \"%.100s\" does not name a file in the archive: refused",
				                  file, name);
			free(tp);
			free(path);
			if (rc != WN_OK)
				break;
			continue;
		}
		if (type != AE_IFREG && type != AE_IFDIR) {
			rc = wn__ctx_fail(ctx, WN_ECORRUPT, "%s: \"%.100s\" is a %s, which an image archive has no use for: refused",
			                  file, name, type == AE_IFLNK ? "symbolic link" : "link or special file");
			break;
		}
		if (archive_entry_hardlink(e)) {
			rc = wn__ctx_fail(ctx, WN_ECORRUPT, "%s: \"%.100s\" is a hard link: refused", file, name);
			break;
		}
		if (size > ENTRY_MAX || (total += size) > TOTAL_MAX) {
			rc = wn__ctx_fail(ctx, WN_ECORRUPT, "%s: \"%.100s\" is over the size limit", file, name);
			break;
		}
		char *path = wn__sprintf("%s/%s", dir, name);
		if (!path || mkparents(dir, name)) {
			free(path);
			rc = wn__ctx_fail(ctx, WN_EIO, "cannot unpack %s: %s", file, strerror(errno));
			break;
		}
		if (type == AE_IFDIR) {
			if (mkdir(path, 0755) && errno != EEXIST)
				rc = wn__ctx_fail(ctx, WN_EIO, "cannot unpack %s: %s", file, strerror(errno));
			free(path);
			if (rc != WN_OK)
				break;
			continue;
		}
		/* O_EXCL|O_NOFOLLOW: an entry never writes through anything already there */
		int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
		free(path);
		if (fd < 0) {
			rc = wn__ctx_fail(ctx, WN_ECORRUPT, "%s: \"%.100s\" appears twice or cannot be written: refused", file, name);
			break;
		}
		ssize_t n;
		while ((n = archive_read_data(a, buf, IO_CHUNK)) > 0)
			if (write(fd, buf, (size_t)n) != n) {
				rc = wn__ctx_fail(ctx, WN_EIO, "cannot unpack %s: %s", file, strerror(errno));
				break;
			}
		if (n < 0 && rc == WN_OK)
			rc = wn__ctx_fail(ctx, WN_ECORRUPT, "%s is truncated or corrupt (%s): refused", file, archive_error_string(a));
		close(fd);
		if (rc != WN_OK)
			break;
	}
	if (rc == WN_OK && r != ARCHIVE_EOF)
		rc = wn__ctx_fail(ctx, WN_ECORRUPT, "%s is truncated or corrupt (%s): refused", file, archive_error_string(a));
	/* a tar cut at an entry boundary reads as a shorter tar: the format's own files must be there */
	for (const char *const *need = required; rc == WN_OK && need && *need; need++) {
		char *p = wn__sprintf("%s/%s", dir, *need);
		struct stat st;
		if (!p || stat(p, &st) || !S_ISREG(st.st_mode))
			rc = wn__ctx_fail(ctx, WN_ECORRUPT, "%s has no %s: truncated, or not an image archive of this kind: refused",
			                  file, *need);
		free(p);
	}
done:
	archive_read_free(a);
	free(buf);
	return rc;
}

/* ---- source ----------------------------------------------------------- */

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
	wn__rm_tree(w->tmpdir);
	free(w->tmpdir);
	free(w->file);
	free(w);
}

static void arc_src_free(struct wn__src *s)
{
	wrapped_free(s->impl, true);
	free(s->name);
	free(s->tag);
	free(s->digest);
	free(s);
}

static const struct wn__src_ops archive_src_ops = { arc_manifest_get, arc_blob_stream, NULL, arc_tags, arc_src_free };

/* Splits "FILE[:TAG]" at the last ':' after the last '/'. */
static int split(const char *spec, char **file, char **rest)
{
	const char *slash = strrchr(spec, '/'), *colon = strrchr(slash ? slash : spec, ':');
	*file = colon ? strndup(spec, (size_t)(colon - spec)) : strdup(spec);
	*rest = colon ? strdup(colon) : strdup("");
	return *file && *rest ? WN_OK : WN_ENOMEM;
}

int wn__archive_src_new(struct wn__src **out, struct wn_ctx *ctx, const char *spec)
{
	struct wn__src *s = calloc(1, sizeof *s);
	struct wrapped *w = calloc(1, sizeof *w);
	char *rest = NULL, *inner = NULL;
	int rc;
	*out = NULL;
	if (!s || !w) {
		free(s);
		free(w);
		return wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
	}
	s->ops = &archive_src_ops;
	s->impl = w;
	if ((rc = split(spec, &w->file, &rest)) != WN_OK || !(w->tmpdir = wn__tmpdir_new(ctx)) ||
	    (rc = wn__tar_unpack(ctx, w->file, w->tmpdir, (const char *const[]){ "oci-layout", "index.json", NULL },
	                         false)) != WN_OK)
		goto done;
	if (!(inner = wn__sprintf("%s%s", w->tmpdir, rest)) ||
	    (rc = wn__layout_src_new((struct wn__src **)&w->inner, ctx, inner)) != WN_OK)
		goto done;
	struct wn__src *in = w->inner;
	char *name = wn__sprintf("oci-archive:%s", w->file);
	if (name)
		wn__layout_set_name(in->impl, name);
	free(name);
	s->tag = wn__strdup(in->tag);
	s->digest = wn__strdup(in->digest);
	s->name = wn__sprintf("oci-archive:%s", spec);
done:
	if (rc == WN_OK && !w->tmpdir)
		rc = wn_ctx_errcode(ctx);
	free(rest);
	free(inner);
	if (rc != WN_OK) {
		arc_src_free(s);
		return rc;
	}
	*out = s;
	return WN_OK;
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
	char *tmp = wn__sprintf("%s.winch-tmp-%d-XXXXXX", file, (int)getpid());
	unsigned char *buf = malloc(IO_CHUNK);
	int fd = tmp ? mkstemp(tmp) : -1, rc;
	if (fd < 0 || !buf) {
		rc = wn__ctx_fail(ctx, WN_EIO, "cannot write %s: %s", file, strerror(errno));
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
		rc = wn__ctx_fail(ctx, WN_EIO, "cannot write %s: %s", file, strerror(errno));
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
	qsort(names.items, names.n, sizeof *names.items, cmp_names);
	for (size_t i = 0; i < names.n && rc == WN_OK; i++) {
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
				ssize_t n;
				while (fd >= 0 && (n = read(fd, buf, IO_CHUNK)) > 0)
					if (archive_write_data(a, buf, (size_t)n) != n) {
						rc = wn__ctx_fail(ctx, WN_EIO, "cannot write the archive: %s", archive_error_string(a));
						break;
					}
				if (fd < 0)
					rc = wn__ctx_fail(ctx, WN_EIO, "cannot read %s", p);
				else
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
	free(d->name);
	free(d->tag);
	free(d->digest);
	free(d);
}

static const struct wn__dst_ops archive_dst_ops = { arc_blob_exists, arc_blob_write, arc_manifest_digest,
	                                                arc_manifest_put, NULL, arc_dst_free };

int wn__archive_dst_new(struct wn__dst **out, struct wn_ctx *ctx, const char *spec)
{
	struct wn__dst *d = calloc(1, sizeof *d);
	struct wrapped *w = calloc(1, sizeof *w);
	char *rest = NULL, *inner = NULL;
	int rc;
	*out = NULL;
	if (!d || !w) {
		free(d);
		free(w);
		return wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
	}
	d->ops = &archive_dst_ops;
	d->impl = w;
	rc = split(spec, &w->file, &rest);
	if (rc == WN_OK && !(w->tmpdir = wn__tmpdir_new(ctx)))
		rc = wn_ctx_errcode(ctx);
	if (rc == WN_OK && (!(inner = wn__sprintf("%s%s", w->tmpdir, rest)) ||
	                    (rc = wn__layout_dst_new((struct wn__dst **)&w->inner, ctx, inner)) != WN_OK))
		rc = rc != WN_OK ? rc : WN_ENOMEM;
	if (rc == WN_OK) {
		struct wn__dst *in = w->inner;
		char *name = wn__sprintf("oci-archive:%s", w->file);
		if (name)
			wn__layout_set_name(in->impl, name);
		free(name);
		d->tag = wn__strdup(in->tag);
		d->digest = wn__strdup(in->digest);
		d->name = wn__sprintf("oci-archive:%s", spec);
	}
	free(rest);
	free(inner);
	if (rc != WN_OK) {
		arc_dst_free(d);
		return rc;
	}
	*out = d;
	return WN_OK;
}

/*
 * dockerarchive.c: docker-archive:FILE[:REF], the `docker save` / `docker
 * load` tarball (manifest.json with Config, RepoTags and Layers; layers as
 * uncompressed tars).
 *
 * Reading (to push): the tar's headers are checked (archive.c), the image
 * REF names is picked from manifest.json, only its config and layers are
 * unpacked (links followed in the header table), and each uncompressed layer is gzipped
 * with zlib in one pass that computes both the compressed digest and the
 * diff_id; a diff_id that differs from the config's refuses the archive.  A
 * layer already gzipped is carried as it is (its diff_id still checked).
 * The image is served as a Docker v2 manifest.
 *
 * Writing (from a registry): blobs arrive verified into a private directory;
 * when the manifest comes, each layer is gunzipped and checked against its
 * diff_id, manifest.json and repositories are written, and the tar is
 * renamed over FILE.  An archive holds no index: for an index the copy
 * engine picks the host's platform.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include "internal.h"

#define IO_CHUNK (256u << 10)
#define CONFIG_MAX (8u << 20)
#define MT_DOCKER_CONFIG "application/vnd.docker.container.image.v1+json"
#define MT_DOCKER_LAYER_GZ "application/vnd.docker.image.rootfs.diff.tar.gzip"
#define MT_DOCKER_LAYER "application/vnd.docker.image.rootfs.diff.tar"

struct blobfile {
	char digest[WN_DIGEST_MAX];
	int64_t size;
	char *path;
};

struct darc {
	char *tmpdir, *file, *ref;   /* ref: the REF of the location, NULL if none */
	int tmpfd;                   /* the flock on tmpdir */
	struct wn_manifest *man;     /* source: the image as a Docker v2 manifest */
	struct blobfile *blobs;      /* source: config and layers */
	size_t n_blobs;
};

static void darc_free(struct darc *a)
{
	if (!a)
		return;
	wn__tmpdir_free(a->tmpdir, a->tmpfd);
	free(a->file);
	free(a->ref);
	wn_manifest_free(a->man);
	for (size_t i = 0; i < a->n_blobs; i++)
		free(a->blobs[i].path);
	free(a->blobs);
	free(a);
}

/* "FILE[:REF]": FILE ends at the first ':'. */
static int split(struct darc *a, const char *spec)
{
	const char *colon = strchr(spec, ':');
	a->file = colon ? strndup(spec, (size_t)(colon - spec)) : strdup(spec);
	a->ref = colon && colon[1] ? strdup(colon + 1) : NULL;
	return a->file && (!colon || !colon[1] || a->ref) ? WN_OK : WN_ENOMEM;
}

/* errno as the failed call left it (read it before anything else runs) */
static int sys_fail(struct wn_ctx *ctx, const char *what, const char *path)
{
	return wn__write_fail(ctx, what, path, errno);
}

/* Streams `in` through zlib: gzip (deflate) or gunzip (inflate), hashing the
 * compressed and the uncompressed bytes; `out` may be NULL (hash only). */
static int zpipe(struct wn_ctx *ctx, bool compress, const char *in, const char *out, char zdigest[WN_DIGEST_MAX],
                 int64_t *zsize, char plain[WN_DIGEST_MAX])
{
	unsigned char *ib = malloc(IO_CHUNK), *ob = malloc(IO_CHUNK);
	struct wn_hasher *hz = NULL, *hp = NULL;
	z_stream z = { 0 };
	int ifd = open(in, O_RDONLY | O_CLOEXEC), ofd = -1, rc = WN_OK, zr = Z_OK;
	bool zinit = false;
	int64_t zn = 0;
	if (ifd < 0) {
		rc = sys_fail(ctx, "read", in);
		goto done;
	}
	if (out && (ofd = open(out, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644)) < 0) {
		rc = sys_fail(ctx, "write", out);
		goto done;
	}
	if (!ib || !ob || wn_hasher_new(&hz, "sha256", NULL) != WN_OK || wn_hasher_new(&hp, "sha256", NULL) != WN_OK) {
		rc = wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
		goto done;
	}
	/* windowBits 15+16: a gzip wrapper; 15+32: any zlib or gzip header on input */
	zr = compress ? deflateInit2(&z, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) : inflateInit2(&z, 15 + 32);
	if (zr != Z_OK) {
		rc = wn__ctx_fail(ctx, WN_ENOMEM, "zlib: cannot start");
		goto done;
	}
	zinit = true;
	bool eof = false;
	while (rc == WN_OK && zr != Z_STREAM_END) {
		if ((rc = wn__check_cancel(ctx)) != WN_OK)
			break;
		if (!z.avail_in && !eof) {
			ssize_t n = read(ifd, ib, IO_CHUNK);
			if (n < 0) {
				rc = sys_fail(ctx, "read", in);
				break;
			}
			eof = n == 0;
			z.next_in = ib;
			z.avail_in = (uInt)n;
			wn_hasher_update(compress ? hp : hz, ib, (size_t)n);
			if (!compress)
				zn += n;
		}
		z.next_out = ob;
		z.avail_out = IO_CHUNK;
		zr = compress ? deflate(&z, eof ? Z_FINISH : Z_NO_FLUSH) : inflate(&z, Z_NO_FLUSH);
		if (zr != Z_OK && zr != Z_STREAM_END && !(zr == Z_BUF_ERROR && !eof)) {
			rc = wn__ctx_fail(ctx, WN_ECORRUPT, "%s: %s", in, compress ? "cannot compress" : "not valid gzip data");
			break;
		}
		size_t got = IO_CHUNK - z.avail_out;
		wn_hasher_update(compress ? hz : hp, ob, got);
		if (compress)
			zn += (int64_t)got;
		if (ofd >= 0 && got && wn__write_all(ofd, ob, got))
			rc = sys_fail(ctx, "write", out);
		if (!compress && eof && !z.avail_in && zr != Z_STREAM_END && !got) {
			rc = wn__ctx_fail(ctx, WN_ECORRUPT, "%s: gzip data ends early", in);
			break;
		}
	}
	if (rc == WN_OK && ofd >= 0 && (fsync(ofd) || close(ofd)))
		rc = sys_fail(ctx, "write", out);
	else if (ofd >= 0)
		close(ofd);
	ofd = -1;
	if (rc == WN_OK) {
		if (zdigest)
			wn_hasher_final(hz, zdigest);
		if (plain)
			wn_hasher_final(hp, plain);
		if (zsize)
			*zsize = zn;
	}
done:
	if (zinit)
		compress ? deflateEnd(&z) : inflateEnd(&z);
	if (ifd >= 0)
		close(ifd);
	if (ofd >= 0)
		close(ofd);
	if (rc != WN_OK && out)
		unlink(out);
	wn_hasher_free(hz);
	wn_hasher_free(hp);
	free(ib);
	free(ob);
	return rc;
}

static int hash_file(struct wn_ctx *ctx, const char *path, char digest[WN_DIGEST_MAX], int64_t *size)
{
	unsigned char *buf = malloc(IO_CHUNK);
	struct wn_hasher *h = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc = WN_OK;
	ssize_t n;
	*size = 0;
	if (fd < 0 || !buf || wn_hasher_new(&h, "sha256", NULL) != WN_OK) {
		rc = fd < 0 ? sys_fail(ctx, "read", path) : WN_ENOMEM;
		goto done;
	}
	while ((n = read(fd, buf, IO_CHUNK)) > 0 && !wn__cancelled(ctx)) {
		wn_hasher_update(h, buf, (size_t)n);
		*size += n;
	}
	if (n < 0)
		rc = sys_fail(ctx, "read", path);
	else if ((rc = wn__check_cancel(ctx)) == WN_OK)
		wn_hasher_final(h, digest);
done:
	if (fd >= 0)
		close(fd);
	wn_hasher_free(h);
	free(buf);
	return rc;
}

static bool is_gzip(const char *path)
{
	unsigned char m[2] = { 0, 0 };
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	bool yes = fd >= 0 && read(fd, m, 2) == 2 && m[0] == 0x1f && m[1] == 0x8b;
	if (fd >= 0)
		close(fd);
	return yes;
}

/* The file a path from manifest.json names (through the archive's links),
 * NULL with the context's error when it names none. */
static const char *member_name(struct wn_ctx *ctx, const struct darc *a, const struct wn__tar *t, const char *rel)
{
	const char *name = rel ? wn__tar_find(t, rel, NULL) : NULL;
	if (!name)
		wn__ctx_fail(ctx, WN_ECORRUPT, "%s: manifest.json names \"%.100s\", which is no file in the archive: refused",
		             a->file, rel ? rel : "");
	return name;
}

/* Where that file was unpacked. */
static char *member(struct wn_ctx *ctx, const struct darc *a, const struct wn__tar *t, const char *rel)
{
	struct stat st;
	const char *name = member_name(ctx, a, t, rel);
	char *p = name ? wn__sprintf("%s/%s", a->tmpdir, name) : NULL;
	if (name && (!p || lstat(p, &st) || !S_ISREG(st.st_mode))) {
		wn__ctx_fail(ctx, WN_ECORRUPT, "%s: %s was not unpacked", a->file, name);
		free(p);
		p = NULL;
	}
	return p;
}

/* The manifest.json entry REF names, or the only one. */
static const cJSON *pick(struct wn_ctx *ctx, const struct darc *a, const cJSON *entries)
{
	int n = cJSON_GetArraySize(entries);
	if (!a->ref) {
		if (n == 1)
			return cJSON_GetArrayItem(entries, 0);
		wn__ctx_fail(ctx, n ? WN_EINVAL : WN_ECORRUPT, "docker-archive:%s holds %d images: name one as docker-archive:%s:REF",
		             a->file, n, a->file);
		return NULL;
	}
	struct wn_ref *want;
	struct wn_error err;
	if (wn_ref_parse(&want, a->ref, WN_REF_DEFAULT_TAG, &err) != WN_OK) {
		wn__ctx_take(ctx, &err);
		return NULL;
	}
	const cJSON *e, *found = NULL, *t;
	cJSON_ArrayForEach(e, entries)
		cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(e, "RepoTags")) {
			struct wn_ref *have;
			if (!found && cJSON_IsString(t) && wn_ref_parse(&have, t->valuestring, WN_REF_DEFAULT_TAG, NULL) == WN_OK) {
				/* a RepoTag (attacker's text) may carry a digest and no tag: compare NULL-safely */
				if (!strcmp(have->registry, want->registry) && !strcmp(have->repository, want->repository) &&
				    have->tag && want->tag && !strcmp(have->tag, want->tag))
					found = e;
				wn_ref_free(have);
			}
		}
	if (!found)
		wn__ctx_fail(ctx, WN_ENOTFOUND, "docker-archive:%s has no image %s", a->file, a->ref);
	wn_ref_free(want);
	return found;
}

/* Builds the Docker v2 manifest of the chosen image, gzipping its layers. */
static int load_image(struct wn_ctx *ctx, struct darc *a, struct wn__tar *t, char **tag_out)
{
	struct wn_image_config *cfg = NULL;
	struct wn_error err;
	cJSON *mj = NULL, *man = NULL;
	char *cpath = NULL;
	unsigned char *data = NULL;
	size_t len = 0;
	int rc = WN_OK;
	const unsigned char *mdata = wn__tar_data(t, "manifest.json", &len);
	if (!mdata) {
		rc = wn__ctx_fail(ctx, WN_ECORRUPT, "%s has no manifest.json: truncated, or not a docker-archive: refused", a->file);
		goto done;
	}
	mj = wn__json_parse(mdata, len);
	const cJSON *entry = cJSON_IsArray(mj) ? pick(ctx, a, mj) : NULL;
	if (!entry) {
		rc = cJSON_IsArray(mj) ? (int)wn_ctx_errcode(ctx)
		                       : wn__ctx_fail(ctx, WN_ECORRUPT, "%s: manifest.json is not a docker save manifest", a->file);
		goto done;
	}
	const cJSON *layers = cJSON_GetObjectItemCaseSensitive(entry, "Layers"), *l;
	if (!cJSON_IsArray(layers)) {
		rc = wn__ctx_fail(ctx, WN_ECORRUPT, "%s: an image without Layers", a->file);
		goto done;
	}
	/* only the chosen image's config and layers are unpacked */
	const char *name = member_name(ctx, a, t, wn__json_str(entry, "Config"));
	if (!name || wn__tar_want(t, name) != WN_OK) {
		rc = wn_ctx_errcode(ctx);
		goto done;
	}
	cJSON_ArrayForEach(l, layers) {
		if (!(name = member_name(ctx, a, t, cJSON_IsString(l) ? l->valuestring : NULL)) || wn__tar_want(t, name) != WN_OK) {
			rc = wn_ctx_errcode(ctx);
			goto done;
		}
	}
	if ((rc = wn__tar_extract(ctx, t, a->tmpdir)) != WN_OK || !(cpath = member(ctx, a, t, wn__json_str(entry, "Config")))) {
		rc = rc != WN_OK ? rc : (int)wn_ctx_errcode(ctx);
		goto done;
	}
	size_t nl = (size_t)cJSON_GetArraySize(layers);
	a->blobs = calloc(nl + 1, sizeof *a->blobs);
	if (!a->blobs) {
		rc = wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
		goto done;
	}
	/* the config: its bytes as they are */
	struct blobfile *c = &a->blobs[a->n_blobs++];
	c->path = cpath;
	cpath = NULL;
	/* read once: hashed and parsed from the same bytes */
	if ((rc = wn__file_read(ctx, c->path, CONFIG_MAX, &data, &len)) != WN_OK)
		goto done;
	wn_digest_sha256(c->digest, data, len);
	c->size = (int64_t)len;
	rc = wn_image_config_parse(&cfg, data, len, &err);
	free(data);
	data = NULL;
	if (rc != WN_OK) {
		rc = wn__ctx_take(ctx, &err);
		goto done;
	}
	if (cfg->n_diff_ids != nl) {
		rc = wn__ctx_fail(ctx, WN_ECORRUPT, "%s: the config lists %zu layers, manifest.json %zu", a->file,
		                  cfg->n_diff_ids, nl);
		goto done;
	}
	man = cJSON_CreateObject();
	cJSON_AddNumberToObject(man, "schemaVersion", 2);
	cJSON_AddStringToObject(man, "mediaType", WN_MT_DOCKER_MANIFEST);
	cJSON *cd = cJSON_AddObjectToObject(man, "config");
	cJSON_AddStringToObject(cd, "mediaType", MT_DOCKER_CONFIG);
	cJSON_AddNumberToObject(cd, "size", (double)c->size);
	cJSON_AddStringToObject(cd, "digest", c->digest);
	cJSON *arr = cJSON_AddArrayToObject(man, "layers");
	size_t i = 0;
	cJSON_ArrayForEach(l, layers) {
		char *path = member(ctx, a, t, cJSON_IsString(l) ? l->valuestring : NULL), diff[WN_DIGEST_MAX];
		struct blobfile *bf = &a->blobs[a->n_blobs++];
		if (!path) {
			rc = wn_ctx_errcode(ctx);
			goto done;
		}
		if (is_gzip(path)) { /* carried as it is */
			bf->path = path;
			rc = hash_file(ctx, path, bf->digest, &bf->size);
			if (rc == WN_OK)
				rc = zpipe(ctx, false, path, NULL, NULL, NULL, diff);
		} else {
			bf->path = wn__sprintf("%s/winch-layer-%zu.tar.gz", a->tmpdir, i);
			rc = bf->path ? zpipe(ctx, true, path, bf->path, bf->digest, &bf->size, diff) : WN_ENOMEM;
			free(path);
		}
		if (rc != WN_OK)
			goto done;
		if (strcmp(diff, cfg->diff_ids[i])) {
			rc = wn__ctx_fail(ctx, WN_EDIGEST, "digest mismatch: layer %zu of %s is %s, its config says %s: refused", i,
			                  a->file, diff, cfg->diff_ids[i]);
			goto done;
		}
		cJSON *ld = cJSON_CreateObject();
		cJSON_AddStringToObject(ld, "mediaType", MT_DOCKER_LAYER_GZ);
		cJSON_AddNumberToObject(ld, "size", (double)bf->size);
		cJSON_AddStringToObject(ld, "digest", bf->digest);
		cJSON_AddItemToArray(arr, ld);
		i++;
	}
	char *text = cJSON_PrintUnformatted(man);
	rc = text ? wn_manifest_parse(&a->man, text, strlen(text), WN_MT_DOCKER_MANIFEST, &err) : WN_ENOMEM;
	free(text);
	if (rc != WN_OK && rc != WN_ENOMEM)
		rc = wn__ctx_take(ctx, &err);
	/* the tag the archive gives the image, for a destination that names none */
	const cJSON *rt = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(entry, "RepoTags"), 0);
	struct wn_ref *r;
	if (rc == WN_OK && cJSON_IsString(rt) && wn_ref_parse(&r, a->ref ? a->ref : rt->valuestring, 0, NULL) == WN_OK) {
		*tag_out = wn__strdup(r->tag);
		wn_ref_free(r);
	}
done:
	cJSON_Delete(man);
	cJSON_Delete(mj);
	wn_image_config_free(cfg);
	free(cpath);
	return rc;
}

/* ---- source ----------------------------------------------------------- */

static int da_manifest_get(struct wn__src *s, struct wn_ctx *ctx, const char *ref, struct wn_manifest **out)
{
	struct darc *a = s->impl;
	const struct wn_manifest *m = a->man;
	struct wn_error err;
	*out = NULL;
	if (ref && strchr(ref, ':') && strcmp(ref, m->digest))
		return wn__ctx_fail(ctx, WN_ENOTFOUND, "docker-archive:%s has no manifest %s", a->file, ref);
	return wn_manifest_parse(out, m->data, m->len, m->media_type, &err) == WN_OK ? WN_OK : wn__ctx_take(ctx, &err);
}

static int da_blob_stream(struct wn__src *s, struct wn_ctx *ctx, const struct wn_descriptor *d, uint64_t offset,
                          wn__sink_fn sink, void *data)
{
	struct darc *a = s->impl;
	for (size_t i = 0; i < a->n_blobs; i++) {
		if (strcmp(a->blobs[i].digest, d->digest))
			continue;
		unsigned char *buf = malloc(IO_CHUNK);
		int fd = open(a->blobs[i].path, O_RDONLY | O_CLOEXEC), rc = WN_OK;
		ssize_t n;
		if (fd < 0 || !buf || (offset && lseek(fd, (off_t)offset, SEEK_SET) < 0))
			rc = sys_fail(ctx, "read", a->blobs[i].path);
		while (rc == WN_OK && (rc = wn__check_cancel(ctx)) == WN_OK && (n = read(fd, buf, IO_CHUNK)) != 0) {
			if (n < 0)
				rc = sys_fail(ctx, "read", a->blobs[i].path);
			else if (sink(data, buf, (size_t)n) != (size_t)n)
				rc = wn__ctx_fail(ctx, WN_ECANCELED, "stopped");
		}
		if (fd >= 0)
			close(fd);
		free(buf);
		return rc;
	}
	return wn__ctx_fail(ctx, WN_ENOTFOUND, "docker-archive:%s has no blob %s", a->file, d->digest);
}

static int da_tags(struct wn__src *s, struct wn_ctx *ctx, struct wn_strlist **out)
{
	*out = calloc(1, sizeof **out);
	return *out ? WN_OK : WN_ENOMEM;
}

static void da_src_free(struct wn__src *s)
{
	darc_free(s->impl);
	free(s->name);
	free(s->tag);
	free(s->digest);
	free(s->base);
	free(s);
}

static const struct wn__src_ops darc_src_ops = { da_manifest_get, da_blob_stream, NULL, da_tags, da_src_free };

int wn__darchive_src_new(struct wn__src **out, struct wn_ctx *ctx, const char *spec)
{
	struct wn__src *s = calloc(1, sizeof *s);
	struct darc *a = calloc(1, sizeof *a);
	int rc;
	*out = NULL;
	if (!s || !a) {
		free(s);
		free(a);
		return wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
	}
	s->ops = &darc_src_ops;
	s->impl = a;
	a->tmpfd = -1;
	struct wn__tar *t = NULL;
	if ((rc = split(a, spec)) == WN_OK && !(a->tmpdir = wn__tmpdir_new(ctx, &a->tmpfd)))
		rc = wn_ctx_errcode(ctx);
	/* links allowed: docker save and skopeo write some, inside the archive */
	if (rc == WN_OK)
		rc = wn__tar_open(ctx, a->file, true, (const char *const[]){ "manifest.json", NULL }, CONFIG_MAX, a->tmpdir,
		                  &t);
	if (rc == WN_OK)
		rc = load_image(ctx, a, t, &s->tag);
	wn__tar_free(t);
	if (rc == WN_OK && (!(s->name = wn__sprintf("docker-archive:%s", spec)) ||
	                    !(s->base = wn__sprintf("docker-archive:%s", a->file))))
		rc = wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
	if (rc != WN_OK) {
		da_src_free(s);
		return rc;
	}
	*out = s;
	return WN_OK;
}

/* ---- destination ------------------------------------------------------ */

/* The hex of a well-formed digest, else NULL: file names are built from
 * digests only after this check ("sha256:../../x" is a path). */
static const char *digest_hex(const char *digest)
{
	return digest && wn_digest_validate(digest, NULL) == WN_OK ? strchr(digest, ':') + 1 : NULL;
}

static char *blob_file(const struct darc *a, const char *digest)
{
	const char *hex = digest_hex(digest);
	return hex ? wn__sprintf("%s/in/%s", a->tmpdir, hex) : NULL;
}

static int da_blob_exists(struct wn__dst *d, struct wn_ctx *ctx, const struct wn_descriptor *desc, bool *yes)
{
	char *p = blob_file(d->impl, desc->digest);
	struct stat st;
	*yes = p && !stat(p, &st) && st.st_size == desc->size;
	free(p);
	return WN_OK;
}

static int da_blob_write(struct wn__dst *d, struct wn_ctx *ctx, const struct wn_descriptor *desc,
                         struct wn__feed *feed, const struct wn__src *from, bool *mounted)
{
	char *p = blob_file(d->impl, desc->digest), *tmp = p ? wn__sprintf("%s.part", p) : NULL;
	unsigned char *buf = malloc(IO_CHUNK);
	int fd = tmp ? open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644) : -1, rc = WN_OK;
	*mounted = false;
	if (!digest_hex(desc->digest))
		rc = wn__ctx_fail(ctx, WN_ECORRUPT, "invalid blob digest \"%.100s\": refused", desc->digest ? desc->digest : "");
	else if (fd < 0 || !buf)
		rc = fd < 0 && tmp ? sys_fail(ctx, "write", tmp) : wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
	while (rc == WN_OK) {
		ssize_t n = wn__feed_read(feed, buf, IO_CHUNK);
		if (n < 0) {
			struct wn_error err;
			wn__feed_error(feed, &err);
			rc = wn__ctx_take(ctx, &err);
		} else if (!n) {
			break;
		} else if (wn__write_all(fd, buf, (size_t)n)) {
			rc = sys_fail(ctx, "write", tmp);
		}
	}
	if (fd >= 0 && close(fd) && rc == WN_OK)
		rc = sys_fail(ctx, "write", tmp);
	if (rc == WN_OK && rename(tmp, p))
		rc = sys_fail(ctx, "write", p);
	if (rc != WN_OK && tmp)
		unlink(tmp);
	free(p);
	free(tmp);
	free(buf);
	return rc;
}

static int da_manifest_digest(struct wn__dst *d, struct wn_ctx *ctx, const char *ref, char digest[WN_DIGEST_MAX])
{
	return WN_ENOTFOUND; /* an archive is written whole, every time */
}

static int write_text(struct wn_ctx *ctx, const char *path, const char *text)
{
	FILE *f = fopen(path, "wb");
	if (!f || fputs(text, f) < 0 || fclose(f))
		return sys_fail(ctx, "write", path);
	return WN_OK;
}

static int da_manifest_put(struct wn__dst *d, struct wn_ctx *ctx, const struct wn_manifest *m, const char *tag,
                           bool top)
{
	struct darc *a = d->impl;
	struct wn_image_config *cfg = NULL;
	struct wn_error err;
	char *out = NULL, *cpath = NULL, *path = NULL;
	const char *chex;
	unsigned char *craw = NULL;
	size_t clen = 0;
	int rc = WN_OK;
	if (!top)
		goto done;
	/* an index has no config: nothing below may look at one */
	if (m->is_index) {
		rc = wn__ctx_fail(ctx, WN_EUNSUPPORTED, "a docker-archive holds one image, not an index: pick one with --platform");
		goto done;
	}
	if (!(chex = digest_hex(m->config.digest))) {
		rc = wn__ctx_fail(ctx, WN_ECORRUPT, "the image's config digest is invalid: refused");
		goto done;
	}
	out = wn__sprintf("%s/out", a->tmpdir);
	cpath = blob_file(a, m->config.digest);
	if (!out || !cpath || mkdir(out, 0755)) {
		rc = out && cpath ? sys_fail(ctx, "create", out) : wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
		goto done;
	}
	if ((rc = wn__file_read(ctx, cpath, CONFIG_MAX, &craw, &clen)) != WN_OK) {
		if (rc == WN_ENOTFOUND)
			rc = wn__ctx_fail(ctx, WN_ECORRUPT, "the image's config %s never arrived", m->config.digest);
		goto done;
	}
	if ((rc = wn_image_config_parse(&cfg, craw, clen, &err)) != WN_OK) {
		rc = wn__ctx_take(ctx, &err);
		goto done;
	}
	if (cfg->n_diff_ids != m->n_layers) {
		rc = wn__ctx_fail(ctx, WN_ECORRUPT, "the config lists %zu layers, the manifest %zu", cfg->n_diff_ids, m->n_layers);
		goto done;
	}
	cJSON *entry = cJSON_CreateObject(), *layers, *list = cJSON_CreateArray();
	char cname[WN_DIGEST_MAX + 8];
	snprintf(cname, sizeof cname, "%s.json", chex);
	cJSON_AddStringToObject(entry, "Config", cname);
	cJSON *tags = cJSON_AddArrayToObject(entry, "RepoTags");
	if (a->ref)
		cJSON_AddItemToArray(tags, cJSON_CreateString(a->ref));
	layers = cJSON_AddArrayToObject(entry, "Layers");
	cJSON_AddItemToArray(list, entry);
	for (size_t i = 0; i < m->n_layers && rc == WN_OK; i++) {
		/* the config parser refused malformed diff_ids; checked again where they become names */
		const char *mt = m->layers[i].media_type ? m->layers[i].media_type : "", *hex = digest_hex(cfg->diff_ids[i]);
		char *in = blob_file(a, m->layers[i].digest), diff[WN_DIGEST_MAX];
		bool again = false; /* the same layer twice: one file, each copy still checked */
		free(path);
		path = hex ? wn__sprintf("%s/%s.tar", out, hex) : NULL;
		for (size_t k = 0; k < i && hex; k++)
			again |= !strcmp(cfg->diff_ids[k], cfg->diff_ids[i]);
		if (!in || !path) {
			rc = wn__ctx_fail(ctx, WN_ECORRUPT, "layer %zu: invalid digest or diff_id: refused", i);
		} else if (strstr(mt, "zstd")) {
			rc = wn__ctx_fail(ctx, WN_EUNSUPPORTED, "layer %s is zstd-compressed: docker-archive takes tar or gzip",
			                  m->layers[i].digest);
		} else if (strstr(mt, "gzip")) {
			rc = zpipe(ctx, false, in, again ? NULL : path, NULL, NULL, diff);
		} else {
			int64_t sz;
			rc = hash_file(ctx, in, diff, &sz);
			if (rc == WN_OK && !again && link(in, path))
				rc = sys_fail(ctx, "write", path);
		}
		if (rc == WN_OK && strcmp(diff, cfg->diff_ids[i]))
			rc = wn__ctx_fail(ctx, WN_EDIGEST, "digest mismatch: layer %s unpacks to %s, its config says %s",
			                  m->layers[i].digest, diff, cfg->diff_ids[i]);
		snprintf(cname, sizeof cname, "%s.tar", hex ? hex : "");
		cJSON_AddItemToArray(layers, cJSON_CreateString(cname));
		free(in);
	}
	char *mtext = rc == WN_OK ? cJSON_PrintUnformatted(list) : NULL;
	cJSON_Delete(list);
	if (rc != WN_OK)
		goto done;
	/* repositories: {"name": {"tag": "<top layer id>"}}, as docker save writes it */
	char *rtext = NULL;
	struct wn_ref *r = NULL;
	if (a->ref && wn_ref_parse(&r, a->ref, WN_REF_DEFAULT_TAG, NULL) == WN_OK && r->tag) {
		const char *last = m->n_layers ? digest_hex(cfg->diff_ids[m->n_layers - 1]) : "";
		const char *colon = strrchr(a->ref, ':'), *slash = strrchr(a->ref, '/');
		/* the name as the user wrote it, without its tag */
		char *name = colon && (!slash || colon > slash) ? strndup(a->ref, (size_t)(colon - a->ref)) : strdup(a->ref);
		cJSON *repos = cJSON_CreateObject(), *one = cJSON_AddObjectToObject(repos, name ? name : a->ref);
		cJSON_AddStringToObject(one, r->tag, last);
		rtext = cJSON_PrintUnformatted(repos);
		cJSON_Delete(repos);
		free(name);
	}
	wn_ref_free(r);
	free(path);
	path = wn__sprintf("%s/%s.json", out, chex);
	if (!path || (rc = write_text(ctx, path, (char *)craw)) != WN_OK)
		goto text_done;
	free(path);
	path = wn__sprintf("%s/manifest.json", out);
	if (!path || !mtext || (rc = write_text(ctx, path, mtext)) != WN_OK)
		goto text_done;
	if (rtext) {
		free(path);
		path = wn__sprintf("%s/repositories", out);
		if (!path || (rc = write_text(ctx, path, rtext)) != WN_OK)
			goto text_done;
	}
	rc = wn__tar_pack(ctx, out, a->file);
text_done:
	free(mtext);
	free(rtext);
done:
	wn_image_config_free(cfg);
	free(craw);
	free(out);
	free(cpath);
	free(path);
	return rc;
}

static void da_dst_free(struct wn__dst *d)
{
	darc_free(d->impl);
	free(d->name);
	free(d->tag);
	free(d->digest);
	free(d);
}

static const struct wn__dst_ops darc_dst_ops = { da_blob_exists, da_blob_write, da_manifest_digest, da_manifest_put,
	                                             NULL, da_dst_free };

int wn__darchive_dst_new(struct wn__dst **out, struct wn_ctx *ctx, const char *spec)
{
	struct wn__dst *d = calloc(1, sizeof *d);
	struct darc *a = calloc(1, sizeof *a);
	int rc;
	*out = NULL;
	if (!d || !a) {
		free(d);
		free(a);
		return wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
	}
	d->ops = &darc_dst_ops;
	d->impl = a;
	d->single_image = true;
	a->tmpfd = -1;
	if ((rc = split(a, spec)) == WN_OK && !(a->tmpdir = wn__tmpdir_new(ctx, &a->tmpfd)))
		rc = wn_ctx_errcode(ctx);
	if (rc == WN_OK)
		wn__tar_clean_beside(a->file);
	if (rc == WN_OK && a->ref) {
		struct wn_ref *r;
		struct wn_error err;
		if ((rc = wn_ref_parse(&r, a->ref, WN_REF_DEFAULT_TAG, &err)) != WN_OK)
			rc = wn__ctx_take(ctx, &err);
		else
			wn_ref_free(r);
	}
	if (rc == WN_OK) {
		char *in = wn__sprintf("%s/in", a->tmpdir);
		if (!in || mkdir(in, 0755))
			rc = in ? sys_fail(ctx, "create", in) : WN_ENOMEM;
		free(in);
	}
	if (rc == WN_OK && !(d->name = wn__sprintf("docker-archive:%s", spec)))
		rc = WN_ENOMEM;
	if (rc != WN_OK) {
		da_dst_free(d);
		return rc;
	}
	*out = d;
	return WN_OK;
}

int wn__darchive_names(struct wn_ctx *ctx, const char *spec, struct wn_strlist **out, char **base)
{
	struct darc *a = calloc(1, sizeof *a);
	struct wn__tar *t = NULL;
	struct wn_strlist *names = NULL;
	cJSON *mj = NULL;
	int rc;
	*out = NULL;
	*base = NULL;
	if (!a)
		return wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
	a->tmpfd = -1;
	/* the header pass alone, keeping manifest.json: nothing is unpacked */
	if ((rc = split(a, spec)) != WN_OK)
		rc = wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
	else if (a->ref)
		rc = wn__ctx_fail(ctx, WN_EINVAL, "docker-archive:%s names an image: the images of an archive are listed from "
		                  "docker-archive:%s", spec, a->file);
	else if (!(a->tmpdir = wn__tmpdir_new(ctx, &a->tmpfd)))
		rc = wn_ctx_errcode(ctx);
	if (rc == WN_OK)
		rc = wn__tar_open(ctx, a->file, true, (const char *const[]){ "manifest.json", NULL }, CONFIG_MAX, a->tmpdir, &t);
	if (rc == WN_OK) {
		size_t len = 0;
		const unsigned char *data = wn__tar_data(t, "manifest.json", &len);
		const cJSON *e, *tag;
		mj = data ? wn__json_parse(data, len) : NULL;
		if (!cJSON_IsArray(mj))
			rc = wn__ctx_fail(ctx, WN_ECORRUPT, "%s: no manifest.json, or not a docker save manifest", a->file);
		else if (!(names = calloc(1, sizeof *names)) || !(*base = wn__sprintf("docker-archive:%s", a->file)))
			rc = wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
		/* every image's RepoTags as the archive writes them (skopeo list-tags'
		 * answer), those that are references: docker-archive:FILE:REF takes them */
		const cJSON *list = rc == WN_OK ? mj : NULL;
		cJSON_ArrayForEach(e, list)
			cJSON_ArrayForEach(tag, cJSON_GetObjectItemCaseSensitive(e, "RepoTags")) {
				struct wn_ref *r;
				if (rc != WN_OK || !cJSON_IsString(tag) || wn_ref_parse(&r, tag->valuestring, 0, NULL) != WN_OK)
					continue;
				wn_ref_free(r);
				if (wn__strlist_push(names, tag->valuestring) != WN_OK)
					rc = wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
			}
	}
	if (rc == WN_OK) {
		*out = names;
		names = NULL;
	} else {
		free(*base);
		*base = NULL;
	}
	wn_strlist_free(names);
	cJSON_Delete(mj);
	wn__tar_free(t);
	darc_free(a);
	return rc;
}

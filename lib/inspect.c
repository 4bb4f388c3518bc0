/*
 * inspect.c: a manifest plus, for an image, its config: everything `inspect`
 * shows, in two requests (three with a token), never the tag list; and the
 * read commands (inspect, manifest, digest, list-tags) on every location a
 * copy takes, through the transports of store.c, so that no command needs
 * to know where an image lives.
 */
#include <stdlib.h>
#include <string.h>
#include "internal.h"

#define CONFIG_BLOB_MAX (8u << 20)

void wn_inspect_free(struct wn_inspect *in)
{
	if (!in)
		return;
	wn_ref_free(in->ref);
	free(in->name);
	free(in->tag);
	free(in->platform);
	wn_manifest_free(in->manifest);
	wn_image_config_free(in->config);
	free(in->config_raw);
	free(in);
}

static bool is_image_config(const char *mt)
{
	return mt && (!strcmp(mt, "application/vnd.oci.image.config.v1+json") ||
	              !strcmp(mt, "application/vnd.docker.container.image.v1+json"));
}

int wn_inspect_get(struct wn_inspect **out, struct wn_ctx *ctx, const struct wn_ref *ref)
{
	struct wn_inspect *in = calloc(1, sizeof *in);
	int rc;
	*out = NULL;
	if (!in)
		return wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
	if ((rc = wn_ref_dup(&in->ref, ref)) != WN_OK || (rc = wn_manifest_get(&in->manifest, ctx, ref)) != WN_OK)
		goto done;
	if (!in->manifest->is_index && is_image_config(in->manifest->config.media_type)) {
		struct wn_error err;
		if ((rc = wn_blob_get_mem(&in->config_raw, &in->config_len, ctx, ref, in->manifest->config.digest,
		                          CONFIG_BLOB_MAX)) != WN_OK)
			goto done;
		if ((rc = wn_image_config_parse(&in->config, in->config_raw, in->config_len, &err)) != WN_OK) {
			rc = wn__ctx_take(ctx, &err);
			goto done;
		}
	}
	*out = in;
	in = NULL;
done:
	wn_inspect_free(in);
	return rc;
}

/* ---- locations ---------------------------------------------------------- */

/* Opens `location` and reads the manifest it names; with a platform, that
 * platform's manifest of an index.  digest gets the digest of what is
 * returned; *entry (if given) the index entry a platform picked (owned by
 * *index, which the caller frees; both NULL when none was). */
static int read_named(struct wn_ctx *ctx, const char *location, const char *platform, bool fetch_child,
                      struct wn__src **src, struct wn_manifest **index, const struct wn_descriptor **entry,
                      struct wn_manifest **out, char digest[WN_DIGEST_MAX])
{
	struct wn_manifest *m = NULL;
	struct wn_platform p;
	struct wn_error err;
	int rc;
	*out = *index = NULL;
	*entry = NULL;
	*src = NULL;
	/* a malformed platform is a usage error, before anything is read */
	if (platform) {
		if (wn_platform_parse(&p, platform, &err) != WN_OK)
			return wn__ctx_take(ctx, &err);
		wn_platform_clear(&p);
	}
	if ((rc = wn__src_open_read(src, ctx, location)) != WN_OK)
		return rc;
	struct wn__src *s = *src;
	if ((rc = s->ops->manifest_get(s, ctx, s->digest ? s->digest : s->tag, &m)) != WN_OK)
		return rc;
	snprintf(digest, WN_DIGEST_MAX, "%s", s->digest ? s->digest : m->digest);
	if (!platform || !m->is_index) { /* a single image is what it is (crane) */
		*out = m;
		return WN_OK;
	}
	size_t i;
	if ((rc = wn__index_pick(ctx, m, platform, s->name, &i)) != WN_OK) {
		wn_manifest_free(m);
		return rc;
	}
	*index = m;
	*entry = &m->manifests[i];
	snprintf(digest, WN_DIGEST_MAX, "%s", m->manifests[i].digest);
	return fetch_child ? s->ops->manifest_get(s, ctx, m->manifests[i].digest, out) : WN_OK;
}

int wn_location_manifest(struct wn_manifest **out, struct wn_ctx *ctx, const char *location, const char *platform)
{
	struct wn__src *s;
	struct wn_manifest *idx;
	const struct wn_descriptor *entry;
	char digest[WN_DIGEST_MAX];
	int rc = read_named(ctx, location, platform, true, &s, &idx, &entry, out, digest);
	wn_manifest_free(idx);
	wn__src_free(s);
	return rc;
}

int wn_location_digest(struct wn_ctx *ctx, const char *location, const char *platform, char digest[WN_DIGEST_MAX],
                       char **media_type, int64_t *size)
{
	struct wn__src *s = NULL;
	struct wn_manifest *m = NULL, *idx = NULL;
	const struct wn_descriptor *entry = NULL;
	char d[WN_DIGEST_MAX];
	int rc;
	if (media_type)
		*media_type = NULL;
	if (!platform) {
		/* a registry answers a HEAD: no body */
		if ((rc = wn__src_open_read(&s, ctx, location)) == WN_OK && s->ref)
			rc = wn_manifest_head(ctx, s->ref, d, media_type, size);
		else if (rc == WN_OK)
			rc = s->ops->manifest_get(s, ctx, s->digest ? s->digest : s->tag, &m);
		if (rc == WN_OK && m) {
			snprintf(d, sizeof d, "%s", s->digest ? s->digest : m->digest);
			if (media_type && !(*media_type = strdup(m->media_type)))
				rc = wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
			if (size)
				*size = (int64_t)m->len;
		}
	} else if ((rc = read_named(ctx, location, platform, false, &s, &idx, &entry, &m, d)) == WN_OK) {
		/* with a platform, the index entry says what the child is: no request for it */
		const char *mt = entry ? entry->media_type : m->media_type;
		if (media_type && !(*media_type = strdup(mt)))
			rc = wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
		if (size)
			*size = entry ? entry->size : (int64_t)m->len;
	}
	if (rc == WN_OK && digest)
		memcpy(digest, d, WN_DIGEST_MAX);
	if (rc != WN_OK && media_type) {
		free(*media_type);
		*media_type = NULL;
	}
	wn_manifest_free(m);
	wn_manifest_free(idx);
	wn__src_free(s);
	return rc;
}

static size_t mem_sink(void *data, const void *p, size_t n)
{
	struct wn__buf *b = data;
	return wn__buf_append(b, p, n) == WN_OK && !b->overflow ? n : 0;
}

/* A config blob into memory, through the source's stream, checked against its digest. */
static int read_config(struct wn_ctx *ctx, struct wn__src *s, const struct wn_descriptor *d, unsigned char **out,
                       size_t *len)
{
	struct wn__buf b = { .max = CONFIG_BLOB_MAX };
	struct wn_hasher *h = NULL;
	struct wn_error err;
	char got[WN_DIGEST_MAX];
	int rc;
	*out = NULL;
	if (d->size > (int64_t)CONFIG_BLOB_MAX)
		return wn__ctx_fail(ctx, WN_ECORRUPT, "the config %s of %s is larger than %u bytes", d->digest, s->name,
		                    CONFIG_BLOB_MAX);
	if (wn_hasher_new(&h, d->digest, &err) != WN_OK)
		return wn__ctx_fail(ctx, WN_ECORRUPT, "%s: config %s: %s", s->name, d->digest, err.msg);
	rc = s->ops->blob_stream(s, ctx, d, 0, mem_sink, &b);
	if (b.overflow)
		rc = wn__ctx_fail(ctx, WN_ECORRUPT, "the config %s of %s is larger than %u bytes", d->digest, s->name,
		                  CONFIG_BLOB_MAX);
	if (rc == WN_OK) {
		wn_hasher_update(h, b.data ? b.data : (unsigned char *)"", b.len);
		wn_hasher_final(h, got);
		if (strcmp(got, d->digest))
			rc = wn__ctx_fail(ctx, WN_EDIGEST, "digest mismatch: the config %s of %s has content %s", d->digest,
			                  s->name, got);
	}
	if (rc == WN_OK && wn__buf_cstr(&b) != WN_OK)
		rc = wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
	wn_hasher_free(h);
	if (rc != WN_OK) {
		wn__buf_free(&b);
		return rc;
	}
	*out = b.data;
	*len = b.len;
	return WN_OK;
}

int wn_location_inspect(struct wn_inspect **out, struct wn_ctx *ctx, const char *location, const char *platform)
{
	struct wn_inspect *in = calloc(1, sizeof *in);
	struct wn__src *s = NULL;
	struct wn_manifest *idx = NULL;
	const struct wn_descriptor *entry = NULL;
	struct wn_error err;
	int rc;
	*out = NULL;
	if (!in)
		return wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
	if ((rc = read_named(ctx, location, platform, true, &s, &idx, &entry, &in->manifest, in->digest)) != WN_OK)
		goto done;
	if ((s->ref && wn_ref_dup(&in->ref, s->ref) != WN_OK) || !(in->name = strdup(s->base)) ||
	    (s->tag && !(in->tag = strdup(s->tag))) || (entry && entry->platform && !(in->platform = wn_platform_string(entry->platform)))) {
		rc = wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
		goto done;
	}
	const struct wn_manifest *m = in->manifest;
	if (!m->is_index && is_image_config(m->config.media_type)) {
		if ((rc = read_config(ctx, s, &m->config, &in->config_raw, &in->config_len)) != WN_OK)
			goto done;
		if ((rc = wn_image_config_parse(&in->config, in->config_raw, in->config_len, &err)) != WN_OK) {
			rc = wn__ctx_take(ctx, &err);
			goto done;
		}
	}
	*out = in;
	in = NULL;
done:
	wn_inspect_free(in);
	wn_manifest_free(idx);
	wn__src_free(s);
	return rc;
}

int wn_location_tags(struct wn_strlist **out, struct wn_ctx *ctx, const char *location, char **name)
{
	char *base = NULL;
	int rc = wn__location_names(ctx, location, out, &base);
	if (name)
		*name = base;
	else
		free(base);
	return rc;
}

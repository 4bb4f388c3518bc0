/*
 * store.c: sources and destinations of a copy.  A location string picks the
 * transport ("oci:DIR[:TAG]" a layout; "docker://REF" or a bare reference a
 * registry); every
 * transport implements the same operations, so the copy engine never knows
 * which one it talks to.
 */
#include <stdlib.h>
#include <string.h>
#include "internal.h"

/* ---- registry --------------------------------------------------------- */

static int reg_manifest_get(struct wn__src *s, struct wn_ctx *ctx, const char *ref, struct wn_manifest **out)
{
	struct wn_ref *r;
	*out = NULL;
	if (wn__ref_at(&r, s->ref, strchr(ref, ':') ? NULL : ref, strchr(ref, ':') ? ref : NULL) != WN_OK)
		return wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
	int rc = wn_manifest_get(out, ctx, r);
	wn_ref_free(r);
	return rc;
}

static int reg_blob_stream(struct wn__src *s, struct wn_ctx *ctx, const struct wn_descriptor *d, uint64_t offset,
                           wn__sink_fn sink, void *data)
{
	return wn__blob_stream(ctx, s->ref, d, offset, sink, data);
}

static int reg_referrers(struct wn__src *s, struct wn_ctx *ctx, const char *digest, struct wn_manifest **out)
{
	return wn__referrers_get(ctx, s->ref, digest, out);
}

static int reg_tags(struct wn__src *s, struct wn_ctx *ctx, struct wn_strlist **out)
{
	return wn_tags_list(out, ctx, s->ref);
}

static void reg_src_free(struct wn__src *s)
{
	wn_ref_free(s->ref);
	free(s->name);
	free(s->tag);
	free(s->digest);
	free(s->base);
	free(s);
}

static const struct wn__src_ops registry_src_ops = { reg_manifest_get, reg_blob_stream, reg_referrers, reg_tags,
	                                                 reg_src_free };

static int reg_blob_exists(struct wn__dst *d, struct wn_ctx *ctx, const struct wn_descriptor *desc, bool *yes)
{
	return wn__blob_exists(ctx, d->ref, desc->digest, yes);
}

static int reg_blob_write(struct wn__dst *d, struct wn_ctx *ctx, const struct wn_descriptor *desc,
                          struct wn__feed *feed, const struct wn__src *from, bool *mounted)
{
	const struct wn_ref *from_repo = from && from->ops == &registry_src_ops ? from->ref : NULL;
	return wn__blob_upload(ctx, d->ref, desc, feed, from_repo, d->chunk_size, d->resume, mounted);
}

static int reg_manifest_digest(struct wn__dst *d, struct wn_ctx *ctx, const char *ref, char digest[WN_DIGEST_MAX])
{
	struct wn_ref *r;
	if (wn__ref_at(&r, d->ref, strchr(ref, ':') ? NULL : ref, strchr(ref, ':') ? ref : NULL) != WN_OK)
		return wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
	int rc = wn_manifest_head(ctx, r, digest, NULL, NULL);
	wn_ref_free(r);
	return rc;
}

static int reg_manifest_put(struct wn__dst *d, struct wn_ctx *ctx, const struct wn_manifest *m, const char *tag,
                            bool top)
{
	return wn__manifest_put(ctx, d->ref, tag ? tag : m->digest, m->data, m->len, m->media_type, NULL);
}

static int reg_referrers_api(struct wn__dst *d, struct wn_ctx *ctx, const char *digest, bool *yes)
{
	struct wn_manifest *m = NULL;
	struct wn_error saved = ctx->err;
	int rc = wn__referrers_get(ctx, d->ref, digest, &m);
	/* an answer that lists none of the referrers just pushed is an API that
	 * does not index them (or not yet): the tag schema then stands in, so
	 * that clients find them either way; OCI-Subject alone proves nothing
	 * (ECR sends it without an API, sigstore/sigstore-js#1183) */
	*yes = rc == WN_OK && m->n_manifests > 0;
	if (rc == WN_OK && !*yes)
		wn__log(ctx, WN_LOG_INFO, "%s: the referrers API lists no referrer of %s: using the tag schema too", d->name,
		        digest);
	wn_manifest_free(m);
	if (rc == WN_EUNSUPPORTED) {
		ctx->err = saved;
		rc = WN_OK;
	}
	return rc;
}

static void reg_dst_free(struct wn__dst *d)
{
	wn_ref_free(d->ref);
	free(d->name);
	free(d->tag);
	free(d->digest);
	free(d);
}

static const struct wn__dst_ops registry_dst_ops = { reg_blob_exists, reg_blob_write, reg_manifest_digest,
	                                                 reg_manifest_put, reg_referrers_api, reg_dst_free };

int wn__registry_src_new(struct wn__src **out, struct wn_ctx *ctx, const struct wn_ref *ref)
{
	struct wn__src *s = calloc(1, sizeof *s);
	*out = NULL;
	if (!s || wn_ref_dup(&s->ref, ref) != WN_OK || !(s->name = wn_ref_string(ref)) || !(s->base = wn_ref_name(ref)) ||
	    (ref->tag && !(s->tag = strdup(ref->tag))) || (ref->digest && !(s->digest = strdup(ref->digest)))) {
		if (s)
			reg_src_free(s);
		return wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
	}
	s->ops = &registry_src_ops;
	*out = s;
	return WN_OK;
}

int wn__registry_dst_new(struct wn__dst **out, struct wn_ctx *ctx, const struct wn_ref *ref)
{
	struct wn__dst *d = calloc(1, sizeof *d);
	*out = NULL;
	if (!d || wn_ref_dup(&d->ref, ref) != WN_OK || !(d->name = wn_ref_string(ref)) ||
	    (ref->tag && !(d->tag = strdup(ref->tag))) || (ref->digest && !(d->digest = strdup(ref->digest)))) {
		if (d)
			reg_dst_free(d);
		return wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
	}
	d->ops = &registry_dst_ops;
	*out = d;
	return WN_OK;
}

/* ---- locations -------------------------------------------------------- */

static int parse_registry_location(struct wn_ctx *ctx, const char *loc, struct wn_ref **out)
{
	struct wn_error err;
	if (wn_ref_parse(out, loc, 0, &err) != WN_OK)
		return wn__ctx_take(ctx, &err);
	return WN_OK;
}

/* The transports a location may start with; anything else is a registry reference. */
static bool has_prefix(const char *s, const char *p)
{
	return !strncmp(s, p, strlen(p));
}

static int unsupported_transport(struct wn_ctx *ctx, const char *location)
{
	static const char *const later[] = { "dir:", "containers-storage:", "docker-daemon:" };
	for (size_t i = 0; i < sizeof later / sizeof *later; i++)
		if (has_prefix(location, later[i]))
			return wn__ctx_fail(ctx, WN_EUNSUPPORTED, "the %.*s transport is not supported yet (\"%s\")",
			                    (int)strlen(later[i]) - 1, later[i], location);
	return WN_OK;
}

static int src_open(struct wn__src **out, struct wn_ctx *ctx, const char *location, bool layers)
{
	struct wn_ref *ref;
	int rc;
	*out = NULL;
	if (has_prefix(location, "oci:"))
		return wn__layout_src_new(out, ctx, location + 4);
	if (has_prefix(location, "oci-archive:"))
		return layers ? wn__archive_src_new(out, ctx, location + 12) : wn__archive_src_read(out, ctx, location + 12);
	if (has_prefix(location, "docker-archive:"))
		return wn__darchive_src_new(out, ctx, location + 15);
	if ((rc = unsupported_transport(ctx, location)) != WN_OK)
		return rc;
	if ((rc = parse_registry_location(ctx, location, &ref)) != WN_OK)
		return rc;
	if (!ref->tag && !ref->digest)
		ref->tag = strdup("latest");
	rc = wn__registry_src_new(out, ctx, ref);
	wn_ref_free(ref);
	return rc;
}

int wn__src_open(struct wn__src **out, struct wn_ctx *ctx, const char *location)
{
	return src_open(out, ctx, location, true);
}

int wn__src_open_read(struct wn__src **out, struct wn_ctx *ctx, const char *location)
{
	return src_open(out, ctx, location, false);
}

int wn__dst_open(struct wn__dst **out, struct wn_ctx *ctx, const char *location)
{
	struct wn_ref *ref;
	int rc;
	*out = NULL;
	if (has_prefix(location, "oci:"))
		return wn__layout_dst_new(out, ctx, location + 4);
	if (has_prefix(location, "oci-archive:"))
		return wn__archive_dst_new(out, ctx, location + 12);
	if (has_prefix(location, "docker-archive:"))
		return wn__darchive_dst_new(out, ctx, location + 15);
	if ((rc = unsupported_transport(ctx, location)) != WN_OK)
		return rc;
	if ((rc = parse_registry_location(ctx, location, &ref)) != WN_OK)
		return rc;
	rc = wn__registry_dst_new(out, ctx, ref);
	wn_ref_free(ref);
	return rc;
}

int wn__dst_default_tag(struct wn_ctx *ctx, const struct wn__src *s, const struct wn__dst *d, char **out)
{
	struct wn_ref *r = NULL;
	*out = NULL;
	if (!s->tag)
		return WN_OK;
	/* a layout takes any image name; a registry a tag */
	if (!d->ref || wn_tag_validate(s->tag, NULL) == WN_OK)
		return (*out = strdup(s->tag)) ? WN_OK : wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
	/* an image name that is a whole reference, as podman writes them
	 * ("127.0.0.1:5000/small:latest"): its tag, or docker's "latest" */
	if (wn_ref_parse(&r, s->tag, 0, NULL) != WN_OK || (r->digest && !r->tag)) {
		wn_ref_free(r);
		return wn__ctx_fail(ctx, WN_EINVAL, "%s names its image \"%s\", which gives no tag: give the destination %s one",
		                    s->name, s->tag, d->name);
	}
	*out = strdup(r->tag ? r->tag : "latest");
	wn_ref_free(r);
	return *out ? WN_OK : wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
}

int wn__location_names(struct wn_ctx *ctx, const char *location, struct wn_strlist **out, char **base)
{
	struct wn_ref *ref;
	struct wn_error err;
	int rc;
	*out = NULL;
	*base = NULL;
	if (has_prefix(location, "oci:"))
		return wn__layout_names(ctx, location + 4, out, base);
	if (has_prefix(location, "oci-archive:"))
		return wn__archive_names(ctx, location + 12, out, base);
	if (has_prefix(location, "docker-archive:"))
		return wn__darchive_names(ctx, location + 15, out, base);
	if ((rc = unsupported_transport(ctx, location)) != WN_OK)
		return rc;
	if (wn_ref_parse(&ref, location, WN_REF_NAME_ONLY, &err) != WN_OK)
		return wn__ctx_take(ctx, &err);
	if (!(*base = wn_ref_name(ref)))
		rc = wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
	else if ((rc = wn_tags_list(out, ctx, ref)) != WN_OK) {
		free(*base);
		*base = NULL;
	}
	wn_ref_free(ref);
	return rc;
}

void wn__src_free(struct wn__src *s)
{
	if (s)
		s->ops->free(s);
}

void wn__dst_free(struct wn__dst *d)
{
	if (d)
		d->ops->free(d);
}

/*
 * index.c: multi-platform indexes assembled from per-platform images
 * (`winch index create|append`).  Children are referenced by digest, so they
 * are copied into the index's repository first when they live elsewhere.
 * Images are replaced by platform, but docker buildx's attestation manifests
 * all say unknown/unknown: they are identified by digest, and each travels
 * with the image it describes (an index source brings them; replacing an
 * image drops them).
 */
#include <stdlib.h>
#include <string.h>
#include "internal.h"

#define CONFIG_MAX (8u << 20)

struct entry {
	cJSON *desc;               /* the descriptor as it will be written */
	struct wn_platform plat;   /* normalised, for replacement */
	const char *digest;        /* in desc */
	const char *attests;       /* in desc: the image an attestation manifest describes, else NULL */
};

struct entries {
	struct entry *v;
	size_t n, cap;
};

static void entry_clear(struct entry *x)
{
	cJSON_Delete(x->desc);
	wn_platform_clear(&x->plat);
	memset(x, 0, sizeof *x);
}

static void entries_free(struct entries *e)
{
	for (size_t i = 0; i < e->n; i++)
		entry_clear(&e->v[i]);
	free(e->v);
}

/* docker buildx's attestation entries (BuildKit's "image attestation storage"):
 * annotated with the type and the digest of the image they describe. */
static const char *attests(const cJSON *desc)
{
	const cJSON *ann = cJSON_GetObjectItemCaseSensitive(desc, "annotations");
	const char *type = wn__json_str(ann, "vnd.docker.reference.type");
	return type && !strcmp(type, "attestation-manifest") ? wn__json_str(ann, "vnd.docker.reference.digest") : NULL;
}

/* Drops the attestations of `image` (its entry was replaced: they describe the old one). */
static void drop_attestations(struct entries *e, const char *image)
{
	size_t k = 0;
	for (size_t i = 0; i < e->n; i++) {
		if (e->v[i].attests && !strcmp(e->v[i].attests, image))
			entry_clear(&e->v[i]);
		else
			e->v[k++] = e->v[i];
	}
	e->n = k;
}

/* Adds an entry; takes desc and plat.  An image for a platform already there
 * replaces that image, and the old image's attestations go with it (they
 * describe the old image); one image may still be listed for several
 * platforms.  Attestation entries (unknown/unknown, all of them) and entries
 * without a platform are identified by digest instead. */
static int entries_put(struct entries *e, cJSON *desc, struct wn_platform *plat)
{
	struct entry x = { desc, *plat, wn__json_str(desc, "digest"), attests(desc) };
	bool by_digest = x.attests || !plat->os;
	if (!x.digest) {
		cJSON_Delete(desc);
		wn_platform_clear(plat);
		return WN_ECORRUPT;
	}
	for (size_t i = 0; i < e->n; i++) {
		struct entry *y = &e->v[i];
		bool same = by_digest ? (y->attests || !y->plat.os) && !strcmp(y->digest, x.digest)
		                      : !y->attests && y->plat.os && wn_platform_match(plat, &y->plat);
		if (!same)
			continue;
		char *old = strdup(y->digest);
		entry_clear(y);
		*y = x;
		if (!old)
			return WN_ENOMEM;
		bool still = !strcmp(old, x.digest);
		for (size_t k = 0; k < e->n && !still; k++)
			still = !e->v[k].attests && !strcmp(e->v[k].digest, old);
		if (!still)
			drop_attestations(e, old);
		free(old);
		return WN_OK;
	}
	if (e->n == e->cap) {
		size_t cap = e->cap ? e->cap * 2 : 8;
		struct entry *v = realloc(e->v, cap * sizeof *v);
		if (!v) {
			cJSON_Delete(desc);
			wn_platform_clear(plat);
			return WN_ENOMEM;
		}
		e->v = v;
		e->cap = cap;
	}
	e->v[e->n++] = x;
	return WN_OK;
}

/* A platform as the index's descriptor writes it, normalised for matching. */
static int platform_of(struct wn_platform *out, const char *os, const char *arch, const char *variant)
{
	char *s = wn__sprintf("%s/%s%s%s", os ? os : "", arch ? arch : "", variant ? "/" : "", variant ? variant : "");
	int rc = s ? wn_platform_parse(out, s, NULL) : WN_ENOMEM;
	free(s);
	return rc;
}

static cJSON *platform_json(const struct wn_platform *p)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "architecture", p->architecture);
	cJSON_AddStringToObject(o, "os", p->os);
	if (p->variant)
		cJSON_AddStringToObject(o, "variant", p->variant);
	return o;
}

static cJSON *descriptor_json(const struct wn_manifest *m, const struct wn_platform *p)
{
	cJSON *d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "mediaType", m->media_type);
	cJSON_AddStringToObject(d, "digest", m->digest);
	cJSON_AddNumberToObject(d, "size", (double)m->len);
	cJSON_AddItemToObject(d, "platform", platform_json(p));
	return d;
}

/* The platform an image's config states. */
static int image_platform(struct wn_ctx *ctx, const struct wn_ref *ref, const struct wn_manifest *m,
                          struct wn_platform *out)
{
	unsigned char *raw;
	size_t len;
	struct wn_image_config *c;
	struct wn_error err;
	int rc = wn_blob_get_mem(&raw, &len, ctx, ref, m->config.digest, CONFIG_MAX);
	if (rc != WN_OK)
		return rc;
	rc = wn_image_config_parse(&c, raw, len, &err);
	free(raw);
	if (rc != WN_OK)
		return wn__ctx_take(ctx, &err);
	if (!c->os || !c->architecture)
		rc = wn__ctx_fail(ctx, WN_EINVAL, "%s/%s@%s states no platform: give one as REF=OS/ARCH[/VARIANT]",
		                  ref->registry, ref->repository, m->digest);
	else if (!strcmp(c->os, "unknown") && !strcmp(c->architecture, "unknown"))
		/* docker buildx's attestation manifests say unknown/unknown: they travel with their image */
		rc = wn__ctx_fail(ctx, WN_EINVAL,
		                  "%s/%s@%s states the platform unknown/unknown (an attestation manifest?): add the index "
		                  "that holds it with its image, or give a platform as REF=OS/ARCH",
		                  ref->registry, ref->repository, m->digest);
	else if (platform_of(out, c->os, c->architecture, c->variant) != WN_OK)
		rc = wn__ctx_fail(ctx, WN_EINVAL, "%s/%s@%s states an invalid platform", ref->registry, ref->repository,
		                  m->digest);
	wn_image_config_free(c);
	return rc;
}

static int put_result(struct wn_ctx *ctx, int rc)
{
	if (rc == WN_OK)
		return WN_OK;
	return wn__ctx_fail(ctx, rc, rc == WN_ENOMEM ? "out of memory" : "an index entry has no digest");
}

/* Adds what m (at ref) brings: its children, or itself with its platform. */
static int add_manifest(struct wn_ctx *ctx, struct entries *e, const struct wn_ref *ref,
                        const struct wn_manifest *m, const char *override)
{
	struct wn_platform p;
	struct wn_error err;
	int rc;
	if (m->is_index) {
		if (override)
			return wn__ctx_fail(ctx, WN_EINVAL, "%s/%s is an index: it has its own platforms", ref->registry,
			                    ref->repository);
		cJSON *j = wn__json_parse(m->data, m->len);
		const cJSON *arr = cJSON_GetObjectItemCaseSensitive(j, "manifests"), *it;
		size_t i = 0;
		rc = WN_OK;
		cJSON_ArrayForEach(it, arr) {
			const struct wn_platform *cp = i < m->n_manifests ? m->manifests[i].platform : NULL;
			i++;
			memset(&p, 0, sizeof p);
			if (cp && platform_of(&p, cp->os, cp->architecture, cp->variant) != WN_OK)
				memset(&p, 0, sizeof p);
			if ((rc = entries_put(e, cJSON_Duplicate(it, 1), &p)) != WN_OK)
				break;
		}
		cJSON_Delete(j);
		return put_result(ctx, rc);
	}
	if (override) {
		if (wn_platform_parse(&p, override, &err) != WN_OK)
			return wn__ctx_take(ctx, &err);
	} else if ((rc = image_platform(ctx, ref, m, &p)) != WN_OK) {
		return rc;
	}
	rc = entries_put(e, descriptor_json(m, &p), &p);
	return put_result(ctx, rc);
}

int wn_index_build(struct wn_ctx *ctx, const char *dest, const char *const *sources, size_t n, int append,
                   char digest[WN_DIGEST_MAX])
{
	struct entries e = { 0 };
	struct wn_ref *dref = NULL;
	struct wn_error err;
	char *text = NULL;
	int rc;
	if ((rc = wn_ref_parse(&dref, dest, WN_REF_DEFAULT_TAG, &err)) != WN_OK)
		return wn__ctx_take(ctx, &err);
	if (dref->digest) {
		rc = wn__ctx_fail(ctx, WN_EINVAL, "index destination \"%s\" must be a tag, not a digest", dest);
		goto done;
	}
	if (append) {
		struct wn_manifest *cur;
		if ((rc = wn_manifest_get(&cur, ctx, dref)) != WN_OK)
			goto done;
		rc = add_manifest(ctx, &e, dref, cur, NULL);
		wn_manifest_free(cur);
		if (rc != WN_OK)
			goto done;
	}
	for (size_t i = 0; i < n && rc == WN_OK; i++) {
		const char *eq = strrchr(sources[i], '=');
		char *refs = eq ? strndup(sources[i], (size_t)(eq - sources[i])) : strdup(sources[i]);
		struct wn_ref *sref = NULL;
		struct wn_manifest *m = NULL;
		if (!refs || wn_ref_parse(&sref, refs, WN_REF_DEFAULT_TAG, &err) != WN_OK) {
			rc = refs ? wn__ctx_take(ctx, &err) : WN_ENOMEM;
		} else if ((rc = wn_manifest_get(&m, ctx, sref)) == WN_OK) {
			if (strcmp(sref->registry, dref->registry) || strcmp(sref->repository, dref->repository)) {
				/* children are referenced by digest: they must live in dest's repository */
				struct wn_copy_result res;
				char *from = wn__sprintf("%s/%s@%s", sref->registry, sref->repository, m->digest);
				char *to = wn__sprintf("%s/%s@%s", dref->registry, dref->repository, m->digest);
				rc = from && to ? wn_copy(&res, ctx, from, to, NULL) : WN_ENOMEM;
				free(from);
				free(to);
			}
			if (rc == WN_OK)
				rc = add_manifest(ctx, &e, sref, m, eq ? eq + 1 : NULL);
		}
		wn_manifest_free(m);
		wn_ref_free(sref);
		free(refs);
	}
	if (rc != WN_OK)
		goto done;
	if (!e.n) {
		rc = wn__ctx_fail(ctx, WN_EINVAL, "an index needs at least one image");
		goto done;
	}
	/* a Docker manifest list when every child is a Docker manifest, else OCI */
	bool docker = true;
	for (size_t i = 0; i < e.n; i++) {
		const char *mt = wn__json_str(e.v[i].desc, "mediaType");
		docker &= mt && !strcmp(mt, WN_MT_DOCKER_MANIFEST);
	}
	const char *mt = docker ? WN_MT_DOCKER_LIST : WN_MT_OCI_INDEX;
	cJSON *idx = cJSON_CreateObject(), *arr;
	cJSON_AddNumberToObject(idx, "schemaVersion", 2);
	cJSON_AddStringToObject(idx, "mediaType", mt);
	arr = cJSON_AddArrayToObject(idx, "manifests");
	/* images first, then attestations, as docker buildx writes them */
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < e.n; i++)
			if (e.v[i].desc && !e.v[i].attests == !pass) {
				cJSON_AddItemToArray(arr, e.v[i].desc);
				e.v[i].desc = NULL;
			}
	text = cJSON_Print(idx);
	cJSON_Delete(idx);
	rc = text ? wn__manifest_put(ctx, dref, dref->tag, text, strlen(text), mt, digest)
	          : wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
done:
	free(text);
	entries_free(&e);
	wn_ref_free(dref);
	return rc;
}

/*
 * convert.c: --dest-format: a copy's manifests written in OCI or in Docker
 * media types, as `skopeo copy --format oci|v2s2` converts them
 * (containers/image v5.39: internal/image/docker_schema2.go
 * convertToManifestOCI1, internal/image/oci.go convertToManifestSchema2,
 * internal/manifest/docker_schema2_list.go ToOCI1Index, oci_index.go
 * ToSchema2List, copy/multiple.go for the index entries).
 *
 * Only media types change, and with them the manifests' bytes and digests;
 * no blob changes.  containers/image re-encodes the config going to OCI
 * (dropping Docker-only fields, so the config digest changes too); winch
 * keeps the config's bytes and digest both ways, as containers/image does
 * going to Docker: a Docker image config is a valid OCI one (readers ignore
 * fields they do not know), and its diff_ids and history stay as they were.
 *
 * What a Docker manifest cannot hold is refused (a non-image config such as
 * an attestation's, zstd or encrypted layers), and what it has no field for
 * is dropped, as containers/image drops it: annotations, artifactType and
 * subject going to Docker, a list entry's "features" going to OCI.  An index
 * entry without a platform gets this machine's going to Docker, as
 * containers/image gives it its runtime's.
 */
#include <stdlib.h>
#include <string.h>
#include "internal.h"

#define MT_OCI_CONFIG    "application/vnd.oci.image.config.v1+json"
#define MT_DOCKER_CONFIG "application/vnd.docker.container.image.v1+json"

/* Layer media types, each row a pair (Docker, OCI); NULL: no counterpart. */
static const char *const layer_types[][2] = {
	{ "application/vnd.docker.image.rootfs.diff.tar.gzip", "application/vnd.oci.image.layer.v1.tar+gzip" },
	{ "application/vnd.docker.image.rootfs.diff.tar", "application/vnd.oci.image.layer.v1.tar" },
	{ "application/vnd.docker.image.rootfs.foreign.diff.tar",
	  "application/vnd.oci.image.layer.nondistributable.v1.tar" },
	{ "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
	  "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip" },
	/* Docker's zstd type goes to OCI; OCI's zstd has no Docker type (containers/image
	 * refuses it: "zstd compression is not officially supported for docker images") */
	{ "application/vnd.docker.image.rootfs.diff.tar.zstd", "application/vnd.oci.image.layer.v1.tar+zstd" },
};

static const char *format_name(int fmt)
{
	return fmt == WN_FORMAT_OCI ? "OCI" : "Docker";
}

/* The layer type in the other format, or NULL with the error set. */
static const char *layer_type(struct wn_ctx *ctx, int fmt, const char *mt, const char *digest, const char *name)
{
	mt = mt ? mt : "";
	for (size_t i = 0; i < sizeof layer_types / sizeof *layer_types; i++)
		if (!strcmp(mt, layer_types[i][fmt == WN_FORMAT_OCI ? 0 : 1]) && (fmt == WN_FORMAT_OCI || !strstr(mt, "zstd")))
			return layer_types[i][fmt == WN_FORMAT_OCI ? 1 : 0];
	if (fmt == WN_FORMAT_DOCKER && strstr(mt, "zstd"))
		wn__ctx_fail(ctx, WN_EUNSUPPORTED, "%s: layer %s is %s: zstd compression is not officially supported for "
		             "Docker images, so it cannot be converted to Docker's format", name, digest, mt);
	else if (fmt == WN_FORMAT_DOCKER && strstr(mt, "encrypted"))
		wn__ctx_fail(ctx, WN_EUNSUPPORTED, "%s: layer %s is %s: encrypted layers have no Docker media type", name,
		             digest, mt);
	else
		wn__ctx_fail(ctx, WN_EUNSUPPORTED, "%s: layer %s has the media type \"%s\", which has no %s counterpart "
		             "(unknown media type during manifest conversion)", name, digest, mt, format_name(fmt));
	return NULL;
}

/* A descriptor in the field order of the target format: OCI's mediaType,
 * digest, size; Docker's mediaType, size, digest; then "urls" if any. */
static cJSON *descriptor(int fmt, const char *mt, const cJSON *orig_digest, const cJSON *orig_size,
                         const cJSON *urls)
{
	cJSON *d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "mediaType", mt);
	if (fmt == WN_FORMAT_OCI) {
		cJSON_AddItemToObject(d, "digest", cJSON_Duplicate(orig_digest, 1));
		cJSON_AddItemToObject(d, "size", cJSON_Duplicate(orig_size, 1));
	} else {
		cJSON_AddItemToObject(d, "size", cJSON_Duplicate(orig_size, 1));
		cJSON_AddItemToObject(d, "digest", cJSON_Duplicate(orig_digest, 1));
	}
	if (cJSON_IsArray(urls) && cJSON_GetArraySize(urls))
		cJSON_AddItemToObject(d, "urls", cJSON_Duplicate(urls, 1));
	return d;
}

static const cJSON *get(const cJSON *o, const char *k)
{
	return cJSON_GetObjectItemCaseSensitive(o, k);
}

/* An image manifest in the other format: *out NULL when it is in it already. */
static int image_to(struct wn_ctx *ctx, int fmt, const struct wn_manifest *m, const cJSON *j, const char *name,
                    cJSON **out)
{
	bool to_oci = fmt == WN_FORMAT_OCI;
	*out = NULL;
	if (!strcmp(m->media_type, to_oci ? WN_MT_OCI_MANIFEST : WN_MT_DOCKER_MANIFEST))
		return WN_OK;
	const char *cfg_mt = m->config.media_type ? m->config.media_type : "";
	/* a Docker manifest holds images: an artifact (an attestation, a signature) is none */
	if (!to_oci && strcmp(cfg_mt, MT_OCI_CONFIG))
		return wn__ctx_fail(ctx, WN_EUNSUPPORTED,
		                    "%s: manifest %s is not an image (its config is %s%s%s): Docker's format holds images only "
		                    "(an index's attestation manifests are such artifacts: --platform OS/ARCH copies one image "
		                    "without them)",
		                    name, m->digest, *cfg_mt ? cfg_mt : "(none)", m->artifact_type ? ", its artifactType " : "",
		                    m->artifact_type ? m->artifact_type : "");
	if (to_oci && strcmp(cfg_mt, MT_DOCKER_CONFIG) && strcmp(cfg_mt, MT_OCI_CONFIG))
		return wn__ctx_fail(ctx, WN_EUNSUPPORTED, "%s: manifest %s is not an image (its config is %s)", name, m->digest,
		                    *cfg_mt ? cfg_mt : "(none)");
	const cJSON *layers = get(j, "layers"), *l;
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "schemaVersion", 2);
	cJSON_AddStringToObject(o, "mediaType", to_oci ? WN_MT_OCI_MANIFEST : WN_MT_DOCKER_MANIFEST);
	const cJSON *cfg = get(j, "config");
	cJSON_AddItemToObject(o, "config", descriptor(fmt, to_oci ? MT_OCI_CONFIG : MT_DOCKER_CONFIG, get(cfg, "digest"),
	                                              get(cfg, "size"), get(cfg, "urls")));
	cJSON *arr = cJSON_AddArrayToObject(o, "layers");
	size_t i = 0;
	cJSON_ArrayForEach(l, layers) {
		const char *mt = layer_type(ctx, fmt, m->layers[i].media_type, m->layers[i].digest, name);
		if (!mt) {
			cJSON_Delete(o);
			return wn_ctx_errcode(ctx);
		}
		cJSON_AddItemToArray(arr, descriptor(fmt, mt, get(l, "digest"), get(l, "size"), get(l, "urls")));
		i++;
	}
	*out = o;
	return WN_OK;
}

/* An OCI platform object from a Docker list entry's, or the reverse: the
 * fields both have (Docker's "features" is not OCI's, and is dropped). */
static cJSON *platform(const cJSON *p, bool have)
{
	static const char *const keys[] = { "architecture", "os", "os.version", "os.features", "variant" };
	cJSON *o = cJSON_CreateObject();
	char *host = have ? NULL : strdup(wn__host_platform());
	if (!have) { /* containers/image's ToSchema2List gives an entry without one its runtime's */
		char *slash = host ? strchr(host, '/') : NULL, *var = slash ? strchr(slash + 1, '/') : NULL;
		if (var)
			*var++ = 0;
		if (slash) {
			*slash = 0;
			cJSON_AddStringToObject(o, "architecture", slash + 1);
			cJSON_AddStringToObject(o, "os", host);
			if (var)
				cJSON_AddStringToObject(o, "variant", var);
		}
		free(host);
		return o;
	}
	for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
		const cJSON *v = get(p, keys[i]);
		/* architecture and os are always written (as both formats' structs do) */
		if (v || i < 2)
			cJSON_AddItemToObject(o, keys[i], v ? cJSON_Duplicate(v, 1) : cJSON_CreateString(""));
	}
	return o;
}

/* An index in `fmt`, its entries pointing at the converted children:
 * old[k] is the digest mans[k] had before, for k < n. *out NULL when
 * nothing changes. */
static int index_to(struct wn_ctx *ctx, int fmt, const struct wn_manifest *m, const cJSON *j, char *const *old,
                    struct wn_manifest *const *mans, size_t n, cJSON **out)
{
	bool to_oci = fmt == WN_FORMAT_OCI, same_type = !strcmp(m->media_type, to_oci ? WN_MT_OCI_INDEX : WN_MT_DOCKER_LIST);
	bool changed = !same_type;
	const cJSON *e;
	*out = NULL;
	cJSON *o = same_type ? cJSON_Duplicate(j, 1) : cJSON_CreateObject();
	cJSON *arr;
	if (!o)
		return wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
	if (!same_type) {
		cJSON_AddNumberToObject(o, "schemaVersion", 2);
		cJSON_AddStringToObject(o, "mediaType", to_oci ? WN_MT_OCI_INDEX : WN_MT_DOCKER_LIST);
		arr = cJSON_AddArrayToObject(o, "manifests");
	} else {
		arr = cJSON_GetObjectItemCaseSensitive(o, "manifests");
	}
	size_t i = 0;
	cJSON_ArrayForEach(e, get(j, "manifests")) {
		const struct wn_descriptor *d = &m->manifests[i];
		const struct wn_manifest *child = NULL;
		for (size_t k = 0; k < n && !child; k++)
			if (!strcmp(old[k], d->digest))
				child = mans[k];
		cJSON *ne;
		if (same_type) {
			ne = cJSON_GetArrayItem(arr, (int)i);
		} else {
			ne = descriptor(fmt, d->media_type, get(e, "digest"), get(e, "size"), get(e, "urls"));
			cJSON_AddItemToObject(ne, "platform", platform(get(e, "platform"), cJSON_IsObject(get(e, "platform")) || to_oci));
			cJSON_AddItemToArray(arr, ne);
		}
		if (child && (strcmp(child->digest, d->digest) || strcmp(child->media_type, d->media_type) ||
		              (int64_t)child->len != d->size)) {
			cJSON_ReplaceItemInObjectCaseSensitive(ne, "digest", cJSON_CreateString(child->digest));
			cJSON_ReplaceItemInObjectCaseSensitive(ne, "size", cJSON_CreateNumber((double)child->len));
			cJSON_ReplaceItemInObjectCaseSensitive(ne, "mediaType", cJSON_CreateString(child->media_type));
			changed = true;
		}
		i++;
	}
	if (!changed) {
		cJSON_Delete(o);
		return WN_OK;
	}
	*out = o;
	return WN_OK;
}

int wn__convert(struct wn_ctx *ctx, int fmt, struct wn_manifest **mans, size_t n, const char *name, bool *changed)
{
	char **old = calloc(n + 1, sizeof *old);
	int rc = WN_OK;
	*changed = false;
	if (!old)
		return wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
	/* docker buildx's attestation manifests are OCI artifacts (in-toto layers) */
	for (size_t i = 0; i < n && fmt == WN_FORMAT_DOCKER && rc == WN_OK; i++)
		for (size_t k = 0; k < mans[i]->n_manifests && rc == WN_OK; k++)
			if (wn_descriptor_attests(&mans[i]->manifests[k]))
				rc = wn__ctx_fail(ctx, WN_EUNSUPPORTED, "%s: index %s holds attestation manifests (%s), which Docker's "
				                  "format cannot hold: --platform OS/ARCH copies one image without them", name,
				                  mans[i]->digest, mans[i]->manifests[k].digest);
	for (size_t i = 0; i < n && rc == WN_OK; i++) {
		struct wn_manifest *m = mans[i];
		cJSON *j = wn__json_parse(m->data, m->len), *o = NULL;
		if (!(old[i] = strdup(m->digest)) || !j) {
			cJSON_Delete(j);
			rc = wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
			break;
		}
		rc = m->is_index ? index_to(ctx, fmt, m, j, old, mans, i, &o) : image_to(ctx, fmt, m, j, name, &o);
		cJSON_Delete(j);
		if (rc != WN_OK || !o)
			continue;
		char *text = cJSON_PrintUnformatted(o);
		const char *mt = wn__json_str(o, "mediaType");
		struct wn_manifest *nm = NULL;
		struct wn_error err;
		if (!text)
			rc = wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
		else if (wn_manifest_parse(&nm, text, strlen(text), mt, &err) != WN_OK)
			rc = wn__ctx_take(ctx, &err);
		free(text);
		cJSON_Delete(o);
		if (rc == WN_OK) {
			wn__log(ctx, WN_LOG_DEBUG, "%s: %s %s is %s %s in %s's format", name, m->media_type, m->digest,
			        nm->media_type, nm->digest, format_name(fmt));
			wn_manifest_free(m);
			mans[i] = nm;
			*changed = true;
		}
	}
	for (size_t i = 0; i < n; i++)
		free(old[i]);
	free(old);
	return rc;
}

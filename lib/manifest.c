/*
 * manifest.c: media types and manifest parsing.  The bytes are kept exactly
 * as they came, because a manifest's digest is over those bytes; the parsed
 * fields are only a view of them.
 */
#include <stdlib.h>
#include <string.h>
#include "internal.h"

/* An index may list at most this many descriptors.  Real indexes list a few
 * dozen (platforms and their attestations); the cap bounds what one small
 * document can make a copy fetch (each child is a request and a manifest in
 * memory), whatever a registry or an archive sends. */
#define INDEX_ENTRIES_MAX 1024

const char *const wn__manifest_accept =
	"Accept: " WN_MT_OCI_MANIFEST ", " WN_MT_OCI_INDEX ", " WN_MT_DOCKER_MANIFEST ", " WN_MT_DOCKER_LIST;

bool wn__mt_is_index(const char *mt)
{
	return mt && (!strcmp(mt, WN_MT_OCI_INDEX) || !strcmp(mt, WN_MT_DOCKER_LIST));
}

bool wn__mt_is_manifest(const char *mt)
{
	return mt && (!strcmp(mt, WN_MT_OCI_MANIFEST) || !strcmp(mt, WN_MT_DOCKER_MANIFEST) || wn__mt_is_index(mt));
}

static void platform_free(struct wn_platform *p)
{
	if (!p)
		return;
	free(p->os);
	free(p->architecture);
	free(p->variant);
	free(p->os_version);
	free(p);
}

static void annotations_free(char **keys, char **values, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(keys[i]);
		free(values[i]);
	}
	free(keys);
	free(values);
}

/* An "annotations" object: string values only (the OCI specification allows no
 * other); anything else is left out rather than failing the whole manifest. */
static int annotations_parse(char ***keys, char ***values, size_t *n, const cJSON *obj, struct wn_error *err)
{
	size_t count = 0;
	const cJSON *a;
	*keys = *values = NULL;
	*n = 0;
	if (!cJSON_IsObject(obj))
		return WN_OK;
	cJSON_ArrayForEach(a, obj)
		count += cJSON_IsString(a) && a->string;
	if (!count)
		return WN_OK;
	if (!(*keys = calloc(count, sizeof **keys)) || !(*values = calloc(count, sizeof **values)))
		return wn__error_set(err, WN_ENOMEM, "out of memory");
	cJSON_ArrayForEach(a, obj) {
		if (!cJSON_IsString(a) || !a->string)
			continue;
		(*keys)[*n] = strdup(a->string);
		(*values)[*n] = strdup(a->valuestring);
		if (!(*keys)[*n] || !(*values)[*n]) {
			(*n)++;
			return wn__error_set(err, WN_ENOMEM, "out of memory");
		}
		(*n)++;
	}
	return WN_OK;
}

const char *wn_descriptor_annotation(const struct wn_descriptor *d, const char *key)
{
	for (size_t i = 0; d && i < d->n_annotations; i++)
		if (!strcmp(d->annotation_keys[i], key))
			return d->annotation_values[i];
	return NULL;
}

static void desc_clear(struct wn_descriptor *d)
{
	free(d->media_type);
	free(d->digest);
	free(d->artifact_type);
	platform_free(d->platform);
	annotations_free(d->annotation_keys, d->annotation_values, d->n_annotations);
	memset(d, 0, sizeof *d);
}

void wn_manifest_free(struct wn_manifest *m)
{
	if (!m)
		return;
	free(m->data);
	free(m->media_type);
	desc_clear(&m->config);
	for (size_t i = 0; i < m->n_layers; i++)
		desc_clear(&m->layers[i]);
	free(m->layers);
	for (size_t i = 0; i < m->n_manifests; i++)
		desc_clear(&m->manifests[i]);
	free(m->manifests);
	free(m->artifact_type);
	annotations_free(m->annotation_keys, m->annotation_values, m->n_annotations);
	if (m->subject) {
		desc_clear(m->subject);
		free(m->subject);
	}
	free(m);
}

bool wn__json_size(const cJSON *v, int64_t *out)
{
	/* cJSON keeps numbers as doubles: every integer up to 2^53 exactly, above
	 * that the nearest double.  Refuse what is no integer or lies outside
	 * 0..2^63-1 before converting (a cast out of range is undefined). */
	if (!cJSON_IsNumber(v))
		return false;
	double d = v->valuedouble;
	if (!(d >= 0 && d < 9223372036854775808.0))
		return false;
	int64_t i = (int64_t)d;
	if ((double)i != d)
		return false;
	*out = i;
	return true;
}

static int desc_parse(struct wn_descriptor *d, const cJSON *j, const char *where, struct wn_error *err)
{
	const char *mt = wn__json_str(j, "mediaType"), *dg = wn__json_str(j, "digest");
	const cJSON *size = cJSON_GetObjectItemCaseSensitive(j, "size");
	struct wn_error derr;
	if (!cJSON_IsObject(j))
		return wn__error_set(err, WN_ECORRUPT, "malformed manifest: %s is not an object", where);
	if (!dg || wn_digest_validate(dg, &derr) != WN_OK)
		return wn__error_set(err, WN_ECORRUPT, "malformed manifest: %s has no valid digest", where);
	if (!wn__json_size(size, &d->size))
		return wn__error_set(err, WN_ECORRUPT, "malformed manifest: %s has no valid size (an integer, 0 to 2^63-1)",
		                     where);
	d->media_type = wn__strdup(mt ? mt : "");
	d->digest = strdup(dg);
	d->artifact_type = wn__strdup(wn__json_str(j, "artifactType"));
	const cJSON *p = cJSON_GetObjectItemCaseSensitive(j, "platform");
	if (cJSON_IsObject(p)) {
		d->platform = calloc(1, sizeof *d->platform);
		if (d->platform) {
			d->platform->os = wn__strdup(wn__json_str(p, "os"));
			d->platform->architecture = wn__strdup(wn__json_str(p, "architecture"));
			d->platform->variant = wn__strdup(wn__json_str(p, "variant"));
			d->platform->os_version = wn__strdup(wn__json_str(p, "os.version"));
		}
	}
	return annotations_parse(&d->annotation_keys, &d->annotation_values, &d->n_annotations,
	                         cJSON_GetObjectItemCaseSensitive(j, "annotations"), err);
}

/* max: 0 for no cap */
static int desc_array(struct wn_descriptor **out, size_t *n, const cJSON *arr, const char *what, size_t max,
                      struct wn_error *err)
{
	size_t count = (size_t)cJSON_GetArraySize(arr), i = 0;
	const cJSON *e;
	*out = NULL;
	*n = 0;
	if (!count)
		return WN_OK;
	if (max && count > max)
		return wn__error_set(err, WN_ECORRUPT, "malformed manifest: %s lists %zu entries, more than the %zu allowed",
		                     what, count, max);
	struct wn_descriptor *d = calloc(count, sizeof *d);
	if (!d)
		return wn__error_set(err, WN_ENOMEM, "out of memory");
	*out = d;
	cJSON_ArrayForEach(e, arr) {
		char where[64];
		snprintf(where, sizeof where, "%s[%zu]", what, i);
		*n = i + 1;
		int rc = desc_parse(&d[i++], e, where, err);
		if (rc != WN_OK)
			return rc;
	}
	return WN_OK;
}

/* The media type of a Content-Type header: parameters and spaces left out. */
static void content_type_base(char *out, size_t size, const char *content_type)
{
	*out = 0;
	if (!content_type)
		return;
	size_t n = strcspn(content_type, ";");
	snprintf(out, size, "%.*s", (int)(n < size ? n : size - 1), content_type);
	while (*out && out[strlen(out) - 1] == ' ')
		out[strlen(out) - 1] = 0;
}

/* Kinds of manifest winch refuses by their type, before any other check
 * (digest included: a signed schema 1 manifest's digest covers its JWS
 * payload, not its bytes, so a digest check would call it corrupt):
 * Docker schema 1, signed or not (by Content-Type, mediaType or
 * schemaVersion 1), and the OCI artifact manifest of image-spec
 * 1.1.0-rc1/rc2, withdrawn before 1.1.0 (it has no schemaVersion). */
static int refuse_type(const cJSON *j, const char *ctype, struct wn_error *err)
{
	static const char v1_prefix[] = "application/vnd.docker.distribution.manifest.v1";
	const cJSON *sv = cJSON_GetObjectItemCaseSensitive(j, "schemaVersion");
	const char *mt = wn__json_str(j, "mediaType");
	if ((cJSON_IsNumber(sv) && sv->valuedouble == 1) || (mt && !strncmp(mt, v1_prefix, sizeof v1_prefix - 1)) ||
	    !strncmp(ctype, v1_prefix, sizeof v1_prefix - 1))
		return wn__error_set(err, WN_EUNSUPPORTED,
		                     "Docker schema 1 manifests are not supported (deprecated since 2019: re-push the image)");
	if ((mt && !strcmp(mt, WN__MT_OCI_ARTIFACT)) || !strcmp(ctype, WN__MT_OCI_ARTIFACT))
		return wn__error_set(err, WN_EUNSUPPORTED,
		                     "unsupported manifest type " WN__MT_OCI_ARTIFACT " (the OCI artifact manifest of "
		                     "image-spec 1.1.0-rc1 and rc2, withdrawn before 1.1.0: re-push the artifact as an "
		                     "image manifest with an artifactType)");
	return WN_OK;
}

int wn__manifest_refuse(const void *data, size_t len, const char *content_type, struct wn_error *err)
{
	char ctype[128];
	cJSON *j = len <= WN__MANIFEST_MAX ? wn__json_parse(data, len) : NULL;
	content_type_base(ctype, sizeof ctype, content_type);
	int rc = refuse_type(j, ctype, err);
	cJSON_Delete(j);
	return rc;
}

int wn_manifest_parse(struct wn_manifest **out, const void *data, size_t len, const char *content_type,
                      struct wn_error *err)
{
	struct wn_manifest *m = NULL;
	cJSON *j = NULL;
	int rc;
	*out = NULL;
	if (len > WN__MANIFEST_MAX)
		return wn__error_set(err, WN_ECORRUPT, "manifest is larger than 4 MiB");
	j = wn__json_parse(data, len);
	if (!cJSON_IsObject(j)) {
		rc = wn__error_set(err, WN_ECORRUPT, "malformed manifest: not a JSON object");
		goto done;
	}
	const cJSON *sv = cJSON_GetObjectItemCaseSensitive(j, "schemaVersion");
	const char *mt = wn__json_str(j, "mediaType");
	char ctype[128];
	content_type_base(ctype, sizeof ctype, content_type);
	if ((rc = refuse_type(j, ctype, err)) != WN_OK)
		goto done;
	if (!cJSON_IsNumber(sv) || sv->valueint != 2) {
		rc = wn__error_set(err, WN_ECORRUPT, "malformed manifest: schemaVersion is not 2");
		goto done;
	}
	const cJSON *manifests = cJSON_GetObjectItemCaseSensitive(j, "manifests");
	const cJSON *layers = cJSON_GetObjectItemCaseSensitive(j, "layers");
	if (!mt || !*mt) {
		/* OCI allows mediaType to be absent: the Content-Type or the shape decides */
		if (wn__mt_is_manifest(ctype))
			mt = ctype;
		else
			mt = cJSON_IsArray(manifests) ? WN_MT_OCI_INDEX : WN_MT_OCI_MANIFEST;
	}
	m = calloc(1, sizeof *m);
	if (!m || !(m->data = malloc(len ? len : 1)) || !(m->media_type = strdup(mt))) {
		rc = wn__error_set(err, WN_ENOMEM, "out of memory");
		goto done;
	}
	memcpy(m->data, data, len);
	m->len = len;
	wn_digest_sha256(m->digest, data, len);
	m->artifact_type = wn__strdup(wn__json_str(j, "artifactType"));
	m->is_index = wn__mt_is_index(mt);
	if (m->is_index) {
		if (!cJSON_IsArray(manifests)) {
			rc = wn__error_set(err, WN_ECORRUPT, "malformed index: no manifests array");
			goto done;
		}
		if ((rc = desc_array(&m->manifests, &m->n_manifests, manifests, "manifests", INDEX_ENTRIES_MAX, err)) != WN_OK)
			goto done;
	} else if (!strcmp(mt, WN_MT_OCI_MANIFEST) || !strcmp(mt, WN_MT_DOCKER_MANIFEST)) {
		const cJSON *cfg = cJSON_GetObjectItemCaseSensitive(j, "config");
		if ((rc = desc_parse(&m->config, cfg, "config", err)) != WN_OK)
			goto done;
		if (layers && !cJSON_IsArray(layers)) {
			rc = wn__error_set(err, WN_ECORRUPT, "malformed manifest: layers is not an array");
			goto done;
		}
		if ((rc = desc_array(&m->layers, &m->n_layers, layers, "layers", 0, err)) != WN_OK)
			goto done;
	} else {
		rc = wn__error_set(err, WN_EUNSUPPORTED, "unsupported manifest media type \"%s\"", mt);
		goto done;
	}
	if ((rc = annotations_parse(&m->annotation_keys, &m->annotation_values, &m->n_annotations,
	                            cJSON_GetObjectItemCaseSensitive(j, "annotations"), err)) != WN_OK)
		goto done;
	const cJSON *subj = cJSON_GetObjectItemCaseSensitive(j, "subject");
	if (subj) {
		m->subject = calloc(1, sizeof *m->subject);
		if (!m->subject) {
			rc = wn__error_set(err, WN_ENOMEM, "out of memory");
			goto done;
		}
		if ((rc = desc_parse(m->subject, subj, "subject", err)) != WN_OK)
			goto done;
	}
	*out = m;
	m = NULL;
	rc = WN_OK;
done:
	cJSON_Delete(j);
	wn_manifest_free(m);
	return rc;
}

int wn__index_pick(struct wn_ctx *ctx, const struct wn_manifest *idx, const char *want, const char *name, size_t *out)
{
	struct wn_platform p;
	struct wn_error err;
	if (wn_platform_parse(&p, want, &err) != WN_OK)
		return wn__ctx_take(ctx, &err);
	*out = (size_t)-1;
	for (size_t i = 0; i < idx->n_manifests; i++)
		if (idx->manifests[i].platform && !wn_descriptor_attests(&idx->manifests[i]) &&
		    wn_platform_match(&p, idx->manifests[i].platform)) {
			*out = i;
			break;
		}
	wn_platform_clear(&p);
	if (*out != (size_t)-1)
		return WN_OK;
	struct wn__buf have = { .max = 2048 };
	size_t n = 0, att = 0;
	for (size_t i = 0; i < idx->n_manifests; i++) {
		if (wn_descriptor_attests(&idx->manifests[i])) {
			att++;
			continue;
		}
		char *s = idx->manifests[i].platform ? wn_platform_string(idx->manifests[i].platform) : NULL;
		wn__buf_puts(&have, n++ ? ", " : "");
		wn__buf_puts(&have, s ? s : "(none)");
		free(s);
	}
	wn__buf_cstr(&have);
	int rc = wn__ctx_fail(ctx, WN_ENOTFOUND, "platform %s is not in %s (it has %s%s)", want, name,
	                      n && have.data ? (char *)have.data : "no platforms",
	                      att ? ", and attestation manifests that go with their images" : "");
	wn__buf_free(&have);
	return rc;
}

/*
 * write.c: `winch sign`: cosign-compatible signatures pushed to a registry.
 *
 * The .sig tag (cosign pkg/oci/remote/write.go WriteSignatures, pkg/oci/static,
 * pkg/oci/mutate): an OCI image manifest tagged sha256-HEX.sig whose layers
 * are the payloads (media type application/vnd.dev.cosign.simplesigning.v1+json),
 * each with its base64 signature in the dev.cosignproject.cosign/signature
 * annotation.  A tag already there keeps its layers and gets one more, as
 * cosign appends (mutate.AttachSignatureToEntity); the same payload signed
 * with the same signature is not added twice.  The config is an OCI image
 * config listing the layers as diff_ids, as the image cosign builds does.
 *
 * The bundle (cosign cmd/cosign/cli/sign/sign.go signDigestBundle and
 * pkg/oci/remote/write.go WriteReferrer): an in-toto statement over the
 * image digest in a DSSE envelope in a v0.3 bundle, one layer of an OCI
 * manifest with that artifactType, the empty config, the image as subject,
 * pushed by digest; where the registry has no referrers API (or one that does
 * not list it) the referrers index under the tag sha256-HEX gets it too.
 *
 * Neither goes to a transparency log: winch talks to no server but the
 * registry.  Verifiers need --insecure-ignore-tlog (cosign: the same flag).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <openssl/sha.h>
#include "sign/sign.h"

#define OCI_CONFIG "application/vnd.oci.image.config.v1+json"
#define OCI_EMPTY "application/vnd.oci.empty.v1+json"

void wn_sign_result_clear(struct wn_sign_result *r)
{
	free(r->sig_tag);
	memset(r, 0, sizeof *r);
}

static cJSON *descriptor(const char *mt, const char *digest, size_t size)
{
	cJSON *d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "mediaType", mt);
	cJSON_AddStringToObject(d, "digest", digest);
	cJSON_AddNumberToObject(d, "size", (double)size);
	return d;
}

/* Pushes a JSON document as a blob; its digest into dg. */
static int put_json_blob(struct wn_ctx *ctx, const struct wn_ref *repo, const char *text, char dg[WN_DIGEST_MAX])
{
	wn_digest_sha256(dg, text, strlen(text));
	return wn__blob_put_mem(ctx, repo, dg, text, strlen(text));
}

static int put_manifest(struct wn_ctx *ctx, const struct wn_ref *repo, const char *tag, cJSON *m, char dg[WN_DIGEST_MAX])
{
	char *text = cJSON_PrintUnformatted(m), d[WN_DIGEST_MAX];
	if (!text)
		return wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
	wn_digest_sha256(d, text, strlen(text));
	int rc = wn__manifest_put(ctx, repo, tag ? tag : d, text, strlen(text), WN_MT_OCI_MANIFEST, dg);
	free(text);
	return rc;
}

/* The .sig tag with one more layer: payload and its signature. */
static int write_sig(struct wn_ctx *ctx, const struct wn_ref *repo, const char *tag, const char *payload, size_t plen,
                     const char *sig_b64, const struct wn_key *key, struct wn_sign_result *out)
{
	struct wn_ref *at = NULL;
	struct wn_manifest *old = NULL;
	cJSON *layers = cJSON_CreateArray(), *m = NULL, *cfg = NULL;
	char pdg[WN_DIGEST_MAX], cdg[WN_DIGEST_MAX];
	struct wn_error saved = ctx->err;
	int rc;
	wn_digest_sha256(pdg, payload, plen);
	if (wn__ref_at(&at, repo, tag, NULL) != WN_OK) {
		cJSON_Delete(layers);
		return wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
	}
	rc = wn_manifest_get(&old, ctx, at);
	if (rc == WN_ENOTFOUND) {
		ctx->err = saved;
		rc = WN_OK;
	}
	if (rc != WN_OK)
		goto done;
	if (old) {
		cJSON *j = wn__json_parse(old->data, old->len), *l;
		const cJSON *ol = cJSON_GetObjectItemCaseSensitive(j, "layers");
		if (old->is_index || !cJSON_IsArray(ol) || old->n_layers >= WN__SIG_MAX_LAYERS) {
			cJSON_Delete(j);
			rc = wn__ctx_fail(ctx, WN_EREFUSED, "%s/%s:%s is not a cosign signature manifest winch can add to (an index, "
			                  "no layers, or %d already)", repo->registry, repo->repository, tag, WN__SIG_MAX_LAYERS);
			goto done;
		}
		/* this payload, already signed by this key (ECDSA signatures differ each time): nothing to add */
		for (size_t i = 0; i < old->n_layers && !out->already; i++) {
			const char *s = wn_descriptor_annotation(&old->layers[i], WN__SIG_ANN);
			unsigned char *os = NULL;
			size_t os_len = 0;
			if (!strcmp(old->layers[i].digest, pdg) && s && (os = wn__b64_any(s, 4096, &os_len)))
				out->already = wn__key_verify(key, payload, plen, os, os_len) != NULL;
			free(os);
		}
		cJSON_ArrayForEach(l, ol)
			cJSON_AddItemToArray(layers, cJSON_Duplicate(l, 1));
		cJSON_Delete(j);
	}
	if (out->already) {
		memcpy(out->sig_manifest, old->digest, WN_DIGEST_MAX);
		goto done;
	}
	cJSON *d = descriptor(WN__SIG_MT, pdg, plen);
	cJSON_AddStringToObject(cJSON_AddObjectToObject(d, "annotations"), WN__SIG_ANN, sig_b64);
	cJSON_AddItemToArray(layers, d);
	/* the config: an OCI image config whose diff_ids are the layers (uncompressed: their digests) */
	cfg = cJSON_CreateObject();
	cJSON_AddStringToObject(cfg, "architecture", "");
	cJSON_AddStringToObject(cfg, "created", "0001-01-01T00:00:00Z");
	cJSON_AddStringToObject(cfg, "os", "");
	cJSON *rootfs = cJSON_AddObjectToObject(cfg, "rootfs"), *ids, *l;
	cJSON_AddStringToObject(rootfs, "type", "layers");
	ids = cJSON_AddArrayToObject(rootfs, "diff_ids");
	cJSON_ArrayForEach(l, layers)
		cJSON_AddItemToArray(ids, cJSON_CreateString(wn__json_str(l, "digest") ? wn__json_str(l, "digest") : ""));
	cJSON_AddObjectToObject(cfg, "config");
	char *cfg_text = cJSON_PrintUnformatted(cfg);
	if (!cfg_text) {
		rc = wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
		goto done;
	}
	if ((rc = wn__blob_put_mem(ctx, repo, pdg, payload, plen)) == WN_OK &&
	    (rc = put_json_blob(ctx, repo, cfg_text, cdg)) == WN_OK) {
		m = cJSON_CreateObject();
		cJSON_AddNumberToObject(m, "schemaVersion", 2);
		cJSON_AddStringToObject(m, "mediaType", WN_MT_OCI_MANIFEST);
		cJSON_AddItemToObject(m, "config", descriptor(OCI_CONFIG, cdg, strlen(cfg_text)));
		cJSON_AddItemToObject(m, "layers", layers);
		layers = NULL;
		rc = put_manifest(ctx, repo, tag, m, out->sig_manifest);
	}
	free(cfg_text);
done:
	cJSON_Delete(layers);
	cJSON_Delete(m);
	cJSON_Delete(cfg);
	wn_manifest_free(old);
	wn_ref_free(at);
	return rc;
}

static char *now_rfc3339(void)
{
	char buf[32];
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return strdup(buf);
}

/* The referrers index under the fallback tag, with `entry` added (OCI distribution spec, "Referrers Tag Schema"). */
static int fallback_index(struct wn_ctx *ctx, const struct wn_ref *repo, const char *tag, const cJSON *entry)
{
	struct wn_ref *at = NULL;
	struct wn_manifest *old = NULL;
	struct wn_error saved = ctx->err;
	cJSON *idx = NULL, *mans;
	int rc;
	if (wn__ref_at(&at, repo, tag, NULL) != WN_OK)
		return wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
	rc = wn_manifest_get(&old, ctx, at);
	if (rc == WN_ENOTFOUND) {
		ctx->err = saved;
		rc = WN_OK;
	}
	if (rc == WN_OK && old && old->is_index)
		idx = wn__json_parse(old->data, old->len);
	if (rc == WN_OK) {
		if (!cJSON_IsObject(idx) || !cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(idx, "manifests"))) {
			cJSON_Delete(idx);
			idx = cJSON_CreateObject();
			cJSON_AddNumberToObject(idx, "schemaVersion", 2);
			cJSON_AddStringToObject(idx, "mediaType", WN_MT_OCI_INDEX);
			cJSON_AddArrayToObject(idx, "manifests");
		}
		mans = cJSON_GetObjectItemCaseSensitive(idx, "manifests");
		cJSON_AddItemToArray(mans, cJSON_Duplicate(entry, 1));
		char *text = cJSON_PrintUnformatted(idx);
		rc = text ? wn__manifest_put(ctx, at, tag, text, strlen(text), WN_MT_OCI_INDEX, NULL)
		          : wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
		free(text);
	}
	cJSON_Delete(idx);
	wn_manifest_free(old);
	wn_ref_free(at);
	return rc;
}

static int write_bundle(struct wn_ctx *ctx, const struct wn_ref *repo, const struct wn_descriptor *subject,
                        const struct wn_sign_options *o, struct wn_sign_result *out)
{
	const char *hex = strchr(subject->digest, ':') + 1;
	cJSON *st = cJSON_CreateObject(), *b = cJSON_CreateObject(), *m = cJSON_CreateObject(), *s, *entry = NULL;
	char *st_text = NULL, *b_text = NULL, *p_b64 = NULL, *s_b64 = NULL, *hint = NULL, *created = NULL;
	unsigned char *pae = NULL, *sig = NULL, *spki = NULL, kid[32];
	size_t pae_len = 0, sig_len = 0, spki_len = 0;
	char bdg[WN_DIGEST_MAX], edg[WN_DIGEST_MAX], tag[WN_DIGEST_MAX + 8];
	struct wn_error err;
	int rc;
	/* the statement (in-toto Statement v1, as protojson writes cosign's) */
	cJSON_AddStringToObject(st, "_type", WN__INTOTO_STATEMENT);
	s = cJSON_CreateObject();
	cJSON_AddStringToObject(cJSON_AddObjectToObject(s, "digest"), "sha256", hex);
	if (o->annotations && o->annotations[0]) {
		cJSON *a = cJSON_AddObjectToObject(s, "annotations");
		for (size_t i = 0; o->annotations[i]; i++) {
			const char *eq = strchr(o->annotations[i], '=');
			char *k = eq ? strndup(o->annotations[i], (size_t)(eq - o->annotations[i])) : NULL;
			if (k) {
				cJSON_DeleteItemFromObjectCaseSensitive(a, k);
				cJSON_AddStringToObject(a, k, eq + 1);
			}
			free(k);
		}
	}
	cJSON_AddItemToArray(cJSON_AddArrayToObject(st, "subject"), s);
	cJSON_AddStringToObject(st, "predicateType", WN__COSIGN_SIGN_PREDICATE);
	cJSON_AddObjectToObject(st, "predicate");
	if (!(st_text = cJSON_PrintUnformatted(st)) ||
	    !(pae = wn__dsse_pae(WN__INTOTO_MT, st_text, strlen(st_text), &pae_len))) {
		rc = wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
		goto done;
	}
	if (wn__key_sign(o->key, pae, pae_len, &sig, &sig_len, &err) != WN_OK) {
		rc = wn__ctx_take(ctx, &err);
		goto done;
	}
	/* the hint names the key: base64 of SHA-256 of its DER, as cosign's key-based bundles */
	if (wn__key_spki(o->key, &spki, &spki_len) != WN_OK) {
		rc = wn__ctx_fail(ctx, WN_ERROR, "cannot encode the public key");
		goto done;
	}
	SHA256(spki, spki_len, kid);
	p_b64 = wn__b64_encode(st_text, strlen(st_text));
	s_b64 = wn__b64_encode(sig, sig_len);
	hint = wn__b64_encode(kid, sizeof kid);
	cJSON_AddStringToObject(b, "mediaType", WN__BUNDLE_MT);
	cJSON_AddStringToObject(cJSON_AddObjectToObject(cJSON_AddObjectToObject(b, "verificationMaterial"), "publicKey"), "hint",
	                        hint ? hint : "");
	cJSON *env = cJSON_AddObjectToObject(b, "dsseEnvelope");
	cJSON_AddStringToObject(env, "payload", p_b64 ? p_b64 : "");
	cJSON_AddStringToObject(env, "payloadType", WN__INTOTO_MT);
	cJSON *sg = cJSON_CreateObject();
	cJSON_AddStringToObject(sg, "sig", s_b64 ? s_b64 : "");
	cJSON_AddItemToArray(cJSON_AddArrayToObject(env, "signatures"), sg);
	if (!p_b64 || !s_b64 || !hint || !(b_text = cJSON_PrintUnformatted(b)) || !(created = now_rfc3339())) {
		rc = wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
		goto done;
	}
	/* the referrer: the empty config "{}", one layer, the image as subject */
	if ((rc = put_json_blob(ctx, repo, b_text, bdg)) != WN_OK || (rc = put_json_blob(ctx, repo, "{}", edg)) != WN_OK)
		goto done;
	cJSON_AddNumberToObject(m, "schemaVersion", 2);
	cJSON_AddStringToObject(m, "mediaType", WN_MT_OCI_MANIFEST);
	cJSON_AddStringToObject(m, "artifactType", WN__BUNDLE_MT);
	cJSON_AddItemToObject(m, "config", descriptor(OCI_EMPTY, edg, 2));
	cJSON_AddItemToArray(cJSON_AddArrayToObject(m, "layers"), descriptor(WN__BUNDLE_MT, bdg, strlen(b_text)));
	cJSON_AddItemToObject(m, "subject", descriptor(subject->media_type, subject->digest, (size_t)subject->size));
	cJSON *ann = cJSON_AddObjectToObject(m, "annotations");
	cJSON_AddStringToObject(ann, "org.opencontainers.image.created", created);
	cJSON_AddStringToObject(ann, "dev.sigstore.bundle.content", "dsse-envelope");
	cJSON_AddStringToObject(ann, "dev.sigstore.bundle.predicateType", WN__COSIGN_SIGN_PREDICATE);
	if ((rc = put_manifest(ctx, repo, NULL, m, out->bundle_manifest)) != WN_OK)
		goto done;
	/* does the registry index it?  Else the tag schema stands in (as copy's referrers do) */
	struct wn_manifest *idx = NULL;
	struct wn_error saved = ctx->err;
	bool listed = false;
	int q = wn__referrers_get(ctx, repo, subject->digest, &idx);
	for (size_t i = 0; q == WN_OK && i < idx->n_manifests; i++)
		listed |= !strcmp(idx->manifests[i].digest, out->bundle_manifest);
	wn_manifest_free(idx);
	if (q != WN_OK && q != WN_EUNSUPPORTED) {
		rc = q;
		goto done;
	}
	ctx->err = saved;
	if (!listed) {
		char *text = cJSON_PrintUnformatted(m);
		entry = descriptor(WN_MT_OCI_MANIFEST, out->bundle_manifest, text ? strlen(text) : 0);
		free(text);
		cJSON_AddStringToObject(entry, "artifactType", WN__BUNDLE_MT);
		cJSON_AddItemToObject(entry, "annotations", cJSON_Duplicate(ann, 1));
		snprintf(tag, sizeof tag, "%.*s-%s", (int)(hex - 1 - subject->digest), subject->digest, hex);
		rc = fallback_index(ctx, repo, tag, entry);
	}
done:
	cJSON_Delete(st);
	cJSON_Delete(b);
	cJSON_Delete(m);
	cJSON_Delete(entry);
	free(st_text);
	free(b_text);
	free(p_b64);
	free(s_b64);
	free(hint);
	free(created);
	free(pae);
	free(sig);
	free(spki);
	return rc;
}

int wn_sign(struct wn_sign_result *out, struct wn_ctx *ctx, const char *reference, const struct wn_sign_options *o)
{
	struct wn_ref *ref = NULL, *sigrepo = NULL;
	struct wn_manifest *m = NULL;
	struct wn_error err;
	struct wn_descriptor subject = { 0 };
	char *payload = NULL, *name = NULL, *sig_b64 = NULL, tag[WN_DIGEST_MAX + 8];
	unsigned char *sig = NULL;
	size_t plen = 0, sig_len = 0;
	int rc;
	memset(out, 0, sizeof *out);
	if (!o || !o->key || !o->key->is_private)
		return wn__ctx_fail(ctx, WN_EINVAL, "signing needs a private key");
	if (!strncmp(reference, "oci:", 4) || !strncmp(reference, "oci-archive:", 12) ||
	    !strncmp(reference, "docker-archive:", 15))
		return wn__ctx_fail(ctx, WN_EUNSUPPORTED, "winch sign writes signatures to a registry, not to \"%s\": push "
		                    "the image, sign it there, and pull it with --referrers", reference);
	if (wn_ref_parse(&ref, reference, WN_REF_DEFAULT_TAG, &err) != WN_OK)
		return wn__ctx_take(ctx, &err);
	if (o->signature_repository && wn_ref_parse(&sigrepo, o->signature_repository, WN_REF_NAME_ONLY, &err) != WN_OK) {
		rc = wn__ctx_take(ctx, &err);
		goto done;
	}
	if ((rc = wn_manifest_get(&m, ctx, ref)) != WN_OK)
		goto done;
	subject.media_type = m->media_type;
	subject.digest = m->digest;
	subject.size = (int64_t)m->len;
	if (o->platform && m->is_index) {
		size_t i;
		if ((rc = wn__index_pick(ctx, m, o->platform, reference, &i)) != WN_OK)
			goto done;
		subject = m->manifests[i];
	}
	snprintf(out->digest, sizeof out->digest, "%s", subject.digest);
	const struct wn_ref *repo = sigrepo ? sigrepo : ref;
	/* docker-reference: the repository, as cosign writes it (sigstore payload.go: Repository.Name()) */
	if (!(name = wn_ref_name(ref)) || !(payload = wn__payload_make(name, subject.digest, o->annotations, &plen))) {
		rc = wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
		goto done;
	}
	if (!o->no_sig_tag) {
		if (wn__key_sign(o->key, payload, plen, &sig, &sig_len, &err) != WN_OK) {
			rc = wn__ctx_take(ctx, &err);
			goto done;
		}
		const char *hex = strchr(subject.digest, ':') + 1;
		snprintf(tag, sizeof tag, "%.*s-%s.sig", (int)(hex - 1 - subject.digest), subject.digest, hex);
		if (!(sig_b64 = wn__b64_encode(sig, sig_len)) || !(out->sig_tag = strdup(tag))) {
			rc = wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
			goto done;
		}
		if ((rc = write_sig(ctx, repo, tag, payload, plen, sig_b64, o->key, out)) != WN_OK)
			goto done;
	}
	if (o->bundle)
		rc = write_bundle(ctx, repo, &subject, o, out);
done:
	if (rc != WN_OK)
		wn_sign_result_clear(out);
	free(payload);
	free(name);
	free(sig);
	free(sig_b64);
	wn_manifest_free(m);
	wn_ref_free(ref);
	wn_ref_free(sigrepo);
	return rc;
}

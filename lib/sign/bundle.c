/*
 * bundle.c: sigstore bundles (protobuf-specs protos/sigstore_bundle.proto,
 * as protojson writes them), the DSSE envelope they carry (envelope.proto;
 * the PAE of the DSSE spec) and the in-toto statement inside.
 *
 * cosign v3 signs an image this way (cosign cmd/cosign/cli/sign/sign.go
 * signDigestBundle): an in-toto Statement v1 whose subject is the image's
 * digest ({"sha256": HEX}, with the -a annotations as the subject's
 * "annotations") and predicate type https://sigstore.dev/cosign/sign/v1, in
 * a DSSE envelope of payload type application/vnd.in-toto+json, in a bundle
 * of media type application/vnd.dev.sigstore.bundle.v0.3+json pushed as an
 * OCI referrer of the image (pkg/oci/remote/write.go
 * WriteAttestationNewBundleFormat: one layer of the bundle's media type, the
 * same artifactType).
 *
 * protojson: int64 values are strings (numbers are taken too), bytes are
 * base64 (standard or URL-safe), and a field may be spelled lowerCamelCase or
 * as in the .proto; both are read.
 */
#include <stdlib.h>
#include <string.h>
#include "sign/sign.h"

#define BUNDLE_MAX_TLOG 16
#define BUNDLE_MAX_CERTS 10

static const cJSON *field(const cJSON *o, const char *camel, const char *snake)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, camel);
	return v ? v : snake ? cJSON_GetObjectItemCaseSensitive(o, snake) : NULL;
}

static const char *str_field(const cJSON *o, const char *camel, const char *snake)
{
	const cJSON *v = field(o, camel, snake);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* an int64 as protojson writes it: a decimal string, or a number */
static bool int_field(const cJSON *o, const char *camel, const char *snake, int64_t *out)
{
	const cJSON *v = field(o, camel, snake);
	if (cJSON_IsNumber(v)) {
		if (v->valuedouble < 0 || v->valuedouble > 9e15 || v->valuedouble != (double)(int64_t)v->valuedouble)
			return false;
		*out = (int64_t)v->valuedouble;
		return true;
	}
	if (!cJSON_IsString(v) || !*v->valuestring || strlen(v->valuestring) > 18)
		return false;
	int64_t n = 0;
	for (const char *p = v->valuestring; *p; p++) {
		if (*p < '0' || *p > '9')
			return false;
		n = n * 10 + (*p - '0');
	}
	*out = n;
	return true;
}

static unsigned char *bytes_field(const cJSON *o, const char *camel, const char *snake, size_t max, size_t *len)
{
	const char *s = str_field(o, camel, snake);
	return s ? wn__b64_any(s, max, len) : NULL;
}

void wn__tlog_entry_clear(struct wn__tlog_entry *e)
{
	free(e->set);
	free(e->body);
	memset(e, 0, sizeof *e);
}

void wn__bundle_clear(struct wn__bundle *b)
{
	for (size_t i = 0; i < b->n_certs; i++)
		free(b->certs[i]);
	free(b->certs);
	free(b->cert_lens);
	for (size_t i = 0; i < b->n_tlog; i++)
		wn__tlog_entry_clear(&b->tlog[i]);
	free(b->tlog);
	free(b->payload_type);
	free(b->payload);
	free(b->sig);
	memset(b, 0, sizeof *b);
}

static int add_cert(struct wn__bundle *b, const cJSON *c)
{
	size_t len;
	unsigned char *der = bytes_field(c, "rawBytes", "raw_bytes", 64u << 10, &len);
	if (!der || b->n_certs == BUNDLE_MAX_CERTS) {
		free(der);
		return -1;
	}
	b->certs[b->n_certs] = der;
	b->cert_lens[b->n_certs++] = len;
	return 0;
}

static int tlog_entry(struct wn__tlog_entry *e, const cJSON *t, struct wn_error *err)
{
	size_t idlen = 0;
	unsigned char *id = bytes_field(field(t, "logId", "log_id"), "keyId", "key_id", 64, &idlen);
	const cJSON *promise = field(t, "inclusionPromise", "inclusion_promise");
	memset(e, 0, sizeof *e);
	if (!int_field(t, "logIndex", "log_index", &e->log_index) ||
	    !int_field(t, "integratedTime", "integrated_time", &e->integrated_time) || !id || !idlen) {
		free(id);
		return wn__error_set(err, WN_ECORRUPT, "the bundle's transparency-log entry lacks a valid logIndex, "
		                     "integratedTime or logId");
	}
	wn__hex(e->log_id, sizeof e->log_id, id, idlen);
	free(id);
	if (promise && !(e->set = bytes_field(promise, "signedEntryTimestamp", "signed_entry_timestamp", 4096, &e->set_len)))
		return wn__error_set(err, WN_ECORRUPT, "the bundle's inclusionPromise has no valid signedEntryTimestamp");
	e->body = bytes_field(t, "canonicalizedBody", "canonicalized_body", WN__SIG_PAYLOAD_MAX, &e->body_len);
	return WN_OK;
}

int wn__bundle_parse(struct wn__bundle *b, const void *data, size_t len, struct wn_error *err)
{
	cJSON *j = len ? wn__json_parse(data, len) : NULL;
	const cJSON *vm = field(j, "verificationMaterial", "verification_material"), *c;
	const cJSON *env = field(j, "dsseEnvelope", "dsse_envelope");
	const char *mt = str_field(j, "mediaType", "media_type");
	int rc = WN_OK;
	memset(b, 0, sizeof *b);
	if (!cJSON_IsObject(j)) {
		rc = wn__error_set(err, WN_ECORRUPT, "the bundle is not a JSON object");
		goto done;
	}
	if (!mt || (strcmp(mt, WN__BUNDLE_MT) && strcmp(mt, WN__BUNDLE_MT_ALT))) {
		/* v0.1 and v0.2 bundles are not what cosign pushes as referrers (cosign pkg/oci/remote/signatures.go
		 * Bundle: "bundle version too old") */
		rc = wn__error_set(err, WN_EUNSUPPORTED, "the bundle's mediaType is %s%s%s, not " WN__BUNDLE_MT,
		                   mt ? "\"" : "", mt ? mt : "missing", mt ? "\"" : "");
		goto done;
	}
	if (!cJSON_IsObject(vm)) {
		rc = wn__error_set(err, WN_ECORRUPT, "the bundle has no verificationMaterial");
		goto done;
	}
	if (!(b->certs = calloc(BUNDLE_MAX_CERTS, sizeof *b->certs)) ||
	    !(b->cert_lens = calloc(BUNDLE_MAX_CERTS, sizeof *b->cert_lens)) ||
	    !(b->tlog = calloc(BUNDLE_MAX_TLOG, sizeof *b->tlog))) {
		rc = wn__error_set(err, WN_ENOMEM, "out of memory");
		goto done;
	}
	const cJSON *chain = field(vm, "x509CertificateChain", "x509_certificate_chain");
	if ((c = field(vm, "certificate", NULL))) {
		if (add_cert(b, c)) {
			rc = wn__error_set(err, WN_ECORRUPT, "the bundle's certificate has no valid rawBytes");
			goto done;
		}
	} else if (chain) {
		const cJSON *certs = field(chain, "certificates", NULL);
		if (!cJSON_IsArray(certs))
			certs = NULL;
		cJSON_ArrayForEach(c, certs) {
			if (add_cert(b, c)) {
				rc = wn__error_set(err, WN_ECORRUPT, "the bundle's certificate chain has an invalid entry (or more "
				                   "than %d)", BUNDLE_MAX_CERTS);
				goto done;
			}
		}
		if (!b->n_certs) {
			rc = wn__error_set(err, WN_ECORRUPT, "the bundle's certificate chain is empty");
			goto done;
		}
	} else if (cJSON_IsObject(field(vm, "publicKey", "public_key"))) {
		b->has_public_key = 1;
	} else {
		rc = wn__error_set(err, WN_ECORRUPT, "the bundle's verificationMaterial has no publicKey, certificate or chain");
		goto done;
	}
	const cJSON *tl = field(vm, "tlogEntries", "tlog_entries");
	if (tl && !cJSON_IsArray(tl)) {
		rc = wn__error_set(err, WN_ECORRUPT, "the bundle's tlogEntries is not a list");
		goto done;
	}
	cJSON_ArrayForEach(c, tl) {
		if (b->n_tlog == BUNDLE_MAX_TLOG) {
			rc = wn__error_set(err, WN_ECORRUPT, "the bundle has more than %d transparency-log entries", BUNDLE_MAX_TLOG);
			goto done;
		}
		if ((rc = tlog_entry(&b->tlog[b->n_tlog], c, err)) != WN_OK) {
			wn__tlog_entry_clear(&b->tlog[b->n_tlog]);
			goto done;
		}
		b->n_tlog++;
	}
	if (!cJSON_IsObject(env)) {
		rc = wn__error_set(err, WN_EUNSUPPORTED, "the bundle holds no dsseEnvelope (a messageSignature signs a blob, "
		                   "not an image)");
		goto done;
	}
	const char *pt = str_field(env, "payloadType", "payload_type");
	const cJSON *sigs = field(env, "signatures", NULL);
	b->payload = bytes_field(env, "payload", NULL, WN__SIG_PAYLOAD_MAX, &b->payload_len);
	if (!pt || !b->payload || !cJSON_IsArray(sigs) || cJSON_GetArraySize(sigs) != 1 ||
	    !(b->sig = bytes_field(cJSON_GetArrayItem(sigs, 0), "sig", NULL, 4096, &b->sig_len)) || !b->sig_len) {
		/* one signature, as cosign and sigstore-go take it ("multiple signatures on DSSE envelopes are not
		 * currently supported", cosign pkg/cosign/verify.go bundleSig) */
		rc = wn__error_set(err, WN_ECORRUPT, "the bundle's DSSE envelope lacks a payloadType, a payload or exactly "
		                   "one signature");
		goto done;
	}
	if (!(b->payload_type = strdup(pt)))
		rc = wn__error_set(err, WN_ENOMEM, "out of memory");
done:
	if (rc != WN_OK)
		wn__bundle_clear(b);
	cJSON_Delete(j);
	return rc;
}

unsigned char *wn__dsse_pae(const char *type, const void *body, size_t len, size_t *out_len)
{
	char head[64];
	size_t tl = strlen(type);
	int h = snprintf(head, sizeof head, "DSSEv1 %zu ", tl);
	char mid[32];
	int m = snprintf(mid, sizeof mid, " %zu ", len);
	unsigned char *out = malloc((size_t)h + tl + (size_t)m + len + 1);
	if (!out)
		return NULL;
	memcpy(out, head, (size_t)h);
	memcpy(out + h, type, tl);
	memcpy(out + h + tl, mid, (size_t)m);
	memcpy(out + h + tl + m, body, len);
	*out_len = (size_t)h + tl + (size_t)m + len;
	return out;
}

int wn__statement_parse(const void *data, size_t len, char *digest, size_t n, const cJSON **annotations,
                        const char **predicate_type, cJSON **doc, struct wn_error *err)
{
	cJSON *j = len ? wn__json_parse(data, len) : NULL;
	const cJSON *subj = cJSON_GetObjectItemCaseSensitive(j, "subject");
	const char *type = wn__json_str(j, "_type");
	*doc = NULL;
	*annotations = NULL;
	*predicate_type = NULL;
	if (!cJSON_IsObject(j) || !type || strncmp(type, "https://in-toto.io/Statement/", 29)) {
		cJSON_Delete(j);
		return wn__error_set(err, WN_ECORRUPT, "the DSSE payload is not an in-toto statement");
	}
	int n_subj = cJSON_IsArray(subj) ? cJSON_GetArraySize(subj) : 0;
	if (n_subj != 1) {
		cJSON_Delete(j);
		return wn__error_set(err, WN_ECORRUPT, "the in-toto statement has %d subjects, not one", n_subj);
	}
	const cJSON *s = cJSON_GetArrayItem(subj, 0), *dg = cJSON_GetObjectItemCaseSensitive(s, "digest");
	const char *hex = wn__json_str(dg, "sha256"), *alg = "sha256";
	if (!hex) {
		hex = wn__json_str(dg, "sha512");
		alg = "sha512";
	}
	if (!hex || (size_t)snprintf(digest, n, "%s:%s", alg, hex) >= n || wn_digest_validate(digest, NULL) != WN_OK) {
		cJSON_Delete(j);
		return wn__error_set(err, WN_ECORRUPT, "the in-toto statement's subject has no valid sha256 digest");
	}
	const cJSON *ann = cJSON_GetObjectItemCaseSensitive(s, "annotations");
	*annotations = cJSON_IsObject(ann) ? ann : NULL;
	*predicate_type = wn__json_str(j, "predicateType");
	*doc = j;
	return WN_OK;
}

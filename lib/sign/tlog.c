/*
 * tlog.c: the Rekor transparency log, verified offline, and the sigstore
 * trusted root that holds its keys.
 *
 * trusted_root.json (protobuf-specs protos/sigstore_trustroot.proto as
 * protojson writes it; sigstore-go pkg/root/trusted_root.go
 * ParseTransparencyLogs, ParseCertificateAuthority): "mediaType"
 * application/vnd.dev.sigstore.trustedroot+json;version=0.1; "tlogs"[]:
 * {"hashAlgorithm":"SHA2_256","publicKey":{"rawBytes":B64 DER SPKI,
 * "keyDetails":...,"validFor":{"start":RFC3339,"end":RFC3339}},
 * "logId":{"keyId":B64}}; "certificateAuthorities"[]: {"certChain":
 * {"certificates":[{"rawBytes":B64 DER}...]}, "validFor":...}, the last
 * certificate the root and the others intermediates.  A tlog's validFor.start
 * is required (sigstore-go: "tlog missing public key validity period").
 *
 * The SignedEntryTimestamp (sigstore-go pkg/tlog/entry.go VerifySET, cosign
 * pkg/cosign/verify.go VerifySET): an ECDSA signature (ASN.1) over SHA-256 of
 * the RFC 8785 canonical JSON of
 *   {"body":B64(entry body),"integratedTime":N,"logID":HEX(key id),"logIndex":N}
 * with the Rekor key whose key ID is the entry's log ID, valid at the
 * integrated time.  The keys sorted and no blanks is all RFC 8785 changes
 * here: base64 and hex need no escapes and the numbers are integers.
 *
 * The entry body must be about what was verified (cosign VerifyBundle:
 * compareSigs, comparePublicKey, bundleHash): a hashedrekord's
 * spec.data.hash is SHA-256 of the payload and spec.signature.content the
 * signature; a dsse's spec.payloadHash and spec.signatures[0].signature.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include "sign/sign.h"

void wn_trusted_root_free(struct wn_trusted_root *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n_tlogs; i++)
		EVP_PKEY_free(r->tlogs[i].key);
	for (size_t i = 0; i < r->n_cas; i++) {
		X509_free(r->cas[i].root);
		sk_X509_pop_free(r->cas[i].intermediates, X509_free);
	}
	free(r->tlogs);
	free(r->cas);
	free(r);
}

/* RFC 3339 ("2021-01-12T11:53:27Z", fractions and offsets allowed) to seconds. */
static bool rfc3339(const char *s, int64_t *out)
{
	struct tm tm;
	memset(&tm, 0, sizeof tm);
	int n = 0;
	if (!s || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
	                 &tm.tm_sec, &n) != 6 || n != 19)
		return false;
	const char *p = s + 19;
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++)
			;
	long off = 0;
	if (*p == '+' || *p == '-') {
		int h, m;
		if (sscanf(p + 1, "%2d:%2d", &h, &m) != 2 || strlen(p) != 6)
			return false;
		off = (*p == '+' ? 1 : -1) * (h * 3600L + m * 60L);
	} else if (strcmp(p, "Z") && strcmp(p, "z")) {
		return false;
	}
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	*out = (int64_t)timegm(&tm) - off;
	return true;
}

static const cJSON *field(const cJSON *o, const char *camel, const char *snake)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, camel);
	return v ? v : cJSON_GetObjectItemCaseSensitive(o, snake);
}

static unsigned char *bytes_of(const cJSON *o, const char *camel, const char *snake, size_t *len)
{
	const cJSON *v = field(o, camel, snake);
	return cJSON_IsString(v) ? wn__b64_any(v->valuestring, 64u << 10, len) : NULL;
}

/* validFor: start and end (0 when absent); false when one is malformed */
static bool valid_for(const cJSON *o, int64_t *start, int64_t *end)
{
	const cJSON *vf = field(o, "validFor", "valid_for");
	const cJSON *s = cJSON_GetObjectItemCaseSensitive(vf, "start"), *e = cJSON_GetObjectItemCaseSensitive(vf, "end");
	*start = *end = 0;
	return (!s || (cJSON_IsString(s) && rfc3339(s->valuestring, start))) &&
	       (!e || (cJSON_IsString(e) && rfc3339(e->valuestring, end)));
}

static X509 *der_cert(const unsigned char *d, size_t len)
{
	const unsigned char *p = d;
	X509 *x = d2i_X509(NULL, &p, (long)len);
	if (x && p != d + len) {
		X509_free(x);
		x = NULL;
	}
	return x;
}

int wn_trusted_root_parse(struct wn_trusted_root **out, const void *data, size_t len, struct wn_error *err)
{
	cJSON *j = len ? wn__json_parse(data, len) : NULL, *t;
	const char *mt = wn__json_str(j, "mediaType");
	const cJSON *tlogs = cJSON_GetObjectItemCaseSensitive(j, "tlogs");
	const cJSON *cas = field(j, "certificateAuthorities", "certificate_authorities");
	struct wn_trusted_root *r = calloc(1, sizeof *r);
	int rc = WN_OK, n;
	*out = NULL;
	if (!r) {
		cJSON_Delete(j);
		return wn__error_set(err, WN_ENOMEM, "out of memory");
	}
	if (!cJSON_IsObject(j)) {
		rc = wn__error_set(err, WN_ECORRUPT, "the trusted root is not a JSON object");
		goto done;
	}
	if (!mt || strcmp(mt, WN__TRUSTED_ROOT_MT)) {
		rc = wn__error_set(err, WN_EUNSUPPORTED, "the trusted root's mediaType is %s%s%s, not \"" WN__TRUSTED_ROOT_MT "\"",
		                   mt ? "\"" : "", mt ? mt : "missing", mt ? "\"" : "");
		goto done;
	}
	if ((tlogs && !cJSON_IsArray(tlogs)) || (cas && !cJSON_IsArray(cas)) || cJSON_GetArraySize(tlogs) > 64 ||
	    cJSON_GetArraySize(cas) > 64) {
		rc = wn__error_set(err, WN_ECORRUPT, "the trusted root's tlogs or certificateAuthorities is not a list (of at "
		                   "most 64)");
		goto done;
	}
	if ((n = cJSON_GetArraySize(tlogs)) && !(r->tlogs = calloc((size_t)n, sizeof *r->tlogs))) {
		rc = wn__error_set(err, WN_ENOMEM, "out of memory");
		goto done;
	}
	cJSON_ArrayForEach(t, tlogs) {
		struct wn__root_tlog *l = &r->tlogs[r->n_tlogs];
		const cJSON *pk = field(t, "publicKey", "public_key");
		const char *ha = wn__json_str(t, "hashAlgorithm");
		size_t idl = 0, kl = 0;
		unsigned char *id = bytes_of(field(t, "logId", "log_id"), "keyId", "key_id", &idl);
		unsigned char *key = bytes_of(pk, "rawBytes", "raw_bytes", &kl);
		const unsigned char *p = key;
		if (key)
			l->key = d2i_PUBKEY(NULL, &p, (long)kl);
		bool vf = valid_for(pk, &l->start, &l->end);
		wn__hex(l->log_id, sizeof l->log_id, id ? id : (const unsigned char *)"", idl);
		free(id);
		free(key);
		r->n_tlogs++;
		if (ha && strcmp(ha, "SHA2_256")) {
			rc = wn__error_set(err, WN_EUNSUPPORTED, "tlog %zu of the trusted root hashes with %s, not SHA2_256",
			                   r->n_tlogs, ha);
			goto done;
		}
		if (!idl || !l->key || !vf || !l->start) {
			rc = wn__error_set(err, WN_ECORRUPT, "tlog %zu of the trusted root lacks a valid logId, publicKey.rawBytes "
			                   "or publicKey.validFor.start", r->n_tlogs);
			goto done;
		}
	}
	if ((n = cJSON_GetArraySize(cas)) && !(r->cas = calloc((size_t)n, sizeof *r->cas))) {
		rc = wn__error_set(err, WN_ENOMEM, "out of memory");
		goto done;
	}
	cJSON_ArrayForEach(t, cas) {
		struct wn__root_ca *ca = &r->cas[r->n_cas++];
		const cJSON *certs = cJSON_GetObjectItemCaseSensitive(field(t, "certChain", "cert_chain"), "certificates"), *c;
		int nc = cJSON_IsArray(certs) ? cJSON_GetArraySize(certs) : 0, i = 0;
		bool ok = nc > 0 && nc <= 10 && valid_for(t, &ca->start, &ca->end) && (ca->intermediates = sk_X509_new_null());
		if (!ok)
			certs = NULL;
		cJSON_ArrayForEach(c, certs) {
			size_t dl = 0;
			unsigned char *d = bytes_of(c, "rawBytes", "raw_bytes", &dl);
			X509 *x = d ? der_cert(d, dl) : NULL;
			free(d);
			if (!x) {
				ok = false;
				break;
			}
			if (++i == nc)
				ca->root = x;
			else if (!sk_X509_push(ca->intermediates, x)) {
				X509_free(x);
				ok = false;
				break;
			}
		}
		if (!ok || !ca->root) {
			rc = wn__error_set(err, WN_ECORRUPT, "certificate authority %zu of the trusted root has no valid certChain",
			                   r->n_cas);
			goto done;
		}
	}
	if (!r->n_tlogs && !r->n_cas)
		rc = wn__error_set(err, WN_ECORRUPT, "the trusted root lists no tlogs and no certificate authorities");
done:
	cJSON_Delete(j);
	if (rc != WN_OK)
		wn_trusted_root_free(r);
	else
		*out = r;
	return rc;
}

int wn__tlog_verify_set(const struct wn_trusted_root *root, const struct wn__tlog_entry *e, struct wn_error *err)
{
	const struct wn__root_tlog *l = NULL;
	for (size_t i = 0; root && i < root->n_tlogs && !l; i++)
		if (!strcmp(root->tlogs[i].log_id, e->log_id))
			l = &root->tlogs[i];
	if (!l)
		return wn__error_set(err, WN_ESIGNATURE, "its Rekor entry is from the log %.16s..., which the trusted root "
		                     "does not list", e->log_id);
	if (!e->set)
		return wn__error_set(err, WN_ESIGNATURE, "its Rekor entry has no SignedEntryTimestamp (inclusion promise)");
	if (!e->body)
		return wn__error_set(err, WN_ESIGNATURE, "its Rekor entry has no body");
	if (e->integrated_time < l->start || (l->end && e->integrated_time > l->end))
		return wn__error_set(err, WN_ESIGNATURE, "the Rekor key was not valid at the entry's integrated time %lld",
		                     (long long)e->integrated_time);
	char *body = wn__b64_encode(e->body, e->body_len), *canon = NULL;
	cJSON *j = cJSON_CreateObject();
	cJSON_AddStringToObject(j, "body", body ? body : "");
	cJSON_AddNumberToObject(j, "integratedTime", (double)e->integrated_time);
	cJSON_AddStringToObject(j, "logID", e->log_id);
	cJSON_AddNumberToObject(j, "logIndex", (double)e->log_index);
	canon = cJSON_PrintUnformatted(j);
	cJSON_Delete(j);
	free(body);
	if (!canon)
		return wn__error_set(err, WN_ENOMEM, "out of memory");
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	bool ok = m && EVP_PKEY_is_a(l->key, "EC") && EVP_DigestVerifyInit(m, NULL, EVP_sha256(), NULL, l->key) == 1 &&
	          EVP_DigestVerify(m, e->set, e->set_len, (unsigned char *)canon, strlen(canon)) == 1;
	EVP_MD_CTX_free(m);
	free(canon);
	if (!ok)
		return wn__error_set(err, WN_ESIGNATURE, "its Rekor SignedEntryTimestamp does not verify with the trusted "
		                     "root's Rekor key");
	return WN_OK;
}

/* A base64 string of the body equal to the bytes given. */
static bool b64_equals(const char *s, const unsigned char *d, size_t len)
{
	size_t n = 0;
	unsigned char *got = s ? wn__b64_any(s, 64u << 10, &n) : NULL;
	bool eq = got && n == len && !memcmp(got, d, len);
	free(got);
	return eq;
}

int wn__tlog_body_check(const struct wn__tlog_entry *e, const unsigned char *payload_sha256, const unsigned char *sig,
                        size_t sig_len, struct wn_error *err)
{
	cJSON *j = wn__json_parse(e->body, e->body_len);
	const char *kind = wn__json_str(j, "kind");
	const cJSON *spec = cJSON_GetObjectItemCaseSensitive(j, "spec");
	char want[65];
	const char *alg = NULL, *hash = NULL, *s = NULL;
	int rc = WN_OK;
	wn__hex(want, sizeof want, payload_sha256, 32);
	if (kind && !strcmp(kind, "hashedrekord")) {
		const cJSON *h = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(spec, "data"), "hash");
		alg = wn__json_str(h, "algorithm");
		hash = wn__json_str(h, "value");
		s = wn__json_str(cJSON_GetObjectItemCaseSensitive(spec, "signature"), "content");
	} else if (kind && !strcmp(kind, "dsse")) {
		const cJSON *h = cJSON_GetObjectItemCaseSensitive(spec, "payloadHash");
		const cJSON *sigs = cJSON_GetObjectItemCaseSensitive(spec, "signatures");
		alg = wn__json_str(h, "algorithm");
		hash = wn__json_str(h, "value");
		if (cJSON_GetArraySize(sigs) == 1)
			s = wn__json_str(cJSON_GetArrayItem(sigs, 0), "signature");
	} else {
		rc = wn__error_set(err, WN_ESIGNATURE, "its Rekor entry is of kind %s%s%s: hashedrekord and dsse are known",
		                   kind ? "\"" : "", kind ? kind : "(none)", kind ? "\"" : "");
		goto done;
	}
	if (!alg || strcmp(alg, "sha256") || !hash || strcmp(hash, want))
		rc = wn__error_set(err, WN_ESIGNATURE, "its Rekor entry is about another payload (its hash is not SHA-256 of "
		                   "the payload signed)");
	else if (!b64_equals(s, sig, sig_len))
		rc = wn__error_set(err, WN_ESIGNATURE, "its Rekor entry records another signature");
done:
	cJSON_Delete(j);
	return rc;
}

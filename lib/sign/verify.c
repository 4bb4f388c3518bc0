/*
 * verify.c: finds an image's cosign signatures and checks each one.
 *
 * Where they are: cosign's tag "sha256-HEX.sig" in the image's repository
 * (or COSIGN_REPOSITORY's: cosign pkg/oci/remote/options.go
 * SignatureTagSuffix, RepoOverrideEnvKey), an OCI manifest with one layer per
 * signature (at most 1000 layers, cosign pkg/oci/remote/signatures.go
 * maxLayers); and cosign v3's sigstore bundles among the image's OCI
 * referrers (cosign pkg/cosign/verify.go GetBundles: every referrer whose one
 * layer is a bundle), through the referrers API or its fallback tag
 * "sha256-HEX".  Every signature found is checked on its own and reported
 * with its reason; one valid signature is enough, and a bad one next to it
 * spoils nothing.
 *
 * A .sig layer is valid when (cosign pkg/cosign/verify.go
 * verifyImageSignature, VerifyBundle): its signature annotation verifies
 * over the layer's bytes with the key (or with the Fulcio certificate it
 * carries, chained to the trusted root and naming the identity and issuer
 * asked for); those bytes are a simple-signing payload naming the image's
 * digest, the reference verified (unless --allow-reference-mismatch) and
 * the annotations asked for; and its Rekor bundle annotation
 * (dev.sigstore.cosign/bundle: {"SignedEntryTimestamp":B64,"Payload":
 * {"body":B64,"integratedTime":N,"logIndex":N,"logID":HEX}}, cosign
 * pkg/cosign/bundle/rekor.go) records this payload and signature and its SET
 * verifies with the trusted root, unless the log is ignored explicitly.  A
 * bundle is valid on the same terms, its DSSE signature over the PAE of an
 * in-toto statement whose one subject is the image's digest, predicate type
 * https://sigstore.dev/cosign/sign/v1 (others are attestations).
 */
#include <stdlib.h>
#include <string.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include "sign/sign.h"

#define MAX_REFERRERS 1000

struct run {
	struct wn_ctx *ctx;
	struct wn__src *src, *sigsrc;
	const struct wn_verify_options *o;
	struct wn_verify_result *res;
	const struct wn_ref *ref;       /* the reference verified (registry locations), for docker-reference */
	size_t cap;
};

void wn_verify_result_free(struct wn_verify_result *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n_sigs; i++) {
		struct wn_signature_check *c = &r->sigs[i];
		free(c->source);
		free(c->format);
		free(c->reason);
		free(c->scheme);
		free(c->reference);
		free(c->identity);
		free(c->issuer);
		free(c->tlog);
	}
	free(r->sigs);
	free(r->reference);
	free(r);
}

static struct wn_signature_check *check_new(struct run *r, const char *format, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static struct wn_signature_check *check_new(struct run *r, const char *format, const char *fmt, ...)
{
	if (r->res->n_sigs == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 8;
		struct wn_signature_check *n = realloc(r->res->sigs, cap * sizeof *n);
		if (!n)
			return NULL;
		r->res->sigs = n;
		r->cap = cap;
	}
	struct wn_signature_check *c = &r->res->sigs[r->res->n_sigs];
	memset(c, 0, sizeof *c);
	va_list ap;
	va_start(ap, fmt);
	if (vasprintf(&c->source, fmt, ap) < 0)
		c->source = NULL;
	va_end(ap);
	c->format = strdup(format);
	c->log_index = c->integrated_time = -1;
	if (!c->source || !c->format) {
		free(c->source);
		free(c->format);
		return NULL;
	}
	r->res->n_sigs++;
	return c;
}

static void reject(struct wn_signature_check *c, const char *why)
{
	free(c->reason);
	c->reason = strdup(why);
	c->valid = 0;
}

struct membuf {
	struct wn__buf b;
};

static size_t mem_sink(void *data, const void *p, size_t n)
{
	struct wn__buf *b = data;
	return wn__buf_append(b, p, n) == WN_OK && !b->overflow ? n : 0;
}

/* A small blob of the signature store, read whole and checked against its digest. */
static int read_blob(struct run *r, const struct wn_descriptor *d, struct wn__buf *b, char *why, size_t n)
{
	struct wn_hasher *h = NULL;
	struct wn_error err;
	char got[WN_DIGEST_MAX];
	memset(b, 0, sizeof *b);
	b->max = WN__SIG_PAYLOAD_MAX;
	if (d->size < 0 || (uint64_t)d->size > WN__SIG_PAYLOAD_MAX) {
		snprintf(why, n, "its blob %s is %lld bytes: more than the %u winch reads", d->digest, (long long)d->size,
		         WN__SIG_PAYLOAD_MAX);
		return -1;
	}
	struct wn_error saved = r->ctx->err;
	if (r->sigsrc->ops->blob_stream(r->sigsrc, r->ctx, d, 0, mem_sink, b) != WN_OK) {
		snprintf(why, n, "its blob cannot be read: %s", b->overflow ? "too large" : wn_ctx_errmsg(r->ctx));
		r->ctx->err = saved;
		wn__buf_free(b);
		return -1;
	}
	if (wn_hasher_new(&h, d->digest, &err) != WN_OK) {
		snprintf(why, n, "its blob's digest: %.1900s", err.msg);
		wn__buf_free(b);
		return -1;
	}
	wn_hasher_update(h, b->data, b->len);
	wn_hasher_final(h, got);
	wn_hasher_free(h);
	if (strcmp(got, d->digest) || (int64_t)b->len != d->size) {
		snprintf(why, n, "its blob is corrupt or truncated (%zu bytes with the digest %s; the manifest says %lld "
		         "bytes, %s)", b->len, got, (long long)d->size, d->digest);
		wn__buf_free(b);
		return -1;
	}
	wn__buf_cstr(b);
	return 0;
}

static X509 *pem_cert(BIO *b)
{
	return PEM_read_bio_X509(b, NULL, NULL, NULL);
}

/* Keyless: the certificate (PEM, or DER certs) checked against the trusted
 * root and the identity asked for; *key gets its key.  0, or -1 and why. */
static int keyless_signer(struct run *r, struct wn_signature_check *c, X509 *leaf, STACK_OF(X509) *chain,
                          struct wn_key **key, struct wn__cert_id *id, char *why, size_t n)
{
	struct wn_error err;
	if (!leaf) {
		snprintf(why, n, "it has no certificate, and no --key was given");
		return -1;
	}
	if (wn__cert_verify(r->o->trusted_root, leaf, chain, id, key, &err) != WN_OK) {
		snprintf(why, n, "%s", err.msg);
		return -1;
	}
	c->identity = wn__strdup(id->san);
	c->issuer = wn__strdup(id->issuer);
	return wn__cert_id_matches(id, r->o, why, n) ? 0 : -1;
}

/* The transparency log for one signature: an entry whose body records it and
 * whose SET verifies.  0, or -1 and why. */
static int tlog_check(struct run *r, struct wn_signature_check *c, const struct wn__tlog_entry *entries, size_t n_entries,
                      const unsigned char sha[32], const unsigned char *sig, size_t sig_len,
                      const struct wn__cert_id *id, char *why, size_t n)
{
	struct wn_error err = { 0 };
	if (r->o->ignore_tlog) {
		c->tlog = strdup("ignored");
		return 0;
	}
	if (!n_entries) {
		snprintf(why, n, "it has no Rekor entry (winch sign writes none: verify with --insecure-ignore-tlog)");
		return -1;
	}
	for (size_t i = 0; i < n_entries; i++) {
		const struct wn__tlog_entry *e = &entries[i];
		if (wn__tlog_body_check(e, sha, sig, sig_len, &err) != WN_OK || wn__tlog_verify_set(r->o->trusted_root, e, &err) != WN_OK)
			continue;
		if (id && (e->integrated_time < id->not_before || e->integrated_time > id->not_after)) {
			wn__error_set(&err, WN_ESIGNATURE, "its Rekor entry's time %lld is outside its certificate's validity",
			              (long long)e->integrated_time);
			continue;
		}
		c->tlog = strdup("verified");
		c->log_index = e->log_index;
		c->integrated_time = e->integrated_time;
		return 0;
	}
	snprintf(why, n, "%s", err.msg);
	return -1;
}

/* cosign's Rekor bundle annotation into an entry (body kept decoded). */
static int sig_bundle(const char *json, struct wn__tlog_entry *e, char *why, size_t n)
{
	cJSON *j = wn__json_parse(json, strlen(json));
	const cJSON *p = cJSON_GetObjectItemCaseSensitive(j, "Payload");
	const char *set = wn__json_str(j, "SignedEntryTimestamp"), *body = wn__json_str(p, "body");
	const char *id = wn__json_str(p, "logID");
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(p, "integratedTime"), *li = cJSON_GetObjectItemCaseSensitive(p, "logIndex");
	memset(e, 0, sizeof *e);
	int rc = -1;
	if (!set || !body || !id || strlen(id) >= sizeof e->log_id || !cJSON_IsNumber(it) || !cJSON_IsNumber(li) ||
	    it->valuedouble < 0 || li->valuedouble < 0 || it->valuedouble > 9e15 || li->valuedouble > 9e15)
		snprintf(why, n, "its Rekor bundle annotation is malformed");
	else if (!(e->set = wn__b64_any(set, 4096, &e->set_len)) || !(e->body = wn__b64_any(body, WN__SIG_PAYLOAD_MAX, &e->body_len)))
		snprintf(why, n, "its Rekor bundle annotation has a malformed SignedEntryTimestamp or body");
	else {
		strcpy(e->log_id, id);
		e->integrated_time = (int64_t)it->valuedouble;
		e->log_index = (int64_t)li->valuedouble;
		rc = 0;
	}
	if (rc)
		wn__tlog_entry_clear(e);
	cJSON_Delete(j);
	return rc;
}

/* One layer of the .sig manifest. */
static void check_sig_layer(struct run *r, const struct wn_descriptor *d, size_t i, const char *tag)
{
	struct wn_signature_check *c = check_new(r, "cosign-sig", "%s layer %zu", tag, i + 1);
	char why[WN_ERRMSG_MAX] = "";
	struct wn__buf b = { 0 };
	struct wn_key *certkey = NULL;
	struct wn__cert_id id = { 0 };
	struct wn__payload p = { 0 };
	struct wn__tlog_entry e = { 0 };
	struct wn_error err;
	X509 *leaf = NULL;
	STACK_OF(X509) *chain = NULL;
	unsigned char *sig = NULL, sha[32];
	size_t sig_len = 0;
	if (!c)
		return;
	const char *sig_b64 = wn_descriptor_annotation(d, WN__SIG_ANN);
	const char *cert_pem = wn_descriptor_annotation(d, WN__SIG_ANN_CERT);
	const char *chain_pem = wn_descriptor_annotation(d, WN__SIG_ANN_CHAIN);
	const char *rekor = wn_descriptor_annotation(d, WN__SIG_ANN_BUNDLE);
	if (!d->media_type || strcmp(d->media_type, WN__SIG_MT)) {
		snprintf(why, sizeof why, "its media type is %s, not " WN__SIG_MT, d->media_type ? d->media_type : "missing");
		goto done;
	}
	if (!sig_b64 || !*sig_b64) {
		snprintf(why, sizeof why, "it has no " WN__SIG_ANN " annotation");
		goto done;
	}
	if (!(sig = wn__b64_any(sig_b64, 4096, &sig_len)) || !sig_len) {
		snprintf(why, sizeof why, "its " WN__SIG_ANN " annotation is not base64");
		goto done;
	}
	if (read_blob(r, d, &b, why, sizeof why))
		goto done;
	const struct wn_key *key = r->o->key;
	if (!key) {
		if (cert_pem && *cert_pem) {
			BIO *bio = BIO_new_mem_buf(cert_pem, -1);
			leaf = bio ? pem_cert(bio) : NULL;
			BIO_free(bio);
		}
		if (chain_pem && *chain_pem && (chain = sk_X509_new_null())) {
			BIO *bio = BIO_new_mem_buf(chain_pem, -1);
			X509 *x;
			for (int k = 0; bio && k < 10 && (x = pem_cert(bio)); k++)
				if (!sk_X509_push(chain, x))
					X509_free(x);
			BIO_free(bio);
		}
		if (keyless_signer(r, c, leaf, chain, &certkey, &id, why, sizeof why))
			goto done;
		key = certkey;
	}
	const char *scheme = wn__key_verify(key, b.data, b.len, sig, sig_len);
	if (!scheme) {
		snprintf(why, sizeof why, "its signature does not verify with %s (%s)", r->o->key ? "the key" : "its certificate",
		         wn_key_type_name(key->type));
		goto done;
	}
	c->scheme = strdup(scheme);
	if (wn__payload_parse(&p, b.data, b.len, &err) != WN_OK) {
		snprintf(why, sizeof why, "%s", err.msg);
		goto done;
	}
	c->reference = wn__strdup(p.reference);
	if (strcmp(p.digest, r->res->digest)) {
		snprintf(why, sizeof why, "it signs %s, not %s", p.digest, r->res->digest);
		goto done;
	}
	if (!r->o->allow_reference_mismatch && r->ref && !wn__reference_matches(p.reference, r->ref, why, sizeof why))
		goto done;
	if (!wn__annotations_match(p.optional, r->o->annotations, why, sizeof why))
		goto done;
	SHA256(b.data, b.len, sha);
	if (!r->o->ignore_tlog && rekor && sig_bundle(rekor, &e, why, sizeof why))
		goto done;
	if (tlog_check(r, c, e.set ? &e : NULL, e.set ? 1 : 0, sha, sig, sig_len, key == certkey ? &id : NULL, why, sizeof why))
		goto done;
	c->valid = 1;
done:
	if (!c->valid)
		reject(c, why);
	else
		c->reason = wn__sprintf("signed by %s%s%s; payload names %s and %s%s", r->o->key ? "the key" : "the certificate of ",
		                        r->o->key ? "" : id.san, "", p.digest, p.reference,
		                        !strcmp(c->tlog, "ignored") ? "; transparency log not checked (--insecure-ignore-tlog)"
		                                                     : "; Rekor entry verified");
	wn__tlog_entry_clear(&e);
	wn__payload_clear(&p);
	wn__cert_id_clear(&id);
	wn_key_free(certkey);
	X509_free(leaf);
	sk_X509_pop_free(chain, X509_free);
	free(sig);
	wn__buf_free(&b);
}

/* A referrer that may be a sigstore bundle. */
static void check_bundle(struct run *r, const struct wn_descriptor *ref)
{
	struct wn_manifest *m = NULL;
	struct wn_error saved = r->ctx->err, err;
	int rc = r->sigsrc->ops->manifest_get(r->sigsrc, r->ctx, ref->digest, &m);
	if (rc != WN_OK) {
		struct wn_signature_check *c = check_new(r, "sigstore-bundle", "referrer %s", ref->digest);
		if (c)
			reject(c, wn_ctx_errmsg(r->ctx));
		r->ctx->err = saved;
		return;
	}
	/* cosign GetBundles: a referrer whose one layer is not a bundle is some other artifact: not listed */
	if (m->is_index || m->n_layers != 1 || !m->layers[0].media_type ||
	    strncmp(m->layers[0].media_type, "application/vnd.dev.sigstore.bundle", 35)) {
		wn_manifest_free(m);
		return;
	}
	struct wn_signature_check *c = check_new(r, "sigstore-bundle", "referrer %s", ref->digest);
	char why[WN_ERRMSG_MAX] = "", digest[WN_DIGEST_MAX];
	struct wn__buf b = { 0 };
	struct wn__bundle bd = { 0 };
	struct wn_key *certkey = NULL;
	struct wn__cert_id id = { 0 };
	cJSON *doc = NULL;
	const cJSON *ann = NULL;
	const char *ptype = NULL;
	unsigned char *pae = NULL, sha[32];
	size_t pae_len = 0;
	X509 *leaf = NULL;
	STACK_OF(X509) *chain = NULL;
	if (!c)
		goto done;
	if (read_blob(r, &m->layers[0], &b, why, sizeof why))
		goto done;
	if (wn__bundle_parse(&bd, b.data, b.len, &err) != WN_OK) {
		snprintf(why, sizeof why, "%s", err.msg);
		goto done;
	}
	if (strcmp(bd.payload_type, WN__INTOTO_MT)) {
		snprintf(why, sizeof why, "its DSSE payload type is \"%s\", not " WN__INTOTO_MT, bd.payload_type);
		goto done;
	}
	const struct wn_key *key = r->o->key;
	if (!key) {
		for (size_t i = 0; i < bd.n_certs; i++) {
			const unsigned char *p = bd.certs[i];
			X509 *x = d2i_X509(NULL, &p, (long)bd.cert_lens[i]);
			if (!x)
				continue;
			if (!leaf)
				leaf = x;
			else if ((chain || (chain = sk_X509_new_null())) && sk_X509_push(chain, x))
				;
			else
				X509_free(x);
		}
		if (keyless_signer(r, c, leaf, chain, &certkey, &id, why, sizeof why))
			goto done;
		key = certkey;
	}
	if (!(pae = wn__dsse_pae(bd.payload_type, bd.payload, bd.payload_len, &pae_len))) {
		snprintf(why, sizeof why, "out of memory");
		goto done;
	}
	const char *scheme = wn__key_verify(key, pae, pae_len, bd.sig, bd.sig_len);
	if (!scheme) {
		snprintf(why, sizeof why, "its DSSE signature does not verify with %s (%s)",
		         r->o->key ? "the key" : "its certificate", wn_key_type_name(key->type));
		goto done;
	}
	c->scheme = strdup(scheme);
	if (wn__statement_parse(bd.payload, bd.payload_len, digest, sizeof digest, &ann, &ptype, &doc, &err) != WN_OK) {
		snprintf(why, sizeof why, "%s", err.msg);
		goto done;
	}
	if (!ptype || strcmp(ptype, WN__COSIGN_SIGN_PREDICATE)) {
		snprintf(why, sizeof why, "it is an attestation (predicate type %s), not a signature (" WN__COSIGN_SIGN_PREDICATE ")",
		         ptype ? ptype : "none");
		goto done;
	}
	if (strcmp(digest, r->res->digest)) {
		snprintf(why, sizeof why, "it signs %s, not %s", digest, r->res->digest);
		goto done;
	}
	if (!wn__annotations_match(ann, r->o->annotations, why, sizeof why))
		goto done;
	SHA256(bd.payload, bd.payload_len, sha);
	if (tlog_check(r, c, bd.tlog, bd.n_tlog, sha, bd.sig, bd.sig_len, key == certkey ? &id : NULL, why, sizeof why))
		goto done;
	c->valid = 1;
	c->reason = wn__sprintf("signed by %s%s; statement names %s%s", r->o->key ? "the key" : "the certificate of ",
	                        r->o->key ? "" : id.san, digest,
	                        !strcmp(c->tlog, "ignored") ? "; transparency log not checked (--insecure-ignore-tlog)"
	                                                     : "; Rekor entry verified");
done:
	if (c && !c->valid)
		reject(c, why);
	cJSON_Delete(doc);
	free(pae);
	wn__cert_id_clear(&id);
	wn_key_free(certkey);
	X509_free(leaf);
	sk_X509_pop_free(chain, X509_free);
	wn__bundle_clear(&bd);
	wn__buf_free(&b);
	wn_manifest_free(m);
}

/* The manifest `ref` names at the signature store; NULL (no error) when absent. */
static int optional_manifest(struct run *r, const char *ref, struct wn_manifest **m)
{
	struct wn_error saved = r->ctx->err;
	int rc = r->sigsrc->ops->manifest_get(r->sigsrc, r->ctx, ref, m);
	if (rc == WN_ENOTFOUND) {
		r->ctx->err = saved;
		*m = NULL;
		return WN_OK;
	}
	return rc;
}

static int find_signatures(struct run *r)
{
	const char *hex = strchr(r->res->digest, ':') + 1;
	char tag[WN_DIGEST_MAX + 16];
	struct wn_manifest *sig = NULL, *idx = NULL;
	int rc;
	snprintf(tag, sizeof tag, "%.*s-%s.sig", (int)(hex - 1 - r->res->digest), r->res->digest, hex);
	if ((rc = optional_manifest(r, tag, &sig)) != WN_OK)
		return rc;
	if (sig && (sig->is_index || sig->n_layers > WN__SIG_MAX_LAYERS)) {
		struct wn_signature_check *c = check_new(r, "cosign-sig", "%s", tag);
		if (c) {
			char why[256];
			snprintf(why, sizeof why, sig->is_index ? "it is an index, not a signature manifest"
			                                          : "its manifest has %zu layers: more than cosign's limit of %d",
			         sig->n_layers, WN__SIG_MAX_LAYERS);
			reject(c, why);
		}
	} else if (sig) {
		for (size_t i = 0; i < sig->n_layers; i++)
			check_sig_layer(r, &sig->layers[i], i, tag);
	}
	wn_manifest_free(sig);
	/* v3 bundles: the referrers API, else its fallback tag (an API that lists nothing may lag) */
	struct wn_error saved = r->ctx->err;
	rc = r->sigsrc->ops->referrers ? r->sigsrc->ops->referrers(r->sigsrc, r->ctx, r->res->digest, &idx) : WN_EUNSUPPORTED;
	if (rc == WN_EUNSUPPORTED || (rc == WN_OK && !idx->n_manifests)) {
		r->ctx->err = saved;
		wn_manifest_free(idx);
		idx = NULL;
		tag[strlen(tag) - 4] = 0;
		rc = optional_manifest(r, tag, &idx);
		if (rc == WN_OK && idx && !idx->is_index) {
			wn_manifest_free(idx);
			idx = NULL;
		}
	}
	if (rc != WN_OK)
		return rc;
	for (size_t i = 0; idx && i < idx->n_manifests && i < MAX_REFERRERS; i++) {
		const struct wn_descriptor *d = &idx->manifests[i];
		/* what the index says of it: cosign gives its bundles the bundle's media type as artifactType */
		if (d->artifact_type && strncmp(d->artifact_type, "application/vnd.dev.sigstore.bundle", 35))
			continue;
		check_bundle(r, d);
	}
	wn_manifest_free(idx);
	return WN_OK;
}

int wn_verify_options_check(const struct wn_verify_options *o, struct wn_error *err)
{
	bool keyless = o->cert_identity || o->cert_identity_regexp || o->cert_oidc_issuer || o->cert_oidc_issuer_regexp;
	if (o->key && keyless)
		return wn__error_set(err, WN_EINVAL, "give a key or a certificate identity, not both");
	if (!o->key && !keyless)
		return wn__error_set(err, WN_EINVAL, "nothing to verify with: give a key (--key) or a certificate identity "
		                    "(--certificate-identity and --certificate-oidc-issuer)");
	if (keyless && (!(o->cert_identity || o->cert_identity_regexp) || !(o->cert_oidc_issuer || o->cert_oidc_issuer_regexp)))
		return wn__error_set(err, WN_EINVAL, "keyless verification needs both an identity (--certificate-identity or "
		                    "--certificate-identity-regexp) and an issuer (--certificate-oidc-issuer or "
		                    "--certificate-oidc-issuer-regexp)");
	if (keyless && !o->trusted_root)
		return wn__error_set(err, WN_EINVAL, "keyless verification needs --trusted-root FILE (a sigstore "
		                    "trusted_root.json): it holds the Fulcio CAs");
	if (!o->trusted_root && !o->ignore_tlog)
		return wn__error_set(err, WN_EINVAL, "cosign signatures are checked against the Rekor transparency log: give "
		                    "--trusted-root FILE (a sigstore trusted_root.json) to verify their entries offline, or "
		                    "--insecure-ignore-tlog to accept signatures without one");
	return WN_OK;
}

static int check_options(struct wn_ctx *ctx, const struct wn_verify_options *o)
{
	struct wn_error err;
	int rc = wn_verify_options_check(o, &err);
	return rc == WN_OK ? WN_OK : wn__ctx_take(ctx, &err);
}

/* The image (and platform) a source names: its digest into r->res. */
static int resolve(struct run *r, const char *ref)
{
	struct wn_manifest *m = NULL;
	int rc = r->src->ops->manifest_get(r->src, r->ctx, ref, &m);
	if (rc != WN_OK)
		return rc;
	memcpy(r->res->digest, m->digest, WN_DIGEST_MAX);
	if (r->o->platform && m->is_index) {
		size_t i;
		if ((rc = wn__index_pick(r->ctx, m, r->o->platform, r->src->name, &i)) == WN_OK)
			snprintf(r->res->digest, WN_DIGEST_MAX, "%s", m->manifests[i].digest);
	}
	wn_manifest_free(m);
	return rc;
}

static int run_verify(struct run *r, const char *location, const char *ref)
{
	int rc;
	if (!r->res->reference && !(r->res->reference = strdup(r->src->name)))
		return wn__ctx_fail(r->ctx, WN_ENOMEM, "out of memory");
	if ((rc = resolve(r, ref)) != WN_OK)
		return rc;
	r->sigsrc = r->src;
	struct wn__src *other = NULL;
	if (r->o->signature_repository) {
		if ((rc = wn__src_open(&other, r->ctx, r->o->signature_repository)) != WN_OK)
			return rc;
		r->sigsrc = other;
	}
	rc = find_signatures(r);
	wn__src_free(other);
	r->sigsrc = NULL;
	if (rc != WN_OK)
		return rc;
	for (size_t i = 0; i < r->res->n_sigs; i++)
		r->res->n_valid += r->res->sigs[i].valid != 0;
	if (!r->res->n_sigs)
		return wn__ctx_fail(r->ctx, WN_ESIGNATURE, "%s (%s) has no signatures (no %s tag, no sigstore bundle among "
		                    "its referrers)", location, r->res->digest, "sha256-HEX.sig");
	if (!r->res->n_valid) {
		const struct wn_signature_check *c = &r->res->sigs[0];
		return wn__ctx_fail(r->ctx, WN_ESIGNATURE, "%s (%s): no valid signature among %zu: %s: %s%s", location,
		                    r->res->digest, r->res->n_sigs, c->source, c->reason ? c->reason : "rejected",
		                    r->res->n_sigs > 1 ? " (--format json lists every one)" : "");
	}
	return WN_OK;
}

int wn_verify(struct wn_verify_result **out, struct wn_ctx *ctx, const char *location, const struct wn_verify_options *o)
{
	struct run r = { .ctx = ctx, .o = o };
	int rc;
	*out = NULL;
	if ((rc = check_options(ctx, o)) != WN_OK)
		return rc;
	if (!(r.res = calloc(1, sizeof *r.res)))
		return wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
	if ((rc = wn__src_open(&r.src, ctx, location)) == WN_OK) {
		r.ref = r.src->ref;
		rc = run_verify(&r, location, r.src->digest ? r.src->digest : r.src->tag);
	}
	wn__src_free(r.src);
	if (rc == WN_OK || rc == WN_ESIGNATURE)
		*out = r.res;
	else
		wn_verify_result_free(r.res);
	return rc;
}

int wn__sign_gate(struct wn_ctx *ctx, struct wn__src *src, const char *ref, const struct wn_verify_options *o,
                  char digest[WN_DIGEST_MAX])
{
	struct run r = { .ctx = ctx, .o = o, .src = src, .ref = src->ref };
	struct wn_verify_options single = *o;
	int rc;
	/* the index as a whole: what `cosign sign` signs for a tag */
	single.platform = NULL;
	r.o = &single;
	if ((rc = check_options(ctx, o)) != WN_OK)
		return rc;
	if (!(r.res = calloc(1, sizeof *r.res)))
		return wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
	if ((rc = run_verify(&r, src->name, ref)) == WN_OK) {
		memcpy(digest, r.res->digest, WN_DIGEST_MAX);
		wn__log(ctx, WN_LOG_INFO, "%s (%s): %zu valid signature%s of %zu", src->name, digest, r.res->n_valid,
		        r.res->n_valid == 1 ? "" : "s", r.res->n_sigs);
	}
	wn_verify_result_free(r.res);
	return rc;
}

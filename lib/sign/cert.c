/*
 * cert.c: keyless signatures: a Fulcio certificate, verified against the
 * Fulcio CAs of the trusted root, and the identity it states.
 *
 * As cosign does it (cosign pkg/cosign/verify.go TrustedCert): the chain is
 * checked at the certificate's own notBefore ("THE CERTIFICATE IS TREATED AS
 * TRUSTED FOREVER / WE CHECK THAT THE SIGNATURES WERE CREATED DURING THIS
 * WINDOW": the Rekor entry's integrated time must fall in its validity,
 * verify.c checks that), with the code-signing extended key usage.  Only the
 * trusted root's roots are trust anchors; its intermediates and the chain the
 * signature came with are untrusted helpers.
 *
 * The identity (sigstore-go pkg/fulcio/certificate/summarize.go
 * SummarizeCertificate): the first URI SAN, else the first e-mail SAN, else
 * Fulcio's otherName SAN (1.3.6.1.4.1.57264.1.7, a UTF8String); the OIDC
 * issuer is the extension 1.3.6.1.4.1.57264.1.8 (a DER UTF8String), or the
 * older 1.3.6.1.4.1.57264.1.1 (the raw string) (extensions.go
 * ParseExtensions).  GitHub Actions' keyless signing gives the SAN
 * https://github.com/OWNER/REPO/.github/workflows/FILE@refs/heads/BRANCH and
 * the issuer https://token.actions.githubusercontent.com.
 */
#include <regex.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <openssl/x509v3.h>
#include "sign/sign.h"

void wn__cert_id_clear(struct wn__cert_id *id)
{
	free(id->san);
	free(id->issuer);
	memset(id, 0, sizeof *id);
}

static int64_t asn1_seconds(const ASN1_TIME *t)
{
	struct tm tm;
	if (!t || ASN1_TIME_to_tm(t, &tm) != 1)
		return -1;
	return (int64_t)timegm(&tm);
}

static char *asn1_string(const ASN1_STRING *s)
{
	if (!s)
		return NULL;
	int n = ASN1_STRING_length(s);
	const unsigned char *d = ASN1_STRING_get0_data(s);
	if (n <= 0 || n > 4096 || memchr(d, 0, (size_t)n))
		return NULL;
	return strndup((const char *)d, (size_t)n);
}

static char *san_of(X509 *x)
{
	GENERAL_NAMES *names = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	char *out = NULL;
	int types[] = { GEN_URI, GEN_EMAIL, GEN_OTHERNAME };
	ASN1_OBJECT *other = OBJ_txt2obj("1.3.6.1.4.1.57264.1.7", 1);
	for (size_t t = 0; t < 3 && !out; t++)
		for (int i = 0; i < sk_GENERAL_NAME_num(names) && !out; i++) {
			const GENERAL_NAME *g = sk_GENERAL_NAME_value(names, i);
			if (g->type != types[t])
				continue;
			if (g->type == GEN_URI)
				out = asn1_string(g->d.uniformResourceIdentifier);
			else if (g->type == GEN_EMAIL)
				out = asn1_string(g->d.rfc822Name);
			else if (other && !OBJ_cmp(g->d.otherName->type_id, other) && g->d.otherName->value &&
			         g->d.otherName->value->type == V_ASN1_UTF8STRING)
				out = asn1_string(g->d.otherName->value->value.utf8string);
		}
	ASN1_OBJECT_free(other);
	GENERAL_NAMES_free(names);
	return out;
}

static char *issuer_of(X509 *x)
{
	ASN1_OBJECT *v2 = OBJ_txt2obj("1.3.6.1.4.1.57264.1.8", 1), *v1 = OBJ_txt2obj("1.3.6.1.4.1.57264.1.1", 1);
	char *out = NULL;
	int i = v2 ? X509_get_ext_by_OBJ(x, v2, -1) : -1;
	if (i >= 0) {
		const ASN1_OCTET_STRING *os = X509_EXTENSION_get_data(X509_get_ext(x, i));
		const unsigned char *p = ASN1_STRING_get0_data(os);
		ASN1_UTF8STRING *u = d2i_ASN1_UTF8STRING(NULL, &p, ASN1_STRING_length(os));
		if (u && p == ASN1_STRING_get0_data(os) + ASN1_STRING_length(os))
			out = asn1_string(u);
		ASN1_UTF8STRING_free(u);
	} else if (v1 && (i = X509_get_ext_by_OBJ(x, v1, -1)) >= 0) {
		out = asn1_string(X509_EXTENSION_get_data(X509_get_ext(x, i)));
	}
	ASN1_OBJECT_free(v1);
	ASN1_OBJECT_free(v2);
	return out;
}

/* The leaf against one CA: 0 when it verifies, else the X509_V_ERR code. */
static int verify_with(const struct wn__root_ca *ca, X509 *leaf, STACK_OF(X509) *chain, int64_t when)
{
	X509_STORE *st = X509_STORE_new();
	X509_STORE_CTX *sc = X509_STORE_CTX_new();
	STACK_OF(X509) *untrusted = sk_X509_new_null();
	int rc = X509_V_ERR_UNSPECIFIED;
	if (!st || !sc || !untrusted || X509_STORE_add_cert(st, ca->root) != 1)
		goto done;
	for (int i = 0; i < sk_X509_num(ca->intermediates); i++)
		sk_X509_push(untrusted, sk_X509_value(ca->intermediates, i));
	for (int i = 0; chain && i < sk_X509_num(chain); i++)
		sk_X509_push(untrusted, sk_X509_value(chain, i));
	if (X509_STORE_CTX_init(sc, st, leaf, untrusted) != 1)
		goto done;
	X509_VERIFY_PARAM *p = X509_STORE_CTX_get0_param(sc);
	X509_VERIFY_PARAM_set_time(p, (time_t)when);
	/* a root listed by the trusted root is an anchor even if it is not self-signed */
	X509_VERIFY_PARAM_set_flags(p, X509_V_FLAG_PARTIAL_CHAIN);
	rc = X509_verify_cert(sc) == 1 ? 0 : X509_STORE_CTX_get_error(sc);
	if (!rc) {
		/* the chain must end at this CA's root, not at an intermediate given as untrusted */
		STACK_OF(X509) *got = X509_STORE_CTX_get0_chain(sc);
		if (X509_cmp(sk_X509_value(got, sk_X509_num(got) - 1), ca->root))
			rc = X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY;
	}
done:
	sk_X509_free(untrusted);
	X509_STORE_CTX_free(sc);
	X509_STORE_free(st);
	return rc;
}

int wn__cert_verify(const struct wn_trusted_root *root, X509 *leaf, STACK_OF(X509) *chain, struct wn__cert_id *id,
                    struct wn_key **leaf_key, struct wn_error *err)
{
	memset(id, 0, sizeof *id);
	*leaf_key = NULL;
	id->not_before = asn1_seconds(X509_get0_notBefore(leaf));
	id->not_after = asn1_seconds(X509_get0_notAfter(leaf));
	if (id->not_before < 0 || id->not_after < 0)
		return wn__error_set(err, WN_ESIGNATURE, "its certificate has unreadable validity dates");
	if (!root || !root->n_cas)
		return wn__error_set(err, WN_ESIGNATURE, "its certificate cannot be checked: the trusted root lists no "
		                     "certificate authorities");
	if (!(X509_get_extension_flags(leaf) & EXFLAG_XKUSAGE) || !(X509_get_extended_key_usage(leaf) & XKU_CODE_SIGN))
		return wn__error_set(err, WN_ESIGNATURE, "its certificate is not for code signing (extended key usage)");
	int last = X509_V_ERR_UNSPECIFIED;
	bool ok = false;
	for (size_t i = 0; i < root->n_cas && !ok; i++) {
		const struct wn__root_ca *ca = &root->cas[i];
		if ((ca->start && id->not_before < ca->start) || (ca->end && id->not_before > ca->end))
			continue;
		ok = !(last = verify_with(ca, leaf, chain, id->not_before));
	}
	if (!ok)
		return wn__error_set(err, WN_ESIGNATURE, "its certificate does not chain to a Fulcio CA of the trusted root (%s)",
		                     X509_verify_cert_error_string(last));
	id->san = san_of(leaf);
	id->issuer = issuer_of(leaf);
	if (!id->san)
		return wn__error_set(err, WN_ESIGNATURE, "its certificate has no URI, e-mail or Fulcio subject alternative name");
	EVP_PKEY *pk = X509_get_pubkey(leaf);
	if (!pk)
		return wn__error_set(err, WN_ESIGNATURE, "its certificate's public key is unreadable");
	return wn__key_wrap(leaf_key, pk, 0, "the certificate's key", err);
}

static bool matches(const char *have, const char *exact, const char *re_s, const char *what, char *why, size_t n)
{
	if (exact && (!have || strcmp(have, exact))) {
		snprintf(why, n, "its certificate's %s is %s%s%s, not %s", what, have ? "\"" : "", have ? have : "missing",
		         have ? "\"" : "", exact);
		return false;
	}
	if (re_s) {
		regex_t re;
		bool ok = false;
		if (regcomp(&re, re_s, REG_EXTENDED | REG_NOSUB) == 0) {
			ok = have && !regexec(&re, have, 0, NULL, 0);
			regfree(&re);
		}
		if (!ok) {
			snprintf(why, n, "its certificate's %s %s%s%s does not match \"%s\"", what, have ? "\"" : "",
			         have ? have : "(none)", have ? "\"" : "", re_s);
			return false;
		}
	}
	return true;
}

bool wn__cert_id_matches(const struct wn__cert_id *id, const struct wn_verify_options *o, char *why, size_t n)
{
	return matches(id->san, o->cert_identity, o->cert_identity_regexp, "identity", why, n) &&
	       matches(id->issuer, o->cert_oidc_issuer, o->cert_oidc_issuer_regexp, "OIDC issuer", why, n);
}

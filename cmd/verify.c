/*
 * verify.c: `winch verify --key cosign.pub REF` (and keyless), and what the
 * signature gate of copy, pull and sync shares with it: the verification
 * options (GROUP_SIGCHECK) and the files they name.
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "cmd.h"

#define KEY_FILE_MAX (1u << 20)
#define ROOT_FILE_MAX (8u << 20)

static const char *trusted_root, *cert_identity, *cert_identity_re, *cert_issuer, *cert_issuer_re;
static int ignore_tlog, allow_mismatch;

/* what verify and the gate share */
const struct opt_spec sigcheck_opts[] = {
	{ "trusted-root", 0, OPT_STR, &trusted_root, "FILE",
	  "a sigstore trusted_root.json: verify Rekor entries offline, and Fulcio certificates" },
	{ "insecure-ignore-tlog", 0, OPT_FLAG, &ignore_tlog, NULL,
	  "accept signatures without a verified Rekor entry (winch sign writes none)" },
	{ "certificate-identity", 0, OPT_STR, &cert_identity, "ID", "keyless: the certificate's identity (SAN), exactly" },
	{ "certificate-identity-regexp", 0, OPT_STR, &cert_identity_re, "REGEX",
	  "keyless: the certificate's identity matches this extended regex" },
	{ "certificate-oidc-issuer", 0, OPT_STR, &cert_issuer, "URL", "keyless: the OIDC issuer in the certificate, exactly" },
	{ "certificate-oidc-issuer-regexp", 0, OPT_STR, &cert_issuer_re, "REGEX",
	  "keyless: the OIDC issuer matches this extended regex" },
	{ "allow-reference-mismatch", 0, OPT_FLAG, &allow_mismatch, NULL,
	  "accept a signature whose docker-reference names another repository or tag" },
	OPT_END,
};

static const char *key_file, *platform;
static struct str_list annotations;

const struct opt_spec verify_opts[] = {
	{ "key", 'k', OPT_STR, &key_file, "FILE", "the public key (cosign.pub, a PEM \"PUBLIC KEY\")" },
	{ "annotations", 'a', OPT_LIST, &annotations, "KEY=VALUE", "the signature must carry this annotation (repeatable)" },
	{ "platform", 0, OPT_STR, &platform, "OS/ARCH[/VARIANT]", "verify this platform's manifest of an index" },
	OPT_END,
};

/* A small file whole, or an exit code (the error printed) and NULL. */
static unsigned char *slurp(const char *path, size_t max, size_t *len, const char *what, int *rc)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf = NULL;
	*rc = 0;
	if (!f) {
		warn_msg("cannot read %s %s: %s", what, path, strerror(errno));
		*rc = EXIT_USAGE;
		return NULL;
	}
	if (!(buf = malloc(max + 1))) {
		fclose(f);
		warn_msg("out of memory");
		*rc = EXIT_ERROR;
		return NULL;
	}
	*len = fread(buf, 1, max + 1, f);
	bool err = ferror(f);
	fclose(f);
	if (err || *len > max) {
		warn_msg("%s %s: %s", what, path, err ? "cannot be read" : "is too large");
		free(buf);
		*rc = EXIT_USAGE;
		return NULL;
	}
	buf[*len] = 0;
	return buf;
}

void sigcheck_free(struct sigcheck *sc)
{
	wn_key_free(sc->key);
	wn_trusted_root_free(sc->root);
	sc->key = NULL;
	sc->root = NULL;
}

int sigcheck_build(struct sigcheck *sc, const char *keyfile, const char *const *ann, int n_ann)
{
	static const struct wn_verify_options init = WN_VERIFY_OPTIONS_INIT;
	struct wn_error err;
	size_t len;
	int rc;
	memset(sc, 0, sizeof *sc);
	sc->o = init;
	if (keyfile) {
		unsigned char *pem = slurp(keyfile, KEY_FILE_MAX, &len, "the key", &rc);
		if (!pem)
			return rc;
		rc = wn_key_load_public(&sc->key, pem, len, &err);
		free(pem);
		if (rc != WN_OK) {
			warn_msg("%s: %s", keyfile, err.msg);
			return rc == WN_EUNSUPPORTED || rc == WN_ECORRUPT ? EXIT_USAGE : exit_code_for(rc);
		}
	}
	if (trusted_root) {
		unsigned char *j = slurp(trusted_root, ROOT_FILE_MAX, &len, "the trusted root", &rc);
		if (!j)
			return rc;
		rc = wn_trusted_root_parse(&sc->root, j, len, &err);
		free(j);
		if (rc != WN_OK) {
			warn_msg("%s: %s", trusted_root, err.msg);
			sigcheck_free(sc);
			return EXIT_USAGE;
		}
	}
	for (int i = 0; i < n_ann && i < 64; i++) {
		if (!strchr(ann[i], '=')) {
			sigcheck_free(sc);
			return usage_error(NULL, "an annotation is KEY=VALUE, not \"%s\"", ann[i]);
		}
		sc->annotations[i] = ann[i];
	}
	sc->o.key = sc->key;
	sc->o.trusted_root = sc->root;
	sc->o.ignore_tlog = ignore_tlog;
	sc->o.cert_identity = cert_identity;
	sc->o.cert_identity_regexp = cert_identity_re;
	sc->o.cert_oidc_issuer = cert_issuer;
	sc->o.cert_oidc_issuer_regexp = cert_issuer_re;
	sc->o.allow_reference_mismatch = allow_mismatch;
	sc->o.annotations = n_ann ? sc->annotations : NULL;
	/* cosign's way to keep signatures in another repository (cosign pkg/oci/remote/options.go) */
	const char *repo = getenv("COSIGN_REPOSITORY");
	sc->o.signature_repository = repo && *repo ? repo : NULL;
	return 0;
}

int gate_options(struct sigcheck *sc, const struct wn_verify_options **out)
{
	*out = NULL;
	bool keyless = cert_identity || cert_identity_re || cert_issuer || cert_issuer_re;
	if (!gate_key && !keyless) {
		if (trusted_root || ignore_tlog || allow_mismatch)
			return usage_error(NULL, "--trusted-root, --insecure-ignore-tlog and --allow-reference-mismatch go with "
			                   "--verify-key or a certificate identity");
		return 0;
	}
	int rc = sigcheck_build(sc, gate_key, NULL, 0);
	if (rc)
		return rc;
	/* incomplete options are a usage error before any request */
	struct wn_error err;
	if (wn_verify_options_check(&sc->o, &err) != WN_OK) {
		sigcheck_free(sc);
		return usage_error(NULL, "%s", err.msg);
	}
	*out = &sc->o;
	return 0;
}

static cJSON *check_json(const struct wn_signature_check *c)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "source", c->source);
	cJSON_AddStringToObject(o, "format", c->format);
	cJSON_AddBoolToObject(o, "valid", c->valid);
	cJSON_AddStringToObject(o, "reason", c->reason ? c->reason : "");
	c->scheme ? cJSON_AddStringToObject(o, "scheme", c->scheme) : cJSON_AddNullToObject(o, "scheme");
	c->reference ? cJSON_AddStringToObject(o, "dockerReference", c->reference) : cJSON_AddNullToObject(o, "dockerReference");
	c->identity ? cJSON_AddStringToObject(o, "identity", c->identity) : cJSON_AddNullToObject(o, "identity");
	c->issuer ? cJSON_AddStringToObject(o, "issuer", c->issuer) : cJSON_AddNullToObject(o, "issuer");
	c->tlog ? cJSON_AddStringToObject(o, "tlog", c->tlog) : cJSON_AddNullToObject(o, "tlog");
	if (c->log_index >= 0) {
		cJSON_AddNumberToObject(o, "logIndex", (double)c->log_index);
		cJSON_AddNumberToObject(o, "integratedTime", (double)c->integrated_time);
	}
	return o;
}

int cmd_verify(int argc, char **argv)
{
	struct sigcheck sc;
	struct wn_verify_result *res = NULL;
	struct wn_ctx *ctx;
	int rc = sigcheck_build(&sc, key_file, annotations.items, annotations.n);
	if (rc)
		return rc;
	sc.o.platform = platform;
	if (!(ctx = ctx_open())) {
		sigcheck_free(&sc);
		return EXIT_ERROR;
	}
	int lrc = wn_verify(&res, ctx, argv[0], &sc.o);
	if (res && want_json()) {
		cJSON *j = cJSON_CreateObject(), *arr;
		cJSON_AddStringToObject(j, "reference", res->reference ? res->reference : argv[0]);
		cJSON_AddStringToObject(j, "digest", res->digest);
		cJSON_AddBoolToObject(j, "verified", lrc == WN_OK);
		cJSON_AddNumberToObject(j, "valid", (double)res->n_valid);
		arr = cJSON_AddArrayToObject(j, "signatures");
		for (size_t i = 0; i < res->n_sigs; i++)
			cJSON_AddItemToArray(arr, check_json(&res->sigs[i]));
		print_json(j);
		cJSON_Delete(j);
	} else if (res) {
		for (size_t i = 0; i < res->n_sigs; i++)
			printf("%s %s: %s\n", res->sigs[i].valid ? "valid" : "rejected", res->sigs[i].source,
			       res->sigs[i].reason ? res->sigs[i].reason : "");
	}
	if (lrc != WN_OK)
		rc = fail_ctx(ctx);
	else
		say("%s (%s): %zu valid %s of %zu", argv[0], res->digest, res->n_valid,
		    plural(res->n_valid, "signature", "signatures"), res->n_sigs);
	wn_verify_result_free(res);
	wn_ctx_free(ctx);
	sigcheck_free(&sc);
	return rc;
}

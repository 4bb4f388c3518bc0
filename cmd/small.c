/*
 * small.c: the one-request commands: manifest, digest, exists, version.
 * They take every location copy takes (registry, oci:, oci-archive:,
 * docker-archive:): the library reads it.  digest and exists take several
 * (and "-" for a list on stdin): see batch.c.
 */
#include <archive.h>
#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include "cmd.h"

static const char *platform;

/* manifest and digest: --platform picks one platform of an index (crane's flag) */
const struct opt_spec manifest_opts[] = {
	{ "platform", 0, OPT_STR, &platform, "OS/ARCH[/VARIANT]", "of an index, this platform's manifest" },
	OPT_END,
};

int cmd_manifest(int argc, char **argv)
{
	struct wn_ctx *ctx = ctx_open();
	struct wn_manifest *m;
	int rc = 0;
	if (!ctx)
		return EXIT_ERROR;
	if (wn_location_manifest(&m, ctx, argv[0], platform) != WN_OK) {
		rc = fail_ctx(ctx);
	} else {
		fwrite(m->data, 1, m->len, stdout);
		wn_manifest_free(m);
	}
	wn_ctx_free(ctx);
	return rc;
}

struct digest_res {
	char digest[WN_DIGEST_MAX];
	char *media_type;
	int64_t size;
};

static int digest_fetch(struct wn_ctx *ctx, const char *ref, void **res, char **msg)
{
	struct digest_res *d = calloc(1, sizeof *d);
	*res = d;
	if (!d)
		return WN_ENOMEM;
	d->size = -1;
	return wn_location_digest(ctx, ref, platform, d->digest, &d->media_type, &d->size);
}

static void digest_free(void *res)
{
	struct digest_res *d = res;
	free(d->media_type);
	free(d);
}

/* "reference" names what was asked: a list's lines are told apart without counting */
static void digest_print(const char *ref, void *res)
{
	struct digest_res *d = res;
	if (want_json()) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "reference", ref);
		cJSON_AddStringToObject(o, "digest", d->digest);
		if (d->media_type)
			cJSON_AddStringToObject(o, "mediaType", d->media_type);
		if (d->size >= 0)
			cJSON_AddNumberToObject(o, "size", (double)d->size);
		print_json_out(o);
		cJSON_Delete(o);
	} else {
		printf("%s\n", d->digest);
	}
}

static const struct batch_ops digest_ops = { digest_fetch, digest_print, digest_free };

int cmd_digest(int argc, char **argv)
{
	struct wn_ctx *ctx;
	void *res = NULL;
	char *msg = NULL;
	int rc = 0;
	if (batch_wanted(argc, argv) && (rc = batch_check_platform(platform)) == 0)
		return batch_run(argc, argv, &digest_ops);
	if (rc)
		return rc;
	if (!(ctx = ctx_open()))
		return EXIT_ERROR;
	if (digest_fetch(ctx, argv[0], &res, &msg) != WN_OK)
		rc = fail_ctx(ctx);
	else
		digest_print(argv[0], res);
	if (res)
		digest_free(res);
	wn_ctx_free(ctx);
	return rc;
}

static int exists_fetch(struct wn_ctx *ctx, const char *ref, void **res, char **msg)
{
	return wn_location_digest(ctx, ref, NULL, NULL, NULL, NULL);
}

static void exists_print(const char *ref, void *res)
{
}

static const struct batch_ops exists_ops = { exists_fetch, exists_print, free };

int cmd_exists(int argc, char **argv)
{
	if (batch_wanted(argc, argv))
		return batch_run(argc, argv, &exists_ops); /* there, what is missing is named */
	struct wn_ctx *ctx = ctx_open();
	int rc = 0;
	if (!ctx)
		return EXIT_ERROR;
	if (wn_location_digest(ctx, argv[0], NULL, NULL, NULL, NULL) != WN_OK) {
		/* "not there" is an answer, not an error: only -v says more */
		if (wn_ctx_errcode(ctx) == WN_ENOTFOUND && !common.verbose)
			rc = EXIT_NOTFOUND;
		else
			rc = fail_ctx(ctx);
	}
	wn_ctx_free(ctx);
	return rc;
}

/* Plain version numbers ("3.0.15", not "OpenSSL 3.0.15 3 Sep 2024"): what a
 * script compares.  libcurl, cJSON and zlib give them as they are. */
int cmd_version(int argc, char **argv)
{
	curl_version_info_data *cv = curl_version_info(CURLVERSION_NOW);
	char arch[32];
	int an = archive_version_number(); /* MMMmmmrrr */
	snprintf(arch, sizeof arch, "%d.%d.%d", an / 1000000, an / 1000 % 1000, an % 1000);
	const char *ssl = OpenSSL_version(OPENSSL_VERSION_STRING);
	if (want_json()) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "version", WN_VERSION);
		cJSON_AddStringToObject(o, "libcurl", cv->version);
		cJSON_AddStringToObject(o, "openssl", ssl);
		cJSON_AddStringToObject(o, "cjson", cJSON_Version());
		cJSON_AddStringToObject(o, "libarchive", arch);
		cJSON_AddStringToObject(o, "zlib", zlibVersion());
		print_json(o);
		cJSON_Delete(o);
	} else {
		printf("winch %s\n", WN_VERSION);
		printf("libcurl %s, OpenSSL %s, cJSON %s, libarchive %s, zlib %s\n", cv->version, ssl, cJSON_Version(), arch,
		       zlibVersion());
	}
	return 0;
}

/*
 * small.c: the one-request commands: manifest, digest, exists, version.
 * They take every location copy takes (registry, oci:, oci-archive:,
 * docker-archive:): the library reads it.
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

int cmd_digest(int argc, char **argv)
{
	struct wn_ctx *ctx = ctx_open();
	char digest[WN_DIGEST_MAX], *mt = NULL;
	int64_t size = -1;
	int rc = 0;
	if (!ctx)
		return EXIT_ERROR;
	if (wn_location_digest(ctx, argv[0], platform, digest, &mt, &size) != WN_OK) {
		rc = fail_ctx(ctx);
	} else if (want_json()) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "digest", digest);
		if (mt)
			cJSON_AddStringToObject(o, "mediaType", mt);
		if (size >= 0)
			cJSON_AddNumberToObject(o, "size", (double)size);
		print_json(o);
		cJSON_Delete(o);
	} else {
		printf("%s\n", digest);
	}
	free(mt);
	wn_ctx_free(ctx);
	return rc;
}

int cmd_exists(int argc, char **argv)
{
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

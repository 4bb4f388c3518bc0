/*
 * tls.c: where a registry's CA and client certificates come from.
 * Like docker and podman: DIR/HOST[:PORT]/ under /etc/containers/certs.d and
 * /etc/docker/certs.d holds *.crt (CAs, added to the system bundle),
 * client.cert / client.key (or any NAME.cert with NAME.key).  --cert-dir
 * names one such directory for every registry of the run.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdbool.h>
#include <sys/stat.h>
#include "internal.h"

#define DEFAULT_CERTS_D "/etc/containers/certs.d:/etc/docker/certs.d"
#define SYSTEM_CERT_DIR "/etc/ssl/certs"
#define CA_MAX (8u << 20)

void wn__tls_free(struct wn__tls *t)
{
	if (!t)
		return;
	free(t->ca_blob);
	free(t->client_cert);
	free(t->client_key);
	free(t);
}

static int append_file(struct wn__buf *b, const char *path)
{
	FILE *f = fopen(path, "rb");
	char chunk[8192];
	size_t n;
	if (!f)
		return WN_EIO;
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		if (wn__buf_append(b, chunk, n) != WN_OK) {
			fclose(f);
			return WN_ENOMEM;
		}
	fclose(f);
	return wn__buf_puts(b, "\n");
}

/* c_rehash's links ("5ad8a5d6.0") are what lazy lookup needs. */
static bool has_hashed_certs(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	bool yes = false;
	while (d && !yes && (e = readdir(d))) {
		size_t n = strlen(e->d_name);
		yes = n == 10 && e->d_name[8] == '.' && e->d_name[9] >= '0' && e->d_name[9] <= '9';
	}
	if (d)
		closedir(d);
	return yes;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Reads one directory into t; returns 1 if it exists. */
static int load_dir(struct wn_ctx *ctx, const char *dir, struct wn__tls *t, struct wn__buf *cas)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	struct wn_strlist names = {0};
	if (!d)
		return 0;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			wn__strlist_push(&names, e->d_name);
	closedir(d);
	qsort(names.items, names.n, sizeof *names.items, cmp_str);
	for (size_t i = 0; i < names.n; i++) {
		const char *n = names.items[i];
		size_t len = strlen(n);
		char *path = wn__sprintf("%s/%s", dir, n);
		if (!path)
			break;
		if (len > 4 && !strcmp(n + len - 4, ".crt")) {
			if (append_file(cas, path) == WN_OK)
				wn__log(ctx, WN_LOG_DEBUG, "tls: CA %s", path);
		} else if (len > 5 && !strcmp(n + len - 5, ".cert") && !t->client_cert) {
			char *key = wn__sprintf("%s/%.*s.key", dir, (int)(len - 5), n);
			struct stat st;
			if (key && !stat(key, &st)) {
				t->client_cert = path;
				t->client_key = key;
				path = NULL;
				wn__log(ctx, WN_LOG_DEBUG, "tls: client certificate %s", t->client_cert);
			} else {
				free(key);
			}
		}
		free(path);
	}
	for (size_t i = 0; i < names.n; i++)
		free(names.items[i]);
	free(names.items);
	return 1;
}

int wn__tls_for(struct wn_ctx *ctx, const char *host, struct wn__tls **out)
{
	struct wn__tls *t = calloc(1, sizeof *t);
	struct wn__buf cas = { .max = CA_MAX };
	*out = NULL;
	if (!t)
		return WN_ENOMEM;
	if (ctx->cert_dir) {
		load_dir(ctx, ctx->cert_dir, t, &cas);
	} else {
		char *roots = strdup(ctx->certs_d ? ctx->certs_d : DEFAULT_CERTS_D), *save = NULL;
		for (char *r = roots ? strtok_r(roots, ":", &save) : NULL; r; r = strtok_r(NULL, ":", &save)) {
			char *dir = wn__sprintf("%s/%s", r, host);
			if (dir)
				load_dir(ctx, dir, t, &cas);
			free(dir);
		}
		free(roots);
	}
	/* The system's CAs from the hashed directory: OpenSSL then reads only the
	 * certificates a chain needs, where the bundle costs ~20 ms to parse on
	 * every run's first handshake.  The registry's own CAs come on top, as
	 * docker adds them to the system's. */
	if (has_hashed_certs(SYSTEM_CERT_DIR))
		t->ca_path = SYSTEM_CERT_DIR;
	if (cas.len) {
		t->ca_blob = (char *)cas.data;
		t->ca_len = cas.len;
		cas.data = NULL;
	}
	wn__buf_free(&cas);
	*out = t;
	return WN_OK;
}

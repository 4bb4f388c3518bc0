/*
 * tls.c: where a registry's CA and client certificates come from.
 * Like docker and podman: DIR/HOST[:PORT]/ under /etc/containers/certs.d and
 * /etc/docker/certs.d holds *.crt (CAs, added to the system bundle),
 * client.cert / client.key (or any NAME.cert with NAME.key).  --cert-dir
 * names one such directory for every host of the run.  The same sources
 * apply to a registry's token server and to redirect targets, each looked
 * up under its own HOST[:PORT] (skopeo likewise uses them for the realm).
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include "internal.h"

#define DEFAULT_CERTS_D "/etc/containers/certs.d:/etc/docker/certs.d"
#define SYSTEM_CERT_DIR "/etc/ssl/certs"
#define CA_MAX (8u << 20)

/* One HOST[:PORT]'s files, kept by the root context (struct wn__shared). */
struct wn__tls_entry {
	char *host;
	struct wn__tls *tls;
	struct wn__tls_entry *next;
};

static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
	return 0; /* never prompt on the terminal */
}

void wn__tls_free(struct wn__tls *t)
{
	if (!t)
		return;
	free(t->ca_blob);
	free(t->client_cert);
	free(t->client_key);
	free(t);
}

/* Appends a .crt file, which must hold PEM certificates only: a garbage
 * file is named here rather than left to the TLS library's generic message. */
static int append_crt(struct wn_ctx *ctx, struct wn__buf *b, const char *path)
{
	unsigned char *data = NULL;
	size_t len = 0;
	int rc = wn__file_read(ctx, path, CA_MAX, &data, &len), n = 0;
	if (rc == WN_ENOTFOUND)
		return wn__ctx_fail(ctx, WN_ETLS, "tls: cannot read %s", path);
	if (rc != WN_OK)
		return rc;
	BIO *bio = BIO_new_mem_buf(data, (int)len);
	X509 *x;
	while (bio && (x = PEM_read_bio_X509(bio, NULL, no_passphrase, NULL))) {
		X509_free(x);
		n++;
	}
	/* the loop ends at the end of the data (no more "BEGIN"), or at a broken block */
	unsigned long e = ERR_peek_last_error();
	bool clean = n > 0 && ERR_GET_LIB(e) == ERR_LIB_PEM && ERR_GET_REASON(e) == PEM_R_NO_START_LINE;
	ERR_clear_error();
	BIO_free(bio);
	if (!clean || !bio)
		rc = wn__ctx_fail(ctx, WN_ETLS, "tls: %s is not a PEM CA certificate file%s", path,
		                  n ? " (a certificate in it is broken)" : "");
	else if ((rc = wn__buf_append(b, data, len)) == WN_OK)
		rc = wn__buf_puts(b, "\n");
	free(data);
	return rc;
}

/* A client certificate and its key must both parse (an encrypted key cannot
 * be used: nothing could ask for its passphrase). */
static int check_client(struct wn_ctx *ctx, const char *cert, const char *key)
{
	int rc = WN_OK;
	BIO *b = BIO_new_file(cert, "r");
	X509 *x = b ? PEM_read_bio_X509(b, NULL, no_passphrase, NULL) : NULL;
	BIO_free(b);
	if (!x)
		rc = wn__ctx_fail(ctx, WN_ETLS, "tls: %s is not a PEM client certificate", cert);
	X509_free(x);
	if (rc == WN_OK) {
		b = BIO_new_file(key, "r");
		EVP_PKEY *k = b ? PEM_read_bio_PrivateKey(b, NULL, no_passphrase, NULL) : NULL;
		BIO_free(b);
		if (!k)
			rc = wn__ctx_fail(ctx, WN_ETLS, "tls: %s is not an unencrypted PEM private key", key);
		EVP_PKEY_free(k);
	}
	ERR_clear_error();
	return rc;
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

/* Reads one directory into t: *found is set when it exists. */
static int load_dir(struct wn_ctx *ctx, const char *dir, struct wn__tls *t, struct wn__buf *cas, bool *found)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	struct wn_strlist names = {0};
	int rc = WN_OK;
	*found = d != NULL;
	if (!d)
		return WN_OK;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			wn__strlist_push(&names, e->d_name);
	closedir(d);
	if (names.n > 1) /* an empty directory leaves items NULL: qsort must not see it */
		qsort(names.items, names.n, sizeof *names.items, cmp_str);
	for (size_t i = 0; i < names.n && rc == WN_OK; i++) {
		const char *n = names.items[i];
		size_t len = strlen(n);
		char *path = wn__sprintf("%s/%s", dir, n);
		if (!path) {
			rc = wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
			break;
		}
		if (len > 4 && !strcmp(n + len - 4, ".crt")) {
			if ((rc = append_crt(ctx, cas, path)) == WN_OK)
				wn__log(ctx, WN_LOG_DEBUG, "tls: CA %s", path);
		} else if (len > 5 && !strcmp(n + len - 5, ".cert") && !t->client_cert) {
			char *key = wn__sprintf("%s/%.*s.key", dir, (int)(len - 5), n);
			struct stat st;
			if (key && !stat(key, &st)) {
				if ((rc = check_client(ctx, path, key)) == WN_OK) {
					t->client_cert = path;
					t->client_key = key;
					path = NULL;
					key = NULL;
					wn__log(ctx, WN_LOG_DEBUG, "tls: client certificate %s", t->client_cert);
				}
			}
			free(key);
		}
		free(path);
	}
	for (size_t i = 0; i < names.n; i++)
		free(names.items[i]);
	free(names.items);
	return rc;
}

int wn__tls_for(struct wn_ctx *ctx, const char *host, struct wn__tls **out)
{
	struct wn__tls *t = calloc(1, sizeof *t);
	struct wn__buf cas = { .max = CA_MAX };
	bool found;
	int rc = WN_OK;
	*out = NULL;
	if (!t)
		return wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
	if (ctx->cert_dir) {
		rc = load_dir(ctx, ctx->cert_dir, t, &cas, &found);
		if (rc == WN_OK && !found) {
			/* asked for by name: a typo must not quietly fall back to the system's CAs */
			struct stat st;
			rc = wn__ctx_fail(ctx, WN_EINVAL, "--cert-dir %s: %s", ctx->cert_dir,
			                  stat(ctx->cert_dir, &st) ? "no such directory" : "not a readable directory");
		}
	} else {
		char *roots = strdup(ctx->certs_d ? ctx->certs_d : DEFAULT_CERTS_D), *save = NULL;
		for (char *r = roots ? strtok_r(roots, ":", &save) : NULL; r && rc == WN_OK; r = strtok_r(NULL, ":", &save)) {
			char *dir = wn__sprintf("%s/%s", r, host);
			if (dir)
				rc = load_dir(ctx, dir, t, &cas, &found);
			free(dir);
		}
		free(roots);
	}
	if (rc != WN_OK) {
		wn__buf_free(&cas);
		wn__tls_free(t);
		return rc;
	}
	/* The system's CAs from the hashed directory: OpenSSL then reads only the
	 * certificates a chain needs, where the bundle costs ~20 ms to parse on
	 * every run's first handshake.  The host's own CAs come on top, as
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

int wn__tls_get(struct wn_ctx *ctx, const char *hostport, const struct wn__tls **out)
{
	struct wn__tls_entry *e;
	int rc = WN_OK;
	*out = NULL;
	wn__lock(ctx);
	for (e = ctx->sh->tls; e && strcmp(e->host, hostport); e = e->next)
		;
	if (!e) {
		struct wn__tls *t = NULL;
		/* a failure is not kept: the next request reports it again */
		if ((rc = wn__tls_for(ctx, hostport, &t)) == WN_OK) {
			if ((e = calloc(1, sizeof *e)) && (e->host = strdup(hostport))) {
				e->tls = t;
				e->next = ctx->sh->tls;
				ctx->sh->tls = e;
			} else {
				free(e);
				e = NULL;
				wn__tls_free(t);
				rc = wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
			}
		}
	}
	if (e)
		*out = e->tls;
	wn__unlock(ctx);
	return rc;
}

void wn__tls_cache_free(struct wn__tls_entry *e)
{
	while (e) {
		struct wn__tls_entry *n = e->next;
		free(e->host);
		wn__tls_free(e->tls);
		free(e);
		e = n;
	}
}

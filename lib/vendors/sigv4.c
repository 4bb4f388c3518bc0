/*
 * vendors/sigv4.c: AWS Signature Version 4, for the ECR API.
 *
 * The steps of AWS's "Create a signed AWS API request" (IAM User Guide,
 * reference_sigv-create-signed-request): a canonical request (method, URI,
 * sorted query, lower-case sorted headers with trimmed values, the signed
 * header names, the payload's SHA-256), a string to sign (algorithm, time,
 * scope, the canonical request's SHA-256), a signing key derived from the
 * secret by HMAC-SHA256 over date, region, service and "aws4_request", and
 * the signature, its HMAC over the string to sign.  tests/unit/t-sigv4.c
 * checks it against AWS's published Signature Version 4 test suite; the ECR
 * emulator (tests/tools/registry-front.py) verifies every request with an
 * implementation of its own.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include "../internal.h"

#define ALGORITHM "AWS4-HMAC-SHA256"

static void sha256_hex(char out[65], const void *p, size_t n)
{
	unsigned char md[32];
	unsigned int len = 0;
	EVP_Digest(p, n, md, &len, EVP_sha256(), NULL);
	wn__hex(out, 65, md, 32);
}

static void hmac(unsigned char out[32], const void *key, size_t klen, const char *msg)
{
	unsigned int len = 32;
	HMAC(EVP_sha256(), key, (int)klen, (const unsigned char *)msg, strlen(msg), out, &len);
}

/* RFC 3986 unreserved characters stay, everything else is %XX (upper case);
 * with keep_slash, '/' stays too (a path). */
static void enc(struct wn__buf *b, const char *s, size_t n, bool keep_slash)
{
	static const char d[] = "0123456789ABCDEF";
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || strchr("-._~", c) ||
		    (keep_slash && c == '/')) {
			wn__buf_append(b, &s[i], 1);
		} else {
			char e[3] = { '%', d[c >> 4], d[c & 15] };
			wn__buf_append(b, e, 3);
		}
	}
}

static int hexval(int c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* %XX decoded (a malformed escape stays as it is). */
static char *dec(const char *s, size_t n)
{
	char *out = malloc(n + 1), *o = out;
	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
			*o++ = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
			i += 2;
		} else {
			*o++ = s[i];
		}
	}
	*o = 0;
	return out;
}

struct pair {
	char *k, *v;
	size_t at;     /* the order given, for equal names */
};

static int cmp_pair(const void *a, const void *b)
{
	const struct pair *x = a, *y = b;
	int c = strcmp(x->k, y->k);
	if (!c)
		c = strcmp(x->v, y->v);
	return c;
}

static int cmp_header(const void *a, const void *b)
{
	const struct pair *x = a, *y = b;
	int c = strcmp(x->k, y->k);
	return c ? c : (x->at > y->at) - (x->at < y->at);
}

static void pairs_free(struct pair *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(p[i].k);
		free(p[i].v);
	}
	free(p);
}

/* The canonical query string: each name and value decoded and encoded again
 * the one way AWS wants, sorted by name, then value. */
static int canonical_query(struct wn__buf *b, const char *q)
{
	size_t n = 0, cap = 8;
	struct pair *p = calloc(cap, sizeof *p);
	if (!p)
		return WN_ENOMEM;
	for (const char *s = q; s && *s;) {
		size_t len = strcspn(s, "&");
		if (len) {
			const char *eq = memchr(s, '=', len);
			if (n == cap) {
				struct pair *np = realloc(p, (cap *= 2) * sizeof *p);
				if (!np) {
					pairs_free(p, n);
					return WN_ENOMEM;
				}
				p = np;
			}
			p[n].k = dec(s, eq ? (size_t)(eq - s) : len);
			p[n].v = eq ? dec(eq + 1, len - (size_t)(eq + 1 - s)) : strdup("");
			p[n].at = n;
			if (!p[n].k || !p[n].v) {
				pairs_free(p, n + 1);
				return WN_ENOMEM;
			}
			n++;
		}
		s += len;
		if (*s == '&')
			s++;
	}
	qsort(p, n, sizeof *p, cmp_pair);
	for (size_t i = 0; i < n; i++) {
		if (i)
			wn__buf_puts(b, "&");
		enc(b, p[i].k, strlen(p[i].k), false);
		wn__buf_puts(b, "=");
		enc(b, p[i].v, strlen(p[i].v), false);
	}
	pairs_free(p, n);
	return WN_OK;
}

/* A header value as signed: outer whitespace trimmed, inner runs of spaces one space. */
static char *trim_value(const char *v)
{
	char *out = malloc(strlen(v) + 1), *o = out;
	if (!out)
		return NULL;
	while (*v == ' ' || *v == '\t')
		v++;
	for (; *v; v++) {
		if (*v == ' ' || *v == '\t') {
			const char *w = v;
			while (*w == ' ' || *w == '\t')
				w++;
			if (!*w)
				break;
			*o++ = ' ';
			v = w - 1;
		} else {
			*o++ = *v;
		}
	}
	*o = 0;
	return out;
}

/* Splits an absolute URL into host[:port] (as the Host header sends it), path and query. */
static int split_url(const char *url, char **host, char **path, char **query)
{
	const char *p = strstr(url, "://");
	*host = *path = *query = NULL;
	if (!p)
		return WN_EINVAL;
	p += 3;
	size_t hl = strcspn(p, "/?#");
	*host = strndup(p, hl);
	p += hl;
	size_t pl = strcspn(p, "?#");
	*path = pl ? strndup(p, pl) : strdup("/");
	p += pl;
	*query = *p == '?' ? strndup(p + 1, strcspn(p + 1, "#")) : strdup("");
	if (!*host || !*path || !*query)
		return WN_ENOMEM;
	/* the default port is not in the Host header libcurl sends */
	const char *dflt = !strncasecmp(url, "https:", 6) ? ":443" : ":80";
	size_t n = strlen(*host), dl = strlen(dflt);
	if (n > dl && !strcmp(*host + n - dl, dflt))
		(*host)[n - dl] = 0;
	for (char *h = *host; *h; h++)
		if (*h >= 'A' && *h <= 'Z')
			*h = (char)(*h - 'A' + 'a');
	return WN_OK;
}

int wn__sigv4_sign(const struct wn__sigv4 *r, const struct wn__aws_creds *c, char **authorization,
                   char amz_date[17], char **canonical, char **sts)
{
	char *host = NULL, *path = NULL, *query = NULL, payload[65], creq_hash[65], sig[65], date[9];
	struct wn__buf creq = { 0 }, s2s = { 0 }, names = { 0 };
	struct pair *h = NULL;
	size_t nh = 0;
	int rc;
	struct tm tm;
	time_t t = (time_t)r->when;
	*authorization = NULL;
	if (canonical)
		*canonical = NULL;
	if (sts)
		*sts = NULL;
	if (!gmtime_r(&t, &tm))
		return WN_EINVAL;
	strftime(amz_date, 17, "%Y%m%dT%H%M%SZ", &tm);
	memcpy(date, amz_date, 8);
	date[8] = 0;
	if ((rc = split_url(r->url, &host, &path, &query)) != WN_OK)
		goto done;

	/* the headers signed: host, x-amz-date, the session token, and the caller's */
	size_t given = 0;
	while (r->headers && r->headers[given])
		given++;
	if (!(h = calloc(given + 3, sizeof *h))) {
		rc = WN_ENOMEM;
		goto done;
	}
	h[nh++] = (struct pair){ strdup("host"), strdup(host), 0 };
	h[nh++] = (struct pair){ strdup("x-amz-date"), strdup(amz_date), 1 };
	if (c->session_token)
		h[nh++] = (struct pair){ strdup("x-amz-security-token"), strdup(c->session_token), 2 };
	for (size_t i = 0; i < given; i++) {
		const char *line = r->headers[i], *colon = strchr(line, ':');
		if (!colon)
			continue;
		char *k = strndup(line, (size_t)(colon - line));
		for (char *x = k; x && *x; x++)
			if (*x >= 'A' && *x <= 'Z')
				*x = (char)(*x - 'A' + 'a');
		h[nh++] = (struct pair){ k, trim_value(colon + 1), 3 + i };
	}
	for (size_t i = 0; i < nh; i++)
		if (!h[i].k || !h[i].v) {
			rc = WN_ENOMEM;
			goto done;
		}
	qsort(h, nh, sizeof *h, cmp_header);

	/* the canonical request */
	wn__buf_puts(&creq, r->method);
	wn__buf_puts(&creq, "\n");
	/* the path as sent, encoded once more (every service but S3 signs it doubly encoded) */
	enc(&creq, path, strlen(path), true);
	wn__buf_puts(&creq, "\n");
	if ((rc = canonical_query(&creq, query)) != WN_OK)
		goto done;
	wn__buf_puts(&creq, "\n");
	for (size_t i = 0; i < nh; i++) {
		if (i && !strcmp(h[i].k, h[i - 1].k)) { /* one line per name, its values joined by ',' */
			wn__buf_puts(&creq, ",");
			wn__buf_puts(&creq, h[i].v);
			continue;
		}
		if (i) {
			wn__buf_puts(&creq, "\n");
			wn__buf_puts(&names, ";");
		}
		wn__buf_puts(&creq, h[i].k);
		wn__buf_puts(&creq, ":");
		wn__buf_puts(&creq, h[i].v);
		wn__buf_puts(&names, h[i].k);
	}
	wn__buf_puts(&creq, "\n\n");
	wn__buf_cstr(&names);
	wn__buf_puts(&creq, (char *)names.data);
	wn__buf_puts(&creq, "\n");
	sha256_hex(payload, r->body ? r->body : "", r->body ? r->body_len : 0);
	wn__buf_puts(&creq, payload);
	if (wn__buf_cstr(&creq) != WN_OK || !names.data) {
		rc = WN_ENOMEM;
		goto done;
	}

	/* the string to sign */
	sha256_hex(creq_hash, creq.data, creq.len);
	char *scope = wn__sprintf("%s/%s/%s/aws4_request", date, r->region, r->service);
	if (!scope) {
		rc = WN_ENOMEM;
		goto done;
	}
	wn__buf_puts(&s2s, ALGORITHM "\n");
	wn__buf_puts(&s2s, amz_date);
	wn__buf_puts(&s2s, "\n");
	wn__buf_puts(&s2s, scope);
	wn__buf_puts(&s2s, "\n");
	wn__buf_puts(&s2s, creq_hash);
	wn__buf_cstr(&s2s);

	/* the signing key, and the signature */
	unsigned char k[32];
	char *secret = wn__sprintf("AWS4%s", c->secret_key);
	if (!secret || !s2s.data) {
		free(scope);
		wn__free_secret(secret);
		rc = WN_ENOMEM;
		goto done;
	}
	hmac(k, secret, strlen(secret), date);
	wn__free_secret(secret);
	hmac(k, k, 32, r->region);
	hmac(k, k, 32, r->service);
	hmac(k, k, 32, "aws4_request");
	unsigned char mac[32];
	hmac(mac, k, 32, (const char *)s2s.data);
	memset(k, 0, sizeof k);
	wn__hex(sig, sizeof sig, mac, 32);
	*authorization = wn__sprintf(ALGORITHM " Credential=%s/%s, SignedHeaders=%s, Signature=%s", c->access_key, scope,
	                             (char *)names.data, sig);
	free(scope);
	if (!*authorization) {
		rc = WN_ENOMEM;
		goto done;
	}
	if (canonical) {
		*canonical = (char *)creq.data;
		creq.data = NULL;
	}
	if (sts) {
		*sts = (char *)s2s.data;
		s2s.data = NULL;
	}
	rc = WN_OK;
done:
	pairs_free(h, nh);
	wn__buf_free(&creq);
	wn__buf_free(&s2s);
	wn__buf_free(&names);
	free(host);
	free(path);
	free(query);
	return rc;
}

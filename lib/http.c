/*
 * http.c: the one request funnel.  Every request to a registry goes through
 * wn__http_do(), which owns scheme choice (https, with a plain-http fallback
 * for loopback registries that do not speak TLS), authentication and its
 * retry, redirects (followed by hand so Authorization never leaves the host
 * it was meant for), bounded retries with backoff, and the mapping of every
 * curl and HTTP outcome to an enum wn_err in one place (wn__http_fail).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include "internal.h"

#define MAX_REDIRECTS 10
#define MAX_RETRIES 3
#define MAX_AUTH_RETRIES 2
#define RETRY_AFTER_CAP 60

void wn__resp_free(struct wn__resp *r)
{
	wn__buf_free(&r->body);
	free(r->content_type);
	free(r->docker_digest);
	free(r->location);
	free(r->link);
	free(r->www_authenticate);
	free(r->range);
	free(r->effective_url);
	memset(r, 0, sizeof *r);
}

static void resp_reset(struct wn__resp *r)
{
	wn__resp_free(r);
	r->content_length = -1;
	r->retry_after = -1;
}

struct xfer {
	struct wn_ctx *ctx;
	const struct wn__req *req;
	struct wn__resp *resp;
	uint64_t delivered;  /* bytes handed to req->sink */
	uint64_t consumed;   /* bytes taken from req->reader */
	bool sink_failed;
	bool reader_failed;
};

static size_t on_read(char *buf, size_t size, size_t nitems, void *data)
{
	struct xfer *x = data;
	/* curl asks for a whole buffer even when less of the body is left: never
	 * take more than this request's body, the rest belongs to the next one */
	uint64_t left = x->req->body_len - x->consumed;
	size_t want = size * nitems < left ? size * nitems : (size_t)left;
	if (!want)
		return 0;
	ssize_t r = x->req->reader(x->req->reader_data, buf, want);
	if (r < 0) {
		x->reader_failed = true;
		return CURL_READFUNC_ABORT;
	}
	x->consumed += (uint64_t)r;
	return (size_t)r;
}

static char *header_value(const char *line, size_t n, const char *name)
{
	size_t nl = strlen(name);
	if (n <= nl || strncasecmp(line, name, nl) || line[nl] != ':')
		return NULL;
	const char *v = line + nl + 1, *end = line + n;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
		end--;
	return strndup(v, (size_t)(end - v));
}

static void keep(char **slot, char *v)
{
	if (v) {
		free(*slot);
		*slot = v;
	}
}

static size_t on_header(char *p, size_t size, size_t nmemb, void *data)
{
	struct xfer *x = data;
	struct wn__resp *r = x->resp;
	size_t n = size * nmemb;
	char *v;
	if (n > 5 && !strncmp(p, "HTTP/", 5)) {
		/* a new response (after 100 Continue): forget the previous one's headers */
		const char *sp = memchr(p, ' ', n);
		long st = sp ? strtol(sp + 1, NULL, 10) : 0;
		resp_reset(r);
		r->status = st;
		r->body.max = (st >= 200 && st < 300) ? (x->req->body_max ? x->req->body_max : WN__JSON_MAX)
		                                      : WN__ERRBODY_MAX;
		return n;
	}
	keep(&r->content_type, header_value(p, n, "Content-Type"));
	keep(&r->docker_digest, header_value(p, n, "Docker-Content-Digest"));
	keep(&r->location, header_value(p, n, "Location"));
	keep(&r->link, header_value(p, n, "Link"));
	keep(&r->www_authenticate, header_value(p, n, "WWW-Authenticate"));
	keep(&r->range, header_value(p, n, "Range"));
	if ((v = header_value(p, n, "Content-Length"))) {
		r->content_length = strtoll(v, NULL, 10);
		free(v);
	}
	if ((v = header_value(p, n, "Retry-After"))) {
		r->retry_after = isdigit((unsigned char)v[0]) ? strtol(v, NULL, 10) : 1;
		free(v);
	}
	return n;
}

static size_t on_body(char *p, size_t size, size_t nmemb, void *data)
{
	struct xfer *x = data;
	size_t n = size * nmemb;
	long st = x->resp->status;
	if (st >= 200 && st < 300 && x->req->sink) {
		if (x->req->sink(x->req->sink_data, p, n) != n) {
			x->sink_failed = true;
			return 0;
		}
		x->delivered += n;
		return n;
	}
	if (st >= 300 && st < 400)
		return n; /* redirect bodies are noise */
	if (wn__buf_append(&x->resp->body, p, n) != WN_OK)
		return 0;
	return n;
}

/* curl calls this often (at least once a second) during a transfer: an
 * interrupt stops the transfer there instead of after it. */
static int on_progress(void *data, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
	struct xfer *x = data;
	return wn__cancelled(x->ctx) ? 1 : 0;
}

/* Debug output at -vv: headers, with credentials replaced by <redacted>. */
static int on_debug(CURL *h, curl_infotype type, char *p, size_t n, void *data)
{
	struct wn_ctx *ctx = data;
	const char *dir = type == CURLINFO_HEADER_OUT ? ">" : type == CURLINFO_HEADER_IN ? "<" : NULL;
	if (!dir)
		return 0;
	const char *end = p + n;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		if (len && p[len - 1] == '\r')
			len--;
		if (len) {
			static const char *const secret[] = { "Authorization:", "Proxy-Authorization:", "Cookie:",
			                                      "Set-Cookie:" };
			bool red = false;
			for (size_t i = 0; i < sizeof secret / sizeof *secret; i++)
				if (len >= strlen(secret[i]) && !strncasecmp(p, secret[i], strlen(secret[i]))) {
					/* keep the scheme word ("Bearer", "Basic"), hide the rest */
					const char *v = p + strlen(secret[i]);
					while (v < p + len && *v == ' ')
						v++;
					const char *sp = memchr(v, ' ', (size_t)(p + len - v));
					int keepn = sp ? (int)(sp - p) : (int)(v - p);
					wn__log(ctx, WN_LOG_TRACE, "%s %.*s <redacted>", dir, keepn, p);
					red = true;
					break;
				}
			if (!red)
				wn__log(ctx, WN_LOG_TRACE, "%s %.*s", dir, (int)len, p);
		}
		p += len;
		while (p < end && (*p == '\r' || *p == '\n'))
			p++;
	}
	return 0;
}

static bool is_loopback(const char *host)
{
	return !strncmp(host, "localhost", 9) || !strncmp(host, "127.", 4) || !strncmp(host, "[::1]", 5);
}

/* host[:port] of a URL; caller frees. */
static char *url_hostport(const char *url)
{
	CURLU *u = curl_url();
	char *host = NULL, *port = NULL, *out = NULL;
	if (u && !curl_url_set(u, CURLUPART_URL, url, 0) && !curl_url_get(u, CURLUPART_HOST, &host, 0)) {
		curl_url_get(u, CURLUPART_PORT, &port, 0);
		out = port ? wn__sprintf("%s:%s", host, port) : strdup(host);
	}
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	return out;
}

static char *url_resolve(const char *base, const char *rel)
{
	CURLU *u = curl_url();
	char *s = NULL, *out = NULL;
	if (u && !curl_url_set(u, CURLUPART_URL, base, 0) &&
	    !curl_url_set(u, CURLUPART_URL, rel, CURLU_NON_SUPPORT_SCHEME) && !curl_url_get(u, CURLUPART_URL, &s, 0))
		out = strdup(s);
	curl_free(s);
	curl_url_cleanup(u);
	return out;
}

/* Strips the query for logs: pre-signed storage URLs carry credentials there. */
static void log_url(struct wn_ctx *ctx, const char *method, const char *url, bool registry_host)
{
	if (registry_host)
		wn__log(ctx, WN_LOG_DEBUG, "%s %s", method, url);
	else
		wn__log(ctx, WN_LOG_DEBUG, "%s %.*s%s", method, (int)strcspn(url, "?"), url,
		        strchr(url, '?') ? "?<redacted>" : "");
}

static long backoff_ms(int attempt, long retry_after)
{
	if (retry_after >= 0)
		return (retry_after > RETRY_AFTER_CAP ? RETRY_AFTER_CAP : retry_after) * 1000L;
	const char *base_env = getenv("WINCH_RETRY_BASE_MS");
	long base = base_env ? strtol(base_env, NULL, 10) : 250;
	long ms = base << attempt;
	return ms + (base ? rand() % (base + 1) : 0); /* jitter: clients retrying together spread out */
}

static bool idempotent(const char *m)
{
	return strcmp(m, "POST") && strcmp(m, "PATCH");
}

/* One attempt on one URL. Returns the CURLcode. */
static CURLcode perform(struct wn_ctx *ctx, struct xfer *x, const char *url, const char *method,
                        const char *auth, bool registry_host, struct wn__host *host)
{
	CURL *c = ctx->curl;
	const struct wn__req *req = x->req;
	struct curl_slist *hdrs = NULL;
	char *authz = NULL;
	CURLcode cc;

	curl_easy_reset(c);
	resp_reset(x->resp);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_USERAGENT, ctx->user_agent);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 60L);
	curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(c, CURLOPT_HTTP_VERSION, ctx->opt.http2 ? CURL_HTTP_VERSION_2TLS : CURL_HTTP_VERSION_1_1);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, x);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, x);
	if (ctx->opt.cancel) {
		curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
		curl_easy_setopt(c, CURLOPT_XFERINFODATA, x);
		curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	}
	if (ctx->opt.log_level >= WN_LOG_TRACE) {
		curl_easy_setopt(c, CURLOPT_DEBUGFUNCTION, on_debug);
		curl_easy_setopt(c, CURLOPT_DEBUGDATA, ctx);
		curl_easy_setopt(c, CURLOPT_VERBOSE, 1L);
	}
	if (!ctx->opt.tls_verify) {
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
	} else if (host && host->tls) {
		if (host->tls->ca_path) {
			curl_easy_setopt(c, CURLOPT_CAINFO, NULL);
			curl_easy_setopt(c, CURLOPT_CAPATH, host->tls->ca_path);
		}
		if (host->tls->ca_blob) {
			struct curl_blob blob = { host->tls->ca_blob, host->tls->ca_len, CURL_BLOB_NOCOPY };
			curl_easy_setopt(c, CURLOPT_CAINFO_BLOB, &blob);
		}
	}
	if (host && host->tls && host->tls->client_cert) {
		curl_easy_setopt(c, CURLOPT_SSLCERT, host->tls->client_cert);
		curl_easy_setopt(c, CURLOPT_SSLKEY, host->tls->client_key);
	}

	if (!strcmp(method, "HEAD"))
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	else if (!strcmp(method, "GET"))
		curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
	else
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	if (req->reader) {
		curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
		curl_easy_setopt(c, CURLOPT_READDATA, x);
		curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)req->body_len);
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
		hdrs = curl_slist_append(hdrs, "Expect:");
		hdrs = curl_slist_append(hdrs, "Content-Type: application/octet-stream");
	} else if (req->body || !strcmp(method, "PUT") || !strcmp(method, "POST") || !strcmp(method, "PATCH")) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, req->body ? (const char *)req->body : "");
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
		hdrs = curl_slist_append(hdrs, "Expect:");
		/* not curl's default form type: Go servers would parse (and eat) the body as a form */
		bool typed = false;
		for (const char *const *h = req->headers; h && *h; h++)
			typed |= !strncasecmp(*h, "Content-Type:", 13);
		if (!typed)
			hdrs = curl_slist_append(hdrs, "Content-Type: application/octet-stream");
	}
	for (const char *const *h = req->headers; h && *h; h++)
		hdrs = curl_slist_append(hdrs, *h);
	if (auth) {
		authz = wn__sprintf("Authorization: %s", auth);
		hdrs = curl_slist_append(hdrs, authz);
	}
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);

	log_url(ctx, method, url, registry_host);
	__atomic_fetch_add(&ctx->sh->requests, 1, __ATOMIC_RELAXED);
	cc = curl_easy_perform(c);
	if (cc == CURLE_OK) {
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &x->resp->status);
		wn__log(ctx, WN_LOG_DEBUG, "  -> %ld%s%s", x->resp->status, x->resp->content_type ? " " : "",
		        x->resp->content_type ? x->resp->content_type : "");
	} else {
		wn__log(ctx, WN_LOG_DEBUG, "  -> %s", curl_easy_strerror(cc));
	}
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(hdrs);
	wn__free_secret(authz);
	return cc;
}

static int curl_fail(struct wn_ctx *ctx, CURLcode cc, const char *url)
{
	char *hp = url_hostport(url);
	const char *h = hp ? hp : url;
	int rc;
	switch (cc) {
	case CURLE_PEER_FAILED_VERIFICATION:
		rc = wn__ctx_fail(ctx, WN_ETLS,
		                  "tls: the certificate of %s is not trusted (put its CA in "
		                  "/etc/docker/certs.d/%s/ca.crt or use --cert-dir; --tls-verify=false skips the check)",
		                  h, h);
		break;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CLIENTCERT:
		rc = wn__ctx_fail(ctx, WN_ETLS, "tls: handshake with %s failed: %s", h, curl_easy_strerror(cc));
		break;
	case CURLE_COULDNT_RESOLVE_HOST:
		rc = wn__ctx_fail(ctx, WN_ENET, "network: cannot resolve host %s", h);
		break;
	case CURLE_COULDNT_CONNECT:
		rc = wn__ctx_fail(ctx, WN_ENET, "network: cannot connect to %s (is the registry running?)", h);
		break;
	case CURLE_OPERATION_TIMEDOUT:
		rc = wn__ctx_fail(ctx, WN_ENET, "network: %s timed out", h);
		break;
	default:
		rc = wn__ctx_fail(ctx, WN_ENET, "network: request to %s failed: %s", h, curl_easy_strerror(cc));
	}
	free(hp);
	return rc;
}

static bool retryable_status(long st)
{
	return st == 429 || st == 502 || st == 503 || st == 504;
}

static bool retryable_curl(CURLcode cc)
{
	switch (cc) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_PARTIAL_FILE:
	case CURLE_GOT_NOTHING:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return true;
	default:
		return false;
	}
}

/* A 401 although credentials were sent, after the re-authentication retries. */
static int rejected(struct wn_ctx *ctx, const struct wn__req *req, const struct wn__resp *resp)
{
	struct wn__challenge ch;
	struct wn_error err;
	wn__lock(ctx); /* another thread may forget the creds meanwhile */
	const struct wn_creds *c = wn__creds_get(ctx, req->registry, req->scope);
	int rc;
	bool insufficient = wn__challenge_parse(&ch, resp->www_authenticate, &err) == WN_OK && ch.error &&
	                    !strcmp(ch.error, "insufficient_scope");
	if (insufficient && !c)
		rc = wn__ctx_fail(ctx, WN_EAUTH, "unauthorized: %s requires authentication for %s (run: winch login %s)",
		                  req->registry, req->scope ? req->scope : "this request", req->registry);
	else if (insufficient)
		rc = wn__ctx_fail(ctx, WN_EDENIED, "denied: the credentials for %s (from %s) do not grant %s",
		                  req->registry, c->source, req->scope ? req->scope : "this request");
	else if (c)
		rc = wn__ctx_fail(ctx, WN_EAUTH, "unauthorized: the credentials for %s were rejected (from %s)",
		                  req->registry, c->source);
	else
		rc = wn__ctx_fail(ctx, WN_EAUTH, "unauthorized: %s requires authentication (run: winch login %s)",
		                  req->registry, req->registry);
	wn__unlock(ctx);
	wn__challenge_free(&ch);
	return rc;
}

int wn__http_do(struct wn_ctx *ctx, const struct wn__req *req, struct wn__resp *resp)
{
	struct xfer x = { ctx, req, resp, 0, 0, false, false };
	struct wn__host *host = NULL;
	char *url = NULL, *auth = NULL;
	const char *method = req->method;
	int rc = WN_OK, retries = 0, auth_retries = 0, redirects = 0;
	bool registry_host = req->registry != NULL;
	char *reg_hostport = NULL;

	memset(resp, 0, sizeof *resp);
	resp_reset(resp);
	if (req->registry) {
		host = wn__ctx_host(ctx, req->registry);
		if (!host)
			return wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
		wn__lock(ctx);
		if (!host->tls_loaded) {
			host->tls_loaded = 1;
			rc = wn__tls_for(ctx, wn__registry_api_host(req->registry), &host->tls);
		}
		if (!host->scheme_known)
			host->scheme_known = ctx->opt.plain_http ? 2 : 1;
		wn__unlock(ctx);
		if (rc != WN_OK)
			return wn__ctx_fail(ctx, rc, "out of memory");
		reg_hostport = strdup(wn__registry_api_host(req->registry));
	}

	if (req->registry && (!strncmp(req->path, "http://", 7) || !strncmp(req->path, "https://", 8))) {
		/* an absolute URL the registry gave (Link, Location): credentials only if it is the registry's */
		char *hp = url_hostport(req->path);
		registry_host = hp && !strcasecmp(hp, reg_hostport);
		free(hp);
	}
	for (;;) {
		if ((rc = wn__check_cancel(ctx)) != WN_OK)
			goto done;
		if (!url) {
			if (req->registry && strncmp(req->path, "http://", 7) && strncmp(req->path, "https://", 8))
				url = wn__sprintf("%s://%s%s", host->scheme_known == 2 ? "http" : "https",
				                  wn__registry_api_host(req->registry), req->path);
			else
				url = strdup(req->path);
			if (!url) {
				rc = wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
				goto done;
			}
		}
		free(auth);
		auth = NULL;
		if (registry_host && !req->no_auth)
			auth = wn__auth_header(ctx, req->registry, req->scope);
		if (req->basic_user) {
			char *up = wn__sprintf("%s:%s", req->basic_user, req->basic_pass ? req->basic_pass : "");
			char *b = up ? wn__b64_encode(up, strlen(up)) : NULL;
			wn__free_secret(up);
			wn__free_secret(auth);
			auth = b ? wn__sprintf("Basic %s", b) : NULL;
			wn__free_secret(b);
		}

		CURLcode cc = perform(ctx, &x, url, method, auth, registry_host, registry_host ? host : NULL);
		if (req->delivered)
			*req->delivered = x.delivered;
		if (cc != CURLE_OK) {
			if ((rc = wn__check_cancel(ctx)) != WN_OK)
				goto done;
			if (x.reader_failed) {
				rc = wn__ctx_fail(ctx, WN_ECANCELED, "upload stopped: its source failed");
				goto done;
			}
			if (x.sink_failed) {
				rc = ctx->err.code ? (int)ctx->err.code : wn__ctx_fail(ctx, WN_EIO, "writing the download failed");
				goto done;
			}
			/* a loopback registry that does not speak TLS: plain HTTP, as docker does.
			 * Keyed on the URL tried, not the shared state: parallel requests may all
			 * have tried https before the first of them learned otherwise. */
			if (cc == CURLE_SSL_CONNECT_ERROR && registry_host && !strncmp(url, "https://", 8) && !redirects &&
			    !ctx->opt.plain_http && is_loopback(reg_hostport) &&
			    strncmp(req->path, "https://", 8)) {
				wn__log(ctx, WN_LOG_DEBUG, "%s does not speak TLS: using plain HTTP", reg_hostport);
				wn__lock(ctx);
				host->scheme_known = 2;
				wn__unlock(ctx);
				free(url);
				url = NULL;
				continue;
			}
			if (retryable_curl(cc) && retries < MAX_RETRIES && !x.delivered && !x.consumed && idempotent(method)) {
				wn__sleep_ms(ctx, backoff_ms(retries++, -1));
				continue;
			}
			rc = curl_fail(ctx, cc, url);
			goto done;
		}

		long st = resp->status;
		if (x.consumed) /* a streamed body cannot be sent again: the caller resumes */
			break;
		if (st >= 300 && st < 400 && st != 304 && resp->location) {
			char *next = url_resolve(url, resp->location);
			if (!next || ++redirects > MAX_REDIRECTS) {
				free(next);
				rc = wn__ctx_fail(ctx, WN_EPROTO, "too many redirects from %s", url);
				goto done;
			}
			char *nh = url_hostport(next);
			/* credentials stay with the host they were meant for */
			registry_host = req->registry && nh && reg_hostport && !strcasecmp(nh, reg_hostport);
			wn__log(ctx, WN_LOG_DEBUG, "  redirect to %s%s", registry_host ? "the same host" : "another host",
			        registry_host ? "" : " (without credentials)");
			free(nh);
			free(url);
			url = next;
			if (st == 303 || ((st == 301 || st == 302) && !strcmp(method, "POST")))
				method = "GET";
			continue;
		}
		if (st == 401 && registry_host && !req->no_auth && !req->basic_user && auth_retries < MAX_AUTH_RETRIES) {
			int arc = wn__auth_on_401(ctx, req->registry, req->scope, resp->www_authenticate, auth != NULL);
			auth_retries++;
			if (arc == WN_OK)
				continue;
			rc = arc;
			goto done;
		}
		if (retryable_status(st) && retries < MAX_RETRIES && !x.delivered && (idempotent(method) || st == 429)) {
			long ms = backoff_ms(retries++, resp->retry_after);
			wn__log(ctx, WN_LOG_INFO, "registry answered %ld: retrying in %ld ms", st, ms);
			wn__sleep_ms(ctx, ms);
			continue;
		}
		break;
	}
	if (resp->status == 401 && registry_host && auth && !req->basic_user) {
		rc = rejected(ctx, req, resp);
		goto done;
	}
	resp->effective_url = url;
	url = NULL;
done:
	if (rc != WN_OK)
		wn__resp_free(resp); /* on failure the caller has nothing to free */
	free(url);
	wn__free_secret(auth);
	free(reg_hostport);
	return rc;
}

int wn__http_fail(struct wn_ctx *ctx, const struct wn__resp *resp, const char *what)
{
	struct wn__regerr re;
	bool has = wn__regerr_parse(&re, resp->body.data, resp->body.len) > 0;
	const char *detail = has && re.message[0] ? re.message : "";
	char extra[sizeof re.code + sizeof re.message + 8] = "";
	if (has)
		snprintf(extra, sizeof extra, " (%s%s%s)", re.code, detail[0] ? ": " : "", detail);

	switch (resp->status) {
	case 401:
		return wn__ctx_fail(ctx, WN_EAUTH, "unauthorized: authentication required for %s%s", what, extra);
	case 403:
		return wn__ctx_fail(ctx, WN_EDENIED, "denied: access to %s is not allowed%s", what, extra);
	case 404:
		if (has && !strcmp(re.code, "NAME_UNKNOWN"))
			return wn__ctx_fail(ctx, WN_ENOTFOUND, "repository unknown: %s%s", what, extra);
		if (has && !strcmp(re.code, "MANIFEST_UNKNOWN"))
			return wn__ctx_fail(ctx, WN_ENOTFOUND, "manifest unknown: %s%s", what, extra);
		if (has && !strcmp(re.code, "BLOB_UNKNOWN"))
			return wn__ctx_fail(ctx, WN_ENOTFOUND, "blob unknown: %s%s", what, extra);
		return wn__ctx_fail(ctx, WN_ENOTFOUND, "not found: %s%s", what, extra);
	case 405:
		return wn__ctx_fail(ctx, WN_EUNSUPPORTED, "unsupported: the registry does not allow this on %s%s", what,
		                    extra);
	case 429:
		return wn__ctx_fail(ctx, WN_ERATELIMIT, "rate limited: too many requests for %s%s", what, extra);
	default:
		break;
	}
	if (has && !strcmp(re.code, "DIGEST_INVALID"))
		return wn__ctx_fail(ctx, WN_EDIGEST, "digest invalid for %s%s", what, extra);
	if (has && (!strcmp(re.code, "UNAUTHORIZED")))
		return wn__ctx_fail(ctx, WN_EAUTH, "unauthorized: %s%s", what, extra);
	if (has && (!strcmp(re.code, "DENIED")))
		return wn__ctx_fail(ctx, WN_EDENIED, "denied: %s%s", what, extra);
	if (has && (!strcmp(re.code, "MANIFEST_UNKNOWN") || !strcmp(re.code, "NAME_UNKNOWN") ||
	            !strcmp(re.code, "BLOB_UNKNOWN")))
		return wn__ctx_fail(ctx, WN_ENOTFOUND, "not found: %s%s", what, extra);
	return wn__ctx_fail(ctx, resp->status >= 500 ? WN_ENET : WN_EPROTO, "registry answered %ld for %s%s",
	                    resp->status, what, extra);
}

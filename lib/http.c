/*
 * http.c: the one request funnel.  Every request to a registry, its token
 * server and whatever they redirect to goes through wn__http_do(), which
 * owns scheme choice (https, with a plain-http fallback for loopback
 * registries that do not speak TLS), authentication and its retry,
 * redirects (followed by hand: credentials go only to the origin they were
 * meant for), bounded retries with backoff, time limits, caps on headers and
 * bodies, and the mapping of every curl and HTTP outcome to an enum wn_err
 * in one place (wn__http_fail).
 *
 * The threat model: a registry, token server, proxy or redirect target may
 * be hostile.  Whatever it answers, credentials do not leave their origin
 * (scheme, host and port), a reference it sends cannot smuggle in another
 * host, and no answer makes a request run or grow without bound.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include "internal.h"

#define MAX_REDIRECTS 10
#define MAX_RETRIES 3
#define MAX_AUTH_RETRIES 2
#define STALL_SPEED 1024L          /* bytes/s: slower than this for the stall time is a stall */

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
	for (size_t i = 0; i < r->n_kept; i++)
		free(r->kept[i]);
	free(r->kept);
	memset(r, 0, sizeof *r);
}

static void resp_reset(struct wn__resp *r)
{
	wn__resp_free(r);
	r->content_length = -1;
	r->retry_after = -1;
	wn__ratelimit_clear(&r->ratelimit);
}

struct xfer {
	struct wn_ctx *ctx;
	const struct wn__req *req;
	struct wn__resp *resp;
	uint64_t delivered;  /* bytes handed to req->sink */
	uint64_t consumed;   /* bytes taken from req->reader */
	bool sink_failed;
	bool reader_failed;
	/* per attempt */
	size_t header_bytes;     /* all header lines so far */
	bool headers_too_large;
	bool got_status;         /* a status line arrived */
	bool overflow;           /* a body passed its cap: the transfer was stopped there */
	size_t noise;            /* redirect body bytes skipped */
	bool guard_failed;       /* plain HTTP meant for loopback met another address */
	bool connected;
	bool http10;
	char primary_ip[64];
	char errbuf[CURL_ERROR_SIZE];
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

/* A decimal number that fits: -1 otherwise (a header from the network). */
static int64_t parse_count(const char *v)
{
	if (!isdigit((unsigned char)*v))
		return -1;
	for (const char *p = v; *p; p++)
		if (!isdigit((unsigned char)*p))
			return -1;
	errno = 0;
	long long n = strtoll(v, NULL, 10);
	return errno ? -1 : (int64_t)n;
}

/* Retry-After: delay-seconds or an HTTP-date (RFC 9110 10.2.3); -1 if neither. */
static long parse_retry_after(const char *v)
{
	const long far = 1000000000L; /* more than any cap: "far away" */
	if (isdigit((unsigned char)*v)) {
		int64_t n = parse_count(v);
		return n < 0 ? (strspn(v, "0123456789") == strlen(v) ? far : -1) : n > far ? far : (long)n;
	}
	time_t t = curl_getdate(v, NULL), now = time(NULL);
	if (t == -1)
		return -1;
	return t <= now ? 0 : t - now > far ? far : (long)(t - now);
}

static size_t on_header(char *p, size_t size, size_t nmemb, void *data)
{
	struct xfer *x = data;
	struct wn__resp *r = x->resp;
	size_t n = size * nmemb;
	char *v;
	/* counted over every response of the transfer (1xx included): endless
	 * headers stop here rather than in memory */
	x->header_bytes += n;
	if (x->header_bytes > WN__HEADERS_MAX) {
		x->headers_too_large = true;
		return 0;
	}
	if (n > 5 && !strncmp(p, "HTTP/", 5)) {
		/* a new response (after 100 Continue): forget the previous one's headers */
		const char *sp = memchr(p, ' ', n);
		long st = sp ? strtol(sp + 1, NULL, 10) : 0;
		resp_reset(r);
		r->status = st;
		r->body.max = (st >= 200 && st < 300) ? (x->req->body_max ? x->req->body_max : WN__JSON_MAX)
		                                      : WN__ERRBODY_MAX;
		x->got_status = true;
		return n;
	}
	keep(&r->content_type, header_value(p, n, "Content-Type"));
	keep(&r->docker_digest, header_value(p, n, "Docker-Content-Digest"));
	keep(&r->location, header_value(p, n, "Location"));
	keep(&r->link, header_value(p, n, "Link"));
	if ((v = header_value(p, n, "WWW-Authenticate"))) {
		/* every line, in order: the first usable challenge wins, not the last line */
		char *all = r->www_authenticate ? wn__sprintf("%s\n%s", r->www_authenticate, v) : v;
		if (all != v)
			free(v);
		if (all) {
			free(r->www_authenticate);
			r->www_authenticate = all;
		}
	}
	keep(&r->range, header_value(p, n, "Range"));
	if ((v = header_value(p, n, "Content-Length"))) {
		r->content_length = parse_count(v);
		free(v);
	}
	if ((v = header_value(p, n, "Retry-After"))) {
		r->retry_after = parse_retry_after(v);
		free(v);
	}
	/* headers a vendor API's caller asked for (its own rate-limit headers) */
	for (size_t i = 0; x->req->keep_headers && x->req->keep_headers[i]; i++) {
		if (!(v = header_value(p, n, x->req->keep_headers[i])))
			continue;
		if (!r->kept) {
			size_t k = i + 1;
			while (x->req->keep_headers[k])
				k++;
			if (!(r->kept = calloc(k, sizeof *r->kept))) {
				free(v);
				return 0;
			}
			r->n_kept = k;
		}
		keep(&r->kept[i], v);
	}
	static const char *const rl_names[] = { "ratelimit-limit", "ratelimit-remaining", "ratelimit-reset",
		                                    "docker-ratelimit-source" };
	for (size_t i = 0; i < sizeof rl_names / sizeof *rl_names; i++)
		if ((v = header_value(p, n, rl_names[i]))) {
			wn__ratelimit_header(&r->ratelimit, rl_names[i], v);
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
	if (st >= 300 && st < 400) {
		/* redirect bodies are noise; an endless one is cut (the redirect still counts) */
		x->noise += n;
		if (x->noise > WN__ERRBODY_MAX) {
			x->overflow = true;
			return 0;
		}
		return n;
	}
	if (wn__buf_append(&x->resp->body, p, n) != WN_OK)
		return 0;
	if (x->resp->body.overflow) {
		/* past its cap: the first max bytes are kept, the rest is never read */
		x->overflow = true;
		return 0;
	}
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
			                                      "Set-Cookie:", "X-Amz-Security-Token:" };
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

static bool ip_is_loopback(const char *ip)
{
	struct in_addr a4;
	struct in6_addr a6;
	if (inet_pton(AF_INET, ip, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, ip, &a6) == 1)
		return IN6_IS_ADDR_LOOPBACK(&a6) || (IN6_IS_ADDR_V4MAPPED(&a6) && a6.s6_addr[12] == 127);
	return false;
}

/* Docker's rule (moby registry/config.go: "::1/128" and "127.0.0.0/8" are
 * insecure registries by default): the name must be localhost exactly or a
 * loopback literal.  "localhost.evil.example" and "127.evil.example" are not. */
bool wn__host_is_loopback(const char *hp)
{
	char host[256];
	const char *end;
	if (*hp == '[') {
		if (!(end = strchr(++hp, ']')))
			return false;
	} else {
		end = strchr(hp, ':');
		if (!end || strchr(end + 1, ':'))
			end = hp + strlen(hp); /* no port, or a bare IPv6 literal */
	}
	if ((size_t)(end - hp) >= sizeof host)
		return false;
	memcpy(host, hp, (size_t)(end - hp));
	host[end - hp] = 0;
	return !strcasecmp(host, "localhost") || ip_is_loopback(host);
}

/* Would libcurl send an https request through a proxy? (It reads these.) */
static bool https_proxy_set(void)
{
	static const char *const vars[] = { "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY" };
	for (size_t i = 0; i < sizeof vars / sizeof *vars; i++) {
		const char *v = getenv(vars[i]);
		if (v && *v)
			return true;
	}
	return false;
}

/* Plain HTTP that only the loopback rule allows: checked on the address the
 * connection really went to, just before the request is sent. */
static int on_prereq(void *data, char *ip, char *local_ip, int port, int local_port)
{
	struct xfer *x = data;
	if (ip && ip_is_loopback(ip))
		return CURL_PREREQFUNC_OK;
	x->guard_failed = true;
	snprintf(x->primary_ip, sizeof x->primary_ip, "%s", ip ? ip : "?");
	return CURL_PREREQFUNC_ABORT;
}

static CURLU *url_parse(const char *url)
{
	CURLU *u = curl_url();
	if (u && curl_url_set(u, CURLUPART_URL, url, 0)) {
		curl_url_cleanup(u);
		u = NULL;
	}
	return u;
}

/* host[:port] of a URL as written (the port only when given); caller frees. */
static char *url_hostport(const char *url)
{
	CURLU *u = url_parse(url);
	char *host = NULL, *port = NULL, *out = NULL;
	if (u && !curl_url_get(u, CURLUPART_HOST, &host, 0)) {
		curl_url_get(u, CURLUPART_PORT, &port, 0);
		out = port ? wn__sprintf("%s:%s", host, port) : strdup(host);
	}
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	return out;
}

bool wn__url_same_origin(const char *a, const char *b)
{
	CURLU *ua = a ? url_parse(a) : NULL, *ub = b ? url_parse(b) : NULL;
	char *sa = NULL, *sb = NULL, *ha = NULL, *hb = NULL, *pa = NULL, *pb = NULL;
	bool same = ua && ub && !curl_url_get(ua, CURLUPART_SCHEME, &sa, 0) &&
	            !curl_url_get(ub, CURLUPART_SCHEME, &sb, 0) && !curl_url_get(ua, CURLUPART_HOST, &ha, 0) &&
	            !curl_url_get(ub, CURLUPART_HOST, &hb, 0) &&
	            !curl_url_get(ua, CURLUPART_PORT, &pa, CURLU_DEFAULT_PORT) &&
	            !curl_url_get(ub, CURLUPART_PORT, &pb, CURLU_DEFAULT_PORT) && !strcasecmp(sa, sb) &&
	            !strcasecmp(ha, hb) && !strcmp(pa, pb);
	curl_free(sa);
	curl_free(sb);
	curl_free(ha);
	curl_free(hb);
	curl_free(pa);
	curl_free(pb);
	curl_url_cleanup(ua);
	curl_url_cleanup(ub);
	return same;
}

int wn__url_ref(struct wn_ctx *ctx, const char *base, const char *ref, const char *what, char **out)
{
	CURLU *u = base ? url_parse(base) : NULL;
	char *scheme = NULL, *user = NULL, *pass = NULL, *s = NULL;
	int rc = WN_OK;
	*out = NULL;
	if (!u)
		return wn__ctx_fail(ctx, WN_EPROTO, "%s: no URL to resolve \"%.100s\" against", what, ref);
	/* RFC 3986 4.2: a relative path whose first segment has a colon is not a
	 * reference ("@host:port/..." is what an attacker sends to be glued on) */
	size_t sch = strspn(ref, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+.-");
	bool has_scheme = sch && isalpha((unsigned char)ref[0]) && ref[sch] == ':';
	if (!has_scheme && !strchr("/?#", ref[0]) && memchr(ref, ':', strcspn(ref, "/?#"))) {
		curl_url_cleanup(u);
		return wn__ctx_fail(ctx, WN_EPROTO, "%s: \"%.100s\" is not a valid URL reference", what, ref);
	}
	/* curl's URL API resolves a relative reference against the URL it holds */
	CURLUcode uc = curl_url_set(u, CURLUPART_URL, ref, CURLU_NON_SUPPORT_SCHEME);
	if (uc || curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) || curl_url_get(u, CURLUPART_URL, &s, 0))
		rc = wn__ctx_fail(ctx, WN_EPROTO, "%s: \"%.100s\" is not a valid URL", what, ref);
	else if (strcasecmp(scheme, "http") && strcasecmp(scheme, "https"))
		rc = wn__ctx_fail(ctx, WN_EPROTO, "%s: \"%.100s\" is not an http(s) URL", what, ref);
	else if (curl_url_get(u, CURLUPART_USER, &user, 0) != CURLUE_NO_USER ||
	         curl_url_get(u, CURLUPART_PASSWORD, &pass, 0) != CURLUE_NO_PASSWORD)
		/* user info would turn a host into a "user" and send the request elsewhere */
		rc = wn__ctx_fail(ctx, WN_EPROTO, "%s: refusing \"%.100s\": it carries user info", what, ref);
	else if (!(*out = strdup(s)))
		rc = wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
	curl_free(scheme);
	curl_free(user);
	curl_free(pass);
	curl_free(s);
	curl_url_cleanup(u);
	return rc;
}

static bool is_absolute(const char *p)
{
	return !strncasecmp(p, "http://", 7) || !strncasecmp(p, "https://", 8);
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
		return retry_after * 1000L; /* the caller refuses more than WN__RETRY_AFTER_MAX */
	const char *base_env = getenv("WINCH_RETRY_BASE_MS");
	long base = base_env ? strtol(base_env, NULL, 10) : 250;
	if (base < 0 || base > 60000)
		base = 250;
	long ms = base << attempt;
	return ms + (base ? rand() % (base + 1) : 0); /* jitter: clients retrying together spread out */
}

static bool idempotent(const char *m)
{
	return strcmp(m, "POST") && strcmp(m, "PATCH");
}

/* What one attempt sends beyond the request itself. */
struct hop {
	const char *url, *method, *auth;
	bool registry_host;          /* on the registry's origin: logged in full */
	const struct wn__tls *ca1, *ca2; /* CAs to trust on top of the system's (either may be NULL) */
	const struct wn__tls *client;    /* whose client certificate to present */
	bool small;                  /* the total deadline applies */
	bool loopback_only;          /* plain HTTP allowed only to a loopback address */
};

/* One attempt on one URL. Returns the CURLcode. */
static CURLcode perform(struct wn_ctx *ctx, struct xfer *x, const struct hop *hp)
{
	CURL *c = ctx->curl;
	const struct wn__req *req = x->req;
	const char *method = hp->method;
	struct curl_slist *hdrs = NULL;
	char *authz = NULL, *cas = NULL;
	CURLcode cc;

	curl_easy_reset(c);
	resp_reset(x->resp);
	x->header_bytes = 0;
	x->headers_too_large = x->got_status = x->overflow = x->guard_failed = x->connected = x->http10 = false;
	x->noise = 0;
	x->primary_ip[0] = x->errbuf[0] = 0;
	curl_easy_setopt(c, CURLOPT_URL, hp->url);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, x->errbuf);
	curl_easy_setopt(c, CURLOPT_USERAGENT, ctx->user_agent);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	/* time limits: connecting, stalls (every transfer), and a total deadline
	 * for small requests only: a 5 GB layer takes as long as it takes */
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, ctx->opt.connect_timeout_ms);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, STALL_SPEED);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, (ctx->opt.stall_timeout_ms + 999) / 1000);
	if (hp->small)
		curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, ctx->opt.request_timeout_ms);
	curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
	/* a proxy's CONNECT answer is not the server's: keep it out of the response */
	curl_easy_setopt(c, CURLOPT_SUPPRESS_CONNECT_HEADERS, 1L);
	curl_easy_setopt(c, CURLOPT_HTTP_VERSION, ctx->opt.http2 ? CURL_HTTP_VERSION_2TLS : CURL_HTTP_VERSION_1_1);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, x);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, x);
	if (ctx->opt.cancel || ctx->cancel_also) {
		curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
		curl_easy_setopt(c, CURLOPT_XFERINFODATA, x);
		curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	}
	if (hp->loopback_only) {
		/* straight to the registry (Go's net/http never proxies loopback
		 * either), and only if the address it resolved to is this machine's */
		curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
		curl_easy_setopt(c, CURLOPT_PREREQFUNCTION, on_prereq);
		curl_easy_setopt(c, CURLOPT_PREREQDATA, x);
	}
	if (ctx->opt.log_level >= WN_LOG_TRACE) {
		curl_easy_setopt(c, CURLOPT_DEBUGFUNCTION, on_debug);
		curl_easy_setopt(c, CURLOPT_DEBUGDATA, ctx);
		curl_easy_setopt(c, CURLOPT_VERBOSE, 1L);
	}
	if (!ctx->opt.tls_verify) {
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
	} else {
		const struct wn__tls *t1 = hp->ca1 ? hp->ca1 : hp->ca2, *t2 = hp->ca1 ? hp->ca2 : NULL;
		if (t1 && t1->ca_path) {
			curl_easy_setopt(c, CURLOPT_CAINFO, NULL);
			curl_easy_setopt(c, CURLOPT_CAPATH, t1->ca_path);
		}
		const char *blob = t1 ? t1->ca_blob : NULL;
		size_t blen = t1 ? t1->ca_len : 0;
		if (t2 && t2->ca_blob && blob) {
			/* the registry's CAs and the target host's: one bundle */
			if ((cas = malloc(blen + t2->ca_len))) {
				memcpy(cas, blob, blen);
				memcpy(cas + blen, t2->ca_blob, t2->ca_len);
				blob = cas;
				blen += t2->ca_len;
			}
		} else if (t2 && t2->ca_blob) {
			blob = t2->ca_blob;
			blen = t2->ca_len;
		}
		if (blob) {
			struct curl_blob b = { (void *)blob, blen, CURL_BLOB_COPY };
			curl_easy_setopt(c, CURLOPT_CAINFO_BLOB, &b);
		}
	}
	if (hp->client && hp->client->client_cert) {
		curl_easy_setopt(c, CURLOPT_SSLCERT, hp->client->client_cert);
		curl_easy_setopt(c, CURLOPT_SSLKEY, hp->client->client_key);
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
	if (hp->auth) {
		authz = wn__sprintf("Authorization: %s", hp->auth);
		hdrs = curl_slist_append(hdrs, authz);
	}
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);

	log_url(ctx, method, hp->url, hp->registry_host);
	__atomic_fetch_add(&ctx->sh->requests, 1, __ATOMIC_RELAXED);
	cc = curl_easy_perform(c);
	char *ip = NULL;
	curl_off_t connect_us = 0;
	long version = 0;
	if (!x->guard_failed && !curl_easy_getinfo(c, CURLINFO_PRIMARY_IP, &ip) && ip)
		snprintf(x->primary_ip, sizeof x->primary_ip, "%s", ip);
	curl_easy_getinfo(c, CURLINFO_CONNECT_TIME_T, &connect_us);
	x->connected = connect_us > 0 || x->got_status;
	curl_easy_getinfo(c, CURLINFO_HTTP_VERSION, &version);
	x->http10 = version == CURL_HTTP_VERSION_1_0;
	if (cc == CURLE_OK) {
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &x->resp->status);
		wn__log(ctx, WN_LOG_DEBUG, "  -> %ld%s%s", x->resp->status, x->resp->content_type ? " " : "",
		        x->resp->content_type ? x->resp->content_type : "");
	} else {
		wn__log(ctx, WN_LOG_DEBUG, "  -> %s%s%s", curl_easy_strerror(cc), x->errbuf[0] ? ": " : "", x->errbuf);
	}
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, NULL);
	curl_slist_free_all(hdrs);
	wn__free_secret(authz);
	free(cas);
	return cc;
}

static int curl_fail(struct wn_ctx *ctx, const struct xfer *x, CURLcode cc, const char *url)
{
	char *hp = url_hostport(url);
	const char *h = hp ? hp : url;
	long stall = (ctx->opt.stall_timeout_ms + 999) / 1000;
	int rc;
	if (x->headers_too_large || (cc == CURLE_OUT_OF_MEMORY && x->connected)) {
		/* libcurl says "out of memory" for one header line over 100 KiB */
		rc = wn__ctx_fail(ctx, WN_EPROTO, "the response headers from %s are too large (over %u KiB, or one "
		                  "line over 100 KiB)", h, WN__HEADERS_MAX >> 10);
		goto done;
	}
	if (x->guard_failed) {
		rc = wn__ctx_fail(ctx, WN_ENET, "network: refusing plain HTTP to %s: it resolved to %s, which is not "
		                  "this machine (only loopback registries fall back from HTTPS; --plain-http asks for it)",
		                  h, x->primary_ip);
		goto done;
	}
	switch (cc) {
	case CURLE_PEER_FAILED_VERIFICATION:
		if (ctx->cert_dir)
			rc = wn__ctx_fail(ctx, WN_ETLS,
			                  "tls: the certificate of %s is not trusted by the CAs in --cert-dir %s nor the "
			                  "system's (--tls-verify=false skips the check)", h, ctx->cert_dir);
		else
			rc = wn__ctx_fail(ctx, WN_ETLS,
			                  "tls: the certificate of %s is not trusted (put its CA in "
			                  "/etc/docker/certs.d/%s/ca.crt or use --cert-dir; --tls-verify=false skips the "
			                  "check)", h, h);
		break;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CLIENTCERT:
		rc = wn__ctx_fail(ctx, WN_ETLS, "tls: handshake with %s failed: %s", h,
		                  x->errbuf[0] ? x->errbuf : curl_easy_strerror(cc));
		break;
	case CURLE_COULDNT_RESOLVE_HOST:
		rc = wn__ctx_fail(ctx, WN_ENET, "network: cannot resolve host %s", h);
		break;
	case CURLE_COULDNT_CONNECT:
		rc = wn__ctx_fail(ctx, WN_ENET, "network: cannot connect to %s (is the registry running?)", h);
		break;
	case CURLE_OPERATION_TIMEDOUT:
		if (!x->connected)
			rc = wn__ctx_fail(ctx, WN_ENET, "network: cannot connect to %s within %ld s", h,
			                  (ctx->opt.connect_timeout_ms + 999) / 1000);
		else if (strstr(x->errbuf, "too slow"))
			rc = wn__ctx_fail(ctx, WN_ENET, "network: %s stalled: less than 1 KiB/s for %ld s (--timeout)", h,
			                  stall);
		else
			rc = wn__ctx_fail(ctx, WN_ENET, "network: %s %s within %ld s (--timeout)", h,
			                  x->got_status ? "did not finish its answer" : "did not answer",
			                  (ctx->opt.request_timeout_ms + 999) / 1000);
		break;
	default:
		rc = wn__ctx_fail(ctx, WN_ENET, "network: request to %s failed: %s", h,
		                  x->errbuf[0] ? x->errbuf : curl_easy_strerror(cc));
	}
done:
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

/* A 401 or 403 to credentials: are they renewed now (a fresh token, a
 * helper's new password), so that the request is worth sending again?
 * Not for a 401 asking for a scope the credentials do not have. */
static bool renewed(struct wn_ctx *ctx, const struct wn__req *req, const struct wn__resp *resp, const char *auth)
{
	struct wn_error saved = ctx->err;
	bool ok;
	if (resp->status == 403)
		return wn__auth_on_denied(ctx, req->registry, req->scope, auth) == WN_OK;
	struct wn__challenge ch;
	struct wn_error err;
	if (wn__challenge_parse(&ch, resp->www_authenticate, &err) != WN_OK)
		return false;
	ok = !(ch.error && !strcmp(ch.error, "insufficient_scope"));
	wn__challenge_free(&ch);
	ok = ok && wn__auth_on_401(ctx, req->registry, req->scope, resp->www_authenticate, true) == WN_OK;
	ctx->err = saved;
	return ok;
}

/* Did a TLS server answer a plain-HTTP request?  Go's net/http (the
 * distribution registry) answers a bare "HTTP/1.0 400" with "Client sent an
 * HTTP request to an HTTPS server.", nginx a 400 page saying "The plain HTTP
 * request was sent to HTTPS port". */
static bool tls_port_answer(const struct xfer *x, const char *url, const char *method)
{
	const struct wn__resp *r = x->resp;
	if (r->status != 400 || strncasecmp(url, "http://", 7))
		return false;
	if (r->body.data && (memmem(r->body.data, r->body.len, "Client sent an HTTP request to an HTTPS server", 45) ||
	                     memmem(r->body.data, r->body.len, "The plain HTTP request was sent to HTTPS port", 45)))
		return true;
	/* a HEAD reads no body: Go's answer is the only 1.0 one, and has no headers */
	return !strcmp(method, "HEAD") && x->http10 && !r->content_type && r->content_length < 0;
}

/* Is the kept header `name` (req->keep_headers) there with this value? */
static bool kept_is(const struct wn__req *req, const struct wn__resp *resp, const char *name, const char *value)
{
	for (size_t i = 0; i < resp->n_kept; i++)
		if (!strcasecmp(req->keep_headers[i], name))
			return resp->kept[i] && !strcmp(resp->kept[i], value);
	return false;
}

static void say_wait(struct wn_ctx *ctx, const char *url, const char *method, long st, long ms, long retry_after,
                     int retry)
{
	char *h = url_hostport(url);
	char dur[32];
	if (ms < 1000)
		snprintf(dur, sizeof dur, "%ld ms", ms);
	else
		snprintf(dur, sizeof dur, "%ld s", (ms + 999) / 1000);
	/* a rate limit or a long wait is worth a line even without -v; -q hides it */
	wn__log(ctx, st == 429 || ms >= 5000 ? WN_LOG_WARN : WN_LOG_INFO,
	        "%s answered %ld%s: waiting %s%s before sending %s %.*s again (retry %d of %d)", h ? h : "the server",
	        st, st == 429 ? " (too many requests)" : "", dur, retry_after >= 0 ? " as its Retry-After asks" : "",
	        method, (int)strcspn(url, "?"), url, retry, MAX_RETRIES);
	free(h);
}

int wn__http_do(struct wn_ctx *ctx, const struct wn__req *req, struct wn__resp *resp)
{
	struct xfer x;
	struct wn__host *host = NULL;
	const struct wn__tls *reg_tls = NULL;
	char *url = NULL, *first = NULL, *reg_origin = NULL, *auth = NULL;
	const char *method = req->method;
	const char *api = req->registry ? wn__registry_api_host(req->registry) : NULL;
	int rc = WN_OK, retries = 0, auth_retries = 0, redirects = 0;
	bool absolute = is_absolute(req->path), left = false, reg_same = false;
	bool small = !req->sink && !req->reader && !req->stream;

	memset(&x, 0, sizeof x);
	x.ctx = ctx;
	x.req = req;
	x.resp = resp;
	memset(resp, 0, sizeof *resp);
	resp_reset(resp);
	/* a path is glued after the registry's host: it must be one (a reference
	 * from the network is resolved by wn__url_ref first) */
	if (!absolute && (req->path[0] != '/' || !req->registry))
		return wn__ctx_fail(ctx, WN_EINVAL, "internal: \"%.100s\" is neither a registry path nor a URL", req->path);
	if (req->registry) {
		if (!(host = wn__ctx_host(ctx, req->registry)))
			return wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
		if ((rc = wn__tls_get(ctx, api, &reg_tls)) != WN_OK)
			return rc;
		wn__lock(ctx);
		if (!host->scheme_known)
			host->scheme_known = ctx->opt.plain_http ? 2 : 1;
		wn__unlock(ctx);
	}

	for (;;) {
		if ((rc = wn__check_cancel(ctx)) != WN_OK)
			goto done;
		if (!url) {
			/* the first URL: credentials belong to its origin */
			int scheme = 0;
			if (host) {
				wn__lock(ctx);
				scheme = host->scheme_known;
				wn__unlock(ctx);
			}
			const char *sch = scheme == 2 ? "http" : "https";
			url = absolute ? strdup(req->path) : wn__sprintf("%s://%s%s", sch, api, req->path);
			free(first);
			free(reg_origin);
			first = url ? strdup(url) : NULL;
			reg_origin = api ? wn__sprintf("%s://%s/", sch, api) : NULL;
			if (!url || !first || (api && !reg_origin)) {
				rc = wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
				goto done;
			}
		}
		/* Credentials go to the origin (scheme, host, port) of the first URL,
		 * and never again once a redirect chain left it: A -> B -> A must not
		 * let B pick the path A receives them on. */
		bool same_first = !left && wn__url_same_origin(url, first);
		reg_same = req->registry && same_first && wn__url_same_origin(url, reg_origin);
		wn__free_secret(auth);
		auth = NULL;
		if (reg_same && !req->no_auth)
			auth = wn__auth_header(ctx, req->registry, req->scope);
		if (req->authorization && same_first) {
			wn__free_secret(auth);
			auth = strdup(req->authorization);
		}
		if (req->basic_user && same_first) {
			char *up = wn__sprintf("%s:%s", req->basic_user, req->basic_pass ? req->basic_pass : "");
			char *b = up ? wn__b64_encode(up, strlen(up)) : NULL;
			wn__free_secret(up);
			wn__free_secret(auth);
			auth = b ? wn__sprintf("Basic %s", b) : NULL;
			wn__free_secret(b);
		}
		/* CAs: the registry's and the host's own (a token server or a
		 * redirect target under the same private CA); its client certificate */
		const struct wn__tls *tgt = NULL;
		char *hp = url_hostport(url);
		if (hp && (!api || strcasecmp(hp, api)) && (rc = wn__tls_get(ctx, hp, &tgt)) != WN_OK) {
			free(hp);
			goto done;
		}
		free(hp);
		struct hop h = {
			.url = url, .method = method, .auth = auth, .registry_host = reg_same,
			.ca1 = reg_tls, .ca2 = tgt, .client = tgt ? tgt : reg_tls, .small = small,
			/* plain HTTP to a registry that only the loopback rule allows */
			.loopback_only = reg_same && !ctx->opt.plain_http && !strncasecmp(url, "http://", 7),
		};

		CURLcode cc = perform(ctx, &x, &h);
		if (req->delivered)
			*req->delivered = x.delivered;
		if (cc == CURLE_WRITE_ERROR && x.overflow)
			cc = CURLE_OK; /* the answer is what arrived up to the cap */
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
			/* a loopback registry that does not speak TLS: plain HTTP, as docker
			 * does.  Loopback by name (localhost, 127.0.0.0/8, ::1), or a name
			 * whose address (connected to directly, not through a proxy) was one;
			 * the plain requests then check the address again (loopback_only).
			 * Keyed on the URL tried, not the shared state: parallel requests may
			 * all have tried https before the first of them learned otherwise. */
			if (cc == CURLE_SSL_CONNECT_ERROR && reg_same && !absolute && !redirects && !ctx->opt.plain_http &&
			    !strncasecmp(url, "https://", 8) &&
			    (wn__host_is_loopback(api) ||
			     (!https_proxy_set() && x.primary_ip[0] && ip_is_loopback(x.primary_ip)))) {
				wn__log(ctx, WN_LOG_DEBUG, "%s does not speak TLS: using plain HTTP", api);
				wn__lock(ctx);
				host->scheme_known = 2;
				wn__unlock(ctx);
				free(url);
				url = NULL;
				continue;
			}
			/* a timeout after the answer began (a server that drips) is not
			 * worth waiting for again */
			if (retryable_curl(cc) && retries < MAX_RETRIES && !x.delivered && !x.consumed && idempotent(method) &&
			    !x.headers_too_large && !(cc == CURLE_OPERATION_TIMEDOUT && x.got_status)) {
				wn__sleep_ms(ctx, backoff_ms(retries++, -1));
				continue;
			}
			rc = curl_fail(ctx, &x, cc, url);
			goto done;
		}

		long st = resp->status;
		if (resp->ratelimit.set) {
			/* the registry's, or the host a redirect led to */
			char *rh = req->registry && !left ? NULL : url_hostport(url);
			wn__ratelimit_note(ctx, rh ? rh : req->registry, &resp->ratelimit);
			free(rh);
		}
		if (x.consumed) {
			/* a streamed body cannot be sent again: the caller resumes (blob.c
			 * starts an upload again on WN_ENET).  Credentials that expired while
			 * it was on its way (a long push outliving ECR's password or a token)
			 * are renewed first, and the caller is told to send it again. */
			if ((st == 401 || st == 403) && reg_same && auth && !req->no_auth && !req->basic_user &&
			    renewed(ctx, req, resp, auth)) {
				rc = wn__ctx_fail(ctx, WN_ENET, "%s refused the credentials (%ld) while the body of %s was on its "
				                  "way; they were renewed: it is to be sent again", req->registry, st, method);
				goto done;
			}
			break;
		}
		if (st >= 300 && st < 400 && st != 304 && resp->location) {
			char *next = NULL;
			if ((rc = wn__url_ref(ctx, url, resp->location, "a redirect", &next)) != WN_OK)
				goto done;
			if (++redirects > MAX_REDIRECTS) {
				free(next);
				rc = wn__ctx_fail(ctx, WN_EPROTO, "too many redirects from %s", first);
				goto done;
			}
			if (!left && !wn__url_same_origin(next, first))
				left = true;
			wn__log(ctx, WN_LOG_DEBUG, "  redirect to %s", left ? "another origin (without credentials)"
			                                                    : "the same origin");
			free(url);
			url = next;
			if (st == 303 || ((st == 301 || st == 302) && !strcmp(method, "POST")))
				method = "GET";
			continue;
		}
		if (st == 401 && reg_same && !req->no_auth && !req->basic_user && auth_retries < MAX_AUTH_RETRIES) {
			int arc = wn__auth_on_401(ctx, req->registry, req->scope, resp->www_authenticate, auth != NULL);
			auth_retries++;
			if (arc == WN_OK)
				continue;
			rc = arc;
			goto done;
		}
		/* a 403 to Basic credentials: ECR's answer to an expired password
		 * (403 DENIED "Your authorization token has expired"): read them
		 * again, and send the request again when they changed */
		if (st == 403 && reg_same && auth && !req->no_auth && !req->basic_user && auth_retries < MAX_AUTH_RETRIES &&
		    wn__auth_on_denied(ctx, req->registry, req->scope, auth) == WN_OK) {
			auth_retries++;
			continue;
		}
		if (tls_port_answer(&x, url, method)) {
			char *h2 = url_hostport(url);
			rc = wn__ctx_fail(ctx, WN_ETLS, "tls: %s speaks HTTPS, not plain HTTP%s", h2 ? h2 : url,
			                  ctx->opt.plain_http ? " (leave out --plain-http)" : "");
			free(h2);
			goto done;
		}
		/* a body past its cap is not asked for again; nor is a wait longer
		 * than winch is willing to sleep (wn__http_fail says when to retry) */
		/* nor a spent quota that says so (remaining 0, no Retry-After: Docker
		 * Hub's pull limit, which seconds of waiting do not bring back), nor
		 * an optional API's probe */
		bool spent = st == 429 && resp->retry_after < 0 &&
		             (resp->ratelimit.remaining == 0 || kept_is(req, resp, "X-RateLimit-Remaining", "0"));
		if (retryable_status(st) && !x.overflow && retries < MAX_RETRIES && !x.delivered && !spent && !req->probe &&
		    (idempotent(method) || st == 429) && resp->retry_after <= WN__RETRY_AFTER_MAX) {
			long ms = backoff_ms(retries++, resp->retry_after);
			say_wait(ctx, url, method, st, ms, resp->retry_after, retries);
			wn__sleep_ms(ctx, ms);
			continue;
		}
		break;
	}
	if (resp->status == 401 && reg_same && auth && !req->basic_user) {
		rc = rejected(ctx, req, resp);
		goto done;
	}
	resp->foreign = left;
	resp->effective_url = url;
	url = NULL;
done:
	if (rc != WN_OK)
		wn__resp_free(resp); /* on failure the caller has nothing to free */
	free(url);
	free(first);
	free(reg_origin);
	wn__free_secret(auth);
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
	case 429: {
		char when[384] = "";
		if (resp->retry_after >= 0) {
			time_t t = time(NULL) + resp->retry_after;
			struct tm tm;
			char ts[32] = "?";
			if (gmtime_r(&t, &tm))
				strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
			snprintf(when, sizeof when, "; retry after %s (Retry-After: %ld s%s)", ts, resp->retry_after,
			         resp->retry_after > WN__RETRY_AFTER_MAX ? ", longer than winch waits" : "");
		} else {
			/* no Retry-After: what the rate-limit headers say of the quota */
			wn__ratelimit_when(when, sizeof when, &resp->ratelimit, resp->retry_after);
		}
		return wn__ctx_fail(ctx, WN_ERATELIMIT, "rate limited: too many requests for %s%s%s", what, extra, when);
	}
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

/*
 * auth.c: WWW-Authenticate challenges and the token dance.
 *
 * Per registry the context remembers the scheme it learned (Basic or Bearer,
 * with realm and service) and the tokens it was given, keyed by scope, until
 * they expire.  Once the scheme is known, requests carry credentials from the
 * start, so a run pays the 401 round trip once per registry, not per request,
 * and asks the token server once per scope.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include "internal.h"

enum { SCHEME_UNKNOWN, SCHEME_NONE, SCHEME_BASIC, SCHEME_BEARER };

#define TOKEN_LIFETIME_DEFAULT 60     /* seconds, when the token server does not say */
#define TOKEN_LIFETIME_MAX     86400  /* longer lifetimes are taken as a day: asked again then */

struct token {
	char *scope;     /* space-separated scopes it was granted for ("" for none) */
	char *value;     /* secret */
	time_t expires;
	struct token *next;
};

struct wn__auth_state {
	int scheme;
	char *realm;
	char *service;
	struct token *tokens;
};

static void tokens_free(struct token *t)
{
	while (t) {
		struct token *n = t->next;
		free(t->scope);
		wn__free_secret(t->value);
		free(t);
		t = n;
	}
}

void wn__auth_state_free(struct wn__auth_state *st)
{
	if (!st)
		return;
	free(st->realm);
	free(st->service);
	tokens_free(st->tokens);
	free(st);
}

void wn__challenge_free(struct wn__challenge *c)
{
	free(c->realm);
	free(c->service);
	free(c->scope);
	free(c->error);
	memset(c, 0, sizeof *c);
}

/*
 * Challenges (RFC 7235 2.1, 4.1):
 *   WWW-Authenticate = 1#challenge        (one or more header lines)
 *   challenge  = auth-scheme [ 1*SP ( token68 / #auth-param ) ]
 *   auth-param = token BWS "=" BWS ( token / quoted-string )
 * A header line may hold several challenges: a new one starts at a token
 * followed by a space and not by "=".  distribution's, go-containerregistry's
 * and containers/image's parsers take one challenge per line and drop the
 * rest of a line; winch reads them all, in header order, and uses the first
 * Basic or Bearer one, as containers/image's setupRequestAuth does: schemes
 * it does not speak (Negotiate, NTLM) are skipped, and a later challenge is
 * never preferred to an earlier usable one (its realm may be another host).
 */

static bool is_tchar(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

static bool is_token68_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("-._~+/", c));
}

static const char *skip_ws(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

#define PARAM_MAX 4096  /* a realm, service or scope longer than this is no registry's */

/* auth-param value: a token or a quoted-string with \-escapes.  NULL when
 * the quote is not closed, or (*too_long) the value passes PARAM_MAX. */
static char *read_value(const char **pp, bool *too_long)
{
	const char *p = *pp;
	struct wn__buf b = { .max = PARAM_MAX };
	if (*p == '"') {
		for (p++; *p && *p != '"' && *p != '\n'; p++) {
			if (*p == '\\' && p[1] && p[1] != '\n')
				p++;
			wn__buf_append(&b, p, 1);
		}
		if (*p != '"') {
			wn__buf_free(&b);
			return NULL;
		}
		p++;
	} else {
		const char *s = p;
		while (*p && *p != ',' && *p != ' ' && *p != '\t' && *p != '\n')
			p++;
		wn__buf_append(&b, s, (size_t)(p - s));
	}
	*too_long = b.overflow;
	if (b.overflow || wn__buf_cstr(&b) != WN_OK) {
		wn__buf_free(&b);
		return NULL;
	}
	*pp = p;
	return b.data ? (char *)b.data : strdup("");
}

/* Is p at "token BWS =" followed by a value (an auth-param), rather than at
 * a token68 or a new challenge's scheme? */
static bool at_param(const char *p)
{
	const char *q = p;
	while (is_tchar(*q))
		q++;
	if (q == p)
		return false;
	q = skip_ws(q);
	if (*q != '=')
		return false;
	q = skip_ws(q + 1);
	return *q && *q != '=' && *q != ',' && *q != '\n';
}

/* Keeps the auth-params winch uses; every "scope" is kept, space-joined. */
static int keep_param(struct wn__challenge *out, const char *name, size_t nl, char *v)
{
	char **slot = NULL;
	if (nl == 5 && !strncasecmp(name, "realm", 5))
		slot = &out->realm;
	else if (nl == 7 && !strncasecmp(name, "service", 7))
		slot = &out->service;
	else if (nl == 5 && !strncasecmp(name, "scope", 5))
		slot = &out->scope;
	else if (nl == 5 && !strncasecmp(name, "error", 5))
		slot = &out->error;
	if (slot && !*slot) {
		*slot = v;
		return WN_OK;
	}
	if (slot == &out->scope) {
		char *joined = wn__sprintf("%s %s", *slot, v);
		free(v);
		if (!joined)
			return WN_ENOMEM;
		free(*slot);
		*slot = joined;
		return WN_OK;
	}
	free(v); /* a repeated realm, service or error: the first counts */
	return WN_OK;
}

/* A token realm is where credentials go: an absolute http(s) URL with a
 * host, nothing else.  Without the check a realm of "https:///evil:80/t"
 * would be libcurl's host "evil", and a relative one would be a guess. */
static bool realm_ok(const char *realm)
{
	size_t sl = !strncasecmp(realm, "https://", 8) ? 8 : !strncasecmp(realm, "http://", 7) ? 7 : 0;
	if (!sl)
		return false;
	const char *auth = realm + sl;
	size_t an = strcspn(auth, "/?#");
	/* an empty host, an empty host before a port, or user info (the host would be what follows "@") */
	if (!an || *auth == ':' || memchr(auth, '@', an))
		return false;
	for (const char *c = realm; *c; c++)
		if ((unsigned char)*c <= ' ' || *c == 0x7f)
			return false;
	CURLU *u = curl_url();
	char *host = NULL;
	bool ok = u && !curl_url_set(u, CURLUPART_URL, realm, 0) && !curl_url_get(u, CURLUPART_HOST, &host, 0) &&
	          host && *host;
	curl_free(host);
	curl_url_cleanup(u);
	return ok;
}

int wn__challenge_parse(struct wn__challenge *out, const char *header, struct wn_error *err)
{
	struct wn__challenge cur;
	struct wn__buf skipped = { 0 };
	unsigned n_skipped = 0;
	int rc = WN_OK;
	bool found = false;

	memset(out, 0, sizeof *out);
	memset(&cur, 0, sizeof cur);
	if (!header || !*skip_ws(header))
		return wn__error_set(err, WN_EPROTO, "401 without a WWW-Authenticate challenge");
	/* each pass reads one challenge: its scheme, then its params */
	for (const char *p = header; *p && !found;) {
		while (*p == ' ' || *p == '\t' || *p == ',' || *p == '\n')
			p++;
		if (!*p)
			break;
		const char *s = p;
		while (is_tchar(*p))
			p++;
		size_t n = (size_t)(p - s);
		if (!n || at_param(s) || (*p && *p != ' ' && *p != '\t' && *p != ',' && *p != '\n')) {
			/* not a scheme where one must be: this line is beyond reading, go to the next */
			p += strcspn(p, "\n");
			continue;
		}
		bool usable = (n == 5 && !strncasecmp(s, "basic", 5)) || (n == 6 && !strncasecmp(s, "bearer", 6));
		if (usable) {
			for (size_t i = 0; i < n; i++)
				cur.scheme[i] = (char)tolower((unsigned char)s[i]);
		} else {
			/* named in the error should nothing be usable (the first few) */
			if (++n_skipped <= 4) {
				wn__buf_puts(&skipped, n_skipped > 1 ? ", \"" : "\"");
				for (size_t i = 0; i < n && i < 32; i++) {
					char c = (char)tolower((unsigned char)s[i]);
					wn__buf_append(&skipped, &c, 1);
				}
				wn__buf_puts(&skipped, "\"");
			} else if (n_skipped == 5) {
				wn__buf_puts(&skipped, ", ...");
			}
		}
		p = skip_ws(p);
		if (*p != ',' && *p != '\n' && *p && !at_param(p)) {
			/* token68 (Negotiate's, NTLM's blob): nothing winch reads */
			while (is_token68_char(*p))
				p++;
			while (*p == '=')
				p++;
		}
		/* auth-params until the next challenge (a token not followed by "="), or the line's end */
		for (;;) {
			while (*p == ' ' || *p == '\t' || *p == ',')
				p++;
			if (!*p || *p == '\n' || !at_param(p))
				break;
			const char *name = p;
			while (is_tchar(*p))
				p++;
			size_t nl = (size_t)(p - name);
			p = skip_ws(skip_ws(p) + 1); /* past "=" */
			bool too_long = false;
			char *v = read_value(&p, &too_long);
			if (!v) {
				if (usable) {
					rc = wn__error_set(err, WN_EPROTO, "malformed WWW-Authenticate challenge (%s)",
					                   too_long ? "a value longer than 4096 bytes" : "unterminated quote");
					goto done;
				}
				p += strcspn(p, "\n"); /* a skipped scheme's: the rest of the line is lost */
				break;
			}
			if (!usable) {
				free(v);
				continue;
			}
			if (keep_param(&cur, name, nl, v) != WN_OK) {
				rc = wn__error_set(err, WN_ENOMEM, "out of memory");
				goto done;
			}
		}
		if (usable)
			found = true;
	}
	if (!found) {
		wn__buf_cstr(&skipped);
		rc = skipped.len ? wn__error_set(err, WN_EUNSUPPORTED,
		                                 "unsupported authentication scheme%s %s (winch speaks Basic and Bearer)",
		                                 n_skipped > 1 ? "s" : "", (char *)skipped.data)
		                 : wn__error_set(err, WN_EPROTO, "malformed WWW-Authenticate challenge");
		goto done;
	}
	if (!strcmp(cur.scheme, "bearer")) {
		if (!cur.realm || !*cur.realm) {
			rc = wn__error_set(err, WN_EPROTO, "Bearer challenge without a realm");
			goto done;
		}
		if (!realm_ok(cur.realm)) {
			rc = wn__error_set(err, WN_EPROTO,
			                   "the Bearer realm \"%.300s\" is not an absolute http(s) URL with a host: "
			                   "no token is asked for there", cur.realm);
			goto done;
		}
	}
	*out = cur;
	memset(&cur, 0, sizeof cur);
done:
	wn__challenge_free(&cur);
	wn__buf_free(&skipped);
	return rc;
}

/* Does one "type:name:a,b" scope item in `have` grant every action of `want`? */
static bool item_covers(const char *have, size_t hn, const char *want, size_t wn)
{
	const char *hc = NULL, *wc = NULL;
	for (size_t i = hn; i > 0; i--)
		if (have[i - 1] == ':') {
			hc = have + i - 1;
			break;
		}
	for (size_t i = wn; i > 0; i--)
		if (want[i - 1] == ':') {
			wc = want + i - 1;
			break;
		}
	if (!hc || !wc || hc - have != wc - want || strncmp(have, want, (size_t)(hc - have)))
		return false;
	const char *ha = hc + 1, *he = have + hn, *wa = wc + 1, *we = want + wn;
	while (wa < we) {
		const char *c = memchr(wa, ',', (size_t)(we - wa));
		size_t al = c ? (size_t)(c - wa) : (size_t)(we - wa);
		bool found = false;
		for (const char *h = ha; h < he;) {
			const char *hc2 = memchr(h, ',', (size_t)(he - h));
			size_t hl = hc2 ? (size_t)(hc2 - h) : (size_t)(he - h);
			if ((hl == al && !strncmp(h, wa, al)) || (hl == 1 && *h == '*'))
				found = true;
			h += hl + 1;
		}
		if (!found)
			return false;
		wa += al + 1;
	}
	return true;
}

static bool scope_covers(const char *have, const char *want)
{
	if (!want || !*want)
		return true;
	for (const char *w = want; *w;) {
		size_t wn = strcspn(w, " ");
		bool ok = false;
		for (const char *h = have; *h && !ok;) {
			size_t hn = strcspn(h, " ");
			ok = item_covers(h, hn, w, wn);
			h += hn;
			while (*h == ' ')
				h++;
		}
		if (!ok)
			return false;
		w += wn;
		while (*w == ' ')
			w++;
	}
	return true;
}

/* want + the challenge's scopes, without repeats */
static char *scope_union(const char *a, const char *b)
{
	if (!a || !*a)
		return strdup(b ? b : "");
	if (!b || !*b || scope_covers(a, b))
		return strdup(a);
	if (scope_covers(b, a))
		return strdup(b);
	return wn__sprintf("%s %s", a, b);
}

static struct wn__auth_state *state_for(struct wn_ctx *ctx, const char *registry)
{
	struct wn__host *h = wn__ctx_host(ctx, registry);
	if (!h)
		return NULL;
	if (!h->auth)
		h->auth = calloc(1, sizeof *h->auth);
	return h->auth;
}

static char *basic_header(const char *user, const char *pass)
{
	char *up = wn__sprintf("%s:%s", user, pass ? pass : "");
	char *b = up ? wn__b64_encode(up, strlen(up)) : NULL;
	char *h = b ? wn__sprintf("Basic %s", b) : NULL;
	wn__free_secret(up);
	wn__free_secret(b);
	return h;
}

/* expires_in (seconds) from a token reply: absent, not a number, under a
 * second or absurdly large (2^63 and more do not fit any integer) are
 * clamped rather than converted. */
static long token_lifetime(const cJSON *exp)
{
	if (!cJSON_IsNumber(exp) || !(exp->valuedouble >= 1)) /* NaN fails too */
		return TOKEN_LIFETIME_DEFAULT;
	if (exp->valuedouble >= TOKEN_LIFETIME_MAX)
		return TOKEN_LIFETIME_MAX;
	return (long)exp->valuedouble;
}

/* Is the registry spoken to over plain HTTP (--plain-http, or a loopback one
 * that does not speak TLS)? */
static bool registry_plain(struct wn_ctx *ctx, const char *registry)
{
	struct wn__host *h = wn__ctx_host(ctx, registry);
	return ctx->opt.plain_http || (h && h->scheme_known == 2);
}

/* The realm's host[:port], for messages. */
static char *realm_host(const char *realm)
{
	const char *p = strstr(realm, "://");
	p = p ? p + 3 : realm;
	return strndup(p, strcspn(p, "/?#"));
}

/* Asks the token server for `scope`.  user/pass (may be NULL) override stored creds. */
static int fetch_token(struct wn_ctx *ctx, const char *registry, struct wn__auth_state *st, const char *scope,
                       const char *user, const char *pass, const char *identity_token, const char *source)
{
	struct wn__buf q = { .max = 16384 };
	struct wn__resp resp;
	char *svc = NULL;
	int rc;
	const char *sep = strchr(st->realm, '?') ? "&" : "?";

	if (strncasecmp(st->realm, "http://", 7) && strncasecmp(st->realm, "https://", 8))
		return wn__ctx_fail(ctx, WN_EPROTO, "the token realm of %s is not an http(s) URL: \"%.100s\"", registry,
		                    st->realm);
	/* a registry reached over HTTPS whose realm is plain http:// would have
	 * the credentials cross the network in clear: only to this machine */
	if ((user || identity_token) && !strncasecmp(st->realm, "http://", 7) && !registry_plain(ctx, registry)) {
		char *rh = realm_host(st->realm);
		bool local = rh && wn__host_is_loopback(rh);
		if (!local) {
			rc = wn__ctx_fail(ctx, WN_EAUTH, "unauthorized: the token server of %s is plain http://%s: refusing "
			                  "to send the credentials (from %s) in clear", registry, rh ? rh : "?", source);
			free(rh);
			return rc;
		}
		free(rh);
	}
	svc = st->service ? wn__url_escape(st->service) : NULL;

	if (identity_token) {
		/* OAuth2 refresh-token grant: the token goes in a POST body, never a URL */
		wn__buf_puts(&q, "grant_type=refresh_token&client_id=winch");
		if (svc) {
			wn__buf_puts(&q, "&service=");
			wn__buf_puts(&q, svc);
		}
	} else {
		wn__buf_puts(&q, st->realm);
		if (svc) {
			wn__buf_puts(&q, sep);
			wn__buf_puts(&q, "service=");
			wn__buf_puts(&q, svc);
			sep = "&";
		}
	}
	for (const char *s = scope ? scope : ""; *s;) {
		size_t n = strcspn(s, " ");
		char *one = strndup(s, n), *esc = one ? wn__url_escape(one) : NULL;
		if (esc) {
			wn__buf_puts(&q, identity_token ? "&" : sep);
			wn__buf_puts(&q, "scope=");
			wn__buf_puts(&q, esc);
			sep = "&";
		}
		free(one);
		free(esc);
		s += n;
		while (*s == ' ')
			s++;
	}
	char *rt_esc = NULL;
	if (identity_token) {
		rt_esc = wn__url_escape(identity_token);
		wn__buf_puts(&q, "&refresh_token=");
		wn__buf_puts(&q, rt_esc ? rt_esc : "");
	}
	wn__buf_cstr(&q);
	free(svc);

	static const char *const form_hdr[] = { "Content-Type: application/x-www-form-urlencoded", NULL };
	struct wn__req req = {
		.method = identity_token ? "POST" : "GET",
		/* the registry's TLS sources (certs.d, --cert-dir) apply to its token
		 * server too; its own credentials do not (no_auth) */
		.registry = registry,
		.path = identity_token ? st->realm : (const char *)q.data,
		.headers = identity_token ? form_hdr : NULL,
		.body = identity_token ? q.data : NULL,
		.body_len = identity_token ? q.len : 0,
		.no_auth = true,
		.basic_user = identity_token ? NULL : user,
		.basic_pass = identity_token ? NULL : pass,
		.body_max = 1u << 20,
	};
	wn__log(ctx, WN_LOG_DEBUG, "auth: token for %s scope \"%s\" (%s)", registry, scope ? scope : "",
	        user || identity_token ? source : "anonymous");
	rc = wn__http_do(ctx, &req, &resp);
	/* the form body held the refresh token: wipe it */
	if (q.data)
		memset(q.data, 0, q.len);
	wn__buf_free(&q);
	wn__free_secret(rt_esc);
	if (rc != WN_OK) {
		/* say which server failed: the token server is another host */
		char msg[sizeof ctx->err.msg];
		snprintf(msg, sizeof msg, "%s", ctx->err.msg);
		char *rh = realm_host(st->realm);
		rc = wn__ctx_fail(ctx, rc, "the token server of %s (%s): %s", registry, rh ? rh : st->realm, msg);
		free(rh);
		return rc;
	}
	if (resp.foreign && (user || identity_token)) {
		/* the realm redirected elsewhere: the credentials were not sent there,
		 * so whatever it answered says nothing about them */
		char *rh = realm_host(resp.effective_url);
		rc = wn__ctx_fail(ctx, WN_EAUTH, "unauthorized: the token server of %s redirected to another host (%s); "
		                  "the credentials are not sent there", registry, rh ? rh : "?");
		free(rh);
		wn__resp_free(&resp);
		return rc;
	}
	if (resp.status == 401 || resp.status == 403) {
		if (user || identity_token)
			rc = wn__ctx_fail(ctx, WN_EAUTH, "unauthorized: the credentials for %s were rejected (from %s)",
			                  registry, source);
		else
			rc = wn__ctx_fail(ctx, WN_EAUTH,
			                  "unauthorized: %s requires authentication (run: winch login %s)", registry,
			                  registry);
		wn__resp_free(&resp);
		return rc;
	}
	if (resp.status < 200 || resp.status >= 300) {
		rc = wn__http_fail(ctx, &resp, "the token server");
		wn__resp_free(&resp);
		return rc;
	}
	if (resp.body.overflow) {
		rc = wn__ctx_fail(ctx, WN_EPROTO, "the token server of %s answered more than 1 MiB", registry);
		wn__resp_free(&resp);
		return rc;
	}
	cJSON *j = wn__json_parse(resp.body.data, resp.body.len);
	const char *tok = wn__json_str(j, "token");
	if (!tok || !*tok)
		tok = wn__json_str(j, "access_token");
	if (!tok || !*tok) {
		cJSON_Delete(j);
		wn__resp_free(&resp);
		return wn__ctx_fail(ctx, WN_EPROTO, "the token server of %s answered without a token", registry);
	}
	long expires_in = token_lifetime(cJSON_GetObjectItemCaseSensitive(j, "expires_in"));
	struct token *t = calloc(1, sizeof *t);
	if (t) {
		t->scope = strdup(scope ? scope : "");
		t->value = strdup(tok);
		/* renew a little early so a token does not expire in flight */
		t->expires = time(NULL) + (expires_in > 30 ? expires_in - 10 : expires_in);
		t->next = st->tokens;
		st->tokens = t;
	}
	/* the reply held the token: wipe it */
	memset(resp.body.data, 0, resp.body.len);
	cJSON_Delete(j);
	wn__resp_free(&resp);
	return t && t->scope && t->value ? WN_OK : wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
}

static struct token *find_token(struct wn__auth_state *st, const char *scope)
{
	time_t now = time(NULL);
	for (struct token *t = st->tokens; t; t = t->next)
		if (t->expires > now && scope_covers(t->scope, scope))
			return t;
	return NULL;
}

static int token_for(struct wn_ctx *ctx, const char *registry, struct wn__auth_state *st, const char *scope)
{
	const struct wn_creds *c = wn__creds_get(ctx, registry, scope);
	if (c && c->identity_token)
		return fetch_token(ctx, registry, st, scope, NULL, NULL, c->identity_token, c->source);
	return fetch_token(ctx, registry, st, scope, c ? c->username : NULL, c ? c->password : NULL, NULL,
	                   c ? c->source : NULL);
}

static char *auth_header_locked(struct wn_ctx *ctx, const char *registry, const char *scope)
{
	struct wn__host *h = wn__ctx_host(ctx, registry);
	struct wn__auth_state *st = h ? h->auth : NULL;
	if (!st)
		return NULL;
	if (st->scheme == SCHEME_BASIC) {
		const struct wn_creds *c = wn__creds_get(ctx, registry, scope);
		return c && c->username ? basic_header(c->username, c->password) : NULL;
	}
	if (st->scheme != SCHEME_BEARER)
		return NULL;
	struct token *t = find_token(st, scope);
	if (!t) {
		/* the realm is known: ask for this scope now rather than after a 401 */
		struct wn_error saved = ctx->err;
		if (token_for(ctx, registry, st, scope) != WN_OK) {
			ctx->err = saved; /* the 401 that follows reports it */
			return NULL;
		}
		t = find_token(st, scope);
	}
	return t ? wn__sprintf("Bearer %s", t->value) : NULL;
}

static int on_401_locked(struct wn_ctx *ctx, const char *registry, const char *scope, const char *www_authenticate,
                         bool had_auth)
{
	struct wn__challenge ch;
	struct wn_error err;
	struct wn__auth_state *st = state_for(ctx, registry);
	int rc;
	if (!st)
		return wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
	if ((rc = wn__challenge_parse(&ch, www_authenticate, &err)) != WN_OK)
		return wn__ctx_fail(ctx, rc, "%s: %s", registry, err.msg);

	if (had_auth) {
		/* rejected: the token expired or the helper's secret rotated (ECR): ask again, once */
		bool insufficient = ch.error && !strcmp(ch.error, "insufficient_scope");
		if (!insufficient) {
			tokens_free(st->tokens);
			st->tokens = NULL;
			wn__creds_forget(ctx, registry);
		}
	}
	if (!strcmp(ch.scheme, "basic")) {
		st->scheme = SCHEME_BASIC;
		const struct wn_creds *c = wn__creds_get(ctx, registry, scope);
		rc = c && c->username ? WN_OK
		                      : wn__ctx_fail(ctx, WN_EAUTH,
		                                     "unauthorized: %s requires authentication (run: winch login %s)",
		                                     registry, registry);
		wn__challenge_free(&ch);
		return rc;
	}
	st->scheme = SCHEME_BEARER;
	if (!st->realm || strcmp(st->realm, ch.realm)) {
		free(st->realm);
		st->realm = strdup(ch.realm);
	}
	free(st->service);
	st->service = wn__strdup(ch.service);
	char *want = scope_union(scope, ch.scope);
	rc = want ? token_for(ctx, registry, st, want) : wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
	const struct wn_creds *c = rc == WN_EAUTH ? wn__creds_get(ctx, registry, want) : NULL;
	if (c && c->source && !strncmp(c->source, "credential helper", 17)) {
		/* a helper's secret may have expired since it was read (ECR): ask once more */
		wn__creds_forget(ctx, registry);
		rc = token_for(ctx, registry, st, want);
	}
	free(want);
	wn__challenge_free(&ch);
	return rc;
}

/* The lock is held across token requests: threads wanting the same scope
 * wait for the one asking, then find the token cached. */
char *wn__auth_header(struct wn_ctx *ctx, const char *registry, const char *scope)
{
	wn__lock(ctx);
	char *h = auth_header_locked(ctx, registry, scope);
	wn__unlock(ctx);
	return h;
}

int wn__auth_on_401(struct wn_ctx *ctx, const char *registry, const char *scope, const char *www_authenticate,
                    bool had_auth)
{
	wn__lock(ctx);
	int rc = on_401_locked(ctx, registry, scope, www_authenticate, had_auth);
	wn__unlock(ctx);
	return rc;
}

int wn__auth_on_denied(struct wn_ctx *ctx, const char *registry, const char *scope, const char *sent)
{
	struct wn__host *h = wn__ctx_host(ctx, registry);
	char *now = NULL;
	bool retry = false;
	if (!h)
		return WN_ENOMEM;
	wn__lock(ctx);
	/* Basic only: a Bearer token that is refused is a token without the
	 * right, which the same credentials would get again */
	if (h->auth && h->auth->scheme == SCHEME_BASIC) {
		const struct wn_creds *c = wn__creds_get(ctx, registry, scope);
		now = c && c->username ? basic_header(c->username, c->password) : NULL;
		if (now && sent && strcmp(now, sent)) {
			/* another transfer already read them again: use those */
			retry = true;
			wn__log(ctx, WN_LOG_INFO, "%s refused the credentials with 403: another transfer read new ones",
			        registry);
		} else if (now) {
			wn__creds_forget(ctx, registry);
			c = wn__creds_get(ctx, registry, scope);
			wn__free_secret(now);
			now = c && c->username ? basic_header(c->username, c->password) : NULL;
			retry = now && sent && strcmp(now, sent);
			wn__log(ctx, WN_LOG_INFO, "%s refused the credentials with 403: read again from %s%s", registry,
			        c && c->source ? c->source : "nowhere", retry ? ", new ones" : ", the same ones");
		}
	}
	wn__unlock(ctx);
	wn__free_secret(now);
	return retry ? WN_OK : WN_EDENIED;
}

/* "; PLUS HINT" for a message about rejected credentials of `user`, or "". */
static const char *with_hint(char *buf, size_t n, const char *user)
{
	const char *h = user ? wn__user_hint(user) : NULL;
	if (!h)
		return "";
	snprintf(buf, n, "; %s", h);
	return buf;
}

int wn__auth_check(struct wn_ctx *ctx, const char *registry, const char *user, const char *pass)
{
	struct wn__resp resp;
	struct wn__req req = { .method = "GET", .registry = registry, .path = "/v2/", .no_auth = true };
	struct wn__challenge ch;
	struct wn_error err;
	int rc = wn__http_do(ctx, &req, &resp);
	if (rc != WN_OK)
		goto done;
	if (resp.foreign) {
		/* only the registry itself can say whether the credentials are good */
		char *rh = realm_host(resp.effective_url);
		rc = wn__ctx_fail(ctx, WN_EAUTH, "unauthorized: %s redirected /v2/ to another host (%s): its answer cannot "
		                  "check credentials for %s", registry, rh ? rh : "?", registry);
		free(rh);
		goto done;
	}
	if (resp.status >= 200 && resp.status < 300) {
		wn__log(ctx, WN_LOG_INFO, "%s does not require authentication", registry);
		goto done;
	}
	if (resp.status != 401) {
		rc = wn__http_fail(ctx, &resp, registry);
		goto done;
	}
	if ((rc = wn__challenge_parse(&ch, resp.www_authenticate, &err)) != WN_OK) {
		rc = wn__ctx_fail(ctx, rc, "%s: %s", registry, err.msg);
		goto done;
	}
	if (!strcmp(ch.scheme, "bearer")) {
		struct wn__auth_state tmp = { SCHEME_BEARER, ch.realm, ch.service, NULL };
		rc = fetch_token(ctx, registry, &tmp, "", user, pass, NULL, "the given credentials");
		tokens_free(tmp.tokens);
		char hint[512];
		if (rc == WN_EAUTH && *with_hint(hint, sizeof hint, user)) {
			char msg[sizeof ctx->err.msg];
			snprintf(msg, sizeof msg, "%s", ctx->err.msg);
			rc = wn__ctx_fail(ctx, rc, "%s%s", msg, hint);
		}
	} else {
		struct wn__resp r2;
		struct wn__req req2 = { .method = "GET", .registry = registry, .path = "/v2/", .no_auth = true,
		                        .basic_user = user, .basic_pass = pass };
		rc = wn__http_do(ctx, &req2, &r2);
		if (rc == WN_OK && r2.foreign) {
			char *rh = realm_host(r2.effective_url);
			rc = wn__ctx_fail(ctx, WN_EAUTH, "unauthorized: %s redirected /v2/ to another host (%s); the "
			                  "credentials are not sent there", registry, rh ? rh : "?");
			free(rh);
		} else if (rc == WN_OK && r2.status == 401) {
			char hint[512];
			rc = wn__ctx_fail(ctx, WN_EAUTH, "unauthorized: the credentials for %s were rejected%s", registry,
			                  with_hint(hint, sizeof hint, user));
		}
		else if (rc == WN_OK && (r2.status < 200 || r2.status >= 300))
			rc = wn__http_fail(ctx, &r2, registry);
		wn__resp_free(&r2);
	}
	wn__challenge_free(&ch);
done:
	wn__resp_free(&resp);
	return rc;
}

/*
 * sync/yaml.c: skopeo sync's YAML file, read with libyaml.
 *
 * skopeo (cmd/skopeo/sync.go) unmarshals the file with Go's yaml package
 * into map[registry]registrySyncConfig: `images` (repository -> list of tags
 * and digests; an empty or null list is every tag), `images-by-tag-regex`
 * and `images-by-semver` (repository -> expression), `credentials`
 * (username, password), `tls-verify` (a bool), `cert-dir`.  Go's package
 * ignores keys it does not know, which is where winch keeps its own (under
 * `winch:` in a registry, which skopeo reads past).  winch is stricter than
 * skopeo where skopeo logs and skips: an unknown key, a repository name, tag,
 * digest, regular expression or semver range that does not parse is an
 * error naming its line and column, and nothing is copied.
 */
#include <stdlib.h>
#include <string.h>
#include <yaml.h>
#include "sync.h"

struct rd {
	yaml_document_t doc;
	const char *file;
	struct wn_error *err;
};

static int fail_at(struct rd *r, const yaml_node_t *n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail_at(struct rd *r, const yaml_node_t *n, const char *fmt, ...)
{
	char msg[WN_ERRMSG_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return wn__error_set(r->err, WN_EINVAL, "%s:%zu:%zu: %s", r->file, n->start_mark.line + 1,
	                     n->start_mark.column + 1, msg);
}

static yaml_node_t *node(struct rd *r, int i)
{
	return yaml_document_get_node(&r->doc, i);
}

static const char *type_name(const yaml_node_t *n)
{
	return n->type == YAML_MAPPING_NODE ? "a mapping" : n->type == YAML_SEQUENCE_NODE ? "a list" : "a scalar";
}

static const char *scalar(const yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

/* YAML's null (plain ~, null, Null, NULL, or nothing): Go leaves the field at its zero value */
static bool is_null(const yaml_node_t *n)
{
	if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	const char *v = scalar(n);
	return !*v || !strcmp(v, "~") || !strcmp(v, "null") || !strcmp(v, "Null") || !strcmp(v, "NULL");
}

/* A string field: any scalar, as written (Go's yaml takes 1.10 as "1.10"); null is "" */
static int want_string(struct rd *r, const yaml_node_t *n, const char *what, const char **out)
{
	if (n->type != YAML_SCALAR_NODE)
		return fail_at(r, n, "%s must be a string, not %s", what, type_name(n));
	*out = is_null(n) ? "" : scalar(n);
	if (strlen(*out) != n->data.scalar.length)
		return fail_at(r, n, "%s holds a NUL byte", what);
	return WN_OK;
}

/* A bool as Go's yaml decodes one into a bool field: YAML 1.2's true/false and,
 * unquoted, YAML 1.1's y/yes/on and n/no/off in their three cases. */
static int want_bool(struct rd *r, const yaml_node_t *n, const char *what, int *out)
{
	static const char *const yes[] = { "true", "True", "TRUE", "y", "Y", "yes", "Yes", "YES", "on", "On", "ON" };
	static const char *const no[] = { "false", "False", "FALSE", "n", "N", "no", "No", "NO", "off", "Off", "OFF" };
	if (n->type == YAML_SCALAR_NODE && n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE)
		for (size_t i = 0; i < sizeof yes / sizeof *yes; i++) {
			if (!strcmp(scalar(n), yes[i]))
				return *out = 1, WN_OK;
			if (!strcmp(scalar(n), no[i]))
				return *out = 0, WN_OK;
		}
	return fail_at(r, n, "%s must be true or false, not %s%s%s", what, n->type == YAML_SCALAR_NODE ? "\"" : "",
	               n->type == YAML_SCALAR_NODE ? scalar(n) : type_name(n), n->type == YAML_SCALAR_NODE ? "\"" : "");
}

/* A mapping's pairs, checking that no key is there twice (Go's yaml v3 refuses that too). */
static int want_mapping(struct rd *r, const yaml_node_t *n, const char *what)
{
	if (n->type != YAML_MAPPING_NODE)
		return fail_at(r, n, "%s must be a mapping, not %s", what, type_name(n));
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
		yaml_node_t *k = node(r, p->key);
		if (k->type != YAML_SCALAR_NODE)
			return fail_at(r, k, "the keys of %s must be strings, not %s", what, type_name(k));
		if (!strcmp(scalar(k), "<<") && k->data.scalar.style == YAML_PLAIN_SCALAR_STYLE)
			return fail_at(r, k, "merge keys (<<) are not supported in %s", what);
		for (yaml_node_pair_t *q = n->data.mapping.pairs.start; q < p; q++)
			if (!strcmp(scalar(node(r, q->key)), scalar(k)))
				return fail_at(r, k, "%s: the key \"%s\" is there twice (first at line %zu)", what, scalar(k),
				               node(r, q->key)->start_mark.line + 1);
	}
	return WN_OK;
}

#define PAIRS(n, p) for (yaml_node_pair_t *p = (n)->data.mapping.pairs.start; p < (n)->data.mapping.pairs.top; p++)

static int sel_add(struct rd *r, struct wn__sync_reg *g, const yaml_node_t *k, enum wn__sel_kind kind,
                   struct wn__sync_sel **out)
{
	char why[512];
	if (wn__sync_sel_add(g, kind, scalar(k), out, why, sizeof why) != WN_OK)
		return fail_at(r, k, "%s", why);
	return WN_OK;
}

/* images: repository -> [] | null | [tag or digest, ...] */
static int read_images(struct rd *r, struct wn__sync_reg *g, const yaml_node_t *n)
{
	int rc;
	if (is_null(n))
		return WN_OK;
	if ((rc = want_mapping(r, n, "images")) != WN_OK)
		return rc;
	PAIRS(n, p)
	{
		yaml_node_t *k = node(r, p->key), *v = node(r, p->value);
		struct wn__sync_sel *s;
		if (!is_null(v) && v->type != YAML_SEQUENCE_NODE)
			return fail_at(r, v, "images: %s takes a list of tags and digests ([] for every tag), not %s",
			               scalar(k), type_name(v));
		bool all = is_null(v) || v->data.sequence.items.start == v->data.sequence.items.top;
		if ((rc = sel_add(r, g, k, all ? WN__SEL_ALL : WN__SEL_REFS, &s)) != WN_OK)
			return rc;
		for (yaml_node_item_t *i = all ? NULL : v->data.sequence.items.start; i && i < v->data.sequence.items.top;
		     i++) {
			yaml_node_t *e = node(r, *i);
			const char *ref;
			struct wn_error err;
			if ((rc = want_string(r, e, "a tag or digest", &ref)) != WN_OK)
				return rc;
			/* skopeo: a digest if it parses as one, else a tag */
			if (strchr(ref, ':') ? wn_digest_validate(ref, &err) != WN_OK : wn_tag_validate(ref, &err) != WN_OK)
				return fail_at(r, e, "images: %s: \"%s\" is neither a tag nor a digest: %s", scalar(k), ref,
				               err.msg);
			if (wn__strlist_push(&s->refs, ref) != WN_OK)
				return wn__error_set(r->err, WN_ENOMEM, "out of memory");
		}
	}
	return WN_OK;
}

/* images-by-tag-regex / images-by-semver: repository -> expression */
static int read_filters(struct rd *r, struct wn__sync_reg *g, const yaml_node_t *n, enum wn__sel_kind kind)
{
	const char *what = kind == WN__SEL_REGEX ? "images-by-tag-regex" : "images-by-semver";
	int rc;
	if (is_null(n))
		return WN_OK;
	if ((rc = want_mapping(r, n, what)) != WN_OK)
		return rc;
	PAIRS(n, p)
	{
		yaml_node_t *k = node(r, p->key), *v = node(r, p->value);
		struct wn__sync_sel *s;
		const char *expr;
		char why[512];
		if ((rc = want_string(r, v, what, &expr)) != WN_OK || (rc = sel_add(r, g, k, kind, &s)) != WN_OK)
			return rc;
		if (!(s->expr = strdup(expr)))
			return wn__error_set(r->err, WN_ENOMEM, "out of memory");
		if (kind == WN__SEL_REGEX) {
			if (wn__re2_compile(&s->re, expr, why, sizeof why) != WN_OK)
				return fail_at(r, v, "%s: %s: the regular expression \"%s\" %s", what, scalar(k), expr, why);
			s->has_re = true;
		} else if (wn__semver_con_parse(&s->con, expr, why, sizeof why) != WN_OK) {
			return fail_at(r, v, "%s: %s: the semver range \"%s\" %s", what, scalar(k), expr, why);
		}
	}
	return WN_OK;
}

static int dup_to(struct rd *r, char **dst, const char *s)
{
	free(*dst);
	if (!(*dst = strdup(s)))
		return wn__error_set(r->err, WN_ENOMEM, "out of memory");
	return WN_OK;
}

/* credentials: types.DockerAuthConfig as Go's yaml names its fields */
static int read_credentials(struct rd *r, struct wn__sync_reg *g, const yaml_node_t *n)
{
	int rc;
	if (is_null(n))
		return WN_OK;
	if ((rc = want_mapping(r, n, "credentials")) != WN_OK)
		return rc;
	PAIRS(n, p)
	{
		yaml_node_t *k = node(r, p->key), *v = node(r, p->value);
		const char *s;
		if (!strcmp(scalar(k), "username") || !strcmp(scalar(k), "password")) {
			if ((rc = want_string(r, v, scalar(k), &s)) != WN_OK ||
			    (rc = dup_to(r, *scalar(k) == 'u' ? &g->username : &g->password, s)) != WN_OK)
				return rc;
		} else if (!strcmp(scalar(k), "identitytoken")) {
			return fail_at(r, k, "credentials: identitytoken is not supported by winch (give username and "
			                     "password, or log in with winch login)");
		} else {
			return fail_at(r, k, "credentials: unknown key \"%s\" (username, password)", scalar(k));
		}
	}
	if (g->username && strchr(g->username, ':'))
		return fail_at(r, n, "credentials: a username cannot hold ':'");
	return WN_OK;
}

/* winch's own keys, which skopeo ignores */
static int read_winch(struct rd *r, struct wn__sync_reg *g, const yaml_node_t *n)
{
	int rc;
	if (is_null(n))
		return WN_OK;
	if ((rc = want_mapping(r, n, "winch")) != WN_OK)
		return rc;
	PAIRS(n, p)
	{
		yaml_node_t *k = node(r, p->key), *v = node(r, p->value);
		const char *key = scalar(k), *s;
		struct wn_error err;
		if (!strcmp(key, "prefix")) {
			if ((rc = want_string(r, v, "winch: prefix", &s)) != WN_OK || (rc = dup_to(r, &g->prefix, s)) != WN_OK)
				return rc;
		} else if (!strcmp(key, "platforms")) {
			if (v->type != YAML_SEQUENCE_NODE)
				return fail_at(r, v, "winch: platforms takes a list (os/arch[/variant]), not %s", type_name(v));
			for (yaml_node_item_t *i = v->data.sequence.items.start; i < v->data.sequence.items.top; i++) {
				struct wn_platform pl;
				yaml_node_t *e = node(r, *i);
				if ((rc = want_string(r, e, "a platform", &s)) != WN_OK)
					return rc;
				if (wn_platform_parse(&pl, s, &err) != WN_OK)
					return fail_at(r, e, "winch: platforms: %s", err.msg);
				wn_platform_clear(&pl);
				if (wn__strlist_push(&g->platforms, s) != WN_OK)
					return wn__error_set(r->err, WN_ENOMEM, "out of memory");
			}
			if (!g->platforms.n)
				return fail_at(r, v, "winch: platforms is empty (leave it out for the command line's choice)");
		} else if (!strcmp(key, "referrers")) {
			if ((rc = want_bool(r, v, "winch: referrers", &g->referrers)) != WN_OK)
				return rc;
		} else if (!strcmp(key, "prune")) {
			if ((rc = want_bool(r, v, "winch: prune", &g->prune)) != WN_OK)
				return rc;
		} else if (!strcmp(key, "plain-http")) {
			if ((rc = want_bool(r, v, "winch: plain-http", &g->plain_http)) != WN_OK)
				return rc;
		} else if (!strcmp(key, "rate-floor")) {
			char *end;
			if ((rc = want_string(r, v, "winch: rate-floor", &s)) != WN_OK)
				return rc;
			long f = strtol(s, &end, 10);
			if (!*s || *end || f < 0 || f > 1000000000)
				return fail_at(r, v, "winch: rate-floor takes a number of pulls (0 or more), not \"%s\"", s);
			g->rate_floor = f;
		} else {
			return fail_at(r, k, "winch: unknown key \"%s\" (prefix, platforms, referrers, prune, rate-floor, "
			                     "plain-http)", key);
		}
	}
	return WN_OK;
}

static int read_registry(struct rd *r, struct wn__sync_reg *g, const yaml_node_t *k, const yaml_node_t *n)
{
	int rc;
	if (!(g->name = strdup(scalar(k))))
		return wn__error_set(r->err, WN_ENOMEM, "out of memory");
	g->tls_verify = g->referrers = g->prune = g->plain_http = -1;
	g->rate_floor = -2;
	if (!*g->name)
		return fail_at(r, k, "a registry's name is empty");
	if (is_null(n))
		return WN_OK; /* nothing asked of it: skopeo warns and goes on */
	if ((rc = want_mapping(r, n, g->name)) != WN_OK)
		return rc;
	PAIRS(n, p)
	{
		yaml_node_t *key = node(r, p->key), *v = node(r, p->value);
		const char *s = scalar(key), *str;
		if (!strcmp(s, "images"))
			rc = read_images(r, g, v);
		else if (!strcmp(s, "images-by-tag-regex"))
			rc = read_filters(r, g, v, WN__SEL_REGEX);
		else if (!strcmp(s, "images-by-semver"))
			rc = read_filters(r, g, v, WN__SEL_SEMVER);
		else if (!strcmp(s, "credentials"))
			rc = read_credentials(r, g, v);
		else if (!strcmp(s, "tls-verify"))
			rc = is_null(v) ? WN_OK : want_bool(r, v, "tls-verify", &g->tls_verify);
		else if (!strcmp(s, "cert-dir")) {
			if ((rc = want_string(r, v, "cert-dir", &str)) == WN_OK && *str)
				rc = dup_to(r, &g->cert_dir, str);
		} else if (!strcmp(s, "winch"))
			rc = read_winch(r, g, v);
		else
			rc = fail_at(r, key, "%s: unknown key \"%s\" (images, images-by-tag-regex, images-by-semver, "
			                     "credentials, tls-verify, cert-dir, winch)", g->name, s);
		if (rc != WN_OK)
			return rc;
	}
	return WN_OK;
}

int wn_sync_config_parse(struct wn_sync_config **out, const void *data, size_t len, const char *name,
                         struct wn_error *err)
{
	struct rd r = { .file = name ? name : "sync file", .err = err };
	yaml_parser_t parser;
	struct wn_sync_config *c = calloc(1, sizeof *c);
	bool loaded = false;
	int rc = WN_OK;
	*out = NULL;
	if (!c || !(c->name = strdup(r.file))) {
		free(c);
		return wn__error_set(err, WN_ENOMEM, "out of memory");
	}
	if (!yaml_parser_initialize(&parser)) {
		wn_sync_config_free(c);
		return wn__error_set(err, WN_ENOMEM, "out of memory");
	}
	yaml_parser_set_input_string(&parser, data, len);
	if (!yaml_parser_load(&parser, &r.doc)) {
		const yaml_mark_t *m = parser.problem ? &parser.problem_mark : &parser.context_mark;
		rc = wn__error_set(err, WN_EINVAL, "%s:%zu:%zu: %s%s%s", r.file, m->line + 1, m->column + 1,
		                   parser.problem ? parser.problem : "invalid YAML", parser.context ? " " : "",
		                   parser.context ? parser.context : "");
		goto done;
	}
	loaded = true;
	yaml_node_t *root = yaml_document_get_root_node(&r.doc);
	if (!root || is_null(root)) {
		rc = wn__error_set(err, WN_EINVAL, "%s: no registries: the file is empty", r.file);
		goto done;
	}
	if ((rc = want_mapping(&r, root, "the file")) != WN_OK)
		goto done;
	size_t n = (size_t)(root->data.mapping.pairs.top - root->data.mapping.pairs.start);
	if (!(c->regs = calloc(n ? n : 1, sizeof *c->regs))) {
		rc = wn__error_set(err, WN_ENOMEM, "out of memory");
		goto done;
	}
	PAIRS(root, p)
	{
		if ((rc = read_registry(&r, &c->regs[c->n_regs++], node(&r, p->key), node(&r, p->value))) != WN_OK)
			goto done;
	}
done:
	if (loaded)
		yaml_document_delete(&r.doc);
	yaml_parser_delete(&parser);
	if (rc != WN_OK) {
		wn_sync_config_free(c);
		return rc;
	}
	*out = c;
	return WN_OK;
}

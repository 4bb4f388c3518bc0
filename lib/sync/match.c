/*
 * sync/match.c: the tag filters of skopeo's sync file, with skopeo's meaning.
 *
 * images-by-semver: github.com/Masterminds/semver/v3 (v3.5, the version
 * skopeo builds with): NewConstraint's grammar (ranges "A - B", "||", AND
 * groups split by spaces or commas, the operators = != > < >= => <= =< ~ ~> ^,
 * the wildcards x, X and *) and Check's rules (a prerelease tag passes only a group
 * that names a prerelease), ported function by function from
 * constraints.go; tags read by NewVersion, which coerces ("v1", "1.2",
 * leading zeros) as its looseSemVerRegex does.
 *
 * images-by-tag-regex: Go's regexp (RE2), matched unanchored
 * (regexp.MatchString).  winch matches with POSIX EREs (glibc regcomp), so
 * the expression is translated: what RE2 and ERE write differently (\d,
 * (?:, (?i), escapes inside brackets, lazy quantifiers, which do not change
 * whether a tag matches) is rewritten, and what ERE cannot say is refused by
 * name rather than matched differently.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sync.h"

/* ---- versions ----------------------------------------------------------- */

struct ver {
	unsigned long long major, minor, patch;
	char pre[128];
};

static bool all_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return false;
	return n > 0;
}

static bool ident_char(char c)
{
	return isalnum((unsigned char)c) || c == '-';
}

/* [0-9A-Za-z-]+(\.[0-9A-Za-z-]+)* from s; returns its length (0: none) */
static size_t idents(const char *s)
{
	size_t i = 0;
	for (;;) {
		size_t st = i;
		while (ident_char(s[i]))
			i++;
		if (i == st)
			return st ? st - 1 : 0; /* an empty part: stop before its dot */
		if (s[i] != '.')
			return i;
		i++;
	}
}

/* validatePrerelease / validateMetadata: non-empty parts; numeric prerelease parts without a leading 0 */
static bool valid_parts(const char *s, size_t n, bool pre)
{
	size_t st = 0;
	for (size_t i = 0; i <= n; i++) {
		if (i < n && s[i] != '.')
			continue;
		if (i == st)
			return false;
		if (pre && all_digits(s + st, i - st) && i - st > 1 && s[st] == '0')
			return false;
		st = i + 1;
	}
	return true;
}

static bool parse_num(const char *s, size_t n, unsigned long long *out)
{
	char buf[32];
	char *end;
	if (!n || n >= sizeof buf)
		return false;
	memcpy(buf, s, n);
	buf[n] = 0;
	errno = 0;
	*out = strtoull(buf, &end, 10);
	return !errno && !*end;
}

/* NewVersion with CoerceNewVersion (the default): ^v?([0-9]+)(\.[0-9]+)?(\.[0-9]+)?(-pre)?(\+meta)?$ */
static bool version_parse(struct ver *v, const char *s)
{
	const char *p = s;
	size_t n;
	memset(v, 0, sizeof *v);
	if (*p == 'v')
		p++;
	unsigned long long *seg[3] = { &v->major, &v->minor, &v->patch };
	for (int k = 0; k < 3; k++) {
		if (k) {
			if (*p != '.' || !isdigit((unsigned char)p[1]))
				break;
			p++;
		}
		for (n = 0; isdigit((unsigned char)p[n]); n++)
			;
		if (!n || !parse_num(p, n, seg[k]))
			return false;
		p += n;
	}
	if (*p == '-' && (n = idents(p + 1))) {
		if (!valid_parts(p + 1, n, true) || n >= sizeof v->pre)
			return false;
		memcpy(v->pre, p + 1, n);
		v->pre[n] = 0;
		p += 1 + n;
	}
	if (*p == '+' && (n = idents(p + 1))) {
		if (!valid_parts(p + 1, n, false))
			return false;
		p += 1 + n;
	}
	return !*p;
}

static int cmp_u(unsigned long long a, unsigned long long b)
{
	return a < b ? -1 : a > b;
}

/* comparePrePart: numbers as numbers, below words; words by bytes */
static int cmp_pre_part(const char *s, size_t sn, const char *o, size_t on)
{
	if (sn == on && !memcmp(s, o, sn))
		return 0;
	if (!sn)
		return -1;
	if (!on)
		return 1;
	unsigned long long si, oi;
	bool sd = all_digits(s, sn) && parse_num(s, sn, &si), od = all_digits(o, on) && parse_num(o, on, &oi);
	if (!sd && !od) {
		int c = memcmp(s, o, sn < on ? sn : on);
		return c ? (c > 0 ? 1 : -1) : (sn > on ? 1 : -1);
	}
	if (!od)
		return -1;
	if (!sd)
		return 1;
	return si > oi ? 1 : -1;
}

static int cmp_pre(const char *a, const char *b)
{
	for (;;) {
		size_t an = strcspn(a, "."), bn = strcspn(b, ".");
		if (!*a && !*b)
			return 0;
		int d = cmp_pre_part(a, an, b, bn);
		if (d)
			return d;
		a += an + (a[an] == '.');
		b += bn + (b[bn] == '.');
	}
}

static int version_cmp(const struct ver *v, const struct ver *o)
{
	int d;
	if ((d = cmp_u(v->major, o->major)) || (d = cmp_u(v->minor, o->minor)) || (d = cmp_u(v->patch, o->patch)))
		return d;
	if (!*v->pre && !*o->pre)
		return 0;
	if (!*v->pre)
		return 1;
	if (!*o->pre)
		return -1;
	return cmp_pre(v->pre, o->pre);
}

/* ---- constraints --------------------------------------------------------- */

enum op { OP_TILDE_OR_EQ, OP_NE, OP_GT, OP_LT, OP_GE, OP_LE, OP_TILDE, OP_CARET };

struct con {
	enum op op;
	struct ver v;
	bool dirty, minor_dirty, patch_dirty;
};

struct group {
	struct con *c;
	size_t n;
	bool has_pre;
};

struct wn__semver_con {
	struct group *g;
	size_t n;
};

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static bool cv_char(char c)
{
	return isdigit((unsigned char)c) || c == '|' || c == 'x' || c == 'X' || c == '*';
}

static bool is_x(const char *s, size_t n)
{
	return n == 1 && (*s == 'x' || *s == 'X' || *s == '*');
}

/* cvRegex: v?([0-9|xX*]+)(\.[0-9|xX*]+)?(\.[0-9|xX*]+)?(-pre)?(\+meta)?  Returns its length (0: none);
 * seg[k]/segn[k] the three parts, pre/pren the prerelease (its dash not included). */
static size_t cv_scan(const char *s, const char *seg[3], size_t segn[3], const char **pre, size_t *pren)
{
	size_t i = s[0] == 'v', n;
	for (int k = 0; k < 3; k++) {
		seg[k] = NULL;
		segn[k] = 0;
	}
	*pre = NULL;
	*pren = 0;
	for (int k = 0; k < 3; k++) {
		size_t st = i + (k > 0);
		if (k && (s[i] != '.' || !cv_char(s[st])))
			break;
		for (n = 0; cv_char(s[st + n]); n++)
			;
		if (!n)
			return 0;
		seg[k] = s + st;
		segn[k] = n;
		i = st + n;
	}
	if (s[i] == '-' && (n = idents(s + i + 1))) {
		*pre = s + i + 1;
		*pren = n;
		i += 1 + n;
	}
	if (s[i] == '+' && (n = idents(s + i + 1)))
		i += 1 + n;
	return i;
}

/* the longest operator at s (Go's alternation backtracks to the one that lets a version follow) */
static size_t op_scan(const char *s, enum op *op)
{
	static const struct {
		const char *t;
		enum op op;
	} ops[] = { { "!=", OP_NE }, { ">=", OP_GE }, { "=>", OP_GE }, { "<=", OP_LE }, { "=<", OP_LE }, { "~>", OP_TILDE },
		        { "=", OP_TILDE_OR_EQ }, { ">", OP_GT }, { "<", OP_LT }, { "~", OP_TILDE }, { "^", OP_CARET } };
	for (size_t i = 0; i < sizeof ops / sizeof *ops; i++)
		if (!strncmp(s, ops[i].t, strlen(ops[i].t))) {
			*op = ops[i].op;
			return strlen(ops[i].t);
		}
	*op = OP_TILDE_OR_EQ;
	return 0;
}

/* parseConstraint: the operator and the version it compares with, wildcards made dirty */
static bool con_make(struct con *c, enum op op, const char *seg[3], const size_t segn[3], const char *pre, size_t pren)
{
	char text[256];
	int w;
	memset(c, 0, sizeof *c);
	c->op = op;
	if (!seg[0] || is_x(seg[0], segn[0])) {
		c->dirty = true;
		w = snprintf(text, sizeof text, "0.0.0%s%.*s", pren ? "-" : "", (int)pren, pre ? pre : "");
	} else if (!seg[1] || is_x(seg[1], segn[1])) {
		c->dirty = c->minor_dirty = true;
		w = snprintf(text, sizeof text, "%.*s.0.0%s%.*s", (int)segn[0], seg[0], pren ? "-" : "", (int)pren,
		             pre ? pre : "");
	} else if (!seg[2] || is_x(seg[2], segn[2])) {
		c->dirty = c->patch_dirty = true;
		w = snprintf(text, sizeof text, "%.*s.%.*s.0%s%.*s", (int)segn[0], seg[0], (int)segn[1], seg[1],
		             pren ? "-" : "", (int)pren, pre ? pre : "");
	} else {
		w = snprintf(text, sizeof text, "%.*s.%.*s.%.*s%s%.*s", (int)segn[0], seg[0], (int)segn[1], seg[1],
		             (int)segn[2], seg[2], pren ? "-" : "", (int)pren, pre ? pre : "");
	}
	return w > 0 && (size_t)w < sizeof text && version_parse(&c->v, text);
}

/* A range "A - B" at s (the spaces around the dash required): its length, A's and B's. */
static size_t range_at(const char *s, size_t *al, size_t *bstart, size_t *bl)
{
	const char *seg[3], *pre;
	size_t segn[3], pren, i, sp;
	if (!(*al = cv_scan(s, seg, segn, &pre, &pren)))
		return 0;
	for (i = *al, sp = 0; is_space(s[i]); i++, sp++)
		;
	if (!sp || s[i] != '-' || !is_space(s[i + 1]))
		return 0;
	for (i++; is_space(s[i]); i++)
		;
	*bstart = i;
	if (!(*bl = cv_scan(s + i, seg, segn, &pre, &pren)))
		return 0;
	for (i += *bl; is_space(s[i]); i++)
		;
	return i;
}

/* rewriteRange: each "A - B" becomes ">= A, <= B " (the match, spaces around it included, replaced) */
static char *rewrite_ranges(const char *in)
{
	struct wn__buf b = { .max = 1u << 16 };
	const char *p = in;
	while (*p) {
		size_t al, bstart, bl, len = range_at(p, &al, &bstart, &bl);
		if (!len) {
			wn__buf_append(&b, p++, 1);
			continue;
		}
		while (b.len && is_space((char)b.data[b.len - 1]))
			b.len--; /* the match starts at the spaces before A */
		wn__buf_puts(&b, ">= ");
		wn__buf_append(&b, p, al);
		wn__buf_puts(&b, ", <= ");
		wn__buf_append(&b, p + bstart, bl);
		wn__buf_puts(&b, " ");
		p += len;
	}
	if (!b.data)
		return strdup("");
	if (wn__buf_cstr(&b) != WN_OK || b.overflow) {
		wn__buf_free(&b);
		return NULL;
	}
	return (char *)b.data;
}

/* One "||" part (validConstraintRegex): constraints, each an operator and a
 * version, the second and later after spaces or a comma. */
static int group_parse(struct group *g, const char *s, size_t len, char *why, size_t n)
{
	size_t i = 0, sp = 0;
	bool first = true;
	while (i < len && is_space(s[i]))
		i++;
	if (i == len) {
		snprintf(why, n, "has an empty part");
		return WN_EINVAL;
	}
	while (i < len) {
		if (!first) {
			if (s[i] == ',')
				for (i++; i < len && is_space(s[i]); i++)
					;
			else if (!sp)
				goto improper;
			if (i == len)
				goto improper; /* a trailing comma */
		}
		first = false;
		enum op op;
		const char *seg[3], *pre;
		size_t segn[3], pren;
		i += op_scan(s + i, &op);
		while (i < len && is_space(s[i]))
			i++;
		size_t cl = i < len ? cv_scan(s + i, seg, segn, &pre, &pren) : 0;
		if (!cl || i + cl > len)
			goto improper;
		struct con *nc = realloc(g->c, (g->n + 1) * sizeof *nc);
		if (!nc) {
			snprintf(why, n, "is too long");
			return WN_ENOMEM;
		}
		g->c = nc;
		if (!con_make(&g->c[g->n], op, seg, segn, pre, pren)) {
			snprintf(why, n, "has a version that does not parse: \"%.*s\"", (int)cl, s + i);
			return WN_EINVAL;
		}
		if (*g->c[g->n].v.pre)
			g->has_pre = true;
		g->n++;
		for (i += cl, sp = 0; i < len && is_space(s[i]); i++, sp++)
			;
	}
	return WN_OK;
improper:
	snprintf(why, n, "is not a constraint Masterminds/semver reads (\"%.*s\")", (int)len, s);
	return WN_EINVAL;
}

int wn__semver_con_parse(struct wn__semver_con **out, const char *text, char *why, size_t n)
{
	struct wn__semver_con *c = calloc(1, sizeof *c);
	char *s = rewrite_ranges(text);
	int rc = WN_OK;
	*out = NULL;
	if (!c || !s) {
		snprintf(why, n, "is too long");
		free(c);
		free(s);
		return WN_ENOMEM;
	}
	for (const char *p = s;;) {
		const char *bar = strstr(p, "||");
		size_t len = bar ? (size_t)(bar - p) : strlen(p);
		struct group *g = realloc(c->g, (c->n + 1) * sizeof *g);
		if (!g) {
			rc = WN_ENOMEM;
			break;
		}
		c->g = g;
		memset(&c->g[c->n], 0, sizeof *c->g);
		if ((rc = group_parse(&c->g[c->n++], p, len, why, n)) != WN_OK || !bar)
			break;
		p = bar + 2;
	}
	free(s);
	if (rc != WN_OK) {
		wn__semver_con_free(c);
		return WN_EINVAL;
	}
	*out = c;
	return WN_OK;
}

void wn__semver_con_free(struct wn__semver_con *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++)
		free(c->g[i].c);
	free(c->g);
	free(c);
}

static bool c_tilde(const struct ver *v, const struct con *c)
{
	if (version_cmp(v, &c->v) < 0)
		return false;
	if (!c->v.major && !c->v.minor && !c->v.patch && !c->minor_dirty && !c->patch_dirty)
		return true; /* ~0.0.0: anything */
	if (v->major != c->v.major)
		return false;
	return v->minor == c->v.minor || c->minor_dirty;
}

static bool c_check(const struct ver *v, const struct con *c, bool pre_ok)
{
	if (*v->pre && !pre_ok)
		return false; /* a prerelease, and the group names none */
	switch (c->op) {
	case OP_TILDE_OR_EQ:
		return c->dirty ? c_tilde(v, c) : version_cmp(v, &c->v) == 0;
	case OP_TILDE:
		return c_tilde(v, c);
	case OP_NE:
		if (c->dirty) {
			if (c->v.major != v->major)
				return true;
			if (c->v.minor != v->minor && !c->minor_dirty)
				return true;
			if (c->minor_dirty)
				return false;
			if (c->v.patch != v->patch && !c->patch_dirty)
				return true;
			if (c->patch_dirty) {
				if (*v->pre || *c->v.pre)
					return cmp_pre(v->pre, c->v.pre) != 0;
				return false;
			}
		}
		return version_cmp(v, &c->v) != 0;
	case OP_GT:
		if (!c->dirty)
			return version_cmp(v, &c->v) > 0;
		if (v->major != c->v.major)
			return v->major > c->v.major;
		if (c->minor_dirty)
			return false;
		if (c->patch_dirty)
			return v->minor > c->v.minor;
		return version_cmp(v, &c->v) > 0;
	case OP_LT:
		return version_cmp(v, &c->v) < 0;
	case OP_GE:
		return version_cmp(v, &c->v) >= 0;
	case OP_LE:
		if (!c->dirty)
			return version_cmp(v, &c->v) <= 0;
		if (v->major > c->v.major)
			return false;
		return !(v->major == c->v.major && v->minor > c->v.minor && !c->minor_dirty);
	case OP_CARET:
		if (version_cmp(v, &c->v) < 0)
			return false;
		if (c->v.major > 0 || c->minor_dirty)
			return v->major == c->v.major;
		if (v->major > 0)
			return false;
		if (c->v.minor > 0 || c->patch_dirty)
			return v->minor == c->v.minor;
		if (v->minor > 0)
			return false;
		return c->v.patch == v->patch;
	}
	return false;
}

bool wn__semver_con_check(const struct wn__semver_con *c, const char *tag)
{
	struct ver v;
	if (!version_parse(&v, tag))
		return false; /* skopeo: "cannot be parsed as semver, skipping" */
	for (size_t i = 0; i < c->n; i++) {
		bool ok = true;
		for (size_t k = 0; k < c->g[i].n && ok; k++)
			ok = c_check(&v, &c->g[i].c[k], c->g[i].has_pre);
		if (ok)
			return true;
	}
	return false;
}

/* ---- RE2 to POSIX ERE ------------------------------------------------------ */

static int re_fail(char *why, size_t n, const char *fmt, const char *what)
{
	snprintf(why, n, fmt, what);
	return WN_EINVAL;
}

/* A bracket expression from just after '[' : RE2's escapes become ERE's
 * (in ERE a backslash is itself inside brackets).  ']' goes first, '-' last. */
static int bracket(struct wn__buf *b, const char **pp, char *why, size_t n)
{
	const char *p = *pp;
	struct wn__buf body = { .max = 1u << 16 };
	bool neg = false, rbr = false, dash = false;
	if (*p == '^') {
		neg = true;
		p++;
	}
	for (bool first = true; *p && (*p != ']' || first); first = false) {
		if (*p == ']') { /* first: a literal ']' */
			rbr = true;
			p++;
		} else if (*p == '[' && p[1] == ':') {
			const char *e = strstr(p + 2, ":]");
			if (!e)
				return re_fail(why, n, "has an unterminated class %s", "[:");
			wn__buf_append(&body, p, (size_t)(e + 2 - p));
			p = e + 2;
		} else if (*p == '\\') {
			char c = p[1];
			if (!c)
				return re_fail(why, n, "ends with %s", "\\");
			if (c == 'd')
				wn__buf_puts(&body, "0-9");
			else if (c == 'w')
				wn__buf_puts(&body, "0-9A-Za-z_");
			else if (c == 's')
				wn__buf_puts(&body, "\t\n\f\r ");
			else if (c == ']')
				rbr = true;
			else if (c == '-')
				dash = true;
			else if (c == '\\' || c == '^' || c == '[' || c == '.' || c == '*' || c == '+' || c == '?' ||
			         c == '(' || c == ')' || c == '{' || c == '}' || c == '|' || c == '$' || c == '/')
				wn__buf_append(&body, &c, 1);
			else if (c == 't')
				wn__buf_puts(&body, "\t");
			else if (c == 'n')
				wn__buf_puts(&body, "\n");
			else {
				char e[3] = { '\\', c, 0 };
				return re_fail(why, n, "uses %s inside brackets, which has no POSIX form", e);
			}
			p += 2;
		} else {
			wn__buf_append(&body, p, 1);
			p++;
		}
	}
	if (*p != ']') {
		wn__buf_free(&body);
		return re_fail(why, n, "has an unterminated %s", "[");
	}
	/* a '^' that would come first and negate is moved after ']'s place */
	wn__buf_puts(b, neg ? "[^" : "[");
	if (rbr)
		wn__buf_puts(b, "]");
	if (!neg && !rbr && body.len && body.data[0] == '^') {
		wn__buf_append(b, body.data + 1, body.len - 1);
		wn__buf_puts(b, "^");
	} else if (body.len) {
		wn__buf_append(b, body.data, body.len);
	}
	if (dash)
		wn__buf_puts(b, "-");
	wn__buf_puts(b, "]");
	wn__buf_free(&body);
	*pp = p + 1;
	return WN_OK;
}

int wn__re2_compile(regex_t *re, const char *expr, char *why, size_t n)
{
	struct wn__buf b = { .max = 1u << 16 };
	const char *p = expr;
	int flags = REG_EXTENDED | REG_NOSUB, rc = WN_OK;
	if (!strncmp(p, "(?i)", 4)) {
		flags |= REG_ICASE;
		p += 4;
	}
	while (*p && rc == WN_OK) {
		char c = *p;
		if (c == '\\') {
			char e = p[1];
			p += 2;
			switch (e) {
			case 'd': wn__buf_puts(&b, "[0-9]"); break;
			case 'D': wn__buf_puts(&b, "[^0-9]"); break;
			case 'w': wn__buf_puts(&b, "[0-9A-Za-z_]"); break;
			case 'W': wn__buf_puts(&b, "[^0-9A-Za-z_]"); break;
			case 's': wn__buf_puts(&b, "[\t\n\f\r ]"); break;
			case 'S': wn__buf_puts(&b, "[^\t\n\f\r ]"); break;
			case 'A': wn__buf_puts(&b, "^"); break;
			case 'z': wn__buf_puts(&b, "$"); break;
			case 't': wn__buf_puts(&b, "\t"); break;
			case 'n': wn__buf_puts(&b, "\n"); break;
			case 0: rc = re_fail(why, n, "ends with %s", "\\"); break;
			default:
				if (isalnum((unsigned char)e)) {
					char s[3] = { '\\', e, 0 };
					rc = re_fail(why, n, "uses %s, which has no POSIX form", s);
				} else {
					char s[3] = { '\\', e, 0 };
					wn__buf_puts(&b, s);
				}
			}
		} else if (c == '[') {
			p++;
			rc = bracket(&b, &p, why, n);
		} else if (c == '(' && p[1] == '?') {
			if (p[2] == ':') {
				wn__buf_puts(&b, "(");
				p += 3;
			} else {
				rc = re_fail(why, n, "uses a group flag or name (%s...), which has no POSIX form", "(?");
			}
		} else if ((c == '*' || c == '+' || c == '?' || c == '}') && p[1] == '?') {
			/* lazy: matches what the greedy one matches, somewhere */
			wn__buf_append(&b, p, 1);
			p += 2;
		} else {
			wn__buf_append(&b, p, 1);
			p++;
		}
	}
	if (rc == WN_OK && (wn__buf_cstr(&b) != WN_OK || b.overflow))
		rc = re_fail(why, n, "is too long%s", "");
	if (rc == WN_OK) {
		int e = regcomp(re, b.data ? (char *)b.data : "", flags);
		if (e) {
			char msg[200];
			regerror(e, re, msg, sizeof msg);
			snprintf(why, n, "does not compile: %s", msg);
			rc = WN_EINVAL;
		}
	}
	wn__buf_free(&b);
	return rc;
}

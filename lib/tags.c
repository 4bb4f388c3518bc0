/*
 * tags.c: ordering tags.  Registries return them unsorted (distribution 2.8
 * gives directory order), so scripts get a stable order from us.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"

struct ver {
	long num[3];
	int n;
	const char *pre; /* after '-', NULL if none */
	size_t pre_len;
};

/* [v]MAJOR[.MINOR[.PATCH]][-PRERELEASE][+BUILD] */
static bool parse_ver(const char *s, struct ver *v)
{
	memset(v, 0, sizeof *v);
	if (*s == 'v' || *s == 'V')
		s++;
	while (v->n < 3) {
		if (!isdigit((unsigned char)*s))
			return false;
		char *end;
		v->num[v->n++] = strtol(s, &end, 10);
		s = end;
		if (*s != '.')
			break;
		s++;
	}
	if (*s == '-') {
		v->pre = ++s;
		v->pre_len = strcspn(s, "+");
		if (!v->pre_len)
			return false;
		s += v->pre_len;
	}
	if (*s == '+')
		return s[1] != 0;
	return *s == 0;
}

/* One dot-separated pre-release identifier against another (SemVer 2.0.0
 * 11.4): digits only compare numerically, numeric identifiers rank below
 * alphanumeric ones, others compare in ASCII order. */
static int ident_cmp(const char *a, size_t an, const char *b, size_t bn)
{
	bool na = an > 0, nb = bn > 0;
	for (size_t i = 0; i < an; i++)
		na &= isdigit((unsigned char)a[i]) != 0;
	for (size_t i = 0; i < bn; i++)
		nb &= isdigit((unsigned char)b[i]) != 0;
	if (na != nb)
		return na ? -1 : 1;
	if (na) {
		/* any length: leading zeros off, then the longer number is larger */
		while (an > 1 && *a == '0')
			a++, an--;
		while (bn > 1 && *b == '0')
			b++, bn--;
		if (an != bn)
			return an < bn ? -1 : 1;
	}
	int c = memcmp(a, b, an < bn ? an : bn);
	if (c)
		return c < 0 ? -1 : 1;
	return an == bn ? 0 : an < bn ? -1 : 1;
}

/* Pre-release precedence (SemVer 2.0.0 11.4): identifier by identifier; when
 * every identifier of the shorter set equals the other's, the larger set wins. */
static int pre_cmp(const char *a, size_t an, const char *b, size_t bn)
{
	for (;;) {
		size_t la = 0, lb = 0;
		while (la < an && a[la] != '.')
			la++;
		while (lb < bn && b[lb] != '.')
			lb++;
		int c = ident_cmp(a, la, b, lb);
		if (c)
			return c;
		bool more_a = la < an, more_b = lb < bn;
		if (!more_a || !more_b)
			return more_a == more_b ? 0 : more_a ? 1 : -1;
		a += la + 1, an -= la + 1;
		b += lb + 1, bn -= lb + 1;
	}
}

int wn_tag_semver_cmp(const char *a, const char *b)
{
	struct ver va, vb;
	bool pa = parse_ver(a, &va), pb = parse_ver(b, &vb);
	if (pa != pb)
		return pa ? -1 : 1; /* versions first, then everything else by name */
	if (pa) {
		for (int i = 0; i < 3; i++)
			if (va.num[i] != vb.num[i])
				return va.num[i] < vb.num[i] ? -1 : 1;
		if (va.n != vb.n)
			return va.n < vb.n ? -1 : 1; /* 1.2 before 1.2.0 */
		if (!va.pre != !vb.pre)
			return va.pre ? -1 : 1; /* 1.0.0-rc1 before 1.0.0 */
		if (va.pre) {
			int c = pre_cmp(va.pre, va.pre_len, vb.pre, vb.pre_len);
			if (c)
				return c;
		}
	}
	/* equal precedence (build metadata, a "v"): byte order keeps the sort stable */
	return strcmp(a, b);
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int cmp_semver(const void *a, const void *b)
{
	return wn_tag_semver_cmp(*(char *const *)a, *(char *const *)b);
}

int wn_tags_sort(struct wn_strlist *tags, const char *how, struct wn_error *err)
{
	int (*cmp)(const void *, const void *);
	if (!how || !strcmp(how, "name"))
		cmp = cmp_name;
	else if (!strcmp(how, "semver"))
		cmp = cmp_semver;
	else if (!strcmp(how, "none"))
		return WN_OK;
	else
		return wn__error_set(err, WN_EINVAL, "invalid sort \"%s\": expected name, semver or none", how);
	/* qsort of a NULL array is undefined even for n == 0 */
	if (tags->n > 1)
		qsort(tags->items, tags->n, sizeof *tags->items, cmp);
	return WN_OK;
}

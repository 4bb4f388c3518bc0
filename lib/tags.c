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
			int c = strncmp(va.pre, vb.pre, va.pre_len < vb.pre_len ? va.pre_len : vb.pre_len);
			if (c)
				return c;
			if (va.pre_len != vb.pre_len)
				return va.pre_len < vb.pre_len ? -1 : 1;
		}
	}
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
	if (!how || !strcmp(how, "name"))
		qsort(tags->items, tags->n, sizeof *tags->items, cmp_name);
	else if (!strcmp(how, "semver"))
		qsort(tags->items, tags->n, sizeof *tags->items, cmp_semver);
	else if (strcmp(how, "none"))
		return wn__error_set(err, WN_EINVAL, "invalid sort \"%s\": expected name, semver or none", how);
	return WN_OK;
}

/*
 * retention.c: retention policies as a pure function, (images, policy, now)
 * -> which images or tags expire and by which rule.  No I/O: cleanup.c
 * gathers the images and carries the result out.
 *
 * ECR lifecycle policies are checked as ECR checks them (the user guide's
 * "Lifecycle policy properties" and "evaluation rules"): unique priorities,
 * one rule for untagged images, the tagStatus any rule last, messages naming
 * the rules; ECR's archive storage class is refused by name.  They keep
 * ECR's semantics:
 *  - rules are applied in rulePriority order, lowest first;
 *  - an image is expired by one rule at most, and an image that matches the
 *    tag selection of a higher-priority rule cannot be expired by a lower
 *    one (which still counts it for imageCountMoreThan);
 *  - tagPrefixList / tagPatternList select an image when every entry matches
 *    one of its tags (patterns: '*' wildcards, at most four);
 *  - imageCountMoreThan keeps the N newest of the selection, sinceImagePushed
 *    expires what was pushed more than N days ago; "pushed" is the time the
 *    inventory found (config created or the created annotation: registries
 *    keep no push time the API shows), ties broken by tag name (versions
 *    compared as versions).
 * Undated images (no time, the 1970 epoch of reproducible builds, before 2000
 * or in the future: see wn_ret_time_known) are never expired by age, and
 * count rules leave them out of the ranking, unless expire_undated says they
 * are the oldest of all.
 * Flag policies (--keep, --older-than, --match, --exclude) work per tag, so
 * that no tag outside the selection is ever expired with its image; untagged
 * images (--untagged, or alone with --untagged-only, where a vendor API lists
 * them) are a selection of their own, judged by the same --keep and
 * --older-than, and all of them go when neither is given.
 * --protect tags are never expired in either mode.
 */
#include <limits.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"

void wn_policy_free(struct wn_policy *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n_rules; i++) {
		struct wn_policy_rule *r = &p->rules[i];
		for (size_t k = 0; k < r->n_list; k++)
			free(r->list[k]);
		free(r->list);
		free(r->description);
	}
	free(p->rules);
	free(p->match);
	free(p->exclude);
	free(p->protect);
	free(p);
}

/* The policy's messages all start "invalid lifecycle policy: ". */
static int bad(struct wn_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int bad(struct wn_error *err, const char *fmt, ...)
{
	char msg[sizeof err->msg];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return wn__error_set(err, WN_EINVAL, "invalid lifecycle policy: %s", msg);
}

/* Every key of obj must be in allowed; names the first that is not. */
static int known_keys(const cJSON *obj, const char *const *allowed, const char *where, struct wn_error *err)
{
	const cJSON *k;
	cJSON_ArrayForEach(k, obj) {
		bool ok = false;
		for (const char *const *a = allowed; *a && !ok; a++)
			ok = !strcmp(k->string, *a);
		if (!ok)
			return bad(err, "unknown key \"%.60s\" in %s", k->string, where);
	}
	return WN_OK;
}

/* A JSON number that is a whole number from 1 to INT_MAX.  The range is
 * checked before the cast: converting an out-of-range double is undefined. */
static bool whole(const cJSON *v, int *out)
{
	if (!cJSON_IsNumber(v) || !(v->valuedouble >= 1 && v->valuedouble <= INT_MAX))
		return false;
	int i = (int)v->valuedouble;
	if ((double)i != v->valuedouble)
		return false;
	*out = i;
	return true;
}

/* ` ("Keep last 10")`, or "" without a description: how messages name a rule.
 * Long descriptions are cut, at a character boundary, so two rules fit one message. */
static void describe(char *buf, size_t n, const struct wn_policy_rule *r)
{
	const char *d = r->description;
	size_t len = d ? strlen(d) : 0, cut = len > 32 ? 32 : len;
	while (cut < len && cut && ((unsigned char)d[cut] & 0xC0) == 0x80)
		cut--;
	if (len)
		snprintf(buf, n, " (\"%.*s%s\")", (int)cut, d, cut < len ? "..." : "");
	else
		buf[0] = 0;
}

/* One rule, checked against ECR's "Lifecycle policy properties". */
static int parse_rule(struct wn_policy_rule *x, const cJSON *r, const char *where, struct wn_error *err)
{
	static const char *const rule_keys[] = { "rulePriority", "description", "selection", "action", NULL };
	static const char *const sel_keys[] = { "tagStatus", "tagPrefixList", "tagPatternList", "storageClass",
		                                    "countType", "countUnit", "countNumber", NULL };
	static const char *const act_keys[] = { "type", "targetStorageClass", NULL };
	char sub[96];
	int rc;
	if (!cJSON_IsObject(r))
		return bad(err, "%s: not an object", where);
	if ((rc = known_keys(r, rule_keys, where, err)) != WN_OK)
		return rc;
	const cJSON *prio = cJSON_GetObjectItemCaseSensitive(r, "rulePriority");
	const cJSON *desc = cJSON_GetObjectItemCaseSensitive(r, "description");
	const cJSON *sel = cJSON_GetObjectItemCaseSensitive(r, "selection");
	const cJSON *act = cJSON_GetObjectItemCaseSensitive(r, "action");
	if (!prio)
		return bad(err, "%s: missing rulePriority", where);
	if (!whole(prio, &x->priority))
		return bad(err, "%s: rulePriority must be a whole number from 1 to %d", where, INT_MAX);
	if (desc && !cJSON_IsString(desc))
		return bad(err, "%s: description must be a string", where);
	if (desc && !(x->description = strdup(desc->valuestring)))
		return wn__error_set(err, WN_ENOMEM, "out of memory");

	/* the action: expire.  ECR's transition (to its archive storage class) has no registry equivalent. */
	if (!act)
		return bad(err, "%s: missing action", where);
	snprintf(sub, sizeof sub, "%s.action", where);
	if (!cJSON_IsObject(act))
		return bad(err, "%s: action must be {\"type\": \"expire\"}", where);
	if ((rc = known_keys(act, act_keys, sub, err)) != WN_OK)
		return rc;
	const char *type = wn__json_str(act, "type");
	if (type && !strcmp(type, "transition"))
		return bad(err, "%s: action type transition (to ECR's archive storage class) is not supported: only expire",
		           where);
	if (!type || strcmp(type, "expire"))
		return bad(err, "%s: action must be {\"type\": \"expire\"}", where);
	if (cJSON_GetObjectItemCaseSensitive(act, "targetStorageClass"))
		return bad(err, "%s: targetStorageClass goes with action type transition only", where);

	if (!sel)
		return bad(err, "%s: missing selection", where);
	if (!cJSON_IsObject(sel))
		return bad(err, "%s: selection must be an object", where);
	snprintf(sub, sizeof sub, "%s.selection", where);
	if ((rc = known_keys(sel, sel_keys, sub, err)) != WN_OK)
		return rc;
	const cJSON *sclass = cJSON_GetObjectItemCaseSensitive(sel, "storageClass");
	if (sclass) { /* standard is ECR's default: the same as leaving it out */
		const char *s = cJSON_IsString(sclass) ? sclass->valuestring : "";
		if (!strcmp(s, "archive"))
			return bad(err, "%s: storageClass archive (ECR's archive storage class) is not supported: only standard",
			           where);
		if (strcmp(s, "standard"))
			return bad(err, "%s: storageClass must be standard", where);
	}
	const char *status = wn__json_str(sel, "tagStatus"), *ctype = wn__json_str(sel, "countType");
	const cJSON *prefixes = cJSON_GetObjectItemCaseSensitive(sel, "tagPrefixList");
	const cJSON *patterns = cJSON_GetObjectItemCaseSensitive(sel, "tagPatternList");
	const cJSON *num = cJSON_GetObjectItemCaseSensitive(sel, "countNumber");
	if (!status || (strcmp(status, "tagged") && strcmp(status, "untagged") && strcmp(status, "any")))
		return bad(err, "%s: tagStatus must be tagged, untagged or any", where);
	x->status = !strcmp(status, "tagged") ? WN_TAGGED : !strcmp(status, "untagged") ? WN_UNTAGGED : WN_ANY;
	if (prefixes && patterns)
		return bad(err, "%s: tagPrefixList and tagPatternList cannot both be given", where);
	const cJSON *list = prefixes ? prefixes : patterns, *it;
	if (x->status == WN_TAGGED && (!cJSON_IsArray(list) || !cJSON_GetArraySize(list)))
		return bad(err, "%s: tagStatus tagged needs a non-empty tagPrefixList or tagPatternList", where);
	if (x->status != WN_TAGGED && list)
		return bad(err, "%s: tagPrefixList and tagPatternList go with tagStatus tagged only", where);
	x->patterns = patterns != NULL;
	if (!(x->list = calloc((size_t)cJSON_GetArraySize(list) + 1, sizeof *x->list)))
		return wn__error_set(err, WN_ENOMEM, "out of memory");
	cJSON_ArrayForEach(it, list) {
		if (!cJSON_IsString(it) || !*it->valuestring)
			return bad(err, "%s: tag lists hold non-empty strings", where);
		int stars = 0;
		for (const char *c = it->valuestring; *c; c++)
			stars += *c == '*';
		if (stars > 4)
			return bad(err, "%s: a tag pattern has at most four '*'", where);
		if (!(x->list[x->n_list] = strdup(it->valuestring)))
			return wn__error_set(err, WN_ENOMEM, "out of memory");
		x->n_list++;
	}
	if (!whole(num, &x->count)) /* ECR: "0 is not an accepted value" */
		return bad(err, "%s: countNumber must be a whole number from 1 to %d", where, INT_MAX);
	if (ctype && !strcmp(ctype, "imageCountMoreThan")) {
		x->type = WN_COUNT_MORE_THAN;
		if (cJSON_GetObjectItemCaseSensitive(sel, "countUnit"))
			return bad(err, "%s: countUnit goes with sinceImagePushed only", where);
	} else if (ctype && !strcmp(ctype, "sinceImagePushed")) {
		x->type = WN_SINCE_PUSHED;
		const char *unit = wn__json_str(sel, "countUnit");
		if (!unit || strcmp(unit, "days"))
			return bad(err, "%s: sinceImagePushed needs countUnit \"days\"", where);
	} else if (ctype && !strcmp(ctype, "sinceImagePulled")) {
		return bad(err, "%s: countType sinceImagePulled is not supported: registries record no pull time", where);
	} else if (ctype && !strcmp(ctype, "sinceImageTransitioned")) {
		return bad(err, "%s: countType sinceImageTransitioned (ECR's archive storage class) is not supported", where);
	} else {
		return bad(err, "%s: countType must be imageCountMoreThan or sinceImagePushed", where);
	}
	return WN_OK;
}

struct slot {
	int priority;
	size_t at; /* the rule's place in the file */
};

static int cmp_slot(const void *a, const void *b)
{
	const struct slot *x = a, *y = b;
	if (x->priority != y->priority)
		return (x->priority > y->priority) - (x->priority < y->priority);
	return (x->at > y->at) - (x->at < y->at);
}

/* The rules together: unique priorities, put in priority order; one rule for
 * untagged images; the tagStatus any rule last.  Messages name both rules. */
static int order_rules(struct wn_policy *p, struct wn_error *err)
{
	size_t n = p->n_rules;
	struct slot *ord = malloc(n * sizeof *ord);
	struct wn_policy_rule *sorted = malloc(n * sizeof *sorted);
	const struct wn_policy_rule *untagged = NULL;
	char a[64], b[64];
	int rc = WN_OK;
	if (!ord || !sorted) {
		rc = wn__error_set(err, WN_ENOMEM, "out of memory");
		goto done;
	}
	for (size_t i = 0; i < n; i++)
		ord[i] = (struct slot){ p->rules[i].priority, i };
	if (n > 1)
		qsort(ord, n, sizeof *ord, cmp_slot);
	for (size_t i = 1; i < n; i++)
		if (ord[i].priority == ord[i - 1].priority) {
			describe(a, sizeof a, &p->rules[ord[i - 1].at]);
			describe(b, sizeof b, &p->rules[ord[i].at]);
			rc = bad(err, "rulePriority values must be unique: rules[%zu]%s and rules[%zu]%s both have rulePriority %d",
			         ord[i - 1].at, a, ord[i].at, b, ord[i].priority);
			goto done;
		}
	for (size_t i = 0; i < n; i++)
		sorted[i] = p->rules[ord[i].at];
	free(p->rules);
	p->rules = sorted;
	sorted = NULL;
	for (size_t i = 0; i < n; i++) {
		const struct wn_policy_rule *x = &p->rules[i];
		if (x->status == WN_UNTAGGED && untagged) {
			/* ECR's words: "Only one rule can select Untagged images" */
			describe(a, sizeof a, untagged);
			describe(b, sizeof b, x);
			rc = bad(err, "only one rule can select untagged images: rule %d%s and rule %d%s both have tagStatus untagged",
			         untagged->priority, a, x->priority, b);
			goto done;
		}
		if (x->status == WN_UNTAGGED)
			untagged = x;
		if (x->status == WN_ANY && i + 1 != n) {
			describe(a, sizeof a, x);
			describe(b, sizeof b, &p->rules[n - 1]);
			rc = bad(err, "the tagStatus any rule must have the highest rulePriority: rule %d%s has tagStatus any but "
			         "rule %d%s comes after it", x->priority, a, p->rules[n - 1].priority, b);
			goto done;
		}
	}
done:
	free(ord);
	free(sorted);
	return rc;
}

int wn_policy_parse_ecr(struct wn_policy **out, const void *data, size_t len, struct wn_error *err)
{
	static const char *const top_keys[] = { "rules", NULL };
	struct wn_policy *p = calloc(1, sizeof *p);
	cJSON *j = wn__json_parse(data, len);
	int rc = WN_OK;
	*out = NULL;
	if (!p) {
		cJSON_Delete(j);
		return wn__error_set(err, WN_ENOMEM, "out of memory");
	}
	p->ecr = 1;
	const cJSON *rules = cJSON_GetObjectItemCaseSensitive(j, "rules"), *r;
	if (!cJSON_IsObject(j)) {
		rc = bad(err, "not a JSON object");
		goto done;
	}
	if ((rc = known_keys(j, top_keys, "the policy", err)) != WN_OK)
		goto done;
	if (!cJSON_IsArray(rules) || !cJSON_GetArraySize(rules)) {
		rc = bad(err, "\"rules\" must be a non-empty array");
		goto done;
	}
	p->rules = calloc((size_t)cJSON_GetArraySize(rules), sizeof *p->rules);
	if (!p->rules) {
		rc = wn__error_set(err, WN_ENOMEM, "out of memory");
		goto done;
	}
	cJSON_ArrayForEach(r, rules) {
		char where[32];
		snprintf(where, sizeof where, "rules[%zu]", p->n_rules);
		if ((rc = parse_rule(&p->rules[p->n_rules++], r, where, err)) != WN_OK)
			goto done;
	}
	rc = order_rules(p, err);
done:
	cJSON_Delete(j);
	if (rc != WN_OK) {
		wn_policy_free(p);
		return rc;
	}
	*out = p;
	return WN_OK;
}

/* ECR's wildcard: '*' matches any run of characters, anything else itself.
 * Greedy, going back only to the last '*': at worst len(pat) * len(s) steps.
 * (The recursive form was exponential in the stars: "*a*a*a*ab" against a
 * 128-character tag of a's took 20 ms, for each tag of each image.) */
static bool glob(const char *pat, const char *s)
{
	const char *star = NULL, *resume = NULL;
	while (*s) {
		if (*pat == '*') {
			star = pat++;
			resume = s;
		} else if (*pat == *s) {
			pat++;
			s++;
		} else if (star) {
			pat = star + 1;
			s = ++resume;
		} else {
			return false;
		}
	}
	while (*pat == '*')
		pat++;
	return !*pat;
}

static bool rule_selects(const struct wn_policy_rule *r, const struct wn_ret_image *img)
{
	if (r->status == WN_ANY)
		return true;
	if (r->status == WN_UNTAGGED)
		return img->n_tags == 0;
	if (!img->n_tags)
		return false;
	for (size_t k = 0; k < r->n_list; k++) {
		bool any = false;
		for (size_t t = 0; t < img->n_tags && !any; t++)
			any = r->patterns ? glob(r->list[k], img->tags[t]) : !strncmp(img->tags[t], r->list[k], strlen(r->list[k]));
		if (!any)
			return false;
	}
	return true;
}

#define Y2000 946684800  /* 2000-01-01T00:00:00Z */
#define SKEW  86400      /* a build machine's clock may run ahead: a day is still "now" */

bool wn_ret_time_known(int64_t created, int64_t now)
{
	return created >= Y2000 && created <= now + SKEW;
}

/* The time images are ranked by: undated ones (only ranked with
 * expire_undated) are older than any dated one. */
static int64_t when(const struct wn_ret_image *img, int64_t now)
{
	return wn_ret_time_known(img->created, now) ? img->created : INT64_MIN;
}

/* newest first; ties by tag name, versions as versions, higher first */
static int cmp_newest(const struct wn_ret_image *x, const struct wn_ret_image *y, int64_t now)
{
	int64_t wx = when(x, now), wy = when(y, now);
	if (wx != wy)
		return wx > wy ? -1 : 1;
	const char *tx = x->n_tags ? x->tags[0] : x->digest, *ty = y->n_tags ? y->tags[0] : y->digest;
	return -wn_tag_semver_cmp(tx, ty);
}

/* A stable merge sort of image indexes (qsort has no context argument in C). */
static void sort_newest(size_t *idx, size_t n, const struct wn_ret_image *const *imgs, int64_t now)
{
	size_t *tmp = n > 1 ? malloc(n * sizeof *tmp) : NULL;
	if (!tmp)
		return;
	for (size_t w = 1; w < n; w *= 2) {
		for (size_t lo = 0; lo < n; lo += 2 * w) {
			size_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n, a = lo, b = mid, o = lo;
			while (a < mid && b < hi)
				tmp[o++] = cmp_newest(imgs[idx[b]], imgs[idx[a]], now) < 0 ? idx[b++] : idx[a++];
			while (a < mid)
				tmp[o++] = idx[a++];
			while (b < hi)
				tmp[o++] = idx[b++];
		}
		memcpy(idx, tmp, n * sizeof *idx);
	}
	free(tmp);
}

static bool protected(const regex_t *re, const struct wn_ret_image *img)
{
	for (size_t t = 0; re && t < img->n_tags; t++)
		if (!regexec(re, img->tags[t], 0, NULL, 0))
			return true;
	return false;
}

int wn_policy_evaluate(struct wn_ret_result **out, const struct wn_policy *p, const struct wn_ret_image *const *imgs,
                       size_t n, int64_t now, struct wn_error *err)
{
	regex_t match, exclude, protect;
	bool has_match = false, has_exclude = false, has_protect = false;
	struct wn_ret_result *res = calloc(n ? n : 1, sizeof *res);
	size_t *idx = calloc(n ? n : 1, sizeof *idx);
	int rc = WN_OK;
	*out = NULL;
	if (!res || !idx) {
		rc = wn__error_set(err, WN_ENOMEM, "out of memory");
		goto done;
	}
#define COMPILE(field, re, flag, name)                                                                             \
	if (p->field) {                                                                                                \
		if (regcomp(&re, p->field, REG_EXTENDED | REG_NOSUB)) {                                                   \
			rc = wn__error_set(err, WN_EINVAL, "invalid --%s regular expression \"%s\"", name, p->field);         \
			goto done;                                                                                             \
		}                                                                                                          \
		flag = true;                                                                                               \
	}
	COMPILE(match, match, has_match, "match")
	COMPILE(exclude, exclude, has_exclude, "exclude")
	COMPILE(protect, protect, has_protect, "protect")
#undef COMPILE
	for (size_t i = 0; i < n; i++) {
		res[i].rule = -1;
		res[i].expired_tags = calloc(imgs[i]->n_tags + 1, sizeof *res[i].expired_tags);
		if (!res[i].expired_tags) {
			rc = wn__error_set(err, WN_ENOMEM, "out of memory");
			goto done;
		}
	}

	if (p->ecr) {
		bool *claimed = calloc(n ? n : 1, sizeof *claimed);
		for (size_t ri = 0; ri < p->n_rules && claimed; ri++) {
			const struct wn_policy_rule *r = &p->rules[ri];
			size_t m = 0;
			for (size_t i = 0; i < n; i++)
				if (rule_selects(r, imgs[i])) {
					/* an undated image is claimed by the rule, but neither ranked nor expired */
					if (!p->expire_undated && !wn_ret_time_known(imgs[i]->created, now))
						claimed[i] = true;
					else
						idx[m++] = i;
				}
			sort_newest(idx, m, imgs, now);
			for (size_t k = 0; k < m; k++) {
				size_t i = idx[k];
				bool expire = r->type == WN_COUNT_MORE_THAN
				                  ? k >= (size_t)r->count
				                  : when(imgs[i], now) < now - (int64_t)r->count * 86400;
				if (expire && !claimed[i] && !protected(has_protect ? &protect : NULL, imgs[i])) {
					res[i].rule = (int)ri;
					res[i].expire_image = 1;
					for (size_t t = 0; t < imgs[i]->n_tags; t++)
						res[i].expired_tags[t] = 1;
				}
			}
			for (size_t k = 0; k < m; k++)
				claimed[idx[k]] = true;
		}
		if (!claimed)
			rc = wn__error_set(err, WN_ENOMEM, "out of memory");
		free(claimed);
		goto done;
	}

	/* flags: per tag. The selection is the tags --match (all by default) and not --exclude. */
	bool timed = p->keep > 0 || p->older_than_days >= 0; /* --keep 0 alone expires every selected tag */
	struct tag_ref {
		size_t img, tag;
	} *sel = NULL;
	size_t ns = 0, total = 0;
	for (size_t i = 0; i < n; i++)
		total += imgs[i]->n_tags;
	sel = calloc(total ? total : 1, sizeof *sel);
	if (!sel) {
		rc = wn__error_set(err, WN_ENOMEM, "out of memory");
		goto done;
	}
	for (size_t i = 0; i < n && !p->untagged_only; i++)
		for (size_t t = 0; t < imgs[i]->n_tags; t++) {
			const char *tag = imgs[i]->tags[t];
			if ((has_match && regexec(&match, tag, 0, NULL, 0)) || (has_exclude && !regexec(&exclude, tag, 0, NULL, 0)) ||
			    (has_protect && !regexec(&protect, tag, 0, NULL, 0)))
				continue;
			if (timed && !p->expire_undated && !wn_ret_time_known(imgs[i]->created, now))
				continue; /* undated: neither ranked nor expired */
			sel[ns++] = (struct tag_ref){ i, t };
		}
	/* newest first, as images are ordered, one position per tag */
	for (size_t a = 1; a < ns; a++)
		for (size_t b = a; b > 0; b--) {
			const struct wn_ret_image *x = imgs[sel[b - 1].img], *y = imgs[sel[b].img];
			int64_t wx = when(x, now), wy = when(y, now);
			int c = wx != wy ? (wx > wy ? -1 : 1) : -wn_tag_semver_cmp(x->tags[sel[b - 1].tag], y->tags[sel[b].tag]);
			if (c <= 0)
				break;
			struct tag_ref tmp = sel[b];
			sel[b] = sel[b - 1];
			sel[b - 1] = tmp;
		}
	for (size_t k = 0; k < ns; k++) {
		const struct wn_ret_image *img = imgs[sel[k].img];
		bool beyond = p->keep < 0 || k >= (size_t)p->keep;
		bool old = p->older_than_days < 0 || when(img, now) < now - (int64_t)p->older_than_days * 86400;
		if (beyond && old && (p->keep >= 0 || p->older_than_days >= 0)) {
			res[sel[k].img].expired_tags[sel[k].tag] = 1;
			res[sel[k].img].rule = 0;
		}
	}
	for (size_t i = 0; i < n; i++) {
		bool all = imgs[i]->n_tags > 0;
		for (size_t t = 0; t < imgs[i]->n_tags; t++)
			all &= res[i].expired_tags[t];
		res[i].expire_image = all;
	}
	/* untagged images (--untagged, --untagged-only): a selection of their own, newest
	 * first, judged by the same --keep and --older-than; without either, all of them */
	if (p->untagged || p->untagged_only) {
		size_t m = 0;
		for (size_t i = 0; i < n; i++)
			if (!imgs[i]->n_tags && (!timed || p->expire_undated || wn_ret_time_known(imgs[i]->created, now)))
				idx[m++] = i;
		sort_newest(idx, m, imgs, now);
		for (size_t k = 0; k < m; k++) {
			const struct wn_ret_image *img = imgs[idx[k]];
			bool beyond = p->keep < 0 || k >= (size_t)p->keep;
			bool old = p->older_than_days < 0 || when(img, now) < now - (int64_t)p->older_than_days * 86400;
			if (beyond && old) {
				res[idx[k]].expire_image = 1;
				res[idx[k]].rule = 0;
			}
		}
	}
	free(sel);
done:
	if (has_match)
		regfree(&match);
	if (has_exclude)
		regfree(&exclude);
	if (has_protect)
		regfree(&protect);
	free(idx);
	if (rc != WN_OK) {
		wn_ret_result_free(res, n);
		return rc;
	}
	*out = res;
	return WN_OK;
}

void wn_ret_result_free(struct wn_ret_result *r, size_t n)
{
	if (!r)
		return;
	for (size_t i = 0; i < n; i++)
		free(r[i].expired_tags);
	free(r);
}

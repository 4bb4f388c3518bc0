/*
 * cleanup.c: a repository's tags -> a deletion plan -> deletions.
 *
 * The plan is built on the graph, not on a list of tags: tags -> manifests
 * -> (for an index) the platform manifests and attestations it holds -> the
 * referrers pointing at them (the sha256-<hex>[.sig|.att|.sbom] tags).  A
 * manifest is deleted only when no kept tag reaches it (through indexes too);
 * an expired tag on a manifest something kept still reaches is removed alone
 * (delete's tag-only way).  Referrers go with their image, and the untagged
 * children of a deleted index with it, after it.
 *
 * Plans are written and read back as JSON here; apply.c carries them out.
 */
#include <regex.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "internal.h"

#define CONFIG_MAX (8u << 20)
#define REFERRER_TAG "^sha256-[0-9a-f]{64}(\\.[A-Za-z0-9_-]+)?$"

void wn_cleanup_plan_free(struct wn_cleanup_plan *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n_items; i++) {
		struct wn_cleanup_item *it = &p->items[i];
		free(it->digest);
		wn_strlist_free(it->tags);
		free(it->reason);
		free(it->created);
		free(it->result);
		free(it->parent);
	}
	free(p->items);
	free(p->repository);
	free(p->note);
	free(p);
}

/* RFC 3339 -> unix seconds. */
static bool parse_time(const char *s, int64_t *out)
{
	struct tm tm = { 0 };
	const char *rest;
	if (!s || !(rest = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm)))
		return false;
	int64_t t = (int64_t)timegm(&tm);
	while (*rest == '.' || (*rest >= '0' && *rest <= '9'))
		rest++;
	if ((*rest == '+' || *rest == '-') && strlen(rest) >= 6) {
		int64_t off = (rest[1] - '0') * 36000 + (rest[2] - '0') * 3600 + (rest[4] - '0') * 600 + (rest[5] - '0') * 60;
		t += *rest == '+' ? -off : off;
	}
	*out = t;
	return true;
}

/* A time an image states, and where from. */
struct stamp {
	int64_t t;                    /* -1: none stated */
	char s[40];
	const char *source;           /* "config", "annotation", "implausible" (stated, not believed), "" */
};

static void stamp_set(struct stamp *st, const char *s, const char *source, int64_t now)
{
	int64_t t;
	if (st->t >= 0 && strcmp(st->source, "implausible"))
		return; /* already a believable one */
	if (!parse_time(s, &t) || t < 0)
		return;
	bool known = wn_ret_time_known(t, now);
	if (!known && st->t >= 0)
		return; /* the first implausible one is shown */
	st->t = t;
	snprintf(st->s, sizeof st->s, "%s", s);
	st->source = known ? source : "implausible";
}

struct node {
	char digest[WN_DIGEST_MAX];
	struct wn_strlist tags;       /* tags pointing at it */
	struct wn_strlist children;   /* an index's entries */
	struct wn_strlist child_what; /* per child: its platform, or "attestation of DIGEST" */
	struct stamp when;
	char *type;                   /* media type, from the HEAD */
};

struct inventory {
	struct node *nodes;
	size_t n, cap;
	struct wn_strlist referrer_tags;
	size_t from_config, from_annotation, unknown, implausible;
	struct wn_strlist undated;    /* tags of images without a believable time */
};

static void strlist_clear(struct wn_strlist *l)
{
	for (size_t k = 0; k < l->n; k++)
		free(l->items[k]);
	free(l->items);
	memset(l, 0, sizeof *l);
}

static struct node *node_find(struct inventory *inv, const char *digest)
{
	for (size_t i = 0; i < inv->n; i++)
		if (!strcmp(inv->nodes[i].digest, digest))
			return &inv->nodes[i];
	return NULL;
}

static struct node *node_for(struct inventory *inv, const char *digest)
{
	struct node *nd = node_find(inv, digest);
	if (nd)
		return nd;
	if (inv->n == inv->cap) {
		size_t cap = inv->cap ? inv->cap * 2 : 64;
		struct node *v = realloc(inv->nodes, cap * sizeof *v);
		if (!v)
			return NULL;
		inv->nodes = v;
		inv->cap = cap;
	}
	nd = &inv->nodes[inv->n++];
	memset(nd, 0, sizeof *nd);
	snprintf(nd->digest, sizeof nd->digest, "%s", digest);
	nd->when.t = -1;
	nd->when.source = "";
	return nd;
}

static void inventory_free(struct inventory *inv)
{
	for (size_t i = 0; i < inv->n; i++) {
		strlist_clear(&inv->nodes[i].tags);
		strlist_clear(&inv->nodes[i].children);
		strlist_clear(&inv->nodes[i].child_what);
		free(inv->nodes[i].type);
	}
	free(inv->nodes);
	strlist_clear(&inv->referrer_tags);
	strlist_clear(&inv->undated);
}

/* The created time of an image manifest: its annotation, else its config's;
 * one that is not believable (wn_ret_time_known) gives way to one that is. */
static int image_time(struct wn_ctx *ctx, const struct wn_ref *repo, const struct wn_manifest *m, int64_t now,
                      struct stamp *st)
{
	cJSON *j = wn__json_parse(m->data, m->len);
	const char *ann = wn__json_str(cJSON_GetObjectItemCaseSensitive(j, "annotations"), "org.opencontainers.image.created");
	int rc = WN_OK;
	if (ann)
		stamp_set(st, ann, "annotation", now);
	if ((st->t < 0 || !strcmp(st->source, "implausible")) && !m->is_index && m->config.digest) {
		unsigned char *raw;
		size_t len;
		struct wn_image_config *c;
		if ((rc = wn_blob_get_mem(&raw, &len, ctx, repo, m->config.digest, CONFIG_MAX)) == WN_OK) {
			if (wn_image_config_parse(&c, raw, len, NULL) == WN_OK) {
				if (c->created)
					stamp_set(st, c->created, "config", now);
				wn_image_config_free(c);
			}
			free(raw);
		}
	}
	cJSON_Delete(j);
	return rc;
}

struct gather_state {
	const struct wn_ref *repo;
	struct wn_strlist *tags;       /* the image tags (referrer tags set apart) */
	char (*digests)[WN_DIGEST_MAX];/* per tag */
	char **types;                  /* per tag: media type from the HEAD */
	struct inventory *inv;
	bool need_times;
	int64_t now;
};

static int head_tag(struct wn_ctx *ctx, size_t i, void *arg)
{
	struct gather_state *g = arg;
	struct wn_ref *r;
	int rc = wn__ref_at(&r, g->repo, g->tags->items[i], NULL);
	if (rc != WN_OK)
		return rc;
	struct wn_error saved = ctx->err;
	rc = wn_manifest_head(ctx, r, g->digests[i], &g->types[i], NULL);
	wn_ref_free(r);
	if (rc == WN_ENOTFOUND) { /* deleted since the listing */
		ctx->err = saved;
		g->digests[i][0] = 0;
		rc = WN_OK;
	}
	return rc;
}

/* What an index entry is, for the plan's words: its platform, or whose attestation. */
static char *entry_what(const struct wn_descriptor *d)
{
	const char *of = wn_descriptor_attests(d);
	if (of)
		return wn__sprintf("attestation of %s", *of ? of : "an unnamed image");
	return d->platform ? wn_platform_string(d->platform) : strdup("no platform");
}

/* A manifest's children (indexes) and its time (when the policy uses times). */
static int read_node(struct wn_ctx *ctx, size_t i, void *arg)
{
	struct gather_state *g = arg;
	struct node *nd = &g->inv->nodes[i];
	bool index = nd->type && wn__mt_is_index(nd->type);
	struct wn_ref *r;
	struct wn_manifest *m;
	int rc;
	if (!index && !g->need_times)
		return WN_OK;
	if ((rc = wn__ref_at(&r, g->repo, NULL, nd->digest)) != WN_OK)
		return rc;
	rc = wn_manifest_get(&m, ctx, r);
	wn_ref_free(r);
	if (rc != WN_OK)
		return rc;
	if (g->need_times)
		rc = image_time(ctx, g->repo, m, g->now, &nd->when);
	bool own = nd->when.t >= 0 && strcmp(nd->when.source, "implausible"); /* the index's own annotation */
	for (size_t k = 0; m->is_index && k < m->n_manifests && rc == WN_OK; k++) {
		const struct wn_descriptor *c = &m->manifests[k];
		if ((rc = wn__strlist_push(&nd->children, c->digest)) != WN_OK ||
		    (rc = wn__strlist_push_owned(&nd->child_what, entry_what(c))) != WN_OK)
			break;
		/* an index is as new as its newest platform (attestations state no time) */
		if (g->need_times && !own && !wn_descriptor_attests(c)) {
			struct wn_ref *cr;
			struct wn_manifest *cm;
			struct stamp cs = { -1, "", "" };
			if ((rc = wn__ref_at(&cr, g->repo, NULL, c->digest)) == WN_OK &&
			    (rc = wn_manifest_get(&cm, ctx, cr)) == WN_OK) {
				rc = image_time(ctx, g->repo, cm, g->now, &cs);
				wn_manifest_free(cm);
			}
			wn_ref_free(cr);
			bool believed = cs.t >= 0 && strcmp(cs.source, "implausible");
			bool have = nd->when.t >= 0 && strcmp(nd->when.source, "implausible");
			if (cs.t >= 0 && ((believed && (!have || cs.t > nd->when.t)) || nd->when.t < 0)) {
				nd->when = cs;
				if (believed)
					nd->when.source = "config";
			}
		}
	}
	wn_manifest_free(m);
	return rc;
}

static int gather(struct wn_ctx *ctx, const struct wn_ref *repo, struct inventory *inv, bool need_times,
                  int64_t now, unsigned jobs)
{
	struct wn_strlist *all = NULL, tags = { 0 };
	struct gather_state g = { repo, &tags, NULL, NULL, inv, need_times, now };
	regex_t refre;
	int rc = wn_tags_list(&all, ctx, repo);
	if (rc != WN_OK)
		return rc;
	regcomp(&refre, REFERRER_TAG, REG_EXTENDED | REG_NOSUB);
	wn_tags_sort(all, "name", NULL);
	for (size_t i = 0; i < all->n && rc == WN_OK; i++)
		rc = wn__strlist_push(regexec(&refre, all->items[i], 0, NULL, 0) ? &tags : &inv->referrer_tags, all->items[i]);
	regfree(&refre);
	wn_strlist_free(all);
	g.digests = calloc(tags.n + 1, sizeof *g.digests);
	g.types = calloc(tags.n + 1, sizeof *g.types);
	if (rc == WN_OK && (!g.digests || !g.types))
		rc = wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
	/* one HEAD per tag, several at once */
	if (rc == WN_OK)
		rc = wn__parallel(ctx, tags.n, jobs, head_tag, &g);
	for (size_t i = 0; i < tags.n && rc == WN_OK; i++) {
		if (!g.digests[i][0])
			continue;
		struct node *nd = node_for(inv, g.digests[i]);
		if (!nd || wn__strlist_push(&nd->tags, tags.items[i]) != WN_OK) {
			rc = wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
			break;
		}
		if (!nd->type)
			nd->type = g.types[i], g.types[i] = NULL;
	}
	/* each manifest once: children of indexes, and times when the policy needs them */
	if (rc == WN_OK)
		rc = wn__parallel(ctx, inv->n, jobs, read_node, &g);
	for (size_t i = 0; i < inv->n && rc == WN_OK && need_times; i++) {
		struct node *nd = &inv->nodes[i];
		if (!strcmp(nd->when.source, "annotation"))
			inv->from_annotation++;
		else if (!strcmp(nd->when.source, "config"))
			inv->from_config++;
		else {
			inv->unknown++;
			inv->implausible += !strcmp(nd->when.source, "implausible");
			if (nd->tags.n)
				rc = wn__strlist_push(&inv->undated, nd->tags.items[0]);
		}
	}
	for (size_t i = 0; i < inv->n && rc == WN_OK && !need_times; i++)
		inv->unknown++;
	for (size_t i = 0; i < tags.n; i++) {
		free(tags.items[i]);
		free(g.types[i]);
	}
	free(tags.items);
	free(g.types);
	free(g.digests);
	return rc;
}

static bool has(const struct wn_strlist *l, const char *s)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->items[i], s))
			return true;
	return false;
}

static struct wn_cleanup_item *add_item(struct wn_cleanup_plan *p)
{
	struct wn_cleanup_item *v = realloc(p->items, (p->n_items + 1) * sizeof *v);
	if (!v)
		return NULL;
	p->items = v;
	struct wn_cleanup_item *it = &p->items[p->n_items++];
	memset(it, 0, sizeof *it);
	it->tags = calloc(1, sizeof *it->tags);
	return it->tags ? it : NULL;
}

bool wn__cleanup_is_child(const struct wn_cleanup_item *it)
{
	return !it->referrer && it->parent && it->delete_manifest && !it->tags->n;
}

static void plan_count(struct wn_cleanup_plan *p)
{
	p->manifests = p->tags = p->children = p->referrers = 0;
	for (size_t i = 0; i < p->n_items; i++) {
		const struct wn_cleanup_item *it = &p->items[i];
		p->referrers += it->referrer != 0;
		p->children += wn__cleanup_is_child(it);
		p->manifests += it->delete_manifest && !it->referrer && !wn__cleanup_is_child(it);
		p->tags += it->tags->n;
	}
}

int wn__cleanup_find(const struct wn_cleanup_plan *p, const char *digest)
{
	for (size_t i = 0; digest && i < p->n_items; i++)
		if (!p->items[i].referrer && p->items[i].digest && !strcmp(p->items[i].digest, digest))
			return (int)i;
	return -1;
}

/* The referrer tags of `subject` go with it (added after the plan's items). */
static int add_referrers(struct wn_cleanup_plan *p, const struct inventory *inv, const char *subject)
{
	const char *hex = strchr(subject, ':') + 1;
	for (size_t k = 0; k < inv->referrer_tags.n; k++) {
		const char *rt = inv->referrer_tags.items[k];
		if (strncmp(rt + 7, hex, 64))
			continue;
		struct wn_cleanup_item *ri = add_item(p);
		if (!ri)
			return WN_ENOMEM;
		ri->referrer = 1;                  /* its digest is read when applied */
		ri->delete_manifest = 1;
		ri->parent = strdup(subject);
		ri->reason = wn__sprintf("a referrer of %s", subject);
		ri->created = strdup("");
		if (!ri->parent || !ri->reason || !ri->created || wn__strlist_push(ri->tags, rt) != WN_OK)
			return WN_ENOMEM;
	}
	return WN_OK;
}

/* The note on images without a believable time. */
static char *undated_note(const struct inventory *inv, const struct wn_policy *policy)
{
	struct wn__buf b = { .max = 1024 };
	char *s;
	for (size_t i = 0; i < inv->undated.n && i < 5; i++) {
		wn__buf_puts(&b, i ? ", " : "");
		wn__buf_puts(&b, inv->undated.items[i]);
	}
	if (inv->undated.n > 5) {
		char more[48];
		snprintf(more, sizeof more, " and %zu more", inv->undated.n - 5);
		wn__buf_puts(&b, more);
	}
	wn__buf_cstr(&b);
	s = wn__sprintf("%zu image%s (%s) ha%s no believable creation time (none, or the 1970 epoch reproducible "
	                "builds write, or before 2000, or in the future): %s",
	                inv->unknown, inv->unknown == 1 ? "" : "s", b.data ? (char *)b.data : "",
	                inv->unknown == 1 ? "s" : "ve",
	                policy->expire_undated ? "--expire-undated counts them as older than every other image"
	                                       : "no age or count rule expires them, nor counts them "
	                                         "(--expire-undated would count them as the oldest)");
	wn__buf_free(&b);
	return s;
}

/* The note on what the registry cannot show: the distribution API lists tags,
 * never the manifests no tag points at, so the inventory holds tagged images
 * only.  An untagged rule finds nothing; a tagStatus any rule, which in ECR
 * ranks untagged images too, ranks the tagged ones alone, and its result may
 * differ from ECR's.  "" when the policy selects no untagged image. */
static char *untagged_note(const struct wn_policy *policy)
{
	const struct wn_policy_rule *any = NULL;
	bool untagged = policy->untagged;
	char *s, *more = NULL;
	for (size_t i = 0; i < policy->n_rules; i++) {
		untagged |= policy->rules[i].status == WN_UNTAGGED;
		if (policy->rules[i].status == WN_ANY)
			any = &policy->rules[i];
	}
	if (!untagged && !any)
		return strdup("");
	if (any && any->type == WN_COUNT_MORE_THAN)
		more = wn__sprintf("; rule %d (tagStatus any) counts tagged images only, so the result may differ from "
		                   "ECR's, which counts untagged images too: where some are among the %d newest, ECR keeps "
		                   "fewer tagged images than this plan does", any->priority, any->count);
	else if (any)
		more = wn__sprintf("; rule %d (tagStatus any) sees tagged images only, so the result may differ from "
		                   "ECR's, which also expires the untagged images pushed more than %d day%s ago",
		                   any->priority, any->count, any->count == 1 ? "" : "s");
	if (any && !more)
		return NULL;
	s = wn__sprintf("the registry cannot list manifests that no tag points at (the distribution API has no such "
	                "listing)%s%s", untagged ? ": untagged rules see none; the registry's garbage-collect "
	                                           "--delete-untagged removes them" : "", more ? more : "");
	free(more);
	return s;
}

static int note_add(struct wn_cleanup_plan *p, char *s)
{
	if (!s)
		return WN_ENOMEM;
	if (!*s) {
		free(s);
		return WN_OK;
	}
	if (!p->note) {
		p->note = s;
		return WN_OK;
	}
	char *both = wn__sprintf("%s; %s", p->note, s);
	free(s);
	if (!both)
		return WN_ENOMEM;
	free(p->note);
	p->note = both;
	return WN_OK;
}

int wn_cleanup_plan_make(struct wn_cleanup_plan **out, struct wn_ctx *ctx, const char *repository,
                         const struct wn_policy *policy, int64_t now, unsigned jobs)
{
	struct wn_cleanup_plan *p = calloc(1, sizeof *p);
	struct inventory inv = { 0 };
	struct wn_ref *repo = NULL;
	struct wn_ret_result *res = NULL;
	const struct wn_ret_image **imgs = NULL;
	struct wn_ret_image *iv = NULL;
	struct wn_strlist reach = { 0 }, orphans = { 0 };
	struct wn_error err;
	int rc;
	*out = NULL;
	if (!p)
		return wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
	if ((rc = wn_ref_parse(&repo, repository, WN_REF_NAME_ONLY, &err)) != WN_OK) {
		rc = wn__ctx_take(ctx, &err);
		goto done;
	}
	p->repository = wn_ref_name(repo);
	/* times only matter to count and age rules */
	bool need_times = policy->ecr || policy->keep > 0 || policy->older_than_days >= 0;
	if ((rc = gather(ctx, repo, &inv, need_times, now, jobs)) != WN_OK)
		goto done;
	p->images = inv.n;
	p->from_config = inv.from_config;
	p->from_annotation = inv.from_annotation;
	p->unknown_time = inv.unknown;
	p->implausible_time = inv.implausible;
	if (note_add(p, untagged_note(policy)) != WN_OK)
		goto oom;
	if (need_times && inv.unknown && note_add(p, undated_note(&inv, policy)) != WN_OK)
		goto oom;
	iv = calloc(inv.n + 1, sizeof *iv);
	imgs = calloc(inv.n + 1, sizeof *imgs);
	if (!iv || !imgs)
		goto oom;
	for (size_t i = 0; i < inv.n; i++) {
		iv[i] = (struct wn_ret_image){ inv.nodes[i].digest, inv.nodes[i].tags.items, inv.nodes[i].tags.n,
			                           inv.nodes[i].when.t };
		imgs[i] = &iv[i];
	}
	if ((rc = wn_policy_evaluate(&res, policy, imgs, inv.n, now, &err)) != WN_OK) {
		rc = wn__ctx_take(ctx, &err);
		goto done;
	}
	/* what kept tags reach: their manifests, and through indexes what those hold, at any depth */
	for (size_t i = 0; i < inv.n; i++) {
		bool kept = false;
		for (size_t t = 0; t < inv.nodes[i].tags.n; t++)
			kept |= !res[i].expired_tags[t];
		if (kept && wn__strlist_push(&reach, inv.nodes[i].digest) != WN_OK)
			goto oom;
	}
	for (size_t q = 0; q < reach.n; q++) {
		const struct node *nd = node_find(&inv, reach.items[q]);
		for (size_t k = 0; nd && k < nd->children.n; k++)
			if (!has(&reach, nd->children.items[k]) && wn__strlist_push(&reach, nd->children.items[k]) != WN_OK)
				goto oom;
	}
	for (size_t i = 0; i < inv.n; i++) {
		struct node *nd = &inv.nodes[i];
		bool any = false;
		for (size_t t = 0; t < nd->tags.n; t++)
			any |= res[i].expired_tags[t];
		if (!any) {
			p->kept_tags += nd->tags.n;
			continue;
		}
		struct wn_cleanup_item *it = add_item(p);
		if (!it)
			goto oom;
		it->digest = strdup(nd->digest);
		it->created = !strcmp(nd->when.source, "implausible") ? wn__sprintf("%s (not believed)", nd->when.s)
		                                                     : strdup(nd->when.s);
		it->delete_manifest = res[i].expire_image && !has(&reach, nd->digest);
		const struct wn_policy_rule *rule = policy->ecr && res[i].rule >= 0 ? &policy->rules[res[i].rule] : NULL;
		it->reason = rule ? wn__sprintf("rule %d%s%s", rule->priority, rule->description ? ": " : "",
		                                rule->description ? rule->description : "")
		                  : strdup("the flags' policy");
		if (it->reason && policy->expire_undated && need_times && !wn_ret_time_known(nd->when.t, now)) {
			char *r = wn__sprintf("%s; undated, counted as the oldest (--expire-undated)", it->reason);
			free(it->reason);
			it->reason = r;
		}
		if (it->reason && res[i].expire_image && !it->delete_manifest) {
			char *r = wn__sprintf("%s; the manifest stays: a kept tag reaches it", it->reason);
			free(it->reason);
			it->reason = r;
		}
		if (!it->digest || !it->created || !it->reason)
			goto oom;
		for (size_t t = 0; t < nd->tags.n; t++) {
			if (res[i].expired_tags[t]) {
				if (wn__strlist_push(it->tags, nd->tags.items[t]) != WN_OK)
					goto oom;
			} else {
				p->kept_tags++;
			}
		}
	}
	/* a deleted index takes its children that nothing kept reaches, after it;
	 * referrers go with every manifest deleted */
	size_t n_top = p->n_items;
	for (size_t i = 0; i < n_top; i++) {
		if (!p->items[i].delete_manifest)
			continue;
		const struct node *nd = node_find(&inv, p->items[i].digest);
		for (size_t k = 0; nd && k < nd->children.n; k++) {
			const char *c = nd->children.items[k], *what = nd->child_what.items[k];
			int own = wn__cleanup_find(p, c);
			if (has(&reach, c) || has(&orphans, c))
				continue;
			if (own >= 0) { /* tagged, and its own tags expired: it goes after the index */
				if (!p->items[own].parent && !(p->items[own].parent = strdup(nd->digest)))
					goto oom;
				continue;
			}
			if (node_find(&inv, c))
				continue; /* tagged and kept (cannot happen: it would be reached) */
			struct wn_cleanup_item *ci = add_item(p);
			if (!ci || wn__strlist_push(&orphans, c) != WN_OK)
				goto oom;
			ci->digest = strdup(c);
			ci->delete_manifest = 1;
			ci->parent = strdup(nd->digest);
			ci->created = strdup("");
			ci->reason = !strncmp(what, "attestation of ", 15)
			                 ? wn__sprintf("the attestation manifest of %s in the deleted index %s", what + 15,
			                               nd->digest)
			                 : wn__sprintf("the platform manifest (%s) of the deleted index %s", what, nd->digest);
			if (!ci->digest || !ci->parent || !ci->created || !ci->reason)
				goto oom;
		}
	}
	for (size_t i = 0, n = p->n_items; i < n; i++) {
		if (!p->items[i].delete_manifest)
			continue;
		char *subject = strdup(p->items[i].digest);
		rc = subject ? add_referrers(p, &inv, subject) : WN_ENOMEM;
		free(subject);
		if (rc != WN_OK)
			goto oom;
	}
	plan_count(p);
	*out = p;
	p = NULL;
	rc = WN_OK;
	goto done;
oom:
	rc = wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
done:
	strlist_clear(&reach);
	strlist_clear(&orphans);
	wn_ret_result_free(res, inv.n);
	free(iv);
	free(imgs);
	inventory_free(&inv);
	wn_ref_free(repo);
	wn_cleanup_plan_free(p);
	return rc;
}

/* ---- plans as JSON ----------------------------------------------------- */

char *wn_cleanup_plan_json(const struct wn_cleanup_plan *const *plans, size_t n, int dry_run)
{
	cJSON *doc = cJSON_CreateObject(), *arr;
	cJSON_AddNumberToObject(doc, "version", 1);
	cJSON_AddBoolToObject(doc, "dryRun", dry_run);
	arr = cJSON_AddArrayToObject(doc, "repositories");
	for (size_t r = 0; r < n; r++) {
		const struct wn_cleanup_plan *p = plans[r];
		cJSON *o = cJSON_CreateObject(), *items;
		cJSON_AddStringToObject(o, "repository", p->repository);
		cJSON_AddNumberToObject(o, "images", (double)p->images);
		cJSON_AddNumberToObject(o, "keptTags", (double)p->kept_tags);
		cJSON *src = cJSON_AddObjectToObject(o, "createdFrom");
		cJSON_AddNumberToObject(src, "config", (double)p->from_config);
		cJSON_AddNumberToObject(src, "annotation", (double)p->from_annotation);
		cJSON_AddNumberToObject(src, "unknown", (double)p->unknown_time);
		cJSON_AddNumberToObject(src, "implausible", (double)p->implausible_time);
		if (p->note)
			cJSON_AddStringToObject(o, "note", p->note);
		items = cJSON_AddArrayToObject(o, "delete");
		for (size_t i = 0; i < p->n_items; i++) {
			const struct wn_cleanup_item *it = &p->items[i];
			cJSON *x = cJSON_CreateObject(), *tags;
			if (it->digest)
				cJSON_AddStringToObject(x, "digest", it->digest);
			cJSON_AddStringToObject(x, "action", it->delete_manifest ? "manifest" : "tags");
			tags = cJSON_AddArrayToObject(x, "tags");
			for (size_t t = 0; t < it->tags->n; t++)
				cJSON_AddItemToArray(tags, cJSON_CreateString(it->tags->items[t]));
			if (it->referrer)
				cJSON_AddBoolToObject(x, "referrer", 1);
			if (it->parent)
				cJSON_AddStringToObject(x, "parent", it->parent);
			cJSON_AddStringToObject(x, "reason", it->reason ? it->reason : "");
			if (it->created && *it->created)
				cJSON_AddStringToObject(x, "created", it->created);
			if (it->result)
				cJSON_AddStringToObject(x, "result", it->result);
			cJSON_AddItemToArray(items, x);
		}
		if (p->applied) {
			cJSON *d = cJSON_AddObjectToObject(o, "outcome");
			cJSON_AddNumberToObject(d, "manifestsDeleted", (double)p->done_manifests);
			cJSON_AddNumberToObject(d, "childrenDeleted", (double)p->done_children);
			cJSON_AddNumberToObject(d, "referrersDeleted", (double)p->done_referrers);
			cJSON_AddNumberToObject(d, "tagsDeleted", (double)p->done_tags);
			cJSON_AddNumberToObject(d, "skipped", (double)p->skipped);
			cJSON_AddNumberToObject(d, "alreadyGone", (double)p->gone);
			cJSON_AddNumberToObject(d, "failed", (double)p->failed);
		}
		cJSON_AddItemToArray(arr, o);
	}
	char *s = cJSON_Print(doc);
	cJSON_Delete(doc);
	return s;
}

static size_t count_of(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsNumber(v) && v->valuedouble >= 0 && v->valuedouble < 1e15 ? (size_t)v->valuedouble : 0;
}

int wn_cleanup_plan_parse(struct wn_cleanup_plan ***out, size_t *n, const void *data, size_t len,
                          struct wn_error *err)
{
	cJSON *j = wn__json_parse(data, len);
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(j, "repositories"), *r;
	const cJSON *ver = cJSON_GetObjectItemCaseSensitive(j, "version");
	struct wn_cleanup_plan **plans = NULL;
	size_t np = 0;
	int rc = WN_OK;
	*out = NULL;
	*n = 0;
	if (!cJSON_IsObject(j) || !cJSON_IsNumber(ver) || ver->valueint != 1 || !cJSON_IsArray(arr)) {
		cJSON_Delete(j);
		return wn__error_set(err, WN_EINVAL, "not a winch cleanup plan (version 1)");
	}
	plans = calloc((size_t)cJSON_GetArraySize(arr) + 1, sizeof *plans);
	cJSON_ArrayForEach(r, arr) {
		struct wn_cleanup_plan *p = calloc(1, sizeof *p);
		const char *name = wn__json_str(r, "repository");
		const cJSON *items = cJSON_GetObjectItemCaseSensitive(r, "delete"), *it;
		const cJSON *from = cJSON_GetObjectItemCaseSensitive(r, "createdFrom");
		if (!plans || !p || !name || !cJSON_IsArray(items)) {
			free(p);
			rc = wn__error_set(err, WN_EINVAL, "cleanup plan: a repository entry without repository/delete");
			break;
		}
		plans[np++] = p;
		p->repository = strdup(name);
		p->note = wn__strdup(wn__json_str(r, "note"));
		p->images = count_of(r, "images");
		p->kept_tags = count_of(r, "keptTags");
		p->from_config = count_of(from, "config");
		p->from_annotation = count_of(from, "annotation");
		p->unknown_time = count_of(from, "unknown");
		p->implausible_time = count_of(from, "implausible");
		cJSON_ArrayForEach(it, items) {
			struct wn_cleanup_item *x = add_item(p);
			const char *d = wn__json_str(it, "digest"), *action = wn__json_str(it, "action");
			const char *parent = wn__json_str(it, "parent");
			const cJSON *tags = cJSON_GetObjectItemCaseSensitive(it, "tags"), *t;
			struct wn_error derr;
			if (!x || !action || (strcmp(action, "manifest") && strcmp(action, "tags")) || !cJSON_IsArray(tags) ||
			    (d && wn_digest_validate(d, &derr) != WN_OK) || (parent && wn_digest_validate(parent, &derr) != WN_OK) ||
			    (!d && !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(it, "referrer")))) {
				rc = wn__error_set(err, WN_EINVAL, "cleanup plan: a malformed entry in %s", name);
				break;
			}
			x->digest = wn__strdup(d);
			x->parent = wn__strdup(parent);
			x->delete_manifest = !strcmp(action, "manifest");
			x->referrer = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(it, "referrer"));
			x->reason = wn__strdup(wn__json_str(it, "reason"));
			x->created = wn__strdup(wn__json_str(it, "created"));
			cJSON_ArrayForEach(t, tags) {
				struct wn_error terr;
				if (!cJSON_IsString(t) || wn_tag_validate(t->valuestring, &terr) != WN_OK) {
					rc = wn__error_set(err, WN_EINVAL, "cleanup plan: a bad tag in %s", name);
					break;
				}
				wn__strlist_push(x->tags, t->valuestring);
			}
			if (rc != WN_OK)
				break;
			if (!x->delete_manifest && !x->tags->n) {
				rc = wn__error_set(err, WN_EINVAL, "cleanup plan: an entry in %s removes no tag", name);
				break;
			}
		}
		if (rc != WN_OK)
			break;
		plan_count(p);
	}
	cJSON_Delete(j);
	if (rc != WN_OK) {
		for (size_t i = 0; i < np; i++)
			wn_cleanup_plan_free(plans[i]);
		free(plans);
		return rc;
	}
	*out = plans;
	*n = np;
	return WN_OK;
}

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
 * Where a vendor API serves the repository (lib/vendors/: Docker Hub, GitHub,
 * ECR, Harbor), the inventory is its listing instead: every image with its
 * tags and push time, untagged ones too where it lists them.  An untagged
 * manifest that an index lists is a part of that image, and one whose
 * subject is in the repository a referrer of it: neither is an image of its
 * own to rank; each goes with what holds it.
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
		free(it->id);
	}
	free(p->items);
	free(p->repository);
	free(p->note);
	free(p->api);
	free(p->api_url);
	free(p);
}

/* A time an image states, and where from. */
struct stamp {
	int64_t t;                    /* -1: none stated */
	char s[40];
	const char *source;           /* "push" (a vendor API's), "config", "annotation", "implausible" (stated,
	                                 not believed), "" */
};

static void stamp_set(struct stamp *st, const char *s, const char *source, int64_t now)
{
	int64_t t;
	if (st->t >= 0 && strcmp(st->source, "implausible"))
		return; /* already a believable one */
	if (!wn__time_parse(s, &t) || t < 0)
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
	char *id;                     /* the vendor API's id */
	char *subject;                /* an untagged manifest's subject (a referrer): read through a vendor API */
	bool part;                    /* untagged, and an index lists it: it goes with that index */
	bool referrer;                /* untagged, and its subject is in the repository: it goes with it */
};

struct inventory {
	struct node *nodes;
	size_t n, cap;
	struct wn_strlist referrer_tags;
	size_t from_config, from_annotation, unknown, implausible, from_push, untagged;
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
		free(inv->nodes[i].id);
		free(inv->nodes[i].subject);
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

/* ---- the inventory through a vendor API ----------------------------------- */

struct api_state {
	const struct wn_ref *repo;
	struct inventory *inv;
	bool need_times;
	int64_t now;
};

/* What the listing did not say: the media type (GitHub's), an index's
 * manifests, an untagged manifest's subject, a time where it gave none. */
static int read_api_node(struct wn_ctx *ctx, size_t i, void *arg)
{
	struct api_state *g = arg;
	struct node *nd = &g->inv->nodes[i];
	bool index = nd->type && wn__mt_is_index(nd->type);
	if (nd->type && !index && nd->tags.n && !(g->need_times && nd->when.t < 0))
		return WN_OK;
	struct wn_ref *r;
	struct wn_manifest *m;
	int rc;
	if ((rc = wn__ref_at(&r, g->repo, NULL, nd->digest)) != WN_OK)
		return rc;
	struct wn_error saved = ctx->err;
	rc = wn_manifest_get(&m, ctx, r);
	wn_ref_free(r);
	if (rc == WN_ENOTFOUND) { /* deleted since the listing */
		ctx->err = saved;
		return WN_OK;
	}
	if (rc != WN_OK)
		return rc;
	if (!nd->type && !(nd->type = wn__strdup(m->media_type ? m->media_type : "")))
		rc = wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
	for (size_t k = 0; m->is_index && k < m->n_manifests && rc == WN_OK; k++)
		if (wn__strlist_push(&nd->children, m->manifests[k].digest) != WN_OK ||
		    wn__strlist_push_owned(&nd->child_what, entry_what(&m->manifests[k])) != WN_OK)
			rc = wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
	if (rc == WN_OK && m->subject && m->subject->digest && !nd->tags.n && !(nd->subject = strdup(m->subject->digest)))
		rc = wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
	if (rc == WN_OK && g->need_times && nd->when.t < 0)
		rc = image_time(ctx, g->repo, m, g->now, &nd->when);
	wn_manifest_free(m);
	return rc;
}

static int gather_api(struct wn_ctx *ctx, struct wn__vapi *a, const struct wn_ref *repo, struct inventory *inv,
                      bool need_times, int64_t now, unsigned jobs)
{
	struct wn__images imgs = { 0 };
	struct api_state g = { repo, inv, need_times, now };
	regex_t refre;
	int rc = a->ops->list(a, ctx, &imgs);
	if (rc != WN_OK) {
		wn__images_free(&imgs); /* the pages listed before the failure */
		return rc;
	}
	regcomp(&refre, REFERRER_TAG, REG_EXTENDED | REG_NOSUB);
	for (size_t i = 0; i < imgs.n && rc == WN_OK; i++) {
		const struct wn__image *m = &imgs.v[i];
		size_t plain = 0;
		for (size_t t = 0; t < m->tags.n && rc == WN_OK; t++) {
			if (regexec(&refre, m->tags.items[t], 0, NULL, 0))
				plain++;
			else
				rc = wn__strlist_push(&inv->referrer_tags, m->tags.items[t]);
		}
		if (rc != WN_OK || (m->tags.n && !plain))
			continue; /* a referrer tag's manifest: it goes with its subject */
		struct node *nd = node_for(inv, m->digest);
		if (!nd) {
			rc = WN_ENOMEM;
			break;
		}
		for (size_t t = 0; t < m->tags.n && rc == WN_OK; t++)
			if (regexec(&refre, m->tags.items[t], 0, NULL, 0))
				rc = wn__strlist_push(&nd->tags, m->tags.items[t]);
		if (nd->tags.n > 1)
			wn_tags_sort(&nd->tags, "name", NULL);
		if (m->media_type && *m->media_type && !(nd->type = strdup(m->media_type)))
			rc = WN_ENOMEM;
		if (m->id && !(nd->id = strdup(m->id)))
			rc = WN_ENOMEM;
		if (m->pushed >= 0) {
			/* the API's push time; one before 2000 or ahead of now is not believed either */
			time_t t = (time_t)m->pushed;
			struct tm tm;
			nd->when.t = m->pushed;
			nd->when.source = wn_ret_time_known(m->pushed, now) ? "push" : "implausible";
			if (gmtime_r(&t, &tm))
				strftime(nd->when.s, sizeof nd->when.s, "%Y-%m-%dT%H:%M:%SZ", &tm);
		}
	}
	regfree(&refre);
	wn__images_free(&imgs);
	if (rc != WN_OK)
		return rc == WN_ENOMEM ? wn__ctx_fail(ctx, WN_ENOMEM, "out of memory") : rc;
	if (inv->referrer_tags.n > 1)
		wn_tags_sort(&inv->referrer_tags, "name", NULL);
	if ((rc = wn__parallel(ctx, inv->n, jobs, read_api_node, &g)) != WN_OK)
		return rc;
	/* an untagged manifest an index lists is part of that image; one whose subject
	 * is here, a referrer of it: neither is an image of its own */
	for (size_t i = 0; i < inv->n; i++) {
		const struct node *nd = &inv->nodes[i];
		for (size_t k = 0; k < nd->children.n; k++) {
			struct node *c = node_find(inv, nd->children.items[k]);
			if (c && !c->tags.n && c != nd)
				c->part = true;
		}
	}
	for (size_t i = 0; i < inv->n && rc == WN_OK; i++) {
		struct node *nd = &inv->nodes[i];
		inv->untagged += !nd->tags.n;
		if (nd->subject && !nd->part && node_find(inv, nd->subject))
			nd->referrer = true;
		if (nd->part || nd->referrer)
			continue;
		if (!strcmp(nd->when.source, "push"))
			inv->from_push++;
		else if (!strcmp(nd->when.source, "annotation"))
			inv->from_annotation++;
		else if (!strcmp(nd->when.source, "config"))
			inv->from_config++;
		else if (need_times) {
			inv->unknown++;
			inv->implausible += !strcmp(nd->when.source, "implausible");
			rc = wn__strlist_push(&inv->undated, nd->tags.n ? nd->tags.items[0] : nd->digest);
		} else {
			inv->unknown++;
		}
	}
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

/* A policy the API cannot honour is refused before anything is read, naming the
 * rule: untagged images where none are listed (Docker Hub's API, the registry
 * API for --untagged-only), a tagStatus any rule where untagged ones are not
 * ranked (Docker Hub's API). */
static int refuse_unlistable(struct wn_ctx *ctx, const struct wn__vapi *a, const struct wn_policy *policy,
                             const char *repository)
{
	const char *who = a ? a->ops->display : "the registry API";
	const char *why = a ? "lists no untagged image" : "cannot list manifests that no tag points at";
	if (!a && !policy->untagged_only)
		return WN_OK; /* the registry API says so in the plan's note, as before */
	if (a && a->ops->lists_untagged)
		return WN_OK;
	if (policy->untagged_only || policy->untagged)
		return wn__ctx_fail(ctx, WN_ENOAPI, "%s: %s %s: --%s cannot be honoured%s", repository, who, why,
		                    policy->untagged_only ? "untagged-only" : "untagged",
		                    a ? "" : " (a vendor API lists them: --api hub|github|ecr|harbor)");
	for (size_t i = 0; i < policy->n_rules; i++) {
		const struct wn_policy_rule *r = &policy->rules[i];
		if (r->status != WN_UNTAGGED && r->status != WN_ANY)
			continue;
		return wn__ctx_fail(ctx, WN_ENOAPI, "%s: %s %s: rule %d%s%s%s (tagStatus %s) cannot be honoured", repository,
		                    who, why, r->priority, r->description ? " (\"" : "", r->description ? r->description : "",
		                    r->description ? "\")" : "", r->status == WN_UNTAGGED ? "untagged" : "any");
	}
	return WN_OK;
}

int wn_cleanup_plan_make(struct wn_cleanup_plan **out, struct wn_ctx *ctx, const char *repository,
                         const struct wn_policy *policy, int64_t now, unsigned jobs)
{
	struct wn_cleanup_options o = WN_CLEANUP_OPTIONS_INIT;
	o.jobs = jobs;
	o.api = "registry"; /* what this function always did */
	return wn_cleanup_plan_make_opts(out, ctx, repository, policy, now, &o);
}

int wn_cleanup_plan_make_opts(struct wn_cleanup_plan **out, struct wn_ctx *ctx, const char *repository,
                              const struct wn_policy *policy, int64_t now, const struct wn_cleanup_options *opts)
{
	struct wn_cleanup_plan *p = calloc(1, sizeof *p);
	struct inventory inv = { 0 };
	struct wn_ref *repo = NULL;
	struct wn__vapi *api = NULL;
	struct wn_ret_result *res = NULL;
	const struct wn_ret_image **imgs = NULL;
	struct wn_ret_image *iv = NULL;
	int *ri = NULL;                 /* per node: its place in imgs/res, -1 when it is no image of its own */
	struct wn_strlist reach = { 0 }, orphans = { 0 };
	struct wn_error err;
	unsigned jobs = opts && opts->jobs ? opts->jobs : 4;
	size_t ni = 0;
	int rc;
	*out = NULL;
	if (!p)
		return wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
	if ((rc = wn_ref_parse(&repo, repository, WN_REF_NAME_ONLY, &err)) != WN_OK) {
		rc = wn__ctx_take(ctx, &err);
		goto done;
	}
	p->repository = wn_ref_name(repo);
	if ((rc = wn__api_open(&api, ctx, repo, opts ? opts->api : NULL, opts ? opts->api_url : NULL)) != WN_OK ||
	    (rc = refuse_unlistable(ctx, api, policy, p->repository)) != WN_OK)
		goto done;
	if (api && (!(p->api = strdup(api->ops->name)) || !(p->api_url = strdup(api->url))))
		goto oom;
	/* a token that says it may not delete is refused before anything is planned */
	if (api && !(opts && opts->dry_run) && api->ops->may_delete && (rc = api->ops->may_delete(api, ctx)) != WN_OK)
		goto done;
	/* times only matter to count and age rules */
	bool need_times = policy->ecr || policy->keep > 0 || policy->older_than_days >= 0;
	if ((rc = api ? gather_api(ctx, api, repo, &inv, need_times, now, jobs)
	              : gather(ctx, repo, &inv, need_times, now, jobs)) != WN_OK)
		goto done;
	p->images = inv.n;
	p->from_config = inv.from_config;
	p->from_annotation = inv.from_annotation;
	p->from_push = inv.from_push;
	p->unknown_time = inv.unknown;
	p->implausible_time = inv.implausible;
	p->untagged = inv.untagged;
	if (!api && note_add(p, untagged_note(policy)) != WN_OK)
		goto oom;
	if (api && !api->ops->deletes_images &&
	    note_add(p, wn__sprintf("%s deletes tags, not images: an image whose tags all go stays in the repository "
	                            "without a tag", api->ops->display)) != WN_OK)
		goto oom;
	if (need_times && inv.unknown && note_add(p, undated_note(&inv, policy)) != WN_OK)
		goto oom;
	iv = calloc(inv.n + 1, sizeof *iv);
	imgs = calloc(inv.n + 1, sizeof *imgs);
	ri = calloc(inv.n + 1, sizeof *ri);
	if (!iv || !imgs || !ri)
		goto oom;
	for (size_t i = 0; i < inv.n; i++) {
		ri[i] = -1;
		if (inv.nodes[i].part || inv.nodes[i].referrer)
			continue;
		iv[ni] = (struct wn_ret_image){ inv.nodes[i].digest, inv.nodes[i].tags.items, inv.nodes[i].tags.n,
			                            inv.nodes[i].when.t };
		imgs[ni] = &iv[ni];
		ri[i] = (int)ni++;
	}
	if ((rc = wn_policy_evaluate(&res, policy, imgs, ni, now, &err)) != WN_OK) {
		rc = wn__ctx_take(ctx, &err);
		goto done;
	}
	/* what is kept reaches: the manifests of kept tags and kept untagged images, and
	 * through indexes what those hold, at any depth */
	for (size_t i = 0; i < inv.n; i++) {
		if (ri[i] < 0)
			continue;
		const struct wn_ret_result *r = &res[ri[i]];
		bool kept = !inv.nodes[i].tags.n && !r->expire_image;
		for (size_t t = 0; t < inv.nodes[i].tags.n; t++)
			kept |= !r->expired_tags[t];
		if (kept && wn__strlist_push(&reach, inv.nodes[i].digest) != WN_OK)
			goto oom;
	}
	for (size_t q = 0; q < reach.n; q++) {
		const struct node *nd = node_find(&inv, reach.items[q]);
		for (size_t k = 0; nd && k < nd->children.n; k++)
			if (!has(&reach, nd->children.items[k]) && wn__strlist_push(&reach, nd->children.items[k]) != WN_OK)
				goto oom;
	}
	bool images_go = !api || api->ops->deletes_images;
	for (size_t i = 0; i < inv.n; i++) {
		struct node *nd = &inv.nodes[i];
		if (ri[i] < 0)
			continue;
		const struct wn_ret_result *r = &res[ri[i]];
		bool any = !nd->tags.n && r->expire_image;
		for (size_t t = 0; t < nd->tags.n; t++)
			any |= r->expired_tags[t];
		if (!any || (!nd->tags.n && has(&reach, nd->digest))) {
			p->kept_tags += nd->tags.n;
			continue;
		}
		struct wn_cleanup_item *it = add_item(p);
		if (!it)
			goto oom;
		it->digest = strdup(nd->digest);
		it->created = !strcmp(nd->when.source, "implausible") ? wn__sprintf("%s (not believed)", nd->when.s)
		                                                     : strdup(nd->when.s);
		it->time_from = !strcmp(nd->when.source, "implausible") ? "" : nd->when.source;
		it->id = wn__strdup(nd->id);
		it->delete_manifest = r->expire_image && !has(&reach, nd->digest) && images_go;
		const struct wn_policy_rule *rule = policy->ecr && r->rule >= 0 ? &policy->rules[r->rule] : NULL;
		it->reason = rule ? wn__sprintf("rule %d%s%s", rule->priority, rule->description ? ": " : "",
		                                rule->description ? rule->description : "")
		                  : strdup(nd->tags.n ? "the flags' policy" : "the flags' policy (untagged)");
		if (it->reason && policy->expire_undated && need_times && !wn_ret_time_known(nd->when.t, now)) {
			char *x = wn__sprintf("%s; undated, counted as the oldest (--expire-undated)", it->reason);
			free(it->reason);
			it->reason = x;
		}
		if (it->reason && r->expire_image && !it->delete_manifest && images_go) {
			char *x = wn__sprintf("%s; the manifest stays: a kept tag reaches it", it->reason);
			free(it->reason);
			it->reason = x;
		}
		if (!it->digest || !it->created || !it->reason || (nd->id && !it->id))
			goto oom;
		for (size_t t = 0; t < nd->tags.n; t++) {
			if (r->expired_tags[t]) {
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
			const struct node *cn = node_find(&inv, c);
			if (cn && cn->tags.n)
				continue; /* tagged and kept (cannot happen: it would be reached) */
			struct wn_cleanup_item *ci = add_item(p);
			if (!ci || wn__strlist_push(&orphans, c) != WN_OK)
				goto oom;
			ci->digest = strdup(c);
			ci->delete_manifest = 1;
			ci->parent = strdup(nd->digest);
			ci->created = strdup("");
			ci->time_from = "";
			ci->id = cn ? wn__strdup(cn->id) : NULL;
			ci->reason = !strncmp(what, "attestation of ", 15)
			                 ? wn__sprintf("the attestation manifest of %s in the deleted index %s", what + 15,
			                               nd->digest)
			                 : wn__sprintf("the platform manifest (%s) of the deleted index %s", what, nd->digest);
			if (!ci->digest || !ci->parent || !ci->created || !ci->reason || (cn && cn->id && !ci->id))
				goto oom;
		}
	}
	for (size_t i = 0, n = p->n_items; i < n; i++) {
		if (!p->items[i].delete_manifest)
			continue;
		char *subject = strdup(p->items[i].digest);
		rc = subject ? add_referrers(p, &inv, subject) : WN_ENOMEM;
		/* untagged referrers (OCI 1.1 subjects) a vendor API listed go with it too */
		for (size_t k = 0; rc == WN_OK && k < inv.n; k++) {
			const struct node *rn = &inv.nodes[k];
			if (!rn->referrer || strcmp(rn->subject, subject) || wn__cleanup_find(p, rn->digest) >= 0)
				continue;
			struct wn_cleanup_item *x = add_item(p);
			if (!x || !(x->digest = strdup(rn->digest)) || !(x->parent = strdup(subject)) ||
			    !(x->reason = wn__sprintf("a referrer of %s", subject)) || !(x->created = strdup("")) ||
			    (rn->id && !(x->id = strdup(rn->id))))
				rc = WN_ENOMEM;
			else {
				x->referrer = 1;
				x->delete_manifest = 1;
				x->time_from = "";
			}
		}
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
	wn_ret_result_free(res, ni);
	free(iv);
	free(imgs);
	free(ri);
	inventory_free(&inv);
	wn_ref_free(repo);
	wn__api_free(api);
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
		if (p->api) { /* the vendor API that listed it, and deletes */
			cJSON_AddStringToObject(o, "api", p->api);
			cJSON_AddStringToObject(o, "apiUrl", p->api_url ? p->api_url : "");
			cJSON_AddNumberToObject(o, "untagged", (double)p->untagged);
		}
		cJSON_AddNumberToObject(o, "images", (double)p->images);
		cJSON_AddNumberToObject(o, "keptTags", (double)p->kept_tags);
		cJSON *src = cJSON_AddObjectToObject(o, "createdFrom");
		cJSON_AddNumberToObject(src, "push", (double)p->from_push);
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
			if (it->id)
				cJSON_AddStringToObject(x, "id", it->id);
			if (it->created && *it->created)
				cJSON_AddStringToObject(x, "created", it->created);
			if (it->time_from && *it->time_from)
				cJSON_AddStringToObject(x, "timeFrom", it->time_from);
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
		p->api = wn__strdup(wn__json_str(r, "api"));
		p->api_url = wn__strdup(wn__json_str(r, "apiUrl"));
		p->untagged = count_of(r, "untagged");
		p->from_push = count_of(from, "push");
		if (p->api && strcmp(p->api, "hub") && strcmp(p->api, "github") && strcmp(p->api, "ecr") &&
		    strcmp(p->api, "harbor")) {
			rc = wn__error_set(err, WN_EINVAL, "cleanup plan: %s names an unknown api \"%.40s\"", name, p->api);
			break;
		}
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
			const char *id = wn__json_str(it, "id"), *tf = wn__json_str(it, "timeFrom");
			if (id && (!*id || strspn(id, "0123456789") != strlen(id) || strlen(id) > 20)) {
				rc = wn__error_set(err, WN_EINVAL, "cleanup plan: a bad id in %s", name);
				break;
			}
			x->id = wn__strdup(id);
			x->time_from = !tf ? "" : !strcmp(tf, "push") ? "push" : !strcmp(tf, "config") ? "config"
			             : !strcmp(tf, "annotation") ? "annotation" : "";
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

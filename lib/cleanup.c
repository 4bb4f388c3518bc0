/*
 * cleanup.c: a repository's tags -> a deletion plan -> deletions.
 *
 * The plan is built on the graph, not on a list of tags: tags -> manifests
 * -> (for an index) the platform manifests it holds -> the referrers
 * pointing at them (the sha256-<hex>[.sig|.att|.sbom] tags).  A manifest is
 * deleted only when no kept tag reaches it; an expired tag on a manifest
 * something kept still reaches is removed alone (delete's tag-only way).
 * Referrers go with their image.  Applying a plan re-checks every tag
 * against the digest the plan saw and skips what changed; what is already
 * gone counts as done, so a run that failed half-way can simply run again.
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
	}
	free(p->items);
	free(p->repository);
	free(p->note);
	free(p);
}

/* RFC 3339 -> unix seconds; -1 when unreadable. */
static int64_t parse_time(const char *s)
{
	struct tm tm = { 0 };
	const char *rest;
	if (!s || !(rest = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm)))
		return -1;
	int64_t t = (int64_t)timegm(&tm);
	while (*rest == '.' || (*rest >= '0' && *rest <= '9'))
		rest++;
	if ((*rest == '+' || *rest == '-') && strlen(rest) >= 6) {
		int64_t off = (rest[1] - '0') * 36000 + (rest[2] - '0') * 3600 + (rest[4] - '0') * 600 + (rest[5] - '0') * 60;
		t += *rest == '+' ? -off : off;
	}
	return t;
}

struct node {
	char digest[WN_DIGEST_MAX];
	struct wn_strlist tags;       /* tags pointing at it */
	struct wn_strlist children;   /* platform manifests, for an index */
	int64_t created;
	char created_s[40];
	const char *source;           /* "config", "annotation", "" */
	char *type;                   /* media type, from the HEAD */
};

struct inventory {
	struct node *nodes;
	size_t n, cap;
	struct wn_strlist referrer_tags;
	size_t from_config, from_annotation, unknown;
};

static struct node *node_for(struct inventory *inv, const char *digest)
{
	for (size_t i = 0; i < inv->n; i++)
		if (!strcmp(inv->nodes[i].digest, digest))
			return &inv->nodes[i];
	if (inv->n == inv->cap) {
		size_t cap = inv->cap ? inv->cap * 2 : 64;
		struct node *v = realloc(inv->nodes, cap * sizeof *v);
		if (!v)
			return NULL;
		inv->nodes = v;
		inv->cap = cap;
	}
	struct node *nd = &inv->nodes[inv->n++];
	memset(nd, 0, sizeof *nd);
	snprintf(nd->digest, sizeof nd->digest, "%s", digest);
	nd->created = -1;
	nd->source = "";
	return nd;
}

static void inventory_free(struct inventory *inv)
{
	for (size_t i = 0; i < inv->n; i++) {
		for (size_t k = 0; k < inv->nodes[i].tags.n; k++)
			free(inv->nodes[i].tags.items[k]);
		free(inv->nodes[i].tags.items);
		for (size_t k = 0; k < inv->nodes[i].children.n; k++)
			free(inv->nodes[i].children.items[k]);
		free(inv->nodes[i].children.items);
		free(inv->nodes[i].type);
	}
	free(inv->nodes);
	for (size_t k = 0; k < inv->referrer_tags.n; k++)
		free(inv->referrer_tags.items[k]);
	free(inv->referrer_tags.items);
}

/* The created time of an image manifest: its annotation, else its config's. */
static int image_time(struct wn_ctx *ctx, const struct wn_ref *repo, const struct wn_manifest *m, int64_t *t,
                      char *s, size_t n, const char **source)
{
	cJSON *j = wn__json_parse(m->data, m->len);
	const char *ann = wn__json_str(cJSON_GetObjectItemCaseSensitive(j, "annotations"), "org.opencontainers.image.created");
	int rc = WN_OK;
	if (ann && parse_time(ann) >= 0) {
		*t = parse_time(ann);
		snprintf(s, n, "%s", ann);
		*source = "annotation";
	} else if (!m->is_index && m->config.digest) {
		unsigned char *raw;
		size_t len;
		struct wn_image_config *c;
		if ((rc = wn_blob_get_mem(&raw, &len, ctx, repo, m->config.digest, CONFIG_MAX)) == WN_OK) {
			if (wn_image_config_parse(&c, raw, len, NULL) == WN_OK) {
				if (c->created && parse_time(c->created) >= 0) {
					*t = parse_time(c->created);
					snprintf(s, n, "%s", c->created);
					*source = "config";
				}
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
		rc = image_time(ctx, g->repo, m, &nd->created, nd->created_s, sizeof nd->created_s, &nd->source);
	for (size_t k = 0; m->is_index && k < m->n_manifests && rc == WN_OK; k++) {
		rc = wn__strlist_push(&nd->children, m->manifests[k].digest);
		if (rc == WN_OK && g->need_times && strcmp(nd->source, "annotation")) {
			/* an index is as new as its newest platform */
			struct wn_ref *cr;
			struct wn_manifest *cm;
			int64_t t = -1;
			char ts[40] = "";
			const char *src = "";
			if ((rc = wn__ref_at(&cr, g->repo, NULL, m->manifests[k].digest)) == WN_OK &&
			    (rc = wn_manifest_get(&cm, ctx, cr)) == WN_OK) {
				rc = image_time(ctx, g->repo, cm, &t, ts, sizeof ts, &src);
				wn_manifest_free(cm);
			}
			wn_ref_free(cr);
			if (t > nd->created) {
				nd->created = t;
				snprintf(nd->created_s, sizeof nd->created_s, "%s", ts);
				nd->source = "config";
			}
		}
	}
	wn_manifest_free(m);
	return rc;
}

static int gather(struct wn_ctx *ctx, const struct wn_ref *repo, struct inventory *inv, bool need_times,
                  unsigned jobs)
{
	struct wn_strlist *all = NULL, tags = { 0 };
	struct gather_state g = { repo, &tags, NULL, NULL, inv, need_times };
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
	for (size_t i = 0; i < inv->n && rc == WN_OK; i++) {
		struct node *nd = &inv->nodes[i];
		if (!strcmp(nd->source, "annotation"))
			inv->from_annotation++;
		else if (!strcmp(nd->source, "config"))
			inv->from_config++;
		else
			inv->unknown++;
	}
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

int wn_cleanup_plan_make(struct wn_cleanup_plan **out, struct wn_ctx *ctx, const char *repository,
                         const struct wn_policy *policy, int64_t now, unsigned jobs)
{
	struct wn_cleanup_plan *p = calloc(1, sizeof *p);
	struct inventory inv = { 0 };
	struct wn_ref *repo = NULL;
	struct wn_ret_result *res = NULL;
	const struct wn_ret_image **imgs = NULL;
	struct wn_ret_image *iv = NULL;
	struct wn_strlist reach = { 0 };
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
	if ((rc = gather(ctx, repo, &inv, need_times, jobs)) != WN_OK)
		goto done;
	p->images = inv.n;
	p->from_config = inv.from_config;
	p->from_annotation = inv.from_annotation;
	p->unknown_time = inv.unknown;
	bool wants_untagged = policy->untagged;
	for (size_t i = 0; i < policy->n_rules; i++)
		wants_untagged |= policy->rules[i].status != WN_TAGGED;
	if (wants_untagged)
		p->note = strdup("the registry cannot list manifests that no tag points at (the distribution API has "
			                 "no such listing): untagged rules see none; the registry's garbage-collect "
			                 "--delete-untagged removes them");
	iv = calloc(inv.n + 1, sizeof *iv);
	imgs = calloc(inv.n + 1, sizeof *imgs);
	if (!iv || !imgs) {
		rc = wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
		goto done;
	}
	for (size_t i = 0; i < inv.n; i++) {
		iv[i] = (struct wn_ret_image){ inv.nodes[i].digest, inv.nodes[i].tags.items, inv.nodes[i].tags.n,
			                           inv.nodes[i].created };
		imgs[i] = &iv[i];
	}
	if ((rc = wn_policy_evaluate(&res, policy, imgs, inv.n, now, &err)) != WN_OK) {
		rc = wn__ctx_take(ctx, &err);
		goto done;
	}
	/* what kept tags reach, through indexes */
	for (size_t i = 0; i < inv.n; i++) {
		bool kept = false;
		for (size_t t = 0; t < inv.nodes[i].tags.n; t++)
			kept |= !res[i].expired_tags[t];
		if (!kept)
			continue;
		wn__strlist_push(&reach, inv.nodes[i].digest);
		for (size_t k = 0; k < inv.nodes[i].children.n; k++)
			wn__strlist_push(&reach, inv.nodes[i].children.items[k]);
	}
	for (size_t i = 0; i < inv.n && rc == WN_OK; i++) {
		struct node *nd = &inv.nodes[i];
		bool any = false;
		for (size_t t = 0; t < nd->tags.n; t++)
			any |= res[i].expired_tags[t];
		if (!any) {
			p->kept_tags += nd->tags.n;
			continue;
		}
		struct wn_cleanup_item *it = add_item(p);
		if (!it) {
			rc = wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
			break;
		}
		it->digest = strdup(nd->digest);
		it->created = strdup(nd->created_s);
		it->delete_manifest = res[i].expire_image && !has(&reach, nd->digest);
		const struct wn_policy_rule *rule = policy->ecr && res[i].rule >= 0 ? &policy->rules[res[i].rule] : NULL;
		it->reason = rule ? wn__sprintf("rule %d%s%s", rule->priority, rule->description ? ": " : "",
		                                rule->description ? rule->description : "")
		                  : strdup("the flags' policy");
		if (res[i].expire_image && !it->delete_manifest) {
			char *r = wn__sprintf("%s; the manifest stays: a kept tag reaches it", it->reason);
			free(it->reason);
			it->reason = r;
		}
		for (size_t t = 0; t < nd->tags.n; t++) {
			if (res[i].expired_tags[t])
				wn__strlist_push(it->tags, nd->tags.items[t]);
			else
				p->kept_tags++;
		}
		/* referrers go with a deleted manifest, and with its platforms */
		if (it->delete_manifest) {
			struct wn_strlist subjects = { 0 };
			wn__strlist_push(&subjects, nd->digest);
			for (size_t k = 0; k < nd->children.n; k++)
				if (!has(&reach, nd->children.items[k]))
					wn__strlist_push(&subjects, nd->children.items[k]);
			for (size_t s = 0; s < subjects.n; s++) {
				const char *hex = strchr(subjects.items[s], ':') + 1;
				for (size_t k = 0; k < inv.referrer_tags.n; k++) {
					const char *rt = inv.referrer_tags.items[k];
					if (strncmp(rt + 7, hex, 64))
						continue;
					struct wn_cleanup_item *ri = add_item(p);
					if (!ri)
						break;
					ri->digest = NULL;          /* resolved when applied */
					ri->referrer = 1;
					ri->delete_manifest = 1;
					wn__strlist_push(ri->tags, rt);
					ri->reason = wn__sprintf("a referrer of %s", subjects.items[s]);
					ri->created = strdup("");
				}
			}
			for (size_t s = 0; s < subjects.n; s++)
				free(subjects.items[s]);
			free(subjects.items);
		}
	}
	for (size_t i = 0; i < p->n_items; i++) {
		p->manifests += p->items[i].delete_manifest && !p->items[i].referrer;
		p->tags += p->items[i].tags->n;
	}
	*out = p;
	p = NULL;
done:
	for (size_t i = 0; i < reach.n; i++)
		free(reach.items[i]);
	free(reach.items);
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
			cJSON_AddStringToObject(x, "reason", it->reason ? it->reason : "");
			if (it->created && *it->created)
				cJSON_AddStringToObject(x, "created", it->created);
			if (it->result)
				cJSON_AddStringToObject(x, "result", it->result);
			cJSON_AddItemToArray(items, x);
		}
		cJSON_AddItemToArray(arr, o);
	}
	char *s = cJSON_Print(doc);
	cJSON_Delete(doc);
	return s;
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
		if (!plans || !p || !name || !cJSON_IsArray(items)) {
			free(p);
			rc = wn__error_set(err, WN_EINVAL, "cleanup plan: a repository entry without repository/delete");
			break;
		}
		plans[np++] = p;
		p->repository = strdup(name);
		cJSON_ArrayForEach(it, items) {
			struct wn_cleanup_item *x = add_item(p);
			const char *d = wn__json_str(it, "digest"), *action = wn__json_str(it, "action");
			const cJSON *tags = cJSON_GetObjectItemCaseSensitive(it, "tags"), *t;
			struct wn_error derr;
			if (!x || !action || (strcmp(action, "manifest") && strcmp(action, "tags")) || !cJSON_IsArray(tags) ||
			    (d && wn_digest_validate(d, &derr) != WN_OK) || (!d && !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(it, "referrer")))) {
				rc = wn__error_set(err, WN_EINVAL, "cleanup plan: a malformed entry in %s", name);
				break;
			}
			x->digest = wn__strdup(d);
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
		}
		if (rc != WN_OK)
			break;
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

/* ---- applying ----------------------------------------------------------- */

struct apply {
	struct wn_ctx *ctx;
	struct wn_cleanup_plan *p;
	struct wn_ref *repo;
	bool recheck;
	pthread_mutex_t mu;
	size_t next;
};

static void set_result(struct wn_cleanup_item *it, const char *r)
{
	free(it->result);
	it->result = strdup(r);
}

/* One item: re-check (unless the plan is fresh), then delete.  Returns WN_OK
 * for done, skipped and already gone. */
static int apply_item(struct wn_ctx *ctx, const struct wn_ref *repo, struct wn_cleanup_item *it, bool recheck)
{
	char d[WN_DIGEST_MAX];
	struct wn_ref *r;
	int rc = WN_OK;
	bool any_left = !recheck && it->digest; /* a plan made a moment ago: its tags were just read */
	/* every tag must still hold what the plan saw; a referrer's digest is read now */
	for (size_t t = 0; (recheck || !it->digest) && t < it->tags->n && rc == WN_OK; t++) {
		if ((rc = wn__ref_at(&r, repo, it->tags->items[t], NULL)) != WN_OK)
			break;
		struct wn_error saved = ctx->err;
		int hrc = wn_manifest_head(ctx, r, d, NULL, NULL);
		wn_ref_free(r);
		if (hrc == WN_ENOTFOUND) {
			ctx->err = saved;
			continue;
		}
		if ((rc = hrc) != WN_OK)
			break;
		if (!it->digest)
			it->digest = strdup(d);
		if (strcmp(d, it->digest)) {
			set_result(it, "skipped: a tag moved since the plan was made");
			return WN_OK;
		}
		any_left = true;
	}
	if (rc != WN_OK)
		return rc;
	if (!any_left && !(it->delete_manifest && it->digest && !it->tags->n)) {
		set_result(it, "already gone");
		return WN_OK;
	}
	struct wn_delete_options o = { 0, 1, 0 };
	struct wn_delete_result *dr = NULL;
	if (it->delete_manifest) {
		/* the plan already knows every tag on it: no need to list them again */
		rc = wn__manifest_delete(ctx, repo, it->digest);
	} else {
		for (size_t t = 0; t < it->tags->n && rc == WN_OK; t++) {
			if ((rc = wn__ref_at(&r, repo, it->tags->items[t], NULL)) != WN_OK)
				break;
			struct wn_error saved = ctx->err;
			rc = wn_delete(&dr, ctx, r, &o);
			if (rc == WN_ENOTFOUND) {
				ctx->err = saved;
				rc = WN_OK;
			}
			wn_delete_result_free(dr);
			dr = NULL;
			wn_ref_free(r);
		}
	}
	wn_delete_result_free(dr);
	if (rc == WN_ENOTFOUND) {
		set_result(it, "already gone");
		return WN_OK;
	}
	set_result(it, rc == WN_OK ? "deleted" : wn_ctx_errmsg(ctx));
	return rc;
}

static void *apply_worker(void *arg)
{
	struct apply *a = arg;
	struct wn_ctx *ctx;
	if (wn__ctx_fork(&ctx, a->ctx) != WN_OK)
		return NULL;
	for (;;) {
		pthread_mutex_lock(&a->mu);
		size_t i = a->next++;
		pthread_mutex_unlock(&a->mu);
		if (i >= a->p->n_items)
			break;
		struct wn_cleanup_item *it = &a->p->items[i];
		if (apply_item(ctx, a->repo, it, a->recheck) != WN_OK) {
			if (!it->result)
				set_result(it, wn_ctx_errmsg(ctx));
			pthread_mutex_lock(&a->mu);
			a->p->failed++;
			pthread_mutex_unlock(&a->mu);
		}
	}
	wn_ctx_free(ctx);
	return NULL;
}

int wn_cleanup_apply(struct wn_ctx *ctx, struct wn_cleanup_plan *p, unsigned jobs, int recheck)
{
	struct apply a = { ctx, p, NULL, recheck != 0, PTHREAD_MUTEX_INITIALIZER, 0 };
	struct wn_error err;
	pthread_t thr[64];
	unsigned started = 0;
	if (wn_ref_parse(&a.repo, p->repository, WN_REF_NAME_ONLY, &err) != WN_OK)
		return wn__ctx_take(ctx, &err);
	p->failed = 0;
	if (!jobs)
		jobs = 4;
	if (jobs > 64)
		jobs = 64;
	/* referrers first: they go with their image and must not outlive it */
	for (size_t i = 0, k = 0; i < p->n_items; i++)
		if (p->items[i].referrer) {
			struct wn_cleanup_item tmp = p->items[k];
			p->items[k++] = p->items[i];
			p->items[i] = tmp;
		}
	for (; started < jobs && started < p->n_items; started++)
		if (pthread_create(&thr[started], NULL, apply_worker, &a))
			break;
	for (unsigned i = 0; i < started; i++)
		pthread_join(thr[i], NULL);
	wn_ref_free(a.repo);
	if (p->failed)
		return wn__ctx_fail(ctx, WN_EPARTIAL, "%zu of %zu deletions in %s failed", p->failed, p->n_items,
		                    p->repository);
	return WN_OK;
}

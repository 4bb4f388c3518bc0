/*
 * apply.c: carrying a cleanup plan out (cleanup.c makes it).
 *
 * Referrers go just before their image, an index before its children, and
 * a child only once its index is gone.  Applying a plan made earlier first
 * reads the repository again (the tag list, a HEAD per tag, the indexes tags
 * point at: no more, and in parallel) and keeps what changed: an item whose
 * tag moved is skipped, and a manifest that a tag outside the plan or an
 * index not being deleted now reaches stays (its planned tags alone go).
 * When unsure, the image stays.  What is already gone counts as done, so a
 * run that failed half-way can simply run again.  The counts say what
 * happened, not what was planned.
 *
 * A plan made through a vendor API (it names it) is carried out through it:
 * the repository is read again with one listing (the tags, the digests and
 * the ids, untagged images too), an item whose GitHub version id no longer
 * holds its digest is skipped, and tags and images go through the API.  There
 * a denial (a token without the permission) or a rate limit stops the run at
 * once: the rest would fail the same way.
 */
#include <stdlib.h>
#include <string.h>
#include "internal.h"

#define MAX_LEVELS 8  /* indexes of indexes of ...: deeper than this stays */

static bool has(const struct wn_strlist *l, const char *s)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->items[i], s))
			return true;
	return false;
}

static void strlist_clear(struct wn_strlist *l)
{
	for (size_t k = 0; k < l->n; k++)
		free(l->items[k]);
	free(l->items);
	memset(l, 0, sizeof *l);
}

/* The repository as it is now, read once before a plan made earlier is
 * applied: every tag's digest, and what each index a tag points at holds. */
struct snapshot {
	const struct wn_ref *repo;
	struct wn_strlist *tags;
	char (*digests)[WN_DIGEST_MAX];   /* per tag; "" when gone since the listing */
	char **types;
	struct wn_strlist indexes;        /* distinct digests of indexes tags point at */
	struct wn_strlist *children;      /* per index */
	struct wn__images imgs;           /* through a vendor API: its listing, untagged images too */
	bool listed;
};

static void snapshot_free(struct snapshot *s)
{
	for (size_t i = 0; s->tags && i < s->tags->n; i++)
		free(s->types[i]);
	free(s->types);
	free(s->digests);
	wn_strlist_free(s->tags);
	for (size_t i = 0; s->children && i < s->indexes.n; i++)
		strlist_clear(&s->children[i]);
	free(s->children);
	strlist_clear(&s->indexes);
	wn__images_free(&s->imgs);
}

static int snap_head(struct wn_ctx *ctx, size_t i, void *arg)
{
	struct snapshot *s = arg;
	struct wn_ref *r;
	int rc = wn__ref_at(&r, s->repo, s->tags->items[i], NULL);
	if (rc != WN_OK)
		return rc;
	struct wn_error saved = ctx->err;
	rc = wn_manifest_head(ctx, r, s->digests[i], &s->types[i], NULL);
	wn_ref_free(r);
	if (rc == WN_ENOTFOUND) {
		ctx->err = saved;
		s->digests[i][0] = 0;
		rc = WN_OK;
	}
	return rc;
}

static int snap_index(struct wn_ctx *ctx, size_t i, void *arg)
{
	struct snapshot *s = arg;
	struct wn_ref *r;
	struct wn_manifest *m = NULL;
	int rc = wn__ref_at(&r, s->repo, NULL, s->indexes.items[i]);
	if (rc != WN_OK)
		return rc;
	struct wn_error saved = ctx->err;
	rc = wn_manifest_get(&m, ctx, r);
	wn_ref_free(r);
	if (rc == WN_ENOTFOUND) { /* deleted since its HEAD: it references nothing */
		ctx->err = saved;
		return WN_OK;
	}
	for (size_t k = 0; rc == WN_OK && k < m->n_manifests; k++)
		if (wn__strlist_push(&s->children[i], m->manifests[k].digest) != WN_OK)
			rc = wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
	wn_manifest_free(m);
	return rc;
}

static int snapshot_take(struct snapshot *s, struct wn_ctx *ctx, unsigned jobs)
{
	int rc = wn_tags_list(&s->tags, ctx, s->repo);
	if (rc != WN_OK)
		return rc;
	s->digests = calloc(s->tags->n + 1, sizeof *s->digests);
	s->types = calloc(s->tags->n + 1, sizeof *s->types);
	if (!s->digests || !s->types)
		return wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
	if ((rc = wn__parallel(ctx, s->tags->n, jobs, snap_head, s)) != WN_OK)
		return rc;
	for (size_t i = 0; i < s->tags->n; i++)
		if (s->digests[i][0] && s->types[i] && wn__mt_is_index(s->types[i]) && !has(&s->indexes, s->digests[i]) &&
		    wn__strlist_push(&s->indexes, s->digests[i]) != WN_OK)
			return wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
	if (!(s->children = calloc(s->indexes.n + 1, sizeof *s->children)))
		return wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
	return wn__parallel(ctx, s->indexes.n, jobs, snap_index, s);
}

/* An image a vendor API listed whose media type it did not say (GitHub's): its manifest is read. */
static int snap_api_type(struct wn_ctx *ctx, size_t i, void *arg)
{
	struct snapshot *s = arg;
	struct wn__image *m = &s->imgs.v[i];
	struct wn_ref *r;
	struct wn_manifest *man = NULL;
	if (m->media_type && *m->media_type)
		return WN_OK;
	int rc = wn__ref_at(&r, s->repo, NULL, m->digest);
	if (rc != WN_OK)
		return rc;
	struct wn_error saved = ctx->err;
	rc = wn_manifest_get(&man, ctx, r);
	wn_ref_free(r);
	if (rc == WN_ENOTFOUND) {
		ctx->err = saved;
		return WN_OK;
	}
	if (rc == WN_OK && !(m->media_type = strdup(man->media_type ? man->media_type : "")))
		rc = wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
	wn_manifest_free(man);
	return rc;
}

/* The repository as a vendor API lists it: every tag and its digest, untagged
 * images too, and what the indexes hold (read with the registry API). */
static int snapshot_take_api(struct snapshot *s, struct wn_ctx *ctx, struct wn__vapi *api, unsigned jobs)
{
	int rc = api->ops->list(api, ctx, &s->imgs);
	size_t n = 0, k = 0;
	if (rc != WN_OK)
		return rc;
	s->listed = true;
	if ((rc = wn__parallel(ctx, s->imgs.n, jobs, snap_api_type, s)) != WN_OK)
		return rc;
	for (size_t i = 0; i < s->imgs.n; i++)
		n += s->imgs.v[i].tags.n;
	if (!(s->tags = calloc(1, sizeof *s->tags)) || !(s->digests = calloc(n + 1, sizeof *s->digests)) ||
	    !(s->types = calloc(n + 1, sizeof *s->types)))
		return wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
	for (size_t i = 0; i < s->imgs.n; i++) {
		const struct wn__image *m = &s->imgs.v[i];
		for (size_t t = 0; t < m->tags.n; t++, k++) {
			if (wn__strlist_push(s->tags, m->tags.items[t]) != WN_OK ||
			    !(s->types[k] = wn__strdup(m->media_type ? m->media_type : "")))
				return wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
			snprintf(s->digests[k], WN_DIGEST_MAX, "%s", m->digest);
		}
		/* every index, tagged or not: an untagged one that stays keeps what it holds too */
		if (m->media_type && wn__mt_is_index(m->media_type) && !has(&s->indexes, m->digest) &&
		    wn__strlist_push(&s->indexes, m->digest) != WN_OK)
			return wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
	}
	if (!(s->children = calloc(s->indexes.n + 1, sizeof *s->children)))
		return wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
	return wn__parallel(ctx, s->indexes.n, jobs, snap_index, s);
}

/* The digest a tag holds now; NULL when it is gone. */
static const char *snap_tag(const struct snapshot *s, const char *tag)
{
	for (size_t i = 0; i < s->tags->n; i++)
		if (!strcmp(s->tags->items[i], tag))
			return s->digests[i][0] ? s->digests[i] : NULL;
	return NULL;
}

enum state { ST_TODO, ST_GO, ST_TAGS_ONLY, ST_DELETED, ST_SKIPPED, ST_GONE, ST_FAILED };

struct work {
	enum state st;
	int level;                 /* 0: nothing before it; else after its dependencies */
	int subject;               /* referrers: the item of the image they go with, -1 if none */
	int deps[8];               /* items that must be deleted first (an index holding it) */
	int n_deps;
	bool present[64];          /* with a snapshot: which planned tags are still there (first 64) */
	bool snapped;
	size_t tags_done;          /* tags this item removed */
	char *why;                 /* for a skip or a kept manifest */
};

struct apply {
	struct wn_cleanup_plan *p;
	struct wn_ref *repo;
	struct work *w;
	size_t *todo;              /* the items of the current phase */
	struct wn__vapi *api;      /* the vendor API the plan names; NULL: the registry API */
	struct snapshot *snap;     /* its listing */
	int fatal;                 /* a denial or a rate limit: the run stops */
};

static void set_result(struct wn_cleanup_item *it, const char *r)
{
	free(it->result);
	it->result = strdup(r);
}

static bool tag_present(const struct work *w, size_t t)
{
	return !w->snapped || t >= 64 || w->present[t];
}

static void add_dep(struct work *w, int j)
{
	for (int k = 0; k < w->n_deps; k++)
		if (w->deps[k] == j)
			return;
	if (w->n_deps < (int)(sizeof w->deps / sizeof *w->deps))
		w->deps[w->n_deps++] = j;
	else
		w->level = -1; /* more than we follow: keep it */
}

/* The tags, outside this item, that hold `digest` now ("" when none); caller frees. */
static char *outside_tags(const struct snapshot *s, const struct wn_cleanup_item *it, const char *digest)
{
	struct wn__buf b = { .max = 200 };
	size_t n = 0;
	for (size_t i = 0; i < s->tags->n; i++)
		if (s->digests[i][0] && !strcmp(s->digests[i], digest) && !has(it->tags, s->tags->items[i])) {
			wn__buf_puts(&b, n++ ? ", " : "");
			wn__buf_puts(&b, s->tags->items[i]);
		}
	wn__buf_cstr(&b);
	return (char *)b.data;
}

/* A tag that reaches an index (for messages). */
static const char *tag_of(const struct snapshot *s, const char *digest)
{
	for (size_t i = 0; i < s->tags->n; i++)
		if (!strcmp(s->digests[i], digest))
			return s->tags->items[i];
	return "?";
}

/* With a snapshot: what each item may still do.  Nothing is deleted here. */
static int decide(struct apply *a, const struct snapshot *s)
{
	struct wn_cleanup_plan *p = a->p;
	for (size_t i = 0; i < p->n_items; i++) {
		struct wn_cleanup_item *it = &p->items[i];
		struct work *w = &a->w[i];
		bool any = false;
		w->snapped = true;
		/* every planned tag must still hold what the plan saw (a referrer's digest is read now) */
		for (size_t t = 0; t < it->tags->n && w->st == ST_GO; t++) {
			const char *d = snap_tag(s, it->tags->items[t]);
			if (t < 64)
				w->present[t] = d != NULL;
			if (!d)
				continue;
			any = true;
			if (!it->digest && !(it->digest = strdup(d)))
				return WN_ENOMEM;
			if (strcmp(d, it->digest)) {
				w->st = ST_SKIPPED;
				w->why = wn__sprintf("a tag moved since the plan was made: %s", it->tags->items[t]);
			}
		}
		if (w->st != ST_GO)
			continue;
		if (!it->digest || (!it->delete_manifest && !any)) {
			w->st = ST_GONE;
			continue;
		}
		if (s->listed) {
			/* a vendor API lists every image: one it no longer lists is gone, and a
			 * GitHub version id must still be the one holding the digest */
			const struct wn__image *now = wn__images_find(&s->imgs, it->digest);
			if (!now) {
				w->st = ST_GONE;
				continue;
			}
			if (it->id && now->id && strcmp(it->id, now->id)) {
				w->st = ST_SKIPPED;
				w->why = wn__sprintf("the version %s no longer holds %s (it is version %s now)", it->id, it->digest,
				                     now->id);
				continue;
			}
		}
		if (!it->delete_manifest)
			continue;
		/* a tag outside the plan, or an index that stays, reaches it now: the manifest stays */
		char *others = outside_tags(s, it, it->digest);
		if (!others)
			return WN_ENOMEM;
		if (*others) {
			w->why = wn__sprintf("the tag%s %s, not in the plan, now point%s at it", strchr(others, ',') ? "s" : "",
			                     others, strchr(others, ',') ? "" : "s");
			w->st = any ? ST_TAGS_ONLY : ST_SKIPPED;
		}
		free(others);
		for (size_t x = 0; x < s->indexes.n && w->st == ST_GO; x++) {
			if (!has(&s->children[x], it->digest) || !strcmp(s->indexes.items[x], it->digest))
				continue;
			int j = wn__cleanup_find(p, s->indexes.items[x]);
			if (j >= 0 && p->items[j].delete_manifest) {
				add_dep(w, j); /* an index the plan deletes: after it, and only if it went */
				continue;
			}
			w->why = wn__sprintf("the index %s (tag %s) now holds it", s->indexes.items[x], tag_of(s, s->indexes.items[x]));
			w->st = any ? ST_TAGS_ONLY : ST_SKIPPED;
		}
	}
	return WN_OK;
}

/* Levels: an item comes after what it depends on; a referrer with its subject. */
static void order(struct apply *a)
{
	struct wn_cleanup_plan *p = a->p;
	for (size_t i = 0; i < p->n_items; i++) {
		struct work *w = &a->w[i];
		int j = wn__cleanup_find(p, p->items[i].parent);
		w->subject = -1;
		if (p->items[i].referrer)
			w->subject = j;
		else if (j >= 0 && p->items[j].delete_manifest && w->st == ST_GO)
			add_dep(w, j);
		if (w->st == ST_TAGS_ONLY) /* its manifest stays: removing its tags waits for nothing */
			w->n_deps = 0;
	}
	for (int pass = 0; pass < MAX_LEVELS; pass++)
		for (size_t i = 0; i < p->n_items; i++) {
			struct work *w = &a->w[i];
			for (int k = 0; k < w->n_deps && w->level >= 0; k++) {
				int dl = a->w[w->deps[k]].level;
				if (dl < 0 || dl + 1 >= MAX_LEVELS)
					w->level = -1;
				else if (dl + 1 > w->level)
					w->level = dl + 1;
			}
		}
	for (size_t i = 0; i < p->n_items; i++) /* a referrer runs just before its image */
		if (a->w[i].subject >= 0)
			a->w[i].level = a->w[a->w[i].subject].level;
	for (size_t i = 0; i < p->n_items; i++) {
		struct work *w = &a->w[i];
		if (w->level < 0 && (w->st == ST_GO || w->st == ST_TAGS_ONLY)) {
			w->st = ST_SKIPPED;
			free(w->why);
			w->why = strdup("indexes nested deeper than winch follows hold it");
		}
	}
}

/* Did everything the item waits for go? */
static bool deps_gone(const struct apply *a, const struct work *w)
{
	for (int k = 0; k < w->n_deps; k++)
		if (a->w[w->deps[k]].st != ST_DELETED && a->w[w->deps[k]].st != ST_GONE)
			return false;
	return true;
}

/* The image a vendor API listed for the item, or one made of the plan's words
 * (digest, id, tags) when the listing no longer has it.  *tmp is freed by the caller. */
static const struct wn__image *api_image(const struct apply *a, const struct wn_cleanup_item *it, struct wn__image *tmp)
{
	const struct wn__image *m = a->snap ? wn__images_find(&a->snap->imgs, it->digest) : NULL;
	if (m)
		return m;
	memset(tmp, 0, sizeof *tmp);
	tmp->digest = it->digest;
	tmp->id = it->id;
	tmp->tags = *it->tags;
	tmp->pushed = tmp->size = -1;
	return tmp;
}

/* Removes the planned tags that are still there, each alone, through the vendor API. */
static int api_remove_tags(struct wn_ctx *ctx, struct apply *a, struct wn_cleanup_item *it, struct work *w)
{
	struct wn__image tmp;
	const struct wn__image *img = api_image(a, it, &tmp);
	int rc = WN_OK;
	for (size_t t = 0; t < it->tags->n && rc == WN_OK; t++) {
		const char *method;
		if (!tag_present(w, t))
			continue;
		struct wn_error saved = ctx->err;
		rc = wn__api_untag(a->api, ctx, img, it->tags->items[t], &method);
		if (rc == WN_OK)
			w->tags_done++;
		else if (rc == WN_ENOTFOUND) {
			ctx->err = saved;
			rc = WN_OK;
		}
	}
	return rc;
}

/* Removes the planned tags that are still there, each alone. */
static int remove_tags(struct wn_ctx *ctx, const struct wn_ref *repo, struct wn_cleanup_item *it, struct work *w)
{
	struct wn_delete_options o = { 0, 1, 0, "registry", NULL };
	int rc = WN_OK;
	for (size_t t = 0; t < it->tags->n && rc == WN_OK; t++) {
		struct wn_ref *r;
		struct wn_delete_result *dr = NULL;
		if (!tag_present(w, t))
			continue;
		if ((rc = wn__ref_at(&r, repo, it->tags->items[t], NULL)) != WN_OK)
			break;
		struct wn_error saved = ctx->err;
		rc = wn_delete(&dr, ctx, r, &o);
		if (rc == WN_OK)
			w->tags_done++;
		else if (rc == WN_ENOTFOUND) {
			ctx->err = saved;
			rc = WN_OK;
		}
		wn_delete_result_free(dr);
		wn_ref_free(r);
	}
	return rc;
}

/* One item of the current phase.  Failures are the item's: the others go on. */
static int run_item(struct wn_ctx *ctx, size_t k, void *arg)
{
	struct apply *a = arg;
	size_t i = a->todo[k];
	struct wn_cleanup_item *it = &a->p->items[i];
	struct work *w = &a->w[i];
	int rc = WN_OK;
	if (wn__cancelled(ctx))
		return WN_OK; /* left undone: reported as not carried out */
	if (w->st == ST_TAGS_ONLY || !it->delete_manifest) {
		rc = a->api ? api_remove_tags(ctx, a, it, w) : remove_tags(ctx, a->repo, it, w);
		if (rc == WN_OK && w->st == ST_GO && !w->tags_done)
			w->st = ST_GONE;
	} else if (a->api) {
		if (!it->digest) { /* a referrer tag of a fresh plan: the listing says what it holds */
			const char *d = a->snap ? snap_tag(a->snap, it->tags->items[0]) : NULL;
			if (!d) {
				rc = WN_ENOTFOUND;
				goto out;
			}
			if (!(it->digest = strdup(d))) {
				rc = wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
				goto out;
			}
		}
		struct wn__image tmp;
		if ((rc = wn__api_delete_image(a->api, ctx, api_image(a, it, &tmp))) == WN_OK)
			for (size_t t = 0; t < it->tags->n; t++)
				w->tags_done += tag_present(w, t);
	} else {
		if (!it->digest) { /* a referrer of a fresh plan: its digest is read now */
			struct wn_ref *r;
			char d[WN_DIGEST_MAX];
			if ((rc = wn__ref_at(&r, a->repo, it->tags->items[0], NULL)) != WN_OK)
				goto out;
			rc = wn_manifest_head(ctx, r, d, NULL, NULL);
			wn_ref_free(r);
			if (rc == WN_OK && !(it->digest = strdup(d)))
				rc = wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
			if (rc != WN_OK)
				goto out;
		}
		/* the plan knows every tag on it: no need to list them again */
		if ((rc = wn__manifest_delete(ctx, a->repo, it->digest)) == WN_OK)
			for (size_t t = 0; t < it->tags->n; t++)
				w->tags_done += tag_present(w, t);
	}
out:
	if (rc == WN_ENOTFOUND)
		w->st = ST_GONE;
	else if (rc != WN_OK) {
		w->st = ST_FAILED;
		set_result(it, wn_ctx_errmsg(ctx));
		/* through a vendor API a denial or a rate limit is the run's, not the item's:
		 * the next deletions would meet it too */
		if (a->api && (rc == WN_EDENIED || rc == WN_EAUTH || rc == WN_ERATELIMIT)) {
			a->fatal = rc;
			return rc;
		}
	} else if (w->st == ST_GO)
		w->st = ST_DELETED;
	return WN_OK;
}

/* Runs the items a phase holds (their state says what to do), one at a time:
 * the distribution registry walks every tag of the repository while it
 * deletes a manifest, and a tag another DELETE removes meanwhile makes it
 * answer 500 after the manifest is gone, leaving dangling tags behind
 * (distribution/distribution#2514, #2430; seen here about once in six
 * parallel applies).  Reading the repository stays parallel. */
static int run_phase(struct wn_ctx *ctx, struct apply *a, size_t n)
{
	return n ? wn__parallel(ctx, n, 1, run_item, a) : WN_OK;
}

int wn_cleanup_apply(struct wn_ctx *ctx, struct wn_cleanup_plan *p, unsigned jobs, int recheck)
{
	struct apply a = { p, NULL, NULL, NULL, NULL, NULL, 0 };
	struct snapshot snap = { 0 };
	struct wn_error err;
	int rc = WN_OK;
	if (wn_ref_parse(&a.repo, p->repository, WN_REF_NAME_ONLY, &err) != WN_OK)
		return wn__ctx_take(ctx, &err);
	p->failed = p->done_manifests = p->done_children = p->done_referrers = p->done_tags = p->skipped = p->gone = 0;
	a.w = calloc(p->n_items + 1, sizeof *a.w);
	a.todo = calloc(p->n_items + 1, sizeof *a.todo);
	if (!a.w || !a.todo) {
		rc = wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
		goto done;
	}
	for (size_t i = 0; i < p->n_items; i++) {
		a.w[i].st = ST_GO;
		free(p->items[i].result);
		p->items[i].result = NULL;
	}
	snap.repo = a.repo;
	if (p->api) {
		/* the plan's vendor API: a token that says it may not delete deletes nothing */
		if ((rc = wn__api_open(&a.api, ctx, a.repo, p->api, p->api_url)) != WN_OK ||
		    (a.api->ops->may_delete && (rc = a.api->ops->may_delete(a.api, ctx)) != WN_OK)) {
			char cause[sizeof ctx->err.msg], msg[sizeof ctx->err.msg + 40];
			snprintf(cause, sizeof cause, "%s", wn_ctx_errmsg(ctx));
			snprintf(msg, sizeof msg, "not carried out: %s", cause);
			for (size_t i = 0; i < p->n_items; i++)
				set_result(&p->items[i], msg);
			p->failed = p->n_items;
			p->applied = 1;
			rc = wn__ctx_fail(ctx, rc, "nothing deleted in %s: %s", p->repository, cause);
			goto done;
		}
		a.snap = &snap;
	}
	if (recheck || a.api) {
		if ((rc = a.api ? snapshot_take_api(&snap, ctx, a.api, jobs) : snapshot_take(&snap, ctx, jobs)) != WN_OK) {
			/* what cannot be checked is kept: every entry is a failure the report names */
			char cause[sizeof ctx->err.msg], msg[sizeof ctx->err.msg + 40];
			snprintf(cause, sizeof cause, "%s", wn_ctx_errmsg(ctx));
			snprintf(msg, sizeof msg, "not carried out: %s", cause);
			for (size_t i = 0; i < p->n_items; i++)
				set_result(&p->items[i], msg);
			p->failed = p->n_items;
			p->applied = 1;
			rc = wn__ctx_fail(ctx, rc, "nothing deleted in %s: it could not be read again first (%s)", p->repository,
			                  cause);
			goto done;
		}
		if (recheck && decide(&a, &snap) != WN_OK) {
			rc = wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
			goto done;
		}
	}
	order(&a);
	/* a referrer goes only with its image, so when its image still goes */
	for (size_t i = 0; i < p->n_items; i++) {
		struct work *w = &a.w[i];
		if (w->subject >= 0 && w->st == ST_GO &&
		    (a.w[w->subject].st == ST_SKIPPED || a.w[w->subject].st == ST_TAGS_ONLY)) {
			w->st = ST_SKIPPED;
			w->why = strdup("its image stays");
		}
	}
	for (int level = 0; level < MAX_LEVELS && rc == WN_OK && (rc = wn__check_cancel(ctx)) == WN_OK; level++) {
		/* referrers first, each just before its image; then the items of this level */
		for (int referrers = 1; referrers >= 0 && rc == WN_OK; referrers--) {
			size_t n = 0;
			for (size_t i = 0; i < p->n_items; i++) {
				struct work *w = &a.w[i];
				if (w->level != level || (w->st != ST_GO && w->st != ST_TAGS_ONLY) ||
				    (referrers ? !p->items[i].referrer : p->items[i].referrer))
					continue;
				const struct work *gate = w->subject >= 0 ? &a.w[w->subject] : w;
				if (!deps_gone(&a, gate)) {
					w->st = ST_SKIPPED;
					free(w->why);
					w->why = strdup(w->subject >= 0 ? "its image stays: the index holding it was not deleted"
					                                : "the index holding it was not deleted");
					continue;
				}
				a.todo[n++] = i;
			}
			rc = run_phase(ctx, &a, n);
		}
	}
	for (size_t i = 0; i < p->n_items; i++) {
		struct wn_cleanup_item *it = &p->items[i];
		struct work *w = &a.w[i];
		p->done_tags += w->tags_done;
		switch (w->st) {
		case ST_DELETED:
			if (it->referrer)
				p->done_referrers++;
			else if (wn__cleanup_is_child(it))
				p->done_children++;
			else if (it->delete_manifest)
				p->done_manifests++;
			set_result(it, "deleted");
			break;
		case ST_TAGS_ONLY: {
			p->skipped++;
			char *r = wn__sprintf("skipped, %zu planned tag%s removed: the manifest stays: %s", w->tags_done,
			                      w->tags_done == 1 ? "" : "s", w->why ? w->why : "");
			set_result(it, r ? r : "skipped");
			free(r);
			break;
		}
		case ST_SKIPPED: {
			p->skipped++;
			char *r = wn__sprintf("skipped: %s", w->why ? w->why : "");
			set_result(it, r ? r : "skipped");
			free(r);
			break;
		}
		case ST_GONE:
			p->gone++;
			set_result(it, "already gone");
			break;
		case ST_FAILED:
			p->failed++;
			break;
		case ST_TODO:
		case ST_GO:
			p->failed++;
			set_result(it, "not carried out");
			break;
		}
	}
	p->applied = 1;
	if (a.fatal && rc == a.fatal) {
		char cause[sizeof ctx->err.msg];
		snprintf(cause, sizeof cause, "%s", wn_ctx_errmsg(ctx));
		rc = wn__ctx_fail(ctx, a.fatal, "%s: stopped after %zu manifests and %zu tags deleted: %s", p->repository,
		                  p->done_manifests + p->done_children + p->done_referrers, p->done_tags, cause);
	} else if (rc == WN_OK && p->failed) {
		rc = wn__ctx_fail(ctx, WN_EPARTIAL, "%zu of %zu deletions in %s failed", p->failed, p->n_items,
		                  p->repository);
	}
done:
	for (size_t i = 0; a.w && i < p->n_items; i++)
		free(a.w[i].why);
	free(a.w);
	free(a.todo);
	snapshot_free(&snap);
	wn_ref_free(a.repo);
	wn__api_free(a.api);
	return rc;
}

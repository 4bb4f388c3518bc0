/*
 * sync.c: `winch sync`: many repositories mirrored from one file.
 *
 * What is selected and where it goes follows skopeo sync
 * (cmd/skopeo/sync.go): each registry's `images` (a list of tags and
 * digests, or every tag), `images-by-tag-regex` and `images-by-semver`
 * (every tag, filtered), each image to path.Join(DEST, name) where name is
 * the source's last path element (`--scoped`: its whole name), then
 * --append-suffix.  How it goes is winch's: an image is first checked with
 * one HEAD at each side (equal digests: up to date, no GET, so nothing is
 * counted against a pull quota), and only then copied by the copy engine;
 * images go `jobs` per registry at once, each worker keeping its forks of
 * the run's contexts (connections and tokens shared by the whole run); one
 * image failing does not stop the others.  With a rate floor, a registry
 * whose last answer says its quota is down to the floor gets no new pull
 * (HEADs, which cost none, go on).  Prune builds cleanup's plans (cleanup.c):
 * the tags to go are destination tags that a selection's rule covers and no
 * source has, and cleanup's graph keeps every manifest a kept tag needs.
 */
#include <regex.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "sync/sync.h"

#define DEFAULT_JOBS 4
#define MAX_THREADS 64

/* ---- the configuration ---------------------------------------------------- */

int wn__sync_sel_add(struct wn__sync_reg *r, enum wn__sel_kind kind, const char *repo, struct wn__sync_sel **out,
                     char *why, size_t n)
{
	struct wn_ref *ref = NULL;
	struct wn_error err;
	char *full = wn__sprintf("%s/%s", r->name, repo);
	if (!full) {
		snprintf(why, n, "out of memory");
		return WN_ENOMEM;
	}
	/* skopeo: parseRepositoryReference(registry + "/" + name), a repository and not an image */
	int rc = wn_ref_parse(&ref, full, WN_REF_NAME_ONLY, &err);
	free(full);
	if (rc != WN_OK) {
		snprintf(why, n, "\"%s/%s\" is not a repository: %s", r->name, repo, err.msg);
		return WN_EINVAL;
	}
	struct wn__sync_sel *s = realloc(r->sels, (r->n_sels + 1) * sizeof *s);
	if (!s) {
		wn_ref_free(ref);
		snprintf(why, n, "out of memory");
		return WN_ENOMEM;
	}
	r->sels = s;
	s = &r->sels[r->n_sels++];
	memset(s, 0, sizeof *s);
	s->kind = kind;
	s->repo = strdup(repo);
	s->name = wn_ref_name(ref);
	wn_ref_free(ref);
	*out = s;
	if (!s->repo || !s->name) {
		snprintf(why, n, "out of memory");
		return WN_ENOMEM;
	}
	return WN_OK;
}

void wn__sync_reg_clear(struct wn__sync_reg *r)
{
	for (size_t i = 0; i < r->n_sels; i++) {
		struct wn__sync_sel *s = &r->sels[i];
		free(s->repo);
		free(s->name);
		for (size_t k = 0; k < s->refs.n; k++)
			free(s->refs.items[k]);
		free(s->refs.items);
		free(s->expr);
		if (s->has_re)
			regfree(&s->re);
		wn__semver_con_free(s->con);
	}
	free(r->sels);
	free(r->name);
	free(r->username);
	wn__free_secret(r->password);
	free(r->cert_dir);
	free(r->prefix);
	for (size_t k = 0; k < r->platforms.n; k++)
		free(r->platforms.items[k]);
	free(r->platforms.items);
}

void wn_sync_config_free(struct wn_sync_config *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n_regs; i++)
		wn__sync_reg_clear(&c->regs[i]);
	free(c->regs);
	free(c->name);
	free(c);
}

int wn_sync_config_repo(struct wn_sync_config **out, const char *source, struct wn_error *err)
{
	struct wn_ref *ref = NULL;
	struct wn_sync_config *c = NULL;
	struct wn__sync_sel *s;
	char why[512];
	int rc;
	*out = NULL;
	if ((rc = wn_ref_parse(&ref, source, 0, err)) != WN_OK)
		return rc;
	if (!(c = calloc(1, sizeof *c)) || !(c->regs = calloc(1, sizeof *c->regs)) || !(c->name = strdup(source)) ||
	    !(c->regs[0].name = strdup(ref->registry))) {
		rc = wn__error_set(err, WN_ENOMEM, "out of memory");
		goto done;
	}
	c->n_regs = 1;
	c->repo_source = true;
	c->regs[0].tls_verify = c->regs[0].referrers = c->regs[0].prune = c->regs[0].plain_http = -1;
	c->regs[0].rate_floor = -2;
	/* skopeo: a repository is every tag; a tagged (or digested) name that image alone */
	bool one = ref->tag || ref->digest;
	if (wn__sync_sel_add(&c->regs[0], one ? WN__SEL_REFS : WN__SEL_ALL, ref->repository, &s, why, sizeof why) != WN_OK) {
		rc = wn__error_set(err, WN_EINVAL, "%s", why);
		goto done;
	}
	if (one && wn__strlist_push(&s->refs, ref->digest ? ref->digest : ref->tag) != WN_OK)
		rc = wn__error_set(err, WN_ENOMEM, "out of memory");
done:
	wn_ref_free(ref);
	if (rc != WN_OK) {
		wn_sync_config_free(c);
		return rc;
	}
	*out = c;
	return WN_OK;
}

const char *wn_sync_result_name(enum wn_sync_result r)
{
	switch (r) {
	case WN_SYNC_SELECTED: return "selected";
	case WN_SYNC_COPIED: return "copied";
	case WN_SYNC_UP_TO_DATE: return "up-to-date";
	case WN_SYNC_SKIPPED: return "skipped";
	case WN_SYNC_FAILED: return "failed";
	case WN_SYNC_PRUNED: return "pruned";
	case WN_SYNC_TO_PRUNE: return "to-prune";
	}
	return "unknown";
}

void wn_sync_report_free(struct wn_sync_report *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n_items; i++) {
		free(r->items[i].source);
		free(r->items[i].destination);
		free(r->items[i].error);
	}
	free(r->items);
	for (size_t i = 0; i < r->n_plans; i++)
		wn_cleanup_plan_free(r->plans[i]);
	free(r->plans);
	free(r);
}

/* ---- the run's state -------------------------------------------------------- */

/* A destination repository: what was selected for it, and what prune may remove. */
struct drepo {
	char *name;                 /* "registry/repository" */
	struct wn_strlist kept;     /* destination tags selected for it */
	bool prune;                 /* some selection feeding it asks for prune */
	bool unsure;                /* some selection feeding it could not list its tags: no prune */
	struct rule {
		const struct wn__sync_sel *sel;
		const char *suffix;
	} *rules;                   /* the selections (ALL, REGEX, SEMVER) with prune that feed it */
	size_t n_rules;
};

/* One image to sync, beside its report item. */
struct job {
	size_t reg;                 /* index in cfg->regs */
	size_t root;                /* index in run.roots: the source's context */
	struct wn_ref *dref;        /* the destination */
	const char *src_tag;        /* the source's tag (NULL: by digest) */
	int host_s, host_d;         /* indexes in run.hosts */
	bool started;
};

struct host {
	char *name;
	unsigned busy;
};

struct run {
	const struct wn_sync_config *cfg;
	const struct wn_sync_options *opt;
	struct wn_ctx *roots[MAX_THREADS]; /* [0]: the destination's; then a context per source identity */
	bool owned[MAX_THREADS];
	size_t n_roots;
	size_t *reg_root;           /* per registry: its context in roots */

	struct wn_sync_report *rep; /* items grow as selections are listed (under mu) */
	size_t cap_items;
	struct job *jobs;           /* parallel to rep->items (images only) */
	struct drepo *drepos;
	size_t n_drepos;
	struct host *hosts;
	size_t n_hosts;
	regex_t immutable;
	bool has_immutable;
	struct list_state *lists;   /* while listing: the selections to list */

	pthread_mutex_t mu;
	pthread_cond_t freed;
	size_t next, done;
	struct wn_sync_progress prog;
};

struct worker {
	struct run *r;
	struct wn_ctx *forks[MAX_THREADS];
};

/* This worker's fork of roots[i] (made when first needed). */
static struct wn_ctx *fork_of(struct worker *w, size_t i)
{
	if (!w->forks[i] && wn__ctx_fork(&w->forks[i], w->r->roots[i]) != WN_OK)
		return NULL;
	return w->forks[i];
}

static void worker_end(struct worker *w)
{
	for (size_t i = 0; i < w->r->n_roots; i++)
		wn_ctx_free(w->forks[i]);
}


struct pool_arg {
	struct worker *w;
	bool (*pick)(struct run *, size_t *);
	void (*fn)(struct worker *, size_t);
};

static void *pool_entry(void *a_)
{
	struct pool_arg *a = a_;
	size_t i;
	while (a->pick(a->w->r, &i))
		a->fn(a->w, i);
	return NULL;
}

/* Runs fn(worker, i) for each i pick() hands out, on `threads` threads, each a worker with its own forks. */
static void pool(struct run *r, unsigned threads, bool (*pick)(struct run *, size_t *),
                 void (*fn)(struct worker *, size_t))
{
	static struct worker ws_zero;
	struct worker ws[MAX_THREADS];
	struct pool_arg args[MAX_THREADS];
	pthread_t thr[MAX_THREADS];
	unsigned started = 0;
	if (threads > MAX_THREADS)
		threads = MAX_THREADS;
	if (!threads)
		threads = 1;
	for (unsigned i = 0; i < threads; i++) {
		ws[i] = ws_zero;
		ws[i].r = r;
		args[i] = (struct pool_arg){ &ws[i], pick, fn };
	}
	for (; started < threads; started++)
		if (pthread_create(&thr[started], NULL, pool_entry, &args[started]))
			break;
	if (!started)
		pool_entry(&args[0]);
	for (unsigned i = 0; i < started; i++)
		pthread_join(thr[i], NULL);
	for (unsigned i = 0; i < threads; i++)
		worker_end(&ws[i]);
}

/* ---- contexts ----------------------------------------------------------------- */

/* The context a registry's sources are read with: the caller's, or a new
 * one when the file gives the registry credentials, TLS settings or plain
 * HTTP of its own (skopeo: a SystemContext per registry).  A cert-dir the
 * file gives replaces the command line's; without one the command line's
 * stays (skopeo clears it). */
static int reg_context(struct run *r, struct wn_ctx *base, const struct wn__sync_reg *g, size_t *root)
{
	bool own = (g->username || g->password) || g->tls_verify >= 0 || g->cert_dir || g->plain_http >= 0;
	if (!own) {
		for (size_t i = 0; i < r->n_roots; i++)
			if (r->roots[i] == base) {
				*root = i;
				return WN_OK;
			}
		if (r->n_roots == MAX_THREADS)
			return wn__ctx_fail(base, WN_EINVAL, "too many registries with options of their own (at most %d)",
			                    MAX_THREADS - 2);
		r->roots[r->n_roots] = base;
		*root = r->n_roots++;
		return WN_OK;
	}
	if (r->n_roots == MAX_THREADS)
		return wn__ctx_fail(base, WN_EINVAL, "too many registries with options of their own (at most %d)",
		                    MAX_THREADS - 2);
	struct wn_ctx_options o = base->opt;
	char *creds = NULL;
	o.cert_dir = g->cert_dir ? g->cert_dir : base->cert_dir;
	o.certs_d = base->certs_d;
	o.authfile = base->authfile;
	o.user_agent = base->user_agent;
	o.creds = base->creds;
	if (g->username || g->password) {
		if (!(creds = wn__sprintf("%s:%s", g->username ? g->username : "", g->password ? g->password : "")))
			return wn__ctx_fail(base, WN_ENOMEM, "out of memory");
		o.creds = creds;
	}
	if (g->tls_verify >= 0)
		o.tls_verify = g->tls_verify;
	if (g->plain_http >= 0)
		o.plain_http = g->plain_http;
	int rc = wn_ctx_new(&r->roots[r->n_roots], &o);
	wn__free_secret(creds);
	if (rc != WN_OK)
		return wn__ctx_fail(base, WN_ENOMEM, "out of memory");
	r->owned[r->n_roots] = true;
	*root = r->n_roots++;
	return WN_OK;
}

/* ---- where an image goes ---------------------------------------------------------- */

/* Go's path.Join: the non-empty elements joined by '/', then path.Clean. */
static char *path_join(const char *const *elems, size_t n)
{
	struct wn__buf in = { .max = 1u << 16 }, out = { .max = 1u << 16 };
	char *res = NULL;
	for (size_t i = 0; i < n; i++)
		if (elems[i] && *elems[i]) {
			if (in.len)
				wn__buf_puts(&in, "/");
			wn__buf_puts(&in, elems[i]);
		}
	if (wn__buf_cstr(&in) != WN_OK || !in.data)
		goto done;
	const char *p = (const char *)in.data;
	bool rooted = *p == '/';
	size_t kept = 0; /* elements in out that a ".." may remove */
	if (rooted)
		wn__buf_puts(&out, "/");
	while (*p) {
		while (*p == '/')
			p++;
		size_t len = strcspn(p, "/");
		if (!len)
			break;
		if (len == 1 && *p == '.') {
			/* nothing */
		} else if (len == 2 && p[0] == '.' && p[1] == '.') {
			if (kept) {
				while (out.len && out.data[out.len - 1] != '/')
					out.len--;
				if (out.len && (out.len > 1 || !rooted))
					out.len--; /* the slash before it */
				kept--;
			} else if (!rooted) {
				if (out.len && out.data[out.len - 1] != '/')
					wn__buf_puts(&out, "/");
				wn__buf_puts(&out, "..");
			}
		} else {
			if (out.len && out.data[out.len - 1] != '/')
				wn__buf_puts(&out, "/");
			wn__buf_append(&out, p, len);
			kept++;
		}
		p += len;
	}
	if (!out.len)
		wn__buf_puts(&out, ".");
	if (wn__buf_cstr(&out) == WN_OK && !out.overflow) {
		res = (char *)out.data;
		out.data = NULL;
	}
done:
	wn__buf_free(&in);
	wn__buf_free(&out);
	return res;
}

/* skopeo's destination for a source image (its normalised name, with tag or
 * digest): DEST/[prefix/]NAME + suffix, NAME the last path element unless
 * scoped.  *out: the normalised reference. */
static int dest_for(struct run *r, const struct wn__sync_reg *g, const char *src, struct wn_ref **out,
                    struct wn_error *err)
{
	const char *name = src, *sl = strrchr(src, '/');
	if (!r->opt->scoped && sl)
		name = sl + 1;
	const char *el[3] = { r->opt->destination, g->prefix, name };
	char *j = path_join(el, 3), *full = j ? wn__sprintf("%s%s", j, r->opt->append_suffix ? r->opt->append_suffix : "")
	                                    : NULL;
	int rc = full ? wn_ref_parse(out, full, 0, err) : wn__error_set(err, WN_ENOMEM, "out of memory");
	if (rc != WN_OK && full)
		rc = wn__error_set(err, WN_EINVAL, "destination \"%s\" (for %s) is not a reference: %s", full, src, err->msg);
	free(j);
	free(full);
	return rc;
}

/* ---- selection ------------------------------------------------------------------------ */

static int host_index(struct run *r, const char *name)
{
	for (size_t i = 0; i < r->n_hosts; i++)
		if (!strcmp(r->hosts[i].name, name))
			return (int)i;
	struct host *h = realloc(r->hosts, (r->n_hosts + 1) * sizeof *h);
	if (!h)
		return -1;
	r->hosts = h;
	if (!(h[r->n_hosts].name = strdup(name)))
		return -1;
	h[r->n_hosts].busy = 0;
	return (int)r->n_hosts++;
}

static struct drepo *drepo_of(struct run *r, const char *name)
{
	for (size_t i = 0; i < r->n_drepos; i++)
		if (!strcmp(r->drepos[i].name, name))
			return &r->drepos[i];
	struct drepo *d = realloc(r->drepos, (r->n_drepos + 1) * sizeof *d);
	if (!d)
		return NULL;
	r->drepos = d;
	d = &d[r->n_drepos];
	memset(d, 0, sizeof *d);
	if (!(d->name = strdup(name)))
		return NULL;
	r->n_drepos++;
	return d;
}

static struct wn_sync_item *item_new(struct run *r)
{
	struct wn_sync_report *rep = r->rep;
	if (rep->n_items == r->cap_items) {
		size_t cap = r->cap_items ? r->cap_items * 2 : 64;
		struct wn_sync_item *it = realloc(rep->items, cap * sizeof *it);
		struct job *jb = it ? realloc(r->jobs, cap * sizeof *jb) : NULL;
		if (it)
			rep->items = it;
		if (!jb)
			return NULL;
		r->jobs = jb;
		r->cap_items = cap;
	}
	memset(&rep->items[rep->n_items], 0, sizeof *rep->items);
	memset(&r->jobs[rep->n_items], 0, sizeof *r->jobs);
	return &rep->items[rep->n_items++];
}

/* Does a selection's rule take this source tag? */
static bool sel_takes(const struct wn__sync_sel *s, const char *tag)
{
	switch (s->kind) {
	case WN__SEL_ALL: return true;
	case WN__SEL_REGEX: return !regexec(&s->re, tag, 0, NULL, 0);
	case WN__SEL_SEMVER: return wn__semver_con_check(s->con, tag);
	case WN__SEL_REFS: break;
	}
	return false;
}

static bool strlist_has(const struct wn_strlist *l, const char *s)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->items[i], s))
			return true;
	return false;
}

static bool prune_for(const struct run *r, const struct wn__sync_reg *g)
{
	return g->prune >= 0 ? g->prune : r->opt->prune;
}

/* Adds the image `ref` (a tag or a digest) of selection s: its report item and job. */
static int add_image(struct run *r, struct wn_ctx *ctx, size_t gi, const struct wn__sync_sel *s, const char *ref)
{
	const struct wn__sync_reg *g = &r->cfg->regs[gi];
	bool digest = strchr(ref, ':') != NULL;
	char *src = wn__sprintf("%s%s%s", s->name, digest ? "@" : ":", ref);
	struct wn_ref *dref = NULL;
	struct wn_error err;
	if (!src)
		return wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
	int rc = dest_for(r, g, src, &dref, &err);
	char *dst = rc == WN_OK ? wn_ref_string(dref) : NULL;
	/* the same image to the same place twice (a repository under two keys): once */
	for (size_t i = 0; dst && i < r->rep->n_items; i++)
		if (r->rep->items[i].source && r->rep->items[i].destination && !strcmp(r->rep->items[i].source, src) &&
		    !strcmp(r->rep->items[i].destination, dst)) {
			free(src);
			free(dst);
			wn_ref_free(dref);
			return WN_OK;
		}
	struct wn_sync_item *it = item_new(r);
	if (!it) {
		free(src);
		free(dst);
		wn_ref_free(dref);
		return wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
	}
	struct job *j = &r->jobs[r->rep->n_items - 1];
	it->source = src;
	j->reg = gi;
	j->root = r->reg_root[gi];
	if (rc != WN_OK) {
		/* skopeo stops the whole run on a destination it cannot parse; here it is this image's failure */
		it->destination = wn__sprintf("%s/%s", r->opt->destination, ref);
		it->result = WN_SYNC_FAILED;
		it->code = err.code;
		it->error = strdup(err.msg);
		j->started = true;
		return WN_OK;
	}
	it->destination = dst;
	j->dref = dref;
	j->src_tag = digest ? NULL : strrchr(src, ':') + 1;
	struct wn_ref *sref = NULL;
	char *dname = wn_ref_name(dref);
	struct drepo *d = dname ? drepo_of(r, dname) : NULL;
	free(dname);
	if (!d || wn_ref_parse(&sref, s->name, WN_REF_NAME_ONLY, &err) != WN_OK ||
	    (j->host_s = host_index(r, sref->registry)) < 0 || (j->host_d = host_index(r, dref->registry)) < 0 ||
	    (dref->tag && !strlist_has(&d->kept, dref->tag) && wn__strlist_push(&d->kept, dref->tag) != WN_OK)) {
		wn_ref_free(sref);
		return wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
	}
	wn_ref_free(sref);
	return WN_OK;
}

/* The destination repository a selection feeds (its name for any tag). */
static struct drepo *sel_drepo(struct run *r, const struct wn__sync_reg *g, const struct wn__sync_sel *s)
{
	char *src = wn__sprintf("%s:latest", s->name), *name = NULL;
	struct wn_ref *dref = NULL;
	struct wn_error err;
	struct drepo *d = NULL;
	if (src && dest_for(r, g, src, &dref, &err) == WN_OK && (name = wn_ref_name(dref)))
		d = drepo_of(r, name);
	free(src);
	free(name);
	wn_ref_free(dref);
	return d;
}

struct listing {
	size_t reg, sel;
	struct wn_strlist *tags;
	int rc;
	char *msg;
};

struct list_state {
	struct listing *l;
	size_t n, next;
};

static bool pick_list(struct run *r, size_t *out)
{
	struct list_state *ls = r->lists;
	bool ok;
	pthread_mutex_lock(&r->mu);
	ok = ls->next < ls->n && !wn__cancelled(r->roots[0]);
	if (ok)
		*out = ls->next++;
	pthread_mutex_unlock(&r->mu);
	return ok;
}

static void do_list(struct worker *w, size_t i)
{
	struct run *r = w->r;
	struct list_state *ls = r->lists;
	struct listing *l = &ls->l[i];
	const struct wn__sync_sel *s = &r->cfg->regs[l->reg].sels[l->sel];
	struct wn_ctx *ctx = fork_of(w, r->reg_root[l->reg]);
	struct wn_ref *ref = NULL;
	struct wn_error err;
	if (!ctx) {
		l->rc = WN_ENOMEM;
		l->msg = strdup("out of memory");
		return;
	}
	if ((l->rc = wn_ref_parse(&ref, s->name, WN_REF_NAME_ONLY, &err)) != WN_OK)
		l->rc = wn__ctx_take(ctx, &err);
	else
		l->rc = wn_tags_list(&l->tags, ctx, ref);
	if (l->rc != WN_OK)
		l->msg = strdup(wn_ctx_errmsg(ctx));
	wn_ref_free(ref);
}

/* Every image the file selects, in its order: listings first (in parallel), then the items. */
static int select_images(struct run *r, struct wn_ctx *ctx)
{
	const struct wn_sync_config *c = r->cfg;
	struct list_state ls = { NULL, 0, 0 };
	int rc = WN_OK;
	for (size_t gi = 0; gi < c->n_regs; gi++)
		for (size_t k = 0; k < c->regs[gi].n_sels; k++)
			ls.n += c->regs[gi].sels[k].kind != WN__SEL_REFS;
	if (ls.n && !(ls.l = calloc(ls.n, sizeof *ls.l)))
		return wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
	ls.n = 0;
	for (size_t gi = 0; gi < c->n_regs; gi++)
		for (size_t k = 0; k < c->regs[gi].n_sels; k++)
			if (c->regs[gi].sels[k].kind != WN__SEL_REFS)
				ls.l[ls.n++] = (struct listing){ gi, k, NULL, WN_OK, NULL };
	if (ls.n) {
		unsigned jobs = r->opt->jobs ? r->opt->jobs : DEFAULT_JOBS;
		r->lists = &ls;
		pool(r, jobs * 2 < ls.n ? jobs * 2 : (unsigned)ls.n, pick_list, do_list);
		r->lists = NULL;
		if ((rc = wn__check_cancel(ctx)) != WN_OK)
			goto done;
	}
	size_t li = 0;
	for (size_t gi = 0; gi < c->n_regs && rc == WN_OK; gi++) {
		const struct wn__sync_reg *g = &c->regs[gi];
		/* skopeo's order: images, then images-by-tag-regex, then images-by-semver */
		for (int kind = 0; kind < 3 && rc == WN_OK; kind++)
			for (size_t k = 0; k < g->n_sels && rc == WN_OK; k++) {
				const struct wn__sync_sel *s = &g->sels[k];
				int want = s->kind == WN__SEL_REGEX ? 1 : s->kind == WN__SEL_SEMVER ? 2 : 0;
				if (want != kind)
					continue;
				if (s->kind == WN__SEL_REFS) {
					for (size_t t = 0; t < s->refs.n && rc == WN_OK; t++)
						rc = add_image(r, ctx, gi, s, s->refs.items[t]);
					continue;
				}
				struct listing *l = NULL;
				for (size_t q = 0; q < ls.n && !l; q++)
					if (ls.l[q].reg == gi && ls.l[q].sel == k)
						l = &ls.l[q];
				li++;
				/* NULL: its destination is no reference (each image fails, saying so) */
				struct drepo *d = sel_drepo(r, g, s);
				if (d && prune_for(r, g)) {
					struct rule *nr = realloc(d->rules, (d->n_rules + 1) * sizeof *nr);
					if (!nr) {
						rc = wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
						break;
					}
					d->rules = nr;
					d->rules[d->n_rules++] = (struct rule){ s, r->opt->append_suffix };
					d->prune = true;
				}
				if (l->rc != WN_OK) {
					/* skopeo logs "Error processing repo, skipping" and goes on: so does winch, reporting it */
					struct wn_sync_item *it = item_new(r);
					if (!it) {
						rc = wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
						break;
					}
					it->source = strdup(s->name);
					it->destination = strdup(d ? d->name : r->opt->destination);
					it->result = WN_SYNC_FAILED;
					it->code = l->rc;
					it->error = l->msg;
					l->msg = NULL;
					r->jobs[r->rep->n_items - 1].started = true;
					if (d)
						d->unsure = true;
					continue;
				}
				size_t taken = 0;
				for (size_t t = 0; t < l->tags->n && rc == WN_OK; t++)
					if (sel_takes(s, l->tags->items[t])) {
						rc = add_image(r, ctx, gi, s, l->tags->items[t]);
						taken++;
					}
				if (!taken)
					wn__log(ctx, WN_LOG_WARN, "%s: no tag to sync (%zu tag%s, none selected)", s->name, l->tags->n,
					        l->tags->n == 1 ? "" : "s");
			}
	}
done:
	for (size_t q = 0; q < ls.n; q++) {
		wn_strlist_free(ls.l[q].tags);
		free(ls.l[q].msg);
	}
	free(ls.l);
	return rc;
}

/* ---- copying ------------------------------------------------------------------------------ */

/* The next image whose source and destination registries have a free slot; waits for one. */
static bool pick_image(struct run *r, size_t *out)
{
	unsigned cap = r->opt->jobs ? r->opt->jobs : DEFAULT_JOBS;
	pthread_mutex_lock(&r->mu);
	for (;;) {
		bool left = false;
		if (wn__cancelled(r->roots[0])) {
			pthread_mutex_unlock(&r->mu);
			return false;
		}
		while (r->next < r->rep->n_items && r->jobs[r->next].started)
			r->next++;
		for (size_t i = r->next; i < r->rep->n_items; i++) {
			struct job *j = &r->jobs[i];
			if (j->started)
				continue;
			left = true;
			if (r->hosts[j->host_s].busy >= cap || (j->host_d != j->host_s && r->hosts[j->host_d].busy >= cap))
				continue;
			j->started = true;
			r->hosts[j->host_s].busy++;
			if (j->host_d != j->host_s)
				r->hosts[j->host_d].busy++;
			*out = i;
			pthread_mutex_unlock(&r->mu);
			return true;
		}
		if (!left) {
			pthread_mutex_unlock(&r->mu);
			return false;
		}
		pthread_cond_wait(&r->freed, &r->mu);
	}
}

static void finish(struct run *r, size_t i)
{
	struct job *j = &r->jobs[i];
	struct wn_sync_item *it = &r->rep->items[i];
	pthread_mutex_lock(&r->mu);
	r->hosts[j->host_s].busy--;
	if (j->host_d != j->host_s)
		r->hosts[j->host_d].busy--;
	r->prog.done++;
	r->prog.copied += it->result == WN_SYNC_COPIED;
	r->prog.up_to_date += it->result == WN_SYNC_UP_TO_DATE;
	r->prog.skipped += it->result == WN_SYNC_SKIPPED;
	r->prog.failed += it->result == WN_SYNC_FAILED;
	if (r->opt->progress)
		r->opt->progress(r->opt->progress_data, &r->prog);
	pthread_cond_broadcast(&r->freed);
	pthread_mutex_unlock(&r->mu);
}

static void fail_item(struct wn_sync_item *it, struct wn_ctx *ctx, int rc)
{
	it->result = WN_SYNC_FAILED;
	it->code = rc;
	it->error = strdup(wn_ctx_errmsg(ctx));
}

/* One image: a HEAD at the destination; if it has the tag (or digest), a
 * HEAD at the source (none for a tag --assume-immutable names, nor for a
 * digest); equal digests are up to date.  Otherwise, unless the source's
 * rate limit is at the floor, the copy engine copies it. */
static void do_image(struct worker *w, size_t i)
{
	struct run *r = w->r;
	struct job *j = &r->jobs[i];
	struct wn_sync_item *it = &r->rep->items[i];
	const struct wn__sync_reg *g = &r->cfg->regs[j->reg];
	struct wn_ctx *sctx = fork_of(w, j->root), *dctx = fork_of(w, 0);
	char have[WN_DIGEST_MAX], src_d[WN_DIGEST_MAX];
	struct wn_ref *sref = NULL;
	struct wn_error err;
	int rc;
	if (!sctx || !dctx) {
		it->result = WN_SYNC_FAILED;
		it->code = WN_ENOMEM;
		it->error = strdup("out of memory");
		goto done;
	}
	if ((rc = wn_ref_parse(&sref, it->source, 0, &err)) != WN_OK) {
		rc = wn__ctx_take(sctx, &err);
		fail_item(it, sctx, rc);
		goto done;
	}
	rc = wn_manifest_head(dctx, j->dref, have, NULL, NULL);
	if (rc == WN_OK) {
		bool same = !j->src_tag; /* a digest names its bytes */
		if (!same && r->has_immutable && !regexec(&r->immutable, j->src_tag, 0, NULL, 0))
			same = true;
		if (!same) {
			if ((rc = wn_manifest_head(sctx, sref, src_d, NULL, NULL)) != WN_OK) {
				fail_item(it, sctx, rc);
				goto done;
			}
			same = !strcmp(src_d, have);
		}
		if (same) {
			it->result = WN_SYNC_UP_TO_DATE;
			memcpy(it->digest, have, WN_DIGEST_MAX);
			goto done;
		}
	} else if (rc != WN_ENOTFOUND) {
		fail_item(it, dctx, rc);
		goto done;
	}
	long floor = g->rate_floor != -2 ? g->rate_floor : r->opt->rate_floor;
	struct wn_ratelimit rl;
	/* what is left, as the source's last answer said; a HEAD (no pull) asks when nothing did yet */
	if (floor >= 0 && !wn__ratelimit_of(sctx, sref->registry, &rl) && j->src_tag) {
		struct wn_error saved = sctx->err;
		if (wn_manifest_head(sctx, sref, src_d, NULL, NULL) != WN_OK)
			sctx->err = saved; /* the copy will say what is wrong */
	}
	if (floor >= 0 && wn__ratelimit_of(sctx, sref->registry, &rl) && rl.remaining >= 0 && rl.remaining <= floor) {
		it->result = WN_SYNC_SKIPPED;
		it->error = wn__sprintf("not started: %s has %lld pull%s left, at or under the floor of %ld (--rate-floor)",
		                        sref->registry, (long long)rl.remaining, rl.remaining == 1 ? "" : "s", floor);
		pthread_mutex_lock(&r->mu);
		r->rep->rate_floor_hit = 1;
		pthread_mutex_unlock(&r->mu);
		goto done;
	}
	const char *host[2] = { wn__host_platform(), NULL };
	const char *plats[65];
	struct wn_copy_options o = WN_COPY_OPTIONS_INIT;
	o.jobs = r->opt->blob_jobs;
	o.chunk_size = r->opt->chunk_size;
	o.dest_format = r->opt->dest_format;
	o.referrers = g->referrers >= 0 ? g->referrers : r->opt->referrers;
	if (g->platforms.n) {
		size_t k = 0;
		for (; k < g->platforms.n && k < 64; k++)
			plats[k] = g->platforms.items[k];
		plats[k] = NULL;
		o.platforms = plats;
	} else if (r->opt->platforms) {
		o.platforms = r->opt->platforms;
	} else if (!r->opt->all && j->src_tag) {
		/* skopeo without --all: this machine's image of an index (a digest names the whole index) */
		o.platforms = host;
	}
	o.dest_ctx = r->roots[j->root] == r->roots[0] ? NULL : dctx;
	o.verify = r->opt->verify;
	char *dst = wn_ref_string(j->dref);
	rc = dst ? wn_copy(&it->copy, sctx, it->source, dst, &o) : wn__ctx_fail(sctx, WN_ENOMEM, "out of memory");
	free(dst);
	if (rc != WN_OK) {
		fail_item(it, sctx, rc);
		goto done;
	}
	it->result = it->copy.up_to_date ? WN_SYNC_UP_TO_DATE : WN_SYNC_COPIED;
	memcpy(it->digest, it->copy.digest, WN_DIGEST_MAX);
done:
	wn_ref_free(sref);
	finish(r, i);
}

/* ---- prune ---------------------------------------------------------------------------------- */

/* Destination tags a rule covers (its selection would take the source tag they
 * came from) that no selection kept; none when a feeding listing failed. */
static int prune_candidates(struct run *r, struct wn_ctx *ctx, struct drepo *d, struct wn_strlist *out)
{
	struct wn_ref *ref = NULL;
	struct wn_strlist *tags = NULL;
	struct wn_error err;
	int rc;
	if ((rc = wn_ref_parse(&ref, d->name, WN_REF_NAME_ONLY, &err)) != WN_OK)
		return wn__ctx_take(ctx, &err);
	rc = wn_tags_list(&tags, ctx, ref);
	wn_ref_free(ref);
	if (rc == WN_ENOTFOUND) /* no repository yet: nothing to prune */
		return WN_OK;
	for (size_t i = 0; rc == WN_OK && i < tags->n; i++) {
		const char *t = tags->items[i];
		if (strlist_has(&d->kept, t))
			continue;
		bool covered = false;
		for (size_t k = 0; k < d->n_rules && !covered; k++) {
			const char *suf = d->rules[k].suffix;
			size_t tl = strlen(t), sl = suf ? strlen(suf) : 0;
			if (tl <= sl || (sl && strcmp(t + tl - sl, suf)))
				continue;
			char *src_tag = wn__strndup(t, tl - sl);
			if (!src_tag) {
				rc = wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
				break;
			}
			covered = sel_takes(d->rules[k].sel, src_tag);
			free(src_tag);
		}
		if (covered && wn__strlist_push(out, t) != WN_OK)
			rc = wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
	}
	wn_strlist_free(tags);
	return rc;
}

/* "^(a|b\.c)$" for exactly these tags ('.' is the only ERE character a tag may hold) */
static char *exact_regex(const struct wn_strlist *tags)
{
	struct wn__buf b = { .max = 64u << 20 };
	wn__buf_puts(&b, "^(");
	for (size_t i = 0; i < tags->n; i++) {
		if (i)
			wn__buf_puts(&b, "|");
		for (const char *p = tags->items[i]; *p; p++)
			wn__buf_puts(&b, *p == '.' ? "\\." : (char[2]){ *p, 0 });
	}
	wn__buf_puts(&b, ")$");
	if (wn__buf_cstr(&b) != WN_OK || b.overflow) {
		wn__buf_free(&b);
		return NULL;
	}
	return (char *)b.data;
}

static int report_plan(struct run *r, struct wn_ctx *ctx, const struct wn_cleanup_plan *p)
{
	for (size_t i = 0; i < p->n_items; i++) {
		const struct wn_cleanup_item *ci = &p->items[i];
		size_t n = ci->tags->n ? ci->tags->n : 1;
		for (size_t t = 0; t < n; t++) {
			struct wn_sync_item *it = item_new(r);
			if (!it)
				return wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
			r->jobs[r->rep->n_items - 1].started = true;
			it->destination = ci->tags->n ? wn__sprintf("%s:%s", p->repository, ci->tags->items[t])
			                              : wn__sprintf("%s@%s", p->repository, ci->digest ? ci->digest : "");
			if (ci->digest)
				snprintf(it->digest, sizeof it->digest, "%s", ci->digest);
			if (!p->applied) {
				it->result = WN_SYNC_TO_PRUNE;
			} else if (ci->result && (!strcmp(ci->result, "deleted") || !strcmp(ci->result, "already gone"))) {
				it->result = WN_SYNC_PRUNED;
			} else if (ci->result && !strncmp(ci->result, "skipped", 7)) {
				it->result = WN_SYNC_SKIPPED;
				it->error = strdup(ci->result);
			} else {
				it->result = WN_SYNC_FAILED;
				it->code = WN_ERROR;
				it->error = strdup(ci->result ? ci->result : "not deleted");
			}
		}
	}
	return WN_OK;
}

/* A repository that could not be pruned: reported as a failure, the others go on. */
static int prune_failed(struct run *r, struct wn_ctx *ctx, const struct drepo *d, struct wn_ctx *from, int code)
{
	struct wn_sync_item *it = item_new(r);
	if (!it)
		return wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
	r->jobs[r->rep->n_items - 1].started = true;
	it->destination = strdup(d->name);
	it->result = WN_SYNC_FAILED;
	it->code = code;
	it->error = wn__sprintf("not pruned: %s", wn_ctx_errmsg(from));
	return WN_OK;
}

static int prune(struct run *r, struct wn_ctx *ctx)
{
	struct wn_ctx *dctx = r->roots[0];
	unsigned jobs = r->opt->jobs ? r->opt->jobs : DEFAULT_JOBS;
	int rc = WN_OK;
	for (size_t i = 0; i < r->n_drepos && rc == WN_OK; i++) {
		struct drepo *d = &r->drepos[i];
		struct wn_strlist go = { 0 };
		struct wn_cleanup_plan *plan = NULL;
		int prc;
		if (!d->prune)
			continue;
		if (d->unsure) {
			wn__log(ctx, WN_LOG_WARN, "%s: not pruned: a source feeding it could not be listed", d->name);
			continue;
		}
		if ((rc = wn__check_cancel(ctx)) != WN_OK)
			break;
		if ((prc = prune_candidates(r, dctx, d, &go)) == WN_OK && go.n) {
			struct wn_policy pol = { .keep = 0, .older_than_days = -1, .expire_undated = 1 };
			if (!(pol.match = exact_regex(&go)))
				prc = wn__ctx_fail(dctx, WN_ENOMEM, "out of memory");
			else
				prc = wn_cleanup_plan_make(&plan, dctx, d->name, &pol, (int64_t)time(NULL), jobs);
			free(pol.match);
		}
		if (prc != WN_OK) {
			rc = prune_failed(r, ctx, d, dctx, prc);
		} else if (plan) {
			/* a failed deletion is in its item's result (reported below), and the plan counts it */
			if (!r->opt->dry_run)
				wn_cleanup_apply(dctx, plan, jobs, 0);
			struct wn_cleanup_plan **np = realloc(r->rep->plans, (r->rep->n_plans + 1) * sizeof *np);
			if (!np) {
				wn_cleanup_plan_free(plan);
				rc = wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
			} else {
				r->rep->plans = np;
				np[r->rep->n_plans++] = plan;
				rc = report_plan(r, ctx, plan);
			}
		}
		for (size_t k = 0; k < go.n; k++)
			free(go.items[k]);
		free(go.items);
	}
	return rc;
}

/* ---- the run ---------------------------------------------------------------------------------- */

int wn_sync_run(struct wn_sync_report **out, struct wn_ctx *ctx, const struct wn_sync_config *cfg,
                const struct wn_sync_options *opts)
{
	struct run r = { .cfg = cfg, .opt = opts };
	struct wn_sync_report *rep = calloc(1, sizeof *rep);
	int rc = WN_OK;
	*out = NULL;
	pthread_mutex_init(&r.mu, NULL);
	pthread_cond_init(&r.freed, NULL);
	r.rep = rep;
	if (!rep || !(r.reg_root = calloc(cfg->n_regs + 1, sizeof *r.reg_root))) {
		rc = wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
		goto done;
	}
	if (!opts || !opts->destination || !*opts->destination) {
		rc = wn__ctx_fail(ctx, WN_EINVAL, "sync: no destination");
		goto done;
	}
	if (opts->verify && !opts->dry_run) {
		struct wn_error verr;
		if ((rc = wn_verify_options_check(opts->verify, &verr)) != WN_OK) {
			rc = wn__ctx_take(ctx, &verr);
			goto done;
		}
	}
	if (opts->assume_immutable) {
		if (regcomp(&r.immutable, opts->assume_immutable, REG_EXTENDED | REG_NOSUB)) {
			rc = wn__ctx_fail(ctx, WN_EINVAL, "invalid --assume-immutable regular expression \"%s\"",
			                  opts->assume_immutable);
			goto done;
		}
		r.has_immutable = true;
	}
	/* roots[0]: the destination's context; the sources' follow (the same one when it serves both) */
	r.roots[0] = opts->dest_ctx ? opts->dest_ctx : ctx;
	r.n_roots = 1;
	for (size_t gi = 0; gi < cfg->n_regs && rc == WN_OK; gi++)
		rc = reg_context(&r, ctx, &cfg->regs[gi], &r.reg_root[gi]);
	if (rc != WN_OK)
		goto done;
	/* a dry run of skopeo lists tags and sends nothing else: the same here */
	if ((rc = select_images(&r, ctx)) != WN_OK)
		goto done;
	size_t images = rep->n_items;
	r.prog.total = images;
	if (!opts->dry_run) {
		unsigned cap = opts->jobs ? opts->jobs : DEFAULT_JOBS;
		unsigned threads = cap * (unsigned)(r.n_hosts ? r.n_hosts : 1);
		pool(&r, threads < images ? threads : (unsigned)images, pick_image, do_image);
		if ((rc = wn__check_cancel(ctx)) != WN_OK)
			goto done;
	}
	/* prune only when every image got through: an image that failed or was left
	 * for the rate floor still exists at the source, so its tag stays anyway */
	if ((rc = prune(&r, ctx)) != WN_OK)
		goto done;
	for (size_t i = 0; i < rep->n_items; i++) {
		switch (rep->items[i].result) {
		case WN_SYNC_SELECTED: rep->selected++; break;
		case WN_SYNC_COPIED: rep->copied++; break;
		case WN_SYNC_UP_TO_DATE: rep->up_to_date++; break;
		case WN_SYNC_SKIPPED: rep->skipped++; break;
		case WN_SYNC_FAILED: rep->failed++; break;
		case WN_SYNC_PRUNED: rep->pruned++; break;
		case WN_SYNC_TO_PRUNE: rep->to_prune++; break;
		}
	}
	if (rep->failed)
		rc = wn__ctx_fail(ctx, WN_EPARTIAL, "%zu of %zu images failed to sync", rep->failed, rep->n_items);
	else if (rep->rate_floor_hit)
		rc = wn__ctx_fail(ctx, WN_ERATELIMIT, "%zu image%s not started: a registry's pull quota reached the "
		                  "--rate-floor (run again when it resets)", rep->skipped, rep->skipped == 1 ? " was" : "s were");
done:
	for (size_t i = 0; i < rep->n_items && r.jobs; i++)
		wn_ref_free(r.jobs[i].dref);
	free(r.jobs);
	for (size_t i = 0; i < r.n_drepos; i++) {
		free(r.drepos[i].name);
		for (size_t k = 0; k < r.drepos[i].kept.n; k++)
			free(r.drepos[i].kept.items[k]);
		free(r.drepos[i].kept.items);
		free(r.drepos[i].rules);
	}
	free(r.drepos);
	for (size_t i = 0; i < r.n_hosts; i++)
		free(r.hosts[i].name);
	free(r.hosts);
	for (size_t i = 0; i < r.n_roots; i++)
		if (r.owned[i])
			wn_ctx_free(r.roots[i]);
	free(r.reg_root);
	if (r.has_immutable)
		regfree(&r.immutable);
	pthread_cond_destroy(&r.freed);
	pthread_mutex_destroy(&r.mu);
	if (rc != WN_OK && rc != WN_EPARTIAL && rc != WN_ERATELIMIT) {
		wn_sync_report_free(rep);
		return rc;
	}
	*out = rep;
	return rc;
}

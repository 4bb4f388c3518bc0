/*
 * sync.c: `winch sync --src yaml FILE DEST` and `winch sync --src docker REPO[:TAG] DEST`:
 * skopeo sync's file and flags, winch's engine (lib/sync.c), a report of every image.
 *   winch sync --prune --dry-run --plan-file plan.json FILE DEST    review what prune would delete
 *   winch sync --apply plan.json                                     delete exactly that (re-checked)
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "cmd.h"

static const char *src_kind, *dest_kind, *append_suffix, *digestfile, *jobs_s, *immutable, *rate_floor_s, *report_file,
	*plan_file, *apply_file, *dest_format;
static int scoped, all, dry_run, keep_going, prune, referrers, preserve_digests;
static struct str_list platforms;

const struct opt_spec sync_opts[] = {
	{ "src", 's', OPT_STR, &src_kind, "yaml|docker", "SOURCE is a YAML file (default) or a repository or image" },
	{ "dest", 'd', OPT_STR, &dest_kind, "docker", "DEST is a registry (the only destination winch syncs to)" },
	{ "scoped", 0, OPT_FLAG, &scoped, NULL, "put each image under DEST by its whole source name, not its last part" },
	{ "all", 'a', OPT_FLAG, &all, NULL, "copy every platform of an index (default: this machine's, as skopeo)" },
	{ "append-suffix", 0, OPT_STR, &append_suffix, "SUFFIX", "add SUFFIX to each destination tag" },
	{ "dry-run", 'n', OPT_FLAG, &dry_run, NULL, "list the images (and with --prune the tags) and send nothing" },
	{ "keep-going", 0, OPT_FLAG, &keep_going, NULL, "go on after an image fails (always so; taken for skopeo's flag)" },
	{ "preserve-digests", 0, OPT_FLAG, &preserve_digests, NULL, "keep the digests (always so without --dest-format)" },
	{ "digestfile", 0, OPT_STR, &digestfile, "FILE", "write \"DIGEST docker://DEST\" for each image synced" },
	{ "jobs", 'j', OPT_STR, &jobs_s, "N", "images at once per registry (default 4)" },
	{ "platform", 0, OPT_LIST, &platforms, "OS/ARCH[/VARIANT]", "copy only this platform of an index (repeatable)" },
	{ "referrers", 0, OPT_FLAG, &referrers, NULL, "also copy the signatures, SBOMs and attestations of each image" },
	{ "dest-format", 0, OPT_STR, &dest_format, "oci|docker", "write the manifests in OCI or Docker media types" },
	{ "assume-immutable", 0, OPT_STR, &immutable, "REGEX",
	  "tags matching this never move: held at DEST, the source is not asked" },
	{ "prune", 0, OPT_FLAG, &prune, NULL, "delete DEST tags the source selection no longer has" },
	{ "plan-file", 0, OPT_STR, &plan_file, "FILE", "with --prune: write what prune deletes (a cleanup plan) to FILE" },
	{ "apply", 0, OPT_STR, &apply_file, "FILE", "carry out a plan written by --plan-file, re-checking each tag" },
	{ "rate-floor", 0, OPT_STR, &rate_floor_s, "N",
	  "start no pull from a registry whose rate limit has N or fewer left (exit 5)" },
	{ "report", 0, OPT_STR, &report_file, "FILE", "write every image's result as JSON to FILE" },
	OPT_END,
};

struct progress_state {
	struct timespec last;
	bool shown;
};

static void show_progress(void *data, const struct wn_sync_progress *p)
{
	struct progress_state *st = data;
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	double dt = (double)(now.tv_sec - st->last.tv_sec) + (double)(now.tv_nsec - st->last.tv_nsec) / 1e9;
	if (p->done != p->total && st->shown && dt < 0.1)
		return;
	st->last = now;
	st->shown = true;
	fprintf(stderr, "\r\033[K  images %zu/%zu: %zu copied, %zu up to date, %zu skipped, %zu failed", p->done, p->total,
	        p->copied, p->up_to_date, p->skipped, p->failed);
}

static char *read_file(const char *path, size_t max, size_t *len)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
	char *buf = NULL;
	size_t n = 0;
	if (!f)
		return NULL;
	if ((buf = malloc(max + 1))) {
		n = fread(buf, 1, max + 1, f);
		if (ferror(f) || n > max) {
			free(buf);
			buf = NULL;
			errno = ferror(f) ? EIO : EFBIG;
		}
	}
	if (f != stdin)
		fclose(f);
	if (buf) {
		buf[n] = 0;
		*len = n;
	}
	return buf;
}

/* Writes text to path through a temporary file and a rename. */
static int write_text(const char *path, const char *text, const char *what)
{
	char *tmp = NULL;
	int ok = asprintf(&tmp, "%s.winch-tmp-%ld", path, (long)getpid()) >= 0;
	FILE *f = ok ? fopen(tmp, "w") : NULL;
	ok = f && fputs(text, f) >= 0;
	if (f && fclose(f))
		ok = 0;
	if (ok && rename(tmp, path))
		ok = 0;
	if (!ok) {
		warn_msg("cannot write %s %s: %s", what, path, strerror(errno));
		if (tmp)
			unlink(tmp);
	}
	free(tmp);
	return ok ? 0 : EXIT_ERROR;
}

static cJSON *report_json(const struct wn_sync_report *rep, const char *src, const char *dst, struct wn_ctx *ctx)
{
	cJSON *o = cJSON_CreateObject(), *items = cJSON_CreateArray(), *s;
	cJSON_AddStringToObject(o, "source", src);
	cJSON_AddStringToObject(o, "destination", dst);
	cJSON_AddBoolToObject(o, "dryRun", dry_run);
	for (size_t i = 0; i < rep->n_items; i++) {
		const struct wn_sync_item *it = &rep->items[i];
		cJSON *j = cJSON_CreateObject();
		if (it->source)
			cJSON_AddStringToObject(j, "source", it->source);
		else
			cJSON_AddNullToObject(j, "source");
		cJSON_AddStringToObject(j, "destination", it->destination ? it->destination : "");
		if (it->digest[0])
			cJSON_AddStringToObject(j, "digest", it->digest);
		else
			cJSON_AddNullToObject(j, "digest");
		cJSON_AddStringToObject(j, "result", wn_sync_result_name(it->result));
		if (it->error)
			cJSON_AddStringToObject(j, "error", it->error);
		if (it->result == WN_SYNC_COPIED) {
			cJSON_AddNumberToObject(j, "blobsCopied", it->copy.blobs_copied);
			cJSON_AddNumberToObject(j, "blobsSkipped", it->copy.blobs_skipped);
			cJSON_AddNumberToObject(j, "blobsMounted", it->copy.blobs_mounted);
			cJSON_AddNumberToObject(j, "bytesCopied", (double)it->copy.bytes_copied);
		}
		cJSON_AddItemToArray(items, j);
	}
	cJSON_AddItemToObject(o, "images", items);
	s = cJSON_AddObjectToObject(o, "summary");
	cJSON_AddNumberToObject(s, "images", (double)(rep->n_items - rep->pruned - rep->to_prune));
	cJSON_AddNumberToObject(s, "selected", (double)rep->selected);
	cJSON_AddNumberToObject(s, "copied", (double)rep->copied);
	cJSON_AddNumberToObject(s, "upToDate", (double)rep->up_to_date);
	cJSON_AddNumberToObject(s, "skipped", (double)rep->skipped);
	cJSON_AddNumberToObject(s, "failed", (double)rep->failed);
	cJSON_AddNumberToObject(s, "pruned", (double)rep->pruned);
	cJSON_AddNumberToObject(s, "toPrune", (double)rep->to_prune);
	cJSON_AddBoolToObject(s, "rateFloorReached", rep->rate_floor_hit);
	json_add_ratelimit(o, ctx);
	return o;
}

static void say_items(const struct wn_sync_report *rep)
{
	for (size_t i = 0; i < rep->n_items; i++) {
		const struct wn_sync_item *it = &rep->items[i];
		char size[32];
		switch (it->result) {
		case WN_SYNC_SELECTED:
			printf("%s -> %s\n", it->source, it->destination);
			break;
		case WN_SYNC_TO_PRUNE:
			printf("prune %s%s%s\n", it->destination, it->digest[0] ? " " : "", it->digest);
			break;
		case WN_SYNC_COPIED:
			say("copied %s to %s: %s (%u %s, %s)", it->source, it->destination, it->digest, it->copy.blobs_copied,
			    plural(it->copy.blobs_copied, "blob", "blobs"), human_size(size, it->copy.bytes_copied));
			break;
		case WN_SYNC_UP_TO_DATE:
			if (common.verbose)
				say("%s already holds %s (%s)", it->destination, it->source, it->digest);
			break;
		case WN_SYNC_PRUNED:
			say("pruned %s", it->destination);
			break;
		case WN_SYNC_SKIPPED:
			say("skipped %s: %s", it->source ? it->source : it->destination, it->error ? it->error : "");
			break;
		case WN_SYNC_FAILED:
			warn_msg("%s: %s", it->source ? it->source : it->destination, it->error ? it->error : "failed");
			break;
		}
	}
}

/* sync --apply PLAN: cleanup's plan, carried out as cleanup --apply carries it out. */
static int apply_plan(void)
{
	struct wn_cleanup_plan **plans = NULL;
	struct wn_error err;
	size_t n = 0, len;
	int rc = 0;
	char *text = read_file(apply_file, 64u << 20, &len);
	if (!text)
		return usage_error(NULL, "cannot read --apply %s: %s", apply_file, strerror(errno));
	if (wn_cleanup_plan_parse(&plans, &n, text, len, &err) != WN_OK) {
		free(text);
		return fail_err(&err);
	}
	free(text);
	struct wn_ctx *ctx = ctx_open_side(side_given(&dest_side) ? &dest_side : NULL);
	if (!ctx)
		rc = EXIT_ERROR;
	for (size_t i = 0; i < n && ctx; i++) {
		if (wn_cleanup_apply(ctx, plans[i], 4, 1) != WN_OK) {
			warn_msg("%s", wn_ctx_errmsg(ctx));
			rc = EXIT_PARTIAL;
		}
		const struct wn_cleanup_plan *p = plans[i];
		for (size_t k = 0; k < p->n_items; k++)
			for (size_t t = 0; t < p->items[k].tags->n; t++)
				say("%s:%s: %s", p->repository, p->items[k].tags->items[t], p->items[k].result ? p->items[k].result : "");
		say("%s: %zu %s and %zu %s deleted; %zu skipped, %zu already gone, %zu failed", p->repository,
		    p->done_manifests, plural(p->done_manifests, "manifest", "manifests"), p->done_tags,
		    plural(p->done_tags, "tag", "tags"), p->skipped, p->gone, p->failed);
	}
	if (want_json() && ctx) {
		char *pj = wn_cleanup_plan_json((const struct wn_cleanup_plan *const *)plans, n, 0);
		char *pretty = json_reindent(pj);
		if (pretty)
			puts(pretty);
		free(pretty);
		free(pj);
	}
	for (size_t i = 0; i < n; i++)
		wn_cleanup_plan_free(plans[i]);
	free(plans);
	wn_ctx_free(ctx);
	return rc;
}

int cmd_sync(int argc, char **argv)
{
	struct wn_sync_options o = WN_SYNC_OPTIONS_INIT;
	struct wn_sync_config *cfg = NULL;
	struct wn_sync_report *rep = NULL;
	struct wn_ctx *ctx = NULL, *dctx = NULL;
	struct progress_state ps = { .shown = false };
	struct wn_error err;
	const char *plats[65];
	size_t v;
	int rc = 0;

	if (apply_file) {
		if (argc || src_kind || prune || dry_run || plan_file)
			return usage_error(NULL, "--apply takes a plan and nothing else");
		return apply_plan();
	}
	if (argc != 2)
		return usage_error(NULL, argc < 2 ? "missing argument: SOURCE DEST" : "unexpected argument \"%s\"", argv[2]);
	const char *kind = src_kind ? src_kind : "yaml";
	if (!strcmp(kind, "dir"))
		return usage_error(NULL, "--src dir is not supported: winch syncs from registries (use winch push for a layout)");
	if (strcmp(kind, "yaml") && strcmp(kind, "docker"))
		return usage_error(NULL, "--src takes yaml or docker, not \"%s\"", kind);
	if (dest_kind && !strcmp(dest_kind, "dir"))
		return usage_error(NULL, "--dest dir is not supported: winch syncs to registries (winch pull writes layouts)");
	if (dest_kind && strcmp(dest_kind, "docker"))
		return usage_error(NULL, "--dest takes docker, not \"%s\"", dest_kind);
	if (jobs_s) {
		if (parse_size(jobs_s, &v) || v > 32)
			return usage_error(NULL, "--jobs takes a number from 1 to 32, not \"%s\"", jobs_s);
		o.jobs = (unsigned)v;
	}
	if (rate_floor_s) {
		char *end;
		long f = strtol(rate_floor_s, &end, 10);
		if (!*rate_floor_s || *end || f < 0 || f > 1000000000)
			return usage_error(NULL, "--rate-floor takes a number of pulls (0 or more), not \"%s\"", rate_floor_s);
		o.rate_floor = f;
	}
	if (plan_file && !prune)
		return usage_error(NULL, "--plan-file goes with --prune");
	if (all && platforms.n)
		return usage_error(NULL, "--all and --platform are mutually exclusive");
	if (dest_format && !strcmp(dest_format, "oci"))
		o.dest_format = WN_FORMAT_OCI;
	else if (dest_format && (!strcmp(dest_format, "docker") || !strcmp(dest_format, "v2s2")))
		o.dest_format = WN_FORMAT_DOCKER;
	else if (dest_format)
		return usage_error(NULL, "--dest-format takes oci or docker, not \"%s\"", dest_format);
	for (int i = 0; i < platforms.n; i++) {
		struct wn_platform p;
		if (wn_platform_parse(&p, platforms.items[i], &err) != WN_OK)
			return usage_error(NULL, "--platform: %s", err.msg);
		wn_platform_clear(&p);
		plats[i] = platforms.items[i];
	}
	plats[platforms.n] = NULL;
	(void)keep_going;
	(void)preserve_digests;

	/* the file first: an invalid one copies nothing */
	if (!strcmp(kind, "yaml")) {
		size_t len;
		char *text = read_file(argv[0], 16u << 20, &len);
		if (!text) {
			warn_msg("cannot read %s: %s", argv[0], errno == EFBIG ? "larger than 16 MiB" : strerror(errno));
			return EXIT_USAGE;
		}
		rc = wn_sync_config_parse(&cfg, text, len, argv[0], &err);
		free(text);
	} else {
		rc = wn_sync_config_repo(&cfg, argv[0], &err);
	}
	if (rc != WN_OK)
		return fail_err(&err);
	rc = 0;
	for (const struct side_opts *s = &src_side; s; s = s == &src_side ? &dest_side : NULL)
		if (s->authfile && access(s->authfile, R_OK)) {
			warn_msg("--%s-authfile %s: %s", s == &src_side ? "src" : "dest", s->authfile, strerror(errno));
			wn_sync_config_free(cfg);
			return EXIT_USAGE;
		}
	/* the signature gate: what it loaded lives as long as the command */
	static struct sigcheck gate;
	if ((rc = gate_options(&gate, &o.verify))) {
		wn_sync_config_free(cfg);
		return rc;
	}
	bool two = side_given(&src_side) || side_given(&dest_side);
	if (!(ctx = ctx_open_side(two ? &src_side : NULL)) || (two && !(dctx = ctx_open_side(&dest_side)))) {
		wn_ctx_free(ctx);
		wn_sync_config_free(cfg);
		return EXIT_ERROR;
	}
	o.destination = argv[1];
	o.scoped = scoped;
	o.all = all;
	o.append_suffix = append_suffix;
	o.dry_run = dry_run;
	o.assume_immutable = immutable;
	o.prune = prune;
	o.referrers = referrers;
	o.platforms = platforms.n ? plats : NULL;
	o.dest_ctx = dctx;
	if (isatty(2) && !common.quiet && !want_json() && !dry_run) {
		o.progress = show_progress;
		o.progress_data = &ps;
	}
	int lrc = wn_sync_run(&rep, ctx, cfg, &o);
	if (ps.shown)
		fputc('\n', stderr);
	if (!rep) {
		rc = fail_ctx(ctx);
		goto done;
	}
	cJSON *doc = report_json(rep, argv[0], argv[1], ctx);
	if (report_file) {
		char *t = json_text(doc), *t2 = NULL;
		if (t && asprintf(&t2, "%s\n", t) >= 0)
			rc = write_text(report_file, t2, "--report");
		free(t);
		free(t2);
	}
	if (want_json())
		print_json(doc);
	else
		say_items(rep);
	cJSON_Delete(doc);
	if (plan_file) {
		char *pj = wn_cleanup_plan_json((const struct wn_cleanup_plan *const *)rep->plans, rep->n_plans, dry_run);
		char *pretty = json_reindent(pj), *t = NULL;
		if (pretty && asprintf(&t, "%s\n", pretty) >= 0)
			rc = write_text(plan_file, t, "--plan-file") ? EXIT_ERROR : rc;
		free(t);
		free(pretty);
		free(pj);
	}
	if (digestfile && !dry_run) {
		char *text = NULL;
		size_t tl = 0;
		FILE *f = open_memstream(&text, &tl);
		for (size_t i = 0; f && i < rep->n_items; i++) {
			const struct wn_sync_item *it = &rep->items[i];
			if ((it->result == WN_SYNC_COPIED || it->result == WN_SYNC_UP_TO_DATE) && it->digest[0])
				fprintf(f, "%s docker://%s\n", it->digest, it->destination);
		}
		if (f && !fclose(f))
			rc = write_text(digestfile, text ? text : "", "--digestfile") ? EXIT_ERROR : rc;
		free(text);
	}
	size_t images = rep->n_items - rep->pruned - rep->to_prune;
	if (dry_run)
		say("dry run: %zu %s selected%s", images, plural(images, "image", "images"),
		    prune ? "" : "; nothing sent");
	else
		say("%zu %s: %zu copied, %zu up to date, %zu skipped, %zu failed", images, plural(images, "image", "images"),
		    rep->copied, rep->up_to_date, rep->skipped, rep->failed);
	if (rep->pruned || rep->to_prune)
		say("%zu %s %s", rep->pruned + rep->to_prune, plural(rep->pruned + rep->to_prune, "tag", "tags"),
		    dry_run ? "to prune (dry run)" : "pruned");
	if (lrc != WN_OK)
		rc = fail_ctx(ctx);
done:
	wn_sync_report_free(rep);
	wn_sync_config_free(cfg);
	wn_ctx_free(dctx);
	wn_ctx_free(ctx);
	return rc;
}

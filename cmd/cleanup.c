/*
 * cleanup.c: `winch cleanup`: retention policies for cron and CI.
 *   winch cleanup [--keep N] [--older-than 30d] [--match RE] [--exclude RE] [--protect RE] REPO...
 *   winch cleanup --policy ecr-lifecycle.json REPO...
 *   winch cleanup --catalog RE ... REGISTRY      (the repositories of REGISTRY matching RE)
 *   winch cleanup --apply plan.json               (a reviewed --plan-file, exactly)
 */
#include <regex.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "cmd.h"

static const char *keep_s, *older_s, *match, *exclude, *protect, *policy_file, *plan_file, *apply_file, *jobs_s,
	*catalog, *api, *api_url;
static int dry_run, untagged, untagged_only, expire_undated;

const struct opt_spec cleanup_opts[] = {
	{ "keep", 0, OPT_STR, &keep_s, "N", "keep the newest N selected tags" },
	{ "older-than", 0, OPT_STR, &older_s, "AGE", "delete selected tags older than AGE (30d, 2w)" },
	{ "match", 0, OPT_STR, &match, "REGEX", "select only tags matching this extended regex" },
	{ "exclude", 0, OPT_STR, &exclude, "REGEX", "never select tags matching this extended regex" },
	{ "protect", 0, OPT_STR, &protect, "REGEX", "never delete tags matching this (nor their images)" },
	{ "untagged", 0, OPT_FLAG, &untagged, NULL, "also untagged images (where the API lists them), by the same --keep/--older-than" },
	{ "untagged-only", 0, OPT_FLAG, &untagged_only, NULL,
	  "only untagged images: with --keep N the newest N of them stay (GitHub's delete-only-untagged-versions)" },
	{ "expire-undated", 0, OPT_FLAG, &expire_undated, NULL,
	  "count images without a believable creation time (1970, before 2000, future) as the oldest" },
	{ "policy", 0, OPT_STR, &policy_file, "FILE", "an AWS ECR lifecycle policy (JSON)" },
	{ "dry-run", 'n', OPT_FLAG, &dry_run, NULL, "report what would be deleted and why; delete nothing" },
	{ "plan-file", 0, OPT_STR, &plan_file, "FILE", "write the plan (JSON) to FILE" },
	{ "apply", 0, OPT_STR, &apply_file, "FILE", "carry out a plan written by --plan-file, re-checking each tag" },
	{ "jobs", 'j', OPT_STR, &jobs_s, "N", "requests at once while reading (default 4); deletions go one at a time" },
	{ "catalog", 0, OPT_STR, &catalog, "REGEX", "the arguments are registries: clean their repositories matching REGEX" },
	{ "api", 0, OPT_STR, &api, "API",
	  "registry, hub, github, ecr or harbor: whose API lists and deletes (default: the host's, see man page)" },
	{ "api-url", 0, OPT_STR, &api_url, "URL", "the vendor API's URL (GitHub Enterprise, a Harbor host)" },
	OPT_END,
};

static int read_all(const char *path, char **out, size_t *len)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
	size_t cap = 0, n = 0;
	char *buf = NULL;
	if (!f)
		return -1;
	for (;;) {
		if (n + 65536 > cap) {
			char *b = realloc(buf, cap = cap * 2 + 65536);
			if (!b)
				break;
			buf = b;
		}
		size_t r = fread(buf + n, 1, cap - n - 1, f);
		if (!r)
			break;
		n += r;
		if (n > (16u << 20))
			break;
	}
	if (f != stdin)
		fclose(f);
	if (!buf)
		return -1;
	buf[n] = 0;
	*out = buf;
	*len = n;
	return 0;
}

static int write_file(const char *path, const char *text)
{
	char *tmp = malloc(strlen(path) + 16);
	sprintf(tmp, "%s.tmp", path);
	FILE *f = fopen(tmp, "w");
	int ok = f && fputs(text, f) >= 0 && fputc('\n', f) != EOF;
	if (f && fclose(f))
		ok = 0;
	if (ok && rename(tmp, path))
		ok = 0;
	if (!ok) {
		remove(tmp);
		warn_msg("cannot write %s", path);
	}
	free(tmp);
	return ok ? 0 : EXIT_ERROR;
}

/* " (with 2 referrers and 4 untagged manifests of deleted indexes)", or "" */
static void with(char *buf, size_t n, size_t referrers, size_t children)
{
	buf[0] = 0;
	if (!referrers && !children)
		return;
	snprintf(buf, n, " (with %zu referrer%s and %zu untagged manifest%s of deleted indexes)", referrers,
	         referrers == 1 ? "" : "s", children, children == 1 ? "" : "s");
}

static void report(const struct wn_cleanup_plan *p, bool done)
{
	char extra[160];
	printf("%s: %zu %s", p->repository, p->images, plural(p->images, "image", "images"));
	if (p->api)
		printf(" (%zu untagged) through the %s API", p->untagged, p->api);
	printf("; times from ");
	if (p->api)
		printf("%zu %s, ", p->from_push, plural(p->from_push, "push", "pushes"));
	printf("%zu %s, %zu %s, %zu unknown", p->from_config, plural(p->from_config, "config", "configs"),
	       p->from_annotation, plural(p->from_annotation, "annotation", "annotations"), p->unknown_time);
	if (p->implausible_time)
		printf(" (%zu of them stated but not believed: 1970, before 2000 or in the future)", p->implausible_time);
	printf("\n");
	for (size_t i = 0; i < p->n_items; i++) {
		const struct wn_cleanup_item *it = &p->items[i];
		printf("  %s %s", it->delete_manifest ? "delete" : "untag ", it->digest ? it->digest : "(referrer)");
		for (size_t t = 0; t < it->tags->n; t++)
			printf("%s%s", t ? "," : it->tags->n == 1 ? " tag " : " tags ", it->tags->items[t]);
		if (it->created && *it->created)
			printf(" %s %s", it->time_from && !strcmp(it->time_from, "push") ? "pushed" : "created", it->created);
		printf(" (%s)%s%s\n", it->reason ? it->reason : "", it->result ? ": " : "", it->result ? it->result : "");
	}
	if (p->note)
		printf("  note: %s\n", p->note);
	if (!done) {
		with(extra, sizeof extra, p->referrers, p->children);
		printf("dry run: %s: %zu %s and %zu %s would be deleted%s, %zu %s kept\n", p->repository, p->manifests,
		       plural(p->manifests, "manifest", "manifests"), p->tags, plural(p->tags, "tag", "tags"), extra,
		       p->kept_tags, plural(p->kept_tags, "tag", "tags"));
		return;
	}
	/* what was done, not what was planned */
	with(extra, sizeof extra, p->done_referrers, p->done_children);
	printf("%s: %zu %s and %zu %s deleted%s; %zu skipped, %zu already gone, %zu failed; %zu %s kept\n",
	       p->repository, p->done_manifests, plural(p->done_manifests, "manifest", "manifests"), p->done_tags,
	       plural(p->done_tags, "tag", "tags"), extra, p->skipped, p->gone, p->failed, p->kept_tags,
	       plural(p->kept_tags, "tag", "tags"));
}

static int parse_age(const char *s, int *days)
{
	char *end;
	long v = strtol(s, &end, 10);
	if (end == s || v < 0 || v > 100000)
		return -1;
	if (!*end || !strcmp(end, "d"))
		*days = (int)v;
	else if (!strcmp(end, "w"))
		*days = (int)v * 7;
	else
		return -1;
	return 0;
}

/* The repositories the arguments name (with --catalog: those of each registry matching it). */
static int repositories(struct wn_ctx *ctx, int argc, char **argv, struct wn_strlist *out)
{
	regex_t re;
	if (!catalog) {
		for (int i = 0; i < argc; i++) {
			out->items = realloc(out->items, (out->n + 1) * sizeof *out->items);
			out->items[out->n++] = strdup(argv[i]);
		}
		return 0;
	}
	if (regcomp(&re, catalog, REG_EXTENDED | REG_NOSUB))
		return usage_error(NULL, "cleanup: invalid --catalog regular expression \"%s\"", catalog);
	int rc = 0;
	for (int i = 0; i < argc && !rc; i++) {
		struct wn_strlist *repos;
		if (wn_catalog_list(&repos, ctx, argv[i]) != WN_OK) {
			rc = fail_ctx(ctx);
			break;
		}
		for (size_t k = 0; k < repos->n; k++)
			if (!regexec(&re, repos->items[k], 0, NULL, 0)) {
				out->items = realloc(out->items, (out->n + 1) * sizeof *out->items);
				char *name = malloc(strlen(argv[i]) + strlen(repos->items[k]) + 2);
				sprintf(name, "%s/%s", argv[i], repos->items[k]);
				out->items[out->n++] = name;
			}
		wn_strlist_free(repos);
	}
	regfree(&re);
	return rc;
}

int cmd_cleanup(int argc, char **argv)
{
	struct wn_policy *policy = NULL, flags = { .keep = -1, .older_than_days = -1 };
	struct wn_cleanup_plan **plans = NULL;
	struct wn_strlist repos = { 0 };
	struct wn_error err;
	struct wn_ctx *ctx = NULL;
	size_t np = 0, v;
	unsigned jobs = 4;
	int rc = 0;
	char *text = NULL;
	size_t len;

	if (jobs_s) {
		if (parse_size(jobs_s, &v) || v > 64)
			return usage_error(NULL, "cleanup: --jobs takes a number from 1 to 64, not \"%s\"", jobs_s);
		jobs = (unsigned)v;
	}
	if (apply_file && (argc || policy_file || keep_s || older_s || match || exclude || protect || catalog ||
	                   expire_undated || untagged || untagged_only || api || api_url))
		return usage_error(NULL, "cleanup: --apply takes a plan and nothing else (the plan names its API)");
	if (api && strcmp(api, "registry") && strcmp(api, "hub") && strcmp(api, "github") && strcmp(api, "ecr") &&
	    strcmp(api, "harbor"))
		return usage_error(NULL, "cleanup: --api takes registry, hub, github, ecr or harbor, not \"%s\"", api);
	if (untagged_only && (untagged || match || exclude || policy_file))
		return usage_error(NULL, "cleanup: --untagged-only selects untagged images alone: no --untagged, --match, "
		                   "--exclude or --policy");
	if (!apply_file) {
		if (!argc)
			return usage_error(NULL, "cleanup: name a repository (or registries with --catalog)");
		if (policy_file && (keep_s || older_s || match || exclude))
			return usage_error(NULL, "cleanup: --policy and --keep/--older-than/--match/--exclude do not mix");
		if (!policy_file && !keep_s && !older_s && !untagged && !untagged_only)
			return usage_error(NULL, "cleanup: say what to delete: --keep, --older-than, --untagged, "
			                   "--untagged-only or --policy");
		if (keep_s) {
			if (parse_size(keep_s, &v) && strcmp(keep_s, "0"))
				return usage_error(NULL, "cleanup: --keep takes a number, not \"%s\"", keep_s);
			flags.keep = strcmp(keep_s, "0") ? (int)v : 0;
		}
		if (older_s && parse_age(older_s, &flags.older_than_days))
			return usage_error(NULL, "cleanup: --older-than takes days (30d) or weeks (2w), not \"%s\"", older_s);
		flags.expire_undated = expire_undated;
		flags.match = (char *)match;
		flags.exclude = (char *)exclude;
		flags.protect = (char *)protect;
		if (policy_file) {
			if (read_all(policy_file, &text, &len))
				return usage_error(NULL, "cleanup: cannot read --policy %s", policy_file);
			if (wn_policy_parse_ecr(&policy, text, len, &err) != WN_OK) {
				free(text);
				return fail_err(&err);
			}
			free(text);
			text = NULL;
			policy->protect = protect ? strdup(protect) : NULL;
			policy->expire_undated = expire_undated;
		}
	}
	if (!(ctx = ctx_open()))
		return EXIT_ERROR;

	if (apply_file) {
		if (read_all(apply_file, &text, &len)) {
			rc = usage_error(NULL, "cleanup: cannot read --apply %s", apply_file);
			goto done;
		}
		if (wn_cleanup_plan_parse(&plans, &np, text, len, &err) != WN_OK) {
			rc = fail_err(&err);
			goto done;
		}
		free(text);
		text = NULL;
	} else {
		if ((rc = repositories(ctx, argc, argv, &repos)))
			goto done;
		struct wn_policy *pol = policy ? policy : &flags;
		struct wn_cleanup_options co = WN_CLEANUP_OPTIONS_INIT;
		co.jobs = jobs;
		co.api = api;
		co.api_url = api_url;
		co.dry_run = dry_run;
		flags.untagged = untagged;
		flags.untagged_only = untagged_only;
		plans = calloc(repos.n + 1, sizeof *plans);
		for (size_t i = 0; i < repos.n; i++) {
			if (wn_cleanup_plan_make_opts(&plans[np], ctx, repos.items[i], pol, (int64_t)time(NULL), &co) != WN_OK) {
				rc = fail_ctx(ctx);
				goto done;
			}
			np++;
		}
		if (plan_file) {
			char *pj = wn_cleanup_plan_json((const struct wn_cleanup_plan *const *)plans, np, 1);
			char *pretty = json_reindent(pj);
			rc = pretty ? write_file(plan_file, pretty) : EXIT_ERROR;
			free(pretty);
			free(pj);
			if (rc)
				goto done;
		}
	}
	bool failed = false;
	int hard = WN_OK; /* a denial or a rate limit (through a vendor API) is its own exit status */
	for (size_t i = 0; i < np && !dry_run; i++) {
		int arc = wn_cleanup_apply(ctx, plans[i], jobs, apply_file != NULL);
		if (arc != WN_OK) {
			failed = true;
			if (arc != WN_EPARTIAL && !hard)
				hard = arc;
			warn_msg("%s", wn_ctx_errmsg(ctx));
		}
	}
	if (want_json()) {
		char *pj = wn_cleanup_plan_json((const struct wn_cleanup_plan *const *)plans, np, dry_run);
		char *pretty = json_reindent(pj);
		if (pretty)
			puts(pretty);
		free(pretty);
		free(pj);
	} else if (!common.quiet || failed) {
		for (size_t i = 0; i < np; i++)
			report(plans[i], !dry_run);
	}
	if (failed)
		rc = hard ? exit_code_for(hard) : EXIT_PARTIAL;
done:
	for (size_t i = 0; i < np; i++)
		wn_cleanup_plan_free(plans[i]);
	free(plans);
	for (size_t i = 0; i < repos.n; i++)
		free(repos.items[i]);
	free(repos.items);
	if (policy) {
		wn_policy_free(policy);
	}
	free(text);
	wn_ctx_free(ctx);
	return rc;
}

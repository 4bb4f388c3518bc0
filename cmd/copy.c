/*
 * copy.c: `winch copy SRC DEST` and `winch copy --all-tags SRCREPO DESTREPO`.
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "cmd.h"

/* the largest size an option takes: blob sizes are int64, and size_t must hold it */
#define SIZE_MAX_ARG ((unsigned long long)(INT64_MAX < SIZE_MAX ? INT64_MAX : SIZE_MAX))

static struct str_list platforms;
static int all_platforms, all_tags, referrers;
static const char *jobs_s, *chunk_s, *digestfile, *match;

/* what copy, pull and push share */
const struct opt_spec transfer_opts[] = {
	{ "platform", 0, OPT_LIST, &platforms, "OS/ARCH[/VARIANT]", "copy only this platform of an index (repeatable)" },
	{ "all-platforms", 0, OPT_FLAG, &all_platforms, NULL, "copy every platform of an index (the default)" },
	{ "jobs", 'j', OPT_STR, &jobs_s, "N", "blobs transferred at once (default 4)" },
	{ "chunk-size", 0, OPT_STR, &chunk_s, "SIZE", "upload blobs larger than SIZE in chunks of SIZE (default 32M)" },
	{ "digestfile", 0, OPT_STR, &digestfile, "FILE", "write the destination manifest's digest to FILE" },
	{ "referrers", 0, OPT_FLAG, &referrers, NULL, "also copy the signatures, SBOMs and attestations of the image" },
	OPT_END,
};

const struct opt_spec copy_opts[] = {
	{ "all-tags", 'a', OPT_FLAG, &all_tags, NULL, "copy every tag of SRC (a repository) to DEST (a repository)" },
	{ "match", 0, OPT_STR, &match, "REGEX", "with --all-tags: only tags matching this extended regex" },
	OPT_END,
};

/* "32M", "1G", "65536": a decimal number above 0 with an optional K, M or G
 * (binary) suffix, at most SIZE_MAX_ARG (sizes are int64 in winch).  -1 when
 * it is not one or is out of range: strtoull saturates on overflow and takes
 * a sign ("-1" is ULLONG_MAX, "-18446744073709551615" is 1), and the suffix's
 * shift would wrap, so both are checked here. */
int parse_size(const char *s, size_t *out)
{
	char *end;
	unsigned shift = 0;
	if (!s || *s < '0' || *s > '9')
		return -1; /* no sign, no space */
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno == ERANGE)
		return -1;
	switch (*end) {
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	}
	if (*end || !v || v > (SIZE_MAX_ARG >> shift))
		return -1;
	*out = (size_t)(v << shift);
	return 0;
}

struct progress_state {
	struct timespec start, last;
	bool shown;
};

static double since(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

/* One status line on a terminal, redrawn at most ten times a second. */
static void show_progress(void *data, const struct wn_copy_progress *p)
{
	struct progress_state *st = data;
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	bool last = p->blobs_done == p->blobs_total;
	if (!last && st->shown && since(&st->last, &now) < 0.1)
		return;
	st->last = now;
	st->shown = true;
	double secs = since(&st->start, &now), mib = (double)p->bytes_done / 1048576.0;
	fprintf(stderr, "\r\033[K  blobs %u/%u  %.1f/%.1f MiB  %.1f MiB/s", p->blobs_done, p->blobs_total, mib,
	        (double)p->bytes_total / 1048576.0, secs > 0 ? mib / secs : 0.0);
}

static int write_digestfile(const char *path, const char *digest)
{
	char *tmp = malloc(strlen(path) + 16);
	sprintf(tmp, "%s.tmp-XXXXXX", path);
	int fd = mkstemp(tmp);
	bool ok = fd >= 0 && write(fd, digest, strlen(digest)) == (ssize_t)strlen(digest) && !close(fd) &&
	          !rename(tmp, path);
	if (!ok) {
		if (fd >= 0)
			unlink(tmp);
		warn_msg("cannot write --digestfile %s", path);
	}
	free(tmp);
	return ok ? 0 : EXIT_ERROR;
}

static void summary(const char *src, const char *dst, const struct wn_copy_result *r)
{
	if (r->up_to_date)
		say("%s already holds %s (%s): nothing to copy", dst, src, r->digest);
	else
		say("copied %s to %s: %s (%u blobs sent, %.1f MiB; %u already there; %u mounted; %u manifests%s)", src, dst,
		    r->digest, r->blobs_copied, (double)r->bytes_copied / 1048576.0, r->blobs_skipped, r->blobs_mounted,
		    r->manifests_put, r->referrers ? "; referrers copied" : "");
}

static cJSON *result_json(const char *src, const char *dst, const struct wn_copy_result *r)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "source", src);
	cJSON_AddStringToObject(o, "destination", dst);
	cJSON_AddStringToObject(o, "digest", r->digest);
	cJSON_AddBoolToObject(o, "upToDate", r->up_to_date);
	cJSON_AddNumberToObject(o, "blobsCopied", r->blobs_copied);
	cJSON_AddNumberToObject(o, "blobsSkipped", r->blobs_skipped);
	cJSON_AddNumberToObject(o, "blobsMounted", r->blobs_mounted);
	cJSON_AddNumberToObject(o, "bytesCopied", (double)r->bytes_copied);
	cJSON_AddNumberToObject(o, "manifestsPut", r->manifests_put);
	cJSON_AddNumberToObject(o, "referrerTags", r->referrers);
	return o;
}

struct tags_state {
	const char *src, *dst;
	cJSON *arr;
};

static void each_tag(void *data, const char *tag, int rc, const char *msg, const struct wn_copy_result *r)
{
	struct tags_state *st = data;
	char s[1024], d[1024];
	snprintf(s, sizeof s, "%s:%s", st->src, tag);
	snprintf(d, sizeof d, "%s:%s", st->dst, tag);
	if (st->arr) {
		cJSON *o = result_json(s, d, r);
		if (rc != WN_OK)
			cJSON_AddStringToObject(o, "error", msg);
		cJSON_AddItemToArray(st->arr, o);
	} else if (rc != WN_OK) {
		warn_msg("%s: %s", tag, msg);
	} else {
		summary(s, d, r);
	}
}

static int transfer(const char *src, const char *dst);

int cmd_copy(int argc, char **argv)
{
	if (match && !all_tags)
		return usage_error(NULL, "copy: --match goes with --all-tags");
	return transfer(argv[0], argv[1]);
}

/* pull REF [DEST]: DEST defaults to an OCI layout named after the repository */
int cmd_pull(int argc, char **argv)
{
	int rc = 0;
	if (argc > 1)
		return transfer(argv[0], argv[1]);
	struct wn_ref *ref = ref_arg(argv[0], WN_REF_DEFAULT_TAG, &rc);
	if (!ref)
		return rc;
	const char *base = strrchr(ref->repository, '/');
	base = base ? base + 1 : ref->repository;
	char *dst = malloc(strlen(base) + (ref->tag ? strlen(ref->tag) : 0) + 8);
	sprintf(dst, "oci:%s%s%s", base, ref->tag ? ":" : "", ref->tag ? ref->tag : "");
	rc = transfer(argv[0], dst);
	free(dst);
	wn_ref_free(ref);
	return rc;
}

int cmd_push(int argc, char **argv)
{
	return transfer(argv[0], argv[1]);
}

static int transfer(const char *src, const char *dst)
{
	char **argv = (char *[]){ (char *)src, (char *)dst };
	struct wn_copy_options o = WN_COPY_OPTIONS_INIT;
	struct wn_copy_result r;
	struct progress_state ps = { .shown = false };
	const char *plats[65];
	struct wn_ctx *ctx;
	int rc = 0;
	size_t v;

	if (all_platforms && platforms.n)
		return usage_error(NULL, "--platform and --all-platforms are mutually exclusive");
	if (jobs_s) {
		if (parse_size(jobs_s, &v) || v > 64)
			return usage_error(NULL, "--jobs takes a number from 1 to 64, not \"%s\"", jobs_s);
		o.jobs = (unsigned)v;
	}
	if (chunk_s && (parse_size(chunk_s, &o.chunk_size) || o.chunk_size < 4096))
		return usage_error(NULL, "--chunk-size takes a size from 4K to 2^63-1 bytes (e.g. 32M), not \"%s\"", chunk_s);
	for (int i = 0; i < platforms.n; i++)
		plats[i] = platforms.items[i];
	plats[platforms.n] = NULL;
	o.platforms = platforms.n ? plats : NULL;
	o.referrers = referrers;
	if (isatty(2) && !common.quiet && !want_json()) {
		clock_gettime(CLOCK_MONOTONIC, &ps.start);
		o.progress = show_progress;
		o.progress_data = &ps;
	}
	if (!(ctx = ctx_open()))
		return EXIT_ERROR;

	if (all_tags) {
		struct tags_state st = { argv[0], argv[1], want_json() ? cJSON_CreateArray() : NULL };
		if (wn_copy_all_tags(ctx, argv[0], argv[1], match, &o, each_tag, &st) != WN_OK)
			rc = fail_ctx(ctx);
		if (ps.shown)
			fputc('\n', stderr);
		if (st.arr) {
			print_json(st.arr);
			cJSON_Delete(st.arr);
		}
		wn_ctx_free(ctx);
		return rc;
	}
	int lrc = wn_copy(&r, ctx, argv[0], argv[1], &o);
	if (ps.shown)
		fputc('\n', stderr);
	if (lrc != WN_OK) {
		rc = fail_ctx(ctx);
	} else {
		if (want_json()) {
			cJSON *j = result_json(argv[0], argv[1], &r);
			print_json(j);
			cJSON_Delete(j);
		} else {
			summary(argv[0], argv[1], &r);
		}
		if (digestfile)
			rc = write_digestfile(digestfile, r.digest);
	}
	wn_ctx_free(ctx);
	return rc;
}

/*
 * copy.c: `winch copy SRC DEST` and `winch copy --all-tags SRCREPO DESTREPO`.
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "cmd.h"

/* the largest size an option takes: blob sizes are int64, and size_t must hold it */
#define SIZE_MAX_ARG ((unsigned long long)(INT64_MAX < SIZE_MAX ? INT64_MAX : SIZE_MAX))

static struct str_list platforms;
static int all_platforms, all_tags, referrers;
static int no_clobber; /* copy --no-clobber */
static int no_resume;
static const char *jobs_s, *chunk_s, *digestfile, *match, *dest_format;

/* what copy, pull and push share */
const struct opt_spec transfer_opts[] = {
	{ "platform", 0, OPT_LIST, &platforms, "OS/ARCH[/VARIANT]", "copy only this platform of an index (repeatable)" },
	{ "all-platforms", 0, OPT_FLAG, &all_platforms, NULL, "copy every platform of an index (the default)" },
	{ "jobs", 'j', OPT_STR, &jobs_s, "N", "blobs transferred at once (default 4)" },
	{ "digestfile", 0, OPT_STR, &digestfile, "FILE", "write the destination manifest's digest to FILE" },
	{ "referrers", 0, OPT_FLAG, &referrers, NULL, "also copy the signatures, SBOMs and attestations of the image" },
	{ "dest-format", 0, OPT_STR, &dest_format, "oci|docker",
	  "write the manifests in OCI or Docker media types (their digests change; default: as they are)" },
	{ "no-resume", 0, OPT_FLAG, &no_resume, NULL, "neither continue what a killed run left nor keep a journal for the next" },
	OPT_END,
};

/* what copy and push share: a pull uploads nothing */
const struct opt_spec upload_opts[] = {
	{ "chunk-size", 0, OPT_STR, &chunk_s, "SIZE", "upload blobs larger than SIZE in chunks of SIZE where taken (default: one request each)" },
	OPT_END,
};

/* Each side's registry options (skopeo's names; --src-plain-http and
 * --dest-plain-http are winch's, skopeo has no plain-HTTP switch).  The
 * common --authfile, --creds, --cert-dir, --tls-verify and --plain-http serve
 * both sides; a side's own option replaces it for that side.  Given any, the
 * copy runs with two contexts, one per side. */
struct side_opts src_side = SIDE_OPTS_INIT, dest_side = SIDE_OPTS_INIT;

const struct opt_spec src_opts[] = {
	{ "src-authfile", 0, OPT_STR, &src_side.authfile, "FILE",
	  "the source registry's credentials from FILE (default: --authfile)" },
	{ "src-creds", 0, OPT_STR, &src_side.creds, "USER:PASS", "credentials for the source registry (default: --creds)" },
	{ "src-cert-dir", 0, OPT_STR, &src_side.cert_dir, "DIR",
	  "the source registry's CA and client certificate (default: --cert-dir)" },
	{ "src-tls-verify", 0, OPT_BOOL, &src_side.tls_verify, NULL,
	  "verify the source registry's TLS certificate (default: --tls-verify)" },
	{ "src-plain-http", 0, OPT_BOOL, &src_side.plain_http, NULL,
	  "use http:// for the source registry (default: --plain-http)" },
	OPT_END,
};

const struct opt_spec dest_opts[] = {
	{ "dest-authfile", 0, OPT_STR, &dest_side.authfile, "FILE",
	  "the destination registry's credentials from FILE (default: --authfile)" },
	{ "dest-creds", 0, OPT_STR, &dest_side.creds, "USER:PASS",
	  "credentials for the destination registry (default: --creds)" },
	{ "dest-cert-dir", 0, OPT_STR, &dest_side.cert_dir, "DIR",
	  "the destination registry's CA and client certificate (default: --cert-dir)" },
	{ "dest-tls-verify", 0, OPT_BOOL, &dest_side.tls_verify, NULL,
	  "verify the destination registry's TLS certificate (default: --tls-verify)" },
	{ "dest-plain-http", 0, OPT_BOOL, &dest_side.plain_http, NULL,
	  "use http:// for the destination registry (default: --plain-http)" },
	OPT_END,
};

bool side_given(const struct side_opts *s)
{
	return s->authfile || s->creds || s->cert_dir || s->tls_verify >= 0 || s->plain_http >= 0;
}

/* --src-authfile and --dest-authfile name files to read, as --authfile does:
 * a missing one is a mistake (exit 2), not "no credentials".  Returns 0 or an exit code. */
static int side_authfile_check(const char *side, const struct side_opts *s)
{
	if (!s->authfile || !access(s->authfile, R_OK))
		return 0;
	warn_msg("--%s-authfile %s: %s", side, s->authfile, strerror(errno));
	return EXIT_USAGE;
}

/* ---- the signature gate (copy, pull; sync takes the same table) ---------
 * --verify-key FILE, or a certificate identity (sigcheck_opts in verify.c):
 * the image is copied only when a signature verifies (exit 10 otherwise),
 * with its signatures. */
const char *gate_key;
const struct opt_spec gate_opts[] = {
	{ "verify-key", 0, OPT_STR, &gate_key, "FILE",
	  "copy only an image signed with this cosign public key (and its signatures with it)" },
	OPT_END,
};

const struct opt_spec copy_opts[] = {
	{ "all-tags", 'a', OPT_FLAG, &all_tags, NULL, "copy every tag of SRC (a repository) to DEST (a repository)" },
	{ "match", 0, OPT_STR, &match, "REGEX", "with --all-tags: only tags matching this extended regex" },
	{ "no-clobber", 0, OPT_FLAG, &no_clobber, NULL, "refuse to move a DEST tag that exists and points elsewhere" },
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
	double secs = since(&st->start, &now);
	char done[32], total[32], rate[32];
	fprintf(stderr, "\r\033[K  %s %u/%u  %s/%s  %s/s", plural(p->blobs_total, "blob", "blobs"), p->blobs_done,
	        p->blobs_total, human_size(done, p->bytes_done), human_size(total, p->bytes_total),
	        human_size(rate, secs > 0 ? (uint64_t)((double)p->bytes_done / secs) : 0));
}

/* ---- --digestfile ------------------------------------------------------ */

/* PATH.winch-tmp-PID-XXXXXX beside PATH, so that a rename replaces PATH. */
static int temp_beside(const char *path, char **tmp)
{
	if (asprintf(tmp, "%s.winch-tmp-%ld-XXXXXX", path, (long)getpid()) < 0) {
		*tmp = NULL;
		errno = ENOMEM;
		return -1;
	}
	return mkostemp(*tmp, O_CLOEXEC);
}

/* Before anything moves: can --digestfile be written?  Not a directory, and
 * its directory takes a new file (a probe, removed at once).  A push must not
 * succeed only for its digest to be lost.  Returns 0 or an exit code. */
static int digestfile_check(const char *path)
{
	struct stat st;
	char *tmp = NULL;
	int fd = -1, err = 0;
	if (!stat(path, &st) && S_ISDIR(st.st_mode))
		err = EISDIR;
	else if ((fd = temp_beside(path, &tmp)) < 0)
		err = errno;
	if (fd >= 0) {
		close(fd);
		unlink(tmp);
	}
	free(tmp);
	if (err)
		warn_msg("cannot write --digestfile %s: %s", path, strerror(err));
	return err ? EXIT_USAGE : 0;
}

/* Writes text to path through a temp file and a rename (a reader never sees
 * half of it), with the mode a new file gets: 0666 less the umask. */
static int write_digestfile(const char *path, const char *text)
{
	char *tmp = NULL;
	size_t len = strlen(text), off = 0;
	int fd = temp_beside(path, &tmp), err = fd < 0 ? errno : 0;
	while (!err && off < len) {
		ssize_t w = write(fd, text + off, len - off);
		if (w < 0 && errno != EINTR)
			err = errno;
		else if (w > 0)
			off += (size_t)w;
	}
	mode_t um = umask(0);
	umask(um);
	if (!err && fchmod(fd, 0666 & ~um))
		err = errno;
	if (fd >= 0 && close(fd) && !err)
		err = errno;
	if (!err && rename(tmp, path))
		err = errno;
	if (err && fd >= 0)
		unlink(tmp);
	if (err)
		warn_msg("cannot write --digestfile %s: %s", path, strerror(err));
	free(tmp);
	return err ? EXIT_ERROR : 0;
}

/* ---- reports ------------------------------------------------------------ */

/* What the command does, for its summary: a pull says what it received, a
 * push what it sent. */
static enum { DOING_COPY, DOING_PULL, DOING_PUSH } doing;

static void summary(const char *src, const char *dst, const struct wn_copy_result *r)
{
	static const char *const verb[] = { "copied", "pulled", "pushed" };
	static const char *const moved[] = { "copied", "received", "sent" };
	const char *how = r->by_digest ? "; by digest only, no tag written (SRC names a digest: give DEST a tag to tag it)" : "";
	char size[32], mounted[48] = "";
	if (r->up_to_date) {
		say("%s already holds %s (%s): nothing to copy%s", dst, src, r->digest, how);
		return;
	}
	if (r->blobs_mounted)
		snprintf(mounted, sizeof mounted, "; %u mounted", r->blobs_mounted);
	say("%s %s to %s: %s (%u %s %s, %s; %u already there%s; %u %s%s)%s", verb[doing], src, dst, r->digest,
	    r->blobs_copied, plural(r->blobs_copied, "blob", "blobs"), moved[doing], human_size(size, r->bytes_copied),
	    r->blobs_skipped, mounted, r->manifests_put, plural(r->manifests_put, "manifest", "manifests"),
	    r->referrers ? "; referrers copied" : "", how);
}

static bool is_local(const char *loc)
{
	return !strncmp(loc, "oci:", 4) || !strncmp(loc, "oci-archive:", 12) || !strncmp(loc, "docker-archive:", 15);
}

/* A registry location as the copy resolved it, for reports: normalised, with
 * the tag it stands for when it names neither tag nor digest ("app" is
 * docker.io/library/app:latest).  NULL for a local location. */
static char *resolved(const char *loc, const char *tag)
{
	struct wn_ref *r;
	struct wn_error err;
	if (is_local(loc) || wn_ref_parse(&r, loc, 0, &err) != WN_OK)
		return NULL;
	if (!r->tag && !r->digest && tag)
		r->tag = strdup(tag);
	char *s = wn_ref_string(r);
	wn_ref_free(r);
	return s;
}

/* One copy's entry of "results" (see man winch-copy, JSON OUTPUT). */
static cJSON *result_json(const char *src, const char *dst, const char *tag, int rc, const char *msg,
                          const struct wn_copy_result *r)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "source", src);
	cJSON_AddStringToObject(o, "destination", dst);
	if (tag)
		cJSON_AddStringToObject(o, "tag", tag);
	if (rc != WN_OK) {
		cJSON_AddStringToObject(o, "error", msg);
		return o;
	}
	cJSON_AddStringToObject(o, "digest", r->digest);
	cJSON_AddBoolToObject(o, "upToDate", r->up_to_date);
	cJSON_AddBoolToObject(o, "byDigest", r->by_digest);
	cJSON_AddNumberToObject(o, "blobsCopied", r->blobs_copied);
	cJSON_AddNumberToObject(o, "blobsSkipped", r->blobs_skipped);
	cJSON_AddNumberToObject(o, "blobsMounted", r->blobs_mounted);
	cJSON_AddNumberToObject(o, "bytesCopied", (double)r->bytes_copied);
	cJSON_AddNumberToObject(o, "manifestsPut", r->manifests_put);
	cJSON_AddNumberToObject(o, "referrerTags", r->referrers);
	return o;
}

struct totals {
	unsigned copied, up_to_date, failed, blobs_copied, blobs_skipped, blobs_mounted, manifests_put, referrers;
	uint64_t bytes;
};

static void count(struct totals *t, int rc, const struct wn_copy_result *r)
{
	if (rc != WN_OK) {
		t->failed++;
		return;
	}
	if (r->up_to_date)
		t->up_to_date++;
	else
		t->copied++;
	t->blobs_copied += r->blobs_copied;
	t->blobs_skipped += r->blobs_skipped;
	t->blobs_mounted += r->blobs_mounted;
	t->manifests_put += r->manifests_put;
	t->referrers += r->referrers;
	t->bytes += r->bytes_copied;
}

/* What a single copy and --all-tags both print: source, destination,
 * "results" (one entry per image copied) and "summary" (the counts). */
static void add_envelope(cJSON *o, cJSON *results, const struct totals *t)
{
	cJSON_AddItemToObject(o, "results", results);
	cJSON *s = cJSON_AddObjectToObject(o, "summary");
	cJSON_AddNumberToObject(s, "copied", t->copied);
	cJSON_AddNumberToObject(s, "upToDate", t->up_to_date);
	cJSON_AddNumberToObject(s, "failed", t->failed);
	cJSON_AddNumberToObject(s, "blobsCopied", t->blobs_copied);
	cJSON_AddNumberToObject(s, "blobsSkipped", t->blobs_skipped);
	cJSON_AddNumberToObject(s, "blobsMounted", t->blobs_mounted);
	cJSON_AddNumberToObject(s, "bytesCopied", (double)t->bytes);
	cJSON_AddNumberToObject(s, "manifestsPut", t->manifests_put);
	cJSON_AddNumberToObject(s, "referrerTags", t->referrers);
}

struct tags_state {
	const char *src, *dst;
	cJSON *results;       /* --format json */
	FILE *lines;          /* --digestfile: "TAG DIGEST" per tag copied */
	struct totals t;
};

static void each_tag(void *data, const char *tag, int rc, const char *msg, const struct wn_copy_result *r)
{
	struct tags_state *st = data;
	char s[1024], d[1024];
	snprintf(s, sizeof s, "%s:%s", st->src, tag);
	snprintf(d, sizeof d, "%s:%s", st->dst, tag);
	count(&st->t, rc, r);
	if (rc == WN_OK && st->lines)
		fprintf(st->lines, "%s %s\n", tag, r->digest);
	if (st->results)
		cJSON_AddItemToArray(st->results, result_json(s, d, tag, rc, msg, r));
	else if (rc != WN_OK)
		warn_msg("%s: %s", tag, msg);
	else
		summary(s, d, r);
}

static int copy_all_tags(struct wn_ctx *ctx, const char *src, const char *dst, const struct wn_copy_options *o,
                         struct progress_state *ps)
{
	char *text = NULL;
	size_t text_len = 0;
	struct tags_state st = { src, dst, want_json() ? cJSON_CreateArray() : NULL, NULL, { 0 } };
	int rc = 0;
	if (digestfile && !(st.lines = open_memstream(&text, &text_len))) {
		warn_msg("out of memory");
		cJSON_Delete(st.results);
		return EXIT_ERROR;
	}
	int lrc = wn_copy_all_tags(ctx, src, dst, match, o, each_tag, &st);
	if (ps->shown)
		fputc('\n', stderr);
	if (st.lines)
		fclose(st.lines);
	if (lrc == WN_OK || lrc == WN_EPARTIAL) { /* every tag was tried: report them */
		if (st.results) {
			cJSON *env = cJSON_CreateObject();
			cJSON_AddStringToObject(env, "source", src);
			cJSON_AddStringToObject(env, "destination", dst);
			add_envelope(env, st.results, &st.t);
			json_add_ratelimit(env, ctx);
			st.results = NULL;
			print_json(env);
			cJSON_Delete(env);
		}
		say("%s to %s: %u tag%s: %u copied, %u up to date, %u failed", src, dst,
		    st.t.copied + st.t.up_to_date + st.t.failed, st.t.copied + st.t.up_to_date + st.t.failed == 1 ? "" : "s",
		    st.t.copied, st.t.up_to_date, st.t.failed);
		if (digestfile && text)
			rc = write_digestfile(digestfile, text);
	}
	if (lrc != WN_OK)
		rc = fail_ctx(ctx);
	cJSON_Delete(st.results);
	free(text);
	return rc;
}

static int transfer(const char *src, const char *dst);

int cmd_copy(int argc, char **argv)
{
	doing = DOING_COPY;
	if (match && !all_tags)
		return usage_error(NULL, "--match goes with --all-tags");
	return transfer(argv[0], argv[1]);
}

/* pull REF [DEST]: DEST defaults to an OCI layout named after the repository */
int cmd_pull(int argc, char **argv)
{
	int rc = 0;
	doing = DOING_PULL;
	if (argc > 1)
		return transfer(argv[0], argv[1]);
	struct wn_ref *ref = ref_arg(argv[0], WN_REF_DEFAULT_TAG, &rc);
	if (!ref)
		return rc;
	const char *base = strrchr(ref->repository, '/');
	char *dst;
	base = base ? base + 1 : ref->repository;
	/* REF@DIGEST without a tag gives oci:NAME by digest only, as copy does */
	if (asprintf(&dst, "oci:%s%s%s", base, ref->tag ? ":" : "", ref->tag ? ref->tag : "") < 0) {
		wn_ref_free(ref);
		warn_msg("out of memory");
		return EXIT_ERROR;
	}
	rc = transfer(argv[0], dst);
	free(dst);
	wn_ref_free(ref);
	return rc;
}

int cmd_push(int argc, char **argv)
{
	doing = DOING_PUSH;
	return transfer(argv[0], argv[1]);
}

static int transfer(const char *src, const char *dst)
{
	char **argv = (char *[]){ (char *)src, (char *)dst };
	struct wn_copy_options o = WN_COPY_OPTIONS_INIT;
	struct wn_copy_result r;
	struct progress_state ps = { .shown = false };
	const char *plats[65];
	struct wn_ctx *ctx, *dctx = NULL;
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
	/* skopeo's --format names are taken too: v2s2 is Docker's */
	if (dest_format && !strcmp(dest_format, "oci"))
		o.dest_format = WN_FORMAT_OCI;
	else if (dest_format && (!strcmp(dest_format, "docker") || !strcmp(dest_format, "v2s2")))
		o.dest_format = WN_FORMAT_DOCKER;
	else if (dest_format && !strcmp(dest_format, "v2s1"))
		return usage_error(NULL, "--dest-format v2s1: Docker schema 1 is not supported (oci or docker)");
	else if (dest_format)
		return usage_error(NULL, "--dest-format takes oci or docker, not \"%s\"", dest_format);
	o.no_clobber = no_clobber;
	o.no_resume = no_resume;
	if (isatty(2) && !common.quiet && !want_json()) {
		clock_gettime(CLOCK_MONOTONIC, &ps.start);
		o.progress = show_progress;
		o.progress_data = &ps;
	}
	if (digestfile && (rc = digestfile_check(digestfile)))
		return rc;
	if ((rc = side_authfile_check("src", &src_side)) || (rc = side_authfile_check("dest", &dest_side)))
		return rc;
	/* the signature gate: what it loaded lives as long as the command */
	static struct sigcheck gate;
	if ((rc = gate_options(&gate, &o.verify)))
		return rc;
	/* a side's own option: a context per side (the library keeps their
	 * credentials, TLS settings and tokens apart), else one for both */
	bool two = side_given(&src_side) || side_given(&dest_side);
	if (!(ctx = ctx_open_side(two ? &src_side : NULL)))
		return EXIT_ERROR;
	if (two && !(dctx = ctx_open_side(&dest_side))) {
		wn_ctx_free(ctx);
		return EXIT_ERROR;
	}
	o.dest_ctx = dctx;
	if (all_tags) {
		rc = copy_all_tags(ctx, argv[0], argv[1], &o, &ps);
		wn_ctx_free(dctx);
		wn_ctx_free(ctx);
		return rc;
	}
	int lrc = wn_copy(&r, ctx, argv[0], argv[1], &o);
	if (ps.shown)
		fputc('\n', stderr);
	if (lrc != WN_OK) {
		rc = fail_ctx(ctx);
	} else {
		/* what the copy read and wrote: the source with the tag it resolved
		 * (wn_copy reads "latest" when SRC names none), the destination with
		 * the tag it took from SRC, or its digest when no tag was written */
		char *src_r = resolved(argv[0], "latest"), *src_tag = NULL, *dst_r;
		struct wn_ref *sref;
		struct wn_error err;
		if (src_r && wn_ref_parse(&sref, src_r, 0, &err) == WN_OK) {
			src_tag = sref->tag ? strdup(sref->tag) : NULL;
			wn_ref_free(sref);
		}
		dst_r = resolved(argv[1], r.by_digest ? NULL : src_tag);
		if (dst_r && r.by_digest && !strchr(dst_r, '@')) {
			char *with = NULL;
			if (asprintf(&with, "%s@%s", dst_r, r.digest) >= 0) {
				free(dst_r);
				dst_r = with;
			}
		}
		const char *sname = src_r ? src_r : argv[0], *dname = dst_r ? dst_r : argv[1];
		if (want_json()) {
			struct totals t = { 0 };
			count(&t, lrc, &r);
			/* the copy's own fields at the top, as before, and the envelope --all-tags has */
			cJSON *j = result_json(sname, dname, NULL, lrc, NULL, &r), *results = cJSON_CreateArray();
			cJSON_AddItemToArray(results, cJSON_Duplicate(j, 1));
			add_envelope(j, results, &t);
			json_add_ratelimit(j, ctx);
			print_json(j);
			cJSON_Delete(j);
		} else {
			summary(sname, dname, &r);
		}
		free(src_r);
		free(src_tag);
		free(dst_r);
		if (digestfile)
			rc = write_digestfile(digestfile, r.digest);
	}
	wn_ctx_free(dctx);
	wn_ctx_free(ctx);
	return rc;
}

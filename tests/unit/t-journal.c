/* Resume journals (lib/journal.c) and the upload plan with resume (lib/blob.c): where journals
 * live, that a live run's journal is left alone (its flock) and a dead run's is handed over, that
 * finished ones go and stale ones are cleaned; which uploads go in resumable chunks. */
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "harness.h"
#include "internal.h"

#define MiB (1ull << 20)

static struct wn__upload_plan plan(enum wn__vendor v, struct wn__upload_known k, uint64_t size, uint64_t asked,
                                   bool resume)
{
	struct wn__upload_plan p;
	wn__upload_plan_resume(&p, wn__upload_rules(v), &k, size, asked, resume);
	return p;
}

static int count_files(const char *dir)
{
	char cmd[600];
	snprintf(cmd, sizeof cmd, "exit $(ls -A '%s' 2>/dev/null | wc -l)", dir);
	return WEXITSTATUS(system(cmd));
}

int main(void)
{
	struct wn__upload_known none = { 0 };
	struct wn__upload_plan p;

	/* resume: a blob over 128 MiB goes in 128 MiB chunks where they are taken and the Range tells */
	p = plan(WN__V_GENERIC, none, 512 * MiB, 0, true);
	CHECK(p.how == WN__UP_CHUNKS && p.chunk == WN__UP_RESUME_CHUNK && p.check_range);
	p = plan(WN__V_DOCKERHUB, none, 129 * MiB, 0, true);
	CHECK(p.how == WN__UP_CHUNKS && p.chunk == WN__UP_RESUME_CHUNK);
	CHECK(plan(WN__V_GENERIC, none, 128 * MiB, 0, true).how == WN__UP_STREAM); /* one chunk would be the blob */
	CHECK(plan(WN__V_GENERIC, none, 32 * MiB, 0, true).how == WN__UP_PUT);
	CHECK(plan(WN__V_GENERIC, none, 512 * MiB, 0, false).how == WN__UP_STREAM); /* --no-resume: as before */
	/* not where chunks that large are refused, the Range sticks, or no chunks are taken */
	CHECK(plan(WN__V_GHCR, none, 512 * MiB, 0, true).how == WN__UP_STREAM);
	CHECK(plan(WN__V_ECR, none, 512 * MiB, 0, true).how == WN__UP_STREAM);
	CHECK(plan(WN__V_GAR, none, 512 * MiB, 0, true).how == WN__UP_STREAM);
	struct wn__upload_known refused = { .no_chunks = true };
	CHECK(plan(WN__V_GENERIC, refused, 512 * MiB, 0, true).how == WN__UP_STREAM);
	/* a learned body limit chunks as before (resumable too); a chunk size asked for wins */
	struct wn__upload_known limit = { .body_max = 64 * MiB };
	p = plan(WN__V_GENERIC, limit, 512 * MiB, 0, true);
	CHECK(p.how == WN__UP_CHUNKS && p.chunk == 64 * MiB && p.check_range);
	p = plan(WN__V_GENERIC, none, 512 * MiB, 8 * MiB, true);
	CHECK(p.how == WN__UP_CHUNKS && p.chunk == 8 * MiB);

	/* journals */
	char tmpl[] = "/tmp/winch-t-journal-XXXXXX", dir[600];
	if (!mkdtemp(tmpl))
		return 1;
	setenv("XDG_STATE_HOME", "relative/path", 1); /* not absolute: ignored, as the XDG spec says */
	setenv("HOME", tmpl, 1);
	snprintf(dir, sizeof dir, "%s/.local/state/winch/journal", tmpl);
	struct wn_ctx *ctx;
	CHECK(wn_ctx_new(&ctx, NULL) == WN_OK);
	struct wn__journal *j = NULL, *j2 = NULL;
	cJSON *prev = NULL;
	CHECK(wn__journal_open(ctx, "download", "oci:/x@sha256:1", &j, &prev) == WN_OK && j && !prev);
	struct stat st;
	CHECK(!stat(dir, &st) && (st.st_mode & 0777) == 0700);
	/* held: another open (another run, or another thread) gets no journal */
	CHECK(wn__journal_open(ctx, "download", "oci:/x@sha256:1", &j2, &prev) == WN_OK && !j2 && !prev);
	cJSON *s = cJSON_Parse("{\"file\":\"/nowhere/a.winch-tmp-1-x\",\"offset\":5,\"final\":\"/nowhere/a\"}");
	CHECK(wn__journal_write(j, "download", "oci:/x@sha256:1", s) == WN_OK);
	cJSON_Delete(s);
	wn__journal_done(j);
	CHECK(count_files(dir) == 0); /* finished: gone */

	/* a run killed with its journal: the next one gets what it wrote; a shorter text leaves no tail */
	pid_t pid = fork();
	if (!pid) {
		struct wn__journal *k = NULL;
		char path[600];
		snprintf(path, sizeof path, "%s/part.winch-tmp-1-x", tmpl);
		FILE *f = fopen(path, "w");
		if (f)
			fclose(f);
		wn__journal_open(ctx, "download", "oci:/x@sha256:2", &k, NULL);
		cJSON *a = cJSON_CreateObject();
		cJSON_AddStringToObject(a, "file", path);
		cJSON_AddStringToObject(a, "long", "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
		wn__journal_write(k, "download", "oci:/x@sha256:2", a);
		cJSON_DeleteItemFromObject(a, "long");
		cJSON_AddNumberToObject(a, "offset", 7);
		wn__journal_write(k, "download", "oci:/x@sha256:2", a);
		_exit(0); /* as if killed: no wn__journal_done */
	}
	waitpid(pid, NULL, 0);
	CHECK(count_files(dir) == 1);
	struct wn_strlist *files = wn__journal_files();
	char part[600];
	snprintf(part, sizeof part, "%s/part.winch-tmp-1-x", tmpl);
	CHECK(files && files->n == 1 && !strcmp(files->items[0], part));
	CHECK(wn__journal_names(files, part) && wn__journal_names(files, tmpl) && !wn__journal_names(files, "/tmp/winch"));
	wn_strlist_free(files);
	wn__journal_clean(ctx); /* a week young, its partial file there: kept */
	CHECK(count_files(dir) == 1);
	CHECK(wn__journal_open(ctx, "download", "oci:/x@sha256:2", &j, &prev) == WN_OK && j && prev);
	CHECK(prev && wn__json_str(prev, "file") && !strcmp(wn__json_str(prev, "file"), part));
	CHECK(prev && cJSON_IsNumber(cJSON_GetObjectItem(prev, "offset")) && !cJSON_GetObjectItem(prev, "long"));
	CHECK(prev && cJSON_GetObjectItem(prev, "pid") && cJSON_GetObjectItem(prev, "pid")->valueint == pid);
	cJSON_Delete(prev);
	/* another key (or kind) is not this journal, even in the same file */
	CHECK(wn__journal_open(ctx, "upload", "oci:/x@sha256:2", &j2, &prev) == WN_OK && j2 && !prev);
	wn__journal_done(j2);
	wn__journal_done(j); /* (removes it: a new killed run for the next checks) */

	/* a journal a live run holds is not cleaned, whatever its age; once that run is gone it is */
	int up[2], down[2];
	CHECK(!pipe(up) && !pipe(down));
	FILE *f = fopen(part, "w");
	if (f)
		fclose(f);
	pid = fork();
	if (!pid) {
		struct wn__journal *k = NULL;
		char c = 0;
		wn__journal_open(ctx, "download", "oci:/x@sha256:4", &k, NULL);
		cJSON *a = cJSON_CreateObject();
		cJSON_AddStringToObject(a, "file", part);
		wn__journal_write(k, "download", "oci:/x@sha256:4", a);
		if (write(up[1], &c, 1) != 1 || read(down[0], &c, 1) != 1)
			_exit(1);
		_exit(0); /* killed: the lock goes, the journal stays */
	}
	char c;
	CHECK(read(up[0], &c, 1) == 1);
	char cmd[900];
	snprintf(cmd, sizeof cmd, "touch -d '8 days ago' '%s'/download-*.json", dir);
	CHECK(system(cmd) == 0);
	wn__journal_clean(ctx);
	CHECK(count_files(dir) == 1);
	CHECK(write(down[1], &c, 1) == 1);
	waitpid(pid, NULL, 0);
	wn__journal_clean(ctx);
	CHECK(count_files(dir) == 0);
	CHECK(access(part, F_OK) != 0); /* the partial file a week-old journal named goes with it */

	/* a download journal whose blob is in place, or whose partial file is gone: removed */
	pid = fork();
	if (!pid) {
		struct wn__journal *k = NULL;
		wn__journal_open(ctx, "download", "oci:/x@sha256:3", &k, NULL);
		cJSON *a = cJSON_CreateObject();
		cJSON_AddStringToObject(a, "file", "/nonexistent/part.winch-tmp-1-x");
		wn__journal_write(k, "download", "oci:/x@sha256:3", a);
		_exit(0);
	}
	waitpid(pid, NULL, 0);
	CHECK(count_files(dir) == 1);
	wn__journal_clean(ctx);
	CHECK(count_files(dir) == 0);

	wn_ctx_free(ctx);
	char rm[700];
	snprintf(rm, sizeof rm, "rm -rf '%s'", tmpl);
	CHECK(system(rm) == 0);
	return TEST_DONE();
}

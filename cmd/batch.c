/*
 * batch.c: several references in one call, for digest, exists, inspect and
 * list-tags: the arguments, with "-" standing for one reference per line of
 * standard input.  The library resolves them in parallel (wn_batch: eight
 * workers, their connections and the token cache shared); each command's
 * fetch runs on a worker, its print in input order, printing what a single
 * call prints (JSON objects one per line).  Exit status: 0 when every
 * reference succeeded, 3 when some were not found and the rest succeeded,
 * 8 when anything else failed; each failure is named on stderr with its
 * reference.
 */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>
#include "cmd.h"

bool batch_mode;

struct run {
	char **refs;
	size_t n;
	const struct batch_ops *ops;
	void **res;
	char **msg;                /* a command's own error for an item (its fetch said so) */
	bool notfound, other;
};

int batch_check_platform(const char *platform)
{
	struct wn_platform p;
	struct wn_error err;
	/* one --platform for every reference: a malformed one is the command line's fault */
	if (!platform)
		return 0;
	if (wn_platform_parse(&p, platform, &err) != WN_OK)
		return fail_err(&err);
	wn_platform_clear(&p);
	return 0;
}

bool batch_wanted(int argc, char **argv)
{
	for (int i = 0; i < argc; i++)
		if (!strcmp(argv[i], "-"))
			return true;
	return argc > 1;
}

void print_json_line(void *doc)
{
	char *s = cJSON_PrintUnformatted(doc);
	if (s) {
		fputs(s, stdout);
		fputc('\n', stdout);
		free(s);
	}
}

void print_json_out(void *doc)
{
	if (batch_mode)
		print_json_line(doc);
	else
		print_json(doc);
}

static int push(struct run *r, char *ref, size_t *cap)
{
	if (r->n == *cap) {
		size_t c = *cap ? *cap * 2 : 64;
		char **n = realloc(r->refs, c * sizeof *n);
		if (!n)
			return -1;
		r->refs = n;
		*cap = c;
	}
	r->refs[r->n++] = ref;
	return 0;
}

/* One line of stdin: blanks around it dropped, empty lines skipped. */
static int read_stdin(struct run *r, size_t *cap)
{
	char *line = NULL;
	size_t len = 0;
	ssize_t got;
	while ((got = getline(&line, &len, stdin)) >= 0) {
		char *s = line, *e = line + got;
		while (e > s && strchr(" \t\r\n", e[-1]))
			e--;
		while (s < e && strchr(" \t", *s))
			s++;
		if (s == e)
			continue;
		char *ref = strndup(s, (size_t)(e - s));
		if (!ref || push(r, ref, cap)) {
			free(ref);
			free(line);
			return -1;
		}
	}
	free(line);
	return 0;
}

static int fetch_one(struct wn_ctx *ctx, size_t i, void *data)
{
	struct run *r = data;
	return r->ops->fetch(ctx, r->refs[i], &r->res[i], &r->msg[i]);
}

static void done_one(void *data, size_t i, int rc, const char *msg)
{
	struct run *r = data;
	if (rc == WN_OK) {
		r->ops->print(r->refs[i], r->res[i]);
	} else {
		warn_msg("%s: %s", r->refs[i], r->msg[i] ? r->msg[i] : msg);
		if (rc == WN_ENOTFOUND && !r->msg[i])
			r->notfound = true;
		else
			r->other = true;
	}
	fflush(stdout);
	if (r->res[i])
		r->ops->free_res(r->res[i]);
	r->res[i] = NULL;
	free(r->msg[i]);
	r->msg[i] = NULL;
}

int batch_run(int argc, char **argv, const struct batch_ops *ops)
{
	struct run r = { .ops = ops };
	struct wn_ctx *ctx = NULL;
	size_t cap = 0;
	bool stdin_read = false;
	int rc = 0;
	batch_mode = true;
	for (int i = 0; i < argc && !rc; i++) {
		if (strcmp(argv[i], "-")) {
			char *ref = strdup(argv[i]);
			if (!ref || push(&r, ref, &cap)) {
				free(ref);
				rc = -1;
			}
			continue;
		}
		if (stdin_read) {
			rc = usage_error(NULL, "\"-\" (references on standard input) may be given once");
			goto done;
		}
		stdin_read = true;
		rc = read_stdin(&r, &cap);
	}
	if (rc) {
		warn_msg("out of memory");
		rc = EXIT_ERROR;
		goto done;
	}
	if (!r.n)
		goto done; /* "-" and nothing on it: nothing to do */
	r.res = calloc(r.n, sizeof *r.res);
	r.msg = calloc(r.n, sizeof *r.msg);
	if (!r.res || !r.msg || !(ctx = ctx_open())) {
		if (ctx || !r.res || !r.msg)
			warn_msg("out of memory");
		rc = EXIT_ERROR;
		goto done;
	}
	if (wn_batch(ctx, r.n, 0, fetch_one, done_one, &r) != WN_OK)
		rc = fail_ctx(ctx);
	else
		rc = r.other ? EXIT_PARTIAL : r.notfound ? EXIT_NOTFOUND : 0;
done:
	for (size_t i = 0; i < r.n; i++)
		free(r.refs[i]);
	free(r.refs);
	free(r.res);
	free(r.msg);
	wn_ctx_free(ctx);
	return rc;
}

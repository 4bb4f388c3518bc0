/* Error messages: long enough for the longest realistic one, and a longer
 * one is cut after a whole word, never inside a digest (issue 11). */
#include <stdio.h>
#include <stdlib.h>
#include "harness.h"
#include "internal.h"

static char sha512_a[136], sha512_b[136];

static void digest_of(char *out, char c)
{
	strcpy(out, "sha512:");
	memset(out + 7, c, 128);
	out[135] = 0;
}

/* Does `got` end " ..." after a prefix of `full` that ends at a word boundary? */
static int cut_at_word(const char *got, const char *full)
{
	size_t n = strlen(got);
	if (n < 4 || strcmp(got + n - 4, " ..."))
		return 0;
	size_t k = n - 4;
	return !strncmp(got, full, k) && k > 0 && got[k - 1] != ' ' && full[k] == ' ';
}

int main(void)
{
	struct wn_error e;
	char full[8192];

	digest_of(sha512_a, 'a');
	digest_of(sha512_b, 'b');

	/* two sha512 digests and two long references fit whole */
	char repo[201];
	memset(repo, 'r', 200);
	repo[200] = 0;
	snprintf(full, sizeof full,
	         "digest mismatch: blob %s of registry.example.com:5000/team/%s@%s has content %s; not stored "
	         "(copying to mirror.example.org/mirror/team/%s:v1.2.3-rc.1)",
	         sha512_a, repo, sha512_a, sha512_b, repo);
	CHECK(strlen(full) > 900);
	wn__error_set(&e, WN_EDIGEST, "%s", full);
	CHECK_STR(e.msg, full);
	CHECK(e.code == WN_EDIGEST);

	/* the same on a context */
	struct wn_ctx *ctx = NULL;
	struct wn_ctx_options o = WN_CTX_OPTIONS_INIT;
	CHECK(wn_ctx_new(&ctx, &o) == WN_OK);
	if (ctx) {
		wn__ctx_fail(ctx, WN_EDIGEST, "%s", full);
		CHECK_STR(wn_ctx_errmsg(ctx), full);
		wn_ctx_free(ctx);
	}

	/* too long: cut after the last whole word, " ..." at the end */
	size_t pos = 0;
	full[0] = 0;
	for (int i = 0; pos < 3000; i++)
		pos += (size_t)snprintf(full + pos, sizeof full - pos, "%sword%d", i ? " " : "", i);
	wn__error_set(&e, WN_ERROR, "%s", full);
	CHECK(strlen(e.msg) < sizeof e.msg);
	CHECK(cut_at_word(e.msg, full));

	/* a digest across the limit goes whole or not at all, whatever its offset */
	for (size_t pad = sizeof e.msg - 140; pad < sizeof e.msg + 2; pad += 7) {
		memset(full, 'x', pad);
		full[pad] = 0;
		for (size_t i = 9; i < pad; i += 10)
			full[i] = ' ';
		strcat(full, " ");
		strcat(full, sha512_a);
		strcat(full, " and ");
		strcat(full, sha512_b);
		wn__error_set(&e, WN_EDIGEST, "%s", full);
		CHECK(cut_at_word(e.msg, full));
		const char *d = strstr(e.msg, "sha512:");
		CHECK(!d || !strncmp(d, sha512_a, 135) || !strncmp(d, sha512_b, 135));
	}

	/* one word longer than the buffer: cut inside it (nothing else can be done), still marked */
	char *giant = malloc(5000);
	if (giant) {
		memset(giant, 'g', 4999);
		giant[4999] = 0;
		wn__error_set(&e, WN_ERROR, "%s", giant);
		CHECK(strlen(e.msg) == sizeof e.msg - 1);
		CHECK(!strcmp(e.msg + strlen(e.msg) - 4, " ..."));
		free(giant);
	}

	/* newlines still become spaces */
	wn__error_set(&e, WN_ERROR, "a\nb\r\nc");
	CHECK_STR(e.msg, "a b  c");

	/* the registry's own message keeps its digests whole too */
	struct wn__regerr re;
	char body[4096];
	snprintf(body, sizeof body,
	         "{\"errors\":[{\"code\":\"MANIFEST_UNKNOWN\",\"message\":\"manifest unknown: team/%s@%s\"}]}", repo,
	         sha512_a);
	CHECK(wn__regerr_parse(&re, body, strlen(body)) == 1);
	CHECK(strstr(re.message, sha512_a) != NULL);
	char msg[1200];
	pos = (size_t)snprintf(msg, sizeof msg, "manifest unknown:");
	while (pos < 1000)
		pos += (size_t)snprintf(msg + pos, sizeof msg - pos, " %s", sha512_b);
	snprintf(body, sizeof body, "{\"errors\":[{\"code\":\"X\",\"message\":\"%s\"}]}", msg);
	CHECK(wn__regerr_parse(&re, body, strlen(body)) == 1);
	CHECK(cut_at_word(re.message, msg));
	return TEST_DONE();
}

/* The copy engine with a context per side (wn_copy_options.dest_ctx), between
 * two OCI layouts: an interrupt given to either side's context stops the
 * copy (a layout destination reads its blobs from the source's feed and
 * checks no flag of its own, so the source side must watch the
 * destination's), errors come back on the source's context, and one context
 * still serves both sides. */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include "harness.h"
#include "internal.h"

static char dir[4096];

static void put(const char *rel, const void *data, size_t len)
{
	char p[4200];
	snprintf(p, sizeof p, "%s/%s", dir, rel);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	CHECK(fd >= 0 && write(fd, data, len) == (ssize_t)len);
	close(fd);
}

/* Writes blob data under src/blobs and returns its digest. */
static void blob(char digest[WN_DIGEST_MAX], const void *data, size_t len)
{
	char rel[300];
	wn_digest_sha256(digest, data, len);
	snprintf(rel, sizeof rel, "src/blobs/sha256/%s", digest + 7);
	put(rel, data, len);
}

/* An OCI layout DIR/src holding one image tagged "t"; returns the manifest's digest. */
static void make_source(char mdigest[WN_DIGEST_MAX])
{
	static unsigned char layer[200000];
	char ld[WN_DIGEST_MAX], cd[WN_DIGEST_MAX], text[2048];
	char p[4200];
	for (size_t i = 0; i < sizeof layer; i++)
		layer[i] = (unsigned char)(i * 2654435761u >> 13);
	snprintf(p, sizeof p, "%s/src", dir);
	mkdir(p, 0755);
	snprintf(p, sizeof p, "%s/src/blobs", dir);
	mkdir(p, 0755);
	snprintf(p, sizeof p, "%s/src/blobs/sha256", dir);
	mkdir(p, 0755);
	put("src/oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}", 30);
	blob(ld, layer, sizeof layer);
	int n = snprintf(text, sizeof text, "{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\","
	                 "\"diff_ids\":[\"%s\"]}}", ld);
	blob(cd, text, (size_t)n);
	n = snprintf(text, sizeof text, "{\"schemaVersion\":2,\"mediaType\":\"" WN_MT_OCI_MANIFEST "\",\"config\":{"
	             "\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"%s\",\"size\":%d},"
	             "\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\"%s\","
	             "\"size\":%zu}]}", cd, n, ld, sizeof layer);
	blob(mdigest, text, (size_t)n);
	n = snprintf(text, sizeof text, "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"" WN_MT_OCI_MANIFEST "\","
	             "\"digest\":\"%s\",\"size\":%d,\"annotations\":{\"org.opencontainers.image.ref.name\":\"t\"}}]}",
	             mdigest, n);
	put("src/index.json", text, (size_t)n);
}

static int copy(struct wn_copy_result *r, struct wn_ctx *s, struct wn_ctx *d, const char *to)
{
	char src[4200], dst[4200];
	struct wn_copy_options o = WN_COPY_OPTIONS_INIT;
	o.jobs = 1;
	o.dest_ctx = d;
	snprintf(src, sizeof src, "oci:%s/src:t", dir);
	snprintf(dst, sizeof dst, "oci:%s/%s:t", dir, to);
	return wn_copy(r, s, src, dst, &o);
}

static bool exists(const char *rel)
{
	char p[4200];
	snprintf(p, sizeof p, "%s/%s", dir, rel);
	return access(p, F_OK) == 0;
}

int main(void)
{
	const char *tmp = getenv("TMPDIR");
	snprintf(dir, sizeof dir, "%s/t-copy-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	CHECK(mkdtemp(dir) != NULL);
	char mdigest[WN_DIGEST_MAX];
	make_source(mdigest);

	volatile int sflag = 0, dflag = 0;
	struct wn_ctx_options so = WN_CTX_OPTIONS_INIT, dopt = WN_CTX_OPTIONS_INIT;
	so.cancel = &sflag;
	dopt.cancel = &dflag;
	struct wn_ctx *s, *d;
	struct wn_copy_result r;
	CHECK(wn_ctx_new(&s, &so) == WN_OK);
	CHECK(wn_ctx_new(&d, &dopt) == WN_OK);

	/* two contexts, nothing cancelled: the copy is whole */
	CHECK(copy(&r, s, d, "a") == WN_OK);
	CHECK_STR(r.digest, mdigest);
	CHECK(r.blobs_copied == 2);

	/* the destination's flag alone: the layout destination checks none itself,
	 * the source's side (its feed) must see it */
	dflag = 1;
	CHECK(copy(&r, s, d, "b") == WN_ECANCELED);
	CHECK(wn_ctx_errcode(s) == WN_ECANCELED);       /* the error is on the source's context */
	CHECK(strstr(wn_ctx_errmsg(s), "interrupted") != NULL);
	CHECK(!exists("b/index.json"));
	dflag = 0;

	/* the source's flag alone */
	sflag = 1;
	CHECK(copy(&r, s, d, "c") == WN_ECANCELED);
	CHECK(wn_ctx_errcode(s) == WN_ECANCELED);
	CHECK(!exists("c/index.json"));
	sflag = 0;

	/* a destination failure is reported on the source's context, naming it */
	put("file", "x", 1);
	CHECK(copy(&r, s, d, "file/sub") != WN_OK);
	CHECK(strstr(wn_ctx_errmsg(s), "file/sub") != NULL);

	/* one context for both sides (dest_ctx NULL, or the same context) */
	CHECK(copy(&r, s, NULL, "e") == WN_OK);
	CHECK_STR(r.digest, mdigest);
	CHECK(copy(&r, s, s, "f") == WN_OK);
	CHECK(exists("f/index.json"));

	/* forks inherit the other side's flag */
	struct wn_ctx *f1, *f2;
	CHECK(wn__ctx_fork(&f1, s) == WN_OK);
	f1->cancel_also = &dflag;
	CHECK(wn__ctx_fork(&f2, f1) == WN_OK);
	CHECK(!wn__cancelled(f2));
	dflag = 1;
	CHECK(wn__cancelled(f2) && wn__cancelled(f1) && !wn__cancelled(s));
	dflag = 0;
	wn_ctx_free(f2);
	wn_ctx_free(f1);

	wn_ctx_free(d);
	wn_ctx_free(s);
	wn__rm_tree(dir);
	return TEST_DONE();
}

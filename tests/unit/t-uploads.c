/* How a blob goes up (lib/registries/uploads.c): the plan from the product's rules, what the run
 * learned and the chunk size asked for; the cap learned from a refusal. */
#include "harness.h"
#include "internal.h"

#define MiB (1ull << 20)

static struct wn__upload_plan plan(enum wn__vendor v, struct wn__upload_known k, uint64_t size, uint64_t asked)
{
	struct wn__upload_plan p;
	wn__upload_plan(&p, wn__upload_rules(v), &k, size, asked);
	return p;
}

int main(void)
{
	struct wn__upload_known none = { 0 };
	struct wn__upload_plan p;

	/* the default: one request per blob, on every product */
	for (int v = 0; v < WN__V_COUNT; v++) {
		CHECK(plan(v, none, 1000, 0).how == WN__UP_PUT);
		CHECK(plan(v, none, 32 * MiB, 0).how == WN__UP_PUT);
		CHECK(plan(v, none, 33 * MiB, 0).how == WN__UP_STREAM);
		CHECK(plan(v, none, 5ull << 30, 0).how == WN__UP_STREAM);
	}
	/* chunks asked for: where taken, within the product's limits */
	p = plan(WN__V_GENERIC, none, 33 * MiB, 8 * MiB);
	CHECK(p.how == WN__UP_CHUNKS && p.chunk == 8 * MiB && p.check_range);
	CHECK(plan(WN__V_GENERIC, none, 8 * MiB, 8 * MiB).how == WN__UP_PUT);
	p = plan(WN__V_GHCR, none, 33 * MiB, 8 * MiB);
	CHECK(p.how == WN__UP_CHUNKS && p.chunk == 4 * MiB);
	CHECK(plan(WN__V_GAR, none, 33 * MiB, 8 * MiB).how == WN__UP_STREAM);
	CHECK(plan(WN__V_GCR, none, 33 * MiB, 64 * 1024).how == WN__UP_STREAM);
	p = plan(WN__V_ECR, none, 33 * MiB, 1 * MiB);
	CHECK(p.how == WN__UP_CHUNKS && p.chunk == 5 * MiB && !p.check_range);
	CHECK(plan(WN__V_ECR, none, 5 * MiB, 1 * MiB).how == WN__UP_STREAM); /* one chunk would be the blob */
	p = plan(WN__V_ACR, none, 33 * MiB, 8 * MiB);
	CHECK(p.how == WN__UP_CHUNKS && p.chunk == 8 * MiB);

	/* learned: a body limit brings chunks without asking; a refused chunk or a stuck Range
	 * takes them away; OCI-Chunk-Min-Length raises them */
	struct wn__upload_known k = { .body_max = 4 * MiB };
	CHECK(plan(WN__V_GENERIC, k, 3 * MiB, 0).how == WN__UP_PUT);
	p = plan(WN__V_GENERIC, k, 9 * MiB, 0);
	CHECK(p.how == WN__UP_CHUNKS && p.chunk == 4 * MiB);
	p = plan(WN__V_GENERIC, k, 9 * MiB, 8 * MiB);
	CHECK(p.how == WN__UP_CHUNKS && p.chunk == 4 * MiB);
	p = plan(WN__V_GENERIC, k, 9 * MiB, 1 * MiB);
	CHECK(p.how == WN__UP_CHUNKS && p.chunk == 1 * MiB);
	CHECK(plan(WN__V_GAR, k, 9 * MiB, 0).how == WN__UP_STREAM); /* no chunks there: it will say 413 */
	k = (struct wn__upload_known){ .chunk_max = 4 * MiB };
	CHECK(plan(WN__V_GENERIC, k, 33 * MiB, 0).how == WN__UP_STREAM); /* a chunk cap is no body cap */
	p = plan(WN__V_GENERIC, k, 33 * MiB, 8 * MiB);
	CHECK(p.how == WN__UP_CHUNKS && p.chunk == 4 * MiB);
	k = (struct wn__upload_known){ .no_chunks = true };
	CHECK(plan(WN__V_GENERIC, k, 33 * MiB, 8 * MiB).how == WN__UP_STREAM);
	k = (struct wn__upload_known){ .chunk_min = 6 * MiB };
	p = plan(WN__V_GENERIC, k, 9 * MiB, 1 * MiB);
	CHECK(p.how == WN__UP_CHUNKS && p.chunk == 6 * MiB);
	k = (struct wn__upload_known){ .chunk_min = 6 * MiB, .body_max = 4 * MiB };
	CHECK(plan(WN__V_GENERIC, k, 9 * MiB, 0).how == WN__UP_STREAM); /* no size fits both */

	/* the cap after a refusal: the stated limit, else halving on powers of two */
	CHECK(wn__upload_cap_after(8 * MiB, "the request body is too large and exceeds the maximum permissible limit "
	                                    "of 4.00MiB") == 4 * MiB);
	CHECK(wn__upload_cap_after(8 * MiB, "limit is 1048576 bytes") == 1 * MiB);
	CHECK(wn__upload_cap_after(200000000, "Max upload size 100 MB") == 100000000);
	CHECK(wn__upload_cap_after(33 * MiB + 5, "<html><head><title>413 Request Entity Too Large</title>") == 32 * MiB);
	CHECK(wn__upload_cap_after(8 * MiB, "") == 4 * MiB);
	CHECK(wn__upload_cap_after(8 * MiB, NULL) == 4 * MiB);
	CHECK(wn__upload_cap_after(8 * MiB, "exceeds 16 MiB") == 4 * MiB);   /* not below what was refused */
	CHECK(wn__upload_cap_after(8 * MiB, "v1.2 MiB") == 4 * MiB);         /* a number inside a word */
	CHECK(wn__upload_cap_after(8 * MiB, "1e400 MiB") == 4 * MiB);        /* out of range */
	CHECK(wn__upload_cap_after(100 * 1024, "") == 64 * 1024);            /* the floor */
	CHECK(wn__upload_cap_after(64 * 1024, "") == 0);                     /* under it */
	CHECK(wn__upload_cap_after(8 * MiB, "limit 1 KiB") == 0);
	CHECK(wn__upload_cap_after(0, "") == 0);
	CHECK(wn__upload_cap_after(1, "") == 0);
	return TEST_DONE();
}

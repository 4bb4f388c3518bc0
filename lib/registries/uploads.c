/*
 * registries/uploads.c: how a blob goes up to a registry, and what each
 * registry product is known to take.
 *
 * The default is what docker and skopeo send, which every registry takes: a
 * blob in one request.  docker's distribution client (registry/client/
 * blob_writer.go, httpBlobUpload.ReadFrom then Commit) and containers/image
 * (docker/docker_image_dest.go, PutBlobWithOptions) both POST an upload
 * session, send the whole blob in ONE streamed PATCH without Content-Range,
 * and PUT ?digest= to commit; both take any 2xx for the PATCH.  winch sends
 * blobs up to WN__UP_PUT_MAX in the spec's monolithic PUT (POST, then one PUT
 * carrying the bytes: one request less) and larger ones as docker does.
 *
 * Chunks (PATCHes with Content-Range, in the spec's "START-END" form that
 * docker's httpBlobUpload.Write sends too) only where they are asked for
 * (--chunk-size) or needed (a 413 taught a body limit), and only where the
 * registry takes them: never on Artifact Registry, at most 4 MiB on GHCR, at
 * least 5 MiB (or the registry's OCI-Chunk-Min-Length) on ECR.  What a run
 * learns from answers (blob.c keeps it per registry on struct wn__host) counts
 * as much as the table, so a self-hosted or proxied registry with no telling
 * name is handled after its first refusal.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "../internal.h"

#define MiB (1ull << 20)

/* Where each value comes from is written beside it (tests/tools/registry-front.md has the
 * quotes); a product without an entry takes the spec's whole protocol. */
static const struct wn__upload_rules rules[WN__V_COUNT] = {
	/* 416 "the request body is too large and exceeds the maximum permissible limit of 4.00MiB"
	 * for a chunk over 4 MiB, while one streamed PATCH or one PUT of a larger blob goes through:
	 * oras-project/rust-oci-client#35 and #37, ocx-sh/ocx#237, wasmCloud/wash-archive#268 */
	[WN__V_GHCR] = { .chunk_max = 4 * MiB },
	/* every part but the last at least 5 MiB (ECR service quotas: "minimum layer part size";
	 * openai/tart#273); the Range stops advancing after the second PATCH while the bytes are
	 * kept (aws/containers-roadmap#2831) */
	[WN__V_ECR] = { .chunk_min = 5 * MiB, .range_stuck = true },
	/* "Artifact Registry does not support Docker chunked uploads ... You must use monolithic
	 * uploads" (its Docker API docs, quoted in containers/skopeo#1101; dotnet/sdk-container-builds
	 * #287); gcr.io is served by Artifact Registry */
	[WN__V_GAR] = { .no_chunks = true },
	[WN__V_GCR] = { .no_chunks = true },
	/* ACR refuses a Content-Range of "bytes 0-N" and a total of "*" (dotnet/sdk-container-builds
	 * #258): winch only ever sends the spec's "0-N", so it needs no entry.  Docker Hub, Quay and
	 * Harbor run distribution's upload code: the whole protocol. */
};

const struct wn__upload_rules *wn__upload_rules(enum wn__vendor v)
{
	return &rules[v >= 0 && v < WN__V_COUNT ? v : WN__V_GENERIC];
}

static uint64_t min_set(uint64_t a, uint64_t b)
{
	return !a ? b : !b ? a : a < b ? a : b;
}

void wn__upload_plan(struct wn__upload_plan *out, const struct wn__upload_rules *r, const struct wn__upload_known *k,
                     uint64_t size, uint64_t asked)
{
	uint64_t put_max = min_set(asked ? asked : WN__UP_PUT_MAX, k->body_max);
	out->how = size <= put_max ? WN__UP_PUT : WN__UP_STREAM;
	out->chunk = 0;
	out->check_range = false;
	if (out->how == WN__UP_PUT || r->no_chunks || k->no_chunks)
		return;
	/* chunks only when asked for, or when one request may not carry the blob */
	uint64_t n = min_set(asked, k->body_max);
	if (!n)
		return;
	n = min_set(n, min_set(r->chunk_max, k->chunk_max));
	uint64_t least = r->chunk_min > k->chunk_min ? r->chunk_min : k->chunk_min;
	if (n < least)
		n = least;
	if ((k->body_max && n > k->body_max) || n >= size)
		return; /* no chunk size fits both limits, or one chunk is the whole blob */
	out->how = WN__UP_CHUNKS;
	out->chunk = n;
	out->check_range = !r->range_stuck;
}

/* A size a message states: "4.00MiB", "4 MB", "1048576 bytes"; 0 if none. */
static uint64_t stated_size(const char *s)
{
	static const struct {
		const char *unit;
		uint64_t mul;
	} units[] = { { "KiB", 1ull << 10 }, { "MiB", MiB }, { "GiB", 1ull << 30 }, { "kB", 1000 }, { "KB", 1000 },
		          { "MB", 1000000 }, { "GB", 1000000000 }, { "bytes", 1 } };
	for (const char *p = s; p && *p; p++) {
		if (!isdigit((unsigned char)*p) || (p > s && (isalnum((unsigned char)p[-1]) || p[-1] == '.')))
			continue;
		char *end;
		double v = strtod(p, &end);
		const char *u = end;
		while (*u == ' ')
			u++;
		for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
			size_t n = strlen(units[i].unit);
			if (!strncmp(u, units[i].unit, n) && !isalpha((unsigned char)u[n]) && v > 0 && v < 1e15)
				return (uint64_t)(v * (double)units[i].mul);
		}
		p = end - 1;
	}
	return 0;
}

uint64_t wn__upload_cap_after(uint64_t refused, const char *message)
{
	uint64_t cap = stated_size(message);
	if (!cap || cap >= refused) {
		/* no usable number: halve, on powers of two (nginx's 1m, GHCR's 4 MiB and the like) */
		cap = 1;
		while (refused > 1 && cap <= (refused - 1) / 2)
			cap <<= 1;
	}
	return cap < WN__UP_CAP_FLOOR ? 0 : cap;
}

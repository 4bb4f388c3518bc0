/* Manifest parsing: media types, exact bytes, schema 1 refused, malformed input. */
#include <stdlib.h>
#include "harness.h"
#include "winch.h"

#define D1 "sha256:1111111111111111111111111111111111111111111111111111111111111111"
#define D2 "sha256:2222222222222222222222222222222222222222222222222222222222222222"

int main(void)
{
	struct wn_manifest *m;
	struct wn_error e;
	const char *img = "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
	                  "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"" D1 "\",\"size\":7},"
	                  "\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"" D2 "\",\"size\":42}]}";
	CHECK(wn_manifest_parse(&m, img, strlen(img), NULL, &e) == WN_OK);
	CHECK(!m->is_index);
	CHECK_STR(m->media_type, WN_MT_OCI_MANIFEST);
	CHECK_STR(m->config.digest, D1);
	CHECK(m->n_layers == 1 && m->layers[0].size == 42);
	CHECK(m->len == strlen(img) && !memcmp(m->data, img, m->len));
	char d[WN_DIGEST_MAX];
	wn_digest_sha256(d, img, strlen(img));
	CHECK_STR(m->digest, d);
	wn_manifest_free(m);

	/* OCI without mediaType: Content-Type decides, else the shape */
	const char *nomt = "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
	                   "\"digest\":\"" D1 "\",\"size\":1,\"platform\":{\"os\":\"linux\",\"architecture\":\"arm64\",\"variant\":\"v8\"}}]}";
	CHECK(wn_manifest_parse(&m, nomt, strlen(nomt), "application/vnd.oci.image.index.v1+json; charset=utf-8", &e) == WN_OK);
	CHECK(m->is_index && m->n_manifests == 1);
	CHECK_STR(m->manifests[0].platform->variant, "v8");
	wn_manifest_free(m);
	CHECK(wn_manifest_parse(&m, nomt, strlen(nomt), NULL, &e) == WN_OK);
	CHECK_STR(m->media_type, WN_MT_OCI_INDEX);
	wn_manifest_free(m);

	const char *list = "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.docker.distribution.manifest.list.v2+json\","
	                   "\"manifests\":[]}";
	CHECK(wn_manifest_parse(&m, list, strlen(list), NULL, &e) == WN_OK);
	CHECK(m->is_index && m->n_manifests == 0);
	wn_manifest_free(m);

	/* artifacts: artifactType and subject */
	const char *art = "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
	                  "\"artifactType\":\"application/spdx+json\","
	                  "\"config\":{\"mediaType\":\"application/vnd.oci.empty.v1+json\",\"digest\":\"" D1 "\",\"size\":2},"
	                  "\"layers\":[],\"subject\":{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"" D2 "\",\"size\":9}}";
	CHECK(wn_manifest_parse(&m, art, strlen(art), NULL, &e) == WN_OK);
	CHECK_STR(m->artifact_type, "application/spdx+json");
	CHECK(m->subject && !strcmp(m->subject->digest, D2));
	wn_manifest_free(m);

	/* annotations: the index's, and each entry's (docker buildx's attestation entries) */
	const char *att = "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\","
	                  "\"manifests\":[{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"" D1 "\",\"size\":1,"
	                  "\"platform\":{\"os\":\"linux\",\"architecture\":\"amd64\"}},"
	                  "{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"" D2 "\",\"size\":2,"
	                  "\"annotations\":{\"vnd.docker.reference.type\":\"attestation-manifest\",\"vnd.docker.reference.digest\":\"" D1 "\","
	                  "\"not.a.string\":7},"
	                  "\"platform\":{\"os\":\"unknown\",\"architecture\":\"unknown\"}}],"
	                  "\"annotations\":{\"org.opencontainers.image.created\":\"2024-05-06T07:08:09Z\",\"a\":\"\"}}";
	CHECK(wn_manifest_parse(&m, att, strlen(att), NULL, &e) == WN_OK);
	CHECK(m && m->n_manifests == 2);
	CHECK(m && m->manifests[0].n_annotations == 0 && !wn_descriptor_annotation(&m->manifests[0], "vnd.docker.reference.type"));
	CHECK(m && m->manifests[1].n_annotations == 2); /* the number is left out */
	CHECK_STR(wn_descriptor_annotation(&m->manifests[1], "vnd.docker.reference.type"), "attestation-manifest");
	CHECK_STR(wn_descriptor_annotation(&m->manifests[1], "vnd.docker.reference.digest"), D1);
	CHECK(m && m->n_annotations == 2);
	CHECK_STR(m->annotation_keys[0], "org.opencontainers.image.created");
	CHECK_STR(m->annotation_values[1], "");
	wn_manifest_free(m);

	const char *v1 = "{\"schemaVersion\":1,\"name\":\"x\",\"tag\":\"y\",\"fsLayers\":[]}";
	CHECK(wn_manifest_parse(&m, v1, strlen(v1), NULL, &e) == WN_EUNSUPPORTED && m == NULL);
	CHECK(strstr(e.msg, "schema 1") != NULL);
	CHECK(wn_manifest_parse(&m, "{}", 2, "application/vnd.docker.distribution.manifest.v1+prettyjws", &e) == WN_EUNSUPPORTED);
	/* a signed schema 1 manifest: refused as schema 1 whatever its shape (issue 11) */
	const char *v1s = "{\"schemaVersion\":1,\"name\":\"x\",\"fsLayers\":[],\"signatures\":[{\"protected\":\"e30\"}]}";
	CHECK(wn_manifest_parse(&m, v1s, strlen(v1s), "application/vnd.docker.distribution.manifest.v1+prettyjws", &e) ==
	      WN_EUNSUPPORTED);
	CHECK(strstr(e.msg, "schema 1") != NULL);

	/* the withdrawn OCI artifact manifest (no schemaVersion): a clear refusal, not "malformed" (issue 11) */
	const char *am = "{\"mediaType\":\"application/vnd.oci.artifact.manifest.v1+json\",\"artifactType\":\"a/b\","
	                 "\"blobs\":[{\"mediaType\":\"a/b\",\"digest\":\"" D1 "\",\"size\":1}]}";
	CHECK(wn_manifest_parse(&m, am, strlen(am), NULL, &e) == WN_EUNSUPPORTED && m == NULL);
	CHECK(strstr(e.msg, "unsupported manifest type application/vnd.oci.artifact.manifest.v1+json") != NULL);
	const char *am_nomt = "{\"artifactType\":\"a/b\",\"blobs\":[]}";
	CHECK(wn_manifest_parse(&m, am_nomt, strlen(am_nomt), "application/vnd.oci.artifact.manifest.v1+json; charset=utf-8",
	                        &e) == WN_EUNSUPPORTED);
	CHECK(strstr(e.msg, "unsupported manifest type") != NULL);

	const char *bad[] = {
		"", "[]", "{\"schemaVersion\":2}", "not json",
		"{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"config\":{}}",
		"{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"config\":{\"digest\":\"sha256:zz\",\"size\":1}}",
		"{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"manifests\":{}}",
		"{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"manifests\":[{\"digest\":\"" D1 "\",\"size\":-1}]}",
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		int rc = wn_manifest_parse(&m, bad[i], strlen(bad[i]), NULL, &e);
		CHECK(rc == WN_ECORRUPT && m == NULL);
		if (rc != WN_ECORRUPT)
			printf("  case %zu: %d %s\n", i, rc, e.msg);
	}
	/* sizes: integers in 0..2^63-1 only (UBSan flagged the cast of 1e300 and 2^63) */
	const char *sizes_bad[] = { "1e300", "9223372036854775808", "18446744073709551616", "1.5", "-1", "-0.5", "\"7\"",
	                            "1e999", "true", "null" };
	for (size_t i = 0; i < sizeof sizes_bad / sizeof *sizes_bad; i++) {
		char *doc = malloc(512);
		snprintf(doc, 512, "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
		                   "\"config\":{\"digest\":\"" D1 "\",\"size\":7},\"layers\":[{\"digest\":\"" D2 "\",\"size\":%s}]}",
		         sizes_bad[i]);
		int rc = wn_manifest_parse(&m, doc, strlen(doc), NULL, &e);
		CHECK(rc == WN_ECORRUPT && m == NULL);
		if (rc != WN_ECORRUPT)
			printf("  size %s: %d\n", sizes_bad[i], rc);
		else
			CHECK(strstr(e.msg, "layers[0]") && strstr(e.msg, "size"));
		free(doc);
	}
	const char *sizes_ok[] = { "0", "9007199254740992", "9223372036854774784", "1e3", "-0" };
	const int64_t sizes_val[] = { 0, 9007199254740992LL, 9223372036854774784LL, 1000, 0 };
	for (size_t i = 0; i < sizeof sizes_ok / sizeof *sizes_ok; i++) {
		char *doc = malloc(512);
		snprintf(doc, 512, "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
		                   "\"config\":{\"digest\":\"" D1 "\",\"size\":7},\"layers\":[{\"digest\":\"" D2 "\",\"size\":%s}]}",
		         sizes_ok[i]);
		CHECK(wn_manifest_parse(&m, doc, strlen(doc), NULL, &e) == WN_OK && m->layers[0].size == sizes_val[i]);
		wn_manifest_free(m);
		free(doc);
	}

	/* an index lists at most 1024 descriptors (duplicates count: they cost a fetch each) */
	for (int n = 1024; n <= 1025; n++) {
		char *doc = NULL;
		size_t cap = (size_t)n * 160 + 200, off = 0;
		doc = malloc(cap);
		off += (size_t)snprintf(doc + off, cap - off, "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"manifests\":[");
		for (int k = 0; k < n; k++)
			off += (size_t)snprintf(doc + off, cap - off, "%s{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"" D1 "\",\"size\":9}",
			                        k ? "," : "");
		snprintf(doc + off, cap - off, "]}");
		int rc = wn_manifest_parse(&m, doc, strlen(doc), NULL, &e);
		if (n == 1024) {
			CHECK(rc == WN_OK && m->n_manifests == 1024);
			wn_manifest_free(m);
		} else {
			CHECK(rc == WN_ECORRUPT && m == NULL && strstr(e.msg, "1025") && strstr(e.msg, "1024"));
		}
		free(doc);
	}

	const char *odd = "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.example+json\"}";
	CHECK(wn_manifest_parse(&m, odd, strlen(odd), NULL, &e) == WN_EUNSUPPORTED);

	/* image config */
	struct wn_image_config *c;
	const char *cfg = "{\"created\":\"2024-01-01T00:00:00Z\",\"os\":\"linux\",\"architecture\":\"arm\",\"variant\":\"v7\","
	                  "\"config\":{\"Env\":[\"A=1\",\"B=2\"],\"Labels\":{\"z\":\"1\",\"a\":\"2\",\"m\":\"3\"}},"
	                  "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" D1 "\"]}}";
	CHECK(wn_image_config_parse(&c, cfg, strlen(cfg), &e) == WN_OK);
	CHECK_STR(c->created, "2024-01-01T00:00:00Z");
	CHECK_STR(c->variant, "v7");
	CHECK(c->n_env == 2 && c->n_labels == 3 && c->n_diff_ids == 1);
	CHECK_STR(c->label_keys[0], "a");
	CHECK_STR(c->label_keys[2], "z");
	CHECK_STR(c->label_values[2], "1");
	CHECK(c->cmd == NULL && c->entrypoint == NULL && c->working_dir == NULL); /* not stated */
	wn_image_config_free(c);
	/* what the image runs (issue 11): Cmd, Entrypoint, WorkingDir; [] is stated, not absent */
	const char *run = "{\"config\":{\"Cmd\":[\"/bin/app\",\"--serve\"],\"Entrypoint\":[],\"WorkingDir\":\"/srv\"}}";
	CHECK(wn_image_config_parse(&c, run, strlen(run), &e) == WN_OK);
	CHECK(c->n_cmd == 2 && c->cmd && !strcmp(c->cmd[1], "--serve"));
	CHECK(c->entrypoint != NULL && c->n_entrypoint == 0);
	CHECK_STR(c->working_dir, "/srv");
	wn_image_config_free(c);
	CHECK(wn_image_config_parse(&c, "[1]", 3, &e) == WN_ECORRUPT);
	/* diff_ids become file names (docker-archive): only well-formed digests pass */
	const char *cfg_bad[] = {
		"{\"rootfs\":{\"diff_ids\":[\"sha256:../../../../tmp/x/PWNED\"]}}",
		"{\"rootfs\":{\"diff_ids\":[\"" D1 "\",\"sha256:/etc/passwd\"]}}",
		"{\"rootfs\":{\"diff_ids\":[\"" D1 "\",7]}}",
		"{\"rootfs\":{\"diff_ids\":[\"sha256:ABC\"]}}",
	};
	for (size_t i = 0; i < sizeof cfg_bad / sizeof *cfg_bad; i++) {
		c = (void *)1;
		CHECK(wn_image_config_parse(&c, cfg_bad[i], strlen(cfg_bad[i]), &e) == WN_ECORRUPT && c == NULL);
		CHECK(strstr(e.msg, "diff_ids[") != NULL);
	}
	return TEST_DONE();
}

/*
 * inspect.c: `winch inspect LOCATION`: a summary of an image or index (a
 * registry's, a layout's or an archive's); --raw prints the manifest's exact
 * bytes, --config the config blob's; --platform picks one platform of an index.
 * Several locations (or "-" for a list on stdin) are inspected in parallel
 * and printed in order (batch.c).
 */
#include <cjson/cJSON.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "cmd.h"

static int raw, config;
static const char *platform;

const struct opt_spec inspect_opts[] = {
	{ "raw", 0, OPT_FLAG, &raw, NULL, "print the manifest's exact bytes" },
	{ "config", 0, OPT_FLAG, &config, NULL, "print the image config blob" },
	{ "platform", 0, OPT_STR, &platform, "OS/ARCH[/VARIANT]", "of an index, inspect this platform's image" },
	OPT_END,
};

/* A JSON array of strings, or nothing when the config states none. */
static void add_strings(cJSON *o, const char *key, char *const *items, size_t n)
{
	if (!items)
		return;
	cJSON *a = cJSON_AddArrayToObject(o, key);
	for (size_t i = 0; i < n; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(items[i]));
}

/* Cmd and Entrypoint as JSON arrays on one line (["/bin/sh","-c"]): an
 * argument with a space stays one argument to the eye. */
static void print_strings(const char *label, char *const *items, size_t n)
{
	if (!items)
		return;
	cJSON *a = cJSON_CreateArray();
	for (size_t i = 0; i < n; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(items[i]));
	char *text = cJSON_PrintUnformatted(a);
	printf("%-13s%s\n", label, text ? text : "");
	free(text);
	cJSON_Delete(a);
}

static void platform_str(char *buf, size_t n, const char *os, const char *arch, const char *variant)
{
	snprintf(buf, n, "%s/%s%s%s", os ? os : "?", arch ? arch : "?", variant ? "/" : "", variant ? variant : "");
}

/* Annotations as a JSON object, in the document's order. */
static void add_annotations(cJSON *o, char *const *keys, char *const *values, size_t n)
{
	if (!n)
		return;
	cJSON *a = cJSON_AddObjectToObject(o, "annotations");
	for (size_t i = 0; i < n; i++)
		cJSON_AddStringToObject(a, keys[i], values[i]);
}

static cJSON *desc_json(const struct wn_descriptor *d)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "mediaType", d->media_type);
	cJSON_AddStringToObject(o, "digest", d->digest);
	cJSON_AddNumberToObject(o, "size", (double)d->size);
	if (d->artifact_type)
		cJSON_AddStringToObject(o, "artifactType", d->artifact_type);
	if (d->platform) {
		cJSON *p = cJSON_AddObjectToObject(o, "platform");
		if (d->platform->os)
			cJSON_AddStringToObject(p, "os", d->platform->os);
		if (d->platform->architecture)
			cJSON_AddStringToObject(p, "architecture", d->platform->architecture);
		if (d->platform->variant)
			cJSON_AddStringToObject(p, "variant", d->platform->variant);
		if (d->platform->os_version)
			cJSON_AddStringToObject(p, "os.version", d->platform->os_version);
	}
	add_annotations(o, d->annotation_keys, d->annotation_values, d->n_annotations);
	return o;
}

static void print_json_summary(const struct wn_inspect *in)
{
	const struct wn_manifest *m = in->manifest;
	const struct wn_image_config *c = in->config;
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "name", in->name);
	if (in->tag)
		cJSON_AddStringToObject(o, "tag", in->tag);
	cJSON_AddStringToObject(o, "digest", in->digest);
	if (in->platform)
		cJSON_AddStringToObject(o, "platform", in->platform);
	cJSON_AddStringToObject(o, "mediaType", m->media_type);
	if (m->artifact_type)
		cJSON_AddStringToObject(o, "artifactType", m->artifact_type);
	if (m->is_index) {
		cJSON *arr = cJSON_AddArrayToObject(o, "manifests");
		for (size_t i = 0; i < m->n_manifests; i++)
			cJSON_AddItemToArray(arr, desc_json(&m->manifests[i]));
	} else {
		if (c) {
			if (c->created)
				cJSON_AddStringToObject(o, "created", c->created);
			if (c->author)
				cJSON_AddStringToObject(o, "author", c->author);
			if (c->architecture)
				cJSON_AddStringToObject(o, "architecture", c->architecture);
			if (c->os)
				cJSON_AddStringToObject(o, "os", c->os);
			if (c->variant)
				cJSON_AddStringToObject(o, "variant", c->variant);
			cJSON *labels = cJSON_AddObjectToObject(o, "labels");
			for (size_t i = 0; i < c->n_labels; i++)
				cJSON_AddStringToObject(labels, c->label_keys[i], c->label_values[i]);
			cJSON *env = cJSON_AddArrayToObject(o, "env");
			for (size_t i = 0; i < c->n_env; i++)
				cJSON_AddItemToArray(env, cJSON_CreateString(c->env[i]));
			add_strings(o, "entrypoint", c->entrypoint, c->n_entrypoint);
			add_strings(o, "cmd", c->cmd, c->n_cmd);
			if (c->working_dir)
				cJSON_AddStringToObject(o, "workingDir", c->working_dir);
		}
		cJSON_AddItemToObject(o, "config", desc_json(&m->config));
		cJSON *layers = cJSON_AddArrayToObject(o, "layers");
		for (size_t i = 0; i < m->n_layers; i++)
			cJSON_AddItemToArray(layers, desc_json(&m->layers[i]));
	}
	if (m->subject)
		cJSON_AddItemToObject(o, "subject", desc_json(m->subject));
	add_annotations(o, m->annotation_keys, m->annotation_values, m->n_annotations);
	print_json_out(o);
	cJSON_Delete(o);
}

static void print_annotations(char *const *keys, char *const *values, size_t n)
{
	if (n)
		printf("Annotations:\n");
	for (size_t i = 0; i < n; i++)
		printf("  %s=%s\n", keys[i], values[i]);
}

static void print_text(const struct wn_inspect *in)
{
	const struct wn_manifest *m = in->manifest;
	const struct wn_image_config *c = in->config;
	char plat[256];
	printf("Name:        %s\n", in->name);
	if (in->tag)
		printf("Tag:         %s\n", in->tag);
	printf("Digest:      %s\n", in->digest);
	printf("MediaType:   %s\n", m->media_type);
	if (m->artifact_type)
		printf("ArtifactType: %s\n", m->artifact_type);
	print_annotations(m->annotation_keys, m->annotation_values, m->n_annotations);
	if (m->is_index) {
		/* attestation manifests (docker buildx) are listed under the image they describe */
		printf("Platforms:\n");
		for (size_t i = 0; i < m->n_manifests; i++) {
			const struct wn_descriptor *d = &m->manifests[i];
			if (wn_descriptor_attests(d))
				continue;
			if (d->platform)
				platform_str(plat, sizeof plat, d->platform->os, d->platform->architecture, d->platform->variant);
			else
				snprintf(plat, sizeof plat, "(none)");
			printf("  %-16s %s %" PRId64 "\n", plat, d->digest, d->size);
			for (size_t k = 0; k < m->n_manifests; k++) {
				const char *of = wn_descriptor_attests(&m->manifests[k]);
				if (of && !strcmp(of, d->digest))
					printf("    attestation    %s %" PRId64 "\n", m->manifests[k].digest, m->manifests[k].size);
			}
		}
		for (size_t k = 0; k < m->n_manifests; k++) {
			const char *of = wn_descriptor_attests(&m->manifests[k]);
			bool listed = false;
			for (size_t i = 0; of && i < m->n_manifests && !listed; i++)
				listed = !wn_descriptor_attests(&m->manifests[i]) && !strcmp(of, m->manifests[i].digest);
			if (of && !listed)
				printf("  attestation of %s (not in this index): %s %" PRId64 "\n", *of ? of : "(unnamed)",
				       m->manifests[k].digest, m->manifests[k].size);
		}
		return;
	}
	if (c) {
		platform_str(plat, sizeof plat, c->os, c->architecture, c->variant);
		if (c->created)
			printf("Created:     %s\n", c->created);
		printf("Platform:    %s\n", plat);
		if (c->author)
			printf("Author:      %s\n", c->author);
		if (c->n_labels) {
			printf("Labels:\n");
			for (size_t i = 0; i < c->n_labels; i++)
				printf("  %s=%s\n", c->label_keys[i], c->label_values[i]);
		}
		if (c->n_env) {
			printf("Env:\n");
			for (size_t i = 0; i < c->n_env; i++)
				printf("  %s\n", c->env[i]);
		}
		print_strings("Entrypoint:", c->entrypoint, c->n_entrypoint);
		print_strings("Cmd:", c->cmd, c->n_cmd);
		if (c->working_dir)
			printf("WorkingDir:  %s\n", c->working_dir);
	} else {
		printf("Config:      %s %s\n", m->config.media_type, m->config.digest);
	}
	int64_t total = 0;
	printf("Layers:\n");
	for (size_t i = 0; i < m->n_layers; i++) {
		printf("  %s %" PRId64 " %s\n", m->layers[i].digest, m->layers[i].size, m->layers[i].media_type);
		total += m->layers[i].size;
	}
	printf("Size:        %" PRId64 " bytes in %zu layer%s\n", total, m->n_layers, m->n_layers == 1 ? "" : "s");
	if (m->subject)
		printf("Subject:     %s\n", m->subject->digest);
}

struct inspect_res {
	struct wn_manifest *m;     /* --raw */
	struct wn_inspect *in;     /* the others */
};

static void inspect_free(void *res)
{
	struct inspect_res *r = res;
	wn_manifest_free(r->m);
	wn_inspect_free(r->in);
	free(r);
}

static int inspect_fetch(struct wn_ctx *ctx, const char *ref, void **res, char **msg)
{
	struct inspect_res *r = calloc(1, sizeof *r);
	int rc;
	*res = r;
	if (!r)
		return WN_ENOMEM;
	if (raw)
		return wn_location_manifest(&r->m, ctx, ref, platform);
	if ((rc = wn_location_inspect(&r->in, ctx, ref, platform)) == WN_OK && config && !r->in->config_raw) {
		*msg = strdup(r->in->manifest->is_index ? "has no image config (it is an index: name one platform with --platform)"
		                                        : "has no image config (it is an artifact)");
		return WN_ERROR;
	}
	return rc;
}

static void inspect_print(const char *ref, void *res)
{
	struct inspect_res *r = res;
	if (raw)
		fwrite(r->m->data, 1, r->m->len, stdout);
	else if (config)
		fwrite(r->in->config_raw, 1, r->in->config_len, stdout);
	else if (want_json())
		print_json_summary(r->in);
	else
		print_text(r->in);
}

static const struct batch_ops inspect_ops = { inspect_fetch, inspect_print, inspect_free };

int cmd_inspect(int argc, char **argv)
{
	int rc = 0;
	struct wn_ctx *ctx = NULL;
	void *res = NULL;
	char *msg = NULL;
	if (raw && config)
		return usage_error(NULL, "inspect: --raw and --config are mutually exclusive");
	if (batch_wanted(argc, argv) && (rc = batch_check_platform(platform)) == 0)
		return batch_run(argc, argv, &inspect_ops);
	if (rc)
		return rc;
	if (!(ctx = ctx_open()))
		return EXIT_ERROR;
	if (inspect_fetch(ctx, argv[0], &res, &msg) != WN_OK) {
		if (msg) {
			warn_msg("%s %s", argv[0], msg);
			rc = EXIT_ERROR;
		} else {
			rc = fail_ctx(ctx);
		}
	} else {
		inspect_print(argv[0], res);
	}
	if (res)
		inspect_free(res);
	free(msg);
	wn_ctx_free(ctx);
	return rc;
}

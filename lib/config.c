/*
 * config.c: the image configuration blob (created, platform, env, labels,
 * what it runs, diff_ids), read for inspect, retention by age and archives.
 */
#include <stdlib.h>
#include <string.h>
#include "internal.h"

void wn_image_config_free(struct wn_image_config *c)
{
	if (!c)
		return;
	free(c->created);
	free(c->author);
	free(c->os);
	free(c->architecture);
	free(c->variant);
	for (size_t i = 0; i < c->n_env; i++)
		free(c->env[i]);
	free(c->env);
	for (size_t i = 0; i < c->n_labels; i++) {
		free(c->label_keys[i]);
		free(c->label_values[i]);
	}
	free(c->label_keys);
	free(c->label_values);
	for (size_t i = 0; i < c->n_diff_ids; i++)
		free(c->diff_ids[i]);
	free(c->diff_ids);
	for (size_t i = 0; i < c->n_cmd; i++)
		free(c->cmd[i]);
	free(c->cmd);
	for (size_t i = 0; i < c->n_entrypoint; i++)
		free(c->entrypoint[i]);
	free(c->entrypoint);
	free(c->working_dir);
	free(c);
}

static int strings(char ***out, size_t *n, const cJSON *arr)
{
	const cJSON *e;
	*out = NULL;
	*n = 0;
	if (!cJSON_IsArray(arr))
		return WN_OK;
	*out = calloc((size_t)cJSON_GetArraySize(arr) + 1, sizeof **out);
	if (!*out)
		return WN_ENOMEM;
	cJSON_ArrayForEach(e, arr)
		if (cJSON_IsString(e) && ((*out)[*n] = strdup(e->valuestring)))
			(*n)++;
	return WN_OK;
}

int wn_image_config_parse(struct wn_image_config **out, const void *data, size_t len, struct wn_error *err)
{
	cJSON *j = wn__json_parse(data, len);
	struct wn_image_config *c;
	*out = NULL;
	if (!cJSON_IsObject(j)) {
		cJSON_Delete(j);
		return wn__error_set(err, WN_ECORRUPT, "malformed image config: not a JSON object");
	}
	c = calloc(1, sizeof *c);
	if (!c) {
		cJSON_Delete(j);
		return wn__error_set(err, WN_ENOMEM, "out of memory");
	}
	c->created = wn__strdup(wn__json_str(j, "created"));
	c->author = wn__strdup(wn__json_str(j, "author"));
	c->os = wn__strdup(wn__json_str(j, "os"));
	c->architecture = wn__strdup(wn__json_str(j, "architecture"));
	c->variant = wn__strdup(wn__json_str(j, "variant"));
	const cJSON *cfg = cJSON_GetObjectItemCaseSensitive(j, "config");
	strings(&c->env, &c->n_env, cJSON_GetObjectItemCaseSensitive(cfg, "Env"));
	/* what the image runs: kept apart from "not stated" (NULL) and "stated empty" */
	strings(&c->cmd, &c->n_cmd, cJSON_GetObjectItemCaseSensitive(cfg, "Cmd"));
	strings(&c->entrypoint, &c->n_entrypoint, cJSON_GetObjectItemCaseSensitive(cfg, "Entrypoint"));
	const char *wd = wn__json_str(cfg, "WorkingDir");
	c->working_dir = wd && *wd ? strdup(wd) : NULL;
	const cJSON *labels = cJSON_GetObjectItemCaseSensitive(cfg, "Labels");
	if (cJSON_IsObject(labels)) {
		size_t n = (size_t)cJSON_GetArraySize(labels);
		c->label_keys = calloc(n + 1, sizeof *c->label_keys);
		c->label_values = calloc(n + 1, sizeof *c->label_values);
		const cJSON *e;
		if (c->label_keys && c->label_values)
			cJSON_ArrayForEach(e, labels) {
				if (!cJSON_IsString(e))
					continue;
				/* insertion sort by key: output is stable whatever the JSON order */
				size_t k = c->n_labels++;
				while (k > 0 && strcmp(c->label_keys[k - 1], e->string) > 0) {
					c->label_keys[k] = c->label_keys[k - 1];
					c->label_values[k] = c->label_values[k - 1];
					k--;
				}
				c->label_keys[k] = strdup(e->string);
				c->label_values[k] = strdup(e->valuestring);
			}
	}
	/* diff_ids name files (docker-archive) and are compared with digests:
	 * every one must be a well-formed digest, or the config is refused */
	const cJSON *diffs = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "rootfs"), "diff_ids");
	const cJSON *e, *list = cJSON_IsArray(diffs) ? diffs : NULL;
	size_t i = 0;
	int rc = WN_OK;
	cJSON_ArrayForEach(e, list) {
		if (!cJSON_IsString(e) || wn_digest_validate(e->valuestring, NULL) != WN_OK) {
			rc = wn__error_set(err, WN_ECORRUPT, "malformed image config: rootfs.diff_ids[%zu] is not a valid digest", i);
			break;
		}
		i++;
	}
	if (rc == WN_OK && strings(&c->diff_ids, &c->n_diff_ids, diffs) != WN_OK)
		rc = wn__error_set(err, WN_ENOMEM, "out of memory");
	cJSON_Delete(j);
	if (rc != WN_OK) {
		wn_image_config_free(c);
		return rc;
	}
	*out = c;
	return WN_OK;
}

/*
 * payload.c: cosign's "simple signing" payload, the bytes a .sig layer holds
 * and its signature covers (sigstore pkg/signature/payload/payload.go):
 *   {"critical":{"identity":{"docker-reference":REF},
 *                "image":{"docker-manifest-digest":"sha256:HEX"},
 *                "type":"cosign container image signature"},
 *    "optional":null | {"key":"value",...}}
 * cosign puts the repository (no tag) in docker-reference unless told
 * otherwise (payload.go SimpleContainerImage: p.Image.Repository.Name(),
 * which spells Docker Hub "index.docker.io"); "optional" holds `-a`
 * annotations.  A payload is read with cJSON bounded by its length; the
 * signature covers the exact bytes, never a re-serialised copy.
 */
#include <stdlib.h>
#include <string.h>
#include "sign/sign.h"

void wn__payload_clear(struct wn__payload *p)
{
	free(p->reference);
	free(p->digest);
	cJSON_Delete(p->optional);
	memset(p, 0, sizeof *p);
}

/* the object at key, or NULL */
static const cJSON *obj(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsObject(v) ? v : NULL;
}

int wn__payload_parse(struct wn__payload *p, const void *data, size_t len, struct wn_error *err)
{
	memset(p, 0, sizeof *p);
	cJSON *j = len ? wn__json_parse(data, len) : NULL;
	const cJSON *crit = obj(j, "critical");
	const char *type = wn__json_str(crit, "type");
	const char *ref = wn__json_str(obj(crit, "identity"), "docker-reference");
	const char *dg = wn__json_str(obj(crit, "image"), "docker-manifest-digest");
	const cJSON *opt = cJSON_GetObjectItemCaseSensitive(j, "optional");
	int rc = WN_OK;
	if (!j)
		rc = wn__error_set(err, WN_ECORRUPT, "the payload is not JSON");
	else if (!crit)
		rc = wn__error_set(err, WN_ECORRUPT, "the payload has no \"critical\" object");
	else if (!type || strcmp(type, WN__SIG_TYPE))
		rc = wn__error_set(err, WN_ECORRUPT, "the payload's type is %s%s%s, not \"" WN__SIG_TYPE "\"",
		                   type ? "\"" : "", type ? type : "missing", type ? "\"" : "");
	else if (!dg || wn_digest_validate(dg, NULL) != WN_OK)
		rc = wn__error_set(err, WN_ECORRUPT, "the payload's docker-manifest-digest is missing or not a digest");
	else if (!ref)
		rc = wn__error_set(err, WN_ECORRUPT, "the payload has no docker-reference");
	else if (opt && !cJSON_IsNull(opt) && !cJSON_IsObject(opt))
		rc = wn__error_set(err, WN_ECORRUPT, "the payload's \"optional\" is neither an object nor null");
	if (rc == WN_OK) {
		p->reference = strdup(ref);
		p->digest = strdup(dg);
		p->optional = cJSON_IsObject(opt) ? cJSON_DetachItemFromObjectCaseSensitive(j, "optional") : NULL;
		if (!p->reference || !p->digest) {
			wn__payload_clear(p);
			rc = wn__error_set(err, WN_ENOMEM, "out of memory");
		}
	}
	cJSON_Delete(j);
	return rc;
}

char *wn__payload_make(const char *reference, const char *digest, const char *const *annotations, size_t *len)
{
	cJSON *j = cJSON_CreateObject(), *crit = cJSON_AddObjectToObject(j, "critical");
	cJSON_AddStringToObject(cJSON_AddObjectToObject(crit, "identity"), "docker-reference", reference);
	cJSON_AddStringToObject(cJSON_AddObjectToObject(crit, "image"), "docker-manifest-digest", digest);
	cJSON_AddStringToObject(crit, "type", WN__SIG_TYPE);
	if (annotations && annotations[0]) {
		cJSON *opt = cJSON_AddObjectToObject(j, "optional");
		for (size_t i = 0; annotations[i]; i++) {
			const char *eq = strchr(annotations[i], '=');
			char *k = eq ? strndup(annotations[i], (size_t)(eq - annotations[i])) : NULL;
			if (k) {
				cJSON_DeleteItemFromObjectCaseSensitive(opt, k); /* the last one given wins */
				cJSON_AddStringToObject(opt, k, eq + 1);
			}
			free(k);
		}
	} else {
		cJSON_AddNullToObject(j, "optional");
	}
	char *s = cJSON_PrintUnformatted(j);
	cJSON_Delete(j);
	if (s)
		*len = strlen(s);
	return s;
}

/* The rule, written in the README: the repository must be the one verified;
 * a tag the signature names must be the tag verified (a reference verified by
 * digest alone takes any tag, as containers/image's matchRepoDigestOrExact);
 * a digest it names must be the digest verified. */
bool wn__reference_matches(const char *claimed, const struct wn_ref *verified, char *why, size_t n)
{
	struct wn_ref *c = NULL;
	struct wn_error err;
	bool ok = false;
	if (wn_ref_parse(&c, claimed, 0, &err) != WN_OK) {
		snprintf(why, n, "its docker-reference \"%s\" is not a reference", claimed);
		return false;
	}
	if (strcmp(c->registry, verified->registry) || strcmp(c->repository, verified->repository))
		snprintf(why, n, "it names %s, not %s/%s (--allow-reference-mismatch accepts it)", claimed,
		         verified->registry, verified->repository);
	else if (c->tag && verified->tag && strcmp(c->tag, verified->tag))
		snprintf(why, n, "it names the tag %s, not %s (--allow-reference-mismatch accepts it)", c->tag, verified->tag);
	else if (c->digest && verified->digest && strcmp(c->digest, verified->digest))
		snprintf(why, n, "it names the digest %s, not %s", c->digest, verified->digest);
	else
		ok = true;
	wn_ref_free(c);
	return ok;
}

bool wn__annotations_match(const cJSON *o, const char *const *want, char *why, size_t n)
{
	for (size_t i = 0; want && want[i]; i++) {
		const char *eq = strchr(want[i], '=');
		char key[256];
		if (!eq || (size_t)(eq - want[i]) >= sizeof key) {
			snprintf(why, n, "the annotation \"%s\" asked for is not KEY=VALUE", want[i]);
			return false;
		}
		memcpy(key, want[i], (size_t)(eq - want[i]));
		key[eq - want[i]] = 0;
		const char *have = wn__json_str(o, key);
		if (!have || strcmp(have, eq + 1)) {
			if (have)
				snprintf(why, n, "its annotation %s is \"%s\", not \"%s\"", key, have, eq + 1);
			else
				snprintf(why, n, "it has no annotation %s=%s", key, eq + 1);
			return false;
		}
	}
	return true;
}

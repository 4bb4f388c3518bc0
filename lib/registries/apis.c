/*
 * registries/apis.c: the registry APIs each product lacks and what to use
 * instead, how each refuses to move an immutable tag, and the answers that
 * mean something only for one of them.  The sources of every line are in
 * tests/tools/registry-front.md (the test personalities play them); winch
 * still learns from the answers first: this table only says what an answer
 * means and what to do about it.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "../internal.h"

static const struct {
	/* no registry-API DELETE at all (neither tag nor digest), and what instead */
	const char *no_delete;
	/* no GET /v2/_catalog, and what instead */
	const char *no_catalog;
	/* the catalog only for some accounts: what a denial means */
	const char *catalog_denied;
} apis[WN__V_COUNT] = {
	/* docker/hub-feedback#2360, #1759 (delete through the Hub, not the registry API);
	 * docker/hub-feedback#2094 (registry:catalog:* never granted) */
	[WN__V_DOCKERHUB] = {
		"winch deletes tags through the Docker Hub API: --api hub (the default for docker.io), or on "
		"hub.docker.com (the repository's Tags tab)",
		"search hub.docker.com, or list a namespace's repositories with the Docker Hub API",
		NULL,
	},
	/* podman-container-tools/skopeo#1880 (405 UNSUPPORTED), microsoft/vscode-docker#1525 (no _catalog) */
	[WN__V_GHCR] = {
		"winch deletes package versions through the GitHub REST API: --api github (the default for ghcr.io; "
		"--api-url for GitHub Enterprise), or on github.com (the package's settings)",
		"list packages with the GitHub REST API (GET /orgs/ORG/packages?package_type=container)",
		NULL,
	},
	/* goharbor/harbor#7898: the catalog is for system administrators */
	[WN__V_HARBOR] = {
		NULL,
		NULL,
		"Harbor lists the catalog to system administrators only: log in as one, or list a project's "
		"repositories with Harbor's API (GET /api/v2.0/projects/PROJECT/repositories)",
	},
};

const char *wn__vendor_lacks(enum wn__vendor v, enum wn__api api)
{
	if (v < 0 || v >= WN__V_COUNT)
		return NULL;
	switch (api) {
	case WN__API_DELETE: return apis[v].no_delete;
	case WN__API_CATALOG: return apis[v].no_catalog;
	case WN__API_REFERRERS: return NULL; /* the tag schema stands in for it everywhere */
	}
	return NULL;
}

const char *wn__vendor_denied_hint(enum wn__vendor v, enum wn__api api)
{
	return v >= 0 && v < WN__V_COUNT && api == WN__API_CATALOG ? apis[v].catalog_denied : NULL;
}

int wn__noapi_fail(struct wn_ctx *ctx, const char *registry, enum wn__api api, const char *observed)
{
	static const char *const names[] = { "registry-API DELETE", "catalog API", "referrers API" };
	enum wn__vendor v = wn__vendor_of(registry);
	const char *instead = wn__vendor_lacks(v, api);
	if (!instead && api == WN__API_DELETE)
		/* distribution answers 405 UNSUPPORTED when its deletion is switched off */
		instead = "deletion is disabled there (distribution: storage.delete.enabled: true), or the registry "
		          "deletes through its own API or web interface";
	if (!instead && api == WN__API_CATALOG)
		instead = "list repositories with the registry's own API or web interface";
	if (!instead)
		instead = "winch uses the tag schema (sha256-<hex> tags) instead";
	return wn__ctx_fail(ctx, WN_ENOAPI, "%s (%s) has no %s%s%s%s: %s", registry, wn__vendor_info(v)->display,
	                    names[api], observed && *observed ? " (" : "", observed ? observed : "",
	                    observed && *observed ? ")" : "", instead);
}

bool wn__answer_immutable(long status, const struct wn__regerr *re)
{
	/* ECR: 400 TAG_INVALID "The image tag 'T' already exists in the 'R' repository and cannot be
	 * overwritten because the tag is immutable." (osscontainertools/kaniko#204; before 2025:
	 * "... because the repository is immutable.", moby/buildkit#3776) */
	if (!strcmp(re->code, "TAG_INVALID") && (strstr(re->message, "immutable") || strstr(re->message, "cannot be overwritten")))
		return true;
	/* Harbor: 412 PRECONDITION "Failed to process request due to 'R:T' configured as immutable."
	 * (goharbor/harbor src/server/middleware/immutable/pushmf.go, error.go) */
	if ((status == 412 || !strcmp(re->code, "PRECONDITION")) && strstr(re->message, "immutable"))
		return true;
	return false;
}

bool wn__answer_untag_first(long status, const struct wn__regerr *re)
{
	/* gcr.io and Artifact Registry: 400 GOOGLE_MANIFEST_DANGLING_TAG "Manifest is still referenced
	 * by tag: T" (genuinetools/reg#136, enix/kube-image-keeper#636) */
	return status == 400 && !strcmp(re->code, "GOOGLE_MANIFEST_DANGLING_TAG");
}

const char *wn__user_hint(const char *user)
{
	/* Harbor robot accounts are robot$NAME or robot$PROJECT+NAME (goharbor/harbor#7111, #7464):
	 * unquoted in a shell, "$PROJECT" expands to nothing and leaves "robot+NAME" or "robot" */
	if (!strcmp(user, "robot") || !strncmp(user, "robot+", 6))
		return "a Harbor robot account is named robot$NAME: if a shell expanded its \"$...\", quote the name "
		       "(-u 'robot$project+name')";
	return NULL;
}

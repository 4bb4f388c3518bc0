/*
 * tag.c: more tags on a manifest, and deleting a tag without deleting the image.
 *
 * Registries delete manifests, not tags, and deleting a manifest removes
 * every tag on it (distribution 2.8 has no tag DELETE).  So a tag is removed
 * with the OCI 1.1 tag DELETE where the registry has it, else by pointing
 * the tag at a small placeholder manifest of its own and deleting that: the
 * image and its other tags stay.  Should the placeholder's deletion fail, the
 * tag is put back on the image it held.
 */
#include <stdlib.h>
#include <string.h>
#include <openssl/rand.h>
#include "internal.h"

#define EMPTY_DIGEST "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
#define EMPTY_MT "application/vnd.oci.empty.v1+json"

int wn_tag_validate(const char *tag, struct wn_error *err)
{
	struct wn_ref *r;
	char buf[160];
	if (strlen(tag) > 128 || strchr(tag, '/') || strchr(tag, ':') || strchr(tag, '@'))
		return wn__error_set(err, WN_EINVAL, "invalid tag \"%.60s\"", tag);
	snprintf(buf, sizeof buf, "x:%s", tag);
	if (wn_ref_parse(&r, buf, 0, NULL) != WN_OK)
		return wn__error_set(err, WN_EINVAL,
		                     "invalid tag \"%s\" (letters, digits, '_', '.', '-'; at most 128; not starting with '.' or '-')",
		                     tag);
	wn_ref_free(r);
	return WN_OK;
}

/* The digest `tag` (in ref's repository) holds: WN_OK, WN_ENOTFOUND (no
 * message) when it does not exist, or another failure. */
static int tag_holds(struct wn_ctx *ctx, const struct wn_ref *ref, const char *tag, char have[WN_DIGEST_MAX])
{
	struct wn_ref *r;
	struct wn_error saved = ctx->err;
	if (wn__ref_at(&r, ref, tag, NULL) != WN_OK)
		return wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
	int rc = wn_manifest_head(ctx, r, have, NULL, NULL);
	wn_ref_free(r);
	if (rc == WN_ENOTFOUND)
		ctx->err = saved;
	return rc;
}

int wn_tag_add_opts(struct wn_ctx *ctx, const struct wn_ref *ref, const char *const *tags, size_t n,
                    const struct wn_tag_options *opts, char digest[WN_DIGEST_MAX])
{
	struct wn_manifest *m;
	struct wn_error err;
	unsigned char *skip = NULL;
	char have[WN_DIGEST_MAX];
	int rc;
	for (size_t i = 0; i < n; i++)
		if (wn_tag_validate(tags[i], &err) != WN_OK)
			return wn__ctx_take(ctx, &err);
	if ((rc = wn_manifest_get(&m, ctx, ref)) != WN_OK)
		return rc;
	if (!(skip = calloc(n ? n : 1, 1))) {
		rc = wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
		goto done;
	}
	/* --no-clobber: every tag is checked before any is written, so a refusal
	 * leaves the repository as it was */
	for (size_t i = 0; opts && opts->no_clobber && i < n && rc == WN_OK; i++) {
		int hrc = tag_holds(ctx, ref, tags[i], have);
		if (hrc == WN_ENOTFOUND)
			continue;
		if (hrc != WN_OK)
			rc = hrc;
		else if (!strcmp(have, m->digest))
			skip[i] = 1; /* already there: nothing to write */
		else
			rc = wn__ctx_fail(ctx, WN_EREFUSED, "refusing to move tag %s of %s/%s: it holds %s, not %s "
			                  "(--no-clobber)", tags[i], ref->registry, ref->repository, have, m->digest);
	}
	for (size_t i = 0; i < n && rc == WN_OK; i++) {
		if (skip[i])
			continue;
		struct wn_error before = ctx->err;
		rc = wn__manifest_put(ctx, ref, tags[i], m->data, m->len, m->media_type, NULL);
		if (rc == WN_EREFUSED) {
			/* an immutable tag (ECR refuses even the same digest again): no
			 * error when it already holds the manifest */
			struct wn_error refused = ctx->err;
			if (tag_holds(ctx, ref, tags[i], have) == WN_OK && !strcmp(have, m->digest)) {
				wn__log(ctx, WN_LOG_INFO, "tag %s already holds %s (and is immutable)", tags[i], m->digest);
				ctx->err = before;
				rc = WN_OK;
			} else {
				ctx->err = refused;
			}
		}
	}
	if (rc == WN_OK && digest)
		memcpy(digest, m->digest, WN_DIGEST_MAX);
done:
	free(skip);
	wn_manifest_free(m);
	return rc;
}

int wn_tag_add(struct wn_ctx *ctx, const struct wn_ref *ref, const char *const *tags, size_t n,
               char digest[WN_DIGEST_MAX])
{
	return wn_tag_add_opts(ctx, ref, tags, n, NULL, digest);
}

void wn_delete_result_free(struct wn_delete_result *r)
{
	if (!r)
		return;
	wn_strlist_free(r->tags_removed);
	free(r->refused);
	free(r);
}

/* DELETE /manifests/REF. WN_OK on 2xx; the status in *status (0 when none
 * came back) and the registry's error in *re.  A registry without the API
 * says so (WN_ENOAPI, with what to do instead). */
static int http_delete(struct wn_ctx *ctx, const struct wn_ref *repo, const char *ref, long *status,
                       struct wn__regerr *re)
{
	char *path = wn__sprintf("/v2/%s/manifests/%s", repo->repository, ref);
	char *scope = wn__sprintf("repository:%s:delete", repo->repository);
	struct wn__resp resp;
	struct wn__req req = { .method = "DELETE", .registry = repo->registry, .path = path, .scope = scope };
	int rc = path && scope ? wn__http_do(ctx, &req, &resp) : wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
	const char *what = strchr(ref, ':') ? "a digest" : "a tag";
	char seen[160];
	*status = 0;
	memset(re, 0, sizeof *re);
	if (rc == WN_OK) {
		*status = resp.status;
		wn__regerr_parse(re, resp.body.data, resp.body.len);
		if (resp.status < 200 || resp.status >= 300) {
			char *name = wn__sprintf("%s/%s:%s", repo->registry, repo->repository, ref);
			if (resp.status == 405 || !strcmp(re->code, "UNSUPPORTED")) {
				/* distribution with deletion off, Docker Hub and GHCR to a push
				 * token: 405 UNSUPPORTED; Harbor's DELETE of a tag: 400 UNSUPPORTED */
				snprintf(seen, sizeof seen, "the DELETE of %s answered %ld%s%s", what, resp.status,
				         re->code[0] ? " " : "", re->code);
				rc = wn__noapi_fail(ctx, repo->registry, WN__API_DELETE, seen);
			} else {
				rc = wn__http_fail(ctx, &resp, name ? name : ref);
			}
			free(name);
		}
		wn__resp_free(&resp);
	} else if ((rc == WN_EAUTH || rc == WN_EDENIED) &&
	           wn__vendor_lacks(wn__vendor_of(repo->registry), WN__API_DELETE)) {
		/* Docker Hub and GHCR ask for the delete scope and never grant it: the
		 * refusal is no matter of credentials */
		rc = wn__noapi_fail(ctx, repo->registry, WN__API_DELETE, "it never grants the delete scope");
	}
	free(path);
	free(scope);
	return rc;
}

/* The tags of the repository that point at `digest` (one HEAD per tag). */
static int tags_on(struct wn_ctx *ctx, const struct wn_ref *repo, const char *digest, struct wn_strlist **out);

/* DELETE of a manifest by digest.  A registry that wants its tags gone first
 * (Google's GOOGLE_MANIFEST_DANGLING_TAG) gets them deleted one by one, then
 * the digest: `tags` when the caller knows them, else those found now. */
static int delete_digest(struct wn_ctx *ctx, const struct wn_ref *repo, const char *digest,
                         const struct wn_strlist *tags)
{
	struct wn__regerr re;
	struct wn_strlist *found = NULL;
	struct wn_error saved = ctx->err;
	long status;
	int rc = http_delete(ctx, repo, digest, &status, &re);
	if (rc == WN_OK || !wn__answer_untag_first(status, &re))
		return rc;
	ctx->err = saved;
	wn__log(ctx, WN_LOG_INFO, "%s keeps a manifest while tags point at it: deleting those tags first",
	        repo->registry);
	struct wn_ref *bare;
	if ((rc = wn__ref_at(&bare, repo, NULL, NULL)) != WN_OK)
		return wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
	if (!tags && (rc = tags_on(ctx, bare, digest, &found)) == WN_OK)
		tags = found;
	for (size_t i = 0; rc == WN_OK && tags && i < tags->n; i++)
		rc = http_delete(ctx, bare, tags->items[i], &status, &re);
	if (rc == WN_OK)
		rc = http_delete(ctx, bare, digest, &status, &re);
	wn_ref_free(bare);
	wn_strlist_free(found);
	return rc;
}

/* The tags of the repository that point at `digest` (one HEAD per tag). */
static int tags_on(struct wn_ctx *ctx, const struct wn_ref *repo, const char *digest, struct wn_strlist **out)
{
	struct wn_strlist *all = NULL, *on = calloc(1, sizeof *on);
	int rc = on ? wn_tags_list(&all, ctx, repo) : WN_ENOMEM;
	*out = NULL;
	for (size_t i = 0; rc == WN_OK && i < all->n; i++) {
		struct wn_ref *r;
		char d[WN_DIGEST_MAX];
		if ((rc = wn__ref_at(&r, repo, all->items[i], NULL)) != WN_OK)
			break;
		struct wn_error saved = ctx->err;
		int hrc = wn_manifest_head(ctx, r, d, NULL, NULL);
		wn_ref_free(r);
		if (hrc == WN_ENOTFOUND) { /* deleted meanwhile */
			ctx->err = saved;
			continue;
		}
		if ((rc = hrc) == WN_OK && !strcmp(d, digest))
			rc = wn__strlist_push(on, all->items[i]);
	}
	wn_strlist_free(all);
	if (rc != WN_OK) {
		wn_strlist_free(on);
		return rc;
	}
	wn_tags_sort(on, "name", NULL);
	*out = on;
	return WN_OK;
}

int wn__tag_placeholder_put(struct wn_ctx *ctx, const struct wn_ref *repo, const char *tag,
                            char digest[WN_DIGEST_MAX])
{
	unsigned char nonce[16];
	char hex[33];
	bool have = false;
	int rc;
	if ((rc = wn__blob_exists(ctx, repo, EMPTY_DIGEST, &have)) != WN_OK ||
	    (!have && (rc = wn__blob_put_mem(ctx, repo, EMPTY_DIGEST, "{}", 2)) != WN_OK))
		return rc;
	RAND_bytes(nonce, sizeof nonce);
	for (int i = 0; i < 16; i++)
		snprintf(hex + 2 * i, 3, "%02x", nonce[i]);
	/* unique, so no other tag can point at it */
	cJSON *m = cJSON_CreateObject(), *cfg, *ann;
	cJSON_AddNumberToObject(m, "schemaVersion", 2);
	cJSON_AddStringToObject(m, "mediaType", WN_MT_OCI_MANIFEST);
	cJSON_AddStringToObject(m, "artifactType", "application/vnd.winch.deleted-tag");
	cfg = cJSON_AddObjectToObject(m, "config");
	cJSON_AddStringToObject(cfg, "mediaType", EMPTY_MT);
	cJSON_AddStringToObject(cfg, "digest", EMPTY_DIGEST);
	cJSON_AddNumberToObject(cfg, "size", 2);
	cJSON_AddArrayToObject(m, "layers");
	ann = cJSON_AddObjectToObject(m, "annotations");
	cJSON_AddStringToObject(ann, "dev.winch.deleted-tag", tag);
	cJSON_AddStringToObject(ann, "dev.winch.nonce", hex);
	char *text = cJSON_PrintUnformatted(m);
	cJSON_Delete(m);
	if (!text)
		return wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
	rc = wn__manifest_put(ctx, repo, tag, text, strlen(text), WN_MT_OCI_MANIFEST, digest);
	free(text);
	return rc;
}

/* Points the tag at a placeholder of its own and deletes the placeholder. */
static int untag_with_placeholder(struct wn_ctx *ctx, const struct wn_ref *repo, const char *tag,
                                  const struct wn_manifest *orig)
{
	char pdigest[WN_DIGEST_MAX];
	int rc = wn__tag_placeholder_put(ctx, repo, tag, pdigest);
	if (rc != WN_OK)
		return rc;
	struct wn_strlist just = { (char *[]){ (char *)tag }, 1, 1 };
	if ((rc = delete_digest(ctx, repo, pdigest, &just)) != WN_OK) {
		/* put the tag back on its image: nothing is lost */
		struct wn_error err = ctx->err;
		wn__manifest_put(ctx, repo, tag, orig->data, orig->len, orig->media_type, NULL);
		ctx->err = err;
	}
	return rc;
}

/* Given a digest or --image: the refusal when tags other than the one named go
 * too (unless --force); a dry run keeps it in r->refused and goes on. */
static int refuse_others(struct wn_ctx *ctx, struct wn_delete_result *r, const struct wn_ref *ref,
                         const struct wn_delete_options *opts)
{
	bool others = false;
	for (size_t i = 0; i < r->tags_removed->n; i++)
		if (!ref->tag || strcmp(r->tags_removed->items[i], ref->tag))
			others = true;
	if (!others || opts->force)
		return WN_OK;
	/* whole tag names, as many as a message holds, then how many more */
	struct wn__buf b = { 0 };
	size_t shown = 0;
	for (; shown < r->tags_removed->n && b.len < 1000; shown++) {
		wn__buf_puts(&b, shown ? ", " : "");
		wn__buf_puts(&b, r->tags_removed->items[shown]);
	}
	wn__buf_cstr(&b);
	char more[64] = "";
	if (shown < r->tags_removed->n)
		snprintf(more, sizeof more, " and %zu more", r->tags_removed->n - shown);
	char *why = wn__sprintf("refusing to delete %s: it also removes the tag%s %s%s (--force to do it)", r->digest,
	                        r->tags_removed->n == 1 ? "" : "s", b.data ? (char *)b.data : "", more);
	wn__buf_free(&b);
	if (!why)
		return wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
	if (opts->dry_run) { /* a dry run reports the refusal, it does not fail on it */
		r->refused = why;
		return WN_OK;
	}
	int rc = wn__ctx_fail(ctx, WN_EREFUSED, "%s", why);
	free(why);
	return rc;
}

/* wn_delete through a vendor API: the listing says which image the reference
 * names and which tags it has; the tag or the image goes through the API. */
static int delete_api(struct wn_delete_result *r, struct wn_ctx *ctx, struct wn__vapi *api, const struct wn_ref *ref,
                      const struct wn_delete_options *opts)
{
	struct wn__images imgs = { 0 };
	const struct wn__image *img = NULL;
	char *name = wn_ref_string(ref);
	int rc = api->ops->list(api, ctx, &imgs);
	r->api = api->ops->name;
	for (size_t i = 0; rc == WN_OK && !img && i < imgs.n; i++) {
		const struct wn__image *m = &imgs.v[i];
		bool tag_ok = !ref->tag || ref->digest;
		for (size_t t = 0; !tag_ok && t < m->tags.n; t++)
			tag_ok = !strcmp(m->tags.items[t], ref->tag);
		if (tag_ok && (!ref->digest || !strcmp(ref->digest, m->digest)))
			img = m;
	}
	if (rc == WN_OK && !img)
		rc = wn__ctx_fail(ctx, WN_ENOTFOUND, "manifest unknown: %s lists no %s", api->ops->display,
		                  name ? name : "such image");
	if (rc != WN_OK)
		goto done;
	snprintf(r->digest, sizeof r->digest, "%s", img->digest);
	if (ref->tag && !ref->digest && !opts->image) {
		r->what = WN_DELETE_TAG;
		if (wn__strlist_push(r->tags_removed, ref->tag) != WN_OK) {
			rc = wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
			goto done;
		}
		if (opts->dry_run || (api->ops->may_delete && (rc = api->ops->may_delete(api, ctx)) != WN_OK))
			goto done;
		rc = wn__api_untag(api, ctx, img, ref->tag, &r->method);
		goto done;
	}
	r->what = WN_DELETE_MANIFEST;
	for (size_t t = 0; t < img->tags.n && rc == WN_OK; t++)
		rc = wn__strlist_push(r->tags_removed, img->tags.items[t]) == WN_OK ? WN_OK
		                                                                   : wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
	if (r->tags_removed->n > 1)
		wn_tags_sort(r->tags_removed, "name", NULL);
	if (rc != WN_OK || (rc = refuse_others(ctx, r, ref, opts)) != WN_OK || r->refused || opts->dry_run)
		goto done;
	if (api->ops->may_delete && (rc = api->ops->may_delete(api, ctx)) != WN_OK)
		goto done;
	if (!api->ops->deletes_images)
		wn__log(ctx, WN_LOG_WARN, "%s deletes tags, not images: %s stays in %s/%s without a tag", api->ops->display,
		        img->digest, ref->registry, ref->repository);
	r->method = api->ops->deletes_images ? "manifest-delete" : "tag-delete";
	rc = wn__api_delete_image(api, ctx, img);
done:
	free(name);
	wn__images_free(&imgs);
	return rc;
}

int wn_delete(struct wn_delete_result **out, struct wn_ctx *ctx, const struct wn_ref *ref,
              const struct wn_delete_options *opts)
{
	struct wn_delete_result *r = calloc(1, sizeof *r);
	struct wn_manifest *m = NULL;
	int rc;
	struct wn__vapi *api = NULL;
	*out = NULL;
	if (!r || !(r->tags_removed = calloc(1, sizeof *r->tags_removed))) {
		free(r);
		return wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
	}
	r->api = "registry";
	if ((rc = wn__api_open(&api, ctx, ref, opts->api, opts->api_url)) != WN_OK)
		goto done;
	if (api) {
		rc = delete_api(r, ctx, api, ref, opts);
		goto done;
	}
	if ((rc = wn_manifest_get(&m, ctx, ref)) != WN_OK)
		goto done;
	snprintf(r->digest, sizeof r->digest, "%s", ref->digest ? ref->digest : m->digest);

	if (ref->tag && !ref->digest && !opts->image) {
		/* the tag only */
		r->what = WN_DELETE_TAG;
		wn__strlist_push(r->tags_removed, ref->tag);
		if (opts->dry_run)
			goto done;
		long status;
		struct wn__regerr re;
		struct wn_error saved = ctx->err;
		rc = http_delete(ctx, ref, ref->tag, &status, &re);
		if (rc == WN_OK) {
			r->method = "tag-delete";
			goto done;
		}
		/* no DELETE at all (Docker Hub, GHCR): a placeholder could be put, never deleted */
		if (rc == WN_ENOAPI && wn__vendor_lacks(wn__vendor_of(ref->registry), WN__API_DELETE))
			goto done;
		/* 400 DIGEST_INVALID (distribution 2.8), 400 UNSUPPORTED (Harbor), 404 or 405 on a tag:
		 * no tag DELETE here */
		if (status != 400 && status != 404 && status != 405 && status != 501)
			goto done;
		ctx->err = saved;
		r->method = "placeholder";
		rc = untag_with_placeholder(ctx, ref, ref->tag, m);
		goto done;
	}

	/* the manifest, and with it every tag on it */
	r->what = WN_DELETE_MANIFEST;
	struct wn_ref *repo;
	if ((rc = wn__ref_at(&repo, ref, NULL, NULL)) != WN_OK)
		goto done;
	wn_strlist_free(r->tags_removed);
	r->tags_removed = NULL;
	rc = tags_on(ctx, repo, r->digest, &r->tags_removed);
	wn_ref_free(repo);
	if (rc != WN_OK)
		goto done;
	if ((rc = refuse_others(ctx, r, ref, opts)) != WN_OK || r->refused)
		goto done;
	if (opts->dry_run)
		goto done;
	r->method = "manifest-delete";
	rc = delete_digest(ctx, ref, r->digest, r->tags_removed);
done:
	wn_manifest_free(m);
	wn__api_free(api);
	if (rc != WN_OK) {
		wn_delete_result_free(r);
		return rc;
	}
	r->dry_run = opts->dry_run;
	*out = r;
	return WN_OK;
}

int wn__manifest_delete(struct wn_ctx *ctx, const struct wn_ref *repo, const char *digest)
{
	return delete_digest(ctx, repo, digest, NULL);
}

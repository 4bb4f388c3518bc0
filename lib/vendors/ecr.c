/*
 * vendors/ecr.c: the Amazon ECR API (API version 2015-09-21; AWS's "Amazon
 * ECR API Reference"): the JSON 1.1 protocol (POST / with
 * Content-Type: application/x-amz-json-1.1 and
 * X-Amz-Target: AmazonEC2ContainerRegistry_V20150921.OPERATION), every
 * request signed with Signature Version 4 (sigv4.c) for the service "ecr".
 *   DescribeImages: imageDetails (imageDigest, imageTags, imagePushedAt in
 *     unix seconds, imageSizeInBytes, imageManifestMediaType), untagged images
 *     included, maxResults up to 1000, nextToken pages;
 *   BatchDeleteImage: imageIds of {imageDigest} (the image and every tag) or
 *     {imageTag} ("When you remove the last tag from an image, the image is
 *     deleted from your repository"), failures[] per id;
 *   GetAuthorizationToken: authorizationData[].authorizationToken, base64 of
 *     "AWS:PASSWORD", valid 12 hours (expiresAt).
 * Errors are {"__type": "...#NAME", "message": ...}: AccessDeniedException
 * names the IAM action that was missing, the signature and token errors are
 * credentials refused, ThrottlingException a rate limit (with no reset time).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include "../internal.h"

#define TARGET "AmazonEC2ContainerRegistry_V20150921."

struct ecr {
	struct wn__aws_creds *creds;
	char *region;
	char *account;              /* the registryId of the host name; NULL: the caller's default registry */
	char *registry;
};

static char *ecr_default_url(const char *registry)
{
	return wn__ecr_endpoint(registry);
}

static void ecr_close(struct wn__vapi *a)
{
	struct ecr *e = a->impl;
	if (!e)
		return;
	wn__aws_creds_free(e->creds);
	free(e->region);
	free(e->account);
	free(e->registry);
	free(e);
	a->impl = NULL;
}

static int open_for(struct wn__vapi *a, struct wn_ctx *ctx, const char *registry)
{
	struct ecr *e = calloc(1, sizeof *e);
	int rc;
	if (!e || !(e->registry = strdup(registry))) {
		free(e);
		return wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
	}
	a->impl = e;
	e->account = wn__ecr_account(registry);
	if (!(e->region = wn__aws_region(ctx, registry)))
		return wn__ctx_fail(ctx, WN_EINVAL, "the ECR API for %s: no AWS region (not in the host name; set "
		                    "AWS_REGION, or region in the profile of ~/.aws/config)", registry);
	rc = wn__aws_creds_find(ctx, &e->creds);
	if (rc == WN_ENOTFOUND)
		return wn__ctx_fail(ctx, WN_EAUTH, "unauthorized: the ECR API for %s needs AWS credentials: "
		                    "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE with ~/.aws/credentials",
		                    registry);
	if (rc == WN_OK)
		wn__log(ctx, WN_LOG_DEBUG, "aws: credentials from %s, region %s", e->creds->source, e->region);
	return rc;
}

static int ecr_open(struct wn__vapi *a, struct wn_ctx *ctx)
{
	return open_for(a, ctx, a->repo->registry);
}

/* One operation: *out gets the answer's JSON (caller frees). */
static int call(struct wn__vapi *a, struct wn_ctx *ctx, const char *op, cJSON *body, const char *what, cJSON **out)
{
	struct ecr *e = a->impl;
	char *text = cJSON_PrintUnformatted(body), *target = wn__sprintf("X-Amz-Target: " TARGET "%s", op);
	char *url = wn__sprintf("%s/", a->url), *authz = NULL, *date_h = NULL, *tok_h = NULL, amz_date[17];
	const char *sign_h[] = { "Content-Type: application/x-amz-json-1.1", target, NULL };
	struct wn__resp resp;
	int rc;
	*out = NULL;
	if (!text || !target || !url) {
		rc = wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
		goto done;
	}
	struct wn__sigv4 s = { "POST", url, sign_h, text, strlen(text), e->region, "ecr", (int64_t)time(NULL) };
	if ((rc = wn__sigv4_sign(&s, e->creds, &authz, amz_date, NULL, NULL)) != WN_OK) {
		rc = wn__ctx_fail(ctx, rc, "signing the ECR request for %s failed", what);
		goto done;
	}
	date_h = wn__sprintf("X-Amz-Date: %s", amz_date);
	tok_h = e->creds->session_token ? wn__sprintf("X-Amz-Security-Token: %s", e->creds->session_token) : NULL;
	const char *hdrs[] = { sign_h[0], target, date_h, tok_h, NULL };
	if (!date_h || (e->creds->session_token && !tok_h)) {
		rc = wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
		goto done;
	}
	a->auth = authz; /* this request's signature */
	rc = wn__api_request(a, ctx, "POST", url, hdrs, text, strlen(text), &resp);
	a->auth = NULL;
	if (rc != WN_OK)
		goto done;
	cJSON *j = resp.body.overflow ? NULL : wn__json_parse(resp.body.data, resp.body.len);
	if (resp.status >= 200 && resp.status < 300) {
		if (!cJSON_IsObject(j)) {
			cJSON_Delete(j);
			rc = wn__ctx_fail(ctx, WN_EPROTO, "the ECR API answered %s with no JSON object", what);
		} else {
			*out = j;
		}
		wn__resp_free(&resp);
		goto done;
	}
	/* {"__type": "com.amazon.coral.service#AccessDeniedException", "message": "..."} */
	const char *type = wn__json_str(j, "__type"), *msg = wn__json_str(j, "message");
	if (!msg)
		msg = wn__json_str(j, "Message");
	const char *name = type && strchr(type, '#') ? strchr(type, '#') + 1 : type ? type : "";
	char detail[700];
	snprintf(detail, sizeof detail, "%s%s%.500s", name, *name && msg ? ": " : "", msg ? msg : "");
	if (!strcmp(name, "AccessDeniedException")) {
		free(a->permission);
		a->permission = wn__sprintf("ecr:%s in the IAM policy of the credentials (from %s)", op, e->creds->source);
		resp.status = 403;
		rc = wn__api_fail(a, ctx, &resp, what, detail);
	} else if (!strcmp(name, "UnrecognizedClientException") || !strcmp(name, "InvalidSignatureException") ||
	           !strcmp(name, "IncompleteSignature") || !strcmp(name, "MissingAuthenticationToken") ||
	           !strcmp(name, "ExpiredTokenException") || !strcmp(name, "InvalidClientTokenId") ||
	           !strcmp(name, "SignatureDoesNotMatch")) {
		rc = wn__ctx_fail(ctx, WN_EAUTH, "unauthorized: the ECR API refused the AWS credentials (from %s) for %s "
		                  "(%s)", e->creds->source, what, detail);
	} else if (!strcmp(name, "ThrottlingException") || !strcmp(name, "ThrottledException") ||
	           !strcmp(name, "TooManyRequestsException")) {
		resp.status = 429;
		rc = wn__api_fail(a, ctx, &resp, what, detail);
	} else if (!strcmp(name, "RepositoryNotFoundException") || !strcmp(name, "RegistryNotFoundException")) {
		rc = wn__ctx_fail(ctx, WN_ENOTFOUND, "repository unknown: %s (%s)", what, detail);
	} else {
		rc = wn__api_fail(a, ctx, &resp, what, detail);
	}
	cJSON_Delete(j);
	wn__resp_free(&resp);
done:
	free(text);
	free(target);
	free(url);
	wn__free_secret(authz);
	free(date_h);
	wn__free_secret(tok_h);
	return rc;
}

static cJSON *request_for(struct wn__vapi *a)
{
	struct ecr *e = a->impl;
	cJSON *b = cJSON_CreateObject();
	if (e->account)
		cJSON_AddStringToObject(b, "registryId", e->account);
	cJSON_AddStringToObject(b, "repositoryName", a->repo->repository);
	return b;
}

static int ecr_list(struct wn__vapi *a, struct wn_ctx *ctx, struct wn__images *out)
{
	char *token = NULL, *what = wn__sprintf("DescribeImages of %s/%s", a->repo->registry, a->repo->repository);
	int rc = what ? WN_OK : wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
	for (int page = 0; rc == WN_OK; page++) {
		if (page >= WN__LIST_PAGES_MAX) {
			rc = wn__ctx_fail(ctx, WN_EPROTO, "%s: more than %d pages", what, WN__LIST_PAGES_MAX);
			break;
		}
		cJSON *b = request_for(a), *j = NULL;
		cJSON_AddNumberToObject(b, "maxResults", 1000);
		if (token)
			cJSON_AddStringToObject(b, "nextToken", token);
		rc = call(a, ctx, "DescribeImages", b, what, &j);
		cJSON_Delete(b);
		if (rc != WN_OK)
			break;
		const cJSON *d, *details = cJSON_GetObjectItemCaseSensitive(j, "imageDetails");
		cJSON_ArrayForEach(d, details) {
			const char *digest = wn__json_str(d, "imageDigest");
			struct wn_error derr;
			if (!digest || wn_digest_validate(digest, &derr) != WN_OK) {
				rc = wn__ctx_fail(ctx, WN_EPROTO, "%s: an image without a valid imageDigest", what);
				break;
			}
			if (out->n >= WN__LIST_MAX) {
				rc = wn__ctx_fail(ctx, WN_EPROTO, "%s: more than %u images", what, WN__LIST_MAX);
				break;
			}
			struct wn__image *m = wn__images_add(out, digest);
			const cJSON *t, *pushed = cJSON_GetObjectItemCaseSensitive(d, "imagePushedAt");
			if (!m) {
				rc = wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
				break;
			}
			cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(d, "imageTags"))
				if (cJSON_IsString(t) && wn__strlist_push(&m->tags, t->valuestring) != WN_OK)
					rc = wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
			/* the JSON protocol's timestamps are unix seconds, with a fraction */
			if (cJSON_IsNumber(pushed) && pushed->valuedouble > 0 && pushed->valuedouble < 1e11)
				m->pushed = (int64_t)pushed->valuedouble;
			wn__json_size(cJSON_GetObjectItemCaseSensitive(d, "imageSizeInBytes"), &m->size);
			m->media_type = wn__strdup(wn__json_str(d, "imageManifestMediaType"));
		}
		free(token);
		token = wn__strdup(wn__json_str(j, "nextToken"));
		cJSON_Delete(j);
		if (!token)
			break;
	}
	free(token);
	free(what);
	return rc;
}

/* BatchDeleteImage of one id; its failure, if any, as an error. */
static int batch_delete(struct wn__vapi *a, struct wn_ctx *ctx, const char *key, const char *value, const char *what)
{
	cJSON *b = request_for(a), *ids = cJSON_AddArrayToObject(b, "imageIds"), *id = cJSON_CreateObject(), *j = NULL;
	cJSON_AddStringToObject(id, key, value);
	cJSON_AddItemToArray(ids, id);
	int rc = call(a, ctx, "BatchDeleteImage", b, what, &j);
	cJSON_Delete(b);
	if (rc != WN_OK)
		return rc;
	const cJSON *f = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(j, "failures"), 0);
	if (f) {
		const char *code = wn__json_str(f, "failureCode"), *reason = wn__json_str(f, "failureReason");
		char detail[700];
		snprintf(detail, sizeof detail, "%s%s%.500s", code ? code : "", code && reason ? ": " : "",
		         reason ? reason : "");
		if (code && !strcmp(code, "ImageNotFound"))
			rc = wn__ctx_fail(ctx, WN_ENOTFOUND, "not found: %s (%s)", what, detail);
		else if (code && !strcmp(code, "ImageReferencedByManifestList"))
			rc = wn__ctx_fail(ctx, WN_EREFUSED, "ECR keeps %s: an index lists it (%s)", what, detail);
		else
			rc = wn__ctx_fail(ctx, WN_EPROTO, "the ECR API did not delete %s (%s)", what, detail);
	}
	cJSON_Delete(j);
	return rc;
}

static int ecr_delete_tag(struct wn__vapi *a, struct wn_ctx *ctx, const char *digest, const char *tag)
{
	char *what = wn__sprintf("tag %s of %s/%s", tag, a->repo->registry, a->repo->repository);
	int rc = what ? batch_delete(a, ctx, "imageTag", tag, what) : wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
	free(what);
	return rc;
}

static int ecr_delete_image(struct wn__vapi *a, struct wn_ctx *ctx, const char *digest, const char *id)
{
	char *what = wn__sprintf("%s/%s@%s", a->repo->registry, a->repo->repository, digest);
	int rc = what ? batch_delete(a, ctx, "imageDigest", digest, what) : wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
	free(what);
	return rc;
}

const struct wn__vapi_ops wn__api_ecr = {
	.name = "ecr",
	.display = "the ECR API",
	.lists_untagged = true,
	.deletes_images = true,
	.untags = true,
	.last_tag_takes_image = true,
	.default_url = ecr_default_url,
	.open = ecr_open,
	.list = ecr_list,
	.delete_tag = ecr_delete_tag,
	.delete_image = ecr_delete_image,
	.close = ecr_close,
};

int wn__ecr_login(struct wn_ctx *ctx, const char *registry, char **user, char **pass, int64_t *expires)
{
	struct wn__vapi a = { &wn__api_ecr, NULL, wn__ecr_endpoint(registry), NULL, NULL, NULL };
	cJSON *b = NULL, *j = NULL;
	char *what = wn__sprintf("GetAuthorizationToken for %s", registry);
	unsigned char *raw = NULL;
	size_t len = 0;
	int rc;
	*user = *pass = NULL;
	if (!a.url) {
		rc = wn__ctx_fail(ctx, WN_EINVAL, "%s: no ECR API URL: not an ECR host name "
		                  "(ACCOUNT.dkr.ecr.REGION.amazonaws.com), and AWS_ENDPOINT_URL_ECR is not set", registry);
		goto done;
	}
	for (size_t n = strlen(a.url); n && a.url[n - 1] == '/'; n--)
		a.url[n - 1] = 0;
	if (!what) {
		rc = wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
		goto done;
	}
	if ((rc = open_for(&a, ctx, registry)) != WN_OK)
		goto done;
	struct ecr *e = a.impl;
	b = cJSON_CreateObject();
	if (e->account) /* a password for this registry, not only the caller's own */
		cJSON_AddItemToObject(b, "registryIds", cJSON_CreateStringArray((const char *[]){ e->account }, 1));
	if ((rc = call(&a, ctx, "GetAuthorizationToken", b, what, &j)) != WN_OK)
		goto done;
	const cJSON *d = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(j, "authorizationData"), 0);
	const char *tok = wn__json_str(d, "authorizationToken");
	const cJSON *exp = cJSON_GetObjectItemCaseSensitive(d, "expiresAt");
	char *colon;
	if (!tok || !(raw = wn__b64_decode(tok, &len)) || !(colon = memchr(raw, ':', len))) {
		rc = wn__ctx_fail(ctx, WN_EPROTO, "%s: the answer holds no authorizationToken of the form base64(USER:PASSWORD)",
		                  what);
		goto done;
	}
	*user = strndup((char *)raw, (size_t)(colon - (char *)raw));
	*pass = strndup(colon + 1, len - (size_t)(colon + 1 - (char *)raw));
	if (expires)
		*expires = cJSON_IsNumber(exp) ? (int64_t)exp->valuedouble : -1;
	if (!*user || !*pass) {
		free(*user);
		wn__free_secret(*pass);
		*user = *pass = NULL;
		rc = wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
	}
	wn__log(ctx, WN_LOG_INFO, "%s: a password from GetAuthorizationToken (AWS credentials from %s)", registry,
	        e->creds->source);
done:
	if (raw) {
		memset(raw, 0, len);
		free(raw);
	}
	cJSON_Delete(b);
	if (j) { /* the answer holds the password */
		char *t = (char *)wn__json_str(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(j, "authorizationData"), 0),
		                               "authorizationToken");
		if (t)
			memset(t, 0, strlen(t));
		cJSON_Delete(j);
	}
	free(what);
	ecr_close(&a);
	free(a.url);
	free(a.permission);
	return rc;
}

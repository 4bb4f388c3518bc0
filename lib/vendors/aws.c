/*
 * vendors/aws.c: AWS credentials and regions, found as the AWS tools find
 * them (AWS CLI User Guide, "Configuration and credential file settings" and
 * "Environment variables to configure the AWS CLI"; botocore's credential
 * chain puts the environment's keys before the profile's):
 *   1. AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN);
 *   2. the profile AWS_PROFILE names (else "default") in the shared
 *      credentials file (AWS_SHARED_CREDENTIALS_FILE, else ~/.aws/credentials,
 *      sections [NAME]), then in the config file (AWS_CONFIG_FILE, else
 *      ~/.aws/config, sections [profile NAME] and [default]).
 * Static keys only: a profile that assumes a role, uses SSO or runs a
 * credential_process is refused by name (the CLI's `aws configure
 * export-credentials --format env` turns any of them into the variables).
 * The region comes from the ECR host name, else AWS_REGION, AWS_DEFAULT_REGION
 * and the profile's `region`.  Secrets are wiped when freed.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "../internal.h"

#define INI_MAX (1u << 20)

void wn__aws_creds_free(struct wn__aws_creds *c)
{
	if (!c)
		return;
	free(c->access_key);
	wn__free_secret(c->secret_key);
	wn__free_secret(c->session_token);
	free(c->source);
	free(c);
}

static const char *env(const char *name)
{
	const char *v = getenv(name);
	return v && *v ? v : NULL;
}

static char *home_file(const char *var, const char *rel)
{
	const char *v = env(var), *home = env("HOME");
	if (v)
		return strdup(v);
	return home ? wn__sprintf("%s/%s", home, rel) : NULL;
}

static const char *profile_name(void)
{
	const char *p = env("AWS_PROFILE");
	return p ? p : env("AWS_DEFAULT_PROFILE") ? env("AWS_DEFAULT_PROFILE") : "default";
}

/* The keys of one section of an INI file, as "key\0value\0" pairs in *out
 * (n pairs); WN_ENOTFOUND when the file or the section is not there. */
struct ini {
	char **k, **v;
	size_t n;
};

static void ini_free(struct ini *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->k[i]);
		wn__free_secret(s->v[i]);
	}
	free(s->k);
	free(s->v);
	memset(s, 0, sizeof *s);
}

static const char *ini_get(const struct ini *s, const char *key)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcasecmp(s->k[i], key))
			return s->v[i];
	return NULL;
}

static char *strip(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	char *e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = 0;
	return s;
}

/* The section `want` ("default", "profile ci") of the file; its keys in *out. */
static int ini_section(struct wn_ctx *ctx, const char *path, const char *want, struct ini *out)
{
	unsigned char *data;
	size_t len;
	int rc = wn__file_read(ctx, path, INI_MAX, &data, &len);
	bool in = false, found = false;
	memset(out, 0, sizeof *out);
	if (rc != WN_OK)
		return rc;
	for (char *line = (char *)data, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = 0;
		char *l = strip(line);
		if (!*l || *l == '#' || *l == ';')
			continue;
		if (*l == '[') {
			char *end = strchr(l, ']');
			if (end)
				*end = 0;
			char *name = strip(l + 1);
			/* "[profile  ci]" and "[profile ci]" are one section */
			if (!strncmp(name, "profile", 7) && isspace((unsigned char)name[7])) {
				char *rest = strip(name + 7);
				in = !strncmp(want, "profile ", 8) && !strcmp(rest, want + 8);
			} else {
				in = !strcmp(name, want);
			}
			found |= in;
			continue;
		}
		char *eq = strchr(l, '=');
		if (!in || !eq)
			continue;
		*eq = 0;
		char **k = realloc(out->k, (out->n + 1) * sizeof *k), **v = k ? realloc(out->v, (out->n + 1) * sizeof *v) : NULL;
		if (k)
			out->k = k;
		if (v)
			out->v = v;
		if (!k || !v || !(out->k[out->n] = strdup(strip(l)))) {
			ini_free(out);
			wn__free_secret((char *)data);
			return wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
		}
		if (!(out->v[out->n] = strdup(strip(eq + 1)))) {
			free(out->k[out->n]);
			ini_free(out);
			wn__free_secret((char *)data);
			return wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
		}
		out->n++;
	}
	wn__free_secret((char *)data);
	if (!found) {
		ini_free(out);
		return WN_ENOTFOUND;
	}
	return WN_OK;
}

/* Keys from one section; WN_ENOTFOUND when it holds none. */
static int from_section(struct wn_ctx *ctx, const struct ini *s, const char *where, struct wn__aws_creds **out)
{
	static const char *const unsupported[] = { "role_arn", "sso_session", "sso_start_url", "credential_process",
		                                       "web_identity_token_file", "credential_source", NULL };
	const char *ak = ini_get(s, "aws_access_key_id"), *sk = ini_get(s, "aws_secret_access_key");
	if (ak && sk) {
		struct wn__aws_creds *c = calloc(1, sizeof *c);
		const char *tok = ini_get(s, "aws_session_token");
		if (!c || !(c->access_key = strdup(ak)) || !(c->secret_key = strdup(sk)) ||
		    (tok && *tok && !(c->session_token = strdup(tok))) || !(c->source = strdup(where))) {
			wn__aws_creds_free(c);
			return wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
		}
		*out = c;
		return WN_OK;
	}
	for (const char *const *u = unsupported; *u; u++)
		if (ini_get(s, *u))
			return wn__ctx_fail(ctx, WN_EUNSUPPORTED,
			                    "%s uses %s, which winch does not do: it reads static keys only (aws configure "
			                    "export-credentials --format env gives them as environment variables)", where, *u);
	return WN_ENOTFOUND;
}

int wn__aws_creds_find(struct wn_ctx *ctx, struct wn__aws_creds **out)
{
	const char *ak = env("AWS_ACCESS_KEY_ID"), *sk = env("AWS_SECRET_ACCESS_KEY");
	const char *profile = profile_name();
	struct ini s;
	int rc;
	*out = NULL;
	if (ak && sk) {
		struct wn__aws_creds *c = calloc(1, sizeof *c);
		const char *tok = env("AWS_SESSION_TOKEN");
		if (!c || !(c->access_key = strdup(ak)) || !(c->secret_key = strdup(sk)) ||
		    (tok && !(c->session_token = strdup(tok))) || !(c->source = strdup("the environment"))) {
			wn__aws_creds_free(c);
			return wn__ctx_fail(ctx, WN_ENOMEM, "out of memory");
		}
		*out = c;
		return WN_OK;
	}
	/* the shared credentials file: [NAME] */
	char *path = home_file("AWS_SHARED_CREDENTIALS_FILE", ".aws/credentials");
	if (path) {
		char *where = wn__sprintf("%s [%s]", path, profile);
		rc = ini_section(ctx, path, profile, &s);
		if (rc == WN_OK) {
			rc = where ? from_section(ctx, &s, where, out) : WN_ENOMEM;
			ini_free(&s);
		}
		free(where);
		free(path);
		if (rc != WN_ENOTFOUND)
			return rc;
	}
	/* the config file: [profile NAME], and [default] */
	path = home_file("AWS_CONFIG_FILE", ".aws/config");
	if (path) {
		char *sect = strcmp(profile, "default") ? wn__sprintf("profile %s", profile) : strdup("default");
		char *where = sect ? wn__sprintf("%s [%s]", path, sect) : NULL;
		rc = where ? ini_section(ctx, path, sect, &s) : WN_ENOMEM;
		if (rc == WN_OK) {
			rc = from_section(ctx, &s, where, out);
			ini_free(&s);
		}
		free(sect);
		free(where);
		free(path);
		if (rc != WN_ENOTFOUND)
			return rc;
	}
	return WN_ENOTFOUND;
}

/* The parts of ACCOUNT.dkr.ecr[-fips].REGION.amazonaws.com[.cn][:port]: false when it is no ECR host name. */
static bool ecr_host(const char *registry, char account[13], char region[64], bool *china)
{
	const char *dot = strchr(registry, '.');
	size_t n = strcspn(registry, ":");
	if (!dot || dot - registry != 12)
		return false;
	for (const char *p = registry; p < dot; p++)
		if (!isdigit((unsigned char)*p))
			return false;
	const char *r = dot + 1;
	if (!strncmp(r, "dkr.ecr.", 8))
		r += 8;
	else if (!strncmp(r, "dkr.ecr-fips.", 13))
		r += 13;
	else
		return false;
	const char *end = registry + n;
	const char *rdot = memchr(r, '.', (size_t)(end - r));
	if (!rdot || rdot == r || rdot - r >= 64)
		return false;
	size_t rest = (size_t)(end - rdot);
	*china = rest == 17 && !strncmp(rdot, ".amazonaws.com.cn", 17);
	if (!*china && !(rest == 14 && !strncmp(rdot, ".amazonaws.com", 14)))
		return false;
	memcpy(account, registry, 12);
	account[12] = 0;
	memcpy(region, r, (size_t)(rdot - r));
	region[rdot - r] = 0;
	return true;
}

char *wn__ecr_account(const char *registry)
{
	char account[13], region[64];
	bool cn;
	return ecr_host(registry, account, region, &cn) ? strdup(account) : NULL;
}

char *wn__aws_region(struct wn_ctx *ctx, const char *registry)
{
	char account[13], region[64];
	bool cn;
	if (registry && ecr_host(registry, account, region, &cn))
		return strdup(region);
	if (env("AWS_REGION"))
		return strdup(env("AWS_REGION"));
	if (env("AWS_DEFAULT_REGION"))
		return strdup(env("AWS_DEFAULT_REGION"));
	const char *profile = profile_name();
	char *path = home_file("AWS_CONFIG_FILE", ".aws/config");
	char *sect = strcmp(profile, "default") ? wn__sprintf("profile %s", profile) : strdup("default");
	char *out = NULL;
	struct ini s;
	struct wn_error saved = ctx->err;
	/* a config file that cannot be read says nothing of the region */
	if (path && sect && ini_section(ctx, path, sect, &s) == WN_OK) {
		const char *r = ini_get(&s, "region");
		out = r && *r ? strdup(r) : NULL;
		ini_free(&s);
	}
	ctx->err = saved;
	free(path);
	free(sect);
	return out;
}

char *wn__ecr_endpoint(const char *registry)
{
	char account[13], region[64];
	bool cn;
	/* the AWS SDKs' service-specific endpoint variables (SDKs and Tools
	 * Reference Guide, "Service-specific endpoints") */
	if (env("AWS_ENDPOINT_URL_ECR"))
		return strdup(env("AWS_ENDPOINT_URL_ECR"));
	if (env("AWS_ENDPOINT_URL"))
		return strdup(env("AWS_ENDPOINT_URL"));
	if (!registry || !ecr_host(registry, account, region, &cn))
		return NULL;
	return wn__sprintf("https://api.ecr.%s.amazonaws.com%s", region, cn ? ".cn" : "");
}

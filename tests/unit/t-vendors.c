/*
 * t-vendors.c: the vendor APIs' choice from the registry host (lib/vendors/api.c), ECR host names,
 * regions and endpoints, AWS credentials from the environment and the ~/.aws files as the AWS
 * tools read them (lib/vendors/aws.c), and the times the APIs give (RFC 3339).
 */
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include "harness.h"
#include "internal.h"

static const char *choose(const char *reg, const char *repo, const char *api, const char *url)
{
	struct wn_ref r = { (char *)reg, (char *)repo, NULL, NULL };
	return wn__api_choose(&r, api, url);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
}

int main(void)
{
	char dir[] = "/tmp/t-vendors-XXXXXX", path[256], *s;
	struct wn_ctx *ctx;
	struct wn__aws_creds *c = NULL;
	int64_t t;
	const char *ecr = "123456789012.dkr.ecr.eu-west-1.amazonaws.com";
	unsetenv("WINCH_REGISTRY_VENDOR");
	unsetenv("AWS_ENDPOINT_URL_ECR");
	unsetenv("AWS_ENDPOINT_URL");
	/* the default backend: where winch knows the API's URL, else the registry API */
	CHECK_STR(choose("docker.io", "library/alpine", NULL, NULL), "hub");
	CHECK_STR(choose("ghcr.io", "org/app", NULL, NULL), "github");
	CHECK_STR(choose(ecr, "app", NULL, NULL), "ecr");
	CHECK_STR(choose("123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn", "app", NULL, NULL), "ecr");
	CHECK_STR(choose("quay.io", "org/app", NULL, NULL), "registry");
	CHECK_STR(choose("registry.example.com", "app", NULL, NULL), "registry");
	CHECK_STR(choose("docker.io", "library/alpine", "registry", NULL), "registry");
	CHECK_STR(choose("registry.example.com", "proj/app", "harbor", NULL), "harbor");
	/* a host named by WINCH_REGISTRY_VENDOR: its API needs a URL (or AWS_ENDPOINT_URL_ECR) */
	setenv("WINCH_REGISTRY_VENDOR", "127.0.0.1:5000=ghcr,127.0.0.1:5001=harbor,127.0.0.1:5002=ecr", 1);
	CHECK_STR(choose("127.0.0.1:5000", "alice/app", NULL, NULL), "registry");
	CHECK_STR(choose("127.0.0.1:5000", "alice/app", NULL, "http://127.0.0.2:9"), "github");
	CHECK_STR(choose("127.0.0.1:5001", "p/app", NULL, NULL), "registry");
	CHECK_STR(choose("127.0.0.1:5001", "p/app", NULL, "http://127.0.0.1:5001"), "harbor");
	CHECK_STR(choose("127.0.0.1:5002", "app", NULL, NULL), "registry");
	setenv("AWS_ENDPOINT_URL_ECR", "http://127.0.0.2:9", 1);
	CHECK_STR(choose("127.0.0.1:5002", "app", NULL, NULL), "ecr");
	unsetenv("AWS_ENDPOINT_URL_ECR");
	unsetenv("WINCH_REGISTRY_VENDOR");
	/* ECR host names */
	CHECK_STR((s = wn__ecr_endpoint(ecr)), "https://api.ecr.eu-west-1.amazonaws.com");
	free(s);
	CHECK_STR((s = wn__ecr_account(ecr)), "123456789012");
	free(s);
	CHECK((s = wn__ecr_account("12345678901.dkr.ecr.eu-west-1.amazonaws.com")) == NULL);
	CHECK((s = wn__ecr_account("123456789012.dkr.ecr.eu-west-1.amazonaws.com.evil.example")) == NULL);
	CHECK((s = wn__ecr_endpoint("ghcr.io")) == NULL);
	/* credentials and regions, as the AWS tools find them */
	if (!mkdtemp(dir))
		return 1;
	setenv("HOME", dir, 1);
	unsetenv("AWS_ACCESS_KEY_ID");
	unsetenv("AWS_SECRET_ACCESS_KEY");
	unsetenv("AWS_SESSION_TOKEN");
	unsetenv("AWS_REGION");
	unsetenv("AWS_DEFAULT_REGION");
	unsetenv("AWS_PROFILE");
	unsetenv("AWS_CONFIG_FILE");
	unsetenv("AWS_SHARED_CREDENTIALS_FILE");
	wn_ctx_new(&ctx, NULL);
	CHECK(wn__aws_creds_find(ctx, &c) == WN_ENOTFOUND && !c);
	snprintf(path, sizeof path, "%s/.aws", dir);
	mkdir(path, 0700);
	snprintf(path, sizeof path, "%s/.aws/credentials", dir);
	write_file(path, "# comment\n[default]\naws_access_key_id = AKIDDEFAULT\naws_secret_access_key = s1\n"
	                 "[ci]\naws_access_key_id=AKIDCI\naws_secret_access_key=s2\naws_session_token = tok\n");
	snprintf(path, sizeof path, "%s/.aws/config", dir);
	write_file(path, "[default]\nregion = us-east-2\n[profile  ci]\nregion=eu-central-1\n"
	                 "[profile sso]\nsso_session = corp\n[profile cfg]\naws_access_key_id = AKIDCFG\n"
	                 "aws_secret_access_key = s3\n");
	CHECK(wn__aws_creds_find(ctx, &c) == WN_OK && c && !strcmp(c->access_key, "AKIDDEFAULT") && !c->session_token);
	wn__aws_creds_free(c);
	CHECK_STR((s = wn__aws_region(ctx, "registry.example.com")), "us-east-2");
	free(s);
	CHECK_STR((s = wn__aws_region(ctx, ecr)), "eu-west-1"); /* the host's region wins */
	free(s);
	setenv("AWS_PROFILE", "ci", 1);
	CHECK(wn__aws_creds_find(ctx, &c) == WN_OK && c && !strcmp(c->access_key, "AKIDCI") && c->session_token &&
	      !strcmp(c->session_token, "tok"));
	wn__aws_creds_free(c);
	CHECK_STR((s = wn__aws_region(ctx, NULL)), "eu-central-1");
	free(s);
	setenv("AWS_PROFILE", "cfg", 1); /* keys in the config file's [profile cfg] */
	CHECK(wn__aws_creds_find(ctx, &c) == WN_OK && c && !strcmp(c->access_key, "AKIDCFG"));
	wn__aws_creds_free(c);
	setenv("AWS_PROFILE", "sso", 1);
	c = NULL;
	CHECK(wn__aws_creds_find(ctx, &c) == WN_EUNSUPPORTED && !c && strstr(wn_ctx_errmsg(ctx), "sso_session"));
	setenv("AWS_ACCESS_KEY_ID", "AKIDENV", 1); /* the environment's keys come before any profile */
	setenv("AWS_SECRET_ACCESS_KEY", "s4", 1);
	CHECK(wn__aws_creds_find(ctx, &c) == WN_OK && c && !strcmp(c->access_key, "AKIDENV"));
	wn__aws_creds_free(c);
	setenv("AWS_REGION", "ap-south-1", 1);
	CHECK_STR((s = wn__aws_region(ctx, NULL)), "ap-south-1");
	free(s);
	wn_ctx_free(ctx);
	snprintf(path, sizeof path, "rm -rf '%s'", dir);
	if (system(path))
		return 1;
	/* the APIs' times */
	CHECK(wn__time_parse("2021-01-05T21:06:53.506400Z", &t) && t == 1609880813);
	CHECK(wn__time_parse("2021-01-05T22:06:53+01:00", &t) && t == 1609880813);
	CHECK(!wn__time_parse("yesterday", &t));
	return TEST_DONE();
}

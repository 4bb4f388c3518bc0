/*
 * t-sigv4.c: Signature Version 4 (lib/vendors/sigv4.c) against AWS's
 * published Signature Version 4 test suite (aws-sig-v4-test-suite, from the
 * AWS General Reference; the same files ship in botocore's
 * tests/unit/auth/aws4_testsuite): credentials AKIDEXAMPLE /
 * wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY, region us-east-1, service
 * "service", 20150830T123600Z.  Each case checks the canonical request, the
 * string to sign and the Authorization header the suite gives.
 */
#include <stdlib.h>
#include "harness.h"
#include "internal.h"

#define T_2015 1440938160 /* 2015-08-30T12:36:00Z */
#define CRED "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
#define EMPTY_SHA "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define STS(h) "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n" h

static void one(const char *name, const char *method, const char *url, const char *const *headers, const char *body,
                const char *token, const char *creq, const char *sts, const char *authz)
{
	struct wn__aws_creds c = { "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", (char *)token, "test" };
	struct wn__sigv4 r = { method, url, headers, body, body ? strlen(body) : 0, "us-east-1", "service", T_2015 };
	char *a = NULL, *cr = NULL, *st = NULL, date[17];
	int rc = wn__sigv4_sign(&r, &c, &a, date, &cr, &st);
	printf("# %s\n", name);
	CHECK(rc == WN_OK);
	CHECK_STR(date, "20150830T123600Z");
	CHECK_STR(cr, creq);
	CHECK_STR(st, sts);
	CHECK_STR(a, authz);
	free(a);
	free(cr);
	free(st);
}

int main(void)
{
	one("get-vanilla", "GET", "https://example.amazonaws.com/", NULL, NULL, NULL,
	    "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n" EMPTY_SHA,
	    STS("bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63"),
	    CRED "SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
	one("get-vanilla-query-order-key-case", "GET", "https://example.amazonaws.com/?Param2=value2&Param1=value1", NULL,
	    NULL, NULL,
	    "GET\n/\nParam1=value1&Param2=value2\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n"
	    EMPTY_SHA,
	    STS("816cd5b414d056048ba4f7c5386d6e0533120fb1fcfa93762cf0fc39e2cf19e0"),
	    CRED "SignedHeaders=host;x-amz-date, Signature=b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500");
	const char *const trim[] = { "My-Header1: value1", "My-Header2: \"a   b   c\"", NULL };
	one("get-header-value-trim", "GET", "https://example.amazonaws.com/", trim, NULL, NULL,
	    "GET\n/\n\nhost:example.amazonaws.com\nmy-header1:value1\nmy-header2:\"a b c\"\nx-amz-date:20150830T123600Z\n\n"
	    "host;my-header1;my-header2;x-amz-date\n" EMPTY_SHA,
	    STS("a726db9b0df21c14f559d0a978e563112acb1b9e05476f0a6a1c7d68f28605c7"),
	    CRED "SignedHeaders=host;my-header1;my-header2;x-amz-date, "
	         "Signature=acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736");
	const char *const dup[] = { "My-Header1:value2", "My-Header1:value2", "My-Header1:value1", NULL };
	one("get-header-key-duplicate", "GET", "https://example.amazonaws.com/", dup, NULL, NULL,
	    "GET\n/\n\nhost:example.amazonaws.com\nmy-header1:value2,value2,value1\nx-amz-date:20150830T123600Z\n\n"
	    "host;my-header1;x-amz-date\n" EMPTY_SHA,
	    STS("dc7f04a3abfde8d472b0ab1a418b741b7c67174dad1551b4117b15527fbe966c"),
	    CRED "SignedHeaders=host;my-header1;x-amz-date, "
	         "Signature=c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea");
	one("post-vanilla", "POST", "https://example.amazonaws.com/", NULL, NULL, NULL,
	    "POST\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n" EMPTY_SHA,
	    STS("553f88c9e4d10fc9e109e2aeb65f030801b70c2f6468faca261d401ae622fc87"),
	    CRED "SignedHeaders=host;x-amz-date, Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b");
	const char *const form[] = { "Content-Type:application/x-www-form-urlencoded", NULL };
	one("post-x-www-form-urlencoded", "POST", "https://example.amazonaws.com/", form, "Param1=value1", NULL,
	    "POST\n/\n\ncontent-type:application/x-www-form-urlencoded\nhost:example.amazonaws.com\n"
	    "x-amz-date:20150830T123600Z\n\ncontent-type;host;x-amz-date\n"
	    "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e",
	    STS("42a5e5bb34198acb3e84da4f085bb7927f2bc277ca766e6d19c73c2154021281"),
	    CRED "SignedHeaders=content-type;host;x-amz-date, "
	         "Signature=ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a");
	const char *token = "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIe"
	                    "oIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq"
	                    "5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC"
	                    "9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==";
	char creq[2048];
	snprintf(creq, sizeof creq,
	         "POST\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\nx-amz-security-token:%s\n\n"
	         "host;x-amz-date;x-amz-security-token\n" EMPTY_SHA, token);
	one("post-sts-header-before", "POST", "https://example.amazonaws.com/", NULL, NULL, token, creq,
	    STS("c237e1b440d4c63c32ca95b5b99481081cb7b13c7e40434868e71567c1a882f6"),
	    CRED "SignedHeaders=host;x-amz-date;x-amz-security-token, "
	         "Signature=85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead");
	/* the port the URL names is in the Host header libcurl sends, and so signed; a default one is not */
	struct wn__aws_creds c = { "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", NULL, "test" };
	struct wn__sigv4 r = { "POST", "http://127.0.0.1:8080/", NULL, "{}", 2, "eu-west-1", "ecr", T_2015 };
	char *a = NULL, *cr = NULL, date[17];
	CHECK(wn__sigv4_sign(&r, &c, &a, date, &cr, NULL) == WN_OK);
	CHECK(cr && strstr(cr, "\nhost:127.0.0.1:8080\n"));
	free(a);
	free(cr);
	r.url = "https://api.ecr.eu-west-1.amazonaws.com:443/";
	CHECK(wn__sigv4_sign(&r, &c, &a, date, &cr, NULL) == WN_OK);
	CHECK(cr && strstr(cr, "\nhost:api.ecr.eu-west-1.amazonaws.com\n"));
	CHECK(a && strstr(a, "Credential=AKIDEXAMPLE/20150830/eu-west-1/ecr/aws4_request"));
	free(a);
	free(cr);
	return TEST_DONE();
}

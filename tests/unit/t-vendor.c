/* Which registry a host is (lib/registries/vendor.c): by name, and as WINCH_REGISTRY_VENDOR says. */
#include <stdlib.h>
#include "harness.h"
#include "internal.h"

int main(void)
{
	unsetenv("WINCH_REGISTRY_VENDOR");
	CHECK(wn__vendor_of("docker.io") == WN__V_DOCKERHUB);
	CHECK(wn__vendor_of("registry-1.docker.io") == WN__V_DOCKERHUB);
	CHECK(wn__vendor_of("ghcr.io") == WN__V_GHCR);
	CHECK(wn__vendor_of("123456789012.dkr.ecr.eu-west-1.amazonaws.com") == WN__V_ECR);
	CHECK(wn__vendor_of("123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn") == WN__V_ECR);
	CHECK(wn__vendor_of("public.ecr.aws") == WN__V_ECR);
	CHECK(wn__vendor_of("evil.dkr.ecr.example.com") == WN__V_GENERIC);
	CHECK(wn__vendor_of("europe-west1-docker.pkg.dev") == WN__V_GAR);
	CHECK(wn__vendor_of("gcr.io") == WN__V_GCR);
	CHECK(wn__vendor_of("eu.gcr.io") == WN__V_GCR);
	CHECK(wn__vendor_of("myreg.azurecr.io") == WN__V_ACR);
	CHECK(wn__vendor_of("quay.io") == WN__V_QUAY);
	CHECK(wn__vendor_of("quay.io:443") == WN__V_QUAY);
	CHECK(wn__vendor_of("notghcr.io") == WN__V_GENERIC);
	CHECK(wn__vendor_of("127.0.0.1:5000") == WN__V_GENERIC);
	CHECK(wn__vendor_of("[::1]:5000") == WN__V_GENERIC);

	setenv("WINCH_REGISTRY_VENDOR", "127.0.0.1:5000=harbor, bad, 127.0.0.1:5001=GHCR,127.0.0.1:5002=nope", 1);
	CHECK(wn__vendor_of("127.0.0.1:5000") == WN__V_HARBOR);
	CHECK(wn__vendor_of("127.0.0.1:5001") == WN__V_GHCR);
	CHECK(wn__vendor_of("127.0.0.1:5002") == WN__V_GENERIC);
	CHECK(wn__vendor_of("127.0.0.1:500") == WN__V_GENERIC);
	CHECK(wn__vendor_of("ghcr.io") == WN__V_GHCR);
	setenv("WINCH_REGISTRY_VENDOR", "ghcr.io=generic", 1);
	CHECK(wn__vendor_of("ghcr.io") == WN__V_GENERIC);
	CHECK_STR(wn__vendor_info(WN__V_ECR)->display, "Amazon ECR");
	CHECK_STR(wn__vendor_info(WN__V_COUNT)->name, "generic");
	return TEST_DONE();
}

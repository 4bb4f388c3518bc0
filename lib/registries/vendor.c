/*
 * registries/vendor.c: which registry a host is.  Everything winch knows
 * about one registry product (upload limits, missing APIs, rate-limit
 * headers) is keyed by its vendor here, in lib/registries/, never by host
 * names spread through the code.  Most of that knowledge is also learned
 * from answers at run time; the vendor only gives a head start.
 *
 * A host is known by its name (docker.io, ghcr.io, *.dkr.ecr.REGION.
 * amazonaws.com, ...).  Self-hosted products (Harbor, Quay) and test
 * registries on loopback have no telling name: WINCH_REGISTRY_VENDOR=
 * "HOST=NAME[,HOST=NAME...]" says what they are.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "../internal.h"

static const struct wn__vendor_info vendors[] = {
	[WN__V_GENERIC] = { WN__V_GENERIC, "generic", "an OCI distribution registry" },
	[WN__V_DOCKERHUB] = { WN__V_DOCKERHUB, "dockerhub", "Docker Hub" },
	[WN__V_GHCR] = { WN__V_GHCR, "ghcr", "GitHub Container Registry" },
	[WN__V_ECR] = { WN__V_ECR, "ecr", "Amazon ECR" },
	[WN__V_GAR] = { WN__V_GAR, "gar", "Google Artifact Registry" },
	[WN__V_GCR] = { WN__V_GCR, "gcr", "Google Container Registry" },
	[WN__V_ACR] = { WN__V_ACR, "acr", "Azure Container Registry" },
	[WN__V_QUAY] = { WN__V_QUAY, "quay", "Quay" },
	[WN__V_HARBOR] = { WN__V_HARBOR, "harbor", "Harbor" },
};

const struct wn__vendor_info *wn__vendor_info(enum wn__vendor v)
{
	return v >= 0 && v < WN__V_COUNT ? &vendors[v] : &vendors[WN__V_GENERIC];
}

static bool ends_with(const char *s, size_t n, const char *suffix)
{
	size_t k = strlen(suffix);
	return n >= k && !strncasecmp(s + n - k, suffix, k);
}

/* By name only: the host part, without a port. */
static enum wn__vendor by_name(const char *host, size_t n)
{
	if ((n == 9 && !strncasecmp(host, "docker.io", n)) || (n == 20 && !strncasecmp(host, "registry-1.docker.io", n)) ||
	    (n == 15 && !strncasecmp(host, "index.docker.io", n)))
		return WN__V_DOCKERHUB;
	if ((n == 7 && !strncasecmp(host, "ghcr.io", n)) || ends_with(host, n, ".ghcr.io"))
		return WN__V_GHCR;
	/* ACCOUNT.dkr.ecr.REGION.amazonaws.com (and .com.cn), ECR Public */
	if ((strstr(host, ".dkr.ecr.") && (ends_with(host, n, ".amazonaws.com") || ends_with(host, n, ".amazonaws.com.cn"))) ||
	    (n == 14 && !strncasecmp(host, "public.ecr.aws", n)))
		return WN__V_ECR;
	if (ends_with(host, n, "-docker.pkg.dev"))
		return WN__V_GAR;
	if ((n == 6 && !strncasecmp(host, "gcr.io", n)) || ends_with(host, n, ".gcr.io"))
		return WN__V_GCR;
	if (ends_with(host, n, ".azurecr.io") || ends_with(host, n, ".azurecr.cn") || ends_with(host, n, ".azurecr.us"))
		return WN__V_ACR;
	if (n == 7 && !strncasecmp(host, "quay.io", n))
		return WN__V_QUAY;
	return WN__V_GENERIC;
}

static enum wn__vendor by_env(const char *registry)
{
	const char *env = getenv("WINCH_REGISTRY_VENDOR");
	size_t rl = strlen(registry);
	for (const char *p = env; p && *p;) {
		while (*p == ' ')
			p++;
		size_t n = strcspn(p, ",");
		const char *eq = memchr(p, '=', n);
		if (eq && (size_t)(eq - p) == rl && !strncasecmp(p, registry, rl)) {
			size_t vl = n - (size_t)(eq + 1 - p);
			for (int v = 0; v < WN__V_COUNT; v++)
				if (strlen(vendors[v].name) == vl && !strncasecmp(eq + 1, vendors[v].name, vl))
					return (enum wn__vendor)v;
		}
		p += n;
		while (*p == ',' || *p == ' ')
			p++;
	}
	return WN__V_COUNT;
}

enum wn__vendor wn__vendor_of(const char *registry)
{
	enum wn__vendor v = by_env(registry);
	if (v != WN__V_COUNT)
		return v;
	size_t n = *registry == '[' ? strcspn(registry, "]") + 1 : strcspn(registry, ":");
	return by_name(registry, n);
}

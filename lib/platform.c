/*
 * platform.c: "os/arch[/variant]" with the normalisation Docker (containerd)
 * applies, so linux/arm64 is linux/arm64/v8, linux/arm is linux/arm/v7,
 * x86_64 is amd64 and aarch64 is arm64; and which index entries are not
 * platforms at all (docker buildx's attestation manifests).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"

void wn_platform_clear(struct wn_platform *p)
{
	free(p->os);
	free(p->architecture);
	free(p->variant);
	free(p->os_version);
	memset(p, 0, sizeof *p);
}

static char *lower(const char *s)
{
	char *r = strdup(s ? s : "");
	for (char *p = r; p && *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return r;
}

/* Normalises arch/variant in place (both owned, variant may become NULL). */
static void normalize(struct wn_platform *p)
{
	char *a = p->architecture, *v = p->variant;
	const char *na = a, *nv = v;
	if (!strcmp(a, "i386"))
		na = "386";
	else if (!strcmp(a, "x86_64") || !strcmp(a, "x86-64"))
		na = "amd64";
	else if (!strcmp(a, "aarch64"))
		na = "arm64";
	else if (!strcmp(a, "armhf")) {
		na = "arm";
		nv = "v7";
	} else if (!strcmp(a, "armel")) {
		na = "arm";
		nv = "v6";
	}
	if (!strcmp(na, "arm64") && v && (!strcmp(v, "8") || !strcmp(v, "v8")))
		nv = NULL;
	else if (!strcmp(na, "amd64") && v && (!strcmp(v, "1") || !strcmp(v, "v1")))
		nv = NULL;
	else if (!strcmp(na, "arm")) {
		if (!nv || !*nv)
			nv = "v7";
		else if (strlen(nv) == 1 && isdigit((unsigned char)nv[0])) {
			static const char *const vs[] = { "v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8", "v9" };
			nv = vs[nv[0] - '0'];
		}
	}
	char *fa = strdup(na), *fv = nv && *nv ? strdup(nv) : NULL;
	free(a);
	free(v);
	p->architecture = fa;
	p->variant = fv;
}

int wn_platform_parse(struct wn_platform *out, const char *s, struct wn_error *err)
{
	memset(out, 0, sizeof *out);
	const char *a = strchr(s, '/'), *v = a ? strchr(a + 1, '/') : NULL;
	if (!a || a == s || !a[1] || a[1] == '/' || (v && (!v[1] || strchr(v + 1, '/'))))
		return wn__error_set(err, WN_EINVAL, "invalid platform \"%s\": expected OS/ARCH[/VARIANT]", s);
	char *os = strndup(s, (size_t)(a - s));
	char *arch = v ? strndup(a + 1, (size_t)(v - a - 1)) : strdup(a + 1);
	out->os = lower(os);
	out->architecture = lower(arch);
	out->variant = v ? lower(v + 1) : NULL;
	free(os);
	free(arch);
	normalize(out);
	return WN_OK;
}

bool wn_platform_match(const struct wn_platform *want, const struct wn_platform *have)
{
	struct wn_platform h = { lower(have->os), lower(have->architecture),
		                     have->variant ? lower(have->variant) : NULL, NULL };
	normalize(&h);
	bool ok = !strcmp(want->os, h.os) && !strcmp(want->architecture, h.architecture) &&
	          !strcmp(want->variant ? want->variant : "", h.variant ? h.variant : "");
	wn_platform_clear(&h);
	return ok;
}

char *wn_platform_string(const struct wn_platform *p)
{
	return wn__sprintf("%s/%s%s%s", p->os ? p->os : "?", p->architecture ? p->architecture : "?",
	                   p->variant ? "/" : "", p->variant ? p->variant : "");
}

const char *wn_descriptor_attests(const struct wn_descriptor *d)
{
	/* BuildKit's "image attestation storage" format (docs.docker.com/build/metadata/attestations/) */
	const char *type = wn_descriptor_annotation(d, "vnd.docker.reference.type");
	if (!type || strcmp(type, "attestation-manifest"))
		return NULL;
	const char *image = wn_descriptor_annotation(d, "vnd.docker.reference.digest");
	return image ? image : "";
}

const char *wn__host_platform(void)
{
#if defined(__x86_64__)
	return "linux/amd64";
#elif defined(__aarch64__)
	return "linux/arm64";
#elif defined(__arm__)
	return "linux/arm/v7";
#elif defined(__i386__)
	return "linux/386";
#elif defined(__s390x__)
	return "linux/s390x";
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return "linux/ppc64le";
#elif defined(__riscv) && __riscv_xlen == 64
	return "linux/riscv64";
#else
	return "linux/amd64";
#endif
}

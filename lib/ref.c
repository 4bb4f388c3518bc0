/*
 * ref.c: the image reference grammar of distribution/reference (v0.6.0,
 * regexp.go and reference.go) with ParseNormalizedNamed's normalisation
 * (normalize.go): a first component without '.' or ':' that is not
 * "localhost" and has no upper-case letter is a Docker Hub path; exactly
 * "index.docker.io" is "docker.io" (case-sensitive: "Docker.IO" and
 * "registry-1.docker.io" are registries of their own, as for docker); a
 * one-component Hub path lives under "library/"; a 64-character lower-case
 * hex string alone is refused; the 255-character limit is on the path only.
 * Where winch differs (a 1024-character cap on the whole input; "docker://"
 * accepted) the README's Compatibility section says so.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"

#define NAME_MAX_TOTAL 255
#define TAG_MAX 128

static bool is_lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

/* path-component: [a-z0-9]+ ((\.|_|__|-+) [a-z0-9]+)* */
static bool component_ok(const char *s, size_t n)
{
	size_t i = 0;
	if (!n || !is_lower_alnum(s[0]))
		return false;
	while (i < n) {
		while (i < n && is_lower_alnum(s[i]))
			i++;
		if (i == n)
			return true;
		size_t sep = i;
		if (s[i] == '.') {
			i++;
		} else if (s[i] == '_') {
			i++;
			if (i < n && s[i] == '_')
				i++;
		} else if (s[i] == '-') {
			while (i < n && s[i] == '-')
				i++;
		} else {
			return false;
		}
		if (i == n || !is_lower_alnum(s[i]) || i == sep)
			return false;
	}
	return true;
}

/* domain: host-component ('.' host-component)* (':' port)?, or [ipv6](:port)?
 * where ipv6 is upstream's `\[(?:[a-fA-F0-9:]+)\]`: hex digits and colons
 * only, so no zone ("%eth0") and no embedded IPv4 ("::ffff:1.2.3.4"). */
static bool domain_ok(const char *s, size_t n)
{
	size_t i = 0;
	if (!n)
		return false;
	if (s[0] == '[') {
		const char *close = memchr(s, ']', n);
		if (!close || close == s + 1)
			return false;
		for (const char *p = s + 1; p < close; p++)
			if (!isxdigit((unsigned char)*p) && *p != ':')
				return false;
		i = (size_t)(close - s) + 1;
	} else {
		for (;;) {
			size_t start = i;
			while (i < n && (isalnum((unsigned char)s[i]) || s[i] == '-'))
				i++;
			if (i == start || s[start] == '-' || s[i - 1] == '-')
				return false;
			if (i < n && s[i] == '.') {
				i++;
				continue;
			}
			break;
		}
	}
	if (i == n)
		return true;
	if (s[i] != ':' || i + 1 == n)
		return false;
	for (i++; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return false;
	return true;
}

static bool tag_ok(const char *s)
{
	size_t n = strlen(s);
	if (!n || n > TAG_MAX)
		return false;
	if (!(isalnum((unsigned char)s[0]) || s[0] == '_'))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!(isalnum((unsigned char)s[i]) || s[i] == '_' || s[i] == '.' || s[i] == '-'))
			return false;
	return true;
}

static bool has_upper(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (isupper((unsigned char)s[i]))
			return true;
	return false;
}

void wn_ref_free(struct wn_ref *ref)
{
	if (!ref)
		return;
	free(ref->registry);
	free(ref->repository);
	free(ref->tag);
	free(ref->digest);
	free(ref);
}

int wn_registry_normalize(char **out, const char *s, struct wn_error *err)
{
	*out = NULL;
	if (!strncmp(s, "https://", 8))
		s += 8;
	else if (!strncmp(s, "http://", 7))
		s += 7;
	size_t n = strcspn(s, "/");
	/* "https://index.docker.io/v1/" is how Docker Hub appears in config.json */
	if (s[n] == '/' && strcmp(s + n, "/") && strcmp(s + n, "/v1/") && strcmp(s + n, "/v2/") &&
	    strcmp(s + n, "/v1") && strcmp(s + n, "/v2"))
		return wn__error_set(err, WN_EINVAL, "invalid registry \"%s\": expected HOST[:PORT]", s);
	if (!domain_ok(s, n))
		return wn__error_set(err, WN_EINVAL, "invalid registry \"%.*s\": expected HOST[:PORT]",
		                     (int)n, s);
	/* case is kept, as Docker keeps it: "Host/x" is a registry, "host/x" a Hub
	 * path.  Only the exact "index.docker.io" is Docker Hub's old name
	 * (normalize.go's legacyDefaultDomain); "registry-1.docker.io" is the
	 * API host, a registry of its own for docker and so for winch. */
	char *r = strndup(s, n);
	if (!r)
		return WN_ENOMEM;
	if (!strcmp(r, "index.docker.io")) {
		free(r);
		r = strdup("docker.io");
		if (!r)
			return WN_ENOMEM;
	}
	*out = r;
	return WN_OK;
}

/* Echoed input is shortened so the reason still fits the one-line message. */
static const char *shorten(char *buf, size_t n, const char *s)
{
	if (strlen(s) < n)
		return s;
	snprintf(buf, n, "%.*s...", (int)(n - 4), s);
	return buf;
}

int wn_ref_parse(struct wn_ref **out, const char *input, unsigned flags, struct wn_error *err)
{
	struct wn_ref *ref = NULL;
	char *s = NULL, origbuf[72], tagbuf[40];
	int rc = WN_EINVAL;
	const char *orig = input ? shorten(origbuf, sizeof origbuf, input) : "";

	*out = NULL;
	if (!input)
		return wn__error_set(err, WN_EINVAL, "missing reference");
	if (!strncmp(input, "docker://", 9))
		input += 9;
	if (!*input)
		return wn__error_set(err, WN_EINVAL, "invalid reference \"%s\": empty", orig);
	/* normalize.go's anchoredIdentifierRegexp: an image ID, not a name */
	if (strlen(input) == 64 && strspn(input, "0123456789abcdef") == 64)
		return wn__error_set(err, WN_EINVAL,
		                     "invalid repository name \"%s\": cannot specify 64-byte hexadecimal strings", input);
	if (strlen(input) > 1024)
		return wn__error_set(err, WN_EINVAL, "invalid reference: longer than 1024 characters");
	s = strdup(input);
	ref = calloc(1, sizeof *ref);
	if (!s || !ref) {
		rc = WN_ENOMEM;
		goto done;
	}

	/* digest: everything after the first '@' */
	char *at = strchr(s, '@');
	if (at) {
		*at = 0;
		struct wn_error derr;
		if (wn_digest_validate(at + 1, &derr) != WN_OK) {
			/* an unsupported algorithm too: it is the reference that is wrong */
			rc = wn__error_set(err, WN_EINVAL, "invalid reference \"%s\": %s", orig, derr.msg);
			goto done;
		}
		ref->digest = strdup(at + 1);
	}
	/* tag: after the last ':' that follows the last '/' */
	char *slash = strrchr(s, '/');
	char *colon = strrchr(slash ? slash : s, ':');
	if (colon) {
		*colon = 0;
		if (!tag_ok(colon + 1)) {
			rc = wn__error_set(err, WN_EINVAL,
			                   "invalid reference \"%s\": bad tag \"%s\" (letters, digits, '_', '.', '-'; "
			                   "at most 128; not starting with '.' or '-')", orig,
			                   shorten(tagbuf, sizeof tagbuf, colon + 1));
			goto done;
		}
		ref->tag = strdup(colon + 1);
	}

	/* split the domain off like Docker's splitDockerDomain */
	char *name = s;
	char *first_slash = strchr(name, '/');
	const char *remainder = name;
	if (first_slash) {
		size_t dn = (size_t)(first_slash - name);
		bool is_domain = memchr(name, '.', dn) || memchr(name, ':', dn) ||
		                 (dn == 9 && !strncmp(name, "localhost", 9)) || has_upper(name, dn);
		if (is_domain) {
			if (!domain_ok(name, dn)) {
				rc = wn__error_set(err, WN_EINVAL, "invalid reference \"%s\": bad registry \"%.*s\"",
				                   orig, (int)dn, name);
				goto done;
			}
			struct wn_error nerr;
			*first_slash = 0;
			if (wn_registry_normalize(&ref->registry, name, &nerr) != WN_OK) {
				rc = wn__error_set(err, nerr.code, "invalid reference \"%s\": %s", orig, nerr.msg);
				goto done;
			}
			remainder = first_slash + 1;
		}
	}
	if (!ref->registry)
		ref->registry = strdup("docker.io");
	if (!ref->registry) {
		rc = WN_ENOMEM;
		goto done;
	}

	/* validate the path components */
	if (!*remainder) {
		rc = wn__error_set(err, WN_EINVAL, "invalid reference \"%s\": missing repository name", orig);
		goto done;
	}
	if (has_upper(remainder, strlen(remainder))) {
		rc = wn__error_set(err, WN_EINVAL,
		                   "invalid reference \"%s\": repository name \"%s\" must be lowercase", orig,
		                   remainder);
		goto done;
	}
	for (const char *p = remainder;;) {
		const char *e = strchr(p, '/');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		if (!component_ok(p, n)) {
			rc = wn__error_set(err, WN_EINVAL,
			                   "invalid reference \"%s\": bad repository name component \"%.*s\"", orig,
			                   (int)n, p);
			goto done;
		}
		if (!e)
			break;
		p = e + 1;
	}
	if (!strcmp(ref->registry, "docker.io") && !strchr(remainder, '/'))
		ref->repository = wn__sprintf("library/%s", remainder);
	else
		ref->repository = strdup(remainder);
	if (!ref->repository) {
		rc = WN_ENOMEM;
		goto done;
	}
	/* reference.go counts the path only (library/ included), not the domain */
	if (strlen(ref->repository) > NAME_MAX_TOTAL) {
		rc = wn__error_set(err, WN_EINVAL,
		                   "invalid reference \"%s\": repository name must not be more than %d characters", orig,
		                   NAME_MAX_TOTAL);
		goto done;
	}
	if ((flags & WN_REF_NAME_ONLY) && (ref->tag || ref->digest)) {
		rc = wn__error_set(err, WN_EINVAL, "\"%s\" names an image; a repository is expected here "
		                   "(drop the :tag or @digest)", orig);
		goto done;
	}
	if ((flags & WN_REF_DEFAULT_TAG) && !ref->tag && !ref->digest) {
		ref->tag = strdup("latest");
		if (!ref->tag) {
			rc = WN_ENOMEM;
			goto done;
		}
	}
	*out = ref;
	ref = NULL;
	rc = WN_OK;
done:
	if (rc == WN_ENOMEM)
		wn__error_set(err, WN_ENOMEM, "out of memory");
	free(s);
	wn_ref_free(ref);
	return rc;
}

char *wn_ref_name(const struct wn_ref *ref)
{
	return wn__sprintf("%s/%s", ref->registry, ref->repository);
}

char *wn_ref_string(const struct wn_ref *ref)
{
	return wn__sprintf("%s/%s%s%s%s%s", ref->registry, ref->repository, ref->tag ? ":" : "",
	                   ref->tag ? ref->tag : "", ref->digest ? "@" : "", ref->digest ? ref->digest : "");
}

int wn_ref_dup(struct wn_ref **out, const struct wn_ref *ref)
{
	struct wn_ref *r = calloc(1, sizeof *r);
	*out = NULL;
	if (!r)
		return WN_ENOMEM;
	r->registry = wn__strdup(ref->registry);
	r->repository = wn__strdup(ref->repository);
	r->tag = wn__strdup(ref->tag);
	r->digest = wn__strdup(ref->digest);
	if (!r->registry || !r->repository || (ref->tag && !r->tag) || (ref->digest && !r->digest)) {
		wn_ref_free(r);
		return WN_ENOMEM;
	}
	*out = r;
	return WN_OK;
}

const char *wn__registry_auth_key(const char *registry)
{
	return strcmp(registry, "docker.io") ? registry : "https://index.docker.io/v1/";
}

const char *wn__registry_api_host(const char *registry)
{
	return strcmp(registry, "docker.io") ? registry : "registry-1.docker.io";
}

int wn__ref_at(struct wn_ref **out, const struct wn_ref *base, const char *tag, const char *digest)
{
	int rc = wn_ref_dup(out, base);
	if (rc != WN_OK)
		return rc;
	free((*out)->tag);
	free((*out)->digest);
	(*out)->tag = wn__strdup(tag);
	(*out)->digest = wn__strdup(digest);
	if ((tag && !(*out)->tag) || (digest && !(*out)->digest)) {
		wn_ref_free(*out);
		*out = NULL;
		return WN_ENOMEM;
	}
	return WN_OK;
}

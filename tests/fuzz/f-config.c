/* Fuzz target: config.json / auth.json documents, through the real lookup:
 * as $DOCKER_AUTH_CONFIG (docker's strict reading), and as an --authfile
 * (containers-auth.json's rules, repository-scoped keys included) held in a
 * memfd, so no file is written. */
#include <sys/mman.h>
#include <unistd.h>
#include "fuzz.h"
#include "internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	char *s = fuzz_cstr(d, n);
	static struct wn_ctx *ctx, *actx;
	static int fd = -1;
	if (!ctx) {
		struct wn_ctx_options o = WN_CTX_OPTIONS_INIT;
		char path[64];
		o.log_level = WN_LOG_ERROR;
		setenv("HOME", "/nonexistent", 1);
		unsetenv("DOCKER_CONFIG");
		unsetenv("REGISTRY_AUTH_FILE");
		setenv("XDG_RUNTIME_DIR", "/nonexistent", 1); /* not /run/containers/UID: the machine's own */
		setenv("XDG_CONFIG_HOME", "/nonexistent", 1);
		setenv("PATH", "/nonexistent", 1); /* helpers named by the input are never found */
		if ((fd = memfd_create("f-config", 0)) < 0)
			abort();
		snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
		if (wn_ctx_new(&ctx, &o) != WN_OK)
			abort();
		o.authfile = path;
		if (wn_ctx_new(&actx, &o) != WN_OK)
			abort();
	}
	if (s && !memchr(d, 0, n)) {
		struct wn_creds *c;
		setenv("DOCKER_AUTH_CONFIG", s, 1);
		if (wn_creds_lookup(&c, ctx, "ghcr.io") == WN_OK)
			wn_creds_free(c);
		if (wn_creds_lookup(&c, ctx, "docker.io") == WN_OK)
			wn_creds_free(c);
		unsetenv("DOCKER_AUTH_CONFIG");
		if (ftruncate(fd, 0) || pwrite(fd, d, n, 0) != (ssize_t)n)
			abort();
		wn__creds_forget(actx, "ghcr.io");
		wn__creds_get(actx, "ghcr.io", "repository:a/b:pull");
		wn__creds_get(actx, "ghcr.io", "repository:a/c:pull repository:x:pull");
		wn__creds_get(actx, "ghcr.io", NULL);
	}
	free(s);
	return 0;
}

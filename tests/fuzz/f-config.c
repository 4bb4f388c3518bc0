/* Fuzz target: config.json / auth.json documents, through the real lookup
 * (via DOCKER_AUTH_CONFIG, so no file is written). */
#include "fuzz.h"
#include "winch.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	char *s = fuzz_cstr(d, n);
	static struct wn_ctx *ctx;
	if (!ctx) {
		struct wn_ctx_options o = WN_CTX_OPTIONS_INIT;
		o.log_level = WN_LOG_ERROR;
		setenv("HOME", "/nonexistent", 1);
		unsetenv("DOCKER_CONFIG");
		unsetenv("REGISTRY_AUTH_FILE");
		unsetenv("XDG_RUNTIME_DIR");
		setenv("PATH", "/nonexistent", 1); /* helpers named by the input are never found */
		if (wn_ctx_new(&ctx, &o) != WN_OK)
			abort();
	}
	if (s && !memchr(d, 0, n)) {
		struct wn_creds *c;
		setenv("DOCKER_AUTH_CONFIG", s, 1);
		if (wn_creds_lookup(&c, ctx, "ghcr.io") == WN_OK)
			wn_creds_free(c);
		if (wn_creds_lookup(&c, ctx, "docker.io") == WN_OK)
			wn_creds_free(c);
	}
	free(s);
	return 0;
}

/*
 * main.c: the command table, the one map from library errors to exit codes,
 * and what every command shares: the context built from common options,
 * logging to stderr, and error printing.
 */
#include <curl/curl.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cmd.h"

static const struct opt_spec no_opts[] = { OPT_END };
/* logout contacts no registry: of the registry options only --authfile applies */
static const struct opt_spec logout_opts[] = {
	{ "authfile", 0, OPT_STR, &common.authfile, "FILE", "remove the credentials from FILE instead of config.json" },
	OPT_END,
};

const struct cmd commands[] = {
	{ "login", cmd_login, "[REGISTRY]", "Check credentials against a registry and store them.", login_opts,
	  GROUP_REGISTRY, 0, 1 },
	{ "logout", cmd_logout, "[REGISTRY]", "Remove a registry's stored credentials.", logout_opts, 0, 0, 1 },
	{ "copy", cmd_copy, "SRC DEST", "Copy an image (or, with --all-tags, a repository) to another place.", copy_opts,
	  GROUP_TRANSFER | GROUP_UPLOAD | GROUP_REGISTRY | GROUP_SRC | GROUP_DEST | GROUP_FORMAT | GROUP_GATE |
	  GROUP_SIGCHECK, 2, 2 },
	{ "pull", cmd_pull, "REF [oci:DIR[:TAG]|oci-archive:FILE[:TAG]|docker-archive:FILE[:REF]]",
	  "Copy a registry image to a local place (default: oci:REPO:TAG here).", no_opts,
	  GROUP_TRANSFER | GROUP_REGISTRY | GROUP_SRC | GROUP_FORMAT | GROUP_GATE | GROUP_SIGCHECK, 1, 2 },
	{ "push", cmd_push, "oci:DIR[:TAG]|oci-archive:FILE[:TAG]|docker-archive:FILE[:REF] REF",
	  "Copy a local image (an OCI layout, an oci-archive or a docker-archive) to a registry.", no_opts,
	  GROUP_TRANSFER | GROUP_UPLOAD | GROUP_REGISTRY | GROUP_DEST | GROUP_FORMAT, 2, 2 },
	{ "tag", cmd_tag, "REF NEWTAG...", "Point more tags at the manifest REF names, moving no blobs.", tag_opts,
	  GROUP_REGISTRY, 2, -1 },
	{ "delete", cmd_delete, "REF", "Delete a tag (keeping the image and its other tags), or a manifest.", delete_opts,
	  GROUP_REGISTRY | GROUP_FORMAT, 1, 1 },
	{ "cleanup", cmd_cleanup, "REPOSITORY...", "Delete what a retention policy expires (dry-run, plan, apply).",
	  cleanup_opts, GROUP_REGISTRY | GROUP_FORMAT, 0, -1 },
	{ "sync", cmd_sync, "[--src yaml|docker] SOURCE DEST", "Mirror the repositories a skopeo sync YAML file names (or one).", sync_opts, GROUP_REGISTRY | GROUP_SRC | GROUP_DEST | GROUP_FORMAT | GROUP_GATE | GROUP_SIGCHECK, 0, 2 },
	{ "index", cmd_index, "create|append DEST SRC[=OS/ARCH[/VARIANT]]...",
	  "Assemble (or extend) a multi-platform index from per-platform images.", no_opts, GROUP_REGISTRY, 3, -1 },
	{ "inspect", cmd_inspect, "REF... (- reads them from stdin)", "Show an image's manifest, platform, config and layers.",
	  inspect_opts, GROUP_REGISTRY | GROUP_FORMAT, 1, -1 },
	{ "list-tags", cmd_list_tags, "REPOSITORY... (- reads them from stdin)", "List the tags of a repository.",
	  list_tags_opts, GROUP_REGISTRY | GROUP_FORMAT, 1, -1 },
	{ "catalog", cmd_catalog, "REGISTRY", "List the repositories of a registry.", catalog_opts,
	  GROUP_REGISTRY | GROUP_FORMAT, 1, 1 },
	{ "manifest", cmd_manifest, "REF", "Print a manifest's exact bytes.", manifest_opts, GROUP_REGISTRY, 1, 1 },
	{ "digest", cmd_digest, "REF... (- reads them from stdin)", "Print the digest of the manifest REF names.",
	  manifest_opts, GROUP_REGISTRY | GROUP_FORMAT, 1, -1 },
	{ "exists", cmd_exists, "REF... (- reads them from stdin)", "Exit 0 when REF exists, 3 when it does not.",
	  no_opts, GROUP_REGISTRY, 1, -1 },
	{ "ratelimit", cmd_ratelimit, "REF", "Show the registry's rate limit (one HEAD: no pull is counted).", no_opts,
	  GROUP_REGISTRY | GROUP_FORMAT, 1, 1 },
	{ "verify", cmd_verify, "REF", "Check an image's cosign signatures (a key, or a keyless identity).", verify_opts,
	  GROUP_REGISTRY | GROUP_FORMAT | GROUP_SIGCHECK, 1, 1 },
	{ "sign", cmd_sign, "REF", "Sign an image as cosign does (its .sig tag; --bundle: a sigstore bundle referrer).",
	  sign_opts, GROUP_REGISTRY | GROUP_FORMAT, 1, 1 },
	{ "generate-key", cmd_generate_key, "", "Write a cosign key pair (cosign.key, encrypted, and cosign.pub).",
	  generate_key_opts, 0, 0, 0 },
	{ "version", cmd_version, "", "Print winch's version and its libraries'.", no_opts, GROUP_FORMAT, 0, 0 },
	{ "completion", cmd_completion, "bash|zsh|fish", "Print a shell completion script.", no_opts, 0, 1, 1 },
	{ NULL, NULL, NULL, NULL, NULL, 0, 0, 0 },
};

int exit_code_for(enum wn_err e)
{
	switch (e) {
	case WN_OK: return EXIT_OK_;
	case WN_EINVAL: return EXIT_USAGE;
	case WN_ENOTFOUND: return EXIT_NOTFOUND;
	case WN_EAUTH:
	case WN_EDENIED: return EXIT_AUTH;
	case WN_ERATELIMIT: return EXIT_RATELIMIT;
	case WN_ENET:
	case WN_ETLS: return EXIT_NETWORK;
	case WN_EDIGEST:
	case WN_ECORRUPT: return EXIT_DIGEST;
	case WN_EPARTIAL: return EXIT_PARTIAL;
	case WN_ENOAPI: return EXIT_NOAPI;
	case WN_ESIGNATURE: return EXIT_SIGNATURE;
	case WN_ERROR:
	case WN_ENOMEM:
	case WN_EUNSUPPORTED:
	case WN_EIO:
	case WN_EPROTO:
	case WN_ECONFIG:
	case WN_ECANCELED:
	case WN_EREFUSED:
	case WN__ERR_COUNT: break;
	}
	return EXIT_ERROR;
}

const char *exit_code_name(int code)
{
	switch (code) {
	case EXIT_OK_: return "success";
	case EXIT_ERROR: return "other error";
	case EXIT_USAGE: return "usage error or invalid argument";
	case EXIT_NOTFOUND: return "not found";
	case EXIT_AUTH: return "authentication required, rejected or denied";
	case EXIT_RATELIMIT: return "rate limited";
	case EXIT_NETWORK: return "network or TLS failure";
	case EXIT_DIGEST: return "digest mismatch or corrupt content";
	case EXIT_PARTIAL: return "partial failure of a multi-target operation";
	case EXIT_NOAPI: return "the registry does not support this (it lacks the API)";
	case EXIT_SIGNATURE: return "signature verification failed";
	}
	return NULL;
}

static const struct cmd *current;

/* The signal that interrupted the command (0: none).  The library sees it
 * through wn_ctx_options.cancel, stops, and removes what it was writing; the
 * command then exits 128+signal, as a shell reports a killed process. */
static volatile int interrupted;

static void on_signal(int sig)
{
	interrupted = sig;
}

static void catch_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESETHAND; /* a second signal kills at once */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

void warn_msg(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("winch: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

void say(const char *fmt, ...)
{
	va_list ap;
	if (common.quiet)
		return;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

/* A usage error names the command it is about and points to its -h (the
 * running command when c is NULL; only "no command" points to winch -h). */
int usage_error(const struct cmd *c, const char *fmt, ...)
{
	va_list ap;
	char msg[WN_ERRMSG_MAX];
	if (!c)
		c = current;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	/* "cleanup: ..." from a command that names itself: said once */
	const char *m = msg;
	size_t nl = c ? strlen(c->name) : 0;
	if (c && !strncmp(m, c->name, nl) && m[nl] == ':' && m[nl + 1] == ' ')
		m += nl + 2;
	if (c)
		fprintf(stderr, "winch %s: %s\nTry 'winch %s -h'.\n", c->name, m, c->name);
	else
		fprintf(stderr, "winch: %s\nTry 'winch -h'.\n", m);
	return EXIT_USAGE;
}

int fail_ctx(struct wn_ctx *ctx)
{
	warn_msg("%s", wn_ctx_errmsg(ctx));
	return exit_code_for(wn_ctx_errcode(ctx));
}

int fail_err(const struct wn_error *err)
{
	warn_msg("%s", err->msg);
	return exit_code_for(err->code);
}

bool want_json(void)
{
	return common.format && !strcmp(common.format, "json");
}

/* --timeout (or $WINCH_TIMEOUT) in milliseconds; 0: the library's defaults. */
static long timeout_ms;

/* "90", "90s", "2m", "1h": whole seconds from 1 s to 24 h. */
static int parse_duration(const char *s, long *ms)
{
	char *end;
	if (!s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	long long n = strtoll(s, &end, 10);
	long long unit = !strcmp(end, "") || !strcmp(end, "s") ? 1 : !strcmp(end, "m") ? 60 : !strcmp(end, "h") ? 3600 : 0;
	if (errno || !unit || n < 1 || n > 86400 / unit)
		return -1;
	*ms = (long)(n * unit * 1000);
	return 0;
}

static void log_stderr(void *data, enum wn_log_level level, const char *msg)
{
	static const char *const names[] = { "error", "warning", "info", "debug", "trace" };
	fprintf(stderr, "winch: %s: %s\n", names[level], msg);
}

struct wn_ctx *ctx_open(void)
{
	return ctx_open_side(NULL);
}

/* A side's option, where given, replaces the common one for that side only
 * (the common one serves both sides of a copy: winch's choice, see man winch-copy). */
struct wn_ctx *ctx_open_side(const struct side_opts *side)
{
	struct wn_ctx_options o = WN_CTX_OPTIONS_INIT;
	struct wn_ctx *ctx = NULL;
	int tls_verify = side && side->tls_verify >= 0 ? side->tls_verify : common.tls_verify;
	o.tls_verify = tls_verify != 0;
	o.plain_http = side && side->plain_http >= 0 ? side->plain_http : common.plain_http;
	o.cert_dir = side && side->cert_dir ? side->cert_dir : common.cert_dir;
	o.authfile = side && side->authfile ? side->authfile : common.authfile;
	o.creds = side && side->creds ? side->creds : common.creds;
	o.certs_d = getenv("WINCH_CERTS_D");
	const char *h2 = getenv("WINCH_HTTP2");
	o.http2 = h2 && !strcmp(h2, "1");
	const char *hto = getenv("WINCH_HELPER_TIMEOUT_MS");
	if (hto && atol(hto) > 0)
		o.helper_timeout_ms = atol(hto);
	o.cancel = &interrupted;
	if (timeout_ms) {
		/* one knob: the stall limit and the deadline of small requests;
		 * connecting keeps its own 30 s unless the timeout is shorter */
		o.request_timeout_ms = o.stall_timeout_ms = timeout_ms;
		o.connect_timeout_ms = timeout_ms < 30000 ? timeout_ms : 30000;
	}
	o.log = log_stderr;
	o.log_level = common.quiet ? WN_LOG_ERROR
	            : common.verbose >= 2 ? WN_LOG_TRACE
	            : common.verbose == 1 ? WN_LOG_DEBUG
	                                  : WN_LOG_WARN;
	if (wn_ctx_new(&ctx, &o) != WN_OK) {
		warn_msg("out of memory");
		return NULL;
	}
	return ctx;
}

struct wn_ref *ref_arg(const char *s, unsigned flags, int *rc)
{
	struct wn_ref *ref;
	struct wn_error err;
	if (wn_ref_parse(&ref, s, flags, &err) != WN_OK) {
		*rc = fail_err(&err);
		return NULL;
	}
	return ref;
}

int ref_and_ctx(const char *arg, unsigned flags, struct wn_ref **ref, struct wn_ctx **ctx)
{
	int rc = 0;
	*ctx = NULL;
	if (!(*ref = ref_arg(arg, flags, &rc)))
		return rc;
	if (!(*ctx = ctx_open())) {
		wn_ref_free(*ref);
		*ref = NULL;
		return EXIT_ERROR;
	}
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f, "Usage: winch [OPTIONS] COMMAND [OPTIONS] [ARGS]\n\nA fast, scriptable container-registry client.\n\n"
	           "Commands:\n");
	for (const struct cmd *c = commands; c->name; c++)
		fprintf(f, "  %-12s %s\n", c->name, c->summary);
	fprintf(f, "\nCommon options (-v, -q, --authfile, --creds, --tls-verify, --format, ...) may also come before\n"
	           "the command. 'winch COMMAND -h' shows a command's options; man winch describes exit codes.\n");
}

int main(int argc, char **argv)
{
	int rc;
	/* Options every command takes may come before the command (winch -v
	 * --authfile F copy ...): they move behind the command name, so the
	 * command's own parser reads them and names the command in its errors. */
	int k = 1;
	bool help = false;
	while (k < argc && strcmp(argv[k], "--version")) {
		int span = opt_global_span(argv, k, argc);
		if (!span)
			break;
		help |= !strcmp(argv[k], "-h") || !strcmp(argv[k], "--help");
		k += span;
	}
	if (k >= argc || !strcmp(argv[k], "help")) {
		/* winch, winch -h, winch help, winch -v */
		usage(help || k < argc ? stdout : stderr);
		return help || k < argc ? 0 : EXIT_USAGE;
	}
	if (argv[k][0] == '-' && strcmp(argv[k], "--version")) {
		fprintf(stderr, "winch: unknown option %s before the command (it may belong after it)\n", argv[k]);
		usage(stderr);
		return EXIT_USAGE;
	}
	if (k > 1) {
		char *name = argv[k];
		memmove(argv + 2, argv + 1, (size_t)(k - 1) * sizeof *argv);
		argv[1] = name;
	}
	if (!strcmp(argv[1], "--version"))
		argv[1] = "version";
	if (!strcmp(argv[1], "__complete"))
		return cmd___complete(argc - 1, argv + 1);
	for (current = commands; current->name && strcmp(current->name, argv[1]); current++)
		;
	if (!current->name) {
		fprintf(stderr, "winch: unknown command \"%s\"\n", argv[1]);
		current = NULL;
		usage(stderr);
		return EXIT_USAGE;
	}
	int n = argc - 1;
	char **args = argv + 1;
	if ((rc = opt_parse(current, &n, args)))
		return rc;
	if (common.help) {
		opt_help(current, stdout);
		return 0;
	}
	if (strcmp(common.format, "text") && strcmp(common.format, "json"))
		return usage_error(current, "--format takes text or json, not \"%s\"", common.format);
	const char *env_timeout = getenv("WINCH_TIMEOUT"); /* empty: unset */
	if (common.timeout ? parse_duration(common.timeout, &timeout_ms)
	                   : (current->groups & GROUP_REGISTRY) && env_timeout && *env_timeout &&
	                         parse_duration(env_timeout, &timeout_ms))
		return usage_error(current, "%s takes a duration from 1s to 24h (\"90\", \"90s\", \"2m\"), not \"%s\"",
		                   common.timeout ? "--timeout" : "WINCH_TIMEOUT",
		                   common.timeout ? common.timeout : env_timeout);
	if (n < current->min_args)
		return usage_error(current, "missing argument: %s", current->usage);
	if (current->max_args >= 0 && n > current->max_args)
		return usage_error(current, "unexpected argument \"%s\"", args[current->max_args]);
	/* --authfile names a file to read: a missing one is a mistake, not "no
	 * credentials" (login may create it; logout from a missing one is "not logged in") */
	if (common.authfile && current->run != cmd_login && current->run != cmd_logout && access(common.authfile, R_OK)) {
		warn_msg("--authfile %s: %s", common.authfile, strerror(errno));
		return EXIT_USAGE;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	catch_signals();
	rc = current->run(n, args);
	curl_global_cleanup();
	return interrupted ? 128 + interrupted : rc;
}

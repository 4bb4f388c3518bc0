/*
 * cmd.h: what the command files share: the option tables (declared once,
 * used for parsing, -h, completion and the man-page test), the common
 * options, output helpers, and the one map from library errors to exit codes.
 */
#ifndef WN_CMD_H
#define WN_CMD_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "winch.h"

/* Exit codes: a stable contract, documented in man/winch.1 (a test checks). */
enum exit_code {
	EXIT_OK_ = 0,
	EXIT_ERROR = 1,
	EXIT_USAGE = 2,
	EXIT_NOTFOUND = 3,
	EXIT_AUTH = 4,
	EXIT_RATELIMIT = 5,
	EXIT_NETWORK = 6,
	EXIT_DIGEST = 7,
	EXIT_PARTIAL = 8,
	EXIT_NOAPI = 9,
	EXIT_SIGNATURE = 10,
};
int exit_code_for(enum wn_err e);
const char *exit_code_name(int code);

enum opt_type { OPT_FLAG, OPT_COUNT, OPT_BOOL, OPT_STR, OPT_LIST };

struct opt_spec {
	const char *lng;      /* "format" for --format */
	char shrt;            /* 'f', or 0 */
	enum opt_type type;
	void *dest;           /* int* (FLAG, COUNT, BOOL), const char ** (STR), struct str_list * (LIST) */
	const char *arg;      /* the argument's name in -h output ("FORMAT"); NULL for flags */
	const char *help;
};
#define OPT_END { NULL, 0, OPT_FLAG, NULL, NULL, NULL }

struct str_list {
	const char *items[64];
	int n;
};

struct cmd {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *usage;              /* "REF" */
	const char *summary;
	const struct opt_spec *opts;    /* the command's own */
	unsigned groups;                /* which common groups apply */
	int min_args, max_args;         /* -1: no maximum */
};
#define GROUP_REGISTRY 0x1  /* --authfile, --creds, --tls-verify, --plain-http, --cert-dir, --timeout */
#define GROUP_FORMAT   0x2  /* --format */
#define GROUP_TRANSFER 0x4  /* --platform, --jobs, --digestfile ... (copy, pull, push) */
#define GROUP_UPLOAD   0x8  /* --chunk-size (copy, push: a pull uploads nothing) */
#define GROUP_SRC      0x10 /* --src-creds, --src-tls-verify ... (copy, pull: the source is a registry) */
#define GROUP_DEST     0x20 /* --dest-creds, --dest-tls-verify ... (copy, push) */
#define GROUP_SIGCHECK 0x40 /* --trusted-root, --insecure-ignore-tlog, --certificate-identity ... (verify, the gate) */
#define GROUP_GATE     0x80 /* --verify-key (copy, pull, sync: the signature gate) */

/* common option values */
struct common {
	int verbose;
	int quiet;
	int help;
	const char *format;     /* "text" or "json" */
	const char *authfile;
	const char *creds;
	int tls_verify;         /* -1: not given */
	int plain_http;
	const char *cert_dir;
	const char *timeout;    /* --timeout DURATION, else $WINCH_TIMEOUT */
};
extern struct common common;
extern const struct cmd commands[];
extern const struct opt_spec common_opts[];
extern const struct opt_spec registry_opts[];
extern const struct opt_spec format_opts[];

/* Parses argv[1..] of a command; positionals end up in argv[0..*argc). */
int opt_parse(const struct cmd *c, int *argc, char **argv);
void opt_help(const struct cmd *c, FILE *f);
/* How many words the option at argv[i] takes when it comes before the command
 * (winch -v --authfile F copy ...): 1 or 2 for an option every command may
 * take (common, registry and format options), 0 for anything else. */
int opt_global_span(char **argv, int i, int argc);
/* The option an option word names ("--format", "--format=json", "-vj"; for a
 * cluster, its last) among c's, or the common ones when c is NULL; NULL when
 * none.  *wants_value: the next word is its value. */
const struct opt_spec *opt_lookup(const struct cmd *c, const char *word, bool *wants_value);
/* The option words that may come before a command (for completion). */
void opt_global_words(FILE *f);
/* Every option word of a command (for completion and the man-page test). */
void opt_words(const struct cmd *c, FILE *f);

/* One side of a copy's registry options (--src-*, --dest-*): NULL, or -1 for
 * the ints, when not given; the common option applies then. */
struct side_opts {
	const char *authfile, *creds, *cert_dir;
	int tls_verify, plain_http;
};
#define SIDE_OPTS_INIT { NULL, NULL, NULL, -1, -1 }
extern struct side_opts src_side, dest_side;
/* Was any option of this side given? */
bool side_given(const struct side_opts *s);

/* context from the common options; prints the error and returns NULL on failure */
struct wn_ctx *ctx_open(void);
/* the same, each option of `side` (may be NULL) replacing the common one */
struct wn_ctx *ctx_open_side(const struct side_opts *side);
/* prints "winch: MESSAGE" and returns the exit code of the context's error */
int fail_ctx(struct wn_ctx *ctx);
int fail_err(const struct wn_error *err);
int usage_error(const struct cmd *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));    /* stderr, unless -q */
void warn_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2))); /* stderr */
bool want_json(void);
/* prints a cJSON document (void * to keep cJSON out of command files that do not need it),
 * indented two spaces: every JSON winch prints goes through json_text */
void print_json(void *cjson);
char *json_text(const void *cjson);        /* the same text; caller frees */
char *json_reindent(const char *text);     /* JSON text from the library, printed the same way */
/* "1 blob", "2 blobs": one or many by n */
const char *plural(uint64_t n, const char *one, const char *many);
/* "512 bytes", "12.5 KiB" (below a MiB), "3.2 MiB", "1.5 GiB" */
const char *human_size(char buf[32], uint64_t bytes);
int print_list(const char *name_key, const char *name, const char *list_key, char *const *items, size_t n,
               const char *match);
/* parses a reference or prints the error; returns NULL on failure */
struct wn_ref *ref_arg(const char *s, unsigned flags, int *rc);
/* ref_arg, then ctx_open: 0, or the exit code (and nothing to free) */
int ref_and_ctx(const char *arg, unsigned flags, struct wn_ref **ref, struct wn_ctx **ctx);

/* Several references in one call (batch.c): digest, exists, inspect and list-tags. */
struct batch_ops {
	/* on a worker thread: what REF names, through the library on ctx (its errors stay there);
	 * *res goes to print.  A failure of the command's own sets *msg (malloc'd), returns WN_ERROR */
	int (*fetch)(struct wn_ctx *ctx, const char *ref, void **res, char **msg);
	/* in input order, one at a time: what a single call prints */
	void (*print)(const char *ref, void *res);
	void (*free_res)(void *res);
};
extern bool batch_mode;            /* several references: JSON objects one per line */
/* Several arguments, or "-" among them (one reference per line of stdin)? */
bool batch_wanted(int argc, char **argv);
/* A --platform that is wrong for every reference: 0, or the usage exit (the error printed). */
int batch_check_platform(const char *platform);
/* Resolves them all (eight at a time) and prints each in input order; returns the exit status:
 * 0, 3 (some not found, the rest done) or 8 (any other failure), each failure named on stderr. */
int batch_run(int argc, char **argv, const struct batch_ops *ops);
/* print_json, or in batch mode the object on one line */
void print_json_out(void *cjson);

/* commands */
int cmd_login(int, char **);
int cmd_logout(int, char **);
int cmd_inspect(int, char **);
int cmd_list_tags(int, char **);
int cmd_catalog(int, char **);
int cmd_manifest(int, char **);
int cmd_digest(int, char **);
int cmd_exists(int, char **);
int cmd_version(int, char **);
int cmd_completion(int, char **);
int cmd_copy(int, char **);
int cmd_pull(int, char **);
int cmd_push(int, char **);
int cmd_tag(int, char **);
int cmd_delete(int, char **);
int cmd_index(int, char **);
int cmd_cleanup(int, char **);
int cmd_ratelimit(int, char **);
int cmd_sync(int, char **);
int cmd___complete(int, char **);
int cmd_verify(int, char **);
int cmd_sign(int, char **);
int cmd_generate_key(int, char **);

/* ---- signatures (verify.c): what verify and the gate of copy, pull and sync share */
struct sigcheck {
	struct wn_verify_options o;
	struct wn_key *key;
	struct wn_trusted_root *root;
	const char *annotations[65];
};
/* Builds the verification options from --key FILE (or the gate's --verify-key;
 * NULL: keyless) and the GROUP_SIGCHECK options.  Returns 0 or an exit code
 * (the error printed).  sigcheck_free releases what it loaded. */
int sigcheck_build(struct sigcheck *sc, const char *keyfile, const char *const *annotations, int n_annotations);
void sigcheck_free(struct sigcheck *sc);
/* The gate: *out is NULL when neither --verify-key nor a certificate identity
 * was given, else options to put in wn_copy_options.verify.  0 or an exit code. */
int gate_options(struct sigcheck *sc, const struct wn_verify_options **out);
extern const char *gate_key;  /* --verify-key */

extern const struct opt_spec login_opts[], inspect_opts[], list_tags_opts[], catalog_opts[], copy_opts[], transfer_opts[],
	upload_opts[], src_opts[], dest_opts[], delete_opts[], cleanup_opts[], manifest_opts[], tag_opts[],
	sigcheck_opts[], gate_opts[], verify_opts[], sign_opts[], generate_key_opts[];
extern const struct opt_spec sync_opts[];
/* Adds "rateLimit" (the last rate-limit headers the context saw, or null) to a JSON object (ratelimit.c). */
void json_add_ratelimit(void *cjson, struct wn_ctx *ctx);
int parse_size(const char *s, size_t *out);
extern const char *const completion_bash, *const completion_zsh, *const completion_fish;

#endif

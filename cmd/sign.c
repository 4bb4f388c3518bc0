/*
 * sign.c: `winch sign --key cosign.key REF` and `winch generate-key`.
 * The password of an encrypted cosign key comes from COSIGN_PASSWORD, else
 * the terminal, as cosign asks for it (cosign cmd/cosign/cli/generate
 * GetPass / readPasswordFn).
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>
#include "cmd.h"

static const char *key_file, *platform;
static struct str_list annotations;
static int bundle, no_sig_tag;

const struct opt_spec sign_opts[] = {
	{ "key", 'k', OPT_STR, &key_file, "FILE",
	  "the private key: cosign's encrypted cosign.key, or a PKCS#8, EC or RSA PEM private key" },
	{ "annotations", 'a', OPT_LIST, &annotations, "KEY=VALUE", "sign this annotation too (repeatable)" },
	{ "bundle", 0, OPT_FLAG, &bundle, NULL, "also push a sigstore bundle (cosign v3's format) as an OCI referrer" },
	{ "bundle-only", 0, OPT_FLAG, &no_sig_tag, NULL, "push only the bundle, no sha256-HEX.sig tag" },
	{ "platform", 0, OPT_STR, &platform, "OS/ARCH[/VARIANT]", "sign this platform's manifest of an index" },
	OPT_END,
};

static const char *prefix = "cosign", *algorithm;
static int force;

const struct opt_spec generate_key_opts[] = {
	{ "output-key-prefix", 0, OPT_STR, &prefix, "PREFIX", "write PREFIX.key and PREFIX.pub (default cosign)" },
	{ "signing-algorithm", 0, OPT_STR, &algorithm, "ALG",
	  "ecdsa-sha2-256-nistp256 (default), ecdsa-sha2-384-nistp384, ecdsa-sha2-512-nistp521, "
	  "rsa-sign-pkcs1-2048-sha256 (3072, 4096), ed25519" },
	{ "force", 'f', OPT_FLAG, &force, NULL, "overwrite PREFIX.key and PREFIX.pub" },
	OPT_END,
};

/* A line from the terminal, echo off; NULL when there is none. */
static char *ask(const char *prompt)
{
	FILE *tty = fopen("/dev/tty", "r+");
	struct termios old, quiet;
	char *line = NULL;
	size_t cap = 0;
	if (!tty)
		return NULL;
	bool term = !tcgetattr(fileno(tty), &old);
	fputs(prompt, stderr);
	if (term) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(fileno(tty), TCSAFLUSH, &quiet);
	}
	ssize_t n = getline(&line, &cap, tty);
	if (term)
		tcsetattr(fileno(tty), TCSAFLUSH, &old);
	fputc('\n', stderr);
	fclose(tty);
	if (n < 0) {
		free(line);
		return NULL;
	}
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = 0;
	return line;
}

/* COSIGN_PASSWORD (empty is a password), else the terminal (twice to confirm). */
static char *password(bool confirm)
{
	const char *env = getenv("COSIGN_PASSWORD");
	if (env)
		return strdup(env);
	char *a = ask(confirm ? "Enter password for private key: " : "Enter password for private key: ");
	if (!a || !confirm)
		return a;
	char *b = ask("Enter password for private key again: ");
	if (!b || strcmp(a, b)) {
		warn_msg("the passwords do not match");
		free(a);
		free(b);
		return NULL;
	}
	free(b);
	return a;
}

static void forget(char *s)
{
	if (s) {
		memset(s, 0, strlen(s));
		free(s);
	}
}

static int load_private(struct wn_key **out)
{
	FILE *f = fopen(key_file, "rb");
	char buf[1 << 20];
	size_t n;
	struct wn_error err;
	char *pass = NULL;
	*out = NULL;
	if (!f) {
		warn_msg("cannot read the key %s: %s", key_file, strerror(errno));
		return EXIT_USAGE;
	}
	n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = 0;
	if (wn_key_is_encrypted(buf, n) && !(pass = password(false))) {
		warn_msg("%s is encrypted: set COSIGN_PASSWORD, or run on a terminal to be asked", key_file);
		memset(buf, 0, n);
		return EXIT_USAGE;
	}
	int rc = wn_key_load_private(out, buf, n, pass, &err);
	memset(buf, 0, n);
	forget(pass);
	if (rc != WN_OK) {
		warn_msg("%s: %s", key_file, err.msg);
		return rc == WN_EAUTH ? EXIT_AUTH : rc == WN_ENOMEM ? EXIT_ERROR : EXIT_USAGE;
	}
	return 0;
}

int cmd_sign(int argc, char **argv)
{
	struct wn_sign_options o = WN_SIGN_OPTIONS_INIT;
	struct wn_sign_result r;
	struct wn_key *key = NULL;
	struct wn_ctx *ctx;
	const char *ann[65];
	int rc;
	if (!key_file)
		return usage_error(NULL, "--key FILE is needed (winch signs with a key; keyless signing needs Fulcio)");
	for (int i = 0; i < annotations.n; i++) {
		if (!strchr(annotations.items[i], '='))
			return usage_error(NULL, "an annotation is KEY=VALUE, not \"%s\"", annotations.items[i]);
		ann[i] = annotations.items[i];
	}
	ann[annotations.n] = NULL;
	if ((rc = load_private(&key)))
		return rc;
	if (!(ctx = ctx_open())) {
		wn_key_free(key);
		return EXIT_ERROR;
	}
	o.key = key;
	o.annotations = annotations.n ? ann : NULL;
	o.bundle = bundle || no_sig_tag;
	o.no_sig_tag = no_sig_tag;
	o.platform = platform;
	const char *repo = getenv("COSIGN_REPOSITORY");
	o.signature_repository = repo && *repo ? repo : NULL;
	if (wn_sign(&r, ctx, argv[0], &o) != WN_OK) {
		rc = fail_ctx(ctx);
	} else {
		if (want_json()) {
			cJSON *j = cJSON_CreateObject();
			cJSON_AddStringToObject(j, "reference", argv[0]);
			cJSON_AddStringToObject(j, "digest", r.digest);
			r.sig_tag ? cJSON_AddStringToObject(j, "signatureTag", r.sig_tag) : cJSON_AddNullToObject(j, "signatureTag");
			*r.sig_manifest ? cJSON_AddStringToObject(j, "signatureManifest", r.sig_manifest)
			                : cJSON_AddNullToObject(j, "signatureManifest");
			*r.bundle_manifest ? cJSON_AddStringToObject(j, "bundle", r.bundle_manifest) : cJSON_AddNullToObject(j, "bundle");
			cJSON_AddBoolToObject(j, "alreadySigned", r.already);
			cJSON_AddBoolToObject(j, "transparencyLog", 0);
			print_json(j);
			cJSON_Delete(j);
		} else {
			if (r.sig_tag)
				printf("%s %s\n", r.sig_tag, r.sig_manifest);
			if (*r.bundle_manifest)
				printf("bundle %s\n", r.bundle_manifest);
		}
		say("signed %s (%s)%s with the %s key; no transparency-log entry was made: verifiers need "
		    "--insecure-ignore-tlog", argv[0], r.digest, r.already ? ", already signed so," : "",
		    wn_key_type_name(wn_key_get_type(key)));
		wn_sign_result_clear(&r);
	}
	wn_ctx_free(ctx);
	wn_key_free(key);
	return rc;
}

/* Writes text to path, created with `mode` (exclusive unless --force). */
static int write_file(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | (force ? O_TRUNC : O_EXCL), mode);
	size_t len = strlen(text), off = 0;
	if (fd < 0) {
		warn_msg(errno == EEXIST ? "%s exists: remove it, or give --force" : "cannot write %s: %s", path,
		         strerror(errno));
		return errno == EEXIST ? EXIT_ERROR : EXIT_ERROR;
	}
	fchmod(fd, mode);
	while (off < len) {
		ssize_t w = write(fd, text + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			warn_msg("cannot write %s: %s", path, strerror(errno));
			close(fd);
			return EXIT_ERROR;
		}
		off += (size_t)w;
	}
	if (close(fd)) {
		warn_msg("cannot write %s: %s", path, strerror(errno));
		return EXIT_ERROR;
	}
	return 0;
}

int cmd_generate_key(int argc, char **argv)
{
	static const struct {
		const char *name;
		enum wn_key_type type;
		int bits;
	} algs[] = {
		/* sigstore pkg/signature/algorithm_registry.go's flag names */
		{ "ecdsa-sha2-256-nistp256", WN_KEY_ECDSA_P256, 0 },
		{ "ecdsa-sha2-384-nistp384", WN_KEY_ECDSA_P384, 0 },
		{ "ecdsa-sha2-512-nistp521", WN_KEY_ECDSA_P521, 0 },
		{ "rsa-sign-pkcs1-2048-sha256", WN_KEY_RSA, 2048 },
		{ "rsa-sign-pkcs1-3072-sha256", WN_KEY_RSA, 3072 },
		{ "rsa-sign-pkcs1-4096-sha256", WN_KEY_RSA, 4096 },
		{ "ed25519", WN_KEY_ED25519, 0 },
	};
	size_t a = 0;
	struct wn_key *key = NULL;
	struct wn_error err;
	char *priv = NULL, *pub = NULL, *kpath = NULL, *ppath = NULL, *pass = NULL;
	int rc = 0;
	if (algorithm) {
		for (a = 0; a < sizeof algs / sizeof *algs && strcmp(algs[a].name, algorithm); a++)
			;
		if (a == sizeof algs / sizeof *algs)
			return usage_error(NULL, "unknown --signing-algorithm \"%s\" (ecdsa-sha2-256-nistp256, "
			                   "ecdsa-sha2-384-nistp384, ecdsa-sha2-512-nistp521, rsa-sign-pkcs1-2048-sha256, "
			                   "rsa-sign-pkcs1-3072-sha256, rsa-sign-pkcs1-4096-sha256, ed25519)", algorithm);
	}
	if (!*prefix)
		return usage_error(NULL, "--output-key-prefix is empty");
	if (asprintf(&kpath, "%s.key", prefix) < 0 || asprintf(&ppath, "%s.pub", prefix) < 0) {
		warn_msg("out of memory");
		return EXIT_ERROR;
	}
	if (!force && (!access(kpath, F_OK) || !access(ppath, F_OK))) {
		warn_msg("%s exists: remove it, or give --force", !access(kpath, F_OK) ? kpath : ppath);
		rc = EXIT_ERROR;
		goto done;
	}
	if (!(pass = password(true))) {
		if (!getenv("COSIGN_PASSWORD"))
			warn_msg("no password: set COSIGN_PASSWORD (empty for none), or run on a terminal to be asked");
		rc = EXIT_USAGE;
		goto done;
	}
	if (wn_key_generate(&key, algs[a].type, algs[a].bits, &err) != WN_OK ||
	    wn_key_export(&priv, &pub, key, pass, &err) != WN_OK) {
		rc = fail_err(&err);
		goto done;
	}
	if ((rc = write_file(kpath, priv, 0600)) || (rc = write_file(ppath, pub, 0644)))
		goto done;
	say("Private key written to %s\nPublic key written to %s", kpath, ppath);
done:
	forget(pass);
	if (priv)
		forget(priv);
	free(pub);
	free(kpath);
	free(ppath);
	wn_key_free(key);
	return rc;
}

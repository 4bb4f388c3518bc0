/*
 * opt.c: GNU-style option parsing driven by the tables in each command
 * (--name=value, --name value, -x value, -xyz, --bool=false, "--" ends
 * options; options and arguments may mix).  The same tables print -h and
 * feed shell completion, so what a command accepts is written once.
 */
#include <stdlib.h>
#include <string.h>
#include "cmd.h"

struct common common = { .format = "text", .tls_verify = -1 };

const struct opt_spec common_opts[] = {
	{ "verbose", 'v', OPT_COUNT, &common.verbose, NULL, "show requests (-vv: and headers, secrets redacted)" },
	{ "quiet", 'q', OPT_FLAG, &common.quiet, NULL, "only errors on stderr" },
	{ "help", 'h', OPT_FLAG, &common.help, NULL, "show this help" },
	OPT_END,
};

const struct opt_spec registry_opts[] = {
	{ "authfile", 0, OPT_STR, &common.authfile, "FILE", "read (and with login, write) credentials in FILE" },
	{ "creds", 0, OPT_STR, &common.creds, "USER:PASS", "use these credentials" },
	{ "tls-verify", 0, OPT_BOOL, &common.tls_verify, NULL, "verify TLS certificates (default true)" },
	{ "plain-http", 0, OPT_FLAG, &common.plain_http, NULL, "use http:// instead of https://" },
	{ "cert-dir", 0, OPT_STR, &common.cert_dir, "DIR", "CA (*.crt) and client certificate (client.cert/.key) in DIR" },
	{ "timeout", 0, OPT_STR, &common.timeout, "DURATION",
	  "a request stalled this long fails, and so does a small one taking longer (default 60s)" },
	OPT_END,
};

const struct opt_spec format_opts[] = {
	{ "format", 0, OPT_STR, &common.format, "FORMAT", "text (default) or json" },
	OPT_END,
};

#define N_TABLES 10
static const struct opt_spec *tables(const struct cmd *c, int i)
{
	switch (i) {
	case 0: return c->opts;
	case 1: return c->groups & GROUP_TRANSFER ? transfer_opts : NULL;
	case 2: return c->groups & GROUP_UPLOAD ? upload_opts : NULL;
	case 3: return c->groups & GROUP_FORMAT ? format_opts : NULL;
	case 4: return c->groups & GROUP_REGISTRY ? registry_opts : NULL;
	case 5: return c->groups & GROUP_SRC ? src_opts : NULL;
	case 6: return c->groups & GROUP_DEST ? dest_opts : NULL;
	case 7: return common_opts;
	case 8: return c->groups & GROUP_GATE ? gate_opts : NULL;
	case 9: return c->groups & GROUP_SIGCHECK ? sigcheck_opts : NULL;
	}
	return NULL;
}

/* What strconv.ParseBool takes (skopeo's --tls-verify goes through it):
 * 1: true, 0: false, -1: anything else ("yes", "on" and "" included). */
static int parse_bool(const char *v)
{
	static const char *const yes[] = { "1", "t", "T", "TRUE", "true", "True" };
	static const char *const no[] = { "0", "f", "F", "FALSE", "false", "False" };
	for (size_t i = 0; i < sizeof yes / sizeof *yes; i++) {
		if (!strcmp(v, yes[i]))
			return 1;
		if (!strcmp(v, no[i]))
			return 0;
	}
	return -1;
}

/* "--tls-verify false": pflag (skopeo) gives a bool's value only after "=", so
 * this is --tls-verify=true and an argument "false", which then fails skopeo's
 * argument count.  winch says so at once, naming the option, rather than take
 * "false" as an image or a tag. */
static int bool_then_word(const struct cmd *c, const struct opt_spec *o, const char *next)
{
	if (o->type != OPT_BOOL || !next || parse_bool(next) < 0)
		return 0;
	return usage_error(c, "--%s takes its value after \"=\" (--%s=%s): \"%s\" would be an argument", o->lng, o->lng,
	                   next, next);
}

static const struct opt_spec *find_long(const struct cmd *c, const char *name, size_t n)
{
	for (int t = 0; t < N_TABLES; t++)
		for (const struct opt_spec *o = tables(c, t); o && o->lng; o++)
			if (strlen(o->lng) == n && !strncmp(o->lng, name, n))
				return o;
	return NULL;
}

static const struct opt_spec *find_short(const struct cmd *c, char ch)
{
	for (int t = 0; t < N_TABLES; t++)
		for (const struct opt_spec *o = tables(c, t); o && o->lng; o++)
			if (o->shrt && o->shrt == ch)
				return o;
	return NULL;
}

static bool takes_arg(const struct opt_spec *o)
{
	return o->type == OPT_STR || o->type == OPT_LIST;
}

static int set(const struct cmd *c, const struct opt_spec *o, const char *val)
{
	switch (o->type) {
	case OPT_FLAG:
		*(int *)o->dest = 1;
		break;
	case OPT_COUNT:
		(*(int *)o->dest)++;
		break;
	case OPT_BOOL: {
		int b = val ? parse_bool(val) : 1;
		if (b < 0)
			return usage_error(c, "--%s takes true or false (also 1, t, T, TRUE, True; 0, f, F, FALSE, False), "
			                   "not \"%s\"", o->lng, val);
		*(int *)o->dest = b;
		break;
	}
	case OPT_STR:
		*(const char **)o->dest = val;
		break;
	case OPT_LIST: {
		struct str_list *l = o->dest;
		if (l->n == (int)(sizeof l->items / sizeof *l->items))
			return usage_error(c, "--%s given too many times", o->lng);
		l->items[l->n++] = val;
		break;
	}
	}
	return 0;
}

int opt_parse(const struct cmd *c, int *argc, char **argv)
{
	int n = *argc, out = 0;
	bool only_args = false;
	for (int i = 1; i < n; i++) {
		char *a = argv[i];
		if (only_args || a[0] != '-' || !a[1]) {
			argv[out++] = a;
			continue;
		}
		if (!strcmp(a, "--")) {
			only_args = true;
			continue;
		}
		if (a[1] == '-') {
			const char *name = a + 2, *eq = strchr(name, '=');
			size_t nl = eq ? (size_t)(eq - name) : strlen(name);
			const struct opt_spec *o = find_long(c, name, nl);
			if (!o)
				return usage_error(c, "unknown option --%.*s", (int)nl, name);
			const char *val = eq ? eq + 1 : NULL;
			if (takes_arg(o) && !val) {
				if (i + 1 >= n)
					return usage_error(c, "--%s needs a value (%s)", o->lng, o->arg);
				val = argv[++i];
			} else if (!takes_arg(o) && val && o->type != OPT_BOOL) {
				return usage_error(c, "--%s takes no value", o->lng);
			}
			int rc = !eq && !only_args ? bool_then_word(c, o, i + 1 < n ? argv[i + 1] : NULL) : 0;
			if (!rc)
				rc = set(c, o, val);
			if (rc)
				return rc;
			continue;
		}
		for (const char *p = a + 1; *p; p++) {
			const struct opt_spec *o = find_short(c, *p);
			if (!o)
				return usage_error(c, "unknown option -%c", *p);
			const char *val = NULL;
			if (takes_arg(o)) {
				if (p[1])
					val = p + 1;
				else if (i + 1 < n)
					val = argv[++i];
				else
					return usage_error(c, "-%c needs a value (%s)", *p, o->arg);
			}
			int rc = set(c, o, val);
			if (rc)
				return rc;
			if (val)
				break;
		}
	}
	*argc = out;
	return 0;
}

/* The options any command may take, for words before the command name. */
static const struct opt_spec *global_long(const char *name, size_t n)
{
	const struct opt_spec *t[] = { common_opts, registry_opts, format_opts };
	for (size_t i = 0; i < sizeof t / sizeof *t; i++)
		for (const struct opt_spec *o = t[i]; o->lng; o++)
			if (strlen(o->lng) == n && !strncmp(o->lng, name, n))
				return o;
	return NULL;
}

static const struct opt_spec *global_short(char ch)
{
	for (const struct opt_spec *o = common_opts; o->lng; o++)
		if (o->shrt == ch)
			return o;
	return NULL;
}

int opt_global_span(char **argv, int i, int argc)
{
	const char *a = argv[i];
	if (a[0] != '-' || !a[1] || !strcmp(a, "--"))
		return 0;
	if (a[1] == '-') {
		const char *name = a + 2, *eq = strchr(name, '=');
		size_t nl = eq ? (size_t)(eq - name) : strlen(name);
		const struct opt_spec *o = global_long(name, nl);
		if (!o)
			return 0;
		/* a value word goes along; so does the "false" of "--tls-verify false",
		 * for the command's parser to refuse by name */
		bool value_word = !eq && i + 1 < argc &&
		                  (takes_arg(o) || (o->type == OPT_BOOL && parse_bool(argv[i + 1]) >= 0));
		return value_word ? 2 : 1;
	}
	for (const char *p = a + 1; *p; p++)
		if (!global_short(*p))
			return 0;
	return 1;
}

const struct opt_spec *opt_lookup(const struct cmd *c, const char *word, bool *wants_value)
{
	const struct opt_spec *o = NULL;
	*wants_value = false;
	if (word[0] != '-' || !word[1] || !strcmp(word, "--"))
		return NULL;
	if (word[1] == '-') {
		const char *name = word + 2, *eq = strchr(name, '=');
		size_t nl = eq ? (size_t)(eq - name) : strlen(name);
		o = c ? find_long(c, name, nl) : global_long(name, nl);
		*wants_value = o && takes_arg(o) && !eq;
		return o;
	}
	for (const char *p = word + 1; *p; p++) {
		o = c ? find_short(c, *p) : global_short(*p);
		if (!o)
			return NULL;
		if (takes_arg(o)) {
			*wants_value = !p[1];
			return o;
		}
	}
	return o;
}

void opt_global_words(FILE *f)
{
	const struct opt_spec *t[] = { common_opts, registry_opts, format_opts };
	for (size_t i = 0; i < sizeof t / sizeof *t; i++)
		for (const struct opt_spec *o = t[i]; o->lng; o++) {
			fprintf(f, "--%s\n", o->lng);
			if (o->shrt)
				fprintf(f, "-%c\n", o->shrt);
		}
}

void opt_help(const struct cmd *c, FILE *f)
{
	fprintf(f, "Usage: winch %s [OPTIONS] %s\n\n%s\n\nOptions:\n", c->name, c->usage, c->summary);
	for (int t = 0; t < N_TABLES; t++)
		for (const struct opt_spec *o = tables(c, t); o && o->lng; o++) {
			char left[64], sh[8] = "    ";
			if (o->shrt)
				snprintf(sh, sizeof sh, "-%c, ", o->shrt);
			snprintf(left, sizeof left, "%s--%s%s%s%s", sh, o->lng, o->type == OPT_BOOL ? "[=BOOL]" : "",
			         o->arg ? " " : "", o->arg ? o->arg : "");
			fprintf(f, "  %-30s %s\n", left, o->help);
		}
}

void opt_words(const struct cmd *c, FILE *f)
{
	for (int t = 0; t < N_TABLES; t++)
		for (const struct opt_spec *o = tables(c, t); o && o->lng; o++) {
			fprintf(f, "--%s\n", o->lng);
			if (o->shrt)
				fprintf(f, "-%c\n", o->shrt);
		}
}

/*
 * completion.c: `winch completion SHELL` prints the scripts in completions/
 * (compiled in).  The scripts know nothing about winch: they hand the words
 * typed so far to `winch __complete -- WORD...` (the winch being completed,
 * so ./winch and a path work as well as winch on PATH), which answers from
 * the option tables, so the tables are the only list to keep up to date.
 */
#include <stdlib.h>
#include <string.h>
#include "cmd.h"

int cmd_completion(int argc, char **argv)
{
	if (!strcmp(argv[0], "bash"))
		fputs(completion_bash, stdout);
	else if (!strcmp(argv[0], "zsh"))
		fputs(completion_zsh, stdout);
	else if (!strcmp(argv[0], "fish"))
		fputs(completion_fish, stdout);
	else
		return usage_error(NULL, "unknown shell \"%s\" (bash, zsh or fish)", argv[0]);
	return 0;
}

static const char *const bool_values[] = { "true", "false", NULL };

/* The values an option takes, where there is a fixed set (or common ones). */
static const struct {
	const char *option;
	const char *const *values;
} option_values[] = {
	{ "format", (const char *const[]){ "text", "json", NULL } },
	{ "sort", (const char *const[]){ "name", "semver", "none", NULL } },
	{ "tls-verify", (const char *const[]){ "true", "false", NULL } },
	{ "dest-format", (const char *const[]){ "oci", "docker", NULL } },
	{ "src", (const char *const[]){ "yaml", "docker", NULL } }, /* sync */
	{ "dest", (const char *const[]){ "docker", NULL } },
	/* the platforms images are commonly built for (docker buildx's and the official images') */
	{ "platform", (const char *const[]){ "linux/amd64", "linux/arm64", "linux/arm64/v8", "linux/arm/v7", "linux/arm/v6",
	                                     "linux/386", "linux/ppc64le", "linux/s390x", "linux/riscv64",
	                                     "linux/mips64le", "windows/amd64", "windows/arm64", NULL } },
};

/* The words a command's first argument may be. */
static const struct {
	const char *command;
	const char *const *words;
} first_args[] = {
	{ "index", (const char *const[]){ "create", "append", NULL } },
	{ "completion", (const char *const[]){ "bash", "zsh", "fish", NULL } },
};

static const char *const *values_of(const struct opt_spec *o)
{
	for (size_t i = 0; o && i < sizeof option_values / sizeof *option_values; i++)
		if (!strcmp(option_values[i].option, o->lng))
			return option_values[i].values;
	/* every boolean: --tls-verify=, --src-tls-verify=, --dest-plain-http= ... */
	return o && o->type == OPT_BOOL ? bool_values : NULL;
}

static void print_words(const char *prefix, const char *const *w)
{
	for (; w && *w; w++)
		printf("%s%s\n", prefix, *w);
}

/* Candidates for the last word of w[0..n) (the words after the program name;
 * the last is the one being completed, maybe empty), one a line, for the
 * shell to filter by what is typed.  Nothing: the shell completes file names. */
static int complete_words(int n, char **w)
{
	const char *cur = n ? w[n - 1] : "";
	const struct cmd *c = NULL;
	const struct opt_spec *want = NULL; /* the previous word is this option, wanting a value */
	int pos = 0;                        /* arguments after the command */
	bool only_args = false;

	for (int i = 0; i < n - 1; i++) {
		const char *a = w[i];
		bool wants = false;
		if (want) {
			want = NULL;
			continue;
		}
		if (!only_args && a[0] == '-' && a[1]) {
			if (!strcmp(a, "--"))
				only_args = c != NULL;
			else if (opt_lookup(c, a, &wants) && wants)
				want = opt_lookup(c, a, &wants);
			continue;
		}
		if (c) {
			pos++;
			continue;
		}
		for (c = commands; c->name && strcmp(c->name, a); c++)
			;
		if (!c->name)
			return 0; /* not a command: nothing to say */
	}
	if (want) {
		print_words("", values_of(want));
		return 0;
	}
	if (!only_args && cur[0] == '-') {
		const char *eq = strchr(cur, '=');
		bool wants;
		if (cur[1] == '-' && eq) {
			/* --format=j: the values, with the option in front */
			const struct opt_spec *o = opt_lookup(c, cur, &wants);
			const char *const *v = o ? values_of(o) : NULL;
			for (; v && *v; v++)
				printf("--%s=%s\n", o->lng, *v);
		} else if (c) {
			opt_words(c, stdout);
		} else {
			opt_global_words(stdout);
		}
		return 0;
	}
	if (!c) {
		for (c = commands; c->name; c++)
			printf("%s\n", c->name);
		return 0;
	}
	for (size_t i = 0; pos == 0 && i < sizeof first_args / sizeof *first_args; i++)
		if (!strcmp(first_args[i].command, c->name))
			print_words("", first_args[i].words);
	return 0;
}

/* winch __complete -- WORD... | commands | options CMD | exit-codes */
int cmd___complete(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "--"))
		return complete_words(argc - 2, argv + 2);
	if (argc >= 2 && !strcmp(argv[1], "commands")) {
		for (const struct cmd *c = commands; c->name; c++)
			printf("%s\n", c->name);
		return 0;
	}
	if (argc >= 3 && !strcmp(argv[1], "options")) {
		for (const struct cmd *c = commands; c->name; c++)
			if (!strcmp(c->name, argv[2])) {
				opt_words(c, stdout);
				return 0;
			}
		return EXIT_USAGE;
	}
	if (argc >= 2 && !strcmp(argv[1], "exit-codes")) {
		for (int i = 0; exit_code_name(i); i++)
			printf("%d %s\n", i, exit_code_name(i));
		return 0;
	}
	return EXIT_USAGE;
}

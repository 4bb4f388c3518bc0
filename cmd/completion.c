/*
 * completion.c: `winch completion SHELL` prints the scripts in completions/
 * (compiled in); the scripts ask `winch __complete` for commands and
 * options, so the option tables are the only list to keep up to date.
 */
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
		return usage_error(NULL, "completion: unknown shell \"%s\" (bash, zsh or fish)", argv[0]);
	return 0;
}

/* winch __complete commands | options CMD | exit-codes */
int cmd___complete(int argc, char **argv)
{
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

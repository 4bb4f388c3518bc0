/*
 * login.c: `winch login [REGISTRY]`: checks the credentials first (a failed
 * login changes nothing), then stores them where docker would.  The
 * credentials come from -u/-p, --password-stdin, the terminal, or the common
 * --creds USER[:PASS] (the same as -u USER [-p PASS], so it is never ignored).
 * `winch logout [REGISTRY]` erases them.
 */
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include "cmd.h"

static const char *username, *password;
static int password_stdin;

const struct opt_spec login_opts[] = {
	{ "username", 'u', OPT_STR, &username, "USER", "user name" },
	{ "password", 'p', OPT_STR, &password, "PASS", "password (visible to other users: prefer --password-stdin)" },
	{ "password-stdin", 0, OPT_FLAG, &password_stdin, NULL, "read the password from standard input" },
	OPT_END,
};

/* Reads one line from f without its newline; echo off when it is a terminal. */
static char *read_line(FILE *f, bool secret)
{
	struct termios old, quiet;
	bool tty = secret && isatty(fileno(f)) && !tcgetattr(fileno(f), &old);
	char *line = NULL;
	size_t cap = 0;
	if (tty) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(fileno(f), TCSAFLUSH, &quiet);
	}
	ssize_t n = getline(&line, &cap, f);
	if (tty) {
		tcsetattr(fileno(f), TCSAFLUSH, &old);
		fputc('\n', stderr);
	}
	if (n < 0) {
		free(line);
		return NULL;
	}
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = 0;
	return line;
}

int cmd_login(int argc, char **argv)
{
	char *reg = NULL, *user = NULL, *pass = NULL, *where = NULL;
	struct wn_error err;
	struct wn_ctx *ctx = NULL;
	FILE *tty = NULL;
	int rc = 0;

	if (wn_registry_normalize(&reg, argc ? argv[0] : "docker.io", &err) != WN_OK)
		return fail_err(&err);
	if (common.creds && (username || password)) {
		rc = usage_error(&commands[0], "--creds and --username/--password are mutually exclusive");
		goto done;
	}
	const char *creds_pass = common.creds ? strchr(common.creds, ':') : NULL;
	if (creds_pass && password_stdin) {
		rc = usage_error(&commands[0], "--creds USER:PASS and --password-stdin are mutually exclusive");
		goto done;
	}
	if (common.creds) { /* USER[:PASS]: without a password, it is asked for as after -u */
		user = strndup(common.creds, creds_pass ? (size_t)(creds_pass - common.creds) : strlen(common.creds));
		username = user;
		if (creds_pass)
			password = creds_pass + 1;
	}
	if (password && password_stdin) {
		rc = usage_error(&commands[0], "--password and --password-stdin are mutually exclusive");
		goto done;
	}
	if (password_stdin && !username) {
		rc = usage_error(&commands[0], "--password-stdin needs --username");
		goto done;
	}
	if (!username && !password && !password_stdin) {
		/* an ECR registry with AWS credentials at hand: GetAuthorizationToken, no aws CLI */
		if (!(ctx = ctx_open())) {
			rc = EXIT_ERROR;
			goto done;
		}
		int erc = wn_login_ecr(ctx, reg, &user, &pass);
		if (erc != WN_OK && erc != WN_ENOTFOUND) {
			rc = fail_ctx(ctx);
			goto done;
		}
		if (erc == WN_OK)
			username = user;
	}
	if (!username || (!password && !password_stdin && !pass)) {
		tty = fopen("/dev/tty", "r+");
		if (!tty) {
			rc = usage_error(&commands[0], "no terminal to ask on: give --username and --password-stdin");
			goto done;
		}
	}
	if (!username) {
		fprintf(stderr, "Username: ");
		user = read_line(tty, false);
	} else if (!user) { /* --creds made it already */
		user = strdup(username);
	}
	if (pass) {
		/* from GetAuthorizationToken */
	} else if (password) {
		warn_msg("warning: %s is visible to other users of this machine; use --password-stdin",
		         common.creds ? "the password of --creds" : "--password");
		pass = strdup(password);
	} else if (password_stdin) {
		pass = read_line(stdin, false);
	} else {
		fprintf(stderr, "Password: ");
		pass = read_line(tty, true);
	}
	if (!user || !*user) {
		rc = usage_error(&commands[0], "empty username");
		goto done;
	}
	if (!pass || !*pass) {
		rc = usage_error(&commands[0], "empty password");
		goto done;
	}
	if (!ctx && !(ctx = ctx_open())) {
		rc = EXIT_ERROR;
		goto done;
	}
	if (wn_login_check(ctx, reg, user, pass) != WN_OK || wn_creds_store(ctx, reg, user, pass, &where) != WN_OK) {
		rc = fail_ctx(ctx);
		goto done;
	}
	say("credentials for %s stored in %s", reg, where);
	if (!common.quiet) /* docker's line, on stdout as docker prints it; -q: nothing but errors */
		printf("Login Succeeded\n");
done:
	if (tty)
		fclose(tty);
	if (pass) {
		memset(pass, 0, strlen(pass));
		free(pass);
	}
	free(user);
	free(reg);
	free(where);
	wn_ctx_free(ctx);
	return rc;
}

int cmd_logout(int argc, char **argv)
{
	char *reg = NULL, *where = NULL;
	struct wn_error err;
	struct wn_ctx *ctx;
	int rc = 0;
	if (wn_registry_normalize(&reg, argc ? argv[0] : "docker.io", &err) != WN_OK)
		return fail_err(&err);
	if (!(ctx = ctx_open())) {
		free(reg);
		return EXIT_ERROR;
	}
	int lrc = wn_creds_erase(ctx, reg, &where);
	if (lrc == WN_ENOTFOUND)
		say("not logged in to %s", reg);
	else if (lrc != WN_OK)
		rc = fail_ctx(ctx);
	else
		say("removed the credentials for %s from %s", reg, where);
	free(reg);
	free(where);
	wn_ctx_free(ctx);
	return rc;
}

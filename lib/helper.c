/*
 * helper.c: runs docker-credential-NAME (get|store|erase|list) with a timeout,
 * feeding it stdin and collecting stdout (the secret) and stderr (for the
 * error message).  Output is bounded and wiped after use by the callers.
 * A failed helper's stdout is never put in a message: it may hold the secret.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "internal.h"

#define HELPER_OUT_MAX (1u << 20)

static long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* The first non-empty line of a helper's stderr, at most n-1 bytes, control
 * characters shown as '?' (a message goes to a terminal). */
static void first_line(char *out, size_t n, const char *s)
{
	size_t k = 0;
	if (!s)
		s = "";
	while (*s == '\n' || *s == '\r' || *s == ' ' || *s == '\t')
		s++;
	for (; *s && *s != '\n' && *s != '\r' && k + 1 < n; s++)
		out[k++] = (unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s;
	while (k && out[k - 1] == ' ')
		k--;
	out[k] = 0;
}

int wn__helper_run(struct wn_ctx *ctx, const char *name, const char *verb, const char *input, char **out)
{
	int in[2] = { -1, -1 }, o[2] = { -1, -1 }, e[2] = { -1, -1 };
	struct wn__buf ob = { .max = HELPER_OUT_MAX }, eb = { .max = 4096 };
	char *prog = wn__sprintf("docker-credential-%s", name);
	int rc = WN_OK, status = 0;
	pid_t pid = -1;

	*out = NULL;
	if (!prog || strchr(name, '/')) {
		free(prog);
		return wn__ctx_fail(ctx, WN_ECONFIG, "invalid credential helper name \"%s\"", name);
	}
	if (pipe2(in, O_CLOEXEC) || pipe2(o, O_CLOEXEC) || pipe2(e, O_CLOEXEC)) {
		rc = wn__ctx_fail(ctx, WN_EIO, "credential helper %s: pipe: %s", prog, strerror(errno));
		goto done;
	}
	pid = fork();
	if (pid < 0) {
		rc = wn__ctx_fail(ctx, WN_EIO, "credential helper %s: fork: %s", prog, strerror(errno));
		goto done;
	}
	if (pid == 0) {
		dup2(in[0], 0);
		dup2(o[1], 1);
		dup2(e[1], 2);
		execlp(prog, prog, verb, (char *)NULL);
		_exit(127); /* the forked child must never return into the library */
	}
	close(in[0]);
	close(o[1]);
	close(e[1]);
	in[0] = o[1] = e[1] = -1;
	/* a helper that exits without reading must not kill us with SIGPIPE;
	 * block it here instead of changing the process's disposition */
	sigset_t pipe_set, old_set;
	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	sigprocmask(SIG_BLOCK, &pipe_set, &old_set);

	size_t inlen = strlen(input ? input : ""), inoff = 0;
	long deadline = now_ms() + ctx->opt.helper_timeout_ms;
	if (!inlen) {
		close(in[1]);
		in[1] = -1;
	}
	while (o[0] >= 0 || e[0] >= 0) {
		struct pollfd p[3];
		int np = 0;
		if (in[1] >= 0)
			p[np++] = (struct pollfd){ in[1], POLLOUT, 0 };
		if (o[0] >= 0)
			p[np++] = (struct pollfd){ o[0], POLLIN, 0 };
		if (e[0] >= 0)
			p[np++] = (struct pollfd){ e[0], POLLIN, 0 };
		long left = deadline - now_ms();
		if (wn__cancelled(ctx)) {
			kill(pid, SIGKILL);
			rc = wn__check_cancel(ctx);
			break;
		}
		if (left <= 0) {
			kill(pid, SIGKILL);
			rc = wn__ctx_fail(ctx, WN_ECONFIG, "credential helper %s %s: no answer within %ld ms", prog, verb,
			                  ctx->opt.helper_timeout_ms);
			break;
		}
		if (poll(p, (nfds_t)np, (int)left) < 0 && errno != EINTR)
			break;
		for (int i = 0; i < np; i++) {
			if (!p[i].revents)
				continue;
			if (p[i].fd == in[1]) {
				ssize_t w = write(in[1], input + inoff, inlen - inoff);
				if (w > 0)
					inoff += (size_t)w;
				if (w < 0 && errno == EPIPE) {
					struct timespec zero = { 0, 0 };
					sigtimedwait(&pipe_set, NULL, &zero);
				}
				if (w < 0 || inoff == inlen) {
					close(in[1]);
					in[1] = -1;
				}
			} else {
				char chunk[4096];
				ssize_t r = read(p[i].fd, chunk, sizeof chunk);
				int *fdp = p[i].fd == o[0] ? &o[0] : &e[0];
				if (r <= 0) {
					close(*fdp);
					*fdp = -1;
				} else {
					wn__buf_append(fdp == &o[0] ? &ob : &eb, chunk, (size_t)r);
				}
			}
		}
	}
	if (in[1] >= 0) {
		close(in[1]);
		in[1] = -1;
	}
	waitpid(pid, &status, 0);
	sigprocmask(SIG_SETMASK, &old_set, NULL);
	if (rc != WN_OK)
		goto done;
	wn__buf_cstr(&ob);
	wn__buf_cstr(&eb);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127 && !ob.len) {
		rc = wn__ctx_fail(ctx, WN_ECONFIG, "credential helper %s not found in PATH", prog);
	} else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		/* helpers say "credentials not found in native keychain" on stdout
		 * (docker-credential-helpers credentials.errCredentialsNotFound);
		 * docker-credential-pass's erase of a missing entry says instead
		 * "... is not in the password store." (its `pass rm` failing).  That
		 * is the one thing read from a failed helper's stdout, and it is
		 * never shown: a helper that printed its answer and then failed would
		 * put the secret in the message */
		if (ob.data && (strstr((char *)ob.data, "credentials not found") ||
		                strstr((char *)ob.data, "is not in the password store"))) {
			rc = WN_ENOTFOUND;
		} else {
			char how[48], why[201];
			if (WIFEXITED(status))
				snprintf(how, sizeof how, "exit status %d", WEXITSTATUS(status));
			else
				snprintf(how, sizeof how, "killed by signal %d", WIFSIGNALED(status) ? WTERMSIG(status) : 0);
			first_line(why, sizeof why, (const char *)eb.data);
			rc = wn__ctx_fail(ctx, WN_ECONFIG, "credential helper %s %s failed (%s)%s%s", prog, verb, how,
			                  *why ? ": " : ", nothing on stderr", why);
		}
	} else {
		*out = (char *)ob.data;
		ob.data = NULL;
	}
done:
	for (int i = 0; i < 2; i++) {
		if (in[i] >= 0)
			close(in[i]);
		if (o[i] >= 0)
			close(o[i]);
		if (e[i] >= 0)
			close(e[i]);
	}
	if (ob.data)
		memset(ob.data, 0, ob.len);
	wn__buf_free(&ob);
	wn__buf_free(&eb);
	free(prog);
	return rc;
}

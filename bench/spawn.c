/* spawn N CMD...: start-up time (bench/run.sh). Runs CMD N times, one after another, with its
 * output on /dev/null, and prints the median and the minimum wall time in milliseconds. A C
 * driver (posix_spawn, wait) rather than Python's subprocess keeps the driver's own cost (~0.1 ms)
 * well under the figures it measures (1-20 ms). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	int n = argc > 2 ? atoi(argv[1]) : 0;
	if (n < 1) {
		fprintf(stderr, "usage: spawn N CMD...\n");
		return 2;
	}
	double *t = calloc((size_t)n, sizeof(*t));
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	for (int i = 0; i < n; i++) {
		struct timespec a, b;
		pid_t pid;
		int st;
		clock_gettime(CLOCK_MONOTONIC, &a);
		if (posix_spawnp(&pid, argv[2], &fa, NULL, argv + 2, environ) || waitpid(pid, &st, 0) < 0) {
			perror("spawn");
			return 1;
		}
		clock_gettime(CLOCK_MONOTONIC, &b);
		if (!WIFEXITED(st) || WEXITSTATUS(st)) {
			fprintf(stderr, "spawn: %s failed\n", argv[2]);
			return 1;
		}
		t[i] = (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6;
	}
	qsort(t, (size_t)n, sizeof(*t), cmp);
	printf("%.2f %.2f\n", t[n / 2], t[0]);
	return 0;
}

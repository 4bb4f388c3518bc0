/*
 * harness.h: a 20-line test harness.  CHECK records a failure and goes on;
 * main() ends with TEST_DONE(), which prints "N passed, N failed".
 */
#ifndef WN_HARNESS_H
#define WN_HARNESS_H
#include <stdio.h>
#include <string.h>

static int t_passed, t_failed;

#define CHECK(cond) do { \
	if (cond) t_passed++; \
	else { t_failed++; printf("FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond); } \
} while (0)

#define CHECK_STR(a, b) do { \
	const char *a_ = (a), *b_ = (b); \
	if (a_ && b_ && !strcmp(a_, b_)) t_passed++; \
	else { t_failed++; printf("FAIL %s:%d: %s == \"%s\", got \"%s\"\n", __FILE__, __LINE__, #a, \
	                           b_ ? b_ : "(null)", a_ ? a_ : "(null)"); } \
} while (0)

#define TEST_DONE() (printf("%d passed, %d failed\n", t_passed, t_failed), t_failed != 0)
#endif

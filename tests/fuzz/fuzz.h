/* fuzz.h: a NUL-terminated copy of the input for parsers that take strings. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
static inline char *fuzz_cstr(const uint8_t *d, size_t n)
{
	char *s = malloc(n + 1);
	if (s) {
		memcpy(s, d, n);
		s[n] = 0;
	}
	return s;
}

/*
 * output.c: data goes to stdout (text or JSON), everything else to stderr.
 */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include "cmd.h"

void print_json(void *doc)
{
	char *s = cJSON_Print(doc);
	if (s) {
		fputs(s, stdout);
		fputc('\n', stdout);
		free(s);
	}
}

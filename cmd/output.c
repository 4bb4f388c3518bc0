/*
 * output.c: data goes to stdout (text or JSON), everything else to stderr.
 */
#include <cjson/cJSON.h>
#include <regex.h>
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

/* A list, filtered by an extended regex (NULL: all): one item per line, or
 * with --format json {"<name_key>": name, "<list_key>": [...]}.  Returns an
 * exit code (2 for a bad regex). */
int print_list(const char *name_key, const char *name, const char *list_key, char *const *items, size_t n,
               const char *match)
{
	regex_t re;
	if (match && regcomp(&re, match, REG_EXTENDED | REG_NOSUB))
		return usage_error(NULL, "invalid --match regular expression \"%s\"", match);
	cJSON *doc = NULL, *arr = NULL;
	if (want_json()) {
		doc = cJSON_CreateObject();
		cJSON_AddStringToObject(doc, name_key, name);
		arr = cJSON_AddArrayToObject(doc, list_key);
	}
	for (size_t i = 0; i < n; i++) {
		if (match && regexec(&re, items[i], 0, NULL, 0))
			continue;
		if (arr)
			cJSON_AddItemToArray(arr, cJSON_CreateString(items[i]));
		else
			printf("%s\n", items[i]);
	}
	if (doc) {
		print_json(doc);
		cJSON_Delete(doc);
	}
	if (match)
		regfree(&re);
	return 0;
}

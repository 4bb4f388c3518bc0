/*
 * output.c: data goes to stdout (text or JSON), everything else to stderr.
 * One JSON printer (two-space indents) and one way to say counts and sizes.
 */
#include <cjson/cJSON.h>
#include <regex.h>
#include <stdint.h>
#include <stdlib.h>
#include "cmd.h"

/* JSON strings as cJSON escapes them: quote, backslash and control characters. */
static void put_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
		switch (*p) {
		case '"': fputs("\\\"", f); break;
		case '\\': fputs("\\\\", f); break;
		case '\b': fputs("\\b", f); break;
		case '\f': fputs("\\f", f); break;
		case '\n': fputs("\\n", f); break;
		case '\r': fputs("\\r", f); break;
		case '\t': fputs("\\t", f); break;
		default:
			if (*p < 0x20)
				fprintf(f, "\\u%04x", *p);
			else
				fputc(*p, f);
		}
	}
	fputc('"', f);
}

static void put_value(FILE *f, const cJSON *v, int depth)
{
	if (cJSON_IsObject(v) || cJSON_IsArray(v)) {
		bool obj = cJSON_IsObject(v);
		const cJSON *c = v->child;
		if (!c) {
			fputs(obj ? "{}" : "[]", f);
			return;
		}
		fputs(obj ? "{\n" : "[\n", f);
		for (; c; c = c->next) {
			fprintf(f, "%*s", 2 * (depth + 1), "");
			if (obj) {
				put_string(f, c->string);
				fputs(": ", f);
			}
			put_value(f, c, depth + 1);
			fputs(c->next ? ",\n" : "\n", f);
		}
		fprintf(f, "%*s%c", 2 * depth, "", obj ? '}' : ']');
	} else if (cJSON_IsString(v)) {
		put_string(f, v->valuestring);
	} else {
		/* numbers, booleans, null: as cJSON writes them */
		char *t = cJSON_PrintUnformatted(v);
		fputs(t ? t : "null", f);
		free(t);
	}
}

/* The one JSON printer of winch's output: two-space indents, "key": value
 * (cJSON_Print indents with tabs and puts a tab after the colon). */
char *json_text(const void *doc)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f)
		return NULL;
	put_value(f, doc, 0);
	if (fclose(f)) {
		free(text);
		return NULL;
	}
	return text;
}

void print_json(void *doc)
{
	char *s = json_text(doc);
	if (s) {
		fputs(s, stdout);
		fputc('\n', stdout);
		free(s);
	}
}

char *json_reindent(const char *text)
{
	cJSON *doc = text ? cJSON_Parse(text) : NULL;
	char *s = doc ? json_text(doc) : NULL;
	cJSON_Delete(doc);
	return s;
}

const char *plural(uint64_t n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

const char *human_size(char buf[32], uint64_t bytes)
{
	if (bytes < 1024)
		snprintf(buf, 32, "%llu byte%s", (unsigned long long)bytes, bytes == 1 ? "" : "s");
	else if (bytes < (1u << 20))
		snprintf(buf, 32, "%.1f KiB", (double)bytes / 1024.0);
	else if (bytes < (1u << 30))
		snprintf(buf, 32, "%.1f MiB", (double)bytes / 1048576.0);
	else
		snprintf(buf, 32, "%.1f GiB", (double)bytes / 1073741824.0);
	return buf;
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

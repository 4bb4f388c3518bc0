/*
 * regerr.c: the registry's error body, {"errors":[{"code","message","detail"}]},
 * read so its code and message reach the user instead of a bare status.
 */
#include <string.h>
#include <stdio.h>
#include "internal.h"

int wn__regerr_parse(struct wn__regerr *out, const void *body, size_t len)
{
	memset(out, 0, sizeof *out);
	cJSON *j = wn__json_parse(body, len);
	const cJSON *errs = cJSON_GetObjectItemCaseSensitive(j, "errors");
	int n = 0;
	if (cJSON_IsArray(errs)) {
		const cJSON *e;
		cJSON_ArrayForEach(e, errs) {
			if (!cJSON_IsObject(e))
				continue;
			if (!n++) {
				const char *code = wn__json_str(e, "code"), *msg = wn__json_str(e, "message");
				snprintf(out->code, sizeof out->code, "%s", code ? code : "");
				wn__msg_copy(out->message, sizeof out->message, msg);
				for (char *p = out->message; *p; p++)
					if ((unsigned char)*p < 0x20)
						*p = ' ';
				for (char *p = out->code; *p; p++)
					if ((unsigned char)*p < 0x20)
						*p = ' ';
			}
		}
	}
	cJSON_Delete(j);
	return n;
}

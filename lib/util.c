/*
 * util.c: small shared helpers: capped buffers, strings, base64, string lists.
 * Everything here is bounded: a buffer never grows past its cap.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>
#include <openssl/crypto.h>
#include "internal.h"

int wn__buf_append(struct wn__buf *b, const void *p, size_t n)
{
	if (b->max && b->len + n > b->max) {
		b->overflow = true;
		n = b->max > b->len ? b->max - b->len : 0;
		if (!n)
			return WN_OK;
	}
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 1024;
		while (cap < b->len + n + 1)
			cap *= 2;
		unsigned char *d = realloc(b->data, cap);
		if (!d)
			return WN_ENOMEM;
		b->data = d;
		b->cap = cap;
	}
	memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = 0;
	return WN_OK;
}

int wn__buf_puts(struct wn__buf *b, const char *s)
{
	return wn__buf_append(b, s, strlen(s));
}

int wn__buf_cstr(struct wn__buf *b)
{
	if (!b->data)
		return wn__buf_append(b, "", 0);
	return WN_OK;
}

void wn__buf_free(struct wn__buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
	b->overflow = false;
}

char *wn__strdup(const char *s)
{
	return s ? strdup(s) : NULL;
}

char *wn__strndup(const char *s, size_t n)
{
	return s ? strndup(s, n) : NULL;
}

char *wn__sprintf(const char *fmt, ...)
{
	char *s = NULL;
	va_list ap;
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	return s;
}

int wn__strlist_push_owned(struct wn_strlist *l, char *s)
{
	if (!s)
		return WN_ENOMEM;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		char **items = realloc(l->items, cap * sizeof *items);
		if (!items) {
			free(s);
			return WN_ENOMEM;
		}
		l->items = items;
		l->cap = cap;
	}
	l->items[l->n++] = s;
	return WN_OK;
}

int wn__strlist_push(struct wn_strlist *l, const char *s)
{
	return wn__strlist_push_owned(l, strdup(s));
}

void wn_strlist_free(struct wn_strlist *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++)
		free(l->items[i]);
	free(l->items);
	free(l);
}

char *wn__b64_encode(const void *data, size_t len)
{
	char *out = malloc(4 * ((len + 2) / 3) + 1);
	if (out)
		EVP_EncodeBlock((unsigned char *)out, data, (int)len);
	return out;
}

unsigned char *wn__b64_decode(const char *s, size_t *out_len)
{
	size_t n = strlen(s);
	if (n % 4 || n > (1u << 20))
		return NULL;
	unsigned char *out = malloc(n / 4 * 3 + 1);
	if (!out)
		return NULL;
	int r = EVP_DecodeBlock(out, (const unsigned char *)s, (int)n);
	if (r < 0) {
		free(out);
		return NULL;
	}
	/* EVP_DecodeBlock counts padding as zero bytes */
	size_t len = (size_t)r;
	if (n >= 1 && s[n - 1] == '=')
		len--;
	if (n >= 2 && s[n - 2] == '=')
		len--;
	out[len] = 0;
	*out_len = len;
	return out;
}

char *wn__url_escape(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	char *out = malloc(strlen(s) * 3 + 1), *o = out;
	if (!out)
		return NULL;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		    strchr("-._~", *p)) {
			*o++ = (char)*p;
		} else {
			*o++ = '%';
			*o++ = hex[*p >> 4];
			*o++ = hex[*p & 15];
		}
	}
	*o = 0;
	return out;
}

void wn__free_secret(char *s)
{
	if (s) {
		OPENSSL_cleanse(s, strlen(s));
		free(s);
	}
}

cJSON *wn__json_parse(const void *data, size_t len)
{
	if (!data || !len)
		return NULL;
	return cJSON_ParseWithLengthOpts(data, len, NULL, 0);
}

const char *wn__json_str(const cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

int wn__file_read(struct wn_ctx *ctx, const char *path, size_t max, unsigned char **out, size_t *len)
{
	struct wn__buf b = { .max = max };
	unsigned char chunk[65536];
	size_t n;
	FILE *f = fopen(path, "rb");
	*out = NULL;
	if (!f)
		return errno == ENOENT ? WN_ENOTFOUND : wn__ctx_fail(ctx, WN_EIO, "cannot read %s: %s", path, strerror(errno));
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		wn__buf_append(&b, chunk, n);
	fclose(f);
	if (b.overflow) {
		wn__buf_free(&b);
		return wn__ctx_fail(ctx, WN_ECORRUPT, "%s is larger than %zu bytes", path, max);
	}
	wn__buf_cstr(&b);
	*out = b.data;
	*len = b.len;
	return WN_OK;
}

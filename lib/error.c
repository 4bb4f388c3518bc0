/*
 * error.c: error codes, their names, and the one-line messages kept on a
 * context or a struct wn_error.  The switch has no default so the compiler
 * flags a code added to the enum without a name here.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "internal.h"

const char *wn_err_name(enum wn_err code)
{
	switch (code) {
	case WN_OK: return "ok";
	case WN_ERROR: return "error";
	case WN_EINVAL: return "invalid";
	case WN_ENOMEM: return "no-memory";
	case WN_ENOTFOUND: return "not-found";
	case WN_EAUTH: return "auth";
	case WN_EDENIED: return "denied";
	case WN_ERATELIMIT: return "rate-limited";
	case WN_ENET: return "network";
	case WN_ETLS: return "tls";
	case WN_EDIGEST: return "digest";
	case WN_EUNSUPPORTED: return "unsupported";
	case WN_EIO: return "io";
	case WN_EPROTO: return "protocol";
	case WN_ECONFIG: return "config";
	case WN_EPARTIAL: return "partial";
	case WN_ECORRUPT: return "corrupt";
	case WN_ECANCELED: return "canceled";
	case WN_EREFUSED: return "refused";
	case WN_ENOAPI: return "no-api";
	case WN_ESIGNATURE: return "signature";
	case WN__ERR_COUNT: break;
	}
	return "unknown";
}

/* dst (n bytes) holds the first n-1 bytes of a longer text: cut it after the
 * last whole word and end it " ...", so a digest, reference or path is
 * either whole or absent, never cut short to look like another.  Only a
 * word longer than the whole buffer is cut inside (at a UTF-8 boundary). */
static void cut_at_word(char *dst, size_t n)
{
	static const char more[] = " ...";
	if (n < sizeof more + 1)
		return;
	size_t keep = n - sizeof more; /* bytes of text that fit before " ..." and the NUL */
	size_t i = keep;
	if (dst[keep] != ' ') {
		while (i > 0 && dst[i - 1] != ' ')
			i--;
		if (!i) {
			i = keep; /* one giant word: cut it, not a UTF-8 sequence */
			while (i > 0 && ((unsigned char)dst[i] & 0xC0) == 0x80)
				i--;
		}
	}
	while (i > 0 && dst[i - 1] == ' ')
		i--;
	memcpy(dst + i, more, sizeof more);
	/* what was cut off goes too: the buffer holds nothing past the message */
	memset(dst + i + sizeof more, 0, n - i - sizeof more);
}

void wn__msg_copy(char *dst, size_t n, const char *src)
{
	if (!n)
		return;
	if ((size_t)snprintf(dst, n, "%s", src ? src : "") >= n)
		cut_at_word(dst, n);
}

static void set_msg(char *dst, size_t n, const char *fmt, va_list ap)
{
	int len = vsnprintf(dst, n, fmt, ap);
	/* one line, always: registry messages and helper output may carry newlines */
	for (char *p = dst; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	if (len >= 0 && (size_t)len >= n)
		cut_at_word(dst, n);
}

int wn__error_set(struct wn_error *err, enum wn_err code, const char *fmt, ...)
{
	if (err) {
		va_list ap;
		va_start(ap, fmt);
		err->code = code;
		set_msg(err->msg, sizeof err->msg, fmt, ap);
		va_end(ap);
	}
	return code;
}

int wn__ctx_fail(struct wn_ctx *ctx, enum wn_err code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	ctx->err.code = code;
	set_msg(ctx->err.msg, sizeof ctx->err.msg, fmt, ap);
	va_end(ap);
	return code;
}

int wn__ctx_take(struct wn_ctx *ctx, const struct wn_error *err)
{
	ctx->err = *err;
	return err->code;
}

const char *wn_ctx_errmsg(const struct wn_ctx *ctx)
{
	return ctx ? ctx->err.msg : "";
}

enum wn_err wn_ctx_errcode(const struct wn_ctx *ctx)
{
	return ctx ? ctx->err.code : WN_ERROR;
}

bool wn__cancelled(const struct wn_ctx *ctx)
{
	return ctx && ((ctx->opt.cancel && *ctx->opt.cancel) || (ctx->cancel_also && *ctx->cancel_also));
}

int wn__check_cancel(struct wn_ctx *ctx)
{
	return wn__cancelled(ctx) ? wn__ctx_fail(ctx, WN_ECANCELED, "interrupted") : WN_OK;
}

void wn__sleep_ms(const struct wn_ctx *ctx, long ms)
{
	/* in slices, so an interrupt is not kept waiting behind a Retry-After */
	while (ms > 0 && !wn__cancelled(ctx)) {
		long step = ms < 50 ? ms : 50;
		struct timespec ts = { 0, step * 1000000L };
		nanosleep(&ts, NULL);
		ms -= step;
	}
}

void wn__log(struct wn_ctx *ctx, enum wn_log_level level, const char *fmt, ...)
{
	char line[WN_ERRMSG_MAX];
	va_list ap;
	if (!ctx || !ctx->opt.log || level > ctx->opt.log_level)
		return;
	va_start(ap, fmt);
	int len = vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	if (len >= 0 && (size_t)len >= sizeof line)
		cut_at_word(line, sizeof line);
	ctx->opt.log(ctx->opt.log_data, level, line);
}

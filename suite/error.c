/* error.c — the error buffer and the mapping from error codes to exit statuses. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "migtorture/error.h"

int mt_err(struct mt_error *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return code;
	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return code;
}

void mt_err_prefix(struct mt_error *err, const char *fmt, ...)
{
	char ctx[MT_ERRMSG_MAX];
	size_t cl, ol;
	va_list ap;

	if (!err)
		return;
	va_start(ap, fmt);
	vsnprintf(ctx, sizeof(ctx), fmt, ap);
	va_end(ap);
	/* "ctx: old", truncated at the end like snprintf would */
	cl = strlen(ctx);
	if (cl > sizeof(err->msg) - 3)
		cl = sizeof(err->msg) - 3;
	ol = strnlen(err->msg, sizeof(err->msg) - 1);
	if (cl + 2 + ol > sizeof(err->msg) - 1)
		ol = sizeof(err->msg) - 1 - cl - 2;
	memmove(err->msg + cl + 2, err->msg, ol);
	memcpy(err->msg, ctx, cl);
	err->msg[cl] = ':';
	err->msg[cl + 1] = ' ';
	err->msg[cl + 2 + ol] = '\0';
}

void mt_err_clear(struct mt_error *err)
{
	if (!err)
		return;
	err->code = 0;
	err->msg[0] = '\0';
}

int mt_err_exit_status(int code)
{
	switch (code) {
	case MT_OK:
		return MT_EXIT_PASS;
	case MT_EINVAL:
	case MT_ENOTFOUND:
		return MT_EXIT_USAGE;
	case MT_EUNSUPPORTED:
		return MT_EXIT_ALLSKIP;
	case MT_EINTR:
		return 130;
	default:
		return MT_EXIT_INFRA;
	}
}

const char *mt_err_name(int code)
{
	switch (code) {
	case MT_OK: return "OK";
	case MT_EINVAL: return "EINVAL";
	case MT_ENOMEM: return "ENOMEM";
	case MT_EIO: return "EIO";
	case MT_EINFRA: return "EINFRA";
	case MT_EUNSUPPORTED: return "EUNSUPPORTED";
	case MT_ETIMEOUT: return "ETIMEOUT";
	case MT_ENOTFOUND: return "ENOTFOUND";
	case MT_EINTR: return "EINTR";
	default: return "EUNKNOWN";
	}
}

/*
 * err.c - the shared error type.
 */
#include "core/err.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
gl_err_set(struct gl_err *err, int code, const char *fmt, ...)
{
	va_list	 ap;

	if (err == NULL)
		return code;
	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof err->msg, fmt, ap);
	va_end(ap);
	return code;
}

int
gl_err_prefix(struct gl_err *err, const char *fmt, ...)
{
	char	 pre[256], old[sizeof err->msg];
	va_list	 ap;

	if (err == NULL)
		return 0;
	va_start(ap, fmt);
	vsnprintf(pre, sizeof pre, fmt, ap);
	va_end(ap);
	memcpy(old, err->msg, sizeof old);
	{
		size_t	 np = strlen(pre), no = strlen(old);

		if (np > sizeof err->msg - 3)
			np = sizeof err->msg - 3;
		memcpy(err->msg, pre, np);
		memcpy(err->msg + np, ": ", 2);
		if (no > sizeof err->msg - np - 3)
			no = sizeof err->msg - np - 3;
		memcpy(err->msg + np + 2, old, no);
		err->msg[np + 2 + no] = '\0';
	}
	return err->code;
}

void
gl_err_clear(struct gl_err *err)
{
	if (err == NULL)
		return;
	err->code = GL_OK;
	err->msg[0] = '\0';
}

const char *
gl_err_name(int code)
{
	switch (code) {
	case GL_OK:
		return "OK";
#define GL_ERR_CASE(name, c, desc) case c: return #name;
	GL_ERR_MAP(GL_ERR_CASE)
#undef GL_ERR_CASE
	}
	return "EUNKNOWN";
}

const char *
gl_err_desc(int code)
{
	switch (code) {
	case GL_OK:
		return "success";
#define GL_ERR_CASE(name, c, desc) case c: return desc;
	GL_ERR_MAP(GL_ERR_CASE)
#undef GL_ERR_CASE
	}
	return "unknown error";
}

int
gl_err_from_errno(int errnum)
{
	switch (errnum) {
	case ENOENT:
	case ENOTDIR:
		return GL_ENOTFOUND;
	case EEXIST:
		return GL_EEXIST;
	case EACCES:
	case EPERM:
		return GL_EPERM;
	case ENOSPC:
	case EDQUOT:
		return GL_ENOSPC;
	case ETIMEDOUT:
		return GL_ETIMEDOUT;
	case EINTR:
		return GL_EINTR;
	case EINVAL:
		return GL_EINVAL;
	case ECONNREFUSED:
	case ECONNRESET:
	case EPIPE:
		return GL_ECLOSED;
	case ENOMEM:
		return GL_ENOMEM;
	default:
		return GL_EIO;
	}
}

void
gl_fatal(const char *fmt, ...)
{
	va_list	 ap;

	fputs("galley: fatal: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

/*
 * err.h - errors shared by every galley module.
 * Functions return 0 or a negative GL_E* code and fill the struct gl_err
 * passed last (NULL allowed) with that code and a message naming what and
 * where ("a.nb.lua:14:3: bad metadata JSON"). Pure; used everywhere.
 */
#ifndef GL_ERR_H
#define GL_ERR_H

#include <stddef.h>

/* X(name, code, description). The code's absolute value is the wire code
 * (docs/protocol.md); never renumber. */
#define GL_ERR_MAP(X)							\
	X(EINVAL,      -1, "invalid argument")				\
	X(ESYNTAX,     -2, "malformed input")				\
	X(EIO,         -3, "input/output error")			\
	X(ENOTFOUND,   -4, "no such file, cell or session")		\
	X(EEXIST,      -5, "already exists")				\
	X(EPERM,       -6, "not allowed")				\
	X(EAUTH,       -7, "authentication failed")			\
	X(EPROTO,      -8, "protocol error")				\
	X(ETIMEDOUT,   -9, "timed out")					\
	X(ECONFLICT,  -10, "conflicting edit")				\
	X(EBUSY,      -11, "busy")					\
	X(ERUNTIME,   -12, "error in cell")				\
	X(EINTR,      -13, "interrupted")				\
	X(ENOMEM,     -14, "memory limit exceeded")			\
	X(ECLOSED,    -15, "connection closed")				\
	X(EDIED,      -16, "runtime died")				\
	X(ELIMIT,     -17, "limit reached")				\
	X(EUNSUPPORTED, -18, "not supported")				\
	X(ENOSPC,     -19, "no space left on device")

enum gl_errcode {
	GL_OK = 0,
#define GL_ERR_ENUM(name, code, desc) GL_##name = code,
	GL_ERR_MAP(GL_ERR_ENUM)
#undef GL_ERR_ENUM
};

struct gl_err {
	int	 code;		/* GL_OK or GL_E* */
	char	 msg[512];	/* "a.nb.lua:14: cell has no id" */
};

/* Sets err (if not NULL) to code and a printf-formatted message; returns
 * code, so callers write `return gl_err_set(err, GL_EIO, "...")`. */
int	 gl_err_set(struct gl_err *err, int code, const char *fmt, ...)
	     __attribute__((format(printf, 3, 4)));
/* Prepends "prefix: " to err's message; returns err->code (0 if err NULL). */
int	 gl_err_prefix(struct gl_err *err, const char *fmt, ...)
	     __attribute__((format(printf, 2, 3)));
/* Clears err to GL_OK with an empty message. */
void	 gl_err_clear(struct gl_err *err);
/* "ESYNTAX" for GL_ESYNTAX; "EUNKNOWN" for anything else. Static. */
const char *gl_err_name(int code);
/* One-line description of code. Static string. */
const char *gl_err_desc(int code);
/* Maps errno to a GL_E* code (ENOENT -> GL_ENOTFOUND, ENOSPC -> ...). */
int	 gl_err_from_errno(int errnum);
/* Logs msg to stderr and aborts, in every build: for states that would
 * damage a notebook. */
_Noreturn void gl_fatal(const char *fmt, ...)
	     __attribute__((format(printf, 1, 2)));

#endif

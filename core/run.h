/*
 * run.h - how a cell's run stands: queued, running, or how it ended, with
 * the names docs/protocol.md gives the ended ones (the status of cell.done
 * and of the runtime's answer to a run request). The one run status of
 * galley: the runtime (lua/runtime.c) answers with it, the kernel
 * (kernel/rth.c, kernel/session*.c) passes it on, the client library
 * (client/client.c, cl_done_read) reads it for cli/cmd_run.c and tui/,
 * whose view shows it. Pure; depends on nothing but core/err.h.
 */
#ifndef GL_RUN_H
#define GL_RUN_H

#include <stddef.h>

/* X(name, wire name). Ended statuses come last, from OK on. */
#define GL_RUN_STATUS_MAP(X)						\
	X(NONE,		"none")		/* has not run (in this session) */ \
	X(QUEUED,	"queued")					\
	X(RUNNING,	"running")					\
	X(OK,		"ok")						\
	X(ERROR,	"error")	/* the cell raised an error */	\
	X(INTERRUPTED,	"interrupted")					\
	X(CANCELLED,	"cancelled")	/* dropped before it ran */	\
	X(DIED,		"died")		/* the runtime died under it or \
					 * could not run it */

enum gl_run_status {
#define GL_RUN_ENUM(name, wire) GL_RUN_##name,
	GL_RUN_STATUS_MAP(GL_RUN_ENUM)
#undef GL_RUN_ENUM
};

/* True for the statuses a run ends with (those of cell.done). */
#define GL_RUN_ENDED(st)	((st) >= GL_RUN_OK)

/* The wire name of st ("ok", "died", ...); "?" for a value out of range.
 * Static string. */
const char *gl_run_status_name(enum gl_run_status st);
/* The status named s[0..len): 0 and *st set, or GL_EINVAL (*st
 * unchanged) for a name this build does not know. */
int	 gl_run_status_parse(const char *s, size_t len,
	     enum gl_run_status *st);

#endif

/*
 * worker.h - the cluster worker process (DESIGN section 9): a Lua 5.4
 * host like the runtime that connects to a kernel's cluster listener,
 * proves it holds the cluster secret (challenge-response, the secret
 * never sent), and runs the tasks the kernel's scheduler sends it. The
 * wire is in docs/protocol.md ("Workers").
 *
 * Called by cli/cmd_worker.c for `galley worker --connect HOST:PORT
 * --secret-file PATH [--name NAME]`, the command the kernel's launchers
 * (kernel/launch.c) start on this or another machine. Depends on Lua,
 * libsodium, pthreads and core/ only (lua/worker*.c, lua/host.c,
 * lua/codec.c): no libuv, nothing of kernel/.
 */
#ifndef GL_WORKER_H
#define GL_WORKER_H

#include <stddef.h>

struct lx_worker_opts {
	const char	*connect;	/* "HOST:PORT" ("[::1]:PORT") */
	const char	*secret_file;	/* the cluster secret; "-" = the first
					 * line of stdin, and the worker then
					 * exits when stdin reaches EOF */
	const char	*name;		/* NULL = "HOST-PID" */
	size_t		 memory_limit;	/* Lua heap limit, bytes; 0 = none */
};

/* Serves tasks until the kernel stops it, the connection ends, or
 * SIGTERM (the worker says worker.leaving first). Returns the exit
 * status: 0, or 1 with a message on stderr (refused, unreachable, bad
 * secret file). */
int	 lx_worker_main(const struct lx_worker_opts *opts);

#endif

/*
 * server.h - the kernel process: a libuv loop serving msgpack-RPC on a
 * Unix socket in the runtime directory (and on TCP with --listen), owning
 * every open document and session. `galley kernel` calls srv_run().
 * docs/security.md says what each kind of peer may do.
 */
#ifndef GL_SERVER_H
#define GL_SERVER_H

#include <stddef.h>

struct gl_err;

struct srv_opts {
	const char	*runtime_dir;	/* NULL = gl_runtime_dir() */
	const char	*listen;	/* "HOST:PORT" for TCP too, or NULL */
	size_t		 memory_limit;	/* per runtime, bytes; 0 = default */
	int		 ready_fd;	/* write one byte when serving, then
					   close it (`galley kernel` writes
					   'B' there instead when another
					   kernel holds the lock); -1 = none */
	unsigned	 idle_exit_ms;	/* exit after this long with no clients
					   and no sessions running; 0 = never */
	const char	*exe;		/* galley binary for runtimes; NULL =
					   /proc/self/exe */
	unsigned	 auth_ms;	/* a TCP client or a worker must
					   authenticate within this; 0 = 5 s */
	unsigned	 pending_max;	/* TCP connections that may wait to
					   authenticate at once, per listener
					   (clients, workers); 0 = 64 */
};

/* Runs the kernel until kernel.shutdown, SIGTERM/SIGINT or the idle
 * timeout. Returns 0, or GL_EBUSY if another kernel already serves this
 * runtime directory, or another GL_E* with err set. */
int	 srv_run(const struct srv_opts *opts, struct gl_err *err);

#endif

/*
 * runtime.h - the runtime process: a Lua 5.4 state that runs a session's
 * cells with the semantics of DESIGN section 8, speaking msgpack-RPC with
 * the kernel on one fd (docs/protocol.md, "runtime pipe").
 * `galley runtime --fd N [--memory-limit BYTES]` calls lx_runtime_main().
 */
#ifndef GL_RUNTIME_H
#define GL_RUNTIME_H

#include <stddef.h>

struct lx_runtime_opts {
	int	 fd;			/* the kernel pipe, read and write */
	size_t	 memory_limit;		/* Lua heap limit, bytes; 0 = none */
};

/* Serves run requests until the pipe closes. Returns the exit status. */
int	 lx_runtime_main(const struct lx_runtime_opts *opts);

#endif

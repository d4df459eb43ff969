/*
 * runtime.h - the runtime process: a Lua 5.4 state that runs a session's
 * cells with the semantics of DESIGN section 8, speaking msgpack-RPC with
 * the kernel on one fd (docs/protocol.md, "runtime pipe").
 *
 * Called by cli/cmd_kernel.c for `galley runtime --fd N [--memory-limit
 * BYTES]`, the process kernel/rth.c starts for each session, and by
 * tests/lua/test_runtime.c. Depends on Lua and core/ only (lua/runtime.c,
 * lua/cluster.c, lua/host.c, lua/codec.c): no libuv, nothing of kernel/.
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

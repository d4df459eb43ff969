/*
 * lua_int.h - what the Lua hosts in lua/ share: the runtime's `cluster`
 * binding (lua/cluster.c) and the pipe it borrows from the runtime
 * (lua/runtime.c). Not for use outside lua/.
 */
#ifndef GL_LUA_INT_H
#define GL_LUA_INT_H

#include <lua.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct codec;
struct rpc_msg;
struct rpc_reader;
struct rpc_writer;

/*
 * The runtime's pipe to the kernel, as the cluster binding uses it while
 * a cell waits on cluster work. The reader is the runtime's own, so no
 * byte read by one is lost to the other.
 */
struct lx_cluster_io {
	int		 fd;
	struct rpc_reader *rd;		/* borrowed */
	struct rpc_writer *w;		/* borrowed: pack, then send() */
	int		*broken;	/* set when the pipe failed */
	void		*host;
	/* Writes what *w holds and empties it. */
	void		(*send)(void *host);
	/* True once SIGINT arrived during the running cell. */
	bool		(*interrupted)(void *host);
	/* Ends the cell as interrupted: raises "interrupted" the way the
	 * runtime's hook does. Does not return. */
	int		(*raise_interrupt)(lua_State *L);
	/* A request the kernel sent while the cell waits (ping); the host
	 * answers it. */
	void		(*serve)(void *host, const struct rpc_msg *m);
};

/*
 * A Lua heap with a limit, for lua_newstate(lx_heap_alloc, &heap): both
 * hosts (runtime and worker) count bytes and refuse growth past the
 * limit, so a runaway cell or task gets LUA_ERRMEM (Lua collects and
 * retries once first) instead of taking the machine. Shrinking and
 * freeing always succeed, as Lua requires. (lua/host.c)
 */
struct lx_heap {
	size_t	 limit;		/* bytes; 0 = none */
	size_t	 used;		/* bytes in use */
	int	 failed;	/* growth was refused since the host reset it */
};

void	*lx_heap_alloc(void *ud, void *ptr, size_t osize, size_t nsize);

struct gl_buf;

/* Copies a luaL_traceback() text into out (reset first) without the
 * frames of the host's own unnamed C functions ("[C]: in ?") and without
 * trailing newlines, so users see only their frames. (lua/host.c) */
void	 lx_traceback_clean(const char *tb, struct gl_buf *out);

struct lx_cluster;

/* Installs the global `cluster` in L (cluster.map, submit, gather,
 * workers, scale) over io (copied). Call under lua_pcall: it allocates
 * in L. [-0, +0, m] */
struct lx_cluster *lx_cluster_open(lua_State *L,
	     const struct lx_cluster_io *io);
/* The codec the binding encodes with: the host registers its C
 * functions (print, display) there. Borrowed. */
struct codec *lx_cluster_codec(struct lx_cluster *cl);
/* A message that arrived while no cell waits (results of futures that
 * outlive their cell, late answers): stored or dropped. Runs Lua under
 * its own lua_pcall; never raises. */
void	 lx_cluster_idle(struct lx_cluster *cl, lua_State *L,
	     const struct rpc_msg *m);
/* Frees what lx_cluster_open() made outside L (before lua_close(L)). */
void	 lx_cluster_free(struct lx_cluster *cl);

#endif

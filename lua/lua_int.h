/*
 * lua_int.h - what the files of lua/ share: the Lua host set-up (heap,
 * libraries, print, message handler, traceback; lua/host.c) that the
 * runtime, the worker and the configuration loader are built on, and the
 * runtime's `cluster` binding (lua/cluster.c) with the pipe it borrows
 * from the runtime (lua/runtime.c). Not for use outside lua/.
 */
#ifndef GL_LUA_INT_H
#define GL_LUA_INT_H

#include <lua.h>
#include <msgpack.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/mem.h"
#include "core/rpc.h"

struct codec;
struct gl_err;
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
 * A Lua heap with a limit, for lua_newstate(lx_heap_alloc, &heap): every
 * host counts bytes and refuses growth past the limit, so a runaway cell,
 * task or configuration file gets LUA_ERRMEM (Lua collects and retries
 * once first) instead of taking the machine. Shrinking and freeing always
 * succeed, as Lua requires. (lua/host.c)
 */
struct lx_heap {
	size_t	 limit;		/* bytes; 0 = none */
	size_t	 used;		/* bytes in use */
	int	 failed;	/* growth was refused since the host reset it */
};

void	*lx_heap_alloc(void *ud, void *ptr, size_t osize, size_t nsize);

/* Copies a luaL_traceback() text into out (reset first) without the
 * frames of the host's own unnamed C functions ("[C]: in ?") and without
 * trailing newlines, so users see only their frames. (lua/host.c) */
void	 lx_traceback_clean(const char *tb, struct gl_buf *out);

/*
 * One Lua host (lua/host.c): a state on a counting heap whose extra space
 * points back at the host, a panic handler that names the process, and a
 * message handler that records the cleaned traceback. With
 * LX_HOST_STDLIB it also opens the standard libraries, points print and
 * display at the host's ops and sets package.path; the runtime and the
 * worker are such hosts. The configuration loader (lua/config.c) is a
 * bare one that builds its own sandbox.
 */
struct lx_host_ops {
	/* print(...): the values as print writes them, tab-separated and
	 * newline-ended. Borrowed text. May raise (it runs in Lua). */
	void	(*print)(void *ud, const char *text, size_t len);
	/* display(...) with at least one value: as print, without the
	 * newline. */
	void	(*display)(void *ud, const char *text, size_t len);
	/* Optional: called by lx_host_msgh with the error message at the
	 * top of L, before the traceback is taken (the runtime finds the
	 * cell line there). Must not raise. */
	void	(*on_error)(void *ud, lua_State *L);
};

enum lx_host_flags {
	LX_HOST_STDLIB = 1 << 0,	/* all libraries, print, display */
};

struct lx_host_opts {
	const char	*name;		/* "runtime": "galley runtime: ..." */
	size_t		 memory_limit;	/* bytes; 0 = none */
	int		 flags;		/* enum lx_host_flags */
	/* With LX_HOST_STDLIB: package.path is this (if not NULL), then
	 * $GALLEY_LUA_PATH (if set), then Lua's default, ';'-joined. */
	const char	*path_first;
	const struct lx_host_ops *ops;	/* borrowed; NULL without STDLIB */
	void		*ud;		/* handed to ops */
};

struct lx_host {
	lua_State	*L;		/* owned */
	struct lx_heap	 heap;
	const char	*name;		/* borrowed (static) */
	const struct lx_host_ops *ops;	/* borrowed */
	void		*ud;
	struct gl_buf	 tb;		/* the last error's traceback */
	struct gl_buf	 text;		/* scratch of print, display and
					 * lx_host_format */
	/* Set while lx_host_msgh runs: a hook must not raise then (an error
	 * there would replace the one being handled). Read from hooks, which
	 * run on the Lua thread. */
	volatile int	 in_msgh;
};

/* Creates h->L and sets it up as opts says. On failure returns a GL_E*
 * code with err saying why ("cannot create a Lua state within N bytes",
 * "setup failed: ..."); h needs lx_host_fini() in both cases. */
int	 lx_host_init(struct lx_host *h, const struct lx_host_opts *opts,
	     struct gl_err *err);
/* Closes the state and frees what the host holds. */
void	 lx_host_fini(struct lx_host *h);
/* The host of L (from its extra space). */
struct lx_host *lx_host_of(lua_State *L);
/* The message handler for lua_pcall: makes the error a string
 * (luaL_tolstring for other values), calls ops->on_error, records the
 * traceback without the host's frames in h->tb. [-1, +1, m] */
int	 lx_host_msgh(lua_State *L);
/* The values first..last of L as the REPL shows them (luaL_tolstring of
 * each, tab-separated) in h->text, which it returns (NUL-terminated;
 * valid until the next call). May raise (a __tostring). [-0, +0, e] */
const char *lx_host_format(struct lx_host *h, lua_State *L, int first,
	     int last, size_t *len);
/* The print and display of a STDLIB host, for a codec to send by name. */
int	 lx_host_print(lua_State *L);
int	 lx_host_display(lua_State *L);

/*
 * A table a cell displays, as an output galley draws (lua/display.c): a
 * list of records or a record of lists as {type = "table", columns,
 * rows, more}, anything else as {type = "tree", nodes}, bounded in size
 * whatever the table (docs/protocol.md). The buffers are the struct's,
 * reused from one call to the next.
 */
struct lx_disp {
	struct rpc_writer out;		/* the output map */
	struct rpc_writer nodes;	/* scratch: a tree's nodes */
};

void	 lx_disp_init(struct lx_disp *d);
void	 lx_disp_fini(struct lx_disp *d);
/* If the value at idx is a table galley draws (one without __tostring
 * and __name), packs its output map into d->out (reset first) and
 * returns true; else false. May raise (memory, a __tostring of a
 * value); d's buffers are then left to the next call. [-0, +0, e] */
bool	 lx_disp_pack(struct lx_disp *d, lua_State *L, int idx);

/*
 * Completion and inspection in the runtime's session (lua/complete.c):
 * the answers to `complete {code, cursor}` and `inspect {code,
 * cursor}`, packed into w.
 */
struct lx_comp {
	struct rpc_writer w;		/* the answer's map */
	lua_State	*L;		/* borrowed, during a call */
	const char	*code;		/* borrowed, during a call */
	size_t		 len, cursor;
};

void	 lx_comp_init(struct lx_comp *c);
void	 lx_comp_fini(struct lx_comp *c);
/* Answers complete (inspect: inspect) for code[0..len) and a cursor
 * byte: LUA_OK with c->w holding the answer's map, or a Lua status
 * (memory). Runs under its own lua_pcall; the stack is empty after. */
int	 lx_comp_run(struct lx_comp *c, lua_State *L, bool inspect,
	     const char *code, size_t len, size_t cursor);

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
/* A request of the running cell to the kernel (method, args packed by
 * pack), waited for as cluster.workers() waits (other messages handled
 * meanwhile, Ctrl-C honoured: that raises). 0 with *result the answer's
 * result (borrowed until the next call), or the error answer's GL_E*
 * with err set. [-0, +0, e] */
int	 lx_cluster_call(struct lx_cluster *cl, lua_State *L,
	     const char *method, void (*pack)(msgpack_packer *, void *),
	     void *ctx, const msgpack_object **result, struct gl_err *err);

/* lua/require.c: `require` of the team library registry's modules
 * (docs/registry.md) through the kernel, for a cell (the runtime: kernel
 * requests over cl) or a task (the worker: modules shipped with the job,
 * lx_require_preload). Installs its searcher after package's Lua file
 * searcher. [-0, +0, m] */
void	 lx_require_open(lua_State *L, struct lx_cluster *cl);
/* The worker's side: the modules of one job (a map NAME -> {version,
 * hash, files: {PATH: SOURCE}}), what require "NAME" loads while that
 * job's function and tasks run. Modules of another version loaded before
 * are dropped from package.loaded. Under lua_pcall. [-0, +0, m] */
void	 lx_require_preload(lua_State *L, const msgpack_object *libs);

#endif

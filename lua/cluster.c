/*
 * cluster.c - the `cluster` table of a runtime (DESIGN section 9):
 * cluster.map, cluster.submit and its futures, cluster.gather,
 * cluster.workers, cluster.scale. docs/cluster.md ("Lua API") is the
 * user's reference; docs/protocol.md ("The runtime pipe") the wire.
 *
 * Design.
 *
 * - Values travel through lua/codec: a map's function is encoded once
 *   (with the session globals it reads: env = the runtime's _G), each
 *   item as its own unit, all into one scratch buffer, and sent to the
 *   kernel as `cluster.map {ref, fn, items, errors, more, total}`
 *   requests of at most LC_CHUNK_BYTES each (`cluster.add` for the
 *   rest). A submit is
 *   one unit holding the function and its arguments.
 *
 * - The kernel pushes what comes back: `cluster.results {ref, results:
 *   [[key, status, value], ...]}` (key: the item for a map, the future's
 *   ref for futures, whose ref is 0) and `cluster.done {ref, ...}` at the
 *   end of a map. Nothing is polled: a waiting cell reads the pipe, and
 *   results of futures that arrive while the runtime is idle are stored
 *   by lx_cluster_idle().
 *
 * - Requests are pipelined: a submit does not wait for its answer. The
 *   kernel answers requests in the order they came, before it sends any
 *   result they cause, so the FIFO of pending requests is matched at its
 *   head.
 *
 * - Waiting: poll() on the pipe with a short timeout, so that an
 *   interrupt (the SIGINT handler sets a flag the host reports) is seen
 *   within LC_POLL_MS even when nothing arrives; a waiting map is then
 *   cancelled in the kernel (`cluster.cancel`) and the cell ends
 *   "interrupted".
 *
 * - Lua errors longjmp: the message being handled lives in the binding
 *   (cl->msg), not on the C stack, and is freed before the next one is
 *   read, so nothing leaks when handling raises. A map's state is on the
 *   Lua stack of its own frame (results, errors, the first error).
 */
#include "lua/lua_int.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <lauxlib.h>

#include "core/err.h"
#include "core/mem.h"
#include "core/rpc.h"
#include "lua/codec.h"

#define LC_CHUNK_BYTES	((size_t)4 << 20)	/* items per message */
#define LC_POLL_MS	50			/* interrupt latency, at most */
#define LC_FUTURE_MT	"galley.future"
#define LC_PREVIEW	60			/* item shown in an error */

/* Keys in the registry (their addresses). */
static const char lc_futures_key = 'f';		/* ref -> future, weak */

enum lc_req_kind {
	CLR_MAP,		/* cluster.map / cluster.add of cl->map */
	CLR_SUBMIT,		/* cluster.submit of future ref */
	CLR_SYNC,		/* a call whose answer the caller waits for */
	CLR_IGNORE,		/* cluster.cancel: the answer is not needed */
};

struct lc_req {
	uint32_t	 id;
	enum lc_req_kind kind;
	uint64_t	 ref;
};

/* A map a cell waits on. Stack indices are of lx_cl_map's frame. */
struct lc_map {
	uint64_t	 ref;
	int		 items;		/* the items table */
	int		 results;	/* the results table */
	int		 errors;	/* collect: the errors list */
	int		 state;		/* raise: state.first, 1st error */
	bool		 collect;
	bool		 done;
	size_t		 nerrors;
	char		 status[16];	/* from cluster.done */
	char		 message[512];	/* cluster.done's, or the refusal */
};

struct lx_cluster {
	struct lx_cluster_io io;
	struct codec	*codec;		/* owned */
	struct gl_buf	 fn;		/* scratch: the encoded function */
	struct gl_buf	 enc;		/* scratch: encoded items */
	size_t		*offs;		/* owned: item k is enc[offs[k],
					 * offs[k + 1]) */
	size_t		 capoffs;
	uint32_t	 next_id;
	uint64_t	 next_ref;
	struct lc_req	*reqs;		/* owned ring: pending requests */
	size_t		 rhead, nreqs, capreqs;
	struct lc_map	*map;		/* borrowed: the waiting map */
	struct rpc_msg	 msg;		/* the message being handled */
	bool		 have_msg;
	uint32_t	 sync_id;	/* the request a caller waits on */
	struct rpc_msg	 sync;		/* its answer */
	bool		 have_sync;
	char		 rbuf[65536];
};

static struct lx_cluster *lc_of(lua_State *L);
static int	 lc_map(lua_State *L);
static int	 lc_submit(lua_State *L);
static int	 lc_gather(lua_State *L);
static int	 lc_workers(lua_State *L);
static int	 lc_scale(lua_State *L);
static int	 lc_fut_result(lua_State *L);
static int	 lc_fut_done(lua_State *L);
static int	 lc_fut_cancel(lua_State *L);
static int	 lc_fut_tostring(lua_State *L);
static int	 lc_idle_call(lua_State *L);
static void	 lc_encode(struct lx_cluster *cl, lua_State *L, int idx,
		     int n, int env, const char *what, size_t k);
static uint32_t	 lc_begin(struct lx_cluster *cl, const char *method,
		     enum lc_req_kind kind, uint64_t ref);
static void	 lc_send_items(struct lx_cluster *cl, struct lc_map *m,
		     size_t n, const char *errors);
static void	 lc_wait(struct lx_cluster *cl, lua_State *L,
		     bool (*until)(struct lx_cluster *, lua_State *, void *),
		     void *arg);
static void	 lc_handle(struct lx_cluster *cl, lua_State *L,
		     const struct rpc_msg *m);
static void	 lc_on_response(struct lx_cluster *cl, lua_State *L,
		     const struct rpc_msg *m);
static void	 lc_on_results(struct lx_cluster *cl, lua_State *L,
		     const msgpack_object *args);
static void	 lc_on_done(struct lx_cluster *cl, const msgpack_object *args);
static void	 lc_push_error(lua_State *L, const msgpack_object *v,
		     int status);
static void	 lc_map_error(struct lx_cluster *cl, lua_State *L,
		     struct lc_map *m, uint64_t item, int status,
		     const msgpack_object *v);
static void	 lc_future_set(lua_State *L, uint64_t ref, const char *state,
		     int vals);
static bool	 lc_push_future(lua_State *L, uint64_t ref);
static void	 lc_drop_msg(struct lx_cluster *cl);
static void	 lc_cancel(struct lx_cluster *cl, const char *key, uint64_t v);
static void	 lc_sync(struct lx_cluster *cl, lua_State *L, uint32_t id);
static int	 lc_sync_wait(struct lx_cluster *cl, lua_State *L,
		     uint32_t id, struct gl_err *err);
static void	 lc_push_obj(lua_State *L, const msgpack_object *o, int depth);

struct lx_cluster *
lx_cluster_open(lua_State *L, const struct lx_cluster_io *io)
{
	static const luaL_Reg fns[] = {
		{ "map", lc_map },
		{ "submit", lc_submit },
		{ "gather", lc_gather },
		{ "workers", lc_workers },
		{ "scale", lc_scale },
		{ NULL, NULL },
	};
	static const luaL_Reg methods[] = {
		{ "result", lc_fut_result },
		{ "done", lc_fut_done },
		{ "cancel", lc_fut_cancel },
		{ NULL, NULL },
	};
	struct lx_cluster *cl;

	/* The binding lives in a userdata kept in the registry, so the Lua
	 * functions find it as an upvalue; its C memory is freed by
	 * lx_cluster_free(). */
	cl = lua_newuserdatauv(L, sizeof *cl, 0);
	memset(cl, 0, sizeof *cl);
	cl->io = *io;
	cl->next_ref = 1;
	gl_buf_init(&cl->fn);
	gl_buf_init(&cl->enc);
	cl->codec = codec_new();
	codec_exclude_global(cl->codec, "cluster");
	codec_exclude_global(cl->codec, "galley");
	codec_exclude_global(cl->codec, "display");
	lua_rawsetp(L, LUA_REGISTRYINDEX, cl);

	lua_newtable(L);		/* futures by ref, weak values */
	lua_newtable(L);
	lua_pushliteral(L, "v");
	lua_setfield(L, -2, "__mode");
	lua_setmetatable(L, -2);
	lua_rawsetp(L, LUA_REGISTRYINDEX, &lc_futures_key);

	luaL_newmetatable(L, LC_FUTURE_MT);
	lua_newtable(L);
	for (const luaL_Reg *r = methods; r->name != NULL; r++) {
		lua_pushlightuserdata(L, cl);
		lua_pushcclosure(L, r->func, 1);
		lua_setfield(L, -2, r->name);
	}
	lua_setfield(L, -2, "__index");
	lua_pushcfunction(L, lc_fut_tostring);
	lua_setfield(L, -2, "__tostring");
	lua_pop(L, 1);

	lua_newtable(L);
	for (const luaL_Reg *r = fns; r->name != NULL; r++) {
		lua_pushlightuserdata(L, cl);
		lua_pushcclosure(L, r->func, 1);
		lua_setfield(L, -2, r->name);
	}
	lua_setglobal(L, "cluster");
	return cl;
}

struct codec *
lx_cluster_codec(struct lx_cluster *cl)
{
	return cl->codec;
}

void
lx_cluster_idle(struct lx_cluster *cl, lua_State *L, const struct rpc_msg *m)
{
	int top = lua_gettop(L);

	lua_pushcfunction(L, lc_idle_call);
	lua_pushlightuserdata(L, cl);
	lua_pushlightuserdata(L, (void *)m);
	(void)lua_pcall(L, 2, 0, 0);	/* a failure drops the message */
	lua_settop(L, top);
}

void
lx_cluster_free(struct lx_cluster *cl)
{
	if (cl == NULL)
		return;
	lc_drop_msg(cl);
	if (cl->have_sync)
		rpc_msg_fini(&cl->sync);
	cl->have_sync = false;
	codec_free(cl->codec);
	cl->codec = NULL;
	gl_buf_fini(&cl->fn);
	gl_buf_fini(&cl->enc);
	free(cl->offs);
	free(cl->reqs);
	cl->offs = NULL;
	cl->reqs = NULL;
}

/* --- the Lua functions --- */

static struct lx_cluster *
lc_of(lua_State *L)
{
	return lua_touserdata(L, lua_upvalueindex(1));
}

static bool
lc_map_done(struct lx_cluster *cl, lua_State *L, void *arg)
{
	(void)cl;
	(void)L;
	return ((struct lc_map *)arg)->done;
}

/* The waiting part of cluster.map, under lua_pcall so that the binding
 * forgets the map however the wait ends. Arguments: the map (light
 * userdata), items, results, errors, state. [-5, +0, e] */
static int
lc_map_wait(lua_State *L)
{
	struct lc_map		*m = lua_touserdata(L, 1);
	struct lx_cluster	*cl = lua_touserdata(L, lua_upvalueindex(1));

	m->items = 2;
	m->results = 3;
	m->errors = 4;
	m->state = 5;
	cl->map = m;
	lc_wait(cl, L, lc_map_done, m);
	return 0;
}

/*
 * cluster.map(fn, items [, opts]) -> results
 * cluster.map(fn, items, {errors = "collect"}) -> results, errors
 * [-(2|3), +(1|2), e]
 */
static int
lc_map(lua_State *L)
{
	struct lx_cluster	*cl = lc_of(L);
	struct lc_map		 m;
	const char		*errors = "raise";
	lua_Integer		 n;
	int			 st;

	luaL_checktype(L, 1, LUA_TFUNCTION);
	luaL_checktype(L, 2, LUA_TTABLE);
	if (!lua_isnoneornil(L, 3)) {
		luaL_checktype(L, 3, LUA_TTABLE);
		if (lua_getfield(L, 3, "errors") != LUA_TNIL) {
			errors = luaL_checkstring(L, -1);
			if (strcmp(errors, "raise") != 0 &&
			    strcmp(errors, "collect") != 0)
				return luaL_error(L, "cluster.map: opts.errors "
				    "must be \"raise\" or \"collect\", not "
				    "\"%s\"", errors);
			errors = errors[0] == 'r' ? "raise" : "collect";
		}
		lua_pop(L, 1);
	}
	lua_settop(L, 3);
	memset(&m, 0, sizeof m);
	m.collect = errors[0] == 'c';
	lua_newtable(L);		/* 4: results */
	lua_newtable(L);		/* 5: errors */
	lua_newtable(L);		/* 6: state: the first error */
	n = (lua_Integer)lua_rawlen(L, 2);
	if (n == 0)
		goto out;

	/* The function once, then every item, before anything is sent: a
	 * value that cannot travel fails the call with nothing submitted. */
	gl_buf_reset(&cl->fn);
	lua_pushglobaltable(L);		/* 7 */
	lc_encode(cl, L, 1, 1, 7, "fn", 0);
	gl_buf_reset(&cl->enc);
	if ((size_t)n + 1 > cl->capoffs) {
		cl->capoffs = (size_t)n + 1;
		cl->offs = xrealloc(cl->offs, cl->capoffs * sizeof *cl->offs);
	}
	cl->offs[0] = 0;
	for (lua_Integer i = 1; i <= n; i++) {
		lua_rawgeti(L, 2, i);
		lc_encode(cl, L, -1, 1, 7, "item", (size_t)i);
		lua_pop(L, 1);
		cl->offs[i] = cl->enc.len;
	}
	lua_pop(L, 1);		/* the globals */
	m.ref = cl->next_ref++;
	lc_send_items(cl, &m, (size_t)n, errors);

	lua_pushlightuserdata(L, cl);
	lua_pushcclosure(L, lc_map_wait, 1);
	lua_pushlightuserdata(L, &m);
	lua_pushvalue(L, 2);
	lua_pushvalue(L, 4);
	lua_pushvalue(L, 5);
	lua_pushvalue(L, 6);
	st = lua_pcall(L, 5, 0, 0);
	cl->map = NULL;
	if (st != LUA_OK) {
		/* Interrupted, or the results could not be taken: the rest
		 * of the map is of no use. */
		if (!m.done)
			lc_cancel(cl, "map", m.ref);
		return lua_error(L);
	}
	if (strcmp(m.status, "ok") != 0 && !m.collect) {
		/* The first failed item, with the worker's traceback; else
		 * why the map did not run (a limit, no workers). */
		if (lua_getfield(L, 6, "first") == LUA_TSTRING)
			return lua_error(L);
		return luaL_error(L, "cluster.map: %s", m.message[0] != '\0' ?
		    m.message : m.status);
	}
	if (strcmp(m.status, "ok") != 0 && strcmp(m.status, "error") != 0)
		return luaL_error(L, "cluster.map: %s", m.message[0] != '\0' ?
		    m.message : m.status);
out:
	lua_pushvalue(L, 4);
	if (!m.collect)
		return 1;
	lua_pushvalue(L, 5);
	return 2;
}

/* cluster.submit(fn, ...) -> future [-(1+n), +1, e] */
static int
lc_submit(lua_State *L)
{
	struct lx_cluster	*cl = lc_of(L);
	msgpack_packer		*pk = &cl->io.w->pk;
	int			 nargs = lua_gettop(L);
	uint64_t		 ref;

	luaL_checktype(L, 1, LUA_TFUNCTION);
	if (nargs > CODEC_MAX_VALUES)
		return luaL_error(L, "cluster.submit: at most %d arguments",
		    CODEC_MAX_VALUES - 1);
	gl_buf_reset(&cl->fn);
	lua_pushglobaltable(L);
	lc_encode(cl, L, 1, nargs, nargs + 1, "submit", 0);
	lua_pop(L, 1);
	ref = cl->next_ref++;

	/* The future, before the request: an allocation failure must not
	 * leave a request whose future nobody holds. */
	lua_createtable(L, 0, 4);
	lua_pushinteger(L, (lua_Integer)ref);
	lua_setfield(L, -2, "ref");
	lua_pushliteral(L, "pending");
	lua_setfield(L, -2, "state");
	luaL_setmetatable(L, LC_FUTURE_MT);
	lua_rawgetp(L, LUA_REGISTRYINDEX, &lc_futures_key);
	lua_pushvalue(L, -2);
	lua_rawseti(L, -2, (lua_Integer)ref);
	lua_pop(L, 1);

	(void)lc_begin(cl, "cluster.submit", CLR_SUBMIT, ref);
	msgpack_pack_map(pk, 2);
	rpc_pack_key(pk, "ref");
	msgpack_pack_uint64(pk, ref);
	rpc_pack_key(pk, "unit");
	msgpack_pack_bin(pk, cl->fn.len);
	msgpack_pack_bin_body(pk, cl->fn.data, cl->fn.len);
	cl->io.send(cl->io.host);
	if (*cl->io.broken)
		return luaL_error(L, "cluster.submit: the kernel went away");
	return 1;
}

/* cluster.gather(futures) -> results (each future's first value) [-1, +1, e] */
static int
lc_gather(lua_State *L)
{
	lua_Integer n;

	luaL_checktype(L, 1, LUA_TTABLE);
	n = (lua_Integer)lua_rawlen(L, 1);
	lua_createtable(L, (int)(n < 1 << 20 ? n : 1 << 20), 0);
	for (lua_Integer i = 1; i <= n; i++) {
		int top = lua_gettop(L);

		lua_rawgeti(L, 1, i);
		if (!lua_istable(L, -1) || !lua_getmetatable(L, -1))
			return luaL_error(L, "cluster.gather: element %d is "
			    "not a future", (int)i);
		luaL_getmetatable(L, LC_FUTURE_MT);
		if (!lua_rawequal(L, -1, -2))
			return luaL_error(L, "cluster.gather: element %d is "
			    "not a future", (int)i);
		lua_settop(L, top + 1);
		lua_getfield(L, -1, "result");
		lua_insert(L, -2);
		lua_call(L, 1, 1);
		lua_rawseti(L, top, i);
	}
	return 1;
}

/* cluster.workers() -> {{id, name, host, state, tasks, cpu, idle_ms}}
 * [-0, +1, e] */
static int
lc_workers(lua_State *L)
{
	struct lx_cluster	*cl = lc_of(L);
	const msgpack_object	*list;
	uint32_t		 id;

	id = lc_begin(cl, "cluster.workers", CLR_SYNC, 0);
	msgpack_pack_map(&cl->io.w->pk, 0);
	cl->io.send(cl->io.host);
	lc_sync(cl, L, id);
	list = rpc_map_get(cl->sync.result, "workers");
	if (list == NULL || list->type != MSGPACK_OBJECT_ARRAY)
		return luaL_error(L, "cluster.workers: malformed answer");
	lc_push_obj(L, list, 0);
	return 1;
}

/*
 * cluster.scale(n), cluster.scale("auto"), cluster.scale{n = , max = }
 * -> n, or "auto": n workers kept from now on (0: none start until
 * raised), "auto": workers on demand only; max caps what work starts
 * (0: the configuration's count). [-1, +1, e]
 */
static int
lc_scale(lua_State *L)
{
	struct lx_cluster	*cl = lc_of(L);
	lua_Integer		 n = -1, max = -1;
	bool			 autoscale = false;
	msgpack_packer		*pk;
	const msgpack_object	*o;
	uint32_t		 id;

	if (lua_type(L, 1) == LUA_TSTRING) {
		luaL_argcheck(L, strcmp(lua_tostring(L, 1), "auto") == 0, 1,
		    "a number of workers, \"auto\" or {n = , max = }");
		autoscale = true;
	} else if (lua_type(L, 1) == LUA_TTABLE) {
		if (lua_getfield(L, 1, "n") != LUA_TNIL)
			n = luaL_checkinteger(L, -1);
		lua_pop(L, 1);
		if (lua_getfield(L, 1, "max") != LUA_TNIL)
			max = luaL_checkinteger(L, -1);
		lua_pop(L, 1);
		lua_getfield(L, 1, "auto");
		autoscale = lua_toboolean(L, -1);
		lua_pop(L, 1);
		luaL_argcheck(L, n >= 0 || max >= 0 || autoscale, 1,
		    "{n = workers, max = workers, auto = true}");
		luaL_argcheck(L, max <= 100000, 1, "max: 0 to 100000 workers");
		luaL_argcheck(L, n <= 100000, 1, "n: 0 to 100000 workers");
	} else {
		n = luaL_checkinteger(L, 1);
		luaL_argcheck(L, n >= 0 && n <= 100000, 1,
		    "0 to 100000 workers");
	}
	id = lc_begin(cl, "cluster.scale", CLR_SYNC, 0);
	pk = &cl->io.w->pk;
	msgpack_pack_map(pk, (n >= 0) + (max >= 0) + autoscale);
	if (n >= 0)
		rpc_pack_kv_int(pk, "n", (int64_t)n);
	if (max >= 0)
		rpc_pack_kv_int(pk, "max", (int64_t)max);
	if (autoscale)
		rpc_pack_kv_bool(pk, "auto", true);
	cl->io.send(cl->io.host);
	lc_sync(cl, L, id);
	if ((o = rpc_map_get(cl->sync.result, "auto")) != NULL &&
	    o->type == MSGPACK_OBJECT_BOOLEAN && o->via.boolean)
		lua_pushliteral(L, "auto");
	else
		lua_pushinteger(L, (lua_Integer)rpc_map_int(cl->sync.result,
		    "n", n));
	return 1;
}

static bool
lc_future_settled(struct lx_cluster *cl, lua_State *L, void *arg)
{
	int	 idx = *(int *)arg;
	bool	 pending;

	(void)cl;
	lua_getfield(L, idx, "state");
	pending = lua_isstring(L, -1) &&
	    strcmp(lua_tostring(L, -1), "pending") == 0;
	lua_pop(L, 1);
	return !pending;
}

/* future:result() -> the task's values, or raises its error [-1, +n, e] */
static int
lc_fut_result(lua_State *L)
{
	struct lx_cluster	*cl = lua_touserdata(L, lua_upvalueindex(1));
	int			 idx = 1;
	const char		*state;
	lua_Integer		 n;

	luaL_checktype(L, 1, LUA_TTABLE);
	lua_settop(L, 1);
	lc_wait(cl, L, lc_future_settled, &idx);
	lua_getfield(L, 1, "state");
	state = lua_tostring(L, -1);
	if (state != NULL && strcmp(state, "ok") == 0) {
		lua_getfield(L, 1, "values");
		lua_getfield(L, -1, "n");
		n = lua_tointeger(L, -1);
		lua_pop(L, 1);
		luaL_checkstack(L, (int)n, "too many results");
		for (lua_Integer i = 1; i <= n; i++)
			lua_rawgeti(L, 3, i);
		return (int)n;
	}
	if (state != NULL && strcmp(state, "cancelled") == 0)
		return luaL_error(L, "cluster: the future was cancelled");
	lua_getfield(L, 1, "error");
	return lua_error(L);
}

/* future:done() -> true once its result (or error) arrived [-1, +1, e] */
static int
lc_fut_done(lua_State *L)
{
	struct lx_cluster	*cl = lua_touserdata(L, lua_upvalueindex(1));
	struct rpc_msg		 m;
	struct gl_err		 err;
	int			 idx = 1;

	luaL_checktype(L, 1, LUA_TTABLE);
	lua_settop(L, 1);
	/* Take what has arrived, without waiting. */
	if (!lc_future_settled(cl, L, &idx)) {
		struct pollfd	 pfd = { .fd = cl->io.fd, .events = POLLIN };
		ssize_t		 k;

		if (!*cl->io.broken && poll(&pfd, 1, 0) == 1 &&
		    (k = read(cl->io.fd, cl->rbuf, sizeof cl->rbuf)) > 0)
			rpc_reader_feed(cl->io.rd, cl->rbuf, (size_t)k);
		for (;;) {
			lc_drop_msg(cl);
			if (rpc_reader_next(cl->io.rd, &m, &err) != 1)
				break;
			cl->msg = m;
			cl->have_msg = true;
			lc_handle(cl, L, &cl->msg);
		}
		lc_drop_msg(cl);
	}
	lua_pushboolean(L, lc_future_settled(cl, L, &idx));
	return 1;
}

/* future:cancel() -> true if it was still pending [-1, +1, e] */
static int
lc_fut_cancel(lua_State *L)
{
	struct lx_cluster	*cl = lua_touserdata(L, lua_upvalueindex(1));
	int			 idx = 1;
	lua_Integer		 ref;

	luaL_checktype(L, 1, LUA_TTABLE);
	lua_settop(L, 1);
	if (lc_future_settled(cl, L, &idx)) {
		lua_pushboolean(L, 0);
		return 1;
	}
	lua_getfield(L, 1, "ref");
	ref = lua_tointeger(L, -1);
	lua_pop(L, 1);
	lc_cancel(cl, "ref", (uint64_t)ref);
	lua_pushliteral(L, "cancelled");
	lua_setfield(L, 1, "state");
	lua_pushboolean(L, 1);
	return 1;
}

static int
lc_fut_tostring(lua_State *L)
{
	lua_getfield(L, 1, "ref");
	lua_getfield(L, 1, "state");
	lua_pushfstring(L, "future %s (%s)", luaL_optstring(L, -2, "?"),
	    luaL_optstring(L, -1, "?"));
	return 1;
}

/* lx_cluster_idle()'s protected part. [-2, +0, e] */
static int
lc_idle_call(lua_State *L)
{
	struct lx_cluster	*cl = lua_touserdata(L, 1);
	const struct rpc_msg	*m = lua_touserdata(L, 2);

	lc_handle(cl, L, m);
	return 0;
}

/* --- encoding and sending --- */

/*
 * Encodes n values at idx as one unit into cl->enc ("item", k) or cl->fn
 * ("fn", "submit"), with the globals table at env. Raises the codec's
 * message, naming the item when an item fails.
 */
static void
lc_encode(struct lx_cluster *cl, lua_State *L, int idx, int n, int env,
    const char *what, size_t k)
{
	struct gl_err	 err;
	struct gl_buf	*out = k > 0 ? &cl->enc : &cl->fn;
	char		 label[48];
	const char	*labels[CODEC_MAX_VALUES];

	idx = lua_absindex(L, idx);
	gl_err_clear(&err);
	if (codec_encode(cl->codec, L, idx, n, env, NULL, out, &err) == 0)
		return;
	if (cl->io.interrupted(cl->io.host))
		cl->io.raise_interrupt(L);
	if (k > 0) {
		/* Again with a label, for the message only. */
		snprintf(label, sizeof label, "item %zu", k);
		labels[0] = label;
		gl_err_clear(&err);
		(void)codec_encode(cl->codec, L, idx, n, env, labels, out,
		    &err);
		luaL_error(L, "cluster.map: %s", err.msg);
	}
	if (strcmp(what, "submit") == 0) {
		static const char *const args[] = { "argument 1",
		    "argument 2", "argument 3", "argument 4", "argument 5",
		    "argument 6", "argument 7", "argument 8" };

		labels[0] = NULL;
		for (int i = 1; i < n && i < CODEC_MAX_VALUES; i++)
			labels[i] = i <= 8 ? args[i - 1] : "an argument";
		gl_err_clear(&err);
		(void)codec_encode(cl->codec, L, idx, n, env, labels, out,
		    &err);
		luaL_error(L, "cluster.submit: %s", err.msg);
	}
	luaL_error(L, "cluster.map: %s", err.msg);
}

/* Begins a request in the host's writer and records it as pending;
 * returns its id. */
static uint32_t
lc_begin(struct lx_cluster *cl, const char *method, enum lc_req_kind kind,
    uint64_t ref)
{
	struct lc_req	*r;
	uint32_t	 id;

	if (++cl->next_id == 0)
		cl->next_id = 1;
	id = cl->next_id;
	if (cl->nreqs == cl->capreqs) {
		size_t		 cap = cl->capreqs ? 2 * cl->capreqs : 64;
		struct lc_req	*nr = xmalloc(cap * sizeof *nr);

		for (size_t i = 0; i < cl->nreqs; i++)
			nr[i] = cl->reqs[(cl->rhead + i) % cl->capreqs];
		free(cl->reqs);
		cl->reqs = nr;
		cl->rhead = 0;
		cl->capreqs = cap;
	}
	r = &cl->reqs[(cl->rhead + cl->nreqs++) % cl->capreqs];
	r->id = id;
	r->kind = kind;
	r->ref = ref;
	rpc_begin_request(cl->io.w, id, method);
	return id;
}

/* Sends the encoded function and items as cluster.map, then cluster.add
 * messages of at most LC_CHUNK_BYTES of items each. */
static void
lc_send_items(struct lx_cluster *cl, struct lc_map *m, size_t n,
    const char *errors)
{
	msgpack_packer	*pk = &cl->io.w->pk;
	size_t		 i = 0, j;

	while (i < n && !*cl->io.broken) {
		for (j = i + 1; j < n && cl->offs[j + 1] - cl->offs[i] <=
		    LC_CHUNK_BYTES; j++)
			;
		if (i == 0) {
			(void)lc_begin(cl, "cluster.map", CLR_MAP, m->ref);
			/* total: the items of every message, for policies
			 * (a plugin's before_run) that look at the size. */
			msgpack_pack_map(pk, 6);
			rpc_pack_kv_int(pk, "total", (int64_t)n);
			rpc_pack_key(pk, "fn");
			msgpack_pack_bin(pk, cl->fn.len);
			msgpack_pack_bin_body(pk, cl->fn.data, cl->fn.len);
			rpc_pack_kv_str(pk, "errors", errors);
		} else {
			(void)lc_begin(cl, "cluster.add", CLR_MAP, m->ref);
			msgpack_pack_map(pk, 3);
		}
		rpc_pack_key(pk, "ref");
		msgpack_pack_uint64(pk, m->ref);
		rpc_pack_kv_bool(pk, "more", j < n);
		rpc_pack_key(pk, "items");
		msgpack_pack_array(pk, j - i);
		for (size_t k = i; k < j; k++) {
			msgpack_pack_bin(pk, cl->offs[k + 1] - cl->offs[k]);
			msgpack_pack_bin_body(pk, cl->enc.data + cl->offs[k],
			    cl->offs[k + 1] - cl->offs[k]);
		}
		cl->io.send(cl->io.host);
		i = j;
	}
}

/* Asks the kernel to cancel a map (key "ref" of a map) or a future. */
static void
lc_cancel(struct lx_cluster *cl, const char *key, uint64_t v)
{
	msgpack_packer *pk = &cl->io.w->pk;

	if (*cl->io.broken)
		return;
	(void)lc_begin(cl, "cluster.cancel", CLR_IGNORE, 0);
	msgpack_pack_map(pk, 1);
	rpc_pack_key(pk, strcmp(key, "map") == 0 ? "map" : "ref");
	msgpack_pack_uint64(pk, v);
	cl->io.send(cl->io.host);
}

/* --- waiting and handling --- */

static void
lc_drop_msg(struct lx_cluster *cl)
{
	if (cl->have_msg)
		rpc_msg_fini(&cl->msg);
	cl->have_msg = false;
}

/*
 * Reads and handles messages until until() holds. Raises when the cell
 * is interrupted (cancelling the waiting map first) or the kernel went
 * away.
 */
static void
lc_wait(struct lx_cluster *cl, lua_State *L,
    bool (*until)(struct lx_cluster *, lua_State *, void *), void *arg)
{
	struct pollfd	 pfd;
	struct gl_err	 err;
	ssize_t		 k;
	int		 rc = 0;

	for (;;) {
		for (;;) {
			if (until(cl, L, arg))
				return;
			lc_drop_msg(cl);
			gl_err_clear(&err);
			if ((rc = rpc_reader_next(cl->io.rd, &cl->msg,
			    &err)) != 1)
				break;
			cl->have_msg = true;
			lc_handle(cl, L, &cl->msg);
		}
		lc_drop_msg(cl);
		if (rc < 0) {
			*cl->io.broken = 1;
			luaL_error(L, "cluster: bad message from the kernel: "
			    "%s", err.msg);
		}
		if (cl->io.interrupted(cl->io.host))
			cl->io.raise_interrupt(L);	/* lc_map cancels */
		if (*cl->io.broken)
			luaL_error(L, "cluster: the kernel went away");
		pfd.fd = cl->io.fd;
		pfd.events = POLLIN;
		pfd.revents = 0;
		if (poll(&pfd, 1, LC_POLL_MS) <= 0)
			continue;	/* timeout, or EINTR: look again */
		k = read(cl->io.fd, cl->rbuf, sizeof cl->rbuf);
		if (k < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (k <= 0) {
			*cl->io.broken = 1;
			continue;
		}
		rpc_reader_feed(cl->io.rd, cl->rbuf, (size_t)k);
	}
}

static bool
lc_sync_done(struct lx_cluster *cl, lua_State *L, void *arg)
{
	(void)L;
	(void)arg;
	return cl->have_sync;
}

int
lx_cluster_call(struct lx_cluster *cl, lua_State *L, const char *method,
    void (*pack)(msgpack_packer *, void *), void *ctx,
    const msgpack_object **result, struct gl_err *err)
{
	uint32_t	 id;

	id = lc_begin(cl, method, CLR_SYNC, 0);
	pack(&cl->io.w->pk, ctx);
	cl->io.send(cl->io.host);
	if (lc_sync_wait(cl, L, id, err) != 0)
		return err->code;
	*result = cl->sync.result;
	return 0;
}

/* Waits for the answer to request id (into cl->sync): 0, or its error
 * answer's code with err set. */
static int
lc_sync_wait(struct lx_cluster *cl, lua_State *L, uint32_t id,
    struct gl_err *err)
{
	if (cl->have_sync)
		rpc_msg_fini(&cl->sync);
	cl->have_sync = false;
	cl->sync_id = id;
	lc_wait(cl, L, lc_sync_done, NULL);
	cl->sync_id = 0;
	gl_err_clear(err);
	return rpc_msg_error(&cl->sync, err) != 0 ? err->code : 0;
}

/* Waits for the answer to request id (into cl->sync); raises an error
 * answer. */
static void
lc_sync(struct lx_cluster *cl, lua_State *L, uint32_t id)
{
	struct gl_err	 err;

	if (lc_sync_wait(cl, L, id, &err) != 0)
		luaL_error(L, "cluster: %s", err.msg);
}

static void
lc_handle(struct lx_cluster *cl, lua_State *L, const struct rpc_msg *m)
{
	switch (m->type) {
	case RPC_RESPONSE:
		lc_on_response(cl, L, m);
		return;
	case RPC_NOTIFY:
		if (strcmp(m->method, "cluster.results") == 0)
			lc_on_results(cl, L, m->args);
		else if (strcmp(m->method, "cluster.done") == 0)
			lc_on_done(cl, m->args);
		return;
	case RPC_REQUEST:
		cl->io.serve(cl->io.host, m);
		return;
	}
}

static void
lc_on_response(struct lx_cluster *cl, lua_State *L, const struct rpc_msg *m)
{
	struct lc_req	 r;
	struct gl_err	 err;
	size_t		 i;

	/* Answers come in request order: the match is at the head. */
	for (i = 0; i < cl->nreqs; i++)
		if (cl->reqs[(cl->rhead + i) % cl->capreqs].id == m->id)
			break;
	if (i == cl->nreqs)
		return;
	r = cl->reqs[(cl->rhead + i) % cl->capreqs];
	for (size_t j = i; j > 0; j--)
		cl->reqs[(cl->rhead + j) % cl->capreqs] =
		    cl->reqs[(cl->rhead + j - 1) % cl->capreqs];
	cl->rhead = (cl->rhead + 1) % cl->capreqs;
	cl->nreqs--;
	gl_err_clear(&err);
	switch (r.kind) {
	case CLR_SYNC:
		if (r.id == cl->sync_id && !cl->have_sync) {
			/* Keep it: the waiting caller reads it. */
			cl->sync = *m;
			cl->have_sync = true;
			cl->have_msg = false;	/* no longer ours to free */
		}
		return;
	case CLR_MAP:
		if (rpc_msg_error(m, &err) == 0 || cl->map == NULL ||
		    cl->map->ref != r.ref || cl->map->done)
			return;
		cl->map->done = true;
		snprintf(cl->map->status, sizeof cl->map->status, "refused");
		snprintf(cl->map->message, sizeof cl->map->message, "%s",
		    err.msg);
		return;
	case CLR_SUBMIT:
		if (rpc_msg_error(m, &err) == 0)
			return;
		lua_pushfstring(L, "cluster.submit: %s", err.msg);
		lc_future_set(L, r.ref, "error", lua_gettop(L));
		lua_pop(L, 1);
		return;
	case CLR_IGNORE:
		return;
	}
}

/* cluster.results {ref, results: [[key, status, value], ...]} */
static void
lc_on_results(struct lx_cluster *cl, lua_State *L, const msgpack_object *args)
{
	struct lc_map		*m = cl->map;
	const msgpack_object	*ro, *list, *e, *v;
	struct gl_err		 err;
	uint64_t		 ref, key;
	int			 status, nout, top = lua_gettop(L);

	ro = rpc_map_get(args, "ref");
	list = rpc_map_get(args, "results");
	if (ro == NULL || ro->type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
	    list == NULL || list->type != MSGPACK_OBJECT_ARRAY)
		return;
	ref = ro->via.u64;
	if (ref != 0 && (m == NULL || m->ref != ref || m->done))
		return;		/* a map given up on (interrupted) */
	for (uint32_t i = 0; i < list->via.array.size; i++) {
		e = &list->via.array.ptr[i];
		if (e->type != MSGPACK_OBJECT_ARRAY ||
		    e->via.array.size < 3 ||
		    e->via.array.ptr[0].type !=
		    MSGPACK_OBJECT_POSITIVE_INTEGER ||
		    e->via.array.ptr[1].type !=
		    MSGPACK_OBJECT_POSITIVE_INTEGER)
			continue;
		key = e->via.array.ptr[0].via.u64;
		status = (int)e->via.array.ptr[1].via.u64;
		v = &e->via.array.ptr[2];
		if (ref != 0 && status == 0) {
			/* A map's item: its function's first value. */
			if (v->type != MSGPACK_OBJECT_BIN)
				continue;
			gl_err_clear(&err);
			if (codec_decode(cl->codec, L, v->via.bin.ptr,
			    v->via.bin.size, 0, 0, &nout, &err) != 0) {
				if (cl->io.interrupted(cl->io.host))
					cl->io.raise_interrupt(L);
				luaL_error(L, "cluster.map: result of item "
				    "%" PRIu64 ": %s", key + 1, err.msg);
			}
			if (nout == 0)
				lua_pushnil(L);
			lua_settop(L, top + 1);
			lua_rawseti(L, m->results, (lua_Integer)key + 1);
			continue;
		}
		if (ref != 0) {
			lc_map_error(cl, L, m, key, status, v);
			lua_settop(L, top);
			continue;
		}
		/* A future's values, as a table {n = count, ...}. */
		if (status == 0 && v->type == MSGPACK_OBJECT_BIN) {
			gl_err_clear(&err);
			if (codec_decode(cl->codec, L, v->via.bin.ptr,
			    v->via.bin.size, 0, 0, &nout, &err) != 0) {
				lua_pushfstring(L, "cluster: the result "
				    "cannot be read: %s", err.msg);
				lc_future_set(L, key, "error", lua_gettop(L));
			} else {
				lua_createtable(L, nout, 1);
				lua_insert(L, top + 1);
				for (int k = nout; k >= 1; k--)
					lua_rawseti(L, top + 1, k);
				lua_pushinteger(L, nout);
				lua_setfield(L, top + 1, "n");
				lc_future_set(L, key, "ok", top + 1);
			}
		} else {
			lc_push_error(L, v, status);
			lua_getfield(L, -1, "message");
			lua_getfield(L, -2, "traceback");
			if (lua_isstring(L, -1) && lua_rawlen(L, -1) > 0)
				lua_pushfstring(L, "cluster.submit: task "
				    "failed: %s\nworker traceback:\n%s",
				    lua_tostring(L, -2), lua_tostring(L, -1));
			else
				lua_pushfstring(L, "cluster.submit: task "
				    "failed: %s", luaL_optstring(L, -2, "?"));
			lc_future_set(L, key, "error", lua_gettop(L));
		}
		lua_settop(L, top);
	}
}

/* cluster.done {ref, status, done, failed, total, item, message} */
static void
lc_on_done(struct lx_cluster *cl, const msgpack_object *args)
{
	struct lc_map	*m = cl->map;
	const char	*s;
	size_t		 len;

	if (m == NULL || m->done ||
	    (uint64_t)rpc_map_int(args, "ref", 0) != m->ref)
		return;
	m->done = true;
	s = rpc_map_str(args, "status", &len);
	snprintf(m->status, sizeof m->status, "%.*s", s != NULL ?
	    (int)len : 5, s != NULL ? s : "error");
	s = rpc_map_str(args, "message", &len);
	if (s != NULL)
		snprintf(m->message, sizeof m->message, "%.*s", (int)len, s);
}

/* Pushes an error result as a table {message, traceback, worker}.
 * status 1: the task raised; 2: it failed for good (value: the reason). */
static void
lc_push_error(lua_State *L, const msgpack_object *v, int status)
{
	const char	*s;
	size_t		 len;

	lua_createtable(L, 0, 3);
	if (v->type == MSGPACK_OBJECT_MAP) {
		static const char *const keys[] = { "message", "traceback",
		    "worker" };

		for (size_t i = 0; i < 3; i++) {
			if ((s = rpc_map_str(v, keys[i], &len)) == NULL)
				continue;
			lua_pushlstring(L, s, len);
			lua_setfield(L, -2, keys[i]);
		}
	} else if (v->type == MSGPACK_OBJECT_STR) {
		lua_pushlstring(L, v->via.str.ptr, v->via.str.size);
		lua_setfield(L, -2, "message");
	}
	lua_getfield(L, -1, "message");
	if (lua_isnil(L, -1)) {
		lua_pushstring(L, status == 2 ? "the task failed" :
		    status == 3 ? "cancelled" : "error");
		lua_setfield(L, -3, "message");
	}
	lua_pop(L, 1);
	lua_getfield(L, -1, "traceback");
	if (lua_isnil(L, -1)) {
		lua_pushliteral(L, "");
		lua_setfield(L, -3, "traceback");
	}
	lua_pop(L, 1);
}

/* A map's item failed: collected, or kept as the error to raise. */
static void
lc_map_error(struct lx_cluster *cl, lua_State *L, struct lc_map *m,
    uint64_t item, int status, const msgpack_object *v)
{
	const char	*s;
	size_t		 len, cut;
	int		 err, base;

	(void)cl;
	if (status == 3)
		return;		/* cancelled: after another item failed */
	lc_push_error(L, v, status);
	err = lua_gettop(L);
	if (m->collect) {
		lua_pushinteger(L, (lua_Integer)item + 1);
		lua_setfield(L, err, "item");
		lua_rawseti(L, m->errors, (lua_Integer)++m->nerrors);
		return;
	}
	if (lua_getfield(L, m->state, "first") != LUA_TNIL) {
		lua_pop(L, 2);
		return;
	}
	lua_pop(L, 1);
	/* "cluster.map: item 3 (3) failed on worker local-1 (host): <its
	 * message>", then the worker's traceback. */
	base = lua_gettop(L);
	lua_pushfstring(L, "cluster.map: item %I (",
	    (LUAI_UACINT)((lua_Integer)item + 1));
	lua_rawgeti(L, m->items, (lua_Integer)item + 1);
	s = luaL_tolstring(L, -1, &len);
	lua_remove(L, -2);
	if (len > LC_PREVIEW) {
		for (cut = LC_PREVIEW; cut > 0 &&
		    ((unsigned char)s[cut] & 0xc0) == 0x80; cut--)
			;
		lua_pushlstring(L, s, cut);
		lua_remove(L, -2);
		lua_pushliteral(L, "...");
	}
	lua_pushstring(L, status == 2 ? ") could not run" : ") failed");
	lua_getfield(L, err, "worker");
	if (lua_isstring(L, -1)) {
		lua_pushfstring(L, " on worker %s", lua_tostring(L, -1));
		lua_remove(L, -2);
	} else
		lua_pop(L, 1);
	lua_pushliteral(L, ": ");
	lua_getfield(L, err, "message");
	lua_getfield(L, err, "traceback");
	s = lua_tolstring(L, -1, &len);
	if (s != NULL && len > 17 &&
	    strncmp(s, "stack traceback:\n", 17) == 0) {
		lua_pushlstring(L, s + 17, len - 17);
		lua_remove(L, -2);
		s = lua_tolstring(L, -1, &len);
	}
	if (s != NULL && len > 0) {
		lua_pushliteral(L, "\nworker traceback:\n");
		lua_insert(L, -2);
	} else
		lua_pop(L, 1);
	lua_concat(L, lua_gettop(L) - base);
	lua_setfield(L, m->state, "first");
	lua_pop(L, 1);		/* the error table */
}

/* Settles future ref: state, and the value at idx (values or error). */
static void
lc_future_set(lua_State *L, uint64_t ref, const char *state, int idx)
{
	idx = lua_absindex(L, idx);
	if (!lc_push_future(L, ref))
		return;
	lua_getfield(L, -1, "state");
	if (!lua_isstring(L, -1) ||
	    strcmp(lua_tostring(L, -1), "pending") != 0) {
		lua_pop(L, 2);
		return;		/* cancelled: what comes later is dropped */
	}
	lua_pop(L, 1);
	lua_pushvalue(L, idx);
	lua_setfield(L, -2, strcmp(state, "ok") == 0 ? "values" : "error");
	lua_pushstring(L, state);
	lua_setfield(L, -2, "state");
	lua_pop(L, 1);
	/* Settled: the kernel says no more about it. */
	lua_rawgetp(L, LUA_REGISTRYINDEX, &lc_futures_key);
	lua_pushnil(L);
	lua_rawseti(L, -2, (lua_Integer)ref);
	lua_pop(L, 1);
}

/* Pushes future ref, or nothing and false if it is gone. */
static bool
lc_push_future(lua_State *L, uint64_t ref)
{
	lua_rawgetp(L, LUA_REGISTRYINDEX, &lc_futures_key);
	if (lua_rawgeti(L, -1, (lua_Integer)ref) != LUA_TTABLE) {
		lua_pop(L, 2);
		return false;
	}
	lua_remove(L, -2);
	return true;
}

/* Pushes a msgpack value as Lua (maps with string keys, arrays, scalars)
 * for cluster.workers(). */
static void
lc_push_obj(lua_State *L, const msgpack_object *o, int depth)
{
	luaL_checkstack(L, 4, "nested too deep");
	switch (depth > 16 ? MSGPACK_OBJECT_NIL : o->type) {
	case MSGPACK_OBJECT_BOOLEAN:
		lua_pushboolean(L, o->via.boolean);
		return;
	case MSGPACK_OBJECT_POSITIVE_INTEGER:
		lua_pushinteger(L, (lua_Integer)o->via.u64);
		return;
	case MSGPACK_OBJECT_NEGATIVE_INTEGER:
		lua_pushinteger(L, (lua_Integer)o->via.i64);
		return;
	case MSGPACK_OBJECT_FLOAT32:
	case MSGPACK_OBJECT_FLOAT64:
		lua_pushnumber(L, (lua_Number)o->via.f64);
		return;
	case MSGPACK_OBJECT_STR:
		lua_pushlstring(L, o->via.str.ptr, o->via.str.size);
		return;
	case MSGPACK_OBJECT_BIN:
		lua_pushlstring(L, o->via.bin.ptr, o->via.bin.size);
		return;
	case MSGPACK_OBJECT_ARRAY:
		lua_createtable(L, (int)o->via.array.size, 0);
		for (uint32_t i = 0; i < o->via.array.size; i++) {
			lc_push_obj(L, &o->via.array.ptr[i], depth + 1);
			lua_rawseti(L, -2, (lua_Integer)i + 1);
		}
		return;
	case MSGPACK_OBJECT_MAP:
		lua_createtable(L, 0, (int)o->via.map.size);
		for (uint32_t i = 0; i < o->via.map.size; i++) {
			lc_push_obj(L, &o->via.map.ptr[i].key, depth + 1);
			lc_push_obj(L, &o->via.map.ptr[i].val, depth + 1);
			if (lua_isnil(L, -2))
				lua_pop(L, 2);
			else
				lua_rawset(L, -3);
		}
		return;
	default:
		lua_pushnil(L);
		return;
	}
}

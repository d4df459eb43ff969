/*
 * require.c - `require` of the team library registry's modules
 * (docs/registry.md), in a cell and in a cluster task (lua_int.h).
 *
 * One searcher. In a cell it comes after package's Lua file searcher: a
 * module on package.path (a file beside the notebook) is found first, at
 * no cost; only a name found nowhere else is asked of the registry. In a
 * worker it comes first (after preload): the job's modules are what its
 * cell loaded, whatever files the worker's directory holds.
 *
 * - In the runtime it asks the kernel: `lib.load {name}` on the runtime
 *   pipe answers {name, version, hash, files: {PATH: SOURCE}}, the pinned
 *   version (or, unpinned, the newest, with a warning the kernel puts in
 *   the cell's output), which the kernel resolved, fetched or found in its
 *   cache, and recorded. An error answer ENOTFOUND means the registry has
 *   no such module: the searcher says so and require goes on; any other
 *   (an unreachable registry, a pin that does not match) fails the
 *   require with the kernel's message, which names the registry's URL.
 * - In a worker the kernel ships the modules with the job
 *   (lx_require_preload()), so tasks load the version their cell did,
 *   from the kernel, never from the network.
 *
 * A module is its files: NAME loads NAME's init.lua, NAME.a.b loads
 * a/b.lua (or a/b/init.lua) of NAME. Chunk names are "@NAME@VERSION/PATH",
 * so errors say which version ran.
 */
#include <stdio.h>
#include <string.h>

#include <lauxlib.h>

#include "core/err.h"
#include "core/mem.h"
#include "core/rpc.h"
#include "lua/lua_int.h"

/* The registry key of the modules known: NAME -> {version, hash,
 * files}. */
static const char lx_libs_key = 'l';

static int	 lx_req_search(lua_State *L);

void
lx_require_open(lua_State *L, struct lx_cluster *cl)
{
	lua_Integer	 n, at;

	lua_newtable(L);
	lua_rawsetp(L, LUA_REGISTRYINDEX, &lx_libs_key);
	lua_getglobal(L, "package");
	if (lua_getfield(L, -1, "searchers") != LUA_TTABLE) {
		lua_pop(L, 2);
		return;
	}
	/* In a cell: after preload (1) and the Lua file searcher (2). In a
	 * worker the job's modules come before any file (after preload):
	 * what its cell loaded is what runs. */
	at = cl != NULL ? 3 : 2;
	n = (lua_Integer)lua_rawlen(L, -1);
	if (at > n + 1)
		at = n + 1;
	for (lua_Integer i = n; i >= at; i--) {
		lua_rawgeti(L, -1, i);
		lua_rawseti(L, -2, i + 1);
	}
	lua_pushlightuserdata(L, cl);
	lua_pushcclosure(L, lx_req_search, 1);
	lua_rawseti(L, -2, at);
	lua_pop(L, 2);
}

/* Pushes a module's entry {version, hash, files} made of the msgpack map
 * o ({version, hash, files: {PATH: SOURCE}}). [-0, +1, m] */
static void
lx_req_entry(lua_State *L, const msgpack_object *o)
{
	const msgpack_object	*files = rpc_map_get(o, "files");
	const char		*s;
	size_t			 len;

	lua_createtable(L, 0, 3);
	if ((s = rpc_map_str(o, "version", &len)) != NULL) {
		lua_pushlstring(L, s, len);
		lua_setfield(L, -2, "version");
	}
	if ((s = rpc_map_str(o, "hash", &len)) != NULL) {
		lua_pushlstring(L, s, len);
		lua_setfield(L, -2, "hash");
	}
	lua_newtable(L);
	for (uint32_t i = 0; files != NULL && files->type ==
	    MSGPACK_OBJECT_MAP && i < files->via.map.size; i++) {
		const msgpack_object *k = &files->via.map.ptr[i].key;
		const msgpack_object *v = &files->via.map.ptr[i].val;

		if (k->type != MSGPACK_OBJECT_STR ||
		    v->type != MSGPACK_OBJECT_STR)
			continue;
		lua_pushlstring(L, k->via.str.ptr, k->via.str.size);
		lua_pushlstring(L, v->via.str.ptr, v->via.str.size);
		lua_rawset(L, -3);
	}
	lua_setfield(L, -2, "files");
}

static void
lx_req_pack(msgpack_packer *pk, void *ctx)
{
	msgpack_pack_map(pk, 1);
	rpc_pack_kv_str(pk, "name", ctx);
}

/* The searcher: (name) -> loader, chunkname | "reason it is not here".
 * Upvalue: the runtime's cluster binding (NULL in a worker).
 * [-1, +(1|2), e] */
static int
lx_req_search(lua_State *L)
{
	struct lx_cluster	*cl = lua_touserdata(L, lua_upvalueindex(1));
	const char		*name = luaL_checkstring(L, 1), *dot, *src;
	const char		*version;
	char			 top[80], path[256];
	size_t			 len;
	int			 libs;

	dot = strchr(name, '.');
	if ((dot != NULL ? (size_t)(dot - name) : strlen(name)) >= sizeof top)
		return 0;
	snprintf(top, sizeof top, "%.*s", (int)(dot != NULL ? (size_t)(dot -
	    name) : strlen(name)), name);
	lua_rawgetp(L, LUA_REGISTRYINDEX, &lx_libs_key);
	libs = lua_gettop(L);
	if (lua_getfield(L, libs, top) == LUA_TNIL) {
		const msgpack_object	*res;
		struct gl_err		 err;
		int			 rc;

		lua_pop(L, 1);
		if (cl == NULL) {
			lua_pushfstring(L, "\n\tno registry module '%s' came "
			    "with this task (require it in the cell first)",
			    top);
			return 1;
		}
		gl_err_clear(&err);
		rc = lx_cluster_call(cl, L, "lib.load", lx_req_pack, top, &res,
		    &err);
		if (rc == GL_ENOTFOUND) {
			lua_pushfstring(L, "\n\t%s", err.msg);
			return 1;
		}
		if (rc != 0)
			return luaL_error(L, "require \"%s\": %s", name,
			    err.msg);
		lx_req_entry(L, res);
		lua_pushvalue(L, -1);
		lua_setfield(L, libs, top);
	}
	lua_getfield(L, -1, "version");
	version = lua_tostring(L, -1);
	lua_getfield(L, -2, "files");
	/* NAME: init.lua; NAME.a.b: a/b.lua, else a/b/init.lua. */
	for (int pass = 0; pass < 2; pass++) {
		size_t	 k = 0;

		if (dot == NULL && pass == 1)
			break;
		if (dot != NULL) {
			for (const char *p = dot + 1; *p && k < 200; p++)
				path[k++] = *p == '.' ? '/' : *p;
			path[k] = '\0';
			snprintf(path + k, sizeof path - k, "%s", pass == 0 ?
			    ".lua" : "/init.lua");
		} else
			snprintf(path, sizeof path, "init.lua");
		if (lua_getfield(L, -1, path) == LUA_TSTRING)
			break;
		lua_pop(L, 1);
		path[0] = '\0';
	}
	if (path[0] == '\0') {
		lua_pushfstring(L, "\n\tno file for '%s' in registry module "
		    "%s %s", name, top, version != NULL ? version : "?");
		return 1;
	}
	src = lua_tolstring(L, -1, &len);
	lua_pushfstring(L, "@%s@%s/%s", top, version != NULL ? version : "?",
	    path);
	if (luaL_loadbufferx(L, src, len, lua_tostring(L, -1), "t") != LUA_OK)
		return lua_error(L);
	lua_pushstring(L, lua_tostring(L, -2) + 1);
	return 2;
}

void
lx_require_preload(lua_State *L, const msgpack_object *libs)
{
	int	 t;

	if (libs == NULL || libs->type != MSGPACK_OBJECT_MAP)
		return;
	lua_rawgetp(L, LUA_REGISTRYINDEX, &lx_libs_key);
	t = lua_gettop(L);
	lua_getglobal(L, "package");
	lua_getfield(L, -1, "loaded");
	for (uint32_t i = 0; i < libs->via.map.size; i++) {
		const msgpack_object	*k = &libs->via.map.ptr[i].key;
		const char		*hash;
		size_t			 hl;
		bool			 same;

		if (k->type != MSGPACK_OBJECT_STR)
			continue;
		lua_pushlstring(L, k->via.str.ptr, k->via.str.size);
		/* Another version loaded before is not this job's. */
		lua_pushvalue(L, -1);
		if (lua_rawget(L, t) == LUA_TTABLE)
			lua_getfield(L, -1, "hash");
		else
			lua_pushnil(L);
		hash = rpc_map_str(&libs->via.map.ptr[i].val, "hash", &hl);
		same = hash != NULL && lua_type(L, -1) == LUA_TSTRING &&
		    lua_rawlen(L, -1) == hl &&
		    memcmp(lua_tostring(L, -1), hash, hl) == 0;
		lua_pop(L, 2);
		if (!same) {
			lua_pushvalue(L, -1);
			lua_pushnil(L);
			lua_rawset(L, -4);		/* package.loaded */
			lx_req_entry(L, &libs->via.map.ptr[i].val);
			lua_rawset(L, t);
		} else
			lua_pop(L, 1);
	}
	lua_settop(L, t - 1);
}

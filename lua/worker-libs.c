/*
 * worker-libs.c - the team library registry's modules in a worker
 * (worker_int.h, docs/registry.md): `require` finds the modules the
 * kernel shipped with a job (lua/require.c), the same files at the same
 * version its cell loaded, never fetched from the network here.
 */
#include <lauxlib.h>

#include "lua/lua_int.h"
#include "lua/worker_int.h"

void
wk_libs_open(lua_State *L)
{
	lx_require_open(L, NULL);
}

/* lx_require_preload() under protection. [-2, +0, m] */
static int
wk_libs_preload(lua_State *L)
{
	const msgpack_object *libs = lua_touserdata(L, 1);

	lua_settop(L, 0);
	lx_require_preload(L, libs);
	return 0;
}

void
wk_libs_take(struct wk *w, const msgpack_object *libs)
{
	if (libs == NULL || libs->type != MSGPACK_OBJECT_MAP)
		return;
	lua_settop(w->L, 0);
	lua_pushcfunction(w->L, wk_libs_preload);
	lua_pushlightuserdata(w->L, (void *)libs);
	if (lua_pcall(w->L, 1, 0, 0) != LUA_OK)
		lua_pop(w->L, 1);	/* out of memory: tasks say so */
	lua_settop(w->L, 0);
}

/*
 * plugin-value.c - plain values between plugins and C: a hook's event
 * table, msgpack answers of the kernel as Lua tables, and Lua tables as
 * msgpack arguments of galley.kernel(). Plain data only: no functions,
 * userdata or cycles cross (the value codec, lua/codec.c, is for what
 * travels to workers).
 */
#include <lauxlib.h>
#include <string.h>

#include "lua/plugin_int.h"

#define PLG_VALUE_DEPTH	32

static void	 plg_push_obj(lua_State *L, const msgpack_object *o,
		     int depth);
static void	 plg_pack(lua_State *L, int idx, msgpack_packer *pk,
		     int depth);

void
plg_push_msgpack(lua_State *L, const msgpack_object *o)
{
	plg_push_obj(L, o, PLG_VALUE_DEPTH);
}

void
plg_push_event(lua_State *L, const struct plg_val *ev, size_t n)
{
	lua_createtable(L, 0, (int)n);
	for (size_t i = 0; i < n; i++) {
		const struct plg_val *v = &ev[i];

		switch (v->type) {
		case PLG_V_STR:
			if (v->s == NULL)
				continue;
			lua_pushlstring(L, v->s, v->len == (size_t)-1 ?
			    strlen(v->s) : v->len);
			break;
		case PLG_V_INT:
			lua_pushinteger(L, (lua_Integer)v->i);
			break;
		case PLG_V_BOOL:
			lua_pushboolean(L, v->i != 0);
			break;
		case PLG_V_OBJ:
			if (v->o == NULL)
				continue;
			plg_push_msgpack(L, v->o);
			break;
		}
		lua_setfield(L, -2, v->key);
	}
}

void
plg_pack_lua(lua_State *L, int idx, msgpack_packer *pk)
{
	luaL_checkstack(L, 2 * PLG_VALUE_DEPTH + 8, "a value too deep");
	plg_pack(L, lua_absindex(L, idx), pk, PLG_VALUE_DEPTH);
}

static void
plg_push_obj(lua_State *L, const msgpack_object *o, int depth)
{
	if (depth <= 0) {
		lua_pushnil(L);
		return;
	}
	switch (o->type) {
	case MSGPACK_OBJECT_BOOLEAN:
		lua_pushboolean(L, o->via.boolean);
		break;
	case MSGPACK_OBJECT_POSITIVE_INTEGER:
		if (o->via.u64 > (uint64_t)INT64_MAX)
			lua_pushnumber(L, (lua_Number)o->via.u64);
		else
			lua_pushinteger(L, (lua_Integer)o->via.u64);
		break;
	case MSGPACK_OBJECT_NEGATIVE_INTEGER:
		lua_pushinteger(L, (lua_Integer)o->via.i64);
		break;
	case MSGPACK_OBJECT_FLOAT32:
	case MSGPACK_OBJECT_FLOAT64:
		lua_pushnumber(L, (lua_Number)o->via.f64);
		break;
	case MSGPACK_OBJECT_STR:
		lua_pushlstring(L, o->via.str.ptr, o->via.str.size);
		break;
	case MSGPACK_OBJECT_BIN:
		lua_pushlstring(L, o->via.bin.ptr, o->via.bin.size);
		break;
	case MSGPACK_OBJECT_ARRAY:
		luaL_checkstack(L, 4, "a value too deep");
		lua_createtable(L, (int)o->via.array.size, 0);
		for (uint32_t i = 0; i < o->via.array.size; i++) {
			plg_push_obj(L, &o->via.array.ptr[i], depth - 1);
			lua_rawseti(L, -2, (lua_Integer)i + 1);
		}
		break;
	case MSGPACK_OBJECT_MAP:
		luaL_checkstack(L, 4, "a value too deep");
		lua_createtable(L, 0, (int)o->via.map.size);
		for (uint32_t i = 0; i < o->via.map.size; i++) {
			plg_push_obj(L, &o->via.map.ptr[i].key, depth - 1);
			if (lua_isnil(L, -1)) {
				lua_pop(L, 1);
				continue;
			}
			plg_push_obj(L, &o->via.map.ptr[i].val, depth - 1);
			lua_rawset(L, -3);
		}
		break;
	default:
		lua_pushnil(L);
		break;
	}
}

/* True if the table at idx is a sequence 1..n with no other keys (an
 * empty table is one). */
static bool
plg_is_array(lua_State *L, int idx, size_t *n)
{
	size_t	 len = (size_t)lua_rawlen(L, idx), cnt = 0;

	for (lua_pushnil(L); lua_next(L, idx) != 0; lua_pop(L, 1))
		cnt++;
	*n = len;
	return cnt == len;
}

static void
plg_pack(lua_State *L, int idx, msgpack_packer *pk, int depth)
{
	size_t		 n, len;
	const char	*s;

	switch (lua_type(L, idx)) {
	case LUA_TNIL:
		msgpack_pack_nil(pk);
		return;
	case LUA_TBOOLEAN:
		if (lua_toboolean(L, idx))
			msgpack_pack_true(pk);
		else
			msgpack_pack_false(pk);
		return;
	case LUA_TNUMBER:
		if (lua_isinteger(L, idx))
			msgpack_pack_int64(pk, (int64_t)lua_tointeger(L, idx));
		else
			msgpack_pack_double(pk, (double)lua_tonumber(L, idx));
		return;
	case LUA_TSTRING:
		s = lua_tolstring(L, idx, &len);
		msgpack_pack_str(pk, len);
		msgpack_pack_str_body(pk, s, len);
		return;
	case LUA_TTABLE:
		break;
	default:
		luaL_error(L, "a %s cannot be sent to the kernel",
		    luaL_typename(L, idx));
		return;
	}
	if (depth <= 0)
		luaL_error(L, "a table nested too deep (or a cycle) cannot be "
		    "sent to the kernel");
	if (plg_is_array(L, idx, &n)) {
		msgpack_pack_array(pk, n);
		for (size_t i = 1; i <= n; i++) {
			lua_rawgeti(L, idx, (lua_Integer)i);
			plg_pack(L, lua_gettop(L), pk, depth - 1);
			lua_pop(L, 1);
		}
		return;
	}
	/* A map: its size (counted first) comes before its pairs. */
	n = 0;
	for (lua_pushnil(L); lua_next(L, idx) != 0; lua_pop(L, 1)) {
		int kt = lua_type(L, -2);

		if (kt != LUA_TSTRING && kt != LUA_TNUMBER)
			luaL_error(L, "a table with %s keys cannot be sent to "
			    "the kernel", luaL_typename(L, -2));
		n++;
	}
	msgpack_pack_map(pk, n);
	for (lua_pushnil(L); lua_next(L, idx) != 0; lua_pop(L, 1)) {
		plg_pack(L, lua_gettop(L) - 1, pk, depth - 1);
		plg_pack(L, lua_gettop(L), pk, depth - 1);
	}
}

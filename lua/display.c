/*
 * display.c - how the runtime shows a Lua table a cell displays (its
 * trailing expression, or display(t)): as an output galley draws rather
 * than Lua's "table: 0x55d0c3a8": docs/protocol.md, outputs "table" and
 * "tree".
 *
 * Shapes.
 *  - A list of records ({ {name = "a", n = 1}, {name = "b", n = 2} },
 *    every element a table) is a table: one row per element, one column
 *    per key of the rows sent (integer keys first, then strings, sorted).
 *  - A record of lists ({day = {...}, fare = {...}}, every key a string
 *    and every value a sequence) is a table: one column per key (sorted),
 *    one row per index.
 *  - Anything else is a tree: a flat pre-order list of nodes [depth, key,
 *    value, entries, more], its children the sequence part first, then
 *    the other keys sorted; a short sequence of scalars is one node
 *    drawn inline ({1, 2, 3}).
 * A table with a __tostring or a __name metafield shows itself (the
 * caller falls back to the REPL's text).
 *
 * Bounds. Whatever the table, the output is small: at most LX_ROWS rows
 * and LX_COLS columns ("more" says how many were left out), cells of at
 * most LX_CELL bytes, at most LX_NODES tree nodes, LX_CHILDREN children
 * per table and LX_DEPTH levels; a table with more than LX_SORT keys
 * outside its sequence is walked in Lua's order instead of sorted. The
 * walk itself is linear in the entries looked at: a 1e6-element list of
 * records costs one pass over the list (its type check) and the rows
 * sent. Nothing here runs the user's code but __tostring of values that
 * have one, and no __index or __pairs: reads are raw.
 *
 * Memory. The output is packed into the struct lx_disp's own buffers; a
 * Lua error (out of memory) leaves them half-filled, and the next call
 * resets them, so no C memory is ever lost to a longjmp. Keys are sorted
 * in a Lua table on the stack.
 */
#include <stdio.h>
#include <string.h>

#include <lauxlib.h>
#include <lua.h>

#include "core/luactx.h"
#include "core/rpc.h"
#include "lua/lua_int.h"

#define LX_ROWS		1000	/* table rows sent */
#define LX_COLS		30	/* table columns sent */
#define LX_CELL		200	/* bytes of a cell or a value */
#define LX_NODES	1000	/* tree nodes sent */
#define LX_CHILDREN	100	/* children of one table sent */
#define LX_DEPTH	8	/* tree levels below the root */
#define LX_SORT		10000	/* keys sorted at most */
#define LX_INLINE	60	/* a sequence drawn inline, at most */

struct walk {
	struct lx_disp	*d;
	size_t		 nodes;
	const void	*up[LX_DEPTH + 2];	/* the tables above */
};

static bool	 plain_table(lua_State *L, int idx);

void
lx_disp_init(struct lx_disp *d)
{
	rpc_writer_init(&d->out);
	rpc_writer_init(&d->nodes);
}

void
lx_disp_fini(struct lx_disp *d)
{
	rpc_writer_fini(&d->out);
	rpc_writer_fini(&d->nodes);
}

/* A table galley draws: no __tostring, no __name. */
static bool
plain_table(lua_State *L, int idx)
{
	bool	 plain;

	if (lua_type(L, idx) != LUA_TTABLE)
		return false;
	plain = luaL_getmetafield(L, idx, "__tostring") == LUA_TNIL;
	if (!plain)
		lua_pop(L, 1);
	if (plain && luaL_getmetafield(L, idx, "__name") != LUA_TNIL) {
		lua_pop(L, 1);
		plain = false;
	}
	return plain;
}

/* Entries of the table at idx, and how many are outside 1..#t. */
static size_t
count_entries(lua_State *L, int idx, size_t *other)
{
	size_t		 n = 0, len = lua_rawlen(L, idx);
	lua_Integer	 k;

	idx = lua_absindex(L, idx);
	*other = 0;
	lua_pushnil(L);
	while (lua_next(L, idx) != 0) {
		lua_pop(L, 1);
		n++;
		if (!lua_isinteger(L, -1) || (k = lua_tointeger(L, -1)) < 1 ||
		    (size_t)k > len)
			(*other)++;
	}
	return n;
}

/* Whether key a sorts before key b: numbers, then strings, then
 * booleans, then the rest (in the order found). [-0, +0, -] */
static bool
key_less(lua_State *L, int a, int b)
{
	int	 ta = lua_type(L, a), tb = lua_type(L, b);
	int	 ra = ta == LUA_TNUMBER ? 0 : ta == LUA_TSTRING ? 1 :
		    ta == LUA_TBOOLEAN ? 2 : 3;
	int	 rb = tb == LUA_TNUMBER ? 0 : tb == LUA_TSTRING ? 1 :
		    tb == LUA_TBOOLEAN ? 2 : 3;
	size_t	 la, lb;

	if (ra != rb)
		return ra < rb;
	if (ra == 0)
		return lua_compare(L, a, b, LUA_OPLT);
	if (ra == 1) {
		const char *sa = lua_tolstring(L, a, &la);
		const char *sb = lua_tolstring(L, b, &lb);
		int	 c = memcmp(sa, sb, la < lb ? la : lb);

		return c < 0 || (c == 0 && la < lb);
	}
	if (ra == 2)
		return !lua_toboolean(L, a) && lua_toboolean(L, b);
	return false;
}

/* Heapsort of the array ks[1..n] (a table at ks) with key_less. */
static void
sift(lua_State *L, int ks, size_t root, size_t n)
{
	for (;;) {
		size_t	 child = root * 2, big = root;

		lua_rawgeti(L, ks, (lua_Integer)big);
		if (child <= n) {
			lua_rawgeti(L, ks, (lua_Integer)child);
			if (key_less(L, -2, -1)) {
				big = child;
				lua_replace(L, -2);
			} else
				lua_pop(L, 1);
		}
		if (child + 1 <= n) {
			lua_rawgeti(L, ks, (lua_Integer)child + 1);
			if (key_less(L, -2, -1)) {
				big = child + 1;
				lua_replace(L, -2);
			} else
				lua_pop(L, 1);
		}
		lua_pop(L, 1);
		if (big == root)
			return;
		/* Swap root and big. */
		lua_rawgeti(L, ks, (lua_Integer)root);
		lua_rawgeti(L, ks, (lua_Integer)big);
		lua_rawseti(L, ks, (lua_Integer)root);
		lua_rawseti(L, ks, (lua_Integer)big);
		root = big;
	}
}

static void
sort_keys(lua_State *L, int ks, size_t n)
{
	for (size_t i = n / 2; i >= 1; i--)
		sift(L, ks, i, n);
	for (size_t end = n; end > 1; end--) {
		lua_rawgeti(L, ks, 1);
		lua_rawgeti(L, ks, (lua_Integer)end);
		lua_rawseti(L, ks, 1);
		lua_rawseti(L, ks, (lua_Integer)end);
		sift(L, ks, 1, end - 1);
	}
}

/*
 * Pushes a table of the keys of the table at idx outside 1..#t, at most
 * max of them unless all fit in LX_SORT (then all, sorted). Returns how
 * many. [-0, +1, m]
 */
static size_t
other_keys(lua_State *L, int idx, size_t other, size_t max)
{
	size_t		 n = 0, len = lua_rawlen(L, idx);
	bool		 all = other <= LX_SORT;
	lua_Integer	 k;
	int		 ks;

	idx = lua_absindex(L, idx);
	lua_createtable(L, (int)(all ? other : max), 0);
	ks = lua_gettop(L);
	lua_pushnil(L);
	while (lua_next(L, idx) != 0) {
		lua_pop(L, 1);
		if (lua_isinteger(L, -1) && (k = lua_tointeger(L, -1)) >= 1 &&
		    (size_t)k <= len)
			continue;
		lua_pushvalue(L, -1);
		lua_rawseti(L, ks, (lua_Integer)++n);
		if (!all && n == max) {
			lua_pop(L, 1);
			break;
		}
	}
	if (all)
		sort_keys(L, ks, n);
	return n;
}

/* Adds s[0..n) to b as a Lua string literal, cut at max bytes of s. */
static void
add_quoted(luaL_Buffer *b, const char *s, size_t n, size_t max)
{
	luaL_addchar(b, '"');
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		char	 esc[8];

		if (i >= max) {
			luaL_addstring(b, "\xe2\x80\xa6");
			break;
		}
		if (c == '"' || c == '\\') {
			luaL_addchar(b, '\\');
			luaL_addchar(b, (char)c);
		} else if (c == '\n')
			luaL_addstring(b, "\\n");
		else if (c == '\t')
			luaL_addstring(b, "\\t");
		else if (c < 0x20 || c == 0x7f) {
			snprintf(esc, sizeof esc, "\\%u", c);
			luaL_addstring(b, esc);
		} else
			luaL_addchar(b, (char)c);
	}
	luaL_addchar(b, '"');
}

/* Pushes the value at idx as text: a string as it is (quote: as a Lua
 * literal), cut at LX_CELL bytes; numbers, booleans and nil as Lua
 * writes them; a function as "function"; a value with a __tostring as
 * that says. [-0, +1, e] */
static void
push_scalar(lua_State *L, int idx, bool quote)
{
	size_t		 n;
	const char	*s;
	luaL_Buffer	 b;

	idx = lua_absindex(L, idx);
	switch (lua_type(L, idx)) {
	case LUA_TSTRING:
		s = lua_tolstring(L, idx, &n);
		if (quote) {
			luaL_buffinit(L, &b);
			add_quoted(&b, s, n, LX_CELL);
			luaL_pushresult(&b);
		} else if (n > LX_CELL) {
			lua_pushlstring(L, s, LX_CELL);
			lua_pushliteral(L, "\xe2\x80\xa6");
			lua_concat(L, 2);
		} else
			lua_pushvalue(L, idx);
		return;
	case LUA_TFUNCTION:
		lua_pushstring(L, lua_iscfunction(L, idx) ? "builtin function" :
		    "function");
		return;
	default:
		s = luaL_tolstring(L, idx, &n);
		if (n > LX_CELL) {
			lua_pushlstring(L, s, LX_CELL);
			lua_replace(L, -2);
		}
		return;
	}
}

/* Whether the table at idx is a short sequence of scalars, drawn inline:
 * then pushes its text ("{1, 2, "a"}", "{}"). [-0, +(0|1), e] */
static bool
push_inline(lua_State *L, int idx)
{
	size_t		 other, n = count_entries(L, idx, &other), len = 0;
	int		 k = 0;

	if (other > 0 || n > 16)
		return false;
	idx = lua_absindex(L, idx);
	for (size_t i = 1; i <= n; i++) {
		int	 t = lua_rawgeti(L, idx, (lua_Integer)i);

		if (t == LUA_TTABLE || t == LUA_TUSERDATA || t == LUA_TTHREAD ||
		    (t == LUA_TSTRING && lua_rawlen(L, -1) > LX_INLINE)) {
			lua_pop(L, 1);
			return false;
		}
		len += t == LUA_TSTRING ? lua_rawlen(L, -1) + 4 : 8;
		lua_pop(L, 1);
	}
	if (len > LX_INLINE)
		return false;
	luaL_checkstack(L, 2 * 16 + 4, "display");
	lua_pushliteral(L, "{");
	k++;
	for (size_t i = 1; i <= n; i++) {
		if (i > 1) {
			lua_pushliteral(L, ", ");
			k++;
		}
		lua_rawgeti(L, idx, (lua_Integer)i);
		push_scalar(L, -1, true);
		lua_remove(L, -2);
		k++;
	}
	lua_pushliteral(L, "}");
	lua_concat(L, k + 1);
	return true;
}

/* Packs the value at idx as text (quote: strings as Lua literals). A
 * plain table becomes its inline form or "{…}". [-0, +0, e] */
static void
pack_text(lua_State *L, int idx, msgpack_packer *pk, bool quote)
{
	size_t		 n;
	const char	*s;

	idx = lua_absindex(L, idx);
	if (lua_type(L, idx) == LUA_TNIL) {
		msgpack_pack_nil(pk);
		return;
	}
	if (plain_table(L, idx)) {
		if (!push_inline(L, idx))
			lua_pushliteral(L, "{\xe2\x80\xa6}");
	} else
		push_scalar(L, idx, quote);
	s = lua_tolstring(L, -1, &n);
	rpc_pack_strn(pk, s, n);
	lua_pop(L, 1);
}

/* A key as a tree shows it: a name, or [literal]. [-0, +0, e] */
static void
pack_key(lua_State *L, int idx, msgpack_packer *pk)
{
	size_t		 n;
	const char	*s;

	idx = lua_absindex(L, idx);
	if (lua_type(L, idx) == LUA_TSTRING) {
		s = lua_tolstring(L, idx, &n);
		if (luactx_is_name(s, n)) {
			rpc_pack_strn(pk, s, n);
			return;
		}
	}
	lua_pushliteral(L, "[");
	if (lua_type(L, idx) == LUA_TTABLE)
		lua_pushliteral(L, "table");
	else
		push_scalar(L, idx, true);
	lua_pushliteral(L, "]");
	lua_concat(L, 3);
	s = lua_tolstring(L, -1, &n);
	rpc_pack_strn(pk, s, n);
	lua_pop(L, 1);
}

/* ------------------------------------------------------------------ */
/* Tables */

/* Whether the table at idx is a list of records: *n its length. */
static bool
is_records(lua_State *L, int idx, size_t *n)
{
	size_t	 other;

	*n = lua_rawlen(L, idx);
	if (*n == 0 || count_entries(L, idx, &other) != *n || other > 0)
		return false;
	for (size_t i = 1; i <= *n; i++) {
		bool	 ok;

		lua_rawgeti(L, idx, (lua_Integer)i);
		ok = plain_table(L, -1);
		lua_pop(L, 1);
		if (!ok)
			return false;
	}
	return true;
}

/* Whether the table at idx is a record of lists: string keys, sequence
 * values. *rows is the longest. */
static bool
is_columns(lua_State *L, int idx, size_t *rows)
{
	size_t	 keys = 0, other;
	bool	 ok = true;

	*rows = 0;
	idx = lua_absindex(L, idx);
	lua_pushnil(L);
	while (ok && lua_next(L, idx) != 0) {
		keys++;
		ok = lua_type(L, -2) == LUA_TSTRING && plain_table(L, -1) &&
		    count_entries(L, -1, &other) == lua_rawlen(L, -1) &&
		    other == 0;
		if (ok && lua_rawlen(L, -1) > *rows)
			*rows = lua_rawlen(L, -1);
		lua_pop(L, 1);
	}
	if (!ok)
		lua_pop(L, 1);	/* the key lua_next left */
	return ok && keys > 0;
}

/* Pushes the sorted union of the keys of the first rows records of the
 * list at idx (records) or of the table at idx itself. [-0, +1, m] */
static size_t
push_columns(lua_State *L, int idx, bool records, size_t rows)
{
	int	 seen, ks;
	size_t	 n = 0;

	idx = lua_absindex(L, idx);
	lua_newtable(L);
	seen = lua_gettop(L);
	lua_newtable(L);
	ks = lua_gettop(L);
	for (size_t r = 1; r <= (records ? rows : 1); r++) {
		int	 t;

		if (records)
			lua_rawgeti(L, idx, (lua_Integer)r);
		else
			lua_pushvalue(L, idx);
		t = lua_gettop(L);
		lua_pushnil(L);
		while (lua_next(L, t) != 0) {
			lua_pop(L, 1);
			lua_pushvalue(L, -1);
			if (lua_rawget(L, seen) == LUA_TNIL) {
				lua_pushvalue(L, -2);
				lua_pushboolean(L, 1);
				lua_rawset(L, seen);
				lua_pushvalue(L, -2);
				lua_rawseti(L, ks, (lua_Integer)++n);
			}
			lua_pop(L, 1);
		}
		lua_pop(L, 1);
	}
	sort_keys(L, ks, n);
	lua_remove(L, seen);
	return n;
}

/* {type = "table", columns, rows, more, more_columns} for the list of
 * records or record of lists at idx. [-0, +0, e] */
static void
pack_table(struct lx_disp *d, lua_State *L, int idx, bool records,
    size_t nrows)
{
	msgpack_packer	*pk = &d->out.pk;
	size_t		 sent = nrows < LX_ROWS ? nrows : LX_ROWS, ncols, cols;
	int		 ks;

	idx = lua_absindex(L, idx);
	ncols = push_columns(L, idx, records, sent);
	ks = lua_gettop(L);
	cols = ncols < LX_COLS ? ncols : LX_COLS;
	msgpack_pack_map(pk, ncols > cols ? 5 : 4);
	rpc_pack_kv_str(pk, "type", "table");
	rpc_pack_key(pk, "columns");
	msgpack_pack_array(pk, cols);
	for (size_t c = 1; c <= cols; c++) {
		lua_rawgeti(L, ks, (lua_Integer)c);
		pack_text(L, -1, pk, false);
		lua_pop(L, 1);
	}
	rpc_pack_key(pk, "rows");
	msgpack_pack_array(pk, sent);
	for (size_t r = 1; r <= sent; r++) {
		msgpack_pack_array(pk, cols);
		for (size_t c = 1; c <= cols; c++) {
			if (records) {
				lua_rawgeti(L, idx, (lua_Integer)r);
				lua_rawgeti(L, ks, (lua_Integer)c);
				lua_rawget(L, -2);
			} else {
				lua_rawgeti(L, ks, (lua_Integer)c);
				lua_rawget(L, idx);
				lua_rawgeti(L, -1, (lua_Integer)r);
			}
			pack_text(L, -1, pk, false);
			lua_pop(L, 2);
		}
	}
	rpc_pack_kv_int(pk, "more", (int64_t)(nrows - sent));
	if (ncols > cols)
		rpc_pack_kv_int(pk, "more_columns", (int64_t)(ncols - cols));
	lua_pop(L, 1);
}

/* ------------------------------------------------------------------ */
/* Trees */

/* One node [depth, key, value, entries, more] for the value at idx under
 * the key at kidx (0: the root), then its children. [-0, +0, e] */
static void
pack_node(struct walk *w, lua_State *L, int kidx, int idx, int depth)
{
	msgpack_packer	*pk = &w->d->nodes.pk;
	size_t		 n, other, len, sent = 0, nk;
	bool		 cycle = false;
	int		 ks;

	idx = lua_absindex(L, idx);
	w->nodes++;
	msgpack_pack_array(pk, 5);
	msgpack_pack_int(pk, depth);
	if (kidx == 0)
		rpc_pack_str(pk, "");
	else
		pack_key(L, kidx, pk);
	if (!plain_table(L, idx)) {
		pack_text(L, idx, pk, true);
		msgpack_pack_int(pk, -1);
		msgpack_pack_int(pk, 0);
		return;
	}
	for (int k = 0; k < depth; k++)
		cycle |= w->up[k] == lua_topointer(L, idx);
	n = count_entries(L, idx, &other);
	if (cycle || depth >= LX_DEPTH || w->nodes >= LX_NODES) {
		rpc_pack_str(pk, cycle ? "{\xe2\x80\xa6 cycle}" :
		    "{\xe2\x80\xa6}");
		msgpack_pack_int(pk, (int64_t)n);
		msgpack_pack_int(pk, (int64_t)n);
		return;
	}
	if (push_inline(L, idx)) {
		size_t		 tl;
		const char	*t = lua_tolstring(L, -1, &tl);

		rpc_pack_strn(pk, t, tl);
		lua_pop(L, 1);
		msgpack_pack_int(pk, (int64_t)n);
		msgpack_pack_int(pk, 0);
		return;
	}
	/* The children: how many fit is known only once they are walked,
	 * so "more" (the last field) is packed after them. */
	rpc_pack_str(pk, "");
	msgpack_pack_int(pk, (int64_t)n);
	w->up[depth] = lua_topointer(L, idx);
	luaL_checkstack(L, 8, "display");
	len = lua_rawlen(L, idx);
	nk = other_keys(L, idx, other, LX_CHILDREN);
	ks = lua_gettop(L);
	/* A placeholder: patched below with the real count. */
	{
		msgpack_sbuffer	*sb = &w->d->nodes.sbuf;
		size_t		 at;

		msgpack_pack_uint32(pk, 0xffffffffu);
		at = sb->size - 4;
		for (size_t i = 1; i <= len + nk && sent < LX_CHILDREN &&
		    w->nodes < LX_NODES; i++, sent++) {
			if (i <= len) {
				lua_pushinteger(L, (lua_Integer)i);
				lua_rawgeti(L, idx, (lua_Integer)i);
			} else {
				lua_rawgeti(L, ks, (lua_Integer)(i - len));
				lua_pushvalue(L, -1);
				lua_rawget(L, idx);
			}
			pack_node(w, L, lua_gettop(L) - 1, -1, depth + 1);
			lua_pop(L, 2);
		}
		/* sb->data may have moved while children were packed. */
		{
			uint32_t	 more = (uint32_t)(n - sent);

			sb->data[at] = (char)(more >> 24);
			sb->data[at + 1] = (char)(more >> 16);
			sb->data[at + 2] = (char)(more >> 8);
			sb->data[at + 3] = (char)more;
		}
	}
	lua_pop(L, 1);
}

static void
pack_tree(struct lx_disp *d, lua_State *L, int idx)
{
	struct walk	 w;
	msgpack_packer	*pk = &d->out.pk;

	memset(&w, 0, sizeof w);
	w.d = d;
	pack_node(&w, L, 0, idx, 0);
	msgpack_pack_map(pk, 2);
	rpc_pack_kv_str(pk, "type", "tree");
	rpc_pack_key(pk, "nodes");
	msgpack_pack_array(pk, (uint32_t)w.nodes);
	msgpack_sbuffer_write(&d->out.sbuf, d->nodes.sbuf.data,
	    d->nodes.sbuf.size);
}

bool
lx_disp_pack(struct lx_disp *d, lua_State *L, int idx)
{
	size_t	 n;

	rpc_writer_reset(&d->out);
	rpc_writer_reset(&d->nodes);
	idx = lua_absindex(L, idx);
	if (!plain_table(L, idx))
		return false;
	luaL_checkstack(L, 16, "display");
	if (is_records(L, idx, &n))
		pack_table(d, L, idx, true, n);
	else if (is_columns(L, idx, &n))
		pack_table(d, L, idx, false, n);
	else
		pack_tree(d, L, idx);
	return true;
}

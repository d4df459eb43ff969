/*
 * complete.c - the runtime's answers to `complete` and `inspect`
 * (docs/protocol.md, "The runtime pipe"): names from the live session
 * for the code before a cursor (core/luactx.h says where the cursor is),
 * and what a name holds.
 *
 * Completion looks names up in the global table, where the runtime
 * keeps each cell's top-level locals, then follows the chain before the
 * cursor ("io.std": the fields of io; "s:up": the methods of a string)
 * through fields and metatables' __index tables. A name inside
 * require's string is a module (package.loaded, package.preload, and the
 * files package.path and package.cpath find), any other string a file
 * path relative to the notebook's directory. The words of the cell being
 * edited are offered too (its locals have not run yet).
 *
 * Inspection says a value's type and, for a function, its parameters
 * (lua_getinfo's nparams and isvararg, their names from lua_getlocal on
 * the function) and where it was defined; for a table, its size and
 * keys; for a string, its length and start.
 *
 * Nothing here runs the user's code: every read is raw and only an
 * __index that is a table is followed. Answers are packed into the
 * struct's own buffer (a Lua memory error leaves it to the next call).
 */
#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <lauxlib.h>
#include <lua.h>

#include "core/luactx.h"
#include "core/rpc.h"
#include "lua/lua_int.h"

#define LX_MATCHES	200	/* completions sent at most */
#define LX_INDEX_DEPTH	8	/* __index tables followed */
#define LX_KEYS_SHOWN	40	/* keys an inspection lists */

struct comp {
	struct lx_comp	*c;
	const char	*word;
	size_t		 wlen;
	int		 seen;		/* stack index of a set of names */
	int		 list;		/* ... and of the [name, kind] list */
	size_t		 n;
	bool		 methods;	/* only functions */
};

void
lx_comp_init(struct lx_comp *c)
{
	rpc_writer_init(&c->w);
}

void
lx_comp_fini(struct lx_comp *c)
{
	rpc_writer_fini(&c->w);
}

/* Adds name[0..n) of kind if it starts with the word and is new.
 * [-0, +0, m] */
static void
offer(lua_State *L, struct comp *cp, const char *name, size_t n,
    const char *kind)
{
	if (n < cp->wlen || memcmp(name, cp->word, cp->wlen) != 0 ||
	    cp->n >= LX_MATCHES * 4)
		return;
	lua_pushlstring(L, name, n);
	if (lua_rawget(L, cp->seen) != LUA_TNIL) {
		lua_pop(L, 1);
		return;
	}
	lua_pop(L, 1);
	lua_pushlstring(L, name, n);
	lua_pushboolean(L, 1);
	lua_rawset(L, cp->seen);
	lua_createtable(L, 2, 0);
	lua_pushlstring(L, name, n);
	lua_rawseti(L, -2, 1);
	lua_pushstring(L, kind);
	lua_rawseti(L, -2, 2);
	lua_rawseti(L, cp->list, (lua_Integer)++cp->n);
}

/* Offers the name keys of the table at idx and of the __index tables
 * behind it. [-0, +0, m] */
static void
offer_fields(lua_State *L, struct comp *cp, int idx)
{
	idx = lua_absindex(L, idx);
	lua_pushvalue(L, idx);
	for (int depth = 0; depth < LX_INDEX_DEPTH; depth++) {
		int	 t = lua_gettop(L);

		if (lua_type(L, t) == LUA_TTABLE) {
			lua_pushnil(L);
			while (lua_next(L, t) != 0) {
				size_t		 n;
				const char	*k;

				if (lua_type(L, -2) == LUA_TSTRING &&
				    (k = lua_tolstring(L, -2, &n)) != NULL &&
				    luactx_is_name(k, n) && (!cp->methods ||
				    lua_type(L, -1) == LUA_TFUNCTION))
					offer(L, cp, k, n,
					    luaL_typename(L, -1));
				lua_pop(L, 1);
			}
		}
		/* On to the __index table, if there is one. */
		if (!lua_getmetatable(L, t))
			break;
		lua_pushliteral(L, "__index");
		lua_rawget(L, -2);
		lua_remove(L, -2);
		lua_remove(L, -2);
		if (lua_type(L, -1) != LUA_TTABLE)
			break;
	}
	lua_pop(L, 1);
}

/* Pushes the value of the chain name[0..n) ("a.b", "s") looked up from
 * the globals, raw and through __index tables; nil if it breaks.
 * [-0, +1, m] */
static void
push_chain(lua_State *L, const char *name, size_t n)
{
	size_t	 i = 0;

	lua_pushglobaltable(L);
	while (i <= n) {
		size_t	 e = i;

		while (e < n && name[e] != '.' && name[e] != ':')
			e++;
		if (e == i) {
			lua_pop(L, 1);
			lua_pushnil(L);
			return;
		}
		/* The field name[i, e) of the value on top. */
		for (int depth = 0; ; depth++) {
			int	 t = lua_gettop(L);

			if (lua_type(L, t) == LUA_TTABLE) {
				lua_pushlstring(L, name + i, e - i);
				if (lua_rawget(L, t) != LUA_TNIL) {
					lua_remove(L, t);
					break;
				}
				lua_pop(L, 1);
			}
			if (depth >= LX_INDEX_DEPTH || !lua_getmetatable(L, t)) {
				lua_pop(L, 1);
				lua_pushnil(L);
				return;
			}
			lua_pushliteral(L, "__index");
			lua_rawget(L, -2);
			lua_remove(L, -2);
			lua_remove(L, t);
		}
		i = e + 1;
	}
}

static bool
on_word(void *ctx, const char *w, size_t n)
{
	struct comp	*cp = ctx;
	lua_State	*L = cp->c->L;

	if (!luactx_is_keyword(w, n) && !(n == cp->wlen &&
	    memcmp(w, cp->word, n) == 0))
		offer(L, cp, w, n, "word");
	return cp->n < LX_MATCHES;
}

/* Offers the entries of directory dir (as typed, "" for the current
 * one) that start with base, each as prefix + entry: directories with a
 * '/' after them. */
static void
offer_dir(lua_State *L, struct comp *cp, const char *dir, const char *base,
    const char *prefix)
{
	DIR		*d = opendir(*dir ? dir : ".");
	struct dirent	*de;
	size_t		 bl = strlen(base);
	char		 path[4096], text[4096];
	struct stat	 st;

	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL && cp->n < LX_MATCHES) {
		bool	 isdir;

		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0 ||
		    strncmp(de->d_name, base, bl) != 0 ||
		    (de->d_name[0] == '.' && base[0] != '.'))
			continue;
		snprintf(path, sizeof path, "%s%s", *dir ? dir : "./",
		    de->d_name);
		isdir = stat(path, &st) == 0 && S_ISDIR(st.st_mode);
		snprintf(text, sizeof text, "%s%s%s", prefix, de->d_name,
		    isdir ? "/" : "");
		offer(L, cp, text, strlen(text), isdir ? "directory" : "file");
	}
	closedir(d);
}

/* File paths completing the string's content word[0..wlen). */
static void
offer_paths(lua_State *L, struct comp *cp, const char *word, size_t wlen)
{
	char	 typed[4096], dir[4096];
	const char *slash;

	snprintf(typed, sizeof typed, "%.*s", (int)wlen, word);
	slash = strrchr(typed, '/');
	if (slash != NULL)
		snprintf(dir, sizeof dir, "%.*s", (int)(slash - typed + 1),
		    typed);
	else
		dir[0] = '\0';
	/* The whole content is replaced: offer_dir() filters itself. */
	cp->wlen = 0;
	offer_dir(L, cp, dir, slash != NULL ? slash + 1 : typed, dir);
}

/* Modules completing word[0..wlen) ("socket.h"): loaded, preloaded, and
 * files along package.path and package.cpath. */
static void
offer_modules(lua_State *L, struct comp *cp, const char *word, size_t wlen)
{
	static const char *const paths[] = { "path", "cpath" };
	char	 typed[1024], mod[1024];

	snprintf(typed, sizeof typed, "%.*s", (int)wlen, word);
	lua_getglobal(L, "package");
	if (lua_type(L, -1) != LUA_TTABLE) {
		lua_pop(L, 1);
		return;
	}
	for (int k = 0; k < 2; k++) {
		lua_getfield(L, -1, k == 0 ? "loaded" : "preload");
		if (lua_type(L, -1) == LUA_TTABLE) {
			lua_pushnil(L);
			while (lua_next(L, -2) != 0) {
				size_t		 n;
				const char	*s;

				if (lua_type(L, -2) == LUA_TSTRING &&
				    (s = lua_tolstring(L, -2, &n)) != NULL &&
				    strncmp(s, typed, strlen(typed)) == 0 &&
				    *s != '_')
					offer(L, cp, s, n, "module");
				lua_pop(L, 1);
			}
		}
		lua_pop(L, 1);
	}
	/* "a.b" is the file a/b along a template "DIR/?SUFFIX". */
	snprintf(mod, sizeof mod, "%s", typed);
	for (char *p = mod; *p; p++)
		if (*p == '.')
			*p = '/';
	for (int k = 0; k < 2; k++) {
		const char	*spec;

		lua_getfield(L, -1, paths[k]);
		spec = lua_tostring(L, -1);
		while (spec != NULL && *spec != '\0') {
			size_t		 tl = strcspn(spec, ";");
			char		 tmpl[1024], dir[2048];
			const char	*q, *base;
			DIR		*d;
			struct dirent	*de;

			snprintf(tmpl, sizeof tmpl, "%.*s", (int)tl, spec);
			spec += tl + (spec[tl] == ';');
			if ((q = strchr(tmpl, '?')) == NULL)
				continue;
			/* The directory the typed module's last part is in. */
			snprintf(dir, sizeof dir, "%.*s%s", (int)(q - tmpl),
			    tmpl, mod);
			base = strrchr(mod, '/') ? strrchr(mod, '/') + 1 : mod;
			dir[strlen(dir) - strlen(base)] = '\0';
			if ((d = opendir(*dir ? dir : ".")) == NULL)
				continue;
			while ((de = readdir(d)) != NULL &&
			    cp->n < LX_MATCHES) {
				const char *suf = q + 1;
				size_t	 nl = strlen(de->d_name);
				size_t	 sl = strlen(suf);
				char	 name[1024], path[4096];
				struct stat st;

				if (de->d_name[0] == '.' ||
				    strncmp(de->d_name, base, strlen(base)))
					continue;
				if (*suf == '/') {
					/* "?/init.lua": a directory. */
					snprintf(path, sizeof path, "%s%s%s",
					    *dir ? dir : "./", de->d_name, suf);
					if (stat(path, &st) != 0)
						continue;
					snprintf(name, sizeof name, "%.*s%s",
					    (int)(base - mod), mod, de->d_name);
				} else if (nl > sl && strcmp(de->d_name + nl -
				    sl, suf) == 0)
					snprintf(name, sizeof name, "%.*s%.*s",
					    (int)(base - mod), mod,
					    (int)(nl - sl), de->d_name);
				else
					continue;
				for (char *p = name; *p; p++)
					if (*p == '/')
						*p = '.';
				offer(L, cp, name, strlen(name), "module");
			}
			closedir(d);
		}
		lua_pop(L, 1);
	}
	lua_pop(L, 1);
}

/* Packs the sorted matches of list (a table at idx of [name, kind]).
 * [-0, +0, m] */
static void
pack_matches(lua_State *L, struct comp *cp, msgpack_packer *pk)
{
	size_t	 n = cp->n < LX_MATCHES ? cp->n : LX_MATCHES;

	/* Insertion sort by name: at most a few hundred. */
	for (size_t i = 2; i <= cp->n; i++) {
		size_t	 j = i;

		lua_rawgeti(L, cp->list, (lua_Integer)i);
		lua_rawgeti(L, -1, 1);
		while (j > 1) {
			lua_rawgeti(L, cp->list, (lua_Integer)j - 1);
			lua_rawgeti(L, -1, 1);
			if (strcmp(lua_tostring(L, -1), lua_tostring(L, -3)) <=
			    0) {
				lua_pop(L, 2);
				break;
			}
			lua_pop(L, 1);
			lua_rawseti(L, cp->list, (lua_Integer)j);
			j--;
		}
		lua_pop(L, 1);
		lua_rawseti(L, cp->list, (lua_Integer)j);
	}
	msgpack_pack_array(pk, n);
	for (size_t i = 1; i <= n; i++) {
		size_t		 l;
		const char	*s;

		lua_rawgeti(L, cp->list, (lua_Integer)i);
		msgpack_pack_map(pk, 2);
		lua_rawgeti(L, -1, 1);
		s = lua_tolstring(L, -1, &l);
		rpc_pack_key(pk, "text");
		rpc_pack_strn(pk, s, l);
		lua_pop(L, 1);
		lua_rawgeti(L, -1, 2);
		rpc_pack_kv_str(pk, "kind", lua_tostring(L, -1));
		lua_pop(L, 2);
	}
}

/* complete, under lua_pcall: light userdata arg 1 is the struct lx_comp.
 * Packs {matches: [{text, kind}], start, end}. [-1, +0, e] */
static int
lx_comp_complete(lua_State *L)
{
	struct lx_comp	*c = lua_touserdata(L, 1);
	msgpack_packer	*pk = &c->w.pk;
	struct luactx	 ctx;
	struct comp	 cp;
	size_t		 start;

	memset(&cp, 0, sizeof cp);
	cp.c = c;
	c->L = L;
	luactx_at(c->code, c->len, c->cursor, &ctx);
	start = ctx.word;
	cp.word = c->code + ctx.word;
	cp.wlen = c->cursor - ctx.word;
	lua_newtable(L);
	cp.seen = lua_gettop(L);
	lua_newtable(L);
	cp.list = lua_gettop(L);
	switch (ctx.kind) {
	case LUACTX_NAME:
		if (ctx.sep == 0) {
			lua_pushglobaltable(L);
			offer_fields(L, &cp, -1);
			lua_pop(L, 1);
			for (size_t i = 0; luactx_keywords[i] != NULL; i++)
				offer(L, &cp, luactx_keywords[i],
				    strlen(luactx_keywords[i]), "keyword");
			luactx_words(c->code, c->len, on_word, &cp);
			break;
		}
		push_chain(L, c->code + ctx.chain, ctx.chain_len);
		cp.methods = ctx.sep == ':';
		if (lua_type(L, -1) == LUA_TTABLE)
			offer_fields(L, &cp, -1);
		else if (lua_type(L, -1) != LUA_TNIL && lua_getmetatable(L,
		    -1)) {
			/* A string's (or userdata's) methods. */
			lua_pushliteral(L, "__index");
			lua_rawget(L, -2);
			if (lua_type(L, -1) == LUA_TTABLE)
				offer_fields(L, &cp, -1);
			lua_pop(L, 2);
		}
		lua_pop(L, 1);
		break;
	case LUACTX_REQUIRE:
		offer_modules(L, &cp, cp.word, cp.wlen);
		break;
	case LUACTX_STRING:
		offer_paths(L, &cp, c->code + ctx.word, c->cursor - ctx.word);
		break;
	default:
		break;
	}
	rpc_writer_reset(&c->w);
	msgpack_pack_map(pk, 3);
	rpc_pack_key(pk, "matches");
	pack_matches(L, &cp, pk);
	rpc_pack_kv_int(pk, "start", (int64_t)start);
	rpc_pack_kv_int(pk, "end", (int64_t)c->cursor);
	return 0;
}

/* Pushes "function(a, b, ...)" for the Lua function at idx, and its
 * definition's place; a C function is "builtin function". [-0, +2, m] */
static void
push_signature(lua_State *L, int idx)
{
	lua_Debug	 ar;
	luaL_Buffer	 b;
	const char	*name;

	idx = lua_absindex(L, idx);
	lua_pushvalue(L, idx);
	if (!lua_getinfo(L, ">Su", &ar) || ar.what == NULL ||
	    strcmp(ar.what, "C") == 0) {
		lua_pushliteral(L, "builtin function");
		lua_pushliteral(L, "a function of C (its parameters are not "
		    "known)");
		return;
	}
	luaL_buffinit(L, &b);
	luaL_addstring(&b, "function(");
	for (int i = 1; i <= ar.nparams; i++) {
		lua_pushvalue(L, idx);
		name = lua_getlocal(L, NULL, i);
		lua_pop(L, 1);
		if (i > 1)
			luaL_addstring(&b, ", ");
		luaL_addstring(&b, name != NULL ? name : "?");
	}
	if (ar.isvararg)
		luaL_addstring(&b, ar.nparams > 0 ? ", ..." : "...");
	luaL_addchar(&b, ')');
	luaL_pushresult(&b);
	if (ar.source[0] == '@')
		lua_pushfstring(L, "defined at %s:%d", ar.source + 1,
		    ar.linedefined);
	else
		lua_pushfstring(L, "defined in %s, line %d", ar.short_src,
		    ar.linedefined);
}

/* Pushes what the table at idx holds: its size, then its keys that are
 * strings, with their types. [-0, +2, m] */
static void
push_table_doc(lua_State *L, int idx)
{
	size_t		 n = 0;
	int		 shown = 0;
	lua_Integer	 len;

	idx = lua_absindex(L, idx);
	lua_pushnil(L);
	while (lua_next(L, idx) != 0) {
		lua_pop(L, 1);
		n++;
	}
	len = (lua_Integer)lua_rawlen(L, idx);
	if (len > 0 && (size_t)len == n)
		lua_pushfstring(L, "table, a list of %I items", len);
	else
		lua_pushfstring(L, "table, %I entries", (lua_Integer)n);
	luaL_checkstack(L, LX_KEYS_SHOWN + 4, "inspect");
	lua_pushliteral(L, "");
	lua_pushnil(L);
	while (lua_next(L, idx) != 0) {
		if (lua_type(L, -2) == LUA_TSTRING && shown < LX_KEYS_SHOWN) {
			lua_pushfstring(L, "%s%s: %s", shown ? "\n" : "",
			    lua_tostring(L, -2), luaL_typename(L, -1));
			/* Under the key and value, after the others. */
			lua_insert(L, -3);
			shown++;
		}
		lua_pop(L, 1);
	}
	if ((size_t)shown < n - (size_t)len && shown == LX_KEYS_SHOWN) {
		lua_pushliteral(L, "\n...");
		shown++;
	}
	lua_concat(L, shown + 1);
}

/* inspect, under lua_pcall as lx_comp_complete. Packs {found, name,
 * type, summary, doc}. [-1, +0, e] */
static int
lx_comp_inspect(lua_State *L)
{
	struct lx_comp	*c = lua_touserdata(L, 1);
	msgpack_packer	*pk = &c->w.pk;
	size_t		 s, e, n;
	const char	*str;

	c->L = L;
	rpc_writer_reset(&c->w);
	if (!luactx_expr(c->code, c->len, c->cursor, &s, &e)) {
		msgpack_pack_map(pk, 2);
		rpc_pack_kv_bool(pk, "found", false);
		rpc_pack_kv_str(pk, "message", "no name at the cursor");
		return 0;
	}
	push_chain(L, c->code + s, e - s);
	if (lua_isnil(L, -1)) {
		msgpack_pack_map(pk, 3);
		rpc_pack_kv_bool(pk, "found", false);
		rpc_pack_key(pk, "name");
		rpc_pack_strn(pk, c->code + s, e - s);
		rpc_pack_kv_str(pk, "message", "nil: not defined in the "
		    "session (run the cell that defines it)");
		return 0;
	}
	switch (lua_type(L, -1)) {
	case LUA_TFUNCTION:
		push_signature(L, -1);
		break;
	case LUA_TTABLE:
		push_table_doc(L, -1);
		break;
	case LUA_TSTRING:
		str = lua_tolstring(L, -1, &n);
		lua_pushfstring(L, "string, %I bytes", (lua_Integer)n);
		lua_pushlstring(L, str, n > 200 ? 200 : n);
		break;
	case LUA_TNUMBER:
		lua_pushfstring(L, "number (%s)", lua_isinteger(L, -1) ?
		    "integer" : "float");
		luaL_tolstring(L, -2, NULL);
		break;
	default:
		/* A userdata says its type's name, if it has one. */
		lua_pushstring(L, luaL_typename(L, -1));
		switch (luaL_getmetafield(L, -2, "__name")) {
		case LUA_TSTRING:
			break;
		case LUA_TNIL:
			lua_pushliteral(L, "");
			break;
		default:
			lua_pop(L, 1);
			lua_pushliteral(L, "");
			break;
		}
		break;
	}
	msgpack_pack_map(pk, 5);
	rpc_pack_kv_bool(pk, "found", true);
	rpc_pack_key(pk, "name");
	rpc_pack_strn(pk, c->code + s, e - s);
	rpc_pack_kv_str(pk, "type", luaL_typename(L, -3));
	str = lua_tolstring(L, -2, &n);
	rpc_pack_key(pk, "summary");
	rpc_pack_strn(pk, str, n);
	str = lua_tolstring(L, -1, &n);
	rpc_pack_key(pk, "doc");
	rpc_pack_strn(pk, str != NULL ? str : "", str != NULL ? n : 0);
	return 0;
}

int
lx_comp_run(struct lx_comp *c, lua_State *L, bool inspect, const char *code,
    size_t len, size_t cursor)
{
	int	 st;

	c->code = code;
	c->len = len;
	c->cursor = cursor > len ? len : cursor;
	lua_pushcfunction(L, inspect ? lx_comp_inspect : lx_comp_complete);
	lua_pushlightuserdata(L, c);
	st = lua_pcall(L, 1, 0, 0);
	if (st != LUA_OK)
		lua_pop(L, 1);
	lua_settop(L, 0);
	return st;
}

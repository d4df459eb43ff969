/*
 * test_codec.c - the value codec: round trips of every kind of value
 * between two real Lua states (as between the runtime and a worker),
 * identity and cycles, functions with their upvalues and the session
 * globals they read, the path errors for what cannot travel, the limits,
 * and refusal of garbage bytes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/err.h"
#include "core/mem.h"
#include "core/util.h"
#include "lua/codec.h"

struct fx {
	struct codec	*c;
	lua_State	*src;		/* the session (runtime) */
	lua_State	*dst;		/* the worker */
	struct gl_buf	 buf;
	struct gl_err	 err;
};

/* A userdata type with an encoder, for the registry tests. */
struct point {
	lua_Integer	 x, y;
};

static int
point_encode(lua_State *L)
{
	struct point *p = luaL_checkudata(L, 1, "test.point");

	lua_createtable(L, 0, 2);
	lua_pushinteger(L, p->x);
	lua_setfield(L, -2, "x");
	lua_pushinteger(L, p->y);
	lua_setfield(L, -2, "y");
	return 1;
}

static void
point_meta(lua_State *L)
{
	if (luaL_newmetatable(L, "test.point")) {
		lua_pushcfunction(L, point_encode);
		lua_setfield(L, -2, "__galley_encode");
		lua_pushvalue(L, -1);
		lua_setfield(L, -2, "__index");
	}
}

static int
point_new(lua_State *L)
{
	struct point *p = lua_newuserdatauv(L, sizeof *p, 0);

	p->x = luaL_checkinteger(L, 1);
	p->y = luaL_checkinteger(L, 2);
	point_meta(L);
	lua_setmetatable(L, -2);
	return 1;
}

/* decode(payload, type_name) */
static int
point_decode(lua_State *L)
{
	luaL_checktype(L, 1, LUA_TTABLE);
	lua_pushcfunction(L, point_new);
	lua_getfield(L, 1, "x");
	lua_getfield(L, 1, "y");
	lua_call(L, 2, 1);
	return 1;
}

static int
point_get(lua_State *L)
{
	struct point *p = luaL_checkudata(L, 1, "test.point");

	lua_pushinteger(L, p->x * 1000 + p->y);
	return 1;
}

static int
host_hello(lua_State *L)
{
	lua_pushliteral(L, "hello from the host");
	return 1;
}

static int
host_closure(lua_State *L)
{
	lua_pushvalue(L, lua_upvalueindex(1));
	return 1;
}

static lua_State *
fx_state(void)
{
	lua_State	*L = luaL_newstate();

	assert_non_null(L);
	luaL_openlibs(L);
	lua_pushcfunction(L, point_new);
	lua_setglobal(L, "point");
	lua_pushcfunction(L, point_get);
	lua_setglobal(L, "point_get");
	lua_pushcfunction(L, host_hello);
	lua_setglobal(L, "hello");
	return L;
}

static int
setup(void **state)
{
	struct fx	*f = xcalloc(1, sizeof *f);

	f->c = codec_new();
	codec_register_udata(f->c, "test.point", point_decode);
	codec_register_cfunc(f->c, "point", point_new);
	codec_register_cfunc(f->c, "point_get", point_get);
	codec_register_cfunc(f->c, "hello", host_hello);
	f->src = fx_state();
	f->dst = fx_state();
	gl_buf_init(&f->buf);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx	*f = *state;

	lua_close(f->src);
	lua_close(f->dst);
	codec_free(f->c);
	gl_buf_fini(&f->buf);
	free(f);
	return 0;
}

/* Runs code in L; it must not raise. Returns how many values it left. */
static int
run(lua_State *L, const char *code)
{
	int	 top = lua_gettop(L);

	if (luaL_loadbuffer(L, code, strlen(code), "=cell") != LUA_OK ||
	    lua_pcall(L, 0, LUA_MULTRET, 0) != LUA_OK)
		fail_msg("Lua: %s", lua_tostring(L, -1));
	return lua_gettop(L) - top;
}

/* Runs code in src, encodes what it returns (with the session globals)
 * into f->buf (emptied first). Returns codec_encode's result; leaves
 * src's stack as it was. */
static int
enc_code(struct fx *f, const char *code, const char *const *labels)
{
	int	 top = lua_gettop(f->src), n, rc;

	gl_buf_reset(&f->buf);
	n = run(f->src, code);
	lua_pushglobaltable(f->src);
	rc = codec_encode(f->c, f->src, top + 1, n, -1, labels, &f->buf,
	    &f->err);
	assert_int_equal(lua_gettop(f->src), top + n + 1);
	lua_settop(f->src, top);
	return rc;
}

/* Decodes f->buf into dst and runs check with the values as its
 * arguments; check raises on a mismatch. */
static void
dec_check(struct fx *f, const char *check)
{
	int	 top = lua_gettop(f->dst), n = -1, rc;

	rc = codec_decode(f->c, f->dst, f->buf.data, f->buf.len, 0, 0, &n,
	    &f->err);
	if (rc != 0)
		fail_msg("decode: %s", f->err.msg);
	assert_int_equal(lua_gettop(f->dst), top + n);
	if (luaL_loadbuffer(f->dst, check, strlen(check), "=check") !=
	    LUA_OK)
		fail_msg("check: %s", lua_tostring(f->dst, -1));
	lua_insert(f->dst, top + 1);
	if (lua_pcall(f->dst, n, 0, 0) != LUA_OK)
		fail_msg("check failed: %s", lua_tostring(f->dst, -1));
	assert_int_equal(lua_gettop(f->dst), top);
}

static void
roundtrip(struct fx *f, const char *code, const char *check)
{
	if (enc_code(f, code, NULL) != 0)
		fail_msg("encode: %s", f->err.msg);
	dec_check(f, check);
}

static void
test_scalars(void **state)
{
	struct fx *f = *state;

	roundtrip(f, "return nil, true, false",
	    "local a, b, c = ... assert(a == nil and b == true and c == false)"
	    " assert(select('#', ...) == 3)");
	roundtrip(f,
	    "return 0, 1, -1, 127, 128, -32, -33, 255, 256, 65535, 65536, "
	    "-128, -129, -32768, -32769, 2^31|0, -(2^31|0), -(2^31|0)-1, "
	    "4294967296, math.mininteger, math.maxinteger",
	    "local want = {0, 1, -1, 127, 128, -32, -33, 255, 256, 65535, "
	    "65536, -128, -129, -32768, -32769, 2147483648, -2147483648, "
	    "-2147483649, 4294967296, math.mininteger, math.maxinteger} "
	    "assert(select('#', ...) == #want) "
	    "for i, w in ipairs(want) do local v = select(i, ...) "
	    "assert(math.type(v) == 'integer', i) assert(v == w, i) end");
	/* Floats stay floats, even integral ones; -0.0, NaN, inf. */
	roundtrip(f,
	    "return 1.0, -0.0, 0/0, 1/0, -1/0, 0.1, 2^53, 3.5e300, "
	    "-4.9e-324",
	    "local a, z, nan, inf, ninf, d, big, huge, tiny = ... "
	    "for i = 1, select('#', ...) do "
	    "assert(math.type((select(i, ...))) == 'float', i) end "
	    "assert(a == 1 and 1/z == -1/0 and nan ~= nan and inf == 1/0 "
	    "and ninf == -1/0 and d == 0.1 and big == 2^53 and "
	    "huge == 3.5e300 and tiny == -4.9e-324)");
}

static void
test_strings_keep_every_byte(void **state)
{
	struct fx *f = *state;

	roundtrip(f,
	    "return '', 'a\\0b\\0', '\\xff\\xfe\\x80 not utf-8', "
	    "'caf\\u{e9}', string.rep('x', 31), string.rep('y', 32), "
	    "string.rep('\\0\\1\\2', 30000), string.rep('z', 70000)",
	    "local e, nul, bad, cafe, s31, s32, bin, long = ... "
	    "assert(e == '' and nul == 'a\\0b\\0' and #nul == 4) "
	    "assert(bad == '\\xff\\xfe\\x80 not utf-8') "
	    "assert(cafe == 'caf\\u{e9}') "
	    "assert(s31 == string.rep('x', 31) and s32 == string.rep('y', 32))"
	    " assert(bin == string.rep('\\0\\1\\2', 30000)) "
	    "assert(long == string.rep('z', 70000))");
}

static void
test_tables_with_mixed_keys(void **state)
{
	struct fx *f = *state;

	roundtrip(f,
	    "local k = {name = 'key'} "
	    "return {1, 2, 3, 'four', {5}}, {}, "
	    "{[1] = 'a', [3] = 'c', x = 'y', [1.5] = 'f', [-2] = 'n', "
	    " [true] = 't', [false] = 'f', [k] = 'tk', [0] = 'zero', "
	    " [math.huge] = 'inf', ['\\0k'] = 'nulkey', nested = {deep = "
	    " {deeper = {1, 2}}}}, "
	    "{n = 3, 10, 20, 30}",
	    "local seq, empty, mixed, sq = ... "
	    "assert(#seq == 5 and seq[4] == 'four' and seq[5][1] == 5) "
	    "assert(next(empty) == nil) "
	    "assert(mixed[1] == 'a' and mixed[2] == nil and mixed[3] == 'c')"
	    " assert(mixed.x == 'y' and mixed[1.5] == 'f' and mixed[-2] == 'n')"
	    " assert(mixed[true] == 't' and mixed[false] == 'f') "
	    "assert(mixed[0] == 'zero' and mixed[math.huge] == 'inf') "
	    "assert(mixed['\\0k'] == 'nulkey' and "
	    "mixed.nested.deep.deeper[2] == 2) "
	    "local found for key, v in pairs(mixed) do "
	    " if type(key) == 'table' then found = key assert(v == 'tk') end "
	    "end assert(found and found.name == 'key') "
	    "assert(sq.n == 3 and sq[1] == 10 and sq[3] == 30) "
	    "local keys = 0 for _ in pairs(mixed) do keys = keys + 1 end "
	    "assert(keys == 12, keys)");
}

static void
test_identity_and_cycles(void **state)
{
	struct fx *f = *state;

	roundtrip(f,
	    "local shared = {v = 1} "
	    "local t = {a = shared, b = shared, list = {shared, shared}} "
	    "t.self = t t[shared] = shared "
	    "local ring = {} ring.next = {prev = ring} ring.next.next = ring "
	    "return t, ring, shared",
	    "local t, ring, shared = ... "
	    "assert(t.a == t.b and t.a == t.list[1] and t.list[2] == t.a) "
	    "assert(t.self == t and t[t.a] == t.a) "
	    "assert(ring.next.prev == ring and ring.next.next == ring) "
	    "assert(shared == t.a, 'identity across the values of a unit') "
	    "shared.v = 2 assert(t.b.v == 2)");
}

static void
test_metatables(void **state)
{
	struct fx *f = *state;

	roundtrip(f,
	    "local Point = {} Point.__index = Point "
	    "function Point:len2() return self.x * self.x + self.y * self.y end"
	    " local p = setmetatable({x = 3, y = 4}, Point) "
	    "local q = setmetatable({x = 1, y = 1}, Point) "
	    "local selfish = {} setmetatable(selfish, selfish) "
	    "selfish.__index = function(t, k) return k .. '!' end "
	    "return p, q, selfish",
	    "local p, q, selfish = ... "
	    "assert(p:len2() == 25 and q:len2() == 2) "
	    "assert(getmetatable(p) == getmetatable(q)) "
	    "assert(getmetatable(selfish) == selfish and selfish.hi == 'hi!')");
}

static void
test_functions_with_upvalues(void **state)
{
	struct fx *f = *state;

	/* The small task of the benchmark: two upvalues and a number. */
	roundtrip(f,
	    "local scale, offset = 3, {base = 0.5} "
	    "return function(x) return x * scale + offset.base end, 7",
	    "local fn, x = ... assert(fn(x) == 21.5)");
	/* A recursive local function: its upvalue is itself. */
	roundtrip(f,
	    "local function fib(n) if n < 2 then return n end "
	    "return fib(n - 1) + fib(n - 2) end return fib",
	    "local fib = ... assert(fib(20) == 6765)");
	/* Nested closures and varargs. */
	roundtrip(f,
	    "local function adder(a) return function(b) return a + b end end "
	    "local add5 = adder(5) "
	    "return function(...) local s = 0 for _, v in ipairs({...}) do "
	    "s = s + add5(v) end return s, select('#', ...) end",
	    "local fn = ... local s, n = fn(1, 2, 3) "
	    "assert(s == 21 and n == 3)");
}

static void
test_closures_share_upvalues(void **state)
{
	struct fx *f = *state;

	roundtrip(f,
	    "local count = 0 "
	    "local api = {} "
	    "function api.inc(n) count = count + (n or 1) end "
	    "function api.get() return count end "
	    "api.inc(10) "
	    "local other = 0 "
	    "local function bump() other = other + 1 return other end "
	    "return api, bump, function() return other end",
	    "local api, bump, peek = ... "
	    "assert(api.get() == 10) api.inc(5) "
	    "assert(api.get() == 15, 'inc and get share count') "
	    "bump() bump() assert(peek() == 2, 'across the values of a unit')");
}

static void
test_session_globals_travel(void **state)
{
	struct fx *f = *state;

	/* Earlier cells define helpers (a helper calling a helper) and
	 * data; the task reads them as globals. */
	run(f->src,
	    "factor = 10 "
	    "function h2(x) return x * factor end "
	    "function h1(x) return h2(x) + 1 end "
	    "config = {prefix = 'n='} "
	    "junk = coroutine.create(function() end) "
	    "conn = io.stdout ");
	roundtrip(f,
	    "return function(x) local row = {conn = 1, junk = 2} "
	    "return config.prefix .. h1(x) .. row['conn'] .. row.junk, "
	    "math.sqrt(16), string.format('%d', 3) end",
	    "local task = ... local s, r, q = task(4) "
	    "assert(s == 'n=4112', s) assert(r == 4.0 and q == '3') "
	    "assert(rawget(_G, 'h1') == nil, 'not put into the worker _G')");
	/* A global the task writes stays in the unit's own environment. */
	roundtrip(f,
	    "return function() counter = (counter or 0) + 1 return counter "
	    "end",
	    "local task = ... assert(task() == 1 and task() == 2) "
	    "assert(counter == nil)");
	/* The session's globals table itself, as a value. */
	roundtrip(f, "return _ENV, function() return _ENV end",
	    "local env, fn = ... assert(fn() == env) "
	    "assert(env.print == print, 'falls back to the worker globals')");
}

static void
test_excluded_global_stays_home(void **state)
{
	struct fx *f = *state;

	codec_exclude_global(f->c, "cluster");
	run(f->src, "cluster = {where = 'runtime', co = coroutine.create("
	    "print)}");
	run(f->dst, "cluster = {where = 'worker'}");
	roundtrip(f, "return function() return cluster.where end",
	    "local fn = ... assert(fn() == 'worker')");
}

static void
test_library_values_travel_by_name(void **state)
{
	struct fx *f = *state;

	roundtrip(f,
	    "local s = string "
	    "return {math.sqrt, print, string.format, table.concat, require,"
	    " io.write, os.time, hello, point}, "
	    "function(x) return s.rep(x, 2) end, math",
	    "local fns, rep, m = ... "
	    "assert(fns[1] == math.sqrt and fns[2] == print) "
	    "assert(fns[3] == string.format and fns[4] == table.concat) "
	    "assert(fns[5] == require and fns[6] == io.write) "
	    "assert(fns[7] == os.time and fns[8] == hello and fns[9] == point)"
	    " assert(rep('ab') == 'abab' and m == math)");
}

static void
test_userdata_with_encoder(void **state)
{
	struct fx *f = *state;

	roundtrip(f,
	    "local p = point(3, 4) return {p, p, point(5, 6)}",
	    "local t = ... assert(point_get(t[1]) == 3004) "
	    "assert(t[1] == t[2], 'one userdata stays one') "
	    "assert(point_get(t[3]) == 5006)");
}

static void
expect_refusal(struct fx *f, const char *code, const char *const *labels,
    int want_rc, const char *want_msg)
{
	int	 rc;

	gl_buf_reset(&f->buf);
	gl_buf_adds(&f->buf, "kept");
	{
		int top = lua_gettop(f->src), n;

		n = run(f->src, code);
		lua_pushglobaltable(f->src);
		rc = codec_encode(f->c, f->src, top + 1, n, -1, labels,
		    &f->buf, &f->err);
		assert_int_equal(lua_gettop(f->src), top + n + 1);
		lua_settop(f->src, top);
	}
	assert_int_equal(rc, want_rc);
	assert_int_equal(f->err.code, want_rc);
	assert_string_equal(f->err.msg, want_msg);
	assert_int_equal(f->buf.len, 4);
	assert_string_equal(f->buf.data, "kept");
}

static void
test_refusals_name_the_path(void **state)
{
	struct fx *f = *state;
	const char *labels[] = { NULL, "argument 1" };

	expect_refusal(f,
	    "local conn = {socket = io.stdout} "
	    "return function() return conn end", NULL, GL_EINVAL,
	    "cannot send upvalue 'conn' field 'socket': a userdata (FILE*) "
	    "has no encoder");
	expect_refusal(f,
	    "local co = coroutine.create(print) "
	    "return function() return co end", NULL, GL_EINVAL,
	    "cannot send upvalue 'co': a coroutine cannot travel");
	expect_refusal(f, "return io.stdout", NULL, GL_EINVAL,
	    "cannot send the value: a userdata (FILE*) has no encoder");
	expect_refusal(f,
	    "return function() end, {list = {1, 2, io.stderr}}", labels,
	    GL_EINVAL, "cannot send argument 1 field 'list' field [3]: a "
	    "userdata (FILE*) has no encoder");
}

static void
test_refusals_more(void **state)
{
	struct fx *f = *state;

	expect_refusal(f, "return {[coroutine.create(print)] = 1}", NULL,
	    GL_EINVAL, "cannot send field [a thread] table key: a coroutine "
	    "cannot travel");
	expect_refusal(f, "return setmetatable({}, {__index = io.stdin})",
	    NULL, GL_EINVAL, "cannot send metatable field '__index': a "
	    "userdata (FILE*) has no encoder");
	expect_refusal(f, "return {f = string.gmatch('a', 'a')}", NULL,
	    GL_EINVAL, "cannot send field 'f': a C function that is neither "
	    "in the standard library nor registered with the codec");
}

static void
test_refused_global_path(void **state)
{
	struct fx *f = *state;

	run(f->src, "db = {handle = coroutine.create(print)} "
	    "function query() return db.handle end");
	expect_refusal(f, "return function() return query() end", NULL,
	    GL_EINVAL, "cannot send global 'db' field 'handle': a coroutine "
	    "cannot travel");
}

static void
test_depth_limit(void **state)
{
	struct fx	*f = *state;
	char		 code[256];
	int		 rc;

	/* CODEC_MAX_DEPTH tables nested: fine; one more: refused. */
	snprintf(code, sizeof code, "local t = {} for i = 2, %d do "
	    "t = {t} end return t", CODEC_MAX_DEPTH);
	roundtrip(f, code, "local t = ... local n = 1 "
	    "while t[1] do t = t[1] n = n + 1 end assert(n == 200, n)");
	snprintf(code, sizeof code, "local t = {} for i = 2, %d do "
	    "t = {t} end return t", CODEC_MAX_DEPTH + 1);
	rc = enc_code(f, code, NULL);
	assert_int_equal(rc, GL_ELIMIT);
	assert_non_null(strstr(f->err.msg, "nested deeper than 200 levels"));
	assert_non_null(strstr(f->err.msg, "cannot send field [1] field [1]"));
	assert_int_equal(f->buf.len, 0);
}

static void
test_size_limit(void **state)
{
	struct fx	*f = *state;
	int		 rc, n;

	codec_set_max_bytes(f->c, 1000);
	rc = enc_code(f, "return {s = string.rep('x', 990)}", NULL);
	assert_int_equal(rc, 0);
	rc = enc_code(f, "return {s = string.rep('x', 1000)}", NULL);
	assert_int_equal(rc, GL_ELIMIT);
	assert_string_equal(f->err.msg, "cannot send field 's': the encoded "
	    "value is over the limit of 1000 bytes");
	assert_int_equal(f->buf.len, 0);
	/* The decoder refuses input over the cap before reading it. */
	rc = codec_decode(f->c, f->dst, "01234567890", 1001, 0, 0, &n,
	    &f->err);
	assert_int_equal(rc, GL_ELIMIT);
	codec_set_max_bytes(f->c, CODEC_DEFAULT_MAX_BYTES);
}

static void
test_tracebacks_keep_lines(void **state)
{
	struct fx *f = *state;
	lua_State *L = f->dst;
	const char *msg;
	int n;

	run(f->src, "function boom(x)\n  local y = x + 1\n"
	    "  error('bad item ' .. y)\nend");
	assert_int_equal(enc_code(f, "return function(x)\n\n"
	    "  return boom(x)\nend", NULL), 0);
	assert_int_equal(codec_decode(f->c, L, f->buf.data, f->buf.len, 0, 0,
	    &n, &f->err), 0);
	lua_pushinteger(L, 41);
	assert_int_not_equal(lua_pcall(L, 1, 0, 0), LUA_OK);
	msg = lua_tostring(L, -1);
	assert_string_equal(msg, "cell:3: bad item 42");
	lua_pop(L, 1);
}

static void
test_big_function(void **state)
{
	struct fx	*f = *state;
	struct gl_buf	 code;

	/* Hundreds of lines and far-apart lines: the absolute line info
	 * the bytecode check reads. */
	gl_buf_init(&code);
	gl_buf_adds(&code, "return function(x)\n");
	for (int i = 0; i < 600; i++)
		gl_buf_addf(&code, "  x = x + %d\n", i % 3);
	for (int i = 0; i < 300; i++)
		gl_buf_adds(&code, "\n");
	gl_buf_adds(&code, "  x = x + 1\n");
	for (int i = 0; i < 40; i++)
		gl_buf_addf(&code, "  if x < 0 then error('never') end\n");
	gl_buf_adds(&code, "  return x\nend\n");
	roundtrip(f, code.data, "local fn = ... assert(fn(0) == 601)");
	gl_buf_fini(&code);
}

static int
dump_writer(lua_State *L, const void *p, size_t sz, void *ud)
{
	gl_buf_add(ud, p, sz);
	return 0;
}

static void
put_be32(struct gl_buf *b, uint32_t v)
{
	unsigned char w[4] = { (unsigned char)(v >> 24),
	    (unsigned char)(v >> 16), (unsigned char)(v >> 8),
	    (unsigned char)v };

	gl_buf_add(b, w, 4);
}

/* The unit [1, <a function with bytecode chunk and one nil upvalue>, {}]
 * in f->buf. */
static void
unit_with_chunk(struct fx *f, const char *chunk, size_t len)
{
	gl_buf_reset(&f->buf);
	gl_buf_add(&f->buf, "\x93\x01\xc9", 3);
	put_be32(&f->buf, (uint32_t)(len + 5 + 2));
	gl_buf_addc(&f->buf, 3);		/* CX_FUNC */
	gl_buf_addc(&f->buf, (char)0xc6);	/* bin32 */
	put_be32(&f->buf, (uint32_t)len);
	gl_buf_add(&f->buf, chunk, len);
	gl_buf_add(&f->buf, "\x01\xc0\x80", 3);
}

static void
expect_bad_chunk(struct fx *f, const struct gl_buf *chunk, const char *why)
{
	int	 n, rc;

	unit_with_chunk(f, chunk->data, chunk->len);
	rc = codec_decode(f->c, f->dst, f->buf.data, f->buf.len, 0, 0, &n,
	    &f->err);
	assert_int_equal(rc, GL_ESYNTAX);
	if (strstr(f->err.msg, why) == NULL)
		fail_msg("wanted '%s', got '%s'", why, f->err.msg);
	assert_int_equal(lua_gettop(f->dst), 0);
}

static void
test_bytecode_checked_before_load(void **state)
{
	struct fx	*f = *state;
	struct gl_buf	 good, bad;
	int		 n;

	/* A function reading a global: one upvalue, _ENV, whose name ends
	 * the chunk: ... 0x81 (one name) 0x85 "_ENV". */
	gl_buf_init(&good);
	gl_buf_init(&bad);
	assert_int_equal(luaL_loadstring(f->src, "return x"), LUA_OK);
	lua_dump(f->src, dump_writer, &good, 0);
	lua_pop(f->src, 1);
	assert_memory_equal(good.data + good.len - 6, "\x81\x85_ENV", 6);
	unit_with_chunk(f, good.data, good.len);
	assert_int_equal(codec_decode(f->c, f->dst, f->buf.data, f->buf.len,
	    0, 0, &n, &f->err), 0);
	lua_settop(f->dst, 0);

	/* Another Lua version. */
	gl_buf_reset(&bad);
	gl_buf_add(&bad, good.data, good.len);
	bad.data[4] = 0x53;
	expect_bad_chunk(f, &bad, "not a binary chunk of this Lua");
	/* Two upvalue names for one upvalue: Lua 5.4.4's loader would
	 * write past the array. */
	bad.data[4] = good.data[4];
	bad.data[bad.len - 6] = (char)0x82;
	expect_bad_chunk(f, &bad, "more upvalue names than upvalues");
	/* The header's upvalue count disagrees with the function's. */
	gl_buf_reset(&bad);
	gl_buf_add(&bad, good.data, good.len);
	bad.data[31] = 2;
	expect_bad_chunk(f, &bad, "upvalue count differs from the header");
	/* Truncated, and with a byte after it. */
	gl_buf_reset(&bad);
	gl_buf_add(&bad, good.data, good.len - 3);
	expect_bad_chunk(f, &bad, "truncated");
	gl_buf_reset(&bad);
	gl_buf_add(&bad, good.data, good.len);
	gl_buf_addc(&bad, 0);
	expect_bad_chunk(f, &bad, "bytes after the chunk");
	gl_buf_fini(&good);
	gl_buf_fini(&bad);
}

static void
test_refuses_functions_when_asked(void **state)
{
	struct fx	*f = *state;
	int		 n, rc;

	assert_int_equal(enc_code(f, "return {f = function() end}", NULL), 0);
	rc = codec_decode(f->c, f->dst, f->buf.data, f->buf.len, 0,
	    CODEC_DEC_NOFUNC, &n, &f->err);
	assert_int_equal(rc, GL_EPERM);
	assert_int_equal(lua_gettop(f->dst), 0);
	assert_int_equal(enc_code(f, "return {f = print}", NULL), 0);
	rc = codec_decode(f->c, f->dst, f->buf.data, f->buf.len, 0,
	    CODEC_DEC_NOFUNC, &n, &f->err);
	assert_int_equal(rc, GL_EPERM);
	assert_int_equal(enc_code(f, "return {1, 'two', {3}}", NULL), 0);
	rc = codec_decode(f->c, f->dst, f->buf.data, f->buf.len, 0,
	    CODEC_DEC_NOFUNC, &n, &f->err);
	assert_int_equal(rc, 0);
	assert_int_equal(n, 1);
	lua_settop(f->dst, 0);
}

static void
test_unknown_names_on_the_other_side(void **state)
{
	struct fx	*f = *state;
	struct codec	*other = codec_new();
	lua_State	*L = f->dst;
	int		 n, rc;

	/* The worker has no decoder and no "hello": refused, by name. */
	assert_int_equal(enc_code(f, "return hello", NULL), 0);
	rc = codec_decode(other, L, f->buf.data, f->buf.len, 0, 0, &n,
	    &f->err);
	assert_int_equal(rc, GL_ENOTFOUND);
	assert_string_equal(f->err.msg, "cannot decode the value: no C "
	    "function named 'hello' on this side");
	assert_int_equal(enc_code(f, "return point(1, 2)", NULL), 0);
	rc = codec_decode(other, L, f->buf.data, f->buf.len, 0, 0, &n,
	    &f->err);
	assert_int_equal(rc, GL_ENOTFOUND);
	assert_string_equal(f->err.msg, "cannot decode the value: no decoder "
	    "for userdata type 'test.point' on this side");
	/* A module the worker has not loaded. */
	run(f->src, "package.loaded.mymod = {v = 1}");
	assert_int_equal(enc_code(f, "return package.loaded.mymod", NULL), 0);
	rc = codec_decode(f->c, L, f->buf.data, f->buf.len, 0, 0, &n,
	    &f->err);
	assert_int_equal(rc, GL_ENOTFOUND);
	run(L, "package.preload.mymod = function() return {v = 2} end");
	rc = codec_decode(f->c, L, f->buf.data, f->buf.len, 0,
	    CODEC_DEC_REQUIRE, &n, &f->err);
	assert_int_equal(rc, 0);
	lua_getfield(L, -1, "v");
	assert_int_equal(lua_tointeger(L, -1), 2);
	lua_settop(L, 0);
	codec_free(other);
}

static void
test_host_closures_are_refused(void **state)
{
	struct fx	*f = *state;
	int		 top = lua_gettop(f->src), rc;

	lua_pushinteger(f->src, 1);
	lua_pushcclosure(f->src, host_closure, 1);
	gl_buf_reset(&f->buf);
	rc = codec_encode(f->c, f->src, -1, 1, 0, NULL, &f->buf, &f->err);
	assert_int_equal(rc, GL_EINVAL);
	assert_non_null(strstr(f->err.msg, "a C function that is neither"));
	/* Registered, it travels by name. */
	codec_register_cfunc(f->c, "host.closure", host_closure);
	rc = codec_encode(f->c, f->src, -1, 1, 0, NULL, &f->buf, &f->err);
	assert_int_equal(rc, 0);
	lua_settop(f->src, top);
}

static void
test_appends_to_buffer(void **state)
{
	struct fx	*f = *state;
	int		 n;

	gl_buf_reset(&f->buf);
	gl_buf_adds(&f->buf, "head");
	lua_pushinteger(f->src, 42);
	assert_int_equal(codec_encode(f->c, f->src, -1, 1, 0, NULL, &f->buf,
	    &f->err), 0);
	lua_pop(f->src, 1);
	assert_memory_equal(f->buf.data, "head", 4);
	assert_int_equal(codec_decode(f->c, f->dst, f->buf.data + 4,
	    f->buf.len - 4, 0, 0, &n, &f->err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(lua_tointeger(f->dst, -1), 42);
	lua_settop(f->dst, 0);
	/* The wire form is documented (docs/codec.md): [1, 42, {}]. */
	assert_int_equal(f->buf.len, 8);
	assert_memory_equal(f->buf.data + 4, "\x93\x01\x2a\x80", 4);
}

static void
expect_garbage(struct fx *f, const void *p, size_t len, const char *what)
{
	int	 n = -1, rc;

	rc = codec_decode(f->c, f->dst, p, len, 0, 0, &n, &f->err);
	if (rc == 0)
		fail_msg("%s: decoded", what);
	assert_int_equal(rc, GL_ESYNTAX);
	assert_int_equal(n, 0);
	assert_int_equal(lua_gettop(f->dst), 0);
}

static void
test_refuses_garbage(void **state)
{
	struct fx	*f = *state;
	struct gl_rng	 rng;
	uint64_t	 seed = (uint64_t)time(NULL);
	unsigned char	 junk[256];
	unsigned char	*copy;
	size_t		 len;

	expect_garbage(f, "", 0, "empty");
	expect_garbage(f, "\x93\x02\x01\x80", 4, "version 2");
	expect_garbage(f, "\x93\x01\x01\x80\x00", 5, "trailing byte");
	expect_garbage(f, "\x93\x01\xc1\x80", 4, "0xc1");
	/* Claims of huge tables and strings in a few bytes. */
	expect_garbage(f, "\x93\x01\xdd\xff\xff\xff\xff\x80", 8, "array");
	expect_garbage(f, "\x93\x01\xdf\xff\xff\xff\xff\x80", 8, "map");
	expect_garbage(f, "\x93\x01\xdb\xff\xff\xff\xff\x80", 8, "string");
	expect_garbage(f, "\x93\x01\xd4\x01\x05\x80", 6, "ref to nothing");
	expect_garbage(f, "\x93\x01\x81\xc0\x01\x80", 6, "nil key");
	expect_garbage(f, "\x93\x01\xc7\x00\x04\x80", 6, "stray upjoin");
	expect_garbage(f, "\x93\x01\xcf\xff\xff\xff\xff\xff\xff\xff\xff\x80",
	    12, "uint64 over the integer range");
	/* A function whose bytecode is not Lua's. */
	expect_garbage(f, "\x93\x01\xc7\x05\x03\xc4\x02\x1bL\x00\x80", 11,
	    "bytecode");

	/* Every prefix of a rich value is refused. */
	run(f->src, "function helper(x) return x end");
	assert_int_equal(enc_code(f,
	    "local s = {1} return {a = s, b = s, f = function(x) "
	    "return helper(x) + s[1] end, g = math.sqrt, 1.5, 'str', "
	    "p = point(1, 2)}", NULL), 0);
	len = f->buf.len;
	copy = xmalloc(len);
	memcpy(copy, f->buf.data, len);
	for (size_t i = 0; i < len; i++)
		expect_garbage(f, copy, i, "prefix");

	/* Random bytes, and random corruptions of a valid value: an error
	 * or a value, never a crash (functions refused: see fuzz). */
	print_message("garbage seed %llu\n", (unsigned long long)seed);
	gl_rng_seed(&rng, seed);
	for (int round = 0; round < 3000; round++) {
		size_t	 n = gl_rng_below(&rng, sizeof junk);
		int	 rc, nv;

		for (size_t i = 0; i < n; i++)
			junk[i] = (unsigned char)gl_rng_next(&rng);
		if (round % 2 == 0 && n > 0)
			junk[0] = 0x93, junk[1 % n] = 0x01;
		rc = codec_decode(f->c, f->dst, junk, n, 0, CODEC_DEC_NOFUNC,
		    &nv, &f->err);
		assert_true(rc == 0 || rc == GL_ESYNTAX || rc == GL_EPERM ||
		    rc == GL_ENOTFOUND || rc == GL_ERUNTIME);
		lua_settop(f->dst, 0);
	}
	for (int round = 0; round < 3000; round++) {
		unsigned char	*m = xmalloc(len);
		int		 rc, nv;

		memcpy(m, copy, len);
		for (int k = 0; k < 3; k++)
			m[gl_rng_below(&rng, len)] ^=
			    (unsigned char)(1u << gl_rng_below(&rng, 8));
		rc = codec_decode(f->c, f->dst, m, len, 0, CODEC_DEC_NOFUNC,
		    &nv, &f->err);
		assert_true(rc == 0 || rc == GL_ESYNTAX || rc == GL_EPERM ||
		    rc == GL_ENOTFOUND || rc == GL_ERUNTIME);
		lua_settop(f->dst, 0);
		free(m);
	}
	free(copy);
}

static void
test_stack_is_balanced(void **state)
{
	struct fx	*f = *state;
	int		 n;

	lua_pushliteral(f->src, "below");
	lua_pushinteger(f->src, 1);
	lua_pushinteger(f->src, 2);
	lua_pushinteger(f->src, 3);
	gl_buf_reset(&f->buf);
	assert_int_equal(codec_encode(f->c, f->src, 2, 3, 0, NULL, &f->buf,
	    &f->err), 0);
	assert_int_equal(lua_gettop(f->src), 4);
	lua_pushliteral(f->dst, "below");
	assert_int_equal(codec_decode(f->c, f->dst, f->buf.data, f->buf.len,
	    0, 0, &n, &f->err), 0);
	assert_int_equal(n, 3);
	assert_int_equal(lua_gettop(f->dst), 4);
	assert_int_equal(lua_tointeger(f->dst, 2), 1);
	assert_int_equal(lua_tointeger(f->dst, 4), 3);
	lua_settop(f->src, 0);
	lua_settop(f->dst, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_scalars, setup, teardown),
		cmocka_unit_test_setup_teardown(test_strings_keep_every_byte,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_tables_with_mixed_keys,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_identity_and_cycles,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_metatables, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_functions_with_upvalues,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_closures_share_upvalues,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_session_globals_travel,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_excluded_global_stays_home, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_library_values_travel_by_name, setup, teardown),
		cmocka_unit_test_setup_teardown(test_userdata_with_encoder,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_refusals_name_the_path,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_refusals_more, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_refused_global_path,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_depth_limit, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_size_limit, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_tracebacks_keep_lines,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_big_function, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_refuses_functions_when_asked, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_bytecode_checked_before_load, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_unknown_names_on_the_other_side, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_host_closures_are_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_appends_to_buffer, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_refuses_garbage, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_stack_is_balanced, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

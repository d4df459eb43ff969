/*
 * test_chunk.c - a chunk compiled as written and its lines moved
 * (lua/chunk.h): errors, tracebacks and debug.getinfo name the moved
 * lines, the main function stays "main", a function with more than 128
 * instructions (absolute line entries) too, syntax error messages.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "lua/chunk.h"

/* Loads code as chunk "=nb", moves it by off lines and calls it;
 * returns what it returned or the error message, as a new string. */
static char *
run_moved(const char *code, long off)
{
	lua_State	*L = luaL_newstate();
	char		*s;

	luaL_openlibs(L);
	assert_int_equal(luaL_loadbufferx(L, code, strlen(code), "=nb", "t"),
	    LUA_OK);
	assert_int_equal(lx_chunk_shift(L, "=nb", off), LUA_OK);
	lua_pcall(L, 0, 1, 0);
	s = xstrdup(lua_tostring(L, -1) ? lua_tostring(L, -1) : "(nil)");
	lua_close(L);
	return s;
}

static void
test_chunk_lines(void **state)
{
	char	*s;

	(void)state;
	s = run_moved("local a = 1\nerror('boom')", 1000);
	assert_string_equal(s, "nb:1002: boom");
	free(s);
	/* A nested function: where it is defined, where it fails. */
	s = run_moved("local function f()\n  local x = nil\n  return x.y\n"
	    "end\nlocal ok, e = pcall(f)\nlocal i = debug.getinfo(f, 'S')\n"
	    "return e .. ' ' .. i.linedefined .. '-' .. i.lastlinedefined ..\n"
	    "  ' ' .. debug.getinfo(1, 'S').what .. ' ' ..\n"
	    "  debug.getinfo(1, 'l').currentline", 99);
	assert_string_equal(s, "nb:102: attempt to index a nil value "
	    "(local 'x') 100-103 main 108");
	free(s);
	/* No move at all, and a traceback. */
	s = run_moved("return debug.traceback('t')", 0);
	assert_string_equal(s, "t\nstack traceback:\n\tnb:1: in main chunk");
	free(s);
}

/* Many instructions on far apart lines: absolute line entries. */
static void
test_chunk_long(void **state)
{
	struct gl_buf	 b;
	char		*s;

	(void)state;
	gl_buf_init(&b);
	for (int i = 0; i < 400; i++)
		gl_buf_adds(&b, "x = (x or 0) + 1\n\n\n\n\n\n\n\n\n\n");
	gl_buf_adds(&b, "error('end')");
	s = run_moved(b.data, 500000);
	assert_string_equal(s, "nb:504001: end");
	free(s);
	gl_buf_fini(&b);
}

static void
test_chunk_message(void **state)
{
	lua_State	*L = luaL_newstate();

	(void)state;
	assert_int_equal(luaL_loadbufferx(L, "x = = 1", 7, "@a.nb.lua", "t"),
	    LUA_ERRSYNTAX);
	lx_chunk_shift_msg(L, 41);
	assert_string_equal(lua_tostring(L, -1), "a.nb.lua:42: unexpected "
	    "symbol near '='");
	assert_int_equal(lua_gettop(L), 1);
	lua_close(L);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_chunk_lines),
		cmocka_unit_test(test_chunk_long),
		cmocka_unit_test(test_chunk_message),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

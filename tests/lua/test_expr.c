/*
 * test_expr.c - lua/expr.h: text that surely is no expression is told
 * apart without compiling it, and nothing that may be one is (strings,
 * comments, table constructors, function bodies, operators with `=`).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "lua/expr.h"

static bool
impossible(const char *s)
{
	return lx_expr_impossible(s, strlen(s));
}

static void
test_statements_are_told(void **state)
{
	static const char *const stmts[] = {
		"x = 1", "x = 1 print(x)", "a, b = 1, 2", "t.k = v",
		"t[1] = 2", "local t = {}", "local x <const> = 1", "end",
		"end -- done", "if x then y() end", "for i = 1, 2 do end",
		"while true do end", "repeat until x", "return 1",
		"goto skip", "::skip::", "break", "do f() end",
		"x)", "  b }", "f(x) = 1", "x = [[\nlong]]",
	};

	(void)state;
	for (size_t i = 0; i < sizeof stmts / sizeof *stmts; i++)
		if (!impossible(stmts[i]))
			fail_msg("not told: %s", stmts[i]);
}

static void
test_expressions_are_left_to_the_compiler(void **state)
{
	static const char *const exprs[] = {
		"x", "f(x)", "1, 'a', nil", "{a = 1}", "f{a = 1}",
		"x == 1", "a <= b", "a >= b", "a ~= b", "'a = b'",
		"\"x = \\\"1\\\"\"", "[[ = ]]", "[==[ end ]] = ]==]",
		"-- x = 1\ny", "--[[ x = 1 ]] y", "--[==[\nlocal\n]==] z",
		"function() x = 1 end", "(function() local q = 2 return q "
		"end)()", "1e+5 + 0x1p-3", "#t", "a .. b", "not x and y or z",
		"math.max(\n  3,\n  9\n)", "'unterminated", "[[ open",
		"v * 2; -- semicolon", "t[ [=[k]=] ]", "x.end_ + do_",
	};

	(void)state;
	for (size_t i = 0; i < sizeof exprs / sizeof *exprs; i++)
		if (impossible(exprs[i]))
			fail_msg("wrongly told: %s", exprs[i]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_statements_are_told),
		cmocka_unit_test(test_expressions_are_left_to_the_compiler),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

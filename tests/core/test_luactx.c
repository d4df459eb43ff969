/*
 * test_luactx.c - where a cursor is in Lua code (core/luactx.c): a name
 * after a chain, a string, require's string, a comment, a number; the
 * name a cursor is on; the words of a text.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/luactx.h"

/* The context with the cursor at '|' in code (removed). */
static void
at(const char *code, struct luactx *cx, char *buf, size_t n)
{
	const char	*bar = strchr(code, '|');
	size_t		 cur = (size_t)(bar - code);

	snprintf(buf, n, "%.*s%s", (int)cur, code, bar + 1);
	luactx_at(buf, strlen(buf), cur, cx);
}

static void
test_names_and_chains(void **state)
{
	struct luactx	 cx;
	char		 b[128];

	at("x = pri|", &cx, b, sizeof b);
	assert_int_equal(cx.kind, LUACTX_NAME);
	assert_int_equal(cx.sep, 0);
	assert_int_equal(cx.word, 4);
	at("io.std|", &cx, b, sizeof b);
	assert_int_equal(cx.kind, LUACTX_NAME);
	assert_int_equal(cx.sep, '.');
	assert_int_equal(cx.chain, 0);
	assert_int_equal(cx.chain_len, 2);
	assert_int_equal(cx.word, 3);
	at("  a.b.c:me|", &cx, b, sizeof b);
	assert_int_equal(cx.sep, ':');
	assert_int_equal(cx.chain_len, 5);
	assert_memory_equal(b + cx.chain, "a.b.c", 5);
	/* Concatenation is no chain; a call's result cannot be looked up;
	 * a number is not a name. */
	at("s = \"a\"..fo|", &cx, b, sizeof b);
	assert_int_equal(cx.kind, LUACTX_NAME);
	assert_int_equal(cx.sep, 0);
	at("x..y.z|", &cx, b, sizeof b);
	assert_int_equal(cx.chain_len, 1);
	assert_memory_equal(b + cx.chain, "y", 1);
	at("f().x|", &cx, b, sizeof b);
	assert_int_equal(cx.kind, LUACTX_NONE);
	at("x = 1.5|", &cx, b, sizeof b);
	assert_int_equal(cx.kind, LUACTX_NONE);
	/* Only the cursor's line counts. */
	at("a.b\nc|", &cx, b, sizeof b);
	assert_int_equal(cx.sep, 0);
	assert_int_equal(cx.word, 4);
}

static void
test_strings_and_comments(void **state)
{
	struct luactx	 cx;
	char		 b[128];

	at("io.open(\"data/tr|", &cx, b, sizeof b);
	assert_int_equal(cx.kind, LUACTX_STRING);
	assert_int_equal(cx.word, 9);
	at("local m = require('sock|')", &cx, b, sizeof b);
	assert_int_equal(cx.kind, LUACTX_REQUIRE);
	assert_int_equal(cx.word, 19);
	at("require \"a.|", &cx, b, sizeof b);
	assert_int_equal(cx.kind, LUACTX_REQUIRE);
	at("myrequire('x|", &cx, b, sizeof b);
	assert_int_equal(cx.kind, LUACTX_STRING);
	at("s = 'it\\'s' .. na|", &cx, b, sizeof b);
	assert_int_equal(cx.kind, LUACTX_NAME);
	at("x = 1 -- pri|", &cx, b, sizeof b);
	assert_int_equal(cx.kind, LUACTX_COMMENT);
	at("s = '--' .. pr|", &cx, b, sizeof b);
	assert_int_equal(cx.kind, LUACTX_NAME);
}

static void
test_expression_under_the_cursor(void **state)
{
	const char	*c = "x = obj.field:meth(1) + y";
	size_t		 s, e;

	assert_true(luactx_expr(c, strlen(c), 16, &s, &e));
	assert_int_equal(s, 4);
	assert_int_equal(e, 18);
	assert_true(luactx_expr(c, strlen(c), 9, &s, &e));
	assert_int_equal(s, 4);
	assert_int_equal(e, 13);
	assert_true(luactx_expr(c, strlen(c), strlen(c), &s, &e));
	assert_int_equal(s, strlen(c) - 1);
	assert_false(luactx_expr(c, strlen(c), 21, &s, &e));
}

static bool
collect(void *ctx, const char *w, size_t n)
{
	char	*out = ctx;

	strncat(out, w, n);
	strcat(out, " ");
	return true;
}

static void
test_words_skip_strings_and_comments(void **state)
{
	const char	*t = "local a = 'b c' -- d\nx = [[e]] --[==[ f\n]==] g"
			    " + 12 + h2";
	char		 out[128] = "";

	luactx_words(t, strlen(t), collect, out);
	assert_string_equal(out, "local a x g h2 ");
	assert_true(luactx_is_keyword("until", 5));
	assert_false(luactx_is_keyword("untill", 6));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names_and_chains),
		cmocka_unit_test(test_strings_and_comments),
		cmocka_unit_test(test_expression_under_the_cursor),
		cmocka_unit_test(test_words_skip_strings_and_comments),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_search.c - patterns (literal, \v, \c), finding forward and
 * backward, the walk over a notebook's parts with wrap-around, and
 * :s substitution (tui/search.c).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/err.h"
#include "core/mem.h"
#include "tui/search.h"

static void
compile(struct search *s, const char *pat)
{
	struct gl_err	 err = { 0 };

	if (search_compile(s, pat, false, false, &err) != 0)
		fail_msg("%s: %s", pat, err.msg);
}

/* Every match of pat in text as "at+len " pairs. */
static char *
all(const char *pat, const char *text)
{
	struct search	 s;
	struct gl_buf	 b;
	size_t		 at, len, from = 0, n = strlen(text);

	compile(&s, pat);
	gl_buf_init(&b);
	gl_buf_add(&b, "", 0);
	while (search_find(&s, text, n, from, &at, &len)) {
		gl_buf_addf(&b, "%zu+%zu ", at, len);
		from = at + 1;
	}
	search_fini(&s);
	return gl_buf_take(&b, NULL);
}

static void
test_literal_by_default(void **state)
{
	char	*r;

	/* A dot and brackets are themselves. */
	r = all("t[1].x", "a = t[1].x + t[1]yx");
	assert_string_equal(r, "4+6 ");
	free(r);
	r = all("aa", "aaaa");
	assert_string_equal(r, "0+2 1+2 2+2 ");
	free(r);
	/* Case: exact, unless \c; a literal backslash is \\. */
	r = all("Foo", "foo Foo FOO");
	assert_string_equal(r, "4+3 ");
	free(r);
	r = all("foo\\c", "foo Foo FOO");
	assert_string_equal(r, "0+3 4+3 8+3 ");
	free(r);
	r = all("a\\\\b", "a\\b ab");
	assert_string_equal(r, "0+3 ");
	free(r);
}

static void
test_options_and_errors(void **state)
{
	struct search	 s;
	struct gl_err	 err = { 0 };
	size_t		 at, len;

	/* ignorecase, and smartcase keeping case for a capital. */
	assert_int_equal(search_compile(&s, "foo", true, true, &err), 0);
	assert_true(s.icase);
	search_fini(&s);
	assert_int_equal(search_compile(&s, "Foo", true, true, &err), 0);
	assert_false(s.icase);
	assert_false(search_find(&s, "foo", 3, 0, &at, &len));
	search_fini(&s);
	assert_int_equal(search_compile(&s, "Foo\\c", false, false, &err), 0);
	assert_true(search_find(&s, "xFOO", 4, 0, &at, &len));
	assert_int_equal(at, 1);
	search_fini(&s);
	assert_int_equal(search_compile(&s, "\\c", false, false, &err),
	    GL_EINVAL);
	assert_non_null(strstr(err.msg, "empty pattern"));
	search_fini(&s);
	assert_int_equal(search_compile(&s, "\\v(", false, false, &err),
	    GL_EINVAL);
	assert_non_null(strstr(err.msg, "bad pattern"));
	search_fini(&s);
}

static void
test_regex_with_very_magic(void **state)
{
	char	*r;

	r = all("\\vfoo|ba+r", "foo baar bar fo");
	assert_string_equal(r, "0+3 4+4 9+3 ");
	free(r);
	/* ^ and $ are a line's ends; a match never crosses a line. */
	r = all("\\v^x", "x = 1\ny = x\nx");
	assert_string_equal(r, "0+1 12+1 ");
	free(r);
	r = all("\\v1$", "x = 1\ny = 1 + 2");
	assert_string_equal(r, "4+1 ");
	free(r);
	r = all("\\va.b", "a\nb acb");
	assert_string_equal(r, "4+3 ");
	free(r);
}

static void
test_find_backward(void **state)
{
	struct search	 s;
	const char	*t = "one two one\nthree one";
	size_t		 at, len, n = strlen(t);

	compile(&s, "one");
	assert_true(search_find_back(&s, t, n, n, &at, &len));
	assert_int_equal(at, 18);
	assert_true(search_find_back(&s, t, n, 18, &at, &len));
	assert_int_equal(at, 8);
	assert_true(search_find_back(&s, t, n, 8, &at, &len));
	assert_int_equal(at, 0);
	assert_false(search_find_back(&s, t, n, 0, &at, &len));
	search_fini(&s);
	compile(&s, "\\vo\\w+");
	assert_true(search_find_back(&s, t, n, 18, &at, &len));
	assert_int_equal(at, 8);
	assert_int_equal(len, 3);
	/* "o " of "two" is no match: the one before is. */
	assert_true(search_find_back(&s, t, n, 8, &at, &len));
	assert_int_equal(at, 0);
	assert_int_equal(len, 3);
	assert_true(search_find_back(&s, t, n, n, &at, &len));
	assert_int_equal(at, 18);
	search_fini(&s);
}

/* A notebook of three cells: sources and, for cell 1, one output. */
static const char *const texts[3][2] = {
	{ "x = 1", NULL },
	{ "print(x)", "x is 1" },
	{ "y = x", NULL },
};

static size_t
nparts(void *ctx, size_t cell)
{
	bool	 outputs = *(bool *)ctx;

	return outputs && texts[cell][1] != NULL ? 2 : 1;
}

static const char *
text(void *ctx, size_t cell, size_t part, size_t *len)
{
	(void)ctx;
	*len = strlen(texts[cell][part]);
	return texts[cell][part];
}

static void
test_walk_wraps_and_reads_outputs(void **state)
{
	struct search	 s;
	bool		 outputs = false, wrapped;
	struct search_src src = { 3, nparts, text, &outputs };
	struct search_pos p = { 0, 0, 0 }, q;
	size_t		 len;

	compile(&s, "x");
	/* From the first cell's start, its own match counts. */
	assert_true(search_walk(&s, &src, &p, false, true, &q, &len,
	    &wrapped));
	assert_int_equal(q.cell, 0);
	assert_int_equal(q.off, 0);
	assert_false(wrapped);
	/* Next: cell 1's source, then cell 2, then around to cell 0. */
	assert_true(search_walk(&s, &src, &q, false, false, &q, &len,
	    &wrapped));
	assert_int_equal(q.cell, 1);
	assert_int_equal(q.off, 6);
	assert_true(search_walk(&s, &src, &q, false, false, &q, &len,
	    &wrapped));
	assert_int_equal(q.cell, 2);
	assert_int_equal(q.off, 4);
	assert_true(search_walk(&s, &src, &q, false, false, &q, &len,
	    &wrapped));
	assert_int_equal(q.cell, 0);
	assert_true(wrapped);
	/* Backward from cell 0 wraps to the last cell. */
	assert_true(search_walk(&s, &src, &q, true, false, &q, &len,
	    &wrapped));
	assert_int_equal(q.cell, 2);
	assert_true(wrapped);
	/* With outputs, cell 1's output comes after its source. */
	outputs = true;
	p = (struct search_pos){ 1, 0, 6 };
	assert_true(search_walk(&s, &src, &p, false, false, &q, &len,
	    &wrapped));
	assert_int_equal(q.cell, 1);
	assert_int_equal(q.part, 1);
	assert_int_equal(q.off, 0);
	search_fini(&s);
	/* A single match: found again after a full turn. */
	compile(&s, "print");
	p = (struct search_pos){ 1, 0, 0 };
	assert_true(search_walk(&s, &src, &p, false, false, &q, &len,
	    &wrapped));
	assert_int_equal(q.cell, 1);
	assert_int_equal(q.off, 0);
	assert_true(wrapped);
	search_fini(&s);
	/* No match anywhere. */
	compile(&s, "zzz");
	assert_false(search_walk(&s, &src, &p, false, true, &q, &len,
	    &wrapped));
	search_fini(&s);
}

/* :s on text with spec, as text. */
static char *
subst(const char *spec, const char *text, size_t *count)
{
	struct search_subst sub;
	struct search	 s;
	struct gl_err	 err = { 0 };
	struct gl_buf	 out;

	if (search_subst_parse(spec, &sub, &err) != 0)
		fail_msg("%s: %s", spec, err.msg);
	compile(&s, sub.pat);
	gl_buf_init(&out);
	*count = search_substitute(&s, text, strlen(text), sub.rep,
	    sub.global, &out);
	gl_buf_add(&out, "", 0);
	search_fini(&s);
	search_subst_fini(&sub);
	return gl_buf_take(&out, NULL);
}

static void
test_substitute(void **state)
{
	struct search_subst sub;
	struct gl_err	 err = { 0 };
	size_t		 n;
	char		*r;

	/* First match per line, every match with g. */
	r = subst("/a/b/", "a a\na", &n);
	assert_string_equal(r, "b a\nb");
	assert_int_equal(n, 2);
	free(r);
	r = subst("/a/b/g", "a a\na", &n);
	assert_string_equal(r, "b b\nb");
	assert_int_equal(n, 3);
	free(r);
	/* & is the match, \& an ampersand, groups with \v, \n a line. */
	r = subst("#x#[&] \\& y#g", "x", &n);
	assert_string_equal(r, "[x] & y");
	free(r);
	r = subst("/\\v(\\w+) = (\\w+)/\\2 = \\1/", "a = b", &n);
	assert_string_equal(r, "b = a");
	free(r);
	r = subst("/, /,\\n/g", "a, b, c", &n);
	assert_string_equal(r, "a,\nb,\nc");
	assert_int_equal(n, 2);
	free(r);
	/* An escaped delimiter, and empty matches at line starts. */
	r = subst("/a\\/b/c/", "x a/b", &n);
	assert_string_equal(r, "x c");
	free(r);
	r = subst("/\\v^/-- /g", "a\nb", &n);
	assert_string_equal(r, "-- a\n-- b");
	assert_int_equal(n, 2);
	free(r);
	/* No match: the text as it was. */
	r = subst("/q/z/g", "abc", &n);
	assert_string_equal(r, "abc");
	assert_int_equal(n, 0);
	free(r);
	/* Flags and mistakes. */
	assert_int_equal(search_subst_parse("/a/b/gIn", &sub, &err), 0);
	assert_true(sub.global);
	assert_true(sub.count_only);
	assert_int_equal(sub.icase, 0);
	search_subst_fini(&sub);
	assert_int_equal(search_subst_parse("/a", &sub, &err), 0);
	assert_string_equal(sub.pat, "a");
	assert_string_equal(sub.rep, "");
	search_subst_fini(&sub);
	assert_int_equal(search_subst_parse("/a/b/q", &sub, &err), GL_EINVAL);
	assert_non_null(strstr(err.msg, "unknown flag 'q'"));
	search_subst_fini(&sub);
	assert_int_equal(search_subst_parse("xaxbx", &sub, &err), GL_EINVAL);
	search_subst_fini(&sub);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_literal_by_default),
		cmocka_unit_test(test_options_and_errors),
		cmocka_unit_test(test_regex_with_very_magic),
		cmocka_unit_test(test_find_backward),
		cmocka_unit_test(test_walk_wraps_and_reads_outputs),
		cmocka_unit_test(test_substitute),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

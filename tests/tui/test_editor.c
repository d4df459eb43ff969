/*
 * test_editor.c - the cell editor: every change is an ot text op applied
 * to a real doc; the cursor lands where a user expects.
 */
#include <locale.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/err.h"
#include "core/mem.h"
#include "core/notebook.h"
#include "core/ot.h"
#include "tui/editor.h"
#include "tui/sync.h"

struct efx {
	struct nb_doc	*doc;
	struct ed	 e;
};

/* Loads cell "a" with source where '|' marks the cursor. */
static void
load(struct efx *f, const char *marked)
{
	struct gl_buf	 b;
	const char	*bar = strchr(marked, '|');
	size_t		 cur = bar ? (size_t)(bar - marked) : 0;

	nb_doc_free(f->doc);
	f->doc = nb_doc_new();
	gl_buf_init(&b);
	for (const char *p = marked; *p; p++)
		if (*p != '|')
			gl_buf_addc(&b, *p);
	assert_non_null(nb_doc_insert(f->doc, 0, NB_CODE, "a",
	    b.data ? b.data : "", b.len, NULL, NULL));
	gl_buf_fini(&b);
	ed_init(&f->e, "a", cur);
}

static const char *
src(struct efx *f, size_t *len)
{
	return nb_cell_source(nb_doc_cell(f->doc, 0), len);
}

static void
apply(struct efx *f, struct ot_op *op)
{
	struct gl_err	 err = { 0 };

	if (ot_apply(f->doc, op, &err) != 0)
		fail_msg("apply: %s", err.msg);
	ot_op_fini(op);
}

/* The source with '|' at the cursor (and [ ] around a selection). */
static void
assert_text(struct efx *f, const char *want)
{
	size_t		 len, lo, hi;
	const char	*s = src(f, &len);
	struct gl_buf	 b;
	bool		 sel = ed_selection(&f->e, &lo, &hi);

	gl_buf_init(&b);
	for (size_t i = 0; i <= len; i++) {
		if (sel && i == lo)
			gl_buf_addc(&b, '[');
		if (i == f->e.cur)
			gl_buf_addc(&b, '|');
		if (sel && i == hi)
			gl_buf_addc(&b, ']');
		if (i < len)
			gl_buf_addc(&b, s[i]);
	}
	if (strcmp(b.data, want) != 0)
		fail_msg("got \"%s\", want \"%s\"", b.data, want);
	gl_buf_fini(&b);
}

#define DO(call) do {							\
	struct ot_op	 op_;						\
	size_t		 len_;						\
	const char	*s_ = src(f, &len_);				\
	assert_true(call);						\
	apply(f, &op_);							\
	(void)s_;							\
} while (0)
#define OP	s_, len_
#define OUT	&op_

static int
setup(void **state)
{
	setlocale(LC_CTYPE, "C.UTF-8");
	*state = xcalloc(1, sizeof(struct efx));
	return 0;
}

static int
teardown(void **state)
{
	struct efx	*f = *state;

	nb_doc_free(f->doc);
	free(f);
	return 0;
}

static void
mv(struct efx *f, enum ed_move m, bool extend)
{
	size_t		 len;
	const char	*s = src(f, &len);

	ed_move(&f->e, s, len, m, extend);
}

static void
test_typing_inserts_at_the_cursor(void **state)
{
	struct efx	*f = *state;

	load(f, "ab|cd");
	DO(ed_insert(&f->e, OP, "X", 1, OUT));
	DO(ed_insert(&f->e, OP, "é", 2, OUT));
	assert_text(f, "abXé|cd");
}

static void
test_typing_replaces_the_selection(void **state)
{
	struct efx	*f = *state;

	load(f, "|hello world");
	mv(f, ED_WORD_RIGHT, true);
	assert_text(f, "[hello|] world");
	DO(ed_insert(&f->e, OP, "bye", 3, OUT));
	assert_text(f, "bye| world");
}

static void
test_enter_keeps_and_opens_indentation(void **state)
{
	struct efx	*f = *state;

	load(f, "  local x = 1|");
	DO(ed_newline(&f->e, OP, OUT));
	assert_text(f, "  local x = 1\n  |");
	load(f, "if x then|");
	DO(ed_newline(&f->e, OP, OUT));
	assert_text(f, "if x then\n  |");
	load(f, "for i = 1, 3 do|\nend");
	DO(ed_newline(&f->e, OP, OUT));
	assert_text(f, "for i = 1, 3 do\n  |\nend");
	load(f, "local function f(a)|");
	DO(ed_newline(&f->e, OP, OUT));
	assert_text(f, "local function f(a)\n  |");
	load(f, "t = {|}");
	DO(ed_newline(&f->e, OP, OUT));
	assert_text(f, "t = {\n  |\n}");
	load(f, "x = undo|");
	DO(ed_newline(&f->e, OP, OUT));
	assert_text(f, "x = undo\n|");
}

static void
type_str(struct efx *f, const char *s)
{
	for (; *s; s++) {
		struct ot_op	 op;
		size_t		 len;
		const char	*src = nb_cell_source(nb_doc_cell(f->doc, 0),
				    &len);

		if (*s == '\n')
			assert_true(ed_newline(&f->e, src, len, &op));
		else
			assert_true(ed_insert(&f->e, src, len, s, 1, &op));
		apply(f, &op);
	}
}

/* Typing a block as a user would: indentation comes and goes by itself. */
static void
test_typing_a_block_indents_itself(void **state)
{
	struct efx	*f = *state;

	load(f, "|");
	type_str(f, "for i = 1, 3 do\nif i > 1 then\nprint(i)\nelse\n"
	    "x()\nend\nend\nt = {\na = 1,\n}\nendless = 1");
	assert_text(f, "for i = 1, 3 do\n  if i > 1 then\n    print(i)\n"
	    "  else\n    x()\n  end\nend\nt = {\n  a = 1,\n}\n"
	    "endless = 1|");
}

static void
test_backspace_and_delete(void **state)
{
	struct efx	*f = *state;

	load(f, "    |x");
	DO(ed_backspace(&f->e, OP, OUT));
	assert_text(f, "  |x");
	load(f, "ab\n|cd");
	DO(ed_backspace(&f->e, OP, OUT));
	assert_text(f, "ab|cd");
	load(f, "a日|b");
	DO(ed_backspace(&f->e, OP, OUT));
	assert_text(f, "a|b");
	load(f, "a|e\xcc\x81z");
	DO(ed_delete(&f->e, OP, OUT));
	assert_text(f, "a|z");
	load(f, "|");
	{
		struct ot_op	 op;
		size_t		 len;
		const char	*s = src(f, &len);

		assert_false(ed_backspace(&f->e, s, len, &op));
		assert_false(ed_delete(&f->e, s, len, &op));
	}
}

static void
test_delete_word_and_kill_line(void **state)
{
	struct efx	*f = *state;

	load(f, "local total = |x");
	DO(ed_delete_word(&f->e, OP, OUT));
	assert_text(f, "local |x");
	load(f, "ab|cd\nef");
	DO(ed_kill_line(&f->e, OP, OUT));
	assert_text(f, "ab|\nef");
	DO(ed_kill_line(&f->e, OP, OUT));
	assert_text(f, "ab|ef");
}

static void
test_tab_indents_and_dedents(void **state)
{
	struct efx	*f = *state;

	load(f, "x|");
	DO(ed_tab(&f->e, OP, false, OUT));
	assert_text(f, "x |");
	load(f, "    y|");
	DO(ed_tab(&f->e, OP, true, OUT));
	assert_text(f, "  y|");
	load(f, "|a\nb\nc");
	mv(f, ED_DOWN, true);
	mv(f, ED_END, true);
	DO(ed_tab(&f->e, OP, false, OUT));
	assert_text(f, "[  a\n  b|]\nc");
	DO(ed_tab(&f->e, OP, true, OUT));
	assert_text(f, "[a\nb|]\nc");
}

static void
test_motion_by_word_line_and_home(void **state)
{
	struct efx	*f = *state;

	load(f, "  foo(bar, baz)|");
	mv(f, ED_WORD_LEFT, false);
	assert_text(f, "  foo(bar, |baz)");
	mv(f, ED_WORD_LEFT, false);
	assert_text(f, "  foo(|bar, baz)");
	mv(f, ED_WORD_RIGHT, false);
	assert_text(f, "  foo(bar|, baz)");
	mv(f, ED_HOME, false);
	assert_text(f, "  |foo(bar, baz)");
	mv(f, ED_HOME, false);
	assert_text(f, "|  foo(bar, baz)");
	mv(f, ED_END, false);
	assert_text(f, "  foo(bar, baz)|");
	mv(f, ED_DOC_START, false);
	assert_text(f, "|  foo(bar, baz)");
}

static void
test_up_and_down_keep_the_column(void **state)
{
	struct efx	*f = *state;
	size_t		 len;
	const char	*s;

	load(f, "abcdef|\nxy\n日本語zz");
	mv(f, ED_DOWN, false);
	assert_text(f, "abcdef\nxy|\n日本語zz");
	mv(f, ED_DOWN, false);
	assert_text(f, "abcdef\nxy\n日本語|zz");
	mv(f, ED_UP, false);
	mv(f, ED_UP, false);
	assert_text(f, "abcdef|\nxy\n日本語zz");
	s = src(f, &len);
	/* Up on the first line does not move: the app goes to the cell
	 * above. */
	assert_false(ed_move(&f->e, s, len, ED_UP, false));
}

static void
test_arrows_step_over_whole_characters(void **state)
{
	struct efx	*f = *state;

	load(f, "|日e\xcc\x81x");
	mv(f, ED_RIGHT, false);
	assert_text(f, "日|e\xcc\x81x");
	mv(f, ED_RIGHT, false);
	assert_text(f, "日e\xcc\x81|x");
	mv(f, ED_LEFT, false);
	assert_text(f, "日|e\xcc\x81x");
}

static void
test_paste_is_literal(void **state)
{
	struct efx	*f = *state;
	const char	*paste = "if a then\r\n  b()\r\nend\x07";

	load(f, "  |");
	DO(ed_paste(&f->e, OP, paste, strlen(paste), OUT));
	assert_text(f, "  if a then\n  b()\nend|");
}

static void
test_copy_and_select_all(void **state)
{
	struct efx	*f = *state;
	size_t		 len;
	const char	*s;
	char		*c;

	load(f, "one two|");
	mv(f, ED_WORD_LEFT, true);
	s = src(f, &len);
	c = ed_copy(&f->e, s, len);
	assert_string_equal(c, "two");
	free(c);
	ed_select_all(&f->e, len);
	assert_text(f, "[one two|]");
	DO(ed_backspace(&f->e, OP, OUT));
	assert_text(f, "|");
}

static void
test_cursor_follows_other_edits(void **state)
{
	struct efx	*f = *state;
	struct ot_op	 op;
	size_t		 len;

	load(f, "hello |world");
	/* Someone inserts "oh, " before the cursor... */
	src(f, &len);
	sync_text_op(&op, "a", len, 0, 0, "oh, ", 4);
	ed_transform(&f->e, &op);
	apply(f, &op);
	assert_text(f, "oh, hello |world");
	/* ...and deletes the word the cursor is in. */
	src(f, &len);
	sync_text_op(&op, "a", len, 10, 5, NULL, 0);
	ed_transform(&f->e, &op);
	apply(f, &op);
	assert_text(f, "oh, hello |");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_typing_inserts_at_the_cursor,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_typing_replaces_the_selection,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_enter_keeps_and_opens_indentation, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_typing_a_block_indents_itself, setup, teardown),
		cmocka_unit_test_setup_teardown(test_backspace_and_delete,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_delete_word_and_kill_line,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_tab_indents_and_dedents,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_motion_by_word_line_and_home, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_up_and_down_keep_the_column, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_arrows_step_over_whole_characters, setup, teardown),
		cmocka_unit_test_setup_teardown(test_paste_is_literal, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_copy_and_select_all, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_cursor_follows_other_edits,
		    setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

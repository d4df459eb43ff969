/*
 * test_cmdline.c - the command line's editing (tui/cmdline.c): moving
 * and deleting by character over UTF-8 and by word, the history, and
 * cycling through completions.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/mem.h"
#include "tui/cmdline.h"

static void
test_editing(void **state)
{
	struct cmdline	 cl;

	cmdline_init(&cl);
	assert_string_equal(cmdline_text(&cl), "");
	assert_false(cmdline_backspace(&cl));
	cmdline_insert(&cl, "set\tindent\n4", 12);
	assert_string_equal(cmdline_text(&cl), "set indent 4");
	assert_int_equal(cl.cur, 12);
	cmdline_move(&cl, CMDLINE_WORD_LEFT);
	assert_int_equal(cl.cur, 11);
	cmdline_move(&cl, CMDLINE_WORD_LEFT);
	assert_int_equal(cl.cur, 4);
	cmdline_move(&cl, CMDLINE_WORD_RIGHT);
	assert_int_equal(cl.cur, 10);
	cmdline_delete_word(&cl);
	assert_string_equal(cmdline_text(&cl), "set  4");
	assert_int_equal(cl.cur, 4);
	cmdline_clear(&cl);
	assert_string_equal(cmdline_text(&cl), " 4");
	assert_int_equal(cl.cur, 0);
	cmdline_move(&cl, CMDLINE_END);
	cmdline_move(&cl, CMDLINE_LEFT);
	cmdline_delete(&cl);
	assert_string_equal(cmdline_text(&cl), " ");
	cmdline_delete(&cl);
	assert_string_equal(cmdline_text(&cl), " ");

	/* One step is one character, however many bytes. */
	cmdline_set(&cl, "goto \xc3\xa9t\xc3\xa9");
	cmdline_move(&cl, CMDLINE_LEFT);
	assert_int_equal(cl.cur, strlen("goto \xc3\xa9t"));
	assert_true(cmdline_backspace(&cl));
	assert_string_equal(cmdline_text(&cl), "goto \xc3\xa9\xc3\xa9");
	cmdline_move(&cl, CMDLINE_HOME);
	cmdline_move(&cl, CMDLINE_RIGHT);
	assert_int_equal(cl.cur, 1);
	cmdline_fini(&cl);
}

static void
test_history(void **state)
{
	struct cmdline	 cl;
	char		 line[32];

	cmdline_init(&cl);
	cmdline_history_push(&cl, "run all");
	cmdline_history_push(&cl, "run all");	/* not twice */
	cmdline_history_push(&cl, "");
	cmdline_history_push(&cl, "w");
	assert_int_equal(cl.nhist, 2);
	cmdline_open(&cl);
	cmdline_history_up(&cl);
	assert_string_equal(cmdline_text(&cl), "w");
	cmdline_history_up(&cl);
	assert_string_equal(cmdline_text(&cl), "run all");
	cmdline_history_up(&cl);
	assert_string_equal(cmdline_text(&cl), "run all");
	cmdline_history_down(&cl);
	assert_string_equal(cmdline_text(&cl), "w");
	cmdline_history_down(&cl);
	assert_string_equal(cmdline_text(&cl), "");
	/* The oldest lines go when it is full. */
	for (int i = 0; i < CMDLINE_HIST_MAX + 5; i++) {
		snprintf(line, sizeof line, "goto %d", i);
		cmdline_history_push(&cl, line);
	}
	assert_int_equal(cl.nhist, CMDLINE_HIST_MAX);
	assert_string_equal(cl.hist[0], "goto 5");
	cmdline_fini(&cl);
}

static char **
words(size_t n, ...)
{
	char	**v = xcalloc(n, sizeof *v);
	va_list	 ap;

	va_start(ap, n);
	for (size_t i = 0; i < n; i++)
		v[i] = xstrdup(va_arg(ap, const char *));
	va_end(ap);
	return v;
}

static void
test_completion_cycle(void **state)
{
	struct cmdline	 cl;

	cmdline_init(&cl);
	assert_false(cmdline_complete_next(&cl, false));
	cmdline_set(&cl, "run a x");
	cl.cur = 5;
	assert_int_equal(cmdline_word_start(&cl), 4);
	cmdline_complete_start(&cl, words(2, "above", "all"), 2, 4,
	    false);
	assert_string_equal(cmdline_text(&cl), "run above x");
	assert_int_equal(cl.cur, 9);
	assert_true(cmdline_complete_next(&cl, false));
	assert_string_equal(cmdline_text(&cl), "run all x");
	assert_true(cmdline_complete_next(&cl, false));
	assert_string_equal(cmdline_text(&cl), "run above x");
	assert_true(cmdline_complete_next(&cl, true));
	assert_string_equal(cmdline_text(&cl), "run all x");
	cmdline_complete_end(&cl);
	assert_false(cmdline_complete_next(&cl, false));
	/* Backwards starts from the last. */
	cmdline_set(&cl, "ed");
	cmdline_complete_start(&cl, words(2, "edit", "ed-move"), 2, 0,
	    true);
	assert_string_equal(cmdline_text(&cl), "ed-move");
	cmdline_fini(&cl);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_editing),
		cmocka_unit_test(test_history),
		cmocka_unit_test(test_completion_cycle),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

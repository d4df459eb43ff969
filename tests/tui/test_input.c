/*
 * test_input.c - terminal bytes into key, mouse and paste events, named
 * as the keymap names them.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/mem.h"
#include "tui/input.h"
#include "tui/keymap.h"

/* Feeds bytes at time t and returns the names of the events that come
 * out at time now, space-separated; mouse as "mouse:B:X,Y:press|release",
 * paste as "paste:TEXT". */
static char *
decode(struct input *in, const char *bytes, size_t n, int64_t t, int64_t now)
{
	struct gl_buf	 b;
	struct input_ev	 ev;

	gl_buf_init(&b);
	gl_buf_adds(&b, "");
	if (n > 0)
		input_feed(in, bytes, n, t);
	while (input_next(in, &ev, now) == 1) {
		char	 name[KEYMAP_NAME_MAX];

		if (b.len)
			gl_buf_addc(&b, ' ');
		switch (ev.type) {
		case INPUT_KEY:
			keymap_key_name(&ev, name);
			gl_buf_adds(&b, name);
			break;
		case INPUT_MOUSE:
			gl_buf_addf(&b, "mouse:%d:%d,%d:%s%s", ev.button,
			    ev.x, ev.y, ev.press ? "press" : "release",
			    ev.drag ? ":drag" : "");
			break;
		case INPUT_PASTE:
			gl_buf_adds(&b, "paste:");
			gl_buf_add(&b, ev.text, ev.len);
			break;
		}
	}
	return gl_buf_take(&b, NULL);
}

#define EXPECT(in, bytes, now, want) do {				\
	char	*got_ = decode(in, bytes, sizeof(bytes) - 1, 0, now);	\
	assert_string_equal(got_, want);				\
	free(got_);							\
} while (0)

static void
test_text_and_control_keys(void **state)
{
	struct input	*in = input_new();

	EXPECT(in, "aZ:é日", 0, "a Z : é 日");
	EXPECT(in, "\r\t\x7f\x03\x1a \x00", 0,
	    "<Enter> <Tab> <BS> <C-c> <C-z> <Space> <C-Space>");
	EXPECT(in, "<", 0, "<lt>");
	input_free(in);
}

static void
test_utf8_split_across_reads(void **state)
{
	struct input	*in = input_new();
	char		*got;

	got = decode(in, "\xe6\x97", 2, 0, 0);
	assert_string_equal(got, "");
	free(got);
	got = decode(in, "\xa5", 1, 1, 1);
	assert_string_equal(got, "日");
	free(got);
	input_free(in);
}

static void
test_escape_needs_a_pause(void **state)
{
	struct input	*in = input_new();
	char		*got;

	/* A lone ESC waits, then is Esc. */
	got = decode(in, "\x1b", 1, 100, 110);
	assert_string_equal(got, "");
	free(got);
	assert_int_equal(input_deadline(in), 100 + INPUT_ESC_MS);
	got = decode(in, NULL, 0, 0, 100 + INPUT_ESC_MS);
	assert_string_equal(got, "<Esc>");
	free(got);
	/* ESC then a key at once: Alt. */
	EXPECT(in, "\x1bx\x1b\r", 0, "<M-x> <M-Enter>");
	input_free(in);
}

static void
test_cursor_and_editing_keys(void **state)
{
	struct input	*in = input_new();

	EXPECT(in, "\x1b[A\x1b[B\x1b[C\x1b[D\x1bOA\x1bOH\x1b[F", 0,
	    "<Up> <Down> <Right> <Left> <Up> <Home> <End>");
	EXPECT(in, "\x1b[1;5A\x1b[1;2B\x1b[1;6D\x1b[1;3C", 0,
	    "<C-Up> <S-Down> <C-S-Left> <M-Right>");
	EXPECT(in, "\x1b[3~\x1b[5~\x1b[6~\x1b[2~\x1b[1~\x1b[4~\x1b[Z", 0,
	    "<Del> <PageUp> <PageDown> <Insert> <Home> <End> <S-Tab>");
	EXPECT(in, "\x1bOP\x1b[15~\x1b[24~\x1b[5;5~", 0,
	    "<F1> <F5> <F12> <C-PageUp>");
	input_free(in);
}

static void
test_modified_enter_forms(void **state)
{
	struct input	*in = input_new();

	/* CSI-u (kitty, foot, tmux extended-keys csi-u). */
	EXPECT(in, "\x1b[13;5u\x1b[13;2u\x1b[13;3u\x1b[97;5u\x1b[97;2u", 0,
	    "<C-Enter> <S-Enter> <M-Enter> <C-a> A");
	/* xterm modifyOtherKeys. */
	EXPECT(in, "\x1b[27;5;13~\x1b[27;2;13~\x1b[27;5;106~", 0,
	    "<C-Enter> <S-Enter> <C-j>");
	/* kitty sub-parameters are ignored. */
	EXPECT(in, "\x1b[13;5:1u", 0, "<C-Enter>");
	input_free(in);
}

static void
test_mouse_reports(void **state)
{
	struct input	*in = input_new();

	EXPECT(in, "\x1b[<0;10;5M\x1b[<0;10;5m\x1b[<64;3;3M\x1b[<65;3;3M", 0,
	    "mouse:0:9,4:press mouse:0:9,4:release mouse:64:2,2:press "
	    "mouse:65:2,2:press");
	EXPECT(in, "\x1b[<32;4;4M", 0, "mouse:0:3,3:press:drag");
	input_free(in);
}

static void
test_bracketed_paste(void **state)
{
	struct input	*in = input_new();
	char		*got;

	got = decode(in, "x\x1b[200~if a then\r\n", 18, 0, 0);
	assert_string_equal(got, "x");
	free(got);
	/* The end marker split across reads; no Esc timeout inside. */
	got = decode(in, "end\x1b[20", 7, 1, 1000);
	assert_string_equal(got, "");
	free(got);
	got = decode(in, "1~y", 3, 2, 2);
	assert_string_equal(got, "paste:if a then\r\nend y");
	free(got);
	input_free(in);
}

static void
test_unknown_sequences_are_skipped(void **state)
{
	struct input	*in = input_new();

	EXPECT(in, "\x1b[?1;2c\x1b[I\x1b[99~q", 0, "q");
	input_free(in);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text_and_control_keys),
		cmocka_unit_test(test_utf8_split_across_reads),
		cmocka_unit_test(test_escape_needs_a_pause),
		cmocka_unit_test(test_cursor_and_editing_keys),
		cmocka_unit_test(test_modified_enter_forms),
		cmocka_unit_test(test_mouse_reports),
		cmocka_unit_test(test_bracketed_paste),
		cmocka_unit_test(test_unknown_sequences_are_skipped),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

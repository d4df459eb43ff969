/*
 * test_draw.c - the renderer on a real pseudo-terminal: the first frame
 * paints everything, a frame that changes one cell sends one cell and a
 * handful of bytes, an unchanged frame sends nothing, and the terminal's
 * modes are restored at the end.
 */
#include <fcntl.h>
#include <locale.h>
#include <poll.h>
#include <pty.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/err.h"
#include "core/mem.h"
#include "tui/draw.h"
#include "tui/term.h"
#include "tui/view.h"

struct pty {
	int	 master, slave;
	FILE	*out;
};

/* Everything the terminal received so far (waits briefly for it). */
static size_t
drain(struct pty *p, char *buf, size_t cap)
{
	size_t	 n = 0;

	for (;;) {
		struct pollfd pf = { .fd = p->master, .events = POLLIN };
		ssize_t	 k;

		if (poll(&pf, 1, 100) <= 0)
			break;
		k = read(p->master, buf + n, cap - n - 1);
		if (k <= 0)
			break;
		n += (size_t)k;
		if (n + 1 >= cap)
			break;
	}
	buf[n] = '\0';
	return n;
}

static void
test_only_changes_are_sent(void **state)
{
	struct winsize	 ws = { .ws_row = 10, .ws_col = 40 };
	struct term_opts o;
	struct gl_err	 err = { 0 };
	struct pty	 p;
	struct view_grid g;
	struct draw	*d;
	struct termios	 before, after;
	char		*buf = xmalloc(1 << 16);
	size_t		 n, sent;

	setlocale(LC_ALL, "C.UTF-8");
	setenv("TERM", "xterm-256color", 1);
	unsetenv("NO_COLOR");
	assert_int_equal(openpty(&p.master, &p.slave, NULL, NULL, &ws), 0);
	tcgetattr(p.slave, &before);
	p.out = fdopen(p.slave, "r+");
	memset(&o, 0, sizeof o);
	o.out = p.out;
	o.in = p.out;
	o.no_signals = true;
	o.mouse = true;
	assert_int_equal(term_init(&o, &err), 0);
	assert_true(term_has_colors());
	d = draw_new();
	view_grid_init(&g, 10, 40);
	view_grid_puts(&g, 0, 0, "hello 日本", VIEW_S_KEYWORD);
	view_grid_puts(&g, 9, 0, " NORMAL ", VIEW_S_MODE);
	draw_grid(d, &g);
	n = drain(&p, buf, 1 << 16);
	assert_true(n > 0);
	/* The modes galley asks for were sent: bracketed paste, SGR mouse. */
	assert_non_null(strstr(buf, "\033[?2004h"));
	assert_non_null(strstr(buf, "\033[?1006h"));
	assert_non_null(strstr(buf, "hello"));
	sent = draw_cells_sent(d);
	assert_int_equal(sent, 10 * 40 - 2);	/* the wide halves go together */

	/* One cell changes: one cell is sent, in a few bytes. */
	view_grid_puts(&g, 0, 0, "j", VIEW_S_KEYWORD);
	draw_grid(d, &g);
	n = drain(&p, buf, 1 << 16);
	assert_int_equal(draw_cells_sent(d) - sent, 1);
	assert_true(n > 0 && n < 40);
	assert_non_null(strchr(buf, 'j'));

	/* Nothing changes: nothing is sent. */
	sent = draw_cells_sent(d);
	draw_grid(d, &g);
	n = drain(&p, buf, 1 << 16);
	assert_int_equal(draw_cells_sent(d), sent);
	assert_true(n < 8);

	/* Invalidation repaints every cell. */
	draw_invalidate(d);
	draw_grid(d, &g);
	(void)drain(&p, buf, 1 << 16);
	assert_int_equal(draw_cells_sent(d) - sent, 10 * 40 - 2);

	draw_free(d);
	view_grid_fini(&g);
	term_fini();
	n = drain(&p, buf, 1 << 16);
	assert_non_null(strstr(buf, "\033[?2004l"));
	assert_non_null(strstr(buf, "\033[?1000l"));
	tcgetattr(p.slave, &after);
	assert_int_equal(before.c_lflag, after.c_lflag);
	assert_int_equal(before.c_iflag, after.c_iflag);
	fclose(p.out);
	close(p.master);
	free(buf);
}

/* Without colours (NO_COLOR), styles still come out as attributes. */
static void
test_monochrome_uses_attributes(void **state)
{
	struct winsize	 ws = { .ws_row = 4, .ws_col = 20 };
	struct term_opts o;
	struct gl_err	 err = { 0 };
	struct pty	 p;
	struct view_grid g;
	struct draw	*d;
	char		*buf = xmalloc(1 << 16);

	setenv("NO_COLOR", "1", 1);
	assert_int_equal(openpty(&p.master, &p.slave, NULL, NULL, &ws), 0);
	p.out = fdopen(p.slave, "r+");
	memset(&o, 0, sizeof o);
	o.out = p.out;
	o.in = p.out;
	o.no_signals = true;
	assert_int_equal(term_init(&o, &err), 0);
	assert_false(term_has_colors());
	d = draw_new();
	view_grid_init(&g, 4, 20);
	view_grid_puts(&g, 3, 0, " NORMAL ", VIEW_S_MODE);
	draw_grid(d, &g);
	(void)drain(&p, buf, 1 << 16);
	assert_null(strstr(buf, "38;5;"));
	/* Reverse video for the mode. */
	assert_non_null(strstr(buf, "7m"));
	draw_free(d);
	view_grid_fini(&g);
	term_fini();
	(void)drain(&p, buf, 1 << 16);
	fclose(p.out);
	close(p.master);
	free(buf);
	unsetenv("NO_COLOR");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_only_changes_are_sent),
		cmocka_unit_test(test_monochrome_uses_attributes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

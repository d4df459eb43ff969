/*
 * cmd-view.c - the commands on what the screen shows: scrolling, folding
 * a cell's long outputs, the help screen and its pager (pg-*), and
 * suspending and redrawing the terminal.
 */
#include <stdio.h>
#include <stdlib.h>

#include "core/err.h"
#include "core/mem.h"
#include "core/notebook.h"
#include "tui/app_int.h"
#include "tui/cmd.h"
#include "tui/cmd_int.h"
#include "tui/draw.h"
#include "tui/keymap.h"
#include "tui/term.h"
#include "tui/view.h"

/* ------------------------------------------------------------------ */
/* Scrolling and folding */

int
cmd_view_scroll_down(struct app *a, const struct cmd_entry *self,
    const char *arg, struct gl_err *err)
{
	view_scroll(a->view, a->doc, (int)app_count(a, arg));
	return 0;
}

int
cmd_view_scroll_up(struct app *a, const struct cmd_entry *self,
    const char *arg, struct gl_err *err)
{
	view_scroll(a->view, a->doc, -(int)app_count(a, arg));
	return 0;
}

int
cmd_view_half_down(struct app *a, const struct cmd_entry *self,
    const char *arg, struct gl_err *err)
{
	view_scroll(a->view, a->doc, view_page_rows(a->view) / 2);
	return 0;
}

int
cmd_view_half_up(struct app *a, const struct cmd_entry *self,
    const char *arg, struct gl_err *err)
{
	view_scroll(a->view, a->doc, -(view_page_rows(a->view) / 2));
	return 0;
}

int
cmd_view_page_down(struct app *a, const struct cmd_entry *self,
    const char *arg, struct gl_err *err)
{
	view_scroll(a->view, a->doc, (int)app_count(a, arg) *
	    (view_page_rows(a->view) - 1));
	return 0;
}

int
cmd_view_page_up(struct app *a, const struct cmd_entry *self,
    const char *arg, struct gl_err *err)
{
	view_scroll(a->view, a->doc, -(int)app_count(a, arg) *
	    (view_page_rows(a->view) - 1));
	return 0;
}

int
cmd_view_fold(struct app *a, const struct cmd_entry *self, const char *arg,
    struct gl_err *err)
{
	size_t	 cur;

	if (app_cur_cell(a, &cur) != NULL)
		app_msg(a, false, "%s", view_toggle_fold(a->view, cur) ?
		    "unfolded (o folds)" : "folded");
	return 0;
}

/* ------------------------------------------------------------------ */
/* The terminal */

int
cmd_view_suspend(struct app *a, const struct cmd_entry *self,
    const char *arg, struct gl_err *err)
{
	if (a->term_on) {
		term_suspend();
		term_size(&a->rows, &a->cols);
		view_grid_resize(&a->grid, a->rows, a->cols);
		draw_invalidate(a->draw);
	}
	return 0;
}

int
cmd_view_redraw(struct app *a, const struct cmd_entry *self, const char *arg,
    struct gl_err *err)
{
	if (a->term_on)
		draw_invalidate(a->draw);
	return 0;
}

/* ------------------------------------------------------------------ */
/* The help screen */

/* Opens the help screen: the keys and commands as the keymap says now. */
int
cmd_view_help(struct app *a, const struct cmd_entry *self, const char *arg,
    struct gl_err *err)
{
	struct gl_buf	 b;

	gl_buf_init(&b);
	keymap_help(a->km, &b);
	app_pager_take(a, NULL, gl_buf_take(&b, NULL), false);
	return 0;
}

/* Opens the current cell's outputs in the pager, whole (unfolded, every
 * level of a tree), where / searches and G and gg go to the end and the
 * start. */
int
cmd_view_output(struct app *a, const struct cmd_entry *self,
    const char *arg, struct gl_err *err)
{
	struct gl_buf	 b;
	size_t		 cur, n;
	struct nb_cell	*c = app_cur_cell(a, &cur);
	char		 title[128];

	if (c == NULL || (n = view_out_count(a->view, cur)) == 0)
		return gl_err_set(err, GL_ENOTFOUND, "output: the cell has no "
		    "output");
	gl_buf_init(&b);
	for (size_t k = 0; k < n; k++) {
		if (k > 0 && b.len > 0 && b.data[b.len - 1] != '\n')
			gl_buf_addc(&b, '\n');
		view_output_text(view_out_get(a->view, cur, k), &b);
	}
	snprintf(title, sizeof title, "[%s] outputs  (q closes)",
	    nb_cell_id(c));
	app_pager_take(a, title, gl_buf_take(&b, NULL), true);
	return 0;
}

int
cmd_view_pg_down(struct app *a, const struct cmd_entry *self,
    const char *arg, struct gl_err *err)
{
	a->pager_scroll += (int)app_count(a, arg);
	return 0;
}

int
cmd_view_pg_up(struct app *a, const struct cmd_entry *self, const char *arg,
    struct gl_err *err)
{
	a->pager_scroll -= (int)app_count(a, arg);
	return 0;
}

int
cmd_view_pg_top(struct app *a, const struct cmd_entry *self, const char *arg,
    struct gl_err *err)
{
	a->pager_scroll = 0;
	return 0;
}

int
cmd_view_pg_bottom(struct app *a, const struct cmd_entry *self,
    const char *arg, struct gl_err *err)
{
	/* view_render_pager() clamps it to the last page. */
	a->pager_scroll = 1 << 20;
	return 0;
}

int
cmd_view_pg_close(struct app *a, const struct cmd_entry *self,
    const char *arg, struct gl_err *err)
{
	a->srch.pg_off = -1;
	a->mode = a->pager_return;
	return 0;
}

/*
 * cmd-cell.c - the commands on cells: moving between them (down, up,
 * first, last, goto), the cell selection, adding, deleting, cutting,
 * copying, pasting and moving cells, changing their kind, undo and redo,
 * and entering and leaving insert mode. Every change goes through
 * tui/app-edit.c, so it is applied at once, sent to the kernel and
 * recorded for undo.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/notebook.h"
#include "core/ot.h"
#include "tui/app_int.h"
#include "tui/cmd.h"
#include "tui/cmd_int.h"
#include "tui/keymap.h"
#include "tui/sync.h"
#include "tui/view.h"

static void	 step(struct app *a, long dir);
static void	 select_step(struct app *a, long dir);
static void	 delete_cells(struct app *a, size_t lo, size_t hi,
		     const char *verb);
static void	 paste_cells(struct app *a, bool above, long times);
static void	 move_cell(struct app *a, long dir);
static void	 set_kind(struct app *a, enum nb_kind kind);

/* ------------------------------------------------------------------ */
/* Moving */

int
cmd_cell_down(struct app *a, const struct cmd_entry *self, const char *arg,
    struct gl_err *err)
{
	step(a, app_count(a, arg));
	return 0;
}

int
cmd_cell_up(struct app *a, const struct cmd_entry *self, const char *arg,
    struct gl_err *err)
{
	step(a, -app_count(a, arg));
	return 0;
}

/* With a count (vim's 5gg and 5G), cell number count. */
static void
go_counted(struct app *a, size_t otherwise)
{
	size_t	 n = nb_doc_count(a->doc);
	long	 k = app_count_given(a);

	app_csel_clear(a);
	if (n == 0)
		return;
	if (k > 0)
		view_set_cursor(a->view, (size_t)k <= n ? (size_t)k - 1 :
		    n - 1);
	else
		view_set_cursor(a->view, otherwise < n ? otherwise : n - 1);
}

int
cmd_cell_first(struct app *a, const struct cmd_entry *self, const char *arg,
    struct gl_err *err)
{
	go_counted(a, 0);
	return 0;
}

int
cmd_cell_last(struct app *a, const struct cmd_entry *self, const char *arg,
    struct gl_err *err)
{
	go_counted(a, nb_doc_count(a->doc) - 1);
	return 0;
}

/* goto N (from 1) or goto ID. */
int
cmd_cell_goto(struct app *a, const struct cmd_entry *self, const char *arg,
    struct gl_err *err)
{
	size_t	 idx;
	char	*end;
	long	 n;

	if (arg == NULL || *arg == '\0')
		return gl_err_set(err, GL_EINVAL, "goto: a cell number or id");
	n = strtol(arg, &end, 10);
	if (*end == '\0' && end != arg && n >= 1 && nb_doc_count(a->doc) > 0)
		idx = (size_t)n <= nb_doc_count(a->doc) ? (size_t)n - 1 :
		    nb_doc_count(a->doc) - 1;
	else if (strcmp(arg, "$") == 0 && nb_doc_count(a->doc) > 0)
		idx = nb_doc_count(a->doc) - 1;
	else if (nb_doc_find(a->doc, arg, &idx) == NULL)
		return gl_err_set(err, GL_ENOTFOUND, "goto: no cell %s", arg);
	view_set_cursor(a->view, idx);
	return 0;
}

/* The cells' ids (200 at most). */
void
cmd_cell_goto_complete(struct app *a, const struct cmd_entry *self,
    const char *word, struct cmd_matches *m)
{
	size_t	 wl = strlen(word);

	for (size_t i = 0; i < nb_doc_count(a->doc) && m->n < 200; i++) {
		const char *id = nb_cell_id(nb_doc_cell(a->doc, i));

		if (strncmp(id, word, wl) == 0)
			cmd_matches_add(m, id);
	}
}

int
cmd_cell_select_down(struct app *a, const struct cmd_entry *self,
    const char *arg, struct gl_err *err)
{
	select_step(a, app_count(a, arg));
	return 0;
}

int
cmd_cell_select_up(struct app *a, const struct cmd_entry *self,
    const char *arg, struct gl_err *err)
{
	select_step(a, -app_count(a, arg));
	return 0;
}

int
cmd_cell_escape(struct app *a, const struct cmd_entry *self, const char *arg,
    struct gl_err *err)
{
	app_csel_clear(a);
	keymap_reset(a->km);
	a->msg[0] = '\0';
	return 0;
}

/* ------------------------------------------------------------------ */
/* Adding, deleting, copying, moving */

void
cmd_cell_add(struct app *a, bool above, enum nb_kind kind)
{
	struct ot_op	*inv = NULL;
	size_t		 ninv = 0, cur = 0;
	long		 idx;

	app_cur_cell(a, &cur);
	app_csel_clear(a);
	idx = app_insert_cell(a, nb_doc_count(a->doc) == 0 ? 0 :
	    above ? cur : cur + 1, kind, "", 0, NULL, 0, &inv, &ninv);
	if (idx < 0) {
		free(inv);
		return;
	}
	sync_push(a->sync, inv, ninv, SYNC_G_OTHER,
	    nb_cell_id(nb_doc_cell(a->doc, (size_t)idx)), 0, a->now);
	app_send_edits(a);
	if (a->mode == KEYMAP_INSERT)
		app_insert_leave(a);
	app_insert_enter(a, (size_t)idx, 0);
}

/* add-above [KIND], add-below [KIND]. */
static int
add(struct app *a, bool above, const char *arg, struct gl_err *err)
{
	enum nb_kind	 kind = NB_CODE;

	if (arg != NULL && nb_kind_parse(arg, &kind) != 0)
		return gl_err_set(err, GL_EINVAL, "add: code, markdown or "
		    "raw?");
	cmd_cell_add(a, above, kind);
	return 0;
}

int
cmd_cell_add_above(struct app *a, const struct cmd_entry *self,
    const char *arg, struct gl_err *err)
{
	return add(a, true, arg, err);
}

int
cmd_cell_add_below(struct app *a, const struct cmd_entry *self,
    const char *arg, struct gl_err *err)
{
	return add(a, false, arg, err);
}

/* The cells a command acts on: the selection, or count cells from the
 * current one (vim's 5dd). */
static bool
counted_range(struct app *a, const char *arg, size_t *lo, size_t *hi)
{
	long	 k;

	if (!app_target_range(a, lo, hi))
		return false;
	if (!a->csel && (k = app_count(a, arg)) > 1) {
		*hi = *lo + (size_t)k - 1;
		if (*hi >= nb_doc_count(a->doc))
			*hi = nb_doc_count(a->doc) - 1;
	}
	return true;
}

int
cmd_cell_delete(struct app *a, const struct cmd_entry *self, const char *arg,
    struct gl_err *err)
{
	size_t	 lo, hi;

	if (counted_range(a, arg, &lo, &hi))
		delete_cells(a, lo, hi, "deleted");
	return 0;
}

int
cmd_cell_cut(struct app *a, const struct cmd_entry *self, const char *arg,
    struct gl_err *err)
{
	size_t	 lo, hi;

	if (counted_range(a, arg, &lo, &hi)) {
		app_clip_copy(a, lo, hi);
		delete_cells(a, lo, hi, "cut");
	}
	return 0;
}

int
cmd_cell_copy(struct app *a, const struct cmd_entry *self, const char *arg,
    struct gl_err *err)
{
	size_t	 lo, hi;

	if (counted_range(a, arg, &lo, &hi)) {
		app_clip_copy(a, lo, hi);
		app_csel_clear(a);
		app_msg(a, false, "copied %zu cell%s (p pastes)",
		    hi - lo + 1, hi > lo ? "s" : "");
	}
	return 0;
}

int
cmd_cell_paste_below(struct app *a, const struct cmd_entry *self,
    const char *arg, struct gl_err *err)
{
	paste_cells(a, false, app_count(a, arg));
	return 0;
}

int
cmd_cell_paste_above(struct app *a, const struct cmd_entry *self,
    const char *arg, struct gl_err *err)
{
	paste_cells(a, true, app_count(a, arg));
	return 0;
}

int
cmd_cell_move_down(struct app *a, const struct cmd_entry *self,
    const char *arg, struct gl_err *err)
{
	move_cell(a, app_count(a, arg));
	return 0;
}

int
cmd_cell_move_up(struct app *a, const struct cmd_entry *self,
    const char *arg, struct gl_err *err)
{
	move_cell(a, -app_count(a, arg));
	return 0;
}

int
cmd_cell_code(struct app *a, const struct cmd_entry *self, const char *arg,
    struct gl_err *err)
{
	set_kind(a, NB_CODE);
	return 0;
}

int
cmd_cell_markdown(struct app *a, const struct cmd_entry *self,
    const char *arg, struct gl_err *err)
{
	set_kind(a, NB_MARKDOWN);
	return 0;
}

int
cmd_cell_raw(struct app *a, const struct cmd_entry *self, const char *arg,
    struct gl_err *err)
{
	set_kind(a, NB_RAW);
	return 0;
}

int
cmd_cell_undo(struct app *a, const struct cmd_entry *self, const char *arg,
    struct gl_err *err)
{
	for (long k = app_count(a, arg); k > 0; k--)
		if (!app_undo(a, false))
			break;
	return 0;
}

int
cmd_cell_redo(struct app *a, const struct cmd_entry *self, const char *arg,
    struct gl_err *err)
{
	for (long k = app_count(a, arg); k > 0; k--)
		if (!app_undo(a, true))
			break;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Insert mode */

/* edit [start|end]: without an argument, where the cursor was the last
 * time this cell was edited. */
int
cmd_cell_edit(struct app *a, const struct cmd_entry *self, const char *arg,
    struct gl_err *err)
{
	size_t	 off = 0, len, cur;
	struct nb_cell *c = app_cur_cell(a, &cur);

	if (c == NULL)
		return 0;
	nb_cell_source(c, &len);
	if (arg != NULL && strcmp(arg, "end") == 0)
		off = len;
	else if (arg == NULL && strcmp(a->last_id, nb_cell_id(c)) == 0)
		off = a->last_off;
	app_insert_enter(a, cur, off);
	return 0;
}

int
cmd_cell_normal(struct app *a, const struct cmd_entry *self, const char *arg,
    struct gl_err *err)
{
	app_insert_leave(a);
	return 0;
}

/* ------------------------------------------------------------------ */

/* cur moved by dir cells (negative: up), kept in [lo, n). */
static size_t
clamp_step(size_t cur, long dir, size_t lo, size_t n)
{
	if (n == 0)
		return 0;
	if (dir < 0)
		return (size_t)-dir > cur - lo ? lo : cur - (size_t)-dir;
	return (size_t)dir >= n - 1 - cur ? n - 1 : cur + (size_t)dir;
}

/* dir cells down (positive) or up; the selection ends. */
static void
step(struct app *a, long dir)
{
	size_t	 cur = 0, n = nb_doc_count(a->doc);

	app_cur_cell(a, &cur);
	app_csel_clear(a);
	if (n > 0 && clamp_step(cur, dir, 0, n) != cur)
		view_set_cursor(a->view, clamp_step(cur, dir, 0, n));
}

/* Extends the cell selection dir cells down or up. */
static void
select_step(struct app *a, long dir)
{
	size_t	 cur = 0, n = nb_doc_count(a->doc);

	app_cur_cell(a, &cur);
	if (!a->csel) {
		a->csel = true;
		a->csel_anchor = cur;
	}
	cur = clamp_step(cur, dir, 0, n);
	view_set_cursor(a->view, cur);
	view_set_cell_sel(a->view, true, a->csel_anchor, cur);
}

static void
delete_cells(struct app *a, size_t lo, size_t hi, const char *verb)
{
	struct ot_op	*inv = NULL;
	size_t		 ninv = 0, n = 0;
	char		 first[NB_ID_MAX + 1];

	snprintf(first, sizeof first, "%s",
	    nb_cell_id(nb_doc_cell(a->doc, lo)));
	for (size_t i = hi + 1; i-- > lo; ) {
		struct ot_op	 op;

		memset(&op, 0, sizeof op);
		op.kind = OT_DELETE_CELL;
		snprintf(op.id, sizeof op.id, "%s",
		    nb_cell_id(nb_doc_cell(a->doc, i)));
		if (a->mode == KEYMAP_INSERT && strcmp(op.id, a->ed.id) == 0)
			app_insert_leave(a);
		if (app_apply_op(a, &op, &inv, &ninv) == 0)
			n++;
		ot_op_fini(&op);
	}
	sync_push(a->sync, inv, ninv, SYNC_G_OTHER, first, 0, a->now);
	app_send_edits(a);
	app_csel_clear(a);
	if (nb_doc_count(a->doc) > 0)
		view_set_cursor(a->view, lo < nb_doc_count(a->doc) ? lo :
		    nb_doc_count(a->doc) - 1);
	app_msg(a, false, "%s %zu cell%s (u undoes)", verb, n,
	    n == 1 ? "" : "s");
}

/* Pastes the clipboard times times, as one change. */
static void
paste_cells(struct app *a, bool above, long times)
{
	struct ot_op	*inv = NULL;
	size_t		 ninv = 0, cur = 0, at, n = 0;
	long		 first = -1;

	if (a->nclip == 0) {
		app_msg(a, true, "nothing to paste: copy cells with yy or x "
		    "first");
		return;
	}
	if (times > 1000)
		times = 1000;
	app_cur_cell(a, &cur);
	at = nb_doc_count(a->doc) == 0 ? 0 : above ? cur : cur + 1;
	for (long t = 0; t < times; t++)
		for (size_t i = 0; i < a->nclip; i++, n++) {
			long idx = app_insert_cell(a, at + n,
			    a->clip[i].kind, a->clip[i].source,
			    a->clip[i].len, a->clip[i].meta,
			    a->clip[i].nmeta, &inv, &ninv);

			if (first < 0)
				first = idx;
		}
	if (first >= 0) {
		sync_push(a->sync, inv, ninv, SYNC_G_OTHER, nb_cell_id(
		    nb_doc_cell(a->doc, (size_t)first)), 0, a->now);
		view_set_cursor(a->view, (size_t)first);
	} else
		free(inv);
	app_send_edits(a);
	app_msg(a, false, "pasted %zu cell%s", n, n == 1 ? "" : "s");
}

/* Moves the cell dir places down (positive) or up, as one change. */
static void
move_cell(struct app *a, long dir)
{
	struct ot_op	 op;
	size_t		 cur, to, n = nb_doc_count(a->doc);
	struct nb_cell	*c = app_cur_cell(a, &cur);
	bool		 header = n > 0 &&
			    nb_cell_is_header(nb_doc_cell(a->doc, 0));

	if (c == NULL)
		return;
	if (nb_cell_is_header(c)) {
		app_msg(a, true, "the header cell stays first");
		return;
	}
	if ((to = clamp_step(cur, dir, header ? 1 : 0, n)) == cur)
		return;
	memset(&op, 0, sizeof op);
	op.kind = OT_MOVE_CELL;
	snprintf(op.id, sizeof op.id, "%s", nb_cell_id(c));
	op.from = cur;
	op.index = to;
	app_csel_clear(a);
	if (app_change(a, &op, SYNC_G_OTHER, 0) == 0)
		view_set_cursor(a->view, to);
}

static void
set_kind(struct app *a, enum nb_kind kind)
{
	struct ot_op	 op;
	size_t		 lo, hi;

	if (!app_target_range(a, &lo, &hi))
		return;
	for (size_t i = lo; i <= hi; i++) {
		struct nb_cell *c = nb_doc_cell(a->doc, i);

		if (nb_cell_is_header(c) || nb_cell_kind(c) == kind)
			continue;
		memset(&op, 0, sizeof op);
		op.kind = OT_SET_KIND;
		snprintf(op.id, sizeof op.id, "%s", nb_cell_id(c));
		op.cell_kind = kind;
		(void)app_change(a, &op, SYNC_G_OTHER, 0);
	}
}

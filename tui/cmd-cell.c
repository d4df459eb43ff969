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

static void	 step(struct app *a, int dir);
static void	 select_step(struct app *a, int dir);
static void	 delete_cells(struct app *a, size_t lo, size_t hi,
		     const char *verb);
static void	 paste_cells(struct app *a, bool above);
static void	 move_cell(struct app *a, int dir);
static void	 set_kind(struct app *a, enum nb_kind kind);

/* ------------------------------------------------------------------ */
/* Moving */

int
cmd_cell_down(struct app *a, const struct cmd_entry *self, const char *arg,
    struct gl_err *err)
{
	step(a, 1);
	return 0;
}

int
cmd_cell_up(struct app *a, const struct cmd_entry *self, const char *arg,
    struct gl_err *err)
{
	step(a, -1);
	return 0;
}

int
cmd_cell_first(struct app *a, const struct cmd_entry *self, const char *arg,
    struct gl_err *err)
{
	app_csel_clear(a);
	view_set_cursor(a->view, 0);
	return 0;
}

int
cmd_cell_last(struct app *a, const struct cmd_entry *self, const char *arg,
    struct gl_err *err)
{
	size_t	 n = nb_doc_count(a->doc);

	app_csel_clear(a);
	if (n > 0)
		view_set_cursor(a->view, n - 1);
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
	if (*end == '\0' && n >= 1 && (size_t)n <= nb_doc_count(a->doc))
		idx = (size_t)n - 1;
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
	select_step(a, 1);
	return 0;
}

int
cmd_cell_select_up(struct app *a, const struct cmd_entry *self,
    const char *arg, struct gl_err *err)
{
	select_step(a, -1);
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

int
cmd_cell_delete(struct app *a, const struct cmd_entry *self, const char *arg,
    struct gl_err *err)
{
	size_t	 lo, hi;

	if (app_target_range(a, &lo, &hi))
		delete_cells(a, lo, hi, "deleted");
	return 0;
}

int
cmd_cell_cut(struct app *a, const struct cmd_entry *self, const char *arg,
    struct gl_err *err)
{
	size_t	 lo, hi;

	if (app_target_range(a, &lo, &hi)) {
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

	if (app_target_range(a, &lo, &hi)) {
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
	paste_cells(a, false);
	return 0;
}

int
cmd_cell_paste_above(struct app *a, const struct cmd_entry *self,
    const char *arg, struct gl_err *err)
{
	paste_cells(a, true);
	return 0;
}

int
cmd_cell_move_down(struct app *a, const struct cmd_entry *self,
    const char *arg, struct gl_err *err)
{
	move_cell(a, 1);
	return 0;
}

int
cmd_cell_move_up(struct app *a, const struct cmd_entry *self,
    const char *arg, struct gl_err *err)
{
	move_cell(a, -1);
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
	app_undo(a, false);
	return 0;
}

int
cmd_cell_redo(struct app *a, const struct cmd_entry *self, const char *arg,
    struct gl_err *err)
{
	app_undo(a, true);
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

/* To the next (dir 1) or previous (-1) cell; the selection ends. */
static void
step(struct app *a, int dir)
{
	size_t	 cur = 0, n = nb_doc_count(a->doc);

	app_cur_cell(a, &cur);
	app_csel_clear(a);
	if (dir > 0 && cur + 1 < n)
		view_set_cursor(a->view, cur + 1);
	else if (dir < 0 && cur > 0)
		view_set_cursor(a->view, cur - 1);
}

/* Extends the cell selection to the next or previous cell. */
static void
select_step(struct app *a, int dir)
{
	size_t	 cur = 0, n = nb_doc_count(a->doc);

	app_cur_cell(a, &cur);
	if (!a->csel) {
		a->csel = true;
		a->csel_anchor = cur;
	}
	if (dir > 0 && cur + 1 < n)
		cur++;
	else if (dir < 0 && cur > 0)
		cur--;
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

static void
paste_cells(struct app *a, bool above)
{
	struct ot_op	*inv = NULL;
	size_t		 ninv = 0, cur = 0, at;
	long		 first = -1;

	if (a->nclip == 0) {
		app_msg(a, true, "nothing to paste: copy cells with yy or x "
		    "first");
		return;
	}
	app_cur_cell(a, &cur);
	at = nb_doc_count(a->doc) == 0 ? 0 : above ? cur : cur + 1;
	for (size_t i = 0; i < a->nclip; i++) {
		long idx = app_insert_cell(a, at + i, a->clip[i].kind,
		    a->clip[i].source, a->clip[i].len, a->clip[i].meta,
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
	app_msg(a, false, "pasted %zu cell%s", a->nclip,
	    a->nclip == 1 ? "" : "s");
}

static void
move_cell(struct app *a, int dir)
{
	struct ot_op	 op;
	size_t		 cur, n = nb_doc_count(a->doc);
	struct nb_cell	*c = app_cur_cell(a, &cur);
	bool		 header = n > 0 &&
			    nb_cell_is_header(nb_doc_cell(a->doc, 0));

	if (c == NULL)
		return;
	if (nb_cell_is_header(c)) {
		app_msg(a, true, "the header cell stays first");
		return;
	}
	if ((dir < 0 && cur == (header ? 1u : 0u)) ||
	    (dir > 0 && cur + 1 >= n))
		return;
	memset(&op, 0, sizeof op);
	op.kind = OT_MOVE_CELL;
	snprintf(op.id, sizeof op.id, "%s", nb_cell_id(c));
	op.from = cur;
	op.index = dir < 0 ? cur - 1 : cur + 1;
	app_csel_clear(a);
	if (app_change(a, &op, SYNC_G_OTHER, 0) == 0)
		view_set_cursor(a->view, dir < 0 ? cur - 1 : cur + 1);
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

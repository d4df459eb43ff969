/*
 * cmd-edit.c - the commands of the cell editor (insert mode, ed-*):
 * moving and selecting, new lines, deleting, indenting, the text
 * clipboard. Each turns one call of tui/editor.c into a change of the
 * cell being edited (tui/app-edit.c applies it, sends it and records it
 * for undo, grouped with the typing around it as sync_group says).
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/mem.h"
#include "core/notebook.h"
#include "core/ot.h"
#include "tui/app_int.h"
#include "tui/cmd.h"
#include "tui/cmd_int.h"
#include "tui/editor.h"
#include "tui/sync.h"

/* The cell being edited, as an editor call wants it. */
struct cur {
	size_t		 idx;		/* its index */
	const char	*src;		/* its source */
	size_t		 len;
	size_t		 before;	/* the cursor before the change */
};

/* Finds the cell being edited (leaving insert mode if it is gone). */
static bool
edited(struct app *a, struct cur *c)
{
	struct nb_cell	*cell = nb_doc_find(a->doc, a->ed.id, &c->idx);

	if (cell == NULL) {
		app_insert_leave(a);
		return false;
	}
	c->src = nb_cell_source(cell, &c->len);
	ed_clamp(&a->ed, c->src, c->len);
	c->before = a->ed.cur;
	return true;
}

/* Applies the change an editor call made, if it made one. */
static int
apply_change(struct app *a, const struct cur *c, bool ok, struct ot_op *op,
    enum sync_group kind)
{
	if (ok)
		(void)app_change(a, op, kind, c->before);
	return 0;
}

/* ed-move DIR and ed-select DIR. */
static int
move(struct app *a, const struct cmd_entry *self, const char *arg,
    bool extend, struct gl_err *err)
{
	static const char *const names[] = { "left", "right", "up", "down",
	    "word-left", "word-right", "home", "end", "top", "bottom",
	    "page-up", "page-down" };
	struct cur	 c;
	int		 d = -1;

	if (!edited(a, &c))
		return 0;
	for (int i = 0; i < (int)(sizeof names / sizeof names[0]); i++)
		if (arg != NULL && strcmp(arg, names[i]) == 0)
			d = i;
	if (d < 0)
		return gl_err_set(err, GL_EINVAL, "%s: which direction?",
		    self->name);
	sync_break(a->sync);
	if (!ed_move(&a->ed, c.src, c.len, (enum ed_move)d, extend) &&
	    !extend && (d == ED_UP || d == ED_DOWN)) {
		/* Off the top or bottom: into the next cell. */
		if (d == ED_UP && c.idx > 0) {
			size_t	 plen;

			nb_cell_source(nb_doc_cell(a->doc, c.idx - 1), &plen);
			app_insert_leave(a);
			app_insert_enter(a, c.idx - 1, plen);
		} else if (d == ED_DOWN && c.idx + 1 < nb_doc_count(a->doc)) {
			app_insert_leave(a);
			app_insert_enter(a, c.idx + 1, 0);
		}
	}
	return 0;
}

int
cmd_edit_move(struct app *a, const struct cmd_entry *self, const char *arg,
    struct gl_err *err)
{
	return move(a, self, arg, false, err);
}

int
cmd_edit_select(struct app *a, const struct cmd_entry *self,
    const char *arg, struct gl_err *err)
{
	return move(a, self, arg, true, err);
}

int
cmd_edit_newline(struct app *a, const struct cmd_entry *self,
    const char *arg, struct gl_err *err)
{
	struct cur	 c;
	struct ot_op	 op;

	if (!edited(a, &c))
		return 0;
	return apply_change(a, &c, ed_newline(&a->ed, c.src, c.len, &op),
	    &op, SYNC_G_TYPE);
}

int
cmd_edit_backspace(struct app *a, const struct cmd_entry *self,
    const char *arg, struct gl_err *err)
{
	struct cur	 c;
	struct ot_op	 op;

	if (!edited(a, &c))
		return 0;
	return apply_change(a, &c, ed_backspace(&a->ed, c.src, c.len, &op),
	    &op, SYNC_G_DELETE);
}

int
cmd_edit_delete(struct app *a, const struct cmd_entry *self,
    const char *arg, struct gl_err *err)
{
	struct cur	 c;
	struct ot_op	 op;

	if (!edited(a, &c))
		return 0;
	return apply_change(a, &c, ed_delete(&a->ed, c.src, c.len, &op),
	    &op, SYNC_G_DELETE);
}

int
cmd_edit_delete_word(struct app *a, const struct cmd_entry *self,
    const char *arg, struct gl_err *err)
{
	struct cur	 c;
	struct ot_op	 op;

	if (!edited(a, &c))
		return 0;
	return apply_change(a, &c, ed_delete_word(&a->ed, c.src, c.len, &op),
	    &op, SYNC_G_DELETE);
}

/* Deletes to the end of the line; what it deletes goes to the text
 * clipboard (as Ctrl-K does in emacs). */
int
cmd_edit_kill_line(struct app *a, const struct cmd_entry *self,
    const char *arg, struct gl_err *err)
{
	struct cur	 c;
	struct ot_op	 op;
	char		*cut;
	size_t		 le;

	if (!edited(a, &c))
		return 0;
	for (le = a->ed.cur; le < c.len && c.src[le] != '\n'; le++)
		;
	cut = xstrndup(c.src + a->ed.cur, le - a->ed.cur);
	if (*cut) {
		free(a->textclip);
		a->textclip = cut;
	} else
		free(cut);
	return apply_change(a, &c, ed_kill_line(&a->ed, c.src, c.len, &op),
	    &op, SYNC_G_OTHER);
}

int
cmd_edit_indent(struct app *a, const struct cmd_entry *self,
    const char *arg, struct gl_err *err)
{
	struct cur	 c;
	struct ot_op	 op;

	if (!edited(a, &c))
		return 0;
	return apply_change(a, &c, ed_tab(&a->ed, c.src, c.len, false, &op),
	    &op, SYNC_G_OTHER);
}

int
cmd_edit_dedent(struct app *a, const struct cmd_entry *self,
    const char *arg, struct gl_err *err)
{
	struct cur	 c;
	struct ot_op	 op;

	if (!edited(a, &c))
		return 0;
	return apply_change(a, &c, ed_tab(&a->ed, c.src, c.len, true, &op),
	    &op, SYNC_G_OTHER);
}

int
cmd_edit_select_all(struct app *a, const struct cmd_entry *self,
    const char *arg, struct gl_err *err)
{
	struct cur	 c;

	if (edited(a, &c))
		ed_select_all(&a->ed, c.len);
	return 0;
}

/* The selection to the text clipboard; false (and a hint) if there is
 * none. */
static bool
copy(struct app *a, const struct cur *c)
{
	char	*t = ed_copy(&a->ed, c->src, c->len);

	if (t == NULL) {
		app_msg(a, false, "select text first (Shift and the arrows)");
		return false;
	}
	free(a->textclip);
	a->textclip = t;
	return true;
}

int
cmd_edit_copy(struct app *a, const struct cmd_entry *self, const char *arg,
    struct gl_err *err)
{
	struct cur	 c;

	if (!edited(a, &c) || !copy(a, &c))
		return 0;
	ed_select_none(&a->ed);
	app_msg(a, false, "copied %zu bytes", strlen(a->textclip));
	return 0;
}

int
cmd_edit_cut(struct app *a, const struct cmd_entry *self, const char *arg,
    struct gl_err *err)
{
	struct cur	 c;
	struct ot_op	 op;

	if (!edited(a, &c) || !copy(a, &c))
		return 0;
	return apply_change(a, &c, ed_delete(&a->ed, c.src, c.len, &op),
	    &op, SYNC_G_OTHER);
}

/* Pastes the text clipboard literally, as one undo step. */
int
cmd_edit_paste(struct app *a, const struct cmd_entry *self, const char *arg,
    struct gl_err *err)
{
	struct cur	 c;
	struct ot_op	 op;
	bool		 ok;

	if (!edited(a, &c))
		return 0;
	if (a->textclip == NULL) {
		app_msg(a, false, "nothing copied yet");
		return 0;
	}
	ok = ed_paste(&a->ed, c.src, c.len, a->textclip, strlen(a->textclip),
	    &op);
	sync_break(a->sync);
	return apply_change(a, &c, ok, &op, SYNC_G_OTHER);
}

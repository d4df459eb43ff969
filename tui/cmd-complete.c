/*
 * cmd-complete.c - the commands of completion and inspection: Tab and
 * Shift-Tab in insert mode (ed-complete, ed-inspect: they indent and
 * dedent where there is nothing to complete, as in Jupyter), :inspect,
 * and the keys of the completion menu (pm-*). What is asked and how the
 * answer shows is tui/app-complete.c's.
 */
#include <string.h>

#include "core/err.h"
#include "core/luactx.h"
#include "core/notebook.h"
#include "core/ot.h"
#include "tui/app_int.h"
#include "tui/cmd.h"
#include "tui/cmd_int.h"
#include "tui/editor.h"

/* The source of the cell being edited, or NULL. */
static const char *
edited(struct app *a, size_t *len)
{
	struct nb_cell	*c;
	const char	*src;

	if (a->mode != KEYMAP_INSERT ||
	    (c = nb_doc_find(a->doc, a->ed.id, NULL)) == NULL)
		return NULL;
	src = nb_cell_source(c, len);
	ed_clamp(&a->ed, src, *len);
	return src;
}

/* Whether there is something to complete before the cursor: a name or
 * a '.' or ':' after one, or the inside of a string. After blanks (or
 * at a line's start) Tab indents. */
static bool
completable(const char *src, size_t len, size_t cur)
{
	struct luactx	 cx;

	luactx_at(src, len, cur, &cx);
	switch (cx.kind) {
	case LUACTX_STRING:
	case LUACTX_REQUIRE:
		return true;
	case LUACTX_NAME:
		return cx.word < cur || cx.sep != 0;
	default:
		return false;
	}
}

int
cmd_complete_edit(struct app *a, const struct cmd_entry *self,
    const char *arg, struct gl_err *err)
{
	size_t		 len;
	const char	*src = edited(a, &len);

	if (src == NULL)
		return 0;
	if (a->ed.sel || !completable(src, len, a->ed.cur))
		return cmd_edit_indent(a, self, arg, err);
	app_complete_ask(a, false, src, len, a->ed.cur);
	return 0;
}

int
cmd_complete_edit_inspect(struct app *a, const struct cmd_entry *self,
    const char *arg, struct gl_err *err)
{
	size_t		 len, s, e;
	const char	*src = edited(a, &len);

	if (src == NULL)
		return 0;
	if (a->ed.sel || !luactx_expr(src, len, a->ed.cur, &s, &e))
		return cmd_edit_dedent(a, self, arg, err);
	app_complete_ask(a, true, src, len, a->ed.cur);
	return 0;
}

/* inspect [NAME]: NAME, else the name at the editor's cursor, else
 * where the current cell was last edited. */
int
cmd_complete_inspect(struct app *a, const struct cmd_entry *self,
    const char *arg, struct gl_err *err)
{
	size_t		 len, cur, s, e;
	const char	*src;
	struct nb_cell	*c;

	if (arg != NULL) {
		app_complete_ask(a, true, arg, strlen(arg), strlen(arg));
		return 0;
	}
	if ((src = edited(a, &len)) != NULL) {
		app_complete_ask(a, true, src, len, a->ed.cur);
		return 0;
	}
	if ((c = app_cur_cell(a, &cur)) == NULL ||
	    strcmp(a->last_id, nb_cell_id(c)) != 0)
		return gl_err_set(err, GL_EINVAL, "inspect: a name (:inspect "
		    "NAME), or Shift-Tab on one while editing");
	src = nb_cell_source(c, &len);
	if (!luactx_expr(src, len, a->last_off, &s, &e))
		return gl_err_set(err, GL_EINVAL, "inspect: no name where the "
		    "cell was last edited (:inspect NAME)");
	app_complete_ask(a, true, src + s, e - s, e - s);
	return 0;
}

int
cmd_complete_next(struct app *a, const struct cmd_entry *self,
    const char *arg, struct gl_err *err)
{
	if (a->comp.n > 0)
		a->comp.sel = (a->comp.sel + 1) % (long)a->comp.n;
	return 0;
}

int
cmd_complete_prev(struct app *a, const struct cmd_entry *self,
    const char *arg, struct gl_err *err)
{
	if (a->comp.n > 0)
		a->comp.sel = a->comp.sel <= 0 ? (long)a->comp.n - 1 :
		    a->comp.sel - 1;
	return 0;
}

/* Enter: the selected completion, or, with none selected, a new line. */
int
cmd_complete_accept(struct app *a, const struct cmd_entry *self,
    const char *arg, struct gl_err *err)
{
	if (a->comp.n > 0 && a->comp.sel < 0) {
		app_complete_close(a);
		return cmd_edit_newline(a, self, arg, err);
	}
	app_complete_accept(a);
	return 0;
}

int
cmd_complete_close(struct app *a, const struct cmd_entry *self,
    const char *arg, struct gl_err *err)
{
	app_complete_close(a);
	return 0;
}

/*
 * app-input.c - what a key, a mouse event or a paste does: a key is
 * looked up in the keymap for the mode and runs its command (an Alt
 * chord nothing binds is Esc, then the key); an unbound character is
 * text in insert mode and on the command line; the mouse
 * selects and edits cells, drags a selection and scrolls; a paste is
 * text where text goes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "core/notebook.h"
#include "tui/app_int.h"
#include "tui/cmdline.h"
#include "tui/input.h"
#include "tui/keymap.h"
#include "tui/review.h"
#include "tui/sync.h"
#include "tui/view.h"

#define COUNT_MAX	1000000

/* A digit typed in normal mode or a pager before a key's command is a
 * count (vim's "3j"): 1-9 start one, 0 goes on with one, unless the
 * digit is bound. True if the key was taken. */
static bool
take_count(struct app *a, const struct input_ev *ev, const char *name)
{
	long	 d;

	if ((a->mode != KEYMAP_NORMAL && a->mode != KEYMAP_PAGER) ||
	    ev->mods != 0 || ev->key < '0' || ev->key > '9' ||
	    (ev->key == '0' && a->count == 0) ||
	    *keymap_pending(a->km) != '\0' ||
	    keymap_binds(a->km, a->mode, name))
		return false;
	d = (long)(ev->key - '0');
	a->count = a->count > (COUNT_MAX - d) / 10 ? COUNT_MAX :
	    a->count * 10 + d;
	return true;
}

long
app_count(const struct app *a, const char *arg)
{
	long	 n = a->count > 0 ? a->count : 1;
	long	 k = arg != NULL && *arg ? atol(arg) : 1;

	if (k < 1)
		k = 1;
	if (k > COUNT_MAX / n)
		return COUNT_MAX;
	return n * k;
}

long
app_count_given(const struct app *a)
{
	return a->count;
}

static void
on_key(struct app *a, const struct input_ev *ev)
{
	char			 name[KEYMAP_NAME_MAX];
	struct input_ev		 esc;
	const char		*cmd;
	enum keymap_result	 r;
	enum keymap_mode	 mode = a->mode;

	keymap_key_name(ev, name);
	if (*name == '\0')
		return;
	/* An Alt chord nothing binds here is Esc and then the key, as vim
	 * reads an Esc typed just before it (the terminal sends both in one
	 * burst): "Esc :w" leaves insert mode and opens the command line. */
	if ((ev->mods & INPUT_MOD_ALT) && !keymap_binds(a->km, mode, name)) {
		struct input_ev	 k = *ev;

		memset(&esc, 0, sizeof esc);
		esc.type = INPUT_KEY;
		esc.key = INPUT_K_ESC;
		k.mods &= ~INPUT_MOD_ALT;
		on_key(a, &esc);
		if (!a->quit)
			on_key(a, &k);
		return;
	}
	if ((mode == KEYMAP_NORMAL || mode == KEYMAP_CLUSTER ||
	    mode == KEYMAP_REVIEW) && a->msg[0] != '\0')
		a->msg[0] = '\0';
	/* The invite's box goes at the next key, which does nothing else. */
	if (a->box != NULL) {
		app_pair_box_close(a);
		return;
	}
	/* An inspection's box goes at the next key (Esc only closes it). */
	if (a->comp.ninfo > 0) {
		app_complete_close(a);
		if (ev->key == INPUT_K_ESC && ev->mods == 0)
			return;
	}
	/* The completion menu takes its keys; any other closes it and does
	 * what it does in insert mode. */
	if (a->comp.n > 0) {
		if (mode == KEYMAP_INSERT && keymap_feed(a->km, KEYMAP_MENU,
		    name, &cmd) == KEYMAP_MATCH) {
			char	*copy = xstrdup(cmd);

			app_exec_in(a, KEYMAP_MENU, copy);
			free(copy);
			return;
		}
		app_complete_close(a);
	}
	if (take_count(a, ev, name))
		return;
	r = keymap_feed(a->km, mode, name, &cmd);
	if (r == KEYMAP_MATCH) {
		char	*copy = xstrdup(cmd);	/* :map may change it */

		app_exec(a, copy);
		free(copy);
		a->count = 0;
		return;
	}
	if (r == KEYMAP_PENDING) {
		app_msg(a, false, "%s", keymap_pending(a->km));
		return;
	}
	a->count = 0;
	/* Unbound: text where text goes. */
	if (ev->key < INPUT_K_NONE && !(ev->mods & (INPUT_MOD_CTRL |
	    INPUT_MOD_ALT)) && ev->key >= 0x20 && ev->key != 0x7f) {
		char	 u[4];
		size_t	 n = view_utf8_encode(ev->key, u);

		if (mode == KEYMAP_INSERT) {
			app_type(a, u, n, false);
			return;
		}
		if (mode == KEYMAP_CMDLINE) {
			cmdline_complete_end(&a->cl);
			cmdline_insert(&a->cl, u, n);
			return;
		}
		if (mode == KEYMAP_SUGGEST) {
			app_review_type(a, u, n, false);
			return;
		}
	}
	if (mode == KEYMAP_NORMAL || mode == KEYMAP_CLUSTER ||
	    mode == KEYMAP_REVIEW)
		app_msg(a, false, "%s does nothing here (F1 lists the keys)",
		    name);
}

static void
on_mouse(struct app *a, const struct input_ev *ev)
{
	struct view_hit	 h;

	if (ev->press)
		app_complete_close(a);
	if (a->mode == KEYMAP_PAGER) {
		if (ev->press && ev->button == INPUT_B_WHEEL_UP)
			a->pager_scroll -= 3;
		else if (ev->press && ev->button == INPUT_B_WHEEL_DOWN)
			a->pager_scroll += 3;
		return;
	}
	if (app_review_shown(a)) {
		if (ev->press && (ev->button == INPUT_B_WHEEL_UP ||
		    ev->button == INPUT_B_WHEEL_DOWN))
			rview_move(a->rv, ev->button == INPUT_B_WHEEL_UP ? -3 :
			    3);
		return;
	}
	if (app_cluster_shown(a)) {
		if (ev->press && ev->button == INPUT_B_WHEEL_UP)
			a->clu_scroll -= 3;
		else if (ev->press && ev->button == INPUT_B_WHEEL_DOWN)
			a->clu_scroll += 3;
		return;
	}
	if (ev->press && (ev->button == INPUT_B_WHEEL_UP ||
	    ev->button == INPUT_B_WHEEL_DOWN)) {
		app_pair_unfollow(a, true);
		view_scroll(a->view, a->doc, ev->button == INPUT_B_WHEEL_UP ?
		    -3 : 3);
		return;
	}
	if (ev->button != INPUT_B_LEFT || a->mode == KEYMAP_CMDLINE)
		return;
	if (!ev->press) {
		a->drag = false;
		return;
	}
	/* A click moves: no longer following anyone. */
	app_pair_unfollow(a, true);
	if (!view_hit(a->view, a->doc, ev->y, ev->x, &h))
		return;
	if (ev->drag) {
		/* Extending a text selection in the cell being edited. */
		if (a->mode == KEYMAP_INSERT && a->drag &&
		    h.kind == VIEW_ROW_SOURCE && strcmp(nb_cell_id(
		    nb_doc_cell(a->doc, h.cell)), a->ed.id) == 0) {
			if (!a->ed.sel) {
				a->ed.sel = true;
				a->ed.anchor = a->ed.cur;
			}
			a->ed.cur = h.offset;
		}
		return;
	}
	app_csel_clear(a);
	if (h.kind == VIEW_ROW_FOLD) {
		view_toggle_fold(a->view, h.cell);
		return;
	}
	if (h.kind == VIEW_ROW_SOURCE) {
		if (a->mode == KEYMAP_INSERT && strcmp(nb_cell_id(nb_doc_cell(
		    a->doc, h.cell)), a->ed.id) == 0) {
			a->ed.cur = a->ed.anchor = h.offset;
			a->ed.sel = false;
			a->ed.goal = -1;
			sync_break(a->sync);
		} else {
			app_insert_leave(a);
			app_insert_enter(a, h.cell, h.offset);
		}
		a->drag = true;
		return;
	}
	app_insert_leave(a);
	view_set_cursor(a->view, h.cell);
}

void
app_on_input(struct app *a, const struct input_ev *ev)
{
	switch (ev->type) {
	case INPUT_KEY:
		on_key(a, ev);
		break;
	case INPUT_MOUSE:
		on_mouse(a, ev);
		break;
	case INPUT_PASTE:
		app_complete_close(a);
		if (a->mode == KEYMAP_INSERT)
			app_type(a, ev->text, ev->len, true);
		else if (a->mode == KEYMAP_SUGGEST)
			app_review_type(a, ev->text, ev->len, true);
		else if (a->mode == KEYMAP_CMDLINE)
			cmdline_insert(&a->cl, ev->text,
			    strcspn(ev->text, "\r\n") <
			    ev->len ? strcspn(ev->text, "\r\n") : ev->len);
		else
			app_msg(a, false, "to paste text, edit a cell first "
			    "(i), then paste");
		break;
	}
}

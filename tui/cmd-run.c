/*
 * cmd-run.c - the commands that run cells: run (the cell, the selection,
 * all, above, below), run-next and run-insert, interrupt, cancel (the
 * queued runs) and restart (the runtime). A run asks the kernel for
 * cell.run once every local edit is acknowledged, so the cell runs the
 * text on the screen.
 */
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/mem.h"
#include "core/notebook.h"
#include "core/rpc.h"
#include "tui/app_int.h"
#include "tui/cmd.h"
#include "tui/cmd_int.h"
#include "tui/keymap.h"
#include "tui/view.h"

#define INTERRUPT_MS	3000	/* a second Ctrl-C within: kill */

struct run_ctx {
	struct app	*a;
	char		**ids;
	size_t		 n;
};

static int	 run(struct app *a, const char *arg, bool next, bool insert,
		     struct gl_err *err);

int
cmd_run_cell(struct app *a, const struct cmd_entry *self, const char *arg,
    struct gl_err *err)
{
	return run(a, arg, false, false, err);
}

int
cmd_run_next(struct app *a, const struct cmd_entry *self, const char *arg,
    struct gl_err *err)
{
	return run(a, NULL, true, false, err);
}

int
cmd_run_insert(struct app *a, const struct cmd_entry *self, const char *arg,
    struct gl_err *err)
{
	return run(a, NULL, false, true, err);
}

int
cmd_run_interrupt(struct app *a, const struct cmd_entry *self,
    const char *arg, struct gl_err *err)
{
	if (a->running[0] == '\0') {
		app_msg(a, false, "nothing is running");
		return 0;
	}
	if (app_call(a, "cell.interrupt", NULL, NULL, NULL, err) != 0)
		return gl_err_prefix(err, "interrupt");
	if (a->interrupt_ms > 0 && a->now - a->interrupt_ms < INTERRUPT_MS)
		app_msg(a, true, "interrupted again: the runtime is killed "
		    "and restarted");
	else
		app_msg(a, false, "interrupting [%s] (Ctrl-C again kills the "
		    "runtime)", a->running);
	a->interrupt_ms = a->now;
	return 0;
}

int
cmd_run_cancel(struct app *a, const struct cmd_entry *self, const char *arg,
    struct gl_err *err)
{
	if (app_call(a, "cell.cancel", NULL, NULL, NULL, err) != 0)
		return gl_err_prefix(err, "cancel");
	app_msg(a, false, "dropped the queued runs");
	return 0;
}

int
cmd_run_restart(struct app *a, const struct cmd_entry *self, const char *arg,
    struct gl_err *err)
{
	if (app_call(a, "runtime.restart", NULL, NULL, NULL, err) != 0)
		return gl_err_prefix(err, "restart");
	app_msg(a, false, "restarting the runtime (its variables are gone)");
	return 0;
}

/* ------------------------------------------------------------------ */

static void
pack_run(msgpack_packer *pk, void *ctx)
{
	struct run_ctx	*r = ctx;

	msgpack_pack_map(pk, 2);
	rpc_pack_kv_str(pk, "session", r->a->session);
	rpc_pack_key(pk, "cells");
	msgpack_pack_array(pk, r->n);
	for (size_t i = 0; i < r->n; i++)
		rpc_pack_str(pk, r->ids[i]);
}

/* Runs the code cells in [lo, hi]. */
static void
run_range(struct app *a, size_t lo, size_t hi)
{
	struct run_ctx	 r = { a, NULL, 0 };
	struct gl_err	 err = { 0 };
	struct rpc_msg	 resp;
	const msgpack_object *warn;

	if (nb_doc_count(a->doc) == 0)
		return;
	if (!app_flush_edits(a))
		return;
	r.ids = xcalloc(hi - lo + 2, sizeof *r.ids);
	for (size_t i = lo; i <= hi; i++)
		if (nb_cell_kind(nb_doc_cell(a->doc, i)) == NB_CODE)
			r.ids[r.n++] = xstrdup(nb_cell_id(nb_doc_cell(a->doc,
			    i)));
	if (r.n == 0) {
		free(r.ids);
		return;
	}
	if (app_call(a, "cell.run", pack_run, &r, &resp, &err) != 0)
		app_msg(a, true, "run: %s", err.msg);
	else {
		/* What plugins' before_run hooks said (docs/plugins.md). */
		warn = rpc_map_get(resp.result, "warnings");
		for (size_t i = 0; i < r.n; i++) {
			size_t	 idx;

			if (nb_doc_find(a->doc, r.ids[i], &idx) != NULL &&
			    strcmp(a->running, r.ids[i]) != 0)
				view_set_run(a->view, idx, GL_RUN_QUEUED, -1);
		}
		a->queued += (int)r.n;
		a->msg[0] = '\0';
		if (warn != NULL && warn->type == MSGPACK_OBJECT_ARRAY &&
		    warn->via.array.size > 0 &&
		    warn->via.array.ptr[0].type == MSGPACK_OBJECT_STR)
			app_msg(a, false, "%.*s",
			    (int)warn->via.array.ptr[0].via.str.size,
			    warn->via.array.ptr[0].via.str.ptr);
		rpc_msg_fini(&resp);
	}
	for (size_t i = 0; i < r.n; i++)
		free(r.ids[i]);
	free(r.ids);
}

/* run [all|above|below]; next: then go to the next cell (a new one at
 * the end); insert: then add a cell below and edit it. */
static int
run(struct app *a, const char *arg, bool next, bool insert,
    struct gl_err *err)
{
	size_t	 lo, hi, cur, n = nb_doc_count(a->doc);

	if (app_cur_cell(a, &cur) == NULL)
		return 0;
	if (a->mode == KEYMAP_INSERT && !next && !insert)
		app_insert_leave(a);
	if (arg != NULL && strcmp(arg, "all") == 0)
		run_range(a, 0, n - 1);
	else if (arg != NULL && strcmp(arg, "above") == 0) {
		if (cur > 0)
			run_range(a, 0, cur - 1);
	} else if (arg != NULL && strcmp(arg, "below") == 0)
		run_range(a, cur, n - 1);
	else if (arg != NULL && *arg)
		return gl_err_set(err, GL_EINVAL, "run: all, above or below?");
	else {
		if (!app_target_range(a, &lo, &hi))
			return 0;
		run_range(a, lo, hi);
		app_csel_clear(a);
	}
	if (insert || (next && cur + 1 >= nb_doc_count(a->doc))) {
		bool	 was_insert = a->mode == KEYMAP_INSERT;

		if (was_insert)
			app_insert_leave(a);
		view_set_cursor(a->view, cur);
		cmd_cell_add(a, false, NB_CODE);
		if (!insert && !was_insert)
			app_insert_leave(a);
	} else if (next) {
		bool	 was_insert = a->mode == KEYMAP_INSERT;

		if (was_insert)
			app_insert_leave(a);
		view_set_cursor(a->view, cur + 1);
		if (was_insert)
			app_insert_enter(a, cur + 1, 0);
	}
	return 0;
}

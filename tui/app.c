/*
 * app.c - the notebook TUI's loop and painting, and for now its
 * commands.
 *
 * Data flow. The kernel owns the notebook; the app keeps a local copy
 * (a struct nb_doc) that the view draws. A change the user makes is an
 * ot op applied to the local doc at once and sent to the kernel
 * (tui/app-edit.c); the kernel's notifications are decoded by
 * tui/event.c and applied by tui/app-kernel.c.
 *
 * The loop is poll(2) over the terminal, the kernel's socket and the
 * signal pipe, with a timeout from the nearest timer: the Esc delay, the
 * running cell's clock (100 ms), autosave, the member count (5 s), a
 * reconnect (2 s), cluster.status while the cluster view is shown (1 s;
 * sent without waiting, its answer taken when it comes). Each pass
 * handles what came, then paints once.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "client/client.h"
#include "core/err.h"
#include "core/mem.h"
#include "core/notebook.h"
#include "core/ot.h"
#include "core/paths.h"
#include "core/rpc.h"
#include "core/util.h"
#include "tui/app.h"
#include "tui/app_int.h"
#include "tui/cluview.h"
#include "tui/cmdline.h"
#include "tui/draw.h"
#include "tui/editor.h"
#include "tui/input.h"
#include "tui/keymap.h"
#include "tui/sync.h"
#include "tui/term.h"
#include "tui/view.h"

#define CLOCK_MS	100
#define MEMBERS_MS	5000
#define INTERRUPT_MS	3000

int64_t
app_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
app_view_opts(const struct keymap_config *cfg, struct view_opts *vo)
{
	memset(vo, 0, sizeof *vo);
	vo->fold_lines = cfg->fold_lines;
	vo->tab_source = cfg->tab;
	vo->ascii = cfg->ascii;
}

/* ------------------------------------------------------------------ */
/* Commands */

static void
cmd_add(struct app *a, bool above, const char *arg)
{
	struct ot_op	*inv = NULL;
	size_t		 ninv = 0, cur = 0;
	enum nb_kind	 kind = NB_CODE;
	long		 idx;

	if (arg != NULL && nb_kind_parse(arg, &kind) != 0) {
		app_msg(a, true, "add: code, markdown or raw?");
		return;
	}
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

struct run_ctx {
	struct app	*a;
	char		**ids;
	size_t		 n;
};

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
	if (app_call(a, "cell.run", pack_run, &r, NULL, &err) != 0)
		app_msg(a, true, "run: %s", err.msg);
	else {
		for (size_t i = 0; i < r.n; i++) {
			size_t	 idx;

			if (nb_doc_find(a->doc, r.ids[i], &idx) != NULL &&
			    strcmp(a->running, r.ids[i]) != 0)
				view_set_run(a->view, idx, VIEW_RUN_QUEUED, -1);
		}
		a->queued += (int)r.n;
		a->msg[0] = '\0';
	}
	for (size_t i = 0; i < r.n; i++)
		free(r.ids[i]);
	free(r.ids);
}

static void
cmd_run(struct app *a, const char *arg, bool next, bool insert)
{
	size_t	 lo, hi, cur, n = nb_doc_count(a->doc);

	if (app_cur_cell(a, &cur) == NULL)
		return;
	if (a->mode == KEYMAP_INSERT && !next && !insert)
		app_insert_leave(a);
	if (arg != NULL && strcmp(arg, "all") == 0)
		run_range(a, 0, n - 1);
	else if (arg != NULL && strcmp(arg, "above") == 0) {
		if (cur > 0)
			run_range(a, 0, cur - 1);
	} else if (arg != NULL && strcmp(arg, "below") == 0)
		run_range(a, cur, n - 1);
	else if (arg != NULL && *arg) {
		app_msg(a, true, "run: all, above or below?");
		return;
	} else {
		if (!app_target_range(a, &lo, &hi))
			return;
		run_range(a, lo, hi);
		app_csel_clear(a);
	}
	if (insert || (next && cur + 1 >= nb_doc_count(a->doc))) {
		bool	 was_insert = a->mode == KEYMAP_INSERT;

		if (was_insert)
			app_insert_leave(a);
		view_set_cursor(a->view, cur);
		cmd_add(a, false, NULL);
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
}

static void
cmd_interrupt(struct app *a)
{
	struct gl_err	 err = { 0 };

	if (a->running[0] == '\0') {
		app_msg(a, false, "nothing is running");
		return;
	}
	if (app_call(a, "cell.interrupt", NULL, NULL, NULL, &err) != 0) {
		app_msg(a, true, "interrupt: %s", err.msg);
		return;
	}
	if (a->interrupt_ms > 0 && a->now - a->interrupt_ms < INTERRUPT_MS)
		app_msg(a, true, "interrupted again: the runtime is killed "
		    "and restarted");
	else
		app_msg(a, false, "interrupting [%s] (Ctrl-C again kills the "
		    "runtime)", a->running);
	a->interrupt_ms = a->now;
}

static void
open_pager(struct app *a)
{
	struct gl_buf	 b;

	gl_buf_init(&b);
	keymap_help(a->km, &b);
	free(a->pager);
	a->pager = gl_buf_take(&b, NULL);
	a->pager_scroll = 0;
	if (a->mode != KEYMAP_PAGER)
		a->pager_return = a->mode == KEYMAP_CMDLINE ? a->cl_return :
		    a->mode;
	a->mode = KEYMAP_PAGER;
}

static void
pack_empty(msgpack_packer *pk, void *ctx)
{
	(void)ctx;
	msgpack_pack_map(pk, 0);
}

static void
pack_scale(msgpack_packer *pk, void *ctx)
{
	msgpack_pack_map(pk, 1);
	rpc_pack_kv_int(pk, "n", *(int64_t *)ctx);
}

/* :scale N, +N, -N. A relative count starts from the workers up and
 * starting in the last cluster.status (asked for now if there is none). */
static void
cmd_scale(struct app *a, const char *arg)
{
	struct rpc_msg	 resp;
	struct gl_err	 err = { 0 };
	char		*end;
	long		 k;
	int64_t		 n;
	int		 rc;
	bool		 rel = arg != NULL && (*arg == '+' || *arg == '-');

	if (arg == NULL || (k = strtol(arg, &end, 10), *end != '\0') ||
	    end == arg || (!rel && k < 0) || k > 100000 || k < -100000) {
		app_msg(a, true, "scale: a number of workers (4), or +N / -N");
		return;
	}
	n = k;
	if (rel) {
		if (!a->clu_have || !app_cluster_shown(a)) {
			if ((rc = app_call(a, "cluster.status", pack_empty,
			    NULL, &resp, &err)) != 0) {
				if (app_no_method(rc, &err))
					app_msg(a, true, "scale: this kernel "
					    "has no cluster service");
				else
					app_msg(a, true, "scale: %s", err.msg);
				return;
			}
			a->now = app_now_ms();
			app_cluster_answer(a, 0, &resp, &err);
			rpc_msg_fini(&resp);
			if (!a->clu_have) {
				app_msg(a, true, "scale: %s", a->clu_note);
				return;
			}
		}
		n = (int64_t)view_cluster_count(&a->clu) + k;
		if (n < 0)
			n = 0;
	}
	if ((rc = app_call(a, "cluster.scale", pack_scale, &n, &resp,
	    &err)) != 0) {
		if (app_no_method(rc, &err))
			app_msg(a, true, "scale: this kernel has no cluster "
			    "service");
		else
			app_msg(a, true, "scale: %s", err.msg);
		return;
	}
	rpc_msg_fini(&resp);
	app_msg(a, false, "asked the cluster for %" PRId64 " worker%s", n,
	    n == 1 ? "" : "s");
	a->clu_next = 0;	/* show the change soon */
}

static void
cluster_command(struct app *a, const char *name, const char *arg)
{
	int	 n = arg && *arg ? atoi(arg) : 1;

	if (strcmp(name, "cv-down") == 0)
		a->clu_scroll += n;
	else if (strcmp(name, "cv-up") == 0)
		a->clu_scroll -= n;
	else if (strcmp(name, "cv-refresh") == 0) {
		a->clu_nosvc = false;
		a->clu_next = 0;
	} else if (strcmp(name, "cv-close") == 0)
		a->mode = a->clu_return;
}

/* A list of distinct completions. */
struct comps {
	char		**v;
	size_t		 n;
};

static void
comp_add(struct comps *c, const char *s)
{
	for (size_t i = 0; i < c->n; i++)
		if (strcmp(c->v[i], s) == 0)
			return;
	c->v = xrealloc(c->v, (c->n + 1) * sizeof *c->v);
	c->v[c->n++] = xstrdup(s);
}

static void
complete(struct app *a, bool back)
{
	static const char *const run_args[] = { "all", "above", "below" };
	static const char *const opts[] = { "fold_lines", "indent", "tabstop",
	    "autosave", "ascii", "mouse" };
	static const char *const kinds[] = { "code", "markdown", "raw" };
	static const char *const edits[] = { "start", "end" };
	static const char *const modes[] = { "normal", "insert", "cmdline",
	    "pager", "cluster" };
	const char	*line = cmdline_text(&a->cl);
	size_t		 ws, ncmd;
	const struct keymap_cmd *cmds;
	char		 word[128], first[64];
	struct gl_buf	 show;
	struct comps	 c = { NULL, 0 };

	if (cmdline_complete_next(&a->cl, back))
		return;
	cmdline_complete_end(&a->cl);
	ws = cmdline_word_start(&a->cl);
	snprintf(word, sizeof word, "%.*s", (int)(a->cl.cur - ws), line + ws);
	snprintf(first, sizeof first, "%.*s", (int)strcspn(line, " "), line);
	if (ws == 0) {
		cmds = keymap_commands(&ncmd);
		for (size_t i = 0; i < ncmd; i++)
			if (strncmp(cmds[i].name, word, strlen(word)) == 0 &&
			    strncmp(cmds[i].name, "cl-", 3) != 0 &&
			    strncmp(cmds[i].name, "pg-", 3) != 0 &&
			    strncmp(cmds[i].name, "cv-", 3) != 0)
				comp_add(&c, cmds[i].name);
	} else {
		const char *const *list = NULL;
		size_t	 n = 0;

		if (strcmp(first, "run") == 0) {
			list = run_args;
			n = 3;
		} else if (strcmp(first, "set") == 0) {
			list = opts;
			n = 6;
		} else if (strncmp(first, "add-", 4) == 0) {
			list = kinds;
			n = 3;
		} else if (strcmp(first, "edit") == 0) {
			list = edits;
			n = 2;
		} else if (strcmp(first, "map") == 0) {
			list = modes;
			n = 5;
		} else if (strcmp(first, "goto") == 0) {
			for (size_t i = 0; i < nb_doc_count(a->doc) &&
			    c.n < 200; i++) {
				const char *id = nb_cell_id(nb_doc_cell(a->doc,
				    i));

				if (strncmp(id, word, strlen(word)) == 0)
					comp_add(&c, id);
			}
		}
		for (size_t i = 0; i < n; i++)
			if (strncmp(list[i], word, strlen(word)) == 0)
				comp_add(&c, list[i]);
	}
	if (c.n == 0) {
		app_msg(a, true, "no completion for '%s'", word);
		return;
	}
	cmdline_complete_start(&a->cl, c.v, c.n, ws, back);
	if (c.n > 1) {
		gl_buf_init(&show);
		for (size_t i = 0; i < c.n && show.len < 400; i++)
			gl_buf_addf(&show, "%s%s", i ? "  " : "", c.v[i]);
		app_msg(a, false, "%s", show.data);
		gl_buf_fini(&show);
	}
}

static void
open_cmdline(struct app *a)
{
	a->cl_return = a->mode == KEYMAP_INSERT || a->mode == KEYMAP_CLUSTER ?
	    a->mode : KEYMAP_NORMAL;
	a->mode = KEYMAP_CMDLINE;
	cmdline_open(&a->cl);
	a->msg[0] = '\0';
}

static void
cmdline_command(struct app *a, const char *name, const char *arg)
{
	static const struct {
		const char	*name;
		enum cmdline_move m;
	} moves[] = {
		{ "left", CMDLINE_LEFT }, { "right", CMDLINE_RIGHT },
		{ "home", CMDLINE_HOME }, { "end", CMDLINE_END },
		{ "word-left", CMDLINE_WORD_LEFT },
		{ "word-right", CMDLINE_WORD_RIGHT },
	};

	if (strcmp(name, "cl-complete") != 0 &&
	    strcmp(name, "cl-complete-back") != 0)
		cmdline_complete_end(&a->cl);
	if (strcmp(name, "cl-exec") == 0) {
		char	*line = xstrdup(cmdline_text(&a->cl));

		cmdline_history_push(&a->cl, line);
		a->mode = a->cl_return;
		app_exec(a, line);
		free(line);
	} else if (strcmp(name, "cl-cancel") == 0) {
		a->mode = a->cl_return;
	} else if (strcmp(name, "cl-complete") == 0) {
		complete(a, false);
	} else if (strcmp(name, "cl-complete-back") == 0) {
		complete(a, true);
	} else if (strcmp(name, "cl-history-up") == 0) {
		cmdline_history_up(&a->cl);
	} else if (strcmp(name, "cl-history-down") == 0) {
		cmdline_history_down(&a->cl);
	} else if (strcmp(name, "cl-move") == 0) {
		for (size_t i = 0; i < sizeof moves / sizeof moves[0]; i++)
			if (strcmp(arg, moves[i].name) == 0)
				cmdline_move(&a->cl, moves[i].m);
	} else if (strcmp(name, "cl-backspace") == 0) {
		if (!cmdline_backspace(&a->cl))
			a->mode = a->cl_return;
	} else if (strcmp(name, "cl-delete") == 0) {
		cmdline_delete(&a->cl);
	} else if (strcmp(name, "cl-delete-word") == 0) {
		cmdline_delete_word(&a->cl);
	} else if (strcmp(name, "cl-clear") == 0) {
		cmdline_clear(&a->cl);
	}
}

static void
pager_command(struct app *a, const char *name, const char *arg)
{
	int	 n = arg && *arg ? atoi(arg) : 1;

	if (strcmp(name, "pg-down") == 0)
		a->pager_scroll += n;
	else if (strcmp(name, "pg-up") == 0)
		a->pager_scroll -= n;
	else if (strcmp(name, "pg-top") == 0)
		a->pager_scroll = 0;
	else if (strcmp(name, "pg-bottom") == 0)
		a->pager_scroll = 1 << 20;
	else if (strcmp(name, "pg-close") == 0)
		a->mode = a->pager_return;
}

static int
ed_dir(const char *s)
{
	static const char *const names[] = { "left", "right", "up", "down",
	    "word-left", "word-right", "home", "end", "top", "bottom",
	    "page-up", "page-down" };

	for (int i = 0; i < 12; i++)
		if (s != NULL && strcmp(s, names[i]) == 0)
			return i;
	return -1;
}

static void
ed_command(struct app *a, const char *name, const char *arg)
{
	size_t		 idx, len, before;
	struct nb_cell	*c = nb_doc_find(a->doc, a->ed.id, &idx);
	const char	*src;
	struct ot_op	 op;
	bool		 ok = false;
	enum sync_group	 kind = SYNC_G_OTHER;

	if (c == NULL) {
		app_insert_leave(a);
		return;
	}
	src = nb_cell_source(c, &len);
	ed_clamp(&a->ed, src, len);
	before = a->ed.cur;
	if (strcmp(name, "ed-move") == 0 || strcmp(name, "ed-select") == 0) {
		int	 d = ed_dir(arg);
		bool	 ext = name[3] == 's';

		if (d < 0) {
			app_msg(a, true, "%s: which direction?", name);
			return;
		}
		sync_break(a->sync);
		if (!ed_move(&a->ed, src, len, (enum ed_move)d, ext) && !ext &&
		    (d == ED_UP || d == ED_DOWN)) {
			/* Off the top or bottom: into the next cell. */
			if (d == ED_UP && idx > 0) {
				size_t	 plen;

				nb_cell_source(nb_doc_cell(a->doc, idx - 1),
				    &plen);
				app_insert_leave(a);
				app_insert_enter(a, idx - 1, plen);
			} else if (d == ED_DOWN && idx + 1 < nb_doc_count(a->doc)) {
				app_insert_leave(a);
				app_insert_enter(a, idx + 1, 0);
			}
		}
		return;
	}
	if (strcmp(name, "ed-newline") == 0) {
		ok = ed_newline(&a->ed, src, len, &op);
		kind = SYNC_G_TYPE;
	} else if (strcmp(name, "ed-backspace") == 0) {
		ok = ed_backspace(&a->ed, src, len, &op);
		kind = SYNC_G_DELETE;
	} else if (strcmp(name, "ed-delete") == 0) {
		ok = ed_delete(&a->ed, src, len, &op);
		kind = SYNC_G_DELETE;
	} else if (strcmp(name, "ed-delete-word") == 0) {
		ok = ed_delete_word(&a->ed, src, len, &op);
		kind = SYNC_G_DELETE;
	} else if (strcmp(name, "ed-kill-line") == 0) {
		char	*cut;
		size_t	 le = a->ed.cur;

		while (le < len && src[le] != '\n')
			le++;
		cut = xstrndup(src + a->ed.cur, le - a->ed.cur);
		if (*cut) {
			free(a->textclip);
			a->textclip = cut;
		} else
			free(cut);
		ok = ed_kill_line(&a->ed, src, len, &op);
	} else if (strcmp(name, "ed-indent") == 0) {
		ok = ed_tab(&a->ed, src, len, false, &op);
	} else if (strcmp(name, "ed-dedent") == 0) {
		ok = ed_tab(&a->ed, src, len, true, &op);
	} else if (strcmp(name, "ed-select-all") == 0) {
		ed_select_all(&a->ed, len);
		return;
	} else if (strcmp(name, "ed-copy") == 0 || strcmp(name, "ed-cut") == 0) {
		char	*t = ed_copy(&a->ed, src, len);

		if (t == NULL) {
			app_msg(a, false, "select text first (Shift and the "
			    "arrows)");
			return;
		}
		free(a->textclip);
		a->textclip = t;
		if (name[3] == 'c' && name[4] == 'o') {
			ed_select_none(&a->ed);
			app_msg(a, false, "copied %zu bytes", strlen(t));
			return;
		}
		ok = ed_delete(&a->ed, src, len, &op);
		kind = SYNC_G_OTHER;
	} else if (strcmp(name, "ed-paste") == 0) {
		if (a->textclip == NULL) {
			app_msg(a, false, "nothing copied yet");
			return;
		}
		ok = ed_paste(&a->ed, src, len, a->textclip,
		    strlen(a->textclip), &op);
		sync_break(a->sync);
	}
	if (ok)
		(void)app_change(a, &op, kind, before);
}

static void
cmd_goto(struct app *a, const char *arg)
{
	size_t	 idx;
	char	*end;
	long	 n;

	if (arg == NULL || *arg == '\0') {
		app_msg(a, true, "goto: a cell number or id");
		return;
	}
	n = strtol(arg, &end, 10);
	if (*end == '\0' && n >= 1 && (size_t)n <= nb_doc_count(a->doc))
		idx = (size_t)n - 1;
	else if (nb_doc_find(a->doc, arg, &idx) == NULL) {
		app_msg(a, true, "goto: no cell %s", arg);
		return;
	}
	view_set_cursor(a->view, idx);
}

static void
cmd_set(struct app *a, const char *arg)
{
	char		 name[64];
	const char	*val;
	struct gl_err	 err = { 0 };
	const struct keymap_config *cfg;
	struct view_opts vo;

	if (arg == NULL || sscanf(arg, "%63s", name) != 1 ||
	    (val = strchr(arg, ' ')) == NULL) {
		app_msg(a, true, "set: OPTION VALUE");
		return;
	}
	while (*val == ' ')
		val++;
	if (keymap_set_option(a->km, name, val, &err) != 0) {
		app_msg(a, true, "set: %s", err.msg);
		return;
	}
	cfg = keymap_config(a->km);
	app_view_opts(cfg, &vo);
	view_set_opts(a->view, &vo);
	a->ed.indent = cfg->indent;
	a->ed.tab = cfg->tab;
	if (a->term_on)
		term_mouse(cfg->mouse);
	app_msg(a, false, "%s = %s", name, val);
}

static void
cmd_map(struct app *a, const char *arg)
{
	char		 mode[16], keys[64];
	int		 n = 0, m;
	struct gl_err	 err = { 0 };

	if (arg == NULL || sscanf(arg, "%15s %63s %n", mode, keys, &n) < 2 ||
	    n == 0) {
		app_msg(a, true, "map: MODE KEYS COMMAND");
		return;
	}
	if ((m = keymap_mode_parse(mode)) < 0) {
		app_msg(a, true, "map: no mode %s", mode);
		return;
	}
	if (keymap_set(a->km, (enum keymap_mode)m, keys, arg + n, &err) != 0)
		app_msg(a, true, "map: %s", err.msg);
	else
		app_msg(a, false, "%s %s: %s", mode, keys, arg + n);
}

void
app_exec(struct app *a, const char *line)
{
	char		 name[64];
	const char	*arg;
	size_t		 lo, hi, cur = 0, n = nb_doc_count(a->doc);
	int		 k;

	while (*line == ' ' || *line == ':')
		line++;
	if (*line == '\0')
		return;
	snprintf(name, sizeof name, "%.*s", (int)strcspn(line, " "), line);
	arg = line + strcspn(line, " ");
	while (*arg == ' ')
		arg++;
	if (*arg == '\0')
		arg = NULL;
	if (keymap_command_find(name) == NULL && strcmp(name, "w!") != 0 &&
	    strcmp(name, "write!") != 0) {
		app_msg(a, true, "unknown command: %s (:help lists them)", name);
		return;
	}
	app_cur_cell(a, &cur);
	if (strncmp(name, "cl-", 3) == 0) {
		if (a->mode == KEYMAP_CMDLINE)
			cmdline_command(a, name, arg ? arg : "");
		return;
	}
	if (strncmp(name, "pg-", 3) == 0) {
		if (a->mode == KEYMAP_PAGER)
			pager_command(a, name, arg ? arg : "");
		return;
	}
	if (strncmp(name, "ed-", 3) == 0) {
		if (a->mode == KEYMAP_INSERT)
			ed_command(a, name, arg);
		return;
	}
	if (strncmp(name, "cv-", 3) == 0) {
		if (a->mode == KEYMAP_CLUSTER)
			cluster_command(a, name, arg ? arg : "");
		return;
	}
	if (strcmp(name, "down") == 0 || strcmp(name, "up") == 0) {
		app_csel_clear(a);
		if (name[0] == 'd' && cur + 1 < n)
			view_set_cursor(a->view, cur + 1);
		else if (name[0] == 'u' && cur > 0)
			view_set_cursor(a->view, cur - 1);
	} else if (strcmp(name, "first") == 0) {
		app_csel_clear(a);
		view_set_cursor(a->view, 0);
	} else if (strcmp(name, "last") == 0) {
		app_csel_clear(a);
		if (n > 0)
			view_set_cursor(a->view, n - 1);
	} else if (strcmp(name, "goto") == 0) {
		cmd_goto(a, arg);
	} else if (strcmp(name, "scroll-down") == 0 ||
	    strcmp(name, "scroll-up") == 0) {
		k = arg ? atoi(arg) : 1;
		view_scroll(a->view, a->doc, name[7] == 'd' ? k : -k);
	} else if (strcmp(name, "half-down") == 0 ||
	    strcmp(name, "half-up") == 0) {
		k = view_page_rows(a->view) / 2;
		view_scroll(a->view, a->doc, name[5] == 'd' ? k : -k);
	} else if (strcmp(name, "page-down") == 0 ||
	    strcmp(name, "page-up") == 0) {
		k = view_page_rows(a->view) - 1;
		view_scroll(a->view, a->doc, name[5] == 'd' ? k : -k);
	} else if (strcmp(name, "select-down") == 0 ||
	    strcmp(name, "select-up") == 0) {
		if (!a->csel) {
			a->csel = true;
			a->csel_anchor = cur;
		}
		if (name[7] == 'd' && cur + 1 < n)
			cur++;
		else if (name[7] == 'u' && cur > 0)
			cur--;
		view_set_cursor(a->view, cur);
		view_set_cell_sel(a->view, true, a->csel_anchor, cur);
	} else if (strcmp(name, "escape") == 0) {
		app_csel_clear(a);
		keymap_reset(a->km);
		a->msg[0] = '\0';
	} else if (strcmp(name, "run") == 0) {
		cmd_run(a, arg, false, false);
	} else if (strcmp(name, "run-next") == 0) {
		cmd_run(a, NULL, true, false);
	} else if (strcmp(name, "run-insert") == 0) {
		cmd_run(a, NULL, false, true);
	} else if (strcmp(name, "interrupt") == 0) {
		cmd_interrupt(a);
	} else if (strcmp(name, "cancel") == 0) {
		struct gl_err err = { 0 };

		if (app_call(a, "cell.cancel", NULL, NULL, NULL, &err) != 0)
			app_msg(a, true, "cancel: %s", err.msg);
		else
			app_msg(a, false, "dropped the queued runs");
	} else if (strcmp(name, "restart") == 0) {
		struct gl_err err = { 0 };

		if (app_call(a, "runtime.restart", NULL, NULL, NULL, &err) != 0)
			app_msg(a, true, "restart: %s", err.msg);
		else
			app_msg(a, false, "restarting the runtime (its "
			    "variables are gone)");
	} else if (strcmp(name, "add-above") == 0 ||
	    strcmp(name, "add-below") == 0) {
		cmd_add(a, name[4] == 'a', arg);
	} else if (strcmp(name, "delete") == 0 || strcmp(name, "cut") == 0) {
		if (app_target_range(a, &lo, &hi)) {
			if (name[0] == 'c')
				app_clip_copy(a, lo, hi);
			delete_cells(a, lo, hi, name[0] == 'c' ? "cut" :
			    "deleted");
		}
	} else if (strcmp(name, "copy") == 0) {
		if (app_target_range(a, &lo, &hi)) {
			app_clip_copy(a, lo, hi);
			app_csel_clear(a);
			app_msg(a, false, "copied %zu cell%s (p pastes)",
			    hi - lo + 1, hi > lo ? "s" : "");
		}
	} else if (strcmp(name, "paste-below") == 0 ||
	    strcmp(name, "paste-above") == 0) {
		paste_cells(a, name[6] == 'a');
	} else if (strcmp(name, "move-down") == 0) {
		move_cell(a, 1);
	} else if (strcmp(name, "move-up") == 0) {
		move_cell(a, -1);
	} else if (strcmp(name, "code") == 0) {
		set_kind(a, NB_CODE);
	} else if (strcmp(name, "markdown") == 0) {
		set_kind(a, NB_MARKDOWN);
	} else if (strcmp(name, "raw") == 0) {
		set_kind(a, NB_RAW);
	} else if (strcmp(name, "fold") == 0) {
		if (n > 0)
			app_msg(a, false, "%s", view_toggle_fold(a->view, cur) ?
			    "unfolded (o folds)" : "folded");
	} else if (strcmp(name, "undo") == 0) {
		app_undo(a, false);
	} else if (strcmp(name, "redo") == 0) {
		app_undo(a, true);
	} else if (strcmp(name, "edit") == 0) {
		size_t	 off = 0, len;

		if (n == 0)
			return;
		nb_cell_source(nb_doc_cell(a->doc, cur), &len);
		if (arg != NULL && strcmp(arg, "end") == 0)
			off = len;
		else if (arg == NULL && strcmp(a->last_id, nb_cell_id(
		    nb_doc_cell(a->doc, cur))) == 0)
			off = a->last_off;
		app_insert_enter(a, cur, off);
	} else if (strcmp(name, "normal") == 0) {
		app_insert_leave(a);
	} else if (strcmp(name, "write") == 0 || strcmp(name, "w") == 0) {
		app_save(a, false, false);
	} else if (strcmp(name, "w!") == 0 || strcmp(name, "write!") == 0) {
		app_save(a, true, false);
	} else if (strcmp(name, "quit") == 0 || strcmp(name, "q") == 0) {
		app_quit(a, false, false);
	} else if (strcmp(name, "q!") == 0) {
		app_quit(a, true, false);
	} else if (strcmp(name, "wq") == 0 || strcmp(name, "x") == 0) {
		app_quit(a, false, true);
	} else if (strcmp(name, "help") == 0) {
		open_pager(a);
	} else if (strcmp(name, "cluster") == 0) {
		app_cluster_open(a);
	} else if (strcmp(name, "scale") == 0) {
		cmd_scale(a, arg);
	} else if (strcmp(name, "command") == 0) {
		open_cmdline(a);
	} else if (strcmp(name, "suspend") == 0) {
		if (a->term_on) {
			term_suspend();
			term_size(&a->rows, &a->cols);
			view_grid_resize(&a->grid, a->rows, a->cols);
			draw_invalidate(a->draw);
		}
	} else if (strcmp(name, "redraw") == 0) {
		if (a->term_on)
			draw_invalidate(a->draw);
	} else if (strcmp(name, "set") == 0) {
		cmd_set(a, arg);
	} else if (strcmp(name, "map") == 0) {
		cmd_map(a, arg);
	}
}

/* ------------------------------------------------------------------ */
/* Painting and the loop */

static void
paint(struct app *a)
{
	struct view_status st;

	if (a->mode == KEYMAP_PAGER) {
		view_render_pager("galley help", a->pager, &a->pager_scroll,
		    &a->grid);
		draw_grid(a->draw, &a->grid);
		return;
	}
	if (app_cluster_shown(a)) {
		struct view_cluster_screen cs;

		memset(&cs, 0, sizeof cs);
		cs.note = a->clu_note[0] ? a->clu_note : NULL;
		cs.loading = a->clu_req != 0;
		cs.msg = a->msg[0] ? a->msg : NULL;
		cs.msg_error = a->msg_err;
		if (a->mode == KEYMAP_CMDLINE) {
			cs.cmdline = cmdline_text(&a->cl);
			cs.cmdline_cur = a->cl.cur;
		}
		cs.scroll = a->clu_scroll;
		cs.ascii = keymap_config(a->km)->ascii;
		view_cluster_render(a->clu_have ? &a->clu : NULL, &cs,
		    &a->grid);
		a->clu_scroll = cs.scroll;
		draw_grid(a->draw, &a->grid);
		return;
	}
	app_status(a, &st);
	if (a->mode == KEYMAP_INSERT ||
	    (a->mode == KEYMAP_CMDLINE && a->cl_return == KEYMAP_INSERT)) {
		size_t	 idx, lo, hi;

		if (nb_doc_find(a->doc, a->ed.id, &idx) != NULL) {
			ed_selection(&a->ed, &lo, &hi);
			view_set_edit(a->view, (long)idx, a->ed.cur, lo, hi);
		} else
			view_set_edit(a->view, -1, 0, 0, 0);
	} else
		view_set_edit(a->view, -1, 0, 0, 0);
	view_render(a->view, a->doc, &st, a->now, &a->grid);
	draw_grid(a->draw, &a->grid);
}

static void
handle_signals(struct app *a)
{
	int	 sig = term_signals();

	if (sig & TERM_SIG_QUIT) {
		if (a->dirty && !a->lost)
			app_save(a, false, true);
		a->quit = true;
	}
	if (sig & TERM_SIG_TSTP)
		term_suspend();
	if (sig & (TERM_SIG_WINCH | TERM_SIG_TSTP | TERM_SIG_CONT)) {
		term_size(&a->rows, &a->cols);
		if (a->rows != a->grid.rows || a->cols != a->grid.cols)
			view_grid_resize(&a->grid, a->rows, a->cols);
		draw_invalidate(a->draw);
	}
}

static int
loop(struct app *a)
{
	char	 buf[4096];

	while (!a->quit) {
		struct pollfd	 p[3];
		int		 np = 0, timeout;
		int64_t		 next, d;
		struct input_ev	 ev;

		a->now = app_now_ms();
		paint(a);
		next = a->now + 1000;
		if ((d = input_deadline(a->input)) >= 0 && d < next)
			next = d;
		if (a->running[0] != '\0' && a->now + CLOCK_MS < next)
			next = a->now + CLOCK_MS;
		if (a->lost && a->retry_at < next)
			next = a->retry_at;
		if ((d = app_cluster_at(a)) < next)
			next = d;
		if ((d = app_autosave_at(a)) < next)
			next = d;
		timeout = next > a->now ? (int)(next - a->now) : 0;
		p[np++] = (struct pollfd){ .fd = STDIN_FILENO,
		    .events = POLLIN };
		p[np++] = (struct pollfd){ .fd = term_signal_fd(),
		    .events = POLLIN };
		if (!a->lost && a->conn != NULL)
			p[np++] = (struct pollfd){ .fd = cl_fd(a->conn),
			    .events = POLLIN };
		if (poll(p, (nfds_t)np, timeout) < 0 && errno != EINTR)
			return gl_err_from_errno(errno);
		a->now = app_now_ms();
		if (p[1].revents & POLLIN)
			handle_signals(a);
		if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			ssize_t	 n = read(STDIN_FILENO, buf, sizeof buf);

			if (n > 0)
				input_feed(a->input, buf, (size_t)n, a->now);
			else if (n == 0 ||
			    (errno != EINTR && errno != EAGAIN)) {
				/* The terminal went away. */
				if (a->dirty)
					app_save(a, false, true);
				a->quit = true;
			}
		}
		while (!a->quit && input_next(a->input, &ev, a->now) == 1)
			app_on_input(a, &ev);
		if (np == 3 && (p[2].revents & (POLLIN | POLLHUP | POLLERR))) {
			struct gl_err err = { 0 };

			if (cl_pump(a->conn, &err) != 0)
				app_conn_lost(a, err.msg);
		}
		app_drain(a);
		app_cluster_take(a);
		app_send_edits(a);
		app_cluster_poll(a);
		if (a->lost && !a->quit && a->now >= a->retry_at)
			app_reconnect(a);
		if (!a->lost && a->now - a->members_ms >= MEMBERS_MS)
			app_members_poll(a);
		app_autosave(a);
	}
	return 0;
}

char *
app_config_path(void)
{
	const char	*x = getenv("XDG_CONFIG_HOME");
	const char	*home = getenv("HOME");

	if (x != NULL && *x == '/')
		return xasprintf("%s/galley/init.lua", x);
	if (home != NULL && *home)
		return xasprintf("%s/.config/galley/init.lua", home);
	return NULL;
}

static void
app_free(struct app *a)
{
	app_kernel_close(a);
	app_clip_free(a);
	free(a->textclip);
	cmdline_fini(&a->cl);
	free(a->pager);
	view_cluster_fini(&a->clu);
	draw_free(a->draw);
	view_grid_fini(&a->grid);
	input_free(a->input);
	view_free(a->view);
	keymap_free(a->km);
	sync_free(a->sync);
	nb_doc_free(a->doc);
	free(a->session);
	free(a->abspath);
}

int
app_run(const struct app_opts *o, struct gl_err *err)
{
	struct app	 a;
	struct gl_err	 cerr = { 0 };
	struct term_opts to;
	struct view_opts vo;
	const struct keymap_config *cfg;
	char		*conf;
	int		 rc;

	memset(&a, 0, sizeof a);
	a.o = o;
	a.now = app_now_ms();
	gl_rng_seed_random(&a.rng);
	cmdline_init(&a.cl);
	view_cluster_init(&a.clu);
	a.km = keymap_new();
	conf = o->config ? xstrdup(o->config) : app_config_path();
	if (conf != NULL && keymap_load_lua(a.km, conf, &cerr) != 0)
		app_msg(&a, true, "%s", cerr.msg);
	free(conf);
	cfg = keymap_config(a.km);
	app_view_opts(cfg, &vo);
	a.view = view_new(&vo);
	a.input = input_new();
	if ((a.abspath = gl_path_abs(o->path, err)) == NULL) {
		rc = err ? err->code : GL_EINVAL;
		goto out;
	}
	if ((rc = app_open_session(&a, err)) != 0)
		goto out;
	memset(&to, 0, sizeof to);
	to.mouse = cfg->mouse;
	if ((rc = term_init(&to, err)) != 0)
		goto out;
	a.term_on = true;
	term_size(&a.rows, &a.cols);
	view_grid_init(&a.grid, a.rows, a.cols);
	a.draw = draw_new();
	a.mode = KEYMAP_NORMAL;
	a.members = 1;
	a.members_ms = a.now;
	a.save_tried_ms = a.now;
	if (a.msg[0] == '\0') {
		if (o->notice != NULL)
			app_msg(&a, false, "%s", o->notice);
		else
			app_msg(&a, false, "? help   i edit   Enter run   b "
			    "new cell   :w save   :q quit");
	}
	rc = loop(&a);
	if (rc != 0)
		gl_err_set(err, rc, "the terminal loop failed");
out:
	if (a.term_on)
		term_fini();
	app_free(&a);
	return rc;
}

/*
 * app.c - the notebook TUI's loop and painting.
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
 * reconnect (2 s; not after the kernel said it was stopped: then only
 * :connect), cluster.status while the cluster view is shown (1 s;
 * sent without waiting, its answer taken when it comes). Each pass
 * handles what came, then paints once.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client/client.h"
#include "core/err.h"
#include "core/mem.h"
#include "core/notebook.h"
#include "core/paths.h"
#include "core/util.h"
#include "lua/config.h"
#include "tui/app.h"
#include "tui/app_int.h"
#include "tui/cluview.h"
#include "tui/cmd.h"
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

void
app_view_opts(const struct keymap_config *cfg, struct view_opts *vo)
{
	memset(vo, 0, sizeof *vo);
	vo->fold_lines = cfg->fold_lines;
	vo->tab_source = cfg->tab;
	vo->ascii = cfg->ascii;
	vo->number = cfg->number;
}

void
app_exec(struct app *a, const char *line)
{
	app_exec_in(a, a->mode, line);
}

void
app_exec_in(struct app *a, enum keymap_mode mode, const char *line)
{
	struct gl_err	 err = { 0 };

	if (cmd_exec(a->cmds, a, mode, line, &err) != 0)
		app_msg(a, true, "%s", err.msg);
}

void
app_pager_take(struct app *a, const char *title, char *text, bool plain)
{
	free(a->pager);
	free(a->pager_title);
	a->pager = text;
	a->pager_title = title != NULL ? xstrdup(title) : NULL;
	a->pager_plain = plain;
	a->pager_scroll = 0;
	a->srch.pg_off = -1;
	if (a->mode != KEYMAP_PAGER)
		a->pager_return = a->mode == KEYMAP_CMDLINE ? a->cl_return :
		    a->mode;
	a->mode = KEYMAP_PAGER;
}

void
app_pager_open(struct app *a, const char *title, const char *text)
{
	app_pager_take(a, title, xstrdup(text), true);
}

/* ------------------------------------------------------------------ */
/* Painting and the loop */

static void
paint(struct app *a)
{
	struct view_status st;

	if (a->mode == KEYMAP_PAGER || (a->mode == KEYMAP_CMDLINE &&
	    a->cl_return == KEYMAP_PAGER)) {
		struct view_page pg = { .title = a->pager_title != NULL ?
		    a->pager_title : "galley help",
		    .text = a->pager, .scroll = &a->pager_scroll,
		    .plain = a->pager_plain, .m_off = -1 };

		if (a->srch.have && a->srch.hl) {
			pg.srch = &a->srch.pat;
			pg.m_off = a->srch.pg_off;
			pg.m_len = a->srch.len;
		}
		if (a->mode == KEYMAP_CMDLINE) {
			pg.cmdline = cmdline_text(&a->cl);
			pg.cmdline_cur = a->cl.cur;
			pg.cmdline_prompt = a->cl_prompt == '?' ? "?" : "/";
		} else if (a->msg[0] != '\0') {
			pg.msg = a->msg;
			pg.msg_error = a->msg_err;
		}
		view_render_page(&pg, &a->grid);
		draw_grid(a->draw, &a->grid);
		return;
	}
	if (app_review_shown(a)) {
		app_review_paint(a);
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
	app_pair_paint(a, &st);
	view_set_search(a->view, a->srch.have && a->srch.hl ? &a->srch.pat :
	    NULL, keymap_config(a->km)->search_outputs);
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
	{
		/* The completion menu or an inspection, at the editor's
		 * cursor or over the status line. */
		struct view_popup pp;

		if (app_complete_popup(a, a->grid.cur_visible ?
		    a->grid.cur_row : a->grid.rows - 2, a->grid.cur_visible ?
		    a->grid.cur_col : 0, &pp))
			view_render_popup(&pp, &a->grid);
		/* An invite to copy (:share), over everything. */
		if (app_pair_box(a, &pp))
			view_render_popup(&pp, &a->grid);
	}
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

		a->now = gl_now_ms();
		app_plugins_tick(a);
		paint(a);
		next = a->now + 1000;
		if ((d = app_plugins_due(a)) < next)
			next = d;
		if ((d = input_deadline(a->input)) >= 0 && d < next)
			next = d;
		if (a->running[0] != '\0' && a->now + CLOCK_MS < next)
			next = a->now + CLOCK_MS;
		if (a->lost && !a->stopped && a->retry_at < next)
			next = a->retry_at;
		if ((d = app_cluster_at(a)) < next)
			next = d;
		if ((d = app_complete_at(a)) < next)
			next = d;
		if ((d = app_autosave_at(a)) < next)
			next = d;
		timeout = next > a->now ? (int)(next - a->now) : 0;
		/* A call that waited for its answer (a cursor, a completion)
		 * may have read notifications off the socket: they will not
		 * wake poll, so take them now. */
		if (!a->lost && a->conn != NULL && cl_has_notify(a->conn))
			timeout = 0;
		/* The next page of a big notebook to ask for, or one a call
		 * took off the socket (tui/app-load.c). */
		if (a->loading && !a->lost && (a->load_req == 0 ||
		    a->load_stale || cl_has_response(a->conn, a->load_req)))
			timeout = 0;
		p[np++] = (struct pollfd){ .fd = STDIN_FILENO,
		    .events = POLLIN };
		p[np++] = (struct pollfd){ .fd = term_signal_fd(),
		    .events = POLLIN };
		if (!a->lost && a->conn != NULL)
			p[np++] = (struct pollfd){ .fd = cl_fd(a->conn),
			    .events = POLLIN };
		if (poll(p, (nfds_t)np, timeout) < 0 && errno != EINTR)
			return gl_err_from_errno(errno);
		a->now = gl_now_ms();
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
		/* A page before the notifications sent after it. */
		app_load_poll(a);
		app_drain(a);
		app_cluster_take(a);
		app_complete_take(a);
		app_send_edits(a);
		app_pair_cursor(a);
		app_cluster_poll(a);
		if (a->lost && !a->stopped && !a->quit &&
		    a->now >= a->retry_at)
			app_reconnect(a);
		if (!a->lost && a->now - a->members_ms >= MEMBERS_MS)
			app_members_poll(a);
		app_autosave(a);
	}
	return 0;
}

static void
app_free(struct app *a)
{
	app_kernel_close(a);
	app_review_free(a);
	app_clip_free(a);
	free(a->textclip);
	cmdline_fini(&a->cl);
	cmdline_fini(&a->cl_shist);
	app_search_fini(a);
	app_complete_fini(a);
	app_pair_fini(a);
	free(a->pager);
	free(a->pager_title);
	view_cluster_fini(&a->clu);
	draw_free(a->draw);
	view_grid_fini(&a->grid);
	input_free(a->input);
	view_free(a->view);
	keymap_free(a->km);
	cmd_table_free(a->cmds);
	app_plugins_free(a);
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
	int		 rc;

	memset(&a, 0, sizeof a);
	a.o = o;
	a.now = gl_now_ms();
	gl_rng_seed_random(&a.rng);
	cmdline_init(&a.cl);
	cmdline_init(&a.cl_shist);
	a.cl_prompt = ':';
	a.srch.pg_off = -1;
	gl_buf_init(&a.srch.text);
	pair_init(&a.pair);
	view_cluster_init(&a.clu);
	a.cmds = cmd_table_new();
	cmd_table_set_guard(a.cmds, app_pair_guard);
	a.km = keymap_new_with(a.cmds);
	a.input = input_new();
	if (o->path != NULL &&
	    (a.abspath = gl_path_abs(o->path, err)) == NULL) {
		rc = err ? err->code : GL_EINVAL;
		goto out;
	}
	/* The configuration files and the plugins (tui/plugins.c). */
	if (app_plugins_load(&a, &cerr) != 0)
		app_msg(&a, true, "%s", cerr.msg);
	cfg = keymap_config(a.km);
	app_view_opts(cfg, &vo);
	a.view = view_new(&vo);
	if (o->path == NULL && o->session == NULL) {
		/* `galley review` alone: the review mode, no notebook. */
		if ((rc = app_review_connect(&a, err)) != 0)
			goto out;
	} else {
		if ((rc = app_open_session(&a, err)) != 0)
			goto out;
		app_git_refresh(&a);
	}
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
	if (o->review != NULL && (rc = app_review_open(&a, o->review,
	    err)) != 0)
		goto out;
	if (a.msg[0] == '\0') {
		if (o->notice != NULL)
			app_msg(&a, false, "%s", o->notice);
		else
			app_msg(&a, false, "F1 help   i edit   Enter run   b "
			    "new cell   / search   :w save   :q quit");
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

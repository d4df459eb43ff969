/*
 * app.c - the notebook TUI: kernel session, loop, commands.
 *
 * Data flow. The kernel owns the notebook; the app keeps a local copy
 * (a struct nb_doc) that the view draws. A change the user makes is an
 * ot op: it is applied to the local doc at once (the screen never waits
 * for the kernel), queued in tui/sync.c and sent as doc.edit, one request
 * in flight at a time. Other clients' doc.ops are transformed there
 * against what the kernel has not acknowledged and applied; the view,
 * the editor's cursor and the undo history follow every applied op.
 *
 * Ordering. The client library hands out responses by id and
 * notifications in arrival order, so an ack and a doc.ops that came
 * around it are put back in order by version (sync_after_ack()): the ack
 * is taken as soon as it is queued and applied just before the first
 * doc.ops that came after it. Before anything that reads the kernel's
 * copy (cell.run, doc.save) every local edit is flushed and
 * acknowledged, so a cell runs the text the user sees.
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
#include "tui/cluview.h"
#include "tui/cmdline.h"
#include "tui/draw.h"
#include "tui/editor.h"
#include "tui/event.h"
#include "tui/input.h"
#include "tui/keymap.h"
#include "tui/sync.h"
#include "tui/term.h"
#include "tui/view.h"

#define CALL_MS		10000
#define FLUSH_MS	5000
#define CLOCK_MS	100
#define MEMBERS_MS	5000
#define RECONNECT_MS	2000
#define INTERRUPT_MS	3000
#define CLUSTER_MS	1000	/* cluster.status while the view is shown */
#define CLUSTER_FIRST_MS 300	/* the second answer, for CPU % */
#define INV_MAX		64

struct clip_cell {
	enum nb_kind	 kind;
	char		*source;	/* owned */
	size_t		 len;
	char		**meta;		/* owned: key, json, key, json, ... */
	size_t		 nmeta;
};

struct app {
	const struct app_opts *o;
	/* The kernel */
	struct cl_conn	*conn;
	char		*session;	/* owned */
	char		*abspath;	/* owned */
	char		 kernel[128];
	bool		 lost;
	int64_t		 retry_at;
	struct sync	*sync;
	uint32_t	 edit_req;	/* the doc.edit in flight, or 0 */
	bool		 have_ack;
	uint64_t	 ackv;
	/* What is shown */
	struct nb_doc	*doc;
	struct view	*view;
	struct keymap	*km;
	struct input	*input;
	struct view_grid grid;
	struct draw	*draw;
	struct gl_rng	 rng;
	enum keymap_mode mode;
	struct ed	 ed;		/* valid in KEYMAP_INSERT */
	char		 last_id[NB_ID_MAX + 1];
	size_t		 last_off;
	bool		 csel;		/* a cell selection */
	size_t		 csel_anchor;
	bool		 drag;		/* selecting text with the mouse */
	/* The command line */
	struct cmdline	 cl;
	enum keymap_mode cl_return;
	/* The help screen */
	char		*pager;		/* owned */
	int		 pager_scroll;
	enum keymap_mode pager_return;
	/* The cluster view */
	struct view_cluster clu;	/* the last cluster.status answer */
	bool		 clu_have;
	char		 clu_note[512];	/* shown instead of the table */
	bool		 clu_nosvc;	/* the kernel has no cluster service */
	uint32_t	 clu_req;	/* the cluster.status in flight, or 0 */
	int64_t		 clu_next;	/* when to ask again */
	int		 clu_scroll;
	enum keymap_mode clu_return;
	/* Clipboards */
	struct clip_cell *clip;		/* owned */
	size_t		 nclip;
	char		*textclip;	/* owned */
	/* State */
	bool		 dirty;
	char		 runtime[32];
	int		 members;
	char		 running[NB_ID_MAX + 1];
	int		 queued;
	char		 msg[512];
	bool		 msg_err;
	bool		 quit;
	int64_t		 now;
	int64_t		 last_edit_ms;
	int64_t		 save_tried_ms;
	int64_t		 members_ms;
	int64_t		 interrupt_ms;
	int		 rows, cols;
	bool		 term_on;
};

static int64_t	 now_ms(void);
static void	 app_msg(struct app *a, bool error, const char *fmt, ...)
		     __attribute__((format(printf, 3, 4)));
static void	 exec_line(struct app *a, const char *line);
static void	 drain(struct app *a);
static void	 conn_lost(struct app *a, const char *why);
static void	 leave_insert(struct app *a);
static bool	 flush_edits(struct app *a);
static int	 save(struct app *a, bool force, bool quiet);

/* ------------------------------------------------------------------ */
/* Small helpers */

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
app_msg(struct app *a, bool error, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(a->msg, sizeof a->msg, fmt, ap);
	va_end(ap);
	/* One line on the screen. */
	for (char *p = a->msg; *p; p++)
		if (*p == '\n' || *p == '\t')
			*p = ' ';
	a->msg_err = error;
}

static struct nb_cell *
cur_cell(struct app *a, size_t *idx)
{
	size_t	 i = view_cursor(a->view);

	if (nb_doc_count(a->doc) == 0)
		return NULL;
	if (i >= nb_doc_count(a->doc))
		i = nb_doc_count(a->doc) - 1;
	if (idx)
		*idx = i;
	return nb_doc_cell(a->doc, i);
}

static void
pack_session(msgpack_packer *pk, void *ctx)
{
	struct app	*a = ctx;

	msgpack_pack_map(pk, 1);
	rpc_pack_kv_str(pk, "session", a->session);
}

/* A request whose answer only matters as success or failure. */
static int
call(struct app *a, const char *method, void (*pack)(msgpack_packer *,
    void *), void *ctx, struct rpc_msg *resp, struct gl_err *err)
{
	struct rpc_msg	 tmp;
	int		 rc;

	if (a->lost || a->conn == NULL)
		return gl_err_set(err, GL_ECLOSED, "no kernel (reconnecting)");
	rc = cl_call(a->conn, method, pack ? pack : pack_session,
	    pack ? ctx : a, resp ? resp : &tmp, CALL_MS, err);
	if (rc == 0 && resp == NULL)
		rpc_msg_fini(&tmp);
	if (rc == GL_ECLOSED)
		conn_lost(a, err ? err->msg : "closed");
	return rc;
}

/* ------------------------------------------------------------------ */
/* The document from the kernel */

/* Outputs, stale flags and the running cell of a session.open or doc.get
 * reply (its outputs are taken). */
static void
load_cell_states(struct app *a, struct event_doc *d)
{
	a->running[0] = '\0';
	for (size_t k = 0; k < d->ncells; k++) {
		struct event_cell *c = &d->cells[k];
		size_t	 i;

		if (nb_doc_find(a->doc, c->id, &i) == NULL)
			continue;
		view_out_clear(a->view, i);
		for (size_t j = 0; j < c->nout; j++) {
			view_out_add(a->view, i, c->out[j]);
			c->out[j] = NULL;
		}
		view_set_stale(a->view, i, c->stale);
		if (c->running) {
			view_set_run(a->view, i, VIEW_RUN_RUNNING, a->now);
			snprintf(a->running, sizeof a->running, "%s", c->id);
		}
	}
}

/* ------------------------------------------------------------------ */
/* Edits */

static void
send_edits(struct app *a)
{
	const struct ot_op	*ops;
	struct rpc_writer	*w;
	struct gl_err		 err = { 0 };
	uint64_t		 v;
	uint32_t		 id;
	size_t			 n;

	if (a->lost || a->conn == NULL || a->edit_req != 0 || a->have_ack)
		return;
	if ((n = sync_take_send(a->sync, &ops, &v)) == 0)
		return;
	w = cl_begin(a->conn, "doc.edit", &id);
	msgpack_pack_map(&w->pk, 3);
	rpc_pack_kv_str(&w->pk, "session", a->session);
	rpc_pack_kv_int(&w->pk, "version", (int64_t)v);
	rpc_pack_key(&w->pk, "ops");
	msgpack_pack_array(&w->pk, n);
	for (size_t i = 0; i < n; i++)
		ot_encode(&w->pk, &ops[i]);
	if (cl_send(a->conn, &err) != 0) {
		conn_lost(a, err.msg);
		return;
	}
	a->edit_req = id;
}

static void
apply_ack(struct app *a)
{
	if (!a->have_ack)
		return;
	a->have_ack = false;
	sync_ack(a->sync, a->ackv);
	send_edits(a);
}

/* Reloads the doc from the kernel after an edit it refused. */
static void
resync(struct app *a, const char *why)
{
	struct rpc_msg	 resp;
	struct gl_err	 err = { 0 };
	struct event_doc d;

	a->edit_req = 0;
	a->have_ack = false;
	if (call(a, "doc.get", NULL, NULL, &resp, &err) != 0) {
		app_msg(a, true, "could not reload the notebook: %s", err.msg);
		return;
	}
	if (event_doc_decode(resp.result, &d, &err) == 0) {
		nb_doc_free(a->doc);
		a->doc = d.doc;
		d.doc = NULL;
		view_sync(a->view, a->doc);
		load_cell_states(a, &d);
		sync_reset(a->sync, d.version);
		if (d.dirty >= 0)
			a->dirty = d.dirty;
		if (a->mode == KEYMAP_INSERT &&
		    nb_doc_find(a->doc, a->ed.id, NULL) == NULL)
			leave_insert(a);
		app_msg(a, true, "the kernel refused an edit (%s); reloaded",
		    why);
	}
	event_doc_fini(&d);
	rpc_msg_fini(&resp);
}

/* Takes the answer to the doc.edit in flight if it is there (waiting up
 * to timeout ms). */
static void
take_ack(struct app *a, int timeout)
{
	struct rpc_msg	 resp;
	struct gl_err	 err = { 0 };
	int		 rc;

	if (a->edit_req == 0 || a->lost)
		return;
	rc = cl_wait(a->conn, a->edit_req, &resp, timeout, &err);
	if (rc == GL_ETIMEDOUT || rc == GL_EINTR)
		return;
	a->edit_req = 0;
	if (rc == 0) {
		rc = event_ack_decode(resp.result, &a->ackv, &err);
		rpc_msg_fini(&resp);
		if (rc == 0) {
			a->have_ack = true;
			return;
		}
	}
	if (rc == GL_ECLOSED) {
		conn_lost(a, err.msg);
		return;
	}
	resync(a, err.msg);
}

/* Applies op (made here) to the local doc and queues it; its inverse is
 * put before *inv (for undo). */
static int
apply_op(struct app *a, struct ot_op *op, struct ot_op **inv, size_t *ninv)
{
	struct ot_op	 one[INV_MAX];
	struct gl_err	 err = { 0 };
	size_t		 k = 0, idx;

	ot_op_locate(a->doc, op, NULL);
	if (inv != NULL)
		k = sync_invert(a->doc, op, one, INV_MAX);
	if (ot_apply(a->doc, op, &err) != 0) {
		for (size_t i = 0; i < k; i++)
			ot_op_fini(&one[i]);
		app_msg(a, true, "%s", err.msg);
		return err.code;
	}
	view_apply_op(a->view, a->doc, op);
	if (op->kind == OT_TEXT && nb_doc_find(a->doc, op->id, &idx) &&
	    view_out_count(a->view, idx) > 0)
		view_set_stale(a->view, idx, true);
	sync_local(a->sync, op);
	if (inv != NULL)
		sync_inv_prepend(inv, ninv, one, k);
	a->dirty = true;
	a->last_edit_ms = a->now;
	return 0;
}

/* One change of the user's: applied, sent, recorded for undo. */
static int
change(struct app *a, struct ot_op *op, enum sync_group kind, size_t offset)
{
	struct ot_op	*inv = NULL;
	size_t		 ninv = 0;
	char		 cell[NB_ID_MAX + 1];
	int		 rc;

	snprintf(cell, sizeof cell, "%s", op->id);
	rc = apply_op(a, op, &inv, &ninv);
	ot_op_fini(op);
	if (rc == 0)
		sync_push(a->sync, inv, ninv, kind, cell, offset, a->now);
	else
		free(inv);
	send_edits(a);
	return rc;
}

/* Applies the kernel's doc.ops (the event's ops are used up). */
static void
remote_ops(struct app *a, struct event *ev)
{
	struct ot_op	*ops = ev->u.ops.ops;
	uint64_t	 v = ev->u.ops.version;
	size_t		 n = ev->u.ops.n;

	take_ack(a, 0);
	if (a->have_ack && sync_after_ack(v, n, a->ackv))
		apply_ack(a);
	sync_remote(a->sync, ops, &n, v);
	/* sync_remote() may have dropped ops (no-ops): the event now holds
	 * the n left, which are finied here as they are applied. */
	ev->u.ops.n = 0;
	for (size_t i = 0; i < n; i++) {
		struct gl_err	 err = { 0 };
		size_t		 idx;

		if (ot_apply(a->doc, &ops[i], &err) != 0) {
			for (size_t j = i; j < n; j++)
				ot_op_fini(&ops[j]);
			resync(a, err.msg);
			return;
		}
		view_apply_op(a->view, a->doc, &ops[i]);
		if (ops[i].kind == OT_TEXT &&
		    nb_doc_find(a->doc, ops[i].id, &idx) &&
		    view_out_count(a->view, idx) > 0)
			view_set_stale(a->view, idx, true);
		if (a->mode == KEYMAP_INSERT) {
			ed_transform(&a->ed, &ops[i]);
			if (nb_doc_find(a->doc, a->ed.id, NULL) == NULL) {
				leave_insert(a);
				app_msg(a, true, "someone deleted the cell you "
				    "were editing");
			}
		}
		ot_op_fini(&ops[i]);
	}
	a->dirty = true;
}

/* Sends every local edit and waits until the kernel has them all. */
static bool
flush_edits(struct app *a)
{
	int64_t	 deadline = now_ms() + FLUSH_MS;

	while (!a->lost && (sync_pending(a->sync) || a->have_ack)) {
		int	 left = (int)(deadline - now_ms());

		if (left <= 0) {
			app_msg(a, true, "the kernel did not acknowledge the "
			    "last edits in %d s", FLUSH_MS / 1000);
			return false;
		}
		send_edits(a);
		take_ack(a, left);
		drain(a);
	}
	return !a->lost;
}

/* ------------------------------------------------------------------ */
/* Notifications */

/* cluster.progress: the bar under the cell (the running one if the cell
 * is not named), drawn even when no progress output comes with it. */
static void
cluster_progress(struct app *a, struct event *ev, bool have, size_t i)
{
	if (!have && (a->running[0] == '\0' ||
	    nb_doc_find(a->doc, a->running, &i) == NULL))
		return;
	view_out_add(a->view, i, ev->u.progress);
	ev->u.progress = NULL;
}

/* cell.done: the run state, its error (unless an error output already
 * shows it), and what the message line should say. */
static void
cell_done(struct app *a, struct event *ev, bool have, size_t i)
{
	enum view_run	 run = ev->u.done.run;

	if (strcmp(a->running, ev->cell) == 0)
		a->running[0] = '\0';
	else if (a->queued > 0 && run == VIEW_RUN_CANCELLED)
		a->queued--;
	if (!have)
		return;
	view_set_run(a->view, i, run, ev->u.done.elapsed_ms);
	if (ev->u.done.error != NULL) {
		bool	 shown = false;

		for (size_t k = 0; k < view_out_count(a->view, i); k++)
			shown |= view_out_get(a->view, i, k)->kind ==
			    VIEW_OUT_ERROR;
		if (!shown) {
			view_out_add(a->view, i, ev->u.done.error);
			ev->u.done.error = NULL;
		}
	}
	if ((run == VIEW_RUN_DIED || run == VIEW_RUN_CANCELLED) &&
	    ev->message != NULL && *ev->message)
		app_msg(a, run == VIEW_RUN_DIED, "[%s] %s: %s", ev->cell,
		    run == VIEW_RUN_DIED ? "died" : "cancelled", ev->message);
}

static void
on_event(struct app *a, struct event *ev)
{
	size_t		 i = 0;
	bool		 have;

	if (ev->kind == EVENT_REFUSED) {
		conn_lost(a, ev->message);
		return;
	}
	if (ev->kind == EVENT_NONE || a->session == NULL ||
	    strcmp(ev->session, a->session) != 0)
		return;
	have = ev->has_cell && nb_doc_find(a->doc, ev->cell, &i) != NULL;
	switch (ev->kind) {
	case EVENT_CELL_STARTED:
		if (!have)
			break;
		view_out_clear(a->view, i);
		view_set_stale(a->view, i, false);
		view_set_run(a->view, i, VIEW_RUN_RUNNING, a->now);
		snprintf(a->running, sizeof a->running, "%s", ev->cell);
		if (a->queued > 0)
			a->queued--;
		break;
	case EVENT_CELL_OUTPUT:
		if (!have)
			break;
		view_out_add(a->view, i, ev->u.output);
		ev->u.output = NULL;
		break;
	case EVENT_CELL_DONE:
		cell_done(a, ev, have, i);
		break;
	case EVENT_RUNTIME_STATUS:
		snprintf(a->runtime, sizeof a->runtime, "%s", ev->u.state);
		if (ev->message != NULL && *ev->message &&
		    strcmp(a->runtime, "idle") != 0 &&
		    strcmp(a->runtime, "busy") != 0)
			app_msg(a, strcmp(a->runtime, "dead") == 0,
			    "runtime %s: %s", a->runtime, ev->message);
		break;
	case EVENT_CLUSTER_PROGRESS:
		cluster_progress(a, ev, have, i);
		break;
	case EVENT_DOC_OPS:
		remote_ops(a, ev);
		break;
	case EVENT_DOC_SAVED:
		if (!sync_pending(a->sync))
			a->dirty = false;
		break;
	case EVENT_NONE:
	case EVENT_REFUSED:
		break;
	}
}

/* A notification: decoded, then handled. One the TUI cannot read is
 * shown; a doc.ops it cannot read means the local copy is behind. */
static void
on_notify(struct app *a, const struct rpc_msg *m)
{
	struct event	 ev;
	struct gl_err	 err = { 0 };

	if (event_decode(m, &ev, &err) == 0)
		on_event(a, &ev);
	else if (ev.session != NULL && a->session != NULL &&
	    strcmp(ev.session, a->session) != 0)
		;	/* another session's: not ours to read */
	else if (ev.kind == EVENT_DOC_OPS)
		resync(a, err.msg);
	else
		app_msg(a, true, "the kernel sent what this TUI cannot read: "
		    "%s", err.msg);
	event_fini(&ev);
}

/* Handles everything the kernel sent that is queued. */
static void
drain(struct app *a)
{
	struct rpc_msg	 m;
	struct gl_err	 err = { 0 };
	int		 rc;

	if (a->lost || a->conn == NULL)
		return;
	take_ack(a, 0);
	while (!a->lost && (rc = cl_next_notify(a->conn, &m, 0, &err)) == 1) {
		on_notify(a, &m);
		rpc_msg_fini(&m);
	}
	if (!a->lost && rc < 0 && rc != GL_EINTR && rc != GL_ETIMEDOUT)
		conn_lost(a, err.msg);
	if (!a->lost)
		apply_ack(a);
}

/* ------------------------------------------------------------------ */
/* Opening */

static void
pack_open(msgpack_packer *pk, void *ctx)
{
	struct app	*a = ctx;

	msgpack_pack_map(pk, 1);
	rpc_pack_kv_str(pk, "path", a->abspath);
}

static int
open_session(struct app *a, struct gl_err *err)
{
	struct cl_opts	 co;
	struct rpc_msg	 resp;
	struct event_doc d;
	char		 buf[128];
	int		 rc;

	cl_opts_init(&co);
	co.kernel = a->o->kernel;
	if ((rc = cl_connect(&co, &a->conn, err)) != 0)
		return rc;
	if ((rc = cl_call(a->conn, "session.open", pack_open, a, &resp,
	    CALL_MS, err)) != 0) {
		cl_close(a->conn);
		a->conn = NULL;
		return rc;
	}
	if ((rc = event_doc_decode(resp.result, &d, err)) != 0) {
		event_doc_fini(&d);
		rpc_msg_fini(&resp);
		cl_close(a->conn);
		a->conn = NULL;
		return rc;
	}
	free(a->session);
	a->session = d.session;
	d.session = NULL;
	nb_doc_free(a->doc);
	a->doc = d.doc;
	d.doc = NULL;
	if (a->sync == NULL)
		a->sync = sync_new(0);
	sync_reset(a->sync, d.version);
	a->dirty = d.dirty > 0;
	view_sync(a->view, a->doc);
	load_cell_states(a, &d);
	if (d.warning != NULL)
		app_msg(a, true, "%s", d.warning);
	else if (d.recovered > 0)
		app_msg(a, false, "recovered %" PRId64 " unsaved edits from "
		    "the journal", d.recovered);
	event_doc_fini(&d);
	rpc_msg_fini(&resp);
	snprintf(buf, sizeof buf, "%s", cl_addr(a->conn));
	if (strncmp(buf, "unix:", 5) == 0)
		snprintf(a->kernel, sizeof a->kernel, "local");
	else
		snprintf(a->kernel, sizeof a->kernel, "%s", buf);
	a->edit_req = 0;
	a->have_ack = false;
	a->lost = false;
	if (a->runtime[0] == '\0')
		snprintf(a->runtime, sizeof a->runtime, "%s",
		    a->running[0] ? "busy" : "idle");
	return 0;
}

static void
conn_lost(struct app *a, const char *why)
{
	if (a->lost)
		return;
	a->lost = true;
	a->retry_at = now_ms() + RECONNECT_MS;
	a->edit_req = 0;
	a->clu_req = 0;
	a->have_ack = false;
	snprintf(a->kernel, sizeof a->kernel, "lost");
	snprintf(a->runtime, sizeof a->runtime, "?");
	app_msg(a, true, "lost the kernel (%s); reconnecting... (:q! quits)",
	    why && *why ? why : "closed");
}

static void
reconnect(struct app *a)
{
	struct gl_err	 err = { 0 };
	bool		 pending = sync_pending(a->sync);

	a->retry_at = now_ms() + RECONNECT_MS;
	if (a->conn != NULL) {
		cl_close(a->conn);
		a->conn = NULL;
	}
	if (open_session(a, &err) != 0) {
		snprintf(a->kernel, sizeof a->kernel, "lost");
		a->lost = true;
		return;
	}
	if (a->mode == KEYMAP_INSERT && nb_doc_find(a->doc, a->ed.id, NULL) ==
	    NULL)
		leave_insert(a);
	app_msg(a, pending, "reconnected to the kernel%s", pending ?
	    "; the last unacknowledged edits were lost" : "");
}

/* ------------------------------------------------------------------ */
/* Cells */

static void
enter_insert(struct app *a, size_t idx, size_t off)
{
	struct nb_cell	*c = nb_doc_cell(a->doc, idx);
	size_t		 len;
	const char	*src = nb_cell_source(c, &len);
	const struct keymap_config *cfg = keymap_config(a->km);

	ed_init(&a->ed, nb_cell_id(c), off);
	a->ed.indent = cfg->indent;
	a->ed.tab = cfg->tab;
	/* Indent as the cell does: tabs if a line starts with one. */
	a->ed.use_tabs = (len > 0 && src[0] == '\t') ||
	    strstr(src, "\n\t") != NULL;
	ed_clamp(&a->ed, src, len);
	a->mode = KEYMAP_INSERT;
	a->csel = false;
	view_set_cell_sel(a->view, false, 0, 0);
	view_set_cursor(a->view, idx);
	sync_break(a->sync);
}

static void
leave_insert(struct app *a)
{
	if (a->mode != KEYMAP_INSERT)
		return;
	snprintf(a->last_id, sizeof a->last_id, "%s", a->ed.id);
	a->last_off = a->ed.cur;
	a->mode = KEYMAP_NORMAL;
	a->drag = false;
	sync_break(a->sync);
	view_set_edit(a->view, -1, 0, 0, 0);
}

/* Range of cells a command acts on: the selection or the current cell. */
static bool
target_range(struct app *a, size_t *lo, size_t *hi)
{
	size_t	 cur;

	if (cur_cell(a, &cur) == NULL)
		return false;
	if (a->csel) {
		*lo = a->csel_anchor < cur ? a->csel_anchor : cur;
		*hi = a->csel_anchor < cur ? cur : a->csel_anchor;
		if (*hi >= nb_doc_count(a->doc))
			*hi = nb_doc_count(a->doc) - 1;
	} else
		*lo = *hi = cur;
	return true;
}

static void
clear_csel(struct app *a)
{
	a->csel = false;
	view_set_cell_sel(a->view, false, 0, 0);
}

/* Inserts a cell at index (after a header cell at most) and returns its
 * index, or -1. inv collects the inverse. */
static long
insert_cell(struct app *a, size_t index, enum nb_kind kind, const char *src,
    size_t len, char **meta, size_t nmeta, struct ot_op **inv, size_t *ninv)
{
	struct ot_op	 op;
	size_t		 idx;

	if (index == 0 && nb_doc_count(a->doc) > 0 &&
	    nb_cell_is_header(nb_doc_cell(a->doc, 0)))
		index = 1;
	memset(&op, 0, sizeof op);
	op.kind = OT_INSERT_CELL;
	nb_id_generate(a->doc, &a->rng, op.id);
	op.index = index;
	op.cell_kind = kind;
	op.text = xstrndup(src ? src : "", src ? len : 0);
	if (apply_op(a, &op, inv, ninv) != 0) {
		ot_op_fini(&op);
		return -1;
	}
	for (size_t k = 0; k + 1 < nmeta * 2; k += 2) {
		struct ot_op	 m;

		memset(&m, 0, sizeof m);
		m.kind = OT_SET_META;
		memcpy(m.id, op.id, sizeof m.id);
		m.key = xstrdup(meta[k]);
		m.text = xstrdup(meta[k + 1]);
		(void)apply_op(a, &m, inv, ninv);
		ot_op_fini(&m);
	}
	nb_doc_find(a->doc, op.id, &idx);
	ot_op_fini(&op);
	return (long)idx;
}

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
	cur_cell(a, &cur);
	clear_csel(a);
	idx = insert_cell(a, nb_doc_count(a->doc) == 0 ? 0 :
	    above ? cur : cur + 1, kind, "", 0, NULL, 0, &inv, &ninv);
	if (idx < 0) {
		free(inv);
		return;
	}
	sync_push(a->sync, inv, ninv, SYNC_G_OTHER,
	    nb_cell_id(nb_doc_cell(a->doc, (size_t)idx)), 0, a->now);
	send_edits(a);
	if (a->mode == KEYMAP_INSERT)
		leave_insert(a);
	enter_insert(a, (size_t)idx, 0);
}

static void
copy_cells(struct app *a, size_t lo, size_t hi)
{
	for (size_t i = 0; i < a->nclip; i++) {
		free(a->clip[i].source);
		for (size_t k = 0; k < a->clip[i].nmeta * 2; k++)
			free(a->clip[i].meta[k]);
		free(a->clip[i].meta);
	}
	free(a->clip);
	a->nclip = hi - lo + 1;
	a->clip = xcalloc(a->nclip, sizeof *a->clip);
	for (size_t i = lo; i <= hi; i++) {
		struct nb_cell	*c = nb_doc_cell(a->doc, i);
		struct clip_cell *k = &a->clip[i - lo];
		const char	*src = nb_cell_source(c, &k->len);

		k->kind = nb_cell_kind(c);
		k->source = xstrndup(src, k->len);
		k->meta = xcalloc(nb_cell_meta_count(c) * 2 + 1,
		    sizeof *k->meta);
		for (size_t m = 0; m < nb_cell_meta_count(c); m++) {
			const char *key, *json;

			nb_cell_meta_at(c, m, &key, &json);
			if (strcmp(key, "id") == 0)
				continue;
			k->meta[k->nmeta * 2] = xstrdup(key);
			k->meta[k->nmeta * 2 + 1] = xstrdup(json);
			k->nmeta++;
		}
	}
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
			leave_insert(a);
		if (apply_op(a, &op, &inv, &ninv) == 0)
			n++;
		ot_op_fini(&op);
	}
	sync_push(a->sync, inv, ninv, SYNC_G_OTHER, first, 0, a->now);
	send_edits(a);
	clear_csel(a);
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
	cur_cell(a, &cur);
	at = nb_doc_count(a->doc) == 0 ? 0 : above ? cur : cur + 1;
	for (size_t i = 0; i < a->nclip; i++) {
		long idx = insert_cell(a, at + i, a->clip[i].kind,
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
	send_edits(a);
	app_msg(a, false, "pasted %zu cell%s", a->nclip,
	    a->nclip == 1 ? "" : "s");
}

static void
move_cell(struct app *a, int dir)
{
	struct ot_op	 op;
	size_t		 cur, n = nb_doc_count(a->doc);
	struct nb_cell	*c = cur_cell(a, &cur);
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
	clear_csel(a);
	if (change(a, &op, SYNC_G_OTHER, 0) == 0)
		view_set_cursor(a->view, dir < 0 ? cur - 1 : cur + 1);
}

static void
set_kind(struct app *a, enum nb_kind kind)
{
	struct ot_op	 op;
	size_t		 lo, hi;

	if (!target_range(a, &lo, &hi))
		return;
	for (size_t i = lo; i <= hi; i++) {
		struct nb_cell *c = nb_doc_cell(a->doc, i);

		if (nb_cell_is_header(c) || nb_cell_kind(c) == kind)
			continue;
		memset(&op, 0, sizeof op);
		op.kind = OT_SET_KIND;
		snprintf(op.id, sizeof op.id, "%s", nb_cell_id(c));
		op.cell_kind = kind;
		(void)change(a, &op, SYNC_G_OTHER, 0);
	}
}

struct outputs_ctx {
	struct app	*a;
	const char	*cell;
};

static void
pack_outputs(msgpack_packer *pk, void *ctx)
{
	struct outputs_ctx *o = ctx;

	msgpack_pack_map(pk, 2);
	rpc_pack_kv_str(pk, "session", o->a->session);
	rpc_pack_kv_str(pk, "cell", o->cell);
}

/* A cell that came back (undo of a delete) gets the outputs the kernel
 * still keeps for its id. */
static void
fetch_outputs(struct app *a, const char *id)
{
	struct outputs_ctx ctx = { a, id };
	struct rpc_msg	 resp;
	struct gl_err	 err = { 0 };
	struct event_cell c;
	size_t		 idx;

	if (!flush_edits(a) ||
	    call(a, "cell.outputs", pack_outputs, &ctx, &resp, &err) != 0)
		return;
	if (event_outputs_decode(resp.result, &c, &err) == 0 &&
	    nb_doc_find(a->doc, id, &idx) != NULL) {
		view_out_clear(a->view, idx);
		for (size_t j = 0; j < c.nout; j++) {
			view_out_add(a->view, idx, c.out[j]);
			c.out[j] = NULL;
		}
		view_set_stale(a->view, idx, c.stale);
	}
	event_cell_fini(&c);
	rpc_msg_fini(&resp);
}

/* Undo or redo one group. */
static void
undo_redo(struct app *a, bool redo)
{
	struct ot_op	*ops, *inv = NULL;
	size_t		 n, ninv = 0, off, idx, applied = 0;
	char		 cell[NB_ID_MAX + 1];

	if (!(redo ? sync_redo : sync_undo)(a->sync, &ops, &n, cell, &off)) {
		app_msg(a, false, "nothing to %s", redo ? "redo" : "undo");
		return;
	}
	for (size_t i = 0; i < n; i++) {
		if (apply_op(a, &ops[i], &inv, &ninv) == 0) {
			applied++;
			if (a->mode == KEYMAP_INSERT)
				ed_transform(&a->ed, &ops[i]);
		}
	}
	if (redo)
		sync_push_undo_keep(a->sync, inv, ninv, cell, off);
	else
		sync_push_redo(a->sync, inv, ninv, cell, off);
	send_edits(a);
	for (size_t i = 0; i < n; i++) {
		if (ops[i].kind == OT_INSERT_CELL &&
		    nb_doc_find(a->doc, ops[i].id, NULL) != NULL)
			fetch_outputs(a, ops[i].id);
		ot_op_fini(&ops[i]);
	}
	free(ops);
	if (nb_doc_find(a->doc, cell, &idx) != NULL) {
		if (a->mode == KEYMAP_INSERT && strcmp(cell, a->ed.id) == 0) {
			size_t		 len;
			const char	*src = nb_cell_source(nb_doc_cell(a->doc,
					    idx), &len);

			a->ed.cur = a->ed.anchor = off;
			a->ed.sel = false;
			ed_clamp(&a->ed, src, len);
		} else if (a->mode == KEYMAP_INSERT)
			leave_insert(a);
		view_set_cursor(a->view, idx);
	} else if (a->mode == KEYMAP_INSERT &&
	    nb_doc_find(a->doc, a->ed.id, NULL) == NULL)
		leave_insert(a);
	if (a->mode == KEYMAP_INSERT)
		sync_break(a->sync);
	if (applied < n)
		app_msg(a, true, "%s: %zu of %zu changes no longer apply",
		    redo ? "redo" : "undo", n - applied, n);
	else
		app_msg(a, false, "%s", redo ? "redone" : "undone");
}

/* ------------------------------------------------------------------ */
/* Running */

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
	if (!flush_edits(a))
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
	if (call(a, "cell.run", pack_run, &r, NULL, &err) != 0)
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

	if (cur_cell(a, &cur) == NULL)
		return;
	if (a->mode == KEYMAP_INSERT && !next && !insert)
		leave_insert(a);
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
		if (!target_range(a, &lo, &hi))
			return;
		run_range(a, lo, hi);
		clear_csel(a);
	}
	if (insert || (next && cur + 1 >= nb_doc_count(a->doc))) {
		bool	 was_insert = a->mode == KEYMAP_INSERT;

		if (was_insert)
			leave_insert(a);
		view_set_cursor(a->view, cur);
		cmd_add(a, false, NULL);
		if (!insert && !was_insert)
			leave_insert(a);
	} else if (next) {
		bool	 was_insert = a->mode == KEYMAP_INSERT;

		if (was_insert)
			leave_insert(a);
		view_set_cursor(a->view, cur + 1);
		if (was_insert)
			enter_insert(a, cur + 1, 0);
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
	if (call(a, "cell.interrupt", NULL, NULL, NULL, &err) != 0) {
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

/* ------------------------------------------------------------------ */
/* Saving and quitting */

static void
pack_save(msgpack_packer *pk, void *ctx)
{
	struct app	*a = ((void **)ctx)[0];
	bool		 force = ((void **)ctx)[1] != NULL;

	msgpack_pack_map(pk, force ? 2 : 1);
	rpc_pack_kv_str(pk, "session", a->session);
	if (force)
		rpc_pack_kv_bool(pk, "force", true);
}

static int
save(struct app *a, bool force, bool quiet)
{
	struct rpc_msg	 resp;
	struct gl_err	 err = { 0 };
	void		*ctx[2] = { a, force ? a : NULL };
	int		 rc;

	a->save_tried_ms = a->now;
	if (!flush_edits(a))
		return GL_ECLOSED;
	if ((rc = call(a, "doc.save", pack_save, ctx, &resp, &err)) != 0) {
		if (rc == GL_ECONFLICT)
			app_msg(a, true, "%s (:w! overwrites it)", err.msg);
		else
			app_msg(a, true, "not saved: %s", err.msg);
		return rc;
	}
	a->dirty = sync_pending(a->sync);
	if (!quiet)
		app_msg(a, false, "saved %s (%" PRId64 " bytes)", a->o->path,
		    event_save_bytes(resp.result));
	rpc_msg_fini(&resp);
	return 0;
}

static void
cmd_quit(struct app *a, bool force, bool write)
{
	const struct keymap_config *cfg = keymap_config(a->km);

	if (write || (!force && a->dirty && cfg->autosave > 0)) {
		if (save(a, false, true) != 0 && !force)
			return;
	}
	if (!force && !write && a->running[0] != '\0') {
		app_msg(a, true, "cell [%s] is running: Ctrl-C interrupts it, "
		    ":q! leaves it running in the kernel", a->running);
		return;
	}
	if (!force && a->dirty) {
		app_msg(a, true, "unsaved changes: :w saves, :wq saves and "
		    "quits, :q! quits without saving");
		return;
	}
	a->quit = true;
}

/* ------------------------------------------------------------------ */
/* The help screen and the command line */

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

/* ------------------------------------------------------------------ */
/* The cluster view */

static bool
cluster_shown(const struct app *a)
{
	return a->mode == KEYMAP_CLUSTER || (a->mode == KEYMAP_CMDLINE &&
	    a->cl_return == KEYMAP_CLUSTER);
}

/* True for the kernel's answer to a method it does not have. */
static bool
no_method(int rc, const struct gl_err *err)
{
	return rc == GL_EINVAL && strncmp(err->msg, "no method", 9) == 0;
}

/* Takes a cluster.status answer: the new state, or why there is none. */
static void
cluster_answer(struct app *a, int rc, struct rpc_msg *resp,
    const struct gl_err *err)
{
	struct view_cluster next;
	struct gl_err	 perr = { 0 };
	bool		 first = !a->clu_have;

	if (rc == 0) {
		if (view_cluster_parse(resp->result, a->clu_have ? &a->clu :
		    NULL, a->now, &next, &perr) == 0) {
			view_cluster_fini(&a->clu);
			a->clu = next;
			a->clu_have = true;
			a->clu_note[0] = '\0';
			/* A second answer soon, so CPU % shows early. */
			if (first)
				a->clu_next = a->now + CLUSTER_FIRST_MS;
		} else {
			view_cluster_fini(&next);
			snprintf(a->clu_note, sizeof a->clu_note, "%s",
			    perr.msg);
		}
		return;
	}
	if (no_method(rc, err) || rc == GL_EUNSUPPORTED) {
		/* An older kernel, or one built without the cluster: say so
		 * and stop asking. */
		a->clu_nosvc = true;
		view_cluster_fini(&a->clu);
		a->clu_have = false;
		snprintf(a->clu_note, sizeof a->clu_note, "This kernel has no "
		    "cluster service (it answered \"%.400s\"), so there are no "
		    "workers to show.", err->msg);
		return;
	}
	snprintf(a->clu_note, sizeof a->clu_note, "cluster.status failed: "
	    "%.450s", err->msg);
}

/* Takes the answer to the cluster.status in flight if it came (also after
 * the view closed, so that it does not stay queued). */
static void
cluster_take(struct app *a)
{
	struct rpc_msg	 resp;
	struct gl_err	 err = { 0 };
	int		 rc;

	if (a->clu_req == 0 || a->lost || a->conn == NULL)
		return;
	rc = cl_wait(a->conn, a->clu_req, &resp, 0, &err);
	if (rc == GL_ETIMEDOUT || rc == GL_EINTR)
		return;
	a->clu_req = 0;
	if (rc == GL_ECLOSED) {
		conn_lost(a, err.msg);
		return;
	}
	cluster_answer(a, rc, &resp, &err);
	if (rc == 0)
		rpc_msg_fini(&resp);
}

/* Asks for cluster.status once a second while the view is shown, one
 * request at a time, without waiting for the answer. */
static void
cluster_poll(struct app *a)
{
	struct rpc_writer *w;
	struct gl_err	 err = { 0 };
	uint32_t	 id;

	if (!cluster_shown(a) || a->clu_nosvc || a->clu_req != 0 ||
	    a->lost || a->conn == NULL || a->now < a->clu_next)
		return;
	w = cl_begin(a->conn, "cluster.status", &id);
	msgpack_pack_map(&w->pk, 0);
	if (cl_send(a->conn, &err) != 0) {
		conn_lost(a, err.msg);
		return;
	}
	a->clu_req = id;
	a->clu_next = a->now + CLUSTER_MS;
}

static void
open_cluster(struct app *a)
{
	if (a->mode == KEYMAP_CLUSTER)
		return;
	a->clu_return = a->mode == KEYMAP_CMDLINE ? a->cl_return :
	    a->mode == KEYMAP_PAGER ? a->pager_return : a->mode;
	if (a->clu_return == KEYMAP_CLUSTER)
		a->clu_return = KEYMAP_NORMAL;
	a->mode = KEYMAP_CLUSTER;
	/* Fresh figures each time (a kernel may have been replaced). */
	view_cluster_fini(&a->clu);
	a->clu_have = false;
	a->clu_nosvc = false;
	a->clu_note[0] = '\0';
	a->clu_next = 0;
	a->clu_scroll = 0;
	a->msg[0] = '\0';
	keymap_reset(a->km);
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
		if (!a->clu_have || !cluster_shown(a)) {
			if ((rc = call(a, "cluster.status", pack_empty, NULL,
			    &resp, &err)) != 0) {
				if (no_method(rc, &err))
					app_msg(a, true, "scale: this kernel "
					    "has no cluster service");
				else
					app_msg(a, true, "scale: %s", err.msg);
				return;
			}
			a->now = now_ms();
			cluster_answer(a, 0, &resp, &err);
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
	if ((rc = call(a, "cluster.scale", pack_scale, &n, &resp,
	    &err)) != 0) {
		if (no_method(rc, &err))
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
		exec_line(a, line);
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

/* ------------------------------------------------------------------ */
/* The editor */

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
		leave_insert(a);
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
				leave_insert(a);
				enter_insert(a, idx - 1, plen);
			} else if (d == ED_DOWN && idx + 1 < nb_doc_count(a->doc)) {
				leave_insert(a);
				enter_insert(a, idx + 1, 0);
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
		(void)change(a, &op, kind, before);
}

static void
type_text(struct app *a, const char *s, size_t n, bool paste)
{
	size_t		 idx, len, before;
	struct nb_cell	*c = nb_doc_find(a->doc, a->ed.id, &idx);
	const char	*src;
	struct ot_op	 op;
	bool		 ok;

	if (c == NULL) {
		leave_insert(a);
		return;
	}
	src = nb_cell_source(c, &len);
	ed_clamp(&a->ed, src, len);
	before = a->ed.cur;
	if (paste) {
		sync_break(a->sync);
		ok = ed_paste(&a->ed, src, len, s, n, &op);
	} else
		ok = ed_insert(&a->ed, src, len, s, n, &op);
	if (ok)
		(void)change(a, &op, paste ? SYNC_G_OTHER : SYNC_G_TYPE, before);
	if (paste)
		sync_break(a->sync);
}

/* ------------------------------------------------------------------ */
/* Commands */

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
	memset(&vo, 0, sizeof vo);
	vo.fold_lines = cfg->fold_lines;
	vo.tab_source = cfg->tab;
	vo.ascii = cfg->ascii;
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

static void
exec_line(struct app *a, const char *line)
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
	cur_cell(a, &cur);
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
		clear_csel(a);
		if (name[0] == 'd' && cur + 1 < n)
			view_set_cursor(a->view, cur + 1);
		else if (name[0] == 'u' && cur > 0)
			view_set_cursor(a->view, cur - 1);
	} else if (strcmp(name, "first") == 0) {
		clear_csel(a);
		view_set_cursor(a->view, 0);
	} else if (strcmp(name, "last") == 0) {
		clear_csel(a);
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
		clear_csel(a);
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

		if (call(a, "cell.cancel", NULL, NULL, NULL, &err) != 0)
			app_msg(a, true, "cancel: %s", err.msg);
		else
			app_msg(a, false, "dropped the queued runs");
	} else if (strcmp(name, "restart") == 0) {
		struct gl_err err = { 0 };

		if (call(a, "runtime.restart", NULL, NULL, NULL, &err) != 0)
			app_msg(a, true, "restart: %s", err.msg);
		else
			app_msg(a, false, "restarting the runtime (its "
			    "variables are gone)");
	} else if (strcmp(name, "add-above") == 0 ||
	    strcmp(name, "add-below") == 0) {
		cmd_add(a, name[4] == 'a', arg);
	} else if (strcmp(name, "delete") == 0 || strcmp(name, "cut") == 0) {
		if (target_range(a, &lo, &hi)) {
			if (name[0] == 'c')
				copy_cells(a, lo, hi);
			delete_cells(a, lo, hi, name[0] == 'c' ? "cut" :
			    "deleted");
		}
	} else if (strcmp(name, "copy") == 0) {
		if (target_range(a, &lo, &hi)) {
			copy_cells(a, lo, hi);
			clear_csel(a);
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
		undo_redo(a, false);
	} else if (strcmp(name, "redo") == 0) {
		undo_redo(a, true);
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
		enter_insert(a, cur, off);
	} else if (strcmp(name, "normal") == 0) {
		leave_insert(a);
	} else if (strcmp(name, "write") == 0 || strcmp(name, "w") == 0) {
		save(a, false, false);
	} else if (strcmp(name, "w!") == 0 || strcmp(name, "write!") == 0) {
		save(a, true, false);
	} else if (strcmp(name, "quit") == 0 || strcmp(name, "q") == 0) {
		cmd_quit(a, false, false);
	} else if (strcmp(name, "q!") == 0) {
		cmd_quit(a, true, false);
	} else if (strcmp(name, "wq") == 0 || strcmp(name, "x") == 0) {
		cmd_quit(a, false, true);
	} else if (strcmp(name, "help") == 0) {
		open_pager(a);
	} else if (strcmp(name, "cluster") == 0) {
		open_cluster(a);
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
/* Input */

static void
on_key(struct app *a, const struct input_ev *ev)
{
	char			 name[KEYMAP_NAME_MAX];
	const char		*cmd;
	enum keymap_result	 r;
	enum keymap_mode	 mode = a->mode;

	keymap_key_name(ev, name);
	if (*name == '\0')
		return;
	if ((mode == KEYMAP_NORMAL || mode == KEYMAP_CLUSTER) &&
	    a->msg[0] != '\0')
		a->msg[0] = '\0';
	r = keymap_feed(a->km, mode, name, &cmd);
	if (r == KEYMAP_MATCH) {
		char	*copy = xstrdup(cmd);	/* :map may change it */

		exec_line(a, copy);
		free(copy);
		return;
	}
	if (r == KEYMAP_PENDING) {
		app_msg(a, false, "%s", keymap_pending(a->km));
		return;
	}
	/* Unbound: text where text goes. */
	if (ev->key < INPUT_K_NONE && !(ev->mods & (INPUT_MOD_CTRL |
	    INPUT_MOD_ALT)) && ev->key >= 0x20 && ev->key != 0x7f) {
		char	 u[4];
		size_t	 n = view_utf8_encode(ev->key, u);

		if (mode == KEYMAP_INSERT) {
			type_text(a, u, n, false);
			return;
		}
		if (mode == KEYMAP_CMDLINE) {
			cmdline_complete_end(&a->cl);
			cmdline_insert(&a->cl, u, n);
			return;
		}
	}
	if (mode == KEYMAP_NORMAL || mode == KEYMAP_CLUSTER)
		app_msg(a, false, "%s does nothing here (? lists the keys)",
		    name);
}

static void
on_mouse(struct app *a, const struct input_ev *ev)
{
	struct view_hit	 h;

	if (a->mode == KEYMAP_PAGER) {
		if (ev->press && ev->button == INPUT_B_WHEEL_UP)
			a->pager_scroll -= 3;
		else if (ev->press && ev->button == INPUT_B_WHEEL_DOWN)
			a->pager_scroll += 3;
		return;
	}
	if (cluster_shown(a)) {
		if (ev->press && ev->button == INPUT_B_WHEEL_UP)
			a->clu_scroll -= 3;
		else if (ev->press && ev->button == INPUT_B_WHEEL_DOWN)
			a->clu_scroll += 3;
		return;
	}
	if (ev->press && (ev->button == INPUT_B_WHEEL_UP ||
	    ev->button == INPUT_B_WHEEL_DOWN)) {
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
	clear_csel(a);
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
			leave_insert(a);
			enter_insert(a, h.cell, h.offset);
		}
		a->drag = true;
		return;
	}
	leave_insert(a);
	view_set_cursor(a->view, h.cell);
}

static void
on_input(struct app *a, const struct input_ev *ev)
{
	switch (ev->type) {
	case INPUT_KEY:
		on_key(a, ev);
		break;
	case INPUT_MOUSE:
		on_mouse(a, ev);
		break;
	case INPUT_PASTE:
		if (a->mode == KEYMAP_INSERT)
			type_text(a, ev->text, ev->len, true);
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

/* ------------------------------------------------------------------ */
/* Painting */

static void
paint(struct app *a)
{
	struct view_status st;
	char		 pending[64];
	static const char *const modes[KEYMAP_NMODES] = {
		"NORMAL", "INSERT", "COMMAND", "HELP", "CLUSTER",
	};

	if (a->mode == KEYMAP_PAGER) {
		view_render_pager("galley help", a->pager, &a->pager_scroll,
		    &a->grid);
		draw_grid(a->draw, &a->grid);
		return;
	}
	if (cluster_shown(a)) {
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
	memset(&st, 0, sizeof st);
	st.mode = modes[a->mode == KEYMAP_CMDLINE ? a->cl_return : a->mode];
	st.path = a->o->path;
	st.dirty = a->dirty;
	st.kernel = a->kernel;
	st.runtime = a->runtime;
	st.members = a->members;
	st.msg = a->msg[0] ? a->msg : NULL;
	st.msg_error = a->msg_err;
	if (a->mode == KEYMAP_CMDLINE) {
		st.cmdline = cmdline_text(&a->cl);
		st.cmdline_cur = a->cl.cur;
	}
	if (a->mode == KEYMAP_NORMAL && *keymap_pending(a->km)) {
		snprintf(pending, sizeof pending, "%s", keymap_pending(a->km));
		st.msg = pending;
		st.msg_error = false;
	}
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

/* ------------------------------------------------------------------ */
/* The loop */

static void
poll_members(struct app *a)
{
	struct rpc_msg	 resp;
	struct gl_err	 err = { 0 };

	a->members_ms = a->now;
	if (call(a, "session.list", NULL, NULL, &resp, &err) != 0)
		return;
	(void)event_members(resp.result, a->session, &a->members);
	rpc_msg_fini(&resp);
}

static void
handle_signals(struct app *a)
{
	int	 sig = term_signals();

	if (sig & TERM_SIG_QUIT) {
		if (a->dirty && !a->lost)
			save(a, false, true);
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
		const struct keymap_config *cfg = keymap_config(a->km);

		a->now = now_ms();
		paint(a);
		next = a->now + 1000;
		if ((d = input_deadline(a->input)) >= 0 && d < next)
			next = d;
		if (a->running[0] != '\0' && a->now + CLOCK_MS < next)
			next = a->now + CLOCK_MS;
		if (a->lost && a->retry_at < next)
			next = a->retry_at;
		if (cluster_shown(a) && !a->clu_nosvc && a->clu_req == 0 &&
		    a->clu_next < next)
			next = a->clu_next;
		if (a->dirty && cfg->autosave > 0) {
			int64_t	 due = (a->last_edit_ms > a->save_tried_ms ?
			    a->last_edit_ms : a->save_tried_ms) +
			    (int64_t)cfg->autosave * 1000;

			if (due < next)
				next = due;
		}
		timeout = next > a->now ? (int)(next - a->now) : 0;
		p[np++] = (struct pollfd){ .fd = STDIN_FILENO, .events = POLLIN };
		p[np++] = (struct pollfd){ .fd = term_signal_fd(),
		    .events = POLLIN };
		if (!a->lost && a->conn != NULL)
			p[np++] = (struct pollfd){ .fd = cl_fd(a->conn),
			    .events = POLLIN };
		if (poll(p, (nfds_t)np, timeout) < 0 && errno != EINTR)
			return gl_err_from_errno(errno);
		a->now = now_ms();
		if (p[1].revents & POLLIN)
			handle_signals(a);
		if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			ssize_t	 n = read(STDIN_FILENO, buf, sizeof buf);

			if (n > 0)
				input_feed(a->input, buf, (size_t)n, a->now);
			else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
				/* The terminal went away. */
				if (a->dirty)
					save(a, false, true);
				a->quit = true;
			}
		}
		while (!a->quit && input_next(a->input, &ev, a->now) == 1)
			on_input(a, &ev);
		if (np == 3 && (p[2].revents & (POLLIN | POLLHUP | POLLERR))) {
			struct gl_err err = { 0 };

			if (cl_pump(a->conn, &err) != 0)
				conn_lost(a, err.msg);
		}
		drain(a);
		cluster_take(a);
		send_edits(a);
		cluster_poll(a);
		if (a->lost && !a->quit && a->now >= a->retry_at)
			reconnect(a);
		if (!a->lost && a->now - a->members_ms >= MEMBERS_MS)
			poll_members(a);
		if (a->dirty && !a->lost && cfg->autosave > 0 &&
		    a->now - a->last_edit_ms >= (int64_t)cfg->autosave * 1000 &&
		    a->now - a->save_tried_ms >= (int64_t)cfg->autosave * 1000 &&
		    a->mode != KEYMAP_CMDLINE) {
			if (save(a, false, true) == 0)
				app_msg(a, false, "saved (autosave)");
		}
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
	if (a->conn != NULL) {
		struct gl_err err = { 0 };

		struct rpc_msg	 resp;

		if (!a->lost && a->session != NULL &&
		    cl_call(a->conn, "session.close", pack_session, a, &resp,
		    2000, &err) == 0)
			rpc_msg_fini(&resp);
		cl_close(a->conn);
	}
	for (size_t i = 0; i < a->nclip; i++) {
		free(a->clip[i].source);
		for (size_t k = 0; k < a->clip[i].nmeta * 2; k++)
			free(a->clip[i].meta[k]);
		free(a->clip[i].meta);
	}
	free(a->clip);
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
	a.now = now_ms();
	gl_rng_seed_random(&a.rng);
	cmdline_init(&a.cl);
	view_cluster_init(&a.clu);
	a.km = keymap_new();
	conf = o->config ? xstrdup(o->config) : app_config_path();
	if (conf != NULL && keymap_load_lua(a.km, conf, &cerr) != 0)
		app_msg(&a, true, "%s", cerr.msg);
	free(conf);
	cfg = keymap_config(a.km);
	memset(&vo, 0, sizeof vo);
	vo.fold_lines = cfg->fold_lines;
	vo.tab_source = cfg->tab;
	vo.ascii = cfg->ascii;
	a.view = view_new(&vo);
	a.input = input_new();
	if ((a.abspath = gl_path_abs(o->path, err)) == NULL) {
		rc = err ? err->code : GL_EINVAL;
		goto out;
	}
	if ((rc = open_session(&a, err)) != 0)
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

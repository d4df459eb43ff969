/*
 * app-kernel.c - the TUI's side of the kernel connection: opening the
 * notebook's session (and again after the kernel was lost), requests,
 * and the notifications, decoded by tui/event.c and applied here: runs
 * starting and ending, outputs, the runtime's state, cluster progress,
 * other clients' edits (tui/app-edit.c applies those), saves.
 *
 * Ordering. The client library hands out responses by id and
 * notifications in arrival order, so an ack and a doc.ops that came
 * around it are put back in order by version (sync_after_ack()): the ack
 * is taken as soon as it is queued and applied just before the first
 * doc.ops that came after it.
 */
#include <sys/stat.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/client.h"
#include "core/err.h"
#include "core/mem.h"
#include "core/notebook.h"
#include "core/rpc.h"
#include "tui/app_int.h"
#include "tui/event.h"
#include "tui/sync.h"
#include "tui/view.h"

#define RECONNECT_MS	2000

static void	 kernel_stopped(struct app *a, const char *why);
static int	 app_call_by(struct app *a, int (*call)(struct cl_conn *,
		     const char *, void (*)(msgpack_packer *, void *), void *,
		     struct rpc_msg *, int, struct gl_err *), const char *method,
		     void (*pack)(msgpack_packer *, void *), void *ctx,
		     struct rpc_msg *resp, struct gl_err *err);

/* A request whose answer only matters as success or failure. */
int
app_call(struct app *a, const char *method, void (*pack)(msgpack_packer *,
    void *), void *ctx, struct rpc_msg *resp, struct gl_err *err)
{
	return app_call_by(a, cl_call, method, pack, ctx, resp, err);
}

/* app_call() through call: cl_call, or cl_call_doc for a document. */
static int
app_call_by(struct app *a, int (*call)(struct cl_conn *, const char *,
    void (*)(msgpack_packer *, void *), void *, struct rpc_msg *, int,
    struct gl_err *), const char *method, void (*pack)(msgpack_packer *,
    void *), void *ctx, struct rpc_msg *resp, struct gl_err *err)
{
	struct rpc_msg	 tmp;
	int		 rc;

	if (a->lost || a->conn == NULL)
		return gl_err_set(err, GL_ECLOSED, "no kernel (reconnecting)");
	rc = call(a->conn, method, pack ? pack : cl_pack_session,
	    pack ? ctx : a->session, resp ? resp : &tmp, APP_CALL_MS, err);
	if (rc == 0 && resp == NULL)
		rpc_msg_fini(&tmp);
	if (rc == GL_ECLOSED)
		app_conn_lost(a, err ? err->msg : "closed");
	return rc;
}

/* True for the kernel's answer to a method it does not have. */
bool
app_no_method(int rc, const struct gl_err *err)
{
	return rc == GL_EINVAL && strncmp(err->msg, "no method", 9) == 0;
}

/* Outputs, stale flags and the running cell of a session.open or doc.get
 * reply (its outputs are taken). */
static void
load_cell_states(struct app *a, struct event_doc *d)
{
	a->running[0] = '\0';
	app_cell_states(a, d);
}

void
app_cell_states(struct app *a, struct event_doc *d)
{
	for (size_t k = 0; k < d->ncells; k++) {
		struct event_cell c;
		size_t	 i;

		if (event_doc_cell(d, k, &c) == 1 &&
		    nb_doc_find(a->doc, c.id, &i) != NULL) {
			view_out_clear(a->view, i);
			for (size_t j = 0; j < c.nout; j++) {
				view_out_add(a->view, i, c.out[j]);
				c.out[j] = NULL;
			}
			view_set_stale(a->view, i, c.stale);
			if (c.running) {
				view_set_run(a->view, i, GL_RUN_RUNNING,
				    a->now);
				snprintf(a->running, sizeof a->running, "%s",
				    c.id);
			}
		}
		event_cell_fini(&c);
	}
}

void
app_doc_take(struct app *a, struct event_doc *d)
{
	nb_doc_free(a->doc);
	a->doc = d->doc;
	d->doc = NULL;
	sync_reset(a->sync, d->version);
	sync_set_base(a->sync, a->doc);
	view_sync(a->view, a->doc);
}

/* Reloads the doc from the kernel after an edit it refused. */
void
app_resync(struct app *a, const char *why)
{
	struct rpc_msg	 resp;
	struct gl_err	 err = { 0 };
	struct event_doc d;

	a->edit_req = 0;
	a->have_ack = false;
	/* The whole document comes now: pages being read are not needed. */
	app_load_stop(a);
	if (app_call_by(a, cl_call_doc, "doc.get", NULL, NULL, &resp,
	    &err) != 0) {
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
			app_insert_leave(a);
		app_msg(a, true, "the kernel refused an edit (%s); reloaded",
		    why);
	}
	event_doc_fini(&d);
	rpc_msg_fini(&resp);
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
void
app_fetch_outputs(struct app *a, const char *id)
{
	struct outputs_ctx ctx = { a, id };
	struct rpc_msg	 resp;
	struct gl_err	 err = { 0 };
	struct event_cell c;
	size_t		 idx;

	if (!app_flush_edits(a) ||
	    app_call(a, "cell.outputs", pack_outputs, &ctx, &resp, &err) != 0)
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
	enum gl_run_status run = ev->u.done.run;

	if (strcmp(a->running, ev->cell) == 0)
		a->running[0] = '\0';
	else if (a->queued > 0 && run == GL_RUN_CANCELLED)
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
	if ((run == GL_RUN_DIED || run == GL_RUN_CANCELLED) &&
	    ev->message != NULL && *ev->message)
		app_msg(a, run == GL_RUN_DIED, "[%s] %s: %s", ev->cell,
		    run == GL_RUN_DIED ? "died" : "cancelled", ev->message);
}

static void
on_event(struct app *a, struct event *ev)
{
	size_t		 i = 0;
	bool		 have;

	if (ev->kind == EVENT_REFUSED) {
		app_conn_lost(a, ev->message);
		if (strcmp(ev->u.reason, "revoked") == 0) {
			/* Trying again would only be refused. */
			a->stopped = true;
			snprintf(a->kernel, sizeof a->kernel, "revoked");
			app_msg(a, true, "the owner revoked your access%s%s; "
			    "your unsaved edits are kept (:w! writes them to "
			    "the file)", ev->message && *ev->message ? ": " :
			    "", ev->message ? ev->message : "");
		}
		return;
	}
	if (ev->kind == EVENT_KERNEL_STOPPING) {
		kernel_stopped(a, ev->message);
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
		view_set_run(a->view, i, GL_RUN_RUNNING, a->now);
		snprintf(a->running, sizeof a->running, "%s", ev->cell);
		if (a->queued > 0)
			a->queued--;
		app_pair_run(a, ev->cell, ev->u.peer.name, true);
		break;
	case EVENT_CELL_QUEUED:
		/* Someone else's run waits (ours showed when asked). */
		if (!have || view_get_run(a->view, i) == GL_RUN_RUNNING)
			break;
		view_set_run(a->view, i, GL_RUN_QUEUED, -1);
		app_pair_queued(a, ev->cell, ev->u.peer.name);
		break;
	case EVENT_CELL_OUTPUT:
		if (!have)
			break;
		view_out_add(a->view, i, ev->u.output);
		ev->u.output = NULL;
		break;
	case EVENT_CELL_DONE:
		cell_done(a, ev, have, i);
		app_pair_run(a, ev->cell, NULL, false);
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
		/* While pages are read, the next page's version is gone:
		 * the document is read again with this change in it. Ops a
		 * document read again has are not applied twice. */
		if (a->loading)
			a->load_stale = true;
		else if (ev->u.ops.version > a->load_upto)
			app_remote_ops(a, ev);
		break;
	case EVENT_DOC_SAVED:
		if (!sync_pending(a->sync))
			a->dirty = false;
		break;
	case EVENT_DOC_CHANGED:
		/* Its doc.ops came first; this says what happened. */
		if (ev->u.changed.dirty >= 0)
			a->dirty = ev->u.changed.dirty || sync_pending(a->sync);
		app_msg(a, ev->u.changed.conflicts > 0 ||
		    (strcmp(ev->u.changed.how, "reloaded") != 0 &&
		    strcmp(ev->u.changed.how, "merged") != 0), "%s",
		    ev->message != NULL ? ev->message :
		    "the notebook changed on disk");
		break;
	case EVENT_COMPLETION:
	case EVENT_INSPECTION:
		app_complete_event(a, ev);
		break;
	case EVENT_PEER_JOINED:
	case EVENT_PEER_LEFT:
	case EVENT_PEER_CURSOR:
	case EVENT_PEER_SAID:
	case EVENT_PEER_ROLE:
		app_pair_event(a, ev);
		break;
	case EVENT_DOC_WRITE:
		app_file_write(a, ev->u.write.version, ev->u.write.text,
		    ev->u.write.len);
		break;
	case EVENT_NONE:
	case EVENT_REFUSED:
	case EVENT_KERNEL_STOPPING:
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
		app_resync(a, err.msg);
	else
		app_msg(a, true, "the kernel sent what this TUI cannot read: "
		    "%s", err.msg);
	event_fini(&ev);
}

/* Handles everything the kernel sent that is queued. */
void
app_drain(struct app *a)
{
	struct rpc_msg	 m;
	struct gl_err	 err = { 0 };
	int		 rc;

	if (a->lost || a->conn == NULL)
		return;
	app_take_ack(a, 0);
	while (!a->lost && (rc = cl_next_notify(a->conn, &m, 0, &err)) == 1) {
		on_notify(a, &m);
		rpc_msg_fini(&m);
	}
	if (!a->lost && rc < 0 && rc != GL_EINTR && rc != GL_ETIMEDOUT)
		app_conn_lost(a, err.msg);
	if (!a->lost)
		app_apply_ack(a);
}

/* What session.open sends: the path, or for a notebook that is ours
 * on a kernel over TCP a label naming this machine and its text. */
struct open_ctx {
	struct app	*a;
	char		*label;		/* owned; NULL: the path */
	char		*text;		/* owned */
	size_t		 len;
};

static void
pack_open(msgpack_packer *pk, void *ctx)
{
	struct open_ctx	*o = ctx;
	struct app	*a = o->a;
	const char	*tag = a->sync != NULL ? sync_inflight_tag(a->sync) : "";

	msgpack_pack_map(pk, (*tag != '\0' ? 2 : 1) + (o->label ? 2 : 0));
	rpc_pack_kv_str(pk, "path", o->label ? o->label : a->abspath);
	if (o->label != NULL) {
		rpc_pack_key(pk, "text");
		rpc_pack_strn(pk, o->text, o->len);
		rpc_pack_kv_bool(pk, "client_file", true);
	}
	/* The edit whose answer the broken connection took: applied? */
	if (*tag != '\0')
		rpc_pack_kv_str(pk, "edit", tag);
}

/* galley attach: the session by id (app_opts.session). */
static void
pack_attach(msgpack_packer *pk, void *ctx)
{
	struct app	*a = ctx;
	const char	*tag = a->sync != NULL ? sync_inflight_tag(a->sync) : "";

	msgpack_pack_map(pk, *tag != '\0' ? 2 : 1);
	/* The session we were in last (found again after a restart), or
	 * the invite's. */
	rpc_pack_kv_str(pk, "session", a->session != NULL ? a->session :
	    a->o->session);
	if (*tag != '\0')
		rpc_pack_kv_str(pk, "edit", tag);
}

/* A kernel over TCP and a notebook here: the notebook is ours to send
 * and to write (docs/pairing.md). Decided once, at the first open. */
static int
client_file_prepare(struct app *a, struct open_ctx *o, struct gl_err *err)
{
	int	 rc;

	if (a->o->session != NULL)
		return 0;
	if (!a->client_file) {
		struct stat st;

		if (!cl_kernel_is_remote(a->o->kernel) ||
		    a->abspath == NULL || a->sync != NULL ||
		    stat(a->abspath, &st) != 0 || !S_ISREG(st.st_mode))
			return 0;
		a->client_file = true;
	}
	if ((rc = gl_file_read_regular(a->abspath, &o->text, &o->len,
	    err)) != 0)
		return rc;
	if ((o->label = cl_file_label(a->abspath, err)) == NULL) {
		free(o->text);
		o->text = NULL;
		return err != NULL ? err->code : GL_EINVAL;
	}
	/* What we read is the file as we know it, at the first open; on
	 * a reopen, a change meanwhile is someone else's (:w tells). */
	if (a->sync == NULL)
		gl_hash_hex(o->text, o->len, a->file_hash);
	return 0;
}

/* The first client_file open failed with rc as a kernel that does not
 * know client_file fails (it looks for the label on its own disk, and
 * finds no such directory): worth opening by path instead. */
static bool
client_file_refused(const struct app *a, int rc)
{
	return a->client_file && a->sync == NULL && a->conn != NULL &&
	    rc == GL_ENOTFOUND;
}

/* The session an invite named is gone (a kernel restarted): the one open
 * on the same notebook now, found by its path, becomes ours to attach;
 * GL_ENOTFOUND while nobody opened it again. */
static int
find_session(struct app *a, struct gl_err *err)
{
	struct rpc_msg		 resp;
	const msgpack_object	*r;
	const char		*path, *id;
	size_t			 len, idlen;
	int			 rc;

	if (a->o->label == NULL)
		return GL_ENOTFOUND;
	if ((rc = cl_call(a->conn, "session.list", NULL, NULL, &resp,
	    APP_CALL_MS, err)) != 0)
		return rc;
	rc = GL_ENOTFOUND;
	r = resp.result;
	for (uint32_t i = 0; r != NULL && r->type == MSGPACK_OBJECT_ARRAY &&
	    i < r->via.array.size; i++) {
		path = rpc_map_str(&r->via.array.ptr[i], "path", &len);
		id = rpc_map_str(&r->via.array.ptr[i], "session", &idlen);
		if (path == NULL || id == NULL ||
		    len != strlen(a->o->label) ||
		    memcmp(path, a->o->label, len) != 0)
			continue;
		free(a->session);
		a->session = xstrndup(id, idlen);
		rc = 0;
		break;
	}
	rpc_msg_fini(&resp);
	if (rc != 0)
		gl_err_set(err, rc, "the session of %s is gone from the kernel "
		    "(it restarted?): waiting for someone to open it again",
		    a->o->label);
	return rc;
}

/* Connects and opens the notebook's session (or attaches the one an
 * invite names); *d gets the reply (the caller finis it and resp). With
 * first_page, a big document's reply holds its first page only (and
 * "next": app-load.c reads the rest); else every cell. */
static int
open_session(struct app *a, struct rpc_msg *resp, struct event_doc *d,
    bool first_page, struct gl_err *err)
{
	int		(*call)(struct cl_conn *, const char *,
			    void (*)(msgpack_packer *, void *), void *,
			    struct rpc_msg *, int, struct gl_err *) =
			    first_page ? cl_call : cl_call_doc;
	struct cl_opts	 co;
	struct open_ctx	 o = { a, NULL, NULL, 0 };
	char		 buf[128];
	int		 rc;

	memset(d, 0, sizeof *d);
	cl_opts_init(&co);
	co.kernel = a->o->kernel;
	co.member = a->o->member;
	co.token = a->o->token;
	if ((rc = cl_connect(&co, &a->conn, err)) != 0)
		return rc;
	if ((rc = client_file_prepare(a, &o, err)) == 0)
		rc = a->o->session != NULL ? call(a->conn,
		    "session.attach", pack_attach, a, resp, APP_CALL_MS,
		    err) : call(a->conn, "session.open", pack_open, &o,
		    resp, APP_CALL_MS, err);
	if (rc == GL_ENOTFOUND && a->o->session != NULL && a->sync != NULL) {
		gl_err_clear(err);
		if ((rc = find_session(a, err)) == 0)
			rc = call(a->conn, "session.attach",
			    pack_attach, a, resp, APP_CALL_MS, err);
	}
	if (rc != 0 && client_file_refused(a, rc)) {
		/* A kernel from before client_file read the label as a
		 * path of its own: open the notebook by path, as then. */
		gl_err_clear(err);
		a->client_file = false;
		free(o.label);
		o.label = NULL;
		rc = call(a->conn, "session.open", pack_open, &o, resp,
		    APP_CALL_MS, err);
	}
	free(o.label);
	free(o.text);
	if (rc != 0) {
		cl_close(a->conn);
		a->conn = NULL;
		return rc;
	}
	if ((rc = event_doc_decode(resp->result, d, err)) != 0) {
		event_doc_fini(d);
		rpc_msg_fini(resp);
		cl_close(a->conn);
		a->conn = NULL;
		return rc;
	}
	free(a->session);
	a->session = d->session;
	d->session = NULL;
	snprintf(buf, sizeof buf, "%s", cl_addr(a->conn));
	/* Where the cells run: "local", or the kernel's HOST:PORT. */
	if (strncmp(buf, "unix:", 5) == 0)
		snprintf(a->kernel, sizeof a->kernel, "local");
	else
		snprintf(a->kernel, sizeof a->kernel, "%s",
		    strncmp(buf, "tcp:", 4) == 0 ? buf + 4 : buf);
	a->edit_req = 0;
	a->have_ack = false;
	a->lost = a->stopped = false;
	/* Versions are this session's: a new kernel counts from its own. */
	a->file_version = 0;
	a->load_upto = 0;
	return 0;
}

int
app_open_session(struct app *a, struct gl_err *err)
{
	struct rpc_msg	 resp;
	struct event_doc d;
	int		 rc;

	if ((rc = open_session(a, &resp, &d, true, err)) != 0)
		return rc;
	nb_doc_free(a->doc);
	a->doc = d.doc;
	d.doc = NULL;
	if (a->sync == NULL) {
		a->sync = sync_new(0);
		sync_set_client(a->sync, gl_rng_next(&a->rng));
	}
	sync_reset(a->sync, d.version);
	sync_set_base(a->sync, a->doc);
	a->dirty = d.dirty > 0;
	view_sync(a->view, a->doc);
	load_cell_states(a, &d);
	app_pair_opened(a, &d);
	app_load_begin(a, resp.result);
	if (d.warning != NULL)
		app_msg(a, true, "%s", d.warning);
	else if (d.recovered > 0)
		app_msg(a, false, "recovered %" PRId64 " unsaved edits from "
		    "the journal", d.recovered);
	event_doc_fini(&d);
	rpc_msg_fini(&resp);
	if (a->runtime[0] == '\0')
		snprintf(a->runtime, sizeof a->runtime, "%s",
		    a->running[0] ? "busy" : "idle");
	return 0;
}

/* The TUI's copy and the file: what :w! wrote while the kernel was away
 * is still what the TUI holds. */
static bool
same_as_written(struct app *a)
{
	struct gl_buf	 b;
	char		 h[GL_HASH_HEX];

	gl_buf_init(&b);
	nb_print(a->doc, &b);
	gl_hash_hex(b.data != NULL ? b.data : "", b.len, h);
	gl_buf_fini(&b);
	return strcmp(h, a->wrote_hash) == 0;
}

/*
 * Opens the session again after the connection broke (the kernel may be
 * a new one, its document moved: a journal replayed, other clients, the
 * file changed) and puts the local edits it has not acknowledged on top
 * of it (tui/sync.c), then sends them. What :w! wrote meanwhile wins.
 */
static int
rejoin(struct app *a, struct gl_err *err)
{
	struct rpc_msg	 resp;
	struct event_doc d;
	struct ot_op	*ops = NULL;
	size_t		 n = 0, unsent = sync_unsent(a->sync);
	bool		 applied, keep = a->wrote_away, written = false;
	int		 rc;

	if ((rc = open_session(a, &resp, &d, false, err)) != 0)
		return rc;
	applied = d.edit_applied > 0;
	if (keep)
		written = same_as_written(a);
	if (!sync_rejoin(a->sync, d.doc, d.version, applied,
	    keep ? a->doc : NULL, &ops, &n)) {
		/* No base to rebase on (cannot happen): take the kernel's. */
		app_doc_take(a, &d);
		app_msg(a, true, "reconnected; %zu unacknowledged edits could "
		    "not be kept", unsent);
	} else {
		(void)app_apply_kernel_ops(a, ops, n);
		free(ops);
		/* What the kernel found at its open (a journal merged into
		 * a changed file, say) matters more than that we are back. */
		if (d.warning != NULL)
			app_msg(a, true, "reconnected: %s", d.warning);
		else
			app_msg(a, false, "reconnected to the kernel%s",
			    unsent > 0 ? "; your unsent edits were sent" : "");
	}
	a->wrote_away = false;
	load_cell_states(a, &d);
	app_pair_opened(a, &d);
	a->dirty = d.dirty > 0 || sync_pending(a->sync);
	snprintf(a->runtime, sizeof a->runtime, "%s", a->running[0] ?
	    "busy" : "idle");
	event_doc_fini(&d);
	rpc_msg_fini(&resp);
	if (a->mode == KEYMAP_INSERT && nb_doc_find(a->doc, a->ed.id, NULL) ==
	    NULL)
		app_insert_leave(a);
	app_send_edits(a);
	/* The file holds what we hold: let the kernel take it as saved. */
	if (written && app_flush_edits(a))
		(void)app_save(a, true, true);
	return 0;
}

void
app_conn_lost(struct app *a, const char *why)
{
	if (a->lost)
		return;
	/* An answer that came is an edit the kernel has. */
	if (a->have_ack) {
		a->have_ack = false;
		sync_ack(a->sync, a->ackv);
	}
	a->lost = true;
	a->retry_at = gl_now_ms() + RECONNECT_MS;
	a->edit_req = 0;
	/* The rejoin reads the whole document. */
	app_load_stop(a);
	a->clu_req = 0;
	a->comp.req = 0;
	a->cursor_req = 0;
	/* Who was here is unknown until the kernel says again. */
	pair_clear(&a->pair);
	a->members = 0;
	a->follow = 0;
	snprintf(a->kernel, sizeof a->kernel, "lost");
	snprintf(a->runtime, sizeof a->runtime, "unknown");
	/* What matters first: the reason can be long (a socket path). */
	app_msg(a, true, "lost the kernel; reconnecting; your edits are kept "
	    "(:w! writes them to the file): %s", why && *why ? why :
	    "closed");
}

/* kernel.stopping: the kernel was stopped on purpose (galley kernel
 * stop, a signal). Starting another by ourselves would hide that its
 * variables are gone: wait for :connect. */
static void
kernel_stopped(struct app *a, const char *why)
{
	app_conn_lost(a, why);
	a->stopped = true;
	snprintf(a->kernel, sizeof a->kernel, "stopped");
	app_msg(a, true, "the kernel was stopped%s%s%s: :connect starts a new "
	    "one (your unsaved edits are kept; :w! writes them to the file)",
	    why && *why ? " (" : "", why && *why ? why : "",
	    why && *why ? ")" : "");
}

void
app_reconnect(struct app *a)
{
	struct gl_err	 err = { 0 };
	bool		 stopped = a->stopped;

	a->retry_at = gl_now_ms() + RECONNECT_MS;
	if (a->conn != NULL) {
		cl_close(a->conn);
		a->conn = NULL;
	}
	/* The review mode alone has no notebook to rejoin. */
	if ((a->abspath == NULL && a->o->session == NULL ?
	    app_review_connect(a, &err) : rejoin(a, &err)) != 0) {
		a->lost = true;
		a->stopped = stopped;
		snprintf(a->kernel, sizeof a->kernel, "%s", stopped ?
		    "stopped" : "lost");
		if (stopped)
			app_msg(a, true, "no kernel: %s", err.msg);
		else if (err.code == GL_ENOTFOUND && a->o->session != NULL)
			app_msg(a, true, "%s", err.msg);
	}
}

void
app_kernel_close(struct app *a)
{
	struct gl_err	 err = { 0 };
	struct rpc_msg	 resp;

	if (a->conn == NULL)
		return;
	if (!a->lost && a->session != NULL &&
	    cl_call(a->conn, "session.close", cl_pack_session, a->session, &resp, 2000,
	    &err) == 0)
		rpc_msg_fini(&resp);
	cl_close(a->conn);
	a->conn = NULL;
}

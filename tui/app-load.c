/*
 * app-load.c - the rest of a notebook too big for one reply, read in the
 * background (issue 10: a 100 MB notebook paints within a second).
 *
 * session.open answers with the first page of cells (about 8 MB) and
 * "next" (docs/protocol.md, "doc.cells"). The TUI paints that page at
 * once and asks doc.cells for the following ones, one request at a time,
 * without waiting: each answer is taken in the loop when it has come
 * (app_load_poll()), appended to the local doc and to sync's copy of the
 * kernel's (without printing and parsing it again), and keys are handled
 * between pages.
 *
 * Invariants while loading. The local doc is the first load_next cells of
 * the kernel's document at load_version, plus the user's edits; sync's
 * base is those cells without them. Edits name cells by id and insert or
 * move only among the cells read, which are the same places in the whole
 * document, so pages append after them whatever the user did. The pages
 * must all be of one version, so no edit is sent until the last one came
 * (app_send_edits() waits); what needs the kernel to have every edit (a
 * run, a save, git, review) reads the rest first (app_load_finish(), from
 * app_flush_edits()). Another client's edit (doc.ops) means the version
 * is gone: the document is then read whole (doc.get) and the unsent edits
 * are put on top of it as after a reconnect (sync_rejoin()). A lost
 * connection stops the pages; the rejoin reads every cell.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "client/client.h"
#include "core/err.h"
#include "core/notebook.h"
#include "core/ot.h"
#include "core/rpc.h"
#include "tui/app_int.h"
#include "tui/event.h"
#include "tui/sync.h"
#include "tui/view.h"

static void	 load_ask(struct app *a);
static int	 load_take(struct app *a, int timeout);
static void	 load_again(struct app *a);

void
app_load_begin(struct app *a, const msgpack_object *result)
{
	int64_t	 next = rpc_map_int(result, "next", -1);

	app_load_stop(a);
	if (next <= 0)
		return;
	a->loading = true;
	a->load_next = (size_t)next;
	a->load_version = (uint64_t)rpc_map_int(result, "version", 0);
}

void
app_load_stop(struct app *a)
{
	a->loading = false;
	a->load_stale = false;
	/* An answer still to come is dropped with the connection, or
	 * taken and freed here. */
	if (a->load_req != 0 && !a->lost && a->conn != NULL) {
		struct rpc_msg	 resp;

		if (cl_wait(a->conn, a->load_req, &resp, APP_CALL_MS,
		    NULL) == 0)
			rpc_msg_fini(&resp);
	}
	a->load_req = 0;
}

void
app_load_poll(struct app *a)
{
	if (!a->loading || a->lost || a->conn == NULL)
		return;
	if (a->load_req != 0 && load_take(a, 0) != 0)
		return;
	if (a->load_stale)
		load_again(a);
	else if (a->loading && a->load_req == 0)
		load_ask(a);
}

bool
app_load_finish(struct app *a)
{
	while (a->loading && !a->lost && a->conn != NULL) {
		if (a->load_req != 0 && load_take(a, APP_CALL_MS) != 0) {
			app_msg(a, true, "the kernel did not send the rest of "
			    "the notebook in %d s", APP_CALL_MS / 1000);
			return false;
		}
		if (a->load_stale)
			load_again(a);
		else if (a->loading && a->load_req == 0)
			load_ask(a);
	}
	return !a->lost;
}

/* Sends doc.cells for the next page. */
static void
load_ask(struct app *a)
{
	struct rpc_writer *w;
	struct gl_err	 err = { 0 };
	uint32_t	 id;

	w = cl_begin(a->conn, "doc.cells", &id);
	msgpack_pack_map(&w->pk, 3);
	rpc_pack_kv_str(&w->pk, "session", a->session);
	rpc_pack_kv_int(&w->pk, "version", (int64_t)a->load_version);
	rpc_pack_kv_int(&w->pk, "from", (int64_t)a->load_next);
	if (cl_send(a->conn, &err) != 0) {
		app_conn_lost(a, err.msg);
		return;
	}
	a->load_req = id;
}

/* Appends the page the answer resp carries. */
static int
load_page(struct app *a, struct rpc_msg *resp, struct gl_err *err)
{
	const msgpack_object *cells = rpc_map_get(resp->result, "cells");
	struct event_doc d;
	struct nb_doc	*base = sync_base(a->sync);
	int64_t		 version = rpc_map_int(resp->result, "version", -1);
	int64_t		 next = rpc_map_int(resp->result, "next", -1);
	int		 rc;

	if (cells == NULL || cells->type != MSGPACK_OBJECT_ARRAY)
		return gl_err_set(err, GL_EPROTO, "doc.cells: no cells");
	if (version < 0 || (uint64_t)version != a->load_version)
		return gl_err_set(err, GL_ECONFLICT, "a page of version %"
		    PRId64 ", not %" PRIu64, version, a->load_version);
	/* Appended from the answer, to both docs: no text printed and
	 * parsed again (only the first page may hold a header cell). */
	if ((rc = event_doc_append_cells(cells, a->doc, err)) != 0 ||
	    (base != NULL && (rc = event_doc_append_cells(cells, base,
	    err)) != 0))
		return rc;
	view_sync(a->view, a->doc);
	memset(&d, 0, sizeof d);
	d.cells = cells;
	d.ncells = cells->via.array.size;
	app_cell_states(a, &d);
	if (next > 0 && (size_t)next > a->load_next)
		a->load_next = (size_t)next;
	else
		a->loading = false;
	return 0;
}

/* Takes the answer to the doc.cells in flight if it came (waiting up to
 * timeout ms): 0 once taken, GL_ETIMEDOUT while it has not come. */
static int
load_take(struct app *a, int timeout)
{
	struct rpc_msg	 resp;
	struct gl_err	 err = { 0 };
	int		 rc;

	rc = cl_wait(a->conn, a->load_req, &resp, timeout, &err);
	if (rc == GL_ETIMEDOUT || rc == GL_EINTR)
		return GL_ETIMEDOUT;
	a->load_req = 0;
	if (rc == GL_ECLOSED) {
		app_conn_lost(a, err.msg);
		return 0;
	}
	if (rc == 0) {
		rc = load_page(a, &resp, &err);
		rpc_msg_fini(&resp);
	}
	/* A version that is gone (ECONFLICT), or a page that could not be
	 * appended: the document is read whole. */
	if (rc != 0)
		a->load_stale = true;
	return 0;
}

/* The pages' version is gone: reads the whole document and puts the
 * edits not sent yet on top of it. */
static void
load_again(struct app *a)
{
	struct rpc_msg	 resp;
	struct gl_err	 err = { 0 };
	struct event_doc d;
	struct ot_op	*ops = NULL;
	size_t		 n = 0;
	int		 rc;

	app_load_stop(a);
	rc = cl_call_doc(a->conn, "doc.get", cl_pack_session, a->session,
	    &resp, APP_CALL_MS, &err);
	if (rc == GL_ECLOSED) {
		app_conn_lost(a, err.msg);
		return;
	}
	if (rc != 0) {
		app_msg(a, true, "could not read the rest of the notebook: %s",
		    err.msg);
		return;
	}
	if (event_doc_decode(resp.result, &d, &err) != 0) {
		app_msg(a, true, "could not read the rest of the notebook: %s",
		    err.msg);
	} else if (!sync_rejoin(a->sync, d.doc, d.version, false, NULL, &ops,
	    &n)) {
		/* No base (cannot happen): take the kernel's document. */
		app_doc_take(a, &d);
	} else {
		(void)app_apply_kernel_ops(a, ops, n);
		free(ops);
	}
	if (d.doc != NULL || d.cells != NULL) {
		/* The doc.ops queued meanwhile are in what was read. */
		a->load_upto = d.version;
		app_cell_states(a, &d);
	}
	event_doc_fini(&d);
	rpc_msg_fini(&resp);
}

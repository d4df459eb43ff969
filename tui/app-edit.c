/*
 * app-edit.c - changes to the notebook: the user's own (applied to the
 * local doc at once, queued in tui/sync.c and sent as doc.edit, one
 * request in flight at a time; recorded for undo), other clients'
 * doc.ops (transformed against what the kernel has not acknowledged,
 * then applied), undo and redo; the cell being edited (insert mode),
 * the cell selection and the clipboard of cells.
 *
 * The view, the editor's cursor and the undo history follow every
 * applied op. Before anything that reads the kernel's copy (cell.run,
 * doc.save) every local edit is flushed and acknowledged
 * (app_flush_edits()), so a cell runs the text the user sees.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/client.h"
#include "core/err.h"
#include "core/mem.h"
#include "core/notebook.h"
#include "core/ot.h"
#include "core/rpc.h"
#include "tui/app_int.h"
#include "tui/editor.h"
#include "tui/event.h"
#include "tui/keymap.h"
#include "tui/sync.h"
#include "tui/view.h"

#define FLUSH_MS	5000
#define INV_MAX		64

struct nb_cell *
app_cur_cell(struct app *a, size_t *idx)
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

/* Range of cells a command acts on: the selection or the current cell. */
bool
app_target_range(struct app *a, size_t *lo, size_t *hi)
{
	size_t	 cur;

	if (app_cur_cell(a, &cur) == NULL)
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

void
app_csel_clear(struct app *a)
{
	a->csel = false;
	view_set_cell_sel(a->view, false, 0, 0);
}

void
app_insert_enter(struct app *a, size_t idx, size_t off)
{
	struct nb_cell	*c = nb_doc_cell(a->doc, idx);
	size_t		 len;
	const char	*src = nb_cell_source(c, &len);
	const struct keymap_config *cfg = keymap_config(a->km);

	/* A viewer reads: the cell becomes the current one, no more. */
	if (!app_pair_may_write(a, "edit")) {
		view_set_cursor(a->view, idx);
		return;
	}
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

void
app_insert_leave(struct app *a)
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

void
app_send_edits(struct app *a)
{
	const struct ot_op	*ops;
	struct rpc_writer	*w;
	struct gl_err		 err = { 0 };
	uint64_t		 v;
	uint32_t		 id;
	size_t			 n;

	/* While the pages of a big document come, edits wait: they would
	 * move the version the pages are of (tui/app-load.c). */
	if (a->lost || a->conn == NULL || a->edit_req != 0 || a->have_ack ||
	    a->loading)
		return;
	if ((n = sync_take_send(a->sync, &ops, &v)) == 0)
		return;
	w = cl_begin(a->conn, "doc.edit", &id);
	msgpack_pack_map(&w->pk, 4);
	rpc_pack_kv_str(&w->pk, "session", a->session);
	rpc_pack_kv_int(&w->pk, "version", (int64_t)v);
	/* If the answer is lost, the tag says on reconnecting whether the
	 * kernel has these ops (tui/app-kernel.c). */
	rpc_pack_kv_str(&w->pk, "edit", sync_inflight_tag(a->sync));
	rpc_pack_key(&w->pk, "ops");
	msgpack_pack_array(&w->pk, n);
	for (size_t i = 0; i < n; i++)
		ot_encode(&w->pk, &ops[i]);
	if (cl_send(a->conn, &err) != 0) {
		app_conn_lost(a, err.msg);
		return;
	}
	a->edit_req = id;
}

void
app_apply_ack(struct app *a)
{
	if (!a->have_ack)
		return;
	a->have_ack = false;
	sync_ack(a->sync, a->ackv);
	app_send_edits(a);
}

/* Takes the answer to the doc.edit in flight if it is there (waiting up
 * to timeout ms). */
void
app_take_ack(struct app *a, int timeout)
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
		app_conn_lost(a, err.msg);
		return;
	}
	app_resync(a, err.msg);
}

/* Sends every local edit and waits until the kernel has them all. */
bool
app_flush_edits(struct app *a)
{
	int64_t	 deadline = gl_now_ms() + FLUSH_MS;

	if (!app_load_finish(a))
		return false;
	while (!a->lost && (sync_pending(a->sync) || a->have_ack)) {
		int	 left = (int)(deadline - gl_now_ms());

		if (left <= 0) {
			app_msg(a, true, "the kernel did not acknowledge the "
			    "last edits in %d s", FLUSH_MS / 1000);
			return false;
		}
		app_send_edits(a);
		app_take_ack(a, left);
		app_drain(a);
	}
	return !a->lost;
}

/* Applies op (made here) to the local doc and queues it; its inverse is
 * put before *inv (for undo). */
int
app_apply_op(struct app *a, struct ot_op *op, struct ot_op **inv, size_t *ninv)
{
	struct ot_op	 one[INV_MAX];
	struct gl_err	 err = { 0 };
	size_t		 k = 0, idx;

	/* A viewer's change is refused here, before the screen shows it
	 * (the kernel would refuse it too). */
	if (!app_pair_may_write(a, "edit"))
		return GL_EPERM;
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
int
app_change(struct app *a, struct ot_op *op, enum sync_group kind, size_t offset)
{
	struct ot_op	*inv = NULL;
	size_t		 ninv = 0;
	char		 cell[NB_ID_MAX + 1];
	int		 rc;

	snprintf(cell, sizeof cell, "%s", op->id);
	rc = app_apply_op(a, op, &inv, &ninv);
	ot_op_fini(op);
	if (rc == 0)
		sync_push(a->sync, inv, ninv, kind, cell, offset, a->now);
	else
		free(inv);
	app_send_edits(a);
	return rc;
}

/* Applies the kernel's doc.ops (the event's ops are used up). */
void
app_remote_ops(struct app *a, struct event *ev)
{
	struct ot_op	*ops = ev->u.ops.ops;
	uint64_t	 v = ev->u.ops.version;
	size_t		 n = ev->u.ops.n;

	app_take_ack(a, 0);
	if (a->have_ack && sync_after_ack(v, n, a->ackv))
		app_apply_ack(a);
	sync_remote(a->sync, ops, &n, v);
	/* sync_remote() may have dropped ops (no-ops): the event now holds
	 * the n left, which are used up as they are applied. */
	ev->u.ops.n = 0;
	if (app_apply_kernel_ops(a, ops, n))
		a->dirty = true;
}

/* Applies the kernel's changes ops[0..n) (transformed to apply to the
 * local doc; finied here) to the doc, the view and the cell being
 * edited. False if one did not apply (the doc was reloaded). */
bool
app_apply_kernel_ops(struct app *a, struct ot_op *ops, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct gl_err	 err = { 0 };
		size_t		 idx;

		if (ot_apply(a->doc, &ops[i], &err) != 0) {
			for (size_t j = i; j < n; j++)
				ot_op_fini(&ops[j]);
			app_resync(a, err.msg);
			return false;
		}
		view_apply_op(a->view, a->doc, &ops[i]);
		if (ops[i].kind == OT_TEXT &&
		    nb_doc_find(a->doc, ops[i].id, &idx) &&
		    view_out_count(a->view, idx) > 0)
			view_set_stale(a->view, idx, true);
		if (a->mode == KEYMAP_INSERT) {
			ed_transform(&a->ed, &ops[i]);
			if (nb_doc_find(a->doc, a->ed.id, NULL) == NULL) {
				app_insert_leave(a);
				app_msg(a, true, "someone deleted the cell you "
				    "were editing");
			}
		}
		ot_op_fini(&ops[i]);
	}
	return true;
}

/* Inserts a cell at index (after a header cell at most) and returns its
 * index, or -1. inv collects the inverse. */
long
app_insert_cell(struct app *a, size_t index, enum nb_kind kind, const char *src,
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
	if (app_apply_op(a, &op, inv, ninv) != 0) {
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
		(void)app_apply_op(a, &m, inv, ninv);
		ot_op_fini(&m);
	}
	nb_doc_find(a->doc, op.id, &idx);
	ot_op_fini(&op);
	return (long)idx;
}

/* Undo or redo one group. */
bool
app_undo(struct app *a, bool redo)
{
	struct ot_op	*ops, *inv = NULL;
	size_t		 n, ninv = 0, off, idx, applied = 0;
	char		 cell[NB_ID_MAX + 1];

	if (!(redo ? sync_redo : sync_undo)(a->sync, &ops, &n, cell, &off)) {
		app_msg(a, false, "nothing to %s", redo ? "redo" : "undo");
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		if (app_apply_op(a, &ops[i], &inv, &ninv) == 0) {
			applied++;
			if (a->mode == KEYMAP_INSERT)
				ed_transform(&a->ed, &ops[i]);
		}
	}
	if (redo)
		sync_push_undo_keep(a->sync, inv, ninv, cell, off);
	else
		sync_push_redo(a->sync, inv, ninv, cell, off);
	app_send_edits(a);
	for (size_t i = 0; i < n; i++) {
		if (ops[i].kind == OT_INSERT_CELL &&
		    nb_doc_find(a->doc, ops[i].id, NULL) != NULL)
			app_fetch_outputs(a, ops[i].id);
		ot_op_fini(&ops[i]);
	}
	free(ops);
	if (nb_doc_find(a->doc, cell, &idx) != NULL) {
		if (a->mode == KEYMAP_INSERT && strcmp(cell, a->ed.id) == 0) {
			size_t		 len;
			const char	*src = nb_cell_source(
					    nb_doc_cell(a->doc, idx), &len);

			a->ed.cur = a->ed.anchor = off;
			a->ed.sel = false;
			ed_clamp(&a->ed, src, len);
		} else if (a->mode == KEYMAP_INSERT)
			app_insert_leave(a);
		view_set_cursor(a->view, idx);
	} else if (a->mode == KEYMAP_INSERT &&
	    nb_doc_find(a->doc, a->ed.id, NULL) == NULL)
		app_insert_leave(a);
	if (a->mode == KEYMAP_INSERT)
		sync_break(a->sync);
	if (applied < n)
		app_msg(a, true, "%s: %zu of %zu changes no longer apply",
		    redo ? "redo" : "undo", n - applied, n);
	else
		app_msg(a, false, "%s", redo ? "redone" : "undone");
	return true;
}

void
app_type(struct app *a, const char *s, size_t n, bool paste)
{
	size_t		 idx, len, before;
	struct nb_cell	*c = nb_doc_find(a->doc, a->ed.id, &idx);
	const char	*src;
	struct ot_op	 op;
	bool		 ok;

	if (c == NULL) {
		app_insert_leave(a);
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
		(void)app_change(a, &op, paste ? SYNC_G_OTHER : SYNC_G_TYPE,
		    before);
	if (paste)
		sync_break(a->sync);
}

void
app_clip_free(struct app *a)
{
	for (size_t i = 0; i < a->nclip; i++) {
		free(a->clip[i].source);
		for (size_t k = 0; k < a->clip[i].nmeta * 2; k++)
			free(a->clip[i].meta[k]);
		free(a->clip[i].meta);
	}
	free(a->clip);
	a->clip = NULL;
	a->nclip = 0;
}

void
app_clip_copy(struct app *a, size_t lo, size_t hi)
{
	app_clip_free(a);
	a->nclip = hi - lo + 1;
	a->clip = xcalloc(a->nclip, sizeof *a->clip);
	for (size_t i = lo; i <= hi; i++) {
		struct nb_cell	*c = nb_doc_cell(a->doc, i);
		struct app_clip *k = &a->clip[i - lo];
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

/*
 * session-run.c - a session's runs (kernel/session.h): the FIFO run queue
 * (cell.run, cell.cancel), the runtime (kernel/rth.h: started at the first
 * code run, interrupted, restarted) and its callbacks, and the runtime's
 * cluster.* requests, handed to the host.
 *
 * Runs. cell.run queues runs (one FIFO per session, one run at a time).
 * The runtime is started at the first code run. A run takes the cell's
 * source at the moment it starts. Markdown and raw cells complete at once
 * (ok, no outputs). A run that ends in error, interrupted or died cancels
 * the runs queued after it by the same cell.run request (as Jupyter stops
 * on error). Outputs of the running cell are kept in memory (capped at
 * SESS_OUT_MAX bytes per cell, then marked truncated, the full output
 * going to a file) and written to the store when the run ends, keyed by
 * the hash of the source that ran.
 */
#include "kernel/session_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "core/err.h"
#include "core/mem.h"
#include "core/notebook.h"
#include "core/rpc.h"
#include "core/util.h"
#include "kernel/log.h"
#include "kernel/req.h"
#include "kernel/rth.h"
#include "lua/plugin.h"

static void	 sess_pump(struct sess *s);
static void	 sess_note_started(struct sess *s, const struct sess_run *run);
static void	 sess_finish(struct sess *s, struct sess_run *run,
		     enum gl_run_status st, const char *error, size_t errlen,
		     const char *message);
static void	 sess_cancel_batch(struct sess *s, uint64_t batch,
		     const char *message);
static size_t	 sess_cancel_queue(struct sess *s, const char *message);
static void	 sess_on_request(void *ctx, uint64_t run, struct rpc_msg *m);
static void	 sess_on_output(void *ctx, uint64_t run,
		     const msgpack_object *output, const char *raw,
		     size_t rawlen);
static void	 sess_on_done(void *ctx, uint64_t run,
		     enum gl_run_status status, const char *error,
		     size_t errlen, const char *message);
static void	 sess_on_state(void *ctx, enum rth_state state,
		     const char *message);
static void	 sess_on_io(void *ctx, bool begin);

static const char *const rth_state_names[] = {
	[RTH_STARTING] = "starting",
	[RTH_IDLE] = "idle",
	[RTH_BUSY] = "busy",
	[RTH_DEAD] = "dead",
	[RTH_STOPPED] = "stopped",
};

/* The outputs, starts and ends of the runs the runtime sent at once go
 * to each client in one write. */
static void
sess_on_io(void *ctx, bool begin)
{
	struct sess	*s = ctx;

	if (begin == s->corked || (begin && s->closing))
		return;
	s->corked = begin;
	for (size_t i = 0; i < s->nclients; i++)
		req_client_cork(s->clients[i], begin);
}

static const struct rth_cbs sess_rth_cbs = {
	.on_output = sess_on_output,
	.on_done = sess_on_done,
	.on_state = sess_on_state,
	.on_reply = sess_on_reply,
	.on_io = sess_on_io,
};

/* cell.run {session, cells: [id], until_refused?} */
int
sess_rpc_cell_run(struct sess_set *ss, struct req *r, struct gl_err *err)
{
	struct sess		*s;
	const msgpack_object	*co;
	struct sess_run		*head = NULL, **tailp = &head;
	struct plg_result	 hr = { 0 };
	struct gl_err		 refusal = { 0 };
	msgpack_packer		*pk;
	uint32_t		 n, refused = UINT32_MAX;
	uint64_t		 batch;
	bool			 until = rpc_map_bool(r->args, "until_refused",
				     false);

	if ((s = sess_get(ss, r, true, err)) == NULL)
		return err->code;
	co = rpc_map_get(r->args, "cells");
	if (co == NULL || co->type != MSGPACK_OBJECT_ARRAY)
		return gl_err_set(err, GL_EINVAL,
		    "cell.run: wants {session, cells: [id]}");
	n = co->via.array.size;
	for (uint32_t i = 0; i < n; i++) {
		const msgpack_object *id = &co->via.array.ptr[i];
		char buf[NB_ID_MAX + 1];

		if (id->type != MSGPACK_OBJECT_STR ||
		    id->via.str.size > NB_ID_MAX)
			return gl_err_set(err, GL_EINVAL,
			    "cell.run: cells[%u] is not a cell id", i);
		memcpy(buf, id->via.str.ptr, id->via.str.size);
		buf[id->via.str.size] = '\0';
		if (nb_doc_find(s->doc, buf, NULL) == NULL)
			return gl_err_set(err, GL_ENOTFOUND,
			    "cell.run: no cell %s in session %s", buf, s->id);
		if (sess_hook_run(s, r, buf, &hr, until ? &refusal : err) !=
		    0) {
			if (until) {
				/* The cells before it run; the answer says
				 * which cell was refused and why. */
				refused = i;
				break;
			}
			plg_result_fini(&hr);
			return err->code;
		}
	}
	if (refused != UINT32_MAX)
		n = refused;
	batch = ++s->next_batch;
	for (uint32_t i = 0; i < n; i++) {
		const msgpack_object	*id = &co->via.array.ptr[i];
		struct sess_run		*run = xcalloc(1, sizeof *run);

		run->id = s->next_run++;
		run->batch = batch;
		memcpy(run->cell, id->via.str.ptr, id->via.str.size);
		snprintf(run->by, sizeof run->by, "%s",
		    req_client_user(r->client));
		run->by_client = r->client->id;
		*tailp = run;
		tailp = &run->next;
	}
	pk = req_reply_begin(r);
	msgpack_pack_map(pk, (hr.nwarnings > 0 ? 2 : 1) +
	    (refused != UINT32_MAX ? 1 : 0));
	sess_pack_warnings(pk, &hr);
	if (refused != UINT32_MAX) {
		const msgpack_object *id = &co->via.array.ptr[refused];

		rpc_pack_key(pk, "refused");
		msgpack_pack_map(pk, 2);
		rpc_pack_key(pk, "cell");
		rpc_pack_strn(pk, id->via.str.ptr, id->via.str.size);
		rpc_pack_kv_str(pk, "message", refusal.msg);
	}
	rpc_pack_key(pk, "runs");
	msgpack_pack_array(pk, n);
	for (struct sess_run *run = head; run != NULL; run = run->next) {
		msgpack_pack_map(pk, 2);
		rpc_pack_kv_int(pk, "run", (int64_t)run->id);
		rpc_pack_kv_str(pk, "cell", run->cell);
	}
	req_reply_end(r);
	plg_result_fini(&hr);
	/* The others learn who queued what (the asker has the answer). */
	for (struct sess_run *run = head; run != NULL && s->nclients > 1;
	    run = run->next) {
		pk = sess_note_begin(ss, "cell.queued");
		msgpack_pack_map(pk, 5);
		rpc_pack_kv_str(pk, "session", s->id);
		rpc_pack_kv_str(pk, "cell", run->cell);
		rpc_pack_kv_int(pk, "run", (int64_t)run->id);
		rpc_pack_kv_str(pk, "by", run->by);
		rpc_pack_kv_int(pk, "client", (int64_t)run->by_client);
		sess_broadcast(s, r->client);
	}
	if (head != NULL) {
		if (s->qtail != NULL)
			s->qtail->next = head;
		else
			s->qhead = head;
		for (s->qtail = head; s->qtail->next != NULL;
		    s->qtail = s->qtail->next)
			;
	}
	sess_pump(s);
	return 0;
}

/* cell.interrupt {session} */
int
sess_rpc_cell_interrupt(struct sess_set *ss, struct req *r, struct gl_err *err)
{
	struct sess *s;

	if ((s = sess_get(ss, r, true, err)) == NULL)
		return err->code;
	if (s->cur != NULL && s->rt != NULL) {
		log_info("%s: interrupt run %" PRIu64 " (cell %s)", s->id,
		    s->cur->id, s->cur->cell);
		rth_interrupt(s->rt);
	}
	return 0;
}

/* cell.cancel {session} */
int
sess_rpc_cell_cancel(struct sess_set *ss, struct req *r, struct gl_err *err)
{
	struct sess	*s;
	size_t		 n;
	msgpack_packer	*pk;

	if ((s = sess_get(ss, r, true, err)) == NULL)
		return err->code;
	n = sess_cancel_queue(s, "cancelled");
	pk = req_reply_begin(r);
	msgpack_pack_map(pk, 1);
	rpc_pack_kv_int(pk, "cancelled", (int64_t)n);
	req_reply_end(r);
	sess_activity(ss);
	return 0;
}

/* runtime.restart {session} */
int
sess_rpc_runtime_restart(struct sess_set *ss, struct req *r, struct gl_err *err)
{
	struct sess *s;

	if ((s = sess_get(ss, r, true, err)) == NULL)
		return err->code;
	if (s->rt != NULL) {
		log_info("%s: runtime restart requested", s->id);
		rth_restart(s->rt);
	}
	return 0;
}

const char *
sess_run_cell(const struct sess *s, uint64_t run)
{
	return s->cur != NULL && s->cur->id == run ? s->cur->cell : NULL;
}

const char *
sess_run_user(const struct sess *s, uint64_t run)
{
	return s->cur != NULL && s->cur->id == run ? s->cur->by : NULL;
}

uint64_t
sess_runtime_gen(const struct sess *s)
{
	return s->rt != NULL ? rth_generation(s->rt) : 0;
}

int
sess_runtime_send(struct sess *s, uint64_t gen, const void *p, size_t n)
{
	if (s->closing || s->rt == NULL || rth_generation(s->rt) != gen)
		return GL_ECLOSED;
	return rth_send(s->rt, p, n);
}

/* The state of s's runtime ("idle", ...); "none" before the first run. */
const char *
sess_runtime_state(const struct sess *s)
{
	return s->rt == NULL ? "none" : rth_state_names[rth_get_state(s->rt)];
}

/*
 * Whether run, next in the queue, may be sent to the runtime now behind
 * the running one. Only for an ephemeral session (galley run's: nobody
 * edits it, so a cell's source is the same when sent as when it would
 * start), and only a code cell of the running run's batch: a failure
 * there cancels it anyway, and what finishes at once (markdown, a deleted
 * cell) must not finish before the runs ahead of it.
 */
static bool
sess_can_send_ahead(struct sess *s, const struct sess_run *run)
{
	struct nb_cell	*cell;

	if (!s->ephemeral || s->cur == NULL || s->rt == NULL ||
	    run->batch != s->cur->batch || !rth_can_run_ahead(s->rt))
		return false;
	cell = nb_doc_find(s->doc, run->cell, NULL);
	return cell != NULL && (nb_cell_kind(cell) == NB_CODE ||
	    nb_cell_is_header(cell));
}

/* run, sent to the runtime, is the running run from now. */
static void
sess_run_start(struct sess *s, struct sess_run *run)
{
	struct sess_cell_out *co;

	run->t0 = uv_hrtime();
	s->cur = run;
	co = sess_outs(s, run->cell, true);
	sess_outs_reset(s, co);
	memcpy(co->hash, run->hash, sizeof co->hash);
	sess_note_started(s, run);
}

static void
sess_pump(struct sess *s)
{
	struct gl_err	 err;
	int		 rc;

	/* Runs sent behind one that failed are being cancelled: nothing
	 * starts before they are. */
	if (s->pumping || s->closing || (s->cur == NULL && s->shead != NULL))
		return;
	s->pumping = true;
	while (s->qhead != NULL && !s->closing) {
		struct sess_run	*run = s->qhead;
		struct nb_cell	*cell;
		size_t		 idx, len;
		const char	*src;
		bool		 ahead = s->cur != NULL;

		if (ahead && !sess_can_send_ahead(s, run))
			break;
		cell = nb_doc_find(s->doc, run->cell, &idx);
		if (cell == NULL) {
			s->qhead = run->next;
			if (s->qhead == NULL)
				s->qtail = NULL;
			sess_finish(s, run, GL_RUN_CANCELLED, NULL, 0,
			    "the cell was deleted before it ran");
			continue;
		}
		if (nb_cell_kind(cell) != NB_CODE &&
		    !nb_cell_is_header(cell)) {
			s->qhead = run->next;
			if (s->qhead == NULL)
				s->qtail = NULL;
			sess_note_started(s, run);
			sess_finish(s, run, GL_RUN_OK, NULL, 0, NULL);
			continue;
		}
		if (s->rt == NULL) {
			struct rth_opts	 o = {
				.exe = s->set->host.exe,
				.cwd = s->dir,
				.memory_limit = s->set->host.memory_limit,
				.session = s->id,
			};

			s->rt = rth_new(s->set->host.loop, &o, &sess_rth_cbs,
			    s, &err);
			if (s->rt == NULL) {
				uint64_t batch = run->batch;

				log_info("%s: cannot start a runtime: %s",
				    s->id, err.msg);
				s->qhead = run->next;
				if (s->qhead == NULL)
					s->qtail = NULL;
				sess_finish(s, run, GL_RUN_DIED, NULL, 0,
				    err.msg);
				sess_cancel_batch(s, batch, NULL);
				continue;
			}
			rth_serve_requests(s->rt, sess_on_request);
			rth_hold(s->rt, s->held);
			log_info("%s: runtime started", s->id);
		}
		src = nb_cell_source(cell, &len);
		rc = rth_run(s->rt, run->id, run->batch, run->cell, src, len,
		    s->chunk, nb_doc_source_line(s->doc, idx), &err);
		if (rc == GL_EBUSY || (rc != 0 && ahead))
			break;	/* not ready yet: sess_on_state() pumps
				 * again; or it fails when it is its turn */
		s->qhead = run->next;
		if (s->qhead == NULL)
			s->qtail = NULL;
		run->next = NULL;
		if (rc != 0) {
			/* A runtime that gave up restarting, a cell too
			 * big to send, ... */
			uint64_t batch = run->batch;

			log_info("%s: run %" PRIu64 " not started: %s", s->id,
			    run->id, err.msg);
			sess_finish(s, run, GL_RUN_DIED, NULL, 0, err.msg);
			sess_cancel_batch(s, batch, NULL);
			continue;
		}
		run->code = true;
		gl_hash_hex(src, len, run->hash);
		if (ahead) {
			if (s->stail != NULL)
				s->stail->next = run;
			else
				s->shead = run;
			s->stail = run;
			continue;
		}
		sess_run_start(s, run);
	}
	s->pumping = false;
	sess_activity(s->set);
}

static void
sess_note_started(struct sess *s, const struct sess_run *run)
{
	msgpack_packer *pk = sess_note_begin(s->set, "cell.started");

	msgpack_pack_map(pk, 5);
	rpc_pack_kv_str(pk, "session", s->id);
	rpc_pack_kv_str(pk, "cell", run->cell);
	rpc_pack_kv_int(pk, "run", (int64_t)run->id);
	rpc_pack_kv_str(pk, "by", run->by);
	rpc_pack_kv_int(pk, "client", (int64_t)run->by_client);
	sess_broadcast(s, NULL);
}

/*
 * Ends run (already unlinked from the queue): cell.done to every client,
 * outputs to the store for a run that ran. A run that ended in error,
 * interrupted or died has its error as an error output: the runtime's,
 * error[0..errlen), or one made of message. cell.done carries it as it
 * is, and a run that ran keeps it as its last output. Frees run.
 */
static void
sess_finish(struct sess *s, struct sess_run *run, enum gl_run_status st,
    const char *error, size_t errlen, const char *message)
{
	msgpack_packer	*pk;
	struct sess_cell_out *co = NULL;
	struct gl_buf	 made;
	uint64_t	 elapsed = 0;
	size_t		 n = 5;

	gl_buf_init(&made);
	if (st != GL_RUN_ERROR && st != GL_RUN_INTERRUPTED &&
	    st != GL_RUN_DIED)
		error = NULL;
	else if (error == NULL && message != NULL) {
		sess_error_output(&made, message);
		error = made.data;
		errlen = made.len;
	}
	if (run->code) {
		elapsed = (uv_hrtime() - run->t0) / 1000000;
		co = sess_outs(s, run->cell, true);
		if (error != NULL)
			sess_outs_error(co, error, errlen);
		sess_outs_end(co);
		sess_outs_store(s, co);
	}
	if (error != NULL)
		n++;
	if (message != NULL)
		n++;
	pk = sess_note_begin(s->set, "cell.done");
	msgpack_pack_map(pk, n);
	rpc_pack_kv_str(pk, "session", s->id);
	rpc_pack_kv_str(pk, "cell", run->cell);
	rpc_pack_kv_int(pk, "run", (int64_t)run->id);
	rpc_pack_kv_str(pk, "status", gl_run_status_name(st));
	rpc_pack_kv_int(pk, "elapsed_ms", (int64_t)elapsed);
	if (error != NULL) {
		rpc_pack_key(pk, "error");
		rpc_pack_raw(pk, error, errlen);
	}
	if (message != NULL)
		rpc_pack_kv_str(pk, "message", message);
	sess_broadcast(s, NULL);
	gl_buf_fini(&made);
	free(run);
}

/* Cancels the queued runs of one cell.run request. */
static void
sess_cancel_batch(struct sess *s, uint64_t batch, const char *message)
{
	struct sess_run **pp = &s->qhead, *run;

	while ((run = *pp) != NULL) {
		if (run->batch != batch) {
			pp = &run->next;
			continue;
		}
		*pp = run->next;
		sess_finish(s, run, GL_RUN_CANCELLED, NULL, 0, message != NULL ?
		    message : "an earlier cell of this run did not succeed");
	}
	s->qtail = NULL;
	for (run = s->qhead; run != NULL; run = run->next)
		s->qtail = run;
}

static size_t
sess_cancel_queue(struct sess *s, const char *message)
{
	struct sess_run	*run;
	size_t		 n = 0;

	while ((run = s->qhead) != NULL) {
		s->qhead = run->next;
		sess_finish(s, run, GL_RUN_CANCELLED, NULL, 0, message);
		n++;
	}
	s->qtail = NULL;
	return n;
}

/* The runtime asks for cluster work (cluster.map in a cell, ...). */
static void
sess_on_request(void *ctx, uint64_t run, struct rpc_msg *m)
{
	struct sess		*s = ctx;
	struct sess_host	*host = &s->set->host;
	struct rpc_writer	 w;

	if (!s->closing && host->on_cluster_request(host->ctx, s, run,
	    m) == 0)
		return;
	rpc_writer_init(&w);
	rpc_write_error(&w, m->id, GL_EUNSUPPORTED, "the kernel has no "
	    "cluster service (it is shutting down)");
	if (s->rt != NULL)
		(void)rth_send(s->rt, w.sbuf.data, w.sbuf.size);
	rpc_writer_fini(&w);
}

static void
sess_on_output(void *ctx, uint64_t run, const msgpack_object *output,
    const char *raw, size_t rawlen)
{
	sess_out_put(ctx, run, output, raw, rawlen);
}

static void
sess_on_done(void *ctx, uint64_t run, enum gl_run_status st,
    const char *error, size_t errlen, const char *message)
{
	struct sess	*s = ctx;
	struct sess_run	*cur = s->cur, *sent = s->shead;
	uint64_t	 batch;

	if (s->closing)
		return;
	if (cur == NULL && sent != NULL && sent->id == run) {
		/* Sent behind a run that did not succeed: the runtime
		 * cancelled it (or died before it). */
		if ((s->shead = sent->next) == NULL)
			s->stail = NULL;
		sent->code = false;
		sess_finish(s, sent, GL_RUN_CANCELLED, NULL, 0, message);
		sess_pump(s);
		return;
	}
	if (cur == NULL || cur->id != run)
		return;
	sess_hook_after_run(s, cur, gl_run_status_name(st), message);
	s->cur = NULL;
	batch = cur->batch;
	s->set->host.on_run_done(s->set->host.ctx, s, run);
	sess_finish(s, cur, st, error, errlen, message);
	if (st != GL_RUN_OK)
		sess_cancel_batch(s, batch, NULL);
	else if ((sent = s->shead) != NULL && !s->closing) {
		/* The runtime started the next one the moment this one
		 * ended. */
		if ((s->shead = sent->next) == NULL)
			s->stail = NULL;
		sent->next = NULL;
		sess_run_start(s, sent);
	}
	/* Runs sent behind a run that did not succeed stay in shead until
	 * the runtime answers them "cancelled"; nothing else is sent
	 * meanwhile. */
	if (s->shead == NULL)
		sess_pump(s);
}

static void
sess_on_state(void *ctx, enum rth_state state, const char *message)
{
	struct sess	*s = ctx;
	msgpack_packer	*pk;

	if (s->closing)
		return;
	/* A runtime that died or restarts loses its cluster work, and
	 * will not answer what it was asked. */
	if (state == RTH_DEAD || state == RTH_STARTING) {
		s->set->host.on_reset(s->set->host.ctx, s);
		sess_asks_fail(s, true);
	}
	if (state != RTH_IDLE && state != RTH_BUSY)
		log_info("%s: runtime %s%s%s", s->id, rth_state_names[state],
		    message != NULL ? ": " : "",
		    message != NULL ? message : "");
	pk = sess_note_begin(s->set, "runtime.status");
	msgpack_pack_map(pk, 3);
	rpc_pack_kv_str(pk, "session", s->id);
	rpc_pack_kv_str(pk, "state", rth_state_names[state]);
	rpc_pack_kv_str(pk, "message", message != NULL ? message : "");
	sess_broadcast(s, NULL);
	if ((state == RTH_DEAD || state == RTH_STOPPED) && s->cur != NULL) {
		/* The host reports the run first; in case it did not. */
		struct sess_run	*cur = s->cur;
		uint64_t	 batch = cur->batch;

		s->cur = NULL;
		sess_finish(s, cur, GL_RUN_DIED, NULL, 0, message);
		sess_cancel_batch(s, batch, NULL);
	}
	if (state == RTH_DEAD || state == RTH_STOPPED) {
		struct sess_run	*sent;

		while ((sent = s->shead) != NULL) {
			if ((s->shead = sent->next) == NULL)
				s->stail = NULL;
			sent->code = false;
			sess_finish(s, sent, GL_RUN_CANCELLED, NULL, 0,
			    "the runtime died before it ran");
		}
	}
	/* IDLE lets the next run start; a DEAD runtime that gave up
	 * restarting fails the queued runs. */
	if (state == RTH_IDLE || state == RTH_DEAD)
		sess_pump(s);
}

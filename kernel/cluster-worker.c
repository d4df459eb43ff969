/*
 * cluster-worker.c - the cluster service's worker connections
 * (kernel/cluster.h): accepting them, the hello that proves the secret
 * both ways, their messages (task.done, heartbeats, task.released,
 * worker.leaving), their loss, and the scheduler's actions that go to a
 * worker (task.run, task.release, task.cancel, worker.stop).
 *
 * Workers. A worker connects to the listener and gets auth.challenge
 * {nonce}; it answers worker.hello {hmac, nonce, name, host, pid, slots}
 * with its proof over both nonces (core/auth.h); we answer {worker, hmac}
 * with ours, so each side knows the other holds the secret, which never
 * crosses the wire, and neither proof is good for another connection or
 * the other direction. The answer and everything after it are sealed
 * records (core/seal.h) keyed from the secret and both nonces: a peer
 * that relayed the proofs between a worker and us reads and writes
 * nothing. Before that a peer may send 4 KiB frames, gets nothing but the
 * challenge and a refusal, must be done within auth_ms, and at most
 * pending_max such peers wait at once. A connection is a struct
 * clu_worker, whose state walks HELLO -> UP -> STOPPING (we sent
 * worker.stop) or LOST (the connection dropped; the launcher is asked
 * why, and its ENDED event says "killed by signal 9") -> DEAD (the
 * scheduler knows it is gone). A worker is freed once DEAD (or never UP)
 * and its handle closed.
 */
#include "kernel/cluster_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/auth.h"
#include "core/err.h"
#include "core/mem.h"
#include "core/rpc.h"
#include "core/seal.h"
#include "kernel/conn.h"
#include "kernel/launch.h"
#include "kernel/log.h"

static struct clu_worker *clu_worker_by_id(struct clu *c, uint64_t id);
static void	 clu_worker_lost(struct clu_worker *w, const char *why);
static void	 clu_worker_on_closed(void *ctx);
static void	 clu_worker_on_msg(void *ctx, struct rpc_msg *m);
static void	 clu_worker_on_read(void *ctx);
static void	 clu_worker_on_end(void *ctx, enum conn_end why,
		     const char *msg, size_t queued);
static void	 clu_worker_on_over_limit(void *ctx, const struct rpc_msg *m,
		     const char *why);
static void	 clu_worker_limit(void *ctx, enum rpc_type type,
		     const char *method, struct rpc_limit *l);
static void	 clu_worker_handle(struct clu_worker *w, struct rpc_msg *m);
static void	 clu_worker_hello(struct clu_worker *w,
		     const struct rpc_msg *m);
static void	 clu_worker_task_done(struct clu_worker *w, struct rpc_msg *m);

static struct clu_worker *
clu_worker_by_id(struct clu *c, uint64_t id)
{
	for (struct clu_worker *w = c->workers; w != NULL; w = w->next)
		if (w->id == id && w->state != WS_HELLO)
			return w;
	return NULL;
}

struct clu_worker *
clu_worker_by_name(struct clu *c, const char *name)
{
	for (struct clu_worker *w = c->workers; w != NULL; w = w->next)
		if (w->state != WS_HELLO && w->state != WS_DEAD &&
		    strcmp(w->name, name) == 0)
			return w;
	return NULL;
}

void
clu_on_conn(uv_stream_t *l, int status)
{
	static const struct conn_cbs cbs = {
		.on_msg = clu_worker_on_msg,
		.on_over_limit = clu_worker_on_over_limit,
		.on_read = clu_worker_on_read,
		.on_end = clu_worker_on_end,
		.on_closed = clu_worker_on_closed,
	};
	struct clu_lsn		*ls = l->data;
	struct clu		*c = ls->c;
	struct clu_worker	*w;
	struct conn_opts	 o = {
		.frame_max = CLU_FRAME_ANON,
		.queue_max = CLU_QUEUED_MAX,
		.keep = CLU_KEEP_MAX,
		.rbuf = c->rbuf,
		.rbuflen = sizeof c->rbuf,
	};
	char			 name[64];
	unsigned		 port;
	msgpack_packer		*wpk;

	if (status < 0 || c->closing)
		return;
	w = xcalloc(1, sizeof *w);
	if ((w->conn = conn_accept(l, &o, &cbs, w)) == NULL) {
		free(w);
		return;
	}
	w->c = c;
	w->state = WS_HELLO;
	w->since_ms = clu_now(c);
	c->handles++;
	w->next = c->workers;
	if (c->workers != NULL)
		c->workers->prev = w;
	c->workers = w;
	c->nworkers++;
	conn_peer(w->conn, name, sizeof name, &port);
	snprintf(w->peer, sizeof w->peer, "worker connection from %s port %u",
	    name, port);
	if (c->npending >= c->host.pending_max) {
		log_limited(&c->refused, clu_now(c), "cluster: %s: refused: "
		    "%zu connections already wait to authenticate", w->peer,
		    c->npending);
		snprintf(name, sizeof name, "too many connections wait to "
		    "authenticate (%u)", c->host.pending_max);
		w->closing = true;
		wpk = clu_worker_note(w, "kernel.refused");
		msgpack_pack_map(wpk, 1);
		rpc_pack_kv_str(wpk, "message", name);
		conn_refuse(w->conn, false);
		clu_tick_start(c);
		return;
	}
	w->pending = true;
	c->npending++;
	auth_nonce(w->nonce);
	wpk = clu_worker_note(w, "auth.challenge");
	msgpack_pack_map(wpk, 2);
	rpc_pack_key(wpk, "nonce");
	msgpack_pack_bin(wpk, AUTH_NONCE_LEN);
	msgpack_pack_bin_body(wpk, w->nonce, AUTH_NONCE_LEN);
	rpc_pack_kv_int(wpk, "version", AUTH_VERSION);
	clu_worker_flush(w);
	conn_set_deadline(w->conn, c->host.auth_ms);
	conn_start(w->conn);
	clu_tick_start(c);
}

/* Begins a notification to w ([2, method, [ ... ]]): the caller packs
 * one map; clu_drain() (or clu_worker_flush()) sends it. */
msgpack_packer *
clu_worker_note(struct clu_worker *w, const char *method)
{
	struct rpc_writer *wr = conn_writer(w->conn);

	rpc_begin_notify(wr, method);
	return &wr->pk;
}

void
clu_worker_flush(struct clu_worker *w)
{
	if (w->conn != NULL)
		conn_flush(w->conn);
}

void
clu_worker_close(struct clu_worker *w)
{
	/* A refusal may linger, except when the service closes. */
	if (w->conn == NULL || (w->closing && !w->c->closing))
		return;
	w->closing = true;
	conn_close(w->conn, false);
}

void
clu_worker_refuse(struct clu_worker *w, const char *msg)
{
	msgpack_packer *wpk;

	if (w->closing)
		return;
	w->closing = true;
	if (msg != NULL) {
		wpk = clu_worker_note(w, "kernel.refused");
		msgpack_pack_map(wpk, 1);
		rpc_pack_kv_str(wpk, "message", msg);
	}
	conn_refuse(w->conn, true);
}

/* The connection ended (EOF, an error, garbage). */
static void
clu_worker_lost(struct clu_worker *w, const char *why)
{
	struct clu	*c = w->c;
	int64_t		 now = clu_now(c);

	switch (w->state) {
	case WS_HELLO:
		break;
	case WS_UP:
		/* Ask the launcher why (its ENDED event says "killed by
		 * signal 9"); a worker it does not know died now. */
		if (w->launched && c->launch != NULL &&
		    launch_worker_lost(c->launch, w->name) == 0) {
			w->state = WS_LOST;
			w->lost_ms = now;
			log_info("cluster: worker %s (%s): connection lost: %s",
			    w->name, w->host, why);
			break;
		}
		log_info("cluster: worker %s (%s): connection lost: %s",
		    w->name, w->host, why);
		sched_worker_died(c->sched, w->id, SCHED_LOSS_DISCONNECTED,
		    why, now);
		w->state = WS_DEAD;
		break;
	case WS_STOPPING:
		sched_worker_left(c->sched, w->id, now);
		w->state = WS_DEAD;
		break;
	case WS_LOST:
	case WS_DEAD:
		break;
	}
	clu_worker_close(w);
}

static void
clu_worker_on_closed(void *ctx)
{
	struct clu_worker	*w = ctx;
	struct clu		*c = w->c;

	w->conn = NULL;
	w->closed = true;
	c->handles--;
	if (w->pending) {
		w->pending = false;
		c->npending--;
	}
	/* Closed with the scheduler still counting it (it should have
	 * been told on the way here; this keeps it true). */
	if (!c->closing && w->state == WS_UP) {
		sched_worker_died(c->sched, w->id, SCHED_LOSS_DISCONNECTED,
		    "connection closed", clu_now(c));
		w->state = WS_DEAD;
	} else if (!c->closing && w->state == WS_STOPPING) {
		sched_worker_left(c->sched, w->id, clu_now(c));
		w->state = WS_DEAD;
	}
	clu_worker_maybe_free(w);
	if (!c->closing)
		clu_drain(c);
	clu_free_maybe(c);
}

/* Frees w once its handle is closed, unless the scheduler still counts
 * it (LOST: the launcher has not said why yet). */
void
clu_worker_maybe_free(struct clu_worker *w)
{
	struct clu *c = w->c;

	if (!w->closed || (w->state == WS_LOST && !c->closing))
		return;
	if (w->prev != NULL)
		w->prev->next = w->next;
	else
		c->workers = w->next;
	if (w->next != NULL)
		w->next->prev = w->prev;
	c->nworkers--;
	free(w->fns);
	free(w);
}

static void
clu_worker_on_msg(void *ctx, struct rpc_msg *m)
{
	clu_worker_handle(ctx, m);
}

/* Any bytes from a worker are a sign of life. */
static void
clu_worker_on_read(void *ctx)
{
	struct clu_worker	*w = ctx;
	struct clu		*c = w->c;

	if (w->state != WS_HELLO && !w->closing && c->sched != NULL)
		sched_heartbeat(c->sched, w->id, clu_now(c));
	clu_drain(c);
}

/* The slow-reader policy for workers: one that stopped reading is lost
 * like one whose connection dropped. */
static void
clu_worker_on_end(void *ctx, enum conn_end why, const char *msg,
    size_t queued)
{
	struct clu_worker	*w = ctx;
	struct clu		*c = w->c;
	char			 text[96];

	(void)queued;
	switch (why) {
	case CONN_EOF:
		clu_worker_lost(w, "connection closed");
		break;
	case CONN_PROTOCOL:
		if (w->state == WS_HELLO) {
			log_limited(&c->refused, clu_now(c), "cluster: %s: %s",
			    w->peer, msg);
			rpc_write_error(conn_writer(w->conn), 0, GL_EPROTO,
			    msg);
			clu_worker_refuse(w, NULL);
			break;
		}
		log_info("cluster: %s: %s", w->name, msg);
		clu_worker_lost(w, "protocol error");
		break;
	case CONN_DEADLINE:
		if (w->state != WS_HELLO)
			break;
		log_limited(&c->refused, clu_now(c), "cluster: %s: did not "
		    "authenticate within %u ms", w->peer, c->host.auth_ms);
		snprintf(text, sizeof text, "did not authenticate within %u "
		    "ms", c->host.auth_ms);
		clu_worker_refuse(w, text);
		break;
	case CONN_FULL:
		clu_worker_lost(w, "it stopped reading");
		break;
	case CONN_READ_ERROR:
	case CONN_WRITE_ERROR:
		clu_worker_lost(w, msg);
		break;
	}
}

/* A message over its limit: the worker is broken or hostile; it is lost
 * like one that spoke garbage. */
static void
clu_worker_on_over_limit(void *ctx, const struct rpc_msg *m, const char *why)
{
	struct clu_worker *w = ctx;

	(void)m;
	log_info("cluster: worker %s (%s): refused %s", w->name, w->host, why);
	clu_worker_lost(w, "a message over its limit");
}

static void
clu_worker_limit(void *ctx, enum rpc_type type, const char *method,
    struct rpc_limit *l)
{
	(void)ctx;
	if (type == RPC_NOTIFY && strcmp(method, "task.done") == 0) {
		l->elems = CLU_DONE_ELEMS_MAX;
		l->bytes = CLU_DONE_DECODED_MAX;
	} else {
		l->elems = CLU_ELEMS_MAX;
		l->bytes = CLU_DECODED_MAX;
	}
}

static void
clu_worker_handle(struct clu_worker *w, struct rpc_msg *m)
{
	struct clu		*c = w->c;
	const msgpack_object	*o;

	if (w->state == WS_HELLO) {
		clu_worker_hello(w, m);
		return;
	}
	if (w->state != WS_UP && w->state != WS_STOPPING)
		return;		/* given up on: late words are ignored */
	if (m->type != RPC_NOTIFY)
		return;
	if (strcmp(m->method, "task.done") == 0) {
		clu_worker_task_done(w, m);
	} else if (strcmp(m->method, "worker.heartbeat") == 0) {
		if ((o = rpc_map_get(m->args, "cpu")) != NULL &&
		    (o->type == MSGPACK_OBJECT_FLOAT64 ||
		    o->type == MSGPACK_OBJECT_FLOAT32))
			w->cpu_s = o->via.f64;
		w->rss = rpc_map_int(m->args, "rss", w->rss);
	} else if (strcmp(m->method, "task.released") == 0) {
		uint64_t	*ids;
		size_t		 n = 0;

		o = rpc_map_get(m->args, "tasks");
		if (o == NULL || o->type != MSGPACK_OBJECT_ARRAY)
			return;
		ids = xmalloc((o->via.array.size + 1) * sizeof *ids);
		for (uint32_t i = 0; i < o->via.array.size; i++)
			if (o->via.array.ptr[i].type ==
			    MSGPACK_OBJECT_POSITIVE_INTEGER)
				ids[n++] = o->via.array.ptr[i].via.u64;
		sched_worker_released(c->sched, w->id, ids, n, clu_now(c));
		free(ids);
	} else if (strcmp(m->method, "worker.leaving") == 0) {
		char		 why[200];
		size_t		 len = 0;
		const char	*r = rpc_map_str(m->args, "reason", &len);

		snprintf(why, sizeof why, "it left (%.*s)", r != NULL ?
		    (int)(len > 150 ? 150 : len) : 7, r != NULL ? r :
		    "no reason");
		log_info("cluster: worker %s (%s): %s", w->name, w->host, why);
		if (w->state == WS_UP)
			sched_worker_died(c->sched, w->id,
			    SCHED_LOSS_PREEMPTED, why, clu_now(c));
		else
			sched_worker_left(c->sched, w->id, clu_now(c));
		w->state = WS_DEAD;
		if (w->launched && c->launch != NULL)
			(void)launch_stop(c->launch, w->name);
		w->launched = false;
		clu_worker_close(w);
	}
}

/* worker.hello {hmac, nonce, name, host, pid, slots}: the secret, proved
 * both ways over both nonces; from the answer on, the connection is
 * sealed. */
static void
clu_worker_hello(struct clu_worker *w, const struct rpc_msg *m)
{
	struct clu		*c = w->c;
	const msgpack_object	*mac, *nonce;
	struct rpc_writer	*wr = conn_writer(w->conn);
	msgpack_packer		*wpk = &wr->pk;
	unsigned char		 proof[AUTH_MAC_LEN];
	char			*s;
	int64_t			 slots;

	if (m->type != RPC_REQUEST || strcmp(m->method, "worker.hello") != 0) {
		log_limited(&c->refused, clu_now(c), "cluster: %s: %s before "
		    "authenticating", w->peer, m->method);
		goto refuse;
	}
	mac = rpc_map_get(m->args, "hmac");
	nonce = rpc_map_get(m->args, "nonce");
	if (mac == NULL || mac->type != MSGPACK_OBJECT_BIN ||
	    mac->via.bin.size != AUTH_MAC_LEN || nonce == NULL ||
	    nonce->type != MSGPACK_OBJECT_BIN ||
	    nonce->via.bin.size != AUTH_NONCE_LEN ||
	    !auth_proof_check(c->secret, "worker", AUTH_BY_PEER, w->nonce,
	    (const unsigned char *)nonce->via.bin.ptr,
	    (const unsigned char *)mac->via.bin.ptr)) {
		log_limited(&c->refused, clu_now(c), "cluster: %s: wrong "
		    "cluster secret", w->peer);
		goto refuse;
	}
	s = rpc_map_strdup(m->args, "name");
	snprintf(w->name, sizeof w->name, "%s", s != NULL ? s : "worker");
	free(s);
	s = rpc_map_strdup(m->args, "host");
	snprintf(w->host, sizeof w->host, "%s", s != NULL ? s : "?");
	free(s);
	w->pid = (int)rpc_map_int(m->args, "pid", 0);
	slots = rpc_map_int(m->args, "slots", 1);
	w->id = ++c->next_worker;
	w->state = WS_UP;
	w->pending = false;
	c->npending--;
	conn_set_deadline(w->conn, 0);
	conn_set_frame_max(w->conn, CLU_FRAME_MAX);
	conn_set_limit(w->conn, clu_worker_limit, w);
	conn_seal(w->conn, seal_new(c->secret, "worker", w->nonce,
	    (const unsigned char *)nonce->via.bin.ptr, SEAL_KERNEL));
	auth_proof(c->secret, "worker", AUTH_BY_KERNEL, w->nonce,
	    (const unsigned char *)nonce->via.bin.ptr, proof);
	rpc_begin_response(wr, m->id);
	msgpack_pack_map(wpk, 2);
	rpc_pack_kv_int(wpk, "worker", (int64_t)w->id);
	rpc_pack_key(wpk, "hmac");
	msgpack_pack_bin(wpk, AUTH_MAC_LEN);
	msgpack_pack_bin_body(wpk, proof, AUTH_MAC_LEN);
	clu_worker_flush(w);
	w->launched = c->launch != NULL &&
	    launch_worker_up(c->launch, w->name) == 0;
	log_info("cluster: worker %s (%s, pid %d) joined as worker %" PRIu64,
	    w->name, w->host, w->pid, w->id);
	sched_worker_joined(c->sched, w->id, w->host, slots > 0 &&
	    slots < 1024 ? (int)slots : 1, clu_now(c));
	return;
refuse:
	rpc_write_error(wr, m->type == RPC_REQUEST ? m->id : 0, GL_EAUTH,
	    "wrong cluster secret");
	/* The peer reads the refusal, then the close. */
	clu_worker_refuse(w, NULL);
}

/* task.done {results: [[task, status, value, run_us, cpu_us, out], ...]} */
static void
clu_worker_task_done(struct clu_worker *w, struct rpc_msg *m)
{
	struct clu		*c = w->c;
	const msgpack_object	*list = rpc_map_get(m->args, "results");
	struct clu_resmsg	*h;
	size_t			 n;
	int64_t			 now = clu_now(c);

	if (list == NULL || list->type != MSGPACK_OBJECT_ARRAY)
		return;
	n = list->via.array.size;
	h = xmalloc(sizeof *h + (n + 1) * sizeof *h->r);
	h->r = (struct clu_res *)(h + 1);
	h->m = *m;
	m->up.zone = NULL;	/* ours now */
	h->refs = 1;
	snprintf(h->worker, sizeof h->worker, "%s (%s)", w->name, w->host);
	snprintf(h->host, sizeof h->host, "%s", w->host);
	for (size_t i = 0; i < n; i++) {
		const msgpack_object	*e = &list->via.array.ptr[i];
		const msgpack_object	*o;
		struct clu_res		*r = &h->r[i];
		enum sched_status	 st;

		if (e->type != MSGPACK_OBJECT_ARRAY || e->via.array.size < 5 ||
		    e->via.array.ptr[0].type !=
		    MSGPACK_OBJECT_POSITIVE_INTEGER)
			continue;
		o = e->via.array.ptr;
		st = o[1].type == MSGPACK_OBJECT_POSITIVE_INTEGER &&
		    o[1].via.u64 == 0 ? SCHED_OK : SCHED_ERROR;
		r->h = h;
		r->value = &o[2];
		r->run_us = o[3].type == MSGPACK_OBJECT_POSITIVE_INTEGER ?
		    (int64_t)o[3].via.u64 : 0;
		r->cpu_us = o[4].type == MSGPACK_OBJECT_POSITIVE_INTEGER ?
		    (int64_t)o[4].via.u64 : 0;
		r->out = NULL;
		r->outlen = 0;
		if (e->via.array.size > 5 &&
		    o[5].type == MSGPACK_OBJECT_STR) {
			r->out = o[5].via.str.ptr;
			r->outlen = o[5].via.str.size;
		}
		w->tasks++;
		w->task_cpu_s += (double)r->cpu_us / 1e6;
		h->refs++;
		if (!sched_task_finished(c->sched, w->id, o[0].via.u64, st,
		    (uint64_t)(uintptr_t)r, r->run_us, now))
			h->refs--;	/* late: dropped */
	}
	clu_res_release(&(struct clu_res){ .h = h });
}

void
clu_res_release(struct clu_res *r)
{
	struct clu_resmsg *h = r->h;

	if (--h->refs > 0)
		return;
	rpc_msg_fini(&h->m);
	free(h);
}

/* SEND: one task.run {job, fn?|inline, tasks: [[task, item], ...]}. */
void
clu_act_send(struct clu *c, const struct sched_action *a)
{
	struct clu_worker	*w = clu_worker_by_id(c, a->worker);
	struct clu_job		*j;
	msgpack_packer		*wpk;
	bool			 fn = false, first = true, libs;

	if (w == NULL || w->state != WS_UP || a->n == 0 ||
	    (j = clu_job_of_payload(c, a->payloads[0])) == NULL)
		return;		/* a dropped worker: retried on its death */
	/* A job's first tasks on this worker bring its function (a map's)
	 * and the registry modules its session loaded. */
	for (size_t i = 0; i < w->nfns && first; i++)
		first = w->fns[i] != j->id;
	if (first) {
		if (w->nfns == w->capfns) {
			w->capfns = w->capfns ? 2 * w->capfns : 4;
			w->fns = xrealloc(w->fns, w->capfns *
			    sizeof *w->fns);
		}
		w->fns[w->nfns++] = j->id;
	}
	fn = first && !j->submit;
	libs = first && j->sess != NULL && c->host.pack_libs != NULL;
	wpk = clu_worker_note(w, "task.run");
	msgpack_pack_map(wpk, (fn || j->submit ? 3 : 2) + libs);
	rpc_pack_key(wpk, "job");
	msgpack_pack_uint64(wpk, j->id);
	if (libs) {
		rpc_pack_key(wpk, "libs");
		c->host.pack_libs(c->host.ctx, j->sess, w->host, j->user,
		    wpk);
	}
	if (fn) {
		rpc_pack_key(wpk, "fn");
		msgpack_pack_bin(wpk, j->fnlen);
		msgpack_pack_bin_body(wpk, j->fn, j->fnlen);
	} else if (j->submit)
		rpc_pack_kv_bool(wpk, "inline", true);
	rpc_pack_key(wpk, "tasks");
	msgpack_pack_array(wpk, a->n);
	for (size_t i = 0; i < a->n; i++) {
		const struct clu_item *it = &j->items[a->payloads[i] &
		    0xffffffffu];

		msgpack_pack_array(wpk, 2);
		msgpack_pack_uint64(wpk, a->tasks[i]);
		msgpack_pack_bin(wpk, it->len);
		msgpack_pack_bin_body(wpk, it->p != NULL ? it->p :
		    j->arena.data + it->off, it->len);
	}
}

/* RELEASE, CANCEL: {tasks: [...]}. */
void
clu_act_ids(struct clu *c, const struct sched_action *a, const char *method)
{
	struct clu_worker	*w = clu_worker_by_id(c, a->worker);
	msgpack_packer		*wpk;

	if (w == NULL || w->state != WS_UP)
		return;
	wpk = clu_worker_note(w, method);
	msgpack_pack_map(wpk, 1);
	rpc_pack_key(wpk, "tasks");
	msgpack_pack_array(wpk, a->n);
	for (size_t i = 0; i < a->n; i++)
		msgpack_pack_uint64(wpk, a->tasks[i]);
}

/* STOP: idle or scaled down (worker.stop, then the launcher stops the
 * process), or silent (declared dead: killed). */
void
clu_act_stop(struct clu *c, const struct sched_action *a)
{
	struct clu_worker	*w = clu_worker_by_id(c, a->worker);
	msgpack_packer		*wpk;
	bool			 silent = a->msg != NULL &&
				    strncmp(a->msg, "no heartbeat", 12) == 0;

	if (w == NULL)
		return;
	log_info("cluster: stopping worker %s (%s): %s", w->name, w->host,
	    a->msg != NULL ? a->msg : "");
	if (w->state == WS_UP && !silent) {
		wpk = clu_worker_note(w, "worker.stop");
		msgpack_pack_map(wpk, 1);
		rpc_pack_kv_str(wpk, "reason", a->msg != NULL ? a->msg :
		    "stopped");
		clu_worker_flush(w);
	}
	if (w->launched && c->launch != NULL)
		(void)launch_stop(c->launch, w->name);
	w->launched = false;
	if (silent) {
		w->state = WS_DEAD;	/* the scheduler dropped it */
		clu_worker_close(w);
	} else if (w->state == WS_UP)
		w->state = WS_STOPPING;
}

void
clu_pack_workers(struct clu *c, msgpack_packer *pk)
{
	struct sched_worker_info *wi = NULL;
	size_t			 n = 0, k = 0;
	int64_t			 now = clu_now(c);
	struct clu_worker	*w;

	for (w = c->workers; w != NULL; w = w->next)
		if (w->state == WS_UP || w->state == WS_STOPPING)
			n++;
	if (n > 0) {
		wi = xcalloc(n, sizeof *wi);
		n = sched_workers(c->sched, wi, n);
	}
	for (w = c->workers; w != NULL; w = w->next)
		if (w->state == WS_UP || w->state == WS_STOPPING)
			k++;
	msgpack_pack_array(pk, k);
	for (w = c->workers; w != NULL; w = w->next) {
		const struct sched_worker_info *info = NULL;
		const char *state;

		if (w->state != WS_UP && w->state != WS_STOPPING)
			continue;
		for (size_t i = 0; i < n; i++)
			if (wi[i].id == w->id)
				info = &wi[i];
		state = w->state == WS_STOPPING || (info != NULL &&
		    info->stopping) ? "stopping" : info != NULL &&
		    info->held > 0 ? "busy" : "idle";
		msgpack_pack_map(pk, 10);
		rpc_pack_kv_int(pk, "id", (int64_t)w->id);
		rpc_pack_kv_str(pk, "name", w->name);
		rpc_pack_kv_str(pk, "host", w->host);
		rpc_pack_kv_int(pk, "pid", w->pid);
		rpc_pack_kv_str(pk, "state", state);
		rpc_pack_kv_int(pk, "tasks", (int64_t)w->tasks);
		rpc_pack_kv_int(pk, "held", info != NULL ?
		    (int64_t)info->held : 0);
		rpc_pack_key(pk, "cpu");
		msgpack_pack_double(pk, w->cpu_s > w->task_cpu_s ? w->cpu_s :
		    w->task_cpu_s);
		rpc_pack_kv_int(pk, "rss", w->rss);
		rpc_pack_kv_int(pk, "idle_ms", info != NULL &&
		    info->idle_since_ms >= 0 ? now - info->idle_since_ms : 0);
	}
	free(wi);
}

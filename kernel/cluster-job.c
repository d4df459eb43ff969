/*
 * cluster-job.c - the cluster service's jobs (kernel/cluster.h): the
 * runtimes' cluster.* requests, the jobs they make, and the scheduler's
 * results, progress and job ends on their way back to the runtime and
 * the session's clients.
 *
 * Jobs. A cluster.map is a job of the scheduler; the futures of one run
 * (cluster.submit) share one unordered job, closed when the run ends. The
 * request messages that carry the items are kept whole by the job (no
 * copy, no allocation per task); a task's payload handle is (job slot <<
 * 32 | item index). A worker's task.done message is kept whole too, with
 * one small array of result records (one allocation per message, not per
 * task); a result handle points at its record, and the message is freed
 * when its last record was delivered.
 *
 * Results reach the runtime as cluster.results notifications, batched per
 * job and drain (item order for maps: the scheduler guarantees it), then
 * cluster.done at the end of a map. What a task printed becomes a stream
 * output of the cell, in item order, with its result. Progress (throttled
 * by the scheduler) becomes cluster.progress for the session's clients
 * and a "progress" output of the cell (kept once per job).
 */
#include "kernel/cluster_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/mem.h"
#include "core/rpc.h"
#include "kernel/log.h"

static void	 clu_reply(struct clu *c, struct sess *s, uint64_t gen);
static void	 clu_output(struct clu *c, struct clu_job *j, const char *type,
		     const char *text, size_t len);
static struct clu_job *clu_job_new(struct clu *c, const struct clu_from *f,
		     uint64_t ref, bool submit, enum sched_errors errors);
static struct clu_job *clu_job_find(struct clu *c, uint64_t id);
static struct clu_job *clu_job_by_ref(struct clu *c, struct sess *s,
		     uint64_t ref);
static void	 clu_job_keep(struct clu_job *j, struct rpc_msg *m);
static int	 clu_job_add_items(struct clu *c, struct clu_job *j,
		     const msgpack_object *items, uint64_t *ids,
		     struct gl_err *err);
static int	 clu_buf_write(void *data, const char *buf, size_t len);

static const char *const clu_job_status_names[] = {
	[SCHED_OK] = "ok",
	[SCHED_ERROR] = "error",
	[SCHED_FAILED] = "failed",
	[SCHED_CANCELLED] = "cancelled",
};

/* The limits of whoever started f's run. */
static int
clu_check_limits_for(struct clu *c, const struct clu_from *f,
    struct gl_err *err)
{
	const char	*user = f->user != NULL ? f->user : c->user;
	char		*group = clu_user_group(c, user);
	int		 rc;

	rc = clu_check_limits(c, user, group, err);
	free(group);
	return rc;
}

void
clu_runtime_request(struct clu *c, const struct clu_from *f,
    struct rpc_msg *m)
{
	const msgpack_object	*args = m->args;
	struct sess		*s = f->sess;
	struct gl_err		 err;
	uint64_t		 gen = f->gen, run = f->run, ref;
	uint32_t		 id = m->id;
	struct clu_job		*j;
	msgpack_packer		*pk = &c->w.pk;
	int			 rc = 0;

	gl_err_clear(&err);
	rpc_writer_reset(&c->w);
	ref = (uint64_t)rpc_map_int(args, "ref", 0);
	if (strcmp(m->method, "cluster.map") == 0) {
		const msgpack_object *fn = rpc_map_get(args, "fn");
		enum sched_errors errors = rpc_obj_streq(rpc_map_get(args,
		    "errors"), "collect") ? SCHED_ERRORS_COLLECT :
		    SCHED_ERRORS_RAISE;

		if (fn == NULL || fn->type != MSGPACK_OBJECT_BIN || ref == 0) {
			rc = gl_err_set(&err, GL_EINVAL, "cluster.map: wants "
			    "{ref, fn, items, errors, more}");
			goto fail;
		}
		if ((rc = clu_ensure(c, s, &err)) != 0 ||
		    (rc = clu_check_limits_for(c, f, &err)) != 0)
			goto fail;
		j = clu_job_new(c, f, ref, false, errors);
		clu_job_keep(j, m);	/* args stay valid: same memory */
		j->fn = fn->via.bin.ptr;
		j->fnlen = fn->via.bin.size;
		if ((rc = clu_job_add_items(c, j, rpc_map_get(args, "items"),
		    NULL, &err)) != 0) {
			j->closed = true;
			sched_job_close(c->sched, j->id, clu_now(c));
			sched_cancel_job(c->sched, j->id, clu_now(c));
			j->sess = NULL;
			goto fail;
		}
		if (!rpc_map_bool(args, "more", false)) {
			j->closed = true;
			sched_job_close(c->sched, j->id, clu_now(c));
		}
		rpc_begin_response(&c->w, id);
		msgpack_pack_map(pk, 2);
		rpc_pack_kv_int(pk, "job", (int64_t)j->id);
		rpc_pack_kv_int(pk, "n", (int64_t)j->nitems);
	} else if (strcmp(m->method, "cluster.add") == 0) {
		if ((j = clu_job_by_ref(c, s, ref)) == NULL || j->closed) {
			rc = gl_err_set(&err, GL_ENOTFOUND, "cluster.add: no "
			    "open map %" PRIu64, ref);
			goto fail;
		}
		clu_job_keep(j, m);
		if ((rc = clu_job_add_items(c, j, rpc_map_get(args, "items"),
		    NULL, &err)) != 0)
			goto fail;
		if (!rpc_map_bool(args, "more", false)) {
			j->closed = true;
			sched_job_close(c->sched, j->id, clu_now(c));
		}
		rpc_begin_response(&c->w, id);
		msgpack_pack_map(pk, 1);
		rpc_pack_kv_int(pk, "n", (int64_t)j->nitems);
	} else if (strcmp(m->method, "cluster.submit") == 0) {
		const msgpack_object	*unit = rpc_map_get(args, "unit");
		msgpack_object		 one;
		uint64_t		 tid = 0;

		if (unit == NULL || unit->type != MSGPACK_OBJECT_BIN ||
		    ref == 0) {
			rc = gl_err_set(&err, GL_EINVAL, "cluster.submit: "
			    "wants {ref, unit}");
			goto fail;
		}
		j = NULL;
		for (size_t i = 0; i < c->capjobs && j == NULL; i++)
			if (c->jobs[i] != NULL && c->jobs[i]->sess == s &&
			    c->jobs[i]->submit && c->jobs[i]->run == run &&
			    !c->jobs[i]->closed)
				j = c->jobs[i];
		if (j == NULL) {
			if ((rc = clu_ensure(c, s, &err)) != 0 ||
			    (rc = clu_check_limits_for(c, f, &err)) != 0)
				goto fail;
			j = clu_job_new(c, f, 0, true, SCHED_ERRORS_COLLECT);
		}
		one = (msgpack_object){ .type = MSGPACK_OBJECT_ARRAY,
		    .via.array = { 1, (msgpack_object *)unit } };
		if (j->nitems == j->caprefs) {
			j->caprefs = j->caprefs ? 2 * j->caprefs : 16;
			j->refs = xrealloc(j->refs, j->caprefs *
			    sizeof *j->refs);
			j->tids = xrealloc(j->tids, j->caprefs *
			    sizeof *j->tids);
		}
		j->refs[j->nitems] = ref;
		/* The unit is copied into the job's arena: m goes. */
		if ((rc = clu_job_add_items(c, j, &one, &tid, &err)) != 0)
			goto fail;
		j->tids[j->nitems - 1] = tid;	/* for a cancel by ref */
		rpc_begin_response(&c->w, id);
		msgpack_pack_map(pk, 1);
		rpc_pack_kv_int(pk, "job", (int64_t)j->id);
	} else if (strcmp(m->method, "cluster.cancel") == 0) {
		const msgpack_object *mo = rpc_map_get(args, "map");

		if (mo != NULL && mo->type == MSGPACK_OBJECT_POSITIVE_INTEGER) {
			if ((j = clu_job_by_ref(c, s, mo->via.u64)) != NULL)
				sched_cancel_job(c->sched, j->id, clu_now(c));
		} else if (ref != 0) {
			for (size_t i = 0; i < c->capjobs; i++) {
				j = c->jobs[i];
				if (j == NULL || j->sess != s || !j->submit)
					continue;
				for (size_t k = 0; k < j->nitems; k++)
					if (j->refs[k] == ref && j->tids[k])
						sched_cancel_task(c->sched,
						    j->tids[k], clu_now(c));
			}
		}
		rpc_begin_response(&c->w, id);
		msgpack_pack_map(pk, 0);
	} else if (strcmp(m->method, "cluster.workers") == 0) {
		rpc_begin_response(&c->w, id);
		msgpack_pack_map(pk, 1);
		rpc_pack_key(pk, "workers");
		clu_pack_workers(c, pk);
	} else if (strcmp(m->method, "cluster.scale") == 0) {
		rpc_begin_response(&c->w, id);
		if ((rc = clu_scale(c, s, args, pk, &err)) != 0)
			goto fail;
	} else {
		rc = gl_err_set(&err, GL_EINVAL, "no method %s on the runtime "
		    "pipe", m->method);
		goto fail;
	}
	clu_reply(c, s, gen);
	clu_drain(c);
	return;
fail:
	rpc_writer_reset(&c->w);
	rpc_write_error(&c->w, id, rc, err.msg);
	clu_reply(c, s, gen);
	clu_drain(c);
}

void
clu_run_done(struct clu *c, struct sess *s, uint64_t run)
{
	for (size_t i = 0; i < c->capjobs; i++) {
		struct clu_job *j = c->jobs[i];

		if (j == NULL || j->sess != s || j->run != run || j->closed)
			continue;
		j->closed = true;
		sched_job_close(c->sched, j->id, clu_now(c));
	}
	clu_drain(c);
}

void
clu_session_reset(struct clu *c, struct sess *s)
{
	bool any = false;

	for (size_t i = 0; i < c->capjobs; i++) {
		struct clu_job *j = c->jobs[i];

		if (j == NULL || j->sess != s)
			continue;
		j->sess = NULL;
		if (!j->closed) {
			j->closed = true;
			sched_job_close(c->sched, j->id, clu_now(c));
		}
		sched_cancel_job(c->sched, j->id, clu_now(c));
		any = true;
	}
	if (any)
		clu_drain(c);
}

/* Sends c->w to s's runtime gen. */
static void
clu_reply(struct clu *c, struct sess *s, uint64_t gen)
{
	(void)c->host.runtime_send(c->host.ctx, s, gen, c->w.sbuf.data,
	    c->w.sbuf.size);
	rpc_writer_reset(&c->w);
}

/* RESULT: to the job's runtime (batched), its usage, its output. */
void
clu_act_result(struct clu *c, const struct sched_action *a)
{
	struct clu_job	*j = clu_job_of_payload(c, a->payload);
	struct clu_res	*r = a->result != 0 ? (struct clu_res *)(uintptr_t)
			    a->result : NULL;
	msgpack_packer	*pk;
	uint64_t	 key;

	if (j == NULL) {
		if (r != NULL)
			clu_res_release(r);
		return;
	}
	if (r != NULL) {
		clu_job_account(j, r->h->host, r);
		if (r->outlen > 0)
			clu_output(c, j, "stream", r->out, r->outlen);
	}
	if (j->sess != NULL && a->status != SCHED_CANCELLED) {
		key = j->submit ? (a->item < j->nitems ? j->refs[a->item] :
		    0) : a->item;
		pk = &j->rpk;
		msgpack_pack_array(pk, 3);
		msgpack_pack_uint64(pk, key);
		msgpack_pack_int(pk, (int)a->status);
		if (a->status == SCHED_OK && r != NULL &&
		    r->value->type == MSGPACK_OBJECT_BIN)
			msgpack_pack_object(pk, *r->value);
		else if (a->status == SCHED_ERROR && r != NULL) {
			size_t		 len = 0, tlen = 0;
			const char	*m = rpc_map_str(r->value, "message",
					    &len);
			const char	*tb = rpc_map_str(r->value,
					    "traceback", &tlen);

			msgpack_pack_map(pk, 3);
			rpc_pack_key(pk, "message");
			rpc_pack_strn(pk, m != NULL ? m : "error", m != NULL ?
			    len : 5);
			rpc_pack_key(pk, "traceback");
			rpc_pack_strn(pk, tb != NULL ? tb : "", tlen);
			rpc_pack_kv_str(pk, "worker", r->h->worker);
		} else {
			msgpack_pack_map(pk, 1);
			rpc_pack_kv_str(pk, "message", a->msg != NULL ?
			    a->msg : "the task failed");
		}
		j->nr++;
		if (!j->queued) {
			j->queued = true;
			j->qnext = c->flushq;
			c->flushq = j;
		}
		if (j->rbuf.len >= CLU_RESULTS_BYTES)
			clu_flush_results(c, j);
	}
	if (r != NULL)
		clu_res_release(r);
}

/* Sends the results gathered for j to its runtime. */
void
clu_flush_results(struct clu *c, struct clu_job *j)
{
	if (j->nr == 0)
		return;
	if (j->sess != NULL) {
		rpc_writer_reset(&c->w);
		rpc_begin_notify(&c->w, "cluster.results");
		msgpack_pack_map(&c->w.pk, 2);
		rpc_pack_key(&c->w.pk, "ref");
		msgpack_pack_uint64(&c->w.pk, j->ref);
		rpc_pack_key(&c->w.pk, "results");
		msgpack_pack_array(&c->w.pk, j->nr);
		msgpack_sbuffer_write(&c->w.sbuf, j->rbuf.data, j->rbuf.len);
		(void)c->host.runtime_send(c->host.ctx, j->sess, j->gen,
		    c->w.sbuf.data, c->w.sbuf.size);
		rpc_writer_reset(&c->w);
	}
	gl_buf_reset(&j->rbuf);
	j->nr = 0;
}

/* PROGRESS: cluster.progress to the session's clients, and a progress
 * output of the cell. */
void
clu_act_progress(struct clu *c, const struct sched_action *a)
{
	struct clu_job		*j = clu_job_find(c, a->job);
	msgpack_packer		*pk;
	msgpack_object_kv	 kv[5];
	msgpack_object		 o;

	if (j == NULL)
		return;
	j->done = a->done;
	j->failed = a->failed;
	j->total = a->total;
	if (j->sess == NULL)
		return;
	rpc_writer_reset(&c->w);
	rpc_begin_notify(&c->w, "cluster.progress");
	pk = &c->w.pk;
	msgpack_pack_map(pk, 7);
	rpc_pack_kv_str(pk, "session", j->session);
	rpc_pack_kv_str(pk, "cell", j->cell);
	rpc_pack_kv_int(pk, "job", (int64_t)j->id);
	rpc_pack_kv_int(pk, "done", (int64_t)a->done);
	rpc_pack_kv_int(pk, "total", (int64_t)a->total);
	rpc_pack_kv_int(pk, "failed", (int64_t)a->failed);
	rpc_pack_kv_int(pk, "busy", (int64_t)a->busy);
	c->host.notify(c->host.ctx, j->sess, c->w.sbuf.data, c->w.sbuf.size);
	rpc_writer_reset(&c->w);
#define KV_STR(i, k, v) do {						\
	kv[i].key = (msgpack_object){ .type = MSGPACK_OBJECT_STR,	\
	    .via.str = { (uint32_t)strlen(k), k } };			\
	kv[i].val = (msgpack_object){ .type = MSGPACK_OBJECT_STR,	\
	    .via.str = { (uint32_t)strlen(v), v } };			\
} while (0)
#define KV_INT(i, k, v) do {						\
	kv[i].key = (msgpack_object){ .type = MSGPACK_OBJECT_STR,	\
	    .via.str = { (uint32_t)strlen(k), k } };			\
	kv[i].val = (msgpack_object){					\
	    .type = MSGPACK_OBJECT_POSITIVE_INTEGER,			\
	    .via.u64 = (uint64_t)(v) };					\
} while (0)
	KV_STR(0, "type", "progress");
	KV_INT(1, "job", j->id);
	KV_INT(2, "done", a->done);
	KV_INT(3, "total", a->total);
	KV_INT(4, "failed", a->failed);
	o = (msgpack_object){ .type = MSGPACK_OBJECT_MAP,
	    .via.map = { 5, kv } };
	c->host.run_output(c->host.ctx, j->sess, j->run, &o);
}

/* A job's output of type stream (what a task printed). */
static void
clu_output(struct clu *c, struct clu_job *j, const char *type, const char *text,
    size_t len)
{
	msgpack_object_kv	 kv[3];
	msgpack_object		 o;

	if (j->sess == NULL)
		return;
	KV_STR(0, "type", type);
	KV_STR(1, "name", "stdout");
	kv[2].key = (msgpack_object){ .type = MSGPACK_OBJECT_STR,
	    .via.str = { 4, "text" } };
	kv[2].val = (msgpack_object){ .type = MSGPACK_OBJECT_STR,
	    .via.str = { (uint32_t)len, text } };
	o = (msgpack_object){ .type = MSGPACK_OBJECT_MAP,
	    .via.map = { 3, kv } };
	c->host.run_output(c->host.ctx, j->sess, j->run, &o);
}
#undef KV_STR
#undef KV_INT

/* JOB_DONE: the map's end to its runtime; its usage written; the workers
 * forget its function; the job freed. */
void
clu_act_job_done(struct clu *c, const struct sched_action *a)
{
	struct clu_job		*j = clu_job_find(c, a->job);
	struct clu_worker	*w;
	msgpack_packer		*pk = &c->w.pk, *wpk;

	if (j == NULL)
		return;
	clu_flush_results(c, j);
	if (j->sess != NULL && !j->submit) {
		rpc_writer_reset(&c->w);
		rpc_begin_notify(&c->w, "cluster.done");
		msgpack_pack_map(pk, a->msg != NULL ? 7 : 6);
		rpc_pack_key(pk, "ref");
		msgpack_pack_uint64(pk, j->ref);
		rpc_pack_kv_str(pk, "status", clu_job_status_names[a->status]);
		rpc_pack_kv_int(pk, "done", (int64_t)a->done);
		rpc_pack_kv_int(pk, "failed", (int64_t)a->failed);
		rpc_pack_kv_int(pk, "total", (int64_t)a->total);
		rpc_pack_kv_int(pk, "item", (int64_t)a->item + 1);
		if (a->msg != NULL)
			rpc_pack_kv_str(pk, "message", a->msg);
		(void)c->host.runtime_send(c->host.ctx, j->sess, j->gen,
		    c->w.sbuf.data, c->w.sbuf.size);
		rpc_writer_reset(&c->w);
	}
	for (w = c->workers; w != NULL; w = w->next) {
		for (size_t i = 0; i < w->nfns; i++) {
			if (w->fns[i] != j->id)
				continue;
			w->fns[i] = w->fns[--w->nfns];
			if (w->state == WS_UP) {
				wpk = clu_worker_note(w, "job.forget");
				msgpack_pack_map(wpk, 1);
				rpc_pack_key(wpk, "jobs");
				msgpack_pack_array(wpk, 1);
				msgpack_pack_uint64(wpk, j->id);
			}
			break;
		}
	}
	clu_usage_flush(c, j);
	clu_job_free(c, j);
}

static struct clu_job *
clu_job_new(struct clu *c, const struct clu_from *f, uint64_t ref, bool submit,
    enum sched_errors errors)
{
	struct clu_job		*j = xcalloc(1, sizeof *j);
	struct sched_job_opts	 o;
	size_t			 slot;

	for (slot = 0; slot < c->capjobs && c->jobs[slot] != NULL; slot++)
		;
	if (slot == c->capjobs) {
		size_t cap = c->capjobs ? 2 * c->capjobs : 16;

		c->jobs = xrealloc(c->jobs, cap * sizeof *c->jobs);
		memset(c->jobs + c->capjobs, 0, (cap - c->capjobs) *
		    sizeof *c->jobs);
		c->capjobs = cap;
	}
	j->slot = (uint32_t)slot;
	j->sess = f->sess;
	snprintf(j->session, sizeof j->session, "%s", f->session);
	j->gen = f->gen;
	j->run = f->run;
	j->ref = ref;
	j->submit = submit;
	j->cell = xstrdup(f->cell != NULL ? f->cell : "");
	j->notebook = xstrdup(f->notebook != NULL ? f->notebook : "");
	j->user = xstrdup(f->user != NULL ? f->user : c->user);
	j->group = clu_user_group(c, j->user);
	gl_buf_init(&j->rbuf);
	gl_buf_init(&j->arena);
	msgpack_packer_init(&j->rpk, &j->rbuf, clu_buf_write);
	memset(&o, 0, sizeof o);
	o.ordered = !submit;
	o.errors = errors;
	o.user = j->user;
	o.notebook = j->notebook;
	o.cell = j->cell;
	j->id = sched_job_new(c->sched, &o, clu_now(c));
	c->jobs[slot] = j;
	c->njobs++;
	return j;
}

void
clu_job_free(struct clu *c, struct clu_job *j)
{
	if (j->queued) {
		struct clu_job **pp;

		for (pp = &c->flushq; *pp != NULL; pp = &(*pp)->qnext)
			if (*pp == j) {
				*pp = j->qnext;
				break;
			}
	}
	c->jobs[j->slot] = NULL;
	c->njobs--;
	for (size_t i = 0; i < j->nmsgs; i++)
		rpc_msg_fini(&j->msgs[i]);
	free(j->msgs);
	free(j->items);
	free(j->refs);
	free(j->tids);
	free(j->use);
	free(j->cell);
	free(j->notebook);
	free(j->user);
	free(j->group);
	gl_buf_fini(&j->rbuf);
	gl_buf_fini(&j->arena);
	free(j);
}

static struct clu_job *
clu_job_find(struct clu *c, uint64_t id)
{
	for (size_t i = 0; i < c->capjobs; i++)
		if (c->jobs[i] != NULL && c->jobs[i]->id == id)
			return c->jobs[i];
	return NULL;
}

struct clu_job *
clu_job_of_payload(struct clu *c, uint64_t payload)
{
	uint64_t slot = payload >> 32;

	return slot < c->capjobs ? c->jobs[slot] : NULL;
}

/* The live map job ref of s, or (ref 0) the open futures job of run. */
static struct clu_job *
clu_job_by_ref(struct clu *c, struct sess *s, uint64_t ref)
{
	for (size_t i = 0; i < c->capjobs; i++) {
		struct clu_job *j = c->jobs[i];

		if (j != NULL && j->sess == s && !j->submit && j->ref == ref)
			return j;
	}
	return NULL;
}

/* Keeps m (its items stay where they are); m is left empty. */
static void
clu_job_keep(struct clu_job *j, struct rpc_msg *m)
{
	if (j->nmsgs == j->capmsgs) {
		j->capmsgs = j->capmsgs ? 2 * j->capmsgs : 4;
		j->msgs = xrealloc(j->msgs, j->capmsgs * sizeof *j->msgs);
	}
	j->msgs[j->nmsgs++] = *m;
	m->up.zone = NULL;	/* rpc_msg_fini(m) frees nothing now */
}

/* Submits items (an array of bins, in a message j keeps) as tasks; ids
 * (NULL allowed) gets their task ids. */
static int
clu_job_add_items(struct clu *c, struct clu_job *j, const msgpack_object *items,
    uint64_t *ids, struct gl_err *err)
{
	uint64_t	*payloads;
	size_t		*bytes, n, first = j->nitems;
	int		 rc;

	if (items == NULL || items->type != MSGPACK_OBJECT_ARRAY)
		return gl_err_set(err, GL_EINVAL, "items: expected an array");
	n = items->via.array.size;
	for (size_t i = 0; i < n; i++)
		if (items->via.array.ptr[i].type != MSGPACK_OBJECT_BIN)
			return gl_err_set(err, GL_EINVAL, "items[%zu]: "
			    "expected encoded bytes", i);
	if (j->nitems + n > j->capitems) {
		j->capitems = j->capitems * 2 > j->nitems + n ?
		    j->capitems * 2 : j->nitems + n;
		j->items = xrealloc(j->items, j->capitems * sizeof *j->items);
	}
	payloads = xmalloc((n + 1) * sizeof *payloads);
	bytes = xmalloc((n + 1) * sizeof *bytes);
	for (size_t i = 0; i < n; i++) {
		const msgpack_object *o = &items->via.array.ptr[i];

		if (j->submit) {
			j->items[first + i].p = NULL;
			j->items[first + i].off = j->arena.len;
			gl_buf_add(&j->arena, o->via.bin.ptr, o->via.bin.size);
		} else {
			j->items[first + i].p = o->via.bin.ptr;
			j->items[first + i].off = 0;
		}
		j->items[first + i].len = o->via.bin.size;
		payloads[i] = (uint64_t)j->slot << 32 | (first + i);
		bytes[i] = o->via.bin.size;
	}
	j->nitems += n;
	rc = sched_submit(c->sched, j->id, n, payloads, bytes, ids,
	    clu_now(c));
	free(payloads);
	free(bytes);
	if (rc != 0)
		return gl_err_set(err, rc, "job %" PRIu64 " takes no more "
		    "tasks", j->id);
	return 0;
}

static int
clu_buf_write(void *data, const char *buf, size_t len)
{
	gl_buf_add(data, buf, len);
	return 0;
}

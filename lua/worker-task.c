/*
 * worker-task.c - running tasks in the worker (worker_int.h): the task
 * queue, the jobs' functions, results, what print writes, and
 * interrupting the running task.
 *
 * - Tasks. task.run {job, fn?, inline?, tasks: [[task, item], ...]}. The
 *   job's function is decoded once (its bytes come with the first batch
 *   of the job this worker gets) and kept in the registry until
 *   job.forget; each item is decoded and passed to it. Submitted tasks
 *   (inline) carry their function with their arguments in one unit. A
 *   call runs under lua_pcall with the host's message handler, which
 *   records the traceback; its values are encoded as one unit, or its
 *   error sent as {message, traceback}. What print and display write
 *   during a task is kept and sent with its result.
 *
 * - Results are batched: one task.done carries every result finished
 *   since the last one. A batch goes out when nothing is left to run, or
 *   at least every WK_FLUSH_US of work, so the kernel refills this
 *   worker's window before it runs dry (the scheduler refills at half a
 *   window of about 2 ms of work).
 *
 * - Accounting: each result carries the task's wall time (CLOCK_MONOTONIC)
 *   and CPU time (CLOCK_THREAD_CPUTIME_ID of the main thread), in µs.
 *
 * - Interrupting a task. Signals set a Lua hook (lua_sethook is safe in a
 *   signal handler, as lua.c relies on): SIGTERM (Slurm's warning before
 *   a job ends, the launchers' stop) and SIGINT make the running task
 *   raise and the worker leave, saying `worker.leaving {reason}` first so
 *   the kernel retries its tasks elsewhere without counting an attempt.
 *   SIGUSR1, which the heartbeat thread sends the main thread when input
 *   arrives during a task, makes the hook read it (plain C, between two
 *   Lua instructions): a task.cancel naming the running task makes it
 *   raise and report nothing; anything else waits in the inbox.
 *
 * Invariants: the Lua stack is empty between tasks; messages in the task
 * queue are held (counted) until their last task is run or dropped.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>

#include "core/err.h"
#include "core/mem.h"
#include "core/rpc.h"
#include "lua/codec.h"
#include "lua/worker_int.h"

static void	 wk_hook(lua_State *L, lua_Debug *ar);
static void	 wk_task_run_msg(struct wk *w, struct rpc_msg *m);
static void	 wk_drop_tasks(struct wk *w, const msgpack_object *ids,
		     bool answer);
static void	 wk_forget(struct wk *w, const msgpack_object *jobs);
static void	 wk_run_one(struct wk *w, struct wk_task *t);
static void	 wk_result_begin(struct wk *w, uint64_t task, int status);
static void	 wk_result_error(struct wk *w, uint64_t task, const char *msg,
		     size_t len, const char *tb, int64_t run_us,
		     int64_t cpu_us);
static void	 wk_result_end(struct wk *w, int64_t run_us, int64_t cpu_us);
static int	 wk_buf_write(void *data, const char *buf, size_t len);
static void	 wk_unhold(struct wk_held *h);
static struct wk_job *wk_job_find(struct wk *w, uint64_t id);

void
wk_tasks_init(struct wk *w)
{
	gl_buf_init(&w->res);
	msgpack_packer_init(&w->rpk, &w->res, wk_buf_write);
	gl_buf_init(&w->unit);
	gl_buf_init(&w->out);
}

void
wk_tasks_fini(struct wk *w)
{
	while (w->ntasks > 0) {
		wk_unhold(w->tasks[w->thead].held);
		w->thead = (w->thead + 1) % w->captasks;
		w->ntasks--;
	}
	free(w->tasks);
	w->tasks = NULL;
	free(w->jobs);
	w->jobs = NULL;
	w->njobs = 0;
	gl_buf_fini(&w->res);
	gl_buf_fini(&w->unit);
	gl_buf_fini(&w->out);
}

void
wk_run_next(struct wk *w)
{
	struct wk_task	 t = w->tasks[w->thead];

	w->thead = (w->thead + 1) % w->captasks;
	w->ntasks--;
	wk_run_one(w, &t);
	wk_unhold(t.held);
}

/* One message from the inbox; takes it. */
void
wk_serve(struct wk *w, struct rpc_msg *m)
{
	if (m->type == RPC_NOTIFY) {
		if (strcmp(m->method, "task.run") == 0) {
			wk_task_run_msg(w, m);	/* may keep m */
			return;
		}
		if (strcmp(m->method, "task.cancel") == 0)
			wk_drop_tasks(w, rpc_map_get(m->args, "tasks"),
			    false);
		else if (strcmp(m->method, "task.release") == 0)
			wk_drop_tasks(w, rpc_map_get(m->args, "tasks"), true);
		else if (strcmp(m->method, "job.forget") == 0)
			wk_forget(w, rpc_map_get(m->args, "jobs"));
		else if (strcmp(m->method, "worker.stop") == 0)
			w->stopping = true;
	} else if (m->type == RPC_REQUEST) {
		rpc_write_error(&w->w, m->id, GL_EINVAL, "a worker serves no "
		    "requests");
		wk_send(w);
	}
	rpc_msg_fini(m);
}

/* Sends the results gathered: one task.done. */
void
wk_flush(struct wk *w)
{
	w->last_flush_us = gl_now_us();
	if (w->nres == 0)
		return;
	rpc_begin_notify(&w->w, "task.done");
	msgpack_pack_map(&w->w.pk, 1);
	rpc_pack_key(&w->w.pk, "results");
	msgpack_pack_array(&w->w.pk, w->nres);
	msgpack_sbuffer_write(&w->w.sbuf, w->res.data, w->res.len);
	wk_send(w);
	gl_buf_reset(&w->res);
	w->nres = 0;
}

/* print(...) in a task (lua/host.c formats it): kept with the result,
 * up to WK_OUT_MAX bytes. */
void
wk_on_print(void *ud, const char *text, size_t len)
{
	struct wk	*w = ud;

	if (w->out_cut || w->out.len + len > WK_OUT_MAX)
		w->out_cut = true;
	else
		gl_buf_add(&w->out, text, len);
}

/* display(...) in a task: as print. */
void
wk_on_display(void *ud, const char *text, size_t len)
{
	struct wk	*w = ud;

	if (w->out_cut || w->out.len + len + 1 > WK_OUT_MAX)
		w->out_cut = true;
	else {
		gl_buf_add(&w->out, text, len);
		gl_buf_addc(&w->out, '\n');
	}
}

void
wk_on_term(int sig)
{
	lua_State	*L = wk_sig_L;
	int		 saved = errno;

	wk_term_sig = sig;
	wk_term = 1;
	if (L != NULL && WK_LOAD(wk_running) != 0)
		lua_sethook(L, wk_hook, LUA_MASKCALL | LUA_MASKRET |
		    LUA_MASKLINE | LUA_MASKCOUNT, 1);
	errno = saved;
}

/* SIGUSR1: input arrived while a task runs. */
void
wk_on_input(int sig)
{
	lua_State	*L = wk_sig_L;
	int		 saved = errno;

	(void)sig;
	if (L != NULL && WK_LOAD(wk_running) != 0) {
		wk_input_seen = 1;
		lua_sethook(L, wk_hook, LUA_MASKCALL | LUA_MASKRET |
		    LUA_MASKLINE | LUA_MASKCOUNT, 1);
	}
	errno = saved;
}

/*
 * Set from a signal, runs between two Lua instructions of the running
 * task: leaves (SIGTERM), or reads the input the heartbeat thread saw
 * (SIGUSR1) and raises if it cancels this task or the kernel is gone.
 */
static void
wk_hook(lua_State *L, lua_Debug *ar)
{
	struct wk	*w = lx_host_of(L)->ud;
	uint64_t	 task = WK_LOAD(wk_running);

	(void)ar;
	if (w->lua.in_msgh)
		return;
	lua_sethook(L, NULL, 0, 0);
	if (wk_term) {
		lua_pushliteral(L, "the worker is leaving");
		lua_error(L);
	}
	if (!wk_input_seen || task == 0)
		return;
	wk_input_seen = 0;
	if (!wk_input(w, 0) || wk_cancelled(w, task)) {
		WK_STORE(wk_cancel, task);
		lua_pushliteral(L, "cancelled");
		lua_error(L);
	}
}

/* task.run {job, fn?, inline?, tasks: [[task, item], ...]}: queues the
 * tasks, which point into the message (kept until they are done). */
static void
wk_task_run_msg(struct wk *w, struct rpc_msg *m)
{
	const msgpack_object	*tasks, *fn, *e;
	struct wk_held		*held;
	struct wk_job		*j;
	struct gl_err		 err;
	uint64_t		 job;
	bool			 inl;
	int			 nout;

	job = (uint64_t)rpc_map_int(m->args, "job", 0);
	inl = rpc_map_bool(m->args, "inline", false);
	tasks = rpc_map_get(m->args, "tasks");
	fn = rpc_map_get(m->args, "fn");
	/* The registry modules the job's session loaded come first: the
	 * function may name one (a module travels as its name). */
	wk_libs_take(w, rpc_map_get(m->args, "libs"));
	if (tasks == NULL || tasks->type != MSGPACK_OBJECT_ARRAY) {
		rpc_msg_fini(m);
		return;
	}
	if (!inl && fn != NULL && fn->type == MSGPACK_OBJECT_BIN &&
	    wk_job_find(w, job) == NULL) {
		/* The job's function, once. A function that cannot be
		 * decoded here fails each task with the reason. */
		gl_err_clear(&err);
		if (codec_decode(w->codec, w->L, fn->via.bin.ptr,
		    fn->via.bin.size, 0, CODEC_DEC_REQUIRE, &nout, &err) == 0) {
			lua_settop(w->L, 1);
			if (w->njobs == w->capjobs) {
				w->capjobs = w->capjobs ? 2 * w->capjobs : 8;
				w->jobs = xrealloc(w->jobs, w->capjobs *
				    sizeof *w->jobs);
			}
			j = &w->jobs[w->njobs++];
			j->id = job;
			j->ref = luaL_ref(w->L, LUA_REGISTRYINDEX);
		} else {
			for (uint32_t i = 0; i < tasks->via.array.size; i++) {
				e = &tasks->via.array.ptr[i];
				if (e->type != MSGPACK_OBJECT_ARRAY ||
				    e->via.array.size < 2)
					continue;
				wk_result_error(w, e->via.array.ptr[0].via.u64,
				    err.msg, strlen(err.msg), "", 0, 0);
			}
			rpc_msg_fini(m);
			wk_flush(w);
			return;
		}
		lua_settop(w->L, 0);
	}
	held = xmalloc(sizeof *held);
	held->m = *m;
	held->refs = 1;		/* ours, dropped below */
	for (uint32_t i = 0; i < tasks->via.array.size; i++) {
		struct wk_task *t;

		e = &tasks->via.array.ptr[i];
		if (e->type != MSGPACK_OBJECT_ARRAY || e->via.array.size < 2 ||
		    e->via.array.ptr[0].type !=
		    MSGPACK_OBJECT_POSITIVE_INTEGER ||
		    e->via.array.ptr[1].type != MSGPACK_OBJECT_BIN)
			continue;
		if (w->ntasks == w->captasks) {
			size_t		 cap = w->captasks ? 2 * w->captasks :
					    256;
			struct wk_task	*nt = xmalloc(cap * sizeof *nt);

			for (size_t k = 0; k < w->ntasks; k++)
				nt[k] = w->tasks[(w->thead + k) % w->captasks];
			free(w->tasks);
			w->tasks = nt;
			w->thead = 0;
			w->captasks = cap;
		}
		t = &w->tasks[(w->thead + w->ntasks++) % w->captasks];
		t->id = e->via.array.ptr[0].via.u64;
		t->job = job;
		t->inl = inl;
		t->p = e->via.array.ptr[1].via.bin.ptr;
		t->len = e->via.array.ptr[1].via.bin.size;
		t->held = held;
		held->refs++;
	}
	wk_unhold(held);
}

/* Drops queued tasks named in ids (not the running one: it is not in the
 * queue). With answer (task.release), says which were given back. */
static void
wk_drop_tasks(struct wk *w, const msgpack_object *ids, bool answer)
{
	struct gl_buf	 back;
	size_t		 nback = 0, keep = 0;

	if (ids == NULL || ids->type != MSGPACK_OBJECT_ARRAY)
		return;
	gl_buf_init(&back);
	for (size_t k = 0; k < w->ntasks; k++) {
		struct wk_task	*t = &w->tasks[(w->thead + k) % w->captasks];
		bool		 named = false;

		for (uint32_t i = 0; i < ids->via.array.size && !named; i++)
			named = ids->via.array.ptr[i].type ==
			    MSGPACK_OBJECT_POSITIVE_INTEGER &&
			    ids->via.array.ptr[i].via.u64 == t->id;
		if (named) {
			if (answer) {
				gl_buf_add(&back, &t->id, sizeof t->id);
				nback++;
			}
			wk_unhold(t->held);
			continue;
		}
		w->tasks[(w->thead + keep++) % w->captasks] = *t;
	}
	w->ntasks = keep;
	if (answer) {
		/* Results first: the kernel must see what finished before
		 * what was given back. */
		wk_flush(w);
		rpc_begin_notify(&w->w, "task.released");
		msgpack_pack_map(&w->w.pk, 1);
		rpc_pack_key(&w->w.pk, "tasks");
		msgpack_pack_array(&w->w.pk, nback);
		for (size_t i = 0; i < nback; i++) {
			uint64_t id;

			memcpy(&id, back.data + i * sizeof id, sizeof id);
			msgpack_pack_uint64(&w->w.pk, id);
		}
		wk_send(w);
	}
	gl_buf_fini(&back);
}

/* job.forget {jobs}: the kernel is done with those jobs' functions. */
static void
wk_forget(struct wk *w, const msgpack_object *jobs)
{
	if (jobs == NULL || jobs->type != MSGPACK_OBJECT_ARRAY)
		return;
	for (uint32_t i = 0; i < jobs->via.array.size; i++) {
		struct wk_job *j = wk_job_find(w,
		    jobs->via.array.ptr[i].via.u64);

		if (j == NULL)
			continue;
		luaL_unref(w->L, LUA_REGISTRYINDEX, j->ref);
		*j = w->jobs[--w->njobs];
	}
	lua_gc(w->L, LUA_GCSTEP, 0);
}

static struct wk_job *
wk_job_find(struct wk *w, uint64_t id)
{
	for (size_t i = w->njobs; i > 0; i--)
		if (w->jobs[i - 1].id == id)
			return &w->jobs[i - 1];
	return NULL;
}

/* Runs one task and packs its result into w->res. */
static void
wk_run_one(struct wk *w, struct wk_task *t)
{
	lua_State	*L = w->L;
	struct wk_job	*j = NULL;
	struct gl_err	 err;
	int64_t		 t0, c0, run_us, cpu_us;
	const char	*msg;
	size_t		 len;
	int		 nargs = 0, st, nres;

	lua_settop(L, 0);
	lua_pushcfunction(L, lx_host_msgh);
	if (!t->inl && (j = wk_job_find(w, t->job)) == NULL) {
		wk_result_error(w, t->id, "the worker does not have this "
		    "job's function", 42, "", 0, 0);
		return;
	}
	gl_buf_reset(&w->out);
	w->out_cut = false;
	w->lua.heap.failed = 0;
	t0 = gl_now_us();
	c0 = wk_cpu_us();
	if (j != NULL)
		lua_rawgeti(L, LUA_REGISTRYINDEX, j->ref);
	gl_err_clear(&err);
	if (codec_decode(w->codec, L, t->p, t->len, 0, CODEC_DEC_REQUIRE,
	    &nargs, &err) != 0) {
		lua_settop(L, 0);
		wk_result_error(w, t->id, err.msg, strlen(err.msg), "",
		    gl_now_us() - t0, wk_cpu_us() - c0);
		return;
	}
	if (t->inl) {
		nargs--;	/* the function came first */
		if (lua_type(L, 2) != LUA_TFUNCTION) {
			lua_settop(L, 0);
			wk_result_error(w, t->id, "not a function", 14, "",
			    0, 0);
			return;
		}
	}
	WK_STORE(wk_cancel, 0);
	w->lua.in_msgh = 0;
	wk_input_seen = 0;
	WK_STORE(wk_running, t->id);
	if (wk_term)
		lua_sethook(L, wk_hook, LUA_MASKCOUNT, 1);
	st = lua_pcall(L, nargs, LUA_MULTRET, 1);
	WK_STORE(wk_running, 0);
	lua_sethook(L, NULL, 0, 0);
	run_us = gl_now_us() - t0;
	cpu_us = wk_cpu_us() - c0;
	if (WK_LOAD(wk_cancel) == t->id) {
		/* Cancelled, or leaving: no result (the kernel expects
		 * none). */
		WK_STORE(wk_cancel, 0);
		lua_settop(L, 0);
		return;
	}
	if (wk_term && st != LUA_OK) {
		lua_settop(L, 0);	/* retried elsewhere */
		return;
	}
	if (st != LUA_OK) {
		if (st == LUA_ERRMEM || (st == LUA_ERRERR &&
		    w->lua.heap.failed)) {
			char m[160];

			snprintf(m, sizeof m, "memory limit exceeded on the "
			    "worker (%zu MiB)", w->lua.heap.limit >> 20);
			lua_settop(L, 0);
			lua_gc(L, LUA_GCCOLLECT, 0);
			wk_result_error(w, t->id, m, strlen(m), "", run_us,
			    cpu_us);
			return;
		}
		msg = lua_tolstring(L, -1, &len);
		if (msg == NULL) {
			msg = "error object is not a string";
			len = strlen(msg);
		}
		wk_result_error(w, t->id, msg, len, w->lua.tb.data != NULL ?
		    w->lua.tb.data : "", run_us, cpu_us);
		lua_settop(L, 0);
		return;
	}
	nres = lua_gettop(L) - 1;
	if (nres == 0) {
		lua_pushnil(L);
		nres = 1;
	}
	if (nres > CODEC_MAX_VALUES)
		nres = CODEC_MAX_VALUES;
	gl_buf_reset(&w->unit);
	gl_err_clear(&err);
	if (codec_encode(w->codec, L, 2, nres, 0, NULL, &w->unit,
	    &err) != 0) {
		lua_settop(L, 0);
		wk_result_error(w, t->id, err.msg, strlen(err.msg), "",
		    run_us, cpu_us);
		return;
	}
	lua_settop(L, 0);
	wk_result_begin(w, t->id, 0);
	msgpack_pack_bin(&w->rpk, w->unit.len);
	msgpack_pack_bin_body(&w->rpk, w->unit.data, w->unit.len);
	wk_result_end(w, run_us, cpu_us);
}

/* Begins result [task, status, value, run_us, cpu_us, output] in w->res;
 * the caller packs the value. */
static void
wk_result_begin(struct wk *w, uint64_t task, int status)
{
	msgpack_pack_array(&w->rpk, 6);
	msgpack_pack_uint64(&w->rpk, task);
	msgpack_pack_int(&w->rpk, status);
}

static void
wk_result_end(struct wk *w, int64_t run_us, int64_t cpu_us)
{
	static const char cut[] = "\n[galley: output cut at 1 MiB]\n";

	msgpack_pack_int64(&w->rpk, run_us);
	msgpack_pack_int64(&w->rpk, cpu_us);
	if (w->out.len == 0 && !w->out_cut)
		msgpack_pack_nil(&w->rpk);
	else {
		msgpack_pack_str(&w->rpk, w->out.len + (w->out_cut ?
		    sizeof cut - 1 : 0));
		msgpack_pack_str_body(&w->rpk, w->out.data, w->out.len);
		if (w->out_cut)
			msgpack_pack_str_body(&w->rpk, cut, sizeof cut - 1);
	}
	gl_buf_reset(&w->out);
	w->out_cut = false;
	w->nres++;
}

/* A task's error as its result: {message, traceback}. */
static void
wk_result_error(struct wk *w, uint64_t task, const char *msg, size_t len,
    const char *tb, int64_t run_us, int64_t cpu_us)
{
	wk_result_begin(w, task, 1);
	msgpack_pack_map(&w->rpk, 2);
	rpc_pack_key(&w->rpk, "message");
	rpc_pack_strn(&w->rpk, msg, len);
	rpc_pack_kv_str(&w->rpk, "traceback", tb);
	wk_result_end(w, run_us, cpu_us);
}

static void
wk_unhold(struct wk_held *h)
{
	if (h == NULL || --h->refs > 0)
		return;
	rpc_msg_fini(&h->m);
	free(h);
}

static int
wk_buf_write(void *data, const char *buf, size_t len)
{
	gl_buf_add(data, buf, len);
	return 0;
}

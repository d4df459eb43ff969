/*
 * rth.c - the kernel's host for one runtime process (kernel/rth.h).
 *
 * Design. A struct rth is what the session holds; it outlives any number of
 * runtime processes. Each process is a struct rth_proc holding four libuv
 * handles: the process, the msgpack-RPC pipe on the child's fd 3 (a
 * kernel/conn.h connection), and the child's stdout and stderr. A process
 * struct is freed only in the close callback of its last handle (pending
 * counts them), and its handles are closed only after libuv reported the
 * exit (closing an unreaped process handle would leave a zombie). The rth
 * itself embeds one timer (the start deadline) and is freed when that
 * timer and all its processes are closed.
 *
 * The runtime runs in its own process group (UV_PROCESS_DETACHED, i.e.
 * setsid), so that killing it also kills what a cell started
 * (os.execute("sleep 30")). SIGINT goes to the runtime alone: its handler
 * sets the Lua hook; a child of the runtime is not interrupted.
 *
 * Invariants:
 * - h->cur is the live process or NULL; events of any other process (one
 *   being killed or closed) are dropped.
 * - h->busy means a run request was sent and its on_done has not fired;
 *   exactly one on_done fires per accepted rth_run. h->run is the run
 *   the runtime answers next; runs sent behind it (rth_run() while busy)
 *   wait in h->ahead, in order, and become h->run as each answer comes.
 * - Callbacks may call back into rth (rth_run from on_done, rth_close from
 *   anywhere): after each callback the code re-checks h->closing and
 *   h->cur, and no callback fires once h->closing is set.
 * - The runtime's stdout/stderr are read synchronously (drained) before
 *   the first output notification of each read of the pipe and before the
 *   run's end are delivered, so raw writes keep their place relative to
 *   print() and never land after the run's on_done. Before it writes
 *   raw (C stdio, a child process), the runtime waits on a "sync"
 *   request until the kernel has read every message before: raw bytes
 *   then never overtake a message waiting in the pipe.
 * - Held (rth_hold()): none of the live process's three pipes is read, so
 *   the runtime blocks in its next write once the pipe is full: the flow
 *   control of its output, raw or not, when a client does not keep up.
 */
#include "kernel/rth.h"

#include <assert.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/err.h"
#include "core/mem.h"
#include "core/rpc.h"
#include "kernel/conn.h"

#define RTH_MAX_FRAME	(128u << 20)	/* largest message from a runtime */
#define RTH_MAX_CODE	(32u << 20)	/* largest cell sent */
#define RTH_START_MS	30000		/* a runtime must be ready by then */
#define RTH_MAX_STARTS	3		/* deaths at start before giving up */
#define RTH_RBUF	65536		/* stdout, stderr read at once */
#define RTH_IO_READ	(256u << 10)	/* the RPC pipe read at once */
#define RTH_CARRY	4		/* room for a split UTF-8 character */
#define RTH_DRAIN_MAX	64		/* reads per pipe per drain */
#define RTH_KEEP	((size_t)1 << 20)	/* pipe staging kept */

/* A run sent to the runtime behind the one it answers next. */
struct rth_sent {
	uint64_t	 run;
	uint32_t	 id;		/* its request id */
};

struct rth_carry {
	char	 b[RTH_CARRY];
	size_t	 n;
};

struct rth_proc {
	struct rth	*h;		/* borrowed: h outlives its processes */
	uv_process_t	 proc;
	struct conn	*io;		/* owned: the child's fd 3, msgpack-RPC;
					 * freed after its on_closed */
	uv_pipe_t	 out;		/* the child's stdout */
	uv_pipe_t	 err;		/* the child's stderr */
	int		 pending;	/* handles not yet closed */
	bool		 closing;
	bool		 exited;
	bool		 ready;
	bool		 killed;
	bool		 restarting;	/* killed by rth_restart() */
	bool		 in_read;	/* on_io(true) was called for the
					 * messages of this read */
	bool		 drained;	/* stdout and stderr were read since
					 * the pipe's last read */
	bool		 raw_eof[2];	/* stdout, stderr ended */
	int		 pid;
	struct rth_carry carry[2];	/* stdout, stderr */
	char		 reason[256];	/* why we killed it */
	char		 errtail[256];	/* stderr's last line before ready */
};

struct rth {
	uv_loop_t	*loop;		/* borrowed */
	char		*exe;		/* owned */
	char		*cwd;		/* owned; NULL = inherit */
	char		*session;	/* owned */
	size_t		 memory_limit;
	struct rth_cbs	 cbs;
	void		*ctx;
	enum rth_state	 state;
	struct rth_proc	*cur;		/* the live process; NULL */
	int		 nprocs;	/* process structs not yet freed */
	uv_timer_t	 timer;		/* start deadline */
	bool		 timer_closed;
	bool		 closing;
	bool		 gave_up;	/* DEAD until rth_restart() */
	void		(*on_closed)(void *ctx);
	int		 start_failures; /* deaths before ready, in a row */
	bool		 busy;		/* a run awaits its on_done */
	bool		 held;		/* rth_hold(): the pipes are not read */
	uint64_t	 run;
	uint32_t	 run_id;	/* its request id */
	struct rth_sent	 ahead[RTH_AHEAD_MAX];	/* sent behind run */
	size_t		 nahead;
	int		 interrupts;
	uint32_t	 next_id;
	uint64_t	 generation;	/* processes spawned */
	void		(*on_request)(void *ctx, uint64_t run,
			    struct rpc_msg *m);
	struct rpc_writer w;
	char		 rbuf[RTH_CARRY + RTH_RBUF];
};

static int	 rth_spawn(struct rth *h, struct gl_err *err);
static void	 rth_proc_close(struct rth_proc *pr);
static void	 rth_kill(struct rth_proc *pr, const char *fmt, ...)
		     __attribute__((format(printf, 2, 3)));
static void	 rth_lost(struct rth *h, struct rth_proc *pr, int64_t status,
		     int sig);
static void	 rth_dispatch(struct rth *h, struct rth_proc *pr,
		     struct rpc_msg *m);
static void	 rth_on_response(struct rth *h, struct rth_proc *pr,
		     const struct rpc_msg *m);
static void	 rth_stream(struct rth_proc *pr, int which, char *p, size_t n);
static void	 rth_drain(struct rth_proc *pr, bool final);
static void	 rth_emit_stream(struct rth *h, int which, const char *p,
		     size_t n);
static void	 rth_set_state(struct rth *h, enum rth_state st,
		     const char *msg);
static void	 rth_maybe_free(struct rth *h);
static void	 rth_on_exit(uv_process_t *p, int64_t status, int sig);
static void	 rth_on_alloc(uv_handle_t *hd, size_t size, uv_buf_t *buf);
static void	 rth_on_msg(void *ctx, struct rpc_msg *m);
static void	 rth_on_io_end(void *ctx, enum conn_end why, const char *msg,
		     size_t queued);
static void	 rth_on_io_closed(void *ctx);
static void	 rth_on_io_read(void *ctx);
static void	 rth_proc_hold(struct rth_proc *pr, bool held);
static void	 rth_on_out(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf);
static void	 rth_on_proc_close(uv_handle_t *hd);
static void	 rth_proc_closed(struct rth_proc *pr);
static void	 rth_on_timer(uv_timer_t *t);
static void	 rth_on_timer_close(uv_handle_t *hd);

struct rth *
rth_new(uv_loop_t *loop, const struct rth_opts *opts,
    const struct rth_cbs *cbs, void *ctx, struct gl_err *err)
{
	struct rth	*h = xcalloc(1, sizeof *h);
	char		 self[4096];
	ssize_t		 n;

	h->loop = loop;
	if (opts->exe != NULL)
		h->exe = xstrdup(opts->exe);
	else {
		if ((n = readlink("/proc/self/exe", self, sizeof self - 1)) < 0) {
			gl_err_set(err, gl_err_from_errno(errno),
			    "runtime: cannot find the galley binary "
			    "(/proc/self/exe): %s", strerror(errno));
			free(h);
			return NULL;
		}
		self[n] = '\0';
		h->exe = xstrdup(self);
	}
	h->cwd = opts->cwd != NULL ? xstrdup(opts->cwd) : NULL;
	h->session = xstrdup(opts->session != NULL ? opts->session : "");
	h->memory_limit = opts->memory_limit;
	h->cbs = *cbs;
	h->ctx = ctx;
	h->state = RTH_STARTING;
	rpc_writer_init(&h->w);
	uv_timer_init(loop, &h->timer);
	h->timer.data = h;
	if (rth_spawn(h, err) != 0) {
		/* The handles made so far close on the loop; h goes then. */
		rth_close(h, NULL);
		return NULL;
	}
	return h;
}

int
rth_run(struct rth *h, uint64_t run, uint64_t batch, const char *cell_id,
    const char *code, size_t len, const char *chunkname, unsigned first_line,
    struct gl_err *err)
{
	msgpack_packer	*pk = &h->w.pk;
	bool		 ahead = h->busy;
	uint32_t	 id;

	if (h->closing)
		return gl_err_set(err, GL_ECLOSED, "runtime: stopped");
	if (h->gave_up)
		return gl_err_set(err, GL_EDIED, "runtime: dead; restart it");
	if (ahead ? !rth_can_run_ahead(h) : h->state != RTH_IDLE ||
	    h->cur == NULL || h->cur->killed)
		return gl_err_set(err, GL_EBUSY, "runtime: %s",
		    h->busy ? "a cell is running" : "not ready yet");
	if (len > RTH_MAX_CODE)
		return gl_err_set(err, GL_EINVAL, "runtime: cell of %zu bytes "
		    "is over the %u-byte limit", len, RTH_MAX_CODE);
	rpc_writer_reset(&h->w);
	id = ++h->next_id;
	rpc_begin_request(&h->w, id, "run");
	msgpack_pack_map(pk, batch != 0 ? 6 : 5);
	rpc_pack_key(pk, "run");
	msgpack_pack_uint64(pk, run);
	if (batch != 0) {
		rpc_pack_key(pk, "batch");
		msgpack_pack_uint64(pk, batch);
	}
	rpc_pack_kv_str(pk, "cell", cell_id != NULL ? cell_id : "");
	rpc_pack_key(pk, "code");
	rpc_pack_strn(pk, code, len);
	rpc_pack_kv_str(pk, "chunkname", chunkname != NULL ? chunkname :
	    "=cell");
	rpc_pack_kv_int(pk, "line", first_line > 0 ? first_line : 1);
	conn_send(h->cur->io, h->w.sbuf.data, h->w.sbuf.size);
	rpc_writer_reset(&h->w);
	if (ahead) {
		h->ahead[h->nahead].run = run;
		h->ahead[h->nahead].id = id;
		h->nahead++;
		return 0;
	}
	h->busy = true;
	h->run = run;
	h->run_id = id;
	h->interrupts = 0;
	rth_set_state(h, RTH_BUSY, "running");
	return 0;
}

bool
rth_can_run_ahead(const struct rth *h)
{
	return h->busy && !h->closing && h->state == RTH_BUSY &&
	    h->cur != NULL && !h->cur->killed && h->nahead < RTH_AHEAD_MAX;
}

/* The answered run is done: the first run sent behind it is the one
 * answered next. False if none was. */
static bool
rth_next_ahead(struct rth *h)
{
	if (h->nahead == 0)
		return false;
	h->run = h->ahead[0].run;
	h->run_id = h->ahead[0].id;
	h->interrupts = 0;
	memmove(h->ahead, h->ahead + 1, --h->nahead * sizeof *h->ahead);
	return true;
}

int
rth_request(struct rth *h, const char *method,
    void (*pack)(msgpack_packer *pk, const void *arg), const void *arg,
    uint32_t *id, struct gl_err *err)
{
	if (h->closing || h->gave_up || h->cur == NULL || h->cur->killed)
		return gl_err_set(err, GL_ECLOSED, "runtime: not running");
	if (h->state != RTH_IDLE || h->busy)
		return gl_err_set(err, GL_EBUSY, "runtime: %s", h->busy ?
		    "a cell is running" : "not ready yet");
	rpc_writer_reset(&h->w);
	*id = ++h->next_id;
	rpc_begin_request(&h->w, *id, method);
	pack(&h->w.pk, arg);
	conn_send(h->cur->io, h->w.sbuf.data, h->w.sbuf.size);
	rpc_writer_reset(&h->w);
	return 0;
}

void
rth_interrupt(struct rth *h)
{
	struct rth_proc	*pr = h->cur;

	if (h->closing || !h->busy || pr == NULL || pr->killed)
		return;
	/* The signal carries the last run it means (sigqueue): the
	 * runtime interrupts the run it runs if that is one of them, keeps
	 * it for the next run it starts if that is one, and ignores it once
	 * they all ended. Runs sent ahead are the interrupted run's batch:
	 * the runtime cancels them. */
	if (++h->interrupts == 1) {
		uint64_t	 last = h->nahead > 0 ?
		    h->ahead[h->nahead - 1].run : h->run;
		union sigval	 v = { .sival_int = (int)(last & 0x7fffffff) };

		sigqueue(pr->pid, SIGINT, v);
	} else
		rth_kill(pr, "killed after a second interrupt");
}

void
rth_hold(struct rth *h, bool held)
{
	if (h->held == held)
		return;
	h->held = held;
	if (h->cur != NULL && !h->closing)
		rth_proc_hold(h->cur, held);
}

bool
rth_held(const struct rth *h)
{
	return h->held;
}

void
rth_restart(struct rth *h)
{
	struct gl_err	 err = { 0 };
	char		 msg[600];

	if (h->closing)
		return;
	h->start_failures = 0;
	h->gave_up = false;
	if (h->cur != NULL) {
		/* rth_lost() starts the next one once this one is reaped. */
		h->cur->restarting = true;
		rth_kill(h->cur, "restarted");
		rth_set_state(h, RTH_STARTING, "restarting runtime");
		return;
	}
	if (rth_spawn(h, &err) != 0) {
		snprintf(msg, sizeof msg, "%s; not restarting", err.msg);
		h->gave_up = true;
		rth_set_state(h, RTH_DEAD, msg);
		return;
	}
	rth_set_state(h, RTH_STARTING, "restarting runtime");
}

enum rth_state
rth_get_state(const struct rth *h)
{
	return h->state;
}

int
rth_pid(const struct rth *h)
{
	return h->cur != NULL ? h->cur->pid : 0;
}

void
rth_serve_requests(struct rth *h,
    void (*cb)(void *ctx, uint64_t run, struct rpc_msg *m))
{
	h->on_request = cb;
}

int
rth_send(struct rth *h, const void *p, size_t n)
{
	if (h->closing || h->cur == NULL || h->cur->killed ||
	    h->cur->exited)
		return GL_ECLOSED;
	conn_send(h->cur->io, p, n);
	return 0;
}

uint64_t
rth_generation(const struct rth *h)
{
	return h->generation;
}

void
rth_close(struct rth *h, void (*on_closed)(void *ctx))
{
	struct rth_proc	*pr = h->cur;

	if (h->closing)
		return;
	h->closing = true;
	h->on_closed = on_closed;
	h->state = RTH_STOPPED;
	h->busy = false;
	h->nahead = 0;
	h->cur = NULL;
	if (pr != NULL) {
		rth_kill(pr, "stopped");
		if (pr->exited)
			rth_proc_close(pr);
	}
	uv_timer_stop(&h->timer);
	uv_close((uv_handle_t *)&h->timer, rth_on_timer_close);
}

/* Starts a process; h->cur is it on success. */
static int
rth_spawn(struct rth *h, struct gl_err *err)
{
	static const struct conn_cbs io_cbs = {
		.on_msg = rth_on_msg,
		.on_read = rth_on_io_read,
		.on_end = rth_on_io_end,
		.on_closed = rth_on_io_closed,
	};
	const struct conn_opts	 io_opts = {
		.frame_max = RTH_MAX_FRAME,
		.queue_max = 0,		/* the runtime is ours: no bound */
		.keep = RTH_KEEP,
		.rbuf = NULL,		/* read into the reader: outputs are
					 * big, one copy fewer */
		.rbuflen = RTH_IO_READ,
	};
	struct rth_proc		*pr = xcalloc(1, sizeof *pr);
	uv_process_options_t	 o;
	uv_stdio_container_t	 io[4];
	char			 limit[32];
	char			*args[7];
	int			 rc, i = 0;

	pr->h = h;
	h->nprocs++;
	pr->io = conn_pipe_new(h->loop, &io_opts, &io_cbs, pr);
	uv_pipe_init(h->loop, &pr->out, 0);
	uv_pipe_init(h->loop, &pr->err, 0);
	pr->proc.data = pr->out.data = pr->err.data = pr;

	args[i++] = h->exe;
	args[i++] = "runtime";
	args[i++] = "--fd";
	args[i++] = "3";
	if (h->memory_limit > 0) {
		snprintf(limit, sizeof limit, "%zu", h->memory_limit);
		args[i++] = "--memory-limit";
		args[i++] = limit;
	}
	args[i] = NULL;
	memset(&o, 0, sizeof o);
	memset(io, 0, sizeof io);
	io[0].flags = UV_IGNORE;
	/* Directions are the child's: it writes stdout and stderr. */
	io[1].flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE;
	io[1].data.stream = (uv_stream_t *)&pr->out;
	io[2].flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE;
	io[2].data.stream = (uv_stream_t *)&pr->err;
	io[3].flags = UV_CREATE_PIPE | UV_READABLE_PIPE | UV_WRITABLE_PIPE;
	io[3].data.stream = conn_stream(pr->io);
	o.exit_cb = rth_on_exit;
	o.file = h->exe;
	o.args = args;
	o.cwd = h->cwd;
	o.flags = UV_PROCESS_DETACHED;
	o.stdio_count = 4;
	o.stdio = io;
	if ((rc = uv_spawn(h->loop, &pr->proc, &o)) != 0) {
		/* The process handle is initialized even so: close all. */
		pr->exited = true;
		rth_proc_close(pr);
		return gl_err_set(err, rc == UV_ENOENT ? GL_ENOTFOUND : GL_EIO,
		    "cannot start runtime %s%s%s: %s", h->exe,
		    h->cwd != NULL ? " in " : "", h->cwd != NULL ? h->cwd : "",
		    uv_strerror(rc));
	}
	pr->pid = pr->proc.pid;
	conn_start(pr->io);
	rth_proc_hold(pr, h->held);
	h->cur = pr;
	h->generation++;
	h->state = RTH_STARTING;
	uv_timer_start(&h->timer, rth_on_timer, RTH_START_MS, 0);
	return 0;
}

/* Closes pr's handles (once the process was reaped); pr is freed when the
 * last one is closed. */
static void
rth_proc_close(struct rth_proc *pr)
{
	uv_handle_t	*hs[3];

	if (pr->closing)
		return;
	pr->closing = true;
	hs[0] = (uv_handle_t *)&pr->proc;
	hs[1] = (uv_handle_t *)&pr->out;
	hs[2] = (uv_handle_t *)&pr->err;
	for (int i = 0; i < 3; i++) {
		pr->pending++;
		uv_close(hs[i], rth_on_proc_close);
	}
	pr->pending++;
	conn_close(pr->io, false);
}

/* Stops or starts reading pr's three pipes. */
static void
rth_proc_hold(struct rth_proc *pr, bool held)
{
	uv_stream_t	*raw[2] = { (uv_stream_t *)&pr->out,
			    (uv_stream_t *)&pr->err };

	if (pr->closing)
		return;
	conn_pause(pr->io, held);
	for (int i = 0; i < 2; i++) {
		if (pr->raw_eof[i])
			continue;
		if (held)
			uv_read_stop(raw[i]);
		else
			uv_read_start(raw[i], rth_on_alloc, rth_on_out);
	}
}

/* SIGKILL to the runtime's process group; rth_on_exit follows. */
static void
rth_kill(struct rth_proc *pr, const char *fmt, ...)
{
	va_list	 ap;

	if (pr->killed || pr->exited)
		return;
	pr->killed = true;
	va_start(ap, fmt);
	vsnprintf(pr->reason, sizeof pr->reason, fmt, ap);
	va_end(ap);
	conn_read_stop(pr->io);
	if (kill(-pr->pid, SIGKILL) != 0)
		kill(pr->pid, SIGKILL);
}

/*
 * The live process is gone (pr is no longer h->cur): ends the run, says
 * so, and starts another unless it kept dying at start.
 */
static void
rth_lost(struct rth *h, struct rth_proc *pr, int64_t status, int sig)
{
	struct gl_err	 err = { 0 };
	char		 what[512], msg[1024];
	bool		 at_start = !pr->ready;

	uv_timer_stop(&h->timer);
	if (sig != 0)
		snprintf(what, sizeof what, "runtime died (signal %d)", sig);
	else
		snprintf(what, sizeof what, "runtime died (exit status %lld)",
		    (long long)status);
	if (pr->reason[0] != '\0' && !pr->restarting) {
		size_t n = strlen(what);

		snprintf(what + n, sizeof what - n, ": %s", pr->reason);
	} else if (at_start && pr->errtail[0] != '\0') {
		size_t n = strlen(what);

		snprintf(what + n, sizeof what - n, ": %s", pr->errtail);
	}
	if (h->busy) {
		/* The runs sent behind it never ran. */
		struct rth_sent	 lost[RTH_AHEAD_MAX];
		size_t		 nlost = h->nahead;

		memcpy(lost, h->ahead, nlost * sizeof *lost);
		h->nahead = 0;
		rth_drain(pr, true);
		h->busy = false;
		if (!pr->restarting)
			h->state = RTH_DEAD;
		if (h->cbs.on_done != NULL && !h->closing)
			h->cbs.on_done(h->ctx, h->run, GL_RUN_DIED, NULL, 0,
			    pr->restarting ? "runtime restarted" : what);
		for (size_t i = 0; i < nlost && h->cbs.on_done != NULL &&
		    !h->closing; i++)
			h->cbs.on_done(h->ctx, lost[i].run, GL_RUN_CANCELLED,
			    NULL, 0, "the runtime died before it ran");
		if (h->closing || h->cur != NULL)
			return;
	}
	if (pr->restarting) {
		/* rth_restart() said STARTING already. */
		h->start_failures = 0;
		if (rth_spawn(h, &err) != 0) {
			snprintf(msg, sizeof msg, "%s; not restarting",
			    err.msg);
			h->gave_up = true;
			rth_set_state(h, RTH_DEAD, msg);
		}
		return;
	}
	if (at_start)
		h->start_failures++;
	else
		h->start_failures = 0;
	if (h->start_failures >= RTH_MAX_STARTS) {
		snprintf(msg, sizeof msg, "runtime died at start %d times in "
		    "a row (last: %s); not restarting", h->start_failures,
		    what);
		h->gave_up = true;
		rth_set_state(h, RTH_DEAD, msg);
		return;
	}
	snprintf(msg, sizeof msg, "%s, restarting", what);
	rth_set_state(h, RTH_DEAD, msg);
	if (h->closing || h->cur != NULL)
		return;
	if (rth_spawn(h, &err) != 0) {
		snprintf(msg, sizeof msg, "%s; not restarting", err.msg);
		h->gave_up = true;
		rth_set_state(h, RTH_DEAD, msg);
		return;
	}
	rth_set_state(h, RTH_STARTING, "starting a new runtime");
}

static void
rth_on_alloc(uv_handle_t *hd, size_t size, uv_buf_t *buf)
{
	struct rth_proc	*pr = hd->data;

	(void)size;
	*buf = uv_buf_init(pr->h->rbuf + RTH_CARRY, RTH_RBUF);
}

/* A message on the RPC pipe; those of a process no longer ours (killed,
 * replaced, closing) are dropped, and its pipe read no more. */
static void
rth_on_msg(void *ctx, struct rpc_msg *m)
{
	struct rth_proc	*pr = ctx;
	struct rth	*h = pr->h;

	if (pr != h->cur || h->closing || pr->killed) {
		conn_read_stop(pr->io);
		return;
	}
	if (!pr->in_read) {
		pr->in_read = true;
		if (h->cbs.on_io != NULL)
			h->cbs.on_io(h->ctx, true);
		if (pr != h->cur || h->closing)
			return;
	}
	rth_dispatch(h, pr, m);
}

/* The runtime's end of the pipe closed (it is exiting: a kill from
 * outside shows here first; rth_on_exit tells why), or it sent garbage.
 * A write that failed means it is dying too: rth_on_exit again. */
static void
rth_on_io_end(void *ctx, enum conn_end why, const char *msg, size_t queued)
{
	struct rth_proc	*pr = ctx;
	struct rth	*h = pr->h;

	(void)queued;
	if (why == CONN_PROTOCOL && pr == h->cur && !h->closing)
		rth_kill(pr, "protocol error from the runtime: %s", msg);
}

static void
rth_on_io_closed(void *ctx)
{
	rth_proc_closed(ctx);
}

/* The next read of the pipe drains stdout and stderr again first. */
static void
rth_on_io_read(void *ctx)
{
	struct rth_proc	*pr = ctx;
	struct rth	*h = pr->h;

	pr->drained = false;
	if (pr->in_read) {
		pr->in_read = false;
		if (h->cbs.on_io != NULL && !h->closing)
			h->cbs.on_io(h->ctx, false);
	}
}

static void
rth_dispatch(struct rth *h, struct rth_proc *pr, struct rpc_msg *m)
{
	const msgpack_object	*o, *out;
	const char		*raw;
	size_t			 rawlen;
	char			 msg[64];

	switch (m->type) {
	case RPC_NOTIFY:
		if (strcmp(m->method, "ready") == 0) {
			if (pr->ready)
				return;
			pr->ready = true;
			h->start_failures = 0;
			uv_timer_stop(&h->timer);
			snprintf(msg, sizeof msg, "runtime ready (pid %d)",
			    pr->pid);
			rth_set_state(h, RTH_IDLE, msg);
			return;
		}
		if (strcmp(m->method, "output") == 0) {
			o = rpc_map_get(m->args, "run");
			out = rpc_map_get(m->args, "output");
			if (o == NULL || out == NULL ||
			    out->type != MSGPACK_OBJECT_MAP ||
			    o->type != MSGPACK_OBJECT_POSITIVE_INTEGER) {
				rth_kill(pr, "protocol error from the runtime: "
				    "output without run or output map");
				return;
			}
			if (!h->busy || o->via.u64 != h->run)
				return;
			/* Its bytes go on as they are: never encoded again. */
			if (rpc_msg_raw(m, "output", &raw, &rawlen) != 0)
				raw = NULL;
			if (!pr->drained) {
				pr->drained = true;
				rth_drain(pr, false);
			}
			if (pr == h->cur && h->busy && !h->closing &&
			    h->cbs.on_output != NULL)
				h->cbs.on_output(h->ctx, h->run, out, raw,
				    rawlen);
			return;
		}
		return;		/* unknown notifications are ignored */
	case RPC_RESPONSE:
		rth_on_response(h, pr, m);
		return;
	case RPC_REQUEST:
		if (strcmp(m->method, "sync") == 0) {
			/* The runtime is about to write raw: what it wrote
			 * raw before comes now, the rest after the messages
			 * it sends next. */
			rth_drain(pr, false);
			rpc_writer_reset(&h->w);
			rpc_begin_response(&h->w, m->id);
			msgpack_pack_nil(&h->w.pk);
			conn_send(pr->io, h->w.sbuf.data, h->w.sbuf.size);
			rpc_writer_reset(&h->w);
			return;
		}
		if (h->on_request != NULL) {
			h->on_request(h->ctx, h->busy ? h->run : 0, m);
			return;
		}
		rpc_writer_reset(&h->w);
		rpc_write_error(&h->w, m->id, GL_EUNSUPPORTED,
		    "the kernel serves no requests on the runtime pipe");
		conn_send(pr->io, h->w.sbuf.data, h->w.sbuf.size);
		rpc_writer_reset(&h->w);
		return;
	}
}

static void
rth_on_response(struct rth *h, struct rth_proc *pr, const struct rpc_msg *m)
{
	const msgpack_object	*st, *e, *mo;
	enum gl_run_status	 status;
	struct gl_err		 err = { 0 };
	struct rpc_writer	 w;
	const char		*ep = NULL;
	size_t			 en = 0;
	char			*text = NULL;
	uint64_t		 done;

	if (!h->busy || m->id != h->run_id) {
		/* rth_request()'s answers; a ping; a run we gave up on. */
		if (h->cbs.on_reply != NULL && !h->closing && pr == h->cur)
			h->cbs.on_reply(h->ctx, m);
		return;
	}
	rpc_writer_init(&w);
	if (rpc_msg_error(m, &err) != 0) {
		/* The runtime refused the request: an error of this run,
		 * as an error output of ours. */
		msgpack_pack_map(&w.pk, 4);
		rpc_pack_kv_str(&w.pk, "type", "error");
		rpc_pack_kv_str(&w.pk, "message", err.msg);
		rpc_pack_kv_str(&w.pk, "traceback", "");
		rpc_pack_kv_int(&w.pk, "line", 0);
		ep = w.sbuf.data;
		en = w.sbuf.size;
		status = GL_RUN_ERROR;
		text = xstrdup(err.msg);
	} else {
		st = rpc_map_get(m->result, "status");
		/* A runtime ends a run ok, in error or interrupted, or
		 * cancels a run sent ahead (with a message saying why). */
		if (st == NULL || st->type != MSGPACK_OBJECT_STR ||
		    gl_run_status_parse(st->via.str.ptr, st->via.str.size,
		    &status) != 0 || (status != GL_RUN_OK &&
		    status != GL_RUN_ERROR && status != GL_RUN_INTERRUPTED &&
		    status != GL_RUN_CANCELLED)) {
			rth_kill(pr, "protocol error from the runtime: run "
			    "response without a known status");
			goto out;
		}
		if (status == GL_RUN_CANCELLED) {
			mo = rpc_map_get(m->result, "message");
			text = mo != NULL && mo->type == MSGPACK_OBJECT_STR ?
			    rpc_obj_strdup(mo) : xstrdup("cancelled");
		} else if (status != GL_RUN_OK) {
			/* Its error is an error output: passed on as its
			 * bytes came. */
			e = rpc_map_get(m->result, "error");
			if (!rpc_obj_streq(rpc_map_get(e, "type"), "error") ||
			    rpc_msg_raw(m, "error", &ep, &en) != 0) {
				rth_kill(pr, "protocol error from the runtime: "
				    "failed run without an error output");
				goto out;
			}
			mo = rpc_map_get(e, "message");
			text = mo != NULL && mo->type == MSGPACK_OBJECT_STR ?
			    rpc_obj_strdup(mo) : xstrdup("error");
		}
	}
	rth_drain(pr, true);
	if (pr != h->cur || h->closing || !h->busy)
		goto out;
	done = h->run;
	if (!rth_next_ahead(h)) {
		h->busy = false;
		h->state = RTH_IDLE;
	}
	if (h->cbs.on_done != NULL)
		h->cbs.on_done(h->ctx, done, status, ep, en, text);
	/* on_done may have started the next run (BUSY) or closed us. */
	if (!h->closing && !h->busy && h->cur == pr && h->state == RTH_IDLE)
		rth_set_state(h, RTH_IDLE, "idle");
out:
	free(text);
	rpc_writer_fini(&w);
}

static void
rth_on_out(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	struct rth_proc	*pr = s->data;

	if (nread < 0) {
		uv_read_stop(s);
		pr->raw_eof[s == (uv_stream_t *)&pr->err] = true;
		return;
	}
	if (nread > 0)
		rth_stream(pr, s == (uv_stream_t *)&pr->err, buf->base,
		    (size_t)nread);
}

/*
 * n bytes the runtime wrote to stdout (which 0) or stderr (1), read into
 * h->rbuf + RTH_CARRY: an output of the running cell, less a UTF-8
 * character cut at the end (kept for the next read). Dropped when idle;
 * stderr before ready is kept for the death message.
 */
static void
rth_stream(struct rth_proc *pr, int which, char *p, size_t n)
{
	struct rth	*h = pr->h;
	struct rth_carry *c = &pr->carry[which];
	size_t		 i, need;
	unsigned char	 lead;

	assert(p == h->rbuf + RTH_CARRY);
	if (pr != h->cur || h->closing)
		return;
	if (!pr->ready && which == 1) {
		/* Keep the last non-empty line of what it said. */
		size_t	 end = n, start;

		while (end > 0 && (p[end - 1] == '\n' || p[end - 1] == '\r'))
			end--;
		for (start = end; start > 0 && p[start - 1] != '\n'; start--)
			;
		if (end > start)
			snprintf(pr->errtail, sizeof pr->errtail, "%.*s",
			    (int)(end - start), p + start);
	}
	if (!h->busy) {
		c->n = 0;
		return;
	}
	memcpy(p - c->n, c->b, c->n);
	p -= c->n;
	n += c->n;
	c->n = 0;
	/* A lead byte whose sequence runs past the end waits. */
	for (i = n; i > 0 && n - i < 3; i--) {
		lead = (unsigned char)p[i - 1];
		if ((lead & 0xc0) == 0x80)
			continue;
		need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ?
		    2 : 1;
		if (n - (i - 1) < need) {
			c->n = n - (i - 1);
			memcpy(c->b, p + i - 1, c->n);
			n = i - 1;
		}
		break;
	}
	if (n > 0)
		rth_emit_stream(h, which, p, n);
}

/* Reads what the runtime's stdout and stderr hold now; with final, also
 * what waited for the rest of a UTF-8 character. */
static void
rth_drain(struct rth_proc *pr, bool final)
{
	struct rth	*h = pr->h;
	uv_pipe_t	*pp;
	uv_os_fd_t	 fd;
	ssize_t		 n;

	for (int which = 0; which < 2; which++) {
		pp = which ? &pr->err : &pr->out;
		if (uv_is_closing((uv_handle_t *)pp) ||
		    uv_fileno((uv_handle_t *)pp, &fd) != 0)
			continue;
		for (int k = 0; k < RTH_DRAIN_MAX; k++) {
			n = read(fd, h->rbuf + RTH_CARRY, RTH_RBUF);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break;
			rth_stream(pr, which, h->rbuf + RTH_CARRY, (size_t)n);
		}
		if (final && pr->carry[which].n > 0) {
			if (h->busy && pr == h->cur && !h->closing)
				rth_emit_stream(h, which, pr->carry[which].b,
				    pr->carry[which].n);
			pr->carry[which].n = 0;
		}
	}
}

static void
rth_emit_stream(struct rth *h, int which, const char *p, size_t n)
{
	msgpack_object_kv	 kv[3];
	msgpack_object		 o;
	const char		*name = which ? "stderr" : "stdout";

	if (h->cbs.on_output == NULL)
		return;
	kv[0].key = (msgpack_object){ .type = MSGPACK_OBJECT_STR,
	    .via.str = { 4, "type" } };
	kv[0].val = (msgpack_object){ .type = MSGPACK_OBJECT_STR,
	    .via.str = { 6, "stream" } };
	kv[1].key = (msgpack_object){ .type = MSGPACK_OBJECT_STR,
	    .via.str = { 4, "name" } };
	kv[1].val = (msgpack_object){ .type = MSGPACK_OBJECT_STR,
	    .via.str = { 6, name } };
	kv[2].key = (msgpack_object){ .type = MSGPACK_OBJECT_STR,
	    .via.str = { 4, "text" } };
	kv[2].val = (msgpack_object){ .type = MSGPACK_OBJECT_STR,
	    .via.str = { (uint32_t)n, p } };
	o = (msgpack_object){ .type = MSGPACK_OBJECT_MAP,
	    .via.map = { 3, kv } };
	h->cbs.on_output(h->ctx, h->run, &o, NULL, 0);
}

static void
rth_set_state(struct rth *h, enum rth_state st, const char *msg)
{
	h->state = st;
	if (!h->closing && h->cbs.on_state != NULL)
		h->cbs.on_state(h->ctx, st, msg);
}

static void
rth_on_exit(uv_process_t *p, int64_t status, int sig)
{
	struct rth_proc	*pr = p->data;
	struct rth	*h = pr->h;

	pr->exited = true;
	/* What its cells started goes with it (a runtime killed -9 from
	 * outside). The group outlives its leader while it has members, so
	 * its id is still theirs. */
	(void)kill(-pr->pid, SIGKILL);
	if (pr == h->cur && !h->closing) {
		h->cur = NULL;
		rth_lost(h, pr, status, sig);
	}
	rth_proc_close(pr);
}

static void
rth_on_timer(uv_timer_t *t)
{
	struct rth	*h = t->data;

	if (h->cur != NULL && !h->cur->ready)
		rth_kill(h->cur, "no ready message within %d s",
		    RTH_START_MS / 1000);
}

static void
rth_on_proc_close(uv_handle_t *hd)
{
	rth_proc_closed(hd->data);
}

/* One of pr's handles is closed; pr goes with the last. */
static void
rth_proc_closed(struct rth_proc *pr)
{
	struct rth	*h = pr->h;

	if (--pr->pending > 0)
		return;
	free(pr);
	h->nprocs--;
	rth_maybe_free(h);
}

static void
rth_on_timer_close(uv_handle_t *hd)
{
	struct rth	*h = hd->data;

	h->timer_closed = true;
	rth_maybe_free(h);
}

static void
rth_maybe_free(struct rth *h)
{
	void	(*cb)(void *) = h->on_closed;
	void	*ctx = h->ctx;

	if (!h->closing || !h->timer_closed || h->nprocs > 0)
		return;
	rpc_writer_fini(&h->w);
	free(h->exe);
	free(h->cwd);
	free(h->session);
	free(h);
	if (cb != NULL)
		cb(ctx);
}

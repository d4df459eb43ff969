/*
 * runtime.c - the runtime process: one Lua 5.4 state that runs a session's
 * cells (DESIGN section 8) and speaks msgpack-RPC with the kernel on one fd
 * (docs/protocol.md, "The runtime pipe").
 *
 * Design.
 *
 * - The process is dedicated: it blocks in read() on the pipe, serves one
 *   request at a time and exits 0 at EOF (killing its process group
 *   first when it leads one: lx_orphan_setup). Writes block: when the
 *   kernel stops reading (a client does not keep up), print blocks too.
 *
 * - Streams are batched: print and io.write append to the batch (a run of
 *   prints is one stream output, its text grown in place as the kernel
 *   grows a kept one), which is written when it holds LX_BATCH bytes,
 *   before any other message, before raw stdio or a child process could
 *   write (os.execute, io.popen, C stdio with bytes pending), and at the
 *   latest LX_BATCH_MS after its first byte: a one-shot timer (SIGALRM)
 *   sets the Lua hook, which writes it (a cell blocked in C a while
 *   longer shows its prints when C returns; one running in a coroutine,
 *   whose hook is its own, at its next print). One write per batch
 *   instead of one per print is what lets a cell print at hundreds of
 *   MB/s. Before raw bytes, the runtime also waits until the kernel took
 *   what it sent (lx_raw_prepare), so they keep their place.
 *
 * - A cell is compiled as one chunk named by the request's chunkname, with
 *   (line - 1) newlines prepended so that Lua's own messages carry file
 *   lines. The source is rewritten, never the bytecode:
 *
 *     prefix  code[0 .. split)  ";return (...)("  code[split .. end)  ")"
 *     code[end ..]
 *
 *   where code[split ..] is the smallest whole-line suffix, starting at or
 *   above the last line that is not blank or comment-only, such that the
 *   rewritten cell compiles (the trailing expression, shown like the Lua
 *   REPL shows values), and `(...)` is the private C function lx_capture
 *   passed as the chunk's vararg: it copies the top-level locals in scope
 *   (lua_getstack(L, 1) + lua_getlocal) into the global table, so later
 *   cells see them, and returns its arguments. Passing the values through
 *   it keeps a call in the expression from being a tail call, which would
 *   drop the chunk's frame from tracebacks (a C function called in tail
 *   position still runs on top of its caller in Lua 5.4; lx_capture checks
 *   that its caller is the chunk). `end` is just past the last token of
 *   the last code line (a trailing `-- comment` stays outside): on a later
 *   line the parenthesis would lend the expression its line number. When
 *   the suffix is no argument list (`x;`) or that line cannot be scanned
 *   alone, the cell is tried as `;(...)() return ` suffix. A suffix is first compiled alone ("return " +
 *   suffix) so that most failing candidates cost a few tokens of parsing
 *   and a suffix inside a long string can never be taken for an
 *   expression. Without a trailing expression the capture call is appended
 *   on a new line; when that does not compile (an explicit `return` ends
 *   the cell) the cell runs as written.
 *
 * - The chunk is called with lua_pcall straight from C, with a message
 *   handler below it: no runtime frame sits under the user's frames, so
 *   the traceback shows only theirs. The handler records the traceback and
 *   the cell line of the innermost frame of this cell's chunk.
 *
 * - Interrupt: the SIGINT handler only calls lua_sethook() (async-signal-
 *   safe by Lua's design, as lua.c does) while a cell runs; the hook
 *   clears itself and raises "interrupted". The kernel tags its SIGINT with
 *   the run it means (sigqueue): a tag that lands while idle is kept for
 *   that run and honoured when it starts; a stale tag, or an untagged
 *   signal while idle, changes nothing.
 *
 * - Memory: Lua allocates through lx_heap_alloc (lua/host.c), which
 *   counts bytes and refuses growth past the limit, setting a flag. Lua
 *   then raises its memory error; the cell ends with a clear message and a
 *   full collection gives the memory back.
 *
 * Invariants: the stack is empty between requests; every Lua call that may
 * raise runs under lua_pcall; C memory is never held across a Lua call
 * that may longjmp (buffers are the runtime's, reused across cells).
 */
#include "lua/runtime.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdio_ext.h>
#include <string.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include <lauxlib.h>
#include <lua.h>

#include "core/err.h"
#include "core/mem.h"
#include "core/rpc.h"
#include "core/run.h"
#include "lua/chunk.h"
#include "lua/codec.h"
#include "lua/expr.h"
#include "lua/lua_int.h"

#define LX_MAX_FRAME	(300u << 20)	/* largest message from the kernel (a
					 * cluster result up to the codec's
					 * 256 MB cap) */
#define LX_STREAM_CHUNK	(1u << 20)	/* stream text is sent in pieces */
#define LX_RESULT_MAX	(16u << 20)	/* longer result text is cut */
#define LX_MAX_LINE	10000000L	/* first_line is clamped to this */
#define LX_BATCH	(256u << 10)	/* stream bytes written at once */
#define LX_BATCH_MS	5		/* ... or this long after the first */
#define LX_PIPE_SIZE	(1 << 20)	/* asked of the pipe to the kernel */

/* Stack slots of a running cell. */
#define LX_SLOT_MSGH	1
#define LX_SLOT_FMT	2
#define LX_SLOT_CHUNK	3

struct lx_rt {
	struct lx_host	 host;		/* the Lua state; host.heap.failed is
					   reset at each cell start */
	lua_State	*L;		/* host.L */
	int		 fd;
	int		 broken;	/* the pipe to the kernel failed */
	struct rpc_reader *rd;		/* owned */
	struct rpc_reader *later;	/* owned: runs that came while a cell
					 * waited on the kernel, served
					 * before what rd holds */
	struct rpc_writer w;		/* the next message(s) */
	/* The batch: stream outputs not written yet. The last one's text
	 * (a str 32 at text_at, text_len bytes) grows while prints of the
	 * same run come; text_at is SIZE_MAX when there is none. */
	struct rpc_writer batch;
	size_t		 text_at, text_len;
	uint64_t	 text_run;
	bool		 synced;	/* the kernel took all we wrote */
	struct gl_buf	 src;		/* the chunk being compiled */
	struct gl_buf	 chk;		/* a candidate suffix */
	struct gl_buf	 name;		/* the cell's chunkname */
	size_t		*lines;		/* owned: offsets of the cell's lines */
	size_t		 nlines;
	size_t		 lines_cap;
	uint64_t	 run;		/* the current run number */
	uint64_t	 failed_batch;	/* a run of this batch did not
					 * succeed: its later runs are
					 * cancelled; 0 none */
	long		 first_line;	/* file line of the cell's line 1 */
	int		 err_line;	/* cell line of the last error; 0 */
	struct lx_cluster *cl;		/* the cluster binding */
	struct lx_disp	 disp;		/* tables shown as tables and trees */
	struct lx_comp	 comp;		/* completion and inspection */
};

/*
 * Shared with the SIGINT handler: the state to hook and whether a cell
 * runs.
 */
static lua_State *volatile	 lx_sig_L;
static volatile sig_atomic_t	 lx_running;
static volatile sig_atomic_t	 lx_interrupted;
/* SIGINT arrived while the cell runs: seen by a cell that waits on the
 * cluster in a C read, where the hook cannot fire. */
static volatile sig_atomic_t	 lx_sigint_seen;
/* The running run's tag, and a tag that arrived before its run started
 * (-1: none). */
#define LX_RUN_TAG(run)	((int)((run) & 0x7fffffff))
static volatile sig_atomic_t	 lx_cur_run;
static volatile sig_atomic_t	 lx_pending_run = -1;
/* The hook is set to interrupt the cell (not only to write the batch). */
static volatile sig_atomic_t	 lx_want_interrupt;
/* The batch timer: armed, and fired (the hook writes the batch). */
/* The runtime leads its process group (lx_orphan_setup). */
static int			 lx_own_group;
static volatile sig_atomic_t	 lx_batch_armed;
static volatile sig_atomic_t	 lx_batch_due;
/* The cell's own hook (debug.sethook), put back after a batch hook. */
static lua_Hook			 lx_user_hook;
static int			 lx_user_mask, lx_user_count;

static void	 lx_on_sigint(int sig, siginfo_t *si, void *uctx);
static void	 lx_on_alarm(int sig);
static void	 lx_on_exit(void);
static struct lx_rt		*lx_exit_rt;
static void	 lx_batch_flush(struct lx_rt *rt);
static void	 lx_batch_arm(bool arm);
static void	 lx_stdio_flush(struct lx_rt *rt);
static void	 lx_raw_prepare(struct lx_rt *rt);
static int	 lx_sync_call(lua_State *L);
static int	 lx_flushing_call(lua_State *L);
static int	 lx_file_write(lua_State *L);
static void	 lx_on_sigint_run(int run);
static void	 lx_orphan_setup(void);
static void	 lx_on_orphaned(int sig);
static void	 lx_hook(lua_State *L, lua_Debug *ar);
static struct lx_rt *lx_rt_of(lua_State *L);
static int	 lx_setup(lua_State *L);
static void	 lx_on_print(void *ud, const char *text, size_t len);
static void	 lx_on_display(void *ud, const char *text, size_t len);
static void	 lx_on_error(void *ud, lua_State *L);
static int	 lx_io_write(lua_State *L);
static int	 lx_fmt(lua_State *L);
static int	 lx_rt_display(lua_State *L);
static void	 lx_show(struct lx_rt *rt, lua_State *L, int first, int last);
static void	 lx_answer(struct lx_rt *rt, const struct rpc_msg *m,
		     bool inspect);
static int	 lx_capture(lua_State *L);
static void	 lx_send(struct lx_rt *rt);
static void	 lx_done_queue(struct lx_rt *rt);
static void	 lx_pack_output(struct lx_rt *rt, struct rpc_writer *w,
		     const char *type, const char *name, const char *text,
		     size_t len);
static void	 lx_stream(struct lx_rt *rt, const char *text, size_t len);
static void	 lx_serve(struct lx_rt *rt, const struct rpc_msg *m);
static void	 lx_run(struct lx_rt *rt, const struct rpc_msg *m);
static int	 lx_compile(struct lx_rt *rt, const char *code, size_t len,
		     int *capture);
static int	 lx_load(struct lx_rt *rt, const char *code, size_t len,
		     size_t split, const char *mid, size_t at, const char *text,
		     bool shown);
static size_t	 lx_code_end(const char *p, size_t n, bool *ok);
static void	 lx_split_lines(struct lx_rt *rt, const char *code, size_t len);
static bool	 lx_line_is_code(const char *p, size_t n);
static int	 lx_parse_line(const struct lx_rt *rt, const char *msg);
static void	 lx_pack_done(struct lx_rt *rt, uint32_t id,
		     enum gl_run_status status, const char *msg, size_t msglen,
		     const char *tb, int line);
static void	 lx_io_send(void *host);
static bool	 lx_io_interrupted(void *host);
static int	 lx_io_raise(lua_State *L);
static void	 lx_io_serve(void *host, const struct rpc_msg *m);

int
lx_runtime_main(const struct lx_runtime_opts *opts)
{
	struct lx_rt		 rt;
	struct sigaction	 sa, old_int, old_pipe;
	struct rpc_msg		 m;
	struct gl_err		 err = { 0 };
	static char		 buf[65536];
	ssize_t			 n;
	int			 flags, rc = 0, status = 1;
	bool			 serving = false;
	static const struct lx_host_ops ops = {
		.print = lx_on_print,
		.display = lx_on_display,
		.on_error = lx_on_error,
	};
	struct lx_host_opts	 ho = {
		.name = "runtime",
		.memory_limit = opts->memory_limit,
		.flags = LX_HOST_STDLIB,
		/* The notebook's directory (our cwd) first. */
		.path_first = "./?.lua;./?/init.lua",
		.ops = &ops,
		.ud = &rt,
	};

	memset(&rt, 0, sizeof rt);
	rt.fd = opts->fd;
	rt.rd = rpc_reader_new(LX_MAX_FRAME);
	rt.later = rpc_reader_new(LX_MAX_FRAME);
	rpc_writer_init(&rt.w);
	rpc_writer_init(&rt.batch);
	rt.text_at = SIZE_MAX;
	gl_buf_init(&rt.src);
	gl_buf_init(&rt.chk);
	gl_buf_init(&rt.name);
	lx_disp_init(&rt.disp);
	lx_comp_init(&rt.comp);

	/* A kernel that dies without closing the pipe takes us with it. */
	lx_orphan_setup();
	memset(&sa, 0, sizeof sa);
	sigemptyset(&sa.sa_mask);
	sa.sa_sigaction = lx_on_sigint;
	sa.sa_flags = SA_RESTART | SA_SIGINFO;
	sigaction(SIGINT, &sa, &old_int);
	sa.sa_flags = SA_RESTART;
	sa.sa_handler = lx_on_alarm;
	sigaction(SIGALRM, &sa, NULL);
	sa.sa_flags = 0;
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, &old_pipe);
	/* The pipe must block: this process has nothing else to do. */
	if ((flags = fcntl(rt.fd, F_GETFL)) == -1) {
		fprintf(stderr, "galley runtime: fd %d: %s\n", rt.fd,
		    strerror(errno));
		goto out;
	}
	if (flags & O_NONBLOCK)
		fcntl(rt.fd, F_SETFL, flags & ~O_NONBLOCK);
	/* What a cell starts (os.execute, io.popen) must not hold the pipe. */
	fcntl(rt.fd, F_SETFD, FD_CLOEXEC);
#ifdef F_SETPIPE_SZ
	/* Fewer, larger reads for the kernel (the system may refuse). */
	(void)fcntl(rt.fd, F_SETPIPE_SZ, LX_PIPE_SIZE);
#endif

	if (lx_host_init(&rt.host, &ho, &err) != 0) {
		fprintf(stderr, "galley runtime: %s\n", err.msg);
		goto out;
	}
	rt.L = rt.host.L;
	lua_pushcfunction(rt.L, lx_setup);
	if (lua_pcall(rt.L, 0, 0, 0) != LUA_OK) {
		fprintf(stderr, "galley runtime: setup failed: %s\n",
		    lua_tostring(rt.L, -1));
		goto out;
	}
	lx_sig_L = rt.L;
	/* os.exit() in a cell: what the cells before it printed, and their
	 * answers, still reach the kernel. */
	lx_exit_rt = &rt;
	atexit(lx_on_exit);

	rpc_begin_notify(&rt.w, "ready");
	msgpack_pack_map(&rt.w.pk, 2);
	rpc_pack_kv_int(&rt.w.pk, "pid", (int64_t)getpid());
	rpc_pack_kv_str(&rt.w.pk, "version", GALLEY_VERSION);
	lx_send(&rt);

	serving = true;
	while (!rt.broken) {
		/* A cell that waited on the kernel may have put runs sent
		 * ahead aside, and left whole messages in the reader. */
		while (!rt.broken && ((rc = rpc_reader_next(rt.later, &m,
		    &err)) == 1 || (rc == 0 && (rc = rpc_reader_next(rt.rd,
		    &m, &err)) == 1))) {
			lx_serve(&rt, &m);
			rpc_msg_fini(&m);
		}
		if (rc < 0) {
			fprintf(stderr, "galley runtime: from the kernel: %s\n",
			    err.msg);
			goto out;
		}
		if (rt.broken)
			break;
		/* Nothing more to run: what waits in the batch goes now. */
		lx_batch_flush(&rt);
		n = read(rt.fd, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fprintf(stderr, "galley runtime: read fd %d: %s\n",
			    rt.fd, strerror(errno));
			goto out;
		}
		if (n == 0) {
			status = 0;
			goto out;
		}
		rpc_reader_feed(rt.rd, buf, (size_t)n);
	}
out:
	/* The pipe closed or broke: the kernel is gone (one that closes it
	 * kills the group first). What cells started goes with us, whether
	 * or not PDEATHSIG came yet. */
	if (serving && lx_own_group)
		lx_on_orphaned(0);
	lx_running = 0;
	lx_sig_L = NULL;
	lx_exit_rt = NULL;
	lx_batch_arm(false);
	lx_cluster_free(rt.cl);
	lx_host_fini(&rt.host);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGPIPE, &old_pipe, NULL);
	free(rt.lines);
	gl_buf_fini(&rt.src);
	gl_buf_fini(&rt.chk);
	gl_buf_fini(&rt.name);
	lx_disp_fini(&rt.disp);
	lx_comp_fini(&rt.comp);
	rpc_writer_fini(&rt.w);
	rpc_writer_fini(&rt.batch);
	rpc_reader_free(rt.rd);
	rpc_reader_free(rt.later);
	return status;
}

/* Async-signal-safe: reads flags and calls lua_sethook(). */
/*
 * The runtime leads a process group of its own (the kernel starts it with
 * setsid), and what a cell starts joins it. When the kernel sees the
 * runtime die it kills that group; a kernel that died (even killed -9)
 * cannot, so the runtime is told by PDEATHSIG (SIGTERM), or sees its
 * pipe close first, and kills its group itself, itself included. A runtime that shares its parent's group
 * (a test's fork) just dies: that group is not ours.
 */
static void
lx_orphan_setup(void)
{
#ifdef __linux__
	struct sigaction sa;

	if (getpgrp() != getpid()) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		return;
	}
	lx_own_group = 1;
	memset(&sa, 0, sizeof sa);
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = lx_on_orphaned;
	sigaction(SIGTERM, &sa, NULL);
	prctl(PR_SET_PDEATHSIG, SIGTERM);
#endif
}

/* Async-signal-safe: the kernel is gone (or SIGTERM came from outside). */
static void
lx_on_orphaned(int sig)
{
	(void)sig;
	kill(0, SIGKILL);
	_exit(1);
}

static void
lx_on_sigint_run(int run)
{
	lua_State	*L = lx_sig_L;

	if (lx_running && L != NULL && (run < 0 || lx_cur_run <= run)) {
		lx_sigint_seen = 1;
		lx_want_interrupt = 1;
		lua_sethook(L, lx_hook, LUA_MASKCALL | LUA_MASKRET |
		    LUA_MASKLINE | LUA_MASKCOUNT, 1);
	} else if (!lx_running && run >= 0)
		lx_pending_run = run;
}

/*
 * The kernel sends SIGINT with sigqueue(), tagged with the run it means
 * (docs/protocol.md): a tag for the run we are about to start is kept
 * until it starts, one for a run that already ended is ignored. A plain
 * kill -INT (no tag) interrupts whatever runs.
 */
static void
lx_on_sigint(int sig, siginfo_t *si, void *uctx)
{
	int	 saved = errno;

	(void)sig;
	(void)uctx;
	if (si != NULL && si->si_code == SI_QUEUE)
		lx_on_sigint_run(si->si_value.sival_int & 0x7fffffff);
	else
		lx_on_sigint_run(-1);
	errno = saved;
}

/* A cell called os.exit(): the batch is written before the process
 * ends (stdio is flushed by exit() after). */
static void
lx_on_exit(void)
{
	if (lx_exit_rt != NULL)
		lx_batch_flush(lx_exit_rt);
}

/* Async-signal-safe: the batch's time is up; the hook writes it. */
static void
lx_on_alarm(int sig)
{
	lua_State	*L = lx_sig_L;
	int		 saved = errno;

	(void)sig;
	lx_batch_armed = 0;
	lx_batch_due = 1;
	if (lx_running && L != NULL && !lx_want_interrupt) {
		if (lua_gethook(L) != lx_hook) {
			lx_user_hook = lua_gethook(L);
			lx_user_mask = lua_gethookmask(L);
			lx_user_count = lua_gethookcount(L);
		}
		lua_sethook(L, lx_hook, LUA_MASKCOUNT, 1);
	}
	errno = saved;
}

/* Writes the batch when its time is up; raises "interrupted" after an
 * interrupt. A hook set only for the batch gives the cell's own hook
 * back. */
static void
lx_hook(lua_State *L, lua_Debug *ar)
{
	(void)ar;
	if (lx_batch_due) {
		lx_batch_due = 0;
		lx_batch_flush(lx_rt_of(L));
	}
	if (!lx_want_interrupt) {
		lua_sethook(L, lx_user_hook, lx_user_mask, lx_user_count);
		return;
	}
	if (lx_host_of(L)->in_msgh)
		return;		/* the cell is ending with an error anyway */
	lua_sethook(L, NULL, 0, 0);
	lx_want_interrupt = 0;
	lx_interrupted = 1;
	lua_pushliteral(L, "interrupted");
	lua_error(L);
}

static struct lx_rt *
lx_rt_of(lua_State *L)
{
	return lx_host_of(L)->ud;
}

/* Installs the cell functions over the host's libraries. [-0, +0, m] */
static int
lx_setup(lua_State *L)
{
	/* cluster.*: print and display travel by name (a worker has its
	 * own under the same names). */
	{
		struct lx_rt		*rt = lx_rt_of(L);
		struct lx_cluster_io	 io = {
			.fd = rt->fd,
			.rd = rt->rd,
			.w = &rt->w,
			.broken = &rt->broken,
			.host = rt,
			.send = lx_io_send,
			.interrupted = lx_io_interrupted,
			.raise_interrupt = lx_io_raise,
			.serve = lx_io_serve,
		};
		struct codec		*c;

		rt->cl = lx_cluster_open(L, &io);
		/* require of the registry's modules asks the kernel. */
		lx_require_open(L, rt->cl);
		c = lx_cluster_codec(rt->cl);
		codec_register_cfunc(c, "print", lx_host_print);
		/* The cell's display draws tables; a worker's is its own. */
		codec_register_cfunc(c, "display", lx_rt_display);
	}
	lua_pushcfunction(L, lx_rt_display);
	lua_setglobal(L, "display");

	/* io.write streams while the default output is stdout; it keeps
	 * the library's io.write and io.output for when it is not. */
	lua_getglobal(L, "io");
	lua_getfield(L, -1, "stdout");
	lua_getfield(L, -2, "write");
	lua_getfield(L, -3, "output");
	lua_pushcclosure(L, lx_io_write, 3);
	lua_setfield(L, -2, "write");
	/* What a child process writes to our stdout comes after the prints
	 * before it. */
	lua_getfield(L, -1, "popen");
	lua_pushcclosure(L, lx_flushing_call, 1);
	lua_setfield(L, -2, "popen");
	lua_pop(L, 1);
	lua_getglobal(L, "os");
	lua_getfield(L, -1, "execute");
	lua_pushcclosure(L, lx_flushing_call, 1);
	lua_setfield(L, -2, "execute");
	lua_pop(L, 1);
	/* file:write on io.stdout or io.stderr: after the prints before. */
	lua_getglobal(L, "io");
	lua_getfield(L, -1, "stdout");
	if (lua_getmetatable(L, -1) && lua_getfield(L, -1, "__index") ==
	    LUA_TTABLE) {
		lua_getfield(L, -1, "write");
		lua_pushcclosure(L, lx_file_write, 1);
		lua_setfield(L, -2, "write");
	}
	lua_settop(L, 0);
	return 0;
}

/* os.execute, io.popen: the batch and stdio are written first, then the
 * library's function (upvalue 1) is called. [-n, +r, e] */
static int
lx_flushing_call(lua_State *L)
{
	struct lx_rt *rt = lx_rt_of(L);

	lx_stdio_flush(rt);
	lx_raw_prepare(rt);
	lua_pushvalue(L, lua_upvalueindex(1));
	lua_insert(L, 1);
	lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
	return lua_gettop(L);
}

/* file:write (upvalue 1) for a file that is our stdout or stderr: the
 * batch is written (and taken by the kernel) first. [-n, +r, e] */
static int
lx_file_write(lua_State *L)
{
	luaL_Stream	*p = luaL_testudata(L, 1, LUA_FILEHANDLE);

	if (p != NULL && (p->f == stdout || p->f == stderr))
		lx_raw_prepare(lx_rt_of(L));
	lua_pushvalue(L, lua_upvalueindex(1));
	lua_insert(L, 1);
	lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
	return lua_gettop(L);
}

/* print(...): one stdout stream output (lua/host.c formats it). */
static void
lx_on_print(void *ud, const char *text, size_t len)
{
	lx_stream(ud, text, len);
}

/* io.write(...): strings and numbers as io.write formats them, to the
 * stdout stream; returns io.stdout. After io.output(file) it is the
 * library's io.write. Upvalues: io.stdout, io.write, io.output.
 * [-n, +1, e] */
static int
lx_io_write(lua_State *L)
{
	struct lx_rt	*rt = lx_rt_of(L);
	int		 n = lua_gettop(L);
	luaL_Buffer	 b;
	const char	*s;
	char		 num[64];
	size_t		 len;
	int		 k;

	lua_pushvalue(L, lua_upvalueindex(3));
	lua_call(L, 0, 1);
	if (!lua_rawequal(L, -1, lua_upvalueindex(1))) {
		lua_pop(L, 1);
		lua_pushvalue(L, lua_upvalueindex(2));
		lua_insert(L, 1);
		lua_call(L, n, LUA_MULTRET);
		return lua_gettop(L);
	}
	lua_pop(L, 1);
	luaL_buffinit(L, &b);
	for (int i = 1; i <= n; i++) {
		if (lua_type(L, i) == LUA_TNUMBER) {
			if (lua_isinteger(L, i))
				k = snprintf(num, sizeof num, LUA_INTEGER_FMT,
				    (LUAI_UACINT)lua_tointeger(L, i));
			else
				k = snprintf(num, sizeof num, LUA_NUMBER_FMT,
				    (LUAI_UACNUMBER)lua_tonumber(L, i));
			luaL_addlstring(&b, num, (size_t)k);
		} else {
			s = luaL_checklstring(L, i, &len);
			luaL_addlstring(&b, s, len);
		}
	}
	luaL_pushresult(&b);
	s = lua_tolstring(L, -1, &len);
	if (len > 0)
		lx_stream(rt, s, len);
	lua_pushvalue(L, lua_upvalueindex(1));
	return 1;
}

/* display(...): the values as a result output, as the REPL shows them
 * (lua/host.c formats them and skips a call without values). */
static void
lx_on_display(void *ud, const char *text, size_t len)
{
	lx_stdio_flush(ud);
	lx_pack_output(ud, &((struct lx_rt *)ud)->w, "result", NULL, text,
	    len);
	lx_send(ud);
}

/* The trailing expression's values as a result output, packed but not
 * sent: the response follows in the same write. [-n, +0, e] */
static int
lx_fmt(lua_State *L)
{
	lx_show(lx_rt_of(L), L, 1, lua_gettop(L));
	return 0;
}

/* display(...): as the trailing expression shows its values; nothing
 * for no values. [-n, +0, e] */
static int
lx_rt_display(lua_State *L)
{
	struct lx_rt	*rt = lx_rt_of(L);

	if (lua_gettop(L) == 0)
		return 0;
	lx_stdio_flush(rt);
	lx_show(rt, L, 1, lua_gettop(L));
	lx_send(rt);
	return 0;
}

/*
 * Packs values first..last as an output (not sent): one table galley
 * draws as a table or tree output (lua/display.c), anything else as the
 * REPL's text in a result. [-0, +0, e]
 */
static void
lx_show(struct lx_rt *rt, lua_State *L, int first, int last)
{
	msgpack_packer	*pk = &rt->w.pk;
	const char	*s;
	size_t		 len;

	if (first == last && lx_disp_pack(&rt->disp, L, first)) {
		rpc_begin_notify(&rt->w, "output");
		msgpack_pack_map(pk, 2);
		rpc_pack_key(pk, "run");
		msgpack_pack_uint64(pk, rt->run);
		rpc_pack_key(pk, "output");
		msgpack_sbuffer_write(&rt->w.sbuf, rt->disp.out.sbuf.data,
		    rt->disp.out.sbuf.size);
		return;
	}
	s = lx_host_format(&rt->host, L, first, last, &len);
	lx_pack_output(rt, &rt->w, "result", NULL, s, len);
}

/*
 * Called as the cell's last statement, or on the trailing expression's
 * values (`return (...)(expr)`), which it returns: copies the caller's
 * locals in scope into the global table, skipping Lua's internal names and
 * _ENV. Later locals of the same name come later, so the innermost wins.
 * [-0, +0, m]
 */
static int
lx_capture(lua_State *L)
{
	struct lx_rt	*rt = lx_rt_of(L);
	lua_Debug	 ar;
	const char	*name;
	int		 n = lua_gettop(L);

	/* Level 1 must be the cell's main chunk (a C function called in a
	 * tail position runs on top of its caller in Lua 5.4). */
	if (!lua_getstack(L, 1, &ar) || !lua_getinfo(L, "S", &ar) ||
	    strcmp(ar.what, "main") != 0 ||
	    strcmp(ar.source, rt->name.data) != 0)
		return n;
	lua_pushglobaltable(L);
	for (int i = 1; (name = lua_getlocal(L, &ar, i)) != NULL; i++) {
		if (name[0] == '(' || strcmp(name, "_ENV") == 0) {
			lua_pop(L, 1);
			continue;
		}
		lua_pushstring(L, name);
		lua_insert(L, -2);
		lua_rawset(L, n + 1);
	}
	lua_settop(L, n);
	return n;
}

/*
 * From the message handler (lx_host_msgh, which records the traceback):
 * the cell line of the innermost frame of this cell's chunk.
 */
static void
lx_on_error(void *ud, lua_State *L)
{
	struct lx_rt	*rt = ud;
	lua_Debug	 ar;
	long		 last = rt->first_line + (long)rt->nlines - 1;

	rt->err_line = 0;
	for (int level = 1; lua_getstack(L, level, &ar); level++) {
		if (!lua_getinfo(L, "Sl", &ar))
			break;
		if (ar.currentline >= rt->first_line &&
		    ar.currentline <= last &&
		    strcmp(ar.source, rt->name.data) == 0) {
			rt->err_line = (int)(ar.currentline - rt->first_line
			    + 1);
			break;
		}
	}
}

/* Writes the batch, then (with all) what the writer holds, and empties
 * what it wrote. A failed write marks the pipe broken: the loop then
 * ends. */
static void
lx_write(struct lx_rt *rt, bool all)
{
	struct iovec	 iov[2] = {
		{ rt->batch.sbuf.data, rt->batch.sbuf.size },
		{ rt->w.sbuf.data, all ? rt->w.sbuf.size : 0 },
	};
	int		 i = 0;
	ssize_t		 k;

	lx_batch_arm(false);
	while (!rt->broken && i < 2) {
		if (iov[i].iov_len == 0) {
			i++;
			continue;
		}
		k = writev(rt->fd, iov + i, 2 - i);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			rt->broken = 1;
			break;
		}
		for (; i < 2 && (size_t)k >= iov[i].iov_len; i++)
			k -= (ssize_t)iov[i].iov_len;
		if (i < 2) {
			iov[i].iov_base = (char *)iov[i].iov_base + k;
			iov[i].iov_len -= (size_t)k;
		}
	}
	rt->text_at = SIZE_MAX;
	if (rt->batch.sbuf.size > 0 || (all && rt->w.sbuf.size > 0))
		rt->synced = false;
	if (rt->batch.sbuf.alloc > 4 * LX_BATCH) {
		rpc_writer_fini(&rt->batch);
		rpc_writer_init(&rt->batch);
	} else
		rpc_writer_reset(&rt->batch);
	if (all)
		rpc_writer_reset(&rt->w);
}

/* Writes the batch, then what the writer holds, and empties both. */
static void
lx_send(struct lx_rt *rt)
{
	lx_write(rt, true);
}

/* Writes the batch now (nothing of the writer: a message may be half
 * packed there), if it holds anything. */
static void
lx_batch_flush(struct lx_rt *rt)
{
	if (rt->batch.sbuf.size > 0)
		lx_write(rt, false);
}

/* Arms the batch's timer (once: the first byte's time counts), or
 * disarms it. */
static void
lx_batch_arm(bool arm)
{
	struct itimerval it;

	if (!arm)
		lx_batch_due = 0;
	if (arm == (lx_batch_armed != 0))
		return;
	memset(&it, 0, sizeof it);
	if (arm)
		it.it_value.tv_usec = LX_BATCH_MS * 1000;
	lx_batch_armed = arm;
	setitimer(ITIMER_REAL, &it, NULL);
}

/* What C stdio holds for our stdout and stderr (io.stdout:write, C code)
 * is written after the batch, which was printed before it. */
static void
lx_stdio_flush(struct lx_rt *rt)
{
	if (__fpending(stdout) == 0 && __fpending(stderr) == 0)
		return;
	lx_raw_prepare(rt);
	fflush(stdout);
	fflush(stderr);
}

/*
 * Before bytes go to our stdout or stderr raw (stdio, a child process):
 * writes the batch and waits until the kernel has taken every message
 * written before (a "sync" request). The kernel reads stdout and stderr
 * before the first output of each read of the pipe; raw bytes written
 * while a message it has not read yet waits in the pipe would come out
 * before that message. Nothing to wait for when no message went since
 * the last sync. An interrupt that comes meanwhile is raised at the
 * cell's next instruction.
 */
static void
lx_raw_prepare(struct lx_rt *rt)
{
	lua_State	*L = rt->L;

	lx_batch_flush(rt);
	if (rt->synced || rt->broken || L == NULL || rt->cl == NULL)
		return;
	lua_pushcfunction(L, lx_sync_call);
	lua_pushlightuserdata(L, rt);
	if (lua_pcall(L, 1, 0, 0) != LUA_OK) {
		lua_pop(L, 1);
		if (lx_interrupted) {
			lx_interrupted = 0;
			lx_on_sigint_run(lx_cur_run);
		}
	}
	rt->synced = true;
}

static void
lx_pack_none(msgpack_packer *pk, void *ctx)
{
	(void)ctx;
	msgpack_pack_map(pk, 0);
}

/* [-1, +0, e] */
static int
lx_sync_call(lua_State *L)
{
	struct lx_rt		*rt = lua_touserdata(L, 1);
	const msgpack_object	*res;
	struct gl_err		 err;

	(void)lx_cluster_call(rt->cl, L, "sync", lx_pack_none, NULL, &res,
	    &err);
	return 0;
}

/*
 * Packs an output notification. The output map is encoded here once: the
 * kernel passes its bytes on to the store and the clients as they are.
 * Its text comes last, with a 4-byte length (rpc_pack_str32), so that the
 * kernel can append the next stream output's text to it in place.
 */
static void
lx_pack_output(struct lx_rt *rt, struct rpc_writer *w, const char *type,
    const char *name, const char *text, size_t len)
{
	msgpack_packer	*pk = &w->pk;
	struct gl_buf	 cut;

	gl_buf_init(&cut);
	if (len > LX_RESULT_MAX) {
		size_t	 n = LX_RESULT_MAX;

		while (n > 0 && ((unsigned char)text[n] & 0xc0) == 0x80)
			n--;
		gl_buf_add(&cut, text, n);
		gl_buf_addf(&cut, "\n... (%zu bytes cut)",
		    len - LX_RESULT_MAX);
		text = cut.data;
		len = cut.len;
	}
	rpc_begin_notify(w, "output");
	msgpack_pack_map(pk, 2);
	rpc_pack_key(pk, "run");
	msgpack_pack_uint64(pk, rt->run);
	rpc_pack_key(pk, "output");
	msgpack_pack_map(pk, name != NULL ? 3 : 2);
	rpc_pack_kv_str(pk, "type", type);
	if (name != NULL)
		rpc_pack_kv_str(pk, "name", name);
	rpc_pack_key(pk, "text");
	rpc_pack_str32(pk, text, len);
	gl_buf_fini(&cut);
}

/* Adds text to the batch as stdout stream outputs of at most
 * LX_STREAM_CHUNK bytes, cut between UTF-8 characters: to the last one
 * while it has room, else as a new one. Raw stdio goes first, so that
 * what C code wrote to stdout before keeps its place. */
static void
lx_stream(struct lx_rt *rt, const char *text, size_t len)
{
	unsigned char	*h;
	size_t		 n;

	lx_stdio_flush(rt);
	while (len > 0) {
		if (rt->text_at != SIZE_MAX && rt->text_run == rt->run &&
		    rt->text_len + len <= LX_STREAM_CHUNK) {
			/* The last output grows: its text is the batch's
			 * end. */
			msgpack_sbuffer_write(&rt->batch.sbuf, text, len);
			rt->text_len += len;
			h = (unsigned char *)rt->batch.sbuf.data + rt->text_at;
			h[1] = (unsigned char)(rt->text_len >> 24);
			h[2] = (unsigned char)(rt->text_len >> 16);
			h[3] = (unsigned char)(rt->text_len >> 8);
			h[4] = (unsigned char)rt->text_len;
			break;
		}
		n = len;
		if (n > LX_STREAM_CHUNK) {
			n = LX_STREAM_CHUNK;
			while (n > LX_STREAM_CHUNK - 4 &&
			    ((unsigned char)text[n] & 0xc0) == 0x80)
				n--;
		}
		if (rt->batch.sbuf.size > 0 &&
		    rt->batch.sbuf.size + n > LX_BATCH)
			lx_batch_flush(rt);
		lx_pack_output(rt, &rt->batch, "stream", "stdout", text, n);
		rt->text_at = rt->batch.sbuf.size - n - RPC_STR32_HDR;
		rt->text_len = n;
		rt->text_run = rt->run;
		text += n;
		len -= n;
	}
	/* Due: the timer fired but its hook did not run (the cell prints
	 * from a coroutine, which has a hook of its own). */
	if (rt->batch.sbuf.size >= LX_BATCH || lx_batch_due)
		lx_batch_flush(rt);
	else if (rt->batch.sbuf.size > 0)
		lx_batch_arm(true);
}

static void
lx_serve(struct lx_rt *rt, const struct rpc_msg *m)
{
	if (m->type != RPC_REQUEST) {
		/* Results of futures that outlive their cell, answers that
		 * came after their cell ended. */
		if (rt->cl != NULL)
			lx_cluster_idle(rt->cl, rt->L, m);
		return;
	}
	if (strcmp(m->method, "run") == 0) {
		lx_run(rt, m);
		return;
	}
	if (strcmp(m->method, "ping") == 0) {
		rpc_begin_response(&rt->w, m->id);
		msgpack_pack_map(&rt->w.pk, 2);
		rpc_pack_kv_int(&rt->w.pk, "pid", (int64_t)getpid());
		rpc_pack_kv_int(&rt->w.pk, "heap",
		    (int64_t)rt->host.heap.used);
		lx_send(rt);
		return;
	}
	if (strcmp(m->method, "complete") == 0 ||
	    strcmp(m->method, "inspect") == 0) {
		lx_answer(rt, m, m->method[0] == 'i');
		return;
	}
	{
		char msg[128];

		snprintf(msg, sizeof msg, "the runtime has no method '%s'",
		    m->method);
		rpc_write_error(&rt->w, m->id, GL_EUNSUPPORTED, msg);
		lx_send(rt);
	}
}

static void
lx_run(struct lx_rt *rt, const struct rpc_msg *m)
{
	lua_State		*L = rt->L;
	struct lx_heap		*heap = &rt->host.heap;
	const msgpack_object	*o;
	const char		*code, *name, *msg;
	char			 memmsg[160];
	size_t			 len, namelen, msglen;
	int64_t			 line;
	uint64_t		 batch;
	int			 st, capture = 0, nres;

	code = rpc_map_str(m->args, "code", &len);
	if (code == NULL) {
		rpc_write_error(&rt->w, m->id, GL_EINVAL,
		    "run: code is missing or not a string");
		lx_send(rt);
		return;
	}
	o = rpc_map_get(m->args, "run");
	rt->run = o != NULL && o->type == MSGPACK_OBJECT_POSITIVE_INTEGER ?
	    o->via.u64 : 0;
	o = rpc_map_get(m->args, "batch");
	batch = o != NULL && o->type == MSGPACK_OBJECT_POSITIVE_INTEGER ?
	    o->via.u64 : 0;
	if (batch != 0 && batch == rt->failed_batch) {
		/* Sent behind a run of its batch that did not succeed. */
		rpc_begin_response(&rt->w, m->id);
		msgpack_pack_map(&rt->w.pk, 2);
		rpc_pack_kv_str(&rt->w.pk, "status",
		    gl_run_status_name(GL_RUN_CANCELLED));
		rpc_pack_kv_str(&rt->w.pk, "message",
		    "an earlier cell of this run did not succeed");
		lx_done_queue(rt);
		return;
	}
	rt->failed_batch = 0;
	if ((name = rpc_map_str(m->args, "chunkname", &namelen)) == NULL ||
	    namelen == 0) {
		name = "=cell";
		namelen = 5;
	}
	gl_buf_reset(&rt->name);
	gl_buf_add(&rt->name, name, namelen);
	line = rpc_map_int(m->args, "line", 1);
	rt->first_line = line < 1 ? 1 : line > LX_MAX_LINE ? LX_MAX_LINE :
	    (long)line;
	lx_split_lines(rt, code, len);

	lua_settop(L, 0);
	lua_pushcfunction(L, lx_host_msgh);
	lua_pushcfunction(L, lx_fmt);
	heap->failed = 0;
	rt->err_line = 0;
	lx_interrupted = 0;
	lx_sigint_seen = 0;
	lx_want_interrupt = 0;
	lx_user_hook = NULL;
	lx_user_mask = lx_user_count = 0;
	gl_buf_reset(&rt->host.tb);
	st = lx_compile(rt, code, len, &capture);
	if (st == LUA_OK) {
		lua_sethook(L, NULL, 0, 0);
		rt->host.in_msgh = 0;
		if (capture)
			lua_pushcfunction(L, lx_capture);
		lx_cur_run = LX_RUN_TAG(rt->run);
		lx_running = 1;
		/* An interrupt for this run may have landed while we were
		 * still reading the request: honour it now. */
		if (lx_cur_run <= lx_pending_run)
			lx_on_sigint_run(lx_cur_run);
		lx_pending_run = -1;
		st = lua_pcall(L, capture, LUA_MULTRET, LX_SLOT_MSGH);
		if (st == LUA_OK && (nres = lua_gettop(L) - LX_SLOT_FMT) > 0)
			st = lua_pcall(L, nres, 0, LX_SLOT_MSGH);
		lx_running = 0;
		lua_sethook(L, NULL, 0, 0);
		rt->host.in_msgh = 0;
	} else if (st != LUA_ERRMEM) {
		/* A syntax error: no frame, the line is in the message. */
		rt->err_line = lx_parse_line(rt, lua_tostring(L, -1));
	}
	lx_want_interrupt = 0;
	lx_stdio_flush(rt);
	if (st == LUA_OK)
		lx_pack_done(rt, m->id, GL_RUN_OK, NULL, 0, NULL, 0);
	else if (st == LUA_ERRMEM || (st == LUA_ERRERR && heap->failed)) {
		/* No message handler ran (Lua calls none for LUA_ERRMEM):
		 * no traceback, and line 0 for "unknown". */
		double mib = (double)heap->limit / (1024.0 * 1024.0);

		if (heap->limit % (1024 * 1024) == 0)
			snprintf(memmsg, sizeof memmsg, "memory limit "
			    "exceeded: the cell needed more than %zu MiB "
			    "(galley kernel --memory-limit)",
			    heap->limit / (1024 * 1024));
		else
			snprintf(memmsg, sizeof memmsg, "memory limit "
			    "exceeded: the cell needed more than %.1f MiB "
			    "(galley kernel --memory-limit)", mib);
		if (heap->limit == 0 || !heap->failed)
			snprintf(memmsg, sizeof memmsg, "not enough memory");
		lua_settop(L, 0);
		lua_gc(L, LUA_GCCOLLECT, 0);
		lx_pack_done(rt, m->id, GL_RUN_ERROR, memmsg, strlen(memmsg),
		    "", rt->err_line);
	} else {
		msg = lua_tolstring(L, -1, &msglen);
		if (msg == NULL) {
			msg = "error object is not a string";
			msglen = strlen(msg);
		}
		lx_pack_done(rt, m->id, lx_interrupted ? GL_RUN_INTERRUPTED :
		    GL_RUN_ERROR, msg, msglen, rt->host.tb.data != NULL ?
		    rt->host.tb.data : "", rt->err_line);
	}
	if (st != LUA_OK)
		rt->failed_batch = batch;
	lua_settop(L, 0);
	lx_done_queue(rt);
}

/*
 * The run's answer, packed in the writer, goes behind its outputs in the
 * batch. It is written with them when the runtime has nothing more to
 * run (the main loop writes the batch before it waits to read), when
 * the batch is full, or when its time is up: runs the kernel sent ahead
 * run back to back, their answers and outputs written together.
 */
static void
lx_done_queue(struct lx_rt *rt)
{
	msgpack_sbuffer_write(&rt->batch.sbuf, rt->w.sbuf.data,
	    rt->w.sbuf.size);
	rpc_writer_reset(&rt->w);
	rt->text_at = SIZE_MAX;
	if (rt->batch.sbuf.size >= LX_BATCH || lx_batch_due)
		lx_batch_flush(rt);
	else
		lx_batch_arm(true);
}

/* complete and inspect {code, cursor}: lua/complete.c's answer. */
static void
lx_answer(struct lx_rt *rt, const struct rpc_msg *m, bool inspect)
{
	const char	*code;
	size_t		 len;
	int64_t		 cursor = rpc_map_int(m->args, "cursor", -1);

	if ((code = rpc_map_str(m->args, "code", &len)) == NULL ||
	    cursor < 0) {
		rpc_write_error(&rt->w, m->id, GL_EINVAL, inspect ?
		    "inspect: wants {code, cursor}" :
		    "complete: wants {code, cursor}");
		lx_send(rt);
		return;
	}
	rt->host.heap.failed = 0;
	if (lx_comp_run(&rt->comp, rt->L, inspect, code, len,
	    (size_t)cursor) != LUA_OK) {
		lua_gc(rt->L, LUA_GCCOLLECT, 0);
		rpc_write_error(&rt->w, m->id, GL_ENOMEM, "not enough memory");
		lx_send(rt);
		return;
	}
	rpc_begin_response(&rt->w, m->id);
	msgpack_sbuffer_write(&rt->w.sbuf, rt->comp.w.sbuf.data,
	    rt->comp.w.sbuf.size);
	lx_send(rt);
}

/* Packs the response to run request id. A failed run's error is an
 * error output, encoded here once: the kernel keeps it as the cell's last
 * output and sends it in cell.done as it is. */
static void
lx_pack_done(struct lx_rt *rt, uint32_t id, enum gl_run_status status,
    const char *msg, size_t msglen, const char *tb, int line)
{
	msgpack_packer	*pk = &rt->w.pk;

	rpc_begin_response(&rt->w, id);
	msgpack_pack_map(pk, msg != NULL ? 2 : 1);
	rpc_pack_kv_str(pk, "status", gl_run_status_name(status));
	if (msg == NULL)
		return;
	rpc_pack_key(pk, "error");
	msgpack_pack_map(pk, 4);
	rpc_pack_kv_str(pk, "type", "error");
	rpc_pack_key(pk, "message");
	rpc_pack_strn(pk, msg, msglen);
	rpc_pack_kv_str(pk, "traceback", tb);
	rpc_pack_kv_int(pk, "line", line);
}

/*
 * Compiles the cell (see the top comment). On LUA_OK the chunk is on the
 * top of the stack and *capture says whether it calls its vararg; on
 * failure the error of compiling the cell as written is.
 */
static int
lx_compile(struct lx_rt *rt, const char *code, size_t len, int *capture)
{
	lua_State	*L = rt->L;
	size_t		 last, off, end = len;
	bool		 scanned = false;
	int		 st;

	*capture = 0;
	for (last = rt->nlines; last > 0; last--) {
		off = rt->lines[last - 1];
		end = last < rt->nlines ? rt->lines[last] : len;
		if (lx_line_is_code(code + off, end - off))
			break;
	}
	/* Where the last code line's code ends (before a `-- comment`):
	 * the closing parenthesis goes there, on the same line, or Lua
	 * would give the expression the parenthesis's line. */
	if (last > 0) {
		off = rt->lines[last - 1];
		end = lx_code_end(code + off, end - off, &scanned) + off;
	}
	/* Candidate suffixes start at line k - 1, from the last code line
	 * upwards; the smallest that compiles wins. */
	for (size_t k = last; k > 0; k--) {
		off = rt->lines[k - 1];
		/* Most cells end in a statement: no compile for those. */
		if (lx_expr_impossible(code + off, len - off))
			continue;
		if (k > 1) {
			gl_buf_reset(&rt->chk);
			gl_buf_adds(&rt->chk, "return ");
			gl_buf_add(&rt->chk, code + off, len - off);
			st = luaL_loadbufferx(L, rt->chk.data, rt->chk.len,
			    "=suffix", "t");
			lua_pop(L, 1);
			if (st == LUA_ERRMEM)
				return st;
			if (st != LUA_OK)
				continue;
		}
		/* The values pass through the capture function, so that a
		 * call in the expression is no tail call: its caller's
		 * frame stays in tracebacks. */
		if (scanned && (st = lx_load(rt, code, len, off,
		    ";return (...)(", end, ")", false)) == LUA_OK) {
			*capture = 1;
			return st;
		}
		if (scanned) {
			lua_pop(L, 1);
			if (st == LUA_ERRMEM)
				return st;
		}
		/* `x;` is a statement but no argument list. */
		if ((st = lx_load(rt, code, len, off, ";(...)() return ",
		    len, "", false)) == LUA_OK) {
			*capture = 1;
			return st;
		}
		lua_pop(L, 1);
		if (st == LUA_ERRMEM)
			return st;
		if ((st = lx_load(rt, code, len, off, "return ", len, "",
		    false)) == LUA_OK)
			return st;
		lua_pop(L, 1);
		if (st == LUA_ERRMEM)
			return st;
	}
	if ((st = lx_load(rt, code, len, len, "", len, "\n;(...)()",
	    false)) == LUA_OK) {
		*capture = 1;
		return st;
	}
	lua_pop(L, 1);
	if (st == LUA_ERRMEM)
		return st;
	return lx_load(rt, code, len, len, "", len, "", true);
}

/* Loads prefix + code[0, split) + mid + code[split, at) + text +
 * code[at, len), where split <= at. A syntax error's message names the
 * notebook's line only when shown (the last try). */
static int
lx_load(struct lx_rt *rt, const char *code, size_t len, size_t split,
    const char *mid, size_t at, const char *text, bool shown)
{
	struct gl_buf	*b = &rt->src;
	size_t		 pre = (size_t)rt->first_line - 1;
	int		 st;

	/* Compiled as written, then its lines moved by pre (lua/chunk.h):
	 * pre blank lines before it would cost every cell as much as the
	 * notebook's lines above it. The padding stays the fallback for a
	 * chunk lua/chunk.c does not understand. */
	for (int pad = 0; pad < 2; pad++) {
		gl_buf_reset(b);
		gl_buf_reserve(b, pre + len + strlen(mid) + strlen(text));
		memset(b->data, '\n', pad ? pre : 0);
		b->len = pad ? pre : 0;
		b->data[b->len] = '\0';
		gl_buf_add(b, code, split);
		gl_buf_adds(b, mid);
		gl_buf_add(b, code + split, at - split);
		gl_buf_adds(b, text);
		gl_buf_add(b, code + at, len - at);
		st = luaL_loadbufferx(rt->L, b->data, b->len, rt->name.data,
		    "t");
		if (pad || pre == 0)
			return st;
		if (st != LUA_OK) {
			if (st == LUA_ERRSYNTAX && shown)
				lx_chunk_shift_msg(rt->L, (long)pre);
			return st;
		}
		if ((st = lx_chunk_shift(rt->L, rt->name.data, (long)pre)) ==
		    LUA_OK || st == LUA_ERRMEM)
			return st;
		lua_pop(rt->L, 1);
	}
	return LUA_ERRERR;	/* not reached */
}

/*
 * The offset in line p[0, n) just past its last token, skipping a trailing
 * `-- comment` and quoted strings. *ok is false when the line cannot be
 * read alone (a string or long bracket left open, a long comment).
 */
static size_t
lx_code_end(const char *p, size_t n, bool *ok)
{
	size_t	 i = 0, end = 0, j, eq;
	char	 q;

	*ok = false;
	while (i < n) {
		q = p[i];
		if (q == '\'' || q == '"') {
			for (i++; i < n && p[i] != q && p[i] != '\n'; i++)
				if (p[i] == '\\')
					i++;
			if (i >= n || p[i] != q)
				return n;
			end = ++i;
			continue;
		}
		if (q == '-' && i + 1 < n && p[i + 1] == '-') {
			if (i + 2 < n && p[i + 2] == '[')
				return n;	/* maybe a long comment */
			*ok = true;
			return end;
		}
		if (q == '[') {
			for (j = i + 1; j < n && p[j] == '='; j++)
				;
			if (j < n && p[j] == '[') {
				/* A long string: it must close on this line. */
				eq = j - i - 1;
				for (j++; j < n; j++) {
					size_t e = 0;

					if (p[j] != ']')
						continue;
					while (e < eq && j + 1 + e < n &&
					    p[j + 1 + e] == '=')
						e++;
					if (e == eq && j + eq + 1 < n &&
					    p[j + eq + 1] == ']')
						break;
				}
				if (j >= n)
					return n;
				end = i = j + eq + 2;
				continue;
			}
		}
		if (q != ' ' && q != '\t' && q != '\r' && q != '\n' &&
		    q != '\f' && q != '\v')
			end = i + 1;
		i++;
	}
	*ok = true;
	return end;
}

/* Records where each line of the cell starts. */
static void
lx_split_lines(struct lx_rt *rt, const char *code, size_t len)
{
	const char	*p = code, *end = code + len, *nl;

	rt->nlines = 0;
	while (rt->nlines == 0 || p < end) {
		if (rt->nlines == rt->lines_cap) {
			rt->lines_cap = rt->lines_cap ? rt->lines_cap * 2 : 64;
			rt->lines = xrealloc(rt->lines, rt->lines_cap *
			    sizeof *rt->lines);
		}
		rt->lines[rt->nlines++] = (size_t)(p - code);
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			break;
		p = nl + 1;
	}
}

/* True unless the line is blank or a comment only. */
static bool
lx_line_is_code(const char *p, size_t n)
{
	size_t	 i = 0;

	while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' ||
	    p[i] == '\n' || p[i] == '\f' || p[i] == '\v'))
		i++;
	if (i == n)
		return false;
	return !(n - i >= 2 && p[i] == '-' && p[i + 1] == '-');
}

/* The cell line named by a compile error "src:LINE: ...", or 0. */
static int
lx_parse_line(const struct lx_rt *rt, const char *msg)
{
	const char	*p;
	long		 line, cl;

	if (!lx_chunk_msg_line(msg, &p, &line))
		return 0;
	cl = line - rt->first_line + 1;
	if (cl < 1)
		cl = 1;
	if (cl > (long)rt->nlines)
		cl = (long)rt->nlines;
	return (int)cl;
}

/* The cluster binding's use of the pipe (lua/lua_int.h). */

static void
lx_io_send(void *host)
{
	lx_send(host);
}

static bool
lx_io_interrupted(void *host)
{
	(void)host;
	return lx_sigint_seen != 0;
}

/* As lx_hook does. [-0, +1, v] */
static int
lx_io_raise(lua_State *L)
{
	lua_sethook(L, NULL, 0, 0);
	lx_interrupted = 1;
	lx_sigint_seen = 0;
	lua_pushliteral(L, "interrupted");
	return lua_error(L);
}

/* A request while a cell waits on the kernel (the cluster, a sync): ping
 * is answered, a run sent ahead is put aside to run after the cell,
 * anything else is refused. */
static void
lx_io_serve(void *host, const struct rpc_msg *m)
{
	struct lx_rt	*rt = host;

	if (strcmp(m->method, "run") == 0 && m->frame != NULL) {
		/* Sent ahead: it runs after this cell. */
		rpc_reader_feed(rt->later, m->frame, m->frame_len);
		return;
	}
	if (strcmp(m->method, "ping") == 0) {
		rpc_begin_response(&rt->w, m->id);
		msgpack_pack_map(&rt->w.pk, 2);
		rpc_pack_kv_int(&rt->w.pk, "pid", (int64_t)getpid());
		rpc_pack_kv_int(&rt->w.pk, "heap",
		    (int64_t)rt->host.heap.used);
	} else
		rpc_write_error(&rt->w, m->id, GL_EBUSY,
		    "the runtime is running a cell");
	lx_send(rt);
}

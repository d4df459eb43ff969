/*
 * worker.c - the cluster worker process (lua/worker.h).
 *
 * Design.
 *
 * - Two threads. The main thread owns the Lua state and the socket's
 *   reading: when it has nothing to run it blocks in poll() on the socket
 *   itself, so a task's round trip wakes one thread, not two (on this
 *   kind of machine a wake-up across cores costs about 20 us); between
 *   tasks it looks at the socket at least every WK_INPUT_US. The
 *   heartbeat thread writes a heartbeat ({cpu, rss, task}) every second,
 *   also while a task runs, watches stdin (--secret-file -), and while a
 *   task runs watches the socket for input: a cancel must reach a task
 *   that runs for minutes. Both threads write whole messages under one
 *   mutex (wlock), so frames never interleave.
 *
 * - Interrupting a task. Signals set a Lua hook (lua_sethook is safe in a
 *   signal handler, as lua.c relies on): SIGTERM (Slurm's warning before
 *   a job ends, the launchers' stop) and SIGINT make the running task
 *   raise and the worker leave, saying `worker.leaving {reason}` first so
 *   the kernel retries its tasks elsewhere without counting an attempt.
 *   SIGUSR1, which the heartbeat thread sends the main thread when input
 *   arrives during a task, makes the hook read it (plain C, between two
 *   Lua instructions): a task.cancel naming the running task makes it
 *   raise and report nothing; anything else waits in the inbox. The
 *   heartbeat thread blocks these signals, so they land on the main
 *   thread.
 *
 * - Tasks. task.run {job, fn?, inline?, tasks: [[task, item], ...]}. The
 *   job's function is decoded once (its bytes come with the first batch
 *   of the job this worker gets) and kept in the registry until
 *   job.forget; each item is decoded and passed to it. Submitted tasks
 *   (inline) carry their function with their arguments in one unit. A
 *   call runs under lua_pcall with a message handler that records the
 *   traceback; its values are encoded as one unit, or its error sent as
 *   {message, traceback}. What print and display write during a task is
 *   kept and sent with its result.
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
 * Invariants: the Lua stack is empty between tasks; messages in the task
 * queue are held (counted) until their last task is run or dropped;
 * only the main thread reads the socket (in its loop, or in the hook,
 * which runs on it); the heartbeat thread only polls it.
 */
#define _GNU_SOURCE
#include "lua/lua_int.h"
#include "lua/worker.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <lauxlib.h>
#include <lua.h>
#include <sodium.h>

#include "core/auth.h"
#include "core/err.h"
#include "core/mem.h"
#include "core/rpc.h"
#include "core/util.h"
#include "lua/codec.h"

#define WK_MAX_FRAME	(300u << 20)	/* largest message from the kernel */
#define WK_FLUSH_US	500		/* results go out at least this often */
#define WK_FLUSH_BYTES	(256u << 10)	/* ... or when this many are ready */
#define WK_OUT_MAX	(1u << 20)	/* print output kept per task */
#define WK_HELLO_MS	10000		/* the handshake must be done by then */
#define WK_HEARTBEAT_MS	1000
#define WK_INPUT_US	1000		/* between tasks, input is read at
					 * least this often */
#define WK_WATCH_MS	100		/* a running task's input is noticed
					 * within this */

#define WK_LOAD(x)	__atomic_load_n(&(x), __ATOMIC_SEQ_CST)
#define WK_STORE(x, v)	__atomic_store_n(&(x), (v), __ATOMIC_SEQ_CST)

/* A message whose items tasks in the queue point into. */
struct wk_held {
	struct rpc_msg	 m;
	size_t		 refs;
};

struct wk_task {
	uint64_t	 id;
	uint64_t	 job;
	bool		 inl;		/* the unit holds the function too */
	const char	*p;		/* the item's unit, in held's message */
	size_t		 len;
	struct wk_held	*held;		/* counted */
};

struct wk_job {
	uint64_t	 id;
	int		 ref;		/* the decoded function (registry) */
};

struct wk {
	int		 fd;
	int		 in_fd;		/* stdin to watch for EOF, or -1 */
	const char	*addr;
	char		 name[128];
	char		 host[128];
	struct lx_host	 lua;		/* the Lua state, its heap */
	lua_State	*L;		/* lua.L */
	struct codec	*codec;		/* owned */

	pthread_mutex_t	 wlock;		/* writes to fd */
	pthread_t	 main_thread;
	pthread_t	 hb_thread;
	bool		 hb_started;
	int		 hb_quit;	/* the heartbeat thread must end
					 * (__atomic) */
	int		 hb_pipe[2];	/* wakes it to end */
	int		 watch;		/* the heartbeat thread may signal
					 * input (__atomic): cleared when it
					 * did, set again once read */
	struct rpc_msg	*inbox;		/* owned FIFO: read, not handled */
	size_t		 ihead, nin, capin;
	bool		 eof;		/* the kernel closed or failed */
	char		 why[256];	/* ... why */
	int64_t		 last_input_us;	/* the socket was last read then */

	struct wk_task	*tasks;		/* owned ring */
	size_t		 thead, ntasks, captasks;
	struct wk_job	*jobs;		/* owned */
	size_t		 njobs, capjobs;
	bool		 stopping;	/* worker.stop came */
	struct gl_buf	 res;		/* packed results not yet sent */
	msgpack_packer	 rpk;		/* packs into res */
	size_t		 nres;
	int64_t		 last_flush_us;
	struct gl_buf	 unit;		/* scratch: one encoded result */
	struct gl_buf	 out;		/* print output of the running task */
	bool		 out_cut;
	struct rpc_writer w;		/* main thread's packer */
	struct rpc_reader *rd;		/* owned: the main thread reads */
};

/* Shared with signal handlers. */
static lua_State *volatile	 wk_sig_L;
static volatile sig_atomic_t	 wk_term;	/* SIGTERM or SIGINT: leave */
static volatile sig_atomic_t	 wk_term_sig;
/* Read by signal handlers and the heartbeat thread: accessed with __atomic
 * (lock-free for 64 bits here). */
static uint64_t			 wk_running;	/* task being run, or 0 */
static uint64_t			 wk_cancel;	/* task to cancel, or 0 */
static volatile sig_atomic_t	 wk_input_seen;	/* SIGUSR1 came */

static int	 wk_connect(struct wk *w, const char *addr, char *host,
		     size_t hostlen, struct gl_err *err);
static int	 wk_read_secret(const char *path, char out[AUTH_TOKEN_LEN + 1],
		     struct gl_err *err);
static int	 wk_handshake(struct wk *w, const char *secret,
		     struct gl_err *err);
static int	 wk_recv_one(struct wk *w, struct rpc_msg *m, int64_t deadline,
		     struct gl_err *err);
static void	 wk_on_print(void *ud, const char *text, size_t len);
static void	 wk_on_display(void *ud, const char *text, size_t len);
static void	 wk_hook(lua_State *L, lua_Debug *ar);
static void	 wk_on_term(int sig);
static void	 wk_on_input(int sig);
static bool	 wk_cancelled(const struct wk *w, uint64_t task);
static bool	 wk_deliver(struct wk *w);
static void	*wk_hb_main(void *arg);
static bool	 wk_input(struct wk *w, int timeout_ms);
static bool	 wk_inbox_pop(struct wk *w, struct rpc_msg *m);
static void	 wk_write(struct wk *w, const void *p, size_t n);
static void	 wk_send(struct wk *w);
static void	 wk_serve(struct wk *w, struct rpc_msg *m);
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
static void	 wk_flush(struct wk *w);
static void	 wk_unhold(struct wk_held *h);
static struct wk_job *wk_job_find(struct wk *w, uint64_t id);
static int64_t	 wk_now_us(void);
static int64_t	 wk_cpu_us(void);
static void	 wk_leave(struct wk *w, const char *reason);

int
lx_worker_main(const struct lx_worker_opts *opts)
{
	struct wk		 w;
	struct gl_err		 err;
	struct sigaction	 sa;
	sigset_t		 block, old;
	pthread_attr_t		 attr;
	char			 secret[AUTH_TOKEN_LEN + 1];
	int			 status = 1;
	static const struct lx_host_ops ops = {
		.print = wk_on_print,
		.display = wk_on_display,
	};
	struct lx_host_opts	 ho = {
		.name = "worker",
		.memory_limit = opts->memory_limit,
		.flags = LX_HOST_STDLIB,
		.ops = &ops,
		.ud = &w,
	};

	memset(&w, 0, sizeof w);
	w.fd = -1;
	w.in_fd = -1;
	w.addr = opts->connect;
	gl_buf_init(&w.res);
	msgpack_packer_init(&w.rpk, &w.res, wk_buf_write);
	gl_buf_init(&w.unit);
	gl_buf_init(&w.out);
	rpc_writer_init(&w.w);
	pthread_mutex_init(&w.wlock, NULL);
	w.hb_pipe[0] = w.hb_pipe[1] = -1;
	gl_err_clear(&err);

	memset(&sa, 0, sizeof sa);
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sa.sa_handler = wk_on_term;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = wk_on_input;
	sigaction(SIGUSR1, &sa, NULL);

	if (wk_read_secret(opts->secret_file, secret, &err) != 0) {
		fprintf(stderr, "galley worker: %s\n", err.msg);
		goto out;
	}
	if (strcmp(opts->secret_file, "-") == 0)
		w.in_fd = 0;
	if (wk_connect(&w, opts->connect, w.host, sizeof w.host, &err) != 0) {
		fprintf(stderr, "galley worker: %s\n", err.msg);
		goto out;
	}
	if (opts->name != NULL && *opts->name != '\0')
		snprintf(w.name, sizeof w.name, "%s", opts->name);
	else
		snprintf(w.name, sizeof w.name, "%.100s-%d", w.host,
		    (int)getpid());
	w.rd = rpc_reader_new(WK_MAX_FRAME);
	if (wk_handshake(&w, secret, &err) != 0) {
		sodium_memzero(secret, sizeof secret);
		fprintf(stderr, "galley worker %s: %s\n", w.name, err.msg);
		goto out;
	}
	sodium_memzero(secret, sizeof secret);

	if (lx_host_init(&w.lua, &ho, &err) != 0) {
		fprintf(stderr, "galley worker: %s\n", err.msg);
		goto out;
	}
	w.L = w.lua.L;
	w.codec = codec_new();
	codec_register_cfunc(w.codec, "print", lx_host_print);
	codec_register_cfunc(w.codec, "display", lx_host_display);
	codec_exclude_global(w.codec, "cluster");
	codec_exclude_global(w.codec, "galley");
	codec_exclude_global(w.codec, "display");
	wk_sig_L = w.L;

	/* The heartbeat thread gets no signals: they are the main
	 * thread's. */
	w.main_thread = pthread_self();
	w.last_input_us = wk_now_us();
	if (pipe(w.hb_pipe) != 0) {
		fprintf(stderr, "galley worker: pipe: %s\n", strerror(errno));
		goto out;
	}
	WK_STORE(w.watch, 1);
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 128 << 10);
	if (pthread_create(&w.hb_thread, &attr, wk_hb_main, &w) != 0) {
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		pthread_attr_destroy(&attr);
		fprintf(stderr, "galley worker: cannot start a thread\n");
		goto out;
	}
	pthread_attr_destroy(&attr);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	w.hb_started = true;

	for (;;) {
		struct rpc_msg	 m;

		if (wk_term) {
			wk_leave(&w, wk_term_sig == SIGINT ? "SIGINT" :
			    "SIGTERM");
			status = 0;
			break;
		}
		/* What came first: cancels and releases apply before more
		 * is run. */
		if (wk_inbox_pop(&w, &m)) {
			wk_serve(&w, &m);
			continue;
		}
		if (w.ntasks > 0) {
			struct wk_task t = w.tasks[w.thead];

			w.thead = (w.thead + 1) % w.captasks;
			w.ntasks--;
			wk_run_one(&w, &t);
			wk_unhold(t.held);
			if (w.res.len >= WK_FLUSH_BYTES ||
			    wk_now_us() - w.last_flush_us >= WK_FLUSH_US)
				wk_flush(&w);
			if (w.ntasks > 0 && !w.eof &&
			    wk_now_us() - w.last_input_us >= WK_INPUT_US)
				(void)wk_input(&w, 0);
			continue;
		}
		wk_flush(&w);
		if (w.stopping) {
			status = 0;
			break;
		}
		if (w.eof) {
			/* The kernel went away: nothing to report to. */
			fprintf(stderr, "galley worker %s: %s\n", w.name,
			    w.why[0] != '\0' ? w.why : "connection closed");
			status = 0;
			break;
		}
		/* Nothing to do: wait for the kernel (a signal ends the
		 * wait: poll is not restarted). */
		(void)wk_input(&w, WK_HEARTBEAT_MS);
	}
out:
	wk_sig_L = NULL;
	if (w.hb_started) {
		WK_STORE(w.hb_quit, 1);
		if (write(w.hb_pipe[1], "q", 1) < 0) {
			/* The thread sees hb_quit within WK_WATCH_MS. */
		}
		pthread_join(w.hb_thread, NULL);
	}
	if (w.hb_pipe[0] >= 0) {
		close(w.hb_pipe[0]);
		close(w.hb_pipe[1]);
	}
	while (w.ntasks > 0) {
		wk_unhold(w.tasks[w.thead].held);
		w.thead = (w.thead + 1) % w.captasks;
		w.ntasks--;
	}
	for (size_t i = 0; i < w.nin; i++)
		rpc_msg_fini(&w.inbox[(w.ihead + i) % w.capin]);
	free(w.inbox);
	free(w.tasks);
	free(w.jobs);
	lx_host_fini(&w.lua);
	codec_free(w.codec);
	if (w.fd >= 0)
		close(w.fd);
	rpc_reader_free(w.rd);
	rpc_writer_fini(&w.w);
	gl_buf_fini(&w.res);
	gl_buf_fini(&w.unit);
	gl_buf_fini(&w.out);
	pthread_mutex_destroy(&w.wlock);
	return status;
}

/* --- start-up --- */

/* The secret: a file (0600, 64 hex digits) or the first line of stdin. */
static int
wk_read_secret(const char *path, char out[AUTH_TOKEN_LEN + 1],
    struct gl_err *err)
{
	char	 line[AUTH_TOKEN_LEN + 4];
	size_t	 n = 0;
	ssize_t	 k;
	char	 c;

	if (path == NULL)
		return gl_err_set(err, GL_EINVAL, "--secret-file is required");
	if (strcmp(path, "-") != 0) {
		if (auth_token_load(path, out, err) != 0)
			return gl_err_prefix(err, "cluster secret");
		return 0;
	}
	/* Byte by byte: what follows the line stays unread (stdin is then
	 * only watched for its end). */
	for (;;) {
		k = read(0, &c, 1);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0 || c == '\n')
			break;
		if (c == '\r' || c == ' ' || c == '\t')
			continue;
		if (n >= AUTH_TOKEN_LEN + 1)
			return gl_err_set(err, GL_ESYNTAX, "cluster secret on "
			    "stdin: longer than %d hex digits",
			    AUTH_TOKEN_LEN);
		line[n++] = c;
	}
	if (n != AUTH_TOKEN_LEN || strspn(line, "0123456789abcdefABCDEF") <
	    AUTH_TOKEN_LEN)
		return gl_err_set(err, GL_ESYNTAX, "cluster secret on stdin: "
		    "expected %d hex digits on the first line",
		    AUTH_TOKEN_LEN);
	memcpy(out, line, AUTH_TOKEN_LEN);
	out[AUTH_TOKEN_LEN] = '\0';
	return 0;
}

static int
wk_connect(struct wk *w, const char *addr, char *host, size_t hostlen,
    struct gl_err *err)
{
	struct addrinfo	 hints, *res = NULL, *ai;
	char		*h, *port;
	int		 fd = -1, one = 1, rc, e = 0;

	if (addr == NULL)
		return gl_err_set(err, GL_EINVAL, "--connect is required");
	if ((rc = gl_hostport_split(addr, &h, &port, err)) != 0) {
		gl_err_prefix(err, "--connect");
		return rc;
	}
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	rc = getaddrinfo(h, port, &hints, &res);
	free(h);
	free(port);
	if (rc != 0)
		return gl_err_set(err, GL_EINVAL, "--connect %s: %s", addr,
		    gai_strerror(rc));
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			continue;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		e = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0)
		return gl_err_set(err, GL_ECLOSED, "cannot connect to the "
		    "kernel at %s: %s", addr, strerror(e != 0 ? e : EINVAL));
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	w->fd = fd;
	if (gethostname(host, hostlen) != 0 || host[0] == '\0')
		snprintf(host, hostlen, "localhost");
	host[hostlen - 1] = '\0';
	return 0;
}

/* Reads one whole message from the socket (the handshake, before the
 * heartbeat thread runs). 1, or a GL_E* code. */
static int
wk_recv_one(struct wk *w, struct rpc_msg *m, int64_t deadline,
    struct gl_err *err)
{
	struct pollfd	 pfd = { .fd = w->fd, .events = POLLIN };
	char		 buf[4096];
	ssize_t		 n;
	int		 rc;

	for (;;) {
		if ((rc = rpc_reader_next(w->rd, m, err)) != 0)
			return rc;
		int64_t left = (deadline - wk_now_us()) / 1000;

		if (left <= 0)
			return gl_err_set(err, GL_ETIMEDOUT, "the kernel at %s "
			    "did not answer within %d s", w->addr,
			    WK_HELLO_MS / 1000);
		if (poll(&pfd, 1, (int)left) <= 0)
			continue;
		n = read(w->fd, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return gl_err_set(err, GL_ECLOSED, "the kernel at %s "
			    "closed the connection", w->addr);
		rpc_reader_feed(w->rd, buf, (size_t)n);
	}
}

/*
 * auth.challenge {nonce} from the kernel; we answer worker.hello {hmac,
 * nonce, name, host, pid, slots, version} and the kernel proves it holds
 * the secret too, answering {worker, hmac} with the HMAC of our nonce:
 * a worker runs functions only from a kernel that knows the secret.
 */
static int
wk_handshake(struct wk *w, const char *secret, struct gl_err *err)
{
	unsigned char		 mac[AUTH_MAC_LEN], mine[AUTH_NONCE_LEN];
	const msgpack_object	*o;
	struct rpc_msg		 m;
	struct gl_err		 e;
	int64_t			 deadline = wk_now_us() +
				    (int64_t)WK_HELLO_MS * 1000;
	int			 rc;

	for (;;) {
		if ((rc = wk_recv_one(w, &m, deadline, err)) < 0)
			return rc;
		if (m.type == RPC_NOTIFY &&
		    strcmp(m.method, "auth.challenge") == 0)
			break;
		rpc_msg_fini(&m);
	}
	o = rpc_map_get(m.args, "nonce");
	if (o == NULL || o->type != MSGPACK_OBJECT_BIN ||
	    o->via.bin.size != AUTH_NONCE_LEN) {
		rpc_msg_fini(&m);
		return gl_err_set(err, GL_EPROTO, "%s: a challenge without a "
		    "nonce: not a galley cluster listener?", w->addr);
	}
	auth_hmac(secret, (const unsigned char *)o->via.bin.ptr, mac);
	rpc_msg_fini(&m);
	auth_nonce(mine);
	rpc_begin_request(&w->w, 1, "worker.hello");
	msgpack_pack_map(&w->w.pk, 7);
	rpc_pack_key(&w->w.pk, "hmac");
	msgpack_pack_bin(&w->w.pk, AUTH_MAC_LEN);
	msgpack_pack_bin_body(&w->w.pk, mac, AUTH_MAC_LEN);
	rpc_pack_key(&w->w.pk, "nonce");
	msgpack_pack_bin(&w->w.pk, AUTH_NONCE_LEN);
	msgpack_pack_bin_body(&w->w.pk, mine, AUTH_NONCE_LEN);
	rpc_pack_kv_str(&w->w.pk, "name", w->name);
	rpc_pack_kv_str(&w->w.pk, "host", w->host);
	rpc_pack_kv_int(&w->w.pk, "pid", (int64_t)getpid());
	rpc_pack_kv_int(&w->w.pk, "slots", 1);
	rpc_pack_kv_str(&w->w.pk, "version", GALLEY_VERSION);
	wk_send(w);
	for (;;) {
		if ((rc = wk_recv_one(w, &m, deadline, err)) < 0)
			return rc;
		if (m.type == RPC_RESPONSE && m.id == 1)
			break;
		rpc_msg_fini(&m);
	}
	gl_err_clear(&e);
	if ((rc = rpc_msg_error(&m, &e)) != 0) {
		rpc_msg_fini(&m);
		if (rc == GL_EAUTH)
			return gl_err_set(err, GL_EAUTH, "refused by the "
			    "kernel at %s: %s (is --secret-file the kernel's "
			    "cluster.secret?)", w->addr, e.msg);
		return gl_err_set(err, rc, "refused by the kernel at %s: %s",
		    w->addr, e.msg);
	}
	o = rpc_map_get(m.result, "hmac");
	if (o == NULL || o->type != MSGPACK_OBJECT_BIN ||
	    o->via.bin.size != AUTH_MAC_LEN ||
	    !auth_verify(secret, mine, (const unsigned char *)o->via.bin.ptr)) {
		rpc_msg_fini(&m);
		return gl_err_set(err, GL_EAUTH, "the kernel at %s did not "
		    "prove it holds the cluster secret; not running its "
		    "tasks", w->addr);
	}
	rpc_msg_fini(&m);
	return 0;
}

/* print(...) in a task (lua/host.c formats it): kept with the result,
 * up to WK_OUT_MAX bytes. */
static void
wk_on_print(void *ud, const char *text, size_t len)
{
	struct wk	*w = ud;

	if (w->out_cut || w->out.len + len > WK_OUT_MAX)
		w->out_cut = true;
	else
		gl_buf_add(&w->out, text, len);
}

/* display(...) in a task: as print. */
static void
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

static void
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
static void
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

/* --- input --- */

/* Queues the whole messages in the reader. False when the stream is
 * broken (w->eof set). */
static bool
wk_deliver(struct wk *w)
{
	struct rpc_msg	 m;
	struct gl_err	 err;
	int		 rc;

	for (;;) {
		gl_err_clear(&err);
		if ((rc = rpc_reader_next(w->rd, &m, &err)) == 0)
			return true;
		if (rc < 0) {
			w->eof = true;
			snprintf(w->why, sizeof w->why, "bad message from the "
			    "kernel: %.200s", err.msg);
			return false;
		}
		if (w->nin == w->capin) {
			size_t		 cap = w->capin ? 2 * w->capin : 16;
			struct rpc_msg	*n = xmalloc(cap * sizeof *n);

			for (size_t i = 0; i < w->nin; i++)
				n[i] = w->inbox[(w->ihead + i) % w->capin];
			free(w->inbox);
			w->inbox = n;
			w->ihead = 0;
			w->capin = cap;
		}
		w->inbox[(w->ihead + w->nin++) % w->capin] = m;
	}
}

static bool
wk_inbox_pop(struct wk *w, struct rpc_msg *m)
{
	if (w->nin == 0)
		return false;
	*m = w->inbox[w->ihead];
	w->ihead = (w->ihead + 1) % w->capin;
	w->nin--;
	return true;
}

/*
 * Reads what the kernel sent, waiting up to timeout_ms (0: not at all)
 * for something; queues it in the inbox. False at the end of the stream
 * (w->eof set). Main thread only.
 */
static bool
wk_input(struct wk *w, int timeout_ms)
{
	struct pollfd	 pfd = { .fd = w->fd, .events = POLLIN };
	char		 buf[65536];
	ssize_t		 n;
	bool		 any = false;

	w->last_input_us = wk_now_us();
	/* The handshake may have read more than its own answer. */
	if (!wk_deliver(w))
		return false;
	if (w->nin > 0)
		timeout_ms = 0;
	for (;;) {
		pfd.revents = 0;
		if (poll(&pfd, 1, any ? 0 : timeout_ms) <= 0)
			break;		/* nothing, a timeout, or a signal */
		n = read(w->fd, buf, sizeof buf);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			break;
		if (n <= 0) {
			w->eof = true;
			if (w->why[0] == '\0')
				snprintf(w->why, sizeof w->why, "the kernel "
				    "closed the connection%s%s",
				    n < 0 ? ": " : "",
				    n < 0 ? strerror(errno) : "");
			break;
		}
		rpc_reader_feed(w->rd, buf, (size_t)n);
		any = true;
		if ((size_t)n < sizeof buf)
			break;
	}
	WK_STORE(w->watch, 1);
	return wk_deliver(w) && !w->eof;
}

/* True if a queued task.cancel names task. */
static bool
wk_cancelled(const struct wk *w, uint64_t task)
{
	for (size_t k = 0; k < w->nin; k++) {
		const struct rpc_msg	*m = &w->inbox[(w->ihead + k) %
					    w->capin];
		const msgpack_object	*ids;

		if (m->type != RPC_NOTIFY ||
		    strcmp(m->method, "task.cancel") != 0 ||
		    (ids = rpc_map_get(m->args, "tasks")) == NULL ||
		    ids->type != MSGPACK_OBJECT_ARRAY)
			continue;
		for (uint32_t i = 0; i < ids->via.array.size; i++)
			if (ids->via.array.ptr[i].type ==
			    MSGPACK_OBJECT_POSITIVE_INTEGER &&
			    ids->via.array.ptr[i].via.u64 == task)
				return true;
	}
	return false;
}

/* --- the heartbeat thread --- */

static void *
wk_hb_main(void *arg)
{
	struct wk	*w = arg;
	struct pollfd	 pfd[3];
	struct rpc_writer hw;
	char		 buf[256];
	int64_t		 next_hb = wk_now_us() + WK_HEARTBEAT_MS * 1000;
	ssize_t		 n;
	nfds_t		 np;
	int		 sock = -1, timeout;
	bool		 in_open = w->in_fd >= 0;

	rpc_writer_init(&hw);
	while (!WK_LOAD(w->hb_quit)) {
		int64_t	 now = wk_now_us();
		bool	 running = WK_LOAD(wk_running) != 0;

		if (now >= next_hb) {
			struct rusage	 ru;
			long		 rss = 0;
			FILE		*f = fopen("/proc/self/statm", "r");

			if (f != NULL) {
				if (fscanf(f, "%*s %ld", &rss) != 1)
					rss = 0;
				fclose(f);
			}
			getrusage(RUSAGE_SELF, &ru);
			rpc_writer_reset(&hw);
			rpc_begin_notify(&hw, "worker.heartbeat");
			msgpack_pack_map(&hw.pk, 3);
			rpc_pack_key(&hw.pk, "cpu");
			msgpack_pack_double(&hw.pk, (double)ru.ru_utime.tv_sec +
			    (double)ru.ru_stime.tv_sec +
			    (double)(ru.ru_utime.tv_usec +
			    ru.ru_stime.tv_usec) / 1e6);
			rpc_pack_kv_int(&hw.pk, "rss", (int64_t)rss *
			    sysconf(_SC_PAGESIZE));
			rpc_pack_kv_int(&hw.pk, "task",
			    (int64_t)WK_LOAD(wk_running));
			wk_write(w, hw.sbuf.data, hw.sbuf.size);
			next_hb = now + WK_HEARTBEAT_MS * 1000;
		}
		np = 0;
		pfd[np].fd = w->hb_pipe[0];
		pfd[np].events = POLLIN;
		pfd[np++].revents = 0;
		if (in_open) {
			pfd[np].fd = w->in_fd;
			pfd[np].events = POLLIN;
			pfd[np++].revents = 0;
		}
		/* While a task runs, input for it (a cancel) must reach it:
		 * the main thread reads only between tasks. */
		sock = -1;
		if (running && WK_LOAD(w->watch)) {
			sock = (int)np;
			pfd[np].fd = w->fd;
			pfd[np].events = POLLIN;
			pfd[np++].revents = 0;
		}
		/* Idle, it sleeps to the next heartbeat; while tasks run,
		 * it looks at wk_running often enough to watch for input. */
		timeout = (int)((next_hb - now) / 1000) + 1;
		if (running && timeout > WK_WATCH_MS)
			timeout = WK_WATCH_MS;
		if (poll(pfd, np, timeout) <= 0)
			continue;
		if (pfd[0].revents != 0)
			break;		/* told to end */
		if (in_open && pfd[1].revents != 0) {
			/* stdin (the ssh session) ended: leave as on
			 * SIGTERM. Anything else on it is ignored. */
			n = read(w->in_fd, buf, sizeof buf);
			if (n == 0 || (n < 0 && errno != EINTR &&
			    errno != EAGAIN)) {
				in_open = false;
				kill(getpid(), SIGTERM);
			}
		}
		if (sock >= 0 && pfd[sock].revents != 0 &&
		    WK_LOAD(wk_running) != 0) {
			WK_STORE(w->watch, 0);	/* until it was read */
			pthread_kill(w->main_thread, SIGUSR1);
		}
	}
	rpc_writer_fini(&hw);
	return NULL;
}

/* Writes one or more whole messages, under wlock. */
static void
wk_write(struct wk *w, const void *p, size_t n)
{
	const char	*q = p;
	ssize_t		 k;

	pthread_mutex_lock(&w->wlock);
	while (n > 0) {
		k = send(w->fd, q, n, MSG_NOSIGNAL);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;		/* the main thread sees the end */
		q += k;
		n -= (size_t)k;
	}
	pthread_mutex_unlock(&w->wlock);
}

/* Sends what the main thread's writer holds. */
static void
wk_send(struct wk *w)
{
	if (w->w.sbuf.size > 0)
		wk_write(w, w->w.sbuf.data, w->w.sbuf.size);
	rpc_writer_reset(&w->w);
}

/* --- serving --- */

/* One message from the inbox; takes it. */
static void
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
	t0 = wk_now_us();
	c0 = wk_cpu_us();
	if (j != NULL)
		lua_rawgeti(L, LUA_REGISTRYINDEX, j->ref);
	gl_err_clear(&err);
	if (codec_decode(w->codec, L, t->p, t->len, 0, CODEC_DEC_REQUIRE,
	    &nargs, &err) != 0) {
		lua_settop(L, 0);
		wk_result_error(w, t->id, err.msg, strlen(err.msg), "",
		    wk_now_us() - t0, wk_cpu_us() - c0);
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
	run_us = wk_now_us() - t0;
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

/* Sends the results gathered: one task.done. */
static void
wk_flush(struct wk *w)
{
	w->last_flush_us = wk_now_us();
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

static void
wk_unhold(struct wk_held *h)
{
	if (h == NULL || --h->refs > 0)
		return;
	rpc_msg_fini(&h->m);
	free(h);
}

/* Says goodbye: what finished, then worker.leaving {reason}, so the
 * kernel retries the rest elsewhere without counting an attempt. */
static void
wk_leave(struct wk *w, const char *reason)
{
	wk_flush(w);
	rpc_begin_notify(&w->w, "worker.leaving");
	msgpack_pack_map(&w->w.pk, 1);
	rpc_pack_kv_str(&w->w.pk, "reason", reason);
	wk_send(w);
}

static int
wk_buf_write(void *data, const char *buf, size_t len)
{
	gl_buf_add(data, buf, len);
	return 0;
}

static int64_t
wk_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int64_t
wk_cpu_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

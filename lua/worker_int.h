/*
 * worker_int.h - what the files of the cluster worker share (lua/worker.h
 * is its public side): the worker's state and the functions each file
 * gives the others.
 *
 *   worker.c            lifecycle: start-up, the main loop, leaving
 *   worker-net.c        the kernel connection: secret, connect,
 *                       handshake, reading into the inbox, writing frames
 *   worker-heartbeat.c  the heartbeat thread
 *   worker-task.c       running tasks: the queue, jobs, results, print,
 *                       and interrupting a running task (signals, hook)
 *   worker-libs.c       the registry modules a job brings (require)
 *
 * worker.c drives the other three; worker-task.c and worker-heartbeat.c
 * write through worker-net.c; all read the clocks of worker.c. The
 * signal handlers (worker-task.c) only set flags and a Lua hook. Not for
 * use outside these four files.
 */
#ifndef GL_WORKER_INT_H
#define GL_WORKER_INT_H

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/auth.h"
#include "core/mem.h"
#include "core/rpc.h"
#include "core/util.h"
#include "lua/lua_int.h"

struct seal;

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

	/* worker-net.c, worker-heartbeat.c */
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
	struct rpc_writer w;		/* main thread's packer */
	struct rpc_reader *rd;		/* owned: the main thread reads */
	struct seal	*seal;		/* owned: once the kernel proved it
					 * holds the secret, all is sealed;
					 * sending under wlock */
	bool		 answer;	/* the hello's answer is awaited:
					 * sealed, or a refusal in the clear */
	struct gl_buf	 sealed;	/* records being sent (under wlock) */

	/* worker-task.c */
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
};

/*
 * Shared with the signal handlers (worker-task.c), defined in worker.c.
 * wk_running and wk_cancel are also read by the heartbeat thread: they
 * are accessed with WK_LOAD/WK_STORE (lock-free for 64 bits here).
 */
extern lua_State *volatile	 wk_sig_L;	/* the state to hook */
extern volatile sig_atomic_t	 wk_term;	/* SIGTERM or SIGINT: leave */
extern volatile sig_atomic_t	 wk_term_sig;
extern uint64_t			 wk_running;	/* task being run, or 0 */
extern uint64_t			 wk_cancel;	/* task to cancel, or 0 */
extern volatile sig_atomic_t	 wk_input_seen;	/* SIGUSR1 came */

/* worker.c: this thread's CPU time, in µs (the wall clock is
 * gl_now_us()). */
int64_t	 wk_cpu_us(void);

/* worker-net.c */
/* The cluster secret: a 0600 file of 64 hex digits, or ("-") the first
 * line of stdin, read byte by byte so the rest stays unread. */
int	 wk_read_secret(const char *path, char out[AUTH_TOKEN_LEN + 1],
	     struct gl_err *err);
/* Connects w->fd to addr ("HOST:PORT", "[::1]:PORT") and puts this
 * machine's name in host. */
int	 wk_connect(struct wk *w, const char *addr, char *host,
	     size_t hostlen, struct gl_err *err);
/* Proves to the kernel that we hold secret and makes it prove it too,
 * both proofs over both nonces; from the kernel's answer on, everything
 * is sealed. Before the heartbeat thread runs. */
int	 wk_handshake(struct wk *w, const char *secret, struct gl_err *err);
/* Reads what the kernel sent, waiting up to timeout_ms (0: not at all),
 * into the inbox. False at the end of the stream (w->eof set). Main
 * thread only. */
bool	 wk_input(struct wk *w, int timeout_ms);
/* Takes the oldest message of the inbox into *m (the caller finishes
 * it); false if there is none. */
bool	 wk_inbox_pop(struct wk *w, struct rpc_msg *m);
/* True if a queued task.cancel names task. */
bool	 wk_cancelled(const struct wk *w, uint64_t task);
/* Writes one or more whole frames under wlock (either thread). */
void	 wk_write(struct wk *w, const void *p, size_t n);
/* Sends what the main thread's writer w->w holds, and empties it. */
void	 wk_send(struct wk *w);

/* worker-heartbeat.c */
/* Starts the heartbeat thread (with the worker's signals blocked, so
 * they land on the main thread). */
int	 wk_hb_start(struct wk *w, struct gl_err *err);
/* Stops it and waits for it; a no-op if it never started. */
void	 wk_hb_stop(struct wk *w);

/* worker-task.c */
void	 wk_tasks_init(struct wk *w);
/* Frees the queue, the jobs and the buffers (before the Lua state). */
void	 wk_tasks_fini(struct wk *w);
/* One message from the inbox; takes it. */
void	 wk_serve(struct wk *w, struct rpc_msg *m);
/* Runs the first queued task (w->ntasks > 0) and packs its result. */
void	 wk_run_next(struct wk *w);
/* Sends the results gathered: one task.done. */
void	 wk_flush(struct wk *w);
/* The host's print and display (lua_int.h): kept with the result. */
void	 wk_on_print(void *ud, const char *text, size_t len);
void	 wk_on_display(void *ud, const char *text, size_t len);
/* SIGTERM, SIGINT: leave; SIGUSR1: input came while a task runs. */
void	 wk_on_term(int sig);
void	 wk_on_input(int sig);

/* worker-libs.c: the registry's modules a job brings (lua/require.c). */
/* Installs require's registry searcher in L. */
void	 wk_libs_open(lua_State *L);
/* Takes a task.run's libs (a map, or NULL): what require loads for the
 * job's function and tasks. */
void	 wk_libs_take(struct wk *w, const msgpack_object *libs);

#endif

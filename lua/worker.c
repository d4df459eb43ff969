/*
 * worker.c - the cluster worker process (lua/worker.h): its lifecycle and
 * main loop. worker_int.h lists the other files: worker-net.c (the
 * connection), worker-heartbeat.c (the heartbeat thread), worker-task.c
 * (running tasks).
 *
 * Design.
 *
 * - Two threads. The main thread owns the Lua state and the socket's
 *   reading: when it has nothing to run it blocks in poll() on the socket
 *   itself, so a task's round trip wakes one thread, not two (on this
 *   kind of machine a wake-up across cores costs about 20 us); between
 *   tasks it looks at the socket at least every WK_INPUT_US. The
 *   heartbeat thread writes a heartbeat every second, also while a task
 *   runs, watches stdin (--secret-file -), and while a task runs watches
 *   the socket for input: a cancel must reach a task that runs for
 *   minutes. Both threads write whole messages under one mutex (wlock),
 *   so frames never interleave.
 *
 * - The loop serves what came first: messages in the inbox (cancels and
 *   releases apply before more is run), then one queued task, then, with
 *   nothing to run, flushes the results and waits for the kernel. It
 *   ends on worker.stop, at the end of the connection, or on SIGTERM or
 *   SIGINT, saying worker.leaving {reason} first.
 *
 * Invariants: only the main thread reads the socket (in its loop, or in
 * the task hook, which runs on it); the heartbeat thread only polls it.
 */
#include "lua/worker.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "core/auth.h"
#include "core/err.h"
#include "core/mem.h"
#include "core/rpc.h"
#include "core/seal.h"
#include "lua/codec.h"
#include "lua/worker_int.h"

lua_State *volatile		 wk_sig_L;
volatile sig_atomic_t		 wk_term;
volatile sig_atomic_t		 wk_term_sig;
uint64_t			 wk_running;
uint64_t			 wk_cancel;
volatile sig_atomic_t		 wk_input_seen;

static void	 wk_leave(struct wk *w, const char *reason);

int
lx_worker_main(const struct lx_worker_opts *opts)
{
	struct wk		 w;
	struct gl_err		 err;
	struct sigaction	 sa;
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
	wk_tasks_init(&w);
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
	wk_libs_open(w.L);
	w.codec = codec_new();
	codec_register_cfunc(w.codec, "print", lx_host_print);
	codec_register_cfunc(w.codec, "display", lx_host_display);
	codec_exclude_global(w.codec, "cluster");
	codec_exclude_global(w.codec, "galley");
	codec_exclude_global(w.codec, "display");
	wk_sig_L = w.L;

	w.last_input_us = gl_now_us();
	if (wk_hb_start(&w, &err) != 0) {
		fprintf(stderr, "galley worker: %s\n", err.msg);
		goto out;
	}

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
			wk_run_next(&w);
			if (w.res.len >= WK_FLUSH_BYTES ||
			    gl_now_us() - w.last_flush_us >= WK_FLUSH_US)
				wk_flush(&w);
			if (w.ntasks > 0 && !w.eof &&
			    gl_now_us() - w.last_input_us >= WK_INPUT_US)
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
	wk_hb_stop(&w);
	for (size_t i = 0; i < w.nin; i++)
		rpc_msg_fini(&w.inbox[(w.ihead + i) % w.capin]);
	free(w.inbox);
	wk_tasks_fini(&w);
	lx_host_fini(&w.lua);
	codec_free(w.codec);
	if (w.fd >= 0)
		close(w.fd);
	rpc_reader_free(w.rd);
	rpc_writer_fini(&w.w);
	seal_free(w.seal);
	gl_buf_fini(&w.sealed);
	pthread_mutex_destroy(&w.wlock);
	return status;
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

int64_t
wk_cpu_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/*
 * worker-heartbeat.c - the worker's heartbeat thread (worker_int.h).
 *
 * It writes a heartbeat ({cpu, rss, task}) every WK_HEARTBEAT_MS, also
 * while a task runs, so a long task does not look like a dead worker; it
 * only writes a frame it packs itself, under the write lock. It watches
 * stdin when the secret came on it (--secret-file -: the ssh session)
 * and makes the worker leave as on SIGTERM when stdin ends. While a task
 * runs it polls the socket (never reads it) and, when input arrives,
 * sends the main thread SIGUSR1 so the task's hook reads it: a cancel
 * must reach a task that runs for minutes. It blocks the worker's
 * signals, so they land on the main thread.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "core/err.h"
#include "core/rpc.h"
#include "lua/worker_int.h"

static void	*wk_hb_main(void *arg);

int
wk_hb_start(struct wk *w, struct gl_err *err)
{
	sigset_t	 block, old;
	pthread_attr_t	 attr;
	int		 rc;

	w->main_thread = pthread_self();
	if (pipe(w->hb_pipe) != 0) {
		w->hb_pipe[0] = w->hb_pipe[1] = -1;
		return gl_err_set(err, gl_err_from_errno(errno), "pipe: %s",
		    strerror(errno));
	}
	WK_STORE(w->watch, 1);
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 128 << 10);
	rc = pthread_create(&w->hb_thread, &attr, wk_hb_main, w);
	pthread_attr_destroy(&attr);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0)
		return gl_err_set(err, GL_ENOMEM, "cannot start a thread");
	w->hb_started = true;
	return 0;
}

void
wk_hb_stop(struct wk *w)
{
	if (w->hb_started) {
		WK_STORE(w->hb_quit, 1);
		if (write(w->hb_pipe[1], "q", 1) < 0) {
			/* The thread sees hb_quit within WK_WATCH_MS. */
		}
		pthread_join(w->hb_thread, NULL);
		w->hb_started = false;
	}
	if (w->hb_pipe[0] >= 0) {
		close(w->hb_pipe[0]);
		close(w->hb_pipe[1]);
		w->hb_pipe[0] = w->hb_pipe[1] = -1;
	}
}

static void *
wk_hb_main(void *arg)
{
	struct wk	*w = arg;
	struct pollfd	 pfd[3];
	struct rpc_writer hw;
	char		 buf[256];
	int64_t		 next_hb = gl_now_us() + WK_HEARTBEAT_MS * 1000;
	ssize_t		 n;
	nfds_t		 np;
	int		 sock = -1, timeout;
	bool		 in_open = w->in_fd >= 0;

	rpc_writer_init(&hw);
	while (!WK_LOAD(w->hb_quit)) {
		int64_t	 now = gl_now_us();
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

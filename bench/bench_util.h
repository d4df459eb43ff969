/*
 * bench_util.h - what the benchmarks that drive a kernel share (static
 * inline, for each benchmark's only .c file): a clock, a median's sort
 * order, a process's CPU time, starting a kernel that serves TCP, and stopping the kernel of the
 * current GALLEY_RUNTIME_DIR.
 */
#ifndef GL_BENCH_UTIL_H
#define GL_BENCH_UTIL_H

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "client/client.h"
#include "core/err.h"
#include "core/paths.h"
#include "core/rpc.h"

static inline double
bk_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

/* For qsort() of doubles. */
static inline int
bk_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* CPU time process pid's main thread has used, in us
 * (/proc/PID/schedstat: nanoseconds); 0 if it cannot be read. */
static inline double
bk_proc_cpu_us(long pid)
{
	char			 path[64];
	unsigned long long	 ns = 0;
	FILE			*f;

	snprintf(path, sizeof path, "/proc/%ld/schedstat", pid);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	if (fscanf(f, "%llu", &ns) != 1)
		ns = 0;
	fclose(f);
	return ns / 1e3;
}

/* `galley kernel --listen 127.0.0.1:0` in dir (its socket, its log);
 * returns its pid once kernel.info answers on the Unix socket, with the
 * TCP address in addr ("tcp:HOST:PORT"). Exits on failure. */
static inline pid_t
bk_start_kernel_tcp(const char *galley, const char *dir, char *addr,
    size_t len)
{
	struct cl_opts	 o;
	struct cl_conn	*c = NULL;
	struct rpc_msg	 m;
	struct gl_err	 err = { 0 };
	char		*sock = gl_path_join(dir, "kernel.sock");
	char		*log = gl_path_join(dir, "kernel.log");
	const char	*a;
	size_t		 n = 0;
	pid_t		 pid;

	if ((pid = fork()) == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);

		dup2(fd, 2);
		execl(galley, galley, "kernel", "--listen", "127.0.0.1:0",
		    (char *)NULL);
		_exit(127);
	}
	cl_opts_init(&o);
	o.kernel = sock;
	o.autostart = false;
	for (int i = 0; i < 1000 && cl_connect(&o, &c, &err) != 0; i++) {
		struct timespec ts = { 0, 10 * 1000 * 1000 };

		nanosleep(&ts, NULL);	/* waiting for the kernel to serve */
	}
	if (c == NULL || cl_call(c, "kernel.info", NULL, NULL, &m, 10000,
	    &err) != 0) {
		fprintf(stderr, "bench: the kernel did not start: %s\n",
		    err.msg);
		exit(1);
	}
	if ((a = rpc_map_str(m.result, "listen", &n)) == NULL) {
		fprintf(stderr, "bench: kernel.info: no listen\n");
		exit(1);
	}
	snprintf(addr, len, "tcp:%.*s", (int)n, a);
	rpc_msg_fini(&m);
	cl_close(c);
	free(sock);
	free(log);
	return pid;
}

/* `galley kernel stop`, quietly, waited for. */
static inline void
bk_stop_kernel(const char *galley)
{
	pid_t	 pid = fork();
	int	 st;

	if (pid == 0) {
		int fd = open("/dev/null", O_WRONLY);

		dup2(fd, 1);
		dup2(fd, 2);
		execl(galley, galley, "kernel", "stop", (char *)NULL);
		_exit(127);
	}
	waitpid(pid, &st, 0);
}

#endif

/*
 * bench_kernel.c - kernel figures against the targets of issue 3:
 *   trivial cell round trip, client -> kernel -> runtime -> client
 *     (Unix socket; target p50 <= 200 us, p99 <= 1 ms)
 *   `galley run` of a one-cell notebook with no kernel running, to its
 *     output (target <= 50 ms)
 *   kernel idle RSS (target <= 10 MB)
 * usage: bench_kernel GALLEY_BINARY [ROUNDS]
 * Runs everything in a private runtime directory and stops what it starts.
 */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench/bench_cell.h"
#include "client/client.h"
#include "core/err.h"
#include "core/mem.h"
#include "core/paths.h"

static double
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void
die(const char *what, const struct gl_err *err)
{
	fprintf(stderr, "bench_kernel: %s: %s\n", what, err ? err->msg : "");
	exit(1);
}

static long
kernel_rss_kb(struct cl_conn *c)
{
	struct rpc_msg	 m;
	struct gl_err	 err;
	char		 path[64], line[256];
	long		 kb = -1;
	FILE		*f;
	int64_t		 pid;

	if (cl_call(c, "kernel.info", NULL, NULL, &m, 5000, &err) != 0)
		die("kernel.info", &err);
	pid = rpc_map_int(m.result, "pid", 0);
	rpc_msg_fini(&m);
	snprintf(path, sizeof path, "/proc/%lld/status", (long long)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof line, f) != NULL)
		if (sscanf(line, "VmRSS: %ld", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

static void
stop_kernel(const char *galley)
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

static void
bench_round_trip(const char *galley, int rounds)
{
	struct cl_opts		 o;
	struct cl_conn		*c;
	struct gl_err		 err;
	struct rpc_msg		 m;
	char			*sess;
	double			*t = xcalloc((size_t)rounds, sizeof *t);
	long			 rss;

	cl_opts_init(&o);
	o.exe = galley;
	if (cl_connect(&o, &c, &err) != 0)
		die("connect", &err);
	rss = kernel_rss_kb(c);
	printf("kernel idle RSS:            %6.1f MB   (target <= 10 MB)\n",
	    rss / 1024.0);
	if (cl_call(c, "session.open", bench_cell_pack_open, NULL, &m, 10000,
	    &err) != 0)
		die("session.open", &err);
	sess = rpc_map_strdup(m.result, "session");
	rpc_msg_fini(&m);
	for (int i = -50; i < rounds; i++) {
		double us = bench_cell_round_trip(c, sess, &err);

		if (us < 0)
			die("cell.run", &err);
		if (i >= 0)
			t[i] = us;
	}
	qsort(t, (size_t)rounds, sizeof *t, cmp_double);
	printf("trivial cell round trip:    p50 %6.0f us  p99 %6.0f us   "
	    "(target p50 <= 200 us, p99 <= 1000 us; %d runs)\n",
	    t[rounds / 2], t[rounds * 99 / 100], rounds);
	free(sess);
	free(t);
	cl_close(c);
}

/* Time from exec of `galley run` to the first byte of its output, with
 * no kernel running. */
static void
bench_cold_run(const char *galley, const char *dir)
{
	double	 t[9];
	char	*nb = gl_path_join(dir, "one.nb.lua");
	FILE	*f = fopen(nb, "w");

	fputs("-- %% id=\"a\"\nprint(\"hello\")\n", f);
	fclose(f);
	for (int i = 0; i < 9; i++) {
		int	 p[2], st;
		char	 buf[64];
		pid_t	 pid;
		double	 t0;

		stop_kernel(galley);
		if (pipe(p) != 0)
			die("pipe", NULL);
		t0 = now_us();
		if ((pid = fork()) == 0) {
			dup2(p[1], 1);
			close(p[0]);
			close(p[1]);
			execl(galley, galley, "run", "-q", nb, (char *)NULL);
			_exit(127);
		}
		close(p[1]);
		if (read(p[0], buf, sizeof buf) <= 0)
			die("galley run printed nothing", NULL);
		t[i] = now_us() - t0;
		while (read(p[0], buf, sizeof buf) > 0)
			;
		close(p[0]);
		waitpid(pid, &st, 0);
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
			die("galley run failed", NULL);
	}
	qsort(t, 9, sizeof *t, cmp_double);
	printf("galley run, no kernel:      %6.1f ms to output (median of 9; "
	    "target <= 50 ms)\n", t[4] / 1000);
	free(nb);
}

int
main(int argc, char **argv)
{
	char	 dir[] = "/tmp/galley-bench-XXXXXX";
	int	 rounds = argc > 2 ? atoi(argv[2]) : 5000;
	char	 cmd[128];

	if (argc < 2) {
		fprintf(stderr, "usage: bench_kernel GALLEY_BINARY [ROUNDS]\n");
		return 2;
	}
	if (mkdtemp(dir) == NULL)
		die("mkdtemp", NULL);
	setenv("GALLEY_RUNTIME_DIR", dir, 1);
	signal(SIGPIPE, SIG_IGN);
	bench_round_trip(argv[1], rounds);
	bench_cold_run(argv[1], dir);
	stop_kernel(argv[1]);
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0)
		return 1;
	return 0;
}

/*
 * bench_secure.c - what sealing TCP traffic costs (issue 9; target:
 * encryption adds <= 10 us per round trip):
 *   sealing and opening one record, in process, by size (the whole cost
 *     of the encryption, without any I/O)
 *   trivial cell round trip, client -> kernel -> runtime -> client, over
 *     the Unix socket (never sealed) and over TCP on loopback (sealed),
 *     one kernel, the two measured in alternating blocks so that the
 *     machine's load falls on both alike
 * The TCP figure minus the Unix one is sealing plus TCP's own cost on
 * loopback; the records a round trip seals and opens times the cost of
 * one bounds the encryption's share. On a shared machine wall times
 * swing with the load, so the CPU time a round trip costs the kernel and
 * the client (scheduler statistics, in ns) is printed too: it does not.
 * The worker link is always sealed: bench_cluster's task round trip, run
 * on builds before and after, shows its cost.
 * usage: bench_secure GALLEY_BINARY [ROUNDS]
 * Runs in a private runtime directory and stops the kernel it starts.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench/bench_cell.h"
#include "bench/bench_util.h"
#include "client/client.h"
#include "core/err.h"
#include "core/mem.h"
#include "core/paths.h"
#include "core/seal.h"

#define BLOCKS	5

/* CPU time of this thread, in us. */
static double
cpu_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static void
die(const char *what, const struct gl_err *err)
{
	fprintf(stderr, "bench_secure: %s: %s\n", what, err ? err->msg : "");
	exit(1);
}

/* Seal and open one record of n bytes: CPU ns per record, median of
 * 5. */
static void
bench_records(void)
{
	static const size_t	 sizes[] = { 64, 1024, 65536 };
	unsigned char		 kn[AUTH_NONCE_LEN] = { 1 };
	unsigned char		 pn[AUTH_NONCE_LEN] = { 2 };
	const char		*secret = "0123456789abcdef0123456789abcdef"
				    "0123456789abcdef0123456789abcdef";

	for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
		size_t		 n = sizes[k];
		int		 reps = n < 4096 ? 200000 : 4000;
		char		*msg = xcalloc(1, n);
		double		 t[5];
		struct gl_buf	 wire;

		gl_buf_init(&wire);
		for (int r = 0; r < 5; r++) {
			struct seal	*a = seal_new(secret, "client", kn, pn,
					    SEAL_PEER);
			struct seal	*b = seal_new(secret, "client", kn, pn,
					    SEAL_KERNEL);
			double		 t0 = cpu_us();

			for (int i = 0; i < reps; i++) {
				const void	*p;
				size_t		 len;

				gl_buf_reset(&wire);
				seal_wrap(a, msg, n, &wire);
				seal_feed(b, wire.data, wire.len);
				if (seal_open(b, &p, &len, NULL) != 1 ||
				    len != n)
					die("seal_open", NULL);
			}
			t[r] = (cpu_us() - t0) * 1000 / reps;
			seal_free(a);
			seal_free(b);
		}
		qsort(t, 5, sizeof *t, bk_cmp_double);
		printf("seal + open one record:     %6zu bytes  %7.0f ns  "
		    "(%6.0f MB/s)\n", n, t[2], n / t[2] * 1e3);
		gl_buf_fini(&wire);
		free(msg);
	}
}

static double
round_trip(struct cl_conn *c, const char *sess)
{
	struct gl_err	 err;
	double		 us = bench_cell_round_trip(c, sess, &err);

	if (us < 0)
		die("cell.run", &err);
	return us;
}

static struct cl_conn *
connect_to(const char *kernel, const char *token, char **sess)
{
	struct cl_opts	 o;
	struct cl_conn	*c;
	struct rpc_msg	 m;
	struct gl_err	 err;

	cl_opts_init(&o);
	o.kernel = kernel;
	o.token_file = token;
	o.autostart = false;
	if (cl_connect(&o, &c, &err) != 0)
		die(kernel, &err);
	if (cl_call(c, "session.open", bench_cell_pack_open, NULL, &m, 10000,
	    &err) != 0)
		die("session.open", &err);
	*sess = rpc_map_strdup(m.result, "session");
	rpc_msg_fini(&m);
	return c;
}

static void
bench_cell(const char *galley, const char *dir, int rounds)
{
	char		 addr[128], *usess, *tsess;
	char		*sock = gl_path_join(dir, "kernel.sock");
	char		*token = gl_path_join(dir, "token");
	struct cl_conn	*u, *t;
	double		*ut = xcalloc((size_t)rounds * BLOCKS, sizeof *ut);
	double		*tt = xcalloc((size_t)rounds * BLOCKS, sizeof *tt);
	size_t		 n = (size_t)rounds * BLOCKS;
	pid_t		 pid = bk_start_kernel_tcp(galley, dir, addr,
			    sizeof addr);
	double		 kc[2] = { 0, 0 }, cc[2] = { 0, 0 }, k0, c0;
	int		 st;

	u = connect_to(sock, NULL, &usess);
	t = connect_to(addr, token, &tsess);
	for (int i = 0; i < 200; i++) {		/* warm up both */
		(void)round_trip(u, usess);
		(void)round_trip(t, tsess);
	}
	for (int b = 0; b < BLOCKS; b++) {
		k0 = bk_proc_cpu_us(pid);
		c0 = cpu_us();
		for (int i = 0; i < rounds; i++)
			ut[b * rounds + i] = round_trip(u, usess);
		kc[0] += bk_proc_cpu_us(pid) - k0;
		cc[0] += cpu_us() - c0;
		k0 = bk_proc_cpu_us(pid);
		c0 = cpu_us();
		for (int i = 0; i < rounds; i++)
			tt[b * rounds + i] = round_trip(t, tsess);
		kc[1] += bk_proc_cpu_us(pid) - k0;
		cc[1] += cpu_us() - c0;
	}
	qsort(ut, n, sizeof *ut, bk_cmp_double);
	qsort(tt, n, sizeof *tt, bk_cmp_double);
	printf("cell round trip, Unix:      p50 %6.1f us  p99 %6.1f us\n",
	    ut[n / 2], ut[n * 99 / 100]);
	printf("cell round trip, TCP+seal:  p50 %6.1f us  p99 %6.1f us   "
	    "(+%.1f us at p50; target: encryption <= 10 us; %zu runs "
	    "each)\n", tt[n / 2], tt[n * 99 / 100], tt[n / 2] - ut[n / 2],
	    n);
	printf("CPU a round trip, Unix:     kernel %5.1f us  client %5.1f us\n",
	    kc[0] / n, cc[0] / n);
	printf("CPU a round trip, TCP+seal: kernel %5.1f us  client %5.1f us   "
	    "(+%.1f us in all)\n", kc[1] / n, cc[1] / n,
	    (kc[1] + cc[1] - kc[0] - cc[0]) / n);
	cl_close(u);
	cl_close(t);
	kill(pid, SIGTERM);
	waitpid(pid, &st, 0);
	free(usess);
	free(tsess);
	free(ut);
	free(tt);
	free(sock);
	free(token);
}

int
main(int argc, char **argv)
{
	char	 dir[] = "/tmp/galley-bench-XXXXXX";
	int	 rounds = argc > 2 ? atoi(argv[2]) : 1000;
	char	 cmd[128];

	if (argc < 2) {
		fprintf(stderr, "usage: bench_secure GALLEY_BINARY [ROUNDS]\n");
		return 2;
	}
	if (mkdtemp(dir) == NULL)
		die("mkdtemp", NULL);
	setenv("GALLEY_RUNTIME_DIR", dir, 1);
	signal(SIGPIPE, SIG_IGN);
	bench_records();
	bench_cell(argv[1], dir, rounds);
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0)
		return 1;
	return 0;
}

/*
 * bench_cluster.c - cluster figures against the targets of issue 5, with
 * 2 local workers (real processes: a kernel, its runtime, `galley worker`s):
 *   no-op task throughput, 100,000 tasks in one cluster.map, end to end
 *     from the cell (target >= 100,000 tasks/s)
 *   round trip of one small task, cluster.submit(f, i):result() (target
 *     p50 <= 100 us)
 *   speed-up of 64 CPU-bound tasks on 2 workers over 1 (target >= 1.9x)
 *   first cluster.map with no worker running, to its result (target
 *     <= 150 ms)
 *   worker RSS, idle (target <= 8 MB)
 * usage: bench_cluster GALLEY_BINARY
 * Everything runs in a private directory and is stopped at the end.
 *
 * Times of whole cells are the kernel's elapsed_ms of cell.done. Lua has
 * no clock finer than a second, so the round trip's distribution is
 * measured by the client: the cell writes a byte after every 10 round
 * trips, and the client times the gaps between those outputs (a tenth
 * of a gap is one round trip, plus a tenth of a write's trip to the
 * client: an upper bound). The mean comes from a cell of 10,000 round
 * trips with no output at all.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "client/client.h"
#include "core/err.h"
#include "core/mem.h"
#include "core/util.h"

#define BENCH_WAIT_MS	120000

static struct cl_conn	*c;
static char		*sid;
static char		 root[64];

static double
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void
rmtree(const char *path)
{
	pid_t	 pid = fork();
	int	 st;

	if (pid == 0) {
		execlp("rm", "rm", "-rf", path, (char *)NULL);
		_exit(127);
	}
	if (pid > 0)
		waitpid(pid, &st, 0);
}

static void
shutdown_kernel(void)
{
	struct rpc_msg	 m;
	struct gl_err	 err;

	if (c == NULL)
		return;
	if (cl_call(c, "kernel.shutdown", NULL, NULL, &m, 10000, &err) == 0)
		rpc_msg_fini(&m);
	/* Wait for it to go: the connection closes. */
	while (cl_next_notify(c, &m, 10000, &err) == 1)
		rpc_msg_fini(&m);
	cl_close(c);
	c = NULL;
}

static void
die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "bench_cluster: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	shutdown_kernel();
	rmtree(root);
	exit(1);
}

static void
pack_cell(msgpack_packer *pk, void *ctx)
{
	msgpack_pack_map(pk, 2);
	rpc_pack_kv_str(pk, "session", sid);
	rpc_pack_key(pk, "cells");
	msgpack_pack_array(pk, 1);
	rpc_pack_str(pk, ctx);
}

/* cell.run of cell; returns the run id. */
static int64_t
start_cell(const char *cell)
{
	struct rpc_msg		 m;
	struct gl_err		 err;
	const msgpack_object	*runs;
	int64_t			 run;

	if (cl_call(c, "cell.run", pack_cell, (void *)cell, &m, 10000,
	    &err) != 0)
		die("cell.run %s: %s", cell, err.msg);
	runs = rpc_map_get(m.result, "runs");
	run = runs != NULL && runs->type == MSGPACK_OBJECT_ARRAY &&
	    runs->via.array.size > 0 ? rpc_map_int(&runs->via.array.ptr[0],
	    "run", 0) : 0;
	rpc_msg_fini(&m);
	return run;
}

/* Handles one notification of run: returns elapsed_ms at its
 * cell.done, -2 for an output (*text its text, borrowed until the next
 * call), -1 for anything else. */
static long long
next_note(int64_t run, struct rpc_msg *m, const char **text, size_t *len)
{
	struct gl_err	 err;
	long long	 ms;

	rpc_msg_fini(m);
	if (cl_next_notify(c, m, BENCH_WAIT_MS, &err) != 1)
		die("waiting for run %lld: %s", (long long)run, err.msg);
	if (rpc_map_int(m->args, "run", -1) != run)
		return -1;
	if (strcmp(m->method, "cell.output") == 0) {
		*text = rpc_map_str(rpc_map_get(m->args, "output"), "text",
		    len);
		return -2;
	}
	if (strcmp(m->method, "cell.done") != 0)
		return -1;
	if (!rpc_obj_streq(rpc_map_get(m->args, "status"), "ok")) {
		size_t		 n = 0;
		const char	*msg = rpc_map_str(rpc_map_get(m->args,
				    "error"), "message", &n);

		die("run %lld failed: %.*s", (long long)run, (int)n,
		    msg != NULL ? msg : "?");
	}
	ms = rpc_map_int(m->args, "elapsed_ms", 0);
	return ms;
}

/* Runs cell; returns its elapsed_ms. */
static long long
run_cell(const char *cell)
{
	struct rpc_msg	 m;
	int64_t		 run = start_cell(cell);
	const char	*text;
	size_t		 len;
	long long	 ms;

	memset(&m, 0, sizeof m);
	while ((ms = next_note(run, &m, &text, &len)) < 0)
		;
	rpc_msg_fini(&m);
	return ms;
}

/* Workers up now; *pid gets one's pid. */
static size_t
workers_up(int *pid)
{
	struct rpc_msg		 m;
	struct gl_err		 err;
	const msgpack_object	*w;
	size_t			 n;

	if (cl_call(c, "cluster.status", NULL, NULL, &m, 10000, &err) != 0)
		die("cluster.status: %s", err.msg);
	w = rpc_map_get(m.result, "workers");
	n = w != NULL && w->type == MSGPACK_OBJECT_ARRAY ? w->via.array.size :
	    0;
	if (pid != NULL && n > 0)
		*pid = (int)rpc_map_int(&w->via.array.ptr[0], "pid", -1);
	rpc_msg_fini(&m);
	return n;
}

static long
rss_kb(int pid)
{
	char	 path[64], *text, *p;
	size_t	 len;
	long	 kb = -1;

	snprintf(path, sizeof path, "/proc/%d/status", pid);
	if (gl_file_read(path, &text, &len, NULL) != 0)
		return -1;
	if ((p = strstr(text, "VmRSS:")) != NULL)
		kb = strtol(p + 6, NULL, 10);
	free(text);
	return kb;
}

static void
pause_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

static const char *nb =
    "-- %% id=\"warm\"\n"
    "x = 1\n"
    "-- %% id=\"first\"\n"
    "local r = cluster.map(function(x) return x + 1 end, {1, 2})\n"
    "assert(r[2] == 3)\n"
    "-- %% id=\"prep\"\n"
    "items = {}\n"
    "for i = 1, 100000 do items[i] = i end\n"
    "cpu = {}\n"
    "for i = 1, 64 do cpu[i] = i end\n"
    "function spin(x)\n"
    "  local t = os.clock()\n"
    "  while os.clock() - t < 0.05 do end\n"
    "  return x\n"
    "end\n"
    "-- %% id=\"noop\"\n"
    "local r = cluster.map(function(x) return x end, items)\n"
    "assert(#r == 100000 and r[100000] == 100000)\n"
    "-- %% id=\"rtt\"\n"
    "local f = function(x) return x + 1 end\n"
    "for i = 1, 20000 do\n"
    "  assert(cluster.submit(f, i):result() == i + 1)\n"
    "  if i % 10 == 0 then io.write('.') end\n"
    "end\n"
    "-- %% id=\"rtt_plain\"\n"
    "local f = function(x) return x + 1 end\n"
    "for i = 1, 10000 do\n"
    "  assert(cluster.submit(f, i):result() == i + 1)\n"
    "end\n"
    "-- %% id=\"cpu\"\n"
    "local r = cluster.map(spin, cpu)\n"
    "assert(#r == 64)\n"
    "-- %% id=\"one\"\n"
    "cluster.scale(1)\n";

static void
pack_open(msgpack_packer *pk, void *ctx)
{
	msgpack_pack_map(pk, 3);
	rpc_pack_kv_str(pk, "path", ctx);
	rpc_pack_kv_str(pk, "text", nb);
	rpc_pack_kv_bool(pk, "ephemeral", true);
}

static void
pack_scale(msgpack_packer *pk, void *ctx)
{
	(void)ctx;
	/* One worker kept and at most one: a scale alone is a floor, and
	 * the map would start a second (docs/cluster.md, Scaling). */
	msgpack_pack_map(pk, 2);
	rpc_pack_kv_int(pk, "n", 1);
	rpc_pack_kv_int(pk, "max", 1);
}

int
main(int argc, char **argv)
{
	struct cl_opts	 o;
	struct gl_err	 err;
	struct rpc_msg	 m;
	char		*path, *dir;
	FILE		*f;
	long long	 first_ms, noop_ms, rtt_ms, two_ms, one_ms, ms;
	double		*gaps, last = 0, p50, p90;
	size_t		 ngaps = 0, len;
	long		 rss;
	int		 pid = -1;
	int64_t		 run;
	const char	*text;

	if (argc < 2) {
		fprintf(stderr, "usage: bench_cluster GALLEY_BINARY\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	snprintf(root, sizeof root, "/tmp/galley-bench-XXXXXX");
	if (mkdtemp(root) == NULL)
		return 1;
	dir = xasprintf("%s/run", root);
	mkdir(dir, 0700);
	setenv("GALLEY_RUNTIME_DIR", dir, 1);
	free(dir);
	dir = xasprintf("%s/config", root);
	mkdir(dir, 0700);
	setenv("XDG_CONFIG_HOME", dir, 1);
	path = xasprintf("%s/galley", dir);
	mkdir(path, 0700);
	free(dir);
	dir = xasprintf("%s/init.lua", path);
	if ((f = fopen(dir, "w")) == NULL)
		die("cannot write %s", dir);
	fputs("cluster = { workers = 2 }\n", f);
	fclose(f);
	free(dir);
	free(path);
	dir = xasprintf("%s/state", root);
	setenv("XDG_STATE_HOME", dir, 1);
	free(dir);

	cl_opts_init(&o);
	o.exe = argv[1];
	o.timeout_ms = 20000;
	if (cl_connect(&o, &c, &err) != 0)
		die("cannot start a kernel: %s", err.msg);
	path = xasprintf("%s/bench.nb.lua", root);
	if (cl_call(c, "session.open", pack_open, path, &m, 10000, &err) != 0)
		die("session.open: %s", err.msg);
	free(path);
	sid = rpc_map_strdup(m.result, "session");
	rpc_msg_fini(&m);

	run_cell("warm");
	first_ms = run_cell("first");
	pause_ms(1500);		/* idle workers */
	if (workers_up(&pid) < 2 || pid <= 0)
		die("expected 2 workers up");
	rss = rss_kb(pid);
	run_cell("prep");
	noop_ms = run_cell("noop");

	/* Round trips: the gaps between the outputs of consecutive
	 * iterations. */
	gaps = xmalloc(4000 * sizeof *gaps);
	rtt_ms = 0;
	run = start_cell("rtt");
	memset(&m, 0, sizeof m);
	for (;;) {
		double now;

		ms = next_note(run, &m, &text, &len);
		now = now_us();
		if (ms >= 0)
			break;
		if (ms == -2 && len == 1) {
			if (last > 0 && ngaps < 4000)
				gaps[ngaps++] = (now - last) / 10;
			last = now;
		}
	}
	rpc_msg_fini(&m);
	rtt_ms = run_cell("rtt_plain");
	if (ngaps < 500)
		die("too few round trips measured (%zu)", ngaps);
	/* The first 200 warm up. */
	qsort(gaps + 200, ngaps - 200, sizeof *gaps, cmp_double);
	p50 = gaps[200 + (ngaps - 200) / 2];
	p90 = gaps[200 + (ngaps - 200) * 9 / 10];
	free(gaps);

	two_ms = run_cell("cpu");
	if (cl_call(c, "cluster.scale", pack_scale, NULL, &m, 10000, &err) != 0)
		die("cluster.scale: %s", err.msg);
	rpc_msg_fini(&m);
	for (int i = 0; i < 300 && workers_up(NULL) > 1; i++)
		pause_ms(100);
	if (workers_up(NULL) != 1)
		die("cluster.scale(1) left %zu workers", workers_up(NULL));
	one_ms = run_cell("cpu");

	printf("no-op throughput, 100,000 tasks, 2 workers: %.0f tasks/s "
	    "(%lld ms; target >= 100000 tasks/s)\n",
	    100000.0 * 1000.0 / (double)(noop_ms > 0 ? noop_ms : 1), noop_ms);
	printf("round trip, cluster.submit(f, i):result(): p50 %.0f us, "
	    "p90 %.0f us (%zu groups of 10); mean %.0f us (10,000 in %lld "
	    "ms) (target p50 <= 100 us)\n", p50, p90, ngaps - 200,
	    (double)rtt_ms * 1000.0 / 10000.0, rtt_ms);
	printf("64 CPU-bound tasks (50 ms each): 1 worker %lld ms, 2 workers "
	    "%lld ms: speed-up %.2fx (target >= 1.9x)\n", one_ms, two_ms,
	    (double)one_ms / (double)(two_ms > 0 ? two_ms : 1));
	printf("first cluster.map, no worker running, to its result: %lld ms "
	    "(target <= 150 ms)\n", first_ms);
	printf("worker RSS, idle: %.1f MB (target <= 8 MB)\n",
	    (double)rss / 1024.0);
	free(sid);
	shutdown_kernel();
	rmtree(root);
	return 0;
}

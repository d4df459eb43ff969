/*
 * bench_plugins.c - what plugins cost the cell round trip (issue 13;
 * target: an empty plugin hook <= 5 us):
 *   the kernel's hooks of one cell run (before_run at cell.run, after_run
 *     at its end) with an empty function registered for each, through
 *     kernel/hooks.h as the kernel calls them, event tables included (CPU
 *     time: the figure holds on a busy machine);
 *   the same with no plugin (the check every run pays);
 *   the trivial cell round trip, client -> kernel -> runtime -> client,
 *     without and with that plugin (p50, for the whole picture: the
 *     difference is within the round trip's noise).
 * usage: bench_plugins GALLEY_BINARY [ROUNDS]
 * Runs in a private runtime and configuration directory and stops the
 * kernels it starts.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench/bench_util.h"
#include "client/client.h"
#include "core/err.h"
#include "core/mem.h"
#include "kernel/hooks.h"
#include "lua/plugin.h"

/* CPU time of this process: what the hooks cost, whatever else the
 * machine runs. */
static double
cpu_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static void
die(const char *what, const struct gl_err *err)
{
	fprintf(stderr, "bench_plugins: %s: %s\n", what, err ? err->msg : "");
	exit(1);
}

static void
put(const char *path, const char *text)
{
	FILE	*f = fopen(path, "w");

	if (f == NULL)
		die(path, NULL);
	fputs(text, f);
	fclose(f);
}

/* The hooks one cell run goes through, n times: us per run. */
static double
hooks_per_run(const char *project, int n)
{
	struct hooks		*hk = hooks_new();
	const char		*src = "x = 1 + 1";
	double			 t0;

	/* Made (and its files read) before timing, as in a kernel. */
	(void)hooks_host(hk, project, true);
	t0 = cpu_us();
	for (int i = 0; i < n; i++) {
		struct plg_result	 r = { 0 };
		struct plg_val		 before[] = {
			PLG_STR("what", "cell"), PLG_STR("session", "s1"),
			PLG_STR("notebook", "/p/a.nb.lua"),
			PLG_STR("user", "ann"), PLG_STR("cell", "a"),
			PLG_STR("kind", "code"), PLG_STR("source", src),
		};
		struct plg_val		 after[] = {
			PLG_STR("what", "cell"), PLG_STR("session", "s1"),
			PLG_STR("notebook", "/p/a.nb.lua"),
			PLG_STR("user", "ann"), PLG_STR("cell", "a"),
			PLG_STR("source", src), PLG_STR("status", "ok"),
			PLG_INT("elapsed_ms", 1),
		};

		if (plg_hook_wanted(hooks_host(hk, project, false),
		    PLG_BEFORE_RUN))
			hooks_run(hk, project, PLG_BEFORE_RUN, before,
			    sizeof before / sizeof before[0], &r);
		if (plg_hook_wanted(hooks_host(hk, project, false),
		    PLG_AFTER_RUN))
			hooks_run(hk, project, PLG_AFTER_RUN, after,
			    sizeof after / sizeof after[0], &r);
		if (r.refused || r.nwarnings > 0)
			die("a hook said something", NULL);
		plg_result_fini(&r);
	}
	t0 = (cpu_us() - t0) / n;
	hooks_free(hk);
	return t0;
}

struct open_args {
	const char	*path;
};

static void
pack_open(msgpack_packer *pk, void *ctx)
{
	struct open_args *a = ctx;

	msgpack_pack_map(pk, 3);
	rpc_pack_kv_str(pk, "path", a->path);
	rpc_pack_kv_str(pk, "text", "-- %% id=\"a\"\n1 + 1\n");
	rpc_pack_kv_bool(pk, "ephemeral", true);
}

/* p50 of the trivial cell round trip of a notebook at nb (in a project
 * with or without the plugin). */
static double
round_trip(const char *galley, const char *nb, int rounds)
{
	struct cl_opts		 o;
	struct cl_conn		*c;
	struct gl_err		 err;
	struct rpc_msg		 m;
	struct open_args	 a = { nb };
	char			*sess;
	double			*t = xcalloc((size_t)rounds, sizeof *t), p50;

	cl_opts_init(&o);
	o.exe = galley;
	if (cl_connect(&o, &c, &err) != 0)
		die("connect", &err);
	if (cl_call(c, "session.open", pack_open, &a, &m, 10000, &err) != 0)
		die("session.open", &err);
	sess = rpc_map_strdup(m.result, "session");
	rpc_msg_fini(&m);
	for (int i = -50; i < rounds; i++) {
		struct rpc_writer	*w;
		uint32_t		 id;
		double			 t0 = bk_now_us();
		int			 done = 0;

		w = cl_begin(c, "cell.run", &id);
		msgpack_pack_map(&w->pk, 2);
		rpc_pack_kv_str(&w->pk, "session", sess);
		rpc_pack_key(&w->pk, "cells");
		msgpack_pack_array(&w->pk, 1);
		rpc_pack_str(&w->pk, "a");
		if (cl_send(c, &err) != 0 || cl_wait(c, id, &m, 10000,
		    &err) != 0)
			die("cell.run", &err);
		if (rpc_map_get(m.result, "warnings") != NULL)
			die("the plugin warned", NULL);
		rpc_msg_fini(&m);
		while (!done) {
			if (cl_next_notify(c, &m, 10000, &err) != 1)
				die("waiting for cell.done", &err);
			if (strcmp(m.method, "cell.done") == 0)
				done = 1;
			rpc_msg_fini(&m);
		}
		if (i >= 0)
			t[i] = bk_now_us() - t0;
	}
	qsort(t, (size_t)rounds, sizeof *t, bk_cmp_double);
	p50 = t[rounds / 2];
	free(sess);
	free(t);
	cl_close(c);
	return p50;
}

int
main(int argc, char **argv)
{
	char	 dir[] = "/tmp/galley-bench-XXXXXX";
	int	 rounds = argc > 2 ? atoi(argv[2]) : 3000;
	char	*p, *with, *without, cmd[128];
	double	 none, empty, rt0, rt1;

	if (argc < 2) {
		fprintf(stderr, "usage: bench_plugins GALLEY_BINARY "
		    "[ROUNDS]\n");
		return 2;
	}
	if (mkdtemp(dir) == NULL)
		die("mkdtemp", NULL);
	signal(SIGPIPE, SIG_IGN);
	setenv("GALLEY_RUNTIME_DIR", dir, 1);
	p = xasprintf("%s/config", dir);
	mkdir(p, 0700);
	setenv("XDG_CONFIG_HOME", p, 1);
	free(p);
	/* Two projects: one with an empty plugin, one without. */
	with = xasprintf("%s/with", dir);
	without = xasprintf("%s/without", dir);
	mkdir(with, 0755);
	mkdir(without, 0755);
	p = xasprintf("%s/.galley", with);
	mkdir(p, 0755);
	free(p);
	p = xasprintf("%s/.galley/plugins", with);
	mkdir(p, 0755);
	free(p);
	p = xasprintf("%s/.galley", without);
	mkdir(p, 0755);
	free(p);
	p = xasprintf("%s/.galley/plugins/empty.lua", with);
	put(p, "galley.on('before_run', function(ev) end)\n"
	    "galley.on('after_run', function(ev) end)\n");
	free(p);

	none = hooks_per_run(without, 200000);
	empty = hooks_per_run(with, 200000);
	printf("hooks of one cell run, no plugin:       %6.2f us CPU\n",
	    none);
	printf("hooks of one cell run, an empty plugin: %6.2f us CPU "
	    "(before_run and after_run; target <= 5 us)\n", empty);

	p = xasprintf("%s/a.nb.lua", without);
	rt0 = round_trip(argv[1], p, rounds);
	free(p);
	p = xasprintf("%s/a.nb.lua", with);
	rt1 = round_trip(argv[1], p, rounds);
	free(p);
	printf("trivial cell round trip p50: no plugin %6.0f us, with the "
	    "empty plugin %6.0f us (%d runs each)\n", rt0, rt1, rounds);
	bk_stop_kernel(argv[1]);
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	free(with);
	free(without);
	return system(cmd) != 0;
}

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

/* One trivial cell round trip of session sess: us. */
static double
one_trip(struct cl_conn *c, const char *sess)
{
	struct rpc_writer	*w;
	struct rpc_msg		 m;
	struct gl_err		 err;
	uint32_t		 id;
	double			 t0 = bk_now_us();
	int			 done = 0;

	w = cl_begin(c, "cell.run", &id);
	msgpack_pack_map(&w->pk, 2);
	rpc_pack_kv_str(&w->pk, "session", sess);
	rpc_pack_key(&w->pk, "cells");
	msgpack_pack_array(&w->pk, 1);
	rpc_pack_str(&w->pk, "a");
	if (cl_send(c, &err) != 0 || cl_wait(c, id, &m, 10000, &err) != 0)
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
	return bk_now_us() - t0;
}

/* p50 of the trivial cell round trip of a notebook without the plugin
 * (nb0) and with it (nb1), their rounds taken in turn so that both see
 * the same machine. */
static void
round_trips(const char *galley, const char *nb0, const char *nb1,
    int rounds, double *p0, double *p1)
{
	struct cl_opts		 o;
	struct cl_conn		*c;
	struct gl_err		 err;
	struct rpc_msg		 m;
	struct open_args	 a;
	char			*sess[2];
	double			*t[2];

	cl_opts_init(&o);
	o.exe = galley;
	if (cl_connect(&o, &c, &err) != 0)
		die("connect", &err);
	for (int k = 0; k < 2; k++) {
		a.path = k == 0 ? nb0 : nb1;
		if (cl_call(c, "session.open", pack_open, &a, &m, 10000,
		    &err) != 0)
			die("session.open", &err);
		sess[k] = rpc_map_strdup(m.result, "session");
		rpc_msg_fini(&m);
		t[k] = xcalloc((size_t)rounds, sizeof *t[k]);
	}
	for (int i = -50; i < rounds; i++)
		for (int k = 0; k < 2; k++) {
			double us = one_trip(c, sess[(i + k) & 1]);

			if (i >= 0)
				t[(i + k) & 1][i] = us;
		}
	for (int k = 0; k < 2; k++) {
		qsort(t[k], (size_t)rounds, sizeof *t[k], bk_cmp_double);
		free(sess[k]);
	}
	*p0 = t[0][rounds / 2];
	*p1 = t[1][rounds / 2];
	free(t[0]);
	free(t[1]);
	cl_close(c);
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

	{
		char	*nb0 = xasprintf("%s/a.nb.lua", without);
		char	*nb1 = xasprintf("%s/a.nb.lua", with);

		round_trips(argv[1], nb0, nb1, rounds, &rt0, &rt1);
		free(nb0);
		free(nb1);
	}
	printf("trivial cell round trip p50: no plugin %6.0f us, with the "
	    "empty plugin %6.0f us (%d runs each, in turn)\n", rt0, rt1,
	    rounds);
	bk_stop_kernel(argv[1]);
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	free(with);
	free(without);
	return system(cmd) != 0;
}

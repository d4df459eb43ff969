/*
 * bench_registry.c - the library registry's figures (issue 13):
 *   require of a pinned module found in the content cache, in a cell:
 *     the runtime asks the kernel, which reads galley.lock and the cache,
 *     records the load and answers with the files, which the cell loads
 *     (target <= 200 us). Measured as the difference between a cell that
 *     requires 100 distinct modules (each the first time in a fresh
 *     runtime) and one that does not, divided by 100;
 *   who-uses of a module over 1,000,000 load records (200 users, 5
 *     notebooks each, 20 versions), all rows and those below a version
 *     (target <= 20 ms).
 * usage: bench_registry GALLEY_BINARY
 * Everything lives in a temporary directory (registry, cache, state,
 * runtime directory); the kernel it starts is stopped.
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
#include "core/rpc.h"
#include "kernel/lib.h"
#include "review/registry.h"
#include "review/repo.h"

#define NMODS	100

static void
die(const char *what, const struct gl_err *err)
{
	fprintf(stderr, "bench_registry: %s: %s\n", what, err ? err->msg : "");
	exit(1);
}

static void
bench_who_uses(const char *dir)
{
	char		*db = xasprintf("%s/libs.db", dir);
	struct lib	*l;
	struct gl_err	 err;
	struct lib_load	*v = xcalloc(10000, sizeof *v);
	char		 users[200][16], nbs[1000][32], vers[20][16];
	double		 t0, tins, all[15], below[15];
	struct rpc_writer w;

	if (lib_new(db, &l, &err) != 0)
		die("lib_new", &err);
	for (int i = 0; i < 200; i++)
		snprintf(users[i], sizeof users[i], "user%d", i);
	for (int i = 0; i < 1000; i++)
		snprintf(nbs[i], sizeof nbs[i], "/home/u/nb%d.nb.lua", i);
	for (int i = 0; i < 20; i++)
		snprintf(vers[i], sizeof vers[i], "1.%d.0", i);
	t0 = bk_now_us();
	for (int b = 0; b < 100; b++) {
		for (int i = 0; i < 10000; i++) {
			int	 k = b * 10000 + i, u = k % 200;

			v[i].ts_ms = 1700000000000LL + k;
			v[i].user = users[u];
			v[i].notebook = nbs[u * 5 + k / 200 % 5];
			/* Versions move on over time, unevenly. */
			v[i].version = vers[(k / 50000 + u % 7) % 20];
			v[i].module = "stats";
			v[i].host = "h1";
		}
		if (lib_record(l, v, 10000, &err) != 0)
			die("lib_record", &err);
	}
	tins = (bk_now_us() - t0) / 1e6;
	rpc_writer_init(&w);
	for (int i = 0; i < 15; i++) {
		rpc_writer_reset(&w);
		t0 = bk_now_us();
		if (lib_who_uses(l, "stats", NULL, &w.pk, &err) != 0)
			die("who-uses", &err);
		all[i] = bk_now_us() - t0;
		rpc_writer_reset(&w);
		t0 = bk_now_us();
		if (lib_who_uses(l, "stats", "1.10.0", &w.pk, &err) != 0)
			die("who-uses", &err);
		below[i] = bk_now_us() - t0;
	}
	qsort(all, 15, sizeof *all, bk_cmp_double);
	qsort(below, 15, sizeof *below, bk_cmp_double);
	printf("1,000,000 load records written in %.1f s (10,000 a "
	    "transaction)\n", tins);
	printf("who-uses stats over them:        %6.2f ms (all rows), "
	    "%6.2f ms (@<1.10.0); median of 15 (target <= 20 ms)\n",
	    all[7] / 1000, below[7] / 1000);
	rpc_writer_fini(&w);
	lib_free(l);
	free(v);
	free(db);
}

/* A bare registry with modules m1..m100, a project pinning them all in
 * galley.lock, and the versions in the content cache. */
static void
make_registry(const char *dir, const char *proj)
{
	char		*regp = xasprintf("%s/reg.git", dir);
	char		 commit[REPO_OID_HEX];
	struct repo	*r;
	struct reg	*g;
	struct reg_pin	*pins = xcalloc(NMODS, sizeof *pins);
	struct gl_err	 err;

	if (repo_init(regp, true, &r, &err) != 0)
		die("repo_init", &err);
	for (int i = 0; i < NMODS; i++) {
		char		 name[16], *src, *tag;
		struct repo_file f;

		snprintf(name, sizeof name, "m%d", i + 1);
		src = xasprintf("-- %s: a module\nlocal M = { n = %d }\n"
		    "function M.twice(x) return 2 * x end\nreturn M\n", name,
		    i + 1);
		f = (struct repo_file){ "init.lua", src, strlen(src) };
		if (repo_commit_dir(r, "main", name, &f, 1, "Ann <a@x>", name,
		    commit, &err) != 0)
			die("commit", &err);
		tag = xasprintf("%s/v1.0.0", name);
		if (repo_tag_create(r, tag, commit, "Ann <a@x>", name,
		    &err) != 0)
			die("tag", &err);
		free(tag);
		free(src);
	}
	repo_free(r);
	if (reg_open(regp, &g, &err) != 0 || reg_fetch(g, &err) != 0)
		die("registry", &err);
	for (int i = 0; i < NMODS; i++) {
		struct reg_module m;
		char		 name[16];

		snprintf(name, sizeof name, "m%d", i + 1);
		if (reg_module_get(g, name, "1.0.0", NULL, &m, &err) != 0)
			die("fetch", &err);
		pins[i].name = xstrdup(name);
		pins[i].version = xstrdup("1.0.0");
		memcpy(pins[i].commit, m.commit, sizeof pins[i].commit);
		memcpy(pins[i].hash, m.hash, sizeof pins[i].hash);
		reg_module_fini(&m);
	}
	if (reg_lock_write(proj, pins, NMODS, &err) != 0)
		die("galley.lock", &err);
	reg_pins_free(pins, NMODS);
	reg_free(g);
	free(regp);
}

struct open_args {
	const char	*path;
	const char	*text;
};

static void
pack_open(msgpack_packer *pk, void *ctx)
{
	struct open_args *a = ctx;

	msgpack_pack_map(pk, 3);
	rpc_pack_kv_str(pk, "path", a->path);
	rpc_pack_kv_str(pk, "text", a->text);
	rpc_pack_kv_bool(pk, "ephemeral", true);
}

/* The pids of the kernel and of sess's runtime. */
static void
pids(struct cl_conn *c, const char *sess, long *kernel, long *runtime)
{
	struct rpc_msg	 m;
	struct gl_err	 err;

	if (cl_call(c, "kernel.info", NULL, NULL, &m, 10000, &err) != 0)
		die("kernel.info", &err);
	*kernel = (long)rpc_map_int(m.result, "pid", 0);
	rpc_msg_fini(&m);
	if (cl_call(c, "session.list", NULL, NULL, &m, 10000, &err) != 0)
		die("session.list", &err);
	for (uint32_t i = 0; m.result->type == MSGPACK_OBJECT_ARRAY &&
	    i < m.result->via.array.size; i++)
		if (rpc_obj_streq(rpc_map_get(&m.result->via.array.ptr[i],
		    "session"), sess))
			*runtime = (long)rpc_map_int(
			    &m.result->via.array.ptr[i], "runtime_pid", 0);
	rpc_msg_fini(&m);
}

/* Runs cell of sess and waits for its cell.done: us. */
static double
run_cell(struct cl_conn *c, const char *sess, const char *cell)
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
	rpc_pack_str(&w->pk, cell);
	if (cl_send(c, &err) != 0 || cl_wait(c, id, &m, 10000, &err) != 0)
		die("cell.run", &err);
	rpc_msg_fini(&m);
	while (!done) {
		if (cl_next_notify(c, &m, 30000, &err) != 1)
			die("waiting for cell.done", &err);
		if (strcmp(m.method, "cell.done") == 0) {
			if (!rpc_obj_streq(rpc_map_get(m.args, "status"), "ok"))
				die("the cell failed", NULL);
			done = 1;
		}
		rpc_msg_fini(&m);
	}
	return bk_now_us() - t0;
}

static void
bench_require(const char *galley, const char *dir)
{
	char		*proj = xasprintf("%s/proj", dir), *nb, *cfg;
	struct gl_buf	 text;
	struct cl_opts	 o;
	struct cl_conn	*c;
	struct gl_err	 err;
	struct rpc_msg	 m;
	struct open_args a;
	char		*sess;
	double		 with[21], without[21], cpu[21];

	mkdir(proj, 0755);
	cfg = xasprintf("%s/.galley", proj);
	mkdir(cfg, 0755);
	free(cfg);
	make_registry(dir, proj);
	nb = xasprintf("%s/bench.nb.lua", proj);
	gl_buf_init(&text);
	gl_buf_adds(&text, "-- %% id=\"none\"\nlocal s = 0\n"
	    "for i = 1, 100 do s = s + i end\n\n"
	    "-- %% id=\"req\"\nlocal s = 0\n");
	for (int i = 0; i < NMODS; i++)
		gl_buf_addf(&text, "s = s + require(\"m%d\").n\n", i + 1);
	cl_opts_init(&o);
	o.exe = galley;
	if (cl_connect(&o, &c, &err) != 0)
		die("connect", &err);
	a.path = nb;
	a.text = text.data;
	if (cl_call(c, "session.open", pack_open, &a, &m, 10000, &err) != 0)
		die("session.open", &err);
	sess = rpc_map_strdup(m.result, "session");
	rpc_msg_fini(&m);
	for (int i = 0; i < 21; i++) {
		long	 kp = 0, rp = 0;
		double	 c0, c1, c2;

		/* A fresh runtime: every require is its first. */
		if (cl_call(c, "runtime.restart", cl_pack_session, sess, &m, 10000,
		    &err) != 0)
			die("runtime.restart", &err);
		rpc_msg_fini(&m);
		(void)run_cell(c, sess, "none");	/* started */
		pids(c, sess, &kp, &rp);
		c0 = bk_proc_cpu_us(kp) + bk_proc_cpu_us(rp);
		without[i] = run_cell(c, sess, "none");
		c1 = bk_proc_cpu_us(kp) + bk_proc_cpu_us(rp);
		with[i] = run_cell(c, sess, "req");
		c2 = bk_proc_cpu_us(kp) + bk_proc_cpu_us(rp);
		cpu[i] = (c2 - c1) - (c1 - c0);
	}
	qsort(with, 21, sizeof *with, bk_cmp_double);
	qsort(without, 21, sizeof *without, bk_cmp_double);
	qsort(cpu, 21, sizeof *cpu, bk_cmp_double);
	printf("require of a pinned, cached module in a cell: %6.0f us "
	    "(median of 21 cells of %d requires, less an empty cell; target "
	    "<= 200 us)\n", (with[10] - without[10]) / NMODS, NMODS);
	printf("  of which CPU, kernel and runtime:           %6.0f us\n",
	    cpu[10] / NMODS);
	free(sess);
	cl_close(c);
	gl_buf_fini(&text);
	free(nb);
	free(proj);
}

int
main(int argc, char **argv)
{
	char	 dir[] = "/tmp/galley-bench-XXXXXX";
	char	*p, cmd[128];

	if (argc < 2) {
		fprintf(stderr, "usage: bench_registry GALLEY_BINARY\n");
		return 2;
	}
	if (mkdtemp(dir) == NULL)
		die("mkdtemp", NULL);
	signal(SIGPIPE, SIG_IGN);
	setenv("GALLEY_RUNTIME_DIR", dir, 1);
	p = xasprintf("%s/cache", dir);
	setenv("XDG_CACHE_HOME", p, 1);
	free(p);
	p = xasprintf("%s/state", dir);
	setenv("XDG_STATE_HOME", p, 1);
	free(p);
	p = xasprintf("%s/config", dir);
	setenv("XDG_CONFIG_HOME", p, 1);
	free(p);
	bench_require(argv[1], dir);
	bk_stop_kernel(argv[1]);
	bench_who_uses(dir);
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	return system(cmd) != 0;
}

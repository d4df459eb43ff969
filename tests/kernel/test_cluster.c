/*
 * test_cluster.c - the cluster end to end, with real processes: a forked
 * kernel, its runtime, `galley worker` processes started by the local
 * launcher, cells that call cluster.map and cluster.submit. Results equal
 * a serial run; a worker killed with SIGKILL in the middle of a map loses
 * no result; a worker without the secret is refused; a value that cannot
 * travel names its path; a task's error comes back with its traceback
 * and item; idle workers stop; a usage limit refuses work; an interrupt
 * stops a cell waiting on a long map and cancels its tasks.
 *
 * Each test has its own kernel, configuration ($XDG_CONFIG_HOME) and
 * usage database ($XDG_STATE_HOME) under a temporary directory, removed
 * at the end with every process the test started.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pwd.h>

#include "kclient.h"

#define WAIT_MS		30000

struct fx {
	struct kt	 t;
	struct kc	*k;
	char		*sid;
	char		*text;		/* the last outputs or error read */
	char		 cfgdir[256];
};

static void
fx_config(struct fx *f, const char *lua)
{
	char	*dir = xasprintf("%s/galley", f->cfgdir);
	char	*path;

	mkdir(dir, 0700);
	path = kt_write(dir, "init.lua", lua);
	free(path);
	free(dir);
}

static int
setup(void **state)
{
	struct fx	*f = xcalloc(1, sizeof *f);
	char		 st[256];

	kt_init(&f->t);
	snprintf(f->cfgdir, sizeof f->cfgdir, "%s/config", f->t.root);
	snprintf(st, sizeof st, "%s/state", f->t.root);
	mkdir(f->cfgdir, 0700);
	mkdir(st, 0700);
	setenv("XDG_CONFIG_HOME", f->cfgdir, 1);
	setenv("XDG_STATE_HOME", st, 1);
	fx_config(f, "cluster = { workers = 2 }\n");
	assert_true(kt_start(&f->t) > 0);
	f->k = kc_connect_unix(f->t.sock);
	assert_non_null(f->k);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx	*f = *state;
	int		 st;

	kc_free(f->k);
	free(f->sid);
	free(f->text);
	st = kt_stop(&f->t);
	kt_fini(&f->t);
	free(f);
	assert_int_equal(st, 0);
	return 0;
}

/* Opens an ephemeral session on text (cells with ids). */
static void
fx_open(struct fx *f, const char *text)
{
	char	*path = xasprintf("%s/c.nb.lua", f->t.proj);
	json_t	*r = kc_call(f->k, "session.open", json_pack("{s:s, s:s, s:b}",
	    "path", path, "text", text, "ephemeral", 1));

	assert_non_null(r);
	free(f->sid);
	f->sid = xstrdup(kj_str(r, "session"));
	json_decref(r);
	free(path);
}

static long long
fx_start(struct fx *f, const char *cell)
{
	json_t		*r;
	long long	 run;

	r = kc_call(f->k, "cell.run", json_pack("{s:s, s:[s]}", "session",
	    f->sid, "cells", cell));
	assert_non_null(r);
	run = kj_int(json_array_get(json_object_get(r, "runs"), 0), "run");
	json_decref(r);
	return run;
}

/* Waits for run's cell.done; *text (if not NULL) gets the cell's
 * outputs as text (caller frees). */
static json_t *
fx_done(struct fx *f, long long run, const char *cell, char **text)
{
	json_t	*n = kc_note(f->k, "cell.done", "run", json_integer(run),
	    WAIT_MS);
	json_t	*o;

	assert_non_null(n);
	if (text != NULL) {
		o = kc_call(f->k, "cell.outputs", json_pack("{s:s, s:s}",
		    "session", f->sid, "cell", cell));
		assert_non_null(o);
		*text = kj_outputs_text(json_object_get(o, "outputs"));
		json_decref(o);
	}
	return n;
}

/* Runs cell and expects status; returns its outputs' text (kept in the
 * fixture, so that a failed assertion leaks nothing into the kernels
 * the next tests fork). */
static const char *
fx_run(struct fx *f, const char *cell, const char *status)
{
	char	*text;
	json_t	*n = fx_done(f, fx_start(f, cell), cell, &text);

	free(f->text);
	f->text = text;
	if (strcmp(kj_str(n, "status"), status) != 0 || getenv("KT_LOG"))
		fprintf(stderr, "cell %s: %s (%s)\n%s\n", cell,
		    kj_str(n, "status"), kj_str(json_object_get(n, "error"),
		    "message"), text);
	if (strcmp(kj_str(n, "status"), status) != 0) {
		json_decref(n);
		fail();
	}
	json_decref(n);
	return text;
}

/* The message of a failed run's error (kept in the fixture). */
static const char *
fx_error(struct fx *f, const char *cell)
{
	json_t	*n = fx_done(f, fx_start(f, cell), cell, NULL);
	bool	 error = strcmp(kj_str(n, "status"), "error") == 0;

	free(f->text);
	f->text = xstrdup(error ? kj_str(json_object_get(n, "error"),
	    "message") : kj_str(n, "status"));
	json_decref(n);
	if (!error)
		fail_msg("cell %s: %s, not error", cell, f->text);
	return f->text;
}

static json_t *
fx_status(struct fx *f)
{
	json_t *s = kc_call(f->k, "cluster.status", NULL);

	assert_non_null(s);
	return s;
}

#define assert_contains(hay, needle) do {				\
	const char *h_ = (hay), *n_ = (needle);				\
	if (h_ == NULL || strstr(h_, n_) == NULL) {			\
		fprintf(stderr, "expected \"%s\" in:\n%s\n", n_,	\
		    h_ != NULL ? h_ : "(null)");			\
		fail();							\
	}								\
} while (0)

/* A helper from an earlier cell, upvalues, integers and floats, strings
 * of any bytes, tables: the map gives what a serial loop gives. Futures
 * too. */
static void
test_map_equals_serial(void **state)
{
	struct fx	*f = *state;
	const char	*out;
	json_t		*s;
	uint64_t	 deadline;
	size_t		 n;

	fx_open(f,
	    "-- %% id=\"a\"\n"
	    "local function sq(x) return x * x end\n"
	    "function helper(x) return sq(x) + 1 end\n"
	    "-- %% id=\"b\"\n"
	    "local k = 10\n"
	    "local function fn(x)\n"
	    "  if type(x) == 'number' then return helper(x) + k end\n"
	    "  if type(x) == 'string' then return x:upper() .. #x end\n"
	    "  return { n = #x, sum = x[1] + x[2], nested = { x } }\n"
	    "end\n"
	    "local items = {}\n"
	    "for i = 1, 150 do items[#items + 1] = i end\n"
	    "for i = 1, 20 do items[#items + 1] = i + 0.5 end\n"
	    "items[#items + 1] = 'a\\0b\\255c'\n"
	    "items[#items + 1] = { 3, 4 }\n"
	    "local r = cluster.map(fn, items)\n"
	    "local function eq(a, b)\n"
	    "  if type(a) ~= type(b) then return false end\n"
	    "  if type(a) == 'number' then\n"
	    "    return a == b and math.type(a) == math.type(b) end\n"
	    "  if type(a) ~= 'table' then return a == b end\n"
	    "  for key, v in pairs(a) do\n"
	    "    if not eq(v, b[key]) then return false end end\n"
	    "  for key in pairs(b) do\n"
	    "    if a[key] == nil then return false end end\n"
	    "  return true\n"
	    "end\n"
	    "local same = #r == #items\n"
	    "for i = 1, #items do\n"
	    "  if not eq(r[i], fn(items[i])) then same = false end\n"
	    "end\n"
	    "print(same and 'EQUAL' or 'DIFFERENT', #r, math.type(r[1]),\n"
	    "    math.type(r[151]))\n"
	    "-- %% id=\"c\"\n"
	    "local f1 = cluster.submit(function(a, b) return helper(a) * b,"
	    " 'two' end, 3, 2)\n"
	    "print('submit', f1:result())\n"
	    "print('done', f1:done())\n"
	    "local fs = {}\n"
	    "for i = 1, 30 do fs[i] = cluster.submit(helper, i) end\n"
	    "local g = cluster.gather(fs)\n"
	    "local ok = #g == 30\n"
	    "for i = 1, 30 do ok = ok and g[i] == helper(i) end\n"
	    "print('gather', ok)\n"
	    "print('workers', #cluster.workers())\n"
	    "-- %% id=\"d\"\n"
	    "print('empty', #cluster.map(fn, {}))\n"
	    "-- %% id=\"e\"\n"
	    "late = cluster.submit(function()\n"
	    "  local t = os.clock()\n"
	    "  while os.clock() - t < 0.2 do end\n"
	    "  return 'late'\n"
	    "end)\n"
	    "local bad = cluster.submit(function() error('boom') end)\n"
	    "print('bad', pcall(bad.result, bad))\n"
	    "local long = cluster.submit(function()\n"
	    "  local t = os.clock()\n"
	    "  while os.clock() - t < 30 do end\n"
	    "end)\n"
	    "print('cancel', long:cancel(), long:done(), long:cancel())\n"
	    "print('cancelled', pcall(long.result, long))\n"
	    "-- %% id=\"f\"\n"
	    "print('kept', late:result(), late:done())\n");
	(void)fx_run(f, "a", "ok");
	out = fx_run(f, "b", "ok");
	assert_contains(out, "EQUAL\t172\tinteger\tfloat");
	out = fx_run(f, "c", "ok");
	assert_contains(out, "submit\t20\ttwo");
	assert_contains(out, "done\ttrue");
	assert_contains(out, "gather\ttrue");
	assert_contains(out, "workers\t");
	out = fx_run(f, "d", "ok");
	assert_contains(out, "empty\t0");
	/* Futures: an error, a cancel, one that outlives its cell. */
	out = fx_run(f, "e", "ok");
	assert_contains(out, "bad\tfalse\tcluster.submit: task failed: "
	    "c.nb.lua:");
	assert_contains(out, "boom");
	assert_contains(out, "cancel\ttrue\ttrue\tfalse");
	assert_contains(out, "cancelled\tfalse\tcluster: the future was "
	    "cancelled");
	out = fx_run(f, "f", "ok");
	assert_contains(out, "kept\tlate\ttrue");
	/* cluster.scale from a client: down to one worker. */
	assert_null(kc_call(f->k, "cluster.scale", json_pack("{s:i}", "n",
	    -1)));
	assert_int_equal(f->k->code, GL_EINVAL);
	s = kc_call(f->k, "cluster.scale", json_pack("{s:i}", "n", 1));
	assert_non_null(s);
	assert_int_equal(kj_int(s, "n"), 1);
	json_decref(s);
	deadline = kc_now_ms() + WAIT_MS;
	do {
		s = fx_status(f);
		n = json_array_size(json_object_get(s, "workers"));
		json_decref(s);
		if (n != 1)
			(void)kc_pump(f->k, kc_now_ms() + 20);
	} while (n != 1 && kc_now_ms() < deadline);
	assert_int_equal(n, 1);
}

/* The pid of a busy worker from cluster.status, or -1. */
static int
busy_worker(struct fx *f)
{
	json_t	*s = fx_status(f), *w;
	size_t	 i;
	int	 pid = -1;

	json_array_foreach(json_object_get(s, "workers"), i, w) {
		if (strcmp(kj_str(w, "state"), "busy") == 0 &&
		    kj_int(w, "pid") > 0)
			pid = (int)kj_int(w, "pid");
	}
	json_decref(s);
	return pid;
}

/* kill -9 of a worker in the middle of a map: every result still comes,
 * and progress was broadcast and shown under the cell. */
static void
test_kill9_worker(void **state)
{
	struct fx	*f = *state;
	json_t		*n, *outs;
	long long	 run;
	uint64_t	 deadline;
	char		*out, *log, path[300];
	int		 pid = -1;
	bool		 progress_output = false;
	size_t		 i;
	json_t		*o;

	fx_open(f,
	    "-- %% id=\"a\"\n"
	    "local items = {}\n"
	    "for i = 1, 60 do items[i] = i end\n"
	    "local r = cluster.map(function(x)\n"
	    "  local t = os.clock()\n"
	    "  while os.clock() - t < 0.03 do end\n"
	    "  return x * 3\n"
	    "end, items)\n"
	    "local all = #r == 60\n"
	    "for i = 1, 60 do all = all and r[i] == 3 * i end\n"
	    "print(all and 'ALL' or 'MISSING', #r)\n");
	run = fx_start(f, "a");
	n = kc_note(f->k, "cluster.progress", NULL, NULL, WAIT_MS);
	assert_non_null(n);
	assert_string_equal(kj_str(n, "session"), f->sid);
	assert_int_equal(kj_int(n, "total"), 60);
	json_decref(n);
	deadline = kc_now_ms() + WAIT_MS;
	while ((pid = busy_worker(f)) < 0 && kc_now_ms() < deadline)
		(void)kc_pump(f->k, kc_now_ms() + 20);
	assert_true(pid > 0);
	assert_int_equal(kill(pid, SIGKILL), 0);
	n = fx_done(f, run, "a", &out);
	free(f->text);
	f->text = out;
	assert_string_equal(kj_str(n, "status"), "ok");
	assert_contains(out, "ALL\t60");
	json_decref(n);
	assert_true(kt_pid_gone(pid, WAIT_MS));
	/* The cell shows one progress bar, at 60 of 60. */
	o = kc_call(f->k, "cell.outputs", json_pack("{s:s, s:s}", "session",
	    f->sid, "cell", "a"));
	assert_non_null(o);
	outs = json_object_get(o, "outputs");
	json_array_foreach(outs, i, n) {
		if (kj_str(n, "type") == NULL ||
		    strcmp(kj_str(n, "type"), "progress") != 0)
			continue;
		assert_false(progress_output);
		progress_output = true;
		assert_int_equal(kj_int(n, "done"), 60);
		assert_int_equal(kj_int(n, "total"), 60);
	}
	assert_true(progress_output);
	json_decref(o);
	/* The kernel says which worker died and how. */
	snprintf(path, sizeof path, "%s/kernel.log", f->t.root);
	log = kt_read(path);
	assert_contains(log, "killed by signal 9");
	free(log);
}

/* A worker without the cluster secret is refused; one with it joins. */
static void
test_wrong_secret(void **state)
{
	struct fx	*f = *state;
	json_t		*s, *w;
	char		*bad, *good, errbuf[4096];
	char		 addr[128];
	const char	*argv[10];
	int		 perr[2], st, pid;
	ssize_t		 n;
	size_t		 got = 0, i;
	uint64_t	 deadline;
	bool		 joined = false;

	s = fx_status(f);
	snprintf(addr, sizeof addr, "%s", kj_str(s, "listen"));
	json_decref(s);
	assert_true(strncmp(addr, "127.0.0.1:", 10) == 0);
	bad = kt_write(f->t.root, "wrong.secret",
	    "00112233445566778899aabbccddeeff"
	    "00112233445566778899aabbccddeeff\n");
	chmod(bad, 0600);
	good = xasprintf("%s/cluster.secret", f->t.run);

	assert_int_equal(pipe(perr), 0);
	if ((pid = fork()) == 0) {
		dup2(perr[1], 2);
		close(perr[0]);
		close(perr[1]);
		execl(getenv("GALLEY_BIN"), "galley", "worker", "--connect",
		    addr, "--secret-file", bad, "--name", "intruder",
		    (char *)NULL);
		_exit(127);
	}
	close(perr[1]);
	while (got < sizeof errbuf - 1 && (n = read(perr[0], errbuf + got,
	    sizeof errbuf - 1 - got)) > 0)
		got += (size_t)n;
	errbuf[got] = '\0';
	close(perr[0]);
	st = kt_reap(pid, WAIT_MS);
	assert_true(WIFEXITED(st));
	assert_int_not_equal(WEXITSTATUS(st), 0);
	assert_contains(errbuf, "wrong cluster secret");
	s = fx_status(f);
	assert_int_equal(json_array_size(json_object_get(s, "workers")), 0);
	json_decref(s);

	/* The right secret joins; SIGTERM makes it leave cleanly. */
	argv[0] = "galley";
	if ((pid = fork()) == 0) {
		int null = open("/dev/null", O_WRONLY);

		dup2(null, 2);
		execl(getenv("GALLEY_BIN"), "galley", "worker", "--connect",
		    addr, "--secret-file", good, "--name", "manual",
		    (char *)NULL);
		_exit(127);
	}
	(void)argv;
	deadline = kc_now_ms() + WAIT_MS;
	while (!joined && kc_now_ms() < deadline) {
		s = fx_status(f);
		json_array_foreach(json_object_get(s, "workers"), i, w)
			joined |= strcmp(kj_str(w, "name"), "manual") == 0 &&
			    kj_int(w, "pid") == pid;
		json_decref(s);
		if (!joined)
			(void)kc_pump(f->k, kc_now_ms() + 20);
	}
	assert_true(joined);
	kill(pid, SIGTERM);
	st = kt_reap(pid, WAIT_MS);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);

	/* --secret-file -: the secret on stdin, and the end of stdin ends
	 * the worker (what the ssh launcher relies on). */
	{
		char	*secret = kt_read(good);
		int	 pin[2];

		assert_non_null(secret);
		assert_int_equal(pipe(pin), 0);
		if ((pid = fork()) == 0) {
			int null = open("/dev/null", O_WRONLY);

			dup2(pin[0], 0);
			close(pin[0]);
			close(pin[1]);
			dup2(null, 2);
			execl(getenv("GALLEY_BIN"), "galley", "worker",
			    "--connect", addr, "--secret-file", "-", "--name",
			    "piped", (char *)NULL);
			_exit(127);
		}
		close(pin[0]);
		assert_int_equal(write(pin[1], secret, strlen(secret)),
		    (ssize_t)strlen(secret));
		assert_int_equal(write(pin[1], "\n", 1), 1);
		free(secret);
		joined = false;
		deadline = kc_now_ms() + WAIT_MS;
		while (!joined && kc_now_ms() < deadline) {
			s = fx_status(f);
			json_array_foreach(json_object_get(s, "workers"), i, w)
				joined |= strcmp(kj_str(w, "name"),
				    "piped") == 0;
			json_decref(s);
			if (!joined)
				(void)kc_pump(f->k, kc_now_ms() + 20);
		}
		assert_true(joined);
		close(pin[1]);
		st = kt_reap(pid, WAIT_MS);
		assert_true(WIFEXITED(st));
		assert_int_equal(WEXITSTATUS(st), 0);
	}
	free(bad);
	free(good);
}

/* A value that cannot travel fails the call with its path, before any
 * task runs. */
static void
test_undecodable(void **state)
{
	struct fx	*f = *state;
	const char	*msg;

	fx_open(f,
	    "-- %% id=\"a\"\n"
	    "local co = coroutine.create(function() end)\n"
	    "local function f(x) return co end\n"
	    "cluster.map(function(x) return f(x) end, {1, 2})\n"
	    "-- %% id=\"b\"\n"
	    "cluster.map(function(x) return x end, {1, {io.stdout}})\n");
	msg = fx_error(f, "a");
	assert_contains(msg, "upvalue 'f'");
	assert_contains(msg, "upvalue 'co'");
	assert_contains(msg, "a coroutine");
	msg = fx_error(f, "b");
	assert_contains(msg, "item 2 field [1]");
	assert_contains(msg, "FILE*");
}

/* A task's error: raised with the worker's traceback and the item; or
 * collected, the other results kept. */
static void
test_task_error(void **state)
{
	struct fx	*f = *state;
	const char	*msg, *out;

	fx_open(f,
	    "-- %% id=\"a\"\n"
	    "local function check(x)\n"
	    "  if x == 3 then error('bad item ' .. x) end\n"
	    "  return x * 2\n"
	    "end\n"
	    "cluster.map(function(x) local v = check(x) return v end,\n"
	    "    {1, 2, 3, 4})\n"
	    "-- %% id=\"b\"\n"
	    "local r, errs = cluster.map(function(x)\n"
	    "  if x % 3 == 0 then error('no ' .. x) end\n"
	    "  print('item', x)\n"
	    "  return x * 2\n"
	    "end, {1, 2, 3, 4, 5, 6, 7}, {errors = 'collect'})\n"
	    "print('results', r[1], r[2], r[3], r[4], r[5], r[6], r[7])\n"
	    "print('errors', #errs, errs[1].item, errs[2].item)\n"
	    "print('message', errs[1].message)\n"
	    "print('traceback',\n"
	    "    errs[1].traceback:find('in function') ~= nil)\n");
	msg = fx_error(f, "a");
	assert_contains(msg, "item 3 (3) failed on worker local-");
	assert_contains(msg, "c.nb.lua:3: bad item 3");
	assert_contains(msg, "worker traceback");
	assert_contains(msg, "in upvalue 'check'");
	out = fx_run(f, "b", "ok");
	assert_contains(out, "results\t2\t4\tnil\t8\t10\tnil\t14");
	assert_contains(out, "errors\t2\t3\t6");
	assert_contains(out, "message\tc.nb.lua:10: no 3");
	assert_contains(out, "traceback\ttrue");
	/* What tasks print shows in the cell, in item order. */
	assert_contains(out, "item\t1\nitem\t2\nitem\t4\nitem\t5\nitem\t7\n");
}

/* Workers idle for idle_timeout are stopped, processes and all. */
static void
test_idle_timeout(void **state)
{
	struct fx	*f = *state;
	json_t		*s, *w;
	int		 pids[8], npids = 0;
	size_t		 i;
	uint64_t	 deadline;
	const char	*out;

	fx_config(f, "cluster = { workers = 2, idle_timeout = 1 }\n");
	fx_open(f,
	    "-- %% id=\"a\"\n"
	    "print(#cluster.map(function(x) return x end, {1, 2, 3, 4}))\n");
	out = fx_run(f, "a", "ok");
	assert_contains(out, "4");
	s = fx_status(f);
	json_array_foreach(json_object_get(s, "workers"), i, w)
		if (npids < 8)
			pids[npids++] = (int)kj_int(w, "pid");
	json_decref(s);
	assert_true(npids > 0);
	deadline = kc_now_ms() + WAIT_MS;
	for (;;) {
		s = fx_status(f);
		i = json_array_size(json_object_get(s, "workers"));
		json_decref(s);
		if (i == 0 || kc_now_ms() >= deadline)
			break;
		(void)kc_pump(f->k, kc_now_ms() + 50);
	}
	assert_int_equal(i, 0);
	for (int k = 0; k < npids; k++)
		assert_true(kt_pid_gone(pids[k], WAIT_MS));
	/* And work starts them again. */
	out = fx_run(f, "a", "ok");
	assert_contains(out, "4");
}

/* The workers up and starting, and the jobs, in cluster.status. */
static void
fx_counts(struct fx *f, size_t *up, long long *starting, size_t *jobs)
{
	json_t	*s = fx_status(f);

	*up = json_array_size(json_object_get(s, "workers"));
	*starting = kj_int(s, "starting");
	*jobs = json_array_size(json_object_get(s, "jobs"));
	json_decref(s);
}

/* cluster.scale(1) keeps one worker but caps nothing: a later map still
 * gets the configuration's three, and when they idle one stays.
 * cluster.scale(0) holds: no worker starts for a map (it waits) until
 * the size is raised. With the real local launcher. */
static void
test_scale_is_a_floor(void **state)
{
	struct fx	*f = *state;
	json_t		*r;
	size_t		 up = 0, jobs = 0;
	long long	 starting = 0, run;
	uint64_t	 deadline;
	const char	*out;

	fx_config(f, "cluster = { workers = 3, idle_timeout = 1 }\n");
	fx_open(f,
	    "-- %% id=\"one\"\n"
	    "print('scale', cluster.scale(1))\n\n"
	    "-- %% id=\"map\"\n"
	    "local pids = cluster.map(function(x)\n"
	    "  local t = os.clock()\n"
	    "  while os.clock() - t < 0.2 do end\n"
	    "  return io.open('/proc/self/stat'):read('n')\n"
	    "end, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12})\n"
	    "local seen, n = {}, 0\n"
	    "for _, p in ipairs(pids) do\n"
	    "  if not seen[p] then seen[p] = true; n = n + 1 end\n"
	    "end\n"
	    "print('workers', n > 1 and 'several' or 'one')\n\n"
	    "-- %% id=\"small\"\n"
	    "print('sum', cluster.map(function(x) return x end, {1, 2})[2])\n");
	out = fx_run(f, "one", "ok");
	assert_contains(out, "scale\t1");
	out = fx_run(f, "map", "ok");
	assert_contains(out, "workers\tseveral");
	/* Idle: back down to the one kept, not to none. */
	deadline = kc_now_ms() + WAIT_MS;
	do {
		fx_counts(f, &up, &starting, &jobs);
		if (up != 1)
			(void)kc_pump(f->k, kc_now_ms() + 50);
	} while (up != 1 && kc_now_ms() < deadline);
	assert_int_equal(up, 1);
	r = kc_call(f->k, "cluster.status", NULL);
	assert_int_equal(kj_int(r, "scale"), 1);
	assert_int_equal(kj_int(r, "max_workers"), 3);
	json_decref(r);
	/* Scale 0: the worker goes, and a map waits with none starting. */
	r = kc_call(f->k, "cluster.scale", json_pack("{s:i}", "n", 0));
	assert_non_null(r);
	assert_int_equal(kj_int(r, "n"), 0);
	json_decref(r);
	deadline = kc_now_ms() + WAIT_MS;
	do {
		fx_counts(f, &up, &starting, &jobs);
		if (up != 0)
			(void)kc_pump(f->k, kc_now_ms() + 50);
	} while (up != 0 && kc_now_ms() < deadline);
	assert_int_equal(up, 0);
	run = fx_start(f, "small");
	deadline = kc_now_ms() + WAIT_MS;
	do {
		fx_counts(f, &up, &starting, &jobs);
		if (jobs == 0)
			(void)kc_pump(f->k, kc_now_ms() + 20);
	} while (jobs == 0 && kc_now_ms() < deadline);
	assert_int_equal(jobs, 1);
	assert_int_equal(up, 0);
	assert_int_equal(starting, 0);
	/* Raised: the map runs. */
	r = kc_call(f->k, "cluster.scale", json_pack("{s:i}", "n", 1));
	assert_non_null(r);
	json_decref(r);
	free(f->text);
	f->text = NULL;
	json_decref(fx_done(f, run, "small", &f->text));
	assert_contains(f->text, "sum\t2");
	/* auto: on demand again; max: a cap of the user's. */
	r = kc_call(f->k, "cluster.scale", json_pack("{s:b}", "auto", 1));
	assert_non_null(r);
	assert_true(json_is_true(json_object_get(r, "auto")));
	json_decref(r);
	r = kc_call(f->k, "cluster.scale", json_pack("{s:i}", "max", 2));
	assert_non_null(r);
	assert_int_equal(kj_int(r, "max"), 2);
	json_decref(r);
	r = kc_call(f->k, "cluster.status", NULL);
	assert_true(json_is_null(json_object_get(r, "scale")));
	assert_int_equal(kj_int(r, "max_workers"), 2);
	json_decref(r);
	assert_null(kc_call(f->k, "cluster.scale", json_pack("{}")));
	assert_int_equal(f->k->code, GL_EINVAL);
}

/* Usage is recorded; a spent limit refuses new work, saying whose and
 * how much. */
static void
test_limit(void **state)
{
	struct fx	*f = *state;
	struct passwd	*pw = getpwuid(geteuid());
	json_t		*u, *row;
	const char	*msg, *out;
	char		 expect[128];

	assert_non_null(pw);
	/* 0.00001 CPU-hours = 36 ms: the first map spends more. */
	fx_config(f, "cluster = { workers = 2, limits = { users = {\n"
	    "  ['*'] = { cpu_hours = 0.00001 } } } }\n");
	fx_open(f,
	    "-- %% id=\"a\"\n"
	    "local r = cluster.map(function(x)\n"
	    "  local t = os.clock()\n"
	    "  while os.clock() - t < 0.03 do end\n"
	    "  return x\n"
	    "end, {1, 2, 3, 4})\n"
	    "print('ran', #r)\n"
	    "-- %% id=\"b\"\n"
	    "cluster.map(function(x) return x end, {1})\n"
	    "-- %% id=\"c\"\n"
	    "cluster.submit(function() return 1 end):result()\n");
	out = fx_run(f, "a", "ok");
	assert_contains(out, "ran\t4");
	msg = fx_error(f, "b");
	snprintf(expect, sizeof expect, "cpu limit of user %s reached: ",
	    pw->pw_name);
	assert_contains(msg, expect);
	assert_contains(msg, "of 1e-05 CPU-hours used in total");
	msg = fx_error(f, "c");
	assert_contains(msg, expect);
	/* usage.report has the four tasks, by user and by cell. */
	u = kc_call(f->k, "usage.report", json_pack("{s:s}", "by", "user"));
	assert_non_null(u);
	assert_int_equal(json_array_size(json_object_get(u, "rows")), 1);
	row = json_array_get(json_object_get(u, "rows"), 0);
	assert_string_equal(kj_str(row, "key"), pw->pw_name);
	assert_int_equal(kj_int(row, "tasks"), 4);
	assert_true(json_real_value(json_object_get(row, "cpu_hours")) *
	    3600 >= 0.1);
	json_decref(u);
	u = kc_call(f->k, "usage.report", json_pack("{s:s}", "by", "cell"));
	assert_non_null(u);
	row = json_array_get(json_object_get(u, "rows"), 0);
	assert_contains(kj_str(row, "key"), "c.nb.lua:a");
	json_decref(u);
}

/* Interrupting a cell that waits on a long map ends it before the map
 * is through and cancels the map's tasks: the cell ends interrupted, the
 * job's last progress stops short of its total, and no worker holds a
 * task. (Left alone, the map runs 20 s on two workers, shorter than the
 * waits below: a cell or a job that only ended with the map fails.) */
static void
test_interrupt(void **state)
{
	struct fx	*f = *state;
	json_t		*n, *s, *w, *last;
	long long	 run, job;
	uint64_t	 deadline;
	size_t		 i, held;
	const char	*out;

	fx_open(f,
	    "-- %% id=\"a\"\n"
	    "local items = {}\n"
	    "for i = 1, 400 do items[i] = i end\n"
	    "cluster.map(function(x)\n"
	    "  local t = os.clock()\n"
	    "  while os.clock() - t < 0.1 do end\n"
	    "  return x\n"
	    "end, items)\n"
	    "-- %% id=\"b\"\n"
	    "print('after', #cluster.map(function(x) return x end, {1, 2}))\n");
	run = fx_start(f, "a");
	n = kc_note(f->k, "cluster.progress", NULL, NULL, WAIT_MS);
	assert_non_null(n);
	job = kj_int(n, "job");
	json_decref(n);
	json_decref(kc_call(f->k, "cell.interrupt", json_pack("{s:s}",
	    "session", f->sid)));
	n = fx_done(f, run, "a", NULL);
	assert_string_equal(kj_str(n, "status"), "interrupted");
	json_decref(n);
	/* The map's tasks are cancelled: the job goes, the workers idle. */
	deadline = kc_now_ms() + WAIT_MS;
	for (;;) {
		s = fx_status(f);
		held = 0;
		json_array_foreach(json_object_get(s, "workers"), i, w)
			held += (size_t)kj_int(w, "held");
		i = json_array_size(json_object_get(s, "jobs"));
		json_decref(s);
		if ((i == 0 && held == 0) || kc_now_ms() >= deadline)
			break;
		(void)kc_pump(f->k, kc_now_ms() + 20);
	}
	assert_int_equal(i, 0);
	assert_int_equal(held, 0);
	/* A job reports its progress once more as it ends, before any
	 * status without it: that last report is short of the total, as
	 * cancelled tasks are not done. */
	last = NULL;
	while ((n = kc_note(f->k, "cluster.progress", "job",
	    json_integer(job), 0)) != NULL) {
		json_decref(last);
		last = n;
	}
	assert_non_null(last);
	assert_int_equal(kj_int(last, "total"), 400);
	assert_true(kj_int(last, "done") < 400);
	json_decref(last);
	/* The session carries on. */
	out = fx_run(f, "b", "ok");
	assert_contains(out, "after\t2");
}

/* SIGTERM to a worker (Slurm's warning): it says it is leaving and its
 * tasks are retried elsewhere, without counting as failures. */
static void
test_worker_leaves(void **state)
{
	struct fx	*f = *state;
	json_t		*n;
	long long	 run;
	uint64_t	 deadline;
	char		*out;
	int		 pid;

	fx_config(f, "cluster = { workers = 2, max_attempts = 1 }\n");
	fx_open(f,
	    "-- %% id=\"a\"\n"
	    "local items = {}\n"
	    "for i = 1, 40 do items[i] = i end\n"
	    "local r = cluster.map(function(x)\n"
	    "  local t = os.clock()\n"
	    "  while os.clock() - t < 0.03 do end\n"
	    "  return -x\n"
	    "end, items)\n"
	    "print('got', #r, r[40])\n");
	run = fx_start(f, "a");
	deadline = kc_now_ms() + WAIT_MS;
	while ((pid = busy_worker(f)) < 0 && kc_now_ms() < deadline)
		(void)kc_pump(f->k, kc_now_ms() + 20);
	assert_true(pid > 0);
	kill(pid, SIGTERM);
	n = fx_done(f, run, "a", &out);
	free(f->text);
	f->text = out;
	/* With max_attempts = 1 a counted loss would have failed a task. */
	assert_string_equal(kj_str(n, "status"), "ok");
	assert_contains(out, "got\t40\t-40");
	json_decref(n);
	assert_true(kt_pid_gone(pid, WAIT_MS));
}

/* A worker that stops sending heartbeats (frozen with SIGSTOP) is
 * declared dead after heartbeat_timeout; its tasks run elsewhere. */
static void
test_worker_silent(void **state)
{
	struct fx	*f = *state;
	json_t		*n;
	long long	 run;
	uint64_t	 deadline;
	char		*out, *log, path[300];
	int		 pid;

	fx_config(f, "cluster = { workers = 2, heartbeat_timeout = 1 }\n");
	fx_open(f,
	    "-- %% id=\"a\"\n"
	    "local items = {}\n"
	    "for i = 1, 60 do items[i] = i end\n"
	    "local r = cluster.map(function(x)\n"
	    "  local t = os.clock()\n"
	    "  while os.clock() - t < 0.03 do end\n"
	    "  return x + 1\n"
	    "end, items)\n"
	    "print('got', #r, r[60])\n");
	run = fx_start(f, "a");
	deadline = kc_now_ms() + WAIT_MS;
	while ((pid = busy_worker(f)) < 0 && kc_now_ms() < deadline)
		(void)kc_pump(f->k, kc_now_ms() + 20);
	assert_true(pid > 0);
	assert_int_equal(kill(pid, SIGSTOP), 0);
	n = fx_done(f, run, "a", &out);
	free(f->text);
	f->text = out;
	assert_string_equal(kj_str(n, "status"), "ok");
	assert_contains(out, "got\t60\t61");
	json_decref(n);
	/* The frozen worker is killed, not left behind. */
	assert_true(kt_pid_gone(pid, WAIT_MS));
	snprintf(path, sizeof path, "%s/kernel.log", f->t.root);
	log = kt_read(path);
	assert_contains(log, "no heartbeat for");
	free(log);
}

/* A group's limit: the user is a member; its spent budget refuses work
 * and says so. */
static void
test_group_limit(void **state)
{
	struct fx	*f = *state;
	struct passwd	*pw = getpwuid(geteuid());
	char		*cfg;
	const char	*msg;

	assert_non_null(pw);
	cfg = xasprintf("cluster = { workers = 1, limits = { groups = {\n"
	    "  team = { cpu_hours = 0.00001, period = 'day',\n"
	    "           members = { 'someone', '%s' } } } } }\n", pw->pw_name);
	fx_config(f, cfg);
	free(cfg);
	fx_open(f,
	    "-- %% id=\"a\"\n"
	    "cluster.map(function(x)\n"
	    "  local t = os.clock()\n"
	    "  while os.clock() - t < 0.05 do end\n"
	    "end, {1})\n"
	    "-- %% id=\"b\"\n"
	    "cluster.map(function(x) return x end, {1})\n");
	(void)fx_run(f, "a", "ok");
	msg = fx_error(f, "b");
	assert_contains(msg, "cpu limit of group team reached: ");
	assert_contains(msg, "CPU-hours used since ");
}

/* A kernel with no client stays while cluster work is outstanding (a
 * future that outlives its cell), and stops once it is done. */
static int
setup_idle(void **state)
{
	struct fx	*f = xcalloc(1, sizeof *f);
	char		 st[256];

	kt_init(&f->t);
	snprintf(f->cfgdir, sizeof f->cfgdir, "%s/config", f->t.root);
	snprintf(st, sizeof st, "%s/state", f->t.root);
	mkdir(f->cfgdir, 0700);
	mkdir(st, 0700);
	setenv("XDG_CONFIG_HOME", f->cfgdir, 1);
	setenv("XDG_STATE_HOME", st, 1);
	fx_config(f, "cluster = { workers = 1 }\n");
	f->t.idle_ms = 300;
	assert_true(kt_start(&f->t) > 0);
	f->k = kc_connect_unix(f->t.sock);
	assert_non_null(f->k);
	*state = f;
	return 0;
}

static void
test_kernel_idle(void **state)
{
	struct fx	*f = *state;
	char		*nb = xasprintf("%s/idle.nb.lua", f->t.proj);
	char		*marker = xasprintf("%s/marker", f->t.root);
	char		*text = xasprintf(
	    "-- %%%% id=\"a\"\n"
	    "late = cluster.submit(function(path)\n"
	    "  local t = os.clock()\n"
	    "  while os.clock() - t < 1 do end\n"
	    "  local h = io.open(path, 'w')\n"
	    "  h:write('done')\n"
	    "  h:close()\n"
	    "end, '%s')\n", marker);
	json_t		*r;
	struct stat	 sb;
	int		 st;

	r = kc_call(f->k, "session.open", json_pack("{s:s, s:s}", "path", nb,
	    "text", text));
	assert_non_null(r);
	f->sid = xstrdup(kj_str(r, "session"));
	json_decref(r);
	(void)fx_run(f, "a", "ok");
	/* No client now; the task runs for a second more. */
	kc_free(f->k);
	f->k = NULL;
	st = kt_reap(f->t.pid, WAIT_MS);
	assert_true(st >= 0);
	f->t.pid = -1;
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	/* It went only after the task's end. */
	assert_int_equal(stat(marker, &sb), 0);
	free(text);
	free(marker);
	free(nb);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_map_equals_serial, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_kill9_worker, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_wrong_secret, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_undecodable, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_task_error, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_idle_timeout, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_scale_is_a_floor, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_interrupt, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_worker_leaves, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_worker_silent, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_group_limit, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_kernel_idle, setup_idle,
		    teardown),
	};

	signal(SIGPIPE, SIG_IGN);
	if (getenv("TEST_FILTER") != NULL)
		cmocka_set_test_filter(getenv("TEST_FILTER"));
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_config.c - the configuration files (lua/config.c): real Lua
 * files in a temp directory, read through cfg_load_files() and cfg_load()
 * (the kernel side) and a cfg_host of either side.
 * Defaults, every cluster key, merging project over user, and bad files:
 * syntax and runtime errors with path and line, wrong types with the key's
 * name, a sandbox with no io/os/require/load, files that loop forever or
 * eat memory stopped with an error instead of hanging or crashing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/err.h"
#include "core/mem.h"
#include "lua/config.h"

struct fx {
	char	 dir[64];
	char	*user;		/* DIR/init.lua */
	char	*proj_dir;	/* DIR/proj */
	char	*proj;		/* DIR/proj/.galley/config.lua */
};

#define assert_contains(hay, needle) do {				\
	const char *h_ = (hay), *n_ = (needle);				\
	if (h_ == NULL || strstr(h_, n_) == NULL)			\
		fail_msg("'%s' does not contain '%s'", h_ ? h_ : "(null)", \
		    n_);						\
} while (0)

static int
setup(void **state)
{
	struct fx	*f = xcalloc(1, sizeof *f);
	char		*d;

	snprintf(f->dir, sizeof f->dir, "/tmp/gl-config-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	f->user = xasprintf("%s/init.lua", f->dir);
	f->proj_dir = xasprintf("%s/proj", f->dir);
	f->proj = xasprintf("%s/proj/.galley/config.lua", f->dir);
	assert_int_equal(mkdir(f->proj_dir, 0700), 0);
	d = xasprintf("%s/.galley", f->proj_dir);
	assert_int_equal(mkdir(d, 0700), 0);
	free(d);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx	*f = *state;

	unlink(f->user);
	unlink(f->proj);
	{
		char *d = xasprintf("%s/.galley", f->proj_dir);

		rmdir(d);
		free(d);
	}
	rmdir(f->proj_dir);
	rmdir(f->dir);
	free(f->user);
	free(f->proj_dir);
	free(f->proj);
	free(f);
	return 0;
}

static void
put(const char *path, const char *text)
{
	FILE	*fp = fopen(path, "w");

	assert_non_null(fp);
	assert_int_equal(fputs(text, fp) >= 0, 1);
	assert_int_equal(fclose(fp), 0);
}

/* Loads and expects failure; returns the message (static). */
static const char *
load_fails(struct fx *f, int code)
{
	static struct gl_err	 err;
	struct cfg		*c;

	memset(&err, 0, sizeof err);
	c = cfg_load_files(f->user, f->proj, &err);
	if (c != NULL) {
		cfg_free(c);
		fail_msg("the config loaded; expected an error");
	}
	if (code != 0)
		assert_int_equal(err.code, code);
	return err.msg;
}

static struct cfg *
load_ok(struct fx *f)
{
	struct gl_err	 err = { 0 };
	struct cfg	*c = cfg_load_files(f->user, f->proj, &err);

	if (c == NULL)
		fail_msg("config failed to load: %s", err.msg);
	return c;
}

static void
test_defaults_without_files(void **state)
{
	struct fx		*f = *state;
	struct cfg		*c = load_ok(f);
	struct cfg_cluster	*cc = &c->cluster;

	assert_int_equal(cc->launcher, CFG_LAUNCH_LOCAL);
	assert_int_equal(cc->workers, 0);
	assert_int_equal(cfg_cluster_workers(cc),
	    (int)sysconf(_SC_NPROCESSORS_ONLN));
	assert_int_equal(cc->idle_timeout_ms, 300000);
	assert_int_equal(cc->kernel_idle_timeout_ms, 3600000);
	assert_int_equal(cc->heartbeat_timeout_ms, 10000);
	assert_int_equal(cc->max_attempts, 3);
	assert_int_equal(cc->start_timeout_ms, -1);
	assert_null(c->user_path);
	assert_null(c->project_path);
	assert_null(cfg_limit_user(c, "alice"));
	cfg_free(c);
}

static void
test_every_key(void **state)
{
	struct fx		*f = *state;
	struct cfg		*c, *d;
	struct cfg_cluster	*cc;
	const struct cfg_limit	*lim;

	setenv("GL_TEST_PARTITION", "gpu", 1);
	put(f->user,
	    "-- the user's file\n"
	    "local hours = 10\n"
	    "cluster = {\n"
	    "  launcher = 'slurm', workers = 8, idle_timeout = 120,\n"
	    "  kernel_idle_timeout = 900.5, heartbeat_timeout = 20,\n"
	    "  max_attempts = 5, start_timeout = 600, stop_grace = 1.5,\n"
	    "  listen = '0.0.0.0:7000', advertise = 'login1',\n"
	    "  slurm = { partition = os.getenv('GL_TEST_PARTITION'),\n"
	    "    time_limit = '00:30:00', cpus_per_worker = 2,\n"
	    "    mem_per_worker = '512M', account = 'proj42',\n"
	    "    extra_sbatch_flags = {'--exclusive', '--qos=low'},\n"
	    "    remote_galley = '/opt/galley/bin/galley',\n"
	    "    poll_interval = 0.5, bin_dir = '/usr/bin' },\n"
	    "  ssh = { hosts = {'127.0.0.1', 'me@node2:2222', '[::1]:22'},\n"
	    "    workers_per_host = 3, ssh_options = {'ConnectTimeout=5'},\n"
	    "    identity_file = '~/.ssh/id', remote_galley = 'galley',\n"
	    "    ssh_command = '/usr/bin/ssh' },\n"
	    "  command = { start = 'kubectl run {name} -- {worker_cmd}',\n"
	    "    stop = 'kubectl delete pod {name}', cpus_per_worker = 4,\n"
	    "    mem_per_worker = '1Gi', secret_on_stdin = true },\n"
	    "  limits = {\n"
	    "    users = { alice = { cpu_hours = hours, period = 'month' },\n"
	    "              ['*'] = { cpu_hours = 1 } },\n"
	    "    groups = { analysts = { cpu_hours = 100, wall_hours = 50,\n"
	    "               members = {'alice', 'bob'}, period = 'week' },\n"
	    "               nobody = { cpu_hours = 0, members = {} } },\n"
	    "  },\n"
	    "}\n");
	c = load_ok(f);
	/* The checks below read a copy, made as the launcher makes its own
	 * (cfg_cluster_dup), of a configuration already freed. */
	d = xcalloc(1, sizeof *d);
	cfg_cluster_dup(&d->cluster, &c->cluster);
	d->user_path = xstrdup(c->user_path);
	cfg_free(c);
	c = d;
	cc = &c->cluster;
	assert_string_equal(c->user_path, f->user);
	assert_int_equal(cc->launcher, CFG_LAUNCH_SLURM);
	assert_string_equal(cfg_launcher_name(cc->launcher), "slurm");
	assert_int_equal(cc->workers, 8);
	assert_int_equal(cfg_cluster_workers(cc), 8);
	assert_int_equal(cc->idle_timeout_ms, 120000);
	assert_int_equal(cc->kernel_idle_timeout_ms, 900500);
	assert_int_equal(cc->heartbeat_timeout_ms, 20000);
	assert_int_equal(cc->max_attempts, 5);
	assert_int_equal(cc->start_timeout_ms, 600000);
	assert_int_equal(cc->stop_grace_ms, 1500);
	assert_string_equal(cc->listen, "0.0.0.0:7000");
	assert_string_equal(cc->advertise, "login1");
	assert_string_equal(cc->slurm.partition, "gpu");
	assert_string_equal(cc->slurm.time_limit, "00:30:00");
	assert_int_equal(cc->slurm.cpus_per_worker, 2);
	assert_string_equal(cc->slurm.mem_per_worker, "512M");
	assert_string_equal(cc->slurm.account, "proj42");
	assert_int_equal(cc->slurm.nextra_sbatch_flags, 2);
	assert_string_equal(cc->slurm.extra_sbatch_flags[1], "--qos=low");
	assert_string_equal(cc->slurm.remote_galley, "/opt/galley/bin/galley");
	assert_int_equal(cc->slurm.poll_interval_ms, 500);
	assert_string_equal(cc->slurm.bin_dir, "/usr/bin");
	assert_int_equal(cc->ssh.nhosts, 3);
	assert_string_equal(cc->ssh.hosts[1], "me@node2:2222");
	assert_int_equal(cc->ssh.workers_per_host, 3);
	assert_string_equal(cc->ssh.options[0], "ConnectTimeout=5");
	assert_string_equal(cc->ssh.identity_file, "~/.ssh/id");
	assert_string_equal(cc->ssh.command, "/usr/bin/ssh");
	assert_string_equal(cc->command.start,
	    "kubectl run {name} -- {worker_cmd}");
	assert_string_equal(cc->command.stop, "kubectl delete pod {name}");
	assert_int_equal(cc->command.cpus_per_worker, 4);
	assert_string_equal(cc->command.mem_per_worker, "1Gi");
	assert_true(cc->command.secret_on_stdin);
	lim = cfg_limit_user(c, "alice");
	assert_non_null(lim);
	assert_true(lim->cpu_hours == 10.0);
	assert_true(lim->wall_hours < 0);
	assert_int_equal(lim->period, CFG_PERIOD_MONTH);
	lim = cfg_limit_user(c, "carol");	/* falls back to "*" */
	assert_non_null(lim);
	assert_string_equal(lim->name, "*");
	assert_true(lim->cpu_hours == 1.0);
	lim = cfg_limit_group(c, "analysts");
	assert_non_null(lim);
	assert_true(lim->wall_hours == 50.0);
	assert_int_equal(lim->nmembers, 2);
	assert_string_equal(lim->members[1], "bob");
	assert_int_equal(lim->period, CFG_PERIOD_WEEK);
	/* An empty list of members is no one, not the Unix group. */
	lim = cfg_limit_group(c, "nobody");
	assert_non_null(lim);
	assert_non_null(lim->members);
	assert_int_equal(lim->nmembers, 0);
	assert_null(cfg_limit_group(c, "others"));
	cfg_free(c);
	unsetenv("GL_TEST_PARTITION");
}

static void
test_project_over_user(void **state)
{
	struct fx		*f = *state;
	struct gl_err		 err = { 0 };
	struct cfg		*c;
	struct cfg_cluster	*cc;

	put(f->user, "cluster = { launcher = 'slurm', idle_timeout = 60,\n"
	    "  slurm = { account = 'mine', partition = 'long',\n"
	    "            extra_sbatch_flags = {'--a', '--b'} },\n"
	    "  limits = { users = { alice = { cpu_hours = 5 },\n"
	    "                       bob = { cpu_hours = 7 } } } }\n");
	/* The project's file may also return its table. */
	put(f->proj, "return { cluster = { workers = 2,\n"
	    "  slurm = { partition = 'debug', extra_sbatch_flags = {'--c'} },\n"
	    "  limits = { users = { alice = { cpu_hours = 1 } } } } }\n");
	/* cfg_load() finds the user's file through $XDG_CONFIG_HOME. */
	setenv("XDG_CONFIG_HOME", f->dir, 1);
	{
		char *d = xasprintf("%s/galley", f->dir);
		char *u = xasprintf("%s/galley/init.lua", f->dir);

		assert_int_equal(mkdir(d, 0700), 0);
		assert_int_equal(rename(f->user, u), 0);
		c = cfg_load(f->proj_dir, &err);
		if (c == NULL)
			fail_msg("%s", err.msg);
		assert_string_equal(c->user_path, u);
		assert_string_equal(c->project_path, f->proj);
		unlink(u);
		rmdir(d);
		free(u);
		free(d);
	}
	unsetenv("XDG_CONFIG_HOME");
	cc = &c->cluster;
	assert_int_equal(cc->launcher, CFG_LAUNCH_SLURM);	/* user */
	assert_int_equal(cc->idle_timeout_ms, 60000);		/* user */
	assert_int_equal(cc->workers, 2);			/* project */
	assert_string_equal(cc->slurm.partition, "debug");	/* project */
	assert_string_equal(cc->slurm.account, "mine");		/* kept */
	assert_int_equal(cc->slurm.nextra_sbatch_flags, 1);	/* replaced */
	assert_string_equal(cc->slurm.extra_sbatch_flags[0], "--c");
	assert_true(cfg_limit_user(c, "alice")->cpu_hours == 1.0);
	assert_true(cfg_limit_user(c, "bob")->cpu_hours == 7.0);
	cfg_free(c);
}

/* The user's init.lua is the terminal UI's file too: its galley.* calls
 * (keys, options) run harmlessly here and the cluster table still counts. */
static void
test_tui_lines_in_the_user_file(void **state)
{
	struct fx	*f = *state;
	struct cfg	*c;

	put(f->user, "galley.set(\"autosave\", 0)\n"
	    "galley.keymap.set(\"normal\", \"x\", \"run\")\n"
	    "local k = galley.keymap\n"
	    "k.set(\"insert\", \"C-s\", \"save\")\n"
	    "cluster = { workers = 3 }\n");
	c = load_ok(f);
	assert_int_equal(c->cluster.workers, 3);
	cfg_free(c);
}

static void
test_syntax_and_runtime_errors_name_the_line(void **state)
{
	struct fx	*f = *state;
	const char	*m;
	char		*want;

	put(f->proj, "cluster = {\n  workers = 4,\n  launcher = 'ssh'\n"
	    "  ssh = {}\n}\n");
	m = load_fails(f, GL_ESYNTAX);
	want = xasprintf("%s:4:", f->proj);
	assert_contains(m, want);
	free(want);

	put(f->proj, "local t = nil\ncluster = { workers = t.x }\n");
	m = load_fails(f, GL_ESYNTAX);
	want = xasprintf("%s:2:", f->proj);
	assert_contains(m, want);
	free(want);

	put(f->proj, "error('no cluster for you')\n");
	m = load_fails(f, GL_ESYNTAX);
	assert_contains(m, f->proj);
	assert_contains(m, "no cluster for you");
}

static void
test_bad_values_name_the_key(void **state)
{
	struct fx	*f = *state;
	static const struct {
		const char	*text;
		const char	*key;
		const char	*what;
	} cases[] = {
		{ "cluster = { workers = 'many' }", "cluster.workers",
		  "expected an integer" },
		{ "cluster = { workers = 2.5 }", "cluster.workers", "integer" },
		{ "cluster = { launcher = 'k8s' }", "cluster.launcher",
		  "unknown launcher" },
		{ "cluster = { idle_timeout = -1 }", "cluster.idle_timeout",
		  "seconds" },
		{ "cluster = { idel_timeout = 3 }", "cluster", "idel_timeout" },
		{ "cluster = { slurm = { partiton = 'x' } }", "cluster.slurm",
		  "partiton" },
		{ "cluster = { slurm = { mem_per_worker = 'lots' } }",
		  "cluster.slurm.mem_per_worker", "not a size" },
		{ "cluster = { slurm = { time_limit = '30 min' } }",
		  "cluster.slurm.time_limit", "not a Slurm time" },
		{ "cluster = { slurm = { extra_sbatch_flags = {1, 2} } }",
		  "cluster.slurm.extra_sbatch_flags", "item 1" },
		{ "cluster = { ssh = { hosts = { a = 'x' } } }",
		  "cluster.ssh.hosts", "list of strings" },
		{ "cluster = { ssh = 'host1' }", "cluster.ssh", "a table" },
		{ "cluster = { command = { start = 'run {nme}' } }",
		  "cluster.command.start", "{nme}" },
		{ "cluster = { limits = { users = { bob = { cpu_hours = 'x' "
		  "} } } }", "cluster.limits.users.bob.cpu_hours", "hours" },
		{ "cluster = { limits = { users = { bob = { period = 'year' "
		  "} } } }", "cluster.limits.users.bob.period", "\"month\"" },
		{ "cluster = { launcher = 'ssh' }", "cluster.ssh.hosts",
		  "empty" },
		{ "cluster = { launcher = 'command' }", "cluster.command.start",
		  "not set" },
		{ "cluster = 42", "cluster", "expected a table" },
		{ "return 42", "", "returned a number" },
		{ "cluster = { [1] = 'x' }", "cluster", "keys must be names" },
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const char *m;

		put(f->proj, cases[i].text);
		m = load_fails(f, GL_ESYNTAX);
		assert_contains(m, f->proj);
		assert_contains(m, cases[i].key);
		assert_contains(m, cases[i].what);
	}
}

static void
test_sandbox(void **state)
{
	struct fx	*f = *state;
	static const char *const denied[] = {
		"io.open('/etc/passwd')", "os.execute('true')",
		"require('os')", "load('return 1')", "dofile('/dev/null')",
		"loadfile('/dev/null')", "debug.getinfo(1)", "package.path",
		"print('x')", "os.exit(1)",
	};
	struct cfg	*c;

	for (size_t i = 0; i < sizeof denied / sizeof denied[0]; i++) {
		char *text = xasprintf("local x = %s\ncluster = {}\n",
		    denied[i]);

		put(f->proj, text);
		free(text);
		load_fails(f, GL_ESYNTAX);
	}
	/* What is there works: string, table, math, os.getenv, pcall. */
	put(f->proj, "local n = math.max(2, #('abc'):rep(2))\n"
	    "local t = {} table.insert(t, 'h1')\n"
	    "local ok = pcall(error, 'x')\n"
	    "assert(os.getenv('HOME') ~= nil and not ok)\n"
	    "cluster = { workers = n, ssh = { hosts = t } }\n");
	c = load_ok(f);
	assert_int_equal(c->cluster.workers, 6);
	assert_string_equal(c->cluster.ssh.hosts[0], "h1");
	cfg_free(c);
}

static void
test_runaway_files_are_stopped(void **state)
{
	struct fx	*f = *state;
	const char	*m;

	put(f->proj, "while true do end\n");
	m = load_fails(f, GL_ELIMIT);
	assert_contains(m, f->proj);
	assert_contains(m, "too long");

	put(f->proj, "local t = {} for i = 1, 1e9 do t[i] = ('x'):rep(100) "
	    "end\n");
	m = load_fails(f, GL_ELIMIT);
	assert_contains(m, f->proj);

	put(f->proj, "local s = ('x'):rep(1 << 30)\n");
	m = load_fails(f, GL_ELIMIT);
	assert_contains(m, "memory");

	/* Finalizers run with hooks off, where the budget cannot stop
	 * them: the sandbox refuses them (loading must not hang, nor
	 * freeing the host). */
	put(f->proj, "setmetatable({}, { __gc = function() while true do "
	    "end end })\n");
	m = load_fails(f, GL_ESYNTAX);
	assert_contains(m, f->proj);
	assert_contains(m, "__gc");
	put(f->proj, "local mt = {}\n"
	    "local t = setmetatable({}, mt)\n"
	    "mt.__gc = function() while true do end end\n"
	    "t = nil collectgarbage = nil\n");
	{
		struct cfg *c = load_ok(f);

		cfg_free(c);
	}

	/* A metatable trick on the returned table runs nothing outside. */
	put(f->proj, "return setmetatable({}, { __index = function() "
	    "while true do end end })\n");
	{
		struct cfg *c = load_ok(f);

		assert_int_equal(c->cluster.launcher, CFG_LAUNCH_LOCAL);
		cfg_free(c);
	}
}

static void
test_unreadable_and_missing(void **state)
{
	struct fx	*f = *state;
	struct gl_err	 err = { 0 };
	struct cfg	*c;
	char		*nope = xasprintf("%s/nope.lua", f->dir);

	c = cfg_load_files(nope, NULL, &err);
	assert_non_null(c);
	assert_null(c->user_path);
	cfg_free(c);
	c = cfg_load_files(f->dir, NULL, &err);	/* a directory */
	assert_null(c);
	assert_contains(err.msg, f->dir);
	free(nope);
}

/* Loads on side and expects success; the host is the caller's. */
static struct cfg_host *
host_ok(struct fx *f, enum cfg_side side)
{
	struct gl_err	 err = { 0 };
	struct cfg_host	*h = cfg_host_new(side, &err);

	if (h == NULL)
		fail_msg("no host: %s", err.msg);
	if (cfg_host_load(h, f->user, f->proj, &err) != 0)
		fail_msg("config failed to load: %s", err.msg);
	return h;
}

/* Loads on side and expects failure: the message (static); the host is
 * kept in *hp for what it recorded. */
static const char *
host_fails(struct fx *f, enum cfg_side side, struct cfg_host **hp)
{
	static struct gl_err	 err;
	struct cfg_host		*h;

	memset(&err, 0, sizeof err);
	h = cfg_host_new(side, &err);
	assert_non_null(h);
	if (cfg_host_load(h, f->user, f->proj, &err) == 0)
		fail_msg("the config loaded; expected an error");
	*hp = h;
	return err.msg;
}

/* The galley.* calls of both files are recorded, in order, as written,
 * each with its file and line; both sides record them. */
static void
test_tui_part_records_the_calls(void **state)
{
	struct fx		*f = *state;
	const struct cfg_tui	*t;
	struct cfg_host		*h;

	put(f->user, "-- my keys\n"
	    "galley.keymap.set('normal', '<C-j>', 'move-down')\n"
	    "galley.keymap.del('normal', 'x')\n"
	    "galley.set('fold_lines', 20)\n"
	    "galley.set('ascii', true)\n");
	put(f->proj, "local k = galley.keymap\n"
	    "local function map(keys, cmd)\n"
	    "  k.set('insert', keys, cmd)\n"
	    "end\n"
	    "map('<C-s>', 'write')\n"
	    "pcall(galley.set, 'mouse', false)\n"
	    "galley.keymap.set('nomode', 'W', 'wirte')\n");
	for (int side = CFG_SIDE_KERNEL; side <= CFG_SIDE_TUI; side++) {
		h = host_ok(f, (enum cfg_side)side);
		t = cfg_host_tui(h);
		assert_int_equal(t->nkeys, 4);
		assert_string_equal(t->keys[0].mode, "normal");
		assert_string_equal(t->keys[0].keys, "<C-j>");
		assert_string_equal(t->keys[0].command, "move-down");
		assert_string_equal(t->keys[0].path, f->user);
		assert_int_equal(t->keys[0].line, 2);
		assert_string_equal(t->keys[1].keys, "x");
		assert_null(t->keys[1].command);	/* del */
		assert_int_equal(t->keys[1].line, 3);
		/* Called from a function: the line of the call in it. */
		assert_string_equal(t->keys[2].mode, "insert");
		assert_string_equal(t->keys[2].command, "write");
		assert_string_equal(t->keys[2].path, f->proj);
		assert_int_equal(t->keys[2].line, 3);
		/* A mode the TUI does not know is the TUI's to report. */
		assert_string_equal(t->keys[3].mode, "nomode");
		assert_string_equal(t->keys[3].command, "wirte");
		assert_int_equal(t->keys[3].line, 7);
		assert_int_equal(t->noptions, 3);
		assert_string_equal(t->options[0].name, "fold_lines");
		assert_string_equal(t->options[0].value, "20");
		assert_int_equal(t->options[0].line, 4);
		assert_string_equal(t->options[1].value, "true");
		/* Through pcall: the line of the Lua code calling it. */
		assert_string_equal(t->options[2].name, "mouse");
		assert_string_equal(t->options[2].value, "false");
		assert_string_equal(t->options[2].path, f->proj);
		assert_int_equal(t->options[2].line, 6);
		if (side == CFG_SIDE_KERNEL)
			assert_non_null(cfg_host_cluster(h));
		else
			assert_null(cfg_host_cluster(h));
		cfg_host_free(h);
	}
}

/* Each side takes its own part: a bad cluster value fails the kernel's
 * load, not the TUI's; the TUI's keys never fail the kernel's. */
static void
test_each_side_takes_its_part(void **state)
{
	struct fx		*f = *state;
	struct cfg_host		*h;
	const char		*m;

	put(f->user, "galley.keymap.set('normal', 'Q', 'no-such-command')\n"
	    "cluster = { workers = 'many' }\n");
	h = host_ok(f, CFG_SIDE_TUI);
	assert_int_equal(cfg_host_tui(h)->nkeys, 1);
	cfg_host_free(h);
	m = host_fails(f, CFG_SIDE_KERNEL, &h);
	assert_contains(m, f->user);
	assert_contains(m, "cluster.workers");
	assert_null(cfg_host_cluster(h));
	cfg_host_free(h);

	put(f->user, "galley.keymap.set('normal', 'Q', 'no-such-command')\n"
	    "cluster = { workers = 3 }\n");
	h = host_ok(f, CFG_SIDE_KERNEL);
	assert_int_equal(cfg_host_cluster(h)->cluster.workers, 3);
	assert_string_equal(cfg_host_cluster(h)->user_path, f->user);
	cfg_host_free(h);
}

/* A Lua error stops the file for both sides, naming the line; what was
 * recorded before it stays. Wrong argument types are Lua errors. */
static void
test_tui_errors_name_the_line(void **state)
{
	struct fx		*f = *state;
	struct cfg_host		*h;
	const char		*m;
	char			*want;

	put(f->user, "galley.keymap.set('normal', 'Q', 'quit')\n"
	    "\n"
	    "galley.keymap.set('normal')\n"
	    "galley.keymap.set('normal', 'W', 'write')\n");
	m = host_fails(f, CFG_SIDE_TUI, &h);
	want = xasprintf("%s:3:", f->user);
	assert_contains(m, want);
	assert_contains(m, "bad argument #2 to 'set'");
	free(want);
	assert_int_equal(cfg_host_tui(h)->nkeys, 1);
	assert_string_equal(cfg_host_tui(h)->keys[0].keys, "Q");
	cfg_host_free(h);

	put(f->user, "galley.set('fold_lines', {})\n");
	m = host_fails(f, CFG_SIDE_TUI, &h);
	assert_contains(m, ":1:");
	assert_int_equal(cfg_host_tui(h)->noptions, 0);
	cfg_host_free(h);

	put(f->user, "galley.keymap.set('normal', 'Q' 'quit')\n");
	m = host_fails(f, CFG_SIDE_TUI, &h);
	assert_contains(m, ":1:");
	cfg_host_free(h);

	put(f->user, "while true do end\n");
	m = host_fails(f, CFG_SIDE_TUI, &h);
	assert_contains(m, "ran too long");
	cfg_host_free(h);

	/* What the calls record has a limit of its own: it is C memory. */
	put(f->user, "for i = 1, 1e6 do galley.set('fold_lines', '20') end\n");
	m = host_fails(f, CFG_SIDE_KERNEL, &h);
	assert_contains(m, f->user);
	assert_contains(m, "recorded more than");
	cfg_host_free(h);
}

/* The files share one state but not what they can change: the user's
 * file cannot alter the string library, the galley table or the globals
 * the project's file sees. */
static void
test_files_do_not_share(void **state)
{
	struct fx	*f = *state;
	struct cfg_host	*h;

	put(f->user, "string.rep = nil\n"
	    "galley.keymap.set = nil\n"
	    "galley.set = error\n"
	    "os.getenv = nil\n"
	    "x = 1\n"
	    "assert(getmetatable('') == false)\n");
	put(f->proj, "assert(x == nil)\n"
	    "assert(string.rep('a', 2) == 'aa' and ('b'):rep(2) == 'bb')\n"
	    "assert(os.getenv('HOME') ~= nil)\n"
	    "galley.keymap.set('normal', 'Q', 'quit')\n"
	    "galley.set('indent', 4)\n"
	    "cluster = { workers = 2 }\n");
	h = host_ok(f, CFG_SIDE_KERNEL);
	assert_int_equal(cfg_host_tui(h)->nkeys, 1);
	assert_int_equal(cfg_host_tui(h)->noptions, 1);
	assert_int_equal(cfg_host_cluster(h)->cluster.workers, 2);
	cfg_host_free(h);
}

static void
test_template_check(void **state)
{
	struct gl_err	 err = { 0 };

	(void)state;
	assert_int_equal(cfg_template_check("sbatch --wrap '{worker_cmd}' "
	    "-n {n} ${HOME} {{literal}", "t", &err), 0);
	assert_int_equal(cfg_template_check("x {addr} {secret_file} {name} "
	    "{i} {galley} {cpus} {mem} {id}", "t", &err), 0);
	assert_int_equal(cfg_template_check("x {worker}", "start", &err),
	    GL_ESYNTAX);
	assert_contains(err.msg, "start: unknown placeholder {worker}");
	assert_int_equal(cfg_template_check("x {name", "start", &err),
	    GL_ESYNTAX);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_defaults_without_files,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_every_key, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_tui_lines_in_the_user_file,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_project_over_user, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_syntax_and_runtime_errors_name_the_line, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_bad_values_name_the_key,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_sandbox, setup, teardown),
		cmocka_unit_test_setup_teardown(test_runaway_files_are_stopped,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_unreadable_and_missing,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_tui_part_records_the_calls, setup, teardown),
		cmocka_unit_test_setup_teardown(test_each_side_takes_its_part,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_tui_errors_name_the_line,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_files_do_not_share, setup,
		    teardown),
		cmocka_unit_test(test_template_check),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

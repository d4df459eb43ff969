/*
 * test_cluster_engines.c - the ssh and slurm launchers end to end: a forked
 * kernel, its runtime, the REAL `galley worker` ($GALLEY_BIN) started
 * through a real sshd (scripts/sshd-up.sh, on a free loopback port, with a
 * throwaway key) or as a job of a real one-node Slurm
 * (scripts/slurm-up.sh), chosen by the project's .galley/config.lua. A
 * cell runs cluster.map and gets the serial answer; cluster.workers()
 * lists the workers; stopping the kernel leaves nothing running.
 *
 * Slurm also: the workers' job is scancel'ed from outside in the middle
 * of a map (as a time limit or a preemption would end it); the map still
 * completes with every result, on replacement workers from a new job,
 * and with cluster.max_attempts = 1 the lost tasks were not counted as
 * failures.
 *
 * Each part is skipped, saying why, only when its packages are missing
 * (scripts/setup.sh installs them). Each has its own kernel, user config
 * dir ($XDG_CONFIG_HOME, empty), usage database and daemons under one
 * temporary directory, removed at the end with everything started.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "kclient.h"

#define WAIT_MS		30000

struct fx {
	struct kt	 t;
	struct kc	*k;
	char		*sid;
	char		*text;		/* the last outputs read */
	char		*sshd_dir;	/* brought up: taken down at teardown */
	char		*slurm_dir;
	uint64_t	 t0;		/* test start, for the timings printed */
	/* Strings a test allocated, freed at teardown: a failed assertion
	 * leaks nothing (nor into the kernels later tests fork). */
	char		*owned[16];
	size_t		 nowned;
};

/* Keeps p (malloc'd, or NULL) until teardown; returns it. */
static char *
fx_own(struct fx *f, char *p)
{
	if (f->nowned < sizeof f->owned / sizeof f->owned[0])
		f->owned[f->nowned++] = p;
	return p;
}

#define assert_contains(hay, needle) do {				\
	const char *h_ = (hay), *n_ = (needle);				\
	if (h_ == NULL || strstr(h_, n_) == NULL) {			\
		fprintf(stderr, "expected \"%s\" in:\n%s\n", n_,	\
		    h_ != NULL ? h_ : "(null)");			\
		fail();							\
	}								\
} while (0)

/* --- scripts, programs, processes --- */

static bool
have_prog(const char *path)
{
	return access(path, X_OK) == 0;
}

static int
run_script(const char *name, const char *arg)
{
	const char	*src = getenv("GALLEY_SRC");
	char		*cmd;
	int		 rc;

	cmd = xasprintf("sh '%s/scripts/%s' '%s' >/dev/null", src != NULL ?
	    src : ".", name, arg);
	rc = system(cmd);
	free(cmd);
	return rc;
}

/* Reads KEY=value from an env file the scripts write. Caller frees. */
static char *
env_get(const char *file, const char *key)
{
	FILE	*fp = fopen(file, "r");
	char	 line[1024], *v = NULL;
	size_t	 k = strlen(key);

	if (fp == NULL)
		return NULL;
	while (fgets(line, sizeof line, fp) != NULL) {
		char *p = line;

		if (strncmp(p, "export ", 7) == 0)
			p += 7;
		if (strncmp(p, key, k) == 0 && p[k] == '=') {
			p[strcspn(p, "\n")] = '\0';
			v = xstrdup(p + k + 1);
			break;
		}
	}
	fclose(fp);
	return v;
}

/* The whole output of a shell command, or NULL if it failed. Caller
 * frees. */
static char *
sh_out(const char *fmt, ...)
{
	va_list	 ap;
	char	 cmd[1024], buf[8192];
	size_t	 n;
	FILE	*fp;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	if ((fp = popen(cmd, "r")) == NULL)
		return NULL;
	n = fread(buf, 1, sizeof buf - 1, fp);
	buf[n] = '\0';
	if (pclose(fp) != 0)
		return NULL;
	return xstrdup(buf);
}

/* A process's state letter from /proc/PID/stat ('\0' if gone) and its
 * parent. */
static char
proc_state(int pid, int *ppid)
{
	char	 path[64], *stat, *p;
	size_t	 len;
	char	 st = '\0';

	snprintf(path, sizeof path, "/proc/%d/stat", pid);
	if (gl_file_read(path, &stat, &len, NULL) != 0)
		return '\0';
	if ((p = strrchr(stat, ')')) != NULL && p[1] == ' ') {
		st = p[2];
		if (ppid != NULL && sscanf(p + 4, "%d", ppid) != 1)
			*ppid = -1;
	}
	free(stat);
	return st;
}

/* A process's command line, NULs as spaces; NULL if gone. Caller frees. */
static char *
proc_cmdline(int pid)
{
	char	 path[64], *text;
	size_t	 len;

	snprintf(path, sizeof path, "/proc/%d/cmdline", pid);
	if (gl_file_read(path, &text, &len, NULL) != 0)
		return NULL;
	for (size_t i = 0; i + 1 < len; i++)
		if (text[i] == '\0')
			text[i] = ' ';
	return text;
}

static char *
proc_comm(int pid)
{
	char	 path[64], *text;
	size_t	 len;

	snprintf(path, sizeof path, "/proc/%d/comm", pid);
	if (gl_file_read(path, &text, &len, NULL) != 0)
		return NULL;
	text[strcspn(text, "\n")] = '\0';
	return text;
}

/*
 * Live (not zombie) processes whose command line holds needle, other
 * than this one; comm (if not NULL) must also match exactly. Up to max
 * pids in pids; returns how many there are. With verbose, prints them.
 */
static size_t
procs_with(const char *needle, const char *comm, int *pids, size_t max,
    bool verbose)
{
	DIR		*d = opendir("/proc");
	struct dirent	*de;
	size_t		 n = 0;

	if (d == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		int	 pid = atoi(de->d_name);
		char	*cmd, *cm;
		char	 st;

		if (pid <= 0 || pid == (int)getpid())
			continue;
		st = proc_state(pid, NULL);
		if (st == '\0' || st == 'Z')
			continue;
		if ((cmd = proc_cmdline(pid)) == NULL)
			continue;
		if (strstr(cmd, needle) != NULL) {
			cm = comm != NULL ? proc_comm(pid) : NULL;
			if (comm == NULL || (cm != NULL &&
			    strcmp(cm, comm) == 0)) {
				if (verbose)
					fprintf(stderr, "# left: %d %s\n", pid,
					    cmd);
				if (n < max && pids != NULL)
					pids[n] = pid;
				n++;
			}
			free(cm);
		}
		free(cmd);
	}
	closedir(d);
	return n;
}

/* A polling interval (never synchronisation: callers poll a condition
 * with a deadline). */
static void
nap_ms(int ms)
{
	struct timespec ts = { 0, (long)ms * 1000 * 1000 };

	nanosleep(&ts, NULL);
}

/* Polls until no process holds needle in its command line. */
static bool
procs_gone(const char *needle, int timeout_ms)
{
	uint64_t deadline = kc_now_ms() + (uint64_t)timeout_ms;

	while (procs_with(needle, NULL, NULL, 0, false) > 0) {
		if (kc_now_ms() >= deadline) {
			(void)procs_with(needle, NULL, NULL, 0, true);
			return false;
		}
		nap_ms(20);
	}
	return true;
}

/* Live children of pid. */
static size_t
live_children(int pid)
{
	DIR		*d = opendir("/proc");
	struct dirent	*de;
	size_t		 n = 0;

	if (d == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		int	 p = atoi(de->d_name), pp = -1;
		char	 st;

		if (p <= 0)
			continue;
		st = proc_state(p, &pp);
		if (st != '\0' && st != 'Z' && pp == pid)
			n++;
	}
	closedir(d);
	return n;
}

/* --- the kernel and its cells --- */

static int
setup(void **state)
{
	struct fx	*f = xcalloc(1, sizeof *f);
	char		 dir[256];

	f->t0 = kc_now_ms();
	kt_init(&f->t);
	/* An empty user config dir: only the project's file counts. */
	snprintf(dir, sizeof dir, "%s/config", f->t.root);
	mkdir(dir, 0700);
	setenv("XDG_CONFIG_HOME", dir, 1);
	snprintf(dir, sizeof dir, "%s/state", f->t.root);
	mkdir(dir, 0700);
	setenv("XDG_STATE_HOME", dir, 1);
	snprintf(dir, sizeof dir, "%s/.galley", f->t.proj);
	mkdir(dir, 0700);
	*state = f;
	return 0;
}

/* Stops the kernel (SIGTERM) and checks it went cleanly: no leak, no
 * crash, everything it started stopped first. */
static void
fx_stop_kernel(struct fx *f)
{
	int	 st;

	kc_free(f->k);
	f->k = NULL;
	st = kt_stop(&f->t);
	if (st != 0) {
		char	 path[300], *log;

		snprintf(path, sizeof path, "%s/kernel.log", f->t.root);
		log = kt_read(path);
		fprintf(stderr, "kernel exit status %d; its log:\n%s\n", st,
		    log != NULL ? log : "(none)");
		free(log);
	}
	assert_int_equal(st, 0);
}

static int
teardown(void **state)
{
	struct fx	*f = *state;
	int		 st;

	kc_free(f->k);
	st = kt_stop(&f->t);
	/* A failed test still leaves no daemon behind. */
	if (f->slurm_dir != NULL && run_script("slurm-down.sh",
	    f->slurm_dir) != 0)
		fprintf(stderr, "# slurm-down.sh %s failed\n", f->slurm_dir);
	if (f->sshd_dir != NULL && run_script("sshd-down.sh",
	    f->sshd_dir) != 0)
		fprintf(stderr, "# sshd-down.sh %s failed\n", f->sshd_dir);
	unsetenv("SLURM_CONF");
	free(f->slurm_dir);
	free(f->sshd_dir);
	free(f->sid);
	free(f->text);
	for (size_t i = 0; i < f->nowned; i++)
		free(f->owned[i]);
	kt_fini(&f->t);
	fprintf(stderr, "# test took %.1f s\n",
	    (double)(kc_now_ms() - f->t0) / 1000);
	free(f);
	assert_int_equal(st, 0);
	return 0;
}

static void
fx_project_config(struct fx *f, const char *lua)
{
	char	*dir = xasprintf("%s/.galley", f->t.proj);
	char	*path = kt_write(dir, "config.lua", lua);

	free(path);
	free(dir);
}

static void
fx_start_kernel(struct fx *f)
{
	assert_true(kt_start(&f->t) > 0);
	f->k = kc_connect_unix(f->t.sock);
	assert_non_null(f->k);
}

/* Opens an ephemeral session on text (cells with ids) in the project. */
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

/* Waits for run's cell.done and expects status; returns the cell's
 * outputs as text (kept in the fixture). */
static const char *
fx_done(struct fx *f, long long run, const char *cell, const char *status)
{
	json_t	*n = kc_note(f->k, "cell.done", "run", json_integer(run),
	    WAIT_MS);
	json_t	*o;
	bool	 ok;

	assert_non_null(n);
	o = kc_call(f->k, "cell.outputs", json_pack("{s:s, s:s}", "session",
	    f->sid, "cell", cell));
	assert_non_null(o);
	free(f->text);
	f->text = kj_outputs_text(json_object_get(o, "outputs"));
	json_decref(o);
	ok = strcmp(kj_str(n, "status"), status) == 0;
	if (!ok || getenv("KT_LOG") != NULL)
		fprintf(stderr, "cell %s: %s (%s)\n%s\n", cell,
		    kj_str(n, "status"), kj_str(json_object_get(n, "error"),
		    "message"), f->text);
	json_decref(n);
	if (!ok)
		fail();
	return f->text;
}

static const char *
fx_run(struct fx *f, const char *cell, const char *status)
{
	return fx_done(f, fx_start(f, cell), cell, status);
}

static json_t *
fx_status(struct fx *f)
{
	json_t *s = kc_call(f->k, "cluster.status", NULL);

	assert_non_null(s);
	return s;
}

/* The kernel's log (caller frees). */
static char *
fx_log(struct fx *f)
{
	char	 path[300];

	snprintf(path, sizeof path, "%s/kernel.log", f->t.root);
	return kt_read(path);
}

/* The map of the first part of both tests: 200 items, doubled; the
 * results against the serial answer. The workers the cell sees (w). A
 * longer map (b). */
static const char map_cells[] =
    "-- %% id=\"a\"\n"
    "local items = {}\n"
    "for i = 1, 200 do items[i] = i end\n"
    "local r = cluster.map(function(x) return x * 2 end, items)\n"
    "local same = #r == #items\n"
    "for i = 1, #items do\n"
    "  same = same and r[i] == items[i] * 2 and math.type(r[i]) ==\n"
    "      'integer'\n"
    "end\n"
    "print(same and 'EQUAL' or 'DIFFERENT', #r, r[1], r[200])\n"
    "-- %% id=\"w\"\n"
    "local ws, names = cluster.workers(), {}\n"
    "for _, w in ipairs(ws) do\n"
    "  names[#names + 1] = w.name .. '@' .. tostring(w.pid)\n"
    "end\n"
    "table.sort(names)\n"
    "print('workers', #ws, table.concat(names, ' '))\n"
    "-- %% id=\"b\"\n"
    "local items = {}\n"
    "for i = 1, 80 do items[i] = i end\n"
    "local r = cluster.map(function(x)\n"
    "  local t = os.clock()\n"
    "  while os.clock() - t < 0.05 do end\n"
    "  return x * x\n"
    "end, items)\n"
    "local all = #r == 80\n"
    "for i = 1, 80 do all = all and r[i] == i * i end\n"
    "print(all and 'ALL' or 'MISSING', #r, r[80])\n";

/* Names and pids of the workers cluster.status lists (up to max); the
 * tasks they ran, in all, in *tasks if not NULL. */
static size_t
fx_workers(struct fx *f, char names[][64], int *pids, size_t max,
    long long *tasks)
{
	json_t	*s = fx_status(f), *w;
	size_t	 i, n = 0;

	if (tasks != NULL)
		*tasks = 0;
	json_array_foreach(json_object_get(s, "workers"), i, w) {
		if (n == max)
			break;
		snprintf(names[n], 64, "%s", kj_str(w, "name"));
		pids[n] = (int)kj_int(w, "pid");
		if (tasks != NULL)
			*tasks += kj_int(w, "tasks");
		n++;
	}
	json_decref(s);
	return n;
}

/* Polls cluster.status until n workers are up. */
static void
fx_wait_workers(struct fx *f, size_t n)
{
	uint64_t	 deadline = kc_now_ms() + WAIT_MS;
	json_t		*s;
	size_t		 k;

	for (;;) {
		s = fx_status(f);
		k = json_array_size(json_object_get(s, "workers"));
		json_decref(s);
		if (k >= n || kc_now_ms() >= deadline)
			break;
		(void)kc_pump(f->k, kc_now_ms() + 20);
	}
	if (k < n)
		fail_msg("%zu workers up, not %zu", k, n);
}

/* The cluster listener's address: what every worker command line holds
 * (ssh clients, srun steps, the workers). */
static char *
fx_listen(struct fx *f)
{
	json_t	*s = fx_status(f);
	char	*addr = xstrdup(kj_str(s, "listen"));

	json_decref(s);
	return addr;
}

/* --- ssh --- */

static void
test_ssh_map(void **state)
{
	struct fx	*f = *state;
	char		*sdir, *envf, *port, *key, *kh, *cfg, *addr;
	char		*spid, names[8][64], names2[8][64], pcomm[64];
	const char	*out;
	json_t		*s;
	int		 pids[8], pids2[8], sshc[8], sshd_pid, pp;
	size_t		 nw, nssh;
	uint64_t	 t;

	if (!have_prog("/usr/sbin/sshd") || !have_prog("/usr/bin/ssh") ||
	    !have_prog("/usr/bin/ssh-keygen")) {
		fprintf(stderr, "# skipped: openssh-server/openssh-client not "
		    "installed (scripts/setup.sh installs them)\n");
		skip();
	}
	t = kc_now_ms();
	sdir = fx_own(f, xasprintf("%s/sshd", f->t.root));
	f->sshd_dir = xstrdup(sdir);
	if (run_script("sshd-up.sh", sdir) != 0)
		fail_msg("scripts/sshd-up.sh failed");
	fprintf(stderr, "# sshd up in %.1f s\n",
	    (double)(kc_now_ms() - t) / 1000);
	envf = fx_own(f, xasprintf("%s/env", sdir));
	port = fx_own(f, env_get(envf, "GALLEY_SSHD_PORT"));
	key = fx_own(f, env_get(envf, "GALLEY_SSH_KEY"));
	kh = fx_own(f, env_get(envf, "GALLEY_SSH_KNOWN_HOSTS"));
	assert_non_null(port);
	assert_non_null(key);
	assert_non_null(kh);
	{
		char *pidf = xasprintf("%s/sshd.pid", sdir);

		spid = kt_read(pidf);
		free(pidf);
		assert_non_null(spid);
		sshd_pid = atoi(spid);
		free(spid);
		assert_true(sshd_pid > 0);
	}

	/* The project selects ssh: one loopback host, two workers on it,
	 * this build's galley as the remote one. */
	cfg = xasprintf(
	    "cluster = {\n"
	    "  launcher = 'ssh',\n"
	    "  listen = '127.0.0.1:0',\n"
	    "  stop_grace = 2,\n"
	    "  ssh = {\n"
	    "    hosts = { '127.0.0.1:%s' },\n"
	    "    workers_per_host = 2,\n"
	    "    identity_file = '%s',\n"
	    "    ssh_options = { 'UserKnownHostsFile=%s',\n"
	    "      'StrictHostKeyChecking=yes', 'IdentitiesOnly=yes' },\n"
	    "    remote_galley = '%s',\n"
	    "  },\n"
	    "}\n", port, key, kh, getenv("GALLEY_BIN"));
	fx_project_config(f, cfg);
	free(cfg);
	fx_start_kernel(f);
	fx_open(f, map_cells);

	t = kc_now_ms();
	out = fx_run(f, "a", "ok");
	fprintf(stderr, "# ssh: 200-item map from no workers: %.2f s\n",
	    (double)(kc_now_ms() - t) / 1000);
	assert_contains(out, "EQUAL\t200\t2\t400");
	/* Both workers the launcher started join (the map may have been
	 * done by the first); the cell lists them. */
	fx_wait_workers(f, 2);
	out = fx_run(f, "w", "ok");
	assert_contains(out, "workers\t2\tssh-");
	s = fx_status(f);
	assert_string_equal(kj_str(s, "launcher"), "ssh");
	json_decref(s);

	/* Two workers, each run by sshd for an ssh client the kernel
	 * started: not children of the kernel. */
	nw = fx_workers(f, names, pids, 8, NULL);
	assert_int_equal(nw, 2);
	for (size_t i = 0; i < nw; i++) {
		char *comm;

		assert_true(strncmp(names[i], "ssh-", 4) == 0);
		assert_true(pids[i] > 0);
		pp = -1;
		assert_true(proc_state(pids[i], &pp) != '\0');
		assert_int_not_equal(pp, f->t.pid);
		comm = proc_comm(pp);
		snprintf(pcomm, sizeof pcomm, "%s", comm != NULL ? comm :
		    "(gone)");
		free(comm);
		/* "sshd", or "sshd-session" (OpenSSH 9.8 on). */
		if (strncmp(pcomm, "sshd", 4) != 0)
			fail_msg("worker %d runs under %s, not sshd", pids[i],
			    pcomm);
	}
	addr = fx_own(f, fx_listen(f));
	nssh = procs_with(addr, "ssh", sshc, 8, false);
	assert_int_equal(nssh, 2);
	for (size_t i = 0; i < nssh; i++) {
		pp = -1;
		(void)proc_state(sshc[i], &pp);
		assert_int_equal(pp, f->t.pid);
	}

	/* The same map again runs on the same two workers. */
	t = kc_now_ms();
	out = fx_run(f, "a", "ok");
	fprintf(stderr, "# ssh: 200-item map on running workers: %.2f s\n",
	    (double)(kc_now_ms() - t) / 1000);
	assert_contains(out, "EQUAL\t200\t2\t400");
	assert_int_equal(fx_workers(f, names2, pids2, 8, NULL), 2);
	for (size_t i = 0; i < 2; i++)
		assert_true(pids2[i] == pids[0] || pids2[i] == pids[1]);

	/* Stopping the kernel stops everything it started: no worker, no
	 * ssh client, no session left in sshd. */
	t = kc_now_ms();
	fx_stop_kernel(f);
	fprintf(stderr, "# ssh: kernel stopped in %.2f s\n",
	    (double)(kc_now_ms() - t) / 1000);
	for (size_t i = 0; i < nw; i++)
		assert_true(kt_pid_gone(pids[i], WAIT_MS));
	for (size_t i = 0; i < nssh; i++)
		assert_true(kt_pid_gone(sshc[i], WAIT_MS));
	assert_true(procs_gone(addr, WAIT_MS));
	{
		uint64_t deadline = kc_now_ms() + WAIT_MS;

		while (live_children(sshd_pid) > 0 && kc_now_ms() < deadline)
			nap_ms(20);
		assert_int_equal(live_children(sshd_pid), 0);
	}
	assert_int_equal(run_script("sshd-down.sh", sdir), 0);
	free(f->sshd_dir);
	f->sshd_dir = NULL;
	assert_true(kt_pid_gone(sshd_pid, WAIT_MS));
}

/* --- slurm --- */

/* Ids of the jobs the kernel's slurm launcher submitted that squeue
 * lists (job names galley-slurm-…, launch_slurm_job_name()), one per line
 * in buf; how many. */
static int
squeue_ours(char *buf, size_t len)
{
	char	*out = sh_out("squeue -h -o '%%i|%%j|%%T' 2>&1"), *line, *save;
	int	 n = 0;
	size_t	 o = 0;

	assert_non_null(out);
	buf[0] = '\0';
	for (line = strtok_r(out, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		char *bar = strchr(line, '|');

		if (bar == NULL || strncmp(bar + 1, "galley-slurm-", 13) != 0)
			continue;
		*bar = '\0';
		o += (size_t)snprintf(buf + o, o < len ? len - o : 0, "%s\n",
		    line);
		n++;
	}
	free(out);
	return n;
}

/* True while squeue lists job id (in any state it shows by default). */
static bool
squeue_has(const char *id)
{
	char	 buf[512], *line, *save;
	bool	 found = false;

	(void)squeue_ours(buf, sizeof buf);
	for (line = strtok_r(buf, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save))
		found |= strcmp(line, id) == 0;
	return found;
}

/* Polls cluster.status until the running map has done at least n tasks
 * and a worker is busy. */
static void
fx_wait_done(struct fx *f, long long n)
{
	uint64_t	 deadline = kc_now_ms() + WAIT_MS;
	json_t		*s, *j, *w;
	long long	 done;
	bool		 busy;
	size_t		 i;

	for (;;) {
		s = fx_status(f);
		done = 0;
		busy = false;
		json_array_foreach(json_object_get(s, "jobs"), i, j)
			done += kj_int(j, "done");
		json_array_foreach(json_object_get(s, "workers"), i, w)
			busy |= strcmp(kj_str(w, "state"), "busy") == 0;
		json_decref(s);
		if ((done >= n && busy) || kc_now_ms() >= deadline)
			break;
		(void)kc_pump(f->k, kc_now_ms() + 20);
	}
	if (done < n || !busy)
		fail_msg("the map did not get to %lld tasks (%lld done)", n,
		    done);
}

static void
test_slurm_map(void **state)
{
	struct fx	*f = *state;
	char		*sdir, *envf, *conf, *addr, *log, *out2, jobs[512];
	char		 job1[64], names[8][64], names2[8][64];
	const char	*out;
	json_t		*n;
	int		 pids[8], pids2[8];
	size_t		 nw, nw2;
	long long	 run, tasks;
	uint64_t	 t, t_cancel;

	if (!have_prog("/usr/sbin/slurmctld") || !have_prog("/usr/sbin/slurmd")
	    || !have_prog("/usr/sbin/munged") || !have_prog("/usr/bin/sbatch")
	    || !have_prog("/usr/bin/squeue") || !have_prog("/usr/bin/scancel")) {
		fprintf(stderr, "# skipped: slurmctld, slurmd, slurm-client or "
		    "munge not installed (scripts/setup.sh installs them)\n");
		skip();
	}
	/* munged wants every directory above its socket searchable. */
	assert_int_equal(chmod(f->t.root, 0711), 0);
	t = kc_now_ms();
	sdir = fx_own(f, xasprintf("%s/slurm", f->t.root));
	f->slurm_dir = xstrdup(sdir);
	if (run_script("slurm-up.sh", sdir) != 0)
		fail_msg("scripts/slurm-up.sh failed");
	fprintf(stderr, "# slurm up in %.1f s\n",
	    (double)(kc_now_ms() - t) / 1000);
	envf = fx_own(f, xasprintf("%s/env", sdir));
	conf = fx_own(f, env_get(envf, "SLURM_CONF"));
	assert_non_null(conf);
	/* The kernel (forked below) and its sbatch/squeue find it so. */
	setenv("SLURM_CONF", conf, 1);
	assert_int_equal(squeue_ours(jobs, sizeof jobs), 0);

	/* max_attempts = 1: a lost task counted as a failure would fail
	 * the map. */
	fx_project_config(f,
	    "cluster = {\n"
	    "  launcher = 'slurm',\n"
	    "  workers = 2,\n"
	    "  max_attempts = 1,\n"
	    "  listen = '127.0.0.1:0',\n"
	    "  stop_grace = 2,\n"
	    "  slurm = {\n"
	    "    partition = 'debug',\n"
	    "    time_limit = '00:05:00',\n"
	    "    mem_per_worker = '64M',\n"
	    "    poll_interval = 0.2,\n"
	    "  },\n"
	    "}\n");
	fx_start_kernel(f);
	fx_open(f, map_cells);

	/* 1. The map end to end, the workers a Slurm job. */
	t = kc_now_ms();
	out = fx_run(f, "a", "ok");
	fprintf(stderr, "# slurm: 200-item map from no workers: %.2f s\n",
	    (double)(kc_now_ms() - t) / 1000);
	assert_contains(out, "EQUAL\t200\t2\t400");
	fx_wait_workers(f, 2);
	out = fx_run(f, "w", "ok");
	assert_contains(out, "workers\t2\tslurm-");
	nw = fx_workers(f, names, pids, 8, NULL);
	assert_int_equal(nw, 2);
	for (size_t i = 0; i < nw; i++)
		assert_true(strncmp(names[i], "slurm-", 6) == 0);
	addr = fx_own(f, fx_listen(f));
	/* One job, both workers. */
	assert_int_equal(squeue_ours(jobs, sizeof jobs), 1);
	snprintf(job1, sizeof job1, "%.*s", (int)strcspn(jobs, "\n"), jobs);

	/* 2. A longer map; its workers' job is cancelled from outside in
	 * the middle (as a time limit or preemption ends it). */
	run = fx_start(f, "b");
	fx_wait_done(f, 6);
	out2 = sh_out("scancel %s 2>&1", job1);
	assert_non_null(out2);
	free(out2);
	t_cancel = kc_now_ms();
	out = fx_done(f, run, "b", "ok");
	fprintf(stderr, "# slurm: map finished %.2f s after scancel\n",
	    (double)(kc_now_ms() - t_cancel) / 1000);
	assert_contains(out, "ALL\t80\t6400");
	/* The old workers are gone; new ones, from a new job, did the
	 * rest. */
	for (size_t i = 0; i < nw; i++)
		assert_true(kt_pid_gone(pids[i], WAIT_MS));
	nw2 = fx_workers(f, names2, pids2, 8, &tasks);
	assert_true(nw2 >= 1);
	assert_true(tasks > 0);
	for (size_t i = 0; i < nw2; i++)
		for (size_t k = 0; k < nw; k++)
			assert_string_not_equal(names2[i], names[k]);
	/* The cancelled job leaves squeue; the replacement's is there. */
	{
		uint64_t deadline = kc_now_ms() + WAIT_MS;

		while (squeue_has(job1) && kc_now_ms() < deadline)
			(void)kc_pump(f->k, kc_now_ms() + 50);
		assert_false(squeue_has(job1));
	}
	/* (One job per start: the two replacements may be two jobs.) */
	assert_true(squeue_ours(jobs, sizeof jobs) >= 1);
	for (char *p = jobs; *p != '\0'; p++)
		if (*p == '\n')
			*p = p[1] != '\0' ? ' ' : '\0';
	fprintf(stderr, "# slurm: cancelled job %s; replaced by %zu worker%s "
	    "(slurm job %s)\n", job1, nw2, nw2 == 1 ? "" : "s", jobs);
	/* The kernel heard of the loss: the workers said they were leaving
	 * (Slurm's SIGTERM), or the launcher saw the job CANCELLED. */
	log = fx_own(f, fx_log(f));
	assert_non_null(log);
	if (strstr(log, "it left (SIGTERM)") == NULL &&
	    strstr(log, "CANCELLED") == NULL)
		assert_contains(log, "it left (SIGTERM)");
	/* No cluster work is left outstanding. */
	n = fx_status(f);
	assert_int_equal(json_array_size(json_object_get(n, "jobs")), 0);
	json_decref(n);

	/* 3. Stopping the kernel cancels the job; squeue shows nothing of
	 * ours and no worker is left. */
	t = kc_now_ms();
	fx_stop_kernel(f);
	fprintf(stderr, "# slurm: kernel stopped in %.2f s\n",
	    (double)(kc_now_ms() - t) / 1000);
	if (squeue_ours(jobs, sizeof jobs) != 0)
		fail_msg("still in squeue after the kernel stopped:\n%s",
		    jobs);
	for (size_t i = 0; i < nw2; i++)
		assert_true(kt_pid_gone(pids2[i], WAIT_MS));
	assert_true(procs_gone(addr, WAIT_MS));

	assert_int_equal(run_script("slurm-down.sh", sdir), 0);
	free(f->slurm_dir);
	f->slurm_dir = NULL;
	unsetenv("SLURM_CONF");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_ssh_map, setup, teardown),
		cmocka_unit_test_setup_teardown(test_slurm_map, setup,
		    teardown),
	};

	signal(SIGPIPE, SIG_IGN);
	if (getenv("TEST_FILTER") != NULL)
		cmocka_set_test_filter(getenv("TEST_FILTER"));
	return cmocka_run_group_tests(tests, NULL, NULL);
}

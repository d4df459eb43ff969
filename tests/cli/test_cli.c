/*
 * test_cli.c - the galley command as a user meets it: help, new, fmt, and
 * headless runs through a real kernel (local and over TCP with a token).
 */
#define _GNU_SOURCE		/* unshare() */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <sched.h>
#include <stdbool.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <netinet/in.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "cli_helpers.h"
#include "core/err.h"
#include "core/rpc.h"

static char dir[64];
static char rundir[128];

static int
setup(void **state)
{
	strcpy(dir, "/tmp/galley-cli-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(rundir, sizeof rundir, "%s/run", dir);
	mkdir(rundir, 0700);
	setenv("GALLEY_RUNTIME_DIR", rundir, 1);
	unsetenv("GALLEY_KERNEL");
	return 0;
}

static int
teardown(void **state)
{
	/* Every runtime directory a test may have used, so that a failed
	 * test (which returns early) leaves no kernel behind either. */
	const char	*rundirs[] = { "run", "remote", "badstart", "locked" };
	char		 cmd[128], path[256];

	for (size_t i = 0; i < sizeof rundirs / sizeof *rundirs; i++) {
		snprintf(path, sizeof path, "%s/%s", dir, rundirs[i]);
		setenv("GALLEY_RUNTIME_DIR", path, 1);
		stop_kernel();
	}
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void
test_help_and_version(void **state)
{
	struct cmd_result r;

	galley_run(&r, NULL, "--help", NULL);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "run"));
	assert_non_null(strstr(r.out, "fmt"));
	assert_null(strstr(r.out, "runtime"));	/* internal, hidden */
	cmd_result_free(&r);
	galley_run(&r, NULL, "help", "run", NULL);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "-p, --param NAME=VALUE"));
	cmd_result_free(&r);
	galley_run(&r, NULL, "run", "--help", NULL);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "usage: galley run"));
	cmd_result_free(&r);
	galley_run(&r, NULL, "--version", NULL);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "galley 0."));
	cmd_result_free(&r);
	galley_run(&r, NULL, "frobnicate", NULL);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "unknown command 'frobnicate'"));
	cmd_result_free(&r);
	galley_run(&r, NULL, "run", NULL);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "usage: galley run"));
	cmd_result_free(&r);
	galley_run(&r, NULL, "run", "x.nb.lua", "-p", "1bad=3", NULL);
	assert_int_equal(r.status, 2);
	cmd_result_free(&r);
}

static void
test_new_creates_a_runnable_notebook(void **state)
{
	struct cmd_result	 r;
	char			*text;

	galley_run(&r, dir, "new", "fresh", NULL);
	assert_int_equal(r.status, 0);
	cmd_result_free(&r);
	text = read_file(dir, "fresh.nb.lua");
	assert_non_null(text);
	assert_non_null(strstr(text, "-- %% [markdown] id=\""));
	assert_non_null(strstr(text, "-- # fresh"));
	free(text);
	galley_run(&r, dir, "new", "fresh", NULL);
	assert_int_equal(r.status, 1);
	assert_non_null(strstr(r.err, "already exists"));
	cmd_result_free(&r);
	galley_run(&r, dir, "fmt", "--check", "fresh.nb.lua", NULL);
	assert_int_equal(r.status, 0);
	cmd_result_free(&r);
}

static void
test_fmt_assigns_ids_and_refuses_malformed(void **state)
{
	struct cmd_result	 r;
	char			*text;
	const char		*bad = "-- %% id=\"a\"\nx = 1\n-- %% id=oops\ny = 2\n";

	write_file(dir, "loose.nb.lua", "-- %%\nx = 1\n-- %% [markdown]\n-- hi\n");
	galley_run(&r, dir, "fmt", "--check", "loose.nb.lua", NULL);
	assert_int_equal(r.status, 1);
	cmd_result_free(&r);
	galley_run(&r, dir, "fmt", "loose.nb.lua", NULL);
	assert_int_equal(r.status, 0);
	cmd_result_free(&r);
	text = read_file(dir, "loose.nb.lua");
	assert_non_null(strstr(text, "-- %% id=\""));
	assert_non_null(strstr(text, "-- %% [markdown] id=\""));
	assert_non_null(strstr(text, "x = 1\n"));
	assert_non_null(strstr(text, "-- hi\n"));
	free(text);
	galley_run(&r, dir, "fmt", "--check", "loose.nb.lua", NULL);
	assert_int_equal(r.status, 0);
	cmd_result_free(&r);

	write_file(dir, "bad.nb.lua", bad);
	galley_run(&r, dir, "fmt", "bad.nb.lua", NULL);
	assert_int_equal(r.status, 3);
	assert_non_null(strstr(r.err, "bad.nb.lua:3:"));
	cmd_result_free(&r);
	text = read_file(dir, "bad.nb.lua");
	assert_string_equal(text, bad);
	free(text);
}

static const char *tour_out =
    "first 10 Fibonacci numbers:\n"
    "1 1 2 3 5 8 13 21 34 55\n"
    "a\t1\ne\t1\ng\t1\nl\t2\ny\t1\n"
    "5 distinct letters\n"
    "total 143, mean 14.3\n";

static void
test_run_example_prints_outputs_plainly(void **state)
{
	struct cmd_result	 r;
	char			 nb[512];

	snprintf(nb, sizeof nb, "%s/examples/tour.nb.lua", getenv("GALLEY_SRC"));
	galley_run(&r, dir, "run", nb, NULL);
	if (r.status != 0)
		print_error("stderr: %s\n", r.err);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.out, tour_out);
	cmd_result_free(&r);
}

/* A displayed table prints as aligned columns or an indented tree, and a
 * huge one is cut with a count of what was left out. */
static void
test_run_prints_tables_aligned(void **state)
{
	struct cmd_result r;

	write_file(dir, "tab.nb.lua",
	    "-- %% id=\"rec\"\n"
	    "{ {day = 'mon', fare = 12.5}, {day = 'tuesday', fare = 3} }\n\n"
	    "-- %% id=\"tree\"\n"
	    "display({name = 'galley', ports = {80, 443}, sub = {ok = true}})"
	    "\n\n"
	    "-- %% id=\"big\"\n"
	    "local t = {}\nfor i = 1, 1e5 do t[i] = {i = i} end\nt\n");
	galley_run(&r, dir, "run", "tab.nb.lua", NULL);
	if (r.status != 0)
		print_error("stderr: %s\n", r.err);
	assert_int_equal(r.status, 0);
	assert_true(strncmp(r.out,
	    "day      fare\n"
	    "───────  ────\n"
	    "mon      12.5\n"
	    "tuesday     3\n"
	    "{3 entries}\n"
	    "  name = \"galley\"\n"
	    "  ports = {80, 443}\n"
	    "▾ sub = {1 entry}\n"
	    "    ok = true\n"
	    "i\n"
	    "────\n"
	    "   1\n", 150) == 0);
	assert_non_null(strstr(r.out, "\n1000\n… 99,000 more rows\n"));
	assert_null(strstr(r.out, "table: 0x"));
	assert_true(strlen(r.out) < 20000);
	cmd_result_free(&r);
}

/* galley kernel --listen while a kernel serves in the background: that
 * kernel listens on TCP too, and a second time says how to go on. */
static void
test_kernel_listen_joins_the_running_kernel(void **state)
{
	struct cmd_result r;

	write_file(dir, "one.nb.lua", "-- %% id=\"a\"\nprint(1)\n");
	galley_run(&r, dir, "run", "one.nb.lua", NULL);	/* starts one */
	assert_int_equal(r.status, 0);
	cmd_result_free(&r);
	galley_run(&r, dir, "kernel", "--listen", "127.0.0.1:0",
	    "--idle-exit", "60", NULL);
	if (r.status != 0)
		print_error("stderr: %s\n", r.err);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "already serves"));
	assert_non_null(strstr(r.out, "now listens on tcp 127.0.0.1:"));
	assert_non_null(strstr(r.out, "galley kernel stop"));
	assert_non_null(strstr(r.out, "--idle-exit applies to a new kernel"));
	cmd_result_free(&r);
	galley_run(&r, dir, "kernel", "--listen", "127.0.0.1:0", NULL);
	assert_int_equal(r.status, 1);
	assert_non_null(strstr(r.err, "could not listen on 127.0.0.1:0 too: "
	    "kernel.listen: the kernel listens on 127.0.0.1:"));
	assert_non_null(strstr(r.err, "galley kernel stop"));
	cmd_result_free(&r);
	/* Without --listen: how to stop it, or make it listen. */
	galley_run(&r, dir, "kernel", NULL);
	assert_int_equal(r.status, 1);
	assert_non_null(strstr(r.err, "galley kernel --listen HOST:PORT"));
	cmd_result_free(&r);
	stop_kernel();
}

static void
test_run_parameters_override(void **state)
{
	struct cmd_result	 r;
	char			 nb[512];

	snprintf(nb, sizeof nb, "%s/examples/tour.nb.lua", getenv("GALLEY_SRC"));
	galley_run(&r, dir, "run", nb, "-p", "n=3", "-p", "word=aab", NULL);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.out,
	    "first 3 Fibonacci numbers:\n1 1 2\na\t2\nb\t1\n"
	    "2 distinct letters\ntotal 4, mean 1.3\n");
	cmd_result_free(&r);
	/* A name the parameters cell does not assign: a warning, still runs. */
	galley_run(&r, dir, "run", nb, "-p", "nope=1", NULL);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.err, "parameter 'nope' is not assigned"));
	cmd_result_free(&r);
}

static void
test_run_failure_names_cell_and_line(void **state)
{
	struct cmd_result r;

	write_file(dir, "fail.nb.lua",
	    "-- %% id=\"ok\"\nprint(\"before\")\n\n"
	    "-- %% id=\"boom\"\nlocal x = 1\nlocal y = nil\nprint(y.field)\n\n"
	    "-- %% id=\"after\"\nprint(\"never\")\n");
	galley_run(&r, dir, "run", "fail.nb.lua", NULL);
	assert_int_equal(r.status, 1);
	assert_string_equal(r.out, "before\n");
	assert_non_null(strstr(r.err, "cell \"boom\""));
	assert_non_null(strstr(r.err, "line 3"));
	assert_non_null(strstr(r.err, "fail.nb.lua:7:"));	/* file line */
	assert_non_null(strstr(r.err, "attempt to index"));
	assert_null(strstr(r.out, "never"));
	cmd_result_free(&r);
}

static void
test_run_malformed_and_missing(void **state)
{
	struct cmd_result r;

	write_file(dir, "mal.nb.lua", "-- %% id=\"a\" tags=[1,\nx = 1\n");
	galley_run(&r, dir, "run", "mal.nb.lua", NULL);
	assert_int_equal(r.status, 3);
	assert_non_null(strstr(r.err, "mal.nb.lua:1:"));
	cmd_result_free(&r);
	galley_run(&r, dir, "run", "missing.nb.lua", NULL);
	assert_int_equal(r.status, 3);
	assert_non_null(strstr(r.err, "missing.nb.lua"));
	cmd_result_free(&r);
}

static void
test_run_ctrl_c_interrupts(void **state)
{
	struct cmd_result	 r;
	const char		*args[] = { "run", "loop.nb.lua", NULL };

	write_file(dir, "loop.nb.lua",
	    "-- %% id=\"spin\"\nprint(\"spinning\")\nwhile true do end\n");
	galley_run_full(&r, dir, "spinning", SIGINT, 60000, args);
	assert_int_equal(r.status, 130);
	assert_non_null(strstr(r.err, "interrupted"));
	cmd_result_free(&r);
}

static int
free_port(void)
{
	struct sockaddr_in	 a = { .sin_family = AF_INET };
	socklen_t		 n = sizeof a;
	int			 fd = socket(AF_INET, SOCK_STREAM, 0), port;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	bind(fd, (struct sockaddr *)&a, sizeof a);
	getsockname(fd, (struct sockaddr *)&a, &n);
	port = ntohs(a.sin_port);
	close(fd);
	return port;
}

static void
test_run_on_remote_kernel_with_token(void **state)
{
	char			 kdir[256], addr[64], tokpath[300], ready[16];
	char			 wrong[300];
	struct cmd_result	 r;
	int			 p[2];
	pid_t			 kpid;
	char			 byte;
	const char		*saved = getenv("GALLEY_RUNTIME_DIR");
	char			*savedcopy = strdup(saved);

	snprintf(kdir, sizeof kdir, "%s/remote", dir);
	mkdir(kdir, 0700);
	snprintf(addr, sizeof addr, "127.0.0.1:%d", free_port());
	assert_int_equal(pipe(p), 0);
	snprintf(ready, sizeof ready, "%d", p[1]);
	if ((kpid = fork()) == 0) {
		setenv("GALLEY_RUNTIME_DIR", kdir, 1);
		close(p[0]);
		execl(galley_bin(), galley_bin(), "kernel", "--listen", addr,
		    "--ready-fd", ready, (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	assert_int_equal(read(p[0], &byte, 1), 1);	/* serving */
	close(p[0]);

	write_file(dir, "remote.nb.lua", "-- %% id=\"a\"\nprint(\"remote\", 6 * 7)\n");
	snprintf(tokpath, sizeof tokpath, "%s/token", kdir);
	setenv("GALLEY_TOKEN_FILE", tokpath, 1);
	galley_run(&r, dir, "run", "--kernel", addr, "remote.nb.lua", NULL);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.out, "remote\t42\n");
	cmd_result_free(&r);

	/* GALLEY_KERNEL works the same. */
	setenv("GALLEY_KERNEL", addr, 1);
	galley_run(&r, dir, "run", "remote.nb.lua", NULL);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.out, "remote\t42\n");
	cmd_result_free(&r);
	unsetenv("GALLEY_KERNEL");

	/* A wrong token is refused with a clear message, and nothing runs. */
	write_file(dir, "wrongtoken",
	    "0000000000000000000000000000000000000000000000000000000000000000\n");
	snprintf(wrong, sizeof wrong, "%s/wrongtoken", dir);
	chmod(wrong, 0600);
	setenv("GALLEY_TOKEN_FILE", wrong, 1);
	galley_run(&r, dir, "run", "--kernel", addr, "remote.nb.lua", NULL);
	assert_int_equal(r.status, 4);
	assert_non_null(strstr(r.err, "wrong token"));
	assert_string_equal(r.out, "");
	cmd_result_free(&r);
	unsetenv("GALLEY_TOKEN_FILE");

	setenv("GALLEY_RUNTIME_DIR", kdir, 1);
	stop_kernel();
	setenv("GALLEY_RUNTIME_DIR", savedcopy, 1);
	free(savedcopy);
	waitpid(kpid, NULL, 0);
}

/* Points GALLEY_RUNTIME_DIR at a fresh directory dir/name (no kernel);
 * returns the previous value for runtime_dir_leave(). */
static char *
runtime_dir_enter(const char *name)
{
	char	 path[256];
	char	*saved = strdup(getenv("GALLEY_RUNTIME_DIR"));

	snprintf(path, sizeof path, "%s/%s", dir, name);
	mkdir(path, 0700);
	setenv("GALLEY_RUNTIME_DIR", path, 1);
	return saved;
}

static void
runtime_dir_leave(char *saved)
{
	stop_kernel();
	setenv("GALLEY_RUNTIME_DIR", saved, 1);
	free(saved);
}

/* -p values Lua would not read as numerals stay strings: "INF" is not the
 * global INF (nil), "+5" and "-inf" are not syntax or runtime errors. */
static void
test_run_param_values_are_lua_values(void **state)
{
	struct cmd_result r;

	write_file(dir, "params.nb.lua",
	    "-- %% id=\"p\" tags=[\"parameters\"]\n"
	    "a, b, c, d, e = 0, 0, 0, 0, 0\n\n"
	    "-- %% id=\"show\"\n"
	    "print(type(a), a, type(b), b, type(c), c, d, e)\n");
	galley_run(&r, dir, "run", "params.nb.lua", "-p", "a=INF", "-p",
	    "b=+5", "-p", "c=-inf", "-p", "d=-0x10", "-p", "e=.5", NULL);
	if (r.status != 0)
		print_error("stderr: %s\n", r.err);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.out,
	    "string\tINF\tstring\t+5\tstring\t-inf\t-16\t0.5\n");
	cmd_result_free(&r);
}

/* `galley run nb | head -1`: once the reader is gone galley stops (by
 * SIGPIPE, as any filter) and runs no further cell. */
static void
test_run_stops_when_stdout_closes(void **state)
{
	const char	*args[] = { "run", "-q", "pipe.nb.lua", NULL };
	char		 nb[512], *marker;
	int		 p[2], status;
	pid_t		 pid;

	snprintf(nb, sizeof nb,
	    "-- %%%% id=\"a\"\nprint(\"one\")\n\n"
	    "-- %%%% id=\"b\"\nio.open(\"%s/ran-b\", \"w\"):close()\n", dir);
	write_file(dir, "pipe.nb.lua", nb);
	assert_int_equal(pipe(p), 0);
	close(p[0]);			/* nobody reads */
	pid = galley_spawn(dir, p[1], -1, args);
	close(p[1]);
	status = wait_exit(pid, 30000);
	assert_int_equal(status, 128 + SIGPIPE);
	marker = read_file(dir, "ran-b");
	assert_null(marker);
}

/* A background kernel that cannot start says why, in the client's own
 * error, instead of "no kernel at ...". */
static void
test_kernel_start_failure_is_explained(void **state)
{
	struct cmd_result	 r;
	char			*saved = runtime_dir_enter("badstart");
	const char		*args[] = { "kernel", "--idle-exit", "soon",
	    NULL };

	write_file(dir, "one.nb.lua", "-- %% id=\"a\"\nprint(1)\n");
	setenv("GALLEY_MEMORY_LIMIT", "lots", 1);
	galley_run(&r, dir, "run", "one.nb.lua", NULL);
	unsetenv("GALLEY_MEMORY_LIMIT");
	assert_int_equal(r.status, 4);
	assert_non_null(strstr(r.err, "GALLEY_MEMORY_LIMIT=lots is not a size"));
	cmd_result_free(&r);
	/* A malformed number of seconds is a usage error, not "never". */
	galley_run_full(&r, dir, NULL, 0, 5000, args);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "--idle-exit soon"));
	cmd_result_free(&r);
	runtime_dir_leave(saved);
}

/* A kernel that cannot start because its runtime directory is full
 * (ENOSPC; or a quota, here the file size limit) cannot write its error
 * to kernel.log, which is in that directory: the client still says what
 * failed, naming the directory and the error, not "exited without a
 * word". */
static void
test_kernel_start_on_full_runtime_dir(void **state)
{
	struct cmd_result	 r;
	char			*saved, path[256], full[300];
	struct rlimit		 old, none = { 0, 0 };
	bool			 mounted = false;
	FILE			*f;
	static char		 chunk[4096];

	write_file(dir, "one.nb.lua", "-- %% id=\"a\"\nprint(1)\n");
	snprintf(path, sizeof path, "%s/full", dir);
	mkdir(path, 0700);
	if (geteuid() == 0 && unshare(CLONE_NEWNS) == 0 &&
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0 &&
	    mount("tmpfs", path, "tmpfs", 0, "size=64k") == 0)
		mounted = true;
	saved = runtime_dir_enter("full/run");
	if (mounted) {
		/* Fill it to the last block. */
		snprintf(full, sizeof full, "%s/filler", path);
		assert_non_null(f = fopen(full, "w"));
		memset(chunk, 'f', sizeof chunk);
		while (fwrite(chunk, 1, sizeof chunk, f) == sizeof chunk &&
		    fflush(f) == 0)
			;
		fclose(f);
		galley_run(&r, dir, "run", "one.nb.lua", NULL);
	} else {
		/* Not root: a write limit stands for the quota. */
		signal(SIGXFSZ, SIG_IGN);
		getrlimit(RLIMIT_FSIZE, &old);
		none.rlim_max = old.rlim_max;
		setrlimit(RLIMIT_FSIZE, &none);
		galley_run(&r, dir, "run", "one.nb.lua", NULL);
		setrlimit(RLIMIT_FSIZE, &old);
		signal(SIGXFSZ, SIG_DFL);
	}
	assert_int_equal(r.status, 4);
	assert_null(strstr(r.err, "without a word"));
	assert_non_null(strstr(r.err, getenv("GALLEY_RUNTIME_DIR")));
	assert_true(strstr(r.err, "No space left on device") != NULL ||
	    strstr(r.err, "File too large") != NULL);
	if (mounted)
		assert_non_null(strstr(r.err, "is full"));
	cmd_result_free(&r);
	runtime_dir_leave(saved);
	if (mounted)
		umount2(path, MNT_DETACH);
}

/* A kernel that holds the lock but does not serve yet (starting, or still
 * stopping after `galley kernel stop`) is waited for: the client does not
 * give up after a few lost races. */
static void
test_autostart_waits_for_the_lock_holder(void **state)
{
	char		*saved = runtime_dir_enter("locked");
	const char	*args[] = { "run", "-q", "one.nb.lua", NULL };
	char		 lock[300], out[256];
	int		 lfd, p[2], status, raw = 0;
	pid_t		 pid, early = 0;
	long long	 until;
	ssize_t		 n;

	write_file(dir, "one.nb.lua", "-- %% id=\"a\"\nprint(\"served\")\n");
	snprintf(lock, sizeof lock, "%s/kernel.lock", getenv("GALLEY_RUNTIME_DIR"));
	lfd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	assert_true(lfd >= 0);
	assert_int_equal(flock(lfd, LOCK_EX), 0);
	assert_int_equal(pipe(p), 0);
	pid = galley_spawn(dir, p[1], -1, args);
	close(p[1]);
	/* Hold the lock a while, as a slow kernel would, unless galley
	 * gives up first. */
	until = mono_ms() + 500;
	while (mono_ms() < until && (early = waitpid(pid, &raw, WNOHANG)) == 0)
		poll(NULL, 0, 10);
	close(lfd);
	if (early == pid)		/* it gave up while the lock was held */
		status = WIFEXITED(raw) ? WEXITSTATUS(raw) : 128 + WTERMSIG(raw);
	else
		status = wait_exit(pid, 30000);
	n = read(p[0], out, sizeof out - 1);
	close(p[0]);
	out[n > 0 ? n : 0] = '\0';
	assert_int_equal(status, 0);
	assert_string_equal(out, "served\n");
	runtime_dir_leave(saved);
}

/* A TCP kernel that never answers the connection (a host that drops
 * packets; here a listener whose queue is full) costs the client's
 * timeout, not the system's minutes. */
static void
test_tcp_connect_is_bounded(void **state)
{
	struct sockaddr_in	 a = { .sin_family = AF_INET };
	socklen_t		 alen = sizeof a;
	struct cmd_result	 r;
	char			 addr[64];
	const char		*args[] = { "run", "--kernel", addr,
	    "one.nb.lua", NULL };
	int			 lfd, filler;

	write_file(dir, "one.nb.lua", "-- %% id=\"a\"\nprint(1)\n");
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(bind(lfd, (struct sockaddr *)&a, sizeof a), 0);
	assert_int_equal(listen(lfd, 0), 0);
	getsockname(lfd, (struct sockaddr *)&a, &alen);
	filler = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(connect(filler, (struct sockaddr *)&a, sizeof a), 0);
	snprintf(addr, sizeof addr, "127.0.0.1:%d", ntohs(a.sin_port));
	galley_run_full(&r, dir, NULL, 0, 40000, args);
	assert_int_equal(r.status, 4);
	assert_non_null(strstr(r.err, addr));
	assert_non_null(strstr(r.err, "timed out"));
	cmd_result_free(&r);
	close(filler);
	close(lfd);
}

/*
 * A fake kernel on a Unix socket, in a child process: it answers
 * session.open with garbage or an impossible frame, or (FAKE_WEDGED)
 * runs a cell that never ends and ignores interrupts, writing one byte
 * to report for each cell.interrupt it gets.
 */
enum fake_mode {
	FAKE_GARBAGE,
	FAKE_HUGE,
	FAKE_WEDGED,
};

static void
fake_write(int fd, const void *p, size_t n)
{
	const char *q = p;

	while (n > 0) {
		ssize_t k = write(fd, q, n);

		if (k <= 0)
			_exit(0);
		q += k;
		n -= (size_t)k;
	}
}

static void
fake_flush(int fd, struct rpc_writer *w)
{
	fake_write(fd, w->sbuf.data, w->sbuf.size);
	rpc_writer_reset(w);
}

static void
fake_answer(int fd, struct rpc_writer *w, const struct rpc_msg *m,
    enum fake_mode mode, int report)
{
	/* [1, id, nil, <str32 of 4 GiB>]: a header nobody can honour. */
	unsigned char huge[] = { 0x94, 0x01, 0xce, 0, 0, 0, 0, 0xc0, 0xdb,
	    0xff, 0xff, 0xff, 0xff };

	if (strcmp(m->method, "session.open") == 0 && mode == FAKE_GARBAGE) {
		fake_write(fd, "\xc1 garbage", 9);
		return;
	}
	if (strcmp(m->method, "session.open") == 0 && mode == FAKE_HUGE) {
		huge[6] = (unsigned char)m->id;
		fake_write(fd, huge, sizeof huge);
		return;
	}
	rpc_begin_response(w, m->id);
	if (strcmp(m->method, "session.open") == 0) {
		msgpack_pack_map(&w->pk, 2);
		rpc_pack_kv_str(&w->pk, "session", "s1");
		rpc_pack_key(&w->pk, "cells");
		msgpack_pack_array(&w->pk, 1);
		msgpack_pack_map(&w->pk, 2);
		rpc_pack_kv_str(&w->pk, "id", "a");
		rpc_pack_kv_str(&w->pk, "kind", "code");
	} else if (strcmp(m->method, "cell.run") == 0) {
		msgpack_pack_map(&w->pk, 1);
		rpc_pack_key(&w->pk, "runs");
		msgpack_pack_array(&w->pk, 0);
		rpc_begin_notify(w, "cell.output");
		msgpack_pack_map(&w->pk, 4);
		rpc_pack_kv_str(&w->pk, "session", "s1");
		rpc_pack_kv_str(&w->pk, "cell", "a");
		rpc_pack_kv_int(&w->pk, "run", 1);
		rpc_pack_key(&w->pk, "output");
		msgpack_pack_map(&w->pk, 3);
		rpc_pack_kv_str(&w->pk, "type", "stream");
		rpc_pack_kv_str(&w->pk, "name", "stdout");
		rpc_pack_kv_str(&w->pk, "text", "started\n");
	} else {
		msgpack_pack_map(&w->pk, 0);
		if (strcmp(m->method, "cell.interrupt") == 0)
			fake_write(report, "i", 1);
	}
	fake_flush(fd, w);
}

static pid_t
fake_kernel_start(const char *path, enum fake_mode mode, int *reportp)
{
	struct sockaddr_un	 sun = { .sun_family = AF_UNIX };
	int			 lfd, rp[2];
	pid_t			 pid;

	snprintf(sun.sun_path, sizeof sun.sun_path, "%s", path);
	unlink(path);
	lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sun, sizeof sun), 0);
	assert_int_equal(listen(lfd, 4), 0);
	assert_int_equal(pipe(rp), 0);
	if ((pid = fork()) == 0) {
		struct rpc_reader	*r = rpc_reader_new(1 << 20);
		struct rpc_writer	 w;
		struct rpc_msg		 m;
		struct gl_err		 err;
		char			 buf[4096];
		ssize_t			 n;
		int			 fd;

		alarm(60);		/* never outlive a broken test */
		close(rp[0]);
		rpc_writer_init(&w);
		if ((fd = accept(lfd, NULL, NULL)) < 0)
			_exit(1);
		while ((n = read(fd, buf, sizeof buf)) > 0) {
			rpc_reader_feed(r, buf, (size_t)n);
			while (rpc_reader_next(r, &m, &err) == 1) {
				if (m.type == RPC_REQUEST)
					fake_answer(fd, &w, &m, mode, rp[1]);
				rpc_msg_fini(&m);
			}
		}
		_exit(0);
	}
	close(lfd);
	close(rp[1]);
	*reportp = rp[0];
	return pid;
}

static void
fake_kernel_stop(pid_t pid, int report)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	close(report);
}

/* A kernel that sends garbage or a frame header claiming gigabytes gets
 * a clear error and exit status 4, not a crash or an allocation. */
static void
test_run_refuses_a_garbage_kernel(void **state)
{
	struct cmd_result	 r;
	char			 sock[256];
	const char		*args[] = { "run", "--kernel", sock,
	    "one.nb.lua", NULL };
	int			 report;
	pid_t			 fake;

	write_file(dir, "one.nb.lua", "-- %% id=\"a\"\nprint(1)\n");
	snprintf(sock, sizeof sock, "%s/fake.sock", dir);
	fake = fake_kernel_start(sock, FAKE_GARBAGE, &report);
	galley_run_full(&r, dir, NULL, 0, 20000, args);
	assert_int_equal(r.status, 4);
	assert_non_null(strstr(r.err, "bad message from the kernel"));
	assert_non_null(strstr(r.err, "0xc1 starts no msgpack value"));
	cmd_result_free(&r);
	fake_kernel_stop(fake, report);

	fake = fake_kernel_start(sock, FAKE_HUGE, &report);
	galley_run_full(&r, dir, NULL, 0, 20000, args);
	assert_int_equal(r.status, 4);
	assert_non_null(strstr(r.err, "bad message from the kernel"));
	assert_non_null(strstr(r.err, "larger than"));
	cmd_result_free(&r);
	fake_kernel_stop(fake, report);
}

static int
read_byte_within(int fd, int timeout_ms)
{
	struct pollfd	 p = { .fd = fd, .events = POLLIN };
	char		 c;

	if (poll(&p, 1, timeout_ms) != 1 || read(fd, &c, 1) != 1)
		return -1;
	return c;
}

/* Ctrl-C interrupts, a second kills the runtime; when the kernel does
 * neither (wedged, or cut off), a third Ctrl-C stops waiting at once. */
static void
test_third_ctrl_c_stops_waiting(void **state)
{
	char		 sock[256], out[256];
	const char	*args[] = { "run", "--kernel", sock, "one.nb.lua",
	    NULL };
	int		 report, p[2], status;
	size_t		 got = 0;
	long long	 deadline = mono_ms() + 20000;
	pid_t		 fake, pid;

	write_file(dir, "one.nb.lua", "-- %% id=\"a\"\nprint(1)\n");
	snprintf(sock, sizeof sock, "%s/fake.sock", dir);
	fake = fake_kernel_start(sock, FAKE_WEDGED, &report);
	assert_int_equal(pipe(p), 0);
	pid = galley_spawn(dir, p[1], -1, args);
	close(p[1]);
	out[0] = '\0';
	while (strstr(out, "started") == NULL && mono_ms() < deadline &&
	    got < sizeof out - 1) {
		struct pollfd	 pf = { .fd = p[0], .events = POLLIN };
		ssize_t		 n;

		if (poll(&pf, 1, 100) != 1)
			continue;
		if ((n = read(p[0], out + got, sizeof out - 1 - got)) <= 0)
			break;
		got += (size_t)n;
		out[got] = '\0';
	}
	assert_non_null(strstr(out, "started"));
	for (int i = 0; i < 2; i++) {
		kill(pid, SIGINT);
		assert_int_equal(read_byte_within(report, 10000), 'i');
	}
	kill(pid, SIGINT);
	status = wait_exit(pid, 10000);
	close(p[0]);
	fake_kernel_stop(fake, report);
	assert_int_equal(status, 130);
}

/* `galley kernel stop` returns once the kernel is gone, so the next
 * command starts a fresh one instead of reaching the old one on its way
 * out. */
static void
test_stop_then_run_again(void **state)
{
	struct cmd_result r;

	write_file(dir, "again.nb.lua", "-- %% id=\"a\"\nprint(\"again\")\n");
	for (int i = 0; i < 5; i++) {
		galley_run(&r, dir, "run", "again.nb.lua", NULL);
		assert_int_equal(r.status, 0);
		assert_string_equal(r.out, "again\n");
		cmd_result_free(&r);
		galley_run(&r, dir, "kernel", "stop", NULL);
		assert_int_equal(r.status, 0);
		assert_string_equal(r.out, "kernel stopped\n");
		cmd_result_free(&r);
	}
	galley_run(&r, dir, "kernel", "status", NULL);
	assert_int_equal(r.status, 1);
	assert_string_equal(r.out, "no kernel running\n");
	cmd_result_free(&r);
}

/* A kernel started in the background stops by itself after the user's
 * cluster.kernel_idle_timeout with no client and no work. */
static void
test_background_kernel_stops_when_idle(void **state)
{
	struct cmd_result	 r;
	char			 xdg[256], cmd[512];
	long long		 deadline;
	int			 gone = 0;

	snprintf(xdg, sizeof xdg, "%s/xdg", dir);
	snprintf(cmd, sizeof cmd, "mkdir -p %s/galley", xdg);
	assert_int_equal(system(cmd), 0);
	write_file(xdg, "galley/init.lua",
	    "cluster = { kernel_idle_timeout = 1 }\n");
	setenv("XDG_CONFIG_HOME", xdg, 1);
	write_file(dir, "idle.nb.lua", "-- %% id=\"a\"\nprint(\"hi\")\n");
	galley_run(&r, dir, "run", "idle.nb.lua", NULL);
	assert_int_equal(r.status, 0);
	cmd_result_free(&r);
	/* Polled against a deadline well past the one second, by the lock
	 * the kernel holds while it lives: connecting to ask would count as
	 * a client and keep it up. */
	snprintf(cmd, sizeof cmd, "%s/kernel.lock", rundir);
	for (deadline = mono_ms() + 20000; mono_ms() < deadline && !gone;) {
		int fd = open(cmd, O_RDWR);

		assert_true(fd >= 0);
		gone = flock(fd, LOCK_EX | LOCK_NB) == 0;
		close(fd);
		if (!gone)
			poll(NULL, 0, 20);
	}
	unsetenv("XDG_CONFIG_HOME");
	assert_true(gone);
	galley_run(&r, dir, "kernel", "status", NULL);
	assert_string_equal(r.out, "no kernel running\n");
	cmd_result_free(&r);
}

static void
test_sizes_that_overflow_are_refused(void **state)
{
	struct cmd_result r;

	galley_run(&r, dir, "kernel", "--memory-limit", "99999999999G", NULL);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "is not a size"));
	cmd_result_free(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_help_and_version),
		cmocka_unit_test(test_new_creates_a_runnable_notebook),
		cmocka_unit_test(test_fmt_assigns_ids_and_refuses_malformed),
		cmocka_unit_test(test_run_example_prints_outputs_plainly),
		cmocka_unit_test(test_run_prints_tables_aligned),
		cmocka_unit_test(test_kernel_listen_joins_the_running_kernel),
		cmocka_unit_test(test_run_parameters_override),
		cmocka_unit_test(test_run_failure_names_cell_and_line),
		cmocka_unit_test(test_run_malformed_and_missing),
		cmocka_unit_test(test_run_ctrl_c_interrupts),
		cmocka_unit_test(test_run_on_remote_kernel_with_token),
		cmocka_unit_test(test_stop_then_run_again),
		cmocka_unit_test(test_sizes_that_overflow_are_refused),
		cmocka_unit_test(test_background_kernel_stops_when_idle),
		cmocka_unit_test(test_run_param_values_are_lua_values),
		cmocka_unit_test(test_run_stops_when_stdout_closes),
		cmocka_unit_test(test_kernel_start_failure_is_explained),
		cmocka_unit_test(test_kernel_start_on_full_runtime_dir),
		cmocka_unit_test(test_autostart_waits_for_the_lock_holder),
		cmocka_unit_test(test_tcp_connect_is_bounded),
		cmocka_unit_test(test_run_refuses_a_garbage_kernel),
		cmocka_unit_test(test_third_ctrl_c_stops_waiting),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

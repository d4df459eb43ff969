/*
 * test_cli.c - the galley command as a user meets it: help, new, fmt, and
 * headless runs through a real kernel (local and over TCP with a token).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "cli_helpers.h"

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
	char cmd[128];

	stop_kernel();
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
	assert_non_null(strstr(r.err, "no command 'frobnicate'"));
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_help_and_version),
		cmocka_unit_test(test_new_creates_a_runnable_notebook),
		cmocka_unit_test(test_fmt_assigns_ids_and_refuses_malformed),
		cmocka_unit_test(test_run_example_prints_outputs_plainly),
		cmocka_unit_test(test_run_parameters_override),
		cmocka_unit_test(test_run_failure_names_cell_and_line),
		cmocka_unit_test(test_run_malformed_and_missing),
		cmocka_unit_test(test_run_ctrl_c_interrupts),
		cmocka_unit_test(test_run_on_remote_kernel_with_token),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

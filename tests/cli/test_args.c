/*
 * test_args.c - how the galley command reads its command line: kernel
 * addresses, notebook names (NAME, NAME.nb.lua, NAME.nb.py, .ipynb),
 * command names and their suggestions, and the exit codes docs/cli.md
 * promises for each.
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
	strcpy(dir, "/tmp/galley-args-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(rundir, sizeof rundir, "%s/run", dir);
	mkdir(rundir, 0700);
	setenv("GALLEY_RUNTIME_DIR", rundir, 1);
	unsetenv("GALLEY_KERNEL");
	unsetenv("GALLEY_TOKEN");
	unsetenv("GALLEY_TOKEN_FILE");
	return 0;
}

static int
teardown(void **state)
{
	/* Every runtime directory a test may have used, so that a failed
	 * test (which returns early) leaves no kernel behind either. */
	const char	*rundirs[] = { "run", "tcp" };
	char		 cmd[128], path[256];

	for (size_t i = 0; i < sizeof rundirs / sizeof *rundirs; i++) {
		snprintf(path, sizeof path, "%s/%s", dir, rundirs[i]);
		setenv("GALLEY_RUNTIME_DIR", path, 1);
		stop_kernel();
	}
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* Runs galley with args in dir, bounded by 10 s: none of these commands
 * should start anything that runs on. */
static void
run_args(struct cmd_result *r, const char *const *args)
{
	galley_run_full(r, dir, NULL, 0, 10000, args);
}

/* A malformed HOST:PORT is a usage error (2), whether it is --listen,
 * --kernel or $GALLEY_KERNEL, and a port over 65535 is refused, not
 * wrapped (70000 used to listen on 4464). */
static void
test_malformed_addresses_are_usage_errors(void **state)
{
	const char *listen_bad[] = { "kernel", "--listen", "localhost", NULL };
	const char *listen_big[] = { "kernel", "--listen", "127.0.0.1:70000",
	    NULL };
	const char *run_bad[] = { "run", "--kernel", "host:x", "a.nb.lua",
	    NULL };
	const char *status_big[] = { "kernel", "status", "--kernel",
	    "tcp:127.0.0.1:65536", NULL };
	const char *run_env[] = { "run", "a.nb.lua", NULL };
	struct cmd_result r;

	write_file(dir, "a.nb.lua", "-- %% id=\"a\"\nprint(1)\n");
	run_args(&r, listen_bad);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "--listen: localhost: want HOST:PORT"));
	assert_non_null(strstr(r.err, "usage: galley kernel"));
	cmd_result_free(&r);
	run_args(&r, listen_big);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "port 70000 is over 65535"));
	cmd_result_free(&r);
	run_args(&r, run_bad);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "--kernel: host:x: want HOST:PORT"));
	assert_string_equal(r.out, "");
	cmd_result_free(&r);
	run_args(&r, status_big);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "port 65536 is over 65535"));
	cmd_result_free(&r);
	setenv("GALLEY_KERNEL", "nowhere", 1);
	run_args(&r, run_env);
	unsetenv("GALLEY_KERNEL");
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "GALLEY_KERNEL: nowhere: want HOST:PORT"));
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

/* A token file others can read is refused, and the message says that is
 * the problem (it used to open with "no token for a TCP kernel"). */
static void
test_token_file_readable_by_others_is_named(void **state)
{
	char			 kdir[256], addr[64], tok[300], ready[16];
	char			*text;
	const char		*args[] = { "run", "--kernel", addr, "a.nb.lua",
	    NULL };
	struct cmd_result	 r;
	int			 p[2];
	pid_t			 kpid;
	char			 byte;

	snprintf(kdir, sizeof kdir, "%s/tcp", dir);
	mkdir(kdir, 0700);
	snprintf(addr, sizeof addr, "127.0.0.1:%d", free_port());
	assert_int_equal(pipe(p), 0);
	snprintf(ready, sizeof ready, "%d", p[1]);
	if ((kpid = fork()) == 0) {
		setenv("GALLEY_RUNTIME_DIR", kdir, 1);
		close(p[0]);
		execl(galley_bin(), galley_bin(), "kernel", "--listen", addr,
		    "--ready-fd", ready, "--idle-exit", "60", (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	assert_int_equal(read(p[0], &byte, 1), 1);	/* serving */
	close(p[0]);

	write_file(dir, "a.nb.lua", "-- %% id=\"a\"\nprint(6 * 7)\n");
	text = read_file(kdir, "token");
	assert_non_null(text);
	write_file(dir, "token", text);
	free(text);
	snprintf(tok, sizeof tok, "%s/token", dir);
	setenv("GALLEY_TOKEN_FILE", tok, 1);
	chmod(tok, 0644);
	run_args(&r, args);
	assert_int_equal(r.status, 4);
	assert_non_null(strstr(r.err, "token file must not be readable by "
	    "others (chmod 600)"));
	assert_null(strstr(r.err, "no token"));
	cmd_result_free(&r);
	/* Fixed as the message says, it works. */
	chmod(tok, 0600);
	run_args(&r, args);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.out, "42\n");
	cmd_result_free(&r);
	/* A token file that is not there is "no token". */
	unlink(tok);
	run_args(&r, args);
	assert_int_equal(r.status, 4);
	assert_non_null(strstr(r.err, "no token for a TCP kernel"));
	cmd_result_free(&r);
	unsetenv("GALLEY_TOKEN_FILE");

	setenv("GALLEY_RUNTIME_DIR", kdir, 1);
	stop_kernel();
	setenv("GALLEY_RUNTIME_DIR", rundir, 1);
	waitpid(kpid, NULL, 0);		/* stop_kernel() may have reaped it */
}

/* Cells in `galley run` errors are numbered as the TUI numbers them (the
 * cell injected for -p is not in the file, so it is not counted), and
 * every failure names the file. */
static void
test_run_errors_number_cells_as_the_tui(void **state)
{
	const char *plain[] = { "run", "num.nb.lua", NULL };
	const char *params[] = { "run", "num.nb.lua", "-p", "n=2", NULL };
	const char *loop[] = { "run", "spin.nb.lua", NULL };
	const char *want = "galley: num.nb.lua: cell \"boom\" (cell 3 of 4) "
	    "failed at line 2\n";
	struct cmd_result r;

	write_file(dir, "num.nb.lua",
	    "-- %% [markdown] id=\"title\"\n-- # Numbers\n\n"
	    "-- %% id=\"p\" tags=[\"parameters\"]\nn = 1\n\n"
	    "-- %% id=\"boom\"\nprint(n)\nerror(\"no\")\n\n"
	    "-- %% id=\"after\"\nprint(\"never\")\n");
	run_args(&r, plain);
	assert_int_equal(r.status, 1);
	assert_string_equal(r.out, "1\n");
	assert_non_null(strstr(r.err, want));
	cmd_result_free(&r);
	run_args(&r, params);
	assert_int_equal(r.status, 1);
	assert_string_equal(r.out, "2\n");
	assert_non_null(strstr(r.err, want));
	cmd_result_free(&r);

	write_file(dir, "spin.nb.lua",
	    "-- %% id=\"spin\"\nprint(\"spinning\")\nwhile true do end\n");
	galley_run_full(&r, dir, "spinning", SIGINT, 30000, loop);
	assert_int_equal(r.status, 130);
	assert_non_null(strstr(r.err, "galley: spin.nb.lua: cell \"spin\" "
	    "(cell 1 of 1) interrupted\n"));
	cmd_result_free(&r);
}

/* A mistyped command gets the nearest one, exit 2, and nothing runs. */
static void
test_unknown_command_suggests_the_nearest(void **state)
{
	const char *rnu[] = { "rnu", "x.nb.lua", NULL };
	const char *help[] = { "help", "kernal", NULL };
	const char *ver[] = { "ver", NULL };
	const char *far[] = { "frobnicate", NULL };
	const char *opt[] = { "--frobnicate", NULL };
	struct cmd_result r;

	run_args(&r, rnu);
	assert_int_equal(r.status, 2);
	assert_string_equal(r.err,
	    "galley: unknown command 'rnu'; did you mean 'run'?\n");
	assert_string_equal(r.out, "");
	cmd_result_free(&r);
	run_args(&r, help);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "did you mean 'kernel'?"));
	cmd_result_free(&r);
	run_args(&r, ver);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "did you mean 'version'?"));
	cmd_result_free(&r);
	run_args(&r, far);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "unknown command 'frobnicate' (see "
	    "galley --help"));
	assert_null(strstr(r.err, "did you mean"));
	cmd_result_free(&r);
	run_args(&r, opt);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "unknown option --frobnicate"));
	cmd_result_free(&r);
}

/* NAME finds NAME, NAME.nb.lua, NAME.nb.py or NAME.ipynb the same way for
 * `galley NAME`, open, run and fmt; a file wins over a suggestion, a
 * command name over a file. (Without a terminal, open says so and names
 * the file it found, which is what this test reads.) */
static void
test_notebook_names_resolve_alike(void **state)
{
	const char *run_name[] = { "run", "calc", NULL };
	const char *fmt_name[] = { "fmt", "calc", NULL };
	const char *bare[] = { "calc", NULL };
	const char *open_name[] = { "open", "calc", NULL };
	const char *file_wins[] = { "rnu", NULL };
	const char *cmd_wins[] = { "fmt", NULL };
	const char *py[] = { "run", "pyonly", NULL };
	const char *py_bare[] = { "pyonly", NULL };
	const char *missing[] = { "run", "nothere", NULL };
	const char *new_py[] = { "new", "x.nb.py", NULL };
	const char *subdir[] = { "sub/", NULL };
	const char *subname[] = { "run", "sub", NULL };
	struct cmd_result r;
	char *text, path[256];

	write_file(dir, "calc.nb.lua", "-- %%\nprint(6 * 7)\n");
	write_file(dir, "calc.nb.py", "# %%\nprint(6 * 7)\n");
	run_args(&r, run_name);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.out, "42\n");
	cmd_result_free(&r);
	run_args(&r, fmt_name);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.out, "formatted calc.nb.lua\n");
	cmd_result_free(&r);
	text = read_file(dir, "calc.nb.lua");
	assert_non_null(strstr(text, "-- %% id=\""));
	free(text);
	for (int i = 0; i < 2; i++) {
		run_args(&r, i == 0 ? bare : open_name);
		assert_int_equal(r.status, 1);
		assert_non_null(strstr(r.err, "galley open needs a terminal; "
		    "`galley run calc.nb.lua`"));
		cmd_result_free(&r);
	}
	write_file(dir, "rnu", "print(1)\n");
	run_args(&r, file_wins);
	assert_int_equal(r.status, 1);
	assert_non_null(strstr(r.err, "`galley run rnu`"));
	cmd_result_free(&r);
	write_file(dir, "fmt", "print(1)\n");
	run_args(&r, cmd_wins);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "usage: galley fmt"));
	cmd_result_free(&r);

	/* Python notebooks are found, and refused with a reason. */
	write_file(dir, "pyonly.nb.py", "# %%\nprint(6 * 7)\n");
	for (int i = 0; i < 2; i++) {
		run_args(&r, i == 0 ? py : py_bare);
		assert_int_equal(r.status, 3);
		assert_non_null(strstr(r.err, "pyonly.nb.py is a Python "
		    "notebook"));
		assert_string_equal(r.out, "");
		cmd_result_free(&r);
	}
	run_args(&r, new_py);
	assert_int_equal(r.status, 3);
	cmd_result_free(&r);
	assert_null(read_file(dir, "x.nb.py"));
	assert_null(read_file(dir, "x.nb.py.nb.lua"));

	run_args(&r, missing);
	assert_int_equal(r.status, 3);
	assert_non_null(strstr(r.err, "nothere.nb.lua"));
	cmd_result_free(&r);

	/* A directory is named as one (unless NAME.nb.lua is beside it). */
	snprintf(path, sizeof path, "%s/sub", dir);
	mkdir(path, 0700);
	run_args(&r, subdir);
	assert_int_equal(r.status, 3);
	assert_non_null(strstr(r.err, "galley: sub/ is a directory, not a "
	    "notebook"));
	cmd_result_free(&r);
	write_file(dir, "sub.nb.lua", "-- %%\nprint(\"sub\")\n");
	run_args(&r, subname);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.out, "sub\n");
	cmd_result_free(&r);
}

/* A Jupyter notebook is not read as Lua: open, run and fmt say that
 * `galley import` is what takes .ipynb, and exit 3. */
static void
test_ipynb_points_to_import(void **state)
{
	const char *cmds[][4] = {
		{ "open", "nb.ipynb", NULL },
		{ "run", "nb.ipynb", NULL },
		{ "nb.ipynb", NULL },
		{ "run", "nb", NULL },
		{ "fmt", "nb.ipynb", NULL },
	};
	const char *ipynb = "{\"cells\": [], \"metadata\": {}, "
	    "\"nbformat\": 4, \"nbformat_minor\": 5}\n";
	struct cmd_result r;
	char *text;

	write_file(dir, "nb.ipynb", ipynb);
	for (size_t i = 0; i < sizeof cmds / sizeof *cmds; i++) {
		run_args(&r, cmds[i]);
		assert_int_equal(r.status, 3);
		assert_non_null(strstr(r.err, "nb.ipynb is a Jupyter notebook: "
		    ".ipynb files are imported with `galley import nb.ipynb`"));
		assert_string_equal(r.out, "");
		cmd_result_free(&r);
	}
	text = read_file(dir, "nb.ipynb");
	assert_string_equal(text, ipynb);
	free(text);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_malformed_addresses_are_usage_errors),
		cmocka_unit_test(test_token_file_readable_by_others_is_named),
		cmocka_unit_test(test_run_errors_number_cells_as_the_tui),
		cmocka_unit_test(test_unknown_command_suggests_the_nearest),
		cmocka_unit_test(test_notebook_names_resolve_alike),
		cmocka_unit_test(test_ipynb_points_to_import),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

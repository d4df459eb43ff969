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
	char	 cmd[128];

	stop_kernel();
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_malformed_addresses_are_usage_errors),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

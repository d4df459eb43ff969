/*
 * test_usage.c - `galley usage` after real cluster work: a notebook whose
 * cell runs cluster.map on local workers, then the report by user, by
 * notebook, as JSON, since a date, and its usage errors.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <pwd.h>

#include "cli_helpers.h"

static char dir[64];

static int
setup(void **state)
{
	char	 path[256];

	strcpy(dir, "/tmp/galley-usage-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/run", dir);
	mkdir(path, 0700);
	setenv("GALLEY_RUNTIME_DIR", path, 1);
	snprintf(path, sizeof path, "%s/config", dir);
	mkdir(path, 0700);
	setenv("XDG_CONFIG_HOME", path, 1);
	snprintf(path, sizeof path, "%s/config/galley", dir);
	mkdir(path, 0700);
	write_file(path, "init.lua", "cluster = { workers = 2 }\n");
	snprintf(path, sizeof path, "%s/state", dir);
	setenv("XDG_STATE_HOME", path, 1);
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
test_usage_report(void **state)
{
	struct cmd_result	 r;
	struct passwd		*pw = getpwuid(geteuid());
	json_t			*j, *row;
	json_error_t		 jerr;
	char			 nb[128];

	assert_non_null(pw);
	write_file(dir, "work.nb.lua",
	    "-- %% id=\"spin\"\n"
	    "local r = cluster.map(function(x)\n"
	    "  local t = os.clock()\n"
	    "  while os.clock() - t < 0.02 do end\n"
	    "  return x\n"
	    "end, {1, 2, 3, 4})\n"
	    "print(#r)\n");
	snprintf(nb, sizeof nb, "%s/work.nb.lua", dir);
	galley_run(&r, dir, "run", nb, NULL);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.out, "4\n");
	cmd_result_free(&r);

	galley_run(&r, dir, "usage", "--json", NULL);
	assert_int_equal(r.status, 0);
	j = json_loads(r.out, 0, &jerr);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "by")),
	    "user");
	assert_int_equal(json_array_size(json_object_get(j, "rows")), 1);
	row = json_array_get(json_object_get(j, "rows"), 0);
	assert_string_equal(json_string_value(json_object_get(row, "user")),
	    pw->pw_name);
	assert_int_equal(json_integer_value(json_object_get(row, "tasks")), 4);
	/* Four tasks of 20 ms of CPU each. */
	assert_true(json_real_value(json_object_get(row, "cpu_hours")) * 3600 >
	    0.06);
	assert_true(json_real_value(json_object_get(row, "wall_hours")) >=
	    json_real_value(json_object_get(row, "cpu_hours")) * 0.5);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(j,
	    "total"), "tasks")), 4);
	json_decref(j);
	cmd_result_free(&r);

	galley_run(&r, dir, "usage", "--by", "notebook", NULL);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "NOTEBOOK"));
	assert_non_null(strstr(r.out, "work.nb.lua"));
	assert_non_null(strstr(r.out, "total"));
	cmd_result_free(&r);

	galley_run(&r, dir, "usage", "--by", "day", "--since", "today", NULL);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "DAY"));
	cmd_result_free(&r);

	galley_run(&r, dir, "usage", "--since", "2999-01-01", NULL);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "no cluster work recorded since "
	    "2999-01-01"));
	cmd_result_free(&r);

	galley_run(&r, dir, "usage", "--by", "planet", NULL);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "--by planet"));
	cmd_result_free(&r);

	galley_run(&r, dir, "usage", "--since", "last tuesday", NULL);
	assert_int_equal(r.status, 2);
	cmd_result_free(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_usage_report, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

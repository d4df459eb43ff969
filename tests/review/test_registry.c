/*
 * test_registry.c - the team library registry with real git repositories
 * and the real binary (docs/registry.md): a bare registry, an author's
 * repository with a module and its reviews, and a project that pins it.
 * Publishing (tests first, an approving review of HEAD, a version that is
 * new and above the last), refusals (no review, a failing test, a
 * version that exists or goes backwards, a plugin's policy), search and
 * info, add and update (galley.lock and the notebook's header), outdated,
 * require in a cell and in cluster tasks (the worker gets the pinned
 * files from the kernel), an unpinned require's warning, who-uses, a load
 * from the cache with the registry gone, and an unreachable registry
 * named in the error.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>

#include "cli/cli_helpers.h"
#include "review/registry.h"
#include "rfix.h"

#define assert_contains(hay, needle) do {				\
	const char *h_ = (hay), *n_ = (needle);				\
	if (h_ == NULL || strstr(h_, n_) == NULL)			\
		fail_msg("'%s' does not contain '%s'", h_ ? h_ : "(null)", \
		    n_);						\
} while (0)

#define STATS_V1							\
	"-- stats: descriptive statistics\n"				\
	"local M = {}\n"						\
	"function M.mean(t)\n"						\
	"  local s = 0\n"						\
	"  for _, x in ipairs(t) do s = s + x end\n"			\
	"  return s / #t\n"						\
	"end\n"								\
	"M.version = 1\n"						\
	"return M\n"

#define STATS_TEST							\
	"local stats = require \"stats\"\n"				\
	"assert(stats.mean{1, 2, 3} == 2, \"mean\")\n"			\
	"print(\"tests pass\")\n"

static char	 w[512];		/* the author's work tree */
static char	 reg[512];		/* the registry (bare) */
static char	 proj[512];		/* a project that uses it */

/* Runs galley in cwd; fails the test with what it printed unless it
 * exits with status. The result is the caller's to free. */
static struct cmd_result
run_in(const char *cwd, int status, ...)
{
	struct cmd_result	 c;
	const char		*argv[32];
	va_list			 ap;
	int			 n = 0;

	va_start(ap, status);
	while (n < 31 && (argv[n] = va_arg(ap, const char *)) != NULL)
		n++;
	va_end(ap);
	argv[n] = NULL;
	galley_run_full(&c, cwd, NULL, 0, 120000, argv);
	if (c.status != status) {
		char	*log = rfix_read(rfix_path("run/kernel.log"));

		fprintf(stderr, "kernel.log:\n%s\n", log != NULL ? log :
		    "(none)");
		free(log);
		fail_msg("galley %s %s: exit %d, not %d\n%s%s", argv[0],
		    n > 1 ? argv[1] : "", c.status, status, c.out, c.err);
	}
	return c;
}

static void
commit_all(struct repo *r, const char *msg, ...)
{
	struct gl_err	 err;
	const char	*path;
	va_list		 ap;

	va_start(ap, msg);
	while ((path = va_arg(ap, const char *)) != NULL)
		if (repo_commit_file(r, path, msg, NULL, &err) != 0)
			fail_msg("commit %s: %s", path, err.msg);
	va_end(ap);
}

/* A review of HEAD~1..HEAD approved by Bob; the identity goes back to
 * Ann. */
static void
approve_head(struct repo *r)
{
	struct cmd_result c;

	c = run_in(w, 0, "review", "start", "HEAD~1..HEAD", NULL);
	cmd_result_free(&c);
	repo_config_set(r, "user.name", "Bob", NULL);
	repo_config_set(r, "user.email", "bob@example.org", NULL);
	c = run_in(w, 0, "review", "approve", "-m", "fine", NULL);
	cmd_result_free(&c);
	repo_config_set(r, "user.name", "Ann", NULL);
	repo_config_set(r, "user.email", "ann@example.org", NULL);
}

static void
setup_dirs(void)
{
	char	 buf[600];

	snprintf(w, sizeof w, "%s", rfix_path("w"));
	snprintf(reg, sizeof reg, "%s", rfix_path("reg.git"));
	snprintf(proj, sizeof proj, "%s", rfix_path("proj"));
	snprintf(buf, sizeof buf, "%s", rfix_path("run"));
	mkdir(buf, 0700);
	setenv("GALLEY_RUNTIME_DIR", buf, 1);
	setenv("XDG_CACHE_HOME", rfix_path("cache"), 1);
	setenv("XDG_STATE_HOME", rfix_path("state"), 1);
	mkdir(proj, 0755);
	snprintf(buf, sizeof buf, "%s/.galley", proj);
	mkdir(buf, 0755);
	snprintf(buf, sizeof buf, "%s/.galley/config.lua", proj);
	{
		char	 cfg[700];

		snprintf(cfg, sizeof cfg, "registry = \"%s\"\n"
		    "cluster = { workers = 1 }\n", reg);
		rfix_write(buf, cfg);
	}
}

static void
test_registry_flow(void **state)
{
	struct repo		*r, *rg;
	struct cmd_result	 c;
	struct reg_pin		*pins;
	size_t			 npins;
	struct gl_err		 err;
	char			*text, regopt[600], *moved;

	(void)state;
	setup_dirs();
	rg = rfix_repo("reg.git", true, "Admin");
	repo_free(rg);
	r = rfix_repo("w", false, "Ann");
	repo_config_set(r, "user.email", "ann@example.org", NULL);
	rfix_write(rfix_path("w/README"), "team code\n");
	commit_all(r, "start", "README", NULL);
	mkdir(rfix_path("w/stats"), 0755);
	rfix_write(rfix_path("w/stats/init.lua"), STATS_V1);
	rfix_write(rfix_path("w/stats/test.lua"), STATS_TEST);
	commit_all(r, "stats", "stats/init.lua", "stats/test.lua", NULL);
	snprintf(regopt, sizeof regopt, "--registry=%s", reg);

	/* No review yet: refused, after the tests passed. */
	c = run_in(w, 1, "lib", "publish", "stats", "--version", "1.0.0",
	    regopt, NULL);
	assert_contains(c.err, "has no approving galley review");
	cmd_result_free(&c);

	approve_head(r);
	c = run_in(w, 0, "lib", "publish", "stats", "--version", "1.0.0",
	    "-m", "Mean.", regopt, NULL);
	assert_contains(c.out, "published stats 1.0.0 to ");
	cmd_result_free(&c);

	/* The same version again, and one going backwards. */
	c = run_in(w, 1, "lib", "publish", "stats", "--version", "1.0.0",
	    regopt, NULL);
	assert_contains(c.err, "stats 1.0.0 exists in the registry already "
	    "(published by Ann <ann@example.org>)");
	cmd_result_free(&c);
	c = run_in(w, 1, "lib", "publish", "stats", "--version", "0.9.0",
	    regopt, NULL);
	assert_contains(c.err, "stats 0.9.0 goes backwards: the registry has "
	    "1.0.0");
	cmd_result_free(&c);

	/* A test that fails stops a publish before anything else. */
	rfix_write(rfix_path("w/stats/test.lua"),
	    "local stats = require \"stats\"\n"
	    "assert(stats.mean{1, 1} == 5, \"mean is wrong\")\n");
	commit_all(r, "bad test", "stats/test.lua", NULL);
	c = run_in(w, 1, "lib", "publish", "stats", "--version", "1.1.0",
	    regopt, NULL);
	assert_contains(c.err, "test.lua failed: ");
	assert_contains(c.err, "mean is wrong");
	cmd_result_free(&c);
	/* Uncommitted changes are not what was reviewed. */
	rfix_write(rfix_path("w/stats/test.lua"), STATS_TEST);
	c = run_in(w, 1, "lib", "publish", "stats", "--version", "1.1.0",
	    regopt, NULL);
	assert_contains(c.err, "has changes not committed");
	cmd_result_free(&c);

	/* info and search. */
	c = run_in(w, 0, "lib", "info", "stats", regopt, NULL);
	assert_contains(c.out, "  1.0.0      ");
	assert_contains(c.out, "Ann <ann@example.org>");
	assert_contains(c.out, "reviewed by Bob <bob@example.org>");
	assert_contains(c.out, "             Mean.\n");
	cmd_result_free(&c);
	c = run_in(w, 0, "lib", "search", "statistics", regopt, NULL);
	assert_contains(c.out, "stats                1.0.0      descriptive "
	    "statistics");
	cmd_result_free(&c);

	/* A project pins it: galley.lock and the notebook's header. */
	rfix_write(rfix_path("proj/a.nb.lua"),
	    "-- %% id=\"mean\"\n"
	    "local stats = require \"stats\"\n"
	    "print(stats.mean{2, 4}, stats.version)\n\n"
	    "-- %% id=\"map\"\n"
	    "print(table.concat(cluster.map(function(x)\n"
	    "  return stats.mean{x, x + 2} + require(\"stats\").version\n"
	    "end, { 1, 2 }), \" \"))\n");
	c = run_in(proj, 0, "lib", "add", "stats@^1.0", "a.nb.lua", NULL);
	assert_contains(c.out, "stats 1.0.0 pinned in galley.lock and "
	    "a.nb.lua");
	cmd_result_free(&c);
	assert_int_equal(reg_lock_read(proj, &pins, &npins, &err), 0);
	assert_int_equal(npins, 1);
	assert_string_equal(pins[0].version, "1.0.0");
	assert_int_equal(strlen(pins[0].commit), 40);
	reg_pins_free(pins, npins);
	text = rfix_read(rfix_path("proj/a.nb.lua"));
	assert_true(strncmp(text, "-- lib: stats@1.0.0\n\n-- %% id=\"mean\"",
	    35) == 0);
	free(text);

	/* require in a cell, and in cluster tasks on a worker. */
	c = run_in(proj, 0, "run", "-q", "a.nb.lua", NULL);
	assert_string_equal(c.out, "3.0\t1\n3.0 4.0\n");
	cmd_result_free(&c);

	/* who-uses: the kernel's records. */
	c = run_in(proj, 0, "lib", "who-uses", "stats", "--json", NULL);
	{
		json_error_t	 je;
		json_t		*j = json_loads(c.out, 0, &je), *row;

		assert_non_null(j);
		row = json_array_get(json_object_get(j, "rows"), 0);
		assert_non_null(row);
		assert_string_equal(json_string_value(json_object_get(row,
		    "version")), "1.0.0");
		assert_contains(json_string_value(json_object_get(row,
		    "notebook")), "proj/a.nb.lua");
		/* The cell's load and the worker's. */
		assert_true(json_integer_value(json_object_get(row,
		    "loads")) >= 2);
		json_decref(j);
	}
	cmd_result_free(&c);
	c = run_in(proj, 0, "lib", "who-uses", "stats@<1.0.0", NULL);
	assert_contains(c.out, "nobody loaded stats below 1.0.0");
	cmd_result_free(&c);

	/* Unpinned (another project, no galley.lock): it loads the
	 * newest, and says how to pin. */
	mkdir(rfix_path("proj2"), 0755);
	mkdir(rfix_path("proj2/.galley"), 0755);
	{
		char	 cfg[700];

		snprintf(cfg, sizeof cfg, "registry = \"%s\"\n", reg);
		rfix_write(rfix_path("proj2/.galley/config.lua"), cfg);
	}
	rfix_write(rfix_path("proj2/b.nb.lua"),
	    "-- %% id=\"u\"\nprint(require(\"stats\").version)\n");
	c = run_in(rfix_path("proj2"), 0, "run", "b.nb.lua", NULL);
	assert_string_equal(c.out, "1\n");
	assert_contains(c.err, "galley: stats is not pinned: this loaded "
	    "1.0.0, the newest; pin it with galley lib add stats b.nb.lua");
	cmd_result_free(&c);

	/* A newer version: outdated, update. */
	rfix_write(rfix_path("w/stats/init.lua"),
	    "-- stats: descriptive statistics\n"
	    "local M = {}\n"
	    "function M.mean(t)\n"
	    "  local s = 0\n"
	    "  for _, x in ipairs(t) do s = s + x end\n"
	    "  return s / #t\n"
	    "end\n"
	    "M.version = 2\n"
	    "return M\n");
	commit_all(r, "stats 1.1", "stats/init.lua", "stats/test.lua", NULL);
	approve_head(r);
	c = run_in(w, 0, "lib", "publish", "stats", "--version", "1.1.0",
	    "-m", "Version 2.", regopt, NULL);
	cmd_result_free(&c);
	c = run_in(proj, 0, "lib", "outdated", NULL);
	assert_contains(c.out, "stats                1.0.0      -> 1.1.0");
	cmd_result_free(&c);
	c = run_in(proj, 0, "lib", "update", "stats", "a.nb.lua", NULL);
	assert_contains(c.out, "stats 1.1.0 pinned");
	cmd_result_free(&c);
	c = run_in(proj, 0, "run", "-q", "a.nb.lua", NULL);
	assert_string_equal(c.out, "3.0\t2\n4.0 5.0\n");
	cmd_result_free(&c);
	/* Who still runs a version below 1.1.0: b.nb.lua, not a.nb.lua,
	 * which moved on. */
	c = run_in(proj, 0, "lib", "who-uses", "stats@<1.1.0", NULL);
	assert_contains(c.out, "1.0.0");
	assert_contains(c.out, "proj2/b.nb.lua");
	assert_null(strstr(c.out, "proj/a.nb.lua"));
	cmd_result_free(&c);

	/* The registry gone: pinned and cached versions still load. */
	moved = xasprintf("%s.away", reg);
	assert_int_equal(rename(reg, moved), 0);
	c = run_in(proj, 0, "run", "-q", "a.nb.lua", NULL);
	assert_string_equal(c.out, "3.0\t2\n4.0 5.0\n");
	cmd_result_free(&c);
	/* Not cached (nor ever fetched) and the registry unreachable: the
	 * error names it. */
	rfix_write(rfix_path("proj/c.nb.lua"),
	    "-- lib: stats@1.2.0\n\n-- %% id=\"c\"\nrequire \"stats\"\n");
	c = run_in(proj, 1, "run", "-q", "c.nb.lua", NULL);
	assert_contains(c.err, "require \"stats\": cannot reach the "
	    "registry ");
	assert_contains(c.err, reg);
	cmd_result_free(&c);
	assert_int_equal(rename(moved, reg), 0);
	free(moved);
	repo_free(r);
}

/* A team's policy refuses through before_publish (two approvals). */
static void
test_publish_policy(void **state)
{
	struct repo		*r, *rg;
	struct cmd_result	 c;
	char			 regopt[600];

	(void)state;
	setup_dirs();
	rg = rfix_repo("reg.git", true, "Admin");
	repo_free(rg);
	r = rfix_repo("w", false, "Ann");
	repo_config_set(r, "user.email", "ann@example.org", NULL);
	rfix_write(rfix_path("w/README"), "team code\n");
	commit_all(r, "start", "README", NULL);
	mkdir(rfix_path("w/stats"), 0755);
	mkdir(rfix_path("w/.galley"), 0755);
	rfix_write(rfix_path("w/.galley/config.lua"),
	    "plugins = { enable = { \"two_approvals\" } }\n");
	rfix_write(rfix_path("w/stats/init.lua"), STATS_V1);
	rfix_write(rfix_path("w/stats/test.lua"), STATS_TEST);
	commit_all(r, "stats", "stats/init.lua", "stats/test.lua",
	    ".galley/config.lua", NULL);
	snprintf(regopt, sizeof regopt, "--registry=%s", reg);
	approve_head(r);
	c = run_in(w, 1, "lib", "publish", "stats", "--version", "1.0.0",
	    regopt, NULL);
	assert_contains(c.err, "galley: plugin two_approvals: stats 1.0.0 "
	    "needs 2 approvals of its head ");
	assert_contains(c.err, "it has 1");
	cmd_result_free(&c);
	/* Nothing was published. */
	c = run_in(w, 1, "lib", "info", "stats", regopt, NULL);
	assert_contains(c.err, "has no module stats");
	cmd_result_free(&c);
	repo_free(r);
}

/* The kernel the commands started goes with the test, passed or not. */
static int
teardown(void **state)
{
	stop_kernel();
	return rfix_cm_teardown(state);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_registry_flow,
		    rfix_cm_setup, teardown),
		cmocka_unit_test_setup_teardown(test_publish_policy,
		    rfix_cm_setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

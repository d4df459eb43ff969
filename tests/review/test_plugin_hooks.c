/*
 * test_plugin_hooks.c - the plugins' on_review_comment hook as `galley
 * review comment` and `reply` meet it: a project plugin refuses a comment
 * (the command fails with the plugin's message and records nothing) and
 * warns about another (recorded, the warning on stderr), and a reply
 * goes through the same hook.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>

#include "cli/cli_helpers.h"
#include "rfix.h"

#define NB	"-- %% id=\"load\"\nlocal t = 1\n\n-- %% id=\"plot\"\nprint(t)\n"

static size_t
threads(const char *w)
{
	struct cmd_result c;
	json_t		*j;
	json_error_t	 je;
	size_t		 n;

	galley_run(&c, w, "review", "show", "--json", NULL);
	assert_int_equal(c.status, 0);
	j = json_loads(c.out, 0, &je);
	assert_non_null(j);
	n = json_array_size(json_object_get(json_object_get(j, "review"),
	    "threads"));
	json_decref(j);
	cmd_result_free(&c);
	return n;
}

static void
test_review_comment_hook(void **state)
{
	struct repo		*r = rfix_repo("w", false, "Ann");
	struct cmd_result	 c;
	struct gl_err		 err;
	char			 w[512], *tid;
	const char		*p;

	(void)state;
	snprintf(w, sizeof w, "%s", rfix_path("w"));
	rfix_write(rfix_path("w/a.nb.lua"), NB);
	assert_int_equal(repo_commit_file(r, "a.nb.lua", "one", NULL, &err),
	    0);
	rfix_write(rfix_path("w/a.nb.lua"), NB "print(2)\n");
	assert_int_equal(repo_commit_file(r, "a.nb.lua", "two", NULL, &err),
	    0);
	assert_int_equal(mkdir(rfix_path("w/.galley"), 0755), 0);
	assert_int_equal(mkdir(rfix_path("w/.galley/plugins"), 0755), 0);
	rfix_write(rfix_path("w/.galley/plugins/polite.lua"),
	    "galley.on('on_review_comment', function(ev)\n"
	    "  if ev.body:find('LGTM') then\n"
	    "    return false, 'say what you checked, ' .. ev.author\n"
	    "  end\n"
	    "  galley.warn(('%s on %s cell %s lines %d-%d'):format(ev.review,\n"
	    "    ev.path, ev.cell or '-', ev.line0, ev.line1))\n"
	    "end)\n");
	galley_run(&c, w, "review", "start", "HEAD~1..HEAD", NULL);
	assert_int_equal(c.status, 0);
	cmd_result_free(&c);

	galley_run(&c, w, "review", "comment", "--path", "a.nb.lua",
	    "--cell", "plot", "-m", "LGTM", NULL);
	assert_int_equal(c.status, 1);
	assert_non_null(strstr(c.err, "galley: plugin polite: say what you "
	    "checked, Ann <"));
	cmd_result_free(&c);
	assert_int_equal(threads(w), 0);

	galley_run(&c, w, "review", "comment", "--path", "a.nb.lua",
	    "--cell", "plot", "--lines", "1-2", "-m", "why print?", "--json",
	    NULL);
	assert_int_equal(c.status, 0);
	assert_non_null(p = strstr(c.err, "galley: plugin polite: "));
	assert_non_null(strstr(p, " on a.nb.lua cell plot lines 1-2\n"));
	{
		json_error_t	 je;
		json_t		*j = json_loads(c.out, 0, &je);

		assert_non_null(j);
		tid = xstrdup(json_string_value(json_object_get(
		    json_object_get(j, "thread"), "id")));
		json_decref(j);
	}
	cmd_result_free(&c);
	assert_int_equal(threads(w), 1);

	galley_run(&c, w, "review", "reply", tid, "-m", "LGTM now", NULL);
	assert_int_equal(c.status, 1);
	assert_non_null(strstr(c.err, "say what you checked"));
	cmd_result_free(&c);
	free(tid);
	repo_free(r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		RFIX_TEST(test_review_comment_hook),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

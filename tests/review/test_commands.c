/*
 * test_commands.c - `galley diff`, `galley merge-driver` and `galley
 * review ...` as a user meets them: the real binary run in repositories
 * built in a temporary directory, git's external diff and merge drivers
 * through the real git command where it is installed, exit codes and
 * messages, and every --json shape read back.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>

#include "cli/cli_helpers.h"
#include "rfix.h"

#define V1								\
	"-- %% [markdown] id=\"intro\"\n-- # Trips\n\n"			\
	"-- %% id=\"load\"\nlocal t = read(\"t.csv\")\nt:head(5)\n\n"	\
	"-- %% id=\"plot\"\nlocal by = t:groupby(\"day\")\n"		\
	"plot.bar(by.day, by.fare)\n"

#define V2								\
	"-- %% [markdown] id=\"intro\"\n-- # Trips\n\n"			\
	"-- %% id=\"plot\"\nlocal by = t:groupby(\"day\")\n"		\
	"plot.line(by.day, by.fare)\n\n"				\
	"-- %% id=\"load\"\nlocal t = read(\"t.csv\")\nt:head(5)\n\n"	\
	"-- %% id=\"more\" tags=[\"new\"]\nprint(#t)\n"

/* A work tree "w" with V1 committed on main, then V2 committed on main
 * too (HEAD~1..HEAD is the change), and notes.txt. */
static struct repo *
make_repo(void)
{
	struct repo	*r = rfix_repo("w", false, "Ann");
	struct gl_err	 err;

	rfix_write(rfix_path("w/trips.nb.lua"), V1);
	rfix_write(rfix_path("w/notes.txt"), "one\ntwo\n");
	if (repo_commit_file(r, "trips.nb.lua", "v1", NULL, &err) != 0 ||
	    repo_commit_file(r, "notes.txt", "notes", NULL, &err) != 0)
		fail_msg("commit: %s", err.msg);
	rfix_write(rfix_path("w/trips.nb.lua"), V2);
	if (repo_commit_file(r, "trips.nb.lua", "v2", NULL, &err) != 0)
		fail_msg("commit: %s", err.msg);
	return r;
}

static json_t *
json_of(const char *text)
{
	json_error_t	 je;
	json_t		*j = json_loads(text, 0, &je);

	if (j == NULL)
		fail_msg("not JSON (%s):\n%s", je.text, text);
	return j;
}

static void
test_diff_repo(void **state)
{
	struct repo		*r = make_repo();
	struct cmd_result	 c;
	char			 w[512];
	json_t			*j, *f;

	snprintf(w, sizeof w, "%s", rfix_path("w"));

	/* The work tree is clean: nothing. */
	galley_run(&c, w, "diff", NULL);
	assert_int_equal(c.status, 0);
	assert_string_equal(c.out, "");
	cmd_result_free(&c);

	/* The last commit, cell by cell. */
	galley_run(&c, w, "diff", "HEAD~1", "HEAD", NULL);
	assert_int_equal(c.status, 0);
	assert_non_null(strstr(c.out, "diff --galley a/trips.nb.lua "
	    "b/trips.nb.lua\n"));
	/* Of plot and load, which moved? The fewest: one stays. */
	assert_non_null(strstr(c.out, "~ [plot] code: modified\n"));
	assert_non_null(strstr(c.out, "> [load] code: moved from cell 2 to "
	    "3\n"));
	assert_non_null(strstr(c.out, "  -plot.bar(by.day, by.fare)\n"
	    "  +plot.line(by.day, by.fare)\n"));
	assert_non_null(strstr(c.out, "+ [more] code: added\n  +print(#t)\n"));
	assert_null(strstr(c.out, "\033["));	/* not a terminal */
	cmd_result_free(&c);

	/* A..B, --color=always, and NO_COLOR does not beat "always". */
	setenv("NO_COLOR", "1", 1);
	galley_run(&c, w, "diff", "--color=always", "HEAD~1..HEAD", NULL);
	unsetenv("NO_COLOR");
	assert_int_equal(c.status, 0);
	assert_non_null(strstr(c.out, "\033[31m-plot.\033[7mbar\033[27m("));
	cmd_result_free(&c);

	/* The work tree against the index, and --stat, --exit-code. */
	rfix_write(rfix_path("w/notes.txt"), "one\nTWO\n");
	galley_run(&c, w, "diff", "--stat", "--exit-code", NULL);
	assert_int_equal(c.status, 1);
	assert_string_equal(c.out, "notes.txt | +1 -1 lines\n"
	    "1 file changed\n");
	cmd_result_free(&c);
	galley_run(&c, w, "diff", NULL);
	assert_non_null(strstr(c.out, "--- a/notes.txt\n+++ b/notes.txt\n"
	    "@@ -1,2 +1,2 @@\n one\n-two\n+TWO\n"));
	cmd_result_free(&c);

	/* JSON, limited to a path. */
	galley_run(&c, w, "diff", "--json", "HEAD~1", "--", "trips.nb.lua",
	    NULL);
	assert_int_equal(c.status, 0);
	j = json_of(c.out);
	assert_int_equal(json_integer_value(json_object_get(j, "version")), 1);
	assert_int_equal(json_array_size(json_object_get(j, "files")), 1);
	f = json_array_get(json_object_get(j, "files"), 0);
	assert_string_equal(json_string_value(json_object_get(f, "format")),
	    "notebook");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(f,
	    "stats"), "cells_added")), 1);
	json_decref(j);
	cmd_result_free(&c);

	/* Errors name what and where. */
	galley_run(&c, w, "diff", "nope", NULL);
	assert_int_equal(c.status, 5);
	assert_non_null(strstr(c.err, "unknown revision 'nope'"));
	cmd_result_free(&c);
	galley_run(&c, "/", "diff", NULL);
	assert_int_equal(c.status, 5);
	assert_non_null(strstr(c.err, "not a git repository"));
	cmd_result_free(&c);
	galley_run(&c, w, "diff", "--frob", NULL);
	assert_int_equal(c.status, 2);
	cmd_result_free(&c);

	/* Two files, no repository needed. */
	rfix_write(rfix_path("a.nb.lua"), "-- %% id=\"x\"\nx = 1\n");
	rfix_write(rfix_path("b.nb.lua"), "-- %% id=\"x\"\nx = 2\n");
	galley_run(&c, rfix_dir, "diff", "--no-index", "a.nb.lua", "b.nb.lua",
	    NULL);
	assert_int_equal(c.status, 0);
	assert_non_null(strstr(c.out, "~ [x] code: modified\n"));
	cmd_result_free(&c);
	repo_free(r);
}

static void
test_git_drivers(void **state)
{
	struct repo		*r;
	struct cmd_result	 c;
	char			 w[512];
	char			*out = NULL, *cfg, *text;
	int			 rc;

	if (!rfix_have_git()) {
		printf("git is not installed: driver tests skipped\n");
		skip();
	}
	r = make_repo();
	snprintf(w, sizeof w, "%s", rfix_path("w"));
	rfix_write(rfix_path("w/.gitattributes"),
	    "*.nb.lua diff=galley merge=galley\n");
	cfg = xasprintf("%s diff", galley_bin());
	assert_int_equal(rfix_run(w, NULL, "git", "config",
	    "diff.galley.command", cfg, NULL), 0);
	free(cfg);
	cfg = xasprintf("%s merge-driver %%O %%A %%B %%P", galley_bin());
	assert_int_equal(rfix_run(w, NULL, "git", "config",
	    "merge.galley.driver", cfg, NULL), 0);
	free(cfg);
	assert_int_equal(rfix_run(w, NULL, "git", "add", ".gitattributes",
	    NULL), 0);
	assert_int_equal(rfix_run(w, NULL, "git", "commit", "-qm", "attrs",
	    NULL), 0);

	/* git diff runs galley as its external diff. */
	rfix_write(rfix_path("w/trips.nb.lua"), V1);
	assert_int_equal(rfix_run(w, &out, "git", "--no-pager", "diff", NULL),
	    0);
	assert_non_null(strstr(out, "diff --galley a/trips.nb.lua"));
	assert_non_null(strstr(out, "- [more] code: removed\n"));
	free(out);
	assert_int_equal(rfix_run(w, NULL, "git", "checkout", "-q", "--",
	    "trips.nb.lua", NULL), 0);

	/* Two branches touching different cells merge cleanly. */
	assert_int_equal(rfix_run(w, NULL, "git", "checkout", "-qb", "feat",
	    NULL), 0);
	text = xstrdup(V2);
	memcpy(strstr(text, "t:head(5)"), "t:head(9)", 9);
	rfix_write(rfix_path("w/trips.nb.lua"), text);
	free(text);
	assert_int_equal(rfix_run(w, NULL, "git", "commit", "-qam", "head 9",
	    NULL), 0);
	assert_int_equal(rfix_run(w, NULL, "git", "checkout", "-q", "main",
	    NULL), 0);
	text = xstrdup(V2);
	memcpy(strstr(text, "print(#t)"), "print(#T)", 9);
	rfix_write(rfix_path("w/trips.nb.lua"), text);
	free(text);
	assert_int_equal(rfix_run(w, NULL, "git", "commit", "-qam", "#T",
	    NULL), 0);
	rc = rfix_run(w, &out, "git", "merge", "--no-edit", "feat", NULL);
	if (rc != 0)
		fail_msg("git merge failed: %s", out);
	free(out);
	text = rfix_read(rfix_path("w/trips.nb.lua"));
	assert_non_null(strstr(text, "t:head(9)"));
	assert_non_null(strstr(text, "print(#T)"));
	assert_null(strstr(text, "conflict"));
	free(text);

	/* Both change the same line: a conflict cell, git stops. */
	assert_int_equal(rfix_run(w, NULL, "git", "checkout", "-q", "feat",
	    NULL), 0);
	text = rfix_read(rfix_path("w/trips.nb.lua"));
	memcpy(strstr(text, "plot.line"), "plot.area", 9);
	rfix_write(rfix_path("w/trips.nb.lua"), text);
	free(text);
	assert_int_equal(rfix_run(w, NULL, "git", "commit", "-qam", "area",
	    NULL), 0);
	assert_int_equal(rfix_run(w, NULL, "git", "checkout", "-q", "main",
	    NULL), 0);
	text = rfix_read(rfix_path("w/trips.nb.lua"));
	memcpy(strstr(text, "plot.line"), "plot.bars", 9);
	rfix_write(rfix_path("w/trips.nb.lua"), text);
	free(text);
	assert_int_equal(rfix_run(w, NULL, "git", "commit", "-qam", "bars",
	    NULL), 0);
	rc = rfix_run(w, &out, "git", "merge", "--no-edit", "feat", NULL);
	assert_int_not_equal(rc, 0);
	assert_non_null(strstr(out, "conflict"));
	free(out);
	text = rfix_read(rfix_path("w/trips.nb.lua"));
	assert_non_null(strstr(text, "-- %% id=\"plot\" conflict=true\n"));
	assert_non_null(strstr(text, "<<<<<<< ours\nplot.bars(by.day, "
	    "by.fare)\n=======\nplot.area(by.day, by.fare)\n>>>>>>> theirs\n"));
	free(text);
	/* It is still a notebook galley reads. */
	galley_run(&c, w, "diff", "--no-index", "trips.nb.lua",
	    "trips.nb.lua", NULL);
	assert_int_equal(c.status, 0);
	assert_null(strstr(c.out, "note:"));
	cmd_result_free(&c);
	repo_free(r);
}

static void
test_merge_driver_direct(void **state)
{
	struct cmd_result	 c;
	char			*text;

	rfix_write(rfix_path("o"), "-- %% id=\"a\"\nx = 1\n\n-- %% id=\"b\"\n"
	    "y = 1\n");
	rfix_write(rfix_path("a"), "-- %% id=\"a\"\nx = 2\n\n-- %% id=\"b\"\n"
	    "y = 1\n");
	rfix_write(rfix_path("b"), "-- %% id=\"b\"\ny = 1\n\n-- %% id=\"a\"\n"
	    "x = 1\n");
	galley_run(&c, rfix_dir, "merge-driver", "o", "a", "b", "x.nb.lua",
	    NULL);
	assert_int_equal(c.status, 0);
	cmd_result_free(&c);
	text = rfix_read(rfix_path("a"));
	assert_string_equal(text, "-- %% id=\"b\"\ny = 1\n\n-- %% id=\"a\"\n"
	    "x = 2\n");
	free(text);

	/* Plain text, with a conflict. */
	rfix_write(rfix_path("o"), "1\n2\n3\n");
	rfix_write(rfix_path("a"), "1\nA\n3\n");
	rfix_write(rfix_path("b"), "1\nB\n3\n");
	galley_run(&c, rfix_dir, "merge-driver", "o", "a", "b", "x.txt", NULL);
	assert_int_equal(c.status, 1);
	assert_non_null(strstr(c.err, "x.txt: 1 conflict"));
	cmd_result_free(&c);
	text = rfix_read(rfix_path("a"));
	assert_string_equal(text, "1\n<<<<<<< ours\nA\n=======\nB\n"
	    ">>>>>>> theirs\n3\n");
	free(text);

	galley_run(&c, rfix_dir, "merge-driver", "o", "missing", "b", NULL);
	assert_int_equal(c.status, 3);
	assert_non_null(strstr(c.err, "missing"));
	cmd_result_free(&c);
	galley_run(&c, rfix_dir, "merge-driver", "o", NULL);
	assert_int_equal(c.status, 2);
	cmd_result_free(&c);
}

/* The id after "started review ". */
static char *
started_id(const char *out)
{
	const char	*p = strstr(out, "started review ");

	assert_non_null(p);
	return xstrndup(p + 15, 8);
}

static void
test_review_flow(void **state)
{
	struct repo		*r = make_repo();
	struct cmd_result	 c;
	char			 w[512];
	char			*id, *tid, *text;
	json_t			*j, *t;

	snprintf(w, sizeof w, "%s", rfix_path("w"));

	/* Nothing yet. */
	galley_run(&c, w, "review", "list", NULL);
	assert_int_equal(c.status, 0);
	assert_non_null(strstr(c.out, "no reviews"));
	cmd_result_free(&c);

	galley_run(&c, w, "review", "start", "HEAD~1..HEAD", "--reviewer",
	    "bob", NULL);
	assert_int_equal(c.status, 0);
	id = started_id(c.out);
	/* HEAD~1 is kept as the commit it names now, HEAD as the branch. */
	{
		char	 base[REPO_OID_HEX], want[64];
		struct gl_err err;

		assert_int_equal(repo_resolve(r, "HEAD~1", base, &err), 0);
		snprintf(want, sizeof want, ": v2\n  %.7s..main\n", base);
		assert_non_null(strstr(c.out, want));
	}
	cmd_result_free(&c);

	/* A comment with a suggestion on line 2 of cell plot. */
	rfix_write(rfix_path("sugg.txt"), "plot.area(by.day, by.fare)\n");
	galley_run(&c, w, "review", "comment", "--path", "trips.nb.lua",
	    "--cell", "plot", "--lines", "2", "--suggest",
	    rfix_path("sugg.txt"), "-m", "an area plot", "--json", NULL);
	assert_int_equal(c.status, 0);
	j = json_of(c.out);
	t = json_object_get(j, "thread");
	assert_string_equal(json_string_value(json_object_get(t, "cell")),
	    "plot");
	assert_string_equal(json_string_value(json_object_get(t, "text")),
	    "plot.line(by.day, by.fare)");
	assert_string_equal(json_string_value(json_object_get(json_object_get(
	    t, "position"), "status")), "current");
	tid = xstrdup(json_string_value(json_object_get(t, "id")));
	json_decref(j);
	cmd_result_free(&c);

	/* Bad comments: usage errors, and a missing cell named. */
	galley_run(&c, w, "review", "comment", "--path", "trips.nb.lua",
	    "--cell", "plot", NULL);
	assert_int_equal(c.status, 2);
	assert_non_null(strstr(c.err, "no message"));
	cmd_result_free(&c);
	galley_run(&c, w, "review", "comment", "--path", "trips.nb.lua",
	    "--cell", "gone", "-m", "x", NULL);
	assert_int_equal(c.status, 1);
	assert_non_null(strstr(c.err, "no cell gone in trips.nb.lua"));
	cmd_result_free(&c);

	/* show: the header, the diff, the thread inline under its cell. */
	galley_run(&c, w, "review", "show", id, NULL);
	assert_int_equal(c.status, 0);
	assert_non_null(strstr(c.out, "  reviewer bob: no verdict yet\n"));
	assert_non_null(strstr(c.out, "~ [plot] code: modified"));
	assert_non_null(strstr(c.out, "  +plot.line(by.day, by.fare)\n"
	    "  | ["));
	assert_non_null(strstr(c.out, "open, cell plot, line 2 of "
	    "trips.nb.lua\n"));
	assert_non_null(strstr(c.out, "  |     an area plot\n"));
	assert_non_null(strstr(c.out, "  |   + plot.area(by.day, by.fare)\n"));
	cmd_result_free(&c);

	/* The author applies it, replies, resolves; bob approves. */
	galley_run(&c, w, "review", "apply", tid, NULL);
	assert_int_equal(c.status, 0);
	assert_non_null(strstr(c.out, "applied the suggestion"));
	cmd_result_free(&c);
	text = rfix_read(rfix_path("w/trips.nb.lua"));
	assert_non_null(strstr(text, "plot.area(by.day, by.fare)\n"));
	assert_null(strstr(text, "plot.line"));
	free(text);
	galley_run(&c, w, "review", "apply", tid, NULL);
	assert_int_equal(c.status, 1);
	assert_non_null(strstr(c.err, "applied already"));
	cmd_result_free(&c);
	galley_run(&c, w, "review", "reply", tid, "-m", "done", NULL);
	assert_int_equal(c.status, 0);
	cmd_result_free(&c);
	galley_run(&c, w, "review", "resolve", tid, "--json", NULL);
	assert_int_equal(c.status, 0);
	j = json_of(c.out);
	assert_true(json_is_true(json_object_get(json_object_get(j, "thread"),
	    "resolved")));
	json_decref(j);
	cmd_result_free(&c);
	galley_run(&c, w, "review", "approve", "-m", "thanks", NULL);
	assert_int_equal(c.status, 0);
	assert_non_null(strstr(c.out, "approved review"));
	cmd_result_free(&c);

	/* `galley review`: the current branch's review, as JSON. */
	galley_run(&c, w, "review", "--json", NULL);
	assert_int_equal(c.status, 0);
	j = json_of(c.out);
	t = json_object_get(j, "review");
	assert_string_equal(json_string_value(json_object_get(t, "id")), id);
	assert_string_equal(json_string_value(json_object_get(t, "status")),
	    "approved");
	assert_int_equal(json_integer_value(json_object_get(t,
	    "threads_open")), 0);
	t = json_array_get(json_object_get(t, "threads"), 0);
	assert_int_equal(json_array_size(json_object_get(t, "replies")), 1);
	json_decref(j);
	cmd_result_free(&c);

	galley_run(&c, w, "review", "list", "--json", NULL);
	j = json_of(c.out);
	assert_int_equal(json_array_size(json_object_get(j, "reviews")), 1);
	json_decref(j);
	cmd_result_free(&c);

	/* A corrupt record: a warning on stderr naming the commit; the
	 * review is intact. */
	{
		struct gl_err	 err;
		char		 head[REPO_OID_HEX];

		assert_int_equal(repo_resolve(r, "HEAD", head, &err), 0);
		assert_int_equal(repo_note_append(r,
		    "refs/notes/galley/reviews", head, "garbage\n", 8, &err),
		    0);
		galley_run(&c, w, "review", "show", id, "--no-diff", NULL);
		assert_int_equal(c.status, 0);
		assert_non_null(strstr(c.err, "warning: "));
		assert_non_null(strstr(c.err, "skipped"));
		{
			char	 short_head[8];

			snprintf(short_head, sizeof short_head, "%.7s", head);
			assert_non_null(strstr(c.err, short_head));
		}
		assert_non_null(strstr(c.out, "status: approved"));
		cmd_result_free(&c);
	}

	/* Unknown names. */
	galley_run(&c, w, "review", "show", "zzzz", NULL);
	assert_int_equal(c.status, 1);
	assert_non_null(strstr(c.err, "no review zzzz"));
	cmd_result_free(&c);
	galley_run(&c, w, "review", "frob", NULL);
	assert_int_equal(c.status, 2);
	cmd_result_free(&c);
	galley_run(&c, "/", "review", "list", NULL);
	assert_int_equal(c.status, 5);
	cmd_result_free(&c);
	free(id);
	free(tid);
	repo_free(r);
}

static void
test_review_sync_cli(void **state)
{
	struct repo		*seed = make_repo(), *hub, *a = NULL, *b = NULL;
	struct cmd_result	 c;
	struct gl_err		 err;
	char			*id;
	json_t			*j;

	hub = rfix_repo("hub.git", true, "Hub");
	assert_int_equal(repo_clone(rfix_path("w"), rfix_path("a"), false, &a,
	    &err), 0);
	assert_int_equal(repo_clone(rfix_path("w"), rfix_path("b"), false, &b,
	    &err), 0);
	repo_config_set(a, "user.name", "Ann", NULL);
	repo_config_set(a, "user.email", "ann@example.org", NULL);
	repo_config_set(b, "user.name", "Bob", NULL);
	repo_config_set(b, "user.email", "bob@example.org", NULL);

	galley_run(&c, rfix_path("a"), "review", "start", "HEAD~1..HEAD",
	    NULL);
	assert_int_equal(c.status, 0);
	id = started_id(c.out);
	cmd_result_free(&c);
	galley_run(&c, rfix_path("a"), "review", "sync", rfix_path("hub.git"),
	    "--json", NULL);
	assert_int_equal(c.status, 0);
	j = json_of(c.out);
	assert_int_equal(json_array_size(json_object_get(j, "pushed")), 1);
	json_decref(j);
	cmd_result_free(&c);
	galley_run(&c, rfix_path("b"), "review", "sync", rfix_path("hub.git"),
	    NULL);
	assert_int_equal(c.status, 0);
	assert_non_null(strstr(c.out, "1 ref updated here"));
	cmd_result_free(&c);

	/* Both comment at once, then sync in turn. */
	galley_run(&c, rfix_path("a"), "review", "comment", id, "--path",
	    "trips.nb.lua", "--cell", "load", "-m", "from ann", NULL);
	assert_int_equal(c.status, 0);
	cmd_result_free(&c);
	galley_run(&c, rfix_path("b"), "review", "comment", id, "--path",
	    "trips.nb.lua", "--cell", "more", "-m", "from bob", NULL);
	assert_int_equal(c.status, 0);
	cmd_result_free(&c);
	for (int k = 0; k < 3; k++) {
		galley_run(&c, rfix_path(k == 1 ? "b" : "a"), "review", "sync",
		    rfix_path("hub.git"), NULL);
		assert_int_equal(c.status, 0);
		cmd_result_free(&c);
	}
	for (int k = 0; k < 2; k++) {
		galley_run(&c, rfix_path(k == 0 ? "a" : "b"), "review", "show",
		    id, "--no-diff", NULL);
		assert_int_equal(c.status, 0);
		assert_non_null(strstr(c.out, "from ann"));
		assert_non_null(strstr(c.out, "from bob"));
		assert_non_null(strstr(c.out, "2 open threads of 2"));
		cmd_result_free(&c);
	}
	/* No remote named: origin. libgit2 pushes on disk only to bare
	 * repositories, and says so. */
	galley_run(&c, rfix_path("b"), "review", "sync", NULL);
	assert_int_equal(c.status, 5);
	assert_non_null(strstr(c.err, "non-bare"));
	cmd_result_free(&c);
	repo_config_set(b, "remote.origin.url", rfix_path("hub.git"), NULL);
	galley_run(&c, rfix_path("b"), "review", "sync", NULL);
	assert_int_equal(c.status, 0);
	assert_non_null(strstr(c.out, "synced reviews with origin: already "
	    "up to date"));
	cmd_result_free(&c);
	galley_run(&c, rfix_path("b"), "review", "sync", rfix_path("nowhere"),
	    NULL);
	assert_int_equal(c.status, 5);
	assert_non_null(strstr(c.err, "nowhere"));
	cmd_result_free(&c);
	free(id);
	repo_free(a);
	repo_free(b);
	repo_free(hub);
	repo_free(seed);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		RFIX_TEST(test_diff_repo),
		RFIX_TEST(test_git_drivers),
		RFIX_TEST(test_merge_driver_direct),
		RFIX_TEST(test_review_flow),
		RFIX_TEST(test_review_sync_cli),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

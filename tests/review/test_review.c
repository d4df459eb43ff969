/*
 * test_review.c - reviews in git notes (review/review*.c) on real
 * repositories: records parsed and assembled, a corrupt record skipped
 * with a warning naming its commit, comments that follow their cell when
 * it moves and go outdated when their lines change, verdicts (latest
 * wins), suggested changes applied to the work tree (and refused when the
 * lines changed), and two clones commenting at once that sync through a
 * bare repository on disk and then both show both comments; the records
 * read back with `git notes show` are JSON lines.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>

#include "rfix.h"
#include "review/review.h"

static struct rev_store *
load(struct repo *r)
{
	struct rev_store	*s = NULL;
	struct gl_err		 err;

	if (rev_store_load(r, &s, &err) != 0)
		fail_msg("rev_store_load: %s", err.msg);
	return s;
}

static void
test_records_pure(void **state)
{
	static const char note[] =
	    "{\"v\":1,\"type\":\"review\",\"at\":\"2025-01-01T00:00:00.000Z\","
	    "\"author\":\"Ann <a@x>\",\"id\":\"r1\",\"title\":\"T\","
	    "\"base\":\"main\",\"head\":\"feature\",\"base_commit\":\"b\","
	    "\"head_commit\":\"h\",\"reviewers\":[\"bob\"]}\n"
	    "\n"
	    "{\"v\":1,\"type\":\"comment\",\"at\":\"2025-01-01T00:00:02.000Z\","
	    "\"author\":\"Bob <b@x>\",\"review\":\"r1\",\"id\":\"t1\","
	    "\"commit\":\"h\",\"path\":\"a.nb.lua\",\"cell\":\"c\","
	    "\"lines\":[2,3],\"text\":\"x\\ny\",\"body\":\"why?\"}\n"
	    "this is not json\n"
	    "{\"v\":1,\"type\":\"verdict\",\"at\":\"2025-01-01T00:00:05.000Z\","
	    "\"author\":\"Bob <b@x>\",\"review\":\"r1\","
	    "\"verdict\":\"approve\","
	    "\"commit\":\"h\"}\n"
	    "{\"v\":9,\"type\":\"reply\",\"at\":\"2025-01-01T00:00:03.000Z\"}\n"
	    "{\"v\":1,\"type\":\"reply\",\"at\":\"2025-01-01T00:00:03.000Z\","
	    "\"author\":\"Ann <a@x>\",\"review\":\"r1\",\"id\":\"p1\","
	    "\"thread\":\"t1\",\"body\":\"because\"}\n"
	    /* The same record twice (written by hand): counted once. */
	    "{\"v\":1,\"type\":\"reply\",\"at\":\"2025-01-01T00:00:03.000Z\","
	    "\"author\":\"Ann <a@x>\",\"review\":\"r1\",\"id\":\"p1\","
	    "\"thread\":\"t1\",\"body\":\"because\"}\n"
	    "{\"v\":1,\"type\":\"resolve\",\"at\":\"2025-01-01T00:00:04.000Z\","
	    "\"author\":\"Bob <b@x>\",\"review\":\"r1\",\"thread\":\"t1\","
	    "\"resolved\":true}\n"
	    /* Earlier in time, later in the note: applied first. */
	    "{\"v\":1,\"type\":\"verdict\",\"at\":\"2025-01-01T00:00:01.000Z\","
	    "\"author\":\"Bob <b@x>\",\"review\":\"r1\","
	    "\"verdict\":\"request-changes\",\"commit\":\"h\"}\n"
	    "{\"v\":1,\"type\":\"reply\",\"at\":\"2025-01-01T00:00:03.000Z\","
	    "\"author\":\"Ann <a@x>\",\"review\":\"r1\",\"id\":\"p2\","
	    "\"thread\":\"nope\",\"body\":\"lost\"}\n"
	    "{\"v\":1,\"type\":\"comment\",\"at\":\"2025-01-01T00:00:02.000Z\","
	    "\"author\":\"Bob <b@x>\",\"review\":\"r1\",\"id\":\"t2\","
	    "\"commit\":\"h\",\"path\":\"a.nb.lua\",\"lines\":[3,1],"
	    "\"body\":\"bad range\"}";
	struct rev_store	*s = rev_store_new();
	struct rev_review	*rv;
	struct rev_thread	*t;
	struct gl_err		 err;

	rev_store_add_note(s, "0123456789abcdef0123456789abcdef01234567", note,
	    strlen(note));
	rev_store_finish(s);
	assert_int_equal(s->n, 1);
	rv = &s->reviews[0];
	assert_string_equal(rv->title, "T");
	assert_int_equal(rv->nreviewers, 1);
	assert_int_equal(rv->nthreads, 1);
	t = &rv->threads[0];
	assert_string_equal(t->cell, "c");
	assert_int_equal(t->line0, 2);
	assert_int_equal(t->line1, 3);
	assert_string_equal(t->text, "x\ny");
	assert_int_equal(t->nreplies, 1);
	assert_string_equal(t->replies[0].body, "because");
	assert_true(t->resolved);
	/* request-changes at :01, approve at :05: approve wins. */
	assert_int_equal(rv->nverdicts, 1);
	assert_int_equal(rv->verdicts[0].verdict, REV_APPROVE);
	assert_string_equal(rev_status(rv), "approved");
	assert_int_equal(rev_open_threads(rv), 0);
	/* Four lines skipped, each named. */
	assert_int_equal(s->nwarnings, 4);
	assert_non_null(strstr(s->warnings[0], "note on commit 0123456, "
	    "line 4: not JSON"));
	assert_non_null(strstr(s->warnings[1], "line 6: record version 9"));
	assert_non_null(strstr(s->warnings[2], "line 12: lines is not"));
	assert_non_null(strstr(s->warnings[3], "thread nope"));
	/* Lookups by prefix. */
	assert_non_null(rev_find(s, NULL, "r", &err));
	assert_null(rev_find(s, NULL, "zz", &err));
	assert_int_equal(err.code, GL_ENOTFOUND);
	assert_non_null(rev_find_thread(s, "t1", &rv, &err));
	rev_store_free(s);
}

static void
test_union(void **state)
{
	char	*u = rev_union("a\nb\n", 4, "b\nc\na\nd", 7, NULL);

	assert_string_equal(u, "a\nb\nc\nd\n");
	free(u);
	u = rev_union("", 0, "", 0, NULL);
	assert_string_equal(u, "");
	free(u);
}

static void
test_anchor_map(void **state)
{
	unsigned	 a, b;

	/* A line inserted above: shifted. */
	assert_int_equal(rev_anchor_map("1\n2\n3\n4", 7, "0\n1\n2\n3\n4", 9,
	    2, 3, &a, &b), REV_CURRENT);
	assert_int_equal(a, 3);
	assert_int_equal(b, 4);
	/* A line changed below: unchanged. */
	assert_int_equal(rev_anchor_map("1\n2\n3\n4", 7, "1\n2\n3\nX", 7, 2,
	    3, &a, &b), REV_CURRENT);
	assert_int_equal(a, 2);
	/* Right after, right before: still current. */
	assert_int_equal(rev_anchor_map("1\n2\n3", 5, "1\nnew\n2\n3", 9, 3, 3,
	    &a, &b), REV_CURRENT);
	assert_int_equal(a, 4);
	assert_int_equal(rev_anchor_map("1\n2\n3", 5, "1\n2\n3\nnew", 9, 3, 3,
	    &a, &b), REV_CURRENT);
	/* One of its lines changed, or a line put between: outdated. */
	assert_int_equal(rev_anchor_map("1\n2\n3\n4", 7, "1\n2\nX\n4", 7, 2,
	    3, &a, &b), REV_OUTDATED);
	assert_int_equal(rev_anchor_map("1\n2\n3\n4", 7, "1\n2\nin\n3\n4",
	    10, 2, 3, &a, &b), REV_OUTDATED);
	assert_int_equal(rev_anchor_map("1\n2", 3, "1\n2", 3, 2, 5, &a, &b),
	    REV_OUTDATED);
}

#define NB_V1								\
	"-- %% [markdown] id=\"intro\"\n-- # Trips\n\n"			\
	"-- %% id=\"load\"\nlocal t = read(\"t.csv\")\nt:head(5)\n\n"	\
	"-- %% id=\"plot\"\nlocal by = t:groupby(\"day\")\n"		\
	"plot.bar(by.day, by.fare)\nprint(\"done\")\n"

/* plot moved above load; load edited. */
#define NB_V2								\
	"-- %% [markdown] id=\"intro\"\n-- # Trips\n\n"			\
	"-- %% id=\"plot\"\nlocal by = t:groupby(\"day\")\n"		\
	"plot.bar(by.day, by.fare)\nprint(\"done\")\n\n"		\
	"-- %% id=\"load\"\nlocal t = read(\"trips.csv\")\nt:head(5)\n"

/* plot moved back down, a line added at its top. */
#define NB_V3								\
	"-- %% [markdown] id=\"intro\"\n-- # Trips\n\n"			\
	"-- %% id=\"load\"\nlocal t = read(\"trips.csv\")\nt:head(5)\n\n" \
	"-- %% id=\"plot\"\n-- by day\nlocal by = t:groupby(\"day\")\n"	\
	"plot.bar(by.day, by.fare)\nprint(\"done\")\n"

/* The commented lines changed. */
#define NB_V4								\
	"-- %% [markdown] id=\"intro\"\n-- # Trips\n\n"			\
	"-- %% id=\"load\"\nlocal t = read(\"trips.csv\")\nt:head(5)\n\n" \
	"-- %% id=\"plot\"\n-- by day\nlocal by = t:groupby(\"day\")\n"	\
	"plot.line(by.day, by.fare)\nprint(\"done\")\n"

static void
commit_nb(struct repo *r, const char *branch, const char *text,
    const char *msg)
{
	struct gl_err	 err;

	if (repo_commit_blob(r, branch, "trips.nb.lua", text, strlen(text),
	    msg, NULL, &err) != 0)
		fail_msg("commit: %s", err.msg);
}

static void
test_comment_follows_cell(void **state)
{
	struct repo		*r = rfix_repo("w", true, "Ann");
	struct rev_start_req	 q = { "main", "feature", NULL, NULL, 0 };
	struct rev_comment_req	 c = { "trips.nb.lua", "plot", 2, 2,
	    "a line plot reads better", NULL };
	struct rev_store	*s;
	struct rev_review	*rv;
	struct rev_thread	*t;
	struct gl_err		 err;
	char			 id[REV_ID_LEN + 1], tid[REV_ID_LEN + 1];

	commit_nb(r, "main", NB_V1, "v1");
	assert_int_equal(repo_branch_create(r, "feature", "main", &err), 0);
	commit_nb(r, "feature", NB_V2, "move plot up, read trips.csv");
	assert_int_equal(rev_start(r, &q, id, &err), 0);
	assert_int_equal(strlen(id), REV_ID_LEN);

	s = load(r);
	rv = rev_find(s, r, id, &err);
	assert_non_null(rv);
	assert_string_equal(rv->title, "move plot up, read trips.csv");
	assert_string_equal(rv->base, "main");
	assert_string_equal(rv->head, "feature");
	/* A missing cell, lines past the cell: named. */
	c.cell = "nope";
	assert_int_equal(rev_comment(r, rv, &c, tid, &err), GL_ENOTFOUND);
	assert_non_null(strstr(err.msg, "no cell nope in trips.nb.lua at "
	    "feature"));
	c.cell = "plot";
	c.line0 = 2;
	c.line1 = 9;
	assert_int_equal(rev_comment(r, rv, &c, tid, &err), GL_ENOTFOUND);
	assert_non_null(strstr(err.msg, "has 3 lines"));
	c.line1 = 2;
	assert_int_equal(rev_comment(r, rv, &c, tid, &err), 0);
	rev_store_free(s);

	/* At v2 itself: current, line 2. */
	s = load(r);
	rv = rev_find(s, r, id, &err);
	assert_int_equal(rv->nthreads, 1);
	t = &rv->threads[0];
	assert_string_equal(t->text, "plot.bar(by.day, by.fare)");
	assert_int_equal(rev_locate(r, rv, &err), 0);
	assert_int_equal(t->where, REV_CURRENT);
	assert_int_equal(t->now0, 2);
	assert_false(t->moved);
	rev_store_free(s);

	/* The author moves the cell back and adds a line at its top: the
	 * comment follows the cell, one line down. */
	commit_nb(r, "feature", NB_V3, "plot last again");
	s = load(r);
	rv = rev_find(s, r, id, &err);
	t = &rv->threads[0];
	assert_int_equal(rev_locate(r, rv, &err), 0);
	assert_int_equal(t->where, REV_CURRENT);
	assert_int_equal(t->now0, 3);
	assert_int_equal(t->now1, 3);
	assert_true(t->moved);
	assert_int_equal(t->cell_index, 2);
	rev_store_free(s);

	/* The line itself changes: outdated, with the text it was made on. */
	commit_nb(r, "feature", NB_V4, "line plot");
	s = load(r);
	rv = rev_find(s, r, id, &err);
	t = &rv->threads[0];
	assert_int_equal(rev_locate(r, rv, &err), 0);
	assert_int_equal(t->where, REV_OUTDATED);
	assert_string_equal(t->text, "plot.bar(by.day, by.fare)");
	{
		json_t	*j = rev_thread_json(t);

		assert_string_equal(json_string_value(json_object_get(
		    json_object_get(j, "position"), "status")), "outdated");
		json_decref(j);
	}
	rev_store_free(s);

	/* The cell removed: gone. */
	commit_nb(r, "feature", "-- %% [markdown] id=\"intro\"\n-- # Trips\n",
	    "drop all");
	s = load(r);
	rv = rev_find(s, r, id, &err);
	assert_int_equal(rev_locate(r, rv, &err), 0);
	assert_int_equal(rv->threads[0].where, REV_GONE);
	rev_store_free(s);
	repo_free(r);
}

static void
test_verdicts_and_threads(void **state)
{
	struct repo		*r = rfix_repo("v", true, "Bob");
	struct rev_start_req	 q = { "main", "feature", "Title", NULL, 0 };
	struct rev_comment_req	 c = { "trips.nb.lua", "load", 0, 0, "ok?",
	    NULL };
	const char		*who[] = { "carol" };
	struct rev_store	*s;
	struct rev_review	*rv;
	struct rev_thread	*t;
	struct gl_err		 err;
	char			 id[REV_ID_LEN + 1], tid[REV_ID_LEN + 1];

	q.reviewers = who;
	q.nreviewers = 1;
	commit_nb(r, "main", NB_V1, "v1");
	assert_int_equal(repo_branch_create(r, "feature", "main", &err), 0);
	/* Nothing to review yet. */
	assert_int_equal(rev_start(r, &q, id, &err), GL_EINVAL);
	assert_non_null(strstr(err.msg, "is empty"));
	commit_nb(r, "feature", NB_V2, "v2");
	assert_int_equal(rev_start(r, &q, id, &err), 0);
	s = load(r);
	rv = rev_find(s, r, id, &err);
	assert_int_equal(rev_comment(r, rv, &c, tid, &err), 0);
	assert_int_equal(rev_give_verdict(r, rv, REV_REQUEST_CHANGES,
	    "fix it", &err), 0);
	rev_store_free(s);

	s = load(r);
	rv = rev_find(s, r, id, &err);
	assert_string_equal(rev_status(rv), "changes-requested");
	t = rev_find_thread(s, tid, &rv, &err);
	assert_non_null(t);
	assert_int_equal(t->line0, 0);	/* the whole cell */
	assert_int_equal(rev_reply(r, rv, t, "done", NULL, &err), 0);
	assert_int_equal(rev_resolve(r, rv, t, true, &err), 0);
	assert_int_equal(rev_give_verdict(r, rv, REV_APPROVE, "", &err), 0);
	rev_store_free(s);

	s = load(r);
	rv = rev_find(s, r, id, &err);
	assert_string_equal(rev_status(rv), "approved");
	assert_int_equal(rv->nverdicts, 1);	/* one person, latest wins */
	assert_string_equal(rv->verdicts[0].author, "Bob <x@example.org>");
	assert_int_equal(rev_open_threads(rv), 0);
	assert_int_equal(rv->threads[0].nreplies, 1);
	{
		json_t	*j = rev_review_json(rv, true);

		assert_string_equal(json_string_value(json_object_get(j,
		    "status")), "approved");
		assert_int_equal(json_array_size(json_object_get(j,
		    "threads")), 1);
		assert_string_equal(json_string_value(json_array_get(
		    json_object_get(j, "reviewers"), 0)), "carol");
		json_decref(j);
	}
	rev_store_free(s);

	/* A corrupt line in the note: a warning naming the commit, and the
	 * rest is still there. */
	s = load(r);
	rv = rev_find(s, r, id, &err);
	{
		const char	*bad = "{\"v\":1,\"type\":\"comment\"\n";

		assert_int_equal(repo_note_append(r, REV_NOTES_REF,
		    rv->anchor, bad, strlen(bad), &err), 0);
	}
	{
		char	 anchor[8];

		snprintf(anchor, sizeof anchor, "%.7s", rv->anchor);
		rev_store_free(s);
		s = load(r);
		assert_int_equal(s->nwarnings, 1);
		assert_non_null(strstr(s->warnings[0], anchor));
		assert_non_null(strstr(s->warnings[0], "not JSON"));
	}
	rv = rev_find(s, r, id, &err);
	assert_int_equal(rv->nthreads, 1);
	assert_string_equal(rev_status(rv), "approved");
	rev_store_free(s);
	repo_free(r);
}

static void
test_suggestion_applied(void **state)
{
	struct repo		*r = rfix_repo("s", false, "Ann");
	struct rev_start_req	 q = { "HEAD~1", "HEAD", NULL, NULL, 0 };
	struct rev_comment_req	 c = { "trips.nb.lua", "plot", 2, 3,
	    "one call", "plot.line(by.day, by.fare)\n" };
	struct rev_store	*s;
	struct rev_review	*rv;
	struct rev_thread	*t;
	struct gl_err		 err;
	char			 id[REV_ID_LEN + 1], tid[REV_ID_LEN + 1];
	char			*text, *path = NULL;

	rfix_write(rfix_path("s/trips.nb.lua"), NB_V1);
	assert_int_equal(repo_commit_file(r, "trips.nb.lua", "v1", NULL,
	    &err), 0);
	rfix_write(rfix_path("s/trips.nb.lua"), NB_V3);
	assert_int_equal(repo_commit_file(r, "trips.nb.lua", "v3", NULL,
	    &err), 0);
	assert_int_equal(rev_start(r, &q, id, &err), 0);
	s = load(r);
	rv = rev_find(s, r, NULL, &err);	/* the current branch's */
	assert_non_null(rv);
	assert_string_equal(rv->head, "main");	/* HEAD became its branch */
	assert_int_equal(rev_comment(r, rv, &c, tid, &err), 0);
	rev_store_free(s);

	/* Meanwhile the author edits another cell in the work tree. */
	text = rfix_read(rfix_path("s/trips.nb.lua"));
	*strstr(text, "t:head(5)") = 'T';
	rfix_write(rfix_path("s/trips.nb.lua"), text);
	free(text);

	s = load(r);
	t = rev_find_thread(s, tid, &rv, &err);
	assert_non_null(t);
	assert_string_equal(t->suggestion, "plot.line(by.day, by.fare)");
	{
		/* Where it goes in the cell as it is now (the kernel's way
		 * into an open notebook): lines 2-3 with their newline. */
		const char	*cell = "-- by day\nlocal by = t:groupby(\"day\")"
		    "\nplot.bar(by.day, by.fare)\nprint(\"done\")";
		size_t		 s0, s1;
		char		*repl;

		assert_int_equal(rev_apply_range(r, t, cell, strlen(cell),
		    &s0, &s1, &repl, &err), 0);
		assert_int_equal(s0, strlen("-- by day\n"));
		assert_int_equal(s1, (size_t)(strstr(cell, "print") - cell));
		assert_string_equal(repl, "plot.line(by.day, by.fare)\n");
		free(repl);
	}
	assert_int_equal(rev_apply(r, t, &path, &err), 0);
	assert_non_null(strstr(path, "s/trips.nb.lua"));
	free(path);
	text = rfix_read(rfix_path("s/trips.nb.lua"));
	assert_string_equal(text,
	    "-- %% [markdown] id=\"intro\"\n-- # Trips\n\n"
	    "-- %% id=\"load\"\nlocal t = read(\"trips.csv\")\nT:head(5)\n\n"
	    "-- %% id=\"plot\"\n-- by day\nplot.line(by.day, by.fare)\n"
	    "print(\"done\")\n");
	free(text);
	/* Again: it is there already. */
	assert_int_equal(rev_apply(r, t, NULL, &err), GL_EEXIST);
	assert_non_null(strstr(err.msg, "applied already"));

	/* Refused when the lines changed. */
	rfix_write(rfix_path("s/trips.nb.lua"), NB_V3);
	text = rfix_read(rfix_path("s/trips.nb.lua"));
	memcpy(strstr(text, "plot.bar"), "plot.pie", 8);
	rfix_write(rfix_path("s/trips.nb.lua"), text);
	assert_int_equal(rev_apply(r, t, NULL, &err), GL_ECONFLICT);
	assert_non_null(strstr(err.msg, "lines 2-3 of cell plot changed"));
	{
		char	*after = rfix_read(rfix_path("s/trips.nb.lua"));

		assert_string_equal(after, text);	/* untouched */
		free(after);
	}
	free(text);
	rev_store_free(s);
	repo_free(r);
}

/* Every line of text is a JSON object with "v" and "type". */
static void
assert_json_lines(const char *text)
{
	const char	*p = text;
	int		 n = 0;

	while (*p != '\0') {
		const char	*nl = strchr(p, '\n');
		size_t		 len = nl != NULL ? (size_t)(nl - p) :
		    strlen(p);
		json_error_t	 je;
		json_t		*j = json_loadb(p, len, 0, &je);

		if (j == NULL)
			fail_msg("not a JSON line: %.*s (%s)", (int)len, p,
			    je.text);
		assert_true(json_is_integer(json_object_get(j, "v")));
		assert_non_null(json_string_value(json_object_get(j, "type")));
		json_decref(j);
		n++;
		p += len + (nl != NULL);
	}
	assert_true(n > 0);
}

static void
test_two_clones_sync(void **state)
{
	struct repo		*seed = rfix_repo("seed", false, "Ann");
	struct repo		*hub = NULL, *a = NULL, *b = NULL;
	struct rev_start_req	 q = { "origin/main", "origin/feature", "T",
	    NULL, 0 };
	struct rev_comment_req	 c = { "trips.nb.lua", "load", 1, 1, NULL,
	    NULL };
	struct repo_sync	 sy = { 0 };
	struct rev_store	*s;
	struct rev_review	*rv;
	struct gl_err		 err;
	char			 id[REV_ID_LEN + 1], anchor[REPO_OID_HEX];

	commit_nb(seed, "main", NB_V1, "v1");
	assert_int_equal(repo_branch_create(seed, "feature", "main", &err), 0);
	commit_nb(seed, "feature", NB_V2, "v2");
	/* Two clones of the author's repository; the reviews travel
	 * through a bare repository on disk, a remote named "hub" in a and
	 * a plain path in b. */
	assert_int_equal(repo_clone(rfix_path("seed"), rfix_path("a"), false,
	    &a, &err), 0);
	assert_int_equal(repo_clone(rfix_path("seed"), rfix_path("b"), false,
	    &b, &err), 0);
	hub = rfix_repo("hub.git", true, "Hub");
	repo_config_set(a, "remote.hub.url", rfix_path("hub.git"), NULL);
	repo_config_set(a, "user.name", "Ann", NULL);
	repo_config_set(a, "user.email", "ann@example.org", NULL);
	repo_config_set(b, "user.name", "Bob", NULL);
	repo_config_set(b, "user.email", "bob@example.org", NULL);

	/* Ann starts the review and syncs; Bob syncs and sees it. */
	if (rev_start(a, &q, id, &err) != 0)
		fail_msg("rev_start: %s", err.msg);
	assert_int_equal(rev_sync(a, "hub", &sy, &err), 0);
	assert_int_equal(sy.npushed, 1);
	repo_sync_fini(&sy);
	assert_int_equal(rev_sync(b, rfix_path("hub.git"), &sy, &err), 0);
	assert_int_equal(sy.nupdated, 1);
	repo_sync_fini(&sy);

	/* Both comment before either syncs again. */
	s = load(a);
	rv = rev_find(s, a, id, &err);
	assert_non_null(rv);
	c.body = "from ann";
	assert_int_equal(rev_comment(a, rv, &c, NULL, &err), 0);
	rev_store_free(s);
	s = load(b);
	rv = rev_find(s, b, id, &err);
	assert_non_null(rv);
	snprintf(anchor, sizeof anchor, "%s", rv->anchor);
	c.body = "from bob";
	assert_int_equal(rev_comment(b, rv, &c, NULL, &err), 0);
	assert_int_equal(rev_give_verdict(b, rv, REV_APPROVE, NULL, &err), 0);
	rev_store_free(s);

	assert_int_equal(rev_sync(a, "hub", &sy, &err), 0);
	repo_sync_fini(&sy);
	assert_int_equal(rev_sync(b, rfix_path("hub.git"), &sy, &err), 0);
	repo_sync_fini(&sy);
	assert_int_equal(rev_sync(a, "hub", &sy, &err), 0);
	repo_sync_fini(&sy);

	for (int k = 0; k < 2; k++) {
		struct repo	*x = k == 0 ? a : b;
		bool		 ann = false, bob = false;

		s = load(x);
		assert_int_equal(s->nwarnings, 0);
		rv = rev_find(s, x, id, &err);
		assert_non_null(rv);
		assert_int_equal(rv->nthreads, 2);
		for (size_t i = 0; i < rv->nthreads; i++) {
			ann |= strcmp(rv->threads[i].body, "from ann") == 0;
			bob |= strcmp(rv->threads[i].body, "from bob") == 0;
		}
		assert_true(ann && bob);
		assert_string_equal(rev_status(rv), "approved");
		rev_store_free(s);
	}
	if (rfix_have_git()) {
		char	*out = NULL;

		assert_int_equal(rfix_run(rfix_path("hub.git"), &out, "git",
		    "notes", "--ref", REV_NOTES_REF, "show", anchor, NULL), 0);
		assert_json_lines(out);
		assert_non_null(strstr(out, "\"from ann\""));
		assert_non_null(strstr(out, "\"from bob\""));
		free(out);
	}
	repo_free(a);
	repo_free(b);
	repo_free(hub);
	repo_free(seed);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_records_pure),
		cmocka_unit_test(test_union),
		cmocka_unit_test(test_anchor_map),
		RFIX_TEST(test_comment_follows_cell),
		RFIX_TEST(test_verdicts_and_threads),
		RFIX_TEST(test_suggestion_applied),
		RFIX_TEST(test_two_clones_sync),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

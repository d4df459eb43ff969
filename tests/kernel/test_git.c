/*
 * test_git.c - git.* and review.* through a real kernel: a notebook in a
 * repository the test builds with review/repo.h (in a private $HOME, so
 * the kernel reads no user config), its status against HEAD cell by
 * cell, commits, its log, a cell at an earlier commit, and reviews read,
 * commented on, replied to, resolved, approved and applied, the last into
 * a session that has the notebook open (a new edit every client sees).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/paths.h"
#include "kfixture.h"
#include "review/repo.h"
#include "review/review.h"

#define NB_V1								\
	"-- %% [markdown] id=\"intro\"\n-- # Trips\n\n"			\
	"-- %% id=\"load\"\nlocal t = read(\"trips.csv\")\nt:head(5)\n\n"	\
	"-- %% id=\"plot\"\nlocal by = t:groupby(\"day\")\n"		\
	"plot.bar(by.day, by.fare)\n"

/* plot edited, more added. */
#define NB_V2								\
	"-- %% [markdown] id=\"intro\"\n-- # Trips\n\n"			\
	"-- %% id=\"load\"\nlocal t = read(\"trips.csv\")\nt:head(5)\n\n"	\
	"-- %% id=\"plot\"\nlocal by = t:groupby(\"day\")\n"		\
	"plot.line(by.day, by.fare)\n\n"				\
	"-- %% id=\"more\"\nprint(#t)\n"

/* A kernel whose $HOME is the test's directory, and a repository in
 * t->proj with an identity and the notebook committed as v1. */
static int
setup_repo(void **state)
{
	struct kt	*t;
	struct repo	*r;
	struct gl_err	 err;
	char		*nb;

	kt_setup(state);
	t = *state;
	setenv("HOME", t->root, 1);
	setenv("XDG_CONFIG_HOME", t->root, 1);
	setenv("GIT_CONFIG_NOSYSTEM", "1", 1);
	assert_int_equal(repo_init(t->proj, false, &r, &err), 0);
	repo_config_set(r, "user.name", "Ann", NULL);
	repo_config_set(r, "user.email", "ann@example.org", NULL);
	nb = kt_write(t->proj, "trips.nb.lua", NB_V1);
	assert_int_equal(repo_commit_file(r, "trips.nb.lua", "v1", NULL,
	    &err), 0);
	free(nb);
	repo_free(r);
	assert_true(kt_start(t) > 0);
	return 0;
}

static struct repo *
open_repo(struct kt *t)
{
	struct repo	*r;
	struct gl_err	 err;

	assert_int_equal(repo_open(t->proj, &r, &err), 0);
	return r;
}

/* Commits text as the notebook (in the work tree too). */
static void
commit_nb(struct kt *t, const char *text, const char *msg)
{
	struct repo	*r = open_repo(t);
	struct gl_err	 err;

	free(kt_write(t->proj, "trips.nb.lua", text));
	assert_int_equal(repo_commit_file(r, "trips.nb.lua", msg, NULL,
	    &err), 0);
	repo_free(r);
}

static char *
open_nb(struct kt *t, struct kc *k, long long *version)
{
	char	*path = xasprintf("%s/trips.nb.lua", t->proj), *sid;
	json_t	*r = kc_call(k, "session.open", json_pack("{s:s}", "path",
	    path));

	assert_non_null(r);
	sid = xstrdup(kj_str(r, "session"));
	if (version != NULL)
		*version = kj_int(r, "version");
	json_decref(r);
	free(path);
	return sid;
}

static json_t *
status(struct kc *k, const char *sid)
{
	json_t	*r = kc_call(k, "git.status", json_pack("{s:s}", "session",
	    sid));

	assert_non_null(r);
	return r;
}

/* The status ("added", ...) git.status gives cell id, or NULL. */
static const char *
mark_of(const json_t *st, const char *id)
{
	json_t	*c = kj_cell(json_object_get(st, "cells"), id);

	return c != NULL ? kj_str(c, "status") : NULL;
}

static void
test_status(void **state)
{
	struct kt	*t = *state;
	struct kc	*k = kt_conn(t);
	long long	 v;
	char		*sid = open_nb(t, k, &v), *other;
	json_t		*st, *r;
	const char	*plot = "local by = t:groupby(\"day\")\n"
	    "plot.bar(by.day, by.fare)";

	st = status(k, sid);
	assert_true(json_is_true(json_object_get(st, "repo")));
	assert_string_equal(kj_str(st, "path"), "trips.nb.lua");
	assert_string_equal(kj_str(st, "branch"), "main");
	assert_int_equal(strlen(kj_str(st, "head")), 40);
	assert_true(json_is_true(json_object_get(st, "tracked")));
	assert_true(json_is_false(json_object_get(st, "differs")));
	assert_int_equal(json_array_size(json_object_get(st, "cells")), 0);
	json_decref(st);

	/* An edit (not saved) and a new cell: the document counts, not the
	 * file. */
	json_decref(kc_insert_text(k, sid, v, "plot", strlen(plot), "\n-- !",
	    strlen(plot)));
	r = kc_call(k, "doc.edit", json_pack("{s:s, s:I, s:[{s:s, s:i, s:s, "
	    "s:s, s:s}, {s:s, s:s, s:i}]}", "session", sid, "version",
	    (json_int_t)v + 1, "ops", "t", "insert_cell", "index", 3, "id",
	    "new", "kind", "code", "source", "x = 1", "t", "delete_cell",
	    "id", "intro", "from", 0));
	assert_non_null(r);
	json_decref(r);
	st = status(k, sid);
	assert_true(json_is_true(json_object_get(st, "differs")));
	assert_string_equal(mark_of(st, "plot"), "modified");
	assert_string_equal(mark_of(st, "new"), "added");
	assert_null(mark_of(st, "load"));
	assert_int_equal(kj_int(st, "added"), 1);
	assert_int_equal(kj_int(st, "modified"), 1);
	assert_int_equal(kj_int(st, "removed"), 1);
	json_decref(st);

	/* A notebook in no repository. */
	other = kt_write(t->root, "loose.nb.lua", "-- %% id=\"a\"\nx = 1\n");
	r = kc_call(k, "session.open", json_pack("{s:s}", "path", other));
	assert_non_null(r);
	st = status(k, kj_str(r, "session"));
	assert_true(json_is_false(json_object_get(st, "repo")));
	json_decref(st);
	json_decref(r);
	free(other);

	/* Not attached: refused. */
	{
		struct kc	*k2 = kt_conn(t);

		assert_null(kc_call(k2, "git.status", json_pack("{s:s}",
		    "session", sid)));
		assert_int_equal(k2->code, GL_EPERM);
		kc_free(k2);
	}
	free(sid);
	kc_free(k);
}

static void
test_commit(void **state)
{
	struct kt		*t = *state;
	struct kc		*k = kt_conn(t);
	long long		 v;
	char			*sid = open_nb(t, k, &v);
	struct repo		*r;
	struct repo_commit	*log;
	size_t			 n;
	struct gl_err		 err;
	json_t			*res;

	/* As in HEAD: nothing to commit. */
	assert_null(kc_call(k, "git.commit", json_pack("{s:s, s:s}",
	    "session", sid, "message", "nothing")));
	assert_int_equal(k->code, GL_EINVAL);
	assert_non_null(strstr(k->msg, "nothing to commit"));
	/* Unsaved changes: save first. */
	json_decref(kc_insert_text(k, sid, v, "load", 0, "-- fast\n",
	    strlen("local t = read(\"trips.csv\")\nt:head(5)")));
	assert_null(kc_call(k, "git.commit", json_pack("{s:s, s:s}",
	    "session", sid, "message", "load")));
	assert_int_equal(k->code, GL_ECONFLICT);
	assert_non_null(strstr(k->msg, "unsaved changes"));
	json_decref(kc_call(k, "doc.save", json_pack("{s:s}", "session",
	    sid)));
	/* No message. */
	assert_null(kc_call(k, "git.commit", json_pack("{s:s, s:s}",
	    "session", sid, "message", "  ")));
	assert_int_equal(k->code, GL_EINVAL);

	res = kc_call(k, "git.commit", json_pack("{s:s, s:s}", "session", sid,
	    "message", "load: say it is fast\n\nbody"));
	assert_non_null(res);
	assert_string_equal(kj_str(res, "branch"), "main");
	assert_string_equal(kj_str(res, "summary"), "load: say it is fast");
	assert_string_equal(kj_str(res, "author"), "Ann <ann@example.org>");
	r = open_repo(t);
	assert_int_equal(repo_log(r, NULL, "trips.nb.lua", 0, &log, &n, &err),
	    0);
	assert_int_equal(n, 2);
	assert_string_equal(log[0].oid, kj_str(res, "commit"));
	assert_string_equal(log[0].summary, "load: say it is fast");
	assert_string_equal(log[0].author, "Ann <ann@example.org>");
	repo_log_free(log, n);
	repo_free(r);
	json_decref(res);
	/* Now the document is as in HEAD again. */
	res = status(k, sid);
	assert_true(json_is_false(json_object_get(res, "differs")));
	json_decref(res);
	free(sid);
	kc_free(k);
}

static void
test_log_and_show_cell(void **state)
{
	struct kt	*t = *state;
	struct kc	*k;
	char		*sid;
	json_t		*res, *c, *lines;
	size_t		 i;
	bool		 minus = false, plus = false;

	commit_nb(t, NB_V2, "line plot and more");
	free(kt_write(t->proj, "other.txt", "x\n"));
	{
		struct repo	*r = open_repo(t);
		struct gl_err	 err;

		assert_int_equal(repo_commit_file(r, "other.txt", "other",
		    NULL, &err), 0);
		repo_free(r);
	}
	k = kt_conn(t);
	sid = open_nb(t, k, NULL);
	res = kc_call(k, "git.log", json_pack("{s:s}", "session", sid));
	assert_non_null(res);
	c = json_object_get(res, "commits");
	assert_int_equal(json_array_size(c), 2);	/* not "other" */
	assert_string_equal(kj_str(json_array_get(c, 0), "summary"),
	    "line plot and more");
	assert_string_equal(kj_str(json_array_get(c, 1), "summary"), "v1");
	assert_string_equal(kj_str(json_array_get(c, 1), "author"),
	    "Ann <ann@example.org>");
	assert_true(strlen(kj_str(json_array_get(c, 1), "short")) >= 7);
	json_decref(res);
	res = kc_call(k, "git.log", json_pack("{s:s, s:i}", "session", sid,
	    "max", 1));
	assert_int_equal(json_array_size(json_object_get(res, "commits")), 1);
	json_decref(res);

	/* plot as it was two commits ago, and what changed since. */
	res = kc_call(k, "git.show_cell", json_pack("{s:s, s:s, s:s}",
	    "session", sid, "cell", "plot", "rev", "HEAD~2"));
	assert_non_null(res);
	assert_true(json_is_true(json_object_get(res, "found")));
	assert_string_equal(kj_str(res, "summary"), "v1");
	assert_string_equal(kj_str(res, "source"), "local by = "
	    "t:groupby(\"day\")\nplot.bar(by.day, by.fare)");
	lines = json_object_get(json_array_get(json_object_get(res, "hunks"),
	    0), "lines");
	json_array_foreach(lines, i, c) {
		minus |= strcmp(kj_str(c, "op"), "-") == 0 &&
		    strcmp(kj_str(c, "text"), "plot.bar(by.day, by.fare)") == 0;
		plus |= strcmp(kj_str(c, "op"), "+") == 0 &&
		    strcmp(kj_str(c, "text"), "plot.line(by.day, by.fare)") == 0;
	}
	assert_true(minus && plus);
	json_decref(res);
	/* A cell that did not exist then. */
	res = kc_call(k, "git.show_cell", json_pack("{s:s, s:s, s:s}",
	    "session", sid, "cell", "more", "rev", "HEAD~2"));
	assert_non_null(res);
	assert_true(json_is_false(json_object_get(res, "found")));
	json_decref(res);
	/* No such revision. */
	assert_null(kc_call(k, "git.show_cell", json_pack("{s:s, s:s, s:s}",
	    "session", sid, "cell", "plot", "rev", "nope")));
	assert_int_equal(k->code, GL_ENOTFOUND);
	free(sid);
	kc_free(k);
}

/* review.open of HEAD~1..HEAD from the repository's directory. */
static json_t *
review_open(struct kt *t, struct kc *k)
{
	json_t	*r = kc_call(k, "review.open", json_pack("{s:s, s:s}", "path",
	    t->proj, "range", "HEAD~1..HEAD"));

	assert_non_null(r);
	return r;
}

static void
test_review_open(void **state)
{
	struct kt	*t = *state;
	struct kc	*k;
	json_t		*r, *f, *cells;

	commit_nb(t, NB_V2, "line plot");
	k = kt_conn(t);
	r = review_open(t, k);
	assert_true(json_is_null(json_object_get(r, "review")));
	assert_string_equal(kj_str(r, "head"), "main");
	assert_int_equal(strlen(kj_str(r, "base_commit")), 40);
	f = json_array_get(json_object_get(r, "files"), 0);
	assert_string_equal(kj_str(f, "new_path"), "trips.nb.lua");
	assert_string_equal(kj_str(f, "format"), "notebook");
	cells = json_object_get(f, "cells");
	/* intro and load folded into one entry; plot; more. */
	assert_int_equal(json_array_size(cells), 3);
	assert_int_equal(kj_int(json_array_get(cells, 0), "count"), 2);
	assert_string_equal(kj_str(json_array_get(cells, 1), "id"), "plot");
	assert_string_equal(kj_str(json_array_get(cells, 2), "status"),
	    "added");
	json_decref(r);
	/* The default range: main has no upstream and is the base itself. */
	assert_null(kc_call(k, "review.open", json_pack("{s:s}", "path",
	    t->proj)));
	assert_int_equal(k->code, GL_ENOTFOUND);
	kc_free(k);
}

static void
test_review_threads_and_verdict(void **state)
{
	struct kt	*t = *state;
	struct kc	*k;
	struct repo	*rp;
	struct gl_err	 err;
	json_t		*r, *th;
	char		 head[REPO_OID_HEX], *note, *rid, *tid;
	size_t		 len;

	commit_nb(t, NB_V2, "line plot");
	k = kt_conn(t);
	/* The first comment starts the review. */
	r = kc_call(k, "review.comment", json_pack("{s:s, s:s, s:s, s:s, "
	    "s:[ii], s:s}", "path", t->proj, "range", "HEAD~1..HEAD", "file",
	    "trips.nb.lua", "cell", "plot", "lines", 2, 2, "body",
	    "why a line?"));
	assert_non_null(r);
	rid = xstrdup(kj_str(r, "review"));
	th = json_object_get(r, "thread");
	tid = xstrdup(kj_str(th, "id"));
	assert_string_equal(kj_str(th, "text"), "plot.line(by.day, by.fare)");
	assert_string_equal(kj_str(json_object_get(th, "position"), "status"),
	    "current");
	json_decref(r);
	/* A comment on a line that is not there. */
	assert_null(kc_call(k, "review.comment", json_pack("{s:s, s:s, s:s, "
	    "s:s, s:[ii], s:s}", "path", t->proj, "review", rid, "file",
	    "trips.nb.lua", "cell", "plot", "lines", 7, 7, "body", "x")));
	assert_int_equal(k->code, GL_ENOTFOUND);

	r = kc_call(k, "review.reply", json_pack("{s:s, s:s, s:s}", "path",
	    t->proj, "thread", tid, "body", "it reads better"));
	assert_non_null(r);
	assert_int_equal(json_array_size(json_object_get(json_object_get(r,
	    "thread"), "replies")), 1);
	json_decref(r);
	r = kc_call(k, "review.resolve", json_pack("{s:s, s:s}", "path",
	    t->proj, "thread", tid));
	assert_non_null(r);
	assert_true(json_is_true(json_object_get(json_object_get(r,
	    "thread"), "resolved")));
	json_decref(r);
	r = kc_call(k, "review.verdict", json_pack("{s:s, s:s, s:s}", "path",
	    t->proj, "range", "HEAD~1..HEAD", "verdict", "approve"));
	assert_non_null(r);
	assert_string_equal(kj_str(json_object_get(r, "review"), "id"), rid);
	assert_string_equal(kj_str(json_object_get(r, "review"), "status"),
	    "approved");
	json_decref(r);
	assert_null(kc_call(k, "review.verdict", json_pack("{s:s, s:s}",
	    "path", t->proj, "verdict", "maybe")));
	assert_int_equal(k->code, GL_EINVAL);

	/* review.open finds it by range, with its thread and verdict. */
	r = review_open(t, k);
	assert_string_equal(kj_str(json_object_get(r, "review"), "id"), rid);
	th = json_array_get(json_object_get(json_object_get(r, "review"),
	    "threads"), 0);
	assert_string_equal(kj_str(th, "id"), tid);
	assert_string_equal(kj_str(th, "body"), "why a line?");
	assert_int_equal(json_array_size(json_object_get(json_object_get(r,
	    "review"), "verdicts")), 1);
	json_decref(r);

	/* The records are in git's notes, on the head the review began. */
	rp = open_repo(t);
	assert_int_equal(repo_resolve(rp, "HEAD", head, &err), 0);
	assert_int_equal(repo_note_read(rp, REV_NOTES_REF, head, &note, &len,
	    &err), 0);
	assert_non_null(strstr(note, "\"type\":\"comment\""));
	assert_non_null(strstr(note, "\"type\":\"verdict\""));
	assert_non_null(strstr(note, tid));
	free(note);
	repo_free(rp);
	free(rid);
	free(tid);
	kc_free(k);
}

/* A comment through session sid on line 2 of plot (plot.line at
 * HEAD) suggesting bars; its thread's id (caller frees). */
static char *
suggest_bars(struct kc *k, const char *sid)
{
	json_t	*r = kc_call(k, "review.comment", json_pack("{s:s, s:s, s:s, "
	    "s:s, s:[ii], s:s, s:s}", "session", sid, "range", "HEAD~1..HEAD",
	    "file", "trips.nb.lua", "cell", "plot", "lines", 2, 2, "body",
	    "bars", "suggestion", "plot.bar(by.day, by.fare)"));
	char	*tid;

	assert_non_null(r);
	tid = xstrdup(kj_str(json_object_get(r, "thread"), "id"));
	json_decref(r);
	return tid;
}

/* A suggestion applied while a session has the notebook open: an edit of
 * the session that the other client sees; the file waits for a save. */
static void
test_review_apply(void **state)
{
	struct kt	*t = *state;
	struct kc	*k, *k2;
	char		*sid, *tid, *path, *file;
	json_t		*r, *n, *doc;

	commit_nb(t, NB_V2, "line plot");
	k = kt_conn(t);
	k2 = kt_conn(t);
	sid = open_nb(t, k, NULL);
	json_decref(kc_call(k2, "session.attach", json_pack("{s:s}",
	    "session", sid)));
	tid = suggest_bars(k, sid);
	assert_null(kc_call(k, "review.apply", json_pack("{s:s}", "session",
	    sid)));
	assert_int_equal(k->code, GL_EINVAL);

	r = kc_call(k, "review.apply", json_pack("{s:s, s:s}", "session", sid,
	    "thread", tid));
	assert_non_null(r);
	assert_string_equal(kj_str(r, "session"), sid);
	assert_string_equal(kj_str(r, "cell"), "plot");
	json_decref(r);
	n = kc_note(k2, "doc.ops", "session", json_string(sid), KC_WAIT_MS);
	assert_non_null(n);
	assert_int_equal(kj_int(n, "client"), 0);
	json_decref(n);
	doc = kc_call(k2, "doc.get", json_pack("{s:s}", "session", sid));
	assert_string_equal(kj_str(kj_cell(json_object_get(doc, "cells"),
	    "plot"), "source"), "local by = t:groupby(\"day\")\n"
	    "plot.bar(by.day, by.fare)");
	assert_true(json_is_true(json_object_get(doc, "dirty")));
	json_decref(doc);
	/* The file is untouched until the session saves. */
	path = xasprintf("%s/trips.nb.lua", t->proj);
	file = kt_read(path);
	assert_string_equal(file, NB_V2);
	free(file);
	/* Again: applied already. */
	assert_null(kc_call(k, "review.apply", json_pack("{s:s, s:s}",
	    "session", sid, "thread", tid)));
	assert_int_equal(k->code, GL_EEXIST);

	/* With no session on it, the work tree's file is written. */
	json_decref(kc_call(k, "session.close", json_pack("{s:s}", "session",
	    sid)));
	kc_free(k2);
	kc_free(k);
	assert_int_equal(kt_stop(t), 0);
	assert_true(kt_start(t) > 0);
	k = kt_conn(t);
	r = kc_call(k, "review.apply", json_pack("{s:s, s:s}", "path",
	    t->proj, "thread", tid));
	assert_non_null(r);
	assert_true(json_is_null(json_object_get(r, "session")));
	json_decref(r);
	file = kt_read(path);
	assert_non_null(strstr(file, "plot.bar(by.day, by.fare)"));
	assert_null(strstr(file, "plot.line"));
	free(file);
	free(path);
	free(tid);
	free(sid);
	kc_free(k);
}

/* The output of `galley ARGS` run in the repository with the test
 * kernel's runtime directory (caller frees). */
static char *
galley_out(struct kt *t, const char *args)
{
	char	*cmd = xasprintf("cd '%s' && GALLEY_RUNTIME_DIR='%s' '%s' %s",
	    t->proj, t->run, getenv("GALLEY_BIN"), args);
	FILE	*p = popen(cmd, "r");
	struct gl_buf b;
	char	 buf[4096];
	size_t	 n;

	assert_non_null(p);
	gl_buf_init(&b);
	while ((n = fread(buf, 1, sizeof buf, p)) > 0)
		gl_buf_add(&b, buf, n);
	assert_int_equal(pclose(p), 0);
	free(cmd);
	return gl_buf_take(&b, NULL);
}

/* `galley review apply` goes through the running kernel: the session
 * that has the notebook open gets the edit, the file is not written
 * under it. */
static void
test_cli_apply_through_kernel(void **state)
{
	struct kt	*t = *state;
	struct kc	*k;
	char		*sid, *tid, *out, *args, *path, *file;
	json_t		*r, *doc;

	commit_nb(t, NB_V2, "line plot");
	k = kt_conn(t);
	sid = open_nb(t, k, NULL);
	tid = suggest_bars(k, sid);
	args = xasprintf("review apply %s --json", tid);
	out = galley_out(t, args);
	r = json_loads(out, 0, NULL);
	assert_non_null(r);
	assert_string_equal(kj_str(json_object_get(r, "applied"), "session"),
	    sid);
	json_decref(r);
	free(out);
	doc = kc_call(k, "doc.get", json_pack("{s:s}", "session", sid));
	assert_non_null(strstr(kj_str(kj_cell(json_object_get(doc, "cells"),
	    "plot"), "source"), "plot.bar("));
	json_decref(doc);
	path = xasprintf("%s/trips.nb.lua", t->proj);
	file = kt_read(path);
	assert_string_equal(file, NB_V2);
	free(file);
	free(path);
	free(args);
	free(tid);
	free(sid);
	kc_free(k);
}

/* A project plugin's on_review_comment hook guards comments and replies
 * made through the kernel (the TUI's review mode) as it does the CLI's:
 * a refusal is EPERM with its message and records nothing; a warning
 * comes back in the answer. */
static void
test_review_comment_hook(void **state)
{
	struct kt	*t = *state;
	struct kc	*k;
	json_t		*r, *w;
	char		*dir, *tid;

	commit_nb(t, NB_V2, "line plot");
	dir = xasprintf("%s/.galley/plugins", t->proj);
	assert_int_equal(gl_mkdir_p(dir, 0700, NULL), 0);
	free(dir);
	dir = kt_write(t->proj, ".galley/plugins/polite.lua",
	    "galley.on('on_review_comment', function(ev)\n"
	    "  if ev.body:find('LGTM') then\n"
	    "    return false, 'say what you checked'\n"
	    "  end\n"
	    "  galley.warn(ev.path .. ' cell ' .. (ev.cell or '-'))\n"
	    "end)\n");
	free(dir);
	k = kt_conn(t);
	assert_null(kc_call(k, "review.comment", json_pack("{s:s, s:s, s:s, "
	    "s:s, s:s}", "path", t->proj, "range", "HEAD~1..HEAD", "file",
	    "trips.nb.lua", "cell", "plot", "body", "LGTM")));
	assert_int_equal(k->code, GL_EPERM);
	assert_non_null(strstr(k->msg, "say what you checked"));

	r = kc_call(k, "review.comment", json_pack("{s:s, s:s, s:s, s:s, "
	    "s:s}", "path", t->proj, "range", "HEAD~1..HEAD", "file",
	    "trips.nb.lua", "cell", "plot", "body", "why a line?"));
	assert_non_null(r);
	w = json_object_get(r, "warnings");
	assert_int_equal(json_array_size(w), 1);
	assert_non_null(strstr(json_string_value(json_array_get(w, 0)),
	    "trips.nb.lua cell plot"));
	tid = xstrdup(kj_str(json_object_get(r, "thread"), "id"));
	json_decref(r);

	assert_null(kc_call(k, "review.reply", json_pack("{s:s, s:s, s:s}",
	    "path", t->proj, "thread", tid, "body", "LGTM now")));
	assert_int_equal(k->code, GL_EPERM);
	r = kc_call(k, "review.open", json_pack("{s:s, s:s}", "path", t->proj,
	    "range", "HEAD~1..HEAD"));
	assert_non_null(r);
	/* One thread, without the refused reply. */
	{
		json_t *th = json_object_get(json_object_get(r, "review"),
		    "threads");

		assert_int_equal(json_array_size(th), 1);
		assert_int_equal(json_array_size(json_object_get(
		    json_array_get(th, 0), "replies")), 0);
	}
	json_decref(r);
	free(tid);
	kc_free(k);
}

#define GT(f) cmocka_unit_test_setup_teardown(f, setup_repo, \
	kt_teardown_stopped)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		GT(test_status),
		GT(test_commit),
		GT(test_log_and_show_cell),
		GT(test_review_open),
		GT(test_review_threads_and_verdict),
		GT(test_review_apply),
		GT(test_cli_apply_through_kernel),
		GT(test_review_comment_hook),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_session.c - session.* and doc.* over the Unix socket: opening,
 * joining, ephemeral sessions, malformed files, edits from several
 * clients (transformed against each other), saving, presence.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sys/file.h>
#include <sys/time.h>

#include "kfixture.h"
#include "kernel/req.h"

static const char sample[] =
    "-- pinned: nothing\n"
    "print(\"header\")\n"
    "\n"
    "-- %% [markdown] id=\"intro\"\n"
    "-- # Trips\n"
    "\n"
    "-- %% id=\"load\" tags=[\"slow\"]\n"
    "local x = 1\n";

static json_t *
open_path(struct kc *k, const char *path)
{
	json_t *r = kc_call(k, "session.open", json_pack("{s:s}", "path",
	    path));

	if (r == NULL)
		fprintf(stderr, "session.open %s: %s\n", path, k->msg);
	assert_non_null(r);
	return r;
}

static json_t *
doc_get(struct kc *k, const char *sid)
{
	json_t *r = kc_call(k, "doc.get", json_pack("{s:s}", "session", sid));

	assert_non_null(r);
	return r;
}

static const char *
cell_source(const json_t *doc, const char *id)
{
	json_t *c = kj_cell(json_object_get(doc, "cells"), id);

	assert_non_null(c);
	return kj_str(c, "source");
}

static size_t
count_sessions(struct kc *k)
{
	json_t	*r = kc_call(k, "kernel.info", NULL);
	size_t	 n;

	assert_non_null(r);
	n = (size_t)kj_int(r, "sessions");
	json_decref(r);
	return n;
}

static void
test_open_file(void **state)
{
	struct kt	*t = *state;
	struct kc	*k = kt_conn(t);
	char		*nb = kt_write(t->proj, "trips.nb.lua", sample);
	json_t		*r, *cells, *c;

	r = open_path(k, nb);
	assert_string_equal(kj_str(r, "path"), nb);
	assert_int_equal(kj_int(r, "version"), 0);
	assert_int_equal(kj_int(r, "recovered"), 0);
	assert_int_equal(json_array_size(json_object_get(r, "warnings")), 0);
	assert_false(json_is_true(json_object_get(r, "ephemeral")));
	cells = json_object_get(r, "cells");
	assert_int_equal(json_array_size(cells), 3);
	c = json_array_get(cells, 0);
	assert_true(json_is_true(json_object_get(c, "header")));
	assert_string_equal(kj_str(c, "kind"), "code");
	c = json_array_get(cells, 1);
	assert_string_equal(kj_str(c, "id"), "intro");
	assert_string_equal(kj_str(c, "kind"), "markdown");
	assert_string_equal(kj_str(c, "source"), "# Trips");
	c = json_array_get(cells, 2);
	assert_string_equal(kj_str(c, "id"), "load");
	assert_string_equal(kj_str(c, "source"), "local x = 1");
	assert_string_equal(kj_str(json_object_get(c, "meta"), "tags"),
	    "[\"slow\"]");
	assert_int_equal(json_array_size(json_object_get(c, "outputs")), 0);
	assert_false(json_is_true(json_object_get(c, "stale")));
	json_decref(r);
	/* The store directory is git-ignored. */
	{
		char	 path[256], *gi;

		snprintf(path, sizeof path, "%s/.galley/.gitignore", t->proj);
		assert_non_null(gi = kt_read(path));
		assert_string_equal(gi, "*\n");
		free(gi);
	}
	/* A file that is not there. */
	{
		char *missing = xasprintf("%s/missing.nb.lua", t->proj);

		assert_null(kc_call(k, "session.open", json_pack("{s:s}",
		    "path", missing)));
		assert_int_equal(k->code, GL_ENOTFOUND);
		assert_non_null(strstr(k->msg, "missing.nb.lua"));
		free(missing);
	}
	kc_free(k);
	free(nb);
}

static void
test_open_joins_same_path(void **state)
{
	struct kt	*t = *state;
	struct kc	*a = kt_conn(t), *b = kt_conn(t);
	char		*nb = kt_write(t->proj, "j.nb.lua", sample);
	char		*alias = xasprintf("%s/./j.nb.lua", t->proj);
	json_t		*ra, *rb, *l, *n, *e;
	const char	*sid;

	ra = open_path(a, nb);
	rb = open_path(b, alias);
	sid = kj_str(ra, "session");
	assert_string_equal(sid, kj_str(rb, "session"));
	assert_string_equal(kj_str(rb, "path"), nb);
	assert_int_equal(count_sessions(a), 1);
	assert_non_null(l = kc_call(a, "session.list", NULL));
	assert_int_equal(json_array_size(l), 1);
	assert_int_equal(kj_int(json_array_get(l, 0), "clients"), 2);
	assert_string_equal(kj_str(json_array_get(l, 0), "runtime"), "none");
	assert_int_equal(kj_int(json_array_get(l, 0), "runtime_pid"), 0);
	json_decref(l);
	/* An edit by a reaches b as doc.ops; a gets only the response. */
	assert_non_null(e = kc_insert_text(a, sid, 0, "load", 11, " + 1",
	    11));
	assert_int_equal(kj_int(e, "version"), 1);
	json_decref(e);
	assert_non_null(n = kc_note(b, "doc.ops", "session", json_string(sid),
	    KC_WAIT_MS));
	assert_int_equal(kj_int(n, "version"), 1);
	assert_int_equal(json_array_size(json_object_get(n, "ops")), 1);
	assert_string_equal(kj_str(json_array_get(json_object_get(n, "ops"),
	    0), "t"), "text");
	json_decref(n);
	assert_int_equal(kc_drain_notes(a, "doc.ops"), 0);
	/* A late joiner gets the current text and version. */
	{
		struct kc	*c = kt_conn(t);
		json_t		*rc = open_path(c, nb);

		assert_int_equal(kj_int(rc, "version"), 1);
		assert_string_equal(cell_source(rc, "load"), "local x = 1 + 1");
		assert_true(json_is_true(json_object_get(rc, "dirty")));
		json_decref(rc);
		kc_free(c);
	}
	json_decref(ra);
	json_decref(rb);
	kc_free(a);
	kc_free(b);
	free(nb);
	free(alias);
}

static void
test_attach_and_close(void **state)
{
	struct kt	*t = *state;
	struct kc	*a = kt_conn(t), *b = kt_conn(t);
	char		*nb = kt_write(t->proj, "ac.nb.lua", sample);
	json_t		*r, *rb, *l;
	const char	*sid;

	r = open_path(a, nb);
	sid = kj_str(r, "session");
	/* b is not attached: it may not read the document. */
	assert_null(kc_call(b, "doc.get", json_pack("{s:s}", "session", sid)));
	assert_int_equal(b->code, GL_EPERM);
	assert_non_null(rb = kc_call(b, "session.attach", json_pack("{s:s}",
	    "session", sid)));
	assert_string_equal(kj_str(rb, "session"), sid);
	assert_int_equal(json_array_size(json_object_get(rb, "cells")), 3);
	json_decref(rb);
	json_decref(doc_get(b, sid));
	assert_null(kc_call(b, "session.attach", json_pack("{s:s}",
	    "session", "s999")));
	assert_int_equal(b->code, GL_ENOTFOUND);
	/* session.close detaches; the file session itself stays open. */
	json_decref(kc_call(b, "session.close", json_pack("{s:s}", "session",
	    sid)));
	assert_null(kc_call(b, "doc.get", json_pack("{s:s}", "session", sid)));
	assert_int_equal(b->code, GL_EPERM);
	json_decref(kc_call(a, "session.close", json_pack("{s:s}", "session",
	    sid)));
	assert_non_null(l = kc_call(b, "session.list", NULL));
	assert_int_equal(json_array_size(l), 1);
	assert_int_equal(kj_int(json_array_get(l, 0), "clients"), 0);
	assert_false(json_is_true(json_object_get(json_array_get(l, 0),
	    "attached")));
	json_decref(l);
	json_decref(r);
	kc_free(a);
	kc_free(b);
	free(nb);
}

static void
test_ephemeral_is_private_and_ends(void **state)
{
	struct kt	*t = *state;
	struct kc	*a = kt_conn(t), *b = kt_conn(t);
	char		*nb = xasprintf("%s/eph.nb.lua", t->proj);
	char		 galley[256];
	json_t		*r, *l, *e;
	const char	*sid;
	uint64_t	 deadline;

	r = kc_call(a, "session.open", json_pack("{s:s, s:s, s:b}", "path",
	    nb, "text", "-- %% id=\"e\"\nprint(1)\n", "ephemeral", 1));
	assert_non_null(r);
	sid = kj_str(r, "session");
	assert_true(json_is_true(json_object_get(r, "ephemeral")));
	assert_string_equal(cell_source(r, "e"), "print(1)");
	/* Edits work, are not journaled and cannot be saved. */
	assert_non_null(e = kc_insert_text(a, sid, 0, "e", 8, "\nprint(2)",
	    8));
	json_decref(e);
	assert_null(kc_call(a, "doc.save", json_pack("{s:s}", "session",
	    sid)));
	assert_int_equal(a->code, GL_EPERM);
	snprintf(galley, sizeof galley, "%s/.galley", t->proj);
	assert_int_not_equal(access(galley, F_OK), 0);
	assert_int_not_equal(access(nb, F_OK), 0);
	/* Others do not see it. */
	assert_non_null(l = kc_call(b, "session.list", NULL));
	assert_int_equal(json_array_size(l), 0);
	json_decref(l);
	assert_null(kc_call(b, "session.attach", json_pack("{s:s}",
	    "session", sid)));
	assert_int_equal(b->code, GL_ENOTFOUND);
	assert_non_null(l = kc_call(a, "session.list", NULL));
	assert_int_equal(json_array_size(l), 1);
	assert_true(json_is_true(json_object_get(json_array_get(l, 0),
	    "ephemeral")));
	json_decref(l);
	json_decref(r);
	/* Gone when its client goes. */
	kc_free(a);
	deadline = kc_now_ms() + KC_WAIT_MS;
	while (count_sessions(b) != 0 && kc_now_ms() < deadline)
		;
	assert_int_equal(count_sessions(b), 0);
	/* And with session.close. */
	a = kt_conn(t);
	r = kc_call(a, "session.open", json_pack("{s:s, s:b}", "text",
	    "x = 1\n", "ephemeral", 1));
	assert_non_null(r);
	assert_int_equal(count_sessions(b), 1);
	json_decref(kc_call(a, "session.close", json_pack("{s:s}", "session",
	    kj_str(r, "session"))));
	assert_int_equal(count_sessions(b), 0);
	json_decref(r);
	kc_free(a);
	kc_free(b);
	free(nb);
}

static void
test_malformed_file(void **state)
{
	struct kt	*t = *state;
	struct kc	*k = kt_conn(t);
	static const char bad[] =
	    "-- %% id=\"a\"\n"
	    "x = 1\n"
	    "-- %% id=\"b\" tags=[oops\n"
	    "y = 2\n";
	char		*nb = kt_write(t->proj, "bad.nb.lua", bad), *after;
	char		*where = xasprintf("%s:3", nb), galley[256];

	assert_null(kc_call(k, "session.open", json_pack("{s:s}", "path",
	    nb)));
	assert_int_equal(k->code, GL_ESYNTAX);
	assert_non_null(strstr(k->msg, where));
	assert_non_null(after = kt_read(nb));
	assert_string_equal(after, bad);
	assert_int_equal(count_sessions(k), 0);
	snprintf(galley, sizeof galley, "%s/.galley", t->proj);
	assert_int_not_equal(access(galley, F_OK), 0);
	free(after);
	free(where);
	free(nb);
	kc_free(k);
}

/* Only a regular file is a notebook: a FIFO would block the kernel (it
 * serves every client from one loop) and a device would be read
 * forever. Each is refused with what it is, and the kernel serves on. */
static void
test_open_refuses_special_files(void **state)
{
	struct kt	*t = *state;
	struct kc	*k = kt_conn(t);
	char		*fifo = xasprintf("%s/pipe.nb.lua", t->proj);
	char		*dir = xasprintf("%s/dir.nb.lua", t->proj);
	char		 galley[256];

	assert_int_equal(mkfifo(fifo, 0600), 0);
	assert_int_equal(mkdir(dir, 0700), 0);
	assert_null(kc_call(k, "session.open", json_pack("{s:s}", "path",
	    fifo)));
	assert_int_equal(k->code, GL_EINVAL);
	assert_non_null(strstr(k->msg, "is a FIFO, not a notebook file"));
	assert_null(kc_call(k, "session.open", json_pack("{s:s}", "path",
	    "/dev/zero")));
	assert_int_equal(k->code, GL_EINVAL);
	assert_non_null(strstr(k->msg, "/dev/zero is a character device"));
	assert_null(kc_call(k, "session.open", json_pack("{s:s}", "path",
	    dir)));
	assert_int_equal(k->code, GL_EINVAL);
	assert_non_null(strstr(k->msg, "is a directory"));
	/* Nothing was opened or created, and the kernel still answers. */
	assert_int_equal(count_sessions(k), 0);
	snprintf(galley, sizeof galley, "%s/.galley", t->proj);
	assert_int_not_equal(access(galley, F_OK), 0);
	free(fifo);
	free(dir);
	kc_free(k);
}

/* A save killed mid-write leaves NAME.tmp.XXXXXX next to the notebook;
 * the next open removes those, and only those: not one a live process
 * still writes (it holds a lock), not one just made, not other files. */
static void
test_open_removes_stale_temps(void **state)
{
	struct kt	*t = *state;
	struct kc	*k = kt_conn(t);
	char		*nb = kt_write(t->proj, "tmp.nb.lua", sample);
	static const char *const names[] = {
		"tmp.nb.lua.tmp.Ab3xYz",	/* stale: removed */
		"tmp.nb.lua.tmp.LOCKED",	/* being written: kept */
		"tmp.nb.lua.tmp.fresh1",	/* just made: kept */
		"other.nb.lua.tmp.Ab3xYz",	/* another file's: kept */
		"tmp.nb.lua.tmp.toolong",	/* not mkstemp's: kept */
		"tmp.nb.lua.bak",		/* kept */
	};
	char		*paths[6];
	struct timeval	 old[2] = { { 1000000000, 0 }, { 1000000000, 0 } };
	int		 lockfd;
	json_t		*r;

	for (size_t i = 0; i < 6; i++) {
		paths[i] = kt_write(t->proj, names[i], "partial");
		if (i != 2)
			assert_int_equal(utimes(paths[i], old), 0);
	}
	assert_true((lockfd = open(paths[1], O_RDONLY)) >= 0);
	assert_int_equal(flock(lockfd, LOCK_EX), 0);
	r = open_path(k, nb);
	assert_int_not_equal(access(paths[0], F_OK), 0);
	for (size_t i = 1; i < 6; i++)
		assert_int_equal(access(paths[i], F_OK), 0);
	json_decref(r);
	close(lockfd);
	for (size_t i = 0; i < 6; i++)
		free(paths[i]);
	free(nb);
	kc_free(k);
}

/* Writes text to dir/name as editors do: a new file renamed over it. */
static void
write_renamed(const char *dir, const char *name, const char *text)
{
	char	*tmp = kt_write(dir, ".tmp-editor", text);
	char	*path = xasprintf("%s/%s", dir, name);

	assert_int_equal(rename(tmp, path), 0);
	free(tmp);
	free(path);
}

/* A notebook changed on disk while its session is open and has no
 * unsaved edits (a checkout, another editor that renames over it) is
 * reloaded: clients get the change as doc.ops, then doc.changed; the
 * session stays clean and a save needs no force. */
static void
test_file_changed_on_disk_reloads(void **state)
{
	struct kt	*t = *state;
	struct kc	*k = kt_conn(t);
	char		*nb = kt_write(t->proj, "w.nb.lua",
	    "-- %% id=\"a\"\nx = 1\n\n-- %% id=\"b\"\ny = 1\n");
	json_t		*r, *n, *d;
	char		*sid;

	r = open_path(k, nb);
	sid = xstrdup(kj_str(r, "session"));
	json_decref(r);
	write_renamed(t->proj, "w.nb.lua", "-- %% id=\"b\"\ny = 2\n\n"
	    "-- %% id=\"c\"\nz = 3\n");
	assert_non_null(n = kc_note(k, "doc.ops", NULL, NULL, KC_WAIT_MS));
	assert_int_equal(kj_int(n, "client"), 0);
	json_decref(n);
	assert_non_null(n = kc_note(k, "doc.changed", NULL, NULL,
	    KC_WAIT_MS));
	assert_string_equal(kj_str(n, "how"), "reloaded");
	assert_true(json_is_false(json_object_get(n, "dirty")));
	assert_non_null(strstr(kj_str(n, "message"), "changed on disk: "
	    "reloaded"));
	json_decref(n);
	d = doc_get(k, sid);
	assert_int_equal(json_array_size(json_object_get(d, "cells")), 2);
	assert_string_equal(cell_source(d, "b"), "y = 2");
	assert_string_equal(cell_source(d, "c"), "z = 3");
	assert_true(json_is_false(json_object_get(d, "dirty")));
	json_decref(d);
	r = kc_call(k, "doc.save", json_pack("{s:s}", "session", sid));
	assert_non_null(r);
	json_decref(r);
	/* A file whose cells have no ids is taken as it is, clean too. */
	write_renamed(t->proj, "w.nb.lua", "-- %%\nz = 9\n");
	assert_non_null(n = kc_note(k, "doc.changed", NULL, NULL,
	    KC_WAIT_MS));
	assert_string_equal(kj_str(n, "how"), "reloaded");
	assert_true(json_is_false(json_object_get(n, "dirty")));
	json_decref(n);
	free(sid);
	free(nb);
	kc_free(k);
}

/* With unsaved edits, a change on disk merges by cell: cells only one
 * side changed take that side, a cell both changed becomes a conflict
 * cell with both texts; nothing is overwritten, and the merge is in the
 * journal at once (a crash right after loses nothing). */
static void
test_file_changed_on_disk_merges(void **state)
{
	struct kt	*t = *state;
	struct kc	*k = kt_conn(t);
	char		*nb = kt_write(t->proj, "m.nb.lua",
	    "-- %% id=\"a\"\nx = 1\n\n-- %% id=\"b\"\ny = 1\n");
	json_t		*r, *n, *d, *e, *c;
	char		*sid, *disk;

	r = open_path(k, nb);
	sid = xstrdup(kj_str(r, "session"));
	json_decref(r);
	assert_non_null(e = kc_insert_text(k, sid, 0, "a", 5, "0", 5));
	json_decref(e);
	write_renamed(t->proj, "m.nb.lua", "-- %% id=\"a\"\nx = 1\n\n"
	    "-- %% id=\"b\"\ny = 2\n");
	assert_non_null(n = kc_note(k, "doc.changed", NULL, NULL,
	    KC_WAIT_MS));
	assert_string_equal(kj_str(n, "how"), "merged");
	assert_int_equal(kj_int(n, "conflicts"), 0);
	assert_true(json_is_true(json_object_get(n, "dirty")));
	json_decref(n);
	d = doc_get(k, sid);
	assert_string_equal(cell_source(d, "a"), "x = 10");
	assert_string_equal(cell_source(d, "b"), "y = 2");
	assert_true(json_is_true(json_object_get(d, "dirty")));
	/* Both change cell a: a conflict cell. */
	assert_non_null(e = kc_insert_text(k, sid, kj_int(d, "version"), "a",
	    6, "0", 6));
	json_decref(e);
	json_decref(d);
	write_renamed(t->proj, "m.nb.lua", "-- %% id=\"a\"\nx = 7\n\n"
	    "-- %% id=\"b\"\ny = 2\n");
	assert_non_null(n = kc_note(k, "doc.changed", NULL, NULL,
	    KC_WAIT_MS));
	assert_string_equal(kj_str(n, "how"), "merged");
	assert_int_equal(kj_int(n, "conflicts"), 1);
	assert_non_null(strstr(kj_str(n, "message"), "1 cell both changed"));
	json_decref(n);
	d = doc_get(k, sid);
	c = kj_cell(json_object_get(d, "cells"), "a");
	assert_string_equal(json_string_value(json_object_get(
	    json_object_get(c, "meta"), "conflict")), "true");
	assert_string_equal(kj_str(c, "source"), "<<<<<<< on disk\nx = 7\n"
	    "=======\nx = 100\n>>>>>>> unsaved edits");
	json_decref(d);
	/* The disk file is as the other editor left it. */
	disk = kt_read(nb);
	assert_string_equal(disk, "-- %% id=\"a\"\nx = 7\n\n"
	    "-- %% id=\"b\"\ny = 2\n");
	free(disk);
	/* A crash now loses nothing: the merge is in the journal. */
	kc_free(k);
	kt_kill9(t);
	assert_true(kt_start(t) > 0);
	k = kt_conn(t);
	r = open_path(k, nb);
	assert_int_equal(json_array_size(json_object_get(r, "warnings")), 0);
	c = kj_cell(json_object_get(r, "cells"), "a");
	assert_string_equal(kj_str(c, "source"), "<<<<<<< on disk\nx = 7\n"
	    "=======\nx = 100\n>>>>>>> unsaved edits");
	assert_string_equal(cell_source(r, "b"), "y = 2");
	assert_true(json_is_true(json_object_get(r, "dirty")));
	json_decref(r);
	free(sid);
	free(nb);
	kc_free(k);
}

static void
test_doc_get(void **state)
{
	struct kt	*t = *state;
	struct kc	*k = kt_conn(t);
	char		*nb = kt_write(t->proj, "g.nb.lua", sample);
	json_t		*r, *d;
	const char	*sid;

	r = open_path(k, nb);
	sid = kj_str(r, "session");
	d = doc_get(k, sid);
	assert_int_equal(kj_int(d, "version"), 0);
	assert_false(json_is_true(json_object_get(d, "dirty")));
	assert_true(json_equal(json_object_get(d, "cells"),
	    json_object_get(r, "cells")));
	json_decref(d);
	assert_null(kc_call(k, "doc.get", json_pack("{s:s}", "session",
	    "nope")));
	assert_int_equal(k->code, GL_ENOTFOUND);
	assert_null(kc_call(k, "doc.get", NULL));
	assert_int_equal(k->code, GL_EINVAL);
	json_decref(r);
	free(nb);
	kc_free(k);
}

static void
test_doc_edit_concurrent(void **state)
{
	struct kt	*t = *state;
	struct kc	*a = kt_conn(t), *b = kt_conn(t);
	char		*nb = kt_write(t->proj, "c.nb.lua",
	    "-- %% id=\"c\"\nhello world\n");
	json_t		*r, *e, *d, *n;
	const char	*sid;

	r = open_path(a, nb);
	json_decref(open_path(b, nb));
	sid = kj_str(r, "session");
	/* Both edit version 0: a inserts at 5, b at 11 (the end). */
	assert_non_null(e = kc_insert_text(a, sid, 0, "c", 5, ",", 11));
	assert_int_equal(kj_int(e, "version"), 1);
	json_decref(e);
	assert_non_null(e = kc_insert_text(b, sid, 0, "c", 11, "!", 11));
	assert_int_equal(kj_int(e, "version"), 2);
	json_decref(e);
	d = doc_get(a, sid);
	assert_string_equal(cell_source(d, "c"), "hello, world!");
	json_decref(d);
	/* a sees b's op transformed past its own: insert at 12. */
	assert_non_null(n = kc_note(a, "doc.ops", NULL, NULL, KC_WAIT_MS));
	assert_int_equal(kj_int(n, "version"), 2);
	{
		json_t *ops = json_object_get(json_array_get(
		    json_object_get(n, "ops"), 0), "ops");

		assert_int_equal(json_integer_value(json_array_get(ops, 0)),
		    12);
		assert_string_equal(json_string_value(json_array_get(ops, 1)),
		    "!");
	}
	json_decref(n);
	/* Two inserts of cells at one index, both at version 2. */
	e = kc_call(a, "doc.edit", json_pack("{s:s, s:i, s:[{s:s, s:i, s:s, "
	    "s:s, s:s}]}", "session", sid, "version", 2, "ops", "t",
	    "insert_cell", "index", 0, "id", "fromA", "kind", "code",
	    "source", "a = 1"));
	assert_non_null(e);
	json_decref(e);
	e = kc_call(b, "doc.edit", json_pack("{s:s, s:i, s:[{s:s, s:i, s:s, "
	    "s:s, s:s}]}", "session", sid, "version", 2, "ops", "t",
	    "insert_cell", "index", 0, "id", "fromB", "kind", "code",
	    "source", "b = 1"));
	assert_non_null(e);
	assert_int_equal(kj_int(e, "version"), 4);
	json_decref(e);
	d = doc_get(b, sid);
	assert_int_equal(json_array_size(json_object_get(d, "cells")), 3);
	assert_string_equal(kj_str(json_array_get(json_object_get(d, "cells"),
	    0), "id"), "fromA");
	assert_string_equal(kj_str(json_array_get(json_object_get(d, "cells"),
	    1), "id"), "fromB");
	json_decref(d);
	/* b edits a cell a deleted without seeing the delete: dropped. */
	e = kc_call(a, "doc.edit", json_pack("{s:s, s:i, s:[{s:s, s:s, s:i}]}",
	    "session", sid, "version", 4, "ops", "t", "delete_cell", "id",
	    "fromB", "from", 1));
	assert_non_null(e);
	json_decref(e);
	assert_non_null(e = kc_insert_text(b, sid, 4, "fromB", 0, "-- ", 5));
	assert_int_equal(kj_int(e, "version"), 5);
	json_decref(e);
	d = doc_get(b, sid);
	assert_int_equal(json_array_size(json_object_get(d, "cells")), 2);
	assert_int_equal(kj_int(d, "version"), 5);
	json_decref(d);
	json_decref(r);
	kc_free(a);
	kc_free(b);
	free(nb);
}

static void
test_doc_edit_errors(void **state)
{
	struct kt	*t = *state;
	struct kc	*k = kt_conn(t);
	char		*nb = kt_write(t->proj, "e.nb.lua",
	    "-- %% id=\"c\"\nabc\n");
	json_t		*r, *d;
	const char	*sid;

	r = open_path(k, nb);
	sid = kj_str(r, "session");
	/* A version from the future. */
	assert_null(kc_insert_text(k, sid, 3, "c", 0, "x", 3));
	assert_int_equal(k->code, GL_EINVAL);
	/* Not an op. */
	assert_null(kc_call(k, "doc.edit", json_pack("{s:s, s:i, s:[{s:s}]}",
	    "session", sid, "version", 0, "ops", "t", "frob")));
	assert_int_equal(k->code, GL_EINVAL);
	assert_non_null(strstr(k->msg, "op 0"));
	/* Components that do not cover the source. */
	assert_null(kc_insert_text(k, sid, 0, "c", 0, "x", 10));
	assert_int_not_equal(k->code, 0);
	/* A cell that does not exist. */
	assert_null(kc_insert_text(k, sid, 0, "zz", 0, "x", 0));
	assert_int_equal(k->code, GL_ENOTFOUND);
	assert_non_null(strstr(k->msg, "zz"));
	/* All or nothing: a good op then a bad one changes nothing. */
	assert_null(kc_call(k, "doc.edit", json_pack("{s:s, s:i, s:[{s:s, "
	    "s:s, s:[s, i]}, {s:s, s:s, s:i}]}", "session", sid, "version", 0,
	    "ops", "t", "text", "id", "c", "ops", "X", 3, "t", "delete_cell",
	    "id", "nope", "from", 0)));
	assert_int_equal(k->code, GL_ENOTFOUND);
	assert_non_null(strstr(k->msg, "op 1"));
	d = doc_get(k, sid);
	assert_int_equal(kj_int(d, "version"), 0);
	assert_string_equal(cell_source(d, "c"), "abc");
	json_decref(d);
	/* The connection is still good. */
	assert_non_null(d = kc_insert_text(k, sid, 0, "c", 3, "d", 3));
	assert_int_equal(kj_int(d, "version"), 1);
	json_decref(d);
	json_decref(r);
	free(nb);
	kc_free(k);
}

static void
test_doc_save_round_trip(void **state)
{
	struct kt	*t = *state;
	struct kc	*a = kt_conn(t), *b = kt_conn(t);
	char		*nb = kt_write(t->proj, "s.nb.lua",
	    "-- %% id=\"one\"\nx = 1\n\n-- %%\ny = 2\n");
	char		*text;
	json_t		*r, *e, *s, *n, *d1, *d2;
	const char	*sid;
	DIR		*dir;
	struct dirent	*de;

	r = open_path(a, nb);
	json_decref(open_path(b, nb));
	sid = kj_str(r, "session");
	assert_non_null(e = kc_insert_text(a, sid, 0, "one", 5, " + 41", 5));
	json_decref(e);
	assert_non_null(s = kc_call(a, "doc.save", json_pack("{s:s}",
	    "session", sid)));
	assert_string_equal(kj_str(s, "path"), nb);
	assert_non_null(text = kt_read(nb));
	assert_int_equal(kj_int(s, "bytes"), (long long)strlen(text));
	json_decref(s);
	/* The edit and the id galley gave the second cell are written. */
	assert_non_null(strstr(text, "x = 1 + 41\n"));
	d1 = doc_get(a, sid);
	{
		const char *id2 = kj_str(json_array_get(json_object_get(d1,
		    "cells"), 1), "id");
		char *marker = xasprintf("id=\"%s\"", id2);

		assert_non_null(strstr(text, marker));
		free(marker);
	}
	assert_false(json_is_true(json_object_get(d1, "dirty")));
	assert_non_null(n = kc_note(b, "doc.saved", NULL, NULL, KC_WAIT_MS));
	json_decref(n);
	/* No temporary file is left next to it. */
	assert_non_null(dir = opendir(t->proj));
	while ((de = readdir(dir)) != NULL)
		assert_null(strstr(de->d_name, ".tmp"));
	closedir(dir);
	/* A new kernel reads back the same document. */
	kc_free(a);
	kc_free(b);
	assert_int_equal(kt_stop(t), 0);
	assert_true(kt_start(t) > 0);
	a = kt_conn(t);
	d2 = open_path(a, nb);
	assert_int_equal(kj_int(d2, "recovered"), 0);
	assert_true(json_equal(json_object_get(d1, "cells"),
	    json_object_get(d2, "cells")));
	/* Saving an unchanged document gives back the same bytes. */
	assert_non_null(s = kc_call(a, "doc.save", json_pack("{s:s}",
	    "session", kj_str(d2, "session"))));
	json_decref(s);
	{
		char *again = kt_read(nb);

		assert_string_equal(again, text);
		free(again);
	}
	json_decref(d1);
	json_decref(d2);
	json_decref(r);
	free(text);
	free(nb);
	kc_free(a);
}

static void
test_doc_save_conflict(void **state)
{
	struct kt	*t = *state;
	struct kc	*k = kt_conn(t);
	char		*nb = kt_write(t->proj, "cf.nb.lua",
	    "-- %% id=\"a\"\nx = 1\n"), *text;
	json_t		*r, *s;
	const char	*sid;

	r = open_path(k, nb);
	sid = kj_str(r, "session");
	free(kt_write(t->proj, "cf.nb.lua", "-- %% id=\"a\"\nx = 'vim'\n"));
	assert_null(kc_call(k, "doc.save", json_pack("{s:s}", "session",
	    sid)));
	assert_int_equal(k->code, GL_ECONFLICT);
	assert_non_null(strstr(k->msg, nb));
	text = kt_read(nb);
	assert_string_equal(text, "-- %% id=\"a\"\nx = 'vim'\n");
	free(text);
	assert_non_null(s = kc_call(k, "doc.save", json_pack("{s:s, s:b}",
	    "session", sid, "force", 1)));
	json_decref(s);
	text = kt_read(nb);
	assert_string_equal(text, "-- %% id=\"a\"\nx = 1\n");
	free(text);
	/* A new notebook (text, no file yet) is created by its first save. */
	{
		char	*fresh = xasprintf("%s/new.nb.lua", t->proj);
		json_t	*o;

		o = kc_call(k, "session.open", json_pack("{s:s, s:s}", "path",
		    fresh, "text", "-- %% id=\"n\"\nprint('new')\n"));
		assert_non_null(o);
		assert_int_not_equal(access(fresh, F_OK), 0);
		s = kc_call(k, "doc.save", json_pack("{s:s}", "session",
		    kj_str(o, "session")));
		assert_non_null(s);
		json_decref(s);
		text = kt_read(fresh);
		assert_string_equal(text, "-- %% id=\"n\"\nprint('new')\n");
		free(text);
		/* text for a file that exists is refused. */
		assert_null(kc_call(k, "session.open", json_pack("{s:s, s:s}",
		    "path", nb, "text", "x")));
		json_decref(o);
		free(fresh);
	}
	json_decref(r);
	free(nb);
	kc_free(k);
}

static void
test_doc_cursor(void **state)
{
	struct kt	*t = *state;
	struct kc	*a = kt_conn(t), *b = kt_conn(t);
	char		*nb = kt_write(t->proj, "cur.nb.lua", sample);
	json_t		*ra, *n;
	const char	*sid;

	ra = open_path(a, nb);
	json_decref(open_path(b, nb));
	sid = kj_str(ra, "session");
	/* A client is named by the member it is (here the kernel's user,
	 * the owner), not by what it says of itself. */
	json_decref(kc_call(a, "doc.cursor", json_pack("{s:s, s:s, s:i, s:s}",
	    "session", sid, "cell", "load", "offset", 4, "name", "ada")));
	assert_non_null(n = kc_note(b, "doc.cursor", NULL, NULL, KC_WAIT_MS));
	assert_string_equal(kj_str(n, "cell"), "load");
	assert_int_equal(kj_int(n, "offset"), 4);
	assert_string_equal(kj_str(n, "name"), req_kernel_user());
	assert_string_equal(kj_str(n, "mode"), "normal");
	assert_true(kj_int(n, "color") >= 1);
	assert_int_equal(kj_int(n, "client"), kj_int(ra, "client"));
	json_decref(n);
	assert_int_equal(kc_drain_notes(a, "doc.cursor"), 0);
	json_decref(ra);
	kc_free(a);
	kc_free(b);
	free(nb);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_open_file,
		    kt_setup_started, kt_teardown_stopped),
		cmocka_unit_test_setup_teardown(test_open_joins_same_path,
		    kt_setup_started, kt_teardown_stopped),
		cmocka_unit_test_setup_teardown(test_attach_and_close,
		    kt_setup_started, kt_teardown_stopped),
		cmocka_unit_test_setup_teardown(
		    test_ephemeral_is_private_and_ends, kt_setup_started,
		    kt_teardown_stopped),
		cmocka_unit_test_setup_teardown(test_malformed_file,
		    kt_setup_started, kt_teardown_stopped),
		cmocka_unit_test_setup_teardown(
		    test_open_refuses_special_files, kt_setup_started,
		    kt_teardown_stopped),
		cmocka_unit_test_setup_teardown(test_open_removes_stale_temps,
		    kt_setup_started, kt_teardown_stopped),
		cmocka_unit_test_setup_teardown(
		    test_file_changed_on_disk_reloads, kt_setup_started,
		    kt_teardown_stopped),
		cmocka_unit_test_setup_teardown(
		    test_file_changed_on_disk_merges, kt_setup_started,
		    kt_teardown_stopped),
		cmocka_unit_test_setup_teardown(test_doc_get,
		    kt_setup_started, kt_teardown_stopped),
		cmocka_unit_test_setup_teardown(test_doc_edit_concurrent,
		    kt_setup_started, kt_teardown_stopped),
		cmocka_unit_test_setup_teardown(test_doc_edit_errors,
		    kt_setup_started, kt_teardown_stopped),
		cmocka_unit_test_setup_teardown(test_doc_save_round_trip,
		    kt_setup_started, kt_teardown_stopped),
		cmocka_unit_test_setup_teardown(test_doc_save_conflict,
		    kt_setup_started, kt_teardown_stopped),
		cmocka_unit_test_setup_teardown(test_doc_cursor,
		    kt_setup_started, kt_teardown_stopped),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_store.c - the project store (kernel/store.c) on its own, and what
 * users get from it through the kernel: edits that survive kill -9 of
 * the kernel, outputs that come back (stale once the source changed), a
 * save that fails on a full disk without losing anything.
 */
#define _GNU_SOURCE		/* unshare() */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sched.h>
#include <sqlite3.h>
#include <sys/mount.h>

#include "kfixture.h"
#include "core/ot.h"
#include "kernel/store.h"

/* Unit tests of the store. */

struct rows {
	char	 text[1024];
	size_t	 n;
};

static int
collect(void *ctx, const void *p, size_t len)
{
	struct rows *r = ctx;

	strncat(r->text, p, len);
	strcat(r->text, "|");
	r->n++;
	return 0;
}

static int
collect_out(void *ctx, const char *cell, const char *hash, const void *p,
    size_t len)
{
	struct rows *r = ctx;

	strcat(r->text, cell);
	strcat(r->text, ":");
	strcat(r->text, hash);
	strcat(r->text, ":");
	strncat(r->text, p, len);
	strcat(r->text, "|");
	r->n++;
	return 0;
}

static void
test_store_open_creates(void **state)
{
	struct kt	*t = *state;
	struct store	*st;
	struct gl_err	 err;
	char		 path[256], *gi;
	sqlite3		*db;
	sqlite3_stmt	*q;

	assert_int_equal(store_open(t->proj, &st, &err), 0);
	snprintf(path, sizeof path, "%s/.galley/.gitignore", t->proj);
	assert_non_null(gi = kt_read(path));
	assert_string_equal(gi, "*\n");
	free(gi);
	assert_string_equal(store_project(st), t->proj);
	snprintf(path, sizeof path, "%s/.galley/store.db", t->proj);
	assert_string_equal(store_db_path(st), path);
	store_unref(st, __func__);
	/* WAL mode and the schema version persist in the file. */
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1,
	    &q, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(q, 0), "wal");
	sqlite3_finalize(q);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA user_version", -1,
	    &q, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(q, 0), STORE_SCHEMA);
	sqlite3_finalize(q);
	/* A newer schema is refused, not damaged. */
	assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = 99", NULL,
	    NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(store_open(t->proj, &st, &err), GL_EUNSUPPORTED);
	assert_non_null(strstr(err.msg, "99"));
}

static void
test_store_journal(void **state)
{
	struct kt		*t = *state;
	struct store		*st;
	struct gl_err		 err;
	struct rows		 r;
	size_t			 other, n;
	struct store_blob	 ops[2] = {
		{ "one", 3 }, { "two", 3 },
	};

	assert_int_equal(store_open(t->proj, &st, &err), 0);
	assert_int_equal(store_journal_add(st, "a.nb.lua", "h1", 1, ops, 2,
	    &err), 0);
	assert_int_equal(store_journal_add(st, "a.nb.lua", "h2", 3, ops, 1,
	    &err), 0);
	assert_int_equal(store_journal_add(st, "b.nb.lua", "h1", 1, ops + 1,
	    1, &err), 0);
	memset(&r, 0, sizeof r);
	assert_int_equal(store_journal_load(st, "a.nb.lua", "h1", collect, &r,
	    &other, &err), 0);
	assert_string_equal(r.text, "one|two|");
	assert_int_equal(other, 1);
	assert_int_equal(store_journal_count(st, "a.nb.lua", &n, &err), 0);
	assert_int_equal(n, 3);
	assert_int_equal(store_journal_clear(st, "a.nb.lua", NULL, &err), 0);
	assert_int_equal(store_journal_count(st, "a.nb.lua", &n, &err), 0);
	assert_int_equal(n, 0);
	/* Other notebooks' rows are untouched; a reopen sees them. */
	store_unref(st, __func__);
	assert_int_equal(store_open(t->proj, &st, &err), 0);
	memset(&r, 0, sizeof r);
	assert_int_equal(store_journal_load(st, "b.nb.lua", "h1", collect, &r,
	    &other, &err), 0);
	assert_string_equal(r.text, "two|");
	assert_int_equal(other, 0);
	store_unref(st, __func__);
}

static void
test_store_outputs(void **state)
{
	struct kt		*t = *state;
	struct store		*st, *st2;
	struct gl_err		 err;
	struct rows		 r;
	struct store_blob	 outs[3] = {
		{ "x", 1 }, { "y", 1 }, { "z", 1 },
	};

	assert_int_equal(store_open(t->proj, &st, &err), 0);
	assert_int_equal(store_outputs_put(st, "n", "c1", "h", outs, 3, &err),
	    0);
	assert_int_equal(store_outputs_put(st, "n", "c2", "g", outs, 1, &err),
	    0);
	/* A new run replaces a cell's outputs. */
	assert_int_equal(store_outputs_put(st, "n", "c1", "k", outs + 2, 1,
	    &err), 0);
	/* Two handles on one project (two kernels) see the same data. */
	assert_int_equal(store_open(t->proj, &st2, &err), 0);
	memset(&r, 0, sizeof r);
	assert_int_equal(store_outputs_load(st2, "n", collect_out, &r, &err),
	    0);
	assert_string_equal(r.text, "c1:k:z|c2:g:x|");
	/* No outputs at all is a valid result. */
	assert_int_equal(store_outputs_put(st, "n", "c2", "g", NULL, 0, &err),
	    0);
	memset(&r, 0, sizeof r);
	assert_int_equal(store_outputs_load(st2, "n", collect_out, &r, &err),
	    0);
	assert_string_equal(r.text, "c1:k:z|");
	store_ref(st);
	store_unref(st, __func__);
	store_unref(st, __func__);
	store_unref(st2, __func__);
	store_unref(NULL, __func__);
}

/* Through the kernel. */

static json_t *
open_path(struct kc *k, const char *path)
{
	json_t *r = kc_call(k, "session.open", json_pack("{s:s}", "path",
	    path));

	if (r == NULL)
		fprintf(stderr, "session.open: %s\n", k->msg);
	assert_non_null(r);
	return r;
}

/* Runs one cell of the session opened as r and waits for its end: the
 * cell.done's params (caller decrefs). */
static json_t *
run_wait(struct kc *k, const json_t *r, const char *cell)
{
	json_t		*n = kc_call(k, "cell.run", json_pack("{s:s, s:[s]}",
	    "session", kj_str(r, "session"), "cells", cell));
	long long	 run;

	assert_non_null(n);
	run = kj_int(json_array_get(json_object_get(n, "runs"), 0), "run");
	json_decref(n);
	assert_non_null(n = kc_note(k, "cell.done", "run", json_integer(run),
	    KC_WAIT_MS));
	return n;
}

/* run_wait() of a cell that must end ok. */
static void
run_ok(struct kc *k, const json_t *r, const char *cell)
{
	json_t	*n = run_wait(k, r, cell);

	assert_string_equal(kj_str(n, "status"), "ok");
	json_decref(n);
}

/* cell.outputs of a cell of the session opened as r (caller decrefs). */
static json_t *
outputs_of(struct kc *k, const json_t *r, const char *cell)
{
	return kc_call(k, "cell.outputs", json_pack("{s:s, s:s}", "session",
	    kj_str(r, "session"), "cell", cell));
}

static const char *
source_of(const json_t *r, const char *id)
{
	json_t *c = kj_cell(json_object_get(r, "cells"), id);

	assert_non_null(c);
	return kj_str(c, "source");
}

static size_t
journal_rows(struct kt *t, const char *key)
{
	struct store	*st;
	struct gl_err	 err;
	size_t		 n = 0;

	assert_int_equal(store_open(t->proj, &st, &err), 0);
	assert_int_equal(store_journal_count(st, key, &n, &err), 0);
	store_unref(st, __func__);
	return n;
}

static void
test_edit_survives_kill9(void **state)
{
	struct kt	*t = *state;
	static const char text[] = "-- %% id=\"a\"\nx = 1\n";
	char		*nb = kt_write(t->proj, "k.nb.lua", text), *disk;
	struct kc	*k;
	json_t		*r, *e;

	assert_true(kt_start(t) > 0);
	k = kt_conn(t);
	r = open_path(k, nb);
	assert_non_null(e = kc_insert_text(k, kj_str(r, "session"), 0, "a", 5,
	    " + 1", 5));
	assert_int_equal(kj_int(e, "version"), 1);
	json_decref(e);
	json_decref(r);
	/* The edit was acknowledged: kill the kernel at once. */
	kt_kill9(t);
	kc_free(k);
	disk = kt_read(nb);
	assert_string_equal(disk, text);
	free(disk);

	assert_true(kt_start(t) > 0);
	k = kt_conn(t);
	r = open_path(k, nb);
	assert_int_equal(kj_int(r, "recovered"), 1);
	assert_int_equal(json_array_size(json_object_get(r, "warnings")), 0);
	assert_string_equal(source_of(r, "a"), "x = 1 + 1");
	assert_true(json_is_true(json_object_get(r, "dirty")));
	/* Recovery does not write the file. */
	disk = kt_read(nb);
	assert_string_equal(disk, text);
	free(disk);
	/* Editing on top of recovered edits and crashing again loses
	 * nothing either. */
	assert_non_null(e = kc_insert_text(k, kj_str(r, "session"),
	    kj_int(r, "version"), "a", 0, "y = 2\n", 9));
	json_decref(e);
	json_decref(r);
	kt_kill9(t);
	kc_free(k);
	assert_true(kt_start(t) > 0);
	k = kt_conn(t);
	r = open_path(k, nb);
	assert_int_equal(kj_int(r, "recovered"), 2);
	assert_string_equal(source_of(r, "a"), "y = 2\nx = 1 + 1");
	/* A save writes them and empties the journal. */
	json_decref(kc_call(k, "doc.save", json_pack("{s:s}", "session",
	    kj_str(r, "session"))));
	assert_int_equal(journal_rows(t, "k.nb.lua"), 0);
	disk = kt_read(nb);
	assert_string_equal(disk, "-- %% id=\"a\"\ny = 2\nx = 1 + 1\n");
	free(disk);
	json_decref(r);
	kc_free(k);
	assert_int_equal(kt_stop(t), 0);
	free(nb);
}

/* Many edits sent in one burst, before any answer: the kernel journals
 * those of one loop turn in one transaction (group commit) and answers
 * each only once it committed, so every acknowledged one survives kill
 * -9 right after its answer, and the answers keep their order. */
#define BURST 300

static void
test_edit_burst_survives_kill9(void **state)
{
	struct kt	*t = *state;
	static const char text[] = "-- %% id=\"a\"\nx = 1\n";
	char		*nb = kt_write(t->proj, "burst.nb.lua", text), *want;
	struct kc	*k, *k2;
	json_t		*r, *e;
	uint32_t	 ids[BURST];
	json_int_t	 last = 0;
	const char	*sid;

	assert_true(kt_start(t) > 0);
	k = kt_conn(t);
	k2 = kt_conn(t);
	r = open_path(k, nb);
	sid = kj_str(r, "session");
	json_decref(kc_call(k2, "session.attach", json_pack("{s:s}",
	    "session", sid)));
	for (int i = 0; i < BURST; i++)
		ids[i] = kc_send(k, "doc.edit", json_pack("{s:s, s:I, "
		    "s:[{s:s, s:s, s:[i, s]}]}", "session", sid, "version",
		    (json_int_t)0, "ops", "t", "text", "id", "a", "ops", 5,
		    "y"));
	for (int i = 0; i < BURST; i++) {
		e = kc_wait(k, ids[i], 10000);
		if (e == NULL)
			fprintf(stderr, "doc.edit %d: %s\n", i, k->msg);
		assert_non_null(e);
		/* In order: each answer names a later version. */
		assert_true(kj_int(e, "version") > last);
		last = kj_int(e, "version");
		json_decref(e);
	}
	assert_int_equal(last, BURST);
	/* Acknowledged: kill the kernel at once. */
	kt_kill9(t);
	kc_free(k);
	kc_free(k2);
	json_decref(r);

	assert_true(kt_start(t) > 0);
	k = kt_conn(t);
	r = open_path(k, nb);
	assert_int_equal(kj_int(r, "recovered"), BURST);
	want = xcalloc(1, 5 + BURST + 1);
	memcpy(want, "x = 1", 5);
	memset(want + 5, 'y', BURST);
	assert_string_equal(source_of(r, "a"), want);
	free(want);
	json_decref(r);
	kc_free(k);
	assert_int_equal(kt_stop(t), 0);
	free(nb);
}

static void
test_recovery_with_generated_ids(void **state)
{
	struct kt	*t = *state;
	/* No ids in the file: the kernel gives them at open. */
	static const char text[] = "-- %%\nx = 1\n\n-- %%\ny = 2\n";
	char		*nb = kt_write(t->proj, "noid.nb.lua", text), *disk;
	char		*id2;
	struct kc	*k;
	json_t		*r, *e;

	assert_true(kt_start(t) > 0);
	k = kt_conn(t);
	r = open_path(k, nb);
	id2 = xstrdup(kj_str(json_array_get(json_object_get(r, "cells"), 1),
	    "id"));
	assert_non_null(e = kc_insert_text(k, kj_str(r, "session"), 0, id2,
	    5, "0", 5));
	json_decref(e);
	json_decref(r);
	kt_kill9(t);
	kc_free(k);
	assert_true(kt_start(t) > 0);
	k = kt_conn(t);
	r = open_path(k, nb);
	assert_int_equal(kj_int(r, "recovered"), 1);
	assert_string_equal(source_of(r, id2), "y = 20");
	disk = kt_read(nb);
	assert_string_equal(disk, text);
	free(disk);
	json_decref(r);
	kc_free(k);
	assert_int_equal(kt_stop(t), 0);
	free(id2);
	free(nb);
}

/* Acknowledged edits to cell a, cell b rewritten on disk, the kernel
 * killed before a save: at the next open the edits are rebased onto the
 * new file by cell (a takes the edits, b the disk's text), at once and
 * durably, and the next save writes both. */
static void
test_journal_rebased_onto_changed_file(void **state)
{
	struct kt	*t = *state;
	char		*nb = kt_write(t->proj, "v.nb.lua",
	    "-- %% id=\"a\"\nx = 1\n\n-- %% id=\"b\"\ny = 1\n");
	static const char disk2[] =
	    "-- %% id=\"a\"\nx = 1\n\n-- %% id=\"b\"\ny = 42 -- theirs\n";
	struct kc	*k;
	json_t		*r, *e, *c;
	const char	*w;
	char		*disk;

	assert_true(kt_start(t) > 0);
	k = kt_conn(t);
	r = open_path(k, nb);
	for (int i = 0; i < 5; i++) {
		assert_non_null(e = kc_insert_text(k, kj_str(r, "session"), i,
		    "a", 5 + (size_t)i, "0", 5 + (size_t)i));
		json_decref(e);
	}
	json_decref(r);
	kt_kill9(t);
	kc_free(k);
	/* Someone rewrites cell b while the kernel is down. */
	free(kt_write(t->proj, "v.nb.lua", disk2));
	assert_true(kt_start(t) > 0);
	k = kt_conn(t);
	r = open_path(k, nb);
	assert_int_equal(kj_int(r, "recovered"), 5);
	assert_string_equal(source_of(r, "a"), "x = 100000");
	assert_string_equal(source_of(r, "b"), "y = 42 -- theirs");
	assert_true(json_is_true(json_object_get(r, "dirty")));
	assert_int_equal(json_array_size(json_object_get(r, "warnings")), 1);
	w = json_string_value(json_array_get(json_object_get(r, "warnings"),
	    0));
	assert_non_null(strstr(w, "changed on disk after 5 unsaved edits: "
	    "merged by cell"));
	c = kj_cell(json_object_get(r, "cells"), "a");
	assert_null(json_object_get(json_object_get(c, "meta"), "conflict"));
	/* Recovery does not write the file. */
	disk = kt_read(nb);
	assert_string_equal(disk, disk2);
	free(disk);
	json_decref(r);
	/* The rebase is in the journal already: another crash, and the
	 * next open neither merges again nor loses it. */
	kt_kill9(t);
	kc_free(k);
	assert_true(kt_start(t) > 0);
	k = kt_conn(t);
	r = open_path(k, nb);
	assert_int_equal(json_array_size(json_object_get(r, "warnings")), 0);
	assert_string_equal(source_of(r, "a"), "x = 100000");
	assert_string_equal(source_of(r, "b"), "y = 42 -- theirs");
	assert_true(json_is_true(json_object_get(r, "dirty")));
	json_decref(kc_call(k, "doc.save", json_pack("{s:s}", "session",
	    kj_str(r, "session"))));
	disk = kt_read(nb);
	assert_string_equal(disk, "-- %% id=\"a\"\nx = 100000\n\n"
	    "-- %% id=\"b\"\ny = 42 -- theirs\n");
	free(disk);
	assert_int_equal(journal_rows(t, "v.nb.lua"), 0);
	json_decref(r);
	kc_free(k);
	assert_int_equal(kt_stop(t), 0);
	free(nb);
}

/* Unsaved edits and the file on disk both changed one cell: it becomes a
 * conflict cell with both texts (nothing dropped), and a save writes it
 * as it is, for the user to resolve. */
static void
test_journal_conflict_kept_visible(void **state)
{
	struct kt	*t = *state;
	char		*nb = kt_write(t->proj, "c.nb.lua",
	    "-- %% id=\"a\"\nx = 1\n");
	struct kc	*k;
	json_t		*r, *e, *c;
	char		*disk;

	assert_true(kt_start(t) > 0);
	k = kt_conn(t);
	r = open_path(k, nb);
	assert_non_null(e = kc_insert_text(k, kj_str(r, "session"), 0, "a", 5,
	    "0", 5));
	json_decref(e);
	json_decref(r);
	kt_kill9(t);
	kc_free(k);
	free(kt_write(t->proj, "c.nb.lua", "-- %% id=\"a\"\nx = 2\n"));
	assert_true(kt_start(t) > 0);
	k = kt_conn(t);
	r = open_path(k, nb);
	assert_int_equal(kj_int(r, "recovered"), 1);
	assert_non_null(strstr(json_string_value(json_array_get(
	    json_object_get(r, "warnings"), 0)), "1 cell both changed"));
	c = kj_cell(json_object_get(r, "cells"), "a");
	assert_string_equal(json_string_value(json_object_get(
	    json_object_get(c, "meta"), "conflict")), "true");
	assert_string_equal(kj_str(c, "source"),
	    "<<<<<<< on disk\nx = 2\n=======\nx = 10\n>>>>>>> unsaved edits");
	json_decref(kc_call(k, "doc.save", json_pack("{s:s}", "session",
	    kj_str(r, "session"))));
	disk = kt_read(nb);
	assert_string_equal(disk, "-- %% id=\"a\" conflict=true\n"
	    "<<<<<<< on disk\nx = 2\n=======\nx = 10\n>>>>>>> unsaved edits\n");
	free(disk);
	json_decref(r);
	kc_free(k);
	assert_int_equal(kt_stop(t), 0);
	free(nb);
}

/* Rows of another version with no base row (a journal an older galley
 * wrote) cannot be placed: kept, named, never removed by a save. */
static void
test_journal_without_base_kept(void **state)
{
	struct kt		*t = *state;
	char			*nb = kt_write(t->proj, "old.nb.lua",
	    "-- %% id=\"a\"\nx = 1\n");
	struct store		*st;
	struct gl_err		 err;
	struct ot_op		 op;
	msgpack_sbuffer		 sb;
	msgpack_packer		 pk;
	struct store_blob	 row;
	struct kc		*k;
	json_t			*r;

	memset(&op, 0, sizeof op);
	op.kind = OT_SET_META;
	snprintf(op.id, sizeof op.id, "a");
	op.key = xstrdup("owner");
	op.text = xstrdup("\"ann\"");
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	ot_encode(&pk, &op);
	row = (struct store_blob){ sb.data, sb.size };
	assert_int_equal(store_open(t->proj, &st, &err), 0);
	assert_int_equal(store_journal_add(st, "old.nb.lua", "0123456789abcdef",
	    1, &row, 1, &err), 0);
	store_unref(st, __func__);
	msgpack_sbuffer_destroy(&sb);
	ot_op_fini(&op);
	assert_true(kt_start(t) > 0);
	k = kt_conn(t);
	r = open_path(k, nb);
	assert_int_equal(kj_int(r, "recovered"), 0);
	assert_non_null(strstr(json_string_value(json_array_get(
	    json_object_get(r, "warnings"), 0)), "1 unsaved edit in the journal "
	    "was made on another version of this file and could not be "
	    "placed; kept, not applied"));
	json_decref(kc_call(k, "doc.save", json_pack("{s:s}", "session",
	    kj_str(r, "session"))));
	assert_int_equal(journal_rows(t, "old.nb.lua"), 1);
	json_decref(r);
	kc_free(k);
	assert_int_equal(kt_stop(t), 0);
	free(nb);
}

/* doc.edit with a tag ({edit = "..."}): a client whose connection broke
 * before the answer came asks session.open whether it was applied. The
 * answer survives kill -9 (the tag is journaled with the ops) and a
 * rebase onto a file changed on disk; other clients never see the tag. */
static void
test_edit_tag_survives_kill9(void **state)
{
	struct kt	*t = *state;
	char		*nb = kt_write(t->proj, "tag.nb.lua",
	    "-- %% id=\"a\"\nx = 1\n\n-- %% id=\"b\"\ny = 1\n");
	struct kc	*k, *other;
	json_t		*r, *e, *n;

	assert_true(kt_start(t) > 0);
	k = kt_conn(t);
	other = kt_conn(t);
	r = open_path(k, nb);
	json_decref(open_path(other, nb));
	assert_null(kc_call(k, "doc.edit", json_pack("{s:s, s:i, s:[], s:s}",
	    "session", kj_str(r, "session"), "version", 0, "ops", "edit",
	    "")));
	assert_int_equal(k->code, GL_EINVAL);
	assert_non_null(e = kc_call(k, "doc.edit", json_pack("{s:s, s:i, "
	    "s:[{s:s, s:s, s:[i, s]}], s:s}", "session", kj_str(r, "session"),
	    "version", 0, "ops", "t", "text", "id", "a", "ops", 5, "0",
	    "edit", "tui-7.1")));
	json_decref(e);
	assert_non_null(n = kc_note(other, "doc.ops", NULL, NULL, KC_WAIT_MS));
	assert_int_equal(json_array_size(json_object_get(n, "ops")), 1);
	json_decref(n);
	json_decref(r);
	kt_kill9(t);
	kc_free(k);
	kc_free(other);

	assert_true(kt_start(t) > 0);
	k = kt_conn(t);
	r = kc_call(k, "session.open", json_pack("{s:s, s:s}", "path", nb,
	    "edit", "tui-7.1"));
	assert_non_null(r);
	assert_true(json_is_true(json_object_get(r, "edit_applied")));
	assert_string_equal(source_of(r, "a"), "x = 10");
	/* Another client's many edits do not push ours out: the kernel
	 * keeps the last tag of each client (one per prefix). */
	for (int i = 1; i <= 80; i++) {
		char	 tag[32];

		snprintf(tag, sizeof tag, "busy.%d", i);
		assert_non_null(e = kc_call(k, "doc.edit", json_pack("{s:s, "
		    "s:I, s:[{s:s, s:s, s:[i, s]}], s:s}", "session",
		    kj_str(r, "session"), "version", (json_int_t)(kj_int(r,
		    "version") + i - 1), "ops", "t", "text", "id", "a", "ops",
		    6 + i - 1, "+", "edit", tag)));
		json_decref(e);
	}
	json_decref(r);
	r = kc_call(k, "session.open", json_pack("{s:s, s:s}", "path", nb,
	    "edit", "tui-7.1"));
	assert_non_null(r);
	assert_true(json_is_true(json_object_get(r, "edit_applied")));
	json_decref(r);
	r = kc_call(k, "session.open", json_pack("{s:s, s:s}", "path", nb,
	    "edit", "tui-7.2"));
	assert_non_null(r);
	assert_true(json_is_false(json_object_get(r, "edit_applied")));
	/* Asked for nothing, told nothing. */
	json_decref(r);
	r = open_path(k, nb);
	assert_null(json_object_get(r, "edit_applied"));
	json_decref(r);
	/* The file changes on disk (merged into the unsaved edit), then a
	 * crash: the tag is still known. */
	free(kt_write(t->proj, "tag.nb.lua",
	    "-- %% id=\"a\"\nx = 1\n\n-- %% id=\"b\"\ny = 2\n"));
	assert_non_null(n = kc_note(k, "doc.changed", NULL, NULL, KC_WAIT_MS));
	assert_string_equal(kj_str(n, "how"), "merged");
	json_decref(n);
	kt_kill9(t);
	kc_free(k);
	assert_true(kt_start(t) > 0);
	k = kt_conn(t);
	r = kc_call(k, "session.open", json_pack("{s:s, s:s}", "path", nb,
	    "edit", "tui-7.1"));
	assert_non_null(r);
	assert_true(json_is_true(json_object_get(r, "edit_applied")));
	assert_non_null(strstr(source_of(r, "a"), "x = 10++++"));
	assert_string_equal(source_of(r, "b"), "y = 2");
	json_decref(r);
	kc_free(k);
	assert_int_equal(kt_stop(t), 0);
	free(nb);
}

static void
test_damaged_journal_row(void **state)
{
	struct kt		*t = *state;
	static const char	 text[] = "-- %% id=\"a\"\nx = 1\n";
	char			*nb = kt_write(t->proj, "dj.nb.lua", text);
	char			 hash[GL_HASH_HEX];
	struct store		*st;
	struct gl_err		 err;
	struct store_blob	 junk = { "\xc1junk", 5 };
	struct kc		*k;
	json_t			*r, *e;

	assert_true(kt_start(t) > 0);
	k = kt_conn(t);
	r = open_path(k, nb);
	assert_non_null(e = kc_insert_text(k, kj_str(r, "session"), 0, "a", 5,
	    "0", 5));
	json_decref(e);
	json_decref(r);
	kt_kill9(t);
	kc_free(k);
	/* A damaged row after the good one. */
	gl_hash_hex(text, strlen(text), hash);
	assert_int_equal(store_open(t->proj, &st, &err), 0);
	assert_int_equal(store_journal_add(st, "dj.nb.lua", hash, 2, &junk, 1,
	    &err), 0);
	store_unref(st, __func__);

	assert_true(kt_start(t) > 0);
	k = kt_conn(t);
	r = open_path(k, nb);
	assert_int_equal(kj_int(r, "recovered"), 1);
	assert_string_equal(source_of(r, "a"), "x = 10");
	assert_int_equal(json_array_size(json_object_get(r, "warnings")), 1);
	assert_non_null(strstr(json_string_value(json_array_get(
	    json_object_get(r, "warnings"), 0)), "could not be applied"));
	/* Edits made now survive the next crash in spite of that row. */
	assert_non_null(e = kc_insert_text(k, kj_str(r, "session"),
	    kj_int(r, "version"), "a", 6, "0", 6));
	json_decref(e);
	json_decref(r);
	kt_kill9(t);
	kc_free(k);
	assert_true(kt_start(t) > 0);
	k = kt_conn(t);
	r = open_path(k, nb);
	assert_string_equal(source_of(r, "a"), "x = 100");
	json_decref(r);
	kc_free(k);
	assert_int_equal(kt_stop(t), 0);
	free(nb);
}

static void
test_outputs_come_back_and_go_stale(void **state)
{
	struct kt	*t = *state;
	char		*nb = kt_write(t->proj, "o.nb.lua",
	    "-- %% id=\"a\"\nprint(\"forty\")\n40 + 2\n\n"
	    "-- %% id=\"b\"\nprint(\"bee\")\n");
	struct kc	*k;
	json_t		*r, *c, *n, *e;
	char		*text;
	long long	 run;

	assert_true(kt_start(t) > 0);
	k = kt_conn(t);
	r = open_path(k, nb);
	n = kc_call(k, "cell.run", json_pack("{s:s, s:[s, s]}", "session",
	    kj_str(r, "session"), "cells", "a", "b"));
	assert_non_null(n);
	run = kj_int(json_array_get(json_object_get(n, "runs"), 1), "run");
	json_decref(n);
	assert_non_null(n = kc_note(k, "cell.done", "run", json_integer(run),
	    KC_WAIT_MS));
	json_decref(n);
	json_decref(r);
	kc_free(k);
	assert_int_equal(kt_stop(t), 0);

	/* A new kernel: the outputs are there, not stale. */
	assert_true(kt_start(t) > 0);
	k = kt_conn(t);
	r = open_path(k, nb);
	c = kj_cell(json_object_get(r, "cells"), "a");
	text = kj_outputs_text(json_object_get(c, "outputs"));
	assert_string_equal(text, "forty\n42");
	free(text);
	assert_false(json_is_true(json_object_get(c, "stale")));
	/* Edit a's source: a is stale, b is not. */
	assert_non_null(e = kc_insert_text(k, kj_str(r, "session"), 0, "a",
	    0, "-- changed\n", strlen("print(\"forty\")\n40 + 2")));
	json_decref(e);
	n = outputs_of(k, r, "a");
	assert_non_null(n);
	assert_true(json_is_true(json_object_get(n, "stale")));
	json_decref(n);
	n = outputs_of(k, r, "b");
	assert_non_null(n);
	assert_false(json_is_true(json_object_get(n, "stale")));
	text = kj_outputs_text(json_object_get(n, "outputs"));
	assert_string_equal(text, "bee\n");
	free(text);
	json_decref(n);
	json_decref(r);
	kc_free(k);
	assert_int_equal(kt_stop(t), 0);
	free(nb);
}

/* A cell that failed shows why after a reopen: its error is stored with
 * its outputs. */
static void
test_error_output_comes_back(void **state)
{
	struct kt	*t = *state;
	char		*nb = kt_write(t->proj, "err.nb.lua",
	    "-- %% id=\"bad\"\nprint(\"before\")\nlocal t = nil\nprint(t.x)\n");
	struct kc	*k;
	json_t		*r, *c, *n, *outs, *last;

	assert_true(kt_start(t) > 0);
	k = kt_conn(t);
	r = open_path(k, nb);
	n = run_wait(k, r, "bad");
	assert_string_equal(kj_str(n, "status"), "error");
	json_decref(n);
	json_decref(r);
	kc_free(k);
	assert_int_equal(kt_stop(t), 0);

	assert_true(kt_start(t) > 0);
	k = kt_conn(t);
	r = open_path(k, nb);
	c = kj_cell(json_object_get(r, "cells"), "bad");
	outs = json_object_get(c, "outputs");
	assert_int_equal(json_array_size(outs), 2);
	last = json_array_get(outs, 1);
	assert_string_equal(kj_str(last, "type"), "error");
	assert_non_null(strstr(kj_str(last, "message"), "attempt to index"));
	assert_non_null(strstr(kj_str(last, "traceback"), "err.nb.lua:4"));
	assert_int_equal(kj_int(last, "line"), 3);
	json_decref(r);
	kc_free(k);
	assert_int_equal(kt_stop(t), 0);
	free(nb);
}

/*
 * A cell's streams are kept merged, one output per run of one stream,
 * whoever wrote them (print and io.write, encoded by the runtime; the
 * runtime's raw stdout and stderr, by the kernel): what cell.outputs
 * gives, and after a restart what the store gives back, is the live
 * cell.output notifications with consecutive ones of a stream joined.
 * (Raw writes and print keep their order only within what the runtime
 * had flushed, so the test takes the order the notifications came in.)
 */
static void
test_streams_merged_and_stored(void **state)
{
	struct kt	*t = *state;
	char		*nb = kt_write(t->proj, "s.nb.lua",
	    "-- %% id=\"s\"\n"
	    "print(\"a\")\n"
	    "io.stdout:write(\"b\\n\")\n"
	    "io.write(\"c\\n\")\n"
	    "io.stderr:write(\"e1\\n\")\n"
	    "io.stderr:write(\"e2\\n\")\n"
	    "print(string.rep(\"z\", 300))\n"
	    "print(\"d\")\n");
	struct kc	*k;
	json_t		*r, *n, *o, *outs, *want = json_array(), *last;
	size_t		 i;

	assert_true(kt_start(t) > 0);
	for (int round = 0; round < 2; round++) {
		k = kt_conn(t);
		r = open_path(k, nb);
		if (round == 0) {
			run_ok(k, r, "s");
			/* The live outputs, joined as the kernel keeps them. */
			while ((n = kc_note(k, "cell.output", NULL, NULL,
			    0)) != NULL) {
				o = json_object_get(n, "output");
				last = json_array_get(want,
				    json_array_size(want) - 1);
				if (last != NULL && strcmp(kj_str(last, "name"),
				    kj_str(o, "name")) == 0) {
					char *j = xasprintf("%s%s",
					    kj_str(last, "text"),
					    kj_str(o, "text"));

					json_object_set_new(last, "text",
					    json_string(j));
					free(j);
				} else
					json_array_append(want, o);
				json_decref(n);
			}
			/* stdout, stderr, stdout at least; at most five. */
			assert_true(json_array_size(want) >= 3);
			assert_true(json_array_size(want) <= 5);
		}
		n = outputs_of(k, r, "s");
		assert_non_null(n);
		outs = json_object_get(n, "outputs");
		assert_int_equal(json_array_size(outs), json_array_size(want));
		json_array_foreach(outs, i, o) {
			assert_string_equal(kj_str(o, "type"), "stream");
			assert_true(json_equal(o, json_array_get(want, i)));
		}
		/* After the restart, session.open's cells carry the same. */
		if (round == 1)
			assert_true(json_equal(outs, json_object_get(kj_cell(
			    json_object_get(r, "cells"), "s"), "outputs")));
		json_decref(n);
		json_decref(r);
		kc_free(k);
		assert_int_equal(kt_stop(t), 0);
		if (round == 0)
			assert_true(kt_start(t) > 0);
	}
	json_decref(want);
	free(nb);
}

static void
test_outputs_capped_and_marked(void **state)
{
	struct kt	*t = *state;
	char		*nb = kt_write(t->proj, "big.nb.lua",
	    "-- %% id=\"big\"\n"
	    "local s = string.rep(\"y\", 1024)\n"
	    "for i = 1, 2048 do io.write(s) end\n");
	struct kc	*k;
	json_t		*r, *o;
	char		*text;

	assert_true(kt_start(t) > 0);
	for (int round = 0; round < 2; round++) {
		k = kt_conn(t);
		r = open_path(k, nb);
		if (round == 0) {
			run_ok(k, r, "big");
		}
		/* 2 MiB printed, 1 MiB kept, then the note (which names
		 * the file of the full output); the same after a restart of
		 * the kernel. */
		o = outputs_of(k, r, "big");
		assert_non_null(o);
		assert_true(json_is_true(json_object_get(o, "truncated")));
		text = kj_outputs_text(json_object_get(o, "outputs"));
		assert_true(strlen(text) <= ((size_t)1 << 20) + 100 +
		    strlen(t->proj) + 100);
		assert_true(strlen(text) >= ((size_t)1 << 20) - 1024);
		assert_non_null(strstr(text, "output truncated"));
		free(text);
		json_decref(o);
		json_decref(r);
		kc_free(k);
		assert_int_equal(kt_stop(t), 0);
		if (round == 0)
			assert_true(kt_start(t) > 0);
	}
	free(nb);
}

/* The path a truncation note names ("... the full output is in PATH]"),
 * or NULL. Caller frees. */
static char *
note_path(const char *text)
{
	const char	*p = strstr(text, "the full output is in ");
	const char	*e;

	if (p == NULL)
		return NULL;
	p += strlen("the full output is in ");
	if ((e = strchr(p, ']')) == NULL)
		return NULL;
	return xstrndup(p, (size_t)(e - p));
}

/*
 * Past the cap the full output goes to a file in the project's .galley/
 * which the note names; running the cell again removes it, and an open
 * removes a file no kept outputs name.
 */
static void
test_outputs_full_output_in_a_file(void **state)
{
	struct kt	*t = *state;
	char		*nb = kt_write(t->proj, "full.nb.lua",
	    "-- %% id=\"n\"\nN = N or 3000\n\n"
	    "-- %% id=\"big\"\n"
	    "for i = 1, N do print(string.format(\"%05d\", i) .. "
	    "string.rep(\"y\", 1000)) end\n\n"
	    "-- %% id=\"small\"\nN = 1\n");
	struct gl_buf	 want;
	struct kc	*k;
	json_t		*r, *o;
	char		*text, *path, *full, *stale, h[GL_HASH_HEX], *dir;

	gl_buf_init(&want);
	for (int i = 1; i <= 3000; i++) {
		gl_buf_addf(&want, "%05d", i);
		for (int j = 0; j < 1000; j++)
			gl_buf_addc(&want, 'y');
		gl_buf_addc(&want, '\n');
	}
	assert_true(kt_start(t) > 0);
	k = kt_conn(t);
	r = open_path(k, nb);
	json_decref(run_wait(k, r, "n"));
	run_ok(k, r, "big");
	o = outputs_of(k, r, "big");
	assert_true(json_is_true(json_object_get(o, "truncated")));
	text = kj_outputs_text(json_object_get(o, "outputs"));
	assert_non_null(strstr(text, "output truncated at 1 MiB; the full "
	    "output is in "));
	assert_non_null(path = note_path(text));
	dir = xasprintf("%s/.galley/outputs/", t->proj);
	assert_memory_equal(path, dir, strlen(dir));
	assert_non_null(full = kt_read(path));
	assert_int_equal(strlen(full), want.len);
	assert_memory_equal(full, want.data, want.len);
	free(full);
	free(text);
	json_decref(o);

	/* A file that no kept outputs name goes at the next open. */
	gl_hash_hex("full.nb.lua", strlen("full.nb.lua"), h);
	stale = xasprintf("%s%.16s-gone.txt", dir, h);
	free(kt_write(dir, strrchr(stale, '/') + 1, "old"));
	assert_int_equal(access(stale, F_OK), 0);
	json_decref(r);
	kc_free(k);
	assert_int_equal(kt_stop(t), 0);
	assert_true(kt_start(t) > 0);
	k = kt_conn(t);
	r = open_path(k, nb);
	assert_int_not_equal(access(stale, F_OK), 0);
	assert_int_equal(access(path, F_OK), 0);

	/* Run again with a small output: the file goes. */
	json_decref(run_wait(k, r, "small"));
	run_ok(k, r, "big");
	assert_int_not_equal(access(path, F_OK), 0);
	o = outputs_of(k, r, "big");
	assert_false(json_is_true(json_object_get(o, "truncated")));
	json_decref(o);
	json_decref(r);
	kc_free(k);
	assert_int_equal(kt_stop(t), 0);
	free(stale);
	free(dir);
	free(path);
	gl_buf_fini(&want);
	free(nb);
}

static mode_t
mode_of(const char *dir, const char *name)
{
	char		 path[300];
	struct stat	 sb;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	if (stat(path, &sb) != 0) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		fail();
	}
	return sb.st_mode & 07777;
}

/* The journal holds unsaved edits: .galley/ is 0700 and the database
 * with its -wal and -shm 0600, whatever the umask, and a store an older
 * galley left readable by others is tightened at open. */
static void
test_store_is_private(void **state)
{
	struct kt	*t = *state;
	char		 gdir[256], db[300];
	char		*nb;
	struct store	*st;
	struct gl_err	 err;
	sqlite3		*h;
	mode_t		 old = umask(022);
	struct kc	*k;
	json_t		*r, *e;

	/* A new store, made by the kernel for a notebook. */
	nb = kt_write(t->proj, "p.nb.lua", "-- %% id=\"a\"\nx = 1\n");
	assert_true(kt_start(t) > 0);
	k = kt_conn(t);
	r = open_path(k, nb);
	assert_non_null(e = kc_insert_text(k, kj_str(r, "session"), 0, "a", 5,
	    " + 1", 5));
	json_decref(e);
	json_decref(r);
	snprintf(gdir, sizeof gdir, "%s/.galley", t->proj);
	assert_int_equal(mode_of(t->proj, ".galley"), 0700);
	assert_int_equal(mode_of(gdir, "store.db"), 0600);
	assert_int_equal(mode_of(gdir, "store.db-wal"), 0600);
	assert_int_equal(mode_of(gdir, "store.db-shm"), 0600);
	kc_free(k);
	assert_int_equal(kt_stop(t), 0);

	/* One left open to others (with its -wal and -shm, held by a
	 * connection of ours) is tightened. */
	snprintf(db, sizeof db, "%s/store.db", gdir);
	assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
	assert_int_equal(sqlite3_exec(h, "PRAGMA journal_mode = WAL; "
	    "CREATE TABLE IF NOT EXISTS x(a); INSERT INTO x VALUES (1)",
	    NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(chmod(gdir, 0755), 0);
	assert_int_equal(chmod(db, 0644), 0);
	snprintf(db, sizeof db, "%s/store.db-wal", gdir);
	assert_int_equal(chmod(db, 0644), 0);
	snprintf(db, sizeof db, "%s/store.db-shm", gdir);
	assert_int_equal(chmod(db, 0644), 0);
	assert_int_equal(store_open(t->proj, &st, &err), 0);
	assert_int_equal(mode_of(t->proj, ".galley"), 0700);
	assert_int_equal(mode_of(gdir, "store.db"), 0600);
	assert_int_equal(mode_of(gdir, "store.db-wal"), 0600);
	assert_int_equal(mode_of(gdir, "store.db-shm"), 0600);
	store_unref(st, __func__);
	sqlite3_close(h);
	umask(old);
	free(nb);
}

/* A notebook in a directory the user cannot write: no .galley/ appears
 * there; its edits are journaled in the user's state directory instead
 * (and survive a crash), the answer says so, and a save fails saying
 * why without touching the file. */
static void
test_unwritable_dir_journals_in_state_dir(void **state)
{
	struct kt	*t = *state;
	static const char text[] = "-- %% id=\"a\"\nx = 1\n";
	char		 dir[256], sdir[256], galley[300], *nb, *db, *disk;
	const char	*w;
	struct kc	*k;
	json_t		*r, *e;

	snprintf(dir, sizeof dir, "%s/ro", t->root);
	assert_int_equal(mkdir(dir, 0755), 0);
	nb = kt_write(dir, "r.nb.lua", text);
	free(kt_write(dir, ".git", ""));	/* the project: this dir */
	snprintf(sdir, sizeof sdir, "%s/state", t->root);
	setenv("XDG_STATE_HOME", sdir, 1);
	if (geteuid() != 0)
		assert_int_equal(chmod(dir, 0555), 0);
	else if (unshare(CLONE_NEWNS) != 0 ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0 ||
	    mount(dir, dir, NULL, MS_BIND, NULL) != 0 ||
	    mount(NULL, dir, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY,
	    NULL) != 0) {
		/* root writes anywhere a file system allows. */
		fprintf(stderr, "# skipped: root cannot mount a read-only "
		    "directory here\n");
		unsetenv("XDG_STATE_HOME");
		free(nb);
		skip();
	}
	db = xasprintf("%s/galley/journal.db", sdir);
	assert_true(kt_start(t) > 0);
	k = kt_conn(t);
	r = open_path(k, nb);
	assert_int_equal(json_array_size(json_object_get(r, "warnings")), 1);
	w = json_string_value(json_array_get(json_object_get(r, "warnings"),
	    0));
	assert_non_null(strstr(w, "cannot be written"));
	assert_non_null(strstr(w, db));
	snprintf(galley, sizeof galley, "%s/.galley", dir);
	assert_int_not_equal(access(galley, F_OK), 0);
	assert_non_null(e = kc_insert_text(k, kj_str(r, "session"), 0, "a", 5,
	    " + 1", 5));
	json_decref(e);
	json_decref(r);
	assert_int_equal(mode_of(sdir, "galley/journal.db"), 0600);
	assert_int_equal(mode_of(sdir, "galley"), 0700);
	/* The journal is there: a crash loses nothing. */
	kt_kill9(t);
	kc_free(k);
	assert_true(kt_start(t) > 0);
	k = kt_conn(t);
	r = open_path(k, nb);
	assert_int_equal(kj_int(r, "recovered"), 1);
	assert_string_equal(source_of(r, "a"), "x = 1 + 1");
	/* Saving cannot work there, and says so. */
	assert_null(kc_call(k, "doc.save", json_pack("{s:s}", "session",
	    kj_str(r, "session"))));
	assert_non_null(strstr(k->msg, nb));
	disk = kt_read(nb);
	assert_string_equal(disk, text);
	free(disk);
	assert_int_not_equal(access(galley, F_OK), 0);
	json_decref(r);
	kc_free(k);
	assert_int_equal(kt_stop(t), 0);
	if (geteuid() != 0)
		chmod(dir, 0755);
	else
		umount2(dir, MNT_DETACH);
	unsetenv("XDG_STATE_HOME");
	free(db);
	free(nb);
}

static void
test_save_on_full_disk_keeps_journal(void **state)
{
	struct kt	*t = *state;
	char		 dir[256], *nb, *filler, *disk, *big;
	static const char text[] = "-- %% id=\"a\"\nx = 1\n";
	struct kc	*k;
	json_t		*r, *e;
	FILE		*f;
	static char	 chunk[4096];

	if (geteuid() != 0 || unshare(CLONE_NEWNS) != 0 ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) {
		fprintf(stderr, "# skipped: needs root to mount a small "
		    "file system\n");
		skip();
	}
	snprintf(dir, sizeof dir, "%s/small", t->root);
	mkdir(dir, 0755);
	assert_int_equal(mount("tmpfs", dir, "tmpfs", 0, "size=2m"), 0);
	nb = kt_write(dir, "full.nb.lua", text);
	free(kt_write(dir, ".git", ""));	/* the project: this dir */
	assert_true(kt_start(t) > 0);
	k = kt_conn(t);
	r = open_path(k, nb);
	assert_non_null(e = kc_insert_text(k, kj_str(r, "session"), 0, "a", 5,
	    " + 1", 5));
	json_decref(e);
	/* Fill the disk. */
	filler = xasprintf("%s/filler", dir);
	assert_non_null(f = fopen(filler, "w"));
	memset(chunk, 'f', sizeof chunk);
	while (fwrite(chunk, 1, sizeof chunk, f) == sizeof chunk &&
	    fflush(f) == 0)
		;
	fclose(f);
	assert_null(kc_call(k, "doc.save", json_pack("{s:s}", "session",
	    kj_str(r, "session"))));
	assert_int_equal(k->code, GL_ENOSPC);
	assert_non_null(strstr(k->msg, nb));
	disk = kt_read(nb);
	assert_string_equal(disk, text);
	free(disk);
	/* An edit the journal cannot hold is refused, and undone: the
	 * session stays at the last acknowledged version. */
	big = xcalloc(1, 256 * 1024 + 1);
	memset(big, 'z', 256 * 1024);
	assert_null(kc_insert_text(k, kj_str(r, "session"), 1, "a", 9, big,
	    9));
	free(big);
	assert_int_equal(k->code, GL_ENOSPC);
	assert_non_null(strstr(k->msg, "journal could not be written"));
	assert_non_null(e = kc_call(k, "doc.get", json_pack("{s:s}",
	    "session", kj_str(r, "session"))));
	assert_int_equal(kj_int(e, "version"), 1);
	assert_string_equal(source_of(e, "a"), "x = 1 + 1");
	json_decref(e);
	json_decref(r);
	/* Nothing is lost: after a crash and some room, it comes back. */
	kt_kill9(t);
	kc_free(k);
	unlink(filler);
	assert_true(kt_start(t) > 0);
	k = kt_conn(t);
	r = open_path(k, nb);
	assert_int_equal(kj_int(r, "recovered"), 1);
	assert_string_equal(source_of(r, "a"), "x = 1 + 1");
	json_decref(kc_call(k, "doc.save", json_pack("{s:s}", "session",
	    kj_str(r, "session"))));
	disk = kt_read(nb);
	assert_string_equal(disk, "-- %% id=\"a\"\nx = 1 + 1\n");
	free(disk);
	json_decref(r);
	kc_free(k);
	assert_int_equal(kt_stop(t), 0);
	umount2(dir, MNT_DETACH);
	free(filler);
	free(nb);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_store_open_creates,
		    kt_setup, kt_teardown),
		cmocka_unit_test_setup_teardown(test_store_journal, kt_setup,
		    kt_teardown),
		cmocka_unit_test_setup_teardown(test_store_outputs, kt_setup,
		    kt_teardown),
		cmocka_unit_test_setup_teardown(test_edit_burst_survives_kill9,
		    kt_setup, kt_teardown),
		cmocka_unit_test_setup_teardown(test_edit_survives_kill9,
		    kt_setup, kt_teardown),
		cmocka_unit_test_setup_teardown(
		    test_recovery_with_generated_ids, kt_setup, kt_teardown),
		cmocka_unit_test_setup_teardown(
		    test_journal_rebased_onto_changed_file, kt_setup,
		    kt_teardown),
		cmocka_unit_test_setup_teardown(
		    test_journal_conflict_kept_visible, kt_setup,
		    kt_teardown),
		cmocka_unit_test_setup_teardown(
		    test_journal_without_base_kept, kt_setup, kt_teardown),
		cmocka_unit_test_setup_teardown(
		    test_edit_tag_survives_kill9, kt_setup, kt_teardown),
		cmocka_unit_test_setup_teardown(test_damaged_journal_row,
		    kt_setup, kt_teardown),
		cmocka_unit_test_setup_teardown(
		    test_outputs_come_back_and_go_stale, kt_setup, kt_teardown),
		cmocka_unit_test_setup_teardown(test_error_output_comes_back,
		    kt_setup, kt_teardown),
		cmocka_unit_test_setup_teardown(test_streams_merged_and_stored,
		    kt_setup, kt_teardown),
		cmocka_unit_test_setup_teardown(test_outputs_capped_and_marked,
		    kt_setup, kt_teardown),
		cmocka_unit_test_setup_teardown(
		    test_outputs_full_output_in_a_file, kt_setup, kt_teardown),
		cmocka_unit_test_setup_teardown(
		    test_save_on_full_disk_keeps_journal, kt_setup,
		    kt_teardown),
		cmocka_unit_test_setup_teardown(test_store_is_private,
		    kt_setup, kt_teardown),
		cmocka_unit_test_setup_teardown(
		    test_unwritable_dir_journals_in_state_dir, kt_setup,
		    kt_teardown),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_team.c - a shared kernel bills each member for their own work
 * (issue 12): two members of one team kernel run cluster work; usage is
 * recorded under each member's name (usage.report by user), and a
 * per-user limit refuses the member over it and only that member.
 * Real processes: a forked kernel with TCP, its runtimes, local
 * workers. Configuration and usage database live in the test's
 * directory.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "kfixture.h"
#include "kernel/req.h"

#define WAIT_MS		30000

struct fx {
	struct kt	 t;
	char		 cfgdir[256];
};

static int
setup(void **state)
{
	struct fx	*f = xcalloc(1, sizeof *f);
	char		 st[256], *dir, *path;

	kt_init(&f->t);
	snprintf(f->cfgdir, sizeof f->cfgdir, "%s/config", f->t.root);
	snprintf(st, sizeof st, "%s/state", f->t.root);
	mkdir(f->cfgdir, 0700);
	mkdir(st, 0700);
	setenv("XDG_CONFIG_HOME", f->cfgdir, 1);
	setenv("XDG_STATE_HOME", st, 1);
	dir = xasprintf("%s/galley", f->cfgdir);
	mkdir(dir, 0700);
	/* 0.00001 CPU-hours = 36 ms: ann's first map spends more. */
	path = kt_write(dir, "init.lua", "cluster = { workers = 2, limits = "
	    "{ users = {\n  ann = { cpu_hours = 0.00001 } } } }\n");
	free(path);
	free(dir);
	f->t.listen = "127.0.0.1:0";
	assert_true(kt_start(&f->t) > 0);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx	*f = *state;
	int		 st = kt_stop(&f->t);

	kt_fini(&f->t);
	free(f);
	assert_int_equal(st, 0);
	return 0;
}

/* session.open of a client's own file: its label and its text (the
 * answer; caller decrefs). */
static json_t *
open_client_file(struct kc *k, const char *label, const char *text)
{
	return kc_call(k, "session.open", json_pack("{s:s, s:s, s:b}", "path",
	    label, "text", text, "client_file", 1));
}

/* A member of the kernel, connected over TCP. */
static struct kc *
member(struct fx *f, const char *addr, const char *name)
{
	struct kc	*o = kc_connect_unix(f->t.sock), *k;
	json_t		*r;

	assert_non_null(o);
	r = kc_call(o, "kernel.member_add", json_pack("{s:s, s:s}", "name",
	    name, "role", "editor"));
	assert_non_null(r);
	k = kc_connect_member(addr, name, kj_str(r, "token"), NULL);
	assert_non_null(k);
	json_decref(r);
	kc_free(o);
	return k;
}

/* Runs cell of an ephemeral session of k holding text; returns cell.done
 * (caller decrefs). */
static json_t *
run(struct kc *k, const char *sid, const char *cell)
{
	json_t		*r, *n;
	long long	 id;

	r = kc_call(k, "cell.run", json_pack("{s:s, s:[s]}", "session", sid,
	    "cells", cell));
	assert_non_null(r);
	id = kj_int(json_array_get(json_object_get(r, "runs"), 0), "run");
	json_decref(r);
	n = kc_note(k, "cell.done", "run", json_integer(id), WAIT_MS);
	assert_non_null(n);
	return n;
}

static char *
open_eph(struct fx *f, struct kc *k, const char *text)
{
	char	*path = xasprintf("%s/t.nb.lua", f->t.proj);
	json_t	*r = kc_call(k, "session.open", json_pack("{s:s, s:s, s:b}",
	    "path", path, "text", text, "ephemeral", 1));
	char	*sid;

	assert_non_null(r);
	sid = xstrdup(kj_str(r, "session"));
	json_decref(r);
	free(path);
	return sid;
}

static void
test_usage_and_limits_per_member(void **state)
{
	struct fx	*f = *state;
	char		*addr = kt_listen_addr(&f->t);
	struct kc	*ann = member(f, addr, "ann");
	struct kc	*ben = member(f, addr, "ben");
	const char	*text =
	    "-- %% id=\"a\"\n"
	    "local r = cluster.map(function(x)\n"
	    "  local t = os.clock()\n"
	    "  while os.clock() - t < 0.03 do end\n"
	    "  return x\n"
	    "end, {1, 2, 3, 4})\n"
	    "print('ran', #r)\n"
	    "-- %% id=\"b\"\n"
	    "print(#cluster.map(function(x) return x end, {1}))\n";
	char		*sa = open_eph(f, ann, text), *sb = open_eph(f, ben,
			    text);
	json_t		*n, *u, *rows, *row, *st;
	size_t		 i;
	bool		 seen_ann = false, seen_ben = false;

	n = run(ann, sa, "a");
	assert_string_equal(kj_str(n, "status"), "ok");
	json_decref(n);
	/* ann is over her limit: refused, naming her. */
	n = run(ann, sa, "b");
	assert_string_equal(kj_str(n, "status"), "error");
	assert_non_null(strstr(kj_str(json_object_get(n, "error"), "message"),
	    "cpu limit of user ann reached"));
	json_decref(n);
	/* ben is not: the same cell runs for him. */
	n = run(ben, sb, "b");
	assert_string_equal(kj_str(n, "status"), "ok");
	json_decref(n);

	u = kc_call(ben, "usage.report", json_pack("{s:s}", "by", "user"));
	assert_non_null(u);
	rows = json_object_get(u, "rows");
	json_array_foreach(rows, i, row) {
		const char *key = kj_str(row, "key");

		assert_string_not_equal(key, req_kernel_user());
		if (strcmp(key, "ann") == 0) {
			assert_int_equal(kj_int(row, "tasks"), 4);
			seen_ann = true;
		} else if (strcmp(key, "ben") == 0) {
			assert_int_equal(kj_int(row, "tasks"), 1);
			seen_ben = true;
		}
	}
	assert_true(seen_ann && seen_ben);
	json_decref(u);
	/* Members without a Unix account here count in group "members". */
	u = kc_call(ann, "usage.report", json_pack("{s:s}", "by", "group"));
	assert_non_null(u);
	assert_string_equal(kj_str(json_array_get(json_object_get(u, "rows"),
	    0), "key"), "members");
	json_decref(u);
	st = kc_call(ann, "cluster.status", NULL);
	assert_non_null(st);
	json_decref(st);

	kc_free(ann);
	kc_free(ben);
	free(sa);
	free(sb);
	free(addr);
}

/* doc.save of a client_file session over k's link: the answer's text,
 * written with the client library as a client does. */
static void
save_client_file(struct kc *k, const char *sid, const char *path)
{
	struct rpc_writer	*w;
	struct rpc_msg		 m;
	struct gl_err		 err;
	uint32_t		 id;

	w = cl_begin(k->conn, "doc.save", &id);
	msgpack_pack_map(&w->pk, 1);
	rpc_pack_kv_str(&w->pk, "session", sid);
	assert_int_equal(cl_send(k->conn, &err), 0);
	assert_int_equal(cl_wait(k->conn, id, &m, WAIT_MS, &err), 0);
	/* Nothing written yet: the kernel does not write it. */
	{
		char *now = kt_read(path);

		assert_string_equal(now, "-- %% id=\"a\"\nx = 1\n");
		free(now);
	}
	assert_int_equal(cl_file_write(path, m.result, &err), 0);
	rpc_msg_fini(&m);
}

/* A local notebook on a remote kernel (session.open client_file): the
 * kernel, whose cwd is elsewhere, holds the session and its journal (in
 * its state dir); a save sends the text back and the client writes its
 * own file; after the link drops, opening the same label again rejoins
 * the live session; another member's same label is another session; a
 * crashed kernel gives the edits back at the next open. */
static void
test_local_notebook_remote_kernel(void **state)
{
	struct fx	*f = *state;
	char		*addr = kt_listen_addr(&f->t);
	struct kc	*o = kc_connect_unix(f->t.sock), *ann, *ben;
	static const char text[] = "-- %% id=\"a\"\nx = 1\n";
	char		 dir[256], *nb, *label, *disk, *sid, *token;
	struct gl_err	 err;
	json_t		*r, *e;
	DIR		*d;
	struct dirent	*de;
	size_t		 nfiles = 0;

	assert_non_null(o);
	r = kc_call(o, "kernel.member_add", json_pack("{s:s, s:s}", "name",
	    "ann", "role", "editor"));
	assert_non_null(r);
	token = xstrdup(kj_str(r, "token"));
	json_decref(r);
	kc_free(o);
	assert_non_null(ann = kc_connect_member(addr, "ann", token, NULL));
	snprintf(dir, sizeof dir, "%s/laptop", f->t.root);
	mkdir(dir, 0700);
	nb = kt_write(dir, "mine.nb.lua", text);
	assert_non_null(label = cl_file_label(nb, &err));
	assert_non_null(strstr(label, nb));
	assert_false(cl_kernel_is_remote("/run/galley/kernel.sock"));
	assert_true(cl_kernel_is_remote(addr));
	r = open_client_file(ann, label, text);
	assert_non_null(r);
	sid = xstrdup(kj_str(r, "session"));
	assert_string_equal(kj_str(r, "path"), label);
	json_decref(r);
	assert_non_null(e = kc_insert_text(ann, sid, 0, "a", 5, " + 1", 5));
	json_decref(e);
	save_client_file(ann, sid, nb);
	disk = kt_read(nb);
	assert_string_equal(disk, "-- %% id=\"a\"\nx = 1 + 1\n");
	free(disk);
	/* The kernel wrote nothing next to the file: no journal, no
	 * temporary file. */
	assert_non_null(d = opendir(dir));
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.' || strcmp(de->d_name, ".galley") == 0)
			nfiles++;
	closedir(d);
	assert_int_equal(nfiles, 1);
	/* An unsaved edit, then the link drops: the same label rejoins the
	 * live session, edit and all. */
	assert_non_null(e = kc_insert_text(ann, sid, 1, "a", 9, "\ny = 2",
	    9));
	json_decref(e);
	kc_free(ann);
	assert_non_null(ann = kc_connect_member(addr, "ann", token, NULL));
	disk = kt_read(nb);
	r = open_client_file(ann, label, disk);
	free(disk);
	assert_non_null(r);
	assert_string_equal(kj_str(r, "session"), sid);
	assert_int_equal(kj_int(r, "version"), 2);
	assert_true(json_is_true(json_object_get(r, "dirty")));
	assert_string_equal(kj_str(kj_cell(json_object_get(r, "cells"), "a"),
	    "source"), "x = 1 + 1\ny = 2");
	json_decref(r);
	/* Another member's file of the same name is theirs. */
	ben = member(f, addr, "ben");
	r = open_client_file(ben, label, text);
	assert_non_null(r);
	assert_string_not_equal(kj_str(r, "session"), sid);
	assert_string_equal(kj_str(kj_cell(json_object_get(r, "cells"), "a"),
	    "source"), "x = 1");
	json_decref(r);
	kc_free(ben);
	/* The kernel dies: the next open of the label gets the unsaved
	 * edit back from the kernel's journal. */
	kt_kill9(&f->t);
	kc_free(ann);
	free(addr);
	assert_true(kt_start(&f->t) > 0);
	addr = kt_listen_addr(&f->t);
	assert_non_null(ann = kc_connect_member(addr, "ann", token, NULL));
	disk = kt_read(nb);
	r = open_client_file(ann, label, disk);
	free(disk);
	assert_non_null(r);
	assert_int_equal(kj_int(r, "recovered"), 1);
	assert_string_equal(kj_str(kj_cell(json_object_get(r, "cells"), "a"),
	    "source"), "x = 1 + 1\ny = 2");
	json_decref(r);
	kc_free(ann);
	free(token);
	free(sid);
	free(label);
	free(nb);
	free(addr);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_usage_and_limits_per_member, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_local_notebook_remote_kernel, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

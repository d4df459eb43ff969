/*
 * test_lib.c - the kernel's library load records (kernel/lib.h) and
 * lib.who_uses: loads by two users of several versions from several
 * notebooks, who still runs a version below one, when they last did and
 * from where, newest first; through lib_who_uses() and through a
 * kernel's lib.who_uses on the database the kernel opens
 * ($XDG_STATE_HOME/galley/libs.db). (Who a load is attributed to is
 * req_client_user(); a team kernel's members will plug in there.)
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "kfixture.h"
#include "kernel/lib.h"

static void
record_some(const char *db)
{
	struct lib	*l;
	struct gl_err	 err;
	const struct lib_load v[] = {
		{ 1000, "ann", "/p/a.nb.lua", "stats", "1.0.0", "h1" },
		{ 2000, "ann", "/p/a.nb.lua", "stats", "1.0.0", "h1" },
		{ 3000, "bob", "/p/b.nb.lua", "stats", "1.2.0", "h2" },
		{ 4000, "bob", "/p/c.nb.lua", "stats", "0.9.1", "w3" },
		{ 5000, "ann", "/p/a.nb.lua", "stats", "2.0.0", "h1" },
		{ 6000, "ann", "/p/a.nb.lua", "plot", "1.0.0", "h1" },
	};

	assert_int_equal(lib_new(db, &l, &err), 0);
	assert_int_equal(lib_record(l, v, sizeof v / sizeof v[0], &err), 0);
	lib_free(l);
}

static json_t *
who(const char *db, const char *module, const char *below)
{
	struct lib	*l;
	struct gl_err	 err;
	struct rpc_writer w;
	msgpack_unpacked u;
	json_t		*j;

	assert_int_equal(lib_new(db, &l, &err), 0);
	rpc_writer_init(&w);
	assert_int_equal(lib_who_uses(l, module, below, &w.pk, &err), 0);
	msgpack_unpacked_init(&u);
	assert_int_equal(msgpack_unpack_next(&u, w.sbuf.data, w.sbuf.size,
	    NULL), MSGPACK_UNPACK_SUCCESS);
	j = kc_to_json(&u.data);
	msgpack_unpacked_destroy(&u);
	rpc_writer_fini(&w);
	lib_free(l);
	return j;
}

static void
test_who_uses(void **state)
{
	struct kt	*t = *state;
	char		*db = xasprintf("%s/libs.db", t->root);
	json_t		*j, *rows;

	record_some(db);
	j = who(db, "stats", NULL);
	rows = json_object_get(j, "rows");
	/* One row per user and notebook: ann's a.nb.lua moved on to
	 * 2.0.0. */
	assert_int_equal(json_array_size(rows), 3);
	assert_string_equal(kj_str(json_array_get(rows, 0), "user"), "ann");
	assert_string_equal(kj_str(json_array_get(rows, 0), "version"),
	    "2.0.0");
	assert_int_equal(kj_int(json_array_get(rows, 0), "loads"), 1);
	assert_int_equal(kj_int(json_array_get(rows, 0), "last_ms"), 5000);
	assert_string_equal(kj_str(json_array_get(rows, 2), "user"), "bob");
	assert_string_equal(kj_str(json_array_get(rows, 2), "version"),
	    "1.2.0");
	json_decref(j);
	/* Who still runs something below 1.2.0: only bob's c.nb.lua (on a
	 * worker host); ann does not any more. */
	j = who(db, "stats", "1.2.0");
	rows = json_object_get(j, "rows");
	assert_int_equal(json_array_size(rows), 1);
	assert_string_equal(kj_str(json_array_get(rows, 0), "user"), "bob");
	assert_string_equal(kj_str(json_array_get(rows, 0), "notebook"),
	    "/p/c.nb.lua");
	assert_string_equal(kj_str(json_array_get(rows, 0), "version"),
	    "0.9.1");
	assert_string_equal(kj_str(json_array_get(rows, 0), "host"), "w3");
	json_decref(j);
	/* Two loads of one version in one notebook count. */
	j = who(db, "stats", "2.1.0");
	assert_int_equal(kj_int(json_array_get(json_object_get(j, "rows"), 0),
	    "loads"), 1);
	json_decref(j);
	{
		struct lib	*l;
		struct gl_err	 err;
		const struct lib_load more = { 7000, "ann", "/p/a.nb.lua",
		    "stats", "2.0.0", "h1" };

		assert_int_equal(lib_new(db, &l, &err), 0);
		assert_int_equal(lib_record(l, &more, 1, &err), 0);
		lib_free(l);
	}
	j = who(db, "stats", "2.1.0");
	assert_int_equal(kj_int(json_array_get(json_object_get(j, "rows"), 0),
	    "loads"), 2);
	assert_int_equal(kj_int(json_array_get(json_object_get(j, "rows"), 0),
	    "last_ms"), 7000);
	json_decref(j);
	free(db);
}

static void
test_who_uses_method(void **state)
{
	struct kt	*t = *state;
	char		*st = xasprintf("%s/state", t->root), *db;
	struct kc	*k;
	json_t		*r;

	setenv("XDG_STATE_HOME", st, 1);
	db = xasprintf("%s/galley/libs.db", st);
	mkdir(st, 0700);
	{
		char *d = xasprintf("%s/galley", st);

		mkdir(d, 0700);
		free(d);
	}
	record_some(db);
	assert_true(kt_start(t) > 0);
	k = kt_conn(t);
	r = kc_call(k, "lib.who_uses", json_pack("{s:s, s:s}", "module",
	    "stats", "below", "1.2.0"));
	assert_non_null(r);
	assert_string_equal(kj_str(r, "module"), "stats");
	assert_string_equal(kj_str(r, "below"), "1.2.0");
	assert_int_equal(json_array_size(json_object_get(r, "rows")), 1);
	json_decref(r);
	r = kc_call(k, "lib.who_uses", json_pack("{s:s}", "module", "none"));
	assert_int_equal(json_array_size(json_object_get(r, "rows")), 0);
	json_decref(r);
	assert_null(kc_call(k, "lib.who_uses", json_pack("{s:s, s:s}",
	    "module", "stats", "below", "two")));
	assert_int_equal(k->code, GL_EINVAL);
	assert_null(kc_call(k, "lib.who_uses", NULL));
	assert_int_equal(k->code, GL_EINVAL);
	kc_free(k);
	assert_int_equal(kt_stop(t), 0);
	unsetenv("XDG_STATE_HOME");
	free(db);
	free(st);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_who_uses, kt_setup,
		    kt_teardown),
		cmocka_unit_test_setup_teardown(test_who_uses_method, kt_setup,
		    kt_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

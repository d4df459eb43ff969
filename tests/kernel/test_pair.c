/*
 * test_pair.c - pairing in one session (docs/protocol.md, "Presence and
 * talk"): who joins and leaves, session.members with colours, cursors
 * and what each does, doc.cursor with its mode, session.say heard by
 * everyone, and runs that say who started them (cell.queued,
 * cell.started).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "kfixture.h"
#include "kernel/req.h"

static const char sample[] =
    "-- %% id=\"a\"\n"
    "x = 1\n"
    "-- %% id=\"b\"\n"
    "print(x + 1)\n";

static json_t *
open_nb(struct kc *k, const char *path)
{
	json_t *r = kc_call(k, "session.open", json_pack("{s:s}", "path",
	    path));

	assert_non_null(r);
	return r;
}

/* A call that must succeed, its result dropped. */
static void
ok(json_t *r)
{
	assert_non_null(r);
	json_decref(r);
}

/* The entry of session.members for client id, or NULL. */
static json_t *
member_of(json_t *members, long long id)
{
	size_t	 i;
	json_t	*m;

	json_array_foreach(members, i, m) {
		if (kj_int(m, "client") == id)
			return m;
	}
	return NULL;
}

/* B joins A's session: A hears session.joined with B's name, role and
 * colour; both are listed by session.members; B's cursor in insert mode
 * reads as "editing"; when B leaves, A hears session.left. */
static void
test_join_members_leave(void **state)
{
	struct kt	*t = *state;
	struct kc	*a = kt_conn(t), *b = kt_conn(t);
	char		*nb = kt_write(t->proj, "p.nb.lua", sample);
	json_t		*ra, *rb, *n, *ms, *m;
	const char	*sid;
	long long	 ida, idb;

	ra = open_nb(a, nb);
	sid = kj_str(ra, "session");
	ida = kj_int(ra, "client");
	rb = kc_call(b, "session.attach", json_pack("{s:s}", "session", sid));
	assert_non_null(rb);
	idb = kj_int(rb, "client");
	n = kc_note(a, "session.joined", "client", json_integer(idb),
	    KC_WAIT_MS);
	assert_non_null(n);
	assert_string_equal(kj_str(n, "session"), sid);
	assert_string_equal(kj_str(n, "name"), req_kernel_user());
	assert_string_equal(kj_str(n, "role"), "owner");
	assert_true(kj_int(n, "color") >= 1);
	json_decref(n);
	/* The joiner is not told of itself. */
	assert_int_equal(kc_drain_notes(b, "session.joined"), 0);

	json_decref(kc_call(b, "doc.cursor", json_pack("{s:s, s:s, s:i, "
	    "s:s}", "session", sid, "cell", "b", "offset", 3, "mode",
	    "insert")));
	n = kc_note(a, "doc.cursor", "client", json_integer(idb), KC_WAIT_MS);
	assert_non_null(n);
	assert_string_equal(kj_str(n, "mode"), "insert");
	assert_string_equal(kj_str(n, "cell"), "b");
	json_decref(n);

	ms = kc_call(a, "session.members", json_pack("{s:s}", "session",
	    sid));
	assert_non_null(ms);
	assert_int_equal(json_array_size(ms), 2);
	assert_non_null(m = member_of(ms, ida));
	assert_string_equal(kj_str(m, "activity"), "idle");
	assert_string_equal(kj_str(m, "mode"), "normal");
	assert_true(json_is_null(json_object_get(m, "cell")));
	assert_non_null(m = member_of(ms, idb));
	assert_string_equal(kj_str(m, "name"), req_kernel_user());
	assert_string_equal(kj_str(m, "role"), "owner");
	assert_string_equal(kj_str(m, "cell"), "b");
	assert_int_equal(kj_int(m, "offset"), 3);
	assert_string_equal(kj_str(m, "activity"), "editing b");
	/* Two clients of one member are one person: one colour. */
	assert_int_equal(kj_int(m, "color"),
	    kj_int(member_of(ms, ida), "color"));
	json_decref(ms);

	/* A bad mode is refused; so is a cursor outside the session. */
	assert_null(kc_call(b, "doc.cursor", json_pack("{s:s, s:s, s:i, s:s}",
	    "session", sid, "cell", "b", "offset", 0, "mode", "visual")));
	assert_int_equal(b->code, GL_EINVAL);

	json_decref(kc_call(b, "session.close", json_pack("{s:s}", "session",
	    sid)));
	n = kc_note(a, "session.left", "client", json_integer(idb),
	    KC_WAIT_MS);
	assert_non_null(n);
	assert_string_equal(kj_str(n, "name"), req_kernel_user());
	json_decref(n);
	ms = kc_call(a, "session.members", json_pack("{s:s}", "session",
	    sid));
	assert_int_equal(json_array_size(ms), 1);
	json_decref(ms);

	/* A connection that goes away leaves too. */
	json_decref(kc_call(b, "session.attach", json_pack("{s:s}", "session",
	    sid)));
	json_decref(kc_note(a, "session.joined", NULL, NULL, KC_WAIT_MS));
	kc_free(b);
	n = kc_note(a, "session.left", NULL, NULL, KC_WAIT_MS);
	assert_non_null(n);
	json_decref(n);

	json_decref(ra);
	json_decref(rb);
	kc_free(a);
	free(nb);
}

/* session.say reaches every client of the session, the speaker too,
 * with the speaker's name and a time; an empty or oversized message is
 * refused. */
static void
test_say(void **state)
{
	struct kt	*t = *state;
	struct kc	*a = kt_conn(t), *b = kt_conn(t);
	char		*nb = kt_write(t->proj, "s.nb.lua", sample);
	json_t		*ra, *n;
	const char	*sid;
	char		 big[3000];

	ra = open_nb(a, nb);
	sid = kj_str(ra, "session");
	json_decref(open_nb(b, nb));
	ok(kc_call(a, "session.say", json_pack("{s:s, s:s}",
	    "session", sid, "text", "shall I run b?")));
	for (int i = 0; i < 2; i++) {
		n = kc_note(i == 0 ? a : b, "session.said", NULL, NULL,
		    KC_WAIT_MS);
		assert_non_null(n);
		assert_string_equal(kj_str(n, "text"), "shall I run b?");
		assert_string_equal(kj_str(n, "name"), req_kernel_user());
		assert_int_equal(kj_int(n, "client"), kj_int(ra, "client"));
		assert_true(kj_int(n, "time") > 1600000000000LL);
		json_decref(n);
	}
	assert_null(kc_call(a, "session.say", json_pack("{s:s, s:s}",
	    "session", sid, "text", "")));
	assert_int_equal(a->code, GL_EINVAL);
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	assert_null(kc_call(a, "session.say", json_pack("{s:s, s:s}",
	    "session", sid, "text", big)));
	assert_int_equal(a->code, GL_EINVAL);
	assert_non_null(strstr(a->msg, "at most 2000 bytes"));
	json_decref(ra);
	kc_free(a);
	kc_free(b);
	free(nb);
}

/* A run says who asked for it: the others get cell.queued with `by`,
 * everyone cell.started with `by`, and session.members shows the runner
 * as "running CELL" while it runs (the cell spins until interrupted). */
static void
test_run_by(void **state)
{
	struct kt	*t = *state;
	struct kc	*a = kt_conn(t), *b = kt_conn(t);
	char		*nb = kt_write(t->proj, "r.nb.lua",
			    "-- %% id=\"slow\"\n"
			    "local t = os.clock()\n"
			    "while os.clock() - t < 20 do end\n");
	json_t		*ra, *rb, *n, *ms, *m;
	const char	*sid;

	ra = open_nb(a, nb);
	sid = kj_str(ra, "session");
	rb = open_nb(b, nb);
	ok(kc_call(b, "cell.run", json_pack("{s:s, s:[s]}",
	    "session", sid, "cells", "slow")));
	n = kc_note(a, "cell.queued", NULL, NULL, KC_WAIT_MS);
	assert_non_null(n);
	assert_string_equal(kj_str(n, "cell"), "slow");
	assert_string_equal(kj_str(n, "by"), req_kernel_user());
	assert_int_equal(kj_int(n, "client"), kj_int(rb, "client"));
	json_decref(n);
	assert_int_equal(kc_drain_notes(b, "cell.queued"), 0);
	n = kc_note(a, "cell.started", NULL, NULL, KC_WAIT_MS);
	assert_non_null(n);
	assert_string_equal(kj_str(n, "by"), req_kernel_user());
	assert_int_equal(kj_int(n, "client"), kj_int(rb, "client"));
	json_decref(n);
	ms = kc_call(a, "session.members", json_pack("{s:s}", "session",
	    sid));
	assert_non_null(m = member_of(ms, kj_int(rb, "client")));
	assert_string_equal(kj_str(m, "activity"), "running slow");
	json_decref(ms);
	/* The cell would spin 20 s: stop it. */
	ok(kc_call(a, "cell.interrupt", json_pack("{s:s}",
	    "session", sid)));
	n = kc_note(a, "cell.done", NULL, NULL, KC_WAIT_MS);
	assert_non_null(n);
	assert_string_equal(kj_str(n, "status"), "interrupted");
	json_decref(n);
	json_decref(ra);
	json_decref(rb);
	kc_free(a);
	kc_free(b);
	free(nb);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_join_members_leave,
		    kt_setup_started, kt_teardown_stopped),
		cmocka_unit_test_setup_teardown(test_say,
		    kt_setup_started, kt_teardown_stopped),
		cmocka_unit_test_setup_teardown(test_run_by,
		    kt_setup_started, kt_teardown_stopped),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

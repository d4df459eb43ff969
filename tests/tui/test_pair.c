/*
 * test_pair.c - the people of a shared session as the TUI keeps them
 * (tui/pair.c): joining, moving, leaving, running, what the status line
 * is given, the :members text, and the :messages scrollback and its
 * bound.
 */
#include "tui_fixture.h"

#include "tui/pair.h"

static struct event_peer
peer(uint64_t client, const char *name, const char *role, int color)
{
	struct event_peer e;

	memset(&e, 0, sizeof e);
	e.client = client;
	snprintf(e.name, sizeof e.name, "%s", name);
	snprintf(e.role, sizeof e.role, "%s", role);
	e.color = color;
	return e;
}

static void
test_roles(void **state)
{
	(void)state;
	assert_int_equal(pair_role_parse("viewer"), PAIR_ROLE_VIEWER);
	assert_int_equal(pair_role_parse("editor"), PAIR_ROLE_EDITOR);
	assert_int_equal(pair_role_parse("owner"), PAIR_ROLE_OWNER);
	assert_int_equal(pair_role_parse("admin"), PAIR_ROLE_NONE);
	assert_int_equal(pair_role_parse(NULL), PAIR_ROLE_NONE);
	assert_string_equal(pair_role_name(PAIR_ROLE_EDITOR), "editor");
	assert_string_equal(pair_role_name(PAIR_ROLE_NONE), "");
}

static void
test_people_come_move_and_go(void **state)
{
	struct pair	 p;
	struct event_peer e;
	struct pair_peer *q;
	struct view_person vp[4];
	char		 buf[64], name[EVENT_NAME_MAX + 1];

	(void)state;
	pair_init(&p);
	p.self = 1;
	/* Ourselves and client 0 are nobody to list. */
	e = peer(1, "me", "owner", 0);
	assert_null(pair_seen(&p, &e));
	e = peer(0, "kernel", "", -1);
	assert_null(pair_seen(&p, &e));
	assert_int_equal(p.n, 0);

	e = peer(2, "alice", "editor", 1);
	q = pair_seen(&p, &e);
	assert_non_null(q);
	assert_int_equal(q->role, PAIR_ROLE_EDITOR);
	pair_activity(q, buf, sizeof buf);
	assert_string_equal(buf, "idle");
	/* A cursor of someone not seen yet adds them, named by their
	 * number until a name comes. */
	e = peer(3, "", "", -1);
	e.offset = 4;
	e.insert = true;
	q = pair_cursor(&p, &e, "b");
	assert_string_equal(q->name, "#3");
	assert_string_equal(q->cell, "b");
	assert_true(q->insert);
	pair_activity(q, buf, sizeof buf);
	assert_string_equal(buf, "editing b");
	e = peer(3, "bob", "viewer", 2);
	assert_ptr_equal(pair_seen(&p, &e), q);
	assert_string_equal(q->name, "bob");
	assert_string_equal(q->cell, "b");	/* kept */
	assert_int_equal(p.n, 2);

	/* Alice moves to cell a in normal mode, then runs c. */
	e = peer(2, "alice", "", -1);
	q = pair_cursor(&p, &e, "a");
	assert_int_equal(q->color, 1);	/* kept when not said */
	pair_activity(q, buf, sizeof buf);
	assert_string_equal(buf, "at a");
	pair_running(&p, "c", "ALICE");
	pair_activity(q, buf, sizeof buf);
	assert_string_equal(buf, "running c");
	assert_int_equal(pair_people(&p, vp, 4), 2);
	assert_string_equal(vp[0].name, "alice");
	assert_int_equal(vp[0].doing, VIEW_DOING_RUNNING);
	assert_string_equal(vp[0].cell, "c");
	assert_int_equal(vp[0].color, 1);
	assert_string_equal(vp[1].name, "bob");
	assert_int_equal(vp[1].doing, VIEW_DOING_EDITING);
	/* The run ends; a cursor with no cell is idle. */
	pair_running(&p, "c", NULL);
	pair_activity(q, buf, sizeof buf);
	assert_string_equal(buf, "at a");
	q = pair_cursor(&p, &e, NULL);
	assert_false(q->insert);
	pair_activity(q, buf, sizeof buf);
	assert_string_equal(buf, "idle");

	assert_ptr_equal(pair_find_name(&p, "Bob"), pair_find(&p, 3));
	/* Member names are the kernel's, where case counts: "Bob" is
	 * someone else once there is one, and a run by bob is bob's. */
	e = peer(7, "Bob", "viewer", 3);
	assert_non_null(pair_seen(&p, &e));
	assert_ptr_equal(pair_find_name(&p, "Bob"), pair_find(&p, 7));
	assert_ptr_equal(pair_find_name(&p, "bob"), pair_find(&p, 3));
	pair_running(&p, "z", "bob");
	assert_string_equal(pair_find(&p, 3)->running, "z");
	assert_string_equal(pair_find(&p, 7)->running, "");
	pair_running(&p, "z", NULL);
	assert_true(pair_left(&p, 7, name));
	assert_true(pair_left(&p, 2, name));
	assert_string_equal(name, "alice");
	assert_false(pair_left(&p, 2, name));
	assert_int_equal(p.n, 1);
	assert_string_equal(p.peers[0].name, "bob");
	pair_clear(&p);
	assert_int_equal(p.n, 0);
	pair_fini(&p);
}

static void
test_members_text(void **state)
{
	struct event_member m[3];
	struct gl_buf	 b;

	(void)state;
	memset(m, 0, sizeof m);
	m[0].p = peer(1, "carol", "owner", 0);
	snprintf(m[0].activity, sizeof m[0].activity, "editing a");
	m[0].connected = -1;
	m[1].p = peer(2, "alice", "editor", 1);
	snprintf(m[1].cell, sizeof m[1].cell, "b");
	m[1].connected = -1;
	m[2].p = peer(0, "guest-1a2b", "viewer", -1);
	m[2].connected = 0;
	snprintf(m[2].expires, sizeof m[2].expires, "2026-12-01 18:00");
	gl_buf_init(&b);
	pair_members_text(m, 3, 1, &b);
	assert_string_equal(b.data,
	    "carol (you)  owner   editing a\n"
	    "alice        editor  at b\n"
	    "guest-1a2b   viewer  idle  (not connected)  expires "
	    "2026-12-01 18:00\n");
	gl_buf_fini(&b);
}

static void
test_messages_are_kept_and_bounded(void **state)
{
	struct pair	 p;
	struct gl_buf	 b;
	const char	*last;

	(void)state;
	setenv("TZ", "UTC", 1);
	pair_init(&p);
	gl_buf_init(&b);
	pair_log_text(&p, &b);
	assert_int_equal(b.len, 0);
	/* 2023-11-14 22:13:20 UTC */
	pair_log(&p, 1700000000000, "alice: look\nat b");
	pair_log_text(&p, &b);
	assert_string_equal(b.data, "22:13 alice: look at b\n");
	for (int i = 0; i < PAIR_LOG_MAX + 10; i++)
		pair_log(&p, 1700000000000, "line %d", i);
	assert_int_equal(pair_log_count(&p), PAIR_LOG_MAX);
	gl_buf_reset(&b);
	pair_log_text(&p, &b);
	/* The oldest went first. */
	assert_true(strncmp(b.data, "22:13 line 10\n", 14) == 0);
	last = b.data + b.len - strlen("22:13 line 509\n");
	assert_string_equal(last, "22:13 line 509\n");
	gl_buf_fini(&b);
	pair_fini(&p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roles),
		cmocka_unit_test(test_people_come_move_and_go),
		cmocka_unit_test(test_members_text),
		cmocka_unit_test(test_messages_are_kept_and_bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_view_git.c - the notebook view's git marks, as pictures: a cell
 * added, modified or moved since HEAD gets a mark in the gutter of its
 * header, which stays with the cell when cells move; the status line
 * says how the notebook stands against HEAD.
 */
#include "tui_fixture.h"

static int
setup(void **state)
{
	return fx_setup_size(state, 9, 40, NULL);
}

static void
test_gutter_marks(void **state)
{
	struct fixture	*f = *state;
	struct ot_op	 op = { 0 };

	fx_load(f, "-- %% id=\"a\"\nx = 1\n\n-- %% id=\"b\"\ny = 2\n\n"
	    "-- %% id=\"c\"\nz = 3\n");
	view_set_git(f->view, fx_index(f, "a"), VIEW_GIT_MODIFIED);
	view_set_git(f->view, fx_index(f, "c"), VIEW_GIT_ADDED);
	view_set_cursor(f->view, 1);
	view_render(f->view, f->doc, NULL, 0, &f->grid);
	assert_grid(&f->grid,
	    "| {chg:~}{hdr:[a]}|\n"
	    "|  x = {num:1}|\n"
	    "|{bar:▎} {cur:[b]}|\n"
	    "|{bar:▎} y = {num:2}|\n"
	    "| {add:+}{hdr:[c]}|\n"
	    "|  z = {num:3}|\n"
	    "||\n||\n||\n");
	/* The mark follows its cell. */
	op.kind = OT_MOVE_CELL;
	snprintf(op.id, sizeof op.id, "c");
	op.from = 2;
	op.index = 0;
	assert_int_equal(ot_apply(f->doc, &op, NULL), 0);
	view_apply_op(f->view, f->doc, &op);
	assert_int_equal(view_get_git(f->view, 0), VIEW_GIT_ADDED);
	assert_int_equal(view_get_git(f->view, 1), VIEW_GIT_MODIFIED);
	view_set_git(f->view, 2, VIEW_GIT_MOVED);
	view_render(f->view, f->doc, NULL, 0, &f->grid);
	assert_grid(&f->grid,
	    "| {add:+}{hdr:[c]}|\n"
	    "|  z = {num:3}|\n"
	    "| {chg:~}{hdr:[a]}|\n"
	    "|  x = {num:1}|\n"
	    "|{bar:▎}{chg:>}{cur:[b]}|\n"
	    "|{bar:▎} y = {num:2}|\n"
	    "||\n||\n||\n");
	view_git_clear(f->view);
	assert_int_equal(view_get_git(f->view, 0), VIEW_GIT_NONE);
}

static void
test_status_line_git(void **state)
{
	struct fixture		*f = *state;
	struct view_status	 st = { .mode = "NORMAL", .path = "a.nb.lua",
				    .git = "main +1 ~2", .kernel = "local",
				    .runtime = "idle", .members = 1 };

	view_grid_resize(&f->grid, 4, 70);
	fx_load(f, "-- %% id=\"a\"\nx\n");
	view_render(f->view, f->doc, &st, 0, &f->grid);
	assert_grid(&f->grid,
	    "|{bar:▎} {cur:[a]}|\n"
	    "|{bar:▎} x|\n"
	    "|{mode: NORMAL }{st: a.nb.lua  git main +1 ~2  kernel local  runtime idle     1/1 }|\n"
	    "||\n");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_gutter_marks, setup,
		    fx_teardown),
		cmocka_unit_test_setup_teardown(test_status_line_git, setup,
		    fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

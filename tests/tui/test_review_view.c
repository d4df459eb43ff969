/*
 * test_review_view.c - the review mode's model and its painting, as
 * pictures: a review.open answer (written here as JSON, packed as the
 * kernel packs it) read into rows with each thread after its line or
 * among the other threads; the title and the summary of verdicts;
 * moving to changes and threads; what a comment is on (a line, a cell,
 * a selection of lines, never a removed line); comments that wrap; the
 * suggestion editor.
 */
#include "tui_fixture.h"

#include <jansson.h>

#include "core/rpc.h"
#include "tui/review.h"

/* A review.open answer from JSON text, read into *rv. */
struct answer {
	msgpack_sbuffer		 sb;
	msgpack_unpacked	 up;
};

static void
load(struct rview *rv, struct answer *a, const char *json)
{
	json_error_t	 je;
	json_t		*j = json_loads(json, 0, &je);
	msgpack_packer	 pk;
	struct gl_err	 err = { 0 };

	if (j == NULL)
		fail_msg("bad JSON: %s (line %d)", je.text, je.line);
	msgpack_sbuffer_init(&a->sb);
	msgpack_packer_init(&pk, &a->sb, msgpack_sbuffer_write);
	rpc_pack_json(&pk, j);
	json_decref(j);
	msgpack_unpacked_init(&a->up);
	assert_int_equal(msgpack_unpack_next(&a->up, a->sb.data, a->sb.size,
	    NULL), MSGPACK_UNPACK_SUCCESS);
	if (rview_parse(&a->up.data, rv, &err) != 0)
		fail_msg("rview_parse: %s", err.msg);
}

static void
answer_fini(struct answer *a)
{
	msgpack_unpacked_destroy(&a->up);
	msgpack_sbuffer_destroy(&a->sb);
}

/* assert_grid() with the whole picture printed when it differs (cmocka
 * cuts long messages). */
#define assert_pic(g, want) do {					\
	char	*got_ = view_grid_picture(g);				\
	char	*want_ = fx_normalize(want);				\
	if (strcmp(got_, want_) != 0) {					\
		fprintf(stderr, "got:\n%s\nwant:\n%s\n", got_, want_);	\
		free(got_);						\
		free(want_);						\
		fail();							\
	}								\
	free(got_);							\
	free(want_);							\
} while (0)

static int
setup_fx(void **state)
{
	return fx_setup_size(state, 22, 72, NULL);
}

#define C40	"0000000000000000000000000000000000000000"

static const char sample[] =
    "{\"review\": {\"id\": \"r1abcdef\", \"title\": \"Line plot\","
    " \"author\": \"Ann <ann@x.org>\", \"status\": \"changes-requested\","
    " \"base\": \"main\", \"head\": \"feature\", \"reviewers\": [\"bob\"],"
    " \"verdicts\": [{\"author\": \"Carol <carol@x.org>\","
    "   \"verdict\": \"request-changes\"}],"
    " \"threads\": ["
    "  {\"id\": \"t1aaaaaa\", \"author\": \"Bob <bob@x.org>\","
    "   \"path\": \"trips.nb.lua\", \"cell\": \"plot\", \"lines\": [2, 2],"
    "   \"commit\": \"36be25b" C40 "\", \"text\": \"plot.line(by.day, by.fare)\","
    "   \"body\": \"why a line?\", \"suggestion\": null, \"resolved\": false,"
    "   \"replies\": [{\"author\": \"Ann <ann@x.org>\","
    "     \"body\": \"it reads better\"}],"
    "   \"position\": {\"status\": \"current\", \"lines\": [2, 2],"
    "     \"moved\": false}},"
    "  {\"id\": \"t2bbbbbb\", \"author\": \"Bob <bob@x.org>\","
    "   \"path\": \"trips.nb.lua\", \"cell\": \"load\", \"lines\": [1, 1],"
    "   \"commit\": \"1111111" C40 "\", \"text\": \"local t = read()\","
    "   \"body\": \"old\", \"resolved\": true, \"replies\": [],"
    "   \"position\": {\"status\": \"outdated\", \"moved\": false}}]},"
    " \"base\": \"main\", \"head\": \"feature\","
    " \"base_commit\": \"7169745" C40 "\", \"head_commit\": \"36be25b" C40 "\","
    " \"warnings\": [],"
    " \"files\": [{\"old_path\": \"trips.nb.lua\","
    "  \"new_path\": \"trips.nb.lua\", \"status\": \"modified\","
    "  \"format\": \"notebook\", \"stats\": {\"cells_added\": 1,"
    "  \"cells_modified\": 1, \"lines_added\": 2, \"lines_removed\": 1},"
    "  \"cells\": ["
    "   {\"status\": \"unchanged\", \"count\": 2},"
    "   {\"status\": \"modified\", \"id\": \"plot\", \"kind\": \"code\","
    "    \"old_index\": 2, \"new_index\": 2, \"moved\": false,"
    "    \"hunks\": [{\"old_start\": 1, \"old_lines\": 2, \"new_start\": 1,"
    "     \"new_lines\": 2, \"lines\": ["
    "      {\"op\": \" \", \"text\": \"local by = t:groupby(day)\"},"
    "      {\"op\": \"-\", \"text\": \"plot.bar(by.day, by.fare)\","
    "       \"words\": [[5, 3]]},"
    "      {\"op\": \"+\", \"text\": \"plot.line(by.day, by.fare)\","
    "       \"words\": [[5, 4]]}]}]},"
    "   {\"status\": \"added\", \"id\": \"more\", \"kind\": \"code\","
    "    \"old_index\": null, \"new_index\": 3, \"moved\": false,"
    "    \"source\": \"print(#t)\\nprint(#by)\"}],"
    "  \"metadata\": []}]}";

static void
test_review_rows(void **state)
{
	struct fixture		*f = *state;
	struct rview		 rv;
	struct answer		 a;
	struct rview_screen	 s = { .mode = "REVIEW" };

	view_grid_resize(&f->grid, 22, 72);
	load(&rv, &a, sample);
	rview_render(&rv, &s, &f->grid);
	assert_pic(&f->grid,
	    "|{cur: review r1abcdef: Line plot   main..feature (7169745..36be25b)          }|\n"
	    "| {fail:changes-requested} · 1 open thread of 2 · bob: no verdict yet · Carol: c|\n"
	    "|{bar:▎}{h1:trips.nb.lua (notebook: 1 added, 1 modified; +2 -1 lines)}|\n"
	    "|       {fold:… 2 unchanged cells}|\n"
	    "|  {chg:~} {hdr:[plot] code: modified}|\n"
	    "|       {dim:@@ -1,2 +1,2 @@}|\n"
	    "|  {dim:   1}  local by = t:groupby(day)|\n"
	    "|  {dim:   2} {del:-plot.}{wdel:bar}{del:(by.day, by.fare)}|\n"
	    "|  {dim:   2} {add:+plot.}{wadd:line}{add:(by.day, by.fare)}|\n"
	    "|  {thr:┃} {thr:[t1aaaaaa] open · Bob · line 2}|\n"
	    "|  {thr:┃} why a line?|\n"
	    "|  {thr:┃} Ann: it reads better|\n"
	    "|  {add:+} {hdr:[more] code: added}|\n"
	    "|  {dim:   1} {add:+print(#t)}|\n"
	    "|  {dim:   2} {add:+print(#by)}|\n"
	    "|  {h2:other threads (their lines are not in this diff): 1}|\n"
	    "|  {thr:┃} {stale:[t2bbbbbb] resolved · Bob · trips.nb.lua cell load · line 1 · outdat}|\n"
	    "|  {thr:┃} {com:> local t = read()}|\n"
	    "|  {thr:┃} {stale:old}|\n"
	    "||\n"
	    "|{mode: REVIEW }{st: trips.nb.lua                                              1/17 }|\n"
	    "|{dim:]c ]t next change, thread  V select  c comment  s suggest  r reply  x re}|\n");
	rview_fini(&rv);
	answer_fini(&a);
}

static void
test_moves_and_targets(void **state)
{
	struct rview		 rv;
	struct answer		 a;
	struct rview_target	 t;
	struct gl_err		 err = { 0 };
	char			*text;

	(void)state;
	load(&rv, &a, sample);
	rview_layout(&rv, 72);
	assert_int_equal(rv.nrows, 17);
	/* ]c: a changed cell, the first -/+ line after context, the next
	 * changed cell; the added cell's lines are part of it. */
	assert_true(rview_next(&rv, RVIEW_TO_CHANGE, 1));
	assert_int_equal(rv.cur, 2);
	assert_true(rview_next(&rv, RVIEW_TO_CHANGE, 1));
	assert_int_equal(rv.cur, 5);
	assert_true(rview_next(&rv, RVIEW_TO_CHANGE, 1));
	assert_int_equal(rv.cur, 10);
	assert_false(rview_next(&rv, RVIEW_TO_CHANGE, 1));
	assert_int_equal(rv.cur, 10);
	assert_true(rview_next(&rv, RVIEW_TO_CHANGE, -1));
	assert_int_equal(rv.cur, 5);
	/* ]t, [t */
	rview_move_to(&rv, 0);
	assert_true(rview_next(&rv, RVIEW_TO_THREAD, 1));
	assert_int_equal(rv.cur, 7);
	assert_true(rview_next(&rv, RVIEW_TO_THREAD, 1));
	assert_int_equal(rv.cur, 14);
	assert_true(rview_next(&rv, RVIEW_TO_THREAD, -1));
	assert_int_equal(rv.cur, 7);
	assert_true(rview_goto_thread(&rv, "t2bbbbbb"));
	assert_int_equal(rv.cur, 14);

	/* What a comment would be on. */
	rview_move_to(&rv, 6);
	assert_true(rview_target(&rv, &t, &err));
	assert_string_equal(t.path, "trips.nb.lua");
	assert_string_equal(t.cell, "plot");
	assert_int_equal(t.line0, 2);
	assert_int_equal(t.line1, 2);
	rview_move_to(&rv, 5);
	assert_false(rview_target(&rv, &t, &err));
	assert_non_null(strstr(err.msg, "removed line"));
	rview_move_to(&rv, 2);
	assert_true(rview_target(&rv, &t, &err));
	assert_string_equal(t.cell, "plot");
	assert_int_equal(t.line0, 0);
	rview_move_to(&rv, 1);
	assert_false(rview_target(&rv, &t, &err));
	rview_move_to(&rv, 8);
	assert_false(rview_target(&rv, &t, &err));
	assert_int_equal(t.thread, 0);
	assert_non_null(strstr(err.msg, "on a thread"));

	/* A selection of lines of one cell, and their text. */
	rview_move_to(&rv, 4);
	rview_select(&rv, true);
	rview_move(&rv, 2);
	assert_true(rview_target(&rv, &t, &err));
	assert_int_equal(t.line0, 1);
	assert_int_equal(t.line1, 2);
	text = rview_lines_text(&rv, &t, &err);
	assert_string_equal(text, "local by = t:groupby(day)\n"
	    "plot.line(by.day, by.fare)");
	free(text);
	rview_move_to(&rv, 12);
	assert_false(rview_target(&rv, &t, &err));
	assert_non_null(strstr(err.msg, "spans cells"));
	rview_select(&rv, false);
	rview_move_to(&rv, 2);
	assert_true(rview_target(&rv, &t, &err));
	assert_null(rview_lines_text(&rv, &t, &err));
	assert_non_null(strstr(err.msg, "select them"));
	rview_fini(&rv);
	answer_fini(&a);
}

/* No review yet: the range's changes of a text file; the cursor's rows
 * selected; a long comment wraps. */
static const char plain[] =
    "{\"review\": {\"id\": \"r2\", \"title\": \"Docs\", \"status\": \"approved\","
    " \"reviewers\": [], \"verdicts\": [{\"author\": \"Bob <b@x>\","
    "   \"verdict\": \"approve\"}],"
    " \"threads\": [{\"id\": \"t3\", \"author\": \"Bob <b@x>\","
    "  \"path\": \"README\", \"cell\": null, \"lines\": [2, 2],"
    "  \"commit\": \"" C40 "\", \"text\": \"two\", \"body\":"
    "  \"a comment long enough to wrap at the edge of the screen\","
    "  \"suggestion\": \"TWO\", \"resolved\": false, \"replies\": [],"
    "  \"position\": {\"status\": \"current\", \"lines\": [2, 2]}}]},"
    " \"base\": \"main\", \"head\": \"docs\", \"base_commit\": \"" C40 "\","
    " \"head_commit\": \"" C40 "\", \"files\": [{\"old_path\": \"README\","
    " \"new_path\": \"README\", \"status\": \"modified\", \"format\": \"text\","
    " \"stats\": {\"lines_added\": 1}, \"hunks\": [{\"old_start\": 1,"
    " \"old_lines\": 1, \"new_start\": 1, \"new_lines\": 2, \"lines\": ["
    " {\"op\": \" \", \"text\": \"one\"}, {\"op\": \"+\", \"text\": \"two\"}]}]}]}";

static void
test_text_file_wrap_and_selection(void **state)
{
	struct fixture		*f = *state;
	struct rview		 rv;
	struct answer		 a;
	struct rview_screen	 s = { .mode = "REVIEW", .msg = "hello" };
	struct rview_target	 t;
	struct gl_err		 err = { 0 };

	view_grid_resize(&f->grid, 14, 36);
	load(&rv, &a, plain);
	rview_layout(&rv, 36);
	rview_move_to(&rv, 2);
	rview_select(&rv, true);
	rview_move(&rv, 1);
	assert_true(rview_target(&rv, &t, &err));
	assert_null(t.cell);
	assert_int_equal(t.line0, 1);
	assert_int_equal(t.line1, 2);
	rview_render(&rv, &s, &f->grid);
	assert_pic(&f->grid,
	    "|{cur: review r2: Docs   main..docs (00000}|\n"
	    "| {ok:approved} · 1 open thread of 1 · Bob|\n"
	    "| {h1:README (text: +1 -0 lines)}|\n"
	    "|       {dim:@@ -1,1 +1,2 @@}|\n"
	    "| {+sel: }{dim+sel:   1}{+sel:  one}|\n"
	    "|{bar:▎}{+sel: }{dim+sel:   2}{+sel: }{add+sel:+two}|\n"
	    "|  {thr:┃} {thr:[t3] open · Bob · line 2}|\n"
	    "|  {thr:┃} a comment long enough to wrap|\n"
	    "|  {thr:┃} at the edge of the screen|\n"
	    "|  {thr:┃} suggested (a applies it):|\n"
	    "|  {thr:┃} {add:+ TWO}|\n"
	    "||\n"
	    "|{mode: REVIEW }{st: README · lines 1-2     4/9 }|\n"
	    "|{msg:hello}|\n");
	rview_fini(&rv);
	answer_fini(&a);
}

static const char none[] =
    "{\"review\": null, \"base\": \"main\", \"head\": \"feature\","
    " \"base_commit\": \"" C40 "\", \"head_commit\": \"" C40 "\", \"files\": []}";

static void
test_no_review_and_editor(void **state)
{
	struct fixture		*f = *state;
	struct rview		 rv;
	struct answer		 a;
	const char		*draft = "a = 1\nb = 2";
	struct rview_screen	 s = { .mode = "SUGGEST", .edit = draft,
				    .edit_len = strlen(draft), .edit_cur = 8,
				    .edit_title = " suggestion for line 2" };

	view_grid_resize(&f->grid, 9, 50);
	load(&rv, &a, none);
	rview_render(&rv, &s, &f->grid);
	assert_pic(&f->grid,
	    "|{cur: changes main..feature (0000000..0000000)         }|\n"
	    "| {dim:no review yet: a comment or a verdict starts one}|\n"
	    "|{bar:▎} {h2:(no changes in this range)}|\n"
	    "||\n"
	    "|{st: suggestion for line 2                            }|\n"
	    "|  {add:+} a = 1|\n"
	    "|  {add:+} b ^= 2|\n"
	    "|{mode: SUGGEST }{st:                                     1/1 }|\n"
	    "|{dim:type the lines as they should be; Esc: done (then }|\n");
	rview_fini(&rv);
	answer_fini(&a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_review_rows, setup_fx,
		    fx_teardown),
		cmocka_unit_test(test_moves_and_targets),
		cmocka_unit_test_setup_teardown(
		    test_text_file_wrap_and_selection, setup_fx, fx_teardown),
		cmocka_unit_test_setup_teardown(test_no_review_and_editor,
		    setup_fx, fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

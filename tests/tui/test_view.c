/*
 * test_view.c - the pure screen model, tested as pictures (STYLE example
 * E): '|' ends a row, '^' is the cursor, {name:...} a style.
 */
#include "tui_fixture.h"
#include "tui/search.h"

#include <time.h>

static int
setup(void **state)
{
	return fx_setup_size(state, 8, 30, NULL);
}

static void
add_text(struct fixture *f, const char *id, enum view_out_kind kind,
    const char *text)
{
	view_out_add(f->view, fx_index(f, id),
	    view_output_new(kind, text, strlen(text)));
}

static void
test_code_cell_is_highlighted(void **state)
{
	struct fixture	*f = *state;

	fx_load(f, "-- %% id=\"a\"\nlocal x = 6 * 7 -- answer\nprint(\"hi\")\n");
	view_render(f->view, f->doc, NULL, 0, &f->grid);
	assert_grid(&f->grid,
	    "|{bar:▎} {cur:[a]}|\n"
	    "|{bar:▎} {kw:local} x = {num:6} * {num:7} {com:-- answer}|\n"
	    "|{bar:▎} print({str:\"hi\"})|\n"
	    "||\n||\n||\n||\n||\n");
}

static void
test_stale_output_is_dimmed(void **state)
{
	struct fixture	*f = *state;

	fx_load(f, "-- %% id=\"a\"\nx = 6 * 7\n\n-- %% id=\"b\"\ny = 1\n");
	add_text(f, "a", VIEW_OUT_RESULT, "42");
	view_set_stale(f->view, fx_index(f, "a"), true);
	view_set_cursor(f->view, 1);
	view_render(f->view, f->doc, NULL, 0, &f->grid);
	assert_grid(&f->grid,
	    "|  {hdr:[a]}                   {stale:stale}|\n"
	    "|  x = {num:6} * {num:7}|\n"
	    "|    {stale:42}|\n"
	    "|{bar:▎} {cur:[b]}|\n"
	    "|{bar:▎} y = {num:1}|\n"
	    "||\n||\n||\n");
}

/* A cell a merge left with both texts says so on its header, beside
 * its other marks. */
static void
test_conflict_cell_is_marked(void **state)
{
	struct fixture	*f = *state;

	fx_load(f, "-- %% id=\"a\" conflict=true\n<<<<<<< on disk\nx = 2\n"
	    "=======\nx = 1\n>>>>>>> unsaved edits\n");
	view_set_stale(f->view, fx_index(f, "a"), true);
	view_render(f->view, f->doc, NULL, 0, &f->grid);
	assert_grid(&f->grid,
	    "|{bar:▎} {cur:[a]}         {fail:conflict}  {stale:stale}|\n"
	    "|{bar:▎} <<<<<<< on disk|\n"
	    "|{bar:▎} x = {num:2}|\n"
	    "|{bar:▎} =======|\n"
	    "|{bar:▎} x = {num:1}|\n"
	    "|{bar:▎} >>>>>>> unsaved edits|\n"
	    "||\n||\n");
}

/* :set number: each cell's number in a gutter as wide as the largest
 * number; everything else moves right by that much. */
static void
test_number_gutter(void **state)
{
	struct fixture	*f = *state;
	struct view_opts o = { .number = true };
	struct gl_buf	 b;

	gl_buf_init(&b);
	for (int i = 1; i <= 10; i++)
		gl_buf_addf(&b, "-- %%%% id=\"c%d\"\nx = %d\n\n", i, i);
	fx_load(f, b.data);
	gl_buf_fini(&b);
	view_set_opts(f->view, &o);
	add_text(f, "c9", VIEW_OUT_RESULT, "9");
	view_set_cursor(f->view, 8);
	view_render(f->view, f->doc, NULL, 0, &f->grid);
	assert_grid(&f->grid,
	    "|     x = {num:7}|\n"
	    "|   {dim:8} {hdr:[c8]}|\n"
	    "|     x = {num:8}|\n"
	    "|{bar:▎}  {cur:9} {cur:[c9]}|\n"
	    "|{bar:▎}    x = {num:9}|\n"
	    "|{bar:▎}      {res:9}|\n"
	    "||\n||\n");
	view_scroll(f->view, f->doc, 2);
	view_render(f->view, f->doc, NULL, 0, &f->grid);
	assert_grid(&f->grid,
	    "|     x = {num:8}|\n"
	    "|{bar:▎}  {cur:9} {cur:[c9]}|\n"
	    "|{bar:▎}    x = {num:9}|\n"
	    "|{bar:▎}      {res:9}|\n"
	    "|  {dim:10} {hdr:[c10]}|\n"
	    "|     x = {num:10}|\n"
	    "||\n||\n");
	/* Off again: the usual layout. */
	o.number = false;
	view_set_opts(f->view, &o);
	view_render(f->view, f->doc, NULL, 0, &f->grid);
	assert_grid(&f->grid,
	    "|  x = {num:8}|\n"
	    "|{bar:▎} {cur:[c9]}|\n"
	    "|{bar:▎} x = {num:9}|\n"
	    "|{bar:▎}   {res:9}|\n"
	    "|  {hdr:[c10]}|\n"
	    "|  x = {num:10}|\n"
	    "||\n||\n");
}

/* Search: every match highlighted (in outputs only when asked), the
 * current one apart, and the view scrolled to show it. */
static void
test_search_matches_are_highlighted(void **state)
{
	struct fixture	*f = *state;
	struct search	 s;
	struct gl_err	 err = { 0 };
	struct gl_buf	 b;

	fx_load(f, "-- %% id=\"a\"\nx = 1\nprint(x)\n\n"
	    "-- %% id=\"b\"\ny = x\n");
	add_text(f, "a", VIEW_OUT_STREAM, "x is 1\n");
	assert_int_equal(search_compile(&s, "x", false, false, &err), 0);
	view_set_search(f->view, &s, false);
	view_set_match(f->view, 0, 0, 12, 1);
	view_render(f->view, f->doc, NULL, 0, &f->grid);
	assert_grid(&f->grid,
	    "|{bar:▎} {cur:[a]}|\n"
	    "|{bar:▎} {+hl:x} = {num:1}|\n"
	    "|{bar:▎} print({+cur:x})|\n"
	    "|{bar:▎}   {out:x is 1}|\n"
	    "|  {hdr:[b]}|\n"
	    "|  y = {+hl:x}|\n"
	    "||\n||\n");
	/* In outputs too; the current match is in output 0. */
	view_set_search(f->view, &s, true);
	view_set_match(f->view, 0, 1, 0, 1);
	view_render(f->view, f->doc, NULL, 0, &f->grid);
	assert_grid(&f->grid,
	    "|{bar:▎} {cur:[a]}|\n"
	    "|{bar:▎} {+hl:x} = {num:1}|\n"
	    "|{bar:▎} print({+hl:x})|\n"
	    "|{bar:▎}   {out+cur:x}{out: is 1}|\n"
	    "|  {hdr:[b]}|\n"
	    "|  y = {+hl:x}|\n"
	    "||\n||\n");
	search_fini(&s);
	/* A match far down a long cell is brought on screen. */
	gl_buf_init(&b);
	gl_buf_adds(&b, "-- %% id=\"l\"\n");
	for (int i = 0; i < 20; i++)
		gl_buf_addf(&b, "v%d = %d\n", i, i);
	fx_load(f, b.data);
	assert_int_equal(search_compile(&s, "v17", false, false, &err), 0);
	view_set_search(f->view, &s, false);
	view_set_match(f->view, 0, 0, (size_t)(strstr(b.data, "v17") -
	    strstr(b.data, "v0")), 3);
	gl_buf_fini(&b);
	view_render(f->view, f->doc, NULL, 0, &f->grid);
	assert_grid(&f->grid,
	    "|{bar:▎} v12 = {num:12}|\n"
	    "|{bar:▎} v13 = {num:13}|\n"
	    "|{bar:▎} v14 = {num:14}|\n"
	    "|{bar:▎} v15 = {num:15}|\n"
	    "|{bar:▎} v16 = {num:16}|\n"
	    "|{bar:▎} {+cur:v17} = {num:17}|\n"
	    "||\n||\n");
	view_set_search(f->view, NULL, false);
	search_fini(&s);
}

/* A pager of plain text (a cell's outputs): tabs to stops of 8, the
 * matches and the current one highlighted, the bottom line a message or
 * the / line being typed. */
static void
test_plain_page_with_matches(void **state)
{
	struct fixture	*f = *state;
	struct search	 s;
	struct gl_err	 err = { 0 };
	int		 scroll = 0;
	const char	*text = "one\ttwo\n# not a heading\ntwo two\n";
	struct view_page p = { .title = "[a] outputs", .text = text,
	    .scroll = &scroll, .plain = true, .m_off = 28, .m_len = 3 };

	assert_int_equal(search_compile(&s, "two", false, false, &err), 0);
	p.srch = &s;
	view_grid_resize(&f->grid, 6, 30);
	view_render_page(&p, &f->grid);
	assert_grid(&f->grid,
	    "|{cur: [a] outputs                  }|\n"
	    "| one     {+hl:two}|\n"
	    "| # not a heading|\n"
	    "| {+hl:two} {+cur:two}|\n"
	    "||\n"
	    "|{st: j/k, PgUp/PgDn scroll  / sear}|\n");
	p.cmdline = "tw";
	p.cmdline_cur = 2;
	p.cmdline_prompt = "/";
	view_render_page(&p, &f->grid);
	assert_grid(&f->grid,
	    "|{cur: [a] outputs                  }|\n"
	    "| one     {+hl:two}|\n"
	    "| # not a heading|\n"
	    "| {+hl:two} {+cur:two}|\n"
	    "||\n"
	    "|/tw^|\n");
	search_fini(&s);
}

/* The completion menu under the word it completes (over it when there
 * is no room), the selection kept in sight; an inspection's box. */
static void
test_popups(void **state)
{
	struct fixture	*f = *state;
	const char	*items[] = { "clear", "count", "cx", "cy" };
	const char	*kinds[] = { "function", "number", "table", NULL };
	struct view_popup p = { .lines = items, .notes = kinds, .n = 4,
	    .sel = -1, .row = 1, .col = 4, .max_rows = 3, .bottom = 2 };

	view_grid_resize(&f->grid, 8, 30);
	view_grid_clear(&f->grid);
	view_grid_puts(&f->grid, 1, 2, "trips.c", VIEW_S_NORMAL);
	view_render_popup(&p, &f->grid);
	assert_grid(&f->grid,
	    "||\n"
	    "|  trips.c|\n"
	    "|    {menu: clear  }{menunote:function}{menu: }|\n"
	    "|    {menu: count    }{menunote:number}{menu: }|\n"
	    "|    {menu: cx        }{menunote:table}{menu: }|\n"
	    "||\n||\n||\n");
	/* The fourth selected: the list scrolls; near the bottom the box
	 * goes over the anchor. */
	p.sel = 3;
	p.row = 5;
	view_grid_clear(&f->grid);
	view_render_popup(&p, &f->grid);
	assert_grid(&f->grid,
	    "||\n||\n"
	    "|    {menu: count    }{menunote:number}{menu: }|\n"
	    "|    {menu: cx        }{menunote:table}{menu: }|\n"
	    "|    {menusel: cy              }|\n"
	    "||\n||\n||\n");
	/* An inspection: lines, no selection, kept on the screen. */
	{
		const char *info[] = { "fare: function(day, km)",
		    "defined at a.nb.lua:3" };
		struct view_popup q = { .lines = info, .n = 2, .sel = -1,
		    .row = 0, .col = 20, .max_rows = 10, .bottom = 2 };

		view_grid_clear(&f->grid);
		view_render_popup(&q, &f->grid);
		assert_grid(&f->grid,
		    "||\n"
		    "|     {menu: fare: function(day, km) }|\n"
		    "|     {menu: defined at a.nb.lua:3   }|\n"
		    "||\n||\n||\n||\n||\n");
	}
}

static void
test_running_cell_shows_its_clock(void **state)
{
	struct fixture	*f = *state;

	fx_load(f, "-- %% id=\"a\"\nwhile true do end\n");
	view_set_run(f->view, 0, GL_RUN_RUNNING, 1000);
	view_render(f->view, f->doc, NULL, 3500, &f->grid);
	assert_grid(&f->grid,
	    "|{bar:▎} {cur:[a]}            {run:running 2.5s}|\n"
	    "|{bar:▎} {kw:while} {kw:true} {kw:do} {kw:end}|\n"
	    "||\n||\n||\n||\n||\n||\n");
	view_set_run(f->view, 0, GL_RUN_OK, 42);
	view_render(f->view, f->doc, NULL, 9999, &f->grid);
	assert_grid(&f->grid,
	    "|{bar:▎} {cur:[a]}                 {ok:ok 42ms}|\n"
	    "|{bar:▎} {kw:while} {kw:true} {kw:do} {kw:end}|\n"
	    "||\n||\n||\n||\n||\n||\n");
}

static void
test_markdown_is_rendered(void **state)
{
	struct fixture	*f = *state;

	fx_load(f, "-- %% [markdown] id=\"m\"\n"
	    "-- # Title\n"
	    "-- Some *em* and **bold**, `x`.\n"
	    "-- - item one\n"
	    "-- See [docs](http://a.b).\n");
	view_set_cursor(f->view, 0);
	view_render(f->view, f->doc, NULL, 0, &f->grid);
	assert_grid(&f->grid,
	    "|{bar:▎} {cur:[m] markdown}|\n"
	    "|{bar:▎} {h1:Title}|\n"
	    "|{bar:▎} Some {em:em} and {b:bold}, {code:x}.|\n"
	    "|{bar:▎} {li:• }item one|\n"
	    "|{bar:▎} See {link:docs}{dim: (http://a.b)}.|\n"
	    "||\n||\n||\n");
}

static void
test_markdown_being_edited_shows_its_source(void **state)
{
	struct fixture	*f = *state;

	fx_load(f, "-- %% [markdown] id=\"m\"\n-- # Title\n");
	view_set_edit(f->view, 0, 2, 0, 0);
	view_render(f->view, f->doc, NULL, 0, &f->grid);
	assert_grid(&f->grid,
	    "|{bar:▎} {cur:[m] markdown}|\n"
	    "|{bar:▎} # ^Title|\n"
	    "||\n||\n||\n||\n||\n||\n");
}

static void
test_markdown_wraps_at_words(void **state)
{
	struct fixture	*f = *state;

	fx_load(f, "-- %% [markdown] id=\"m\"\n"
	    "-- alpha beta gamma delta epsilon zeta\n"
	    "-- - a list item that is long enough\n");
	view_set_cursor(f->view, 5);
	view_render(f->view, f->doc, NULL, 0, &f->grid);
	assert_grid(&f->grid,
	    "|{bar:▎} {cur:[m] markdown}|\n"
	    "|{bar:▎} alpha beta gamma delta|\n"
	    "|{bar:▎} epsilon zeta|\n"
	    "|{bar:▎} {li:• }a list item that is long|\n"
	    "|{bar:▎}   enough|\n"
	    "||\n||\n||\n");
}

static void
test_error_traceback_folds(void **state)
{
	struct fixture		*f = *state;
	struct view_output	*o;

	fx_load(f, "-- %% id=\"e\"\nerror(\"boom\")\n");
	o = view_output_new(VIEW_OUT_ERROR, "e:1: boom", 9);
	o->traceback = xstrdup("stack traceback:\n\t[C]: in error\n\te:1\n");
	view_out_add(f->view, 0, o);
	view_set_run(f->view, 0, GL_RUN_ERROR, 3);
	view_render(f->view, f->doc, NULL, 0, &f->grid);
	assert_grid(&f->grid,
	    "|{bar:▎} {cur:[e]}               {fail:error 3ms}|\n"
	    "|{bar:▎} error({str:\"boom\"})|\n"
	    "|{bar:▎}   {err:e:1: boom}|\n"
	    "|{bar:▎}   {fold:▸ traceback, 3 lines (o: u}|\n"
	    "||\n||\n||\n||\n");
	assert_true(view_toggle_fold(f->view, 0));
	view_render(f->view, f->doc, NULL, 0, &f->grid);
	assert_grid(&f->grid,
	    "|{bar:▎} {cur:[e]}               {fail:error 3ms}|\n"
	    "|{bar:▎} error({str:\"boom\"})|\n"
	    "|{bar:▎}   {err:e:1: boom}|\n"
	    "|{bar:▎}   {tb:stack traceback:}|\n"
	    "|{bar:▎}   {tb:        [C]: in error}|\n"
	    "|{bar:▎}   {tb:        e:1}|\n"
	    "||\n||\n");
}

static void
test_long_output_folds_and_unfolds(void **state)
{
	struct fixture	*f = *state;
	struct view_opts o = { .fold_lines = 4 };
	struct gl_buf	 b;

	view_free(f->view);
	f->view = view_new(&o);
	view_grid_resize(&f->grid, 12, 30);
	fx_load(f, "-- %% id=\"a\"\nfor i=1,6 do print(i) end\n");
	gl_buf_init(&b);
	for (int i = 1; i <= 6; i++)
		gl_buf_addf(&b, "%d\n", i);
	add_text(f, "a", VIEW_OUT_STREAM, b.data);
	gl_buf_fini(&b);
	view_set_cursor(f->view, 1);
	view_render(f->view, f->doc, NULL, 0, &f->grid);
	assert_grid(&f->grid,
	    "|{bar:▎} {cur:[a]}|\n"
	    "|{bar:▎} {kw:for} i={num:1},{num:6} {kw:do} print(i) {kw:end}|\n"
	    "|{bar:▎}   {out:1}|\n"
	    "|{bar:▎}   {out:2}|\n"
	    "|{bar:▎}   {out:3}|\n"
	    "|{bar:▎}   {fold:… 3 more lines (o: unfold)}|\n"
	    "||\n||\n||\n||\n||\n||\n");
	view_toggle_fold(f->view, 0);
	view_render(f->view, f->doc, NULL, 0, &f->grid);
	assert_grid(&f->grid,
	    "|{bar:▎} {cur:[a]}|\n"
	    "|{bar:▎} {kw:for} i={num:1},{num:6} {kw:do} print(i) {kw:end}|\n"
	    "|{bar:▎}   {out:1}|\n|{bar:▎}   {out:2}|\n|{bar:▎}   {out:3}|\n"
	    "|{bar:▎}   {out:4}|\n|{bar:▎}   {out:5}|\n|{bar:▎}   {out:6}|\n"
	    "|{bar:▎}   {fold:(6 lines; o: fold)}|\n"
	    "||\n||\n||\n");
}

static void
test_stream_outputs_merge(void **state)
{
	struct fixture	*f = *state;

	fx_load(f, "-- %% id=\"a\"\nprint(1) print(2)\n");
	add_text(f, "a", VIEW_OUT_STREAM, "one\n");
	add_text(f, "a", VIEW_OUT_STREAM, "two\n");
	add_text(f, "a", VIEW_OUT_RESULT, "3");
	assert_int_equal(view_out_count(f->view, 0), 2);
	view_render(f->view, f->doc, NULL, 0, &f->grid);
	assert_grid(&f->grid,
	    "|{bar:▎} {cur:[a]}|\n"
	    "|{bar:▎} print({num:1}) print({num:2})|\n"
	    "|{bar:▎}   {out:one}|\n"
	    "|{bar:▎}   {out:two}|\n"
	    "|{bar:▎}   {res:3}|\n"
	    "||\n||\n||\n");
}

static void
test_wide_and_combining_characters(void **state)
{
	struct fixture	*f = *state;

	view_grid_resize(&f->grid, 6, 12);
	/* "日本語" is 6 columns; "e" + U+0301 is one. A row of 10 columns of
	 * content (12 - 2) wraps before a wide character that would cross
	 * the edge. */
	fx_load(f, "-- %% id=\"w\"\ns=\"日本語\"\nt=\"e\xcc\x81\"\nu=\"ab日本語\"\n");
	view_set_cursor(f->view, 3);
	view_render(f->view, f->doc, NULL, 0, &f->grid);
	assert_grid(&f->grid,
	    "|{bar:▎} {cur:[w]}|\n"
	    "|{bar:▎} s={str:\"日本語\"}|\n"
	    "|{bar:▎} t={str:\"e\xcc\x81\"}|\n"
	    "|{bar:▎} u={str:\"ab日本}|\n"
	    "||\n||\n");
	assert_int_equal(view_grid_at(&f->grid, 1, 5)->width, 2);
	assert_int_equal(view_grid_at(&f->grid, 1, 6)->width, 0);
	assert_int_equal(view_grid_at(&f->grid, 2, 5)->cp[1], 0x301);
}

static void
test_editor_cursor_and_selection(void **state)
{
	struct fixture	*f = *state;

	fx_load(f, "-- %% id=\"a\"\nabc\ndef\n");
	view_set_edit(f->view, 0, 5, 1, 3);	/* cursor on 'e', "bc" */
	view_render(f->view, f->doc, NULL, 0, &f->grid);
	assert_grid(&f->grid,
	    "|{bar:▎} {cur:[a]}|\n"
	    "|{bar:▎} a{+sel:bc}|\n"
	    "|{bar:▎} d^ef|\n"
	    "||\n||\n||\n||\n||\n");
	/* At the end of the source. */
	view_set_edit(f->view, 0, 7, 7, 7);
	view_render(f->view, f->doc, NULL, 0, &f->grid);
	assert_grid(&f->grid,
	    "|{bar:▎} {cur:[a]}|\n"
	    "|{bar:▎} abc|\n"
	    "|{bar:▎} def^|\n"
	    "||\n||\n||\n||\n||\n");
}

static void
test_empty_code_cell_has_a_row(void **state)
{
	struct fixture	*f = *state;

	fx_load(f, "-- %% id=\"a\"\n\n-- %% id=\"b\"\nx\n");
	view_set_edit(f->view, 0, 0, 0, 0);
	view_render(f->view, f->doc, NULL, 0, &f->grid);
	assert_grid(&f->grid,
	    "|{bar:▎} {cur:[a]}|\n"
	    "|{bar:▎} ^|\n"
	    "|  {hdr:[b]}|\n"
	    "|  x|\n"
	    "||\n||\n||\n||\n");
}

static void
test_table_output_is_aligned(void **state)
{
	struct fixture		*f = *state;
	struct view_output	*o;
	const char		*cells[] = { "day", "fare", "mon", "12.5",
				    "tuesday", "3" };

	fx_load(f, "-- %% id=\"t\"\nt\n");
	o = view_output_new(VIEW_OUT_TABLE, NULL, 0);
	view_output_table(o, 2, 2);
	for (size_t k = 0; k < 6; k++)
		view_output_table_set(o, k / 2, k % 2, cells[k],
		    strlen(cells[k]));
	view_out_add(f->view, 0, o);
	view_set_cursor(f->view, 1);
	view_render(f->view, f->doc, NULL, 0, &f->grid);
	assert_grid(&f->grid,
	    "|{bar:▎} {cur:[t]}|\n"
	    "|{bar:▎} t|\n"
	    "|{bar:▎}   {th:day    }  {th:fare}|\n"
	    "|{bar:▎}   {dim:───────}  {dim:────}|\n"
	    "|{bar:▎}   {out:mon    }  {out:12.5}|\n"
	    "|{bar:▎}   {out:tuesday}  {out:   3}|\n"
	    "||\n||\n");
}

/* A tree output: folded, the root's children; o unfolds every level;
 * "more" says what the runtime left out. */
static void
test_tree_output_folds(void **state)
{
	struct fixture		*f = *state;
	struct view_output	*o;
	struct gl_buf		 b;

	view_grid_resize(&f->grid, 10, 36);
	fx_load(f, "-- %% id=\"t\"\nt\n");
	o = view_output_new(VIEW_OUT_TREE, NULL, 0);
	view_output_node_add(o, 0, "", "", 104, 100);
	view_output_node_add(o, 1, "a", "{1, 2}", 2, 0);
	view_output_node_add(o, 1, "name", "\"galley\"", -1, 0);
	view_output_node_add(o, 1, "sub", "", 2, 0);
	view_output_node_add(o, 2, "deep", "true", -1, 0);
	view_output_node_add(o, 2, "n", "42", -1, 0);
	view_out_add(f->view, 0, o);
	view_set_cursor(f->view, 1);
	view_render(f->view, f->doc, NULL, 0, &f->grid);
	assert_grid(&f->grid,
	    "|{bar:▎} {cur:[t]}|\n"
	    "|{bar:▎} t|\n"
	    "|{bar:▎}   {dim:{104 entries}}|\n"
	    "|{bar:▎}   {fold:  }{out:a}{dim: = }{res:{1, 2}}|\n"
	    "|{bar:▎}   {fold:  }{out:name}{dim: = }{str:\"galley\"}|\n"
	    "|{bar:▎}   {fold:▸ }{out:sub}{dim: = {2 entries}}|\n"
	    "|{bar:▎}   {fold:  … 100 more}|\n"
	    "|{bar:▎}   {fold:  (o: unfold)}|\n"
	    "||\n||\n");
	view_toggle_fold(f->view, 0);
	view_grid_resize(&f->grid, 12, 36);
	view_render(f->view, f->doc, NULL, 0, &f->grid);
	assert_grid(&f->grid,
	    "|{bar:▎} {cur:[t]}|\n"
	    "|{bar:▎} t|\n"
	    "|{bar:▎}   {dim:{104 entries}}|\n"
	    "|{bar:▎}   {fold:  }{out:a}{dim: = }{res:{1, 2}}|\n"
	    "|{bar:▎}   {fold:  }{out:name}{dim: = }{str:\"galley\"}|\n"
	    "|{bar:▎}   {fold:▾ }{out:sub}{dim: = {2 entries}}|\n"
	    "|{bar:▎}     {fold:  }{out:deep}{dim: = }{kw:true}|\n"
	    "|{bar:▎}     {fold:  }{out:n}{dim: = }{num:42}|\n"
	    "|{bar:▎}   {fold:  … 100 more}|\n"
	    "||\n||\n||\n");
	/* Its text: every level, as a pager and galley run show it. */
	gl_buf_init(&b);
	view_output_text(view_out_get(f->view, 0, 0), &b);
	assert_string_equal(b.data, "{104 entries}\n"
	    "  a = {1, 2}\n"
	    "  name = \"galley\"\n"
	    "▾ sub = {2 entries}\n"
	    "    deep = true\n"
	    "    n = 42\n"
	    "  … 100 more");
	gl_buf_fini(&b);
}

/* A table the runtime cut says how many rows and columns it left out. */
static void
test_table_says_what_was_cut(void **state)
{
	struct fixture		*f = *state;
	struct view_output	*o;
	struct gl_buf		 b;

	fx_load(f, "-- %% id=\"t\"\nt\n");
	o = view_output_new(VIEW_OUT_TABLE, NULL, 0);
	view_output_table(o, 1, 1);
	view_output_table_set(o, 0, 0, "i", 1);
	view_output_table_set(o, 1, 0, "1", 1);
	o->more = 999999;
	o->more_cols = 2;
	view_out_add(f->view, 0, o);
	gl_buf_init(&b);
	view_output_text(view_out_get(f->view, 0, 0), &b);
	assert_string_equal(b.data, "i\n─\n1\n… 999,999 more rows, 2 more "
	    "columns");
	gl_buf_fini(&b);
	view_set_cursor(f->view, 1);
	view_render(f->view, f->doc, NULL, 0, &f->grid);
	assert_grid(&f->grid,
	    "|{bar:▎} {cur:[t]}|\n"
	    "|{bar:▎} t|\n"
	    "|{bar:▎}   {th:i}|\n"
	    "|{bar:▎}   {dim:─}|\n"
	    "|{bar:▎}   {out:1}|\n"
	    "|{bar:▎}   {fold:… 999,999 more rows, 2 mor}|\n"
	    "||\n||\n");
}

static void
test_progress_bar_updates_in_place(void **state)
{
	struct fixture		*f = *state;
	struct view_output	*o;

	view_grid_resize(&f->grid, 5, 40);
	fx_load(f, "-- %% id=\"p\"\nwork()\n");
	o = view_output_new(VIEW_OUT_PROGRESS, "map", 3);
	o->done = 1;
	o->total = 4;
	view_out_add(f->view, 0, o);
	o = view_output_new(VIEW_OUT_PROGRESS, "map", 3);
	o->done = 2;
	o->total = 4;
	view_out_add(f->view, 0, o);
	assert_int_equal(view_out_count(f->view, 0), 1);
	view_render(f->view, f->doc, NULL, 0, &f->grid);
	assert_grid(&f->grid,
	    "|{bar:▎} {cur:[p]}|\n"
	    "|{bar:▎} work()|\n"
	    "|{bar:▎}   {out:map} {prog:████████████}{dim:░░░░░░░░░░░}{out:  50% 2/4}|\n"
	    "||\n||\n");
}

/* A cluster job's bar: a progress output and the kernel's
 * cluster.progress notifications (no label, with failures and busy
 * workers) update one bar; busy workers show only while the cell runs. */
static void
test_cluster_progress_shows_failures_and_workers(void **state)
{
	struct fixture		*f = *state;
	struct view_output	*o;

	view_grid_resize(&f->grid, 5, 64);
	fx_load(f, "-- %% id=\"p\"\nwork()\n");
	view_set_run(f->view, 0, GL_RUN_RUNNING, 0);
	o = view_output_new(VIEW_OUT_PROGRESS, "cluster.map", 11);
	o->done = 10;
	o->total = 40;
	o->key = xstrdup("job:3");
	view_out_add(f->view, 0, o);
	o = view_output_new(VIEW_OUT_PROGRESS, NULL, 0);
	o->done = 30;
	o->total = 40;
	o->failed = 2;
	o->busy = 2;
	o->key = xstrdup("job:3");
	view_out_add(f->view, 0, o);
	assert_int_equal(view_out_count(f->view, 0), 1);
	view_render(f->view, f->doc, NULL, 1000, &f->grid);
	assert_grid(&f->grid,
	    "|{bar:▎} {cur:[p]}                                              {run:running 1.0s}|\n"
	    "|{bar:▎} work()|\n"
	    "|{bar:▎}   {out:cluster.map} {prog:████████}{dim:░░░}{out:  75% 30/40}{err:  2 failed}{dim:  2 workers busy}|\n"
	    "||\n||\n");
	view_set_run(f->view, 0, GL_RUN_OK, 1200);
	view_render(f->view, f->doc, NULL, 2000, &f->grid);
	assert_grid(&f->grid,
	    "|{bar:▎} {cur:[p]}                                                   {ok:ok 1.2s}|\n"
	    "|{bar:▎} work()|\n"
	    "|{bar:▎}   {out:cluster.map} {prog:████████████████████}{dim:░░░░░░░}{out:  75% 30/40}{err:  2 failed}|\n"
	    "||\n||\n");
}

static void
test_status_and_message_lines(void **state)
{
	struct fixture		*f = *state;
	struct view_status	 st = { .mode = "NORMAL", .path = "a.nb.lua",
				    .dirty = true, .kernel = "unix",
				    .runtime = "idle", .members = 1,
				    .msg = "saved" };

	view_grid_resize(&f->grid, 4, 60);
	fx_load(f, "-- %% id=\"a\"\nx\n");
	view_render(f->view, f->doc, &st, 0, &f->grid);
	assert_grid(&f->grid,
	    "|{bar:▎} {cur:[a]}|\n"
	    "|{bar:▎} x|\n"
	    "|{mode: NORMAL }{st: a.nb.lua [+]  kernel unix  runtime idle        1/1 }|\n"
	    "|{msg:saved}|\n");
	st.cmdline = "run al";
	st.cmdline_cur = 6;
	view_render(f->view, f->doc, &st, 0, &f->grid);
	assert_grid(&f->grid,
	    "|{bar:▎} {cur:[a]}|\n"
	    "|{bar:▎} x|\n"
	    "|{mode: NORMAL }{st: a.nb.lua [+]  kernel unix  runtime idle        1/1 }|\n"
	    "|:run al^|\n");
}

/* Others in a shared session: a cursor in insert mode is a block of
 * its person's colour in the text with their name after the row, each
 * person's name is on the header of the cell they are at, and a run
 * says who started it. */
static void
test_peers_in_cells(void **state)
{
	struct fixture	*f = *state;
	struct view_peer p[3] = {
		{ .cell = 0, .offset = 6, .insert = true, .name = "alice",
		  .color = 1 },
		{ .cell = 1, .offset = 0, .insert = false, .name = "bob",
		  .color = 2 },
		{ .cell = 0, .offset = 11, .insert = true, .name = "carol",
		  .color = 11 },
	};

	view_grid_resize(&f->grid, 7, 40);
	fx_load(f, "-- %% id=\"a\"\nlocal x = 1\nprint(x)\n\n"
	    "-- %% title id=\"b\"\ny = 2\n");
	view_set_peers(f->view, p, 3);
	view_set_run(f->view, 1, GL_RUN_OK, 3);
	view_set_run_by(f->view, 1, "bob", 2);
	view_set_cursor(f->view, 1);
	view_render(f->view, f->doc, NULL, 0, &f->grid);
	assert_grid(&f->grid,
	    "|  {hdr:[a]}                       {p1:alice} {p3:carol}|\n"
	    "|  {kw:local} {p1+at:x} = {num:1}{p3+at: } {p1:alice} {p3:carol}|\n"
	    "|  print(x)|\n"
	    "|{bar:▎} {cur:[b] title}          {p2:bob}  {ok:ok 3ms} {hdr:by} "
	    "{p2:bob}|\n"
	    "|{bar:▎} y = {num:2}|\n"
	    "||\n||\n");
	/* No room on the header: the names go before the run's state. */
	view_grid_resize(&f->grid, 7, 24);
	view_render(f->view, f->doc, NULL, 0, &f->grid);
	assert_grid(&f->grid,
	    "|  {hdr:[a]}       {p1:alice} {p3:carol}|\n"
	    "|  {kw:local} {p1+at:x} = {num:1}{p3+at: } {p1:alice}|\n"
	    "|  print(x)|\n"
	    "|{bar:▎} {cur:[b] ti}  {ok:ok 3ms} {hdr:by} {p2:bob}|\n"
	    "|{bar:▎} y = {num:2}|\n"
	    "||\n||\n");
	/* They leave. */
	view_set_peers(f->view, NULL, 0);
	view_set_run_by(f->view, 1, NULL, -1);
	view_render(f->view, f->doc, NULL, 0, &f->grid);
	assert_grid(&f->grid,
	    "|  {hdr:[a]}|\n"
	    "|  {kw:local} x = {num:1}|\n"
	    "|  print(x)|\n"
	    "|{bar:▎} {cur:[b] title}      {ok:ok 3ms}|\n"
	    "|{bar:▎} y = {num:2}|\n"
	    "||\n||\n");
}

/* The status line lists the others and what each does, shorter as
 * there is less room: what they do, then marks, then names, then a
 * count. */
static void
test_status_lists_people(void **state)
{
	struct fixture		*f = *state;
	struct view_person	 pp[3] = {
		{ "alice", 1, VIEW_DOING_EDITING, "a" },
		{ "bob", 2, VIEW_DOING_RUNNING, "b" },
		{ "carol", 0, VIEW_DOING_IDLE, NULL },
	};
	struct view_status	 st = { .mode = "NORMAL", .path = "a.nb.lua",
				    .kernel = "local", .runtime = "busy",
				    .members = 4, .people = pp,
				    .npeople = 3 };

	fx_load(f, "-- %% id=\"a\"\nx\n");
	view_grid_resize(&f->grid, 4, 100);
	view_render(f->view, f->doc, &st, 0, &f->grid);
	assert_grid(&f->grid,
	    "|{bar:▎} {cur:[a]}|\n"
	    "|{bar:▎} x|\n"
	    "|{mode: NORMAL }{st: a.nb.lua  kernel local  runtime busy  }"
	    "{p1:alice}{st: editing a  }{p2:bob}{st: running b  }{p0:carol}"
	    "{st:            1/1 }|\n"
	    "||\n");
	view_grid_resize(&f->grid, 4, 76);
	view_render(f->view, f->doc, &st, 0, &f->grid);
	assert_grid(&f->grid,
	    "|{bar:▎} {cur:[a]}|\n"
	    "|{bar:▎} x|\n"
	    "|{mode: NORMAL }{st: a.nb.lua  kernel local  runtime busy  }"
	    "{p1:alice}{st: ✎a  }{p2:bob}{st: ▶b  }{p0:carol}{st:  1/1 }|\n"
	    "||\n");
	view_grid_resize(&f->grid, 4, 62);
	view_render(f->view, f->doc, &st, 0, &f->grid);
	assert_grid(&f->grid,
	    "|{bar:▎} {cur:[a]}|\n"
	    "|{bar:▎} x|\n"
	    "|{mode: NORMAL }{st: a.nb.lua  kernel local  runtime busy  }"
	    "{p1:alice}{st:  +2  1/1 }|\n"
	    "||\n");
	/* A viewer is told so; with nobody listed, a count. */
	st.role = "viewer";
	st.npeople = 0;
	view_grid_resize(&f->grid, 4, 80);
	view_render(f->view, f->doc, &st, 0, &f->grid);
	assert_grid(&f->grid,
	    "|{bar:▎} {cur:[a]}|\n"
	    "|{bar:▎} x|\n"
	    "|{mode: NORMAL }{st: a.nb.lua  kernel local  runtime busy  "
	    "viewer  4 people             1/1 }|\n"
	    "||\n");
}

/* Cursor motion scrolls just enough; 'G' shows the last cell at the
 * bottom. */
static void
test_scrolls_to_keep_cursor_visible(void **state)
{
	struct fixture	*f = *state;
	struct gl_buf	 b;

	gl_buf_init(&b);
	for (int i = 0; i < 20; i++)
		gl_buf_addf(&b, "-- %%%% id=\"c%d\"\nx%d\n\n", i, i);
	fx_load(f, b.data);
	gl_buf_fini(&b);
	view_set_cursor(f->view, 3);
	view_render(f->view, f->doc, NULL, 0, &f->grid);
	assert_grid(&f->grid,
	    "|  {hdr:[c1]}|\n"
	    "|  x1|\n"
	    "|  {hdr:[c2]}|\n"
	    "|  x2|\n"
	    "|{bar:▎} {cur:[c3]}|\n"
	    "|{bar:▎} x3|\n"
	    "||\n||\n");
	view_set_cursor(f->view, 19);
	view_render(f->view, f->doc, NULL, 0, &f->grid);
	assert_grid(&f->grid,
	    "|  {hdr:[c17]}|\n"
	    "|  x17|\n"
	    "|  {hdr:[c18]}|\n"
	    "|  x18|\n"
	    "|{bar:▎} {cur:[c19]}|\n"
	    "|{bar:▎} x19|\n"
	    "||\n||\n");
	view_set_cursor(f->view, 0);
	view_render(f->view, f->doc, NULL, 0, &f->grid);
	assert_grid(&f->grid,
	    "|{bar:▎} {cur:[c0]}|\n"
	    "|{bar:▎} x0|\n"
	    "|  {hdr:[c1]}|\n"
	    "|  x1|\n"
	    "|  {hdr:[c2]}|\n"
	    "|  x2|\n"
	    "||\n||\n");
	/* Scrolling by rows moves the cursor along when it leaves. */
	view_scroll(f->view, f->doc, 3);
	view_render(f->view, f->doc, NULL, 0, &f->grid);
	assert_grid(&f->grid,
	    "|  x1|\n"
	    "|{bar:▎} {cur:[c2]}|\n"
	    "|{bar:▎} x2|\n"
	    "|  {hdr:[c3]}|\n"
	    "|  x3|\n"
	    "|  {hdr:[c4]}|\n"
	    "||\n||\n");
}

static void
test_resize_rewraps(void **state)
{
	struct fixture	*f = *state;

	fx_load(f, "-- %% id=\"a\"\nprint(\"a fairly long line here\")\n");
	view_grid_resize(&f->grid, 6, 20);
	view_render(f->view, f->doc, NULL, 0, &f->grid);
	assert_grid(&f->grid,
	    "|{bar:▎} {cur:[a]}|\n"
	    "|{bar:▎} print({str:\"a fairly lo}|\n"
	    "|{bar:▎} {str:ng line here\"})|\n"
	    "||\n||\n||\n");
	view_grid_resize(&f->grid, 6, 40);
	view_render(f->view, f->doc, NULL, 0, &f->grid);
	assert_grid(&f->grid,
	    "|{bar:▎} {cur:[a]}|\n"
	    "|{bar:▎} print({str:\"a fairly long line here\"})|\n"
	    "||\n||\n||\n||\n");
}

static void
test_hit_maps_clicks_to_source_offsets(void **state)
{
	struct fixture	*f = *state;
	struct view_hit	 h;

	fx_load(f, "-- %% id=\"a\"\nabc\n\tdef\n\n-- %% id=\"b\"\nx\n");
	view_render(f->view, f->doc, NULL, 0, &f->grid);
	assert_true(view_hit(f->view, f->doc, 1, 3, &h));
	assert_int_equal(h.kind, VIEW_ROW_SOURCE);
	assert_int_equal(h.cell, 0);
	assert_int_equal(h.offset, 1);
	assert_true(view_hit(f->view, f->doc, 1, 25, &h));
	assert_int_equal(h.offset, 3);
	/* Row 2 is "\tdef": the tab fills columns 2-5. */
	assert_true(view_hit(f->view, f->doc, 2, 7, &h));
	assert_int_equal(h.offset, 4 + 2);
	assert_true(view_hit(f->view, f->doc, 3, 0, &h));
	assert_int_equal(h.kind, VIEW_ROW_HEADER);
	assert_int_equal(h.cell, 1);
	assert_false(view_hit(f->view, f->doc, 6, 0, &h));
}

static void
test_ops_keep_the_view_aligned(void **state)
{
	struct fixture	*f = *state;
	struct ot_op	 op;

	fx_load(f, "-- %% id=\"a\"\n1\n\n-- %% id=\"b\"\n2\n");
	add_text(f, "b", VIEW_OUT_RESULT, "two");
	view_set_cursor(f->view, 1);
	memset(&op, 0, sizeof op);
	op.kind = OT_INSERT_CELL;
	snprintf(op.id, sizeof op.id, "n");
	op.index = 0;
	op.cell_kind = NB_CODE;
	op.text = xstrdup("new");
	fx_apply(f, &op);
	ot_op_fini(&op);
	/* The cursor stays on b; b keeps its output. */
	assert_int_equal(view_cursor(f->view), 2);
	assert_int_equal(view_out_count(f->view, 2), 1);
	memset(&op, 0, sizeof op);
	op.kind = OT_MOVE_CELL;
	snprintf(op.id, sizeof op.id, "b");
	op.index = 0;
	fx_apply(f, &op);
	assert_int_equal(view_cursor(f->view), 0);
	assert_int_equal(view_out_count(f->view, 0), 1);
	memset(&op, 0, sizeof op);
	op.kind = OT_DELETE_CELL;
	snprintf(op.id, sizeof op.id, "n");
	fx_apply(f, &op);
	view_render(f->view, f->doc, NULL, 0, &f->grid);
	assert_grid(&f->grid,
	    "|{bar:▎} {cur:[b]}|\n"
	    "|{bar:▎} {num:2}|\n"
	    "|{bar:▎}   {res:two}|\n"
	    "|  {hdr:[a]}|\n"
	    "|  {num:1}|\n"
	    "||\n||\n||\n");
}

/* A 10,000-cell notebook lays out a few screenfuls of cells (to measure
 * and to paint) for its first screen, and again after jumping to its
 * end; never the whole notebook. */
static void
test_only_visible_cells_are_laid_out(void **state)
{
	struct fixture	*f = *state;
	struct gl_buf	 b;
	size_t		 before;

	gl_buf_init(&b);
	for (int i = 0; i < 10000; i++)
		gl_buf_addf(&b, "-- %%%% id=\"c%d\"\nlocal x%d = %d\n\n", i, i,
		    i);
	fx_load(f, b.data);
	gl_buf_fini(&b);
	view_grid_resize(&f->grid, 50, 80);
	view_render(f->view, f->doc, NULL, 0, &f->grid);
	assert_true(view_layouts_done(f->view) <= 60);
	before = view_layouts_done(f->view);
	view_set_cursor(f->view, 9999);
	view_render(f->view, f->doc, NULL, 0, &f->grid);
	assert_true(view_layouts_done(f->view) - before <= 120);
	{
		char	*pic = view_grid_picture(&f->grid);

		assert_non_null(strstr(pic, "[c9999]"));
		free(pic);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_code_cell_is_highlighted,
		    setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_stale_output_is_dimmed,
		    setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_number_gutter,
		    setup, fx_teardown),
		cmocka_unit_test_setup_teardown(
		    test_search_matches_are_highlighted, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_plain_page_with_matches,
		    setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_popups, setup,
		    fx_teardown),
		cmocka_unit_test_setup_teardown(test_running_cell_shows_its_clock,
		    setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_conflict_cell_is_marked,
		    setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_markdown_is_rendered,
		    setup, fx_teardown),
		cmocka_unit_test_setup_teardown(
		    test_markdown_being_edited_shows_its_source, setup,
		    fx_teardown),
		cmocka_unit_test_setup_teardown(test_markdown_wraps_at_words,
		    setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_error_traceback_folds,
		    setup, fx_teardown),
		cmocka_unit_test_setup_teardown(
		    test_long_output_folds_and_unfolds, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_stream_outputs_merge,
		    setup, fx_teardown),
		cmocka_unit_test_setup_teardown(
		    test_wide_and_combining_characters, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_editor_cursor_and_selection,
		    setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_empty_code_cell_has_a_row,
		    setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_table_output_is_aligned,
		    setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_tree_output_folds,
		    setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_table_says_what_was_cut,
		    setup, fx_teardown),
		cmocka_unit_test_setup_teardown(
		    test_progress_bar_updates_in_place, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(
		    test_cluster_progress_shows_failures_and_workers, setup,
		    fx_teardown),
		cmocka_unit_test_setup_teardown(test_status_and_message_lines,
		    setup, fx_teardown),
		cmocka_unit_test_setup_teardown(
		    test_scrolls_to_keep_cursor_visible, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_peers_in_cells, setup,
		    fx_teardown),
		cmocka_unit_test_setup_teardown(test_status_lists_people,
		    setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_resize_rewraps, setup,
		    fx_teardown),
		cmocka_unit_test_setup_teardown(
		    test_hit_maps_clicks_to_source_offsets, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(
		    test_ops_keep_the_view_aligned, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(
		    test_only_visible_cells_are_laid_out, setup, fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_ndiff.c - the cell-aware diff (review/ndiff.c, ndiff-print.c,
 * ipynb.c): cells added, removed, moved, modified (source, metadata,
 * kind, title), cells without ids matched by content, word highlights,
 * text files as unified diffs, notebooks that do not parse, .ipynb with
 * summarised outputs, the JSON shape, and a randomized check that every
 * cell of both sides is accounted for exactly once (seed printed;
 * GALLEY_SEED=N repeats a run).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "rfix.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/err.h"
#include "core/mem.h"
#include "core/util.h"
#include "review/ipynb.h"
#include "review/ndiff.h"

static struct ndiff *
diff(const char *path, const char *a, const char *b)
{
	struct ndiff	*d = NULL;
	struct gl_err	 err;

	assert_int_equal(ndiff_new(path, a, a != NULL ? strlen(a) : 0, path,
	    b, b != NULL ? strlen(b) : 0, &d, &err), 0);
	assert_non_null(d);
	return d;
}

static char *
text_of(const struct ndiff *d, bool color)
{
	struct ndiff_print	 o = { .color = color, .context = 3 };
	struct gl_buf		 b;

	gl_buf_init(&b);
	ndiff_print_text(d, &o, &b);
	return gl_buf_take(&b, NULL);
}

/* The change of the cell whose (new, else old) id is id. */
static const struct ndiff_cellchange *
cell(const struct ndiff *d, const char *id)
{
	for (size_t k = 0; k < d->ncells; k++) {
		const struct ndiff_cell *x = d->cells[k].new != NULL ?
		    d->cells[k].new : d->cells[k].old;

		if (strcmp(x->id, id) == 0)
			return &d->cells[k];
	}
	fail_msg("no cell %s in the diff", id);
	return NULL;
}

static const char nb_old[] =
    "-- %% [markdown] id=\"intro\"\n"
    "-- # Trips by day\n"
    "\n"
    "-- %% id=\"load\"\n"
    "local trips = frame.read_csv(\"data/trips.csv\")\n"
    "trips:head(5)\n"
    "\n"
    "-- %% id=\"by-day\" tags=[\"slow\"]\n"
    "local by_day = trips:groupby(\"day\"):agg{ fare = \"sum\" }\n"
    "plot.bar(by_day.day, by_day.fare)\n"
    "\n"
    "-- %% id=\"gone\"\n"
    "print(\"bye\")\n"
    "\n"
    "-- %% id=\"tail\"\n"
    "x = 1\n";

/* load and by-day swapped (by-day moved up), by-day edited and retagged,
 * gone removed, new added, intro's title set, tail became markdown. */
static const char nb_new[] =
    "-- %% [markdown] Intro id=\"intro\"\n"
    "-- # Trips by day\n"
    "\n"
    "-- %% id=\"by-day\" tags=[\"fast\"]\n"
    "local by_day = trips:groupby(\"day\"):agg{ fare = \"sum\" }\n"
    "plot.line(by_day.day, by_day.fare)\n"
    "\n"
    "-- %% id=\"load\"\n"
    "local trips = frame.read_csv(\"data/trips.csv\")\n"
    "trips:head(5)\n"
    "\n"
    "-- %% id=\"new\"\n"
    "y = 2\n"
    "\n"
    "-- %% [markdown] id=\"tail\"\n"
    "-- x = 1\n";

static void
test_notebook_cells(void **state)
{
	struct ndiff			*d = diff("a.nb.lua", nb_old, nb_new);
	const struct ndiff_cellchange	*c;
	char				*t;

	assert_int_equal(d->format, NDIFF_NOTEBOOK);
	assert_int_equal(d->ncells, 6);
	/* intro: title only. */
	c = cell(d, "intro");
	assert_int_equal(c->status, NDIFF_MODIFIED);
	assert_true(c->title_changed);
	assert_false(c->src_changed);
	assert_false(c->moved);
	/* by-day moved up past load, and changed. Only one of the two
	 * needs to count as moved: the longest run in order stays. */
	c = cell(d, "by-day");
	assert_int_equal(c->status, NDIFF_MODIFIED);
	assert_true(c->src_changed);
	assert_int_equal(c->nmeta, 1);
	assert_string_equal(c->meta[0].key, "tags");
	assert_string_equal(c->meta[0].old_json, "[\"slow\"]");
	assert_string_equal(c->meta[0].new_json, "[\"fast\"]");
	assert_int_equal(c->src->nch, 1);
	c = cell(d, "load");
	assert_true(c->status == NDIFF_MOVED ||
	    cell(d, "by-day")->moved);
	assert_true(cell(d, "load")->moved != cell(d, "by-day")->moved);
	assert_int_equal(cell(d, "gone")->status, NDIFF_REMOVED);
	assert_int_equal(cell(d, "new")->status, NDIFF_ADDED);
	c = cell(d, "tail");
	assert_int_equal(c->status, NDIFF_MODIFIED);
	assert_true(c->kind_changed);
	assert_false(c->src_changed);	/* "x = 1" either way */
	assert_int_equal(d->stats.added, 1);
	assert_int_equal(d->stats.removed, 1);
	assert_int_equal(d->stats.modified, 3);
	assert_int_equal(d->stats.moved + (cell(d, "by-day")->moved ? 1 : 0),
	    1);
	assert_false(ndiff_empty(d));

	/* The new notebook's order, with the removed cell right after the
	 * nearest cell before it that stayed in place (by-day). */
	{
		const char *order[] = { "intro", "by-day", "gone", "load",
		    "new", "tail" };

		for (size_t k = 0; k < 6; k++) {
			const struct ndiff_cell *x = d->cells[k].new != NULL ?
			    d->cells[k].new : d->cells[k].old;

			if (strcmp(x->id, order[k]) != 0)
				fail_msg("cell %zu is %s, want %s", k, x->id,
				    order[k]);
		}
	}

	t = text_of(d, false);
	assert_non_null(strstr(t, "diff --galley a/a.nb.lua b/a.nb.lua\n"));
	assert_non_null(strstr(t, "~ [by-day] code: modified"));
	assert_non_null(strstr(t, "  tags: [\"slow\"] -> [\"fast\"]\n"));
	assert_non_null(strstr(t, "  -plot.bar(by_day.day, by_day.fare)\n"
	    "  +plot.line(by_day.day, by_day.fare)\n"));
	assert_non_null(strstr(t, "- [gone] code: removed\n  -print(\"bye\")"));
	assert_non_null(strstr(t, "+ [new] code: added\n  +y = 2\n"));
	assert_non_null(strstr(t, "  kind: code -> markdown\n"));
	assert_non_null(strstr(t, "  title: \"\" -> \"Intro\"\n"));
	assert_null(strstr(t, "\033["));	/* no colour asked */
	free(t);

	/* With colour: the changed word is highlighted. */
	t = text_of(d, true);
	assert_non_null(strstr(t, "plot.\033[7mline\033[27m(by_day"));
	free(t);
	ndiff_free(d);
}

static void
test_unchanged_folded(void **state)
{
	struct gl_buf	 a, b;
	struct ndiff	*d;
	char		*t;

	gl_buf_init(&a);
	gl_buf_init(&b);
	for (int i = 0; i < 10; i++) {
		gl_buf_addf(&a, "-- %%%% id=\"c%d\"\nx = %d\n\n", i, i);
		gl_buf_addf(&b, "-- %%%% id=\"c%d\"\nx = %d\n\n", i,
		    i == 5 ? 50 : i);
	}
	d = diff("f.nb.lua", a.data, b.data);
	assert_int_equal(d->stats.unchanged, 9);
	assert_int_equal(d->stats.modified, 1);
	t = text_of(d, false);
	assert_non_null(strstr(t, "  ... 5 unchanged cells\n~ [c5] code: "
	    "modified\n  @@ -1,1 +1,1 @@\n  -x = 5\n  +x = 50\n"
	    "  ... 4 unchanged cells\n"));
	free(t);
	ndiff_free(d);

	/* A line added after a cell's last line is one added line (the
	 * last line has no newline in the source, and that is no change). */
	{
		struct ndiff	*e = diff("g.nb.lua", "-- %% id=\"a\"\nx = 1\n",
		    "-- %% id=\"a\"\nx = 1\ny = 2\n");

		t = text_of(e, false);
		assert_non_null(strstr(t, "  @@ -1,1 +1,2 @@\n   x = 1\n"
		    "  +y = 2\n"));
		assert_int_equal(e->stats.lines_added, 1);
		assert_int_equal(e->stats.lines_removed, 0);
		free(t);
		ndiff_free(e);
	}

	/* Identical: nothing changed. */
	d = diff("f.nb.lua", a.data, a.data);
	assert_true(ndiff_empty(d));
	ndiff_free(d);
	gl_buf_fini(&a);
	gl_buf_fini(&b);
}

static void
test_cells_without_ids(void **state)
{
	/* No ids at all: a cell moved, one edited in place, one added. */
	static const char a[] =
	    "-- %%\nlocal a = 1\n\n-- %%\nlocal b = 2\nprint(b)\n\n"
	    "-- %%\nlocal c = 3\n\n-- %%\nfunction f()\n  return 1\nend\n";
	static const char b[] =
	    "-- %%\nfunction f()\n  return 1\nend\n\n-- %%\nlocal a = 1\n\n"
	    "-- %%\nlocal b = 2\nprint(b + 1)\n\n-- %%\nlocal c = 3\n\n"
	    "-- %%\nlocal d = 4\n";
	struct ndiff	*d = diff("n.nb.lua", a, b);

	assert_int_equal(d->ncells, 5);
	assert_int_equal(d->stats.added, 1);
	assert_int_equal(d->stats.removed, 0);
	assert_int_equal(d->stats.modified, 1);
	assert_int_equal(d->stats.moved, 1);
	assert_int_equal(d->stats.unchanged, 2);
	for (size_t k = 0; k < d->ncells; k++) {
		const struct ndiff_cellchange	*c = &d->cells[k];

		if (c->status == NDIFF_MOVED)
			assert_memory_equal(c->new->src, "function f()", 12);
		if (c->status == NDIFF_MODIFIED) {
			assert_memory_equal(c->new->src, "local b = 2", 11);
			assert_false(c->new->id_given);
		}
	}
	ndiff_free(d);

	/* Two written ids are two cells, however alike: never matched. */
	d = diff("n.nb.lua", "-- %% id=\"p\"\nx = 1\n",
	    "-- %% id=\"q\"\nx = 1\n");
	assert_int_equal(d->stats.added, 1);
	assert_int_equal(d->stats.removed, 1);
	ndiff_free(d);

	/* An id written later (galley fmt) matches the cell that had
	 * none: unchanged but for nothing at all. */
	d = diff("n.nb.lua", "-- %%\nx = 1\n", "-- %% id=\"q\"\nx = 1\n");
	assert_int_equal(d->stats.unchanged, 1);
	assert_true(ndiff_empty(d));
	ndiff_free(d);
}

static void
test_text_files(void **state)
{
	struct ndiff	*d;
	char		*t;

	d = diff("r.txt", "a\nb\nc\nd\ne\nf\ng\nh\ni\nj\n",
	    "a\nb\nc\nd\nE\nf\ng\nh\ni\nj\nk");
	assert_int_equal(d->format, NDIFF_TEXT);
	t = text_of(d, false);
	assert_string_equal(t,
	    "diff --galley a/r.txt b/r.txt\n"
	    "--- a/r.txt\n+++ b/r.txt\n"
	    "@@ -2,9 +2,10 @@\n"
	    " b\n c\n d\n-e\n+E\n f\n g\n h\n i\n j\n+k\n"
	    "\\ No newline at end of file\n");
	free(t);
	assert_int_equal(d->stats.lines_added, 2);
	assert_int_equal(d->stats.lines_removed, 1);
	ndiff_free(d);

	/* A new file, a deleted one. */
	{
		struct ndiff	*n = NULL;
		struct gl_err	 err;

		assert_int_equal(ndiff_new(NULL, NULL, 0, "new.txt", "x\n", 2,
		    &n, &err), 0);
		t = text_of(n, false);
		assert_non_null(strstr(t, "new file\n--- /dev/null\n"
		    "+++ b/new.txt\n@@ -0,0 +1,1 @@\n+x\n"));
		free(t);
		ndiff_free(n);
		assert_int_equal(ndiff_new("gone.nb.lua", "-- %% id=\"a\"\n"
		    "x\n", 13, NULL, NULL, 0, &n, &err), 0);
		assert_int_equal(n->format, NDIFF_NOTEBOOK);
		assert_int_equal(n->stats.removed, 1);
		ndiff_free(n);
		assert_int_equal(ndiff_new(NULL, NULL, 0, NULL, NULL, 0, &n,
		    &err), GL_EINVAL);
	}

	/* Binary. */
	{
		struct ndiff	*n = NULL;
		struct gl_err	 err;

		assert_int_equal(ndiff_new("p.png", "\x89PNG\0a", 6, "p.png",
		    "\x89PNG\0b", 6, &n, &err), 0);
		assert_int_equal(n->format, NDIFF_BINARY);
		assert_false(ndiff_empty(n));
		t = text_of(n, false);
		assert_non_null(strstr(t, "Binary files a/p.png and b/p.png "
		    "differ\n"));
		free(t);
		ndiff_free(n);
	}
}

static void
test_unparseable_notebook(void **state)
{
	struct ndiff	*d = diff("bad.nb.lua", "-- %% id=\"a\"\nx = 1\n",
	    "-- %% id=\"a\" tags=[oops\nx = 2\n");
	char		*t;

	assert_int_equal(d->format, NDIFF_TEXT);
	assert_non_null(d->warning);
	assert_non_null(strstr(d->warning, "bad.nb.lua:1:"));
	assert_non_null(strstr(d->warning, "compared as text"));
	t = text_of(d, false);
	assert_non_null(strstr(t, "note: bad.nb.lua:1:"));
	assert_non_null(strstr(t, "\n-x = 1\n"));
	assert_non_null(strstr(t, "\n+x = 2\n"));
	free(t);
	ndiff_free(d);
}

static void
test_json_shape(void **state)
{
	struct ndiff	*d = diff("a.nb.lua", nb_old, nb_new);
	json_t		*j = ndiff_json(d, 3), *cells, *c = NULL, *v;
	size_t		 i;

	assert_string_equal(json_string_value(json_object_get(j, "status")),
	    "modified");
	assert_string_equal(json_string_value(json_object_get(j, "format")),
	    "notebook");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(j,
	    "stats"), "cells_added")), 1);
	cells = json_object_get(j, "cells");
	assert_int_equal(json_array_size(cells), 6);
	json_array_foreach(cells, i, v)
		if (strcmp(json_string_value(json_object_get(v, "id")),
		    "by-day") == 0)
			c = v;
	assert_non_null(c);
	assert_string_equal(json_string_value(json_object_get(c, "status")),
	    "modified");
	assert_int_equal(json_integer_value(json_object_get(c, "old_index")),
	    2);
	assert_int_equal(json_integer_value(json_object_get(c, "new_index")),
	    1);
	/* metadata values are JSON values, not text. */
	v = json_array_get(json_object_get(c, "metadata"), 0);
	assert_string_equal(json_string_value(json_array_get(
	    json_object_get(v, "old"), 0)), "slow");
	/* A hunk with the removed and added line and their words. */
	v = json_array_get(json_object_get(c, "hunks"), 0);
	assert_int_equal(json_integer_value(json_object_get(v, "old_start")),
	    1);
	v = json_object_get(v, "lines");
	assert_string_equal(json_string_value(json_object_get(
	    json_array_get(v, 1), "op")), "-");
	assert_int_equal(json_integer_value(json_array_get(json_array_get(
	    json_object_get(json_array_get(v, 2), "words"), 0), 0)), 5);
	json_decref(j);
	ndiff_free(d);
}

static bool
keep_d(void *arg, const struct ndiff *d, const struct ndiff_cellchange *c)
{
	(void)arg;
	(void)d;
	return strcmp(c->new->id, "d") == 0;
}

/* The review mode's form: runs of unchanged cells folded to a count, but
 * a cell asked for kept whole. */
static void
test_json_fold(void **state)
{
	struct ndiff	*d = diff("f.nb.lua",
	    "-- %% id=\"a\"\na\n\n-- %% id=\"b\"\nb\n\n-- %% id=\"c\"\nc\n\n"
	    "-- %% id=\"d\"\nd\n\n-- %% id=\"e\"\ne\n",
	    "-- %% id=\"a\"\na\n\n-- %% id=\"b\"\nb\n\n-- %% id=\"c\"\nC\n\n"
	    "-- %% id=\"d\"\nd\n\n-- %% id=\"e\"\ne\n");
	json_t		*j = ndiff_json_fold(d, 3, NULL, NULL), *cells, *v;

	/* Without keep, every cell is there (as ndiff_json). */
	assert_int_equal(json_array_size(json_object_get(j, "cells")), 5);
	json_decref(j);
	j = ndiff_json_fold(d, 3, keep_d, NULL);
	cells = json_object_get(j, "cells");
	assert_int_equal(json_array_size(cells), 5 - 2 + 1 - 1 + 1);
	v = json_array_get(cells, 0);
	assert_string_equal(json_string_value(json_object_get(v, "status")),
	    "unchanged");
	assert_int_equal(json_integer_value(json_object_get(v, "count")), 2);
	v = json_array_get(cells, 1);
	assert_string_equal(json_string_value(json_object_get(v, "id")), "c");
	v = json_array_get(cells, 2);
	assert_string_equal(json_string_value(json_object_get(v, "id")), "d");
	assert_string_equal(json_string_value(json_object_get(v, "source")),
	    "d");
	v = json_array_get(cells, 3);
	assert_int_equal(json_integer_value(json_object_get(v, "count")), 1);
	assert_null(json_object_get(v, "id"));
	json_decref(j);
	ndiff_free(d);
}

/* A small nbformat 4.5 notebook with an image and a stream. */
static const char ipy_old[] =
    "{\"nbformat\": 4, \"nbformat_minor\": 5,"
    " \"metadata\": {\"kernelspec\": {\"name\": \"python3\"}},"
    " \"cells\": ["
    "  {\"cell_type\": \"markdown\", \"id\": \"m1\", \"metadata\": {},"
    "   \"source\": [\"# Title\\n\", \"text\"]},"
    "  {\"cell_type\": \"code\", \"id\": \"c1\", \"metadata\": {},"
    "   \"execution_count\": 1, \"source\": \"plot(x)\","
    "   \"outputs\": [{\"output_type\": \"display_data\", \"metadata\": {},"
    "     \"data\": {\"image/png\": \"iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAf"
    "FcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==\","
    "              \"text/plain\": [\"<Figure>\"]}}]},"
    "  {\"cell_type\": \"code\", \"id\": \"c2\","
    " \"metadata\": {\"tags\": [\"a\"]},"
    "   \"execution_count\": 2, \"source\": [\"print(1)\"],"
    "   \"outputs\": [{\"output_type\": \"stream\", \"name\": \"stdout\","
    "     \"text\": [\"1\\n\"]}]}"
    " ]}";

static const char ipy_new[] =
    "{\"nbformat\": 4, \"nbformat_minor\": 5,"
    " \"metadata\": {\"kernelspec\": {\"name\": \"python3\"}},"
    " \"cells\": ["
    "  {\"cell_type\": \"markdown\", \"id\": \"m1\", \"metadata\": {},"
    "   \"source\": [\"# Title\\n\", \"text\"]},"
    "  {\"cell_type\": \"code\", \"id\": \"c1\", \"metadata\": {},"
    "   \"execution_count\": 7, \"source\": \"plot(x)\","
    "   \"outputs\": [{\"output_type\": \"display_data\", \"metadata\": {},"
    "     \"data\": {\"image/png\": \"iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAf"
    "FcSJAAAADUlEQVR42mNk+P+/HgAFhAJ/wlseKgAAAABJRU5ErkJggg==\","
    "              \"text/plain\": [\"<Figure>\"]}}]},"
    "  {\"cell_type\": \"code\", \"id\": \"c2\","
    " \"metadata\": {\"tags\": [\"a\"]},"
    "   \"execution_count\": 8, \"source\": [\"print(2)\"],"
    "   \"outputs\": [{\"output_type\": \"stream\", \"name\": \"stdout\","
    "     \"text\": [\"2\\n\"]}]}"
    " ]}";

static void
test_ipynb(void **state)
{
	struct ipynb			*nb = NULL;
	struct gl_err			 err;
	struct ndiff			*d;
	const struct ndiff_cellchange	*c;
	char				*t;

	assert_int_equal(ipynb_parse(ipy_old, strlen(ipy_old), "o.ipynb", &nb,
	    &err), 0);
	assert_int_equal(nb->ncells, 3);
	assert_string_equal(nb->cells[0].src, "# Title\ntext");
	assert_true(nb->cells[1].id_given);
	assert_non_null(strstr(nb->cells[1].outputs, "[image/png] 70 B "
	    "sha:"));
	assert_non_null(strstr(nb->cells[1].outputs, "[text/plain] "
	    "<Figure>\n"));
	assert_string_equal(nb->cells[2].outputs, "[stdout] 1\n");
	assert_int_equal(nb->nmeta, 1);
	assert_string_equal(nb->meta[0].json, "{\"name\":\"python3\"}");
	ipynb_free(nb);

	d = diff("n.ipynb", ipy_old, ipy_new);
	assert_int_equal(d->format, NDIFF_IPYNB);
	assert_int_equal(cell(d, "m1")->status, NDIFF_UNCHANGED);
	/* Only the picture changed (execution_count is not a change). */
	c = cell(d, "c1");
	assert_int_equal(c->status, NDIFF_MODIFIED);
	assert_false(c->src_changed);
	assert_true(c->outputs_changed);
	c = cell(d, "c2");
	assert_true(c->src_changed);
	assert_true(c->outputs_changed);
	t = text_of(d, false);
	assert_non_null(strstr(t, "  outputs:\n"));
	assert_non_null(strstr(t, "  -[image/png] 70 B sha:"));
	assert_non_null(strstr(t, "  -[stdout] 1\n  +[stdout] 2\n"));
	assert_null(strstr(t, "iVBORw0KGgo"));	/* never the base64 */
	free(t);
	ndiff_free(d);

	/* Errors name the place. */
	assert_int_equal(ipynb_parse("{\"cells\": [", 11, "x.ipynb", &nb,
	    &err), GL_ESYNTAX);
	assert_non_null(strstr(err.msg, "x.ipynb:1:"));
	{
		const char *bad = "{\"nbformat\": 4, \"cells\": ["
		    "{\"cell_type\":"
		    " \"code\", \"source\": 3}]}";

		assert_int_equal(ipynb_parse(bad, strlen(bad), "y.ipynb", &nb,
		    &err), GL_ESYNTAX);
	}
	assert_non_null(strstr(err.msg, "y.ipynb: cell 1: source"));
	assert_int_equal(ipynb_parse("{\"nbformat\": 3, \"worksheets\": []}",
	    33, "z.ipynb", &nb, &err), GL_EUNSUPPORTED);
}

static void
test_ipynb_without_ids(void **state)
{
	/* nbformat 4.4: no ids; cells matched by content, a long output
	 * cut with a count and a hash. */
	static const char a[] = "{\"nbformat\": 4, \"nbformat_minor\": 4, "
	    "\"metadata\": {}, \"cells\": ["
	    "{\"cell_type\": \"code\", \"metadata\": {}, \"source\": \"a = 1\","
	    " \"outputs\": []},"
	    "{\"cell_type\": \"code\", \"metadata\": {}, \"source\": \"b = 2\","
	    " \"outputs\": [{\"output_type\": \"stream\", \"name\": \"stdout\","
	    " \"text\": \"1\\n2\\n3\\n4\\n5\\n\"}]}]}";
	static const char b[] = "{\"nbformat\": 4, \"nbformat_minor\": 4, "
	    "\"metadata\": {}, \"cells\": ["
	    "{\"cell_type\": \"code\", \"metadata\": {}, \"source\": \"b = 2\","
	    " \"outputs\": [{\"output_type\": \"stream\", \"name\": \"stdout\","
	    " \"text\": \"1\\n2\\n3\\n4\\n5\\n\"}]},"
	    "{\"cell_type\": \"code\", \"metadata\": {}, \"source\": \"a = 1\","
	    " \"outputs\": []}]}";
	struct ndiff	*d = diff("o.ipynb", a, b);

	assert_int_equal(d->stats.moved, 1);
	assert_int_equal(d->stats.unchanged, 1);
	for (size_t k = 0; k < d->ncells; k++)
		if (d->cells[k].new->outputs != NULL)
			assert_non_null(strstr(d->cells[k].new->outputs,
			    "[stdout] 3\n[stdout] ... 2 more lines sha:"));
	ndiff_free(d);
}

static void
add_cell(struct gl_buf *b, struct gl_rng *r, int id, bool with_id, int body)
{
	if (with_id)
		gl_buf_addf(b, "-- %%%% id=\"c%d\"\n", id);
	else
		gl_buf_adds(b, "-- %%\n");
	gl_buf_addf(b, "x%d = %d\ny = %d\n\n", body % 5, body,
	    (int)gl_rng_below(r, 3));
}

static void
test_random_accounting(void **state)
{
	struct gl_rng	 rng;
	uint64_t	 seed = rfix_seed();

	gl_rng_seed(&rng, seed);
	for (int round = 0; round < 300; round++) {
		struct gl_buf	 a, b;
		struct ndiff	*d;
		int		 n = (int)gl_rng_below(&rng, 12);
		int		 perm[12];
		bool		 ids = gl_rng_below(&rng, 2) == 0;
		size_t		*seen_a, *seen_b, na = 0, nb = 0, last = 0;

		gl_buf_init(&a);
		gl_buf_init(&b);
		for (int i = 0; i < n; i++)
			perm[i] = i;
		for (int i = n - 1; i > 0; i--) {
			int	 j = (int)gl_rng_below(&rng, (uint64_t)i + 1);
			int	 t;

			if (gl_rng_below(&rng, 3) != 0)
				continue;	/* mostly in place */
			t = perm[i];
			perm[i] = perm[j];
			perm[j] = t;
		}
		for (int i = 0; i < n; i++) {
			add_cell(&a, &rng, i, ids, i);
			na++;
		}
		for (int i = 0; i < n; i++) {
			int	 k = perm[i];

			if (gl_rng_below(&rng, 6) == 0)
				continue;	/* removed */
			add_cell(&b, &rng, k, ids, gl_rng_below(&rng, 4) == 0 ?
			    k + 100 : k);
			nb++;
			if (gl_rng_below(&rng, 6) == 0) {
				add_cell(&b, &rng, 1000 + i, ids, 1000 + i);
				nb++;
			}
		}
		d = diff("r.nb.lua", a.data != NULL ? a.data : "",
		    b.data != NULL ? b.data : "");
		seen_a = xcalloc(na + 1, sizeof *seen_a);
		seen_b = xcalloc(nb + 1, sizeof *seen_b);
		for (size_t k = 0; k < d->ncells; k++) {
			const struct ndiff_cellchange	*c = &d->cells[k];

			if (c->old != NULL)
				seen_a[c->old_index]++;
			if (c->new != NULL) {
				seen_b[c->new_index]++;
				/* New cells come in new order. */
				if (c->new_index < last)
					fail_msg("seed %llu round %d: out of "
					    "order", (unsigned long long)seed,
					    round);
				last = c->new_index;
			}
			if (c->old != NULL && c->new != NULL &&
			    c->old->id_given && c->new->id_given)
				assert_string_equal(c->old->id, c->new->id);
		}
		for (size_t i = 0; i < na; i++)
			if (seen_a[i] != 1)
				fail_msg("seed %llu round %d: old cell %zu "
				    "seen %zu times", (unsigned long long)seed,
				    round, i, seen_a[i]);
		for (size_t i = 0; i < nb; i++)
			if (seen_b[i] != 1)
				fail_msg("seed %llu round %d: new cell %zu "
				    "seen %zu times", (unsigned long long)seed,
				    round, i, seen_b[i]);
		free(seen_a);
		free(seen_b);
		ndiff_free(d);
		gl_buf_fini(&a);
		gl_buf_fini(&b);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_notebook_cells),
		cmocka_unit_test(test_unchanged_folded),
		cmocka_unit_test(test_cells_without_ids),
		cmocka_unit_test(test_text_files),
		cmocka_unit_test(test_unparseable_notebook),
		cmocka_unit_test(test_json_shape),
		cmocka_unit_test(test_json_fold),
		cmocka_unit_test(test_ipynb),
		cmocka_unit_test(test_ipynb_without_ids),
		cmocka_unit_test(test_random_accounting),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

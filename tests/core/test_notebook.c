/*
 * test_notebook.c - the notebook model and its text format (core/notebook.c):
 * byte-for-byte round trips over tests/fixtures/roundtrip/, the model a
 * parse gives, every syntax error with its line and column, mutators and
 * the canonical form, ids, source lines, and a randomized build / print /
 * reparse check (its seed is printed; GALLEY_SEED=N repeats a run).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/err.h"
#include "core/mem.h"
#include "core/notebook.h"
#include "core/util.h"

/* ------------------------------------------------------------------ */
/* Helpers                                                              */
/* ------------------------------------------------------------------ */

static struct nb_doc *
parse_n(const char *s, size_t n)
{
	struct nb_doc	*doc = NULL;
	struct gl_err	 err;
	int		 rc;

	gl_err_clear(&err);
	rc = nb_parse(s, n, "t.nb.lua", &doc, &err);
	if (rc != 0)
		fail_msg("parse failed: %s\n--- input ---\n%.*s", err.msg,
		    (int)n, s);
	assert_non_null(doc);
	return doc;
}

static struct nb_doc *
parse(const char *s)
{
	return parse_n(s, strlen(s));
}

/* nb_print() as a string the caller frees. */
static char *
print(const struct nb_doc *doc, size_t *lenp)
{
	struct gl_buf	 b;

	gl_buf_init(&b);
	nb_print(doc, &b);
	assert_non_null(b.data);
	return gl_buf_take(&b, lenp);
}

static void
assert_prints(const struct nb_doc *doc, const char *want)
{
	size_t	 n;
	char	*got = print(doc, &n);

	if (n != strlen(want) || memcmp(got, want, n) != 0)
		fail_msg("printed:\n[%s]\nwanted:\n[%s]", got, want);
	free(got);
}

static void
assert_roundtrip(const char *s, size_t n)
{
	struct nb_doc	*doc = parse_n(s, n);
	size_t		 m;
	char		*out = print(doc, &m);

	if (m != n || memcmp(out, s, n) != 0)
		fail_msg("round trip changed the bytes:\n[%.*s]\n->\n[%s]",
		    (int)n, s, out);
	free(out);
	nb_doc_free(doc);
}

static void
assert_source(const struct nb_cell *c, const char *want)
{
	size_t		 n;
	const char	*s = nb_cell_source(c, &n);

	assert_non_null(s);
	assert_int_equal(s[n], '\0');
	if (n != strlen(want) || memcmp(s, want, n) != 0)
		fail_msg("cell %s source [%.*s], wanted [%s]", nb_cell_id(c),
		    (int)n, s, want);
}

/* Parse fails with GL_ESYNTAX and exactly this message. */
static void
assert_error_n(const char *s, size_t n, const char *want)
{
	struct nb_doc	*doc = (struct nb_doc *)1;
	struct gl_err	 err;
	int		 rc;

	gl_err_clear(&err);
	rc = nb_parse(s, n, "t.nb.lua", &doc, &err);
	if (rc == 0)
		fail_msg("parsed, wanted error %s for:\n%.*s", want, (int)n, s);
	assert_int_equal(rc, GL_ESYNTAX);
	assert_int_equal(err.code, GL_ESYNTAX);
	assert_null(doc);
	if (strcmp(err.msg, want) != 0)
		fail_msg("error [%s], wanted [%s]", err.msg, want);
}

static void
assert_error(const char *s, const char *want)
{
	assert_error_n(s, strlen(s), want);
}

/* Error message starts with want (for jansson's wording after it). */
static void
assert_error_prefix(const char *s, const char *want)
{
	struct nb_doc	*doc = NULL;
	struct gl_err	 err;

	gl_err_clear(&err);
	assert_int_equal(nb_parse(s, strlen(s), "t.nb.lua", &doc, &err),
	    GL_ESYNTAX);
	assert_null(doc);
	if (strncmp(err.msg, want, strlen(want)) != 0)
		fail_msg("error [%s], wanted it to start [%s]", err.msg, want);
}

/* Same cells, ids, kinds, titles, sources, metadata (the id's place in
 * the marker aside: the canonical form writes it first). */
static void
assert_same_model(const struct nb_doc *a, const struct nb_doc *b,
    const char *what)
{
	if (nb_doc_count(a) != nb_doc_count(b))
		fail_msg("%s: %zu cells, then %zu", what, nb_doc_count(a),
		    nb_doc_count(b));
	for (size_t i = 0; i < nb_doc_count(a); i++) {
		const struct nb_cell	*x = nb_doc_cell(a, i);
		const struct nb_cell	*y = nb_doc_cell(b, i);
		size_t			 nx, ny, kx = 0, ky = 0;
		const char		*sx = nb_cell_source(x, &nx);
		const char		*sy = nb_cell_source(y, &ny);

		if (strcmp(nb_cell_id(x), nb_cell_id(y)) != 0)
			fail_msg("%s: cell %zu id %s, then %s", what, i,
			    nb_cell_id(x), nb_cell_id(y));
		if (nb_cell_kind(x) != nb_cell_kind(y) ||
		    nb_cell_is_header(x) != nb_cell_is_header(y))
			fail_msg("%s: cell %zu (%s) kind changed", what, i,
			    nb_cell_id(x));
		if (strcmp(nb_cell_title(x), nb_cell_title(y)) != 0)
			fail_msg("%s: cell %zu title [%s], then [%s]", what, i,
			    nb_cell_title(x), nb_cell_title(y));
		if (nx != ny || memcmp(sx, sy, nx) != 0)
			fail_msg("%s: cell %zu (%s) source\n[%.*s]\n"
			    "then\n[%.*s]", what, i, nb_cell_id(x), (int)nx,
			    sx, (int)ny, sy);
		if (nb_cell_meta_count(x) != nb_cell_meta_count(y))
			fail_msg("%s: cell %zu (%s) has %zu metadata, then %zu",
			    what, i, nb_cell_id(x), nb_cell_meta_count(x),
			    nb_cell_meta_count(y));
		for (;;) {
			const char	*kx_, *jx, *ky_, *jy;

			while (kx < nb_cell_meta_count(x)) {
				nb_cell_meta_at(x, kx, &kx_, &jx);
				if (strcmp(kx_, "id") != 0)
					break;
				kx++;
			}
			while (ky < nb_cell_meta_count(y)) {
				nb_cell_meta_at(y, ky, &ky_, &jy);
				if (strcmp(ky_, "id") != 0)
					break;
				ky++;
			}
			if (kx >= nb_cell_meta_count(x) ||
			    ky >= nb_cell_meta_count(y)) {
				assert_true(kx >= nb_cell_meta_count(x) &&
				    ky >= nb_cell_meta_count(y));
				break;
			}
			if (strcmp(kx_, ky_) != 0 || strcmp(jx, jy) != 0)
				fail_msg("%s: cell %zu (%s) metadata %s=%s, "
				    "then %s=%s", what, i, nb_cell_id(x), kx_,
				    jx, ky_, jy);
			kx++;
			ky++;
		}
	}
}

static char *
fixture_dir(void)
{
	const char	*src = getenv("GALLEY_SRC");
	char		*dir, *slash;

	if (src != NULL && *src != '\0')
		return xasprintf("%s/tests/fixtures/roundtrip", src);
	/* tests/core/test_notebook.c -> tests/fixtures/roundtrip */
	dir = xstrdup(__FILE__);
	if ((slash = strrchr(dir, '/')) != NULL)
		*slash = '\0';
	else
		strcpy(dir, ".");
	src = xasprintf("%s/../fixtures/roundtrip", dir);
	free(dir);
	return (char *)src;
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The fixture files' paths, sorted, NULL-terminated; caller frees. */
static char **
fixture_list(size_t *np)
{
	char		*dir = fixture_dir(), **v = NULL;
	size_t		 n = 0;
	DIR		*d = opendir(dir);
	struct dirent	*de;

	if (d == NULL)
		fail_msg("cannot open the fixture directory %s", dir);
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		v = xrealloc(v, (n + 2) * sizeof *v);
		v[n++] = xasprintf("%s/%s", dir, de->d_name);
	}
	closedir(d);
	free(dir);
	if (v == NULL)
		v = xmalloc(sizeof *v);
	v[n] = NULL;
	qsort(v, n, sizeof *v, name_cmp);
	*np = n;
	return v;
}

static void
fixture_free(char **v)
{
	for (char **p = v; *p != NULL; p++)
		free(*p);
	free(v);
}

static char *
slurp(const char *path, size_t *lenp)
{
	struct gl_err	 err;
	char		*buf;

	if (gl_file_read(path, &buf, lenp, &err) != 0)
		fail_msg("%s", err.msg);
	return buf;
}

/* nb_doc_source_line() agrees with where the printed text puts each
 * cell: reparse the print and read the marker lines back. */
static void
assert_source_lines(struct nb_doc *doc)
{
	size_t		 n;
	char		*text = print(doc, &n);
	struct nb_doc	*re = parse_n(text, n);

	assert_int_equal(nb_doc_count(re), nb_doc_count(doc));
	for (size_t i = 0; i < nb_doc_count(doc); i++) {
		const struct nb_cell	*c = nb_doc_cell(re, i);
		unsigned		 want = nb_cell_is_header(c) ? 1 :
		    nb_cell_line(c) + 1;

		if (nb_doc_source_line(doc, i) != want)
			fail_msg("cell %zu: source line %u, the print has "
			    "it on %u\n%s", i, nb_doc_source_line(doc, i), want,
			    text);
	}
	nb_doc_free(re);
	free(text);
}

/* ------------------------------------------------------------------ */
/* Round trip                                                           */
/* ------------------------------------------------------------------ */

static void
test_corpus_roundtrip(void **state)
{
	size_t	 n;
	char	**files = fixture_list(&n);

	(void)state;
	/* The corpus is the point: make sure it is there. */
	assert_true(n >= 15);
	for (char **f = files; *f != NULL; f++) {
		size_t		 len, l1, l2;
		char		*buf = slurp(*f, &len), *out, *y1, *y2;
		struct nb_doc	*doc, *d2, *d3;
		struct gl_err	 err;

		gl_err_clear(&err);
		if (nb_parse(buf, len, *f, &doc, &err) != 0)
			fail_msg("%s does not parse: %s", *f, err.msg);
		out = print(doc, &l1);
		if (l1 != len || memcmp(out, buf, len) != 0)
			fail_msg("%s: print(parse(x)) != x:\n[%s]", *f, out);
		free(out);
		assert_source_lines(doc);

		/* The canonical form parses to the same model and is a
		 * fixed point of normalize. */
		nb_doc_normalize(doc);
		y1 = print(doc, &l1);
		d2 = parse_n(y1, l1);
		assert_same_model(doc, d2, *f);
		assert_int_equal(nb_doc_crlf(doc), nb_doc_crlf(d2));
		assert_int_equal(nb_doc_assign_ids(d2), 0);
		d3 = nb_doc_clone(d2);
		nb_doc_normalize(d2);
		y2 = print(d2, &l2);
		if (l1 != l2 || memcmp(y1, y2, l1) != 0)
			fail_msg("%s: normalize is not a fixed point:\n"
			    "[%s]\n->\n[%s]", *f, y1, y2);
		free(y2);
		/* The clone was not normalized: it prints the bytes. */
		y2 = print(d3, &l2);
		assert_int_equal(l1, l2);
		assert_memory_equal(y1, y2, l1);
		free(y2);
		assert_source_lines(doc);
		nb_doc_free(d3);
		nb_doc_free(d2);
		nb_doc_free(doc);
		free(y1);
		free(buf);
	}
	fixture_free(files);
}

static void
test_roundtrip_inline(void **state)
{
	static const char *const cases[] = {
		"",
		"\n",
		"\r\n",
		"\r",
		"x",
		"-- %%",
		"-- %%\n",
		"-- %%\r\n\r\n",
		"-- %% id=\"a\"\n-- %% id=\"b\"",
		"\xef\xbb\xbf",
		"\xef\xbb\xbf-- %%",
		"x\r\r\n-- %% id=\"a\"\r\r\ny\r",
		"-- %% [markdown]\n--\n--\n",
		"-- %%   \t  \n\t\n  \n",
		"-- %% id=\"a\"\t\tt=1\t\n",
		"a\n\n\n-- %%\n\n\n-- %%\n\n\n",
		"-- %% [raw]\nnot prefixed\n",
		"local s = [[\n-- %% x\n",	/* never closed */
		"x = 'open\n-- %% id=\"a\"\n",
	};

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		assert_roundtrip(cases[i], strlen(cases[i]));
}

/* ------------------------------------------------------------------ */
/* The model a parse gives                                              */
/* ------------------------------------------------------------------ */

static void
test_design_example(void **state)
{
	struct nb_doc	*doc = parse(
	    "-- %% [markdown] id=\"intro\"\n"
	    "-- # Trips by day\n"
	    "-- Reads the trips table and sums fares per day.\n"
	    "\n"
	    "-- %% id=\"load\"\n"
	    "local trips = frame.read_csv(\"data/trips.csv\")\n"
	    "trips:head(5)\n"
	    "\n"
	    "-- %% id=\"by-day\" tags=[\"slow\"]\n"
	    "local by_day = trips:groupby(\"day\"):agg{ fare = \"sum\" }\n"
	    "plot.bar(by_day.day, by_day.fare)\n");
	struct nb_cell	*c;
	size_t		 idx;

	(void)state;
	assert_int_equal(nb_doc_count(doc), 3);
	assert_false(nb_doc_crlf(doc));
	c = nb_doc_cell(doc, 0);
	assert_string_equal(nb_cell_id(c), "intro");
	assert_int_equal(nb_cell_kind(c), NB_MARKDOWN);
	assert_false(nb_cell_is_header(c));
	assert_string_equal(nb_cell_title(c), "");
	assert_source(c, "# Trips by day\nReads the trips table and sums "
	    "fares per day.");
	assert_int_equal(nb_cell_line(c), 1);
	assert_int_equal(nb_doc_source_line(doc, 0), 2);

	c = nb_doc_find(doc, "load", &idx);
	assert_non_null(c);
	assert_int_equal(idx, 1);
	assert_int_equal(nb_cell_kind(c), NB_CODE);
	assert_source(c, "local trips = frame.read_csv(\"data/trips.csv\")\n"
	    "trips:head(5)");
	assert_int_equal(nb_cell_line(c), 5);
	assert_int_equal(nb_doc_source_line(doc, 1), 6);

	c = nb_doc_find(doc, "by-day", &idx);
	assert_int_equal(idx, 2);
	assert_string_equal(nb_cell_meta(c, "tags"), "[\"slow\"]");
	assert_string_equal(nb_cell_meta(c, "id"), "\"by-day\"");
	assert_int_equal(nb_cell_meta_count(c), 2);
	assert_true(nb_cell_has_tag(c, "slow"));
	assert_false(nb_cell_has_tag(c, "fast"));
	assert_false(nb_cell_has_tag(nb_doc_cell(doc, 0), "slow"));
	assert_int_equal(nb_doc_source_line(doc, 2), 10);
	assert_null(nb_doc_find(doc, "nope", NULL));
	assert_null(nb_doc_cell(doc, 3));
	assert_int_equal(nb_doc_source_line(doc, 3), 0);
	nb_doc_free(doc);
}

static void
test_header_cell(void **state)
{
	struct nb_doc	*doc, *again;
	struct nb_cell	*c;

	(void)state;
	/* Empty file: zero cells. */
	doc = parse("");
	assert_int_equal(nb_doc_count(doc), 0);
	assert_prints(doc, "");
	nb_doc_free(doc);

	/* No markers: one header cell, code. */
	doc = parse("local x = 1\nprint(x)\n\n");
	assert_int_equal(nb_doc_count(doc), 1);
	c = nb_doc_cell(doc, 0);
	assert_true(nb_cell_is_header(c));
	assert_int_equal(nb_cell_kind(c), NB_CODE);
	assert_source(c, "local x = 1\nprint(x)");
	assert_int_equal(nb_cell_line(c), 1);
	assert_int_equal(nb_doc_source_line(doc, 0), 1);
	assert_int_equal(strlen(nb_cell_id(c)), 8);
	assert_true(nb_cell_id_generated(c));	/* no marker to hold it */
	/* Its id is the same in every parse, even after its text changed. */
	again = parse("-- pinned libraries\n\n-- %% id=\"a\"\nx = 1\n");
	assert_string_equal(nb_cell_id(nb_doc_cell(again, 0)), nb_cell_id(c));
	assert_true(nb_cell_is_header(nb_doc_cell(again, 0)));
	assert_source(nb_doc_cell(again, 0), "-- pinned libraries");
	assert_false(nb_cell_is_header(nb_doc_cell(again, 1)));
	assert_int_equal(nb_doc_source_line(again, 1), 4);
	nb_doc_free(again);
	nb_doc_free(doc);

	/* Blank lines before the first marker are a header with no source. */
	doc = parse("\n\n-- %% id=\"a\"\nx\n");
	assert_int_equal(nb_doc_count(doc), 2);
	assert_true(nb_cell_is_header(nb_doc_cell(doc, 0)));
	assert_source(nb_doc_cell(doc, 0), "");
	assert_int_equal(nb_doc_source_line(doc, 1), 4);
	nb_doc_normalize(doc);
	assert_prints(doc, "\n-- %% id=\"a\"\nx\n");
	nb_doc_free(doc);

	/* A marker on line 1: no header. */
	doc = parse("-- %% id=\"a\"\n");
	assert_false(nb_cell_is_header(nb_doc_cell(doc, 0)));
	assert_source(nb_doc_cell(doc, 0), "");
	nb_doc_free(doc);

	/* The header cannot hold a title or metadata, nor change kind. */
	doc = parse("x = 1\n");
	c = nb_doc_cell(doc, 0);
	nb_cell_set_title(c, "ignored");
	assert_string_equal(nb_cell_title(c), "");
	assert_int_equal(nb_cell_set_meta(c, "k", "1", NULL), GL_EINVAL);
	assert_int_equal(nb_cell_set_kind(c, NB_MARKDOWN, NULL), GL_EINVAL);
	assert_prints(doc, "x = 1\n");
	assert_int_equal(nb_doc_assign_ids(doc), 0);
	assert_prints(doc, "x = 1\n");
	nb_cell_set_source(c, "y = 2", 5);
	assert_prints(doc, "y = 2\n");
	nb_cell_set_source(c, "", 0);
	assert_prints(doc, "\n");
	nb_doc_free(doc);
}

static void
test_marker_rules(void **state)
{
	struct nb_doc	*doc;

	(void)state;
	/* Only "-- %%" at column 1, followed by the end, a space or a tab. */
	doc = parse("-- %% id=\"a\"\n"
	    " -- %% leading space\n"
	    "\t-- %% leading tab\n"
	    "--  %% two spaces\n"
	    "--%% none\n"
	    "-- %%% three\n"
	    "-- %%[markdown]\n"
	    "-- %%\tid=\"b\"\n"
	    "-- %%\n"
	    "-- %%  [raw]  \n");
	assert_int_equal(nb_doc_count(doc), 4);
	assert_source(nb_doc_cell(doc, 0), " -- %% leading space\n"
	    "\t-- %% leading tab\n--  %% two spaces\n--%% none\n"
	    "-- %%% three\n-- %%[markdown]");
	assert_string_equal(nb_cell_id(nb_doc_cell(doc, 1)), "b");
	assert_int_equal(nb_cell_kind(nb_doc_cell(doc, 2)), NB_CODE);
	assert_int_equal(nb_cell_kind(nb_doc_cell(doc, 3)), NB_RAW);
	assert_string_equal(nb_cell_title(nb_doc_cell(doc, 3)), "");
	nb_doc_free(doc);

	/* Kind, title and metadata with odd spacing. */
	doc = parse("-- %%   [markdown]  title  with  spaces  id=\"a\"  "
	    "tags=[\"x\"]  \n-- body\n");
	assert_int_equal(nb_cell_kind(nb_doc_cell(doc, 0)), NB_MARKDOWN);
	assert_string_equal(nb_cell_title(nb_doc_cell(doc, 0)),
	    "title  with  spaces");
	assert_string_equal(nb_cell_id(nb_doc_cell(doc, 0)), "a");
	assert_true(nb_cell_has_tag(nb_doc_cell(doc, 0), "x"));
	assert_source(nb_doc_cell(doc, 0), "body");
	nb_doc_free(doc);

	/* A kind word must stand alone; "[code]" names code explicitly. */
	doc = parse("-- %% [markdown]x id=\"a\"\n"
	    "-- %% [code] [raw] t id=\"b\"\n"
	    "-- %% [Markdown] id=\"c\"\n");
	assert_int_equal(nb_cell_kind(nb_doc_cell(doc, 0)), NB_CODE);
	assert_string_equal(nb_cell_title(nb_doc_cell(doc, 0)), "[markdown]x");
	assert_int_equal(nb_cell_kind(nb_doc_cell(doc, 1)), NB_CODE);
	assert_string_equal(nb_cell_title(nb_doc_cell(doc, 1)), "[raw] t");
	assert_string_equal(nb_cell_title(nb_doc_cell(doc, 2)), "[Markdown]");
	nb_doc_free(doc);

	/* Unicode titles and JSON values as written. */
	doc = parse("-- %% Données 数据 🚀 id=\"u\" "
	    "note=\"caf\\u00e9 ✓\" n=1.50\n");
	assert_string_equal(nb_cell_title(nb_doc_cell(doc, 0)),
	    "Données 数据 🚀");
	assert_string_equal(nb_cell_meta(nb_doc_cell(doc, 0), "note"),
	    "\"caf\\u00e9 ✓\"");
	assert_string_equal(nb_cell_meta(nb_doc_cell(doc, 0), "n"), "1.50");
	assert_null(nb_cell_meta(nb_doc_cell(doc, 0), "missing"));
	nb_doc_free(doc);

	/* An escaped id is decoded; its JSON is kept as written. */
	doc = parse("-- %% id=\"a\\u0062c\"\n");
	assert_string_equal(nb_cell_id(nb_doc_cell(doc, 0)), "abc");
	assert_string_equal(nb_cell_meta(nb_doc_cell(doc, 0), "id"),
	    "\"a\\u0062c\"");
	nb_doc_normalize(doc);
	assert_string_equal(nb_cell_meta(nb_doc_cell(doc, 0), "id"),
	    "\"abc\"");
	assert_prints(doc, "-- %% id=\"abc\"\n");
	nb_doc_free(doc);
}

static void
test_separator_and_source(void **state)
{
	struct nb_doc	*doc;

	(void)state;
	doc = parse("-- %% id=\"a\"\n\n\nx = 1\n  \n\ny = 2\t\n\n\n\n"
	    "-- %% id=\"b\"\n\n\n"
	    "-- %% id=\"c\"\nlast\n\n\n");
	/* Leading blank lines and blank lines inside belong to the source;
	 * trailing ones are the separator. Spaces make a line non-empty. */
	assert_source(nb_doc_cell(doc, 0), "\n\nx = 1\n  \n\ny = 2\t");
	assert_source(nb_doc_cell(doc, 1), "");
	assert_source(nb_doc_cell(doc, 2), "last");
	assert_int_equal(nb_doc_source_line(doc, 0), 2);
	assert_int_equal(nb_doc_source_line(doc, 1), 12);
	assert_int_equal(nb_doc_source_line(doc, 2), 15);
	nb_doc_normalize(doc);
	assert_prints(doc, "-- %% id=\"a\"\n\n\nx = 1\n  \n\ny = 2\t\n\n"
	    "-- %% id=\"b\"\n\n"
	    "-- %% id=\"c\"\nlast\n");
	assert_source_lines(doc);
	nb_doc_free(doc);

	/* Markdown: "-- " and "--" stripped, other lines kept as written;
	 * an empty line inside is stored as "--". */
	doc = parse("-- %% [markdown] id=\"m\"\n-- # T\n--\n-- a  \n\nplain\n"
	    "--x\n--\n\n\n");
	assert_source(nb_doc_cell(doc, 0), "# T\n\na  \n\nplain\n--x\n");
	nb_doc_normalize(doc);
	assert_prints(doc, "-- %% [markdown] id=\"m\"\n-- # T\n--\n-- a  \n"
	    "--\n-- plain\n-- --x\n--\n");
	nb_doc_free(doc);

	/* A markdown body of one "--" line is source "", as no line is. */
	doc = parse("-- %% [markdown] id=\"m\"\n--\n\n-- %% id=\"c\"\nx\n");
	assert_source(nb_doc_cell(doc, 0), "");
	assert_false(nb_cell_changed(nb_doc_cell(doc, 0)));
	nb_cell_mark_changed(nb_doc_cell(doc, 0));
	assert_true(nb_cell_changed(nb_doc_cell(doc, 0)));
	assert_false(nb_cell_changed(nb_doc_cell(doc, 1)));
	assert_prints(doc, "-- %% [markdown] id=\"m\"\n\n-- %% id=\"c\"\nx\n");
	assert_source_lines(doc);
	nb_doc_free(doc);

	/* A markdown or raw line starting with "%%" (after any backslashes)
	 * is stored with one more backslash, so it never reads as a marker. */
	doc = parse("-- %% [markdown] id=\"m\"\n-- \\%% not a marker\n"
	    "-- \\\\%%x\n-- %%y\n%% bare\n-- \\x\n");
	assert_int_equal(nb_doc_count(doc), 1);
	assert_source(nb_doc_cell(doc, 0), "%% not a marker\n\\%%x\n%%y\n"
	    "%% bare\n\\x");
	nb_doc_normalize(doc);
	assert_prints(doc, "-- %% [markdown] id=\"m\"\n-- \\%% not a marker\n"
	    "-- \\\\%%x\n-- \\%%y\n-- \\%% bare\n-- \\x\n");
	nb_cell_set_source(nb_doc_cell(doc, 0), "%%\n%% x\n\\%%", 11);
	assert_int_equal(nb_cell_set_kind(nb_doc_cell(doc, 0), NB_RAW, NULL),
	    0);
	assert_prints(doc, "-- %% [raw] id=\"m\"\n-- \\%%\n-- \\%% x\n"
	    "-- \\\\%%\n");
	assert_source_lines(doc);
	nb_doc_free(doc);
}

static void
test_line_endings(void **state)
{
	struct nb_doc	*doc;
	struct nb_cell	*c;

	(void)state;
	doc = parse("-- %% id=\"a\"\r\nx = 1\r\ny = 2\r\n\r\n"
	    "-- %% [markdown] id=\"b\"\r\n-- t\r\n--\r\n-- u\r\n");
	assert_true(nb_doc_crlf(doc));
	assert_source(nb_doc_cell(doc, 0), "x = 1\ny = 2");
	assert_source(nb_doc_cell(doc, 1), "t\n\nu");
	c = nb_doc_insert(doc, 2, NB_CODE, "c", "p()\nq()", 7, NULL, NULL);
	assert_non_null(c);
	assert_prints(doc, "-- %% id=\"a\"\r\nx = 1\r\ny = 2\r\n\r\n"
	    "-- %% [markdown] id=\"b\"\r\n-- t\r\n--\r\n-- u\r\n\r\n"
	    "-- %% id=\"c\"\r\np()\r\nq()\r\n");
	nb_doc_free(doc);

	/* Mixed: the first line ending decides; '\r' runs before '\n' are
	 * line endings, a lone '\r' inside a line is text. */
	doc = parse("-- %% id=\"a\"\nx\r\ny\r\r\nz = \"a\rb\"\r");
	assert_false(nb_doc_crlf(doc));
	assert_source(nb_doc_cell(doc, 0), "x\ny\nz = \"a\rb\"");
	nb_cell_set_title(nb_doc_cell(doc, 0), "t");
	assert_prints(doc, "-- %% t id=\"a\"\nx\ny\nz = \"a\rb\"\n");
	nb_doc_free(doc);

	/* No final newline: kept; a cell added after it gets a break and a
	 * blank line first. */
	doc = parse("-- %% id=\"a\"\nreturn x");
	assert_source(nb_doc_cell(doc, 0), "return x");
	assert_non_null(nb_doc_insert(doc, 1, NB_CODE, "b", "y", 1, NULL,
	    NULL));
	assert_prints(doc, "-- %% id=\"a\"\nreturn x\n\n-- %% id=\"b\"\ny\n");
	assert_source_lines(doc);
	nb_doc_free(doc);

	/* A BOM is kept in front, even when the first cell goes. */
	doc = parse("\xef\xbb\xbf-- %% id=\"a\"\nx\n\n-- %% id=\"b\"\ny\n");
	assert_int_equal(nb_doc_count(doc), 2);
	assert_string_equal(nb_cell_id(nb_doc_cell(doc, 0)), "a");
	assert_int_equal(nb_doc_remove(doc, 0, NULL), 0);
	assert_prints(doc, "\xef\xbb\xbf-- %% id=\"b\"\ny\n");
	nb_doc_free(doc);
	doc = parse("\xef\xbb\xbfheader\n");
	assert_source(nb_doc_cell(doc, 0), "header");
	nb_doc_free(doc);
}

static void
test_long_brackets(void **state)
{
	struct nb_doc	*doc;

	(void)state;
	doc = parse("-- %% id=\"a\"\n"
	    "s = [[\n-- %% in a long string\n]]\n"
	    "t = [==[\n]] ]=] ]===]\n-- %% still in\n]==]\n"
	    "--[[\n-- %% in a long comment\n]]\n"
	    "--[=[\n]]\n-- %% still\n]=]\n"
	    "-- %% id=\"b\"\n"
	    "u = \"[[\" v = '--[[' -- [[ line comment\n"
	    "-- %% id=\"c\"\n"
	    "w = \"a \\\" [[\"\n"
	    "-- %% id=\"d\"\n"
	    "x = \"cont\\\n-- %% continued string\"\n"
	    "y = \"z\\z\n\n-- %% skipped by \\\\z\"\n"
	    "z = \"unfinished\n"
	    "-- %% id=\"e\"\n"
	    "a[b[1]] = 1\n"
	    "-- %% id=\"f\"\n");
	assert_int_equal(nb_doc_count(doc), 6);
	assert_source(nb_doc_cell(doc, 0),
	    "s = [[\n-- %% in a long string\n]]\n"
	    "t = [==[\n]] ]=] ]===]\n-- %% still in\n]==]\n"
	    "--[[\n-- %% in a long comment\n]]\n"
	    "--[=[\n]]\n-- %% still\n]=]");
	assert_source(nb_doc_cell(doc, 1),
	    "u = \"[[\" v = '--[[' -- [[ line comment");
	assert_source(nb_doc_cell(doc, 2), "w = \"a \\\" [[\"");
	assert_string_equal(nb_cell_id(nb_doc_cell(doc, 3)), "d");
	assert_string_equal(nb_cell_id(nb_doc_cell(doc, 4)), "e");
	assert_string_equal(nb_cell_id(nb_doc_cell(doc, 5)), "f");
	nb_doc_free(doc);

	/* A long string left open runs to the end of the file. */
	doc = parse("-- %% id=\"a\"\ns = [=[\n-- %% id=\"b\"\n]]\n");
	assert_int_equal(nb_doc_count(doc), 1);
	nb_doc_free(doc);

	/* Markdown and raw lines are text: no long brackets there. */
	doc = parse("-- %% [markdown] id=\"a\"\n--[[\n-- %% id=\"b\"\nx\n");
	assert_int_equal(nb_doc_count(doc), 2);
	nb_doc_free(doc);

	/* A first line starting with '#' is skipped, as Lua does. */
	doc = parse("#!/usr/bin/lua [[\n-- %% id=\"a\"\n");
	assert_int_equal(nb_doc_count(doc), 2);
	nb_doc_free(doc);
	doc = parse("x = 1 #[[\n-- %% id=\"a\"\n");
	assert_int_equal(nb_doc_count(doc), 1);
	nb_doc_free(doc);
}

/* ------------------------------------------------------------------ */
/* Errors                                                               */
/* ------------------------------------------------------------------ */

static void
test_errors(void **state)
{
	char	 big[200];

	(void)state;
	assert_error_prefix("-- %% id=\"a\"\nx\n-- %% id=\"b\" tags=[1,\n",
	    "t.nb.lua:3:19: bad JSON in metadata \"tags\": ");
	assert_error_prefix("-- %% id=\"a\" n=01\n",
	    "t.nb.lua:1:16: bad JSON in metadata \"n\": ");
	assert_error_prefix("-- %% id=\"a\" s='x'\n",
	    "t.nb.lua:1:16: bad JSON in metadata \"s\": ");
	assert_error_prefix("-- %% id=\"a\" s=\"unterminated\n",
	    "t.nb.lua:1:16: bad JSON in metadata \"s\": ");
	/* Columns count characters, not bytes. */
	assert_error_prefix("-- %% 数据 id=\"a\" x=tru\n",
	    "t.nb.lua:1:19: bad JSON in metadata \"x\": ");
	assert_error("-- %% id=\n", "t.nb.lua:1:10: metadata \"id\" has no "
	    "value");
	assert_error("-- %% id=\"a\" tags= [1]\n", "t.nb.lua:1:19: metadata "
	    "\"tags\" has no value");
	assert_error("-- %% id=\"a\"x=1\n", "t.nb.lua:1:13: expected a space "
	    "after the value of metadata \"id\"");
	assert_error("-- %% id=\"a\" n=4x\n", "t.nb.lua:1:17: expected a space "
	    "after the value of metadata \"n\"");
	assert_error("-- %% title id=\"a\" stray\n", "t.nb.lua:1:20: expected "
	    "key=value metadata after the title");
	assert_error("-- %% id=\"a\" x=1 x=2\n", "t.nb.lua:1:18: duplicate "
	    "metadata key \"x\"");
	assert_error("-- %% id=\"a\"\nx = 1\n\n-- %% t\tid=\"a\"\n",
	    "t.nb.lua:4:12: duplicate cell id \"a\" (also on line 1)");
	assert_error("-- %% id=5\n", "t.nb.lua:1:10: cell id must be a JSON "
	    "string");
	assert_error("-- %% id=[\"a\"]\n", "t.nb.lua:1:10: cell id must be a "
	    "JSON string");
	assert_error("-- %% id=\"\"\n", "t.nb.lua:1:10: empty cell id");
	assert_error("-- %% id=\"a b\"\n", "t.nb.lua:1:10: cell id \"a b\" may "
	    "hold only letters, digits, '-', '_' and '.'");
	assert_error("-- %% id=\"a/b\"\n", "t.nb.lua:1:10: cell id \"a/b\" may "
	    "hold only letters, digits, '-', '_' and '.'");
	assert_error("-- %% id=\"\\u00e9\"\n", "t.nb.lua:1:10: cell id "
	    "\"\\u00e9\" may hold only letters, digits, '-', '_' and '.'");
	snprintf(big, sizeof big, "-- %%%% id=\"%.*s\"\n", NB_ID_MAX + 1,
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaa");
	assert_error(big, "t.nb.lua:1:10: cell id is longer than 64 bytes");
	snprintf(big, sizeof big, "-- %%%% id=\"%.*s\"\n", NB_ID_MAX,
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaa");
	assert_roundtrip(big, strlen(big));
	/* Invalid UTF-8 and NUL name their line and character column. */
	assert_error("-- %% id=\"a\"\nx = 1\ns = \"é\xff\"\n",
	    "t.nb.lua:3:7: invalid UTF-8");
	assert_error("\xef\xbb\xbfx\xc3\x28\n", "t.nb.lua:1:2: invalid UTF-8");
	assert_error("ok\n\xed\xa0\x80\n", "t.nb.lua:2:1: invalid UTF-8");
	assert_error("x = 1\nab\xe2\x82", "t.nb.lua:2:3: invalid UTF-8");
	assert_error_n("x\n12\0\n", 6, "t.nb.lua:2:3: NUL byte (a notebook is "
	    "text)");
	/* Many keys on one marker: still found twice, still linear. */
	{
		struct gl_buf	 b;
		struct nb_doc	*doc;
		char		*want;

		gl_buf_init(&b);
		gl_buf_adds(&b, "-- %% id=\"a\"");
		for (int i = 0; i < 20000; i++)
			gl_buf_addf(&b, " k%d=%d", i, i);
		gl_buf_adds(&b, "\n");
		doc = parse_n(b.data, b.len);
		assert_int_equal(nb_cell_meta_count(nb_doc_cell(doc, 0)), 20001);
		assert_string_equal(nb_cell_meta(nb_doc_cell(doc, 0), "k19999"),
		    "19999");
		nb_doc_free(doc);
		b.len--;
		gl_buf_adds(&b, " k7=1\n");
		want = xasprintf("t.nb.lua:1:%zu: duplicate metadata key \"k7\"",
		    b.len - 4);
		assert_error_n(b.data, b.len, want);
		free(want);
		gl_buf_fini(&b);
	}
	/* Errors only in markers: a code line may say anything. */
	{
		static const char	 t[] =
		    "x = 1 -- id=\"a\" tags=[ oops\n-- %%x=1\n";

		assert_roundtrip(t, strlen(t));
	}
}

/* ------------------------------------------------------------------ */
/* Mutators                                                             */
/* ------------------------------------------------------------------ */

static const char odd_text[] =
    "-- header  \n\n"
    "-- %%   [markdown]  Intro  id=\"m\"  tags=[\"x\"] \n"
    "-- # T\n\n\n"
    "-- %%\tid=\"c\"\textra={ \"a\" : 1 }\n"
    "x = 1   \n\n\n"
    "-- %% id=\"d\"\n"
    "y = 2";

static void
test_mutators_canonical(void **state)
{
	struct nb_doc	*doc = parse(odd_text);
	struct nb_cell	*c;
	struct gl_err	 err;

	(void)state;
	/* Setting what a cell holds changes nothing. */
	c = nb_doc_find(doc, "c", NULL);
	nb_cell_set_source(c, "x = 1   ", 8);
	assert_int_equal(nb_cell_set_kind(c, NB_CODE, NULL), 0);
	nb_cell_set_title(c, "");
	assert_int_equal(nb_cell_set_meta(c, "extra", "{ \"a\" : 1 }", NULL),
	    0);
	assert_int_equal(nb_cell_set_meta(c, "absent", NULL, NULL), 0);
	assert_prints(doc, odd_text);

	/* A changed cell prints canonically; the others keep their bytes. */
	nb_cell_set_source(c, "x = 2", 5);
	assert_source(c, "x = 2");
	assert_prints(doc, "-- header  \n\n"
	    "-- %%   [markdown]  Intro  id=\"m\"  tags=[\"x\"] \n"
	    "-- # T\n\n\n"
	    "-- %% id=\"c\" extra={ \"a\" : 1 }\n"
	    "x = 2\n\n"
	    "-- %% id=\"d\"\n"
	    "y = 2");

	/* Kind: markdown lines go behind "-- ", empty ones are "--". */
	c = nb_doc_find(doc, "d", NULL);
	nb_cell_set_source(c, "# Head\n\ntext", 12);
	assert_int_equal(nb_cell_set_kind(c, NB_MARKDOWN, &err), 0);
	assert_int_equal(nb_cell_kind(c), NB_MARKDOWN);
	assert_int_equal(nb_cell_set_kind(c, (enum nb_kind)7, &err),
	    GL_EINVAL);
	/* Title and metadata: id first, then the rest in their order. */
	c = nb_doc_find(doc, "m", NULL);
	nb_cell_set_title(c, "New  title");
	assert_int_equal(nb_cell_set_meta(c, "owner", "\"ana\"", &err), 0);
	assert_int_equal(nb_cell_set_meta(c, "tags", "[\"x\", \"y\"]", &err),
	    0);
	assert_true(nb_cell_has_tag(c, "y"));
	assert_prints(doc, "-- header  \n\n"
	    "-- %% [markdown] New  title id=\"m\" tags=[\"x\", \"y\"] "
	    "owner=\"ana\"\n"
	    "-- # T\n\n"
	    "-- %% id=\"c\" extra={ \"a\" : 1 }\n"
	    "x = 2\n\n"
	    "-- %% [markdown] id=\"d\"\n"
	    "-- # Head\n--\n-- text\n");
	assert_source_lines(doc);

	/* Removing metadata; the id stays. */
	assert_int_equal(nb_cell_set_meta(c, "tags", NULL, &err), 0);
	assert_null(nb_cell_meta(c, "tags"));
	assert_int_equal(nb_cell_meta_count(c), 2);
	assert_int_equal(nb_cell_set_meta(c, "id", "\"z\"", &err), GL_EPERM);
	assert_int_equal(nb_cell_set_meta(c, "id", NULL, &err), GL_EPERM);
	assert_int_equal(nb_cell_set_meta(c, "bad key", "1", &err), GL_EINVAL);
	assert_int_equal(nb_cell_set_meta(c, "1x", "1", &err), GL_EINVAL);
	assert_int_equal(nb_cell_set_meta(c, "", "1", &err), GL_EINVAL);
	assert_int_equal(nb_cell_set_meta(c, "k", "[1,", &err), GL_ESYNTAX);
	assert_non_null(strstr(err.msg, "metadata \"k\""));
	assert_int_equal(nb_cell_set_meta(c, "k", "1 2", &err), GL_ESYNTAX);
	assert_int_equal(nb_cell_set_meta(c, "k", "", &err), GL_ESYNTAX);
	/* Multi-line JSON goes on the marker line. */
	assert_int_equal(nb_cell_set_meta(c, "cfg", "\n{\"a\":\r\n [1,\n2]}\n ",
	    &err), 0);
	assert_string_equal(nb_cell_meta(c, "cfg"), "{\"a\":   [1, 2]}");
	assert_string_equal(nb_cell_meta(c, "id"), "\"m\"");
	nb_doc_free(doc);
}

static void
test_title_and_source_cleaning(void **state)
{
	struct nb_doc	*doc = parse("-- %% id=\"a\"\nx\n");
	struct nb_cell	*c = nb_doc_cell(doc, 0);
	size_t		 n;
	char		*text;
	struct nb_doc	*re;

	(void)state;
	nb_cell_set_title(c, "  two\nlines\tand x=1 a.b=c =d y= \x01 ");
	assert_string_equal(nb_cell_title(c),
	    "two lines and x =1 a.b =c =d y =");
	nb_cell_set_source(c, "bad \xff byte\0nul", 14);
	assert_source(c, "bad \xef\xbf\xbd byte\xef\xbf\xbdnul");
	text = print(doc, &n);
	re = parse_n(text, n);
	assert_same_model(doc, re, "cleaned");
	nb_doc_free(re);
	free(text);

	/* A title starting like a kind keeps the kind explicit. */
	nb_cell_set_title(c, "[raw] not raw");
	assert_string_equal(nb_cell_title(c), "[raw] not raw");
	nb_cell_set_source(c, "x", 1);
	assert_prints(doc, "-- %% [code] [raw] not raw id=\"a\"\nx\n");
	assert_int_equal(nb_cell_set_kind(c, NB_RAW, NULL), 0);
	assert_prints(doc, "-- %% [raw] [raw] not raw id=\"a\"\n-- x\n");
	nb_cell_set_title(c, NULL);
	assert_string_equal(nb_cell_title(c), "");
	assert_prints(doc, "-- %% [raw] id=\"a\"\n-- x\n");
	nb_cell_set_title(c, "bad \xc3 utf");
	assert_string_equal(nb_cell_title(c), "bad \xef\xbf\xbd utf");
	nb_doc_free(doc);
}

static void
test_insert_remove_move(void **state)
{
	struct nb_doc	*doc = parse("-- header\n\n-- %% id=\"a\"\nx = 1\n");
	struct nb_cell	*c;
	struct gl_err	 err;
	struct gl_rng	 rng;
	size_t		 idx;

	(void)state;
	gl_rng_seed(&rng, 42);
	/* Nothing goes before the header. */
	assert_null(nb_doc_insert(doc, 0, NB_CODE, "z", "", 0, &rng, &err));
	assert_int_equal(err.code, GL_EINVAL);
	assert_null(nb_doc_insert(doc, 3, NB_CODE, "z", "", 0, &rng, &err));
	assert_int_equal(err.code, GL_EINVAL);
	/* Ids: valid, unique. */
	assert_null(nb_doc_insert(doc, 1, NB_CODE, "a", "", 0, &rng, &err));
	assert_int_equal(err.code, GL_EEXIST);
	assert_null(nb_doc_insert(doc, 1, NB_CODE, "a\"b", "", 0, &rng, &err));
	assert_int_equal(err.code, GL_EINVAL);
	assert_null(nb_doc_insert(doc, 1, NB_CODE, "", "", 0, &rng, &err));
	assert_int_equal(err.code, GL_EINVAL);
	assert_null(nb_doc_insert(doc, 1, (enum nb_kind)9, "q", "", 0, &rng,
	    &err));
	assert_int_equal(err.code, GL_EINVAL);

	c = nb_doc_insert(doc, 1, NB_MARKDOWN, "m", "# Hi\n\nthere", 11, &rng,
	    &err);
	assert_non_null(c);
	assert_int_equal(nb_cell_line(c), 0);
	assert_string_equal(nb_cell_meta(c, "id"), "\"m\"");
	c = nb_doc_insert(doc, 3, NB_CODE, NULL, "y = 2", 5, &rng, &err);
	assert_non_null(c);
	assert_int_equal(strlen(nb_cell_id(c)), 8);
	assert_int_equal(strspn(nb_cell_id(c),
	    "abcdefghijklmnopqrstuvwxyz0123456789"), 8);
	assert_non_null(nb_doc_find(doc, nb_cell_id(c), &idx));
	assert_int_equal(idx, 3);
	assert_int_equal(nb_doc_count(doc), 4);
	{
		char	*want = xasprintf("-- header\n\n"
		    "-- %%%% [markdown] id=\"m\"\n-- # Hi\n--\n-- there\n\n"
		    "-- %%%% id=\"a\"\nx = 1\n\n"
		    "-- %%%% id=\"%s\"\ny = 2\n", nb_cell_id(c));

		assert_prints(doc, want);
		free(want);
	}
	assert_source_lines(doc);

	/* Moves: the header stays first; cells keep their bytes. */
	assert_int_equal(nb_doc_move(doc, 0, 2, &err), GL_EINVAL);
	assert_int_equal(nb_doc_move(doc, 2, 0, &err), GL_EINVAL);
	assert_int_equal(nb_doc_move(doc, 1, 4, &err), GL_EINVAL);
	assert_int_equal(nb_doc_move(doc, 2, 1, &err), 0);
	assert_int_equal(nb_doc_move(doc, 1, 1, &err), 0);
	assert_non_null(nb_doc_find(doc, "a", &idx));
	assert_int_equal(idx, 1);
	assert_non_null(nb_doc_find(doc, "m", &idx));
	assert_int_equal(idx, 2);
	assert_int_equal(nb_doc_move(doc, 1, 3, &err), 0);
	assert_non_null(nb_doc_find(doc, "a", &idx));
	assert_int_equal(idx, 3);
	assert_source_lines(doc);

	/* Removes, the header too. */
	assert_int_equal(nb_doc_remove(doc, 4, &err), GL_EINVAL);
	assert_int_equal(nb_doc_remove(doc, 0, &err), 0);
	assert_false(nb_cell_is_header(nb_doc_cell(doc, 0)));
	assert_int_equal(nb_doc_remove(doc, 1, &err), 0);
	assert_int_equal(nb_doc_count(doc), 2);
	assert_prints(doc, "-- %% [markdown] id=\"m\"\n-- # Hi\n--\n"
	    "-- there\n\n-- %% id=\"a\"\nx = 1\n");
	/* With no header, index 0 is fine. */
	assert_non_null(nb_doc_insert(doc, 0, NB_RAW, "r", "", 0, NULL, &err));
	assert_int_equal(nb_doc_move(doc, 2, 0, &err), 0);
	assert_prints(doc, "-- %% id=\"a\"\nx = 1\n\n"
	    "-- %% [raw] id=\"r\"\n\n"
	    "-- %% [markdown] id=\"m\"\n-- # Hi\n--\n-- there\n");
	while (nb_doc_count(doc) > 0)
		assert_int_equal(nb_doc_remove(doc, 0, &err), 0);
	assert_prints(doc, "");
	nb_doc_free(doc);

	/* A new doc. */
	doc = nb_doc_new();
	assert_false(nb_doc_crlf(doc));
	assert_int_equal(nb_doc_count(doc), 0);
	assert_non_null(nb_doc_insert(doc, 0, NB_CODE, "a", "x", 1, NULL,
	    &err));
	assert_non_null(nb_doc_insert(doc, 1, NB_CODE, NULL, NULL, 0, NULL,
	    &err));
	assert_int_equal(nb_doc_source_line(doc, 0), 2);
	assert_int_equal(nb_doc_source_line(doc, 1), 5);
	nb_doc_free(doc);
	nb_doc_free(NULL);
}

static void
test_generated_ids(void **state)
{
	static const char text[] = "-- %% [markdown]\n-- # T\n\n"
	    "-- %%\nx = 1\n\n-- %%\nx = 1\n\n-- %% t id=\"keep\"\ny\n";
	struct nb_doc	*a = parse(text), *b = parse(text), *c;
	char		*out, *want;
	size_t		 n;

	(void)state;
	for (size_t i = 0; i < 3; i++) {
		const char	*id = nb_cell_id(nb_doc_cell(a, i));

		/* 8 lowercase hex digits, the same in every parse. */
		assert_int_equal(strlen(id), 8);
		assert_int_equal(strspn(id, "0123456789abcdef"), 8);
		assert_string_equal(id, nb_cell_id(nb_doc_cell(b, i)));
		assert_non_null(nb_doc_find(a, id, NULL));
		{
			char	 json[NB_ID_MAX + 3];

			snprintf(json, sizeof json, "\"%s\"", id);
			assert_string_equal(nb_cell_meta(nb_doc_cell(a, i),
			    "id"), json);
		}
	}
	/* Same source, different cells: different ids. */
	assert_string_not_equal(nb_cell_id(nb_doc_cell(a, 1)),
	    nb_cell_id(nb_doc_cell(a, 2)));
	/* Not written until assigned. */
	assert_prints(a, text);
	for (size_t i = 0; i < 3; i++)
		assert_true(nb_cell_id_generated(nb_doc_cell(a, i)));
	assert_false(nb_cell_id_generated(nb_doc_cell(a, 3)));
	assert_int_equal(nb_doc_assign_ids(a), 3);
	for (size_t i = 0; i < 4; i++)
		assert_false(nb_cell_id_generated(nb_doc_cell(a, i)));
	/* An edit writes the id too. */
	nb_cell_set_source(nb_doc_cell(b, 1), "x = 2", 5);
	assert_false(nb_cell_id_generated(nb_doc_cell(b, 1)));
	assert_true(nb_cell_id_generated(nb_doc_cell(b, 2)));
	assert_int_equal(nb_doc_assign_ids(a), 0);
	want = xasprintf("-- %%%% [markdown] id=\"%s\"\n-- # T\n\n"
	    "-- %%%% id=\"%s\"\nx = 1\n\n-- %%%% id=\"%s\"\nx = 1\n\n"
	    "-- %%%% t id=\"keep\"\ny\n",
	    nb_cell_id(nb_doc_cell(a, 0)), nb_cell_id(nb_doc_cell(a, 1)),
	    nb_cell_id(nb_doc_cell(a, 2)));
	assert_prints(a, want);
	out = print(a, &n);
	c = parse_n(out, n);
	assert_same_model(a, c, "assigned");
	assert_int_equal(nb_doc_assign_ids(c), 0);
	nb_doc_free(c);
	free(out);

	/* A generated id never takes one written later in the file: write
	 * the id cell 0 would get into cell 1. */
	{
		struct nb_doc	*d = parse("-- %%\nx = 1\n\n-- %% id=\"zz\"\n");
		char		*t2 = xasprintf("-- %%%%\nx = 1\n\n"
		    "-- %%%% id=\"%s\"\n", nb_cell_id(nb_doc_cell(d, 0)));

		c = parse(t2);
		assert_string_equal(nb_cell_id(nb_doc_cell(c, 1)),
		    nb_cell_id(nb_doc_cell(d, 0)));
		assert_string_not_equal(nb_cell_id(nb_doc_cell(c, 0)),
		    nb_cell_id(nb_doc_cell(c, 1)));
		assert_int_equal(strlen(nb_cell_id(nb_doc_cell(c, 0))), 8);
		nb_doc_free(c);
		nb_doc_free(d);
		free(t2);
	}
	free(want);
	nb_doc_free(a);
	nb_doc_free(b);
}

static void
test_id_generate(void **state)
{
	struct nb_doc	*doc = nb_doc_new();
	struct gl_rng	 rng, rng2;
	char		 id[NB_ID_MAX + 1], id2[NB_ID_MAX + 1];

	(void)state;
	gl_rng_seed(&rng, 7);
	gl_rng_seed(&rng2, 7);
	for (int i = 0; i < 500; i++) {
		nb_id_generate(doc, &rng, id);
		assert_int_equal(strlen(id), 8);
		assert_int_equal(strspn(id,
		    "abcdefghijklmnopqrstuvwxyz0123456789"), 8);
		assert_null(nb_doc_find(doc, id, NULL));
		assert_non_null(nb_doc_insert(doc, nb_doc_count(doc), NB_CODE,
		    id, "", 0, NULL, NULL));
	}
	assert_int_equal(nb_doc_count(doc), 500);
	/* Same seed, same ids; an id the doc holds is skipped. */
	nb_doc_free(doc);
	doc = nb_doc_new();
	nb_id_generate(doc, &rng2, id);
	gl_rng_seed(&rng2, 7);
	assert_non_null(nb_doc_insert(doc, 0, NB_CODE, id, "", 0, NULL, NULL));
	nb_id_generate(doc, &rng2, id2);
	assert_string_not_equal(id, id2);
	assert_true(nb_id_valid("a-b_c.9"));
	assert_false(nb_id_valid("a b"));
	assert_false(nb_id_valid(""));
	assert_false(nb_id_valid(NULL));
	nb_doc_free(doc);
}

/* nb_doc_find() stays right through many inserts, removes and moves (the
 * id index is a hash table with deletions). */
static void
test_find_many(void **state)
{
	struct nb_doc	*doc = nb_doc_new();
	struct gl_rng	 rng;
	char		 id[32];
	bool		 live[3000];
	size_t		 idx;

	(void)state;
	gl_rng_seed(&rng, 99);
	for (int i = 0; i < 3000; i++) {
		snprintf(id, sizeof id, "c%d", i);
		assert_non_null(nb_doc_insert(doc, nb_doc_count(doc), NB_CODE,
		    id, "x", 1, NULL, NULL));
		live[i] = true;
	}
	for (int round = 0; round < 2000; round++) {
		size_t	 n = nb_doc_count(doc);
		size_t	 i = gl_rng_below(&rng, n);

		if (round % 3 == 0) {
			assert_int_equal(nb_doc_move(doc, i, gl_rng_below(&rng,
			    n), NULL), 0);
			continue;
		}
		live[atoi(nb_cell_id(nb_doc_cell(doc, i)) + 1)] = false;
		assert_int_equal(nb_doc_remove(doc, i, NULL), 0);
	}
	for (int i = 0; i < 3000; i++) {
		struct nb_cell	*c;

		snprintf(id, sizeof id, "c%d", i);
		c = nb_doc_find(doc, id, &idx);
		if (!live[i]) {
			assert_null(c);
			continue;
		}
		if (c == NULL)
			fail_msg("cell %s is in the doc but not found", id);
		assert_ptr_equal(nb_doc_cell(doc, idx), c);
		assert_string_equal(nb_cell_id(c), id);
	}
	nb_doc_free(doc);
}

static void
test_has_tag(void **state)
{
	struct nb_doc	*doc = parse(
	    "-- %% id=\"a\" tags=[\"x\", 1, {\"y\": 2}, \"z z\"]\n"
	    "-- %% id=\"b\" tags=\"x\"\n"
	    "-- %% id=\"c\" tags=[]\n");

	(void)state;
	assert_true(nb_cell_has_tag(nb_doc_cell(doc, 0), "x"));
	assert_true(nb_cell_has_tag(nb_doc_cell(doc, 0), "z z"));
	assert_false(nb_cell_has_tag(nb_doc_cell(doc, 0), "y"));
	assert_false(nb_cell_has_tag(nb_doc_cell(doc, 0), "1"));
	assert_false(nb_cell_has_tag(nb_doc_cell(doc, 1), "x"));
	assert_false(nb_cell_has_tag(nb_doc_cell(doc, 2), "x"));
	nb_doc_free(doc);
}

static void
test_source_line_cache(void **state)
{
	struct nb_doc	*doc = parse("h\n\n-- %% id=\"a\"\n1\n2\n\n"
	    "-- %% id=\"b\"\n3\n\n\n\n-- %% id=\"c\"\n4");
	struct nb_cell	*c;

	(void)state;
	assert_int_equal(nb_doc_source_line(doc, 0), 1);
	assert_int_equal(nb_doc_source_line(doc, 1), 4);
	assert_int_equal(nb_doc_source_line(doc, 2), 8);
	assert_int_equal(nb_doc_source_line(doc, 3), 13);
	assert_int_equal(nb_doc_source_line(doc, 3), 13);
	/* Every kind of change moves the lines after it. */
	c = nb_doc_find(doc, "a", NULL);
	nb_cell_set_source(c, "1\n2\n3\n4", 7);
	assert_int_equal(nb_doc_source_line(doc, 2), 10);
	assert_source_lines(doc);
	nb_cell_set_title(nb_doc_find(doc, "b", NULL), "t");
	assert_int_equal(nb_doc_source_line(doc, 3), 13);
	assert_source_lines(doc);
	assert_int_equal(nb_doc_remove(doc, 1, NULL), 0);
	assert_source_lines(doc);
	assert_non_null(nb_doc_insert(doc, 1, NB_MARKDOWN, "m", "a\nb", 3,
	    NULL, NULL));
	assert_source_lines(doc);
	assert_int_equal(nb_doc_move(doc, 3, 1, NULL), 0);
	assert_source_lines(doc);
	nb_doc_normalize(doc);
	assert_source_lines(doc);
	nb_doc_free(doc);
}

static void
test_clone(void **state)
{
	struct nb_doc	*doc = parse(odd_text), *copy;
	size_t		 n;
	char		*a;

	(void)state;
	nb_cell_set_meta(nb_doc_cell(doc, 1), "k", "1", NULL);
	copy = nb_doc_clone(doc);
	assert_same_model(doc, copy, "clone");
	a = print(doc, &n);
	assert_prints(copy, a);
	/* Changing the copy leaves the original alone. */
	nb_cell_set_source(nb_doc_cell(copy, 2), "z", 1);
	nb_cell_set_meta(nb_doc_cell(copy, 1), "k", "2", NULL);
	assert_int_equal(nb_doc_remove(copy, 3, NULL), 0);
	assert_prints(doc, a);
	assert_string_equal(nb_cell_meta(nb_doc_cell(doc, 1), "k"), "1");
	assert_non_null(nb_doc_find(copy, "c", NULL));
	assert_null(nb_doc_find(copy, "d", NULL));
	nb_doc_free(doc);
	assert_source(nb_doc_cell(copy, 2), "z");
	nb_doc_free(copy);
	free(a);
}

static void
test_kind_names(void **state)
{
	enum nb_kind	 k;

	(void)state;
	assert_string_equal(nb_kind_name(NB_CODE), "code");
	assert_string_equal(nb_kind_name(NB_MARKDOWN), "markdown");
	assert_string_equal(nb_kind_name(NB_RAW), "raw");
	assert_int_equal(nb_kind_parse("markdown", &k), 0);
	assert_int_equal(k, NB_MARKDOWN);
	assert_int_equal(nb_kind_parse("raw", &k), 0);
	assert_int_equal(k, NB_RAW);
	assert_int_equal(nb_kind_parse("code", &k), 0);
	assert_int_equal(k, NB_CODE);
	assert_int_equal(nb_kind_parse("python", &k), GL_EINVAL);
	assert_int_equal(nb_kind_parse(NULL, &k), GL_EINVAL);
}

/* ------------------------------------------------------------------ */
/* Randomized: build through the API, print, reparse, compare           */
/* ------------------------------------------------------------------ */

/* Code lines (or balanced groups) that read back as they are. */
static const char *const code_bits[] = {
	"x = 1", "local s = [[\n-- %% inside a long string\n]]",
	"print(\"[[\")", "-- [[ a line comment", "--[==[\n-- %% no\n]]\n]==]",
	"t = {'a', \"b\\\"\"}", "  indented  ", "", "\tif x then return end",
	"名前 = '値' -- 🚀", "w = \"a\\\nb\"", "y = [=[ ]] ]=]", "-- %%x",
	" -- %% id=\"indented\"",
};
/* Markdown or raw lines: anything on one line. */
static const char *const text_bits[] = {
	"# Title", "", "--", "-- %% looks like a marker", "trailing  ",
	"%% x", "%%", "\\%% y", "\\\\%%",
	" lead", "é 漢字 😀", "[[", "x=1", "\t", "--[[",
};
static const char *const titles[] = {
	"", "Load", "two  words", "x=1 y=2", "  padded  ", "[raw] kindlike",
	"tab\there", "Überblick 概要", "[markdown]", "a\nb", "=", "id",
};
static const char *const keys[] = { "tags", "owner", "n", "a.b", "x-y",
	"_k" };
static const char *const values[] = { "[\"slow\"]", "42", "\"two words\"",
	"{\"a\": [1, 2]}", "[\n1,\n2\n]", "null", "-1.5e3", "\"é \\u00e9\"",
	NULL };

#define NKEYS	(sizeof keys / sizeof keys[0])
#define NVALUES	(sizeof values / sizeof values[0])

static char *
random_source(struct gl_rng *rng, bool code)
{
	struct gl_buf	 b;
	unsigned	 n = (unsigned)gl_rng_below(rng, 5);

	gl_buf_init(&b);
	for (unsigned i = 0; i < n; i++) {
		if (i > 0)
			gl_buf_addc(&b, '\n');
		if (code)
			gl_buf_adds(&b, code_bits[gl_rng_below(rng,
			    sizeof code_bits / sizeof code_bits[0])]);
		else
			gl_buf_adds(&b, text_bits[gl_rng_below(rng,
			    sizeof text_bits / sizeof text_bits[0])]);
	}
	/* Code cannot end in empty lines: they are the separator. */
	while (code && b.len > 0 && b.data[b.len - 1] == '\n')
		b.data[--b.len] = '\0';
	return gl_buf_take(&b, NULL);
}

static void
random_op(struct nb_doc *doc, struct gl_rng *rng)
{
	size_t		 n = nb_doc_count(doc), i;
	struct nb_cell	*c;
	bool		 header;
	char		*s;

	header = n > 0 && nb_cell_is_header(nb_doc_cell(doc, 0));
	switch (gl_rng_below(rng, 8)) {
	case 0:
	case 1: {
		enum nb_kind	 kind = (enum nb_kind)gl_rng_below(rng, 3);
		size_t		 lo = header ? 1 : 0;

		i = lo + gl_rng_below(rng, n - lo + 1);
		s = random_source(rng, kind == NB_CODE);
		assert_non_null(nb_doc_insert(doc, i, kind, NULL, s, strlen(s),
		    rng, NULL));
		free(s);
		break;
	}
	case 2:
		if (n > 0)
			assert_int_equal(nb_doc_remove(doc,
			    gl_rng_below(rng, n), NULL), 0);
		break;
	case 3:
		if (n > (header ? 2u : 1u)) {
			size_t	 lo = header ? 1 : 0;
			size_t	 from = lo + gl_rng_below(rng, n - lo);
			size_t	 to = lo + gl_rng_below(rng, n - lo);

			assert_int_equal(nb_doc_move(doc, from, to, NULL), 0);
		}
		break;
	case 4:
		if (n > 0) {
			c = nb_doc_cell(doc, gl_rng_below(rng, n));
			s = random_source(rng, nb_cell_kind(c) == NB_CODE);
			nb_cell_set_source(c, s, strlen(s));
			free(s);
		}
		break;
	case 5:
		if (n > 0 && !nb_cell_is_header(c = nb_doc_cell(doc,
		    gl_rng_below(rng, n)))) {
			enum nb_kind	 kind;

			kind = (enum nb_kind)gl_rng_below(rng, 3);
			assert_int_equal(nb_cell_set_kind(c, kind, NULL), 0);
			/* Markdown text need not be code that reads back. */
			if (kind == NB_CODE) {
				s = random_source(rng, true);
				nb_cell_set_source(c, s, strlen(s));
				free(s);
			}
		}
		break;
	case 6:
		if (n > 0) {
			c = nb_doc_cell(doc, gl_rng_below(rng, n));
			nb_cell_set_title(c, titles[gl_rng_below(rng,
			    sizeof titles / sizeof titles[0])]);
		}
		break;
	default:
		if (n > 0 && !nb_cell_is_header(c = nb_doc_cell(doc,
		    gl_rng_below(rng, n))))
			assert_int_equal(nb_cell_set_meta(c,
			    keys[gl_rng_below(rng, NKEYS)],
			    values[gl_rng_below(rng, NVALUES)], NULL), 0);
		break;
	}
}

static void
test_randomized(void **state)
{
	const char	*env = getenv("GALLEY_SEED");
	uint64_t	 seed = env != NULL ? strtoull(env, NULL, 10) :
	    (uint64_t)time(NULL);
	struct gl_rng	 rng;
	size_t		 nfiles;
	char		**files = fixture_list(&nfiles);

	(void)state;
	printf("test_randomized: seed %llu (GALLEY_SEED=%llu repeats it)\n",
	    (unsigned long long)seed, (unsigned long long)seed);
	gl_rng_seed(&rng, seed);
	for (int iter = 0; iter < 400; iter++) {
		struct nb_doc	*doc, *re;
		char		*text, *again, *buf = NULL;
		size_t		 n, m, len;
		int		 nops = (int)gl_rng_below(&rng, 25);

		/* Start empty or from a fixture: raw cells mix with new. */
		if (gl_rng_below(&rng, 2) == 0) {
			buf = slurp(files[gl_rng_below(&rng, nfiles)], &len);
			doc = parse_n(buf, len);
		} else
			doc = nb_doc_new();
		for (int k = 0; k < nops; k++)
			random_op(doc, &rng);
		/* As a caller does before saving: ids of id-less markers go
		 * into the text, so they survive cells moving. */
		nb_doc_assign_ids(doc);
		text = print(doc, &n);
		re = parse_n(text, n);
		{
			char	 what[64];

			snprintf(what, sizeof what, "seed %llu iteration %d",
			    (unsigned long long)seed, iter);
			assert_same_model(doc, re, what);
		}
		/* The first line ending decides (cells from a mixed file can
		 * have moved in front; an emptied doc prints none). */
		{
			const char	*nl = memchr(text, '\n', n);

			assert_int_equal(nb_doc_crlf(re), nl != NULL &&
			    nl > text && nl[-1] == '\r');
			if (nl != NULL && buf == NULL)
				assert_int_equal(nb_doc_crlf(re),
				    nb_doc_crlf(doc));
		}
		again = print(re, &m);
		assert_int_equal(n, m);
		assert_memory_equal(text, again, n);
		assert_source_lines(doc);
		free(again);
		nb_doc_free(re);
		free(text);
		nb_doc_free(doc);
		free(buf);
	}
	fixture_free(files);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_corpus_roundtrip),
		cmocka_unit_test(test_roundtrip_inline),
		cmocka_unit_test(test_design_example),
		cmocka_unit_test(test_header_cell),
		cmocka_unit_test(test_marker_rules),
		cmocka_unit_test(test_separator_and_source),
		cmocka_unit_test(test_line_endings),
		cmocka_unit_test(test_long_brackets),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_mutators_canonical),
		cmocka_unit_test(test_title_and_source_cleaning),
		cmocka_unit_test(test_insert_remove_move),
		cmocka_unit_test(test_generated_ids),
		cmocka_unit_test(test_id_generate),
		cmocka_unit_test(test_find_many),
		cmocka_unit_test(test_has_tag),
		cmocka_unit_test(test_source_line_cache),
		cmocka_unit_test(test_clone),
		cmocka_unit_test(test_kind_names),
		cmocka_unit_test(test_randomized),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

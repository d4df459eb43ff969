/*
 * test_merge.c - three-way merges (review/merge.c): lines as diff3 does
 * them, notebooks by cell (edits of different cells, a move and an edit,
 * edits of distant lines of one cell, real conflicts written as conflict
 * cells that still parse, modify/delete, metadata, cells both added), the
 * identities merge(O, A, O) = A and merge(O, O, B) = B, the fall back to
 * lines, and a randomized check of branches touching different cells
 * (seed printed; GALLEY_SEED=N repeats a run).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "rfix.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/err.h"
#include "core/mem.h"
#include "core/notebook.h"
#include "core/util.h"
#include "review/merge.h"

static char *
merge3(const char *path, const char *o, const char *a, const char *b,
    size_t *conflicts, bool *by_lines)
{
	struct nmerge_result	 r;
	struct gl_err		 err;
	char			*text;

	assert_int_equal(nmerge_files(path, o, strlen(o), a, strlen(a), b,
	    strlen(b), NULL, &r, &err), 0);
	*conflicts = r.conflicts;
	if (by_lines != NULL)
		*by_lines = r.by_lines;
	text = xstrndup(r.text, r.len);
	nmerge_result_fini(&r);
	return text;
}

static void
test_lines(void **state)
{
	size_t	 c;
	char	*t;

	/* Different places: both land. */
	t = merge3("x.txt", "1\n2\n3\n4\n5\n6\n", "1\nTWO\n3\n4\n5\n6\n",
	    "1\n2\n3\n4\nFIVE\n6\n", &c, NULL);
	assert_int_equal(c, 0);
	assert_string_equal(t, "1\nTWO\n3\n4\nFIVE\n6\n");
	free(t);
	/* The same change on both sides: once. */
	t = merge3("x.txt", "a\nb\n", "a\nB\n", "a\nB\n", &c, NULL);
	assert_int_equal(c, 0);
	assert_string_equal(t, "a\nB\n");
	free(t);
	/* The same line changed differently: a conflict block. */
	t = merge3("x.txt", "a\nb\nc\n", "a\nours\nc\n", "a\ntheirs\nc\n", &c,
	    NULL);
	assert_int_equal(c, 1);
	assert_string_equal(t, "a\n<<<<<<< ours\nours\n=======\ntheirs\n"
	    ">>>>>>> theirs\nc\n");
	free(t);
	/* Adjacent lines conflict, as in git. */
	t = merge3("x.txt", "a\nb\nc\n", "A\nb\nc\n", "a\nB\nc\n", &c, NULL);
	assert_int_equal(c, 1);
	free(t);
	/* Both append differently, with no final newline on one side. */
	t = merge3("x.txt", "a\n", "a\nx", "a\ny\n", &c, NULL);
	assert_int_equal(c, 1);
	assert_string_equal(t, "a\n<<<<<<< ours\nx\n=======\ny\n"
	    ">>>>>>> theirs\n");
	free(t);
	/* One side deletes, the other edits elsewhere. */
	t = merge3("x.txt", "a\nb\nc\nd\n", "a\nc\nd\n", "a\nb\nc\nD\n", &c,
	    NULL);
	assert_int_equal(c, 0);
	assert_string_equal(t, "a\nc\nD\n");
	free(t);
}

static const char base_nb[] =
    "-- %% [markdown] id=\"intro\"\n"
    "-- # Trips\n"
    "\n"
    "-- %% id=\"load\"\n"
    "local trips = read(\"trips.csv\")\n"
    "\n"
    "-- %% id=\"clean\"\n"
    "trips = trips:dropna()\n"
    "trips = trips:dedupe()\n"
    "\n"
    "-- %% id=\"plot\"\n"
    "plot.bar(trips.day, trips.fare)\n"
    "\n"
    "-- %% id=\"long\"\n"
    "local a = 1\n"
    "local b = 2\n"
    "local c = 3\n"
    "local d = 4\n"
    "local e = 5\n"
    "local f = 6\n";

static void
test_notebook_different_cells(void **state)
{
	/* Ours edits load; theirs edits plot and adds a cell. */
	static const char a[] =
	    "-- %% [markdown] id=\"intro\"\n-- # Trips\n\n"
	    "-- %% id=\"load\"\nlocal trips = read(\"trips-2024.csv\")\n\n"
	    "-- %% id=\"clean\"\ntrips = trips:dropna()\n"
	    "trips = trips:dedupe()\n\n"
	    "-- %% id=\"plot\"\nplot.bar(trips.day, trips.fare)\n\n"
	    "-- %% id=\"long\"\nlocal a = 1\nlocal b = 2\nlocal c = 3\n"
	    "local d = 4\nlocal e = 5\nlocal f = 6\n";
	static const char b[] =
	    "-- %% [markdown] id=\"intro\"\n-- # Trips\n\n"
	    "-- %% id=\"load\"\nlocal trips = read(\"trips.csv\")\n\n"
	    "-- %% id=\"clean\"\ntrips = trips:dropna()\n"
	    "trips = trips:dedupe()\n\n"
	    "-- %% id=\"plot\"\nplot.line(trips.day, trips.fare)\n\n"
	    "-- %% id=\"extra\"\nprint(#trips)\n\n"
	    "-- %% id=\"long\"\nlocal a = 1\nlocal b = 2\nlocal c = 3\n"
	    "local d = 4\nlocal e = 5\nlocal f = 6\n";
	size_t	 c;
	bool	 lines;
	char	*t = merge3("t.nb.lua", base_nb, a, b, &c, &lines);

	assert_int_equal(c, 0);
	assert_false(lines);
	assert_string_equal(t,
	    "-- %% [markdown] id=\"intro\"\n-- # Trips\n\n"
	    "-- %% id=\"load\"\nlocal trips = read(\"trips-2024.csv\")\n\n"
	    "-- %% id=\"clean\"\ntrips = trips:dropna()\n"
	    "trips = trips:dedupe()\n\n"
	    "-- %% id=\"plot\"\nplot.line(trips.day, trips.fare)\n\n"
	    "-- %% id=\"extra\"\nprint(#trips)\n\n"
	    "-- %% id=\"long\"\nlocal a = 1\nlocal b = 2\nlocal c = 3\n"
	    "local d = 4\nlocal e = 5\nlocal f = 6\n");
	free(t);
}

static void
test_notebook_move_and_edit(void **state)
{
	/* Ours moves plot before clean; theirs edits clean and plot. */
	static const char a[] =
	    "-- %% [markdown] id=\"intro\"\n-- # Trips\n\n"
	    "-- %% id=\"load\"\nlocal trips = read(\"trips.csv\")\n\n"
	    "-- %% id=\"plot\"\nplot.bar(trips.day, trips.fare)\n\n"
	    "-- %% id=\"clean\"\ntrips = trips:dropna()\n"
	    "trips = trips:dedupe()\n\n"
	    "-- %% id=\"long\"\nlocal a = 1\nlocal b = 2\nlocal c = 3\n"
	    "local d = 4\nlocal e = 5\nlocal f = 6\n";
	static const char b[] =
	    "-- %% [markdown] id=\"intro\"\n-- # Trips\n\n"
	    "-- %% id=\"load\"\nlocal trips = read(\"trips.csv\")\n\n"
	    "-- %% id=\"clean\"\ntrips = trips:dropna()\n\n"
	    "-- %% id=\"plot\"\n"
	    "plot.bar(trips.day, trips.fare, {title = \"x\"})\n\n"
	    "-- %% id=\"long\"\nlocal a = 1\nlocal b = 2\nlocal c = 3\n"
	    "local d = 4\nlocal e = 5\nlocal f = 6\n";
	size_t	 c;
	char	*t = merge3("t.nb.lua", base_nb, a, b, &c, NULL);

	assert_int_equal(c, 0);
	assert_non_null(strstr(t, "-- %% id=\"plot\"\nplot.bar(trips.day, "
	    "trips.fare, {title = \"x\"})\n\n-- %% id=\"clean\"\n"
	    "trips = trips:dropna()\n\n-- %% id=\"long\""));
	free(t);

	/* Theirs moves long to the top, ours edits two distant lines of
	 * it: both edits, in its new place. */
	{
		static const char a2[] =
		    "-- %% [markdown] id=\"intro\"\n-- # Trips\n\n"
		    "-- %% id=\"load\"\nlocal trips = read(\"trips.csv\")\n\n"
		    "-- %% id=\"clean\"\ntrips = trips:dropna()\n"
	    "trips = trips:dedupe()\n\n"
		    "-- %% id=\"plot\"\nplot.bar(trips.day, trips.fare)\n\n"
		    "-- %% id=\"long\"\nlocal a = 10\nlocal b = 2\n"
		    "local c = 3\n"
		    "local d = 4\nlocal e = 5\nlocal f = 6\n";
		static const char b2[] =
		    "-- %% [markdown] id=\"intro\"\n-- # Trips\n\n"
		    "-- %% id=\"long\"\nlocal a = 1\nlocal b = 2\nlocal c = 3\n"
		    "local d = 4\nlocal e = 5\nlocal f = 60\n\n"
		    "-- %% id=\"load\"\nlocal trips = read(\"trips.csv\")\n\n"
		    "-- %% id=\"clean\"\ntrips = trips:dropna()\n"
	    "trips = trips:dedupe()\n\n"
		    "-- %% id=\"plot\"\nplot.bar(trips.day, trips.fare)\n";

		t = merge3("t.nb.lua", base_nb, a2, b2, &c, NULL);
		assert_int_equal(c, 0);
		assert_non_null(strstr(t, "-- # Trips\n\n-- %% id=\"long\"\n"
		    "local a = 10\nlocal b = 2\nlocal c = 3\nlocal d = 4\n"
		    "local e = 5\nlocal f = 60\n\n-- %% id=\"load\""));
		free(t);
	}
}

static void
test_notebook_conflicts(void **state)
{
	static const char a[] =
	    "-- %% [markdown] id=\"intro\"\n-- # Trips\n\n"
	    "-- %% id=\"load\"\nlocal trips = read(\"ours.csv\")\n\n"
	    "-- %% id=\"clean\" tags=[\"ours\"]\ntrips = trips:dropna()\n"
	    "trips = trips:dedupe()\n\n"
	    "-- %% id=\"long\"\nlocal a = 1\nlocal b = 2\nlocal c = 3\n"
	    "local d = 4\nlocal e = 5\nlocal f = 7\n";
	static const char b[] =
	    "-- %% [markdown] id=\"intro\"\n-- # Trips\n\n"
	    "-- %% id=\"load\"\nlocal trips = read(\"theirs.csv\")\n\n"
	    "-- %% id=\"clean\" tags=[\"theirs\"]\ntrips = trips:dropna()\n"
	    "trips = trips:dedupe()\n\n"
	    "-- %% id=\"plot\"\nplot.bar(trips.day, trips.fare) -- theirs\n\n"
	    "-- %% id=\"long\"\nlocal a = 1\nlocal b = 2\nlocal c = 3\n"
	    "local d = 4\nlocal e = 5\nlocal f = 6\n";
	struct nb_doc	*doc;
	struct gl_err	 err;
	size_t		 c;
	char		*t = merge3("t.nb.lua", base_nb, a, b, &c, NULL);

	/* load: both edited the line. clean: both retagged. plot: ours
	 * deleted it, theirs edited it. */
	assert_int_equal(c, 3);
	assert_non_null(strstr(t, "-- %% id=\"load\" conflict=true\n"
	    "<<<<<<< ours\nlocal trips = read(\"ours.csv\")\n=======\n"
	    "local trips = read(\"theirs.csv\")\n>>>>>>> theirs\n"));
	assert_non_null(strstr(t, "-- %% id=\"clean\" tags=[\"ours\"] "
	    "conflict=true conflict_theirs={\"tags\":[\"theirs\"]}\n"));
	assert_non_null(strstr(t, "-- %% id=\"plot\" conflict=true "
	    "conflict_deleted=\"ours\"\n<<<<<<< ours\n=======\n"
	    "plot.bar(trips.day, trips.fare) -- theirs\n>>>>>>> theirs\n"));
	/* Theirs left long alone: ours' edit, no conflict. */
	assert_non_null(strstr(t, "local f = 7\n"));
	/* Still a notebook. */
	assert_int_equal(nb_parse(t, strlen(t), "m.nb.lua", &doc, &err), 0);
	assert_int_equal(nb_doc_count(doc), 5);
	nb_doc_free(doc);
	free(t);
}

static void
test_notebook_identities(void **state)
{
	static const char a[] =
	    "-- %% [markdown] id=\"intro\"\n-- # Trips   \n\n\n"
	    "-- %%   id=\"load\"\nlocal trips = read(\"x.csv\")\n\n"
	    "-- %% id=\"new\"\nprint(1)\n";
	size_t	 c;
	char	*t;

	/* Theirs changed nothing: ours, byte for byte (odd spacing kept). */
	t = merge3("t.nb.lua", base_nb, a, base_nb, &c, NULL);
	assert_int_equal(c, 0);
	assert_string_equal(t, a);
	free(t);
	/* Ours changed nothing: theirs (canonical text merges to itself). */
	{
		static const char b[] =
		    "-- %% [markdown] id=\"intro\"\n-- # Trips\n\n"
		    "-- %% id=\"plot\"\nplot.bar(trips.day, trips.fare)\n\n"
		    "-- %% id=\"load\"\nlocal trips = read(\"trips.csv\")\n\n"
		    "-- %% id=\"added\" tags=[\"x\"]\ny = 2\n";

		t = merge3("t.nb.lua", base_nb, base_nb, b, &c, NULL);
		assert_int_equal(c, 0);
		assert_string_equal(t, b);
		free(t);
	}
	/* A cell moved to the end ends as a last cell does (no blank line
	 * kept from its old place). */
	{
		static const char o[] = "-- %% id=\"a\"\nx = 1\n\n"
		    "-- %% id=\"b\"\ny = 1\n";
		static const char b[] = "-- %% id=\"b\"\ny = 1\n\n"
		    "-- %% id=\"a\"\nx = 1\n";

		t = merge3("t.nb.lua", o, o, b, &c, NULL);
		assert_int_equal(c, 0);
		assert_string_equal(t, b);
		free(t);
	}
	/* The same cell added by both: once. */
	{
		static const char b[] =
		    "-- %% [markdown] id=\"intro\"\n-- # Trips   \n\n\n"
		    "-- %%   id=\"load\"\nlocal trips = read(\"x.csv\")\n\n"
		    "-- %% id=\"new\"\nprint(1)\n";

		t = merge3("t.nb.lua", base_nb, a, b, &c, NULL);
		assert_int_equal(c, 0);
		assert_string_equal(t, a);
		free(t);
	}
}

static void
test_fallback_to_lines(void **state)
{
	size_t	 c;
	bool	 lines;
	char	*t;
	struct nmerge_result r;
	struct gl_err	 err;
	const char	*bad = "-- %% id=\"x\" tags=[\nx\n";

	t = merge3("t.nb.lua", base_nb, bad, base_nb, &c, &lines);
	assert_true(lines);
	assert_int_equal(c, 0);
	assert_string_equal(t, bad);
	free(t);
	assert_int_equal(nmerge_files("t.nb.lua", base_nb, strlen(base_nb),
	    bad, strlen(bad), base_nb, strlen(base_nb), NULL, &r, &err), 0);
	assert_non_null(r.note);
	assert_non_null(strstr(r.note, "t.nb.lua (ours) does not parse"));
	nmerge_result_fini(&r);
}

/* A notebook of cells c<ids[i]> with bodies body[i]. */
static char *
render(const int *ids, const int *body, size_t n)
{
	struct gl_buf	 b;

	gl_buf_init(&b);
	for (size_t i = 0; i < n; i++)
		gl_buf_addf(&b, "-- %%%% id=\"c%d\"\nv%d = %d\n\n", ids[i],
		    ids[i], body[i]);
	if (b.data == NULL)
		gl_buf_adds(&b, "");
	return gl_buf_take(&b, NULL);
}

/* One branch: edits, deletes, moves and adds among the cells it owns
 * (id % 2 == side), so the two branches never touch the same cell. */
static size_t
branch(struct gl_rng *r, int side, const int *ids, size_t n, int *out_ids,
    int *out_body, int next_new)
{
	size_t	 m = 0;

	for (size_t i = 0; i < n; i++) {
		bool	 mine = ids[i] % 2 == side;

		if (mine && gl_rng_below(r, 6) == 0)
			continue;			/* deleted */
		out_ids[m] = ids[i];
		out_body[m] = mine && gl_rng_below(r, 4) == 0 ?
		    1000 + ids[i] : ids[i];		/* edited */
		m++;
		if (gl_rng_below(r, 8) == 0) {		/* added */
			out_ids[m] = next_new;
			out_body[m] = next_new;
			next_new += 2;
			m++;
		}
	}
	/* Move one of its own cells somewhere else. */
	if (m > 2 && gl_rng_below(r, 2) == 0) {
		size_t	 from = gl_rng_below(r, m), to = gl_rng_below(r, m);
		int	 id = out_ids[from], body = out_body[from];

		if (id % 2 == side) {
			memmove(&out_ids[from], &out_ids[from + 1],
			    (m - from - 1) * sizeof *out_ids);
			memmove(&out_body[from], &out_body[from + 1],
			    (m - from - 1) * sizeof *out_body);
			memmove(&out_ids[to + 1], &out_ids[to],
			    (m - to - 1) * sizeof *out_ids);
			memmove(&out_body[to + 1], &out_body[to],
			    (m - to - 1) * sizeof *out_body);
			out_ids[to] = id;
			out_body[to] = body;
		}
	}
	return m;
}

static int
body_in(const int *ids, const int *body, size_t n, int id)
{
	for (size_t i = 0; i < n; i++)
		if (ids[i] == id)
			return body[i];
	return -1;
}

static void
test_random_disjoint_branches(void **state)
{
	struct gl_rng	 rng;
	uint64_t	 seed = rfix_seed();

	gl_rng_seed(&rng, seed);
	for (int round = 0; round < 300; round++) {
		int		 oi[40], ob[40], ai[100], ab[100], bi[100];
		int		 bb[100];
		size_t		 no = gl_rng_below(&rng, 14), na, nb, c;
		char		*o, *a, *b, *t;
		struct nb_doc	*doc;
		struct gl_err	 err;

		for (size_t i = 0; i < no; i++) {
			oi[i] = (int)i;
			ob[i] = (int)i;
		}
		na = branch(&rng, 0, oi, no, ai, ab, 1000);
		nb = branch(&rng, 1, oi, no, bi, bb, 1001);
		o = render(oi, ob, no);
		a = render(ai, ab, na);
		b = render(bi, bb, nb);
		t = merge3("r.nb.lua", o, a, b, &c, NULL);
		if (c != 0)
			fail_msg("seed %llu round %d: %zu conflicts\n%s",
			    (unsigned long long)seed, round, c, t);
		assert_int_equal(nb_parse(t, strlen(t), "m", &doc, &err), 0);
		/* Each cell is where its owner left it: present iff its
		 * owner kept it, with its owner's body; added cells too. */
		for (size_t i = 0; i < nb_doc_count(doc); i++) {
			const char	*id = nb_cell_id(nb_doc_cell(doc, i));
			int		 n = atoi(id + 1), want;
			char		 src[64];

			want = n % 2 == 0 ? body_in(ai, ab, na, n) :
			    body_in(bi, bb, nb, n);
			if (want < 0)
				fail_msg("seed %llu round %d: %s should be "
				    "gone\n%s", (unsigned long long)seed,
				    round, id, t);
			snprintf(src, sizeof src, "v%d = %d", n, want);
			assert_string_equal(nb_cell_source(nb_doc_cell(doc, i),
			    NULL), src);
		}
		{
			size_t	 kept = 0;

			for (size_t i = 0; i < na; i++)
				kept += ai[i] % 2 == 0;
			for (size_t i = 0; i < nb; i++)
				kept += bi[i] % 2 == 1;
			assert_int_equal(nb_doc_count(doc), kept);
		}
		nb_doc_free(doc);
		free(o);
		free(a);
		free(b);
		free(t);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lines),
		cmocka_unit_test(test_notebook_different_cells),
		cmocka_unit_test(test_notebook_move_and_edit),
		cmocka_unit_test(test_notebook_conflicts),
		cmocka_unit_test(test_notebook_identities),
		cmocka_unit_test(test_fallback_to_lines),
		cmocka_unit_test(test_random_disjoint_branches),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

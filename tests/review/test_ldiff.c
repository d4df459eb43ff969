/*
 * test_ldiff.c - the sequence diff (review/ldiff.c): randomized checks
 * that every script turns a into b and is as short as the longest common
 * subsequence allows (checked against a dynamic program), the work bound
 * on hopeless inputs, line splitting and interning, word highlights.
 * GALLEY_SEED=N repeats a run.
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

#include "core/mem.h"
#include "core/util.h"
#include "review/ldiff.h"

/* Length of the longest common subsequence, by dynamic programming. */
static size_t
lcs_len(const uint32_t *a, size_t na, const uint32_t *b, size_t nb)
{
	size_t	*row = xcalloc(nb + 1, sizeof *row), best;

	for (size_t i = 1; i <= na; i++) {
		size_t	 diag = 0;

		for (size_t j = 1; j <= nb; j++) {
			size_t	 up = row[j];

			if (a[i - 1] == b[j - 1])
				row[j] = diag + 1;
			else if (row[j - 1] > row[j])
				row[j] = row[j - 1];
			diag = up;
		}
	}
	best = row[nb];
	free(row);
	return best;
}

/* Applies the script to a and checks the result is b; returns the
 * number of elements it kept. */
static size_t
check_script(const uint32_t *a, size_t na, const uint32_t *b, size_t nb,
    const struct ldiff_change *v, size_t n)
{
	size_t	 ai = 0, bi = 0, kept = 0;

	for (size_t k = 0; k <= n; k++) {
		size_t	 upto = k < n ? v[k].a0 : na;

		assert_true(upto >= ai);
		if (k > 0 && k < n)
			assert_true(v[k].a0 > ai || v[k].b0 > bi);
		for (; ai < upto; ai++, bi++) {
			assert_true(bi < nb);
			assert_int_equal(a[ai], b[bi]);
			kept++;
		}
		if (k == n)
			break;
		assert_int_equal(v[k].b0, bi);
		assert_true(v[k].alen + v[k].blen > 0);
		ai += v[k].alen;
		bi += v[k].blen;
	}
	assert_int_equal(ai, na);
	assert_int_equal(bi, nb);
	return kept;
}

static void
test_random_minimal(void **state)
{
	struct gl_rng	 rng;
	uint64_t	 seed = rfix_seed();

	gl_rng_seed(&rng, seed);
	for (int round = 0; round < 3000; round++) {
		size_t			 na = gl_rng_below(&rng, 40);
		size_t			 nb, nch, kept;
		uint32_t		 a[80], b[80];
		uint32_t		 alpha;
		struct ldiff_change	*v;

		alpha = 1 + (uint32_t)gl_rng_below(&rng, 6);
		for (size_t i = 0; i < na; i++)
			a[i] = (uint32_t)gl_rng_below(&rng, alpha);
		/* b: a mutated, or unrelated. */
		if (gl_rng_below(&rng, 4) == 0) {
			nb = gl_rng_below(&rng, 40);
			for (size_t i = 0; i < nb; i++)
				b[i] = (uint32_t)gl_rng_below(&rng, alpha);
		} else {
			nb = 0;
			for (size_t i = 0; i < na && nb < 78; i++) {
				uint64_t	 r = gl_rng_below(&rng, 10);

				if (r == 0)
					continue;	/* delete */
				if (r == 1)
					b[nb++] = (uint32_t)gl_rng_below(&rng,
					    alpha);	/* insert */
				b[nb++] = a[i];
			}
		}
		ldiff_seq(a, na, b, nb, &v, &nch);
		kept = check_script(a, na, b, nb, v, nch);
		if (kept != lcs_len(a, na, b, nb))
			fail_msg("seed %llu round %d: not minimal (%zu kept, "
			    "LCS %zu)", (unsigned long long)seed, round, kept,
			    lcs_len(a, na, b, nb));
		free(v);
	}
}

static void
test_edges_and_bound(void **state)
{
	uint32_t		 a[] = { 1, 2, 3 }, *x, *y;
	struct ldiff_change	*v;
	size_t			 n, big = 20000;

	ldiff_seq(a, 3, a, 3, &v, &n);
	assert_int_equal(n, 0);
	assert_null(v);
	ldiff_seq(a, 0, a, 3, &v, &n);
	assert_int_equal(n, 1);
	assert_int_equal(v[0].alen, 0);
	assert_int_equal(v[0].blen, 3);
	free(v);
	ldiff_seq(a, 3, a, 0, &v, &n);
	assert_int_equal(n, 1);
	assert_int_equal(v[0].alen, 3);
	free(v);

	/* Two long unrelated sequences with a shared spine: the bound keeps
	 * the work finite and the script stays valid. */
	x = xmalloc(big * sizeof *x);
	y = xmalloc(big * sizeof *y);
	for (size_t i = 0; i < big; i++) {
		x[i] = i % 7 == 0 ? (uint32_t)i : (uint32_t)(100000 + i);
		y[i] = i % 7 == 0 ? (uint32_t)i : (uint32_t)(200000 + i);
	}
	ldiff_seq(x, big, y, big, &v, &n);
	check_script(x, big, y, big, v, n);
	free(v);
	free(x);
	free(y);
}

static void
test_lines(void **state)
{
	struct ldiff_lines	 a, b, c;
	struct ldiff_lines	*all[3] = { &a, &b, &c };
	const char		*s;
	size_t			 len;

	ldiff_lines_init(&a, "one\ntwo\r\nthree", 14);
	ldiff_lines_init(&b, "one\nthree\n", 10);
	ldiff_lines_init(&c, "", 0);
	assert_int_equal(a.n, 3);
	assert_int_equal(b.n, 2);
	assert_int_equal(c.n, 0);
	s = ldiff_line(&a, 1, &len);
	assert_int_equal(len, 3);
	assert_memory_equal(s, "two", 3);
	assert_true(ldiff_line_has_eol(&a, 1));
	assert_false(ldiff_line_has_eol(&a, 2));
	ldiff_intern(all, 3);
	assert_int_equal(a.id[0], b.id[0]);
	/* "three" without a newline is not "three\n". */
	assert_int_not_equal(a.id[2], b.id[1]);
	assert_int_not_equal(a.id[0], a.id[1]);
	ldiff_lines_fini(&a);
	ldiff_lines_fini(&b);
	ldiff_lines_fini(&c);
}

static void
test_words(void **state)
{
	struct ldiff_span	*sa, *sb;
	size_t			 na, nb;
	const char		*x = "plot.bar(by_day.day, by_day.fare)";
	const char		*y = "plot.line(by_day.day, by_day.fare * 1.1)";

	ldiff_words(x, strlen(x), y, strlen(y), &sa, &na, &sb, &nb);
	assert_int_equal(na, 1);
	assert_int_equal(sa[0].off, 5);
	assert_int_equal(sa[0].len, 3);		/* "bar" */
	assert_int_equal(nb, 2);
	assert_int_equal(sb[0].off, 5);
	assert_int_equal(sb[0].len, 4);		/* "line" */
	assert_memory_equal(y + sb[1].off, " * 1.1", sb[1].len);
	free(sa);
	free(sb);

	/* Nothing in common: no highlights (the whole line changed). */
	x = "alpha beta";
	y = "gamma delta";
	ldiff_words(x, strlen(x), y, strlen(y), &sa, &na, &sb, &nb);
	assert_int_equal(na, 0);
	assert_int_equal(nb, 0);
	free(sa);
	free(sb);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_minimal),
		cmocka_unit_test(test_edges_and_bound),
		cmocka_unit_test(test_lines),
		cmocka_unit_test(test_words),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_map.c - the hash map by string key: put, get, replace, delete
 * (with the backward shift), growth, against a plain array as the
 * reference under a seeded random sequence of operations.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "core/map.h"
#include "core/util.h"

#define NKEYS	512

static char	 keys[NKEYS][16];
static int	 vals[NKEYS];

static void
test_map_basics(void **state)
{
	struct gl_map	 m;
	int		 a = 1, b = 2;

	(void)state;
	gl_map_init(&m);
	assert_null(gl_map_get(&m, "x", 1));
	assert_null(gl_map_del(&m, "x", 1));
	assert_null(gl_map_put(&m, "cell-1", 6, &a));
	assert_ptr_equal(gl_map_get(&m, "cell-1", 6), &a);
	/* By length, not NUL: a prefix is another key. */
	assert_null(gl_map_get(&m, "cell-", 5));
	assert_null(gl_map_get(&m, "cell-12", 7));
	assert_ptr_equal(gl_map_put(&m, "cell-1", 6, &b), &a);
	assert_ptr_equal(gl_map_get(&m, "cell-1", 6), &b);
	assert_int_equal(gl_map_count(&m), 1);
	assert_ptr_equal(gl_map_del(&m, "cell-1", 6), &b);
	assert_int_equal(gl_map_count(&m), 0);
	assert_null(gl_map_get(&m, "cell-1", 6));
	gl_map_fini(&m);
	gl_map_fini(&m);
}

/* Random puts and deletes over few keys (so that chains form and holes
 * are shifted), each checked against the array. */
static void
test_map_random(void **state)
{
	struct gl_map	 m;
	struct gl_rng	 rng;
	bool		 in[NKEYS] = { false };
	uint64_t	 seed = 0x6d6170;
	size_t		 n = 0;

	(void)state;
	printf("test_map_random: seed %llu\n", (unsigned long long)seed);
	gl_rng_seed(&rng, seed);
	for (size_t i = 0; i < NKEYS; i++) {
		snprintf(keys[i], sizeof keys[i], "c%zu", i);
		vals[i] = (int)i;
	}
	gl_map_init(&m);
	for (int step = 0; step < 20000; step++) {
		size_t	 k = gl_rng_below(&rng, step < 10000 ? NKEYS : 64);
		size_t	 len = strlen(keys[k]);
		void	*v;

		if (gl_rng_below(&rng, 3) == 0) {
			v = gl_map_del(&m, keys[k], len);
			assert_ptr_equal(v, in[k] ? &vals[k] : NULL);
			n -= in[k];
			in[k] = false;
		} else {
			v = gl_map_put(&m, keys[k], len, &vals[k]);
			assert_ptr_equal(v, in[k] ? &vals[k] : NULL);
			n += !in[k];
			in[k] = true;
		}
		assert_int_equal(gl_map_count(&m), n);
		if (step % 1000 == 0 || step > 19900)
			for (size_t i = 0; i < NKEYS; i++)
				assert_ptr_equal(gl_map_get(&m, keys[i],
				    strlen(keys[i])), in[i] ? &vals[i] : NULL);
	}
	gl_map_fini(&m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_map_basics),
		cmocka_unit_test(test_map_random),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

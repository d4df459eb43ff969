/*
 * kfixture.h - the cmocka fixture most kernel protocol tests share: a
 * kernel of their own per test (started in setup, stopped in teardown,
 * where a kernel that leaked or crashed fails the test) and a connection
 * to it that must succeed.
 */
#ifndef GL_TEST_KFIXTURE_H
#define GL_TEST_KFIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>

#include "kclient.h"

static inline int
kt_setup_started(void **state)
{
	struct kt *t = xcalloc(1, sizeof *t);

	kt_init(t);
	assert_true(kt_start(t) > 0);
	*state = t;
	return 0;
}

static inline int
kt_teardown_stopped(void **state)
{
	struct kt	*t = *state;
	int		 st = kt_stop(t);

	kt_fini(t);
	free(t);
	/* A kernel that leaked or crashed fails the test. */
	assert_int_equal(st, 0);
	return 0;
}

/* A connection to t's kernel over its Unix socket; fails the test if
 * there is none. The caller kc_free()s it. */
static inline struct kc *
kt_conn(struct kt *t)
{
	struct kc *k = kc_connect_unix(t->sock);

	assert_non_null(k);
	return k;
}

#endif

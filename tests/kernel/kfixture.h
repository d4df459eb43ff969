/*
 * kfixture.h - the cmocka fixtures the kernel protocol tests share: a
 * kernel of their own per test (kproc.h) in a fresh temporary directory,
 * removed in teardown with every process the test left, and a connection
 * to it that must succeed (kclient.h).
 * - kt_setup / kt_teardown: the directory only; the test starts and stops
 *   the kernel itself (to set options first, or to kill it).
 * - kt_setup_started / kt_teardown_stopped: a kernel running when the
 *   test begins, stopped after it; one that leaked or crashed fails it.
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
kt_setup(void **state)
{
	struct kt *t = xcalloc(1, sizeof *t);

	kt_init(t);
	*state = t;
	return 0;
}

static inline int
kt_teardown(void **state)
{
	struct kt *t = *state;

	kt_fini(t);
	free(t);
	return 0;
}

static inline int
kt_setup_started(void **state)
{
	kt_setup(state);
	assert_true(kt_start(*state) > 0);
	return 0;
}

static inline int
kt_teardown_stopped(void **state)
{
	int	 st = kt_stop(*state);

	kt_teardown(state);
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

/* The TCP address t's kernel listens on (kernel.info's "listen"); fails
 * the test if there is none. The caller frees it. */
static inline char *
kt_listen_addr(struct kt *t)
{
	struct kc	*k = kt_conn(t);
	json_t		*r;
	char		*addr;

	assert_non_null(r = kc_call(k, "kernel.info", NULL));
	assert_non_null(kj_str(r, "listen"));
	addr = xstrdup(kj_str(r, "listen"));
	json_decref(r);
	kc_free(k);
	return addr;
}

#endif

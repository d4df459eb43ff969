/*
 * test_log.c - the budget of log lines for events a peer causes at will:
 * a few lines a second, the rest counted and summed up, every event
 * accounted for once.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/util.h"
#include "kernel/log.h"

/* Runs fn with stderr in a file; returns what was written (caller
 * frees). */
static char *
captured(void (*fn)(void))
{
	char	 path[] = "/tmp/galley-log-XXXXXX";
	char	*text = NULL;
	size_t	 len;
	int	 fd = mkstemp(path), saved = dup(2);

	assert_true(fd >= 0 && saved >= 0);
	fflush(stderr);
	dup2(fd, 2);
	fn();
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	close(fd);
	assert_int_equal(gl_file_read(path, &text, &len, NULL), 0);
	unlink(path);
	return text;
}

/* The sum of the counts of the summaries in text. */
static size_t
summed(const char *text)
{
	size_t n = 0;

	for (const char *p = text; (p = strstr(p, "... and ")) != NULL;
	    p++) {
		size_t k = 0;

		for (const char *q = p + 8; *q != ' '; q++)
			if (*q != ',')
				k = k * 10 + (size_t)(*q - '0');
		n += k;
	}
	return n;
}

static size_t
count(const char *text, const char *needle)
{
	size_t n = 0;

	for (const char *p = text; (p = strstr(p, needle)) != NULL; p++)
		n++;
	return n;
}

static int64_t	 due, after;

/* 2,000 refused peers in 3 s: 10 lines a second, and the rest summed
 * up at most every 10 s and at the end. */
static void
flood(void)
{
	struct log_limit l;

	log_limit_init(&l, "refused peers", 10, 10000);
	for (int i = 0; i < 2000; i++)
		log_limited(&l, 5000 + i * 3 / 2, "peer %d refused", i);
	due = log_limit_flush(&l, 8000, false);
	(void)log_limit_flush(&l, 8000, true);
	after = log_limit_flush(&l, 8000, true);
}

static void
test_flood_is_summed_up(void **state)
{
	char *text = captured(flood);

	(void)state;
	/* Seconds 5, 6 and 7 each log 10 lines; the first dropped is the
	 * 11th (at 5015 ms), so the summary is due 10 s after it. */
	assert_int_equal(count(text, "refused\n"), 30);
	assert_int_equal(count(text, "... and 1,970 more refused peers in "
	    "the last 3 s"), 1);
	assert_int_equal(summed(text), 1970);
	assert_int_equal(due, 15015 - 8000);
	assert_int_equal(after, -1);
	free(text);
}

/* A long flood is summed up every 10 s, each summary counting only what
 * it did not log. */
static void
long_flood(void)
{
	struct log_limit l;

	log_limit_init(&l, "refused peers", 2, 10000);
	for (int64_t t = 0; t < 25000; t += 10)
		log_limited(&l, t, "x");
	(void)log_limit_flush(&l, 25000, true);
}

static void
test_long_flood(void **state)
{
	char	*text = captured(long_flood);
	size_t	 lines = count(text, ": x\n");

	(void)state;
	/* 2,500 events: 2 lines for each of 25 seconds, the rest in three
	 * summaries (at 10 s, 20 s and the end). */
	assert_int_equal(lines, 50);
	assert_int_equal(count(text, "more refused peers in the last 10 s"),
	    2);
	assert_int_equal(count(text, "more refused peers"), 3);
	assert_int_equal(summed(text), 2500 - 50);
	free(text);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_flood_is_summed_up),
		cmocka_unit_test(test_long_flood),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

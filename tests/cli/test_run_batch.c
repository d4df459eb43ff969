/*
 * test_run_batch.c - `galley run` sends a notebook's cells to the runtime
 * at once and it runs them back to back (kernel/session-run.c): what a
 * user sees must not change. Raw writes keep their place between prints
 * across cells; a failure, Ctrl-C or a runtime that dies stops the cells
 * sent ahead; a reader that leaves stops the notebook where a script
 * would stop; many cells run, in order; what a cell printed before it
 * called os.exit() is not lost.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>

#include "cli_helpers.h"
#include "core/mem.h"

static char dir[64];
static char rundir[128];

static int
setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/galley-batch-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(rundir, sizeof rundir, "%s/run", dir);
	mkdir(rundir, 0700);
	setenv("GALLEY_RUNTIME_DIR", rundir, 1);
	unsetenv("GALLEY_KERNEL");
	return 0;
}

static int
teardown(void **state)
{
	char	 cmd[128];

	(void)state;
	stop_kernel();
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void
buf_printf(struct gl_buf *b, const char *fmt, ...)
{
	char	 line[1024];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	gl_buf_adds(b, line);
}

/* Appends cells m1..m20, each making its marker file in dir. */
static void
add_markers(struct gl_buf *b)
{
	for (int i = 1; i <= 20; i++)
		buf_printf(b, "-- %%%% id=\"m%d\"\nio.open('%s/m%d', 'w')"
		    ":close()\n\n", i, dir, i);
}

/* A notebook of n cells, cell i made by fmt with i in it (twice). */
static void
write_cells(const char *name, int n, const char *fmt)
{
	struct gl_buf	 b;
	char		 cell[512];

	gl_buf_init(&b);
	for (int i = 1; i <= n; i++) {
		snprintf(cell, sizeof cell, fmt, i, i);
		buf_printf(&b, "-- %%%% id=\"c%d\"\n%s\n\n", i, cell);
	}
	write_file(dir, name, b.data);
	gl_buf_fini(&b);
}

/* galley run of a notebook of n cells made by cell (write_cells) ends ok
 * printing what want makes of 1..n, each with i in it (twice). */
static void
expect_run(int n, const char *cell, const char *want_fmt)
{
	struct cmd_result	 r;
	struct gl_buf		 want;

	write_cells("cells.nb.lua", n, cell);
	gl_buf_init(&want);
	for (int i = 1; i <= n; i++)
		buf_printf(&want, want_fmt, i, i);
	galley_run(&r, dir, "run", "cells.nb.lua", NULL);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.out, want.data);
	cmd_result_free(&r);
	gl_buf_fini(&want);
}

/* Prints and raw writes (io.stdout:write, a child process) alternate
 * across many cells run back to back: the output is in program order. */
static void
test_raw_writes_keep_their_place(void **state)
{
	(void)state;
	expect_run(60, "print('p%d') io.stdout:write('w%d\\n')",
	    "p%d\nw%d\n");
	expect_run(20, "print('p%d') os.execute('echo e%d')", "p%d\ne%d\n");
}

/* 3,000 cells run in order, each seeing what the one before left. */
static void
test_many_cells_run_in_order(void **state)
{
	(void)state;
	expect_run(3000, "n = (n or 0) + 1 assert(n == %d) print(%d)",
	    "%d\n");
}

/* Whether any marker file m1..mn exists in dir. */
static bool
any_marker(int n)
{
	char	 name[32], *s;

	for (int i = 1; i <= n; i++) {
		snprintf(name, sizeof name, "m%d", i);
		if ((s = read_file(dir, name)) != NULL) {
			free(s);
			return true;
		}
	}
	return false;
}

/* The cells after one that fails, interrupted or whose runtime dies do
 * not run, though they were sent ahead; the next run works. */
static void
test_cells_sent_ahead_stop_with_the_failure(void **state)
{
	struct cmd_result	 r;
	const char		*args[] = { "run", "spin.nb.lua", NULL };
	struct gl_buf		 b;

	(void)state;
	/* A failure. */
	gl_buf_init(&b);
	gl_buf_adds(&b, "-- %% id=\"bad\"\nerror('boom')\n\n");
	add_markers(&b);
	write_file(dir, "fail.nb.lua", b.data);
	galley_run(&r, dir, "run", "fail.nb.lua", NULL);
	assert_int_equal(r.status, 1);
	assert_non_null(strstr(r.err, "boom"));
	assert_false(any_marker(20));
	cmd_result_free(&r);

	/* Ctrl-C while the first cell spins. */
	gl_buf_reset(&b);
	gl_buf_adds(&b, "-- %% id=\"spin\"\nprint('spinning') "
	    "while true do end\n\n");
	add_markers(&b);
	write_file(dir, "spin.nb.lua", b.data);
	galley_run_full(&r, dir, "spinning", SIGINT, 60000, args);
	assert_int_equal(r.status, 130);
	assert_non_null(strstr(r.err, "interrupted"));
	assert_false(any_marker(20));
	cmd_result_free(&r);

	/* The runtime dies under the second cell. */
	gl_buf_reset(&b);
	gl_buf_adds(&b, "-- %% id=\"one\"\nprint('one')\n\n"
	    "-- %% id=\"die\"\nprint('last words') os.exit(3)\n\n");
	add_markers(&b);
	write_file(dir, "die.nb.lua", b.data);
	galley_run(&r, dir, "run", "die.nb.lua", NULL);
	assert_int_equal(r.status, 1);
	assert_string_equal(r.out, "one\nlast words\n");
	assert_non_null(strstr(r.err, "cell \"die\""));
	assert_non_null(strstr(r.err, "runtime died"));
	assert_false(any_marker(20));
	cmd_result_free(&r);
	gl_buf_fini(&b);

	/* And the kernel runs the next notebook. */
	write_cells("next.nb.lua", 3, "print('next %d', %d)");
	galley_run(&r, dir, "run", "next.nb.lua", NULL);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.out, "next 1\t1\nnext 2\t2\nnext 3\t3\n");
	cmd_result_free(&r);
}

/* A reader that leaves while a cell prints more than every buffer holds
 * stops the notebook there, as it stops a script: galley run dies of
 * SIGPIPE, and the next cell never runs. */
static void
test_reader_leaving_mid_cell_stops_the_notebook(void **state)
{
	const char	*args[] = { "run", "-q", "big.nb.lua", NULL };
	char		 nb[512], buf[4096], *marker;
	int		 p[2], status;
	pid_t		 pid;

	(void)state;
	snprintf(nb, sizeof nb,
	    "-- %%%% id=\"big\"\nfor i = 1, 64 do "
	    "io.write(string.rep('x', 1 << 20)) end\n\n"
	    "-- %%%% id=\"after\"\nio.open('%s/after', 'w'):close()\n", dir);
	write_file(dir, "big.nb.lua", nb);
	/* Only galley run may hold the pipe: not a kernel it starts. */
	assert_int_equal(pipe(p), 0);
	fcntl(p[0], F_SETFD, FD_CLOEXEC);
	pid = galley_spawn(dir, p[1], -1, args);
	close(p[1]);
	/* Read a little, then go. */
	assert_true(read(p[0], buf, sizeof buf) > 0);
	close(p[0]);
	status = wait_exit(pid, 60000);
	assert_int_equal(status, 128 + SIGPIPE);
	marker = read_file(dir, "after");
	assert_null(marker);
}

/* The same with SIGPIPE ignored (as some CI runners and daemons start
 * their children): the write fails instead of killing galley run, which
 * still stops there, with the status SIGPIPE would have given. */
static void
test_reader_leaving_stops_the_notebook_sigpipe_ignored(void **state)
{
	const char	*args[] = { "run", "-q", "big.nb.lua", NULL };
	char		 nb[512], buf[4096], *marker;
	int		 p[2], status;
	pid_t		 pid;
	struct sigaction sa, old;

	(void)state;
	snprintf(nb, sizeof nb,
	    "-- %%%% id=\"big\"\nfor i = 1, 64 do "
	    "io.write(string.rep('x', 1 << 20)) end\n\n"
	    "-- %%%% id=\"after\"\nio.open('%s/after', 'w'):close()\n", dir);
	write_file(dir, "big.nb.lua", nb);
	assert_int_equal(pipe(p), 0);
	fcntl(p[0], F_SETFD, FD_CLOEXEC);
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, &old);
	pid = galley_spawn(dir, p[1], -1, args);
	sigaction(SIGPIPE, &old, NULL);
	close(p[1]);
	assert_true(read(p[0], buf, sizeof buf) > 0);
	close(p[0]);
	status = wait_exit(pid, 60000);
	assert_int_equal(status, 128 + SIGPIPE);
	marker = read_file(dir, "after");
	assert_null(marker);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_raw_writes_keep_their_place),
		cmocka_unit_test(test_many_cells_run_in_order),
		cmocka_unit_test(test_cells_sent_ahead_stop_with_the_failure),
		cmocka_unit_test(test_reader_leaving_mid_cell_stops_the_notebook),
		cmocka_unit_test(
		    test_reader_leaving_stops_the_notebook_sigpipe_ignored),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

/*
 * test_rth.c - the kernel's runtime host (kernel/rth.c) on a libuv loop,
 * driving real `galley runtime` processes ($GALLEY_BIN): cells, streams,
 * errors, interrupts, kills from outside, restarts, the memory limit, and
 * that closing leaves no process behind.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <uv.h>

#include "core/err.h"
#include "core/mem.h"
#include "core/rpc.h"
#include "kernel/rth.h"

#define DEADLINE_MS	20000

enum ev_kind { EV_OUTPUT, EV_DONE, EV_STATE };

struct ev {
	enum ev_kind	 kind;
	uint64_t	 run;
	int		 status;	/* gl_run_status or rth_state */
	char		*type;		/* output */
	char		*name;
	char		*text;		/* output text; done/state message */
	char		*err_message;	/* done: error map */
	char		*traceback;
	int64_t		 line;
	bool		 raw;		/* output: came with its bytes */
};

struct fx {
	uv_loop_t	 loop;
	uv_timer_t	 deadline;
	uv_timer_t	 poll;		/* wakes the loop for run_polling() */
	bool		 timed_out;
	struct rth	*h;
	struct ev	*evs;
	size_t		 nevs, cap;
	bool		 closed;	/* rth_close() was called */
	bool		 on_closed;	/* its callback ran */
	int		 late_cbs;	/* callbacks after rth_close() */
	uint64_t	 next_run;
	char		 dir[64];
};

#define assert_contains(hay, needle) do {				\
	const char *h_ = (hay), *n_ = (needle);				\
	if (h_ == NULL || strstr(h_, n_) == NULL)			\
		fail_msg("'%s' does not contain '%s'", h_ ? h_ : "(null)", \
		    n_);						\
} while (0)
#define assert_lacks(hay, needle) do {					\
	const char *h_ = (hay), *n_ = (needle);				\
	if (h_ != NULL && strstr(h_, n_) != NULL)			\
		fail_msg("'%s' contains '%s'", h_, n_);			\
} while (0)

static int64_t
now_us(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static struct ev *
ev_add(struct fx *f, enum ev_kind kind)
{
	struct ev *e;

	if (f->closed)
		f->late_cbs++;
	if (f->nevs == f->cap) {
		f->cap = f->cap ? f->cap * 2 : 64;
		f->evs = xrealloc(f->evs, f->cap * sizeof *f->evs);
	}
	e = &f->evs[f->nevs++];
	memset(e, 0, sizeof *e);
	e->kind = kind;
	return e;
}

static void
evs_clear(struct fx *f)
{
	for (size_t i = 0; i < f->nevs; i++) {
		free(f->evs[i].type);
		free(f->evs[i].name);
		free(f->evs[i].text);
		free(f->evs[i].err_message);
		free(f->evs[i].traceback);
	}
	f->nevs = 0;
}

/* Decodes p[0..n), which must be exactly one value, into *up (the caller
 * destroys it). */
static void
unpack_whole(const char *p, size_t n, msgpack_unpacked *up)
{
	size_t	 off = 0;

	msgpack_unpacked_init(up);
	assert_int_equal(msgpack_unpack_next(up, p, n, &off),
	    MSGPACK_UNPACK_SUCCESS);
	assert_int_equal(off, n);
}

/* An output; the runtime's come with their bytes, which must read as the
 * same map (the kernel passes them on as they are). */
static void
cb_output(void *ctx, uint64_t run, const msgpack_object *o, const char *raw,
    size_t rawlen)
{
	struct ev *e = ev_add(ctx, EV_OUTPUT);

	if (raw != NULL) {
		msgpack_unpacked	 up;

		unpack_whole(raw, rawlen, &up);
		assert_true(msgpack_object_equal(up.data, *o));
		msgpack_unpacked_destroy(&up);
		e->raw = true;
	}

	e->run = run;
	e->type = rpc_map_strdup(o, "type");
	e->name = rpc_map_strdup(o, "name");
	e->text = rpc_map_strdup(o, "text");
}

/* A run's end; its error comes as the bytes of an error output. */
static void
cb_done(void *ctx, uint64_t run, enum gl_run_status status,
    const char *error, size_t errlen, const char *message)
{
	struct ev *e = ev_add(ctx, EV_DONE);

	e->run = run;
	e->status = (int)status;
	e->text = message != NULL ? xstrdup(message) : NULL;
	if (error != NULL) {
		msgpack_unpacked	 up;

		unpack_whole(error, errlen, &up);
		assert_true(rpc_obj_streq(rpc_map_get(&up.data, "type"),
		    "error"));
		e->err_message = rpc_map_strdup(&up.data, "message");
		e->traceback = rpc_map_strdup(&up.data, "traceback");
		e->line = rpc_map_int(&up.data, "line", -1);
		msgpack_unpacked_destroy(&up);
	}
}

static void
cb_state(void *ctx, enum rth_state state, const char *message)
{
	struct ev *e = ev_add(ctx, EV_STATE);

	e->status = (int)state;
	e->text = xstrdup(message != NULL ? message : "");
}

static const struct rth_cbs cbs = { cb_output, cb_done, cb_state, NULL,
    NULL };

static void
on_deadline(uv_timer_t *t)
{
	struct fx *f = t->data;

	f->timed_out = true;
}

/* Runs the loop until pred(f, arg) holds; fails after the deadline. */
static void
run_until(struct fx *f, bool (*pred)(struct fx *, const void *),
    const void *arg, const char *what)
{
	f->timed_out = false;
	uv_timer_start(&f->deadline, on_deadline, DEADLINE_MS, 0);
	while (!pred(f, arg) && !f->timed_out)
		uv_run(&f->loop, UV_RUN_ONCE);
	uv_timer_stop(&f->deadline);
	if (!pred(f, arg))
		fail_msg("timed out waiting for %s", what);
}

static void
on_poll(uv_timer_t *t)
{
	(void)t;	/* only wakes the loop */
}

/* run_until() for a predicate on the outside world (/proc, signals):
 * the loop wakes every millisecond to look again. */
static void
run_polling(struct fx *f, bool (*pred)(struct fx *, const void *),
    const void *arg, const char *what)
{
	uv_timer_start(&f->poll, on_poll, 1, 1);
	run_until(f, pred, arg, what);
	uv_timer_stop(&f->poll);
}

static bool
has_state(struct fx *f, const void *arg)
{
	for (size_t i = 0; i < f->nevs; i++)
		if (f->evs[i].kind == EV_STATE &&
		    f->evs[i].status == *(const int *)arg)
			return true;
	return false;
}

static bool
has_done(struct fx *f, const void *arg)
{
	for (size_t i = 0; i < f->nevs; i++)
		if (f->evs[i].kind == EV_DONE &&
		    f->evs[i].run == *(const uint64_t *)arg)
			return true;
	return false;
}

static bool
has_output(struct fx *f, const void *arg)
{
	for (size_t i = 0; i < f->nevs; i++)
		if (f->evs[i].kind == EV_OUTPUT && f->evs[i].text != NULL &&
		    strcmp(f->evs[i].text, arg) == 0)
			return true;
	return false;
}

static bool
is_idle(struct fx *f, const void *arg)
{
	(void)arg;
	return rth_get_state(f->h) == RTH_IDLE;
}

static bool
is_closed(struct fx *f, const void *arg)
{
	(void)arg;
	return f->on_closed;
}

static void
wait_idle(struct fx *f)
{
	run_until(f, is_idle, NULL, "an idle runtime");
}

static struct ev *
find_done(struct fx *f, uint64_t run)
{
	for (size_t i = 0; i < f->nevs; i++)
		if (f->evs[i].kind == EV_DONE && f->evs[i].run == run)
			return &f->evs[i];
	return NULL;
}

/* Starts a cell; returns its run number. */
static uint64_t
start(struct fx *f, const char *code, const char *chunkname, unsigned line)
{
	struct gl_err	 err = { 0 };
	uint64_t	 run = ++f->next_run;

	if (rth_run(f->h, run, 0, "cell", code, strlen(code), chunkname, line,
	    &err) != 0)
		fail_msg("rth_run: %s", err.msg);
	return run;
}

/* Runs a cell to its end; returns its done event. */
static struct ev *
run_cell(struct fx *f, const char *code)
{
	uint64_t run;

	evs_clear(f);
	run = start(f, code, "@analysis.nb.lua", 1);
	run_until(f, has_done, &run, "a cell's end");
	return find_done(f, run);
}

/* The text of the only result output of the last run, or NULL. */
static const char *
result_text(struct fx *f)
{
	const char *got = NULL;

	for (size_t i = 0; i < f->nevs; i++)
		if (f->evs[i].kind == EV_OUTPUT &&
		    strcmp(f->evs[i].type, "result") == 0) {
			assert_null(got);
			got = f->evs[i].text;
		}
	return got;
}

static void
expect_result(struct fx *f, const char *code, const char *want)
{
	struct ev	*d = run_cell(f, code);
	const char	*got;

	if (d->status != GL_RUN_OK)
		fail_msg("cell '%s' ended %d: %s", code, d->status,
		    d->text ? d->text : "");
	got = result_text(f);
	if (want == NULL && got != NULL)
		fail_msg("cell '%s': unexpected result '%s'", code, got);
	if (want != NULL && (got == NULL || strcmp(got, want) != 0))
		fail_msg("cell '%s': result '%s', want '%s'", code,
		    got ? got : "(none)", want);
	wait_idle(f);
}

/* True while any process of group pgid exists. */
static bool
group_alive(pid_t pgid)
{
	return kill(-pgid, 0) == 0 || errno != ESRCH;
}

/* True once process pid has a child (read from /proc). */
static bool
has_child(struct fx *f, const void *arg)
{
	char	 path[64], buf[64];
	pid_t	 pid = *(const pid_t *)arg;
	FILE	*fp;
	bool	 yes = false;

	(void)f;
	snprintf(path, sizeof path, "/proc/%d/task/%d/children", (int)pid,
	    (int)pid);
	if ((fp = fopen(path, "r")) == NULL)
		return false;
	yes = fgets(buf, sizeof buf, fp) != NULL && buf[0] >= '0' &&
	    buf[0] <= '9';
	fclose(fp);
	return yes;
}

/* Polls (bounded) until the group is gone; each poll runs the loop. */
static void
wait_group_gone(struct fx *f, pid_t pgid)
{
	int64_t	 end = now_us() + DEADLINE_MS * 1000LL;

	while (group_alive(pgid) && now_us() < end) {
		struct timespec ts = { 0, 2000000 };

		uv_run(&f->loop, UV_RUN_NOWAIT);
		nanosleep(&ts, NULL);
	}
	if (group_alive(pgid))
		fail_msg("process group %d is still alive", (int)pgid);
}

static void
on_closed(void *ctx)
{
	struct fx *f = ctx;

	f->on_closed = true;
}

static struct rth *
fx_rth(struct fx *f, const char *exe, size_t limit, struct gl_err *err)
{
	struct rth_opts	 o = { 0 };

	o.exe = exe;
	o.cwd = f->dir;
	o.memory_limit = limit;
	o.session = "test";
	return rth_new(&f->loop, &o, &cbs, f, err);
}

static struct fx *
fx_new(void)
{
	struct fx	*f = xcalloc(1, sizeof *f);

	assert_int_equal(uv_loop_init(&f->loop), 0);
	uv_timer_init(&f->loop, &f->deadline);
	f->deadline.data = f;
	uv_timer_init(&f->loop, &f->poll);
	snprintf(f->dir, sizeof f->dir, "/tmp/galley-rth-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	return f;
}

static int
setup_limit(void **state, size_t limit)
{
	struct fx	*f = fx_new();
	struct gl_err	 err = { 0 };
	const char	*exe = getenv("GALLEY_BIN");

	if (exe == NULL) {
		fprintf(stderr, "GALLEY_BIN is not set\n");
		return -1;
	}
	f->h = fx_rth(f, exe, limit, &err);
	if (f->h == NULL) {
		fprintf(stderr, "rth_new: %s\n", err.msg);
		return -1;
	}
	assert_int_equal(rth_get_state(f->h), RTH_STARTING);
	wait_idle(f);
	*state = f;
	return 0;
}

static int
setup(void **state)
{
	return setup_limit(state, 0);
}

static int
setup_limited(void **state)
{
	return setup_limit(state, 64u << 20);
}

/* Closes the host (if any), checks no callback came after rth_close() and
 * no runtime is left, and frees the fixture. */
static void
fx_free(struct fx *f)
{
	char	 cmd[128];
	pid_t	 pid = f->h != NULL ? rth_pid(f->h) : 0;

	/* First what must happen even when a check below fails. */
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	if (f->h != NULL && !f->closed) {
		f->closed = true;
		rth_close(f->h, on_closed);
		run_until(f, is_closed, NULL, "rth_close's callback");
	}
	assert_int_equal(f->late_cbs, 0);
	if (pid > 0) {
		/* Reaped, not a zombie: kill(pid, 0) fails. */
		assert_int_equal(kill(pid, 0), -1);
		assert_int_equal(errno, ESRCH);
		assert_int_equal(waitpid(pid, NULL, WNOHANG), -1);
		wait_group_gone(f, pid);
	}
	uv_close((uv_handle_t *)&f->deadline, NULL);
	uv_close((uv_handle_t *)&f->poll, NULL);
	uv_run(&f->loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&f->loop), 0);
	evs_clear(f);
	free(f->evs);
	free(f);
}

static int
teardown(void **state)
{
	fx_free(*state);
	return 0;
}

static void
test_trivial_cell_and_streams(void **state)
{
	struct fx	*f = *state;
	struct ev	*d;
	struct gl_buf	 printed;
	bool		 raw = false, err = false;

	expect_result(f, "1+1", "2");
	gl_buf_init(&printed);

	d = run_cell(f, "print('a')\nio.write('b')\nio.stdout:write('raw\\n')"
	    "\nio.stderr:write('err\\n')\nprint('c')");
	assert_int_equal(d->status, GL_RUN_OK);
	for (size_t i = 0; i < f->nevs; i++) {
		struct ev *e = &f->evs[i];

		if (e->kind != EV_OUTPUT)
			continue;
		/* Every output comes before the done. */
		assert_true(e < d);
		assert_string_equal(e->type, "stream");
		/* What the runtime encoded comes with its bytes; what it
		 * wrote to its stdout and stderr the kernel encodes. */
		if (strcmp(e->text, "raw\n") == 0) {
			assert_string_equal(e->name, "stdout");
			assert_false(e->raw);
			raw = true;
		} else if (strcmp(e->text, "err\n") == 0) {
			assert_string_equal(e->name, "stderr");
			assert_false(e->raw);
			err = true;
		} else {
			/* print and io.write, batched, in order. */
			assert_true(e->raw);
			gl_buf_adds(&printed, e->text);
		}
	}
	assert_string_equal(printed.data, "a\nbc\n");
	gl_buf_fini(&printed);
	assert_true(raw && err);
	wait_idle(f);

	/* Raw output at the very end of a cell still belongs to it. */
	d = run_cell(f, "io.stdout:write('tail')");
	assert_int_equal(d->status, GL_RUN_OK);
	assert_true(has_output(f, "tail"));
	wait_idle(f);
}

/* The stdout outputs of f's events, joined, in order; the result's
 * text into *result (NULL: none), which must come after every stream. */
static char *
joined_stdout(struct fx *f, const struct ev *d, const char **result)
{
	struct gl_buf	 b;

	gl_buf_init(&b);
	gl_buf_adds(&b, "");
	*result = NULL;
	for (size_t i = 0; i < f->nevs; i++) {
		struct ev *e = &f->evs[i];

		if (e->kind != EV_OUTPUT)
			continue;
		assert_true(e < d);
		if (strcmp(e->type, "result") == 0) {
			*result = e->text;
			continue;
		}
		assert_null(*result);
		if (strcmp(e->name, "stdout") == 0)
			gl_buf_adds(&b, e->text);
	}
	return b.data;
}

/* Prints (batched), io.write, io.stdout:write (C stdio) and what a child
 * process writes to the runtime's stdout (two pipes to the kernel) come
 * out in the order the cell wrote them, then the result or the error. */
static void
test_raw_and_printed_output_keep_order(void **state)
{
	struct fx	*f = *state;
	struct ev	*d;
	struct gl_buf	 want;
	const char	*result;
	char		*got;

	gl_buf_init(&want);
	for (int i = 1; i <= 20; i++)
		gl_buf_addf(&want, "p%d\nx%d\nw%d\nio%d\n", i, i, i, i);
	gl_buf_adds(&want, "last\n");
	evs_clear(f);
	d = run_cell(f, "for i = 1, 20 do\n"
	    "  print('p' .. i)\n"
	    "  os.execute('echo x' .. i)\n"
	    "  io.stdout:write('w' .. i .. '\\n')\n"
	    "  io.write('io' .. i .. '\\n')\n"
	    "end\n"
	    "print('last')\n"
	    "'end'");
	assert_int_equal(d->status, GL_RUN_OK);
	got = joined_stdout(f, d, &result);
	assert_string_equal(got, want.data);
	assert_non_null(result);
	assert_string_equal(result, "end");
	free(got);
	wait_idle(f);

	evs_clear(f);
	d = run_cell(f, "print('a')\nio.stdout:write('b\\n')\n"
	    "os.execute('echo c')\nprint('d')\nio.stdout:write('e\\n')\n"
	    "error('boom')");
	assert_int_equal(d->status, GL_RUN_ERROR);
	assert_non_null(strstr(d->err_message, "boom"));
	got = joined_stdout(f, d, &result);
	assert_string_equal(got, "a\nb\nc\nd\ne\n");
	assert_null(result);
	free(got);
	gl_buf_fini(&want);
	wait_idle(f);
}

static void
test_locals_and_functions_persist(void **state)
{
	struct fx	*f = *state;

	expect_result(f, "local x = 41", NULL);
	expect_result(f, "x + 1", "42");
	expect_result(f, "function double(n) return n * 2 end\n"
	    "local function greet() return 'hi' end", NULL);
	expect_result(f, "double(21), greet()", "42\thi");
}

static void
test_error_has_lines_and_clean_traceback(void **state)
{
	struct fx	*f = *state;
	struct ev	*d;
	uint64_t	 run;

	evs_clear(f);
	run = start(f, "local a = 1\nlocal function boom()\n  foo()\nend\n"
	    "boom()\n", "@analysis.nb.lua", 10);
	run_until(f, has_done, &run, "the failing cell");
	d = find_done(f, run);
	assert_int_equal(d->status, GL_RUN_ERROR);
	assert_string_equal(d->err_message, "analysis.nb.lua:12: attempt to "
	    "call a nil value (global 'foo')");
	assert_string_equal(d->text, d->err_message);
	assert_int_equal(d->line, 3);
	assert_contains(d->traceback, "analysis.nb.lua:12: in ");
	assert_contains(d->traceback, "analysis.nb.lua:14: in main chunk");
	assert_lacks(d->traceback, "[C]: in ?");
	assert_lacks(d->traceback, "pcall");
	wait_idle(f);
	expect_result(f, "'still here'", "still here");
}

static void
test_interrupt_stops_busy_loop(void **state)
{
	struct fx	*f = *state;
	struct ev	*d;
	uint64_t	 run;
	int		 pid = rth_pid(f->h);
	int64_t		 t0, t1;

	evs_clear(f);
	run = start(f, "local n = 0\nwhile true do\n  n = n + 1\n"
	    "  if n == 9 then print('go') end\nend", "@analysis.nb.lua", 1);
	assert_int_equal(rth_get_state(f->h), RTH_BUSY);
	run_until(f, has_output, "go\n", "the cell to start");
	t0 = now_us();
	rth_interrupt(f->h);
	run_until(f, has_done, &run, "the interrupted cell");
	t1 = now_us();
	printf("interrupt latency through the kernel host: %.3f ms\n",
	    (double)(t1 - t0) / 1000.0);
	d = find_done(f, run);
	assert_int_equal(d->status, GL_RUN_INTERRUPTED);
	assert_string_equal(d->err_message, "interrupted");
	if (d->line < 2 || d->line > 5)
		fail_msg("interrupted at cell line %d, not in the loop",
		    (int)d->line);
	wait_idle(f);
	/* The same runtime carries on. */
	assert_int_equal(rth_pid(f->h), pid);
	expect_result(f, "1+1", "2");
	/* Interrupting an idle runtime does nothing. */
	rth_interrupt(f->h);
	expect_result(f, "local s = 0\nfor i = 1, 1e5 do s = s + i end\ns",
	    "5000050000");
	assert_int_equal(rth_pid(f->h), pid);
}

/* An interrupt asked for in the same breath as the run (before the runtime
 * has even read the request) still stops the cell, once, without killing
 * the runtime. */
static void
test_interrupt_right_after_run(void **state)
{
	struct fx	*f = *state;
	struct ev	*d;
	uint64_t	 run;
	int		 pid = rth_pid(f->h);

	for (int i = 0; i < 20; i++) {
		evs_clear(f);
		run = start(f, "while true do end", "@loop.nb.lua", 1);
		rth_interrupt(f->h);
		run_until(f, has_done, &run, "the interrupted cell");
		d = find_done(f, run);
		assert_int_equal(d->status, GL_RUN_INTERRUPTED);
		wait_idle(f);
		assert_int_equal(rth_pid(f->h), pid);
	}
	expect_result(f, "1+1", "2");
}

static void
test_second_interrupt_kills_blocked_cell(void **state)
{
	struct fx	*f = *state;
	struct ev	*d;
	uint64_t	 run;
	pid_t		 pid = rth_pid(f->h);
	int		 st;

	evs_clear(f);
	run = start(f, "os.execute('sleep 30')", "@analysis.nb.lua", 1);
	/* Once the shell runs, system() ignores SIGINT: the first
	 * interrupt cannot stop the cell. */
	run_polling(f, has_child, &pid, "the cell's child process");
	rth_interrupt(f->h);
	rth_interrupt(f->h);
	run_until(f, has_done, &run, "the killed cell");
	d = find_done(f, run);
	assert_int_equal(d->status, GL_RUN_DIED);
	assert_contains(d->text, "runtime died (signal 9)");
	assert_null(d->err_message);
	st = RTH_DEAD;
	run_until(f, has_state, &st, "the dead state");
	wait_idle(f);
	assert_true(rth_pid(f->h) != pid);
	/* The runtime's process group went with it: no `sleep 30` left. */
	wait_group_gone(f, pid);
	expect_result(f, "1+1", "2");
}

/* Run run, which waits for the file mark, has not ended: mark is made
 * and the run's end awaited. */
static void
release(struct fx *f, uint64_t run, const char *mark)
{
	FILE	*fp;

	assert_null(find_done(f, run));
	assert_non_null(fp = fopen(mark, "w"));
	fclose(fp);
	run_until(f, has_done, &run, "the cell's end");
}

/* Prints are batched, yet reach the kernel while the cell runs on (a
 * cell blocked in C shows them once C returns), and a cell's own
 * debug.sethook keeps working around the batch's timer. */
static void
test_prints_stream_while_the_cell_runs(void **state)
{
	struct fx	*f = *state;
	struct ev	*d;
	uint64_t	 run;
	char		*code, *mark = xasprintf("%s/go", f->dir);

	evs_clear(f);
	code = xasprintf("print('first')\n"
	    "while not io.open('%s') do end\n"
	    "print('second')", mark);
	run = start(f, code, "@analysis.nb.lua", 1);
	run_until(f, has_output, "first\n", "a print while the cell runs");
	release(f, run, mark);
	d = find_done(f, run);
	assert_int_equal(d->status, GL_RUN_OK);
	assert_true(has_output(f, "second\n"));
	wait_idle(f);
	free(code);

	/* In a coroutine (a hook of its own) a print after the batch's
	 * time writes it. */
	unlink(mark);
	evs_clear(f);
	code = xasprintf("coroutine.wrap(function()\n"
	    "  print('co1')\n"
	    "  local t = os.clock()\n"
	    "  while os.clock() - t < 0.02 do end\n"
	    "  print('co2')\n"
	    "  while not io.open('%s') do end\n"
	    "end)()", mark);
	run = start(f, code, "@analysis.nb.lua", 1);
	run_until(f, has_output, "co1\nco2\n", "prints from a coroutine");
	release(f, run, mark);
	wait_idle(f);
	free(code);

	expect_result(f, "local n = 0\n"
	    "debug.sethook(function() n = n + 1 end, '', 100)\n"
	    "print('x')\n"
	    "local t = os.clock()\n"
	    "while os.clock() - t < 0.05 do end\n"
	    "local before = n\n"
	    "t = os.clock()\n"
	    "while os.clock() - t < 0.02 do end\n"
	    "debug.sethook()\n"
	    "n > before", "true");
	free(mark);
}

static void
test_kill_from_outside_restarts(void **state)
{
	struct fx	*f = *state;
	struct ev	*d;
	uint64_t	 run;
	pid_t		 pid = rth_pid(f->h);
	int		 st = RTH_DEAD;
	bool		 seen_dead = false, seen_starting = false;

	/* Idle. */
	evs_clear(f);
	assert_int_equal(kill(pid, SIGKILL), 0);
	run_until(f, has_state, &st, "the dead state");
	wait_idle(f);
	for (size_t i = 0; i < f->nevs; i++) {
		if (f->evs[i].kind == EV_STATE && f->evs[i].status ==
		    RTH_DEAD) {
			assert_contains(f->evs[i].text,
			    "runtime died (signal 9)");
			seen_dead = true;
		}
		if (f->evs[i].kind == EV_STATE && f->evs[i].status ==
		    RTH_STARTING) {
			assert_true(seen_dead);
			seen_starting = true;
		}
		assert_true(f->evs[i].kind != EV_DONE);
	}
	assert_true(seen_starting);
	assert_true(rth_pid(f->h) != pid);
	expect_result(f, "1+1", "2");

	/* Busy. */
	pid = rth_pid(f->h);
	evs_clear(f);
	run = start(f, "print('go')\nwhile true do end", "@analysis.nb.lua", 1);
	run_until(f, has_output, "go\n", "the cell to start");
	assert_int_equal(kill(pid, SIGKILL), 0);
	run_until(f, has_done, &run, "the cell's end");
	d = find_done(f, run);
	assert_int_equal(d->status, GL_RUN_DIED);
	assert_string_equal(d->text, "runtime died (signal 9)");
	wait_idle(f);
	assert_true(rth_pid(f->h) != pid);
	expect_result(f, "local after = 'restart'\nafter", "restart");
}

static void
test_restart_on_request(void **state)
{
	struct fx	*f = *state;
	struct ev	*d;
	uint64_t	 run;
	pid_t		 pid = rth_pid(f->h);

	expect_result(f, "local kept = 1", NULL);
	rth_restart(f->h);
	wait_idle(f);
	assert_true(rth_pid(f->h) != pid);
	/* A fresh state. */
	expect_result(f, "kept", "nil");

	pid = rth_pid(f->h);
	evs_clear(f);
	run = start(f, "print('go')\nwhile true do end", "@analysis.nb.lua", 1);
	run_until(f, has_output, "go\n", "the cell to start");
	rth_restart(f->h);
	run_until(f, has_done, &run, "the cell's end");
	d = find_done(f, run);
	assert_int_equal(d->status, GL_RUN_DIED);
	wait_idle(f);
	assert_true(rth_pid(f->h) != pid);
	expect_result(f, "1+1", "2");
}

static void
test_memory_limit(void **state)
{
	struct fx	*f = *state;
	struct ev	*d;

	d = run_cell(f, "local t = {}\nfor i = 1, 1e9 do t[i] = i end");
	assert_int_equal(d->status, GL_RUN_ERROR);
	assert_string_equal(d->err_message, "memory limit exceeded: the cell "
	    "needed more than 64 MiB (galley kernel --memory-limit)");
	wait_idle(f);
	d = run_cell(f, "local s = string.rep('x', 1 << 30)");
	assert_int_equal(d->status, GL_RUN_ERROR);
	assert_contains(d->err_message, "memory limit exceeded");
	wait_idle(f);
	expect_result(f, "1+1", "2");
}

static void
test_close_while_busy_leaves_nothing(void **state)
{
	struct fx	*f = *state;
	pid_t		 pid = rth_pid(f->h);

	evs_clear(f);
	start(f, "print('go')\nos.execute('sleep 30')", "@analysis.nb.lua", 1);
	run_polling(f, has_child, &pid, "the cell's child process");
	/* fx_free closes, checks no callback came after, that the runtime
	 * was reaped and its process group is gone. */
	(void)pid;
}

/* A runtime that dies at start is restarted, but not forever. */
static void
test_dies_at_start_gives_up(void **state)
{
	struct fx	*f = fx_new();
	struct gl_err	 err = { 0 };
	const char	*last = NULL;
	int		 st = RTH_DEAD, deaths = 0;

	(void)state;
	f->h = fx_rth(f, "/bin/false", 0, &err);
	assert_non_null(f->h);
	run_until(f, has_state, &st, "a dead state");
	/* Wait for the state that gives up. */
	for (;;) {
		deaths = 0;
		last = NULL;
		for (size_t i = 0; i < f->nevs; i++)
			if (f->evs[i].kind == EV_STATE &&
			    f->evs[i].status == RTH_DEAD) {
				deaths++;
				last = f->evs[i].text;
			}
		if (last != NULL && strstr(last, "not restarting") != NULL)
			break;
		f->timed_out = false;
		uv_timer_start(&f->deadline, on_deadline, DEADLINE_MS, 0);
		uv_run(&f->loop, UV_RUN_ONCE);
		uv_timer_stop(&f->deadline);
		if (f->timed_out)
			fail_msg("the host kept restarting");
	}
	assert_int_equal(deaths, 3);
	assert_contains(last, "3 times in a row");
	assert_contains(last, "exit status 1");
	assert_int_equal(rth_get_state(f->h), RTH_DEAD);
	assert_int_equal(rth_pid(f->h), 0);
	assert_int_equal(rth_run(f->h, 1, 0, "c", "1", 1, "=c", 1, &err),
	    GL_EDIED);
	fx_free(f);

	/* A missing binary fails at once. */
	f = fx_new();
	assert_null(fx_rth(f, "/nonexistent/galley", 0, &err));
	assert_int_equal(err.code, GL_ENOTFOUND);
	assert_contains(err.msg, "/nonexistent/galley");
	fx_free(f);
}

/* A runtime that writes garbage on the pipe is killed, with its group. */
static void
test_garbage_from_runtime_kills_it(void **state)
{
	struct fx	*f = fx_new();
	struct gl_err	 err = { 0 };
	char		 script[128];
	FILE		*fp;
	int		 st = RTH_DEAD;

	(void)state;
	snprintf(script, sizeof script, "%s/fake-galley", f->dir);
	assert_non_null(fp = fopen(script, "w"));
	fputs("#!/bin/sh\nprintf '\\301garbage' >&3\nexec sleep 30\n", fp);
	fclose(fp);
	assert_int_equal(chmod(script, 0755), 0);
	f->h = fx_rth(f, script, 0, &err);
	assert_non_null(f->h);
	run_until(f, has_state, &st, "a dead state");
	for (size_t i = 0; i < f->nevs; i++)
		if (f->evs[i].kind == EV_STATE &&
		    f->evs[i].status == RTH_DEAD) {
			assert_contains(f->evs[i].text, "signal 9");
			assert_contains(f->evs[i].text, "protocol error");
			break;
		}
	fx_free(f);
}

/* A cell larger than the pipe's buffer, and output in many pieces. */
static void
test_big_cell_and_big_output(void **state)
{
	struct fx	*f = *state;
	struct gl_buf	 code;
	struct ev	*d;
	size_t		 total = 0;

	gl_buf_init(&code);
	gl_buf_adds(&code, "local s = [[");
	for (int i = 0; i < 200000; i++)
		gl_buf_adds(&code, "0123456789");
	gl_buf_adds(&code, "]]\n#s");
	expect_result(f, code.data, "2000000");
	gl_buf_fini(&code);

	d = run_cell(f, "print(string.rep('x', 3000000))\n"
	    "io.stdout:write(string.rep('y', 300000))");
	assert_int_equal(d->status, GL_RUN_OK);
	for (size_t i = 0; i < f->nevs; i++)
		if (f->evs[i].kind == EV_OUTPUT &&
		    strcmp(f->evs[i].type, "stream") == 0)
			total += strlen(f->evs[i].text);
	assert_int_equal(total, 3000001 + 300000);
	wait_idle(f);
}

static int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

static void
test_round_trip_figure(void **state)
{
	struct fx	*f = *state;
	int64_t		 t[1000], t0;
	struct ev	*d;

	for (int i = 0; i < 1000; i++) {
		t0 = now_us();
		d = run_cell(f, "1+1");
		t[i] = now_us() - t0;
		assert_int_equal(d->status, GL_RUN_OK);
		assert_string_equal(result_text(f), "2");
	}
	qsort(t, 1000, sizeof t[0], cmp_i64);
	printf("rth round trip of `1+1` (rth_run to on_done, real runtime): "
	    "median %lld us, p90 %lld us\n", (long long)t[500],
	    (long long)t[900]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_trivial_cell_and_streams, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_locals_and_functions_persist, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_error_has_lines_and_clean_traceback, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_interrupt_stops_busy_loop, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_second_interrupt_kills_blocked_cell, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_interrupt_right_after_run, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_prints_stream_while_the_cell_runs, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_raw_and_printed_output_keep_order, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_kill_from_outside_restarts, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_restart_on_request, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_memory_limit, setup_limited, teardown),
		cmocka_unit_test_setup_teardown(
		    test_close_while_busy_leaves_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_big_cell_and_big_output, setup, teardown),
		cmocka_unit_test(test_dies_at_start_gives_up),
		cmocka_unit_test(test_garbage_from_runtime_kills_it),
		cmocka_unit_test_setup_teardown(
		    test_round_trip_figure, setup, teardown),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

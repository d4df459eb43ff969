/*
 * test_cells.c - cell.* and runtime.* through a real kernel and real
 * runtimes: outputs, errors, the queue, interrupt, cancel, restart,
 * runtimes that crash or are killed, sessions that must not affect each
 * other, clients that leave mid-run.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "kfixture.h"

/* About 0.4 s of CPU in the runtime, then a line. */
#define SLOW_CELL \
	"local t = os.clock()\n" \
	"while os.clock() - t < 0.4 do end\n" \
	"print(\"slow done\")"

/* Opens name (written with text) in t->proj; returns the session id
 * (caller frees). */
static char *
open_nb(struct kt *t, struct kc *k, const char *name, const char *text)
{
	char	*nb = kt_write(t->proj, name, text), *sid;
	json_t	*r = kc_call(k, "session.open", json_pack("{s:s}", "path", nb));

	assert_non_null(r);
	sid = xstrdup(kj_str(r, "session"));
	json_decref(r);
	free(nb);
	return sid;
}

/* cell.run of cells (NULL-terminated); returns the first run id. */
static long long
run_cells(struct kc *k, const char *sid, ...)
{
	va_list		 ap;
	const char	*id;
	json_t		*cells = json_array(), *r;
	long long	 run;

	va_start(ap, sid);
	while ((id = va_arg(ap, const char *)) != NULL)
		json_array_append_new(cells, json_string(id));
	va_end(ap);
	r = kc_call(k, "cell.run", json_pack("{s:s, s:o}", "session", sid,
	    "cells", cells));
	assert_non_null(r);
	run = kj_int(json_array_get(json_object_get(r, "runs"), 0), "run");
	json_decref(r);
	return run;
}

static json_t *
wait_done(struct kc *k, long long run)
{
	json_t *n = kc_note(k, "cell.done", "run", json_integer(run),
	    KC_WAIT_MS);

	assert_non_null(n);
	return n;
}

static json_t *
run_one(struct kc *k, const char *sid, const char *cell)
{
	return wait_done(k, run_cells(k, sid, cell, NULL));
}

static char *
outputs_text(struct kc *k, const char *sid, const char *cell)
{
	json_t	*o = kc_call(k, "cell.outputs", json_pack("{s:s, s:s}",
	    "session", sid, "cell", cell));
	char	*text;

	assert_non_null(o);
	text = kj_outputs_text(json_object_get(o, "outputs"));
	json_decref(o);
	return text;
}

/* The last of a cell's kept outputs (caller decrefs), or NULL. */
static json_t *
last_output(struct kc *k, const char *sid, const char *cell)
{
	json_t	*o = kc_call(k, "cell.outputs", json_pack("{s:s, s:s}",
	    "session", sid, "cell", cell));
	json_t	*outs, *last;

	assert_non_null(o);
	outs = json_object_get(o, "outputs");
	last = json_array_get(outs, json_array_size(outs) - 1);
	json_incref(last);
	json_decref(o);
	return last;
}

static int
runtime_pid(struct kc *k, const char *sid)
{
	json_t	*l = kc_call(k, "session.list", NULL);
	size_t	 i;
	json_t	*s;
	int	 pid = -1;

	assert_non_null(l);
	json_array_foreach(l, i, s) {
		if (strcmp(kj_str(s, "session"), sid) == 0)
			pid = (int)kj_int(s, "runtime_pid");
	}
	json_decref(l);
	return pid;
}

static void
test_run_outputs(void **state)
{
	struct kt	*t = *state;
	struct kc	*k = kt_conn(t);
	char		*sid = open_nb(t, k, "o.nb.lua",
	    "-- %% id=\"a\"\nprint(\"hi\")\n1 + 1\n");
	json_t		*n, *o, *d, *outs;
	long long	 run;

	run = run_cells(k, sid, "a", NULL);
	assert_true(run > 0);
	assert_non_null(n = kc_note(k, "cell.started", "run",
	    json_integer(run), KC_WAIT_MS));
	assert_string_equal(kj_str(n, "cell"), "a");
	assert_string_equal(kj_str(n, "session"), sid);
	json_decref(n);
	assert_non_null(n = kc_note(k, "cell.output", "run",
	    json_integer(run), KC_WAIT_MS));
	o = json_object_get(n, "output");
	assert_string_equal(kj_str(o, "type"), "stream");
	assert_string_equal(kj_str(o, "text"), "hi\n");
	json_decref(n);
	assert_non_null(n = kc_note(k, "cell.output", "run",
	    json_integer(run), KC_WAIT_MS));
	o = json_object_get(n, "output");
	assert_string_equal(kj_str(o, "type"), "result");
	assert_string_equal(kj_str(o, "text"), "2");
	json_decref(n);
	n = wait_done(k, run);
	assert_string_equal(kj_str(n, "status"), "ok");
	assert_true(kj_int(n, "elapsed_ms") >= 0);
	assert_null(json_object_get(n, "error"));
	json_decref(n);
	/* cell.outputs and the document give the same outputs. */
	assert_non_null(o = kc_call(k, "cell.outputs", json_pack("{s:s, s:s}",
	    "session", sid, "cell", "a")));
	assert_false(json_is_true(json_object_get(o, "stale")));
	outs = json_object_get(o, "outputs");
	assert_int_equal(json_array_size(outs), 2);
	d = kc_call(k, "doc.get", json_pack("{s:s}", "session", sid));
	assert_non_null(d);
	assert_true(json_equal(outs, json_object_get(kj_cell(
	    json_object_get(d, "cells"), "a"), "outputs")));
	json_decref(d);
	json_decref(o);
	assert_null(kc_call(k, "cell.outputs", json_pack("{s:s, s:s}",
	    "session", sid, "cell", "nope")));
	assert_int_equal(k->code, GL_ENOTFOUND);
	/* Unknown cells are refused before anything is queued. */
	assert_null(kc_call(k, "cell.run", json_pack("{s:s, s:[s, s]}",
	    "session", sid, "cells", "a", "nope")));
	assert_int_equal(k->code, GL_ENOTFOUND);
	assert_non_null(strstr(k->msg, "nope"));
	assert_int_equal(kc_drain_notes(k, "cell.started"), 0);
	free(sid);
	kc_free(k);
}

/* Asks method (cell.complete or cell.inspect) about code with the cursor
 * at cursor; returns its answer notification's params. */
static json_t *
ask(struct kc *k, const char *sid, const char *method, const char *code,
    size_t cursor)
{
	json_t		*r, *n;
	long long	 request;

	r = kc_call(k, method, json_pack("{s:s, s:s, s:I}", "session", sid,
	    "code", code, "cursor", (json_int_t)cursor));
	assert_non_null(r);
	request = kj_int(r, "request");
	assert_true(request > 0);
	json_decref(r);
	n = kc_note(k, strcmp(method, "cell.complete") == 0 ?
	    "cell.completion" : "cell.inspection", "request",
	    json_integer(request), KC_WAIT_MS);
	assert_non_null(n);
	assert_string_equal(kj_str(n, "session"), sid);
	return n;
}

/* The texts of a completion's matches, ' '-separated. Caller frees. */
static char *
match_texts(const json_t *n)
{
	struct gl_buf	 b;
	size_t		 i;
	json_t		*m;

	gl_buf_init(&b);
	json_array_foreach(json_object_get(n, "matches"), i, m)
		gl_buf_addf(&b, "%s%s", i ? " " : "", kj_str(m, "text"));
	gl_buf_addc(&b, '\0');
	return gl_buf_take(&b, NULL);
}

/* cell.complete and cell.inspect: the runtime answers between runs;
 * without a runtime, or while it runs a cell, the kernel answers at once
 * from the notebook's words and says why. */
static void
test_complete_and_inspect(void **state)
{
	struct kt	*t = *state;
	struct kc	*k = kt_conn(t);
	char		*sid = open_nb(t, k, "c.nb.lua",
	    "-- %% id=\"a\"\nlocal function total_of(xs, ...) return 0 "
	    "end\ntotal_count = 3\n\n"
	    "-- %% id=\"slow\"\nlocal t = os.clock()\nwhile os.clock() - t < 5 "
	    "do end\n");
	json_t		*n;
	char		*m;

	/* No runtime yet: words of the notebook. */
	n = ask(k, sid, "cell.complete", "total_", 6);
	assert_string_equal(kj_str(n, "source"), "notebook");
	assert_non_null(strstr(kj_str(n, "note"), "no runtime yet"));
	m = match_texts(n);
	assert_string_equal(m, "total_count total_of");
	assert_int_equal(kj_int(n, "start"), 0);
	free(m);
	json_decref(n);
	n = ask(k, sid, "cell.inspect", "total_of", 3);
	assert_false(json_is_true(json_object_get(n, "found")));
	json_decref(n);
	/* After a run, the live session answers. */
	json_decref(run_one(k, sid, "a"));
	n = ask(k, sid, "cell.complete", "x = total_c", 11);
	assert_string_equal(kj_str(n, "source"), "runtime");
	m = match_texts(n);
	assert_string_equal(m, "total_count");
	free(m);
	assert_int_equal(kj_int(n, "start"), 4);
	assert_int_equal(kj_int(n, "end"), 11);
	json_decref(n);
	n = ask(k, sid, "cell.inspect", "total_of(1)", 2);
	assert_true(json_is_true(json_object_get(n, "found")));
	assert_string_equal(kj_str(n, "summary"), "function(xs, ...)");
	json_decref(n);
	/* While a cell runs: at once, from the notebook. */
	run_cells(k, sid, "slow", NULL);
	assert_non_null(n = kc_note(k, "cell.started", "cell",
	    json_string("slow"), KC_WAIT_MS));
	json_decref(n);
	n = ask(k, sid, "cell.complete", "total_", 6);
	assert_string_equal(kj_str(n, "source"), "notebook");
	assert_non_null(strstr(kj_str(n, "note"), "busy"));
	json_decref(n);
	assert_non_null(n = kc_call(k, "cell.interrupt", json_pack("{s:s}",
	    "session", sid)));
	json_decref(n);
	/* Bad arguments. */
	assert_null(kc_call(k, "cell.complete", json_pack("{s:s, s:s, s:i}",
	    "session", sid, "code", "ab", "cursor", 3)));
	assert_int_equal(k->code, GL_EINVAL);
	free(sid);
	kc_free(k);
}

static void
test_markdown_and_header(void **state)
{
	struct kt	*t = *state;
	struct kc	*k = kt_conn(t);
	char		*sid = open_nb(t, k, "h.nb.lua",
	    "h = 41\n"
	    "\n"
	    "-- %% [markdown] id=\"md\"\n"
	    "-- # Title\n"
	    "\n"
	    "-- %% id=\"use\"\n"
	    "h + 1\n");
	json_t		*n, *d;
	char		*text;
	const char	*header;

	/* A markdown cell completes at once and starts no runtime. */
	n = run_one(k, sid, "md");
	assert_string_equal(kj_str(n, "status"), "ok");
	json_decref(n);
	assert_int_equal(runtime_pid(k, sid), 0);
	assert_non_null(d = kc_call(k, "doc.get", json_pack("{s:s}",
	    "session", sid)));
	header = kj_str(json_array_get(json_object_get(d, "cells"), 0), "id");
	n = run_one(k, sid, header);
	assert_string_equal(kj_str(n, "status"), "ok");
	json_decref(n);
	json_decref(d);
	n = run_one(k, sid, "use");
	assert_string_equal(kj_str(n, "status"), "ok");
	json_decref(n);
	text = outputs_text(k, sid, "use");
	assert_string_equal(text, "42");
	free(text);
	text = outputs_text(k, sid, "md");
	assert_string_equal(text, "");
	free(text);
	free(sid);
	kc_free(k);
}

static void
test_error_cancels_rest_of_run(void **state)
{
	struct kt	*t = *state;
	struct kc	*k = kt_conn(t);
	char		*sid = open_nb(t, k, "e.nb.lua",
	    "-- %% id=\"bad\"\nlocal x = 1\nerror(\"boom\")\n\n"
	    "-- %% id=\"after\"\nprint(\"never\")\n");
	json_t		*n, *e, *last;
	long long	 run;

	run = run_cells(k, sid, "bad", "after", NULL);
	n = wait_done(k, run);
	assert_string_equal(kj_str(n, "status"), "error");
	e = json_object_get(n, "error");
	assert_non_null(e);
	assert_non_null(strstr(kj_str(e, "message"), "boom"));
	assert_int_equal(kj_int(e, "line"), 2);
	/* The error is an error output: the one the cell keeps. */
	assert_string_equal(kj_str(e, "type"), "error");
	assert_non_null(strstr(kj_str(e, "traceback"), "stack traceback"));
	last = last_output(k, sid, "bad");
	assert_true(json_equal(e, last));
	json_decref(last);
	json_decref(n);
	n = wait_done(k, run + 1);
	assert_string_equal(kj_str(n, "status"), "cancelled");
	assert_non_null(kj_str(n, "message"));
	assert_null(json_object_get(n, "error"));
	json_decref(n);
	/* A later request runs it. */
	n = run_one(k, sid, "after");
	assert_string_equal(kj_str(n, "status"), "ok");
	json_decref(n);
	free(sid);
	kc_free(k);
}

static void
test_run_takes_source_at_start(void **state)
{
	struct kt	*t = *state;
	struct kc	*k = kt_conn(t);
	char		*sid = open_nb(t, k, "src.nb.lua",
	    "-- %% id=\"slow\"\n" SLOW_CELL "\n\n"
	    "-- %% id=\"b\"\nprint(\"old\")\n");
	json_t		*n, *e;
	long long	 run;
	char		*text;

	run = run_cells(k, sid, "slow", "b", NULL);
	assert_non_null(n = kc_note(k, "cell.started", "run",
	    json_integer(run), KC_WAIT_MS));
	json_decref(n);
	/* While slow runs, b is edited: print("old") -> print("new"). */
	e = kc_call(k, "doc.edit", json_pack("{s:s, s:i, s:[{s:s, s:s, "
	    "s:[i, i, s, i]}]}", "session", sid, "version", 0, "ops", "t",
	    "text", "id", "b", "ops", 7, -3, "new", 2));
	assert_non_null(e);
	json_decref(e);
	json_decref(wait_done(k, run));
	n = wait_done(k, run + 1);
	assert_string_equal(kj_str(n, "status"), "ok");
	json_decref(n);
	text = outputs_text(k, sid, "b");
	assert_string_equal(text, "new\n");
	free(text);
	free(sid);
	kc_free(k);
}

static void
test_interrupt(void **state)
{
	struct kt	*t = *state;
	struct kc	*k = kt_conn(t);
	char		*sid = open_nb(t, k, "i.nb.lua",
	    "-- %% id=\"loop\"\nprint(\"looping\")\nwhile true do end\n\n"
	    "-- %% id=\"next\"\nprint(\"alive\")\n");
	json_t		*n, *r;
	long long	 run;
	int		 pid;
	char		*text;

	run = run_cells(k, sid, "loop", NULL);
	/* Interrupt once the loop runs (the runtime ignores a SIGINT that
	 * lands before it starts the cell). */
	assert_non_null(n = kc_note(k, "cell.output", "run",
	    json_integer(run), KC_WAIT_MS));
	json_decref(n);
	pid = runtime_pid(k, sid);
	assert_true(pid > 0);
	assert_non_null(r = kc_call(k, "cell.interrupt", json_pack("{s:s}",
	    "session", sid)));
	json_decref(r);
	n = wait_done(k, run);
	assert_string_equal(kj_str(n, "status"), "interrupted");
	json_decref(n);
	/* The same runtime carries on. */
	n = run_one(k, sid, "next");
	assert_string_equal(kj_str(n, "status"), "ok");
	json_decref(n);
	assert_int_equal(runtime_pid(k, sid), pid);
	text = outputs_text(k, sid, "next");
	assert_string_equal(text, "alive\n");
	free(text);
	/* Interrupting an idle session does nothing. */
	assert_non_null(r = kc_call(k, "cell.interrupt", json_pack("{s:s}",
	    "session", sid)));
	json_decref(r);
	free(sid);
	kc_free(k);
}

static void
test_cancel(void **state)
{
	struct kt	*t = *state;
	struct kc	*k = kt_conn(t);
	char		*sid = open_nb(t, k, "c.nb.lua",
	    "-- %% id=\"slow\"\n" SLOW_CELL "\n\n"
	    "-- %% id=\"x\"\nprint(1)\n\n"
	    "-- %% id=\"y\"\nprint(2)\n");
	json_t		*n, *r;
	long long	 run;

	run = run_cells(k, sid, "slow", "x", "y", NULL);
	assert_non_null(n = kc_note(k, "cell.started", "run",
	    json_integer(run), KC_WAIT_MS));
	json_decref(n);
	assert_non_null(r = kc_call(k, "cell.cancel", json_pack("{s:s}",
	    "session", sid)));
	assert_int_equal(kj_int(r, "cancelled"), 2);
	json_decref(r);
	n = wait_done(k, run + 1);
	assert_string_equal(kj_str(n, "status"), "cancelled");
	json_decref(n);
	n = wait_done(k, run + 2);
	assert_string_equal(kj_str(n, "status"), "cancelled");
	json_decref(n);
	/* The running cell was not touched. */
	n = wait_done(k, run);
	assert_string_equal(kj_str(n, "status"), "ok");
	json_decref(n);
	assert_int_equal(kc_drain_notes(k, "cell.started"), 0);
	free(sid);
	kc_free(k);
}

static void
test_restart(void **state)
{
	struct kt	*t = *state;
	struct kc	*k = kt_conn(t);
	char		*sid = open_nb(t, k, "r.nb.lua",
	    "-- %% id=\"set\"\nx = 5\n\n-- %% id=\"get\"\nprint(x)\n");
	json_t		*n, *r;
	int		 pid;
	char		*text;

	/* Before the first run there is nothing to restart. */
	assert_non_null(r = kc_call(k, "runtime.restart", json_pack("{s:s}",
	    "session", sid)));
	json_decref(r);
	json_decref(run_one(k, sid, "set"));
	json_decref(run_one(k, sid, "get"));
	text = outputs_text(k, sid, "get");
	assert_string_equal(text, "5\n");
	free(text);
	pid = runtime_pid(k, sid);
	assert_non_null(r = kc_call(k, "runtime.restart", json_pack("{s:s}",
	    "session", sid)));
	json_decref(r);
	assert_non_null(n = kc_note(k, "runtime.status", "state",
	    json_string("starting"), KC_WAIT_MS));
	json_decref(n);
	/* Variables are gone in the new runtime. */
	n = run_one(k, sid, "get");
	assert_string_equal(kj_str(n, "status"), "ok");
	json_decref(n);
	text = outputs_text(k, sid, "get");
	assert_string_equal(text, "nil\n");
	free(text);
	assert_int_not_equal(runtime_pid(k, sid), pid);
	assert_true(kt_pid_gone(pid, KC_WAIT_MS));
	free(sid);
	kc_free(k);
}

static void
test_runtime_exit_then_next_run(void **state)
{
	struct kt	*t = *state;
	struct kc	*k = kt_conn(t);
	char		*sid = open_nb(t, k, "x.nb.lua",
	    "-- %% id=\"die\"\nos.exit(1)\n\n"
	    "-- %% id=\"ok\"\nprint(\"back\")\n");
	json_t		*n, *e, *last;
	char		*text;

	n = run_one(k, sid, "die");
	assert_string_equal(kj_str(n, "status"), "died");
	assert_non_null(kj_str(n, "message"));
	/* Why it died is the run's error, an error output, as the cell
	 * keeps it. */
	e = json_object_get(n, "error");
	assert_string_equal(kj_str(e, "type"), "error");
	assert_string_equal(kj_str(e, "message"), kj_str(n, "message"));
	last = last_output(k, sid, "die");
	assert_true(json_equal(e, last));
	json_decref(last);
	json_decref(n);
	assert_non_null(n = kc_note(k, "runtime.status", "state",
	    json_string("dead"), KC_WAIT_MS));
	json_decref(n);
	n = run_one(k, sid, "ok");
	assert_string_equal(kj_str(n, "status"), "ok");
	json_decref(n);
	text = outputs_text(k, sid, "ok");
	assert_string_equal(text, "back\n");
	free(text);
	free(sid);
	kc_free(k);
}

static void
test_runtime_kill9(void **state)
{
	struct kt	*t = *state;
	struct kc	*k = kt_conn(t);
	char		*sid = open_nb(t, k, "k.nb.lua",
	    "-- %% id=\"loop\"\nwhile true do end\n\n"
	    "-- %% id=\"ok\"\nprint(\"back\")\n");
	json_t		*n;
	long long	 run;
	int		 pid;

	run = run_cells(k, sid, "loop", NULL);
	assert_non_null(n = kc_note(k, "cell.started", "run",
	    json_integer(run), KC_WAIT_MS));
	json_decref(n);
	pid = runtime_pid(k, sid);
	assert_true(pid > 0);
	assert_int_equal(kill(pid, SIGKILL), 0);
	n = wait_done(k, run);
	assert_string_equal(kj_str(n, "status"), "died");
	json_decref(n);
	n = run_one(k, sid, "ok");
	assert_string_equal(kj_str(n, "status"), "ok");
	json_decref(n);
	assert_int_not_equal(runtime_pid(k, sid), pid);
	free(sid);
	kc_free(k);
}

/* Runs a cell that leaves a child process behind (sleep 120 in the
 * background) and gives that child's pid. */
static pid_t
start_orphan(struct kt *t, struct kc *k, char **sid)
{
	char	*path = xasprintf("%s/child.pid", t->proj);
	char	*nb = xasprintf("-- %%%% id=\"bg\"\n"
	    "os.execute('sleep 120 </dev/null >/dev/null 2>&1 & "
	    "echo $! > %s')\n", path);
	char	*text;
	json_t	*n;
	pid_t	 pid;

	*sid = open_nb(t, k, "bg.nb.lua", nb);
	n = run_one(k, *sid, "bg");
	assert_string_equal(kj_str(n, "status"), "ok");
	json_decref(n);
	assert_non_null(text = kt_read(path));
	pid = (pid_t)atoi(text);
	assert_true(pid > 0);
	assert_int_equal(kill(pid, 0), 0);
	free(text);
	free(nb);
	free(path);
	return pid;
}

/* What a cell started dies with its runtime, killed -9 from outside. */
static void
test_runtime_kill9_takes_its_children(void **state)
{
	struct kt	*t = *state;
	struct kc	*k = kt_conn(t);
	char		*sid;
	pid_t		 child = start_orphan(t, k, &sid);
	int		 pid = runtime_pid(k, sid);
	bool		 gone;

	assert_true(pid > 0);
	assert_int_equal(kill(pid, SIGKILL), 0);
	gone = kt_pid_gone(child, KC_WAIT_MS);
	if (!gone)
		kill(child, SIGKILL);
	assert_true(gone);
	free(sid);
	kc_free(k);
}

/* ... and when its kernel is killed -9: nothing is left to kill it but
 * the runtime's guard. */
static void
test_kernel_kill9_takes_cell_children(void **state)
{
	struct kt	*t = *state;
	struct kc	*k = kt_conn(t);
	char		*sid;
	pid_t		 child = start_orphan(t, k, &sid);
	int		 pid = runtime_pid(k, sid);
	bool		 gone, rgone;

	assert_true(pid > 0);
	kt_kill9(t);
	rgone = kt_pid_gone(pid, KC_WAIT_MS);
	gone = kt_pid_gone(child, KC_WAIT_MS);
	if (!gone)
		kill(child, SIGKILL);
	assert_true(rgone);
	assert_true(gone);
	free(sid);
	kc_free(k);
}

static void
test_two_sessions_one_crashes(void **state)
{
	struct kt	*t = *state;
	struct kc	*a = kt_conn(t), *b = kt_conn(t);
	char		*sa = open_nb(t, a, "a.nb.lua",
	    "-- %% id=\"warm\"\ny = 1\n\n-- %% id=\"die\"\nos.exit(3)\n");
	char		*sb = open_nb(t, b, "b.nb.lua",
	    "-- %% id=\"warm\"\nz = 2\n\n-- %% id=\"slow\"\n" SLOW_CELL
	    "\nprint(z)\n");
	json_t		*n;
	long long	 run;
	int		 pb;
	char		*text;

	json_decref(run_one(a, sa, "warm"));
	json_decref(run_one(b, sb, "warm"));
	pb = runtime_pid(b, sb);
	run = run_cells(b, sb, "slow", NULL);
	assert_non_null(n = kc_note(b, "cell.started", "run",
	    json_integer(run), KC_WAIT_MS));
	json_decref(n);
	n = run_one(a, sa, "die");
	assert_string_equal(kj_str(n, "status"), "died");
	json_decref(n);
	/* b's run finishes in the runtime it started in. */
	n = wait_done(b, run);
	assert_string_equal(kj_str(n, "status"), "ok");
	json_decref(n);
	text = outputs_text(b, sb, "slow");
	assert_string_equal(text, "slow done\n2\n");
	free(text);
	assert_int_equal(runtime_pid(b, sb), pb);
	/* b saw nothing of a's session. */
	assert_null(kc_note(b, "runtime.status", "session", json_string(sa),
	    0));
	free(sa);
	free(sb);
	kc_free(a);
	kc_free(b);
}

static void
test_client_leaves_mid_run(void **state)
{
	struct kt	*t = *state;
	struct kc	*a = kt_conn(t), *b = kt_conn(t);
	char		*sid = open_nb(t, a, "l.nb.lua",
	    "-- %% id=\"slow\"\n" SLOW_CELL "\n");
	json_t		*n, *r;
	long long	 run;
	char		*text;

	assert_non_null(r = kc_call(b, "session.attach", json_pack("{s:s}",
	    "session", sid)));
	json_decref(r);
	run = run_cells(a, sid, "slow", NULL);
	assert_non_null(n = kc_note(a, "cell.started", "run",
	    json_integer(run), KC_WAIT_MS));
	json_decref(n);
	kc_free(a);
	n = wait_done(b, run);
	assert_string_equal(kj_str(n, "status"), "ok");
	json_decref(n);
	text = outputs_text(b, sid, "slow");
	assert_string_equal(text, "slow done\n");
	free(text);
	free(sid);
	kc_free(b);
}

static void
test_deleted_cell_is_cancelled(void **state)
{
	struct kt	*t = *state;
	struct kc	*k = kt_conn(t);
	char		*sid = open_nb(t, k, "d.nb.lua",
	    "-- %% id=\"slow\"\n" SLOW_CELL "\n\n"
	    "-- %% id=\"gone\"\nprint(1)\n");
	json_t		*n, *e;
	long long	 run;

	run = run_cells(k, sid, "slow", "gone", NULL);
	assert_non_null(n = kc_note(k, "cell.started", "run",
	    json_integer(run), KC_WAIT_MS));
	json_decref(n);
	e = kc_call(k, "doc.edit", json_pack("{s:s, s:i, s:[{s:s, s:s, "
	    "s:i}]}", "session", sid, "version", 0, "ops", "t", "delete_cell",
	    "id", "gone", "from", 1));
	assert_non_null(e);
	json_decref(e);
	json_decref(wait_done(k, run));
	n = wait_done(k, run + 1);
	assert_string_equal(kj_str(n, "status"), "cancelled");
	assert_non_null(strstr(kj_str(n, "message"), "deleted"));
	json_decref(n);
	free(sid);
	kc_free(k);
}

static void
test_memory_limit(void **state)
{
	struct kt	*t = *state;
	struct kc	*k;
	char		*sid;
	json_t		*n;

	assert_int_equal(kt_stop(t), 0);
	t->memory_limit = (size_t)32 << 20;
	assert_true(kt_start(t) > 0);
	k = kt_conn(t);
	sid = open_nb(t, k, "m.nb.lua",
	    "-- %% id=\"hog\"\nlocal t = {}\nfor i = 1, 1e9 do t[i] = i end\n\n"
	    "-- %% id=\"ok\"\nprint(\"fine\")\n");
	n = run_one(k, sid, "hog");
	assert_string_equal(kj_str(n, "status"), "error");
	assert_non_null(strstr(kj_str(json_object_get(n, "error"), "message"),
	    "memory limit"));
	json_decref(n);
	n = run_one(k, sid, "ok");
	assert_string_equal(kj_str(n, "status"), "ok");
	json_decref(n);
	free(sid);
	kc_free(k);
}

/* exe is no runtime: missing, or one that exits at once (the host gives
 * up after a few deaths at start). Runs fail; nothing hangs. */
static void
cannot_start(struct kt *t, const char *exe)
{
	struct kc	*k;
	char		*sid;
	json_t		*n, *r;
	long long	 run;

	assert_int_equal(kt_stop(t), 0);
	t->exe = exe;
	assert_true(kt_start(t) > 0);
	k = kt_conn(t);
	sid = open_nb(t, k, "n.nb.lua", "-- %% id=\"a\"\nprint(1)\n\n"
	    "-- %% id=\"b\"\nprint(2)\n");
	run = run_cells(k, sid, "a", "b", NULL);
	n = wait_done(k, run);
	assert_string_equal(kj_str(n, "status"), "died");
	assert_non_null(kj_str(n, "message"));
	json_decref(n);
	n = wait_done(k, run + 1);
	assert_string_equal(kj_str(n, "status"), "cancelled");
	json_decref(n);
	/* The kernel still serves, and later runs fail as fast. */
	n = run_one(k, sid, "b");
	assert_string_equal(kj_str(n, "status"), "died");
	json_decref(n);
	assert_non_null(r = kc_call(k, "kernel.info", NULL));
	json_decref(r);
	free(sid);
	kc_free(k);
}

static void
test_runtime_that_cannot_start(void **state)
{
	cannot_start(*state, "/nonexistent/galley");
}

static void
test_runtime_that_dies_at_start(void **state)
{
	cannot_start(*state, "/bin/false");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_run_outputs,
		    kt_setup_started, kt_teardown_stopped),
		cmocka_unit_test_setup_teardown(
		    test_runtime_kill9_takes_its_children,
		    kt_setup_started, kt_teardown_stopped),
		cmocka_unit_test_setup_teardown(
		    test_kernel_kill9_takes_cell_children,
		    kt_setup_started, kt_teardown_stopped),
		cmocka_unit_test_setup_teardown(test_complete_and_inspect,
		    kt_setup_started, kt_teardown_stopped),
		cmocka_unit_test_setup_teardown(test_markdown_and_header,
		    kt_setup_started, kt_teardown_stopped),
		cmocka_unit_test_setup_teardown(test_error_cancels_rest_of_run,
		    kt_setup_started, kt_teardown_stopped),
		cmocka_unit_test_setup_teardown(test_run_takes_source_at_start,
		    kt_setup_started, kt_teardown_stopped),
		cmocka_unit_test_setup_teardown(test_interrupt,
		    kt_setup_started, kt_teardown_stopped),
		cmocka_unit_test_setup_teardown(test_cancel, kt_setup_started,
		    kt_teardown_stopped),
		cmocka_unit_test_setup_teardown(test_restart, kt_setup_started,
		    kt_teardown_stopped),
		cmocka_unit_test_setup_teardown(
		    test_runtime_exit_then_next_run, kt_setup_started,
		    kt_teardown_stopped),
		cmocka_unit_test_setup_teardown(test_runtime_kill9,
		    kt_setup_started, kt_teardown_stopped),
		cmocka_unit_test_setup_teardown(test_two_sessions_one_crashes,
		    kt_setup_started, kt_teardown_stopped),
		cmocka_unit_test_setup_teardown(test_client_leaves_mid_run,
		    kt_setup_started, kt_teardown_stopped),
		cmocka_unit_test_setup_teardown(test_deleted_cell_is_cancelled,
		    kt_setup_started, kt_teardown_stopped),
		cmocka_unit_test_setup_teardown(test_memory_limit,
		    kt_setup_started, kt_teardown_stopped),
		cmocka_unit_test_setup_teardown(test_runtime_that_cannot_start,
		    kt_setup_started, kt_teardown_stopped),
		cmocka_unit_test_setup_teardown(test_runtime_that_dies_at_start,
		    kt_setup_started, kt_teardown_stopped),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

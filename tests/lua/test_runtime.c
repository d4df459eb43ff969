/*
 * test_runtime.c - the runtime process (lua/runtime.c) driven over a
 * socketpair: each test forks a child running lx_runtime_main() and speaks
 * the runtime pipe protocol (docs/protocol.md) to it, as the kernel does.
 */
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/err.h"
#include "core/mem.h"
#include "core/rpc.h"
#include "lua/runtime.h"

#define MAX_OUTS	64
#define DEADLINE_MS	20000

struct out {
	char	 type[16];
	char	 name[16];
	char	*text;		/* owned */
};

struct res {
	char		 status[16];
	struct out	 outs[MAX_OUTS];
	int		 nouts;
	char		*message;	/* owned */
	char		*traceback;	/* owned */
	int64_t		 line;
	int		 rpc_code;	/* an error response */
	const msgpack_object *result;
};

struct fx {
	pid_t		 pid;
	int		 fd;
	struct rpc_reader *rd;
	struct rpc_writer w;
	uint32_t	 next_id;
	char		 dir[64];	/* temp cwd of the child */
	int64_t		 ready_pid;
};

static int64_t
now_us(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void
write_file(const char *dir, const char *name, const char *text)
{
	char	 path[256];
	FILE	*f;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	assert_non_null(f = fopen(path, "w"));
	fputs(text, f);
	fclose(f);
}

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

/* Results not yet freed, so that a failed test leaks nothing into the
 * next test's forked runtime (whose leak check would report it). */
static struct res *live_res[4];

static void
res_track(struct res *r)
{
	for (int i = 0; i < 4; i++)
		if (live_res[i] == NULL || live_res[i] == r) {
			live_res[i] = r;
			return;
		}
}

static void
res_fini(struct res *r)
{
	for (int i = 0; i < 4; i++)
		if (live_res[i] == r)
			live_res[i] = NULL;
	for (int i = 0; i < r->nouts; i++)
		free(r->outs[i].text);
	free(r->message);
	free(r->traceback);
	memset(r, 0, sizeof *r);
}

static void
answer_sync(struct fx *f, uint32_t id)
{
	struct rpc_writer	 w;
	size_t			 off = 0;
	ssize_t			 k;

	rpc_writer_init(&w);
	rpc_begin_response(&w, id);
	msgpack_pack_nil(&w.pk);
	while (off < w.sbuf.size) {
		k = write(f->fd, w.sbuf.data + off, w.sbuf.size - off);
		if (k < 0 && errno == EINTR)
			continue;
		assert_true(k > 0);
		off += (size_t)k;
	}
	rpc_writer_fini(&w);
}

/* Reads the next message, failing the test after the deadline; answers
 * the runtime's sync requests on the way. */
static void
next_msg(struct fx *f, struct rpc_msg *m)
{
	struct gl_err	 err = { 0 };
	char		 buf[65536];
	int64_t		 end = now_us() + DEADLINE_MS * 1000LL;
	int		 rc;

	for (;;) {
		rc = rpc_reader_next(f->rd, m, &err);
		if (rc < 0)
			fail_msg("bad message from the runtime: %s", err.msg);
		if (rc == 1 && m->type == RPC_REQUEST &&
		    strcmp(m->method, "sync") == 0) {
			/* Before it writes raw: answered as the kernel does. */
			answer_sync(f, m->id);
			rpc_msg_fini(m);
			continue;
		}
		if (rc == 1)
			return;
		struct pollfd pfd = { .fd = f->fd, .events = POLLIN };
		int64_t left = (end - now_us()) / 1000;

		if (left <= 0)
			fail_msg("no message from the runtime in %d ms",
			    DEADLINE_MS);
		if (poll(&pfd, 1, (int)left) <= 0)
			continue;
		ssize_t n = read(f->fd, buf, sizeof buf);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			fail_msg("runtime closed the pipe");
		rpc_reader_feed(f->rd, buf, (size_t)n);
	}
}

static void
send_all(struct fx *f)
{
	const char	*p = f->w.sbuf.data;
	size_t		 n = f->w.sbuf.size;

	while (n > 0) {
		ssize_t k = write(f->fd, p, n);

		if (k < 0 && errno == EINTR)
			continue;
		assert_true(k > 0);
		p += k;
		n -= (size_t)k;
	}
	rpc_writer_reset(&f->w);
}

static uint32_t
send_run(struct fx *f, const char *code, const char *chunkname,
    unsigned line)
{
	uint32_t	 id = ++f->next_id;
	msgpack_packer	*pk = &f->w.pk;

	rpc_begin_request(&f->w, id, "run");
	msgpack_pack_map(pk, 5);
	rpc_pack_kv_int(pk, "run", 1000 + id);
	rpc_pack_kv_str(pk, "cell", "c1");
	rpc_pack_kv_str(pk, "code", code);
	rpc_pack_kv_str(pk, "chunkname", chunkname);
	rpc_pack_kv_int(pk, "line", line);
	send_all(f);
	return id;
}

/* The next message that is not the "started" notification. */
static void
next_output(struct fx *f, struct rpc_msg *m)
{
	for (;;) {
		next_msg(f, m);
		if (m->type != RPC_NOTIFY || strcmp(m->method, "started") != 0)
			return;
		rpc_msg_fini(m);
	}
}

/* Collects outputs until the response to id. */
static void
wait_done(struct fx *f, uint32_t id, struct res *r)
{
	struct rpc_msg	 m;

	memset(r, 0, sizeof *r);
	res_track(r);
	for (;;) {
		next_msg(f, &m);
		if (m.type == RPC_NOTIFY && strcmp(m.method, "output") == 0) {
			const msgpack_object *o = rpc_map_get(m.args, "output");
			struct out *out;
			char *s;

			assert_int_equal(rpc_map_int(m.args, "run", -1),
			    1000 + id);
			assert_true(r->nouts < MAX_OUTS);
			out = &r->outs[r->nouts++];
			s = rpc_map_strdup(o, "type");
			snprintf(out->type, sizeof out->type, "%s", s ? s : "");
			free(s);
			s = rpc_map_strdup(o, "name");
			snprintf(out->name, sizeof out->name, "%s", s ? s : "");
			free(s);
			out->text = rpc_map_strdup(o, "text");
			if (out->text == NULL) {
				/* A table or tree: the map, printed. */
				char	*buf = xmalloc(1 << 16);

				msgpack_object_print_buffer(buf, 1 << 16, *o);
				out->text = buf;
			}
			assert_non_null(out->text);
			rpc_msg_fini(&m);
			continue;
		}
		assert_int_equal(m.type, RPC_RESPONSE);
		assert_int_equal(m.id, id);
		{
			struct gl_err	 err = { 0 };
			char		*s;

			if ((r->rpc_code = rpc_msg_error(&m, &err)) != 0) {
				r->message = xstrdup(err.msg);
				rpc_msg_fini(&m);
				return;
			}
			s = rpc_map_strdup(m.result, "status");
			assert_non_null(s);
			snprintf(r->status, sizeof r->status, "%s", s);
			free(s);
			const msgpack_object *e = rpc_map_get(m.result, "error");

			if (e != NULL) {
				/* A failed run's error is an error output. */
				assert_true(rpc_obj_streq(rpc_map_get(e,
				    "type"), "error"));
				r->message = rpc_map_strdup(e, "message");
				r->traceback = rpc_map_strdup(e, "traceback");
				r->line = rpc_map_int(e, "line", -1);
				assert_non_null(r->message);
				assert_non_null(r->traceback);
			}
		}
		rpc_msg_fini(&m);
		return;
	}
}

static void
run(struct fx *f, const char *code, struct res *r)
{
	wait_done(f, send_run(f, code, "@analysis.nb.lua", 1), r);
}

/* Runs code and checks it ends ok with exactly the given result text
 * (NULL: no result output). */
static void
expect_result(struct fx *f, const char *code, const char *want)
{
	struct res	 r;
	const char	*got = NULL;

	run(f, code, &r);
	if (strcmp(r.status, "ok") != 0)
		fail_msg("cell %s: status %s: %s", code, r.status,
		    r.message ? r.message : "");
	for (int i = 0; i < r.nouts; i++)
		if (strcmp(r.outs[i].type, "result") == 0) {
			assert_null(got);
			got = r.outs[i].text;
		}
	if (want == NULL && got != NULL)
		fail_msg("cell %s: unexpected result '%s'", code, got);
	if (want != NULL && (got == NULL || strcmp(got, want) != 0))
		fail_msg("cell %s: result '%s', want '%s'", code,
		    got ? got : "(none)", want);
	res_fini(&r);
}

static void
fx_start(struct fx *f, size_t limit, const char *lua_path)
{
	int		 sv[2];
	struct rpc_msg	 m;

	memset(f, 0, sizeof *f);
	snprintf(f->dir, sizeof f->dir, "/tmp/galley-rt-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
	    sv), 0);
	fflush(NULL);
	f->pid = fork();
	assert_true(f->pid >= 0);
	if (f->pid == 0) {
		struct lx_runtime_opts o = { .fd = sv[1],
		    .memory_limit = limit };

		close(sv[0]);
		if (chdir(f->dir) != 0)
			_exit(99);
		if (lua_path != NULL)
			setenv("GALLEY_LUA_PATH", lua_path, 1);
		else
			unsetenv("GALLEY_LUA_PATH");
		/* exit, not _exit: the sanitizer's leak check runs. */
		exit(lx_runtime_main(&o));
	}
	close(sv[1]);
	f->fd = sv[0];
	f->rd = rpc_reader_new(1 << 28);
	rpc_writer_init(&f->w);
	next_msg(f, &m);
	assert_int_equal(m.type, RPC_NOTIFY);
	assert_string_equal(m.method, "ready");
	f->ready_pid = rpc_map_int(m.args, "pid", 0);
	assert_int_equal(f->ready_pid, f->pid);
	assert_true(rpc_obj_streq(rpc_map_get(m.args, "version"),
	    GALLEY_VERSION));
	rpc_msg_fini(&m);
}

/* Waits for the child to exit (bounded); returns its wait status. */
static int
reap(pid_t pid)
{
	int64_t	 end = now_us() + DEADLINE_MS * 1000LL;
	int	 ws;
	pid_t	 p;

	while ((p = waitpid(pid, &ws, WNOHANG)) == 0 && now_us() < end) {
		struct timespec ts = { 0, 1000000 };

		nanosleep(&ts, NULL);
	}
	if (p == 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &ws, 0);
		fail_msg("runtime %d did not exit", (int)pid);
	}
	return ws;
}

static void
rm_tree(const char *dir)
{
	char	 cmd[300];

	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

/* Closes the pipe: the runtime must exit 0 (and leak nothing). */
static void
fx_stop(struct fx *f)
{
	int	 ws;

	close(f->fd);
	rpc_reader_free(f->rd);
	rpc_writer_fini(&f->w);
	rm_tree(f->dir);
	ws = reap(f->pid);
	assert_true(WIFEXITED(ws));
	assert_int_equal(WEXITSTATUS(ws), 0);
}

static int
setup(void **state)
{
	struct fx *f = xcalloc(1, sizeof *f);

	fx_start(f, 0, NULL);
	*state = f;
	return 0;
}

static int
setup_limited(void **state)
{
	struct fx *f = xcalloc(1, sizeof *f);

	fx_start(f, 64u << 20, NULL);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	for (int i = 0; i < 4; i++)
		if (live_res[i] != NULL)
			res_fini(live_res[i]);

	fx_stop(f);
	free(f);
	return 0;
}

static void
test_trivial_cell_shows_its_value(void **state)
{
	struct fx	*f = *state;
	struct rpc_msg	 m;
	uint32_t	 id;

	expect_result(f, "1+1", "2");
	/* ping answers with the pid and a heap size. */
	id = ++f->next_id;
	rpc_begin_request(&f->w, id, "ping");
	msgpack_pack_map(&f->w.pk, 0);
	send_all(f);
	next_msg(f, &m);
	assert_int_equal(m.type, RPC_RESPONSE);
	assert_int_equal(m.id, id);
	assert_int_equal(rpc_map_int(m.result, "pid", 0), f->pid);
	assert_true(rpc_map_int(m.result, "heap", 0) > 1000);
	rpc_msg_fini(&m);
}

static void
test_print_streams_in_order(void **state)
{
	struct fx	*f = *state;
	struct res	 r;

	run(f, "print('a', 1, nil, true)\nprint()\nio.write('x', 1, 2.5, "
	    "'\\n'):write('')\nprint('b')\n", &r);
	assert_string_equal(r.status, "ok");
	/* Prints in a row are batched (io.stdout:write writes the batch
	 * first): stdout stream outputs, in order. */
	{
		struct gl_buf	 all;

		gl_buf_init(&all);
		gl_buf_adds(&all, "");
		assert_true(r.nouts >= 1 && r.nouts <= 2);
		for (int i = 0; i < r.nouts; i++) {
			assert_string_equal(r.outs[i].type, "stream");
			assert_string_equal(r.outs[i].name, "stdout");
			gl_buf_adds(&all, r.outs[i].text);
		}
		assert_string_equal(all.data,
		    "a\t1\tnil\ttrue\n\nx12.5\nb\n");
		gl_buf_fini(&all);
	}
	res_fini(&r);

	/* print's __tostring and display. */
	run(f, "local t = setmetatable({}, {__tostring = function() "
	    "return 'T!' end})\nprint(t, 2.0)\ndisplay(t, nil, 'x')\n"
	    "display()\n", &r);
	assert_string_equal(r.status, "ok");
	assert_int_equal(r.nouts, 2);
	assert_string_equal(r.outs[0].text, "T!\t2.0\n");
	assert_string_equal(r.outs[1].type, "result");
	assert_string_equal(r.outs[1].text, "T!\tnil\tx");
	res_fini(&r);

	/* After io.output(file), io.write writes the file, as in Lua; a
	 * cell's child process does not inherit the kernel pipe. */
	run(f, "io.output('out.txt')\nio.write('to file ', 1)\n"
	    "io.close()\nio.output(io.stdout)\n"
	    "local h = io.popen('ls -l /proc/self/fd/ | grep -c socket')\n"
	    "local n = h:read('n')\nh:close()\n"
	    "io.write(io.open('out.txt'):read('a'), ' ', n)\nn = nil\n", &r);
	assert_string_equal(r.status, "ok");
	assert_int_equal(r.nouts, 1);
	assert_string_equal(r.outs[0].text, "to file 1 0");
	res_fini(&r);

	/* A bad io.write argument is the usual error. */
	run(f, "io.write({})", &r);
	assert_string_equal(r.status, "error");
	assert_contains(r.message, "bad argument #1 to 'write'");
	res_fini(&r);
}

static void
test_locals_persist_across_cells(void **state)
{
	struct fx	*f = *state;

	expect_result(f, "local x = 41", NULL);
	expect_result(f, "x + 1", "42");
	expect_result(f, "local function sq(n) return n * n end\n"
	    "local a, b = 2, 3", NULL);
	expect_result(f, "sq(7), a + b", "49\t5");
	/* A later assignment sets the carried name. */
	expect_result(f, "x = 1", NULL);
	expect_result(f, "x", "1");
	/* The innermost of two same-named locals wins. */
	expect_result(f, "local y = 1\nlocal y = 2", NULL);
	expect_result(f, "y", "2");
	/* Locals of a cell with a trailing expression persist too. */
	expect_result(f, "local z = 'zed'\nz .. '!'", "zed!");
	expect_result(f, "z", "zed");
	/* A cell ending in an explicit return still runs; its values show. */
	expect_result(f, "local w = 5\nreturn w * 2", "10");
	/* Nested locals do not leak. */
	expect_result(f, "do local inner = 1 end\ninner", "nil");
}

static void
test_trailing_expression_like_the_repl(void **state)
{
	struct fx	*f = *state;

	expect_result(f, "nil", "nil");
	expect_result(f, "1, 'a', nil", "1\ta\tnil");
	expect_result(f, "x = 1", NULL);
	expect_result(f, "for i = 1, 2 do end", NULL);
	expect_result(f, "local t = {1, 2, 3}\n#t -- how many\n\n"
	    "-- a trailing comment\n   \n", "3");
	expect_result(f, "math.max(\n  3,\n  9\n)", "9");
	expect_result(f, "local s = [[\nabc]]", NULL);
	expect_result(f, "s", "abc");
	expect_result(f, "local function f() return end\nf()", NULL);
	expect_result(f, "setmetatable({}, {__tostring = function() "
	    "return 'shown' end})", "shown");
	expect_result(f, "2^53", "9.007199254741e+15");
	expect_result(f, "10 // 3, 7 / 2", "3\t3.5");
	expect_result(f, "-- only a comment", NULL);
	expect_result(f, "", NULL);
	expect_result(f, "'a' ..\n'b'", "ab");
	expect_result(f, "local v = 3\nv * 2; -- semicolon", "6");
	expect_result(f, "v", "3");
	expect_result(f, "select('#', table.unpack({1, 2, 3}))", "3");
	/* An `=` in a string, a table or a function body is no
	 * assignment. */
	expect_result(f, "'a = b'", "a = b");
	expect_result(f, "({n = 1}).n", "1");
	expect_result(f, "(function() local q = 2 return q end)()", "2");
	expect_result(f, "local e = 1 -- e = 2\ne == 1", "true");
	expect_result(f, "'a--b' .. [[--]] .. [==[]]]==] -- c", "a--b--]]");
	expect_result(f, "\"q\\\"--\" -- c", "q\"--");
	expect_result(f, "local n = 0\nfor i = 1, 10 do n = n + i end\nn",
	    "55");
	expect_result(f, "string.find('hello', 'l')", "3\t3");
	expect_result(f, "return", NULL);
	expect_result(f, "if true then\n  local q = 1\nend -- done", NULL);
	/* A goto to a label at the end cannot take the capture call after
	 * it: the cell runs as written. */
	expect_result(f, "goto skip\nlocal a = 1\n::skip::", NULL);
	{
		struct res r;

		run(f, "setmetatable({}, {__tostring = function() "
		    "error('no string') end})", &r);
		assert_string_equal(r.status, "error");
		assert_contains(r.message, "no string");
		res_fini(&r);
	}
}

/* The one output of code, which must end ok, of type type. */
static char *
one_output(struct fx *f, const char *code, const char *type, struct res *r)
{
	run(f, code, r);
	if (strcmp(r->status, "ok") != 0)
		fail_msg("cell %s: status %s: %s", code, r->status,
		    r->message ? r->message : "");
	assert_int_equal(r->nouts, 1);
	assert_string_equal(r->outs[0].type, type);
	return r->outs[0].text;
}

/* A displayed table is a table or a tree output, never "table: 0x...",
 * and is small whatever the table. */
static void
test_tables_display_as_tables_and_trees(void **state)
{
	struct fx	*f = *state;
	struct res	 r;
	const char	*t;

	/* A list of records: one row each, columns sorted. */
	t = one_output(f, "{ {name = 'ann', age = 31}, {name = 'bo', "
	    "age = 4, x = true} }", "table", &r);
	assert_contains(t, "\"columns\"=>[\"age\", \"name\", \"x\"]");
	assert_contains(t, "\"rows\"=>[[\"31\", \"ann\", nil], "
	    "[\"4\", \"bo\", \"true\"]]");
	assert_contains(t, "\"more\"=>0");
	res_fini(&r);
	/* A record of lists: one column each; display() says the same. */
	t = one_output(f, "display({day = {'mon', 'tue'}, fare = {12.5}})",
	    "table", &r);
	assert_contains(t, "\"columns\"=>[\"day\", \"fare\"]");
	assert_contains(t, "\"rows\"=>[[\"mon\", \"12.5\"], [\"tue\", "
	    "nil]]");
	res_fini(&r);
	/* Anything else: a tree, the sequence first, then keys sorted,
	 * short lists inline, strings as literals, cycles cut. */
	t = one_output(f, "local t = {10, 20, b = 'x\\n', a = {1, 2}, "
	    "c = {d = {e = true}}}\nt.me = t\nt", "tree", &r);
	assert_contains(t, "\"nodes\"=>[[0, \"\", \"\", 6, 0], "
	    "[1, \"[1]\", \"10\", -1, 0], [1, \"[2]\", \"20\", -1, 0], "
	    "[1, \"a\", \"{1, 2}\", 2, 0], [1, \"b\", \"\"x\\n\"\", "
	    "-1, 0], [1, \"c\", \"\", 1, 0], [2, \"d\", \"\", 1, 0], "
	    "[3, \"e\", \"true\", -1, 0], [1, \"me\", \"{\xe2\x80\xa6 cycle}\", "
	    "6, 6]]");
	res_fini(&r);
	/* Big tables stay small: 1e5 records send 1000 rows, a list of a
	 * million numbers 100 children, and say how many more there are. */
	t = one_output(f, "local t = {}\nfor i = 1, 1e5 do t[i] = {i = i} "
	    "end\nt", "table", &r);
	assert_contains(t, "\"more\"=>99000");
	assert_true(strlen(t) < 60000);
	res_fini(&r);
	t = one_output(f, "local t = {}\nfor i = 1, 1e6 do t[i] = i end\nt",
	    "tree", &r);
	assert_contains(t, "[0, \"\", \"\", 1000000, 999900]");
	assert_true(strlen(t) < 60000);
	res_fini(&r);
	t = one_output(f, "local t = {}\nfor i = 1, 1e4 do t['k' .. i] = i "
	    "end\nt", "tree", &r);
	assert_contains(t, "[0, \"\", \"\", 10000, 9900]");
	assert_contains(t, "[1, \"k1\", \"1\", -1, 0], [1, \"k10\", \"10\"");
	res_fini(&r);
	/* __tostring, several values, and print keep the REPL's text. */
	expect_result(f, "setmetatable({}, {__tostring = function() "
	    "return 'mine' end})", "mine");
	run(f, "print({}) display({}, 1)", &r);
	assert_int_equal(r.nouts, 2);
	assert_true(strncmp(r.outs[0].text, "table: ", 7) == 0);
	assert_string_equal(r.outs[1].type, "result");
	assert_true(strncmp(r.outs[1].text, "table: ", 7) == 0);
	res_fini(&r);
	t = one_output(f, "{}", "tree", &r);
	assert_contains(t, "[0, \"\", \"{}\", 0, 0]");
	res_fini(&r);
}

/* Asks method (complete or inspect) about code with the cursor at the
 * first '|' in it (removed); the answer printed as a map. */
static char *
ask(struct fx *f, const char *method, const char *code)
{
	struct rpc_msg	 m;
	struct gl_err	 err = { 0 };
	uint32_t	 id = ++f->next_id;
	const char	*bar = strchr(code, '|');
	char		*c = xstrdup(code), *buf;

	assert_non_null(bar);
	memmove(c + (bar - code), c + (bar - code) + 1,
	    strlen(bar + 1) + 1);
	rpc_begin_request(&f->w, id, method);
	msgpack_pack_map(&f->w.pk, 2);
	rpc_pack_kv_str(&f->w.pk, "code", c);
	rpc_pack_kv_int(&f->w.pk, "cursor", bar - code);
	send_all(f);
	free(c);
	next_msg(f, &m);
	assert_int_equal(m.type, RPC_RESPONSE);
	assert_int_equal(m.id, id);
	if (rpc_msg_error(&m, &err) != 0)
		fail_msg("%s: %s", method, err.msg);
	buf = xmalloc(1 << 16);
	msgpack_object_print_buffer(buf, 1 << 16, *m.result);
	rpc_msg_fini(&m);
	return buf;
}

/* Completion from the live session: globals and the cell's own words,
 * fields through a chain, methods (a string's too), modules in
 * require's string, file paths in other strings; inspection of a
 * function's parameters, a table's keys. */
static void
test_complete_and_inspect(void **state)
{
	struct fx	*f = *state;
	char		*a;

	expect_result(f, "local function fare(day, km, ...) return km end\n"
	    "trips = {count = 3, clear = function() end}\n"
	    "local Obj = {}\nObj.__index = Obj\n"
	    "function Obj:speed(t) return t end\n"
	    "car = setmetatable({wheels = 4}, Obj)", NULL);
	a = ask(f, "complete", "local farther = 1\nfa|");
	assert_contains(a, "{\"text\"=>\"fare\", \"kind\"=>\"function\"}");
	assert_contains(a, "{\"text\"=>\"false\", \"kind\"=>\"keyword\"}");
	assert_contains(a, "{\"text\"=>\"farther\", \"kind\"=>\"word\"}");
	assert_contains(a, "\"start\"=>18, \"end\"=>20");
	free(a);
	a = ask(f, "complete", "trips.c|");
	assert_contains(a, "\"matches\"=>[{\"text\"=>\"clear\", "
	    "\"kind\"=>\"function\"}, {\"text\"=>\"count\", "
	    "\"kind\"=>\"number\"}]");
	free(a);
	/* obj: offers the methods, found through __index. */
	a = ask(f, "complete", "car:|");
	assert_contains(a, "\"matches\"=>[{\"text\"=>\"speed\", "
	    "\"kind\"=>\"function\"}]");
	free(a);
	a = ask(f, "complete", "car.|");
	assert_contains(a, "\"text\"=>\"wheels\"");
	assert_contains(a, "\"text\"=>\"speed\"");
	free(a);
	a = ask(f, "complete", "local s = ('x'):up|");
	assert_lacks(a, "upper");	/* a call's result is not looked up */
	free(a);
	expect_result(f, "word = 'galley'", NULL);
	a = ask(f, "complete", "word:up|");
	assert_contains(a, "\"text\"=>\"upper\"");
	free(a);
	a = ask(f, "complete", "string.for|");
	assert_contains(a, "\"matches\"=>[{\"text\"=>\"format\", "
	    "\"kind\"=>\"function\"}]");
	free(a);
	/* require: loaded modules and the files package.path finds. */
	write_file(f->dir, "helpers.lua", "return {}\n");
	a = ask(f, "complete", "local h = require('hel|')");
	assert_contains(a, "{\"text\"=>\"helpers\", \"kind\"=>\"module\"}");
	free(a);
	a = ask(f, "complete", "require 'str|'");
	assert_contains(a, "\"text\"=>\"string\"");
	free(a);
	/* Any other string: a path from the notebook's directory. */
	mkdir(strcat(strcpy((char[128]){ 0 }, f->dir), "/data"), 0700);
	write_file(f->dir, "data/trips.csv", "a,b\n");
	a = ask(f, "complete", "io.open(\"da|\")");
	assert_contains(a, "{\"text\"=>\"data/\", \"kind\"=>\"directory\"}");
	free(a);
	a = ask(f, "complete", "io.open(\"data/t|\")");
	assert_contains(a, "{\"text\"=>\"data/trips.csv\", "
	    "\"kind\"=>\"file\"}");
	assert_contains(a, "\"start\"=>9");
	free(a);
	/* Nothing in a comment. */
	a = ask(f, "complete", "x = 1 -- fa|");
	assert_contains(a, "\"matches\"=>[]");
	free(a);
	/* inspect: a function's parameters and where it is defined. */
	a = ask(f, "inspect", "fa|re(1)");
	assert_contains(a, "\"found\"=>true, \"name\"=>\"fare\", "
	    "\"type\"=>\"function\", \"summary\"=>\"function(day, km, ...)\"");
	assert_contains(a, "defined at analysis.nb.lua:1");
	free(a);
	a = ask(f, "inspect", "car:spe|ed(2)");
	assert_contains(a, "\"summary\"=>\"function(self, t)\"");
	free(a);
	a = ask(f, "inspect", "print|");
	assert_contains(a, "\"summary\"=>\"builtin function\"");
	free(a);
	a = ask(f, "inspect", "trips|");
	assert_contains(a, "\"summary\"=>\"table, 2 entries\"");
	assert_contains(a, "count: number");
	free(a);
	a = ask(f, "inspect", "nope|");
	assert_contains(a, "\"found\"=>false");
	free(a);
	a = ask(f, "inspect", "word|");
	assert_contains(a, "\"summary\"=>\"string, 6 bytes\", "
	    "\"doc\"=>\"galley\"");
	free(a);
}

static void
test_error_names_file_and_cell_line(void **state)
{
	struct fx	*f = *state;
	struct res	 r;

	/* The cell starts at file line 10. */
	wait_done(f, send_run(f, "local a = 1\nlocal function g()\n"
	    "  foo()\nend\ng()\n", "@analysis.nb.lua", 10), &r);
	assert_string_equal(r.status, "error");
	assert_string_equal(r.message, "analysis.nb.lua:12: attempt to call "
	    "a nil value (global 'foo')");
	assert_int_equal(r.line, 3);
	assert_contains(r.traceback, "analysis.nb.lua:12: in ");
	assert_contains(r.traceback, "analysis.nb.lua:14: in main chunk");
	assert_lacks(r.traceback, "[C]: in ?");
	assert_lacks(r.traceback, "xpcall");
	assert_lacks(r.traceback, "pcall");
	res_fini(&r);

	/* An error in the trailing expression. */
	wait_done(f, send_run(f, "local t = nil\n\nt.x", "@analysis.nb.lua",
	    30), &r);
	assert_string_equal(r.status, "error");
	assert_contains(r.message, "analysis.nb.lua:32: attempt to "
	    "index a nil value");
	assert_int_equal(r.line, 3);
	assert_lacks(r.traceback, "[C]: in ?");
	res_fini(&r);

	/* error() with a level-1 position and explicit error objects. */
	wait_done(f, send_run(f, "error('boom')", "@analysis.nb.lua", 5), &r);
	assert_string_equal(r.message, "analysis.nb.lua:5: boom");
	assert_int_equal(r.line, 1);
	assert_contains(r.traceback, "[C]: in function 'error'");
	res_fini(&r);
	run(f, "error({})", &r);
	assert_string_equal(r.status, "error");
	assert_true(strncmp(r.message, "table: ", 7) == 0);
	res_fini(&r);
	run(f, "error(setmetatable({}, {__tostring = function() "
	    "return 'custom error' end}))", &r);
	assert_string_equal(r.status, "error");
	assert_string_equal(r.message, "custom error");
	res_fini(&r);

	/* A syntax error names the file line; line is within the cell. */
	wait_done(f, send_run(f, "local ok = 1\nx = = 2\n",
	    "@analysis.nb.lua", 20), &r);
	assert_string_equal(r.status, "error");
	assert_contains(r.message, "analysis.nb.lua:21:");
	assert_int_equal(r.line, 2);
	res_fini(&r);

	/* A function of an earlier cell failing under a later one: the
	 * line is the call's, in this cell. */
	wait_done(f, send_run(f, "function bad() error('inside') end",
	    "@analysis.nb.lua", 1), &r);
	assert_string_equal(r.status, "ok");
	res_fini(&r);
	wait_done(f, send_run(f, "local q = 1\nbad()", "@analysis.nb.lua",
	    40), &r);
	assert_string_equal(r.message, "analysis.nb.lua:1: inside");
	assert_int_equal(r.line, 2);
	res_fini(&r);

	/* The runtime carries on. */
	expect_result(f, "1+1", "2");
}

/* The kernel tags its SIGINT with the run it means. A tag for the run
 * about to be read is kept until that run starts (the signal can beat
 * the request); a tag for a run that already ended changes nothing. */
static void
test_tagged_interrupt_before_the_run(void **state)
{
	struct fx	*f = *state;
	struct res	 r;
	union sigval	 v;
	uint32_t	 next = f->next_id + 1;

	v.sival_int = (int)(1000 + next);	/* send_run's run number */
	assert_int_equal(sigqueue(f->pid, SIGINT, v), 0);
	run(f, "while true do end", &r);
	assert_string_equal(r.status, "interrupted");
	res_fini(&r);
	/* A tag of that finished run arriving late: the next cell runs. */
	v.sival_int = (int)(1000 + f->next_id);
	assert_int_equal(sigqueue(f->pid, SIGINT, v), 0);
	expect_result(f, "local s = 0\nfor i = 1, 1e5 do s = s + i end\ns",
	    "5000050000");
}

static void
test_interrupt_stops_a_busy_loop(void **state)
{
	struct fx	*f = *state;
	struct res	 r;
	struct rpc_msg	 m;
	uint32_t	 id;
	int64_t		 t0, t1;

	id = send_run(f, "local n = 0\nwhile true do\n  n = n + 1\n"
	    "  if n == 1000 then print('go') end\nend", "@analysis.nb.lua", 1);
	next_output(f, &m);	/* 'go': the loop is running */
	assert_int_equal(m.type, RPC_NOTIFY);
	rpc_msg_fini(&m);
	t0 = now_us();
	assert_int_equal(kill(f->pid, SIGINT), 0);
	wait_done(f, id, &r);
	t1 = now_us();
	printf("interrupt latency (while true do end): %.3f ms\n",
	    (double)(t1 - t0) / 1000.0);
	assert_string_equal(r.status, "interrupted");
	assert_string_equal(r.message, "interrupted");
	if (r.line < 2 || r.line > 5)
		fail_msg("interrupted at cell line %d, not in the loop",
		    (int)r.line);
	assert_contains(r.traceback, "in main chunk");
	res_fini(&r);

	/* An empty loop, in a function. */
	id = send_run(f, "local function spin()\n  local n = 0\n"
	    "  while true do n = n + 1 if n == 9 then print('go') end end\n"
	    "end\nspin()", "@analysis.nb.lua", 1);
	next_output(f, &m);
	rpc_msg_fini(&m);
	assert_int_equal(kill(f->pid, SIGINT), 0);
	wait_done(f, id, &r);
	assert_string_equal(r.status, "interrupted");
	assert_int_equal(r.line, 3);
	res_fini(&r);

	/* The next cell's own error is an error, not an interruption. */
	run(f, "x = = 1", &r);
	assert_string_equal(r.status, "error");
	res_fini(&r);

	/* An interrupt while idle does not touch the next cell: the ping
	 * round trip makes sure the signal was handled first. */
	assert_int_equal(kill(f->pid, SIGINT), 0);
	id = ++f->next_id;
	rpc_begin_request(&f->w, id, "ping");
	msgpack_pack_map(&f->w.pk, 0);
	send_all(f);
	next_msg(f, &m);
	assert_int_equal(m.id, id);
	rpc_msg_fini(&m);
	expect_result(f, "local s = 0\nfor i = 1, 100000 do s = s + i end\ns",
	    "5000050000");
}

static void
test_memory_limit_is_a_clear_error(void **state)
{
	struct fx	*f = *state;
	struct res	 r;
	const char	*want = "memory limit exceeded: the cell needed more "
	    "than 64 MiB (galley kernel --memory-limit)";

	run(f, "local t = {}\nfor i = 1, 1e9 do t[i] = i end", &r);
	assert_string_equal(r.status, "error");
	assert_string_equal(r.message, want);
	res_fini(&r);
	expect_result(f, "1+1", "2");
	run(f, "local s = string.rep('x', 100 * 1024 * 1024)", &r);
	assert_string_equal(r.status, "error");
	assert_string_equal(r.message, want);
	res_fini(&r);
	/* The heap is back under the limit and cells run. */
	expect_result(f, "local big = string.rep('y', 1024 * 1024)\n#big",
	    "1048576");
	run(f, "local parts = {}\nfor i = 1, 1e7 do parts[#parts + 1] = "
	    "tostring(i) .. 'some padding text' end", &r);
	assert_string_equal(r.message, want);
	res_fini(&r);
	expect_result(f, "collectgarbage('count') < 64 * 1024", "true");
}

static void
test_require_finds_the_notebook_dir(void **state)
{
	struct fx	*f;
	char		 other[64];

	(void)state;
	snprintf(other, sizeof other, "/tmp/galley-rtlib-XXXXXX");
	assert_non_null(mkdtemp(other));
	write_file(other, "teamlib.lua", "return { answer = 42 }\n");
	{
		char path[128];

		snprintf(path, sizeof path, "%s/?.lua", other);
		f = xcalloc(1, sizeof *f);
		fx_start(f, 0, path);
	}
	write_file(f->dir, "mymod.lua", "return { v = 7 }\n");
	expect_result(f, "require('mymod').v", "7");
	expect_result(f, "require('teamlib').answer", "42");
	expect_result(f, "package.path:sub(1, 21)", "./?.lua;./?/init.lua;");
	fx_stop(f);
	free(f);
	rm_tree(other);
}

static void
test_unknown_method_and_bad_run(void **state)
{
	struct fx	*f = *state;
	struct rpc_msg	 m;
	struct gl_err	 err = { 0 };
	uint32_t	 id = ++f->next_id;

	rpc_begin_request(&f->w, id, "nope");
	msgpack_pack_map(&f->w.pk, 0);
	send_all(f);
	next_msg(f, &m);
	assert_int_equal(rpc_msg_error(&m, &err), GL_EUNSUPPORTED);
	rpc_msg_fini(&m);
	id = ++f->next_id;
	rpc_begin_request(&f->w, id, "run");
	msgpack_pack_map(&f->w.pk, 0);
	send_all(f);
	next_msg(f, &m);
	assert_int_equal(rpc_msg_error(&m, &err), GL_EINVAL);
	rpc_msg_fini(&m);
	expect_result(f, "1+1", "2");
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
	struct res	 r;
	int64_t		 t[1000], t0;

	for (int i = 0; i < 1000; i++) {
		t0 = now_us();
		run(f, "1+1", &r);
		t[i] = now_us() - t0;
		assert_string_equal(r.status, "ok");
		res_fini(&r);
	}
	qsort(t, 1000, sizeof t[0], cmp_i64);
	printf("runtime round trip of `1+1` over a socketpair: median %lld us,"
	    " p90 %lld us\n", (long long)t[500], (long long)t[900]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_trivial_cell_shows_its_value, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_print_streams_in_order, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_locals_persist_across_cells, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_trailing_expression_like_the_repl, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_error_names_file_and_cell_line, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_interrupt_stops_a_busy_loop, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_tagged_interrupt_before_the_run, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_memory_limit_is_a_clear_error, setup_limited,
		    teardown),
		cmocka_unit_test(test_require_finds_the_notebook_dir),
		cmocka_unit_test_setup_teardown(
		    test_tables_display_as_tables_and_trees, setup, teardown),
		cmocka_unit_test_setup_teardown(test_complete_and_inspect,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_unknown_method_and_bad_run, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_round_trip_figure, setup, teardown),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_server.c - the kernel process over its Unix socket: start-up files,
 * the lock, kernel.*, dispatch errors, garbage, slow readers, signals and
 * idle exit. Each test has its own kernel (fork + srv_run) in its own
 * temporary directory.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "kfixture.h"
#include "kraw.h"

static void
test_start_files_and_info(void **state)
{
	struct kt	*t = *state;
	struct kc	*k;
	json_t		*r;
	struct stat	 st;
	char		*pid, path[256];

	assert_true(kt_start(t) > 0);
	/* Socket, pid file, token (0600, 64 hex digits). */
	assert_int_equal(stat(t->sock, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	snprintf(path, sizeof path, "%s/kernel.pid", t->run);
	assert_non_null(pid = kt_read(path));
	assert_int_equal(atoi(pid), t->pid);
	free(pid);
	snprintf(path, sizeof path, "%s/token", t->run);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(strlen(t->token), AUTH_TOKEN_LEN);

	k = kt_conn(t);
	r = kc_call(k, "kernel.info", NULL);
	assert_non_null(r);
	assert_int_equal(kj_int(r, "pid"), t->pid);
	assert_int_equal(kj_int(r, "uid"), geteuid());
	assert_int_equal(kj_int(r, "sessions"), 0);
	assert_int_equal(kj_int(r, "clients"), 1);
	assert_string_equal(kj_str(r, "version"), GALLEY_VERSION);
	assert_string_equal(kj_str(r, "runtime_dir"), t->run);
	assert_true(json_is_null(json_object_get(r, "listen")));
	assert_true(kj_int(r, "uptime_ms") >= 0);
	json_decref(r);
	kc_free(k);
	assert_int_equal(kt_stop(t), 0);
}

static void
test_shutdown_removes_files(void **state)
{
	struct kt	*t = *state;
	struct kc	*k, *other;
	json_t		*r, *n;
	char		 path[256];
	pid_t		 pid;

	assert_true((pid = kt_start(t)) > 0);
	k = kt_conn(t);
	other = kt_conn(t);
	assert_non_null(r = kc_call(other, "kernel.info", NULL));
	json_decref(r);
	r = kc_call(k, "kernel.shutdown", NULL);
	assert_non_null(r);
	assert_int_equal(json_object_size(r), 0);
	json_decref(r);
	/* Every client hears why before the kernel closes: stopped on
	 * purpose, not crashed (a TUI then does not start another). */
	assert_non_null(n = kc_note(other, "kernel.stopping", NULL, NULL,
	    KC_WAIT_MS));
	assert_string_equal(kj_str(n, "reason"), "stopped");
	assert_string_equal(kj_str(n, "message"), "galley kernel stop");
	json_decref(n);
	assert_true(kc_wait_closed(k, KC_WAIT_MS));
	assert_true(kc_wait_closed(other, KC_WAIT_MS));
	kc_free(k);
	kc_free(other);
	/* Exit status 0: a clean shutdown with nothing leaked. */
	assert_int_equal(kt_reap(pid, KC_WAIT_MS), 0);
	t->pid = -1;
	assert_int_not_equal(access(t->sock, F_OK), 0);
	snprintf(path, sizeof path, "%s/kernel.pid", t->run);
	assert_int_not_equal(access(path, F_OK), 0);
}

static void
test_second_kernel_is_busy(void **state)
{
	struct kt	*t = *state;
	struct kt	 t2;
	int		 st = 0;
	struct kc	*k;
	json_t		*r;

	assert_true(kt_start(t) > 0);
	t2 = *t;
	t2.pid = -1;
	assert_int_equal(kt_spawn(&t2, &st), -1);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 11);	/* GL_EBUSY */
	/* The first kernel still serves. */
	k = kt_conn(t);
	assert_non_null(r = kc_call(k, "kernel.info", NULL));
	json_decref(r);
	kc_free(k);
	assert_int_equal(kt_stop(t), 0);
}

/* kernel.listen: a kernel started without TCP listens on it when its
 * owner asks, once; a TCP client may not ask, and what it connects to
 * then authenticates as --listen's would. */
static void
test_listen_on_a_running_kernel(void **state)
{
	struct kt	*t = *state;
	struct kc	*k = kt_conn(t), *tk;
	json_t		*r;
	char		*addr, *token;

	assert_non_null(r = kc_call(k, "kernel.info", NULL));
	assert_true(json_is_null(json_object_get(r, "listen")));
	json_decref(r);
	/* A bad address: refused, and nothing listens. */
	assert_null(kc_call(k, "kernel.listen", json_pack("{s:s}", "listen",
	    "127.0.0.1")));
	assert_int_equal(k->code, GL_EINVAL);
	assert_null(kc_call(k, "kernel.listen", json_pack("{}")));
	assert_int_equal(k->code, GL_EINVAL);
	assert_non_null(r = kc_call(k, "kernel.listen", json_pack("{s:s}",
	    "listen", "127.0.0.1:0")));
	addr = xstrdup(kj_str(r, "listen"));
	assert_true(strncmp(addr, "127.0.0.1:", 10) == 0);
	assert_true(atoi(addr + 10) > 0);
	json_decref(r);
	assert_non_null(r = kc_call(k, "kernel.info", NULL));
	assert_string_equal(kj_str(r, "listen"), addr);
	json_decref(r);
	/* Once. */
	assert_null(kc_call(k, "kernel.listen", json_pack("{s:s}", "listen",
	    "127.0.0.1:0")));
	assert_int_equal(k->code, GL_EEXIST);
	assert_non_null(strstr(k->msg, addr));
	/* A TCP client (with the token) is served but may not ask. */
	token = xasprintf("%s/token", t->run);
	assert_non_null(tk = kc_connect_tcp(addr, token));
	assert_non_null(r = kc_call(tk, "kernel.info", NULL));
	json_decref(r);
	assert_null(kc_call(tk, "kernel.listen", json_pack("{s:s}", "listen",
	    "127.0.0.1:0")));
	assert_int_equal(tk->code, GL_EPERM);
	kc_free(tk);
	free(token);
	free(addr);
	kc_free(k);
}

static void
test_stale_socket_after_kill9(void **state)
{
	struct kt	*t = *state;
	struct kc	*k;
	json_t		*r;

	assert_true(kt_start(t) > 0);
	kt_kill9(t);
	/* The socket file is left behind; a new kernel replaces it. */
	assert_int_equal(access(t->sock, F_OK), 0);
	assert_true(kt_start(t) > 0);
	k = kt_conn(t);
	assert_non_null(r = kc_call(k, "kernel.info", NULL));
	assert_int_equal(kj_int(r, "pid"), t->pid);
	json_decref(r);
	kc_free(k);
	assert_int_equal(kt_stop(t), 0);
}

static void
test_unknown_method_keeps_connection(void **state)
{
	struct kt	*t = *state;
	struct kc	*k;
	json_t		*r;

	assert_true(kt_start(t) > 0);
	k = kt_conn(t);
	assert_null(kc_call(k, "frob.nicate", NULL));
	assert_int_equal(k->code, GL_EINVAL);
	assert_string_equal(k->msg, "no method frob.nicate");
	assert_non_null(r = kc_call(k, "kernel.info", NULL));
	json_decref(r);
	kc_free(k);
	assert_int_equal(kt_stop(t), 0);
}

static void
test_responses_in_request_order(void **state)
{
	struct kt	*t = *state;
	struct kc	*k;
	uint32_t	 ids[50];
	json_t		*r;

	assert_true(kt_start(t) > 0);
	k = kt_conn(t);
	for (int i = 0; i < 50; i++)
		ids[i] = kc_send(k, i % 3 == 0 ? "nope" : "kernel.info", NULL);
	for (int i = 0; i < 50; i++) {
		r = kc_wait(k, ids[i], KC_WAIT_MS);
		if (i % 3 == 0) {
			assert_null(r);
			assert_int_equal(k->code, GL_EINVAL);
		} else {
			assert_non_null(r);
			json_decref(r);
		}
	}
	kc_free(k);
	assert_int_equal(kt_stop(t), 0);
}

static void
test_garbage_closes_only_that_client(void **state)
{
	struct kt	*t = *state;
	struct kc	*a;
	struct kraw	*b;
	json_t		*r, *n;
	char		*nb, *text;
	const char	*sid, *msg;
	static const unsigned char junk[] = { 0xc1, 0xff, 0x00, 0x12 };

	assert_true(kt_start(t) > 0);
	nb = kt_write(t->proj, "slow.nb.lua",
	    "-- %% id=\"slow\"\n"
	    "local t = os.clock()\n"
	    "while os.clock() - t < 0.3 do end\n"
	    "print(\"still here\")\n");
	a = kt_conn(t);
	assert_non_null(b = kraw_connect_unix(t->sock));
	r = kc_call(a, "session.open", json_pack("{s:s}", "path", nb));
	assert_non_null(r);
	sid = kj_str(r, "session");
	json_decref(kc_call(a, "cell.run", json_pack("{s:s, s:[s]}",
	    "session", sid, "cells", "slow")));
	assert_non_null(n = kc_note(a, "cell.started", NULL, NULL,
	    KC_WAIT_MS));
	json_decref(n);

	/* Garbage from b: an EPROTO error (id 0), then b is closed. */
	assert_int_equal(kraw_send(b, junk, sizeof junk), 0);
	assert_true(kraw_read_to_end(b, KC_WAIT_MS));
	assert_int_equal(kraw_error(b, 0, &msg), GL_EPROTO);
	assert_non_null(strstr(msg, "0xc1"));
	/* a's run carries on. */
	assert_non_null(n = kc_note(a, "cell.done", NULL, NULL, KC_WAIT_MS));
	assert_string_equal(kj_str(n, "status"), "ok");
	json_decref(n);
	{
		json_t *o = kc_call(a, "cell.outputs", json_pack("{s:s, s:s}",
		    "session", sid, "cell", "slow"));

		assert_non_null(o);
		text = kj_outputs_text(json_object_get(o, "outputs"));
		assert_string_equal(text, "still here\n");
		free(text);
		json_decref(o);
	}
	json_decref(r);
	kc_free(a);
	kraw_free(b);
	free(nb);
	assert_int_equal(kt_stop(t), 0);
}

static void
test_client_response_is_eproto(void **state)
{
	struct kt		*t = *state;
	struct kraw		*k;
	struct kc		*k2;
	struct rpc_writer	 w;
	json_t			*r;

	assert_true(kt_start(t) > 0);
	assert_non_null(k = kraw_connect_unix(t->sock));
	rpc_writer_init(&w);
	rpc_begin_response(&w, 7);
	msgpack_pack_nil(&w.pk);
	assert_int_equal(kraw_send(k, w.sbuf.data, w.sbuf.size), 0);
	rpc_writer_fini(&w);
	assert_true(kraw_read_to_end(k, KC_WAIT_MS));
	assert_non_null(kraw_response(k, 0));
	kraw_free(k);
	/* A request whose params are not an array: EPROTO too. */
	assert_non_null(k = kraw_connect_unix(t->sock));
	{
		msgpack_sbuffer sb;
		msgpack_packer pk;

		msgpack_sbuffer_init(&sb);
		msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
		msgpack_pack_array(&pk, 4);
		msgpack_pack_uint8(&pk, 0);
		msgpack_pack_uint32(&pk, 1);
		rpc_pack_str(&pk, "kernel.info");
		msgpack_pack_int(&pk, 5);
		kraw_send(k, sb.data, sb.size);
		msgpack_sbuffer_destroy(&sb);
	}
	assert_true(kraw_read_to_end(k, KC_WAIT_MS));
	kraw_free(k);
	k2 = kt_conn(t);
	assert_non_null(r = kc_call(k2, "kernel.info", NULL));
	json_decref(r);
	kc_free(k2);
	assert_int_equal(kt_stop(t), 0);
}

static void
test_sigterm_stops_runtimes(void **state)
{
	struct kt	*t = *state;
	struct kc	*k;
	json_t		*r, *n, *l;
	char		*nb;
	const char	*sid;
	pid_t		 rpid;

	assert_true(kt_start(t) > 0);
	nb = kt_write(t->proj, "a.nb.lua", "-- %% id=\"a\"\nx = 1\n");
	k = kt_conn(t);
	assert_non_null(r = kc_call(k, "session.open",
	    json_pack("{s:s}", "path", nb)));
	sid = kj_str(r, "session");
	json_decref(kc_call(k, "cell.run", json_pack("{s:s, s:[s]}",
	    "session", sid, "cells", "a")));
	assert_non_null(n = kc_note(k, "cell.done", NULL, NULL, KC_WAIT_MS));
	json_decref(n);
	assert_non_null(l = kc_call(k, "session.list", NULL));
	rpid = (pid_t)kj_int(json_array_get(l, 0), "runtime_pid");
	assert_true(rpid > 0);
	json_decref(l);
	json_decref(r);
	/* SIGTERM with a client attached and a runtime alive. */
	assert_int_equal(kt_stop(t), 0);
	assert_non_null(n = kc_note(k, "kernel.stopping", NULL, NULL,
	    KC_WAIT_MS));
	assert_string_equal(kj_str(n, "reason"), "signal");
	assert_string_equal(kj_str(n, "message"), "SIGTERM");
	json_decref(n);
	assert_true(kc_wait_closed(k, KC_WAIT_MS));
	assert_true(kt_pid_gone(rpid, KC_WAIT_MS));
	assert_int_not_equal(access(t->sock, F_OK), 0);
	kc_free(k);
	free(nb);
}

static void
test_kill9_of_kernel_ends_busy_runtime(void **state)
{
	struct kt	*t = *state;
	struct kc	*k;
	json_t		*r, *n, *l;
	char		*nb;
	pid_t		 rpid;

	assert_true(kt_start(t) > 0);
	nb = kt_write(t->proj, "spin.nb.lua",
	    "-- %% id=\"spin\"\nprint(\"spinning\")\nwhile true do end\n");
	k = kt_conn(t);
	assert_non_null(r = kc_call(k, "session.open",
	    json_pack("{s:s}", "path", nb)));
	json_decref(kc_call(k, "cell.run", json_pack("{s:s, s:[s]}",
	    "session", kj_str(r, "session"), "cells", "spin")));
	assert_non_null(n = kc_note(k, "cell.output", NULL, NULL,
	    KC_WAIT_MS));
	json_decref(n);
	assert_non_null(l = kc_call(k, "session.list", NULL));
	rpid = (pid_t)kj_int(json_array_get(l, 0), "runtime_pid");
	assert_true(rpid > 0);
	json_decref(l);
	kt_kill9(t);
	/* No runtime spins on without its kernel. */
	assert_true(kt_pid_gone(rpid, KC_WAIT_MS));
	json_decref(r);
	kc_free(k);
	free(nb);
}

static void
test_idle_exit(void **state)
{
	struct kt	*t = *state;
	struct kc	*k;
	json_t		*r;
	pid_t		 pid;

	t->idle_ms = 300;
	assert_true((pid = kt_start(t)) > 0);
	k = kt_conn(t);
	assert_non_null(r = kc_call(k, "kernel.info", NULL));
	json_decref(r);
	/* While a client is connected the kernel stays. */
	assert_int_equal(kt_reap(pid, 600), -1);
	kc_free(k);
	assert_int_equal(kt_reap(pid, KC_WAIT_MS), 0);
	t->pid = -1;
	assert_int_not_equal(access(t->sock, F_OK), 0);
}

/*
 * The slow reader tests bound the kernel's resident memory. Under
 * AddressSanitizer freed memory waits in a quarantine (256 MB by default)
 * before it is reused, so RSS also counts every buffer the output path
 * freed: on a loaded machine, where writes to a slow reader are cut in
 * more pieces, that alone passed the bound. The kernel is this program
 * forked: a small quarantine for both. Without ASan nobody calls this.
 */
const char	*__asan_default_options(void);

const char *
__asan_default_options(void)
{
	return "quarantine_size_mb=4";
}

/* The kernel's resident memory in bytes (VmRSS), or 0. */
static size_t
kernel_rss(pid_t pid)
{
	char		 path[64], line[256];
	unsigned long long kb = 0;
	FILE		*fp;

	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	if ((fp = fopen(path, "r")) == NULL)
		return 0;
	while (fgets(line, sizeof line, fp) != NULL)
		if (sscanf(line, "VmRSS: %llu", &kb) == 1)
			break;
	fclose(fp);
	return (size_t)kb << 10;
}

/* Reads c's notifications until a cell.done (which must be ok) and
 * gives the bytes of text the cell.outputs before it held; with peak,
 * the largest RSS of the kernel (pid) seen, sampled every MiB read. */
static size_t
read_run(struct kc *c, pid_t pid, size_t *peak)
{
	size_t	 bytes = 0, next = 0, rss;
	bool	 done = false;

	while (!done) {
		struct rpc_msg	 m;
		struct gl_err	 err;
		size_t		 len = 0;

		assert_int_equal(cl_next_notify(c->conn, &m, KC_WAIT_MS, &err),
		    1);
		if (strcmp(m.method, "cell.output") == 0) {
			(void)rpc_map_str(rpc_map_get(m.args, "output"), "text",
			    &len);
			bytes += len;
		} else if (strcmp(m.method, "cell.done") == 0) {
			assert_true(rpc_obj_streq(rpc_map_get(m.args,
			    "status"), "ok"));
			done = true;
		}
		rpc_msg_fini(&m);
		if (peak != NULL && bytes >= next) {
			rss = kernel_rss(pid);
			*peak = rss > *peak ? rss : *peak;
			next = bytes + ((size_t)1 << 20);
		}
	}
	return bytes;
}

/*
 * A client that does not read is never cut off for its pace: the run
 * waits for it (the kernel stops reading the runtime, which blocks in its
 * writes) without the kernel's memory growing with what the cell prints,
 * and once it reads it gets every byte.
 */
static void
test_slow_reader_is_held(void **state)
{
	struct kt	*t = *state;
	struct kc	*lazy, *k;
	json_t		*r, *l, *s0 = NULL;
	char		*nb;
	const char	*sid;
	uint64_t	 deadline;
	size_t		 rss0, rss1;
	bool		 held = false;
	int		 small = 4096;

	assert_true(kt_start(t) > 0);
	/* 96 MiB of output to a client that does not read for a while. */
	nb = kt_write(t->proj, "loud.nb.lua",
	    "-- %% id=\"loud\"\n"
	    "local s = string.rep(\"x\", 1 << 20)\n"
	    "for i = 1, 96 do io.write(s) end\n");
	lazy = kt_conn(t);
	setsockopt(cl_fd(lazy->conn), SOL_SOCKET, SO_RCVBUF, &small,
	    sizeof small);
	k = kt_conn(t);
	assert_non_null(r = kc_call(lazy, "session.open",
	    json_pack("{s:s}", "path", nb)));
	sid = kj_str(r, "session");
	rss0 = kernel_rss(t->pid);
	kc_send(lazy, "cell.run", json_pack("{s:s, s:[s]}", "session", sid,
	    "cells", "loud"));
	/* lazy reads nothing now; k watches the session until its output
	 * is held for lazy. */
	deadline = kc_now_ms() + 60000;
	while (kc_now_ms() < deadline && !held) {
		assert_non_null(l = kc_call(k, "session.list", NULL));
		s0 = json_array_get(l, 0);
		assert_int_equal(kj_int(s0, "clients"), 1);
		held = json_is_true(json_object_get(s0, "held"));
		if (held)
			assert_string_equal(kj_str(s0, "running"), "loud");
		json_decref(l);
		if (!held) {
			struct timespec ts = { 0, 20 * 1000 * 1000 };

			nanosleep(&ts, NULL);	/* polling interval only */
		}
	}
	assert_true(held);
	/* What waits for lazy is bounded: the kernel did not take in the
	 * 96 MiB the cell means to print. */
	rss1 = kernel_rss(t->pid);
	assert_true(rss1 < rss0 + ((size_t)48 << 20));
	/* lazy reads: every byte comes, then the run's end. */
	assert_int_equal(read_run(lazy, 0, NULL), (size_t)96 << 20);
	assert_non_null(l = kc_call(k, "session.list", NULL));
	assert_false(json_is_true(json_object_get(json_array_get(l, 0),
	    "held")));
	json_decref(l);
	json_decref(r);
	kc_free(lazy);
	kc_free(k);
	free(nb);
	assert_int_equal(kt_stop(t), 0);
}

/*
 * A client that reads slowly, a little at a time (a 4 KiB receive
 * buffer), all the while a cell prints 100 MiB: it gets every byte and
 * the run's end, it is never dropped, and the kernel's memory stays
 * bounded all along (the runtime waits in its writes instead).
 */
static void
test_slow_reader_gets_everything(void **state)
{
	struct kt	*t = *state;
	struct kc	*slow;
	json_t		*r;
	char		*nb;
	size_t		 rss0, peak = 0;
	int		 small = 4096;

	assert_true(kt_start(t) > 0);
	nb = kt_write(t->proj, "loud.nb.lua",
	    "-- %% id=\"loud\"\n"
	    "local s = string.rep(\"y\", 1023) .. \"\\n\"\n"
	    "local m = string.rep(s, 1024)\n"
	    "for i = 1, 100 do io.write(m) end\n");
	slow = kt_conn(t);
	setsockopt(cl_fd(slow->conn), SOL_SOCKET, SO_RCVBUF, &small,
	    sizeof small);
	assert_non_null(r = kc_call(slow, "session.open",
	    json_pack("{s:s}", "path", nb)));
	rss0 = kernel_rss(t->pid);
	kc_send(slow, "cell.run", json_pack("{s:s, s:[s]}", "session",
	    kj_str(r, "session"), "cells", "loud"));
	assert_int_equal(read_run(slow, t->pid, &peak), (size_t)100 << 20);
	assert_true(peak < rss0 + ((size_t)48 << 20));
	json_decref(r);
	kc_free(slow);
	free(nb);
	assert_int_equal(kt_stop(t), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_start_files_and_info,
		    kt_setup, kt_teardown),
		cmocka_unit_test_setup_teardown(test_shutdown_removes_files,
		    kt_setup, kt_teardown),
		cmocka_unit_test_setup_teardown(test_second_kernel_is_busy,
		    kt_setup, kt_teardown),
		cmocka_unit_test_setup_teardown(test_listen_on_a_running_kernel,
		    kt_setup_started, kt_teardown_stopped),
		cmocka_unit_test_setup_teardown(test_stale_socket_after_kill9,
		    kt_setup, kt_teardown),
		cmocka_unit_test_setup_teardown(
		    test_unknown_method_keeps_connection, kt_setup,
		    kt_teardown),
		cmocka_unit_test_setup_teardown(test_responses_in_request_order,
		    kt_setup, kt_teardown),
		cmocka_unit_test_setup_teardown(
		    test_garbage_closes_only_that_client, kt_setup,
		    kt_teardown),
		cmocka_unit_test_setup_teardown(test_client_response_is_eproto,
		    kt_setup, kt_teardown),
		cmocka_unit_test_setup_teardown(test_sigterm_stops_runtimes,
		    kt_setup, kt_teardown),
		cmocka_unit_test_setup_teardown(
		    test_kill9_of_kernel_ends_busy_runtime, kt_setup,
		    kt_teardown),
		cmocka_unit_test_setup_teardown(test_idle_exit, kt_setup,
		    kt_teardown),
		cmocka_unit_test_setup_teardown(test_slow_reader_is_held,
		    kt_setup, kt_teardown),
		cmocka_unit_test_setup_teardown(
		    test_slow_reader_gets_everything, kt_setup, kt_teardown),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

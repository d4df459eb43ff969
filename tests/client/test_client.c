/*
 * test_client.c - the client library's message queue, against a fake
 * kernel: a Unix socket in a temporary directory that this test writes
 * msgpack-RPC frames to by hand. cl_wait_notify() takes the one
 * notification asked for and leaves the others, and responses, queued
 * in order; it times out, and it sees the end of the connection. And
 * cell.done as cl_done_read() reads it for the CLI and the TUI.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "client/client.h"
#include "core/err.h"
#include "core/rpc.h"

#define WAIT_MS 10000

struct fake {
	char		 dir[64];
	char		 path[128];
	int		 lfd;		/* the fake kernel's listener */
	int		 fd;		/* its end of the connection */
	struct cl_conn	*c;		/* the client's end */
};

static int
setup(void **state)
{
	struct fake		*f = calloc(1, sizeof *f);
	struct sockaddr_un	 sun;
	struct cl_opts		 o;
	struct gl_err		 err;

	assert_non_null(f);
	snprintf(f->dir, sizeof f->dir, "/tmp/galley-cl-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof f->path, "%s/kernel.sock", f->dir);
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, f->path, strlen(f->path) + 1);
	f->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(f->lfd >= 0);
	assert_int_equal(bind(f->lfd, (struct sockaddr *)&sun, sizeof sun), 0);
	assert_int_equal(listen(f->lfd, 1), 0);
	cl_opts_init(&o);
	o.kernel = f->path;
	o.autostart = false;
	assert_int_equal(cl_connect(&o, &f->c, &err), 0);
	f->fd = accept(f->lfd, NULL, NULL);
	assert_true(f->fd >= 0);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fake	*f = *state;

	cl_close(f->c);
	if (f->fd >= 0)
		close(f->fd);
	close(f->lfd);
	unlink(f->path);
	rmdir(f->dir);
	free(f);
	return 0;
}

static void
fake_send(struct fake *f, struct rpc_writer *w)
{
	const char	*p = w->sbuf.data;
	size_t		 n = w->sbuf.size;

	while (n > 0) {
		ssize_t	 k = write(f->fd, p, n);

		if (k < 0 && errno == EINTR)
			continue;
		assert_true(k > 0);
		p += k;
		n -= (size_t)k;
	}
	rpc_writer_reset(w);
}

/* The kernel sends notification method {cell = cell}. */
static void
fake_notify(struct fake *f, const char *method, const char *cell)
{
	struct rpc_writer	 w;

	rpc_writer_init(&w);
	rpc_begin_notify(&w, method);
	msgpack_pack_map(&w.pk, 1);
	rpc_pack_kv_str(&w.pk, "cell", cell);
	fake_send(f, &w);
	rpc_writer_fini(&w);
}

/* The kernel answers request id with {}. */
static void
fake_respond(struct fake *f, uint32_t id)
{
	struct rpc_writer	 w;

	rpc_writer_init(&w);
	rpc_begin_response(&w, id);
	msgpack_pack_map(&w.pk, 0);
	fake_send(f, &w);
	rpc_writer_fini(&w);
}

static bool
cell_is(const struct rpc_msg *m, void *ctx)
{
	return rpc_obj_streq(rpc_map_get(m->args, "cell"), ctx);
}

/* Takes the next notification and checks its method and cell. */
static void
expect_next(struct fake *f, const char *method, const char *cell)
{
	struct rpc_msg	 m;
	struct gl_err	 err;

	assert_int_equal(cl_next_notify(f->c, &m, WAIT_MS, &err), 1);
	assert_string_equal(m.method, method);
	assert_true(cell_is(&m, (void *)cell));
	rpc_msg_fini(&m);
}

static void
test_wait_notify_takes_only_the_match(void **state)
{
	struct fake	*f = *state;
	struct rpc_msg	 m;
	struct gl_err	 err;

	fake_notify(f, "cell.done", "x");
	fake_notify(f, "cell.output", "x");
	fake_notify(f, "cell.done", "y");
	fake_notify(f, "doc.ops", "y");
	/* By method and by content: the second cell.done. */
	assert_int_equal(cl_wait_notify(f->c, "cell.done", cell_is, "y", &m,
	    WAIT_MS, &err), 1);
	assert_string_equal(m.method, "cell.done");
	assert_true(cell_is(&m, "y"));
	rpc_msg_fini(&m);
	/* By method alone: the first of that name. */
	assert_int_equal(cl_wait_notify(f->c, "cell.output", NULL, NULL, &m,
	    WAIT_MS, &err), 1);
	assert_true(cell_is(&m, "x"));
	rpc_msg_fini(&m);
	/* The others are still queued, in the order they came. */
	expect_next(f, "cell.done", "x");
	expect_next(f, "doc.ops", "y");
	assert_false(cl_has_notify(f->c));
}

static void
test_wait_notify_times_out_and_keeps_the_queue(void **state)
{
	struct fake	*f = *state;
	struct rpc_msg	 m;
	struct gl_err	 err;

	fake_notify(f, "cell.output", "x");
	assert_int_equal(cl_wait_notify(f->c, "cell.done", NULL, NULL, &m, 0,
	    &err), 0);
	assert_int_equal(cl_wait_notify(f->c, "cell.output", cell_is, "z",
	    &m, 50, &err), 0);
	assert_true(cl_has_notify(f->c));
	expect_next(f, "cell.output", "x");
}

static void
test_wait_notify_leaves_responses(void **state)
{
	struct fake		*f = *state;
	struct rpc_writer	*w;
	struct rpc_msg		 m;
	struct gl_err		 err;
	uint32_t		 id;

	w = cl_begin(f->c, "kernel.info", &id);
	msgpack_pack_map(&w->pk, 0);
	assert_int_equal(cl_send(f->c, &err), 0);
	fake_respond(f, id);
	fake_notify(f, "cell.done", "x");
	/* The response came first; the wait for a notification skips it. */
	assert_int_equal(cl_wait_notify(f->c, NULL, NULL, NULL, &m, WAIT_MS,
	    &err), 1);
	assert_string_equal(m.method, "cell.done");
	rpc_msg_fini(&m);
	assert_int_equal(cl_wait(f->c, id, &m, WAIT_MS, &err), 0);
	rpc_msg_fini(&m);
}

static void
test_wait_notify_after_close(void **state)
{
	struct fake	*f = *state;
	struct rpc_msg	 m;
	struct gl_err	 err;

	fake_notify(f, "cell.output", "x");
	fake_notify(f, "cell.done", "x");
	close(f->fd);
	f->fd = -1;
	/* What came before the end is still handed out... */
	assert_int_equal(cl_wait_notify(f->c, "cell.done", NULL, NULL, &m,
	    WAIT_MS, &err), 1);
	rpc_msg_fini(&m);
	/* ...and a wait for what never came ends, however long it may
	 * wait, once the kernel is gone. */
	assert_int_equal(cl_wait_notify(f->c, "cell.done", NULL, NULL, &m, -1,
	    &err), GL_ECLOSED);
	expect_next(f, "cell.output", "x");
	assert_int_equal(cl_next_notify(f->c, &m, -1, &err), GL_ECLOSED);
}

/* Packs cell.done's args into w and decodes them into *m. */
static void
done_msg(struct rpc_writer *w, struct rpc_msg *m, const char *status,
    bool with_error)
{
	struct gl_err	 err;

	rpc_writer_reset(w);
	rpc_begin_notify(w, "cell.done");
	msgpack_pack_map(&w->pk, status != NULL ? 5 : 4);
	rpc_pack_kv_str(&w->pk, "cell", "a");
	rpc_pack_kv_int(&w->pk, "elapsed_ms", 12);
	if (status != NULL)
		rpc_pack_kv_str(&w->pk, "status", status);
	rpc_pack_key(&w->pk, "error");
	if (with_error) {
		msgpack_pack_map(&w->pk, 2);
		rpc_pack_kv_str(&w->pk, "type", "error");
		rpc_pack_kv_str(&w->pk, "message", "boom");
	} else
		msgpack_pack_nil(&w->pk);
	rpc_pack_kv_str(&w->pk, "message", "why");
	assert_int_equal(rpc_decode(w->sbuf.data, w->sbuf.size, m, &err), 0);
}

/* Every ended status by its wire name; one this build does not know, or
 * one that is no end, as died; no status is a protocol error; the error
 * output and the message as they came. */
static void
test_done_read(void **state)
{
	static const struct {
		const char		*name;
		enum gl_run_status	 st;
	} sts[] = {
		{ "ok", GL_RUN_OK }, { "error", GL_RUN_ERROR },
		{ "interrupted", GL_RUN_INTERRUPTED },
		{ "cancelled", GL_RUN_CANCELLED }, { "died", GL_RUN_DIED },
		{ "vanished", GL_RUN_DIED }, { "running", GL_RUN_DIED },
	};
	struct rpc_writer	 w;
	struct rpc_msg		 m;
	struct cl_done		 d;
	struct gl_err		 err;

	(void)state;
	rpc_writer_init(&w);
	for (size_t i = 0; i < sizeof sts / sizeof sts[0]; i++) {
		done_msg(&w, &m, sts[i].name, i == 1);
		assert_int_equal(cl_done_read(m.args, &d, &err), 0);
		assert_int_equal(d.status, sts[i].st);
		assert_int_equal(d.elapsed_ms, 12);
		assert_true((d.error != NULL) == (i == 1));
		if (d.error != NULL)
			assert_true(rpc_obj_streq(rpc_map_get(d.error,
			    "message"), "boom"));
		assert_int_equal(d.message_len, 3);
		assert_memory_equal(d.message, "why", 3);
		rpc_msg_fini(&m);
	}
	done_msg(&w, &m, NULL, false);
	assert_int_equal(cl_done_read(m.args, &d, &err), GL_EPROTO);
	assert_string_equal(err.msg, "no status");
	rpc_msg_fini(&m);
	rpc_writer_fini(&w);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_wait_notify_takes_only_the_match, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_wait_notify_times_out_and_keeps_the_queue, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_wait_notify_leaves_responses, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wait_notify_after_close,
		    setup, teardown),
		cmocka_unit_test(test_done_read),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

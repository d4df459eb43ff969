/*
 * test_rpc.c - msgpack-RPC framing: round trips, streaming, garbage.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/rpc.h"

static void
pack_args(struct rpc_writer *w)
{
	msgpack_pack_map(&w->pk, 3);
	rpc_pack_kv_str(&w->pk, "path", "/tmp/a.nb.lua");
	rpc_pack_kv_int(&w->pk, "n", -42);
	rpc_pack_kv_bool(&w->pk, "ephemeral", true);
}

static void
test_request_round_trip(void **state)
{
	struct rpc_writer	 w;
	struct rpc_msg		 m;
	struct gl_err		 err;
	char			*s;

	rpc_writer_init(&w);
	rpc_begin_request(&w, 7, "session.open");
	pack_args(&w);
	assert_int_equal(rpc_decode(w.sbuf.data, w.sbuf.size, &m, &err), 0);
	assert_int_equal(m.type, RPC_REQUEST);
	assert_int_equal(m.id, 7);
	assert_string_equal(m.method, "session.open");
	s = rpc_map_strdup(m.args, "path");
	assert_string_equal(s, "/tmp/a.nb.lua");
	free(s);
	assert_int_equal(rpc_map_int(m.args, "n", 0), -42);
	assert_true(rpc_map_bool(m.args, "ephemeral", false));
	assert_null(rpc_map_get(m.args, "missing"));
	assert_int_equal(rpc_map_int(m.args, "path", 99), 99);
	rpc_msg_fini(&m);
	rpc_writer_fini(&w);
}

static void
test_response_and_error(void **state)
{
	struct rpc_writer	 w;
	struct rpc_msg		 m;
	struct gl_err		 err;

	rpc_writer_init(&w);
	rpc_begin_response(&w, 9);
	msgpack_pack_map(&w.pk, 1);
	rpc_pack_kv_int(&w.pk, "version", 3);
	assert_int_equal(rpc_decode(w.sbuf.data, w.sbuf.size, &m, &err), 0);
	assert_int_equal(m.type, RPC_RESPONSE);
	assert_int_equal(m.id, 9);
	assert_int_equal(rpc_msg_error(&m, &err), 0);
	assert_int_equal(rpc_map_int(m.result, "version", 0), 3);
	rpc_msg_fini(&m);

	rpc_writer_reset(&w);
	rpc_write_error(&w, 10, GL_ENOTFOUND, "no session s1");
	assert_int_equal(rpc_decode(w.sbuf.data, w.sbuf.size, &m, &err), 0);
	assert_int_equal(rpc_msg_error(&m, &err), GL_ENOTFOUND);
	assert_string_equal(err.msg, "no session s1");
	rpc_msg_fini(&m);
	rpc_writer_fini(&w);
}

/* Three messages fed one byte at a time come out whole and in order. */
static void
test_streaming_byte_by_byte(void **state)
{
	struct rpc_writer	 w;
	struct rpc_reader	*r = rpc_reader_new(1 << 20);
	struct rpc_msg		 m;
	struct gl_err		 err;
	int			 got = 0, rc;

	rpc_writer_init(&w);
	rpc_begin_notify(&w, "cell.output");
	pack_args(&w);
	rpc_begin_request(&w, 1, "kernel.info");
	msgpack_pack_map(&w.pk, 0);
	rpc_begin_notify(&w, "cell.done");
	msgpack_pack_map(&w.pk, 1);
	rpc_pack_key(&w.pk, "nested");
	msgpack_pack_array(&w.pk, 2);
	msgpack_pack_array(&w.pk, 0);
	msgpack_pack_map(&w.pk, 0);
	for (size_t i = 0; i < w.sbuf.size; i++) {
		rpc_reader_feed(r, w.sbuf.data + i, 1);
		while ((rc = rpc_reader_next(r, &m, &err)) == 1) {
			const char *want[] = { "cell.output", "kernel.info",
			    "cell.done" };

			assert_string_equal(m.method, want[got]);
			got++;
			rpc_msg_fini(&m);
		}
		assert_int_equal(rc, 0);
	}
	assert_int_equal(got, 3);
	assert_int_equal(rpc_reader_pending(r), 0);
	rpc_reader_free(r);
	rpc_writer_fini(&w);
}

static int
feed_expect_proto(const void *p, size_t n, size_t max, const char *needle)
{
	struct rpc_reader	*r = rpc_reader_new(max);
	struct rpc_msg		 m;
	struct gl_err		 err = { 0 };
	int			 rc;

	rpc_reader_feed(r, p, n);
	rc = rpc_reader_next(r, &m, &err);
	if (rc == 1)
		rpc_msg_fini(&m);
	rpc_reader_free(r);
	if (rc == GL_EPROTO && needle != NULL && strstr(err.msg, needle) == NULL) {
		print_error("message '%s' lacks '%s'\n", err.msg, needle);
		return 1;
	}
	return rc;
}

static void
test_garbage_is_refused(void **state)
{
	const unsigned char never[] = { 0xc1 };
	const unsigned char notarray[] = { 0xa3, 'a', 'b', 'c' };
	const unsigned char badtype[] = { 0x93, 0x07, 0xa1, 'x', 0x90 };
	const unsigned char noparams[] = { 0x93, 0x02, 0xa1, 'x', 0x01 };
	const unsigned char text[] = "GET / HTTP/1.1\r\n\r\n";

	assert_int_equal(feed_expect_proto(never, sizeof never, 1024,
	    "starts no msgpack value"), GL_EPROTO);
	assert_int_equal(feed_expect_proto(notarray, sizeof notarray, 1024,
	    "not an array"), GL_EPROTO);
	assert_int_equal(feed_expect_proto(badtype, sizeof badtype, 1024,
	    "type 0, 1 or 2"), GL_EPROTO);
	assert_int_equal(feed_expect_proto(noparams, sizeof noparams, 1024,
	    "params is not an array"), GL_EPROTO);
	assert_int_equal(feed_expect_proto(text, sizeof text - 1, 1024, NULL),
	    GL_EPROTO);
}

/* A header claiming four billion elements is refused at once, before any
 * of them arrive and without allocating for them. */
static void
test_huge_claims_refused_early(void **state)
{
	const unsigned char arr[] = { 0xdd, 0xff, 0xff, 0xff, 0xff };
	const unsigned char str[] = { 0x94, 0x00, 0x01, 0xdb, 0x7f, 0xff, 0xff, 0xff };

	assert_int_equal(feed_expect_proto(arr, sizeof arr, 4096, "limit"),
	    GL_EPROTO);
	assert_int_equal(feed_expect_proto(str, sizeof str, 4096, "limit"),
	    GL_EPROTO);
}

static void
test_deep_nesting_refused(void **state)
{
	unsigned char buf[200];

	memset(buf, 0x91, sizeof buf);	/* [[[[...]]]] */
	assert_int_equal(feed_expect_proto(buf, sizeof buf, 4096, "nesting"),
	    GL_EPROTO);
}

/* Every frame the scanner lets through, msgpack-c can decode: a message
 * nested just within RPC_MAX_DEPTH decodes, one level more is refused as
 * too deep (not as "undecodable"). */
static void
test_nesting_limit_matches_decoder(void **state)
{
	for (int extra = 0; extra <= 1; extra++) {
		unsigned char	 buf[RPC_MAX_DEPTH + 16];
		size_t		 n = 0;
		struct rpc_msg	 m;
		struct gl_err	 err = { 0 };
		/* [2, "x", [{"k": [[...1...]]}]]: three containers, then
		 * arrays up to the limit. */
		int		 arrays = RPC_MAX_DEPTH - 3 + extra, rc;

		buf[n++] = 0x93;
		buf[n++] = 0x02;
		buf[n++] = 0xa1;
		buf[n++] = 'x';
		buf[n++] = 0x91;
		buf[n++] = 0x81;
		buf[n++] = 0xa1;
		buf[n++] = 'k';
		for (int i = 0; i < arrays; i++)
			buf[n++] = 0x91;
		buf[n++] = 0x01;
		rc = rpc_decode(buf, n, &m, &err);
		if (extra == 0) {
			if (rc != 0)
				print_error("%s\n", err.msg);
			assert_int_equal(rc, 0);
			assert_non_null(rpc_map_get(m.args, "k"));
			rpc_msg_fini(&m);
		} else {
			assert_int_equal(rc, GL_EPROTO);
			assert_non_null(strstr(err.msg, "nesting deeper than"));
		}
	}
}

/* An error response whose code is 0 is still an error, never success. */
static void
test_error_code_zero_is_not_success(void **state)
{
	const unsigned char	 zero[] = { 0x94, 0x01, 0x05, 0x92, 0x00,
	    0xa4, 'o', 'o', 'p', 's', 0xc0 };
	struct rpc_msg		 m;
	struct gl_err		 err = { 0 };

	assert_int_equal(rpc_decode(zero, sizeof zero, &m, &err), 0);
	assert_int_equal(rpc_msg_error(&m, &err), GL_EPROTO);
	assert_string_equal(err.msg, "oops");
	rpc_msg_fini(&m);
}

static void
test_broken_reader_stays_broken(void **state)
{
	struct rpc_reader	*r = rpc_reader_new(1024);
	struct rpc_msg		 m;
	struct gl_err		 err;
	const unsigned char	 bad = 0xc1;
	struct rpc_writer	 w;

	rpc_reader_feed(r, &bad, 1);
	assert_int_equal(rpc_reader_next(r, &m, &err), GL_EPROTO);
	rpc_writer_init(&w);
	rpc_begin_notify(&w, "x");
	msgpack_pack_map(&w.pk, 0);
	rpc_reader_feed(r, w.sbuf.data, w.sbuf.size);
	assert_int_equal(rpc_reader_next(r, &m, &err), GL_EPROTO);
	rpc_writer_fini(&w);
	rpc_reader_free(r);
}

static void
test_truncated_and_trailing(void **state)
{
	struct rpc_writer	 w;
	struct rpc_msg		 m;
	struct gl_err		 err;
	char			*twice;

	rpc_writer_init(&w);
	rpc_begin_notify(&w, "x");
	msgpack_pack_map(&w.pk, 0);
	assert_int_equal(rpc_decode(w.sbuf.data, w.sbuf.size - 1, &m, &err),
	    GL_EPROTO);
	twice = malloc(w.sbuf.size * 2);
	memcpy(twice, w.sbuf.data, w.sbuf.size);
	memcpy(twice + w.sbuf.size, w.sbuf.data, w.sbuf.size);
	assert_int_equal(rpc_decode(twice, w.sbuf.size * 2, &m, &err), GL_EPROTO);
	assert_non_null(strstr(err.msg, "trailing"));
	free(twice);
	rpc_writer_fini(&w);
}

/* Packs {type = "stream", name, text} with the text as str 32. */
static void
pack_output(msgpack_packer *pk, const char *text)
{
	msgpack_pack_map(pk, 3);
	rpc_pack_kv_str(pk, "type", "stream");
	rpc_pack_kv_str(pk, "name", "stdout");
	rpc_pack_key(pk, "text");
	rpc_pack_str32(pk, text, strlen(text));
}

/*
 * A value's bytes as they came: found by key in a notification's args, a
 * request's args and a response's result, spliced into another message
 * unchanged, and read back as the same value.
 */
static void
test_raw_values_pass_through(void **state)
{
	struct rpc_writer	 w, w2;
	struct rpc_msg		 m, m2;
	struct gl_err		 err;
	const char		*p;
	size_t			 n, len;
	const msgpack_object	*o;

	rpc_writer_init(&w);
	rpc_writer_init(&w2);
	/* A notification whose key comes after values of every kind. */
	rpc_begin_notify(&w, "output");
	msgpack_pack_map(&w.pk, 4);
	rpc_pack_kv_int(&w.pk, "run", 70000);
	rpc_pack_key(&w.pk, "deep");
	msgpack_pack_array(&w.pk, 2);
	msgpack_pack_map(&w.pk, 1);
	rpc_pack_kv_str(&w.pk, "output", "not this one");
	msgpack_pack_bin(&w.pk, 3);
	msgpack_pack_bin_body(&w.pk, "abc", 3);
	rpc_pack_key(&w.pk, "output");
	pack_output(&w.pk, "hello\n");
	rpc_pack_kv_str(&w.pk, "after", "x");
	assert_int_equal(rpc_decode(w.sbuf.data, w.sbuf.size, &m, &err), 0);
	assert_int_equal(rpc_msg_raw(&m, "output", &p, &n), 0);
	/* The str 32 text is the last thing in the map. */
	assert_int_equal((unsigned char)p[n - 6 - RPC_STR32_HDR], 0xdb);
	assert_memory_equal(p + n - 6, "hello\n", 6);
	assert_int_equal(rpc_msg_raw(&m, "missing", &p, &len),
	    GL_ENOTFOUND);
	assert_int_equal(rpc_msg_raw(&m, "outpu", &p, &len), GL_ENOTFOUND);

	/* Spliced into a message of its own, it reads back as it was. */
	assert_int_equal(rpc_msg_raw(&m, "output", &p, &n), 0);
	rpc_begin_notify(&w2, "cell.output");
	msgpack_pack_map(&w2.pk, 2);
	rpc_pack_kv_str(&w2.pk, "cell", "a");
	rpc_pack_key(&w2.pk, "output");
	rpc_pack_raw(&w2.pk, p, n);
	assert_int_equal(rpc_decode(w2.sbuf.data, w2.sbuf.size, &m2, &err),
	    0);
	o = rpc_map_get(m2.args, "output");
	assert_true(rpc_obj_streq(rpc_map_get(o, "type"), "stream"));
	assert_true(rpc_obj_streq(rpc_map_get(o, "text"), "hello\n"));
	rpc_msg_fini(&m2);
	rpc_msg_fini(&m);

	/* A request's args and a response's result. */
	rpc_writer_reset(&w);
	rpc_begin_request(&w, 3, "run");
	msgpack_pack_map(&w.pk, 1);
	rpc_pack_kv_str(&w.pk, "code", "1 + 1");
	assert_int_equal(rpc_decode(w.sbuf.data, w.sbuf.size, &m, &err), 0);
	assert_int_equal(rpc_msg_raw(&m, "code", &p, &n), 0);
	assert_int_equal(n, 6);
	assert_memory_equal(p, "\xa5" "1 + 1", 6);
	rpc_msg_fini(&m);
	rpc_writer_reset(&w);
	rpc_begin_response(&w, 3);
	msgpack_pack_map(&w.pk, 2);
	rpc_pack_kv_str(&w.pk, "status", "error");
	rpc_pack_key(&w.pk, "error");
	msgpack_pack_map(&w.pk, 1);
	rpc_pack_kv_int(&w.pk, "line", 2);
	assert_int_equal(rpc_decode(w.sbuf.data, w.sbuf.size, &m, &err), 0);
	assert_int_equal(rpc_msg_raw(&m, "error", &p, &n), 0);
	assert_int_equal(n, 7);
	assert_memory_equal(p, "\x81\xa4line\x02", 7);
	rpc_msg_fini(&m);
	/* A notification without args, and a message not from a reader. */
	rpc_writer_reset(&w);
	rpc_begin_notify(&w, "ready");
	msgpack_pack_nil(&w.pk);
	assert_int_equal(rpc_decode(w.sbuf.data, w.sbuf.size, &m, &err), 0);
	assert_int_equal(rpc_msg_raw(&m, "run", &p, &n), GL_ENOTFOUND);
	rpc_msg_fini(&m);
	assert_int_equal(rpc_msg_raw(&m, "run", &p, &n), GL_ENOTFOUND);
	rpc_writer_fini(&w);
	rpc_writer_fini(&w2);
}

/* The limits of test_limits: doc.edit may be large, the rest small. */
static void
small_limits(void *ctx, enum rpc_type type, const char *method,
    struct rpc_limit *l)
{
	int *calls = ctx;

	(*calls)++;
	if (type == RPC_REQUEST && strcmp(method, "doc.edit") == 0) {
		l->elems = 1000;
		l->bytes = 1 << 20;
	} else {
		l->elems = 20;
		l->bytes = 4096;
	}
}

/* Packs a request (or notification, id 0) whose args hold n nils, or a
 * string of n bytes with str. */
static void
pack_padded(struct rpc_writer *w, int type, uint32_t id, const char *method,
    size_t n, bool str)
{
	if (type == RPC_REQUEST)
		rpc_begin_request(w, id, method);
	else
		rpc_begin_notify(w, method);
	msgpack_pack_map(&w->pk, 1);
	rpc_pack_key(&w->pk, "pad");
	if (str) {
		char *p = calloc(1, n);

		msgpack_pack_str(&w->pk, n);
		msgpack_pack_str_body(&w->pk, p, n);
		free(p);
		return;
	}
	msgpack_pack_array(&w->pk, (uint32_t)n);
	for (size_t i = 0; i < n; i++)
		msgpack_pack_nil(&w->pk);
}

/* Feeds the stream in pieces of step bytes; records what comes out as
 * "method:rc" words, and the most bytes the reader held at once. */
static void
feed_limited(const char *p, size_t n, size_t step, char *log, size_t loglen,
    size_t *held)
{
	struct rpc_reader	*r = rpc_reader_new(64 << 20);
	struct rpc_msg		 m;
	struct gl_err		 err;
	int			 calls = 0, rc;

	rpc_reader_set_limit(r, small_limits, &calls);
	log[0] = '\0';
	*held = 0;
	for (size_t off = 0; off < n; off += step) {
		rpc_reader_feed(r, p + off, n - off < step ? n - off : step);
		while ((rc = rpc_reader_next(r, &m, &err)) > 0) {
			size_t len = strlen(log);

			snprintf(log + len, loglen - len, "%s:%u:%d%s ",
			    m.method, m.id, rc, rc == RPC_OVER_LIMIT &&
			    strstr(err.msg, m.method) == NULL ? "?" : "");
			if (rc == RPC_OVER_LIMIT)
				assert_int_equal(err.code, GL_ELIMIT);
			rpc_msg_fini(&m);
		}
		assert_int_equal(rc, 0);
		if (rpc_reader_pending(r) > *held)
			*held = rpc_reader_pending(r);
	}
	rpc_reader_free(r);
}

/* A message over its method's limit is dropped without being decoded
 * (values or bytes), its head handed back, and the stream goes on. */
static void
test_limits(void **state)
{
	struct rpc_writer	 w;
	struct rpc_reader	*r;
	struct rpc_msg		 m;
	struct gl_err		 err;
	char			 log[512];
	size_t			 held;
	int			 calls = 0;

	rpc_writer_init(&w);
	pack_padded(&w, RPC_REQUEST, 1, "doc.cursor", 5, false);
	pack_padded(&w, RPC_REQUEST, 2, "doc.cursor", 30, false);
	pack_padded(&w, RPC_REQUEST, 3, "doc.edit", 30, false);
	pack_padded(&w, RPC_NOTIFY, 0, "doc.cursor", 30, false);
	pack_padded(&w, RPC_REQUEST, 4, "doc.cursor", 5000, true);
	pack_padded(&w, RPC_REQUEST, 5, "doc.edit", 5000, true);
	rpc_begin_response(&w, 6);
	msgpack_pack_array(&w.pk, 22);
	for (int i = 0; i < 22; i++)
		msgpack_pack_nil(&w.pk);
	rpc_begin_request(&w, 7, "kernel.info");
	msgpack_pack_map(&w.pk, 0);
	for (size_t step = 1; step < w.sbuf.size; step = step * 5 + 2) {
		feed_limited(w.sbuf.data, w.sbuf.size, step, log, sizeof log,
		    &held);
		assert_string_equal(log, "doc.cursor:1:1 doc.cursor:2:2 "
		    "doc.edit:3:1 doc.cursor:0:2 doc.cursor:4:2 doc.edit:5:1 "
		    ":6:2 kernel.info:7:1 ");
	}
	/* The messages name the method and its limit. */
	r = rpc_reader_new(1 << 20);
	rpc_reader_set_limit(r, small_limits, &calls);
	rpc_reader_feed(r, w.sbuf.data, w.sbuf.size);
	assert_int_equal(rpc_reader_next(r, &m, &err), 1);
	rpc_msg_fini(&m);
	assert_int_equal(rpc_reader_next(r, &m, &err), RPC_OVER_LIMIT);
	assert_int_equal(m.type, RPC_REQUEST);
	assert_true(m.args->type == MSGPACK_OBJECT_NIL);
	assert_string_equal(err.msg, "doc.cursor: message of more than 20 "
	    "values (the limit for doc.cursor)");
	rpc_msg_fini(&m);
	assert_int_equal(rpc_reader_next(r, &m, &err), 1);
	rpc_msg_fini(&m);
	assert_int_equal(rpc_reader_next(r, &m, &err), RPC_OVER_LIMIT);
	assert_int_equal(m.type, RPC_NOTIFY);
	rpc_msg_fini(&m);
	assert_int_equal(rpc_reader_next(r, &m, &err), RPC_OVER_LIMIT);
	assert_string_equal(err.msg, "doc.cursor: message that decodes to "
	    "more than 4 KiB (the limit for doc.cursor)");
	rpc_msg_fini(&m);
	assert_int_equal(calls, 5);
	rpc_reader_free(r);
	rpc_writer_fini(&w);
}

/* A refused message is dropped as it arrives, not held whole: a 4 MiB
 * frame of nils and one 4 MiB string, fed in 4 KiB pieces, never make
 * the reader hold more than a few pieces. */
static void
test_refused_frames_are_not_held(void **state)
{
	struct rpc_writer	 w;
	char			 log[256];
	size_t			 held;

	rpc_writer_init(&w);
	pack_padded(&w, RPC_REQUEST, 1, "doc.cursor", 4 << 20, false);
	pack_padded(&w, RPC_REQUEST, 2, "doc.cursor", 4 << 20, true);
	rpc_begin_request(&w, 3, "kernel.info");
	msgpack_pack_map(&w.pk, 0);
	feed_limited(w.sbuf.data, w.sbuf.size, 4096, log, sizeof log, &held);
	assert_string_equal(log, "doc.cursor:1:2 doc.cursor:2:2 "
	    "kernel.info:3:1 ");
	assert_true(held <= 3 * 4096);
	rpc_writer_fini(&w);
}

/* After a message, what follows it can be taken out as bytes (a stream
 * that turns to sealed records after its handshake). */
static void
test_rest_after_a_message(void **state)
{
	struct rpc_writer	 w;
	struct rpc_reader	*r = rpc_reader_new(4096);
	struct rpc_msg		 m;
	struct gl_err		 err;
	const char		*rest;
	size_t			 n;

	rpc_writer_init(&w);
	rpc_begin_request(&w, 1, "auth.response");
	msgpack_pack_map(&w.pk, 0);
	msgpack_sbuffer_write(&w.sbuf, "\xc4\x02" "ab", 4);
	rpc_reader_feed(r, w.sbuf.data, w.sbuf.size);
	assert_int_equal(rpc_reader_next(r, &m, &err), 1);
	rpc_msg_fini(&m);
	rest = rpc_reader_rest(r, &n);
	assert_int_equal(n, 4);
	assert_memory_equal(rest, "\xc4\x02" "ab", 4);
	rpc_reader_clear(r);
	assert_int_equal(rpc_reader_pending(r), 0);
	assert_int_equal(rpc_reader_next(r, &m, &err), 0);
	rpc_writer_reset(&w);
	rpc_begin_notify(&w, "x");
	msgpack_pack_map(&w.pk, 0);
	rpc_reader_feed(r, w.sbuf.data, w.sbuf.size);
	assert_int_equal(rpc_reader_next(r, &m, &err), 1);
	assert_string_equal(m.method, "x");
	rpc_msg_fini(&m);
	rpc_reader_free(r);
	rpc_writer_fini(&w);
}

/* Read straight into the reader (rpc_reader_space), big messages
 * (which take the reader's buffer rather than a copy of it) and small
 * ones after them come out whole and in order. */
static void
test_reading_into_the_reader(void **state)
{
	struct rpc_writer	 w;
	struct rpc_reader	*r = rpc_reader_new(1u << 24);
	struct rpc_msg		 m;
	struct gl_err		 err;
	size_t			 sizes[] = { 200000, 3, 70000, 65536 * 3, 10 };
	size_t			 nsizes = sizeof sizes / sizeof *sizes, off = 0;
	size_t			 got = 0;
	char			*text;
	int			 rc;

	(void)state;
	rpc_writer_init(&w);
	for (size_t i = 0; i < nsizes; i++) {
		text = malloc(sizes[i]);
		memset(text, 'a' + (int)i, sizes[i]);
		rpc_begin_notify(&w, "output");
		msgpack_pack_map(&w.pk, 1);
		rpc_pack_key(&w.pk, "text");
		rpc_pack_strn(&w.pk, text, sizes[i]);
		free(text);
	}
	/* Fed in reads of odd sizes, as a pipe gives them. */
	while (off < w.sbuf.size || got < nsizes) {
		size_t	 room, n = w.sbuf.size - off;
		char	*p = rpc_reader_space(r, 4096, &room);

		assert_true(room >= 4096 || n == 0);
		if (n > room)
			n = room;
		if (n > 99991)
			n = 99991;
		memcpy(p, w.sbuf.data + off, n);
		rpc_reader_commit(r, n);
		off += n;
		while ((rc = rpc_reader_next(r, &m, &err)) == 1) {
			size_t		 len;
			const char	*t = rpc_map_str(m.args, "text", &len);

			assert_true(got < nsizes);
			assert_non_null(t);
			assert_int_equal(len, sizes[got]);
			for (size_t k = 0; k < len; k++)
				assert_int_equal(t[k], 'a' + (int)got);
			assert_non_null(m.frame);
			got++;
			rpc_msg_fini(&m);
		}
		assert_int_equal(rc, 0);
	}
	assert_int_equal(got, nsizes);
	assert_int_equal(rpc_reader_pending(r), 0);
	rpc_reader_free(r);
	rpc_writer_fini(&w);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request_round_trip),
		cmocka_unit_test(test_response_and_error),
		cmocka_unit_test(test_streaming_byte_by_byte),
		cmocka_unit_test(test_garbage_is_refused),
		cmocka_unit_test(test_huge_claims_refused_early),
		cmocka_unit_test(test_deep_nesting_refused),
		cmocka_unit_test(test_nesting_limit_matches_decoder),
		cmocka_unit_test(test_error_code_zero_is_not_success),
		cmocka_unit_test(test_broken_reader_stays_broken),
		cmocka_unit_test(test_truncated_and_trailing),
		cmocka_unit_test(test_raw_values_pass_through),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_refused_frames_are_not_held),
		cmocka_unit_test(test_rest_after_a_message),
		cmocka_unit_test(test_reading_into_the_reader),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

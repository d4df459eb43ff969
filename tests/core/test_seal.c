/*
 * test_seal.c - sealed records: both ends derive the same keys, bytes
 * come through whole and in order however they are cut, and a record
 * that was changed, replayed, reordered, sent the other way, keyed for
 * another connection, or is not a record at all is refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/mem.h"
#include "core/seal.h"

static const char secret[] =
    "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

/* True if the n bytes at p hold the string s. */
static bool
holds(const char *p, size_t n, const char *s)
{
	size_t k = strlen(s);

	for (size_t i = 0; i + k <= n; i++)
		if (memcmp(p + i, s, k) == 0)
			return true;
	return false;
}

struct pair {
	unsigned char	 kn[AUTH_NONCE_LEN], pn[AUTH_NONCE_LEN];
	struct seal	*kernel, *peer;
};

static void
pair_init(struct pair *p)
{
	for (int i = 0; i < AUTH_NONCE_LEN; i++) {
		p->kn[i] = (unsigned char)i;
		p->pn[i] = (unsigned char)(0xa0 + i);
	}
	p->kernel = seal_new(secret, "client", p->kn, p->pn, SEAL_KERNEL);
	p->peer = seal_new(secret, "client", p->kn, p->pn, SEAL_PEER);
}

static void
pair_fini(struct pair *p)
{
	seal_free(p->kernel);
	seal_free(p->peer);
}

/* Opens every whole record fed to s into out; the last open's code. */
static int
open_all(struct seal *s, struct gl_buf *out, struct gl_err *err)
{
	const void	*p;
	size_t		 n;
	int		 rc;

	while ((rc = seal_open(s, &p, &n, err)) == 1)
		gl_buf_add(out, p, n);
	return rc;
}

static void
test_round_trip_both_ways(void **state)
{
	struct pair	 p;
	struct gl_buf	 wire, got;
	struct gl_err	 err;

	(void)state;
	pair_init(&p);
	gl_buf_init(&wire);
	gl_buf_init(&got);
	seal_wrap(p.peer, "hello", 5, &wire);
	seal_wrap(p.peer, " kernel", 7, &wire);
	assert_int_equal(wire.len, seal_wrapped_len(5) + seal_wrapped_len(7));
	assert_int_equal(seal_wrapped_len(0), 0);
	assert_int_equal(seal_wrapped_len(300), 3 + 300 + SEAL_TAG_LEN);
	/* The bytes are not on the wire as they were. */
	assert_false(holds(wire.data, wire.len, "hello"));
	assert_true(seal_is_record((unsigned char)wire.data[0]));
	seal_feed(p.kernel, wire.data, wire.len);
	assert_int_equal(open_all(p.kernel, &got, &err), 0);
	assert_int_equal(got.len, 12);
	assert_memory_equal(got.data, "hello kernel", 12);
	assert_int_equal(seal_pending(p.kernel), 0);
	assert_int_equal(seal_opened(p.kernel), 2);
	assert_int_equal(seal_sent(p.peer), 2);
	gl_buf_reset(&wire);
	gl_buf_reset(&got);
	seal_wrap(p.kernel, "and back", 8, &wire);
	seal_feed(p.peer, wire.data, wire.len);
	assert_int_equal(open_all(p.peer, &got, &err), 0);
	assert_memory_equal(got.data, "and back", 8);
	/* Nothing to send makes no record. */
	gl_buf_reset(&wire);
	seal_wrap(p.kernel, "", 0, &wire);
	assert_int_equal(wire.len, 0);
	gl_buf_fini(&wire);
	gl_buf_fini(&got);
	pair_fini(&p);
}

/* A message larger than a record is cut into several; fed in pieces of
 * every awkward size, the bytes come out whole and in order. */
static void
test_large_and_in_pieces(void **state)
{
	size_t		 n = 3 * SEAL_RECORD_MAX + 12345;
	char		*msg = xmalloc(n);
	struct pair	 p;
	struct gl_buf	 wire, got;
	struct gl_err	 err;
	size_t		 off, step = 1;

	(void)state;
	for (size_t i = 0; i < n; i++)
		msg[i] = (char)(i * 7 + 3);
	pair_init(&p);
	gl_buf_init(&wire);
	gl_buf_init(&got);
	seal_wrap(p.peer, msg, n, &wire);
	assert_int_equal(seal_sent(p.peer), 4);
	assert_int_equal(wire.len, seal_wrapped_len(n));
	for (off = 0; off < wire.len; off += step, step = step * 3 + 1) {
		size_t k = wire.len - off < step ? wire.len - off : step;

		seal_feed(p.kernel, wire.data + off, k);
		assert_int_equal(open_all(p.kernel, &got, &err), 0);
	}
	assert_int_equal(got.len, n);
	assert_memory_equal(got.data, msg, n);
	gl_buf_fini(&wire);
	gl_buf_fini(&got);
	pair_fini(&p);
	free(msg);
}

/* Flipping any one bit of a record (header aside) is caught. */
static void
test_tampered_record_refused(void **state)
{
	struct gl_buf	 wire, got;
	struct gl_err	 err;

	(void)state;
	gl_buf_init(&wire);
	gl_buf_init(&got);
	for (size_t bit = 2 * 8; bit < (2 + 5 + SEAL_TAG_LEN) * 8; bit += 3) {
		struct pair p;

		pair_init(&p);
		gl_buf_reset(&wire);
		seal_wrap(p.peer, "doc.edit", 8, &wire);
		wire.data[bit / 8] ^= (char)(1 << (bit % 8));
		seal_feed(p.kernel, wire.data, wire.len);
		assert_int_equal(open_all(p.kernel, &got, &err), GL_EPROTO);
		assert_non_null(strstr(err.msg, "does not authenticate"));
		assert_int_equal(got.len, 0);
		pair_fini(&p);
	}
	gl_buf_fini(&wire);
	gl_buf_fini(&got);
}

static void
test_replay_and_reorder_refused(void **state)
{
	struct pair	 p;
	struct gl_buf	 a, b, got;
	struct gl_err	 err;

	(void)state;
	gl_buf_init(&a);
	gl_buf_init(&b);
	gl_buf_init(&got);
	/* Replayed: the same record twice. */
	pair_init(&p);
	seal_wrap(p.peer, "first", 5, &a);
	seal_feed(p.kernel, a.data, a.len);
	seal_feed(p.kernel, a.data, a.len);
	assert_int_equal(open_all(p.kernel, &got, &err), GL_EPROTO);
	assert_string_equal(got.data, "first");
	assert_non_null(strstr(err.msg, "record 1 does not authenticate"));
	/* ... and nothing is opened after. */
	gl_buf_reset(&b);
	seal_wrap(p.peer, "second", 6, &b);
	seal_feed(p.kernel, b.data, b.len);
	assert_int_equal(open_all(p.kernel, &got, &err), GL_EPROTO);
	assert_string_equal(got.data, "first");
	pair_fini(&p);
	/* Reordered: the second record first. */
	pair_init(&p);
	gl_buf_reset(&a);
	gl_buf_reset(&b);
	gl_buf_reset(&got);
	seal_wrap(p.peer, "first", 5, &a);
	seal_wrap(p.peer, "second", 6, &b);
	seal_feed(p.kernel, b.data, b.len);
	seal_feed(p.kernel, a.data, a.len);
	assert_int_equal(open_all(p.kernel, &got, &err), GL_EPROTO);
	assert_int_equal(got.len, 0);
	pair_fini(&p);
	gl_buf_fini(&a);
	gl_buf_fini(&b);
	gl_buf_fini(&got);
}

/* A record sent back the way it came, or made for another connection
 * (other nonces, secret or purpose), does not open. */
static void
test_other_keys_refused(void **state)
{
	struct pair	 p;
	struct seal	*other;
	struct gl_buf	 wire, got;
	struct gl_err	 err;
	unsigned char	 n2[AUTH_NONCE_LEN];
	char		 s2[sizeof secret];

	(void)state;
	gl_buf_init(&wire);
	gl_buf_init(&got);
	pair_init(&p);
	seal_wrap(p.kernel, "reflect", 7, &wire);
	seal_feed(p.kernel, wire.data, wire.len);
	assert_int_equal(open_all(p.kernel, &got, &err), GL_EPROTO);
	pair_fini(&p);

	memcpy(s2, secret, sizeof s2);
	s2[5] = s2[5] == 'f' ? 'e' : 'f';
	for (int k = 0; k < 4; k++) {
		pair_init(&p);
		memcpy(n2, p.pn, sizeof n2);
		n2[31] ^= 1;
		if (k == 0)
			other = seal_new(secret, "client", p.kn, n2,
			    SEAL_KERNEL);
		else if (k == 1)
			other = seal_new(secret, "client", n2, p.pn,
			    SEAL_KERNEL);
		else if (k == 2)
			other = seal_new(s2, "client", p.kn, p.pn,
			    SEAL_KERNEL);
		else
			other = seal_new(secret, "worker", p.kn, p.pn,
			    SEAL_KERNEL);
		gl_buf_reset(&wire);
		gl_buf_reset(&got);
		seal_wrap(p.peer, "x", 1, &wire);
		seal_feed(other, wire.data, wire.len);
		assert_int_equal(open_all(other, &got, &err), GL_EPROTO);
		assert_int_equal(got.len, 0);
		seal_free(other);
		pair_fini(&p);
	}
	gl_buf_fini(&wire);
	gl_buf_fini(&got);
}

/* What is not a record is refused by name; a record cut short waits and
 * says so through seal_pending(); a header claiming too much is refused
 * before its body arrives. */
static void
test_not_a_record(void **state)
{
	struct pair		 p;
	struct gl_buf		 wire, got;
	struct gl_err		 err;
	const unsigned char	 plain[] = { 0x94, 0x00, 0x01, 0xa1, 'x' };
	const unsigned char	 huge[] = { 0xc6, 0x7f, 0xff, 0xff, 0xff };
	const unsigned char	 tiny[] = { 0xc4, 0x03, 1, 2, 3 };

	(void)state;
	gl_buf_init(&wire);
	gl_buf_init(&got);
	pair_init(&p);
	seal_feed(p.kernel, plain, sizeof plain);
	assert_int_equal(open_all(p.kernel, &got, &err), GL_EPROTO);
	assert_non_null(strstr(err.msg, "unsealed frame (0x94)"));
	assert_false(seal_is_record(plain[0]));
	pair_fini(&p);

	pair_init(&p);
	seal_feed(p.kernel, huge, sizeof huge);
	assert_int_equal(open_all(p.kernel, &got, &err), GL_EPROTO);
	assert_non_null(strstr(err.msg, "a sealed record of 2147483647"));
	pair_fini(&p);

	pair_init(&p);
	seal_feed(p.kernel, tiny, sizeof tiny);
	assert_int_equal(open_all(p.kernel, &got, &err), GL_EPROTO);
	pair_fini(&p);

	pair_init(&p);
	seal_wrap(p.peer, "cut short", 9, &wire);
	seal_feed(p.kernel, wire.data, wire.len - 1);
	assert_int_equal(open_all(p.kernel, &got, &err), 0);
	assert_int_equal(got.len, 0);
	assert_int_equal(seal_pending(p.kernel), wire.len - 1);
	seal_feed(p.kernel, wire.data + wire.len - 1, 1);
	assert_int_equal(open_all(p.kernel, &got, &err), 0);
	assert_int_equal(seal_pending(p.kernel), 0);
	assert_memory_equal(got.data, "cut short", 9);
	pair_fini(&p);
	gl_buf_fini(&wire);
	gl_buf_fini(&got);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip_both_ways),
		cmocka_unit_test(test_large_and_in_pieces),
		cmocka_unit_test(test_tampered_record_refused),
		cmocka_unit_test(test_replay_and_reorder_refused),
		cmocka_unit_test(test_other_keys_refused),
		cmocka_unit_test(test_not_a_record),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * fuzz_ot.c - libFuzzer target for the edit-op wire form (core/ot.c).
 * The input is a run of msgpack objects. Each is decoded with
 * msgpack_unpack_next() and ot_decode(); an op that decodes must encode
 * and decode again to an equal op. The first two ops are then transformed
 * against each other and applied to a small notebook, which must fail
 * cleanly or succeed, never crash, leak or read out of bounds.
 *
 * msgpack-c allocates a container's elements when it reads the header, so
 * a 5-byte array32 header asks for 64 GiB: each object is measured first
 * (every element needs at least one byte), as rpc.c does for frames.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/notebook.h"
#include "core/ot.h"

int	 LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool	 measure(const uint8_t *, size_t, size_t *);
static uint64_t	 be(const uint8_t *, size_t);
static void	 roundtrip(const struct ot_op *);
static void	 exercise(struct ot_op *, size_t);

static const char doc_text[] =
    "-- header\n"
    "\n"
    "-- %% id=\"a\"\n"
    "x = \"\xc3\xa9\"\n"
    "\n"
    "-- %% [markdown] id=\"b\" tags=[\"t\"]\n"
    "-- # B\n"
    "\n"
    "-- %% id=\"c\"\n"
    "y\n";

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	msgpack_unpacked	 up;
	struct ot_op		 ops[2];
	struct gl_err		 err;
	size_t			 off = 0, end, nops = 0;

	msgpack_unpacked_init(&up);
	while (off < size && measure(data + off, size - off, &end)) {
		size_t	 at = off;
		struct ot_op op;

		if (msgpack_unpack_next(&up, (const char *)data, off + end,
		    &at) != MSGPACK_UNPACK_SUCCESS)
			break;
		off = at;
		if (ot_decode(&up.data, &op, &err) != 0)
			continue;
		roundtrip(&op);
		if (nops < 2)
			ops[nops++] = op;
		else
			ot_op_fini(&op);
	}
	msgpack_unpacked_destroy(&up);
	exercise(ops, nops);
	for (size_t i = 0; i < nops; i++)
		ot_op_fini(&ops[i]);
	return 0;
}

static void
roundtrip(const struct ot_op *op)
{
	msgpack_sbuffer		 sb;
	msgpack_packer		 pk;
	msgpack_unpacked	 up;
	struct ot_op		 back;
	struct gl_err		 err;
	size_t			 off = 0;

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	ot_encode(&pk, op);
	msgpack_unpacked_init(&up);
	if (msgpack_unpack_next(&up, sb.data, sb.size, &off) !=
	    MSGPACK_UNPACK_SUCCESS || off != sb.size)
		abort();
	if (ot_decode(&up.data, &back, &err) != 0)
		abort();
	if (!ot_op_equal(op, &back))
		abort();
	ot_op_fini(&back);
	msgpack_unpacked_destroy(&up);
	msgpack_sbuffer_destroy(&sb);
}

/* Transforms and applies untrusted ops: only memory safety is checked
 * (the ops need not be valid on the same state). */
static void
exercise(struct ot_op *ops, size_t n)
{
	struct nb_doc	*doc = NULL;
	struct ot_op	 a, b;
	struct gl_err	 err;

	if (n == 0 ||
	    nb_parse(doc_text, strlen(doc_text), "f.nb.lua", &doc, &err) != 0)
		return;
	(void)ot_op_locate(doc, &ops[0], &err);
	(void)ot_apply(doc, &ops[0], &err);
	if (n == 2) {
		ot_op_copy(&a, &ops[0]);
		ot_op_copy(&b, &ops[1]);
		if (ot_transform(&a, &ops[1], true))
			(void)ot_apply(doc, &a, &err);
		if (ot_transform(&b, &ops[0], false))
			(void)ot_apply(doc, &b, &err);
		ot_op_fini(&a);
		ot_op_fini(&b);
	}
	nb_doc_free(doc);
}

/* Sets *len to the length of the msgpack object at p if it is complete
 * and no container claims more elements than there are bytes left. */
static bool
measure(const uint8_t *p, size_t size, size_t *len)
{
	uint64_t	 need = 1, n;
	size_t		 i = 0, skip;
	uint8_t		 c;

	while (need > 0) {
		if (i >= size)
			return false;
		c = p[i++];
		need--;
		skip = 0;
		n = 0;
		if (c <= 0x7f || c >= 0xe0 || (c >= 0xc0 && c <= 0xc3)) {
			/* a scalar in the type byte (0xc1 is refused later) */
		} else if (c <= 0x8f)
			n = 2 * (uint64_t)(c & 0x0f);
		else if (c <= 0x9f)
			n = c & 0x0f;
		else if (c <= 0xbf)
			skip = c & 0x1f;
		else {
			static const uint8_t hdr[] = {
				/* c4..df: bytes of length/value after c */
				1, 2, 4, 1, 2, 4, 4, 8, 1, 2, 4, 8, 1, 2, 4,
				8, 2, 3, 5, 9, 17, 1, 2, 4, 2, 4, 2, 4,
			};
			size_t h = hdr[c - 0xc4];

			if (size - i < h)
				return false;
			switch (c) {
			case 0xc4: case 0xc5: case 0xc6:	/* bin */
			case 0xd9: case 0xda: case 0xdb:	/* str */
				skip = (size_t)be(p + i, h);
				break;
			case 0xc7: case 0xc8: case 0xc9:	/* ext */
				skip = (size_t)be(p + i, h) + 1; /* + type */
				break;
			case 0xdc: case 0xdd:
				n = be(p + i, h);
				break;
			case 0xde: case 0xdf:
				n = 2 * be(p + i, h);
				break;
			}
			i += h;
		}
		if (skip > size - i)
			return false;
		i += skip;
		need += n;
		if (need > size - i)
			return false;
	}
	*len = i;
	return true;
}

static uint64_t
be(const uint8_t *p, size_t n)
{
	uint64_t v = 0;

	for (size_t i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

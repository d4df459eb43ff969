/*
 * fuzz_seal.c - libFuzzer target for the unsealing path: arbitrary bytes
 * fed to a seal's record reader, in two pieces, and what it opens fed on
 * to the msgpack-RPC reader, as kernel/conn.c does. Also records sealed
 * from the input's bytes and then damaged at a place the input picks must
 * never open. No crash, no leak, no allocation out of proportion.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/err.h"
#include "core/mem.h"
#include "core/rpc.h"
#include "core/seal.h"

int	 LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char secret[] =
    "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0";

static void
drain(struct seal *s, struct rpc_reader *r)
{
	struct rpc_msg	 m;
	struct gl_err	 err;

	(void)seal_open_into(s, r, &err);
	while (rpc_reader_next(r, &m, &err) == 1)
		rpc_msg_fini(&m);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char		 kn[AUTH_NONCE_LEN] = { 1 };
	unsigned char		 pn[AUTH_NONCE_LEN] = { 2 };
	struct seal		*k = seal_new(secret, "client", kn, pn,
				    SEAL_KERNEL);
	struct seal		*peer = seal_new(secret, "client", kn, pn,
				    SEAL_PEER);
	struct rpc_reader	*r = rpc_reader_new(1 << 16);
	struct gl_buf		 wire;
	struct gl_err		 err;
	const void		*p;
	size_t			 half = size / 2, n, at;
	int			 rc;

	/* Raw bytes as a sealed stream. */
	seal_feed(k, data, half);
	drain(k, r);
	seal_feed(k, data + half, size - half);
	drain(k, r);
	(void)seal_pending(k);
	seal_free(k);
	rpc_reader_free(r);

	/* As a peer reads the kernel's answer to its proof: sealed, or a
	 * refusal in the clear, told by the first byte. */
	{
		struct seal	*ps = seal_new(secret, "client", kn, pn,
				    SEAL_PEER);
		bool		 answer = true;
		struct rpc_msg	 m;

		r = rpc_reader_new(1 << 16);
		if (seal_read(&ps, &answer, data, half, r, &err) == 0)
			(void)seal_read(&ps, &answer, data + half, size - half,
			    r, &err);
		while (rpc_reader_next(r, &m, &err) == 1)
			rpc_msg_fini(&m);
		rpc_reader_free(r);
		seal_free(ps);
	}

	/* The input sealed, one byte damaged: nothing opens past it. */
	if (size < 2)
		goto out;
	k = seal_new(secret, "client", kn, pn, SEAL_KERNEL);
	gl_buf_init(&wire);
	seal_wrap(peer, data + 1, size - 1, &wire);
	at = data[0] % wire.len;
	wire.data[at] ^= 0x40;
	seal_feed(k, wire.data, wire.len);
	n = 0;
	while ((rc = seal_open(k, &p, &n, &err)) == 1) {
		/* Only records wholly before the damage may open (every
		 * record but the last is whole: a bin 32 of the most). */
		if (seal_opened(k) > at / (SEAL_RECORD_MAX + SEAL_TAG_LEN +
		    5))
			__builtin_trap();
	}
	gl_buf_fini(&wire);
	seal_free(k);
out:
	seal_free(peer);
	return 0;
}

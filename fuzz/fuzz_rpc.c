/*
 * fuzz_rpc.c - libFuzzer target for the msgpack-RPC reader: arbitrary
 * bytes, fed in two pieces, must give messages or a clean GL_EPROTO, never
 * a crash, a leak or an allocation out of proportion to the input; a
 * value looked up in a message's bytes (rpc_msg_raw) lies inside them.
 * Fed again byte by byte to a reader with small per-method limits,
 * refused messages must be dropped in step with the stream.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "core/err.h"
#include "core/rpc.h"

int	 LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_limit(void *ctx, enum rpc_type type, const char *method,
    struct rpc_limit *l)
{
	(void)ctx;
	l->elems = type == RPC_NOTIFY ? 3 : method[0] == 'a' ? 0 : 16;
	l->bytes = method[0] == 'b' ? 40 : 512;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rpc_reader	*r = rpc_reader_new(1 << 16);
	struct rpc_msg		 m;
	struct gl_err		 err;
	size_t			 half = size / 2;
	int			 rc;

	rpc_reader_feed(r, data, half);
	while ((rc = rpc_reader_next(r, &m, &err)) == 1) {
		const char	*p;
		size_t		 n;

		(void)rpc_map_int(m.args, "session", 0);
		(void)rpc_map_str(m.args, "path", NULL);
		if (rpc_msg_raw(&m, "output", &p, &n) == 0 &&
		    (p < m.frame || n > m.frame_len ||
		    p + n > m.frame + m.frame_len))
			abort();
		rpc_msg_fini(&m);
	}
	if (rc == 0) {
		rpc_reader_feed(r, data + half, size - half);
		while ((rc = rpc_reader_next(r, &m, &err)) == 1)
			rpc_msg_fini(&m);
	}
	rpc_reader_free(r);
	r = rpc_reader_new(1 << 16);
	rpc_reader_set_limit(r, fuzz_limit, NULL);
	rc = 0;
	for (size_t i = 0; i < size && rc >= 0; i++) {
		rpc_reader_feed(r, data + i, 1);
		while ((rc = rpc_reader_next(r, &m, &err)) > 0)
			rpc_msg_fini(&m);
	}
	rpc_reader_free(r);
	if (rpc_decode(data, size, &m, &err) == 0)
		rpc_msg_fini(&m);
	return 0;
}

/*
 * bench_cell.h - the trivial cell's round trip, client -> kernel ->
 * runtime -> client, as bench_kernel and bench_secure measure it: an
 * ephemeral session of one cell ("1 + 1"), cell.run, wait for its
 * cell.done. Static inline, for a benchmark's only .c file.
 */
#ifndef GL_BENCH_CELL_H
#define GL_BENCH_CELL_H

#include <string.h>
#include <time.h>

#include "client/client.h"
#include "core/err.h"

static const char *bench_cell_nb = "-- %% id=\"a\"\n1 + 1\n";

static inline double
bench_cell_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

/* session.open's args: the notebook above, ephemeral. */
static inline void
bench_cell_pack_open(msgpack_packer *pk, void *ctx)
{
	(void)ctx;
	msgpack_pack_map(pk, 3);
	rpc_pack_kv_str(pk, "path", "/tmp/bench.nb.lua");
	rpc_pack_kv_str(pk, "text", bench_cell_nb);
	rpc_pack_kv_bool(pk, "ephemeral", true);
}

/* One round trip of cell "a" of session sess on c: its time in us, or
 * -1 with err set (a failed cell says so in err). */
static inline double
bench_cell_round_trip(struct cl_conn *c, const char *sess,
    struct gl_err *err)
{
	struct rpc_writer	*w;
	struct rpc_msg		 m;
	uint32_t		 id;
	double			 t0 = bench_cell_now_us();
	int			 done = 0;

	w = cl_begin(c, "cell.run", &id);
	msgpack_pack_map(&w->pk, 2);
	rpc_pack_kv_str(&w->pk, "session", sess);
	rpc_pack_key(&w->pk, "cells");
	msgpack_pack_array(&w->pk, 1);
	rpc_pack_str(&w->pk, "a");
	if (cl_send(c, err) != 0 || cl_wait(c, id, &m, 10000, err) != 0)
		return -1;
	rpc_msg_fini(&m);
	while (!done) {
		if (cl_next_notify(c, &m, 10000, err) != 1)
			return -1;
		if (strcmp(m.method, "cell.done") == 0) {
			if (!rpc_obj_streq(rpc_map_get(m.args, "status"),
			    "ok")) {
				rpc_msg_fini(&m);
				gl_err_set(err, GL_ERUNTIME, "the cell failed");
				return -1;
			}
			done = 1;
		}
		rpc_msg_fini(&m);
	}
	return bench_cell_now_us() - t0;
}

#endif

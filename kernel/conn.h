/*
 * conn.h - one msgpack-RPC connection over a libuv stream: a client of the
 * kernel (Unix socket or TCP), a cluster worker (TCP), or a runtime's pipe
 * (the child's fd 3). What arrives is framed into messages by core/rpc.h's
 * reader (with a frame limit the owner raises once the peer
 * authenticated); what is sent is staged, handed to the stream at once
 * (uv_try_write, then uv_write for the rest), and the bytes libuv still
 * holds are counted.
 *
 * Sealing. A TCP client or a worker, once its handshake is done, speaks
 * in sealed records (core/seal.h): after conn_seal() everything the conn
 * sends is sealed and everything it reads must be, and a record that
 * does not open ends the conversation as CONN_PROTOCOL.
 *
 * Deadlines and refusals. conn_set_deadline() reports CONN_DEADLINE if a
 * peer takes too long (to authenticate); conn_refuse() closes after a
 * refusal so that the peer reads it: the refusal is flushed, our side
 * shut down, and what the peer still sends is read and dropped until it
 * closes (or a short linger passes), never answered by a reset.
 * conn_set_limit() bounds what one message may decode to, per method.
 *
 * Slow readers. Flow control is two watermarks and one callback: once
 * more than conn_opts.queue_high bytes wait for the peer, on_flow says
 * the conn is held, and once they drained to queue_low it says it is not;
 * the owner slows what it sends (the kernel stops reading the runtime
 * whose output a held client gets). A hard bound, queue_max, is for
 * peers that stopped reading altogether: a conn whose queued bytes would
 * pass it drops what it was about to send and reports CONN_FULL to
 * on_end (the cluster treats such a worker as lost). conn_pause() stops
 * reading a stream for a while (what was read is still delivered).
 *
 * A conn is freed only in its handle's close callback, after on_closed
 * (STYLE example D); owners keep no pointer to it past on_closed. Also
 * here: the TCP listener set-up that --listen and cluster.listen share.
 *
 * Used by kernel/server-client.c (and kernel/req.c for handlers),
 * kernel/cluster-worker.c and kernel/rth.c (and the listener set-up by
 * kernel/server.c and kernel/cluster.c); runs on the kernel's libuv loop.
 * Knows nothing of what the messages mean.
 */
#ifndef GL_CONN_H
#define GL_CONN_H

#include <msgpack.h>
#include <stdbool.h>
#include <stddef.h>
#include <uv.h>

#include "core/rpc.h"

struct conn;
struct gl_err;
struct seal;

/* Why a conn stopped serving; see conn_cbs.on_end. */
enum conn_end {
	CONN_EOF,		/* the peer closed its end; reading stopped */
	CONN_READ_ERROR,	/* reading failed; reading stopped */
	CONN_PROTOCOL,		/* a frame the reader refused, a sealed
				 * record that did not open, or a stream
				 * that ended inside one; reading stopped */
	CONN_WRITE_ERROR,	/* a write failed; what it held is dropped */
	CONN_FULL,		/* more than queue_max bytes would be queued:
				 * the peer is not reading; what was to be
				 * sent is dropped */
	CONN_DEADLINE,		/* conn_set_deadline()'s time passed; the
				 * conn carries on unless the owner acts */
};

struct conn_cbs {
	/* One whole message, borrowed for the call: the callee may keep it
	 * (copy *m and set m->up.zone to NULL). Not called once the conn is
	 * closing or its reading stopped (conn_read_stop()). */
	void	(*on_msg)(void *ctx, struct rpc_msg *m);
	/* A message over its method's limit (conn_set_limit()) was dropped
	 * undecoded: m holds its type, id and method only, why names the
	 * limit; the stream goes on. NULL: treated as CONN_PROTOCOL. */
	void	(*on_over_limit)(void *ctx, const struct rpc_msg *m,
		    const char *why);
	/* After each read callback (data, end of stream or error), once its
	 * messages were handled; NULL for none. */
	void	(*on_read)(void *ctx);
	/* Something ended the conversation (see enum conn_end). msg says
	 * what for logs (uv_strerror, the reader's error), or NULL; queued
	 * is, for CONN_FULL, the bytes that would have been queued. The
	 * owner decides: usually conn_close(). Not called for a conn that
	 * is closing. */
	void	(*on_end)(void *ctx, enum conn_end why, const char *msg,
		    size_t queued);
	/* The handle is closed; the conn is freed when this returns. */
	void	(*on_closed)(void *ctx);
	/* held: more than queue_high bytes are queued for the peer; then,
	 * once they drained to queue_low or fewer, !held. Called from
	 * within a send (held) or a write's completion (!held); never for
	 * a closing conn. NULL for none. */
	void	(*on_flow)(void *ctx, bool held);
};

struct conn_opts {
	size_t	 frame_max;	/* largest message read (conn_set_frame_max) */
	size_t	 queue_max;	/* bytes libuv may hold before CONN_FULL;
				 * 0 = no bound */
	size_t	 queue_high;	/* on_flow(held) above this; 0 = never */
	size_t	 queue_low;	/* on_flow(!held) at this or below */
	size_t	 keep;		/* staging capacity kept between flushes;
				 * a larger buffer is freed */
	unsigned linger_ms;	/* how long conn_refuse() reads what a peer
				 * still sends before closing; 0 = 2 s */
	char	*rbuf;		/* borrowed: the read buffer, may be shared
				 * by every conn of one loop (reads do not
				 * nest; the reader copies); NULL: reads go
				 * straight into the reader, rbuflen bytes
				 * at least (no copy; for a conn that is
				 * never sealed) */
	size_t	 rbuflen;
};

/* Accepts a connection on listener l (a Unix socket or TCP listener; TCP
 * gets TCP_NODELAY). The conn does not read until conn_start(). NULL if
 * the accept failed (nothing to clean up). */
struct conn *conn_accept(uv_stream_t *l, const struct conn_opts *o,
	     const struct conn_cbs *cbs, void *ctx);
/* A pipe for a child's stdio: pass conn_stream() to uv_spawn(), then
 * conn_start() once the child runs (or conn_close() if it did not). */
struct conn *conn_pipe_new(uv_loop_t *loop, const struct conn_opts *o,
	     const struct conn_cbs *cbs, void *ctx);
/* Starts reading. */
void	 conn_start(struct conn *c);
/* Stops reading for good: no more on_msg. */
void	 conn_read_stop(struct conn *c);
/* With pause, reads nothing more from the stream until called again
 * without: the messages of what was read already are still delivered,
 * so none waits in the reader while the stream is paused. */
void	 conn_pause(struct conn *c, bool pause);
/* Changes the frame limit (an authenticated peer gets a larger one). */
void	 conn_set_frame_max(struct conn *c, size_t max);
/* Bounds what each message may decode to, by method (core/rpc.h); NULL
 * for none. Messages over it go to on_over_limit. */
void	 conn_set_limit(struct conn *c, rpc_limit_fn fn, void *ctx);
/* From now on, what c sends is sealed with s and what it reads must be
 * sealed records; bytes already read past the message being handled are
 * opened too. Takes s. Called from on_msg (the handshake's last message)
 * or before reading starts. */
void	 conn_seal(struct conn *c, struct seal *s);
/* Reports CONN_DEADLINE to on_end if ms pass first; 0 cancels. */
void	 conn_set_deadline(struct conn *c, unsigned ms);
/* The stream, for uv_spawn's stdio and uv_fileno; borrowed. */
uv_stream_t *conn_stream(struct conn *c);
/* A TCP peer's address ("127.0.0.1") and port; "?" and 0 if unknown. */
void	 conn_peer(struct conn *c, char *name, size_t len, unsigned *port);

/* The staging writer: pack whole messages into it (rpc_begin_*, then
 * one value), then conn_flush(). Borrowed. */
struct rpc_writer *conn_writer(struct conn *c);
/* Sends what is staged. No-op when nothing is, or the conn is closing
 * (what is staged is dropped), or it is corked. May call on_end
 * (CONN_WRITE_ERROR, CONN_FULL). */
void	 conn_flush(struct conn *c);
/* Corked, what is sent is staged (up to CONN_CORK_MAX bytes, then
 * written) and goes out together when uncorked: many small messages
 * made in one callback cost one write. The corker uncorks before it
 * returns to the loop. Uncorking flushes (and may call on_end). */
#define CONN_CORK_MAX	(64u << 10)
void	 conn_cork(struct conn *c, bool corked);
/* Sends n bytes of whole messages after what is staged; copied if they
 * cannot all be written at once. No-op for a closing conn. */
void	 conn_send(struct conn *c, const void *p, size_t n);
/* Sends p[0..n) then q[0..m): whole messages cut in two (a head packed
 * by the caller, then a value passed on as it came), as conn_send() would
 * send them joined, without joining them first. */
void	 conn_send2(struct conn *c, const void *p, size_t n, const void *q,
	     size_t m);
/* Bytes libuv holds for the peer. */
size_t	 conn_queued(const struct conn *c);
/* True from on_flow(held) until on_flow(!held). */
bool	 conn_held(const struct conn *c);
bool	 conn_closing(const struct conn *c);

/* Stops reading and closes c; graceful lets what is queued reach the peer
 * first (shutdown, then close). A second, non-graceful call closes at
 * once. on_closed follows on the loop. */
void	 conn_close(struct conn *c, bool graceful);
/* Closes c after a refusal staged or sent just before: no more on_msg or
 * on_end; the refusal is flushed and our side shut down (the peer reads
 * it, then the end of the stream). With linger, what the peer still sends
 * is read and dropped until it closes, so that it is not reset while it
 * reads; without, c closes as soon as it is shut down (a peer refused
 * before it spoke). Either way c is closed conn_opts.linger_ms after the
 * call at the latest. A later conn_close(c, false) closes at once. */
void	 conn_refuse(struct conn *c, bool linger);

/* Binds and listens on spec ("HOST:PORT", "[::1]:0"; what names it in
 * messages: "--listen", "cluster.listen") with t already uv_tcp_init()ed;
 * on success writes the address actually bound ("127.0.0.1:40123") into
 * addr. On failure the caller closes t. */
int	 conn_tcp_listen(uv_tcp_t *t, const char *what, const char *spec,
	     uv_connection_cb cb, char *addr, size_t addrlen,
	     struct gl_err *err);

#endif

/*
 * conn.c - msgpack-RPC over a libuv stream (kernel/conn.h).
 *
 * Output. Messages are packed into the staging writer (or given whole to
 * conn_send()) and handed to the stream at once: uv_try_write first, and
 * what it did not take is copied into a write request. queued counts the
 * bytes of write requests libuv holds; while it is not 0 no try_write is
 * made (it would overtake them). The hard bound is checked before
 * anything of a flush is written, so a flush goes whole or not at all;
 * the watermarks are checked after a write request was queued (held) and
 * after one completed (no longer held).
 *
 * Sealing. Once conn_seal() is called, output is wrapped into records at
 * the last moment (conn_put(), after the queue bound was checked on the
 * sealed size, so a record is never made and then dropped: the peer's
 * count of records must stay in step with ours), and input goes through
 * the seal's reader before the RPC reader. The switch happens between
 * two messages: whatever the RPC reader holds past the handshake's last
 * message moves to the seal.
 *
 * Closing. A graceful close with bytes queued shuts the stream down first
 * (libuv finishes the writes) and closes it in the shutdown callback; any
 * other close is at once (pending writes end with UV_ECANCELED, before the
 * close callback). A refusal (conn_refuse()) always shuts down first and
 * may linger, reading and dropping, until the peer's end of stream: a TCP
 * socket closed with unread input answers with a reset, which makes a
 * peer still sending fail before it reads why it was refused. Each conn
 * has two handles, the stream and a timer (the deadline, then the
 * linger); the struct is freed once both are closed, after on_closed.
 */
#include "kernel/conn.h"

#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "core/err.h"
#include "core/mem.h"
#include "core/rpc.h"
#include "core/seal.h"
#include "core/util.h"

#define CONN_LINGER_MS	2000
#define CONN_KEEPALIVE_S 60	/* idle seconds before TCP keepalive probes */

struct conn {
	union {
		uv_handle_t	 handle;
		uv_stream_t	 stream;
		uv_pipe_t	 pipe;
		uv_tcp_t	 tcp;
	} u;
	struct conn_cbs	 cbs;
	void		*ctx;
	struct conn_opts o;
	struct rpc_reader *rd;		/* owned */
	struct rpc_writer out;		/* staged, not yet handed to libuv */
	size_t		 queued;	/* bytes libuv holds for us */
	bool		 reading;
	bool		 corked;	/* conn_cork() */
	bool		 paused;	/* conn_pause(): the stream is not read */
	bool		 held;		/* over queue_high, not yet at queue_low */
	bool		 closing;	/* no more input or output */
	bool		 shutting;	/* uv_shutdown under way */
	uv_shutdown_t	 sreq;
	struct seal	*seal;		/* owned, or NULL: plaintext */
	struct gl_buf	 sealed;	/* records on their way out */
	uv_timer_t	 timer;		/* the deadline, then the linger */
	int		 handles;	/* open: the stream, the timer */
	bool		 eof;		/* the peer ended its stream */
	bool		 linger;	/* conn_refuse(): reads are dropped
					 * until the peer's end */
	bool		 shut;		/* ... and our side is shut down */
};

struct conn_wreq {
	uv_write_t	 req;
	struct conn	*c;		/* borrowed */
	size_t		 len;
	char		 data[];
};

static struct conn *conn_alloc(uv_loop_t *loop, const struct conn_opts *o,
		     const struct conn_cbs *cbs, void *ctx);
static void	 conn_put(struct conn *c, const char *p, size_t len);
static void	 conn_write(struct conn *c, uv_buf_t *b, unsigned nb);
static bool	 conn_fits(struct conn *c, size_t wire);
static void	 conn_deliver(struct conn *c);
static int	 conn_unseal(struct conn *c);
static void	 conn_close_handles(struct conn *c);
static void	 conn_end_report(struct conn *c, enum conn_end why,
		     const char *msg, size_t queued);
static void	 conn_on_alloc(uv_handle_t *h, size_t size, uv_buf_t *buf);
static void	 conn_on_read(uv_stream_t *st, ssize_t nread,
		     const uv_buf_t *buf);
static void	 conn_on_write(uv_write_t *req, int status);
static void	 conn_on_shutdown(uv_shutdown_t *req, int status);
static void	 conn_on_deadline(uv_timer_t *t);
static void	 conn_on_refused(uv_shutdown_t *req, int status);
static void	 conn_on_linger_read(uv_stream_t *st, ssize_t nread,
		     const uv_buf_t *buf);
static void	 conn_on_linger_end(uv_timer_t *t);
static void	 conn_on_close(uv_handle_t *h);

struct conn *
conn_accept(uv_stream_t *l, const struct conn_opts *o,
    const struct conn_cbs *cbs, void *ctx)
{
	struct conn	*c = conn_alloc(l->loop, o, cbs, ctx);
	bool		 tcp = l->type == UV_TCP;

	if (tcp)
		uv_tcp_init(l->loop, &c->u.tcp);
	else
		uv_pipe_init(l->loop, &c->u.pipe, 0);
	c->u.handle.data = c;
	if (uv_accept(l, &c->u.stream) != 0) {
		c->cbs.on_closed = NULL;	/* the owner never had it */
		c->closing = true;
		conn_close_handles(c);
		return NULL;
	}
	if (tcp) {
		uv_tcp_nodelay(&c->u.tcp, 1);
		/* A peer whose machine went away is found by its socket. */
		uv_tcp_keepalive(&c->u.tcp, 1, CONN_KEEPALIVE_S);
	}
	return c;
}

struct conn *
conn_pipe_new(uv_loop_t *loop, const struct conn_opts *o,
    const struct conn_cbs *cbs, void *ctx)
{
	struct conn *c = conn_alloc(loop, o, cbs, ctx);

	uv_pipe_init(loop, &c->u.pipe, 0);
	c->u.handle.data = c;
	return c;
}

void
conn_start(struct conn *c)
{
	if (c->closing || c->reading)
		return;
	c->reading = true;
	if (!c->paused)
		uv_read_start(&c->u.stream, conn_on_alloc, conn_on_read);
}

void
conn_read_stop(struct conn *c)
{
	if (!c->reading)
		return;
	c->reading = false;
	if (!c->paused)
		uv_read_stop(&c->u.stream);
}

void
conn_pause(struct conn *c, bool pause)
{
	if (c->paused == pause)
		return;
	c->paused = pause;
	if (!c->reading || c->closing)
		return;
	/* Inside a read callback this stops the next reads only: the
	 * messages already read are delivered (conn_deliver looks at
	 * reading, not paused). */
	if (pause)
		uv_read_stop(&c->u.stream);
	else
		uv_read_start(&c->u.stream, conn_on_alloc, conn_on_read);
}

void
conn_set_frame_max(struct conn *c, size_t max)
{
	rpc_reader_set_max(c->rd, max);
}

void
conn_set_limit(struct conn *c, rpc_limit_fn fn, void *ctx)
{
	rpc_reader_set_limit(c->rd, fn, ctx);
}

void
conn_seal(struct conn *c, struct seal *s)
{
	const void	*rest;
	size_t		 n;

	seal_free(c->seal);
	c->seal = s;
	rest = rpc_reader_rest(c->rd, &n);
	seal_feed(s, rest, n);
	rpc_reader_clear(c->rd);
}

void
conn_set_deadline(struct conn *c, unsigned ms)
{
	if (c->closing)
		return;
	if (ms == 0)
		uv_timer_stop(&c->timer);
	else
		uv_timer_start(&c->timer, conn_on_deadline, ms, 0);
}

uv_stream_t *
conn_stream(struct conn *c)
{
	return &c->u.stream;
}

void
conn_peer(struct conn *c, char *name, size_t len, unsigned *port)
{
	struct sockaddr_storage	 ss;
	int			 sslen = sizeof ss;

	snprintf(name, len, "?");
	*port = 0;
	if (c->u.handle.type != UV_TCP || uv_tcp_getpeername(&c->u.tcp,
	    (struct sockaddr *)&ss, &sslen) != 0)
		return;
	if (ss.ss_family == AF_INET6) {
		uv_ip6_name((struct sockaddr_in6 *)&ss, name, len);
		*port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	} else {
		uv_ip4_name((struct sockaddr_in *)&ss, name, len);
		*port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	}
}

struct rpc_writer *
conn_writer(struct conn *c)
{
	return &c->out;
}

void
conn_flush(struct conn *c)
{
	size_t len = c->out.sbuf.size;

	if (len == 0 || (c->corked && len < CONN_CORK_MAX && !c->closing))
		return;
	if (!c->closing)
		conn_put(c, c->out.sbuf.data, len);
	if (c->out.sbuf.alloc > c->o.keep) {
		rpc_writer_fini(&c->out);
		rpc_writer_init(&c->out);
	} else
		rpc_writer_reset(&c->out);
}

void
conn_cork(struct conn *c, bool corked)
{
	c->corked = corked;
	if (!corked)
		conn_flush(c);
}

void
conn_send(struct conn *c, const void *p, size_t n)
{
	if (c->closing || n == 0)
		return;
	if (c->corked && c->out.sbuf.size + n >= CONN_CORK_MAX) {
		/* Too big to stage: what is staged, then this, uncopied. */
		c->corked = false;
		conn_flush(c);
		c->corked = true;
	}
	if (c->out.sbuf.size == 0 && !(c->corked && n < CONN_CORK_MAX)) {
		conn_put(c, p, n);	/* nothing staged: no copy */
		return;
	}
	msgpack_sbuffer_write(&c->out.sbuf, p, n);
	conn_flush(c);
}

void
conn_send2(struct conn *c, const void *p, size_t n, const void *q, size_t m)
{
	uv_buf_t b[2] = { uv_buf_init((char *)p, (unsigned)n),
	    uv_buf_init((char *)q, (unsigned)m) };

	if (c->closing || n + m == 0)
		return;
	if (c->corked && c->out.sbuf.size + n + m >= CONN_CORK_MAX) {
		c->corked = false;
		conn_flush(c);
		c->corked = true;
	}
	if (c->out.sbuf.size > 0 || c->seal != NULL ||
	    (c->corked && n + m < CONN_CORK_MAX)) {
		/* Joined in the staging buffer: sealing needs one. */
		msgpack_sbuffer_write(&c->out.sbuf, p, n);
		msgpack_sbuffer_write(&c->out.sbuf, q, m);
		conn_flush(c);
		return;
	}
	if (conn_fits(c, n + m))
		conn_write(c, b, 2);
}

size_t
conn_queued(const struct conn *c)
{
	return c->queued;
}

bool
conn_held(const struct conn *c)
{
	return c->held;
}

bool
conn_closing(const struct conn *c)
{
	return c->closing;
}

void
conn_close(struct conn *c, bool graceful)
{
	if (uv_is_closing(&c->u.handle))
		return;
	if (c->closing && c->shutting && graceful)
		return;
	if (graceful && !c->closing) {
		c->corked = false;	/* what is staged goes first */
		conn_flush(c);
		if (uv_is_closing(&c->u.handle))
			return;		/* on_end closed it */
	}
	conn_read_stop(c);
	c->closing = true;
	if (graceful && !c->shutting && c->queued > 0) {
		c->shutting = true;
		if (uv_shutdown(&c->sreq, &c->u.stream,
		    conn_on_shutdown) == 0)
			return;
	}
	conn_close_handles(c);
}

void
conn_refuse(struct conn *c, bool linger)
{
	if (c->closing)
		return;
	c->corked = false;
	conn_flush(c);
	conn_read_stop(c);
	c->closing = true;
	c->linger = linger;
	/* However the peer behaves (a full window holds the shutdown back),
	 * the conn is gone by then. */
	uv_timer_start(&c->timer, conn_on_linger_end, c->o.linger_ms, 0);
	if (linger && !c->eof)
		uv_read_start(&c->u.stream, conn_on_alloc,
		    conn_on_linger_read);
	c->shutting = true;
	if (uv_shutdown(&c->sreq, &c->u.stream, conn_on_refused) != 0)
		conn_close_handles(c);
}

int
conn_tcp_listen(uv_tcp_t *t, const char *what, const char *spec,
    uv_connection_cb cb, char *addr, size_t addrlen, struct gl_err *err)
{
	struct addrinfo		 hints, *res = NULL;
	struct sockaddr_storage	 ss;
	char			*host, *port, name[INET6_ADDRSTRLEN];
	int			 rc, len = sizeof ss;

	if ((rc = gl_hostport_split(spec, &host, &port, err)) != 0)
		return gl_err_prefix(err, "%s", what);
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	rc = getaddrinfo(host, port, &hints, &res);
	free(host);
	free(port);
	if (rc != 0)
		return gl_err_set(err, GL_EINVAL, "%s %s: %s", what, spec,
		    gai_strerror(rc));
	rc = uv_tcp_bind(t, res->ai_addr, 0);
	freeaddrinfo(res);
	if (rc != 0 || (rc = uv_listen((uv_stream_t *)t, 128, cb)) != 0)
		return gl_err_set(err, rc == UV_EADDRINUSE ? GL_EBUSY : GL_EIO,
		    "%s: cannot listen on %s: %s", what, spec, uv_strerror(rc));
	uv_tcp_getsockname(t, (struct sockaddr *)&ss, &len);
	if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;

		uv_ip6_name(a6, name, sizeof name);
		snprintf(addr, addrlen, "[%s]:%u", name,
		    (unsigned)ntohs(a6->sin6_port));
	} else {
		struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;

		uv_ip4_name(a4, name, sizeof name);
		snprintf(addr, addrlen, "%s:%u", name,
		    (unsigned)ntohs(a4->sin_port));
	}
	return 0;
}

static struct conn *
conn_alloc(uv_loop_t *loop, const struct conn_opts *o,
    const struct conn_cbs *cbs, void *ctx)
{
	struct conn *c = xcalloc(1, sizeof *c);

	c->o = *o;
	if (c->o.linger_ms == 0)
		c->o.linger_ms = CONN_LINGER_MS;
	c->cbs = *cbs;
	c->ctx = ctx;
	c->rd = rpc_reader_new(o->frame_max);
	rpc_writer_init(&c->out);
	gl_buf_init(&c->sealed);
	uv_timer_init(loop, &c->timer);
	c->timer.data = c;
	c->handles = 2;
	return c;
}

/* Writes len bytes at p (which may be the staging buffer): the bound
 * first (on what goes on the wire), then, sealed if c is, at once what
 * the stream takes, a copy of the rest. */
static void
conn_put(struct conn *c, const char *p, size_t len)
{
	size_t	 wire = c->seal != NULL ? seal_wrapped_len(len) : len;
	uv_buf_t b;

	if (!conn_fits(c, wire))
		return;
	if (c->seal == NULL) {
		b = uv_buf_init((char *)p, (unsigned)len);
		conn_write(c, &b, 1);
		return;
	}
	gl_buf_reset(&c->sealed);
	seal_wrap(c->seal, p, len, &c->sealed);
	b = uv_buf_init(c->sealed.data, (unsigned)c->sealed.len);
	conn_write(c, &b, 1);
	if (c->sealed.cap > c->o.keep)
		gl_buf_fini(&c->sealed);
}

/* The hard bound (queue_max): false, what is staged dropped and
 * CONN_FULL reported, if wire more bytes would pass it. */
static bool
conn_fits(struct conn *c, size_t wire)
{
	if (c->o.queue_max == 0 || c->queued + wire <= c->o.queue_max)
		return true;
	rpc_writer_reset(&c->out);
	conn_end_report(c, CONN_FULL, NULL, c->queued + wire);
	return false;
}

/* Hands the bytes of b[0..nb) to the stream: at once what it takes, a
 * copy of the rest in one write request. */
static void
conn_write(struct conn *c, uv_buf_t *b, unsigned nb)
{
	struct conn_wreq	*w;
	uv_buf_t		 one;
	size_t			 len = 0, off = 0, at = 0;
	int			 n;

	for (unsigned i = 0; i < nb; i++)
		len += b[i].len;
	if (c->queued == 0) {
		n = uv_try_write(&c->u.stream, b, nb);
		if (n > 0)
			off = (size_t)n;
		else if (n < 0 && n != UV_EAGAIN) {
			rpc_writer_reset(&c->out);
			conn_end_report(c, CONN_WRITE_ERROR, uv_strerror(n), 0);
			return;
		}
	}
	if (off == len)
		return;
	w = xmalloc(sizeof *w + (len - off));
	w->c = c;
	w->len = len - off;
	for (unsigned i = 0; i < nb; i++) {
		size_t skip = off > b[i].len ? b[i].len : off;

		off -= skip;
		memcpy(w->data + at, b[i].base + skip, b[i].len - skip);
		at += b[i].len - skip;
	}
	one = uv_buf_init(w->data, (unsigned)w->len);
	if ((n = uv_write(&w->req, &c->u.stream, &one, 1,
	    conn_on_write)) != 0) {
		free(w);
		rpc_writer_reset(&c->out);
		conn_end_report(c, CONN_WRITE_ERROR, uv_strerror(n), 0);
		return;
	}
	c->queued += w->len;
	if (!c->held && c->o.queue_high > 0 && c->queued > c->o.queue_high) {
		c->held = true;
		if (!c->closing && c->cbs.on_flow != NULL)
			c->cbs.on_flow(c->ctx, true);
	}
}

static void
conn_end_report(struct conn *c, enum conn_end why, const char *msg,
    size_t queued)
{
	if (!c->closing && c->cbs.on_end != NULL)
		c->cbs.on_end(c->ctx, why, msg, queued);
}

static void
conn_on_alloc(uv_handle_t *h, size_t size, uv_buf_t *buf)
{
	struct conn	*c = h->data;
	size_t		 room;
	char		*p;

	(void)size;
	if (c->o.rbuf == NULL) {
		/* conn_on_read commits what was read (or nothing). */
		p = rpc_reader_space(c->rd, c->o.rbuflen, &room);
		*buf = uv_buf_init(p, (unsigned)(room > UINT32_MAX ?
		    UINT32_MAX : room));
		return;
	}
	*buf = uv_buf_init(c->o.rbuf, (unsigned)c->o.rbuflen);
}

static void
conn_on_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf)
{
	struct conn	*c = st->data;

	if (nread == 0 || (nread > 0 && (c->closing || !c->reading)))
		return;
	if (nread < 0) {
		conn_read_stop(c);
		c->eof = nread == UV_EOF;
		if (c->seal != NULL && seal_pending(c->seal) > 0 && c->eof)
			conn_end_report(c, CONN_PROTOCOL, "the connection "
			    "ended inside a sealed record (cut short)", 0);
		else
			conn_end_report(c, nread == UV_EOF ? CONN_EOF :
			    CONN_READ_ERROR, uv_strerror((int)nread), 0);
	} else {
		if (c->seal != NULL)
			seal_feed(c->seal, buf->base, (size_t)nread);
		else if (c->o.rbuf == NULL)
			rpc_reader_commit(c->rd, (size_t)nread);
		else
			rpc_reader_feed(c->rd, buf->base, (size_t)nread);
		conn_deliver(c);
	}
	if (c->cbs.on_read != NULL)
		c->cbs.on_read(c->ctx);
}

/* Hands every whole message read to on_msg (or on_over_limit), opening
 * sealed records on the way, until there are none or reading stopped. */
static void
conn_deliver(struct conn *c)
{
	struct rpc_msg	 m;
	struct gl_err	 e;
	int		 rc;

	while (c->reading && !c->closing) {
		if (c->seal != NULL && conn_unseal(c) != 0)
			break;
		gl_err_clear(&e);
		if ((rc = rpc_reader_next(c->rd, &m, &e)) == 0)
			break;
		if (rc == RPC_OVER_LIMIT && c->cbs.on_over_limit != NULL) {
			c->cbs.on_over_limit(c->ctx, &m, e.msg);
			rpc_msg_fini(&m);
			continue;
		}
		if (rc < 0 || rc == RPC_OVER_LIMIT) {
			if (rc == RPC_OVER_LIMIT)
				rpc_msg_fini(&m);
			conn_read_stop(c);
			conn_end_report(c, CONN_PROTOCOL, e.msg, 0);
			break;
		}
		c->cbs.on_msg(c->ctx, &m);
		rpc_msg_fini(&m);
	}
}

/* Opens the sealed records read so far into the RPC reader. 0, or -1
 * when one did not open (reported as CONN_PROTOCOL). */
static int
conn_unseal(struct conn *c)
{
	struct gl_err e;

	gl_err_clear(&e);
	if (seal_open_into(c->seal, c->rd, &e) == 0)
		return 0;
	conn_read_stop(c);
	conn_end_report(c, CONN_PROTOCOL, e.msg, 0);
	return -1;
}

static void
conn_on_write(uv_write_t *req, int status)
{
	struct conn_wreq	*w = (struct conn_wreq *)req;
	struct conn		*c = w->c;

	c->queued -= w->len;
	free(w);
	if (status < 0 && status != UV_ECANCELED) {
		conn_end_report(c, CONN_WRITE_ERROR, uv_strerror(status), 0);
		return;
	}
	if (c->held && c->queued <= c->o.queue_low) {
		c->held = false;
		if (!c->closing && c->cbs.on_flow != NULL)
			c->cbs.on_flow(c->ctx, false);
	}
}

static void
conn_on_shutdown(uv_shutdown_t *req, int status)
{
	struct conn *c = req->handle->data;

	(void)status;
	if (!uv_is_closing(&c->u.handle))
		conn_close_handles(c);
}

static void
conn_on_deadline(uv_timer_t *t)
{
	struct conn *c = t->data;

	conn_end_report(c, CONN_DEADLINE, NULL, 0);
}

/* A refusal went out and our side is shut down: close now, or linger
 * until the peer's end of stream (or the timer conn_refuse() set). */
static void
conn_on_refused(uv_shutdown_t *req, int status)
{
	struct conn *c = req->handle->data;

	if (uv_is_closing(&c->u.handle))
		return;
	c->shut = true;
	if (status < 0 || !c->linger || c->eof)
		conn_close_handles(c);
}

/* What a refused peer still sends is dropped; its end closes us. */
static void
conn_on_linger_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf)
{
	struct conn *c = st->data;

	(void)buf;
	if (nread >= 0)
		return;
	c->eof = true;
	uv_read_stop(st);
	if (c->shut)
		conn_close_handles(c);
}

static void
conn_on_linger_end(uv_timer_t *t)
{
	conn_close_handles(t->data);
}

/* Closes the stream and the timer; c is freed once both are closed. */
static void
conn_close_handles(struct conn *c)
{
	c->closing = true;
	uv_timer_stop(&c->timer);
	if (!uv_is_closing(&c->u.handle))
		uv_close(&c->u.handle, conn_on_close);
	if (!uv_is_closing((uv_handle_t *)&c->timer))
		uv_close((uv_handle_t *)&c->timer, conn_on_close);
}

static void
conn_on_close(uv_handle_t *h)
{
	struct conn *c = h->data;

	if (--c->handles > 0)
		return;
	if (c->cbs.on_closed != NULL)
		c->cbs.on_closed(c->ctx);
	rpc_reader_free(c->rd);
	rpc_writer_fini(&c->out);
	seal_free(c->seal);
	gl_buf_fini(&c->sealed);
	free(c);
}

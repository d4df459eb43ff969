/*
 * worker-net.c - the worker's connection to the kernel (worker_int.h):
 * the cluster secret, connecting, the handshake, reading frames into the
 * inbox, and writing frames.
 *
 * - The handshake: the kernel's auth.challenge {nonce}; we answer
 *   worker.hello {hmac, nonce, name, host, pid, slots, version} and the
 *   kernel proves it holds the secret too, answering {worker, hmac}: both
 *   proofs cover both nonces and say who makes them (core/auth.h). The
 *   answer and everything after it are sealed records (core/seal.h) keyed
 *   from the secret and both nonces, so a worker decodes nothing but what
 *   a kernel that knows the secret sealed for this connection.
 *
 * - Reading: only the main thread reads the socket (in its loop, or in
 *   the task hook, which runs on it). What it reads is decoded into
 *   whole messages queued in the inbox, in order; the main loop serves
 *   them between tasks, and the hook looks there for a cancel of the
 *   running task.
 *
 * - Writing: both threads write whole frames under one mutex (wlock), so
 *   frames never interleave, and seal them under it, so records leave in
 *   the order of their numbers.
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/auth.h"
#include "core/err.h"
#include "core/mem.h"
#include "core/rpc.h"
#include "core/seal.h"
#include "core/util.h"
#include "lua/worker_int.h"

static int	 wk_recv_one(struct wk *w, struct rpc_msg *m, int64_t deadline,
		     struct gl_err *err);
static bool	 wk_feed(struct wk *w, const char *buf, size_t n);
static bool	 wk_deliver(struct wk *w);

/* The secret: a file (0600, 64 hex digits) or the first line of stdin. */
int
wk_read_secret(const char *path, char out[AUTH_TOKEN_LEN + 1],
    struct gl_err *err)
{
	char	 line[AUTH_TOKEN_LEN + 4];
	size_t	 n = 0;
	ssize_t	 k;
	char	 c;

	if (path == NULL)
		return gl_err_set(err, GL_EINVAL, "--secret-file is required");
	if (strcmp(path, "-") != 0) {
		if (auth_token_load(path, out, err) != 0)
			return gl_err_prefix(err, "cluster secret");
		return 0;
	}
	/* Byte by byte: what follows the line stays unread (stdin is then
	 * only watched for its end). */
	for (;;) {
		k = read(0, &c, 1);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0 || c == '\n')
			break;
		if (c == '\r' || c == ' ' || c == '\t')
			continue;
		if (n >= AUTH_TOKEN_LEN + 1)
			return gl_err_set(err, GL_ESYNTAX, "cluster secret on "
			    "stdin: longer than %d hex digits",
			    AUTH_TOKEN_LEN);
		line[n++] = c;
	}
	if (n != AUTH_TOKEN_LEN || strspn(line, "0123456789abcdefABCDEF") <
	    AUTH_TOKEN_LEN)
		return gl_err_set(err, GL_ESYNTAX, "cluster secret on stdin: "
		    "expected %d hex digits on the first line",
		    AUTH_TOKEN_LEN);
	memcpy(out, line, AUTH_TOKEN_LEN);
	out[AUTH_TOKEN_LEN] = '\0';
	return 0;
}

int
wk_connect(struct wk *w, const char *addr, char *host, size_t hostlen,
    struct gl_err *err)
{
	struct addrinfo	 hints, *res = NULL, *ai;
	char		*h, *port;
	int		 fd = -1, one = 1, rc, e = 0;

	if (addr == NULL)
		return gl_err_set(err, GL_EINVAL, "--connect is required");
	if ((rc = gl_hostport_split(addr, &h, &port, err)) != 0) {
		gl_err_prefix(err, "--connect");
		return rc;
	}
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	rc = getaddrinfo(h, port, &hints, &res);
	free(h);
	free(port);
	if (rc != 0)
		return gl_err_set(err, GL_EINVAL, "--connect %s: %s", addr,
		    gai_strerror(rc));
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			continue;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		e = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0)
		return gl_err_set(err, GL_ECLOSED, "cannot connect to the "
		    "kernel at %s: %s", addr, strerror(e != 0 ? e : EINVAL));
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	w->fd = fd;
	if (gethostname(host, hostlen) != 0 || host[0] == '\0')
		snprintf(host, hostlen, "localhost");
	host[hostlen - 1] = '\0';
	return 0;
}

/*
 * auth.challenge {nonce, version} from the kernel; we answer worker.hello
 * {hmac, nonce, name, host, pid, slots, version} with our proof over both
 * nonces, and from then on speak in sealed records; the kernel's answer
 * {worker, hmac} is its first record and carries its own proof: a worker
 * runs functions only from a kernel that knows the secret.
 */
int
wk_handshake(struct wk *w, const char *secret, struct gl_err *err)
{
	unsigned char		 mac[AUTH_MAC_LEN], mine[AUTH_NONCE_LEN];
	unsigned char		 theirs[AUTH_NONCE_LEN];
	const msgpack_object	*o;
	const char		*why;
	struct rpc_msg		 m;
	struct gl_err		 e;
	int64_t			 deadline = gl_now_us() +
				    (int64_t)WK_HELLO_MS * 1000, version;
	size_t			 len = 0;
	int			 rc;

	for (;;) {
		if ((rc = wk_recv_one(w, &m, deadline, err)) < 0)
			return rc;
		if (m.type == RPC_NOTIFY &&
		    strcmp(m.method, "auth.challenge") == 0)
			break;
		if (m.type == RPC_NOTIFY &&
		    strcmp(m.method, "kernel.refused") == 0) {
			why = rpc_map_str(m.args, "message", &len);
			rc = gl_err_set(err, GL_ECLOSED, "refused by the "
			    "kernel at %s: %.*s", w->addr, why != NULL ?
			    (int)len : 0, why != NULL ? why : "");
			rpc_msg_fini(&m);
			return rc;
		}
		rpc_msg_fini(&m);
	}
	o = rpc_map_get(m.args, "nonce");
	version = rpc_map_int(m.args, "version", 0);
	if (o == NULL || o->type != MSGPACK_OBJECT_BIN ||
	    o->via.bin.size != AUTH_NONCE_LEN) {
		rpc_msg_fini(&m);
		return gl_err_set(err, GL_EPROTO, "%s: a challenge without a "
		    "nonce: not a galley cluster listener?", w->addr);
	}
	if (version != AUTH_VERSION) {
		rpc_msg_fini(&m);
		return gl_err_set(err, GL_EPROTO, "the kernel at %s speaks "
		    "auth version %lld, this worker %d: use the same galley "
		    "on both sides", w->addr, (long long)version,
		    AUTH_VERSION);
	}
	memcpy(theirs, o->via.bin.ptr, AUTH_NONCE_LEN);
	rpc_msg_fini(&m);
	auth_nonce(mine);
	auth_proof(secret, "worker", AUTH_BY_PEER, theirs, mine, mac);
	rpc_begin_request(&w->w, 1, "worker.hello");
	msgpack_pack_map(&w->w.pk, 7);
	rpc_pack_key(&w->w.pk, "hmac");
	msgpack_pack_bin(&w->w.pk, AUTH_MAC_LEN);
	msgpack_pack_bin_body(&w->w.pk, mac, AUTH_MAC_LEN);
	rpc_pack_key(&w->w.pk, "nonce");
	msgpack_pack_bin(&w->w.pk, AUTH_NONCE_LEN);
	msgpack_pack_bin_body(&w->w.pk, mine, AUTH_NONCE_LEN);
	rpc_pack_kv_str(&w->w.pk, "name", w->name);
	rpc_pack_kv_str(&w->w.pk, "host", w->host);
	rpc_pack_kv_int(&w->w.pk, "pid", (int64_t)getpid());
	rpc_pack_kv_int(&w->w.pk, "slots", 1);
	rpc_pack_kv_str(&w->w.pk, "version", GALLEY_VERSION);
	wk_send(w);
	/* Everything after the hello is sealed, both ways. */
	w->seal = seal_new(secret, "worker", theirs, mine, SEAL_PEER);
	w->answer = true;
	for (;;) {
		if ((rc = wk_recv_one(w, &m, deadline, err)) < 0)
			return rc;
		if (m.type == RPC_RESPONSE && m.id == 1)
			break;
		rpc_msg_fini(&m);
	}
	gl_err_clear(&e);
	if ((rc = rpc_msg_error(&m, &e)) != 0) {
		rpc_msg_fini(&m);
		if (rc == GL_EAUTH)
			return gl_err_set(err, GL_EAUTH, "refused by the "
			    "kernel at %s: %s (is --secret-file the kernel's "
			    "cluster.secret?)", w->addr, e.msg);
		return gl_err_set(err, rc, "refused by the kernel at %s: %s",
		    w->addr, e.msg);
	}
	o = rpc_map_get(m.result, "hmac");
	if (w->seal == NULL || o == NULL || o->type != MSGPACK_OBJECT_BIN ||
	    o->via.bin.size != AUTH_MAC_LEN ||
	    !auth_proof_check(secret, "worker", AUTH_BY_KERNEL, theirs, mine,
	    (const unsigned char *)o->via.bin.ptr)) {
		rpc_msg_fini(&m);
		return gl_err_set(err, GL_EAUTH, "the kernel at %s did not "
		    "prove it holds the cluster secret; not running its "
		    "tasks", w->addr);
	}
	rpc_msg_fini(&m);
	return 0;
}

/*
 * Reads what the kernel sent, waiting up to timeout_ms (0: not at all)
 * for something; queues it in the inbox. False at the end of the stream
 * (w->eof set). Main thread only.
 */
bool
wk_input(struct wk *w, int timeout_ms)
{
	struct pollfd	 pfd = { .fd = w->fd, .events = POLLIN };
	char		 buf[65536];
	ssize_t		 n;
	bool		 any = false;

	w->last_input_us = gl_now_us();
	/* The handshake may have read more than its own answer. */
	if (!wk_deliver(w))
		return false;
	if (w->nin > 0)
		timeout_ms = 0;
	for (;;) {
		pfd.revents = 0;
		if (poll(&pfd, 1, any ? 0 : timeout_ms) <= 0)
			break;		/* nothing, a timeout, or a signal */
		n = read(w->fd, buf, sizeof buf);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			break;
		if (n <= 0) {
			w->eof = true;
			if (w->why[0] == '\0')
				snprintf(w->why, sizeof w->why, "the kernel "
				    "closed the connection%s%s",
				    n < 0 ? ": " : "",
				    n < 0 ? strerror(errno) : "");
			break;
		}
		if (!wk_feed(w, buf, (size_t)n))
			break;
		any = true;
		if ((size_t)n < sizeof buf)
			break;
	}
	WK_STORE(w->watch, 1);
	return wk_deliver(w) && !w->eof;
}

bool
wk_inbox_pop(struct wk *w, struct rpc_msg *m)
{
	if (w->nin == 0)
		return false;
	*m = w->inbox[w->ihead];
	w->ihead = (w->ihead + 1) % w->capin;
	w->nin--;
	return true;
}

/* True if a queued task.cancel names task. */
bool
wk_cancelled(const struct wk *w, uint64_t task)
{
	for (size_t k = 0; k < w->nin; k++) {
		const struct rpc_msg	*m = &w->inbox[(w->ihead + k) %
					    w->capin];
		const msgpack_object	*ids;

		if (m->type != RPC_NOTIFY ||
		    strcmp(m->method, "task.cancel") != 0 ||
		    (ids = rpc_map_get(m->args, "tasks")) == NULL ||
		    ids->type != MSGPACK_OBJECT_ARRAY)
			continue;
		for (uint32_t i = 0; i < ids->via.array.size; i++)
			if (ids->via.array.ptr[i].type ==
			    MSGPACK_OBJECT_POSITIVE_INTEGER &&
			    ids->via.array.ptr[i].via.u64 == task)
				return true;
	}
	return false;
}

/* Writes one or more whole messages, sealed once the handshake is done,
 * under wlock. */
void
wk_write(struct wk *w, const void *p, size_t n)
{
	const char	*q = p;
	ssize_t		 k;

	pthread_mutex_lock(&w->wlock);
	if (w->seal != NULL) {
		gl_buf_reset(&w->sealed);
		seal_wrap(w->seal, p, n, &w->sealed);
		q = w->sealed.data;
		n = w->sealed.len;
	}
	while (n > 0) {
		k = send(w->fd, q, n, MSG_NOSIGNAL);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;		/* the main thread sees the end */
		q += k;
		n -= (size_t)k;
	}
	if (w->sealed.cap > WK_FLUSH_BYTES * 4)
		gl_buf_fini(&w->sealed);
	pthread_mutex_unlock(&w->wlock);
}

/* Sends what the main thread's writer holds. */
void
wk_send(struct wk *w)
{
	if (w->w.sbuf.size > 0)
		wk_write(w, w->w.sbuf.data, w->w.sbuf.size);
	rpc_writer_reset(&w->w);
}

/* Reads one whole message from the socket (the handshake, before the
 * heartbeat thread runs). 1, or a GL_E* code. */
static int
wk_recv_one(struct wk *w, struct rpc_msg *m, int64_t deadline,
    struct gl_err *err)
{
	struct pollfd	 pfd = { .fd = w->fd, .events = POLLIN };
	char		 buf[4096];
	ssize_t		 n;
	int		 rc;

	for (;;) {
		if ((rc = rpc_reader_next(w->rd, m, err)) != 0)
			return rc;
		int64_t left = (deadline - gl_now_us()) / 1000;

		if (left <= 0)
			return gl_err_set(err, GL_ETIMEDOUT, "the kernel at %s "
			    "did not answer within %d s", w->addr,
			    WK_HELLO_MS / 1000);
		if (poll(&pfd, 1, (int)left) <= 0)
			continue;
		n = read(w->fd, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return gl_err_set(err, GL_ECLOSED, "the kernel at %s "
			    "closed the connection", w->addr);
		if (!wk_feed(w, buf, (size_t)n))
			return gl_err_set(err, GL_EPROTO, "%s", w->why);
	}
}

/* Feeds n bytes read to the RPC reader, opening sealed records first.
 * False when a record did not open (w->eof and w->why set). */
static bool
wk_feed(struct wk *w, const char *buf, size_t n)
{
	struct gl_err err;

	gl_err_clear(&err);
	if (seal_read(&w->seal, &w->answer, buf, n, w->rd, &err) == 0)
		return true;
	w->eof = true;
	snprintf(w->why, sizeof w->why, "the kernel at %s: %.200s", w->addr,
	    err.msg);
	return false;
}

/* Queues the whole messages in the reader. False when the stream is
 * broken (w->eof set). */
static bool
wk_deliver(struct wk *w)
{
	struct rpc_msg	 m;
	struct gl_err	 err;
	int		 rc;

	for (;;) {
		gl_err_clear(&err);
		if ((rc = rpc_reader_next(w->rd, &m, &err)) == 0)
			return true;
		if (rc < 0) {
			w->eof = true;
			snprintf(w->why, sizeof w->why, "bad message from the "
			    "kernel: %.200s", err.msg);
			return false;
		}
		if (w->nin == w->capin) {
			size_t		 cap = w->capin ? 2 * w->capin : 16;
			struct rpc_msg	*n = xmalloc(cap * sizeof *n);

			for (size_t i = 0; i < w->nin; i++)
				n[i] = w->inbox[(w->ihead + i) % w->capin];
			free(w->inbox);
			w->inbox = n;
			w->ihead = 0;
			w->capin = cap;
		}
		w->inbox[(w->ihead + w->nin++) % w->capin] = m;
	}
}

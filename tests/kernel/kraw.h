/*
 * kraw.h - a peer that misbehaves on purpose, for the tests of what the
 * kernel does with one: a raw socket (Unix or TCP) the test writes any
 * bytes to (garbage, a response where requests belong, a frame over the
 * limit, a request before the handshake, a wrong answer to the
 * challenge), and that keeps every message the kernel sends back until
 * it closes the connection. client/ will not do these things, which is
 * why they are here; anything a well-behaved client does goes through
 * kclient.h. After kraw_auth_response() it speaks sealed records as a
 * TCP client must (core/seal.h), and keeps the raw bytes it received
 * (wire) so a test can look at what an eavesdropper sees. Static inline,
 * like the other test headers.
 */
#ifndef GL_TEST_KRAW_H
#define GL_TEST_KRAW_H

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "core/seal.h"
#include "kclient.h"

struct kraw {
	int		 fd;
	struct rpc_reader *rd;		/* owned */
	uint32_t	 next_id;
	json_t		*notes;		/* [[method, params], ...] in order */
	json_t		*responses;	/* "id" -> [error, result] */
	bool		 eof;		/* the kernel closed the connection */
	int		 eof_errno;	/* 0: a clean end; ECONNRESET: reset */
	struct seal	*seal;		/* owned: after kraw_auth_response() */
	bool		 answer;	/* its answer not yet read */
	struct gl_buf	 wire;		/* every byte received */
};

static inline struct kraw *
kraw_new(int fd)
{
	struct kraw *r = xcalloc(1, sizeof *r);

	r->fd = fd;
	r->rd = rpc_reader_new((size_t)1 << 30);
	r->next_id = 1;
	r->notes = json_array();
	r->responses = json_object();
	gl_buf_init(&r->wire);
	return r;
}

static inline struct kraw *
kraw_connect_unix(const char *path)
{
	struct sockaddr_un	 sun;
	int			 fd;

	if (strlen(path) >= sizeof sun.sun_path)
		return NULL;
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return NULL;
	if (connect(fd, (struct sockaddr *)&sun, sizeof sun) != 0) {
		close(fd);
		return NULL;
	}
	return kraw_new(fd);
}

/* addr is host:port as the kernel's kernel.info "listen" gives it. */
static inline struct kraw *
kraw_connect_tcp(const char *addr)
{
	struct addrinfo	 hints, *res = NULL;
	char		*host = NULL, *port = NULL;
	int		 fd = -1, one = 1;

	if (gl_hostport_split(addr, &host, &port, NULL) != 0)
		return NULL;
	memset(&hints, 0, sizeof hints);
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	if (getaddrinfo(host, port, &hints, &res) != 0)
		goto out;
	if ((fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		goto out;
	if (connect(fd, res->ai_addr, res->ai_addrlen) != 0) {
		close(fd);
		fd = -1;
		goto out;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
out:
	if (res != NULL)
		freeaddrinfo(res);
	free(host);
	free(port);
	return fd >= 0 ? kraw_new(fd) : NULL;
}

static inline void
kraw_free(struct kraw *r)
{
	if (r == NULL)
		return;
	close(r->fd);
	rpc_reader_free(r->rd);
	json_decref(r->notes);
	json_decref(r->responses);
	seal_free(r->seal);
	gl_buf_fini(&r->wire);
	free(r);
}

/* Writes n bytes as they are. 0, or -1 if the kernel is gone. */
static inline int
kraw_send(struct kraw *r, const void *p, size_t n)
{
	const char *q = p;

	while (n > 0) {
		ssize_t w = send(r->fd, q, n, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		q += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Sends n bytes of messages, sealed once the handshake is done. 0, or
 * -1 if the kernel is gone. */
static inline int
kraw_send_msgs(struct kraw *r, const void *p, size_t n)
{
	struct gl_buf	 b;
	int		 rc;

	if (r->seal == NULL || r->answer)
		return kraw_send(r, p, n);
	gl_buf_init(&b);
	seal_wrap(r->seal, p, n, &b);
	rc = kraw_send(r, b.data, b.len);
	gl_buf_fini(&b);
	return rc;
}

/* Sends a well-formed request (args stolen; NULL = {}), as the peer's
 * next step may be wrong however its frames are; sealed once the
 * handshake is done. Returns its id. */
static inline uint32_t
kraw_request(struct kraw *r, const char *method, json_t *args)
{
	struct rpc_writer	 w;
	uint32_t		 id = r->next_id++;

	rpc_writer_init(&w);
	rpc_begin_request(&w, id, method);
	if (args != NULL)
		rpc_pack_json(&w.pk, args);
	else
		msgpack_pack_map(&w.pk, 0);
	(void)kraw_send_msgs(r, w.sbuf.data, w.sbuf.size);
	rpc_writer_fini(&w);
	json_decref(args);
	return id;
}

/* Reads what arrives until deadline (absolute, kc_now_ms()) or one
 * read's worth, and files it. 1 if something was read, 0 at the
 * deadline, -1 once the connection is closed. */
static inline int
kraw_read(struct kraw *r, uint64_t deadline)
{
	struct pollfd	 pfd = { .fd = r->fd, .events = POLLIN };
	char		 buf[65536];
	uint64_t	 now = kc_now_ms();
	struct rpc_msg	 m;
	struct gl_err	 e;
	ssize_t		 n;
	int		 rc;

	if (r->eof)
		return -1;
	if (poll(&pfd, 1, now >= deadline ? 0 : (int)(deadline - now)) <= 0)
		return 0;
	if ((n = read(r->fd, buf, sizeof buf)) <= 0) {
		r->eof = true;
		r->eof_errno = n < 0 ? errno : 0;
		return -1;
	}
	gl_buf_add(&r->wire, buf, (size_t)n);
	if (seal_read(&r->seal, &r->answer, buf, (size_t)n, r->rd, &e) != 0) {
		fprintf(stderr, "kraw: %s\n", e.msg);
		r->eof = true;
		return -1;
	}
	while ((rc = rpc_reader_next(r->rd, &m, &e)) == 1) {
		json_t	*entry = json_array();

		if (m.type == RPC_RESPONSE) {
			char	 id[16];

			json_array_append_new(entry, kc_to_json(m.error));
			json_array_append_new(entry, kc_to_json(m.result));
			snprintf(id, sizeof id, "%u", m.id);
			json_object_set_new(r->responses, id, entry);
		} else {
			json_array_append_new(entry, json_string(m.method));
			json_array_append_new(entry, kc_to_json(m.args));
			json_array_append_new(r->notes, entry);
		}
		rpc_msg_fini(&m);
	}
	if (rc < 0) {
		fprintf(stderr, "kraw: %s\n", e.msg);
		r->eof = true;
		return -1;
	}
	return 1;
}

/* Reads everything until the kernel closes the connection; true if it
 * did before the deadline. */
static inline bool
kraw_read_to_end(struct kraw *r, int timeout_ms)
{
	uint64_t deadline = kc_now_ms() + (uint64_t)timeout_ms;

	do {
		if (kraw_read(r, deadline) < 0)
			return true;
	} while (kc_now_ms() < deadline);
	return false;
}

/* Waits for a notification named method; takes it out and returns its
 * params (caller decrefs), or NULL at the deadline or the end. */
static inline json_t *
kraw_note(struct kraw *r, const char *method, int timeout_ms)
{
	uint64_t	 deadline = kc_now_ms() + (uint64_t)timeout_ms;
	size_t		 i;
	json_t		*entry, *params;

	for (;;) {
		json_array_foreach(r->notes, i, entry) {
			if (strcmp(json_string_value(json_array_get(entry, 0)),
			    method) != 0)
				continue;
			params = json_incref(json_array_get(entry, 1));
			json_array_remove(r->notes, i);
			return params;
		}
		if (kraw_read(r, deadline) <= 0)
			return NULL;
	}
}

/* Notifications named method (NULL = any) read and not taken. */
static inline size_t
kraw_count_notes(const struct kraw *r, const char *method)
{
	size_t	 i, n = 0;
	json_t	*entry;

	json_array_foreach(r->notes, i, entry) {
		if (method == NULL || strcmp(json_string_value(
		    json_array_get(entry, 0)), method) == 0)
			n++;
	}
	return n;
}

/* The response to id read so far, [error, result] (borrowed), or NULL.
 * The kernel answers a frame it cannot take as a request with id 0. */
static inline json_t *
kraw_response(const struct kraw *r, uint32_t id)
{
	char	 key[16];

	snprintf(key, sizeof key, "%u", id);
	return json_object_get(r->responses, key);
}

/* The GL_E* code of the error response to id, and its message in *msg
 * (borrowed; may be NULL); 0 if none came or it was no error. */
static inline int
kraw_error(const struct kraw *r, uint32_t id, const char **msg)
{
	json_t	*resp = kraw_response(r, id), *error;

	if (msg != NULL)
		*msg = NULL;
	if (resp == NULL || json_is_null(error = json_array_get(resp, 0)))
		return 0;
	if (msg != NULL)
		*msg = json_string_value(json_array_get(error, 1));
	return -(int)json_integer_value(json_array_get(error, 0));
}

/* Answers the auth.challenge whose params are challenge with the proof
 * of token (right or wrong) over both nonces, as client/ does, and from
 * then on speaks sealed records keyed from token. Returns the request's
 * id, 0 if the challenge holds no nonce. */
static inline uint32_t
kraw_auth_response(struct kraw *r, const json_t *challenge,
    const char *token)
{
	unsigned char		 nonce[AUTH_NONCE_LEN], mine[AUTH_NONCE_LEN];
	unsigned char		 mac[AUTH_MAC_LEN];
	const char		*hex = kj_str(challenge, "nonce");
	struct rpc_writer	 w;
	size_t			 n = 0;
	uint32_t		 id;

	if (hex == NULL || sodium_hex2bin(nonce, sizeof nonce, hex,
	    strlen(hex), NULL, &n, NULL) != 0 || n != AUTH_NONCE_LEN)
		return 0;
	auth_nonce(mine);
	auth_proof(token, "client", AUTH_BY_PEER, nonce, mine, mac);
	id = r->next_id++;
	rpc_writer_init(&w);
	rpc_begin_request(&w, id, "auth.response");
	msgpack_pack_map(&w.pk, 2);
	rpc_pack_key(&w.pk, "hmac");
	msgpack_pack_bin(&w.pk, AUTH_MAC_LEN);
	msgpack_pack_bin_body(&w.pk, mac, AUTH_MAC_LEN);
	rpc_pack_key(&w.pk, "nonce");
	msgpack_pack_bin(&w.pk, AUTH_NONCE_LEN);
	msgpack_pack_bin_body(&w.pk, mine, AUTH_NONCE_LEN);
	(void)kraw_send(r, w.sbuf.data, w.sbuf.size);
	rpc_writer_fini(&w);
	seal_free(r->seal);
	r->seal = seal_new(token, "client", nonce, mine, SEAL_PEER);
	r->answer = true;
	return id;
}

#endif

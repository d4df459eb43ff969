/*
 * test_secure.c - the kernel under hostile or careless peers (issue 9):
 * TCP traffic is sealed both ways and a record that was changed,
 * replayed, reordered or cut closes the connection; a worker's handshake
 * cannot be relayed to any use, and a worker takes nothing unsealed;
 * peers that do not authenticate get a deadline and a cap, and their log
 * lines a budget; one message cannot decode to more than its method
 * allows; and a refused peer always reads its refusal before the close.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <sys/socket.h>

#include "kfixture.h"
#include "kraw.h"

/* kt_setup, and the kernel the test starts listens on TCP too. */
static int
setup_tcp(void **state)
{
	kt_setup(state);
	((struct kt *)*state)->listen = "127.0.0.1:0";
	return 0;
}

/* The cluster's worker listener ("127.0.0.1:PORT"). Caller frees. */
static char *
cluster_addr(struct kt *t)
{
	struct kc	*k = kt_conn(t);
	json_t		*r;
	char		*addr;

	assert_non_null(r = kc_call(k, "cluster.status", NULL));
	addr = xstrdup(kj_str(r, "listen"));
	json_decref(r);
	kc_free(k);
	return addr;
}

/* Lines of the kernel's log holding needle. */
static size_t
log_count(struct kt *t, const char *needle)
{
	char	*path = xasprintf("%s/kernel.log", t->root);
	char	*text = kt_read(path), *p;
	size_t	 n = 0;

	free(path);
	for (p = text; p != NULL && (p = strstr(p, needle)) != NULL; p++)
		n++;
	free(text);
	return n;
}

/* Fails the test if no line of the kernel's log holds needle. */
static void
assert_logged(struct kt *t, const char *needle)
{
	if (log_count(t, needle) == 0) {
		char *path = xasprintf("%s/kernel.log", t->root);
		char *text = kt_read(path);

		print_error("kernel.log lacks '%s':\n%s\n", needle,
		    text != NULL ? text : "(none)");
		free(text);
		free(path);
		fail();
	}
}

/* A raw TCP peer that did the handshake with the right token. */
static struct kraw *
sealed_peer(struct kt *t, const char *addr)
{
	struct kraw	*r = kraw_connect_tcp(addr);
	json_t		*ch;
	uint32_t	 id;
	uint64_t	 deadline = kc_now_ms() + KC_WAIT_MS;

	assert_non_null(r);
	assert_non_null(ch = kraw_note(r, "auth.challenge", KC_WAIT_MS));
	assert_int_equal(kj_int(ch, "version"), AUTH_VERSION);
	assert_int_not_equal(id = kraw_auth_response(r, ch, t->token), 0);
	json_decref(ch);
	while (kraw_response(r, id) == NULL && kraw_read(r, deadline) >= 0 &&
	    kc_now_ms() < deadline)
		;
	assert_non_null(kraw_response(r, id));
	assert_int_equal(kraw_error(r, id, NULL), 0);
	assert_non_null(r->seal);
	return r;
}

/* Waits for the response to id; NULL if the connection ended first. */
static json_t *
raw_wait(struct kraw *r, uint32_t id)
{
	uint64_t deadline = kc_now_ms() + KC_WAIT_MS;

	while (kraw_response(r, id) == NULL && kc_now_ms() < deadline)
		if (kraw_read(r, deadline) < 0)
			break;
	return kraw_response(r, id);
}

/* A request packed alone, in the clear (for sealing by hand). */
static void
pack_request(struct gl_buf *out, uint32_t id, const char *method)
{
	struct rpc_writer w;

	rpc_writer_init(&w);
	rpc_begin_request(&w, id, method);
	msgpack_pack_map(&w.pk, 0);
	gl_buf_add(out, w.sbuf.data, w.sbuf.size);
	rpc_writer_fini(&w);
}

/* True if the n bytes at p hold s. */
static bool
holds(const char *p, size_t n, const char *s)
{
	size_t k = strlen(s);

	for (size_t i = 0; i + k <= n; i++)
		if (memcmp(p + i, s, k) == 0)
			return true;
	return false;
}

/* What crosses the wire after the handshake is sealed: the notebook the
 * session holds is in the answer, but not on the wire; and a frame in the
 * clear after the handshake is refused. */
static void
test_tcp_traffic_is_sealed(void **state)
{
	struct kt	*t = *state;
	struct kc	*owner;
	struct kraw	*r;
	char		*addr, *nb;
	json_t		*res, *cell;
	uint32_t	 id;

	assert_true(kt_start(t) > 0);
	owner = kt_conn(t);
	nb = kt_write(t->proj, "secret.nb.lua",
	    "-- %% id=\"s\"\nlocal password = \"hunter2\"\n");
	addr = kt_listen_addr(t);
	r = sealed_peer(t, addr);
	id = kraw_request(r, "session.open", json_pack("{s:s}", "path", nb));
	assert_non_null(res = raw_wait(r, id));
	assert_int_equal(kraw_error(r, id, NULL), 0);
	cell = kj_cell(json_object_get(json_array_get(res, 1), "cells"), "s");
	assert_non_null(cell);
	assert_non_null(strstr(kj_str(cell, "source"), "hunter2"));
	assert_false(holds(r->wire.data, r->wire.len, "hunter2"));
	assert_false(holds(r->wire.data, r->wire.len, "secret.nb.lua"));
	/* A request in the clear now is refused, and the connection with
	 * it. */
	{
		struct gl_buf b;

		gl_buf_init(&b);
		pack_request(&b, 77, "session.list");
		assert_int_equal(kraw_send(r, b.data, b.len), 0);
		gl_buf_fini(&b);
	}
	assert_true(kraw_read_to_end(r, KC_WAIT_MS));
	assert_null(kraw_response(r, 77));
	assert_logged(t, "an unsealed frame (0x94)");
	kraw_free(r);
	kc_free(owner);
	free(addr);
	free(nb);
	assert_int_equal(kt_stop(t), 0);
}

/* A record changed, replayed, reordered or cut short closes the
 * connection with a line saying so; what came before it was served. */
static void
test_tampered_records_close(void **state)
{
	struct kt	*t = *state;
	struct kraw	*r;
	struct gl_buf	 plain, a, b;
	char		*addr;

	assert_true(kt_start(t) > 0);
	addr = kt_listen_addr(t);
	gl_buf_init(&plain);
	gl_buf_init(&a);
	gl_buf_init(&b);

	/* Changed: one bit of the ciphertext. */
	r = sealed_peer(t, addr);
	pack_request(&plain, 10, "kernel.info");
	seal_wrap(r->seal, plain.data, plain.len, &a);
	a.data[a.len - 20] ^= 0x01;
	assert_int_equal(kraw_send(r, a.data, a.len), 0);
	assert_true(kraw_read_to_end(r, KC_WAIT_MS));
	assert_null(kraw_response(r, 10));
	kraw_free(r);
	assert_int_equal(log_count(t, "does not authenticate"), 1);

	/* Replayed: the second copy is refused, the first was served. */
	r = sealed_peer(t, addr);
	gl_buf_reset(&a);
	seal_wrap(r->seal, plain.data, plain.len, &a);
	assert_int_equal(kraw_send(r, a.data, a.len), 0);
	assert_non_null(raw_wait(r, 10));
	assert_int_equal(kraw_send(r, a.data, a.len), 0);
	assert_true(kraw_read_to_end(r, KC_WAIT_MS));
	kraw_free(r);
	assert_int_equal(log_count(t, "does not authenticate"), 2);

	/* Reordered: the second record first. */
	r = sealed_peer(t, addr);
	gl_buf_reset(&a);
	gl_buf_reset(&plain);
	pack_request(&plain, 11, "kernel.info");
	seal_wrap(r->seal, plain.data, plain.len, &a);
	gl_buf_reset(&plain);
	pack_request(&plain, 12, "kernel.info");
	seal_wrap(r->seal, plain.data, plain.len, &b);
	assert_int_equal(kraw_send(r, b.data, b.len), 0);
	assert_int_equal(kraw_send(r, a.data, a.len), 0);
	assert_true(kraw_read_to_end(r, KC_WAIT_MS));
	assert_null(kraw_response(r, 11));
	assert_null(kraw_response(r, 12));
	kraw_free(r);
	assert_int_equal(log_count(t, "does not authenticate"), 3);

	/* Cut short: half a record, then the end of the stream. */
	r = sealed_peer(t, addr);
	gl_buf_reset(&a);
	seal_wrap(r->seal, plain.data, plain.len, &a);
	assert_int_equal(kraw_send(r, a.data, a.len / 2), 0);
	shutdown(r->fd, SHUT_WR);
	assert_true(kraw_read_to_end(r, KC_WAIT_MS));
	kraw_free(r);
	assert_int_equal(kt_stop(t), 0);
	assert_logged(t, "ended inside a sealed record (cut short)");
	gl_buf_fini(&plain);
	gl_buf_fini(&a);
	gl_buf_fini(&b);
	free(addr);
}

/*
 * A fake kernel for client/: accepts one connection on lfd, challenges it,
 * and answers its proof either in the clear or sealed with another token;
 * then waits for the client to go. Runs in a child process.
 */
static void
fake_kernel(int lfd, bool clear)
{
	unsigned char		 nonce[AUTH_NONCE_LEN];
	const msgpack_object	*o;
	struct rpc_reader	*rd = rpc_reader_new(4096);
	struct rpc_writer	 w;
	struct rpc_msg		 m;
	struct gl_err		 err;
	struct gl_buf		 out;
	char			 buf[4096];
	ssize_t			 n;
	int			 fd, rc = 0;

	if ((fd = accept(lfd, NULL, NULL)) < 0)
		_exit(20);
	auth_nonce(nonce);
	rpc_writer_init(&w);
	rpc_begin_notify(&w, "auth.challenge");
	msgpack_pack_map(&w.pk, 2);
	rpc_pack_key(&w.pk, "nonce");
	msgpack_pack_bin(&w.pk, AUTH_NONCE_LEN);
	msgpack_pack_bin_body(&w.pk, nonce, AUTH_NONCE_LEN);
	rpc_pack_kv_int(&w.pk, "version", AUTH_VERSION);
	if (write(fd, w.sbuf.data, w.sbuf.size) < 0)
		_exit(21);
	while ((rc = rpc_reader_next(rd, &m, &err)) == 0) {
		if ((n = read(fd, buf, sizeof buf)) <= 0)
			_exit(22);
		rpc_reader_feed(rd, buf, (size_t)n);
	}
	if (rc < 0 || (o = rpc_map_get(m.args, "nonce")) == NULL ||
	    o->type != MSGPACK_OBJECT_BIN)
		_exit(23);
	rpc_writer_reset(&w);
	rpc_begin_response(&w, m.id);
	msgpack_pack_map(&w.pk, 1);
	rpc_pack_kv_int(&w.pk, "client", 1);
	gl_buf_init(&out);
	if (clear)
		gl_buf_add(&out, w.sbuf.data, w.sbuf.size);
	else {
		struct seal *s = seal_new("00000000000000000000000000000000"
		    "00000000000000000000000000000000", "client", nonce,
		    (const unsigned char *)o->via.bin.ptr, SEAL_KERNEL);

		seal_wrap(s, w.sbuf.data, w.sbuf.size, &out);
		seal_free(s);
	}
	if (write(fd, out.data, out.len) < 0)
		_exit(24);
	while (read(fd, buf, sizeof buf) > 0)
		;
	_exit(0);
}

/* client/ takes the kernel's sealed answer as the kernel's proof that it
 * holds the token: a fake that answers in the clear, or sealed with
 * another key, is refused. */
static void
test_client_needs_kernel_proof(void **state)
{
	struct kt		*t = *state;
	struct sockaddr_in	 a;
	socklen_t		 alen = sizeof a;
	char			*tokfile, addr[64];
	int			 lfd, st;

	tokfile = kt_write(t->root, "token",
	    "0123456789abcdef0123456789abcdef"
	    "0123456789abcdef0123456789abcdef\n");
	chmod(tokfile, 0600);
	for (int clear = 0; clear < 2; clear++) {
		struct cl_opts	 o;
		struct cl_conn	*c = NULL;
		struct gl_err	 err;
		pid_t		 pid;

		memset(&a, 0, sizeof a);
		a.sin_family = AF_INET;
		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		lfd = socket(AF_INET, SOCK_STREAM, 0);
		assert_int_equal(bind(lfd, (struct sockaddr *)&a, sizeof a),
		    0);
		assert_int_equal(listen(lfd, 4), 0);
		getsockname(lfd, (struct sockaddr *)&a, &alen);
		snprintf(addr, sizeof addr, "tcp:127.0.0.1:%u",
		    (unsigned)ntohs(a.sin_port));
		fflush(NULL);
		if ((pid = fork()) == 0)
			fake_kernel(lfd, clear);
		close(lfd);
		cl_opts_init(&o);
		o.kernel = addr;
		o.token_file = tokfile;
		o.autostart = false;
		o.timeout_ms = KC_WAIT_MS;
		assert_int_not_equal(cl_connect(&o, &c, &err), 0);
		assert_null(c);
		assert_non_null(strstr(err.msg, clear ? "answered in the clear" :
		    "did not prove it holds the token"));
		st = kt_reap(pid, KC_WAIT_MS);
		assert_true(WIFEXITED(st));
		assert_int_equal(WEXITSTATUS(st), 0);
	}
	free(tokfile);
}

/* Starts `galley worker --connect addr --secret-file secret` with its
 * stderr in err; returns its pid. */
static pid_t
spawn_worker(const char *addr, const char *secret, const char *err)
{
	pid_t pid;

	fflush(NULL);
	if ((pid = fork()) == 0) {
		int fd = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		if (fd >= 0) {
			dup2(fd, 2);
			close(fd);
		}
		execl(getenv("GALLEY_BIN"), "galley", "worker", "--connect",
		    addr, "--secret-file", secret, "--name", "w",
		    (char *)NULL);
		_exit(127);
	}
	return pid;
}

/* A listening socket on 127.0.0.1 and its "127.0.0.1:PORT". */
static int
listen_local(char *addr, size_t len)
{
	struct sockaddr_in	 a;
	socklen_t		 alen = sizeof a;
	int			 fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC,
				    0);

	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
	assert_int_equal(listen(fd, 4), 0);
	getsockname(fd, (struct sockaddr *)&a, &alen);
	snprintf(addr, len, "127.0.0.1:%u", (unsigned)ntohs(a.sin_port));
	return fd;
}

/* Waits up to KC_WAIT_MS for fd to be readable; accept()s a listener. */
static int
wait_fd(int fd, bool listener)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	assert_int_equal(poll(&p, 1, KC_WAIT_MS), 1);
	return listener ? accept(fd, NULL, NULL) : fd;
}

/* Reads what is there on fd (after waiting for something) into b. */
static ssize_t
read_some(int fd, struct gl_buf *b)
{
	char	 buf[65536];
	ssize_t	 n;

	wait_fd(fd, false);
	if ((n = read(fd, buf, sizeof buf)) > 0)
		gl_buf_add(b, buf, (size_t)n);
	return n;
}

/* Reads from fd into b until b holds one whole msgpack-RPC message;
 * decodes it into *m. */
static void
read_msg(int fd, struct gl_buf *b, struct rpc_msg *m)
{
	struct gl_err err;

	for (;;) {
		struct rpc_reader *rd = rpc_reader_new(1 << 20);
		int rc;

		rpc_reader_feed(rd, b->data, b->len);
		rc = rpc_reader_next(rd, m, &err);
		rpc_reader_free(rd);
		if (rc == 1)
			return;
		assert_int_equal(rc, 0);
		assert_true(read_some(fd, b) > 0);
	}
}

/* A fake kernel that relays a real worker's handshake to the real
 * kernel: both proofs check, but what follows is sealed with keys only
 * the two ends have, so the relay can neither read the kernel's answer
 * nor speak for the worker (a frame of its own is refused). */
static void
test_worker_handshake_relay_gains_nothing(void **state)
{
	struct kt	*t = *state;
	char		 fake[64], *kaddr, *secret, *errf;
	struct gl_buf	 b;
	struct rpc_msg	 m;
	int		 lfd, wfd, kfd, st;
	pid_t		 pid;

	assert_true(kt_start(t) > 0);
	kaddr = cluster_addr(t);
	secret = xasprintf("%s/cluster.secret", t->run);
	errf = xasprintf("%s/worker.err", t->root);
	lfd = listen_local(fake, sizeof fake);
	pid = spawn_worker(fake, secret, errf);
	wfd = wait_fd(lfd, true);
	assert_true(wfd >= 0);
	{
		struct kraw *k = kraw_connect_tcp(kaddr);

		assert_non_null(k);
		kfd = dup(k->fd);
		kraw_free(k);
	}
	gl_buf_init(&b);
	/* The kernel's challenge, passed on as it is. */
	read_msg(kfd, &b, &m);
	assert_string_equal(m.method, "auth.challenge");
	rpc_msg_fini(&m);
	assert_int_equal(write(wfd, b.data, b.len), (ssize_t)b.len);
	/* The worker's hello, passed on. */
	gl_buf_reset(&b);
	read_msg(wfd, &b, &m);
	assert_string_equal(m.method, "worker.hello");
	rpc_msg_fini(&m);
	assert_int_equal(write(kfd, b.data, b.len), (ssize_t)b.len);
	/* The kernel accepts the proof, but its answer is a sealed record
	 * the relay cannot read. */
	gl_buf_reset(&b);
	assert_true(read_some(kfd, &b) > 0);
	assert_true(seal_is_record((unsigned char)b.data[0]));
	assert_int_not_equal(rpc_decode(b.data, b.len, &m, NULL), 0);
	assert_false(holds(b.data, b.len, "hmac"));
	assert_false(holds(b.data, b.len, "worker"));
	assert_int_equal(write(wfd, b.data, b.len), (ssize_t)b.len);
	/* Speaking for the worker in the clear gets the relay dropped. */
	{
		struct rpc_writer w;

		rpc_writer_init(&w);
		rpc_begin_notify(&w, "task.done");
		msgpack_pack_map(&w.pk, 1);
		rpc_pack_key(&w.pk, "results");
		msgpack_pack_array(&w.pk, 0);
		assert_int_equal(write(kfd, w.sbuf.data, w.sbuf.size),
		    (ssize_t)w.sbuf.size);
		rpc_writer_fini(&w);
	}
	gl_buf_reset(&b);
	while (read_some(kfd, &b) > 0)
		;
	close(kfd);
	close(wfd);
	close(lfd);
	st = kt_reap(pid, KC_WAIT_MS);
	assert_true(WIFEXITED(st));
	assert_int_equal(kt_stop(t), 0);
	assert_logged(t, "an unsealed frame (0x93)");
	gl_buf_fini(&b);
	free(kaddr);
	free(secret);
	free(errf);
}

/* A worker decodes nothing that is not sealed: a fake kernel that knows
 * the secret and proves it, then sends a task in the clear, is left. */
static void
test_worker_refuses_unsealed(void **state)
{
	struct kt		*t = *state;
	char			 fake[64], secret[AUTH_TOKEN_LEN + 1];
	char			*sfile, *errf, *text;
	unsigned char		 kn[AUTH_NONCE_LEN], mac[AUTH_MAC_LEN];
	const msgpack_object	*o;
	struct rpc_writer	 w;
	struct rpc_msg		 m;
	struct gl_buf		 b;
	struct seal		*s;
	int			 lfd, wfd, st;
	pid_t			 pid;

	sfile = xasprintf("%s/secret", t->root);
	errf = xasprintf("%s/worker.err", t->root);
	assert_int_equal(auth_token_load_or_create(sfile, secret, NULL), 0);
	lfd = listen_local(fake, sizeof fake);
	pid = spawn_worker(fake, sfile, errf);
	wfd = wait_fd(lfd, true);
	auth_nonce(kn);
	rpc_writer_init(&w);
	rpc_begin_notify(&w, "auth.challenge");
	msgpack_pack_map(&w.pk, 2);
	rpc_pack_key(&w.pk, "nonce");
	msgpack_pack_bin(&w.pk, AUTH_NONCE_LEN);
	msgpack_pack_bin_body(&w.pk, kn, AUTH_NONCE_LEN);
	rpc_pack_kv_int(&w.pk, "version", AUTH_VERSION);
	assert_int_equal(write(wfd, w.sbuf.data, w.sbuf.size),
	    (ssize_t)w.sbuf.size);
	gl_buf_init(&b);
	read_msg(wfd, &b, &m);
	assert_string_equal(m.method, "worker.hello");
	o = rpc_map_get(m.args, "nonce");
	assert_non_null(o);
	s = seal_new(secret, "worker", kn, (const unsigned char *)o->via.bin.ptr,
	    SEAL_KERNEL);
	auth_proof(secret, "worker", AUTH_BY_KERNEL, kn,
	    (const unsigned char *)o->via.bin.ptr, mac);
	rpc_writer_reset(&w);
	rpc_begin_response(&w, m.id);
	rpc_msg_fini(&m);
	msgpack_pack_map(&w.pk, 2);
	rpc_pack_kv_int(&w.pk, "worker", 1);
	rpc_pack_key(&w.pk, "hmac");
	msgpack_pack_bin(&w.pk, AUTH_MAC_LEN);
	msgpack_pack_bin_body(&w.pk, mac, AUTH_MAC_LEN);
	gl_buf_reset(&b);
	seal_wrap(s, w.sbuf.data, w.sbuf.size, &b);
	/* Then a task in the clear. */
	rpc_writer_reset(&w);
	rpc_begin_notify(&w, "task.run");
	msgpack_pack_map(&w.pk, 2);
	rpc_pack_kv_int(&w.pk, "job", 1);
	rpc_pack_key(&w.pk, "tasks");
	msgpack_pack_array(&w.pk, 0);
	gl_buf_add(&b, w.sbuf.data, w.sbuf.size);
	assert_int_equal(write(wfd, b.data, b.len), (ssize_t)b.len);
	st = kt_reap(pid, KC_WAIT_MS);
	assert_true(WIFEXITED(st));
	text = kt_read(errf);
	assert_non_null(text);
	assert_non_null(strstr(text, "an unsealed frame"));
	free(text);
	close(wfd);
	close(lfd);
	seal_free(s);
	rpc_writer_fini(&w);
	gl_buf_fini(&b);
	free(sfile);
	free(errf);
}

/* Connects to addr and reads the auth.challenge (into *chp if not
 * NULL: the caller decrefs it). */
static struct kraw *
challenged(const char *addr, json_t **chp)
{
	struct kraw	*r = kraw_connect_tcp(addr);
	json_t		*ch;

	assert_non_null(r);
	assert_non_null(ch = kraw_note(r, "auth.challenge", KC_WAIT_MS));
	if (chp != NULL)
		*chp = ch;
	else
		json_decref(ch);
	return r;
}

/* Reads to the end and checks the peer was refused with a message
 * holding needle, and that the end was clean (no reset). */
static void
assert_refused(struct kraw *r, const char *needle)
{
	json_t *n;

	assert_true(kraw_read_to_end(r, KC_WAIT_MS));
	assert_int_equal(r->eof_errno, 0);
	n = kraw_note(r, "kernel.refused", 0);
	assert_non_null(n);
	if (strstr(kj_str(n, "message"), needle) == NULL) {
		print_error("refusal '%s' lacks '%s'\n", kj_str(n, "message"),
		    needle);
		fail();
	}
	json_decref(n);
}

/* At most pending_max connections wait to authenticate: the next one is
 * refused at once (and reads why); once one of them is in, there is
 * room again. */
static void
test_tcp_pending_cap(void **state)
{
	struct kt	*t = *state;
	struct kraw	*r[3], *extra;
	json_t		*ch;
	char		*addr;
	uint32_t	 id;

	t->pending_max = 3;
	t->auth_ms = 60000;
	assert_true(kt_start(t) > 0);
	addr = kt_listen_addr(t);
	r[0] = challenged(addr, &ch);
	for (int i = 1; i < 3; i++)
		r[i] = challenged(addr, NULL);
	assert_non_null(extra = kraw_connect_tcp(addr));
	assert_refused(extra, "too many connections wait to authenticate");
	assert_int_equal(kraw_count_notes(extra, "auth.challenge"), 0);
	kraw_free(extra);
	/* The Unix socket is not affected. */
	{
		struct kc	*k = kt_conn(t);
		json_t		*res;

		assert_non_null(res = kc_call(k, "kernel.info", NULL));
		json_decref(res);
		kc_free(k);
	}
	/* One gets in: a new one is challenged. */
	id = kraw_auth_response(r[0], ch, t->token);
	json_decref(ch);
	assert_non_null(raw_wait(r[0], id));
	assert_int_equal(kraw_error(r[0], id, NULL), 0);
	extra = challenged(addr, NULL);
	kraw_free(extra);
	for (int i = 0; i < 3; i++)
		kraw_free(r[i]);
	free(addr);
	assert_int_equal(kt_stop(t), 0);
	assert_logged(t, "connections already wait to authenticate");
}

/* A TCP peer that does not authenticate in time is refused, and told. */
static void
test_tcp_auth_deadline(void **state)
{
	struct kt	*t = *state;
	struct kraw	*r;
	char		*addr;

	t->auth_ms = 300;
	assert_true(kt_start(t) > 0);
	addr = kt_listen_addr(t);
	r = challenged(addr, NULL);
	assert_refused(r, "did not authenticate within 300 ms");
	kraw_free(r);
	free(addr);
	assert_int_equal(kt_stop(t), 0);
	assert_logged(t, "did not authenticate within 300 ms");
}

/* The worker listener has the same deadline and cap. */
static void
test_worker_listener_deadline_and_cap(void **state)
{
	struct kt	*t = *state;
	struct kraw	*r[2], *extra;
	char		*addr;

	t->pending_max = 2;
	t->auth_ms = 400;
	assert_true(kt_start(t) > 0);
	addr = cluster_addr(t);
	for (int i = 0; i < 2; i++)
		r[i] = challenged(addr, NULL);
	assert_non_null(extra = kraw_connect_tcp(addr));
	assert_refused(extra, "too many connections wait to authenticate");
	kraw_free(extra);
	for (int i = 0; i < 2; i++) {
		assert_refused(r[i], "did not authenticate within 400 ms");
		kraw_free(r[i]);
	}
	free(addr);
	assert_int_equal(kt_stop(t), 0);
	assert_logged(t, "did not authenticate within 400 ms");
}

/* The kernel raises its open-file soft limit to the hard limit. */
static void
test_open_file_limit_raised(void **state)
{
	struct kt	*t = *state;
	char		 path[64], *text, *line;
	unsigned long	 soft = 0, hard = 0;

	t->nofile_soft = 256;
	t->nofile_hard = 700;
	assert_true(kt_start(t) > 0);
	snprintf(path, sizeof path, "/proc/%d/limits", (int)t->pid);
	assert_non_null(text = kt_read(path));
	assert_non_null(line = strstr(text, "Max open files"));
	assert_int_equal(sscanf(line + strlen("Max open files"), "%lu %lu",
	    &soft, &hard), 2);
	assert_int_equal(hard, 700);
	assert_int_equal(soft, 700);
	free(text);
	assert_int_equal(kt_stop(t), 0);
}

/* Opens n TCP connections to addr that say nothing (their descriptors
 * in fds). */
static void
flood(const char *addr, int *fds, int n)
{
	struct sockaddr_in	 a;
	const char		*colon = strrchr(addr, ':');

	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons((uint16_t)atoi(colon + 1));
	for (int i = 0; i < n; i++) {
		fds[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, 0);
		assert_true(fds[i] >= 0);
		(void)connect(fds[i], (struct sockaddr *)&a, sizeof a);
	}
}

/* Idle TCP connections cannot take the descriptors the kernel needs:
 * with 300 of them open against a kernel allowed 200 files, a notebook
 * still opens, runs (a runtime starts) and saves. */
static void
test_idle_flood_leaves_room(void **state)
{
	struct kt	*t = *state;
	struct kc	*k;
	int		 fds[300];
	char		*addr, *nb, sid[32];
	json_t		*r, *n;

	t->nofile_soft = t->nofile_hard = 200;
	t->auth_ms = 60000;
	assert_true(kt_start(t) > 0);
	addr = kt_listen_addr(t);
	flood(addr, fds, 300);
	/* Once the kernel has seen them all, a client comes. */
	{
		struct kraw *last = kraw_connect_tcp(addr);

		assert_non_null(last);
		assert_true(kraw_read_to_end(last, KC_WAIT_MS));
		kraw_free(last);
	}
	k = kt_conn(t);
	nb = kt_write(t->proj, "flood.nb.lua", "-- %% id=\"a\"\nprint(6 * 7)\n");
	assert_non_null(r = kc_call(k, "session.open",
	    json_pack("{s:s}", "path", nb)));
	snprintf(sid, sizeof sid, "%s", kj_str(r, "session"));
	json_decref(r);
	assert_non_null(r = kc_call(k, "cell.run", json_pack("{s:s,s:[s]}",
	    "session", sid, "cells", "a")));
	json_decref(r);
	assert_non_null(n = kc_note(k, "cell.done", "session",
	    json_string(sid), KC_WAIT_MS));
	assert_string_equal(kj_str(n, "status"), "ok");
	json_decref(n);
	assert_non_null(r = kc_insert_text(k, sid, 0, "a", 0, "-- saved\n",
	    strlen("print(6 * 7)")));
	json_decref(r);
	assert_non_null(r = kc_call(k, "doc.save", json_pack("{s:s}",
	    "session", sid)));
	json_decref(r);
	kc_free(k);
	for (int i = 0; i < 300; i++)
		close(fds[i]);
	free(addr);
	free(nb);
	assert_int_equal(kt_stop(t), 0);
}

/* A flood of garbage connections writes a few lines a second about them
 * and sums up the rest: every refused peer is counted once. */
static void
test_refused_peers_log_is_limited(void **state)
{
	struct kt	*t = *state;
	const int	 n = 400;
	char		*addr, *path, *text, *p;
	size_t		 lines, summed = 0;

	assert_true(kt_start(t) > 0);
	addr = kt_listen_addr(t);
	for (int i = 0; i < n; i++) {
		struct kraw *r = challenged(addr, NULL);

		assert_int_equal(kraw_send(r, "\xc1", 1), 0);
		assert_true(kraw_read_to_end(r, KC_WAIT_MS));
		kraw_free(r);
	}
	free(addr);
	assert_int_equal(kt_stop(t), 0);
	lines = log_count(t, "starts no msgpack value");
	path = xasprintf("%s/kernel.log", t->root);
	text = kt_read(path);
	for (p = text; (p = strstr(p, "... and ")) != NULL; p++) {
		char	 digits[32];
		size_t	 k = 0;

		for (const char *q = p + 8; *q != ' ' && k + 1 <
		    sizeof digits; q++)
			if (*q != ',')
				digits[k++] = *q;
		digits[k] = '\0';
		assert_non_null(strstr(p, "more refused peers in the last"));
		summed += strtoul(digits, NULL, 10);
	}
	free(text);
	free(path);
	assert_true(lines < (size_t)n / 2);
	assert_int_equal(lines + summed, n);
}

/* Sends request id for method with args {pad: [nil x n]} on r. */
static void
send_nils(struct kraw *r, uint32_t id, const char *method, size_t n)
{
	struct rpc_writer w;

	rpc_writer_init(&w);
	rpc_begin_request(&w, id, method);
	msgpack_pack_map(&w.pk, 1);
	rpc_pack_key(&w.pk, "pad");
	msgpack_pack_array(&w.pk, (uint32_t)n);
	for (size_t i = 0; i < n; i++)
		msgpack_pack_nil(&w.pk);
	assert_int_equal(kraw_send_msgs(r, w.sbuf.data, w.sbuf.size), 0);
	rpc_writer_fini(&w);
}

/* The kernel's peak resident memory in KiB. */
static long
kernel_hwm_kb(struct kt *t)
{
	char	 path[64], line[256];
	long	 kb = -1;
	FILE	*f;

	snprintf(path, sizeof path, "/proc/%d/status", (int)t->pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof line, f) != NULL)
		if (sscanf(line, "VmHWM: %ld", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

/* A frame of nils cannot inflate the kernel: it is refused by method and
 * limit without being decoded (or held), and the connection carries on;
 * a method that carries notebooks has a larger limit, not none. */
static void
test_frame_cannot_inflate(void **state)
{
	struct kt	*t = *state;
	struct kraw	*r;
	const char	*msg;
	json_t		*res;
	long		 before, after;

	r = kraw_connect_unix(t->sock);
	assert_non_null(r);
	assert_non_null(res = raw_wait(r, kraw_request(r, "kernel.info",
	    NULL)));
	before = kernel_hwm_kb(t);
	/* 16 MiB of nils would decode to 384 MiB. */
	send_nils(r, 100, "doc.cursor", (size_t)16 << 20);
	assert_non_null(raw_wait(r, 100));
	assert_int_equal(kraw_error(r, 100, &msg), GL_ELIMIT);
	assert_string_equal(msg, "doc.cursor: message of more than 65536 "
	    "values (the limit for doc.cursor)");
	send_nils(r, 101, "doc.edit", (size_t)2 << 20);
	assert_non_null(raw_wait(r, 101));
	assert_int_equal(kraw_error(r, 101, &msg), GL_ELIMIT);
	assert_non_null(strstr(msg, "doc.edit: message of more than 1048576 "
	    "values"));
	/* Within its limit, doc.edit is read (and refused for what it
	 * says, not for its size). */
	send_nils(r, 102, "doc.edit", 100000);
	assert_non_null(raw_wait(r, 102));
	assert_int_not_equal(kraw_error(r, 102, NULL), GL_ELIMIT);
	/* Still connected. */
	assert_non_null(raw_wait(r, kraw_request(r, "kernel.info", NULL)));
	after = kernel_hwm_kb(t);
	assert_true(before > 0 && after > 0);
	if (after - before > 64 * 1024) {
		print_error("the kernel grew by %ld KiB\n", after - before);
		fail();
	}
	kraw_free(r);
}

/* Holds back (on) or lets go of what r sends, so that a message and
 * what follows it reach the kernel in the same read. */
static void
cork(struct kraw *r, int on)
{
	setsockopt(r->fd, IPPROTO_TCP, TCP_CORK, &on, sizeof on);
}

/* Sends n bytes of junk in pieces, then ends our side. False if the
 * kernel reset the connection while we sent (a peer that was refused,
 * still sending, would then fail to send and never read why). */
static bool
send_junk(struct kraw *r, size_t n)
{
	char	 buf[4096];
	bool	 ok = true;

	memset(buf, 'j', sizeof buf);
	for (size_t off = 0; off < n && ok; off += sizeof buf)
		ok = kraw_send(r, buf, sizeof buf) == 0;
	if (!ok)
		print_error("send: %s\n", strerror(errno));
	cork(r, 0);
	shutdown(r->fd, SHUT_WR);
	return ok;
}

/* A refused peer reads its refusal and then a clean end of stream, even
 * when it goes on sending after what got it refused: a request before
 * authenticating, a wrong token, a frame over the limit; on the worker
 * listener, garbage before the hello. */
static void
test_refusal_is_read_before_close(void **state)
{
	struct kt	*t = *state;
	struct kraw	*r;
	char		*addr, *caddr, bad[AUTH_TOKEN_LEN + 1];
	const char	*msg;
	json_t		*ch;
	uint32_t	 id;

	assert_true(kt_start(t) > 0);
	addr = kt_listen_addr(t);
	caddr = cluster_addr(t);

	r = challenged(addr, NULL);
	cork(r, 1);
	id = kraw_request(r, "session.list", NULL);
	assert_true(send_junk(r, 512 << 10));
	assert_true(kraw_read_to_end(r, KC_WAIT_MS));
	assert_int_equal(r->eof_errno, 0);
	assert_int_equal(kraw_error(r, id, &msg), GL_EAUTH);
	assert_string_equal(msg, "authenticate first");
	kraw_free(r);

	assert_non_null(r = kraw_connect_tcp(addr));
	assert_non_null(ch = kraw_note(r, "auth.challenge", KC_WAIT_MS));
	memcpy(bad, t->token, sizeof bad);
	bad[0] = bad[0] == '0' ? '1' : '0';
	cork(r, 1);
	id = kraw_auth_response(r, ch, bad);
	json_decref(ch);
	assert_true(send_junk(r, 512 << 10));
	assert_true(kraw_read_to_end(r, KC_WAIT_MS));
	assert_int_equal(r->eof_errno, 0);
	assert_int_equal(kraw_error(r, id, &msg), GL_EAUTH);
	assert_string_equal(msg, "wrong token");
	kraw_free(r);

	r = challenged(addr, NULL);
	cork(r, 1);
	{
		char *big = xmalloc(65536);

		memset(big, 'a', 65535);
		big[65535] = '\0';
		kraw_request(r, "auth.response", json_pack("{s:s}", "hmac",
		    big));
		free(big);
	}
	assert_true(send_junk(r, 512 << 10));
	assert_true(kraw_read_to_end(r, KC_WAIT_MS));
	assert_int_equal(r->eof_errno, 0);
	assert_int_equal(kraw_error(r, 0, &msg), GL_EPROTO);
	assert_non_null(strstr(msg, "limit"));
	kraw_free(r);

	r = challenged(caddr, NULL);
	cork(r, 1);
	assert_true(send_junk(r, 512 << 10));
	assert_true(kraw_read_to_end(r, KC_WAIT_MS));
	assert_int_equal(r->eof_errno, 0);
	assert_int_equal(kraw_error(r, 0, &msg), GL_EPROTO);
	kraw_free(r);

	free(addr);
	free(caddr);
	assert_int_equal(kt_stop(t), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_tcp_traffic_is_sealed,
		    setup_tcp, kt_teardown),
		cmocka_unit_test_setup_teardown(test_tampered_records_close,
		    setup_tcp, kt_teardown),
		cmocka_unit_test_setup_teardown(
		    test_client_needs_kernel_proof, kt_setup, kt_teardown),
		cmocka_unit_test_setup_teardown(
		    test_worker_handshake_relay_gains_nothing, kt_setup,
		    kt_teardown),
		cmocka_unit_test_setup_teardown(test_worker_refuses_unsealed,
		    kt_setup, kt_teardown),
		cmocka_unit_test_setup_teardown(test_tcp_pending_cap,
		    setup_tcp, kt_teardown),
		cmocka_unit_test_setup_teardown(test_tcp_auth_deadline,
		    setup_tcp, kt_teardown),
		cmocka_unit_test_setup_teardown(
		    test_worker_listener_deadline_and_cap, kt_setup,
		    kt_teardown),
		cmocka_unit_test_setup_teardown(test_open_file_limit_raised,
		    kt_setup, kt_teardown),
		cmocka_unit_test_setup_teardown(test_idle_flood_leaves_room,
		    setup_tcp, kt_teardown),
		cmocka_unit_test_setup_teardown(
		    test_refused_peers_log_is_limited, setup_tcp, kt_teardown),
		cmocka_unit_test_setup_teardown(test_frame_cannot_inflate,
		    kt_setup_started, kt_teardown_stopped),
		cmocka_unit_test_setup_teardown(
		    test_refusal_is_read_before_close, setup_tcp,
		    kt_teardown),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

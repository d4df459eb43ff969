/*
 * test_secure.c - the kernel under hostile or careless peers (issue 9):
 * TCP traffic is sealed both ways and a record that was changed,
 * replayed, reordered or cut closes the connection; a worker's handshake
 * cannot be relayed to any use, and a worker takes nothing unsealed.
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
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

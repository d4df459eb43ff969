/*
 * test_auth.c - who may talk to the kernel: TCP clients prove they hold
 * the token (auth.challenge / auth.response), Unix peers must have the
 * kernel's uid. A refused peer is shown nothing.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <grp.h>

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

/* A client of t's kernel over TCP at addr, authenticated by client/ with
 * the token the kernel wrote; fails the test if there is none. */
static struct kc *
tcp_conn(struct kt *t, const char *addr)
{
	char		*token = xasprintf("%s/token", t->run);
	struct kc	*k = kc_connect_tcp(addr, token);

	assert_non_null(k);
	free(token);
	return k;
}

/* A Unix client with a file session open and a cell edit broadcast
 * pending, so a refused peer would have something to see. */
static struct kc *
busy_owner(struct kt *t, char **nbp, char *sid, size_t sidlen)
{
	struct kc	*k = kc_connect_unix(t->sock);
	json_t		*r;

	assert_non_null(k);
	*nbp = kt_write(t->proj, "secret.nb.lua",
	    "-- %% id=\"s\"\nlocal password = \"hunter2\"\n");
	assert_non_null(r = kc_call(k, "session.open",
	    json_pack("{s:s}", "path", *nbp)));
	snprintf(sid, sidlen, "%s", kj_str(r, "session"));
	json_decref(r);
	return k;
}

static void
test_tcp_right_token(void **state)
{
	struct kt	*t = *state;
	struct kc	*owner, *k;
	char		*addr, *nb, sid[32];
	json_t		*r, *n;

	assert_true(kt_start(t) > 0);
	owner = busy_owner(t, &nb, sid, sizeof sid);
	addr = kt_listen_addr(t);
	k = tcp_conn(t, addr);
	/* Authenticated: the same methods as over the Unix socket. */
	assert_non_null(r = kc_call(k, "session.list", NULL));
	assert_int_equal(json_array_size(r), 1);
	assert_string_equal(kj_str(json_array_get(r, 0), "session"), sid);
	json_decref(r);
	assert_non_null(r = kc_call(k, "session.open",
	    json_pack("{s:s}", "path", nb)));
	assert_string_equal(kj_str(r, "session"), sid);
	json_decref(r);
	/* And it gets the session's notifications. */
	assert_non_null(r = kc_insert_text(owner, sid, 0, "s", 6, "secret_",
	    strlen("local password = \"hunter2\"")));
	json_decref(r);
	assert_non_null(n = kc_note(k, "doc.ops", "session",
	    json_string(sid), KC_WAIT_MS));
	json_decref(n);
	/* A frame over 4 KiB is fine once authenticated. */
	{
		char	*big = xmalloc(100000);
		json_t	*res;

		memset(big, 'a', 99999);
		big[99999] = '\0';
		res = kc_call(k, "no.such", json_pack("{s:s}", "pad", big));
		assert_null(res);
		assert_int_equal(k->code, GL_EINVAL);
		free(big);
	}
	kc_free(k);
	kc_free(owner);
	free(addr);
	free(nb);
	assert_int_equal(kt_stop(t), 0);
}

static void
test_tcp_wrong_token_sees_nothing(void **state)
{
	struct kt	*t = *state;
	struct kc	*owner;
	struct kraw	*k;
	char		*addr, *nb, sid[32], bad[AUTH_TOKEN_LEN + 1];
	const char	*msg;
	json_t		*r, *ch;
	uint32_t	 id;

	assert_true(kt_start(t) > 0);
	owner = busy_owner(t, &nb, sid, sizeof sid);
	addr = kt_listen_addr(t);
	assert_non_null(k = kraw_connect_tcp(addr));
	/* While it waits to answer, the session changes. */
	assert_non_null(ch = kraw_note(k, "auth.challenge", KC_WAIT_MS));
	assert_non_null(r = kc_insert_text(owner, sid, 0, "s", 6, "secret_",
	    strlen("local password = \"hunter2\"")));
	json_decref(r);
	/* A token that is off by one digit. */
	memcpy(bad, t->token, sizeof bad);
	bad[0] = bad[0] == '0' ? '1' : '0';
	assert_int_not_equal(id = kraw_auth_response(k, ch, bad), 0);
	json_decref(ch);
	assert_true(kraw_read_to_end(k, KC_WAIT_MS));
	assert_int_equal(kraw_error(k, id, &msg), GL_EAUTH);
	assert_string_equal(msg, "wrong token");
	/* Nothing but the challenge and the one error arrived. */
	assert_int_equal(kraw_count_notes(k, NULL), 0);
	assert_int_equal(json_object_size(k->responses), 1);
	kraw_free(k);
	kc_free(owner);
	free(addr);
	free(nb);
	assert_int_equal(kt_stop(t), 0);
}

static void
test_tcp_request_before_auth(void **state)
{
	struct kt	*t = *state;
	struct kc	*owner;
	struct kraw	*k;
	char		*addr, *nb, sid[32];
	const char	*msg;
	uint32_t	 id;

	assert_true(kt_start(t) > 0);
	owner = busy_owner(t, &nb, sid, sizeof sid);
	addr = kt_listen_addr(t);
	assert_non_null(k = kraw_connect_tcp(addr));
	id = kraw_request(k, "session.list", NULL);
	assert_true(kraw_read_to_end(k, KC_WAIT_MS));
	assert_int_equal(kraw_error(k, id, &msg), GL_EAUTH);
	assert_string_equal(msg, "authenticate first");
	/* Only the challenge came before the error. */
	assert_int_equal(kraw_count_notes(k, NULL), 1);
	assert_int_equal(kraw_count_notes(k, "auth.challenge"), 1);
	kraw_free(k);
	/* A notification first is refused the same way. */
	assert_non_null(k = kraw_connect_tcp(addr));
	{
		struct rpc_writer w;

		rpc_writer_init(&w);
		rpc_begin_notify(&w, "doc.cursor");
		msgpack_pack_map(&w.pk, 0);
		kraw_send(k, w.sbuf.data, w.sbuf.size);
		rpc_writer_fini(&w);
	}
	assert_true(kraw_read_to_end(k, KC_WAIT_MS));
	assert_non_null(kraw_response(k, 0));
	kraw_free(k);
	kc_free(owner);
	free(addr);
	free(nb);
	assert_int_equal(kt_stop(t), 0);
}

static void
test_tcp_big_frame_before_auth(void **state)
{
	struct kt	*t = *state;
	struct kraw	*k;
	char		*addr, *big;
	const char	*msg;

	assert_true(kt_start(t) > 0);
	addr = kt_listen_addr(t);
	assert_non_null(k = kraw_connect_tcp(addr));
	big = xmalloc(8192);
	memset(big, 'a', 8191);
	big[8191] = '\0';
	kraw_request(k, "auth.response", json_pack("{s:s}", "hmac", big));
	assert_true(kraw_read_to_end(k, KC_WAIT_MS));
	assert_int_equal(kraw_error(k, 0, &msg), GL_EPROTO);
	assert_non_null(strstr(msg, "limit"));
	free(big);
	kraw_free(k);
	free(addr);
	assert_int_equal(kt_stop(t), 0);
}

static void
test_tcp_ipv6_loopback(void **state)
{
	struct kt	*t = *state;
	struct kc	*k;
	char		*addr;
	json_t		*r;
	int		 fd;
	struct sockaddr_in6 a6;

	/* Skip where the machine has no IPv6 loopback. */
	memset(&a6, 0, sizeof a6);
	a6.sin6_family = AF_INET6;
	a6.sin6_addr = in6addr_loopback;
	fd = socket(AF_INET6, SOCK_STREAM, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a6, sizeof a6) != 0) {
		if (fd >= 0)
			close(fd);
		skip();
	}
	close(fd);
	t->listen = "[::1]:0";
	assert_true(kt_start(t) > 0);
	addr = kt_listen_addr(t);
	assert_true(strncmp(addr, "[::1]:", 6) == 0);
	k = tcp_conn(t, addr);
	assert_non_null(r = kc_call(k, "kernel.info", NULL));
	json_decref(r);
	kc_free(k);
	free(addr);
	assert_int_equal(kt_stop(t), 0);
}

static void
test_bad_listen_address(void **state)
{
	struct kt	*t = *state;
	int		 st = 0;
	char		 path[256];

	t->listen = "127.0.0.1";	/* no port */
	assert_int_equal(kt_spawn(t, &st), -1);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 12);
	/* Nothing is left behind by a kernel that could not start. */
	assert_int_not_equal(access(t->sock, F_OK), 0);
	snprintf(path, sizeof path, "%s/kernel.pid", t->run);
	assert_int_not_equal(access(path, F_OK), 0);
}

static void
test_unix_other_uid_refused(void **state)
{
	struct kt	*t = *state;
	struct kc	*owner;
	char		*nb, sid[32];
	pid_t		 pid;
	int		 st;

	if (geteuid() != 0) {
		fprintf(stderr, "# skipped: needs root to connect as "
		    "another uid\n");
		skip();
	}
	t->listen = NULL;
	assert_true(kt_start(t) > 0);
	owner = busy_owner(t, &nb, sid, sizeof sid);
	/* Let uid 65534 reach the socket: the kernel's uid check is what
	 * must refuse it. */
	assert_int_equal(chmod(t->root, 0755), 0);
	assert_int_equal(chmod(t->run, 0755), 0);
	assert_int_equal(chmod(t->sock, 0777), 0);
	fflush(NULL);
	if ((pid = fork()) == 0) {
		struct kc	*k;
		json_t		*n, *r;
		int		 code = 0;

		if (setgroups(0, NULL) != 0 || setgid(65534) != 0 ||
		    setuid(65534) != 0)
			_exit(10);
		if ((k = kc_connect_unix(t->sock)) == NULL)
			_exit(11);
		n = kc_note(k, "kernel.refused", NULL, NULL, KC_WAIT_MS);
		if (n == NULL || strstr(kj_str(n, "message"), "uid 0") == NULL)
			code = 12;
		json_decref(n);
		/* Whatever it asks, it gets nothing and is closed. */
		r = kc_call(k, "session.list", NULL);
		if (r != NULL)
			code = 13;
		json_decref(r);
		if (!kc_wait_closed(k, KC_WAIT_MS))
			code = 14;
		if (kc_drain_notes(k, NULL) != 0)
			code = 15;
		kc_free(k);
		_exit(code);
	}
	st = kt_reap(pid, KC_WAIT_MS);
	chmod(t->run, 0700);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	kc_free(owner);
	free(nb);
	assert_int_equal(kt_stop(t), 0);
}

static void
test_token_is_kept_across_restarts(void **state)
{
	struct kt	*t = *state;
	char		 first[AUTH_TOKEN_LEN + 1];

	assert_true(kt_start(t) > 0);
	memcpy(first, t->token, sizeof first);
	assert_int_equal(kt_stop(t), 0);
	assert_true(kt_start(t) > 0);
	assert_string_equal(first, t->token);
	assert_int_equal(kt_stop(t), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_tcp_right_token, setup_tcp,
		    kt_teardown),
		cmocka_unit_test_setup_teardown(
		    test_tcp_wrong_token_sees_nothing, setup_tcp, kt_teardown),
		cmocka_unit_test_setup_teardown(test_tcp_request_before_auth,
		    setup_tcp, kt_teardown),
		cmocka_unit_test_setup_teardown(test_tcp_big_frame_before_auth,
		    setup_tcp, kt_teardown),
		cmocka_unit_test_setup_teardown(test_tcp_ipv6_loopback,
		    setup_tcp, kt_teardown),
		cmocka_unit_test_setup_teardown(test_bad_listen_address,
		    setup_tcp, kt_teardown),
		cmocka_unit_test_setup_teardown(test_unix_other_uid_refused,
		    setup_tcp, kt_teardown),
		cmocka_unit_test_setup_teardown(
		    test_token_is_kept_across_restarts, setup_tcp, kt_teardown),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_util.c - errors, run statuses, buffers, RNG, hashes, the clock,
 * UTF-8, atomic writes, the token and its challenge-response, paths.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/auth.h"
#include "core/err.h"
#include "core/mem.h"
#include "core/paths.h"
#include "core/run.h"
#include "core/util.h"

static char tmpdir[64];

static int
setup(void **state)
{
	strcpy(tmpdir, "/tmp/galley-test-XXXXXX");
	assert_non_null(mkdtemp(tmpdir));
	return 0;
}

static int
teardown(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static void
test_err_prefix_and_names(void **state)
{
	struct gl_err err;

	assert_int_equal(gl_err_set(&err, GL_ESYNTAX, "line %d", 3), GL_ESYNTAX);
	gl_err_prefix(&err, "a.nb.lua");
	assert_string_equal(err.msg, "a.nb.lua: line 3");
	assert_string_equal(gl_err_name(GL_ESYNTAX), "ESYNTAX");
	assert_string_equal(gl_err_name(12345), "EUNKNOWN");
	assert_int_equal(gl_err_set(NULL, GL_EIO, "x"), GL_EIO);
}

/* Every status reads back from its wire name; the ended ones are the five
 * statuses of cell.done (docs/protocol.md). */
static void
test_run_status_names(void **state)
{
	static const char *const ended[] = { "ok", "error", "interrupted",
	    "cancelled", "died" };
	enum gl_run_status st;
	size_t		 k = 0;

	(void)state;
	for (int i = GL_RUN_NONE; i <= GL_RUN_DIED; i++) {
		const char *name = gl_run_status_name((enum gl_run_status)i);

		assert_int_equal(gl_run_status_parse(name, strlen(name), &st),
		    0);
		assert_int_equal(st, i);
		if (GL_RUN_ENDED(st))
			assert_string_equal(name, ended[k++]);
	}
	assert_int_equal(k, 5);
	st = GL_RUN_OK;
	assert_int_equal(gl_run_status_parse("vanished", 8, &st), GL_EINVAL);
	assert_int_equal(gl_run_status_parse("oka", 2, &st), 0);
	assert_int_equal(st, GL_RUN_OK);
	assert_int_equal(gl_run_status_parse("o", 1, &st), GL_EINVAL);
	assert_string_equal(gl_run_status_name((enum gl_run_status)99), "?");
}

static void
test_buf(void **state)
{
	struct gl_buf	 b;
	char		*s;
	size_t		 n;

	gl_buf_init(&b);
	s = gl_buf_take(&b, &n);
	assert_string_equal(s, "");
	assert_int_equal(n, 0);
	free(s);
	for (int i = 0; i < 1000; i++)
		gl_buf_addf(&b, "%d,", i);
	gl_buf_addc(&b, '!');
	assert_int_equal(b.data[b.len - 1], '!');
	assert_int_equal(b.data[b.len], '\0');
	assert_memory_equal(b.data, "0,1,2,", 6);
	gl_buf_fini(&b);
}

static void
test_rng_is_seeded(void **state)
{
	struct gl_rng	 a, b;

	gl_rng_seed(&a, 42);
	gl_rng_seed(&b, 42);
	for (int i = 0; i < 100; i++)
		assert_int_equal(gl_rng_next(&a), gl_rng_next(&b));
	for (int i = 0; i < 1000; i++)
		assert_true(gl_rng_below(&a, 7) < 7);
}

static void
test_hash(void **state)
{
	char	 h1[GL_HASH_HEX], h2[GL_HASH_HEX];

	gl_hash_hex("abc", 3, h1);
	gl_hash_hex("abd", 3, h2);
	assert_int_equal(strlen(h1), 32);
	assert_string_not_equal(h1, h2);
	gl_hash_hex("abc", 3, h2);
	assert_string_equal(h1, h2);
	/* FNV-1a's published values. */
	assert_int_equal(gl_fnv1a("", 0), 0x811c9dc5u);
	assert_int_equal(gl_fnv1a("a", 1), 0xe40c292cu);
	assert_int_equal(gl_fnv1a("foobar", 6), 0xbf9cf968u);
}

/* The clock goes forward, in the same time in both units. */
static void
test_clock(void **state)
{
	int64_t	 us = gl_now_us(), ms = gl_now_ms(), us2 = gl_now_us();

	(void)state;
	assert_true(us > 0 && us2 >= us);
	assert_true(ms >= us / 1000 && ms <= us2 / 1000);
}

static void
test_utf8(void **state)
{
	size_t bad = 99;

	assert_true(gl_utf8_valid("h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80", 15, NULL));
	assert_false(gl_utf8_valid("ab\xc3", 3, &bad));
	assert_int_equal(bad, 2);
	assert_false(gl_utf8_valid("a\xc0\xaf", 3, &bad));	/* overlong */
	assert_int_equal(bad, 1);
	assert_false(gl_utf8_valid("\xed\xa0\x80", 3, &bad));	/* surrogate */
	assert_false(gl_utf8_valid("\xff", 1, &bad));
	/* A bad byte after a long ASCII run, at every offset and length
	 * around the eight-byte steps, is found where it is. */
	for (size_t at = 0; at < 40; at++)
		for (size_t len = at + 1; len < 48; len++) {
			char	 buf[48];

			memset(buf, 'a', sizeof buf);
			buf[at] = (char)0xff;
			assert_false(gl_utf8_valid(buf, len, &bad));
			assert_int_equal(bad, at);
			buf[at] = 'b';
			assert_true(gl_utf8_valid(buf, len, NULL));
		}
	assert_true(gl_utf8_valid("0123456789abcdef\xc3\xa9xyz", 21, NULL));
}

static void
test_atomic_write_keeps_mode_and_old_file_on_error(void **state)
{
	char		*p = gl_path_join(tmpdir, "nb.nb.lua"), *text;
	struct gl_err	 err;
	struct stat	 st;
	size_t		 n;

	assert_int_equal(gl_file_write_atomic(p, "one\n", 4, 0640, &err), 0);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0640);
	assert_int_equal(gl_file_write_atomic(p, "two\n", 4, 0600, &err), 0);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0640);
	assert_int_equal(gl_file_read(p, &text, &n, &err), 0);
	assert_string_equal(text, "two\n");
	free(text);
	/* A directory that does not exist: an error naming the path. */
	assert_int_not_equal(gl_file_write_atomic("/nonexistent-dir/x", "a", 1,
	    0600, &err), 0);
	assert_non_null(strstr(err.msg, "/nonexistent-dir/x"));
	assert_int_equal(gl_file_read("/nonexistent-dir/x", &text, &n, &err),
	    GL_ENOTFOUND);
	free(p);
}

/* A write that fails part way (here the file size limit, as a full disk
 * would) leaves the old file whole, no temp file behind, and names the
 * path. */
static void
test_failed_write_keeps_old_file(void **state)
{
	char		*p = gl_path_join(tmpdir, "keep.nb.lua"), *text;
	struct gl_err	 err;
	size_t		 n;
	pid_t		 pid;
	int		 status;

	assert_int_equal(gl_file_write_atomic(p, "old\n", 4, 0644, &err), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct rlimit	 rl = { 1024, 1024 };
		static char	 big[8192];

		signal(SIGXFSZ, SIG_IGN);
		setrlimit(RLIMIT_FSIZE, &rl);
		memset(big, 'x', sizeof big);
		if (gl_file_write_atomic(p, big, sizeof big, 0644, &err) == 0)
			_exit(2);
		_exit(strstr(err.msg, "keep.nb.lua") != NULL &&
		    strstr(err.msg, "not written") != NULL ? 0 : 3);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(gl_file_read(p, &text, &n, &err), 0);
	assert_string_equal(text, "old\n");
	free(text);
	{
		char cmd[256];

		snprintf(cmd, sizeof cmd, "ls %s | grep -c tmp", tmpdir);
		assert_int_not_equal(system(cmd), 0);	/* grep found none */
	}
	assert_int_equal(gl_err_from_errno(ENOSPC), GL_ENOSPC);
	free(p);
}

/* Writing through a symbolic link (a notebook linked into a project)
 * replaces the link's target and keeps the link, as an editor would. */
static void
test_atomic_write_follows_symlink(void **state)
{
	char		*target = gl_path_join(tmpdir, "target.nb.lua");
	char		*link = gl_path_join(tmpdir, "link.nb.lua"), *text;
	struct gl_err	 err;
	struct stat	 st;
	size_t		 n;

	assert_int_equal(gl_file_write_atomic(target, "old\n", 4, 0640, &err),
	    0);
	assert_int_equal(symlink("target.nb.lua", link), 0);
	assert_int_equal(gl_file_write_atomic(link, "new\n", 4, 0600, &err), 0);
	assert_int_equal(lstat(link, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	assert_int_equal(gl_file_read(target, &text, &n, &err), 0);
	assert_string_equal(text, "new\n");
	free(text);
	assert_int_equal(stat(target, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0640);
	free(target);
	free(link);
}

static void
test_token_and_challenge(void **state)
{
	char		*p = gl_path_join(tmpdir, "token");
	char		 t1[AUTH_TOKEN_LEN + 1], t2[AUTH_TOKEN_LEN + 1];
	unsigned char	 nonce[AUTH_NONCE_LEN], peer[AUTH_NONCE_LEN];
	unsigned char	 mac[AUTH_MAC_LEN];
	struct gl_err	 err;
	struct stat	 st;

	assert_int_equal(auth_token_load_or_create(p, t1, &err), 0);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(auth_token_load_or_create(p, t2, &err), 0);
	assert_string_equal(t1, t2);
	auth_nonce(nonce);
	auth_nonce(peer);
	auth_proof(t1, "client", AUTH_BY_PEER, nonce, peer, mac);
	assert_true(auth_proof_check(t1, "client", AUTH_BY_PEER, nonce, peer,
	    mac));
	/* A proof is good for its nonces, its direction and its purpose
	 * only: it cannot be relayed, reflected or replayed. */
	assert_false(auth_proof_check(t1, "client", AUTH_BY_KERNEL, nonce,
	    peer, mac));
	assert_false(auth_proof_check(t1, "client", AUTH_BY_PEER, peer,
	    nonce, mac));
	assert_false(auth_proof_check(t1, "worker", AUTH_BY_PEER, nonce,
	    peer, mac));
	peer[0] ^= 1;
	assert_false(auth_proof_check(t1, "client", AUTH_BY_PEER, nonce,
	    peer, mac));
	peer[0] ^= 1;
	mac[0] ^= 1;
	assert_false(auth_proof_check(t1, "client", AUTH_BY_PEER, nonce,
	    peer, mac));
	mac[0] ^= 1;
	t2[0] = t2[0] == 'a' ? 'b' : 'a';
	assert_false(auth_proof_check(t2, "client", AUTH_BY_PEER, nonce,
	    peer, mac));
	/* A token file others can read is refused. */
	chmod(p, 0644);
	assert_int_equal(auth_token_load(p, t2, &err), GL_EPERM);
	assert_non_null(strstr(err.msg, "chmod 600"));
	free(p);
	/* Without an err, the failure's own code still comes back. */
	assert_int_equal(auth_token_load_or_create("/nonexistent-dir/token",
	    t1, NULL), GL_ENOTFOUND);
}

static void
test_paths(void **state)
{
	char		*j = gl_path_join("/a/b/", "c"), *proj, *nb, *sub;
	struct gl_err	 err;

	assert_string_equal(j, "/a/b/c");
	free(j);
	sub = gl_path_join(tmpdir, "proj/sub");
	assert_int_equal(gl_mkdir_p(sub, 0755, &err), 0);
	j = gl_path_join(tmpdir, "proj/.git");
	assert_int_equal(gl_mkdir_p(j, 0755, &err), 0);
	free(j);
	nb = gl_path_join(sub, "a.nb.lua");
	proj = gl_project_dir(nb);
	j = gl_path_join(tmpdir, "proj");
	assert_string_equal(proj, j);
	free(j);
	free(proj);
	free(nb);
	j = gl_path_abs("/tmp/../tmp/nonexistent.nb.lua", &err);
	assert_string_equal(j, "/tmp/nonexistent.nb.lua");
	free(j);
	free(sub);
	setenv("GALLEY_RUNTIME_DIR", tmpdir, 1);
	chmod(tmpdir, 0755);
	assert_int_equal(gl_runtime_dir(&j, &err), GL_EPERM);
	chmod(tmpdir, 0700);
	assert_int_equal(gl_runtime_dir(&j, &err), 0);
	assert_string_equal(j, tmpdir);
	free(j);
	/* A file where the directory should be: the message names it. */
	j = gl_path_join(tmpdir, "notadir");
	assert_int_equal(gl_file_write_atomic(j, "x", 1, 0600, &err), 0);
	setenv("GALLEY_RUNTIME_DIR", j, 1);
	assert_int_equal(gl_runtime_dir(&sub, &err), GL_EPERM);
	assert_null(sub);
	assert_non_null(strstr(err.msg, j));
	free(j);
}

static void
test_hostport_split(void **state)
{
	struct gl_err	 err;
	char		*h, *p;

	assert_int_equal(gl_hostport_split("127.0.0.1:7878", &h, &p, &err), 0);
	assert_string_equal(h, "127.0.0.1");
	assert_string_equal(p, "7878");
	free(h);
	free(p);
	assert_int_equal(gl_hostport_split("[::1]:0", &h, &p, &err), 0);
	assert_string_equal(h, "::1");
	assert_string_equal(p, "0");
	free(h);
	free(p);
	assert_int_equal(gl_hostport_split("node-3:22", &h, &p, &err), 0);
	assert_string_equal(h, "node-3");
	free(h);
	free(p);
	assert_int_equal(gl_hostport_split("host", &h, &p, &err), GL_EINVAL);
	assert_non_null(strstr(err.msg, "host: want HOST:PORT"));
	assert_null(h);
	assert_int_equal(gl_hostport_split(":80", &h, &p, &err), GL_EINVAL);
	assert_int_equal(gl_hostport_split("h:", &h, &p, &err), GL_EINVAL);
	assert_int_equal(gl_hostport_split("h:8x", &h, &p, &err), GL_EINVAL);
	assert_int_equal(gl_hostport_split("[::1]", &h, &p, &err), GL_EINVAL);
	assert_int_equal(gl_hostport_split("[]:80", &h, &p, &err), GL_EINVAL);
	/* Ports are 16 bits: over that is refused, never wrapped. */
	assert_int_equal(gl_hostport_split("h:65535", &h, &p, &err), 0);
	assert_string_equal(p, "65535");
	free(h);
	free(p);
	assert_int_equal(gl_hostport_split("h:65536", &h, &p, &err), GL_EINVAL);
	assert_non_null(strstr(err.msg, "h:65536: port 65536 is over 65535"));
	assert_null(h);
	assert_int_equal(gl_hostport_split("[::1]:70000", &h, &p, &err),
	    GL_EINVAL);
	assert_int_equal(gl_hostport_split("h:99999999999999999999999", &h, &p,
	    &err), GL_EINVAL);
}

/* gl_lis: a longest strictly increasing run, skipped entries never in
 * it, every other keep[] cleared. */
static void
test_lis(void **state)
{
	const size_t	 seq[] = { 3, 1, 4, 1, 5, 9, 2, 6 };
	const size_t	 sk[] = { 2, SIZE_MAX, 0, 1, SIZE_MAX, 3 };
	bool		 keep[8];
	size_t		 n = 0, last = 0;

	(void)state;
	memset(keep, 1, sizeof keep);
	gl_lis(seq, 8, SIZE_MAX, keep);
	for (size_t i = 0; i < 8; i++) {
		if (!keep[i])
			continue;
		if (n > 0)
			assert_true(seq[i] > last);
		last = seq[i];
		n++;
	}
	assert_int_equal(n, 4);		/* 1 4 5 9, 3 4 5 6, ... */
	gl_lis(sk, 6, SIZE_MAX, keep);
	assert_false(keep[1]);
	assert_false(keep[4]);
	assert_true(keep[2] && keep[3] && keep[5]);
	assert_false(keep[0]);
	gl_lis(sk, 0, SIZE_MAX, keep);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lis),
		cmocka_unit_test(test_err_prefix_and_names),
		cmocka_unit_test(test_run_status_names),
		cmocka_unit_test(test_buf),
		cmocka_unit_test(test_rng_is_seeded),
		cmocka_unit_test(test_hash),
		cmocka_unit_test(test_clock),
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_atomic_write_keeps_mode_and_old_file_on_error),
		cmocka_unit_test(test_failed_write_keeps_old_file),
		cmocka_unit_test(test_atomic_write_follows_symlink),
		cmocka_unit_test(test_token_and_challenge),
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_hostport_split),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

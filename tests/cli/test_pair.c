/*
 * test_pair.c - pairing from the command line (docs/cli.md): `galley
 * kernel member` on the members file when no kernel runs and through the
 * running kernel when one does, a member running a notebook over TCP
 * with its own token (GALLEY_MEMBER, GALLEY_TOKEN), a viewer refused
 * with its role named, `galley share` printing an invite `galley attach`
 * reads, `galley members`, and removal; a member change that cannot be
 * saved fails and changes nothing.
 */
#define _GNU_SOURCE		/* unshare() */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "cli_helpers.h"
#include "fullfs.h"
#include "core/err.h"
#include "core/invite.h"

static char dir[64];
static char rundir[128];

static int
setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/galley-pair-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(rundir, sizeof rundir, "%s/run", dir);
	mkdir(rundir, 0700);
	setenv("GALLEY_RUNTIME_DIR", rundir, 1);
	unsetenv("GALLEY_KERNEL");
	unsetenv("GALLEY_MEMBER");
	unsetenv("GALLEY_TOKEN");
	unsetenv("GALLEY_TOKEN_FILE");
	return 0;
}

static int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	unsetenv("GALLEY_MEMBER");
	unsetenv("GALLEY_TOKEN");
	stop_kernel();
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* The token after "token: " in out (copied into tok). */
static void
token_of(const char *out, char tok[65])
{
	const char *p = strstr(out, "token: ");

	assert_non_null(p);
	memcpy(tok, p + 7, 64);
	tok[64] = '\0';
	assert_true(auth_token_valid(tok));
}

static void
test_members_share_attach(void **state)
{
	struct cmd_result	 r;
	char			 bob[65], vic[65], addr[64], *line;
	const char		*p;
	struct inv		 inv;
	struct gl_err		 err;

	(void)state;
	write_file(dir, "one.nb.lua", "-- %% id=\"a\"\nprint(\"one\", 6 * 7)\n");

	/* No kernel: the members file. */
	galley_run(&r, dir, "kernel", "member", "add", "bob", NULL);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "member bob added: editor, expires "
	    "never"));
	token_of(r.out, bob);
	cmd_result_free(&r);
	line = read_file(rundir, "members.json");
	assert_non_null(line);
	assert_null(strstr(line, bob));
	free(line);
	galley_run(&r, dir, "kernel", "member", "list", NULL);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "bob"));
	assert_non_null(strstr(r.out, "editor"));
	cmd_result_free(&r);
	galley_run(&r, dir, "kernel", "member", "add", "x y", NULL);
	assert_int_equal(r.status, 2);
	cmd_result_free(&r);
	galley_run(&r, dir, "kernel", "member", "add", "bob", NULL);
	assert_int_equal(r.status, 1);
	assert_non_null(strstr(r.err, "there is a member bob already"));
	cmd_result_free(&r);

	/* A kernel that listens on TCP. */
	galley_run(&r, dir, "run", "one.nb.lua", NULL);
	assert_int_equal(r.status, 0);
	cmd_result_free(&r);
	galley_run(&r, dir, "kernel", "--listen", "127.0.0.1:0",
	    "--idle-exit", "60", NULL);
	assert_int_equal(r.status, 0);
	assert_non_null(p = strstr(r.out, "now listens on tcp "));
	assert_int_equal(sscanf(p + 19, "%63[0-9.:]", addr), 1);
	cmd_result_free(&r);

	/* bob, made before the kernel started, runs over TCP as bob. */
	setenv("GALLEY_MEMBER", "bob", 1);
	setenv("GALLEY_TOKEN", bob, 1);
	galley_run(&r, dir, "run", "--kernel", addr, "one.nb.lua", NULL);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.out, "one\t42\n");
	cmd_result_free(&r);
	/* ... and is no owner. */
	galley_run(&r, dir, "kernel", "member", "list", "--kernel", addr,
	    NULL);
	assert_int_equal(r.status, 1);
	assert_non_null(strstr(r.err, "bob is an editor: kernel.members "
	    "needs the owner"));
	cmd_result_free(&r);
	unsetenv("GALLEY_MEMBER");
	unsetenv("GALLEY_TOKEN");

	/* Through the running kernel. */
	galley_run(&r, dir, "kernel", "member", "add", "vic", "--role",
	    "viewer", "--expires", "8h", NULL);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "member vic added: viewer, expires in "
	    "7h 59m"));
	token_of(r.out, vic);
	cmd_result_free(&r);
	setenv("GALLEY_MEMBER", "vic", 1);
	setenv("GALLEY_TOKEN", vic, 1);
	galley_run(&r, dir, "run", "--kernel", addr, "one.nb.lua", NULL);
	assert_int_equal(r.status, 4);
	assert_non_null(strstr(r.err, "vic is a viewer: session.open needs "
	    "an editor"));
	assert_string_equal(r.out, "");
	cmd_result_free(&r);
	unsetenv("GALLEY_MEMBER");
	unsetenv("GALLEY_TOKEN");

	galley_run(&r, dir, "share", "one.nb.lua", "--role", "viewer",
	    "--name", "val", "--expires", "2h", NULL);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "for val (viewer, expires in 1h 59m)"));
	assert_non_null(p = strstr(r.out, "galley1:"));
	line = strndup(p, strcspn(p, "\n"));
	assert_int_equal(inv_decode(line, &inv, &err), 0);
	assert_string_equal(inv.member, "val");
	assert_non_null(strstr(inv.kernel, addr));
	assert_non_null(strstr(inv.path, "one.nb.lua"));
	inv_fini(&inv);
	cmd_result_free(&r);
	/* Pasted in two pieces (:share's box breaks a long invite), it is
	 * still the invite: attach gets as far as wanting a terminal. */
	{
		char *head = strndup(line, 20);

		galley_run(&r, dir, "attach", head, line + 20, NULL);
		assert_non_null(strstr(r.err, "needs a terminal"));
		assert_null(strstr(r.err, "damaged"));
		cmd_result_free(&r);
		free(head);
	}
	free(line);
	galley_run(&r, dir, "share", "one.nb.lua", "--role", "owner", NULL);
	assert_int_equal(r.status, 2);
	cmd_result_free(&r);

	galley_run(&r, dir, "members", "one.nb.lua", NULL);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "one.nb.lua (s"));
	cmd_result_free(&r);
	galley_run(&r, dir, "attach", "galley1:nonsense", NULL);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "damaged"));
	cmd_result_free(&r);

	galley_run(&r, dir, "kernel", "member", "remove", "bob", NULL);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "member bob removed"));
	cmd_result_free(&r);
	galley_run(&r, dir, "kernel", "member", "role", "vic", "editor", NULL);
	assert_int_equal(r.status, 0);
	cmd_result_free(&r);
	/* What would change nothing is refused, not silently ignored. */
	galley_run(&r, dir, "kernel", "member", "role", "vic", "editor",
	    "--expires", "8h", NULL);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "--expires is set when a member is "
	    "added"));
	cmd_result_free(&r);
	galley_run(&r, dir, "kernel", "member", "remove", "vic", "--role",
	    "owner", NULL);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "--role is for add and role"));
	cmd_result_free(&r);
	galley_run(&r, dir, "kernel", "member", "list", NULL);
	assert_int_equal(r.status, 0);
	assert_null(strstr(r.out, "bob"));
	assert_non_null(strstr(r.out, "vic"));
	assert_non_null(strstr(r.out, "val"));
	cmd_result_free(&r);
	setenv("GALLEY_MEMBER", "bob", 1);
	setenv("GALLEY_TOKEN", bob, 1);
	galley_run(&r, dir, "run", "--kernel", addr, "one.nb.lua", NULL);
	assert_int_equal(r.status, 4);
	assert_non_null(strstr(r.err, "wrong token (or no such member)"));
	cmd_result_free(&r);
	unsetenv("GALLEY_MEMBER");
	unsetenv("GALLEY_TOKEN");
}

/* `galley kernel member remove|role|add` on a full runtime directory
 * (a small tmpfs of this process's own; skipped where that cannot be had)
 * exits 1 saying which file could not be written and why, and changes
 * nothing: on the members file with no kernel, and through a kernel. */
static void
test_member_change_on_full_disk(void **state)
{
	struct cmd_result	 r;
	char			 filler[160];

	(void)state;
	if (!fullfs_mount(rundir, "256k"))
		skip();
	snprintf(filler, sizeof filler, "%s/filler", rundir);
	write_file(dir, "one.nb.lua", "-- %% id=\"a\"\nprint(1)\n");
	galley_run(&r, dir, "kernel", "member", "add", "bob", NULL);
	assert_int_equal(r.status, 0);
	cmd_result_free(&r);
	galley_run(&r, dir, "kernel", "member", "add", "cy", "--role",
	    "viewer", NULL);
	assert_int_equal(r.status, 0);
	cmd_result_free(&r);

	for (int through_kernel = 0; through_kernel < 2; through_kernel++) {
		if (through_kernel) {
			galley_run(&r, dir, "run", "one.nb.lua", NULL);
			assert_int_equal(r.status, 0);
			cmd_result_free(&r);
		}
		assert_int_equal(fullfs_fill(filler), 0);
		galley_run(&r, dir, "kernel", "member", "remove", "bob", NULL);
		assert_int_equal(r.status, 1);
		assert_non_null(strstr(r.err, "member bob not removed: "));
		assert_non_null(strstr(r.err, rundir));
		assert_non_null(strstr(r.err, "members.json: not written: No "
		    "space left on device"));
		cmd_result_free(&r);
		galley_run(&r, dir, "kernel", "member", "role", "cy", "editor",
		    NULL);
		assert_int_equal(r.status, 1);
		assert_non_null(strstr(r.err, "member cy's role not "
		    "changed: "));
		assert_non_null(strstr(r.err, "No space left on device"));
		cmd_result_free(&r);
		galley_run(&r, dir, "kernel", "member", "add", "dee", NULL);
		assert_int_equal(r.status, 1);
		assert_non_null(strstr(r.err, "member dee not added: "));
		assert_non_null(strstr(r.err, "No space left on device"));
		cmd_result_free(&r);
		galley_run(&r, dir, "kernel", "member", "list", NULL);
		assert_int_equal(r.status, 0);
		assert_non_null(strstr(r.out, "bob"));
		assert_non_null(strstr(r.out, "editor"));
		assert_non_null(strstr(r.out, "viewer"));
		assert_null(strstr(r.out, "dee"));
		cmd_result_free(&r);
		assert_int_equal(unlink(filler), 0);
	}
	stop_kernel();
	/* What the file says, with no kernel: the same. */
	galley_run(&r, dir, "kernel", "member", "list", NULL);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "bob"));
	assert_non_null(strstr(r.out, "viewer"));
	cmd_result_free(&r);
	umount2(rundir, MNT_DETACH);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_members_share_attach,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_member_change_on_full_disk,
		    setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

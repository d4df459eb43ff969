/*
 * test_invite.c - invites (core/invite.h): what is encoded comes back;
 * the text is one copy-paste-safe word; damaged, foreign and future
 * invites are refused with a reason; member keys (core/auth.h).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "core/auth.h"
#include "core/err.h"
#include "core/invite.h"
#include "core/mem.h"

static void
test_round_trip(void **state)
{
	struct inv	 in = { 0 }, out;
	struct gl_err	 err;
	char		*text;

	(void)state;
	in.kernel = "tcp:team.example.org:7878";
	in.session = "s12";
	in.path = "/home/ada/proj/an alysis.nb.lua";
	in.member = "guest-3f2a";
	auth_token_new(in.token);
	text = inv_encode(&in);
	assert_true(strncmp(text, "galley1:", 8) == 0);
	for (const char *p = text + 8; *p != '\0'; p++)
		assert_true(isalnum((unsigned char)*p) || *p == '-' ||
		    *p == '_');
	assert_int_equal(inv_decode(text, &out, &err), 0);
	assert_string_equal(out.kernel, in.kernel);
	assert_string_equal(out.session, in.session);
	assert_string_equal(out.path, in.path);
	assert_string_equal(out.member, in.member);
	assert_string_equal(out.token, in.token);
	inv_fini(&out);
	/* White space around it (a terminal's selection) is fine. */
	{
		char *padded = xasprintf("  %s\n", text);

		assert_int_equal(inv_decode(padded, &out, &err), 0);
		inv_fini(&out);
		free(padded);
	}
	/* Copied from :share's box, which breaks a long invite over lines
	 * (or pasted as several words): the breaks are not part of it. */
	{
		char *broken = xasprintf("%.30s\n  %.30s %s", text, text + 30,
		    text + 60);

		assert_int_equal(inv_decode(broken, &out, &err), 0);
		assert_string_equal(out.token, in.token);
		assert_string_equal(out.path, in.path);
		inv_fini(&out);
		free(broken);
	}
	free(text);

	/* A local invite: no member, no token. */
	memset(&in, 0, sizeof in);
	in.kernel = "unix:/run/user/1000/galley/kernel.sock";
	in.session = "s1";
	text = inv_encode(&in);
	assert_int_equal(inv_decode(text, &out, &err), 0);
	assert_null(out.member);
	assert_null(out.path);
	assert_string_equal(out.token, "");
	inv_fini(&out);
	free(text);
}

static void
test_refused(void **state)
{
	struct inv	 in = { 0 }, out;
	struct gl_err	 err;
	char		*text;

	(void)state;
	assert_int_equal(inv_decode("hello", &out, &err), GL_EINVAL);
	assert_non_null(strstr(err.msg, "not a galley invite"));
	inv_fini(&out);
	assert_int_equal(inv_decode("galley9:abcdef", &out, &err),
	    GL_EINVAL);
	assert_non_null(strstr(err.msg, "another version (galley9)"));
	inv_fini(&out);
	in.kernel = "tcp:h:1";
	in.session = "s1";
	in.member = "bob";
	auth_token_new(in.token);
	text = inv_encode(&in);
	/* Cut short in copying. */
	text[strlen(text) - 7] = '\0';
	assert_int_equal(inv_decode(text, &out, &err), GL_EINVAL);
	assert_non_null(strstr(err.msg, "damaged"));
	inv_fini(&out);
	free(text);
}

static void
test_member_key(void **state)
{
	char	 a[AUTH_TOKEN_LEN + 1], b[AUTH_TOKEN_LEN + 1];
	char	 ka[AUTH_TOKEN_LEN + 1], kb[AUTH_TOKEN_LEN + 1];

	(void)state;
	auth_token_new(a);
	auth_token_new(b);
	assert_true(auth_token_valid(a));
	assert_string_not_equal(a, b);
	auth_member_key(a, ka);
	auth_member_key(b, kb);
	assert_true(auth_token_valid(ka));
	assert_string_not_equal(ka, a);
	assert_string_not_equal(ka, kb);
	auth_member_key(a, kb);
	assert_string_equal(ka, kb);
	assert_false(auth_token_valid("abc"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_member_key),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_registry_pin.c - the pure part of the library registry
 * (review/registry-pin.c): versions, constraints, module names,
 * galley.lock's text both ways (a bad line named), and the pins of a
 * notebook's header cell (read, replaced, added).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/err.h"
#include "core/mem.h"
#include "review/registry.h"

static bool
match(const char *c, const char *v)
{
	struct reg_semver sv;

	assert_int_equal(reg_semver_parse(v, &sv), 0);
	return reg_constraint_match(c, &sv);
}

static void
test_versions_and_constraints(void **state)
{
	struct reg_semver a, b;

	(void)state;
	assert_int_equal(reg_semver_parse("1.2.3", &a), 0);
	assert_int_equal(a.major * 10000 + a.minor * 100 + a.patch, 10203);
	assert_int_equal(reg_semver_parse("v0.10.0", &b), 0);
	assert_true(reg_semver_cmp(&b, &a) < 0);
	assert_int_equal(reg_semver_parse("1.2", &a), -1);
	assert_int_equal(reg_semver_parse("1.2.3-rc1", &a), -1);
	assert_int_equal(reg_semver_parse("01.2.3", &a), -1);
	assert_int_equal(reg_semver_parse("1..3", &a), -1);

	assert_true(match("", "0.0.1"));
	assert_true(match("*", "9.9.9"));
	assert_true(match("1.2.3", "1.2.3"));
	assert_false(match("1.2.3", "1.2.4"));
	assert_true(match("^1.2", "1.9.0"));
	assert_false(match("^1.2", "1.1.9"));
	assert_false(match("^1.2", "2.0.0"));
	assert_true(match("~1.2.3", "1.2.9"));
	assert_false(match("~1.2.3", "1.3.0"));
	assert_true(match("~1", "1.7.0"));
	assert_true(match(">=1.0", "3.0.0"));
	assert_false(match(">=1.0", "0.9.9"));
	assert_true(match("<2", "1.9.9"));
	assert_false(match("<2", "2.0.0"));
	assert_false(reg_constraint_ok("1.2"));
	assert_false(reg_constraint_ok("^x"));
	assert_true(reg_constraint_ok("^1"));

	assert_true(reg_name_ok("stats"));
	assert_true(reg_name_ok("my-lib_2"));
	assert_false(reg_name_ok("-x"));
	assert_false(reg_name_ok("a.b"));
	assert_false(reg_name_ok("a/b"));
	assert_false(reg_name_ok(""));
}

#define C1	"0123456789abcdef0123456789abcdef01234567"
#define H1	"00112233445566778899aabbccddeeff"

static void
test_lock(void **state)
{
	struct reg_pin	*v = NULL, p;
	size_t		 n = 0;
	struct gl_err	 err;
	char		*text;
	const char	*bad = "# c\nstats 1.0.0 " C1 " " H1 "\nplot 1.0 x y\n";

	(void)state;
	memset(&p, 0, sizeof p);
	p.name = "zeta";
	p.version = "2.0.0";
	memcpy(p.commit, C1, sizeof p.commit);
	memcpy(p.hash, H1, sizeof p.hash);
	reg_pins_set(&v, &n, &p);
	p.name = "alpha";
	p.version = "0.1.0";
	reg_pins_set(&v, &n, &p);
	p.name = "zeta";
	p.version = "2.1.0";
	reg_pins_set(&v, &n, &p);
	assert_int_equal(n, 2);
	text = reg_lock_format(v, n);
	assert_non_null(strstr(text, "\nalpha 0.1.0 " C1 " " H1 "\nzeta 2.1.0 "
	    C1 " " H1 "\n"));
	reg_pins_free(v, n);
	assert_int_equal(reg_lock_parse(text, strlen(text), "galley.lock", &v,
	    &n, &err), 0);
	assert_int_equal(n, 2);
	assert_string_equal(reg_pins_find(v, n, "zeta")->version, "2.1.0");
	assert_string_equal(reg_pins_find(v, n, "alpha")->commit, C1);
	assert_null(reg_pins_find(v, n, "beta"));
	reg_pins_free(v, n);
	free(text);
	assert_int_equal(reg_lock_parse(bad, strlen(bad), "p/galley.lock", &v,
	    &n, &err), GL_ESYNTAX);
	assert_string_equal(err.msg, "p/galley.lock:3: expected NAME VERSION "
	    "COMMIT HASH");
	assert_int_equal(n, 0);
}

static void
test_header_pins(void **state)
{
	const char	*h = "-- A notebook\n-- lib: stats@1.0.0\n"
	    "-- lib: bad@1.0\nlocal x = 1";
	struct reg_pin	*v;
	size_t		 n, len;
	char		*s;

	(void)state;
	assert_int_equal(reg_header_pins(h, strlen(h), &v, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(v[0].name, "stats");
	assert_string_equal(v[0].version, "1.0.0");
	assert_int_equal(v[0].line, 2);
	reg_pins_free(v, n);
	s = reg_header_set(h, strlen(h), "stats", "1.1.0", &len);
	assert_string_equal(s, "-- A notebook\n-- lib: stats@1.1.0\n"
	    "-- lib: bad@1.0\nlocal x = 1");
	free(s);
	s = reg_header_set(h, strlen(h), "plot", "2.0.0", &len);
	assert_string_equal(s, "-- A notebook\n-- lib: stats@1.0.0\n"
	    "-- lib: bad@1.0\nlocal x = 1\n-- lib: plot@2.0.0");
	assert_int_equal(len, strlen(s));
	free(s);
	s = reg_header_set("", 0, "plot", "2.0.0", &len);
	assert_string_equal(s, "-- lib: plot@2.0.0");
	free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_versions_and_constraints),
		cmocka_unit_test(test_lock),
		cmocka_unit_test(test_header_pins),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

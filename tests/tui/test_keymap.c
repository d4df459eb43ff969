/*
 * test_keymap.c - key names, sequences, rebinding, the configuration's
 * keys and options applied (errors named with file and line, a runaway
 * loop stopped; lua/config.h records them), and the generated help.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/err.h"
#include "core/mem.h"
#include "lua/config.h"
#include "tui/cmd.h"
#include "tui/input.h"
#include "tui/keymap.h"

static void
test_key_specs_are_canonical(void **state)
{
	char		 k[KEYMAP_SEQ_MAX][KEYMAP_NAME_MAX];
	struct gl_err	 err = { 0 };

	assert_int_equal(keymap_parse_keys("dd", k, KEYMAP_SEQ_MAX, &err), 2);
	assert_string_equal(k[0], "d");
	assert_int_equal(keymap_parse_keys("<c-R><S-enter><cr>", k,
	    KEYMAP_SEQ_MAX, &err), 3);
	assert_string_equal(k[0], "<C-r>");
	assert_string_equal(k[1], "<S-Enter>");
	assert_string_equal(k[2], "<Enter>");
	assert_int_equal(keymap_parse_keys("<lt><A-x><S-a><C-S-Left>", k,
	    KEYMAP_SEQ_MAX, &err), 4);
	assert_string_equal(k[0], "<lt>");
	assert_string_equal(k[1], "<M-x>");
	assert_string_equal(k[2], "A");
	assert_string_equal(k[3], "<C-S-Left>");
	assert_true(keymap_parse_keys("<X-a>", k, KEYMAP_SEQ_MAX, &err) < 0);
	assert_non_null(strstr(err.msg, "modifier"));
	assert_true(keymap_parse_keys("<Nope>", k, KEYMAP_SEQ_MAX, &err) < 0);
	assert_non_null(strstr(err.msg, "unknown key"));
}

static void
test_sequences_and_fallback(void **state)
{
	struct keymap	*km = keymap_new();
	const char	*cmd;

	assert_int_equal(keymap_feed(km, KEYMAP_NORMAL, "d", &cmd),
	    KEYMAP_PENDING);
	assert_string_equal(keymap_pending(km), "d");
	assert_int_equal(keymap_feed(km, KEYMAP_NORMAL, "d", &cmd),
	    KEYMAP_MATCH);
	assert_string_equal(cmd, "delete");
	/* "d" then "j": the sequence breaks, j alone still works. */
	keymap_feed(km, KEYMAP_NORMAL, "d", &cmd);
	assert_int_equal(keymap_feed(km, KEYMAP_NORMAL, "j", &cmd),
	    KEYMAP_MATCH);
	assert_string_equal(cmd, "down");
	assert_int_equal(keymap_feed(km, KEYMAP_INSERT, "q", &cmd),
	    KEYMAP_NONE);
	assert_int_equal(keymap_feed(km, KEYMAP_INSERT, "<C-Enter>", &cmd),
	    KEYMAP_MATCH);
	assert_string_equal(cmd, "run");
	keymap_free(km);
}

/* What an Alt chord is depends on keymap_binds(): bound chords run their
 * command, the others are Esc and the key (tui/app-input.c). */
static void
test_binds_without_feeding(void **state)
{
	struct keymap	*km = keymap_new();
	const char	*cmd;

	assert_true(keymap_binds(km, KEYMAP_NORMAL, "<M-Enter>"));
	assert_true(keymap_binds(km, KEYMAP_INSERT, "<M-b>"));
	assert_false(keymap_binds(km, KEYMAP_NORMAL, "<M-:>"));
	assert_false(keymap_binds(km, KEYMAP_INSERT, "<M-x>"));
	/* A prefix counts, and so does the key after a pending one. */
	assert_true(keymap_binds(km, KEYMAP_NORMAL, "d"));
	keymap_feed(km, KEYMAP_NORMAL, "Z", &cmd);
	assert_true(keymap_binds(km, KEYMAP_NORMAL, "Q"));
	assert_false(keymap_binds(km, KEYMAP_NORMAL, "<M-q>"));
	/* Nothing was fed: the pending Z still completes. */
	assert_string_equal(keymap_pending(km), "Z");
	assert_int_equal(keymap_feed(km, KEYMAP_NORMAL, "Z", &cmd),
	    KEYMAP_MATCH);
	assert_string_equal(cmd, "wq");
	keymap_free(km);
}

static void
test_rebinding(void **state)
{
	struct keymap	*km = keymap_new();
	struct gl_err	 err = { 0 };
	const char	*cmd;
	char		*keys;

	assert_int_equal(keymap_set(km, KEYMAP_NORMAL, "<C-j>", "move-down",
	    &err), 0);
	assert_int_equal(keymap_feed(km, KEYMAP_NORMAL, "<C-j>", &cmd),
	    KEYMAP_MATCH);
	assert_string_equal(cmd, "move-down");
	keys = keymap_keys_for(km, KEYMAP_NORMAL, "move-down");
	assert_string_equal(keys, "J, <C-j>");
	free(keys);
	assert_int_equal(keymap_set(km, KEYMAP_NORMAL, "x", NULL, &err), 0);
	assert_int_equal(keymap_feed(km, KEYMAP_NORMAL, "x", &cmd),
	    KEYMAP_NONE);
	assert_int_equal(keymap_set(km, KEYMAP_NORMAL, "q", "mvoe-down",
	    &err), GL_EINVAL);
	assert_non_null(strstr(err.msg, "unknown command 'mvoe-down'"));
	assert_int_equal(keymap_set_option(km, "indent", "4", &err), 0);
	assert_int_equal(keymap_config(km)->indent, 4);
	assert_int_equal(keymap_set_option(km, "indnet", "4", &err),
	    GL_EINVAL);
	keymap_free(km);
}

static char *
write_tmp(const char *text)
{
	char	 tmpl[] = "/tmp/galley-keymap-XXXXXX";
	int	 fd = mkstemp(tmpl);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return xstrdup(tmpl);
}

/*
 * Loads path on the TUI side of the configuration host (lua/config.h)
 * and applies what it recorded to km as tui/app.c does, with
 * keymap_apply_config(). Returns the first error, the loader's last.
 */
static int
load_config(struct keymap *km, const char *path, struct gl_err *err)
{
	struct cfg_host	*h = cfg_host_new(CFG_SIDE_TUI, err);
	struct gl_err	 lerr = { 0 };
	int		 lrc, rc;

	assert_non_null(h);
	lrc = cfg_host_load(h, path, NULL, &lerr);
	rc = keymap_apply_config(km, cfg_host_tui(h), err);
	if (rc == 0 && lrc != 0)
		rc = gl_err_set(err, lrc, "%s", lerr.msg);
	cfg_host_free(h);
	return rc;
}

static void
test_lua_config(void **state)
{
	struct keymap	*km = keymap_new();
	struct gl_err	 err = { 0 };
	const char	*cmd;
	char		*path;

	path = write_tmp("-- my keys\n"
	    "galley.keymap.set('normal', '<C-j>', 'move-down')\n"
	    "galley.keymap.del('normal', 'x')\n"
	    "galley.set('fold_lines', 20)\n"
	    "galley.set('ascii', true)\n");
	assert_int_equal(load_config(km, path, &err), 0);
	assert_int_equal(keymap_feed(km, KEYMAP_NORMAL, "<C-j>", &cmd),
	    KEYMAP_MATCH);
	assert_int_equal(keymap_feed(km, KEYMAP_NORMAL, "x", &cmd),
	    KEYMAP_NONE);
	assert_int_equal(keymap_config(km)->fold_lines, 20);
	assert_true(keymap_config(km)->ascii);
	unlink(path);
	free(path);

	/* An error names the file and the line; bindings made before it
	 * stay. */
	path = write_tmp("galley.keymap.set('normal', 'Q', 'quit')\n"
	    "\n"
	    "galley.keymap.set('normal', 'W', 'no-such-command')\n");
	assert_int_equal(load_config(km, path, &err), GL_EINVAL);
	{
		char	*want = xasprintf("%s:3:", path);

		assert_non_null(strstr(err.msg, want));
		assert_non_null(strstr(err.msg, "no-such-command"));
		free(want);
	}
	assert_int_equal(keymap_feed(km, KEYMAP_NORMAL, "Q", &cmd),
	    KEYMAP_MATCH);
	unlink(path);
	free(path);

	path = write_tmp("galley.keymap.set('normal', 'Q' 'quit')\n");
	assert_int_equal(load_config(km, path, &err), GL_ESYNTAX);
	assert_non_null(strstr(err.msg, ":1:"));
	unlink(path);
	free(path);

	/* The file runs under an instruction budget. */
	path = write_tmp("while true do end\n");
	assert_true(load_config(km, path, &err) < 0);
	assert_non_null(strstr(err.msg, "ran too long"));
	unlink(path);
	free(path);

	assert_int_equal(load_config(km, "/nonexistent/init.lua", &err), 0);
	keymap_free(km);
}

/* Every default binding appears in the help screen with its command's
 * description, so the help cannot miss a key. */
static void
test_help_lists_every_key(void **state)
{
	struct keymap		*km = keymap_new();
	struct gl_buf		 help, md;
	const struct cmd_table	*t = cmd_table_builtin();
	size_t			 n = cmd_count(t);
	const char		*modes[KEYMAP_NMODES] = { "normal", "insert",
				    "cmdline", "pager", "cluster", "review",
				    "suggest", "menu" };

	gl_buf_init(&help);
	gl_buf_init(&md);
	keymap_help(km, &help);
	keymap_markdown(km, &md);
	for (int m = 0; m < KEYMAP_NMODES; m++) {
		for (size_t i = 0; i < n; i++) {
			char	*keys = keymap_keys_for(km, (enum keymap_mode)
			    keymap_mode_parse(modes[m]), cmd_at(t, i)->name);

			if (*keys) {
				char *line = xasprintf("%s\t%s", keys,
				    cmd_at(t, i)->help);

				if (strstr(help.data, line) == NULL)
					fail_msg("help lacks \"%s\"", line);
				free(line);
			}
			free(keys);
		}
	}
	assert_non_null(strstr(md.data, "| `dd` | `delete` |"));
	assert_non_null(strstr(help.data, "dd\tdelete the cell"));
	assert_non_null(strstr(help.data, ":run [all|above|below]\t"));
	gl_buf_fini(&help);
	gl_buf_fini(&md);
	keymap_free(km);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_specs_are_canonical),
		cmocka_unit_test(test_sequences_and_fallback),
		cmocka_unit_test(test_binds_without_feeding),
		cmocka_unit_test(test_rebinding),
		cmocka_unit_test(test_lua_config),
		cmocka_unit_test(test_help_lists_every_key),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_cmd.c - the command table (tui/cmd.c): the built-in commands,
 * adding one at run time as a plugin will (its handler called with its
 * data and argument, a name clash refused), the modes a command runs in,
 * errors, completion, and the keymap binding and listing added commands.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/err.h"
#include "core/mem.h"
#include "tui/cmd.h"
#include "tui/keymap.h"

/* What a plugin's handler saw. */
struct seen {
	int		 calls;
	char		 arg[64];
	bool		 had_arg;
	const struct cmd_entry *self;
};

static int
plugin_exec(struct app *a, const struct cmd_entry *self, const char *arg,
    struct gl_err *err)
{
	struct seen	*s = self->data;

	s->calls++;
	s->self = self;
	s->had_arg = arg != NULL;
	snprintf(s->arg, sizeof s->arg, "%s", arg ? arg : "");
	if (arg != NULL && strcmp(arg, "fail") == 0)
		return gl_err_set(err, GL_EINVAL, "%s: it failed", self->name);
	return 0;
}

static void
plugin_complete(struct app *a, const struct cmd_entry *self,
    const char *word, struct cmd_matches *m)
{
	if (strncmp("alpha", word, strlen(word)) == 0) {
		cmd_matches_add(m, "alpha");
		cmd_matches_add(m, "alpha");	/* dropped: there already */
	}
}

static void
test_builtin_table(void **state)
{
	const struct cmd_table *t = cmd_table_builtin();
	const struct cmd_entry *e;
	size_t		 n = cmd_count(t);

	assert_true(n > 80);
	for (size_t i = 0; i < n; i++) {
		e = cmd_at(t, i);
		assert_non_null(e->exec);
		assert_true(*e->help != '\0');
		/* One entry per name. */
		assert_ptr_equal(cmd_find(t, e->name), e);
	}
	assert_null(cmd_at(t, n));
	e = cmd_find(t, "  run all");
	assert_non_null(e);
	assert_string_equal(e->name, "run");
	assert_string_equal(e->args, "[all|above|below]");
	assert_null(cmd_find(t, "ru"));
	assert_null(cmd_find(t, "runner"));
	assert_true(cmd_find(t, "cl-exec")->flags & CMD_F_KEY);
	assert_int_equal(cmd_find(t, "cl-exec")->modes,
	    CMD_MODE(KEYMAP_CMDLINE));
	assert_true(cmd_find(t, "w!")->flags & CMD_F_ALIAS);
}

static void
test_plugin_command(void **state)
{
	struct cmd_table *t = cmd_table_new();
	struct seen	 seen = { 0 };
	struct gl_err	 err = { 0 };
	char		 name[16] = "hello";
	struct cmd_entry e = {
		.name = name, .args = "[WHO]", .help = "say hello",
		.exec = plugin_exec, .data = &seen,
	};
	size_t		 nb = cmd_count(cmd_table_builtin());

	assert_int_equal(cmd_table_add(t, &e, &err), 0);
	/* The table keeps its own copy of the strings. */
	strcpy(name, "bye");
	assert_int_equal(cmd_count(t), nb + 1);
	assert_string_equal(cmd_at(t, nb)->name, "hello");
	assert_string_equal(cmd_at(t, nb)->args, "[WHO]");
	assert_null(cmd_find(t, "bye"));
	/* The built-in table is not touched. */
	assert_int_equal(cmd_count(cmd_table_builtin()), nb);
	assert_null(cmd_find(cmd_table_builtin(), "hello"));

	/* Run with its data and the rest of the line. */
	assert_int_equal(cmd_exec(t, NULL, KEYMAP_NORMAL,
	    ":hello  the world", &err), 0);
	assert_int_equal(seen.calls, 1);
	assert_string_equal(seen.arg, "the world");
	assert_ptr_equal(seen.self, cmd_find(t, "hello"));
	assert_int_equal(cmd_exec(t, NULL, KEYMAP_INSERT, "hello", &err), 0);
	assert_int_equal(seen.calls, 2);
	assert_false(seen.had_arg);
	/* Its failure comes back as it said. */
	assert_int_equal(cmd_exec(t, NULL, KEYMAP_NORMAL, "hello fail", &err),
	    GL_EINVAL);
	assert_string_equal(err.msg, "hello: it failed");
	/* And with no err given. */
	assert_int_equal(cmd_exec(t, NULL, KEYMAP_NORMAL, "hello fail", NULL),
	    GL_EINVAL);
	assert_int_equal(seen.calls, 4);

	/* Removed, it is an unknown command again; a built-in one cannot be
	 * removed. */
	assert_int_equal(cmd_table_remove(t, "hello", &err), 0);
	assert_int_equal(cmd_exec(t, NULL, KEYMAP_NORMAL, "hello", &err),
	    GL_ENOTFOUND);
	assert_string_equal(err.msg,
	    "unknown command: hello (:help lists them)");
	assert_int_equal(cmd_table_remove(t, "hello", &err), GL_ENOTFOUND);
	assert_int_equal(cmd_table_remove(t, "run", &err), GL_EPERM);
	assert_int_equal(seen.calls, 4);
	cmd_table_free(t);
}

/* The guard the TUI sets: what it was asked about, and whether it
 * refuses commands that change the notebook (a viewer's). */
struct guard_seen {
	int		 calls;
	unsigned	 flags;
	bool		 viewer;
};

static struct guard_seen guard_seen;

static int
guard(struct app *a, const struct cmd_entry *e, struct gl_err *err)
{
	guard_seen.calls++;
	guard_seen.flags = e->flags;
	if (guard_seen.viewer && (e->flags & CMD_F_WRITE))
		return gl_err_set(err, GL_EPERM, "a viewer may not %s",
		    e->name);
	return 0;
}

/* Commands that change the notebook or run say so, motions say so, and
 * the guard sees every command before its handler, which it can refuse
 * (a viewer's edit is never applied, not even on the screen). */
static void
test_guard_and_flags(void **state)
{
	static const char *const writes[] = { "run", "run-next", "delete",
	    "cut", "paste-below", "move-up", "markdown", "undo", "redo",
	    "edit", "substitute", "add-below", "restart", "interrupt" };
	static const char *const moves[] = { "down", "up", "goto", "last",
	    "page-down", "scroll-up", "search-next", "edit" };
	static const char *const neither[] = { "members", "say", "follow",
	    "messages", "help", "write", "quit", "share", "output", "fold" };
	const struct cmd_table *b = cmd_table_builtin();
	struct cmd_table *t = cmd_table_new();
	struct seen	 seen = { 0 };
	struct gl_err	 err = { 0 };
	struct cmd_entry e = {
		.name = "poke", .help = "change something",
		.exec = plugin_exec, .data = &seen, .flags = CMD_F_WRITE,
	};

	for (size_t i = 0; i < sizeof writes / sizeof writes[0]; i++)
		assert_true(cmd_find(b, writes[i])->flags & CMD_F_WRITE);
	for (size_t i = 0; i < sizeof moves / sizeof moves[0]; i++)
		assert_true(cmd_find(b, moves[i])->flags & CMD_F_MOVE);
	for (size_t i = 0; i < sizeof neither / sizeof neither[0]; i++)
		assert_int_equal(cmd_find(b, neither[i])->flags &
		    (CMD_F_WRITE | CMD_F_MOVE), 0);

	assert_int_equal(cmd_table_add(t, &e, &err), 0);
	memset(&guard_seen, 0, sizeof guard_seen);
	cmd_table_set_guard(t, guard);
	assert_int_equal(cmd_exec(t, NULL, KEYMAP_NORMAL, "poke", &err), 0);
	assert_int_equal(seen.calls, 1);
	assert_int_equal(guard_seen.calls, 1);
	assert_int_equal(guard_seen.flags, CMD_F_WRITE);
	guard_seen.viewer = true;
	assert_int_equal(cmd_exec(t, NULL, KEYMAP_NORMAL, "poke", &err),
	    GL_EPERM);
	assert_string_equal(err.msg, "a viewer may not poke");
	assert_int_equal(seen.calls, 1);
	/* A command that does not run in the mode is not asked about. */
	assert_int_equal(cmd_exec(t, NULL, KEYMAP_NORMAL, "cl-exec", &err),
	    0);
	assert_int_equal(guard_seen.calls, 2);
	cmd_table_free(t);
}

static void
test_clashes_and_bad_entries(void **state)
{
	struct cmd_table *t = cmd_table_new();
	struct seen	 seen = { 0 };
	struct gl_err	 err = { 0 };
	struct cmd_entry e = { .name = "run", .args = "", .help = "mine",
	    .exec = plugin_exec, .data = &seen };
	char		 longname[CMD_NAME_MAX + 2];

	/* A built-in name. */
	assert_int_equal(cmd_table_add(t, &e, &err), GL_EEXIST);
	assert_non_null(strstr(err.msg, "run"));
	/* A name added before. */
	e.name = "lint";
	assert_int_equal(cmd_table_add(t, &e, &err), 0);
	assert_int_equal(cmd_table_add(t, &e, &err), GL_EEXIST);
	/* Names that are not one word, and no handler. */
	e.name = "";
	assert_int_equal(cmd_table_add(t, &e, &err), GL_EINVAL);
	e.name = "two words";
	assert_int_equal(cmd_table_add(t, &e, &err), GL_EINVAL);
	e.name = NULL;
	assert_int_equal(cmd_table_add(t, &e, &err), GL_EINVAL);
	memset(longname, 'x', sizeof longname - 1);
	longname[sizeof longname - 1] = '\0';
	e.name = longname;
	assert_int_equal(cmd_table_add(t, &e, &err), GL_EINVAL);
	longname[CMD_NAME_MAX] = '\0';
	assert_int_equal(cmd_table_add(t, &e, &err), 0);
	e.name = "noop";
	e.exec = NULL;
	assert_int_equal(cmd_table_add(t, &e, &err), GL_EINVAL);
	/* NULL args and help read as empty. */
	e.exec = plugin_exec;
	e.args = e.help = NULL;
	assert_int_equal(cmd_table_add(t, &e, &err), 0);
	assert_string_equal(cmd_find(t, "noop")->args, "");
	assert_string_equal(cmd_find(t, "noop")->help, "");
	cmd_table_free(t);
}

/* A command bound to a mode does nothing elsewhere. */
static void
test_modes(void **state)
{
	struct cmd_table *t = cmd_table_new();
	struct seen	 seen = { 0 };
	struct gl_err	 err = { 0 };
	struct cmd_entry e = { .name = "pl-insert", .args = "",
	    .help = "in insert mode", .exec = plugin_exec,
	    .modes = CMD_MODE(KEYMAP_INSERT) | CMD_MODE(KEYMAP_CMDLINE),
	    .data = &seen };

	assert_int_equal(cmd_table_add(t, &e, &err), 0);
	assert_int_equal(cmd_exec(t, NULL, KEYMAP_NORMAL, "pl-insert", &err),
	    0);
	assert_int_equal(seen.calls, 0);
	assert_int_equal(cmd_exec(t, NULL, KEYMAP_INSERT, "pl-insert", &err),
	    0);
	assert_int_equal(cmd_exec(t, NULL, KEYMAP_CMDLINE, "pl-insert",
	    &err), 0);
	assert_int_equal(seen.calls, 2);
	/* Empty lines do nothing. */
	assert_int_equal(cmd_exec(t, NULL, KEYMAP_NORMAL, " : ", &err), 0);
	cmd_table_free(t);
}

static bool
has(const struct cmd_matches *m, const char *s)
{
	for (size_t i = 0; i < m->n; i++)
		if (strcmp(m->v[i], s) == 0)
			return true;
	return false;
}

static void
test_completion(void **state)
{
	struct cmd_table *t = cmd_table_new();
	struct seen	 seen = { 0 };
	struct gl_err	 err = { 0 };
	struct cmd_matches m = { NULL, 0 };
	struct cmd_entry e = { .name = "rundown", .args = "[alpha|beta]",
	    .help = "a plugin's", .exec = plugin_exec, .words = "beta  bravo",
	    .complete = plugin_complete, .data = &seen };
	size_t		 at;

	assert_int_equal(cmd_table_add(t, &e, &err), 0);
	/* Names: key-only commands and aliases are not offered. */
	cmd_complete(t, NULL, "ru", 2, &at, &m);
	assert_int_equal(at, 0);
	assert_int_equal(m.n, 4);
	assert_string_equal(m.v[0], "run");
	assert_string_equal(m.v[3], "rundown");
	cmd_matches_clear(&m);
	cmd_complete(t, NULL, "cl-", 3, &at, &m);
	assert_int_equal(m.n, 0);
	cmd_complete(t, NULL, "w", 1, &at, &m);
	assert_true(has(&m, "w") && has(&m, "write") && has(&m, "wq"));
	assert_false(has(&m, "w!"));
	cmd_matches_clear(&m);
	/* Arguments: the completer's, then the words. */
	cmd_complete(t, NULL, "rundown b", 9, &at, &m);
	assert_int_equal(at, 8);
	assert_int_equal(m.n, 2);
	assert_string_equal(m.v[0], "beta");
	assert_string_equal(m.v[1], "bravo");
	cmd_matches_clear(&m);
	cmd_complete(t, NULL, "rundown  x", 8, &at, &m);
	assert_int_equal(m.n, 3);
	assert_string_equal(m.v[0], "alpha");
	cmd_matches_clear(&m);
	/* Built-in ones. */
	cmd_complete(t, NULL, "set ta", 6, &at, &m);
	assert_int_equal(m.n, 1);
	assert_string_equal(m.v[0], "tabstop");
	cmd_matches_clear(&m);
	cmd_complete(t, NULL, "map c", 5, &at, &m);
	assert_true(has(&m, "cmdline") && has(&m, "cluster"));
	assert_int_equal(m.n, 2);
	cmd_matches_clear(&m);
	cmd_complete(t, NULL, "nope a", 6, &at, &m);
	assert_int_equal(m.n, 0);
	cmd_table_free(t);
}

/* The keymap binds keys to added commands and lists them. */
static void
test_keymap_binds_added_commands(void **state)
{
	struct cmd_table *t = cmd_table_new();
	struct keymap	*km = keymap_new_with(t), *plain = keymap_new();
	struct seen	 seen = { 0 };
	struct gl_err	 err = { 0 };
	struct gl_buf	 help, md;
	const char	*cmd;
	struct cmd_entry e = { .name = "lint", .args = "[CELL]",
	    .help = "check the cell for globals", .exec = plugin_exec,
	    .data = &seen };

	assert_int_equal(keymap_set(km, KEYMAP_NORMAL, "L", "lint", &err),
	    GL_EINVAL);
	assert_int_equal(cmd_table_add(t, &e, &err), 0);
	assert_int_equal(keymap_set(km, KEYMAP_NORMAL, "L", "lint all", &err),
	    0);
	assert_int_equal(keymap_feed(km, KEYMAP_NORMAL, "L", &cmd),
	    KEYMAP_MATCH);
	assert_int_equal(cmd_exec(t, NULL, KEYMAP_NORMAL, cmd, &err), 0);
	assert_string_equal(seen.arg, "all");
	/* A keymap of the built-in commands does not know it. */
	assert_int_equal(keymap_set(plain, KEYMAP_NORMAL, "L", "lint", &err),
	    GL_EINVAL);
	gl_buf_init(&help);
	gl_buf_init(&md);
	keymap_help(km, &help);
	keymap_markdown(km, &md);
	assert_non_null(strstr(help.data, "L\tcheck the cell for globals "
	    "[lint all]\n"));
	assert_non_null(strstr(help.data, ":lint [CELL]\tcheck the cell for "
	    "globals\n"));
	assert_non_null(strstr(md.data, "| `lint` | `[CELL]` | check the "
	    "cell for globals |\n"));
	/* Aliases are listed nowhere. */
	assert_null(strstr(help.data, ":w!"));
	assert_null(strstr(md.data, "`w!`"));
	gl_buf_fini(&help);
	gl_buf_fini(&md);
	keymap_free(plain);
	keymap_free(km);
	cmd_table_free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_builtin_table),
		cmocka_unit_test(test_plugin_command),
		cmocka_unit_test(test_guard_and_flags),
		cmocka_unit_test(test_clashes_and_bad_entries),
		cmocka_unit_test(test_modes),
		cmocka_unit_test(test_completion),
		cmocka_unit_test(test_keymap_binds_added_commands),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

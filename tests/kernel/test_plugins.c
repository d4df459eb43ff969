/*
 * test_plugins.c - kernel-side plugins through a real kernel: each hook
 * fires (on_join, before_save, before_run, after_run, and before_run for
 * a cell's cluster.map), a refusal stops the action with the plugin's
 * message as the request's error, an erroring plugin and a looping one
 * are stopped while the session goes on, plugins.list says what loaded
 * from where, and a plugin added while the kernel runs is loaded at the
 * next join. Each test has its own kernel and $XDG_CONFIG_HOME; the
 * plugins are the project's (.galley/plugins/).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "kfixture.h"

struct fx {
	struct kt	 t;
	char		 cfgdir[200];	/* $XDG_CONFIG_HOME */
	char		 pdir[200];	/* proj/.galley/plugins */
	struct kc	*k;
};

#define assert_contains(hay, needle) do {				\
	const char *h_ = (hay), *n_ = (needle);				\
	if (h_ == NULL || strstr(h_, n_) == NULL)			\
		fail_msg("'%s' does not contain '%s'", h_ ? h_ : "(null)", \
		    n_);						\
} while (0)

static void
fx_mkdir(const char *path)
{
	assert_true(mkdir(path, 0755) == 0 || errno == EEXIST);
}

static void
fx_plugin(struct fx *f, const char *name, const char *text)
{
	free(kt_write(f->pdir, name, text));
}

static void
fx_user_config(struct fx *f, const char *text)
{
	char	 dir[256];

	snprintf(dir, sizeof dir, "%s/galley", f->cfgdir);
	fx_mkdir(dir);
	free(kt_write(dir, "init.lua", text));
}

static int
setup(void **state)
{
	struct fx	*f = xcalloc(1, sizeof *f);
	char		 st[256], d[180];

	kt_init(&f->t);
	snprintf(f->cfgdir, sizeof f->cfgdir, "%s/config", f->t.root);
	fx_mkdir(f->cfgdir);
	snprintf(st, sizeof st, "%s/state", f->t.root);
	fx_mkdir(st);
	setenv("XDG_CONFIG_HOME", f->cfgdir, 1);
	setenv("XDG_STATE_HOME", st, 1);
	snprintf(d, sizeof d, "%s/.galley", f->t.proj);
	fx_mkdir(d);
	snprintf(f->pdir, sizeof f->pdir, "%s/plugins", d);
	fx_mkdir(f->pdir);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx	*f = *state;
	int		 st;

	kc_free(f->k);
	st = kt_stop(&f->t);
	kt_fini(&f->t);
	unsetenv("XDG_CONFIG_HOME");
	unsetenv("XDG_STATE_HOME");
	free(f);
	/* A kernel that leaked or crashed fails the test. */
	assert_int_equal(st, 0);
	return 0;
}

static void
fx_start(struct fx *f)
{
	assert_true(kt_start(&f->t) > 0);
	f->k = kt_conn(&f->t);
}

/* session.open of name (written with text); returns the answer. */
static json_t *
fx_open(struct fx *f, const char *name, const char *text)
{
	char	*nb = kt_write(f->t.proj, name, text);
	json_t	*r = kc_call(f->k, "session.open", json_pack("{s:s}", "path",
	    nb));

	free(nb);
	return r;
}

static json_t *
fx_run(struct fx *f, const char *sid, const char *cell)
{
	return kc_call(f->k, "cell.run", json_pack("{s:s, s:[s]}", "session",
	    sid, "cells", cell));
}

/* Runs cell and waits for its cell.done. */
static json_t *
fx_run_done(struct fx *f, const char *sid, const char *cell)
{
	json_t		*r = fx_run(f, sid, cell), *n;
	long long	 run;

	assert_non_null(r);
	run = kj_int(json_array_get(json_object_get(r, "runs"), 0), "run");
	json_decref(r);
	n = kc_note(f->k, "cell.done", "run", json_integer(run), KC_WAIT_MS);
	assert_non_null(n);
	return n;
}

static const char *
warning(const json_t *r, size_t i)
{
	return json_string_value(json_array_get(json_object_get(r,
	    "warnings"), i));
}

static char *
outputs(struct fx *f, const char *sid, const char *cell)
{
	json_t	*o = kc_call(f->k, "cell.outputs", json_pack("{s:s, s:s}",
	    "session", sid, "cell", cell));
	char	*text;

	assert_non_null(o);
	text = kj_outputs_text(json_object_get(o, "outputs"));
	json_decref(o);
	return text;
}

static void
test_on_join(void **state)
{
	struct fx	*f = *state;
	json_t		*r;

	fx_plugin(f, "door.lua",
	    "galley.on('on_join', function(ev)\n"
	    "  if ev.notebook:find('secret') then\n"
	    "    return false, 'not for ' .. ev.user\n"
	    "  end\n"
	    "  galley.warn('welcome, ' .. (ev.session or 'new') .. ' ' ..\n"
	    "    ev.members)\n"
	    "end)\n");
	fx_start(f);
	r = fx_open(f, "secret.nb.lua", "-- %% id=\"a\"\n1\n");
	assert_null(r);
	assert_int_equal(f->k->code, GL_EPERM);
	assert_contains(f->k->msg, "plugin door: not for ");
	r = fx_open(f, "open.nb.lua", "-- %% id=\"a\"\n1\n");
	assert_non_null(r);
	assert_string_equal(warning(r, 0), "plugin door: welcome, new 0");
	json_decref(r);
	/* Joining the open session: it has one member already. */
	r = fx_open(f, "open.nb.lua", "-- %% id=\"a\"\n1\n");
	assert_non_null(r);
	assert_string_equal(warning(r, 0), "plugin door: welcome, s1 1");
	json_decref(r);
}

static void
test_before_save(void **state)
{
	struct fx	*f = *state;
	json_t		*r;
	char		*sid, *path, *text;

	fx_plugin(f, "nosave.lua",
	    "galley.on('before_save', function(ev)\n"
	    "  if ev.text:find('TODO') then\n"
	    "    return false, ev.notebook:match('[^/]*$') .. ' has a TODO'\n"
	    "  end\n"
	    "  galley.warn('saving version ' .. ev.version)\n"
	    "end)\n");
	fx_start(f);
	r = fx_open(f, "s.nb.lua", "-- %% id=\"a\"\nx = 1 -- TODO\n");
	sid = xstrdup(kj_str(r, "session"));
	json_decref(r);
	r = kc_call(f->k, "doc.save", json_pack("{s:s}", "session", sid));
	assert_null(r);
	assert_int_equal(f->k->code, GL_EPERM);
	assert_string_equal(f->k->msg, "plugin nosave: s.nb.lua has a TODO");
	free(sid);
	/* Without a TODO it saves, with the plugin's word. */
	path = xasprintf("%s/t.nb.lua", f->t.proj);
	r = fx_open(f, "t.nb.lua", "-- %% id=\"a\"\nx = 2\n");
	sid = xstrdup(kj_str(r, "session"));
	json_decref(r);
	r = kc_call(f->k, "doc.save", json_pack("{s:s}", "session", sid));
	assert_non_null(r);
	assert_string_equal(warning(r, 0), "plugin nosave: saving version 0");
	json_decref(r);
	text = kt_read(path);
	assert_string_equal(text, "-- %% id=\"a\"\nx = 2\n");
	free(text);
	free(path);
	free(sid);
}

/* A notebook kept on the client's machine (session.open client_file)
 * is saved by the client, but the kernel's before_save policy still
 * decides: a refusal sends no text back. Its plugins are the kernel
 * user's (~/.config/galley/plugins/): the kernel's host has no project
 * for a file it does not have. */
static void
test_before_save_client_file(void **state)
{
	struct fx	*f = *state;
	json_t		*r;
	char		 dir[256], *sid;

	snprintf(dir, sizeof dir, "%s/galley", f->cfgdir);
	fx_mkdir(dir);
	snprintf(dir, sizeof dir, "%s/galley/plugins", f->cfgdir);
	fx_mkdir(dir);
	free(kt_write(dir, "nosave.lua",
	    "galley.on('before_save', function(ev)\n"
	    "  if ev.text:find('TODO') then\n"
	    "    return false, 'not with a TODO'\n"
	    "  end\n"
	    "end)\n"));
	fx_start(f);
	r = kc_call(f->k, "session.open", json_pack("{s:s, s:s, s:b}", "path",
	    "laptop:/home/ann/c.nb.lua", "text",
	    "-- %% id=\"a\"\nx = 1 -- TODO\n", "client_file", 1));
	assert_non_null(r);
	sid = xstrdup(kj_str(r, "session"));
	json_decref(r);
	r = kc_call(f->k, "doc.save", json_pack("{s:s}", "session", sid));
	assert_null(r);
	assert_int_equal(f->k->code, GL_EPERM);
	assert_string_equal(f->k->msg, "plugin nosave: not with a TODO");
	free(sid);
}

static void
test_before_and_after_run(void **state)
{
	struct fx	*f = *state;
	json_t		*r, *n;
	char		*sid, *out;

	fx_plugin(f, "gate.lua",
	    "galley.on('before_run', function(ev)\n"
	    "  if ev.cell == 'no' then\n"
	    "    return false, 'cell ' .. ev.cell .. ' may not run'\n"
	    "  end\n"
	    "  galley.warn(ev.what .. ' ' .. ev.kind .. ': ' .. ev.source)\n"
	    "end)\n"
	    "galley.on('after_run', function(ev)\n"
	    "  galley.warn(ev.cell .. ' ended ' .. ev.status .. ' ' ..\n"
	    "    tostring(ev.message))\n"
	    "end)\n");
	fx_start(f);
	r = fx_open(f, "r.nb.lua", "-- %% id=\"yes\"\nprint('ran')\n\n"
	    "-- %% id=\"no\"\nprint('must not')\n\n"
	    "-- %% id=\"bad\"\nerror('oops')\n");
	sid = xstrdup(kj_str(r, "session"));
	json_decref(r);
	/* A refusal is cell.run's error; nothing is queued. */
	r = kc_call(f->k, "cell.run", json_pack("{s:s, s:[s,s]}", "session",
	    sid, "cells", "yes", "no"));
	assert_null(r);
	assert_int_equal(f->k->code, GL_EPERM);
	assert_string_equal(f->k->msg, "plugin gate: cell no may not run");
	/* Allowed: the warnings come back with cell.run... */
	r = fx_run(f, sid, "yes");
	assert_non_null(r);
	assert_string_equal(warning(r, 0), "plugin gate: cell code: "
	    "print('ran')");
	json_decref(r);
	n = kc_note(f->k, "cell.done", "cell", json_string("yes"),
	    KC_WAIT_MS);
	assert_non_null(n);
	assert_string_equal(kj_str(n, "status"), "ok");
	json_decref(n);
	/* ... and after_run's go into the cell's outputs. */
	out = outputs(f, sid, "yes");
	assert_string_equal(out, "ran\ngalley: plugin gate: yes ended ok "
	    "nil\n");
	free(out);
	n = fx_run_done(f, sid, "bad");
	assert_string_equal(kj_str(n, "status"), "error");
	json_decref(n);
	out = outputs(f, sid, "bad");
	assert_contains(out, "galley: plugin gate: bad ended error ");
	assert_contains(out, "oops");
	free(out);
	assert_int_equal(kc_drain_notes(f->k, "cell.started"), 2);
	free(sid);
}

static void
test_cluster_map_policy(void **state)
{
	struct fx	*f = *state;
	json_t		*r, *n;
	char		*sid, *out;

	/* The bundled working_hours plugin, its clock on a Saturday
	 * night. */
	setenv("TZ", "UTC", 1);
	fx_user_config(f, "cluster = { workers = 1 }\n"
	    "plugins = { enable = { 'working_hours' },\n"
	    "  working_hours = { max_items = 3,\n"
	    "    now = function() return 1736028000 end } }\n");
	fx_start(f);
	r = fx_open(f, "m.nb.lua",
	    "-- %% id=\"big\"\n"
	    "local ok, err = pcall(cluster.map, function(x) return x end,\n"
	    "  { 1, 2, 3, 4, 5 })\n"
	    "print(ok, err)\n\n"
	    "-- %% id=\"small\"\n"
	    "print(#cluster.map(function(x) return x * 2 end, { 1, 2 }))\n");
	sid = xstrdup(kj_str(r, "session"));
	json_decref(r);
	n = fx_run_done(f, sid, "big");
	assert_string_equal(kj_str(n, "status"), "ok");
	json_decref(n);
	out = outputs(f, sid, "big");
	assert_contains(out, "false\t");
	assert_contains(out, "plugin working_hours: cluster.map over 3 items "
	    "(this one has 5) runs only in working hours");
	free(out);
	/* A small map is none of its business. */
	n = fx_run_done(f, sid, "small");
	assert_string_equal(kj_str(n, "status"), "ok");
	json_decref(n);
	out = outputs(f, sid, "small");
	assert_string_equal(out, "2\n");
	free(out);
	free(sid);
	unsetenv("TZ");
}

static void
test_erroring_and_looping_plugins(void **state)
{
	struct fx	*f = *state;
	json_t		*r, *n, *l, *p;
	char		*sid, *out;
	size_t		 i;

	fx_user_config(f, "plugins = { budget = 200000 }\n");
	fx_plugin(f, "a_broken.lua",
	    "galley.on('before_run', function(ev)\n"
	    "  return ev.nothing.here\n"
	    "end)\n");
	fx_plugin(f, "b_spin.lua",
	    "galley.on('before_run', function() while true do end end)\n");
	fx_start(f);
	r = fx_open(f, "e.nb.lua", "-- %% id=\"a\"\nprint('still runs')\n");
	sid = xstrdup(kj_str(r, "session"));
	json_decref(r);
	r = fx_run(f, sid, "a");
	assert_non_null(r);
	assert_string_equal(warning(r, 0), "plugin a_broken: "
	    ".galley/plugins/a_broken.lua:2: attempt to index a nil value "
	    "(field 'nothing')");
	assert_string_equal(warning(r, 1), "plugin b_spin disabled: hook "
	    "before_run ran too long (over 200000 instructions; "
	    "plugins.budget)");
	json_decref(r);
	n = kc_note(f->k, "cell.done", "cell", json_string("a"), KC_WAIT_MS);
	assert_non_null(n);
	assert_string_equal(kj_str(n, "status"), "ok");
	json_decref(n);
	out = outputs(f, sid, "a");
	assert_string_equal(out, "still runs\n");
	free(out);
	/* The loop is not called again; the error is, each time. */
	r = fx_run(f, sid, "a");
	assert_non_null(r);
	assert_int_equal(json_array_size(json_object_get(r, "warnings")), 1);
	json_decref(r);
	assert_non_null(n = kc_note(f->k, "cell.done", "cell",
	    json_string("a"), KC_WAIT_MS));
	json_decref(n);
	/* plugins.list says so. */
	l = kc_call(f->k, "plugins.list", json_pack("{s:s}", "project",
	    f->t.proj));
	assert_non_null(l);
	assert_string_equal(kj_str(l, "project"), f->t.proj);
	json_array_foreach(json_object_get(l, "plugins"), i, p) {
		if (strcmp(kj_str(p, "name"), "b_spin") == 0) {
			assert_string_equal(kj_str(p, "state"), "disabled");
			assert_string_equal(kj_str(p, "origin"), "project");
			assert_contains(kj_str(p, "error"), "ran too long");
		} else {
			assert_string_equal(kj_str(p, "name"), "a_broken");
			assert_string_equal(kj_str(p, "state"), "loaded");
			assert_string_equal(json_string_value(json_array_get(
			    json_object_get(p, "provides"), 0)),
			    "hook before_run");
		}
	}
	assert_int_equal(json_array_size(json_object_get(l, "plugins")), 2);
	json_decref(l);
	free(sid);
}

static void
test_list_and_reload(void **state)
{
	struct fx	*f = *state;
	json_t		*r, *l, *p;
	char		*path;

	fx_user_config(f, "plugins = { enable = { 'lint' } }\n");
	fx_plugin(f, "broken.lua", "galley.on('before_run',\n");
	fx_start(f);
	l = kc_call(f->k, "plugins.list", json_pack("{s:s}", "project",
	    f->t.proj));
	assert_non_null(l);
	assert_int_equal(json_array_size(json_object_get(l, "plugins")), 2);
	p = json_array_get(json_object_get(l, "plugins"), 0);
	assert_string_equal(kj_str(p, "name"), "lint");
	assert_string_equal(kj_str(p, "origin"), "bundled");
	assert_string_equal(kj_str(p, "path"), "plugins/lint.lua");
	assert_string_equal(kj_str(p, "state"), "loaded");
	p = json_array_get(json_object_get(l, "plugins"), 1);
	assert_string_equal(kj_str(p, "state"), "failed");
	assert_contains(kj_str(p, "error"), ".galley/plugins/broken.lua:2:");
	path = xasprintf("%s/broken.lua", f->pdir);
	assert_string_equal(kj_str(p, "path"), path);
	free(path);
	json_decref(l);
	/* Added while the kernel runs: the next join loads it. */
	fx_plugin(f, "late.lua",
	    "galley.on('on_join', function() galley.warn('late') end)\n");
	r = fx_open(f, "j.nb.lua", "-- %% id=\"a\"\n1\n");
	assert_non_null(r);
	assert_string_equal(warning(r, 0), "plugin late: late");
	json_decref(r);
	/* A bad project is refused. */
	assert_null(kc_call(f->k, "plugins.list", json_pack("{s:s}",
	    "project", "relative")));
	assert_int_equal(f->k->code, GL_EINVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_on_join, setup, teardown),
		cmocka_unit_test_setup_teardown(test_before_save, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_before_save_client_file,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_before_and_after_run,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_cluster_map_policy, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_erroring_and_looping_plugins, setup, teardown),
		cmocka_unit_test_setup_teardown(test_list_and_reload, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

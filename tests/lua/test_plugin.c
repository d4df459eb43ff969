/*
 * test_plugin.c - the plugin host (lua/plugin.c): real plugin files in a
 * temporary user directory and project, loaded into hosts of both sides.
 * Each hook fires with its event; a refusal stops with its message; an
 * error is a warning naming the file and line; a plugin that loops or
 * eats memory is stopped and disabled and the host goes on; a file that
 * fails leaves nothing registered; shadowing, plugins.enable and
 * .disable; commands, views, completion and status parts through fake
 * TUI operations; io only where allowed; the bundled plugins.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/err.h"
#include "core/mem.h"
#include "core/rpc.h"
#include "lua/plugin.h"

struct fx {
	char	 dir[64];
	char	*init;		/* DIR/init.lua */
	char	*udir;		/* DIR/plugins */
	char	*proj;		/* DIR/proj */
	char	*pdir;		/* DIR/proj/.galley/plugins */
	/* What the fake TUI saw. */
	char	 msg[1024];
	bool	 msg_err;
	char	 title[128];
	char	 shown[1024];
	char	 method[64];
	char	 exec[128];
	int	 calls;
};

#define assert_contains(hay, needle) do {				\
	const char *h_ = (hay), *n_ = (needle);				\
	if (h_ == NULL || strstr(h_, n_) == NULL)			\
		fail_msg("'%s' does not contain '%s'", h_ ? h_ : "(null)", \
		    n_);						\
} while (0)

static void
rmtree(const char *path)
{
	char	*cmd = xasprintf("rm -rf '%s'", path);

	assert_int_equal(system(cmd), 0);
	free(cmd);
}

static int
setup(void **state)
{
	struct fx	*f = xcalloc(1, sizeof *f);
	char		*d;

	snprintf(f->dir, sizeof f->dir, "/tmp/gl-plugin-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	f->init = xasprintf("%s/init.lua", f->dir);
	f->udir = xasprintf("%s/plugins", f->dir);
	f->proj = xasprintf("%s/proj", f->dir);
	f->pdir = xasprintf("%s/proj/.galley/plugins", f->dir);
	assert_int_equal(mkdir(f->udir, 0700), 0);
	assert_int_equal(mkdir(f->proj, 0700), 0);
	d = xasprintf("%s/.galley", f->proj);
	assert_int_equal(mkdir(d, 0700), 0);
	free(d);
	assert_int_equal(mkdir(f->pdir, 0700), 0);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	rmtree(f->dir);
	free(f->init);
	free(f->udir);
	free(f->proj);
	free(f->pdir);
	free(f);
	return 0;
}

static void
put(const char *dir, const char *name, const char *text)
{
	char	*path = name != NULL ? xasprintf("%s/%s", dir, name) :
	    xstrdup(dir);
	FILE	*fp = fopen(path, "w");

	assert_non_null(fp);
	assert_true(fputs(text, fp) >= 0);
	assert_int_equal(fclose(fp), 0);
	free(path);
}

static struct plg_host *
host(struct fx *f, enum cfg_side side)
{
	struct plg_opts	 o = {
		.side = side,
		.user_config = f->init,
		.project_dir = f->proj,
		.user_dir = f->udir,
	};
	struct gl_err	 err = { 0 };
	struct plg_host	*h = plg_host_new(&o, &err);

	if (h == NULL)
		fail_msg("no host: %s", err.msg);
	return h;
}

static const struct plg_info *
find(struct plg_host *h, const char *name)
{
	for (size_t i = 0; i < plg_count(h); i++)
		if (strcmp(plg_at(h, i)->name, name) == 0)
			return plg_at(h, i);
	fail_msg("no plugin %s", name);
	return NULL;
}

static bool
provides(const struct plg_info *p, const char *what)
{
	for (size_t i = 0; i < p->nprovides; i++)
		if (strcmp(p->provides[i], what) == 0)
			return true;
	return false;
}

/* Runs hook with a small event; returns the result (caller finis). */
static struct plg_result
run(struct plg_host *h, enum plg_hook hook, const char *cell)
{
	struct plg_result	 r = { 0 };
	struct plg_val		 ev[] = {
		PLG_STR("session", "s1"),
		PLG_STR("notebook", "/p/a.nb.lua"),
		PLG_STR("cell", cell),
		PLG_STR("what", "cell"),
		PLG_INT("items", 3),
	};

	plg_hook_run(h, hook, ev, sizeof ev / sizeof ev[0], &r);
	return r;
}

static void
test_each_hook_fires(void **state)
{
	struct fx		*f = *state;
	struct plg_host		*h;
	struct plg_result	 r;
	static const char *const hooks[] = { "before_save", "before_run",
	    "after_run", "before_publish", "on_review_comment", "on_join" };

	/* One plugin warns from every hook with what it was given. */
	put(f->udir, "all.lua",
	    "for _, k in ipairs{'before_save', 'before_run', 'after_run',\n"
	    "    'before_publish', 'on_review_comment', 'on_join'} do\n"
	    "  galley.on(k, function(ev)\n"
	    "    galley.warn(k .. ' ' .. ev.cell .. ' ' .. ev.items ..\n"
	    "      ' ' .. galley.side)\n"
	    "  end)\n"
	    "end\n");
	h = host(f, CFG_SIDE_KERNEL);
	assert_int_equal(find(h, "all")->state, PLG_LOADED);
	assert_true(provides(find(h, "all"), "hook on_join"));
	for (int k = 0; k < PLG_NHOOKS; k++) {
		char	 want[128];

		assert_true(plg_hook_wanted(h, (enum plg_hook)k));
		assert_string_equal(plg_hook_name((enum plg_hook)k), hooks[k]);
		r = run(h, (enum plg_hook)k, "c1");
		assert_false(r.refused);
		assert_int_equal(r.nwarnings, 1);
		snprintf(want, sizeof want, "plugin all: %s c1 3 kernel",
		    hooks[k]);
		assert_string_equal(r.warnings[0], want);
		plg_result_fini(&r);
	}
	plg_host_free(h);
}

static void
test_refusal_stops_with_its_message(void **state)
{
	struct fx		*f = *state;
	struct plg_host		*h;
	struct plg_result	 r;

	put(f->udir, "a_policy.lua",
	    "galley.on('before_run', function(ev)\n"
	    "  if ev.cell == 'bad' then return false, 'no running ' .. ev.cell end\n"
	    "end)\n");
	/* A later plugin's hook does not run once one refused. */
	put(f->udir, "b_after.lua",
	    "galley.on('before_run', function(ev) galley.warn('ran') end)\n");
	h = host(f, CFG_SIDE_KERNEL);
	r = run(h, PLG_BEFORE_RUN, "good");
	assert_false(r.refused);
	assert_int_equal(r.nwarnings, 1);
	plg_result_fini(&r);
	r = run(h, PLG_BEFORE_RUN, "bad");
	assert_true(r.refused);
	assert_string_equal(r.message, "plugin a_policy: no running bad");
	assert_int_equal(r.nwarnings, 0);
	plg_result_fini(&r);
	/* Hooks nobody registered cost nothing and say nothing. */
	assert_false(plg_hook_wanted(h, PLG_BEFORE_SAVE));
	r = run(h, PLG_BEFORE_SAVE, "x");
	assert_false(r.refused);
	assert_int_equal(r.nwarnings, 0);
	plg_result_fini(&r);
	plg_host_free(h);
}

static void
test_error_names_file_and_line(void **state)
{
	struct fx		*f = *state;
	struct plg_host		*h;
	struct plg_result	 r;
	char			*want;

	put(f->udir, "oops.lua",
	    "galley.on('before_save', function(ev)\n"
	    "  local t = nil\n"
	    "  return t.field\n"
	    "end)\n");
	h = host(f, CFG_SIDE_KERNEL);
	for (int i = 0; i < 2; i++) {
		r = run(h, PLG_BEFORE_SAVE, "c");
		/* Not a refusal: the action goes on, the user is told. */
		assert_false(r.refused);
		assert_int_equal(r.nwarnings, 1);
		want = xasprintf("plugin oops: %s/oops.lua:3: attempt to index",
		    f->udir);
		assert_contains(r.warnings[0], want);
		free(want);
		plg_result_fini(&r);
	}
	/* An error does not disable it. */
	assert_int_equal(find(h, "oops")->state, PLG_LOADED);
	plg_host_free(h);
}

static void
test_loop_and_memory_are_stopped(void **state)
{
	struct fx		*f = *state;
	struct plg_host		*h;
	struct plg_result	 r;

	put(f->init, NULL, "plugins = { budget = 100000, memory = 1000000 }\n");
	put(f->udir, "loop.lua",
	    "galley.on('before_run', function()\n"
	    "  while true do pcall(function() while true do end end) end\n"
	    "end)\n");
	put(f->udir, "hog.lua",
	    "galley.on('after_run', function()\n"
	    "  local t = {}\n"
	    "  for i = 1, 1e7 do t[i] = ('x'):rep(64) .. i end\n"
	    "end)\n");
	put(f->udir, "ok.lua",
	    "galley.on('before_run', function() galley.warn('still here') "
	    "end)\n");
	h = host(f, CFG_SIDE_KERNEL);
	r = run(h, PLG_BEFORE_RUN, "c");
	assert_false(r.refused);
	assert_int_equal(r.nwarnings, 2);
	assert_string_equal(r.warnings[0], "plugin loop disabled: hook "
	    "before_run ran too long (over 100000 instructions; "
	    "plugins.budget)");
	assert_string_equal(r.warnings[1], "plugin ok: still here");
	plg_result_fini(&r);
	assert_int_equal(find(h, "loop")->state, PLG_DISABLED);
	assert_contains(find(h, "loop")->error, "ran too long");
	/* Disabled: it is not called again. */
	r = run(h, PLG_BEFORE_RUN, "c");
	assert_int_equal(r.nwarnings, 1);
	plg_result_fini(&r);

	r = run(h, PLG_AFTER_RUN, "c");
	assert_int_equal(r.nwarnings, 1);
	assert_contains(r.warnings[0], "plugin hog disabled: hook after_run "
	    "used more than");
	plg_result_fini(&r);
	assert_false(plg_hook_wanted(h, PLG_AFTER_RUN));
	/* The host is fine. */
	r = run(h, PLG_BEFORE_RUN, "c");
	assert_int_equal(r.nwarnings, 1);
	assert_string_equal(r.warnings[0], "plugin ok: still here");
	plg_result_fini(&r);
	plg_host_free(h);
}

static void
test_failed_file_leaves_nothing(void **state)
{
	struct fx	*f = *state;
	struct plg_host	*h;
	const struct plg_info *p;
	char		*want;

	put(f->udir, "half.lua",
	    "galley.on('before_save', function() return false, 'x' end)\n"
	    "galley.keymap.set('normal', 'gh', 'half')\n"
	    "error('broken on purpose')\n");
	put(f->udir, "syntax.lua", "galley.on('before_save', function()\n");
	put(f->udir, "slow.lua", "while true do end\n");
	put(f->udir, "badhook.lua", "galley.on('before_lunch', function() end)\n");
	put(f->init, NULL, "plugins = { budget = 100000 }\n");
	h = host(f, CFG_SIDE_TUI);
	p = find(h, "half");
	assert_int_equal(p->state, PLG_FAILED);
	want = xasprintf("%s/half.lua:3: broken on purpose", f->udir);
	assert_contains(p->error, want);
	free(want);
	assert_int_equal(p->nprovides, 0);
	assert_false(plg_hook_wanted(h, PLG_BEFORE_SAVE));
	/* Its key binding is forgotten too. */
	assert_int_equal(cfg_host_tui(plg_host_cfg(h))->nkeys, 0);
	assert_int_equal(find(h, "syntax")->state, PLG_FAILED);
	assert_contains(find(h, "syntax")->error, "syntax.lua:2:");
	assert_int_equal(find(h, "slow")->state, PLG_DISABLED);
	assert_contains(find(h, "slow")->error, "its file ran too long");
	assert_contains(find(h, "badhook")->error, "badhook.lua:1: galley.on: "
	    "no hook 'before_lunch'");
	plg_host_free(h);
}

static void
test_where_plugins_come_from(void **state)
{
	struct fx	*f = *state;
	struct plg_host	*h;
	const struct plg_info *p;

	put(f->init, NULL, "plugins = { enable = { 'lint', 'nosuch' },\n"
	    "  disable = { 'off' } }\n");
	put(f->udir, "mine.lua", "galley.on('on_join', function() end)\n");
	put(f->udir, "both.lua", "galley.on('on_join', function() end)\n");
	put(f->udir, "off.lua", "error('must not run')\n");
	put(f->pdir, "both.lua", "galley.on('before_save', function() end)\n");
	h = host(f, CFG_SIDE_KERNEL);
	p = find(h, "lint");
	assert_int_equal(p->origin, PLG_BUNDLED);
	assert_int_equal(p->state, PLG_LOADED);
	assert_string_equal(p->path, "plugins/lint.lua");
	assert_true(provides(p, "hook after_run"));
	assert_int_equal(find(h, "nosuch")->state, PLG_FAILED);
	assert_contains(find(h, "nosuch")->error, "no bundled plugin");
	assert_int_equal(find(h, "mine")->origin, PLG_USER);
	assert_int_equal(find(h, "off")->state, PLG_DISABLED);
	/* The project's "both" shadows the user's. */
	for (size_t i = 0; i < plg_count(h); i++) {
		p = plg_at(h, i);
		if (strcmp(p->name, "both") != 0)
			continue;
		if (p->origin == PLG_USER) {
			assert_int_equal(p->state, PLG_SHADOWED);
			assert_contains(p->error, f->pdir);
		} else {
			assert_int_equal(p->origin, PLG_PROJECT);
			assert_int_equal(p->state, PLG_LOADED);
			assert_true(provides(p, "hook before_save"));
		}
	}
	/* Bundled plugins not enabled are not loaded at all. */
	for (size_t i = 0; i < plg_count(h); i++)
		assert_string_not_equal(plg_at(h, i)->name, "working_hours");
	assert_string_equal(plg_state_name(PLG_SHADOWED), "shadowed");
	assert_string_equal(plg_origin_name(PLG_PROJECT), "project");
	plg_host_free(h);
}

static void
test_sandbox_io(void **state)
{
	struct fx		*f = *state;
	struct plg_host		*h;
	struct plg_result	 r;
	static const char *probe =
	    "galley.on('on_join', function()\n"
	    "  galley.warn(tostring(io ~= nil) .. ' ' ..\n"
	    "    tostring(os.execute ~= nil) .. ' ' .. tostring(os.exit) ..\n"
	    "    ' ' .. type(os.time()) .. ' ' .. tostring(require))\n"
	    "end)\n";

	put(f->udir, "probe.lua", probe);
	h = host(f, CFG_SIDE_KERNEL);
	r = run(h, PLG_ON_JOIN, "c");
	assert_string_equal(r.warnings[0], "plugin probe: false false nil "
	    "number nil");
	plg_result_fini(&r);
	plg_host_free(h);
	/* The TUI side has io and os, less os.exit. */
	h = host(f, CFG_SIDE_TUI);
	r = run(h, PLG_ON_JOIN, "c");
	assert_string_equal(r.warnings[0], "plugin probe: true true nil "
	    "number nil");
	plg_result_fini(&r);
	plg_host_free(h);
	/* The user's init.lua may allow io in the kernel... */
	put(f->init, NULL, "plugins = { allow_io = true }\n");
	h = host(f, CFG_SIDE_KERNEL);
	r = run(h, PLG_ON_JOIN, "c");
	assert_string_equal(r.warnings[0], "plugin probe: true true nil "
	    "number nil");
	plg_result_fini(&r);
	plg_host_free(h);
	/* ... a project's file may not. */
	unlink(f->init);
	put(f->proj, ".galley/config.lua", "plugins = { allow_io = true }\n");
	h = host(f, CFG_SIDE_KERNEL);
	assert_int_equal(find(h, "config")->state, PLG_FAILED);
	assert_contains(find(h, "config")->error, "plugins.allow_io: only "
	    "the user's init.lua");
	r = run(h, PLG_ON_JOIN, "c");
	assert_string_equal(r.warnings[0], "plugin probe: false false nil "
	    "number nil");
	plg_result_fini(&r);
	plg_host_free(h);
}

static void
test_api_outside_plugins(void **state)
{
	struct fx	*f = *state;
	struct plg_host	*h;
	char		*want;

	put(f->init, NULL, "galley.on('on_join', function() end)\n");
	h = host(f, CFG_SIDE_TUI);
	want = xasprintf("%s:1: galley.on: only a plugin's file", f->init);
	assert_contains(find(h, "config")->error, want);
	free(want);
	plg_host_free(h);
	/* A configuration host without plugins says the same. */
	{
		struct gl_err	 err = { 0 };
		struct cfg	*c = cfg_load_files(f->init, NULL, &err);

		assert_null(c);
		assert_contains(err.msg, "galley.on: only a plugin's file");
	}
}

/* The fake TUI. */
static void
fake_message(void *ctx, bool error, const char *text)
{
	struct fx *f = ctx;

	snprintf(f->msg, sizeof f->msg, "%s", text);
	f->msg_err = error;
}

static void
fake_show(void *ctx, const char *title, const char *text)
{
	struct fx *f = ctx;

	snprintf(f->title, sizeof f->title, "%s", title);
	snprintf(f->shown, sizeof f->shown, "%s", text);
}

static int
fake_exec(void *ctx, const char *line, struct gl_err *err)
{
	struct fx *f = ctx;

	snprintf(f->exec, sizeof f->exec, "%s", line);
	if (strcmp(line, "nope") == 0)
		return gl_err_set(err, GL_ENOTFOUND, "unknown command: nope");
	return 0;
}

static int
fake_call(void *ctx, const char *method,
    void (*pack)(msgpack_packer *, void *), void *pctx,
    struct rpc_msg *resp, struct gl_err *err)
{
	struct fx		*f = ctx;
	msgpack_sbuffer		 sb, args;
	msgpack_packer		 pk;
	msgpack_unpacked	 u;
	struct rpc_writer	 w;
	int			 rc;

	f->calls++;
	snprintf(f->method, sizeof f->method, "%s", method);
	if (strcmp(method, "usage.report") != 0)
		return gl_err_set(err, GL_EINVAL, "no method %s", method);
	/* The arguments the plugin packed. */
	msgpack_sbuffer_init(&args);
	msgpack_packer_init(&pk, &args, msgpack_sbuffer_write);
	pack(&pk, pctx);
	msgpack_unpacked_init(&u);
	assert_int_equal(msgpack_unpack_next(&u, args.data, args.size, NULL),
	    MSGPACK_UNPACK_SUCCESS);
	assert_true(rpc_obj_streq(rpc_map_get(&u.data, "by"), "user"));
	assert_true(rpc_map_int(&u.data, "since", 0) > 0);
	msgpack_unpacked_destroy(&u);
	msgpack_sbuffer_destroy(&args);
	/* The answer: ann used 1.5 h. */
	rpc_writer_init(&w);
	rpc_begin_response(&w, 1);
	msgpack_pack_map(&w.pk, 2);
	rpc_pack_key(&w.pk, "rows");
	msgpack_pack_array(&w.pk, 2);
	msgpack_pack_map(&w.pk, 2);
	rpc_pack_kv_str(&w.pk, "key", "bob");
	rpc_pack_key(&w.pk, "cpu_hours");
	msgpack_pack_double(&w.pk, 7.0);
	msgpack_pack_map(&w.pk, 2);
	rpc_pack_kv_str(&w.pk, "key", "ann");
	rpc_pack_key(&w.pk, "cpu_hours");
	msgpack_pack_double(&w.pk, 1.5);
	rpc_pack_kv_str(&w.pk, "by", "user");
	sb = w.sbuf;
	rc = rpc_decode(sb.data, sb.size, resp, err);
	rpc_writer_fini(&w);
	return rc;
}

static void
fake_doc(void *ctx, struct plg_doc *d)
{
	d->path = "/p/a.nb.lua";
	d->ncells = 3;
	d->index = 1;
	d->cell = "c2";
	d->kind = "code";
	d->source = "x = 1";
	d->len = 5;
	d->mode = "normal";
}

static const struct plg_tui_ops *
fake_ops(struct fx *f)
{
	static struct plg_tui_ops ops;

	ops = (struct plg_tui_ops){
		.ctx = f, .message = fake_message, .show = fake_show,
		.exec = fake_exec, .call = fake_call, .doc = fake_doc,
	};
	return &ops;
}

static size_t
cmd_index(struct plg_host *h, const char *name)
{
	for (size_t i = 0; i < plg_command_count(h); i++)
		if (strcmp(plg_command_at(h, i)->name, name) == 0)
			return i;
	fail_msg("no command %s", name);
	return 0;
}

static void
add_word(void *ctx, const char *s)
{
	char	*buf = ctx;

	strcat(buf, s);
	strcat(buf, ",");
}

static void
test_commands_views_keys(void **state)
{
	struct fx	*f = *state;
	struct plg_host	*h;
	struct gl_err	 err;
	const struct plg_command *c;
	char		 words[256] = "";

	put(f->init, NULL, "plugins = { budget = 100000 }\n");
	put(f->udir, "hello.lua",
	    "galley.command{ name = 'hello', args = '[NAME]',\n"
	    "  help = 'say hello', complete = { 'ann', 'bob', 'anna' },\n"
	    "  run = function(arg)\n"
	    "    local nb = galley.notebook()\n"
	    "    return 'hello ' .. (arg or 'you') .. ' from ' .. nb.cell ..\n"
	    "      ' ' .. nb.index .. '/' .. nb.cells\n"
	    "  end }\n"
	    "galley.command{ name = 'again', run = function()\n"
	    "  galley.message('via exec: ' .. tostring(galley.exec('hello x')))\n"
	    "  local ok, why = galley.exec('nope')\n"
	    "  assert(not ok and why:find('unknown command'))\n"
	    "end }\n"
	    "galley.command{ name = 'boom', run = function() error('boom!') end }\n"
	    "galley.command{ name = 'spin', run = function() while true do end end }\n"
	    "galley.view{ name = 'todo', title = 'TODO list', render = function(a)\n"
	    "  return '# todo\\n' .. (a or 'nothing') end }\n"
	    "galley.keymap.set('normal', 'gh', 'hello')\n");
	h = host(f, CFG_SIDE_TUI);
	plg_host_set_tui(h, fake_ops(f));
	assert_int_equal(find(h, "hello")->state, PLG_LOADED);
	assert_true(provides(find(h, "hello"), "command hello"));
	assert_true(provides(find(h, "hello"), "view todo"));
	assert_true(provides(find(h, "hello"), "key normal gh"));
	assert_int_equal(plg_command_count(h), 5);
	c = plg_command_at(h, cmd_index(h, "hello"));
	assert_string_equal(c->args, "[NAME]");
	assert_string_equal(c->help, "say hello");
	assert_string_equal(c->plugin, "hello");
	assert_true(c->complete);
	assert_int_equal(plg_command_run(h, cmd_index(h, "hello"), "ann",
	    &err), 0);
	assert_string_equal(f->msg, "hello ann from c2 2/3");
	plg_command_complete(h, cmd_index(h, "hello"), "an", add_word, words);
	assert_string_equal(words, "ann,anna,");
	assert_int_equal(plg_command_run(h, cmd_index(h, "again"), NULL,
	    &err), 0);
	assert_string_equal(f->exec, "nope");
	assert_string_equal(f->msg, "via exec: true");
	/* A view opens the pager. */
	assert_true(plg_command_at(h, cmd_index(h, "todo"))->view);
	assert_int_equal(plg_command_run(h, cmd_index(h, "todo"), "milk",
	    &err), 0);
	assert_string_equal(f->title, "TODO list");
	assert_string_equal(f->shown, "# todo\nmilk");
	/* An error names the file and line; the command still works. */
	assert_int_equal(plg_command_run(h, cmd_index(h, "boom"), NULL, &err),
	    GL_ERUNTIME);
	assert_contains(err.msg, "plugin hello: ");
	assert_contains(err.msg, "hello.lua:13: boom!");
	/* A loop is stopped; the plugin is disabled, its commands say so. */
	assert_int_equal(plg_command_run(h, cmd_index(h, "spin"), NULL, &err),
	    GL_ERUNTIME);
	assert_string_equal(err.msg, "plugin hello disabled: command spin ran "
	    "too long (over 100000 instructions; plugins.budget)");
	assert_int_equal(plg_command_run(h, cmd_index(h, "hello"), NULL,
	    &err), GL_EPERM);
	assert_contains(err.msg, "plugin hello is disabled: command spin ran "
	    "too long");
	plg_host_free(h);
}

static void
test_kernel_side_has_no_tui(void **state)
{
	struct fx		*f = *state;
	struct plg_host		*h;
	struct plg_result	 r;

	put(f->udir, "tuionly.lua",
	    "galley.on('on_join', function() galley.message('hi') end)\n");
	h = host(f, CFG_SIDE_KERNEL);
	r = run(h, PLG_ON_JOIN, "c");
	assert_int_equal(r.nwarnings, 1);
	assert_contains(r.warnings[0], "tuionly.lua:1: galley.message: only in "
	    "the terminal UI");
	plg_result_fini(&r);
	plg_host_free(h);
}

static void
test_status_parts(void **state)
{
	struct fx	*f = *state;
	struct plg_host	*h;

	put(f->init, NULL, "plugins = { enable = { 'usage_status' },\n"
	    "  usage_status = { user = 'ann' } }\n");
	put(f->udir, "clock.lua",
	    "local n = 0\n"
	    "galley.status{ name = 'tick', every = 1, render = function()\n"
	    "  n = n + 1; return 'tick ' .. n end }\n"
	    "galley.status{ name = 'quiet', render = function() end }\n");
	h = host(f, CFG_SIDE_TUI);
	plg_host_set_tui(h, fake_ops(f));
	assert_true(provides(find(h, "usage_status"), "status usage"));
	assert_string_equal(plg_status_line(h, 1000),
	    "cluster 1.5 h today  tick 1");
	assert_string_equal(f->method, "usage.report");
	assert_int_equal(f->calls, 1);
	/* Cached until due. */
	assert_string_equal(plg_status_line(h, 1500),
	    "cluster 1.5 h today  tick 1");
	assert_int_equal(plg_status_due(h), 2000);
	assert_string_equal(plg_status_line(h, 2000),
	    "cluster 1.5 h today  tick 2");
	assert_int_equal(f->calls, 1);
	plg_host_free(h);
}

static void
test_bundled_lint(void **state)
{
	struct fx		*f = *state;
	struct plg_host		*h;
	struct plg_result	 r = { 0 };
	struct plg_val		 ev[] = {
		PLG_STR("session", "s1"),
		PLG_STR("cell", "a"),
		PLG_STR("source",
		    "local n = 1\n"
		    "total = n + 1 -- a global\n"
		    "n = 2\n"
		    "local s = \"x = 1\"\n"
		    "--[[ y = 3 ]]\n"
		    "function helper(a) a = 1 end\n"
		    "for i = 1, 3 do i = i end\n"
		    "config = 1\n"),
	};
	struct plg_val		 later[] = {
		PLG_STR("session", "s1"),
		PLG_STR("cell", "b"),
		PLG_STR("source", "n = n + 1\ntotal = 3\n"),
	};

	put(f->init, NULL, "plugins = { enable = { 'lint' },\n"
	    "  lint = { allow = { 'config' } } }\n");
	h = host(f, CFG_SIDE_KERNEL);
	plg_hook_run(h, PLG_AFTER_RUN, ev, 3, &r);
	assert_int_equal(r.nwarnings, 2);
	assert_string_equal(r.warnings[0], "plugin lint: line 2: `total` is "
	    "assigned as a global; write `local total` (a cell's locals stay "
	    "visible to later cells)");
	assert_contains(r.warnings[1], "line 6: `helper` is assigned");
	plg_result_fini(&r);
	/* A later cell may assign what an earlier one declared. */
	plg_hook_run(h, PLG_AFTER_RUN, later, 3, &r);
	assert_int_equal(r.nwarnings, 1);
	assert_contains(r.warnings[0], "line 2: `total`");
	plg_result_fini(&r);
	plg_host_free(h);
}

static void
test_bundled_working_hours(void **state)
{
	struct fx		*f = *state;
	struct plg_host		*h;
	struct plg_result	 r = { 0 };
	struct plg_val		 big[] = { PLG_STR("what", "map"),
	    PLG_INT("items", 5000) };
	struct plg_val		 small[] = { PLG_STR("what", "map"),
	    PLG_INT("items", 10) };

	/* Saturday 4 January 2025, 22:00 local time; then Monday 10:00. */
	setenv("TZ", "UTC", 1);
	put(f->init, NULL,
	    "plugins = { enable = { 'working_hours' },\n"
	    "  working_hours = { now = function() return 1736028000 end } }\n");
	h = host(f, CFG_SIDE_KERNEL);
	plg_hook_run(h, PLG_BEFORE_RUN, big, 2, &r);
	assert_true(r.refused);
	assert_string_equal(r.message, "plugin working_hours: cluster.map over "
	    "1000 items (this one has 5000) runs only in working hours, 09:00 "
	    "to 18:00 on work days; it is 22:00");
	plg_result_fini(&r);
	plg_hook_run(h, PLG_BEFORE_RUN, small, 2, &r);
	assert_false(r.refused);
	plg_result_fini(&r);
	plg_host_free(h);
	put(f->init, NULL,
	    "plugins = { enable = { 'working_hours' },\n"
	    "  working_hours = { now = function() return 1736157600 end } }\n");
	h = host(f, CFG_SIDE_KERNEL);
	plg_hook_run(h, PLG_BEFORE_RUN, big, 2, &r);
	assert_false(r.refused);
	plg_result_fini(&r);
	plg_host_free(h);
	unsetenv("TZ");
}

/* The approvals of an event as a msgpack array of {author}. */
static void
approvals(msgpack_sbuffer *sb, msgpack_unpacked *u, const char **who,
    size_t n)
{
	msgpack_packer	 pk;

	msgpack_sbuffer_init(sb);
	msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
	msgpack_pack_array(&pk, n);
	for (size_t i = 0; i < n; i++) {
		msgpack_pack_map(&pk, 1);
		rpc_pack_kv_str(&pk, "author", who[i]);
	}
	msgpack_unpacked_init(u);
	assert_int_equal(msgpack_unpack_next(u, sb->data, sb->size, NULL),
	    MSGPACK_UNPACK_SUCCESS);
}

static void
test_bundled_two_approvals(void **state)
{
	struct fx		*f = *state;
	struct plg_host		*h;
	struct plg_result	 r = { 0 };
	msgpack_sbuffer		 sb;
	msgpack_unpacked	 u;
	const char		*one[] = { "Bob <b@x>", "Ann <a@x>",
	    "Bob <b@x>" };
	const char		*two[] = { "Bob <b@x>", "Cy <c@x>" };

	put(f->init, NULL, "plugins = { enable = { 'two_approvals' } }\n");
	h = host(f, CFG_SIDE_KERNEL);
	/* Bob twice and the author herself make one. */
	approvals(&sb, &u, one, 3);
	{
		struct plg_val ev[] = { PLG_STR("module", "stats"),
		    PLG_STR("version", "1.2.0"), PLG_STR("author", "Ann <a@x>"),
		    PLG_STR("head", "0123456789abcdef0123"),
		    PLG_OBJ("approvals", &u.data) };

		plg_hook_run(h, PLG_BEFORE_PUBLISH, ev, 5, &r);
	}
	assert_true(r.refused);
	assert_string_equal(r.message, "plugin two_approvals: stats 1.2.0 "
	    "needs 2 approvals of its head 0123456789ab by people other than "
	    "its author; it has 1");
	plg_result_fini(&r);
	msgpack_unpacked_destroy(&u);
	msgpack_sbuffer_destroy(&sb);
	approvals(&sb, &u, two, 2);
	{
		struct plg_val ev[] = { PLG_STR("module", "stats"),
		    PLG_STR("version", "1.2.0"), PLG_STR("author", "Ann <a@x>"),
		    PLG_OBJ("approvals", &u.data) };

		plg_hook_run(h, PLG_BEFORE_PUBLISH, ev, 4, &r);
	}
	assert_false(r.refused);
	plg_result_fini(&r);
	msgpack_unpacked_destroy(&u);
	msgpack_sbuffer_destroy(&sb);
	plg_host_free(h);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_each_hook_fires, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_refusal_stops_with_its_message, setup, teardown),
		cmocka_unit_test_setup_teardown(test_error_names_file_and_line,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_loop_and_memory_are_stopped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failed_file_leaves_nothing,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_where_plugins_come_from,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_sandbox_io, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_api_outside_plugins,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_commands_views_keys,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_kernel_side_has_no_tui,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_status_parts, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_bundled_lint, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_bundled_working_hours,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_bundled_two_approvals,
		    setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

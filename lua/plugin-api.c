/*
 * plugin-api.c - the plugins' part of the galley table (lua/plugin.h,
 * docs/plugins.md):
 *
 *   registering, while a plugin's file runs:
 *     galley.on(hook, fn)                  a kernel-side policy hook
 *     galley.command{name, args, help, run, complete}
 *     galley.view{name, title, args, help, render}
 *     galley.status{name, every, render}   a status-line part
 *   while a plugin runs:
 *     galley.warn(text)                    a warning the user sees
 *     galley.message(text), galley.show([title,] text), galley.exec(line),
 *     galley.kernel(method, args), galley.notebook()    (TUI side)
 *
 * The same functions are in every configuration host's galley table; in
 * a host without plugins (cfg_load) or outside a plugin they raise an
 * error that says where they work. Registration checks everything a call
 * gives before it allocates C memory, so an error part way leaks nothing.
 */
#include <lauxlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/mem.h"
#include "core/rpc.h"
#include "lua/config_int.h"
#include "lua/plugin_int.h"

#define PLG_NAME_MAX	63

static int	 plg_api_on(lua_State *L);
static int	 plg_api_command(lua_State *L);
static int	 plg_api_view(lua_State *L);
static int	 plg_api_status(lua_State *L);
static int	 plg_api_warn(lua_State *L);
static int	 plg_api_message(lua_State *L);
static int	 plg_api_show(lua_State *L);
static int	 plg_api_exec(lua_State *L);
static int	 plg_api_kernel(lua_State *L);
static int	 plg_api_notebook(lua_State *L);

void
plg_api(lua_State *L, int galley)
{
	static const luaL_Reg fns[] = {
		{ "on", plg_api_on },
		{ "command", plg_api_command },
		{ "view", plg_api_view },
		{ "status", plg_api_status },
		{ "warn", plg_api_warn },
		{ "message", plg_api_message },
		{ "show", plg_api_show },
		{ "exec", plg_api_exec },
		{ "kernel", plg_api_kernel },
		{ "notebook", plg_api_notebook },
		{ NULL, NULL },
	};

	galley = lua_absindex(L, galley);
	for (const luaL_Reg *f = fns; f->name != NULL; f++) {
		lua_pushcfunction(L, f->func);
		lua_setfield(L, galley, f->name);
	}
}

/* The host of a plugin whose file is running; raises otherwise. */
static struct plg_host *
plg_loading(lua_State *L, const char *fn)
{
	struct plg_host *h = plg_host_of(L);

	if (h == NULL || h->loading < 0)
		luaL_error(L, "%s: only a plugin's file calls it, as it loads "
		    "(a plugin is a file in ~/.config/galley/plugins/ or "
		    ".galley/plugins/)", fn);
	return h;
}

/* The host of a plugin that runs on the TUI side; raises otherwise. */
static struct plg_host *
plg_tui(lua_State *L, const char *fn)
{
	struct plg_host *h = plg_host_of(L);

	if (h == NULL || h->calling < 0 || !h->have_tui)
		luaL_error(L, "%s: only in the terminal UI, while a plugin's "
		    "command, view or status part runs", fn);
	return h;
}

/* galley.on(hook, fn)  [-2, +0, e] */
static int
plg_api_on(lua_State *L)
{
	struct plg_host	*h = plg_loading(L, "galley.on");
	const char	*name = luaL_checkstring(L, 1);
	struct plg_reg	 r;
	int		 k;

	luaL_checktype(L, 2, LUA_TFUNCTION);
	for (k = 0; k < PLG_NHOOKS; k++)
		if (strcmp(plg_hook_name((enum plg_hook)k), name) == 0)
			break;
	if (k == PLG_NHOOKS)
		return luaL_error(L, "galley.on: no hook '%s' (before_save, "
		    "before_run, after_run, before_publish, "
		    "on_review_comment, on_join)", name);
	lua_pushvalue(L, 2);
	memset(&r, 0, sizeof r);
	r.kind = PLG_K_HOOK;
	r.plugin = (size_t)h->loading;
	r.ref = luaL_ref(L, LUA_REGISTRYINDEX);
	r.cref = LUA_NOREF;
	r.hook = (enum plg_hook)k;
	plg_reg_add(h, &r);
	plg_provide(h, (size_t)h->loading, "hook %s", name);
	return 0;
}

/* A string field of the table at 1, or NULL if absent; raises on another
 * type. The string stays on the stack. */
static const char *
plg_field_str(lua_State *L, const char *fn, const char *key, bool required)
{
	int	 t = lua_getfield(L, 1, key);

	if (t == LUA_TNIL && !required)
		return NULL;
	if (t != LUA_TSTRING)
		luaL_error(L, "%s: %s must be a string, not %s", fn, key,
		    t == LUA_TNIL ? "missing" : luaL_typename(L, -1));
	return lua_tostring(L, -1);
}

/* The function field key of the table at 1, referenced. */
static int
plg_field_fn(lua_State *L, const char *fn, const char *key)
{
	if (lua_getfield(L, 1, key) != LUA_TFUNCTION)
		luaL_error(L, "%s: %s must be a function", fn, key);
	return luaL_ref(L, LUA_REGISTRYINDEX);
}

/* Checks a command's name: one word, not taken by another plugin. */
static void
plg_check_name(lua_State *L, struct plg_host *h, const char *fn,
    const char *name)
{
	size_t	 n = strlen(name);

	if (n == 0 || n > PLG_NAME_MAX || strpbrk(name, " \t\n:") != NULL)
		luaL_error(L, "%s: name '%s' is not one word of at most %d "
		    "bytes", fn, name, PLG_NAME_MAX);
	for (size_t i = 0; i < h->nregs; i++)
		if (h->regs[i].kind == PLG_K_COMMAND &&
		    strcmp(h->regs[i].cmd.name, name) == 0)
			luaL_error(L, "%s: plugin %s has a command '%s' "
			    "already", fn, h->regs[i].cmd.plugin, name);
}

/* galley.command{name, args, help, run, complete}  [-1, +0, e] */
static int
plg_api_command(lua_State *L)
{
	struct plg_host	*h = plg_loading(L, "galley.command");
	const char	*name, *args, *help;
	struct plg_reg	 r;
	int		 t;

	luaL_checktype(L, 1, LUA_TTABLE);
	lua_settop(L, 1);
	name = plg_field_str(L, "galley.command", "name", true);
	args = plg_field_str(L, "galley.command", "args", false);
	help = plg_field_str(L, "galley.command", "help", false);
	plg_check_name(L, h, "galley.command", name);
	t = lua_getfield(L, 1, "complete");
	if (t != LUA_TNIL && t != LUA_TTABLE && t != LUA_TFUNCTION)
		return luaL_error(L, "galley.command: complete must be a list "
		    "of words or a function");
	memset(&r, 0, sizeof r);
	r.kind = PLG_K_COMMAND;
	r.plugin = (size_t)h->loading;
	r.cref = t == LUA_TNIL ? (lua_pop(L, 1), LUA_NOREF) :
	    luaL_ref(L, LUA_REGISTRYINDEX);
	r.ref = plg_field_fn(L, "galley.command", "run");
	r.cmd.name = xstrdup(name);
	r.cmd.args = xstrdup(args != NULL ? args : "");
	r.cmd.help = xstrdup(help != NULL ? help : "");
	r.cmd.complete = r.cref != LUA_NOREF;
	r.cmd.plugin = h->plugins[h->loading].name;
	plg_reg_add(h, &r);
	plg_provide(h, (size_t)h->loading, "command %s", name);
	return 0;
}

/* galley.view{name, title, args, help, render}  [-1, +0, e] */
static int
plg_api_view(lua_State *L)
{
	struct plg_host	*h = plg_loading(L, "galley.view");
	const char	*name, *args, *help, *title;
	struct plg_reg	 r;

	luaL_checktype(L, 1, LUA_TTABLE);
	lua_settop(L, 1);
	name = plg_field_str(L, "galley.view", "name", true);
	title = plg_field_str(L, "galley.view", "title", false);
	args = plg_field_str(L, "galley.view", "args", false);
	help = plg_field_str(L, "galley.view", "help", false);
	plg_check_name(L, h, "galley.view", name);
	memset(&r, 0, sizeof r);
	r.kind = PLG_K_COMMAND;
	r.plugin = (size_t)h->loading;
	r.cref = LUA_NOREF;
	r.ref = plg_field_fn(L, "galley.view", "render");
	r.cmd.name = xstrdup(name);
	r.cmd.args = xstrdup(args != NULL ? args : "");
	r.cmd.help = xstrdup(help != NULL ? help : "");
	r.cmd.view = true;
	r.cmd.plugin = h->plugins[h->loading].name;
	r.title = xstrdup(title != NULL ? title : name);
	plg_reg_add(h, &r);
	plg_provide(h, (size_t)h->loading, "view %s", name);
	return 0;
}

/* galley.status{name, every, render}  [-1, +0, e] */
static int
plg_api_status(lua_State *L)
{
	struct plg_host	*h = plg_loading(L, "galley.status");
	const char	*name;
	lua_Number	 every = 5;
	struct plg_reg	 r;

	luaL_checktype(L, 1, LUA_TTABLE);
	lua_settop(L, 1);
	name = plg_field_str(L, "galley.status", "name", true);
	if (lua_getfield(L, 1, "every") != LUA_TNIL) {
		if (!lua_isnumber(L, -1) || (every = lua_tonumber(L, -1)) <
		    0.1 || every > 86400)
			return luaL_error(L, "galley.status: every must be "
			    "seconds from 0.1 to 86400");
	}
	memset(&r, 0, sizeof r);
	r.kind = PLG_K_STATUS;
	r.plugin = (size_t)h->loading;
	r.cref = LUA_NOREF;
	r.ref = plg_field_fn(L, "galley.status", "render");
	r.cmd.name = xstrdup(name);
	r.cmd.plugin = h->plugins[h->loading].name;
	r.every_ms = (int64_t)(every * 1000);
	plg_reg_add(h, &r);
	plg_provide(h, (size_t)h->loading, "status %s", name);
	return 0;
}

/* galley.warn(text)  [-1, +0, e] */
static int
plg_api_warn(lua_State *L)
{
	struct plg_host	*h = plg_host_of(L);
	const char	*text = luaL_checkstring(L, 1);
	char		*msg;

	if (h == NULL || h->calling < 0)
		return luaL_error(L, "galley.warn: only while a plugin runs");
	msg = xasprintf("plugin %s: %s", plg_name(h, h->calling), text);
	plg_host_warn(h, false, msg);
	free(msg);
	return 0;
}

/* galley.message(text)  [-1, +0, e] */
static int
plg_api_message(lua_State *L)
{
	struct plg_host	*h = plg_tui(L, "galley.message");
	const char	*text = luaL_checkstring(L, 1);

	if (h->tui.message != NULL)
		h->tui.message(h->tui.ctx, false, text);
	return 0;
}

/* galley.show([title,] text): the pager.  [-(1|2), +0, e] */
static int
plg_api_show(lua_State *L)
{
	struct plg_host	*h = plg_tui(L, "galley.show");
	const char	*title = plg_name(h, h->calling), *text;

	if (lua_gettop(L) >= 2) {
		title = luaL_checkstring(L, 1);
		text = luaL_checkstring(L, 2);
	} else
		text = luaL_checkstring(L, 1);
	if (h->tui.show != NULL)
		h->tui.show(h->tui.ctx, title, text);
	return 0;
}

/* galley.exec(line) -> true | nil, message  [-1, +(1|2), e] */
static int
plg_api_exec(lua_State *L)
{
	struct plg_host	*h = plg_tui(L, "galley.exec");
	const char	*line = luaL_checkstring(L, 1);
	struct gl_err	 err;

	gl_err_clear(&err);
	if (h->depth > 8)
		return luaL_error(L, "galley.exec: commands nested too deep");
	if (h->tui.exec == NULL || h->tui.exec(h->tui.ctx, line, &err) == 0) {
		lua_pushboolean(L, 1);
		return 1;
	}
	lua_pushnil(L);
	lua_pushstring(L, err.msg);
	return 2;
}

struct plg_raw {
	const char	*p;
	size_t		 n;
};

/* Writes the arguments packed already. */
static void
plg_pack_raw(msgpack_packer *pk, void *ctx)
{
	struct plg_raw *r = ctx;

	pk->callback(pk->data, r->p, r->n);
}

/* The packer's writer into the host's scratch buffer (gl_buf_add never
 * raises, so an error while packing leaks nothing). */
static int
plg_scratch_write(void *data, const char *buf, size_t len)
{
	gl_buf_add(data, buf, len);
	return 0;
}

/* galley.kernel(method [, args]) -> result | nil, message
 * [-(1|2), +(1|2), e] */
static int
plg_api_kernel(lua_State *L)
{
	struct plg_host		*h = plg_tui(L, "galley.kernel");
	const char		*method = luaL_checkstring(L, 1);
	msgpack_packer		 pk;
	struct plg_raw		 raw;
	struct gl_err		 err;
	struct rpc_msg		 resp;

	if (h->have_pending) {
		rpc_msg_fini(&h->pending);
		h->have_pending = false;
	}
	gl_buf_reset(&h->scratch);
	msgpack_packer_init(&pk, &h->scratch, plg_scratch_write);
	if (lua_isnoneornil(L, 2))
		msgpack_pack_map(&pk, 0);
	else {
		luaL_checktype(L, 2, LUA_TTABLE);
		plg_pack_lua(L, 2, &pk);
	}
	raw.p = h->scratch.data;
	raw.n = h->scratch.len;
	gl_err_clear(&err);
	if (h->tui.call == NULL || h->tui.call(h->tui.ctx, method,
	    plg_pack_raw, &raw, &resp, &err) != 0) {
		lua_pushnil(L);
		lua_pushstring(L, err.msg[0] != '\0' ? err.msg :
		    "no kernel");
		return 2;
	}
	/* Kept by the host while it becomes Lua values, which may raise. */
	h->pending = resp;
	h->have_pending = true;
	plg_push_msgpack(L, resp.result);
	rpc_msg_fini(&h->pending);
	h->have_pending = false;
	return 1;
}

/* galley.notebook() -> {path, cells, index, cell, kind, source, mode}
 * [-0, +1, e] */
static int
plg_api_notebook(lua_State *L)
{
	struct plg_host	*h = plg_tui(L, "galley.notebook");
	struct plg_doc	 d;

	memset(&d, 0, sizeof d);
	if (h->tui.doc != NULL)
		h->tui.doc(h->tui.ctx, &d);
	lua_createtable(L, 0, 7);
	lua_pushstring(L, d.path);
	lua_setfield(L, -2, "path");
	lua_pushinteger(L, (lua_Integer)d.ncells);
	lua_setfield(L, -2, "cells");
	lua_pushinteger(L, (lua_Integer)d.index + (d.ncells > 0));
	lua_setfield(L, -2, "index");
	lua_pushstring(L, d.cell);
	lua_setfield(L, -2, "cell");
	lua_pushstring(L, d.kind);
	lua_setfield(L, -2, "kind");
	if (d.source != NULL)
		lua_pushlstring(L, d.source, d.len);
	else
		lua_pushnil(L);
	lua_setfield(L, -2, "source");
	lua_pushstring(L, d.mode);
	lua_setfield(L, -2, "mode");
	return 1;
}

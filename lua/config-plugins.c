/*
 * config-plugins.c - the `plugins` table and the `registry` value of the
 * configuration files (lua/config.h), read by both sides: how plugins are
 * loaded and bounded (lua/plugin.h), and where the team library registry
 * is (docs/plugins.md, docs/registry.md).
 *
 *   plugins = {
 *     enable = { "lint" },        -- bundled plugins to load
 *     disable = { "noisy" },      -- plugins not to load
 *     allow_io = true,            -- kernel-side io and os (user file only)
 *     budget = 10000000,          -- instructions per call
 *     memory = 16 * 1024 * 1024,  -- bytes one call may add
 *     lint = { max = 3 },         -- the settings of the plugin `lint`
 *   }
 *   registry = "/srv/git/team-lib.git"
 *
 * Values merge project over user key by key; a list is replaced whole, a
 * plugin's settings table too. The settings are copied (raw accesses, no
 * metamethod of the file runs) into a table of the state's registry, from
 * which each plugin gets a fresh copy as galley.settings; functions in
 * them are kept as they are (a test injects a clock that way).
 *
 * allow_io is refused in a project's file: a repository one clones must
 * not be able to give its plugins the kernel's files.
 */
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>

#include "core/err.h"
#include "core/mem.h"
#include "lua/config_int.h"

#define CFG_PLG_BUDGET		10000000
#define CFG_PLG_MEMORY		((size_t)16 << 20)
#define CFG_SETTINGS_DEPTH	8

/* The registry key of the settings table (name -> table). */
static const char cfg_settings_key = 's';

static int	 cfg_plugins_table(struct cfg_host *h, struct cfg_walk *w,
		     int idx, bool project);
static void	 cfg_copy_value(lua_State *L, int idx, int depth);

void
cfg_plugins_defaults(struct cfg *c)
{
	c->plugins.budget = CFG_PLG_BUDGET;
	c->plugins.memory = CFG_PLG_MEMORY;
}

void
cfg_plugins_fini(struct cfg *c)
{
	cfg_strv_free(c->plugins.enable, c->plugins.nenable);
	cfg_strv_free(c->plugins.disable, c->plugins.ndisable);
	free(c->registry);
	c->plugins.enable = c->plugins.disable = NULL;
	c->plugins.nenable = c->plugins.ndisable = 0;
	c->registry = NULL;
}

int
cfg_take_plugins(struct cfg_host *h, int tab, const char *path,
    bool project, struct gl_err *err)
{
	struct cfg_walk	 w = { h->lua.L, path, err, h->cfg };
	lua_State	*L = h->lua.L;
	size_t		 limit = h->lua.heap.limit;
	char		*reg = NULL;
	int		 rc = 0;

	/* As the cluster walk: no code of the file runs, so the heap's
	 * limit is lifted rather than the walk be made protected. */
	h->lua.heap.limit = 0;
	lua_pushliteral(L, "registry");
	lua_rawget(L, tab);
	if (lua_type(L, -1) != LUA_TNIL) {
		if ((rc = cfg_get_str(&w, lua_gettop(L), "registry",
		    &reg)) == 0) {
			free(h->cfg->registry);
			h->cfg->registry = reg;
		}
	}
	lua_pop(L, 1);
	if (rc == 0) {
		lua_pushliteral(L, "plugins");
		lua_rawget(L, tab);
		if (lua_type(L, -1) == LUA_TTABLE)
			rc = cfg_plugins_table(h, &w, lua_gettop(L), project);
		else if (lua_type(L, -1) != LUA_TNIL)
			rc = cfg_bad(&w, "plugins", "expected a table, got %s",
			    cfg_typename(L, -1));
		lua_pop(L, 1);
	}
	h->lua.heap.limit = limit;
	return rc;
}

void
cfg_plugin_settings(lua_State *L, const char *name)
{
	if (lua_rawgetp(L, LUA_REGISTRYINDEX, &cfg_settings_key) !=
	    LUA_TTABLE) {
		lua_pop(L, 1);
		lua_newtable(L);
		return;
	}
	if (lua_getfield(L, -1, name) != LUA_TTABLE) {
		lua_pop(L, 2);
		lua_newtable(L);
		return;
	}
	cfg_copy_value(L, -1, CFG_SETTINGS_DEPTH);
	lua_replace(L, -3);
	lua_pop(L, 1);
}

/* plugins = { ... } at idx. */
static int
cfg_plugins_table(struct cfg_host *h, struct cfg_walk *w, int idx,
    bool project)
{
	lua_State		*L = w->L;
	struct cfg_plugins	*p = &h->cfg->plugins;
	char			 key[96];
	int			 rc = 0, n;

	for (lua_pushnil(L); rc == 0 && lua_next(L, idx) != 0;
	    lua_pop(L, 1)) {
		const char *k;

		if (lua_type(L, -2) != LUA_TSTRING) {
			rc = cfg_bad(w, "plugins", "keys are names, got %s",
			    cfg_typename(L, -2));
			break;
		}
		k = lua_tostring(L, -2);
		snprintf(key, sizeof key, "plugins.%.80s", k);
		if (strcmp(k, "enable") == 0)
			rc = cfg_get_list(w, lua_gettop(L), key, &p->enable,
			    &p->nenable);
		else if (strcmp(k, "disable") == 0)
			rc = cfg_get_list(w, lua_gettop(L), key, &p->disable,
			    &p->ndisable);
		else if (strcmp(k, "allow_io") == 0) {
			if (project)
				rc = cfg_bad(w, key, "only the user's "
				    "init.lua may give plugins io and os");
			else
				rc = cfg_get_bool(w, lua_gettop(L), key,
				    &p->allow_io);
		} else if (strcmp(k, "budget") == 0) {
			if ((rc = cfg_get_int(w, lua_gettop(L), key, 1000,
			    2000000000, &n)) == 0)
				p->budget = n;
		} else if (strcmp(k, "memory") == 0) {
			lua_Number b = lua_tonumber(L, -1);

			if (lua_type(L, -1) != LUA_TNUMBER || b != b ||
			    b < 65536 || b > 1e15)
				rc = cfg_bad(w, key, "expected bytes (a number "
				    "from 65536 up), got %s",
				    cfg_typename(L, -1));
			else
				p->memory = (size_t)b;
		} else if (lua_type(L, -1) != LUA_TTABLE)
			rc = cfg_bad(w, key, "expected a table (the settings "
			    "of the plugin %s), got %s", k,
			    cfg_typename(L, -1));
		else {
			/* settings[k] = a copy of the table. */
			if (lua_rawgetp(L, LUA_REGISTRYINDEX,
			    &cfg_settings_key) != LUA_TTABLE) {
				lua_pop(L, 1);
				lua_newtable(L);
				lua_pushvalue(L, -1);
				lua_rawsetp(L, LUA_REGISTRYINDEX,
				    &cfg_settings_key);
			}
			cfg_copy_value(L, -2, CFG_SETTINGS_DEPTH);
			lua_setfield(L, -2, k);
			lua_pop(L, 1);
		}
	}
	if (rc != 0)
		lua_settop(L, idx);
	return rc;
}

/* Pushes a copy of the value at idx: tables copied with raw accesses
 * depth levels down (deeper ones, and cycles past that, are shared),
 * other values as they are. [-0, +1, m] */
static void
cfg_copy_value(lua_State *L, int idx, int depth)
{
	idx = lua_absindex(L, idx);
	if (lua_type(L, idx) != LUA_TTABLE || depth <= 0) {
		lua_pushvalue(L, idx);
		return;
	}
	lua_newtable(L);
	luaL_checkstack(L, 6, "settings nested too deep");
	for (lua_pushnil(L); lua_next(L, idx) != 0; lua_pop(L, 1)) {
		lua_pushvalue(L, -2);
		cfg_copy_value(L, -2, depth - 1);
		lua_rawset(L, -5);
	}
}

char *
cfg_registry(const char *project_dir, struct gl_err *err)
{
	struct cfg_host	*h;
	char		*user = cfg_user_path(), *proj = NULL, *url = NULL;
	struct gl_err	 e;

	if ((h = cfg_host_new(CFG_SIDE_TUI, err)) == NULL) {
		free(user);
		return NULL;
	}
	if (project_dir != NULL)
		proj = xasprintf("%s/.galley/config.lua", project_dir);
	gl_err_clear(&e);
	if (cfg_host_load(h, user, proj, &e) != 0)
		gl_err_set(err, e.code, "%s", e.msg);
	if (cfg_host_config(h)->registry != NULL)
		url = xstrdup(cfg_host_config(h)->registry);
	cfg_host_free(h);
	free(user);
	free(proj);
	return url;
}

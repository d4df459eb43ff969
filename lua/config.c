/*
 * config.c - the configuration host (lua/config.h): one sandboxed Lua
 * state that runs the user's file and then the project's, the `galley`
 * table they call, and the kernel side's one-call wrappers (cfg_load).
 *
 * The sandbox. The host is a bare lx_host (lua/host.c), whose counting
 * heap refuses memory past CFG_MEM_LIMIT. It keeps a prototype of what a
 * file may see: the base functions that cannot reach files or load code,
 * string, table, math, utf8, coroutine, an os table holding getenv and
 * the clock (time, date, clock, difftime), and the galley table. Each
 * file's chunk gets as _ENV a fresh table
 * whose __index is a copy of that prototype, its library tables copied
 * too, so what a file assigns lands in its own table, what it changes in
 * string or galley stays its own, and nothing it does can reach io,
 * os.execute, require, load or debug. The string metatable, the one table
 * the files would otherwise share, is sealed (getmetatable("") is false),
 * and setmetatable refuses __gc (finalizers run where no hook can stop
 * them).
 * A count hook stops a file that runs too long and the allocator refuses
 * memory past the limit: both are errors naming the file, inside
 * lua_pcall, so the process reading the file never panics.
 *
 * Sides. Both sides run the same files with the same API: the galley.*
 * calls record what they ask for (config-tui.c) whichever side runs them.
 * When a file has run, the kernel side applies its `cluster` table onto
 * the host's struct cfg (config-cluster.c), with raw accesses only, while
 * the Lua heap's limit is lifted: no code of the file runs then, and a
 * file that used its whole allowance cannot make the walk fail outside a
 * protected call. The TUI side leaves `cluster` alone. So a cluster
 * mistake does not trouble the TUI and a key mistake (found by the TUI
 * when it applies the record) does not trouble the kernel; a Lua error
 * stops the file for both.
 */
#include "lua/config_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <lauxlib.h>
#include <lualib.h>

#include "core/err.h"
#include "core/mem.h"
#include "core/util.h"

#define CFG_MEM_LIMIT	(32u << 20)	/* bytes the files may use */
#define CFG_MAX_STEPS	50000000	/* VM instructions a file may run */
#define CFG_HOOK_EVERY	10000
#define CFG_COPY_DEPTH	2		/* galley.keymap.set: two levels */

/* The registry key of the prototype environment. */
static const char cfg_proto_key = 'p';

static void	 cfg_hook(lua_State *L, lua_Debug *ar);
static int	 cfg_getenv(lua_State *L);
static int	 cfg_setmetatable(lua_State *L);
static int	 cfg_sandbox(lua_State *L);
static void	 cfg_copy(lua_State *L, int idx, int depth);
static int	 cfg_run(struct cfg_host *h, const char *path, bool project,
		     struct gl_err *err);
static int	 cfg_take_cluster(struct cfg_host *h, int tab,
		     const char *path, struct gl_err *err);

struct cfg_host *
cfg_host_new(enum cfg_side side, struct gl_err *err)
{
	struct cfg_host		*h = xcalloc(1, sizeof *h);
	struct lx_host_opts	 o = {
		.name = "config",
		.memory_limit = CFG_MEM_LIMIT,
		.ud = h,
	};

	h->side = side;
	h->cfg = cfg_defaults();
	if (lx_host_init(&h->lua, &o, err) != 0)
		goto fail;
	lua_pushcfunction(h->lua.L, cfg_sandbox);
	if (lua_pcall(h->lua.L, 0, 0, 0) != LUA_OK) {
		gl_err_set(err, GL_ENOMEM, "configuration: cannot set up the "
		    "sandbox: %s", lua_tostring(h->lua.L, -1));
		goto fail;
	}
	return h;
fail:
	cfg_host_free(h);
	return NULL;
}

int
cfg_host_load(struct cfg_host *h, const char *user_path,
    const char *project_path, struct gl_err *err)
{
	int	 rc;

	h->loaded = false;
	if (user_path != NULL && (rc = cfg_run(h, user_path, false,
	    err)) != 0)
		return rc;
	if (project_path != NULL && (rc = cfg_run(h, project_path, true,
	    err)) != 0)
		return rc;
	if (h->side == CFG_SIDE_KERNEL && (rc = cfg_check(h->cfg, err)) != 0)
		return rc;
	h->loaded = true;
	return 0;
}

const struct cfg *
cfg_host_cluster(const struct cfg_host *h)
{
	return h->side == CFG_SIDE_KERNEL && h->loaded ? h->cfg : NULL;
}

const struct cfg_tui *
cfg_host_tui(const struct cfg_host *h)
{
	return &h->tui;
}

const struct cfg *
cfg_host_config(const struct cfg_host *h)
{
	return h->cfg;
}

void
cfg_host_free(struct cfg_host *h)
{
	if (h == NULL)
		return;
	lx_host_fini(&h->lua);
	cfg_free(h->cfg);
	cfg_tui_fini(&h->tui);
	free(h);
}

struct cfg_host *
cfg_host_of(lua_State *L)
{
	return lx_host_of(L)->ud;
}

void
cfg_caller(lua_State *L, char **path, int *line)
{
	struct cfg_host	*h = cfg_host_of(L);
	lua_Debug	 ar;

	for (int level = 1; lua_getstack(L, level, &ar); level++) {
		if (!lua_getinfo(L, "Sl", &ar) || ar.currentline <= 0)
			continue;	/* a C function: pcall, say */
		*path = xstrdup(ar.source[0] == '@' ? ar.source + 1 :
		    h->path != NULL ? h->path : ar.short_src);
		*line = ar.currentline;
		return;
	}
	*path = xstrdup(h->path != NULL ? h->path : "configuration");
	*line = 0;
}

char *
cfg_user_path(void)
{
	const char	*x = getenv("XDG_CONFIG_HOME"), *h = getenv("HOME");

	if (x != NULL && *x == '/')
		return xasprintf("%s/galley/init.lua", x);
	if (h == NULL || *h == '\0')
		return NULL;
	return xasprintf("%s/.config/galley/init.lua", h);
}

struct cfg *
cfg_load(const char *project_dir, struct gl_err *err)
{
	char		*user = cfg_user_path(), *proj = NULL;
	struct cfg	*c;

	if (project_dir != NULL)
		proj = xasprintf("%s/.galley/config.lua", project_dir);
	c = cfg_load_files(user, proj, err);
	free(user);
	free(proj);
	return c;
}

struct cfg *
cfg_load_files(const char *user_path, const char *project_path,
    struct gl_err *err)
{
	struct cfg_host	*h;
	struct cfg	*c = NULL;

	if ((h = cfg_host_new(CFG_SIDE_KERNEL, err)) == NULL)
		return NULL;
	if (cfg_host_load(h, user_path, project_path, err) == 0) {
		c = h->cfg;		/* ours now */
		h->cfg = NULL;
	}
	cfg_host_free(h);
	return c;
}

/* --- the sandbox --- */

static void
cfg_hook(lua_State *L, lua_Debug *ar)
{
	struct cfg_host	*h = cfg_host_of(L);

	(void)ar;
	h->steps += CFG_HOOK_EVERY;
	if (h->steps > CFG_MAX_STEPS)
		luaL_error(L, "ran too long (over %d million instructions)",
		    CFG_MAX_STEPS / 1000000);
}

/* os.getenv(name) [-1, +1, e] */
static int
cfg_getenv(lua_State *L)
{
	const char	*v = getenv(luaL_checkstring(L, 1));

	if (v == NULL)
		lua_pushnil(L);
	else
		lua_pushstring(L, v);
	return 1;
}

/*
 * setmetatable(t, mt), refusing a metatable with __gc: Lua runs
 * finalizers with hooks off, where the instruction budget cannot stop
 * one that loops (at the latest when the host closes). A __gc added to
 * mt afterwards does not make t finalized. Upvalue: the base
 * setmetatable. [-2, +1, e]
 */
static int
cfg_setmetatable(lua_State *L)
{
	lua_settop(L, 2);
	if (lua_type(L, 2) == LUA_TTABLE) {
		lua_pushliteral(L, "__gc");
		if (lua_rawget(L, 2) != LUA_TNIL)
			return luaL_error(L, "setmetatable: a configuration "
			    "file cannot set __gc");
		lua_pop(L, 1);
	}
	lua_pushvalue(L, lua_upvalueindex(1));
	lua_insert(L, 1);
	lua_call(L, 2, 1);
	return 1;
}

/*
 * Builds the prototype environment (see the top comment) and keeps it in
 * the registry; seals the string metatable. [-0, +0, m]
 */
static int
cfg_sandbox(lua_State *L)
{
	static const char *const base[] = {
		"assert", "error", "getmetatable", "ipairs", "next", "pairs",
		"pcall", "rawequal", "rawget", "rawlen", "rawset", "select",
		"tonumber", "tostring", "type", "xpcall", "_VERSION", NULL
	};
	static const struct {
		const char	*name;
		lua_CFunction	 open;
	} libs[] = {
		{ "string", luaopen_string },
		{ "table", luaopen_table },
		{ "math", luaopen_math },
		{ "utf8", luaopen_utf8 },
		{ "coroutine", luaopen_coroutine },
	};

	luaL_requiref(L, "_G", luaopen_base, 1);	/* G */
	lua_newtable(L);				/* G proto */
	for (int i = 0; base[i] != NULL; i++) {
		lua_getfield(L, -2, base[i]);
		lua_setfield(L, -2, base[i]);
	}
	lua_getfield(L, -2, "setmetatable");
	lua_pushcclosure(L, cfg_setmetatable, 1);
	lua_setfield(L, -2, "setmetatable");
	for (size_t i = 0; i < sizeof libs / sizeof libs[0]; i++) {
		luaL_requiref(L, libs[i].name, libs[i].open, 0);
		lua_setfield(L, -2, libs[i].name);
	}
	/* os: the environment and the clock, nothing that acts. */
	luaL_requiref(L, "os", luaopen_os, 0);		/* G proto os */
	lua_newtable(L);
	lua_pushcfunction(L, cfg_getenv);
	lua_setfield(L, -2, "getenv");
	for (const char *const *p = (const char *const[]){ "time", "date",
	    "clock", "difftime", NULL }; *p != NULL; p++) {
		lua_getfield(L, -2, *p);
		lua_setfield(L, -2, *p);
	}
	lua_setfield(L, -3, "os");
	lua_pop(L, 1);
	/* The galley API: one table, each side's part added to it. */
	lua_newtable(L);
	cfg_tui_api(L, -1);
	plg_api(L, -1);
	lua_setfield(L, -2, "galley");
	lua_rawsetp(L, LUA_REGISTRYINDEX, &cfg_proto_key);	/* G */
	/* Remove what the base library put in the real globals that could
	 * reach files or load code, in case a C function ever looks there. */
	for (const char *const *p = (const char *const[]){ "dofile",
	    "loadfile", "load", "require", "print", NULL }; *p != NULL; p++) {
		lua_pushnil(L);
		lua_setfield(L, -2, *p);
	}
	lua_pop(L, 1);
	lua_pushliteral(L, "");
	if (lua_getmetatable(L, -1)) {
		lua_pushboolean(L, 0);
		lua_setfield(L, -2, "__metatable");
		lua_pop(L, 1);
	}
	lua_pop(L, 1);
	return 0;
}

/* A file's environment: an empty table reading through a copy of the
 * prototype. [-0, +1, m] */
int
cfg_file_env(lua_State *L)
{
	lua_newtable(L);				/* env */
	lua_newtable(L);				/* env mt */
	lua_rawgetp(L, LUA_REGISTRYINDEX, &cfg_proto_key);
	cfg_copy(L, -1, CFG_COPY_DEPTH);		/* env mt proto copy */
	lua_setfield(L, -3, "__index");
	lua_pop(L, 1);
	lua_setmetatable(L, -2);
	return 1;
}

/* Pushes a copy of the table at idx, its tables copied depth levels
 * down (the prototype has no cycles). [-0, +1, m] */
static void
cfg_copy(lua_State *L, int idx, int depth)
{
	idx = lua_absindex(L, idx);
	lua_newtable(L);
	for (lua_pushnil(L); lua_next(L, idx) != 0; ) {
		if (depth > 0 && lua_type(L, -1) == LUA_TTABLE) {
			cfg_copy(L, -1, depth - 1);
			lua_replace(L, -2);
		}
		lua_pushvalue(L, -2);
		lua_insert(L, -2);
		lua_rawset(L, -4);
	}
}

/* --- running a file --- */

/* Runs one file; on the kernel side applies its cluster table. A missing
 * file is skipped (0). */
static int
cfg_run(struct cfg_host *h, const char *path, bool project,
    struct gl_err *err)
{
	lua_State	*L = h->lua.L;
	char		*buf = NULL, *chunk;
	size_t		 len;
	struct stat	 sb;
	int		 rc, tab;

	if (stat(path, &sb) != 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 0;
		return gl_err_set(err, gl_err_from_errno(errno), "%s: %s",
		    path, strerror(errno));
	}
	if (S_ISDIR(sb.st_mode))
		return gl_err_set(err, GL_EINVAL, "%s: is a directory", path);
	if ((rc = gl_file_read(path, &buf, &len, err)) != 0) {
		gl_err_prefix(err, "config");
		return rc;
	}
	lua_settop(L, 0);
	chunk = xasprintf("@%s", path);
	rc = luaL_loadbufferx(L, buf, len, chunk, "t");
	free(chunk);
	if (rc != LUA_OK) {
		rc = gl_err_set(err, rc == LUA_ERRMEM ? GL_ELIMIT : GL_ESYNTAX,
		    "%s", lua_type(L, -1) == LUA_TSTRING ?
		    lua_tostring(L, -1) : "cannot load the file");
		goto out;
	}
	lua_pushcfunction(L, cfg_file_env);
	if (lua_pcall(L, 0, 1, 0) != LUA_OK) {
		rc = gl_err_set(err, GL_ELIMIT, "%s: used more than %u MB "
		    "of memory", path, CFG_MEM_LIMIT >> 20);
		goto out;
	}
	/* The env becomes the chunk's first upvalue (_ENV) and stays in
	 * slot 1 for reading what the file set. */
	lua_pushvalue(L, 2);
	if (lua_setupvalue(L, 1, 1) == NULL)
		lua_pop(L, 1);
	lua_insert(L, 1);				/* env chunk */
	h->path = path;
	h->steps = 0;
	lua_sethook(L, cfg_hook, LUA_MASKCOUNT, CFG_HOOK_EVERY);
	rc = lua_pcall(L, 0, LUA_MULTRET, 0);
	lua_sethook(L, NULL, 0, 0);
	if (rc != LUA_OK) {
		if (rc == LUA_ERRMEM)
			rc = gl_err_set(err, GL_ELIMIT, "%s: used more than "
			    "%u MB of memory", path, CFG_MEM_LIMIT >> 20);
		else {
			const char *m = lua_type(L, -1) == LUA_TSTRING ?
			    lua_tostring(L, -1) : "(error object is not a "
			    "string)";
			int code = strstr(m, "ran too long") != NULL ?
			    GL_ELIMIT : GL_ESYNTAX;

			/* A message without the file gets it. */
			if (strncmp(m, path, strlen(path)) == 0)
				rc = gl_err_set(err, code, "%s", m);
			else
				rc = gl_err_set(err, code, "%s: %s", path, m);
		}
		goto out;
	}
	/* A returned table, else the globals the file set. */
	tab = lua_gettop(L) > 1 && lua_type(L, 2) == LUA_TTABLE ? 2 : 1;
	if (lua_gettop(L) > 1 && lua_type(L, 2) != LUA_TTABLE &&
	    lua_type(L, 2) != LUA_TNIL) {
		rc = gl_err_set(err, GL_ESYNTAX, "%s: the file returned %s; "
		    "a config file sets globals or returns a table", path,
		    cfg_typename(L, 2));
		goto out;
	}
	if (h->side == CFG_SIDE_KERNEL &&
	    (rc = cfg_take_cluster(h, tab, path, err)) != 0)
		goto out;
	if ((rc = cfg_take_plugins(h, tab, path, project, err)) != 0)
		goto out;
	if (project) {
		free(h->cfg->project_path);
		h->cfg->project_path = xstrdup(path);
	} else {
		free(h->cfg->user_path);
		h->cfg->user_path = xstrdup(path);
	}
	rc = 0;
out:
	lua_settop(L, 0);
	h->path = NULL;
	free(buf);
	return rc;
}

/*
 * The kernel side's part of a file: its `cluster` table (in the table at
 * tab) applied onto h->cfg. The Lua heap's limit is lifted meanwhile (see
 * the top comment); the walk runs no code of the file.
 */
static int
cfg_take_cluster(struct cfg_host *h, int tab, const char *path,
    struct gl_err *err)
{
	struct cfg_walk	 w = { h->lua.L, path, err, h->cfg };
	lua_State	*L = h->lua.L;
	size_t		 limit = h->lua.heap.limit;
	int		 rc = 0;

	h->lua.heap.limit = 0;
	lua_pushliteral(L, "cluster");
	lua_rawget(L, tab);
	if (lua_type(L, -1) == LUA_TTABLE)
		rc = cfg_apply_cluster(&w, lua_gettop(L));
	else if (lua_type(L, -1) != LUA_TNIL)
		rc = cfg_bad(&w, "cluster", "expected a table, got %s",
		    cfg_typename(L, -1));
	lua_pop(L, 1);
	h->lua.heap.limit = limit;
	return rc;
}

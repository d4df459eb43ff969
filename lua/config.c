/*
 * config.c - the configuration files (lua/config.h): running them.
 *
 * Each file runs in a Lua state of its own, made for it and closed after:
 * only the base functions that cannot reach files or load code, string,
 * table, math, utf8, coroutine and an os table holding getenv alone. The
 * chunk's _ENV is a fresh table whose __index is that safe set, so what
 * the file assigns lands in its own table and nothing it does can reach
 * io, os.execute, require, load or debug. A count hook stops a file that
 * runs too long and the allocator refuses memory past a limit: both are
 * errors naming the file, inside lua_pcall, so the kernel never panics.
 * After the chunk ran, its `cluster` table is applied onto the struct
 * (config-cluster.c).
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

#define CFG_MEM_LIMIT	(32u << 20)	/* bytes a config file may use */
#define CFG_MAX_STEPS	50000000	/* VM instructions a file may run */
#define CFG_HOOK_EVERY	10000

struct cfg_lstate {
	size_t	 used;
	size_t	 limit;
	long	 steps;
};

static void	*cfg_alloc(void *ud, void *ptr, size_t osize, size_t nsize);
static void	 cfg_hook(lua_State *L, lua_Debug *ar);
static int	 cfg_getenv(lua_State *L);
static int	 cfg_sandbox(lua_State *L);
static int	 cfg_run_file(struct cfg *c, const char *path, bool project,
		     struct gl_err *err);

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
	struct cfg	*c = cfg_defaults();

	if (user_path != NULL && cfg_run_file(c, user_path, false, err) != 0)
		goto fail;
	if (project_path != NULL &&
	    cfg_run_file(c, project_path, true, err) != 0)
		goto fail;
	if (cfg_check(c, err) != 0)
		goto fail;
	return c;
fail:
	cfg_free(c);
	return NULL;
}

/* --- running a file --- */

static void *
cfg_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
	struct cfg_lstate	*st = ud;
	size_t			 old = ptr != NULL ? osize : 0;
	void			*p;

	if (nsize == 0) {
		free(ptr);
		st->used -= old;
		return NULL;
	}
	if (nsize > old && nsize - old > st->limit - st->used)
		return NULL;
	if ((p = realloc(ptr, nsize)) == NULL)
		return NULL;
	st->used = st->used - old + nsize;
	return p;
}

static void
cfg_hook(lua_State *L, lua_Debug *ar)
{
	struct cfg_lstate	*st;
	void			*ud;

	(void)ar;
	lua_getallocf(L, &ud);
	st = ud;
	st->steps += CFG_HOOK_EVERY;
	if (st->steps > CFG_MAX_STEPS)
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

/* The stub's __index: any field of a stub is the stub. [-2, +1, -] */
static int
cfg_stub_index(lua_State *L)
{
	lua_settop(L, 1);
	return 1;
}

/* The stub's __call: does nothing. [-n, +0, -] */
static int
cfg_stub_call(lua_State *L)
{
	(void)L;
	return 0;
}

/*
 * Pushes the `galley` the file sees here. ~/.config/galley/init.lua is
 * also the terminal UI's file, and its galley.* calls (keys, options,
 * plugins) mean nothing to the cluster configuration: every field of the
 * stub is the stub and calling it does nothing, so those lines run
 * harmlessly. [-0, +1, m]
 */
static void
cfg_push_galley_stub(lua_State *L)
{
	lua_newtable(L);
	lua_newtable(L);
	lua_pushcfunction(L, cfg_stub_index);
	lua_setfield(L, -2, "__index");
	lua_pushcfunction(L, cfg_stub_call);
	lua_setfield(L, -2, "__call");
	lua_setmetatable(L, -2);
}

/*
 * Builds the sandbox and leaves the file's environment table on the
 * stack, under the function at index 1 (the loaded chunk) whose _ENV it
 * becomes. [-0, +1, m]
 */
static int
cfg_sandbox(lua_State *L)
{
	static const char *const base[] = {
		"assert", "error", "getmetatable", "ipairs", "next", "pairs",
		"pcall", "rawequal", "rawget", "rawlen", "rawset", "select",
		"setmetatable", "tonumber", "tostring", "type", "xpcall",
		"_VERSION", NULL
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
	lua_newtable(L);				/* G safe */
	for (int i = 0; base[i] != NULL; i++) {
		lua_getfield(L, -2, base[i]);
		lua_setfield(L, -2, base[i]);
	}
	for (size_t i = 0; i < sizeof libs / sizeof libs[0]; i++) {
		luaL_requiref(L, libs[i].name, libs[i].open, 0);
		lua_setfield(L, -2, libs[i].name);
	}
	lua_newtable(L);
	lua_pushcfunction(L, cfg_getenv);
	lua_setfield(L, -2, "getenv");
	lua_setfield(L, -2, "os");
	cfg_push_galley_stub(L);
	lua_setfield(L, -2, "galley");
	/* Remove what the base library put in the real globals that could
	 * reach files or load code, in case a C function ever looks there. */
	for (const char *const *p = (const char *const[]){ "dofile",
	    "loadfile", "load", "require", "print", NULL }; *p != NULL; p++) {
		lua_pushnil(L);
		lua_setfield(L, -3, *p);
	}
	lua_newtable(L);				/* G safe env */
	lua_newtable(L);				/* ... env mt */
	lua_pushvalue(L, -3);
	lua_setfield(L, -2, "__index");
	lua_setmetatable(L, -2);			/* G safe env */
	lua_replace(L, -3);				/* env safe */
	lua_pop(L, 1);					/* env */
	return 1;
}

/* Runs one file and applies its cluster table onto c. A missing file is
 * skipped (0). */
static int
cfg_run_file(struct cfg *c, const char *path, bool project,
    struct gl_err *err)
{
	struct cfg_lstate	 st = { 0, CFG_MEM_LIMIT, 0 };
	struct cfg_walk		 w = { NULL, path, err, c };
	lua_State		*L = NULL;
	char			*buf = NULL;
	size_t			 len;
	struct stat		 sb;
	int			 rc, top, tab;

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
	if ((L = lua_newstate(cfg_alloc, &st)) == NULL) {
		rc = gl_err_set(err, GL_ENOMEM, "%s: cannot create a Lua state",
		    path);
		goto out;
	}
	{
		char	*chunk = xasprintf("@%s", path);

		rc = luaL_loadbufferx(L, buf, len, chunk, "t");
		free(chunk);
	}
	if (rc != LUA_OK) {
		rc = gl_err_set(err, rc == LUA_ERRMEM ? GL_ELIMIT : GL_ESYNTAX,
		    "%s", lua_type(L, -1) == LUA_TSTRING ?
		    lua_tostring(L, -1) : "cannot load the file");
		goto out;
	}
	lua_pushcfunction(L, cfg_sandbox);
	if (lua_pcall(L, 0, 1, 0) != LUA_OK) {
		rc = gl_err_set(err, GL_ENOMEM, "%s: cannot set up the "
		    "sandbox", path);
		goto out;
	}
	/* chunk env: the env becomes the chunk's first upvalue (_ENV). */
	lua_pushvalue(L, -1);
	if (lua_setupvalue(L, -3, 1) == NULL)
		lua_pop(L, 1);
	lua_insert(L, -2);				/* env chunk */
	lua_sethook(L, cfg_hook, LUA_MASKCOUNT, CFG_HOOK_EVERY);
	top = lua_gettop(L) - 1;
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
	tab = lua_gettop(L) > top && lua_type(L, top + 1) == LUA_TTABLE ?
	    top + 1 : top;
	if (lua_gettop(L) > top && lua_type(L, top + 1) != LUA_TTABLE &&
	    lua_type(L, top + 1) != LUA_TNIL) {
		rc = gl_err_set(err, GL_ESYNTAX, "%s: the file returned %s; "
		    "a config file sets globals or returns a table", path,
		    cfg_typename(L, top + 1));
		goto out;
	}
	w.L = L;
	lua_pushstring(L, "cluster");
	lua_rawget(L, tab);
	if (lua_type(L, -1) == LUA_TTABLE) {
		if ((rc = cfg_apply_cluster(&w, lua_gettop(L))) != 0)
			goto out;
	} else if (lua_type(L, -1) != LUA_TNIL) {
		rc = cfg_bad(&w, "cluster", "expected a table, got %s",
		    cfg_typename(L, -1));
		goto out;
	}
	if (project)
		c->project_path = xstrdup(path);
	else
		c->user_path = xstrdup(path);
	rc = 0;
out:
	if (L != NULL)
		lua_close(L);
	free(buf);
	return rc;
}

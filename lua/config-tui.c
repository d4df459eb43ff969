/*
 * config-tui.c - the terminal UI's part of the galley API (lua/config.h):
 * galley.keymap.set(mode, keys, command), galley.keymap.del(mode, keys)
 * and galley.set(name, value).
 *
 * The calls record what they ask for, as written, with the file and line
 * of the call, into the host's struct cfg_tui; they check only the types
 * of their arguments (a wrong type is a Lua error, as any Lua function
 * raises one). Whether a mode, key or command exists is the TUI's to say
 * when it applies the record (tui/keymap.c knows them; lua/ must not
 * depend on tui/), so a mistake there never stops the file: the kernel,
 * which reads the same file for its cluster table, is not concerned, and
 * the TUI reports it as "PATH:LINE: message".
 *
 * What is recorded lives in C memory, outside the Lua heap's limit, so it
 * has a limit of its own (CFG_TUI_MAX_BYTES): a file calling galley.set in
 * a loop gets an error, not the process's memory.
 */
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>

#include "core/mem.h"
#include "lua/config_int.h"

/* Bytes the galley.* calls of one host may record. */
#define CFG_TUI_MAX_BYTES	(1u << 20)

static int	 cfg_keymap_set(lua_State *L);
static int	 cfg_keymap_del(lua_State *L);
static int	 cfg_set(lua_State *L);
static void	 cfg_add_key(lua_State *L, const char *mode, const char *keys,
		     const char *command);
static void	 cfg_tui_count(lua_State *L, struct cfg_host *h, size_t n);
static void	*cfg_grow(void *v, size_t n, size_t *cap, size_t size);

void
cfg_tui_api(lua_State *L, int galley)
{
	galley = lua_absindex(L, galley);
	lua_newtable(L);
	lua_pushcfunction(L, cfg_keymap_set);
	lua_setfield(L, -2, "set");
	lua_pushcfunction(L, cfg_keymap_del);
	lua_setfield(L, -2, "del");
	lua_setfield(L, galley, "keymap");
	lua_pushcfunction(L, cfg_set);
	lua_setfield(L, galley, "set");
}

void
cfg_tui_fini(struct cfg_tui *t)
{
	for (size_t i = 0; i < t->nkeys; i++) {
		free(t->keys[i].mode);
		free(t->keys[i].keys);
		free(t->keys[i].command);
		free(t->keys[i].path);
	}
	for (size_t i = 0; i < t->noptions; i++) {
		free(t->options[i].name);
		free(t->options[i].value);
		free(t->options[i].path);
	}
	free(t->keys);
	free(t->options);
	memset(t, 0, sizeof *t);
}

void
cfg_tui_truncate(struct cfg_tui *t, size_t nkeys, size_t noptions)
{
	while (t->nkeys > nkeys) {
		struct cfg_key *k = &t->keys[--t->nkeys];

		free(k->mode);
		free(k->keys);
		free(k->command);
		free(k->path);
	}
	while (t->noptions > noptions) {
		struct cfg_option *o = &t->options[--t->noptions];

		free(o->name);
		free(o->value);
		free(o->path);
	}
}

/* galley.keymap.set(mode, keys, command)  [-3, +0, e] */
static int
cfg_keymap_set(lua_State *L)
{
	const char	*mode = luaL_checkstring(L, 1);
	const char	*keys = luaL_checkstring(L, 2);
	const char	*cmd = luaL_optstring(L, 3, NULL);

	cfg_add_key(L, mode, keys, cmd);
	return 0;
}

/* galley.keymap.del(mode, keys)  [-2, +0, e] */
static int
cfg_keymap_del(lua_State *L)
{
	const char	*mode = luaL_checkstring(L, 1);
	const char	*keys = luaL_checkstring(L, 2);

	cfg_add_key(L, mode, keys, NULL);
	return 0;
}

/* galley.set(name, value): a boolean is "true" or "false", a number its
 * decimal text.  [-2, +0, e] */
static int
cfg_set(lua_State *L)
{
	struct cfg_host		*h = cfg_host_of(L);
	const char		*name = luaL_checkstring(L, 1);
	const char		*val;
	struct cfg_option	*o;
	char			*path;
	int			 line;

	if (lua_isboolean(L, 2))
		val = lua_toboolean(L, 2) ? "true" : "false";
	else
		val = luaL_checkstring(L, 2);
	cfg_tui_count(L, h, sizeof *o + strlen(name) + strlen(val));
	cfg_caller(L, &path, &line);
	h->tui.options = cfg_grow(h->tui.options, h->tui.noptions,
	    &h->options_cap, sizeof *h->tui.options);
	o = &h->tui.options[h->tui.noptions++];
	o->name = xstrdup(name);
	o->value = xstrdup(val);
	o->path = path;
	o->line = line;
	return 0;
}

/* Records a binding (command NULL: a removal). [-0, +0, e] */
static void
cfg_add_key(lua_State *L, const char *mode, const char *keys,
    const char *command)
{
	struct cfg_host	*h = cfg_host_of(L);
	struct cfg_key	*k;
	char		*path;
	int		 line;

	cfg_tui_count(L, h, sizeof *k + strlen(mode) + strlen(keys) +
	    (command != NULL ? strlen(command) : 0));
	cfg_caller(L, &path, &line);
	h->tui.keys = cfg_grow(h->tui.keys, h->tui.nkeys, &h->keys_cap,
	    sizeof *h->tui.keys);
	k = &h->tui.keys[h->tui.nkeys++];
	k->mode = xstrdup(mode);
	k->keys = xstrdup(keys);
	k->command = command != NULL ? xstrdup(command) : NULL;
	k->path = path;
	k->line = line;
}

/* Counts n more bytes recorded; raises past the limit, before anything
 * is allocated. [-0, +0, v] */
static void
cfg_tui_count(lua_State *L, struct cfg_host *h, size_t n)
{
	if (n > CFG_TUI_MAX_BYTES - h->tui_bytes)
		luaL_error(L, "galley.* calls recorded more than %d KB",
		    (int)(CFG_TUI_MAX_BYTES >> 10));
	h->tui_bytes += n;
}

/* v, an array of n elements of size bytes with room for *cap, with room
 * for one more. */
static void *
cfg_grow(void *v, size_t n, size_t *cap, size_t size)
{
	if (n < *cap)
		return v;
	*cap = *cap ? 2 * *cap : 16;
	return xrealloc(v, *cap * size);
}

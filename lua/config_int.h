/*
 * config_int.h - what the files of the configuration loader share
 * (lua/config.h is its public side):
 *
 *   config.c          the host: the sandbox, the galley table, running
 *                     the files, the kernel-side wrappers (cfg_load)
 *   config-cluster.c  the `cluster` table onto a struct cfg (kernel side)
 *   config-tui.c      galley.keymap.* and galley.set recorded into a
 *                     struct cfg_tui (TUI side)
 *   config-plugins.c  the `plugins` and `registry` values (both sides)
 *
 * config.c calls the other two; they call back only cfg_host_of() and
 * cfg_caller(). Not for use outside these files.
 */
#ifndef GL_CONFIG_INT_H
#define GL_CONFIG_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <lua.h>

#include "lua/config.h"
#include "lua/lua_int.h"

struct gl_err;
struct plg_host;

struct cfg_host {
	struct lx_host	 lua;		/* a bare host (lua/host.c): the
					 * state on its counting heap */
	enum cfg_side	 side;
	struct cfg	*cfg;		/* owned: the cluster part */
	bool		 loaded;	/* cfg is merged and checked */
	struct cfg_tui	 tui;		/* what galley.* calls recorded */
	size_t		 keys_cap, options_cap;
	size_t		 tui_bytes;	/* recorded, against a limit */
	const char	*path;		/* borrowed: the file running */
	long		 steps;		/* instructions it ran (the hook) */
	struct plg_host	*plg;		/* borrowed: the plugin host made on
					 * this one (lua/plugin.h), or NULL */
};

/* The host of a state made by cfg_host_new(). */
struct cfg_host *cfg_host_of(lua_State *L);
/* The file and line of the Lua code that called the running C function
 * (the innermost Lua frame): *path is the caller's to free. */
void	 cfg_caller(lua_State *L, char **path, int *line);

/* config-tui.c */
/* Adds the TUI's part of the API to the galley table at index galley:
 * keymap = { set, del }, set. [-0, +0, m] */
void	 cfg_tui_api(lua_State *L, int galley);
/* Frees what t recorded. */
void	 cfg_tui_fini(struct cfg_tui *t);
/* Forgets what t recorded after its first nkeys keys and noptions
 * options (a plugin that failed to load). */
void	 cfg_tui_truncate(struct cfg_tui *t, size_t nkeys, size_t noptions);

/* lua/plugin-api.c: the plugins' part of the galley table at index
 * galley (galley.on, galley.command, ...), which refuses to work in a
 * host without plugins. [-0, +0, m] */
void	 plg_api(lua_State *L, int galley);

/* config-cluster.c */
/* What walking a file's table needs. */
struct cfg_walk {
	lua_State	*L;
	const char	*path;		/* the file, for messages */
	struct gl_err	*err;
	struct cfg	*c;
};

/* Applies the `cluster` table at idx of w->L onto w->c, with raw
 * accesses only (no metamethod of the file runs): GL_ESYNTAX naming the
 * file and the key for a bad value. */
int	 cfg_apply_cluster(struct cfg_walk *w, int idx);
/* GL_ESYNTAX "PATH: KEY: message". */
int	 cfg_bad(struct cfg_walk *w, const char *key, const char *fmt, ...)
	     __attribute__((format(printf, 3, 4)));
/* What the merged configuration must hold together. */
int	 cfg_check(struct cfg *c, struct gl_err *err);
/* "a string", "a table", ...: a value's type for messages. */
const char *cfg_typename(lua_State *L, int idx);
/* Readers of one value at idx into *out, GL_ESYNTAX naming key when it
 * has the wrong type. A list is replaced whole; a string is a list of
 * one. */
int	 cfg_get_str(struct cfg_walk *w, int idx, const char *key,
	     char **out);
int	 cfg_get_int(struct cfg_walk *w, int idx, const char *key, int min,
	     int max, int *out);
int	 cfg_get_secs(struct cfg_walk *w, int idx, const char *key,
	     bool allow_neg, int64_t *out_ms);
int	 cfg_get_bool(struct cfg_walk *w, int idx, const char *key,
	     bool *out);
int	 cfg_get_list(struct cfg_walk *w, int idx, const char *key,
	     char ***out, size_t *n);
void	 cfg_strv_free(char **v, size_t n);

/* config-plugins.c */
/* The defaults of c->plugins; frees what c->plugins and c->registry
 * hold. */
void	 cfg_plugins_defaults(struct cfg *c);
void	 cfg_plugins_fini(struct cfg *c);
/* Applies the `plugins` and `registry` values of the table at tab (a
 * file's globals or returned table) onto h->cfg, both sides, with raw
 * accesses only; a plugin's settings (plugins.NAME = table) are copied
 * into the state's registry, where cfg_plugin_settings() finds them.
 * project: the file is the project's (which may not set allow_io). */
int	 cfg_take_plugins(struct cfg_host *h, int tab, const char *path,
	     bool project, struct gl_err *err);
/* Pushes the settings of the plugin named name (a fresh copy: a table),
 * or an empty table. [-0, +1, m] */
void	 cfg_plugin_settings(lua_State *L, const char *name);
/* Pushes a fresh environment for a file or plugin: an empty table reading
 * through a copy of the sandbox's prototype (its galley table copied
 * too). [-0, +1, m] */
int	 cfg_file_env(lua_State *L);

#endif

/*
 * config_int.h - what the files of the configuration loader share
 * (lua/config.h is its public side):
 *
 *   config.c          the host: the sandbox, the galley table, running
 *                     the files, the kernel-side wrappers (cfg_load)
 *   config-cluster.c  the `cluster` table onto a struct cfg (kernel side)
 *   config-tui.c      galley.keymap.* and galley.set recorded into a
 *                     struct cfg_tui (TUI side)
 *
 * config.c calls the other two; they call back only cfg_host_of() and
 * cfg_caller(). Not for use outside these files.
 */
#ifndef GL_CONFIG_INT_H
#define GL_CONFIG_INT_H

#include <stdbool.h>
#include <stddef.h>

#include <lua.h>

#include "lua/config.h"
#include "lua/lua_int.h"

struct gl_err;

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

#endif

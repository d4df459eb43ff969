/*
 * config_int.h - what the files of the configuration loader share
 * (lua/config.h is its public side): config.c runs the files in the
 * sandbox; config-cluster.c applies a file's `cluster` table onto a
 * struct cfg. Not for use outside these files.
 */
#ifndef GL_CONFIG_INT_H
#define GL_CONFIG_INT_H

#include <lua.h>

#include "lua/config.h"

struct gl_err;

/* What walking a file's table needs. */
struct cfg_walk {
	lua_State	*L;
	const char	*path;		/* the file, for messages */
	struct gl_err	*err;
	struct cfg	*c;
};

/* Applies the `cluster` table at idx of w->L onto w->c, with raw
 * accesses only (no metamethod of the file runs): GL_ESYNTAX naming the
 * file and the key for a bad value. (config-cluster.c) */
int	 cfg_apply_cluster(struct cfg_walk *w, int idx);
/* GL_ESYNTAX "PATH: KEY: message". */
int	 cfg_bad(struct cfg_walk *w, const char *key, const char *fmt, ...)
	     __attribute__((format(printf, 3, 4)));
/* What the merged configuration must hold together. */
int	 cfg_check(struct cfg *c, struct gl_err *err);
/* "a string", "a table", ...: a value's type for messages. */
const char *cfg_typename(lua_State *L, int idx);

#endif

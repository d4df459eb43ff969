/*
 * chunk.h - a cell's chunk compiled as if it began on line N of its
 * notebook, without N - 1 blank lines before it. The runtime used to
 * prepend them, so that errors, tracebacks and debug.getinfo name the
 * notebook's lines; Lua's lexer then read them for every cell, which made
 * `galley run` quadratic in the notebook's lines (issue 10). Instead the
 * chunk is compiled as written and its line information is moved: its
 * bytecode (lua_dump, not stripped) is rewritten with every line N - 1
 * later and loaded back.
 *
 * Knows the layout of Lua 5.4 binary chunks (ldump.c, as lua/codec.c's
 * checker does): a chunk it does not understand is left as it is and
 * LUA_ERRERR returned, so that the caller can fall back on the padding.
 * Used by lua/runtime.c only. Needs Lua and core/mem.h.
 */
#ifndef GL_LX_CHUNK_H
#define GL_LX_CHUNK_H

#include <stdbool.h>

#include <lua.h>

/*
 * The function on top of L's stack, a main chunk just loaded from text,
 * is replaced by the same function with its lines (what error messages,
 * tracebacks, hooks and debug.getinfo report) off lines later. The main
 * function stays a main function (debug.getinfo(f).what == "main").
 * Returns LUA_OK; LUA_ERRERR if the chunk is not understood, then the
 * function on top is the one given; LUA_ERRMEM if memory ran out, with a
 * message in its place.
 * [-1, +1, m]
 */
int	 lx_chunk_shift(lua_State *L, const char *chunkname, long off);

/* The line a message "SRC:LINE: what" names: *line gets it and *at
 * points at the ':' before it; false if msg (NULL allowed) names none. */
bool	 lx_chunk_msg_line(const char *msg, const char **at, long *line);

/* A syntax error message of a chunk loaded from text, "SRC:LINE: what",
 * on top of L's stack is replaced by one naming LINE + off. Anything else
 * is left as it is. [-1, +1, m] */
void	 lx_chunk_shift_msg(lua_State *L, long off);

#endif

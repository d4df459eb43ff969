/*
 * expr.h - a cheap look at Lua text, before the compiler's: whether a
 * cell's last lines cannot be an expression. The runtime shows a cell's
 * trailing expression as the Lua REPL does, and finds it by compiling
 * candidate suffixes as `return SUFFIX`; most cells end in a statement
 * (`x = f(y)`, `end`, `local t = ...`), and each failed compile costs a
 * few microseconds, more than the cell itself when it is one short line.
 * Used by lua/runtime.c only. Needs nothing but the C library.
 */
#ifndef GL_LX_EXPR_H
#define GL_LX_EXPR_H

#include <stdbool.h>
#include <stddef.h>

/*
 * True only when p[0..n) is surely not an expression list: outside
 * brackets it has an assignment's `=`, a label, or a keyword that only
 * statements have (local, if, for, while, repeat, return, goto, break,
 * do, end, until, else, elseif, then, in), or a bracket it never opened.
 * Strings and comments are skipped. False ("it may be one: compile it")
 * for anything it cannot tell, for example text holding `function`,
 * whose body may hold any statement.
 */
bool	 lx_expr_impossible(const char *p, size_t n);

#endif

/*
 * tui_int.h - helpers shared inside tui/ only: Lua syntax highlighting and
 * markdown rendering (tui/textstyle.c), used by tui/view-layout.c. Pure.
 */
#ifndef GL_TUI_INT_H
#define GL_TUI_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/mem.h"

/* Fills styles[0..len) with an enum view_style per byte of the Lua source
 * src[0..len): keywords, strings (short and long), numbers, comments
 * (line and block). */
void	 view_hl_lua(const char *src, size_t len, uint8_t *styles);

/* Markdown state carried from one line to the next. */
struct view_md {
	bool	 fence;		/* inside a ``` block */
};

/* Renders one markdown line (without its "\n"): appends the text to show
 * to text and one style byte per byte of it to styles (both reset
 * first). *hang gets the column continuation rows indent to (under a
 * list item's text). Returns false for a line that shows nothing (a code
 * fence). *rule is set for a horizontal rule (text empty). */
bool	 view_md_line(struct view_md *st, const char *line, size_t len,
	     struct gl_buf *text, struct gl_buf *styles, int *hang,
	     bool *rule);

#endif

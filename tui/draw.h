/*
 * draw.h - the thin renderer: copies a struct view_grid to the terminal
 * with curses, sending only the cells that changed since the last frame,
 * in 256 colours, 8 colours, or (NO_COLOR, TERM=vt100) with bold,
 * underline, reverse and dim alone. Only this file and tui/term.c include
 * <curses.h>. Used by tui/app.c (painting), tui/cmd-view.c (redraw,
 * suspend) and bench/. Call after term_init().
 */
#ifndef GL_TUI_DRAW_H
#define GL_TUI_DRAW_H

#include <stddef.h>

struct view_grid;
struct draw;

/* A renderer for the terminal term_init() set up. Caller frees. */
struct draw *draw_new(void);
void	 draw_free(struct draw *d);
/* Puts g on the screen: only cells that differ from the last frame are
 * sent; the cursor is placed (or hidden) as g says. */
void	 draw_grid(struct draw *d, const struct view_grid *g);
/* The next draw_grid() repaints every cell (after a resize, a suspend,
 * Ctrl-L). */
void	 draw_invalidate(struct draw *d);
/* Cells sent to curses so far (for the benchmark). */
size_t	 draw_cells_sent(const struct draw *d);

#endif

/*
 * view-popup.c - a box drawn over the screen next to the text it is
 * about: the completion menu and an inspection (tui/view.h,
 * view_render_popup()).
 */
#include <string.h>

#include "tui/view.h"
#include "tui/view_int.h"

void
view_render_popup(const struct view_popup *p, struct view_grid *g)
{
	int	 h = (int)p->n, w = 0, top, x, first = 0;
	int	 limit = g->rows - (p->bottom > 0 ? p->bottom : 0);

	if (p->n == 0 || g->cols < 4)
		return;
	if (p->max_rows > 0 && h > p->max_rows)
		h = p->max_rows;
	if (p->sel >= h)
		first = (int)p->sel - h + 1;
	/* As wide as its widest line, whichever are in sight. */
	for (int i = 0; i < (int)p->n; i++) {
		const char *l = p->lines[i];
		const char *nt = p->notes != NULL ? p->notes[i] : NULL;
		int	 lw = view_text_cols(l, strlen(l), 0, 8) + 2;

		if (nt != NULL && *nt)
			lw += view_text_cols(nt, strlen(nt), 0, 8) + 2;
		if (lw > w)
			w = lw;
	}
	if (w > g->cols)
		w = g->cols;
	x = p->col;
	if (x + w > g->cols)
		x = g->cols - w;
	if (x < 0)
		x = 0;
	/* Under the anchor, or over it. */
	if (p->row + 1 + h <= limit)
		top = p->row + 1;
	else if (p->row - h >= 0)
		top = p->row - h;
	else {
		top = 0;
		if (h > limit)
			h = limit;
	}
	for (int r = 0; r < h && top + r < g->rows; r++) {
		int		 i = first + r, c;
		uint16_t	 st = i == p->sel ? VIEW_S_MENUSEL : VIEW_S_MENU;
		const char	*nt = p->notes != NULL ? p->notes[i] : NULL;

		for (c = x; c < x + w; c++)
			view_gcell_set(view_cell_at(g, top + r, c), ' ', 1, st);
		c = view_grid_puts_clip(g, top + r, x + 1, p->lines[i], st,
		    x + w - 1);
		if (nt != NULL && *nt) {
			int	 nw = view_text_cols(nt, strlen(nt), 0, 8);
			int	 at = x + w - 1 - nw;

			if (at > c)
				view_grid_puts_clip(g, top + r, at, nt,
				    i == p->sel ? VIEW_S_MENUSEL :
				    VIEW_S_MENUNOTE, x + w - 1);
		}
	}
}

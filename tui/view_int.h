/*
 * view_int.h - what the files of the view module share (tui/view.c,
 * view-grid.c, view-layout.c, view-render.c), and nothing else includes:
 * the view's and its cells' state, the layout of one cell into rows (a
 * struct lay and its sink), and the small grid helpers every file paints
 * with. The public API is tui/view.h.
 */
#ifndef GL_TUI_VIEW_INT_H
#define GL_TUI_VIEW_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/mem.h"
#include "core/notebook.h"
#include "tui/view.h"

/* src_off of a row that shows no source text. */
#define VIEW_NO_SRC	((size_t)-1)

/* A cell as the view knows it: outputs, run state, cached layout. */
struct vcell {
	char		 id[NB_ID_MAX + 1];
	struct view_output **out;	/* owned */
	size_t		 nout;
	enum gl_run_status run;
	int64_t		 t_ms;
	bool		 stale;
	bool		 unfolded;
	unsigned	 gen;		/* bumped on every layout change */
	int		 h;		/* cached height, valid when: */
	int		 h_w;		/* ... the width, */
	unsigned	 h_gen;		/* ... the generation */
	bool		 h_edit;	/* ... and the edit state match */
	uint8_t		*hl;		/* owned: Lua styles per byte */
	unsigned	 hl_gen;
	bool		 hl_ok;
};

/* Where a painted row came from (view_hit()). */
struct rowinfo {
	long		 cell;		/* -1: none */
	enum view_rowkind kind;
	size_t		 src_off;
	int		 indent;
};

/* The model: cells, the current cell and selection, the cell being
 * edited, the scroll position (top cell, row within it), and what the last
 * render painted. */
struct view {
	struct view_opts o;
	struct vcell	**cells;	/* owned */
	size_t		 n, cap;
	size_t		 cur;
	bool		 sel_on;
	size_t		 sel_lo, sel_hi;
	long		 edit;
	size_t		 ecur, esel_lo, esel_hi;
	size_t		 top;
	int		 top_row;
	bool		 want_visible;
	bool		 follow;	/* keep the current cell in sight */
	bool		 clamp_cursor;
	int		 w, h;		/* width and notebook rows, last render */
	struct rowinfo	*rows;		/* owned; one per grid row */
	int		 nrows;
	size_t		 first_vis, last_vis;
	size_t		 layouts;
	struct view_gcell *line;	/* owned: the row being built */
	int		 line_cap;
	struct gl_buf	 t1, t2;	/* scratch for markdown and tables */
};

/* Laying out one cell: the row being built and the sink it goes to. */
struct lay {
	struct view	*v;
	const struct nb_doc *doc;
	size_t		 ci;
	int		 w;
	int64_t		 now;
	bool		 paint;		/* styles needed */
	bool		 editing;
	bool		 bar;
	int		 col;
	enum view_rowkind kind;
	size_t		 src_off;
	int		 indent;
	int		 cur_col;
	int		 (*emit)(struct lay *);	/* returns 1 to stop */
	int		 nrow;		/* rows emitted so far */
	bool		 stop;
	/* counting sink */
	int		 cursor_row;
	/* painting sink */
	struct view_grid *g;
	int		 skip;
	int		 out_row;
	int		 max_rows;
};

/* How lay_text() lays out one line. */
struct tx {
	enum view_rowkind kind;
	int		 indent;
	int		 hang;		/* extra indent of continuation rows */
	int		 tab;
	uint16_t	 style;		/* when styles is NULL */
	const uint8_t	*styles;	/* per byte, or NULL */
	bool		 words;		/* wrap at spaces */
	bool		 clip;		/* no wrapping: cut at the edge */
	size_t		 src_base;	/* VIEW_NO_SRC for non-source text */
};

static inline void
view_gcell_set(struct view_gcell *c, uint32_t cp, int width, uint16_t attr)
{
	memset(c->cp, 0, sizeof c->cp);
	c->cp[0] = cp;
	c->width = (uint8_t)width;
	c->attr = attr;
}

/* The per-character loops of these files call the three below millions
 * of times a second while typing; these inline forms keep them free of a
 * call in the common case (the public functions are in view-grid.c). */

/* view_grid_at(). */
static inline struct view_gcell *
view_cell_at(const struct view_grid *g, int row, int col)
{
	return &g->cells[(size_t)row * (size_t)g->cols + (size_t)col];
}

/* view_utf8_decode(), ASCII without a call. */
static inline size_t
view_decode(const char *p, size_t len, uint32_t *cp)
{
	if ((unsigned char)p[0] < 0x80) {
		*cp = (unsigned char)p[0];
		return 1;
	}
	return view_utf8_decode(p, len, cp);
}

/* view_cp_width(), printable ASCII without a call. */
static inline int
view_width(uint32_t cp)
{
	if (cp >= 0x20 && cp < 0x7f)
		return 1;
	return view_cp_width(cp);
}

/* Puts cp of width w at *col of a row of cells (cols wide); combining
 * characters join the previous cell. */
static inline void
view_row_put(struct view_gcell *row, int cols, int *col, int start,
    uint32_t cp, int w, uint16_t attr)
{
	if (w == 0) {
		int	 k = *col - 1;

		while (k > start && row[k].width == 0)
			k--;
		if (k < start || k >= cols)
			return;
		for (int j = 1; j < VIEW_CP_MAX; j++)
			if (row[k].cp[j] == 0) {
				row[k].cp[j] = cp;
				break;
			}
		return;
	}
	if (*col + w > cols)
		return;
	view_gcell_set(&row[*col], cp, w, attr);
	if (w == 2)
		view_gcell_set(&row[*col + 1], 0, 0, attr);
	*col += w;
}

/* view-grid.c: view_grid_puts() clipped at column maxcol. */
int	 view_grid_puts_clip(struct view_grid *g, int row, int col,
	     const char *s, uint16_t attr, int maxcol);

/* view-layout.c */
/* Starts laying out cell i of doc at width w (the caller sets the sink:
 * L->emit and its fields). */
void	 view_lay_init(struct lay *L, struct view *v, const struct nb_doc *doc,
	     size_t i, int w);
/* Produces cell L->ci's rows, one emit per row, until the sink stops. */
void	 view_lay_cell(struct lay *L);
/* Rows of cell i at the last render's width (cached). */
int	 view_cell_height(struct view *v, const struct nb_doc *doc, size_t i);
/* The row of the editor's cursor within cell i (being edited). */
int	 view_cursor_row(struct view *v, const struct nb_doc *doc, size_t i);

/* view.c */
/* Scrolls so the current cell (the editor's cursor row when editing)
 * is on screen. */
void	 view_ensure_visible(struct view *v, const struct nb_doc *doc);

#endif

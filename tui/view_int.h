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
	uint8_t		 git;		/* enum view_git */
	char		*by;		/* owned: who started the run, or
					 * NULL */
	int		 by_color;
	unsigned	 gen;		/* bumped on every layout change */
	int		 h;		/* cached height, valid when: */
	int		 h_w;		/* ... the width, */
	unsigned	 h_gen;		/* ... the generation */
	bool		 h_edit;	/* ... and the edit state match */
	int		 h_gut;		/* ... and the gutter's width */
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
	/* Search (view_set_search, view_set_match) */
	const struct search *srch;	/* borrowed; NULL: none */
	bool		 srch_out;	/* in outputs too */
	long		 m_cell;	/* the current match; -1: none */
	size_t		 m_part, m_off, m_len;
	uint8_t		*mark;		/* owned: a line's matches, per byte */
	size_t		 mark_cap;
	struct gl_buf	 otext;		/* scratch: an output's text */
	/* Others' cursors (view_set_peers); names owned */
	struct view_peer *peers;
	size_t		 npeers;
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
	int		 gut;		/* columns of the gutter (:set number)
					 * added to every indent */
	/* Others' cursors in this cell's source (indexes into v->peers),
	 * and those in the row being built, whose names follow it */
	size_t		 cpeer[VIEW_PEER_COLORS];
	int		 ncpeer;
	size_t		 rpeer[VIEW_PEER_COLORS];
	int		 nrpeer;
	int		 (*emit)(struct lay *);	/* returns 1 to stop */
	int		 nrow;		/* rows emitted so far */
	bool		 stop;
	/* counting sink */
	int		 cursor_row;
	bool		 m_hit;		/* this row holds the current match */
	int		 match_row;	/* its row in the cell, or -1 */
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
	/* Where the line is in what search reads: a part (0: source, k +
	 * 1: output k; -1: nowhere, as rendered markdown) and the line's
	 * offset in that part's text. */
	long		 part;
	size_t		 base;
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

/* view-output.c */
/* How an output is formatted into lines. */
struct view_fmt {
	bool		 stale;		/* every line in VIEW_S_STALE */
	bool		 ascii;		/* no box-drawing glyphs */
	bool		 unfolded;	/* all of it (a tree: every level) */
};
/* Appends o's lines ('\n'-ended) to text and, if styles is not NULL, an
 * enum view_style per byte of them to styles (the kinds drawn from lines:
 * tables). */
void	 view_out_format(const struct view_output *o,
	     const struct view_fmt *f, struct gl_buf *text,
	     struct gl_buf *styles);

/* view-layout.c */
/* Starts laying out cell i of doc at width w (the caller sets the sink:
 * L->emit and its fields). */
void	 view_lay_init(struct lay *L, struct view *v, const struct nb_doc *doc,
	     size_t i, int w);
/* Produces cell L->ci's rows, one emit per row, until the sink stops. */
void	 view_lay_cell(struct lay *L);
/* Columns of the cell-number gutter (:set number): the digits of the
 * cell count and a blank, or 0. */
int	 view_gutter(const struct view *v);
/* Rows of cell i at the last render's width (cached). */
int	 view_cell_height(struct view *v, const struct nb_doc *doc, size_t i);
/* The row of the editor's cursor within cell i (being edited). */
int	 view_cursor_row(struct view *v, const struct nb_doc *doc, size_t i);
/* The row of the current search match within cell i, or -1. */
int	 view_match_row(struct view *v, const struct nb_doc *doc, size_t i);

/* view.c */
/* Scrolls so the current cell (the editor's cursor row when editing)
 * is on screen. */
void	 view_ensure_visible(struct view *v, const struct nb_doc *doc);

#endif

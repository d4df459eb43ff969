/*
 * view.c - the pure screen model: cells laid out into rows.
 *
 * Design
 * ------
 * A cell is laid out as a sequence of rows: one header row, then its
 * source (wrapped at the width; Lua highlighted) or its rendered markdown
 * (word-wrapped), then its outputs (character-wrapped, long ones folded).
 * One routine, lay_cell(), produces the rows one at a time and hands each
 * to a sink: the counting sink measures a cell's height, the painting sink
 * copies rows into the grid, skipping the rows scrolled off above. So the
 * height the scroller uses and what is painted cannot disagree.
 *
 * Scrolling is kept as (top cell, row within it). Heights are cached per
 * cell, keyed by the width, the cell's generation (bumped whenever its
 * source, kind, outputs or folding change) and whether it is being edited
 * (a markdown cell shows its source then). Nothing walks the whole
 * document per keystroke: making the current cell visible walks from the
 * top cell to it and stops once a screen is filled; a jump to a far cell
 * lays out only the cells ending at it. view_sync() is the one O(cells)
 * pass, run when a notebook is opened.
 *
 * Invariants: v->n == nb_doc_count(doc) and v->cells[i]->id is the id of
 * doc cell i between calls (view_apply_op() keeps this; view_render()
 * repairs it with view_sync() if a caller broke it). top < n unless n ==
 * 0, and top_row < the top cell's height.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "core/mem.h"
#include "core/notebook.h"
#include "core/ot.h"
#include "tui/tui_int.h"
#include "tui/view.h"

#define NO_SRC		((size_t)-1)

struct vcell {
	char		 id[NB_ID_MAX + 1];
	struct view_output **out;	/* owned */
	size_t		 nout;
	enum view_run	 run;
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

struct rowinfo {
	long		 cell;		/* -1: none */
	enum view_rowkind kind;
	size_t		 src_off;
	int		 indent;
};

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
	size_t		 src_base;	/* NO_SRC for non-source text */
};

static const char *const style_names[VIEW_S_COUNT] = {
	[VIEW_S_NORMAL] = "", [VIEW_S_DIM] = "dim", [VIEW_S_HDR] = "hdr",
	[VIEW_S_HDRCUR] = "cur", [VIEW_S_BAR] = "bar",
	[VIEW_S_KEYWORD] = "kw", [VIEW_S_STRING] = "str",
	[VIEW_S_NUMBER] = "num", [VIEW_S_COMMENT] = "com",
	[VIEW_S_H1] = "h1", [VIEW_S_H2] = "h2", [VIEW_S_BOLD] = "b",
	[VIEW_S_EMPH] = "em", [VIEW_S_CODE] = "code", [VIEW_S_LINK] = "link",
	[VIEW_S_BULLET] = "li", [VIEW_S_OUT] = "out", [VIEW_S_RESULT] = "res",
	[VIEW_S_STDERR] = "serr", [VIEW_S_ERROR] = "err", [VIEW_S_TRACE] = "tb",
	[VIEW_S_FOLD] = "fold", [VIEW_S_STALE] = "stale", [VIEW_S_TH] = "th",
	[VIEW_S_PROGRESS] = "prog", [VIEW_S_RUNNING] = "run",
	[VIEW_S_OK] = "ok", [VIEW_S_FAILED] = "fail", [VIEW_S_STATUS] = "st",
	[VIEW_S_MODE] = "mode", [VIEW_S_MSG] = "msg", [VIEW_S_MSGERR] = "msgerr",
	[VIEW_S_KEY] = "key",
};

static struct vcell *vcell_new(const char *id);
static void	 vcell_free(struct vcell *c);
static void	 vcell_touch(struct vcell *c);
static void	 cells_insert(struct view *v, size_t at, struct vcell *c);
static struct vcell *cells_remove(struct view *v, size_t at);
static int	 cell_height(struct view *v, const struct nb_doc *doc, size_t i);
static int	 cursor_row(struct view *v, const struct nb_doc *doc, size_t i);
static void	 lay_cell(struct lay *L);
static void	 ensure_visible(struct view *v, const struct nb_doc *doc);
static void	 paint(struct view *v, const struct nb_doc *doc,
		     struct view_grid *g, int64_t now);
static void	 render_status(struct view *v, const struct nb_doc *doc,
		     const struct view_status *st, struct view_grid *g, int row);
static void	 render_msg(const struct view_status *st, struct view_grid *g,
		     int row);
static void	 fmt_elapsed(char *buf, size_t n, int64_t ms);

/* ------------------------------------------------------------------ */
/* Grid */

void
view_grid_init(struct view_grid *g, int rows, int cols)
{
	memset(g, 0, sizeof *g);
	view_grid_resize(g, rows, cols);
}

void
view_grid_fini(struct view_grid *g)
{
	free(g->cells);
	memset(g, 0, sizeof *g);
}

void
view_grid_resize(struct view_grid *g, int rows, int cols)
{
	if (rows < 1)
		rows = 1;
	if (cols < 1)
		cols = 1;
	free(g->cells);
	g->rows = rows;
	g->cols = cols;
	g->cells = xcalloc((size_t)rows * (size_t)cols, sizeof *g->cells);
	view_grid_clear(g);
}

void
view_grid_clear(struct view_grid *g)
{
	size_t	 n = (size_t)g->rows * (size_t)g->cols;

	for (size_t i = 0; i < n; i++) {
		memset(&g->cells[i], 0, sizeof g->cells[i]);
		g->cells[i].cp[0] = ' ';
		g->cells[i].width = 1;
	}
	g->cur_row = g->cur_col = 0;
	g->cur_visible = false;
}

struct view_gcell *
view_grid_at(const struct view_grid *g, int row, int col)
{
	return &g->cells[(size_t)row * (size_t)g->cols + (size_t)col];
}

static void
gcell_set(struct view_gcell *c, uint32_t cp, int width, uint16_t attr)
{
	memset(c->cp, 0, sizeof c->cp);
	c->cp[0] = cp;
	c->width = (uint8_t)width;
	c->attr = attr;
}

/* Puts cp of width w at *col of a row of cells (cols wide); combining
 * characters join the previous cell. */
static void
row_put(struct view_gcell *row, int cols, int *col, int start, uint32_t cp,
    int w, uint16_t attr)
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
	gcell_set(&row[*col], cp, w, attr);
	if (w == 2)
		gcell_set(&row[*col + 1], 0, 0, attr);
	*col += w;
}

/* view_grid_puts() clipped at column maxcol. */
static int
puts_clip(struct view_grid *g, int row, int col, const char *s,
    uint16_t attr, int maxcol)
{
	size_t		 len = strlen(s), i = 0;
	uint32_t	 cp;
	struct view_gcell *r;

	if (row < 0 || row >= g->rows)
		return col;
	if (maxcol > g->cols)
		maxcol = g->cols;
	r = view_grid_at(g, row, 0);
	while (i < len && col < maxcol) {
		int	 w;

		i += view_utf8_decode(s + i, len - i, &cp);
		w = view_cp_width(cp);
		if (cp < 0x20 || cp == 0x7f) {
			row_put(r, maxcol, &col, 0, '^', 1, attr);
			row_put(r, maxcol, &col, 0, cp == 0x7f ? '?' : cp + 64,
			    1, attr);
			continue;
		}
		if (col + w > maxcol)
			break;
		row_put(r, maxcol, &col, 0, cp, w, attr);
	}
	return col;
}

int
view_grid_puts(struct view_grid *g, int row, int col, const char *s,
    uint16_t attr)
{
	return puts_clip(g, row, col, s, attr, g->cols);
}

const char *
view_style_name(enum view_style s)
{
	if ((int)s < 0 || s >= VIEW_S_COUNT)
		return "?";
	return style_names[s];
}

char *
view_grid_picture(const struct view_grid *g)
{
	struct gl_buf	 b;

	gl_buf_init(&b);
	for (int r = 0; r < g->rows; r++) {
		int	 end = g->cols;
		int	 open = -1;	/* attr of the open {...} or -1 */

		/* Drop trailing plain spaces (a cursor there is shown at the
		 * end). */
		while (end > 0) {
			const struct view_gcell *c = view_grid_at(g, r, end - 1);

			if (c->cp[0] != ' ' || c->cp[1] != 0 || c->attr != 0)
				break;
			end--;
		}
		gl_buf_addc(&b, '|');
		for (int col = 0; col < end; col++) {
			const struct view_gcell *c = view_grid_at(g, r, col);
			char	 u[4];

			if (c->width == 0 && c->cp[0] == 0)
				continue;
			if (open >= 0 && c->attr != open) {
				gl_buf_addc(&b, '}');
				open = -1;
			}
			if (g->cur_visible && g->cur_row == r &&
			    g->cur_col == col)
				gl_buf_addc(&b, '^');
			if (open < 0 && c->attr != 0) {
				gl_buf_addf(&b, "{%s%s:",
				    view_style_name(VIEW_STYLE(c->attr)),
				    (c->attr & VIEW_F_SEL) ? "+sel" : "");
				open = c->attr;
			}
			for (int j = 0; j < VIEW_CP_MAX && c->cp[j] != 0; j++)
				gl_buf_add(&b, u, view_utf8_encode(c->cp[j], u));
		}
		if (open >= 0)
			gl_buf_addc(&b, '}');
		if (g->cur_visible && g->cur_row == r && g->cur_col >= end) {
			for (int k = end; k < g->cur_col; k++)
				gl_buf_addc(&b, ' ');
			gl_buf_addc(&b, '^');
		}
		gl_buf_adds(&b, "|\n");
	}
	return gl_buf_take(&b, NULL);
}

/* ------------------------------------------------------------------ */
/* UTF-8 and widths */

size_t
view_utf8_decode(const char *p, size_t len, uint32_t *cp)
{
	const unsigned char *s = (const unsigned char *)p;
	uint32_t	 c;
	size_t		 n;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2;
		c = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3;
		c = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		c = s[0] & 0x07;
	} else
		goto bad;
	if (len < n)
		goto bad;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			goto bad;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if ((n == 3 && (c < 0x800 || (c >= 0xd800 && c <= 0xdfff))) ||
	    (n == 4 && (c < 0x10000 || c > 0x10ffff)))
		goto bad;
	*cp = c;
	return n;
bad:
	*cp = 0xfffd;
	return 1;
}

size_t
view_utf8_encode(uint32_t cp, char *out)
{
	unsigned char *o = (unsigned char *)out;

	if (cp < 0x80) {
		o[0] = (unsigned char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (unsigned char)(0xc0 | (cp >> 6));
		o[1] = (unsigned char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (unsigned char)(0xe0 | (cp >> 12));
		o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		o[2] = (unsigned char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (unsigned char)(0xf0 | (cp >> 18));
	o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
	o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
	o[3] = (unsigned char)(0x80 | (cp & 0x3f));
	return 4;
}

int
view_cp_width(uint32_t cp)
{
	int	 w;

	if (cp < 0x20 || cp == 0x7f)
		return 2;
	if (cp < 0x7f)
		return 1;
	if (cp >= 0x80 && cp < 0xa0)
		return 1;
	w = wcwidth((wchar_t)cp);
	if (w < 0)
		return 1;
	return w > 2 ? 2 : w;
}

int
view_text_cols(const char *s, size_t len, int col0, int tab)
{
	size_t		 i = 0;
	int		 col = col0;
	uint32_t	 cp;

	if (tab < 1)
		tab = 1;
	while (i < len) {
		i += view_utf8_decode(s + i, len - i, &cp);
		if (cp == '\t')
			col += tab - col % tab;
		else
			col += view_cp_width(cp);
	}
	return col;
}

/* ------------------------------------------------------------------ */
/* Outputs */

struct view_output *
view_output_new(enum view_out_kind kind, const char *text, size_t len)
{
	struct view_output *o = xcalloc(1, sizeof *o);

	o->kind = kind;
	o->busy = -1;
	if (text != NULL) {
		o->text = xstrndup(text, len);
		o->len = len;
	}
	return o;
}

void
view_output_free(struct view_output *o)
{
	if (o == NULL)
		return;
	if (o->cells != NULL)
		for (size_t i = 0; i < (o->nrows + 1) * o->ncols; i++)
			free(o->cells[i]);
	free(o->cells);
	free(o->text);
	free(o->traceback);
	free(o->key);
	free(o);
}

void
view_output_table(struct view_output *o, size_t ncols, size_t nrows)
{
	if (o->cells != NULL)
		for (size_t i = 0; i < (o->nrows + 1) * o->ncols; i++)
			free(o->cells[i]);
	free(o->cells);
	o->ncols = ncols;
	o->nrows = nrows;
	o->cells = xcalloc((nrows + 1) * (ncols ? ncols : 1), sizeof *o->cells);
}

void
view_output_table_set(struct view_output *o, size_t r, size_t c, const char *s,
    size_t len)
{
	char	**slot;

	if (r > o->nrows || c >= o->ncols)
		return;
	slot = &o->cells[r * o->ncols + c];
	free(*slot);
	*slot = xstrndup(s, len);
}

/* ------------------------------------------------------------------ */
/* The view and its cells */

struct view *
view_new(const struct view_opts *opts)
{
	struct view	*v = xcalloc(1, sizeof *v);

	if (opts != NULL)
		v->o = *opts;
	if (v->o.fold_lines < 2)
		v->o.fold_lines = 12;
	if (v->o.tab_source < 1)
		v->o.tab_source = 4;
	if (v->o.tab_output < 1)
		v->o.tab_output = 8;
	v->edit = -1;
	v->want_visible = true;
	v->follow = true;
	gl_buf_init(&v->t1);
	gl_buf_init(&v->t2);
	return v;
}

void
view_free(struct view *v)
{
	if (v == NULL)
		return;
	for (size_t i = 0; i < v->n; i++)
		vcell_free(v->cells[i]);
	free(v->cells);
	free(v->rows);
	free(v->line);
	gl_buf_fini(&v->t1);
	gl_buf_fini(&v->t2);
	free(v);
}

void
view_set_opts(struct view *v, const struct view_opts *opts)
{
	struct view_opts o = *opts;

	if (o.fold_lines < 2)
		o.fold_lines = 12;
	if (o.tab_source < 1)
		o.tab_source = 4;
	if (o.tab_output < 1)
		o.tab_output = 8;
	v->o = o;
	for (size_t i = 0; i < v->n; i++)
		vcell_touch(v->cells[i]);
	v->want_visible = true;
}

static struct vcell *
vcell_new(const char *id)
{
	struct vcell	*c = xcalloc(1, sizeof *c);

	snprintf(c->id, sizeof c->id, "%s", id);
	c->t_ms = -1;
	c->gen = 1;
	return c;
}

static void
vcell_free(struct vcell *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->nout; i++)
		view_output_free(c->out[i]);
	free(c->out);
	free(c->hl);
	free(c);
}

static void
vcell_touch(struct vcell *c)
{
	c->gen++;
}

static void
cells_insert(struct view *v, size_t at, struct vcell *c)
{
	if (v->n == v->cap) {
		v->cap = v->cap ? v->cap * 2 : 64;
		v->cells = xrealloc(v->cells, v->cap * sizeof *v->cells);
	}
	if (at > v->n)
		at = v->n;
	memmove(v->cells + at + 1, v->cells + at,
	    (v->n - at) * sizeof *v->cells);
	v->cells[at] = c;
	v->n++;
}

static struct vcell *
cells_remove(struct view *v, size_t at)
{
	struct vcell	*c = v->cells[at];

	memmove(v->cells + at, v->cells + at + 1,
	    (v->n - at - 1) * sizeof *v->cells);
	v->n--;
	return c;
}

/* FNV-1a of an id, for view_sync()'s table. */
static size_t
id_hash(const char *s)
{
	size_t	 h = 1469598103934665603ull & (size_t)-1;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * (size_t)1099511628211ull;
	return h;
}

void
view_sync(struct view *v, const struct nb_doc *doc)
{
	size_t		 n = nb_doc_count(doc), nt, i;
	struct vcell	**old = v->cells, **tab;
	size_t		 nold = v->n;
	char		 curid[NB_ID_MAX + 1] = "", topid[NB_ID_MAX + 1] = "";

	if (v->cur < nold)
		snprintf(curid, sizeof curid, "%s", old[v->cur]->id);
	if (v->top < nold)
		snprintf(topid, sizeof topid, "%s", old[v->top]->id);
	/* An open-addressing table of the old cells by id. */
	nt = 16;
	while (nt < nold * 2)
		nt *= 2;
	tab = xcalloc(nt, sizeof *tab);
	for (i = 0; i < nold; i++) {
		size_t	 h = id_hash(old[i]->id) & (nt - 1);

		while (tab[h] != NULL)
			h = (h + 1) & (nt - 1);
		tab[h] = old[i];
	}
	v->cells = NULL;
	v->n = v->cap = 0;
	for (i = 0; i < n; i++) {
		const char	*id = nb_cell_id(nb_doc_cell(doc, i));
		size_t		 h = id_hash(id) & (nt - 1);
		struct vcell	*c = NULL;

		for (; tab[h] != NULL; h = (h + 1) & (nt - 1))
			if (tab[h] != (struct vcell *)-1 &&
			    strcmp(tab[h]->id, id) == 0) {
				c = tab[h];
				tab[h] = (struct vcell *)-1;	/* taken */
				break;
			}
		if (c == NULL)
			c = vcell_new(id);
		vcell_touch(c);
		cells_insert(v, v->n, c);
		if (strcmp(id, curid) == 0)
			v->cur = i;
		if (strcmp(id, topid) == 0) {
			v->top = i;
			v->top_row = 0;
		}
	}
	for (i = 0; i < nt; i++)
		if (tab[i] != NULL && tab[i] != (struct vcell *)-1)
			vcell_free(tab[i]);
	free(tab);
	free(old);
	if (v->cur >= v->n)
		v->cur = v->n ? v->n - 1 : 0;
	if (v->top >= v->n) {
		v->top = v->n ? v->n - 1 : 0;
		v->top_row = 0;
	}
	v->want_visible = true;
}

/* Keeps index *p on the same cell across the removal of from and the
 * insertion at to (either may be (size_t)-1: none). */
static void
track_index(size_t *p, size_t from, size_t to, bool is_moved)
{
	if (is_moved) {
		*p = to;
		return;
	}
	if (from != (size_t)-1 && from < *p)
		(*p)--;
	if (to != (size_t)-1 && to <= *p)
		(*p)++;
}

void
view_apply_op(struct view *v, const struct nb_doc *doc, const struct ot_op *op)
{
	size_t	 i, n = nb_doc_count(doc);

	switch (op->kind) {
	case OT_INSERT_CELL:
		if (op->index > v->n)
			break;
		cells_insert(v, op->index, vcell_new(op->id));
		track_index(&v->cur, (size_t)-1, op->index, false);
		/* Keep the screen still: the top cell stays on top. */
		if (v->n > 1)
			track_index(&v->top, (size_t)-1, op->index, false);
		if (v->edit >= 0 && (size_t)v->edit >= op->index)
			v->edit++;
		break;
	case OT_DELETE_CELL:
		if (op->from >= v->n || strcmp(v->cells[op->from]->id, op->id))
			break;
		vcell_free(cells_remove(v, op->from));
		if (v->cur > op->from || (v->cur == op->from && v->cur == v->n &&
		    v->cur > 0))
			v->cur--;
		if (v->top > op->from || (v->top == op->from && v->top == v->n &&
		    v->top > 0))
			v->top--;
		if (v->top == op->from)
			v->top_row = 0;
		if (v->edit == (long)op->from)
			v->edit = -1;
		else if (v->edit > (long)op->from)
			v->edit--;
		break;
	case OT_MOVE_CELL:
		if (op->from >= v->n || op->index >= v->n ||
		    strcmp(v->cells[op->from]->id, op->id))
			break;
		cells_insert(v, op->index, cells_remove(v, op->from));
		track_index(&v->cur, op->from, op->index, v->cur == op->from);
		if (v->edit >= 0) {
			size_t	 e = (size_t)v->edit;

			track_index(&e, op->from, op->index,
			    e == op->from);
			v->edit = (long)e;
		}
		vcell_touch(v->cells[op->index]);
		v->want_visible = true;
		break;
	case OT_SET_KIND:
	case OT_SET_META:
	case OT_TEXT:
		if (nb_doc_find(doc, op->id, &i) != NULL && i < v->n &&
		    strcmp(v->cells[i]->id, op->id) == 0)
			vcell_touch(v->cells[i]);
		break;
	}
	if (v->n != n)
		view_sync(v, doc);
	if (v->top >= v->n)
		v->top = v->n ? v->n - 1 : 0;
}

void
view_touch(struct view *v, size_t i)
{
	if (i < v->n)
		vcell_touch(v->cells[i]);
}

size_t
view_count(const struct view *v)
{
	return v->n;
}

void
view_out_clear(struct view *v, size_t i)
{
	struct vcell	*c;

	if (i >= v->n)
		return;
	c = v->cells[i];
	for (size_t k = 0; k < c->nout; k++)
		view_output_free(c->out[k]);
	free(c->out);
	c->out = NULL;
	c->nout = 0;
	c->unfolded = false;
	vcell_touch(c);
}

static bool
str_eq_null(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

void
view_out_add(struct view *v, size_t i, struct view_output *o)
{
	struct vcell	*c;

	if (i >= v->n) {
		view_output_free(o);
		return;
	}
	c = v->cells[i];
	vcell_touch(c);
	if (o->kind == VIEW_OUT_STREAM && c->nout > 0) {
		struct view_output *last = c->out[c->nout - 1];

		if (last->kind == VIEW_OUT_STREAM &&
		    last->is_stderr == o->is_stderr) {
			last->text = xrealloc(last->text, last->len + o->len + 1);
			memcpy(last->text + last->len, o->text ? o->text : "",
			    o->len);
			last->len += o->len;
			last->text[last->len] = '\0';
			view_output_free(o);
			return;
		}
	}
	if (o->kind == VIEW_OUT_PROGRESS)
		for (size_t k = 0; k < c->nout; k++)
			if (c->out[k]->kind == VIEW_OUT_PROGRESS &&
			    str_eq_null(c->out[k]->key, o->key)) {
				struct view_output *old = c->out[k];

				if (o->text == NULL && old->text != NULL) {
					o->text = old->text;
					o->len = old->len;
					old->text = NULL;
				}
				if (o->busy < 0)
					o->busy = old->busy;
				view_output_free(old);
				c->out[k] = o;
				return;
			}
	c->out = xrealloc(c->out, (c->nout + 1) * sizeof *c->out);
	c->out[c->nout++] = o;
}

size_t
view_out_count(const struct view *v, size_t i)
{
	return i < v->n ? v->cells[i]->nout : 0;
}

const struct view_output *
view_out_get(const struct view *v, size_t i, size_t k)
{
	if (i >= v->n || k >= v->cells[i]->nout)
		return NULL;
	return v->cells[i]->out[k];
}

void
view_set_run(struct view *v, size_t i, enum view_run state, int64_t t_ms)
{
	if (i >= v->n)
		return;
	v->cells[i]->run = state;
	v->cells[i]->t_ms = t_ms;
}

enum view_run
view_get_run(const struct view *v, size_t i)
{
	return i < v->n ? v->cells[i]->run : VIEW_RUN_NONE;
}

void
view_set_stale(struct view *v, size_t i, bool stale)
{
	if (i < v->n && v->cells[i]->stale != stale) {
		v->cells[i]->stale = stale;
		vcell_touch(v->cells[i]);
	}
}

bool
view_get_stale(const struct view *v, size_t i)
{
	return i < v->n && v->cells[i]->stale;
}

bool
view_toggle_fold(struct view *v, size_t i)
{
	if (i >= v->n)
		return false;
	v->cells[i]->unfolded = !v->cells[i]->unfolded;
	vcell_touch(v->cells[i]);
	return v->cells[i]->unfolded;
}

size_t
view_cursor(const struct view *v)
{
	return v->cur;
}

void
view_set_cursor(struct view *v, size_t i)
{
	v->cur = i;
	v->want_visible = true;
	v->follow = true;
	v->clamp_cursor = false;
}

void
view_set_cell_sel(struct view *v, bool on, size_t lo, size_t hi)
{
	v->sel_on = on;
	v->sel_lo = lo < hi ? lo : hi;
	v->sel_hi = lo < hi ? hi : lo;
}

void
view_set_edit(struct view *v, long i, size_t cur, size_t sel_lo,
    size_t sel_hi)
{
	if (i != v->edit || cur != v->ecur)
		v->want_visible = true;
	v->edit = i;
	v->ecur = cur;
	v->esel_lo = sel_lo;
	v->esel_hi = sel_hi;
}

int
view_page_rows(const struct view *v)
{
	return v->h > 0 ? v->h : 1;
}

void
view_visible(const struct view *v, size_t *first, size_t *last)
{
	*first = v->first_vis;
	*last = v->last_vis;
}

size_t
view_layouts_done(const struct view *v)
{
	return v->layouts;
}

/* ------------------------------------------------------------------ */
/* Laying out rows */

static void
lay_begin(struct lay *L, enum view_rowkind kind, int indent)
{
	struct view_gcell *r = L->v->line;

	for (int i = 0; i < L->w; i++)
		gcell_set(&r[i], ' ', 1, 0);
	if (L->bar && L->w > 1)
		gcell_set(&r[0], L->v->o.ascii ? '|' : 0x258e, 1, VIEW_S_BAR);
	L->col = indent < L->w ? indent : L->w;
	L->kind = kind;
	L->indent = indent;
	L->src_off = NO_SRC;
	L->cur_col = -1;
}

static void
lay_end(struct lay *L)
{
	if (L->stop)
		return;
	if (L->emit(L))
		L->stop = true;
	L->nrow++;
}

/* Lays out line s[0..n) as one or more rows. */
static void
lay_text(struct lay *L, const char *s, size_t n, const struct tx *t)
{
	struct view	*v = L->v;
	size_t		 pos = 0;
	int		 start = t->indent;
	bool		 word_start = true;
	bool		 ed = L->editing && t->src_base != NO_SRC;

	if (L->stop)
		return;
	lay_begin(L, t->kind, t->indent);
	L->src_off = t->src_base;
	while (pos < n) {
		uint32_t	 cp;
		size_t		 clen = view_utf8_decode(s + pos, n - pos, &cp);
		uint16_t	 attr = t->styles ? t->styles[pos] : t->style;
		int		 w;
		bool		 ctl = false;

		if (cp == '\t') {
			int	 tab = t->tab > 0 ? t->tab : 1;

			w = tab - (L->col - start) % tab;
		} else if (cp < 0x20 || cp == 0x7f) {
			w = 2;
			ctl = true;
		} else
			w = view_cp_width(cp);
		if (t->words && cp != ' ' && word_start) {
			/* Measure the word to wrap before it if it fits a
			 * fresh row but not this one. */
			size_t	 k = pos;
			int	 ww = 0;

			while (k < n && s[k] != ' ') {
				uint32_t c2;

				k += view_utf8_decode(s + k, n - k, &c2);
				ww += view_cp_width(c2);
			}
			if (L->col > start && L->col + ww > L->w &&
			    ww <= L->w - (t->indent + t->hang)) {
				lay_end(L);
				if (L->stop)
					return;
				start = t->indent + t->hang;
				lay_begin(L, t->kind, start);
			}
		}
		word_start = cp == ' ';
		if (w > 0 && L->col + w > L->w) {
			if (t->clip)
				break;
			if (L->col > start) {
				lay_end(L);
				if (L->stop)
					return;
				start = t->indent + t->hang;
				lay_begin(L, t->kind, start);
				if (t->src_base != NO_SRC)
					L->src_off = t->src_base + pos;
				if (t->words && cp == ' ') {
					pos += clen;
					continue;
				}
			}
			if (L->col + w > L->w) {
				/* Wider than a whole row: skip it. */
				pos += clen;
				continue;
			}
		}
		if (ed && t->src_base + pos >= v->esel_lo &&
		    t->src_base + pos < v->esel_hi)
			attr |= VIEW_F_SEL;
		if (ed && t->src_base + pos == v->ecur)
			L->cur_col = L->col;
		if (cp == '\t') {
			for (int k = 0; k < w; k++)
				row_put(v->line, L->w, &L->col, start, ' ', 1,
				    attr);
		} else if (ctl) {
			row_put(v->line, L->w, &L->col, start, '^', 1, attr);
			row_put(v->line, L->w, &L->col, start,
			    cp == 0x7f ? '?' : cp + 64, 1, attr);
		} else
			row_put(v->line, L->w, &L->col, start, cp, w, attr);
		pos += clen;
	}
	if (ed && t->src_base + n == v->ecur)
		L->cur_col = L->col < L->w ? L->col : L->w - 1;
	lay_end(L);
}

/* One row holding s in style. */
static void
lay_line(struct lay *L, enum view_rowkind kind, int indent, const char *s,
    uint16_t style)
{
	struct tx t = { .kind = kind, .indent = indent, .tab = 8,
	    .style = style, .src_base = NO_SRC, .clip = true };

	lay_text(L, s, strlen(s), &t);
}

static const char *
run_label(const struct vcell *c, int64_t now, char *buf, size_t n,
    uint16_t *style)
{
	char	 el[32] = "";

	if (c->t_ms >= 0 && c->run != VIEW_RUN_QUEUED)
		fmt_elapsed(el, sizeof el, c->run == VIEW_RUN_RUNNING ?
		    now - c->t_ms : c->t_ms);
	*style = VIEW_S_HDR;
	switch (c->run) {
	case VIEW_RUN_NONE:
		return "";
	case VIEW_RUN_QUEUED:
		*style = VIEW_S_RUNNING;
		return "queued";
	case VIEW_RUN_RUNNING:
		*style = VIEW_S_RUNNING;
		snprintf(buf, n, "running %s", el);
		return buf;
	case VIEW_RUN_OK:
		*style = VIEW_S_OK;
		snprintf(buf, n, "ok%s%s", *el ? " " : "", el);
		return buf;
	case VIEW_RUN_ERROR:
		*style = VIEW_S_FAILED;
		snprintf(buf, n, "error%s%s", *el ? " " : "", el);
		return buf;
	case VIEW_RUN_INTERRUPTED:
		*style = VIEW_S_FAILED;
		return "interrupted";
	case VIEW_RUN_CANCELLED:
		return "cancelled";
	case VIEW_RUN_DIED:
		*style = VIEW_S_FAILED;
		return "runtime died";
	}
	return "";
}

static void
lay_header(struct lay *L, const struct nb_cell *cell, const struct vcell *c)
{
	struct view	*v = L->v;
	bool		 cur = L->ci == v->cur;
	uint16_t	 hs = cur ? VIEW_S_HDRCUR : VIEW_S_HDR, rs = 0;
	char		 left[256], rbuf[64];
	const char	*right, *kind = "";
	int		 rw, col, end;

	if (nb_cell_is_header(cell))
		kind = " header";
	else if (nb_cell_kind(cell) == NB_MARKDOWN)
		kind = " markdown";
	else if (nb_cell_kind(cell) == NB_RAW)
		kind = " raw";
	snprintf(left, sizeof left, "[%s]%s%s%s", nb_cell_id(cell), kind,
	    *nb_cell_title(cell) ? " " : "", nb_cell_title(cell));
	lay_begin(L, VIEW_ROW_HEADER, 2);
	if (!L->paint) {
		lay_end(L);
		return;
	}
	right = run_label(c, L->now, rbuf, sizeof rbuf, &rs);
	/* The right part: "stale", then the run state; right-aligned with
	 * one blank column at the edge. */
	rw = *right ? (int)strlen(right) : 0;
	if (c->stale)
		rw += rw ? 7 : 5;
	end = L->w - 1 - rw - (rw ? 2 : 0);
	if (end < 6)
		end = L->w, rw = 0;
	col = 2;
	{
		size_t	 i = 0, len = strlen(left);
		uint32_t cp;

		while (i < len) {
			size_t	 k = view_utf8_decode(left + i, len - i, &cp);
			int	 w = view_cp_width(cp);

			if (col + w > end)
				break;
			row_put(v->line, L->w, &col, 2, cp, w, hs);
			i += k;
		}
	}
	if (rw > 0) {
		col = L->w - 1 - rw;
		if (c->stale) {
			for (const char *s = "stale"; *s; s++)
				row_put(v->line, L->w, &col, 0,
				    (unsigned char)*s, 1, VIEW_S_STALE);
			col += *right ? 2 : 0;
		}
		for (const char *s = right; *s && col < L->w; s++)
			row_put(v->line, L->w, &col, 0, (unsigned char)*s, 1,
			    rs);
	}
	lay_end(L);
}

static const uint8_t *
cell_styles(struct view *v, size_t i, const char *src, size_t len)
{
	struct vcell	*c = v->cells[i];

	if (!c->hl_ok || c->hl_gen != c->gen) {
		free(c->hl);
		c->hl = xmalloc(len + 1);
		view_hl_lua(src, len, c->hl);
		c->hl_gen = c->gen;
		c->hl_ok = true;
	}
	return c->hl;
}

static void
lay_source(struct lay *L, const struct nb_cell *cell)
{
	size_t		 len, pos = 0;
	const char	*src = nb_cell_source(cell, &len);
	const uint8_t	*st = NULL;
	struct tx	 t = { .kind = VIEW_ROW_SOURCE, .indent = 2,
			    .tab = L->v->o.tab_source };

	if (L->paint && nb_cell_kind(cell) == NB_CODE)
		st = cell_styles(L->v, L->ci, src, len);
	for (;;) {
		const char	*nl = memchr(src + pos, '\n', len - pos);
		size_t		 end = nl ? (size_t)(nl - src) : len;

		t.styles = st ? st + pos : NULL;
		t.src_base = pos;
		lay_text(L, src + pos, end - pos, &t);
		if (L->stop || nl == NULL)
			break;
		pos = end + 1;
	}
}

static void
lay_markdown(struct lay *L, const struct nb_cell *cell)
{
	struct view	*v = L->v;
	size_t		 len, pos = 0;
	const char	*src = nb_cell_source(cell, &len);
	struct view_md	 md = { false };

	if (len == 0) {
		lay_line(L, VIEW_ROW_MARKDOWN, 2, "(empty markdown cell)",
		    VIEW_S_DIM);
		return;
	}
	while (pos <= len && !L->stop) {
		const char	*nl = memchr(src + pos, '\n', len - pos);
		size_t		 end = nl ? (size_t)(nl - src) : len;
		int		 hang;
		bool		 rule;

		if (view_md_line(&md, src + pos, end - pos, &v->t1, &v->t2,
		    &hang, &rule)) {
			if (rule) {
				lay_begin(L, VIEW_ROW_MARKDOWN, 2);
				for (int c = 2; c < L->w - 1; )
					row_put(v->line, L->w, &c, 2,
					    v->o.ascii ? '-' : 0x2500, 1,
					    VIEW_S_DIM);
				lay_end(L);
			} else {
				struct tx t = { .kind = VIEW_ROW_MARKDOWN,
				    .indent = 2, .hang = hang, .tab = 4,
				    .styles = (const uint8_t *)v->t2.data,
				    .words = true, .src_base = NO_SRC };

				lay_text(L, v->t1.data ? v->t1.data : "",
				    v->t1.len, &t);
			}
		}
		if (nl == NULL)
			break;
		pos = end + 1;
	}
}

static int
out_indent(const struct lay *L)
{
	return L->w >= 12 ? 4 : 2;
}

static void
lay_fold(struct lay *L, const char *fmt, size_t n)
{
	char	 buf[128];

	snprintf(buf, sizeof buf, fmt, n);
	lay_line(L, VIEW_ROW_FOLD, out_indent(L), buf, VIEW_S_FOLD);
}

/* Text output lines, folded when longer than fold_lines. */
static void
lay_lines(struct lay *L, const struct vcell *c, const char *s, size_t len,
    uint16_t style)
{
	size_t	 nlines = 0, shown, pos = 0, k;
	int	 fold = L->v->o.fold_lines;
	struct tx t = { .kind = VIEW_ROW_OUTPUT, .indent = out_indent(L),
	    .tab = L->v->o.tab_output, .style = c->stale ? VIEW_S_STALE : style,
	    .src_base = NO_SRC };

	if (s == NULL)
		return;
	if (len > 0 && s[len - 1] == '\n')
		len--;
	for (k = 0; k < len; k++)
		nlines += s[k] == '\n';
	nlines++;
	shown = nlines;
	if (!c->unfolded && nlines > (size_t)fold)
		shown = (size_t)fold - 1;
	for (k = 0; k < shown && !L->stop; k++) {
		const char	*nl = memchr(s + pos, '\n', len - pos);
		size_t		 end = nl ? (size_t)(nl - s) : len;

		lay_text(L, s + pos, end - pos, &t);
		pos = end + 1;
	}
	if (shown < nlines)
		lay_fold(L, "\xe2\x80\xa6 %zu more lines (o: unfold)",
		    nlines - shown);
	else if (c->unfolded && nlines > (size_t)fold)
		lay_fold(L, "(%zu lines; o: fold)", nlines);
}

static void
lay_error(struct lay *L, const struct vcell *c, const struct view_output *o)
{
	size_t	 n = 0;

	lay_lines(L, c, o->text, o->len, VIEW_S_ERROR);
	if (o->traceback == NULL || *o->traceback == '\0')
		return;
	for (const char *p = o->traceback; *p; p++)
		n += *p == '\n';
	if (o->traceback[strlen(o->traceback) - 1] != '\n')
		n++;
	if (!c->unfolded) {
		lay_fold(L, "\xe2\x96\xb8 traceback, %zu lines (o: unfold)", n);
		return;
	}
	{
		struct vcell	 tmp = *c;

		tmp.unfolded = true;
		lay_lines(L, &tmp, o->traceback, strlen(o->traceback),
		    VIEW_S_TRACE);
	}
}

static bool
is_number(const char *s)
{
	char	*end;

	if (s == NULL || *s == '\0')
		return false;
	(void)strtod(s, &end);
	return *end == '\0';
}

/* Appends s (clipped to w columns, padded to w, right-aligned if right)
 * to the scratch text with style. */
static void
table_cell(struct view *v, const char *s, int w, bool right, uint8_t style)
{
	size_t		 len = s ? strlen(s) : 0, i = 0, start = v->t1.len;
	int		 cols = 0, pad;
	uint32_t	 cp;

	/* Clip to w columns (an ellipsis marks a cut). */
	while (i < len) {
		size_t	 k = view_utf8_decode(s + i, len - i, &cp);
		int	 cw = (cp < 0x20 || cp == 0x7f) ? 1 : view_cp_width(cp);

		if (cols + cw > w || (cols + cw == w && i + k < len &&
		    view_text_cols(s + i + k, len - i - k, 0, 8) > 0)) {
			if (cols < w) {
				gl_buf_adds(&v->t1, "\xe2\x80\xa6");
				cols++;
			}
			break;
		}
		if (cp < 0x20 || cp == 0x7f)
			gl_buf_addc(&v->t1, ' ');
		else
			gl_buf_add(&v->t1, s + i, k);
		cols += cw;
		i += k;
	}
	pad = w - cols;
	if (right && pad > 0) {
		size_t	 n = v->t1.len - start;
		char	*tmp = xstrndup(v->t1.data + start, n);

		v->t1.len = start;
		for (int k = 0; k < pad; k++)
			gl_buf_addc(&v->t1, ' ');
		gl_buf_add(&v->t1, tmp, n);
		free(tmp);
	} else
		for (int k = 0; k < pad; k++)
			gl_buf_addc(&v->t1, ' ');
	gl_buf_reserve(&v->t2, v->t1.len - v->t2.len);
	memset(v->t2.data + v->t2.len, style, v->t1.len - v->t2.len);
	v->t2.len = v->t1.len;
}

static void
lay_table_row(struct lay *L, const struct view_output *o, size_t r,
    const int *w, const bool *num, uint8_t style)
{
	struct view	*v = L->v;
	struct tx	 t = { .kind = VIEW_ROW_OUTPUT, .indent = out_indent(L),
			    .tab = 8, .clip = true, .src_base = NO_SRC };

	gl_buf_reset(&v->t1);
	gl_buf_reset(&v->t2);
	for (size_t c = 0; c < o->ncols; c++) {
		if (c > 0)
			table_cell(v, "  ", 2, false, VIEW_S_NORMAL);
		table_cell(v, o->cells[r * o->ncols + c], w[c],
		    r > 0 && num[c], style);
	}
	t.styles = (const uint8_t *)v->t2.data;
	lay_text(L, v->t1.data ? v->t1.data : "", v->t1.len, &t);
}

static void
lay_table(struct lay *L, const struct vcell *c, const struct view_output *o)
{
	struct view	*v = L->v;
	int		*w;
	bool		*num;
	size_t		 shown = o->nrows;
	int		 maxw = o->ncols == 1 ? 60 : 30;
	uint8_t		 body = c->stale ? VIEW_S_STALE : VIEW_S_OUT;

	if (o->ncols == 0 || o->cells == NULL)
		return;
	w = xcalloc(o->ncols, sizeof *w);
	num = xcalloc(o->ncols, sizeof *num);
	for (size_t col = 0; col < o->ncols; col++) {
		num[col] = o->nrows > 0;
		for (size_t r = 0; r <= o->nrows; r++) {
			const char *s = o->cells[r * o->ncols + col];
			int	 cw = s ? view_text_cols(s, strlen(s), 0, 1) : 0;

			if (cw > w[col])
				w[col] = cw;
			if (r > 0 && s != NULL && *s && !is_number(s))
				num[col] = false;
		}
		if (w[col] > maxw)
			w[col] = maxw;
		if (w[col] < 1)
			w[col] = 1;
	}
	lay_table_row(L, o, 0, w, num, c->stale ? VIEW_S_STALE : VIEW_S_TH);
	lay_begin(L, VIEW_ROW_OUTPUT, out_indent(L));
	for (size_t col = 0; col < o->ncols && L->col < L->w; col++) {
		if (col > 0)
			L->col += 2;
		for (int k = 0; k < w[col] && L->col < L->w; k++)
			row_put(v->line, L->w, &L->col, 0,
			    v->o.ascii ? '-' : 0x2500, 1, VIEW_S_DIM);
	}
	lay_end(L);
	if (!c->unfolded && o->nrows > (size_t)v->o.fold_lines)
		shown = (size_t)v->o.fold_lines - 1;
	for (size_t r = 1; r <= shown && !L->stop; r++)
		lay_table_row(L, o, r, w, num, body);
	if (shown < o->nrows)
		lay_fold(L, "\xe2\x80\xa6 %zu more rows (o: unfold)",
		    o->nrows - shown);
	else if (c->unfolded && o->nrows > (size_t)v->o.fold_lines)
		lay_fold(L, "(%zu rows; o: fold)", o->nrows);
	free(w);
	free(num);
}

static void
lay_progress(struct lay *L, const struct vcell *c, const struct view_output *o)
{
	struct view	*v = L->v;
	char		 tail[64], extra[64], failed[64];
	int		 avail, bw, fill, col;
	double		 frac;
	uint16_t	 st = c->stale ? VIEW_S_STALE : VIEW_S_OUT;

	lay_begin(L, VIEW_ROW_OUTPUT, out_indent(L));
	col = L->col;
	if (o->text != NULL && *o->text) {
		col = view_grid_puts(&(struct view_grid){ .rows = 1,
		    .cols = L->w, .cells = v->line }, 0, col, o->text,
		    VIEW_S_OUT);
		col++;
	}
	/* After the counts: failures (as an error) and, while the cell
	 * runs, the workers busy on it. */
	failed[0] = extra[0] = '\0';
	if (o->failed > 0)
		snprintf(failed, sizeof failed, "  %g failed", o->failed);
	if (o->busy >= 0 && c->run == VIEW_RUN_RUNNING)
		snprintf(extra, sizeof extra, "  %d worker%s busy", o->busy,
		    o->busy == 1 ? "" : "s");
	if (o->total > 0) {
		frac = o->done / o->total;
		if (frac < 0)
			frac = 0;
		if (frac > 1)
			frac = 1;
		snprintf(tail, sizeof tail, " %3d%% %g/%g", (int)(frac * 100),
		    o->done, o->total);
		avail = L->w - col - (int)strlen(tail) - (int)strlen(failed) -
		    (int)strlen(extra);
		bw = avail < 30 ? avail : 30;
		if (bw >= 4) {
			fill = (int)(frac * bw + 0.5);
			for (int k = 0; k < bw; k++)
				row_put(v->line, L->w, &col, 0,
				    k < fill ? (v->o.ascii ? '#' : 0x2588) :
				    (v->o.ascii ? '-' : 0x2591), 1,
				    k < fill ? VIEW_S_PROGRESS : VIEW_S_DIM);
		}
	} else
		snprintf(tail, sizeof tail, "%g done", o->done);
	col = view_grid_puts(&(struct view_grid){ .rows = 1, .cols = L->w,
	    .cells = v->line }, 0, col, tail, st);
	if (*failed)
		col = view_grid_puts(&(struct view_grid){ .rows = 1,
		    .cols = L->w, .cells = v->line }, 0, col, failed,
		    c->stale ? VIEW_S_STALE : VIEW_S_ERROR);
	if (*extra)
		col = view_grid_puts(&(struct view_grid){ .rows = 1,
		    .cols = L->w, .cells = v->line }, 0, col, extra,
		    c->stale ? VIEW_S_STALE : VIEW_S_DIM);
	L->col = col;
	lay_end(L);
}

static void
lay_outputs(struct lay *L, const struct vcell *c)
{
	for (size_t k = 0; k < c->nout && !L->stop; k++) {
		const struct view_output *o = c->out[k];

		switch (o->kind) {
		case VIEW_OUT_STREAM:
			lay_lines(L, c, o->text, o->len, o->is_stderr ?
			    VIEW_S_STDERR : VIEW_S_OUT);
			break;
		case VIEW_OUT_RESULT:
			lay_lines(L, c, o->text, o->len, VIEW_S_RESULT);
			break;
		case VIEW_OUT_OTHER:
			lay_lines(L, c, o->text, o->len, VIEW_S_OUT);
			break;
		case VIEW_OUT_ERROR:
			lay_error(L, c, o);
			break;
		case VIEW_OUT_TABLE:
			lay_table(L, c, o);
			break;
		case VIEW_OUT_PROGRESS:
			lay_progress(L, c, o);
			break;
		}
	}
}

static void
lay_cell(struct lay *L)
{
	struct view	*v = L->v;
	const struct nb_cell *cell = nb_doc_cell(L->doc, L->ci);
	const struct vcell *c = v->cells[L->ci];

	L->editing = v->edit == (long)L->ci;
	L->bar = L->ci == v->cur || (v->sel_on && L->ci >= v->sel_lo &&
	    L->ci <= v->sel_hi);
	lay_header(L, cell, c);
	if (nb_cell_kind(cell) == NB_MARKDOWN && !L->editing)
		lay_markdown(L, cell);
	else
		lay_source(L, cell);
	lay_outputs(L, c);
}

static void
lay_init(struct lay *L, struct view *v, const struct nb_doc *doc, size_t i,
    int w)
{
	memset(L, 0, sizeof *L);
	L->v = v;
	L->doc = doc;
	L->ci = i;
	L->w = w;
	L->cursor_row = -1;
	if (v->line_cap < w) {
		free(v->line);
		v->line = xcalloc((size_t)w, sizeof *v->line);
		v->line_cap = w;
	}
}

static int
emit_count(struct lay *L)
{
	if (L->cur_col >= 0)
		L->cursor_row = L->nrow;
	return 0;
}

static int
cell_height(struct view *v, const struct nb_doc *doc, size_t i)
{
	struct vcell	*c = v->cells[i];
	bool		 ed = v->edit == (long)i;
	struct lay	 L;

	if (c->h > 0 && c->h_w == v->w && c->h_gen == c->gen && c->h_edit == ed)
		return c->h;
	lay_init(&L, v, doc, i, v->w);
	L.emit = emit_count;
	lay_cell(&L);
	c->h = L.nrow > 0 ? L.nrow : 1;
	c->h_w = v->w;
	c->h_gen = c->gen;
	c->h_edit = ed;
	v->layouts++;
	return c->h;
}

/* The row of the editor's cursor within cell i (being edited). */
static int
cursor_row(struct view *v, const struct nb_doc *doc, size_t i)
{
	struct lay	 L;

	lay_init(&L, v, doc, i, v->w);
	L.emit = emit_count;
	lay_cell(&L);
	return L.cursor_row >= 0 ? L.cursor_row : 0;
}

/* ------------------------------------------------------------------ */
/* Scrolling */

static void
ensure_visible(struct view *v, const struct nb_doc *doc)
{
	size_t	 c = v->cur, j;
	int	 H = v->h, r0, r1, h, d;

	h = cell_height(v, doc, c);
	if (v->edit == (long)c) {
		r0 = r1 = cursor_row(v, doc, c);
		if (r0 > 0 && h <= H)
			r0 = 0;		/* whole cell when it fits */
		if (h <= H)
			r1 = h - 1;
	} else {
		r0 = 0;
		r1 = (h < H ? h : H) - 1;
	}
	if (c < v->top || (c == v->top && r0 < v->top_row)) {
		v->top = c;
		v->top_row = r0;
		return;
	}
	/* Rows from the top of the screen to row r1 of cell c. */
	d = -v->top_row;
	for (j = v->top; j < c && d < H; j++)
		d += cell_height(v, doc, j);
	if (d + r1 < H)
		return;
	/* Put row r1 of c on the last row. */
	if (r1 >= H - 1) {
		v->top = c;
		v->top_row = r1 - (H - 1);
		return;
	}
	{
		int	 left = H - 1 - r1;

		v->top = c;
		v->top_row = 0;
		while (left > 0 && v->top > 0) {
			int	 hh = cell_height(v, doc, v->top - 1);

			v->top--;
			if (hh <= left) {
				left -= hh;
				v->top_row = 0;
			} else {
				v->top_row = hh - left;
				left = 0;
			}
		}
	}
}

void
view_scroll(struct view *v, const struct nb_doc *doc, int rows)
{
	if (v->n == 0 || v->w <= 0)
		return;
	if (v->top >= v->n)
		v->top = v->n - 1;
	while (rows > 0) {
		int	 h = cell_height(v, doc, v->top);
		int	 left = h - v->top_row;

		if (rows < left) {
			v->top_row += rows;
			rows = 0;
		} else if (v->top + 1 < v->n) {
			rows -= left;
			v->top++;
			v->top_row = 0;
		} else {
			v->top_row = h - 1;
			rows = 0;
		}
	}
	while (rows < 0) {
		if (-rows <= v->top_row) {
			v->top_row += rows;
			rows = 0;
		} else if (v->top > 0) {
			rows += v->top_row + 1;
			v->top--;
			v->top_row = cell_height(v, doc, v->top) - 1;
		} else {
			v->top_row = 0;
			rows = 0;
		}
	}
	v->want_visible = false;
	v->follow = false;
	v->clamp_cursor = true;
}

/* ------------------------------------------------------------------ */
/* Painting */

static int
emit_paint(struct lay *L)
{
	struct view	*v = L->v;
	int		 r;

	if (L->nrow < L->skip)
		return 0;
	r = L->out_row++;
	memcpy(view_grid_at(L->g, r, 0), v->line,
	    (size_t)L->w * sizeof *v->line);
	v->rows[r].cell = (long)L->ci;
	v->rows[r].kind = L->kind;
	v->rows[r].src_off = L->src_off;
	v->rows[r].indent = L->indent;
	if (L->cur_col >= 0) {
		L->g->cur_row = r;
		L->g->cur_col = L->cur_col;
		L->g->cur_visible = true;
	}
	return L->out_row >= L->max_rows;
}

static void
paint(struct view *v, const struct nb_doc *doc, struct view_grid *g,
    int64_t now)
{
	int	 r = 0, skip = v->top_row;
	size_t	 i = v->top;

	for (int k = 0; k < v->h; k++) {
		v->rows[k].cell = -1;
		v->rows[k].kind = VIEW_ROW_NONE;
		for (int col = 0; col < g->cols; col++)
			gcell_set(view_grid_at(g, k, col), ' ', 1, 0);
	}
	g->cur_visible = false;
	v->first_vis = v->top;
	v->last_vis = v->top;
	while (r < v->h && i < v->n) {
		struct lay	 L;

		lay_init(&L, v, doc, i, g->cols);
		L.paint = true;
		L.now = now;
		L.emit = emit_paint;
		L.g = g;
		L.skip = skip;
		L.out_row = r;
		L.max_rows = v->h;
		lay_cell(&L);
		v->layouts++;
		if (L.out_row > r)
			v->last_vis = i;
		r = L.out_row;
		skip = 0;
		i++;
	}
}

void
view_render(struct view *v, const struct nb_doc *doc,
    const struct view_status *st, int64_t now_ms, struct view_grid *g)
{
	size_t	 n = nb_doc_count(doc);
	bool	 again;

	view_grid_clear(g);
	v->w = g->cols;
	v->h = g->rows >= 3 ? g->rows - 2 : g->rows;
	if (v->nrows < g->rows) {
		free(v->rows);
		v->rows = xcalloc((size_t)g->rows, sizeof *v->rows);
		v->nrows = g->rows;
	}
	for (int k = 0; k < v->nrows; k++) {
		v->rows[k].cell = -1;
		v->rows[k].kind = VIEW_ROW_NONE;
	}
	if (v->n != n || (n > 0 && (strcmp(v->cells[0]->id,
	    nb_cell_id(nb_doc_cell(doc, 0))) != 0 ||
	    strcmp(v->cells[n - 1]->id,
	    nb_cell_id(nb_doc_cell(doc, n - 1))) != 0)))
		view_sync(v, doc);
	if (n == 0) {
		view_grid_puts(g, 0, 2, "(no cells: press b to add one)",
		    VIEW_S_DIM);
	} else {
		if (v->cur >= n)
			v->cur = n - 1;
		if (v->top >= n) {
			v->top = n - 1;
			v->top_row = 0;
		}
		if (v->top_row >= cell_height(v, doc, v->top))
			v->top_row = cell_height(v, doc, v->top) - 1;
		/* Outputs growing above must not push the current cell out
		 * of sight, unless the user scrolled away from it. */
		if (v->want_visible || v->follow)
			ensure_visible(v, doc);
		v->want_visible = false;
		do {
			again = false;
			paint(v, doc, g, now_ms);
			if (v->clamp_cursor) {
				size_t	 first = v->first_vis;

				if (v->top_row > 0 && first < v->last_vis)
					first++;
				if (v->cur < first) {
					v->cur = first;
					again = true;
				} else if (v->cur > v->last_vis) {
					v->cur = v->last_vis;
					again = true;
				}
				v->clamp_cursor = false;
			}
		} while (again);
	}
	if (st != NULL && g->rows >= 3) {
		render_status(v, doc, st, g, g->rows - 2);
		render_msg(st, g, g->rows - 1);
		if (st->cmdline != NULL) {
			const char *pr = st->cmdline_prompt ?
			    st->cmdline_prompt : ":";
			int	 c = view_text_cols(pr, strlen(pr), 0, 8) +
			    view_text_cols(st->cmdline, st->cmdline_cur, 0, 8);

			g->cur_row = g->rows - 1;
			g->cur_col = c < g->cols ? c : g->cols - 1;
			g->cur_visible = true;
		}
	}
}

static void
fmt_elapsed(char *buf, size_t n, int64_t ms)
{
	if (ms < 0)
		ms = 0;
	if (ms < 1000)
		snprintf(buf, n, "%dms", (int)ms);
	else if (ms < 60000)
		snprintf(buf, n, "%.1fs", (double)ms / 1000.0);
	else if (ms < 3600000)
		snprintf(buf, n, "%dm%02ds", (int)(ms / 60000),
		    (int)(ms / 1000 % 60));
	else
		snprintf(buf, n, "%dh%02dm", (int)(ms / 3600000),
		    (int)(ms / 60000 % 60));
}

static void
render_status(struct view *v, const struct nb_doc *doc,
    const struct view_status *st, struct view_grid *g, int row)
{
	char	 left[1024], right[64];
	int	 col, rw;

	for (int c = 0; c < g->cols; c++)
		gcell_set(view_grid_at(g, row, c), ' ', 1, VIEW_S_STATUS);
	col = view_grid_puts(g, row, 0, " ", VIEW_S_MODE);
	col = view_grid_puts(g, row, col, st->mode ? st->mode : "", VIEW_S_MODE);
	col = view_grid_puts(g, row, col, " ", VIEW_S_MODE);
	snprintf(right, sizeof right, " %zu/%zu ",
	    v->n ? v->cur + 1 : (size_t)0, v->n);
	rw = (int)strlen(right);
	snprintf(left, sizeof left, " %s%s  kernel %s  runtime %s%s",
	    st->path ? st->path : "", st->dirty ? " [+]" : "",
	    st->kernel ? st->kernel : "-", st->runtime ? st->runtime : "-",
	    st->members > 1 ? "" : "");
	if (st->members > 1) {
		size_t	 l = strlen(left);

		snprintf(left + l, sizeof left - l, "  %d people",
		    st->members);
	}
	/* Keep the right part; cut the left one. */
	puts_clip(g, row, col, left, VIEW_S_STATUS, g->cols - rw);
	if (g->cols - rw > col)
		view_grid_puts(g, row, g->cols - rw, right, VIEW_S_STATUS);
	(void)doc;
}

static void
render_msg(const struct view_status *st, struct view_grid *g, int row)
{
	if (st->cmdline != NULL) {
		int col = view_grid_puts(g, row, 0, st->cmdline_prompt ?
		    st->cmdline_prompt : ":", VIEW_S_NORMAL);

		view_grid_puts(g, row, col, st->cmdline, VIEW_S_NORMAL);
		return;
	}
	if (st->msg != NULL)
		view_grid_puts(g, row, 0, st->msg,
		    st->msg_error ? VIEW_S_MSGERR : VIEW_S_MSG);
}

bool
view_hit(const struct view *v, const struct nb_doc *doc, int row, int col,
    struct view_hit *out)
{
	const struct rowinfo *ri;

	memset(out, 0, sizeof *out);
	if (row < 0 || row >= v->nrows || row >= v->h)
		return false;
	ri = &v->rows[row];
	if (ri->cell < 0 || (size_t)ri->cell >= nb_doc_count(doc))
		return false;
	out->kind = ri->kind;
	out->cell = (size_t)ri->cell;
	if (ri->kind == VIEW_ROW_SOURCE && ri->src_off != NO_SRC) {
		size_t		 len, pos = ri->src_off;
		const char	*src = nb_cell_source(nb_doc_cell(doc,
				    out->cell), &len);
		int		 c = ri->indent;

		while (pos < len && src[pos] != '\n') {
			uint32_t cp;
			size_t	 k = view_utf8_decode(src + pos, len - pos, &cp);
			int	 w = cp == '\t' ? v->o.tab_source -
			    (c - ri->indent) % v->o.tab_source :
			    view_cp_width(cp);

			if (c + w > v->w || col < c + w)
				break;
			c += w;
			pos += k;
		}
		out->offset = pos;
	}
	return true;
}

void
view_render_pager(const char *title, const char *text, int *scroll,
    struct view_grid *g)
{
	int		 nlines = 0, body = g->rows - 2, r;
	const char	*p;

	view_grid_clear(g);
	for (int c = 0; c < g->cols; c++)
		gcell_set(view_grid_at(g, 0, c), ' ', 1, VIEW_S_HDRCUR);
	view_grid_puts(g, 0, 1, title, VIEW_S_HDRCUR);
	for (p = text; *p; p++)
		nlines += *p == '\n';
	if (*text && text[strlen(text) - 1] != '\n')
		nlines++;
	if (body < 1)
		body = 1;
	if (*scroll > nlines - body)
		*scroll = nlines - body;
	if (*scroll < 0)
		*scroll = 0;
	p = text;
	for (int k = 0; k < *scroll && *p; k++) {
		const char *nl = strchr(p, '\n');

		p = nl ? nl + 1 : p + strlen(p);
	}
	for (r = 1; r <= body && *p; r++) {
		const char	*nl = strchr(p, '\n');
		size_t		 n = nl ? (size_t)(nl - p) : strlen(p);
		char		*line = xstrndup(p, n);
		char		*tab = strchr(line, '\t');

		if (strncmp(line, "# ", 2) == 0)
			view_grid_puts(g, r, 1, line + 2, VIEW_S_H1);
		else if (tab != NULL) {
			*tab = '\0';
			view_grid_puts(g, r, 2, line, VIEW_S_KEY);
			view_grid_puts(g, r, 20, tab + 1, VIEW_S_NORMAL);
		} else
			view_grid_puts(g, r, 1, line, VIEW_S_NORMAL);
		free(line);
		p = nl ? nl + 1 : p + n;
	}
	if (g->rows >= 2) {
		char	 foot[128];

		snprintf(foot, sizeof foot,
		    " j/k, PgUp/PgDn scroll  q or Esc close  (%d-%d of %d)",
		    nlines ? *scroll + 1 : 0,
		    *scroll + body < nlines ? *scroll + body : nlines, nlines);
		for (int c = 0; c < g->cols; c++)
			gcell_set(view_grid_at(g, g->rows - 1, c), ' ', 1,
			    VIEW_S_STATUS);
		view_grid_puts(g, g->rows - 1, 0, foot, VIEW_S_STATUS);
	}
}

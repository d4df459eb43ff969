/*
 * view.c - the view's model: its cells (outputs, run state, folding), the
 * current cell, the cell selection, the cell being edited, and the scroll
 * position. Laying cells out is tui/view-layout.c, painting
 * tui/view-render.c, the grid tui/view-grid.c.
 *
 * Design
 * ------
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

#include "core/mem.h"
#include "core/notebook.h"
#include "core/ot.h"
#include "core/util.h"
#include "tui/view.h"
#include "tui/view_int.h"

static struct vcell *vcell_new(const char *id);
static void	 vcell_free(struct vcell *c);
static void	 vcell_touch(struct vcell *c);
static void	 cells_insert(struct view *v, size_t at, struct vcell *c);
static struct vcell *cells_remove(struct view *v, size_t at);

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
	for (size_t i = 0; i < o->nnodes; i++) {
		free(o->nodes[i].key);
		free(o->nodes[i].value);
	}
	free(o->nodes);
	free(o->text);
	free(o->traceback);
	free(o->key);
	free(o);
}

void
view_output_node_add(struct view_output *o, int depth, const char *key,
    const char *value, long n, size_t more)
{
	struct view_node *nd;

	o->nodes = xrealloc(o->nodes, (o->nnodes + 1) * sizeof *o->nodes);
	nd = &o->nodes[o->nnodes++];
	nd->depth = depth < 0 ? 0 : depth;
	nd->key = xstrdup(key != NULL ? key : "");
	nd->value = xstrdup(value != NULL ? value : "");
	nd->n = n;
	nd->more = more;
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
	v->m_cell = -1;
	v->want_visible = true;
	v->follow = true;
	gl_buf_init(&v->t1);
	gl_buf_init(&v->t2);
	gl_buf_init(&v->otext);
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
	free(v->mark);
	view_set_peers(v, NULL, 0);
	gl_buf_fini(&v->t1);
	gl_buf_fini(&v->t2);
	gl_buf_fini(&v->otext);
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
	free(c->by);
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
		size_t	 h = gl_fnv1a(old[i]->id, strlen(old[i]->id)) &
		    (nt - 1);

		while (tab[h] != NULL)
			h = (h + 1) & (nt - 1);
		tab[h] = old[i];
	}
	v->cells = NULL;
	v->n = v->cap = 0;
	for (i = 0; i < n; i++) {
		const char	*id = nb_cell_id(nb_doc_cell(doc, i));
		size_t		 h = gl_fnv1a(id, strlen(id)) & (nt - 1);
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

	/* The current match's place is no longer known. */
	v->m_cell = -1;
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
view_set_run(struct view *v, size_t i, enum gl_run_status state,
    int64_t t_ms)
{
	if (i >= v->n)
		return;
	v->cells[i]->run = state;
	v->cells[i]->t_ms = t_ms;
}

enum gl_run_status
view_get_run(const struct view *v, size_t i)
{
	return i < v->n ? v->cells[i]->run : GL_RUN_NONE;
}

void
view_set_run_by(struct view *v, size_t i, const char *name, int color)
{
	if (i >= v->n)
		return;
	free(v->cells[i]->by);
	v->cells[i]->by = name != NULL && *name ? xstrdup(name) : NULL;
	v->cells[i]->by_color = color;
}

void
view_set_peers(struct view *v, const struct view_peer *p, size_t n)
{
	for (size_t i = 0; i < v->npeers; i++)
		free((char *)v->peers[i].name);
	free(v->peers);
	v->peers = NULL;
	v->npeers = 0;
	if (n == 0)
		return;
	v->peers = xcalloc(n, sizeof *v->peers);
	for (size_t i = 0; i < n; i++) {
		v->peers[i] = p[i];
		v->peers[i].name = xstrdup(p[i].name != NULL ? p[i].name : "");
	}
	v->npeers = n;
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

void
view_set_git(struct view *v, size_t i, enum view_git g)
{
	/* Only the header's gutter changes: no layout to redo. */
	if (i < v->n)
		v->cells[i]->git = (uint8_t)g;
}

enum view_git
view_get_git(const struct view *v, size_t i)
{
	return i < v->n ? (enum view_git)v->cells[i]->git : VIEW_GIT_NONE;
}

void
view_git_clear(struct view *v)
{
	for (size_t i = 0; i < v->n; i++)
		v->cells[i]->git = VIEW_GIT_NONE;
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

void
view_unfold(struct view *v, size_t i)
{
	if (i < v->n && !v->cells[i]->unfolded)
		view_toggle_fold(v, i);
}

void
view_set_search(struct view *v, const struct search *s, bool outputs)
{
	v->srch = s;
	v->srch_out = outputs;
}

void
view_set_match(struct view *v, long cell, size_t part, size_t off,
    size_t len)
{
	v->m_cell = cell;
	v->m_part = part;
	v->m_off = off;
	v->m_len = len;
	if (cell >= 0) {
		v->want_visible = true;
		v->follow = true;
		v->clamp_cursor = false;
	}
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
/* Scrolling */

void
view_ensure_visible(struct view *v, const struct nb_doc *doc)
{
	size_t	 c = v->cur, j;
	int	 H = v->h, r0, r1, h, d;

	h = view_cell_height(v, doc, c);
	if (v->edit == (long)c || (v->m_cell == (long)c &&
	    view_match_row(v, doc, c) >= 0)) {
		r0 = r1 = v->edit == (long)c ? view_cursor_row(v, doc, c) :
		    view_match_row(v, doc, c);
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
		d += view_cell_height(v, doc, j);
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
			int	 hh = view_cell_height(v, doc, v->top - 1);

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
		int	 h = view_cell_height(v, doc, v->top);
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
			v->top_row = view_cell_height(v, doc, v->top) - 1;
		} else {
			v->top_row = 0;
			rows = 0;
		}
	}
	v->want_visible = false;
	v->follow = false;
	v->clamp_cursor = true;
}

/*
 * view-render.c - painting: the visible cells into the grid (through the
 * painting sink of view_lay_cell()), the status and message lines, what a
 * screen position shows (view_hit), and the pager of the help screen.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "core/notebook.h"
#include "tui/view.h"
#include "tui/view_int.h"

static void	 render_status(struct view *v, const struct nb_doc *doc,
		     const struct view_status *st, struct view_grid *g, int row);
static void	 render_msg(const struct view_status *st, struct view_grid *g,
		     int row);

static int
emit_paint(struct lay *L)
{
	struct view	*v = L->v;
	int		 r;

	if (L->nrow < L->skip)
		return 0;
	r = L->out_row++;
	memcpy(view_cell_at(L->g, r, 0), v->line,
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
			view_gcell_set(view_cell_at(g, k, col), ' ', 1, 0);
	}
	g->cur_visible = false;
	v->first_vis = v->top;
	v->last_vis = v->top;
	while (r < v->h && i < v->n) {
		struct lay	 L;

		view_lay_init(&L, v, doc, i, g->cols);
		L.paint = true;
		L.now = now;
		L.emit = emit_paint;
		L.g = g;
		L.skip = skip;
		L.out_row = r;
		L.max_rows = v->h;
		view_lay_cell(&L);
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
		if (v->top_row >= view_cell_height(v, doc, v->top))
			v->top_row = view_cell_height(v, doc, v->top) - 1;
		/* Outputs growing above must not push the current cell out
		 * of sight, unless the user scrolled away from it. */
		if (v->want_visible || v->follow)
			view_ensure_visible(v, doc);
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
render_status(struct view *v, const struct nb_doc *doc,
    const struct view_status *st, struct view_grid *g, int row)
{
	char	 left[1024], right[64];
	int	 col, rw;

	for (int c = 0; c < g->cols; c++)
		view_gcell_set(view_cell_at(g, row, c), ' ', 1, VIEW_S_STATUS);
	col = view_grid_puts(g, row, 0, " ", VIEW_S_MODE);
	col = view_grid_puts(g, row, col, st->mode ? st->mode : "", VIEW_S_MODE);
	col = view_grid_puts(g, row, col, " ", VIEW_S_MODE);
	snprintf(right, sizeof right, " %zu/%zu ",
	    v->n ? v->cur + 1 : (size_t)0, v->n);
	rw = (int)strlen(right);
	snprintf(left, sizeof left, " %s%s%s%s  kernel %s  runtime %s%s",
	    st->path ? st->path : "", st->dirty ? " [+]" : "",
	    st->git != NULL ? "  git " : "", st->git != NULL ? st->git : "",
	    st->kernel ? st->kernel : "-", st->runtime ? st->runtime : "-",
	    st->members > 1 ? "" : "");
	if (st->members > 1) {
		size_t	 l = strlen(left);

		snprintf(left + l, sizeof left - l, "  %d people",
		    st->members);
	}
	if (st->extra != NULL) {
		size_t	 l = strlen(left);

		snprintf(left + l, sizeof left - l, "  %s", st->extra);
	}
	/* Keep the right part; cut the left one. */
	view_grid_puts_clip(g, row, col, left, VIEW_S_STATUS, g->cols - rw);
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
	if (ri->kind == VIEW_ROW_SOURCE && ri->src_off != VIEW_NO_SRC) {
		size_t		 len, pos = ri->src_off;
		const char	*src = nb_cell_source(nb_doc_cell(doc,
				    out->cell), &len);
		int		 c = ri->indent;

		while (pos < len && src[pos] != '\n') {
			uint32_t cp;
			size_t	 k = view_decode(src + pos, len - pos, &cp);
			int	 w = cp == '\t' ? v->o.tab_source -
			    (c - ri->indent) % v->o.tab_source :
			    view_width(cp);

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
		view_gcell_set(view_cell_at(g, 0, c), ' ', 1, VIEW_S_HDRCUR);
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
			view_gcell_set(view_cell_at(g, g->rows - 1, c), ' ', 1,
			    VIEW_S_STATUS);
		view_grid_puts(g, g->rows - 1, 0, foot, VIEW_S_STATUS);
	}
}

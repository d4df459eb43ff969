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
#include "tui/search.h"
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
/* The people of the status line in form form (0: "alice editing a",
 * 1: "alice \u270ea", 2: names), the first nshow of them and "+N",
 * from col; returns the column after them. With g NULL, only measures. */
static int
put_people(const struct view *v, const struct view_status *st, int form,
    size_t nshow, struct view_grid *g, int row, int col)
{
	char	 buf[128];

	for (size_t i = 0; i < st->npeople && i < nshow; i++) {
		const struct view_person *p = &st->people[i];
		const char *what = "";

		col += 2;
		if (g != NULL)
			col = view_grid_puts(g, row, col, p->name,
			    view_peer_style(p->color));
		else
			col += view_text_cols(p->name, strlen(p->name), 0, 8);
		if (form < 2 && p->doing != VIEW_DOING_IDLE && p->cell) {
			if (form == 0)
				what = p->doing == VIEW_DOING_EDITING ?
				    " editing " : " running ";
			else if (v->o.ascii)
				what = p->doing == VIEW_DOING_EDITING ?
				    " e:" : " r:";
			else
				what = p->doing == VIEW_DOING_EDITING ?
				    " \xe2\x9c\x8e" : " \xe2\x96\xb6";
			snprintf(buf, sizeof buf, "%s%s", what, p->cell);
			if (g != NULL)
				col = view_grid_puts(g, row, col, buf,
				    VIEW_S_STATUS);
			else
				col += view_text_cols(buf, strlen(buf), 0, 8);
		}
	}
	if (nshow < st->npeople) {
		snprintf(buf, sizeof buf, nshow > 0 ? "  +%zu" :
		    "  %zu others", st->npeople - nshow);
		if (g != NULL)
			col = view_grid_puts(g, row, col, buf, VIEW_S_STATUS);
		else
			col += (int)strlen(buf);
	}
	return col;
}

static void
render_status(struct view *v, const struct nb_doc *doc,
    const struct view_status *st, struct view_grid *g, int row)
{
	char	 left[1024], right[64];
	int	 col, rw, form = 0, room, mode_end;
	size_t	 nshow;

	for (int c = 0; c < g->cols; c++)
		view_gcell_set(view_cell_at(g, row, c), ' ', 1, VIEW_S_STATUS);
	col = view_grid_puts(g, row, 0, " ", VIEW_S_MODE);
	col = view_grid_puts(g, row, col, st->mode ? st->mode : "", VIEW_S_MODE);
	col = view_grid_puts(g, row, col, " ", VIEW_S_MODE);
	mode_end = col;
	snprintf(right, sizeof right, " %zu/%zu ",
	    v->n ? v->cur + 1 : (size_t)0, v->n);
	rw = (int)strlen(right);
	snprintf(left, sizeof left, " %s%s%s%s  kernel %s  runtime %s%s%s",
	    st->path ? st->path : "", st->dirty ? " [+]" : "",
	    st->git != NULL ? "  git " : "", st->git != NULL ? st->git : "",
	    st->kernel ? st->kernel : "-", st->runtime ? st->runtime : "-",
	    st->role != NULL ? "  " : "", st->role != NULL ? st->role : "");
	if (st->members > 1 && st->npeople == 0) {
		size_t	 l = strlen(left);

		snprintf(left + l, sizeof left - l, "  %d people",
		    st->members);
	}
	/* Keep the right part; cut the left one. */
	col = view_grid_puts_clip(g, row, col, left, VIEW_S_STATUS,
	    g->cols - rw);
	/* The others, as much as fits: what each does, then shorter. */
	room = g->cols - rw - 1;
	nshow = st->npeople;
	while (st->npeople > 0 && put_people(v, st, form, nshow, NULL, row,
	    col) > room) {
		if (form < 2)
			form++;
		else if (nshow > 0)
			nshow--;
		else
			break;
	}
	if (st->npeople > 0)
		col = put_people(v, st, form, nshow, g, row, col);
	if (st->extra != NULL) {
		col = view_grid_puts_clip(g, row, col, "  ", VIEW_S_STATUS,
		    g->cols - rw);
		col = view_grid_puts_clip(g, row, col, st->extra,
		    VIEW_S_STATUS, g->cols - rw);
	}
	if (g->cols - rw > mode_end)
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

/* Draws s[0..len) at row, col in attr, byte i with marks[i] (1: a
 * match, 2: the current one; marks may be NULL), tabs to stops of 8
 * columns from col; returns the column after it. */
static int
puts_marked(struct view_grid *g, int row, int col, const char *s, size_t len,
    uint16_t attr, const uint8_t *marks)
{
	struct view_gcell *r = view_cell_at(g, row, 0);
	int		 start = col;
	size_t		 i = 0;

	while (i < len && col < g->cols) {
		uint32_t cp;
		size_t	 k = view_decode(s + i, len - i, &cp);
		uint16_t a = attr;

		if (marks != NULL && marks[i] != 0)
			a |= marks[i] == 2 ? VIEW_F_CURMATCH : VIEW_F_MATCH;
		if (cp == '\t') {
			int	 to = start + ((col - start) / 8 + 1) * 8;

			while (col < to && col < g->cols)
				view_row_put(r, g->cols, &col, start, ' ', 1,
				    a);
		} else if (cp < 0x20 || cp == 0x7f) {
			view_row_put(r, g->cols, &col, start, '^', 1, a);
			view_row_put(r, g->cols, &col, start, cp == 0x7f ?
			    '?' : cp + 64, 1, a);
		} else {
			int	 w = view_width(cp);

			if (col + w > g->cols)
				break;
			view_row_put(r, g->cols, &col, start, cp, w, a);
		}
		i += k;
	}
	return col;
}

/* The matches in line s[0..n), which starts at byte base of the page:
 * into marks (n + 1 bytes), or NULL if none. */
static const uint8_t *
page_marks(const struct view_page *p, const char *s, size_t n, size_t base,
    uint8_t *marks)
{
	size_t	 at, len, from = 0;
	bool	 any = false;

	memset(marks, 0, n + 1);
	while (p->srch != NULL && search_find(p->srch, s, n, from, &at,
	    &len)) {
		memset(marks + at, 1, len);
		any |= len > 0;
		from = at + (len ? len : 1);
	}
	if (p->m_off >= 0 && (size_t)p->m_off < base + n &&
	    (size_t)p->m_off + p->m_len > base) {
		for (size_t i = (size_t)p->m_off > base ? (size_t)p->m_off -
		    base : 0; i < n && base + i < (size_t)p->m_off + p->m_len;
		    i++)
			marks[i] = 2;
		any = true;
	}
	return any ? marks : NULL;
}

void
view_render_page(const struct view_page *p, struct view_grid *g)
{
	int		 nlines = 0, body = g->rows - 2, r;
	const char	*text = p->text != NULL ? p->text : "", *q;
	int		*scroll = p->scroll;

	view_grid_clear(g);
	for (int c = 0; c < g->cols; c++)
		view_gcell_set(view_cell_at(g, 0, c), ' ', 1, VIEW_S_HDRCUR);
	view_grid_puts(g, 0, 1, p->title, VIEW_S_HDRCUR);
	for (q = text; *q; q++)
		nlines += *q == '\n';
	if (*text && text[strlen(text) - 1] != '\n')
		nlines++;
	if (body < 1)
		body = 1;
	if (*scroll > nlines - body)
		*scroll = nlines - body;
	if (*scroll < 0)
		*scroll = 0;
	q = text;
	for (int k = 0; k < *scroll && *q; k++) {
		const char *nl = strchr(q, '\n');

		q = nl ? nl + 1 : q + strlen(q);
	}
	for (r = 1; r <= body && *q; r++) {
		const char	*nl = strchr(q, '\n');
		size_t		 n = nl ? (size_t)(nl - q) : strlen(q);
		const char	*tab = memchr(q, '\t', n);
		uint8_t		*marks = xmalloc(n + 1);
		const uint8_t	*mk = page_marks(p, q, n, (size_t)(q - text),
				    marks);

		if (p->plain)
			puts_marked(g, r, 1, q, n, VIEW_S_NORMAL, mk);
		else if (n >= 2 && strncmp(q, "# ", 2) == 0)
			puts_marked(g, r, 1, q + 2, n - 2, VIEW_S_H1,
			    mk ? mk + 2 : NULL);
		else if (tab != NULL) {
			size_t	 kl = (size_t)(tab - q);

			puts_marked(g, r, 2, q, kl, VIEW_S_KEY, mk);
			puts_marked(g, r, 20, tab + 1, n - kl - 1,
			    VIEW_S_NORMAL, mk ? mk + kl + 1 : NULL);
		} else
			puts_marked(g, r, 1, q, n, VIEW_S_NORMAL, mk);
		free(marks);
		q = nl ? nl + 1 : q + n;
	}
	if (g->rows >= 2) {
		char	 foot[160];
		int	 last = g->rows - 1;

		for (int c = 0; c < g->cols; c++)
			view_gcell_set(view_cell_at(g, last, c), ' ', 1,
			    p->cmdline || p->msg ? VIEW_S_NORMAL :
			    VIEW_S_STATUS);
		if (p->cmdline != NULL) {
			const char *pr = p->cmdline_prompt ?
			    p->cmdline_prompt : ":";
			int	 col = view_grid_puts(g, last, 0, pr,
				    VIEW_S_NORMAL);
			int	 cc = view_text_cols(pr, strlen(pr), 0, 8) +
				    view_text_cols(p->cmdline, p->cmdline_cur,
				    0, 8);

			view_grid_puts(g, last, col, p->cmdline,
			    VIEW_S_NORMAL);
			g->cur_row = last;
			g->cur_col = cc < g->cols ? cc : g->cols - 1;
			g->cur_visible = true;
		} else if (p->msg != NULL)
			view_grid_puts(g, last, 0, p->msg, p->msg_error ?
			    VIEW_S_MSGERR : VIEW_S_MSG);
		else {
			snprintf(foot, sizeof foot,
			    " j/k, PgUp/PgDn scroll  / search  q or Esc close"
			    "  (%d-%d of %d)", nlines ? *scroll + 1 : 0,
			    *scroll + body < nlines ? *scroll + body : nlines,
			    nlines);
			view_grid_puts(g, last, 0, foot, VIEW_S_STATUS);
		}
	}
}

void
view_render_pager(const char *title, const char *text, int *scroll,
    struct view_grid *g)
{
	struct view_page p = { .title = title, .text = text,
	    .scroll = scroll, .m_off = -1 };

	view_render_page(&p, g);
}

/*
 * view-layout.c - cells measured and laid out into rows.
 *
 * A cell is laid out as a sequence of rows: one header row, then its
 * source (wrapped at the width; Lua highlighted) or its rendered markdown
 * (word-wrapped), then its outputs (character-wrapped, long ones folded).
 * One routine, view_lay_cell(), produces the rows one at a time and hands
 * each to a sink: the counting sink here measures a cell's height (and
 * finds the editor's cursor row), the painting sink of view-render.c
 * copies rows into the grid, skipping the rows scrolled off above. So the
 * height the scroller uses and what is painted cannot disagree.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "core/notebook.h"
#include "tui/search.h"
#include "tui/tui_int.h"
#include "tui/view.h"
#include "tui/view_int.h"

static void	 fmt_elapsed(char *buf, size_t n, int64_t ms);

int
view_gutter(const struct view *v)
{
	int	 d = 1;

	if (!v->o.number)
		return 0;
	for (size_t n = v->n; n >= 10; n /= 10)
		d++;
	return d + 1;
}

static void
lay_begin(struct lay *L, enum view_rowkind kind, int indent)
{
	struct view_gcell *r = L->v->line;

	for (int i = 0; i < L->w; i++)
		view_gcell_set(&r[i], ' ', 1, 0);
	if (L->bar && L->w > 1)
		view_gcell_set(&r[0], L->v->o.ascii ? '|' : 0x258e, 1,
		    VIEW_S_BAR);
	indent += L->gut;
	L->col = indent < L->w ? indent : L->w;
	L->kind = kind;
	L->indent = indent;
	L->src_off = VIEW_NO_SRC;
	L->cur_col = -1;
	L->m_hit = false;
	L->nrpeer = 0;
}

/* Writes s at *col of the row being built in style st (nothing past the
 * edge). */
static void
lay_puts(struct lay *L, int *col, const char *s, uint16_t st)
{
	*col = view_grid_puts(&(struct view_grid){ .rows = 1, .cols = L->w,
	    .cells = L->v->line }, 0, *col, s, st);
}

/* The names of the others whose cursor is in the row, after its text,
 * each when it fits whole. */
static void
lay_peer_names(struct lay *L)
{
	int	 col = L->col;

	for (int k = 0; k < L->nrpeer; k++) {
		const struct view_peer *p = &L->v->peers[L->rpeer[k]];
		int	 w = view_text_cols(p->name, strlen(p->name), 0, 8);

		if (col + 1 + w > L->w)
			break;
		col++;
		lay_puts(L, &col, p->name, view_peer_style(p->color));
	}
}

/* Others' cursors at byte off of the source (the row being built, at
 * column col): the cell there takes the first one's colour as a block,
 * and each one's name is to follow the row. */
static uint16_t
lay_peer_at(struct lay *L, size_t off, uint16_t attr)
{
	bool	 hit = false;

	for (int k = 0; k < L->ncpeer; k++) {
		const struct view_peer *p = &L->v->peers[L->cpeer[k]];

		if (p->offset != off)
			continue;
		if (!hit)
			attr = (uint16_t)(view_peer_style(p->color) |
			    VIEW_F_PEER);
		hit = true;
		if (L->nrpeer < VIEW_PEER_COLORS)
			L->rpeer[L->nrpeer++] = L->cpeer[k];
	}
	return attr;
}

static void
lay_end(struct lay *L)
{
	if (L->stop)
		return;
	if (L->nrpeer > 0 && L->paint)
		lay_peer_names(L);
	if (L->m_hit && L->match_row < 0)
		L->match_row = L->nrow;
	if (L->emit(L))
		L->stop = true;
	L->nrow++;
}

/* The search matches in line s[0..n) (laid out with t), one byte each:
 * 1 for a match, 2 for the current one; NULL when there is nothing to
 * mark or no styles are wanted. *cur_in says whether the current match
 * starts in this line. */
static const uint8_t *
line_marks(struct lay *L, const char *s, size_t n, const struct tx *t,
    bool *cur_in)
{
	struct view	*v = L->v;
	bool		 cur = t->part >= 0 && v->m_cell == (long)L->ci &&
			    (size_t)t->part == v->m_part;
	bool		 hl = v->srch != NULL && (t->kind == VIEW_ROW_SOURCE ||
			    t->kind == VIEW_ROW_MARKDOWN ||
			    (t->kind == VIEW_ROW_OUTPUT && v->srch_out));
	size_t		 at, len, from = 0;

	*cur_in = cur && v->m_off >= t->base && v->m_off < t->base + n + 1;
	cur = cur && v->m_off < t->base + n && v->m_off + v->m_len > t->base;
	if (!L->paint || (!hl && !cur))
		return NULL;
	if (v->mark_cap < n + 1) {
		free(v->mark);
		v->mark_cap = n + 1;
		v->mark = xmalloc(v->mark_cap);
	}
	memset(v->mark, 0, n + 1);
	while (hl && search_find(v->srch, s, n, from, &at, &len)) {
		memset(v->mark + at, 1, len);
		from = at + (len ? len : 1);
	}
	if (cur)
		for (size_t i = v->m_off > t->base ? v->m_off - t->base : 0;
		    i < n && t->base + i < v->m_off + v->m_len; i++)
			v->mark[i] = 2;
	return v->mark;
}

/* Lays out line s[0..n) as one or more rows. */
static void
lay_text(struct lay *L, const char *s, size_t n, const struct tx *t)
{
	struct view	*v = L->v;
	size_t		 pos = 0;
	int		 start;
	bool		 word_start = true;
	bool		 ed = L->editing && t->src_base != VIEW_NO_SRC;
	bool		 cur_in;
	const uint8_t	*mk;

	if (L->stop)
		return;
	mk = line_marks(L, s, n, t, &cur_in);
	lay_begin(L, t->kind, t->indent);
	start = L->col;
	L->src_off = t->src_base;
	while (pos < n) {
		uint32_t	 cp;
		size_t		 clen = view_decode(s + pos, n - pos, &cp);
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
			w = view_width(cp);
		if (t->words && cp != ' ' && word_start) {
			/* Measure the word to wrap before it if it fits a
			 * fresh row but not this one. */
			size_t	 k = pos;
			int	 ww = 0;

			while (k < n && s[k] != ' ') {
				uint32_t c2;

				k += view_decode(s + k, n - k, &c2);
				ww += view_width(c2);
			}
			if (L->col > start && L->col + ww > L->w &&
			    ww <= L->w - (L->gut + t->indent + t->hang)) {
				lay_end(L);
				if (L->stop)
					return;
				lay_begin(L, t->kind, t->indent + t->hang);
				start = L->col;
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
				lay_begin(L, t->kind, t->indent + t->hang);
				start = L->col;
				if (t->src_base != VIEW_NO_SRC)
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
		if (mk != NULL && mk[pos] != 0)
			attr |= mk[pos] == 2 ? VIEW_F_CURMATCH : VIEW_F_MATCH;
		if (cur_in && t->base + pos == v->m_off)
			L->m_hit = true;
		if (ed && t->src_base + pos == v->ecur)
			L->cur_col = L->col;
		if (L->ncpeer > 0 && t->src_base != VIEW_NO_SRC)
			attr = lay_peer_at(L, t->src_base + pos, attr);
		if (cp == '\t') {
			for (int k = 0; k < w; k++)
				view_row_put(v->line, L->w, &L->col, start,
				    ' ', 1, attr);
		} else if (ctl) {
			view_row_put(v->line, L->w, &L->col, start, '^', 1,
			    attr);
			view_row_put(v->line, L->w, &L->col, start,
			    cp == 0x7f ? '?' : cp + 64, 1, attr);
		} else
			view_row_put(v->line, L->w, &L->col, start, cp, w,
			    attr);
		pos += clen;
	}
	if (ed && t->src_base + n == v->ecur)
		L->cur_col = L->col < L->w ? L->col : L->w - 1;
	if (cur_in && t->base + n == v->m_off)
		L->m_hit = true;
	if (L->ncpeer > 0 && t->src_base != VIEW_NO_SRC && L->col < L->w) {
		/* A cursor at the end of the line: a block after it. */
		uint16_t a = lay_peer_at(L, t->src_base + n, 0);

		if (a != 0)
			view_row_put(v->line, L->w, &L->col, start, ' ', 1, a);
	}
	lay_end(L);
}

/* One row holding s in style. */
static void
lay_line(struct lay *L, enum view_rowkind kind, int indent, const char *s,
    uint16_t style)
{
	struct tx t = { .kind = kind, .indent = indent, .tab = 8,
	    .style = style, .src_base = VIEW_NO_SRC, .clip = true, .part = -1 };

	lay_text(L, s, strlen(s), &t);
}

static const char *
run_label(const struct vcell *c, int64_t now, char *buf, size_t n,
    uint16_t *style)
{
	char	 el[32] = "";

	if (c->t_ms >= 0 && c->run != GL_RUN_QUEUED)
		fmt_elapsed(el, sizeof el, c->run == GL_RUN_RUNNING ?
		    now - c->t_ms : c->t_ms);
	*style = VIEW_S_HDR;
	switch (c->run) {
	case GL_RUN_NONE:
		return "";
	case GL_RUN_QUEUED:
		*style = VIEW_S_RUNNING;
		return "queued";
	case GL_RUN_RUNNING:
		*style = VIEW_S_RUNNING;
		snprintf(buf, n, "running %s", el);
		return buf;
	case GL_RUN_OK:
		*style = VIEW_S_OK;
		snprintf(buf, n, "ok%s%s", *el ? " " : "", el);
		return buf;
	case GL_RUN_ERROR:
		*style = VIEW_S_FAILED;
		snprintf(buf, n, "error%s%s", *el ? " " : "", el);
		return buf;
	case GL_RUN_INTERRUPTED:
		*style = VIEW_S_FAILED;
		return "interrupted";
	case GL_RUN_CANCELLED:
		return "cancelled";
	case GL_RUN_DIED:
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
	int		 rw, col, end, start, nseg, npeer;
	bool		 conflict;
	struct seg {
		const char	*s;
		uint16_t	 st;
		int		 gap;	/* columns before it */
	}		 seg[VIEW_PEER_COLORS + 5];

	if (nb_cell_is_header(cell))
		kind = " header";
	else if (nb_cell_kind(cell) == NB_MARKDOWN)
		kind = " markdown";
	else if (nb_cell_kind(cell) == NB_RAW)
		kind = " raw";
	snprintf(left, sizeof left, "[%s]%s%s%s", nb_cell_id(cell), kind,
	    *nb_cell_title(cell) ? " " : "", nb_cell_title(cell));
	lay_begin(L, VIEW_ROW_HEADER, 2);
	start = L->col;
	if (!L->paint) {
		lay_end(L);
		return;
	}
	if (L->gut > 0) {
		/* The cell's number, right-aligned in the gutter. */
		char	 num[24];
		int	 nc;

		nc = snprintf(num, sizeof num, "%zu", L->ci + 1);
		col = L->gut + 1 - nc > 1 ? L->gut + 1 - nc : 1;
		for (int k = 0; k < nc && col < start; k++)
			view_row_put(v->line, L->w, &col, 0,
			    (unsigned char)num[k], 1, cur ? VIEW_S_HDRCUR :
			    VIEW_S_DIM);
	}
	if (c->git != VIEW_GIT_NONE && start > 1) {
		/* How the cell differs from git's HEAD, just before its
		 * header (after the number with :set number). */
		static const char marks[] = " +~>";
		static const uint16_t st[] = { 0, VIEW_S_ADD, VIEW_S_CHG,
		    VIEW_S_CHG };

		col = start - 1;
		view_row_put(v->line, L->w, &col, 0,
		    (unsigned char)marks[c->git], 1, st[c->git]);
	}
	right = run_label(c, L->now, rbuf, sizeof rbuf, &rs);
	/* A cell a merge left with both texts (docs/git.md). */
	conflict = nb_cell_meta(cell, "conflict") != NULL &&
	    strcmp(nb_cell_meta(cell, "conflict"), "true") == 0;
	/* The right part: who is at the cell, "conflict", "stale", then
	 * the run state and who started it; right-aligned with one blank
	 * column at the edge, each part two columns from the next. */
	nseg = 0;
	for (size_t k = 0; k < v->npeers && nseg < VIEW_PEER_COLORS; k++)
		if (v->peers[k].cell == L->ci) {
			int gap = nseg > 0 ? 1 : 0;

			seg[nseg++] = (struct seg){ v->peers[k].name,
			    view_peer_style(v->peers[k].color), gap };
		}
	npeer = nseg;
	if (conflict)
		seg[nseg++] = (struct seg){ "conflict", VIEW_S_FAILED, 2 };
	if (c->stale)
		seg[nseg++] = (struct seg){ "stale", VIEW_S_STALE, 2 };
	if (*right)
		seg[nseg++] = (struct seg){ right, rs, 2 };
	if (*right && c->by != NULL) {
		seg[nseg++] = (struct seg){ "by", VIEW_S_HDR, 1 };
		seg[nseg++] = (struct seg){ c->by,
		    view_peer_style(c->by_color), 1 };
	}
	for (;;) {
		rw = 0;
		for (int k = 0; k < nseg; k++)
			rw += (k > 0 ? seg[k].gap : 0) +
			    view_text_cols(seg[k].s, strlen(seg[k].s), 0, 8);
		end = L->w - 1 - rw - (rw ? 2 : 0);
		if (end >= start + 4 || nseg == 0)
			break;
		/* No room: the names go first, then everything. */
		if (npeer > 0) {
			memmove(seg, seg + npeer, (size_t)(nseg - npeer) *
			    sizeof *seg);
			nseg -= npeer;
			npeer = 0;
		} else
			nseg = 0;
	}
	col = start;
	{
		size_t	 i = 0, len = strlen(left);
		uint32_t cp;

		while (i < len) {
			size_t	 k = view_decode(left + i, len - i, &cp);
			int	 w = view_width(cp);

			if (col + w > end)
				break;
			view_row_put(v->line, L->w, &col, start, cp, w, hs);
			i += k;
		}
	}
	if (rw > 0) {
		col = L->w - 1 - rw;
		for (int k = 0; k < nseg; k++) {
			col += k > 0 ? seg[k].gap : 0;
			lay_puts(L, &col, seg[k].s, seg[k].st);
		}
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
		t.base = pos;
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
				for (int c = L->col; c < L->w - 1; )
					view_row_put(v->line, L->w, &c, 2,
					    v->o.ascii ? '-' : 0x2500, 1,
					    VIEW_S_DIM);
				lay_end(L);
			} else {
				struct tx t = { .kind = VIEW_ROW_MARKDOWN,
				    .indent = 2, .hang = hang, .tab = 4,
				    .styles = (const uint8_t *)v->t2.data,
				    .words = true, .src_base = VIEW_NO_SRC,
				    .part = -1 };

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

/* Text output lines, folded when longer than fold_lines; s is part part
 * of what search reads (output part - 1), from byte base. */
static void
lay_lines(struct lay *L, const struct vcell *c, const char *s, size_t len,
    uint16_t style, long part, size_t base)
{
	size_t	 nlines = 0, shown, pos = 0, k;
	int	 fold = L->v->o.fold_lines;
	struct tx t = { .kind = VIEW_ROW_OUTPUT, .indent = out_indent(L),
	    .tab = L->v->o.tab_output, .style = c->stale ? VIEW_S_STALE : style,
	    .src_base = VIEW_NO_SRC, .part = part };

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

		t.base = base + pos;
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
lay_error(struct lay *L, const struct vcell *c, const struct view_output *o,
    size_t k)
{
	size_t	 n = 0;

	lay_lines(L, c, o->text, o->len, VIEW_S_ERROR, (long)k + 1, 0);
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
		    VIEW_S_TRACE, (long)k + 1, (o->text ? o->len : 0) + 1);
	}
}

/* An output drawn from its formatted lines (tables, trees): each line a
 * row,
 * folded after fold_lines rows unless the cell is unfolded. */
static void
lay_formatted(struct lay *L, const struct vcell *c,
    const struct view_output *o, size_t k)
{
	struct view	*v = L->v;
	struct view_fmt	 f = { .stale = c->stale, .ascii = v->o.ascii,
			    .unfolded = c->unfolded };
	struct tx	 t = { .kind = VIEW_ROW_OUTPUT, .indent = out_indent(L),
			    .tab = 8, .clip = true, .src_base = VIEW_NO_SRC,
			    .part = (long)k + 1 };
	size_t		 pos = 0, nlines = 0, shown, len;
	size_t		 fold = (size_t)v->o.fold_lines;

	gl_buf_reset(&v->t1);
	gl_buf_reset(&v->t2);
	view_out_format(o, &f, &v->t1, &v->t2);
	len = v->t1.len;
	for (size_t i = 0; i < len; i++)
		nlines += v->t1.data[i] == '\n';
	shown = nlines;
	/* Folded: the header, its rule and fold_lines - 1 rows. */
	if (!c->unfolded && nlines > fold + 2)
		shown = fold + 1;
	for (size_t l = 0; l < shown && !L->stop; l++) {
		const char	*nl = memchr(v->t1.data + pos, '\n', len - pos);
		size_t		 end = nl ? (size_t)(nl - v->t1.data) : len;

		t.styles = (const uint8_t *)v->t2.data + pos;
		t.base = pos;
		lay_text(L, v->t1.data + pos, end - pos, &t);
		pos = end + 1;
	}
	if (shown < nlines)
		lay_fold(L, "\xe2\x80\xa6 %zu more rows (o: unfold)",
		    nlines - shown);
	else if (c->unfolded && nlines > fold + 2)
		lay_fold(L, "(%zu lines; o: fold)", nlines);
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
	if (o->busy >= 0 && c->run == GL_RUN_RUNNING)
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
				view_row_put(v->line, L->w, &col, 0,
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
			    VIEW_S_STDERR : VIEW_S_OUT, (long)k + 1, 0);
			break;
		case VIEW_OUT_RESULT:
			lay_lines(L, c, o->text, o->len, VIEW_S_RESULT,
			    (long)k + 1, 0);
			break;
		case VIEW_OUT_OTHER:
			lay_lines(L, c, o->text, o->len, VIEW_S_OUT,
			    (long)k + 1, 0);
			break;
		case VIEW_OUT_ERROR:
			lay_error(L, c, o, k);
			break;
		case VIEW_OUT_TABLE:
		case VIEW_OUT_TREE:
			lay_formatted(L, c, o, k);
			break;
		case VIEW_OUT_PROGRESS:
			lay_progress(L, c, o);
			break;
		}
	}
}

void
view_lay_cell(struct lay *L)
{
	struct view	*v = L->v;
	const struct nb_cell *cell = nb_doc_cell(L->doc, L->ci);
	const struct vcell *c = v->cells[L->ci];

	L->editing = v->edit == (long)L->ci;
	L->bar = L->ci == v->cur || (v->sel_on && L->ci >= v->sel_lo &&
	    L->ci <= v->sel_hi);
	L->ncpeer = 0;
	for (size_t k = 0; L->paint && k < v->npeers &&
	    L->ncpeer < VIEW_PEER_COLORS; k++)
		if (v->peers[k].cell == L->ci && v->peers[k].insert)
			L->cpeer[L->ncpeer++] = k;
	lay_header(L, cell, c);
	if (nb_cell_kind(cell) == NB_MARKDOWN && !L->editing)
		lay_markdown(L, cell);
	else
		lay_source(L, cell);
	lay_outputs(L, c);
}

void
view_lay_init(struct lay *L, struct view *v, const struct nb_doc *doc,
    size_t i, int w)
{
	memset(L, 0, sizeof *L);
	L->v = v;
	L->doc = doc;
	L->ci = i;
	L->w = w;
	L->gut = view_gutter(v);
	L->cursor_row = -1;
	L->match_row = -1;
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

int
view_cell_height(struct view *v, const struct nb_doc *doc, size_t i)
{
	struct vcell	*c = v->cells[i];
	bool		 ed = v->edit == (long)i;
	struct lay	 L;

	if (c->h > 0 && c->h_w == v->w && c->h_gen == c->gen &&
	    c->h_edit == ed && c->h_gut == view_gutter(v))
		return c->h;
	view_lay_init(&L, v, doc, i, v->w);
	L.emit = emit_count;
	view_lay_cell(&L);
	c->h = L.nrow > 0 ? L.nrow : 1;
	c->h_w = v->w;
	c->h_gut = view_gutter(v);
	c->h_gen = c->gen;
	c->h_edit = ed;
	v->layouts++;
	return c->h;
}

int
view_cursor_row(struct view *v, const struct nb_doc *doc, size_t i)
{
	struct lay	 L;

	view_lay_init(&L, v, doc, i, v->w);
	L.emit = emit_count;
	view_lay_cell(&L);
	return L.cursor_row >= 0 ? L.cursor_row : 0;
}

int
view_match_row(struct view *v, const struct nb_doc *doc, size_t i)
{
	struct lay	 L;

	if (v->m_cell != (long)i)
		return -1;
	view_lay_init(&L, v, doc, i, v->w);
	L.emit = emit_count;
	view_lay_cell(&L);
	return L.match_row;
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

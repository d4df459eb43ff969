/*
 * view-review.c - painting the review mode (tui/review.h) into a grid:
 * a title row (the review and its range), a summary row (its status,
 * open threads, each reviewer's verdict), the rows of the diff and its
 * threads scrolled to keep the cursor in sight, the suggestion being
 * written when there is one, a status row (where the cursor is) and the
 * message or command line. Pure: tested as pictures
 * (tests/tui/test_review_view.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "tui/review.h"
#include "tui/view.h"

/* The suggestion editor's text rows at most. */
#define EDIT_ROWS	8

/* Writes s[0..len) at row, col in attr, the bytes of spans in span_attr,
 * cut at the right edge; tabs to the next multiple of 4 from col0.
 * Returns the column after it. */
static int
put_text(struct view_grid *g, int row, int col, const char *s, size_t len,
    uint16_t attr, const struct rview_span *spans, size_t nspans,
    uint16_t span_attr)
{
	int	 col0 = col;
	size_t	 i = 0, sp = 0;

	while (i < len && col < g->cols) {
		uint32_t	 cp;
		size_t		 k = view_utf8_decode(s + i, len - i, &cp);
		int		 w;
		uint16_t	 a = attr;
		char		 u[8];

		while (sp < nspans && i >= (size_t)spans[sp].off +
		    spans[sp].len)
			sp++;
		if (sp < nspans && i >= spans[sp].off)
			a = span_attr;
		if (cp == '\t') {
			int	 stop = 4 - (col - col0) % 4;

			while (stop-- > 0 && col < g->cols)
				col = view_grid_puts(g, row, col, " ", a);
			i += k;
			continue;
		}
		if (cp < 0x20 || cp == 0x7f)
			cp = '?';
		w = view_cp_width(cp);
		if (w == 0) {
			i += k;		/* combining: joins the cell before */
			continue;
		}
		if (col + w > g->cols)
			break;
		u[view_utf8_encode(cp, u)] = '\0';
		col = view_grid_puts(g, row, col, u, a);
		i += k;
	}
	return col;
}

static int
puts_at(struct view_grid *g, int row, int col, const char *s, uint16_t attr)
{
	return put_text(g, row, col, s, strlen(s), attr, NULL, 0, 0);
}

static void
fill_row(struct view_grid *g, int row, uint16_t attr)
{
	for (int c = 0; c < g->cols; c++)
		view_grid_puts(g, row, c, " ", attr);
}

/* ------------------------------------------------------------------ */
/* The summary                                                          */
/* ------------------------------------------------------------------ */

/* True if reviewer names who ("bob", "Bob <b@x>", "b@x"). */
static bool
is_person(const char *reviewer, const char *who)
{
	const char	*lt = strchr(who, '<');
	size_t		 n = strlen(reviewer);

	if (strcmp(reviewer, who) == 0)
		return true;
	if (lt != NULL && (size_t)(lt - who) == n + 1 &&
	    strncmp(who, reviewer, n) == 0)
		return true;
	return lt != NULL && strncmp(lt + 1, reviewer, n) == 0 &&
	    lt[1 + n] == '>';
}

static const char *
verdict_words(const char *v)
{
	if (v == NULL)
		return "no verdict yet";
	if (strcmp(v, "approve") == 0)
		return "approved";
	if (strcmp(v, "request-changes") == 0)
		return "changes requested";
	return v;
}

void
rview_summary(const struct rview *rv, char *out, size_t n)
{
	struct gl_buf	 b;
	bool		*listed;
	size_t		 open = rview_open_threads(rv);

	if (rv->id == NULL) {
		snprintf(out, n, "no review yet: a comment or a verdict starts "
		    "one");
		return;
	}
	listed = xcalloc(rv->nverdicts + 1, sizeof *listed);
	gl_buf_init(&b);
	gl_buf_addf(&b, "%s \xc2\xb7 %zu open thread%s of %zu",
	    rv->status != NULL ? rv->status : "open", open, open == 1 ? "" :
	    "s", rv->nthreads);
	for (size_t i = 0; i < rv->nreviewers; i++) {
		const char	*v = NULL;

		for (size_t k = 0; k < rv->nverdicts; k++)
			if (is_person(rv->reviewers[i],
			    rv->verdicts[k].author)) {
				v = rv->verdicts[k].verdict;
				listed[k] = true;
			}
		gl_buf_addf(&b, " \xc2\xb7 %s: %s", rv->reviewers[i],
		    verdict_words(v));
	}
	for (size_t k = 0; k < rv->nverdicts; k++) {
		const char	*who = rv->verdicts[k].author;
		const char	*lt = strstr(who, " <");

		if (!listed[k])
			gl_buf_addf(&b, " \xc2\xb7 %.*s: %s", lt != NULL ?
			    (int)(lt - who) : (int)strlen(who), who,
			    verdict_words(rv->verdicts[k].verdict));
	}
	snprintf(out, n, "%s", b.data);
	gl_buf_fini(&b);
	free(listed);
}

/* ------------------------------------------------------------------ */
/* Rows                                                                 */
/* ------------------------------------------------------------------ */

static uint16_t
status_style(char st)
{
	return st == '+' ? VIEW_S_ADD : st == '-' ? VIEW_S_DEL :
	    st == ' ' ? VIEW_S_NORMAL : VIEW_S_CHG;
}

/* Paints row r of rv at screen row y; returns the column after it. */
static int
paint_row(const struct rview *rv, size_t r, struct view_grid *g, int y)
{
	const struct rview_row	*row = &rv->rows[r];
	const struct rview_item	*it = &rv->items[row->item];
	const char		*text = it->text + row->off;
	const struct rview_thread *t = it->thread >= 0 ?
				    &rv->threads[it->thread] : NULL;
	uint16_t		 st, tst;
	char			 no[16], op[2] = { it->op, '\0' };
	int			 col = 0;

	switch (it->kind) {
	case RVIEW_FILE:
		return put_text(g, y, 1, text, row->len, VIEW_S_H1, NULL, 0, 0);
	case RVIEW_CELL:
		st = status_style(rv->files[it->file].cells[it->cell].status);
		op[0] = rv->files[it->file].cells[it->cell].status;
		col = puts_at(g, y, 2, op, st);
		return put_text(g, y, col + 1, text, row->len, VIEW_S_HDR,
		    NULL, 0, 0);
	case RVIEW_HUNK:
		return put_text(g, y, 7, text, row->len, VIEW_S_DIM, NULL, 0, 0);
	case RVIEW_FOLD:
		return put_text(g, y, 7, text, row->len, VIEW_S_FOLD, NULL, 0,
		    0);
	case RVIEW_META:
		return put_text(g, y, 7, text, row->len, VIEW_S_CHG, NULL, 0, 0);
	case RVIEW_NOTE:
		return put_text(g, y, 2, text, row->len, it->file < 0 ?
		    VIEW_S_H2 : VIEW_S_DIM, NULL, 0, 0);
	case RVIEW_LINE:
		if (it->op != '+' ? it->old_no > 0 : it->new_no > 0) {
			snprintf(no, sizeof no, "%4u", it->op == '-' ?
			    it->old_no : it->new_no);
			puts_at(g, y, 2, no, VIEW_S_DIM);
		}
		st = it->op == '+' ? VIEW_S_ADD : it->op == '-' ? VIEW_S_DEL :
		    VIEW_S_NORMAL;
		puts_at(g, y, 7, op, st);
		return put_text(g, y, 8, text, row->len, st, it->words,
		    it->nwords, it->op == '+' ? VIEW_S_WORDADD :
		    VIEW_S_WORDDEL);
	case RVIEW_THREAD:
	case RVIEW_QUOTE:
	case RVIEW_BODY:
	case RVIEW_SUGG:
		break;
	}
	tst = t != NULL && t->resolved ? VIEW_S_STALE : VIEW_S_NORMAL;
	puts_at(g, y, 2, rv->ascii ? "|" : "\xe2\x94\x83", VIEW_S_THREAD);
	switch (it->kind) {
	case RVIEW_THREAD:
		return put_text(g, y, 4, text, row->len, t != NULL &&
		    t->resolved ? VIEW_S_STALE : VIEW_S_THREAD, NULL, 0, 0);
	case RVIEW_QUOTE:
		return put_text(g, y, 4, text, row->len, VIEW_S_COMMENT, NULL,
		    0, 0);
	case RVIEW_SUGG:
		col = puts_at(g, y, 4, "+ ", VIEW_S_ADD);
		return put_text(g, y, col, text, row->len, VIEW_S_ADD, NULL,
		    0, 0);
	default:
		return put_text(g, y, 4, text, row->len, tst, NULL, 0, 0);
	}
}

int
rview_page_rows(const struct view_grid *g, const struct rview_screen *s)
{
	int	 rows = g->rows - 4;

	if (s != NULL && s->edit != NULL) {
		int	 n = 1;

		for (size_t i = 0; i < s->edit_len; i++)
			n += s->edit[i] == '\n';
		rows -= 1 + (n < EDIT_ROWS ? n : EDIT_ROWS);
	}
	return rows > 1 ? rows : 1;
}

/* The suggestion being written: a title row, then its lines (scrolled
 * to the cursor's), the terminal cursor in it. */
static void
paint_editor(const struct rview_screen *s, struct view_grid *g, int y,
    int rows)
{
	size_t		 line = 0, start = 0, pos;
	int		 first = 0;

	fill_row(g, y, VIEW_S_STATUS);
	puts_at(g, y, 0, s->edit_title != NULL ? s->edit_title : "",
	    VIEW_S_STATUS);
	for (size_t i = 0; i < s->edit_cur && i < s->edit_len; i++)
		if (s->edit[i] == '\n') {
			line++;
			start = i + 1;
		}
	if ((int)line >= rows)
		first = (int)line - rows + 1;
	pos = 0;
	for (int k = 0; k < first + rows && pos <= s->edit_len; k++) {
		const char	*nl = memchr(s->edit + pos, '\n',
				    s->edit_len - pos);
		size_t		 n = nl != NULL ? (size_t)(nl - (s->edit +
				    pos)) : s->edit_len - pos;

		if (k >= first) {
			puts_at(g, y + 1 + k - first, 2, "+", VIEW_S_ADD);
			put_text(g, y + 1 + k - first, 4, s->edit + pos, n,
			    VIEW_S_NORMAL, NULL, 0, 0);
		}
		if (nl == NULL)
			break;
		pos += n + 1;
	}
	g->cur_row = y + 1 + (int)line - first;
	g->cur_col = 4 + view_text_cols(s->edit + start, s->edit_cur - start,
	    0, 4);
	if (g->cur_col >= g->cols)
		g->cur_col = g->cols - 1;
	g->cur_visible = true;
}

/* What the status row says of the cursor's place. */
static void
status_text(const struct rview *rv, char *out, size_t n)
{
	struct rview_target	 t;
	const struct rview_item	*it;

	out[0] = '\0';
	if (rv->nrows == 0)
		return;
	it = &rv->items[rv->rows[rv->cur].item];
	if (it->thread >= 0) {
		snprintf(out, n, "thread %s", rv->threads[it->thread].id);
		return;
	}
	if (!rview_target(rv, &t, NULL)) {
		if (it->file >= 0)
			snprintf(out, n, "%s", rv->files[it->file].path);
		return;
	}
	if (t.line0 == 0)
		snprintf(out, n, "%s \xc2\xb7 cell %s", t.path, t.cell);
	else
		snprintf(out, n, t.line0 == t.line1 ? "%s%s%s \xc2\xb7 line %u" :
		    "%s%s%s \xc2\xb7 lines %u-%u", t.path, t.cell != NULL ?
		    " \xc2\xb7 cell " : "", t.cell != NULL ? t.cell : "",
		    t.line0, t.line1);
}

void
rview_render(struct rview *rv, const struct rview_screen *s,
    struct view_grid *g)
{
	int	 body, y, edit_rows = 0;
	size_t	 lo = 0, hi = 0;
	bool	 sel;
	char	 buf[512], right[32], bs[8], hs[8];

	view_grid_clear(g);
	if (g->rows < 5 || g->cols < 10)
		return;
	rview_layout(rv, g->cols);
	body = rview_page_rows(g, s);
	if (s != NULL && s->edit != NULL)
		edit_rows = g->rows - 4 - body;
	/* Title and summary. */
	fill_row(g, 0, VIEW_S_HDRCUR);
	snprintf(bs, sizeof bs, "%.7s", rv->base_commit);
	snprintf(hs, sizeof hs, "%.7s", rv->head_commit);
	if (rv->id != NULL)
		snprintf(buf, sizeof buf, " review %s: %s   %s..%s (%s..%s)",
		    rv->id, rv->title != NULL ? rv->title : "",
		    rv->base != NULL ? rv->base : "?", rv->head != NULL ?
		    rv->head : "?", bs, hs);
	else
		snprintf(buf, sizeof buf, " changes %s..%s (%s..%s)",
		    rv->base != NULL ? rv->base : "?", rv->head != NULL ?
		    rv->head : "?", bs, hs);
	puts_at(g, 0, 0, buf, VIEW_S_HDRCUR);
	rview_summary(rv, buf, sizeof buf);
	{
		size_t	 w = strcspn(buf, " ");
		uint16_t st = rv->id == NULL ? VIEW_S_DIM :
		    strncmp(buf, "approved", w) == 0 ? VIEW_S_OK :
		    strncmp(buf, "changes-requested", w) == 0 ?
		    VIEW_S_FAILED : VIEW_S_RUNNING;
		int	 col = put_text(g, 1, 1, buf, rv->id != NULL ? w :
			    strlen(buf), st, NULL, 0, 0);

		if (rv->id != NULL)
			puts_at(g, 1, col, buf + w, VIEW_S_NORMAL);
	}
	/* The rows, the cursor in sight. */
	if (rv->cur < rv->top)
		rv->top = rv->cur;
	if (rv->cur >= rv->top + (size_t)body)
		rv->top = rv->cur - (size_t)body + 1;
	if (rv->top + (size_t)body > rv->nrows)
		rv->top = rv->nrows > (size_t)body ? rv->nrows - (size_t)body :
		    0;
	sel = rview_selection(rv, &lo, &hi);
	for (y = 0; y < body && rv->top + (size_t)y < rv->nrows; y++) {
		size_t	 r = rv->top + (size_t)y;
		int	 end = paint_row(rv, r, g, 2 + y);

		if (r == rv->cur)
			view_grid_puts(g, 2 + y, 0, rv->ascii ? ">" :
			    "\xe2\x96\x8e", VIEW_S_BAR);
		if (sel && r >= lo && r <= hi)
			for (int c = 1; c < end; c++)
				view_grid_at(g, 2 + y, c)->attr |= VIEW_F_SEL;
	}
	if (edit_rows > 0)
		paint_editor(s, g, 2 + body, edit_rows - 1);
	/* Status row: where the cursor is. */
	y = g->rows - 2;
	fill_row(g, y, VIEW_S_STATUS);
	snprintf(buf, sizeof buf, " %s ", s != NULL && s->mode != NULL ?
	    s->mode : "REVIEW");
	{
		int	 col = puts_at(g, y, 0, buf, VIEW_S_MODE);

		status_text(rv, buf, sizeof buf);
		snprintf(right, sizeof right, " %zu/%zu ", rv->nrows > 0 ?
		    rv->cur + 1 : 0, rv->nrows);
		put_text(g, y, col + 1, buf, strlen(buf), VIEW_S_STATUS, NULL,
		    0, 0);
		if (g->cols - (int)strlen(right) > col)
			puts_at(g, y, g->cols - (int)strlen(right), right,
			    VIEW_S_STATUS);
	}
	/* The message or command line. */
	y = g->rows - 1;
	if (s != NULL && s->cmdline != NULL) {
		int	 col = puts_at(g, y, 0, ":", VIEW_S_NORMAL);

		puts_at(g, y, col, s->cmdline, VIEW_S_NORMAL);
		g->cur_row = y;
		g->cur_col = 1 + view_text_cols(s->cmdline, s->cmdline_cur, 0,
		    8);
		if (g->cur_col >= g->cols)
			g->cur_col = g->cols - 1;
		g->cur_visible = true;
	} else if (s != NULL && s->msg != NULL)
		puts_at(g, y, 0, s->msg, s->msg_error ? VIEW_S_MSGERR :
		    VIEW_S_MSG);
	else if (s != NULL && s->edit != NULL)
		puts_at(g, y, 0, "type the lines as they should be; Esc: done "
		    "(then the comment), Ctrl-C: drop it", VIEW_S_DIM);
	else
		puts_at(g, y, 0, "]c ]t next change, thread  V select  c "
		    "comment  s suggest  r reply  x resolve  a apply  A "
		    "approve  ? keys", VIEW_S_DIM);
}

/*
 * view-output.c - outputs as lines of text: what search reads, what a
 * pager shows and what `galley run` prints (view_output_text()), and,
 * for the outputs that are drawn from such lines (tables), the styles of
 * each byte the layout paints them with (view_out_format()). One
 * formatter serves both, so the rows on the screen are the lines search
 * counts in.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "tui/view.h"
#include "tui/view_int.h"

static bool
is_number(const char *s)
{
	char	*end;

	if (s == NULL || *s == '\0')
		return false;
	(void)strtod(s, &end);
	return *end == '\0';
}

/* Appends style for the bytes text got since len0 (styles may be NULL). */
static void
style_to(struct gl_buf *text, struct gl_buf *styles, uint8_t style)
{
	if (styles == NULL)
		return;
	gl_buf_reserve(styles, text->len - styles->len);
	memset(styles->data + styles->len, style, text->len - styles->len);
	styles->len = text->len;
}

/* Appends s clipped to w columns (an ellipsis marks a cut) and padded to
 * w, right-aligned if right. */
static void
fmt_cell(struct gl_buf *text, struct gl_buf *styles, const char *s, int w,
    bool right, uint8_t style)
{
	size_t		 len = s ? strlen(s) : 0, i = 0, start = text->len;
	int		 cols = 0, pad;
	uint32_t	 cp;

	while (i < len) {
		size_t	 k = view_decode(s + i, len - i, &cp);
		int	 cw = (cp < 0x20 || cp == 0x7f) ? 1 : view_width(cp);

		if (cols + cw > w || (cols + cw == w && i + k < len &&
		    view_text_cols(s + i + k, len - i - k, 0, 8) > 0)) {
			if (cols < w) {
				gl_buf_adds(text, "\xe2\x80\xa6");
				cols++;
			}
			break;
		}
		if (cp < 0x20 || cp == 0x7f)
			gl_buf_addc(text, ' ');
		else
			gl_buf_add(text, s + i, k);
		cols += cw;
		i += k;
	}
	pad = w - cols;
	if (right && pad > 0) {
		size_t	 n = text->len - start;
		char	*tmp = xstrndup(text->data + start, n);

		text->len = start;
		for (int k = 0; k < pad; k++)
			gl_buf_addc(text, ' ');
		gl_buf_add(text, tmp, n);
		free(tmp);
	} else
		for (int k = 0; k < pad; k++)
			gl_buf_addc(text, ' ');
	style_to(text, styles, style);
}

/* The rule under a table's header: a line as wide as each column. */
static void
fmt_rule(struct gl_buf *text, struct gl_buf *styles, size_t ncols,
    const int *w, bool ascii)
{
	for (size_t col = 0; col < ncols; col++) {
		if (col > 0)
			fmt_cell(text, styles, "", 2, false, VIEW_S_NORMAL);
		for (int k = 0; k < w[col]; k++)
			gl_buf_adds(text, ascii ? "-" : "\xe2\x94\x80");
		style_to(text, styles, VIEW_S_DIM);
	}
	gl_buf_addc(text, '\n');
	style_to(text, styles, VIEW_S_NORMAL);
}

/* "1,234,567" */
static void
fmt_count(char *buf, size_t n, size_t v)
{
	char	 tmp[32];
	size_t	 len, o = 0;

	len = (size_t)snprintf(tmp, sizeof tmp, "%zu", v);
	for (size_t i = 0; i < len && o + 2 < n; i++) {
		if (i > 0 && (len - i) % 3 == 0)
			buf[o++] = ',';
		buf[o++] = tmp[i];
	}
	buf[o] = '\0';
}

/* A table: the header, a rule, the rows, and a last line for the rows
 * the runtime did not send. Columns are as wide as their widest cell up
 * to 30 columns (60 for a lone column); numbers are right-aligned. */
static void
fmt_table(const struct view_output *o, const struct view_fmt *f,
    struct gl_buf *text, struct gl_buf *styles)
{
	int	*w;
	bool	*num;
	int	 maxw = o->ncols == 1 ? 60 : 30;
	uint8_t	 body = f->stale ? VIEW_S_STALE : VIEW_S_OUT;

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
	for (size_t r = 0; r <= o->nrows; r++) {
		for (size_t col = 0; col < o->ncols; col++) {
			const char *cs = o->cells[r * o->ncols + col];
			bool	 right = r > 0 && num[col];
			int	 cw = w[col];

			if (col > 0)
				fmt_cell(text, styles, "", 2, false,
				    VIEW_S_NORMAL);
			/* No blanks at the end of a line. */
			if (col + 1 == o->ncols && !right) {
				cw = cs ? view_text_cols(cs, strlen(cs), 0, 1) :
				    0;
				if (cw > w[col])
					cw = w[col];
			}
			fmt_cell(text, styles, cs, cw, right, r == 0 ?
			    (f->stale ? VIEW_S_STALE : VIEW_S_TH) : body);
		}
		gl_buf_addc(text, '\n');
		style_to(text, styles, VIEW_S_NORMAL);
		if (r == 0)
			fmt_rule(text, styles, o->ncols, w, f->ascii);
	}
	if (o->more > 0 || o->more_cols > 0) {
		char	 n[32];

		fmt_count(n, sizeof n, o->more);
		if (o->more > 0)
			gl_buf_addf(text, "\xe2\x80\xa6 %s more row%s", n,
			    o->more == 1 ? "" : "s");
		fmt_count(n, sizeof n, o->more_cols);
		if (o->more_cols > 0)
			gl_buf_addf(text, "%s%s more column%s", o->more > 0 ?
			    ", " : "\xe2\x80\xa6 ", n,
			    o->more_cols == 1 ? "" : "s");
		style_to(text, styles, f->stale ? VIEW_S_STALE : VIEW_S_FOLD);
		gl_buf_addc(text, '\n');
		style_to(text, styles, VIEW_S_NORMAL);
	}
	free(w);
	free(num);
}

/* The style a tree value is drawn in, from how Lua wrote it. */
static uint8_t
value_style(const char *v)
{
	if (*v == '"')
		return VIEW_S_STRING;
	if (is_number(v))
		return VIEW_S_NUMBER;
	if (strcmp(v, "true") == 0 || strcmp(v, "false") == 0 ||
	    strcmp(v, "nil") == 0)
		return VIEW_S_KEYWORD;
	return VIEW_S_RESULT;
}

static void
fmt_entries(struct gl_buf *text, struct gl_buf *styles, long n,
    uint8_t style)
{
	gl_buf_addf(text, "{%ld entr%s}", n, n == 1 ? "y" : "ies");
	style_to(text, styles, style);
}

/* A node's value as Lua writes it, or its table's size; then the end
 * of its line. */
static void
fmt_value(struct gl_buf *text, struct gl_buf *styles,
    const struct view_node *nd, const struct view_fmt *f)
{
	if (*nd->value != '\0') {
		gl_buf_adds(text, nd->value);
		style_to(text, styles, f->stale ? VIEW_S_STALE :
		    value_style(nd->value));
	} else
		fmt_entries(text, styles, nd->n, f->stale ? VIEW_S_STALE :
		    VIEW_S_DIM);
	gl_buf_addc(text, '\n');
	style_to(text, styles, VIEW_S_NORMAL);
}

/* "… N more" under the children of a table of depth d. */
static void
fmt_more(struct gl_buf *text, struct gl_buf *styles, int d, size_t more,
    uint8_t style)
{
	char	 n[32];

	for (int k = 0; k < d; k++)
		gl_buf_adds(text, "  ");
	fmt_count(n, sizeof n, more);
	gl_buf_addf(text, "  \xe2\x80\xa6 %s more", n);
	style_to(text, styles, style);
	gl_buf_addc(text, '\n');
	style_to(text, styles, VIEW_S_NORMAL);
}

/*
 * A tree: the root's line, then one line per node, indented by depth,
 * "key = value" (a table whose children follow shows how many entries it
 * has, behind a fold marker), and "… N more" after the children of a
 * table that had more than were sent. Folded, only the root's children
 * show.
 */
static void
fmt_tree(const struct view_output *o, const struct view_fmt *f,
    struct gl_buf *text, struct gl_buf *styles)
{
	/* The tables whose children are being written, for their "more"
	 * lines: depth and count. */
	int		 dstack[64];
	size_t		 mstack[64];
	int		 nstack = 0;
	bool		 hidden = false;
	uint8_t		 st = VIEW_S_STALE;

	for (size_t i = 0; i < o->nnodes; i++) {
		const struct view_node *nd = &o->nodes[i];
		bool	 open = *nd->value == '\0' && nd->n > 0;
		bool	 shown = f->unfolded || nd->depth <= 1;

		while (nstack > 0 && dstack[nstack - 1] >= nd->depth) {
			nstack--;
			if (mstack[nstack] > 0 && (f->unfolded ||
			    dstack[nstack] == 0))
				fmt_more(text, styles, dstack[nstack],
				    mstack[nstack], f->stale ? st :
				    VIEW_S_FOLD);
		}
		if (open && nstack < 64) {
			dstack[nstack] = nd->depth;
			mstack[nstack++] = nd->more;
		}
		if (!shown) {
			hidden = true;
			continue;
		}
		if (nd->depth == 0) {
			fmt_value(text, styles, nd, f);
			continue;
		}
		for (int k = 1; k < nd->depth; k++)
			gl_buf_adds(text, "  ");
		style_to(text, styles, VIEW_S_NORMAL);
		if (open)
			gl_buf_adds(text, f->ascii ? (f->unfolded ? "v " :
			    "> ") : f->unfolded ? "\xe2\x96\xbe " :
			    "\xe2\x96\xb8 ");
		else
			gl_buf_adds(text, "  ");
		style_to(text, styles, f->stale ? st : VIEW_S_FOLD);
		gl_buf_adds(text, nd->key);
		style_to(text, styles, f->stale ? st : VIEW_S_OUT);
		gl_buf_adds(text, " = ");
		style_to(text, styles, f->stale ? st : VIEW_S_DIM);
		fmt_value(text, styles, nd, f);
	}
	while (nstack > 0) {
		nstack--;
		if (mstack[nstack] > 0 && (f->unfolded || dstack[nstack] == 0))
			fmt_more(text, styles, dstack[nstack], mstack[nstack],
			    f->stale ? st : VIEW_S_FOLD);
	}
	if (hidden) {
		gl_buf_adds(text, "  (o: unfold)");
		style_to(text, styles, f->stale ? st : VIEW_S_FOLD);
		gl_buf_addc(text, '\n');
		style_to(text, styles, VIEW_S_NORMAL);
	}
}

void
view_out_format(const struct view_output *o, const struct view_fmt *f,
    struct gl_buf *text, struct gl_buf *styles)
{
	switch (o->kind) {
	case VIEW_OUT_TABLE:
		fmt_table(o, f, text, styles);
		break;
	case VIEW_OUT_TREE:
		fmt_tree(o, f, text, styles);
		break;
	default:
		break;
	}
}

void
view_output_text(const struct view_output *o, struct gl_buf *out)
{
	struct view_fmt	 f = { .unfolded = true };
	char		 buf[128];

	switch (o->kind) {
	case VIEW_OUT_STREAM:
	case VIEW_OUT_RESULT:
	case VIEW_OUT_OTHER:
		if (o->text != NULL)
			gl_buf_add(out, o->text, o->len);
		break;
	case VIEW_OUT_ERROR:
		if (o->text != NULL)
			gl_buf_add(out, o->text, o->len);
		if (o->traceback != NULL && *o->traceback != '\0') {
			gl_buf_addc(out, '\n');
			gl_buf_adds(out, o->traceback);
		}
		break;
	case VIEW_OUT_TABLE:
	case VIEW_OUT_TREE:
		view_out_format(o, &f, out, NULL);
		/* No newline after the last line, as the other kinds. */
		if (out->len > 0 && out->data[out->len - 1] == '\n')
			out->data[--out->len] = '\0';
		break;
	case VIEW_OUT_PROGRESS:
		snprintf(buf, sizeof buf, "%s%s%g/%g", o->text ? o->text : "",
		    o->text ? " " : "", o->done, o->total);
		gl_buf_adds(out, buf);
		if (o->failed > 0) {
			snprintf(buf, sizeof buf, ", %g failed", o->failed);
			gl_buf_adds(out, buf);
		}
		break;
	}
	if (out->data == NULL)
		gl_buf_add(out, "", 0);
}

/*
 * view-grid.c - the view's grid: cells of codepoints with a width and a
 * style, text written into it, its picture for the tests (STYLE example
 * E), and the UTF-8 and width helpers the view and the editor share.
 */
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "core/mem.h"
#include "tui/view.h"
#include "tui/view_int.h"

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
	[VIEW_S_KEY] = "key", [VIEW_S_ADD] = "add", [VIEW_S_DEL] = "del",
	[VIEW_S_CHG] = "chg", [VIEW_S_WORDADD] = "wadd",
	[VIEW_S_WORDDEL] = "wdel", [VIEW_S_THREAD] = "thr",
	[VIEW_S_MENU] = "menu", [VIEW_S_MENUSEL] = "menusel",
	[VIEW_S_MENUNOTE] = "menunote",
	[VIEW_S_PEER0] = "p0",
	[VIEW_S_PEER1] = "p1",
	[VIEW_S_PEER2] = "p2",
	[VIEW_S_PEER3] = "p3",
	[VIEW_S_PEER4] = "p4",
	[VIEW_S_PEER5] = "p5",
	[VIEW_S_PEER6] = "p6",
	[VIEW_S_PEER7] = "p7",
};

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


int
view_grid_puts_clip(struct view_grid *g, int row, int col, const char *s,
    uint16_t attr, int maxcol)
{
	size_t		 len = strlen(s), i = 0;
	uint32_t	 cp;
	struct view_gcell *r;

	if (row < 0 || row >= g->rows)
		return col;
	if (maxcol > g->cols)
		maxcol = g->cols;
	r = view_cell_at(g, row, 0);
	while (i < len && col < maxcol) {
		int	 w;

		i += view_decode(s + i, len - i, &cp);
		w = view_width(cp);
		if (cp < 0x20 || cp == 0x7f) {
			view_row_put(r, maxcol, &col, 0, '^', 1, attr);
			view_row_put(r, maxcol, &col, 0, cp == 0x7f ? '?' :
			    cp + 64, 1, attr);
			continue;
		}
		if (col + w > maxcol)
			break;
		view_row_put(r, maxcol, &col, 0, cp, w, attr);
	}
	return col;
}

int
view_grid_puts(struct view_grid *g, int row, int col, const char *s,
    uint16_t attr)
{
	return view_grid_puts_clip(g, row, col, s, attr, g->cols);
}

enum view_style
view_peer_style(int color)
{
	return (enum view_style)(VIEW_S_PEER0 + (color < 0 ? 0 :
	    color % VIEW_PEER_COLORS));
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
			const struct view_gcell *c = view_cell_at(g, r, end - 1);

			if (c->cp[0] != ' ' || c->cp[1] != 0 || c->attr != 0)
				break;
			end--;
		}
		gl_buf_addc(&b, '|');
		for (int col = 0; col < end; col++) {
			const struct view_gcell *c = view_cell_at(g, r, col);
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
				gl_buf_addf(&b, "{%s%s%s%s%s:",
				    view_style_name(VIEW_STYLE(c->attr)),
				    (c->attr & VIEW_F_SEL) ? "+sel" : "",
				    (c->attr & VIEW_F_MATCH) ? "+hl" : "",
				    (c->attr & VIEW_F_CURMATCH) ? "+cur" : "",
				    (c->attr & VIEW_F_PEER) ? "+at" : "");
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

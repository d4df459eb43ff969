/*
 * draw.c - a view_grid to the screen, changed cells only.
 *
 * The last frame is kept; a frame sends curses only the cells that differ
 * from it (a keystroke in the editor typically changes a handful), and
 * curses in turn sends the terminal only what its own screen image says
 * changed, in one write per frame (doupdate), so nothing flickers.
 *
 * Styles are semantic (enum view_style); this file decides what they look
 * like: 256-colour pairs, an 8-colour fallback, and for monochrome
 * terminals (NO_COLOR, TERM=vt100) attributes alone, chosen so that every
 * distinction the view makes (current cell, errors, stale outputs,
 * selection, the status line) stays visible.
 */
#define _XOPEN_SOURCE_EXTENDED 1
#include <curses.h>

#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "core/mem.h"
#include "tui/draw.h"
#include "tui/term.h"
#include "tui/view.h"

struct style_def {
	short	 fg, bg;	/* 256 colours; -1 default */
	short	 fg8, bg8;	/* 8 colours */
	attr_t	 attr;		/* with colours */
	attr_t	 mono;		/* without */
};

#define B	A_BOLD
#define U	A_UNDERLINE
#define R	A_REVERSE
#define D	A_DIM
#define I	A_ITALIC

static const struct style_def styles[VIEW_S_COUNT] = {
	[VIEW_S_NORMAL]   = { -1, -1, -1, -1, 0, 0 },
	[VIEW_S_DIM]      = { 244, -1, COLOR_WHITE, -1, 0, D },
	[VIEW_S_HDR]      = { 244, -1, COLOR_WHITE, -1, 0, D },
	[VIEW_S_HDRCUR]   = { 75, -1, COLOR_CYAN, -1, B, B | U },
	[VIEW_S_BAR]      = { 75, -1, COLOR_CYAN, -1, B, B },
	[VIEW_S_KEYWORD]  = { 176, -1, COLOR_MAGENTA, -1, B, B },
	[VIEW_S_STRING]   = { 114, -1, COLOR_GREEN, -1, 0, 0 },
	[VIEW_S_NUMBER]   = { 215, -1, COLOR_YELLOW, -1, 0, 0 },
	[VIEW_S_COMMENT]  = { 244, -1, COLOR_WHITE, -1, I, D },
	[VIEW_S_H1]       = { 75, -1, COLOR_CYAN, -1, B | U, B | U },
	[VIEW_S_H2]       = { 75, -1, COLOR_CYAN, -1, B, B },
	[VIEW_S_BOLD]     = { -1, -1, -1, -1, B, B },
	[VIEW_S_EMPH]     = { -1, -1, -1, -1, I, U },
	[VIEW_S_CODE]     = { 180, -1, COLOR_YELLOW, -1, 0, 0 },
	[VIEW_S_LINK]     = { 75, -1, COLOR_CYAN, -1, U, U },
	[VIEW_S_BULLET]   = { 75, -1, COLOR_CYAN, -1, 0, B },
	[VIEW_S_OUT]      = { 252, -1, -1, -1, 0, 0 },
	[VIEW_S_RESULT]   = { 255, -1, -1, -1, B, B },
	[VIEW_S_STDERR]   = { 215, -1, COLOR_YELLOW, -1, 0, 0 },
	[VIEW_S_ERROR]    = { 203, -1, COLOR_RED, -1, B, B | R },
	[VIEW_S_TRACE]    = { 174, -1, COLOR_RED, -1, 0, D },
	[VIEW_S_FOLD]     = { 244, -1, COLOR_WHITE, -1, I, D | U },
	[VIEW_S_STALE]    = { 241, -1, COLOR_WHITE, -1, D, D },
	[VIEW_S_TH]       = { -1, -1, -1, -1, B | U, B | U },
	[VIEW_S_PROGRESS] = { 75, -1, COLOR_CYAN, -1, 0, R },
	[VIEW_S_RUNNING]  = { 220, -1, COLOR_YELLOW, -1, B, B },
	[VIEW_S_OK]       = { 114, -1, COLOR_GREEN, -1, 0, 0 },
	[VIEW_S_FAILED]   = { 203, -1, COLOR_RED, -1, B, B },
	[VIEW_S_STATUS]   = { 252, 237, COLOR_WHITE, COLOR_BLUE, 0, R },
	[VIEW_S_MODE]     = { 16, 75, COLOR_BLACK, COLOR_CYAN, B, R | B },
	[VIEW_S_MSG]      = { -1, -1, -1, -1, 0, 0 },
	[VIEW_S_MSGERR]   = { 203, -1, COLOR_RED, -1, B, B },
	[VIEW_S_KEY]      = { 75, -1, COLOR_CYAN, -1, B, B },
	[VIEW_S_ADD]      = { 114, -1, COLOR_GREEN, -1, 0, B },
	[VIEW_S_DEL]      = { 203, -1, COLOR_RED, -1, 0, D },
	[VIEW_S_CHG]      = { 220, -1, COLOR_YELLOW, -1, B, B },
	[VIEW_S_WORDADD]  = { 16, 114, COLOR_BLACK, COLOR_GREEN, 0, R | B },
	[VIEW_S_WORDDEL]  = { 16, 203, COLOR_BLACK, COLOR_RED, 0, R | D },
	[VIEW_S_THREAD]   = { 176, -1, COLOR_MAGENTA, -1, B, B | U },
	[VIEW_S_MENU]     = { 252, 238, COLOR_WHITE, COLOR_BLUE, 0, R },
	[VIEW_S_MENUSEL]  = { 16, 75, COLOR_BLACK, COLOR_CYAN, B, B | U },
	[VIEW_S_MENUNOTE] = { 245, 238, COLOR_CYAN, COLOR_BLUE, 0, R | D },
	/* People: bright hues that differ in hue and lightness on the
	 * status line's grey (a name reads as a tag; their cursor, drawn
	 * reversed, as a block of their colour); on 8 colours the six
	 * hues, then two again in bold; without colours, the attributes
	 * in turn (names tell them apart). */
	[VIEW_S_PEER0]    = { 214, 237, COLOR_YELLOW, -1, B, B },
	[VIEW_S_PEER1]    = { 81, 237, COLOR_CYAN, -1, B, U },
	[VIEW_S_PEER2]    = { 213, 237, COLOR_MAGENTA, -1, B, B | U },
	[VIEW_S_PEER3]    = { 119, 237, COLOR_GREEN, -1, B, B },
	[VIEW_S_PEER4]    = { 210, 237, COLOR_RED, -1, B, U },
	[VIEW_S_PEER5]    = { 147, 237, COLOR_BLUE, -1, B, B | U },
	[VIEW_S_PEER6]    = { 229, 237, COLOR_YELLOW, -1, B | U, B },
	[VIEW_S_PEER7]    = { 159, 237, COLOR_CYAN, -1, B | U, U },
};

/* Colour pairs after the styles' (pair s + 1 is style s's). */
#define PAIR_MATCH	(VIEW_S_COUNT + 1)
#define PAIR_CURMATCH	(VIEW_S_COUNT + 2)

struct draw {
	struct view_grid last;		/* what the screen shows */
	bool		 valid;
	int		 cursor;	/* curs_set state, -1 unknown */
	size_t		 sent;
	int		 ncolors;
};

static bool
gcell_eq(const struct view_gcell *a, const struct view_gcell *b)
{
	return a->width == b->width && a->attr == b->attr &&
	    memcmp(a->cp, b->cp, sizeof a->cp) == 0;
}

struct draw *
draw_new(void)
{
	struct draw	*d = xcalloc(1, sizeof *d);

	d->cursor = -1;
	d->ncolors = term_colors();
	if (d->ncolors >= 8) {
		for (int s = 0; s < VIEW_S_COUNT; s++) {
			const struct style_def *st = &styles[s];

			if (d->ncolors >= 256)
				init_pair((short)(s + 1), st->fg, st->bg);
			else
				init_pair((short)(s + 1), st->fg8, st->bg8);
		}
		/* Search matches: dark on yellow, the current one on
		 * orange (8 colours: on yellow, on magenta). */
		init_pair(PAIR_MATCH, d->ncolors >= 256 ? 16 : COLOR_BLACK,
		    d->ncolors >= 256 ? 222 : COLOR_YELLOW);
		init_pair(PAIR_CURMATCH, d->ncolors >= 256 ? 16 : COLOR_BLACK,
		    d->ncolors >= 256 ? 208 : COLOR_MAGENTA);
	}
	return d;
}

void
draw_free(struct draw *d)
{
	if (d == NULL)
		return;
	view_grid_fini(&d->last);
	free(d);
}

void
draw_invalidate(struct draw *d)
{
	d->valid = false;
	clearok(curscr, TRUE);
}

size_t
draw_cells_sent(const struct draw *d)
{
	return d->sent;
}

static void
put_cell(struct draw *d, int r, int c, const struct view_gcell *g)
{
	wchar_t		 wc[VIEW_CP_MAX + 1];
	cchar_t		 cc;
	enum view_style	 s = VIEW_STYLE(g->attr);
	attr_t		 a;
	short		 pair = 0;
	int		 n = 0;

	if ((int)s >= VIEW_S_COUNT)
		s = VIEW_S_NORMAL;
	if (d->ncolors >= 8) {
		a = styles[s].attr;
		pair = (short)(s + 1);
	} else
		a = styles[s].mono;
	if (g->attr & (VIEW_F_MATCH | VIEW_F_CURMATCH)) {
		if (d->ncolors >= 8)
			pair = g->attr & VIEW_F_CURMATCH ? PAIR_CURMATCH :
			    PAIR_MATCH;
		else
			a = g->attr & VIEW_F_CURMATCH ? A_REVERSE | A_BOLD :
			    A_UNDERLINE | A_BOLD;
	}
	if (g->attr & VIEW_F_SEL)
		a ^= A_REVERSE;
	/* Another's cursor: a block of their colour. */
	if (g->attr & VIEW_F_PEER)
		a |= A_REVERSE;
	for (int k = 0; k < VIEW_CP_MAX && g->cp[k] != 0; k++)
		wc[n++] = (wchar_t)g->cp[k];
	if (n == 0)
		wc[n++] = L' ';
	wc[n] = L'\0';
	setcchar(&cc, wc, a, pair, NULL);
	mvwadd_wch(stdscr, r, c, &cc);
	d->sent++;
}

void
draw_grid(struct draw *d, const struct view_grid *g)
{
	if (d->last.rows != g->rows || d->last.cols != g->cols) {
		view_grid_fini(&d->last);
		view_grid_init(&d->last, g->rows, g->cols);
		d->valid = false;
	}
	for (int r = 0; r < g->rows; r++) {
		for (int c = 0; c < g->cols; c++) {
			const struct view_gcell *cur = view_grid_at(g, r, c);
			struct view_gcell *old = view_grid_at(&d->last, r, c);
			bool	 same = d->valid && gcell_eq(cur, old);

			/* A wide character and its right half go together. */
			if (same && cur->width == 2 && c + 1 < g->cols)
				same = gcell_eq(view_grid_at(g, r, c + 1),
				    view_grid_at(&d->last, r, c + 1));
			if (same)
				continue;
			*old = *cur;
			if (cur->width == 0 && cur->cp[0] == 0)
				continue;	/* drawn with its left half */
			put_cell(d, r, c, cur);
			if (cur->width == 2 && c + 1 < g->cols) {
				*view_grid_at(&d->last, r, c + 1) =
				    *view_grid_at(g, r, c + 1);
				c++;
			}
		}
	}
	d->valid = true;
	if (g->cur_visible) {
		if (d->cursor != 1)
			curs_set(1);
		d->cursor = 1;
		wmove(stdscr, g->cur_row, g->cur_col);
	} else {
		if (d->cursor != 0)
			curs_set(0);
		d->cursor = 0;
	}
	wnoutrefresh(stdscr);
	doupdate();
}

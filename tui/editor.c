/*
 * editor.c - a cell's multi-line editor: cursor, selection and changes
 * expressed as ot text ops.
 *
 * The editor never holds the text: every call gets the cell's current
 * source, so an edit by someone else (or an undo) can land between two
 * keystrokes; ed_transform() moves the cursor with it. Positions are
 * byte offsets that always sit on a character boundary; a combining mark
 * travels with the character before it (the cursor never lands between
 * them), which keeps a user's "one step" one visible character.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "core/ot.h"
#include "tui/editor.h"
#include "tui/sync.h"
#include "tui/view.h"

#define PAGE_LINES	20

static size_t	 line_start(const char *src, size_t pos);
static size_t	 line_end(const char *src, size_t len, size_t pos);
static size_t	 next_char(const char *src, size_t len, size_t pos);
static size_t	 prev_char(const char *src, size_t pos);
static bool	 word_at(const char *src, size_t len, size_t pos);
static int	 col_of(const struct ed *e, const char *src, size_t pos);
static size_t	 pos_at_col(const struct ed *e, const char *src, size_t len,
		     size_t ls, int col);
static void	 replace(struct ed *e, const char *src, size_t len, size_t pos,
		     size_t del, const char *ins, size_t n, struct ot_op *op);

void
ed_init(struct ed *e, const char *id, size_t cur)
{
	memset(e, 0, sizeof *e);
	snprintf(e->id, sizeof e->id, "%s", id);
	e->cur = e->anchor = cur;
	e->goal = -1;
	e->indent = 2;
	e->tab = 4;
}

bool
ed_selection(const struct ed *e, size_t *lo, size_t *hi)
{
	if (!e->sel || e->anchor == e->cur) {
		*lo = *hi = e->cur;
		return false;
	}
	*lo = e->anchor < e->cur ? e->anchor : e->cur;
	*hi = e->anchor < e->cur ? e->cur : e->anchor;
	return true;
}

void
ed_select_all(struct ed *e, size_t len)
{
	e->anchor = 0;
	e->cur = len;
	e->sel = true;
	e->goal = -1;
}

void
ed_select_none(struct ed *e)
{
	e->sel = false;
	e->anchor = e->cur;
}

void
ed_clamp(struct ed *e, const char *src, size_t len)
{
	if (e->cur > len)
		e->cur = len;
	if (e->anchor > len)
		e->anchor = len;
	while (e->cur > 0 && e->cur < len &&
	    ((unsigned char)src[e->cur] & 0xc0) == 0x80)
		e->cur--;
	while (e->anchor > 0 && e->anchor < len &&
	    ((unsigned char)src[e->anchor] & 0xc0) == 0x80)
		e->anchor--;
}

static bool
move_vert(struct ed *e, const char *src, size_t len, bool up)
{
	size_t	 ls = line_start(src, e->cur), le;

	if (e->goal < 0)
		e->goal = col_of(e, src, e->cur);
	if (up) {
		if (ls == 0)
			return false;
		ls = line_start(src, ls - 1);
	} else {
		le = line_end(src, len, e->cur);
		if (le >= len)
			return false;
		ls = le + 1;
	}
	e->cur = pos_at_col(e, src, len, ls, e->goal);
	return true;
}

bool
ed_move(struct ed *e, const char *src, size_t len, enum ed_move m, bool extend)
{
	size_t	 lo, hi, ls, p;
	bool	 had = ed_selection(e, &lo, &hi), moved = true;
	int	 goal = e->goal;

	ed_clamp(e, src, len);
	if (extend && !e->sel) {
		e->sel = true;
		e->anchor = e->cur;
	}
	if (!extend && had && (m == ED_LEFT || m == ED_RIGHT)) {
		e->cur = m == ED_LEFT ? lo : hi;
		e->sel = false;
		e->goal = -1;
		return true;
	}
	if (m != ED_UP && m != ED_DOWN && m != ED_PAGE_UP && m != ED_PAGE_DOWN)
		e->goal = -1;
	switch (m) {
	case ED_LEFT:
		if (e->cur == 0)
			moved = false;
		else
			e->cur = prev_char(src, e->cur);
		break;
	case ED_RIGHT:
		if (e->cur >= len)
			moved = false;
		else
			e->cur = next_char(src, len, e->cur);
		break;
	case ED_UP:
	case ED_DOWN:
		moved = move_vert(e, src, len, m == ED_UP);
		break;
	case ED_PAGE_UP:
	case ED_PAGE_DOWN:
		moved = false;
		for (int i = 0; i < PAGE_LINES; i++) {
			if (!move_vert(e, src, len, m == ED_PAGE_UP))
				break;
			moved = true;
		}
		if (!moved) {
			e->cur = m == ED_PAGE_UP ? 0 : len;
			moved = true;
		}
		break;
	case ED_WORD_LEFT:
		p = e->cur;
		while (p > 0 && !word_at(src, len, prev_char(src, p)))
			p = prev_char(src, p);
		while (p > 0 && word_at(src, len, prev_char(src, p)))
			p = prev_char(src, p);
		moved = p != e->cur;
		e->cur = p;
		break;
	case ED_WORD_RIGHT:
		p = e->cur;
		while (p < len && !word_at(src, len, p))
			p = next_char(src, len, p);
		while (p < len && word_at(src, len, p))
			p = next_char(src, len, p);
		moved = p != e->cur;
		e->cur = p;
		break;
	case ED_HOME:
		ls = line_start(src, e->cur);
		p = ls;
		while (p < len && (src[p] == ' ' || src[p] == '\t'))
			p++;
		e->cur = e->cur == p ? ls : p;
		break;
	case ED_END:
		e->cur = line_end(src, len, e->cur);
		break;
	case ED_DOC_START:
		e->cur = 0;
		break;
	case ED_DOC_END:
		e->cur = len;
		break;
	}
	if (!moved && (m == ED_UP || m == ED_DOWN))
		e->goal = goal;
	if (!extend)
		e->sel = false;
	return moved;
}

/* Typing the last character of a block's closing word ("end", "else",
 * "until", "}", ")", "]") alone on an indented line dedents the line one
 * level, as vim's Lua indent does: auto-indent put it one level in. */
static bool
dedent_closer(struct ed *e, const char *src, size_t len, const char *s,
    size_t n, struct ot_op *op)
{
	static const char *const closers[] = { "end", "else", "until", "}",
	    ")", "]" };
	size_t		 ls = line_start(src, e->cur), p = ls, ws, rm = 0;
	char		 word[8];
	size_t		 wl;
	struct gl_buf	 b;

	if (n != 1 || e->indent < 1)
		return false;
	while (p < e->cur && (src[p] == ' ' || src[p] == '\t'))
		p++;
	ws = p - ls;
	wl = e->cur - p;
	if (ws == 0 || wl + 1 >= sizeof word)
		return false;
	memcpy(word, src + p, wl);
	word[wl] = s[0];
	word[wl + 1] = '\0';
	if (e->cur < len && (isalnum((unsigned char)src[e->cur]) ||
	    src[e->cur] == '_'))
		return false;
	for (size_t i = 0; i < sizeof closers / sizeof *closers; i++) {
		if (strcmp(word, closers[i]) != 0)
			continue;
		if (src[p - 1] == '\t')
			rm = 1;
		else
			while (rm < (size_t)e->indent && rm < ws &&
			    src[p - 1 - rm] == ' ')
				rm++;
		gl_buf_init(&b);
		gl_buf_add(&b, src + ls, ws - rm);
		gl_buf_adds(&b, word);
		replace(e, src, len, ls, e->cur - ls, b.data, b.len, op);
		gl_buf_fini(&b);
		return true;
	}
	return false;
}

bool
ed_insert(struct ed *e, const char *src, size_t len, const char *s, size_t n,
    struct ot_op *op)
{
	size_t	 lo, hi;

	ed_clamp(e, src, len);
	if (!ed_selection(e, &lo, &hi) && dedent_closer(e, src, len, s, n, op))
		return true;
	if (n == 0 && lo == hi)
		return false;
	replace(e, src, len, lo, hi - lo, s, n, op);
	return true;
}

/* True if the line text t[0..n) (before the cursor) opens a Lua block. */
static bool
opens_block(const char *t, size_t n)
{
	static const char *const words[] = { "then", "do", "else", "repeat" };
	size_t	 k;

	while (n > 0 && (t[n - 1] == ' ' || t[n - 1] == '\t'))
		n--;
	if (n == 0)
		return false;
	if (t[n - 1] == '{' || t[n - 1] == '(' || t[n - 1] == '[')
		return true;
	for (size_t i = 0; i < sizeof words / sizeof *words; i++) {
		k = strlen(words[i]);
		if (n >= k && memcmp(t + n - k, words[i], k) == 0 &&
		    (n == k || !(isalnum((unsigned char)t[n - k - 1]) ||
		    t[n - k - 1] == '_')))
			return true;
	}
	/* "function f(a)" and "local g = function(a)". */
	if (t[n - 1] == ')')
		for (k = 0; k + 8 <= n; k++)
			if (memcmp(t + k, "function", 8) == 0)
				return true;
	return false;
}

bool
ed_newline(struct ed *e, const char *src, size_t len, struct ot_op *op)
{
	size_t		 lo, hi, ls, ws;
	struct gl_buf	 b;
	size_t		 curpos;
	bool		 open, pair = false;

	ed_clamp(e, src, len);
	ed_selection(e, &lo, &hi);
	ls = line_start(src, lo);
	ws = ls;
	while (ws < lo && (src[ws] == ' ' || src[ws] == '\t'))
		ws++;
	open = opens_block(src + ls, lo - ls);
	if (open && lo > ls && hi < len) {
		char	 c, d = src[hi];
		size_t	 k = lo;

		while (k > ls && (src[k - 1] == ' ' || src[k - 1] == '\t'))
			k--;
		c = k > ls ? src[k - 1] : 0;
		pair = (c == '{' && d == '}') || (c == '(' && d == ')') ||
		    (c == '[' && d == ']');
	}
	gl_buf_init(&b);
	gl_buf_addc(&b, '\n');
	gl_buf_add(&b, src + ls, ws - ls);
	if (open) {
		if (e->use_tabs)
			gl_buf_addc(&b, '\t');
		else
			for (int i = 0; i < e->indent; i++)
				gl_buf_addc(&b, ' ');
	}
	curpos = b.len;
	if (pair) {
		gl_buf_addc(&b, '\n');
		gl_buf_add(&b, src + ls, ws - ls);
	}
	replace(e, src, len, lo, hi - lo, b.data, b.len, op);
	e->cur = lo + curpos;
	e->anchor = e->cur;
	gl_buf_fini(&b);
	return true;
}

bool
ed_backspace(struct ed *e, const char *src, size_t len, struct ot_op *op)
{
	size_t	 lo, hi, ls, p;

	ed_clamp(e, src, len);
	if (ed_selection(e, &lo, &hi)) {
		replace(e, src, len, lo, hi - lo, NULL, 0, op);
		return true;
	}
	if (e->cur == 0)
		return false;
	ls = line_start(src, e->cur);
	for (p = ls; p < e->cur && src[p] == ' '; p++)
		;
	if (p == e->cur && e->cur > ls && !e->use_tabs) {
		/* In leading spaces: back to the previous indent stop. */
		int	 col = (int)(e->cur - ls);
		int	 n = col % e->indent ? col % e->indent : e->indent;

		replace(e, src, len, e->cur - (size_t)n, (size_t)n, NULL, 0, op);
		return true;
	}
	p = prev_char(src, e->cur);
	replace(e, src, len, p, e->cur - p, NULL, 0, op);
	return true;
}

bool
ed_delete(struct ed *e, const char *src, size_t len, struct ot_op *op)
{
	size_t	 lo, hi;

	ed_clamp(e, src, len);
	if (ed_selection(e, &lo, &hi)) {
		replace(e, src, len, lo, hi - lo, NULL, 0, op);
		return true;
	}
	if (e->cur >= len)
		return false;
	replace(e, src, len, e->cur, next_char(src, len, e->cur) - e->cur,
	    NULL, 0, op);
	return true;
}

bool
ed_delete_word(struct ed *e, const char *src, size_t len, struct ot_op *op)
{
	size_t	 lo, hi, end;

	ed_clamp(e, src, len);
	if (ed_selection(e, &lo, &hi)) {
		replace(e, src, len, lo, hi - lo, NULL, 0, op);
		return true;
	}
	end = e->cur;
	ed_move(e, src, len, ED_WORD_LEFT, false);
	if (e->cur == end)
		return false;
	replace(e, src, len, e->cur, end - e->cur, NULL, 0, op);
	return true;
}

bool
ed_kill_line(struct ed *e, const char *src, size_t len, struct ot_op *op)
{
	size_t	 le;

	ed_clamp(e, src, len);
	e->sel = false;
	le = line_end(src, len, e->cur);
	if (le == e->cur) {
		if (le >= len)
			return false;
		le++;
	}
	replace(e, src, len, e->cur, le - e->cur, NULL, 0, op);
	return true;
}

bool
ed_tab(struct ed *e, const char *src, size_t len, bool back, struct ot_op *op)
{
	size_t		 lo, hi, bs, be, p;
	struct gl_buf	 b;
	bool		 sel = ed_selection(e, &lo, &hi);
	char		 unit[16];
	size_t		 ulen;

	ed_clamp(e, src, len);
	if (e->use_tabs) {
		unit[0] = '\t';
		ulen = 1;
	} else {
		ulen = (size_t)(e->indent > 0 && e->indent < 16 ? e->indent : 2);
		memset(unit, ' ', ulen);
	}
	if (!sel && !back) {
		int	 col = col_of(e, src, e->cur);
		size_t	 n = e->use_tabs ? 1 :
			    (size_t)(e->indent - col % e->indent);

		replace(e, src, len, e->cur, 0, e->use_tabs ? "\t" :
		    "                ", n, op);
		return true;
	}
	/* Indent or dedent whole lines: those the selection touches, or the
	 * cursor's. */
	bs = line_start(src, lo);
	be = hi > lo && hi > bs && src[hi - 1] == '\n' ? hi - 1 :
	    line_end(src, len, hi);
	gl_buf_init(&b);
	for (p = bs; p <= be; ) {
		size_t	 le = line_end(src, len, p), k = 0;

		if (!back) {
			if (le > p)
				gl_buf_add(&b, unit, ulen);
		} else if (p < le && src[p] == '\t')
			k = 1;
		else
			while (k < (size_t)e->indent && p + k < le &&
			    src[p + k] == ' ')
				k++;
		if (!sel && back) {
			/* The cursor moves left with its line. */
			if (e->cur >= p + k)
				e->cur -= k;
			else
				e->cur = p;
		}
		gl_buf_add(&b, src + p + k, le - p - k);
		if (le >= be)
			break;
		gl_buf_addc(&b, '\n');
		p = le + 1;
	}
	if (b.len == be - bs && memcmp(b.data ? b.data : "", src + bs,
	    b.len) == 0) {
		gl_buf_fini(&b);
		return false;
	}
	{
		size_t	 cur = e->cur;

		replace(e, src, len, bs, be - bs, b.data, b.len, op);
		if (sel) {
			e->anchor = bs;
			e->cur = bs + b.len;
			e->sel = true;
		} else
			e->cur = cur;
	}
	gl_buf_fini(&b);
	return true;
}

bool
ed_paste(struct ed *e, const char *src, size_t len, const char *text, size_t n,
    struct ot_op *op)
{
	struct gl_buf	 b;
	size_t		 i = 0;
	bool		 rc;

	gl_buf_init(&b);
	while (i < n) {
		uint32_t cp;
		size_t	 k = view_utf8_decode(text + i, n - i, &cp);

		if (text[i] == '\r') {
			gl_buf_addc(&b, '\n');
			if (i + 1 < n && text[i + 1] == '\n')
				i++;
		} else if (cp == '\n' || cp == '\t' || (cp >= 0x20 && cp != 0x7f))
			gl_buf_add(&b, cp == 0xfffd && k == 1 ?
			    "\xef\xbf\xbd" : text + i, cp == 0xfffd && k == 1 ?
			    3 : k);
		i += k;
	}
	rc = ed_insert(e, src, len, b.data ? b.data : "", b.len, op);
	gl_buf_fini(&b);
	return rc;
}

char *
ed_copy(const struct ed *e, const char *src, size_t len)
{
	size_t	 lo, hi;

	if (!ed_selection(e, &lo, &hi) || hi > len)
		return NULL;
	return xstrndup(src + lo, hi - lo);
}

static size_t
map_pos(const struct ot_op *op, size_t p)
{
	size_t	 o = 0, nw = 0;

	for (size_t i = 0; i < op->ncomps; i++) {
		const struct ot_comp *c = &op->comps[i];

		switch (c->kind) {
		case OT_RETAIN:
			if (p < o + c->n)
				return nw + (p - o);
			o += c->n;
			nw += c->n;
			break;
		case OT_INSERT:
			nw += c->n;
			break;
		case OT_DELETE:
			if (p < o + c->n)
				return nw;
			o += c->n;
			break;
		}
	}
	return nw + (p - o);
}

void
ed_transform(struct ed *e, const struct ot_op *op)
{
	if (op->kind != OT_TEXT || strcmp(op->id, e->id) != 0)
		return;
	e->cur = map_pos(op, e->cur);
	e->anchor = map_pos(op, e->anchor);
	e->goal = -1;
}

void
ed_line_col(const struct ed *e, const char *src, size_t len, size_t off,
    size_t *line, int *col)
{
	size_t	 n = 0;

	if (off > len)
		off = len;
	for (size_t i = 0; i < off; i++)
		n += src[i] == '\n';
	*line = n;
	*col = col_of(e, src, off);
}

/* ------------------------------------------------------------------ */

static size_t
line_start(const char *src, size_t pos)
{
	while (pos > 0 && src[pos - 1] != '\n')
		pos--;
	return pos;
}

static size_t
line_end(const char *src, size_t len, size_t pos)
{
	const char	*nl = pos < len ? memchr(src + pos, '\n', len - pos) : NULL;

	return nl ? (size_t)(nl - src) : len;
}

static bool
zero_width_at(const char *src, size_t len, size_t pos)
{
	uint32_t cp;

	if (pos >= len || src[pos] == '\n')
		return false;
	view_utf8_decode(src + pos, len - pos, &cp);
	return cp >= 0x300 && view_cp_width(cp) == 0;
}

static size_t
next_char(const char *src, size_t len, size_t pos)
{
	uint32_t cp;

	if (pos >= len)
		return len;
	pos += view_utf8_decode(src + pos, len - pos, &cp);
	while (zero_width_at(src, len, pos))
		pos += view_utf8_decode(src + pos, len - pos, &cp);
	return pos;
}

static size_t
prev_char(const char *src, size_t pos)
{
	size_t	 len = pos;

	do {
		if (pos == 0)
			return 0;
		pos--;
		while (pos > 0 && ((unsigned char)src[pos] & 0xc0) == 0x80)
			pos--;
	} while (zero_width_at(src, len, pos));
	return pos;
}

static bool
word_at(const char *src, size_t len, size_t pos)
{
	unsigned char c;

	if (pos >= len)
		return false;
	c = (unsigned char)src[pos];
	return isalnum(c) || c == '_' || c >= 0x80;
}

static int
col_of(const struct ed *e, const char *src, size_t pos)
{
	size_t	 ls = line_start(src, pos);

	return view_text_cols(src + ls, pos - ls, 0, e->tab);
}

static size_t
pos_at_col(const struct ed *e, const char *src, size_t len, size_t ls, int col)
{
	size_t	 p = ls, le = line_end(src, len, ls);
	int	 c = 0;

	while (p < le) {
		size_t	 q = next_char(src, len, p);
		int	 c2 = view_text_cols(src + p, q - p, c, e->tab);

		if (c2 > col)
			break;
		c = c2;
		p = q;
	}
	return p;
}

static void
replace(struct ed *e, const char *src, size_t len, size_t pos, size_t del,
    const char *ins, size_t n, struct ot_op *op)
{
	(void)src;
	sync_text_op(op, e->id, len, pos, del, ins, n);
	e->cur = pos + n;
	e->anchor = e->cur;
	e->sel = false;
	e->goal = -1;
}

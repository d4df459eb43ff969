/*
 * textstyle.c - Lua syntax highlighting and markdown rendering for the
 * view. Pure: bytes in, styles out.
 *
 * The Lua lexer follows the Lua 5.4 manual's lexical conventions closely
 * enough for colour: long brackets of any level ([==[ ... ]==]) for
 * strings and comments, escapes in short strings, hex and decimal numbers
 * with exponents. A string left open at the end of a line (an error in
 * Lua) ends there, so one typo colours one line, not the rest of the cell.
 *
 * Markdown is the everyday subset a notebook uses: ATX headings, emphasis
 * (* and _, the latter only at word boundaries so snake_case stays plain),
 * strong, code spans, fenced blocks, bullet and numbered lists, quotes,
 * rules and links, shown plainly as "text (url)".
 */
#include <ctype.h>
#include <string.h>

#include "tui/tui_int.h"
#include "tui/view.h"

static const char *const lua_keywords[] = {
	"and", "break", "do", "else", "elseif", "end", "false", "for",
	"function", "goto", "if", "in", "local", "nil", "not", "or",
	"repeat", "return", "then", "true", "until", "while",
};

static bool	 is_keyword(const char *p, size_t n);
static size_t	 long_bracket(const char *s, size_t len, size_t i);
static size_t	 long_end(const char *s, size_t len, size_t i, size_t level);
static void	 md_inline(const char *p, size_t n, struct gl_buf *text,
		     struct gl_buf *styles, uint8_t base);
static void	 add_styled(struct gl_buf *text, struct gl_buf *styles,
		     const char *p, size_t n, uint8_t style);

void
view_hl_lua(const char *s, size_t len, uint8_t *st)
{
	size_t	 i = 0, j, lvl;

	memset(st, VIEW_S_NORMAL, len);
	while (i < len) {
		unsigned char c = (unsigned char)s[i];

		if (c == '-' && i + 1 < len && s[i + 1] == '-') {
			j = i + 2;
			if ((lvl = long_bracket(s, len, j)) > 0)
				j = long_end(s, len, j + lvl + 1, lvl - 1);
			else
				while (j < len && s[j] != '\n')
					j++;
			memset(st + i, VIEW_S_COMMENT, j - i);
			i = j;
		} else if (c == '[' && (lvl = long_bracket(s, len, i)) > 0) {
			j = long_end(s, len, i + lvl + 1, lvl - 1);
			memset(st + i, VIEW_S_STRING, j - i);
			i = j;
		} else if (c == '"' || c == '\'') {
			j = i + 1;
			while (j < len && s[j] != (char)c && s[j] != '\n') {
				if (s[j] == '\\' && j + 1 < len)
					j++;
				j++;
			}
			if (j < len && s[j] == (char)c)
				j++;
			memset(st + i, VIEW_S_STRING, j - i);
			i = j;
		} else if (isdigit(c) || (c == '.' && i + 1 < len &&
		    isdigit((unsigned char)s[i + 1]))) {
			j = i;
			if (c == '0' && j + 1 < len && (s[j + 1] == 'x' ||
			    s[j + 1] == 'X')) {
				j += 2;
				while (j < len && (isxdigit((unsigned char)s[j]) ||
				    s[j] == '.' || ((s[j] == 'p' || s[j] == 'P') &&
				    j + 1 < len) || ((s[j] == '+' || s[j] == '-') &&
				    (s[j - 1] == 'p' || s[j - 1] == 'P'))))
					j++;
			} else {
				while (j < len && (isdigit((unsigned char)s[j]) ||
				    s[j] == '.' || s[j] == 'e' || s[j] == 'E' ||
				    ((s[j] == '+' || s[j] == '-') &&
				    (s[j - 1] == 'e' || s[j - 1] == 'E'))))
					j++;
			}
			memset(st + i, VIEW_S_NUMBER, j - i);
			i = j;
		} else if (isalpha(c) || c == '_') {
			j = i;
			while (j < len && (isalnum((unsigned char)s[j]) ||
			    s[j] == '_'))
				j++;
			/* A name after '.' or ':' is a field, not a keyword. */
			if (is_keyword(s + i, j - i) &&
			    !(i > 0 && (s[i - 1] == '.' || s[i - 1] == ':')))
				memset(st + i, VIEW_S_KEYWORD, j - i);
			i = j;
		} else
			i++;
	}
}

bool
view_md_line(struct view_md *m, const char *p, size_t n, struct gl_buf *text,
    struct gl_buf *styles, int *hang, bool *rule)
{
	size_t	 i = 0, k;
	int	 lead;

	gl_buf_reset(text);
	gl_buf_reset(styles);
	*hang = 0;
	*rule = false;
	while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\r'))
		n--;
	while (i < n && p[i] == ' ')
		i++;
	lead = (int)i;
	if (n - i >= 3 && (strncmp(p + i, "```", 3) == 0 ||
	    strncmp(p + i, "~~~", 3) == 0)) {
		m->fence = !m->fence;
		return false;
	}
	if (m->fence) {
		add_styled(text, styles, p, n, VIEW_S_CODE);
		return true;
	}
	if (i < n && p[i] == '#') {
		k = i;
		while (k < n && p[k] == '#')
			k++;
		if (k - i <= 6 && (k == n || p[k] == ' ')) {
			uint8_t st = k - i == 1 ? VIEW_S_H1 : VIEW_S_H2;

			while (k < n && p[k] == ' ')
				k++;
			md_inline(p + k, n - k, text, styles, st);
			return true;
		}
	}
	/* A rule: three or more of one of - * _ and nothing else. */
	if (n - i >= 3 && (p[i] == '-' || p[i] == '*' || p[i] == '_')) {
		size_t cnt = 0;

		for (k = i; k < n && (p[k] == p[i] || p[k] == ' '); k++)
			cnt += p[k] == p[i];
		if (k == n && cnt >= 3) {
			*rule = true;
			return true;
		}
	}
	if (i < n && p[i] == '>') {
		k = i + 1;
		if (k < n && p[k] == ' ')
			k++;
		add_styled(text, styles, p, (size_t)lead, VIEW_S_NORMAL);
		add_styled(text, styles, "\xe2\x94\x82 ", 4, VIEW_S_BULLET);
		*hang = lead + 2;
		md_inline(p + k, n - k, text, styles, VIEW_S_EMPH);
		return true;
	}
	if (i + 1 < n && (p[i] == '-' || p[i] == '*' || p[i] == '+') &&
	    p[i + 1] == ' ') {
		add_styled(text, styles, p, (size_t)lead, VIEW_S_NORMAL);
		add_styled(text, styles, "\xe2\x80\xa2 ", 4, VIEW_S_BULLET);
		*hang = lead + 2;
		md_inline(p + i + 2, n - i - 2, text, styles, VIEW_S_NORMAL);
		return true;
	}
	k = i;
	while (k < n && isdigit((unsigned char)p[k]))
		k++;
	if (k > i && k + 1 < n && (p[k] == '.' || p[k] == ')') &&
	    p[k + 1] == ' ') {
		add_styled(text, styles, p, (size_t)lead, VIEW_S_NORMAL);
		add_styled(text, styles, p + i, k + 2 - i, VIEW_S_BULLET);
		*hang = lead + (int)(k + 2 - i);
		md_inline(p + k + 2, n - k - 2, text, styles, VIEW_S_NORMAL);
		return true;
	}
	add_styled(text, styles, p, (size_t)lead, VIEW_S_NORMAL);
	md_inline(p + i, n - i, text, styles, VIEW_S_NORMAL);
	return true;
}

static bool
is_keyword(const char *p, size_t n)
{
	for (size_t i = 0; i < sizeof lua_keywords / sizeof *lua_keywords; i++)
		if (strlen(lua_keywords[i]) == n &&
		    memcmp(lua_keywords[i], p, n) == 0)
			return true;
	return false;
}

/* At s[i] == '[': the level + 1 of a long bracket "[==[" opening there,
 * or 0. (Level 0 "[[" returns 1.) The opening is level + 2 bytes long. */
static size_t
long_bracket(const char *s, size_t len, size_t i)
{
	size_t	 j = i + 1;

	if (i >= len || s[i] != '[')
		return 0;
	while (j < len && s[j] == '=')
		j++;
	if (j < len && s[j] == '[')
		return j - i;
	return 0;
}

/* End (exclusive) of a long bracket of level whose body starts at i. */
static size_t
long_end(const char *s, size_t len, size_t i, size_t level)
{
	for (; i < len; i++) {
		size_t	 j = i + 1, eq = 0;

		if (s[i] != ']')
			continue;
		while (j < len && s[j] == '=') {
			j++;
			eq++;
		}
		if (eq == level && j < len && s[j] == ']')
			return j + 1;
	}
	return len;
}

static void
add_styled(struct gl_buf *text, struct gl_buf *styles, const char *p,
    size_t n, uint8_t style)
{
	gl_buf_add(text, p, n);
	gl_buf_reserve(styles, n);
	memset(styles->data + styles->len, style, n);
	styles->len += n;
	styles->data[styles->len] = '\0';
}

static bool
word_char(char c)
{
	return isalnum((unsigned char)c) || (unsigned char)c >= 0x80;
}

/* Finds the closing delimiter delim (dlen bytes) for an opening at i in
 * p[0..n); emphasis needs a non-space after the opening and before the
 * closing. Returns its offset or n. */
static size_t
md_close(const char *p, size_t n, size_t i, const char *delim, size_t dlen)
{
	size_t	 k;

	if (i + dlen >= n || p[i + dlen] == ' ')
		return n;
	for (k = i + dlen + 1; k + dlen <= n; k++) {
		if (memcmp(p + k, delim, dlen) != 0 || p[k - 1] == ' ')
			continue;
		if (delim[0] == '_' && k + dlen < n && word_char(p[k + dlen]))
			continue;
		return k;
	}
	return n;
}

/* Offset of the first ch in p[i..n), or n. */
static size_t
md_find(const char *p, size_t n, size_t i, char ch)
{
	const char	*q = memchr(p + i, ch, n - i);

	return q == NULL ? n : (size_t)(q - p);
}

static void
md_inline(const char *p, size_t n, struct gl_buf *text, struct gl_buf *styles,
    uint8_t base)
{
	size_t	 i = 0, k, m;

	while (i < n) {
		char	 c = p[i];

		if (c == '\\' && i + 1 < n && ispunct((unsigned char)p[i + 1])) {
			add_styled(text, styles, p + i + 1, 1, base);
			i += 2;
		} else if (c == '`') {
			for (k = i + 1; k < n && p[k] != '`'; k++)
				;
			if (k < n) {
				add_styled(text, styles, p + i + 1, k - i - 1,
				    VIEW_S_CODE);
				i = k + 1;
			} else {
				add_styled(text, styles, p + i, 1, base);
				i++;
			}
		} else if ((c == '*' || c == '_') && i + 1 < n && p[i + 1] == c &&
		    (c == '*' || i == 0 || !word_char(p[i - 1])) &&
		    (k = md_close(p, n, i, c == '*' ? "**" : "__", 2)) < n) {
			md_inline(p + i + 2, k - i - 2, text, styles,
			    VIEW_S_BOLD);
			i = k + 2;
		} else if ((c == '*' || c == '_') &&
		    (c == '*' || i == 0 || !word_char(p[i - 1])) &&
		    (k = md_close(p, n, i, c == '*' ? "*" : "_", 1)) < n) {
			md_inline(p + i + 1, k - i - 1, text, styles,
			    VIEW_S_EMPH);
			i = k + 1;
		} else if (c == '[' && (k = md_find(p, n, i, ']')) + 1 < n &&
		    p[k + 1] == '(' && (m = md_find(p, n, k, ')')) < n) {
			md_inline(p + i + 1, k - i - 1, text, styles,
			    VIEW_S_LINK);
			if (m - k - 2 > 0 && (m - k - 2 != k - i - 1 ||
			    memcmp(p + k + 2, p + i + 1, k - i - 1) != 0)) {
				add_styled(text, styles, " (", 2, VIEW_S_DIM);
				add_styled(text, styles, p + k + 2, m - k - 2,
				    VIEW_S_DIM);
				add_styled(text, styles, ")", 1, VIEW_S_DIM);
			}
			i = m + 1;
		} else if (c == '<' && (k = md_find(p, n, i, '>')) < n &&
		    ((k - i > 5 && strncmp(p + i + 1, "http", 4) == 0) ||
		    memchr(p + i, '@', k - i) != NULL) &&
		    memchr(p + i, ' ', k - i) == NULL) {
			add_styled(text, styles, p + i + 1, k - i - 1,
			    VIEW_S_LINK);
			i = k + 1;
		} else {
			add_styled(text, styles, p + i, 1, base);
			i++;
		}
	}
}

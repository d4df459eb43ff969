/*
 * luactx.c - where a cursor is in Lua code (core/luactx.h).
 *
 * Only the line of the cursor is read to tell a string or a comment
 * from code: a string that opened on an earlier line (a long bracket) is
 * not seen, which costs a completion offered where it should not be,
 * never a wrong edit (the user picks the completion).
 */
#include <string.h>

#include "core/luactx.h"

const char *const luactx_keywords[] = {
	"and", "break", "do", "else", "elseif", "end", "false", "for",
	"function", "goto", "if", "in", "local", "nil", "not", "or",
	"repeat", "return", "then", "true", "until", "while", NULL,
};

static bool
is_ident(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_' || (unsigned char)c >= 0x80;
}

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

bool
luactx_is_name(const char *s, size_t n)
{
	if (n == 0 || is_digit(s[0]))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!is_ident(s[i]) || (unsigned char)s[i] >= 0x80)
			return false;
	return !luactx_is_keyword(s, n);
}

bool
luactx_is_keyword(const char *s, size_t n)
{
	for (size_t i = 0; luactx_keywords[i] != NULL; i++)
		if (strlen(luactx_keywords[i]) == n &&
		    memcmp(luactx_keywords[i], s, n) == 0)
			return true;
	return false;
}

/* Whether code[at - 7, at) is the word "require" on its own. */
static bool
ends_with_require(const char *code, size_t at)
{
	while (at > 0 && (code[at - 1] == ' ' || code[at - 1] == '\t'))
		at--;
	if (at > 0 && code[at - 1] == '(') {
		at--;
		while (at > 0 && (code[at - 1] == ' ' ||
		    code[at - 1] == '\t'))
			at--;
	}
	return at >= 7 && memcmp(code + at - 7, "require", 7) == 0 &&
	    (at == 7 || !is_ident(code[at - 8]));
}

void
luactx_at(const char *code, size_t len, size_t cursor, struct luactx *out)
{
	size_t	 ls, i, w, c;
	char	 q = 0;
	size_t	 qat = 0;

	memset(out, 0, sizeof *out);
	if (cursor > len)
		cursor = len;
	for (ls = cursor; ls > 0 && code[ls - 1] != '\n'; ls--)
		;
	/* Strings and comments on the cursor's line. */
	for (i = ls; i < cursor; i++) {
		if (q != 0) {
			if (code[i] == '\\')
				i++;
			else if (code[i] == q)
				q = 0;
			continue;
		}
		if (code[i] == '"' || code[i] == '\'') {
			q = code[i];
			qat = i;
		} else if (code[i] == '-' && i + 1 < cursor &&
		    code[i + 1] == '-') {
			out->kind = LUACTX_COMMENT;
			out->word = cursor;
			return;
		}
	}
	if (q != 0) {
		out->kind = ends_with_require(code, qat) ? LUACTX_REQUIRE :
		    LUACTX_STRING;
		out->word = qat + 1;
		return;
	}
	for (w = cursor; w > ls && is_ident(code[w - 1]); w--)
		;
	out->word = w;
	if (w < cursor && is_digit(code[w]))
		return;			/* a number */
	out->kind = LUACTX_NAME;
	if (w == ls || (code[w - 1] != '.' && code[w - 1] != ':'))
		return;
	/* A chain of names before the separator: "a.b" of "a.b.c". */
	out->sep = code[w - 1];
	c = w - 1;
	for (;;) {
		size_t	 e = c;

		while (c > ls && is_ident(code[c - 1]))
			c--;
		if (c == e) {
			/* No name before a '.': ".." (concatenation)
			 * or "f()." (a call): nothing to look up. */
			if (e == w - 1 && out->sep == '.' && e > ls &&
			    code[e - 1] == '.') {
				out->sep = 0;
				return;
			}
			out->kind = LUACTX_NONE;
			return;
		}
		if (is_digit(code[c])) {
			out->kind = LUACTX_NONE;
			return;
		}
		if (c > ls && code[c - 1] == '.' &&
		    !(c - 1 > ls && code[c - 2] == '.')) {
			c--;
			continue;
		}
		break;
	}
	out->chain = c;
	out->chain_len = w - 1 - c;
}

bool
luactx_expr(const char *code, size_t len, size_t cursor, size_t *start,
    size_t *end)
{
	size_t	 s, e;

	if (cursor > len)
		cursor = len;
	for (e = cursor; e < len && is_ident(code[e]); e++)
		;
	for (s = cursor; s > 0 && is_ident(code[s - 1]); s--)
		;
	if (s == e || is_digit(code[s]))
		return false;
	while (s > 1 && (code[s - 1] == '.' || code[s - 1] == ':') &&
	    is_ident(code[s - 2]) && !(s > 2 && code[s - 1] == '.' &&
	    code[s - 2] == '.')) {
		size_t	 t = s - 1;

		while (t > 0 && is_ident(code[t - 1]))
			t--;
		if (is_digit(code[t]))
			break;
		s = t;
	}
	*start = s;
	*end = e;
	return true;
}

/* The end of a long bracket opening at p[i] ("[[", "[==["), or 0 if it
 * is not one; *level gets its '=' count. */
static size_t
long_open(const char *p, size_t n, size_t i, size_t *level)
{
	size_t	 j = i + 1;

	if (p[i] != '[')
		return 0;
	while (j < n && p[j] == '=')
		j++;
	if (j >= n || p[j] != '[')
		return 0;
	*level = j - i - 1;
	return j + 1;
}

/* Past the long bracket's close of level from i, or n. */
static size_t
long_close(const char *p, size_t n, size_t i, size_t level)
{
	for (; i < n; i++) {
		size_t	 k = 0;

		if (p[i] != ']')
			continue;
		while (i + 1 + k < n && p[i + 1 + k] == '=')
			k++;
		if (k == level && i + 1 + k < n && p[i + 1 + k] == ']')
			return i + k + 2;
	}
	return n;
}

void
luactx_words(const char *text, size_t len,
    bool (*fn)(void *ctx, const char *w, size_t n), void *ctx)
{
	size_t	 i = 0, lv, e;

	while (i < len) {
		char	 c = text[i];

		if (c == '-' && i + 1 < len && text[i + 1] == '-') {
			i += 2;
			if ((e = long_open(text, len, i, &lv)) != 0)
				i = long_close(text, len, e, lv);
			else
				while (i < len && text[i] != '\n')
					i++;
			continue;
		}
		if (c == '"' || c == '\'') {
			for (i++; i < len && text[i] != c && text[i] != '\n';
			    i++)
				if (text[i] == '\\')
					i++;
			i++;
			continue;
		}
		if ((e = long_open(text, len, i, &lv)) != 0) {
			i = long_close(text, len, e, lv);
			continue;
		}
		if (is_ident(c)) {
			size_t	 s = i;

			while (i < len && is_ident(text[i]))
				i++;
			if (!is_digit(text[s]) && !fn(ctx, text + s, i - s))
				return;
			continue;
		}
		i++;
	}
}

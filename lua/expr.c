/*
 * expr.c - whether Lua text surely is not an expression (lua/expr.h).
 *
 * A token scan, not a parse: it skips strings, long strings and
 * comments, counts brackets, and looks at what stands outside them. It
 * answers "impossible" only on a token no expression list can hold there;
 * everything else is left to the compiler.
 */
#include "lua/expr.h"

#include <string.h>

/* The level of a long bracket opening at p ("[[" 0, "[==[" 2), or -1. */
static long
ex_long_open(const char *p, const char *end)
{
	const char	*q = p + 1;

	while (q < end && *q == '=')
		q++;
	if (q < end && *q == '[')
		return (long)(q - p - 1);
	return -1;
}

/* Past the long bracket of level lvl that opens at p; NULL if it never
 * closes. */
static const char *
ex_long_skip(const char *p, const char *end, long lvl)
{
	for (p += lvl + 2; p < end; p++) {
		const char	*q = p + 1;

		if (*p != ']')
			continue;
		while (q < end && *q == '=')
			q++;
		if (q < end && *q == ']' && q - p - 1 == lvl)
			return q + 1;
	}
	return NULL;
}

/* Past the quoted string that opens at p; NULL if it never closes. */
static const char *
ex_string_skip(const char *p, const char *end)
{
	char	 quote = *p++;

	while (p < end) {
		if (*p == '\\') {
			p += 2;		/* any escape: its first byte */
			continue;
		}
		if (*p == quote)
			return p + 1;
		if (*p == '\n')
			return NULL;
		p++;
	}
	return NULL;
}

static bool
ex_is_word(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_';
}

/* 1: a keyword only statements have; -1: `function` (cannot tell);
 * 0: anything else. */
static int
ex_word(const char *w, size_t n)
{
	static const char *const stmt[] = {
		"local", "if", "for", "while", "repeat", "return", "goto",
		"break", "do", "end", "until", "else", "elseif", "then", "in",
	};

	if (n == 8 && memcmp(w, "function", 8) == 0)
		return -1;
	for (size_t i = 0; i < sizeof stmt / sizeof *stmt; i++)
		if (strlen(stmt[i]) == n && memcmp(w, stmt[i], n) == 0)
			return 1;
	return 0;
}

bool
lx_expr_impossible(const char *p, size_t n)
{
	const char	*end = p + n;
	long		 depth = 0, lvl;

	while (p < end) {
		char	 c = *p;

		if (c == '-' && p + 1 < end && p[1] == '-') {
			p += 2;
			if (p < end && *p == '[' && (lvl = ex_long_open(p,
			    end)) >= 0) {
				if ((p = ex_long_skip(p, end, lvl)) == NULL)
					return false;
				continue;
			}
			while (p < end && *p != '\n')
				p++;
			continue;
		}
		if (c == '"' || c == '\'') {
			if ((p = ex_string_skip(p, end)) == NULL)
				return false;
			continue;
		}
		if (c == '[' && (lvl = ex_long_open(p, end)) >= 0) {
			if ((p = ex_long_skip(p, end, lvl)) == NULL)
				return false;
			continue;
		}
		if (c == '(' || c == '[' || c == '{') {
			depth++;
			p++;
			continue;
		}
		if (c == ')' || c == ']' || c == '}') {
			if (--depth < 0)
				return true;
			p++;
			continue;
		}
		if (c >= '0' && c <= '9') {
			/* A number, exponents and hex digits included. */
			while (p < end && (ex_is_word(*p) || *p == '.' ||
			    ((*p == '+' || *p == '-') && (p[-1] == 'e' ||
			    p[-1] == 'E' || p[-1] == 'p' || p[-1] == 'P'))))
				p++;
			continue;
		}
		if (ex_is_word(c)) {
			const char	*w = p;
			int		 k;

			while (p < end && ex_is_word(*p))
				p++;
			if ((k = ex_word(w, (size_t)(p - w))) < 0)
				return false;
			if (k > 0 && depth == 0)
				return true;
			continue;
		}
		if (depth == 0 && c == ':' && p + 1 < end && p[1] == ':')
			return true;
		if (c == '=' || c == '<' || c == '>' || c == '~') {
			/* ==, <=, >=, ~= are operators; a lone = assigns. */
			if (p + 1 < end && p[1] == '=') {
				p += 2;
				continue;
			}
			if (c == '=' && depth == 0)
				return true;
		}
		p++;
	}
	return false;
}

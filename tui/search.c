/*
 * search.c - patterns, finding, walking a notebook, substituting
 * (tui/search.h).
 *
 * A pattern is literal text unless it starts with "\v", vim's "very
 * magic", which here makes the rest a POSIX extended regular expression
 * (regcomp with REG_EXTENDED | REG_NEWLINE): literal is what most
 * searches in code want ("a.b", "t[1]" find themselves), and a vim user
 * who wants a regular expression says so as in vim. Regular expressions
 * run one line at a time with REG_STARTEND, so the text needs no
 * terminating NUL and a match never crosses a line break; REG_NOTBOL
 * keeps "^" to the line's real start when a search begins inside it.
 *
 * Case: "\c" ignores it, "\C" respects it, else the ignorecase and
 * smartcase options decide (ASCII letters fold; other characters match
 * exactly in a literal).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/mem.h"
#include "tui/search.h"

#define GROUPS	10

static bool	 re_match(const struct search *s, const char *text, size_t n,
		     size_t from, regmatch_t pm[GROUPS]);

int
search_compile(struct search *s, const char *text, bool ignorecase,
    bool smartcase, struct gl_err *err)
{
	struct gl_buf	 b;
	const char	*p = text;
	int		 forced = -1, rc;
	bool		 upper = false;

	memset(s, 0, sizeof *s);
	s->text = xstrdup(text);
	gl_buf_init(&b);
	if (strncmp(p, "\\v", 2) == 0) {
		s->regex = true;
		p += 2;
	}
	for (; *p != '\0'; p++) {
		if (p[0] == '\\' && (p[1] == 'c' || p[1] == 'C')) {
			forced = p[1] == 'c';
			p++;
			continue;
		}
		if (!s->regex && p[0] == '\\' && (p[1] == '\\' ||
		    p[1] == '/' || p[1] == '?')) {
			/* An escaped delimiter or backslash is itself. */
			gl_buf_addc(&b, p[1]);
			p++;
			continue;
		}
		upper |= isupper((unsigned char)*p) != 0;
		gl_buf_addc(&b, *p);
	}
	if (b.len == 0) {
		gl_buf_fini(&b);
		return gl_err_set(err, GL_EINVAL, "empty pattern");
	}
	s->icase = forced >= 0 ? forced == 1 : ignorecase &&
	    !(smartcase && upper);
	if (!s->regex) {
		s->litlen = b.len;
		s->lit = gl_buf_take(&b, NULL);
		return 0;
	}
	rc = regcomp(&s->re, b.data, REG_EXTENDED | REG_NEWLINE |
	    (s->icase ? REG_ICASE : 0));
	if (rc != 0) {
		char	 msg[128];

		regerror(rc, &s->re, msg, sizeof msg);
		s->regex = false;
		gl_buf_fini(&b);
		return gl_err_set(err, GL_EINVAL, "bad pattern '%s': %s",
		    text, msg);
	}
	gl_buf_fini(&b);
	return 0;
}

void
search_fini(struct search *s)
{
	if (s->regex)
		regfree(&s->re);
	free(s->text);
	free(s->lit);
	memset(s, 0, sizeof *s);
}

/* Whether the literal matches at p (n bytes left). */
static bool
lit_at(const struct search *s, const char *p, size_t n)
{
	if (n < s->litlen)
		return false;
	if (!s->icase)
		return memcmp(p, s->lit, s->litlen) == 0;
	for (size_t i = 0; i < s->litlen; i++)
		if (tolower((unsigned char)p[i]) !=
		    tolower((unsigned char)s->lit[i]))
			return false;
	return true;
}

/* The first regular expression match at or after from: pm[0] is it,
 * pm[1..] its groups (offsets in text). */
static bool
re_match(const struct search *s, const char *text, size_t n, size_t from,
    regmatch_t pm[GROUPS])
{
	size_t	 pos = from, ls = from;

	while (ls > 0 && text[ls - 1] != '\n')
		ls--;
	while (pos <= n) {
		const char *nl = memchr(text + pos, '\n', n - pos);
		size_t	 le = nl != NULL ? (size_t)(nl - text) : n;

		pm[0].rm_so = (regoff_t)pos;
		pm[0].rm_eo = (regoff_t)le;
		if (regexec(&s->re, text, GROUPS, pm, REG_STARTEND |
		    (pos > ls ? REG_NOTBOL : 0)) == 0)
			return true;
		if (nl == NULL)
			break;
		pos = ls = le + 1;
	}
	return false;
}

bool
search_find(const struct search *s, const char *text, size_t n, size_t from,
    size_t *at, size_t *len)
{
	regmatch_t	 pm[GROUPS];

	if (from > n)
		return false;
	if (s->regex) {
		if (!re_match(s, text, n, from, pm))
			return false;
		*at = (size_t)pm[0].rm_so;
		*len = (size_t)(pm[0].rm_eo - pm[0].rm_so);
		return true;
	}
	if (s->lit == NULL || s->litlen > n)
		return false;
	for (size_t i = from; i + s->litlen <= n; i++) {
		if (!s->icase) {
			const char *p = memchr(text + i, s->lit[0],
			    n - s->litlen + 1 - i);

			if (p == NULL)
				return false;
			i = (size_t)(p - text);
		}
		if (lit_at(s, text + i, n - i)) {
			*at = i;
			*len = s->litlen;
			return true;
		}
	}
	return false;
}

bool
search_find_back(const struct search *s, const char *text, size_t n,
    size_t before, size_t *at, size_t *len)
{
	size_t	 ls;

	if (before > n + 1)
		before = n + 1;
	if (before == 0)
		return false;
	if (!s->regex) {
		if (s->lit == NULL || s->litlen > n)
			return false;
		for (size_t i = before - 1 < n - s->litlen ? before - 1 :
		    n - s->litlen; ; i--) {
			if (lit_at(s, text + i, n - i)) {
				*at = i;
				*len = s->litlen;
				return true;
			}
			if (i == 0)
				return false;
		}
	}
	/* Line by line from the one holding before - 1: the last match
	 * of each starting before before. */
	ls = before - 1 < n ? before - 1 : n;
	for (;;) {
		size_t	 a, l, pos, best = (size_t)-1, bestlen = 0;

		while (ls > 0 && text[ls - 1] != '\n')
			ls--;
		pos = ls;
		while (search_find(s, text, n, pos, &a, &l) && a < before) {
			/* Past this line: the loop of lines goes there. */
			if (memchr(text + ls, '\n', a - ls) != NULL)
				break;
			best = a;
			bestlen = l;
			pos = a + 1;
			if (pos > n)
				break;
		}
		if (best != (size_t)-1) {
			*at = best;
			*len = bestlen;
			return true;
		}
		if (ls == 0)
			return false;
		ls--;
	}
}

/* ------------------------------------------------------------------ */
/* Walking a notebook */

/* The part after (back: before) *p, wrapping; sets *wrapped when it
 * went past an end. */
static void
step_part(const struct search_src *src, struct search_pos *p, bool back,
    bool *wrapped)
{
	if (!back) {
		if (p->part + 1 < src->nparts(src->ctx, p->cell)) {
			p->part++;
			return;
		}
		p->part = 0;
		if (++p->cell >= src->ncells) {
			p->cell = 0;
			*wrapped = true;
		}
		return;
	}
	if (p->part > 0) {
		p->part--;
		return;
	}
	if (p->cell == 0) {
		p->cell = src->ncells - 1;
		*wrapped = true;
	} else
		p->cell--;
	p->part = src->nparts(src->ctx, p->cell) - 1;
}

bool
search_walk(const struct search *s, const struct search_src *src,
    const struct search_pos *from, bool back, bool at_from,
    struct search_pos *out, size_t *len, bool *wrapped)
{
	struct search_pos p = *from;
	const char	*t;
	size_t		 n, at, l;

	*wrapped = false;
	if (src->ncells == 0)
		return false;
	if (p.cell >= src->ncells) {
		p.cell = src->ncells - 1;
		p.part = 0;
		p.off = 0;
	}
	if (p.part >= src->nparts(src->ctx, p.cell))
		p.part = 0;
	/* The rest of the starting part. */
	t = src->text(src->ctx, p.cell, p.part, &n);
	if (back ? search_find_back(s, t, n, p.off + (at_from ? 1 : 0), &at,
	    &l) : search_find(s, t, n, p.off + (at_from ? 0 : 1), &at, &l))
		goto found;
	/* Every other part, then the starting one from its other end. */
	for (;;) {
		step_part(src, &p, back, wrapped);
		t = src->text(src->ctx, p.cell, p.part, &n);
		if (p.cell == from->cell && p.part == from->part) {
			if (back ? search_find_back(s, t, n, n + 1, &at, &l) &&
			    at >= from->off : search_find(s, t, n, 0, &at, &l) &&
			    at <= from->off)
				goto found;
			return false;
		}
		if (back ? search_find_back(s, t, n, n + 1, &at, &l) :
		    search_find(s, t, n, 0, &at, &l))
			goto found;
	}
found:
	out->cell = p.cell;
	out->part = p.part;
	out->off = at;
	*len = l;
	return true;
}

/* ------------------------------------------------------------------ */
/* Substitution */

/* Copies spec from *p up to an unescaped delim into out ("\delim" is the
 * delimiter; other escapes stay for the pattern or the replacement to
 * read). *p ends after the delimiter, or at the end. */
static void
subst_part(const char **p, char delim, struct gl_buf *out)
{
	const char	*q = *p;

	for (; *q != '\0' && *q != delim; q++) {
		if (q[0] == '\\' && q[1] == delim) {
			gl_buf_addc(out, delim);
			q++;
			continue;
		}
		if (q[0] == '\\' && q[1] != '\0') {
			gl_buf_add(out, q, 2);
			q++;
			continue;
		}
		gl_buf_addc(out, *q);
	}
	if (out->data == NULL)
		gl_buf_add(out, "", 0);
	*p = *q == delim ? q + 1 : q;
}

int
search_subst_parse(const char *spec, struct search_subst *out,
    struct gl_err *err)
{
	struct gl_buf	 b;
	const char	*p = spec + 1;
	char		 delim = spec[0];

	memset(out, 0, sizeof *out);
	out->icase = -1;
	if (delim == '\0' || isalnum((unsigned char)delim) || delim == ' ' ||
	    delim == '\t' || delim == '\\' || delim == '"' || delim == '|')
		return gl_err_set(err, GL_EINVAL, "substitute: "
		    "/PATTERN/REPLACEMENT/[FLAGS]");
	gl_buf_init(&b);
	subst_part(&p, delim, &b);
	out->pat = gl_buf_take(&b, NULL);
	gl_buf_init(&b);
	subst_part(&p, delim, &b);
	out->rep = gl_buf_take(&b, NULL);
	for (; *p != '\0'; p++) {
		switch (*p) {
		case 'g':
			out->global = true;
			break;
		case 'n':
			out->count_only = true;
			break;
		case 'i':
			out->icase = 1;
			break;
		case 'I':
			out->icase = 0;
			break;
		case ' ':
			break;
		default:
			return gl_err_set(err, GL_EINVAL, "substitute: unknown "
			    "flag '%c' (g, i, I and n are known)", *p);
		}
	}
	return 0;
}

void
search_subst_fini(struct search_subst *sub)
{
	free(sub->pat);
	free(sub->rep);
	memset(sub, 0, sizeof *sub);
}

/* Appends rep with the match pm[0] (groups pm[1..]) of text put in. */
static void
expand(const char *rep, const char *text, const regmatch_t *pm, int ngroups,
    struct gl_buf *out)
{
	for (const char *r = rep; *r != '\0'; r++) {
		int	 g = -1;

		if (*r == '&')
			g = 0;
		else if (r[0] == '\\' && r[1] >= '0' && r[1] <= '9') {
			g = r[1] - '0';
			r++;
		} else if (r[0] == '\\' && r[1] != '\0') {
			r++;
			gl_buf_addc(out, *r == 'n' || *r == 'r' ? '\n' :
			    *r == 't' ? '\t' : *r);
			continue;
		} else {
			gl_buf_addc(out, *r);
			continue;
		}
		if (g < ngroups && pm[g].rm_so >= 0)
			gl_buf_add(out, text + pm[g].rm_so,
			    (size_t)(pm[g].rm_eo - pm[g].rm_so));
	}
}

size_t
search_substitute(const struct search *s, const char *text, size_t n,
    const char *rep, bool global, struct gl_buf *out)
{
	size_t		 pos = 0, done = 0, count = 0;
	regmatch_t	 pm[GROUPS];

	while (pos <= n) {
		const char *nl = memchr(text + pos, '\n', n - pos);
		size_t	 le = nl != NULL ? (size_t)(nl - text) : n;
		size_t	 from = pos, at, len;

		for (;;) {
			if (s->regex) {
				if (!re_match(s, text, le, from, pm))
					break;
				at = (size_t)pm[0].rm_so;
				len = (size_t)(pm[0].rm_eo - pm[0].rm_so);
			} else {
				if (!search_find(s, text, le, from, &at, &len))
					break;
				pm[0].rm_so = (regoff_t)at;
				pm[0].rm_eo = (regoff_t)(at + len);
			}
			gl_buf_add(out, text + done, at - done);
			expand(rep, text, pm, s->regex ? GROUPS : 1, out);
			done = at + len;
			count++;
			if (!global)
				break;
			if (len == 0) {
				/* An empty match: keep the character after
				 * it and go on past it. */
				if (at >= le)
					break;
				gl_buf_addc(out, text[at]);
				done = at + 1;
				from = at + 1;
			} else
				from = at + len;
			if (from > le)
				break;
		}
		if (nl == NULL)
			break;
		pos = le + 1;
	}
	gl_buf_add(out, text + done, n - done);
	return count;
}

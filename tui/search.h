/*
 * search.h - searching and replacing text as vim users expect it, in the
 * notebook TUI: patterns (literal text by default; "\v" at the start
 * makes the rest a POSIX extended regular expression; "\c" anywhere
 * ignores case, "\C" matches it), finding the next or previous match in
 * a text, walking a notebook's cells (and outputs) for the next match
 * with wrap-around, and the substitution of ":s/PAT/REP/FLAGS" ("&" and
 * "\0" the match, "\1".."\9" groups of a \v pattern). Matches never span
 * a line break. Pure: text in, positions and text out. Used by the
 * search commands (tui/cmd-search.c) and the view, which highlights the
 * matches (tui/view-layout.c); no curses, no I/O.
 */
#ifndef GL_TUI_SEARCH_H
#define GL_TUI_SEARCH_H

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/mem.h"

struct gl_err;

struct search {
	char		*text;		/* owned: the pattern as typed */
	char		*lit;		/* owned: the literal to find, or NULL
					 * for a regular expression */
	size_t		 litlen;
	bool		 icase;
	bool		 regex;		/* re is compiled */
	regex_t		 re;
};

/* Compiles text (as typed after / or in :s) into *s (initialised here;
 * search_fini() it, also on failure). ignorecase and smartcase are the
 * options: with ignorecase, case is ignored unless smartcase is on and
 * the pattern has a capital; "\c" and "\C" override both. GL_EINVAL with
 * err for an empty pattern or a bad regular expression. */
int	 search_compile(struct search *s, const char *text, bool ignorecase,
	     bool smartcase, struct gl_err *err);
void	 search_fini(struct search *s);

/* The first match in text[0..n) starting at or after from: true with
 * *at and *len (len may be 0 for a regular expression such as "\v^"). */
bool	 search_find(const struct search *s, const char *text, size_t n,
	     size_t from, size_t *at, size_t *len);
/* The last match starting before before (at most n). */
bool	 search_find_back(const struct search *s, const char *text, size_t n,
	     size_t before, size_t *at, size_t *len);

/* Where a match is in a notebook: a cell, a part of it (0 its source,
 * k + 1 its output k) and a byte offset in that part's text. */
struct search_pos {
	size_t		 cell;
	size_t		 part;
	size_t		 off;
};

/* The texts a walk looks in. */
struct search_src {
	size_t		 ncells;
	/* Parts of cell i (1: the source only). */
	size_t		(*nparts)(void *ctx, size_t cell);
	/* The text of a part, borrowed until the next call. */
	const char	*(*text)(void *ctx, size_t cell, size_t part,
			    size_t *len);
	void		*ctx;
};

/* The next match after from (back: before it) through the parts of the
 * cells in order, wrapping around the notebook once; a match at from
 * itself counts only with at_from. True with *out, *len, and *wrapped
 * saying whether the walk went past an end. */
bool	 search_walk(const struct search *s, const struct search_src *src,
	     const struct search_pos *from, bool back, bool at_from,
	     struct search_pos *out, size_t *len, bool *wrapped);

/* A parsed ":s/PAT/REP/FLAGS": the delimiter is the first character
 * (any but a letter, digit, blank or backslash); "\" before it puts it
 * in the pattern or the replacement. PAT may be empty (the last search),
 * REP and the closing delimiter may be left out. */
struct search_subst {
	char		*pat;		/* owned */
	char		*rep;		/* owned */
	bool		 global;	/* g: every match of a line */
	bool		 count_only;	/* n: count, change nothing */
	int		 icase;		/* i: 1, I: 0, else -1 */
};

/* Parses spec ("/a/b/g") into *out (initialised here; search_subst_fini()
 * it, also on failure). GL_EINVAL with err for a bad delimiter or an
 * unknown flag. */
int	 search_subst_parse(const char *spec, struct search_subst *out,
	     struct gl_err *err);
void	 search_subst_fini(struct search_subst *sub);
/* Substitutes in text[0..n): on each line, the first match (global:
 * every match) replaced by rep expanded. Appends the new text to out and
 * returns the number of replacements (0: out holds text unchanged). */
size_t	 search_substitute(const struct search *s, const char *text, size_t n,
	     const char *rep, bool global, struct gl_buf *out);

#endif

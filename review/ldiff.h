/*
 * ldiff.h - sequence diff: the shortest edit script between two sequences
 * of integers (Myers' algorithm), texts split into lines and interned to
 * integers, and the words that changed between two lines.
 *
 * Pure: memory in, memory out. Used by review/ndiff.c (cells and lines),
 * review/merge.c (three-way merges) and review/review-anchor.c (where a
 * commented line went). Depends on core/mem.h only.
 */
#ifndef GL_LDIFF_H
#define GL_LDIFF_H

#include <stddef.h>
#include <stdint.h>

/* a[a0, a0 + alen) was replaced by b[b0, b0 + blen). One of the lengths
 * may be 0 (an insertion or a deletion). */
struct ldiff_change {
	size_t	 a0, alen;
	size_t	 b0, blen;
};

/* The changes that turn a into b (elements are equal when their integers
 * are), in order, never touching each other: between two changes lies at
 * least one common element. The script is minimal unless the inputs are
 * so different that a bound on the work cuts the search short (then it
 * is still correct, only longer). *out is the caller's to free (NULL when
 * a equals b). */
void	 ldiff_seq(const uint32_t *a, size_t na, const uint32_t *b, size_t nb,
	     struct ldiff_change **out, size_t *nout);

/* A text as lines. Line i is text[start[i], start[i + 1]), its '\n'
 * included when it has one (only the last line may lack it). */
struct ldiff_lines {
	const char	*text;		/* borrowed */
	size_t		 n;		/* number of lines */
	size_t		*start;		/* owned: n + 1 offsets */
	uint32_t	*id;		/* owned: after ldiff_intern() */
	/* Set before ldiff_intern(): a last line without '\n' counts as if
	 * it had one (a cell's source never ends in a newline, so a line
	 * added after the last must not change it). */
	int		 eol_optional;
};

/* Splits text (len bytes; need not be NUL-terminated) into l. An empty
 * text has no lines; "a" and "a\n" have one. */
void	 ldiff_lines_init(struct ldiff_lines *l, const char *text, size_t len);
void	 ldiff_lines_fini(struct ldiff_lines *l);
/* Line i without its line ending ("\n" or "\r\n"); *len its length. */
const char *ldiff_line(const struct ldiff_lines *l, size_t i, size_t *len);
/* True if line i ends in '\n'. */
int	 ldiff_line_has_eol(const struct ldiff_lines *l, size_t i);
/* Gives the lines of the n texts ids, equal exactly when the lines'
 * bytes (line ending included; see eol_optional) are. */
void	 ldiff_intern(struct ldiff_lines *const *v, size_t n);

/* A byte range within a line. */
struct ldiff_span {
	uint32_t	 off, len;
};

/* The words that differ between line a and line b, as byte ranges of
 * each (sorted, not touching). Words are runs of letters, digits, '_'
 * and non-ASCII bytes, runs of blanks, or single other characters. When
 * the lines share too little for highlights to help, both lists are
 * empty. *sa and *sb are the caller's to free. */
void	 ldiff_words(const char *a, size_t alen, const char *b, size_t blen,
	     struct ldiff_span **sa, size_t *nsa, struct ldiff_span **sb,
	     size_t *nsb);

/* A 64-bit hash of p[0, n) (not cryptographic; for tables). */
uint64_t ldiff_hash(const void *p, size_t n);

#endif

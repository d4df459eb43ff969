/*
 * review_int.h - what review.c, review-write.c and review-anchor.c share
 * and nobody else needs.
 */
#ifndef GL_REVIEW_INT_H
#define GL_REVIEW_INT_H

#include <stddef.h>

#include "review/ndiff.h"
#include "review/review.h"

/* path at commit, parsed as the diff sees it; *out the caller's to
 * ndiff_side_free(). GL_ENOTFOUND when the commit has no such file,
 * GL_ESYNTAX when a notebook does not parse. */
int	 rev_side_at(struct repo *r, const char *commit, const char *path,
	     struct ndiff_side **out, struct gl_err *err);

/* The text a comment's lines count in: the source of cell (by id) of a
 * notebook side, or the whole text of a plain file (cell NULL). *index
 * (if not NULL) gets the cell's position. GL_ENOTFOUND naming what is
 * missing (where names the side in the message). */
int	 rev_side_text(const struct ndiff_side *s, const char *path,
	     const char *cell, const char *where, const char **text,
	     size_t *len, size_t *index, struct gl_err *err);

#endif

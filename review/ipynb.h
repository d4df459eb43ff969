/*
 * ipynb.h - Jupyter notebooks (nbformat 4, .ipynb) read into cells for
 * the diff: each cell's kind, source, id (nbformat 4.5 cell ids; older
 * files have none and are matched by content), metadata as compact JSON
 * per key, and its outputs summarised as short lines ("[image/png] 12 KB
 * sha:1a2b3c4d", the first lines of text), never dumped as base64.
 *
 * Pure: bytes in, a struct out. Used by review/ndiff.c. Depends on
 * jansson and core/.
 */
#ifndef GL_IPYNB_H
#define GL_IPYNB_H

#include <stdbool.h>
#include <stddef.h>

struct gl_err;

struct ipynb_meta {
	const char	*key;
	const char	*json;		/* compact, keys sorted */
};

struct ipynb_cell {
	const char		*id;		/* "#3" (its place) if none */
	bool			 id_given;
	const char		*kind;		/* "code", "markdown", "raw" */
	const char		*src;		/* the source lines joined */
	size_t			 srclen;
	struct ipynb_meta	*meta;
	size_t			 nmeta;
	const char		*outputs;	/* one summary a line */
	size_t			 outlen;
};

struct ipynb {
	struct ipynb_cell	*cells;
	size_t			 ncells;
	struct ipynb_meta	*meta;		/* the notebook's metadata */
	size_t			 nmeta;
	int			 major, minor;	/* nbformat, nbformat_minor */
	struct ipynb_pool	*pool;		/* owned: every string */
};

/* At most this many lines of an output's text go into its summary. */
#define IPYNB_TEXT_LINES	3
/* Longer lines are cut to this many bytes (at a UTF-8 boundary). */
#define IPYNB_LINE_MAX		120

/* Parses buf (len bytes; path names it in messages). On success *out is
 * the caller's to ipynb_free(). GL_ESYNTAX for bad JSON ("path:3:14:
 * ...") or a shape that is not a notebook ("path: cell 4: source is not
 * a string or a list of strings"); GL_EUNSUPPORTED for nbformat < 4. */
int	 ipynb_parse(const char *buf, size_t len, const char *path,
	     struct ipynb **out, struct gl_err *err);
void	 ipynb_free(struct ipynb *nb);

#endif

/*
 * ndiff.h - the cell-aware diff: two versions of a file in, what changed
 * out. A notebook (NAME.nb.lua, or .ipynb through review/ipynb.h) is
 * compared cell by cell: cells are matched by id, then by content for
 * cells without ids, and each is unchanged, added, removed, moved or
 * modified (a line diff of its source, metadata, kind, title, and for
 * .ipynb its summarised outputs). Any other file gets a line diff.
 *
 * Pure: bytes in, a struct out, printed as text (with colour) or JSON by
 * ndiff-print.c. No files, no libgit2: the CLI, review/review*.c, the
 * kernel later and tests call it with bytes they read. Depends on
 * core/notebook.h, review/ipynb.h and review/ldiff.h.
 */
#ifndef GL_NDIFF_H
#define GL_NDIFF_H

#include <stdbool.h>
#include <stddef.h>

#include "core/mem.h"
#include "review/ldiff.h"

struct gl_err;
struct json_t;
struct nb_doc;

enum ndiff_format {
	NDIFF_TEXT,		/* a line diff */
	NDIFF_NOTEBOOK,		/* NAME.nb.lua */
	NDIFF_IPYNB,		/* Jupyter nbformat 4 */
	NDIFF_BINARY,		/* a NUL byte in the first 8000 bytes */
};

/* A metadata entry: key and its JSON text. */
struct ndiff_meta {
	const char	*key;
	const char	*json;
};

/* A cell as the diff sees it, from either notebook format. Strings are
 * borrowed from the parsed file the diff owns. */
struct ndiff_cell {
	const char		*id;
	bool			 id_given;	/* written in the file */
	bool			 header;	/* .nb.lua: before a marker */
	const char		*kind;		/* "code", "markdown", "raw" */
	const char		*title;		/* "" if none */
	const char		*src;
	size_t			 srclen;
	const struct ndiff_meta	*meta;		/* without "id" */
	size_t			 nmeta;
	const char		*outputs;	/* .ipynb: one summary a line */
	size_t			 outlen;
};

/* A line diff of two texts. */
struct ndiff_text {
	struct ldiff_lines	 a, b;
	struct ldiff_change	*ch;		/* owned */
	size_t			 nch;
};

/* A metadata key that differs; NULL json when absent on that side. */
struct ndiff_metachange {
	const char	*key;
	const char	*old_json;
	const char	*new_json;
};

enum ndiff_status {
	NDIFF_UNCHANGED,
	NDIFF_ADDED,
	NDIFF_REMOVED,
	NDIFF_MOVED,		/* moved and nothing else */
	NDIFF_MODIFIED,		/* changed; may also have moved */
};

/* What changed about one cell. */
struct ndiff_cellchange {
	enum ndiff_status	 status;
	const struct ndiff_cell	*old;		/* NULL when added */
	const struct ndiff_cell	*new;		/* NULL when removed */
	size_t			 old_index;	/* (size_t)-1 when added */
	size_t			 new_index;	/* (size_t)-1 when removed */
	bool			 moved;
	bool			 src_changed;
	bool			 kind_changed;
	bool			 title_changed;
	bool			 outputs_changed;
	struct ndiff_metachange	*meta;		/* owned */
	size_t			 nmeta;
	struct ndiff_text	*src;		/* owned; when src_changed */
	struct ndiff_text	*out;		/* owned; if outputs_changed */
};

struct ndiff_stats {
	size_t	 added, removed, moved, modified, unchanged;	/* cells */
	size_t	 lines_added, lines_removed;
};

struct ndiff_side;		/* opaque: a parsed version */

struct ndiff {
	enum ndiff_format	 format;
	char			*old_path;	/* owned; NULL: file added */
	char			*new_path;	/* owned; NULL: file deleted */
	char			*warning;	/* owned; why a notebook was
						   compared as text, or NULL */
	/* Notebooks: every cell of both sides, in the new order with
	 * removed cells where they were. */
	struct ndiff_cellchange	*cells;		/* owned */
	size_t			 ncells;
	struct ndiff_metachange	*meta;		/* owned; notebook level */
	size_t			 nmeta;
	/* Text: the line diff of the whole file. */
	struct ndiff_text	*text;		/* owned */
	struct ndiff_stats	 stats;
	struct ndiff_side	*sides[2];	/* owned */
};

/* The format a path gets: NDIFF_NOTEBOOK for "*.nb.lua", NDIFF_IPYNB
 * for "*.ipynb", else NDIFF_TEXT. */
enum ndiff_format ndiff_format_of(const char *path);

/*
 * Compares old (a, alen bytes, path old_path) with new (b, blen, new_path).
 * NULL a or b: the file did not exist on that side (added, deleted); the
 * format comes from the path that exists. The bytes are copied (notebooks
 * are parsed; a notebook that does not parse is compared as text, and
 * warning says why). *out is the caller's to ndiff_free(). Fails only on
 * bad arguments.
 */
int	 ndiff_new(const char *old_path, const char *a, size_t alen,
	     const char *new_path, const char *b, size_t blen,
	     struct ndiff **out, struct gl_err *err);
void	 ndiff_free(struct ndiff *d);

/* True if nothing differs (paths aside). */
bool	 ndiff_empty(const struct ndiff *d);

/*
 * One version of a file, parsed as the diff sees it (for callers that
 * look at one version: where a comment's cell is now). The bytes are
 * copied. A notebook that does not parse is GL_ESYNTAX naming the line.
 */
int	 ndiff_side_new(const char *path, const char *text, size_t len,
	     struct ndiff_side **out, struct gl_err *err);
void	 ndiff_side_free(struct ndiff_side *s);
enum ndiff_format ndiff_side_format(const struct ndiff_side *s);
/* Its cells (none for text); borrowed until the side is freed. */
const struct ndiff_cell *ndiff_side_cells(const struct ndiff_side *s,
	     size_t *n);
/* The cell with a given id, or NULL; *index gets its position. The first
 * call builds an index (so, like nb_doc_find(), not from two threads at
 * once on one side). */
const struct ndiff_cell *ndiff_side_find(const struct ndiff_side *s,
	     const char *id, size_t *index);
/* The whole text of a TEXT or BINARY side (a copy the side owns), else
 * NULL. */
const char *ndiff_side_text(const struct ndiff_side *s, size_t *len);
/* The parsed notebook of a NOTEBOOK side (borrowed), else NULL. Its cell
 * i is ndiff_side_cells()[i]. */
struct nb_doc *ndiff_side_doc(const struct ndiff_side *s);

/*
 * Match two cell lists as the diff does (by id, then by content for cells
 * without a written id): map[i] is the index in b of a's cell i, or
 * (size_t)-1. Used by review/merge.c. map has na entries.
 */
void	 ndiff_match(const struct ndiff_cell *a, size_t na,
	     const struct ndiff_cell *b, size_t nb, size_t *map);

/* stay[i] = true for the cells of a (map[i] != (size_t)-1) that stayed
 * in place: a longest run of them whose partners keep their order. The
 * other matched cells moved. stay has na entries. */
void	 ndiff_stayers(const size_t *map, size_t na, bool *stay);

/* True if two JSON texts are the same value, whatever the spacing (NULL
 * only equals NULL). */
bool	 ndiff_json_same(const char *a, const char *b);

/* True if two matched cells differ in anything but position. */
bool	 ndiff_cell_differs(const struct ndiff_cell *a,
	     const struct ndiff_cell *b);

/* Line diff of two cell sources (a missing final newline is no change);
 * the texts are borrowed and must outlive the result, which the caller
 * frees with ndiff_text_free(). */
struct ndiff_text *ndiff_text_new(const char *a, size_t alen, const char *b,
	     size_t blen);
void	 ndiff_text_free(struct ndiff_text *t);

/*
 * Printing (ndiff-print.c).
 */
struct ndiff_print {
	bool		 color;		/* ANSI colours and highlights */
	unsigned	 context;	/* lines around a change (git: 3) */
	/* Optional: an unchanged cell for which want() is true is shown
	 * rather than folded; after() appends lines after each shown cell
	 * (review threads). */
	bool		(*want)(void *arg, const struct ndiff *d,
			    const struct ndiff_cellchange *c);
	void		(*after)(void *arg, const struct ndiff *d,
			    const struct ndiff_cellchange *c,
			    struct gl_buf *out);
	void		*arg;
};

/* Appends the diff as text: a unified diff for text files, cells with
 * folded runs of unchanged ones for notebooks. */
void	 ndiff_print_text(const struct ndiff *d, const struct ndiff_print *o,
	     struct gl_buf *out);
/* One line for --stat: "path | 3 cells: 1 added, 2 modified (+4 -1)". */
void	 ndiff_print_stat(const struct ndiff *d, bool color,
	     struct gl_buf *out);
/* The diff as a JSON object (docs/git.md has its shape); new reference,
 * the caller decrefs. context as above. */
struct json_t *ndiff_json(const struct ndiff *d, unsigned context);
/* The same, for a reader that skips what did not change (the TUI's
 * review mode): a run of unchanged cells for which keep() is false is one
 * entry {"status": "unchanged", "count": N}; an unchanged cell keep()
 * keeps (a cell with comments on it) carries its "source". */
struct json_t *ndiff_json_fold(const struct ndiff *d, unsigned context,
	     bool (*keep)(void *arg, const struct ndiff *d,
	     const struct ndiff_cellchange *c), void *arg);
/* The hunks of a line diff (HUNK of docs/git.md) as a JSON array. */
struct json_t *ndiff_text_json(const struct ndiff_text *t, unsigned context);

#endif

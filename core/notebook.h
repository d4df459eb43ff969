/*
 * notebook.h - the notebook model and its text format (NAME.nb.lua, the
 * percent format of DESIGN section 5). Pure: memory in, memory out.
 * Used by core/ot.c, kernel/, cli/, tui/, review/.
 *
 * Round trip: nb_print() of a doc that nb_parse() made and nobody changed
 * gives back the input byte for byte (CRLF, BOM, no final newline, trailing
 * spaces, unknown metadata, ...). A cell that was changed is printed in the
 * canonical form (see docs/format.md); unchanged cells keep their bytes.
 */
#ifndef GL_NOTEBOOK_H
#define GL_NOTEBOOK_H

#include <stdbool.h>
#include <stddef.h>

#include "core/mem.h"

struct gl_err;
struct gl_rng;

enum nb_kind {
	NB_CODE = 0,
	NB_MARKDOWN = 1,
	NB_RAW = 2,
};

/* Longest id galley generates or accepts, without the NUL. */
#define NB_ID_MAX 64

struct nb_doc;			/* opaque */
struct nb_cell;			/* opaque; owned by its doc */

/* Parses buf[0..len). path only names the file in messages. On success
 * *out is a new doc the caller frees with nb_doc_free(). On failure
 * returns GL_ESYNTAX with err naming "path:line:col: what" (bad metadata
 * JSON, duplicate id, invalid UTF-8, an id that is not a JSON string or
 * is longer than NB_ID_MAX, ...), and *out is NULL.
 * Cells whose marker has no id keep having none in the text; they get an
 * in-memory id at once (so every cell has one) that nb_doc_assign_ids()
 * writes into their markers. */
int	 nb_parse(const char *buf, size_t len, const char *path,
	     struct nb_doc **out, struct gl_err *err);

/* Appends the file text of doc to out. */
void	 nb_print(const struct nb_doc *doc, struct gl_buf *out);

/* An empty doc (no cells, LF line endings). Caller frees. */
struct nb_doc *nb_doc_new(void);
/* A deep copy. Caller frees. */
struct nb_doc *nb_doc_clone(const struct nb_doc *doc);
void	 nb_doc_free(struct nb_doc *doc);

/* Marks every cell whose id was generated at parse time as changed, so the
 * next print writes its id into its marker. Returns how many. */
size_t	 nb_doc_assign_ids(struct nb_doc *doc);
/* Marks every cell changed, so nb_print() gives the canonical form (what
 * `galley fmt` writes). Also assigns ids. */
void	 nb_doc_normalize(struct nb_doc *doc);

/* Number of cells, including the header cell if any. */
size_t	 nb_doc_count(const struct nb_doc *doc);
/* The i-th cell (i < count); borrowed until the doc changes. */
struct nb_cell *nb_doc_cell(const struct nb_doc *doc, size_t i);
/* The cell with that id, or NULL; *index (if not NULL) gets its index.
 * O(1) (a hash index); the index number is a cache refreshed in O(cells)
 * after a change, so like nb_doc_source_line() it must not run on one doc
 * from two threads at once. */
struct nb_cell *nb_doc_find(const struct nb_doc *doc, const char *id,
	     size_t *index);
/* True if the doc uses CRLF line endings (new cells are printed so): the
 * parsed file's first line ending was "\r\n". */
bool	 nb_doc_crlf(const struct nb_doc *doc);
/* 1-based line in nb_print()'s output where cell i's source begins (the
 * line after its marker; line 1 for a header cell). Cached: O(1) until
 * the doc changes, then O(cells) once. */
unsigned nb_doc_source_line(struct nb_doc *doc, size_t i);

/* Inserts a new cell at index (0 <= index <= count) with a copy of id
 * (must pass nb_id_valid(), else GL_EINVAL, and be unique, else GL_EEXIST)
 * and source; NULL id generates one from rng (or, if rng is NULL too, from
 * the doc's own generator). A header cell stays first: index 0 before a
 * header cell is GL_EINVAL. The source is stored as nb_cell_set_source()
 * stores it. Returns the new cell (borrowed) or NULL with err set. */
struct nb_cell *nb_doc_insert(struct nb_doc *doc, size_t index,
	     enum nb_kind kind, const char *id, const char *source,
	     size_t source_len, struct gl_rng *rng, struct gl_err *err);
/* Removes and frees cell i. The header cell may be removed too. */
int	 nb_doc_remove(struct nb_doc *doc, size_t i, struct gl_err *err);
/* Moves cell from to position to (both < count; header cell cannot move
 * and nothing can move before it). */
int	 nb_doc_move(struct nb_doc *doc, size_t from, size_t to,
	     struct gl_err *err);

/* True if id can be a cell id: 1 to NB_ID_MAX bytes of ASCII letters,
 * digits, '-', '_' and '.'. */
bool	 nb_id_valid(const char *id);

/* Writes a fresh random id (lowercase letters and digits, 8 chars) into
 * out, unique within doc. */
void	 nb_id_generate(const struct nb_doc *doc, struct gl_rng *rng,
	     char out[NB_ID_MAX + 1]);

/* Accessors. Strings are borrowed until the cell changes. */
const char *nb_cell_id(const struct nb_cell *c);
enum nb_kind nb_cell_kind(const struct nb_cell *c);
/* True for the header cell (lines before the first marker; no marker). */
bool	 nb_cell_is_header(const struct nb_cell *c);
/* True if the cell's id is not in the file: the header cell's (it has no
 * marker), or one nb_parse() made for a marker without id=, until the
 * cell is printed from the model (nb_doc_assign_ids(), a mutator). review/
 * matches such cells by content rather than by id. */
bool	 nb_cell_id_generated(const struct nb_cell *c);
/* Title text after the kind, or "" */
const char *nb_cell_title(const struct nb_cell *c);
/* The text a user edits: lines joined by "\n" whatever the file uses, no
 * trailing separator blank line; markdown/raw lines without their "-- ".
 * NUL-terminated; *len (if not NULL) gets its length. */
const char *nb_cell_source(const struct nb_cell *c, size_t *len);
/* Raw JSON text of metadata key, or NULL. "id" is metadata too. */
const char *nb_cell_meta(const struct nb_cell *c, const char *key);
size_t	 nb_cell_meta_count(const struct nb_cell *c);
/* i-th metadata pair in marker order; borrowed. */
void	 nb_cell_meta_at(const struct nb_cell *c, size_t i, const char **key,
	     const char **json);
/* True if metadata "tags" is a JSON array holding the string tag. */
bool	 nb_cell_has_tag(const struct nb_cell *c, const char *tag);
/* 1-based line of the cell's marker in the parsed file (0 for new cells;
 * 1 for the header cell, which has no marker). */
unsigned nb_cell_line(const struct nb_cell *c);

/* True once the cell prints from the model (canonical form) rather than
 * as the bytes it was parsed from: new cells, and cells a mutator or
 * nb_cell_mark_changed() touched. */
bool	 nb_cell_changed(const struct nb_cell *c);
/* Marks the cell changed without changing it: it prints in canonical form
 * from now on. */
void	 nb_cell_mark_changed(struct nb_cell *c);

/* Mutators; each marks the cell changed (setting what it already holds
 * changes nothing). The model only holds what the file can: the source is
 * stored with NUL bytes and invalid UTF-8 replaced by U+FFFD; a title is
 * made one line without control characters or surrounding spaces, and a
 * word in it that would read as metadata ("x=1") gets a space ("x =1").
 * The header cell has no marker: setting its title does nothing and
 * setting its metadata is GL_EINVAL. */
void	 nb_cell_set_source(struct nb_cell *c, const char *src, size_t len);
int	 nb_cell_set_kind(struct nb_cell *c, enum nb_kind kind,
	     struct gl_err *err);	/* GL_EINVAL for the header cell */
void	 nb_cell_set_title(struct nb_cell *c, const char *title);
/* Sets key to the JSON text json (validated: GL_ESYNTAX if not JSON), or
 * removes it when json is NULL. "id" cannot be changed (GL_EPERM); a key
 * is [A-Za-z_][A-Za-z0-9_.-]* (else GL_EINVAL). The JSON is kept as given
 * but for the white space around it, and line breaks between its tokens
 * become spaces, so it fits on the marker line. */
int	 nb_cell_set_meta(struct nb_cell *c, const char *key, const char *json,
	     struct gl_err *err);

/* "code", "markdown", "raw"; and back (GL_EINVAL for anything else). */
const char *nb_kind_name(enum nb_kind kind);
int	 nb_kind_parse(const char *name, enum nb_kind *out);

#endif

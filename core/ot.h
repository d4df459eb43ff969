/*
 * ot.h - edit operations on a notebook and their operational transform
 * (DESIGN section 7, server-centred like Google Docs' Jupiter model).
 * Pure. The kernel (kernel/session.c) transforms a client's ops against
 * those the client had not seen, applies, journals and broadcasts them;
 * clients (tui/) apply their own ops at once and rebase on the kernel's.
 *
 * Ops name cells by id, never by index (only an insert's position and a
 * move's destination are indexes). Text ops address bytes of the cell's
 * source as nb_cell_source() gives it ("\n" line endings) and must keep it
 * valid UTF-8.
 *
 * A delete or a move also carries the cell's index in the doc it was made
 * on ("from"): transforming an index against a concurrent delete or move
 * needs to know where that cell was, and the transform sees only the two
 * ops. ot_apply() checks it (GL_ECONFLICT if the cell is elsewhere);
 * ot_op_locate() fills it from a doc. See core/ot.c for the design.
 */
#ifndef GL_OT_H
#define GL_OT_H

#include <msgpack.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/notebook.h"

struct gl_err;

enum ot_kind {
	OT_INSERT_CELL,		/* index, cell_kind, id, text = source */
	OT_DELETE_CELL,		/* id, from */
	OT_MOVE_CELL,		/* id, from, index = destination after
				 * removal */
	OT_SET_KIND,		/* id, cell_kind */
	OT_SET_META,		/* id, key, text = JSON value or NULL to remove */
	OT_TEXT,		/* id, comps */
};

enum ot_comp_kind {
	OT_RETAIN,		/* n bytes kept */
	OT_INSERT,		/* s (n bytes) inserted */
	OT_DELETE,		/* n bytes removed */
};

struct ot_comp {
	enum ot_comp_kind kind;
	size_t		 n;
	char		*s;		/* owned; OT_INSERT only */
};

struct ot_op {
	enum ot_kind	 kind;
	char		 id[NB_ID_MAX + 1];
	size_t		 index;
	size_t		 from;		/* delete, move: the cell's
					 * index before the op */
	enum nb_kind	 cell_kind;
	char		*key;		/* owned; OT_SET_META */
	char		*text;		/* owned; see enum ot_kind */
	struct ot_comp	*comps;		/* owned; OT_TEXT */
	size_t		 ncomps;
};

/* Frees what op owns (not op itself) and zeroes it. */
void	 ot_op_fini(struct ot_op *op);
/* ot_op_fini() of ops[0..n), then free(ops). NULL is fine. */
void	 ot_ops_free(struct ot_op *ops, size_t n);
/* Deep copy into *dst. */
void	 ot_op_copy(struct ot_op *dst, const struct ot_op *src);
/* True if a and b are the same op (only the fields their kind uses are
 * compared). */
bool	 ot_op_equal(const struct ot_op *a, const struct ot_op *b);
/* Sets op->from to the index of op->id in doc, for a delete or a move
 * about to be made on doc (a no-op for other kinds). GL_ENOTFOUND if the
 * cell is not there. */
int	 ot_op_locate(const struct nb_doc *doc, struct ot_op *op,
	     struct gl_err *err);

/* Applies op to doc. Validates first (cell exists, retains+deletes cover
 * the source exactly, UTF-8 kept valid, id unique, ...) and leaves doc
 * unchanged on failure: GL_ENOTFOUND / GL_EINVAL / GL_ECONFLICT /
 * GL_EEXIST (insert of a taken id) / GL_EPERM (set_meta "id") /
 * GL_ESYNTAX (set_meta JSON), naming the cell. An applied set_kind,
 * set_meta or text op marks its cell changed even if it changed nothing,
 * and set_meta keeps the metadata as "id" then the keys sorted: both keep
 * every side of a transform printing the same bytes. One op at a time:
 * a caller applying a client's several ops decides what a failure in the
 * middle means. */
int	 ot_apply(struct nb_doc *doc, const struct ot_op *op,
	     struct gl_err *err);

/* Transforms a against b, both made on the same doc state: on return *a
 * has the same intent applied after b. Returns 1 if a still does
 * something, 0 if it became a no-op (its cell was deleted by b, or it lost
 * a conflict, see core/ot.c); the caller then drops it without applying
 * it (and still ot_op_fini()s it).
 * a_first breaks ties (two inserts at one position): true if a's author
 * wins the tie (the kernel passes false for the incoming client op against
 * ops already accepted). */
int	 ot_transform(struct ot_op *a, const struct ot_op *b, bool a_first);

/* Transforms two op sequences made on the same doc state against each
 * other (the square of pairwise transforms): on return a[0..*na) is a's
 * sequence to apply after b's, and b[0..*nb) b's to apply after a's. Ops
 * that became no-ops are ot_op_fini()ed and removed; the rest keep their
 * order (*na and *nb shrink). a_first as for ot_transform(). A client
 * calls it with the kernel's ops as a (a_first true) and its own
 * unacknowledged ops as b. */
void	 ot_transform_ops(struct ot_op *a, size_t *na, struct ot_op *b,
	     size_t *nb, bool a_first);
/* The kernel's one call: rebases a client's ops[0..*n), made on version v,
 * over accepted[0..naccepted), the ops the kernel accepted since v in
 * order (not changed). On return ops[0..*n) apply to the current doc; the
 * accepted ops win ties. */
void	 ot_rebase(struct ot_op *ops, size_t *n,
	     const struct ot_op *accepted, size_t naccepted);

/* The ops that turn doc a into doc b, cells matched by id, to apply to a
 * in order: deletes, moves (the fewest), inserts with their metadata,
 * then kind, metadata and text changes of the cells both hold (a text
 * change is one replace between the common prefix and suffix). Titles
 * are not ops: a title that differs stays as a has it. A header cell
 * only b has becomes an ordinary cell. *ops (NULL when there are none)
 * is the caller's: ot_op_fini() each, then free(). Returns the count. */
size_t	 ot_diff(const struct nb_doc *a, const struct nb_doc *b,
	     struct ot_op **ops);

/* Wire form: a msgpack map, see docs/protocol.md ("t": "insert_cell",
 * "id", "index", "from", "kind", "source", "key", "value",
 * "ops": [n | "s" | -n]). Each kind has exactly its fields, all required:
 *   insert_cell  id index kind source      delete_cell  id from
 *   move_cell    id from index             set_kind     id kind
 *   set_meta     id key value (str | nil)  text         id ops
 * Decode fills *op (caller ot_op_fini()s it) or returns GL_EPROTO naming
 * the bad field (a missing, unknown or repeated field, a wrong type, an id
 * empty or longer than NB_ID_MAX, a NUL byte in a string, a zero-length
 * component, an index or length over OT_INT_MAX) and leaves *op zeroed. */
#define OT_INT_MAX	0x7fffffffu
int	 ot_decode(const msgpack_object *o, struct ot_op *op,
	     struct gl_err *err);
void	 ot_encode(msgpack_packer *pk, const struct ot_op *op);

#endif

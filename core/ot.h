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
 */
#ifndef GL_OT_H
#define GL_OT_H

#include <msgpack.h>
#include <stddef.h>

#include "core/notebook.h"

struct gl_err;

enum ot_kind {
	OT_INSERT_CELL,		/* index, cell_kind, id, text = source */
	OT_DELETE_CELL,		/* id */
	OT_MOVE_CELL,		/* id, index = destination after removal */
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
	enum nb_kind	 cell_kind;
	char		*key;		/* owned; OT_SET_META */
	char		*text;		/* owned; see enum ot_kind */
	struct ot_comp	*comps;		/* owned; OT_TEXT */
	size_t		 ncomps;
};

/* Frees what op owns (not op itself) and zeroes it. */
void	 ot_op_fini(struct ot_op *op);
/* Deep copy into *dst. */
void	 ot_op_copy(struct ot_op *dst, const struct ot_op *src);

/* Applies op to doc. Validates first (cell exists, retains+deletes cover
 * the source exactly, UTF-8 kept valid, id unique, ...) and leaves doc
 * unchanged on failure: GL_ENOTFOUND / GL_EINVAL / GL_ECONFLICT naming the
 * cell. */
int	 ot_apply(struct nb_doc *doc, const struct ot_op *op,
	     struct gl_err *err);

/* Transforms a against b, both made on the same doc state: on return *a
 * has the same intent applied after b. Returns 1 if a still does
 * something, 0 if it became a no-op (its cell was deleted by b, say).
 * a_first breaks ties (two inserts at one position): true if a's author
 * wins the tie (the kernel passes false for the incoming client op against
 * ops already accepted). */
int	 ot_transform(struct ot_op *a, const struct ot_op *b, bool a_first);

/* Wire form: a msgpack map, see docs/protocol.md ("t": "insert_cell",
 * "id", "index", "kind", "source", "key", "value", "ops": [n | "s" | -n]).
 * Decode fills *op (caller ot_op_fini()s it) or returns GL_EPROTO naming
 * the bad field. */
int	 ot_decode(const msgpack_object *o, struct ot_op *op,
	     struct gl_err *err);
void	 ot_encode(msgpack_packer *pk, const struct ot_op *op);

#endif

/*
 * sync.h - the TUI's side of editing a document the kernel owns (DESIGN
 * section 7): the client half of the Jupiter protocol (local ops applied
 * at once, at most one doc.edit in flight, the rest buffered; the
 * kernel's doc.ops transformed against what it has not acknowledged), op
 * inversion, and an undo/redo history whose entries are rebased over
 * other clients' edits. Pure: ops and docs in, ops out; tui/app-edit.c
 * does the I/O, and the cell commands (tui/cmd-cell.c) record their undo
 * groups. Used by bench/ too.
 */
#ifndef GL_TUI_SYNC_H
#define GL_TUI_SYNC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/notebook.h"
#include "core/ot.h"

struct gl_err;

struct sync;

/* A client state at kernel version version. Caller frees. */
struct sync *sync_new(uint64_t version);
void	 sync_free(struct sync *s);
/* The kernel version the local doc is based on (the last one known). */
uint64_t sync_version(const struct sync *s);
/* Starts over at version (after a reload): drops everything pending,
 * the history and the base. */
void	 sync_reset(struct sync *s, uint64_t version);

/* The kernel's doc at the current version (a copy is kept), which
 * sync_rejoin() needs: after sync_new() or sync_reset(). */
void	 sync_set_base(struct sync *s, const struct nb_doc *doc);
/* That copy (borrowed; NULL if none), for the cells of a document read
 * in pages (tui/app-load.c) to be appended to it as they come: they are
 * of the same version. */
struct nb_doc *sync_base(struct sync *s);
/* A number of this client's own (random), for the tags of its edits. */
void	 sync_set_client(struct sync *s, uint64_t id);
/* The tag to send with the doc.edit in flight (doc.edit's "edit"), ""
 * if none is in flight. Borrowed until the next sync_take_send(). */
#define SYNC_TAG_MAX	40
const char *sync_inflight_tag(const struct sync *s);
/* How many local ops the kernel has not acknowledged. */
size_t	 sync_unsent(const struct sync *s);
/* The connection broke and came back: the kernel's doc is now kdoc at
 * version, and applied says whether it has the edit that was in flight
 * (session.open's edit_applied). The ops the kernel has not got are
 * rebased onto kdoc and buffered (sent next, as new), and *ops (the
 * caller's: ot_op_fini() each, then free()) gets the kernel's changes
 * transformed to apply to the local doc, in order; the history is
 * rebased over them. With keep (the local doc, when the user wrote it to
 * the file meanwhile) the local doc is kept as it is: what is buffered
 * is then the ops from kdoc to keep, and *n is 0. False (nothing
 * changed) without a base (sync_set_base()). */
bool	 sync_rejoin(struct sync *s, const struct nb_doc *kdoc,
	     uint64_t version, bool applied, const struct nb_doc *keep,
	     struct ot_op **ops, size_t *n);
/* op (a copy is kept) was applied to the local doc: queue it. */
void	 sync_local(struct sync *s, const struct ot_op *op);
/* If nothing is in flight and ops are buffered, moves them in flight and
 * returns how many (*ops borrowed until the ack; *version is what to send
 * with them); else 0. */
size_t	 sync_take_send(struct sync *s, const struct ot_op **ops,
	     uint64_t *version);
bool	 sync_in_flight(const struct sync *s);
/* True if ops are in flight or buffered (edits the kernel has not
 * acknowledged). */
bool	 sync_pending(const struct sync *s);
/* The kernel accepted the in-flight ops; the doc is at version. */
void	 sync_ack(struct sync *s, uint64_t version);
/* True if a doc.ops batch of n ops that took the kernel to version was
 * accepted after an edit of ours the kernel acknowledged at ack_version
 * (so the ack must be handled before it). */
bool	 sync_after_ack(uint64_t version, size_t n, uint64_t ack_version);
/* The kernel's ops ops[0..*n) took it to version. Transforms them against
 * the ops it has not acknowledged (and those against them): on return
 * ops[0..*n) are what to apply to the local doc, in order (no-ops
 * removed). The history is rebased over them too. */
void	 sync_remote(struct sync *s, struct ot_op *ops, size_t *n,
	     uint64_t version);

/* Inverse of op on doc (the state before op is applied): the ops that undo
 * it, in order, into out[0..max); returns how many (0 if op does not apply
 * to doc). Undoing a delete re-inserts the cell with its id, kind, source
 * and metadata. */
size_t	 sync_invert(const struct nb_doc *doc, const struct ot_op *op,
	     struct ot_op *out, size_t max);

/* Undo history. A group is what one undo step reverts. */
enum sync_group {
	SYNC_G_TYPE,		/* typing: merges with the group before */
	SYNC_G_DELETE,		/* backspace/delete: merges likewise */
	SYNC_G_OTHER,		/* a change of its own */
};
/* Records inv[0..n) (taken), the inverse of a change just made, with the
 * cell and editor offset to go back to. Merges into the last group when
 * kind is TYPE or DELETE, the same as the last one, in the same cell,
 * within 2 s (now_ms) and no sync_break() since. Clears the redo list. */
void	 sync_push(struct sync *s, struct ot_op *inv, size_t n,
	     enum sync_group kind, const char *cell, size_t offset,
	     int64_t now_ms);
/* Ends the current group (cursor moved, mode changed). */
void	 sync_break(struct sync *s);
/* Pops the last undo (redo: the last undone) group: *ops gets its ops to
 * apply in order (the caller's: ot_op_fini each and free the array),
 * *n their count, cell and *offset where the cursor goes. Returns false
 * when there is nothing to undo (redo). The caller applies them with
 * sync_apply_history() so that their inverses land on the other list. */
bool	 sync_undo(struct sync *s, struct ot_op **ops, size_t *n,
	     char cell[NB_ID_MAX + 1], size_t *offset);
bool	 sync_redo(struct sync *s, struct ot_op **ops, size_t *n,
	     char cell[NB_ID_MAX + 1], size_t *offset);
/* Records inv[0..n) (taken) as one group on the redo list (when undoing)
 * or the undo list (when redoing) without clearing redo. inv is in the
 * order its ops apply: build it with sync_inv_prepend() as each op of
 * the group is applied. */
void	 sync_push_redo(struct sync *s, struct ot_op *inv, size_t n,
	     const char *cell, size_t offset);
void	 sync_push_undo_keep(struct sync *s, struct ot_op *inv, size_t n,
	     const char *cell, size_t offset);
/* Puts inv[0..k) before (*arr)[0..*n) (the newest change is undone
 * first); takes the ops, not the inv array. */
void	 sync_inv_prepend(struct ot_op **arr, size_t *n, struct ot_op *inv,
	     size_t k);
size_t	 sync_undo_depth(const struct sync *s);
size_t	 sync_redo_depth(const struct sync *s);

/* A text op on cell id replacing del bytes at pos of a source len bytes
 * long with ins[0..n). */
void	 sync_text_op(struct ot_op *op, const char *id, size_t len, size_t pos,
	     size_t del, const char *ins, size_t n);

#endif

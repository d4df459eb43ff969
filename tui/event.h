/*
 * event.h - what the kernel sends the TUI, decoded in one place: each
 * notification of docs/protocol.md as a typed event (a tagged struct per
 * kind), and the replies the TUI reads (the document of session.open and
 * doc.get, the doc.edit acknowledgement, cell.outputs, doc.save,
 * session.list) as typed structs. Outputs come out as the view's struct
 * view_output. Pure: msgpack objects from client/client.h in, structs out;
 * no I/O. A required field that is missing or of the wrong type is a
 * GL_EPROTO naming the method and the field, never a crash; optional
 * fields of the wrong type read as absent. cluster.status answers are
 * read by tui/cluview.c. Used by tui/app-kernel.c (and app-edit.c,
 * app-file.c, app-status.c for what they read) and bench/bench_tui.c.
 */
#ifndef GL_TUI_EVENT_H
#define GL_TUI_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <msgpack.h>

#include "core/notebook.h"
#include "tui/view.h"

struct gl_err;
struct ot_op;
struct rpc_msg;

enum event_kind {
	EVENT_NONE,		/* a method the TUI does not handle */
	EVENT_REFUSED,		/* kernel.refused: we are being dropped */
	EVENT_KERNEL_STOPPING,	/* kernel.stopping: stopped on purpose
				 * (message: why) */
	EVENT_CELL_STARTED,
	EVENT_CELL_OUTPUT,
	EVENT_CELL_DONE,
	EVENT_RUNTIME_STATUS,
	EVENT_CLUSTER_PROGRESS,
	EVENT_DOC_OPS,		/* another client's edits */
	EVENT_DOC_SAVED,
	EVENT_DOC_CHANGED,	/* the file changed on disk (message) */
	EVENT_COMPLETION,	/* cell.completion: an answer to
				 * cell.complete */
	EVENT_INSPECTION,	/* cell.inspection */
	/* The people of a shared session (u.peer; docs/pairing.md) */
	EVENT_PEER_JOINED,	/* session.joined */
	EVENT_PEER_LEFT,	/* session.left */
	EVENT_PEER_CURSOR,	/* doc.cursor: cell (if any), offset, mode */
	EVENT_PEER_SAID,	/* session.said: message is the text */
	EVENT_PEER_ROLE,	/* session.role: a member's role changed */
	EVENT_CELL_QUEUED,	/* cell.queued: someone else's run waits
				 * (u.peer: who) */
	EVENT_DOC_WRITE,	/* doc.write: a notebook the kernel does not
				 * hold the file of was saved: write it */
};

/* Longest member name kept (longer ones are cut). */
#define EVENT_NAME_MAX	63

/* A person in a notification or reply. */
struct event_peer {
	uint64_t	 client;	/* their connection (0: not said) */
	char		 name[EVENT_NAME_MAX + 1];
	char		 role[16];	/* "owner", "editor", "viewer"; "" */
	int		 color;		/* the kernel's colour index; -1 */
	int64_t		 offset;	/* CURSOR: byte in the cell's source */
	bool		 insert;	/* CURSOR: in insert mode */
	int64_t		 time_ms;	/* SAID: Unix ms; 0: not said */
};

/* One notification. Strings are NUL-terminated and owned by the event. */
struct event {
	enum event_kind	 kind;
	char		*session;	/* owned; NULL for EVENT_REFUSED and
					 * EVENT_KERNEL_STOPPING */
	bool		 has_cell;	/* cell names a cell (always for
					 * STARTED, OUTPUT, DONE) */
	char		 cell[NB_ID_MAX + 1];
	char		*message;	/* owned, or NULL: REFUSED, DONE,
					 * RUNTIME_STATUS, DOC_CHANGED,
					 * KERNEL_STOPPING, PEER_SAID */
	union {
		/* EVENT_REFUSED: why ("revoked", ...; "" if not said) */
		char		 reason[32];
		/* EVENT_PEER_*; EVENT_CELL_STARTED, EVENT_CELL_QUEUED: who
		 * asked for the run (name "" when not said) */
		struct event_peer peer;
		/* EVENT_DOC_WRITE */
		struct {
			uint64_t	 version;
			char		*text;	/* owned */
			size_t		 len;
		} write;
		/* EVENT_CELL_OUTPUT */
		struct view_output *output;	/* owned until taken */
		/* EVENT_CELL_DONE */
		struct {
			enum gl_run_status run;	/* ok, error, ...; an
						 * unknown status: died */
			int64_t		 elapsed_ms;	/* -1: not said */
			struct view_output *error;	/* owned; the run's
						 * error as an output, or
						 * NULL */
		} done;
		/* EVENT_RUNTIME_STATUS */
		char		 state[32];	/* "idle", "busy", "dead", ...
						 * ("" if not said) */
		/* EVENT_CLUSTER_PROGRESS: a VIEW_OUT_PROGRESS */
		struct view_output *progress;	/* owned until taken */
		/* EVENT_DOC_OPS */
		struct {
			uint64_t	 version;
			struct ot_op	*ops;	/* owned */
			size_t		 n;
		} ops;
		/* EVENT_DOC_CHANGED */
		struct {
			char		 how[16];	/* "reloaded", "merged",
						 * "unreadable", ... */
			int64_t		 conflicts;	/* conflict cells */
			int		 dirty;	/* 1, 0, or -1: not said */
		} changed;
		/* EVENT_COMPLETION (message: its note, or NULL) */
		struct {
			uint64_t	 request;
			size_t		 start, end;	/* bytes replaced */
			char		**text;	/* owned, n of them */
			char		**kind;	/* owned, n of them */
			size_t		 n;
			bool		 notebook; /* not from the runtime */
		} completion;
		/* EVENT_INSPECTION (message: why nothing was found) */
		struct {
			uint64_t	 request;
			bool		 found;
			char		*name, *type;	/* owned, or NULL */
			char		*summary, *doc;	/* owned, or NULL */
		} inspection;
	} u;
};

/* Decodes notification m into *ev (initialised here; event_fini() it,
 * also on failure). A method the TUI does not handle gives EVENT_NONE and
 * 0. On GL_EPROTO, err says what was wrong and ev->kind still says which
 * kind the message was. */
int	 event_decode(const struct rpc_msg *m, struct event *ev,
	     struct gl_err *err);
void	 event_fini(struct event *ev);

/* A cell's outputs and state as a reply carries them. */
struct event_cell {
	char		 id[NB_ID_MAX + 1];
	struct view_output **out;	/* owned (each entry too, until
					 * taken: set it to NULL) */
	size_t		 nout;
	bool		 stale;
	bool		 running;	/* a run of it is under way */
};

/* The reply to session.open or doc.get. Its cells' outputs and state
 * are read one cell at a time (event_doc_cell()), so a large notebook is
 * not held twice: the struct borrows the reply's cells until
 * rpc_msg_fini(). */
struct event_doc {
	char		*session;	/* owned; NULL in a doc.get reply */
	struct nb_doc	*doc;		/* owned until taken */
	uint64_t	 version;
	int		 dirty;		/* 1, 0, or -1: not said */
	char		*warning;	/* owned: the warnings ("; " between),
					 * or NULL */
	int64_t		 recovered;	/* journaled edits recovered */
	int		 edit_applied;	/* the edit asked about: 1, 0, or -1:
					 * not said */
	uint64_t	 client;	/* our connection; 0: not said */
	char		 role[16];	/* ours: "owner", ...; "" */
	char		 member[EVENT_NAME_MAX + 1];	/* our name; "" */
	const msgpack_object *cells;	/* borrowed: the reply's cells */
	size_t		 ncells;
};

/* Decodes a session.open / doc.get result into *out (initialised here;
 * event_doc_fini() it, also on failure). GL_EPROTO if it has no usable
 * cells array or no version. */
int	 event_doc_decode(const msgpack_object *result, struct event_doc *out,
	     struct gl_err *err);
void	 event_doc_fini(struct event_doc *d);
/* The outputs and state of cell k < d->ncells into *c (initialised here;
 * event_cell_fini() it): 1, or 0 for a cell without an id (skip it). */
int	 event_doc_cell(const struct event_doc *d, size_t k,
	     struct event_cell *c);

/* Builds a doc from the cells of a session.open / doc.get reply (an
 * array of {id, kind, header, title, meta, source}). The header cell is
 * rebuilt as such. *out is the caller's. GL_EPROTO if cells is not that
 * shape. */
int	 event_doc_from_cells(const msgpack_object *cells, struct nb_doc **out,
	     struct gl_err *err);
/* Appends the cells of a doc.cells page (the same shape, no header cell)
 * to doc, at its end, without printing and parsing them. Fails as
 * nb_doc_insert() does (GL_EEXIST: an id doc has already), or GL_EPROTO;
 * the cells before the one that failed stay appended. */
int	 event_doc_append_cells(const msgpack_object *cells,
	     struct nb_doc *doc, struct gl_err *err);

/* The version a doc.edit acknowledgement took the document to. GL_EPROTO
 * without one. */
int	 event_ack_decode(const msgpack_object *result, uint64_t *version,
	     struct gl_err *err);
/* A cell.outputs result ({outputs, stale}) into *out (initialised here;
 * event_cell_fini() it, also on failure); out->id stays empty. GL_EPROTO
 * without an outputs array. */
int	 event_outputs_decode(const msgpack_object *result,
	     struct event_cell *out, struct gl_err *err);
void	 event_cell_fini(struct event_cell *c);
/* Bytes written, from a doc.save result (0 if not said). */
int64_t	 event_save_bytes(const msgpack_object *result);
/* Clients attached to session, from a session.list result: 1 and *n
 * set, or 0 if the list does not name it. */
int	 event_members(const msgpack_object *result, const char *session,
	     int *n);

/* A member as session.members or kernel.members lists it. */
struct event_member {
	struct event_peer p;		/* client 0 for kernel.members */
	char		 cell[NB_ID_MAX + 1];	/* where they are, or "" */
	char		 activity[64];	/* "editing a", "running b", "idle" */
	char		 expires[32];	/* kernel.members: when the token
					 * expires, or "" */
	int		 connected;	/* kernel.members: connections; -1 */
};

/* A session.members or kernel.members result (an array of maps) into
 * *out (caller frees) and *n. Entries without a name are skipped.
 * GL_EPROTO if the result is not an array. */
int	 event_members_decode(const msgpack_object *result,
	     struct event_member **out, size_t *n, struct gl_err *err);

/* A session.share result: the invite string and for whom. */
struct event_invite {
	char		*invite;	/* owned */
	char		 name[EVENT_NAME_MAX + 1];
	char		 role[16];
	char		 expires[32];	/* "" if it does not expire */
	bool		 local;		/* for the kernel's own user on this
					 * machine (a kernel without TCP) */
};

/* Decodes a session.share result into *out (event_invite_fini() it, also
 * on failure). GL_EPROTO without an invite string. */
int	 event_invite_decode(const msgpack_object *result,
	     struct event_invite *out, struct gl_err *err);
void	 event_invite_fini(struct event_invite *iv);

/* A kernel output map ({type: "stream", text, ...}; docs/protocol.md)
 * as the view shows it, or NULL if o is not a map. Types the TUI does not
 * draw become VIEW_OUT_OTHER with their text. Caller frees. */
struct view_output *event_output(const msgpack_object *o);

/* The "warnings" of an answer (plugins' hooks, the kernel's notes)
 * joined by "; ", or NULL when it has none. Caller frees. */
char	*event_warnings(const msgpack_object *result);

#endif

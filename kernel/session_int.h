/*
 * session_int.h - what the session family's files share (kernel/session.c:
 * the set of sessions, their lifecycle and clients; session-doc.c: the
 * document, edits, journal and save; session-run.c: the run queue and the
 * runtime; session-out.c: the outputs): the session structures and the
 * calls between the files. Not for use outside the session*.c files.
 */
#ifndef GL_SESSION_INT_H
#define GL_SESSION_INT_H

#include <msgpack.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/mem.h"
#include "core/notebook.h"
#include "core/rpc.h"
#include "core/run.h"
#include "core/util.h"
#include "kernel/session.h"

struct nb_cell;
struct ot_op;
struct req;
struct req_client;
struct rth;
struct store;

#define SESS_HIST_MAX	4096		/* accepted ops kept for OT */
#define SESS_OUT_MAX	((size_t)1 << 20)	/* output bytes kept per cell */
/* Ends the kept outputs of a cell that printed more; also how a reload
 * knows they were truncated. */
#define SESS_TRUNC_NOTE	"\n[galley: output truncated; only the first 1 MiB " \
			"is kept]\n"

/* One kept output: its bytes, as clients and the store get them. */
struct sess_out_item {
	bool		 stream;
	uint64_t	 progress;	/* a progress output: its job; else 0 */
	char		 name[8];	/* stream: "stdout" or "stderr" */
	size_t		 text;		/* stream: bytes of text, the str 32
					 * that ends data */
	struct gl_buf	 data;		/* the output's map, encoded */
};

struct sess_cell_out {
	char		 id[NB_ID_MAX + 1];
	char		 hash[GL_HASH_HEX];	/* of the source; "" = none */
	struct sess_out_item *items;	/* owned */
	size_t		 n, cap;
	size_t		 bytes;
	bool		 truncated;
};

struct sess_run {
	uint64_t	 id;
	uint64_t	 batch;		/* the cell.run request */
	char		 cell[NB_ID_MAX + 1];
	char		 hash[GL_HASH_HEX];
	uint64_t	 t0;		/* uv_hrtime() at start */
	bool		 code;		/* ran in the runtime */
	struct sess_run	*next;
};

struct sess_set {
	struct sess_host host;
	struct sess	**sessions;	/* owned */
	size_t		 nsessions, capsessions;
	struct store	**stores;	/* counted: one per project */
	size_t		 nstores, capstores;
	uint64_t	 next_sess;
	struct rpc_writer note;		/* scratch for notifications */
};

struct sess {
	struct sess_set	*set;		/* borrowed: the set it is in */
	char		 id[24];
	char		*path;		/* owned; absolute, or NULL */
	char		*key;		/* owned; store key (project path) */
	char		*dir;		/* owned; the runtime's cwd */
	char		*chunk;		/* owned; "@name.nb.lua" */
	bool		 ephemeral;
	bool		 closing;
	struct req_client *owner;	/* borrowed; ephemeral only */
	struct nb_doc	*doc;		/* owned */
	uint64_t	 version;
	uint64_t	 saved_version;
	struct ot_op	*hist;		/* owned */
	size_t		 nhist, caphist;
	uint64_t	 hist_base;
	char		 base_hash[GL_HASH_HEX];
	bool		 on_disk;	/* the file existed when last read */
	bool		 need_snapshot;
	struct store	*store;		/* counted; NULL if ephemeral */
	struct req_client **clients;	/* borrowed */
	size_t		 nclients, capclients;
	struct rth	*rt;		/* owned; NULL until the first run */
	struct sess_run	*cur;		/* owned: the running run */
	struct sess_run	*qhead, *qtail;	/* owned: queued runs */
	uint64_t	 next_run, next_batch;
	struct sess_cell_out *outs;	/* owned */
	size_t		 nouts, capouts;
	bool		 pumping;
};

struct sess_replay {
	struct sess	*s;
	struct nb_doc	*doc;
	size_t		 applied;
	bool		 snapshot;
	struct gl_err	 err;		/* the first failure */
	bool		 failed;	/* some row could not be applied */
	bool		 broken;	/* ... and no snapshot came after it */
};

/* session.c */

/* The session r names (args.session); with attached, r's client must be
 * attached to it. NULL with err (GL_EINVAL, GL_ENOTFOUND, GL_EPERM). */
struct sess *sess_get(struct sess_set *ss, struct req *r,
	     bool attached, struct gl_err *err);
/* Begins a notification in the set's scratch writer (reset first); the
 * caller packs the args map, then sess_broadcast() sends it. */
msgpack_packer *sess_note_begin(struct sess_set *ss,
	     const char *method);
/* Sends the scratch notification to the clients of s but except. */
void	 sess_broadcast(struct sess *s, struct req_client *except);
/* Tells the host that runs or clients changed. */
void	 sess_activity(struct sess_set *ss);

/* session-doc.c */

/* store_journal_load() callback: applies one journal row to the
 * struct sess_replay ctx. */
int	 sess_replay_one(void *ctx, const void *op, size_t len);
/* The cells of s as doc.get gives them. */
void	 sess_pack_cells(struct sess *s, msgpack_packer *pk);

/* session-run.c */

/* The state of s's runtime ("idle", ...); "none" before the first run. */
const char *sess_runtime_state(const struct sess *s);

/* session-out.c */

/* An output of run, if it is the running run: broadcast as cell.output
 * and kept. p[0..n) is o's encoding, passed on as it is; NULL for an
 * output the kernel made, which is encoded here, once. */
void	 sess_out_put(struct sess *s, uint64_t run,
	     const msgpack_object *o, const char *p, size_t n);

/* The kept outputs of cell id; if it has none, a new empty entry with
 * create, else NULL. Borrowed until the session's outputs change. */
struct sess_cell_out *sess_outs(struct sess *s, const char *id,
	     bool create);
/* Forgets what co holds. */
void	 sess_outs_clear(struct sess_cell_out *co);
/* Keeps a copy of output o, p[0..n) its bytes, unless the cell's cap is
 * reached (then marks the outputs truncated). */
void	 sess_outs_add(struct sess_cell_out *co,
	     const msgpack_object *o, const char *p, size_t n);
/* Keeps p[0..n), an output that is neither a stream nor progress. */
void	 sess_outs_put(struct sess_cell_out *co, const char *p, size_t n);
/* Appends a note (stderr) to the outputs whatever the cap. */
void	 sess_outs_note(struct sess_cell_out *co, const char *text);
/* A run's error the kernel made, {type = "error", message}, into b. */
void	 sess_error_output(struct gl_buf *b, const char *message);
/* Writes the outputs of co to the store (file sessions). */
void	 sess_outs_store(struct sess *s,
	     const struct sess_cell_out *co);
/* store_outputs_load() callback: one stored output of session ctx. */
int	 sess_load_output(void *ctx, const char *cell_id,
	     const char *source_hash, const void *out, size_t len);
/* The outputs of co (NULL: none) as an array. */
void	 sess_pack_outputs(msgpack_packer *pk,
	     const struct sess_cell_out *co);
/* True if the outputs came from another source than c's. */
bool	 sess_cell_stale(const struct sess_cell_out *co,
	     const struct nb_cell *c);

#endif

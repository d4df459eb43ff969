/*
 * session_int.h - what the session family's files share (kernel/session.c:
 * the set of sessions, their lifecycle and clients; session-doc.c: the
 * document, edits, journal and save; session-run.c: the run queue and the
 * runtime; session-out.c: the outputs; session-git.c and session-review.c:
 * the notebook's repository): the session structures and the calls
 * between the files. Not for use outside the session*.c files.
 */
#ifndef GL_SESSION_INT_H
#define GL_SESSION_INT_H

#include <msgpack.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/map.h"
#include "core/mem.h"
#include "core/notebook.h"
#include "core/rpc.h"
#include "core/run.h"
#include "core/util.h"
#include "kernel/session.h"

struct nb_cell;
struct ot_op;
struct plg_result;
struct repo;
struct req;
struct req_client;
struct rth;
struct sess_watch;
struct store;

#define SESS_HIST_MAX	4096		/* accepted ops kept for OT */
#define SESS_TAGS	64		/* clients' edit tags remembered */
#define SESS_TAG_MAX	64		/* bytes of one */
#define SESS_OUT_MAX	((size_t)1 << 20)	/* output bytes kept per cell */
#define SESS_NAME_MAX	63		/* bytes of a member's name kept */
#define SESS_SAY_MAX	2000		/* bytes of one session.say */
#define SESS_PAGE_MAX	((size_t)8 << 20)	/* cells' bytes in one reply */
#define SESS_CELL_PACKED 128		/* a packed cell's bytes besides its
					 * source, title, metadata, outputs */
/* How the note that ends the kept outputs of a cell that printed more
 * begins ("...; the full output is in FILE]"); also how a reload knows
 * they were truncated. */
#define SESS_TRUNC_PREFIX "\n[galley: output truncated"

/* One kept output: its bytes, as clients and the store get them. */
struct sess_out_item {
	bool		 stream;
	uint64_t	 progress;	/* a progress output: its job; else 0 */
	char		 name[8];	/* stream: "stdout" or "stderr" */
	size_t		 text;		/* stream: bytes of text, the str 32
					 * that ends data */
	struct gl_buf	 data;		/* the output's map, encoded */
};

/* The full output of a run past the cap, written to a file as it comes
 * (session-out.c). */
struct sess_spill {
	int		 fd;		/* -1 once closed or failed */
	char		*path;		/* owned */
	char		 err[128];	/* why writing failed, or "" */
};

struct sess_cell_out {
	char		 id[NB_ID_MAX + 1];
	char		 hash[GL_HASH_HEX];	/* of the source; "" = none */
	struct sess_out_item *items;	/* owned */
	size_t		 n, cap;
	size_t		 bytes;
	bool		 truncated;
	struct sess_spill *spill;	/* owned: the running run's, or NULL */
};

struct sess_run {
	uint64_t	 id;
	uint64_t	 batch;		/* the cell.run request */
	char		 cell[NB_ID_MAX + 1];
	char		 by[SESS_NAME_MAX + 1];	/* the member who asked */
	uint64_t	 by_client;	/* and their client's id */
	char		 hash[GL_HASH_HEX];
	uint64_t	 t0;		/* uv_hrtime() at start */
	bool		 code;		/* ran in the runtime */
	struct sess_run	*next;
};

/* A client attached to a session, as the others see it (presence,
 * kernel/session-pair.c). */
struct sess_peer {
	struct req_client *c;		/* borrowed: attached */
	int		 color;		/* 1, 2, ...: the same for every
					 * client of one member */
	char		 cell[NB_ID_MAX + 1];	/* its cursor; "" none yet */
	int64_t		 offset;
	bool		 insert;	/* its mode: insert (else normal) */
};

/* A cell.complete or cell.inspect the runtime is answering. */
#define SESS_ASKS_MAX	8
struct sess_ask {
	uint32_t	 rt_id;		/* the runtime request's id */
	uint64_t	 request;	/* the client's request number */
	uint64_t	 client;	/* who asked (req_client id) */
	bool		 inspect;
	char		*code;		/* owned: for an answer from the
					 * notebook if the runtime fails */
	size_t		 len, cursor;
};

/* A doc.edit applied in this loop turn, answered once the journal's
 * transaction commits (session-doc.c, group commit). */
struct sess_ack {
	struct sess	*s;		/* borrowed: flushed before it closes */
	struct req_client *client;	/* borrowed: flushed before it goes */
	uint32_t	 req;		/* the request's id */
	uint64_t	 version;	/* the version to answer */
	size_t		 nops;		/* ops to send as doc.ops */
	size_t		 off, len;	/* their bytes in sess_set.ack_bytes */
	char		 tag[SESS_TAG_MAX + 1];
	size_t		 taglen;	/* 0: no tag */
};

struct sess_set {
	struct sess_host host;
	struct sess	**sessions;	/* owned */
	size_t		 nsessions, capsessions;
	struct store	**stores;	/* counted: one per project */
	size_t		 nstores, capstores;
	uint64_t	 next_sess;
	struct rpc_writer note;		/* scratch for notifications */
	bool		 git_held;	/* libgit2 kept set up (session-git.c) */
	/* Group commit (session-doc.c): the edits of one loop turn are
	 * journaled in one transaction per store, answered and sent to the
	 * other clients when the check handle commits it at the turn's
	 * end, or sooner, before any other request. */
	uv_check_t	 batch_check;
	bool		 batch_check_on;	/* initialized */
	bool		 batch_check_closed;
	struct sess_ack	*acks;		/* owned; in arrival order */
	size_t		 nacks, capacks;
	msgpack_sbuffer	 ack_bytes;	/* the acks' encoded ops */
};

struct sess {
	struct sess_set	*set;		/* borrowed: the set it is in */
	char		 id[24];
	char		*path;		/* owned; absolute, or NULL */
	char		*key;		/* owned; store key (path in the
					 * project, or absolute) */
	char		*project;	/* owned; project directory, or NULL */
	char		*dir;		/* owned; the runtime's cwd */
	char		*chunk;		/* owned; "@name.nb.lua" */
	bool		 ephemeral;
	bool		 client_file;	/* the file is the client's: path is
					 * its label; a save sends the text
					 * back (session.open client_file) */
	char		*member;	/* owned; client_file: whose it is */
	bool		 closing;
	struct req_client *owner;	/* borrowed; ephemeral only */
	struct nb_doc	*doc;		/* owned */
	uint64_t	 version;
	uint64_t	 saved_version;
	struct ot_op	*hist;		/* owned */
	size_t		 nhist, caphist;
	uint64_t	 hist_base;
	char		 base_hash[GL_HASH_HEX];
	char		*base_text;	/* owned: the file's bytes when last
					 * read or written (what unsaved
					 * edits apply to), or NULL */
	size_t		 base_len;
	bool		 on_disk;	/* the file existed when last read */
	char		 disk_seen[GL_HASH_HEX];	/* a file on disk
					 * already reported as not loaded */
	struct sess_watch *watch;	/* owned (frees itself once closed) */
	/* The tags of the last edits applied (doc.edit's "edit"; one per
	 * tag prefix, see sess_tag_push()), so a client that lost the
	 * answer can ask (session.open's "edit"). */
	char		 tags[SESS_TAGS][SESS_TAG_MAX + 1];
	size_t		 ntags;		/* tags pushed, ever */
	bool		 need_base;	/* the next edit journals a base row */
	bool		 need_snapshot;	/* ... a snapshot row */
	/* In a group commit (session-doc.c): what to go back to if the
	 * journal's commit fails. */
	bool		 in_batch;
	bool		 batch_failed;	/* its store's commit failed */
	struct nb_doc	*batch_doc;	/* owned: the document before */
	uint64_t	 batch_version;
	bool		 batch_need_base, batch_need_snapshot;
	struct store	*store;		/* counted; NULL if ephemeral */
	struct req_client **clients;	/* borrowed */
	size_t		 nclients, capclients;
	struct sess_peer *peers;	/* owned: one per attached client */
	size_t		 npeers, cappeers;
	struct rth	*rt;		/* owned; NULL until the first run */
	struct sess_run	*cur;		/* owned: the running run */
	struct sess_run	*shead, *stail;	/* owned: runs of cur's batch sent
					 * to the runtime behind it, in
					 * order (ephemeral sessions) */
	struct sess_run	*qhead, *qtail;	/* owned: queued runs */
	uint64_t	 next_run, next_batch;
	struct sess_cell_out **outs;	/* owned, each */
	size_t		 nouts, capouts;
	struct gl_map	 outs_by_id;	/* of outs, by their id */
	bool		 pumping;
	bool		 corked;	/* the clients are corked while a read
					 * of the runtime's messages is
					 * handled (sess_on_io) */
	bool		 held;		/* a client is held: the runtime is
					 * not read (sess_flow()) */
	char		*hook_project;	/* owned: the project whose plugins
					 * serve it (session-plugins.c) */
	bool		 hook_project_known;
	/* cell.complete and cell.inspect (session-complete.c) */
	struct sess_ask	 asks[SESS_ASKS_MAX];	/* the oldest first */
	size_t		 nasks;
	uint64_t	 next_ask;
};

struct sess_replay {
	struct sess	*s;
	struct nb_doc	*doc;		/* NULL: no base yet */
	size_t		 applied;
	size_t		 rows;
	bool		 snapshot;
	char		*base;		/* owned: the first base row's text */
	size_t		 base_len;
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
/* The same for a notification whose last value, tail[0..n), was not
 * packed: it follows the scratch's bytes, uncopied. */
void	 sess_broadcast_tail(struct sess *s, const void *tail, size_t n);
/* Tells the host that runs or clients changed. */
void	 sess_activity(struct sess_set *ss);
/* Holds s's runtime while one of its clients is held, and lets it go
 * once none is. */
void	 sess_flow(struct sess *s);

/* session-doc.c */

/* The cells of s as doc.get gives them. */
/* Frees what a batch holds of s (sess_free). */
void	 sess_batch_forget(struct sess *s);
/* Remembers edit tag tag[0..len) as applied; true if tag is. */
void	 sess_tag_push(struct sess *s, const char *tag, size_t len);
bool	 sess_tag_known(const struct sess *s, const char *tag, size_t len);
/* Packs an {t = "edit", edit} journal row for each remembered tag. */
size_t	 sess_pack_tag_rows(const struct sess *s, msgpack_packer *pk,
	     size_t *offs);
/* Accepts ops[0..n) (taken, with the array) that the kernel made itself
 * (already applied: s->doc is the result): into the history, the version
 * moves on, and clients get them as doc.ops from client 0. */
void	 sess_doc_ops_take(struct sess *s, struct ot_op *ops, size_t n);
/* Packs "cells": cells [from, end) and, if the doc has more, "next":
 * end (two keys then, else one). */
void	 sess_pack_cells(struct sess *s, msgpack_packer *pk, size_t from,
	     size_t end);
/* The end of the page of cells that begins at index from (see
 * session-doc.c): what one reply carries. */
size_t	 sess_cells_page(struct sess *s, size_t from);
/* Applies ops the kernel made (on s's current version; taken) as a
 * doc.edit: all or nothing, journaled, sent to every client as doc.ops
 * from client 0. */
int	 sess_doc_apply(struct sess *s, struct ot_op *ops, size_t n,
	     struct gl_err *err);

/* session-git.c (the git.* methods) and session-review.c (review.*) */

/* The repository holding what r names: args.session (the notebook of a
 * session r's client is attached to; *sp gets it) or args.path (a file
 * or directory; relative to the kernel's working directory), else the
 * kernel's working directory. *rp is the caller's to repo_free(); *dir
 * (caller frees) is the path searched from, absolute. GL_ENOTFOUND when
 * it is in no repository. */
int	 sess_git_repo(struct sess_set *ss, struct req *r, struct repo **rp,
	     struct sess **sp, char **dir, struct gl_err *err);
/* Lets libgit2 go (the set is ending); sess_git_repo() held it. */
void	 sess_git_release(struct sess_set *ss);
/* path (absolute) relative to the repository's work tree, or NULL if it
 * is outside it. Caller frees. */
char	*sess_git_relpath(struct repo *rp, const char *path);

/* session-file.c */

/* Replays file session s's journal onto s->doc (just parsed from the
 * file whose hash is s->base_hash), merging by cell the unsaved edits
 * made on another version of the file; sets s->version and what the
 * next edit journals first. Up to 3 warnings are added at
 * warnings[*nwarn] (the caller frees them); *recovered counts the edits
 * recovered. GL_E* only if the store cannot be read or written. */
int	 sess_file_recover(struct sess *s, char **warnings, size_t *nwarn,
	     size_t *recovered, struct gl_err *err);
/* Starts watching s's file (a file session), or stops: see
 * session-file.c. */
void	 sess_file_watch(struct sess *s);
void	 sess_file_unwatch(struct sess *s);
/* Applies one journal row to the struct sess_replay ctx. */
int	 sess_replay_one(void *ctx, const void *op, size_t len);
/* The three-way merge by cell of the unsaved document and the document
 * on disk, both descended from the file text base[0..base_len): *out
 * (the caller's) keeps the disk's bytes where it can; *conflicts counts
 * conflict cells. GL_ESYNTAX if they could only be merged by lines. */
int	 sess_merge_docs(struct sess *s, const char *base, size_t base_len,
	     const struct nb_doc *disk, const struct nb_doc *unsaved,
	     struct nb_doc **out, size_t *conflicts, struct gl_err *err);
/* Packs a {t, text} journal row of doc ("base" or "snapshot"). */
void	 sess_pack_doc_row(msgpack_packer *pk, const char *t,
	     const struct nb_doc *doc);

/* session-run.c */

/* The state of s's runtime ("idle", ...); "none" before the first run. */
const char *sess_runtime_state(const struct sess *s);

/* session-plugins.c: the plugin hooks of a session's actions. Each
 * returns 0 to go on, or GL_EPERM with err holding the refusal; res (the
 * caller's to plg_result_fini()) gets the warnings. */

/* on_join, before r's client joins s (NULL: a session about to open
 * path, which may be NULL). */
int	 sess_hook_join(struct sess_set *ss, struct sess *s,
	     const char *path, struct req *r, struct plg_result *res,
	     struct gl_err *err);
/* What on_review_comment sees of a comment or a reply (NULL: absent). */
struct sess_comment_ev {
	const char	*review, *path, *cell, *body, *author;
	unsigned	 line0, line1;
};
/* on_review_comment, before a comment or reply of r is recorded in the
 * repository searched from dir (the project's plugins decide). */
int	 sess_hook_review_comment(struct sess_set *ss, struct req *r,
	     const char *dir, const struct sess_comment_ev *c,
	     struct plg_result *res, struct gl_err *err);
/* before_save, with the text about to be written. */
int	 sess_hook_save(struct sess *s, struct req *r, const char *text,
	     size_t len, struct plg_result *res, struct gl_err *err);
/* before_run, for cell (cell.run, before anything is queued). */
int	 sess_hook_run(struct sess *s, struct req *r, const char *cell,
	     struct plg_result *res, struct gl_err *err);
/* after_run, as run (still the running one) ends with status ("ok",
 * "error", ...) and message: warnings become stderr outputs of run. */
void	 sess_hook_after_run(struct sess *s, const struct sess_run *run,
	     const char *status, const char *message);
/* Packs "warnings": [...] of res if it has any (a reply's map counts
 * one more entry then), else nothing. */
void	 sess_pack_warnings(msgpack_packer *pk, const struct plg_result *res);
/* res's warnings with copies of more[0..nmore) after them, and their
 * count: for a reply's warnings. Borrowed from res. */
char	**sess_hook_warnings(struct plg_result *res, char **more,
	     size_t nmore, size_t *n);

/* session-pair.c: who is in a session and what they do. */

/* c was attached to s: it gets a colour, the others session.joined. */
void	 sess_peer_join(struct sess *s, struct req_client *c);
/* c was detached from s: the others get session.left. */
void	 sess_peer_leave(struct sess *s, struct req_client *c);
/* Frees what s keeps about its peers. */
void	 sess_peers_free(struct sess *s);
/* The "activity" of c in s: "running CELL", "editing CELL" or "idle",
 * into buf. */
void	 sess_peer_activity(const struct sess *s, const struct req_client *c,
	     char *buf, size_t len);

/* session-complete.c */

/* The runtime's answer m to a request of s's (rth's on_reply). */
void	 sess_on_reply(void *ctx, const struct rpc_msg *m);
/* The runtime died or restarts, or s closes: the questions it had are
 * answered from the notebook (close: dropped). */
void	 sess_asks_fail(struct sess *s, bool answer);

/* session-out.c */

/* An output of run, if it is the running run: broadcast as cell.output
 * and kept. p[0..n) is o's encoding, passed on as it is; NULL for an
 * output the kernel made, which is encoded here, once. */
void	 sess_out_put(struct sess *s, uint64_t run,
	     const msgpack_object *o, const char *p, size_t n);

/* The kept outputs of cell id; if it has none, a new empty entry with
 * create, else NULL. Borrowed until the session is freed. */
struct sess_cell_out *sess_outs(struct sess *s, const char *id,
	     bool create);
/* Forgets what co holds. */
void	 sess_outs_clear(struct sess_cell_out *co);
/* Forgets what co holds as a run of its cell starts, and removes the file
 * of the full output of an earlier run. */
void	 sess_outs_reset(struct sess *s, struct sess_cell_out *co);
/* The run that made co's outputs ended: a run whose outputs were cut
 * gets its note ("output truncated at 1 MiB; the full output is in
 * FILE"), and the file is closed. */
void	 sess_outs_end(struct sess_cell_out *co);
/* Keeps a run's error p[0..n) (an error output) as co's last output, and
 * writes it to the full output's file too. */
void	 sess_outs_error(struct sess_cell_out *co, const char *p, size_t n);
/* Removes the files of full outputs of s's cells whose kept outputs do
 * not name them (a cell deleted, or run again by a kernel that was
 * killed before it could). */
void	 sess_outs_sweep(struct sess *s);
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

/*
 * app_int.h - the notebook TUI's state (struct app) and what its files
 * share: tui/app.c (the loop and painting), app-input.c (keys, mouse,
 * paste), app-edit.c (changes to the document: local, remote, undo),
 * app-kernel.c (the connection, requests and notifications), app-file.c
 * (saving, autosave, quitting), app-status.c (the status and message
 * lines), app-cluster.c (the cluster view's requests), app-git.c (the
 * notebook in git), app-review.c (the review mode), app-pair.c (the
 * others in a shared session: cursors, roles, messages), and the command
 * handlers (tui/cmd-*.c). Nothing outside tui/ includes it; the public
 * API is tui/app.h.
 */
#ifndef GL_TUI_APP_INT_H
#define GL_TUI_APP_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/notebook.h"
#include "core/ot.h"
#include "core/rpc.h"
#include "core/util.h"
#include "tui/app.h"
#include "tui/cluview.h"
#include "tui/cmdline.h"
#include "tui/editor.h"
#include "tui/keymap.h"
#include "tui/pair.h"
#include "tui/search.h"
#include "tui/sync.h"
#include "tui/view.h"

struct cl_conn;
struct cmd_entry;
struct cmd_table;
struct draw;
struct event;
struct event_doc;
struct gl_err;
struct input;
struct input_ev;
struct plg_host;
struct rview;
struct view_opts;

#define APP_CALL_MS	10000	/* a request's answer */

/* Search (tui/cmd-search.c): the last pattern and the current match. */
struct app_search {
	struct search	 pat;		/* compiled when have */
	bool		 have;
	bool		 back;		/* last searched with ? */
	bool		 hl;		/* matches highlighted (:noh clears) */
	char		 cell[NB_ID_MAX + 1];	/* the current match; "" */
	size_t		 part, off, len;
	long		 pg_off;	/* the current match in the pager,
					 * or -1 */
	struct gl_buf	 text;		/* scratch: an output's text */
	char		*subst;		/* owned: the last :s, for :s alone */
};

/* A completion or an inspection asked of the kernel, and the menu or
 * the box that shows its answer (tui/app-complete.c). */
struct app_comp {
	uint32_t	 req;		/* the request in flight, or 0 */
	uint64_t	 request;	/* its number, once its reply came */
	bool		 inspect;
	char		 cell[NB_ID_MAX + 1];	/* asked about ("": none) */
	size_t		 cursor;
	char		*before;	/* owned: the source before cursor */
	int64_t		 deadline;
	/* The menu: open while n > 0 */
	char		**items, **kinds;	/* owned */
	size_t		 n;
	long		 sel;		/* -1: none yet */
	size_t		 start;		/* where the word replaced starts */
	/* An inspection's box: shown while ninfo > 0 */
	char		**info;		/* owned */
	size_t		 ninfo;
};

/* A copied cell (yy, x), pasted with p. */
struct app_clip {
	enum nb_kind	 kind;
	char		*source;	/* owned */
	size_t		 len;
	char		**meta;		/* owned: key, json, key, json, ... */
	size_t		 nmeta;
};

/* A suggestion being written in the review mode: one cell of a scratch
 * notebook, edited with tui/editor.c, and the lines it replaces. */
struct app_draft {
	struct nb_doc	*doc;		/* owned; NULL: none */
	struct ed	 ed;
	char		*path, *cell;	/* owned; cell NULL: lines of a file */
	unsigned	 line0, line1;
	bool		 ready;		/* written: waits for its comment */
};

/* What the suggestion editor's commands do (app_review_edit). */
enum app_sg_op {
	APP_SG_MOVE,
	APP_SG_NEWLINE,
	APP_SG_BACKSPACE,
	APP_SG_DELETE,
	APP_SG_DELETE_WORD,
	APP_SG_KILL_LINE,
	APP_SG_INDENT,
};

struct app {
	const struct app_opts *o;
	/* The kernel (app-kernel.c) and the edits in flight (app-edit.c) */
	struct cl_conn	*conn;
	char		*session;	/* owned */
	char		*abspath;	/* owned */
	char		 kernel[128];	/* shown: "local", "tcp:...", "lost",
					 * "stopped" (docs/tui.md) */
	bool		 lost;		/* no connection (edits are kept) */
	bool		 stopped;	/* ... because the kernel was stopped:
					 * no reconnecting until :connect */
	bool		 client_file;	/* the notebook is on this machine and
					 * the kernel (over TCP) holds a copy:
					 * the TUI writes the file (app-file.c) */
	char		 file_hash[GL_HASH_HEX];	/* ... the bytes read or
					 * written last */
	uint64_t	 file_version;	/* ... the version written last */
	bool		 wrote_away;	/* :w! wrote our copy while lost */
	char		 wrote_hash[GL_HASH_HEX];	/* ... these bytes */
	int64_t		 retry_at;
	struct sync	*sync;
	uint32_t	 edit_req;	/* the doc.edit in flight, or 0 */
	bool		 have_ack;	/* its answer came, not yet applied */
	uint64_t	 ackv;
	/* The rest of a document too big for one reply (app-load.c) */
	bool		 loading;	/* pages are still to come */
	size_t		 load_next;	/* ... from this cell index */
	char		 load_show[48];	/* the status line's part */
	uint64_t	 load_version;	/* the pages' version */
	uint32_t	 load_req;	/* the doc.cells in flight, or 0 */
	bool		 load_stale;	/* that version is gone (doc.ops) */
	uint64_t	 load_upto;	/* doc.ops up to this version are in
					 * the document read again */
	/* What is shown */
	struct nb_doc	*doc;
	struct view	*view;
	struct keymap	*km;
	struct cmd_table *cmds;		/* owned: the commands */
	struct plg_host	*plg;		/* owned: the plugins and the
					 * configuration (tui/plugins.c) */
	const char	*plg_status;	/* borrowed from plg: the status
					 * parts' text, or NULL */
	struct input	*input;
	struct view_grid grid;
	struct draw	*draw;
	struct gl_rng	 rng;
	enum keymap_mode mode;
	long		 count;		/* a count typed before a key ("3" of
					 * "3j"), or 0 */
	char		 pend_show[48];	/* the count and pending keys shown */
	struct ed	 ed;		/* valid in KEYMAP_INSERT */
	char		 last_id[NB_ID_MAX + 1];  /* the cell edited last */
	size_t		 last_off;	/* ... and where its cursor was */
	bool		 csel;		/* a cell selection */
	size_t		 csel_anchor;
	bool		 drag;		/* selecting text with the mouse */
	/* The command line */
	struct cmdline	 cl;
	enum keymap_mode cl_return;	/* the mode it was opened from */
	char		 cl_prompt;	/* ':', or '/' '?' for a search */
	struct cmdline	 cl_shist;	/* the searches' history, kept here
					 * while the line holds the
					 * commands' */
	struct app_search srch;
	struct app_comp	 comp;
	/* The pager: the help screen, a cell's outputs, git log, a cell at a
	 * commit, a plugin's view */
	char		*pager;		/* owned */
	char		*pager_title;	/* owned; NULL: "galley help" */
	bool		 pager_plain;	/* plain text, not the help's keys
					 * and headings */
	int		 pager_scroll;
	enum keymap_mode pager_return;
	/* The cluster view (app-cluster.c) */
	struct view_cluster clu;	/* the last cluster.status answer */
	bool		 clu_have;
	char		 clu_note[512];	/* shown instead of the table */
	bool		 clu_nosvc;	/* the kernel has no cluster service */
	uint32_t	 clu_req;	/* the cluster.status in flight, or 0 */
	int64_t		 clu_next;	/* when to ask again */
	int		 clu_scroll;
	enum keymap_mode clu_return;
	/* git (app-git.c) */
	char		 git[96];	/* the status line's git part; "" outside
					 * a repository */
	char		 git_path[256];	/* the notebook's path in it */
	bool		 git_off;	/* the kernel has no git.*: not asked */
	/* The review mode (app-review.c) */
	struct rview	*rv;		/* owned; NULL before :review */
	enum keymap_mode rv_return;	/* the mode it was opened from */
	char		*rv_review;	/* owned: the review's id, or NULL */
	char		*rv_range;	/* owned: its range while it has none */
	char		*rv_dir;	/* owned: where `galley review` ran */
	struct app_draft sg;		/* the suggestion being written */
	/* The others in the session (app-pair.c) */
	struct pair	 pair;
	uint64_t	 follow;	/* :follow: their connection, or 0 */
	uint32_t	 cursor_req;	/* the doc.cursor in flight, or 0 */
	bool		 cursor_sent;	/* ... of this cursor: */
	char		 cursor_cell[NB_ID_MAX + 1];
	size_t		 cursor_off;
	bool		 cursor_ins;
	struct view_person *people;	/* owned: the status line's */
	size_t		 npeople_cap;
	char		**box;		/* owned: lines shown in a box over
					 * the screen until a key (:share's
					 * invite); NULL: none */
	size_t		 nbox;
	/* Clipboards */
	struct app_clip	*clip;		/* owned */
	size_t		 nclip;
	char		*textclip;	/* owned */
	/* State */
	bool		 dirty;
	char		 runtime[32];
	int		 members;
	char		 running[NB_ID_MAX + 1];
	int		 queued;
	char		 msg[512];
	bool		 msg_err;
	bool		 quit;
	int64_t		 now;
	int64_t		 last_edit_ms;
	int64_t		 save_tried_ms;
	int64_t		 members_ms;
	int64_t		 interrupt_ms;
	int		 rows, cols;
	bool		 term_on;
};

/* app.c */
/* The view's options from the configuration. */
void	 app_view_opts(const struct keymap_config *cfg, struct view_opts *vo);
/* Runs command line line (a key's binding or what was typed after :). */
void	 app_exec(struct app *a, const char *line);
/* Opens the pager on text (taken) titled title (NULL: the help's); plain
 * for anything but the help (no key columns or headings). */
void	 app_pager_take(struct app *a, const char *title, char *text,
	     bool plain);
/* The same with text copied, plain (a plugin's view). */
void	 app_pager_open(struct app *a, const char *title, const char *text);
/* The same, as if the TUI were in mode (the completion menu's keys). */
void	 app_exec_in(struct app *a, enum keymap_mode mode, const char *line);

/* app-input.c */
/* A key, mouse or paste event. */
void	 app_on_input(struct app *a, const struct input_ev *ev);
/* How many times a command runs: the count typed before its key (vim's
 * "3j") times the number arg holds ("scroll-down 2"), each 1 if absent;
 * at least 1, at most 1,000,000. */
long	 app_count(const struct app *a, const char *arg);
/* The count typed before the key, or 0 without one. */
long	 app_count_given(const struct app *a);

/* app-complete.c */
/* Asks the kernel to complete (inspect: to inspect) code[0..len) at byte
 * cursor, without waiting; the answer comes as an event. The editor's
 * cell and cursor are remembered when in insert mode: an answer that
 * comes after they changed is dropped. */
void	 app_complete_ask(struct app *a, bool inspect, const char *code,
	     size_t len, size_t cursor);
/* Takes the reply to the request in flight if it came; gives up after
 * the deadline. */
void	 app_complete_take(struct app *a);
/* When the request in flight times out, or INT64_MAX. */
int64_t	 app_complete_at(const struct app *a);
/* A cell.completion or cell.inspection event. */
void	 app_complete_event(struct app *a, struct event *ev);
/* The menu or the inspection's box to draw, if one is open: anchored
 * at row, col. */
bool	 app_complete_popup(struct app *a, int row, int col,
	     struct view_popup *p);
/* Closes the menu (and the box); forgets the question. */
void	 app_complete_close(struct app *a);
void	 app_complete_fini(struct app *a);
/* Replaces the word of the open menu with its selected item. */
void	 app_complete_accept(struct app *a);

/* cmd-search.c */
/* Runs a search for pattern (as typed after / or ?; empty: the last
 * one again) from the cursor, backward with back. */
void	 app_search(struct app *a, const char *pattern, bool back);
void	 app_search_fini(struct app *a);

/* app-pair.c */
/* Our connection, name and role from a session.open reply; the others
 * are asked for again (session.members). */
void	 app_pair_opened(struct app *a, const struct event_doc *d);
/* A session.joined, .left, .said, .role or doc.cursor event. */
void	 app_pair_event(struct app *a, struct event *ev);
/* A cell's run started (by: who started it, "" if not said) or ended. */
void	 app_pair_run(struct app *a, const char *cell, const char *by,
	     bool started);
/* Someone else's run of cell was queued (by: who asked). */
void	 app_pair_queued(struct app *a, const char *cell, const char *by);
/* Tells the kernel where our cursor is when it moved (one doc.cursor in
 * flight; nothing when we are alone), and takes the answer. */
void	 app_pair_cursor(struct app *a);
/* The others' cursors into the view and the people into st. */
void	 app_pair_paint(struct app *a, struct view_status *st);
/* False, with a message saying why, when our role does not let us
 * change the notebook (what: "edit", "run", ...). */
bool	 app_pair_may_write(struct app *a, const char *what);
/* The command table's guard (cmd_table_set_guard()): a motion ends
 * :follow; a viewer's CMD_F_WRITE command is refused saying why. */
int	 app_pair_guard(struct app *a, const struct cmd_entry *e,
	     struct gl_err *err);
/* Stops following (say: with a message). */
void	 app_pair_unfollow(struct app *a, bool say);
/* The box shown over the screen (the invite), if one is; a key closes
 * it (app_pair_box_close). */
bool	 app_pair_box(struct app *a, struct view_popup *p);
void	 app_pair_box_close(struct app *a);
void	 app_pair_fini(struct app *a);

/* app-status.c */
/* Puts a message on the message line (one line: breaks and tabs become
 * blanks). */
void	 app_msg(struct app *a, bool error, const char *fmt, ...)
	     __attribute__((format(printf, 3, 4)));
/* The status and message lines as the view paints them (strings borrowed
 * from a until it changes). */
void	 app_status(struct app *a, struct view_status *st);
/* Asks the kernel how many clients share the session (every few
 * seconds). */
void	 app_members_poll(struct app *a);

/* app-kernel.c */
/* Connects (or reconnects) and opens the notebook's session: the doc, its
 * outputs and state. GL_E* with err set on failure. */
int	 app_open_session(struct app *a, struct gl_err *err);
/* The connection broke: say so and retry every few seconds. */
void	 app_conn_lost(struct app *a, const char *why);
void	 app_reconnect(struct app *a);
/* Leaves the session (politely, if the kernel is there) and closes. */
void	 app_kernel_close(struct app *a);
/* A request whose answer only matters as success or failure (resp NULL)
 * or is read by the caller (resp filled: rpc_msg_fini() it). pack NULL
 * sends {session}. */
int	 app_call(struct app *a, const char *method,
	     void (*pack)(msgpack_packer *, void *), void *ctx,
	     struct rpc_msg *resp, struct gl_err *err);
/* True for the kernel's answer to a method it does not have. */
bool	 app_no_method(int rc, const struct gl_err *err);
/* Handles everything the kernel sent that is queued. */
void	 app_drain(struct app *a);
/* Reloads the doc from the kernel (after an edit it refused). */
void	 app_resync(struct app *a, const char *why);
/* Gives cell id (back after an undo) the outputs the kernel keeps. */
void	 app_fetch_outputs(struct app *a, const char *id);
/* The kernel's document d->doc (taken) replaces the local one and
 * sync's base, at d->version; edits not sent are dropped. */
void	 app_doc_take(struct app *a, struct event_doc *d);
/* The outputs, stale flags and running cell of the cells of d (a reply
 * or a page; the outputs are taken). */
void	 app_cell_states(struct app *a, struct event_doc *d);

/* app-load.c */
/* After session.open or attach answered with the first page (result):
 * reads the rest in the background if it has "next". */
void	 app_load_begin(struct app *a, const msgpack_object *result);
/* In the loop, before notifications are handled: asks for the next page,
 * takes it if it came, or reads the document again if its version is
 * gone. */
void	 app_load_poll(struct app *a);
/* Reads every page left now (before edits are sent, a run, a save);
 * false if the kernel was lost meanwhile. */
bool	 app_load_finish(struct app *a);
/* Forgets the pages (the connection is gone, or the whole document was
 * read by other means). */
void	 app_load_stop(struct app *a);

/* app-edit.c */
/* The current cell (and its index), or NULL in an empty notebook. */
struct nb_cell *app_cur_cell(struct app *a, size_t *idx);
/* The cells a command acts on: the selection or the current cell. */
bool	 app_target_range(struct app *a, size_t *lo, size_t *hi);
void	 app_csel_clear(struct app *a);
/* Enters insert mode in cell idx at byte off; leaves it. */
void	 app_insert_enter(struct app *a, size_t idx, size_t off);
void	 app_insert_leave(struct app *a);
/* Applies op (made here) to the local doc and queues it for the kernel;
 * its inverse is put before *inv (for undo) unless inv is NULL. */
int	 app_apply_op(struct app *a, struct ot_op *op, struct ot_op **inv,
	     size_t *ninv);
/* One change of the user's (op taken): applied, sent, recorded for undo
 * as kind, with the editor's offset before it. */
int	 app_change(struct app *a, struct ot_op *op, enum sync_group kind,
	     size_t offset);
/* Inserts a cell at index (after a header cell at most) with its
 * metadata; returns its index, or -1. inv collects the inverse. */
long	 app_insert_cell(struct app *a, size_t index, enum nb_kind kind,
	     const char *src, size_t len, char **meta, size_t nmeta,
	     struct ot_op **inv, size_t *ninv);
/* Types s[0..n) in the cell being edited (paste: literally). */
void	 app_type(struct app *a, const char *s, size_t n, bool paste);
/* Undoes (redo: redoes) the last group of changes; false if there was
 * none. */
bool	 app_undo(struct app *a, bool redo);
/* Copies cells [lo, hi] to the clipboard; frees the clipboard. */
void	 app_clip_copy(struct app *a, size_t lo, size_t hi);
void	 app_clip_free(struct app *a);
/* The doc.edit flow: sends what is queued (one request in flight), takes
 * its answer if it came (waiting up to timeout ms), applies it. */
void	 app_send_edits(struct app *a);
void	 app_take_ack(struct app *a, int timeout);
void	 app_apply_ack(struct app *a);
/* Sends every local edit and waits until the kernel has them all (before
 * a run or a save); false if it did not answer. */
bool	 app_flush_edits(struct app *a);
/* Applies another client's doc.ops (the event's ops are used up). */
void	 app_remote_ops(struct app *a, struct event *ev);
/* Applies the kernel's changes ops[0..n) (taken; the array stays the
 * caller's), already transformed to apply to the local doc. False if
 * one did not apply (the doc was then reloaded from the kernel). */
bool	 app_apply_kernel_ops(struct app *a, struct ot_op *ops, size_t n);

/* app-file.c */
/* Saves (force: over a file changed on disk); quiet: no message. */
int	 app_save(struct app *a, bool force, bool quiet);
/* :q, :q! (force), :wq (write): refuses while changes are unsaved or a
 * cell runs, unless forced. */
void	 app_quit(struct app *a, bool force, bool write);
/* The kernel saved a notebook whose file is ours (client_file): writes
 * text (version: the document's) to it atomically, unless a later
 * version was written. 0 or GL_E* (said on the message line). */
int	 app_file_write(struct app *a, uint64_t version, const char *text,
	     size_t len);
/* When the next autosave is due, or INT64_MAX. */
int64_t	 app_autosave_at(const struct app *a);
/* Saves if autosave is due. */
void	 app_autosave(struct app *a);

/* plugins.c */
/* Reads the configuration files and loads the plugins: their commands
 * join the command table, then the keys and options are applied. The
 * first problem is err (a bad key binding, else a file that failed);
 * what loaded stays. */
int	 app_plugins_load(struct app *a, struct gl_err *err);
void	 app_plugins_free(struct app *a);
/* Brings the status parts up to date (a->plg_status). */
void	 app_plugins_tick(struct app *a);
/* When the next status part is due, or INT64_MAX. */
int64_t	 app_plugins_due(const struct app *a);

/* app-cluster.c */
/* The cluster view is on screen (perhaps under the command line). */
bool	 app_cluster_shown(const struct app *a);
void	 app_cluster_open(struct app *a);
/* Takes a cluster.status answer: the new state, or why there is none. */
void	 app_cluster_answer(struct app *a, int rc, struct rpc_msg *resp,
	     const struct gl_err *err);
/* Takes the answer of the cluster.status in flight if it came. */
void	 app_cluster_take(struct app *a);
/* Asks for cluster.status once a second while the view is shown. */
void	 app_cluster_poll(struct app *a);
/* When the next cluster.status is due, or INT64_MAX. */
int64_t	 app_cluster_at(const struct app *a);

/* app-git.c */
/* Asks git.status and sets the status line's git part and the gutter
 * marks (after opening, saving, committing). */
void	 app_git_refresh(struct app *a);
/* Saves if needed, then commits the notebook with msg. */
int	 app_git_commit(struct app *a, const char *msg, struct gl_err *err);
/* The notebook's commits, in the pager. */
int	 app_git_log(struct app *a, struct gl_err *err);
/* The current cell at revision rev (NULL: HEAD) and what changed since,
 * in the pager. */
int	 app_git_show(struct app *a, const char *rev, struct gl_err *err);

/* app-review.c */
/* The review mode is on screen (perhaps under the command line). */
bool	 app_review_shown(const struct app *a);
/* Connects with no notebook (`galley review`). */
int	 app_review_connect(struct app *a, struct gl_err *err);
/* Opens the review mode on arg: NULL (the current branch's review, or
 * its changes), an id, or BASE..HEAD. */
int	 app_review_open(struct app *a, const char *arg, struct gl_err *err);
/* Reads the review again. */
int	 app_review_reload(struct app *a, struct gl_err *err);
/* Back to the notebook (or quits, with no notebook). */
void	 app_review_close(struct app *a);
/* On what the cursor or the selection is on. */
int	 app_review_comment(struct app *a, const char *body,
	     struct gl_err *err);
/* On the thread under the cursor. */
int	 app_review_reply(struct app *a, const char *body, struct gl_err *err);
int	 app_review_resolve(struct app *a, struct gl_err *err);
int	 app_review_apply(struct app *a, struct gl_err *err);
/* verdict: "approve" or "request-changes"; body may be NULL. */
int	 app_review_verdict(struct app *a, const char *verdict,
	     const char *body, struct gl_err *err);
/* Enter: to the cell under the cursor in the notebook open here. */
int	 app_review_goto(struct app *a, struct gl_err *err);
/* suggest [MSG]: opens the editor on the lines under the cursor (or the
 * draft again); with a written draft and body, sends it. */
int	 app_review_suggest(struct app *a, const char *body,
	     struct gl_err *err);
/* Leaves the editor: keep, then the comment line; else the draft goes. */
void	 app_review_suggest_end(struct app *a, bool keep);
/* Typed or pasted text, and the editor's other changes. */
void	 app_review_type(struct app *a, const char *s, size_t n, bool paste);
int	 app_review_edit(struct app *a, enum app_sg_op what, int move,
	     bool extend);
void	 app_review_paint(struct app *a);
/* Rows of the review's body on screen. */
int	 app_review_page(const struct app *a);
void	 app_review_free(struct app *a);

#endif

/*
 * app_int.h - the notebook TUI's state (struct app) and what its files
 * share: tui/app.c (the loop and painting), app-input.c (keys, mouse,
 * paste), app-edit.c (changes to the document: local, remote, undo),
 * app-kernel.c (the connection, requests and notifications), app-file.c
 * (saving, autosave, quitting), app-status.c (the status and message
 * lines), app-cluster.c (the cluster view's requests), and the command
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
#include "tui/sync.h"
#include "tui/view.h"

struct cl_conn;
struct cmd_table;
struct draw;
struct event;
struct gl_err;
struct input;
struct input_ev;
struct view_opts;

#define APP_CALL_MS	10000	/* a request's answer */

/* A copied cell (yy, x), pasted with p. */
struct app_clip {
	enum nb_kind	 kind;
	char		*source;	/* owned */
	size_t		 len;
	char		**meta;		/* owned: key, json, key, json, ... */
	size_t		 nmeta;
};

struct app {
	const struct app_opts *o;
	/* The kernel (app-kernel.c) and the edits in flight (app-edit.c) */
	struct cl_conn	*conn;
	char		*session;	/* owned */
	char		*abspath;	/* owned */
	char		 kernel[128];	/* shown: "local", "tcp:...", "lost" */
	bool		 lost;
	int64_t		 retry_at;
	struct sync	*sync;
	uint32_t	 edit_req;	/* the doc.edit in flight, or 0 */
	bool		 have_ack;	/* its answer came, not yet applied */
	uint64_t	 ackv;
	/* What is shown */
	struct nb_doc	*doc;
	struct view	*view;
	struct keymap	*km;
	struct cmd_table *cmds;		/* owned: the commands */
	struct input	*input;
	struct view_grid grid;
	struct draw	*draw;
	struct gl_rng	 rng;
	enum keymap_mode mode;
	struct ed	 ed;		/* valid in KEYMAP_INSERT */
	char		 last_id[NB_ID_MAX + 1];  /* the cell edited last */
	size_t		 last_off;	/* ... and where its cursor was */
	bool		 csel;		/* a cell selection */
	size_t		 csel_anchor;
	bool		 drag;		/* selecting text with the mouse */
	/* The command line */
	struct cmdline	 cl;
	enum keymap_mode cl_return;	/* the mode it was opened from */
	/* The help screen */
	char		*pager;		/* owned */
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

/* app-input.c */
/* A key, mouse or paste event. */
void	 app_on_input(struct app *a, const struct input_ev *ev);

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
/* Undoes (redo: redoes) the last group of changes. */
void	 app_undo(struct app *a, bool redo);
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

/* app-file.c */
/* Saves (force: over a file changed on disk); quiet: no message. */
int	 app_save(struct app *a, bool force, bool quiet);
/* :q, :q! (force), :wq (write): refuses while changes are unsaved or a
 * cell runs, unless forced. */
void	 app_quit(struct app *a, bool force, bool write);
/* When the next autosave is due, or INT64_MAX. */
int64_t	 app_autosave_at(const struct app *a);
/* Saves if autosave is due. */
void	 app_autosave(struct app *a);

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

#endif

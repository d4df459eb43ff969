/*
 * review.h - the TUI's review mode as a pure model: a review.open answer
 * (docs/protocol.md: the review with its threads, the cell-aware diff of
 * its range) read into items in the order they are shown (file headers,
 * cell headers, hunks, diff lines, folded unchanged cells, metadata
 * changes, and each thread after the line it is on, or after its cell,
 * or among the "other threads" at the end), laid out into rows for a
 * width (comments wrap, diff lines are cut at the edge), with a cursor
 * row, a selection of lines, scrolling, and moves to the next change,
 * thread or file. rview_target() says what the cursor or the selection
 * is on, which is where a comment or a suggestion goes.
 *
 * Pure: msgpack objects in, structs and a painted struct view_grid out
 * (tui/view-review.c); no curses, sockets or clocks. tui/app-review.c
 * asks the kernel and feeds it; tui/cmd-review.c moves in it; tui/app.c
 * paints it. The kernel's answers are read here, as tui/cluview.c reads
 * cluster.status.
 */
#ifndef GL_TUI_REVIEW_H
#define GL_TUI_REVIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <msgpack.h>

struct gl_err;
struct view_grid;

enum rview_kind {
	RVIEW_FILE,		/* a file's header */
	RVIEW_CELL,		/* a cell's header */
	RVIEW_HUNK,		/* "@@ -1,2 +1,3 @@" */
	RVIEW_LINE,		/* a line of a diff or of a cell */
	RVIEW_FOLD,		/* "... 12 unchanged cells" */
	RVIEW_META,		/* a kind, title or metadata change */
	RVIEW_NOTE,		/* a binary file, a warning, a heading */
	RVIEW_THREAD,		/* a thread's header */
	RVIEW_QUOTE,		/* the text a thread was made on */
	RVIEW_BODY,		/* a comment's or a reply's text */
	RVIEW_SUGG,		/* a line a thread suggests */
};

/* A byte range of a line's text (changed words). */
struct rview_span {
	uint32_t	 off, len;
};

/* One thing shown, in order. */
struct rview_item {
	enum rview_kind	 kind;
	int		 file;		/* index in files, or -1 */
	int		 cell;		/* index in the file's cells, or -1 */
	int		 thread;	/* index in threads, or -1 */
	char		 op;		/* LINE, SUGG: ' ', '-' or '+' */
	unsigned	 old_no, new_no; /* LINE: line numbers, 0 for none */
	char		*text;		/* owned: what is shown */
	struct rview_span *words;	/* owned: LINE's changed words */
	size_t		 nwords;
};

/* A cell of a file in the diff. */
struct rview_cell {
	char		*id;		/* owned */
	char		 status;	/* '+', '-', '~', '>', ' ' unchanged */
	bool		 has_new;	/* there at the head */
};

struct rview_file {
	char		*path;		/* owned: new path, or old if deleted */
	char		*format;	/* owned: notebook, ipynb, text, binary */
	struct rview_cell *cells;	/* owned */
	size_t		 ncells;
};

struct rview_reply {
	char		*author, *body;	/* owned */
};

struct rview_thread {
	char		*id, *author, *at, *path, *body;	/* owned */
	char		*cell;		/* owned; NULL: lines of a file */
	char		*text;		/* owned: the lines it was made on */
	char		*suggestion;	/* owned, or NULL */
	char		*commit;	/* owned: made on */
	unsigned	 line0, line1;	/* 0: the whole cell */
	char		*where;		/* owned: current, outdated, gone */
	unsigned	 now0, now1;	/* where its lines are now (current) */
	bool		 moved, applied, resolved;
	struct rview_reply *replies;	/* owned */
	size_t		 nreplies;
};

struct rview_verdict {
	char		*author;	/* owned: "Name <email>" */
	char		*verdict;	/* owned: approve, request-changes */
};

/* A row on screen: part of an item (a wrapped comment has several). */
struct rview_row {
	size_t		 item;
	size_t		 off, len;	/* the part of the item's text */
	bool		 first;		/* the item's first row */
};

struct rview {
	/* The review; id NULL when there is none yet (its range shown). */
	char		*id, *title, *author, *status;	/* owned */
	char		*base, *head;	/* owned: names */
	char		 base_commit[41], head_commit[41];
	char		**reviewers;	/* owned */
	size_t		 nreviewers;
	struct rview_verdict *verdicts;	/* owned */
	size_t		 nverdicts;
	struct rview_thread *threads;	/* owned */
	size_t		 nthreads;
	struct rview_file *files;	/* owned */
	size_t		 nfiles;
	char		*warning;	/* owned: the first one, or NULL */
	struct rview_item *items;	/* owned: in order */
	size_t		 nitems;
	/* Layout (rview_layout) and where the user is. */
	struct rview_row *rows;		/* owned */
	size_t		 nrows;
	int		 width;		/* the rows' width */
	size_t		 cur;		/* the cursor's row */
	size_t		 top;		/* the first row shown */
	bool		 sel;		/* a selection of lines */
	size_t		 sel_anchor;	/* ... from this row to the cursor */
	bool		 ascii;		/* no box-drawing glyphs */
};

void	 rview_init(struct rview *rv);
void	 rview_fini(struct rview *rv);

/* Reads a review.open answer into *out (initialised here; the caller
 * finis it, also on failure). GL_EPROTO naming the field when the answer
 * is not one. */
int	 rview_parse(const msgpack_object *res, struct rview *out,
	     struct gl_err *err);
/* Lays the items out for width columns (again only when it changed);
 * keeps the cursor on the item it was on. */
void	 rview_layout(struct rview *rv, int width);

/* What the cursor (or the selection) is on: a file, a cell of it, lines
 * (line0 == 0: the whole cell), or a thread. */
struct rview_target {
	const char	*path;		/* borrowed; NULL: nothing to comment on */
	const char	*cell;		/* borrowed, or NULL */
	unsigned	 line0, line1;
	int		 thread;	/* a thread row: its index, else -1 */
	int		 file, cell_index; /* indexes, or -1 */
};
/* Fills *t. false with why (a removed line, lines of several cells, a
 * fold...) in err when there is nothing a comment could be on; a thread
 * row is still reported in t->thread then. */
bool	 rview_target(const struct rview *rv, struct rview_target *t,
	     struct gl_err *err);
/* The text at the head of t's lines (line0..line1 of its cell or file),
 * joined by "\n", as shown; NULL (with err) when some of them are not
 * shown (between two hunks). Caller frees. */
char	*rview_lines_text(const struct rview *rv, const struct rview_target *t,
	     struct gl_err *err);

/* Moving. Each keeps the cursor in the rows; body is the rows shown. */
void	 rview_move(struct rview *rv, long delta);
void	 rview_move_to(struct rview *rv, size_t row);
enum rview_goal {
	RVIEW_TO_CHANGE,	/* a changed cell, or a run of -/+ lines */
	RVIEW_TO_THREAD,
	RVIEW_TO_FILE,
};
/* To the next (dir > 0) or previous goal; false if there is none. */
bool	 rview_next(struct rview *rv, enum rview_goal goal, int dir);
/* Moves to the header of the thread with that id; false if none. */
bool	 rview_goto_thread(struct rview *rv, const char *id);
/* Starts or ends a selection of lines at the cursor. */
void	 rview_select(struct rview *rv, bool on);
/* The rows [lo, hi] selected, if any. */
bool	 rview_selection(const struct rview *rv, size_t *lo, size_t *hi);
/* Open threads. */
size_t	 rview_open_threads(const struct rview *rv);

/* What the review screen shows around the rows. Strings are borrowed for
 * the call. */
struct rview_screen {
	const char	*msg;		/* the message line, or NULL */
	bool		 msg_error;
	const char	*cmdline;	/* the open command line, or NULL */
	size_t		 cmdline_cur;
	/* The suggestion being written (SUGGEST mode), or NULL. */
	const char	*edit;
	size_t		 edit_len;
	size_t		 edit_cur;	/* byte of the cursor */
	const char	*edit_title;
	const char	*mode;		/* "REVIEW", "SUGGEST" */
};

/* Paints the whole grid: a title row, the summary row (status, open
 * threads, each reviewer's verdict), the rows (scrolled to keep the
 * cursor in sight; rv->top changes), the suggestion editor if one is
 * open, a status row and the message or command line. */
void	 rview_render(struct rview *rv, const struct rview_screen *s,
	     struct view_grid *g);
/* The summary row's text: "open · 1 of 2 threads open · bob: approved". */
void	 rview_summary(const struct rview *rv, char *out, size_t n);
/* Rows of the body at the last render (for page moves). */
int	 rview_page_rows(const struct view_grid *g, const struct rview_screen *s);

#endif

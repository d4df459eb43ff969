/*
 * view.h - the pure screen model of the notebook TUI: cells laid out into
 * rows (a header line per cell, highlighted Lua source or rendered
 * markdown, outputs with folding), the current cell, scrolling, the
 * editor's cursor and selection, the status and message lines, and a pager
 * for the help screen. It renders into a struct view_grid (cells of
 * codepoints, width and a style) and knows nothing of curses, sockets or
 * clocks: time comes in as now_ms. tui/draw.c copies a grid to the
 * terminal; tui/app.c owns a view and paints it, tui/app-*.c and the
 * commands (tui/cmd-*.c) feed it. The model is tui/view.c; the grid,
 * layout and painting are view-grid.c, view-layout.c and view-render.c.
 *
 * Only visible rows are laid out: scrolling is kept as (top cell, row
 * within it) and each cell's height is cached until its source, outputs,
 * folding or the width change, so a 10,000-cell notebook paints its first
 * screen after laying out only the cells on it.
 *
 * Widths come from wcwidth(3) (so the caller sets a UTF-8 LC_CTYPE);
 * characters it does not know count as one column.
 */
#ifndef GL_TUI_VIEW_H
#define GL_TUI_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/run.h"

struct gl_buf;
struct nb_doc;
struct ot_op;
struct search;

/* What a grid cell looks like: a semantic style (draw.c maps it to colours
 * or, without colours, to bold/underline/reverse/dim) plus flags. */
enum view_style {
	VIEW_S_NORMAL = 0,
	VIEW_S_DIM,		/* "dim": chrome, hints, end of notebook */
	VIEW_S_HDR,		/* "hdr": a cell's header line */
	VIEW_S_HDRCUR,		/* "cur": the current cell's header line */
	VIEW_S_BAR,		/* "bar": the current cell's left bar */
	VIEW_S_KEYWORD,		/* "kw" */
	VIEW_S_STRING,		/* "str" */
	VIEW_S_NUMBER,		/* "num" */
	VIEW_S_COMMENT,		/* "com" */
	VIEW_S_H1,		/* "h1": markdown heading level 1 */
	VIEW_S_H2,		/* "h2": levels 2 and more */
	VIEW_S_BOLD,		/* "b" */
	VIEW_S_EMPH,		/* "em" */
	VIEW_S_CODE,		/* "code": code spans and fenced blocks */
	VIEW_S_LINK,		/* "link" */
	VIEW_S_BULLET,		/* "li": list bullets, quote bars */
	VIEW_S_OUT,		/* "out": printed output */
	VIEW_S_RESULT,		/* "res": a displayed value */
	VIEW_S_STDERR,		/* "serr": output on stderr */
	VIEW_S_ERROR,		/* "err": an error's message */
	VIEW_S_TRACE,		/* "tb": traceback lines */
	VIEW_S_FOLD,		/* "fold": "... 40 more lines" */
	VIEW_S_STALE,		/* "stale": outputs of an older source */
	VIEW_S_TH,		/* "th": table header */
	VIEW_S_PROGRESS,	/* "prog": the filled part of a progress bar */
	VIEW_S_RUNNING,		/* "run": running marker and clock */
	VIEW_S_OK,		/* "ok": done marker */
	VIEW_S_FAILED,		/* "fail": error / died marker */
	VIEW_S_STATUS,		/* "st": the status line */
	VIEW_S_MODE,		/* "mode": the mode in the status line */
	VIEW_S_MSG,		/* "msg": the message line */
	VIEW_S_MSGERR,		/* "msgerr": an error on the message line */
	VIEW_S_KEY,		/* "key": a key in the help screen */
	VIEW_S_ADD,		/* "add": an added line, a cell added
				 * since git's HEAD */
	VIEW_S_DEL,		/* "del": a removed line */
	VIEW_S_CHG,		/* "chg": a cell modified since HEAD */
	VIEW_S_WORDADD,		/* "wadd": words changed in an added
				 * line */
	VIEW_S_WORDDEL,		/* "wdel": words changed in a removed
				 * line */
	VIEW_S_THREAD,		/* "thr": a review thread's header */
	VIEW_S_MENU,		/* "menu": a popup (completions, an
				 * inspection) */
	VIEW_S_MENUSEL,		/* "menusel": its selected line */
	VIEW_S_MENUNOTE,	/* "menunote": a note in it (a kind) */
	/* Another person of a shared session, one colour each (their
	 * colour index modulo VIEW_PEER_COLORS): their name, and with
	 * VIEW_F_PEER their cursor in a cell's text. */
	VIEW_S_PEER0,		/* "p0" */
	VIEW_S_PEER1,		/* "p1" */
	VIEW_S_PEER2,		/* "p2" */
	VIEW_S_PEER3,		/* "p3" */
	VIEW_S_PEER4,		/* "p4" */
	VIEW_S_PEER5,		/* "p5" */
	VIEW_S_PEER6,		/* "p6" */
	VIEW_S_PEER7,		/* "p7" */
	VIEW_S_COUNT
};
#define VIEW_PEER_COLORS	8
#define VIEW_F_SEL	0x100	/* selected text (drawn reversed) */
#define VIEW_F_MATCH	0x200	/* a search match ("+hl" in pictures) */
#define VIEW_F_CURMATCH	0x400	/* the current match ("+cur") */
#define VIEW_F_PEER	0x800	/* another person's cursor ("+at"; drawn
				 * as a block of their colour) */
#define VIEW_STYLE(a)	((enum view_style)((a) & 0xff))

/* Combining characters kept per grid cell after the base character. */
#define VIEW_CP_MAX	4

struct view_gcell {
	uint32_t	 cp[VIEW_CP_MAX];	/* base + combining; 0-padded.
						 * cp[0] == 0: the right half
						 * of a wide character */
	uint8_t		 width;			/* 1 or 2; 0 for a right half */
	uint16_t	 attr;			/* enum view_style | VIEW_F_* */
};

struct view_grid {
	int		 rows, cols;
	struct view_gcell *cells;		/* owned; rows * cols */
	int		 cur_row, cur_col;	/* the terminal cursor */
	bool		 cur_visible;
};

void	 view_grid_init(struct view_grid *g, int rows, int cols);
void	 view_grid_fini(struct view_grid *g);
/* Changes the size; contents become blank. */
void	 view_grid_resize(struct view_grid *g, int rows, int cols);
/* Blank (spaces, VIEW_S_NORMAL), cursor hidden. */
void	 view_grid_clear(struct view_grid *g);
struct view_gcell *view_grid_at(const struct view_grid *g, int row, int col);
/* Writes s (UTF-8) at row, col in attr, clipped at the right edge; returns
 * the column after it. */
int	 view_grid_puts(struct view_grid *g, int row, int col, const char *s,
	     uint16_t attr);
/* Appends the picture of g to out (STYLE example E): each row between
 * '|'s, "{name:text}" for text in a style other than normal ("+sel"
 * added to the name for selected text, "+hl" for a search match, "+cur"
 * for the current one), '^' before the cursor's cell.
 * Trailing plain spaces of a row are dropped. Caller frees. */
char	*view_grid_picture(const struct view_grid *g);
/* "kw", "err", ... as listed above; "" for VIEW_S_NORMAL. */
const char *view_style_name(enum view_style s);

/* UTF-8 and widths, shared by the editor. */
/* Decodes one character at p[0..len) (len > 0) into *cp and returns its
 * length; an invalid byte gives U+FFFD and length 1. */
size_t	 view_utf8_decode(const char *p, size_t len, uint32_t *cp);
/* Encodes cp into out (4 bytes at most); returns the length. */
size_t	 view_utf8_encode(uint32_t cp, char *out);
/* Columns cp takes: 0 (combining), 1 or 2; control characters take the 2
 * of their "^X" form; a tab is not handled here. */
int	 view_cp_width(uint32_t cp);
/* Display columns of s[0..len) starting at column col0 with tabs every
 * tab columns; returns the column at the end. */
int	 view_text_cols(const char *s, size_t len, int col0, int tab);

/* Outputs of a cell, as the view shows them. */
enum view_out_kind {
	VIEW_OUT_STREAM,	/* text; is_stderr */
	VIEW_OUT_RESULT,	/* text */
	VIEW_OUT_ERROR,		/* text = message, traceback */
	VIEW_OUT_TABLE,		/* ncols, nrows, cells, more, more_cols */
	VIEW_OUT_TREE,		/* nodes: a Lua table's keys and values */
	VIEW_OUT_PROGRESS,	/* done, total, text = label */
	VIEW_OUT_OTHER,		/* text (a type this TUI does not know) */
};

/* A node of a tree output: a key and its value, under the node before
 * it of depth - 1. */
struct view_node {
	int		 depth;		/* 0: the root */
	char		*key;		/* owned: "name", "[1]"; "" at the
					 * root */
	char		*value;		/* owned: the value as Lua writes it;
					 * "" for a table whose children
					 * follow */
	long		 n;		/* a table's entries; -1 otherwise */
	size_t		 more;		/* children not sent */
};

struct view_output {
	enum view_out_kind kind;
	bool		 is_stderr;
	char		*text;		/* owned; NUL-terminated; may be NULL */
	size_t		 len;
	char		*traceback;	/* owned; VIEW_OUT_ERROR; may be NULL */
	int		 line;		/* VIEW_OUT_ERROR: line in the cell */
	size_t		 ncols, nrows;	/* VIEW_OUT_TABLE: rows after header */
	char		**cells;	/* owned: (nrows + 1) * ncols strings,
					 * the header first, row-major */
	double		 done, total;	/* VIEW_OUT_PROGRESS */
	double		 failed;	/* VIEW_OUT_PROGRESS: items failed */
	int		 busy;		/* VIEW_OUT_PROGRESS: workers busy on
					 * it; -1 (the default): not shown */
	char		*key;		/* owned; VIEW_OUT_PROGRESS: a later
					 * progress with the same key (or
					 * both NULL) replaces this one */
	size_t		 more;		/* VIEW_OUT_TABLE: rows the runtime
					 * did not send */
	size_t		 more_cols;	/* ... and columns */
	struct view_node *nodes;	/* owned; VIEW_OUT_TREE, pre-order */
	size_t		 nnodes;
};

/* A new output of kind with a copy of text[0..len) (text may be NULL).
 * Caller hands it to view_out_add() or frees it with view_output_free(). */
struct view_output *view_output_new(enum view_out_kind kind, const char *text,
	     size_t len);
void	 view_output_free(struct view_output *o);
/* Appends a node to a tree output (strings copied). */
void	 view_output_node_add(struct view_output *o, int depth,
	     const char *key, const char *value, long n, size_t more);
/* The text of o as search reads it and a pager or `galley run` shows it:
 * a stream's or result's text, an error's message then its traceback,
 * a table's aligned rows, a tree's lines with every level unfolded, a
 * progress bar's counts. Appended to out. */
void	 view_output_text(const struct view_output *o, struct gl_buf *out);
/* Sets a table's size and cell (r, c); r == 0 is the header row. */
void	 view_output_table(struct view_output *o, size_t ncols, size_t nrows);
void	 view_output_table_set(struct view_output *o, size_t r, size_t c,
	     const char *s, size_t len);

/* Another person in the session as the status line lists them. */
enum view_doing {
	VIEW_DOING_IDLE,
	VIEW_DOING_EDITING,	/* editing cell */
	VIEW_DOING_RUNNING,	/* a cell they started runs */
};

struct view_person {
	const char	*name;
	int		 color;		/* the kernel's index; -1: none */
	enum view_doing	 doing;
	const char	*cell;		/* what they edit or run */
};

/* The style of colour index color (-1: the first). */
enum view_style view_peer_style(int color);

/* The status and message lines (the last two rows of the screen). All
 * strings are borrowed for the duration of view_render(). */
struct view_status {
	const char	*mode;		/* "NORMAL", "INSERT", ... */
	const char	*path;		/* notebook path as shown */
	bool		 dirty;		/* unsaved changes */
	const char	*git;		/* "main +1 ~2": the notebook against
					 * git's HEAD; NULL outside a
					 * repository */
	const char	*kernel;	/* "unix" / "tcp:host:port" / "lost" */
	const char	*runtime;	/* "idle", "busy", "starting", ... */
	int		 members;	/* clients in the session */
	/* The others in the session and what each does ("alice editing
	 * a", shorter when they do not fit); when there are none listed
	 * and members > 1, "N people". */
	const struct view_person *people;
	size_t		 npeople;
	const char	*role;		/* "viewer" to say so, or NULL */
	const char	*extra;		/* plugins' status parts, or NULL */
	const char	*msg;		/* the last message, or NULL */
	bool		 msg_error;
	const char	*cmdline;	/* command line text (without ':') when
					 * the command line is open, else NULL */
	size_t		 cmdline_cur;	/* byte offset of its cursor */
	const char	*cmdline_prompt; /* ":" by default */
};

/* Where a screen row comes from (after view_render), for the mouse. */
enum view_rowkind {
	VIEW_ROW_NONE,		/* below the notebook, or status lines */
	VIEW_ROW_HEADER,
	VIEW_ROW_SOURCE,	/* source text (code, raw, markdown being
				 * edited): src_off is the row's first byte */
	VIEW_ROW_MARKDOWN,	/* rendered markdown */
	VIEW_ROW_OUTPUT,
	VIEW_ROW_FOLD,		/* a fold marker: a click toggles it */
};

struct view_hit {
	enum view_rowkind kind;
	size_t		 cell;		/* index of the cell */
	size_t		 offset;	/* VIEW_ROW_SOURCE: byte in the source
					 * nearest the column */
};

struct view_opts {
	int		 fold_lines;	/* outputs longer than this fold;
					 * default 12 */
	int		 tab_source;	/* tab stop in sources; default 4 */
	int		 tab_output;	/* tab stop in outputs; default 8 */
	bool		 ascii;		/* no box-drawing glyphs */
	bool		 number;	/* cell numbers in a gutter */
};

struct view;

/* A view of no cells. Caller frees with view_free(). */
struct view *view_new(const struct view_opts *opts);
void	 view_free(struct view *v);
/* Changes the options; every cell is laid out again. */
void	 view_set_opts(struct view *v, const struct view_opts *opts);

/* Rebuilds the per-cell state to match doc (after opening or resyncing):
 * cells whose id the view knew keep their outputs and state. O(cells). */
void	 view_sync(struct view *v, const struct nb_doc *doc);
/* Tells the view that op was just applied to doc (ot_apply succeeded), so
 * it keeps one entry per cell, in order, and drops cached layouts of the
 * cell it touched. */
void	 view_apply_op(struct view *v, const struct nb_doc *doc,
	     const struct ot_op *op);
/* Forgets the cached layout of cell i (its source changed another way). */
void	 view_touch(struct view *v, size_t i);
size_t	 view_count(const struct view *v);

/* Outputs and run state of cell i (i < view_count()). */
void	 view_out_clear(struct view *v, size_t i);
/* Appends o (taken). Consecutive stream outputs of the same stream are
 * merged; a progress output replaces the cell's progress of the same key,
 * keeping its label and busy count when o has none (so the kernel's
 * cluster.progress notification and a progress output of the same job
 * update one bar). */
void	 view_out_add(struct view *v, size_t i, struct view_output *o);
size_t	 view_out_count(const struct view *v, size_t i);
const struct view_output *view_out_get(const struct view *v, size_t i,
	     size_t k);
/* What the cell is doing, as its header shows it (GL_RUN_NONE: it has not
 * run in this session); t_ms is the start time for GL_RUN_RUNNING, else
 * the elapsed time to show (-1: none). */
void	 view_set_run(struct view *v, size_t i, enum gl_run_status state,
	     int64_t t_ms);
enum gl_run_status view_get_run(const struct view *v, size_t i);
/* Who started cell i's run (shown after its state, "ok 3ms by alice",
 * in their colour); NULL or "": nobody shown. */
void	 view_set_run_by(struct view *v, size_t i, const char *name,
	     int color);
/* Others' cursors: n of them (copied). A cursor in insert mode is drawn
 * in its cell's source at its byte with the name after the row's text;
 * every person's name is on the header of the cell they are at. */
struct view_peer {
	size_t		 cell;		/* index in the doc */
	size_t		 offset;	/* byte in its source */
	bool		 insert;
	const char	*name;
	int		 color;
};
void	 view_set_peers(struct view *v, const struct view_peer *p, size_t n);
void	 view_set_stale(struct view *v, size_t i, bool stale);
bool	 view_get_stale(const struct view *v, size_t i);
/* How cell i differs from the notebook at git's HEAD (git.status), as a
 * mark in the gutter of its header: '+' added, '~' modified, '>' moved
 * only. Marks stay with their cell (by id) until set again. */
enum view_git {
	VIEW_GIT_NONE,
	VIEW_GIT_ADDED,
	VIEW_GIT_MODIFIED,
	VIEW_GIT_MOVED,
};
void	 view_set_git(struct view *v, size_t i, enum view_git g);
enum view_git view_get_git(const struct view *v, size_t i);
/* Clears every cell's mark. */
void	 view_git_clear(struct view *v);
/* Folds or unfolds cell i's long outputs and tracebacks; returns the new
 * state (true = unfolded). */
bool	 view_toggle_fold(struct view *v, size_t i);
/* Unfolds cell i's outputs (a search found something in them). */
void	 view_unfold(struct view *v, size_t i);

/* Search. The matches of s (borrowed until the next call; NULL: none)
 * are highlighted in sources and rendered markdown, and in outputs with
 * outputs. The current match is cell, part (0: the source, k + 1: output
 * k, as view_output_text() gives it) and bytes [off, off + len); it is
 * drawn apart and the view scrolls to show it. cell < 0: none. */
void	 view_set_search(struct view *v, const struct search *s,
	     bool outputs);
void	 view_set_match(struct view *v, long cell, size_t part, size_t off,
	     size_t len);

/* The current cell (clamped to the doc when rendering). Moving it makes
 * the next render scroll so it is visible. */
size_t	 view_cursor(const struct view *v);
void	 view_set_cursor(struct view *v, size_t i);
/* A range of selected cells [lo, hi] drawn with the bar, or none. */
void	 view_set_cell_sel(struct view *v, bool on, size_t lo, size_t hi);
/* Cell i is being edited: its source is shown (markdown unrendered) with
 * the terminal cursor at byte cur and bytes [sel_lo, sel_hi) selected
 * (sel_lo == sel_hi: none). i < 0: no cell is edited. */
void	 view_set_edit(struct view *v, long i, size_t cur, size_t sel_lo,
	     size_t sel_hi);
/* Scrolls by rows (negative: up), without moving the current cell unless
 * it leaves the screen. */
void	 view_scroll(struct view *v, const struct nb_doc *doc, int rows);
/* Rows of the notebook area at the last render (for page motions). */
int	 view_page_rows(const struct view *v);
/* Index of the first and last cell with a row on screen at the last
 * render. */
void	 view_visible(const struct view *v, size_t *first, size_t *last);

/* Lays out what is visible and paints the whole grid: notebook rows, then
 * the status line and the message (or command) line. */
void	 view_render(struct view *v, const struct nb_doc *doc,
	     const struct view_status *st, int64_t now_ms,
	     struct view_grid *g);
/* What is at screen row, col of the last render. False outside cells. */
bool	 view_hit(const struct view *v, const struct nb_doc *doc, int row,
	     int col, struct view_hit *out);

/* A full-screen page of text: the help screen, or a cell's outputs. */
struct view_page {
	const char	*title;
	const char	*text;		/* lines separated by '\n' */
	int		*scroll;	/* the first line shown; clamped */
	bool		 plain;		/* lines as they are (outputs; tabs
					 * to stops of 8); else the help's
					 * "key\tdescription" shows the key
					 * in VIEW_S_KEY and "# " starts a
					 * heading */
	const struct search *srch;	/* matches to highlight, or NULL */
	long		 m_off;		/* the current match, a byte of text;
					 * -1: none */
	size_t		 m_len;
	const char	*cmdline;	/* the bottom line being typed, or
					 * NULL: the footer (how to scroll
					 * and leave) or msg */
	size_t		 cmdline_cur;
	const char	*cmdline_prompt; /* ":" by default */
	const char	*msg;		/* a message instead of the footer */
	bool		 msg_error;
};

void	 view_render_page(const struct view_page *p, struct view_grid *g);
/* The help screen as view_render_page() draws it (not plain, no search,
 * no message). */
void	 view_render_pager(const char *title, const char *text, int *scroll,
	     struct view_grid *g);

/* A box drawn over the screen next to the text it is about: the
 * completion menu (a line per match, its kind after it, the selected one
 * highlighted) or an inspection (lines of text). */
struct view_popup {
	const char *const *lines;
	const char *const *notes;	/* dim after each line, or NULL */
	size_t		 n;
	long		 sel;		/* the highlighted line; -1: none */
	int		 row, col;	/* the screen cell it is about: the box
					 * goes under it, or over it when
					 * there is no room */
	int		 max_rows;	/* lines shown at most (the selected
					 * one kept in sight) */
	int		 bottom;	/* rows at the bottom it must not cover
					 * (the status lines) */
};

/* Draws p over what g holds. */
void	 view_render_popup(const struct view_popup *p, struct view_grid *g);

/* Cells laid out so far, to measure or to paint (for tests and the
 * benchmark). */
size_t	 view_layouts_done(const struct view *v);

#endif

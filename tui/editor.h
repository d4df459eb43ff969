/*
 * editor.h - the multi-line text editor of a cell's source: cursor motion
 * by character, word, line and page, home/end, selection, typing with
 * auto-indent, tab and back-tab (indent/dedent), backspace over
 * indentation, paste. The editor keeps only a cursor and a selection;
 * the text is the cell's source in the local doc. Every change comes out
 * as an ot text op (core/ot.h) on that cell, which tui/app-edit.c applies
 * to the local doc and sends to the kernel, so one code path serves a lone
 * user and a shared session. Pure; undo/redo live in tui/sync.h. Used by
 * the ed-* commands (tui/cmd-edit.c), tui/app-edit.c (typing, insert
 * mode, others' edits moving the cursor), tui/app.c (painting the
 * cursor) and bench/.
 */
#ifndef GL_TUI_EDITOR_H
#define GL_TUI_EDITOR_H

#include <stdbool.h>
#include <stddef.h>

#include "core/notebook.h"

struct ot_op;

struct ed {
	char		 id[NB_ID_MAX + 1];	/* the cell edited */
	size_t		 cur;		/* byte offset of the cursor */
	size_t		 anchor;	/* other end of the selection */
	bool		 sel;		/* a selection is active */
	int		 goal;		/* column up/down aim for; -1 none */
	int		 indent;	/* columns per indent level (2) */
	int		 tab;		/* display width of a tab (4) */
	bool		 use_tabs;	/* indent with tabs */
};

enum ed_move {
	ED_LEFT,
	ED_RIGHT,
	ED_UP,
	ED_DOWN,
	ED_WORD_LEFT,
	ED_WORD_RIGHT,
	ED_HOME,		/* first non-blank, then column 0 */
	ED_END,
	ED_DOC_START,
	ED_DOC_END,
	ED_PAGE_UP,		/* 20 lines */
	ED_PAGE_DOWN,
};

/* Starts editing cell id with the cursor at offset cur (clamped later). */
void	 ed_init(struct ed *e, const char *id, size_t cur);
/* Moves the cursor in src[0..len); extend grows the selection (Shift),
 * otherwise the selection ends. Returns false if the cursor could not
 * move (ED_UP on the first line, ED_DOWN on the last: the caller may go
 * to the cell above or below). */
bool	 ed_move(struct ed *e, const char *src, size_t len, enum ed_move m,
	     bool extend);
/* Selected bytes [*lo, *hi); false (and *lo == *hi == cur) if none. */
bool	 ed_selection(const struct ed *e, size_t *lo, size_t *hi);
void	 ed_select_all(struct ed *e, size_t len);
void	 ed_select_none(struct ed *e);
/* Keeps the cursor inside src and on a character boundary. */
void	 ed_clamp(struct ed *e, const char *src, size_t len);

/* Changes. Each fills *op with a text op on e->id for src[0..len) (the
 * caller applies it and ot_op_fini()s it) and puts the cursor where it
 * goes once op is applied. Returns false when nothing changes (*op is
 * then untouched). */
/* Types s[0..n) over the selection. */
bool	 ed_insert(struct ed *e, const char *src, size_t len, const char *s,
	     size_t n, struct ot_op *op);
/* Enter: a new line indented as the current one, one level more after a
 * line that opens a block (then, do, function(...), {, (, repeat, else). */
bool	 ed_newline(struct ed *e, const char *src, size_t len,
	     struct ot_op *op);
/* Deletes the selection or the character before the cursor; in leading
 * blanks, back to the previous indent stop. */
bool	 ed_backspace(struct ed *e, const char *src, size_t len,
	     struct ot_op *op);
/* Deletes the selection or the character after the cursor. */
bool	 ed_delete(struct ed *e, const char *src, size_t len, struct ot_op *op);
/* Deletes the word before the cursor (Ctrl-W). */
bool	 ed_delete_word(struct ed *e, const char *src, size_t len,
	     struct ot_op *op);
/* Deletes to the end of the line, or the line break there (Ctrl-K). */
bool	 ed_kill_line(struct ed *e, const char *src, size_t len,
	     struct ot_op *op);
/* Tab: with a selection spanning lines, indents (back: dedents) those
 * lines; otherwise back dedents the current line and forward inserts
 * blanks up to the next indent stop. */
bool	 ed_tab(struct ed *e, const char *src, size_t len, bool back,
	     struct ot_op *op);
/* Pastes text[0..n) literally over the selection (no auto-indent); CRLF
 * and CR become LF, other control characters but tab are dropped. */
bool	 ed_paste(struct ed *e, const char *src, size_t len, const char *text,
	     size_t n, struct ot_op *op);
/* The selected text (caller frees), or NULL. */
char	*ed_copy(const struct ed *e, const char *src, size_t len);

/* op (a text op on this cell, from someone else or from undo) was applied:
 * moves the cursor and the selection's anchor with the text. */
void	 ed_transform(struct ed *e, const struct ot_op *op);

/* Line and display column of byte off (0-based), for the status line. */
void	 ed_line_col(const struct ed *e, const char *src, size_t len,
	     size_t off, size_t *line, int *col);

#endif

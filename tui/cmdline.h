/*
 * cmdline.h - the `:` command line as a one-line text editor: its text
 * and cursor (moving by character, UTF-8 aware, and by word), deleting,
 * a history of the lines run, and cycling through the completions of the
 * word at the cursor. Pure, and it knows no commands: what the line means
 * and which words complete it are tui/cmd.c's. Used by the cl-* commands
 * (tui/cmd-cmdline.c), by tui/app-input.c for typed and pasted text and
 * by tui/app.c to paint it.
 */
#ifndef GL_TUI_CMDLINE_H
#define GL_TUI_CMDLINE_H

#include <stdbool.h>
#include <stddef.h>

#include "core/mem.h"

/* Lines the history keeps (the oldest goes first). */
#define CMDLINE_HIST_MAX 200

struct cmdline {
	struct gl_buf	 text;		/* the line; NUL-terminated */
	size_t		 cur;		/* byte offset of the cursor */
	char		**hist;		/* owned: lines run, oldest first */
	size_t		 nhist;
	size_t		 hist_pos;	/* the line browsed; nhist: none */
	char		**comp;		/* owned: completions offered */
	size_t		 ncomp;
	size_t		 comp_i;	/* the one in the line */
	size_t		 comp_at;	/* where the completed word starts */
	bool		 comp_on;	/* Tab again takes the next one */
};

void	 cmdline_init(struct cmdline *cl);
void	 cmdline_fini(struct cmdline *cl);
/* Empties the line for a new command; browsing the history starts again
 * from its end. */
void	 cmdline_open(struct cmdline *cl);
/* The line (borrowed until it changes). */
const char *cmdline_text(const struct cmdline *cl);
/* Replaces the line with s, the cursor at its end. */
void	 cmdline_set(struct cmdline *cl, const char *s);
/* Inserts s[0..n) at the cursor; line breaks and tabs become spaces. */
void	 cmdline_insert(struct cmdline *cl, const char *s, size_t n);

enum cmdline_move {
	CMDLINE_LEFT,
	CMDLINE_RIGHT,
	CMDLINE_HOME,
	CMDLINE_END,
	CMDLINE_WORD_LEFT,
	CMDLINE_WORD_RIGHT,
};
void	 cmdline_move(struct cmdline *cl, enum cmdline_move m);
/* Deletes the character before the cursor; false (and nothing done) when
 * the line is empty. */
bool	 cmdline_backspace(struct cmdline *cl);
/* Deletes the character under the cursor. */
void	 cmdline_delete(struct cmdline *cl);
/* Deletes the word before the cursor (and the blanks after it). */
void	 cmdline_delete_word(struct cmdline *cl);
/* Deletes everything before the cursor. */
void	 cmdline_clear(struct cmdline *cl);

/* Adds line to the history unless it is empty or the last one again. */
void	 cmdline_history_push(struct cmdline *cl, const char *line);
/* The line before (after) the one browsed; after the newest comes an
 * empty line. */
void	 cmdline_history_up(struct cmdline *cl);
void	 cmdline_history_down(struct cmdline *cl);

/* Exchanges the histories of a and b (one line, two histories: the
 * commands' and the searches'). */
void	 cmdline_swap_history(struct cmdline *a, struct cmdline *b);

/* Where the word at the cursor starts (after the last blank before it). */
size_t	 cmdline_word_start(const struct cmdline *cl);
/* Offers v[0..n) (taken, n > 0) as completions of the word from at to
 * the cursor: the first one (back: the last) replaces it. */
void	 cmdline_complete_start(struct cmdline *cl, char **v, size_t n,
	     size_t at, bool back);
/* While completions are offered, puts the next one (back: the one
 * before) in place of the last and returns true; else false. */
bool	 cmdline_complete_next(struct cmdline *cl, bool back);
/* Ends offering completions (any other key than Tab). */
void	 cmdline_complete_end(struct cmdline *cl);

#endif

/*
 * term.h - the terminal's life: curses set up on the controlling
 * terminal (UTF-8 locale, raw input we read ourselves, the alternate
 * screen), the modes galley asks for (bracketed paste, SGR mouse, keys
 * with modifiers reported), and their clean restore on exit, on a crash
 * (fatal signals restore the terminal, then the signal goes on to kill
 * the process as before) and around Ctrl-Z / fg. Signals arrive through
 * a pipe the caller polls. One terminal per process. Only this file and
 * tui/draw.c include <curses.h>. Used by tui/app.c, the commands that
 * suspend it or turn the mouse on and off (tui/cmd-view.c,
 * tui/cmd-config.c), and bench/.
 */
#ifndef GL_TUI_TERM_H
#define GL_TUI_TERM_H

#include <stdbool.h>
#include <stdio.h>

struct gl_err;

struct term_opts {
	bool	 mouse;		/* report mouse events */
	FILE	*out;		/* NULL: stdout (bench: a pty) */
	FILE	*in;		/* NULL: stdin */
	bool	 no_signals;	/* bench: leave signal handlers alone */
};

/* What term_signals() reports. */
#define TERM_SIG_WINCH	0x1	/* the size changed */
#define TERM_SIG_TSTP	0x2	/* asked to stop (kill -TSTP) */
#define TERM_SIG_CONT	0x4	/* continued: redraw everything */
#define TERM_SIG_QUIT	0x8	/* SIGTERM, SIGHUP or SIGINT: save, leave */

/* Takes over the terminal. GL_EIO if it is not one. */
int	 term_init(const struct term_opts *o, struct gl_err *err);
/* Gives it back as it was. Safe to call twice. */
void	 term_fini(void);
/* A fd that becomes readable when a signal came; then call
 * term_signals(). -1 before term_init(). */
int	 term_signal_fd(void);
/* The TERM_SIG_* that came since the last call. */
int	 term_signals(void);
/* The terminal's size now (and curses told of it). */
void	 term_size(int *rows, int *cols);
/* Leaves the screen, stops the process (as Ctrl-Z does), and takes the
 * screen back when continued. The caller redraws everything. */
void	 term_suspend(void);
/* Mouse reports on or off. */
void	 term_mouse(bool on);
/* True if curses draws with colours (no NO_COLOR, a terminal with at
 * least 8). */
bool	 term_has_colors(void);
/* Number of colours the terminal has (0 when monochrome). */
int	 term_colors(void);

#endif

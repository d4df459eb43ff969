/*
 * term.c - curses and the terminal's modes, signals, restore.
 *
 * Input never goes through curses: keypad() stays off and app.c reads
 * stdin and decodes it (tui/input.c), so every key form and the paste
 * markers reach one decoder. curses is used for output only (it knows
 * the terminal from terminfo and sends only what changed).
 *
 * Restoring on a crash happens in a signal handler, where curses cannot
 * be called: term_init() precomputes the bytes that undo our modes and
 * leave the alternate screen, and saves the termios; the handler writes
 * those, restores the termios, puts back the handler that was there
 * before (the default, or the sanitizer's) and lets the fault happen
 * again (a real fault re-faults on return; a signal that was sent, such
 * as abort()'s SIGABRT or kill -SEGV, is raised again), so the process
 * still dies the way it would have, with its core dump or sanitizer
 * report, on a usable terminal.
 */
#define _XOPEN_SOURCE_EXTENDED 1
#include <curses.h>

#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "core/err.h"
#include "tui/term.h"

#define MODES_ON	"\033[?2004h\033[>4;1m\033[>1u"
#define MODES_OFF	"\033[?2004l\033[>4;0m\033[<u"
#define MOUSE_ON	"\033[?1000h\033[?1002h\033[?1006h"
#define MOUSE_OFF	"\033[?1006l\033[?1002l\033[?1000l"

/* The one terminal of the process; signal handlers need it global. */
static struct {
	bool		 on;
	SCREEN		*scr;
	FILE		*out, *in;
	int		 outfd, infd;
	bool		 mouse;
	bool		 colors;
	bool		 handlers;
	struct termios	 saved;
	bool		 have_saved;
	char		 reset[256];	/* what a crash writes */
	size_t		 resetlen;
	int		 pipe[2];
	volatile sig_atomic_t pending;
} T = { .pipe = { -1, -1 }, .outfd = -1, .infd = -1 };

static const int fatal_sigs[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT };
static struct sigaction old_fatal[sizeof fatal_sigs / sizeof *fatal_sigs];

static void	 write_all(int fd, const char *p, size_t n);
static void	 on_signal(int sig);
static void	 on_fatal(int sig, siginfo_t *si, void *uc);
static void	 modes_on(void);
static void	 modes_off(void);

int
term_init(const struct term_opts *o, struct gl_err *err)
{
	const char	*rmcup, *cnorm, *sgr0;
	struct sigaction sa;

	if (T.on)
		return 0;
	setlocale(LC_ALL, "");
	if (MB_CUR_MAX < 2) {
		/* A C or POSIX locale: galley's text is UTF-8 anyway. */
		setlocale(LC_CTYPE, "C.UTF-8");
	}
	T.out = o && o->out ? o->out : stdout;
	T.in = o && o->in ? o->in : stdin;
	T.outfd = fileno(T.out);
	T.infd = fileno(T.in);
	if (!isatty(T.infd) || !isatty(T.outfd))
		return gl_err_set(err, GL_EIO, "galley needs a terminal (stdin "
		    "and stdout are not one)");
	T.have_saved = tcgetattr(T.infd, &T.saved) == 0;
	if ((T.scr = newterm(NULL, T.out, T.in)) == NULL)
		return gl_err_set(err, GL_EIO, "cannot use terminal type '%s'",
		    getenv("TERM") ? getenv("TERM") : "(unset)");
	set_term(T.scr);
	raw();
	noecho();
	nonl();
	keypad(stdscr, FALSE);
	intrflush(stdscr, FALSE);
	leaveok(stdscr, FALSE);
	T.colors = false;
	if (has_colors() && (getenv("NO_COLOR") == NULL ||
	    *getenv("NO_COLOR") == '\0')) {
		start_color();
		use_default_colors();
		T.colors = COLORS >= 8;
	}
	/* The bytes a crash writes: modes off, attributes off, cursor on,
	 * out of the alternate screen. */
	T.resetlen = 0;
	{
		const char *parts[6];
		size_t	 np = 0;

		sgr0 = tigetstr("sgr0");
		cnorm = tigetstr("cnorm");
		rmcup = tigetstr("rmcup");
		parts[np++] = MODES_OFF;
		parts[np++] = MOUSE_OFF;
		if (sgr0 != NULL && sgr0 != (char *)-1)
			parts[np++] = sgr0;
		if (cnorm != NULL && cnorm != (char *)-1)
			parts[np++] = cnorm;
		if (rmcup != NULL && rmcup != (char *)-1)
			parts[np++] = rmcup;
		for (size_t i = 0; i < np; i++) {
			size_t	 l = strlen(parts[i]);

			if (T.resetlen + l < sizeof T.reset) {
				memcpy(T.reset + T.resetlen, parts[i], l);
				T.resetlen += l;
			}
		}
	}
	T.mouse = o ? o->mouse : true;
	T.on = true;
	modes_on();
	if (o == NULL || !o->no_signals) {
		if (pipe(T.pipe) == 0) {
			for (int i = 0; i < 2; i++) {
				fcntl(T.pipe[i], F_SETFL, O_NONBLOCK);
				fcntl(T.pipe[i], F_SETFD, FD_CLOEXEC);
			}
		}
		memset(&sa, 0, sizeof sa);
		sigemptyset(&sa.sa_mask);
		sa.sa_handler = on_signal;
		sa.sa_flags = SA_RESTART;
		sigaction(SIGWINCH, &sa, NULL);
		sigaction(SIGTSTP, &sa, NULL);
		sigaction(SIGCONT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
		sigaction(SIGHUP, &sa, NULL);
		sigaction(SIGINT, &sa, NULL);
		sa.sa_handler = SIG_IGN;
		sigaction(SIGPIPE, &sa, NULL);
		sa.sa_sigaction = on_fatal;
		sa.sa_flags = (int)(SA_RESETHAND | SA_SIGINFO);
		for (size_t i = 0; i < sizeof fatal_sigs / sizeof *fatal_sigs;
		    i++)
			sigaction(fatal_sigs[i], &sa, &old_fatal[i]);
		T.handlers = true;
	}
	return 0;
}

void
term_fini(void)
{
	struct sigaction sa;

	if (!T.on)
		return;
	/* Without an alternate screen (a vt100) the last frame stays: leave
	 * the shell a clean bottom line. */
	move(LINES - 1, 0);
	clrtoeol();
	refresh();
	modes_off();
	endwin();
	delscreen(T.scr);
	T.scr = NULL;
	T.on = false;
	if (T.handlers) {
		memset(&sa, 0, sizeof sa);
		sigemptyset(&sa.sa_mask);
		sa.sa_handler = SIG_DFL;
		sigaction(SIGWINCH, &sa, NULL);
		sigaction(SIGTSTP, &sa, NULL);
		sigaction(SIGCONT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
		sigaction(SIGHUP, &sa, NULL);
		sigaction(SIGINT, &sa, NULL);
		for (size_t i = 0; i < sizeof fatal_sigs / sizeof *fatal_sigs;
		    i++)
			sigaction(fatal_sigs[i], &old_fatal[i], NULL);
		T.handlers = false;
	}
	for (int i = 0; i < 2; i++) {
		if (T.pipe[i] >= 0)
			close(T.pipe[i]);
		T.pipe[i] = -1;
	}
	if (T.have_saved)
		tcsetattr(T.infd, TCSADRAIN, &T.saved);
}

int
term_signal_fd(void)
{
	return T.pipe[0];
}

int
term_signals(void)
{
	char	 buf[64];
	int	 got;

	while (T.pipe[0] >= 0 && read(T.pipe[0], buf, sizeof buf) > 0)
		;
	got = T.pending;
	T.pending = 0;
	return got;
}

void
term_size(int *rows, int *cols)
{
	struct winsize	 ws;

	if (ioctl(T.outfd, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 &&
	    ws.ws_col > 0) {
		if (T.on && (ws.ws_row != LINES || ws.ws_col != COLS))
			resizeterm(ws.ws_row, ws.ws_col);
		*rows = ws.ws_row;
		*cols = ws.ws_col;
		return;
	}
	*rows = T.on ? LINES : 24;
	*cols = T.on ? COLS : 80;
}

void
term_suspend(void)
{
	struct sigaction sa, old;

	if (!T.on)
		return;
	modes_off();
	endwin();
	memset(&sa, 0, sizeof sa);
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = SIG_DFL;
	sigaction(SIGTSTP, &sa, &old);
	/* The whole process group, as vim does: a script that started
	 * galley stops with it and the shell sees the job stop. */
	kill(0, SIGTSTP);
	/* ... stopped until fg ... */
	sigaction(SIGTSTP, &old, NULL);
	reset_prog_mode();
	clearok(curscr, TRUE);
	modes_on();
	refresh();
}

void
term_mouse(bool on)
{
	if (!T.on || on == T.mouse)
		return;
	T.mouse = on;
	fputs(on ? MOUSE_ON : MOUSE_OFF, T.out);
	fflush(T.out);
}

bool
term_has_colors(void)
{
	return T.colors;
}

int
term_colors(void)
{
	return T.colors ? COLORS : 0;
}

/* ------------------------------------------------------------------ */

static void
modes_on(void)
{
	fflush(T.out);
	fputs(MODES_ON, T.out);
	if (T.mouse)
		fputs(MOUSE_ON, T.out);
	fflush(T.out);
}

static void
modes_off(void)
{
	fflush(T.out);
	fputs(MODES_OFF MOUSE_OFF, T.out);
	fflush(T.out);
}

static void
write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t	 k = write(fd, p, n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return;
		p += k;
		n -= (size_t)k;
	}
}

static void
on_signal(int sig)
{
	int	 saved = errno;

	switch (sig) {
	case SIGWINCH:
		T.pending |= TERM_SIG_WINCH;
		break;
	case SIGTSTP:
		T.pending |= TERM_SIG_TSTP;
		break;
	case SIGCONT:
		T.pending |= TERM_SIG_CONT;
		break;
	default:
		T.pending |= TERM_SIG_QUIT;
		break;
	}
	if (T.pipe[1] >= 0)
		(void)!write(T.pipe[1], "s", 1);
	errno = saved;
}

static void
on_fatal(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	if (T.on) {
		write_all(T.outfd, T.reset, T.resetlen);
		if (T.have_saved)
			tcsetattr(T.infd, TCSANOW, &T.saved);
		T.on = false;
	}
	for (size_t i = 0; i < sizeof fatal_sigs / sizeof *fatal_sigs; i++)
		if (fatal_sigs[i] == sig)
			sigaction(sig, &old_fatal[i], NULL);
	/* A fault happens again on return, now handled as before; a signal
	 * that was sent (kill -SEGV, abort()) is sent again. */
	if (sig == SIGABRT || si == NULL || si->si_code <= 0)
		raise(sig);
}

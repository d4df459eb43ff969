/*
 * input.h - terminal input decoded into key events, in one place: UTF-8
 * text, control keys, the xterm/VT escape sequences for arrows, function
 * and editing keys with modifiers (CSI and SS3 forms), xterm's
 * modifyOtherKeys (CSI 27;m;k ~) and the CSI-u form (kitty, foot, tmux's
 * extended keys) that tell Ctrl-Enter and Shift-Enter apart from Enter,
 * SGR mouse reports, and bracketed paste. A lone Esc is told apart from
 * the start of a sequence by a short silence, as tmux and vim do. Pure:
 * bytes and now_ms in, events out. tui/app.c feeds it from stdin and hands
 * the events to tui/app-input.c; tui/keymap.c names the keys.
 */
#ifndef GL_TUI_INPUT_H
#define GL_TUI_INPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Keys that are not characters, above the Unicode range. */
enum input_key {
	INPUT_K_NONE = 0x110000,
	INPUT_K_ENTER,
	INPUT_K_TAB,
	INPUT_K_BS,
	INPUT_K_ESC,
	INPUT_K_UP,
	INPUT_K_DOWN,
	INPUT_K_LEFT,
	INPUT_K_RIGHT,
	INPUT_K_HOME,
	INPUT_K_END,
	INPUT_K_PGUP,
	INPUT_K_PGDN,
	INPUT_K_INS,
	INPUT_K_DEL,
	INPUT_K_F1,		/* F1 .. F12 follow */
	INPUT_K_F12 = INPUT_K_F1 + 11,
};

#define INPUT_MOD_SHIFT	1u
#define INPUT_MOD_ALT	2u
#define INPUT_MOD_CTRL	4u

enum input_type {
	INPUT_KEY,
	INPUT_MOUSE,
	INPUT_PASTE,
};

enum input_button {
	INPUT_B_LEFT = 0,
	INPUT_B_MIDDLE = 1,
	INPUT_B_RIGHT = 2,
	INPUT_B_NONE = 3,	/* motion without a button */
	INPUT_B_WHEEL_UP = 64,
	INPUT_B_WHEEL_DOWN = 65,
};

struct input_ev {
	enum input_type	 type;
	/* INPUT_KEY: a character (Ctrl-letters as the lowercase letter with
	 * INPUT_MOD_CTRL; a shifted letter is the capital, no SHIFT) or an
	 * enum input_key. */
	uint32_t	 key;
	unsigned	 mods;		/* INPUT_MOD_* (keys and mouse) */
	/* INPUT_MOUSE */
	int		 button;	/* enum input_button */
	int		 x, y;		/* 0-based column and row */
	bool		 press;		/* false: release */
	bool		 drag;		/* motion with the button held */
	/* INPUT_PASTE: the pasted bytes; borrowed until the next call. */
	const char	*text;
	size_t		 len;
};

/* How long a lone Esc waits for the rest of a sequence. */
#define INPUT_ESC_MS	25

struct input;

struct input *input_new(void);
void	 input_free(struct input *in);
/* Appends bytes read from the terminal. */
void	 input_feed(struct input *in, const char *p, size_t n, int64_t now_ms);
/* Next event: 1 and *ev filled, or 0 when more bytes are needed. A lone
 * Esc, or a sequence cut short, comes out once INPUT_ESC_MS have passed
 * since the last bytes (pass the time now). */
int	 input_next(struct input *in, struct input_ev *ev, int64_t now_ms);
/* When input_next() should be called again without new bytes (a pending
 * Esc), or -1. */
int64_t	 input_deadline(const struct input *in);

#endif

/*
 * keymap.c - default bindings, key names, options, and the generated
 * help and docs/keys.md.
 *
 * Every action of the TUI is a command line ("run all", "scroll-down 1",
 * "ed-move word-left") naming a command of tui/cmd.c's table; a binding
 * maps a key sequence in a mode to one. So what a key does, what `:` can
 * type, what the help screen lists and what the user's init.lua can
 * rebind come from that one table and the bindings, and docs/keys.md is
 * printed from them (`galley open --dump-keys`; a test checks the file
 * is up to date).
 *
 * Sequences: a key that starts a bound sequence ("d" of "dd") waits for
 * the next; an exact match wins over a longer binding with the same
 * start, so binding both "g" and "gg" makes "gg" unreachable (the help
 * screen still lists it; the docs say so).
 */
#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/err.h"
#include "core/mem.h"
#include "lua/config.h"
#include "tui/cmd.h"
#include "tui/input.h"
#include "tui/keymap.h"


static const char *const mode_names[KEYMAP_NMODES] = {
	"normal", "insert", "cmdline", "pager", "cluster", "review",
	"suggest", "menu",
};

static const char *const mode_titles[KEYMAP_NMODES] = {
	"Normal mode (moving between cells)",
	"Insert mode (editing a cell)",
	"Command line (after :)",
	"Help screen and outputs (F1, O)",
	"Cluster view (C or :cluster)",
	"Review mode (galley review or :review)",
	"Suggestion editor (s in the review mode)",
	"Completion menu (Tab in insert mode)",
};

struct binding {
	int		 mode;
	char		 keys[KEYMAP_SEQ_MAX][KEYMAP_NAME_MAX];
	size_t		 nkeys;
	char		*cmd;		/* owned */
};

struct keymap {
	const struct cmd_table *cmds;	/* borrowed: the names bound */
	struct binding	*b;		/* owned */
	size_t		 n, cap;
	struct keymap_config cfg;
	char		 pend[KEYMAP_SEQ_MAX][KEYMAP_NAME_MAX];
	size_t		 npend;
	int		 pend_mode;
	char		 pend_text[KEYMAP_SEQ_MAX * KEYMAP_NAME_MAX];
};

/* The defaults: { mode, keys, command }. */
static const struct {
	int		 mode;
	const char	*keys, *cmd;
} defaults[] = {
	{ KEYMAP_NORMAL, "j", "down" },
	{ KEYMAP_NORMAL, "<Down>", "down" },
	{ KEYMAP_NORMAL, "k", "up" },
	{ KEYMAP_NORMAL, "<Up>", "up" },
	{ KEYMAP_NORMAL, "gg", "first" },
	{ KEYMAP_NORMAL, "<Home>", "first" },
	{ KEYMAP_NORMAL, "G", "last" },
	{ KEYMAP_NORMAL, "<End>", "last" },
	{ KEYMAP_NORMAL, "<C-e>", "scroll-down 1" },
	{ KEYMAP_NORMAL, "<C-y>", "scroll-up 1" },
	{ KEYMAP_NORMAL, "<C-d>", "half-down" },
	{ KEYMAP_NORMAL, "<C-u>", "half-up" },
	{ KEYMAP_NORMAL, "<C-f>", "page-down" },
	{ KEYMAP_NORMAL, "<PageDown>", "page-down" },
	{ KEYMAP_NORMAL, "<C-b>", "page-up" },
	{ KEYMAP_NORMAL, "<PageUp>", "page-up" },
	{ KEYMAP_NORMAL, "<S-Down>", "select-down" },
	{ KEYMAP_NORMAL, "<S-Up>", "select-up" },
	{ KEYMAP_NORMAL, "<Esc>", "escape" },
	{ KEYMAP_NORMAL, "<Enter>", "run" },
	{ KEYMAP_NORMAL, "<C-Enter>", "run" },
	{ KEYMAP_NORMAL, "<S-Enter>", "run-next" },
	{ KEYMAP_NORMAL, "<M-Enter>", "run-insert" },
	{ KEYMAP_NORMAL, "<C-c>", "interrupt" },
	{ KEYMAP_NORMAL, "a", "add-above" },
	{ KEYMAP_NORMAL, "b", "add-below" },
	{ KEYMAP_NORMAL, "dd", "delete" },
	{ KEYMAP_NORMAL, "x", "cut" },
	{ KEYMAP_NORMAL, "yy", "copy" },
	{ KEYMAP_NORMAL, "p", "paste-below" },
	{ KEYMAP_NORMAL, "P", "paste-above" },
	{ KEYMAP_NORMAL, "J", "move-down" },
	{ KEYMAP_NORMAL, "K", "move-up" },
	{ KEYMAP_NORMAL, "c", "code" },
	{ KEYMAP_NORMAL, "m", "markdown" },
	{ KEYMAP_NORMAL, "r", "raw" },
	{ KEYMAP_NORMAL, "o", "fold" },
	{ KEYMAP_NORMAL, "O", "output" },
	{ KEYMAP_NORMAL, "/", "search" },
	{ KEYMAP_NORMAL, "?", "search-back" },
	{ KEYMAP_NORMAL, "n", "search-next" },
	{ KEYMAP_NORMAL, "N", "search-prev" },
	{ KEYMAP_NORMAL, "u", "undo" },
	{ KEYMAP_NORMAL, "<C-r>", "redo" },
	{ KEYMAP_NORMAL, "i", "edit" },
	{ KEYMAP_NORMAL, "e", "edit" },
	{ KEYMAP_NORMAL, "I", "edit start" },
	{ KEYMAP_NORMAL, "A", "edit end" },
	{ KEYMAP_NORMAL, ":", "command" },
	{ KEYMAP_NORMAL, "<F1>", "help" },
	{ KEYMAP_NORMAL, "<S-Tab>", "inspect" },
	{ KEYMAP_NORMAL, "<C-s>", "write" },
	{ KEYMAP_NORMAL, "ZZ", "wq" },
	{ KEYMAP_NORMAL, "ZQ", "q!" },
	{ KEYMAP_NORMAL, "<C-z>", "suspend" },
	{ KEYMAP_NORMAL, "<C-l>", "redraw" },
	{ KEYMAP_NORMAL, "C", "cluster" },

	{ KEYMAP_INSERT, "<Esc>", "normal" },
	{ KEYMAP_INSERT, "<C-c>", "interrupt" },
	{ KEYMAP_INSERT, "<C-Enter>", "run" },
	{ KEYMAP_INSERT, "<S-Enter>", "run-next" },
	{ KEYMAP_INSERT, "<M-Enter>", "run-insert" },
	{ KEYMAP_INSERT, "<Left>", "ed-move left" },
	{ KEYMAP_INSERT, "<Right>", "ed-move right" },
	{ KEYMAP_INSERT, "<Up>", "ed-move up" },
	{ KEYMAP_INSERT, "<Down>", "ed-move down" },
	{ KEYMAP_INSERT, "<C-Left>", "ed-move word-left" },
	{ KEYMAP_INSERT, "<M-b>", "ed-move word-left" },
	{ KEYMAP_INSERT, "<C-Right>", "ed-move word-right" },
	{ KEYMAP_INSERT, "<M-f>", "ed-move word-right" },
	{ KEYMAP_INSERT, "<Home>", "ed-move home" },
	{ KEYMAP_INSERT, "<End>", "ed-move end" },
	{ KEYMAP_INSERT, "<C-e>", "ed-move end" },
	{ KEYMAP_INSERT, "<C-Home>", "ed-move top" },
	{ KEYMAP_INSERT, "<C-End>", "ed-move bottom" },
	{ KEYMAP_INSERT, "<PageUp>", "ed-move page-up" },
	{ KEYMAP_INSERT, "<PageDown>", "ed-move page-down" },
	{ KEYMAP_INSERT, "<S-Left>", "ed-select left" },
	{ KEYMAP_INSERT, "<S-Right>", "ed-select right" },
	{ KEYMAP_INSERT, "<S-Up>", "ed-select up" },
	{ KEYMAP_INSERT, "<S-Down>", "ed-select down" },
	{ KEYMAP_INSERT, "<S-Home>", "ed-select home" },
	{ KEYMAP_INSERT, "<S-End>", "ed-select end" },
	{ KEYMAP_INSERT, "<C-S-Left>", "ed-select word-left" },
	{ KEYMAP_INSERT, "<C-S-Right>", "ed-select word-right" },
	{ KEYMAP_INSERT, "<Enter>", "ed-newline" },
	{ KEYMAP_INSERT, "<BS>", "ed-backspace" },
	{ KEYMAP_INSERT, "<C-h>", "ed-backspace" },
	{ KEYMAP_INSERT, "<Del>", "ed-delete" },
	{ KEYMAP_INSERT, "<C-d>", "ed-delete" },
	{ KEYMAP_INSERT, "<C-w>", "ed-delete-word" },
	{ KEYMAP_INSERT, "<M-BS>", "ed-delete-word" },
	{ KEYMAP_INSERT, "<C-k>", "ed-kill-line" },
	{ KEYMAP_INSERT, "<Tab>", "ed-complete" },
	{ KEYMAP_INSERT, "<S-Tab>", "ed-inspect" },
	{ KEYMAP_INSERT, "<C-a>", "ed-select-all" },
	{ KEYMAP_INSERT, "<M-w>", "ed-copy" },
	{ KEYMAP_INSERT, "<C-x>", "ed-cut" },
	{ KEYMAP_INSERT, "<C-v>", "ed-paste" },
	{ KEYMAP_INSERT, "<C-z>", "undo" },
	{ KEYMAP_INSERT, "<C-y>", "redo" },
	{ KEYMAP_INSERT, "<C-s>", "write" },

	{ KEYMAP_CMDLINE, "<Enter>", "cl-exec" },
	{ KEYMAP_CMDLINE, "<Esc>", "cl-cancel" },
	{ KEYMAP_CMDLINE, "<C-c>", "cl-cancel" },
	{ KEYMAP_CMDLINE, "<Tab>", "cl-complete" },
	{ KEYMAP_CMDLINE, "<S-Tab>", "cl-complete-back" },
	{ KEYMAP_CMDLINE, "<Up>", "cl-history-up" },
	{ KEYMAP_CMDLINE, "<C-p>", "cl-history-up" },
	{ KEYMAP_CMDLINE, "<Down>", "cl-history-down" },
	{ KEYMAP_CMDLINE, "<C-n>", "cl-history-down" },
	{ KEYMAP_CMDLINE, "<Left>", "cl-move left" },
	{ KEYMAP_CMDLINE, "<Right>", "cl-move right" },
	{ KEYMAP_CMDLINE, "<Home>", "cl-move home" },
	{ KEYMAP_CMDLINE, "<C-a>", "cl-move home" },
	{ KEYMAP_CMDLINE, "<End>", "cl-move end" },
	{ KEYMAP_CMDLINE, "<C-e>", "cl-move end" },
	{ KEYMAP_CMDLINE, "<C-Left>", "cl-move word-left" },
	{ KEYMAP_CMDLINE, "<C-Right>", "cl-move word-right" },
	{ KEYMAP_CMDLINE, "<BS>", "cl-backspace" },
	{ KEYMAP_CMDLINE, "<C-h>", "cl-backspace" },
	{ KEYMAP_CMDLINE, "<Del>", "cl-delete" },
	{ KEYMAP_CMDLINE, "<C-w>", "cl-delete-word" },
	{ KEYMAP_CMDLINE, "<C-u>", "cl-clear" },

	{ KEYMAP_PAGER, "j", "pg-down 1" },
	{ KEYMAP_PAGER, "<Down>", "pg-down 1" },
	{ KEYMAP_PAGER, "<Enter>", "pg-down 1" },
	{ KEYMAP_PAGER, "k", "pg-up 1" },
	{ KEYMAP_PAGER, "<Up>", "pg-up 1" },
	{ KEYMAP_PAGER, "<Space>", "pg-down 20" },
	{ KEYMAP_PAGER, "<PageDown>", "pg-down 20" },
	{ KEYMAP_PAGER, "<C-d>", "pg-down 10" },
	{ KEYMAP_PAGER, "<PageUp>", "pg-up 20" },
	{ KEYMAP_PAGER, "<C-u>", "pg-up 10" },
	{ KEYMAP_PAGER, "g", "pg-top" },
	{ KEYMAP_PAGER, "G", "pg-bottom" },
	{ KEYMAP_PAGER, "/", "search" },
	{ KEYMAP_PAGER, "?", "search-back" },
	{ KEYMAP_PAGER, "n", "search-next" },
	{ KEYMAP_PAGER, "N", "search-prev" },
	{ KEYMAP_PAGER, "q", "pg-close" },
	{ KEYMAP_PAGER, "<Esc>", "pg-close" },
	{ KEYMAP_PAGER, "<F1>", "pg-close" },

	{ KEYMAP_CLUSTER, "q", "cv-close" },
	{ KEYMAP_CLUSTER, "<Esc>", "cv-close" },
	{ KEYMAP_CLUSTER, "C", "cv-close" },
	{ KEYMAP_CLUSTER, "+", "scale +1" },
	{ KEYMAP_CLUSTER, "-", "scale -1" },
	{ KEYMAP_CLUSTER, "j", "cv-down 1" },
	{ KEYMAP_CLUSTER, "<Down>", "cv-down 1" },
	{ KEYMAP_CLUSTER, "k", "cv-up 1" },
	{ KEYMAP_CLUSTER, "<Up>", "cv-up 1" },
	{ KEYMAP_CLUSTER, "<PageDown>", "cv-down 20" },
	{ KEYMAP_CLUSTER, "<PageUp>", "cv-up 20" },
	{ KEYMAP_CLUSTER, "r", "cv-refresh" },
	{ KEYMAP_CLUSTER, ":", "command" },
	{ KEYMAP_CLUSTER, "?", "help" },
	{ KEYMAP_CLUSTER, "<C-l>", "redraw" },

	{ KEYMAP_REVIEW, "j", "rv-down 1" },
	{ KEYMAP_REVIEW, "<Down>", "rv-down 1" },
	{ KEYMAP_REVIEW, "k", "rv-up 1" },
	{ KEYMAP_REVIEW, "<Up>", "rv-up 1" },
	{ KEYMAP_REVIEW, "<C-d>", "rv-page-down" },
	{ KEYMAP_REVIEW, "<PageDown>", "rv-page-down" },
	{ KEYMAP_REVIEW, "<Space>", "rv-page-down" },
	{ KEYMAP_REVIEW, "<C-u>", "rv-page-up" },
	{ KEYMAP_REVIEW, "<PageUp>", "rv-page-up" },
	{ KEYMAP_REVIEW, "gg", "rv-top" },
	{ KEYMAP_REVIEW, "<Home>", "rv-top" },
	{ KEYMAP_REVIEW, "G", "rv-bottom" },
	{ KEYMAP_REVIEW, "<End>", "rv-bottom" },
	{ KEYMAP_REVIEW, "]c", "rv-next change" },
	{ KEYMAP_REVIEW, "[c", "rv-prev change" },
	{ KEYMAP_REVIEW, "]t", "rv-next thread" },
	{ KEYMAP_REVIEW, "[t", "rv-prev thread" },
	{ KEYMAP_REVIEW, "]f", "rv-next file" },
	{ KEYMAP_REVIEW, "[f", "rv-prev file" },
	{ KEYMAP_REVIEW, "V", "rv-select" },
	{ KEYMAP_REVIEW, "c", "command comment " },
	{ KEYMAP_REVIEW, "s", "suggest" },
	{ KEYMAP_REVIEW, "r", "command reply " },
	{ KEYMAP_REVIEW, "x", "resolve" },
	{ KEYMAP_REVIEW, "a", "apply" },
	{ KEYMAP_REVIEW, "A", "command approve " },
	{ KEYMAP_REVIEW, "R", "command request-changes " },
	{ KEYMAP_REVIEW, "<Enter>", "rv-goto" },
	{ KEYMAP_REVIEW, "<C-r>", "rv-refresh" },
	{ KEYMAP_REVIEW, "<Esc>", "rv-escape" },
	{ KEYMAP_REVIEW, "q", "rv-close" },
	{ KEYMAP_REVIEW, ":", "command" },
	{ KEYMAP_REVIEW, "?", "help" },
	{ KEYMAP_REVIEW, "<F1>", "help" },
	{ KEYMAP_REVIEW, "<C-l>", "redraw" },

	{ KEYMAP_SUGGEST, "<Esc>", "sg-done" },
	{ KEYMAP_SUGGEST, "<C-s>", "sg-done" },
	{ KEYMAP_SUGGEST, "<C-c>", "sg-cancel" },
	{ KEYMAP_SUGGEST, "<Left>", "sg-move left" },
	{ KEYMAP_SUGGEST, "<Right>", "sg-move right" },
	{ KEYMAP_SUGGEST, "<Up>", "sg-move up" },
	{ KEYMAP_SUGGEST, "<Down>", "sg-move down" },
	{ KEYMAP_SUGGEST, "<C-Left>", "sg-move word-left" },
	{ KEYMAP_SUGGEST, "<C-Right>", "sg-move word-right" },
	{ KEYMAP_SUGGEST, "<Home>", "sg-move home" },
	{ KEYMAP_SUGGEST, "<End>", "sg-move end" },
	{ KEYMAP_SUGGEST, "<Enter>", "sg-newline" },
	{ KEYMAP_SUGGEST, "<BS>", "sg-backspace" },
	{ KEYMAP_SUGGEST, "<C-h>", "sg-backspace" },
	{ KEYMAP_SUGGEST, "<Del>", "sg-delete" },
	{ KEYMAP_SUGGEST, "<C-w>", "sg-delete-word" },
	{ KEYMAP_SUGGEST, "<C-k>", "sg-kill-line" },
	{ KEYMAP_SUGGEST, "<Tab>", "sg-indent" },

	{ KEYMAP_MENU, "<Tab>", "pm-next" },
	{ KEYMAP_MENU, "<Down>", "pm-next" },
	{ KEYMAP_MENU, "<C-n>", "pm-next" },
	{ KEYMAP_MENU, "<S-Tab>", "pm-prev" },
	{ KEYMAP_MENU, "<Up>", "pm-prev" },
	{ KEYMAP_MENU, "<C-p>", "pm-prev" },
	{ KEYMAP_MENU, "<Enter>", "pm-accept" },
	{ KEYMAP_MENU, "<Esc>", "pm-close" },
};

#define NDEFAULTS (sizeof defaults / sizeof defaults[0])

/* Special key names, canonical first; aliases after. */
static const struct {
	const char	*name;
	uint32_t	 key;
} key_names[] = {
	{ "Enter", INPUT_K_ENTER }, { "CR", INPUT_K_ENTER },
	{ "Return", INPUT_K_ENTER },
	{ "Tab", INPUT_K_TAB },
	{ "BS", INPUT_K_BS }, { "Backspace", INPUT_K_BS },
	{ "Esc", INPUT_K_ESC }, { "Escape", INPUT_K_ESC },
	{ "Up", INPUT_K_UP }, { "Down", INPUT_K_DOWN },
	{ "Left", INPUT_K_LEFT }, { "Right", INPUT_K_RIGHT },
	{ "Home", INPUT_K_HOME }, { "End", INPUT_K_END },
	{ "PageUp", INPUT_K_PGUP }, { "PgUp", INPUT_K_PGUP },
	{ "PageDown", INPUT_K_PGDN }, { "PgDn", INPUT_K_PGDN },
	{ "Insert", INPUT_K_INS }, { "Ins", INPUT_K_INS },
	{ "Del", INPUT_K_DEL }, { "Delete", INPUT_K_DEL },
	{ "Space", ' ' },
	{ "lt", '<' },
};

static int	 name_key(const char *base, uint32_t *key);

/* ------------------------------------------------------------------ */

const char *
keymap_mode_name(enum keymap_mode m)
{
	return (unsigned)m < KEYMAP_NMODES ? mode_names[m] : "?";
}

int
keymap_mode_parse(const char *name)
{
	for (int i = 0; i < KEYMAP_NMODES; i++)
		if (strcmp(name, mode_names[i]) == 0)
			return i;
	if (strcmp(name, "n") == 0)
		return KEYMAP_NORMAL;
	if (strcmp(name, "i") == 0)
		return KEYMAP_INSERT;
	if (strcmp(name, "c") == 0)
		return KEYMAP_CMDLINE;
	return -1;
}

void
keymap_key_name(const struct input_ev *ev, char out[KEYMAP_NAME_MAX])
{
	const char	*base = NULL;
	char		 ch[8];
	unsigned	 mods;

	out[0] = '\0';
	if (ev->type != INPUT_KEY)
		return;
	mods = ev->mods;
	if (ev->key >= INPUT_K_F1 && ev->key <= INPUT_K_F12) {
		snprintf(ch, sizeof ch, "F%u", ev->key - INPUT_K_F1 + 1);
		base = ch;
	} else if (ev->key >= INPUT_K_NONE) {
		for (size_t i = 0; i < sizeof key_names / sizeof *key_names; i++)
			if (key_names[i].key == ev->key) {
				base = key_names[i].name;
				break;
			}
		if (base == NULL)
			return;
	} else if (ev->key == ' ') {
		base = "Space";
	} else if (ev->key == '<') {
		base = "lt";
	} else {
		size_t	 n = 0;
		uint32_t c = ev->key;

		if (c < 0x80)
			ch[n++] = (char)c;
		else if (c < 0x800) {
			ch[n++] = (char)(0xc0 | (c >> 6));
			ch[n++] = (char)(0x80 | (c & 0x3f));
		} else if (c < 0x10000) {
			ch[n++] = (char)(0xe0 | (c >> 12));
			ch[n++] = (char)(0x80 | ((c >> 6) & 0x3f));
			ch[n++] = (char)(0x80 | (c & 0x3f));
		} else {
			ch[n++] = (char)(0xf0 | (c >> 18));
			ch[n++] = (char)(0x80 | ((c >> 12) & 0x3f));
			ch[n++] = (char)(0x80 | ((c >> 6) & 0x3f));
			ch[n++] = (char)(0x80 | (c & 0x3f));
		}
		ch[n] = '\0';
		if (mods == 0) {
			snprintf(out, KEYMAP_NAME_MAX, "%s", ch);
			return;
		}
		base = ch;
	}
	snprintf(out, KEYMAP_NAME_MAX, "<%s%s%s%s>",
	    (mods & INPUT_MOD_CTRL) ? "C-" : "",
	    (mods & INPUT_MOD_ALT) ? "M-" : "",
	    (mods & INPUT_MOD_SHIFT) ? "S-" : "", base);
}

static int
name_key(const char *base, uint32_t *key)
{
	for (size_t i = 0; i < sizeof key_names / sizeof *key_names; i++)
		if (strcasecmp(base, key_names[i].name) == 0) {
			*key = key_names[i].key;
			return 0;
		}
	if ((base[0] == 'F' || base[0] == 'f') && isdigit((unsigned char)base[1])) {
		int	 n = atoi(base + 1);

		if (n >= 1 && n <= 12) {
			*key = INPUT_K_F1 + (uint32_t)(n - 1);
			return 0;
		}
	}
	return -1;
}

/* One <...> token body (without the brackets) into a canonical name. */
static int
parse_angle(const char *body, char out[KEYMAP_NAME_MAX], struct gl_err *err)
{
	struct input_ev	 ev;
	unsigned	 mods = 0;
	const char	*p = body;
	uint32_t	 key;

	memset(&ev, 0, sizeof ev);
	while (p[0] != '\0' && p[1] == '-' && p[2] != '\0') {
		switch (toupper((unsigned char)p[0])) {
		case 'C':
			mods |= INPUT_MOD_CTRL;
			break;
		case 'M':
		case 'A':
			mods |= INPUT_MOD_ALT;
			break;
		case 'S':
			mods |= INPUT_MOD_SHIFT;
			break;
		default:
			return gl_err_set(err, GL_EINVAL,
			    "unknown modifier in <%s> (C-, M-, A-, S-)", body);
		}
		p += 2;
	}
	if (name_key(p, &key) == 0) {
		ev.key = key;
	} else {
		uint32_t cp;
		size_t	 len = strlen(p), k;

		if (len == 0)
			return gl_err_set(err, GL_EINVAL, "empty key <%s>",
			    body);
		/* One character. */
		k = 1;
		cp = (unsigned char)p[0];
		if (cp >= 0x80) {
			int	 nb = cp >= 0xf0 ? 4 : cp >= 0xe0 ? 3 : 2;

			cp &= nb == 4 ? 0x07 : nb == 3 ? 0x0f : 0x1f;
			for (int i = 1; i < nb && p[i]; i++)
				cp = (cp << 6) | ((unsigned char)p[i] & 0x3f);
			k = (size_t)nb;
		}
		if (k != len)
			return gl_err_set(err, GL_EINVAL, "unknown key <%s>",
			    body);
		if ((mods & INPUT_MOD_CTRL) && cp >= 'A' && cp <= 'Z')
			cp += 32;
		/* Shift with a character is the character itself. */
		if ((mods & INPUT_MOD_SHIFT) && !(mods & INPUT_MOD_CTRL)) {
			if (cp >= 'a' && cp <= 'z')
				cp -= 32;
			mods &= ~INPUT_MOD_SHIFT;
		}
		ev.key = cp;
	}
	ev.type = INPUT_KEY;
	ev.mods = mods;
	keymap_key_name(&ev, out);
	return 0;
}

int
keymap_parse_keys(const char *spec, char out[][KEYMAP_NAME_MAX], size_t max,
    struct gl_err *err)
{
	size_t	 n = 0;
	const char *p = spec;

	if (spec == NULL || *spec == '\0')
		return gl_err_set(err, GL_EINVAL, "no keys given");
	while (*p) {
		if (n == max)
			return gl_err_set(err, GL_EINVAL,
			    "'%s': at most %zu keys in a sequence", spec, max);
		if (*p == '<' && strchr(p + 1, '>') != NULL && p[1] != '>') {
			const char *e = strchr(p + 1, '>');
			char	 body[KEYMAP_NAME_MAX];
			size_t	 bl = (size_t)(e - p - 1);
			int	 rc;

			if (bl >= sizeof body)
				return gl_err_set(err, GL_EINVAL,
				    "'%s': key name too long", spec);
			memcpy(body, p + 1, bl);
			body[bl] = '\0';
			if ((rc = parse_angle(body, out[n], err)) != 0) {
				gl_err_prefix(err, "'%s'", spec);
				return rc;
			}
			p = e + 1;
		} else {
			struct input_ev	 ev;
			uint32_t	 cp = (unsigned char)*p;
			int		 k = 1;

			if (cp >= 0x80) {
				k = cp >= 0xf0 ? 4 : cp >= 0xe0 ? 3 : 2;
				cp &= k == 4 ? 0x07 : k == 3 ? 0x0f : 0x1f;
				for (int i = 1; i < k; i++) {
					if (p[i] == '\0')
						return gl_err_set(err, GL_EINVAL,
						    "'%s': bad UTF-8", spec);
					cp = (cp << 6) | ((unsigned char)p[i] &
					    0x3f);
				}
			} else if (cp < 0x20)
				return gl_err_set(err, GL_EINVAL, "'%s': write "
				    "control keys as <C-x>", spec);
			memset(&ev, 0, sizeof ev);
			ev.type = INPUT_KEY;
			ev.key = cp;
			keymap_key_name(&ev, out[n]);
			p += k;
		}
		n++;
	}
	return (int)n;
}

/* ------------------------------------------------------------------ */

struct keymap *
keymap_new(void)
{
	return keymap_new_with(cmd_table_builtin());
}

struct keymap *
keymap_new_with(const struct cmd_table *cmds)
{
	struct keymap	*km = xcalloc(1, sizeof *km);

	km->cmds = cmds;
	km->cfg.fold_lines = 12;
	km->cfg.indent = 2;
	km->cfg.tab = 4;
	km->cfg.autosave = 30;
	km->cfg.mouse = true;
	for (size_t i = 0; i < NDEFAULTS; i++)
		if (keymap_set(km, defaults[i].mode, defaults[i].keys,
		    defaults[i].cmd, NULL) != 0)
			gl_fatal("keymap: bad default %s", defaults[i].keys);
	return km;
}

void
keymap_free(struct keymap *km)
{
	if (km == NULL)
		return;
	for (size_t i = 0; i < km->n; i++)
		free(km->b[i].cmd);
	free(km->b);
	free(km);
}

const struct keymap_config *
keymap_config(const struct keymap *km)
{
	return &km->cfg;
}

static bool
seq_eq(const struct binding *b, char keys[][KEYMAP_NAME_MAX], size_t n)
{
	if (b->nkeys != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (strcmp(b->keys[i], keys[i]) != 0)
			return false;
	return true;
}

int
keymap_set(struct keymap *km, enum keymap_mode mode, const char *keys,
    const char *command, struct gl_err *err)
{
	char		 seq[KEYMAP_SEQ_MAX][KEYMAP_NAME_MAX];
	int		 n;
	struct binding	*b = NULL;

	if ((unsigned)mode >= KEYMAP_NMODES)
		return gl_err_set(err, GL_EINVAL, "unknown mode");
	if ((n = keymap_parse_keys(keys, seq, KEYMAP_SEQ_MAX, err)) < 0)
		return n;
	if (command != NULL && *command != '\0' &&
	    cmd_find(km->cmds, command) == NULL)
		return gl_err_set(err, GL_EINVAL, "unknown command '%.*s' "
		    "(:help lists them)", (int)strcspn(command, " "), command);
	for (size_t i = 0; i < km->n; i++)
		if (km->b[i].mode == (int)mode &&
		    seq_eq(&km->b[i], seq, (size_t)n)) {
			b = &km->b[i];
			break;
		}
	if (command == NULL || *command == '\0') {
		if (b != NULL) {
			free(b->cmd);
			memmove(b, b + 1, (size_t)(km->b + km->n - b - 1) *
			    sizeof *b);
			km->n--;
		}
		return 0;
	}
	if (b == NULL) {
		if (km->n == km->cap) {
			km->cap = km->cap ? km->cap * 2 : 64;
			km->b = xrealloc(km->b, km->cap * sizeof *km->b);
		}
		b = &km->b[km->n++];
		memset(b, 0, sizeof *b);
		b->mode = (int)mode;
		memcpy(b->keys, seq, sizeof seq);
		b->nkeys = (size_t)n;
	} else
		free(b->cmd);
	b->cmd = xstrdup(command);
	km->npend = 0;
	return 0;
}

/* The options: name, whether it is a switch, its range (numbers), where
 * it lives in struct keymap_config, its default as docs/keys.md shows
 * it, and what it does. */
static const struct option {
	const char	*name;
	bool		 is_bool;
	long		 min, max;
	size_t		 off;
	const char	*dflt;
	const char	*help;
} options[] = {
	{ "fold_lines", false, 2, 100000,
	  offsetof(struct keymap_config, fold_lines), "12",
	  "outputs longer than this many lines are folded (`o` unfolds)" },
	{ "indent", false, 1, 8, offsetof(struct keymap_config, indent), "2",
	  "columns per indent level in the editor" },
	{ "tabstop", false, 1, 16, offsetof(struct keymap_config, tab), "4",
	  "display width of a tab in sources" },
	{ "autosave", false, 0, 1000000000,
	  offsetof(struct keymap_config, autosave), "30",
	  "seconds between automatic saves of unsaved changes; 0 turns it "
	  "off" },
	{ "ascii", true, 0, 1, offsetof(struct keymap_config, ascii), "false",
	  "draw with ASCII only (no box-drawing characters)" },
	{ "mouse", true, 0, 1, offsetof(struct keymap_config, mouse), "true",
	  "use the mouse (false leaves it to the terminal, for selecting "
	  "text)" },
	{ "number", true, 0, 1, offsetof(struct keymap_config, number),
	  "false", "show each cell's number in the gutter (`:5` and `5G` go "
	  "to cell 5)" },
	{ "ignorecase", true, 0, 1,
	  offsetof(struct keymap_config, ignorecase), "false",
	  "searches ignore case (`\\C` in a pattern respects it)" },
	{ "smartcase", true, 0, 1, offsetof(struct keymap_config, smartcase),
	  "false", "with ignorecase, a pattern with a capital respects case" },
	{ "search_outputs", true, 0, 1,
	  offsetof(struct keymap_config, search_outputs), "false",
	  "`/` and `?` search the cells' outputs too, not only their sources" },
};

#define NOPTIONS (sizeof options / sizeof options[0])

int
keymap_set_option(struct keymap *km, const char *name, const char *value,
    struct gl_err *err)
{
	const struct option *o = NULL;
	char	*end, *p;
	long	 v = strtol(value, &end, 10);
	bool	 isnum = end != value && *end == '\0';
	bool	 b = strcmp(value, "true") == 0 || strcmp(value, "on") == 0 ||
		    strcmp(value, "1") == 0;
	bool	 isbool = b || strcmp(value, "false") == 0 ||
		    strcmp(value, "off") == 0 || strcmp(value, "0") == 0;

	for (size_t i = 0; i < NOPTIONS && o == NULL; i++)
		if (strcmp(options[i].name, name) == 0)
			o = &options[i];
	if (o == NULL)
		return gl_err_set(err, GL_EINVAL, "unknown option '%s' (%s)",
		    name, keymap_option_names());
	p = (char *)&km->cfg + o->off;
	if (o->is_bool && isbool)
		*(bool *)p = b;
	else if (!o->is_bool && isnum && v >= o->min && v <= o->max)
		*(int *)p = (int)v;
	else
		return gl_err_set(err, GL_EINVAL, "bad value '%s' for %s",
		    value, name);
	return 0;
}

bool
keymap_option_is_bool(const char *name)
{
	for (size_t i = 0; i < NOPTIONS; i++)
		if (strcmp(options[i].name, name) == 0)
			return options[i].is_bool;
	return false;
}

const char *
keymap_option_names(void)
{
	static char	 names[256];

	if (names[0] == '\0')
		for (size_t i = 0; i < NOPTIONS; i++)
			snprintf(names + strlen(names), sizeof names -
			    strlen(names), "%s%s", i ? ", " : "",
			    options[i].name);
	return names;
}

/* Whether the pending keys plus key match a binding in mode. */
static enum keymap_result
lookup(struct keymap *km, int mode, const char **cmd)
{
	bool	 prefix = false;

	for (size_t i = 0; i < km->n; i++) {
		const struct binding *b = &km->b[i];
		bool	 same = true;

		if (b->mode != mode || b->nkeys < km->npend)
			continue;
		for (size_t k = 0; k < km->npend && same; k++)
			same = strcmp(b->keys[k], km->pend[k]) == 0;
		if (!same)
			continue;
		if (b->nkeys == km->npend) {
			*cmd = b->cmd;
			return KEYMAP_MATCH;
		}
		prefix = true;
	}
	return prefix ? KEYMAP_PENDING : KEYMAP_NONE;
}

enum keymap_result
keymap_feed(struct keymap *km, enum keymap_mode mode, const char *key,
    const char **cmd)
{
	enum keymap_result r;

	*cmd = NULL;
	if (km->npend > 0 && km->pend_mode != (int)mode)
		km->npend = 0;
	for (int attempt = 0; attempt < 2; attempt++) {
		bool	 had = km->npend > 0;

		if (km->npend == KEYMAP_SEQ_MAX)
			km->npend = 0;
		snprintf(km->pend[km->npend++], KEYMAP_NAME_MAX, "%s", key);
		km->pend_mode = (int)mode;
		r = lookup(km, (int)mode, cmd);
		if (r != KEYMAP_PENDING)
			km->npend = 0;
		if (r != KEYMAP_NONE || !had)
			return r;
		/* The sequence broke: try the key on its own. */
	}
	return KEYMAP_NONE;
}

/* Whether keys[0..n) match or start a binding of mode. */
static bool
seq_bound(const struct keymap *km, int mode, char keys[][KEYMAP_NAME_MAX],
    size_t n)
{
	for (size_t i = 0; i < km->n; i++) {
		const struct binding *b = &km->b[i];
		size_t	 k = 0;

		if (b->mode != mode || b->nkeys < n)
			continue;
		while (k < n && strcmp(b->keys[k], keys[k]) == 0)
			k++;
		if (k == n)
			return true;
	}
	return false;
}

bool
keymap_binds(const struct keymap *km, enum keymap_mode mode, const char *key)
{
	char	 seq[KEYMAP_SEQ_MAX][KEYMAP_NAME_MAX];
	size_t	 n = 0;

	if (km->npend > 0 && km->pend_mode == (int)mode &&
	    km->npend < KEYMAP_SEQ_MAX) {
		memcpy(seq, km->pend, km->npend * sizeof seq[0]);
		n = km->npend;
		snprintf(seq[n++], KEYMAP_NAME_MAX, "%s", key);
		if (seq_bound(km, (int)mode, seq, n))
			return true;
	}
	snprintf(seq[0], KEYMAP_NAME_MAX, "%s", key);
	return seq_bound(km, (int)mode, seq, 1);
}

void
keymap_reset(struct keymap *km)
{
	km->npend = 0;
}

const char *
keymap_pending(const struct keymap *km)
{
	struct keymap	*m = (struct keymap *)km;

	m->pend_text[0] = '\0';
	for (size_t i = 0; i < km->npend; i++)
		strncat(m->pend_text, km->pend[i],
		    sizeof m->pend_text - strlen(m->pend_text) - 1);
	return m->pend_text;
}

static void
seq_text(const struct binding *b, char *out, size_t n)
{
	out[0] = '\0';
	for (size_t k = 0; k < b->nkeys; k++)
		strncat(out, b->keys[k], n - strlen(out) - 1);
}

char *
keymap_keys_for(const struct keymap *km, enum keymap_mode mode, const char *cmd)
{
	struct gl_buf	 b;

	gl_buf_init(&b);
	for (size_t i = 0; i < km->n; i++) {
		char	 s[KEYMAP_SEQ_MAX * KEYMAP_NAME_MAX];

		if (km->b[i].mode != (int)mode ||
		    strcmp(km->b[i].cmd, cmd) != 0)
			continue;
		seq_text(&km->b[i], s, sizeof s);
		if (b.len)
			gl_buf_adds(&b, ", ");
		gl_buf_adds(&b, s);
	}
	return gl_buf_take(&b, NULL);
}

/* The help text of a command line: the command's help, with the
 * argument shown when there is one ("run all": "run all cells"). */
static void
describe(const struct keymap *km, const char *cmdline, struct gl_buf *out)
{
	const struct cmd_entry *c = cmd_find(km->cmds, cmdline);
	const char	*args = cmdline + strcspn(cmdline, " ");

	while (*args == ' ')
		args++;
	if (c == NULL) {
		gl_buf_adds(out, cmdline);
		return;
	}
	gl_buf_adds(out, c->help);
	if (*args)
		gl_buf_addf(out, " [%s %s]", c->name, args);
}

/* Calls fn for each distinct command line of mode, in binding order,
 * with the keys bound to it joined. */
static void
each_group(const struct keymap *km, int mode,
    void (*fn)(const struct keymap *, const char *keys, const char *cmd,
    struct gl_buf *), struct gl_buf *out)
{
	for (size_t i = 0; i < km->n; i++) {
		bool	 seen = false;
		char	*keys;

		if (km->b[i].mode != mode)
			continue;
		for (size_t j = 0; j < i && !seen; j++)
			seen = km->b[j].mode == mode &&
			    strcmp(km->b[j].cmd, km->b[i].cmd) == 0;
		if (seen)
			continue;
		keys = keymap_keys_for(km, (enum keymap_mode)mode,
		    km->b[i].cmd);
		fn(km, keys, km->b[i].cmd, out);
		free(keys);
	}
}

static void
help_line(const struct keymap *km, const char *keys, const char *cmd,
    struct gl_buf *out)
{
	gl_buf_addf(out, "%s\t", keys);
	describe(km, cmd, out);
	gl_buf_addc(out, '\n');
}

void
keymap_help(const struct keymap *km, struct gl_buf *out)
{
	gl_buf_adds(out, "# galley keys (your ~/.config/galley/init.lua can "
	    "change them)\n\n");
	for (int m = 0; m < KEYMAP_NMODES; m++) {
		gl_buf_addf(out, "# %s\n", mode_titles[m]);
		each_group(km, m, help_line, out);
		if (m == KEYMAP_NORMAL)
			gl_buf_adds(out, "mouse\tclick a cell to select it, "
			    "click its text to edit there; wheel scrolls\n");
		if (m == KEYMAP_INSERT || m == KEYMAP_SUGGEST)
			gl_buf_adds(out, "other keys\ttype text; a terminal "
			    "paste is inserted as is\n");
		gl_buf_addc(out, '\n');
	}
	gl_buf_adds(out, "# Commands (type : then the command; Tab "
	    "completes)\n");
	for (size_t i = 0; i < cmd_count(km->cmds); i++) {
		const struct cmd_entry *c = cmd_at(km->cmds, i);

		if (c->flags & (CMD_F_KEY | CMD_F_ALIAS))
			continue;
		gl_buf_addf(out, ":%s%s%s\t%s\n", c->name,
		    *c->args ? " " : "", c->args, c->help);
	}
}

/* Escapes | and < > for a markdown table cell inside backticks. */
static void
md_code(struct gl_buf *out, const char *s)
{
	gl_buf_addc(out, '`');
	for (; *s; s++) {
		if (*s == '|')
			gl_buf_adds(out, "\\|");
		else
			gl_buf_addc(out, *s);
	}
	gl_buf_addc(out, '`');
}

static void
md_line(const struct keymap *km, const char *keys, const char *cmd,
    struct gl_buf *out)
{
	const struct cmd_entry *c = cmd_find(km->cmds, cmd);
	char		*copy = xstrdup(keys), *tok, *save = NULL;
	bool		 first = true;

	gl_buf_adds(out, "| ");
	for (tok = strtok_r(copy, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		while (*tok == ' ')
			tok++;
		if (!first)
			gl_buf_adds(out, " ");
		md_code(out, tok);
		first = false;
	}
	free(copy);
	gl_buf_adds(out, " | ");
	md_code(out, cmd);
	gl_buf_adds(out, " | ");
	gl_buf_adds(out, c ? c->help : "");
	gl_buf_adds(out, " |\n");
}

void
keymap_markdown(const struct keymap *km, struct gl_buf *out)
{
	gl_buf_adds(out,
	    "# Keys of the terminal UI\n"
	    "\n"
	    "<!-- Generated by `galley open --dump-keys` from tui/cmd.c and "
	    "tui/keymap.c;\n"
	    "     do not edit. tests/tui/t_keys_doc.sh fails when this file "
	    "is out of date. -->\n"
	    "\n"
	    "Every key runs a command, and every command can also be typed "
	    "after `:`.\n"
	    "Keys are written as in vim: `<C-r>` is Ctrl-R, `<M-Enter>` "
	    "Alt-Enter, `<S-Tab>`\n"
	    "Shift-Tab, `dd` is d pressed twice. Change them in "
	    "`~/.config/galley/init.lua`:\n"
	    "\n"
	    "```lua\n"
	    "galley.keymap.set(\"normal\", \"<C-j>\", \"move-down\")\n"
	    "galley.keymap.set(\"normal\", \"<C-k>\", \"move-up\")\n"
	    "galley.keymap.del(\"normal\", \"x\")          -- unbind\n"
	    "galley.set(\"indent\", 4)\n"
	    "```\n"
	    "\n"
	    "A binding that is a prefix of a longer one wins: with `g` "
	    "bound, `gg` is\n"
	    "never reached. `<C-Enter>` and `<S-Enter>` need a terminal that "
	    "reports them\n"
	    "(xterm with modifyOtherKeys, kitty, foot, WezTerm, tmux with "
	    "`extended-keys on`);\n"
	    "`<Enter>` and `<M-Enter>` work everywhere.\n");
	for (int m = 0; m < KEYMAP_NMODES; m++) {
		gl_buf_addf(out, "\n## %s\n\n| keys | command | what it does "
		    "|\n|---|---|---|\n", mode_titles[m]);
		each_group(km, m, md_line, out);
		if (m == KEYMAP_NORMAL)
			gl_buf_adds(out, "| mouse | | click a cell to select "
			    "it, click its text to edit there; the wheel "
			    "scrolls |\n");
		if (m == KEYMAP_INSERT || m == KEYMAP_SUGGEST)
			gl_buf_adds(out, "| other keys | | type text; a "
			    "terminal paste is inserted as is, without "
			    "auto-indent |\n");
		if (m == KEYMAP_MENU)
			gl_buf_adds(out, "| other keys | | close the menu and "
			    "do what they do in insert mode |\n");
	}
	gl_buf_adds(out, "\n## All commands\n\n| command | arguments | what "
	    "it does |\n|---|---|---|\n");
	for (size_t i = 0; i < cmd_count(km->cmds); i++) {
		const struct cmd_entry *c = cmd_at(km->cmds, i);

		if (c->flags & CMD_F_ALIAS)
			continue;
		gl_buf_adds(out, "| ");
		md_code(out, c->name);
		gl_buf_adds(out, " | ");
		if (*c->args)
			md_code(out, c->args);
		gl_buf_addf(out, " | %s |\n", c->help);
	}
	gl_buf_adds(out,
	    "\n## Options\n\n"
	    "Set with `galley.set(name, value)` in init.lua or `:set name "
	    "value`; a switch also\nwith `:set name` (on) and `:set noname` "
	    "(off), as in vim.\n\n"
	    "| option | default | what |\n|---|---|---|\n");
	for (size_t i = 0; i < NOPTIONS; i++)
		gl_buf_addf(out, "| `%s` | %s | %s |\n", options[i].name,
		    options[i].dflt, options[i].help);
}

int
keymap_apply_config(struct keymap *km, const struct cfg_tui *t,
    struct gl_err *err)
{
	struct gl_err	 e;
	int		 m;

	for (size_t i = 0; i < t->nkeys; i++) {
		const struct cfg_key *k = &t->keys[i];

		gl_err_clear(&e);
		if ((m = keymap_mode_parse(k->mode)) < 0)
			gl_err_set(&e, GL_EINVAL, "unknown mode '%s' (normal, "
			    "insert, cmdline, pager, cluster, review, suggest, "
			    "menu)", k->mode);
		else
			keymap_set(km, (enum keymap_mode)m, k->keys,
			    k->command, &e);
		if (e.code != 0)
			return gl_err_set(err, e.code, "%s:%d: %s", k->path,
			    k->line, e.msg);
	}
	for (size_t i = 0; i < t->noptions; i++) {
		const struct cfg_option *op = &t->options[i];

		gl_err_clear(&e);
		if (keymap_set_option(km, op->name, op->value, &e) != 0)
			return gl_err_set(err, e.code, "%s:%d: %s", op->path,
			    op->line, e.msg);
	}
	return 0;
}

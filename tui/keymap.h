/*
 * keymap.h - what keys do: bindings of key sequences in a mode to command
 * lines (whose commands are tui/cmd.h's table, so a key binding is "run
 * this command"), the default bindings per mode (Jupyter's and vim's
 * habits), key names in vim notation ("dd", "<C-r>", "<S-Enter>"),
 * multi-key sequences, the options (which the user's init.lua sets through
 * lua/config.h: galley.keymap.set(mode, keys, command), galley.set(option,
 * value), applied with keymap_set() and keymap_set_option()), and the
 * help screen and docs/keys.md, both generated from the bindings and the
 * command table so they cannot drift. No Lua, no curses. Used by
 * tui/app.c, tui/app-input.c and tui/app-status.c, the commands that
 * change bindings and options (tui/cmd-config.c) or show the help
 * (tui/cmd-view.c), and `galley open --dump-keys` (cli/cmd_open.c).
 */
#ifndef GL_TUI_KEYMAP_H
#define GL_TUI_KEYMAP_H

#include <stdbool.h>
#include <stddef.h>

#include "core/mem.h"

struct cfg_tui;
struct cmd_table;
struct gl_err;
struct input_ev;

enum keymap_mode {
	KEYMAP_NORMAL,		/* moving between cells */
	KEYMAP_INSERT,		/* editing a cell */
	KEYMAP_CMDLINE,		/* typing a : command */
	KEYMAP_PAGER,		/* the help screen */
	KEYMAP_CLUSTER,		/* the cluster view */
	KEYMAP_REVIEW,		/* the review mode */
	KEYMAP_SUGGEST,		/* writing a suggested change */
	KEYMAP_MENU,		/* the completion menu, over insert mode */
	KEYMAP_NMODES
};

/* "normal", "insert", "cmdline", "pager", "cluster", "review",
 * "suggest", "menu"; and back (-1 if unknown). */
const char *keymap_mode_name(enum keymap_mode m);
int	 keymap_mode_parse(const char *name);

/* Longest key name ("<C-S-PageDown>") with its NUL. */
#define KEYMAP_NAME_MAX	24
/* Longest key sequence. */
#define KEYMAP_SEQ_MAX	4

/* The name of a key event in vim notation: "a", "A", "<C-r>", "<M-x>",
 * "<S-Tab>", "<C-Enter>", "<Up>", "<F1>", "<Space>", "<lt>". Mouse and
 * paste events have no name (""). */
void	 keymap_key_name(const struct input_ev *ev, char out[KEYMAP_NAME_MAX]);
/* Splits spec ("dd", "<C-w>j", "<c-R>") into canonical key names. Returns
 * the count, or a negative GL_E* with err naming the bad part. */
int	 keymap_parse_keys(const char *spec, char out[][KEYMAP_NAME_MAX],
	     size_t max, struct gl_err *err);

/* Options the configuration can set. */
struct keymap_config {
	int	 fold_lines;	/* "fold_lines": outputs longer fold (12) */
	int	 indent;	/* "indent": columns per indent level (2) */
	int	 tab;		/* "tabstop": display width of a tab (4) */
	int	 autosave;	/* "autosave": seconds between saves; 0 off (30) */
	bool	 ascii;		/* "ascii": no box-drawing glyphs (false) */
	bool	 mouse;		/* "mouse": report mouse events (true) */
	bool	 number;	/* "number": cell numbers in the gutter
				 * (false) */
	bool	 ignorecase;	/* "ignorecase": searches ignore case */
	bool	 smartcase;	/* "smartcase": ... unless with a capital */
	bool	 search_outputs; /* "search_outputs": search outputs too */
};

struct keymap;

/* A keymap with the default bindings and options, binding the built-in
 * commands. Caller frees. */
struct keymap *keymap_new(void);
/* The same binding the commands of cmds (borrowed: it must outlive the
 * keymap; commands added to it later can be bound too). */
struct keymap *keymap_new_with(const struct cmd_table *cmds);
void	 keymap_free(struct keymap *km);
const struct keymap_config *keymap_config(const struct keymap *km);

/* Binds keys (spec as for keymap_parse_keys) in mode to command (a
 * command line whose first word is a known command); a NULL or empty
 * command removes the binding. GL_EINVAL with err saying what. */
int	 keymap_set(struct keymap *km, enum keymap_mode mode, const char *keys,
	     const char *command, struct gl_err *err);
/* Sets an option by name from text ("4", "true"). */
int	 keymap_set_option(struct keymap *km, const char *name,
	     const char *value, struct gl_err *err);
/* Whether option name is a switch (true/false). */
bool	 keymap_option_is_bool(const char *name);
/* The options' names, ", "-separated (static). */
const char *keymap_option_names(void);

/* Applies what the configuration files asked for (lua/config.h, the TUI
 * side): every binding with keymap_set(), then every option with
 * keymap_set_option(), stopping at the first refusal, which err names as
 * "PATH:LINE: message" (what was applied before it stays). */
int	 keymap_apply_config(struct keymap *km, const struct cfg_tui *t,
	     struct gl_err *err);

enum keymap_result {
	KEYMAP_NONE,		/* no binding: the key is the user's text
				   (insert and command line) or ignored */
	KEYMAP_PENDING,		/* the start of a sequence: wait */
	KEYMAP_MATCH,		/* *cmd is the command line to run */
};
/* Feeds one key name in mode. A sequence that stops matching is dropped
 * and its last key looked up alone. *cmd is borrowed until the keymap
 * changes. */
enum keymap_result keymap_feed(struct keymap *km, enum keymap_mode mode,
	     const char *key, const char **cmd);
/* Whether key (a name) fed now in mode would match or start a binding,
 * after the pending keys or on its own; changes nothing. */
bool	 keymap_binds(const struct keymap *km, enum keymap_mode mode,
	     const char *key);
/* Forgets a pending sequence. */
void	 keymap_reset(struct keymap *km);
/* The keys of a pending sequence ("d"), for the status line. */
const char *keymap_pending(const struct keymap *km);
/* The keys bound to command line cmd in mode, joined by ", " (or "").
 * Caller frees. */
char	*keymap_keys_for(const struct keymap *km, enum keymap_mode mode,
	     const char *cmd);

/* The help screen: every mode's keys and what they do, then every command.
 * Lines "keys\tdescription"; "# " starts a heading. Appended to out. */
void	 keymap_help(const struct keymap *km, struct gl_buf *out);
/* docs/keys.md, generated from the default keymap. Appended to out. */
void	 keymap_markdown(const struct keymap *km, struct gl_buf *out);

#endif

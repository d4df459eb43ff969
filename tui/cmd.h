/*
 * cmd.h - the notebook TUI's commands as one table. Each command is one
 * entry binding its name, its arguments, its help and its handler, as
 * tmux's cmd_entry does; every action of the TUI is a command line whose
 * first word names an entry ("run all", "ed-move word-left"). The keymap
 * (tui/keymap.c) binds keys to command lines and checks their names here;
 * the `:` line runs them; the help screen and docs/keys.md list them; Tab
 * completes their names and arguments. The built-in commands are the
 * table in tui/cmd.c, their handlers in tui/cmd-*.c by family; plugins
 * add theirs at run time with cmd_table_add(). No curses, no Lua.
 * Used by tui/app.c (which owns the table), tui/keymap.c, the handlers
 * and `galley open --dump-keys` (through the keymap).
 */
#ifndef GL_TUI_CMD_H
#define GL_TUI_CMD_H

#include <stdbool.h>
#include <stddef.h>

#include "tui/keymap.h"

struct app;
struct gl_err;

/* Completions offered for a word: distinct strings, in the order found. */
struct cmd_matches {
	char		**v;		/* owned */
	size_t		 n;
};

/* Adds s unless it is there already. */
void	 cmd_matches_add(struct cmd_matches *m, const char *s);
void	 cmd_matches_clear(struct cmd_matches *m);

struct cmd_entry {
	const char	*name;		/* "run": no blanks */
	const char	*args;		/* "[all|above|below]", or "" */
	const char	*help;		/* one line */
	/* Runs the command: a is the TUI (tui/app_int.h), self this entry
	 * (self->data is the handler's own), arg the rest of the command
	 * line after the name and its blanks, or NULL; err is never NULL.
	 * The handler shows its outcome itself (the message line); a
	 * failure it returns (a GL_E* with err set) is shown as an error. */
	int		(*exec)(struct app *a, const struct cmd_entry *self,
			    const char *arg, struct gl_err *err);
	unsigned	 modes;		/* CMD_MODE(KEYMAP_...) | ... it runs
					 * in (elsewhere it does nothing);
					 * 0: every mode */
	unsigned	 flags;		/* CMD_F_* */
	const char	*words;		/* argument words Tab offers, blank
					 * separated ("all above below"), or
					 * NULL */
	/* Adds the other arguments that complete word (a prefix) to m, or
	 * NULL. */
	void		(*complete)(struct app *a, const struct cmd_entry *self,
			    const char *word, struct cmd_matches *m);
	void		*data;		/* borrowed: the handler's (a
					 * plugin's state) */
};

#define CMD_MODE(m)	(1u << (m))
/* A key's command (the command line's cl-*, the pager's pg-*, the cluster
 * view's cv-*): Tab does not offer it after `:` and the help screen's
 * list of commands leaves it out (docs/keys.md lists it). */
#define CMD_F_KEY	0x1u
/* Another spelling of a command (w! of write with force): neither
 * offered nor listed anywhere. */
#define CMD_F_ALIAS	0x2u
/* Changes the notebook or runs cells: a viewer of a shared session may
 * not (the table's guard refuses it before the handler runs). */
#define CMD_F_WRITE	0x4u
/* Moves the cursor or the screen: ends :follow. */
#define CMD_F_MOVE	0x8u

/* Longest command name. */
#define CMD_NAME_MAX	63

struct cmd_table;

/* A table holding the built-in commands. Caller frees. */
struct cmd_table *cmd_table_new(void);
void	 cmd_table_free(struct cmd_table *t);
/* The built-in commands alone (static, never changes): what a keymap
 * without a table of its own checks names against. */
const struct cmd_table *cmd_table_builtin(void);

/* Adds a command: *e is copied (its strings too); e->data stays the
 * caller's. GL_EEXIST if a command has that name, GL_EINVAL if the name
 * is empty, has blanks or is longer than CMD_NAME_MAX, or e has no
 * handler. */
int	 cmd_table_add(struct cmd_table *t, const struct cmd_entry *e,
	     struct gl_err *err);
/* Removes a command added with cmd_table_add() (keys bound to it then run
 * nothing but an error). GL_ENOTFOUND if there is none; GL_EPERM for a
 * built-in one. */
int	 cmd_table_remove(struct cmd_table *t, const char *name,
	     struct gl_err *err);

/* The commands in order: the built-in ones, then those added. Entries
 * are borrowed until the table changes. */
size_t	 cmd_count(const struct cmd_table *t);
const struct cmd_entry *cmd_at(const struct cmd_table *t, size_t i);
/* The command named by the first word of line, or NULL. */
const struct cmd_entry *cmd_find(const struct cmd_table *t, const char *line);

/* A check cmd_exec() makes before a command's handler runs (the TUI's:
 * a viewer may not run CMD_F_WRITE commands; CMD_F_MOVE ones end
 * :follow): 0 to run it, or a GL_E* with err set to refuse it. */
typedef int (*cmd_guard_fn)(struct app *a, const struct cmd_entry *e,
	     struct gl_err *err);
void	 cmd_table_set_guard(struct cmd_table *t, cmd_guard_fn guard);

/* Runs command line line (leading blanks and ':' skipped; an empty line
 * does nothing) as the TUI in mode: the handler's result, or GL_ENOTFOUND
 * with err saying so for an unknown command. A command that does not run
 * in mode does nothing. */
int	 cmd_exec(const struct cmd_table *t, struct app *a,
	     enum keymap_mode mode, const char *line, struct gl_err *err);

/* The completions of the word of line that ends at byte cur: command
 * names for the first word (not CMD_F_KEY or CMD_F_ALIAS ones), else the
 * first word's command's arguments. *at gets where the word starts. */
void	 cmd_complete(const struct cmd_table *t, struct app *a,
	     const char *line, size_t cur, size_t *at,
	     struct cmd_matches *out);

#endif

/*
 * cmd.c - the table of commands: the built-in ones, those added at run
 * time, looking a command line's name up, running it, and completing
 * names and arguments.
 *
 * The built-in table below is in the order the help screen and
 * docs/keys.md list the commands; its handlers live in tui/cmd-*.c by
 * family (cmd-cell.c, cmd-view.c, cmd-run.c, cmd-file.c, cmd-cluster.c,
 * cmd-cmdline.c, cmd-config.c, cmd-edit.c, cmd-git.c, cmd-review.c,
 * cmd-pair.c). A
 * table holds a pointer to that static array and a growable array of
 * added entries, whose strings it owns. Lookups are linear: there are
 * about a hundred and forty commands and a lookup happens once per key
 * that is bound.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/mem.h"
#include "tui/cmd.h"
#include "tui/cmd_int.h"
#include "tui/keymap.h"

/* Where the mode-bound commands run. */
#define INSERT	CMD_MODE(KEYMAP_INSERT)
#define CMDLINE	CMD_MODE(KEYMAP_CMDLINE)
#define PAGER	CMD_MODE(KEYMAP_PAGER)
#define CLUSTER	CMD_MODE(KEYMAP_CLUSTER)
#define REVIEW	CMD_MODE(KEYMAP_REVIEW)
#define SUGGEST	CMD_MODE(KEYMAP_SUGGEST)
#define MENU	CMD_MODE(KEYMAP_MENU)

/* The built-in commands: name, arguments and help, then the handler and
 * what else a command has (the modes it runs in, flags, argument words
 * and completion). */
static const struct cmd_entry builtin[] = {
	/* Cells */
	{ "down", "", "go to the next cell", .exec = cmd_cell_down,
	  .flags = CMD_F_MOVE },
	{ "up", "", "go to the previous cell", .exec = cmd_cell_up,
	  .flags = CMD_F_MOVE },
	{ "first", "", "go to the first cell", .exec = cmd_cell_first,
	  .flags = CMD_F_MOVE },
	{ "last", "", "go to the last cell", .exec = cmd_cell_last,
	  .flags = CMD_F_MOVE },
	{ "goto", "N|ID", "go to cell number N (from 1) or the cell with id ID",
	  .exec = cmd_cell_goto, .complete = cmd_cell_goto_complete,
	  .flags = CMD_F_MOVE },
	{ "scroll-down", "[N]", "scroll down N rows (default 1)",
	  .exec = cmd_view_scroll_down, .flags = CMD_F_MOVE },
	{ "scroll-up", "[N]", "scroll up N rows (default 1)",
	  .exec = cmd_view_scroll_up, .flags = CMD_F_MOVE },
	{ "half-down", "", "scroll down half a screen",
	  .exec = cmd_view_half_down, .flags = CMD_F_MOVE },
	{ "half-up", "", "scroll up half a screen", .exec = cmd_view_half_up,
	  .flags = CMD_F_MOVE },
	{ "page-down", "", "scroll down a screen", .exec = cmd_view_page_down,
	  .flags = CMD_F_MOVE },
	{ "page-up", "", "scroll up a screen", .exec = cmd_view_page_up,
	  .flags = CMD_F_MOVE },
	{ "select-down", "", "extend the cell selection down",
	  .exec = cmd_cell_select_down, .flags = CMD_F_MOVE },
	{ "select-up", "", "extend the cell selection up",
	  .exec = cmd_cell_select_up, .flags = CMD_F_MOVE },
	{ "escape", "", "clear the selection, a pending key and the message",
	  .exec = cmd_cell_escape },
	{ "run", "[all|above|below]", "run the cell (or the selected cells), "
	  "or all cells, the cells above or the cells from here down",
	  .exec = cmd_run_cell, .words = "all above below",
	  .flags = CMD_F_WRITE },
	{ "run-next", "", "run the cell and go to the next one (a new one at "
	  "the end)", .exec = cmd_run_next, .flags = CMD_F_WRITE },
	{ "run-insert", "", "run the cell and insert a new cell below",
	  .exec = cmd_run_insert, .flags = CMD_F_WRITE },
	{ "interrupt", "", "interrupt the running cell (again: kill the "
	  "runtime)", .exec = cmd_run_interrupt, .flags = CMD_F_WRITE },
	{ "cancel", "", "drop the runs waiting in the queue",
	  .exec = cmd_run_cancel, .flags = CMD_F_WRITE },
	{ "restart", "", "restart the runtime (its variables are lost)",
	  .exec = cmd_run_restart, .flags = CMD_F_WRITE },
	{ "add-above", "[code|markdown]", "insert a cell above and edit it",
	  .exec = cmd_cell_add_above, .words = "code markdown raw",
	  .flags = CMD_F_WRITE },
	{ "add-below", "[code|markdown]", "insert a cell below and edit it",
	  .exec = cmd_cell_add_below, .words = "code markdown raw",
	  .flags = CMD_F_WRITE },
	{ "delete", "", "delete the cell or the selected cells (undo brings "
	  "them back)", .exec = cmd_cell_delete, .flags = CMD_F_WRITE },
	{ "cut", "", "copy the cell or the selected cells, then delete them",
	  .exec = cmd_cell_cut, .flags = CMD_F_WRITE },
	{ "copy", "", "copy the cell or the selected cells",
	  .exec = cmd_cell_copy },
	{ "paste-below", "", "paste copied cells below",
	  .exec = cmd_cell_paste_below, .flags = CMD_F_WRITE },
	{ "paste-above", "", "paste copied cells above",
	  .exec = cmd_cell_paste_above, .flags = CMD_F_WRITE },
	{ "move-down", "", "move the cell down", .exec = cmd_cell_move_down,
	  .flags = CMD_F_WRITE },
	{ "move-up", "", "move the cell up", .exec = cmd_cell_move_up,
	  .flags = CMD_F_WRITE },
	{ "code", "", "make the cell a code cell", .exec = cmd_cell_code,
	  .flags = CMD_F_WRITE },
	{ "markdown", "", "make the cell a markdown cell",
	  .exec = cmd_cell_markdown, .flags = CMD_F_WRITE },
	{ "raw", "", "make the cell a raw cell", .exec = cmd_cell_raw,
	  .flags = CMD_F_WRITE },
	{ "fold", "", "fold or unfold the cell's long outputs and tracebacks",
	  .exec = cmd_view_fold },
	{ "output", "", "show the cell's outputs whole in a pager (/ searches, "
	  "G and g go to the end and the start)", .exec = cmd_view_output },
	/* Search */
	{ "search", "[PATTERN]", "search forward for text in the cells (and "
	  "their outputs with search_outputs): \\v regex, \\c any case",
	  .exec = cmd_search_forward, .flags = CMD_F_MOVE },
	{ "search-back", "[PATTERN]", "search backward",
	  .exec = cmd_search_backward, .flags = CMD_F_MOVE },
	{ "search-next", "", "the next match (the same direction)",
	  .exec = cmd_search_next, .flags = CMD_F_MOVE },
	{ "search-prev", "", "the previous match (the other direction)",
	  .exec = cmd_search_prev, .flags = CMD_F_MOVE },
	{ "nohlsearch", "", "stop highlighting the matches (until the next "
	  "search)", .exec = cmd_search_clear },
	{ "noh", "", "stop highlighting the matches", .exec = cmd_search_clear,
	  .flags = CMD_F_ALIAS },
	{ "substitute", "[%]/PAT/REP/[g]", "replace PAT by REP in the cell "
	  "(% in every cell), the first match of each line or every one "
	  "with g, as one change; :s/a/b/ and :%s/a/b/g spell it",
	  .exec = cmd_search_substitute, .flags = CMD_F_WRITE },
	{ "undo", "", "undo the last change (edits, deletions, moves...)",
	  .exec = cmd_cell_undo, .flags = CMD_F_WRITE },
	{ "redo", "", "redo what undo undid", .exec = cmd_cell_redo,
	  .flags = CMD_F_WRITE },
	{ "edit", "[start|end]", "edit the cell (insert mode)",
	  .exec = cmd_cell_edit, .words = "start end",
	  .flags = CMD_F_WRITE | CMD_F_MOVE },
	{ "normal", "", "leave insert mode", .exec = cmd_cell_normal },
	/* File and session */
	{ "write", "", "save the notebook", .exec = cmd_file_write },
	{ "w", "", "save the notebook", .exec = cmd_file_write },
	{ "w!", "", "save the notebook over a file changed on disk; with no "
	  "kernel, write galley's own copy", .exec = cmd_file_write_force,
	  .flags = CMD_F_ALIAS },
	{ "write!", "", "save the notebook over a file changed on disk; with "
	  "no kernel, write galley's own copy", .exec = cmd_file_write_force,
	  .flags = CMD_F_ALIAS },
	{ "quit", "", "quit (saving first if autosave is on); refuses while "
	  "a cell runs or, with autosave off, while changes are unsaved",
	  .exec = cmd_file_quit },
	{ "q", "", "quit (saving first if autosave is on); refuses while a "
	  "cell runs or, with autosave off, while changes are unsaved",
	  .exec = cmd_file_quit },
	{ "q!", "", "quit anyway (unsaved edits stay in the kernel's journal; "
	  "ones it has not got are dropped)",
	  .exec = cmd_file_quit_force },
	{ "connect", "", "connect to the kernel again, starting one if none "
	  "runs (after galley kernel stop); unsent edits are sent",
	  .exec = cmd_file_connect },
	{ "wq", "", "save and quit", .exec = cmd_file_write_quit },
	{ "x", "", "save and quit", .exec = cmd_file_write_quit },
	/* Git */
	{ "commit", "[-m] MESSAGE", "save the notebook and commit it to git "
	  "(author from git config)", .exec = cmd_git_commit },
	{ "log", "", "list the notebook's commits", .exec = cmd_git_log },
	{ "show", "[REV]", "show the cell as it was at git revision REV "
	  "(default HEAD), with what changed since", .exec = cmd_git_show },
	/* Review */
	{ "review", "[ID|BASE..HEAD]", "open the review mode: the review of "
	  "this branch (or its changes against its upstream or main), a "
	  "review by id, or a range", .exec = cmd_review_open },
	{ "comment", "MESSAGE", "review: comment on the cell or the selected "
	  "lines (starts the review if there is none)",
	  .exec = cmd_review_comment },
	{ "reply", "MESSAGE", "review: reply to the thread under the cursor",
	  .exec = cmd_review_reply },
	{ "resolve", "", "review: resolve the thread under the cursor "
	  "(again: reopen it)", .exec = cmd_review_resolve },
	{ "suggest", "[MESSAGE]", "review: write replacement lines for the "
	  "selected lines (or the line), then send them with a message",
	  .exec = cmd_review_suggest },
	{ "apply", "", "review: apply the suggestion of the thread under the "
	  "cursor as an edit of the notebook", .exec = cmd_review_apply,
	  .flags = CMD_F_WRITE },
	{ "approve", "[MESSAGE]", "review: approve (starts the review if "
	  "there is none)", .exec = cmd_review_approve },
	{ "request-changes", "MESSAGE", "review: ask for changes",
	  .exec = cmd_review_request_changes },
	/* A shared session (docs/pairing.md) */
	{ "share", "[editor|viewer]", "make an invite for someone to join "
	  "this session as an editor (default) or a viewer: shown in a box "
	  "to copy, and in :messages", .exec = cmd_pair_share,
	  .words = "editor viewer" },
	{ "members", "", "list the people of the session: name, role, what "
	  "each is doing", .exec = cmd_pair_members },
	{ "follow", "[NAME]", "keep NAME's cursor on screen until you move "
	  "(no NAME: stop)", .exec = cmd_pair_follow,
	  .complete = cmd_pair_name_complete },
	{ "say", "TEXT", "show TEXT at the bottom of everyone's screen (kept "
	  "in :messages)", .exec = cmd_pair_say },
	{ "messages", "", "what was said, who came and went, invites",
	  .exec = cmd_pair_messages },
	{ "role", "NAME editor|viewer", "the owner: change NAME's role (at "
	  "once, for their open connections)", .exec = cmd_pair_role,
	  .complete = cmd_pair_name_complete, .words = "editor viewer" },
	{ "revoke", "NAME", "the owner: take NAME's access away (their "
	  "connections close)", .exec = cmd_pair_revoke,
	  .complete = cmd_pair_name_complete },
	{ "help", "", "show every key and command", .exec = cmd_view_help },
	{ "cluster", "", "show the cluster view: workers, their state, tasks "
	  "done, CPU use and idle time", .exec = cmd_cluster_open },
	{ "scale", "N|+N|-N|auto|max N", "keep N workers (or N more, or N "
	  "fewer; 0: none start) while work may use more; auto: on demand "
	  "again; max N: the most work starts", .exec = cmd_cluster_scale,
	  .words = "auto max", .flags = CMD_F_WRITE },
	{ "command", "[TEXT]", "open the : command line (with TEXT begun)",
	  .exec = cmd_cmdline_open },
	{ "suspend", "", "suspend galley (the shell's fg resumes it)",
	  .exec = cmd_view_suspend },
	{ "redraw", "", "redraw the screen", .exec = cmd_view_redraw },
	{ "set", "OPTION [VALUE]", "set an option: fold_lines, indent, "
	  "tabstop, autosave, ascii, mouse, number, ignorecase, smartcase, "
	  "search_outputs (a switch alone: on; noNAME: off)",
	  .exec = cmd_config_set,
	  .words = "fold_lines indent tabstop autosave ascii mouse number "
	  "nonumber ignorecase noignorecase smartcase nosmartcase "
	  "search_outputs nosearch_outputs" },
	{ "inspect", "[NAME]", "show the type and a description of NAME (or "
	  "of the name where the cell was last edited)",
	  .exec = cmd_complete_inspect },
	{ "map", "MODE KEYS COMMAND", "bind keys for this session (as "
	  "galley.keymap.set in init.lua)",
	  .exec = cmd_config_map, .complete = cmd_config_map_complete },
	/* The cell editor */
	{ "ed-move", "DIR", "move the cursor: left, right, up, down, "
	  "word-left, word-right, home, end, top, bottom, page-up, page-down",
	  .exec = cmd_edit_move, .modes = INSERT },
	{ "ed-select", "DIR", "extend the selection (directions as ed-move)",
	  .exec = cmd_edit_select, .modes = INSERT },
	{ "ed-newline", "", "new line, indented like this one (more after "
	  "then, do, {...)", .exec = cmd_edit_newline, .modes = INSERT },
	{ "ed-backspace", "", "delete backwards (to the previous indent stop "
	  "in leading blanks)", .exec = cmd_edit_backspace, .modes = INSERT },
	{ "ed-delete", "", "delete the character under the cursor",
	  .exec = cmd_edit_delete, .modes = INSERT },
	{ "ed-delete-word", "", "delete the word before the cursor",
	  .exec = cmd_edit_delete_word, .modes = INSERT },
	{ "ed-kill-line", "", "delete to the end of the line",
	  .exec = cmd_edit_kill_line, .modes = INSERT },
	{ "ed-indent", "", "indent: blanks to the next stop, or the selected "
	  "lines", .exec = cmd_edit_indent, .modes = INSERT },
	{ "ed-complete", "", "complete the name (or the path, or the module "
	  "of a require) before the cursor from the live session; after "
	  "blanks or with a selection, indent",
	  .exec = cmd_complete_edit, .modes = INSERT },
	{ "ed-inspect", "", "show the type and a description of the name at "
	  "the cursor (a function's parameters, a table's keys); after blanks "
	  "or with a selection, dedent",
	  .exec = cmd_complete_edit_inspect, .modes = INSERT },
	{ "ed-dedent", "", "dedent the line or the selected lines",
	  .exec = cmd_edit_dedent, .modes = INSERT },
	{ "ed-select-all", "", "select the whole cell",
	  .exec = cmd_edit_select_all, .modes = INSERT },
	{ "ed-copy", "", "copy the selection",
	  .exec = cmd_edit_copy, .modes = INSERT },
	{ "ed-cut", "", "cut the selection",
	  .exec = cmd_edit_cut, .modes = INSERT },
	{ "ed-paste", "", "paste what ed-copy or ed-cut took",
	  .exec = cmd_edit_paste, .modes = INSERT },
	/* The command line */
	{ "cl-exec", "", "run the command line",
	  .exec = cmd_cmdline_exec, .modes = CMDLINE, .flags = CMD_F_KEY },
	{ "cl-cancel", "", "close the command line",
	  .exec = cmd_cmdline_cancel, .modes = CMDLINE, .flags = CMD_F_KEY },
	{ "cl-complete", "", "complete the command or its argument",
	  .exec = cmd_cmdline_complete, .modes = CMDLINE, .flags = CMD_F_KEY },
	{ "cl-complete-back", "", "previous completion",
	  .exec = cmd_cmdline_complete_back, .modes = CMDLINE,
	  .flags = CMD_F_KEY },
	{ "cl-history-up", "", "previous command from the history",
	  .exec = cmd_cmdline_history_up, .modes = CMDLINE,
	  .flags = CMD_F_KEY },
	{ "cl-history-down", "", "next command from the history",
	  .exec = cmd_cmdline_history_down, .modes = CMDLINE,
	  .flags = CMD_F_KEY },
	{ "cl-move", "DIR", "move the cursor: left, right, home, end, "
	  "word-left, word-right",
	  .exec = cmd_cmdline_move, .modes = CMDLINE, .flags = CMD_F_KEY },
	{ "cl-backspace", "", "delete backwards",
	  .exec = cmd_cmdline_backspace, .modes = CMDLINE, .flags = CMD_F_KEY },
	{ "cl-delete", "", "delete under the cursor",
	  .exec = cmd_cmdline_delete, .modes = CMDLINE, .flags = CMD_F_KEY },
	{ "cl-delete-word", "", "delete the word before the cursor",
	  .exec = cmd_cmdline_delete_word, .modes = CMDLINE,
	  .flags = CMD_F_KEY },
	{ "cl-clear", "", "delete everything before the cursor",
	  .exec = cmd_cmdline_clear, .modes = CMDLINE, .flags = CMD_F_KEY },
	/* The help screen */
	{ "pg-down", "[N]", "scroll down N lines",
	  .exec = cmd_view_pg_down, .modes = PAGER, .flags = CMD_F_KEY },
	{ "pg-up", "[N]", "scroll up N lines",
	  .exec = cmd_view_pg_up, .modes = PAGER, .flags = CMD_F_KEY },
	{ "pg-top", "", "go to the top",
	  .exec = cmd_view_pg_top, .modes = PAGER, .flags = CMD_F_KEY },
	{ "pg-bottom", "", "go to the bottom",
	  .exec = cmd_view_pg_bottom, .modes = PAGER, .flags = CMD_F_KEY },
	{ "pg-close", "", "close the help screen or the outputs",
	  .exec = cmd_view_pg_close, .modes = PAGER, .flags = CMD_F_KEY },
	/* The review mode */
	{ "rv-down", "[N]", "move down N rows",
	  .exec = cmd_review_down, .modes = REVIEW, .flags = CMD_F_KEY },
	{ "rv-up", "[N]", "move up N rows",
	  .exec = cmd_review_up, .modes = REVIEW, .flags = CMD_F_KEY },
	{ "rv-page-down", "", "move down half a screen",
	  .exec = cmd_review_page_down, .modes = REVIEW, .flags = CMD_F_KEY },
	{ "rv-page-up", "", "move up half a screen",
	  .exec = cmd_review_page_up, .modes = REVIEW, .flags = CMD_F_KEY },
	{ "rv-top", "", "go to the top",
	  .exec = cmd_review_top, .modes = REVIEW, .flags = CMD_F_KEY },
	{ "rv-bottom", "", "go to the bottom",
	  .exec = cmd_review_bottom, .modes = REVIEW, .flags = CMD_F_KEY },
	{ "rv-next", "change|thread|file", "go to the next one: change (a "
	  "changed cell, a run of changed lines), thread or file",
	  .exec = cmd_review_next, .modes = REVIEW, .flags = CMD_F_KEY,
	  .words = "change thread file" },
	{ "rv-prev", "change|thread|file", "go to the previous one: change, "
	  "thread or file", .exec = cmd_review_prev, .modes = REVIEW,
	  .flags = CMD_F_KEY, .words = "change thread file" },
	{ "rv-select", "", "start (or end) selecting lines to comment on",
	  .exec = cmd_review_select, .modes = REVIEW, .flags = CMD_F_KEY },
	{ "rv-escape", "", "end the selection, else close the review mode",
	  .exec = cmd_review_escape, .modes = REVIEW, .flags = CMD_F_KEY },
	{ "rv-close", "", "close the review mode (with no notebook: quit)",
	  .exec = cmd_review_close, .modes = REVIEW, .flags = CMD_F_KEY },
	{ "rv-refresh", "", "read the review again (others' comments)",
	  .exec = cmd_review_refresh, .modes = REVIEW, .flags = CMD_F_KEY },
	{ "rv-goto", "", "go to the cell under the cursor in the notebook "
	  "(when it is the one open)", .exec = cmd_review_goto,
	  .modes = REVIEW, .flags = CMD_F_KEY },
	/* The suggestion editor */
	{ "sg-done", "", "done: then type the comment that carries it",
	  .exec = cmd_suggest_done, .modes = SUGGEST, .flags = CMD_F_KEY },
	{ "sg-cancel", "", "drop the suggestion",
	  .exec = cmd_suggest_cancel, .modes = SUGGEST, .flags = CMD_F_KEY },
	{ "sg-move", "DIR", "move the cursor: left, right, up, down, "
	  "word-left, word-right, home, end", .exec = cmd_suggest_move,
	  .modes = SUGGEST, .flags = CMD_F_KEY },
	{ "sg-newline", "", "new line, indented like this one",
	  .exec = cmd_suggest_newline, .modes = SUGGEST, .flags = CMD_F_KEY },
	{ "sg-backspace", "", "delete backwards",
	  .exec = cmd_suggest_backspace, .modes = SUGGEST, .flags = CMD_F_KEY },
	{ "sg-delete", "", "delete the character under the cursor",
	  .exec = cmd_suggest_delete, .modes = SUGGEST, .flags = CMD_F_KEY },
	{ "sg-delete-word", "", "delete the word before the cursor",
	  .exec = cmd_suggest_delete_word, .modes = SUGGEST,
	  .flags = CMD_F_KEY },
	{ "sg-kill-line", "", "delete to the end of the line",
	  .exec = cmd_suggest_kill_line, .modes = SUGGEST, .flags = CMD_F_KEY },
	{ "sg-indent", "", "indent to the next stop",
	  .exec = cmd_suggest_indent, .modes = SUGGEST, .flags = CMD_F_KEY },
	/* The completion menu */
	{ "pm-next", "", "select the next completion",
	  .exec = cmd_complete_next, .modes = MENU, .flags = CMD_F_KEY },
	{ "pm-prev", "", "select the previous completion",
	  .exec = cmd_complete_prev, .modes = MENU, .flags = CMD_F_KEY },
	{ "pm-accept", "", "put the selected completion in (with none "
	  "selected: close the menu and start a new line)",
	  .exec = cmd_complete_accept, .modes = MENU, .flags = CMD_F_KEY },
	{ "pm-close", "", "close the menu, keeping what is typed",
	  .exec = cmd_complete_close, .modes = MENU, .flags = CMD_F_KEY },
	/* The cluster view */
	{ "cv-down", "[N]", "scroll the worker list down N rows",
	  .exec = cmd_cluster_down, .modes = CLUSTER, .flags = CMD_F_KEY },
	{ "cv-up", "[N]", "scroll the worker list up N rows",
	  .exec = cmd_cluster_up, .modes = CLUSTER, .flags = CMD_F_KEY },
	{ "cv-refresh", "", "ask the kernel for the cluster's state now",
	  .exec = cmd_cluster_refresh, .modes = CLUSTER, .flags = CMD_F_KEY },
	{ "cv-close", "", "close the cluster view",
	  .exec = cmd_cluster_close, .modes = CLUSTER, .flags = CMD_F_KEY },
};

#define NBUILTIN (sizeof builtin / sizeof builtin[0])

struct cmd_table {
	const struct cmd_entry *fixed;	/* the built-in ones (static) */
	size_t		 nfixed;
	struct cmd_entry *added;	/* owned, with their strings */
	size_t		 nadded;
	cmd_guard_fn	 guard;		/* or NULL */
};

static const struct cmd_table builtin_table = { builtin, NBUILTIN, NULL, 0,
    NULL };

static void	 entry_fini(struct cmd_entry *e);

/* ------------------------------------------------------------------ */
/* The table */

struct cmd_table *
cmd_table_new(void)
{
	struct cmd_table *t = xcalloc(1, sizeof *t);

	t->fixed = builtin;
	t->nfixed = NBUILTIN;
	return t;
}

void
cmd_table_free(struct cmd_table *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->nadded; i++)
		entry_fini(&t->added[i]);
	free(t->added);
	free(t);
}

void
cmd_table_set_guard(struct cmd_table *t, cmd_guard_fn guard)
{
	t->guard = guard;
}

const struct cmd_table *
cmd_table_builtin(void)
{
	return &builtin_table;
}

int
cmd_table_add(struct cmd_table *t, const struct cmd_entry *e,
    struct gl_err *err)
{
	struct cmd_entry *n;

	if (e->name == NULL || *e->name == '\0' ||
	    strlen(e->name) > CMD_NAME_MAX || strpbrk(e->name, " \t") != NULL)
		return gl_err_set(err, GL_EINVAL, "a command's name is one "
		    "word of at most %d bytes: '%s'", CMD_NAME_MAX,
		    e->name ? e->name : "");
	if (e->exec == NULL)
		return gl_err_set(err, GL_EINVAL, "command %s has no handler",
		    e->name);
	if (cmd_find(t, e->name) != NULL)
		return gl_err_set(err, GL_EEXIST, "there is a command %s "
		    "already", e->name);
	t->added = xrealloc(t->added, (t->nadded + 1) * sizeof *t->added);
	n = &t->added[t->nadded++];
	*n = *e;
	n->name = xstrdup(e->name);
	n->args = xstrdup(e->args ? e->args : "");
	n->help = xstrdup(e->help ? e->help : "");
	n->words = e->words ? xstrdup(e->words) : NULL;
	return 0;
}

int
cmd_table_remove(struct cmd_table *t, const char *name, struct gl_err *err)
{
	for (size_t i = 0; i < t->nadded; i++) {
		if (strcmp(t->added[i].name, name) != 0)
			continue;
		entry_fini(&t->added[i]);
		memmove(&t->added[i], &t->added[i + 1],
		    (t->nadded - i - 1) * sizeof *t->added);
		t->nadded--;
		return 0;
	}
	for (size_t i = 0; i < t->nfixed; i++)
		if (strcmp(t->fixed[i].name, name) == 0)
			return gl_err_set(err, GL_EPERM, "%s is a built-in "
			    "command", name);
	return gl_err_set(err, GL_ENOTFOUND, "no command %s", name);
}

size_t
cmd_count(const struct cmd_table *t)
{
	return t->nfixed + t->nadded;
}

const struct cmd_entry *
cmd_at(const struct cmd_table *t, size_t i)
{
	if (i < t->nfixed)
		return &t->fixed[i];
	if (i - t->nfixed < t->nadded)
		return &t->added[i - t->nfixed];
	return NULL;
}

/* The entry of entries[0..n) named line[0..len), or NULL. */
static const struct cmd_entry *
find_in(const struct cmd_entry *entries, size_t n, const char *line,
    size_t len)
{
	for (size_t i = 0; i < n; i++)
		if (entries[i].name[0] == line[0] &&
		    strncmp(entries[i].name, line, len) == 0 &&
		    entries[i].name[len] == '\0')
			return &entries[i];
	return NULL;
}

const struct cmd_entry *
cmd_find(const struct cmd_table *t, const char *line)
{
	const struct cmd_entry *e;
	size_t		 len;

	while (*line == ' ')
		line++;
	len = strcspn(line, " \t");
	if (len == 0)
		return NULL;
	if ((e = find_in(t->fixed, t->nfixed, line, len)) != NULL)
		return e;
	return find_in(t->added, t->nadded, line, len);
}

/* ------------------------------------------------------------------ */
/* Running */

/* True if line spells substitute as vim does: ":s/a/b/", ":%s#a#b#g",
 * ":s" and ":%s" alone, ":substitute/a/b/" (the handler reads the
 * line). */
static bool
subst_spelling(const char *line)
{
	const char	*p = line + (*line == '%');
	size_t		 n;

	if (strncmp(p, "substitute", 10) == 0)
		n = 10;
	else if (*p == 's')
		n = 1;
	else
		return false;
	return p[n] == '\0' || (!isalnum((unsigned char)p[n]) &&
	    p[n] != ' ' && p[n] != '\t' && p[n] != '\\' && p[n] != '"' &&
	    p[n] != '|' && p[n] != '-' && p[n] != '!');
}

int
cmd_exec(const struct cmd_table *t, struct app *a, enum keymap_mode mode,
    const char *line, struct gl_err *err)
{
	char		 name[CMD_NAME_MAX + 1];
	const char	*arg;
	const struct cmd_entry *e;
	struct gl_err	 tmp = { 0 };

	/* Handlers may count on an err to fill. */
	if (err == NULL)
		err = &tmp;
	while (*line == ' ' || *line == ':')
		line++;
	if (*line == '\0')
		return 0;
	snprintf(name, sizeof name, "%.*s", (int)strcspn(line, " "), line);
	arg = line + strcspn(line, " ");
	while (*arg == ' ')
		arg++;
	if (*arg == '\0')
		arg = NULL;
	/* :12 and :$ go to a cell, as vim's :12 goes to a line. */
	if (strspn(name, "0123456789") == strlen(name) ||
	    strcmp(name, "$") == 0) {
		arg = line;
		snprintf(name, sizeof name, "goto");
	}
	/* :s/a/b/, :%s#a#b#g and :s alone are vim's substitute. */
	if (subst_spelling(line)) {
		arg = line;
		snprintf(name, sizeof name, "substitute");
	}
	if ((e = cmd_find(t, name)) == NULL)
		return gl_err_set(err, GL_ENOTFOUND, "unknown command: %s "
		    "(:help lists them)", name);
	if (e->modes != 0 && (e->modes & CMD_MODE(mode)) == 0)
		return 0;
	if (t->guard != NULL) {
		int	 rc = t->guard(a, e, err);

		if (rc != 0)
			return rc;
	}
	return e->exec(a, e, arg, err);
}

/* ------------------------------------------------------------------ */
/* Completion */

void
cmd_matches_add(struct cmd_matches *m, const char *s)
{
	for (size_t i = 0; i < m->n; i++)
		if (strcmp(m->v[i], s) == 0)
			return;
	m->v = xrealloc(m->v, (m->n + 1) * sizeof *m->v);
	m->v[m->n++] = xstrdup(s);
}

void
cmd_matches_clear(struct cmd_matches *m)
{
	for (size_t i = 0; i < m->n; i++)
		free(m->v[i]);
	free(m->v);
	m->v = NULL;
	m->n = 0;
}

/* The blank-separated words of list that start with word. */
static void
match_words(const char *list, const char *word, struct cmd_matches *m)
{
	size_t	 wl = strlen(word);

	while (*list != '\0') {
		size_t	 n = strcspn(list, " ");

		if (n >= wl && strncmp(list, word, wl) == 0) {
			char	*w = xstrndup(list, n);

			cmd_matches_add(m, w);
			free(w);
		}
		list += n;
		while (*list == ' ')
			list++;
	}
}

void
cmd_complete(const struct cmd_table *t, struct app *a, const char *line,
    size_t cur, size_t *at, struct cmd_matches *out)
{
	size_t		 ws = cur, n = cmd_count(t);
	char		 word[128];
	const struct cmd_entry *e;

	while (ws > 0 && line[ws - 1] != ' ')
		ws--;
	*at = ws;
	snprintf(word, sizeof word, "%.*s", (int)(cur - ws), line + ws);
	if (ws == 0) {
		for (size_t i = 0; i < n; i++) {
			e = cmd_at(t, i);
			if ((e->flags & (CMD_F_KEY | CMD_F_ALIAS)) == 0 &&
			    strncmp(e->name, word, strlen(word)) == 0)
				cmd_matches_add(out, e->name);
		}
		return;
	}
	if ((e = cmd_find(t, line)) == NULL)
		return;
	if (e->complete != NULL)
		e->complete(a, e, word, out);
	if (e->words != NULL)
		match_words(e->words, word, out);
}

/* ------------------------------------------------------------------ */

int
cmd_arg_count(const char *arg)
{
	return arg != NULL && *arg ? atoi(arg) : 1;
}

static void
entry_fini(struct cmd_entry *e)
{
	free((char *)e->name);
	free((char *)e->args);
	free((char *)e->help);
	free((char *)e->words);
}

/*
 * cmd_int.h - what the files of the command module share: the handlers of
 * the built-in commands, which tui/cmd.c's table names and tui/cmd-*.c
 * define by family, and the helpers one family lends another. Nothing
 * outside the cmd files includes it; the public API is tui/cmd.h.
 */
#ifndef GL_TUI_CMD_INT_H
#define GL_TUI_CMD_INT_H

#include <stdbool.h>

#include "core/notebook.h"
#include "tui/cmd.h"

struct app;
struct gl_err;

/* Declares a handler (struct cmd_entry's exec) or an argument completer
 * (its complete). */
#define CMD_EXEC(f)	int f(struct app *, const struct cmd_entry *, \
			    const char *, struct gl_err *)
#define CMD_COMPLETE(f)	void f(struct app *, const struct cmd_entry *, \
			    const char *, struct cmd_matches *)

/* cmd-cell.c: moving between cells, selecting, adding, deleting, copying,
 * moving, changing their kind, undo, insert mode. */
CMD_EXEC(cmd_cell_down);
CMD_EXEC(cmd_cell_up);
CMD_EXEC(cmd_cell_first);
CMD_EXEC(cmd_cell_last);
CMD_EXEC(cmd_cell_goto);
CMD_COMPLETE(cmd_cell_goto_complete);
CMD_EXEC(cmd_cell_select_down);
CMD_EXEC(cmd_cell_select_up);
CMD_EXEC(cmd_cell_escape);
CMD_EXEC(cmd_cell_add_above);
CMD_EXEC(cmd_cell_add_below);
CMD_EXEC(cmd_cell_delete);
CMD_EXEC(cmd_cell_cut);
CMD_EXEC(cmd_cell_copy);
CMD_EXEC(cmd_cell_paste_below);
CMD_EXEC(cmd_cell_paste_above);
CMD_EXEC(cmd_cell_move_down);
CMD_EXEC(cmd_cell_move_up);
CMD_EXEC(cmd_cell_code);
CMD_EXEC(cmd_cell_markdown);
CMD_EXEC(cmd_cell_raw);
CMD_EXEC(cmd_cell_undo);
CMD_EXEC(cmd_cell_redo);
CMD_EXEC(cmd_cell_edit);
CMD_EXEC(cmd_cell_normal);

/* cmd-view.c: scrolling, folding, the help screen and its pager, suspend
 * and redraw. */
CMD_EXEC(cmd_view_scroll_down);
CMD_EXEC(cmd_view_scroll_up);
CMD_EXEC(cmd_view_half_down);
CMD_EXEC(cmd_view_half_up);
CMD_EXEC(cmd_view_page_down);
CMD_EXEC(cmd_view_page_up);
CMD_EXEC(cmd_view_fold);
CMD_EXEC(cmd_view_help);
CMD_EXEC(cmd_view_output);
CMD_EXEC(cmd_view_suspend);
CMD_EXEC(cmd_view_redraw);
CMD_EXEC(cmd_view_pg_down);
CMD_EXEC(cmd_view_pg_up);
CMD_EXEC(cmd_view_pg_top);
CMD_EXEC(cmd_view_pg_bottom);
CMD_EXEC(cmd_view_pg_close);

/* cmd-run.c: running cells, interrupting, the run queue, the runtime. */
CMD_EXEC(cmd_run_cell);
CMD_EXEC(cmd_run_next);
CMD_EXEC(cmd_run_insert);
CMD_EXEC(cmd_run_interrupt);
CMD_EXEC(cmd_run_cancel);
CMD_EXEC(cmd_run_restart);

/* cmd-file.c: saving and quitting, and the connection to the kernel. */
CMD_EXEC(cmd_file_write);
CMD_EXEC(cmd_file_connect);
CMD_EXEC(cmd_file_write_force);
CMD_EXEC(cmd_file_quit);
CMD_EXEC(cmd_file_quit_force);
CMD_EXEC(cmd_file_write_quit);

/* cmd-cluster.c: the cluster view and scaling the cluster. */
CMD_EXEC(cmd_cluster_open);
CMD_EXEC(cmd_cluster_scale);
CMD_EXEC(cmd_cluster_down);
CMD_EXEC(cmd_cluster_up);
CMD_EXEC(cmd_cluster_refresh);
CMD_EXEC(cmd_cluster_close);

/* cmd-cmdline.c: the : command line. */
CMD_EXEC(cmd_cmdline_open);
CMD_EXEC(cmd_cmdline_exec);
CMD_EXEC(cmd_cmdline_cancel);
CMD_EXEC(cmd_cmdline_complete);
CMD_EXEC(cmd_cmdline_complete_back);
CMD_EXEC(cmd_cmdline_history_up);
CMD_EXEC(cmd_cmdline_history_down);
CMD_EXEC(cmd_cmdline_move);
CMD_EXEC(cmd_cmdline_backspace);
CMD_EXEC(cmd_cmdline_delete);
CMD_EXEC(cmd_cmdline_delete_word);
CMD_EXEC(cmd_cmdline_clear);

/* cmd-config.c: options and key bindings of the session. */
CMD_EXEC(cmd_config_set);
CMD_EXEC(cmd_config_map);
CMD_COMPLETE(cmd_config_map_complete);

/* cmd-edit.c: the cell editor (insert mode). */
CMD_EXEC(cmd_edit_move);
CMD_EXEC(cmd_edit_select);
CMD_EXEC(cmd_edit_newline);
CMD_EXEC(cmd_edit_backspace);
CMD_EXEC(cmd_edit_delete);
CMD_EXEC(cmd_edit_delete_word);
CMD_EXEC(cmd_edit_kill_line);
CMD_EXEC(cmd_edit_indent);
CMD_EXEC(cmd_edit_dedent);
CMD_EXEC(cmd_edit_select_all);
CMD_EXEC(cmd_edit_copy);
CMD_EXEC(cmd_edit_cut);
CMD_EXEC(cmd_edit_paste);
/* cmd-git.c: the notebook in git. */
CMD_EXEC(cmd_git_commit);
CMD_EXEC(cmd_git_log);
CMD_EXEC(cmd_git_show);

/* cmd-review.c: the review mode and its suggestion editor. */
CMD_EXEC(cmd_review_open);
CMD_EXEC(cmd_review_down);
CMD_EXEC(cmd_review_up);
CMD_EXEC(cmd_review_page_down);
CMD_EXEC(cmd_review_page_up);
CMD_EXEC(cmd_review_top);
CMD_EXEC(cmd_review_bottom);
CMD_EXEC(cmd_review_next);
CMD_EXEC(cmd_review_prev);
CMD_EXEC(cmd_review_select);
CMD_EXEC(cmd_review_escape);
CMD_EXEC(cmd_review_close);
CMD_EXEC(cmd_review_refresh);
CMD_EXEC(cmd_review_goto);
CMD_EXEC(cmd_review_comment);
CMD_EXEC(cmd_review_reply);
CMD_EXEC(cmd_review_resolve);
CMD_EXEC(cmd_review_suggest);
CMD_EXEC(cmd_review_apply);
CMD_EXEC(cmd_review_approve);
CMD_EXEC(cmd_review_request_changes);
CMD_EXEC(cmd_suggest_done);
CMD_EXEC(cmd_suggest_cancel);
CMD_EXEC(cmd_suggest_move);
CMD_EXEC(cmd_suggest_newline);
CMD_EXEC(cmd_suggest_backspace);
CMD_EXEC(cmd_suggest_delete);
CMD_EXEC(cmd_suggest_delete_word);
CMD_EXEC(cmd_suggest_kill_line);
CMD_EXEC(cmd_suggest_indent);

/* cmd-search.c: / ? n N, :noh, :s and :%s. */
CMD_EXEC(cmd_search_forward);
CMD_EXEC(cmd_search_backward);
CMD_EXEC(cmd_search_next);
CMD_EXEC(cmd_search_prev);
CMD_EXEC(cmd_search_clear);
CMD_EXEC(cmd_search_substitute);

/* cmd-complete.c: completion and inspection, the completion menu. */
CMD_EXEC(cmd_complete_edit);
CMD_EXEC(cmd_complete_edit_inspect);
CMD_EXEC(cmd_complete_inspect);
CMD_EXEC(cmd_complete_next);
CMD_EXEC(cmd_complete_prev);
CMD_EXEC(cmd_complete_accept);
CMD_EXEC(cmd_complete_close);

/* cmd-pair.c: a shared session: invites, members, roles, following,
 * messages. */
CMD_EXEC(cmd_pair_share);
CMD_EXEC(cmd_pair_members);
CMD_EXEC(cmd_pair_role);
CMD_EXEC(cmd_pair_revoke);
CMD_EXEC(cmd_pair_follow);
CMD_COMPLETE(cmd_pair_name_complete);
CMD_EXEC(cmd_pair_say);
CMD_EXEC(cmd_pair_messages);

/* cmd.c: a count argument ("scroll-down 3"): arg, or 1 without one. */
int	 cmd_arg_count(const char *arg);

/* cmd-cell.c: inserts a cell of kind above or below the current one and
 * edits it (add-above, add-below, run-insert). */
void	 cmd_cell_add(struct app *a, bool above, enum nb_kind kind);

#endif

/*
 * cmd-cmdline.c - the commands of the `:` command line: opening it
 * (command), running it (cl-exec, which runs the line as a command in
 * the mode the line was opened from), closing it, completing with Tab
 * (the words come from tui/cmd.c), the history, and editing the line
 * (tui/cmdline.c). Any command but completion ends a completion.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/mem.h"
#include "tui/app_int.h"
#include "tui/cmd.h"
#include "tui/cmd_int.h"
#include "tui/cmdline.h"
#include "tui/keymap.h"

static void
complete(struct app *a, bool back)
{
	struct cmd_matches m = { NULL, 0 };
	struct gl_buf	 show;
	size_t		 at;

	if (a->cl_prompt != ':')
		return;		/* a search pattern: nothing to complete */
	if (cmdline_complete_next(&a->cl, back))
		return;
	cmdline_complete_end(&a->cl);
	cmd_complete(a->cmds, a, cmdline_text(&a->cl), a->cl.cur, &at, &m);
	if (m.n == 0) {
		app_msg(a, true, "no completion for '%.*s'",
		    (int)(a->cl.cur - at), cmdline_text(&a->cl) + at);
		return;
	}
	/* The line takes the strings. */
	cmdline_complete_start(&a->cl, m.v, m.n, at, back);
	if (m.n > 1) {
		gl_buf_init(&show);
		for (size_t i = 0; i < m.n && show.len < 400; i++)
			gl_buf_addf(&show, "%s%s", i ? "  " : "", m.v[i]);
		app_msg(a, false, "%s", show.data);
		gl_buf_fini(&show);
	}
}

/* Back to the mode the line was opened from (a search's line gives
 * back the commands' history). */
static void
close_line(struct app *a)
{
	if (a->cl_prompt != ':')
		cmdline_swap_history(&a->cl, &a->cl_shist);
	a->cl_prompt = ':';
	a->mode = a->cl_return;
}

int
cmd_cmdline_open(struct app *a, const struct cmd_entry *self,
    const char *arg, struct gl_err *err)
{
	a->cl_return = a->mode == KEYMAP_INSERT || a->mode == KEYMAP_CLUSTER ||
	    a->mode == KEYMAP_REVIEW ? a->mode : KEYMAP_NORMAL;
	a->mode = KEYMAP_CMDLINE;
	a->cl_prompt = ':';
	cmdline_open(&a->cl);
	/* "command comment ": the line begun for the user to finish. */
	if (arg != NULL)
		cmdline_set(&a->cl, arg);
	a->msg[0] = '\0';
	return 0;
}

int
cmd_cmdline_exec(struct app *a, const struct cmd_entry *self,
    const char *arg, struct gl_err *err)
{
	char	*line = xstrdup(cmdline_text(&a->cl));
	char	 prompt = a->cl_prompt;

	cmdline_complete_end(&a->cl);
	cmdline_history_push(&a->cl, line);
	close_line(a);
	if (prompt == '/' || prompt == '?')
		app_search(a, line, prompt == '?');
	else
		app_exec(a, line);
	free(line);
	return 0;
}

int
cmd_cmdline_cancel(struct app *a, const struct cmd_entry *self,
    const char *arg, struct gl_err *err)
{
	cmdline_complete_end(&a->cl);
	close_line(a);
	return 0;
}

int
cmd_cmdline_complete(struct app *a, const struct cmd_entry *self,
    const char *arg, struct gl_err *err)
{
	complete(a, false);
	return 0;
}

int
cmd_cmdline_complete_back(struct app *a, const struct cmd_entry *self,
    const char *arg, struct gl_err *err)
{
	complete(a, true);
	return 0;
}

int
cmd_cmdline_history_up(struct app *a, const struct cmd_entry *self,
    const char *arg, struct gl_err *err)
{
	cmdline_complete_end(&a->cl);
	cmdline_history_up(&a->cl);
	return 0;
}

int
cmd_cmdline_history_down(struct app *a, const struct cmd_entry *self,
    const char *arg, struct gl_err *err)
{
	cmdline_complete_end(&a->cl);
	cmdline_history_down(&a->cl);
	return 0;
}

/* cl-move left|right|home|end|word-left|word-right */
int
cmd_cmdline_move(struct app *a, const struct cmd_entry *self,
    const char *arg, struct gl_err *err)
{
	static const struct {
		const char	*name;
		enum cmdline_move m;
	} moves[] = {
		{ "left", CMDLINE_LEFT }, { "right", CMDLINE_RIGHT },
		{ "home", CMDLINE_HOME }, { "end", CMDLINE_END },
		{ "word-left", CMDLINE_WORD_LEFT },
		{ "word-right", CMDLINE_WORD_RIGHT },
	};

	cmdline_complete_end(&a->cl);
	for (size_t i = 0; arg != NULL && i < sizeof moves / sizeof moves[0];
	    i++)
		if (strcmp(arg, moves[i].name) == 0)
			cmdline_move(&a->cl, moves[i].m);
	return 0;
}

/* Backspace on an empty line closes it, as in vim. */
int
cmd_cmdline_backspace(struct app *a, const struct cmd_entry *self,
    const char *arg, struct gl_err *err)
{
	cmdline_complete_end(&a->cl);
	if (!cmdline_backspace(&a->cl))
		close_line(a);
	return 0;
}

int
cmd_cmdline_delete(struct app *a, const struct cmd_entry *self,
    const char *arg, struct gl_err *err)
{
	cmdline_complete_end(&a->cl);
	cmdline_delete(&a->cl);
	return 0;
}

int
cmd_cmdline_delete_word(struct app *a, const struct cmd_entry *self,
    const char *arg, struct gl_err *err)
{
	cmdline_complete_end(&a->cl);
	cmdline_delete_word(&a->cl);
	return 0;
}

int
cmd_cmdline_clear(struct app *a, const struct cmd_entry *self,
    const char *arg, struct gl_err *err)
{
	cmdline_complete_end(&a->cl);
	cmdline_clear(&a->cl);
	return 0;
}

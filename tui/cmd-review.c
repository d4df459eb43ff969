/*
 * cmd-review.c - the commands of the review mode: opening it (review),
 * moving in it (rv-*: rows, pages, the next change, thread or file), the
 * selection of lines, what a reviewer writes (comment, reply, resolve,
 * suggest, apply, approve, request-changes) and the suggestion editor
 * (sg-*). The model is tui/review.c, the requests tui/app-review.c.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "tui/app_int.h"
#include "tui/cmd.h"
#include "tui/cmd_int.h"
#include "tui/editor.h"
#include "tui/review.h"

int
cmd_review_open(struct app *a, const struct cmd_entry *self,
    const char *arg, struct gl_err *err)
{
	return app_review_open(a, arg, err);
}

int
cmd_review_down(struct app *a, const struct cmd_entry *self,
    const char *arg, struct gl_err *err)
{
	rview_move(a->rv, cmd_arg_count(arg));
	return 0;
}

int
cmd_review_up(struct app *a, const struct cmd_entry *self, const char *arg,
    struct gl_err *err)
{
	rview_move(a->rv, -cmd_arg_count(arg));
	return 0;
}

int
cmd_review_page_down(struct app *a, const struct cmd_entry *self,
    const char *arg, struct gl_err *err)
{
	rview_move(a->rv, app_review_page(a) / 2);
	return 0;
}

int
cmd_review_page_up(struct app *a, const struct cmd_entry *self,
    const char *arg, struct gl_err *err)
{
	rview_move(a->rv, -(long)(app_review_page(a) / 2));
	return 0;
}

int
cmd_review_top(struct app *a, const struct cmd_entry *self, const char *arg,
    struct gl_err *err)
{
	rview_move_to(a->rv, 0);
	return 0;
}

int
cmd_review_bottom(struct app *a, const struct cmd_entry *self,
    const char *arg, struct gl_err *err)
{
	rview_move_to(a->rv, a->rv->nrows);
	return 0;
}

/* rv-next / rv-prev change|thread|file */
static int
next(struct app *a, const struct cmd_entry *self, const char *arg, int dir,
    struct gl_err *err)
{
	enum rview_goal	 goal;

	if (arg != NULL && strcmp(arg, "change") == 0)
		goal = RVIEW_TO_CHANGE;
	else if (arg != NULL && strcmp(arg, "thread") == 0)
		goal = RVIEW_TO_THREAD;
	else if (arg != NULL && strcmp(arg, "file") == 0)
		goal = RVIEW_TO_FILE;
	else
		return gl_err_set(err, GL_EINVAL, "%s: change, thread or file",
		    self->name);
	if (!rview_next(a->rv, goal, dir))
		app_msg(a, false, "no %s %s", dir > 0 ? "more" : "earlier",
		    goal == RVIEW_TO_CHANGE ? "changes" : goal ==
		    RVIEW_TO_THREAD ? "threads" : "files");
	return 0;
}

int
cmd_review_next(struct app *a, const struct cmd_entry *self,
    const char *arg, struct gl_err *err)
{
	return next(a, self, arg, 1, err);
}

int
cmd_review_prev(struct app *a, const struct cmd_entry *self,
    const char *arg, struct gl_err *err)
{
	return next(a, self, arg, -1, err);
}

int
cmd_review_select(struct app *a, const struct cmd_entry *self,
    const char *arg, struct gl_err *err)
{
	rview_select(a->rv, !a->rv->sel);
	if (a->rv->sel)
		app_msg(a, false, "selecting lines: move, then c comments on "
		    "them, s suggests (V or Esc ends it)");
	return 0;
}

int
cmd_review_escape(struct app *a, const struct cmd_entry *self,
    const char *arg, struct gl_err *err)
{
	if (a->rv->sel)
		rview_select(a->rv, false);
	else
		app_review_close(a);
	return 0;
}

int
cmd_review_close(struct app *a, const struct cmd_entry *self,
    const char *arg, struct gl_err *err)
{
	app_review_close(a);
	return 0;
}

int
cmd_review_refresh(struct app *a, const struct cmd_entry *self,
    const char *arg, struct gl_err *err)
{
	int	 rc = app_review_reload(a, err);

	if (rc == 0)
		app_msg(a, false, "read the review again");
	return rc;
}

int
cmd_review_goto(struct app *a, const struct cmd_entry *self,
    const char *arg, struct gl_err *err)
{
	return app_review_goto(a, err);
}

int
cmd_review_comment(struct app *a, const struct cmd_entry *self,
    const char *arg, struct gl_err *err)
{
	return app_review_comment(a, arg, err);
}

int
cmd_review_reply(struct app *a, const struct cmd_entry *self,
    const char *arg, struct gl_err *err)
{
	return app_review_reply(a, arg, err);
}

int
cmd_review_resolve(struct app *a, const struct cmd_entry *self,
    const char *arg, struct gl_err *err)
{
	return app_review_resolve(a, err);
}

int
cmd_review_suggest(struct app *a, const struct cmd_entry *self,
    const char *arg, struct gl_err *err)
{
	/* Alone it (re)opens the editor; with a message it sends the
	 * written draft. */
	return app_review_suggest(a, arg, err);
}

int
cmd_review_apply(struct app *a, const struct cmd_entry *self,
    const char *arg, struct gl_err *err)
{
	return app_review_apply(a, err);
}

int
cmd_review_approve(struct app *a, const struct cmd_entry *self,
    const char *arg, struct gl_err *err)
{
	return app_review_verdict(a, "approve", arg, err);
}

int
cmd_review_request_changes(struct app *a, const struct cmd_entry *self,
    const char *arg, struct gl_err *err)
{
	if (arg == NULL)
		return gl_err_set(err, GL_EINVAL, "request-changes: say which "
		    "(:request-changes MESSAGE)");
	return app_review_verdict(a, "request-changes", arg, err);
}

/* ------------------------------------------------------------------ */
/* The suggestion editor                                                */

int
cmd_suggest_done(struct app *a, const struct cmd_entry *self,
    const char *arg, struct gl_err *err)
{
	app_review_suggest_end(a, true);
	return 0;
}

int
cmd_suggest_cancel(struct app *a, const struct cmd_entry *self,
    const char *arg, struct gl_err *err)
{
	app_review_suggest_end(a, false);
	return 0;
}

int
cmd_suggest_move(struct app *a, const struct cmd_entry *self,
    const char *arg, struct gl_err *err)
{
	static const struct {
		const char	*name;
		enum ed_move	 m;
	} dirs[] = {
		{ "left", ED_LEFT }, { "right", ED_RIGHT }, { "up", ED_UP },
		{ "down", ED_DOWN }, { "word-left", ED_WORD_LEFT },
		{ "word-right", ED_WORD_RIGHT }, { "home", ED_HOME },
		{ "end", ED_END },
	};

	for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++)
		if (arg != NULL && strcmp(arg, dirs[i].name) == 0)
			return app_review_edit(a, APP_SG_MOVE, (int)dirs[i].m,
			    false);
	return gl_err_set(err, GL_EINVAL, "%s: left, right, up, down, "
	    "word-left, word-right, home or end", self->name);
}

int
cmd_suggest_newline(struct app *a, const struct cmd_entry *self,
    const char *arg, struct gl_err *err)
{
	return app_review_edit(a, APP_SG_NEWLINE, 0, false);
}

int
cmd_suggest_backspace(struct app *a, const struct cmd_entry *self,
    const char *arg, struct gl_err *err)
{
	return app_review_edit(a, APP_SG_BACKSPACE, 0, false);
}

int
cmd_suggest_delete(struct app *a, const struct cmd_entry *self,
    const char *arg, struct gl_err *err)
{
	return app_review_edit(a, APP_SG_DELETE, 0, false);
}

int
cmd_suggest_delete_word(struct app *a, const struct cmd_entry *self,
    const char *arg, struct gl_err *err)
{
	return app_review_edit(a, APP_SG_DELETE_WORD, 0, false);
}

int
cmd_suggest_kill_line(struct app *a, const struct cmd_entry *self,
    const char *arg, struct gl_err *err)
{
	return app_review_edit(a, APP_SG_KILL_LINE, 0, false);
}

int
cmd_suggest_indent(struct app *a, const struct cmd_entry *self,
    const char *arg, struct gl_err *err)
{
	return app_review_edit(a, APP_SG_INDENT, 0, false);
}

/*
 * app-status.c - the status line (mode, notebook, kernel, runtime, people
 * in the session, current cell) and the message line under it, and the
 * session.list poll that counts the people.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "core/rpc.h"
#include "tui/app_int.h"
#include "tui/event.h"
#include "tui/keymap.h"
#include "tui/view.h"

void
app_msg(struct app *a, bool error, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(a->msg, sizeof a->msg, fmt, ap);
	va_end(ap);
	/* One line on the screen. */
	for (char *p = a->msg; *p; p++)
		if (*p == '\n' || *p == '\t')
			*p = ' ';
	a->msg_err = error;
}


void
app_status(struct app *a, struct view_status *st)
{
	static const char *const modes[KEYMAP_NMODES] = {
		"NORMAL", "INSERT", "COMMAND", "HELP", "CLUSTER", "REVIEW",
		"SUGGEST", "INSERT",
	};

	memset(st, 0, sizeof *st);
	st->mode = modes[a->mode == KEYMAP_CMDLINE ? a->cl_return : a->mode];
	st->path = a->o->path;
	/* An invite's notebook: its name (the path is the kernel's). */
	if (st->path == NULL && a->o->label != NULL)
		st->path = strrchr(a->o->label, '/') != NULL ?
		    strrchr(a->o->label, '/') + 1 : a->o->label;
	st->dirty = a->dirty;
	st->git = a->git[0] != '\0' ? a->git : NULL;
	st->kernel = a->kernel;
	st->runtime = a->runtime;
	st->members = a->members;
	st->msg = a->msg[0] ? a->msg : NULL;
	st->msg_error = a->msg_err;
	st->extra = a->plg_status;
	/* A big notebook's cells still coming (tui/app-load.c). */
	if (a->loading) {
		snprintf(a->load_show, sizeof a->load_show, "reading cells "
		    "(%zu so far)", a->load_next);
		st->extra = a->load_show;
	}
	if (a->mode == KEYMAP_CMDLINE) {
		st->cmdline = cmdline_text(&a->cl);
		st->cmdline_cur = a->cl.cur;
		st->cmdline_prompt = a->cl_prompt == '/' ? "/" :
		    a->cl_prompt == '?' ? "?" : ":";
	}
	/* A count and the keys of a sequence being typed ("3d" of
	 * "3dd"). */
	if (a->mode == KEYMAP_NORMAL && (*keymap_pending(a->km) ||
	    a->count > 0)) {
		if (a->count > 0)
			snprintf(a->pend_show, sizeof a->pend_show, "%ld%s",
			    a->count, keymap_pending(a->km));
		else
			snprintf(a->pend_show, sizeof a->pend_show, "%s",
			    keymap_pending(a->km));
		st->msg = a->pend_show;
		st->msg_error = false;
	}
}

void
app_members_poll(struct app *a)
{
	struct rpc_msg	 resp;
	struct gl_err	 err = { 0 };

	a->members_ms = a->now;
	if (app_call(a, "session.list", NULL, NULL, &resp, &err) != 0)
		return;
	(void)event_members(resp.result, a->session, &a->members);
	rpc_msg_fini(&resp);
}

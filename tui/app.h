/*
 * app.h - the notebook TUI as a whole: attach to the kernel's session for
 * a notebook, show it, and run the loop that turns keys into commands,
 * edits into doc.edit operations and the kernel's notifications into
 * what the screen shows. Called by cli/cmd_open.c.
 *
 * The loop is plain poll(2) over three fds (the terminal, the kernel's
 * socket, the signal pipe) with a timeout from the nearest timer (a
 * pending Esc, the running cell's clock, autosave, the member count);
 * the kernel client (client/client.h) is blocking and poll-friendly, so
 * libuv would add a second event model for nothing.
 *
 * `galley review` runs it with no notebook: the review mode alone.
 */
#ifndef GL_TUI_APP_H
#define GL_TUI_APP_H

struct gl_err;

struct app_opts {
	const char	*path;		/* the notebook as the user typed it;
					 * NULL: none (with review) */
	const char	*kernel;	/* --kernel ADDR, or NULL */
	const char	*config;	/* init.lua; NULL: the user's */
	const char	*notice;	/* first message to show, or NULL */
	const char	*review;	/* open the review mode on this: "" (the
					 * current branch's), an id or
					 * BASE..HEAD; NULL: do not */
	/* galley attach INVITE: join this session of the kernel (by id,
	 * session.attach) rather than open path; path is then NULL and
	 * label names the notebook for the screen. */
	const char	*session;
	const char	*label;
	/* A team kernel's member to connect as, with its token's text
	 * (client/client.h cl_opts.member and .token); NULL: the owner. */
	const char	*member;
	const char	*token;
};

/* Runs the TUI until the user quits. 0, or a GL_E* with err set: a
 * kernel that cannot be reached (GL_ECLOSED, GL_EAUTH, GL_ETIMEDOUT,
 * GL_EPROTO), a notebook it cannot open (GL_ENOTFOUND, GL_ESYNTAX,
 * GL_EIO), no terminal (GL_EIO). */
int	 app_run(const struct app_opts *o, struct gl_err *err);

#endif

/*
 * app-review.c - the review mode's requests and state: review.open read
 * into the model (tui/review.c) and shown in place of the notebook,
 * comments, replies, resolutions, verdicts and suggestions sent as
 * review.* requests (docs/protocol.md) and the review read again after
 * each, suggestions applied through the kernel (so a notebook a session
 * has open, this one included, gets them as an edit), and the small
 * editor a suggestion is written in: a scratch notebook of one cell that
 * tui/editor.c edits as it edits cells.
 *
 * The review is named to the kernel by the notebook's session (its
 * repository) or, for `galley review` with no notebook, by the directory
 * it was started in; then by its id once there is one, else by the range
 * review.open showed, so the first comment or verdict starts the review
 * of that range.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client/client.h"
#include "core/err.h"
#include "core/mem.h"
#include "core/notebook.h"
#include "core/ot.h"
#include "core/rpc.h"
#include "tui/app_int.h"
#include "tui/cmdline.h"
#include "tui/editor.h"
#include "tui/event.h"
#include "tui/review.h"
#include "tui/sync.h"
#include "tui/view.h"

/* The suggestion draft's cell in its scratch notebook. */
#define DRAFT_ID	"draft"

bool
app_review_shown(const struct app *a)
{
	return a->rv != NULL && (a->mode == KEYMAP_REVIEW ||
	    a->mode == KEYMAP_SUGGEST || (a->mode == KEYMAP_CMDLINE &&
	    a->cl_return == KEYMAP_REVIEW));
}

int
app_review_connect(struct app *a, struct gl_err *err)
{
	struct cl_opts	 co;
	char		 buf[128];
	int		 rc;

	cl_opts_init(&co);
	co.kernel = a->o->kernel;
	if ((rc = cl_connect(&co, &a->conn, err)) != 0)
		return rc;
	if (a->doc == NULL)
		a->doc = nb_doc_new();
	if (a->sync == NULL)
		a->sync = sync_new(0);
	view_sync(a->view, a->doc);
	snprintf(buf, sizeof buf, "%s", cl_addr(a->conn));
	snprintf(a->kernel, sizeof a->kernel, "%s", strncmp(buf, "unix:", 5) ==
	    0 ? "local" : buf);
	a->lost = false;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Requests                                                             */
/* ------------------------------------------------------------------ */

/* A review.* request's arguments: where (session or directory), which
 * review (id or range), then the method's own strings and lines. */
struct rq {
	struct app	*a;
	const char	*k[6], *v[6];	/* NULL values are left out */
	size_t		 n;
	unsigned	 lines[2];	/* lines[0] == 0: none */
	int		 resolved;	/* -1: not sent, else the bool */
	bool		 which;		/* name the review */
};

static void
rq_add(struct rq *q, const char *k, const char *v)
{
	q->k[q->n] = k;
	q->v[q->n++] = v;
}

static void
pack_rq(msgpack_packer *pk, void *ctx)
{
	struct rq	*q = ctx;
	struct app	*a = q->a;
	const char	*sel = NULL, *selv = NULL;
	size_t		 n = 1;

	if (q->which && a->rv_review != NULL) {
		sel = "review";
		selv = a->rv_review;
	} else if (q->which && a->rv_range != NULL) {
		sel = "range";
		selv = a->rv_range;
	}
	n += sel != NULL;
	n += q->lines[0] > 0;
	n += q->resolved >= 0;
	for (size_t i = 0; i < q->n; i++)
		n += q->v[i] != NULL;
	msgpack_pack_map(pk, n);
	if (a->session != NULL)
		rpc_pack_kv_str(pk, "session", a->session);
	else
		rpc_pack_kv_str(pk, "path", a->rv_dir);
	if (sel != NULL)
		rpc_pack_kv_str(pk, sel, selv);
	for (size_t i = 0; i < q->n; i++)
		if (q->v[i] != NULL)
			rpc_pack_kv_str(pk, q->k[i], q->v[i]);
	if (q->resolved >= 0)
		rpc_pack_kv_bool(pk, "resolved", q->resolved > 0);
	if (q->lines[0] > 0) {
		rpc_pack_key(pk, "lines");
		msgpack_pack_array(pk, 2);
		msgpack_pack_uint32(pk, q->lines[0]);
		msgpack_pack_uint32(pk, q->lines[1]);
	}
}

static int
rq_call(struct rq *q, const char *method, struct rpc_msg *resp,
    struct gl_err *err)
{
	int	 rc = app_call(q->a, method, pack_rq, q, resp, err);

	if (rc != 0 && app_no_method(rc, err))
		gl_err_set(err, rc, "this kernel has no review methods (it is "
		    "older than this galley)");
	return rc;
}

/* Reads review.open (with what the app names) into the model; keeps the
 * cursor's row, or goes to thread (an id) when given. */
static int
review_load(struct app *a, const char *thread, struct gl_err *err)
{
	struct rq	 q = { .a = a, .resolved = -1, .which = true };
	struct rpc_msg	 resp;
	struct rview	*rv = xcalloc(1, sizeof *rv);
	size_t		 cur = a->rv != NULL ? a->rv->cur : 0;
	size_t		 top = a->rv != NULL ? a->rv->top : 0;
	int		 rc;

	if ((rc = rq_call(&q, "review.open", &resp, err)) != 0) {
		free(rv);
		return rc;
	}
	rc = rview_parse(resp.result, rv, err);
	rpc_msg_fini(&resp);
	if (rc != 0) {
		rview_fini(rv);
		free(rv);
		return rc;
	}
	rv->ascii = keymap_config(a->km)->ascii;
	if (a->rv != NULL) {
		rview_fini(a->rv);
		free(a->rv);
	}
	a->rv = rv;
	free(a->rv_review);
	a->rv_review = rv->id != NULL ? xstrdup(rv->id) : NULL;
	if (rv->id == NULL && rv->base != NULL && rv->head != NULL &&
	    a->rv_range == NULL)
		a->rv_range = xasprintf("%s..%s", rv->base, rv->head);
	rview_layout(rv, a->cols > 0 ? a->cols : 80);
	rv->top = top;
	rview_move_to(rv, cur);
	if (thread != NULL)
		rview_goto_thread(rv, thread);
	return 0;
}

int
app_review_open(struct app *a, const char *arg, struct gl_err *err)
{
	char	 cwd[PATH_MAX];
	int	 rc;

	while (arg != NULL && *arg == ' ')
		arg++;
	if (arg != NULL && *arg == '\0')
		arg = NULL;
	if (a->session == NULL && a->rv_dir == NULL) {
		if (getcwd(cwd, sizeof cwd) == NULL)
			return gl_err_set(err, GL_EIO, "review: no working "
			    "directory");
		a->rv_dir = xstrdup(cwd);
	}
	free(a->rv_review);
	free(a->rv_range);
	a->rv_review = a->rv_range = NULL;
	if (arg != NULL && strstr(arg, "..") != NULL)
		a->rv_range = xstrdup(arg);
	else if (arg != NULL)
		a->rv_review = xstrdup(arg);
	if (a->rv != NULL) {
		/* Another review: start at its top. */
		rview_fini(a->rv);
		free(a->rv);
		a->rv = NULL;
	}
	if ((rc = review_load(a, NULL, err)) != 0) {
		if (rc == GL_ENOTFOUND && arg == NULL)
			gl_err_prefix(err, "review (:review BASE..HEAD names "
			    "what to review)");
		else
			gl_err_prefix(err, "review");
		return rc;
	}
	if (a->mode != KEYMAP_REVIEW && a->mode != KEYMAP_SUGGEST)
		a->rv_return = a->mode == KEYMAP_CMDLINE ? a->cl_return :
		    a->mode == KEYMAP_PAGER ? a->pager_return : a->mode;
	if (a->rv_return == KEYMAP_REVIEW || a->rv_return == KEYMAP_SUGGEST ||
	    a->rv_return == KEYMAP_INSERT)
		a->rv_return = KEYMAP_NORMAL;
	if (a->mode == KEYMAP_INSERT)
		app_insert_leave(a);
	a->mode = KEYMAP_REVIEW;
	keymap_reset(a->km);
	if (a->rv->warning != NULL)
		app_msg(a, true, "%s", a->rv->warning);
	else
		app_msg(a, false, "%zu file%s changed; ]c next change, ]t next "
		    "thread, ? keys", a->rv->nfiles, a->rv->nfiles == 1 ? "" :
		    "s");
	return 0;
}

int
app_review_reload(struct app *a, struct gl_err *err)
{
	if (a->rv == NULL)
		return gl_err_set(err, GL_EINVAL, "no review open (:review)");
	return review_load(a, NULL, err);
}

void
app_review_close(struct app *a)
{
	if (a->abspath == NULL) {
		/* `galley review` alone: nothing to go back to. */
		app_quit(a, false, false);
		return;
	}
	a->mode = a->rv_return;
	a->msg[0] = '\0';
}

/* The review a request is about must be shown. */
static int
need_review(struct app *a, const char *what, struct gl_err *err)
{
	if (a->rv == NULL || !app_review_shown(a))
		return gl_err_set(err, GL_EINVAL, "%s: open the review mode "
		    "first (:review)", what);
	return 0;
}

/* The thread under the cursor, or NULL with err set. */
static const struct rview_thread *
cursor_thread(struct app *a, const char *what, struct gl_err *err)
{
	struct rview_target	 t;

	if (need_review(a, what, err) != 0)
		return NULL;
	rview_target(a->rv, &t, NULL);
	if (t.thread < 0) {
		gl_err_set(err, GL_EINVAL, "%s: put the cursor on a thread "
		    "(]t goes to the next one)", what);
		return NULL;
	}
	return &a->rv->threads[t.thread];
}

/* The thread id of a review.comment/reply/resolve answer (caller
 * frees). */
static char *
answer_thread(const struct rpc_msg *resp)
{
	return rpc_map_strdup(rpc_map_get(resp->result, "thread"), "id");
}

/* Sends a comment on target t (lines 0: the cell). */
static int
send_comment(struct app *a, const char *path_in, const char *cell_in,
    unsigned line0, unsigned line1, const char *body, const char *sugg,
    struct gl_err *err)
{
	struct rq	 q = { .a = a, .resolved = -1, .which = true };
	struct rpc_msg	 resp;
	/* Copies: the review read again below frees what they point to. */
	char		*path = xstrdup(path_in);
	char		*cell = cell_in != NULL ? xstrdup(cell_in) : NULL;
	char		*tid, *rid, *warn;
	int		 rc;

	rq_add(&q, "file", path);
	rq_add(&q, "cell", cell);
	rq_add(&q, "body", body);
	rq_add(&q, "suggestion", sugg);
	q.lines[0] = line0;
	q.lines[1] = line1;
	if ((rc = rq_call(&q, "review.comment", &resp, err)) != 0) {
		free(path);
		free(cell);
		return gl_err_prefix(err, "comment");
	}
	tid = answer_thread(&resp);
	rid = rpc_map_strdup(resp.result, "review");
	warn = event_warnings(resp.result);
	rpc_msg_fini(&resp);
	if (rid != NULL && (a->rv_review == NULL ||
	    strcmp(a->rv_review, rid) != 0)) {
		free(a->rv_review);
		a->rv_review = rid;
		rid = NULL;
	}
	if (review_load(a, tid, err) != 0)
		app_msg(a, true, "commented, but cannot show it: %s", err->msg);
	else if (warn != NULL)
		app_msg(a, true, "commented: %s", warn);
	else if (line0 == 0)
		app_msg(a, false, "commented on cell %s (thread %s)", cell,
		    tid != NULL ? tid : "?");
	else {
		char	 lines[32];

		snprintf(lines, sizeof lines, line0 == line1 ? "line %u" :
		    "lines %u-%u", line0, line1);
		app_msg(a, false, "commented on %s of %s%s (thread %s)", lines,
		    cell != NULL ? "cell " : "", cell != NULL ? cell : path,
		    tid != NULL ? tid : "?");
	}
	free(warn);
	free(tid);
	free(rid);
	free(path);
	free(cell);
	return 0;
}

int
app_review_comment(struct app *a, const char *body, struct gl_err *err)
{
	struct rview_target	 t;
	int			 rc;

	if ((rc = need_review(a, "comment", err)) != 0)
		return rc;
	if (body == NULL || *body == '\0')
		return gl_err_set(err, GL_EINVAL, "comment: what does it say? "
		    "(:comment MESSAGE)");
	if (!rview_target(a->rv, &t, err))
		return gl_err_prefix(err, "comment");
	rc = send_comment(a, t.path, t.cell, t.line0, t.line1, body, NULL,
	    err);
	if (rc == 0)
		rview_select(a->rv, false);
	return rc;
}

int
app_review_reply(struct app *a, const char *body, struct gl_err *err)
{
	const struct rview_thread *t = cursor_thread(a, "reply", err);
	struct rq	 q = { .a = a, .resolved = -1 };
	struct rpc_msg	 resp;
	char		*tid;
	int		 rc;

	if (t == NULL)
		return err->code;
	if (body == NULL || *body == '\0')
		return gl_err_set(err, GL_EINVAL, "reply: what does it say? "
		    "(:reply MESSAGE)");
	tid = xstrdup(t->id);
	rq_add(&q, "thread", tid);
	rq_add(&q, "body", body);
	if ((rc = rq_call(&q, "review.reply", &resp, err)) == 0) {
		char	*warn = event_warnings(resp.result);

		rpc_msg_fini(&resp);
		if (review_load(a, tid, err) == 0 && warn != NULL)
			app_msg(a, true, "replied: %s", warn);
		else if (err->code == 0)
			app_msg(a, false, "replied to thread %s", tid);
		free(warn);
	} else
		gl_err_prefix(err, "reply");
	free(tid);
	return rc;
}

int
app_review_resolve(struct app *a, struct gl_err *err)
{
	const struct rview_thread *t = cursor_thread(a, "resolve", err);
	struct rq	 q = { .a = a, .resolved = -1 };
	struct rpc_msg	 resp;
	char		*tid;
	int		 rc;

	if (t == NULL)
		return err->code;
	tid = xstrdup(t->id);
	q.resolved = !t->resolved;	/* x again reopens it */
	rq_add(&q, "thread", tid);
	if ((rc = rq_call(&q, "review.resolve", &resp, err)) == 0) {
		rpc_msg_fini(&resp);
		if (review_load(a, tid, err) == 0)
			app_msg(a, false, "%s thread %s", q.resolved ?
			    "resolved" : "reopened", tid);
	} else
		gl_err_prefix(err, "resolve");
	free(tid);
	return rc;
}

int
app_review_verdict(struct app *a, const char *verdict, const char *body,
    struct gl_err *err)
{
	struct rq	 q = { .a = a, .resolved = -1, .which = true };
	struct rpc_msg	 resp;
	const msgpack_object *rv;
	char		*id, *status;
	int		 rc;

	if ((rc = need_review(a, verdict, err)) != 0)
		return rc;
	rq_add(&q, "verdict", verdict);
	rq_add(&q, "body", body);
	if ((rc = rq_call(&q, "review.verdict", &resp, err)) != 0)
		return gl_err_prefix(err, "%s", verdict);
	rv = rpc_map_get(resp.result, "review");
	id = rpc_map_strdup(rv, "id");
	status = rpc_map_strdup(rv, "status");
	rpc_msg_fini(&resp);
	if (id != NULL) {
		free(a->rv_review);
		a->rv_review = xstrdup(id);
	}
	if (review_load(a, NULL, err) == 0)
		app_msg(a, false, "%s review %s (%s)", strcmp(verdict,
		    "approve") == 0 ? "approved" : "requested changes on",
		    id != NULL ? id : "?", status != NULL ? status : "?");
	free(id);
	free(status);
	return 0;
}

int
app_review_apply(struct app *a, struct gl_err *err)
{
	const struct rview_thread *t = cursor_thread(a, "apply", err);
	struct rq	 q = { .a = a, .resolved = -1 };
	struct rpc_msg	 resp;
	char		*tid, *sess;
	int		 rc;

	if (t == NULL)
		return err->code;
	if (t->suggestion == NULL)
		return gl_err_set(err, GL_EINVAL, "apply: thread %s suggests "
		    "no change", t->id);
	/* The kernel edits the notebook as it is: let it have ours. */
	if (a->session != NULL && !app_flush_edits(a))
		return gl_err_set(err, GL_ECLOSED, "apply: the kernel did not "
		    "take the last edits");
	tid = xstrdup(t->id);
	rq_add(&q, "thread", tid);
	if ((rc = rq_call(&q, "review.apply", &resp, err)) != 0) {
		free(tid);
		return gl_err_prefix(err, "apply");
	}
	sess = rpc_map_strdup(resp.result, "session");
	rpc_msg_fini(&resp);
	if (sess != NULL && a->session != NULL && strcmp(sess,
	    a->session) == 0)
		app_msg(a, false, "applied the suggestion of %s to this "
		    "notebook (unsaved: :w saves it)", tid);
	else if (sess != NULL)
		app_msg(a, false, "applied the suggestion of %s as an edit of "
		    "session %s, which has the notebook open", tid, sess);
	else
		app_msg(a, false, "applied the suggestion of %s to the file in "
		    "the work tree; review and commit it", tid);
	free(sess);
	free(tid);
	return 0;
}

/* Enter: the cell under the cursor, in the notebook, if it is this one. */
int
app_review_goto(struct app *a, struct gl_err *err)
{
	struct rview_target	 t;
	size_t			 idx;
	int			 rc;

	if ((rc = need_review(a, "open", err)) != 0)
		return rc;
	if (!rview_target(a->rv, &t, NULL) || t.path == NULL)
		return gl_err_set(err, GL_EINVAL, "put the cursor on a cell "
		    "or a line to go to it");
	if (a->session == NULL || strcmp(t.path, a->git_path) != 0)
		return gl_err_set(err, GL_EINVAL, "%s is not the notebook open "
		    "here (galley open %s opens it)", t.path, t.path);
	if (t.cell == NULL || nb_doc_find(a->doc, t.cell, &idx) == NULL)
		return gl_err_set(err, GL_ENOTFOUND, "cell %s is not in the "
		    "notebook now", t.cell != NULL ? t.cell : "?");
	a->mode = KEYMAP_NORMAL;
	view_set_cursor(a->view, idx);
	app_msg(a, false, "cell %s (:review goes back to the review)",
	    t.cell);
	return 0;
}

/* ------------------------------------------------------------------ */
/* The suggestion editor                                                */
/* ------------------------------------------------------------------ */

static void
draft_free(struct app *a)
{
	nb_doc_free(a->sg.doc);
	free(a->sg.path);
	free(a->sg.cell);
	memset(&a->sg, 0, sizeof a->sg);
}

static const char *
draft_text(struct app *a, size_t *len)
{
	return nb_cell_source(nb_doc_cell(a->sg.doc, 0), len);
}

/* Starts a draft for the lines under the cursor (or selected). */
static int
draft_begin(struct app *a, struct gl_err *err)
{
	struct rview_target	 t;
	char			*text;

	if (!rview_target(a->rv, &t, err))
		return gl_err_prefix(err, "suggest");
	if ((text = rview_lines_text(a->rv, &t, err)) == NULL)
		return gl_err_prefix(err, "suggest");
	draft_free(a);
	a->sg.doc = nb_doc_new();
	if (nb_doc_insert(a->sg.doc, 0, NB_CODE, DRAFT_ID, text, strlen(text),
	    &a->rng, err) == NULL) {
		free(text);
		draft_free(a);
		return err->code;
	}
	a->sg.path = xstrdup(t.path);
	a->sg.cell = t.cell != NULL ? xstrdup(t.cell) : NULL;
	a->sg.line0 = t.line0;
	a->sg.line1 = t.line1;
	ed_init(&a->sg.ed, DRAFT_ID, strlen(text));
	a->sg.ed.indent = keymap_config(a->km)->indent;
	a->sg.ed.tab = keymap_config(a->km)->tab;
	free(text);
	rview_select(a->rv, false);
	return 0;
}

int
app_review_suggest(struct app *a, const char *body, struct gl_err *err)
{
	char	*text;
	size_t	 len;
	int	 rc;

	if ((rc = need_review(a, "suggest", err)) != 0)
		return rc;
	if (a->sg.doc == NULL || !a->sg.ready) {
		/* Write it first: the small editor. */
		if (a->sg.doc == NULL && (rc = draft_begin(a, err)) != 0)
			return rc;
		a->sg.ready = false;
		a->mode = KEYMAP_SUGGEST;
		a->msg[0] = '\0';
		return 0;
	}
	if (body == NULL) {
		/* s again before sending: back to the draft. */
		a->sg.ready = false;
		a->mode = KEYMAP_SUGGEST;
		return 0;
	}
	text = xstrdup(draft_text(a, &len));
	rc = send_comment(a, a->sg.path, a->sg.cell, a->sg.line0, a->sg.line1,
	    *body != '\0' ? body : "suggested change", text, err);
	free(text);
	if (rc == 0)
		draft_free(a);
	return rc;
}

void
app_review_suggest_end(struct app *a, bool keep)
{
	if (a->mode != KEYMAP_SUGGEST)
		return;
	a->mode = KEYMAP_REVIEW;
	if (!keep) {
		draft_free(a);
		app_msg(a, false, "suggestion dropped");
		return;
	}
	/* Then the comment that carries it. */
	a->sg.ready = true;
	a->cl_return = KEYMAP_REVIEW;
	a->mode = KEYMAP_CMDLINE;
	cmdline_open(&a->cl);
	cmdline_set(&a->cl, "suggest ");
	app_msg(a, false, "the comment for it, then Enter (Esc keeps the "
	    "draft: s edits it again)");
}

/* Applies an editor change to the draft. */
static void
draft_change(struct app *a, bool ok, struct ot_op *op)
{
	if (!ok)
		return;
	(void)ot_apply(a->sg.doc, op, NULL);
	ot_op_fini(op);
}

void
app_review_type(struct app *a, const char *s, size_t n, bool paste)
{
	struct ot_op	 op;
	size_t		 len;
	const char	*src;

	if (a->mode != KEYMAP_SUGGEST || a->sg.doc == NULL)
		return;
	src = draft_text(a, &len);
	ed_clamp(&a->sg.ed, src, len);
	draft_change(a, paste ? ed_paste(&a->sg.ed, src, len, s, n, &op) :
	    ed_insert(&a->sg.ed, src, len, s, n, &op), &op);
}

int
app_review_edit(struct app *a, enum app_sg_op what, int move, bool extend)
{
	struct ot_op	 op;
	size_t		 len;
	const char	*src;
	bool		 ok = false;

	if (a->mode != KEYMAP_SUGGEST || a->sg.doc == NULL)
		return 0;
	src = draft_text(a, &len);
	ed_clamp(&a->sg.ed, src, len);
	switch (what) {
	case APP_SG_MOVE:
		ed_move(&a->sg.ed, src, len, (enum ed_move)move, extend);
		return 0;
	case APP_SG_NEWLINE:
		ok = ed_newline(&a->sg.ed, src, len, &op);
		break;
	case APP_SG_BACKSPACE:
		ok = ed_backspace(&a->sg.ed, src, len, &op);
		break;
	case APP_SG_DELETE:
		ok = ed_delete(&a->sg.ed, src, len, &op);
		break;
	case APP_SG_DELETE_WORD:
		ok = ed_delete_word(&a->sg.ed, src, len, &op);
		break;
	case APP_SG_KILL_LINE:
		ok = ed_kill_line(&a->sg.ed, src, len, &op);
		break;
	case APP_SG_INDENT:
		ok = ed_tab(&a->sg.ed, src, len, false, &op);
		break;
	}
	draft_change(a, ok, &op);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Painting                                                             */
/* ------------------------------------------------------------------ */

void
app_review_paint(struct app *a)
{
	struct rview_screen	 s;
	char			 title[320], lines[32];

	memset(&s, 0, sizeof s);
	s.mode = a->mode == KEYMAP_SUGGEST ? "SUGGEST" : "REVIEW";
	s.msg = a->msg[0] != '\0' ? a->msg : NULL;
	s.msg_error = a->msg_err;
	if (a->mode == KEYMAP_CMDLINE) {
		s.cmdline = cmdline_text(&a->cl);
		s.cmdline_cur = a->cl.cur;
	}
	if (a->mode == KEYMAP_SUGGEST && a->sg.doc != NULL) {
		s.edit = draft_text(a, &s.edit_len);
		ed_clamp(&a->sg.ed, s.edit, s.edit_len);
		s.edit_cur = a->sg.ed.cur;
		if (a->sg.line0 == a->sg.line1)
			snprintf(lines, sizeof lines, "line %u", a->sg.line0);
		else
			snprintf(lines, sizeof lines, "lines %u-%u",
			    a->sg.line0, a->sg.line1);
		snprintf(title, sizeof title, " suggested change for %s of %s%s",
		    lines, a->sg.cell != NULL ? "cell " : "", a->sg.cell !=
		    NULL ? a->sg.cell : a->sg.path);
		s.edit_title = title;
		s.msg = NULL;
	}
	a->rv->ascii = keymap_config(a->km)->ascii;
	rview_render(a->rv, &s, &a->grid);
}

int
app_review_page(const struct app *a)
{
	return rview_page_rows(&a->grid, NULL);
}

void
app_review_free(struct app *a)
{
	draft_free(a);
	if (a->rv != NULL) {
		rview_fini(a->rv);
		free(a->rv);
	}
	free(a->rv_review);
	free(a->rv_range);
	free(a->rv_dir);
}

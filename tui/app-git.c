/*
 * app-git.c - the notebook in git, through the kernel's git.* methods
 * (docs/protocol.md), so a TUI on a remote kernel sees the repository the
 * kernel has: the status line's git part and the gutter marks of cells
 * that differ from HEAD (git.status, asked after opening, saving and
 * committing: one request and a cell diff in the kernel, not per key),
 * committing (git.commit, after a save), the notebook's log and a cell at
 * an earlier commit (git.log, git.show_cell), both shown in the pager.
 * The answers are read here, as tui/cluview.c reads cluster.status.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "client/client.h"
#include "core/err.h"
#include "core/mem.h"
#include "core/notebook.h"
#include "core/rpc.h"
#include "tui/app_int.h"
#include "tui/view.h"

/* "main +1 ~2 -1", "main" (as in HEAD), "main new" (not committed). */
static void
git_summary(struct app *a, const msgpack_object *res)
{
	char		*branch = rpc_map_strdup(res, "branch");
	char		*head = rpc_map_strdup(res, "head");
	int64_t		 add = rpc_map_int(res, "added", 0);
	int64_t		 mod = rpc_map_int(res, "modified", 0) +
			    rpc_map_int(res, "moved", 0);
	int64_t		 del = rpc_map_int(res, "removed", 0);
	size_t		 n;

	if (branch != NULL)
		snprintf(a->git, sizeof a->git, "%s", branch);
	else
		snprintf(a->git, sizeof a->git, "%.7s", head != NULL ? head :
		    "HEAD");
	n = strlen(a->git);
	if (!rpc_map_bool(res, "tracked", false))
		snprintf(a->git + n, sizeof a->git - n, " new");
	else {
		if (add > 0)
			n += (size_t)snprintf(a->git + n, sizeof a->git - n,
			    " +%lld", (long long)add);
		if (mod > 0 && n < sizeof a->git)
			n += (size_t)snprintf(a->git + n, sizeof a->git - n,
			    " ~%lld", (long long)mod);
		if (del > 0 && n < sizeof a->git)
			snprintf(a->git + n, sizeof a->git - n, " -%lld",
			    (long long)del);
	}
	free(branch);
	free(head);
}

void
app_git_refresh(struct app *a)
{
	struct rpc_msg		 resp;
	struct gl_err		 err = { 0 };
	const msgpack_object	*cells;
	int			 rc;

	if (a->session == NULL || a->git_off || a->lost)
		return;
	if ((rc = app_call(a, "git.status", cl_pack_session, a->session, &resp,
	    &err)) != 0) {
		/* An older kernel: stop asking. Other failures leave the
		 * last marks. */
		if (app_no_method(rc, &err))
			a->git_off = true;
		return;
	}
	view_git_clear(a->view);
	a->git[0] = '\0';
	a->git_path[0] = '\0';
	if (rpc_map_bool(resp.result, "repo", false)) {
		size_t		 plen;
		const char	*p = rpc_map_str(resp.result, "path", &plen);

		if (p != NULL)
			snprintf(a->git_path, sizeof a->git_path, "%.*s",
			    (int)plen, p);
		git_summary(a, resp.result);
		cells = rpc_map_get(resp.result, "cells");
		for (uint32_t i = 0; cells != NULL && cells->type ==
		    MSGPACK_OBJECT_ARRAY && i < cells->via.array.size; i++) {
			const msgpack_object *c = &cells->via.array.ptr[i];
			char		*id = rpc_map_strdup(c, "id");
			const msgpack_object *st = rpc_map_get(c, "status");
			size_t		 idx;

			if (id != NULL && nb_doc_find(a->doc, id, &idx) != NULL)
				view_set_git(a->view, idx, rpc_obj_streq(st,
				    "added") ? VIEW_GIT_ADDED :
				    rpc_obj_streq(st, "moved") ?
				    VIEW_GIT_MOVED : VIEW_GIT_MODIFIED);
			free(id);
		}
	}
	rpc_msg_fini(&resp);
}

/* ------------------------------------------------------------------ */
/* git log and :show */

/* "2025-02-03 10:12", local time. */
static void
fmt_time(int64_t t, char out[20])
{
	time_t		 tt = (time_t)t;
	struct tm	 tm;

	if (localtime_r(&tt, &tm) == NULL ||
	    strftime(out, 20, "%Y-%m-%d %H:%M", &tm) == 0)
		snprintf(out, 20, "?");
}

/* text with its tabs as blanks (the pager splits lines at a tab). */
static void
add_untabbed(struct gl_buf *b, const char *text, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (text[i] == '\t')
			gl_buf_adds(b, "    ");
		else
			gl_buf_addc(b, text[i]);
}

/* ------------------------------------------------------------------ */
/* Commit, log, show */

struct commit_args {
	struct app	*a;
	const char	*msg;
};

static void
pack_commit(msgpack_packer *pk, void *ctx)
{
	struct commit_args *c = ctx;

	msgpack_pack_map(pk, 2);
	rpc_pack_kv_str(pk, "session", c->a->session);
	rpc_pack_kv_str(pk, "message", c->msg);
}

int
app_git_commit(struct app *a, const char *msg, struct gl_err *err)
{
	struct commit_args c = { a, msg };
	struct rpc_msg	 resp;
	char		*sh, *branch;
	int		 rc;

	if (a->session == NULL)
		return gl_err_set(err, GL_EINVAL, "commit: no notebook open");
	/* The kernel commits the file: save what is on screen first. */
	if (!app_flush_edits(a))
		return gl_err_set(err, GL_ECLOSED, "commit: the kernel did "
		    "not take the last edits");
	if (a->dirty && app_save(a, false, true) != 0)
		return gl_err_set(err, GL_ECONFLICT, "commit: not saved, so "
		    "not committed (%s)", a->msg);
	if ((rc = app_call(a, "git.commit", pack_commit, &c, &resp,
	    err)) != 0) {
		if (app_no_method(rc, err))
			return gl_err_set(err, rc, "commit: this kernel has no "
			    "git methods");
		return gl_err_prefix(err, "commit");
	}
	sh = rpc_map_strdup(resp.result, "short");
	branch = rpc_map_strdup(resp.result, "branch");
	app_msg(a, false, "committed %s on %s: %s", sh != NULL ? sh : "?",
	    branch != NULL ? branch : "a detached HEAD", msg);
	free(sh);
	free(branch);
	rpc_msg_fini(&resp);
	app_git_refresh(a);
	return 0;
}

int
app_git_log(struct app *a, struct gl_err *err)
{
	struct rpc_msg		 resp;
	struct gl_buf		 b;
	const msgpack_object	*cs;
	char			*path;
	uint32_t		 n;
	int			 rc;

	if (a->session == NULL)
		return gl_err_set(err, GL_EINVAL, "log: no notebook open");
	if ((rc = app_call(a, "git.log", cl_pack_session, a->session, &resp, err)) != 0)
		return gl_err_prefix(err, "log");
	cs = rpc_map_get(resp.result, "commits");
	n = cs != NULL && cs->type == MSGPACK_OBJECT_ARRAY ?
	    cs->via.array.size : 0;
	path = rpc_map_strdup(resp.result, "path");
	gl_buf_init(&b);
	gl_buf_addf(&b, "# %s: %u commit%s, newest first (:show REV shows a "
	    "cell at one)\n", path != NULL ? path : a->o->path, n, n == 1 ?
	    "" : "s");
	if (n == 0)
		gl_buf_adds(&b, "(not committed yet: :commit MESSAGE commits "
		    "it)\n");
	for (uint32_t i = 0; i < n; i++) {
		const msgpack_object *c = &cs->via.array.ptr[i];
		char	*sh = rpc_map_strdup(c, "short");
		char	*who = rpc_map_strdup(c, "author");
		char	*sum = rpc_map_strdup(c, "summary");
		char	 when[20];

		fmt_time(rpc_map_int(c, "time", 0), when);
		/* The name is enough here ("Ann <ann@x>" is long). */
		if (who != NULL && strstr(who, " <") != NULL)
			*strstr(who, " <") = '\0';
		gl_buf_addf(&b, "%s\t%s  %s  ", sh != NULL ? sh : "?", when,
		    who != NULL ? who : "");
		add_untabbed(&b, sum != NULL ? sum : "", sum != NULL ?
		    strlen(sum) : 0);
		gl_buf_addc(&b, '\n');
		free(sh);
		free(who);
		free(sum);
	}
	free(path);
	rpc_msg_fini(&resp);
	app_pager_take(a, "git log", gl_buf_take(&b, NULL), true);
	return 0;
}

struct show_args {
	struct app	*a;
	const char	*cell;
	const char	*rev;
};

static void
pack_show(msgpack_packer *pk, void *ctx)
{
	struct show_args *s = ctx;

	msgpack_pack_map(pk, 3);
	rpc_pack_kv_str(pk, "session", s->a->session);
	rpc_pack_kv_str(pk, "cell", s->cell);
	rpc_pack_kv_str(pk, "rev", s->rev);
}

/* The hunks of a git.show_cell answer as unified diff lines. */
static void
add_hunks(struct gl_buf *b, const msgpack_object *hunks)
{
	for (uint32_t i = 0; hunks != NULL && hunks->type ==
	    MSGPACK_OBJECT_ARRAY && i < hunks->via.array.size; i++) {
		const msgpack_object *h = &hunks->via.array.ptr[i];
		const msgpack_object *lines = rpc_map_get(h, "lines");

		gl_buf_addf(b, "@@ -%lld,%lld +%lld,%lld @@\n",
		    (long long)rpc_map_int(h, "old_start", 0),
		    (long long)rpc_map_int(h, "old_lines", 0),
		    (long long)rpc_map_int(h, "new_start", 0),
		    (long long)rpc_map_int(h, "new_lines", 0));
		for (uint32_t k = 0; lines != NULL && lines->type ==
		    MSGPACK_OBJECT_ARRAY && k < lines->via.array.size; k++) {
			const msgpack_object *l = &lines->via.array.ptr[k];
			size_t		 oplen, tlen;
			const char	*op = rpc_map_str(l, "op", &oplen);
			const char	*t = rpc_map_str(l, "text", &tlen);

			gl_buf_addc(b, op != NULL && oplen > 0 ? op[0] : ' ');
			if (t != NULL)
				add_untabbed(b, t, tlen);
			gl_buf_addc(b, '\n');
		}
	}
}

int
app_git_show(struct app *a, const char *rev, struct gl_err *err)
{
	struct show_args s = { a, NULL, rev != NULL ? rev : "HEAD" };
	const msgpack_object *hunks;
	struct rpc_msg	 resp;
	struct gl_buf	 b;
	struct nb_cell	*cell;
	const char	*src;
	char		*sh, *sum, *who, when[20], title[96];
	size_t		 len;
	int		 rc;

	if ((cell = app_cur_cell(a, NULL)) == NULL)
		return gl_err_set(err, GL_EINVAL, "show: no cell");
	s.cell = nb_cell_id(cell);
	if (!app_flush_edits(a))
		return gl_err_set(err, GL_ECLOSED, "show: the kernel did not "
		    "take the last edits");
	if ((rc = app_call(a, "git.show_cell", pack_show, &s, &resp,
	    err)) != 0)
		return gl_err_prefix(err, "show %s", s.rev);
	sh = rpc_map_strdup(resp.result, "short");
	sum = rpc_map_strdup(resp.result, "summary");
	who = rpc_map_strdup(resp.result, "author");
	fmt_time(rpc_map_int(resp.result, "time", 0), when);
	gl_buf_init(&b);
	gl_buf_addf(&b, "# cell %s at %s (%s): %s\n%s, %s\n\n", s.cell,
	    sh != NULL ? sh : "?", s.rev, sum != NULL ? sum : "",
	    who != NULL ? who : "", when);
	if (rpc_map_bool(resp.result, "found", false)) {
		src = rpc_map_str(resp.result, "source", &len);
		while (src != NULL && len > 0) {
			const char	*nl = memchr(src, '\n', len);
			size_t		 n = nl != NULL ? (size_t)(nl - src) : len;

			gl_buf_adds(&b, "  ");
			add_untabbed(&b, src, n);
			gl_buf_addc(&b, '\n');
			src += n + (nl != NULL);
			len -= n + (nl != NULL);
		}
		gl_buf_adds(&b, "\n# what changed since (- then, + now)\n");
	} else
		gl_buf_addf(&b, "(the notebook had no cell %s then)\n\n# the "
		    "cell now, as added since\n", s.cell);
	hunks = rpc_map_get(resp.result, "hunks");
	if (hunks != NULL && hunks->type == MSGPACK_OBJECT_ARRAY &&
	    hunks->via.array.size == 0)
		gl_buf_adds(&b, "(nothing: the cell is as it was)\n");
	add_hunks(&b, hunks);
	snprintf(title, sizeof title, "cell %s at %s", s.cell, s.rev);
	free(sh);
	free(sum);
	free(who);
	rpc_msg_fini(&resp);
	app_pager_take(a, title, gl_buf_take(&b, NULL), true);
	return 0;
}

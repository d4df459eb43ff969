/*
 * session-git.c - a session's notebook in git (kernel/session.h): the
 * git.* methods. git.status compares the session's document (what its
 * clients see, saved or not) with the notebook at HEAD, cell by cell
 * (review/ndiff.h), for the TUI's status line and gutter marks;
 * git.commit commits the saved file on HEAD's branch (review/repo.h:
 * author and committer from git config); git.log lists the commits that
 * changed the notebook; git.show_cell gives one cell as it was at a
 * revision with a line diff against the cell now.
 *
 * The kernel holds the repository, so a TUI on a remote kernel gets the
 * same answers as a local one: the repository is the one the notebook is
 * in on the kernel's machine. Each request opens it afresh (a few
 * hundred microseconds once libgit2 is set up, which the set of sessions
 * keeps until it ends; nothing to invalidate when someone commits from
 * a shell). libgit2 runs on the kernel's loop: these are local reads and
 * one small commit, never network operations.
 *
 * Also what the review.* methods share with these (session_int.h): the
 * repository a request names, paths relative to its work tree.
 */
#include "kernel/session_int.h"

#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/err.h"
#include "core/mem.h"
#include "core/notebook.h"
#include "core/rpc.h"
#include "kernel/req.h"
#include "review/ndiff.h"
#include "review/repo.h"

/* Lines of context in the hunks of git.show_cell. */
#define GIT_CONTEXT	3
/* Commits git.log lists unless asked for another number. */
#define GIT_LOG_MAX	200

void
sess_git_release(struct sess_set *ss)
{
	if (ss->git_held)
		repo_library_hold(false);
	ss->git_held = false;
}

int
sess_git_repo(struct sess_set *ss, struct req *r, struct repo **rp,
    struct sess **sp, char **dir, struct gl_err *err)
{
	struct sess	*s = NULL;
	char		*path, *slash, cwd[PATH_MAX];
	int		 rc;

	/* Each request opens its repository; libgit2 stays set up. */
	if (!ss->git_held)
		repo_library_hold(true);
	ss->git_held = true;
	*rp = NULL;
	*dir = NULL;
	if (sp != NULL)
		*sp = NULL;
	if (rpc_map_get(r->args, "session") != NULL) {
		if ((s = sess_get(ss, r, true, err)) == NULL)
			return err->code;
		if (s->path == NULL)
			return gl_err_set(err, GL_EINVAL, "session %s has no "
			    "file, so no repository", s->id);
		path = xstrdup(s->path);
		/* Its directory: a notebook not written yet is still in
		 * the repository of its directory. */
		if ((slash = strrchr(path, '/')) != NULL && slash != path)
			*slash = '\0';
	} else if ((path = rpc_map_strdup(r->args, "path")) != NULL) {
		if (*path != '/' && getcwd(cwd, sizeof cwd) != NULL) {
			char	*abs = xasprintf("%s/%s", cwd, path);

			free(path);
			path = abs;
		}
	} else if (getcwd(cwd, sizeof cwd) != NULL)
		path = xstrdup(cwd);
	else
		return gl_err_set(err, GL_EINVAL, "path is required");
	if ((rc = repo_open(path, rp, err)) != 0) {
		if (rc == GL_ENOTFOUND)
			gl_err_set(err, GL_ENOTFOUND, "%s is not in a git "
			    "repository", s != NULL ? s->path : path);
		free(path);
		return rc;
	}
	if (sp != NULL)
		*sp = s;
	*dir = path;
	return 0;
}

char *
sess_git_relpath(struct repo *rp, const char *path)
{
	const char	*wd = repo_workdir(rp);
	char		*real, *rel = NULL;
	size_t		 n;

	if (wd == NULL)
		return NULL;
	/* The session's path has its links resolved: so must the top. */
	if ((real = realpath(wd, NULL)) == NULL)
		real = xstrdup(wd);
	n = strlen(real);
	while (n > 1 && real[n - 1] == '/')
		real[--n] = '\0';
	if (strncmp(path, real, n) == 0 && path[n] == '/')
		rel = xstrdup(path + n + 1);
	else if (strncmp(path, wd, strlen(wd)) == 0)
		rel = xstrdup(path + strlen(wd));
	free(real);
	return rel;
}

/* The repository of session s named by r, and the notebook's path in
 * it. */
static int
git_session(struct sess_set *ss, struct req *r, struct repo **rp,
    struct sess **sp, char **rel, struct gl_err *err)
{
	char	*dir;
	int	 rc;

	*rel = NULL;
	if (rpc_map_get(r->args, "session") == NULL)
		return gl_err_set(err, GL_EINVAL, "session is required");
	if ((rc = sess_git_repo(ss, r, rp, sp, &dir, err)) != 0)
		return rc;
	free(dir);
	if ((*rel = sess_git_relpath(*rp, (*sp)->path)) == NULL) {
		rc = gl_err_set(err, GL_ENOTFOUND, "%s is not in the work "
		    "tree of a git repository", (*sp)->path);
		repo_free(*rp);
		*rp = NULL;
	}
	return rc;
}

/* The notebook at HEAD: 1 and *text (caller frees) when HEAD has it, 0
 * when HEAD is unborn or lacks the file; head gets HEAD's commit or "". */
static int
git_head_text(struct repo *rp, const char *rel, char head[REPO_OID_HEX],
    char **text, size_t *len, struct gl_err *err)
{
	struct repo_side side = { REPO_COMMIT, "" };
	int		 rc;

	*text = NULL;
	*len = 0;
	head[0] = '\0';
	if (repo_resolve(rp, "HEAD", side.oid, NULL) != 0)
		return 0;	/* unborn: nothing committed yet */
	memcpy(head, side.oid, REPO_OID_HEX);
	rc = repo_file_read(rp, &side, rel, text, len, err);
	if (rc == GL_ENOTFOUND)
		return 0;
	return rc == 0 ? 1 : rc;
}

static const char *
cell_status(const struct ndiff_cellchange *c)
{
	switch (c->status) {
	case NDIFF_ADDED:
		return "added";
	case NDIFF_MOVED:
		return "moved";
	case NDIFF_MODIFIED:
		return "modified";
	case NDIFF_REMOVED:
	case NDIFF_UNCHANGED:
		break;
	}
	return NULL;
}

/*
 * git.status {session} -> {repo: false} outside a repository, else {repo,
 * path, branch, head, tracked, differs, cells: [{id, status}], added,
 * modified, moved, removed}.
 */
int
sess_rpc_git_status(struct sess_set *ss, struct req *r, struct gl_err *err)
{
	struct repo	*rp = NULL;
	struct sess	*s = NULL;
	struct ndiff	*d = NULL;
	struct gl_buf	 doc;
	msgpack_packer	*pk;
	char		*rel = NULL, *branch = NULL, *old = NULL;
	char		 head[REPO_OID_HEX];
	size_t		 oldlen, nchanged = 0;
	int		 rc, tracked;

	gl_buf_init(&doc);
	if ((rc = git_session(ss, r, &rp, &s, &rel, err)) != 0) {
		if (rc != GL_ENOTFOUND)
			return rc;
		pk = req_reply_begin(r);
		msgpack_pack_map(pk, 1);
		rpc_pack_kv_bool(pk, "repo", false);
		req_reply_end(r);
		return 0;
	}
	if ((tracked = git_head_text(rp, rel, head, &old, &oldlen,
	    err)) < 0) {
		rc = tracked;
		goto out;
	}
	if (repo_head_branch(rp, &branch, NULL) != 0)
		branch = NULL;	/* detached */
	nb_print(s->doc, &doc);
	if (tracked && (rc = ndiff_new(rel, old, oldlen, rel, doc.data != NULL ?
	    doc.data : "", doc.len, &d, err)) != 0)
		goto out;
	for (size_t i = 0; d != NULL && i < d->ncells; i++)
		nchanged += cell_status(&d->cells[i]) != NULL;
	pk = req_reply_begin(r);
	msgpack_pack_map(pk, 11);
	rpc_pack_kv_bool(pk, "repo", true);
	rpc_pack_kv_str(pk, "path", rel);
	rpc_pack_kv_str(pk, "branch", branch);
	rpc_pack_kv_str(pk, "head", head[0] != '\0' ? head : NULL);
	rpc_pack_kv_bool(pk, "tracked", tracked);
	rpc_pack_kv_bool(pk, "differs", !tracked || !ndiff_empty(d));
	rpc_pack_key(pk, "cells");
	msgpack_pack_array(pk, nchanged);
	for (size_t i = 0; d != NULL && i < d->ncells; i++) {
		const char	*st = cell_status(&d->cells[i]);

		if (st == NULL)
			continue;
		msgpack_pack_map(pk, 2);
		rpc_pack_kv_str(pk, "id", d->cells[i].new->id);
		rpc_pack_kv_str(pk, "status", st);
	}
	rpc_pack_kv_int(pk, "added", d != NULL ? (int64_t)d->stats.added : 0);
	rpc_pack_kv_int(pk, "modified", d != NULL ?
	    (int64_t)d->stats.modified : 0);
	rpc_pack_kv_int(pk, "moved", d != NULL ? (int64_t)d->stats.moved : 0);
	rpc_pack_kv_int(pk, "removed", d != NULL ?
	    (int64_t)d->stats.removed : 0);
	req_reply_end(r);
out:
	ndiff_free(d);
	gl_buf_fini(&doc);
	free(old);
	free(branch);
	free(rel);
	repo_free(rp);
	return rc;
}

/*
 * git.commit {session, message} -> {commit, short, branch, path,
 * summary}: commits the notebook as saved. Refused while the session
 * has unsaved changes (the client saves first), when the file is as in
 * HEAD, and without an identity in git config.
 */
int
sess_rpc_git_commit(struct sess_set *ss, struct req *r, struct gl_err *err)
{
	struct repo	*rp = NULL;
	struct sess	*s = NULL;
	msgpack_packer	*pk;
	char		*rel = NULL, *msg = NULL, *branch = NULL;
	char		*old = NULL, *now = NULL, *who = NULL;
	char		 head[REPO_OID_HEX], id[REPO_OID_HEX];
	char		 sh[REPO_OID_HEX];
	size_t		 oldlen, nowlen, n;
	int		 rc, tracked;

	if ((msg = rpc_map_strdup(r->args, "message")) == NULL ||
	    strspn(msg, " \t\n") == strlen(msg)) {
		free(msg);
		return gl_err_set(err, GL_EINVAL, "git.commit: a commit needs "
		    "a message");
	}
	if ((rc = git_session(ss, r, &rp, &s, &rel, err)) != 0)
		goto out;
	if (s->version != s->saved_version) {
		rc = gl_err_set(err, GL_ECONFLICT, "%s has unsaved changes: "
		    "save it (doc.save) before committing", s->path);
		goto out;
	}
	if ((rc = repo_identity(rp, &who, err)) != 0)
		goto out;
	if ((tracked = git_head_text(rp, rel, head, &old, &oldlen,
	    err)) < 0) {
		rc = tracked;
		goto out;
	}
	if ((rc = gl_file_read(s->path, &now, &nowlen, err)) != 0)
		goto out;
	if (tracked && oldlen == nowlen && memcmp(old, now, nowlen) == 0) {
		repo_short(rp, head, sh);
		rc = gl_err_set(err, GL_EINVAL, "nothing to commit: %s is as "
		    "in HEAD (%s)", rel, sh);
		goto out;
	}
	if ((rc = repo_commit_file(rp, rel, msg, id, err)) != 0)
		goto out;
	if (repo_head_branch(rp, &branch, NULL) != 0)
		branch = NULL;
	repo_short(rp, id, sh);
	n = strcspn(msg, "\n");
	msg[n] = '\0';
	pk = req_reply_begin(r);
	msgpack_pack_map(pk, 6);
	rpc_pack_kv_str(pk, "commit", id);
	rpc_pack_kv_str(pk, "short", sh);
	rpc_pack_kv_str(pk, "branch", branch);
	rpc_pack_kv_str(pk, "path", rel);
	rpc_pack_kv_str(pk, "summary", msg);
	rpc_pack_kv_str(pk, "author", who);
	req_reply_end(r);
out:
	free(who);
	free(old);
	free(now);
	free(branch);
	free(msg);
	free(rel);
	repo_free(rp);
	return rc;
}

/*
 * git.log {session, max?} -> {path, commits: [{commit, short, author,
 * time, summary}]}: the commits reachable from HEAD that changed the
 * notebook, newest first.
 */
int
sess_rpc_git_log(struct sess_set *ss, struct req *r, struct gl_err *err)
{
	struct repo		*rp = NULL;
	struct sess		*s = NULL;
	struct repo_commit	*log = NULL;
	msgpack_packer		*pk;
	char			*rel = NULL, sh[REPO_OID_HEX];
	size_t			 n = 0;
	int64_t			 max = rpc_map_int(r->args, "max",
				    GIT_LOG_MAX);
	int			 rc;

	if (max <= 0)
		return gl_err_set(err, GL_EINVAL, "git.log: max must be "
		    "positive");
	if ((rc = git_session(ss, r, &rp, &s, &rel, err)) != 0)
		return rc;
	if (repo_resolve(rp, "HEAD", sh, NULL) == 0 && (rc = repo_log(rp,
	    NULL, rel, (size_t)max, &log, &n, err)) != 0)
		goto out;
	pk = req_reply_begin(r);
	msgpack_pack_map(pk, 2);
	rpc_pack_kv_str(pk, "path", rel);
	rpc_pack_key(pk, "commits");
	msgpack_pack_array(pk, n);
	for (size_t i = 0; i < n; i++) {
		repo_short(rp, log[i].oid, sh);
		msgpack_pack_map(pk, 5);
		rpc_pack_kv_str(pk, "commit", log[i].oid);
		rpc_pack_kv_str(pk, "short", sh);
		rpc_pack_kv_str(pk, "author", log[i].author);
		rpc_pack_kv_int(pk, "time", log[i].time);
		rpc_pack_kv_str(pk, "summary", log[i].summary);
	}
	req_reply_end(r);
out:
	repo_log_free(log, n);
	free(rel);
	repo_free(rp);
	return rc;
}

/*
 * git.show_cell {session, cell, rev} -> {rev, commit, short, summary,
 * author, time, found, kind?, title?, source?, hunks}: the cell as it
 * was at rev (found false when the notebook had no such cell then), and
 * the line diff from it to the cell now (HUNKs of docs/git.md).
 */
int
sess_rpc_git_show_cell(struct sess_set *ss, struct req *r,
    struct gl_err *err)
{
	struct repo		*rp = NULL;
	struct sess		*s = NULL;
	struct repo_side	 side = { REPO_COMMIT, "" };
	struct repo_commit	*log = NULL;
	struct ndiff_side	*then = NULL;
	struct ndiff_text	*t = NULL;
	const struct ndiff_cell	*old = NULL;
	const struct nb_cell	*cur;
	msgpack_packer		*pk;
	json_t			*hunks = NULL;
	char			*rel = NULL, *cell = NULL, *rev = NULL;
	char			*text = NULL, sh[REPO_OID_HEX];
	const char		*src;
	size_t			 len, srclen, nlog = 0;
	int			 rc;

	cell = rpc_map_strdup(r->args, "cell");
	rev = rpc_map_strdup(r->args, "rev");
	if (cell == NULL || rev == NULL) {
		rc = gl_err_set(err, GL_EINVAL, "git.show_cell: wants "
		    "{session, cell, rev}");
		goto out;
	}
	if ((rc = git_session(ss, r, &rp, &s, &rel, err)) != 0)
		goto out;
	if ((cur = nb_doc_find(s->doc, cell, NULL)) == NULL) {
		rc = gl_err_set(err, GL_ENOTFOUND, "no cell %s in %s", cell,
		    s->path);
		goto out;
	}
	if ((rc = repo_resolve(rp, rev, side.oid, err)) != 0)
		goto out;
	rc = repo_file_read(rp, &side, rel, &text, &len, err);
	if (rc == 0) {
		if ((rc = ndiff_side_new(rel, text, len, &then, err)) != 0)
			goto out;
		old = ndiff_side_find(then, cell, NULL);
	} else if (rc != GL_ENOTFOUND)
		goto out;
	rc = 0;
	src = nb_cell_source(cur, &srclen);
	t = ndiff_text_new(old != NULL ? old->src : "", old != NULL ?
	    old->srclen : 0, src, srclen);
	hunks = ndiff_text_json(t, GIT_CONTEXT);
	if (repo_log(rp, side.oid, NULL, 1, &log, &nlog, NULL) != 0)
		nlog = 0;
	repo_short(rp, side.oid, sh);
	pk = req_reply_begin(r);
	msgpack_pack_map(pk, old != NULL ? 11 : 8);
	rpc_pack_kv_str(pk, "rev", rev);
	rpc_pack_kv_str(pk, "commit", side.oid);
	rpc_pack_kv_str(pk, "short", sh);
	rpc_pack_kv_str(pk, "summary", nlog > 0 ? log[0].summary : "");
	rpc_pack_kv_str(pk, "author", nlog > 0 ? log[0].author : "");
	rpc_pack_kv_int(pk, "time", nlog > 0 ? log[0].time : 0);
	rpc_pack_kv_bool(pk, "found", old != NULL);
	if (old != NULL) {
		rpc_pack_kv_str(pk, "kind", old->kind);
		rpc_pack_kv_str(pk, "title", old->title);
		rpc_pack_key(pk, "source");
		rpc_pack_strn(pk, old->src, old->srclen);
	}
	rpc_pack_key(pk, "hunks");
	rpc_pack_json(pk, hunks);
	req_reply_end(r);
out:
	json_decref(hunks);
	ndiff_text_free(t);
	ndiff_side_free(then);
	repo_log_free(log, nlog);
	free(text);
	free(rel);
	free(cell);
	free(rev);
	repo_free(rp);
	return rc;
}

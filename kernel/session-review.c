/*
 * session-review.c - reviews through the kernel (kernel/session.h): the
 * review.* methods the TUI's review mode calls, so that a TUI on a remote
 * kernel reviews the repository the kernel has. review/review.h does the
 * work; this file picks the repository and the review a request names,
 * packs what review/ gives as JSON (docs/review.md, docs/git.md) into
 * msgpack, and applies a suggestion to a notebook a session has open as
 * an edit of that session (sess_doc_apply), so every client sees it.
 *
 * Which review. A request names its repository by session or path
 * (sess_git_repo), then the review by id ("review": a prefix, as the CLI
 * takes it), by range ("range": "BASE..HEAD": the newest review whose
 * base and head are those commits now), or by nothing (the current
 * branch's newest review). When there is none, review.open shows the
 * range's diff (by default the branch against its upstream or main, as
 * `galley review` does), and the first comment or verdict starts the
 * review: opening never writes to the repository.
 */
#include "kernel/session_int.h"

#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/mem.h"
#include "core/notebook.h"
#include "core/ot.h"
#include "core/rpc.h"
#include "kernel/req.h"
#include "lua/plugin.h"
#include "review/ndiff.h"
#include "review/repo.h"
#include "review/review.h"

/* Lines of context around a change in review.open's hunks. */
#define REVIEW_CONTEXT	3

/* What every review.* request works with. */
struct rvq {
	struct repo		*rp;		/* owned */
	struct rev_store	*st;		/* owned */
	char			*dir;		/* owned: searched from */
	/* The review the request names, or NULL with the range to show
	 * (or to start a review of). */
	struct rev_review	*rv;		/* borrowed from st */
	char			*base, *head;	/* owned: names */
	char			 base_oid[REPO_OID_HEX];
	char			 head_oid[REPO_OID_HEX];
};

static void
rvq_fini(struct rvq *q)
{
	rev_store_free(q->st);
	repo_free(q->rp);
	free(q->dir);
	free(q->base);
	free(q->head);
	memset(q, 0, sizeof *q);
}

/* (Re)reads the reviews. */
static int
rvq_load(struct rvq *q, struct gl_err *err)
{
	rev_store_free(q->st);
	q->st = NULL;
	q->rv = NULL;
	return rev_store_load(q->rp, &q->st, err);
}

/* The repository and its reviews. */
static int
rvq_open(struct sess_set *ss, struct req *r, struct rvq *q,
    struct gl_err *err)
{
	int	 rc;

	memset(q, 0, sizeof *q);
	if ((rc = sess_git_repo(ss, r, &q->rp, NULL, &q->dir, err)) != 0 ||
	    (rc = rvq_load(q, err)) != 0)
		rvq_fini(q);
	return rc;
}

/* "BASE..HEAD" (or "BASE..": HEAD) into names. */
static int
split_range(const char *range, char **base, char **head, struct gl_err *err)
{
	const char	*dots = strstr(range, "..");

	if (dots == NULL || dots == range)
		return gl_err_set(err, GL_EINVAL, "a range is BASE..HEAD, not "
		    "%s", range);
	*base = xstrndup(range, (size_t)(dots - range));
	*head = xstrdup(dots[2] != '\0' ? dots + 2 : "HEAD");
	return 0;
}

/*
 * The review r names (see the top), in q->rv; or, when there is none yet,
 * NULL with q->base and q->head the range it would review. A review
 * named by id that is not there is GL_ENOTFOUND.
 */
static int
rvq_pick(struct rvq *q, struct req *r, struct gl_err *err)
{
	char		*id = rpc_map_strdup(r->args, "review");
	char		*range = rpc_map_strdup(r->args, "range");
	char		 b[REPO_OID_HEX], h[REPO_OID_HEX];
	int		 rc = 0;

	free(q->base);
	free(q->head);
	q->base = q->head = NULL;
	q->rv = NULL;
	if (id != NULL && *id != '\0') {
		if ((q->rv = rev_find(q->st, q->rp, id, err)) == NULL)
			rc = err->code;
		goto out;
	}
	if (range != NULL && *range != '\0') {
		if ((rc = split_range(range, &q->base, &q->head, err)) != 0 ||
		    (rc = repo_resolve(q->rp, q->base, q->base_oid,
		    err)) != 0 ||
		    (rc = repo_resolve(q->rp, q->head, q->head_oid, err)) != 0)
			goto out;
		for (size_t i = q->st->n; i-- > 0 && q->rv == NULL;) {
			struct rev_review *rv = &q->st->reviews[i];

			if (rev_base(q->rp, rv, b, NULL) == 0 &&
			    rev_head(q->rp, rv, h, NULL) == 0 &&
			    strcmp(b, q->base_oid) == 0 &&
			    strcmp(h, q->head_oid) == 0)
				q->rv = rv;
		}
		goto out;
	}
	if ((q->rv = rev_find(q->st, q->rp, NULL, NULL)) != NULL)
		goto out;
	if ((rc = repo_default_base(q->rp, &q->base, err)) != 0 ||
	    (rc = repo_resolve(q->rp, q->base, q->base_oid, err)) != 0)
		goto out;
	q->head = xstrdup("HEAD");
	rc = repo_resolve(q->rp, "HEAD", q->head_oid, err);
out:
	if (rc == 0 && q->rv != NULL && ((rc = rev_base(q->rp, q->rv,
	    q->base_oid, err)) != 0 || (rc = rev_head(q->rp, q->rv,
	    q->head_oid, err)) != 0))
		q->rv = NULL;
	free(id);
	free(range);
	return rc;
}

/* The review r names, started (of the range rvq_pick() found) if there
 * is none yet. */
static int
rvq_pick_or_start(struct rvq *q, struct req *r, struct gl_err *err)
{
	struct rev_start_req	 sq = { 0 };
	char			 id[REV_ID_LEN + 1];
	int			 rc;

	if ((rc = rvq_pick(q, r, err)) != 0 || q->rv != NULL)
		return rc;
	sq.base = q->base;
	sq.head = q->head;
	if ((rc = rev_start(q->rp, &sq, id, err)) != 0 ||
	    (rc = rvq_load(q, err)) != 0)
		return rc;
	if ((q->rv = rev_find(q->st, q->rp, id, err)) == NULL)
		return err->code;
	return 0;
}

/* The thread args.thread names (an id or a prefix); *rv its review. */
static struct rev_thread *
rvq_thread(struct rvq *q, struct req *r, struct rev_review **rv,
    struct gl_err *err)
{
	char			*id = rpc_map_strdup(r->args, "thread");
	struct rev_thread	*t;

	if (id == NULL || *id == '\0') {
		free(id);
		gl_err_set(err, GL_EINVAL, "thread is required");
		return NULL;
	}
	t = rev_find_thread(q->st, id, rv, err);
	free(id);
	return t;
}

static json_t *
warnings_json(const struct rev_store *st)
{
	json_t	*w = json_array();

	for (size_t i = 0; st != NULL && i < st->nwarnings; i++)
		json_array_append_new(w, json_string(st->warnings[i]));
	return w;
}

/* Replies with the JSON object o (taken). */
static void
reply_json(struct req *r, json_t *o)
{
	rpc_pack_json(req_reply_begin(r), o);
	req_reply_end(r);
	json_decref(o);
}

/* Plugins' on_review_comment hooks before a comment or reply is
 * recorded: 0, or GL_EPERM with the refusal in err; the warnings go into
 * *warn (a JSON array, or NULL), which the caller puts in its answer. */
static int
review_hook(struct sess_set *ss, struct req *r, struct rvq *q,
    const struct rev_review *rv, const char *path, const char *cell,
    unsigned line0, unsigned line1, const char *body, json_t **warn,
    struct gl_err *err)
{
	struct plg_result	 res = { 0 };
	struct sess_comment_ev	 ev = { rv->id, path, cell, body, NULL,
	    line0, line1 };
	char			*author = NULL;
	int			 rc;

	*warn = NULL;
	(void)repo_identity(q->rp, &author, NULL);
	ev.author = author;
	rc = sess_hook_review_comment(ss, r, q->dir, &ev, &res, err);
	if (rc == 0 && res.nwarnings > 0) {
		*warn = json_array();
		for (size_t i = 0; i < res.nwarnings; i++)
			json_array_append_new(*warn,
			    json_string(res.warnings[i]));
	}
	plg_result_fini(&res);
	free(author);
	return rc;
}

/* The thread with id tid after a reload, located, as JSON; null if it
 * is gone. */
static json_t *
thread_after(struct rvq *q, const char *tid, struct gl_err *err)
{
	struct rev_review	*rv;
	struct rev_thread	*t;

	if (rvq_load(q, err) != 0 ||
	    (t = rev_find_thread(q->st, tid, &rv, NULL)) == NULL)
		return json_null();
	rev_locate(q->rp, rv, NULL);
	return rev_thread_json(t);
}

/* ------------------------------------------------------------------ */
/* review.open                                                          */
/* ------------------------------------------------------------------ */

struct keep_ctx {
	const struct rev_review	*rv;
	const char		*path;
};

/* Unchanged cells with a thread on them are sent whole. */
static bool
keep_threaded(void *arg, const struct ndiff *d,
    const struct ndiff_cellchange *c)
{
	const struct keep_ctx	*k = arg;

	(void)d;
	for (size_t i = 0; k->rv != NULL && i < k->rv->nthreads; i++) {
		const struct rev_thread *t = &k->rv->threads[i];

		if (t->cell != NULL && t->where != REV_GONE &&
		    strcmp(t->path, k->path) == 0 &&
		    strcmp(t->cell, c->new->id) == 0)
			return true;
	}
	return false;
}

/* The diff of base..head, file by file, as review.open sends it. */
static int
files_json(struct rvq *q, json_t *files, struct gl_err *err)
{
	struct repo_side	 a = { REPO_COMMIT, "" }, b = { REPO_COMMIT, "" };
	struct repo_change	*ch = NULL;
	size_t			 n = 0;
	int			 rc;

	memcpy(a.oid, q->base_oid, REPO_OID_HEX);
	memcpy(b.oid, q->head_oid, REPO_OID_HEX);
	if ((rc = repo_changes(q->rp, &a, &b, NULL, 0, &ch, &n, err)) != 0)
		return rc;
	for (size_t i = 0; i < n && rc == 0; i++) {
		struct keep_ctx	 k = { q->rv, ch[i].new_path != NULL ?
		    ch[i].new_path : ch[i].old_path };
		struct ndiff	*d = NULL;
		char		*ta = NULL, *tb = NULL;
		size_t		 la = 0, lb = 0;

		if ((ch[i].old_path != NULL && (rc = repo_file_read(q->rp, &a,
		    ch[i].old_path, &ta, &la, err)) != 0) ||
		    (ch[i].new_path != NULL && (rc = repo_file_read(q->rp, &b,
		    ch[i].new_path, &tb, &lb, err)) != 0) ||
		    (rc = ndiff_new(ch[i].old_path, ta, la, ch[i].new_path, tb,
		    lb, &d, err)) != 0) {
			free(ta);
			free(tb);
			break;
		}
		json_array_append_new(files, ndiff_json_fold(d,
		    REVIEW_CONTEXT, keep_threaded, &k));
		ndiff_free(d);
		free(ta);
		free(tb);
	}
	repo_changes_free(ch, n);
	return rc;
}

/* The name a head is shown with: its branch for HEAD. */
static char *
head_name(struct repo *rp, const char *head)
{
	char	*branch;

	if (strcmp(head, "HEAD") == 0 && repo_head_branch(rp, &branch,
	    NULL) == 0)
		return branch;
	return xstrdup(head);
}

/*
 * review.open {session | path, review? | range?} -> {review: REVIEW with
 * threads, or nil, base, head, base_commit, head_commit, warnings,
 * files: [FILE]}: what the TUI's review mode shows.
 */
int
sess_rpc_review_open(struct sess_set *ss, struct req *r, struct gl_err *err)
{
	struct rvq	 q;
	json_t		*o = NULL, *files = json_array();
	char		*hn = NULL;
	int		 rc;

	if ((rc = rvq_open(ss, r, &q, err)) != 0) {
		json_decref(files);
		return rc;
	}
	if ((rc = rvq_pick(&q, r, err)) != 0)
		goto out;
	if (q.rv != NULL && rev_locate(q.rp, q.rv, err) != 0) {
		rc = err->code;
		goto out;
	}
	if ((rc = files_json(&q, files, err)) != 0)
		goto out;
	o = json_object();
	json_object_set_new(o, "review", q.rv != NULL ?
	    rev_review_json(q.rv, true) : json_null());
	hn = head_name(q.rp, q.rv != NULL ? q.rv->head : q.head);
	json_object_set_new(o, "base", json_string(q.rv != NULL ?
	    q.rv->base : q.base));
	json_object_set_new(o, "head", json_string(hn));
	json_object_set_new(o, "base_commit", json_string(q.base_oid));
	json_object_set_new(o, "head_commit", json_string(q.head_oid));
	json_object_set_new(o, "warnings", warnings_json(q.st));
	json_object_set_new(o, "files", files);
	files = NULL;
	reply_json(r, o);
out:
	json_decref(files);
	free(hn);
	rvq_fini(&q);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Writing                                                              */
/* ------------------------------------------------------------------ */

/*
 * review.comment {session | path, review? | range?, file, cell?, lines?:
 * [first, last], body, suggestion?} -> {review, thread: THREAD}. Starts
 * the review when there is none.
 */
int
sess_rpc_review_comment(struct sess_set *ss, struct req *r,
    struct gl_err *err)
{
	struct rev_comment_req	 c = { 0 };
	const msgpack_object	*lines;
	struct rvq		 q;
	json_t			*o;
	char			 tid[REV_ID_LEN + 1], rid[REV_ID_LEN + 1];
	char			*file = rpc_map_strdup(r->args, "file");
	char			*cell = rpc_map_strdup(r->args, "cell");
	char			*body = rpc_map_strdup(r->args, "body");
	char			*sugg = rpc_map_strdup(r->args, "suggestion");
	json_t			*warn = NULL;
	int			 rc;

	if (file == NULL || body == NULL) {
		rc = gl_err_set(err, GL_EINVAL, "review.comment: wants {file, "
		    "body} and a cell, lines or both");
		goto out2;
	}
	if ((lines = rpc_map_get(r->args, "lines")) != NULL &&
	    lines->type != MSGPACK_OBJECT_NIL) {
		if (lines->type != MSGPACK_OBJECT_ARRAY ||
		    lines->via.array.size != 2 ||
		    lines->via.array.ptr[0].type !=
		    MSGPACK_OBJECT_POSITIVE_INTEGER ||
		    lines->via.array.ptr[1].type !=
		    MSGPACK_OBJECT_POSITIVE_INTEGER ||
		    lines->via.array.ptr[0].via.u64 > UINT_MAX ||
		    lines->via.array.ptr[1].via.u64 > UINT_MAX) {
			rc = gl_err_set(err, GL_EINVAL, "review.comment: lines "
			    "is [first, last], from 1");
			goto out2;
		}
		c.line0 = (unsigned)lines->via.array.ptr[0].via.u64;
		c.line1 = (unsigned)lines->via.array.ptr[1].via.u64;
	}
	c.path = file;
	c.cell = cell;
	c.body = body;
	c.suggestion = sugg;
	if ((rc = rvq_open(ss, r, &q, err)) != 0)
		goto out2;
	if ((rc = rvq_pick_or_start(&q, r, err)) != 0 ||
	    (rc = review_hook(ss, r, &q, q.rv, file, cell, c.line0, c.line1,
	    body, &warn, err)) != 0 ||
	    (rc = rev_comment(q.rp, q.rv, &c, tid, err)) != 0)
		goto out;
	memcpy(rid, q.rv->id, sizeof rid);
	o = json_object();
	json_object_set_new(o, "review", json_string(rid));
	json_object_set_new(o, "thread", thread_after(&q, tid, err));
	if (warn != NULL)
		json_object_set(o, "warnings", warn);
	reply_json(r, o);
out:
	rvq_fini(&q);
out2:
	json_decref(warn);
	free(file);
	free(cell);
	free(body);
	free(sugg);
	return rc;
}

/* review.reply {session | path, thread, body} -> {reply, thread}. */
int
sess_rpc_review_reply(struct sess_set *ss, struct req *r, struct gl_err *err)
{
	struct rvq		 q;
	struct rev_review	*rv;
	struct rev_thread	*t;
	char			 id[REV_ID_LEN + 1], tid[REV_ID_LEN + 1];
	char			*body = rpc_map_strdup(r->args, "body");
	json_t			*o, *warn = NULL;
	int			 rc;

	if ((rc = rvq_open(ss, r, &q, err)) != 0) {
		free(body);
		return rc;
	}
	if ((t = rvq_thread(&q, r, &rv, err)) == NULL) {
		rc = err->code;
		goto out;
	}
	snprintf(tid, sizeof tid, "%s", t->id);
	if ((rc = review_hook(ss, r, &q, rv, t->path, t->cell, t->line0,
	    t->line1, body, &warn, err)) != 0 ||
	    (rc = rev_reply(q.rp, rv, t, body, id, err)) != 0)
		goto out;
	o = json_object();
	json_object_set_new(o, "reply", json_string(id));
	json_object_set_new(o, "thread", thread_after(&q, tid, err));
	if (warn != NULL)
		json_object_set(o, "warnings", warn);
	reply_json(r, o);
out:
	json_decref(warn);
	free(body);
	rvq_fini(&q);
	return rc;
}

/* review.resolve {session | path, thread, resolved?} -> {thread}. */
int
sess_rpc_review_resolve(struct sess_set *ss, struct req *r,
    struct gl_err *err)
{
	struct rvq		 q;
	struct rev_review	*rv;
	struct rev_thread	*t;
	char			 tid[REV_ID_LEN + 1];
	json_t			*o;
	int			 rc;

	if ((rc = rvq_open(ss, r, &q, err)) != 0)
		return rc;
	if ((t = rvq_thread(&q, r, &rv, err)) == NULL) {
		rc = err->code;
		goto out;
	}
	snprintf(tid, sizeof tid, "%s", t->id);
	if ((rc = rev_resolve(q.rp, rv, t, rpc_map_bool(r->args, "resolved",
	    true), err)) != 0)
		goto out;
	o = json_object();
	json_object_set_new(o, "thread", thread_after(&q, tid, err));
	reply_json(r, o);
out:
	rvq_fini(&q);
	return rc;
}

/*
 * review.verdict {session | path, review? | range?, verdict: "approve" |
 * "request-changes", body?} -> {review: REVIEW without threads}. Starts
 * the review when there is none.
 */
int
sess_rpc_review_verdict(struct sess_set *ss, struct req *r,
    struct gl_err *err)
{
	struct rvq		 q;
	struct rev_review	*rv;
	enum rev_verdict	 v;
	char			 id[REV_ID_LEN + 1];
	char			*body = rpc_map_strdup(r->args, "body");
	json_t			*o;
	int			 rc;

	if (rpc_obj_streq(rpc_map_get(r->args, "verdict"), "approve"))
		v = REV_APPROVE;
	else if (rpc_obj_streq(rpc_map_get(r->args, "verdict"),
	    "request-changes"))
		v = REV_REQUEST_CHANGES;
	else {
		free(body);
		return gl_err_set(err, GL_EINVAL, "review.verdict: verdict is "
		    "\"approve\" or \"request-changes\"");
	}
	if ((rc = rvq_open(ss, r, &q, err)) != 0) {
		free(body);
		return rc;
	}
	if ((rc = rvq_pick_or_start(&q, r, err)) != 0 ||
	    (rc = rev_give_verdict(q.rp, q.rv, v, body, err)) != 0)
		goto out;
	memcpy(id, q.rv->id, sizeof id);
	if ((rc = rvq_load(&q, err)) != 0)
		goto out;
	rv = rev_find(q.st, q.rp, id, NULL);
	o = json_object();
	json_object_set_new(o, "review", rv != NULL ? rev_review_json(rv,
	    false) : json_null());
	reply_json(r, o);
out:
	free(body);
	rvq_fini(&q);
	return rc;
}

/* The file session of the notebook at path (absolute), or NULL. */
static struct sess *
open_session(struct sess_set *ss, const char *path)
{
	char	*real = realpath(path, NULL);

	for (size_t i = 0; real != NULL && i < ss->nsessions; i++) {
		struct sess	*s = ss->sessions[i];

		if (!s->ephemeral && !s->closing && s->path != NULL &&
		    strcmp(s->path, real) == 0) {
			free(real);
			return s;
		}
	}
	free(real);
	return NULL;
}

/* Applies t's suggestion to the document of session s: one text op on
 * the cell, made on the session's current version. */
static int
apply_in_session(struct repo *rp, struct sess *s, const struct rev_thread *t,
    struct gl_err *err)
{
	struct ot_op	 op;
	const char	*src;
	size_t		 len, start, end, k = 0;
	char		*repl;
	const struct nb_cell *cell;
	int		 rc;

	if (t->cell == NULL)
		return gl_err_set(err, GL_EINVAL, "comment %s is on lines of "
		    "%s, which is open as a notebook: name its cell", t->id,
		    t->path);
	if ((cell = nb_doc_find(s->doc, t->cell, NULL)) == NULL)
		return gl_err_set(err, GL_ENOTFOUND, "cell %s is no longer in "
		    "%s", t->cell, t->path);
	src = nb_cell_source(cell, &len);
	if ((rc = rev_apply_range(rp, t, src, len, &start, &end, &repl,
	    err)) != 0)
		return rc;
	memset(&op, 0, sizeof op);
	op.kind = OT_TEXT;
	snprintf(op.id, sizeof op.id, "%s", t->cell);
	op.comps = xcalloc(4, sizeof *op.comps);
	if (start > 0)
		op.comps[k++] = (struct ot_comp){ OT_RETAIN, start, NULL };
	if (end > start)
		op.comps[k++] = (struct ot_comp){ OT_DELETE, end - start,
		    NULL };
	if (*repl != '\0')
		op.comps[k++] = (struct ot_comp){ OT_INSERT, strlen(repl),
		    repl };
	else
		free(repl);
	if (len > end)
		op.comps[k++] = (struct ot_comp){ OT_RETAIN, len - end, NULL };
	op.ncomps = k;
	return sess_doc_apply(s, &op, 1, err);
}

/*
 * review.apply {session | path, thread} -> {thread, path, cell, session,
 * version}: applies the thread's suggestion. When a session has the
 * notebook open, as an edit of that session (session: its id, version:
 * the document's version after it); otherwise to the file in the work
 * tree (session nil).
 */
int
sess_rpc_review_apply(struct sess_set *ss, struct req *r, struct gl_err *err)
{
	struct rvq		 q;
	struct rev_review	*rv;
	struct rev_thread	*t;
	struct sess		*s = NULL;
	msgpack_packer		*pk;
	char			*full = NULL;
	int			 rc;

	if ((rc = rvq_open(ss, r, &q, err)) != 0)
		return rc;
	if ((t = rvq_thread(&q, r, &rv, err)) == NULL) {
		rc = err->code;
		goto out;
	}
	if (t->suggestion == NULL) {
		rc = gl_err_set(err, GL_EINVAL, "comment %s suggests no "
		    "change", t->id);
		goto out;
	}
	if (repo_workdir(q.rp) != NULL) {
		full = xasprintf("%s%s", repo_workdir(q.rp), t->path);
		s = open_session(ss, full);
	}
	if (s != NULL)
		rc = apply_in_session(q.rp, s, t, err);
	else
		rc = rev_apply(q.rp, t, NULL, err);
	if (rc != 0)
		goto out;
	pk = req_reply_begin(r);
	msgpack_pack_map(pk, 5);
	rpc_pack_kv_str(pk, "thread", t->id);
	rpc_pack_kv_str(pk, "path", t->path);
	rpc_pack_kv_str(pk, "cell", t->cell);
	rpc_pack_kv_str(pk, "session", s != NULL ? s->id : NULL);
	rpc_pack_key(pk, "version");
	if (s != NULL)
		msgpack_pack_uint64(pk, s->version);
	else
		msgpack_pack_nil(pk);
	req_reply_end(r);
out:
	free(full);
	rvq_fini(&q);
	return rc;
}

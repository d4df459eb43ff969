/*
 * session-file.c - a file session's notebook on disk: the journal
 * replayed at open, and rebased by cell onto a file that changed on disk
 * after its edits were made.
 *
 * Journal rows (kernel/store.h) of one notebook carry the hash of the
 * file bytes they were made on (the session's base_hash). Rows are
 * msgpack maps of four kinds:
 *  - {t = "base", text}: the document as its file was when the first edit
 *    on it was journaled (with the ids parsing gave cells that have none
 *    written). The first row of every base hash since this galley.
 *  - {t = "snapshot", text}: the whole document, replacing it: after a
 *    row that could not be applied (so later crashes replay from there),
 *    and after a rebase.
 *  - an op, in core/ot.h's wire form;
 *  - {t = "edit", edit}: the tag a client gave the doc.edit whose ops
 *    precede it (written in the same transaction), so that after a crash
 *    a client that never got the answer can ask whether it was applied.
 * Replay parses base and snapshot rows in place of the document, applies
 * ops in order and remembers tags.
 *
 * At open, rows made on the file's hash replay onto the file. Rows made
 * on another hash (the file changed on disk, and the kernel stopped
 * before the edits were saved) replay onto their own base row, and the
 * result merges three ways, by cell (review/merge.h), with what the file
 * holds now: base = that base row, ours = the file now, theirs = the
 * unsaved edits. Cells only one side changed take that side; a cell both
 * changed becomes a conflict cell (conflict=true, git's markers around
 * both texts; docs/git.md), which the TUI marks and a save writes like
 * any cell. The merged document replaces those rows at once, as a base
 * row of the file now and a snapshot of the merge, in one transaction:
 * a crash after the open loses nothing, and the next open does not merge
 * again. Rows of another hash with no base row (written by an older
 * galley) cannot be placed: they are kept, not applied, named in a
 * warning, and no save removes them.
 *
 * Watching. While a file session is open the kernel watches its
 * notebook's directory (libuv fs events; a stat poll where those are not
 * available): an editor that writes a new file and renames it over the
 * notebook, a checkout or a pull all show there. Events are gathered for
 * SESS_WATCH_MS, then the file is read: if its bytes are what the
 * session last read or wrote (its own saves come back this way), nothing
 * happens. Otherwise a session with no unsaved edits takes the file as
 * it is ("reloaded"); one with unsaved edits merges by cell as at open
 * (base = the file as last read, ours = the file now, theirs = the
 * session's document; "merged"). Either way the change reaches clients
 * as ordinary doc.ops (ot_diff() from the old document to the new, made
 * by client 0, so their own unacknowledged edits rebase over it), then
 * doc.changed says what happened; the journal is rebased onto the new
 * file in one transaction; and the new bytes become the base that the
 * next save checks against. A file that does not parse, or that could
 * only be merged by lines, is not loaded: clients are told, and the
 * session keeps its document (a save still refuses to overwrite it
 * without force). A missing file (between an editor's unlink and
 * rename, or deleted) changes nothing.
 */
#include "kernel/session_int.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "core/err.h"
#include "core/mem.h"
#include "core/notebook.h"
#include "core/ot.h"
#include "core/rpc.h"
#include "core/util.h"
#include "kernel/log.h"
#include "kernel/req.h"
#include "kernel/store.h"
#include "review/merge.h"

/* Labels of the two sides in a conflict cell's markers. */
#define SESS_MERGE_OURS		"on disk"
#define SESS_MERGE_THEIRS	"unsaved edits"
/* Events about the file are gathered this long before it is read. */
#define SESS_WATCH_MS		50
/* The stat poll's interval, where fs events are not available. */
#define SESS_POLL_MS		1000

/* A session's watch on its file. Freed once both handles are closed,
 * which may be after the session is gone (s is then NULL). */
struct sess_watch {
	struct sess	*s;		/* borrowed; NULL once unwatched */
	char		*name;		/* owned: the file's name in dir */
	bool		 polling;	/* fs_poll instead of fs_event */
	uv_fs_event_t	 ev;
	uv_fs_poll_t	 poll;
	uv_timer_t	 timer;
	int		 open;		/* handles not closed yet */
};

/* The rows of one base hash other than the file's. */
struct sess_group {
	char		 hash[GL_HASH_HEX];
	struct sess_replay rp;		/* rp.doc NULL until its base row */
	size_t		 rows;
};

struct sess_recover {
	struct sess	*s;
	struct sess_replay cur;		/* the rows on the file's hash */
	struct nb_doc	*file;		/* owned: the file's document, copied
					 * before a row changes it; NULL
					 * while none did (most opens) */
	struct sess_group *g;		/* owned */
	size_t		 ng;
};

static const char *sess_file_name(const struct sess *s);
static int	 sess_recover_row(void *ctx, const char *hash, const void *p,
		     size_t len);
static int	 sess_recover_merge(struct sess_recover *rc,
		     struct sess_group *g, size_t *conflicts,
		     struct gl_err *err);
static int	 sess_journal_rebase(struct sess *s, const char *hash,
		     const struct nb_doc *file, const struct nb_doc *doc,
		     const char *const *drop, size_t ndrop,
		     struct gl_err *err);

int
sess_file_recover(struct sess *s, char **warnings, size_t *nwarn,
    size_t *recovered, struct gl_err *err)
{
	struct sess_recover	 rc;
	const char		**drop = NULL;
	size_t			 nother = 0, merged = 0, conflicts = 0;
	size_t			 ndrop = 0, nmerged_ops = 0;
	int			 r;

	memset(&rc, 0, sizeof rc);
	rc.s = s;
	rc.cur.s = s;
	rc.cur.doc = s->doc;
	s->doc = NULL;
	*recovered = 0;
	r = store_journal_each(s->store, s->key, sess_recover_row, &rc, err);
	if (r != 0)
		goto out;
	/* A merge replaces the journal by a base row of the file: keep
	 * it before the merge changes the document. */
	if (rc.ng > 0 && rc.file == NULL)
		rc.file = nb_doc_clone(rc.cur.doc);
	if (rc.cur.failed)
		warnings[(*nwarn)++] = xasprintf("some unsaved edits in the "
		    "journal could not be applied (%s); %zu were",
		    rc.cur.err.msg, rc.cur.applied);
	drop = xcalloc(rc.ng + 1, sizeof *drop);
	for (size_t i = 0; i < rc.ng; i++) {
		struct sess_group	*g = &rc.g[i];
		struct gl_err		 merr;

		if (g->rp.base == NULL) {
			nother += g->rows;
			continue;
		}
		if (sess_recover_merge(&rc, g, &conflicts, &merr) != 0) {
			log_info("%s: %s: the unsaved edits of %.8s could not "
			    "be merged: %s", s->id, s->path, g->hash,
			    merr.msg);
			nother += g->rows;
			continue;
		}
		drop[ndrop++] = g->hash;
		nmerged_ops += g->rp.applied;
		merged++;
	}
	if (merged > 0) {
		drop[ndrop++] = s->base_hash;
		if ((r = sess_journal_rebase(s, s->base_hash, rc.file,
		    rc.cur.doc, drop, ndrop, err)) != 0)
			goto out;
		warnings[(*nwarn)++] = conflicts == 0 ? xasprintf("%s "
		    "changed on disk after %zu unsaved edit%s: merged by "
		    "cell", sess_file_name(s), nmerged_ops,
		    nmerged_ops == 1 ? "" : "s") : xasprintf("%s changed on "
		    "disk after %zu unsaved edit%s: merged by cell; %zu "
		    "cell%s both changed (marked conflict)",
		    sess_file_name(s), nmerged_ops, nmerged_ops == 1 ? "" :
		    "s", conflicts, conflicts == 1 ? "" : "s");
		log_info("%s: %s: merged %zu unsaved edits made on another "
		    "version of the file (%zu conflicts)", s->id, s->path,
		    nmerged_ops, conflicts);
	}
	if (nother > 0)
		warnings[(*nwarn)++] = xasprintf("%zu unsaved edit%s in the "
		    "journal %s made on another version of this file and "
		    "could not be placed; kept, not applied", nother,
		    nother == 1 ? "" : "s", nother == 1 ? "was" : "were");
	/* A merge counts as one more edit, so the session is dirty. */
	*recovered = rc.cur.applied + nmerged_ops;
	s->version = rc.cur.applied + (merged > 0);
	s->hist_base = s->version;
	s->need_base = rc.cur.rows == 0 && merged == 0;
	s->need_snapshot = rc.cur.broken && merged == 0;
	if (rc.cur.applied > 0 || merged > 0)
		log_info("%s: %s: recovered %zu journaled edits", s->id,
		    s->path, *recovered);
	r = 0;
out:
	s->doc = rc.cur.doc;
	free(rc.cur.base);
	for (size_t i = 0; i < rc.ng; i++) {
		nb_doc_free(rc.g[i].rp.doc);
		free(rc.g[i].rp.base);
	}
	free(rc.g);
	free(drop);
	nb_doc_free(rc.file);
	return r;
}

/* The notebook's file name, for messages to the user. */
static const char *
sess_file_name(const struct sess *s)
{
	const char *slash = strrchr(s->path, '/');

	return slash != NULL ? slash + 1 : s->path;
}

/* store_journal_each() callback: a row on the file's hash replays onto
 * the document, any other into its hash's group. */
static int
sess_recover_row(void *ctx, const char *hash, const void *p, size_t len)
{
	struct sess_recover	*rc = ctx;
	struct sess_group	*g = NULL;

	if (strcmp(hash, rc->s->base_hash) == 0) {
		/* The file's document is copied only when a row is about to
		 * change it: a 100 MB notebook opens without a copy. */
		if (rc->file == NULL && rc->cur.doc != NULL)
			rc->file = nb_doc_clone(rc->cur.doc);
		rc->cur.rows++;
		return sess_replay_one(&rc->cur, p, len);
	}
	for (size_t i = 0; i < rc->ng; i++)
		if (strcmp(rc->g[i].hash, hash) == 0)
			g = &rc->g[i];
	if (g == NULL) {
		rc->g = xrealloc(rc->g, (rc->ng + 1) * sizeof *rc->g);
		g = &rc->g[rc->ng++];
		memset(g, 0, sizeof *g);
		snprintf(g->hash, sizeof g->hash, "%s", hash);
		g->rp.s = rc->s;
	}
	g->rows++;
	/* Without a base row first, the group cannot be replayed (see
	 * the top): sess_replay_one() fails on an op with no document. */
	return sess_replay_one(&g->rp, p, len);
}

/* Merges group g (unsaved edits on another version of the file) into
 * rc->cur.doc, the file now with its own rows. */
static int
sess_recover_merge(struct sess_recover *rc, struct sess_group *g,
    size_t *conflicts, struct gl_err *err)
{
	struct nb_doc	*merged = NULL;
	size_t		 n;
	int		 r;

	if (g->rp.doc == NULL || g->rp.failed)
		return gl_err_set(err, GL_ESYNTAX, "%s", g->rp.failed ?
		    g->rp.err.msg : "no document");
	r = sess_merge_docs(rc->s, g->rp.base, g->rp.base_len, rc->cur.doc,
	    g->rp.doc, &merged, &n, err);
	if (r != 0)
		return r;
	nb_doc_free(rc->cur.doc);
	rc->cur.doc = merged;
	*conflicts += n;
	return 0;
}

int
sess_merge_docs(struct sess *s, const char *base, size_t base_len,
    const struct nb_doc *disk, const struct nb_doc *unsaved,
    struct nb_doc **out, size_t *conflicts, struct gl_err *err)
{
	static const struct nmerge_opts opts = { SESS_MERGE_OURS,
	    SESS_MERGE_THEIRS, 7 };
	struct gl_buf		 ours, theirs;
	struct nmerge_result	 mr;
	char			*name;
	size_t			 n = strlen(s->path);
	int			 rc;

	*out = NULL;
	*conflicts = 0;
	/* The merge knows a notebook by its name. */
	name = n >= 7 && strcmp(s->path + n - 7, ".nb.lua") == 0 ?
	    xstrdup(s->path) : xasprintf("%s.nb.lua", s->path);
	gl_buf_init(&ours);
	gl_buf_init(&theirs);
	nb_print(disk, &ours);
	nb_print(unsaved, &theirs);
	rc = nmerge_files(name, base, base_len, ours.data ? ours.data : "",
	    ours.len, theirs.data ? theirs.data : "", theirs.len, &opts, &mr,
	    err);
	if (rc == 0 && mr.by_lines)
		rc = gl_err_set(err, GL_ESYNTAX, "%s", mr.note != NULL ?
		    mr.note : "not merged by cell");
	if (rc == 0)
		rc = nb_parse(mr.text, mr.len, s->path, out, err);
	if (rc == 0) {
		nb_doc_assign_ids(*out);
		*conflicts = mr.conflicts;
	}
	nmerge_result_fini(&mr);
	gl_buf_fini(&ours);
	gl_buf_fini(&theirs);
	free(name);
	return rc;
}

/* Packs {t, text = doc printed} into pk: a base or snapshot row. */
void
sess_pack_doc_row(msgpack_packer *pk, const char *t, const struct nb_doc *doc)
{
	struct gl_buf	 text;

	gl_buf_init(&text);
	nb_print(doc, &text);
	msgpack_pack_map(pk, 2);
	rpc_pack_kv_str(pk, "t", t);
	rpc_pack_key(pk, "text");
	rpc_pack_strn(pk, text.data != NULL ? text.data : "", text.len);
	gl_buf_fini(&text);
}

/* Replaces the rows of the hashes drop[0..ndrop) with, on hash: a base
 * row of file (the file's document), a snapshot of doc and the edit tags
 * s remembers; with doc NULL, with nothing (a clean session). One
 * transaction. */
static int
sess_journal_rebase(struct sess *s, const char *hash,
    const struct nb_doc *file, const struct nb_doc *doc,
    const char *const *drop, size_t ndrop, struct gl_err *err)
{
	msgpack_sbuffer		 sb;
	msgpack_packer		 pk;
	struct store_blob	 rows[2 + SESS_TAGS];
	size_t			 offs[3 + SESS_TAGS], n = 0;
	int			 rc;

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	offs[0] = 0;
	if (doc != NULL) {
		sess_pack_doc_row(&pk, "base", file);
		offs[1] = sb.size;
		sess_pack_doc_row(&pk, "snapshot", doc);
		offs[2] = sb.size;
		n = 2 + sess_pack_tag_rows(s, &pk, offs + 3);
	}
	for (size_t i = 0; i < n; i++)
		rows[i] = (struct store_blob){ sb.data + offs[i],
		    offs[i + 1] - offs[i] };
	rc = store_journal_reset(s->store, s->key, drop, ndrop, hash, 0, rows,
	    n, err);
	msgpack_sbuffer_destroy(&sb);
	return rc;
}

/*
 * Replays one journal row onto rp->doc. A row that cannot be applied
 * (which only a damaged store gives) is reported once; the op rows after
 * it are skipped up to the next snapshot row, which restarts the replay
 * from a whole document. rp->broken at the end makes the next edit
 * journal a snapshot first, so later crashes replay from there. The text
 * of the first base row is kept in rp->base.
 */
int
sess_replay_one(void *ctx, const void *p, size_t len)
{
	struct sess_replay	*rp = ctx;
	msgpack_unpacked	 up;
	size_t			 off = 0;
	const msgpack_object	*t;
	struct ot_op		 op;
	struct gl_err		 e;
	bool			 base;

	msgpack_unpacked_init(&up);
	if (msgpack_unpack_next(&up, p, len, &off) != MSGPACK_UNPACK_SUCCESS) {
		gl_err_set(&e, GL_ESYNTAX, "undecodable journal row");
		goto bad;
	}
	t = rpc_map_get(&up.data, "t");
	if (rpc_obj_streq(t, "edit")) {
		const char	*tag;
		size_t		 tlen;

		/* An edit's tag: applied with the rows before it. */
		if ((tag = rpc_map_str(&up.data, "edit", &tlen)) != NULL)
			sess_tag_push(rp->s, tag, tlen);
		goto out;
	}
	base = rpc_obj_streq(t, "base");
	if (base || rpc_obj_streq(t, "snapshot")) {
		const char	*text;
		size_t		 tlen;
		struct nb_doc	*doc;

		text = rpc_map_str(&up.data, "text", &tlen);
		if (text == NULL) {
			gl_err_set(&e, GL_ESYNTAX, "%s row without text",
			    base ? "base" : "snapshot");
			goto bad;
		}
		if (nb_parse(text, tlen, rp->s->path, &doc, &e) != 0)
			goto bad;
		nb_doc_free(rp->doc);
		rp->doc = doc;
		if (base && rp->base == NULL) {
			rp->base = xstrndup(text, tlen);
			rp->base_len = tlen;
		}
		/* A snapshot is a change; a base row is the file as it was. */
		if (!base)
			rp->applied++;
		rp->snapshot = true;
		rp->broken = false;
		goto out;
	}
	if (rp->broken)
		goto out;
	if (rp->doc == NULL) {
		gl_err_set(&e, GL_ESYNTAX, "edits with no base row");
		goto bad;
	}
	if (ot_decode(&up.data, &op, &e) != 0)
		goto bad;
	if (ot_apply(rp->doc, &op, &e) != 0) {
		ot_op_fini(&op);
		goto bad;
	}
	ot_op_fini(&op);
	rp->applied++;
	goto out;
bad:
	if (!rp->failed)
		rp->err = e;
	rp->failed = true;
	rp->broken = true;
out:
	msgpack_unpacked_destroy(&up);
	return 0;
}

/* Watching the file. */

static void	 sess_watch_on_event(uv_fs_event_t *h, const char *name,
		     int events, int status);
static void	 sess_watch_on_poll(uv_fs_poll_t *h, int status,
		     const uv_stat_t *prev, const uv_stat_t *cur);
static void	 sess_watch_on_timer(uv_timer_t *t);
static void	 sess_watch_on_closed(uv_handle_t *h);
static void	 sess_file_check(struct sess *s);
static void	 sess_file_tell(struct sess *s, const char *how,
		     size_t conflicts, const char *fmt, ...)
		     __attribute__((format(printf, 4, 5)));

void
sess_file_watch(struct sess *s)
{
	struct sess_watch	*w;
	uv_loop_t		*loop = s->set->host.loop;
	const char		*slash;
	int			 rc;

	if (s->ephemeral || s->client_file || s->path == NULL ||
	    s->watch != NULL ||
	    loop == NULL || (slash = strrchr(s->path, '/')) == NULL)
		return;
	w = xcalloc(1, sizeof *w);
	w->s = s;
	w->name = xstrdup(slash + 1);
	uv_timer_init(loop, &w->timer);
	w->timer.data = w;
	w->open = 1;
	uv_fs_event_init(loop, &w->ev);
	w->ev.data = w;
	w->open++;
	rc = uv_fs_event_start(&w->ev, sess_watch_on_event, s->dir, 0);
	if (rc != 0) {
		/* No inotify (or out of watches): poll the file's stat. */
		log_info("%s: cannot watch %s (%s); polling it", s->id,
		    s->dir, uv_strerror(rc));
		uv_close((uv_handle_t *)&w->ev, sess_watch_on_closed);
		w->polling = true;
		uv_fs_poll_init(loop, &w->poll);
		w->poll.data = w;
		w->open++;
		if ((rc = uv_fs_poll_start(&w->poll, sess_watch_on_poll,
		    s->path, SESS_POLL_MS)) != 0)
			log_info("%s: cannot poll %s: %s", s->id, s->path,
			    uv_strerror(rc));
	}
	s->watch = w;
}

void
sess_file_unwatch(struct sess *s)
{
	struct sess_watch *w = s->watch;

	if (w == NULL)
		return;
	s->watch = NULL;
	w->s = NULL;
	uv_close((uv_handle_t *)&w->timer, sess_watch_on_closed);
	if (w->polling)
		uv_close((uv_handle_t *)&w->poll, sess_watch_on_closed);
	else
		uv_close((uv_handle_t *)&w->ev, sess_watch_on_closed);
}

static void
sess_watch_on_closed(uv_handle_t *h)
{
	struct sess_watch *w = h->data;

	if (--w->open == 0) {
		free(w->name);
		free(w);
	}
}

static void
sess_watch_on_event(uv_fs_event_t *h, const char *name, int events,
    int status)
{
	struct sess_watch *w = h->data;

	(void)events;
	if (w->s == NULL || (status == 0 && name != NULL &&
	    strcmp(name, w->name) != 0))
		return;
	uv_timer_start(&w->timer, sess_watch_on_timer, SESS_WATCH_MS, 0);
}

static void
sess_watch_on_poll(uv_fs_poll_t *h, int status, const uv_stat_t *prev,
    const uv_stat_t *cur)
{
	struct sess_watch *w = h->data;

	(void)status;
	(void)prev;
	(void)cur;
	if (w->s != NULL)
		uv_timer_start(&w->timer, sess_watch_on_timer, SESS_WATCH_MS,
		    0);
}

static void
sess_watch_on_timer(uv_timer_t *t)
{
	struct sess_watch *w = t->data;

	if (w->s != NULL)
		sess_file_check(w->s);
}

/* Reads the file and takes in what changed there (see the top). */
static void
sess_file_check(struct sess *s)
{
	struct nb_doc	*disk = NULL, *target = NULL;
	struct ot_op	*ops = NULL;
	struct gl_err	 e;
	struct gl_buf	 printed;
	char		*bytes = NULL, hash[GL_HASH_HEX];
	const char	*drop[2];
	size_t		 len, n = 0, conflicts = 0;
	bool		 clean, dirty;
	bool		 took_disk;

	sess_set_flush(s->set);	/* the journal is rewritten below */
	clean = s->version == s->saved_version;
	if (gl_file_read_regular(s->path, &bytes, &len, &e) != 0)
		return;		/* gone, or not a file: a save says so */
	gl_hash_hex(bytes, len, hash);
	if (strcmp(hash, s->base_hash) == 0 ||
	    strcmp(hash, s->disk_seen) == 0) {
		free(bytes);
		return;
	}
	snprintf(s->disk_seen, sizeof s->disk_seen, "%s", hash);
	if (nb_parse(bytes, len, s->path, &disk, &e) != 0) {
		sess_file_tell(s, "unreadable", 0, "%s changed on disk and "
		    "cannot be read (%s): not loaded; :w! overwrites it",
		    sess_file_name(s), e.msg);
		goto out;
	}
	nb_doc_assign_ids(disk);
	took_disk = clean || s->base_text == NULL;
	if (took_disk)
		target = nb_doc_clone(disk);
	else if (sess_merge_docs(s, s->base_text, s->base_len, disk, s->doc,
	    &target, &conflicts, &e) != 0) {
		sess_file_tell(s, "unmerged", 0, "%s changed on disk and "
		    "could not be merged with the unsaved edits (%s): not "
		    "loaded; :w! overwrites it", sess_file_name(s), e.msg);
		goto out;
	}
	/* The journal moves to the new file first: if that fails, nothing
	 * changed. */
	gl_buf_init(&printed);
	nb_print(target, &printed);
	/* Taken as it is, the file is what is saved (ids parsing gave
	 * cells that have none print, but are not unsaved edits); merged,
	 * it is saved only if the merge gave its bytes. */
	dirty = !took_disk && (printed.len != len ||
	    memcmp(printed.data, bytes, len) != 0);
	gl_buf_fini(&printed);
	drop[0] = s->base_hash;
	drop[1] = hash;
	if (sess_journal_rebase(s, hash, disk, dirty ? target : NULL, drop, 2,
	    &e) != 0) {
		sess_file_tell(s, "unmerged", 0, "%s changed on disk, but the "
		    "journal could not be moved to it (%s): not loaded",
		    sess_file_name(s), e.msg);
		goto out;
	}
	n = ot_diff(s->doc, target, &ops);
	nb_doc_free(s->doc);
	s->doc = target;
	target = NULL;
	memcpy(s->base_hash, hash, sizeof s->base_hash);
	free(s->base_text);
	s->base_text = bytes;
	s->base_len = len;
	bytes = NULL;
	s->on_disk = true;
	s->need_base = !dirty;
	s->need_snapshot = false;
	sess_doc_ops_take(s, ops, n);
	ops = NULL;
	if (!dirty)
		s->saved_version = s->version;
	if (clean || !dirty)
		sess_file_tell(s, "reloaded", 0, "%s changed on disk: "
		    "reloaded", sess_file_name(s));
	else if (conflicts == 0)
		sess_file_tell(s, "merged", 0, "%s changed on disk: merged "
		    "with the unsaved edits by cell", sess_file_name(s));
	else
		sess_file_tell(s, "merged", conflicts, "%s changed on disk: "
		    "merged by cell; %zu cell%s both changed (marked "
		    "conflict)", sess_file_name(s), conflicts,
		    conflicts == 1 ? "" : "s");
out:
	nb_doc_free(disk);
	nb_doc_free(target);
	free(bytes);
}

/* doc.changed {session, path, version, how, conflicts, dirty, message}
 * to every client of s, and the log. */
static void
sess_file_tell(struct sess *s, const char *how, size_t conflicts,
    const char *fmt, ...)
{
	msgpack_packer	*pk;
	char		 msg[1024];
	va_list		 ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	log_info("%s: %s: %s", s->id, s->path, msg);
	pk = sess_note_begin(s->set, "doc.changed");
	msgpack_pack_map(pk, 7);
	rpc_pack_kv_str(pk, "session", s->id);
	rpc_pack_kv_str(pk, "path", s->path);
	rpc_pack_kv_int(pk, "version", (int64_t)s->version);
	rpc_pack_kv_str(pk, "how", how);
	rpc_pack_kv_int(pk, "conflicts", (int64_t)conflicts);
	rpc_pack_kv_bool(pk, "dirty", s->version != s->saved_version);
	rpc_pack_kv_str(pk, "message", msg);
	sess_broadcast(s, NULL);
}

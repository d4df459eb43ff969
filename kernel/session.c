/*
 * session.c - sessions: documents, edits, runs.
 *
 * A session is one open notebook. File sessions are shared: opening the
 * same absolute path again joins the session. They stay open, runtime
 * alive, after their last client leaves, until the kernel exits (so a
 * client can come back to its variables). Ephemeral sessions belong to
 * the connection that opened them and end when it detaches or goes away.
 *
 * Edits (server-centred OT, DESIGN section 7). The document has a version
 * that counts accepted ops. hist[] holds the last accepted ops: hist[i]
 * took the document from version hist_base + i to hist_base + i + 1. A
 * client's ops list A made at version V (hist_base <= V <= version) is
 * rebased over B = the ops accepted after V with ot_rebase() (the square
 * of pairwise transforms, as in Jupiter; accepted ops win ties), which
 * drops the ops of A that became no-ops. The survivors are applied to a
 * copy of the document (an edit request is all or nothing), journaled in
 * one SQLite transaction (file sessions) and only then acknowledged and
 * broadcast as doc.ops to the other clients.
 *
 * Journal and recovery. Journal rows carry the hash of the file bytes the
 * session was parsed from (base_hash). At open, rows with the file's hash
 * are replayed with ot_apply; rows with another hash are kept, not
 * applied, and named in a warning. A save writes the file atomically,
 * then clears the path's journal and takes the new bytes' hash as base.
 * Cells whose marker has no id get ids at parse time that need not be the
 * same at the next parse, so before the first journaled edit of such a
 * document a "snapshot" row holding the document's text with those ids
 * is written; replay parses it in place of the file.
 *
 * Runs. cell.run queues runs (one FIFO per session, one run at a time).
 * The runtime is started at the first code run. A run takes the cell's
 * source at the moment it starts. Markdown and raw cells complete at once
 * (ok, no outputs). A run that ends in error, interrupted or died cancels
 * the runs queued after it by the same cell.run request (as Jupyter stops
 * on error). Outputs of the running cell are kept in memory (capped at
 * SESS_OUT_MAX bytes per cell, then marked truncated) and written to the
 * store when the run ends, keyed by the hash of the source that ran.
 */
#include "kernel/session.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include "core/err.h"
#include "core/mem.h"
#include "core/notebook.h"
#include "core/ot.h"
#include "core/paths.h"
#include "core/rpc.h"
#include "core/util.h"
#include "kernel/log.h"
#include "kernel/req.h"
#include "kernel/rth.h"
#include "kernel/store.h"

#define SESS_HIST_MAX	4096		/* accepted ops kept for OT */
#define SESS_OUT_MAX	((size_t)1 << 20)	/* output bytes kept per cell */
/* Ends the kept outputs of a cell that printed more; also how a reload
 * knows they were truncated. */
#define SESS_TRUNC_NOTE	"\n[galley: output truncated; only the first 1 MiB " \
			"is kept]\n"

enum sess_run_status {
	SESS_RUN_OK,
	SESS_RUN_ERROR,
	SESS_RUN_INTERRUPTED,
	SESS_RUN_CANCELLED,
	SESS_RUN_DIED,
};

static const char *const sess_run_status_names[] = {
	[SESS_RUN_OK] = "ok",
	[SESS_RUN_ERROR] = "error",
	[SESS_RUN_INTERRUPTED] = "interrupted",
	[SESS_RUN_CANCELLED] = "cancelled",
	[SESS_RUN_DIED] = "died",
};

static const char *const rth_state_names[] = {
	[RTH_STARTING] = "starting",
	[RTH_IDLE] = "idle",
	[RTH_BUSY] = "busy",
	[RTH_DEAD] = "dead",
	[RTH_STOPPED] = "stopped",
};

struct sess_out_item {
	bool		 stream;
	uint64_t	 progress;	/* a progress output: its job; else 0 */
	char		 name[8];	/* stream: "stdout" or "stderr" */
	struct gl_buf	 data;		/* stream: text; else packed map */
};

struct sess_cell_out {
	char		 id[NB_ID_MAX + 1];
	char		 hash[GL_HASH_HEX];	/* of the source; "" = none */
	struct sess_out_item *items;	/* owned */
	size_t		 n, cap;
	size_t		 bytes;
	bool		 truncated;
};

struct sess_run {
	uint64_t	 id;
	uint64_t	 batch;		/* the cell.run request */
	char		 cell[NB_ID_MAX + 1];
	char		 hash[GL_HASH_HEX];
	uint64_t	 t0;		/* uv_hrtime() at start */
	bool		 code;		/* ran in the runtime */
	struct sess_run	*next;
};

struct sess_set {
	struct sess_host host;
	struct sess	**sessions;	/* owned */
	size_t		 nsessions, capsessions;
	struct store	**stores;	/* counted: one per project */
	size_t		 nstores, capstores;
	uint64_t	 next_sess;
	struct rpc_writer note;		/* scratch for notifications */
};

struct sess {
	struct sess_set	*set;		/* borrowed: the set it is in */
	char		 id[24];
	char		*path;		/* owned; absolute, or NULL */
	char		*key;		/* owned; store key (project path) */
	char		*dir;		/* owned; the runtime's cwd */
	char		*chunk;		/* owned; "@name.nb.lua" */
	bool		 ephemeral;
	bool		 closing;
	struct req_client *owner;	/* borrowed; ephemeral only */
	struct nb_doc	*doc;		/* owned */
	uint64_t	 version;
	uint64_t	 saved_version;
	struct ot_op	*hist;		/* owned */
	size_t		 nhist, caphist;
	uint64_t	 hist_base;
	char		 base_hash[GL_HASH_HEX];
	bool		 on_disk;	/* the file existed when last read */
	bool		 need_snapshot;
	struct store	*store;		/* counted; NULL if ephemeral */
	struct req_client **clients;	/* borrowed */
	size_t		 nclients, capclients;
	struct rth	*rt;		/* owned; NULL until the first run */
	struct sess_run	*cur;		/* owned: the running run */
	struct sess_run	*qhead, *qtail;	/* owned: queued runs */
	uint64_t	 next_run, next_batch;
	struct sess_cell_out *outs;	/* owned */
	size_t		 nouts, capouts;
	bool		 pumping;
};

struct sess_replay {
	struct sess	*s;
	struct nb_doc	*doc;
	size_t		 applied;
	bool		 snapshot;
	struct gl_err	 err;		/* the first failure */
	bool		 failed;	/* some row could not be applied */
	bool		 broken;	/* ... and no snapshot came after it */
};

static int	 sess_buf_write(void *data, const char *buf, size_t len);
static struct sess *sess_get(struct sess_set *ss, struct req *r,
		     bool attached, struct gl_err *err);
static struct sess *sess_find_path(struct sess_set *ss, const char *path);
static msgpack_packer *sess_note_begin(struct sess_set *ss,
		     const char *method);
static void	 sess_activity(struct sess_set *ss);
static void	 sess_detach(struct sess *s, struct req_client *c);
static void	 sess_attach(struct sess *s, struct req_client *c);
static void	 sess_unlink_client(struct sess *s, struct req_client *c);
static void	 sess_close(struct sess *s);
static void	 sess_free(struct sess *s);
static void	 sess_on_rt_closed(void *ctx);
static int	 sess_store_get(struct sess_set *ss, const char *project,
		     struct store **out, struct gl_err *err);
static int	 sess_replay_one(void *ctx, const void *op, size_t len);
static int	 sess_load_output(void *ctx, const char *cell_id,
		     const char *source_hash, const void *out, size_t len);
static void	 sess_reply_state(struct req *r, struct sess *s,
		     size_t recovered, char **warnings, size_t nwarnings);
static void	 sess_pack_cells(struct sess *s, msgpack_packer *pk);
static void	 sess_pack_cell(struct sess *s, msgpack_packer *pk,
		     const struct nb_cell *c);
static void	 sess_pack_outputs(msgpack_packer *pk,
		     const struct sess_cell_out *co);
static void	 sess_pack_item(msgpack_packer *pk,
		     const struct sess_out_item *it);
static void	 sess_outs_note(struct sess_cell_out *co, const char *text);
static bool	 sess_cell_stale(const struct sess_cell_out *co,
		     const struct nb_cell *c);
static void	 sess_broadcast(struct sess *s, struct req_client *except);
static struct sess_cell_out *sess_outs(struct sess *s, const char *id,
		     bool create);
static void	 sess_outs_clear(struct sess_cell_out *co);
static void	 sess_outs_add(struct sess_cell_out *co,
		     const msgpack_object *o);
static void	 sess_outs_store(struct sess *s,
		     const struct sess_cell_out *co);
static void	 sess_hist_push(struct sess *s, struct ot_op *op);
static void	 sess_pump(struct sess *s);
static void	 sess_finish(struct sess *s, struct sess_run *run,
		     enum sess_run_status st, const msgpack_object *error,
		     const char *message);
static void	 sess_cancel_batch(struct sess *s, uint64_t batch,
		     const char *message);
static size_t	 sess_cancel_queue(struct sess *s, const char *message);
static void	 sess_note_started(struct sess *s, const struct sess_run *run);
static void	 sess_on_output(void *ctx, uint64_t run,
		     const msgpack_object *output);
static void	 sess_on_done(void *ctx, uint64_t run, enum rth_status status,
		     const msgpack_object *error, const char *message);
static void	 sess_on_state(void *ctx, enum rth_state state,
		     const char *message);
static void	 sess_on_request(void *ctx, uint64_t run, struct rpc_msg *m);

static const struct rth_cbs sess_rth_cbs = {
	.on_output = sess_on_output,
	.on_done = sess_on_done,
	.on_state = sess_on_state,
};

/* session.open {path, text?, ephemeral?} */
int
sess_rpc_open(struct sess_set *ss, struct req *r, struct gl_err *err)
{
	struct sess	*s = NULL, *old;
	char		*path = NULL, *abs = NULL, *bytes = NULL;
	char		*project = NULL, *warnings[2] = { NULL, NULL };
	const char	*text, *base;
	size_t		 tlen = 0, len = 0, nwarn = 0, nother = 0;
	bool		 ephemeral;
	struct nb_doc	*doc = NULL;
	struct sess_replay rp;
	size_t		 assigned;
	int		 rc;

	memset(&rp, 0, sizeof rp);
	path = rpc_map_strdup(r->args, "path");
	text = rpc_map_str(r->args, "text", &tlen);
	ephemeral = rpc_map_bool(r->args, "ephemeral", false);
	if (path == NULL && (!ephemeral || text == NULL)) {
		rc = gl_err_set(err, GL_EINVAL,
		    "session.open: path is required (text alone only with "
		    "ephemeral: true)");
		goto fail;
	}
	if (path != NULL && (abs = gl_path_abs(path, err)) == NULL) {
		rc = err != NULL ? err->code : GL_ENOTFOUND;
		goto fail;
	}
	if (!ephemeral && (old = sess_find_path(ss, abs)) != NULL) {
		if (text != NULL) {
			rc = gl_err_set(err, GL_EEXIST, "%s is open already: "
			    "open it without text", abs);
			goto fail;
		}
		sess_attach(old, r->client);
		sess_reply_state(r, old, 0, NULL, 0);
		free(path);
		free(abs);
		return 0;
	}
	if (text != NULL && ephemeral) {
		bytes = xstrndup(text, tlen);
		len = tlen;
	} else {
		rc = gl_file_read(abs, &bytes, &len, err);
		if (rc == GL_ENOTFOUND && text != NULL) {
			/* A new notebook: nothing on disk until doc.save. */
			gl_err_clear(err);
			bytes = xstrndup(text, tlen);
			len = tlen;
		} else if (rc != 0) {
			goto fail;
		} else if (text != NULL) {
			rc = gl_err_set(err, GL_EEXIST,
			    "%s already exists: open it without text", abs);
			goto fail;
		}
	}
	if ((rc = nb_parse(bytes, len, abs != NULL ? abs : "<text>", &doc,
	    err)) != 0)
		goto fail;
	assigned = nb_doc_assign_ids(doc);

	s = xcalloc(1, sizeof *s);
	s->set = ss;
	snprintf(s->id, sizeof s->id, "s%" PRIu64, ++ss->next_sess);
	s->path = abs;
	abs = NULL;
	s->ephemeral = ephemeral;
	s->doc = doc;
	doc = NULL;
	s->next_run = 1;
	s->on_disk = text == NULL || ephemeral;
	gl_hash_hex(bytes, len, s->base_hash);
	if (s->path != NULL) {
		char *slash = strrchr(s->path, '/');

		s->dir = xstrndup(s->path, slash == s->path ? 1 :
		    (size_t)(slash - s->path));
		s->chunk = xasprintf("@%s", slash + 1);
	} else {
		char cwd[4096];

		s->dir = xstrdup(getcwd(cwd, sizeof cwd) != NULL ? cwd : "/");
		s->chunk = xstrdup("@notebook");
	}
	if (ephemeral)
		s->owner = r->client;
	else {
		project = gl_project_dir(s->path);
		if ((rc = sess_store_get(ss, project, &s->store, err)) != 0)
			goto fail;
		base = s->path + strlen(project);
		if (strncmp(s->path, project, strlen(project)) == 0 &&
		    *base == '/')
			s->key = xstrdup(base + 1);
		else
			s->key = xstrdup(s->path);

		rp.s = s;
		rp.doc = s->doc;
		rc = store_journal_load(s->store, s->key, s->base_hash,
		    sess_replay_one, &rp, &nother, err);
		s->doc = rp.doc;
		if (rc < 0)
			goto fail;
		if (rp.failed)
			warnings[nwarn++] = xasprintf("some unsaved edits in "
			    ".galley/store.db could not be applied (%s); %zu "
			    "were", rp.err.msg, rp.applied);
		if (nother > 0)
			warnings[nwarn++] = xasprintf("%zu unsaved edit%s in "
			    ".galley/store.db %s made on another version of "
			    "this file; not applied", nother,
			    nother == 1 ? "" : "s",
			    nother == 1 ? "was" : "were");
		s->version = rp.applied;
		s->hist_base = s->version;
		s->need_snapshot = rp.broken || (assigned > 0 &&
		    !rp.snapshot && rp.applied == 0);
		if ((rc = store_outputs_load(s->store, s->key,
		    sess_load_output, s, err)) != 0)
			goto fail;
		if (rp.applied > 0)
			log_info("%s: %s: recovered %zu journaled edits",
			    s->id, s->path, rp.applied);
	}
	if (ss->nsessions == ss->capsessions) {
		ss->capsessions = ss->capsessions ? 2 * ss->capsessions : 8;
		ss->sessions = xrealloc(ss->sessions,
		    ss->capsessions * sizeof *ss->sessions);
	}
	ss->sessions[ss->nsessions++] = s;
	sess_attach(s, r->client);
	log_info("%s: opened %s%s (client %" PRIu64 ")", s->id,
	    s->path != NULL ? s->path : "<text>",
	    ephemeral ? " (ephemeral)" : "", r->client->id);
	sess_reply_state(r, s, rp.applied * !ephemeral, warnings, nwarn);
	for (size_t i = 0; i < nwarn; i++)
		free(warnings[i]);
	free(project);
	free(bytes);
	free(path);
	return 0;
fail:
	for (size_t i = 0; i < nwarn; i++)
		free(warnings[i]);
	if (s != NULL)
		sess_free(s);
	nb_doc_free(doc);
	free(project);
	free(bytes);
	free(abs);
	free(path);
	return rc;
}

/* session.attach {session}: joins a file session by id. */
int
sess_rpc_attach(struct sess_set *ss, struct req *r, struct gl_err *err)
{
	struct sess *s;

	if ((s = sess_get(ss, r, false, err)) == NULL)
		return err->code;
	if (s->ephemeral && s->owner != r->client)
		return gl_err_set(err, GL_EPERM,
		    "session %s is private to the client that opened it",
		    s->id);
	sess_attach(s, r->client);
	sess_reply_state(r, s, 0, NULL, 0);
	return 0;
}

/* session.list {} */
int
sess_rpc_list(struct sess_set *ss, struct req *r, struct gl_err *err)
{
	msgpack_packer	*pk;
	size_t		 n = 0, queued;

	for (size_t i = 0; i < ss->nsessions; i++) {
		struct sess *s = ss->sessions[i];

		if (!s->ephemeral || s->owner == r->client)
			n++;
	}
	pk = req_reply_begin(r);
	msgpack_pack_array(pk, n);
	for (size_t i = 0; i < ss->nsessions; i++) {
		struct sess	*s = ss->sessions[i];
		bool		 attached = false;

		if (s->ephemeral && s->owner != r->client)
			continue;
		queued = 0;
		for (struct sess_run *q = s->qhead; q != NULL; q = q->next)
			queued++;
		for (size_t j = 0; j < s->nclients; j++)
			attached |= s->clients[j] == r->client;
		msgpack_pack_map(pk, 11);
		rpc_pack_kv_str(pk, "session", s->id);
		rpc_pack_kv_str(pk, "path", s->path);
		rpc_pack_kv_bool(pk, "ephemeral", s->ephemeral);
		rpc_pack_kv_int(pk, "clients", (int64_t)s->nclients);
		rpc_pack_kv_str(pk, "runtime", s->rt == NULL ? "none" :
		    rth_state_names[rth_get_state(s->rt)]);
		rpc_pack_kv_int(pk, "runtime_pid",
		    s->rt == NULL ? 0 : rth_pid(s->rt));
		rpc_pack_kv_int(pk, "version", (int64_t)s->version);
		rpc_pack_kv_bool(pk, "dirty", s->version != s->saved_version);
		rpc_pack_kv_bool(pk, "attached", attached);
		rpc_pack_key(pk, "running");
		if (s->cur != NULL)
			rpc_pack_str(pk, s->cur->cell);
		else
			msgpack_pack_nil(pk);
		rpc_pack_kv_int(pk, "queued", (int64_t)queued);
	}
	req_reply_end(r);
	return 0;
}

/* session.close {session}: detaches this client. */
int
sess_rpc_close(struct sess_set *ss, struct req *r, struct gl_err *err)
{
	struct sess *s;

	if ((s = sess_get(ss, r, true, err)) == NULL)
		return err->code;
	sess_detach(s, r->client);
	return 0;
}

/* doc.get {session} */
int
sess_rpc_doc_get(struct sess_set *ss, struct req *r, struct gl_err *err)
{
	struct sess	*s;
	msgpack_packer	*pk;

	if ((s = sess_get(ss, r, true, err)) == NULL)
		return err->code;
	pk = req_reply_begin(r);
	msgpack_pack_map(pk, 5);
	rpc_pack_kv_str(pk, "session", s->id);
	rpc_pack_kv_str(pk, "path", s->path);
	rpc_pack_kv_int(pk, "version", (int64_t)s->version);
	rpc_pack_kv_bool(pk, "dirty", s->version != s->saved_version);
	rpc_pack_key(pk, "cells");
	sess_pack_cells(s, pk);
	req_reply_end(r);
	return 0;
}

/* doc.edit {session, version, ops} */
int
sess_rpc_doc_edit(struct sess_set *ss, struct req *r, struct gl_err *err)
{
	struct sess		*s;
	const msgpack_object	*vo, *ao;
	struct ot_op		*ops = NULL;
	struct nb_doc		*work = NULL;
	msgpack_sbuffer		 sb;
	msgpack_packer		 pk, *rpk;
	struct store_blob	*blobs = NULL;
	size_t			*offs = NULL;
	size_t			 n = 0, nalive = 0, nb = 0, first_op;
	uint64_t		 v;
	int			 rc;

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	if ((s = sess_get(ss, r, true, err)) == NULL) {
		rc = err->code;
		goto fail;
	}
	vo = rpc_map_get(r->args, "version");
	ao = rpc_map_get(r->args, "ops");
	if (vo == NULL || vo->type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
	    ao == NULL || ao->type != MSGPACK_OBJECT_ARRAY) {
		rc = gl_err_set(err, GL_EINVAL,
		    "doc.edit: wants {session, version, ops: [op]}");
		goto fail;
	}
	v = vo->via.u64;
	if (v > s->version) {
		rc = gl_err_set(err, GL_EINVAL, "doc.edit: version %" PRIu64
		    " is ahead of session %s (at %" PRIu64 ")", v, s->id,
		    s->version);
		goto fail;
	}
	if (v < s->hist_base) {
		rc = gl_err_set(err, GL_ECONFLICT, "doc.edit: version %"
		    PRIu64 " is too old for session %s (history starts at %"
		    PRIu64 "); reload with doc.get", v, s->id, s->hist_base);
		goto fail;
	}
	n = ao->via.array.size;
	ops = xcalloc(n + 1, sizeof *ops);
	for (size_t i = 0; i < n; i++) {
		if ((rc = ot_decode(&ao->via.array.ptr[i], &ops[i],
		    err)) != 0) {
			gl_err_prefix(err, "doc.edit: op %zu", i);
			if (err != NULL)
				err->code = GL_EINVAL;
			rc = GL_EINVAL;
			n = i;
			goto fail;
		}
	}
	/* Transform against what the client had not seen (see the top). */
	ot_rebase(ops, &n, s->hist + (v - s->hist_base),
	    s->nhist - (size_t)(v - s->hist_base));
	nalive = n;
	if (nalive == 0) {
		rpk = req_reply_begin(r);
		msgpack_pack_map(rpk, 1);
		rpc_pack_kv_int(rpk, "version", (int64_t)s->version);
		req_reply_end(r);
		rc = 0;
		goto out;
	}
	/* All or nothing: apply to a copy. */
	work = nb_doc_clone(s->doc);
	for (size_t i = 0; i < n; i++) {
		if ((rc = ot_apply(work, &ops[i], err)) != 0) {
			gl_err_prefix(err, "doc.edit: op %zu", i);
			goto fail;
		}
	}
	/* Encode: the journal's rows and the broadcast's ops are the same
	 * bytes. */
	blobs = xcalloc(nalive + 1, sizeof *blobs);
	offs = xcalloc(nalive + 2, sizeof *offs);
	if (s->need_snapshot && !s->ephemeral) {
		struct gl_buf text;

		gl_buf_init(&text);
		nb_print(s->doc, &text);
		msgpack_pack_map(&pk, 2);
		rpc_pack_kv_str(&pk, "t", "snapshot");
		rpc_pack_key(&pk, "text");
		rpc_pack_strn(&pk, text.data != NULL ? text.data : "",
		    text.len);
		gl_buf_fini(&text);
		offs[++nb] = sb.size;
	}
	first_op = nb;
	for (size_t i = 0; i < n; i++) {
		ot_encode(&pk, &ops[i]);
		offs[++nb] = sb.size;
	}
	for (size_t i = 0; i < nb; i++) {
		blobs[i].p = sb.data + offs[i];
		blobs[i].len = offs[i + 1] - offs[i];
	}
	if (!s->ephemeral) {
		if ((rc = store_journal_add(s->store, s->key, s->base_hash,
		    s->version + (first_op == 0), blobs, nb, err)) != 0) {
			gl_err_prefix(err, "doc.edit: not applied");
			goto fail;
		}
		s->need_snapshot = false;
	}
	nb_doc_free(s->doc);
	s->doc = work;
	work = NULL;
	for (size_t i = 0; i < n; i++) {
		sess_hist_push(s, &ops[i]);	/* takes ops[i] */
		s->version++;
	}
	rpk = req_reply_begin(r);
	msgpack_pack_map(rpk, 1);
	rpc_pack_kv_int(rpk, "version", (int64_t)s->version);
	req_reply_end(r);
	if (s->nclients > 1) {
		msgpack_packer *npk = sess_note_begin(ss, "doc.ops");

		msgpack_pack_map(npk, 4);
		rpc_pack_kv_str(npk, "session", s->id);
		rpc_pack_kv_int(npk, "version", (int64_t)s->version);
		rpc_pack_kv_int(npk, "client", (int64_t)r->client->id);
		rpc_pack_key(npk, "ops");
		msgpack_pack_array(npk, nalive);
		msgpack_sbuffer_write(&ss->note.sbuf,
		    sb.data + offs[first_op], sb.size - offs[first_op]);
		sess_broadcast(s, r->client);
	}
	rc = 0;
	goto out;
fail:
out:
	for (size_t i = 0; i < n; i++)
		ot_op_fini(&ops[i]);
	free(ops);
	free(blobs);
	free(offs);
	nb_doc_free(work);
	msgpack_sbuffer_destroy(&sb);
	return rc;
}

/* doc.save {session, force?} */
int
sess_rpc_doc_save(struct sess_set *ss, struct req *r, struct gl_err *err)
{
	struct sess	*s;
	struct gl_buf	 out;
	char		*cur = NULL, hash[GL_HASH_HEX];
	size_t		 curlen;
	bool		 force;
	msgpack_packer	*pk;
	struct gl_err	 jerr;
	int		 rc;

	if ((s = sess_get(ss, r, true, err)) == NULL)
		return err->code;
	if (s->ephemeral)
		return gl_err_set(err, GL_EPERM,
		    "session %s is ephemeral: it is never saved", s->id);
	force = rpc_map_bool(r->args, "force", false);
	/* Never overwrite what someone else wrote since we read the file. */
	rc = gl_file_read(s->path, &cur, &curlen, err);
	if (rc == 0) {
		gl_hash_hex(cur, curlen, hash);
		free(cur);
		if (!force && (!s->on_disk || strcmp(hash, s->base_hash) != 0))
			return gl_err_set(err, GL_ECONFLICT,
			    "%s changed on disk since galley read it; save "
			    "with force: true to overwrite it", s->path);
	} else if (rc != GL_ENOTFOUND)
		return rc;
	gl_buf_init(&out);
	nb_print(s->doc, &out);
	if ((rc = gl_file_write_atomic(s->path, out.data != NULL ? out.data :
	    "", out.len, 0644, err)) != 0) {
		log_info("%s: save failed, journal kept: %s", s->id,
		    err != NULL ? err->msg : "");
		gl_buf_fini(&out);
		return rc;
	}
	gl_hash_hex(out.data != NULL ? out.data : "", out.len, s->base_hash);
	s->on_disk = true;
	s->need_snapshot = false;
	s->saved_version = s->version;
	if (store_journal_clear(s->store, s->key, &jerr) != 0)
		log_info("%s: saved, but the journal was not cleared: %s",
		    s->id, jerr.msg);
	pk = req_reply_begin(r);
	msgpack_pack_map(pk, 3);
	rpc_pack_kv_str(pk, "path", s->path);
	rpc_pack_kv_int(pk, "bytes", (int64_t)out.len);
	rpc_pack_kv_int(pk, "version", (int64_t)s->version);
	req_reply_end(r);
	gl_buf_fini(&out);
	if (s->nclients > 1) {
		pk = sess_note_begin(ss, "doc.saved");
		msgpack_pack_map(pk, 3);
		rpc_pack_kv_str(pk, "session", s->id);
		rpc_pack_kv_str(pk, "path", s->path);
		rpc_pack_kv_int(pk, "version", (int64_t)s->version);
		sess_broadcast(s, r->client);
	}
	return 0;
}

/* doc.cursor {session, cell, offset, name?}: presence. */
int
sess_rpc_doc_cursor(struct sess_set *ss, struct req *r, struct gl_err *err)
{
	struct sess	*s;
	const char	*cell, *name;
	size_t		 clen, nlen;
	msgpack_packer	*pk;

	if ((s = sess_get(ss, r, true, err)) == NULL)
		return err->code;
	if ((cell = rpc_map_str(r->args, "cell", &clen)) == NULL)
		return gl_err_set(err, GL_EINVAL,
		    "doc.cursor: wants {session, cell, offset}");
	if ((name = rpc_map_str(r->args, "name", &nlen)) != NULL)
		req_client_set_name(r->client, name, nlen);
	pk = sess_note_begin(ss, "doc.cursor");
	msgpack_pack_map(pk, 5);
	rpc_pack_kv_str(pk, "session", s->id);
	rpc_pack_kv_int(pk, "client", (int64_t)r->client->id);
	rpc_pack_kv_str(pk, "name", r->client->name);
	rpc_pack_key(pk, "cell");
	rpc_pack_strn(pk, cell, clen);
	rpc_pack_kv_int(pk, "offset", rpc_map_int(r->args, "offset", 0));
	sess_broadcast(s, r->client);
	return 0;
}

/* cell.run {session, cells: [id]} */
int
sess_rpc_cell_run(struct sess_set *ss, struct req *r, struct gl_err *err)
{
	struct sess		*s;
	const msgpack_object	*co;
	struct sess_run		*head = NULL, **tailp = &head;
	msgpack_packer		*pk;
	uint32_t		 n;
	uint64_t		 batch;

	if ((s = sess_get(ss, r, true, err)) == NULL)
		return err->code;
	co = rpc_map_get(r->args, "cells");
	if (co == NULL || co->type != MSGPACK_OBJECT_ARRAY)
		return gl_err_set(err, GL_EINVAL,
		    "cell.run: wants {session, cells: [id]}");
	n = co->via.array.size;
	for (uint32_t i = 0; i < n; i++) {
		const msgpack_object *id = &co->via.array.ptr[i];
		char buf[NB_ID_MAX + 1];

		if (id->type != MSGPACK_OBJECT_STR ||
		    id->via.str.size > NB_ID_MAX)
			return gl_err_set(err, GL_EINVAL,
			    "cell.run: cells[%u] is not a cell id", i);
		memcpy(buf, id->via.str.ptr, id->via.str.size);
		buf[id->via.str.size] = '\0';
		if (nb_doc_find(s->doc, buf, NULL) == NULL)
			return gl_err_set(err, GL_ENOTFOUND,
			    "cell.run: no cell %s in session %s", buf, s->id);
	}
	batch = ++s->next_batch;
	for (uint32_t i = 0; i < n; i++) {
		const msgpack_object	*id = &co->via.array.ptr[i];
		struct sess_run		*run = xcalloc(1, sizeof *run);

		run->id = s->next_run++;
		run->batch = batch;
		memcpy(run->cell, id->via.str.ptr, id->via.str.size);
		*tailp = run;
		tailp = &run->next;
	}
	pk = req_reply_begin(r);
	msgpack_pack_map(pk, 1);
	rpc_pack_key(pk, "runs");
	msgpack_pack_array(pk, n);
	for (struct sess_run *run = head; run != NULL; run = run->next) {
		msgpack_pack_map(pk, 2);
		rpc_pack_kv_int(pk, "run", (int64_t)run->id);
		rpc_pack_kv_str(pk, "cell", run->cell);
	}
	req_reply_end(r);
	if (head != NULL) {
		if (s->qtail != NULL)
			s->qtail->next = head;
		else
			s->qhead = head;
		for (s->qtail = head; s->qtail->next != NULL;
		    s->qtail = s->qtail->next)
			;
	}
	sess_pump(s);
	return 0;
}

/* cell.interrupt {session} */
int
sess_rpc_cell_interrupt(struct sess_set *ss, struct req *r, struct gl_err *err)
{
	struct sess *s;

	if ((s = sess_get(ss, r, true, err)) == NULL)
		return err->code;
	if (s->cur != NULL && s->rt != NULL) {
		log_info("%s: interrupt run %" PRIu64 " (cell %s)", s->id,
		    s->cur->id, s->cur->cell);
		rth_interrupt(s->rt);
	}
	return 0;
}

/* cell.cancel {session} */
int
sess_rpc_cell_cancel(struct sess_set *ss, struct req *r, struct gl_err *err)
{
	struct sess	*s;
	size_t		 n;
	msgpack_packer	*pk;

	if ((s = sess_get(ss, r, true, err)) == NULL)
		return err->code;
	n = sess_cancel_queue(s, "cancelled");
	pk = req_reply_begin(r);
	msgpack_pack_map(pk, 1);
	rpc_pack_kv_int(pk, "cancelled", (int64_t)n);
	req_reply_end(r);
	sess_activity(ss);
	return 0;
}

/* cell.outputs {session, cell} */
int
sess_rpc_cell_outputs(struct sess_set *ss, struct req *r, struct gl_err *err)
{
	struct sess		*s;
	char			*id;
	const struct nb_cell	*c;
	struct sess_cell_out	*co;
	msgpack_packer		*pk;

	if ((s = sess_get(ss, r, true, err)) == NULL)
		return err->code;
	if ((id = rpc_map_strdup(r->args, "cell")) == NULL)
		return gl_err_set(err, GL_EINVAL,
		    "cell.outputs: wants {session, cell}");
	if ((c = nb_doc_find(s->doc, id, NULL)) == NULL) {
		gl_err_set(err, GL_ENOTFOUND, "cell.outputs: no cell %s in "
		    "session %s", id, s->id);
		free(id);
		return GL_ENOTFOUND;
	}
	co = sess_outs(s, id, false);
	pk = req_reply_begin(r);
	msgpack_pack_map(pk, 3);
	rpc_pack_key(pk, "outputs");
	sess_pack_outputs(pk, co);
	rpc_pack_kv_bool(pk, "stale", sess_cell_stale(co, c));
	rpc_pack_kv_bool(pk, "truncated", co != NULL && co->truncated);
	req_reply_end(r);
	free(id);
	return 0;
}

/* runtime.restart {session} */
int
sess_rpc_runtime_restart(struct sess_set *ss, struct req *r, struct gl_err *err)
{
	struct sess *s;

	if ((s = sess_get(ss, r, true, err)) == NULL)
		return err->code;
	if (s->rt != NULL) {
		log_info("%s: runtime restart requested", s->id);
		rth_restart(s->rt);
	}
	return 0;
}

struct sess_set *
sess_set_new(const struct sess_host *host)
{
	struct sess_set *ss = xcalloc(1, sizeof *ss);

	ss->host = *host;
	rpc_writer_init(&ss->note);
	return ss;
}

void
sess_set_close(struct sess_set *ss)
{
	while (ss->nsessions > 0)
		sess_close(ss->sessions[ss->nsessions - 1]);
	for (size_t i = 0; i < ss->nstores; i++)
		store_unref(ss->stores[i], __func__);
	ss->nstores = 0;
}

void
sess_set_free(struct sess_set *ss)
{
	if (ss == NULL)
		return;
	rpc_writer_fini(&ss->note);
	free(ss->sessions);
	free(ss->stores);
	free(ss);
}

bool
sess_set_busy(const struct sess_set *ss)
{
	for (size_t i = 0; i < ss->nsessions; i++) {
		if (ss->sessions[i]->cur != NULL ||
		    ss->sessions[i]->qhead != NULL)
			return true;
	}
	return false;
}

size_t
sess_set_count(const struct sess_set *ss)
{
	return ss->nsessions;
}

void
sess_set_drop_client(struct sess_set *ss, struct req_client *c)
{
	/* Newest first; a session closed by this leaves the array, so the
	 * walk goes down. */
	for (size_t i = ss->nsessions; i > 0; i--) {
		struct sess *s;

		if (i > ss->nsessions)
			continue;
		s = ss->sessions[i - 1];
		for (size_t j = 0; j < s->nclients; j++) {
			if (s->clients[j] == c) {
				sess_detach(s, c);	/* may free s */
				break;
			}
		}
	}
}

const char *
sess_id(const struct sess *s)
{
	return s->id;
}

const char *
sess_notebook(const struct sess *s)
{
	return s->path;
}

char *
sess_project_dir(const struct sess *s)
{
	if (s->store != NULL)
		return xstrdup(store_project(s->store));
	return s->path != NULL ? gl_project_dir(s->path) : NULL;
}

const char *
sess_run_cell(const struct sess *s, uint64_t run)
{
	return s->cur != NULL && s->cur->id == run ? s->cur->cell : NULL;
}

uint64_t
sess_runtime_gen(const struct sess *s)
{
	return s->rt != NULL ? rth_generation(s->rt) : 0;
}

int
sess_runtime_send(struct sess *s, uint64_t gen, const void *p, size_t n)
{
	if (s->closing || s->rt == NULL || rth_generation(s->rt) != gen)
		return GL_ECLOSED;
	return rth_send(s->rt, p, n);
}

void
sess_notify(struct sess *s, const void *p, size_t n)
{
	for (size_t i = 0; i < s->nclients; i++)
		req_client_send(s->clients[i], p, n);
}

void
sess_run_output(struct sess *s, uint64_t run, const msgpack_object *output)
{
	sess_on_output(s, run, output);
}

/* Sessions, clients, stores. */

static int
sess_buf_write(void *data, const char *buf, size_t len)
{
	gl_buf_add(data, buf, len);
	return 0;
}

/* Begins a notification in the set's scratch writer (reset first); the
 * caller packs the args map, then sess_broadcast() sends it. */
static msgpack_packer *
sess_note_begin(struct sess_set *ss, const char *method)
{
	rpc_writer_reset(&ss->note);
	rpc_begin_notify(&ss->note, method);
	return &ss->note.pk;
}

static void
sess_activity(struct sess_set *ss)
{
	ss->host.on_activity(ss->host.ctx);
}

static struct sess *
sess_get(struct sess_set *ss, struct req *r, bool attached,
    struct gl_err *err)
{
	const char	*id;
	size_t		 len;

	if ((id = rpc_map_str(r->args, "session", &len)) == NULL) {
		gl_err_set(err, GL_EINVAL, "session is required");
		return NULL;
	}
	for (size_t i = 0; i < ss->nsessions; i++) {
		struct sess *s = ss->sessions[i];

		if (strlen(s->id) != len || memcmp(s->id, id, len) != 0)
			continue;
		if (s->ephemeral && s->owner != r->client)
			break;	/* private: as if it did not exist */
		if (!attached)
			return s;
		for (size_t j = 0; j < s->nclients; j++) {
			if (s->clients[j] == r->client)
				return s;
		}
		gl_err_set(err, GL_EPERM, "not attached to session %s "
		    "(session.open or session.attach it first)", s->id);
		return NULL;
	}
	gl_err_set(err, GL_ENOTFOUND, "no session %.*s", (int)len, id);
	return NULL;
}

static struct sess *
sess_find_path(struct sess_set *ss, const char *path)
{
	for (size_t i = 0; i < ss->nsessions; i++) {
		struct sess *s = ss->sessions[i];

		if (!s->ephemeral && s->path != NULL &&
		    strcmp(s->path, path) == 0)
			return s;
	}
	return NULL;
}

static void
sess_attach(struct sess *s, struct req_client *c)
{
	for (size_t i = 0; i < s->nclients; i++) {
		if (s->clients[i] == c)
			return;
	}
	if (s->nclients == s->capclients) {
		s->capclients = s->capclients ? 2 * s->capclients : 4;
		s->clients = xrealloc(s->clients,
		    s->capclients * sizeof *s->clients);
	}
	s->clients[s->nclients++] = c;
}

static void
sess_unlink_client(struct sess *s, struct req_client *c)
{
	for (size_t i = 0; i < s->nclients; i++) {
		if (s->clients[i] == c) {
			memmove(&s->clients[i], &s->clients[i + 1],
			    (s->nclients - i - 1) * sizeof *s->clients);
			s->nclients--;
			break;
		}
	}
}

/* Detaches c from s; an ephemeral session whose client leaves is closed. */
static void
sess_detach(struct sess *s, struct req_client *c)
{
	struct sess_set *ss = s->set;

	sess_unlink_client(s, c);
	if (s->ephemeral && s->owner == c)
		sess_close(s);		/* may free s */
	sess_activity(ss);
}

static void
sess_close(struct sess *s)
{
	struct sess_set *ss = s->set;

	if (s->closing)
		return;
	s->closing = true;
	log_info("%s: closed%s", s->id, s->ephemeral ? " (ephemeral)" : "");
	for (size_t i = 0; i < ss->nsessions; i++) {
		if (ss->sessions[i] == s) {
			memmove(&ss->sessions[i], &ss->sessions[i + 1],
			    (ss->nsessions - i - 1) * sizeof *ss->sessions);
			ss->nsessions--;
			break;
		}
	}
	while (s->nclients > 0)
		sess_unlink_client(s, s->clients[s->nclients - 1]);
	ss->host.on_reset(ss->host.ctx, s);
	if (s->rt != NULL) {
		rth_close(s->rt, sess_on_rt_closed);	/* may free s */
		return;
	}
	sess_free(s);
}

static void
sess_on_rt_closed(void *ctx)
{
	struct sess *s = ctx;

	s->rt = NULL;
	sess_free(s);
}

static void
sess_free(struct sess *s)
{
	struct sess_run *run, *next;

	if (s->nclients != 0)
		gl_fatal("sess_free: %s still has clients", s->id);
	free(s->cur);
	for (run = s->qhead; run != NULL; run = next) {
		next = run->next;
		free(run);
	}
	for (size_t i = 0; i < s->nhist; i++)
		ot_op_fini(&s->hist[i]);
	free(s->hist);
	for (size_t i = 0; i < s->nouts; i++) {
		sess_outs_clear(&s->outs[i]);
		free(s->outs[i].items);
	}
	free(s->outs);
	free(s->clients);
	nb_doc_free(s->doc);
	store_unref(s->store, __func__);
	free(s->path);
	free(s->key);
	free(s->dir);
	free(s->chunk);
	free(s);
}

static int
sess_store_get(struct sess_set *ss, const char *project, struct store **out,
    struct gl_err *err)
{
	struct store	*st;
	int		 rc;

	for (size_t i = 0; i < ss->nstores; i++) {
		if (strcmp(store_project(ss->stores[i]), project) == 0) {
			store_ref(ss->stores[i]);
			*out = ss->stores[i];
			return 0;
		}
	}
	if ((rc = store_open(project, &st, err)) != 0)
		return rc;
	if (ss->nstores == ss->capstores) {
		ss->capstores = ss->capstores ? 2 * ss->capstores : 4;
		ss->stores = xrealloc(ss->stores,
		    ss->capstores * sizeof *ss->stores);
	}
	ss->stores[ss->nstores++] = st;	/* the registry's reference */
	store_ref(st);
	*out = st;
	return 0;
}

/*
 * Replays one journal row onto rp->doc. A row that cannot be applied
 * (which only a damaged store gives) is reported once; the op rows after
 * it are skipped up to the next snapshot row, which restarts the replay
 * from a whole document. rp->broken at the end makes the next edit
 * journal a snapshot first, so later crashes replay from there.
 */
static int
sess_replay_one(void *ctx, const void *p, size_t len)
{
	struct sess_replay	*rp = ctx;
	msgpack_unpacked	 up;
	size_t			 off = 0;
	const msgpack_object	*t;
	struct ot_op		 op;
	struct gl_err		 e;

	msgpack_unpacked_init(&up);
	if (msgpack_unpack_next(&up, p, len, &off) != MSGPACK_UNPACK_SUCCESS) {
		gl_err_set(&e, GL_ESYNTAX, "undecodable journal row");
		goto bad;
	}
	t = rpc_map_get(&up.data, "t");
	if (rpc_obj_streq(t, "snapshot")) {
		const char	*text;
		size_t		 tlen;
		struct nb_doc	*doc;

		text = rpc_map_str(&up.data, "text", &tlen);
		if (text == NULL) {
			gl_err_set(&e, GL_ESYNTAX, "snapshot row without text");
			goto bad;
		}
		if (nb_parse(text, tlen, rp->s->path, &doc, &e) != 0)
			goto bad;
		nb_doc_free(rp->doc);
		rp->doc = doc;
		rp->snapshot = true;
		rp->broken = false;
		goto out;
	}
	if (rp->broken)
		goto out;
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

static int
sess_load_output(void *ctx, const char *cell_id, const char *source_hash,
    const void *p, size_t len)
{
	struct sess		*s = ctx;
	struct sess_cell_out	*co;
	msgpack_unpacked	 up;
	size_t			 off = 0;

	if (strlen(cell_id) > NB_ID_MAX)
		return 0;
	co = sess_outs(s, cell_id, true);
	if (co->n == 0)
		snprintf(co->hash, sizeof co->hash, "%s", source_hash);
	msgpack_unpacked_init(&up);
	if (msgpack_unpack_next(&up, p, len, &off) == MSGPACK_UNPACK_SUCCESS &&
	    up.data.type == MSGPACK_OBJECT_MAP) {
		size_t		 tlen;
		const char	*text = rpc_map_str(&up.data, "text", &tlen);

		if (text != NULL && tlen == sizeof SESS_TRUNC_NOTE - 1 &&
		    memcmp(text, SESS_TRUNC_NOTE, tlen) == 0) {
			sess_outs_note(co, SESS_TRUNC_NOTE);
			co->truncated = true;
		} else if (!co->truncated)
			sess_outs_add(co, &up.data);
	}
	msgpack_unpacked_destroy(&up);
	return 0;
}

/* Packing. */

static void
sess_reply_state(struct req *r, struct sess *s, size_t recovered,
    char **warnings, size_t nwarnings)
{
	msgpack_packer *pk = req_reply_begin(r);

	msgpack_pack_map(pk, 9);
	rpc_pack_kv_str(pk, "session", s->id);
	rpc_pack_kv_str(pk, "path", s->path);
	rpc_pack_kv_bool(pk, "ephemeral", s->ephemeral);
	rpc_pack_kv_int(pk, "version", (int64_t)s->version);
	rpc_pack_kv_int(pk, "client", (int64_t)r->client->id);
	rpc_pack_kv_int(pk, "recovered", (int64_t)recovered);
	rpc_pack_key(pk, "warnings");
	msgpack_pack_array(pk, nwarnings);
	for (size_t i = 0; i < nwarnings; i++)
		rpc_pack_str(pk, warnings[i]);
	rpc_pack_kv_bool(pk, "dirty", s->version != s->saved_version);
	rpc_pack_key(pk, "cells");
	sess_pack_cells(s, pk);
	req_reply_end(r);
}

static void
sess_pack_cells(struct sess *s, msgpack_packer *pk)
{
	size_t n = nb_doc_count(s->doc);

	msgpack_pack_array(pk, n);
	for (size_t i = 0; i < n; i++)
		sess_pack_cell(s, pk, nb_doc_cell(s->doc, i));
}

static void
sess_pack_cell(struct sess *s, msgpack_packer *pk, const struct nb_cell *c)
{
	struct sess_cell_out *co = sess_outs(s, nb_cell_id(c), false);
	size_t		 nmeta = nb_cell_meta_count(c), len;
	const char	*src = nb_cell_source(c, &len);

	msgpack_pack_map(pk, 10);
	rpc_pack_kv_str(pk, "id", nb_cell_id(c));
	rpc_pack_kv_str(pk, "kind", nb_kind_name(nb_cell_kind(c)));
	rpc_pack_kv_bool(pk, "header", nb_cell_is_header(c));
	rpc_pack_kv_str(pk, "title", nb_cell_title(c));
	rpc_pack_key(pk, "meta");
	msgpack_pack_map(pk, nmeta);
	for (size_t i = 0; i < nmeta; i++) {
		const char *k, *v;

		nb_cell_meta_at(c, i, &k, &v);
		rpc_pack_kv_str(pk, k, v);
	}
	rpc_pack_key(pk, "source");
	rpc_pack_strn(pk, src, len);
	rpc_pack_key(pk, "outputs");
	sess_pack_outputs(pk, co);
	rpc_pack_kv_bool(pk, "stale", sess_cell_stale(co, c));
	rpc_pack_kv_bool(pk, "truncated", co != NULL && co->truncated);
	rpc_pack_key(pk, "running");
	if (s->cur != NULL && strcmp(s->cur->cell, nb_cell_id(c)) == 0)
		msgpack_pack_uint64(pk, s->cur->id);
	else
		msgpack_pack_nil(pk);
}

static void
sess_pack_outputs(msgpack_packer *pk, const struct sess_cell_out *co)
{
	size_t n = co != NULL ? co->n : 0;

	msgpack_pack_array(pk, n);
	for (size_t i = 0; i < n; i++)
		sess_pack_item(pk, &co->items[i]);
}

static void
sess_pack_item(msgpack_packer *pk, const struct sess_out_item *it)
{
	if (it->stream) {
		msgpack_pack_map(pk, 3);
		rpc_pack_kv_str(pk, "type", "stream");
		rpc_pack_kv_str(pk, "name", it->name);
		rpc_pack_key(pk, "text");
		rpc_pack_strn(pk, it->data.data != NULL ? it->data.data : "",
		    it->data.len);
	} else
		pk->callback(pk->data, it->data.data, it->data.len);
}

static bool
sess_cell_stale(const struct sess_cell_out *co, const struct nb_cell *c)
{
	char		 h[GL_HASH_HEX];
	size_t		 len;
	const char	*src;

	if (co == NULL || co->hash[0] == '\0')
		return false;
	src = nb_cell_source(c, &len);
	gl_hash_hex(src, len, h);
	return strcmp(h, co->hash) != 0;
}

/* Sends the scratch notification (sess_note_begin) to the clients of s
 * but except. */
static void
sess_broadcast(struct sess *s, struct req_client *except)
{
	struct rpc_writer *w = &s->set->note;

	for (size_t i = 0; i < s->nclients; i++) {
		if (s->clients[i] != except)
			req_client_send(s->clients[i], w->sbuf.data,
			    w->sbuf.size);
	}
}

/* Outputs. */

static struct sess_cell_out *
sess_outs(struct sess *s, const char *id, bool create)
{
	struct sess_cell_out *co;

	for (size_t i = 0; i < s->nouts; i++) {
		if (strcmp(s->outs[i].id, id) == 0)
			return &s->outs[i];
	}
	if (!create)
		return NULL;
	if (s->nouts == s->capouts) {
		s->capouts = s->capouts ? 2 * s->capouts : 16;
		s->outs = xrealloc(s->outs, s->capouts * sizeof *s->outs);
	}
	co = &s->outs[s->nouts++];
	memset(co, 0, sizeof *co);
	snprintf(co->id, sizeof co->id, "%s", id);
	return co;
}

static void
sess_outs_clear(struct sess_cell_out *co)
{
	for (size_t i = 0; i < co->n; i++)
		gl_buf_fini(&co->items[i].data);
	co->n = 0;
	co->bytes = 0;
	co->truncated = false;
	co->hash[0] = '\0';
}

/* Keeps a copy of output o (a map) unless the cell's cap is reached;
 * consecutive stream outputs of one name are merged. */
static void
sess_outs_add(struct sess_cell_out *co, const msgpack_object *o)
{
	const char	*type, *text, *name;
	size_t		 tlen = 0, textlen = 0, nlen = 0;
	struct sess_out_item *it;
	msgpack_packer	 pk;

	if (co->truncated)
		return;
	type = rpc_map_str(o, "type", &tlen);
	if (type != NULL && tlen == 6 && memcmp(type, "stream", 6) == 0 &&
	    (text = rpc_map_str(o, "text", &textlen)) != NULL) {
		name = rpc_map_str(o, "name", &nlen);
		if (name == NULL || nlen >= sizeof it->name) {
			name = "stdout";
			nlen = 6;
		}
		if (co->bytes + textlen > SESS_OUT_MAX) {
			co->truncated = true;
			return;
		}
		co->bytes += textlen;
		if (co->n > 0 && co->items[co->n - 1].stream &&
		    strlen(co->items[co->n - 1].name) == nlen &&
		    memcmp(co->items[co->n - 1].name, name, nlen) == 0) {
			gl_buf_add(&co->items[co->n - 1].data, text, textlen);
			return;
		}
		if (co->n == co->cap) {
			co->cap = co->cap ? 2 * co->cap : 4;
			co->items = xrealloc(co->items,
			    co->cap * sizeof *co->items);
		}
		it = &co->items[co->n++];
		memset(it, 0, sizeof *it);
		it->stream = true;
		memcpy(it->name, name, nlen);
		gl_buf_init(&it->data);
		gl_buf_add(&it->data, text, textlen);
		return;
	}
	if (type != NULL && tlen == 8 && memcmp(type, "progress", 8) == 0) {
		/* A progress bar is kept once per job: the latest. */
		uint64_t job = (uint64_t)rpc_map_int(o, "job", 0) + 1;

		for (size_t i = co->n; i > 0; i--) {
			it = &co->items[i - 1];
			if (it->progress != job)
				continue;
			co->bytes -= it->data.len;
			gl_buf_reset(&it->data);
			msgpack_packer_init(&pk, &it->data, sess_buf_write);
			msgpack_pack_object(&pk, *o);
			co->bytes += it->data.len;
			return;
		}
	}
	if (co->n == co->cap) {
		co->cap = co->cap ? 2 * co->cap : 4;
		co->items = xrealloc(co->items, co->cap * sizeof *co->items);
	}
	it = &co->items[co->n];
	memset(it, 0, sizeof *it);
	if (type != NULL && tlen == 8 && memcmp(type, "progress", 8) == 0)
		it->progress = (uint64_t)rpc_map_int(o, "job", 0) + 1;
	gl_buf_init(&it->data);
	msgpack_packer_init(&pk, &it->data, sess_buf_write);
	msgpack_pack_object(&pk, *o);
	if (co->bytes + it->data.len > SESS_OUT_MAX) {
		gl_buf_fini(&it->data);
		co->truncated = true;
		return;
	}
	co->bytes += it->data.len;
	co->n++;
}

/* Appends a note to the cell's outputs whatever the cap. */
static void
sess_outs_note(struct sess_cell_out *co, const char *text)
{
	struct sess_out_item *it;

	if (co->n == co->cap) {
		co->cap = co->cap ? 2 * co->cap : 4;
		co->items = xrealloc(co->items, co->cap * sizeof *co->items);
	}
	it = &co->items[co->n++];
	memset(it, 0, sizeof *it);
	it->stream = true;
	memcpy(it->name, "stderr", 7);
	gl_buf_init(&it->data);
	gl_buf_adds(&it->data, text);
}

/*
 * A failed run's error is part of the cell's outputs, so a client that
 * reopens the notebook sees why the cell failed (live clients also get it
 * in cell.done): {type = "error", message, traceback, line}.
 */
static void
sess_outs_error(struct sess_cell_out *co, enum sess_run_status st,
    const msgpack_object *error, const char *message)
{
	msgpack_object_kv	 kv[8];
	msgpack_object		 o;
	uint32_t		 k = 0;

	if (st != SESS_RUN_ERROR && st != SESS_RUN_INTERRUPTED &&
	    st != SESS_RUN_DIED)
		return;
	kv[k].key.type = MSGPACK_OBJECT_STR;
	kv[k].key.via.str.ptr = "type";
	kv[k].key.via.str.size = 4;
	kv[k].val.type = MSGPACK_OBJECT_STR;
	kv[k].val.via.str.ptr = "error";
	kv[k].val.via.str.size = 5;
	k++;
	if (error != NULL && error->type == MSGPACK_OBJECT_MAP) {
		for (uint32_t i = 0; i < error->via.map.size && k < 8; i++) {
			if (rpc_obj_streq(&error->via.map.ptr[i].key, "type"))
				continue;
			kv[k++] = error->via.map.ptr[i];
		}
	} else if (message != NULL) {
		kv[k].key.type = MSGPACK_OBJECT_STR;
		kv[k].key.via.str.ptr = "message";
		kv[k].key.via.str.size = 7;
		kv[k].val.type = MSGPACK_OBJECT_STR;
		kv[k].val.via.str.ptr = message;
		kv[k].val.via.str.size = (uint32_t)strlen(message);
		k++;
	} else
		return;
	o.type = MSGPACK_OBJECT_MAP;
	o.via.map.size = k;
	o.via.map.ptr = kv;
	sess_outs_add(co, &o);
}

static void
sess_outs_store(struct sess *s, const struct sess_cell_out *co)
{
	msgpack_sbuffer		 sb;
	msgpack_packer		 pk;
	struct store_blob	*blobs;
	size_t			*offs;
	struct gl_err		 err;

	if (s->ephemeral || s->store == NULL)
		return;
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	blobs = xcalloc(co->n + 1, sizeof *blobs);
	offs = xcalloc(co->n + 2, sizeof *offs);
	for (size_t i = 0; i < co->n; i++) {
		sess_pack_item(&pk, &co->items[i]);
		offs[i + 1] = sb.size;
	}
	for (size_t i = 0; i < co->n; i++) {
		blobs[i].p = sb.data + offs[i];
		blobs[i].len = offs[i + 1] - offs[i];
	}
	if (store_outputs_put(s->store, s->key, co->id, co->hash, blobs,
	    co->n, &err) != 0)
		log_info("%s: outputs of cell %s not stored: %s", s->id, co->id,
		    err.msg);
	free(blobs);
	free(offs);
	msgpack_sbuffer_destroy(&sb);
}

static void
sess_hist_push(struct sess *s, struct ot_op *op)
{
	if (s->nhist == SESS_HIST_MAX) {
		size_t drop = SESS_HIST_MAX / 2;

		for (size_t i = 0; i < drop; i++)
			ot_op_fini(&s->hist[i]);
		memmove(s->hist, s->hist + drop,
		    (s->nhist - drop) * sizeof *s->hist);
		s->nhist -= drop;
		s->hist_base += drop;
	}
	if (s->nhist == s->caphist) {
		s->caphist = s->caphist ? 2 * s->caphist : 64;
		s->hist = xrealloc(s->hist, s->caphist * sizeof *s->hist);
	}
	s->hist[s->nhist++] = *op;	/* moved: op's pointers now ours */
	memset(op, 0, sizeof *op);
}

/* Runs. */

static void
sess_pump(struct sess *s)
{
	struct gl_err	 err;
	struct sess_cell_out *co;
	int		 rc;

	if (s->pumping || s->closing)
		return;
	s->pumping = true;
	while (s->cur == NULL && s->qhead != NULL && !s->closing) {
		struct sess_run	*run = s->qhead;
		struct nb_cell	*cell;
		size_t		 idx, len;
		const char	*src;

		cell = nb_doc_find(s->doc, run->cell, &idx);
		if (cell == NULL) {
			s->qhead = run->next;
			if (s->qhead == NULL)
				s->qtail = NULL;
			sess_finish(s, run, SESS_RUN_CANCELLED, NULL,
			    "the cell was deleted before it ran");
			continue;
		}
		if (nb_cell_kind(cell) != NB_CODE &&
		    !nb_cell_is_header(cell)) {
			s->qhead = run->next;
			if (s->qhead == NULL)
				s->qtail = NULL;
			sess_note_started(s, run);
			sess_finish(s, run, SESS_RUN_OK, NULL, NULL);
			continue;
		}
		if (s->rt == NULL) {
			struct rth_opts	 o = {
				.exe = s->set->host.exe,
				.cwd = s->dir,
				.memory_limit = s->set->host.memory_limit,
				.session = s->id,
			};

			s->rt = rth_new(s->set->host.loop, &o, &sess_rth_cbs,
			    s, &err);
			if (s->rt == NULL) {
				uint64_t batch = run->batch;

				log_info("%s: cannot start a runtime: %s",
				    s->id, err.msg);
				s->qhead = run->next;
				if (s->qhead == NULL)
					s->qtail = NULL;
				sess_finish(s, run, SESS_RUN_DIED, NULL,
				    err.msg);
				sess_cancel_batch(s, batch, NULL);
				continue;
			}
			rth_serve_requests(s->rt, sess_on_request);
			log_info("%s: runtime started", s->id);
		}
		src = nb_cell_source(cell, &len);
		rc = rth_run(s->rt, run->id, run->cell, src, len, s->chunk,
		    nb_doc_source_line(s->doc, idx), &err);
		if (rc == GL_EBUSY)
			break;	/* not ready yet: sess_on_state() pumps again */
		s->qhead = run->next;
		if (s->qhead == NULL)
			s->qtail = NULL;
		run->next = NULL;
		if (rc != 0) {
			/* A runtime that gave up restarting, a cell too
			 * big to send, ... */
			uint64_t batch = run->batch;

			log_info("%s: run %" PRIu64 " not started: %s", s->id,
			    run->id, err.msg);
			sess_finish(s, run, SESS_RUN_DIED, NULL, err.msg);
			sess_cancel_batch(s, batch, NULL);
			continue;
		}
		run->code = true;
		run->t0 = uv_hrtime();
		gl_hash_hex(src, len, run->hash);
		s->cur = run;
		co = sess_outs(s, run->cell, true);
		sess_outs_clear(co);
		memcpy(co->hash, run->hash, sizeof co->hash);
		sess_note_started(s, run);
	}
	s->pumping = false;
	sess_activity(s->set);
}

static void
sess_note_started(struct sess *s, const struct sess_run *run)
{
	msgpack_packer *pk = sess_note_begin(s->set, "cell.started");

	msgpack_pack_map(pk, 3);
	rpc_pack_kv_str(pk, "session", s->id);
	rpc_pack_kv_str(pk, "cell", run->cell);
	rpc_pack_kv_int(pk, "run", (int64_t)run->id);
	sess_broadcast(s, NULL);
}

/* Ends run (already unlinked from the queue): cell.done to every client,
 * outputs to the store for a run that ran. Frees run. */
static void
sess_finish(struct sess *s, struct sess_run *run, enum sess_run_status st,
    const msgpack_object *error, const char *message)
{
	msgpack_packer	*pk;
	struct sess_cell_out *co = NULL;
	uint64_t	 elapsed = 0;
	size_t		 n = 5;

	if (run->code) {
		elapsed = (uv_hrtime() - run->t0) / 1000000;
		co = sess_outs(s, run->cell, true);
		sess_outs_error(co, st, error, message);
		if (co->truncated)
			sess_outs_note(co, SESS_TRUNC_NOTE);
		sess_outs_store(s, co);
	}
	if (error != NULL && error->type != MSGPACK_OBJECT_NIL)
		n++;
	if (message != NULL)
		n++;
	pk = sess_note_begin(s->set, "cell.done");
	msgpack_pack_map(pk, n);
	rpc_pack_kv_str(pk, "session", s->id);
	rpc_pack_kv_str(pk, "cell", run->cell);
	rpc_pack_kv_int(pk, "run", (int64_t)run->id);
	rpc_pack_kv_str(pk, "status", sess_run_status_names[st]);
	rpc_pack_kv_int(pk, "elapsed_ms", (int64_t)elapsed);
	if (error != NULL && error->type != MSGPACK_OBJECT_NIL) {
		rpc_pack_key(pk, "error");
		msgpack_pack_object(pk, *error);
	}
	if (message != NULL)
		rpc_pack_kv_str(pk, "message", message);
	sess_broadcast(s, NULL);
	free(run);
}

/* Cancels the queued runs of one cell.run request. */
static void
sess_cancel_batch(struct sess *s, uint64_t batch, const char *message)
{
	struct sess_run **pp = &s->qhead, *run;

	while ((run = *pp) != NULL) {
		if (run->batch != batch) {
			pp = &run->next;
			continue;
		}
		*pp = run->next;
		sess_finish(s, run, SESS_RUN_CANCELLED, NULL, message != NULL ?
		    message : "an earlier cell of this run did not succeed");
	}
	s->qtail = NULL;
	for (run = s->qhead; run != NULL; run = run->next)
		s->qtail = run;
}

static size_t
sess_cancel_queue(struct sess *s, const char *message)
{
	struct sess_run	*run;
	size_t		 n = 0;

	while ((run = s->qhead) != NULL) {
		s->qhead = run->next;
		sess_finish(s, run, SESS_RUN_CANCELLED, NULL, message);
		n++;
	}
	s->qtail = NULL;
	return n;
}

/* Runtime callbacks. */

/* The runtime asks for cluster work (cluster.map in a cell, ...). */
static void
sess_on_request(void *ctx, uint64_t run, struct rpc_msg *m)
{
	struct sess		*s = ctx;
	struct sess_host	*host = &s->set->host;
	struct rpc_writer	 w;

	if (!s->closing && host->on_cluster_request(host->ctx, s, run,
	    m) == 0)
		return;
	rpc_writer_init(&w);
	rpc_write_error(&w, m->id, GL_EUNSUPPORTED, "the kernel has no "
	    "cluster service (it is shutting down)");
	if (s->rt != NULL)
		(void)rth_send(s->rt, w.sbuf.data, w.sbuf.size);
	rpc_writer_fini(&w);
}

static void
sess_on_output(void *ctx, uint64_t run, const msgpack_object *output)
{
	struct sess	*s = ctx;
	msgpack_packer	*pk;

	if (s->closing || s->cur == NULL || s->cur->id != run)
		return;
	sess_outs_add(sess_outs(s, s->cur->cell, true), output);
	pk = sess_note_begin(s->set, "cell.output");
	msgpack_pack_map(pk, 4);
	rpc_pack_kv_str(pk, "session", s->id);
	rpc_pack_kv_str(pk, "cell", s->cur->cell);
	rpc_pack_kv_int(pk, "run", (int64_t)run);
	rpc_pack_key(pk, "output");
	msgpack_pack_object(pk, *output);
	sess_broadcast(s, NULL);
}

static void
sess_on_done(void *ctx, uint64_t run, enum rth_status status,
    const msgpack_object *error, const char *message)
{
	struct sess	*s = ctx;
	struct sess_run	*cur = s->cur;
	enum sess_run_status st;
	uint64_t	 batch;

	if (s->closing || cur == NULL || cur->id != run)
		return;
	switch (status) {
	case RTH_DONE_OK:
		st = SESS_RUN_OK;
		break;
	case RTH_DONE_ERROR:
		st = SESS_RUN_ERROR;
		break;
	case RTH_DONE_INTERRUPTED:
		st = SESS_RUN_INTERRUPTED;
		break;
	default:
		st = SESS_RUN_DIED;
		break;
	}
	s->cur = NULL;
	batch = cur->batch;
	s->set->host.on_run_done(s->set->host.ctx, s, run);
	sess_finish(s, cur, st, error, message);
	if (st != SESS_RUN_OK)
		sess_cancel_batch(s, batch, NULL);
	sess_pump(s);
}

static void
sess_on_state(void *ctx, enum rth_state state, const char *message)
{
	struct sess	*s = ctx;
	msgpack_packer	*pk;

	if (s->closing)
		return;
	/* A runtime that died or restarts loses its cluster work. */
	if (state == RTH_DEAD || state == RTH_STARTING)
		s->set->host.on_reset(s->set->host.ctx, s);
	if (state != RTH_IDLE && state != RTH_BUSY)
		log_info("%s: runtime %s%s%s", s->id, rth_state_names[state],
		    message != NULL ? ": " : "",
		    message != NULL ? message : "");
	pk = sess_note_begin(s->set, "runtime.status");
	msgpack_pack_map(pk, 3);
	rpc_pack_kv_str(pk, "session", s->id);
	rpc_pack_kv_str(pk, "state", rth_state_names[state]);
	rpc_pack_kv_str(pk, "message", message != NULL ? message : "");
	sess_broadcast(s, NULL);
	if ((state == RTH_DEAD || state == RTH_STOPPED) && s->cur != NULL) {
		/* The host reports the run first; in case it did not. */
		struct sess_run	*cur = s->cur;
		uint64_t	 batch = cur->batch;

		s->cur = NULL;
		sess_finish(s, cur, SESS_RUN_DIED, NULL, message);
		sess_cancel_batch(s, batch, NULL);
	}
	/* IDLE lets the next run start; a DEAD runtime that gave up
	 * restarting fails the queued runs. */
	if (state == RTH_IDLE || state == RTH_DEAD)
		sess_pump(s);
}

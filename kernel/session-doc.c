/*
 * session-doc.c - a session's document (kernel/session.h): doc.get,
 * doc.edit, doc.save, the edit history for operational transform, and
 * the replay of the journal at open. (doc.cursor is presence:
 * session-pair.c.)
 *
 * Edits (server-centred OT, DESIGN section 7). The document has a version
 * that counts accepted ops. hist[] holds the last accepted ops: hist[i]
 * took the document from version hist_base + i to hist_base + i + 1. A
 * client's ops list A made at version V (hist_base <= V <= version) is
 * rebased over B = the ops accepted after V with ot_rebase() (the square
 * of pairwise transforms, as in Jupiter; accepted ops win ties), which
 * drops the ops of A that became no-ops. The survivors are applied to a
 * copy of the document (an edit request is all or nothing), journaled in
 * the loop turn's SQLite transaction (file sessions; group commit, see
 * sess_set_flush()) and only once that commits acknowledged and
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
 */
#include "kernel/session_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/mem.h"
#include "core/notebook.h"
#include "core/ot.h"
#include "core/rpc.h"
#include "core/util.h"
#include "kernel/conn.h"
#include "kernel/log.h"
#include "kernel/req.h"
#include "kernel/store.h"
#include "lua/plugin.h"

static void	 sess_pack_cell(struct sess *s, msgpack_packer *pk,
		     const struct nb_cell *c);
static void	 sess_hist_push(struct sess *s, struct ot_op *op);
static void	 sess_ack_push(struct sess_set *ss, struct sess *s,
		     struct req *r, const char *tag, size_t taglen,
		     const void *ops, size_t len, size_t nops);
static void	 sess_ack_send(struct sess_set *ss, struct sess_ack *a,
		     int code, const char *failed);
static void	 sess_batch_end(struct sess *s);
static void	 sess_doc_saved(struct sess *s, struct gl_buf *out);
static int	 sess_doc_save_client(struct sess_set *ss, struct sess *s,
		     struct req *r, struct gl_err *err);
static void	 sess_batch_arm(struct sess_set *ss);
static void	 sess_on_batch_check(uv_check_t *h);

/* doc.get {session} */
int
sess_rpc_doc_get(struct sess_set *ss, struct req *r, struct gl_err *err)
{
	struct sess	*s;
	msgpack_packer	*pk;
	size_t		 end;

	if ((s = sess_get(ss, r, true, err)) == NULL)
		return err->code;
	end = sess_cells_page(s, 0);
	pk = req_reply_begin(r);
	msgpack_pack_map(pk, 5 + (end < nb_doc_count(s->doc)));
	rpc_pack_kv_str(pk, "session", s->id);
	rpc_pack_kv_str(pk, "path", s->path);
	rpc_pack_kv_int(pk, "version", (int64_t)s->version);
	rpc_pack_kv_bool(pk, "dirty", s->version != s->saved_version);
	sess_pack_cells(s, pk, 0, end);
	req_reply_end(r);
	return 0;
}

/* doc.cells {session, version, from}: the next page of a document too
 * big for one reply (session.open's or doc.get's "next"). */
int
sess_rpc_doc_cells(struct sess_set *ss, struct req *r, struct gl_err *err)
{
	struct sess	*s;
	msgpack_packer	*pk;
	int64_t		 version, from;
	size_t		 n, end;

	if ((s = sess_get(ss, r, true, err)) == NULL)
		return err->code;
	version = rpc_map_int(r->args, "version", -1);
	from = rpc_map_int(r->args, "from", -1);
	n = nb_doc_count(s->doc);
	if (version < 0 || from < 0 || (uint64_t)from > n)
		return gl_err_set(err, GL_EINVAL, "doc.cells: wants {session, "
		    "version, from} with from at most %zu", n);
	/* The pages of one reading are of one version: a client whose
	 * document changed meanwhile starts again with doc.get. */
	if ((uint64_t)version != s->version)
		return gl_err_set(err, GL_ECONFLICT, "doc.cells: the notebook "
		    "changed (version %" PRIu64 "); read it again",
		    s->version);
	end = sess_cells_page(s, (size_t)from);
	pk = req_reply_begin(r);
	msgpack_pack_map(pk, 2 + (end < n));
	rpc_pack_kv_int(pk, "version", (int64_t)s->version);
	sess_pack_cells(s, pk, (size_t)from, end);
	req_reply_end(r);
	return 0;
}

/* doc.edit {session, version, ops, edit?} */
int
sess_rpc_doc_edit(struct sess_set *ss, struct req *r, struct gl_err *err)
{
	struct sess		*s;
	const msgpack_object	*vo, *ao;
	const char		*tag;
	size_t			 taglen = 0, ops_end;
	struct ot_op		*ops = NULL;
	struct nb_doc		*work = NULL;
	msgpack_sbuffer		 sb;
	msgpack_packer		 pk;
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
	tag = rpc_map_str(r->args, "edit", &taglen);
	if (tag != NULL && (taglen == 0 || taglen > SESS_TAG_MAX ||
	    memchr(tag, '\0', taglen) != NULL)) {
		rc = gl_err_set(err, GL_EINVAL, "doc.edit: edit is a tag of 1 "
		    "to %d bytes", SESS_TAG_MAX);
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
		sess_ack_push(ss, s, r, tag, taglen, NULL, 0, 0);
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
	blobs = xcalloc(nalive + 2, sizeof *blobs);
	offs = xcalloc(nalive + 3, sizeof *offs);
	if ((s->need_base || s->need_snapshot) && !s->ephemeral) {
		sess_pack_doc_row(&pk, s->need_base ? "base" : "snapshot",
		    s->doc);
		offs[++nb] = sb.size;
	}
	first_op = nb;
	for (size_t i = 0; i < n; i++) {
		ot_encode(&pk, &ops[i]);
		offs[++nb] = sb.size;
	}
	ops_end = sb.size;
	/* The tag in the same transaction: applied and journaled go
	 * together, whatever a crash interrupts. */
	if (tag != NULL && !s->ephemeral) {
		msgpack_pack_map(&pk, 2);
		rpc_pack_kv_str(&pk, "t", "edit");
		rpc_pack_key(&pk, "edit");
		rpc_pack_strn(&pk, tag, taglen);
		offs[++nb] = sb.size;
	}
	for (size_t i = 0; i < nb; i++) {
		blobs[i].p = sb.data + offs[i];
		blobs[i].len = offs[i + 1] - offs[i];
	}
	/* Journaled in this turn's transaction (a savepoint of it), and
	 * answered once that commits (sess_set_flush()). */
	if (!s->ephemeral) {
		if ((rc = store_batch_begin(s->store, err)) == 0) {
			/* Committed at the turn's end even if this, its first
			 * write, fails. */
			sess_batch_arm(ss);
			rc = store_journal_add(s->store, s->key, s->base_hash,
			    s->version + (first_op == 0), blobs, nb, err);
		}
		if (rc != 0) {
			gl_err_prefix(err, "doc.edit: not applied");
			goto fail;
		}
	}
	if (!s->in_batch) {
		s->in_batch = true;
		s->batch_doc = s->doc;	/* kept until the commit */
		s->batch_version = s->version;
		s->batch_need_base = s->need_base;
		s->batch_need_snapshot = s->need_snapshot;
	} else
		nb_doc_free(s->doc);
	if (!s->ephemeral)
		s->need_base = s->need_snapshot = false;
	s->doc = work;
	work = NULL;
	for (size_t i = 0; i < n; i++) {
		sess_hist_push(s, &ops[i]);	/* takes ops[i] */
		s->version++;
	}
	sess_ack_push(ss, s, r, tag, taglen, sb.data + offs[first_op],
	    ops_end - offs[first_op], nalive);
	rc = 0;
	goto out;
fail:
	/* Its answer must not pass the held answers of its client's
	 * earlier edits. */
	if (r->client->held > 0)
		sess_set_flush(ss);
out:
	ot_ops_free(ops, n);
	free(blobs);
	free(offs);
	nb_doc_free(work);
	msgpack_sbuffer_destroy(&sb);
	return rc;
}

/* out (taken) was saved as the document's text: it becomes the base the
 * journal replays onto, and the rows of the version it replaced go (rows
 * no open could place, another version's with no base, stay). */
static void
sess_doc_saved(struct sess *s, struct gl_buf *out)
{
	struct gl_err	 jerr;

	if (store_journal_clear(s->store, s->key, s->base_hash, &jerr) != 0)
		log_info("%s: saved, but the journal was not cleared: %s",
		    s->id, jerr.msg);
	gl_hash_hex(out->data != NULL ? out->data : "", out->len,
	    s->base_hash);
	free(s->base_text);
	s->base_text = gl_buf_take(out, &s->base_len);
	s->need_base = true;
	s->need_snapshot = false;
	s->saved_version = s->version;
}

/* The document as a save writes it, into out (initialized here), once
 * the before_save plugins agree (their warnings in *hr). On refusal both
 * are freed and the error returned. */
static int
sess_doc_print_for_save(struct sess *s, struct req *r, struct gl_buf *out,
    struct plg_result *hr, struct gl_err *err)
{
	int	 rc;

	gl_buf_init(out);
	nb_print(s->doc, out);
	if ((rc = sess_hook_save(s, r, out->data, out->len, hr, err)) != 0) {
		plg_result_fini(hr);
		gl_buf_fini(out);
	}
	return rc;
}

/*
 * doc.save of a client's own file (session.open's client_file): the
 * kernel writes nothing, once its before_save plugins agree. It answers
 * {path, bytes, version, text, warnings?} and the
 * client writes its file; clients of the same member get doc.write
 * {session, version, text} (their file too), the others doc.saved. The
 * text becomes the journal's base, so edits after it replay onto it.
 */
static int
sess_doc_save_client(struct sess_set *ss, struct sess *s, struct req *r,
    struct gl_err *err)
{
	struct gl_buf	 out;
	struct plg_result hr = { 0 };
	msgpack_packer	*pk;
	int		 rc;

	/* The client writes the file, but the kernel's policy decides. */
	if ((rc = sess_doc_print_for_save(s, r, &out, &hr, err)) != 0)
		return rc;
	sess_doc_saved(s, &out);
	pk = req_reply_begin(r);
	msgpack_pack_map(pk, hr.nwarnings > 0 ? 5 : 4);
	sess_pack_warnings(pk, &hr);
	plg_result_fini(&hr);
	rpc_pack_kv_str(pk, "path", s->path);
	rpc_pack_kv_int(pk, "bytes", (int64_t)s->base_len);
	rpc_pack_kv_int(pk, "version", (int64_t)s->version);
	rpc_pack_key(pk, "text");
	rpc_pack_strn(pk, s->base_text != NULL ? s->base_text : "",
	    s->base_len);
	req_reply_end(r);
	for (size_t i = 0; i < s->nclients; i++) {
		struct req_client *c = s->clients[i];
		bool mine = strcmp(req_client_user(c), s->member) == 0;

		if (c == r->client)
			continue;
		pk = sess_note_begin(ss, mine ? "doc.write" : "doc.saved");
		msgpack_pack_map(pk, 3);
		rpc_pack_kv_str(pk, "session", s->id);
		rpc_pack_kv_int(pk, "version", (int64_t)s->version);
		if (mine) {
			rpc_pack_key(pk, "text");
			rpc_pack_strn(pk, s->base_text != NULL ?
			    s->base_text : "", s->base_len);
		} else
			rpc_pack_kv_str(pk, "path", s->path);
		req_client_send(c, ss->note.sbuf.data, ss->note.sbuf.size);
	}
	return 0;
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
	struct plg_result hr = { 0 };
	int		 rc;

	if ((s = sess_get(ss, r, true, err)) == NULL)
		return err->code;
	if (s->ephemeral)
		return gl_err_set(err, GL_EPERM,
		    "session %s is ephemeral: it is never saved", s->id);
	if (s->client_file)
		return sess_doc_save_client(ss, s, r, err);
	force = rpc_map_bool(r->args, "force", false);
	/* Never overwrite what someone else wrote since we read the file. */
	rc = gl_file_read_regular(s->path, &cur, &curlen, err);
	if (rc == 0) {
		gl_hash_hex(cur, curlen, hash);
		free(cur);
		if (!force && (!s->on_disk || strcmp(hash, s->base_hash) != 0))
			return gl_err_set(err, GL_ECONFLICT,
			    "%s changed on disk since galley read it; save "
			    "with force: true to overwrite it", s->path);
	} else if (rc != GL_ENOTFOUND)
		return rc;
	if ((rc = sess_doc_print_for_save(s, r, &out, &hr, err)) != 0)
		return rc;
	if ((rc = gl_file_write_atomic(s->path, out.data != NULL ? out.data :
	    "", out.len, 0644, err)) != 0) {
		log_info("%s: save failed, journal kept: %s", s->id,
		    err != NULL ? err->msg : "");
		plg_result_fini(&hr);
		gl_buf_fini(&out);
		return rc;
	}
	s->on_disk = true;
	sess_doc_saved(s, &out);
	pk = req_reply_begin(r);
	msgpack_pack_map(pk, hr.nwarnings > 0 ? 4 : 3);
	rpc_pack_kv_str(pk, "path", s->path);
	rpc_pack_kv_int(pk, "bytes", (int64_t)s->base_len);
	rpc_pack_kv_int(pk, "version", (int64_t)s->version);
	sess_pack_warnings(pk, &hr);
	req_reply_end(r);
	plg_result_fini(&hr);
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

void
sess_pack_cells(struct sess *s, msgpack_packer *pk, size_t from,
    size_t end)
{
	rpc_pack_key(pk, "cells");
	msgpack_pack_array(pk, end - from);
	for (size_t i = from; i < end; i++)
		sess_pack_cell(s, pk, nb_doc_cell(s->doc, i));
	if (end < nb_doc_count(s->doc))
		rpc_pack_kv_int(pk, "next", (int64_t)end);
}

/*
 * Where the page of cells that begins at index from ends: as many cells
 * as fit in about SESS_PAGE_MAX bytes, one at least. A reply is sent
 * whole, and a client may have no more than SRV_QUEUED_MAX bytes queued,
 * so a document is read in pages: a 100 MB notebook opens (issue 10).
 */
size_t
sess_cells_page(struct sess *s, size_t from)
{
	size_t	 n = nb_doc_count(s->doc), bytes = 0, i, len;

	for (i = from; i < n; i++) {
		const struct nb_cell *c = nb_doc_cell(s->doc, i);
		const struct sess_cell_out *co;
		const char *k, *v;

		(void)nb_cell_source(c, &len);
		len += strlen(nb_cell_title(c)) + SESS_CELL_PACKED;
		for (size_t j = 0; j < nb_cell_meta_count(c); j++) {
			nb_cell_meta_at(c, j, &k, &v);
			len += strlen(k) + strlen(v) + 10;
		}
		if ((co = sess_outs(s, nb_cell_id(c), false)) != NULL)
			len += co->bytes + co->n * 10;
		if (i > from && bytes + len > SESS_PAGE_MAX)
			break;
		bytes += len;
	}
	return i;
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

/* The part of a tag before its last '.' (a client's "PREFIX.N"), or all
 * of it. */
static size_t
sess_tag_prefix(const char *tag, size_t len)
{
	for (size_t i = len; i > 0; i--)
		if (tag[i - 1] == '.')
			return i - 1;
	return len;
}

/*
 * A client has one edit in flight and asks only about that one, so a
 * tag replaces the one with the same prefix ("PREFIX.N", as the TUI makes
 * them): the 64 slots hold the last edit of as many clients, however
 * busy the others are, rather than the last 64 edits of anyone.
 */
void
sess_tag_push(struct sess *s, const char *tag, size_t len)
{
	size_t	 n = s->ntags < SESS_TAGS ? s->ntags : SESS_TAGS;
	size_t	 plen;
	char	*slot = NULL;

	if (len > SESS_TAG_MAX)
		len = SESS_TAG_MAX;
	plen = sess_tag_prefix(tag, len);
	for (size_t i = 0; i < n && slot == NULL; i++)
		if (sess_tag_prefix(s->tags[i], strlen(s->tags[i])) == plen &&
		    memcmp(s->tags[i], tag, plen) == 0)
			slot = s->tags[i];
	if (slot == NULL)
		slot = s->tags[s->ntags++ % SESS_TAGS];
	memcpy(slot, tag, len);
	slot[len] = '\0';
}

bool
sess_tag_known(const struct sess *s, const char *tag, size_t len)
{
	size_t	 n = s->ntags < SESS_TAGS ? s->ntags : SESS_TAGS;

	for (size_t i = 0; i < n; i++)
		if (strlen(s->tags[i]) == len &&
		    memcmp(s->tags[i], tag, len) == 0)
			return true;
	return false;
}

size_t
sess_pack_tag_rows(const struct sess *s, msgpack_packer *pk, size_t *offs)
{
	size_t	 n = s->ntags < SESS_TAGS ? s->ntags : SESS_TAGS;
	msgpack_sbuffer *sb = pk->data;

	for (size_t i = 0; i < n; i++) {
		msgpack_pack_map(pk, 2);
		rpc_pack_kv_str(pk, "t", "edit");
		rpc_pack_kv_str(pk, "edit", s->tags[i]);
		offs[i] = sb->size;
	}
	return n;
}

void
sess_doc_ops_take(struct sess *s, struct ot_op *ops, size_t n)
{
	msgpack_packer	*pk;

	if (n > 0) {
		pk = sess_note_begin(s->set, "doc.ops");
		msgpack_pack_map(pk, 4);
		rpc_pack_kv_str(pk, "session", s->id);
		rpc_pack_kv_int(pk, "version", (int64_t)(s->version + n));
		rpc_pack_kv_int(pk, "client", 0);
		rpc_pack_key(pk, "ops");
		msgpack_pack_array(pk, n);
		for (size_t i = 0; i < n; i++)
			ot_encode(pk, &ops[i]);
		sess_broadcast(s, NULL);
	}
	for (size_t i = 0; i < n; i++) {
		sess_hist_push(s, &ops[i]);	/* takes ops[i] */
		s->version++;
	}
	free(ops);
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

/*
 * Ops the kernel itself makes on the document (a review's suggestion
 * applied to an open notebook, kernel/session-review.c): applied as a
 * doc.edit is, all or nothing, journaled before they count, and sent as
 * doc.ops to every attached client with client 0 (nobody's). The ops are
 * made on the current version; they are taken (finied) in every case.
 */
int
sess_doc_apply(struct sess *s, struct ot_op *ops, size_t n,
    struct gl_err *err)
{
	struct nb_doc		*work = nb_doc_clone(s->doc);
	struct store_blob	*blobs = xcalloc(n + 2, sizeof *blobs);
	size_t			*offs = xcalloc(n + 3, sizeof *offs);
	size_t			 nb = 0, first_op;
	msgpack_sbuffer		 sb;
	msgpack_packer		 pk, *npk;
	int			 rc = 0;

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = ot_apply(work, &ops[i], err);
	if (rc != 0)
		goto out;
	/* The rows doc.edit would write: a base or snapshot first when
	 * the journal needs one. */
	if ((s->need_base || s->need_snapshot) && !s->ephemeral) {
		sess_pack_doc_row(&pk, s->need_base ? "base" : "snapshot",
		    s->doc);
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
		    s->version + (first_op == 0), blobs, nb, err)) != 0)
			goto out;
		s->need_base = s->need_snapshot = false;
	}
	nb_doc_free(s->doc);
	s->doc = work;
	work = NULL;
	for (size_t i = 0; i < n; i++) {
		sess_hist_push(s, &ops[i]);	/* takes ops[i] */
		s->version++;
	}
	npk = sess_note_begin(s->set, "doc.ops");
	msgpack_pack_map(npk, 4);
	rpc_pack_kv_str(npk, "session", s->id);
	rpc_pack_kv_int(npk, "version", (int64_t)s->version);
	rpc_pack_kv_int(npk, "client", 0);
	rpc_pack_key(npk, "ops");
	msgpack_pack_array(npk, n);
	msgpack_sbuffer_write(&s->set->note.sbuf, sb.data + offs[first_op],
	    sb.size - offs[first_op]);
	sess_broadcast(s, NULL);
out:
	for (size_t i = 0; i < n; i++)
		ot_op_fini(&ops[i]);
	nb_doc_free(work);
	free(blobs);
	free(offs);
	msgpack_sbuffer_destroy(&sb);
	return rc;
}

/*
 * Group commit. A doc.edit of a file session is journaled in a
 * transaction of its store that stays open until the end of the loop
 * turn (store_batch_begin(); each edit is a savepoint in it) and applied
 * to the document at once, so the next edit of the turn transforms
 * against it; its answer and its doc.ops wait in ss->acks. The check
 * handle, or the next request that is not a doc.edit, calls
 * sess_set_flush(): one COMMIT per store, then the answers and
 * broadcasts in arrival order. If a commit fails (a full disk), the
 * sessions of that store go back to their document, version and rows
 * to write from before the turn, and each of its edits is refused: no
 * client saw them, so nothing acknowledged is lost.
 */
static void
sess_ack_push(struct sess_set *ss, struct sess *s, struct req *r,
    const char *tag, size_t taglen, const void *ops, size_t len,
    size_t nops)
{
	struct sess_ack *a;

	if (ss->nacks == ss->capacks) {
		ss->capacks = ss->capacks ? 2 * ss->capacks : 64;
		ss->acks = xrealloc(ss->acks, ss->capacks * sizeof *ss->acks);
	}
	if (ss->nacks == 0)
		msgpack_sbuffer_clear(&ss->ack_bytes);
	a = &ss->acks[ss->nacks++];
	a->s = s;
	a->client = r->client;
	a->req = r->id;
	a->version = s->version;
	a->nops = nops;
	a->off = ss->ack_bytes.size;
	a->len = len;
	if (len > 0)
		msgpack_sbuffer_write(&ss->ack_bytes, ops, len);
	a->taglen = tag != NULL ? taglen : 0;
	if (a->taglen > 0)
		memcpy(a->tag, tag, taglen);
	r->client->held++;
	r->replied = true;		/* at the flush */
	sess_batch_arm(ss);
}

/* Something waits for the end of the turn (an answer held, or a store's
 * transaction open): sess_set_flush() runs then. */
static void
sess_batch_arm(struct sess_set *ss)
{
	if (!ss->batch_check_on) {
		uv_check_init(ss->host.loop, &ss->batch_check);
		ss->batch_check.data = ss;
		uv_unref((uv_handle_t *)&ss->batch_check);
		ss->batch_check_on = true;
	}
	if (!ss->batch_check_closed)
		uv_check_start(&ss->batch_check, sess_on_batch_check);
}

static void
sess_on_batch_check(uv_check_t *h)
{
	sess_set_flush(h->data);
}

void
sess_set_flush(struct sess_set *ss)
{
	struct gl_err	 err;
	char		 failed[sizeof err.msg + 64] = "";
	size_t		 nacks = ss->nacks;
	int		 code = 0;

	if (ss->batch_check_on && !ss->batch_check_closed)
		uv_check_stop(&ss->batch_check);
	for (size_t i = 0; i < ss->nstores; i++) {
		if (!store_batch_open(ss->stores[i]) ||
		    store_batch_commit(ss->stores[i], &err) == 0)
			continue;
		log_info("journal commit failed: %s", err.msg);
		code = err.code;
		snprintf(failed, sizeof failed, "doc.edit: not applied: the "
		    "journal could not be written: %s", err.msg);
		for (size_t j = 0; j < ss->nsessions; j++)
			if (ss->sessions[j]->store == ss->stores[i] &&
			    ss->sessions[j]->in_batch)
				ss->sessions[j]->batch_failed = true;
	}
	for (size_t i = 0; i < ss->nsessions; i++)
		sess_batch_end(ss->sessions[i]);
	/* An answer may send nothing that adds acks; taken first anyway. */
	ss->nacks = 0;
	for (size_t i = 0; i < nacks; i++)
		sess_ack_send(ss, &ss->acks[i], code,
		    ss->acks[i].s->batch_failed ? failed : NULL);
	for (size_t i = 0; i < ss->nsessions; i++)
		ss->sessions[i]->batch_failed = false;
}

/* The turn's batch of s is over: kept, or undone if its commit failed
 * (s->batch_failed). */
static void
sess_batch_end(struct sess *s)
{
	uint64_t k;

	if (!s->in_batch)
		return;
	s->in_batch = false;
	if (!s->batch_failed) {
		nb_doc_free(s->batch_doc);
		s->batch_doc = NULL;
		return;
	}
	nb_doc_free(s->doc);
	s->doc = s->batch_doc;
	s->batch_doc = NULL;
	/* The turn's ops are the newest of the history (trimming drops
	 * the oldest). */
	k = s->version - s->batch_version;
	if (k > s->nhist)
		k = s->nhist;
	for (uint64_t i = 0; i < k; i++)
		ot_op_fini(&s->hist[--s->nhist]);
	s->version = s->batch_version;
	if (s->hist_base + s->nhist != s->version) {
		for (size_t i = 0; i < s->nhist; i++)
			ot_op_fini(&s->hist[i]);
		s->nhist = 0;
		s->hist_base = s->version;
	}
	s->need_base = s->batch_need_base;
	s->need_snapshot = s->batch_need_snapshot;
}

static void
sess_ack_send(struct sess_set *ss, struct sess_ack *a, int code,
    const char *failed)
{
	struct sess	*s = a->s;
	struct req	 r = { .client = a->client, .id = a->req };
	msgpack_packer	*pk;

	a->client->held--;
	if (failed != NULL && a->nops > 0) {
		rpc_write_error(conn_writer(a->client->conn), a->req, code,
		    failed);
		conn_flush(a->client->conn);
		return;
	}
	if (a->taglen > 0)
		sess_tag_push(s, a->tag, a->taglen);
	pk = req_reply_begin(&r);
	msgpack_pack_map(pk, 1);
	rpc_pack_kv_int(pk, "version", (int64_t)(a->version < s->version ?
	    a->version : s->version));
	req_reply_end(&r);
	if (a->nops > 0 && s->nclients > 1) {
		pk = sess_note_begin(ss, "doc.ops");
		msgpack_pack_map(pk, 4);
		rpc_pack_kv_str(pk, "session", s->id);
		rpc_pack_kv_int(pk, "version", (int64_t)a->version);
		rpc_pack_kv_int(pk, "client", (int64_t)a->client->id);
		rpc_pack_key(pk, "ops");
		msgpack_pack_array(pk, a->nops);
		msgpack_sbuffer_write(&ss->note.sbuf,
		    ss->ack_bytes.data + a->off, a->len);
		sess_broadcast(s, a->client);
	}
}

void
sess_batch_forget(struct sess *s)
{
	nb_doc_free(s->batch_doc);
	s->batch_doc = NULL;
	s->in_batch = false;
}

/*
 * session-out.c - a session's outputs (kernel/session.h): what the running
 * cell printed or returned, kept per cell in memory (capped at
 * SESS_OUT_MAX bytes, then marked truncated), broadcast as cell.output,
 * stored when the run ends and loaded at open; cell.outputs.
 */
#include "kernel/session_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/mem.h"
#include "core/notebook.h"
#include "core/rpc.h"
#include "core/util.h"
#include "kernel/log.h"
#include "kernel/req.h"
#include "kernel/store.h"

static void	 sess_pack_item(msgpack_packer *pk,
		     const struct sess_out_item *it);
static int	 sess_buf_write(void *data, const char *buf, size_t len);

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

void
sess_run_output(struct sess *s, uint64_t run, const msgpack_object *output)
{
	msgpack_packer *pk;

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

struct sess_cell_out *
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

void
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
void
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
void
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
void
sess_outs_error(struct sess_cell_out *co, enum gl_run_status st,
    const msgpack_object *error, const char *message)
{
	msgpack_object_kv	 kv[8];
	msgpack_object		 o;
	uint32_t		 k = 0;

	if (st != GL_RUN_ERROR && st != GL_RUN_INTERRUPTED &&
	    st != GL_RUN_DIED)
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

void
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

int
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

void
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

bool
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

static int
sess_buf_write(void *data, const char *buf, size_t len)
{
	gl_buf_add(data, buf, len);
	return 0;
}

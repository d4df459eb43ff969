/*
 * session-out.c - a session's outputs (kernel/session.h): what the running
 * cell printed or returned, kept per cell in memory (capped at
 * SESS_OUT_MAX bytes, then marked truncated), broadcast as cell.output,
 * stored when the run ends and loaded at open; cell.outputs.
 *
 * An output is encoded once, where it is made (the runtime, or the
 * kernel for what it makes: the runtime's raw stdout and stderr, a task's
 * print, progress, a run's error): its bytes go into cell.output, the
 * kept copy, the store and the replies as they are. The kernel reads the
 * few fields it needs (type, a stream's name and text, a progress
 * output's job) from the map the reader decoded with the frame.
 * Consecutive stream outputs of one name are kept as one: the kept map
 * ends with its text as a str 32 (the runtime packs it so), and the next
 * text is appended to it and its length rewritten in place.
 *
 * Past the cap, a run's full output goes to a file as it comes (a
 * struct sess_spill: the text of what was kept, then of every output
 * after it), in the store's directory (the project's .galley/, or the
 * state directory): outputs/<hash of the notebook's key>-<cell>.txt. The
 * kept outputs end with a note naming it. It is removed when the cell
 * runs again, and by the next open when no kept outputs name it.
 */
#include "kernel/session_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/err.h"
#include "core/mem.h"
#include "core/notebook.h"
#include "core/paths.h"
#include "core/rpc.h"
#include "core/util.h"
#include "kernel/log.h"
#include "kernel/req.h"
#include "kernel/store.h"

static struct sess_out_item *sess_item_new(struct sess_cell_out *co);
static bool	 sess_item_fits(struct sess_cell_out *co, size_t n);
static void	 sess_outs_stream(struct sess_cell_out *co,
		     const char *name, size_t nlen, const char *text,
		     size_t tlen, const char *p, size_t n);
static bool	 sess_ends_str32(const char *p, size_t n, const char *text,
		     size_t tlen);
static void	 sess_stream_open(struct gl_buf *b, const char *name,
		     size_t nlen, const char *text, size_t tlen);
static int	 sess_buf_write(void *data, const char *buf, size_t len);
static char	*sess_spill_dir(const struct sess *s);
static char	*sess_spill_name(const struct sess *s, const char *id);
static void	 sess_spill_start(struct sess *s, struct sess_cell_out *co);
static void	 sess_spill_obj(struct sess_spill *sp, const msgpack_object *o);
static void	 sess_spill_raw(struct sess_spill *sp, const char *p, size_t n);
static void	 sess_spill_write(struct sess_spill *sp, const char *p,
		     size_t n);
static void	 sess_spill_close(struct sess_spill *sp);

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
	sess_out_put(s, run, output, NULL, 0);
}

void
sess_out_put(struct sess *s, uint64_t run, const msgpack_object *o,
    const char *p, size_t n)
{
	struct rpc_writer *w = &s->set->note;
	struct sess_cell_out *co;
	msgpack_packer	*pk;
	size_t		 at;
	bool		 cut, tail;

	if (s->closing || s->cur == NULL || s->cur->id != run)
		return;
	pk = sess_note_begin(s->set, "cell.output");
	msgpack_pack_map(pk, 4);
	rpc_pack_kv_str(pk, "session", s->id);
	rpc_pack_kv_str(pk, "cell", s->cur->cell);
	rpc_pack_kv_int(pk, "run", (int64_t)run);
	rpc_pack_key(pk, "output");
	tail = p != NULL;
	if (!tail) {
		at = w->sbuf.size;
		msgpack_pack_object(pk, *o);
		p = w->sbuf.data + at;
		n = w->sbuf.size - at;
	}
	/* The kept copy is made of the bytes the clients get. */
	co = sess_outs(s, s->cur->cell, true);
	cut = co->truncated;
	sess_outs_add(co, o, p, n);
	if (!cut && co->truncated)
		sess_spill_start(s, co);
	if (co->spill != NULL)
		sess_spill_obj(co->spill, o);
	/* The runtime's bytes follow the notification's head as they are,
	 * not copied after it first. */
	if (tail)
		sess_broadcast_tail(s, p, n);
	else
		sess_broadcast(s, NULL);
}

struct sess_cell_out *
sess_outs(struct sess *s, const char *id, bool create)
{
	struct sess_cell_out	*co;
	size_t			 len = strlen(id);

	/* By hash: a run looks up its cell's outputs for every output, and
	 * doc.get for every cell. */
	if ((co = gl_map_get(&s->outs_by_id, id, len)) != NULL || !create)
		return co;
	if (s->nouts == s->capouts) {
		s->capouts = s->capouts ? 2 * s->capouts : 16;
		s->outs = xrealloc(s->outs, s->capouts * sizeof *s->outs);
	}
	co = s->outs[s->nouts++] = xcalloc(1, sizeof *co);
	snprintf(co->id, sizeof co->id, "%s", id);
	gl_map_put(&s->outs_by_id, co->id, strlen(co->id), co);
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
	sess_spill_close(co->spill);
	co->spill = NULL;
}

void
sess_outs_reset(struct sess *s, struct sess_cell_out *co)
{
	char	*dir, *name, *path;

	sess_outs_clear(co);
	if ((dir = sess_spill_dir(s)) == NULL)
		return;
	name = sess_spill_name(s, co->id);
	path = gl_path_join(dir, name);
	if (unlink(path) != 0 && errno != ENOENT)
		log_info("%s: cannot remove %s: %s", s->id, path,
		    strerror(errno));
	free(path);
	free(name);
	free(dir);
}

void
sess_outs_end(struct sess_cell_out *co)
{
	char	*note;

	if (!co->truncated)
		return;
	if (co->spill == NULL)
		note = xasprintf(SESS_TRUNC_PREFIX " at %zu MiB; the rest "
		    "was not kept]\n", SESS_OUT_MAX >> 20);
	else if (co->spill->err[0] != '\0')
		note = xasprintf(SESS_TRUNC_PREFIX " at %zu MiB; the full "
		    "output could not be written to %s: %s]\n",
		    SESS_OUT_MAX >> 20, co->spill->path, co->spill->err);
	else
		note = xasprintf(SESS_TRUNC_PREFIX " at %zu MiB; the full "
		    "output is in %s]\n", SESS_OUT_MAX >> 20,
		    co->spill->path);
	sess_outs_note(co, note);
	free(note);
	sess_spill_close(co->spill);
	co->spill = NULL;
}

void
sess_outs_error(struct sess_cell_out *co, const char *p, size_t n)
{
	sess_outs_put(co, p, n);
	if (co->spill != NULL)
		sess_spill_raw(co->spill, p, n);
}

void
sess_outs_sweep(struct sess *s)
{
	char		*dir, *name, *id, *path;
	size_t		 plen;
	DIR		*d;
	struct dirent	*de;
	struct sess_cell_out *co;

	if ((dir = sess_spill_dir(s)) == NULL)
		return;
	if ((d = opendir(dir)) == NULL) {
		free(dir);
		return;
	}
	/* "HASH-" of this notebook's files. */
	name = sess_spill_name(s, "");
	plen = strlen(name) - 4;
	while ((de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name);

		if (len <= plen + 4 || strncmp(de->d_name, name, plen) != 0 ||
		    strcmp(de->d_name + len - 4, ".txt") != 0)
			continue;
		id = xstrndup(de->d_name + plen, len - plen - 4);
		co = sess_outs(s, id, false);
		if (co == NULL || !co->truncated) {
			path = gl_path_join(dir, de->d_name);
			(void)unlink(path);
			free(path);
		}
		free(id);
	}
	closedir(d);
	free(name);
	free(dir);
}

/* Keeps a copy of output o, p[0..n) its bytes, unless the cell's cap is
 * reached; consecutive stream outputs of one name are merged. */
void
sess_outs_add(struct sess_cell_out *co, const msgpack_object *o,
    const char *p, size_t n)
{
	const char	*type, *text, *name;
	size_t		 tlen = 0, textlen = 0, nlen = 0;
	struct sess_out_item *it;
	uint64_t	 job;

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
		sess_outs_stream(co, name, nlen, text, textlen, p, n);
		return;
	}
	if (type != NULL && tlen == 8 && memcmp(type, "progress", 8) == 0) {
		/* A progress bar is kept once per job: the latest. */
		job = (uint64_t)rpc_map_int(o, "job", 0) + 1;
		for (size_t i = co->n; i > 0; i--) {
			it = &co->items[i - 1];
			if (it->progress != job)
				continue;
			co->bytes -= it->data.len;
			gl_buf_reset(&it->data);
			gl_buf_add(&it->data, p, n);
			co->bytes += n;
			return;
		}
		if (!sess_item_fits(co, n))
			return;
		it = sess_item_new(co);
		it->progress = job;
		gl_buf_add(&it->data, p, n);
		return;
	}
	sess_outs_put(co, p, n);
}

/* Keeps p[0..n), an output the kernel does not look into (a result, a
 * table, an error), unless the cell's cap is reached. */
void
sess_outs_put(struct sess_cell_out *co, const char *p, size_t n)
{
	if (co->truncated || !sess_item_fits(co, n))
		return;
	gl_buf_add(&sess_item_new(co)->data, p, n);
}

/* Appends a note to the cell's outputs whatever the cap. */
void
sess_outs_note(struct sess_cell_out *co, const char *text)
{
	struct sess_out_item *it = sess_item_new(co);

	it->stream = true;
	memcpy(it->name, "stderr", 7);
	it->text = strlen(text);
	sess_stream_open(&it->data, "stderr", 6, text, it->text);
}

/* A run's error the kernel made (the runtime died or could not run the
 * cell) as an error output, {type = "error", message}, into b. */
void
sess_error_output(struct gl_buf *b, const char *message)
{
	msgpack_packer	 pk;

	msgpack_packer_init(&pk, b, sess_buf_write);
	msgpack_pack_map(&pk, 2);
	rpc_pack_kv_str(&pk, "type", "error");
	rpc_pack_kv_str(&pk, "message", message);
}

/* Each kept output is stored as the bytes it is kept as. */
void
sess_outs_store(struct sess *s, const struct sess_cell_out *co)
{
	struct store_blob	*blobs;
	struct gl_err		 err;

	if (s->ephemeral || s->store == NULL)
		return;
	blobs = xcalloc(co->n + 1, sizeof *blobs);
	for (size_t i = 0; i < co->n; i++) {
		blobs[i].p = co->items[i].data.data;
		blobs[i].len = co->items[i].data.len;
	}
	if (store_outputs_put(s->store, s->key, co->id, co->hash, blobs,
	    co->n, &err) != 0)
		log_info("%s: outputs of cell %s not stored: %s", s->id, co->id,
		    err.msg);
	free(blobs);
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

		if (text != NULL && tlen >= sizeof SESS_TRUNC_PREFIX - 1 &&
		    memcmp(text, SESS_TRUNC_PREFIX, sizeof SESS_TRUNC_PREFIX -
		    1) == 0) {
			char *note = xstrndup(text, tlen);

			sess_outs_note(co, note);
			free(note);
			co->truncated = true;
		} else if (!co->truncated)
			sess_outs_add(co, &up.data, p, len);
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
		rpc_pack_raw(pk, co->items[i].data.data, co->items[i].data.len);
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

/* A new empty item at the end of co's outputs. */
static struct sess_out_item *
sess_item_new(struct sess_cell_out *co)
{
	struct sess_out_item *it;

	if (co->n == co->cap) {
		co->cap = co->cap ? 2 * co->cap : 4;
		co->items = xrealloc(co->items, co->cap * sizeof *co->items);
	}
	it = &co->items[co->n++];
	memset(it, 0, sizeof *it);
	gl_buf_init(&it->data);
	return it;
}

/* Counts n more bytes against the cell's cap, or marks the outputs
 * truncated: false then. */
static bool
sess_item_fits(struct sess_cell_out *co, size_t n)
{
	if (co->bytes + n > SESS_OUT_MAX) {
		co->truncated = true;
		return false;
	}
	co->bytes += n;
	return true;
}

/*
 * A stream output: text[0..tlen) of stream name, p[0..n) its bytes. It
 * grows the last kept output if that is the same stream; else it is kept
 * as it came when its text is the str 32 at its end (the runtime's are),
 * or written so.
 */
static void
sess_outs_stream(struct sess_cell_out *co, const char *name, size_t nlen,
    const char *text, size_t tlen, const char *p, size_t n)
{
	struct sess_out_item *it = co->n > 0 ? &co->items[co->n - 1] : NULL;
	unsigned char	*h;

	if (!sess_item_fits(co, tlen))
		return;
	if (it != NULL && it->stream && strlen(it->name) == nlen &&
	    memcmp(it->name, name, nlen) == 0) {
		gl_buf_add(&it->data, text, tlen);
		it->text += tlen;
		h = (unsigned char *)it->data.data + it->data.len - it->text -
		    RPC_STR32_HDR;
		h[1] = (unsigned char)(it->text >> 24);
		h[2] = (unsigned char)(it->text >> 16);
		h[3] = (unsigned char)(it->text >> 8);
		h[4] = (unsigned char)it->text;
		return;
	}
	it = sess_item_new(co);
	it->stream = true;
	memcpy(it->name, name, nlen);
	it->text = tlen;
	if (sess_ends_str32(p, n, text, tlen))
		gl_buf_add(&it->data, p, n);
	else
		sess_stream_open(&it->data, name, nlen, text, tlen);
}

/* True if p[0..n) ends with text[0..tlen), a pointer into it, as a str 32
 * (whose header then cannot be anything else: no shorter string header
 * ends in the same bytes). */
static bool
sess_ends_str32(const char *p, size_t n, const char *text, size_t tlen)
{
	const unsigned char *h = (const unsigned char *)text - RPC_STR32_HDR;

	if (tlen > UINT32_MAX || n < tlen + RPC_STR32_HDR ||
	    text != p + n - tlen)
		return false;
	return h[0] == 0xdb && ((uint32_t)h[1] << 24 | (uint32_t)h[2] << 16 |
	    (uint32_t)h[3] << 8 | h[4]) == tlen;
}

/* Writes {type = "stream", name, text} into b with the text last, as a
 * str 32, so that more can be appended to it. */
static void
sess_stream_open(struct gl_buf *b, const char *name, size_t nlen,
    const char *text, size_t tlen)
{
	msgpack_packer	 pk;

	msgpack_packer_init(&pk, b, sess_buf_write);
	msgpack_pack_map(&pk, 3);
	rpc_pack_kv_str(&pk, "type", "stream");
	rpc_pack_key(&pk, "name");
	rpc_pack_strn(&pk, name, nlen);
	rpc_pack_key(&pk, "text");
	rpc_pack_str32(&pk, text, tlen);
}

static int
sess_buf_write(void *data, const char *buf, size_t len)
{
	gl_buf_add(data, buf, len);
	return 0;
}

/* The directory of s's full outputs (the store's, then outputs/), or
 * NULL for a session without a store. Caller frees. */
static char *
sess_spill_dir(const struct sess *s)
{
	const char	*db;
	const char	*slash;
	char		*dir, *out;

	if (s->store == NULL || s->key == NULL)
		return NULL;
	db = store_db_path(s->store);
	if ((slash = strrchr(db, '/')) == NULL)
		return NULL;
	dir = xstrndup(db, slash == db ? 1 : (size_t)(slash - db));
	out = gl_path_join(dir, "outputs");
	free(dir);
	return out;
}

/* "HASH-ID.txt": HASH the first 16 digits of the hash of s's key, so
 * the notebooks of one store do not share names. Caller frees. */
static char *
sess_spill_name(const struct sess *s, const char *id)
{
	char	 h[GL_HASH_HEX];

	gl_hash_hex(s->key, strlen(s->key), h);
	return xasprintf("%.16s-%s.txt", h, id);
}

/* co's outputs were just cut: its full output goes to a file from now
 * on, beginning with what was kept. A session without a store (an
 * ephemeral one) keeps no file. */
static void
sess_spill_start(struct sess *s, struct sess_cell_out *co)
{
	struct sess_spill *sp;
	struct gl_err	 err;
	char		*dir, *name;

	if ((dir = sess_spill_dir(s)) == NULL)
		return;
	sp = co->spill = xcalloc(1, sizeof *sp);
	name = sess_spill_name(s, co->id);
	sp->path = gl_path_join(dir, name);
	free(name);
	sp->fd = -1;
	gl_err_clear(&err);
	if (gl_mkdir_p(dir, 0700, &err) != 0)
		snprintf(sp->err, sizeof sp->err, "%.100s", err.msg);
	else if ((sp->fd = open(sp->path, O_WRONLY | O_CREAT | O_TRUNC |
	    O_CLOEXEC, 0600)) < 0)
		snprintf(sp->err, sizeof sp->err, "%s", strerror(errno));
	free(dir);
	if (sp->fd < 0) {
		log_info("%s: full output of cell %s not written: %s", s->id,
		    co->id, sp->err);
		return;
	}
	for (size_t i = 0; i < co->n; i++) {
		const struct sess_out_item *it = &co->items[i];

		if (it->stream)
			sess_spill_write(sp, it->data.data + it->data.len -
			    it->text, it->text);
		else if (it->progress == 0)
			sess_spill_raw(sp, it->data.data, it->data.len);
	}
}

/* Writes the text of output o to the file: a stream's as it is, a
 * result's as a line, an error's message and traceback. */
static void
sess_spill_obj(struct sess_spill *sp, const msgpack_object *o)
{
	const msgpack_object *type = rpc_map_get(o, "type");
	const char	*text;
	size_t		 len;

	if (sp->fd < 0)
		return;
	if (rpc_obj_streq(type, "stream") || rpc_obj_streq(type, "result")) {
		if ((text = rpc_map_str(o, "text", &len)) == NULL)
			return;
		sess_spill_write(sp, text, len);
		if (rpc_obj_streq(type, "result"))
			sess_spill_write(sp, "\n", 1);
	} else if (rpc_obj_streq(type, "error")) {
		if ((text = rpc_map_str(o, "message", &len)) != NULL) {
			sess_spill_write(sp, text, len);
			sess_spill_write(sp, "\n", 1);
		}
		if ((text = rpc_map_str(o, "traceback", &len)) != NULL &&
		    len > 0) {
			sess_spill_write(sp, text, len);
			if (text[len - 1] != '\n')
				sess_spill_write(sp, "\n", 1);
		}
	}
}

/* sess_spill_obj() of an output given as its bytes. */
static void
sess_spill_raw(struct sess_spill *sp, const char *p, size_t n)
{
	msgpack_unpacked up;
	size_t		 off = 0;

	if (sp->fd < 0)
		return;
	msgpack_unpacked_init(&up);
	if (msgpack_unpack_next(&up, p, n, &off) == MSGPACK_UNPACK_SUCCESS &&
	    up.data.type == MSGPACK_OBJECT_MAP)
		sess_spill_obj(sp, &up.data);
	msgpack_unpacked_destroy(&up);
}

/* Appends p[0..n) to the file; a failure (a full disk) closes it and is
 * what the note says. */
static void
sess_spill_write(struct sess_spill *sp, const char *p, size_t n)
{
	ssize_t	 k;

	while (sp->fd >= 0 && n > 0) {
		if ((k = write(sp->fd, p, n)) < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			snprintf(sp->err, sizeof sp->err, "%s", k < 0 ?
			    strerror(errno) : "nothing written");
			close(sp->fd);
			sp->fd = -1;
			return;
		}
		p += k;
		n -= (size_t)k;
	}
}

static void
sess_spill_close(struct sess_spill *sp)
{
	if (sp == NULL)
		return;
	if (sp->fd >= 0)
		close(sp->fd);
	free(sp->path);
	free(sp);
}

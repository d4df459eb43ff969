/*
 * session-complete.c - cell.complete and cell.inspect (kernel/session.h),
 * Jupyter's complete_request and inspect_request for galley: names from
 * the live session for the code before a cursor, and what a name holds.
 *
 * The answer comes in a notification to the client that asked
 * (cell.completion, cell.inspection) carrying the number the request's
 * reply gave, so that every request is still answered before the next
 * one is read and the kernel never waits on a runtime. When the runtime
 * is idle the question goes to it (kernel/rth.h's rth_request; the
 * runtime's lua/complete.c answers). When there is none yet, or it runs
 * a cell (it reads nothing else then), or it dies before answering, the
 * kernel answers from what it knows: the names written in the
 * notebook's cells and Lua's keywords (an inspection then says why it
 * cannot), with a note saying so.
 */
#include "kernel/session_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/luactx.h"
#include "core/mem.h"
#include "core/notebook.h"
#include "core/rpc.h"
#include "kernel/req.h"
#include "kernel/rth.h"

#define ASK_CODE_MAX	((size_t)1 << 20)	/* code sent with a question */
#define ASK_WORDS_MAX	((size_t)8 << 20)	/* notebook bytes read for words */
#define ASK_MATCHES	200

struct ask_args {
	const char	*code;
	size_t		 len, cursor;
};

struct words {
	const char	*word;		/* the prefix typed */
	size_t		 wlen;
	char		**v;		/* owned */
	size_t		 n, cap;
};

static void	 answer_notebook(struct sess *s, uint64_t client,
		     uint64_t request, bool inspect, const char *code,
		     size_t len, size_t cursor, const char *why);

static void
pack_ask(msgpack_packer *pk, const void *arg)
{
	const struct ask_args *a = arg;

	msgpack_pack_map(pk, 2);
	rpc_pack_key(pk, "code");
	rpc_pack_strn(pk, a->code, a->len);
	rpc_pack_kv_int(pk, "cursor", (int64_t)a->cursor);
}

/* Sends the scratch notification to the client of s with id client, if
 * it is still attached. */
static void
send_to(struct sess *s, uint64_t client)
{
	struct rpc_writer *w = &s->set->note;

	for (size_t i = 0; i < s->nclients; i++)
		if (s->clients[i]->id == client) {
			req_client_send(s->clients[i], w->sbuf.data,
			    w->sbuf.size);
			return;
		}
}

/* Forgets ask k of s. */
static void
ask_drop(struct sess *s, size_t k)
{
	free(s->asks[k].code);
	memmove(&s->asks[k], &s->asks[k + 1], (s->nasks - k - 1) *
	    sizeof s->asks[0]);
	s->nasks--;
}

static int
sess_ask(struct sess_set *ss, struct req *r, bool inspect, struct gl_err *err)
{
	const char	*method = inspect ? "cell.inspect" : "cell.complete";
	struct sess	*s;
	struct ask_args	 a;
	struct gl_err	 e = { 0 };
	msgpack_packer	*pk;
	uint64_t	 request;
	uint32_t	 id;
	int64_t		 cursor;

	if ((s = sess_get(ss, r, true, err)) == NULL)
		return err->code;
	a.code = rpc_map_str(r->args, "code", &a.len);
	cursor = rpc_map_int(r->args, "cursor", -1);
	if (a.code == NULL || cursor < 0 || (size_t)cursor > a.len)
		return gl_err_set(err, GL_EINVAL, "%s: wants {session, code, "
		    "cursor} with 0 <= cursor <= the code's length", method);
	if (a.len > ASK_CODE_MAX)
		return gl_err_set(err, GL_EINVAL, "%s: code over %zu bytes",
		    method, ASK_CODE_MAX);
	a.cursor = (size_t)cursor;
	request = ++s->next_ask;
	pk = req_reply_begin(r);
	msgpack_pack_map(pk, 1);
	rpc_pack_kv_int(pk, "request", (int64_t)request);
	req_reply_end(r);
	if (s->rt == NULL) {
		answer_notebook(s, r->client->id, request, inspect, a.code,
		    a.len, a.cursor, "no runtime yet (run a cell first)");
		return 0;
	}
	if (rth_request(s->rt, inspect ? "inspect" : "complete", pack_ask,
	    &a, &id, &e) != 0) {
		answer_notebook(s, r->client->id, request, inspect, a.code,
		    a.len, a.cursor, e.code == GL_EBUSY ? "the runtime is "
		    "busy running a cell" : "the runtime is not running");
		return 0;
	}
	if (s->nasks == SESS_ASKS_MAX) {
		/* Never more than a few questions wait: the oldest is
		 * answered from the notebook. */
		struct sess_ask *o = &s->asks[0];

		answer_notebook(s, o->client, o->request, o->inspect, o->code,
		    o->len, o->cursor, "too many questions at once");
		ask_drop(s, 0);
	}
	s->asks[s->nasks++] = (struct sess_ask){ .rt_id = id,
	    .request = request, .client = r->client->id, .inspect = inspect,
	    .code = xstrndup(a.code, a.len), .len = a.len,
	    .cursor = a.cursor };
	return 0;
}

/* cell.complete {session, code, cursor} */
int
sess_rpc_cell_complete(struct sess_set *ss, struct req *r, struct gl_err *err)
{
	return sess_ask(ss, r, false, err);
}

/* cell.inspect {session, code, cursor} */
int
sess_rpc_cell_inspect(struct sess_set *ss, struct req *r, struct gl_err *err)
{
	return sess_ask(ss, r, true, err);
}

void
sess_on_reply(void *ctx, const struct rpc_msg *m)
{
	struct sess		*s = ctx;
	struct sess_ask		*a = NULL;
	struct gl_err		 err = { 0 };
	msgpack_packer		*pk;
	const msgpack_object	*res = m->result;
	size_t			 k;

	for (k = 0; k < s->nasks && a == NULL; k++)
		if (s->asks[k].rt_id == m->id)
			a = &s->asks[k];
	if (a == NULL || s->closing)
		return;
	k--;
	if (rpc_msg_error(m, &err) != 0 || res == NULL ||
	    res->type != MSGPACK_OBJECT_MAP) {
		char	 why[600];

		snprintf(why, sizeof why, "the runtime could not answer: %s",
		    err.msg[0] ? err.msg : "no answer");
		answer_notebook(s, a->client, a->request, a->inspect, a->code,
		    a->len, a->cursor, why);
		ask_drop(s, k);
		return;
	}
	/* The runtime's map, with who it answers. */
	pk = sess_note_begin(s->set, a->inspect ? "cell.inspection" :
	    "cell.completion");
	msgpack_pack_map(pk, 3 + res->via.map.size);
	rpc_pack_kv_str(pk, "session", s->id);
	rpc_pack_kv_int(pk, "request", (int64_t)a->request);
	rpc_pack_kv_str(pk, "source", "runtime");
	for (uint32_t i = 0; i < res->via.map.size; i++) {
		msgpack_pack_object(pk, res->via.map.ptr[i].key);
		msgpack_pack_object(pk, res->via.map.ptr[i].val);
	}
	send_to(s, a->client);
	ask_drop(s, k);
}

void
sess_asks_fail(struct sess *s, bool answer)
{
	while (s->nasks > 0) {
		struct sess_ask *a = &s->asks[0];

		if (answer)
			answer_notebook(s, a->client, a->request, a->inspect,
			    a->code, a->len, a->cursor, "the runtime stopped "
			    "before it answered");
		ask_drop(s, 0);
	}
}

/* ------------------------------------------------------------------ */
/* Answers from the notebook */

static bool
on_word(void *ctx, const char *w, size_t n)
{
	struct words	*ws = ctx;

	if (n < ws->wlen || (n == ws->wlen && memcmp(w, ws->word, n) == 0) ||
	    memcmp(w, ws->word, ws->wlen) != 0 || luactx_is_keyword(w, n))
		return true;
	if (ws->n == ws->cap) {
		ws->cap = ws->cap ? ws->cap * 2 : 64;
		ws->v = xrealloc(ws->v, ws->cap * sizeof *ws->v);
	}
	ws->v[ws->n++] = xstrndup(w, n);
	return ws->n < 100000;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The words of the notebook's cells (and of code) that complete the name
 * before the cursor, and Lua's keywords that do. */
static void
pack_words(struct sess *s, msgpack_packer *pk, const char *code, size_t len,
    const struct luactx *cx, size_t cursor)
{
	struct words	 ws = { code + cx->word, cursor - cx->word, NULL, 0, 0 };
	size_t		 read = 0, n = 0, kw = 0;

	if (cx->kind == LUACTX_NAME && cx->sep == 0) {
		luactx_words(code, len, on_word, &ws);
		for (size_t i = 0; i < nb_doc_count(s->doc) &&
		    read < ASK_WORDS_MAX && ws.n < 100000; i++) {
			size_t		 sl;
			const char	*src = nb_cell_source(nb_doc_cell(
					    s->doc, i), &sl);

			luactx_words(src, sl, on_word, &ws);
			read += sl;
		}
		for (size_t i = 0; luactx_keywords[i] != NULL; i++)
			if (strncmp(luactx_keywords[i], ws.word, ws.wlen) ==
			    0 && strlen(luactx_keywords[i]) > ws.wlen)
				kw++;
	}
	if (ws.n > 0)
		qsort(ws.v, ws.n, sizeof *ws.v, cmp_str);
	for (size_t i = 0; i < ws.n; i++)
		n += i == 0 || strcmp(ws.v[i], ws.v[i - 1]) != 0;
	if (n + kw > ASK_MATCHES)
		n = ASK_MATCHES > kw ? ASK_MATCHES - kw : 0;
	msgpack_pack_array(pk, n + kw);
	for (size_t i = 0, k = 0; i < ws.n && k < n; i++) {
		if (i > 0 && strcmp(ws.v[i], ws.v[i - 1]) == 0)
			continue;
		msgpack_pack_map(pk, 2);
		rpc_pack_kv_str(pk, "text", ws.v[i]);
		rpc_pack_kv_str(pk, "kind", "word");
		k++;
	}
	for (size_t i = 0; kw > 0 && luactx_keywords[i] != NULL; i++)
		if (strncmp(luactx_keywords[i], ws.word, ws.wlen) == 0 &&
		    strlen(luactx_keywords[i]) > ws.wlen) {
			msgpack_pack_map(pk, 2);
			rpc_pack_kv_str(pk, "text", luactx_keywords[i]);
			rpc_pack_kv_str(pk, "kind", "keyword");
		}
	for (size_t i = 0; i < ws.n; i++)
		free(ws.v[i]);
	free(ws.v);
}

static void
answer_notebook(struct sess *s, uint64_t client, uint64_t request,
    bool inspect, const char *code, size_t len, size_t cursor,
    const char *why)
{
	msgpack_packer	*pk;
	struct luactx	 cx;
	char		 note[256];

	pk = sess_note_begin(s->set, inspect ? "cell.inspection" :
	    "cell.completion");
	if (inspect) {
		snprintf(note, sizeof note, "%s: nothing to inspect", why);
		msgpack_pack_map(pk, 5);
		rpc_pack_kv_str(pk, "session", s->id);
		rpc_pack_kv_int(pk, "request", (int64_t)request);
		rpc_pack_kv_str(pk, "source", "notebook");
		rpc_pack_kv_bool(pk, "found", false);
		rpc_pack_kv_str(pk, "message", note);
	} else {
		snprintf(note, sizeof note, "%s: names from the notebook",
		    why);
		luactx_at(code, len, cursor, &cx);
		msgpack_pack_map(pk, 7);
		rpc_pack_kv_str(pk, "session", s->id);
		rpc_pack_kv_int(pk, "request", (int64_t)request);
		rpc_pack_kv_str(pk, "source", "notebook");
		rpc_pack_kv_str(pk, "note", note);
		rpc_pack_key(pk, "matches");
		pack_words(s, pk, code, len, &cx, cursor);
		rpc_pack_kv_int(pk, "start", (int64_t)cx.word);
		rpc_pack_kv_int(pk, "end", (int64_t)cursor);
	}
	send_to(s, client);
}

/*
 * kclient.h - the protocol tests' side of the wire: the client library
 * (client/) with a JSON face, so a test writes a call's arguments with
 * json_pack() and reads its result as a jansson value (msgpack binary
 * becomes a hex string). Connecting, framing, matching responses to
 * requests, the notification queue and the TCP handshake are client/'s;
 * this file adds the conversion, keeps the last call's error in k->code
 * and k->msg, and gives every wait a deadline. Peers that must misbehave
 * (garbage, a wrong handshake) are in kraw.h; the kernel process is in
 * kproc.h. Static inline so each test program can include it (CMake
 * compiles only tests/<mod>/test_*.c).
 */
#ifndef KCLIENT_H
#define KCLIENT_H

#include <jansson.h>
#include <poll.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/client.h"
#include "core/err.h"
#include "core/mem.h"
#include "core/rpc.h"
#include "kproc.h"

/* msgpack -> JSON (the other way is core/rpc.h's rpc_pack_json()). */

static inline json_t *
kc_to_json(const msgpack_object *o)
{
	json_t *j;

	switch (o->type) {
	case MSGPACK_OBJECT_NIL:
		return json_null();
	case MSGPACK_OBJECT_BOOLEAN:
		return json_boolean(o->via.boolean);
	case MSGPACK_OBJECT_POSITIVE_INTEGER:
		return json_integer((json_int_t)o->via.u64);
	case MSGPACK_OBJECT_NEGATIVE_INTEGER:
		return json_integer((json_int_t)o->via.i64);
	case MSGPACK_OBJECT_FLOAT32:
	case MSGPACK_OBJECT_FLOAT64:
		return json_real(o->via.f64);
	case MSGPACK_OBJECT_STR:
		j = json_stringn(o->via.str.ptr, o->via.str.size);
		return j != NULL ? j : json_string("<invalid utf-8>");
	case MSGPACK_OBJECT_BIN: {
		char *hex = xmalloc(2 * o->via.bin.size + 1);

		sodium_bin2hex(hex, 2 * o->via.bin.size + 1,
		    (const unsigned char *)o->via.bin.ptr, o->via.bin.size);
		j = json_string(hex);
		free(hex);
		return j;
	}
	case MSGPACK_OBJECT_ARRAY:
		j = json_array();
		for (uint32_t i = 0; i < o->via.array.size; i++)
			json_array_append_new(j,
			    kc_to_json(&o->via.array.ptr[i]));
		return j;
	case MSGPACK_OBJECT_MAP:
		j = json_object();
		for (uint32_t i = 0; i < o->via.map.size; i++) {
			const msgpack_object *k = &o->via.map.ptr[i].key;
			char *key;

			if (k->type != MSGPACK_OBJECT_STR)
				continue;
			key = xstrndup(k->via.str.ptr, k->via.str.size);
			json_object_set_new(j, key,
			    kc_to_json(&o->via.map.ptr[i].val));
			free(key);
		}
		return j;
	default:
		return json_null();
	}
}

/* A connection to a kernel. */
struct kc {
	struct cl_conn	*conn;		/* owned */
	int		 code;		/* the last call's error: GL_E*, or 0 */
	char		 msg[512];	/* and its message */
};

/* Connects to kernel ("unix:PATH" or "tcp:HOST:PORT", the latter
 * authenticated with the token in token_file), never starting one. NULL
 * if that fails (KT_LOG set: says why). */
static inline struct kc *
kc_connect(const char *kernel, const char *token_file)
{
	struct cl_opts	 o;
	struct cl_conn	*c;
	struct gl_err	 err;
	struct kc	*k;

	cl_opts_init(&o);
	o.kernel = kernel;
	o.token_file = token_file;
	o.autostart = false;
	o.timeout_ms = KC_WAIT_MS;
	if (cl_connect(&o, &c, &err) != 0) {
		if (getenv("KT_LOG") != NULL)
			fprintf(stderr, "kclient: %s: %s\n", kernel, err.msg);
		return NULL;
	}
	k = xcalloc(1, sizeof *k);
	k->conn = c;
	return k;
}

/* Connects to the TCP kernel at addr as member with its token (the
 * token's text); NULL if refused (*why, if not NULL, gets the message:
 * the caller frees it). */
static inline struct kc *
kc_connect_member(const char *addr, const char *member, const char *token,
    char **why)
{
	struct cl_opts	 o;
	struct cl_conn	*c;
	struct gl_err	 err;
	struct kc	*k;
	char		*spec = xasprintf("tcp:%s", addr);

	cl_opts_init(&o);
	o.kernel = spec;
	o.member = member;
	o.token = token;
	o.autostart = false;
	o.timeout_ms = KC_WAIT_MS;
	if (why != NULL)
		*why = NULL;
	if (cl_connect(&o, &c, &err) != 0) {
		if (why != NULL)
			*why = xstrdup(err.msg);
		free(spec);
		return NULL;
	}
	free(spec);
	k = xcalloc(1, sizeof *k);
	k->conn = c;
	return k;
}

static inline struct kc *
kc_connect_unix(const char *path)
{
	char		*addr = xasprintf("unix:%s", path);
	struct kc	*k = kc_connect(addr, NULL);

	free(addr);
	return k;
}

/* addr is host:port as the kernel's kernel.info "listen" gives it. */
static inline struct kc *
kc_connect_tcp(const char *addr, const char *token_file)
{
	char		*spec = xasprintf("tcp:%s", addr);
	struct kc	*k = kc_connect(spec, token_file);

	free(spec);
	return k;
}

static inline void
kc_free(struct kc *k)
{
	if (k == NULL)
		return;
	cl_close(k->conn);
	free(k);
}

static inline void
kc_fail(struct kc *k, const struct gl_err *err)
{
	k->code = err->code;
	snprintf(k->msg, sizeof k->msg, "%s", err->msg);
}

/* Sends a request; args is stolen (NULL = {}). Returns its id. */
static inline uint32_t
kc_send(struct kc *k, const char *method, json_t *args)
{
	struct rpc_writer	*w;
	struct gl_err		 err;
	uint32_t		 id;

	w = cl_begin(k->conn, method, &id);
	if (args != NULL)
		rpc_pack_json(&w->pk, args);
	else
		msgpack_pack_map(&w->pk, 0);
	if (cl_send(k->conn, &err) != 0)
		kc_fail(k, &err);
	json_decref(args);
	return id;
}

/* Waits for the response to id. Returns the result (caller decrefs), or
 * NULL with k->code and k->msg set: the kernel's error, or GL_ETIMEDOUT
 * or GL_ECLOSED when no response came. */
static inline json_t *
kc_wait(struct kc *k, uint32_t id, int timeout_ms)
{
	struct rpc_msg	 m;
	struct gl_err	 err;
	json_t		*result;

	k->code = 0;
	k->msg[0] = '\0';
	if (cl_wait(k->conn, id, &m, timeout_ms, &err) != 0) {
		kc_fail(k, &err);
		return NULL;
	}
	result = kc_to_json(m.result);
	rpc_msg_fini(&m);
	return result;
}

/* A call: args stolen (may be NULL). With KT_LOG set, errors are
 * printed. */
static inline json_t *
kc_call(struct kc *k, const char *method, json_t *args)
{
	json_t *r = kc_wait(k, kc_send(k, method, args), KC_WAIT_MS);

	if (r == NULL && getenv("KT_LOG") != NULL)
		fprintf(stderr, "kclient: %s: %s (%s)\n", method, k->msg,
		    gl_err_name(k->code));
	return r;
}

struct kc_match {
	const char	*key;
	const json_t	*value;
};

static inline bool
kc_on_match(const struct rpc_msg *m, void *ctx)
{
	const struct kc_match	*km = ctx;
	const msgpack_object	*o = rpc_map_get(m->args, km->key);
	json_t			*j;
	bool			 same;

	if (o == NULL || km->value == NULL)
		return false;
	j = kc_to_json(o);
	same = json_equal(j, km->value);
	json_decref(j);
	return same;
}

/* Waits for a notification named method whose params have key == value
 * (value stolen; key NULL = any). Takes it out of the queue and returns
 * its params (caller decrefs), or NULL at the deadline or once the
 * kernel closed the connection without sending one. */
static inline json_t *
kc_note(struct kc *k, const char *method, const char *key, json_t *value,
    int timeout_ms)
{
	struct kc_match	 km = { key, value };
	struct rpc_msg	 m;
	struct gl_err	 err;
	json_t		*res = NULL;

	if (cl_wait_notify(k->conn, method, key != NULL ? kc_on_match : NULL,
	    &km, &m, timeout_ms, &err) == 1) {
		res = kc_to_json(m.args);
		rpc_msg_fini(&m);
	}
	json_decref(value);
	return res;
}

/* Takes every notification named method (NULL = any) that has arrived,
 * reading what is there without waiting; returns how many. */
static inline size_t
kc_drain_notes(struct kc *k, const char *method)
{
	struct rpc_msg	 m;
	struct gl_err	 err;
	size_t		 n = 0;

	while (cl_wait_notify(k->conn, method, NULL, NULL, &m, 0, &err) == 1) {
		rpc_msg_fini(&m);
		n++;
	}
	return n;
}

/* Reads what arrives until deadline (absolute, kc_now_ms()) or one
 * read's worth, and queues it. Returns 1 if something was read, 0 at the
 * deadline, -1 once the connection is closed. */
static inline int
kc_pump(struct kc *k, uint64_t deadline)
{
	struct pollfd	 pfd = { .fd = cl_fd(k->conn), .events = POLLIN };
	uint64_t	 now = kc_now_ms();

	if (poll(&pfd, 1, now >= deadline ? 0 : (int)(deadline - now)) <= 0)
		return 0;
	return cl_pump(k->conn, NULL) < 0 ? -1 : 1;
}

/* True if the kernel closed the connection before the deadline. */
static inline bool
kc_wait_closed(struct kc *k, int timeout_ms)
{
	uint64_t deadline = kc_now_ms() + (uint64_t)timeout_ms;

	do {
		if (kc_pump(k, deadline) < 0)
			return true;
	} while (kc_now_ms() < deadline);
	return false;
}

/* doc.edit of one text op inserting text at byte off of cell, whose
 * source is srclen bytes; returns the result (caller decrefs) or NULL. */
static inline json_t *
kc_insert_text(struct kc *k, const char *sid, long long version,
    const char *cell, size_t off, const char *text, size_t srclen)
{
	json_t *comps = json_array();

	if (off > 0)
		json_array_append_new(comps, json_integer((json_int_t)off));
	json_array_append_new(comps, json_string(text));
	if (srclen > off)
		json_array_append_new(comps,
		    json_integer((json_int_t)(srclen - off)));
	return kc_call(k, "doc.edit", json_pack("{s:s, s:I, s:[{s:s, s:s, "
	    "s:o}]}", "session", sid, "version", (json_int_t)version, "ops",
	    "t", "text", "id", cell, "ops", comps));
}

/* Convenience accessors on results. */
static inline const char *
kj_str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static inline long long
kj_int(const json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key));
}

/* The cell with id in a cells array, or NULL. */
static inline json_t *
kj_cell(const json_t *cells, const char *id)
{
	size_t	 i;
	json_t	*c;

	json_array_foreach(cells, i, c) {
		if (strcmp(kj_str(c, "id"), id) == 0)
			return c;
	}
	return NULL;
}

/* Concatenated text of a cell's outputs array. Caller frees. */
static inline char *
kj_outputs_text(const json_t *outputs)
{
	struct gl_buf	 b;
	size_t		 i;
	json_t		*o;

	gl_buf_init(&b);
	json_array_foreach(outputs, i, o) {
		const char *t = kj_str(o, "text");

		if (t == NULL)
			t = kj_str(o, "message");
		if (t != NULL)
			gl_buf_adds(&b, t);
	}
	gl_buf_addc(&b, '\0');
	return gl_buf_take(&b, NULL);
}

#endif

/*
 * rpc.c - msgpack-RPC framing.
 *
 * The reader never hands unmeasured bytes to msgpack-c: a small resumable
 * scanner walks each message's headers as bytes arrive, so that a frame's
 * size is known (and refused over the limit, or for nesting deeper than
 * RPC_MAX_DEPTH, or for a container claiming more elements than the limit
 * allows) before msgpack_unpack_next() decodes exactly that frame. A
 * garbage peer therefore cannot make us allocate more than a small multiple
 * of the bytes it actually sent.
 */
#include "core/rpc.h"

#include <jansson.h>
#include <msgpack/unpack_define.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/mem.h"

_Static_assert(RPC_MAX_DEPTH <= MSGPACK_EMBED_STACK_SIZE,
    "the scanner must refuse what msgpack_unpack() cannot decode");

struct rpc_reader {
	char	*buf;		/* owned */
	size_t	 start;		/* first byte of the current frame */
	size_t	 len;		/* bytes held, from buf[0] */
	size_t	 cap;
	size_t	 max_frame;
	size_t	 consumed;	/* stream offset of buf[0], for messages */
	/* Scanner state for the frame starting at start. */
	size_t	 scan;		/* bytes of the frame already measured */
	int	 depth;
	uint64_t remain[RPC_MAX_DEPTH + 1];
	int	 broken;
};

static const msgpack_object rpc_nil = { .type = MSGPACK_OBJECT_NIL };

struct rpc_reader *
rpc_reader_new(size_t max_frame)
{
	struct rpc_reader *r = xcalloc(1, sizeof *r);

	r->max_frame = max_frame;
	return r;
}

void
rpc_reader_free(struct rpc_reader *r)
{
	if (r == NULL)
		return;
	free(r->buf);
	free(r);
}

void
rpc_reader_set_max(struct rpc_reader *r, size_t max_frame)
{
	r->max_frame = max_frame;
}

size_t
rpc_reader_pending(const struct rpc_reader *r)
{
	return r->len - r->start;
}

void
rpc_reader_feed(struct rpc_reader *r, const void *p, size_t n)
{
	if (n == 0)
		return;
	if (r->start > 0 && (r->start == r->len || r->start > r->cap / 2)) {
		memmove(r->buf, r->buf + r->start, r->len - r->start);
		r->len -= r->start;
		r->consumed += r->start;
		r->start = 0;
	}
	if (r->len + n > r->cap) {
		size_t cap = r->cap ? r->cap : 4096;

		while (cap < r->len + n)
			cap *= 2;
		r->buf = xrealloc(r->buf, cap);
		r->cap = cap;
	}
	memcpy(r->buf + r->len, p, n);
	r->len += n;
}

static uint64_t
be(const unsigned char *p, int n)
{
	uint64_t v = 0;

	for (int i = 0; i < n; i++)
		v = (v << 8) | p[i];
	return v;
}

/*
 * Measures one msgpack header at p (avail bytes): *hdr header bytes, *body
 * payload bytes, *kids child objects. Returns 1, 0 if more bytes are
 * needed, -1 for a byte that starts no msgpack object (0xc1).
 */
static int
rpc_scan_header(const unsigned char *p, size_t avail, size_t *hdr,
    uint64_t *body, uint64_t *kids)
{
	unsigned	 c;
	int		 lenbytes = 0;

	if (avail < 1)
		return 0;
	c = p[0];
	*body = 0;
	*kids = 0;
	*hdr = 1;
	if (c <= 0x7f || c >= 0xe0 || c == 0xc0 || c == 0xc2 || c == 0xc3)
		return 1;
	if ((c & 0xf0) == 0x80) {
		*kids = 2 * (uint64_t)(c & 0x0f);
		return 1;
	}
	if ((c & 0xf0) == 0x90) {
		*kids = c & 0x0f;
		return 1;
	}
	if ((c & 0xe0) == 0xa0) {
		*body = c & 0x1f;
		return 1;
	}
	switch (c) {
	case 0xc1:
		return -1;
	case 0xc4: case 0xd9: lenbytes = 1; goto str;
	case 0xc5: case 0xda: lenbytes = 2; goto str;
	case 0xc6: case 0xdb: lenbytes = 4; goto str;
	case 0xc7: lenbytes = 1; goto ext;
	case 0xc8: lenbytes = 2; goto ext;
	case 0xc9: lenbytes = 4; goto ext;
	case 0xca: *body = 4; return 1;
	case 0xcb: *body = 8; return 1;
	case 0xcc: case 0xd0: *body = 1; return 1;
	case 0xcd: case 0xd1: *body = 2; return 1;
	case 0xce: case 0xd2: *body = 4; return 1;
	case 0xcf: case 0xd3: *body = 8; return 1;
	case 0xd4: *body = 2; return 1;
	case 0xd5: *body = 3; return 1;
	case 0xd6: *body = 5; return 1;
	case 0xd7: *body = 9; return 1;
	case 0xd8: *body = 17; return 1;
	case 0xdc: case 0xdd:
		lenbytes = c == 0xdc ? 2 : 4;
		if (avail < 1 + (size_t)lenbytes)
			return 0;
		*hdr = 1 + lenbytes;
		*kids = be(p + 1, lenbytes);
		return 1;
	case 0xde: case 0xdf:
		lenbytes = c == 0xde ? 2 : 4;
		if (avail < 1 + (size_t)lenbytes)
			return 0;
		*hdr = 1 + lenbytes;
		*kids = 2 * be(p + 1, lenbytes);
		return 1;
	}
	return -1;
str:
	if (avail < 1 + (size_t)lenbytes)
		return 0;
	*hdr = 1 + lenbytes;
	*body = be(p + 1, lenbytes);
	return 1;
ext:
	if (avail < 1 + (size_t)lenbytes)
		return 0;
	*hdr = 1 + lenbytes;
	*body = be(p + 1, lenbytes) + 1;	/* the type byte */
	return 1;
}

/* Returns the frame size when whole, 0 when more bytes are needed, or
 * GL_EPROTO. */
static long long
rpc_scan(struct rpc_reader *r, struct gl_err *err)
{
	const unsigned char *base = (const unsigned char *)r->buf + r->start;
	size_t		 avail = r->len - r->start;

	if (r->scan == 0) {
		r->depth = 0;
		r->remain[0] = 1;
	}
	while (r->depth >= 0) {
		size_t		 hdr;
		uint64_t	 body, kids;
		int		 rc;

		rc = rpc_scan_header(base + r->scan, avail - r->scan, &hdr,
		    &body, &kids);
		if (rc < 0)
			return gl_err_set(err, GL_EPROTO,
			    "byte %zu: 0x%02x starts no msgpack value",
			    r->consumed + r->start + r->scan,
			    base[r->scan]);
		if (rc == 0)
			return 0;
		if (kids > r->max_frame || body > r->max_frame ||
		    r->scan + hdr + body > r->max_frame)
			return gl_err_set(err, GL_EPROTO,
			    "byte %zu: message larger than the %zu-byte limit",
			    r->consumed + r->start, r->max_frame);
		if (r->scan + hdr + body > avail)
			return 0;
		r->scan += hdr + body;
		r->remain[r->depth]--;
		if (kids > 0) {
			if (r->depth >= RPC_MAX_DEPTH)
				return gl_err_set(err, GL_EPROTO,
				    "byte %zu: nesting deeper than %d",
				    r->consumed + r->start + r->scan,
				    RPC_MAX_DEPTH);
			r->remain[++r->depth] = kids;
		}
		while (r->depth >= 0 && r->remain[r->depth] == 0)
			r->depth--;
	}
	return (long long)r->scan;
}

static int
rpc_shape(struct rpc_msg *m, struct gl_err *err)
{
	const msgpack_object	*o = &m->up.data, *a;
	uint32_t		 n;

	m->args = m->params = m->error = m->result = &rpc_nil;
	m->method[0] = '\0';
	m->id = 0;
	if (o->type != MSGPACK_OBJECT_ARRAY)
		return gl_err_set(err, GL_EPROTO, "message is not an array");
	a = o->via.array.ptr;
	n = o->via.array.size;
	if (n < 3 || a[0].type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
	    a[0].via.u64 > 2)
		return gl_err_set(err, GL_EPROTO,
		    "message is not [type, ...] with type 0, 1 or 2");
	m->type = (enum rpc_type)a[0].via.u64;
	switch (m->type) {
	case RPC_REQUEST:
	case RPC_RESPONSE:
		if (n != 4)
			return gl_err_set(err, GL_EPROTO,
			    "%s has %u elements, not 4",
			    m->type == RPC_REQUEST ? "request" : "response",
			    (unsigned)n);
		if (a[1].type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
		    a[1].via.u64 > UINT32_MAX)
			return gl_err_set(err, GL_EPROTO,
			    "message id is not a 32-bit unsigned integer");
		m->id = (uint32_t)a[1].via.u64;
		if (m->type == RPC_RESPONSE) {
			m->error = &a[2];
			m->result = &a[3];
			return 0;
		}
		a++;
		break;
	case RPC_NOTIFY:
		if (n != 3)
			return gl_err_set(err, GL_EPROTO,
			    "notification has %u elements, not 3",
			    (unsigned)n);
		break;
	}
	if (a[1].type != MSGPACK_OBJECT_STR || a[1].via.str.size == 0 ||
	    a[1].via.str.size >= RPC_METHOD_MAX)
		return gl_err_set(err, GL_EPROTO,
		    "method is not a string of 1 to %d bytes",
		    RPC_METHOD_MAX - 1);
	for (uint32_t i = 0; i < a[1].via.str.size; i++) {
		unsigned char ch = (unsigned char)a[1].via.str.ptr[i];

		if (ch < 0x21 || ch > 0x7e)
			return gl_err_set(err, GL_EPROTO,
			    "method name has a non-printable byte");
	}
	memcpy(m->method, a[1].via.str.ptr, a[1].via.str.size);
	m->method[a[1].via.str.size] = '\0';
	if (a[2].type != MSGPACK_OBJECT_ARRAY)
		return gl_err_set(err, GL_EPROTO, "%s: params is not an array",
		    m->method);
	m->params = &a[2];
	if (a[2].via.array.size > 0) {
		if (a[2].via.array.ptr[0].type != MSGPACK_OBJECT_MAP &&
		    a[2].via.array.ptr[0].type != MSGPACK_OBJECT_NIL)
			return gl_err_set(err, GL_EPROTO,
			    "%s: params[0] is not a map", m->method);
		m->args = &a[2].via.array.ptr[0];
	}
	return 0;
}

/* Decodes one measured frame into a zone that also holds a copy of its
 * bytes: msgpack-c's strings point into the buffer they were decoded from,
 * and the reader's buffer moves. */
static int
rpc_decode_frame(const char *p, size_t n, struct rpc_msg *msg,
    struct gl_err *err)
{
	msgpack_zone	*z;
	char		*copy;
	size_t		 off = 0;
	int		 rc;

	msgpack_unpacked_init(&msg->up);
	if ((z = msgpack_zone_new(n + 1024)) == NULL)
		gl_fatal("out of memory");
	if ((copy = msgpack_zone_malloc(z, n)) == NULL)
		gl_fatal("out of memory");
	memcpy(copy, p, n);
	rc = msgpack_unpack(copy, n, &off, z, &msg->up.data);
	msg->up.zone = z;
	msg->frame = copy;
	msg->frame_len = n;
	if (rc != MSGPACK_UNPACK_SUCCESS || off != n) {
		msgpack_unpacked_destroy(&msg->up);
		return gl_err_set(err, GL_EPROTO, "undecodable msgpack");
	}
	if ((rc = rpc_shape(msg, err)) != 0) {
		msgpack_unpacked_destroy(&msg->up);
		return rc;
	}
	return 0;
}

int
rpc_reader_next(struct rpc_reader *r, struct rpc_msg *msg,
    struct gl_err *err)
{
	long long	 size;
	int		 rc;

	if (r->broken)
		return gl_err_set(err, GL_EPROTO, "stream already broken");
	if (r->start == r->len)
		return 0;
	if ((size = rpc_scan(r, err)) < 0) {
		r->broken = 1;
		return (int)size;
	}
	if (size == 0)
		return 0;
	rc = rpc_decode_frame(r->buf + r->start, (size_t)size, msg, err);
	if (rc != 0) {
		gl_err_prefix(err, "byte %zu", r->consumed + r->start);
		r->broken = 1;
		return rc;
	}
	r->start += (size_t)size;
	r->scan = 0;
	return 1;
}

int
rpc_decode(const void *buf, size_t len, struct rpc_msg *msg,
    struct gl_err *err)
{
	struct rpc_reader	*r = rpc_reader_new(len + 1);
	int			 rc;

	rpc_reader_feed(r, buf, len);
	rc = rpc_reader_next(r, msg, err);
	if (rc == 0)
		rc = gl_err_set(err, GL_EPROTO, "truncated message");
	else if (rc == 1 && rpc_reader_pending(r) != 0) {
		rpc_msg_fini(msg);
		rc = gl_err_set(err, GL_EPROTO, "trailing bytes after message");
	} else if (rc == 1)
		rc = 0;
	rpc_reader_free(r);
	return rc;
}

void
rpc_msg_fini(struct rpc_msg *msg)
{
	msgpack_unpacked_destroy(&msg->up);
	msgpack_unpacked_init(&msg->up);
	msg->frame = NULL;
	msg->frame_len = 0;
}

/* The size of the value at p[0..n) with everything in it, or 0 if it is
 * not whole there. */
static size_t
rpc_skip(const unsigned char *p, size_t n)
{
	size_t		 off = 0, hdr;
	uint64_t	 remain = 1, body, kids;

	while (remain > 0) {
		if (rpc_scan_header(p + off, n - off, &hdr, &body,
		    &kids) != 1 || body > n - off - hdr || kids > n)
			return 0;
		off += hdr + (size_t)body;
		remain += kids - 1;
	}
	return off;
}

int
rpc_msg_raw(const struct rpc_msg *m, const char *key, const char **p,
    size_t *n)
{
	const unsigned char *s = (const unsigned char *)m->frame;
	size_t		 len = m->frame_len, off, hdr, k, klen = strlen(key);
	uint64_t	 body, kids, pairs;
	int		 skip;

	if (s == NULL)
		return GL_ENOTFOUND;
	/* [type, id?, method | error, params | result]: skip to the map. */
	if (rpc_scan_header(s, len, &hdr, &body, &kids) != 1)
		return GL_ENOTFOUND;
	off = hdr;
	skip = m->type == RPC_NOTIFY ? 2 : 3;
	for (int i = 0; i < skip; i++) {
		if ((k = rpc_skip(s + off, len - off)) == 0)
			return GL_ENOTFOUND;
		off += k;
	}
	if (m->type != RPC_RESPONSE) {
		/* params: [args] */
		if (rpc_scan_header(s + off, len - off, &hdr, &body,
		    &kids) != 1 || kids == 0)
			return GL_ENOTFOUND;
		off += hdr;
	}
	if (off >= len || rpc_scan_header(s + off, len - off, &hdr, &body,
	    &kids) != 1 || !((s[off] & 0xf0) == 0x80 || s[off] == 0xde ||
	    s[off] == 0xdf))
		return GL_ENOTFOUND;
	off += hdr;
	pairs = kids / 2;
	for (uint64_t i = 0; i < pairs; i++) {
		bool	 match = false;

		if (rpc_scan_header(s + off, len - off, &hdr, &body,
		    &kids) != 1)
			return GL_ENOTFOUND;
		/* A str key (fixstr, str 8/16/32) of the same bytes. */
		if (((s[off] & 0xe0) == 0xa0 || s[off] == 0xd9 ||
		    s[off] == 0xda || s[off] == 0xdb) && body == klen &&
		    hdr + klen <= len - off &&
		    memcmp(s + off + hdr, key, klen) == 0)
			match = true;
		if ((k = rpc_skip(s + off, len - off)) == 0)
			return GL_ENOTFOUND;
		off += k;
		if ((k = rpc_skip(s + off, len - off)) == 0)
			return GL_ENOTFOUND;
		if (match) {
			*p = (const char *)s + off;
			*n = k;
			return 0;
		}
		off += k;
	}
	return GL_ENOTFOUND;
}

void
rpc_writer_init(struct rpc_writer *w)
{
	msgpack_sbuffer_init(&w->sbuf);
	msgpack_packer_init(&w->pk, &w->sbuf, msgpack_sbuffer_write);
}

void
rpc_writer_fini(struct rpc_writer *w)
{
	msgpack_sbuffer_destroy(&w->sbuf);
}

void
rpc_writer_reset(struct rpc_writer *w)
{
	msgpack_sbuffer_clear(&w->sbuf);
}

void
rpc_begin_request(struct rpc_writer *w, uint32_t id, const char *method)
{
	msgpack_pack_array(&w->pk, 4);
	msgpack_pack_uint8(&w->pk, 0);
	msgpack_pack_uint32(&w->pk, id);
	rpc_pack_str(&w->pk, method);
	msgpack_pack_array(&w->pk, 1);
}

void
rpc_begin_notify(struct rpc_writer *w, const char *method)
{
	msgpack_pack_array(&w->pk, 3);
	msgpack_pack_uint8(&w->pk, 2);
	rpc_pack_str(&w->pk, method);
	msgpack_pack_array(&w->pk, 1);
}

void
rpc_begin_response(struct rpc_writer *w, uint32_t id)
{
	msgpack_pack_array(&w->pk, 4);
	msgpack_pack_uint8(&w->pk, 1);
	msgpack_pack_uint32(&w->pk, id);
	msgpack_pack_nil(&w->pk);
}

void
rpc_write_error(struct rpc_writer *w, uint32_t id, int code, const char *msg)
{
	msgpack_pack_array(&w->pk, 4);
	msgpack_pack_uint8(&w->pk, 1);
	msgpack_pack_uint32(&w->pk, id);
	msgpack_pack_array(&w->pk, 2);
	msgpack_pack_int32(&w->pk, code < 0 ? -code : code);
	rpc_pack_str(&w->pk, msg);
	msgpack_pack_nil(&w->pk);
}

void
rpc_pack_strn(msgpack_packer *pk, const char *s, size_t n)
{
	msgpack_pack_str(pk, n);
	msgpack_pack_str_body(pk, s, n);
}

void
rpc_pack_raw(msgpack_packer *pk, const void *p, size_t n)
{
	if (n > 0)
		pk->callback(pk->data, p, n);
}

void
rpc_pack_str32(msgpack_packer *pk, const char *s, size_t n)
{
	unsigned char	 h[RPC_STR32_HDR] = { 0xdb, (unsigned char)(n >> 24),
	    (unsigned char)(n >> 16), (unsigned char)(n >> 8),
	    (unsigned char)n };

	pk->callback(pk->data, (const char *)h, sizeof h);
	if (n > 0)
		pk->callback(pk->data, s, n);
}

void
rpc_pack_str(msgpack_packer *pk, const char *s)
{
	if (s == NULL) {
		msgpack_pack_nil(pk);
		return;
	}
	rpc_pack_strn(pk, s, strlen(s));
}

void
rpc_pack_key(msgpack_packer *pk, const char *k)
{
	rpc_pack_str(pk, k);
}

void
rpc_pack_json(msgpack_packer *pk, const json_t *j)
{
	const char	*k;
	json_t		*v;
	size_t		 i;

	switch (json_typeof(j)) {
	case JSON_OBJECT:
		msgpack_pack_map(pk, json_object_size(j));
		json_object_foreach((json_t *)j, k, v) {
			rpc_pack_str(pk, k);
			rpc_pack_json(pk, v);
		}
		break;
	case JSON_ARRAY:
		msgpack_pack_array(pk, json_array_size(j));
		json_array_foreach(j, i, v)
			rpc_pack_json(pk, v);
		break;
	case JSON_STRING:
		rpc_pack_strn(pk, json_string_value(j), json_string_length(j));
		break;
	case JSON_INTEGER:
		msgpack_pack_int64(pk, json_integer_value(j));
		break;
	case JSON_REAL:
		msgpack_pack_double(pk, json_real_value(j));
		break;
	case JSON_TRUE:
		msgpack_pack_true(pk);
		break;
	case JSON_FALSE:
		msgpack_pack_false(pk);
		break;
	case JSON_NULL:
		msgpack_pack_nil(pk);
		break;
	}
}

void
rpc_pack_kv_str(msgpack_packer *pk, const char *k, const char *v)
{
	rpc_pack_str(pk, k);
	rpc_pack_str(pk, v);
}

void
rpc_pack_kv_int(msgpack_packer *pk, const char *k, int64_t v)
{
	rpc_pack_str(pk, k);
	msgpack_pack_int64(pk, v);
}

void
rpc_pack_kv_bool(msgpack_packer *pk, const char *k, bool v)
{
	rpc_pack_str(pk, k);
	if (v)
		msgpack_pack_true(pk);
	else
		msgpack_pack_false(pk);
}

bool
rpc_obj_streq(const msgpack_object *o, const char *s)
{
	size_t n = strlen(s);

	return o != NULL && o->type == MSGPACK_OBJECT_STR &&
	    o->via.str.size == n && memcmp(o->via.str.ptr, s, n) == 0;
}

const msgpack_object *
rpc_map_get(const msgpack_object *map, const char *key)
{
	if (map == NULL || map->type != MSGPACK_OBJECT_MAP)
		return NULL;
	for (uint32_t i = 0; i < map->via.map.size; i++) {
		if (rpc_obj_streq(&map->via.map.ptr[i].key, key))
			return &map->via.map.ptr[i].val;
	}
	return NULL;
}

char *
rpc_obj_strdup(const msgpack_object *o)
{
	if (o == NULL || o->type != MSGPACK_OBJECT_STR)
		return NULL;
	return xstrndup(o->via.str.ptr, o->via.str.size);
}

char *
rpc_map_strdup(const msgpack_object *map, const char *key)
{
	return rpc_obj_strdup(rpc_map_get(map, key));
}

const char *
rpc_map_str(const msgpack_object *map, const char *key, size_t *len)
{
	const msgpack_object *o = rpc_map_get(map, key);

	if (o == NULL || o->type != MSGPACK_OBJECT_STR)
		return NULL;
	if (len != NULL)
		*len = o->via.str.size;
	return o->via.str.ptr;
}

int64_t
rpc_map_int(const msgpack_object *map, const char *key, int64_t dflt)
{
	const msgpack_object *o = rpc_map_get(map, key);

	if (o == NULL)
		return dflt;
	if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
		return o->via.u64 > INT64_MAX ? dflt : (int64_t)o->via.u64;
	if (o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
		return o->via.i64;
	return dflt;
}

bool
rpc_map_bool(const msgpack_object *map, const char *key, bool dflt)
{
	const msgpack_object *o = rpc_map_get(map, key);

	if (o == NULL || o->type != MSGPACK_OBJECT_BOOLEAN)
		return dflt;
	return o->via.boolean;
}

int
rpc_msg_error(const struct rpc_msg *msg, struct gl_err *err)
{
	const msgpack_object	*e = msg->error;
	int64_t			 code = GL_EPROTO;

	if (e == NULL || e->type == MSGPACK_OBJECT_NIL)
		return 0;
	if (e->type == MSGPACK_OBJECT_ARRAY && e->via.array.size == 2) {
		const msgpack_object *c = &e->via.array.ptr[0];
		const msgpack_object *m = &e->via.array.ptr[1];

		/* Code 0 would read as success: a peer's error with it
		 * stays a protocol error. */
		if (c->type == MSGPACK_OBJECT_POSITIVE_INTEGER &&
		    c->via.u64 > 0 && c->via.u64 < 1000)
			code = -(int64_t)c->via.u64;
		if (m->type == MSGPACK_OBJECT_STR)
			return gl_err_set(err, (int)code, "%.*s",
			    (int)m->via.str.size, m->via.str.ptr);
	}
	return gl_err_set(err, (int)code, "error response");
}

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
 *
 * Limits. A message's size on the wire is not what it costs: msgpack-c
 * allocates a 24-byte msgpack_object for every value, so a frame of
 * one-byte nils decodes to 24 times its size. The scanner counts values
 * as it measures and, once it has read the method (the head of every
 * message comes first), asks the reader's owner for that method's limit
 * on values and on decoded bytes (the frame plus RPC_ELEM_BYTES a value).
 * A frame over it is refused but stays in step: the rest of it is
 * measured and dropped as it arrives, never held whole nor decoded, and
 * its head (type, id, method) is handed back so the owner can answer.
 */
#include "core/rpc.h"

#include <jansson.h>
#include <msgpack/unpack_define.h>
#include <stdio.h>
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
	rpc_limit_fn limit_fn;	/* NULL: only max_frame */
	void	*limit_ctx;
	/* Scanner state for the frame starting at start. */
	bool	 scanning;	/* a frame is under way */
	size_t	 scan;		/* bytes of the frame measured and held */
	uint64_t skipped;	/* bytes of a refused frame already dropped */
	uint64_t body_left;	/* ... and of its current body still to drop */
	int	 depth;
	uint64_t remain[RPC_MAX_DEPTH + 1];
	uint64_t elems;		/* values measured */
	/* What the scanner saw of the message's head, for its limit. */
	uint64_t top_n;		/* elements of the top array (0: none) */
	int	 mtype;		/* its type, or -1 */
	uint32_t id;
	char	 method[RPC_METHOD_MAX];
	bool	 limited;	/* limit holds the message's limit */
	struct rpc_limit limit;
	bool	 refused;	/* over it: being skipped */
	char	 why[256];	/* ... and why */
	int	 broken;
};

static const msgpack_object rpc_nil = { .type = MSGPACK_OBJECT_NIL };

/* A frame at least this big that fills the reader's buffer (but for so
 * many bytes) is given the buffer instead of a copy. */
#define RPC_GIVE_MIN	((size_t)64 << 10)

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

void
rpc_reader_set_limit(struct rpc_reader *r, rpc_limit_fn fn, void *ctx)
{
	r->limit_fn = fn;
	r->limit_ctx = ctx;
}

size_t
rpc_reader_pending(const struct rpc_reader *r)
{
	return r->len - r->start;
}

const void *
rpc_reader_rest(const struct rpc_reader *r, size_t *n)
{
	*n = r->len - r->start;
	return r->buf != NULL ? r->buf + r->start : "";
}

void
rpc_reader_clear(struct rpc_reader *r)
{
	r->consumed += r->len;
	r->start = r->len = 0;
	r->scanning = false;
	r->scan = 0;
}

void
rpc_reader_feed(struct rpc_reader *r, const void *p, size_t n)
{
	size_t	 room;

	if (n == 0)
		return;
	memcpy(rpc_reader_space(r, n, &room), p, n);
	r->len += n;
}

void *
rpc_reader_space(struct rpc_reader *r, size_t want, size_t *room)
{
	if (r->start > 0 && (r->start == r->len || r->start > r->cap / 2 ||
	    r->len + want > r->cap)) {
		memmove(r->buf, r->buf + r->start, r->len - r->start);
		r->len -= r->start;
		r->consumed += r->start;
		r->start = 0;
	}
	if (r->len + want > r->cap) {
		size_t cap = r->cap ? r->cap : 4096;

		while (cap < r->len + want)
			cap *= 2;
		r->buf = xrealloc(r->buf, cap);
		r->cap = cap;
	}
	*room = r->cap - r->len;
	return r->buf + r->len;
}

void
rpc_reader_commit(struct rpc_reader *r, size_t n)
{
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

/* Reads the unsigned integer of a header (positive fixint, uint 8 to
 * 32) whose bytes are all at p; false for anything else. */
static bool
rpc_scan_uint(const unsigned char *p, uint32_t *v)
{
	if (p[0] <= 0x7f)
		*v = p[0];
	else if (p[0] == 0xcc)
		*v = p[1];
	else if (p[0] == 0xcd)
		*v = (uint32_t)be(p + 1, 2);
	else if (p[0] == 0xce)
		*v = (uint32_t)be(p + 1, 4);
	else
		return false;
	return true;
}

/* "16 MiB" or "1000 bytes" into buf. */
static const char *
rpc_size(uint64_t n, char *buf, size_t len)
{
	if (n >= (1u << 20) && n % (1u << 20) == 0)
		snprintf(buf, len, "%llu MiB", (unsigned long long)(n >> 20));
	else if (n >= (1u << 10) && n % (1u << 10) == 0)
		snprintf(buf, len, "%llu KiB", (unsigned long long)(n >> 10));
	else
		snprintf(buf, len, "%llu bytes", (unsigned long long)n);
	return buf;
}

/*
 * Notes what a value of the top array tells about the message (its type,
 * id, method) and, once the method is known, asks for its limit. p holds
 * the header and its whole body (the head of a message is never
 * skipped: limits begin to count after it).
 */
static void
rpc_scan_head(struct rpc_reader *r, const unsigned char *p, size_t hdr,
    uint64_t body)
{
	uint64_t	 idx = r->top_n - r->remain[1];
	bool		 str = (p[0] & 0xe0) == 0xa0 || p[0] == 0xd9 ||
			    p[0] == 0xda || p[0] == 0xdb;

	if (idx == 0)
		r->mtype = p[0] <= 2 ? p[0] : -1;
	else if (idx == 1 && (r->mtype == RPC_REQUEST ||
	    r->mtype == RPC_RESPONSE))
		(void)rpc_scan_uint(p, &r->id);
	if (r->limited || r->limit_fn == NULL || r->mtype < 0)
		return;
	if (r->mtype == RPC_RESPONSE && idx == 1)
		r->method[0] = '\0';
	else if ((r->mtype == RPC_REQUEST && idx == 2) ||
	    (r->mtype == RPC_NOTIFY && idx == 1)) {
		if (!str || body == 0 || body >= RPC_METHOD_MAX)
			return;		/* rpc_shape() refuses it */
		memcpy(r->method, p + hdr, (size_t)body);
		r->method[body] = '\0';
	} else
		return;
	r->limit_fn(r->limit_ctx, (enum rpc_type)r->mtype, r->method,
	    &r->limit);
	r->limited = true;
}

/* Refuses the frame under way if it is over its limit: from here on it
 * is measured and dropped, not held. */
static void
rpc_scan_check(struct rpc_reader *r, uint64_t size)
{
	const char	*m = r->method[0] != '\0' ? r->method : "a response";
	char		 b1[32];
	uint64_t	 decoded = size + r->elems * RPC_ELEM_BYTES;

	if (!r->limited || r->refused)
		return;
	if (r->limit.elems > 0 && r->elems > r->limit.elems) {
		r->refused = true;
		snprintf(r->why, sizeof r->why, "%s: message of more than "
		    "%llu values (the limit for %s)", m,
		    (unsigned long long)r->limit.elems, m);
	} else if (r->limit.bytes > 0 && decoded > r->limit.bytes) {
		r->refused = true;
		snprintf(r->why, sizeof r->why, "%s: message that decodes to "
		    "more than %s (the limit for %s)", m,
		    rpc_size(r->limit.bytes, b1, sizeof b1), m);
	}
}

/* 1 and *size the frame's bytes held when it is whole, 0 when more bytes
 * are needed, or GL_EPROTO. A refused frame (r->refused) is dropped as
 * it is measured: *size is then only the bytes of it still held. */
static int
rpc_scan(struct rpc_reader *r, size_t *size, struct gl_err *err)
{
	const unsigned char *base = (const unsigned char *)r->buf + r->start;
	size_t		 avail = r->len - r->start;

	if (!r->scanning) {
		r->scanning = true;
		r->scan = 0;
		r->skipped = r->body_left = 0;
		r->depth = 0;
		r->remain[0] = 1;
		r->elems = 0;
		r->top_n = 0;
		r->mtype = -1;
		r->id = 0;
		r->method[0] = '\0';
		r->limited = r->refused = false;
	}
	for (;;) {
		size_t		 hdr;
		uint64_t	 body, kids, at;
		int		 rc;

		if (r->body_left > 0) {
			uint64_t k = avail - r->scan;

			if (k > r->body_left)
				k = r->body_left;
			r->scan += (size_t)k;
			r->body_left -= k;
			if (r->body_left > 0)
				goto more;
		}
		if (r->depth < 0)
			break;
		rc = rpc_scan_header(base + r->scan, avail - r->scan, &hdr,
		    &body, &kids);
		at = r->skipped + r->scan;
		if (rc < 0)
			return gl_err_set(err, GL_EPROTO,
			    "byte %zu: 0x%02x starts no msgpack value",
			    r->consumed + r->start + r->scan,
			    base[r->scan]);
		if (rc == 0)
			goto more;
		if (kids > r->max_frame || body > r->max_frame ||
		    at + hdr + body > r->max_frame)
			return gl_err_set(err, GL_EPROTO,
			    "byte %zu: message larger than the %zu-byte limit",
			    r->consumed + r->start, r->max_frame);
		r->elems++;
		rpc_scan_check(r, at + hdr + body);
		if (!r->refused && r->scan + hdr + body > avail) {
			r->elems--;	/* counted again when it is whole */
			goto more;
		}
		if (r->refused && r->scan + hdr + body > avail) {
			/* Drop a body as it comes. */
			r->body_left = r->scan + hdr + body - avail;
			r->scan = avail;
		} else {
			if (r->depth == 1 && !r->refused)
				rpc_scan_head(r, base + r->scan, hdr, body);
			if (r->depth == 0 && ((base[r->scan] & 0xf0) == 0x90 ||
			    base[r->scan] == 0xdc || base[r->scan] == 0xdd))
				r->top_n = kids;
			r->scan += hdr + body;
		}
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
	*size = r->scan;
	return 1;
more:
	if (r->refused) {
		r->skipped += r->scan;
		r->start += r->scan;
		r->scan = 0;
	}
	return 0;
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

/* Decodes one measured frame into a zone that holds its bytes too:
 * msgpack-c's strings point into the buffer they were decoded from, and
 * the reader's buffer moves. The zone gets a copy, or, with own (a frame
 * in a buffer of its own, malloc'd), that buffer itself. */
static int
rpc_decode_frame(char *p, size_t n, bool own, struct rpc_msg *msg,
    struct gl_err *err)
{
	msgpack_zone	*z;
	char		*copy;
	size_t		 off = 0;
	int		 rc;

	msgpack_unpacked_init(&msg->up);
	if ((z = msgpack_zone_new(own ? 1024 : n + 1024)) == NULL)
		gl_fatal("out of memory");
	if (own) {
		if (!msgpack_zone_push_finalizer(z, free, p))
			gl_fatal("out of memory");
		copy = p;
	} else {
		if ((copy = msgpack_zone_malloc(z, n)) == NULL)
			gl_fatal("out of memory");
		memcpy(copy, p, n);
	}
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
	size_t		 size = 0;
	int		 rc;

	if (r->broken)
		return gl_err_set(err, GL_EPROTO, "stream already broken");
	if (r->start == r->len)
		return 0;
	if ((rc = rpc_scan(r, &size, err)) < 0) {
		r->broken = 1;
		return rc;
	}
	if (rc == 0)
		return 0;
	r->scanning = false;
	if (r->refused) {
		/* Dropped: only its head is told. */
		r->start += size;
		msgpack_unpacked_init(&msg->up);
		msg->type = (enum rpc_type)r->mtype;
		msg->id = r->id;
		snprintf(msg->method, sizeof msg->method, "%s", r->method);
		msg->args = msg->params = msg->error = msg->result = &rpc_nil;
		gl_err_set(err, GL_ELIMIT, "%s", r->why);
		return RPC_OVER_LIMIT;
	}
	if (r->start == 0 && size >= RPC_GIVE_MIN && r->len - size <=
	    RPC_GIVE_MIN) {
		/* A big frame at the start of the buffer: the message takes
		 * the buffer (no copy of the frame), the reader a new one
		 * with the few bytes after it. */
		char	*buf = r->buf;
		size_t	 rest = r->len - size;

		r->buf = NULL;
		r->cap = r->len = 0;
		r->consumed += size;
		if (rest > 0)
			rpc_reader_feed(r, buf + size, rest);
		if ((rc = rpc_decode_frame(buf, size, true, msg, err)) != 0) {
			gl_err_prefix(err, "byte %zu", r->consumed - size);
			r->broken = 1;
			return rc;
		}
		return 1;
	}
	rc = rpc_decode_frame(r->buf + r->start, size, false, msg, err);
	if (rc != 0) {
		gl_err_prefix(err, "byte %zu", r->consumed + r->start);
		r->broken = 1;
		return rc;
	}
	r->start += size;
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

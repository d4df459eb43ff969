/*
 * rpc.h - msgpack-RPC messages, as DESIGN section 6 and neovim speak them:
 * request [0, id, method, params], response [1, id, error, result],
 * notification [2, method, params]. galley's params are an array holding
 * one map (the named arguments); errors are [code, message] with the
 * stable wire codes of core/err.h.
 *
 * The reader frames a byte stream into messages without trusting it: it
 * measures each message before decoding it, refuses frames over a limit,
 * nesting deeper than RPC_MAX_DEPTH and anything that is not a msgpack-RPC
 * message, so a garbage peer costs one error and a disconnect.
 * Pure (bytes in, messages out). Used by kernel/, client/, lua/ (the
 * runtime and the workers), tui/ (what the kernel sends), tests, bench
 * and fuzz.
 */
#ifndef GL_RPC_H
#define GL_RPC_H

#include <msgpack.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct gl_err;

enum rpc_type {
	RPC_REQUEST = 0,
	RPC_RESPONSE = 1,
	RPC_NOTIFY = 2,
};

/* Deepest nesting of arrays and maps in one message, counting the message
 * itself: msgpack-c's decoder stops at MSGPACK_EMBED_STACK_SIZE (32), so
 * the reader refuses deeper frames by name instead of as undecodable. */
#define RPC_MAX_DEPTH	32
#define RPC_METHOD_MAX	64

struct rpc_msg {
	enum rpc_type	 type;
	uint32_t	 id;			/* request, response */
	char		 method[RPC_METHOD_MAX]; /* request, notify */
	/* Borrowed from the message; valid until rpc_msg_fini(). */
	const msgpack_object *args;	/* params[0] (a map, or nil) */
	const msgpack_object *params;	/* the whole params array */
	const msgpack_object *error;	/* response: nil or [code, msg] */
	const msgpack_object *result;	/* response */
	msgpack_unpacked up;		/* owns the decoded tree */
	/* The message's bytes, held by up's zone (NULL for a message not
	 * read by an rpc_reader): what rpc_msg_raw() looks in. */
	const char	*frame;
	size_t		 frame_len;
};

struct rpc_reader;

/* What one message may decode to, 0 meaning no bound: its values (every
 * value counts, a map's keys and values each) and its bytes (the frame
 * plus RPC_ELEM_BYTES for each value, which msgpack-c allocates). */
struct rpc_limit {
	uint64_t	 elems;
	uint64_t	 bytes;
};

#define RPC_ELEM_BYTES	sizeof(msgpack_object)

/* Gives the limit for a message of type and method ("" for a response)
 * in *l; called once per message, after its head was measured. */
typedef void (*rpc_limit_fn)(void *ctx, enum rpc_type type,
	     const char *method, struct rpc_limit *l);

/* rpc_reader_next(): a message over its limit was dropped. */
#define RPC_OVER_LIMIT	2

/* A reader refusing messages over max_frame bytes. Caller frees. */
struct rpc_reader *rpc_reader_new(size_t max_frame);
void	 rpc_reader_free(struct rpc_reader *r);
/* Changes the limit (an authenticated peer gets a larger one). */
void	 rpc_reader_set_max(struct rpc_reader *r, size_t max_frame);
/* Asks fn for each message's limit (NULL: no limit but the frame's). */
void	 rpc_reader_set_limit(struct rpc_reader *r, rpc_limit_fn fn,
	     void *ctx);
/* Appends n bytes of the stream (copied). */
void	 rpc_reader_feed(struct rpc_reader *r, const void *p, size_t n);
/* Room for at least want more bytes of the stream at the end of what is
 * buffered, for reading into directly (no copy): *room gets its size.
 * Valid until the next call on r. rpc_reader_commit() then counts the n
 * bytes written there. */
void	*rpc_reader_space(struct rpc_reader *r, size_t want, size_t *room);
void	 rpc_reader_commit(struct rpc_reader *r, size_t n);
/* Gives the next whole message: 1 and *msg filled (caller rpc_msg_fini()s
 * it), 0 when more bytes are needed, or GL_EPROTO with err saying what
 * was wrong and at which byte of the stream; the reader is then unusable.
 * RPC_OVER_LIMIT: a message over its limit (rpc_reader_set_limit()) was
 * measured and dropped without being decoded; *msg holds its type, id
 * and method only (args, params, error and result nil; the caller still
 * rpc_msg_fini()s it), err (GL_ELIMIT) names the method and the limit,
 * and the reader goes on with the next message. */
int	 rpc_reader_next(struct rpc_reader *r, struct rpc_msg *msg,
	     struct gl_err *err);
/* Bytes buffered but not yet returned as messages. */
size_t	 rpc_reader_pending(const struct rpc_reader *r);
/* Those bytes (borrowed until the next feed), for a stream that changes
 * its framing after a message (the handshake, then sealed records);
 * rpc_reader_clear() then forgets them. */
const void *rpc_reader_rest(const struct rpc_reader *r, size_t *n);
void	 rpc_reader_clear(struct rpc_reader *r);
void	 rpc_msg_fini(struct rpc_msg *msg);

/*
 * The bytes of one value of m as they came: args[key] of a request or a
 * notification, result[key] of a response. 0 and *p, *n set (borrowed
 * until rpc_msg_fini()), or GL_ENOTFOUND if there is no such key (or m
 * has no frame). For passing a value on without encoding it again (the
 * kernel hands a cell's outputs from the runtime to its clients so).
 */
int	 rpc_msg_raw(const struct rpc_msg *m, const char *key, const char **p,
	     size_t *n);

/* Decodes exactly one message from buf (for tests and the fuzzer). */
int	 rpc_decode(const void *buf, size_t len, struct rpc_msg *msg,
	     struct gl_err *err);

/* A writer packs messages into one growing buffer; send w->sbuf.data,
 * w->sbuf.size then rpc_writer_reset(). */
struct rpc_writer {
	msgpack_sbuffer	 sbuf;
	msgpack_packer	 pk;
};

void	 rpc_writer_init(struct rpc_writer *w);
void	 rpc_writer_fini(struct rpc_writer *w);
void	 rpc_writer_reset(struct rpc_writer *w);
/* Each begins a message; the caller then packs exactly one value: the
 * args map (request, notify) or the result (response). */
void	 rpc_begin_request(struct rpc_writer *w, uint32_t id, const char *method);
void	 rpc_begin_notify(struct rpc_writer *w, const char *method);
void	 rpc_begin_response(struct rpc_writer *w, uint32_t id);
/* A whole error response: [1, id, [code, msg], nil]; code is a GL_E*. */
void	 rpc_write_error(struct rpc_writer *w, uint32_t id, int code,
	     const char *msg);

/* Packing helpers. */
void	 rpc_pack_str(msgpack_packer *pk, const char *s);
void	 rpc_pack_strn(msgpack_packer *pk, const char *s, size_t n);
void	 rpc_pack_kv_str(msgpack_packer *pk, const char *k, const char *v);
void	 rpc_pack_kv_int(msgpack_packer *pk, const char *k, int64_t v);
void	 rpc_pack_kv_bool(msgpack_packer *pk, const char *k, bool v);
void	 rpc_pack_key(msgpack_packer *pk, const char *k);
/* Appends p[0..n), one value already encoded (rpc_msg_raw()), as is. */
void	 rpc_pack_raw(msgpack_packer *pk, const void *p, size_t n);
/* A string with a 4-byte length header whatever its length (str 32), so
 * that more text can be appended to its encoding in place, the header
 * rewritten: the runtime packs output text so, and the kernel merges a
 * cell's stream outputs by appending to the last one. */
void	 rpc_pack_str32(msgpack_packer *pk, const char *s, size_t n);
/* The size of a str 32 header. */
#define RPC_STR32_HDR	5
/* A jansson value as msgpack (objects as maps with string keys): for
 * answers built as JSON (review/'s objects) and tests written in it. */
struct json_t;
void	 rpc_pack_json(msgpack_packer *pk, const struct json_t *j);

/* Reading helpers on a decoded map; all return NULL / false / the default
 * when the key is absent or of another type. */
const msgpack_object *rpc_map_get(const msgpack_object *map, const char *key);
/* String value as a new NUL-terminated copy (caller frees), or NULL. */
char	*rpc_map_strdup(const msgpack_object *map, const char *key);
/* String value borrowed (not NUL-terminated); *len gets its length. */
const char *rpc_map_str(const msgpack_object *map, const char *key,
	     size_t *len);
int64_t	 rpc_map_int(const msgpack_object *map, const char *key, int64_t dflt);
bool	 rpc_map_bool(const msgpack_object *map, const char *key, bool dflt);
/* True if o is a string equal to s. */
bool	 rpc_obj_streq(const msgpack_object *o, const char *s);
/* Copies a string object into a new NUL-terminated string, or NULL. */
char	*rpc_obj_strdup(const msgpack_object *o);
/* For a response: 0 if error is nil, else the GL_E* code it carries
 * and err set to its message. */
int	 rpc_msg_error(const struct rpc_msg *msg, struct gl_err *err);

#endif

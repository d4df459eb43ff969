/*
 * seal.h - sealed records: what travels between a TCP client or a worker
 * and the kernel once their handshake (core/auth.h) is done.
 *
 * Both sides derive one key per direction from the shared secret (the
 * token, or the cluster secret) and both handshake nonces (keyed BLAKE2b,
 * then crypto_kdf). What one side sends is cut into records of at most
 * SEAL_RECORD_MAX bytes; each record is one msgpack bin holding those
 * bytes encrypted and authenticated with ChaCha20-Poly1305 (IETF) under
 * that direction's key, with a nonce that counts the records sent. The
 * count is never sent: a record that was changed, replayed, reordered,
 * moved to another connection or the other direction, or cut short does
 * not open, and the stream is refused from there on. Records carry bytes,
 * not messages: the plaintext of successive records is one msgpack-RPC
 * stream for core/rpc.h's reader.
 *
 * Pure: bytes in, bytes out, the keys in the struct (wiped when freed);
 * libsodium does the crypto; opened records go to a core/rpc.h reader.
 * Used by kernel/conn.c, client/client.c and lua/worker-net.c; tests and
 * the fuzzer.
 */
#ifndef GL_SEAL_H
#define GL_SEAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/auth.h"

struct gl_buf;
struct gl_err;
struct rpc_reader;

#define SEAL_RECORD_MAX	(64u << 10)	/* plaintext bytes in one record */
#define SEAL_TAG_LEN	16		/* what a record adds, besides its
					 * msgpack bin header (2 to 5 bytes) */

/* Which end of the connection a seal is: the kernel, or the peer that
 * connected to it (a client or a worker). */
enum seal_side {
	SEAL_KERNEL,
	SEAL_PEER,
};

struct seal;

/* The seal of one connection, keyed from secret (a token or the cluster
 * secret, at most 64 bytes of text), purpose ("client", "worker": the
 * same secret never keys two kinds of link alike) and the handshake's
 * nonces. Both sides get the same two keys, each sending with the one the
 * other receives with. Caller frees with seal_free(). */
struct seal *seal_new(const char *secret, const char *purpose,
	     const unsigned char kernel_nonce[AUTH_NONCE_LEN],
	     const unsigned char peer_nonce[AUTH_NONCE_LEN],
	     enum seal_side side);
/* Wipes the keys and frees s; NULL is a no-op. */
void	 seal_free(struct seal *s);

/* Bytes seal_wrap() makes of n bytes. */
size_t	 seal_wrapped_len(size_t n);
/* Appends to out the records that carry the n bytes at p (none for 0). */
void	 seal_wrap(struct seal *s, const void *p, size_t n, struct gl_buf *out);

/* Appends n bytes received (copied). */
void	 seal_feed(struct seal *s, const void *p, size_t n);
/* Opens the next whole record: 1 with *p, *n its plaintext (borrowed until
 * the next seal_feed() or seal_open()), 0 when more bytes are needed, or
 * GL_EPROTO with err saying what was wrong and at which byte of the
 * stream (a frame that is not a record, a record over the limit, one that
 * does not authenticate); the seal then refuses everything after. */
int	 seal_open(struct seal *s, const void **p, size_t *n,
	     struct gl_err *err);
/* Opens every whole record fed so far into rd (the plaintext is a
 * msgpack-RPC stream). 0, or GL_EPROTO as seal_open(). */
int	 seal_open_into(struct seal *s, struct rpc_reader *rd,
	     struct gl_err *err);
/* A peer's reading: hands n bytes received to rd, through *sp if the
 * stream is sealed. With *answer set (the peer's proof just went out),
 * the first byte tells the kernel's sealed answer from a refusal in the
 * clear (seal_is_record()): for a refusal *sp is freed and set to NULL.
 * *answer is cleared by the first byte. 0, or GL_EPROTO. */
int	 seal_read(struct seal **sp, bool *answer, const void *p, size_t n,
	     struct rpc_reader *rd, struct gl_err *err);
/* Bytes received that are not yet a whole record: at the end of the
 * stream, more than 0 means the last record was cut short. */
size_t	 seal_pending(const struct seal *s);
/* Records sent and opened so far. */
uint64_t seal_sent(const struct seal *s);
uint64_t seal_opened(const struct seal *s);

/* True if a frame beginning with byte b is a record (a msgpack bin) and
 * not a plaintext message (an array): how a peer that just sent its
 * proof tells the kernel's sealed answer from a plaintext refusal. */
bool	 seal_is_record(unsigned char b);

#endif

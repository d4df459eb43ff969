/*
 * auth.h - the kernel's token and the challenge-response that proves a TCP
 * client holds it without sending it (docs/protocol.md); the same
 * handshake, keyed with the cluster secret, between the kernel and its
 * workers. A proof covers both sides' nonces and says who makes it, so
 * it is good for one connection and one direction only; the keys that
 * seal the rest of the connection come from the same secret and nonces
 * (core/seal.h). libsodium does the crypto: HMAC-SHA256 and a
 * constant-time compare. Used by kernel/ (its TCP clients and its
 * workers), client/ (answering the challenge) and lua/ (the worker's
 * side). Reads and creates the token file; no other I/O.
 */
#ifndef GL_AUTH_H
#define GL_AUTH_H

#include <stdbool.h>

struct gl_err;

#define AUTH_TOKEN_LEN	64	/* hex digits */
#define AUTH_NONCE_LEN	32
#define AUTH_MAC_LEN	32
/* The handshake's version, in auth.challenge. */
#define AUTH_VERSION	2

/* Who makes a proof: the peer that connected (a client, a worker) or the
 * kernel. */
enum auth_by {
	AUTH_BY_PEER,
	AUTH_BY_KERNEL,
};

/* Reads the token from path (surrounding whitespace ignored). GL_EPERM if
 * the file is readable by group or others; GL_ESYNTAX if not 64 hex. */
int	 auth_token_load(const char *path, char out[AUTH_TOKEN_LEN + 1],
	     struct gl_err *err);
/* Loads the token at path, or creates one (mode 0600) if there is none. */
int	 auth_token_load_or_create(const char *path,
	     char out[AUTH_TOKEN_LEN + 1], struct gl_err *err);
/* Makes a new token (64 hex digits of 256 random bits) into out. */
void	 auth_token_new(char out[AUTH_TOKEN_LEN + 1]);
/* A member's key: K = BLAKE2b-256(token), as 64 hex digits. A team
 * kernel keeps K for each member, never the token, and a member's client
 * proves (and seals) with K as the secret: the kernel's file holds
 * nothing usable elsewhere, though it is key-equivalent for this kernel
 * (docs/security.md). */
void	 auth_member_key(const char *token, char out[AUTH_TOKEN_LEN + 1]);
/* True if s is 64 hex digits. */
bool	 auth_token_valid(const char *s);
void	 auth_nonce(unsigned char nonce[AUTH_NONCE_LEN]);
/* mac = HMAC-SHA256(key = secret, "galley-auth-v2" || purpose || 0 ||
 * "peer" or "kernel" || 0 || kernel_nonce || peer_nonce): the proof that
 * `by` holds secret, for this connection only. purpose is "client" (the
 * token) or "worker" (the cluster secret). */
void	 auth_proof(const char *secret, const char *purpose, enum auth_by by,
	     const unsigned char kernel_nonce[AUTH_NONCE_LEN],
	     const unsigned char peer_nonce[AUTH_NONCE_LEN],
	     unsigned char mac[AUTH_MAC_LEN]);
/* Constant-time check of mac against the proof auth_proof() makes. */
bool	 auth_proof_check(const char *secret, const char *purpose,
	     enum auth_by by, const unsigned char kernel_nonce[AUTH_NONCE_LEN],
	     const unsigned char peer_nonce[AUTH_NONCE_LEN],
	     const unsigned char mac[AUTH_MAC_LEN]);

#endif

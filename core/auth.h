/*
 * auth.h - the kernel's token and the challenge-response that proves a TCP
 * client holds it without sending it (docs/protocol.md); the same
 * handshake, keyed with the cluster secret, between the kernel and its
 * workers. libsodium does the crypto: HMAC-SHA256 and a constant-time
 * compare. Used by kernel/ (its TCP clients and its workers), client/
 * (answering the challenge) and lua/ (the worker's side). Reads and
 * creates the token file; no other I/O.
 */
#ifndef GL_AUTH_H
#define GL_AUTH_H

#include <stdbool.h>

struct gl_err;

#define AUTH_TOKEN_LEN	64	/* hex digits */
#define AUTH_NONCE_LEN	32
#define AUTH_MAC_LEN	32

/* Reads the token from path (surrounding whitespace ignored). GL_EPERM if
 * the file is readable by group or others; GL_ESYNTAX if not 64 hex. */
int	 auth_token_load(const char *path, char out[AUTH_TOKEN_LEN + 1],
	     struct gl_err *err);
/* Loads the token at path, or creates one (mode 0600) if there is none. */
int	 auth_token_load_or_create(const char *path,
	     char out[AUTH_TOKEN_LEN + 1], struct gl_err *err);
void	 auth_nonce(unsigned char nonce[AUTH_NONCE_LEN]);
/* mac = HMAC-SHA256(token, "galley-auth-v1" || nonce). */
void	 auth_hmac(const char *token, const unsigned char nonce[AUTH_NONCE_LEN],
	     unsigned char mac[AUTH_MAC_LEN]);
/* Constant-time check of mac against the expected one. */
bool	 auth_verify(const char *token,
	     const unsigned char nonce[AUTH_NONCE_LEN],
	     const unsigned char mac[AUTH_MAC_LEN]);

#endif

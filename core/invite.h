/*
 * invite.h - an invitation to a session (issue 12, docs/pairing.md): one
 * word a person copies from `:share` or `galley share` and gives to
 * `galley attach`. It names the kernel (its TCP address, or its Unix
 * socket for the same user on the same machine), the session, the
 * notebook (a label for messages) and, for a team kernel, the member and
 * its token. Written "galley1:" then base64url (no padding) of a small
 * JSON object, so it has no character a shell, a chat or a terminal's
 * word selection would split or change.
 *
 * Pure (jansson, libsodium's base64). Made by kernel/ (session.share),
 * read by cli/ (galley attach). An invite with a token is as secret as
 * the token.
 */
#ifndef GL_INVITE_H
#define GL_INVITE_H

#include "core/auth.h"

struct gl_err;

#define INV_PREFIX	"galley1:"

struct inv {
	char	*kernel;	/* owned: "tcp:HOST:PORT" or "unix:PATH" */
	char	*session;	/* owned: "s1" */
	char	*path;		/* owned: the notebook, as a label; or NULL */
	char	*member;	/* owned: the member to be, or NULL (the
				 * owner: the same user, over Unix) */
	char	 token[AUTH_TOKEN_LEN + 1];	/* with member; else "" */
};

/* The invite's text. Caller frees. */
char	*inv_encode(const struct inv *inv);
/* Reads text (surrounding white space ignored) into *out, which the
 * caller inv_fini()s (also after a failure). GL_EINVAL saying what is
 * wrong: not an invite, cut short, from a newer galley. */
int	 inv_decode(const char *text, struct inv *out, struct gl_err *err);
void	 inv_fini(struct inv *inv);

#endif

/*
 * auth.c - token file and HMAC challenge-response.
 */
#include "core/auth.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/err.h"
#include "core/mem.h"
#include "core/util.h"

static const char auth_label[] = "galley-auth-v2";

int
auth_token_load(const char *path, char out[AUTH_TOKEN_LEN + 1],
    struct gl_err *err)
{
	struct stat	 st;
	char		*text = NULL, *s, *e;
	size_t		 len;
	int		 rc;

	if ((rc = gl_file_read(path, &text, &len, err)) != 0)
		return rc;
	if (stat(path, &st) == 0 && (st.st_mode & 077) != 0) {
		free(text);
		return gl_err_set(err, GL_EPERM,
		    "%s: token file must not be readable by others (chmod 600)",
		    path);
	}
	for (s = text; *s != '\0' && isspace((unsigned char)*s); s++)
		;
	for (e = s + strlen(s); e > s && isspace((unsigned char)e[-1]); e--)
		;
	if (e - s != AUTH_TOKEN_LEN) {
		free(text);
		return gl_err_set(err, GL_ESYNTAX,
		    "%s: a token is %d hex digits", path, AUTH_TOKEN_LEN);
	}
	for (char *p = s; p < e; p++) {
		if (!isxdigit((unsigned char)*p)) {
			free(text);
			return gl_err_set(err, GL_ESYNTAX,
			    "%s: a token is %d hex digits", path,
			    AUTH_TOKEN_LEN);
		}
	}
	memcpy(out, s, AUTH_TOKEN_LEN);
	out[AUTH_TOKEN_LEN] = '\0';
	free(text);
	return 0;
}

int
auth_token_load_or_create(const char *path, char out[AUTH_TOKEN_LEN + 1],
    struct gl_err *err)
{
	unsigned char	 raw[AUTH_TOKEN_LEN / 2];
	char		 hex[AUTH_TOKEN_LEN + 2];
	int		 rc;

	if (access(path, F_OK) == 0)
		return auth_token_load(path, out, err);
	if (sodium_init() < 0)
		return gl_err_set(err, GL_EIO, "libsodium failed to initialise");
	randombytes_buf(raw, sizeof raw);
	sodium_bin2hex(hex, sizeof hex, raw, sizeof raw);
	hex[AUTH_TOKEN_LEN] = '\n';
	if ((rc = gl_file_write_atomic(path, hex, AUTH_TOKEN_LEN + 1, 0600,
	    err)) != 0)
		return rc;
	memcpy(out, hex, AUTH_TOKEN_LEN);
	out[AUTH_TOKEN_LEN] = '\0';
	return 0;
}

void
auth_token_new(char out[AUTH_TOKEN_LEN + 1])
{
	unsigned char	 raw[AUTH_TOKEN_LEN / 2];

	if (sodium_init() < 0)
		gl_fatal("libsodium failed to initialise");
	randombytes_buf(raw, sizeof raw);
	sodium_bin2hex(out, AUTH_TOKEN_LEN + 1, raw, sizeof raw);
	sodium_memzero(raw, sizeof raw);
}

void
auth_member_key(const char *token, char out[AUTH_TOKEN_LEN + 1])
{
	unsigned char	 k[AUTH_TOKEN_LEN / 2];

	if (sodium_init() < 0)
		gl_fatal("libsodium failed to initialise");
	crypto_generichash(k, sizeof k, (const unsigned char *)token,
	    strlen(token), NULL, 0);
	sodium_bin2hex(out, AUTH_TOKEN_LEN + 1, k, sizeof k);
	sodium_memzero(k, sizeof k);
}

bool
auth_token_valid(const char *s)
{
	size_t	 n = strlen(s);

	if (n != AUTH_TOKEN_LEN)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]))
			return false;
	return true;
}

void
auth_nonce(unsigned char nonce[AUTH_NONCE_LEN])
{
	if (sodium_init() < 0)
		gl_fatal("libsodium failed to initialise");
	randombytes_buf(nonce, AUTH_NONCE_LEN);
}

void
auth_proof(const char *secret, const char *purpose, enum auth_by by,
    const unsigned char kernel_nonce[AUTH_NONCE_LEN],
    const unsigned char peer_nonce[AUTH_NONCE_LEN],
    unsigned char mac[AUTH_MAC_LEN])
{
	crypto_auth_hmacsha256_state	 st;
	const char			*who = by == AUTH_BY_KERNEL ?
					    "kernel" : "peer";

	crypto_auth_hmacsha256_init(&st, (const unsigned char *)secret,
	    strlen(secret));
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)auth_label,
	    sizeof auth_label - 1);
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)purpose,
	    strlen(purpose) + 1);
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)who,
	    strlen(who) + 1);
	crypto_auth_hmacsha256_update(&st, kernel_nonce, AUTH_NONCE_LEN);
	crypto_auth_hmacsha256_update(&st, peer_nonce, AUTH_NONCE_LEN);
	crypto_auth_hmacsha256_final(&st, mac);
	sodium_memzero(&st, sizeof st);
}

bool
auth_proof_check(const char *secret, const char *purpose, enum auth_by by,
    const unsigned char kernel_nonce[AUTH_NONCE_LEN],
    const unsigned char peer_nonce[AUTH_NONCE_LEN],
    const unsigned char mac[AUTH_MAC_LEN])
{
	unsigned char	 want[AUTH_MAC_LEN];
	bool		 ok;

	auth_proof(secret, purpose, by, kernel_nonce, peer_nonce, want);
	ok = sodium_memcmp(want, mac, AUTH_MAC_LEN) == 0;
	sodium_memzero(want, sizeof want);
	return ok;
}

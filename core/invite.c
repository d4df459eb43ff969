/*
 * invite.c - invitations to a session as one word (core/invite.h).
 */
#include "core/invite.h"

#include <ctype.h>
#include <jansson.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/mem.h"

#define INV_MAX		4096	/* bytes of an invite's text we read */

char *
inv_encode(const struct inv *inv)
{
	json_t	*j = json_object();
	char	*text, *out;
	size_t	 len, blen;

	json_object_set_new(j, "k", json_string(inv->kernel));
	json_object_set_new(j, "s", json_string(inv->session));
	if (inv->path != NULL)
		json_object_set_new(j, "p", json_string(inv->path));
	if (inv->member != NULL) {
		json_object_set_new(j, "m", json_string(inv->member));
		json_object_set_new(j, "t", json_string(inv->token));
	}
	text = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	if (text == NULL)
		gl_fatal("inv_encode: cannot encode");
	len = strlen(text);
	blen = sodium_base64_ENCODED_LEN(len,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	out = xmalloc(sizeof INV_PREFIX - 1 + blen);
	memcpy(out, INV_PREFIX, sizeof INV_PREFIX - 1);
	sodium_bin2base64(out + sizeof INV_PREFIX - 1, blen,
	    (const unsigned char *)text, len,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(text, len);
	free(text);
	return out;
}

/* A string member of j, copied, or NULL. */
static char *
inv_str(json_t *j, const char *key)
{
	const char *v = json_string_value(json_object_get(j, key));

	return v != NULL ? xstrdup(v) : NULL;
}

int
inv_decode(const char *text, struct inv *out, struct gl_err *err)
{
	const char	*b, *e;
	unsigned char	*raw = NULL;
	size_t		 rawlen = 0;
	json_t		*j = NULL;
	json_error_t	 je;
	int		 rc;

	memset(out, 0, sizeof *out);
	for (b = text; isspace((unsigned char)*b); b++)
		;
	for (e = b + strlen(b); e > b && isspace((unsigned char)e[-1]); e--)
		;
	if ((size_t)(e - b) < sizeof INV_PREFIX ||
	    strncmp(b, "galley", 6) != 0 || strchr(b, ':') == NULL)
		return gl_err_set(err, GL_EINVAL, "not a galley invite (they "
		    "begin with %s)", INV_PREFIX);
	if (strncmp(b, INV_PREFIX, sizeof INV_PREFIX - 1) != 0)
		return gl_err_set(err, GL_EINVAL, "an invite of another "
		    "version (%.*s): use the galley that made it",
		    (int)(strchr(b, ':') - b), b);
	b += sizeof INV_PREFIX - 1;
	if ((size_t)(e - b) > INV_MAX)
		return gl_err_set(err, GL_EINVAL, "the invite is too long");
	raw = xmalloc((size_t)(e - b) + 1);
	/* White space inside is where a screen or a paste broke it. */
	if (sodium_base642bin(raw, (size_t)(e - b), b, (size_t)(e - b),
	    " \t\r\n", &rawlen, NULL,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0) {
		rc = gl_err_set(err, GL_EINVAL, "the invite is damaged (cut "
		    "short or changed in copying?)");
		goto out;
	}
	if ((j = json_loadb((const char *)raw, rawlen, 0, &je)) == NULL ||
	    !json_is_object(j)) {
		rc = gl_err_set(err, GL_EINVAL, "the invite is damaged (cut "
		    "short or changed in copying?)");
		goto out;
	}
	out->kernel = inv_str(j, "k");
	out->session = inv_str(j, "s");
	out->path = inv_str(j, "p");
	out->member = inv_str(j, "m");
	if (out->member != NULL) {
		const char *t = json_string_value(json_object_get(j, "t"));

		if (t == NULL || !auth_token_valid(t)) {
			rc = gl_err_set(err, GL_EINVAL, "the invite has a "
			    "member but no token");
			goto out;
		}
		memcpy(out->token, t, AUTH_TOKEN_LEN + 1);
	}
	if (out->kernel == NULL || out->session == NULL ||
	    (strncmp(out->kernel, "tcp:", 4) != 0 &&
	    strncmp(out->kernel, "unix:", 5) != 0)) {
		rc = gl_err_set(err, GL_EINVAL, "the invite names no kernel "
		    "or no session");
		goto out;
	}
	rc = 0;
out:
	if (raw != NULL) {
		sodium_memzero(raw, (size_t)(e - b) + 1);
		free(raw);
	}
	json_decref(j);
	return rc;
}

void
inv_fini(struct inv *inv)
{
	free(inv->kernel);
	free(inv->session);
	free(inv->path);
	free(inv->member);
	sodium_memzero(inv->token, sizeof inv->token);
	memset(inv, 0, sizeof *inv);
}

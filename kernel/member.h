/*
 * member.h - a team kernel's members (issue 12, docs/security.md): each a
 * name, a role (kernel/req.h), a key and an optional expiry, kept in
 * members.json in the runtime directory beside the token file (mode 0600
 * in the 0700 directory). A member's token (256 random bits) is shown
 * once, when it is made; the file keeps K = BLAKE2b-256(token)
 * (auth_member_key()), with which the member's client proves itself and
 * seals its connection, so the file holds no token usable elsewhere but
 * is key-equivalent for this kernel. Tokens and keys are never logged.
 *
 * The kernel (kernel/server-member.c: the handshake, kernel.member_*,
 * session.share) and `galley kernel member` when no kernel runs
 * (cli/cmd_member.c) read and write the file through this module. A
 * set in memory is the file's contents: each change (add, remove, role)
 * writes the file whole (atomically) and holds only once it is written,
 * so a change the file cannot take changes nothing. Times are Unix
 * milliseconds, given by the caller.
 */
#ifndef GL_MEMBER_H
#define GL_MEMBER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/auth.h"
#include "kernel/req.h"

struct gl_err;

#define MBR_NAME_MAX	32	/* bytes of a member's name */
#define MBR_FILE	"members.json"

struct mbr {
	char		 name[MBR_NAME_MAX + 1];
	enum req_role	 role;		/* viewer, editor or owner */
	char		 key[AUTH_TOKEN_LEN + 1];	/* K, hex */
	int64_t		 expires_ms;	/* 0: never */
	int64_t		 created_ms;
	char		 by[64];	/* who made it */
};

struct mbr_set;

/* The members in path (a file that does not exist is no members). *out is
 * the caller's to mbr_set_free(). GL_EPERM for a file others may read,
 * GL_ESYNTAX for one that is not a members file (both name the path). */
int	 mbr_set_load(const char *path, struct mbr_set **out,
	     struct gl_err *err);
void	 mbr_set_free(struct mbr_set *ms);
/* Writes the set to its file (atomic, mode 0600). The changes below do
 * it themselves. */
int	 mbr_set_save(struct mbr_set *ms, struct gl_err *err);
size_t	 mbr_set_count(const struct mbr_set *ms);
/* The i-th member (in the order they were made); borrowed until the set
 * changes. */
const struct mbr *mbr_set_at(const struct mbr_set *ms, size_t i);
const struct mbr *mbr_set_find(const struct mbr_set *ms, const char *name);

/* Adds member name (NULL: a fresh "guest-XXXX") with role, expiring at
 * expires_ms (0: never), made by `by` at now_ms; writes its new token
 * into token (shown once, never kept) and the member's name into *added
 * (borrowed). GL_EINVAL for a bad name or role, GL_EEXIST for a name
 * taken (the kernel's own user is the owner's). Saved: if the file
 * cannot be written, the error says so ("member NAME not added: PATH:
 * not written: ...", the OS's code such as GL_ENOSPC), the set is as it
 * was and token is cleared. */
int	 mbr_set_add(struct mbr_set *ms, const char *name, enum req_role role,
	     int64_t expires_ms, const char *by, int64_t now_ms,
	     char token[AUTH_TOKEN_LEN + 1], const struct mbr **added,
	     struct gl_err *err);
/* Removes name; GL_ENOTFOUND if there is no such member. Saved, as
 * mbr_set_add() is: on failure the set is as it was. */
int	 mbr_set_remove(struct mbr_set *ms, const char *name,
	     struct gl_err *err);
/* Changes name's role; GL_ENOTFOUND, GL_EINVAL. Saved, as mbr_set_add()
 * is: on failure the set is as it was. */
int	 mbr_set_role(struct mbr_set *ms, const char *name, enum req_role role,
	     struct gl_err *err);

/* True if m has expired at now_ms. */
bool	 mbr_expired(const struct mbr *m, int64_t now_ms);
/* 0 if name may name a member: 1 to 32 bytes of letters, digits, '.',
 * '_', '-', not beginning with '-' or '.'; else GL_EINVAL saying why. */
int	 mbr_name_check(const char *name, struct gl_err *err);
/* A duration: "90s", "30m", "8h", "2d", "1w" (a number alone is
 * seconds) into *ms; GL_EINVAL otherwise. */
int	 mbr_duration_parse(const char *s, int64_t *ms, struct gl_err *err);
/* "in 7h 59m", "expired 3m ago" or "never" for expires_ms at now_ms, into
 * buf. */
void	 mbr_expiry_text(int64_t expires_ms, int64_t now_ms, char *buf,
	     size_t len);

#endif

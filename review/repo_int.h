/*
 * repo_int.h - what the files of the git module share (review/repo.h is
 * its public side): repo.c (repositories, revisions, files, commits, log,
 * notes and their sync) and repo-lib.c (what the library registry needs:
 * fetching and pushing refs, tags, the files of a directory at a commit,
 * committing a directory). The only files that include git2.h.
 */
#ifndef GL_REPO_INT_H
#define GL_REPO_INT_H

#include <git2.h>

#include "review/repo.h"

struct gl_err;

struct repo {
	git_repository	*git;		/* owned */
	char		*workdir;	/* owned; NULL if bare */
	char		*gitdir;	/* owned */
};

/* A GL_E* for libgit2's rc, with err saying what (printf) and what
 * libgit2 said. */
int	 repo_fail(struct gl_err *err, int gitrc, const char *fmt, ...)
	     __attribute__((format(printf, 3, 4)));
/* libgit2's credential callback: the ssh agent, once. payload: a struct
 * repo_remote_cb. */
int	 repo_on_cred(git_credential **out, const char *url, const char *user,
	     unsigned int allowed, void *payload);

/* What the remote callbacks share (libgit2 gives them one payload). */
struct repo_remote_cb {
	int	  tries;	/* credential requests so far */
	char	**rejected;	/* refs the remote refused */
	size_t	  nrejected;
	char	 *why;		/* the first refusal's message */
};

/* push_update_reference: records refused refs into the payload. */
int	 repo_on_push_update(const char *ref, const char *status,
	     void *payload);
void	 repo_strv_add(char ***v, size_t *n, const char *s);
void	 repo_strv_free(char **v, size_t n);

#endif

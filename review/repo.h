/*
 * repo.h - git repositories, through libgit2: open or create one, resolve
 * revisions, read a file at a commit, in the index or in the work tree,
 * list the paths that differ between two of those, commit one file, the
 * log of one path, notes (read, append, list) and fetching and pushing
 * notes refs with a union merge.
 *
 * repo.c and repo-lib.c (review/repo_int.h) are the only files in galley
 * that include git2.h; nothing shells out to git. It knows nothing of
 * notebooks or reviews: review/review*.c, review/registry.c, cli/ and
 * tests call it. Depends on core/ only.
 *
 * Object ids cross this interface as 40 hex digits (REPO_OID_HEX with the
 * NUL). Paths are relative to the work tree's top, with '/'.
 */
#ifndef GL_REPO_H
#define GL_REPO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct gl_err;

#define REPO_OID_HEX	41

struct repo;			/* opaque: one open repository */

/* Opens the repository that holds path (a directory or file inside its
 * work tree, its .git, or a bare repository), searching upward as git
 * does. *out is the caller's to repo_free(). GL_ENOTFOUND, naming path,
 * when there is none. */
int	 repo_open(const char *path, struct repo **out, struct gl_err *err);
/* Creates a repository at path (bare: no work tree), with "main" as the
 * unborn HEAD branch, and opens it. */
int	 repo_init(const char *path, bool bare, struct repo **out,
	     struct gl_err *err);
/* Clones url (a path or any URL libgit2 speaks) into path, as git clone
 * does (the remote is "origin"), and opens the clone. */
int	 repo_clone(const char *url, const char *path, bool bare,
	     struct repo **out, struct gl_err *err);
void	 repo_free(struct repo *r);
/* A long-lived process that opens a repository per request (the kernel)
 * holds libgit2 set up between them (on), and lets it go at its end
 * (off): setting it up again each time the last repository closed costs
 * about 8 ms. Counted: each on wants one off. */
void	 repo_library_hold(bool on);

/* The work tree's top, ending in '/'; NULL for a bare repository.
 * Borrowed until repo_free(). */
const char *repo_workdir(const struct repo *r);
/* The git directory (".git/" of a work tree), ending in '/'. Borrowed. */
const char *repo_gitdir(const struct repo *r);

/* Sets a string in the repository's own config (.git/config). */
int	 repo_config_set(struct repo *r, const char *key, const char *value,
	     struct gl_err *err);
/* "Name <email>" from git config (user.name, user.email), caller frees.
 * GL_ENOTFOUND saying which settings to make when they are missing. */
int	 repo_identity(struct repo *r, char **out, struct gl_err *err);

/* Resolves rev ("HEAD", "main", "origin/main", "a1b2c3", "HEAD~2", ...)
 * to the commit it names. GL_ENOTFOUND naming rev. */
int	 repo_resolve(struct repo *r, const char *rev, char out[REPO_OID_HEX],
	     struct gl_err *err);
/* The short name of the branch HEAD is on ("feature"); caller frees.
 * GL_ENOTFOUND when HEAD is detached. An unborn branch has a name. */
int	 repo_head_branch(struct repo *r, char **out, struct gl_err *err);
/* What the current branch is reviewed against: its upstream
 * ("origin/main") if it has one, else the first of main, master,
 * origin/main, origin/master that exists and is not the branch itself.
 * Caller frees. GL_ENOTFOUND if none. */
int	 repo_default_base(struct repo *r, char **out, struct gl_err *err);
/* The best common ancestor of two commits. GL_ENOTFOUND if none. */
int	 repo_merge_base(struct repo *r, const char *a, const char *b,
	     char out[REPO_OID_HEX], struct gl_err *err);
/* The short form of a commit id git would print (7+ digits, unique). */
void	 repo_short(struct repo *r, const char *oid, char out[REPO_OID_HEX]);

/* One side of a comparison. */
enum repo_where {
	REPO_COMMIT,		/* the tree of commit oid */
	REPO_INDEX,		/* the staging area */
	REPO_WORKTREE,		/* the files on disk */
};

struct repo_side {
	enum repo_where	 where;
	char		 oid[REPO_OID_HEX];	/* REPO_COMMIT only */
};

/* Reads path on side into *out (NUL-terminated, caller frees; *len its
 * length). GL_ENOTFOUND when the side has no such file. */
int	 repo_file_read(struct repo *r, const struct repo_side *side,
	     const char *path, char **out, size_t *len, struct gl_err *err);

/* A path that differs between two sides. */
struct repo_change {
	char	 status;	/* 'A'dded, 'D'eleted, 'M'odified, 'R'enamed,
				   'T'ype changed */
	char	*old_path;	/* owned; NULL when added */
	char	*new_path;	/* owned; NULL when deleted */
};

/* The paths that differ from side a to side b, in path order, renames
 * found as git does by default; untracked files are not listed. Allowed
 * pairs: commit/commit, commit/index, commit/worktree, index/worktree.
 * paths (npaths of them, may be 0) limit the list as git pathspecs do.
 * *out is the caller's to repo_changes_free(). */
int	 repo_changes(struct repo *r, const struct repo_side *a,
	     const struct repo_side *b, const char *const *paths,
	     size_t npaths, struct repo_change **out, size_t *n,
	     struct gl_err *err);
void	 repo_changes_free(struct repo_change *v, size_t n);

/* Commits the work tree's path (or its deletion, if the file is gone) on
 * HEAD's branch with msg, author and committer from git config, as
 * `git commit -- path` does: other staged changes stay staged, and the
 * index entry of path is updated. out (may be NULL) gets the new commit.
 * GL_ENOTFOUND if there is no identity; GL_ECONFLICT if HEAD moved
 * meanwhile. */
int	 repo_commit_file(struct repo *r, const char *path, const char *msg,
	     char out[REPO_OID_HEX], struct gl_err *err);
/* Commits data as path (NULL data: removes path) on branch ("main"),
 * whose tip is the parent (a root commit if the branch does not exist
 * yet). Neither the work tree nor the index changes. For tools and tests
 * that build history without a work tree. */
int	 repo_commit_blob(struct repo *r, const char *branch, const char *path,
	     const void *data, size_t len, const char *msg,
	     char out[REPO_OID_HEX], struct gl_err *err);
/* Creates branch name at rev. GL_EEXIST if it exists. */
int	 repo_branch_create(struct repo *r, const char *name, const char *rev,
	     struct gl_err *err);

/* A commit in a log. */
struct repo_commit {
	char		 oid[REPO_OID_HEX];
	char		*author;	/* owned: "Name <email>" */
	long long	 time;		/* author time, seconds since 1970 */
	char		*summary;	/* owned: first line of the message */
};

/* The commits reachable from rev (NULL: HEAD) that changed path, newest
 * first, at most max (0: all). *out is the caller's to repo_log_free(). */
int	 repo_log(struct repo *r, const char *rev, const char *path,
	     size_t max, struct repo_commit **out, size_t *n,
	     struct gl_err *err);
void	 repo_log_free(struct repo_commit *v, size_t n);

/*
 * Notes. ref is a full name ("refs/notes/galley/reviews"); oid names the
 * annotated object.
 */

/* The note on oid: *text NUL-terminated, caller frees. GL_ENOTFOUND when
 * there is none (or no such ref). */
int	 repo_note_read(struct repo *r, const char *ref, const char *oid,
	     char **text, size_t *len, struct gl_err *err);
/* Appends text to the note on oid (creating the note and the ref as
 * needed); a '\n' is put between the old text and the new if the old
 * does not end in one. The ref moves by compare-and-swap, so two
 * processes appending at once both land. */
int	 repo_note_append(struct repo *r, const char *ref, const char *oid,
	     const char *text, size_t len, struct gl_err *err);
/* Calls cb for every note under ref (none if the ref does not exist); a
 * non-zero return from cb stops the walk and is returned. */
typedef int (*repo_note_cb)(const char *oid, const char *text, size_t len,
	     void *arg);
int	 repo_notes_foreach(struct repo *r, const char *ref, repo_note_cb cb,
	     void *arg, struct gl_err *err);

/* Merges two texts of one note that both sides changed; returns a new
 * string (caller frees). review/ passes a union of records. */
typedef char *(*repo_note_merge_cb)(const char *ours, size_t ours_len,
	     const char *theirs, size_t theirs_len, void *arg);

/* What repo_notes_sync() did. */
struct repo_sync {
	char	**updated;	/* owned: local refs that took remote notes */
	size_t	  nupdated;
	char	**pushed;	/* owned: refs pushed */
	size_t	  npushed;
};
void	 repo_sync_fini(struct repo_sync *s);

/* Fetches every ref under prefix ("refs/notes/galley/") from remote (a
 * configured remote's name, a path, or any URL libgit2 speaks; NULL:
 * "origin"), merges each into the local ref of the same name (fast
 * forward, else a merge commit whose notes both sides changed are
 * merge(ours, theirs)), then pushes every local ref under prefix. A push
 * refused because the remote moved meanwhile starts over (a few times).
 * SSH credentials come from the ssh agent. *s (zeroed by the caller) is
 * filled even on failure; repo_sync_fini() frees it. */
int	 repo_notes_sync(struct repo *r, const char *remote, const char *prefix,
	     repo_note_merge_cb merge, void *arg, struct repo_sync *s,
	     struct gl_err *err);

/*
 * What the library registry (review/registry.h) needs (repo-lib.c).
 */

/* Fetches the refspecs ("+refs/heads/main:refs/heads/main") from url (a path
 * or any URL libgit2 speaks) into r. GL_EIO (or GL_EAUTH) naming url when it
 * cannot be reached. */
int	 repo_fetch(struct repo *r, const char *url, const char *const *specs,
	     size_t n, struct gl_err *err);
/* Pushes the refspecs to url. GL_ECONFLICT when the remote refused a ref
 * (it moved, or the tag exists there). */
int	 repo_push(struct repo *r, const char *url, const char *const *specs,
	     size_t n, struct gl_err *err);

/* A tag: its name (without refs/tags/), the commit it names, and for an
 * annotated tag its tagger, time and message (else the commit's author,
 * time and ""). */
struct repo_tag {
	char	*name;			/* owned */
	char	 commit[REPO_OID_HEX];
	char	*tagger;		/* owned: "Name <email>" */
	int64_t	 time;			/* Unix seconds */
	char	*message;		/* owned */
};

/* The tags matching glob ("stats/v*", "*"), in no order. The caller
 * frees them with repo_tags_free(). */
int	 repo_tags(struct repo *r, const char *glob, struct repo_tag **out,
	     size_t *n, struct gl_err *err);
void	 repo_tags_free(struct repo_tag *v, size_t n);

/* A file of a tree. */
struct repo_file {
	char	*path;			/* owned; relative to the directory */
	char	*data;			/* owned; NUL-terminated */
	size_t	 len;
};

/* The files under dir (NULL or "": all) at rev, paths relative to dir,
 * sorted. GL_ENOTFOUND when rev has no such directory. */
int	 repo_dir_files(struct repo *r, const char *rev, const char *dir,
	     struct repo_file **out, size_t *n, struct gl_err *err);
void	 repo_files_free(struct repo_file *v, size_t n);
/* Commits on branch (bare repositories too) a tree that is the branch's
 * with dir/ replaced by files[0..n), by author ("Name <email>"); moves
 * the branch (created if missing); out gets the commit. */
int	 repo_commit_dir(struct repo *r, const char *branch, const char *dir,
	     const struct repo_file *files, size_t n, const char *author,
	     const char *msg, char out[REPO_OID_HEX], struct gl_err *err);
/* An annotated tag name on commit by tagger ("Name <email>") with msg.
 * GL_EEXIST if there is one. */
int	 repo_tag_create(struct repo *r, const char *name, const char *commit,
	     const char *tagger, const char *msg, struct gl_err *err);
/* Deletes ref ("refs/tags/x"); none is no error. */
int	 repo_ref_delete(struct repo *r, const char *name,
	     struct gl_err *err);

#endif

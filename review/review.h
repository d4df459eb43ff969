/*
 * review.h - code reviews stored in git: a review is base..head with a
 * title, an author, reviewers, comment threads and verdicts, kept as
 * JSON-line records in git notes under refs/notes/galley/ (the approach
 * git-appraise proved). Records are only ever appended, and two copies of
 * a note merge by the union of their lines, so two reviewers writing at
 * once never conflict. docs/review.md is the record format.
 *
 * A comment anchors to a path, a cell id, a line range within the cell
 * and the commit it was made on; rev_locate() finds where it is at the
 * review's head (it follows its cell when the cell moved, and is outdated
 * when its lines changed). A comment may carry replacement lines, which
 * rev_apply() makes an edit of the notebook in the work tree.
 *
 * A library that knows no screen: cli/, the kernel's review.* methods
 * (which the TUI's review mode calls) and tests call it. Records are
 * parsed and reviews assembled without git (rev_store_add_note(), pure);
 * everything else goes through review/repo.h. Depends on core/,
 * review/repo.h, review/ndiff.h, jansson.
 */
#ifndef GL_REVIEW_H
#define GL_REVIEW_H

#include <stdbool.h>
#include <stddef.h>

#include "review/repo.h"

struct gl_err;
struct json_t;
struct repo_sync;

#define REV_NOTES_PREFIX	"refs/notes/galley/"
#define REV_NOTES_REF		"refs/notes/galley/reviews"
/* The record format's version ("v" in every record). A record with a
 * higher one is skipped with a warning (a newer galley wrote it). */
#define REV_VERSION		1
/* Review and thread ids: this many lowercase letters and digits. */
#define REV_ID_LEN		8

enum rev_verdict {
	REV_NO_VERDICT,
	REV_APPROVE,
	REV_REQUEST_CHANGES,
};

/* Where a thread's lines are at the review's head (rev_locate()). */
enum rev_where {
	REV_UNKNOWN,		/* not located yet */
	REV_CURRENT,		/* the same lines, maybe elsewhere */
	REV_OUTDATED,		/* the lines changed */
	REV_GONE,		/* its file or cell is gone */
};

/* A reply to a thread. */
struct rev_reply {
	char	*id;		/* owned */
	char	*author;	/* owned: "Name <email>" */
	char	*at;		/* owned: "2025-01-31T12:00:00.000Z" */
	char	*body;		/* owned */
};

struct rev_thread {
	char		*id;		/* owned: the comment's id */
	char		*author, *at, *body;	/* owned */
	char		*commit;	/* owned: made on this commit */
	char		*path;		/* owned */
	char		*cell;		/* owned; NULL for a file's lines */
	unsigned	 line0, line1;	/* 1-based, inclusive; 0: the cell */
	char		*text;		/* owned: the lines it was made on */
	char		*suggestion;	/* owned; NULL if none: lines that
					   replace line0..line1 */
	bool		 resolved;
	char		*resolved_by;	/* owned; who resolved or reopened
					   last, or NULL */
	struct rev_reply *replies;	/* owned */
	size_t		 nreplies;
	/* Filled by rev_locate(). */
	enum rev_where	 where;
	unsigned	 now0, now1;	/* the lines at head, when current */
	size_t		 cell_index;	/* the cell's index at head */
	bool		 moved;		/* the cell is at another index */
	bool		 applied;	/* head has the suggestion already */
};

/* The latest verdict of one person. */
struct rev_verdict_of {
	char		*author;	/* owned */
	enum rev_verdict verdict;
	char		*at;		/* owned */
	char		*commit;	/* owned: the head it was given on */
	char		*body;		/* owned; may be "" */
};

struct rev_review {
	char			*id, *title, *author, *at;	/* owned */
	char			*base, *head;	/* owned: as named at start */
	char			*base_commit, *head_commit;	/* owned */
	char			*anchor;	/* owned: the commit whose note
						   holds the records */
	char			**reviewers;	/* owned */
	size_t			 nreviewers;
	struct rev_thread	*threads;	/* owned */
	size_t			 nthreads;
	struct rev_verdict_of	*verdicts;	/* owned */
	size_t			 nverdicts;
};

/* Every review found in a repository's notes. */
struct rev_store {
	struct rev_review	*reviews;	/* owned; oldest first */
	size_t			 n;
	char			**warnings;	/* owned: records skipped */
	size_t			 nwarnings;
	struct rev_rec		*recs;		/* owned: before finish */
	size_t			 nrecs, caprecs;
};

/*
 * Reading.
 */

/* A new empty store (caller frees with rev_store_free()). */
struct rev_store *rev_store_new(void);
void	 rev_store_free(struct rev_store *s);
/* Adds the records of one note (on commit anchor) to s. Pure. A line
 * that is not a valid record is skipped and a warning added naming the
 * commit and the line. */
void	 rev_store_add_note(struct rev_store *s, const char *anchor,
	     const char *text, size_t len);
/* Assembles the reviews from the records added, in time order: replies
 * and resolutions join their threads, the latest verdict of each person
 * wins. Call once, after the last rev_store_add_note(). */
void	 rev_store_finish(struct rev_store *s);
/* Loads every review under REV_NOTES_REF. */
int	 rev_store_load(struct repo *r, struct rev_store **out,
	     struct gl_err *err);

/* The review whose id starts with id (GL_ENOTFOUND; GL_EINVAL when the
 * prefix names several), or with id NULL, the newest open review whose
 * head is the current branch (GL_ENOTFOUND if none). Borrowed. */
struct rev_review *rev_find(struct rev_store *s, struct repo *r,
	     const char *id, struct gl_err *err);
/* The thread whose id starts with id, in any review; *rv gets its
 * review. Borrowed. */
struct rev_thread *rev_find_thread(struct rev_store *s, const char *id,
	     struct rev_review **rv, struct gl_err *err);

/* The commit the review is at now: its head name resolved (the branch
 * moved on), else the head it started on. */
int	 rev_head(struct repo *r, const struct rev_review *rv,
	     char out[REPO_OID_HEX], struct gl_err *err);
int	 rev_base(struct repo *r, const struct rev_review *rv,
	     char out[REPO_OID_HEX], struct gl_err *err);
/* Fills where/now0/now1/cell_index/moved/applied of every thread,
 * against the review's head. */
int	 rev_locate(struct repo *r, struct rev_review *rv, struct gl_err *err);
/* Open threads (not resolved). */
size_t	 rev_open_threads(const struct rev_review *rv);
/* "approved", "changes-requested" or "open", from the verdicts. */
const char *rev_status(const struct rev_review *rv);

/*
 * Writing. Each appends one record (author from git config, now as its
 * time) to the review's note.
 */

struct rev_start_req {
	const char		*base;		/* a revision name */
	const char		*head;		/* a revision name */
	const char		*title;		/* NULL: head's summary */
	const char *const	*reviewers;
	size_t			 nreviewers;
};

/* Starts a review of base..head; out (REV_ID_LEN + 1) gets its id. */
int	 rev_start(struct repo *r, const struct rev_start_req *q, char *out,
	     struct gl_err *err);

struct rev_comment_req {
	const char	*path;		/* at the review's head */
	const char	*cell;		/* NULL: lines of a plain file */
	unsigned	 line0, line1;	/* 0: the whole cell */
	const char	*body;
	const char	*suggestion;	/* NULL: none */
};

/* Comments on the review's head; out (REV_ID_LEN + 1) gets the thread's
 * id. GL_ENOTFOUND naming the path, cell or lines that are not at head. */
int	 rev_comment(struct repo *r, const struct rev_review *rv,
	     const struct rev_comment_req *q, char *out, struct gl_err *err);
int	 rev_reply(struct repo *r, const struct rev_review *rv,
	     const struct rev_thread *t, const char *body, char *out,
	     struct gl_err *err);
int	 rev_resolve(struct repo *r, const struct rev_review *rv,
	     const struct rev_thread *t, bool resolved, struct gl_err *err);
int	 rev_give_verdict(struct repo *r, const struct rev_review *rv,
	     enum rev_verdict v, const char *body, struct gl_err *err);

/* Applies t's suggestion to the work tree's file: finds the cell (by id,
 * wherever it is now) and the lines (through the edits made since the
 * comment), replaces them and writes the file atomically through the
 * notebook model. GL_ECONFLICT when those lines changed since;
 * GL_EUNSUPPORTED for .ipynb. *path_out (may be NULL) gets the file
 * written, caller frees. */
int	 rev_apply(struct repo *r, const struct rev_thread *t, char **path_out,
	     struct gl_err *err);

/* Where t's suggestion goes in now[0..nowlen), the text of t's cell (or
 * file) in the version to edit: bytes [*start, *end) are to be replaced
 * by *repl (caller frees). The lines are carried through the edits made
 * since the comment, as rev_apply() does; GL_ECONFLICT when they changed,
 * GL_EEXIST when now has the suggestion already. The kernel uses it to
 * apply a suggestion as an edit of an open notebook. */
int	 rev_apply_range(struct repo *r, const struct rev_thread *t,
	     const char *now, size_t nowlen, size_t *start, size_t *end,
	     char **repl, struct gl_err *err);

/* Fetches and pushes every ref under REV_NOTES_PREFIX (remote: a name, a
 * path or a URL; NULL: origin), merging notes by the union of their records. */
int	 rev_sync(struct repo *r, const char *remote, struct repo_sync *s,
	     struct gl_err *err);
/* The union of two notes' records: ours' lines, then theirs' lines ours
 * lacks. Caller frees. (repo_note_merge_cb) */
char	*rev_union(const char *ours, size_t ours_len, const char *theirs,
	     size_t theirs_len, void *arg);

/*
 * Pure helpers.
 */

/* Where lines l0..l1 (1-based, inclusive) of old are in new: REV_CURRENT
 * with *n0..*n1 when no edit from old to new touched them (lines around
 * may have come and gone), else REV_OUTDATED. */
enum rev_where rev_anchor_map(const char *old, size_t oldlen,
	     const char *new, size_t newlen, unsigned l0, unsigned l1,
	     unsigned *n0, unsigned *n1);

/* JSON of a review (docs/review.md); threads included if asked. New
 * reference. */
struct json_t *rev_review_json(const struct rev_review *rv, bool threads);
struct json_t *rev_thread_json(const struct rev_thread *t);
/* "approve", "request-changes", "" */
const char *rev_verdict_name(enum rev_verdict v);

#endif

/*
 * store.h - a project's SQLite store, <project>/.galley/store.db (the
 * directory gets a .gitignore of "*"; it is 0700 and the database files
 * 0600, as they hold unsaved edits): the edit journal and the cells'
 * last outputs (DESIGN section 5).
 *
 * - journal: every doc.edit the kernel accepts is inserted, in one
 *   transaction per edit request, before the edit is acknowledged. Rows
 *   carry the hash of the file bytes the edits apply to (base_hash), so
 *   that after a crash they are replayed only onto that same file.
 * - outputs: the outputs of each cell's last run, keyed by notebook path,
 *   cell id and the hash of the source that made them.
 * - usage: CPU and wall seconds of cluster tasks, by user, group,
 *   notebook, cell and worker host (the kernel's usage database, opened
 *   with store_open_db(); see docs/cluster.md, "Usage and limits").
 *
 * WAL mode with synchronous=NORMAL: a committed transaction survives
 * kill -9 of the process (not necessarily a power cut). Statements are
 * prepared once per store. Ops and outputs are stored as opaque msgpack
 * blobs; this module does not decode them. Used by the sessions
 * (kernel/session*.c: journal and outputs), the cluster service
 * (kernel/cluster-usage.c: the usage database) and tests; one store per
 * project, shared (counted) by that project's sessions.
 */
#ifndef GL_STORE_H
#define GL_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct gl_err;

/* The schema this build reads and writes (PRAGMA user_version). */
#define STORE_SCHEMA	2

struct store;

struct store_blob {
	const void	*p;		/* borrowed */
	size_t		 len;
};

/* Opens (creating if needed) <project_dir>/.galley/store.db and its
 * .gitignore. A database with a newer schema is GL_EUNSUPPORTED; other
 * failures GL_EIO naming the file. *out has one reference. */
int	 store_open(const char *project_dir, struct store **out,
	     struct gl_err *err);
/* Opens (creating if needed, and its directory 0700) the database file
 * db_path: the kernel's usage database. store_project() is then the
 * file's directory. */
int	 store_open_db(const char *db_path, struct store **out,
	     struct gl_err *err);
void	 store_ref(struct store *st);
/* Drops a reference (who names the caller for the debug log); the last
 * one closes the database. NULL is a no-op. */
void	 store_unref(struct store *st, const char *who);
/* The project directory the store was opened for; borrowed. */
const char *store_project(const struct store *st);
/* The database file path; borrowed. */
const char *store_db_path(const struct store *st);

/* Group commit: opens one transaction in which every write until
 * store_batch_commit() is a savepoint (a failed write undoes itself
 * only). No-op if one is open. */
int	 store_batch_begin(struct store *st, struct gl_err *err);
bool	 store_batch_open(const struct store *st);
/* Commits the batch: what it wrote is durable (and lost together if
 * this fails: it is rolled back). No-op without a batch. */
int	 store_batch_commit(struct store *st, struct gl_err *err);
/* Undoes everything the batch wrote. */
void	 store_batch_rollback(struct store *st);

/* Appends n ops (encoded) for path in one transaction (a savepoint of a
 * batch, if one is open). version is the document version after the
 * first op; each next op gets version + i. */
int	 store_journal_add(struct store *st, const char *path,
	     const char *base_hash, uint64_t version,
	     const struct store_blob *ops, size_t n, struct gl_err *err);
/* Calls each() in journal order for the rows of path whose base_hash is
 * base_hash (blob borrowed for the call; a non-zero return stops the walk
 * and is returned). *nother (if not NULL) gets how many rows of path have
 * another base_hash. */
int	 store_journal_load(struct store *st, const char *path,
	     const char *base_hash,
	     int (*each)(void *ctx, const void *op, size_t len), void *ctx,
	     size_t *nother, struct gl_err *err);
/* Rows of path (any base_hash). */
int	 store_journal_count(struct store *st, const char *path, size_t *n,
	     struct gl_err *err);
/* Calls each() for every row of path, whatever its base_hash, in journal
 * order (strings and blob borrowed for the call; a non-zero return stops
 * the walk and is returned). */
int	 store_journal_each(struct store *st, const char *path,
	     int (*each)(void *ctx, const char *base_hash, const void *op,
	     size_t len), void *ctx, struct gl_err *err);
/* Removes the rows of path made on base_hash (after a save), or every
 * row of path (base_hash NULL). */
int	 store_journal_clear(struct store *st, const char *path,
	     const char *base_hash, struct gl_err *err);
/* Replaces the rows of path made on the hashes drop[0..ndrop) with
 * rows[0..n) on base_hash (versions from version), in one transaction:
 * the journal rebased onto another version of the file. */
int	 store_journal_reset(struct store *st, const char *path,
	     const char *const *drop, size_t ndrop, const char *base_hash,
	     uint64_t version, const struct store_blob *rows, size_t n,
	     struct gl_err *err);

/* Replaces the stored outputs of one cell with outs[0..n), made by the
 * source whose hash is source_hash; one transaction. */
int	 store_outputs_put(struct store *st, const char *path,
	     const char *cell_id, const char *source_hash,
	     const struct store_blob *outs, size_t n, struct gl_err *err);
/* Calls each() for every stored output of path, grouped by cell and in
 * output order within a cell. */
int	 store_outputs_load(struct store *st, const char *path,
	     int (*each)(void *ctx, const char *cell_id,
	     const char *source_hash, const void *out, size_t len),
	     void *ctx, struct gl_err *err);

/* One usage row: the work of `tasks` tasks of one cell on one host,
 * ending at ts_ms (Unix time, ms). Strings borrowed. */
struct store_usage {
	int64_t		 ts_ms;
	const char	*user;
	const char	*group;
	const char	*notebook;	/* "" for a notebook never saved */
	const char	*cell;
	const char	*host;
	uint64_t	 tasks;
	double		 cpu_s;
	double		 wall_s;
};

/* Appends n rows in one transaction. */
int	 store_usage_add(struct store *st, const struct store_usage *rows,
	     size_t n, struct gl_err *err);
/* CPU and wall seconds recorded since since_ms (0: all) for one user
 * (user not NULL), or one group: the rows whose group is group, or, with
 * members (n > 0), the rows of those users. */
int	 store_usage_sum(struct store *st, const char *user, const char *group,
	     char *const *members, size_t nmembers, int64_t since_ms,
	     double *cpu_s, double *wall_s, struct gl_err *err);
/* Totals since since_ms grouped by "user", "group", "notebook", "cell",
 * "host" or "day" (local date, YYYY-MM-DD): each() per group, largest
 * CPU first (days in date order). GL_EINVAL for another by. */
int	 store_usage_report(struct store *st, const char *by, int64_t since_ms,
	     int (*each)(void *ctx, const char *key, uint64_t tasks,
	     double cpu_s, double wall_s), void *ctx, struct gl_err *err);

#endif

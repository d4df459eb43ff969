/*
 * store.c - the project's SQLite store: edit journal and cell outputs.
 *
 * Schema 1 (PRAGMA user_version = 1):
 *   journal(seq INTEGER PRIMARY KEY AUTOINCREMENT, path, base_hash,
 *           version, op BLOB)        -- seq orders the rows of a path
 *   outputs(path, cell_id, source_hash, seq, output BLOB,
 *           PRIMARY KEY (path, cell_id, seq))
 * Schema 2 adds (a database at 1 gets it at open):
 *   usage(ts, user, grp, notebook, cell, host, tasks, cpu_s, wall_s)
 *           -- one row per cell, host and flush of the cluster service
 * path is the notebook's path relative to the project directory, so a
 * project can move. Every write is one short transaction on prepared
 * statements (BEGIN IMMEDIATE ... COMMIT): a kernel run costs one commit,
 * which in WAL mode with synchronous=NORMAL is an append to the WAL file
 * and no fsync.
 *
 * Group commit. Between store_batch_begin() and store_batch_commit() one
 * transaction is open, and each write's own transaction becomes a
 * savepoint in it (SAVEPOINT ... RELEASE, ROLLBACK TO on failure): a
 * failed write undoes itself only, and what the batch wrote becomes
 * durable at its one COMMIT. The kernel opens a batch for the edits of
 * one loop turn (kernel/session-doc.c).
 *
 * Privacy. The journal holds unsaved edits of notebooks that may be
 * private, so .galley/ is 0700 and store.db 0600 (SQLite gives -wal and
 * -shm the database file's mode). A directory or file left wider by an
 * older galley is tightened at open; one another user owns is left as
 * it is (chmod would fail; the files we create are still 0600).
 */
#include "kernel/store.h"

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/err.h"
#include "core/mem.h"
#include "core/paths.h"
#include "core/util.h"

enum store_stmt {
	ST_BEGIN,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_SAVE,
	ST_RELEASE,
	ST_ROLLBACK_TO,
	ST_J_INSERT,
	ST_J_SELECT,
	ST_J_COUNT,
	ST_J_DELETE,
	ST_J_DELETE_BASE,
	ST_O_DELETE,
	ST_O_INSERT,
	ST_O_SELECT,
	ST_U_INSERT,
	ST_U_SUM_USER,
	ST_U_SUM_GROUP,
	ST_COUNT
};

static const char *const store_sql[ST_COUNT] = {
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	[ST_SAVE] = "SAVEPOINT nest",
	[ST_RELEASE] = "RELEASE nest",
	[ST_ROLLBACK_TO] = "ROLLBACK TO nest",
	[ST_J_INSERT] = "INSERT INTO journal(path, base_hash, version, op) "
	    "VALUES (?1, ?2, ?3, ?4)",
	[ST_J_SELECT] = "SELECT base_hash, op FROM journal WHERE path = ?1 "
	    "ORDER BY seq",
	[ST_J_COUNT] = "SELECT count(*) FROM journal WHERE path = ?1",
	[ST_J_DELETE] = "DELETE FROM journal WHERE path = ?1",
	[ST_J_DELETE_BASE] = "DELETE FROM journal WHERE path = ?1 AND "
	    "base_hash = ?2",
	[ST_O_DELETE] = "DELETE FROM outputs WHERE path = ?1 AND cell_id = ?2",
	[ST_O_INSERT] = "INSERT INTO outputs(path, cell_id, source_hash, seq, "
	    "output) VALUES (?1, ?2, ?3, ?4, ?5)",
	[ST_O_SELECT] = "SELECT cell_id, source_hash, output FROM outputs "
	    "WHERE path = ?1 ORDER BY cell_id, seq",
	[ST_U_INSERT] = "INSERT INTO usage(ts, user, grp, notebook, cell, "
	    "host, tasks, cpu_s, wall_s) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, "
	    "?8, ?9)",
	[ST_U_SUM_USER] = "SELECT total(cpu_s), total(wall_s) FROM usage "
	    "WHERE user = ?1 AND ts >= ?2",
	[ST_U_SUM_GROUP] = "SELECT total(cpu_s), total(wall_s) FROM usage "
	    "WHERE grp = ?1 AND ts >= ?2",
};

static const char store_schema[] =
	"CREATE TABLE IF NOT EXISTS journal ("
	" seq INTEGER PRIMARY KEY AUTOINCREMENT,"
	" path TEXT NOT NULL,"
	" base_hash TEXT NOT NULL,"
	" version INTEGER NOT NULL,"
	" op BLOB NOT NULL);"
	"CREATE INDEX IF NOT EXISTS journal_path ON journal(path, seq);"
	"CREATE TABLE IF NOT EXISTS outputs ("
	" path TEXT NOT NULL,"
	" cell_id TEXT NOT NULL,"
	" source_hash TEXT NOT NULL,"
	" seq INTEGER NOT NULL,"
	" output BLOB NOT NULL,"
	" PRIMARY KEY (path, cell_id, seq));"
	"CREATE TABLE IF NOT EXISTS usage ("
	" ts INTEGER NOT NULL,"
	" user TEXT NOT NULL,"
	" grp TEXT NOT NULL,"
	" notebook TEXT NOT NULL,"
	" cell TEXT NOT NULL,"
	" host TEXT NOT NULL,"
	" tasks INTEGER NOT NULL,"
	" cpu_s REAL NOT NULL,"
	" wall_s REAL NOT NULL);"
	"CREATE INDEX IF NOT EXISTS usage_user ON usage(user, ts);"
	"CREATE INDEX IF NOT EXISTS usage_grp ON usage(grp, ts);"
	"PRAGMA user_version = 2;";

struct store {
	int		 refs;
	char		*project;	/* owned */
	char		*db_path;	/* owned */
	sqlite3		*db;		/* owned */
	sqlite3_stmt	*stmt[ST_COUNT]; /* owned; prepared once */
	bool		 batch;		/* a group commit is open: each write's
					 * own transaction is a savepoint in
					 * it (store_batch_begin()) */
};

static int	 store_fail(struct store *st, struct gl_err *err,
		     const char *what);
static int	 store_exec(struct store *st, const char *sql,
		     struct gl_err *err);
static int	 store_step_done(struct store *st, enum store_stmt i,
		     struct gl_err *err, const char *what);
static void	 store_rollback(struct store *st);
static sqlite3_stmt *store_stmt(struct store *st, enum store_stmt i);
static void	 store_close(struct store *st);
static int	 store_gitignore(const char *dir, struct gl_err *err);
static void	 store_bind_blob(sqlite3_stmt *s, int col,
		     const struct store_blob *b);
static int	 store_open_at(struct store *st, struct gl_err *err);
static int	 store_journal_insert(struct store *st, const char *path,
		     const char *base_hash, uint64_t version,
		     const struct store_blob *rows, size_t n,
		     struct gl_err *err);
static int	 store_private_dir(const char *dir, struct gl_err *err);
static int	 store_private_files(const char *db_path,
		     struct gl_err *err);

int
store_open(const char *project_dir, struct store **out, struct gl_err *err)
{
	struct store	*st = xcalloc(1, sizeof *st);
	char		*dir = gl_path_join(project_dir, ".galley");
	int		 rc;

	*out = NULL;
	st->refs = 1;
	st->project = xstrdup(project_dir);
	st->db_path = gl_path_join(dir, "store.db");
	if ((rc = store_private_dir(dir, err)) != 0)
		goto fail;
	if ((rc = store_gitignore(dir, err)) != 0)
		goto fail;
	if ((rc = store_open_at(st, err)) != 0)
		goto fail;
	free(dir);
	*out = st;
	return 0;
fail:
	free(dir);
	store_close(st);
	return rc;
}

int
store_open_db(const char *db_path, struct store **out, struct gl_err *err)
{
	struct store	*st = xcalloc(1, sizeof *st);
	const char	*slash = strrchr(db_path, '/');
	int		 rc;

	*out = NULL;
	st->refs = 1;
	st->project = slash == NULL ? xstrdup(".") : slash == db_path ?
	    xstrdup("/") : xstrndup(db_path, (size_t)(slash - db_path));
	st->db_path = xstrdup(db_path);
	if ((rc = gl_mkdir_p(st->project, 0700, err)) != 0 ||
	    (rc = store_open_at(st, err)) != 0) {
		store_close(st);
		return rc;
	}
	*out = st;
	return 0;
}

/* Opens st->db_path: WAL, the schema, the statements. */
static int
store_open_at(struct store *st, struct gl_err *err)
{
	sqlite3_stmt	*q = NULL;
	int		 rc, version;

	if ((rc = store_private_files(st->db_path, err)) != 0)
		goto fail;
	if (sqlite3_open_v2(st->db_path, &st->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		rc = store_fail(st, err, "cannot open");
		goto fail;
	}
	sqlite3_busy_timeout(st->db, 5000);
	if (sqlite3_prepare_v2(st->db, "PRAGMA journal_mode = WAL", -1, &q,
	    NULL) != SQLITE_OK || sqlite3_step(q) != SQLITE_ROW) {
		rc = store_fail(st, err, "cannot use WAL mode");
		goto fail;
	}
	if (strcmp((const char *)sqlite3_column_text(q, 0), "wal") != 0) {
		rc = gl_err_set(err, GL_EIO, "%s: cannot use WAL mode (%s)",
		    st->db_path, sqlite3_column_text(q, 0));
		goto fail;
	}
	sqlite3_finalize(q);
	q = NULL;
	if ((rc = store_exec(st, "PRAGMA synchronous = NORMAL", err)) != 0)
		goto fail;
	if (sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &q,
	    NULL) != SQLITE_OK || sqlite3_step(q) != SQLITE_ROW) {
		rc = store_fail(st, err, "cannot read the schema version");
		goto fail;
	}
	version = sqlite3_column_int(q, 0);
	sqlite3_finalize(q);
	q = NULL;
	if (version > STORE_SCHEMA) {
		rc = gl_err_set(err, GL_EUNSUPPORTED,
		    "%s: schema version %d is newer than this galley's (%d)",
		    st->db_path, version, STORE_SCHEMA);
		goto fail;
	}
	if (version < STORE_SCHEMA) {
		if ((rc = store_exec(st, "BEGIN IMMEDIATE", err)) != 0)
			goto fail;
		if ((rc = store_exec(st, store_schema, err)) != 0) {
			store_rollback(st);
			goto fail;
		}
		if ((rc = store_exec(st, "COMMIT", err)) != 0) {
			store_rollback(st);
			goto fail;
		}
	}
	for (int i = 0; i < ST_COUNT; i++) {
		if (sqlite3_prepare_v3(st->db, store_sql[i], -1,
		    SQLITE_PREPARE_PERSISTENT, &st->stmt[i], NULL) !=
		    SQLITE_OK) {
			rc = store_fail(st, err, "cannot prepare a statement");
			goto fail;
		}
	}
	return 0;
fail:
	sqlite3_finalize(q);
	return rc;
}

void
store_ref(struct store *st)
{
	st->refs++;
}

void
store_unref(struct store *st, const char *who)
{
	if (st == NULL)
		return;
	if (st->refs <= 0)
		gl_fatal("store_unref: %s: no references left", who);
	if (--st->refs == 0)
		store_close(st);
}

const char *
store_project(const struct store *st)
{
	return st->project;
}

const char *
store_db_path(const struct store *st)
{
	return st->db_path;
}

int
store_journal_add(struct store *st, const char *path, const char *base_hash,
    uint64_t version, const struct store_blob *ops, size_t n,
    struct gl_err *err)
{
	int	 rc;

	if (n == 0)
		return 0;
	if ((rc = store_step_done(st, ST_BEGIN, err, "journal")) != 0)
		return rc;
	if ((rc = store_journal_insert(st, path, base_hash, version, ops, n,
	    err)) != 0)
		goto fail;
	if ((rc = store_step_done(st, ST_COMMIT, err, "journal")) != 0)
		goto fail;
	return 0;
fail:
	store_rollback(st);
	return rc;
}

int
store_batch_begin(struct store *st, struct gl_err *err)
{
	int rc;

	if (st->batch)
		return 0;
	if ((rc = store_step_done(st, ST_BEGIN, err, "journal")) != 0)
		return rc;
	st->batch = true;
	return 0;
}

bool
store_batch_open(const struct store *st)
{
	return st->batch;
}

int
store_batch_commit(struct store *st, struct gl_err *err)
{
	int rc;

	if (!st->batch)
		return 0;
	st->batch = false;
	if ((rc = store_step_done(st, ST_COMMIT, err, "journal")) != 0)
		store_rollback(st);
	return rc;
}

void
store_batch_rollback(struct store *st)
{
	if (!st->batch)
		return;
	st->batch = false;
	store_rollback(st);
}

/* store_journal_load() over store_journal_each(): the rows of one hash,
 * and a count of the others. */
struct store_load {
	const char	*hash;
	int		(*each)(void *, const void *, size_t);
	void		*ctx;
	size_t		 other;
	int		 rc;
};

static int
store_load_row(void *ctx, const char *hash, const void *op, size_t len)
{
	struct store_load *l = ctx;

	if (strcmp(hash, l->hash) != 0)
		l->other++;
	else if (l->rc == 0)
		l->rc = l->each(l->ctx, op, len);
	return 0;
}

int
store_journal_load(struct store *st, const char *path, const char *base_hash,
    int (*each)(void *ctx, const void *op, size_t len), void *ctx,
    size_t *nother, struct gl_err *err)
{
	struct store_load	 l = { base_hash, each, ctx, 0, 0 };
	int			 rc;

	if ((rc = store_journal_each(st, path, store_load_row, &l, err)) != 0)
		return rc;
	if (nother != NULL)
		*nother = l.other;
	return l.rc;
}

int
store_journal_count(struct store *st, const char *path, size_t *n,
    struct gl_err *err)
{
	sqlite3_stmt	*s = store_stmt(st, ST_J_COUNT);
	int		 rc;

	sqlite3_bind_text(s, 1, path, -1, SQLITE_STATIC);
	if (sqlite3_step(s) != SQLITE_ROW) {
		rc = store_fail(st, err, "cannot count journal rows");
		sqlite3_reset(s);
		return rc;
	}
	*n = (size_t)sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return 0;
}

int
store_journal_clear(struct store *st, const char *path,
    const char *base_hash, struct gl_err *err)
{
	enum store_stmt	 i = base_hash != NULL ? ST_J_DELETE_BASE :
			    ST_J_DELETE;
	sqlite3_stmt	*s = store_stmt(st, i);

	sqlite3_bind_text(s, 1, path, -1, SQLITE_STATIC);
	if (base_hash != NULL)
		sqlite3_bind_text(s, 2, base_hash, -1, SQLITE_STATIC);
	return store_step_done(st, i, err, "journal");
}

int
store_journal_each(struct store *st, const char *path,
    int (*each)(void *ctx, const char *base_hash, const void *op,
    size_t len), void *ctx, struct gl_err *err)
{
	sqlite3_stmt	*s = store_stmt(st, ST_J_SELECT);
	int		 rc = 0, step;

	sqlite3_bind_text(s, 1, path, -1, SQLITE_STATIC);
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		const char *h = (const char *)sqlite3_column_text(s, 0);

		if (rc != 0)
			continue;
		rc = each(ctx, h != NULL ? h : "", sqlite3_column_blob(s, 1),
		    (size_t)sqlite3_column_bytes(s, 1));
	}
	if (step != SQLITE_DONE) {
		rc = store_fail(st, err, "cannot read the journal");
		sqlite3_reset(s);
		return rc;
	}
	sqlite3_reset(s);
	return rc;
}

int
store_journal_reset(struct store *st, const char *path,
    const char *const *drop, size_t ndrop, const char *base_hash,
    uint64_t version, const struct store_blob *rows, size_t n,
    struct gl_err *err)
{
	sqlite3_stmt	*del = st->stmt[ST_J_DELETE_BASE];
	int		 rc;

	if ((rc = store_step_done(st, ST_BEGIN, err, "journal")) != 0)
		return rc;
	for (size_t i = 0; i < ndrop; i++) {
		store_stmt(st, ST_J_DELETE_BASE);
		sqlite3_bind_text(del, 1, path, -1, SQLITE_STATIC);
		sqlite3_bind_text(del, 2, drop[i], -1, SQLITE_STATIC);
		if ((rc = store_step_done(st, ST_J_DELETE_BASE, err,
		    "journal")) != 0)
			goto fail;
	}
	if ((rc = store_journal_insert(st, path, base_hash, version, rows, n,
	    err)) != 0)
		goto fail;
	if ((rc = store_step_done(st, ST_COMMIT, err, "journal")) != 0)
		goto fail;
	return 0;
fail:
	store_rollback(st);
	return rc;
}

int
store_outputs_put(struct store *st, const char *path, const char *cell_id,
    const char *source_hash, const struct store_blob *outs, size_t n,
    struct gl_err *err)
{
	sqlite3_stmt	*del = store_stmt(st, ST_O_DELETE);
	sqlite3_stmt	*ins = store_stmt(st, ST_O_INSERT);
	int		 rc;

	if ((rc = store_step_done(st, ST_BEGIN, err, "outputs")) != 0)
		return rc;
	sqlite3_bind_text(del, 1, path, -1, SQLITE_STATIC);
	sqlite3_bind_text(del, 2, cell_id, -1, SQLITE_STATIC);
	if ((rc = store_step_done(st, ST_O_DELETE, err, "outputs")) != 0)
		goto fail;
	for (size_t i = 0; i < n; i++) {
		sqlite3_reset(ins);
		sqlite3_bind_text(ins, 1, path, -1, SQLITE_STATIC);
		sqlite3_bind_text(ins, 2, cell_id, -1, SQLITE_STATIC);
		sqlite3_bind_text(ins, 3, source_hash, -1, SQLITE_STATIC);
		sqlite3_bind_int64(ins, 4, (sqlite3_int64)i);
		store_bind_blob(ins, 5, &outs[i]);
		if ((rc = store_step_done(st, ST_O_INSERT, err,
		    "outputs")) != 0)
			goto fail;
	}
	if ((rc = store_step_done(st, ST_COMMIT, err, "outputs")) != 0)
		goto fail;
	return 0;
fail:
	store_rollback(st);
	return rc;
}

int
store_outputs_load(struct store *st, const char *path,
    int (*each)(void *ctx, const char *cell_id, const char *source_hash,
    const void *out, size_t len), void *ctx, struct gl_err *err)
{
	sqlite3_stmt	*s = store_stmt(st, ST_O_SELECT);
	int		 rc = 0, step;

	sqlite3_bind_text(s, 1, path, -1, SQLITE_STATIC);
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		const char *id = (const char *)sqlite3_column_text(s, 0);
		const char *h = (const char *)sqlite3_column_text(s, 1);

		if (rc != 0 || id == NULL || h == NULL)
			continue;
		rc = each(ctx, id, h, sqlite3_column_blob(s, 2),
		    (size_t)sqlite3_column_bytes(s, 2));
	}
	if (step != SQLITE_DONE) {
		rc = store_fail(st, err, "cannot read outputs");
		sqlite3_reset(s);
		return rc;
	}
	sqlite3_reset(s);
	return rc;
}

int
store_usage_add(struct store *st, const struct store_usage *rows, size_t n,
    struct gl_err *err)
{
	sqlite3_stmt	*s = store_stmt(st, ST_U_INSERT);
	int		 rc;

	if (n == 0)
		return 0;
	if ((rc = store_step_done(st, ST_BEGIN, err, "usage")) != 0)
		return rc;
	for (size_t i = 0; i < n; i++) {
		const struct store_usage *u = &rows[i];

		sqlite3_reset(s);
		sqlite3_bind_int64(s, 1, (sqlite3_int64)u->ts_ms);
		sqlite3_bind_text(s, 2, u->user, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 3, u->group, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 4, u->notebook, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 5, u->cell, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 6, u->host, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 7, (sqlite3_int64)u->tasks);
		sqlite3_bind_double(s, 8, u->cpu_s);
		sqlite3_bind_double(s, 9, u->wall_s);
		if ((rc = store_step_done(st, ST_U_INSERT, err, "usage")) != 0)
			goto fail;
	}
	if ((rc = store_step_done(st, ST_COMMIT, err, "usage")) != 0)
		goto fail;
	return 0;
fail:
	store_rollback(st);
	return rc;
}

int
store_usage_sum(struct store *st, const char *user, const char *group,
    char *const *members, size_t nmembers, int64_t since_ms, double *cpu_s,
    double *wall_s, struct gl_err *err)
{
	sqlite3_stmt	*s = NULL;
	struct gl_buf	 sql;
	bool		 own = false;
	int		 rc = 0;

	*cpu_s = *wall_s = 0;
	if (user != NULL) {
		s = store_stmt(st, ST_U_SUM_USER);
		sqlite3_bind_text(s, 1, user, -1, SQLITE_STATIC);
	} else if (nmembers == 0) {
		s = store_stmt(st, ST_U_SUM_GROUP);
		sqlite3_bind_text(s, 1, group != NULL ? group : "", -1,
		    SQLITE_STATIC);
	} else {
		gl_buf_init(&sql);
		gl_buf_adds(&sql, "SELECT total(cpu_s), total(wall_s) FROM "
		    "usage WHERE ts >= ?1 AND user IN (");
		for (size_t i = 0; i < nmembers; i++)
			gl_buf_addf(&sql, "%s?%zu", i > 0 ? ", " : "", i + 2);
		gl_buf_adds(&sql, ")");
		if (sqlite3_prepare_v2(st->db, sql.data, -1, &s, NULL) !=
		    SQLITE_OK) {
			gl_buf_fini(&sql);
			return store_fail(st, err, "usage");
		}
		gl_buf_fini(&sql);
		own = true;
		for (size_t i = 0; i < nmembers; i++)
			sqlite3_bind_text(s, (int)i + 2, members[i], -1,
			    SQLITE_STATIC);
	}
	if (own)
		sqlite3_bind_int64(s, 1, (sqlite3_int64)since_ms);
	else
		sqlite3_bind_int64(s, 2, (sqlite3_int64)since_ms);
	if (sqlite3_step(s) == SQLITE_ROW) {
		*cpu_s = sqlite3_column_double(s, 0);
		*wall_s = sqlite3_column_double(s, 1);
	} else
		rc = store_fail(st, err, "cannot read usage");
	if (own)
		sqlite3_finalize(s);
	else
		sqlite3_reset(s);
	return rc;
}

int
store_usage_report(struct store *st, const char *by, int64_t since_ms,
    int (*each)(void *ctx, const char *key, uint64_t tasks, double cpu_s,
    double wall_s), void *ctx, struct gl_err *err)
{
	static const struct {
		const char	*by;
		const char	*expr;
		const char	*order;
	} keys[] = {
		{ "user", "user", "3 DESC, 1" },
		{ "group", "grp", "3 DESC, 1" },
		{ "notebook", "notebook", "3 DESC, 1" },
		{ "cell", "notebook || ':' || cell", "3 DESC, 1" },
		{ "host", "host", "3 DESC, 1" },
		{ "day", "strftime('%Y-%m-%d', ts / 1000, 'unixepoch', "
		    "'localtime')", "1" },
	};
	sqlite3_stmt	*s = NULL;
	char		 sql[512];
	size_t		 i;
	int		 rc = 0, step;

	for (i = 0; i < sizeof keys / sizeof keys[0]; i++)
		if (strcmp(keys[i].by, by) == 0)
			break;
	if (i == sizeof keys / sizeof keys[0])
		return gl_err_set(err, GL_EINVAL, "usage: cannot group by "
		    "'%s' (user, group, notebook, cell, host or day)", by);
	snprintf(sql, sizeof sql, "SELECT %s, sum(tasks), total(cpu_s), "
	    "total(wall_s) FROM usage WHERE ts >= ?1 GROUP BY 1 ORDER BY %s",
	    keys[i].expr, keys[i].order);
	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
		return store_fail(st, err, "usage");
	sqlite3_bind_int64(s, 1, (sqlite3_int64)since_ms);
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		const char *key = (const char *)sqlite3_column_text(s, 0);

		if (rc != 0)
			continue;
		rc = each(ctx, key != NULL ? key : "",
		    (uint64_t)sqlite3_column_int64(s, 1),
		    sqlite3_column_double(s, 2), sqlite3_column_double(s, 3));
	}
	if (step != SQLITE_DONE && rc == 0)
		rc = store_fail(st, err, "cannot read usage");
	sqlite3_finalize(s);
	return rc;
}

/* Helpers. */

/* Inserts rows[0..n) of path on base_hash, versions from version, inside
 * the caller's transaction. */
static int
store_journal_insert(struct store *st, const char *path,
    const char *base_hash, uint64_t version, const struct store_blob *rows,
    size_t n, struct gl_err *err)
{
	sqlite3_stmt	*s = store_stmt(st, ST_J_INSERT);
	int		 rc;

	for (size_t i = 0; i < n; i++) {
		sqlite3_reset(s);
		sqlite3_bind_text(s, 1, path, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 2, base_hash, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 3, (sqlite3_int64)(version + i));
		store_bind_blob(s, 4, &rows[i]);
		if ((rc = store_step_done(st, ST_J_INSERT, err,
		    "journal")) != 0)
			return rc;
	}
	return 0;
}

static sqlite3_stmt *
store_stmt(struct store *st, enum store_stmt i)
{
	sqlite3_reset(st->stmt[i]);
	sqlite3_clear_bindings(st->stmt[i]);
	return st->stmt[i];
}

static void
store_bind_blob(sqlite3_stmt *s, int col, const struct store_blob *b)
{
	if (b->len == 0)
		sqlite3_bind_zeroblob(s, col, 0);
	else
		sqlite3_bind_blob(s, col, b->p, (int)b->len, SQLITE_STATIC);
}

/* Steps a statement that returns no rows. */
static int
store_step_done(struct store *st, enum store_stmt i, struct gl_err *err,
    const char *what)
{
	sqlite3_stmt	*s = st->stmt[i];
	int		 rc;

	/* In a batch, a transaction is a savepoint of it. */
	if (st->batch && i == ST_BEGIN)
		s = st->stmt[ST_SAVE];
	else if (st->batch && i == ST_COMMIT)
		s = st->stmt[ST_RELEASE];
	if (i == ST_BEGIN || i == ST_COMMIT || i == ST_ROLLBACK)
		sqlite3_reset(s);
	if (sqlite3_step(s) != SQLITE_DONE) {
		rc = store_fail(st, err, what);
		sqlite3_reset(s);
		return rc;
	}
	sqlite3_reset(s);
	return 0;
}

static void
store_rollback(struct store *st)
{
	if (sqlite3_get_autocommit(st->db))
		return;
	if (st->batch) {
		/* Only this write: the batch goes on. */
		sqlite3_reset(st->stmt[ST_ROLLBACK_TO]);
		(void)sqlite3_step(st->stmt[ST_ROLLBACK_TO]);
		sqlite3_reset(st->stmt[ST_ROLLBACK_TO]);
		sqlite3_reset(st->stmt[ST_RELEASE]);
		(void)sqlite3_step(st->stmt[ST_RELEASE]);
		sqlite3_reset(st->stmt[ST_RELEASE]);
		return;
	}
	if (st->stmt[ST_ROLLBACK] != NULL) {
		sqlite3_reset(st->stmt[ST_ROLLBACK]);
		(void)sqlite3_step(st->stmt[ST_ROLLBACK]);
		sqlite3_reset(st->stmt[ST_ROLLBACK]);
	} else
		(void)sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
}

static int
store_exec(struct store *st, const char *sql, struct gl_err *err)
{
	char	*msg = NULL;
	int	 rc;

	if (sqlite3_exec(st->db, sql, NULL, NULL, &msg) == SQLITE_OK)
		return 0;
	rc = gl_err_set(err, sqlite3_errcode(st->db) == SQLITE_FULL ?
	    GL_ENOSPC : GL_EIO, "%s: %s", st->db_path,
	    msg != NULL ? msg : sqlite3_errmsg(st->db));
	sqlite3_free(msg);
	return rc;
}

static int
store_fail(struct store *st, struct gl_err *err, const char *what)
{
	int	 code = GL_EIO;

	if (st->db != NULL) {
		switch (sqlite3_errcode(st->db)) {
		case SQLITE_FULL:
			code = GL_ENOSPC;
			break;
		case SQLITE_BUSY:
		case SQLITE_LOCKED:
			code = GL_EBUSY;
			break;
		}
	}
	return gl_err_set(err, code, "%s: %s: %s", st->db_path, what,
	    st->db != NULL ? sqlite3_errmsg(st->db) : "out of memory");
}

static int
store_gitignore(const char *dir, struct gl_err *err)
{
	char		*path = gl_path_join(dir, ".gitignore");
	struct stat	 sb;
	int		 rc = 0;

	if (stat(path, &sb) != 0)
		rc = gl_file_write_atomic(path, "*\n", 2, 0644, err);
	free(path);
	return rc;
}

/* dir (.galley/) exists afterwards with no access for group and others:
 * made 0700, or tightened if it was wider. */
static int
store_private_dir(const char *dir, struct gl_err *err)
{
	struct stat	 sb;

	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return gl_err_set(err, gl_err_from_errno(errno),
		    "cannot create %s: %s", dir, strerror(errno));
	if (stat(dir, &sb) != 0)
		return gl_err_set(err, gl_err_from_errno(errno), "%s: %s",
		    dir, strerror(errno));
	if (!S_ISDIR(sb.st_mode))
		return gl_err_set(err, GL_EEXIST, "%s is not a directory",
		    dir);
	if ((sb.st_mode & 077) != 0 && sb.st_uid == geteuid())
		(void)chmod(dir, sb.st_mode & 0700);
	return 0;
}

/* The database and its -wal and -shm files are 0600: created so before
 * SQLite opens them (it gives -wal and -shm the database's mode), or
 * tightened if an older galley left them wider. */
static int
store_private_files(const char *db_path, struct gl_err *err)
{
	static const char *const sfx[] = { "", "-wal", "-shm" };
	struct stat	 sb;
	int		 fd;

	if ((fd = open(db_path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC,
	    0600)) >= 0)
		close(fd);
	else if (errno != EEXIST)
		return gl_err_set(err, gl_err_from_errno(errno),
		    "cannot create %s: %s", db_path, strerror(errno));
	for (size_t i = 0; i < sizeof sfx / sizeof sfx[0]; i++) {
		char *p = xasprintf("%s%s", db_path, sfx[i]);

		if (stat(p, &sb) == 0 && S_ISREG(sb.st_mode) &&
		    (sb.st_mode & 077) != 0 && sb.st_uid == geteuid())
			(void)chmod(p, sb.st_mode & 0600);
		free(p);
	}
	return 0;
}

static void
store_close(struct store *st)
{
	if (st == NULL)
		return;
	/* A batch still open is kept: its edits were applied. */
	if (st->batch)
		(void)store_batch_commit(st, NULL);
	for (int i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(st->stmt[i]);
	if (st->db != NULL)
		sqlite3_close(st->db);
	free(st->project);
	free(st->db_path);
	free(st);
}

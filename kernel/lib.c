/*
 * lib.c - the kernel's side of the library registry (kernel/lib.h).
 *
 * The libs database (its own file, beside the usage database) has two
 * tables: `loads`, one row per load, and `latest`, one row per module,
 * user and notebook: the version loaded last there, when, on which host,
 * and how many loads of it, kept by an upsert in the same transaction. So
 * who-uses ("who still runs a version below 1.2?") reads one row per user
 * and notebook of a module, through its primary key, whatever the number
 * of loads; a notebook that moved on to a newer version is not listed
 * for an old one. Loads are written in batches (every second at most,
 * and before who-uses reads them), so a cell's requires cost one commit.
 *
 * What a cell's require reads is kept: the modules loaded (by name,
 * version and hash; their files were checked against their hash when
 * first read from the cache) and each project's galley.lock (read again
 * when its size or time changes). Registries are opened once per URL and
 * kept; the configuration is read (for the URL) only when a module is in
 * no cache.
 */
#include "kernel/lib.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "core/err.h"
#include "core/mem.h"
#include "core/paths.h"
#include "core/rpc.h"
#include "kernel/log.h"
#include "lua/config.h"
#include "review/registry.h"

#define LIB_SCHEMA	1

static const char lib_schema[] =
	"CREATE TABLE IF NOT EXISTS loads (ts_ms INTEGER NOT NULL, "
	"user TEXT NOT NULL, notebook TEXT NOT NULL, module TEXT NOT NULL, "
	"version TEXT NOT NULL, host TEXT NOT NULL);"
	"CREATE TABLE IF NOT EXISTS latest (module TEXT NOT NULL, "
	"user TEXT NOT NULL, notebook TEXT NOT NULL, version TEXT NOT NULL, "
	"major INTEGER NOT NULL, minor INTEGER NOT NULL, "
	"patch INTEGER NOT NULL, host TEXT NOT NULL, "
	"last_ms INTEGER NOT NULL, loads INTEGER NOT NULL, "
	"PRIMARY KEY (module, user, notebook)) WITHOUT ROWID;"
	"PRAGMA user_version = 1;";

/* Loads are written in batches: at most every LIB_FLUSH_MS, or
 * LIB_FLUSH_N of them, and before who-uses reads them. */
#define LIB_FLUSH_MS	1000
#define LIB_FLUSH_N	256

/* A module a session loaded (for its tasks). */
struct lib_mod {
	char		*session;	/* owned */
	struct reg_module m;
};

struct lib_reg {
	char		*url;		/* owned */
	struct reg	*g;		/* owned */
};

/* A project's galley.lock as last read. */
struct lib_lock {
	char		*project;	/* owned */
	int64_t		 mtime_ns;
	int64_t		 size;		/* -1: no file */
	struct reg_pin	*pins;		/* owned */
	size_t		 npins;
};

struct lib {
	sqlite3		*db;
	sqlite3_stmt	*ins_load, *ins_use, *who, *who_below;
	struct lib_mod	*mods;		/* owned */
	size_t		 nmods;
	struct lib_reg	*regs;		/* owned */
	size_t		 nregs;
	struct reg_module *hot;		/* owned: modules read so far */
	size_t		 nhot;
	struct lib_lock	*locks;		/* owned */
	size_t		 nlocks;
	struct lib_load	*pend;		/* owned (and their strings) */
	size_t		 npend;
	int64_t		 pend_ms;	/* when the first pending came */
};

static int	 lib_fail(struct lib *l, struct gl_err *err, const char *what);
static int	 lib_flush(struct lib *l, struct gl_err *err);
static void	 lib_pend_free(struct lib *l);
static void	 lib_pend_add(struct lib *l, const struct lib_load *rec);
static int	 lib_lock_get(struct lib *l, const char *project,
		     const struct reg_pin **pins, size_t *n,
		     struct gl_err *err);
static void	 lib_module_copy(struct reg_module *d,
		     const struct reg_module *m);
static void	 lib_pack_module(msgpack_packer *pk,
		     const struct reg_module *m);
static void	 lib_remember(struct lib *l, const char *session,
		     const struct reg_module *m);

int
lib_new(const char *db_path, struct lib **out, struct gl_err *err)
{
	struct lib	*l = xcalloc(1, sizeof *l);
	char		*dir = xstrdup(db_path), *slash = strrchr(dir, '/');
	char		*emsg = NULL;
	int		 rc;

	*out = NULL;
	if (slash != NULL) {
		*slash = '\0';
		if ((rc = gl_mkdir_p(dir, 0700, err)) != 0) {
			free(dir);
			free(l);
			return rc;
		}
	}
	free(dir);
	if (sqlite3_open_v2(db_path, &l->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		rc = gl_err_set(err, GL_EIO, "%s: %s", db_path,
		    l->db != NULL ? sqlite3_errmsg(l->db) : "cannot open");
		lib_free(l);
		return rc;
	}
	sqlite3_busy_timeout(l->db, 5000);
	if (sqlite3_exec(l->db, "PRAGMA journal_mode = WAL;"
	    "PRAGMA synchronous = NORMAL;", NULL, NULL, &emsg) != SQLITE_OK ||
	    sqlite3_exec(l->db, lib_schema, NULL, NULL, &emsg) != SQLITE_OK) {
		rc = gl_err_set(err, GL_EIO, "%s: %s", db_path,
		    emsg != NULL ? emsg : "cannot set up");
		sqlite3_free(emsg);
		lib_free(l);
		return rc;
	}
	if (sqlite3_prepare_v2(l->db, "INSERT INTO loads VALUES "
	    "(?, ?, ?, ?, ?, ?)", -1, &l->ins_load, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(l->db, "INSERT INTO latest VALUES "
	    "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 1) ON CONFLICT DO UPDATE SET "
	    "loads = CASE WHEN version = excluded.version THEN loads + 1 "
	    "ELSE 1 END, version = excluded.version, major = excluded.major, "
	    "minor = excluded.minor, patch = excluded.patch, "
	    "host = excluded.host, last_ms = excluded.last_ms "
	    "WHERE excluded.last_ms >= last_ms", -1, &l->ins_use,
	    NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(l->db, "SELECT user, notebook, version, host, "
	    "last_ms, loads FROM latest WHERE module = ? "
	    "ORDER BY last_ms DESC", -1, &l->who, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(l->db, "SELECT user, notebook, version, host, "
	    "last_ms, loads FROM latest WHERE module = ?1 AND "
	    "(major, minor, patch) < (?2, ?3, ?4) ORDER BY last_ms DESC", -1,
	    &l->who_below, NULL) != SQLITE_OK) {
		rc = lib_fail(l, err, db_path);
		lib_free(l);
		return rc;
	}
	*out = l;
	return 0;
}

void
lib_free(struct lib *l)
{
	struct gl_err	 err;

	if (l == NULL)
		return;
	if (l->db != NULL && l->npend > 0 && lib_flush(l, &err) != 0)
		log_info("lib: %s", err.msg);
	lib_pend_free(l);
	for (size_t i = 0; i < l->nhot; i++)
		reg_module_fini(&l->hot[i]);
	free(l->hot);
	for (size_t i = 0; i < l->nlocks; i++) {
		free(l->locks[i].project);
		reg_pins_free(l->locks[i].pins, l->locks[i].npins);
	}
	free(l->locks);
	sqlite3_finalize(l->ins_load);
	sqlite3_finalize(l->ins_use);
	sqlite3_finalize(l->who);
	sqlite3_finalize(l->who_below);
	sqlite3_close(l->db);
	for (size_t i = 0; i < l->nmods; i++) {
		free(l->mods[i].session);
		reg_module_fini(&l->mods[i].m);
	}
	free(l->mods);
	for (size_t i = 0; i < l->nregs; i++) {
		free(l->regs[i].url);
		reg_free(l->regs[i].g);
	}
	free(l->regs);
	free(l);
}

static int64_t
lib_now_ms(void)
{
	struct timeval	 tv;

	gettimeofday(&tv, NULL);
	return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

static const char *
lib_host(void)
{
	static char	 host[256];

	if (host[0] == '\0' && gethostname(host, sizeof host - 1) != 0)
		snprintf(host, sizeof host, "localhost");
	return host;
}

/* The registry at url, opened once. NULL with err. */
static struct reg *
lib_registry(struct lib *l, const char *url, struct gl_err *err)
{
	struct reg	*g;

	for (size_t i = 0; i < l->nregs; i++)
		if (strcmp(l->regs[i].url, url) == 0)
			return l->regs[i].g;
	if (reg_open(url, &g, err) != 0)
		return NULL;
	l->regs = xrealloc(l->regs, (l->nregs + 1) * sizeof *l->regs);
	l->regs[l->nregs].url = xstrdup(url);
	l->regs[l->nregs++].g = g;
	return g;
}

int
lib_load(struct lib *l, const struct lib_from *f, const char *name,
    msgpack_packer *pk, char **warning, struct gl_err *err)
{
	struct reg_pin		*hp = NULL;
	const struct reg_pin	*lp = NULL;
	size_t			 nhp = 0, nlp = 0;
	const struct reg_pin	*h, *k;
	struct reg_module	 m = { 0 };
	const struct reg_module	*hot = NULL;
	struct reg_version	*v = NULL;
	size_t			 nv = 0;
	struct reg		*g;
	char			*url = NULL;
	const char		*version = NULL, *commit = NULL, *hash = NULL;
	struct gl_err		 e;
	int			 rc;

	*warning = NULL;
	if (!reg_name_ok(name))
		return gl_err_set(err, GL_ENOTFOUND, "'%s' is no registry "
		    "module name", name);
	/* The pin: the notebook's header, else galley.lock. */
	if (f->header != NULL)
		reg_header_pins(f->header, f->header_len, &hp, &nhp);
	if (f->project != NULL &&
	    (rc = lib_lock_get(l, f->project, &lp, &nlp, err)) != 0)
		goto out;
	h = reg_pins_find(hp, nhp, name);
	k = reg_pins_find(lp, nlp, name);
	if (h != NULL) {
		version = h->version;
		if (k != NULL && strcmp(k->version, h->version) == 0) {
			commit = k->commit;
			hash = k->hash;
		}
	} else if (k != NULL) {
		version = k->version;
		commit = k->commit;
		hash = k->hash;
	}
	/* Pinned and read before: memory; fetched before: the cache. No
	 * network either way. */
	for (size_t i = 0; version != NULL && i < l->nhot && hot == NULL; i++)
		if (strcmp(l->hot[i].name, name) == 0 &&
		    strcmp(l->hot[i].version, version) == 0 &&
		    (commit == NULL || strcmp(l->hot[i].commit, commit) == 0) &&
		    (hash == NULL || strcmp(l->hot[i].hash, hash) == 0))
			hot = &l->hot[i];
	if (hot != NULL) {
		rc = 0;
		goto out;
	}
	gl_err_clear(&e);
	if (version != NULL && (rc = reg_cache_get(name, version, commit,
	    hash, &m, &e)) != GL_ENOTFOUND) {
		if (rc != 0)
			gl_err_set(err, rc, "%s", e.msg);
		goto out;
	}
	gl_err_clear(&e);
	if ((url = cfg_registry(f->project, &e)) == NULL) {
		rc = gl_err_set(err, version != NULL ? GL_EINVAL :
		    GL_ENOTFOUND, version != NULL ? "%s %s is pinned but not "
		    "in the cache, and no registry is configured (registry = "
		    "\"URL\" in .galley/config.lua)" : "no module '%s' (no "
		    "registry is configured)", name, version);
		goto out;
	}
	if ((g = lib_registry(l, url, err)) == NULL) {
		rc = err != NULL ? err->code : GL_EIO;
		goto out;
	}
	if (version == NULL) {
		/* Unpinned: the newest the mirror knows (no network: a name
		 * the registry never had is found elsewhere or nowhere). */
		const struct reg_version *best;

		if ((rc = reg_versions(g, name, &v, &nv, err)) != 0)
			goto out;
		if ((best = reg_best(v, nv, name, NULL)) == NULL) {
			rc = gl_err_set(err, GL_ENOTFOUND, "no module '%s' in "
			    "the registry %s (as last fetched)", name, url);
			goto out;
		}
		version = best->version;
		*warning = xasprintf("%s is not pinned: this loaded %s, the "
		    "newest; pin it with galley lib add %s%s%s", name,
		    version, name, f->notebook != NULL ? " " : "",
		    f->notebook != NULL ? strrchr(f->notebook, '/') + 1 : "");
	}
	if ((rc = reg_module_get(g, name, version, commit, &m, err)) != 0)
		goto out;
	if (hash != NULL && *hash != '\0' && strcmp(hash, m.hash) != 0) {
		rc = gl_err_set(err, GL_ECONFLICT, "%s %s from %s has hash "
		    "%.12s, not %.12s as galley.lock pins it", name, version,
		    url, m.hash, hash);
		goto out;
	}
	rc = 0;
out:
	if (rc == 0) {
		struct lib_load	 rec;

		if (hot == NULL) {
			l->hot = xrealloc(l->hot, (l->nhot + 1) *
			    sizeof *l->hot);
			lib_module_copy(&l->hot[l->nhot], &m);
			hot = &l->hot[l->nhot++];
		}
		rec = (struct lib_load){ lib_now_ms(), f->user,
		    f->notebook != NULL ? f->notebook : "", name, hot->version,
		    lib_host() };
		lib_pend_add(l, &rec);
		lib_pack_module(pk, hot);
		lib_remember(l, f->session, hot);
	} else {
		free(*warning);
		*warning = NULL;
	}
	reg_module_fini(&m);
	reg_versions_free(v, nv);
	reg_pins_free(hp, nhp);
	free(url);
	return rc;
}

/* {name, version, hash, files: {PATH: SOURCE}} */
static void
lib_pack_module(msgpack_packer *pk, const struct reg_module *m)
{
	msgpack_pack_map(pk, 4);
	rpc_pack_kv_str(pk, "name", m->name);
	rpc_pack_kv_str(pk, "version", m->version);
	rpc_pack_kv_str(pk, "hash", m->hash);
	rpc_pack_key(pk, "files");
	msgpack_pack_map(pk, m->nfiles);
	for (size_t i = 0; i < m->nfiles; i++) {
		rpc_pack_str(pk, m->files[i].path);
		rpc_pack_strn(pk, m->files[i].data, m->files[i].len);
	}
}

/* Keeps a copy of m as loaded by session (replacing one of its name). */
static void
lib_remember(struct lib *l, const char *session, const struct reg_module *m)
{
	struct lib_mod	*d = NULL;

	for (size_t i = 0; i < l->nmods && d == NULL; i++)
		if (strcmp(l->mods[i].session, session) == 0 &&
		    strcmp(l->mods[i].m.name, m->name) == 0)
			d = &l->mods[i];
	if (d != NULL) {
		if (strcmp(d->m.hash, m->hash) == 0)
			return;
		reg_module_fini(&d->m);
	} else {
		l->mods = xrealloc(l->mods, (l->nmods + 1) * sizeof *l->mods);
		d = &l->mods[l->nmods++];
		d->session = xstrdup(session);
	}
	lib_module_copy(&d->m, m);
}

/* d: a copy of m. */
static void
lib_module_copy(struct reg_module *d, const struct reg_module *m)
{
	memset(d, 0, sizeof *d);
	d->name = xstrdup(m->name);
	d->version = xstrdup(m->version);
	memcpy(d->commit, m->commit, sizeof d->commit);
	memcpy(d->hash, m->hash, sizeof d->hash);
	d->files = xcalloc(m->nfiles + 1, sizeof *d->files);
	d->nfiles = m->nfiles;
	for (size_t i = 0; i < m->nfiles; i++) {
		d->files[i].path = xstrdup(m->files[i].path);
		d->files[i].data = xstrndup(m->files[i].data,
		    m->files[i].len);
		d->files[i].len = m->files[i].len;
	}
}

void
lib_pack_session(struct lib *l, const char *session, const char *user,
    const char *notebook, const char *host, msgpack_packer *pk)
{
	size_t		 n = 0;

	for (size_t i = 0; i < l->nmods; i++)
		n += strcmp(l->mods[i].session, session) == 0;
	if (n == 0) {
		msgpack_pack_nil(pk);
		return;
	}
	msgpack_pack_map(pk, n);
	for (size_t i = 0; i < l->nmods; i++) {
		struct lib_load	 rec;

		if (strcmp(l->mods[i].session, session) != 0)
			continue;
		rpc_pack_str(pk, l->mods[i].m.name);
		lib_pack_module(pk, &l->mods[i].m);
		rec = (struct lib_load){ lib_now_ms(), user,
		    notebook != NULL ? notebook : "", l->mods[i].m.name,
		    l->mods[i].m.version, host };
		lib_pend_add(l, &rec);
	}
}

void
lib_session_gone(struct lib *l, const char *session)
{
	for (size_t i = l->nmods; i > 0; i--) {
		if (strcmp(l->mods[i - 1].session, session) != 0)
			continue;
		free(l->mods[i - 1].session);
		reg_module_fini(&l->mods[i - 1].m);
		memmove(&l->mods[i - 1], &l->mods[i],
		    (l->nmods - i) * sizeof *l->mods);
		l->nmods--;
	}
}

int
lib_record(struct lib *l, const struct lib_load *v, size_t n,
    struct gl_err *err)
{
	int	 rc = 0;

	if (sqlite3_exec(l->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
		return lib_fail(l, err, "begin");
	for (size_t i = 0; i < n && rc == 0; i++) {
		struct reg_semver sv = { 0, 0, 0 };

		(void)reg_semver_parse(v[i].version, &sv);
		sqlite3_bind_int64(l->ins_load, 1, v[i].ts_ms);
		sqlite3_bind_text(l->ins_load, 2, v[i].user, -1, SQLITE_STATIC);
		sqlite3_bind_text(l->ins_load, 3, v[i].notebook, -1,
		    SQLITE_STATIC);
		sqlite3_bind_text(l->ins_load, 4, v[i].module, -1,
		    SQLITE_STATIC);
		sqlite3_bind_text(l->ins_load, 5, v[i].version, -1,
		    SQLITE_STATIC);
		sqlite3_bind_text(l->ins_load, 6, v[i].host, -1, SQLITE_STATIC);
		if (sqlite3_step(l->ins_load) != SQLITE_DONE)
			rc = lib_fail(l, err, "insert");
		sqlite3_reset(l->ins_load);
		sqlite3_bind_text(l->ins_use, 1, v[i].module, -1,
		    SQLITE_STATIC);
		sqlite3_bind_text(l->ins_use, 2, v[i].user, -1, SQLITE_STATIC);
		sqlite3_bind_text(l->ins_use, 3, v[i].notebook, -1,
		    SQLITE_STATIC);
		sqlite3_bind_text(l->ins_use, 4, v[i].version, -1,
		    SQLITE_STATIC);
		sqlite3_bind_int(l->ins_use, 5, (int)sv.major);
		sqlite3_bind_int(l->ins_use, 6, (int)sv.minor);
		sqlite3_bind_int(l->ins_use, 7, (int)sv.patch);
		sqlite3_bind_text(l->ins_use, 8, v[i].host, -1, SQLITE_STATIC);
		sqlite3_bind_int64(l->ins_use, 9, v[i].ts_ms);
		if (rc == 0 && sqlite3_step(l->ins_use) != SQLITE_DONE)
			rc = lib_fail(l, err, "insert");
		sqlite3_reset(l->ins_use);
	}
	if (sqlite3_exec(l->db, rc == 0 ? "COMMIT" : "ROLLBACK", NULL, NULL,
	    NULL) != SQLITE_OK && rc == 0)
		rc = lib_fail(l, err, "commit");
	return rc;
}

int
lib_who_uses(struct lib *l, const char *module, const char *below,
    msgpack_packer *pk, struct gl_err *err)
{
	struct reg_semver sv;
	sqlite3_stmt	*q = below != NULL ? l->who_below : l->who;
	size_t		 n = 0;
	int		 st, pass;

	if (below != NULL && reg_semver_parse(below, &sv) != 0)
		return gl_err_set(err, GL_EINVAL, "lib.who_uses: below %s is "
		    "not a version (1.2.0)", below);
	if (l->npend > 0 && lib_flush(l, err) != 0)
		return err != NULL ? err->code : GL_EIO;
	/* Counted, then packed: the array's size comes first. */
	for (pass = 0; pass < 2; pass++) {
		sqlite3_bind_text(q, 1, module, -1, SQLITE_STATIC);
		if (below != NULL) {
			sqlite3_bind_int(q, 2, (int)sv.major);
			sqlite3_bind_int(q, 3, (int)sv.minor);
			sqlite3_bind_int(q, 4, (int)sv.patch);
		}
		if (pass == 1) {
			msgpack_pack_map(pk, 3);
			rpc_pack_kv_str(pk, "module", module);
			rpc_pack_kv_str(pk, "below", below);
			rpc_pack_key(pk, "rows");
			msgpack_pack_array(pk, n);
		}
		while ((st = sqlite3_step(q)) == SQLITE_ROW) {
			if (pass == 0) {
				n++;
				continue;
			}
			msgpack_pack_map(pk, 6);
			rpc_pack_kv_str(pk, "user",
			    (const char *)sqlite3_column_text(q, 0));
			rpc_pack_kv_str(pk, "notebook",
			    (const char *)sqlite3_column_text(q, 1));
			rpc_pack_kv_str(pk, "version",
			    (const char *)sqlite3_column_text(q, 2));
			rpc_pack_kv_str(pk, "host",
			    (const char *)sqlite3_column_text(q, 3));
			rpc_pack_kv_int(pk, "last_ms",
			    sqlite3_column_int64(q, 4));
			rpc_pack_kv_int(pk, "loads",
			    sqlite3_column_int64(q, 5));
		}
		sqlite3_reset(q);
		if (st != SQLITE_DONE)
			return lib_fail(l, err, "who-uses");
	}
	return 0;
}

static int
lib_fail(struct lib *l, struct gl_err *err, const char *what)
{
	return gl_err_set(err, GL_EIO, "libs database: %s: %s", what,
	    sqlite3_errmsg(l->db));
}

/* Writes the pending loads (one transaction) and forgets them. */
static int
lib_flush(struct lib *l, struct gl_err *err)
{
	int	 rc = lib_record(l, l->pend, l->npend, err);

	lib_pend_free(l);
	return rc;
}

static void
lib_pend_free(struct lib *l)
{
	for (size_t i = 0; i < l->npend; i++) {
		free((char *)l->pend[i].user);
		free((char *)l->pend[i].notebook);
		free((char *)l->pend[i].module);
		free((char *)l->pend[i].version);
		free((char *)l->pend[i].host);
	}
	free(l->pend);
	l->pend = NULL;
	l->npend = 0;
}

/* Queues a load (copied); writes the queue when it is full or old. */
static void
lib_pend_add(struct lib *l, const struct lib_load *rec)
{
	struct lib_load	*d;
	struct gl_err	 err;

	if (l->npend == 0)
		l->pend_ms = rec->ts_ms;
	l->pend = xrealloc(l->pend, (l->npend + 1) * sizeof *l->pend);
	d = &l->pend[l->npend++];
	d->ts_ms = rec->ts_ms;
	d->user = xstrdup(rec->user);
	d->notebook = xstrdup(rec->notebook);
	d->module = xstrdup(rec->module);
	d->version = xstrdup(rec->version);
	d->host = xstrdup(rec->host);
	if ((l->npend >= LIB_FLUSH_N || rec->ts_ms - l->pend_ms >=
	    LIB_FLUSH_MS) && lib_flush(l, &err) != 0)
		log_info("lib: cannot record loads: %s", err.msg);
}

/* project's galley.lock pins, read again only when it changed. */
static int
lib_lock_get(struct lib *l, const char *project, const struct reg_pin **pins,
    size_t *n, struct gl_err *err)
{
	char		*path = xasprintf("%s/galley.lock", project);
	struct lib_lock	*k = NULL;
	struct stat	 sb;
	int64_t		 mt = -1, size = -1;
	int		 rc;

	if (stat(path, &sb) == 0) {
		mt = (int64_t)sb.st_mtim.tv_sec * 1000000000 +
		    sb.st_mtim.tv_nsec;
		size = (int64_t)sb.st_size;
	}
	free(path);
	for (size_t i = 0; i < l->nlocks && k == NULL; i++)
		if (strcmp(l->locks[i].project, project) == 0)
			k = &l->locks[i];
	if (k == NULL) {
		l->locks = xrealloc(l->locks, (l->nlocks + 1) *
		    sizeof *l->locks);
		k = &l->locks[l->nlocks++];
		memset(k, 0, sizeof *k);
		k->project = xstrdup(project);
		k->size = -2;
	}
	if (k->size != size || k->mtime_ns != mt) {
		reg_pins_free(k->pins, k->npins);
		k->pins = NULL;
		k->npins = 0;
		k->size = -2;
		if ((rc = reg_lock_read(project, &k->pins, &k->npins,
		    err)) != 0)
			return rc;
		k->size = size;
		k->mtime_ns = mt;
	}
	*pins = k->pins;
	*n = k->npins;
	return 0;
}

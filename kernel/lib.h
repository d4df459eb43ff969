/*
 * lib.h - the kernel's side of the team library registry
 * (review/registry.h, docs/registry.md): what `require` of a registry
 * module in a cell gets, and the record of every load.
 *
 * - lib_load() resolves a module for a session's notebook: the version
 *   its header cell pins, else the project's galley.lock, else (unpinned,
 *   with a warning saying how to pin) the newest the registry's mirror
 *   knows; loads it from the content cache when it is there (no network),
 *   else from the registry (fetched once); checks it against the commit
 *   and hash galley.lock recorded; records the load; and remembers it for
 *   the session, so the session's cluster tasks get the same files.
 * - Loads are recorded in the kernel's libs database
 *   ($XDG_STATE_HOME/galley/libs.db): every load (user, notebook, module,
 *   version, host, time), and per module, user and notebook the version
 *   loaded last, when, where and how many times, which lib.who_uses
 *   reads. Loads are written in batches (at most a second late; before
 *   lib.who_uses reads them).
 *
 * Owned by the server (kernel/server.c, server-lib.c). Depends on
 * review/ (the registry), lua/ (the configuration's registry URL), core/
 * and SQLite. Runs on the kernel's loop; a fetch blocks it (a registry is
 * fetched once per version; see docs/registry.md).
 */
#ifndef GL_LIB_H
#define GL_LIB_H

#include <msgpack.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct gl_err;
struct lib;
struct req;

/* Opens (creating) the libs database at db_path. */
int	 lib_new(const char *db_path, struct lib **out, struct gl_err *err);
void	 lib_free(struct lib *l);

/* Who loads, for lib_load(). Strings borrowed. */
struct lib_from {
	const char	*session;	/* "s1" */
	const char	*notebook;	/* its path, or NULL */
	const char	*project;	/* where galley.lock is, or NULL */
	const char	*header;	/* the notebook's header cell source, or
					 * NULL */
	size_t		 header_len;
	const char	*user;
};

/*
 * Loads module name for f and packs the answer of lib.load into pk:
 * {name, version, hash, files: {PATH: SOURCE}}. *warning (caller frees)
 * gets what the user should hear (an unpinned module), or NULL. On
 * failure packs nothing and returns GL_ENOTFOUND (no such module: a
 * message saying where it looked), GL_EIO (the registry is unreachable:
 * its URL named), GL_ECONFLICT (the cache or the registry does not match
 * the pin) or another GL_E*, with err set.
 */
int	 lib_load(struct lib *l, const struct lib_from *f, const char *name,
	     msgpack_packer *pk, char **warning, struct gl_err *err);
/* Packs the modules session loaded as a map NAME -> {version, hash,
 * files} (nil if none), for a worker that runs its tasks; each packed is
 * recorded as a load by user on host. */
void	 lib_pack_session(struct lib *l, const char *session,
	     const char *user, const char *notebook, const char *host,
	     msgpack_packer *pk);
/* Forgets what session loaded (it closed). */
void	 lib_session_gone(struct lib *l, const char *session);

/* One load. */
struct lib_load {
	int64_t		 ts_ms;
	const char	*user;
	const char	*notebook;	/* "" when none */
	const char	*module;
	const char	*version;
	const char	*host;
};

/* Records n loads now, in one transaction. */
int	 lib_record(struct lib *l, const struct lib_load *v, size_t n,
	     struct gl_err *err);
/* lib.who_uses {module, below?}: one row per user and notebook that
 * loaded module, [{user, notebook, version, host, last_ms, loads}]: the
 * version it loaded last, when, where, and how many loads of that
 * version; newest first. below ("1.2.0") keeps the rows whose version is
 * under it: who still runs an old version. */
int	 lib_who_uses(struct lib *l, const char *module, const char *below,
	     msgpack_packer *pk, struct gl_err *err);

#endif

/*
 * registry.h - the team library registry (DESIGN section 11,
 * docs/registry.md): a git repository (a path, or any URL libgit2
 * fetches) of Lua modules, one directory per module (NAME/init.lua, its
 * other files, test.lua), each version a tag NAME/vX.Y.Z whose message
 * holds the changelog, the reviewers and the reviewed commit.
 *
 * - The registry is read through a bare mirror in galley's cache
 *   ($XDG_CACHE_HOME/galley/registry/, one per URL); reg_fetch() brings it
 *   up to date, everything else reads it without the network.
 * - A module's files at a version are kept in a content cache
 *   ($XDG_CACHE_HOME/galley/lib/, by the hash of the files), so a version
 *   once fetched loads without the network, and is checked against the
 *   commit and the hash a pin recorded.
 * - Pins: the project's galley.lock (NAME VERSION COMMIT HASH lines) and
 *   a notebook's header cell (`-- lib: NAME@VERSION` lines).
 *
 * Used by `galley lib` (cli/cmd_lib.c) and the kernel's `require`
 * (kernel/lib.c). The semver, lock and header functions are pure
 * (registry-pin.c); the rest (registry.c) touches the cache and git
 * through review/repo.h.
 */
#ifndef GL_REGISTRY_H
#define GL_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/util.h"
#include "review/repo.h"

struct gl_err;

/* --- versions (registry-pin.c) --- */

struct reg_semver {
	unsigned	 major, minor, patch;
};

/* "1.2.3" (a leading "v" allowed) into *v: 0, or -1 if malformed. */
int	 reg_semver_parse(const char *s, struct reg_semver *v);
int	 reg_semver_cmp(const struct reg_semver *a,
	     const struct reg_semver *b);
/* True if c is a constraint: "" or "*" (any), "1.2.3" (that one),
 * "^1.2.3" (same major, at least), "~1.2.3" (same minor, at least),
 * ">=1.2.3", "<1.2.3" (the minor and patch may be left out: "^1"). */
bool	 reg_constraint_ok(const char *c);
bool	 reg_constraint_match(const char *c, const struct reg_semver *v);
/* True if name is a module's name: letters, digits, '_' and '-', up to
 * 64 bytes, not starting with '-'. */
bool	 reg_name_ok(const char *name);

/* --- pins (registry-pin.c) --- */

struct reg_pin {
	char	*name;			/* owned */
	char	*version;		/* owned: "1.2.3" */
	char	 commit[REPO_OID_HEX];	/* "" when not known (a header) */
	char	 hash[GL_HASH_HEX];	/* "" when not known */
	unsigned line;			/* where it was read, from 1 */
};

void	 reg_pins_free(struct reg_pin *v, size_t n);
/* The pins of a galley.lock text. GL_ESYNTAX naming path and line for a
 * bad line. */
int	 reg_lock_parse(const char *text, size_t len, const char *path,
	     struct reg_pin **out, size_t *n, struct gl_err *err);
/* galley.lock's text for pins (sorted by name). Caller frees. */
char	*reg_lock_format(const struct reg_pin *v, size_t n);
/* project/galley.lock read (a missing file has no pins) or written. */
int	 reg_lock_read(const char *project, struct reg_pin **out, size_t *n,
	     struct gl_err *err);
int	 reg_lock_write(const char *project, const struct reg_pin *v,
	     size_t n, struct gl_err *err);
/* Sets (adds or replaces) pin p in v. */
void	 reg_pins_set(struct reg_pin **v, size_t *n, const struct reg_pin *p);
/* The pin named name in v, or NULL. */
const struct reg_pin *reg_pins_find(const struct reg_pin *v, size_t n,
	     const char *name);
/* The `-- lib: NAME@VERSION` lines of a notebook's header cell. */
int	 reg_header_pins(const char *src, size_t len, struct reg_pin **out,
	     size_t *n);
/* The header source with name pinned at version (its line replaced, or
 * one added at the end). Caller frees; *outlen its length. */
char	*reg_header_set(const char *src, size_t len, const char *name,
	     const char *version, size_t *outlen);

/* --- the registry (registry.c) --- */

/* A published version. */
struct reg_version {
	char		*module;	/* owned */
	char		*version;	/* owned: "1.2.3" */
	struct reg_semver v;
	char		 commit[REPO_OID_HEX];
	char		*author;	/* owned: who published it */
	int64_t		 time;		/* when (Unix seconds) */
	char		*changelog;	/* owned: may be "" */
	char		**reviewers;	/* owned: who approved it */
	size_t		 nreviewers;
	char		*source;	/* owned: the reviewed commit, or
					 * NULL */
};

void	 reg_versions_free(struct reg_version *v, size_t n);

struct reg;

/* The registry at url (a path is made absolute), through its mirror
 * (made empty if missing: reg_fetch() fills it). Caller frees. */
int	 reg_open(const char *url, struct reg **out, struct gl_err *err);
void	 reg_free(struct reg *g);
const char *reg_url(const struct reg *g);
/* Brings the mirror up to date. GL_EIO "cannot reach the registry URL:
 * ..." when it cannot. */
int	 reg_fetch(struct reg *g, struct gl_err *err);
/* The versions of module (NULL: all), by module, then version. */
int	 reg_versions(struct reg *g, const char *module,
	     struct reg_version **out, size_t *n, struct gl_err *err);
/* The newest of v[0..n) of module that matches constraint c, or NULL. */
const struct reg_version *reg_best(const struct reg_version *v, size_t n,
	     const char *module, const char *c);

/* A module's files at a version. */
struct reg_module {
	char		*name;		/* owned */
	char		*version;	/* owned */
	char		 commit[REPO_OID_HEX];
	char		 hash[GL_HASH_HEX];
	struct repo_file *files;	/* owned: paths within the module */
	size_t		 nfiles;
};

void	 reg_module_fini(struct reg_module *m);
/* The hash of files (as reg_module.hash). */
void	 reg_files_hash(const struct repo_file *f, size_t n,
	     char out[GL_HASH_HEX]);
/* name@version from the content cache, without the network: GL_ENOTFOUND
 * if it is not there; GL_ECONFLICT if it came from another commit than
 * commit or has another hash than hash (either may be NULL or ""). */
int	 reg_cache_get(const char *name, const char *version,
	     const char *commit, const char *hash, struct reg_module *out,
	     struct gl_err *err);
/* name@version from the mirror (fetched first if it has no such tag),
 * kept in the content cache; GL_ECONFLICT if its tag names another commit
 * than commit (may be NULL), GL_ENOTFOUND if there is no such version. */
int	 reg_module_get(struct reg *g, const char *name, const char *version,
	     const char *commit, struct reg_module *out, struct gl_err *err);

/* What to publish. */
struct reg_publish {
	const char	*name;
	const char	*version;
	const struct repo_file *files;
	size_t		 nfiles;
	const char	*author;	/* "Name <email>" */
	const char	*changelog;
	char * const	*reviewers;
	size_t		 nreviewers;
	const char	*source;	/* the reviewed commit */
};

/* Publishes p: fetches, refuses (GL_EEXIST) a version that exists and
 * (GL_EINVAL) one not above the newest, commits the module's directory
 * on the registry's main branch, tags it and pushes both (again from the
 * start if someone pushed meanwhile). out gets the registry commit. */
int	 reg_publish(struct reg *g, const struct reg_publish *p,
	     char out[REPO_OID_HEX], struct gl_err *err);

/* $XDG_CACHE_HOME/galley, else $HOME/.cache/galley. Caller frees. */
char	*reg_cache_dir(void);

#endif

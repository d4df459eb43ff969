/*
 * registry.c - the library registry through its mirror and the content
 * cache (review/registry.h).
 *
 * The mirror is a bare repository in the cache named by a hash of the
 * registry's URL; a fetch copies the registry's branches and tags into it
 * as they are (forced, so it follows the registry). Publishing commits
 * the module's directory onto the mirror's main branch, tags that commit
 * and pushes both; when the push is refused because someone pushed in
 * between, the mirror is fetched again and the publish starts over (the
 * version checks included), a few times.
 *
 * A version's tag message is
 *
 *   NAME VERSION
 *
 *   CHANGELOG
 *
 *   Reviewed-by: Bob <bob@example.org>
 *   Source: COMMIT
 *
 * The content cache keeps a version's files in lib/HASH/, with
 * lib/HASH.galley ("NAME VERSION COMMIT") saying what they are and
 * lib/NAME@VERSION naming the hash; entries are written to a temporary
 * name and renamed, so a reader never sees half of one, and their hash is
 * checked again when read.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/err.h"
#include "core/mem.h"
#include "core/paths.h"
#include "core/util.h"
#include "review/registry.h"

#define REG_ATTEMPTS	4
#define REG_BRANCH	"main"

struct reg {
	char		*url;		/* owned */
	char		*mirror;	/* owned: its path */
	struct repo	*r;		/* owned */
};

static const char *const reg_fetch_specs[] = {
	"+refs/heads/*:refs/heads/*",
	"+refs/tags/*:refs/tags/*",
};

static void	 reg_parse_message(struct reg_version *v, const char *msg);
static int	 reg_cache_put(const struct reg_module *m,
		     struct gl_err *err);

char *
reg_cache_dir(void)
{
	const char	*x = getenv("XDG_CACHE_HOME"), *h = getenv("HOME");

	if (x != NULL && *x == '/')
		return xasprintf("%s/galley", x);
	return xasprintf("%s/.cache/galley", h != NULL && *h != '\0' ? h :
	    "/tmp");
}

int
reg_open(const char *url, struct reg **out, struct gl_err *err)
{
	struct reg	*g = xcalloc(1, sizeof *g);
	char		 hash[GL_HASH_HEX], *cache = reg_cache_dir(), *dir;
	struct stat	 sb;
	int		 rc;

	*out = NULL;
	/* A path is taken as an absolute one, so the mirror is the same
	 * from any directory. */
	if (strstr(url, "://") == NULL && strchr(url, '@') == NULL &&
	    stat(url, &sb) == 0) {
		if ((g->url = gl_path_abs(url, err)) == NULL) {
			rc = err != NULL ? err->code : GL_EINVAL;
			goto fail;
		}
	} else
		g->url = xstrdup(url);
	gl_hash_hex(g->url, strlen(g->url), hash);
	dir = xasprintf("%s/registry", cache);
	rc = gl_mkdir_p(dir, 0700, err);
	g->mirror = xasprintf("%s/%.16s.git", dir, hash);
	free(dir);
	if (rc != 0)
		goto fail;
	if (stat(g->mirror, &sb) == 0)
		rc = repo_open(g->mirror, &g->r, err);
	else
		rc = repo_init(g->mirror, true, &g->r, err);
	if (rc != 0)
		goto fail;
	free(cache);
	*out = g;
	return 0;
fail:
	free(cache);
	reg_free(g);
	return rc;
}

void
reg_free(struct reg *g)
{
	if (g == NULL)
		return;
	repo_free(g->r);
	free(g->url);
	free(g->mirror);
	free(g);
}

const char *
reg_url(const struct reg *g)
{
	return g->url;
}

int
reg_fetch(struct reg *g, struct gl_err *err)
{
	struct gl_err	 e;
	int		 rc;

	gl_err_clear(&e);
	if ((rc = repo_fetch(g->r, g->url, reg_fetch_specs, 2, &e)) != 0)
		return gl_err_set(err, rc == GL_EAUTH ? GL_EAUTH : GL_EIO,
		    "cannot reach the registry %s: %s", g->url, e.msg);
	return 0;
}

static int
reg_version_cmp(const void *a, const void *b)
{
	const struct reg_version *x = a, *y = b;
	int	 c = strcmp(x->module, y->module);

	return c != 0 ? c : reg_semver_cmp(&x->v, &y->v);
}

int
reg_versions(struct reg *g, const char *module, struct reg_version **out,
    size_t *n, struct gl_err *err)
{
	struct repo_tag	*tags;
	size_t		 ntags;
	char		*glob;
	int		 rc;

	*out = NULL;
	*n = 0;
	glob = module != NULL ? xasprintf("%s/v*", module) : xstrdup("*/v*");
	rc = repo_tags(g->r, glob, &tags, &ntags, err);
	free(glob);
	if (rc != 0)
		return rc;
	for (size_t i = 0; i < ntags; i++) {
		const char		*slash = strchr(tags[i].name, '/');
		struct reg_version	*v;
		struct reg_semver	 sv;
		char			*name;

		if (slash == NULL || reg_semver_parse(slash + 1, &sv) != 0)
			continue;
		name = xstrndup(tags[i].name, (size_t)(slash - tags[i].name));
		if (!reg_name_ok(name)) {
			free(name);
			continue;
		}
		*out = xrealloc(*out, (*n + 1) * sizeof **out);
		v = &(*out)[(*n)++];
		memset(v, 0, sizeof *v);
		v->module = name;
		v->version = xasprintf("%u.%u.%u", sv.major, sv.minor,
		    sv.patch);
		v->v = sv;
		memcpy(v->commit, tags[i].commit, sizeof v->commit);
		v->author = xstrdup(tags[i].tagger != NULL ? tags[i].tagger :
		    "");
		v->time = tags[i].time;
		reg_parse_message(v, tags[i].message);
	}
	repo_tags_free(tags, ntags);
	if (*n > 1)
		qsort(*out, *n, sizeof **out, reg_version_cmp);
	return 0;
}

void
reg_versions_free(struct reg_version *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].module);
		free(v[i].version);
		free(v[i].author);
		free(v[i].changelog);
		for (size_t k = 0; k < v[i].nreviewers; k++)
			free(v[i].reviewers[k]);
		free(v[i].reviewers);
		free(v[i].source);
	}
	free(v);
}

const struct reg_version *
reg_best(const struct reg_version *v, size_t n, const char *module,
    const char *c)
{
	const struct reg_version *best = NULL;

	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i].module, module) == 0 &&
		    reg_constraint_match(c, &v[i].v) &&
		    (best == NULL || reg_semver_cmp(&v[i].v, &best->v) > 0))
			best = &v[i];
	return best;
}

/* The changelog and trailers of a tag message (see the top comment). */
static void
reg_parse_message(struct reg_version *v, const char *msg)
{
	struct gl_buf	 log;
	const char	*p = strchr(msg, '\n');

	gl_buf_init(&log);
	/* The first line is "NAME VERSION". */
	for (p = p != NULL ? p + 1 : msg + strlen(msg); *p != '\0'; ) {
		const char	*nl = strchr(p, '\n');
		size_t		 ll = nl != NULL ? (size_t)(nl - p) : strlen(p);

		if (ll > 13 && strncmp(p, "Reviewed-by: ", 13) == 0) {
			v->reviewers = xrealloc(v->reviewers,
			    (v->nreviewers + 1) * sizeof *v->reviewers);
			v->reviewers[v->nreviewers++] = xstrndup(p + 13,
			    ll - 13);
		} else if (ll > 8 && strncmp(p, "Source: ", 8) == 0) {
			free(v->source);
			v->source = xstrndup(p + 8, ll - 8);
		} else {
			gl_buf_add(&log, p, ll);
			gl_buf_addc(&log, '\n');
		}
		p += ll + (nl != NULL);
	}
	/* Without the blank lines around it. */
	while (log.len > 0 && (log.data[log.len - 1] == '\n' ||
	    log.data[log.len - 1] == ' '))
		log.data[--log.len] = '\0';
	p = log.data != NULL ? log.data : "";
	while (*p == '\n')
		p++;
	v->changelog = xstrdup(p);
	gl_buf_fini(&log);
}

/* --- modules and the content cache --- */

void
reg_module_fini(struct reg_module *m)
{
	free(m->name);
	free(m->version);
	repo_files_free(m->files, m->nfiles);
	memset(m, 0, sizeof *m);
}

void
reg_files_hash(const struct repo_file *f, size_t n, char out[GL_HASH_HEX])
{
	struct gl_buf	 b;

	gl_buf_init(&b);
	for (size_t i = 0; i < n; i++) {
		gl_buf_addf(&b, "%s%c%zu%c", f[i].path, '\0', f[i].len, '\0');
		gl_buf_add(&b, f[i].data, f[i].len);
	}
	gl_hash_hex(b.data != NULL ? b.data : "", b.len, out);
	gl_buf_fini(&b);
}

/* Reads the files under dir (recursively), paths relative to it. */
static int
reg_read_tree(const char *dir, const char *rel, struct repo_file **v,
    size_t *n, struct gl_err *err)
{
	DIR		*d;
	struct dirent	*e;
	int		 rc = 0;

	if ((d = opendir(dir)) == NULL)
		return gl_err_set(err, GL_ENOTFOUND, "%s: %s", dir,
		    strerror(errno));
	while (rc == 0 && (e = readdir(d)) != NULL) {
		char		*path, *r;
		struct stat	 sb;

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		path = xasprintf("%s/%s", dir, e->d_name);
		r = *rel != '\0' ? xasprintf("%s/%s", rel, e->d_name) :
		    xstrdup(e->d_name);
		if (stat(path, &sb) != 0)
			rc = gl_err_set(err, GL_EIO, "%s: %s", path,
			    strerror(errno));
		else if (S_ISDIR(sb.st_mode))
			rc = reg_read_tree(path, r, v, n, err);
		else {
			struct repo_file f = { r, NULL, 0 };

			if ((rc = gl_file_read(path, &f.data, &f.len,
			    err)) == 0) {
				*v = xrealloc(*v, (*n + 1) * sizeof **v);
				(*v)[(*n)++] = f;
				r = NULL;
			}
		}
		free(r);
		free(path);
	}
	closedir(d);
	return rc;
}

static int
reg_file_cmp(const void *a, const void *b)
{
	return strcmp(((const struct repo_file *)a)->path,
	    ((const struct repo_file *)b)->path);
}

int
reg_cache_get(const char *name, const char *version, const char *commit,
    const char *hash, struct reg_module *out, struct gl_err *err)
{
	char	*cache = reg_cache_dir(), *index, *text = NULL, *meta = NULL;
	char	*dir = NULL, h[GL_HASH_HEX], c[REPO_OID_HEX], n[80], v[40];
	size_t	 len;
	int	 rc;

	memset(out, 0, sizeof *out);
	index = xasprintf("%s/lib/%s@%s", cache, name, version);
	if ((rc = gl_file_read(index, &text, &len, NULL)) != 0 ||
	    sscanf(text, "%32s", h) != 1) {
		rc = gl_err_set(err, GL_ENOTFOUND, "%s %s is not in the cache",
		    name, version);
		goto out;
	}
	if (hash != NULL && *hash != '\0' && strcmp(hash, h) != 0) {
		rc = gl_err_set(err, GL_ECONFLICT, "%s %s in the cache has "
		    "hash %.12s, not %.12s as pinned", name, version, h, hash);
		goto out;
	}
	free(text);
	text = NULL;
	meta = xasprintf("%s/lib/%s.galley", cache, h);
	if (gl_file_read(meta, &text, &len, NULL) != 0 ||
	    sscanf(text, "%79s %39s %40s", n, v, c) != 3 ||
	    strcmp(n, name) != 0 || strcmp(v, version) != 0) {
		rc = gl_err_set(err, GL_ENOTFOUND, "%s %s: the cache entry %s "
		    "is incomplete", name, version, meta);
		goto out;
	}
	if (commit != NULL && *commit != '\0' && strcmp(commit, c) != 0) {
		rc = gl_err_set(err, GL_ECONFLICT, "%s %s in the cache came "
		    "from commit %.12s, not %.12s as pinned", name, version, c,
		    commit);
		goto out;
	}
	dir = xasprintf("%s/lib/%s", cache, h);
	if ((rc = reg_read_tree(dir, "", &out->files, &out->nfiles,
	    err)) != 0)
		goto out;
	qsort(out->files, out->nfiles, sizeof *out->files, reg_file_cmp);
	reg_files_hash(out->files, out->nfiles, out->hash);
	if (strcmp(out->hash, h) != 0) {
		rc = gl_err_set(err, GL_ECONFLICT, "%s %s: the files in %s do "
		    "not have their hash (changed on disk?)", name, version,
		    dir);
		goto out;
	}
	out->name = xstrdup(name);
	out->version = xstrdup(version);
	memcpy(out->commit, c, sizeof out->commit);
out:
	if (rc != 0) {
		repo_files_free(out->files, out->nfiles);
		out->files = NULL;
		out->nfiles = 0;
	}
	free(dir);
	free(meta);
	free(text);
	free(index);
	free(cache);
	return rc;
}

/* Writes m into the content cache (see the top comment). */
static int
reg_cache_put(const struct reg_module *m, struct gl_err *err)
{
	char	*cache = reg_cache_dir(), *lib, *dir, *tmp = NULL, *p;
	char	*text;
	struct stat sb;
	int	 rc;

	lib = xasprintf("%s/lib", cache);
	dir = xasprintf("%s/%s", lib, m->hash);
	if ((rc = gl_mkdir_p(lib, 0700, err)) != 0)
		goto out;
	if (stat(dir, &sb) != 0) {
		tmp = xasprintf("%s.tmp%d", dir, (int)getpid());
		for (size_t i = 0; i < m->nfiles && rc == 0; i++) {
			char	*f = xasprintf("%s/%s", tmp, m->files[i].path);
			char	*slash = strrchr(f, '/');

			*slash = '\0';
			rc = gl_mkdir_p(f, 0700, err);
			*slash = '/';
			if (rc == 0)
				rc = gl_file_write_atomic(f, m->files[i].data,
				    m->files[i].len, 0644, err);
			free(f);
		}
		if (rc == 0 && rename(tmp, dir) != 0 && errno != ENOTEMPTY &&
		    errno != EEXIST)
			rc = gl_err_set(err, GL_EIO, "cannot write %s: %s",
			    dir, strerror(errno));
		if (rc != 0 || stat(tmp, &sb) == 0) {
			/* Lost a race, or failed: drop ours. */
			p = xasprintf("rm -rf '%s'", tmp);
			if (system(p) != 0)
				(void)0;
			free(p);
		}
		if (rc != 0)
			goto out;
	}
	p = xasprintf("%s/%s.galley", lib, m->hash);
	text = xasprintf("%s %s %s\n", m->name, m->version, m->commit);
	rc = gl_file_write_atomic(p, text, strlen(text), 0644, err);
	free(text);
	free(p);
	if (rc != 0)
		goto out;
	p = xasprintf("%s/%s@%s", lib, m->name, m->version);
	text = xasprintf("%s\n", m->hash);
	rc = gl_file_write_atomic(p, text, strlen(text), 0644, err);
	free(text);
	free(p);
out:
	free(tmp);
	free(dir);
	free(lib);
	free(cache);
	return rc;
}

int
reg_module_get(struct reg *g, const char *name, const char *version,
    const char *commit, struct reg_module *out, struct gl_err *err)
{
	struct reg_version	*v = NULL;
	size_t			 n = 0;
	char			*tag = xasprintf("%s/v%s", name, version);
	const struct reg_version *found = NULL;
	int			 rc;

	memset(out, 0, sizeof *out);
	for (int pass = 0; pass < 2 && found == NULL; pass++) {
		if (pass == 1 && (rc = reg_fetch(g, err)) != 0)
			goto out;
		reg_versions_free(v, n);
		if ((rc = reg_versions(g, name, &v, &n, err)) != 0)
			goto out;
		for (size_t i = 0; i < n; i++)
			if (strcmp(v[i].version, version) == 0)
				found = &v[i];
	}
	if (found == NULL) {
		rc = gl_err_set(err, GL_ENOTFOUND, "the registry %s has no %s "
		    "%s", g->url, name, version);
		goto out;
	}
	if (commit != NULL && *commit != '\0' &&
	    strcmp(commit, found->commit) != 0) {
		rc = gl_err_set(err, GL_ECONFLICT, "%s %s: its tag %s names "
		    "commit %.12s, not %.12s as pinned (was it moved?)", name,
		    version, tag, found->commit, commit);
		goto out;
	}
	if ((rc = repo_dir_files(g->r, found->commit, name, &out->files,
	    &out->nfiles, err)) != 0)
		goto out;
	out->name = xstrdup(name);
	out->version = xstrdup(version);
	memcpy(out->commit, found->commit, sizeof out->commit);
	reg_files_hash(out->files, out->nfiles, out->hash);
	rc = reg_cache_put(out, err);
out:
	if (rc != 0)
		reg_module_fini(out);
	reg_versions_free(v, n);
	free(tag);
	return rc;
}

/* --- publishing --- */

static int
reg_publish_once(struct reg *g, const struct reg_publish *p,
    char out[REPO_OID_HEX], struct gl_err *err)
{
	struct reg_version	*v = NULL;
	size_t			 n = 0;
	const struct reg_version *top;
	struct reg_semver	 sv;
	struct gl_buf		 msg;
	char			*tag = NULL, *specs[2] = { NULL, NULL };
	int			 rc;

	gl_buf_init(&msg);
	if ((rc = reg_fetch(g, err)) != 0 ||
	    (rc = reg_versions(g, p->name, &v, &n, err)) != 0)
		goto out;
	(void)reg_semver_parse(p->version, &sv);
	for (size_t i = 0; i < n; i++)
		if (reg_semver_cmp(&v[i].v, &sv) == 0) {
			rc = gl_err_set(err, GL_EEXIST, "%s %s exists in the "
			    "registry already (published by %s)", p->name,
			    v[i].version, v[i].author);
			goto out;
		}
	if ((top = reg_best(v, n, p->name, NULL)) != NULL &&
	    reg_semver_cmp(&sv, &top->v) < 0) {
		rc = gl_err_set(err, GL_EINVAL, "%s %s goes backwards: the "
		    "registry has %s; publish a version above it", p->name,
		    p->version, top->version);
		goto out;
	}
	gl_buf_addf(&msg, "%s %s\n\n", p->name, p->version);
	if (p->changelog != NULL && *p->changelog != '\0')
		gl_buf_addf(&msg, "%s\n\n", p->changelog);
	for (size_t i = 0; i < p->nreviewers; i++)
		gl_buf_addf(&msg, "Reviewed-by: %s\n", p->reviewers[i]);
	if (p->source != NULL)
		gl_buf_addf(&msg, "Source: %s\n", p->source);
	if ((rc = repo_commit_dir(g->r, REG_BRANCH, p->name, p->files,
	    p->nfiles, p->author, msg.data, out, err)) != 0)
		goto out;
	tag = xasprintf("%s/v%s", p->name, p->version);
	if ((rc = repo_tag_create(g->r, tag, out, p->author, msg.data,
	    err)) != 0)
		goto out;
	specs[0] = xasprintf("refs/heads/%s:refs/heads/%s", REG_BRANCH,
	    REG_BRANCH);
	specs[1] = xasprintf("refs/tags/%s:refs/tags/%s", tag, tag);
	if ((rc = repo_push(g->r, g->url, (const char *const *)specs, 2,
	    err)) != 0) {
		char *ref = xasprintf("refs/tags/%s", tag);

		(void)repo_ref_delete(g->r, ref, NULL);
		free(ref);
	}
out:
	free(specs[0]);
	free(specs[1]);
	free(tag);
	gl_buf_fini(&msg);
	reg_versions_free(v, n);
	return rc;
}

int
reg_publish(struct reg *g, const struct reg_publish *p,
    char out[REPO_OID_HEX], struct gl_err *err)
{
	struct reg_semver sv;
	int		 rc = 0;

	if (!reg_name_ok(p->name))
		return gl_err_set(err, GL_EINVAL, "'%s' is not a module name "
		    "(letters, digits, _ and -)", p->name);
	if (reg_semver_parse(p->version, &sv) != 0)
		return gl_err_set(err, GL_EINVAL, "'%s' is not a version "
		    "(MAJOR.MINOR.PATCH, as 1.2.0)", p->version);
	for (int i = 0; i < REG_ATTEMPTS; i++) {
		gl_err_clear(err);
		/* Refused: someone pushed first; start over. */
		if ((rc = reg_publish_once(g, p, out, err)) != GL_ECONFLICT)
			break;
	}
	return rc;
}

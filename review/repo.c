/*
 * repo.c - git repositories through libgit2 (see repo.h).
 *
 * Every libgit2 error is turned into a GL_E* code and a message that
 * names what galley was doing and what libgit2 said. libgit2 is
 * initialised once per open repository (it counts), so the last
 * repo_free() releases its global state and leak checks stay clean.
 */
#include "review/repo_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/err.h"
#include "core/mem.h"
#include "core/util.h"

#define SYNC_NS		"refs/galley/sync/"
#define SYNC_ATTEMPTS	5

/* ------------------------------------------------------------------ */
/* Opening                                                              */
/* ------------------------------------------------------------------ */

static struct repo *
repo_wrap(git_repository *git)
{
	struct repo	*r = xcalloc(1, sizeof *r);
	const char	*wd = git_repository_workdir(git);

	r->git = git;
	r->workdir = wd != NULL ? xstrdup(wd) : NULL;
	r->gitdir = xstrdup(git_repository_path(git));
	return r;
}

/* Sets libgit2 up (counted: each repo_free() takes one back). Objects
 * are not hashed again as they are read: git does not either (fsck
 * does), and on a 2.5 MB notebook it is half the cost of reading it. */
static void
repo_lib_init(void)
{
	if (git_libgit2_init() == 1)
		git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, 0);
}

void
repo_library_hold(bool on)
{
	if (on)
		repo_lib_init();
	else
		git_libgit2_shutdown();
}

int
repo_open(const char *path, struct repo **out, struct gl_err *err)
{
	git_repository	*git = NULL;
	int		 rc;

	*out = NULL;
	repo_lib_init();
	if ((rc = git_repository_open_ext(&git, path, 0, NULL)) != 0) {
		if (rc == GIT_ENOTFOUND)
			gl_err_set(err, GL_ENOTFOUND, "not a git repository "
			    "(or any parent up to /): %s", path);
		else
			repo_fail(err, rc, "cannot open the repository at %s",
			    path);
		git_libgit2_shutdown();
		return err != NULL ? err->code : GL_EIO;
	}
	*out = repo_wrap(git);
	return 0;
}

int
repo_init(const char *path, bool bare, struct repo **out, struct gl_err *err)
{
	git_repository_init_options	 o;
	git_repository			*git = NULL;
	int				 rc;

	*out = NULL;
	repo_lib_init();
	git_repository_init_options_init(&o,
	    GIT_REPOSITORY_INIT_OPTIONS_VERSION);
	o.flags = GIT_REPOSITORY_INIT_MKPATH |
	    (bare ? GIT_REPOSITORY_INIT_BARE : 0);
	o.initial_head = "main";
	if ((rc = git_repository_init_ext(&git, path, &o)) != 0) {
		rc = repo_fail(err, rc, "cannot create a repository at %s",
		    path);
		git_libgit2_shutdown();
		return rc;
	}
	*out = repo_wrap(git);
	return 0;
}

int
repo_clone(const char *url, const char *path, bool bare, struct repo **out,
    struct gl_err *err)
{
	git_clone_options	 o;
	git_repository		*git = NULL;
	int			 rc;

	*out = NULL;
	repo_lib_init();
	git_clone_options_init(&o, GIT_CLONE_OPTIONS_VERSION);
	o.bare = bare;
	if ((rc = git_clone(&git, url, path, &o)) != 0) {
		rc = repo_fail(err, rc, "cannot clone %s into %s", url, path);
		git_libgit2_shutdown();
		return rc;
	}
	*out = repo_wrap(git);
	return 0;
}

void
repo_free(struct repo *r)
{
	if (r == NULL)
		return;
	git_repository_free(r->git);
	free(r->workdir);
	free(r->gitdir);
	free(r);
	git_libgit2_shutdown();
}

const char *
repo_workdir(const struct repo *r)
{
	return r->workdir;
}

const char *
repo_gitdir(const struct repo *r)
{
	return r->gitdir;
}

/* ------------------------------------------------------------------ */
/* Config, identity, revisions                                          */
/* ------------------------------------------------------------------ */

int
repo_config_set(struct repo *r, const char *key, const char *value,
    struct gl_err *err)
{
	git_config	*cfg = NULL, *local = NULL;
	int		 rc;

	if ((rc = git_repository_config(&cfg, r->git)) != 0 ||
	    (rc = git_config_open_level(&local, cfg,
	    GIT_CONFIG_LEVEL_LOCAL)) != 0 ||
	    (rc = git_config_set_string(local, key, value)) != 0)
		rc = repo_fail(err, rc, "cannot set %s in %sconfig", key,
		    r->gitdir);
	git_config_free(local);
	git_config_free(cfg);
	return rc;
}

static int
repo_signature(struct repo *r, git_signature **sig, struct gl_err *err)
{
	int	 rc;

	if ((rc = git_signature_default(sig, r->git)) != 0) {
		*sig = NULL;
		if (rc == GIT_ENOTFOUND)
			return gl_err_set(err, GL_ENOTFOUND, "who are you? "
			    "set git config user.name and user.email");
		return repo_fail(err, rc, "cannot read user.name and "
		    "user.email from git config");
	}
	return 0;
}

int
repo_identity(struct repo *r, char **out, struct gl_err *err)
{
	git_signature	*sig;
	int		 rc;

	*out = NULL;
	if ((rc = repo_signature(r, &sig, err)) != 0)
		return rc;
	*out = xasprintf("%s <%s>", sig->name, sig->email);
	git_signature_free(sig);
	return 0;
}

/* The commit rev names; the caller frees it. */
static int
repo_lookup_commit(struct repo *r, const char *rev, git_commit **out,
    struct gl_err *err)
{
	git_object	*obj = NULL, *peeled = NULL;
	int		 rc;

	*out = NULL;
	if ((rc = git_revparse_single(&obj, r->git, rev)) != 0) {
		if (rc == GIT_ENOTFOUND || rc == GIT_EINVALIDSPEC ||
		    rc == GIT_EAMBIGUOUS)
			return gl_err_set(err, GL_ENOTFOUND, "unknown "
			    "revision '%s' in %s", rev, r->workdir != NULL ?
			    r->workdir : r->gitdir);
		return repo_fail(err, rc, "cannot resolve '%s'", rev);
	}
	rc = git_object_peel(&peeled, obj, GIT_OBJECT_COMMIT);
	git_object_free(obj);
	if (rc != 0)
		return gl_err_set(err, GL_ENOTFOUND, "'%s' does not name a "
		    "commit", rev);
	*out = (git_commit *)peeled;
	return 0;
}

int
repo_resolve(struct repo *r, const char *rev, char out[REPO_OID_HEX],
    struct gl_err *err)
{
	git_commit	*c;
	int		 rc;

	if ((rc = repo_lookup_commit(r, rev, &c, err)) != 0)
		return rc;
	git_oid_tostr(out, REPO_OID_HEX, git_commit_id(c));
	git_commit_free(c);
	return 0;
}

int
repo_head_branch(struct repo *r, char **out, struct gl_err *err)
{
	git_reference	*head = NULL;
	const char	*target;
	int		 rc;

	*out = NULL;
	if ((rc = git_reference_lookup(&head, r->git, "HEAD")) != 0)
		return repo_fail(err, rc, "cannot read HEAD");
	if (git_reference_type(head) != GIT_REFERENCE_SYMBOLIC ||
	    (target = git_reference_symbolic_target(head)) == NULL ||
	    strncmp(target, "refs/heads/", 11) != 0) {
		git_reference_free(head);
		return gl_err_set(err, GL_ENOTFOUND, "HEAD is detached (not "
		    "on a branch)");
	}
	*out = xstrdup(target + 11);
	git_reference_free(head);
	return 0;
}

static bool
repo_rev_exists(struct repo *r, const char *rev)
{
	git_commit	*c;

	if (repo_lookup_commit(r, rev, &c, NULL) != 0)
		return false;
	git_commit_free(c);
	return true;
}

int
repo_default_base(struct repo *r, char **out, struct gl_err *err)
{
	static const char *const cands[] = { "main", "master", "origin/main",
	    "origin/master" };
	git_reference	*br = NULL, *up = NULL;
	char		*branch = NULL;

	*out = NULL;
	if (repo_head_branch(r, &branch, NULL) == 0 &&
	    git_branch_lookup(&br, r->git, branch, GIT_BRANCH_LOCAL) == 0 &&
	    git_branch_upstream(&up, br) == 0)
		*out = xstrdup(git_reference_shorthand(up));
	git_reference_free(up);
	git_reference_free(br);
	for (size_t i = 0; *out == NULL && i < sizeof cands / sizeof *cands;
	    i++) {
		if (branch != NULL && strcmp(cands[i], branch) == 0)
			continue;
		if (repo_rev_exists(r, cands[i]))
			*out = xstrdup(cands[i]);
	}
	if (*out == NULL)
		gl_err_set(err, GL_ENOTFOUND, "no base to review %s against: "
		    "it has no upstream and there is no main or master "
		    "branch; name one (BASE..HEAD)",
		    branch != NULL ? branch : "HEAD");
	free(branch);
	return *out != NULL ? 0 : GL_ENOTFOUND;
}

int
repo_merge_base(struct repo *r, const char *a, const char *b,
    char out[REPO_OID_HEX], struct gl_err *err)
{
	git_oid	 x, y, m;
	int	 rc;

	if (git_oid_fromstr(&x, a) != 0 || git_oid_fromstr(&y, b) != 0)
		return gl_err_set(err, GL_EINVAL, "not commit ids: %s, %s",
		    a, b);
	if ((rc = git_merge_base(&m, r->git, &x, &y)) != 0) {
		if (rc == GIT_ENOTFOUND)
			return gl_err_set(err, GL_ENOTFOUND, "%.7s and %.7s "
			    "have no common ancestor", a, b);
		return repo_fail(err, rc, "cannot find the merge base of "
		    "%.7s and %.7s", a, b);
	}
	git_oid_tostr(out, REPO_OID_HEX, &m);
	return 0;
}

void
repo_short(struct repo *r, const char *oid, char out[REPO_OID_HEX])
{
	git_object	*obj = NULL;
	git_buf		 b = { 0 };
	git_oid		 id;

	snprintf(out, REPO_OID_HEX, "%.7s", oid);
	if (git_oid_fromstr(&id, oid) != 0 ||
	    git_object_lookup(&obj, r->git, &id, GIT_OBJECT_ANY) != 0)
		return;
	if (git_object_short_id(&b, obj) == 0)
		snprintf(out, REPO_OID_HEX, "%s", b.ptr);
	git_buf_dispose(&b);
	git_object_free(obj);
}

/* ------------------------------------------------------------------ */
/* Files and changes                                                    */
/* ------------------------------------------------------------------ */

static int
repo_blob_read(struct repo *r, const git_oid *id, const char *what,
    char **out, size_t *len, struct gl_err *err)
{
	git_blob	*blob = NULL;
	git_object_size_t n;
	int		 rc;

	*out = NULL;
	*len = 0;
	if ((rc = git_blob_lookup(&blob, r->git, id)) != 0)
		return repo_fail(err, rc, "cannot read %s", what);
	n = git_blob_rawsize(blob);
	*out = xmalloc((size_t)n + 1);
	memcpy(*out, git_blob_rawcontent(blob), (size_t)n);
	(*out)[n] = '\0';
	*len = (size_t)n;
	git_blob_free(blob);
	return 0;
}

int
repo_file_read(struct repo *r, const struct repo_side *side,
    const char *path, char **out, size_t *len, struct gl_err *err)
{
	git_commit		*c = NULL;
	git_tree		*tree = NULL;
	git_tree_entry		*te = NULL;
	git_index		*index = NULL;
	const git_index_entry	*ie;
	char			*full, what[600];
	size_t			 dummy;
	int			 rc;

	*out = NULL;
	if (len == NULL)
		len = &dummy;
	switch (side->where) {
	case REPO_WORKTREE:
		if (r->workdir == NULL)
			return gl_err_set(err, GL_EINVAL, "a bare repository "
			    "has no work tree");
		full = xasprintf("%s%s", r->workdir, path);
		rc = gl_file_read(full, out, len, err);
		free(full);
		return rc;
	case REPO_INDEX:
		if ((rc = git_repository_index(&index, r->git)) != 0)
			return repo_fail(err, rc, "cannot read the index");
		git_index_read(index, 0);
		if ((ie = git_index_get_bypath(index, path, 0)) == NULL) {
			git_index_free(index);
			return gl_err_set(err, GL_ENOTFOUND, "%s is not in the "
			    "index", path);
		}
		snprintf(what, sizeof what, "%s in the index", path);
		rc = repo_blob_read(r, &ie->id, what, out, len, err);
		git_index_free(index);
		return rc;
	case REPO_COMMIT:
		break;
	}
	if ((rc = repo_lookup_commit(r, side->oid, &c, err)) != 0)
		return rc;
	if ((rc = git_commit_tree(&tree, c)) != 0) {
		rc = repo_fail(err, rc, "cannot read the tree of %.7s",
		    side->oid);
		goto out;
	}
	if (git_tree_entry_bypath(&te, tree, path) != 0 ||
	    git_tree_entry_type(te) != GIT_OBJECT_BLOB) {
		rc = gl_err_set(err, GL_ENOTFOUND, "%s is not in commit %.7s",
		    path, side->oid);
		goto out;
	}
	snprintf(what, sizeof what, "%s at %.7s", path, side->oid);
	rc = repo_blob_read(r, git_tree_entry_id(te), what, out, len, err);
out:
	git_tree_entry_free(te);
	git_tree_free(tree);
	git_commit_free(c);
	return rc;
}

static int
repo_side_tree(struct repo *r, const struct repo_side *s, git_tree **out,
    struct gl_err *err)
{
	git_commit	*c;
	int		 rc;

	if ((rc = repo_lookup_commit(r, s->oid, &c, err)) != 0)
		return rc;
	if ((rc = git_commit_tree(out, c)) != 0)
		rc = repo_fail(err, rc, "cannot read the tree of %.7s",
		    s->oid);
	git_commit_free(c);
	return rc;
}

static char
repo_status_char(git_delta_t st)
{
	switch (st) {
	case GIT_DELTA_ADDED:
	case GIT_DELTA_COPIED:
		return 'A';
	case GIT_DELTA_DELETED:
		return 'D';
	case GIT_DELTA_RENAMED:
		return 'R';
	case GIT_DELTA_TYPECHANGE:
		return 'T';
	case GIT_DELTA_MODIFIED:
	case GIT_DELTA_CONFLICTED:
		return 'M';
	default:
		return 0;
	}
}

int
repo_changes(struct repo *r, const struct repo_side *a,
    const struct repo_side *b, const char *const *paths, size_t npaths,
    struct repo_change **out, size_t *n, struct gl_err *err)
{
	git_diff_options	 o;
	git_diff_find_options	 fo;
	git_diff		*diff = NULL;
	git_tree		*ta = NULL, *tb = NULL;
	git_index		*index = NULL;
	struct repo_change	*v = NULL;
	size_t			 nv = 0, nd;
	int			 rc;

	*out = NULL;
	*n = 0;
	git_diff_options_init(&o, GIT_DIFF_OPTIONS_VERSION);
	git_diff_find_options_init(&fo, GIT_DIFF_FIND_OPTIONS_VERSION);
	o.pathspec.strings = (char **)paths;
	o.pathspec.count = npaths;
	if (a->where == REPO_COMMIT &&
	    (rc = repo_side_tree(r, a, &ta, err)) != 0)
		return rc;
	if (a->where == REPO_COMMIT && b->where == REPO_COMMIT) {
		if ((rc = repo_side_tree(r, b, &tb, err)) != 0)
			goto out;
		rc = git_diff_tree_to_tree(&diff, r->git, ta, tb, &o);
	} else if (a->where == REPO_COMMIT && b->where == REPO_INDEX)
		rc = git_diff_tree_to_index(&diff, r->git, ta, NULL, &o);
	else if (a->where == REPO_COMMIT && b->where == REPO_WORKTREE)
		rc = git_diff_tree_to_workdir_with_index(&diff, r->git, ta,
		    &o);
	else if (a->where == REPO_INDEX && b->where == REPO_WORKTREE) {
		if ((rc = git_repository_index(&index, r->git)) == 0)
			rc = git_diff_index_to_workdir(&diff, r->git, index,
			    &o);
	} else {
		rc = gl_err_set(err, GL_EINVAL, "cannot compare those sides");
		goto out;
	}
	if (rc != 0) {
		rc = repo_fail(err, rc, "cannot list changed files");
		goto out;
	}
	fo.flags = GIT_DIFF_FIND_RENAMES;
	if ((rc = git_diff_find_similar(diff, &fo)) != 0) {
		rc = repo_fail(err, rc, "cannot find renames");
		goto out;
	}
	nd = git_diff_num_deltas(diff);
	v = xcalloc(nd > 0 ? nd : 1, sizeof *v);
	for (size_t i = 0; i < nd; i++) {
		const git_diff_delta	*d = git_diff_get_delta(diff, i);
		char			 st = repo_status_char(d->status);

		if (st == 0)
			continue;
		v[nv].status = st;
		v[nv].old_path = st != 'A' ? xstrdup(d->old_file.path) : NULL;
		v[nv].new_path = st != 'D' ? xstrdup(d->new_file.path) : NULL;
		nv++;
	}
	*out = v;
	*n = nv;
	rc = 0;
out:
	git_diff_free(diff);
	git_index_free(index);
	git_tree_free(ta);
	git_tree_free(tb);
	return rc;
}

void
repo_changes_free(struct repo_change *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].old_path);
		free(v[i].new_path);
	}
	free(v);
}

/* ------------------------------------------------------------------ */
/* Commits                                                              */
/* ------------------------------------------------------------------ */

/*
 * Commits parent's tree with path set to blob (NULL: removed) on refname
 * (NULL parent: a root commit). The ref moves only if it still points at
 * parent, which is how a concurrent commit is noticed.
 */
static int
repo_commit_update(struct repo *r, const char *refname, git_commit *parent,
    const char *path, const git_oid *blob, git_filemode_t mode,
    const char *msg, git_oid *out, struct gl_err *err)
{
	git_signature		*sig = NULL;
	git_tree		*base = NULL, *tree = NULL;
	git_treebuilder		*tb = NULL;
	git_tree_update		 up;
	git_oid			 base_id, tree_id;
	const git_commit	*parents[1] = { parent };
	int			 rc;

	if ((rc = repo_signature(r, &sig, err)) != 0)
		return rc;
	if (parent != NULL)
		rc = git_commit_tree(&base, parent);
	else if ((rc = git_treebuilder_new(&tb, r->git, NULL)) == 0 &&
	    (rc = git_treebuilder_write(&base_id, tb)) == 0)
		rc = git_tree_lookup(&base, r->git, &base_id);
	if (rc != 0) {
		rc = repo_fail(err, rc, "cannot read the tree to commit on");
		goto out;
	}
	memset(&up, 0, sizeof up);
	up.action = blob != NULL ? GIT_TREE_UPDATE_UPSERT :
	    GIT_TREE_UPDATE_REMOVE;
	if (blob != NULL)
		git_oid_cpy(&up.id, blob);
	up.filemode = mode;
	up.path = path;
	if ((rc = git_tree_create_updated(&tree_id, r->git, base, 1,
	    &up)) != 0) {
		rc = repo_fail(err, rc, blob != NULL ? "cannot commit %s" :
		    "cannot remove %s", path);
		goto out;
	}
	if (git_oid_equal(&tree_id, git_tree_id(base)) && parent != NULL) {
		rc = gl_err_set(err, GL_EINVAL, "nothing to commit: %s is "
		    "unchanged", path);
		goto out;
	}
	if ((rc = git_tree_lookup(&tree, r->git, &tree_id)) != 0) {
		rc = repo_fail(err, rc, "cannot read the new tree");
		goto out;
	}
	rc = git_commit_create(out, r->git, refname, sig, sig, NULL, msg, tree,
	    parent != NULL ? 1 : 0, parents);
	if (rc == GIT_EMODIFIED)
		rc = gl_err_set(err, GL_ECONFLICT, "%s moved while committing; "
		    "try again", refname);
	else if (rc != 0)
		rc = repo_fail(err, rc, "cannot commit %s", path);
out:
	git_tree_free(tree);
	git_tree_free(base);
	git_treebuilder_free(tb);
	git_signature_free(sig);
	return rc;
}

int
repo_commit_file(struct repo *r, const char *path, const char *msg,
    char out[REPO_OID_HEX], struct gl_err *err)
{
	git_commit	*parent = NULL;
	git_index	*index = NULL;
	git_oid		 blob, id;
	git_filemode_t	 mode = GIT_FILEMODE_BLOB;
	struct stat	 st;
	char		*full;
	bool		 exists;
	int		 rc;

	if (r->workdir == NULL)
		return gl_err_set(err, GL_EINVAL, "a bare repository has no "
		    "work tree to commit from");
	full = xasprintf("%s%s", r->workdir, path);
	exists = lstat(full, &st) == 0;
	free(full);
	if (exists && (st.st_mode & S_IXUSR))
		mode = GIT_FILEMODE_BLOB_EXECUTABLE;
	if (exists && (rc = git_blob_create_from_workdir(&blob, r->git,
	    path)) != 0)
		return repo_fail(err, rc, "cannot read %s%s", r->workdir, path);
	rc = repo_lookup_commit(r, "HEAD", &parent, NULL);
	if (rc != 0)
		parent = NULL;	/* unborn: the first commit */
	if ((rc = repo_commit_update(r, "HEAD", parent, path,
	    exists ? &blob : NULL, mode, msg, &id, err)) != 0)
		goto out;
	if (out != NULL)
		git_oid_tostr(out, REPO_OID_HEX, &id);
	/* The index follows, as after `git commit -- path`. */
	if ((rc = git_repository_index(&index, r->git)) == 0) {
		rc = exists ? git_index_add_bypath(index, path) :
		    git_index_remove_bypath(index, path);
		if (rc == 0)
			rc = git_index_write(index);
	}
	if (rc != 0)
		rc = repo_fail(err, rc, "committed, but cannot update the "
		    "index for %s", path);
out:
	git_index_free(index);
	git_commit_free(parent);
	return rc;
}

int
repo_commit_blob(struct repo *r, const char *branch, const char *path,
    const void *data, size_t len, const char *msg, char out[REPO_OID_HEX],
    struct gl_err *err)
{
	git_commit	*parent = NULL;
	git_oid		 blob, id;
	char		*ref = xasprintf("refs/heads/%s", branch);
	int		 rc;

	if (repo_lookup_commit(r, ref, &parent, NULL) != 0)
		parent = NULL;
	if (data != NULL && (rc = git_blob_create_from_buffer(&blob, r->git,
	    data, len)) != 0) {
		rc = repo_fail(err, rc, "cannot store %s", path);
		goto out;
	}
	if ((rc = repo_commit_update(r, ref, parent, path,
	    data != NULL ? &blob : NULL, GIT_FILEMODE_BLOB, msg, &id,
	    err)) != 0)
		goto out;
	if (out != NULL)
		git_oid_tostr(out, REPO_OID_HEX, &id);
out:
	git_commit_free(parent);
	free(ref);
	return rc;
}

int
repo_branch_create(struct repo *r, const char *name, const char *rev,
    struct gl_err *err)
{
	git_commit	*c = NULL;
	git_reference	*ref = NULL;
	int		 rc;

	if ((rc = repo_lookup_commit(r, rev, &c, err)) != 0)
		return rc;
	if ((rc = git_branch_create(&ref, r->git, name, c, 0)) != 0) {
		if (rc == GIT_EEXISTS)
			rc = gl_err_set(err, GL_EEXIST, "branch %s already "
			    "exists", name);
		else
			rc = repo_fail(err, rc, "cannot create branch %s",
			    name);
	}
	git_reference_free(ref);
	git_commit_free(c);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Log                                                                  */
/* ------------------------------------------------------------------ */

/* The blob id of path in c into *id; false when c has no such file. */
static bool
repo_path_id(git_commit *c, const char *path, git_oid *id)
{
	git_tree	*tree = NULL;
	git_tree_entry	*te = NULL;
	bool		 found = false;

	if (git_commit_tree(&tree, c) == 0 &&
	    git_tree_entry_bypath(&te, tree, path) == 0) {
		git_oid_cpy(id, git_tree_entry_id(te));
		found = true;
	}
	git_tree_entry_free(te);
	git_tree_free(tree);
	return found;
}

/* True if c changed path: it differs from every parent (a merge that took
 * one side's file as it was did not change it, as git log shows). */
static bool
repo_commit_touches(git_commit *c, const char *path)
{
	git_oid		 mine, theirs;
	bool		 have = repo_path_id(c, path, &mine);
	unsigned	 np = git_commit_parentcount(c);

	if (np == 0)
		return have;
	for (unsigned i = 0; i < np; i++) {
		git_commit	*p = NULL;
		bool		 same;

		if (git_commit_parent(&p, c, i) != 0)
			continue;
		if (repo_path_id(p, path, &theirs))
			same = have && git_oid_equal(&mine, &theirs);
		else
			same = !have;
		git_commit_free(p);
		if (same)
			return false;
	}
	return true;
}

int
repo_log(struct repo *r, const char *rev, const char *path, size_t max,
    struct repo_commit **out, size_t *n, struct gl_err *err)
{
	git_revwalk		*walk = NULL;
	git_commit		*start = NULL;
	struct repo_commit	*v = NULL;
	size_t			 nv = 0, cap = 0;
	git_oid			 id;
	int			 rc;

	*out = NULL;
	*n = 0;
	if ((rc = repo_lookup_commit(r, rev != NULL ? rev : "HEAD", &start,
	    err)) != 0)
		return rc;
	if ((rc = git_revwalk_new(&walk, r->git)) != 0 ||
	    /* Children before their parents even when commits share a
	     * second (by time alone, their order is the walk's whim). */
	    (rc = git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL |
	    GIT_SORT_TIME)) != 0 ||
	    (rc = git_revwalk_push(walk, git_commit_id(start))) != 0) {
		rc = repo_fail(err, rc, "cannot walk the history");
		goto out;
	}
	while ((max == 0 || nv < max) && git_revwalk_next(&id, walk) == 0) {
		git_commit		*c = NULL;
		const git_signature	*a;
		const char		*s;

		if (git_commit_lookup(&c, r->git, &id) != 0)
			continue;
		if (path != NULL && !repo_commit_touches(c, path)) {
			git_commit_free(c);
			continue;
		}
		if (nv == cap) {
			cap = cap ? cap * 2 : 16;
			v = xrealloc(v, cap * sizeof *v);
		}
		a = git_commit_author(c);
		git_oid_tostr(v[nv].oid, REPO_OID_HEX, &id);
		v[nv].author = xasprintf("%s <%s>", a->name, a->email);
		v[nv].time = (long long)a->when.time;
		s = git_commit_summary(c);
		v[nv].summary = xstrdup(s != NULL ? s : "");
		nv++;
		git_commit_free(c);
	}
	*out = v;
	*n = nv;
	rc = 0;
out:
	git_revwalk_free(walk);
	git_commit_free(start);
	return rc;
}

void
repo_log_free(struct repo_commit *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].author);
		free(v[i].summary);
	}
	free(v);
}

/* ------------------------------------------------------------------ */
/* Notes                                                                */
/* ------------------------------------------------------------------ */

int
repo_note_read(struct repo *r, const char *ref, const char *oid,
    char **text, size_t *len, struct gl_err *err)
{
	git_note	*note = NULL;
	git_oid		 id;
	const char	*msg;
	int		 rc;

	*text = NULL;
	if (git_oid_fromstr(&id, oid) != 0)
		return gl_err_set(err, GL_EINVAL, "not an object id: %s", oid);
	if ((rc = git_note_read(&note, r->git, ref, &id)) != 0) {
		if (rc == GIT_ENOTFOUND)
			return gl_err_set(err, GL_ENOTFOUND, "no note on %.7s "
			    "in %s", oid, ref);
		return repo_fail(err, rc, "cannot read the note on %.7s in "
		    "%s", oid, ref);
	}
	msg = git_note_message(note);
	*text = xstrdup(msg != NULL ? msg : "");
	if (len != NULL)
		*len = strlen(*text);
	git_note_free(note);
	return 0;
}

/* The notes signature: the user's, or galley's when git has none (notes
 * commits are bookkeeping; records carry their own author). */
static git_signature *
repo_notes_sig(struct repo *r)
{
	git_signature	*sig = NULL;

	if (git_signature_default(&sig, r->git) != 0 &&
	    git_signature_now(&sig, "galley", "galley@localhost") != 0)
		gl_fatal("libgit2 cannot make a signature");
	return sig;
}

/* The commit ref points at into *c (NULL when there is no ref). */
static int
repo_ref_commit(struct repo *r, const char *ref, git_commit **c,
    struct gl_err *err)
{
	git_oid	 id;
	int	 rc;

	*c = NULL;
	if ((rc = git_reference_name_to_id(&id, r->git, ref)) != 0) {
		if (rc == GIT_ENOTFOUND)
			return 0;
		return repo_fail(err, rc, "cannot read %s", ref);
	}
	if ((rc = git_commit_lookup(c, r->git, &id)) != 0)
		return repo_fail(err, rc, "%s does not point at a commit", ref);
	return 0;
}

/* Moves ref from old (NULL: must not exist) to id. GIT_EMODIFIED or
 * GIT_EEXISTS when someone else moved it first. */
static int
repo_ref_cas(struct repo *r, const char *ref, const git_oid *old,
    const git_oid *id, const char *why)
{
	git_reference	*out = NULL;
	int		 rc;

	if (old != NULL)
		rc = git_reference_create_matching(&out, r->git, ref, id, 1,
		    old, why);
	else
		rc = git_reference_create(&out, r->git, ref, id, 0, why);
	git_reference_free(out);
	return rc;
}

int
repo_note_append(struct repo *r, const char *ref, const char *oid,
    const char *text, size_t len, struct gl_err *err)
{
	git_signature	*sig = repo_notes_sig(r);
	git_oid		 target;
	int		 rc = 0;

	if (git_oid_fromstr(&target, oid) != 0) {
		git_signature_free(sig);
		return gl_err_set(err, GL_EINVAL, "not an object id: %s", oid);
	}
	for (int attempt = 0;; attempt++) {
		git_commit	*cur = NULL;
		git_note	*note = NULL;
		struct gl_buf	 b;
		git_oid		 newc;
		const char	*old = "";

		if ((rc = repo_ref_commit(r, ref, &cur, err)) != 0)
			break;
		if (cur != NULL && git_note_commit_read(&note, r->git, cur,
		    &target) == 0 && git_note_message(note) != NULL)
			old = git_note_message(note);
		gl_buf_init(&b);
		gl_buf_adds(&b, old);
		if (b.len > 0 && b.data[b.len - 1] != '\n')
			gl_buf_addc(&b, '\n');
		gl_buf_add(&b, text, len);
		rc = git_note_commit_create(&newc, NULL, r->git, cur, sig, sig,
		    &target, b.data != NULL ? b.data : "", 1);
		if (rc == 0)
			rc = repo_ref_cas(r, ref, cur != NULL ?
			    git_commit_id(cur) : NULL, &newc,
			    "galley: append note");
		gl_buf_fini(&b);
		git_note_free(note);
		git_commit_free(cur);
		if (rc == 0)
			break;
		if ((rc != GIT_EMODIFIED && rc != GIT_EEXISTS) ||
		    attempt >= 20) {
			rc = repo_fail(err, rc, "cannot write the note on "
			    "%.7s in %s", oid, ref);
			break;
		}
	}
	git_signature_free(sig);
	return rc;
}

struct repo_foreach {
	struct repo	*r;
	repo_note_cb	 cb;
	void		*arg;
	int		 rc;
	struct gl_err	*err;
};

static int
repo_on_note(const git_oid *blob_id, const git_oid *annotated, void *payload)
{
	struct repo_foreach	*f = payload;
	char			 hex[REPO_OID_HEX], *text = NULL;
	size_t			 len = 0;

	git_oid_tostr(hex, sizeof hex, annotated);
	if ((f->rc = repo_blob_read(f->r, blob_id, "a note", &text, &len,
	    f->err)) != 0)
		return 1;
	f->rc = f->cb(hex, text, len, f->arg);
	free(text);
	return f->rc != 0;
}

int
repo_notes_foreach(struct repo *r, const char *ref, repo_note_cb cb,
    void *arg, struct gl_err *err)
{
	struct repo_foreach	 f = { r, cb, arg, 0, err };
	int			 rc;

	rc = git_note_foreach(r->git, ref, repo_on_note, &f);
	if (rc == GIT_ENOTFOUND)
		return 0;		/* no such ref: no notes */
	if (f.rc != 0)
		return f.rc;
	if (rc != 0)
		return repo_fail(err, rc, "cannot list the notes in %s", ref);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Sync                                                                 */
/* ------------------------------------------------------------------ */

void
repo_sync_fini(struct repo_sync *s)
{
	for (size_t i = 0; i < s->nupdated; i++)
		free(s->updated[i]);
	for (size_t i = 0; i < s->npushed; i++)
		free(s->pushed[i]);
	free(s->updated);
	free(s->pushed);
	memset(s, 0, sizeof *s);
}

void
repo_strv_add(char ***v, size_t *n, const char *s)
{
	for (size_t i = 0; i < *n; i++)
		if (strcmp((*v)[i], s) == 0)
			return;
	*v = xrealloc(*v, (*n + 1) * sizeof **v);
	(*v)[(*n)++] = xstrdup(s);
}

void
repo_strv_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* Names of the refs matching glob. */
static int
repo_refs_glob(struct repo *r, const char *glob, char ***names, size_t *n,
    struct gl_err *err)
{
	git_reference_iterator	*it = NULL;
	const char		*name;
	int			 rc;

	*names = NULL;
	*n = 0;
	if ((rc = git_reference_iterator_glob_new(&it, r->git, glob)) != 0)
		return repo_fail(err, rc, "cannot list %s", glob);
	while ((rc = git_reference_next_name(&name, it)) == 0)
		repo_strv_add(names, n, name);
	git_reference_iterator_free(it);
	if (rc != GIT_ITEROVER)
		return repo_fail(err, rc, "cannot list %s", glob);
	return 0;
}

/*
 * A merge commit of two notes commits: ours, with every note of theirs
 * that ours lacks added and every note both have with different texts
 * replaced by merge(ours, theirs); its parents are ours and theirs, so
 * either side fast-forwards to it.
 */
static int
repo_notes_merge(struct repo *r, git_commit *ours, git_commit *theirs,
    repo_note_merge_cb merge, void *arg, git_signature *sig, git_oid *out,
    struct gl_err *err)
{
	git_note_iterator	*it = NULL;
	git_commit		*cur = ours, *next;
	git_tree		*tree = NULL;
	git_oid			 blob_id, annotated, newc;
	const git_commit	*parents[2] = { ours, theirs };
	int			 rc;

	if ((rc = git_note_commit_iterator_new(&it, theirs)) != 0) {
		rc = repo_fail(err, rc, "cannot list the fetched notes");
		goto out;
	}
	while ((rc = git_note_next(&blob_id, &annotated, it)) == 0) {
		git_note	*mine = NULL;
		char		*text = NULL, *merged = NULL, hex[REPO_OID_HEX];
		size_t		 len;
		const char	*put;

		git_oid_tostr(hex, sizeof hex, &annotated);
		if ((rc = repo_blob_read(r, &blob_id, "a fetched note", &text,
		    &len, err)) != 0)
			goto out;
		put = text;
		if (git_note_commit_read(&mine, r->git, cur, &annotated) == 0) {
			const char	*m = git_note_message(mine);

			if (m == NULL)
				m = "";
			if (strcmp(m, text) == 0)
				put = NULL;
			else
				put = merged = merge(m, strlen(m), text, len,
				    arg);
		}
		git_note_free(mine);
		rc = 0;
		if (put != NULL) {
			rc = git_note_commit_create(&newc, NULL, r->git, cur,
			    sig, sig, &annotated, put, 1);
			if (rc == 0 && (rc = git_commit_lookup(&next, r->git,
			    &newc)) == 0) {
				if (cur != ours)
					git_commit_free(cur);
				cur = next;
			}
		}
		free(merged);
		free(text);
		if (rc != 0) {
			rc = repo_fail(err, rc, "cannot merge the note on "
			    "%.7s", hex);
			goto out;
		}
	}
	if (rc != GIT_ITEROVER) {
		rc = repo_fail(err, rc, "cannot list the fetched notes");
		goto out;
	}
	if ((rc = git_commit_tree(&tree, cur)) != 0 ||
	    (rc = git_commit_create(out, r->git, NULL, sig, sig, NULL,
	    "galley: merge notes", tree, 2, parents)) != 0)
		rc = repo_fail(err, rc, "cannot commit the merged notes");
out:
	git_tree_free(tree);
	git_note_iterator_free(it);
	if (cur != ours)
		git_commit_free(cur);
	return rc;
}

/* Brings the fetched commit theirs into the local ref. */
static int
repo_notes_take(struct repo *r, const char *ref, const git_oid *theirs_id,
    repo_note_merge_cb merge, void *arg, git_signature *sig, bool *updated,
    struct gl_err *err)
{
	git_commit	*ours = NULL, *theirs = NULL;
	git_oid		 m;
	int		 rc;

	*updated = false;
	if ((rc = repo_ref_commit(r, ref, &ours, err)) != 0)
		return rc;
	if (ours == NULL) {
		if ((rc = repo_ref_cas(r, ref, NULL, theirs_id,
		    "galley: fetch notes")) != 0)
			rc = repo_fail(err, rc, "cannot create %s", ref);
		*updated = rc == 0;
		return rc;
	}
	if (git_oid_equal(git_commit_id(ours), theirs_id) ||
	    git_graph_descendant_of(r->git, git_commit_id(ours),
	    theirs_id) == 1)
		goto out;	/* nothing new */
	if (git_graph_descendant_of(r->git, theirs_id,
	    git_commit_id(ours)) == 1)
		m = *theirs_id;	/* fast forward */
	else {
		if ((rc = git_commit_lookup(&theirs, r->git, theirs_id)) != 0) {
			rc = repo_fail(err, rc, "cannot read the fetched %s",
			    ref);
			goto out;
		}
		if ((rc = repo_notes_merge(r, ours, theirs, merge, arg, sig,
		    &m, err)) != 0)
			goto out;
	}
	if ((rc = repo_ref_cas(r, ref, git_commit_id(ours), &m,
	    "galley: merge notes")) != 0)
		rc = repo_fail(err, rc, "cannot update %s", ref);
	*updated = rc == 0;
out:
	git_commit_free(theirs);
	git_commit_free(ours);
	return rc;
}

int
repo_on_cred(git_credential **out, const char *url, const char *user,
    unsigned int allowed, void *payload)
{
	struct repo_remote_cb	*c = payload;

	if (c->tries++ > 0)
		return GIT_EUSER;	/* what we offered was refused */
	if (allowed & GIT_CREDENTIAL_SSH_KEY)
		return git_credential_ssh_key_from_agent(out,
		    user != NULL ? user : "git");
	if (allowed & GIT_CREDENTIAL_USERNAME)
		return git_credential_username_new(out,
		    user != NULL ? user : "git");
	return GIT_PASSTHROUGH;
}

int
repo_on_push_update(const char *ref, const char *status, void *payload)
{
	struct repo_remote_cb	*c = payload;

	if (status != NULL) {
		repo_strv_add(&c->rejected, &c->nrejected, ref);
		if (c->why == NULL)
			c->why = xasprintf("%s: %s", ref, status);
	}
	return 0;
}

/* One fetch, merge, push round. *retry is set when a push was refused. */
static int
repo_sync_once(struct repo *r, git_remote *rem, const char *prefix,
    repo_note_merge_cb merge, void *arg, struct repo_sync *s, bool *retry,
    struct gl_err *err)
{
	git_fetch_options	 fo;
	git_push_options	 po;
	struct repo_remote_cb	 cb = { 0 };
	git_signature		*sig = repo_notes_sig(r);
	git_strarray		 specs;
	char			*spec, *glob, **fetched = NULL, **local = NULL;
	char			**pspecs = NULL;
	size_t			 nfetched = 0, nlocal = 0, npspecs = 0;
	size_t			 plen = strlen(prefix);
	int			 rc;

	*retry = false;
	git_fetch_options_init(&fo, GIT_FETCH_OPTIONS_VERSION);
	git_push_options_init(&po, GIT_PUSH_OPTIONS_VERSION);
	spec = xasprintf("+%s*:" SYNC_NS "*", prefix);
	fo.callbacks.credentials = repo_on_cred;
	fo.callbacks.payload = &cb;
	fo.update_fetchhead = 0;
	fo.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
	specs.strings = &spec;
	specs.count = 1;
	rc = git_remote_fetch(rem, &specs, &fo, "galley: fetch notes");
	free(spec);
	if (rc != 0) {
		rc = repo_fail(err, rc, "cannot fetch %s* from %s", prefix,
		    git_remote_url(rem));
		goto out;
	}

	/* Merge what came, remembering where the remote stands. */
	if ((rc = repo_refs_glob(r, SYNC_NS "*", &fetched, &nfetched,
	    err)) != 0)
		goto out;
	for (size_t i = 0; i < nfetched; i++) {
		char	*name = xasprintf("%s%s", prefix,
		    fetched[i] + strlen(SYNC_NS));
		git_oid	 theirs;
		bool	 updated;

		if ((rc = git_reference_name_to_id(&theirs, r->git,
		    fetched[i])) != 0) {
			free(name);
			rc = repo_fail(err, rc, "cannot read %s", fetched[i]);
			goto out;
		}
		rc = repo_notes_take(r, name, &theirs, merge, arg, sig,
		    &updated, err);
		if (rc == 0 && updated)
			repo_strv_add(&s->updated, &s->nupdated, name);
		free(name);
		if (rc != 0)
			goto out;
	}

	/* Push the local refs the remote does not have as they are. */
	glob = xasprintf("%s*", prefix);
	rc = repo_refs_glob(r, glob, &local, &nlocal, err);
	free(glob);
	if (rc != 0)
		goto out;
	pspecs = xcalloc(nlocal + 1, sizeof *pspecs);
	for (size_t i = 0; i < nlocal; i++) {
		char	*theirs_ref = xasprintf(SYNC_NS "%s", local[i] + plen);
		git_oid	 mine, theirs;
		bool	 same;

		same = git_reference_name_to_id(&mine, r->git, local[i]) == 0 &&
		    git_reference_name_to_id(&theirs, r->git,
		    theirs_ref) == 0 && git_oid_equal(&mine, &theirs);
		free(theirs_ref);
		if (!same)
			pspecs[npspecs++] = xasprintf("%s:%s", local[i],
			    local[i]);
	}
	if (npspecs > 0) {
		cb.tries = 0;
		po.callbacks.credentials = repo_on_cred;
		po.callbacks.push_update_reference = repo_on_push_update;
		po.callbacks.payload = &cb;
		specs.strings = pspecs;
		specs.count = npspecs;
		if ((rc = git_remote_push(rem, &specs, &po)) != 0) {
			rc = repo_fail(err, rc, "cannot push %s* to %s", prefix,
			    git_remote_url(rem));
			goto out;
		}
		if (cb.nrejected > 0) {
			*retry = true;
			gl_err_set(err, GL_ECONFLICT, "push refused: %s",
			    cb.why);
			rc = GL_ECONFLICT;
			goto out;
		}
		for (size_t i = 0; i < npspecs; i++) {
			char	*colon = strchr(pspecs[i], ':');

			*colon = '\0';
			repo_strv_add(&s->pushed, &s->npushed, pspecs[i]);
			*colon = ':';
		}
	}
	rc = 0;
out:
	/* The fetched copies were only needed for this round. */
	for (size_t i = 0; i < nfetched; i++) {
		git_reference	*ref = NULL;

		if (git_reference_lookup(&ref, r->git, fetched[i]) == 0)
			git_reference_delete(ref);
		git_reference_free(ref);
	}
	repo_strv_free(fetched, nfetched);
	repo_strv_free(local, nlocal);
	repo_strv_free(pspecs, npspecs);
	repo_strv_free(cb.rejected, cb.nrejected);
	free(cb.why);
	git_signature_free(sig);
	return rc;
}

int
repo_notes_sync(struct repo *r, const char *remote, const char *prefix,
    repo_note_merge_cb merge, void *arg, struct repo_sync *s,
    struct gl_err *err)
{
	git_remote	*rem = NULL;
	const char	*name = remote != NULL ? remote : "origin";
	bool		 retry = false;
	int		 rc;

	if (git_remote_lookup(&rem, r->git, name) != 0) {
		if (remote == NULL)
			return gl_err_set(err, GL_ENOTFOUND, "no remote "
			    "'origin': name one (a remote, a path or a URL)");
		if ((rc = git_remote_create_anonymous(&rem, r->git,
		    remote)) != 0)
			return repo_fail(err, rc, "'%s' is not a remote, a "
			    "path or a URL", remote);
	}
	for (int attempt = 0; attempt < SYNC_ATTEMPTS; attempt++) {
		gl_err_clear(err);
		rc = repo_sync_once(r, rem, prefix, merge, arg, s, &retry, err);
		if (rc == 0 || !retry)
			break;
	}
	git_remote_free(rem);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Errors                                                               */
/* ------------------------------------------------------------------ */

static int
repo_code(int gitrc)
{
	switch (gitrc) {
	case GIT_ENOTFOUND:
		return GL_ENOTFOUND;
	case GIT_EEXISTS:
		return GL_EEXIST;
	case GIT_EMODIFIED:
	case GIT_ECONFLICT:
	case GIT_ENONFASTFORWARD:
	case GIT_EMERGECONFLICT:
		return GL_ECONFLICT;
	case GIT_EAUTH:
	case GIT_ECERTIFICATE:
		return GL_EAUTH;
	case GIT_EINVALIDSPEC:
	case GIT_EINVALID:
		return GL_EINVAL;
	case GIT_ELOCKED:
		return GL_EBUSY;
	default:
		return GL_EIO;
	}
}

int
repo_fail(struct gl_err *err, int gitrc, const char *fmt, ...)
{
	const git_error	*e = git_error_last();
	char		 what[400];
	va_list		 ap;
	int		 code = repo_code(gitrc);

	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	if (e != NULL && e->message != NULL && *e->message != '\0')
		return gl_err_set(err, code, "%s: %s", what, e->message);
	return gl_err_set(err, code, "%s", what);
}

/*
 * repo-lib.c - what the team library registry (review/registry.h) asks
 * of git (review/repo.h): fetching and pushing refspecs from and to a
 * URL, the tags under a pattern with their tagger and message, the files
 * of one directory at a commit, a commit that replaces one directory of a
 * branch's tree (in a bare repository: through an index in memory, never
 * a work tree), and annotated tags.
 */
#include "review/repo_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/mem.h"

/* "Name <email>" as a signature of now. */
static int
repo_sig_of(const char *who, git_signature **out, struct gl_err *err)
{
	const char	*lt = strchr(who, '<');
	const char	*gt = lt != NULL ? strchr(lt, '>') : NULL;
	char		*name, *email;
	size_t		 n;
	int		 rc;

	if (lt == NULL || gt == NULL)
		return gl_err_set(err, GL_EINVAL, "'%s' is not \"Name "
		    "<email>\"", who);
	for (n = (size_t)(lt - who); n > 0 && who[n - 1] == ' '; n--)
		;
	name = xstrndup(who, n);
	email = xstrndup(lt + 1, (size_t)(gt - lt - 1));
	rc = git_signature_now(out, name, email);
	free(name);
	free(email);
	if (rc != 0)
		return repo_fail(err, rc, "bad identity '%s'", who);
	return 0;
}

static int
repo_remote(struct repo *r, const char *url, git_remote **rem,
    struct gl_err *err)
{
	int	 rc;

	if ((rc = git_remote_create_anonymous(rem, r->git, url)) != 0)
		return repo_fail(err, rc, "'%s' is not a path or a URL", url);
	return 0;
}

int
repo_fetch(struct repo *r, const char *url, const char *const *specs,
    size_t n, struct gl_err *err)
{
	git_remote		*rem = NULL;
	git_fetch_options	 fo;
	struct repo_remote_cb	 cb = { 0 };
	git_strarray		 sa = { (char **)specs, n };
	int			 rc;

	if ((rc = repo_remote(r, url, &rem, err)) != 0)
		return rc;
	git_fetch_options_init(&fo, GIT_FETCH_OPTIONS_VERSION);
	fo.callbacks.credentials = repo_on_cred;
	fo.callbacks.payload = &cb;
	fo.update_fetchhead = 0;
	fo.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
	if ((rc = git_remote_fetch(rem, &sa, &fo, NULL)) != 0)
		rc = repo_fail(err, rc, "cannot fetch from %s", url);
	git_remote_free(rem);
	return rc;
}

int
repo_push(struct repo *r, const char *url, const char *const *specs,
    size_t n, struct gl_err *err)
{
	git_remote		*rem = NULL;
	git_push_options	 po;
	struct repo_remote_cb	 cb = { 0 };
	git_strarray		 sa = { (char **)specs, n };
	int			 rc;

	if ((rc = repo_remote(r, url, &rem, err)) != 0)
		return rc;
	git_push_options_init(&po, GIT_PUSH_OPTIONS_VERSION);
	po.callbacks.credentials = repo_on_cred;
	po.callbacks.push_update_reference = repo_on_push_update;
	po.callbacks.payload = &cb;
	if ((rc = git_remote_push(rem, &sa, &po)) != 0)
		rc = repo_fail(err, rc, "cannot push to %s", url);
	else if (cb.nrejected > 0)
		rc = gl_err_set(err, GL_ECONFLICT, "%s refused %s", url,
		    cb.why);
	repo_strv_free(cb.rejected, cb.nrejected);
	free(cb.why);
	git_remote_free(rem);
	return rc;
}

int
repo_tags(struct repo *r, const char *glob, struct repo_tag **out,
    size_t *n, struct gl_err *err)
{
	git_reference_iterator	*it = NULL;
	git_reference		*ref;
	char			*pattern = xasprintf("refs/tags/%s", glob);
	int			 rc;

	*out = NULL;
	*n = 0;
	if ((rc = git_reference_iterator_glob_new(&it, r->git,
	    pattern)) != 0) {
		free(pattern);
		return repo_fail(err, rc, "cannot list tags");
	}
	free(pattern);
	while (git_reference_next(&ref, it) == 0) {
		git_object	*peeled = NULL, *obj = NULL;
		struct repo_tag	*t;

		if (git_reference_peel(&peeled, ref, GIT_OBJECT_COMMIT) != 0) {
			git_reference_free(ref);
			continue;
		}
		*out = xrealloc(*out, (*n + 1) * sizeof **out);
		t = &(*out)[(*n)++];
		memset(t, 0, sizeof *t);
		t->name = xstrdup(git_reference_name(ref) + 10);
		git_oid_tostr(t->commit, sizeof t->commit,
		    git_object_id(peeled));
		if (git_reference_peel(&obj, ref, GIT_OBJECT_TAG) == 0) {
			const git_tag		*tag = (const git_tag *)obj;
			const git_signature	*s = git_tag_tagger(tag);

			if (s != NULL) {
				t->tagger = xasprintf("%s <%s>", s->name,
				    s->email);
				t->time = (int64_t)s->when.time;
			}
			t->message = xstrdup(git_tag_message(tag) != NULL ?
			    git_tag_message(tag) : "");
		} else {
			const git_commit *c = (const git_commit *)peeled;
			const git_signature *s = git_commit_author(c);

			t->tagger = xasprintf("%s <%s>", s->name, s->email);
			t->time = (int64_t)git_commit_time(c);
			t->message = xstrdup("");
		}
		git_object_free(obj);
		git_object_free(peeled);
		git_reference_free(ref);
	}
	git_reference_iterator_free(it);
	return 0;
}

void
repo_tags_free(struct repo_tag *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].name);
		free(v[i].tagger);
		free(v[i].message);
	}
	free(v);
}

struct repo_walk {
	struct repo	*r;
	struct repo_file *v;
	size_t		 n;
	int		 rc;
	struct gl_err	*err;
};

static int
repo_on_tree_entry(const char *root, const git_tree_entry *e, void *payload)
{
	struct repo_walk	*w = payload;
	git_blob		*b = NULL;
	struct repo_file	*f;
	int			 rc;

	if (git_tree_entry_type(e) != GIT_OBJECT_BLOB)
		return 0;
	if ((rc = git_blob_lookup(&b, w->r->git, git_tree_entry_id(e))) != 0) {
		w->rc = repo_fail(w->err, rc, "cannot read %s%s", root,
		    git_tree_entry_name(e));
		return -1;
	}
	w->v = xrealloc(w->v, (w->n + 1) * sizeof *w->v);
	f = &w->v[w->n++];
	f->path = xasprintf("%s%s", root, git_tree_entry_name(e));
	f->len = (size_t)git_blob_rawsize(b);
	f->data = xmalloc(f->len + 1);
	memcpy(f->data, git_blob_rawcontent(b), f->len);
	f->data[f->len] = '\0';
	git_blob_free(b);
	return 0;
}

static int
repo_file_cmp(const void *a, const void *b)
{
	return strcmp(((const struct repo_file *)a)->path,
	    ((const struct repo_file *)b)->path);
}

int
repo_dir_files(struct repo *r, const char *rev, const char *dir,
    struct repo_file **out, size_t *n, struct gl_err *err)
{
	git_object	*obj = NULL;
	git_tree	*root = NULL, *sub = NULL;
	git_tree_entry	*te = NULL;
	struct repo_walk w = { r, NULL, 0, 0, err };
	int		 rc;

	*out = NULL;
	*n = 0;
	if ((rc = git_revparse_single(&obj, r->git, rev)) != 0)
		return gl_err_set(err, GL_ENOTFOUND, "unknown revision '%s'",
		    rev);
	if ((rc = git_object_peel((git_object **)&root, obj,
	    GIT_OBJECT_TREE)) != 0) {
		rc = repo_fail(err, rc, "'%s' has no tree", rev);
		goto out;
	}
	if (dir == NULL || *dir == '\0' || strcmp(dir, ".") == 0)
		sub = root, root = NULL;
	else if (git_tree_entry_bypath(&te, root, dir) != 0 ||
	    git_tree_entry_type(te) != GIT_OBJECT_TREE ||
	    git_tree_lookup(&sub, r->git, git_tree_entry_id(te)) != 0) {
		rc = gl_err_set(err, GL_ENOTFOUND, "%s has no directory %s",
		    rev, dir);
		goto out;
	}
	if (git_tree_walk(sub, GIT_TREEWALK_PRE, repo_on_tree_entry,
	    &w) != 0 && w.rc == 0)
		w.rc = repo_fail(err, -1, "cannot read %s at %s", dir, rev);
	if ((rc = w.rc) != 0) {
		repo_files_free(w.v, w.n);
		goto out;
	}
	qsort(w.v, w.n, sizeof *w.v, repo_file_cmp);
	*out = w.v;
	*n = w.n;
out:
	git_tree_entry_free(te);
	git_tree_free(sub);
	git_tree_free(root);
	git_object_free(obj);
	return rc;
}

void
repo_files_free(struct repo_file *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].path);
		free(v[i].data);
	}
	free(v);
}

int
repo_commit_dir(struct repo *r, const char *branch, const char *dir,
    const struct repo_file *files, size_t n, const char *author,
    const char *msg, char out[REPO_OID_HEX], struct gl_err *err)
{
	char		*ref = xasprintf("refs/heads/%s", branch);
	git_object	*tip = NULL;
	git_commit	*parent = NULL;
	git_tree	*ptree = NULL, *tree = NULL;
	git_index	*idx = NULL;
	git_signature	*sig = NULL;
	git_oid		 tid, id;
	int		 rc;

	if ((rc = repo_sig_of(author, &sig, err)) != 0)
		goto out;
	if (git_revparse_single(&tip, r->git, ref) == 0 &&
	    git_object_peel((git_object **)&parent, tip,
	    GIT_OBJECT_COMMIT) == 0)
		(void)git_commit_tree(&ptree, parent);
	if ((rc = git_index_new(&idx)) != 0 ||
	    (ptree != NULL && (rc = git_index_read_tree(idx, ptree)) != 0)) {
		rc = repo_fail(err, rc, "cannot read %s", ref);
		goto out;
	}
	(void)git_index_remove_directory(idx, dir, 0);
	for (size_t i = 0; i < n; i++) {
		git_index_entry	 e;
		char		*path = xasprintf("%s/%s", dir, files[i].path);

		memset(&e, 0, sizeof e);
		e.mode = GIT_FILEMODE_BLOB;
		e.path = path;
		if ((rc = git_blob_create_from_buffer(&e.id, r->git,
		    files[i].data, files[i].len)) != 0 ||
		    (rc = git_index_add(idx, &e)) != 0) {
			rc = repo_fail(err, rc, "cannot store %s", path);
			free(path);
			goto out;
		}
		free(path);
	}
	if ((rc = git_index_write_tree_to(&tid, idx, r->git)) != 0 ||
	    (rc = git_tree_lookup(&tree, r->git, &tid)) != 0) {
		rc = repo_fail(err, rc, "cannot write the tree of %s", dir);
		goto out;
	}
	if ((rc = git_commit_create(&id, r->git, ref, sig, sig, NULL, msg,
	    tree, parent != NULL ? 1 : 0,
	    (const git_commit **)&parent)) != 0) {
		rc = repo_fail(err, rc, "cannot commit %s on %s", dir, branch);
		goto out;
	}
	git_oid_tostr(out, REPO_OID_HEX, &id);
out:
	git_signature_free(sig);
	git_index_free(idx);
	git_tree_free(tree);
	git_tree_free(ptree);
	git_commit_free(parent);
	git_object_free(tip);
	free(ref);
	return rc;
}

int
repo_tag_create(struct repo *r, const char *name, const char *commit,
    const char *tagger, const char *msg, struct gl_err *err)
{
	git_object	*target = NULL;
	git_signature	*sig = NULL;
	git_oid		 id;
	int		 rc;

	if ((rc = repo_sig_of(tagger, &sig, err)) != 0)
		return rc;
	if ((rc = git_revparse_single(&target, r->git, commit)) != 0) {
		rc = gl_err_set(err, GL_ENOTFOUND, "unknown commit %s",
		    commit);
		goto out;
	}
	if ((rc = git_tag_create(&id, r->git, name, target, sig, msg,
	    0)) != 0) {
		if (rc == GIT_EEXISTS)
			rc = gl_err_set(err, GL_EEXIST, "tag %s exists", name);
		else
			rc = repo_fail(err, rc, "cannot tag %s", name);
	}
out:
	git_object_free(target);
	git_signature_free(sig);
	return rc;
}

int
repo_ref_delete(struct repo *r, const char *name, struct gl_err *err)
{
	git_reference	*ref = NULL;
	int		 rc;

	if ((rc = git_reference_lookup(&ref, r->git, name)) != 0)
		return rc == GIT_ENOTFOUND ? 0 : repo_fail(err, rc,
		    "cannot read %s", name);
	if ((rc = git_reference_delete(ref)) != 0)
		rc = repo_fail(err, rc, "cannot delete %s", name);
	git_reference_free(ref);
	return rc;
}

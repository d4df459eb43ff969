/*
 * test_repo.c - git repositories through libgit2 (review/repo.c): real
 * repositories in a temporary directory, checked with the git command
 * where it is installed: revisions, files at a commit / in the index / in
 * the work tree, changed paths, commits of one file, the log of a path,
 * notes, and notes synced between two clones through a bare repository.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "rfix.h"

static char *
read_at(struct repo *r, enum repo_where where, const char *oid,
    const char *path)
{
	struct repo_side	 s = { where, "" };
	struct gl_err		 err;
	char			*text = NULL;
	size_t			 n;

	if (oid != NULL)
		snprintf(s.oid, sizeof s.oid, "%s", oid);
	if (repo_file_read(r, &s, path, &text, &n, &err) != 0)
		return NULL;
	assert_int_equal(strlen(text), n);
	return text;
}

static void
test_open_commit_read(void **state)
{
	struct repo	*r = rfix_repo("w", false, "Ann"), *again = NULL;
	struct gl_err	 err;
	char		 c1[REPO_OID_HEX], c2[REPO_OID_HEX], head[REPO_OID_HEX];
	char		*s, *out = NULL;

	/* Nothing to open outside a repository. */
	assert_int_equal(repo_open("/", &again, &err), GL_ENOTFOUND);
	assert_null(again);
	assert_non_null(strstr(err.msg, "not a git repository"));

	rfix_write(rfix_path("w/a.txt"), "one\n");
	assert_int_equal(repo_commit_file(r, "a.txt", "first", c1, &err), 0);
	rfix_write(rfix_path("w/a.txt"), "two\n");
	assert_int_equal(repo_commit_file(r, "a.txt", "second", c2, &err), 0);
	/* Unchanged: nothing to commit. */
	assert_int_equal(repo_commit_file(r, "a.txt", "again", NULL, &err),
	    GL_EINVAL);
	assert_non_null(strstr(err.msg, "nothing to commit"));

	/* Opened from a subdirectory, HEAD is the second commit. */
	mkdir(rfix_path("w/sub"), 0755);
	assert_int_equal(repo_open(rfix_path("w/sub"), &again, &err), 0);
	assert_int_equal(repo_resolve(again, "HEAD", head, &err), 0);
	assert_string_equal(head, c2);
	assert_int_equal(repo_resolve(again, "HEAD~1", head, &err), 0);
	assert_string_equal(head, c1);
	assert_int_equal(repo_resolve(again, "nope", head, &err),
	    GL_ENOTFOUND);
	assert_non_null(strstr(err.msg, "unknown revision 'nope'"));
	assert_non_null(strstr(repo_workdir(again), "/w/"));

	s = read_at(again, REPO_COMMIT, c1, "a.txt");
	assert_string_equal(s, "one\n");
	free(s);
	s = read_at(again, REPO_INDEX, NULL, "a.txt");
	assert_string_equal(s, "two\n");
	free(s);
	rfix_write(rfix_path("w/a.txt"), "three\n");
	s = read_at(again, REPO_WORKTREE, NULL, "a.txt");
	assert_string_equal(s, "three\n");
	free(s);
	assert_null(read_at(again, REPO_COMMIT, c1, "missing.txt"));
	assert_null(read_at(again, REPO_INDEX, NULL, "missing.txt"));

	/* What git says: the same history and an author from config. */
	if (rfix_have_git()) {
		assert_int_equal(rfix_run(rfix_path("w"), &out, "git", "log",
		    "--format=%H %an %s", NULL), 0);
		assert_non_null(strstr(out, c2));
		assert_non_null(strstr(out, "Ann second"));
		free(out);
		/* The index holds the committed file: only the work tree
		 * differs. */
		assert_int_equal(rfix_run(rfix_path("w"), &out, "git",
		    "status", "--porcelain", NULL), 0);
		assert_string_equal(out, " M a.txt\n");
		free(out);
	}
	repo_free(again);
	repo_free(r);
}

static void
test_changes_between_sides(void **state)
{
	struct repo		*r = rfix_repo("c", false, "Ann");
	struct repo_change	*v;
	struct repo_side	 a = { REPO_COMMIT, "" };
	struct repo_side	 b = { REPO_COMMIT, "" };
	struct gl_err		 err;
	size_t			 n;
	const char		*only[] = { "keep.txt" };

	assert_int_equal(repo_commit_blob(r, "main", "keep.txt", "k\n", 2,
	    "1", NULL, &err), 0);
	assert_int_equal(repo_commit_blob(r, "main", "gone.txt", "g\n", 2,
	    "2", NULL, &err), 0);
	assert_int_equal(repo_commit_blob(r, "main", "old-name.txt",
	    "a long enough text to be found as a rename\nline 2\nline 3\n",
	    57, "3", a.oid, &err), 0);
	assert_int_equal(repo_branch_create(r, "feature", "main", &err), 0);
	assert_int_equal(repo_branch_create(r, "feature", "main", &err),
	    GL_EEXIST);
	assert_int_equal(repo_commit_blob(r, "feature", "keep.txt", "k2\n", 3,
	    "4", NULL, &err), 0);
	assert_int_equal(repo_commit_blob(r, "feature", "gone.txt", NULL, 0,
	    "5", NULL, &err), 0);
	assert_int_equal(repo_commit_blob(r, "feature", "new.txt", "n\n", 2,
	    "6", NULL, &err), 0);
	assert_int_equal(repo_commit_blob(r, "feature", "old-name.txt", NULL,
	    0, "7", NULL, &err), 0);
	assert_int_equal(repo_commit_blob(r, "feature", "new-name.txt",
	    "a long enough text to be found as a rename\nline 2\nline 3\n",
	    57, "8", b.oid, &err), 0);

	assert_int_equal(repo_changes(r, &a, &b, NULL, 0, &v, &n, &err), 0);
	assert_int_equal(n, 4);
	assert_int_equal(v[0].status, 'D');
	assert_string_equal(v[0].old_path, "gone.txt");
	assert_null(v[0].new_path);
	assert_int_equal(v[1].status, 'M');
	assert_string_equal(v[1].new_path, "keep.txt");
	assert_int_equal(v[2].status, 'R');	/* "new-" sorts before "new." */
	assert_string_equal(v[2].old_path, "old-name.txt");
	assert_string_equal(v[2].new_path, "new-name.txt");
	assert_int_equal(v[3].status, 'A');
	assert_string_equal(v[3].new_path, "new.txt");
	assert_null(v[3].old_path);
	repo_changes_free(v, n);

	assert_int_equal(repo_changes(r, &a, &b, only, 1, &v, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_string_equal(v[0].new_path, "keep.txt");
	repo_changes_free(v, n);

	/* A bare-ish check of the other pairs: the work tree is empty
	 * (nothing was checked out), the index too. */
	{
		struct repo_side	 idx = { REPO_INDEX, "" };
		struct repo_side	 wt = { REPO_WORKTREE, "" };

		rfix_write(rfix_path("c/keep.txt"), "k\n");
		assert_int_equal(repo_changes(r, &idx, &wt, NULL, 0, &v, &n,
		    &err), 0);
		assert_int_equal(n, 0);	/* untracked files are not listed */
		repo_changes_free(v, n);
		assert_int_equal(repo_changes(r, &a, &wt, NULL, 0, &v, &n,
		    &err), 0);
		/* As `git diff main`: keep.txt on disk is untracked (the
		 * index is empty), so all three are gone. */
		assert_int_equal(n, 3);
		for (size_t i = 0; i < n; i++)
			assert_int_equal(v[i].status, 'D');
		repo_changes_free(v, n);
		assert_int_equal(repo_changes(r, &wt, &a, NULL, 0, &v, &n,
		    &err), GL_EINVAL);
	}
	repo_free(r);
}

static void
test_log_and_bases(void **state)
{
	struct repo		*r = rfix_repo("l", false, "Ann");
	struct repo_commit	*v;
	struct gl_err		 err;
	size_t			 n;
	char			 c[4][REPO_OID_HEX], mb[REPO_OID_HEX];
	char			*name;

	assert_int_equal(repo_commit_blob(r, "main", "nb.nb.lua", "x = 1\n",
	    6, "add nb", c[0], &err), 0);
	assert_int_equal(repo_commit_blob(r, "main", "other.txt", "o\n", 2,
	    "other", c[1], &err), 0);
	assert_int_equal(repo_commit_blob(r, "main", "nb.nb.lua", "x = 2\n",
	    6, "edit nb\n\nbody", c[2], &err), 0);
	assert_int_equal(repo_log(r, NULL, "nb.nb.lua", 0, &v, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_string_equal(v[0].oid, c[2]);
	assert_string_equal(v[0].summary, "edit nb");
	assert_string_equal(v[0].author, "Ann <x@example.org>");
	assert_true(v[0].time > 1600000000);
	assert_string_equal(v[1].oid, c[0]);
	repo_log_free(v, n);
	assert_int_equal(repo_log(r, "main", NULL, 1, &v, &n, &err), 0);
	assert_int_equal(n, 1);
	repo_log_free(v, n);

	/* HEAD is main: its base is master / origin/... which do not
	 * exist, so there is none. */
	assert_int_equal(repo_head_branch(r, &name, &err), 0);
	assert_string_equal(name, "main");
	free(name);
	assert_int_equal(repo_default_base(r, &name, &err), GL_ENOTFOUND);

	/* On a branch with no upstream: main. */
	assert_int_equal(repo_branch_create(r, "dev", "main", &err), 0);
	assert_int_equal(repo_branch_create(r, "feature", "main", &err), 0);
	assert_int_equal(repo_commit_blob(r, "feature", "f.txt", "f\n", 2,
	    "f", c[3], &err), 0);
	if (rfix_have_git())
		assert_int_equal(rfix_run(rfix_path("l"), NULL, "git",
		    "symbolic-ref", "HEAD", "refs/heads/feature", NULL), 0);
	else
		rfix_write(rfix_path("l/.git/HEAD"),
		    "ref: refs/heads/feature\n");
	assert_int_equal(repo_default_base(r, &name, &err), 0);
	assert_string_equal(name, "main");
	free(name);
	/* With an upstream: the upstream. */
	repo_config_set(r, "branch.feature.remote", ".", NULL);
	repo_config_set(r, "branch.feature.merge", "refs/heads/dev", NULL);
	assert_int_equal(repo_default_base(r, &name, &err), 0);
	assert_string_equal(name, "dev");
	free(name);
	assert_int_equal(repo_merge_base(r, c[3], c[2], mb, &err), 0);
	assert_string_equal(mb, c[2]);
	repo_free(r);
}

static int
count_note(const char *oid, const char *text, size_t len, void *arg)
{
	int	*n = arg;

	(*n)++;
	return 0;
}

static void
test_notes_append_read(void **state)
{
	struct repo	*r = rfix_repo("n", false, "Ann"), *r2 = NULL;
	struct gl_err	 err;
	char		 c[REPO_OID_HEX], c2[REPO_OID_HEX], *text, *out = NULL;
	size_t		 len;
	int		 count = 0;
	const char	*ref = "refs/notes/galley/test";

	assert_int_equal(repo_commit_blob(r, "main", "a", "a", 1, "a", c,
	    &err), 0);
	assert_int_equal(repo_commit_blob(r, "main", "b", "b", 1, "b", c2,
	    &err), 0);
	assert_int_equal(repo_note_read(r, ref, c, &text, &len, &err),
	    GL_ENOTFOUND);
	assert_int_equal(repo_notes_foreach(r, ref, count_note, &count, &err),
	    0);
	assert_int_equal(count, 0);

	/* Two handles on one repository append in turn: nothing lost. */
	assert_int_equal(repo_open(rfix_path("n"), &r2, &err), 0);
	assert_int_equal(repo_note_append(r, ref, c, "one\n", 4, &err), 0);
	assert_int_equal(repo_note_append(r2, ref, c, "two", 3, &err), 0);
	assert_int_equal(repo_note_append(r, ref, c, "three\n", 6, &err), 0);
	assert_int_equal(repo_note_append(r2, ref, c2, "other\n", 6, &err), 0);
	assert_int_equal(repo_note_read(r, ref, c, &text, &len, &err), 0);
	assert_string_equal(text, "one\ntwo\nthree\n");
	free(text);
	assert_int_equal(repo_notes_foreach(r, ref, count_note, &count, &err),
	    0);
	assert_int_equal(count, 2);
	if (rfix_have_git()) {
		assert_int_equal(rfix_run(rfix_path("n"), &out, "git", "notes",
		    "--ref", ref, "show", c, NULL), 0);
		assert_string_equal(out, "one\ntwo\nthree\n");
		free(out);
	}
	repo_free(r2);
	repo_free(r);
}

/* Lines of ours, then those of theirs ours lacks. */
static char *
union_lines(const char *ours, size_t olen, const char *theirs, size_t tlen,
    void *arg)
{
	struct gl_buf	 b;
	const char	*p = theirs, *e = theirs + tlen;

	gl_buf_init(&b);
	gl_buf_add(&b, ours, olen);
	while (p < e) {
		const char	*nl = memchr(p, '\n', (size_t)(e - p));
		size_t		 n = nl != NULL ? (size_t)(nl - p) + 1 :
		    (size_t)(e - p);
		char		*line = xstrndup(p, n);

		if (strstr(ours, line) == NULL)
			gl_buf_adds(&b, line);
		free(line);
		p += n;
	}
	return gl_buf_take(&b, NULL);
}

static void
test_notes_sync_two_clones(void **state)
{
	struct repo		*seed = rfix_repo("seed", false, "Ann");
	struct repo		*bare = NULL, *a = NULL, *b = NULL;
	struct repo_sync	 s = { 0 };
	struct gl_err		 err;
	char			 c[REPO_OID_HEX], *text;
	size_t			 len;
	const char		*ref = "refs/notes/galley/reviews";

	assert_int_equal(repo_commit_blob(seed, "main", "nb.nb.lua", "x\n", 2,
	    "seed", c, &err), 0);
	assert_int_equal(repo_clone(rfix_path("seed"), rfix_path("hub.git"),
	    true, &bare, &err), 0);
	assert_int_equal(repo_clone(rfix_path("hub.git"), rfix_path("a"),
	    false, &a, &err), 0);
	assert_int_equal(repo_clone(rfix_path("hub.git"), rfix_path("b"),
	    false, &b, &err), 0);

	/* Both write at once, before either syncs. */
	assert_int_equal(repo_note_append(a, ref, c, "from a\n", 7, &err), 0);
	assert_int_equal(repo_note_append(b, ref, c, "from b\n", 7, &err), 0);

	assert_int_equal(repo_notes_sync(a, NULL, "refs/notes/galley/",
	    union_lines, NULL, &s, &err), 0);
	assert_int_equal(s.npushed, 1);
	assert_string_equal(s.pushed[0], ref);
	assert_int_equal(s.nupdated, 0);
	repo_sync_fini(&s);

	/* b's push would not fast-forward: it merges by union first. */
	assert_int_equal(repo_notes_sync(b, NULL, "refs/notes/galley/",
	    union_lines, NULL, &s, &err), 0);
	assert_int_equal(s.nupdated, 1);
	assert_int_equal(s.npushed, 1);
	repo_sync_fini(&s);
	assert_int_equal(repo_note_read(b, ref, c, &text, &len, &err), 0);
	assert_string_equal(text, "from b\nfrom a\n");
	free(text);

	/* a fast-forwards to the merge; nothing left to push. A remote
	 * given as a path works as well as a name. */
	assert_int_equal(repo_notes_sync(a, rfix_path("hub.git"),
	    "refs/notes/galley/", union_lines, NULL, &s, &err), 0);
	assert_int_equal(s.nupdated, 1);
	assert_int_equal(s.npushed, 0);
	repo_sync_fini(&s);
	assert_int_equal(repo_note_read(a, ref, c, &text, &len, &err), 0);
	assert_string_equal(text, "from b\nfrom a\n");
	free(text);
	if (rfix_have_git()) {
		char	*out = NULL;

		assert_int_equal(rfix_run(rfix_path("hub.git"), &out, "git",
		    "notes", "--ref", ref, "show", c, NULL), 0);
		assert_string_equal(out, "from b\nfrom a\n");
		free(out);
		/* No temporary refs left behind. */
		assert_int_equal(rfix_run(rfix_path("a"), &out, "git",
		    "for-each-ref", "refs/galley/", NULL), 0);
		assert_string_equal(out, "");
		free(out);
	}

	/* An unknown remote is named in the error. */
	assert_int_not_equal(repo_notes_sync(a, rfix_path("nowhere"),
	    "refs/notes/galley/", union_lines, NULL, &s, &err), 0);
	assert_non_null(strstr(err.msg, "nowhere"));
	repo_sync_fini(&s);
	repo_free(a);
	repo_free(b);
	repo_free(bare);
	repo_free(seed);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		RFIX_TEST(test_open_commit_read),
		RFIX_TEST(test_changes_between_sides),
		RFIX_TEST(test_log_and_bases),
		RFIX_TEST(test_notes_append_read),
		RFIX_TEST(test_notes_sync_two_clones),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

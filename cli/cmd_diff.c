/*
 * cmd_diff.c - `galley diff` (the cell-aware diff of a repository's
 * revisions, index and work tree, of two files, or as git's external diff
 * driver) and `galley merge-driver` (git's merge driver for notebooks).
 */
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/err.h"
#include "core/mem.h"
#include "core/util.h"
#include "review/merge.h"
#include "review/ndiff.h"
#include "review/repo.h"

#define JSON_FORMAT_VERSION	1

int
cli_color(const char *when)
{
	const char	*nc = getenv("NO_COLOR"), *term = getenv("TERM");
	const char	*pager = getenv("GIT_PAGER_IN_USE");

	if (strcmp(when, "always") == 0)
		return 1;
	if (strcmp(when, "never") == 0)
		return 0;
	if (nc != NULL && *nc != '\0')
		return 0;
	if (term != NULL && strcmp(term, "dumb") == 0)
		return 0;
	/* Run by git with its pager: git decided the pager can show it. */
	if (pager != NULL && (strcmp(pager, "true") == 0 ||
	    strcmp(pager, "1") == 0))
		return 1;
	return isatty(STDOUT_FILENO);
}

void
cli_json_print(json_t *j)
{
	char	*text = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);

	if (text != NULL)
		printf("%s\n", text);
	free(text);
	json_decref(j);
}

struct repo *
cli_repo_open(void)
{
	struct repo	*r = NULL;
	struct gl_err	 err;

	if (repo_open(".", &r, &err) != 0) {
		cli_errorf("%s", err.msg);
		return NULL;
	}
	return r;
}

char *
cli_repo_path(struct repo *r, const char *arg)
{
	const char	*top = repo_workdir(r);
	char		*cwd, *full, *p;
	size_t		 n;

	if (top == NULL)
		return xstrdup(arg);
	if (arg[0] == '/')
		full = xstrdup(arg);
	else {
		if ((cwd = getcwd(NULL, 0)) == NULL)
			return xstrdup(arg);
		full = xasprintf("%s/%s", cwd, arg);
		free(cwd);
	}
	/* Drop "./" and "x/../" so the prefix test below works. */
	for (bool again = true; again;) {
		again = false;
		if ((p = strstr(full, "/./")) != NULL) {
			memmove(p, p + 2, strlen(p + 2) + 1);
			again = true;
		} else if ((p = strstr(full, "/../")) != NULL && p > full) {
			char	*q = p - 1;

			while (q > full && *q != '/')
				q--;
			memmove(q, p + 3, strlen(p + 3) + 1);
			again = true;
		}
	}
	n = strlen(top);
	if (strncmp(full, top, n) == 0) {
		p = xstrdup(full + n);
		free(full);
		return p;
	}
	/* The top itself, or outside: as given. */
	if (strlen(full) + 1 == n && strncmp(full, top, n - 1) == 0) {
		free(full);
		return xstrdup("");
	}
	free(full);
	return xstrdup(arg);
}

/* Reads path at a side; NULL text when the side has no such file. */
static int
read_side(struct repo *r, const struct repo_side *s, const char *path,
    char **text, size_t *len)
{
	struct gl_err	 err;
	int		 rc;

	*text = NULL;
	*len = 0;
	if (path == NULL)
		return 0;
	if ((rc = repo_file_read(r, s, path, text, len, &err)) == 0 ||
	    rc == GL_ENOTFOUND)
		return 0;
	cli_errorf("%s", err.msg);
	return rc;
}

/* Prints (or adds to files) one file's diff. */
static int
emit(const char *old_path, const char *a, size_t alen, const char *new_path,
    const char *b, size_t blen, const struct ndiff_print *o, int stat,
    json_t *files, int *changed)
{
	struct ndiff	*d = NULL;
	struct gl_err	 err;
	struct gl_buf	 out;

	if (ndiff_new(old_path, a, alen, new_path, b, blen, &d, &err) != 0) {
		cli_errorf("%s", err.msg);
		return CLI_FAILED;
	}
	if (!ndiff_empty(d) || (old_path == NULL) != (new_path == NULL) ||
	    (old_path != NULL && strcmp(old_path, new_path) != 0)) {
		if (changed != NULL)
			*changed = 1;
		/* The text output carries it as a note. */
		if (d->warning != NULL && (files != NULL || stat))
			cli_errorf("warning: %s", d->warning);
		gl_buf_init(&out);
		if (files != NULL)
			json_array_append_new(files, ndiff_json(d,
			    o->context));
		else if (stat)
			ndiff_print_stat(d, o->color, &out);
		else
			ndiff_print_text(d, o, &out);
		if (out.len > 0)
			fwrite(out.data, 1, out.len, stdout);
		gl_buf_fini(&out);
	}
	ndiff_free(d);
	return CLI_OK;
}

int
cli_diff_sides(struct repo *r, const struct repo_side *a,
    const struct repo_side *b, const char *const *paths, size_t npaths,
    const struct ndiff_print *o, int stat, json_t *files, int *changed)
{
	struct repo_change	*v = NULL;
	struct gl_err		 err;
	size_t			 n = 0;
	int			 rc = CLI_OK;

	if (changed != NULL)
		*changed = 0;
	if (repo_changes(r, a, b, paths, npaths, &v, &n, &err) != 0) {
		cli_errorf("%s", err.msg);
		return CLI_GIT;
	}
	for (size_t i = 0; i < n && rc == CLI_OK; i++) {
		char	*ta = NULL, *tb = NULL;
		size_t	 la = 0, lb = 0;

		if (read_side(r, a, v[i].old_path, &ta, &la) != 0 ||
		    read_side(r, b, v[i].new_path, &tb, &lb) != 0)
			rc = CLI_GIT;
		else if (ta != NULL || tb != NULL)
			rc = emit(ta != NULL ? v[i].old_path : NULL, ta, la,
			    tb != NULL ? v[i].new_path : NULL, tb, lb, o, stat,
			    files, changed);
		free(ta);
		free(tb);
	}
	if (stat && files == NULL && n > 0)
		printf("%zu file%s changed\n", n, n == 1 ? "" : "s");
	repo_changes_free(v, n);
	return rc;
}

/* A file on disk for the no-index and driver forms; "/dev/null" is
 * absent. */
static int
read_path(const char *path, char **text, size_t *len)
{
	struct gl_err	 err;

	*text = NULL;
	*len = 0;
	if (strcmp(path, "/dev/null") == 0)
		return 0;
	if (gl_file_read(path, text, len, &err) != 0) {
		cli_errorf("%s", err.msg);
		return CLI_BADINPUT;
	}
	return 0;
}

static int
diff_files(const char *old_label, const char *old_file, const char *new_label,
    const char *new_file, const struct ndiff_print *o, int stat,
    json_t *files, int *changed)
{
	char	*a = NULL, *b = NULL;
	size_t	 la, lb;
	int	 rc;

	if ((rc = read_path(old_file, &a, &la)) == 0 &&
	    (rc = read_path(new_file, &b, &lb)) == 0) {
		if (a == NULL && b == NULL)
			rc = CLI_OK;
		else
			rc = emit(a != NULL ? old_label : NULL, a, la,
			    b != NULL ? new_label : NULL, b, lb, o, stat, files,
			    changed);
	}
	free(a);
	free(b);
	return rc;
}

/* "100644", "120000", or "." (git's mode for /dev/null). */
static bool
is_mode(const char *s)
{
	if (strcmp(s, ".") == 0)
		return true;
	if (strlen(s) != 6)
		return false;
	for (int i = 0; i < 6; i++)
		if (s[i] < '0' || s[i] > '7')
			return false;
	return true;
}

static bool
is_hex(const char *s)
{
	size_t	 n = strlen(s);

	if (strcmp(s, ".") == 0)
		return true;
	if (n < 4 || n > 64)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

/* True for git's external diff call: path old-file old-hex old-mode
 * new-file new-hex new-mode [new-path xfrm-msg]. */
static bool
is_git_driver(int argc, char **argv)
{
	return (argc == 8 || argc == 10) && argv[1][0] != '-' &&
	    is_hex(argv[3]) && is_mode(argv[4]) && is_hex(argv[6]) &&
	    is_mode(argv[7]);
}

int
cli_diff(int argc, char **argv)
{
	struct ndiff_print	 o = { .context = 3 };
	struct repo_side	 a = { REPO_INDEX, "" };
	struct repo_side	 b = { REPO_WORKTREE, "" };
	struct repo		*r = NULL;
	const char		*revs[2] = { NULL, NULL }, *color = "auto";
	const char		*v;
	char			**paths = NULL;
	size_t			 npaths = 0;
	int			 nrevs = 0, json = 0, stat = 0, cached = 0;
	int			 no_index = 0, exit_code = 0, changed = 0;
	int			 rc = CLI_OK, i;
	json_t			*files = NULL, *top;

	if (is_git_driver(argc, argv)) {
		/* git shows our output in its pager and dies if we fail:
		 * print what we can, exit 0. */
		o.color = cli_color("auto");
		diff_files(argv[1], argv[2], argc == 10 ? argv[8] : argv[1],
		    argv[5], &o, 0, NULL, NULL);
		return CLI_OK;
	}
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		}
		if (strcmp(argv[i], "--json") == 0)
			json = 1;
		else if (strcmp(argv[i], "--stat") == 0)
			stat = 1;
		else if (strcmp(argv[i], "--cached") == 0 ||
		    strcmp(argv[i], "--staged") == 0)
			cached = 1;
		else if (strcmp(argv[i], "--no-index") == 0)
			no_index = 1;
		else if (strcmp(argv[i], "--exit-code") == 0)
			exit_code = 1;
		else if (strcmp(argv[i], "--no-color") == 0)
			color = "never";
		else if (strcmp(argv[i], "--color") == 0)
			color = "always";
		else if (strncmp(argv[i], "--color=", 8) == 0) {
			color = argv[i] + 8;
			if (strcmp(color, "always") != 0 &&
			    strcmp(color, "never") != 0 &&
			    strcmp(color, "auto") != 0)
				return cli_usage("diff", "--color takes "
				    "always, never or auto");
		} else if ((v = cli_optval("diff", argc, argv, &i,
		    "--unified")) != NULL || (v = cli_optval("diff", argc,
		    argv, &i, "-U")) != NULL) {
			char	*end;
			long	 n = strtol(v, &end, 10);

			if (*v == '\0' || *end != '\0' || n < 0 || n > 100000)
				return cli_usage("diff", "-U takes a number of "
				    "lines");
			o.context = (unsigned)n;
		} else if (argv[i][0] == '-' && argv[i][1] != '\0')
			return cli_usage("diff", "unknown option %s", argv[i]);
		else if (nrevs == 2)
			return cli_usage("diff", "at most two revisions (paths "
			    "go after --)");
		else
			revs[nrevs++] = argv[i];
	}
	o.color = !json && cli_color(color);
	if (json)
		files = json_array();

	/* Two files, as git diff --no-index. */
	if (no_index || (nrevs == 2 && i == argc &&
	    access(revs[0], F_OK) == 0 && access(revs[1], F_OK) == 0 &&
	    repo_open(".", &r, NULL) != 0)) {
		if (nrevs != 2)
			return cli_usage("diff", "--no-index compares two "
			    "files");
		rc = diff_files(revs[0], revs[0], revs[1], revs[1], &o, stat,
		    files, &changed);
		goto out;
	}
	if (r == NULL && (r = cli_repo_open()) == NULL) {
		json_decref(files);
		return CLI_GIT;
	}
	/* A..B is two revisions. */
	if (nrevs == 1 && strstr(revs[0], "..") != NULL) {
		static char	 left[512], right[512];
		const char	*dots = strstr(revs[0], "..");

		snprintf(left, sizeof left, "%.*s", (int)(dots - revs[0]),
		    revs[0]);
		snprintf(right, sizeof right, "%s", dots + 2);
		revs[0] = *left != '\0' ? left : "HEAD";
		revs[1] = *right != '\0' ? right : "HEAD";
		nrevs = 2;
	}
	for (int k = 0; k < nrevs; k++) {
		struct repo_side	*s = k == 0 ? &a : &b;
		struct gl_err		 err;

		s->where = REPO_COMMIT;
		if (repo_resolve(r, revs[k], s->oid, &err) != 0) {
			cli_errorf("%s%s", err.msg, access(revs[k], F_OK) == 0 ?
			    " (a file? paths go after --; two files: "
			    "--no-index)" : "");
			rc = CLI_GIT;
			goto out;
		}
	}
	if (cached) {
		if (nrevs == 2)
			return cli_usage("diff", "--cached compares a commit "
			    "with the index");
		if (nrevs == 0) {
			struct gl_err	 err;

			a.where = REPO_COMMIT;
			if (repo_resolve(r, "HEAD", a.oid, &err) != 0) {
				cli_errorf("%s", err.msg);
				rc = CLI_GIT;
				goto out;
			}
		}
		b.where = REPO_INDEX;
	}
	paths = xcalloc((size_t)(argc - i) + 1, sizeof *paths);
	for (; i < argc; i++)
		paths[npaths++] = cli_repo_path(r, argv[i]);
	rc = cli_diff_sides(r, &a, &b, (const char *const *)paths, npaths, &o,
	    stat, files, &changed);
out:
	if (files != NULL && rc == CLI_OK) {
		top = json_object();
		json_object_set_new(top, "version",
		    json_integer(JSON_FORMAT_VERSION));
		json_object_set_new(top, "files", files);
		cli_json_print(top);
	} else
		json_decref(files);
	for (size_t k = 0; k < npaths; k++)
		free(paths[k]);
	free(paths);
	repo_free(r);
	if (rc == CLI_OK && exit_code && changed)
		return CLI_FAILED;
	return rc;
}

int
cli_merge_driver(int argc, char **argv)
{
	struct nmerge_opts	 o = { "ours", "theirs", 7 };
	struct nmerge_result	 res;
	struct gl_err		 err;
	const char		*files[4] = { NULL, NULL, NULL, NULL }, *v;
	char			*text[3] = { NULL, NULL, NULL };
	size_t			 len[3], nfiles = 0;
	int			 rc = CLI_OK;

	for (int i = 1; i < argc; i++) {
		if ((v = cli_optval("merge-driver", argc, argv, &i,
		    "--marker-size")) != NULL) {
			o.marker_size = atoi(v);
			if (o.marker_size < 3 || o.marker_size > 100)
				return cli_usage("merge-driver",
				    "--marker-size takes 3 to 100");
		} else if (argv[i][0] == '-' && argv[i][1] != '\0')
			return cli_usage("merge-driver", "unknown option %s",
			    argv[i]);
		else if (nfiles < 4)
			files[nfiles++] = argv[i];
		else
			return cli_usage("merge-driver", "too many files");
	}
	if (nfiles < 3)
		return cli_usage("merge-driver", "needs BASE OURS THEIRS "
		    "(git's %%O %%A %%B)");
	for (int k = 0; k < 3; k++)
		if (gl_file_read(files[k], &text[k], &len[k], &err) != 0) {
			cli_errorf("%s", err.msg);
			rc = CLI_BADINPUT;
			goto out;
		}
	if (nmerge_files(files[3] != NULL ? files[3] : files[1], text[0],
	    len[0], text[1], len[1], text[2], len[2], &o, &res, &err) != 0) {
		cli_errorf("%s", err.msg);
		rc = CLI_FAILED;
		goto out;
	}
	if (res.note != NULL)
		cli_errorf("%s", res.note);
	/* git reads the result from %A. */
	if (gl_file_write_atomic(files[1], res.text, res.len, 0644,
	    &err) != 0) {
		cli_errorf("%s", err.msg);
		rc = CLI_FAILED;
	} else if (res.conflicts > 0) {
		cli_errorf("%s: %zu conflict%s%s", files[3] != NULL ? files[3] :
		    files[1], res.conflicts, res.conflicts == 1 ? "" : "s",
		    res.by_lines ? "" : " (cells marked conflict=true)");
		rc = CLI_FAILED;
	}
	nmerge_result_fini(&res);
out:
	for (int k = 0; k < 3; k++)
		free(text[k]);
	return rc;
}

/*
 * review-anchor.c - where a comment is now, and applying suggestions.
 *
 * A comment names a cell by id and lines within the cell's source, on the
 * commit it was made on. At a later version the cell is found by id
 * (wherever it moved), and the lines are carried through a line diff of
 * the cell's source then and now (rev_anchor_map): if no change touched
 * them they are current, at their new numbers; otherwise the comment is
 * outdated and shown with the text it was made on. When the commit it
 * was made on is not in the repository, the text it was made on is
 * looked for in the cell instead (found once: current).
 *
 * A suggestion is applied to the work tree's file the same way: cell by
 * id, lines carried through the edits since; if they changed, nothing is
 * written. The file is rewritten through the notebook model (only the
 * edited cell is printed anew) with an atomic write.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/mem.h"
#include "core/notebook.h"
#include "core/util.h"
#include "review/ldiff.h"
#include "review/review.h"
#include "review/review_int.h"

enum rev_where
rev_anchor_map(const char *old, size_t oldlen, const char *new,
    size_t newlen, unsigned l0, unsigned l1, unsigned *n0, unsigned *n1)
{
	struct ndiff_text	*t = ndiff_text_new(old, oldlen, new, newlen);
	size_t			 first = l0 - 1, end = l1; /* [first, end) */
	ptrdiff_t		 delta = 0;
	enum rev_where		 w = REV_CURRENT;

	if (l0 == 0 || l1 < l0 || l1 > t->a.n) {
		ndiff_text_free(t);
		return REV_OUTDATED;
	}
	for (size_t k = 0; k < t->nch; k++) {
		const struct ldiff_change	*c = &t->ch[k];
		size_t				 c0 = c->a0;
		size_t				 c1 = c->a0 + c->alen;

		if (c1 <= first) {
			/* Wholly before (an insertion right before the
			 * range counts as before). */
			delta += (ptrdiff_t)c->blen - (ptrdiff_t)c->alen;
			continue;
		}
		if (c0 >= end)
			break;		/* after; an insertion right after
					   the range is after */
		w = REV_OUTDATED;	/* touches the lines */
		break;
	}
	if (w == REV_CURRENT) {
		*n0 = (unsigned)((ptrdiff_t)l0 + delta);
		*n1 = (unsigned)((ptrdiff_t)l1 + delta);
	}
	ndiff_text_free(t);
	return w;
}

int
rev_side_at(struct repo *r, const char *commit, const char *path,
    struct ndiff_side **out, struct gl_err *err)
{
	struct repo_side	 side = { REPO_COMMIT, "" };
	char			*text = NULL;
	size_t			 len;
	int			 rc;

	*out = NULL;
	snprintf(side.oid, sizeof side.oid, "%s", commit);
	if ((rc = repo_file_read(r, &side, path, &text, &len, err)) != 0)
		return rc;
	rc = ndiff_side_new(path, text, len, out, err);
	free(text);
	return rc;
}

int
rev_side_text(const struct ndiff_side *s, const char *path, const char *cell,
    const char *where, const char **text, size_t *len, size_t *index,
    struct gl_err *err)
{
	const struct ndiff_cell	*c;

	if (cell == NULL) {
		if ((*text = ndiff_side_text(s, len)) == NULL)
			return gl_err_set(err, GL_EINVAL, "%s is a notebook: "
			    "name a cell (--cell ID)", path);
		return 0;
	}
	if (ndiff_side_format(s) != NDIFF_NOTEBOOK &&
	    ndiff_side_format(s) != NDIFF_IPYNB)
		return gl_err_set(err, GL_EINVAL, "%s is not a notebook: it "
		    "has no cells", path);
	if ((c = ndiff_side_find(s, cell, index)) == NULL)
		return gl_err_set(err, GL_ENOTFOUND, "no cell %s in %s at %s",
		    cell, path, where);
	*text = c->src;
	*len = c->srclen;
	return 0;
}

/* Where line (1-based) of l starts; a line past the end starts at len. */
static size_t
line_start(const struct ldiff_lines *l, unsigned line, size_t len)
{
	return line - 1 < l->n ? l->start[line - 1] : len;
}

/* True if the lines of block (joined by "\n") appear as whole lines in
 * text, at lines *at.. (1-based). */
static bool
find_block(const char *text, size_t len, const char *block, unsigned *at,
    size_t *count)
{
	struct ldiff_lines	 lt, lb;
	size_t			 found = 0;

	ldiff_lines_init(&lt, text, len);
	ldiff_lines_init(&lb, block, strlen(block));
	/* Compare without line endings: give every line one. */
	for (size_t i = 0; lb.n > 0 && i + lb.n <= lt.n; i++) {
		size_t	 k;

		for (k = 0; k < lb.n; k++) {
			size_t		 na, nb;
			const char	*pa = ldiff_line(&lt, i + k, &na);
			const char	*pb = ldiff_line(&lb, k, &nb);

			if (na != nb || memcmp(pa, pb, na) != 0)
				break;
		}
		if (k == lb.n) {
			if (found++ == 0)
				*at = (unsigned)i + 1;
		}
	}
	ldiff_lines_fini(&lt);
	ldiff_lines_fini(&lb);
	if (count != NULL)
		*count = found;
	return found > 0;
}

static bool
same_text(const char *a, size_t alen, const char *b)
{
	return alen == strlen(b) && memcmp(a, b, alen) == 0;
}

/* Where t is in now (the cell's or file's text at the version looked
 * at), given then (at the comment's commit; NULL if unknown). */
static enum rev_where
locate_lines(const struct rev_thread *t, const char *then, size_t thenlen,
    const char *now, size_t nowlen, unsigned *n0, unsigned *n1)
{
	size_t		 count;
	unsigned	 at;

	if (then != NULL)
		return rev_anchor_map(then, thenlen, now, nowlen, t->line0,
		    t->line1, n0, n1);
	if (find_block(now, nowlen, t->text, &at, &count) && count == 1) {
		*n0 = at;
		*n1 = at + (t->line1 - t->line0);
		return REV_CURRENT;
	}
	return REV_OUTDATED;
}

/* Sides read for one rev_locate(), by commit and path. */
struct side_cache {
	struct {
		char			 commit[REPO_OID_HEX];
		char			*path;
		struct ndiff_side	*side;	/* NULL: could not read */
	}	*v;
	size_t	 n;
};

static struct ndiff_side *
cache_get(struct side_cache *c, struct repo *r, const char *commit,
    const char *path)
{
	for (size_t i = 0; i < c->n; i++)
		if (strcmp(c->v[i].commit, commit) == 0 &&
		    strcmp(c->v[i].path, path) == 0)
			return c->v[i].side;
	c->v = xrealloc(c->v, (c->n + 1) * sizeof *c->v);
	snprintf(c->v[c->n].commit, REPO_OID_HEX, "%s", commit);
	c->v[c->n].path = xstrdup(path);
	if (rev_side_at(r, commit, path, &c->v[c->n].side, NULL) != 0)
		c->v[c->n].side = NULL;
	return c->v[c->n++].side;
}

static void
cache_free(struct side_cache *c)
{
	for (size_t i = 0; i < c->n; i++) {
		free(c->v[i].path);
		ndiff_side_free(c->v[i].side);
	}
	free(c->v);
}

int
rev_locate(struct repo *r, struct rev_review *rv, struct gl_err *err)
{
	struct side_cache	 cache = { NULL, 0 };
	char			 head[REPO_OID_HEX];
	int			 rc;

	if ((rc = rev_head(r, rv, head, err)) != 0)
		return rc;
	for (size_t i = 0; i < rv->nthreads; i++) {
		struct rev_thread	*t = &rv->threads[i];
		struct ndiff_side	*now, *then;
		const char		*tn, *tt = NULL;
		size_t			 ln, lt = 0, inow = 0, ithen = 0;

		t->where = REV_GONE;
		t->moved = t->applied = false;
		t->now0 = t->now1 = 0;
		if ((now = cache_get(&cache, r, head, t->path)) == NULL ||
		    rev_side_text(now, t->path, t->cell, "", &tn, &ln, &inow,
		    NULL) != 0)
			continue;
		t->cell_index = inow;
		if ((then = cache_get(&cache, r, t->commit, t->path)) != NULL &&
		    rev_side_text(then, t->path, t->cell, "", &tt, &lt, &ithen,
		    NULL) == 0)
			t->moved = t->cell != NULL && ithen != inow;
		else
			tt = NULL;
		if (t->line0 == 0)
			t->where = REV_CURRENT;	/* a cell: wherever it is */
		else
			t->where = locate_lines(t, tt, lt, tn, ln, &t->now0,
			    &t->now1);
		if (t->suggestion != NULL) {
			unsigned	 at;

			if (t->line0 == 0)
				t->applied = same_text(tn, ln, t->suggestion);
			else
				t->applied = t->where == REV_OUTDATED &&
				    find_block(tn, ln, t->suggestion, &at,
				    NULL);
		}
	}
	cache_free(&cache);
	return 0;
}

int
rev_apply_range(struct repo *r, const struct rev_thread *t, const char *now,
    size_t nowlen, size_t *start, size_t *end, char **repl,
    struct gl_err *err)
{
	struct ndiff_side	*then = NULL;
	struct ldiff_lines	 l;
	struct gl_buf		 b;
	const char		*tt = NULL;
	size_t			 lt = 0, s, e;
	unsigned		 n0 = 0, n1 = 0, at;
	int			 rc = 0;

	*repl = NULL;
	if (t->suggestion == NULL)
		return gl_err_set(err, GL_EINVAL, "comment %s suggests no "
		    "change", t->id);
	if (rev_side_at(r, t->commit, t->path, &then, NULL) != 0 ||
	    rev_side_text(then, t->path, t->cell, "", &tt, &lt, NULL,
	    NULL) != 0)
		tt = NULL;
	/* Where the lines are now, and are they unchanged? */
	if (t->line0 == 0 ? !same_text(now, nowlen, t->text) :
	    locate_lines(t, tt, lt, now, nowlen, &n0, &n1) != REV_CURRENT) {
		if (t->line0 == 0 ? same_text(now, nowlen, t->suggestion) :
		    find_block(now, nowlen, t->suggestion, &at, NULL))
			rc = gl_err_set(err, GL_EEXIST, "%s: the suggestion of "
			    "comment %s is applied already", t->path, t->id);
		else if (t->line0 == 0)
			rc = gl_err_set(err, GL_ECONFLICT, "%s: cell %s "
			    "changed since comment %s was made (on %.7s); "
			    "apply it by hand", t->path, t->cell, t->id,
			    t->commit);
		else
			rc = gl_err_set(err, GL_ECONFLICT, "%s: lines %u-%u"
			    "%s%s changed since comment %s was made (on "
			    "%.7s); apply it by hand", t->path, t->line0,
			    t->line1, t->cell != NULL ? " of cell " : "",
			    t->cell != NULL ? t->cell : "", t->id, t->commit);
		ndiff_side_free(then);
		return rc;
	}
	ndiff_side_free(then);
	gl_buf_init(&b);
	gl_buf_adds(&b, t->suggestion);
	if (t->line0 == 0) {
		s = 0;
		e = nowlen;
	} else {
		ldiff_lines_init(&l, now, nowlen);
		s = line_start(&l, n0, nowlen);
		e = line_start(&l, n1 + 1, nowlen);
		ldiff_lines_fini(&l);
		/* The replaced lines ended in a newline unless they ended
		 * the text without one. */
		if ((e > s && now[e - 1] == '\n') || e < nowlen)
			gl_buf_addc(&b, '\n');
		/* A cell's source has no final newline. */
		if (t->cell != NULL && e == nowlen && b.len > 0 &&
		    b.data[b.len - 1] == '\n')
			b.len--;
	}
	if (b.data == NULL)
		gl_buf_adds(&b, "");
	b.data[b.len] = '\0';
	*start = s;
	*end = e;
	*repl = gl_buf_take(&b, NULL);
	return 0;
}

int
rev_apply(struct repo *r, const struct rev_thread *t, char **path_out,
    struct gl_err *err)
{
	struct nb_doc		*doc = NULL;
	struct nb_cell		*cell = NULL;
	struct gl_buf		 out;
	char			*full, *text = NULL, *repl = NULL;
	const char		*now;
	size_t			 len, nowlen, s, e;
	enum ndiff_format	 f = ndiff_format_of(t->path);
	int			 rc;

	if (path_out != NULL)
		*path_out = NULL;
	if (t->suggestion == NULL)
		return gl_err_set(err, GL_EINVAL, "comment %s suggests no "
		    "change", t->id);
	if (f == NDIFF_IPYNB)
		return gl_err_set(err, GL_EUNSUPPORTED, "%s: suggestions are "
		    "applied to .nb.lua notebooks and plain files, not "
		    ".ipynb", t->path);
	if (repo_workdir(r) == NULL)
		return gl_err_set(err, GL_EINVAL, "a bare repository has no "
		    "work tree to apply to");
	full = xasprintf("%s%s", repo_workdir(r), t->path);
	if ((rc = gl_file_read(full, &text, &len, err)) != 0)
		goto out;
	if (f == NDIFF_NOTEBOOK && t->cell != NULL) {
		if ((rc = nb_parse(text, len, full, &doc, err)) != 0)
			goto out;
		if ((cell = nb_doc_find(doc, t->cell, NULL)) == NULL) {
			rc = gl_err_set(err, GL_ENOTFOUND, "cell %s is no "
			    "longer in %s", t->cell, t->path);
			goto out;
		}
		now = nb_cell_source(cell, &nowlen);
	} else {
		now = text;
		nowlen = len;
	}
	if ((rc = rev_apply_range(r, t, now, nowlen, &s, &e, &repl,
	    err)) != 0)
		goto out;
	gl_buf_init(&out);
	gl_buf_add(&out, now, s);
	gl_buf_adds(&out, repl);
	gl_buf_add(&out, now + e, nowlen - e);
	if (cell != NULL) {
		char	*edited = gl_buf_take(&out, &len);

		nb_cell_set_source(cell, edited != NULL ? edited : "", len);
		free(edited);
		nb_print(doc, &out);
	}
	rc = gl_file_write_atomic(full, out.data != NULL ? out.data : "",
	    out.len, 0644, err);
	gl_buf_fini(&out);
	if (rc == 0 && path_out != NULL)
		*path_out = xstrdup(full);
out:
	free(repl);
	nb_doc_free(doc);
	free(text);
	free(full);
	return rc;
}

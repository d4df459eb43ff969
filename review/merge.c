/*
 * merge.c - three-way merge of notebooks by cell, and of texts by line
 * (see merge.h).
 *
 * Lines (nmerge_lines) follow diff3. Both sides are diffed against the
 * base (ldiff.c, lines interned together). The changes of both, laid on
 * the base's lines, are grouped where they overlap or touch (as git does:
 * edits of adjacent lines conflict); a group only one side changed takes
 * that side, one both changed alike takes it once, any other becomes a
 * conflict block. Lines between groups are the base's.
 *
 * Notebooks (merge_notebooks):
 * 1. Cells of ours (A) and theirs (B) are matched to the base's (O) as
 *    the diff matches them (ndiff_match: id, then content).
 * 2. Which cells survive: a cell both kept is merged (below); one side
 *    deleted and the other did not change: deleted; one side deleted and
 *    the other changed: a conflict (modify/delete) keeping the change.
 *    Cells a side added are kept; the same id added by both is one cell
 *    (a conflict if their contents differ).
 * 3. A cell both kept merges field by field: kind, title and each
 *    metadata key take the side that changed them (a conflict if both
 *    did, differently: ours stays, theirs goes into conflict_theirs); the
 *    source takes the side that changed it, else merges by lines.
 * 4. Order. Cells neither side moved (on both sides' longest in-order
 *    run, ndiff_stayers) are the skeleton, in base order, which is also
 *    their order in A and in B. Every other cell belongs to the side that
 *    moved or added it (A if both moved it) and goes right after the
 *    skeleton cell that precedes it on that side, A's before B's.
 * 5. The result is built on a copy of A's parsed notebook, so every cell
 *    A had and nobody changed keeps its bytes: merge(O, A, O) is A byte
 *    for byte. The result is parsed again before it is returned; if that
 *    fails (a source whose merge turned a long string inside out, say)
 *    the whole file merges by lines instead.
 *
 * A conflict cell keeps its id and gets conflict=true; a source conflict
 * is marked inside the cell's source with git's markers, so the file
 * stays a notebook any later step (the TUI) can resolve.
 */
#include "review/merge.h"

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/mem.h"
#include "core/notebook.h"
#include "review/ldiff.h"
#include "review/ndiff.h"

#define NONE	((size_t)-1)

enum owner {
	OWN_SKELETON,
	OWN_A,
	OWN_B,
};

/* One cell of the result. */
struct rcell {
	size_t		 oi, ai, bi;	/* in base, ours, theirs, or NONE */
	enum owner	 owner;
	bool		 header;
	bool		 conflict;
	char		*id;		/* owned: its id in the result doc */
	/* Merged content, where it differs from ours (or for B's cells). */
	char		*src;		/* owned; NULL: keep ours' */
	size_t		 srclen;
	const char	*kind;		/* NULL: keep ours' */
	const char	*title;		/* NULL: keep ours' */
	json_t		*meta;		/* owned: key -> JSON text or null;
					   keys to set on the cell */
	json_t		*theirs;	/* owned: conflicting fields' theirs */
	const char	*deleted_by;	/* "ours" or "theirs" */
};

struct merge {
	const struct nmerge_opts *o;
	const struct ndiff_cell	*oc, *ac, *bc;
	size_t			 no, na, nb;
	size_t			*mapA, *mapB;	/* base -> A, base -> B */
	size_t			*resA, *resB;	/* A, B -> result index */
	bool			*stayA, *stayB;
	struct rcell		*res;
	size_t			 nres;
	size_t			 conflicts;
};

static const struct nmerge_opts default_opts = { "ours", "theirs", 7 };

/* ------------------------------------------------------------------ */
/* Lines                                                                */
/* ------------------------------------------------------------------ */

static void
marker(struct gl_buf *out, char c, int n, const char *label)
{
	for (int i = 0; i < n; i++)
		gl_buf_addc(out, c);
	if (label != NULL && *label != '\0')
		gl_buf_addf(out, " %s", label);
	gl_buf_addc(out, '\n');
}

/* Appends lines [from, to) of l; a last line without '\n' gets one when
 * more follows (a marker). */
static void
put_lines(struct gl_buf *out, const struct ldiff_lines *l, size_t from,
    size_t to, bool more)
{
	if (from >= to)
		return;
	gl_buf_add(out, l->text + l->start[from], l->start[to] -
	    l->start[from]);
	if (more && !ldiff_line_has_eol(l, to - 1))
		gl_buf_addc(out, '\n');
}

static bool
same_lines(const struct ldiff_lines *x, size_t x0, size_t x1,
    const struct ldiff_lines *y, size_t y0, size_t y1)
{
	if (x1 - x0 != y1 - y0)
		return false;
	for (size_t i = 0; i < x1 - x0; i++)
		if (x->id[x0 + i] != y->id[y0 + i])
			return false;
	return true;
}

size_t
nmerge_lines(const char *base, size_t base_len, const char *ours,
    size_t ours_len, const char *theirs, size_t theirs_len,
    const struct nmerge_opts *opts, struct gl_buf *out)
{
	const struct nmerge_opts *o = opts != NULL ? opts : &default_opts;
	struct ldiff_lines	 lo, la, lb;
	struct ldiff_lines	*all[3] = { &lo, &la, &lb };
	struct ldiff_change	*ca = NULL, *cb = NULL;
	size_t			 nca = 0, ncb = 0, ia = 0, ib = 0;
	size_t			 pos = 0, conflicts = 0;
	/* Offsets from base line numbers to each side's, before the
	 * current group. */
	ptrdiff_t		 da = 0, db = 0;

	ldiff_lines_init(&lo, base, base_len);
	ldiff_lines_init(&la, ours, ours_len);
	ldiff_lines_init(&lb, theirs, theirs_len);
	ldiff_intern(all, 3);
	ldiff_seq(lo.id, lo.n, la.id, la.n, &ca, &nca);
	ldiff_seq(lo.id, lo.n, lb.id, lb.n, &cb, &ncb);

	while (ia < nca || ib < ncb) {
		size_t		 s, e, ka = ia, kb = ib;
		ptrdiff_t	 ea = da, eb = db;
		size_t		 a0, a1, b0, b1;
		bool		 grew = true, more;

		/* The group starts with the earliest change. */
		if (ib >= ncb || (ia < nca && ca[ia].a0 <= cb[ib].a0)) {
			s = ca[ia].a0;
			e = s + ca[ia].alen;
		} else {
			s = cb[ib].a0;
			e = s + cb[ib].alen;
		}
		/* Grow it with every change that overlaps or touches. */
		while (grew) {
			grew = false;
			while (ka < nca && ca[ka].a0 <= e &&
			    ca[ka].a0 + ca[ka].alen >= s) {
				if (ca[ka].a0 + ca[ka].alen > e)
					e = ca[ka].a0 + ca[ka].alen;
				if (ca[ka].a0 < s)
					s = ca[ka].a0;
				ea += (ptrdiff_t)ca[ka].blen -
				    (ptrdiff_t)ca[ka].alen;
				ka++;
				grew = true;
			}
			while (kb < ncb && cb[kb].a0 <= e &&
			    cb[kb].a0 + cb[kb].alen >= s) {
				if (cb[kb].a0 + cb[kb].alen > e)
					e = cb[kb].a0 + cb[kb].alen;
				if (cb[kb].a0 < s)
					s = cb[kb].a0;
				eb += (ptrdiff_t)cb[kb].blen -
				    (ptrdiff_t)cb[kb].alen;
				kb++;
				grew = true;
			}
		}
		/* Base lines before the group. */
		put_lines(out, &lo, pos, s, true);
		a0 = (size_t)((ptrdiff_t)s + da);
		a1 = (size_t)((ptrdiff_t)e + ea);
		b0 = (size_t)((ptrdiff_t)s + db);
		b1 = (size_t)((ptrdiff_t)e + eb);
		more = e < lo.n || ka < nca || kb < ncb;
		if (ka == ia)			/* only theirs changed */
			put_lines(out, &lb, b0, b1, more);
		else if (kb == ib ||		/* only ours, or both alike */
		    same_lines(&la, a0, a1, &lb, b0, b1))
			put_lines(out, &la, a0, a1, more);
		else {
			marker(out, '<', o->marker_size, o->ours);
			put_lines(out, &la, a0, a1, true);
			marker(out, '=', o->marker_size, NULL);
			put_lines(out, &lb, b0, b1, true);
			marker(out, '>', o->marker_size, o->theirs);
			conflicts++;
		}
		pos = e;
		ia = ka;
		ib = kb;
		da = ea;
		db = eb;
	}
	put_lines(out, &lo, pos, lo.n, false);
	free(ca);
	free(cb);
	ldiff_lines_fini(&lo);
	ldiff_lines_fini(&la);
	ldiff_lines_fini(&lb);
	return conflicts;
}

/* ------------------------------------------------------------------ */
/* Cells                                                                */
/* ------------------------------------------------------------------ */

static bool
same_text(const char *a, size_t alen, const char *b, size_t blen)
{
	return alen == blen && (alen == 0 || memcmp(a, b, alen) == 0);
}

static bool
same_str(const char *a, const char *b)
{
	return strcmp(a, b) == 0;
}

static const char *
meta_of(const struct ndiff_cell *c, const char *key)
{
	for (size_t i = 0; c != NULL && i < c->nmeta; i++)
		if (strcmp(c->meta[i].key, key) == 0)
			return c->meta[i].json;
	return NULL;
}

static void
note_theirs(struct rcell *r, const char *field, json_t *value)
{
	if (r->theirs == NULL)
		r->theirs = json_object();
	json_object_set_new(r->theirs, field, value != NULL ? value :
	    json_null());
	r->conflict = true;
}

static json_t *
json_text_value(const char *text)
{
	json_t	*v;

	if (text == NULL)
		return json_null();
	v = json_loads(text, JSON_DECODE_ANY, NULL);
	return v != NULL ? v : json_string(text);
}

/* Merges one scalar: returns what the result gets (o may be NULL: both
 * added). A conflict keeps ours and notes theirs. */
static const char *
merge_scalar(struct rcell *r, const char *field, const char *o,
    const char *a, const char *b)
{
	if (o != NULL && same_str(a, o))
		return b;
	if ((o != NULL && same_str(b, o)) || same_str(a, b))
		return a;
	note_theirs(r, field, json_string(b));
	return a;
}

/* Metadata of a cell both sides kept (o may be NULL). */
static void
merge_meta(struct rcell *r, const struct ndiff_cell *o,
    const struct ndiff_cell *a, const struct ndiff_cell *b)
{
	const struct ndiff_cell	*all[3] = { o, a, b };

	r->meta = json_object();
	for (int s = 0; s < 3; s++) {
		const struct ndiff_cell	*c = all[s];

		for (size_t i = 0; c != NULL && i < c->nmeta; i++) {
			const char	*key = c->meta[i].key;
			const char	*vo = meta_of(o, key);
			const char	*va = meta_of(a, key);
			const char	*vb = meta_of(b, key), *v;

			if (json_object_get(r->meta, key) != NULL ||
			    strcmp(key, "conflict") == 0 ||
			    strcmp(key, "conflict_theirs") == 0)
				continue;
			if (ndiff_json_same(va, vo))
				v = vb;
			else if (ndiff_json_same(vb, vo) ||
			    ndiff_json_same(va, vb))
				v = va;
			else {
				note_theirs(r, key, json_text_value(vb));
				v = va;
			}
			/* Only what differs from ours is set. */
			if (!ndiff_json_same(v, va))
				json_object_set_new(r->meta, key, v != NULL ?
				    json_string(v) : json_null());
			else
				json_object_set_new(r->meta, key,
				    json_false());	/* seen, unchanged */
		}
	}
}

static void
set_src(struct rcell *r, const char *p, size_t n)
{
	free(r->src);
	r->src = xmalloc(n + 1);
	memcpy(r->src, p, n);
	r->src[n] = '\0';
	r->srclen = n;
}

/* A cell's text with a newline at the end, for the line merge. */
static char *
with_eol(const struct ndiff_cell *c, size_t *len)
{
	char	*s;

	if (c == NULL) {
		*len = 0;
		return xstrdup("");
	}
	s = xmalloc(c->srclen + 2);
	memcpy(s, c->src, c->srclen);
	*len = c->srclen;
	if (c->srclen > 0)
		s[(*len)++] = '\n';
	s[*len] = '\0';
	return s;
}

/* The source of a cell both kept (o NULL: both added it). */
static void
merge_source(struct merge *m, struct rcell *r, const struct ndiff_cell *o,
    const struct ndiff_cell *a, const struct ndiff_cell *b)
{
	struct gl_buf	 out;
	char		*to, *ta, *tb;
	size_t		 lo, la, lb;

	if (o != NULL && same_text(a->src, a->srclen, o->src, o->srclen)) {
		if (!same_text(a->src, a->srclen, b->src, b->srclen))
			set_src(r, b->src, b->srclen);
		return;
	}
	if ((o != NULL && same_text(b->src, b->srclen, o->src, o->srclen)) ||
	    same_text(a->src, a->srclen, b->src, b->srclen))
		return;
	to = with_eol(o, &lo);
	ta = with_eol(a, &la);
	tb = with_eol(b, &lb);
	gl_buf_init(&out);
	if (nmerge_lines(to, lo, ta, la, tb, lb, m->o, &out) > 0)
		r->conflict = true;
	/* Back to a cell source: no final newline. */
	if (out.len > 0 && out.data[out.len - 1] == '\n')
		out.len--;
	set_src(r, out.data != NULL ? out.data : "", out.len);
	gl_buf_fini(&out);
	free(to);
	free(ta);
	free(tb);
}

static void
merge_cell(struct merge *m, struct rcell *r)
{
	const struct ndiff_cell	*o = r->oi != NONE ? &m->oc[r->oi] : NULL;
	const struct ndiff_cell	*a = &m->ac[r->ai], *b = &m->bc[r->bi];
	const char		*k, *t;

	k = merge_scalar(r, "kind", o != NULL ? o->kind : NULL, a->kind,
	    b->kind);
	if (!same_str(k, a->kind))
		r->kind = k;
	t = merge_scalar(r, "title", o != NULL ? o->title : NULL, a->title,
	    b->title);
	if (!same_str(t, a->title))
		r->title = t;
	merge_meta(r, o, a, b);
	merge_source(m, r, o, a, b);
}

/* A cell one side deleted and the other changed: its changed text
 * between markers, the deleting side's part empty. */
static void
modify_delete(struct merge *m, struct rcell *r, const struct ndiff_cell *kept,
    bool ours_deleted)
{
	struct gl_buf	 b;
	const char	*empty = "";
	size_t		 n;

	gl_buf_init(&b);
	marker(&b, '<', m->o->marker_size, m->o->ours);
	if (!ours_deleted) {
		gl_buf_add(&b, kept->src, kept->srclen);
		gl_buf_addc(&b, '\n');
	}
	marker(&b, '=', m->o->marker_size, NULL);
	if (ours_deleted) {
		gl_buf_add(&b, kept->src, kept->srclen);
		gl_buf_addc(&b, '\n');
	}
	marker(&b, '>', m->o->marker_size, m->o->theirs);
	n = b.len - 1;
	set_src(r, b.data != NULL ? b.data : empty, n);
	gl_buf_fini(&b);
	r->conflict = true;
	r->deleted_by = ours_deleted ? "ours" : "theirs";
}

static struct rcell *
res_add(struct merge *m, size_t oi, size_t ai, size_t bi, enum owner own)
{
	struct rcell	*r = &m->res[m->nres++];

	memset(r, 0, sizeof *r);
	r->oi = oi;
	r->ai = ai;
	r->bi = bi;
	r->owner = own;
	r->header = (ai != NONE && m->ac[ai].header) ||
	    (bi != NONE && m->bc[bi].header);
	if (ai != NONE)
		m->resA[ai] = m->nres - 1;
	if (bi != NONE)
		m->resB[bi] = m->nres - 1;
	return r;
}

/* Steps 2 and 3: which cells the result has, and their content. */
static void
decide_cells(struct merge *m)
{
	size_t	*addA = xmalloc((m->na + 1) * sizeof *addA);
	size_t	*addB = xmalloc((m->nb + 1) * sizeof *addB);
	size_t	 naddA = 0, naddB = 0;
	bool	*revA = xcalloc(m->na + 1, 1), *revB = xcalloc(m->nb + 1, 1);

	for (size_t i = 0; i < m->no; i++) {
		size_t			 a = m->mapA[i], b = m->mapB[i];
		const struct ndiff_cell	*o = &m->oc[i];
		struct rcell		*r;

		if (a != NONE)
			revA[a] = true;
		if (b != NONE)
			revB[b] = true;
		if (a != NONE && b != NONE) {
			r = res_add(m, i, a, b, m->stayA[i] && m->stayB[i] ?
			    OWN_SKELETON : !m->stayA[i] ? OWN_A : OWN_B);
			merge_cell(m, r);
		} else if (a != NONE) {
			if (!ndiff_cell_differs(o, &m->ac[a]))
				continue;	/* theirs deleted it */
			r = res_add(m, i, a, NONE, OWN_A);
			modify_delete(m, r, &m->ac[a], false);
		} else if (b != NONE) {
			if (!ndiff_cell_differs(o, &m->bc[b]))
				continue;	/* ours deleted it */
			r = res_add(m, i, NONE, b, OWN_B);
			modify_delete(m, r, &m->bc[b], true);
		}
	}

	/* Added cells; the same cell added by both is one. */
	for (size_t j = 0; j < m->na; j++)
		if (!revA[j]) {
			addA[naddA++] = j;
			res_add(m, NONE, j, NONE, OWN_A);
		}
	for (size_t j = 0; j < m->nb; j++)
		if (!revB[j])
			addB[naddB++] = j;
	if (naddA > 0 && naddB > 0) {
		struct ndiff_cell	*xa = xmalloc(naddA * sizeof *xa);
		struct ndiff_cell	*xb = xmalloc(naddB * sizeof *xb);
		size_t			*map = xmalloc(naddA * sizeof *map);

		for (size_t k = 0; k < naddA; k++)
			xa[k] = m->ac[addA[k]];
		for (size_t k = 0; k < naddB; k++)
			xb[k] = m->bc[addB[k]];
		ndiff_match(xa, naddA, xb, naddB, map);
		for (size_t k = 0; k < naddA; k++) {
			struct rcell	*r = &m->res[m->resA[addA[k]]];
			size_t		 q = map[k];

			if (q == NONE)
				continue;
			if (ndiff_cell_differs(&xa[k], &xb[q])) {
				if (!(xa[k].id_given && xb[q].id_given))
					continue;	/* alike, not one */
				r->bi = addB[q];
				merge_cell(m, r);
			}
			m->resB[addB[q]] = m->resA[addA[k]];
			if (r->bi == NONE)
				r->bi = addB[q];
		}
		free(xa);
		free(xb);
		free(map);
	}
	for (size_t k = 0; k < naddB; k++)
		if (m->resB[addB[k]] == NONE)
			res_add(m, NONE, NONE, addB[k], OWN_B);
	free(addA);
	free(addB);
	free(revA);
	free(revB);
}

/* Step 4: the result's order, as indices into m->res. */
static size_t *
decide_order(struct merge *m)
{
	size_t	*order = xmalloc((m->nres + 1) * sizeof *order);
	size_t	*skel = xmalloc((m->nres + 1) * sizeof *skel);
	size_t	*slot_of = xmalloc((m->nres + 1) * sizeof *slot_of);
	size_t	*list[2], nlist[2] = { 0, 0 }, *slot[2], at[2] = { 0, 0 };
	size_t	 nskel = 0, n = 0;

	/* The skeleton, in base order (res holds the base's cells first,
	 * in base order). Slot k + 1 is "after skeleton cell k". */
	for (size_t r = 0; r < m->nres; r++) {
		slot_of[r] = NONE;
		if (m->res[r].owner == OWN_SKELETON && !m->res[r].header) {
			skel[nskel] = r;
			slot_of[r] = ++nskel;
		}
	}
	/* Each side's own cells in its order, with the slot of the
	 * skeleton cell before them there. Slots only grow along a side
	 * (the skeleton is in order on both), so each list is sorted. */
	for (int side = 0; side < 2; side++) {
		const size_t	*res = side == 0 ? m->resA : m->resB;
		size_t		 count = side == 0 ? m->na : m->nb, cur = 0;
		enum owner	 own = side == 0 ? OWN_A : OWN_B;

		list[side] = xmalloc((count + 1) * sizeof *list[side]);
		slot[side] = xmalloc((count + 1) * sizeof *slot[side]);
		for (size_t j = 0; j < count; j++) {
			size_t	 r = res[j];

			if (r == NONE || m->res[r].header)
				continue;
			if (slot_of[r] != NONE)
				cur = slot_of[r];
			else if (m->res[r].owner == own) {
				list[side][nlist[side]] = r;
				slot[side][nlist[side]++] = cur;
			}
		}
	}
	for (size_t r = 0; r < m->nres; r++)
		if (m->res[r].header)
			order[n++] = r;
	for (size_t k = 0; k <= nskel; k++) {
		if (k > 0)
			order[n++] = skel[k - 1];
		for (int side = 0; side < 2; side++)
			while (at[side] < nlist[side] &&
			    slot[side][at[side]] == k)
				order[n++] = list[side][at[side]++];
	}
	if (n != m->nres)
		gl_fatal("merge: %zu cells ordered, %zu in the result", n,
		    m->nres);
	for (int side = 0; side < 2; side++) {
		free(list[side]);
		free(slot[side]);
	}
	free(skel);
	free(slot_of);
	return order;
}

/* Applies r's merged content to the doc's cell c. */
static int
apply_content(struct merge *m, struct rcell *r, struct nb_cell *c,
    struct gl_err *err)
{
	const char	*key;
	json_t		*v;
	enum nb_kind	 kind;

	if (r->src != NULL)
		nb_cell_set_source(c, r->src, r->srclen);
	if (r->kind != NULL && nb_kind_parse(r->kind, &kind) == 0 &&
	    nb_cell_set_kind(c, kind, err) != 0)
		return err->code;
	if (r->title != NULL)
		nb_cell_set_title(c, r->title);
	if (r->meta != NULL)
		json_object_foreach(r->meta, key, v) {
			if (json_is_false(v))
				continue;
			if (nb_cell_set_meta(c, key, json_is_null(v) ? NULL :
			    json_string_value(v), err) != 0)
				return err->code;
		}
	if (r->conflict) {
		m->conflicts++;
		if (nb_cell_set_meta(c, "conflict", "true", err) != 0)
			return err->code;
		if (r->deleted_by != NULL) {
			char	*js = xasprintf("\"%s\"", r->deleted_by);
			int	 rc = nb_cell_set_meta(c, "conflict_deleted",
			    js, err);

			free(js);
			if (rc != 0)
				return rc;
		}
		if (r->theirs != NULL) {
			char	*js = json_dumps(r->theirs, JSON_COMPACT |
			    JSON_SORT_KEYS);
			int	 rc = nb_cell_set_meta(c, "conflict_theirs", js,
			    err);

			free(js);
			if (rc != 0)
				return rc;
		}
	}
	return 0;
}

/* Step 5: the result notebook, built on a copy of ours. */
static int
build(struct merge *m, struct nb_doc *doc, const size_t *order,
    struct gl_err *err)
{
	/* Ours' cells the result does not keep go first. */
	for (size_t j = m->na; j-- > 0;)
		if (m->resA[j] == NONE &&
		    nb_doc_remove(doc, j, err) != 0)
			return err->code;
	/* Name the cells the result keeps from ours by id (ids are unique
	 * and survive the moves that follow). */
	for (size_t j = 0, k = 0; j < m->na; j++) {
		if (m->resA[j] == NONE)
			continue;
		m->res[m->resA[j]].id = xstrdup(nb_cell_id(nb_doc_cell(doc,
		    k)));
		k++;
	}
	for (size_t r = 0; r < m->nres; r++) {
		struct rcell		*x = &m->res[r];
		const struct ndiff_cell	*b;
		struct nb_cell		*c;
		enum nb_kind		 kind;

		if (x->ai != NONE)
			continue;
		b = &m->bc[x->bi];
		if (b->header)
			return gl_err_set(err, GL_EUNSUPPORTED, "theirs adds a "
			    "header cell");
		if (nb_kind_parse(b->kind, &kind) != 0)
			kind = NB_CODE;
		c = nb_doc_insert(doc, nb_doc_count(doc), kind,
		    b->id_given ? b->id : NULL, b->src, b->srclen, NULL, NULL);
		if (c == NULL)		/* its id is taken: a fresh one */
			c = nb_doc_insert(doc, nb_doc_count(doc), kind, NULL,
			    b->src, b->srclen, NULL, err);
		if (c == NULL)
			return err->code;
		nb_cell_set_title(c, b->title);
		for (size_t i = 0; i < b->nmeta; i++)
			if (nb_cell_set_meta(c, b->meta[i].key,
			    b->meta[i].json, NULL) != 0)
				continue;	/* "conflict" from before */
		x->id = xstrdup(nb_cell_id(c));
	}
	for (size_t r = 0; r < m->nres; r++) {
		struct rcell	*x = &m->res[r];
		struct nb_cell	*c = nb_doc_find(doc, x->id, NULL);
		int		 rc;

		if (c == NULL)
			gl_fatal("merge: cell %s vanished", x->id);
		if ((rc = apply_content(m, x, c, err)) != 0)
			return rc;
	}
	for (size_t p = 0; p < m->nres; p++) {
		size_t	 cur;

		if (nb_doc_find(doc, m->res[order[p]].id, &cur) == NULL)
			gl_fatal("merge: cell %s vanished",
			    m->res[order[p]].id);
		if (cur != p && nb_doc_move(doc, cur, p, err) != 0)
			return err->code;
	}
	/* A cell that moved to the end keeps the blank line that separated
	 * it from the next one; printed anew, it ends as a last cell does. */
	if (m->nres > 0 && (m->na == 0 || m->resA[m->na - 1] == NONE ||
	    m->resA[m->na - 1] != order[m->nres - 1]))
		nb_cell_mark_changed(nb_doc_cell(doc, m->nres - 1));
	return 0;
}

static void
merge_fini(struct merge *m)
{
	for (size_t r = 0; r < m->nres; r++) {
		free(m->res[r].id);
		free(m->res[r].src);
		json_decref(m->res[r].meta);
		json_decref(m->res[r].theirs);
	}
	free(m->res);
	free(m->mapA);
	free(m->mapB);
	free(m->resA);
	free(m->resB);
	free(m->stayA);
	free(m->stayB);
}

/* Merges three parsed notebooks into r. */
static int
merge_notebooks(const struct ndiff_side *so, const struct ndiff_side *sa,
    const struct ndiff_side *sb, const struct nmerge_opts *o,
    struct nmerge_result *res, struct gl_err *err)
{
	struct merge	 m;
	struct nb_doc	*doc = NULL, *check = NULL;
	struct gl_buf	 out;
	size_t		*order = NULL;
	int		 rc;

	memset(&m, 0, sizeof m);
	m.o = o;
	m.oc = ndiff_side_cells(so, &m.no);
	m.ac = ndiff_side_cells(sa, &m.na);
	m.bc = ndiff_side_cells(sb, &m.nb);
	m.mapA = xmalloc((m.no + 1) * sizeof *m.mapA);
	m.mapB = xmalloc((m.no + 1) * sizeof *m.mapB);
	m.stayA = xmalloc(m.no + 1);
	m.stayB = xmalloc(m.no + 1);
	m.resA = xmalloc((m.na + 1) * sizeof *m.resA);
	m.resB = xmalloc((m.nb + 1) * sizeof *m.resB);
	m.res = xcalloc(m.no + m.na + m.nb + 1, sizeof *m.res);
	for (size_t j = 0; j < m.na; j++)
		m.resA[j] = NONE;
	for (size_t j = 0; j < m.nb; j++)
		m.resB[j] = NONE;
	ndiff_match(m.oc, m.no, m.ac, m.na, m.mapA);
	ndiff_match(m.oc, m.no, m.bc, m.nb, m.mapB);
	ndiff_stayers(m.mapA, m.no, m.stayA);
	ndiff_stayers(m.mapB, m.no, m.stayB);
	decide_cells(&m);
	order = decide_order(&m);
	doc = nb_doc_clone(ndiff_side_doc(sa));
	if ((rc = build(&m, doc, order, err)) != 0)
		goto out;
	gl_buf_init(&out);
	nb_print(doc, &out);
	/* It must read back as a notebook with the same cells. */
	if ((rc = nb_parse(out.data != NULL ? out.data : "", out.len,
	    "merged", &check, err)) != 0 ||
	    nb_doc_count(check) != m.nres) {
		if (rc == 0)
			rc = gl_err_set(err, GL_ESYNTAX, "the merged notebook "
			    "reads back with another number of cells");
		gl_buf_fini(&out);
		goto out;
	}
	res->conflicts = m.conflicts;
	res->text = gl_buf_take(&out, &res->len);
out:
	nb_doc_free(check);
	nb_doc_free(doc);
	free(order);
	merge_fini(&m);
	return rc;
}

int
nmerge_files(const char *path, const char *base, size_t base_len,
    const char *ours, size_t ours_len, const char *theirs,
    size_t theirs_len, const struct nmerge_opts *opts,
    struct nmerge_result *r, struct gl_err *err)
{
	const struct nmerge_opts *o = opts != NULL ? opts : &default_opts;
	struct ndiff_side	*s[3] = { NULL, NULL, NULL };
	const char		*texts[3] = { base, ours, theirs };
	size_t			 lens[3] = { base_len, ours_len, theirs_len };
	struct gl_buf		 out;
	struct gl_err		 e;
	int			 k;

	memset(r, 0, sizeof *r);
	if (base == NULL || ours == NULL || theirs == NULL)
		return gl_err_set(err, GL_EINVAL, "nmerge_files: three texts "
		    "are needed");
	if (path != NULL && ndiff_format_of(path) == NDIFF_NOTEBOOK) {
		static const char *const names[3] = { "base", "ours",
		    "theirs" };

		for (k = 0; k < 3; k++) {
			if (ndiff_side_new(path, texts[k], lens[k], &s[k],
			    &e) != 0) {
				r->note = xasprintf("%s (%s) does not parse: "
				    "%s; merged by lines", path, names[k],
				    e.msg);
				break;
			}
			if (ndiff_side_format(s[k]) != NDIFF_NOTEBOOK) {
				r->note = xasprintf("%s (%s) is binary; merged "
				    "by lines", path, names[k]);
				break;
			}
		}
		if (k == 3 && merge_notebooks(s[0], s[1], s[2], o, r,
		    &e) != 0)
			r->note = xasprintf("%s: %s; merged by lines", path,
			    e.msg);
		for (k = 0; k < 3; k++)
			ndiff_side_free(s[k]);
		if (r->text != NULL)
			return 0;
	}
	r->by_lines = true;
	gl_buf_init(&out);
	r->conflicts = nmerge_lines(base, base_len, ours, ours_len, theirs,
	    theirs_len, o, &out);
	r->text = gl_buf_take(&out, &r->len);
	return 0;
}

void
nmerge_result_fini(struct nmerge_result *r)
{
	free(r->text);
	free(r->note);
	memset(r, 0, sizeof *r);
}

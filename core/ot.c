/*
 * ot.c - edit operations on a notebook and their operational transform.
 *
 * Design
 * ------
 * The kernel keeps one linear history of accepted ops (Jupiter, as in
 * Google Docs): a client's ops made on version v are transformed against
 * the ops accepted since v and then applied; a client transforms what the
 * kernel sends against its own unacknowledged ops. Both sides walk the same
 * grid of pairwise transforms, so the only property needed is TP1:
 *
 *	apply(apply(S, b), T(a, b, p)) == apply(apply(S, a), T(b, a, !p))
 *
 * for any two ops a, b valid on one state S (p says whose author wins
 * ties). TP2 is not needed and not provided. ot_transform_ops() is that
 * grid for two sequences; ot_rebase() is the kernel's side of it.
 *
 * Ops name cells by id. The cell list part of the doc is a list with
 * insert, delete and move; an op on a cell's contents (kind, metadata,
 * text) commutes with every op on another cell and with moves of its own.
 *
 * Positions. An index of an insert is a gap of S (0 = before cell 0);
 * a move's destination is a gap of S without the moved cell, i.e. the
 * cell's final index. A delete and a move carry "from", the cell's index
 * in S: without it, an index cannot be adjusted for a concurrent delete
 * (ins(1) against del(A) of [A, B] must become ins(0), against del(B)
 * stay ins(1), and the ids alone cannot tell which).
 *
 * Every transform of positions works the same way: take R, S without the
 * cells the two ops place or remove; map each op's gap into R (a gap next
 * to a removed cell maps to where that cell was); the final list is R with
 * each placed cell in its R gap, and two cells in the same R gap are
 * ordered by priority (the a_first author's cell first). a' is then the
 * op that turns apply(S, b) into that list: an insert at, or a move to,
 * the cell's final index, from its index in apply(S, b). Both sides of
 * TP1 compute the same R, the same gaps and the same tie order, so they
 * build the same list. In formulas (f, t: a's from and destination; g, u
 * or j: b's):
 *
 *	ins(i)  vs ins(j):  i' = i + (j < i || (j == i && !a_first))
 *	ins(i)  vs del(g):  i' = i - (g < i)
 *	ins(i)  vs mov(g,u): rx = i - (g < i);
 *	                     i' = rx + (u < rx || (u == rx && !a_first))
 *	del(f)  vs ins(j):  f' = f + (j <= f)
 *	del(f)  vs del(g):  f' = f - (g < f)
 *	del(f)  vs mov(g,u): f1 = f - (g < f); f' = f1 + (u <= f1)
 *	mov(f,t) vs ins(j): ry = j - (f < j); f' = f + (j <= f);
 *	                     t' = t + (ry < t || (ry == t && !a_first))
 *	mov(f,t) vs del(g): g1 = g - (f < g); t' = t - (g1 < t);
 *	                     f' = f - (g < f)
 *	mov(f,t) vs mov(g,u): g1 = g - (f < g), f1 = f - (g < f);
 *	                     rx = t - (g1 < t), ry = u - (f1 < u);
 *	                     f' = f1 + (u <= f1);
 *	                     t' = rx + (ry < rx || (ry == rx && !a_first))
 *
 * Conflicts on one cell:
 *  - anything but an insert, against a delete of its cell: a no-op (0);
 *    two deletes of one cell are both no-ops;
 *  - two moves of one cell: the one with priority wins and moves the cell
 *    from where the other put it to its own destination; the other becomes
 *    a no-op (so the cell ends where the winner wanted, on both sides);
 *  - set_kind/set_kind of one cell, set_meta/set_meta of one cell and
 *    key: the one with priority stays, the other becomes a no-op;
 *  - text/text of one cell: the usual retain/insert/delete transform;
 *    inserts at one offset are ordered by priority;
 *  - two inserts of one id: identical ones both become no-ops; different
 *    ones are left alone and the later one fails to apply (GL_EEXIST), so
 *    the kernel refuses it. Ids are random; only a client that reuses an
 *    id on purpose gets there.
 * A text op whose text the other op deleted stays a (retain-only) op: it
 * still marks its cell changed, see below.
 *
 * Converging means printing the same bytes, not only holding the same
 * cells, so two more rules hold in ot_apply():
 *  - every applied set_kind, set_meta or text op marks its cell changed
 *    (nb_print() then writes it in canonical form), even when it changes
 *    nothing: on one side a set_kind may find the kind it sets, on the
 *    other the winning concurrent set_kind changes it and the cell is
 *    marked there. By the conflict rules above, an op on a cell is applied
 *    on one side of TP1 exactly when some op on that cell is applied on
 *    the other, so both mark the same cells. Moves mark nothing.
 *  - metadata is kept as "id" first, then the other keys sorted:
 *    nb_cell_set_meta() appends a new key, and two concurrent set_metas
 *    of new keys would leave them in the order each side applied them.
 *
 * Invariants: ot_apply() checks everything before it changes the doc, so
 * a failed op leaves the doc as it was. A text op's retains and deletes
 * cover the source exactly and cut it only at UTF-8 character boundaries;
 * the transform keeps both (it only cuts where a or b cut), so a' of
 * valid a and b applies. ot_decode() trusts nothing: every integer is
 * bounded by OT_INT_MAX, which keeps index arithmetic in the transform far
 * from overflow (an index grows by at most one per transform).
 */
#include "core/ot.h"

#include <assert.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/mem.h"
#include "core/util.h"

/* A growing list of text components, merged as they are appended. */
struct ot_comps {
	struct ot_comp	*v;
	size_t		 n;
	size_t		 cap;
};

/* A read cursor over text components. */
struct ot_cur {
	const struct ot_comp *v;
	size_t		 n;
	size_t		 i;		/* current component */
	size_t		 off;		/* bytes of it consumed */
};

static struct nb_cell *find_cell(const struct nb_doc *, const char *,
		    const char *, size_t *, struct gl_err *);
static int	 apply_insert(struct nb_doc *, const struct ot_op *,
		    struct gl_err *);
static int	 apply_delete(struct nb_doc *, const struct ot_op *,
		    struct gl_err *);
static int	 apply_move(struct nb_doc *, const struct ot_op *,
		    struct gl_err *);
static int	 apply_set_kind(struct nb_doc *, const struct ot_op *,
		    struct gl_err *);
static int	 apply_set_meta(struct nb_doc *, const struct ot_op *,
		    struct gl_err *);
static int	 apply_text(struct nb_doc *, const struct ot_op *,
		    struct gl_err *);
static bool	 utf8_boundary(const char *, size_t, size_t);
static bool	 kind_valid(enum nb_kind);
static const char *kind_name(enum nb_kind);
static const char *op_name(enum ot_kind);
static int	 xf_insert(struct ot_op *, const struct ot_op *, bool);
static int	 xf_delete(struct ot_op *, const struct ot_op *);
static int	 xf_move(struct ot_op *, const struct ot_op *, bool);
static void	 xf_text(struct ot_op *, const struct ot_op *, bool);
static void	 cell_mark(struct nb_cell *);
static void	 meta_sort(struct nb_cell *);
static bool	 meta_key_valid(const char *);
static const struct ot_comp *cur_get(struct ot_cur *);
static void	 cur_take(struct ot_cur *, size_t);
static void	 comps_push(struct ot_comps *, enum ot_comp_kind, size_t,
		    const char *);
static bool	 str_eq(const char *, const char *);

/* Per-kind wire fields. */
enum {
	F_T, F_ID, F_INDEX, F_FROM, F_KIND, F_SOURCE, F_KEY, F_VALUE, F_OPS,
	F_COUNT
};
static const char *const field_names[F_COUNT] = {
	"t", "id", "index", "from", "kind", "source", "key", "value", "ops",
};
#define FB(f)	(1u << (f))
static const struct {
	const char	*name;
	unsigned	 fields;	/* all required, nothing else allowed */
} op_wire[] = {
	[OT_INSERT_CELL] = { "insert_cell",
	    FB(F_T) | FB(F_ID) | FB(F_INDEX) | FB(F_KIND) | FB(F_SOURCE) },
	[OT_DELETE_CELL] = { "delete_cell", FB(F_T) | FB(F_ID) | FB(F_FROM) },
	[OT_MOVE_CELL] = { "move_cell",
	    FB(F_T) | FB(F_ID) | FB(F_FROM) | FB(F_INDEX) },
	[OT_SET_KIND] = { "set_kind", FB(F_T) | FB(F_ID) | FB(F_KIND) },
	[OT_SET_META] = { "set_meta",
	    FB(F_T) | FB(F_ID) | FB(F_KEY) | FB(F_VALUE) },
	[OT_TEXT] = { "text", FB(F_T) | FB(F_ID) | FB(F_OPS) },
};
#define OT_NKINDS	(sizeof op_wire / sizeof op_wire[0])

static const char *const kind_names[] = { "code", "markdown", "raw" };

static int	 dec_field_index(const msgpack_object *, unsigned *);
static int	 dec_str(const msgpack_object *, const char *, bool, char **,
		    size_t *, struct gl_err *);
static int	 dec_int(const msgpack_object *, const char *, size_t *,
		    struct gl_err *);
static int	 dec_kind(const msgpack_object *, enum nb_kind *,
		    struct gl_err *);
static int	 dec_comps(const msgpack_object *, struct ot_op *,
		    struct gl_err *);
static void	 show_key(const msgpack_object *, char *, size_t);
static void	 pack_cstr(msgpack_packer *, const char *);
static void	 pack_strn(msgpack_packer *, const char *, size_t);

void
ot_op_fini(struct ot_op *op)
{
	if (op == NULL)
		return;
	free(op->key);
	free(op->text);
	for (size_t i = 0; i < op->ncomps; i++)
		free(op->comps[i].s);
	free(op->comps);
	memset(op, 0, sizeof *op);
}

void
ot_ops_free(struct ot_op *ops, size_t n)
{
	for (size_t i = 0; ops != NULL && i < n; i++)
		ot_op_fini(&ops[i]);
	free(ops);
}

void
ot_op_copy(struct ot_op *dst, const struct ot_op *src)
{
	*dst = *src;
	dst->key = src->key != NULL ? xstrdup(src->key) : NULL;
	dst->text = src->text != NULL ? xstrdup(src->text) : NULL;
	dst->comps = NULL;
	if (src->ncomps > 0) {
		dst->comps = xcalloc(src->ncomps, sizeof *dst->comps);
		for (size_t i = 0; i < src->ncomps; i++) {
			dst->comps[i] = src->comps[i];
			if (src->comps[i].s != NULL)
				dst->comps[i].s = xstrndup(src->comps[i].s,
				    src->comps[i].n);
		}
	}
}

bool
ot_op_equal(const struct ot_op *a, const struct ot_op *b)
{
	if (a->kind != b->kind || strcmp(a->id, b->id) != 0)
		return false;
	switch (a->kind) {
	case OT_INSERT_CELL:
		return a->index == b->index && a->cell_kind == b->cell_kind &&
		    strcmp(a->text != NULL ? a->text : "",
		    b->text != NULL ? b->text : "") == 0;
	case OT_DELETE_CELL:
		return a->from == b->from;
	case OT_MOVE_CELL:
		return a->from == b->from && a->index == b->index;
	case OT_SET_KIND:
		return a->cell_kind == b->cell_kind;
	case OT_SET_META:
		return str_eq(a->key, b->key) && str_eq(a->text, b->text);
	case OT_TEXT:
		if (a->ncomps != b->ncomps)
			return false;
		for (size_t i = 0; i < a->ncomps; i++) {
			const struct ot_comp *x = &a->comps[i];
			const struct ot_comp *y = &b->comps[i];

			if (x->kind != y->kind || x->n != y->n)
				return false;
			if (x->kind == OT_INSERT && x->n > 0 &&
			    memcmp(x->s, y->s, x->n) != 0)
				return false;
		}
		return true;
	}
	return false;
}

int
ot_op_locate(const struct nb_doc *doc, struct ot_op *op, struct gl_err *err)
{
	size_t	 i;

	if (op->kind != OT_DELETE_CELL && op->kind != OT_MOVE_CELL)
		return 0;
	if (find_cell(doc, op_name(op->kind), op->id, &i, err) == NULL)
		return GL_ENOTFOUND;
	op->from = i;
	return 0;
}

int
ot_apply(struct nb_doc *doc, const struct ot_op *op, struct gl_err *err)
{
	switch (op->kind) {
	case OT_INSERT_CELL:
		return apply_insert(doc, op, err);
	case OT_DELETE_CELL:
		return apply_delete(doc, op, err);
	case OT_MOVE_CELL:
		return apply_move(doc, op, err);
	case OT_SET_KIND:
		return apply_set_kind(doc, op, err);
	case OT_SET_META:
		return apply_set_meta(doc, op, err);
	case OT_TEXT:
		return apply_text(doc, op, err);
	}
	return gl_err_set(err, GL_EINVAL, "op: unknown kind %d",
	    (int)op->kind);
}

int
ot_transform(struct ot_op *a, const struct ot_op *b, bool a_first)
{
	bool	 same = strcmp(a->id, b->id) == 0;

	switch (a->kind) {
	case OT_INSERT_CELL:
		return xf_insert(a, b, a_first);
	case OT_DELETE_CELL:
		return xf_delete(a, b);
	case OT_MOVE_CELL:
		return xf_move(a, b, a_first);
	case OT_SET_KIND:
		if (same && b->kind == OT_DELETE_CELL)
			return 0;
		if (same && b->kind == OT_SET_KIND)
			return a_first;
		return 1;
	case OT_SET_META:
		if (same && b->kind == OT_DELETE_CELL)
			return 0;
		if (same && b->kind == OT_SET_META && str_eq(a->key, b->key))
			return a_first;
		return 1;
	case OT_TEXT:
		if (same && b->kind == OT_DELETE_CELL)
			return 0;
		if (same && b->kind == OT_TEXT)
			xf_text(a, b, a_first);
		return 1;
	}
	return 1;
}

void
ot_transform_ops(struct ot_op *a, size_t *na, struct ot_op *b, size_t *nb,
    bool a_first)
{
	struct ot_op	 orig;
	size_t		 keep_a = 0, keep_b, i, j;
	bool		 live;

	for (i = 0; i < *na; i++) {
		live = true;
		keep_b = 0;
		for (j = 0; j < *nb; j++) {
			if (live) {
				/* Both sides of the square start from the
				 * ops as they were before this step. */
				ot_op_copy(&orig, &a[i]);
				live = ot_transform(&a[i], &b[j], a_first);
				if (!ot_transform(&b[j], &orig, !a_first)) {
					ot_op_fini(&b[j]);
					ot_op_fini(&orig);
					continue;
				}
				ot_op_fini(&orig);
			}
			if (keep_b != j) {
				b[keep_b] = b[j];
				memset(&b[j], 0, sizeof b[j]);
			}
			keep_b++;
		}
		*nb = keep_b;
		if (!live) {
			ot_op_fini(&a[i]);
			continue;
		}
		if (keep_a != i) {
			a[keep_a] = a[i];
			memset(&a[i], 0, sizeof a[i]);
		}
		keep_a++;
	}
	*na = keep_a;
}

void
ot_rebase(struct ot_op *ops, size_t *n, const struct ot_op *accepted,
    size_t naccepted)
{
	struct ot_op	*b;
	size_t		 nb = naccepted, i;

	if (naccepted == 0 || *n == 0)
		return;
	b = xcalloc(naccepted, sizeof *b);
	for (i = 0; i < naccepted; i++)
		ot_op_copy(&b[i], &accepted[i]);
	ot_transform_ops(ops, n, b, &nb, false);
	for (i = 0; i < nb; i++)
		ot_op_fini(&b[i]);
	free(b);
}

/*
 * Diffing two docs (ot_diff). The cells of a that b lacks are deleted,
 * from the last. The cells both hold are then put in b's order with the
 * fewest moves: those on a longest increasing subsequence of their b
 * ranks (in a's order) stay; each other one, in b's order, moves to just
 * after the cell that precedes it in b among those already in place
 * (which keeps the placed cells in b's order). The cells only b holds
 * are inserted at their b index, first to last, with their metadata.
 * Last come the changes of the cells both hold: kind, metadata, and one
 * replace of the source between the longest common prefix and suffix
 * (both cut at UTF-8 character boundaries).
 */
struct ot_dlist {
	struct ot_op	*v;
	size_t		 n, cap;
};

static struct ot_op *
dl_push(struct ot_dlist *l, enum ot_kind kind, const char *id)
{
	struct ot_op	*op;

	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 16;
		l->v = xrealloc(l->v, l->cap * sizeof *l->v);
	}
	op = &l->v[l->n++];
	memset(op, 0, sizeof *op);
	op->kind = kind;
	snprintf(op->id, sizeof op->id, "%s", id);
	return op;
}

/* The text op turning source x into y (both valid UTF-8), or false if
 * they are equal. */
static bool
diff_text(const char *id, const char *x, size_t xl, const char *y, size_t yl,
    struct ot_op *op)
{
	size_t	 pre = 0, suf = 0, n = 0;

	while (pre < xl && pre < yl && x[pre] == y[pre])
		pre++;
	if (pre == xl && pre == yl)
		return false;
	while (pre > 0 && ((pre < xl && ((unsigned char)x[pre] & 0xc0) ==
	    0x80) || (pre < yl && ((unsigned char)y[pre] & 0xc0) == 0x80)))
		pre--;
	while (suf < xl - pre && suf < yl - pre &&
	    x[xl - 1 - suf] == y[yl - 1 - suf])
		suf++;
	while (suf > 0 && ((((unsigned char)x[xl - suf]) & 0xc0) == 0x80 ||
	    (((unsigned char)y[yl - suf]) & 0xc0) == 0x80))
		suf--;
	op->kind = OT_TEXT;
	snprintf(op->id, sizeof op->id, "%s", id);
	op->comps = xcalloc(4, sizeof *op->comps);
	if (pre > 0)
		op->comps[n++] = (struct ot_comp){ OT_RETAIN, pre, NULL };
	if (xl - pre - suf > 0)
		op->comps[n++] = (struct ot_comp){ OT_DELETE, xl - pre - suf,
		    NULL };
	if (yl - pre - suf > 0)
		op->comps[n++] = (struct ot_comp){ OT_INSERT, yl - pre - suf,
		    xstrndup(y + pre, yl - pre - suf) };
	if (suf > 0)
		op->comps[n++] = (struct ot_comp){ OT_RETAIN, suf, NULL };
	op->ncomps = n;
	return true;
}

/* set_meta ops turning the metadata of ca into cb's (the id aside). */
static void
diff_meta(struct ot_dlist *l, const struct nb_cell *ca,
    const struct nb_cell *cb)
{
	const char	*k, *v, *id = nb_cell_id(cb);
	struct ot_op	*op;

	if ((ca != NULL && nb_cell_is_header(ca)) || nb_cell_is_header(cb))
		return;
	for (size_t i = 0; i < nb_cell_meta_count(cb); i++) {
		nb_cell_meta_at(cb, i, &k, &v);
		if (strcmp(k, "id") == 0 || (ca != NULL &&
		    str_eq(nb_cell_meta(ca, k), v)))
			continue;
		op = dl_push(l, OT_SET_META, id);
		op->key = xstrdup(k);
		op->text = xstrdup(v);
	}
	for (size_t i = 0; ca != NULL && i < nb_cell_meta_count(ca); i++) {
		nb_cell_meta_at(ca, i, &k, &v);
		if (strcmp(k, "id") == 0 || nb_cell_meta(cb, k) != NULL)
			continue;
		op = dl_push(l, OT_SET_META, id);
		op->key = xstrdup(k);
	}
}

size_t
ot_diff(const struct nb_doc *a, const struct nb_doc *b, struct ot_op **ops)
{
	struct ot_dlist	 l = { NULL, 0, 0 };
	size_t		 na = nb_doc_count(a), nbc = nb_doc_count(b), n = 0;
	size_t		*work, pos;
	bool		*keep, *placed;
	struct ot_op	*op;

	/* work[0..n): the b index of each cell of a that b holds, in a's
	 * order (what the list looks like after the deletes). */
	work = xcalloc(na + nbc + 1, sizeof *work);
	for (size_t i = na; i-- > 0; ) {
		const char *id = nb_cell_id(nb_doc_cell(a, i));

		if (nb_doc_find(b, id, &pos) == NULL) {
			op = dl_push(&l, OT_DELETE_CELL, id);
			op->from = i;
		}
	}
	for (size_t i = 0; i < na; i++)
		if (nb_doc_find(b, nb_cell_id(nb_doc_cell(a, i)), &pos) != NULL)
			work[n++] = pos;
	keep = xcalloc(n + 1, sizeof *keep);
	gl_lis(work, n, SIZE_MAX, keep);
	/* placed[j]: b's cell j is in its place among the placed ones. */
	placed = xcalloc(nbc + 1, sizeof *placed);
	for (size_t i = 0; i < n; i++)
		placed[work[i]] = keep[i];
	for (size_t j = 0; j < nbc; j++) {
		size_t	 from = SIZE_MAX, after = SIZE_MAX, to;

		if (placed[j])
			continue;
		for (size_t i = 0; i < n; i++) {
			if (work[i] == j)
				from = i;
			else if (work[i] < j && placed[work[i]] &&
			    (after == SIZE_MAX || work[i] > work[after]))
				after = i;
		}
		if (from == SIZE_MAX)
			continue;		/* only b has it */
		to = after == SIZE_MAX ? 0 : after < from ? after + 1 : after;
		op = dl_push(&l, OT_MOVE_CELL, nb_cell_id(nb_doc_cell(b, j)));
		op->from = from;
		op->index = to;
		memmove(&work[from], &work[from + 1], (n - from - 1) *
		    sizeof *work);
		memmove(&work[to + 1], &work[to], (n - 1 - to) * sizeof *work);
		work[to] = j;
		placed[j] = true;
	}
	/* The common cells are in b's order: insert the others where b has
	 * them. */
	for (size_t j = 0; j < nbc; j++) {
		const struct nb_cell	*cb = nb_doc_cell(b, j);
		const struct nb_cell	*ca = nb_doc_find(a, nb_cell_id(cb),
					    NULL);
		size_t			 len;
		const char		*src = nb_cell_source(cb, &len);

		if (ca != NULL)
			continue;
		op = dl_push(&l, OT_INSERT_CELL, nb_cell_id(cb));
		op->index = j;
		op->cell_kind = nb_cell_kind(cb);
		op->text = xstrndup(src, len);
		diff_meta(&l, NULL, cb);
	}
	for (size_t j = 0; j < nbc; j++) {
		const struct nb_cell	*cb = nb_doc_cell(b, j);
		const struct nb_cell	*ca = nb_doc_find(a, nb_cell_id(cb),
					    NULL);
		size_t			 xl, yl;
		const char		*x, *y;
		struct ot_op		 t;

		if (ca == NULL)
			continue;
		if (nb_cell_kind(ca) != nb_cell_kind(cb) &&
		    !nb_cell_is_header(cb)) {
			op = dl_push(&l, OT_SET_KIND, nb_cell_id(cb));
			op->cell_kind = nb_cell_kind(cb);
		}
		diff_meta(&l, ca, cb);
		x = nb_cell_source(ca, &xl);
		y = nb_cell_source(cb, &yl);
		memset(&t, 0, sizeof t);
		if (diff_text(nb_cell_id(cb), x, xl, y, yl, &t))
			*dl_push(&l, OT_TEXT, t.id) = t;
	}
	free(placed);
	free(keep);
	free(work);
	*ops = l.v;
	return l.n;
}

int
ot_decode(const msgpack_object *o, struct ot_op *op, struct gl_err *err)
{
	const msgpack_object	*f[F_COUNT] = { NULL };
	const char		*t = "op";
	char			 shown[48];
	unsigned		 k, have = 0, want;
	size_t			 len;
	char			*s = NULL;
	int			 rc;

	memset(op, 0, sizeof *op);
	if (o->type != MSGPACK_OBJECT_MAP)
		return gl_err_set(err, GL_EPROTO, "op: not a map");
	for (uint32_t i = 0; i < o->via.map.size; i++) {
		const msgpack_object *key = &o->via.map.ptr[i].key;

		if (dec_field_index(key, &k) != 0) {
			show_key(key, shown, sizeof shown);
			return gl_err_set(err, GL_EPROTO,
			    "op: unknown field %s", shown);
		}
		if (have & FB(k))
			return gl_err_set(err, GL_EPROTO,
			    "op: field \"%s\" given twice", field_names[k]);
		have |= FB(k);
		f[k] = &o->via.map.ptr[i].val;
	}
	if (f[F_T] == NULL)
		return gl_err_set(err, GL_EPROTO, "op: missing field \"t\"");
	if (f[F_T]->type != MSGPACK_OBJECT_STR)
		return gl_err_set(err, GL_EPROTO,
		    "op: field \"t\": expected a string");
	for (k = 0; k < OT_NKINDS; k++)
		if (f[F_T]->via.str.size == strlen(op_wire[k].name) &&
		    memcmp(f[F_T]->via.str.ptr, op_wire[k].name,
		    f[F_T]->via.str.size) == 0)
			break;
	if (k == OT_NKINDS) {
		show_key(f[F_T], shown, sizeof shown);
		return gl_err_set(err, GL_EPROTO,
		    "op: field \"t\": unknown op %s", shown);
	}
	op->kind = (enum ot_kind)k;
	t = op_wire[k].name;
	want = op_wire[k].fields;
	for (k = 0; k < F_COUNT; k++) {
		if ((have & FB(k)) && !(want & FB(k))) {
			rc = gl_err_set(err, GL_EPROTO,
			    "field \"%s\" does not belong to it",
			    field_names[k]);
			goto fail;
		}
		if (!(have & FB(k)) && (want & FB(k))) {
			rc = gl_err_set(err, GL_EPROTO,
			    "missing field \"%s\"", field_names[k]);
			goto fail;
		}
	}

	if ((rc = dec_str(f[F_ID], "id", false, &s, &len, err)) != 0)
		goto fail;
	if (len == 0 || len > NB_ID_MAX) {
		free(s);
		rc = gl_err_set(err, GL_EPROTO,
		    "field \"id\": %s (%zu bytes; 1 to %d allowed)",
		    len == 0 ? "empty" : "too long", len, NB_ID_MAX);
		goto fail;
	}
	memcpy(op->id, s, len + 1);
	free(s);
	if (f[F_INDEX] != NULL &&
	    (rc = dec_int(f[F_INDEX], "index", &op->index, err)) != 0)
		goto fail;
	if (f[F_FROM] != NULL &&
	    (rc = dec_int(f[F_FROM], "from", &op->from, err)) != 0)
		goto fail;
	if (f[F_KIND] != NULL &&
	    (rc = dec_kind(f[F_KIND], &op->cell_kind, err)) != 0)
		goto fail;
	if (f[F_SOURCE] != NULL && (rc = dec_str(f[F_SOURCE], "source",
	    false, &op->text, NULL, err)) != 0)
		goto fail;
	if (f[F_KEY] != NULL) {
		if ((rc = dec_str(f[F_KEY], "key", false, &op->key, &len,
		    err)) != 0)
			goto fail;
		if (len == 0) {
			rc = gl_err_set(err, GL_EPROTO,
			    "field \"key\": empty");
			goto fail;
		}
	}
	if (f[F_VALUE] != NULL && (rc = dec_str(f[F_VALUE], "value", true,
	    &op->text, NULL, err)) != 0)
		goto fail;
	if (f[F_OPS] != NULL && (rc = dec_comps(f[F_OPS], op, err)) != 0)
		goto fail;
	return 0;
fail:
	ot_op_fini(op);
	gl_err_prefix(err, "%s", t);
	return rc;
}

void
ot_encode(msgpack_packer *pk, const struct ot_op *op)
{
	unsigned	 want, nf = 0;

	assert((unsigned)op->kind < OT_NKINDS);
	want = op_wire[op->kind].fields;
	for (unsigned k = 0; k < F_COUNT; k++)
		nf += (want & FB(k)) != 0;
	msgpack_pack_map(pk, nf);
	pack_cstr(pk, "t");
	pack_cstr(pk, op_wire[op->kind].name);
	pack_cstr(pk, "id");
	pack_cstr(pk, op->id);
	if (want & FB(F_INDEX)) {
		pack_cstr(pk, "index");
		msgpack_pack_uint64(pk, op->index);
	}
	if (want & FB(F_FROM)) {
		pack_cstr(pk, "from");
		msgpack_pack_uint64(pk, op->from);
	}
	if (want & FB(F_KIND)) {
		pack_cstr(pk, "kind");
		pack_cstr(pk, kind_name(op->cell_kind));
	}
	if (want & FB(F_SOURCE)) {
		pack_cstr(pk, "source");
		pack_cstr(pk, op->text != NULL ? op->text : "");
	}
	if (want & FB(F_KEY)) {
		pack_cstr(pk, "key");
		pack_cstr(pk, op->key != NULL ? op->key : "");
	}
	if (want & FB(F_VALUE)) {
		pack_cstr(pk, "value");
		if (op->text != NULL)
			pack_cstr(pk, op->text);
		else
			msgpack_pack_nil(pk);
	}
	if (want & FB(F_OPS)) {
		pack_cstr(pk, "ops");
		msgpack_pack_array(pk, op->ncomps);
		for (size_t i = 0; i < op->ncomps; i++) {
			const struct ot_comp *c = &op->comps[i];

			assert(c->n <= INT64_MAX);
			switch (c->kind) {
			case OT_RETAIN:
				msgpack_pack_uint64(pk, c->n);
				break;
			case OT_DELETE:
				msgpack_pack_int64(pk, -(int64_t)c->n);
				break;
			case OT_INSERT:
				pack_strn(pk, c->s, c->n);
				break;
			}
		}
	}
}

/* Applying. */

static struct nb_cell *
find_cell(const struct nb_doc *doc, const char *what, const char *id,
    size_t *index, struct gl_err *err)
{
	struct nb_cell	*c = nb_doc_find(doc, id, index);

	if (c == NULL)
		gl_err_set(err, GL_ENOTFOUND, "%s: no cell \"%s\"", what, id);
	return c;
}

static int
apply_insert(struct nb_doc *doc, const struct ot_op *op, struct gl_err *err)
{
	struct gl_err	 local;
	const char	*src = op->text != NULL ? op->text : "";
	size_t		 count = nb_doc_count(doc), len = strlen(src);
	size_t		 bad;

	if (err == NULL)
		err = &local;
	if (op->id[0] == '\0')
		return gl_err_set(err, GL_EINVAL, "insert_cell: empty id");
	if (nb_doc_find(doc, op->id, NULL) != NULL)
		return gl_err_set(err, GL_EEXIST,
		    "insert_cell: cell \"%s\" already exists", op->id);
	if (op->index > count)
		return gl_err_set(err, GL_EINVAL, "insert_cell \"%s\": index "
		    "%zu out of range (0 to %zu)", op->id, op->index, count);
	if (op->index == 0 && count > 0 &&
	    nb_cell_is_header(nb_doc_cell(doc, 0)))
		return gl_err_set(err, GL_EINVAL, "insert_cell \"%s\": index 0 "
		    "is before the header cell", op->id);
	if (!kind_valid(op->cell_kind))
		return gl_err_set(err, GL_EINVAL,
		    "insert_cell \"%s\": bad cell kind %d", op->id,
		    (int)op->cell_kind);
	if (!gl_utf8_valid(src, len, &bad))
		return gl_err_set(err, GL_EINVAL, "insert_cell \"%s\": source "
		    "is not valid UTF-8 (byte %zu)", op->id, bad);
	if (nb_doc_insert(doc, op->index, op->cell_kind, op->id, src, len,
	    NULL, err) == NULL)
		return gl_err_prefix(err, "insert_cell \"%s\"", op->id);
	return 0;
}

static int
apply_delete(struct nb_doc *doc, const struct ot_op *op, struct gl_err *err)
{
	size_t	 i;

	if (find_cell(doc, "delete_cell", op->id, &i, err) == NULL)
		return GL_ENOTFOUND;
	if (i != op->from)
		return gl_err_set(err, GL_ECONFLICT, "delete_cell \"%s\": the "
		    "cell is at index %zu, the op says %zu", op->id, i,
		    op->from);
	return nb_doc_remove(doc, i, err);
}

static int
apply_move(struct nb_doc *doc, const struct ot_op *op, struct gl_err *err)
{
	struct nb_cell	*c;
	size_t		 i, count = nb_doc_count(doc);

	if ((c = find_cell(doc, "move_cell", op->id, &i, err)) == NULL)
		return GL_ENOTFOUND;
	if (nb_cell_is_header(c))
		return gl_err_set(err, GL_EINVAL, "move_cell \"%s\": the "
		    "header cell cannot move", op->id);
	if (i != op->from)
		return gl_err_set(err, GL_ECONFLICT, "move_cell \"%s\": the "
		    "cell is at index %zu, the op says %zu", op->id, i,
		    op->from);
	if (op->index >= count)
		return gl_err_set(err, GL_EINVAL, "move_cell \"%s\": index %zu "
		    "out of range (0 to %zu)", op->id, op->index, count - 1);
	if (op->index == 0 && nb_cell_is_header(nb_doc_cell(doc, 0)))
		return gl_err_set(err, GL_EINVAL, "move_cell \"%s\": index 0 "
		    "is before the header cell", op->id);
	if (op->index == i)
		return 0;
	return nb_doc_move(doc, i, op->index, err);
}

static int
apply_set_kind(struct nb_doc *doc, const struct ot_op *op,
    struct gl_err *err)
{
	struct nb_cell	*c;

	if ((c = find_cell(doc, "set_kind", op->id, NULL, err)) == NULL)
		return GL_ENOTFOUND;
	if (!kind_valid(op->cell_kind))
		return gl_err_set(err, GL_EINVAL, "set_kind \"%s\": bad cell "
		    "kind %d", op->id, (int)op->cell_kind);
	if (nb_cell_is_header(c))
		return gl_err_set(err, GL_EINVAL, "set_kind \"%s\": the header "
		    "cell has no kind", op->id);
	/* Marked first: see cell_mark(). */
	cell_mark(c);
	if (nb_cell_set_kind(c, op->cell_kind, err) != 0)
		return gl_err_prefix(err, "set_kind \"%s\"", op->id);
	return 0;
}

static int
apply_set_meta(struct nb_doc *doc, const struct ot_op *op,
    struct gl_err *err)
{
	struct gl_err	 local;
	struct nb_cell	*c;
	json_error_t	 je;
	json_t		*j;

	if (err == NULL)
		err = &local;
	if ((c = find_cell(doc, "set_meta", op->id, NULL, err)) == NULL)
		return GL_ENOTFOUND;
	/* What nb_cell_set_meta() would refuse, checked before the cell is
	 * marked. */
	if (op->key == NULL || !meta_key_valid(op->key))
		return gl_err_set(err, GL_EINVAL, "set_meta \"%s\": bad key "
		    "\"%s\": letters, digits, '_', '.' and '-', not starting "
		    "with a digit, '.' or '-'", op->id,
		    op->key != NULL ? op->key : "");
	if (strcmp(op->key, "id") == 0)
		return gl_err_set(err, GL_EPERM, "set_meta \"%s\": the id "
		    "never changes", op->id);
	if (nb_cell_is_header(c))
		return gl_err_set(err, GL_EINVAL, "set_meta \"%s\": the header "
		    "cell has no marker to hold metadata", op->id);
	if (op->text != NULL) {
		if ((j = json_loads(op->text, JSON_DECODE_ANY, &je)) == NULL)
			return gl_err_set(err, GL_ESYNTAX, "set_meta \"%s\" "
			    "key \"%s\": bad JSON: %s", op->id, op->key,
			    je.text);
		json_decref(j);
	}
	cell_mark(c);
	if (!str_eq(nb_cell_meta(c, op->key), op->text) &&
	    nb_cell_set_meta(c, op->key, op->text, err) != 0)
		return gl_err_prefix(err, "set_meta \"%s\" key \"%s\"", op->id,
		    op->key);
	meta_sort(c);
	return 0;
}

/* A metadata key as a marker can hold it. */
static bool
meta_key_valid(const char *k)
{
	if (!((*k >= 'a' && *k <= 'z') || (*k >= 'A' && *k <= 'Z') ||
	    *k == '_'))
		return false;
	for (k++; *k != '\0'; k++)
		if (!((*k >= 'a' && *k <= 'z') || (*k >= 'A' && *k <= 'Z') ||
		    (*k >= '0' && *k <= '9') || *k == '_' || *k == '.' ||
		    *k == '-'))
			return false;
	return true;
}

static int
apply_text(struct nb_doc *doc, const struct ot_op *op, struct gl_err *err)
{
	struct gl_buf	 out;
	struct nb_cell	*c;
	const char	*src;
	size_t		 len, pos = 0, covered = 0, bad, i;
	/* The kind of the last retain or delete run; OT_INSERT: none yet. */
	enum ot_comp_kind prev = OT_INSERT;
	bool		 inserted = false, overflow = false;

	if ((c = find_cell(doc, "text", op->id, NULL, err)) == NULL)
		return GL_ENOTFOUND;
	src = nb_cell_source(c, &len);

	for (i = 0; i < op->ncomps; i++) {
		const struct ot_comp *k = &op->comps[i];

		if (k->kind == OT_INSERT)
			continue;
		if (k->n > SIZE_MAX - covered)
			overflow = true;
		else
			covered += k->n;
	}
	if (overflow || covered != len)
		return gl_err_set(err, GL_ECONFLICT, "text \"%s\": the op "
		    "covers %s%zu bytes, the source has %zu", op->id,
		    overflow ? "more than " : "", covered, len);

	/* Every place the op cuts the source must be a character boundary:
	 * where an insert lands and where a retained run meets a deleted one
	 * (two runs of one kind with nothing between do not cut). */
	for (i = 0; i < op->ncomps; i++) {
		const struct ot_comp *k = &op->comps[i];

		if (k->n == 0)
			continue;
		if (k->kind == OT_INSERT) {
			if (!gl_utf8_valid(k->s, k->n, &bad))
				return gl_err_set(err, GL_EINVAL,
				    "text \"%s\": component %zu inserts "
				    "invalid UTF-8 (byte %zu)", op->id, i,
				    bad);
			if (!utf8_boundary(src, len, pos))
				return gl_err_set(err, GL_EINVAL,
				    "text \"%s\": component %zu inserts "
				    "inside a UTF-8 character at byte %zu",
				    op->id, i, pos);
			inserted = true;
			continue;
		}
		if ((inserted || prev != k->kind) &&
		    !utf8_boundary(src, len, pos))
			return gl_err_set(err, GL_EINVAL, "text \"%s\": "
			    "component %zu splits a UTF-8 character at "
			    "byte %zu", op->id, i, pos);
		prev = k->kind;
		inserted = false;
		pos += k->n;
	}

	gl_buf_init(&out);
	gl_buf_reserve(&out, len);
	pos = 0;
	for (i = 0; i < op->ncomps; i++) {
		const struct ot_comp *k = &op->comps[i];

		if (k->kind == OT_INSERT)
			gl_buf_add(&out, k->s, k->n);
		else if (k->kind == OT_RETAIN)
			gl_buf_add(&out, src + pos, k->n);
		if (k->kind != OT_INSERT)
			pos += k->n;
	}
	if (!gl_utf8_valid(out.data, out.len, &bad)) {
		gl_buf_fini(&out);
		return gl_err_set(err, GL_EINVAL, "text \"%s\": the result "
		    "would not be valid UTF-8 (byte %zu)", op->id, bad);
	}
	/* Even when nothing changed: see cell_mark(). */
	cell_mark(c);
	nb_cell_set_source(c, out.data, out.len);
	gl_buf_fini(&out);
	return 0;
}

/* Marks c changed, whatever the op then does. Every applied op on a cell
 * marks it, so the cells printed in canonical form are the same on every
 * side of a transform (one side may apply a set_kind to the kind the cell
 * has, and the other the concurrent set_kind that won). Each op marks its
 * cell once it has validated, before it changes anything else. */
static void
cell_mark(struct nb_cell *c)
{
	nb_cell_mark_changed(c);
}

struct meta_kv {
	char	*key;
	char	*json;
};

static int
meta_cmp(const void *a, const void *b)
{
	return strcmp(((const struct meta_kv *)a)->key,
	    ((const struct meta_kv *)b)->key);
}

/* Puts c's metadata in the order "id" then the other keys sorted.
 * nb_cell_set_meta() appends a new key, so two concurrent set_metas of
 * new keys would otherwise leave them in the order they were applied,
 * which differs between the sides. */
static void
meta_sort(struct nb_cell *c)
{
	size_t		 n = nb_cell_meta_count(c), m = 0, i;
	struct meta_kv	*kv = xcalloc(n, sizeof *kv);
	const char	*k, *v;
	bool		 sorted = true;

	for (i = 0; i < n; i++) {
		nb_cell_meta_at(c, i, &k, &v);
		if (strcmp(k, "id") == 0) {
			sorted = sorted && i == 0;
			continue;
		}
		if (m > 0 && strcmp(kv[m - 1].key, k) > 0)
			sorted = false;
		kv[m].key = xstrdup(k);
		kv[m].json = xstrdup(v);
		m++;
	}
	if (sorted)
		goto done;
	/* Removing and adding back must not fail half way and lose a key:
	 * first check that each value is one nb_cell_set_meta() takes
	 * (setting a key to its own value changes nothing). */
	for (i = 0; i < m; i++)
		if (nb_cell_set_meta(c, kv[i].key, kv[i].json, NULL) != 0)
			goto done;
	qsort(kv, m, sizeof *kv, meta_cmp);
	for (i = 0; i < m; i++)
		(void)nb_cell_set_meta(c, kv[i].key, NULL, NULL);
	for (i = 0; i < m; i++)
		if (nb_cell_set_meta(c, kv[i].key, kv[i].json, NULL) != 0)
			gl_fatal("ot: metadata \"%s\" of cell %s lost",
			    kv[i].key, nb_cell_id(c));
done:
	for (i = 0; i < m; i++) {
		free(kv[i].key);
		free(kv[i].json);
	}
	free(kv);
}

/* True if offset pos of s[0..len) starts a character (or is an end). */
static bool
utf8_boundary(const char *s, size_t len, size_t pos)
{
	return pos == 0 || pos >= len || ((unsigned char)s[pos] & 0xc0) != 0x80;
}

static bool
kind_valid(enum nb_kind kind)
{
	return kind == NB_CODE || kind == NB_MARKDOWN || kind == NB_RAW;
}

static const char *
kind_name(enum nb_kind kind)
{
	return kind_valid(kind) ? kind_names[kind] : "code";
}

static const char *
op_name(enum ot_kind kind)
{
	return (unsigned)kind < OT_NKINDS ? op_wire[kind].name : "op";
}

/* Transforming. See the opening comment for the formulas. */

static int
xf_insert(struct ot_op *a, const struct ot_op *b, bool a_first)
{
	size_t	 i = a->index, rx;

	switch (b->kind) {
	case OT_INSERT_CELL:
		if (strcmp(a->id, b->id) == 0)
			return ot_op_equal(a, b) ? 0 : 1;
		if (b->index < i || (b->index == i && !a_first))
			a->index = i + 1;
		break;
	case OT_DELETE_CELL:
		if (b->from < i)
			a->index = i - 1;
		break;
	case OT_MOVE_CELL:
		rx = i - (b->from < i);
		a->index = rx + (b->index < rx || (b->index == rx && !a_first));
		break;
	default:
		break;
	}
	return 1;
}

static int
xf_delete(struct ot_op *a, const struct ot_op *b)
{
	bool	 same = strcmp(a->id, b->id) == 0;
	size_t	 f = a->from, f1;

	switch (b->kind) {
	case OT_INSERT_CELL:
		a->from = f + (b->index <= f);
		break;
	case OT_DELETE_CELL:
		if (same)
			return 0;
		a->from = f - (b->from < f);
		break;
	case OT_MOVE_CELL:
		if (same) {
			a->from = b->index;
			break;
		}
		f1 = f - (b->from < f);
		a->from = f1 + (b->index <= f1);
		break;
	default:
		break;
	}
	return 1;
}

static int
xf_move(struct ot_op *a, const struct ot_op *b, bool a_first)
{
	bool	 same = strcmp(a->id, b->id) == 0;
	size_t	 f = a->from, t = a->index, g, u, f1, g1, rx, ry;

	switch (b->kind) {
	case OT_INSERT_CELL:
		ry = b->index - (f < b->index);
		a->from = f + (b->index <= f);
		a->index = t + (ry < t || (ry == t && !a_first));
		break;
	case OT_DELETE_CELL:
		if (same)
			return 0;
		g = b->from;
		g1 = g - (f < g);
		a->from = f - (g < f);
		a->index = t - (g1 < t);
		break;
	case OT_MOVE_CELL:
		if (same) {
			if (!a_first)
				return 0;
			a->from = b->index;
			break;
		}
		g = b->from;
		u = b->index;
		g1 = g - (f < g);
		f1 = f - (g < f);
		rx = t - (g1 < t);
		ry = u - (f1 < u);
		a->from = f1 + (u <= f1);
		a->index = rx + (ry < rx || (ry == rx && !a_first));
		break;
	default:
		break;
	}
	return 1;
}

/* The usual transform of two text ops on one source: walk both, copy a's
 * inserts, retain over b's inserts, keep a's retains and deletes where b
 * retained, drop what b deleted. */
static void
xf_text(struct ot_op *a, const struct ot_op *b, bool a_first)
{
	struct ot_cur	 ca = { a->comps, a->ncomps, 0, 0 };
	struct ot_cur	 cb = { b->comps, b->ncomps, 0, 0 };
	struct ot_comps	 out = { NULL, 0, 0 };
	const struct ot_comp *x, *y;
	size_t		 m;

	for (;;) {
		x = cur_get(&ca);
		y = cur_get(&cb);
		if (x != NULL && x->kind == OT_INSERT &&
		    (a_first || y == NULL || y->kind != OT_INSERT)) {
			comps_push(&out, OT_INSERT, x->n, x->s);
			cur_take(&ca, x->n);
			continue;
		}
		if (y != NULL && y->kind == OT_INSERT) {
			comps_push(&out, OT_RETAIN, y->n, NULL);
			cur_take(&cb, y->n);
			continue;
		}
		if (x == NULL || y == NULL)
			break;	/* both done (they cover one source) */
		m = x->n - ca.off;
		if (y->n - cb.off < m)
			m = y->n - cb.off;
		if (y->kind == OT_RETAIN)
			comps_push(&out, x->kind, m, NULL);
		cur_take(&ca, m);
		cur_take(&cb, m);
	}
	/* Anything left over means a and b disagreed on the source length;
	 * keep it so that applying a' reports the conflict. */
	while ((x = cur_get(&ca)) != NULL) {
		comps_push(&out, x->kind, x->n - ca.off, x->s);
		cur_take(&ca, x->n - ca.off);
	}

	for (size_t i = 0; i < a->ncomps; i++)
		free(a->comps[i].s);
	free(a->comps);
	a->comps = out.v;
	a->ncomps = out.n;
}

/* The current component with something left, or NULL at the end. */
static const struct ot_comp *
cur_get(struct ot_cur *c)
{
	while (c->i < c->n && c->off >= c->v[c->i].n) {
		c->i++;
		c->off = 0;
	}
	return c->i < c->n ? &c->v[c->i] : NULL;
}

static void
cur_take(struct ot_cur *c, size_t n)
{
	c->off += n;
}

/* Appends a component, merging it into the last one of the same kind. */
static void
comps_push(struct ot_comps *l, enum ot_comp_kind kind, size_t n,
    const char *s)
{
	struct ot_comp	*last = l->n > 0 ? &l->v[l->n - 1] : NULL;

	if (n == 0)
		return;
	if (last != NULL && last->kind == kind) {
		if (kind == OT_INSERT) {
			last->s = xrealloc(last->s, last->n + n + 1);
			memcpy(last->s + last->n, s, n);
			last->s[last->n + n] = '\0';
		}
		last->n += n;
		return;
	}
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 8;
		l->v = xrealloc(l->v, l->cap * sizeof *l->v);
	}
	l->v[l->n].kind = kind;
	l->v[l->n].n = n;
	l->v[l->n].s = kind == OT_INSERT ? xstrndup(s, n) : NULL;
	l->n++;
}

static bool
str_eq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

/* Decoding. */

static int
dec_field_index(const msgpack_object *key, unsigned *k)
{
	if (key->type != MSGPACK_OBJECT_STR)
		return -1;
	for (unsigned i = 0; i < F_COUNT; i++)
		if (key->via.str.size == strlen(field_names[i]) &&
		    memcmp(key->via.str.ptr, field_names[i],
		    key->via.str.size) == 0) {
			*k = i;
			return 0;
		}
	return -1;
}

/* A string field as a new NUL-terminated copy (NULL for nil when nil_ok). */
static int
dec_str(const msgpack_object *o, const char *name, bool nil_ok, char **out,
    size_t *lenp, struct gl_err *err)
{
	*out = NULL;
	if (lenp != NULL)
		*lenp = 0;
	if (nil_ok && o->type == MSGPACK_OBJECT_NIL)
		return 0;
	if (o->type != MSGPACK_OBJECT_STR)
		return gl_err_set(err, GL_EPROTO, "field \"%s\": expected a "
		    "string%s", name, nil_ok ? " or nil" : "");
	if (memchr(o->via.str.ptr, '\0', o->via.str.size) != NULL)
		return gl_err_set(err, GL_EPROTO, "field \"%s\": contains a "
		    "NUL byte", name);
	*out = xstrndup(o->via.str.ptr, o->via.str.size);
	if (lenp != NULL)
		*lenp = o->via.str.size;
	return 0;
}

static int
dec_int(const msgpack_object *o, const char *name, size_t *out,
    struct gl_err *err)
{
	if (o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
		return gl_err_set(err, GL_EPROTO, "field \"%s\": negative",
		    name);
	if (o->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
		return gl_err_set(err, GL_EPROTO, "field \"%s\": expected a "
		    "non-negative integer", name);
	if (o->via.u64 > OT_INT_MAX)
		return gl_err_set(err, GL_EPROTO, "field \"%s\": %llu is too "
		    "large (at most %u)", name,
		    (unsigned long long)o->via.u64, OT_INT_MAX);
	*out = (size_t)o->via.u64;
	return 0;
}

static int
dec_kind(const msgpack_object *o, enum nb_kind *out, struct gl_err *err)
{
	char	 shown[48];

	if (o->type != MSGPACK_OBJECT_STR)
		return gl_err_set(err, GL_EPROTO,
		    "field \"kind\": expected a string");
	for (unsigned i = 0; i < sizeof kind_names / sizeof kind_names[0];
	    i++)
		if (o->via.str.size == strlen(kind_names[i]) &&
		    memcmp(o->via.str.ptr, kind_names[i], o->via.str.size) ==
		    0) {
			*out = (enum nb_kind)i;
			return 0;
		}
	show_key(o, shown, sizeof shown);
	return gl_err_set(err, GL_EPROTO, "field \"kind\": %s is not code, "
	    "markdown or raw", shown);
}

static int
dec_comps(const msgpack_object *o, struct ot_op *op, struct gl_err *err)
{
	uint64_t	 n, covered = 0, inserted = 0;
	uint32_t	 i;

	if (o->type != MSGPACK_OBJECT_ARRAY)
		return gl_err_set(err, GL_EPROTO,
		    "field \"ops\": expected an array");
	if (o->via.array.size == 0)
		return 0;
	op->comps = xcalloc(o->via.array.size, sizeof *op->comps);
	for (i = 0; i < o->via.array.size; i++) {
		const msgpack_object	*e = &o->via.array.ptr[i];
		struct ot_comp		*c = &op->comps[i];

		switch (e->type) {
		case MSGPACK_OBJECT_POSITIVE_INTEGER:
			c->kind = OT_RETAIN;
			n = e->via.u64;
			break;
		case MSGPACK_OBJECT_NEGATIVE_INTEGER:
			c->kind = OT_DELETE;
			/* -(i64) overflows for INT64_MIN; this does not. */
			n = (uint64_t)(-(e->via.i64 + 1)) + 1;
			break;
		case MSGPACK_OBJECT_STR:
			c->kind = OT_INSERT;
			n = e->via.str.size;
			if (memchr(e->via.str.ptr, '\0', n) != NULL)
				return gl_err_set(err, GL_EPROTO, "field "
				    "\"ops\"[%u]: contains a NUL byte", i);
			break;
		default:
			return gl_err_set(err, GL_EPROTO, "field \"ops\"[%u]: "
			    "expected an integer or a string", i);
		}
		if (n == 0)
			return gl_err_set(err, GL_EPROTO, "field \"ops\"[%u]: "
			    "zero-length component", i);
		if (n > OT_INT_MAX)
			return gl_err_set(err, GL_EPROTO, "field \"ops\"[%u]: "
			    "length %llu is too large (at most %u)", i,
			    (unsigned long long)n, OT_INT_MAX);
		if (c->kind == OT_INSERT)
			inserted += n;
		else
			covered += n;
		if (covered > OT_INT_MAX || inserted > OT_INT_MAX)
			return gl_err_set(err, GL_EPROTO, "field \"ops\"[%u]: "
			    "lengths add up to more than %u", i, OT_INT_MAX);
		c->n = (size_t)n;
		if (c->kind == OT_INSERT)
			c->s = xstrndup(e->via.str.ptr, c->n);
		/* Counted as it goes, so a failure frees what was made. */
		op->ncomps = i + 1;
	}
	return 0;
}

/* A string or other object as a short quoted form for messages. */
static void
show_key(const msgpack_object *o, char *out, size_t size)
{
	size_t	 j = 0;

	if (o->type != MSGPACK_OBJECT_STR) {
		snprintf(out, size, "(a non-string of type %d)", (int)o->type);
		return;
	}
	out[j++] = '"';
	for (uint32_t i = 0; i < o->via.str.size && j + 5 < size; i++) {
		unsigned char ch = (unsigned char)o->via.str.ptr[i];

		out[j++] = ch >= 0x20 && ch < 0x7f && ch != '"' ? (char)ch :
		    '?';
	}
	if (j + 5 >= size) {
		memcpy(out + j, "...", 3);
		j += 3;
	}
	out[j++] = '"';
	out[j] = '\0';
}

static void
pack_cstr(msgpack_packer *pk, const char *s)
{
	pack_strn(pk, s, strlen(s));
}

static void
pack_strn(msgpack_packer *pk, const char *s, size_t n)
{
	msgpack_pack_str(pk, n);
	msgpack_pack_str_body(pk, s, n);
}

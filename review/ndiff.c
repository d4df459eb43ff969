/*
 * ndiff.c - the cell-aware diff (see ndiff.h).
 *
 * Design. Each version is parsed into a side: a list of struct
 * ndiff_cell that borrow from the parsed notebook (core/notebook.c keeps
 * one copy of the file and points into it, so a side costs little more
 * than its file). Diffing two sides is then:
 *
 * 1. Match cells (ndiff_match). First by written id: a cell whose marker
 *    carries id="x" is the same cell as the other side's id="x", wherever
 *    it is. The header cells (lines before the first marker) match each
 *    other. Then by content, among cells still unmatched where at least
 *    one of the pair has no written id (two different written ids are two
 *    different cells, however alike): a Myers diff of the unmatched
 *    cells' contents (kind + source, interned to integers) pairs equal
 *    cells in order; equal cells left over pair first-come (an id-less
 *    cell that moved); then, inside each block the diff replaced, a cell
 *    pairs with the first one of the same kind that shares at least half
 *    its lines, or with the only candidate when the block has one cell on
 *    each side (a cell edited in place).
 * 2. Find moves. Matched pairs in old order give a sequence of new
 *    indices; its longest increasing subsequence (patience, O(k log k))
 *    stayed in place, the rest moved. This names the fewest cells moved.
 * 3. Compare each matched pair: source (a line diff, ldiff.c), kind,
 *    title, metadata by key, outputs (.ipynb). Classify: modified if any
 *    differ (moved may also be set), else moved, else unchanged.
 * 4. Order the result as the new notebook reads, a removed cell right
 *    after the nearest cell before it in the old notebook that stayed in
 *    place (or first, if none did).
 *
 * Invariants:
 * - Every cell of each side appears exactly once in d->cells.
 * - A matched pair is never two cells with different written ids.
 * - Cells of d->cells with new != NULL appear in new order, so a reader
 *   walking them sees the new notebook.
 * - Work is linear in the cells plus the sizes of the changed sources;
 *   unchanged cells are compared with memcmp and never split into lines.
 */
#include "review/ndiff.h"

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/mem.h"
#include "core/notebook.h"
#include "core/util.h"
#include "review/ipynb.h"

#define NONE		((size_t)-1)
#define BINARY_PROBE	8000
/* Cells in a changed block a cell is compared with, at most. */
#define SIMILAR_SCAN	64

struct ndiff_side {
	enum ndiff_format	 format;
	char			*text;		/* owned; TEXT and BINARY */
	size_t			 len;
	struct nb_doc		*doc;		/* owned; NOTEBOOK */
	struct ipynb		*ipynb;		/* owned; IPYNB */
	struct ndiff_cell	*cells;		/* owned */
	size_t			 ncells;
	struct ndiff_meta	*meta;		/* owned: every cell's, and
						   then the notebook's */
	size_t			 nmeta_all;
	const struct ndiff_meta	*nbmeta;	/* notebook level */
	size_t			 nnbmeta;
	/* Id lookup, made on the first ndiff_side_find() (the diff itself
	 * does not need it): open addressing over cell indices + 1. */
	uint32_t		*idtab;
	size_t			 idmask;
};

/* ------------------------------------------------------------------ */
/* Sides                                                                */
/* ------------------------------------------------------------------ */

enum ndiff_format
ndiff_format_of(const char *path)
{
	size_t	 n = path != NULL ? strlen(path) : 0;

	if (n >= 7 && strcmp(path + n - 7, ".nb.lua") == 0)
		return NDIFF_NOTEBOOK;
	if (n >= 6 && strcmp(path + n - 6, ".ipynb") == 0)
		return NDIFF_IPYNB;
	return NDIFF_TEXT;
}

static bool
looks_binary(const char *p, size_t len)
{
	return memchr(p, '\0', len < BINARY_PROBE ? len : BINARY_PROBE) !=
	    NULL;
}

static void
side_index_ids(struct ndiff_side *s)
{
	size_t	 cap = 16;

	while (cap < s->ncells * 2)
		cap <<= 1;
	s->idtab = xcalloc(cap, sizeof *s->idtab);
	s->idmask = cap - 1;
	for (size_t i = 0; i < s->ncells; i++) {
		const char	*id = s->cells[i].id;
		size_t		 h = (size_t)ldiff_hash(id, strlen(id));

		while (s->idtab[h & s->idmask] != 0)
			h++;
		s->idtab[h & s->idmask] = (uint32_t)i + 1;
	}
}

const struct ndiff_cell *
ndiff_side_find(const struct ndiff_side *s, const char *id, size_t *index)
{
	size_t	 h;

	if (id == NULL || s->ncells == 0)
		return NULL;
	if (s->idtab == NULL)
		side_index_ids((struct ndiff_side *)s);	/* a cache */
	h = (size_t)ldiff_hash(id, strlen(id));
	for (;; h++) {
		uint32_t	 k = s->idtab[h & s->idmask];

		if (k == 0)
			return NULL;
		if (strcmp(s->cells[k - 1].id, id) == 0) {
			if (index != NULL)
				*index = k - 1;
			return &s->cells[k - 1];
		}
	}
}

static void
side_from_doc(struct ndiff_side *s)
{
	size_t	 n = nb_doc_count(s->doc), nm = 0, k = 0;

	for (size_t i = 0; i < n; i++)
		nm += nb_cell_meta_count(nb_doc_cell(s->doc, i));
	s->cells = xcalloc(n > 0 ? n : 1, sizeof *s->cells);
	s->meta = xcalloc(nm > 0 ? nm : 1, sizeof *s->meta);
	s->ncells = n;
	for (size_t i = 0; i < n; i++) {
		const struct nb_cell	*c = nb_doc_cell(s->doc, i);
		struct ndiff_cell	*x = &s->cells[i];
		size_t			 m = nb_cell_meta_count(c);

		x->id = nb_cell_id(c);
		x->id_given = !nb_cell_id_generated(c);
		x->header = nb_cell_is_header(c);
		x->kind = nb_kind_name(nb_cell_kind(c));
		x->title = nb_cell_title(c);
		x->src = nb_cell_source(c, &x->srclen);
		x->meta = &s->meta[k];
		for (size_t j = 0; j < m; j++) {
			const char	*key, *json;

			nb_cell_meta_at(c, j, &key, &json);
			if (strcmp(key, "id") == 0)
				continue;
			s->meta[k].key = key;
			s->meta[k].json = json;
			k++;
			x->nmeta++;
		}
	}
	s->nmeta_all = k;
}

static void
side_from_ipynb(struct ndiff_side *s)
{
	const struct ipynb	*nb = s->ipynb;
	size_t			 nm = nb->nmeta, k = 0;

	for (size_t i = 0; i < nb->ncells; i++)
		nm += nb->cells[i].nmeta;
	s->cells = xcalloc(nb->ncells > 0 ? nb->ncells : 1, sizeof *s->cells);
	s->meta = xcalloc(nm > 0 ? nm : 1, sizeof *s->meta);
	s->ncells = nb->ncells;
	for (size_t i = 0; i < nb->ncells; i++) {
		const struct ipynb_cell	*c = &nb->cells[i];
		struct ndiff_cell	*x = &s->cells[i];

		x->id = c->id;
		x->id_given = c->id_given;
		x->kind = c->kind;
		x->title = "";
		x->src = c->src;
		x->srclen = c->srclen;
		x->outputs = c->outputs;
		x->outlen = c->outlen;
		x->meta = &s->meta[k];
		x->nmeta = c->nmeta;
		for (size_t j = 0; j < c->nmeta; j++, k++) {
			s->meta[k].key = c->meta[j].key;
			s->meta[k].json = c->meta[j].json;
		}
	}
	s->nbmeta = &s->meta[k];
	s->nnbmeta = nb->nmeta;
	for (size_t j = 0; j < nb->nmeta; j++, k++) {
		s->meta[k].key = nb->meta[j].key;
		s->meta[k].json = nb->meta[j].json;
	}
	s->nmeta_all = k;
}

int
ndiff_side_new(const char *path, const char *text, size_t len,
    struct ndiff_side **out, struct gl_err *err)
{
	struct ndiff_side	*s = xcalloc(1, sizeof *s);
	int			 rc;

	*out = NULL;
	s->format = ndiff_format_of(path);
	if (looks_binary(text, len))
		s->format = NDIFF_BINARY;
	switch (s->format) {
	case NDIFF_NOTEBOOK:
		if ((rc = nb_parse(text, len, path, &s->doc, err)) != 0) {
			free(s);
			return rc;
		}
		side_from_doc(s);
		break;
	case NDIFF_IPYNB:
		if ((rc = ipynb_parse(text, len, path, &s->ipynb,
		    err)) != 0) {
			free(s);
			return rc;
		}
		side_from_ipynb(s);
		break;
	case NDIFF_TEXT:
	case NDIFF_BINARY:
		s->text = xmalloc(len + 1);
		memcpy(s->text, text, len);
		s->text[len] = '\0';
		s->len = len;
		break;
	}
	*out = s;
	return 0;
}

void
ndiff_side_free(struct ndiff_side *s)
{
	if (s == NULL)
		return;
	free(s->text);
	nb_doc_free(s->doc);
	ipynb_free(s->ipynb);
	free(s->cells);
	free(s->meta);
	free(s->idtab);
	free(s);
}

enum ndiff_format
ndiff_side_format(const struct ndiff_side *s)
{
	return s->format;
}

const struct ndiff_cell *
ndiff_side_cells(const struct ndiff_side *s, size_t *n)
{
	*n = s->ncells;
	return s->cells;
}

struct nb_doc *
ndiff_side_doc(const struct ndiff_side *s)
{
	return s->doc;
}

const char *
ndiff_side_text(const struct ndiff_side *s, size_t *len)
{
	if (len != NULL)
		*len = s->len;
	return s->text;
}

/* A side of format f with no cells and no text (a missing file). */
static struct ndiff_side *
side_empty(enum ndiff_format f)
{
	struct ndiff_side	*s = xcalloc(1, sizeof *s);

	s->format = f;
	s->text = xstrdup("");
	return s;
}

/* ------------------------------------------------------------------ */
/* Line diffs                                                           */
/* ------------------------------------------------------------------ */

static struct ndiff_text *
text_diff(const char *a, size_t alen, const char *b, size_t blen,
    bool eol_optional)
{
	struct ndiff_text	*t = xcalloc(1, sizeof *t);
	struct ldiff_lines	*v[2] = { &t->a, &t->b };

	ldiff_lines_init(&t->a, a, alen);
	ldiff_lines_init(&t->b, b, blen);
	t->a.eol_optional = t->b.eol_optional = eol_optional;
	ldiff_intern(v, 2);
	ldiff_seq(t->a.id, t->a.n, t->b.id, t->b.n, &t->ch, &t->nch);
	return t;
}

struct ndiff_text *
ndiff_text_new(const char *a, size_t alen, const char *b, size_t blen)
{
	return text_diff(a, alen, b, blen, true);
}

void
ndiff_text_free(struct ndiff_text *t)
{
	if (t == NULL)
		return;
	ldiff_lines_fini(&t->a);
	ldiff_lines_fini(&t->b);
	free(t->ch);
	free(t);
}

static size_t
count_lines(const char *p, size_t n)
{
	size_t	 lines = 0;

	for (size_t i = 0; i < n; i++)
		lines += p[i] == '\n';
	return lines + (n > 0 && p[n - 1] != '\n');
}

static void
text_count(const struct ndiff_text *t, struct ndiff_stats *st)
{
	for (size_t k = 0; k < t->nch; k++) {
		st->lines_removed += t->ch[k].alen;
		st->lines_added += t->ch[k].blen;
	}
}

/* Lines a and b share, against the longer one, is at least a half. */
static bool
lines_similar(const struct ndiff_cell *a, const struct ndiff_cell *b)
{
	struct ndiff_text	*t;
	size_t			 na, nb, gone = 0, longer;
	bool			 yes;

	if (a->srclen == 0 && b->srclen == 0)
		return true;
	t = ndiff_text_new(a->src, a->srclen, b->src, b->srclen);
	na = t->a.n;
	nb = t->b.n;
	for (size_t k = 0; k < t->nch; k++)
		gone += t->ch[k].alen;
	longer = na > nb ? na : nb;
	yes = longer > 0 && (na - gone) * 2 >= longer;
	ndiff_text_free(t);
	return yes;
}

/* ------------------------------------------------------------------ */
/* Matching                                                             */
/* ------------------------------------------------------------------ */

static bool
pairable(const struct ndiff_cell *a, const struct ndiff_cell *b)
{
	return !(a->id_given && b->id_given) && a->header == b->header;
}

static bool
same_bytes(const char *a, size_t alen, const char *b, size_t blen)
{
	return alen == blen && (alen == 0 || memcmp(a, b, alen) == 0);
}

/* Content ids (kind + source) for the candidate cells of both sides. */
static void
content_ids(const struct ndiff_cell *a, const size_t *ca, size_t nca,
    const struct ndiff_cell *b, const size_t *cb, size_t ncb, uint32_t *ia,
    uint32_t *ib)
{
	struct slot {
		uint64_t			 h;
		const struct ndiff_cell		*c;
		uint32_t			 id;
	}		*tab;
	size_t		 cap = 16;
	uint32_t	 next = 1;

	while (cap < (nca + ncb) * 2)
		cap <<= 1;
	tab = xcalloc(cap, sizeof *tab);
	for (size_t side = 0; side < 2; side++) {
		const struct ndiff_cell	*v = side == 0 ? a : b;
		const size_t		*cand = side == 0 ? ca : cb;
		size_t			 n = side == 0 ? nca : ncb;
		uint32_t		*ids = side == 0 ? ia : ib;

		for (size_t k = 0; k < n; k++) {
			const struct ndiff_cell	*c = &v[cand[k]];
			uint64_t		 h;
			size_t			 i;

			h = ldiff_hash(c->src, c->srclen) ^
			    ldiff_hash(c->kind, strlen(c->kind));
			for (i = (size_t)h & (cap - 1);; i = (i + 1) &
			    (cap - 1)) {
				if (tab[i].id == 0) {
					tab[i] = (struct slot){ h, c, next++ };
					break;
				}
				if (tab[i].h == h &&
				    strcmp(tab[i].c->kind, c->kind) == 0 &&
				    same_bytes(tab[i].c->src, tab[i].c->srclen,
				    c->src, c->srclen))
					break;
			}
			ids[k] = tab[i].id;
		}
	}
	free(tab);
}

static void
match_by_content(const struct ndiff_cell *a, size_t na,
    const struct ndiff_cell *b, size_t nb, size_t *map, size_t *rev)
{
	size_t			*ca = xmalloc((na + 1) * sizeof *ca);
	size_t			*cb = xmalloc((nb + 1) * sizeof *cb);
	uint32_t		*ia, *ib;
	struct ldiff_change	*ch = NULL;
	size_t			 nca = 0, ncb = 0, nch = 0;

	for (size_t i = 0; i < na; i++)
		if (map[i] == NONE)
			ca[nca++] = i;
	for (size_t j = 0; j < nb; j++)
		if (rev[j] == NONE)
			cb[ncb++] = j;
	if (nca == 0 || ncb == 0)
		goto out0;
	ia = xmalloc(nca * sizeof *ia);
	ib = xmalloc(ncb * sizeof *ib);
	content_ids(a, ca, nca, b, cb, ncb, ia, ib);
	ldiff_seq(ia, nca, ib, ncb, &ch, &nch);

	/* Equal cells the diff kept, in order. */
	for (size_t k = 0, x = 0, y = 0; k <= nch; k++) {
		size_t	 upto = k < nch ? ch[k].a0 : nca;

		for (; x < upto; x++, y++)
			if (pairable(&a[ca[x]], &b[cb[y]])) {
				map[ca[x]] = cb[y];
				rev[cb[y]] = ca[x];
			}
		if (k < nch) {
			x += ch[k].alen;
			y += ch[k].blen;
		}
	}
	/* Equal cells that moved: first come, first paired. */
	for (size_t x = 0; x < nca; x++) {
		if (map[ca[x]] != NONE)
			continue;
		for (size_t y = 0; y < ncb; y++)
			if (rev[cb[y]] == NONE && ia[x] == ib[y] &&
			    pairable(&a[ca[x]], &b[cb[y]])) {
				map[ca[x]] = cb[y];
				rev[cb[y]] = ca[x];
				break;
			}
		/* Quadratic only in cells with no written id that moved
		 * or changed: few in practice, and bounded below. */
	}
	/* Cells edited in place: inside each replaced block. */
	for (size_t k = 0; k < nch; k++) {
		size_t	 la = 0, lb = 0, x1 = NONE, y1 = NONE, ylast;

		for (size_t x = ch[k].a0; x < ch[k].a0 + ch[k].alen; x++)
			if (map[ca[x]] == NONE) {
				la++;
				x1 = x;
			}
		for (size_t y = ch[k].b0; y < ch[k].b0 + ch[k].blen; y++)
			if (rev[cb[y]] == NONE) {
				lb++;
				y1 = y;
			}
		if (la == 1 && lb == 1) {
			const struct ndiff_cell	*p = &a[ca[x1]];
			const struct ndiff_cell	*q = &b[cb[y1]];

			if (pairable(p, q) && strcmp(p->kind, q->kind) == 0) {
				map[ca[x1]] = cb[y1];
				rev[cb[y1]] = ca[x1];
			}
			continue;
		}
		ylast = ch[k].b0;
		for (size_t x = ch[k].a0; x < ch[k].a0 + ch[k].alen; x++) {
			size_t	 scanned = 0;

			if (map[ca[x]] != NONE)
				continue;
			for (size_t y = ylast; y < ch[k].b0 + ch[k].blen &&
			    scanned < SIMILAR_SCAN; y++) {
				const struct ndiff_cell	*p = &a[ca[x]];
				const struct ndiff_cell	*q = &b[cb[y]];

				if (rev[cb[y]] != NONE)
					continue;
				scanned++;
				if (pairable(p, q) &&
				    strcmp(p->kind, q->kind) == 0 &&
				    lines_similar(p, q)) {
					map[ca[x]] = cb[y];
					rev[cb[y]] = ca[x];
					ylast = y + 1;
					break;
				}
			}
		}
	}
	free(ch);
	free(ia);
	free(ib);
out0:
	free(ca);
	free(cb);
}

void
ndiff_match(const struct ndiff_cell *a, size_t na, const struct ndiff_cell *b,
    size_t nb, size_t *map)
{
	size_t	*rev = xmalloc((nb + 1) * sizeof *rev);
	size_t	 cap = 16, mask, bheader = NONE;
	uint32_t *tab;

	for (size_t i = 0; i < na; i++)
		map[i] = NONE;
	for (size_t j = 0; j < nb; j++)
		rev[j] = NONE;

	/* By written id (and header with header). */
	while (cap < nb * 2)
		cap <<= 1;
	mask = cap - 1;
	tab = xcalloc(cap, sizeof *tab);
	for (size_t j = 0; j < nb; j++) {
		size_t	 h;

		if (b[j].header)
			bheader = j;
		if (!b[j].id_given)
			continue;
		h = (size_t)ldiff_hash(b[j].id, strlen(b[j].id));
		while (tab[h & mask] != 0)
			h++;
		tab[h & mask] = (uint32_t)j + 1;
	}
	for (size_t i = 0; i < na; i++) {
		size_t	 h;

		if (a[i].header) {
			if (bheader != NONE && rev[bheader] == NONE) {
				map[i] = bheader;
				rev[bheader] = i;
			}
			continue;
		}
		if (!a[i].id_given)
			continue;
		h = (size_t)ldiff_hash(a[i].id, strlen(a[i].id));
		for (;; h++) {
			uint32_t	 k = tab[h & mask];

			if (k == 0)
				break;
			if (strcmp(b[k - 1].id, a[i].id) == 0) {
				if (rev[k - 1] == NONE) {
					map[i] = k - 1;
					rev[k - 1] = i;
				}
				break;
			}
		}
	}
	free(tab);
	match_by_content(a, na, b, nb, map, rev);
	free(rev);
}

/* ------------------------------------------------------------------ */
/* Comparing a pair                                                     */
/* ------------------------------------------------------------------ */

static const char *
meta_get(const struct ndiff_meta *m, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(m[i].key, key) == 0)
			return m[i].json;
	return NULL;
}

bool
ndiff_json_same(const char *x, const char *y)
{
	json_t	*a, *b;
	bool	 same;

	if (x == NULL || y == NULL)
		return x == y;
	if (strcmp(x, y) == 0)
		return true;
	a = json_loads(x, JSON_DECODE_ANY, NULL);
	b = json_loads(y, JSON_DECODE_ANY, NULL);
	same = a != NULL && b != NULL && json_equal(a, b);
	json_decref(a);
	json_decref(b);
	return same;
}

/* Metadata keys that differ between two lists; *out caller frees. */
static size_t
meta_diff(const struct ndiff_meta *a, size_t na, const struct ndiff_meta *b,
    size_t nb, struct ndiff_metachange **out)
{
	size_t	 n = 0;

	*out = NULL;
	for (size_t i = 0; i < na; i++) {
		const char	*nj = meta_get(b, nb, a[i].key);

		if (ndiff_json_same(a[i].json, nj))
			continue;
		*out = xrealloc(*out, (n + 1) * sizeof **out);
		(*out)[n++] = (struct ndiff_metachange){ a[i].key, a[i].json,
		    nj };
	}
	for (size_t j = 0; j < nb; j++) {
		if (meta_get(a, na, b[j].key) != NULL)
			continue;
		*out = xrealloc(*out, (n + 1) * sizeof **out);
		(*out)[n++] = (struct ndiff_metachange){ b[j].key, NULL,
		    b[j].json };
	}
	return n;
}

static bool
meta_equal(const struct ndiff_cell *a, const struct ndiff_cell *b)
{
	if (a->nmeta != b->nmeta)
		return false;
	for (size_t i = 0; i < a->nmeta; i++)
		if (!ndiff_json_same(a->meta[i].json,
		    meta_get(b->meta, b->nmeta, a->meta[i].key)))
			return false;
	return true;
}

bool
ndiff_cell_differs(const struct ndiff_cell *a, const struct ndiff_cell *b)
{
	return !same_bytes(a->src, a->srclen, b->src, b->srclen) ||
	    strcmp(a->kind, b->kind) != 0 || strcmp(a->title, b->title) != 0 ||
	    !same_bytes(a->outputs != NULL ? a->outputs : "", a->outlen,
	    b->outputs != NULL ? b->outputs : "", b->outlen) ||
	    !meta_equal(a, b);
}

static void
compare_pair(struct ndiff_cellchange *c)
{
	const struct ndiff_cell	*a = c->old, *b = c->new;

	c->src_changed = !same_bytes(a->src, a->srclen, b->src, b->srclen);
	c->kind_changed = strcmp(a->kind, b->kind) != 0;
	c->title_changed = strcmp(a->title, b->title) != 0;
	c->outputs_changed = !same_bytes(a->outputs != NULL ? a->outputs : "",
	    a->outlen, b->outputs != NULL ? b->outputs : "", b->outlen);
	if (!meta_equal(a, b))
		c->nmeta = meta_diff(a->meta, a->nmeta, b->meta, b->nmeta,
		    &c->meta);
	if (c->src_changed)
		c->src = ndiff_text_new(a->src, a->srclen, b->src, b->srclen);
	if (c->outputs_changed)
		c->out = ndiff_text_new(a->outputs != NULL ? a->outputs : "",
		    a->outlen, b->outputs != NULL ? b->outputs : "", b->outlen);
	if (c->src_changed || c->kind_changed || c->title_changed ||
	    c->outputs_changed || c->nmeta > 0)
		c->status = NDIFF_MODIFIED;
	else
		c->status = c->moved ? NDIFF_MOVED : NDIFF_UNCHANGED;
}

/* ------------------------------------------------------------------ */
/* The notebook diff                                                    */
/* ------------------------------------------------------------------ */

/* A longest increasing subsequence of map[] (patience sorting). */
void
ndiff_stayers(const size_t *map, size_t na, bool *in_place)
{
	gl_lis(map, na, NONE, in_place);
}

static struct ndiff_cellchange
removed(const struct ndiff_cell *a, size_t i)
{
	return (struct ndiff_cellchange){ .status = NDIFF_REMOVED,
	    .old = &a[i], .old_index = i, .new_index = NONE };
}

static void
diff_cells(struct ndiff *d)
{
	const struct ndiff_side	*sa = d->sides[0], *sb = d->sides[1];
	const struct ndiff_cell	*a = sa->cells, *b = sb->cells;
	size_t			 na = sa->ncells, nb = sb->ncells, n = 0;
	size_t			*map = xmalloc((na + 1) * sizeof *map);
	size_t			*rev = xmalloc((nb + 1) * sizeof *rev);
	bool			*stay = xmalloc(na + 1);

	ndiff_match(a, na, b, nb, map);
	for (size_t j = 0; j < nb; j++)
		rev[j] = NONE;
	for (size_t i = 0; i < na; i++)
		if (map[i] != NONE)
			rev[map[i]] = i;
	ndiff_stayers(map, na, stay);
	d->cells = xcalloc(na + nb + 1, sizeof *d->cells);

	/* Removed cells before the first cell that stayed in place. */
	for (size_t r = 0; r < na && !stay[r]; r++)
		if (map[r] == NONE)
			d->cells[n++] = removed(a, r);
	for (size_t j = 0; j < nb; j++) {
		size_t	 i = rev[j];

		if (i == NONE) {
			d->cells[n++] = (struct ndiff_cellchange){
			    .status = NDIFF_ADDED, .new = &b[j],
			    .old_index = NONE, .new_index = j };
			continue;
		}
		d->cells[n] = (struct ndiff_cellchange){ .old = &a[i],
		    .new = &b[j], .old_index = i, .new_index = j,
		    .moved = !stay[i] };
		compare_pair(&d->cells[n]);
		n++;
		if (!stay[i])
			continue;
		/* Removed cells right after the one that stayed, up to
		 * the next that stayed. */
		for (size_t r = i + 1; r < na && !stay[r]; r++)
			if (map[r] == NONE)
				d->cells[n++] = removed(a, r);
	}
	d->ncells = n;
	for (size_t k = 0; k < n; k++) {
		struct ndiff_cellchange	*c = &d->cells[k];

		switch (c->status) {
		case NDIFF_UNCHANGED:
			d->stats.unchanged++;
			break;
		case NDIFF_ADDED:
			d->stats.added++;
			d->stats.lines_added += count_lines(c->new->src,
			    c->new->srclen);
			break;
		case NDIFF_REMOVED:
			d->stats.removed++;
			d->stats.lines_removed += count_lines(
			    c->old->src, c->old->srclen);
			break;
		case NDIFF_MOVED:
			d->stats.moved++;
			break;
		case NDIFF_MODIFIED:
			d->stats.modified++;
			if (c->src != NULL)
				text_count(c->src, &d->stats);
			break;
		}
	}
	d->nmeta = meta_diff(sa->nbmeta, sa->nnbmeta, sb->nbmeta, sb->nnbmeta,
	    &d->meta);
	free(map);
	free(rev);
	free(stay);
}

int
ndiff_new(const char *old_path, const char *a, size_t alen,
    const char *new_path, const char *b, size_t blen, struct ndiff **out,
    struct gl_err *err)
{
	struct ndiff	*d;
	const char	*paths[2] = { old_path, new_path };
	const char	*texts[2] = { a, b };
	size_t		 lens[2] = { alen, blen };
	enum ndiff_format f;

	*out = NULL;
	if ((a == NULL && b == NULL) || (a != NULL && old_path == NULL) ||
	    (b != NULL && new_path == NULL))
		return gl_err_set(err, GL_EINVAL, "ndiff_new: a side needs "
		    "a path, and one side must exist");
	d = xcalloc(1, sizeof *d);
	d->old_path = a != NULL ? xstrdup(old_path) : NULL;
	d->new_path = b != NULL ? xstrdup(new_path) : NULL;
	f = ndiff_format_of(b != NULL ? new_path : old_path);
	for (int k = 0; k < 2; k++) {
		struct gl_err	 e;

		if (texts[k] == NULL)
			continue;
		if (ndiff_side_new(paths[k], texts[k], lens[k], &d->sides[k],
		    &e) != 0) {
			/* Unparseable: compare as text, and say why. */
			if (d->warning == NULL)
				d->warning = xasprintf("%s; compared as text",
				    e.msg);
			f = NDIFF_TEXT;
		} else if (d->sides[k]->format == NDIFF_BINARY)
			f = NDIFF_BINARY;
		else if (d->sides[k]->format != f && f != NDIFF_BINARY)
			f = NDIFF_TEXT;	/* a renamed notebook.txt, say */
	}
	/* Every side as the common format. */
	for (int k = 0; k < 2; k++) {
		struct ndiff_side	*s = d->sides[k];

		if (texts[k] == NULL) {
			d->sides[k] = side_empty(f);
			continue;
		}
		if (s != NULL && s->format == f)
			continue;
		ndiff_side_free(s);
		d->sides[k] = xcalloc(1, sizeof *s);
		d->sides[k]->format = f;
		d->sides[k]->text = xmalloc(lens[k] + 1);
		memcpy(d->sides[k]->text, texts[k], lens[k]);
		d->sides[k]->text[lens[k]] = '\0';
		d->sides[k]->len = lens[k];
	}
	d->format = f;
	switch (f) {
	case NDIFF_NOTEBOOK:
	case NDIFF_IPYNB:
		diff_cells(d);
		break;
	case NDIFF_TEXT:
		/* A file's missing final newline is a change, as in git. */
		d->text = text_diff(d->sides[0]->text, d->sides[0]->len,
		    d->sides[1]->text, d->sides[1]->len, false);
		text_count(d->text, &d->stats);
		break;
	case NDIFF_BINARY:
		break;
	}
	*out = d;
	return 0;
}

void
ndiff_free(struct ndiff *d)
{
	if (d == NULL)
		return;
	for (size_t k = 0; k < d->ncells; k++) {
		free(d->cells[k].meta);
		ndiff_text_free(d->cells[k].src);
		ndiff_text_free(d->cells[k].out);
	}
	free(d->cells);
	free(d->meta);
	ndiff_text_free(d->text);
	ndiff_side_free(d->sides[0]);
	ndiff_side_free(d->sides[1]);
	free(d->old_path);
	free(d->new_path);
	free(d->warning);
	free(d);
}

bool
ndiff_empty(const struct ndiff *d)
{
	switch (d->format) {
	case NDIFF_NOTEBOOK:
	case NDIFF_IPYNB:
		return d->stats.added + d->stats.removed + d->stats.moved +
		    d->stats.modified + d->nmeta == 0;
	case NDIFF_TEXT:
		return d->text->nch == 0;
	case NDIFF_BINARY:
		return same_bytes(d->sides[0]->text, d->sides[0]->len,
		    d->sides[1]->text, d->sides[1]->len);
	}
	return true;
}

/*
 * ldiff.c - sequence diff (see ldiff.h).
 *
 * Algorithm: Myers, "An O(ND) Difference Algorithm and Its Variations"
 * (1986), in its linear-space form. compare() strips the common prefix
 * and suffix of a[xoff, xlim) and b[yoff, ylim), and if both are still
 * non-empty asks split() for a point (x, y) on a shortest edit path, then
 * recurses on the two halves, left first, so changes come out in order.
 *
 * split() runs the greedy search from both ends at once. fd[k] is the
 * furthest x a forward path with c edits reaches on diagonal k = x - y;
 * bd[k] the smallest x a backward path with c edits reaches. When the
 * two searches overlap on a diagonal, the overlap point lies on a
 * shortest path and splits the edits about in half (forward first when
 * the distance is odd, backward when even, per the paper's lemma 3).
 *
 * Invariants:
 * - Diagonals outside [xoff - ylim, xlim - yoff] are never read without
 *   a sentinel: fd gets -1 and bd gets PTRDIFF_MAX just past the live
 *   range, so "the better neighbour" never comes from outside.
 * - Each recursion gets a strictly smaller box. A split that would not
 *   shrink it (only possible when the work bound cut the search) makes
 *   the whole box one change instead: correct, only not minimal.
 * - The work bound: after TOO_EXPENSIVE rounds (grown with the square
 *   root of the input, as GNU diff does) split() takes the furthest
 *   point either search reached. Output stays a valid edit script.
 *
 * Lines are compared as integers: ldiff_intern() gives equal lines equal
 * ids through one hash table, so the search never touches line bytes.
 * Words use the same search over token ids.
 */
#include "review/ldiff.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"

struct myers {
	const uint32_t		*a, *b;
	ptrdiff_t		*fd, *bd;	/* indexed by diagonal */
	ptrdiff_t		 too_expensive;
	struct ldiff_change	*v;
	size_t			 n, cap;
};

static void
add_change(struct myers *m, size_t a0, size_t alen, size_t b0, size_t blen)
{
	struct ldiff_change	*last = m->n > 0 ? &m->v[m->n - 1] : NULL;

	if (alen == 0 && blen == 0)
		return;
	/* Touching the previous change: one change. */
	if (last != NULL && last->a0 + last->alen == a0 &&
	    last->b0 + last->blen == b0) {
		last->alen += alen;
		last->blen += blen;
		return;
	}
	if (m->n == m->cap) {
		m->cap = m->cap ? m->cap * 2 : 16;
		m->v = xrealloc(m->v, m->cap * sizeof *m->v);
	}
	m->v[m->n++] = (struct ldiff_change){ a0, alen, b0, blen };
}

/*
 * A point (*xm, *ym) on a shortest (or, past the work bound, a good)
 * edit path from (xoff, yoff) to (xlim, ylim). Both ranges are non-empty
 * and share neither their first nor their last element.
 */
static void
split(struct myers *m, ptrdiff_t xoff, ptrdiff_t xlim, ptrdiff_t yoff,
    ptrdiff_t ylim, ptrdiff_t *xm, ptrdiff_t *ym)
{
	const uint32_t	*a = m->a, *b = m->b;
	ptrdiff_t	*fd = m->fd, *bd = m->bd;
	ptrdiff_t	 dmin = xoff - ylim, dmax = xlim - yoff;
	ptrdiff_t	 fmid = xoff - yoff, bmid = xlim - ylim;
	ptrdiff_t	 fmin = fmid, fmax = fmid, bmin = bmid, bmax = bmid;
	bool		 odd = ((fmid - bmid) & 1) != 0;

	fd[fmid] = xoff;
	bd[bmid] = xlim;
	for (ptrdiff_t c = 1;; c++) {
		ptrdiff_t	 d;

		/* One more edit forward. */
		if (fmin > dmin)
			fd[--fmin - 1] = -1;
		else
			++fmin;
		if (fmax < dmax)
			fd[++fmax + 1] = -1;
		else
			--fmax;
		for (d = fmax; d >= fmin; d -= 2) {
			ptrdiff_t	 lo = fd[d - 1], hi = fd[d + 1];
			ptrdiff_t	 x = lo >= hi ? lo + 1 : hi, y = x - d;

			while (x < xlim && y < ylim && a[x] == b[y]) {
				x++;
				y++;
			}
			fd[d] = x;
			if (odd && bmin <= d && d <= bmax && bd[d] <= x) {
				*xm = x;
				*ym = y;
				return;
			}
		}

		/* One more edit backward. */
		if (bmin > dmin)
			bd[--bmin - 1] = PTRDIFF_MAX;
		else
			++bmin;
		if (bmax < dmax)
			bd[++bmax + 1] = PTRDIFF_MAX;
		else
			--bmax;
		for (d = bmax; d >= bmin; d -= 2) {
			ptrdiff_t	 lo = bd[d - 1], hi = bd[d + 1];
			ptrdiff_t	 x = lo < hi ? lo : hi - 1, y = x - d;

			while (x > xoff && y > yoff && a[x - 1] == b[y - 1]) {
				x--;
				y--;
			}
			bd[d] = x;
			if (!odd && fmin <= d && d <= fmax && x <= fd[d]) {
				*xm = x;
				*ym = y;
				return;
			}
		}

		if (c < m->too_expensive)
			continue;
		/* Past the bound: the point furthest along either way. */
		{
			ptrdiff_t	 best = -1, fx = xoff, fy = yoff;
			ptrdiff_t	 bx = xlim, by = ylim;
			ptrdiff_t	 bbest = PTRDIFF_MAX;

			for (d = fmax; d >= fmin; d -= 2) {
				ptrdiff_t x = fd[d] < xlim ? fd[d] : xlim;
				ptrdiff_t y = x - d;

				if (y > ylim) {
					y = ylim;
					x = y + d;
				}
				if (x + y > best) {
					best = x + y;
					fx = x;
					fy = y;
				}
			}
			for (d = bmax; d >= bmin; d -= 2) {
				ptrdiff_t x = bd[d] > xoff ? bd[d] : xoff;
				ptrdiff_t y = x - d;

				if (y < yoff) {
					y = yoff;
					x = y + d;
				}
				if (x + y < bbest) {
					bbest = x + y;
					bx = x;
					by = y;
				}
			}
			if ((xlim + ylim) - bbest < best - (xoff + yoff)) {
				*xm = fx;
				*ym = fy;
			} else {
				*xm = bx;
				*ym = by;
			}
			return;
		}
	}
}

static void
compare(struct myers *m, ptrdiff_t xoff, ptrdiff_t xlim, ptrdiff_t yoff,
    ptrdiff_t ylim)
{
	const uint32_t	*a = m->a, *b = m->b;
	ptrdiff_t	 xm, ym;

	while (xoff < xlim && yoff < ylim && a[xoff] == b[yoff]) {
		xoff++;
		yoff++;
	}
	while (xoff < xlim && yoff < ylim && a[xlim - 1] == b[ylim - 1]) {
		xlim--;
		ylim--;
	}
	if (xoff == xlim || yoff == ylim) {
		add_change(m, (size_t)xoff, (size_t)(xlim - xoff),
		    (size_t)yoff, (size_t)(ylim - yoff));
		return;
	}
	split(m, xoff, xlim, yoff, ylim, &xm, &ym);
	if (xm < xoff || xm > xlim || ym < yoff || ym > ylim ||
	    (xm == xoff && ym == yoff) || (xm == xlim && ym == ylim)) {
		/* No progress (the work bound cut in): one change. */
		add_change(m, (size_t)xoff, (size_t)(xlim - xoff),
		    (size_t)yoff, (size_t)(ylim - yoff));
		return;
	}
	compare(m, xoff, xm, yoff, ym);
	compare(m, xm, xlim, ym, ylim);
}

void
ldiff_seq(const uint32_t *a, size_t na, const uint32_t *b, size_t nb,
    struct ldiff_change **out, size_t *nout)
{
	struct myers	 m;
	size_t		 diags = na + nb + 3;
	ptrdiff_t	*fbuf, *bbuf;
	ptrdiff_t	 te = 1;

	memset(&m, 0, sizeof m);
	m.a = a;
	m.b = b;
	/* About the square root of the diagonals, at least 256: the work
	 * stays near O((N + M) * sqrt(N + M)) on hopeless inputs. */
	for (size_t d = diags; d != 0; d >>= 2)
		te <<= 1;
	m.too_expensive = te < 256 ? 256 : te;
	fbuf = xmalloc(diags * sizeof *fbuf);
	bbuf = xmalloc(diags * sizeof *bbuf);
	/* Diagonal k lives at index k + nb + 1. */
	m.fd = fbuf + nb + 1;
	m.bd = bbuf + nb + 1;
	compare(&m, 0, (ptrdiff_t)na, 0, (ptrdiff_t)nb);
	free(fbuf);
	free(bbuf);
	*out = m.v;
	*nout = m.n;
}

/* ------------------------------------------------------------------ */
/* Lines                                                                */
/* ------------------------------------------------------------------ */

void
ldiff_lines_init(struct ldiff_lines *l, const char *text, size_t len)
{
	size_t	 n = 0, cap = 16;

	memset(l, 0, sizeof *l);
	l->text = text;
	l->start = xmalloc(cap * sizeof *l->start);
	l->start[0] = 0;
	for (size_t pos = 0; pos < len;) {
		const char	*nl = memchr(text + pos, '\n', len - pos);
		size_t		 end = nl != NULL ? (size_t)(nl - text) + 1 :
		    len;

		if (n + 2 > cap) {
			cap *= 2;
			l->start = xrealloc(l->start, cap * sizeof *l->start);
		}
		l->start[++n] = end;
		pos = end;
	}
	l->n = n;
}

void
ldiff_lines_fini(struct ldiff_lines *l)
{
	free(l->start);
	free(l->id);
	memset(l, 0, sizeof *l);
}

const char *
ldiff_line(const struct ldiff_lines *l, size_t i, size_t *len)
{
	size_t	 s = l->start[i], e = l->start[i + 1];

	if (e > s && l->text[e - 1] == '\n') {
		e--;
		if (e > s && l->text[e - 1] == '\r')
			e--;
	}
	*len = e - s;
	return l->text + s;
}

int
ldiff_line_has_eol(const struct ldiff_lines *l, size_t i)
{
	size_t	 e = l->start[i + 1];

	return e > l->start[i] && l->text[e - 1] == '\n';
}

uint64_t
ldiff_hash(const void *p, size_t n)
{
	const unsigned char	*s = p;
	uint64_t		 h = 0x9e3779b97f4a7c15ull ^
	    (n * 0xff51afd7ed558ccdull);

	while (n >= 8) {
		uint64_t	 w;

		memcpy(&w, s, 8);
		h = (h ^ w) * 0xc6a4a7935bd1e995ull;
		h ^= h >> 47;
		s += 8;
		n -= 8;
	}
	if (n > 0) {
		uint64_t	 w = 0;

		memcpy(&w, s, n);
		h = (h ^ w) * 0xc6a4a7935bd1e995ull;
		h ^= h >> 47;
	}
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	return h;
}

/* An interning table: (bytes) -> small integer. */
struct itab {
	struct islot {
		uint64_t	 h;
		const char	*p;
		size_t		 n;
		uint32_t	 id;	/* 0: empty */
	}		*slot;
	size_t		 mask;
	uint32_t	 next;
};

static void
itab_init(struct itab *t, size_t items)
{
	size_t	 cap = 16;

	while (cap < items * 2)
		cap <<= 1;
	t->slot = xcalloc(cap, sizeof *t->slot);
	t->mask = cap - 1;
	t->next = 1;
}

static uint32_t
itab_get(struct itab *t, const char *p, size_t n)
{
	uint64_t	 h = ldiff_hash(p, n);

	for (size_t i = (size_t)h & t->mask;; i = (i + 1) & t->mask) {
		struct islot	*s = &t->slot[i];

		if (s->id == 0) {
			*s = (struct islot){ h, p, n, t->next++ };
			return s->id;
		}
		if (s->h == h && s->n == n && memcmp(s->p, p, n) == 0)
			return s->id;
	}
}

void
ldiff_intern(struct ldiff_lines *const *v, size_t n)
{
	struct itab	 t;
	size_t		 total = 0;
	char		**lasts;

	for (size_t k = 0; k < n; k++)
		total += v[k]->n;
	itab_init(&t, total);
	/* Last lines given their newline live here until the table goes. */
	lasts = xcalloc(n > 0 ? n : 1, sizeof *lasts);
	for (size_t k = 0; k < n; k++) {
		struct ldiff_lines	*l = v[k];

		free(l->id);
		l->id = xmalloc((l->n > 0 ? l->n : 1) * sizeof *l->id);
		for (size_t i = 0; i < l->n; i++) {
			const char	*p = l->text + l->start[i];
			size_t		 len = l->start[i + 1] - l->start[i];

			if (l->eol_optional && i + 1 == l->n &&
			    !ldiff_line_has_eol(l, i)) {
				lasts[k] = xmalloc(len + 1);
				memcpy(lasts[k], p, len);
				lasts[k][len++] = '\n';
				p = lasts[k];
			}
			l->id[i] = itab_get(&t, p, len);
		}
	}
	for (size_t k = 0; k < n; k++)
		free(lasts[k]);
	free(lasts);
	free(t.slot);
}

/* ------------------------------------------------------------------ */
/* Words                                                                */
/* ------------------------------------------------------------------ */

static bool
is_word_byte(unsigned char c)
{
	return c == '_' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z') || c >= 0x80;
}

static bool
is_blank(unsigned char c)
{
	return c == ' ' || c == '\t';
}

/* Token boundaries of s: tok[i] is where token i starts; tok[n] = len. */
static size_t
tokenize(const char *s, size_t len, size_t **tok)
{
	size_t	 n = 0;

	*tok = xmalloc((len + 1) * sizeof **tok);
	for (size_t i = 0; i < len;) {
		unsigned char	 c = (unsigned char)s[i];

		(*tok)[n++] = i++;
		if (is_word_byte(c))
			while (i < len && is_word_byte((unsigned char)s[i]))
				i++;
		else if (is_blank(c))
			while (i < len && is_blank((unsigned char)s[i]))
				i++;
	}
	(*tok)[n] = len;
	return n;
}

static void
span_add(struct ldiff_span **v, size_t *n, size_t off, size_t len)
{
	if (len == 0)
		return;
	if (*n > 0 && (*v)[*n - 1].off + (*v)[*n - 1].len == off) {
		(*v)[*n - 1].len += (uint32_t)len;
		return;
	}
	*v = xrealloc(*v, (*n + 1) * sizeof **v);
	(*v)[(*n)++] = (struct ldiff_span){ (uint32_t)off, (uint32_t)len };
}

void
ldiff_words(const char *a, size_t alen, const char *b, size_t blen,
    struct ldiff_span **sa, size_t *nsa, struct ldiff_span **sb,
    size_t *nsb)
{
	struct itab		 t;
	struct ldiff_change	*ch = NULL;
	size_t			*ta, *tb, na, nb, nch = 0, same = 0;
	uint32_t		*ia, *ib;

	*sa = *sb = NULL;
	*nsa = *nsb = 0;
	na = tokenize(a, alen, &ta);
	nb = tokenize(b, blen, &tb);
	itab_init(&t, na + nb);
	ia = xmalloc((na + 1) * sizeof *ia);
	ib = xmalloc((nb + 1) * sizeof *ib);
	for (size_t i = 0; i < na; i++)
		ia[i] = itab_get(&t, a + ta[i], ta[i + 1] - ta[i]);
	for (size_t i = 0; i < nb; i++)
		ib[i] = itab_get(&t, b + tb[i], tb[i + 1] - tb[i]);
	ldiff_seq(ia, na, ib, nb, &ch, &nch);

	/* How many non-blank bytes of b survived: highlights help only
	 * when the lines share a fair part. */
	{
		size_t	 bi = 0, nonblank = 0;

		for (size_t k = 0; k <= nch; k++) {
			size_t	 upto = k < nch ? ch[k].b0 : nb;

			for (; bi < upto; bi++)
				if (!is_blank((unsigned char)b[tb[bi]]))
					same += tb[bi + 1] - tb[bi];
			if (k < nch)
				bi = ch[k].b0 + ch[k].blen;
		}
		for (size_t i = 0; i < blen; i++)
			nonblank += !is_blank((unsigned char)b[i]);
		for (size_t i = 0, an = 0; i < alen; i++)
			if (!is_blank((unsigned char)a[i]) && ++an > nonblank)
				nonblank = an;
		if (nonblank == 0 || same * 4 < nonblank)
			goto out;
	}
	for (size_t k = 0; k < nch; k++) {
		span_add(sa, nsa, ta[ch[k].a0],
		    ta[ch[k].a0 + ch[k].alen] - ta[ch[k].a0]);
		span_add(sb, nsb, tb[ch[k].b0],
		    tb[ch[k].b0 + ch[k].blen] - tb[ch[k].b0]);
	}
out:
	free(ch);
	free(ia);
	free(ib);
	free(ta);
	free(tb);
	free(t.slot);
}

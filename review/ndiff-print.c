/*
 * ndiff-print.c - a diff as text (for a terminal, with colour and word
 * highlights), as one --stat line, and as JSON (docs/git.md). Pure: a
 * struct ndiff in, bytes or a jansson tree out.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "core/util.h"
#include "review/ndiff.h"

#define NONE		((size_t)-1)
/* Lines longer than this get no word highlights (the search is not
 * worth it). */
#define WORDS_MAX	2000

#define C_RESET		"\033[m"
#define C_BOLD		"\033[1m"
#define C_DIM		"\033[2m"
#define C_RED		"\033[31m"
#define C_GREEN		"\033[32m"
#define C_YELLOW	"\033[33m"
#define C_BLUE		"\033[34m"
#define C_MAGENTA	"\033[35m"
#define C_CYAN		"\033[36m"
#define C_REV		"\033[7m"
#define C_NOREV		"\033[27m"

struct out {
	struct gl_buf	*b;
	bool		 color;
};

static void
col(struct out *o, const char *c)
{
	if (o->color)
		gl_buf_adds(o->b, c);
}

/* ------------------------------------------------------------------ */
/* Hunks                                                                */
/* ------------------------------------------------------------------ */

/* A run of changes close enough to print as one hunk: changes
 * [first, last] and the line ranges with context. */
struct hunk {
	size_t	 first, last;
	size_t	 a0, a1, b0, b1;	/* [a0, a1) of old, [b0, b1) of new */
};

/* Groups t's changes into hunks with ctx lines of context. *out caller
 * frees. */
static size_t
hunks_of(const struct ndiff_text *t, unsigned ctx, struct hunk **out)
{
	size_t	 n = 0;

	*out = xcalloc(t->nch > 0 ? t->nch : 1, sizeof **out);
	for (size_t k = 0; k < t->nch; k++) {
		const struct ldiff_change	*c = &t->ch[k];
		struct hunk			*h;

		if (n > 0 && c->a0 <= (*out)[n - 1].a1 + ctx) {
			h = &(*out)[n - 1];
			h->last = k;
		} else {
			h = &(*out)[n++];
			h->first = h->last = k;
			h->a0 = c->a0 > ctx ? c->a0 - ctx : 0;
			h->b0 = c->b0 - (c->a0 - h->a0);
		}
		h->a1 = c->a0 + c->alen + ctx;
		if (h->a1 > t->a.n)
			h->a1 = t->a.n;
		h->b1 = c->b0 + c->blen + (h->a1 - (c->a0 + c->alen));
		if (h->b1 > t->b.n)
			h->b1 = t->b.n;
	}
	return n;
}

/* Word spans of deleted line i of change c and its partner, if any. */
static void
words_for(const struct ndiff_text *t, const struct ldiff_change *c,
    size_t k, bool old, struct ldiff_span **spans, size_t *n)
{
	struct ldiff_span	*other = NULL;
	size_t			 nother = 0, la, lb;
	const char		*pa, *pb;

	*spans = NULL;
	*n = 0;
	if (k >= c->alen || k >= c->blen)
		return;
	pa = ldiff_line(&t->a, c->a0 + k, &la);
	pb = ldiff_line(&t->b, c->b0 + k, &lb);
	if (la > WORDS_MAX || lb > WORDS_MAX)
		return;
	if (old)
		ldiff_words(pa, la, pb, lb, spans, n, &other, &nother);
	else
		ldiff_words(pa, la, pb, lb, &other, &nother, spans, n);
	free(other);
}

/* One line of a hunk, as walk_hunk() hands it out: op ' ', '-' or '+',
 * the line's text, whether it ends in a newline, and the words that
 * changed (a changed line that pairs with one on the other side). */
typedef void (*hunk_line_fn)(void *arg, char op, const char *p, size_t len,
    bool eol, const struct ldiff_span *sp, size_t nsp);

/* Calls fn for every line of hunk h of t, in order. */
static void
walk_hunk(const struct ndiff_text *t, const struct hunk *h, hunk_line_fn fn,
    void *arg)
{
	size_t	 a = h->a0, len;

	for (size_t k = h->first; k <= h->last + 1; k++) {
		const struct ldiff_change *c = k <= h->last ? &t->ch[k] : NULL;
		size_t		 upto = c != NULL ? c->a0 : h->a1;
		const char	*p;

		for (; a < upto; a++) {
			p = ldiff_line(&t->a, a, &len);
			fn(arg, ' ', p, len, ldiff_line_has_eol(&t->a, a), NULL,
			    0);
		}
		if (c == NULL)
			break;
		for (int side = 0; side < 2; side++) {
			const struct ldiff_lines *l = side == 0 ? &t->a : &t->b;
			size_t		 first = side == 0 ? c->a0 : c->b0;
			size_t		 n = side == 0 ? c->alen : c->blen;

			for (size_t j = 0; j < n; j++) {
				struct ldiff_span	*sp;
				size_t			 nsp;

				words_for(t, c, j, side == 0, &sp, &nsp);
				p = ldiff_line(l, first + j, &len);
				fn(arg, side == 0 ? '-' : '+', p, len,
				    ldiff_line_has_eol(l, first + j), sp, nsp);
				free(sp);
			}
		}
		a += c->alen;
	}
}

static void
put_line(struct out *o, const char *indent, char op, const char *p,
    size_t len, const struct ldiff_span *sp, size_t nsp, bool eol)
{
	const char	*c = op == '-' ? C_RED : op == '+' ? C_GREEN : NULL;
	size_t		 at = 0;

	gl_buf_adds(o->b, indent);
	if (c != NULL)
		col(o, c);
	gl_buf_addc(o->b, op);
	for (size_t i = 0; i < nsp && o->color; i++) {
		gl_buf_add(o->b, p + at, sp[i].off - at);
		col(o, C_REV);
		gl_buf_add(o->b, p + sp[i].off, sp[i].len);
		col(o, C_NOREV);
		at = sp[i].off + sp[i].len;
	}
	gl_buf_add(o->b, p + at, len - at);
	if (c != NULL)
		col(o, C_RESET);
	gl_buf_addc(o->b, '\n');
	if (!eol) {
		gl_buf_adds(o->b, indent);
		gl_buf_adds(o->b, "\\ No newline at end of file\n");
	}
}

/* What put_hunk_line() needs. */
struct text_walk {
	struct out	*o;
	const char	*indent;
	bool		 eol_marks;	/* "\ No newline at end of file" */
};

static void
put_hunk_line(void *arg, char op, const char *p, size_t len, bool eol,
    const struct ldiff_span *sp, size_t nsp)
{
	struct text_walk	*w = arg;

	put_line(w->o, w->indent, op, p, len, sp, nsp, !w->eol_marks || eol);
}

static void
put_hunks(struct out *o, const struct ndiff_text *t, unsigned ctx,
    const char *indent, bool eol_marks)
{
	struct text_walk	 w = { o, indent, eol_marks };
	struct hunk		*h;
	size_t			 nh = hunks_of(t, ctx, &h);

	for (size_t i = 0; i < nh; i++) {
		gl_buf_adds(o->b, indent);
		col(o, C_CYAN);
		gl_buf_addf(o->b, "@@ -%zu,%zu +%zu,%zu @@",
		    h[i].a1 > h[i].a0 ? h[i].a0 + 1 : h[i].a0,
		    h[i].a1 - h[i].a0,
		    h[i].b1 > h[i].b0 ? h[i].b0 + 1 : h[i].b0,
		    h[i].b1 - h[i].b0);
		col(o, C_RESET);
		gl_buf_addc(o->b, '\n');
		walk_hunk(t, &h[i], put_hunk_line, &w);
	}
	free(h);
}

/* Every line of src behind op (an added or removed cell). */
static void
put_all(struct out *o, const char *indent, char op, const char *src,
    size_t len)
{
	struct ldiff_lines	 l;

	ldiff_lines_init(&l, src, len);
	for (size_t i = 0; i < l.n; i++) {
		size_t		 n;
		const char	*p = ldiff_line(&l, i, &n);

		put_line(o, indent, op, p, n, NULL, 0, true);
	}
	ldiff_lines_fini(&l);
}

/* ------------------------------------------------------------------ */
/* Text                                                                 */
/* ------------------------------------------------------------------ */

static void
put_cell_name(struct out *o, const struct ndiff_cell *c, size_t index)
{
	if (c->header)
		gl_buf_adds(o->b, "[header]");
	else if (c->id_given)
		gl_buf_addf(o->b, "[%s]", c->id);
	else
		gl_buf_addf(o->b, "(cell %zu, no id)", index + 1);
	gl_buf_addf(o->b, " %s", c->kind);
	if (*c->title != '\0')
		gl_buf_addf(o->b, " \"%s\"", c->title);
}

static void
put_json_value(struct gl_buf *b, const char *json)
{
	gl_buf_adds(b, json != NULL ? json : "(none)");
}

static void
put_meta(struct out *o, const char *indent, const struct ndiff_metachange *m,
    size_t n)
{
	for (size_t i = 0; i < n; i++) {
		gl_buf_addf(o->b, "%s", indent);
		col(o, C_YELLOW);
		gl_buf_addf(o->b, "%s: ", m[i].key);
		col(o, C_RESET);
		put_json_value(o->b, m[i].old_json);
		gl_buf_adds(o->b, " -> ");
		put_json_value(o->b, m[i].new_json);
		gl_buf_addc(o->b, '\n');
	}
}

static void
put_cell(struct out *o, const struct ndiff_cellchange *c, unsigned ctx)
{
	const struct ndiff_cell	*x = c->new != NULL ? c->new : c->old;
	size_t			 idx = c->new != NULL ? c->new_index :
	    c->old_index;

	switch (c->status) {
	case NDIFF_ADDED:
		col(o, C_GREEN);
		gl_buf_adds(o->b, "+ ");
		put_cell_name(o, x, idx);
		gl_buf_adds(o->b, ": added");
		col(o, C_RESET);
		gl_buf_addc(o->b, '\n');
		put_all(o, "  ", '+', x->src, x->srclen);
		break;
	case NDIFF_REMOVED:
		col(o, C_RED);
		gl_buf_adds(o->b, "- ");
		put_cell_name(o, x, idx);
		gl_buf_adds(o->b, ": removed");
		col(o, C_RESET);
		gl_buf_addc(o->b, '\n');
		put_all(o, "  ", '-', x->src, x->srclen);
		break;
	case NDIFF_MOVED:
	case NDIFF_MODIFIED:
	case NDIFF_UNCHANGED:
		col(o, c->status == NDIFF_MODIFIED ? C_YELLOW :
		    c->status == NDIFF_MOVED ? C_MAGENTA : C_DIM);
		gl_buf_adds(o->b, c->status == NDIFF_MODIFIED ? "~ " :
		    c->status == NDIFF_MOVED ? "> " : "  ");
		put_cell_name(o, x, idx);
		if (c->status == NDIFF_MODIFIED)
			gl_buf_adds(o->b, ": modified");
		if (c->moved)
			gl_buf_addf(o->b, "%s moved from cell %zu to %zu",
			    c->status == NDIFF_MODIFIED ? "," : ":",
			    c->old_index + 1, c->new_index + 1);
		col(o, C_RESET);
		gl_buf_addc(o->b, '\n');
		if (c->kind_changed)
			gl_buf_addf(o->b, "  kind: %s -> %s\n", c->old->kind,
			    c->new->kind);
		if (c->title_changed)
			gl_buf_addf(o->b, "  title: \"%s\" -> \"%s\"\n",
			    c->old->title, c->new->title);
		put_meta(o, "  ", c->meta, c->nmeta);
		if (c->src != NULL)
			put_hunks(o, c->src, ctx, "  ", false);
		if (c->out != NULL) {
			gl_buf_adds(o->b, "  outputs:\n");
			put_hunks(o, c->out, ctx, "  ", false);
		}
		break;
	}
}

static void
put_header(struct out *o, const struct ndiff *d)
{
	const char	*a = d->old_path != NULL ? d->old_path : d->new_path;
	const char	*b = d->new_path != NULL ? d->new_path : d->old_path;

	col(o, C_BOLD);
	gl_buf_addf(o->b, "diff --galley a/%s b/%s\n", a, b);
	if (d->old_path == NULL)
		gl_buf_adds(o->b, "new file\n");
	else if (d->new_path == NULL)
		gl_buf_adds(o->b, "deleted file\n");
	else if (strcmp(d->old_path, d->new_path) != 0)
		gl_buf_addf(o->b, "renamed from %s\n", d->old_path);
	col(o, C_RESET);
	if (d->warning != NULL)
		gl_buf_addf(o->b, "note: %s\n", d->warning);
}

void
ndiff_print_text(const struct ndiff *d, const struct ndiff_print *opt,
    struct gl_buf *b)
{
	struct out	 o = { b, opt != NULL && opt->color };
	unsigned	 ctx = opt != NULL ? opt->context : 3;
	size_t		 folded = 0;

	put_header(&o, d);
	switch (d->format) {
	case NDIFF_BINARY:
		gl_buf_addf(b, "Binary files %s%s and %s%s differ\n",
		    d->old_path != NULL ? "a/" : "", d->old_path != NULL ?
		    d->old_path : "/dev/null", d->new_path != NULL ? "b/" : "",
		    d->new_path != NULL ? d->new_path : "/dev/null");
		return;
	case NDIFF_TEXT:
		col(&o, C_BOLD);
		gl_buf_addf(b, "--- %s%s\n+++ %s%s\n",
		    d->old_path != NULL ? "a/" : "", d->old_path != NULL ?
		    d->old_path : "/dev/null", d->new_path != NULL ? "b/" : "",
		    d->new_path != NULL ? d->new_path : "/dev/null");
		col(&o, C_RESET);
		put_hunks(&o, d->text, ctx, "", true);
		return;
	case NDIFF_NOTEBOOK:
	case NDIFF_IPYNB:
		break;
	}
	if (d->nmeta > 0) {
		gl_buf_adds(b, "notebook metadata:\n");
		put_meta(&o, "  ", d->meta, d->nmeta);
	}
	for (size_t k = 0; k <= d->ncells; k++) {
		const struct ndiff_cellchange	*c = k < d->ncells ?
		    &d->cells[k] : NULL;
		bool				 show = c != NULL &&
		    (c->status != NDIFF_UNCHANGED || (opt != NULL &&
		    opt->want != NULL && opt->want(opt->arg, d, c)));

		if (c != NULL && !show) {
			folded++;
			continue;
		}
		if (folded > 0) {
			col(&o, C_DIM);
			gl_buf_addf(b, "  ... %zu unchanged cell%s\n", folded,
			    folded == 1 ? "" : "s");
			col(&o, C_RESET);
			folded = 0;
		}
		if (c == NULL)
			break;
		put_cell(&o, c, ctx);
		if (opt != NULL && opt->after != NULL)
			opt->after(opt->arg, d, c, b);
	}
}

void
ndiff_print_stat(const struct ndiff *d, bool color, struct gl_buf *b)
{
	struct out		 o = { b, color };
	const struct ndiff_stats *s = &d->stats;
	const char		*path = d->new_path != NULL ? d->new_path :
	    d->old_path;
	const char		*sep = "";

	gl_buf_addf(b, "%s | ", path);
	switch (d->format) {
	case NDIFF_BINARY:
		gl_buf_adds(b, "binary\n");
		return;
	case NDIFF_TEXT:
		break;
	case NDIFF_NOTEBOOK:
	case NDIFF_IPYNB:
		gl_buf_addf(b, "cells:");
#define STAT(n, word, c)						\
		if ((n) > 0) {						\
			gl_buf_adds(b, sep);				\
			col(&o, c);					\
			gl_buf_addf(b, " %zu %s", (size_t)(n), word);	\
			col(&o, C_RESET);				\
			sep = ",";					\
		}
		STAT(s->added, "added", C_GREEN)
		STAT(s->removed, "removed", C_RED)
		STAT(s->modified, "modified", C_YELLOW)
		STAT(s->moved, "moved", C_MAGENTA)
#undef STAT
		if (*sep == '\0')
			gl_buf_adds(b, " none changed");
		if (d->nmeta > 0)
			gl_buf_adds(b, ", notebook metadata");
		gl_buf_adds(b, "; ");
		break;
	}
	col(&o, C_GREEN);
	gl_buf_addf(b, "+%zu", s->lines_added);
	col(&o, C_RESET);
	gl_buf_adds(b, " ");
	col(&o, C_RED);
	gl_buf_addf(b, "-%zu", s->lines_removed);
	col(&o, C_RESET);
	gl_buf_adds(b, " lines\n");
}

/* ------------------------------------------------------------------ */
/* JSON                                                                 */
/* ------------------------------------------------------------------ */

/* A JSON string of p[0, n); bytes that are not UTF-8 become U+FFFD so
 * the output is always valid JSON. */
static json_t *
jstr(const char *p, size_t n)
{
	struct gl_buf	 b;
	json_t		*s;
	size_t		 bad;

	if ((s = json_stringn(p, n)) != NULL)
		return s;
	gl_buf_init(&b);
	while (n > 0 && !gl_utf8_valid(p, n, &bad)) {
		gl_buf_add(&b, p, bad);
		gl_buf_adds(&b, "\xef\xbf\xbd");
		p += bad + 1;
		n -= bad + 1;
	}
	gl_buf_add(&b, p, n);
	s = json_stringn(b.data != NULL ? b.data : "", b.len);
	gl_buf_fini(&b);
	return s != NULL ? s : json_string("");
}

static json_t *
json_spans(const struct ldiff_span *sp, size_t n)
{
	json_t	*a = json_array();

	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_pack("[ii]", (int)sp[i].off,
		    (int)sp[i].len));
	return a;
}

static void
json_line(json_t *lines, const char *op, const char *p, size_t n,
    const struct ldiff_span *sp, size_t nsp)
{
	json_t	*l = json_object();

	json_object_set_new(l, "op", json_string(op));
	json_object_set_new(l, "text", jstr(p, n));
	if (nsp > 0)
		json_object_set_new(l, "words", json_spans(sp, nsp));
	json_array_append_new(lines, l);
}

static void
json_hunk_line(void *arg, char op, const char *p, size_t len, bool eol,
    const struct ldiff_span *sp, size_t nsp)
{
	char	 ops[2] = { op, '\0' };

	json_line(arg, ops, p, len, sp, nsp);
}

static json_t *
json_hunks(const struct ndiff_text *t, unsigned ctx)
{
	struct hunk	*h;
	size_t		 nh = hunks_of(t, ctx, &h);
	json_t		*arr = json_array();

	for (size_t i = 0; i < nh; i++) {
		json_t	*lines = json_array();

		walk_hunk(t, &h[i], json_hunk_line, lines);
		json_array_append_new(arr, json_pack("{s:I,s:I,s:I,s:I,s:o}",
		    "old_start", (json_int_t)(h[i].a1 > h[i].a0 ?
		    h[i].a0 + 1 : h[i].a0),
		    "old_lines", (json_int_t)(h[i].a1 - h[i].a0),
		    "new_start", (json_int_t)(h[i].b1 > h[i].b0 ?
		    h[i].b0 + 1 : h[i].b0),
		    "new_lines", (json_int_t)(h[i].b1 - h[i].b0),
		    "lines", lines));
	}
	free(h);
	return arr;
}

/* A metadata value as JSON (its text if it does not parse). */
static json_t *
json_value(const char *text)
{
	json_t	*v;

	if (text == NULL)
		return json_null();
	if ((v = json_loads(text, JSON_DECODE_ANY, NULL)) == NULL)
		v = json_string(text);
	return v;
}

static json_t *
json_meta(const struct ndiff_metachange *m, size_t n)
{
	json_t	*a = json_array();

	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_pack("{s:s,s:o,s:o}", "key",
		    m[i].key, "old", json_value(m[i].old_json), "new",
		    json_value(m[i].new_json)));
	return a;
}

static const char *const status_names[] = { "unchanged", "added",
	"removed", "moved", "modified" };

static json_t *
json_index(size_t i)
{
	return i == NONE ? json_null() : json_integer((json_int_t)i);
}

static json_t *
json_cell(const struct ndiff_cellchange *c, unsigned ctx, bool kept)
{
	const struct ndiff_cell	*x = c->new != NULL ? c->new : c->old;
	json_t			*o = json_object(), *changes = json_array();

	json_object_set_new(o, "status", json_string(status_names[c->status]));
	json_object_set_new(o, "id", json_string(x->id));
	json_object_set_new(o, "id_given", json_boolean(x->id_given));
	json_object_set_new(o, "kind", json_string(x->kind));
	if (*x->title != '\0')
		json_object_set_new(o, "title", json_string(x->title));
	json_object_set_new(o, "old_index", json_index(c->old_index));
	json_object_set_new(o, "new_index", json_index(c->new_index));
	json_object_set_new(o, "moved", json_boolean(c->moved));
	if (c->src_changed)
		json_array_append_new(changes, json_string("source"));
	if (c->kind_changed) {
		json_array_append_new(changes, json_string("kind"));
		json_object_set_new(o, "old_kind", json_string(c->old->kind));
	}
	if (c->title_changed) {
		json_array_append_new(changes, json_string("title"));
		json_object_set_new(o, "old_title",
		    json_string(c->old->title));
	}
	if (c->nmeta > 0)
		json_array_append_new(changes, json_string("metadata"));
	if (c->outputs_changed)
		json_array_append_new(changes, json_string("outputs"));
	json_object_set_new(o, "changes", changes);
	if (c->nmeta > 0)
		json_object_set_new(o, "metadata", json_meta(c->meta,
		    c->nmeta));
	if (c->status == NDIFF_ADDED || c->status == NDIFF_REMOVED || kept)
		json_object_set_new(o, "source", jstr(x->src, x->srclen));
	if (c->src != NULL)
		json_object_set_new(o, "hunks", json_hunks(c->src, ctx));
	if (c->out != NULL)
		json_object_set_new(o, "output_hunks", json_hunks(c->out,
		    ctx));
	return o;
}

static const char *const format_names[] = { "text", "notebook", "ipynb",
	"binary" };

json_t *
ndiff_json(const struct ndiff *d, unsigned context)
{
	return ndiff_json_fold(d, context, NULL, NULL);
}

/* The cells of a notebook diff; with keep, runs of unchanged cells it
 * does not keep are one entry {"status": "unchanged", "count": n}. */
static json_t *
json_cells(const struct ndiff *d, unsigned context,
    bool (*keep)(void *, const struct ndiff *,
    const struct ndiff_cellchange *), void *arg)
{
	json_t	*cells = json_array();
	size_t	 run = 0;

	for (size_t k = 0; k <= d->ncells; k++) {
		const struct ndiff_cellchange *c = k < d->ncells ?
		    &d->cells[k] : NULL;
		bool	 kept = false;

		if (c != NULL && keep != NULL &&
		    c->status == NDIFF_UNCHANGED) {
			if (!(kept = keep(arg, d, c))) {
				run++;
				continue;
			}
		}
		if (run > 0)
			json_array_append_new(cells, json_pack("{s:s,s:I}",
			    "status", "unchanged", "count", (json_int_t)run));
		run = 0;
		if (c != NULL)
			json_array_append_new(cells, json_cell(c, context,
			    kept));
	}
	return cells;
}

json_t *
ndiff_text_json(const struct ndiff_text *t, unsigned context)
{
	return json_hunks(t, context);
}

json_t *
ndiff_json_fold(const struct ndiff *d, unsigned context,
    bool (*keep)(void *arg, const struct ndiff *d,
    const struct ndiff_cellchange *c), void *arg)
{
	json_t		*o = json_object();
	const char	*status;

	if (d->old_path == NULL)
		status = "added";
	else if (d->new_path == NULL)
		status = "deleted";
	else if (strcmp(d->old_path, d->new_path) != 0)
		status = "renamed";
	else
		status = "modified";
	json_object_set_new(o, "old_path", d->old_path != NULL ?
	    json_string(d->old_path) : json_null());
	json_object_set_new(o, "new_path", d->new_path != NULL ?
	    json_string(d->new_path) : json_null());
	json_object_set_new(o, "status", json_string(status));
	json_object_set_new(o, "format", json_string(format_names[d->format]));
	if (d->warning != NULL)
		json_object_set_new(o, "warning", json_string(d->warning));
	json_object_set_new(o, "stats", json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,"
	    "s:I}", "cells_added", (json_int_t)d->stats.added,
	    "cells_removed", (json_int_t)d->stats.removed,
	    "cells_modified", (json_int_t)d->stats.modified,
	    "cells_moved", (json_int_t)d->stats.moved,
	    "cells_unchanged", (json_int_t)d->stats.unchanged,
	    "lines_added", (json_int_t)d->stats.lines_added,
	    "lines_removed", (json_int_t)d->stats.lines_removed));
	switch (d->format) {
	case NDIFF_NOTEBOOK:
	case NDIFF_IPYNB:
		json_object_set_new(o, "cells", json_cells(d, context, keep,
		    arg));
		json_object_set_new(o, "metadata", json_meta(d->meta,
		    d->nmeta));
		break;
	case NDIFF_TEXT:
		json_object_set_new(o, "hunks", json_hunks(d->text, context));
		break;
	case NDIFF_BINARY:
		json_object_set_new(o, "binary_changed",
		    json_boolean(!ndiff_empty(d)));
		break;
	}
	return o;
}

/*
 * notebook.c - the notebook model: the doc, its cells and ids, the
 * mutators, and the allocation the parser builds on. The text format
 * (docs/format.md) is read by notebook-parse.c and written by
 * notebook-print.c; notebook_int.h holds what the three share.
 *
 * Design. nb_parse() makes one pass over the bytes. The doc keeps one copy
 * of the input (doc->text) and every cell remembers the byte range it came
 * from: its marker line, its body and the blank separator lines after it.
 * nb_print() writes an unchanged cell's range as it is, so a doc nobody
 * changed prints back its input byte for byte (CRLF, mixed endings, BOM,
 * no final newline, odd spacing in markers, unknown metadata, ...). A
 * mutator marks its cell changed; a changed cell is printed from the model
 * in the canonical form. Cells that merely moved keep their bytes.
 *
 * Invariants:
 * - A header cell, if any, is doc->cells[0]; nothing moves before it.
 * - Every cell has an id, unique in the doc and indexed in doc->tab (open
 *   addressing, linear probing, backward-shift deletion).
 * - A cell's source has its lines joined by "\n", never the file's line
 *   endings; a code cell's source never ends in an empty line (those are
 *   the separator) and no line of a parsed source ends in '\r' (a run of
 *   '\r' before '\n' belongs to the line ending).
 * - The text of a doc is valid UTF-8 without NUL bytes; mutators replace
 *   bad bytes with U+FFFD so every print parses again.
 * - When every line of a code cell's source ends in a bare "\n", the
 *   source is a slice of doc->text: the byte after the slice (the start of
 *   its line ending) is overwritten with NUL and kept in the cell, and the
 *   printer puts it back. Parsed docs stay near the size of their file and
 *   parsing copies nothing for most code cells.
 * - Strings made at parse time (titles, metadata, markdown sources, ids)
 *   live in doc->arena; a mutator replaces them with malloc'd copies that
 *   the cell owns (flags C_*_OWNED).
 */
#include "core/notebook.h"

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/mem.h"
#include "core/notebook_int.h"
#include "core/util.h"

static const char *const kind_names[] = { "code", "markdown", "raw" };

static void	 doc_push(struct nb_doc *, struct nb_cell *);
static void	 tab_put(struct nb_cell **, size_t, struct nb_cell *);
static void	 tab_remove(struct nb_doc *, struct nb_cell *);
static void	 doc_reindex(const struct nb_doc *);
static void	 cell_release(struct nb_cell *);
static void	 cell_touch(struct nb_cell *);
static void	 meta_own(struct nb_cell *);
static char	*text_clean(const char *, size_t, size_t *);
static char	*title_clean(const char *);
static unsigned	 count_lines(const char *, size_t);
static bool	 key_valid(const char *);
static bool	 json_one_line(const char *, char **, struct gl_err *);

/* ------------------------------------------------------------------ */
/* The doc                                                              */
/* ------------------------------------------------------------------ */

struct nb_doc *
nb_doc_new(void)
{
	struct nb_doc	*doc = xcalloc(1, sizeof *doc);

	gl_rng_seed(&doc->rng, 0x6e6f7465626f6f6bULL);
	return doc;
}

void
nb_doc_free(struct nb_doc *doc)
{
	struct nb_block	*b, *bn;
	struct nb_chunk	*k, *kn;

	if (doc == NULL)
		return;
	for (size_t i = 0; i < doc->ncells; i++)
		cell_release(doc->cells[i]);
	for (b = doc->blocks; b != NULL; b = bn) {
		bn = b->next;
		free(b);
	}
	for (k = doc->arena; k != NULL; k = kn) {
		kn = k->next;
		free(k);
	}
	free(doc->cells);
	free(doc->tab);
	free(doc->lines);
	free(doc->text);
	free(doc);
}

struct nb_doc *
nb_doc_clone(const struct nb_doc *doc)
{
	struct nb_doc	*d = nb_doc_new();

	d->crlf = doc->crlf;
	d->bom = doc->bom;
	d->rng = doc->rng;
	if (doc->text != NULL) {
		d->text = xmalloc(doc->text_len + 1);
		memcpy(d->text, doc->text, doc->text_len + 1);
		d->text_len = doc->text_len;
	}
	for (size_t i = 0; i < doc->ncells; i++) {
		const struct nb_cell	*o = doc->cells[i];
		struct nb_cell		*c = xmalloc(sizeof *c);

		*c = *o;
		c->doc = d;
		c->flags &= (uint16_t)~(C_IN_BLOCK | C_SRC_OWNED |
		    C_TITLE_OWNED | C_META_OWNED);
		c->id = nb_arena_strndup(d, o->id, strlen(o->id));
		if (o->flags & C_SRC_TEXT)
			c->src = d->text + (o->src - doc->text);
		else if (o->srclen > 0) {
			c->src = xstrndup(o->src, o->srclen);
			c->flags |= C_SRC_OWNED;
		} else
			c->src = "";
		if (o->title[0] != '\0') {
			c->title = xstrdup(o->title);
			c->flags |= C_TITLE_OWNED;
		} else
			c->title = "";
		c->meta = xmalloc((o->nmeta + 1) * sizeof *c->meta);
		for (uint32_t k = 0; k < o->nmeta; k++) {
			c->meta[k].key = xstrdup(o->meta[k].key);
			c->meta[k].json = xstrdup(o->meta[k].json);
		}
		c->flags |= C_META_OWNED;
		doc_push(d, c);
		nb_tab_insert(d, c);
	}
	return d;
}

size_t
nb_doc_count(const struct nb_doc *doc)
{
	return doc->ncells;
}

struct nb_cell *
nb_doc_cell(const struct nb_doc *doc, size_t i)
{
	return i < doc->ncells ? doc->cells[i] : NULL;
}

struct nb_cell *
nb_doc_find(const struct nb_doc *doc, const char *id, size_t *index)
{
	struct nb_cell	*c;

	if (id == NULL || (c = nb_tab_find(doc, id)) == NULL)
		return NULL;
	if (index != NULL) {
		doc_reindex(doc);
		*index = c->index;
	}
	return c;
}

bool
nb_doc_crlf(const struct nb_doc *doc)
{
	return doc->crlf;
}

size_t
nb_doc_assign_ids(struct nb_doc *doc)
{
	size_t	 n = 0;

	for (size_t i = 0; i < doc->ncells; i++) {
		struct nb_cell	*c = doc->cells[i];

		if ((c->flags & C_IDGEN) && !(c->flags & C_HEADER)) {
			c->flags &= (uint16_t)~C_IDGEN;
			cell_touch(c);
			n++;
		}
	}
	return n;
}

void
nb_doc_normalize(struct nb_doc *doc)
{
	nb_doc_assign_ids(doc);
	for (size_t i = 0; i < doc->ncells; i++)
		cell_touch(doc->cells[i]);
}

bool
nb_id_valid(const char *id)
{
	return id != NULL && id_valid_n(id, strlen(id));
}

void
nb_id_generate(const struct nb_doc *doc, struct gl_rng *rng,
    char out[NB_ID_MAX + 1])
{
	static const char	 alpha[] =
	    "abcdefghijklmnopqrstuvwxyz0123456789";

	do {
		for (int i = 0; i < 8; i++)
			out[i] = alpha[gl_rng_below(rng, 36)];
		out[8] = '\0';
	} while (nb_tab_find(doc, out) != NULL);
}

struct nb_cell *
nb_doc_insert(struct nb_doc *doc, size_t index, enum nb_kind kind,
    const char *id, const char *source, size_t source_len, struct gl_rng *rng,
    struct gl_err *err)
{
	struct nb_cell	*c;
	char		 gen[NB_ID_MAX + 1], *json;

	if (index > doc->ncells) {
		gl_err_set(err, GL_EINVAL, "cell index %zu is past the end "
		    "(%zu cells)", index, doc->ncells);
		return NULL;
	}
	if (index == 0 && doc->ncells > 0 &&
	    (doc->cells[0]->flags & C_HEADER)) {
		gl_err_set(err, GL_EINVAL, "no cell can go before the header "
		    "cell");
		return NULL;
	}
	if (kind != NB_CODE && kind != NB_MARKDOWN && kind != NB_RAW) {
		gl_err_set(err, GL_EINVAL, "bad cell kind %d", (int)kind);
		return NULL;
	}
	if (id != NULL) {
		if (!nb_id_valid(id)) {
			gl_err_set(err, GL_EINVAL, "bad cell id \"%.*s\": 1 "
			    "to %d letters, digits, '-', '_' or '.'",
			    NB_ID_MAX + 8, id, NB_ID_MAX);
			return NULL;
		}
		if (nb_tab_find(doc, id) != NULL) {
			gl_err_set(err, GL_EEXIST, "cell id \"%s\" is taken",
			    id);
			return NULL;
		}
	} else {
		nb_id_generate(doc, rng != NULL ? rng : &doc->rng, gen);
		id = gen;
	}
	c = xcalloc(1, sizeof *c);
	c->doc = doc;
	c->kind = (uint8_t)kind;
	c->id = nb_arena_strndup(doc, id, strlen(id));
	c->hash = gl_fnv1a(c->id, strlen(c->id));
	c->title = "";
	c->flags = C_CHANGED | C_META_OWNED;
	c->meta = xmalloc(sizeof *c->meta);
	c->meta[0].key = xstrdup("id");
	json = xasprintf("\"%s\"", id);
	c->meta[0].json = json;
	c->nmeta = 1;
	c->src = "";
	nb_cell_set_source(c, source != NULL ? source : "",
	    source != NULL ? source_len : 0);
	doc_push(doc, c);
	memmove(doc->cells + index + 1, doc->cells + index,
	    (doc->ncells - 1 - index) * sizeof *doc->cells);
	doc->cells[index] = c;
	nb_tab_insert(doc, c);
	doc->index_ok = doc->lines_ok = false;
	return c;
}

int
nb_doc_remove(struct nb_doc *doc, size_t i, struct gl_err *err)
{
	struct nb_cell	*c;

	if (i >= doc->ncells)
		return gl_err_set(err, GL_EINVAL, "no cell at index %zu (%zu "
		    "cells)", i, doc->ncells);
	c = doc->cells[i];
	tab_remove(doc, c);
	memmove(doc->cells + i, doc->cells + i + 1,
	    (doc->ncells - i - 1) * sizeof *doc->cells);
	doc->ncells--;
	cell_release(c);
	doc->index_ok = doc->lines_ok = false;
	return 0;
}

int
nb_doc_move(struct nb_doc *doc, size_t from, size_t to, struct gl_err *err)
{
	struct nb_cell	*c;

	if (from >= doc->ncells || to >= doc->ncells)
		return gl_err_set(err, GL_EINVAL, "cannot move cell %zu to %zu "
		    "(%zu cells)", from, to, doc->ncells);
	if ((doc->cells[0]->flags & C_HEADER) && (from == 0 || to == 0))
		return gl_err_set(err, GL_EINVAL, "the header cell stays "
		    "first");
	if (from == to)
		return 0;
	c = doc->cells[from];
	if (from < to)
		memmove(doc->cells + from, doc->cells + from + 1,
		    (to - from) * sizeof *doc->cells);
	else
		memmove(doc->cells + to + 1, doc->cells + to,
		    (from - to) * sizeof *doc->cells);
	doc->cells[to] = c;
	doc->index_ok = doc->lines_ok = false;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Cells                                                                */
/* ------------------------------------------------------------------ */

const char *
nb_cell_id(const struct nb_cell *c)
{
	return c->id;
}

enum nb_kind
nb_cell_kind(const struct nb_cell *c)
{
	return (enum nb_kind)c->kind;
}

bool
nb_cell_is_header(const struct nb_cell *c)
{
	return (c->flags & C_HEADER) != 0;
}

bool
nb_cell_id_generated(const struct nb_cell *c)
{
	/* A changed cell prints from the model, id included. */
	if (c->flags & C_HEADER)
		return true;
	return (c->flags & C_IDGEN) && !(c->flags & C_CHANGED);
}

const char *
nb_cell_title(const struct nb_cell *c)
{
	return c->title;
}

const char *
nb_cell_source(const struct nb_cell *c, size_t *len)
{
	if (len != NULL)
		*len = c->srclen;
	return c->src;
}

const char *
nb_cell_meta(const struct nb_cell *c, const char *key)
{
	for (uint32_t i = 0; i < c->nmeta; i++)
		if (strcmp(c->meta[i].key, key) == 0)
			return c->meta[i].json;
	return NULL;
}

size_t
nb_cell_meta_count(const struct nb_cell *c)
{
	return c->nmeta;
}

void
nb_cell_meta_at(const struct nb_cell *c, size_t i, const char **key,
    const char **json)
{
	if (i >= c->nmeta) {
		*key = *json = NULL;
		return;
	}
	*key = c->meta[i].key;
	*json = c->meta[i].json;
}

bool
nb_cell_has_tag(const struct nb_cell *c, const char *tag)
{
	const char	*tags = nb_cell_meta(c, "tags");
	json_t		*j, *v;
	size_t		 i;
	bool		 found = false;

	if (tags == NULL || tag == NULL)
		return false;
	if ((j = json_loads(tags, JSON_DECODE_ANY, NULL)) == NULL)
		return false;
	if (json_is_array(j))
		json_array_foreach(j, i, v)
			if (json_is_string(v) &&
			    strcmp(json_string_value(v), tag) == 0) {
				found = true;
				break;
			}
	json_decref(j);
	return found;
}

unsigned
nb_cell_line(const struct nb_cell *c)
{
	return c->line;
}

bool
nb_cell_changed(const struct nb_cell *c)
{
	return (c->flags & C_CHANGED) != 0;
}

void
nb_cell_mark_changed(struct nb_cell *c)
{
	cell_touch(c);
}

void
nb_cell_set_source(struct nb_cell *c, const char *src, size_t len)
{
	size_t	 n;
	char	*s;

	if (src == NULL)
		len = 0;
	if (len == c->srclen && (len == 0 || memcmp(src, c->src, len) == 0))
		return;
	s = text_clean(src != NULL ? src : "", len, &n);
	if (c->flags & C_SRC_OWNED)
		free((char *)c->src);
	c->flags &= (uint16_t)~C_SRC_TEXT;
	c->flags |= C_SRC_OWNED;
	c->src = s;
	c->srclen = n;
	c->nsrclines = count_lines(s, n);
	cell_touch(c);
}

int
nb_cell_set_kind(struct nb_cell *c, enum nb_kind kind, struct gl_err *err)
{
	if (c->flags & C_HEADER)
		return gl_err_set(err, GL_EINVAL, "the header cell is always "
		    "code");
	if (kind != NB_CODE && kind != NB_MARKDOWN && kind != NB_RAW)
		return gl_err_set(err, GL_EINVAL, "bad cell kind %d",
		    (int)kind);
	if (c->kind == kind)
		return 0;
	c->kind = (uint8_t)kind;
	cell_touch(c);
	return 0;
}

void
nb_cell_set_title(struct nb_cell *c, const char *title)
{
	char	*t;

	if (c->flags & C_HEADER)
		return;		/* it has no marker to hold one */
	t = title_clean(title != NULL ? title : "");
	if (strcmp(t, c->title) == 0) {
		free(t);
		return;
	}
	if (c->flags & C_TITLE_OWNED)
		free((char *)c->title);
	if (t[0] == '\0') {
		free(t);
		c->title = "";
		c->flags &= (uint16_t)~C_TITLE_OWNED;
	} else {
		c->title = t;
		c->flags |= C_TITLE_OWNED;
	}
	cell_touch(c);
}

int
nb_cell_set_meta(struct nb_cell *c, const char *key, const char *json,
    struct gl_err *err)
{
	char	*val = NULL;

	if (key == NULL || !key_valid(key))
		return gl_err_set(err, GL_EINVAL, "bad metadata key \"%s\": "
		    "letters, digits, '_', '.' and '-', not starting with a "
		    "digit, '.' or '-'", key != NULL ? key : "(null)");
	if (strcmp(key, "id") == 0)
		return gl_err_set(err, GL_EPERM, "cell %s: the id never "
		    "changes", c->id);
	if (c->flags & C_HEADER)
		return gl_err_set(err, GL_EINVAL, "the header cell has no "
		    "marker to hold metadata");
	if (json != NULL) {
		if (!json_one_line(json, &val, err))
			return gl_err_prefix(err, "metadata \"%s\"", key);
	}
	for (uint32_t i = 0; i < c->nmeta; i++) {
		if (strcmp(c->meta[i].key, key) != 0)
			continue;
		if (val != NULL && strcmp(c->meta[i].json, val) == 0) {
			free(val);
			return 0;
		}
		meta_own(c);
		if (val == NULL) {
			free((char *)c->meta[i].key);
			free((char *)c->meta[i].json);
			memmove(c->meta + i, c->meta + i + 1,
			    (c->nmeta - i - 1) * sizeof *c->meta);
			c->nmeta--;
			if (c->id_pos > i)
				c->id_pos--;
		} else {
			free((char *)c->meta[i].json);
			c->meta[i].json = val;
		}
		cell_touch(c);
		return 0;
	}
	if (val == NULL)
		return 0;
	meta_own(c);
	c->meta = xrealloc(c->meta, (c->nmeta + 1) * sizeof *c->meta);
	c->meta[c->nmeta].key = xstrdup(key);
	c->meta[c->nmeta].json = val;
	c->nmeta++;
	cell_touch(c);
	return 0;
}

const char *
nb_kind_name(enum nb_kind kind)
{
	if ((unsigned)kind < sizeof kind_names / sizeof kind_names[0])
		return kind_names[kind];
	return "unknown";
}

int
nb_kind_parse(const char *name, enum nb_kind *out)
{
	for (size_t i = 0; i < sizeof kind_names / sizeof kind_names[0]; i++)
		if (name != NULL && strcmp(name, kind_names[i]) == 0) {
			*out = (enum nb_kind)i;
			return 0;
		}
	return GL_EINVAL;
}

/* ------------------------------------------------------------------ */
/* For the parser (notebook_int.h)                                    */
/* ------------------------------------------------------------------ */

/* Bump allocation for strings made while parsing; freed with the doc. */
void *
nb_arena_alloc(struct nb_doc *doc, size_t n)
{
	struct nb_chunk	*k = doc->arena;
	size_t		 a = sizeof(max_align_t), cap;
	char		*p;

	n = (n + a - 1) / a * a;
	if (n == 0)
		n = a;
	if (k == NULL || k->cap - k->used < n) {
		cap = 65536 - sizeof *k;
		if (n > cap / 4) {
			/* A big string gets its own chunk, behind the
			 * current one, which keeps its room. */
			k = xmalloc(sizeof *k + n);
			k->cap = k->used = n;
			if (doc->arena != NULL) {
				k->next = doc->arena->next;
				doc->arena->next = k;
			} else {
				k->next = NULL;
				doc->arena = k;
			}
			return k->data;
		}
		k = xmalloc(sizeof *k + cap);
		k->cap = cap;
		k->used = 0;
		k->next = doc->arena;
		doc->arena = k;
	}
	p = (char *)k->data + k->used;
	k->used += n;
	return p;
}

char *
nb_arena_strndup(struct nb_doc *doc, const char *s, size_t n)
{
	char	*p = nb_arena_alloc(doc, n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

/* A cell struct for the parser, from a block of them. */
struct nb_cell *
nb_block_cell_new(struct nb_doc *doc)
{
	struct nb_block	*b = doc->blocks;
	struct nb_cell	*c;

	if (b == NULL || b->n == b->cap) {
		size_t	 cap = b == NULL ? 8 : (b->cap < 4096 ? 2 * b->cap :
		    4096);

		b = xmalloc(sizeof *b + cap * sizeof b->cells[0]);
		b->n = 0;
		b->cap = cap;
		b->next = doc->blocks;
		doc->blocks = b;
	}
	c = &b->cells[b->n++];
	memset(c, 0, sizeof *c);
	c->doc = doc;
	c->flags = C_IN_BLOCK;
	c->title = "";
	c->src = "";
	doc_push(doc, c);
	return c;
}

struct nb_cell *
nb_tab_find(const struct nb_doc *doc, const char *id)
{
	size_t	 mask, i;

	if (doc->tabcap == 0)
		return NULL;
	mask = doc->tabcap - 1;
	for (i = gl_fnv1a(id, strlen(id)) & mask; doc->tab[i] != NULL;
	    i = (i + 1) & mask)
		if (strcmp(doc->tab[i]->id, id) == 0)
			return doc->tab[i];
	return NULL;
}

void
nb_tab_insert(struct nb_doc *doc, struct nb_cell *c)
{
	if (2 * (doc->tabused + 1) > doc->tabcap) {
		size_t		 cap = doc->tabcap ? 2 * doc->tabcap : 16;
		struct nb_cell	**tab = xcalloc(cap, sizeof *tab);

		for (size_t i = 0; i < doc->tabcap; i++)
			if (doc->tab[i] != NULL)
				tab_put(tab, cap, doc->tab[i]);
		free(doc->tab);
		doc->tab = tab;
		doc->tabcap = cap;
	}
	tab_put(doc->tab, doc->tabcap, c);
	doc->tabused++;
}

/* ------------------------------------------------------------------ */
/* Helpers                                                            */
/* ------------------------------------------------------------------ */

/* Appends c to the cells array. */
static void
doc_push(struct nb_doc *doc, struct nb_cell *c)
{
	if (doc->ncells == doc->cap) {
		doc->cap = doc->cap ? 2 * doc->cap : 16;
		doc->cells = xrealloc(doc->cells,
		    doc->cap * sizeof *doc->cells);
	}
	doc->cells[doc->ncells++] = c;
	doc->index_ok = doc->lines_ok = false;
}

static void
doc_reindex(const struct nb_doc *cdoc)
{
	/* The index is a cache; filling it does not change the doc. */
	struct nb_doc	*doc = (struct nb_doc *)cdoc;

	if (doc->index_ok)
		return;
	for (size_t i = 0; i < doc->ncells; i++)
		doc->cells[i]->index = i;
	doc->index_ok = true;
}

static void
tab_put(struct nb_cell **tab, size_t cap, struct nb_cell *c)
{
	size_t	 i;

	for (i = c->hash & (cap - 1); tab[i] != NULL; i = (i + 1) & (cap - 1))
		;
	tab[i] = c;
}

static void
tab_remove(struct nb_doc *doc, struct nb_cell *c)
{
	size_t	 mask = doc->tabcap - 1, i, j, k;

	if (doc->tabcap == 0)
		return;
	for (i = c->hash & mask; doc->tab[i] != c; i = (i + 1) & mask)
		if (doc->tab[i] == NULL)
			return;
	doc->tab[i] = NULL;
	doc->tabused--;
	/* Backward-shift: move later entries of the run into the hole. */
	for (j = (i + 1) & mask; doc->tab[j] != NULL; j = (j + 1) & mask) {
		k = doc->tab[j]->hash & mask;
		if ((j > i && (k <= i || k > j)) ||
		    (j < i && (k <= i && k > j))) {
			doc->tab[i] = doc->tab[j];
			doc->tab[j] = NULL;
			i = j;
		}
	}
}

static void
cell_release(struct nb_cell *c)
{
	if (c->flags & C_SRC_OWNED)
		free((char *)c->src);
	if (c->flags & C_TITLE_OWNED)
		free((char *)c->title);
	if (c->flags & C_META_OWNED) {
		for (uint32_t i = 0; i < c->nmeta; i++) {
			free((char *)c->meta[i].key);
			free((char *)c->meta[i].json);
		}
		free(c->meta);
	}
	if (!(c->flags & C_IN_BLOCK))
		free(c);
}

/* Gives c its own copy of its metadata, to change it. */
static void
meta_own(struct nb_cell *c)
{
	struct nb_meta	*m;

	if (c->flags & C_META_OWNED)
		return;
	m = xmalloc((c->nmeta + 1) * sizeof *m);
	for (uint32_t i = 0; i < c->nmeta; i++) {
		m[i].key = xstrdup(c->meta[i].key);
		m[i].json = xstrdup(c->meta[i].json);
	}
	c->meta = m;
	c->flags |= C_META_OWNED;
}

/* Marks c changed: from now on it prints from the model. */
static void
cell_touch(struct nb_cell *c)
{
	if (!(c->flags & C_CHANGED)) {
		char	 json[NB_ID_MAX + 3];

		c->flags |= C_CHANGED;
		/* The printer writes id="ID"; the model says the same. */
		snprintf(json, sizeof json, "\"%s\"", c->id);
		if (strcmp(c->meta[c->id_pos].json, json) != 0) {
			meta_own(c);
			free((char *)c->meta[c->id_pos].json);
			c->meta[c->id_pos].json = xstrdup(json);
		}
	}
	c->doc->lines_ok = false;
}

static unsigned
count_lines(const char *s, size_t n)
{
	unsigned	 lines = 0;
	const char	*e = s + n;

	if (n == 0)
		return 0;
	while ((s = memchr(s, '\n', (size_t)(e - s))) != NULL) {
		lines++;
		s++;
	}
	return lines + 1;
}

/* A copy of s[0..len) with NUL bytes and invalid UTF-8 replaced by U+FFFD,
 * so the doc always prints as a file that parses. Caller frees. */
static char *
text_clean(const char *s, size_t len, size_t *outlen)
{
	struct gl_buf	 b;
	size_t		 bad;

	if (gl_utf8_valid(s, len, &bad) && memchr(s, '\0', len) == NULL) {
		*outlen = len;
		return xstrndup(s, len);
	}
	gl_buf_init(&b);
	gl_buf_reserve(&b, len + 16);
	while (len > 0) {
		const char	*z;
		size_t		 ok = len;

		if (!gl_utf8_valid(s, len, &bad))
			ok = bad;
		if ((z = memchr(s, '\0', ok)) != NULL)
			ok = (size_t)(z - s);
		gl_buf_add(&b, s, ok);
		if (ok == len)
			break;
		gl_buf_add(&b, NB_FFFD, 3);
		s += ok + 1;
		len -= ok + 1;
	}
	return gl_buf_take(&b, outlen);
}

/* A title as the marker can hold it: one line of valid UTF-8 without
 * control characters, no spaces around it, and no word that reads as
 * metadata ("x=1" becomes "x =1"). Caller frees. */
static char *
title_clean(const char *title)
{
	struct gl_buf	 b;
	size_t		 n;
	char		*s = text_clean(title, strlen(title), &n), *p, *e;

	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			s[i] = ' ';
	p = s;
	e = s + n;
	while (p < e && *p == ' ')
		p++;
	while (e > p && e[-1] == ' ')
		e--;
	gl_buf_init(&b);
	while (p < e) {
		if ((p == s || p[-1] == ' ') && is_key_token(p, e)) {
			size_t	 k = key_len(p, e);

			gl_buf_add(&b, p, k);
			gl_buf_addc(&b, ' ');
			p += k;
		}
		gl_buf_addc(&b, *p++);
	}
	free(s);
	return gl_buf_take(&b, NULL);
}

static bool
key_valid(const char *key)
{
	size_t	 n = strlen(key);

	return n > 0 && key_len(key, key + n) == n;
}

/* Checks that json is one JSON value and gives it as one line: JSON white
 * space around it dropped, line breaks inside it (white space between
 * tokens; strings cannot hold them raw) made spaces. */
static bool
json_one_line(const char *json, char **out, struct gl_err *err)
{
	json_error_t	 je;
	json_t		*j;
	const char	*s = json, *e = json + strlen(json);
	char		*v;

	*out = NULL;
	j = json_loads(json, JSON_DECODE_ANY, &je);
	if (j == NULL) {
		gl_err_set(err, GL_ESYNTAX, "bad JSON: %s", je.text);
		return false;
	}
	json_decref(j);
	while (s < e && (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r'))
		s++;
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' ||
	    e[-1] == '\r'))
		e--;
	v = xstrndup(s, (size_t)(e - s));
	for (char *q = v; *q != '\0'; q++)
		if (*q == '\n' || *q == '\r')
			*q = ' ';
	*out = v;
	return true;
}

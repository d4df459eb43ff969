/*
 * notebook-print.c - nb_print() and the line numbers of its output
 * (nb_doc_source_line()). An unchanged cell is written as the bytes it
 * was parsed from; a changed one from the model, in the canonical form of
 * docs/format.md, with the doc's own line ending.
 */
#include "core/notebook.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "core/notebook_int.h"

static void	 print_cell(const struct nb_doc *, const struct nb_cell *, bool,
		     struct gl_buf *);

static size_t
print_bound(const struct nb_doc *doc)
{
	size_t	 n = doc->bom ? 3 : 0;

	for (size_t i = 0; i < doc->ncells; i++) {
		const struct nb_cell *c = doc->cells[i];

		if (!(c->flags & C_CHANGED)) {
			n += c->raw_len + 4;
			continue;
		}
		n += 32 + strlen(c->title) + strlen(c->id);
		for (uint32_t k = 0; k < c->nmeta; k++)
			n += 2 + strlen(c->meta[k].key) +
			    strlen(c->meta[k].json);
		n += c->srclen + 6 * (size_t)c->nsrclines + 4;
	}
	return n;
}

void
nb_print(const struct nb_doc *doc, struct gl_buf *out)
{
	size_t	 need = print_bound(doc) + 1;

	/* Grow once, to what is needed (gl_buf would double past it). */
	if (out->cap < out->len + need) {
		out->data = xrealloc(out->data, out->len + need);
		out->cap = out->len + need;
		out->data[out->len] = '\0';
	}
	if (doc->bom)
		gl_buf_add(out, NB_BOM, 3);
	for (size_t i = 0; i < doc->ncells; i++)
		print_cell(doc, doc->cells[i], i + 1 == doc->ncells, out);
	if (out->data == NULL)
		gl_buf_reserve(out, 0);
}

/* True if a title starts with a word the parser would take for a kind. */
static bool
title_looks_kind(const char *title)
{
	return title[0] == '[' &&
	    kind_word(title, title + strlen(title), NULL) != 0;
}

static void
print_cell(const struct nb_doc *doc, const struct nb_cell *c, bool last,
    struct gl_buf *out)
{
	const char	*eol = doc->crlf ? "\r\n" : "\n";
	size_t		 eoln = doc->crlf ? 2 : 1;
	const char	*s, *e;

	if (!(c->flags & C_CHANGED)) {
		const char	*base = doc->text + c->raw_off;

		if (c->flags & C_HAS_NUL) {
			gl_buf_add(out, base, c->nul_rel);
			gl_buf_add(out, &c->nul_saved, 1);
			gl_buf_add(out, base + c->nul_rel + 1,
			    c->raw_len - c->nul_rel - 1);
		} else
			gl_buf_add(out, base, c->raw_len);
		/* It ended the file; now a cell follows it. */
		if (!last && (c->flags & C_ORIG_LAST)) {
			if (c->flags & C_RAW_NOEOL)
				gl_buf_add(out, eol, eoln);
			if (!(c->flags & C_RAW_BLANK))
				gl_buf_add(out, eol, eoln);
		}
		return;
	}
	if (!(c->flags & C_HEADER)) {
		gl_buf_add(out, NB_MARK, NB_MARK_LEN);
		if (c->kind == NB_MARKDOWN)
			gl_buf_add(out, " [markdown]", 11);
		else if (c->kind == NB_RAW)
			gl_buf_add(out, " [raw]", 6);
		else if (title_looks_kind(c->title))
			gl_buf_add(out, " [code]", 7);
		if (c->title[0] != '\0') {
			gl_buf_addc(out, ' ');
			gl_buf_adds(out, c->title);
		}
		gl_buf_add(out, " id=\"", 5);
		gl_buf_adds(out, c->id);
		gl_buf_addc(out, '"');
		for (uint32_t k = 0; k < c->nmeta; k++) {
			if (k == c->id_pos)
				continue;
			gl_buf_addc(out, ' ');
			gl_buf_adds(out, c->meta[k].key);
			gl_buf_addc(out, '=');
			gl_buf_adds(out, c->meta[k].json);
		}
		gl_buf_add(out, eol, eoln);
	}
	s = c->src;
	e = c->src + c->srclen;
	for (unsigned k = 0; k < c->nsrclines; k++) {
		const char	*nl = memchr(s, '\n', (size_t)(e - s));
		const char	*le = nl != NULL ? nl : e;

		if (c->kind != NB_CODE) {
			if (le == s)
				gl_buf_add(out, "--", 2);
			else
				gl_buf_add(out, "-- ", 3);
			if (pct_escaped(s, le))
				gl_buf_addc(out, '\\');
		}
		gl_buf_add(out, s, (size_t)(le - s));
		gl_buf_add(out, eol, eoln);
		s = nl != NULL ? nl + 1 : e;
	}
	if (!last || ((c->flags & C_HEADER) && c->nsrclines == 0))
		gl_buf_add(out, eol, eoln);
}

/* Lines cell c takes in the output when another cell follows it. */
static unsigned
cell_print_lines(const struct nb_cell *c)
{
	if (c->flags & C_CHANGED)
		return ((c->flags & C_HEADER) ? 0 : 1) + c->nsrclines + 1;
	return c->raw_lines + ((c->flags & C_ORIG_LAST) &&
	    !(c->flags & C_RAW_BLANK) ? 1 : 0);
}

unsigned
nb_doc_source_line(struct nb_doc *doc, size_t i)
{
	if (i >= doc->ncells)
		return 0;
	if (!doc->lines_ok) {
		unsigned	 line = 1;

		if (doc->linescap < doc->ncells) {
			doc->linescap = doc->ncells;
			free(doc->lines);
			doc->lines = xmalloc(doc->linescap *
			    sizeof *doc->lines);
		}
		for (size_t k = 0; k < doc->ncells; k++) {
			doc->lines[k] = line;
			line += cell_print_lines(doc->cells[k]);
		}
		doc->lines_ok = true;
	}
	return doc->lines[i] + ((doc->cells[i]->flags & C_HEADER) ? 0 : 1);
}

/*
 * review.c - the review mode's model: reading a review.open answer into
 * items, laying them out into rows, the cursor and the selection, moves,
 * and what a comment would be on. Painting is tui/view-review.c.
 *
 * Items are built once per answer, in the order they are shown: for each
 * file its header, then (notebooks) each cell's header, its kind, title
 * and metadata changes and its lines: a whole added or removed cell, an
 * unchanged cell the kernel sent because a thread is on it, or the hunks
 * of a modified one; runs of unchanged cells come folded. Threads are
 * then put after the line their comment is on when it is shown and
 * current, else after their cell (or file), else, when that is not in the
 * diff or is gone, among "other threads" at the end. Rows are items laid
 * out for a width: a comment's text wraps at blanks, everything else is
 * one row cut at the edge, so moving the cursor by rows is moving it by
 * lines of the diff.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/mem.h"
#include "core/rpc.h"
#include "tui/review.h"
#include "tui/view.h"

/* Columns before a thread's text ("  ┃ "). */
#define THREAD_INDENT	4

static void	 build_threads(struct rview *rv, struct rview_item *diff,
		     size_t ndiff);

void
rview_init(struct rview *rv)
{
	memset(rv, 0, sizeof *rv);
}

static void
item_fini(struct rview_item *it)
{
	free(it->text);
	free(it->words);
}

static void
thread_fini(struct rview_thread *t)
{
	free(t->id);
	free(t->author);
	free(t->at);
	free(t->path);
	free(t->body);
	free(t->cell);
	free(t->text);
	free(t->suggestion);
	free(t->commit);
	free(t->where);
	for (size_t i = 0; i < t->nreplies; i++) {
		free(t->replies[i].author);
		free(t->replies[i].body);
	}
	free(t->replies);
}

void
rview_fini(struct rview *rv)
{
	free(rv->id);
	free(rv->title);
	free(rv->author);
	free(rv->status);
	free(rv->base);
	free(rv->head);
	for (size_t i = 0; i < rv->nreviewers; i++)
		free(rv->reviewers[i]);
	free(rv->reviewers);
	for (size_t i = 0; i < rv->nverdicts; i++) {
		free(rv->verdicts[i].author);
		free(rv->verdicts[i].verdict);
	}
	free(rv->verdicts);
	for (size_t i = 0; i < rv->nthreads; i++)
		thread_fini(&rv->threads[i]);
	free(rv->threads);
	for (size_t i = 0; i < rv->nfiles; i++) {
		for (size_t k = 0; k < rv->files[i].ncells; k++)
			free(rv->files[i].cells[k].id);
		free(rv->files[i].cells);
		free(rv->files[i].path);
		free(rv->files[i].format);
	}
	free(rv->files);
	free(rv->warning);
	for (size_t i = 0; i < rv->nitems; i++)
		item_fini(&rv->items[i]);
	free(rv->items);
	free(rv->rows);
	memset(rv, 0, sizeof *rv);
}

/* ------------------------------------------------------------------ */
/* Reading the answer                                                   */
/* ------------------------------------------------------------------ */

/* A growing list of items. */
struct ilist {
	struct rview_item *v;
	size_t		 n, cap;
};

/* A new slot at the end (uninitialised). */
static struct rview_item *
ilist_slot(struct ilist *l)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 64;
		l->v = xrealloc(l->v, l->cap * sizeof *l->v);
	}
	return &l->v[l->n++];
}

static struct rview_item *
ilist_add(struct ilist *l, enum rview_kind kind, int file, int cell,
    char *text)
{
	struct rview_item *it = ilist_slot(l);

	memset(it, 0, sizeof *it);
	it->kind = kind;
	it->file = file;
	it->cell = cell;
	it->thread = -1;
	it->op = ' ';
	it->text = text != NULL ? text : xstrdup("");
	return it;
}

static const msgpack_object *
arr(const msgpack_object *map, const char *key)
{
	const msgpack_object *o = rpc_map_get(map, key);

	return o != NULL && o->type == MSGPACK_OBJECT_ARRAY ? o : NULL;
}

static uint32_t
arr_n(const msgpack_object *a)
{
	return a != NULL ? a->via.array.size : 0;
}

/* A JSON-like text of a metadata value. */
static void
put_value(struct gl_buf *b, const msgpack_object *o)
{
	switch (o != NULL ? o->type : MSGPACK_OBJECT_NIL) {
	case MSGPACK_OBJECT_NIL:
		gl_buf_adds(b, "(none)");
		break;
	case MSGPACK_OBJECT_BOOLEAN:
		gl_buf_adds(b, o->via.boolean ? "true" : "false");
		break;
	case MSGPACK_OBJECT_POSITIVE_INTEGER:
		gl_buf_addf(b, "%llu", (unsigned long long)o->via.u64);
		break;
	case MSGPACK_OBJECT_NEGATIVE_INTEGER:
		gl_buf_addf(b, "%lld", (long long)o->via.i64);
		break;
	case MSGPACK_OBJECT_FLOAT32:
	case MSGPACK_OBJECT_FLOAT64:
		gl_buf_addf(b, "%g", o->via.f64);
		break;
	case MSGPACK_OBJECT_STR:
		gl_buf_addc(b, '"');
		gl_buf_add(b, o->via.str.ptr, o->via.str.size);
		gl_buf_addc(b, '"');
		break;
	case MSGPACK_OBJECT_ARRAY:
		gl_buf_addc(b, '[');
		for (uint32_t i = 0; i < o->via.array.size; i++) {
			if (i > 0)
				gl_buf_adds(b, ", ");
			put_value(b, &o->via.array.ptr[i]);
		}
		gl_buf_addc(b, ']');
		break;
	case MSGPACK_OBJECT_MAP:
		gl_buf_addc(b, '{');
		for (uint32_t i = 0; i < o->via.map.size; i++) {
			if (i > 0)
				gl_buf_adds(b, ", ");
			put_value(b, &o->via.map.ptr[i].key);
			gl_buf_adds(b, ": ");
			put_value(b, &o->via.map.ptr[i].val);
		}
		gl_buf_addc(b, '}');
		break;
	default:
		gl_buf_adds(b, "?");
		break;
	}
}

/* One line of a diff or of a cell. */
static struct rview_item *
add_line(struct ilist *l, int file, int cell, char op, unsigned old_no,
    unsigned new_no, const char *text, size_t len)
{
	struct rview_item *it = ilist_add(l, RVIEW_LINE, file, cell,
	    xstrndup(text, len));

	it->op = op;
	it->old_no = old_no;
	it->new_no = new_no;
	return it;
}

/* A whole text as lines of op, numbered from 1 on its side. */
static void
add_source(struct ilist *l, int file, int cell, char op, const char *src,
    size_t len)
{
	unsigned	 no = 1;

	for (;;) {
		const char	*nl = memchr(src, '\n', len);
		size_t		 n = nl != NULL ? (size_t)(nl - src) : len;

		add_line(l, file, cell, op, op != '+' ? no : 0, op != '-' ? no :
		    0, src, n);
		if (nl == NULL)
			break;
		no++;
		src += n + 1;
		len -= n + 1;
	}
}

/* The hunks of a cell or a file; outputs (of .ipynb cells) are shown
 * but are not lines a comment can be on. */
static void
add_hunks(struct ilist *l, int file, int cell, const msgpack_object *hunks,
    bool outputs)
{
	for (uint32_t i = 0; i < arr_n(hunks); i++) {
		const msgpack_object *h = &hunks->via.array.ptr[i];
		const msgpack_object *lines = arr(h, "lines");
		unsigned	 o = (unsigned)rpc_map_int(h, "old_start", 0);
		unsigned	 n = (unsigned)rpc_map_int(h, "new_start", 0);

		ilist_add(l, RVIEW_HUNK, file, cell, xasprintf("@@ -%u,%lld "
		    "+%u,%lld @@", o, (long long)rpc_map_int(h, "old_lines", 0),
		    n, (long long)rpc_map_int(h, "new_lines", 0)));
		for (uint32_t k = 0; k < arr_n(lines); k++) {
			const msgpack_object *ln = &lines->via.array.ptr[k];
			const msgpack_object *w = arr(ln, "words");
			size_t		 oplen = 0, tlen = 0;
			const char	*op = rpc_map_str(ln, "op", &oplen);
			const char	*t = rpc_map_str(ln, "text", &tlen);
			char		 c = op != NULL && oplen > 0 ? op[0] : ' ';
			struct rview_item *it;

			it = add_line(l, file, cell, c, c != '+' ? o : 0,
			    c != '-' ? n : 0, t != NULL ? t : "", tlen);
			if (outputs)
				it->old_no = it->new_no = 0;
			o += c != '+';
			n += c != '-';
			if (arr_n(w) == 0)
				continue;
			it->words = xcalloc(arr_n(w), sizeof *it->words);
			for (uint32_t j = 0; j < arr_n(w); j++) {
				const msgpack_object *sp = &w->via.array.ptr[j];

				if (sp->type != MSGPACK_OBJECT_ARRAY ||
				    sp->via.array.size != 2)
					continue;
				it->words[it->nwords].off =
				    (uint32_t)sp->via.array.ptr[0].via.u64;
				it->words[it->nwords++].len =
				    (uint32_t)sp->via.array.ptr[1].via.u64;
			}
		}
	}
}

static char
status_char(const msgpack_object *st)
{
	if (rpc_obj_streq(st, "added"))
		return '+';
	if (rpc_obj_streq(st, "removed"))
		return '-';
	if (rpc_obj_streq(st, "moved"))
		return '>';
	if (rpc_obj_streq(st, "modified"))
		return '~';
	return ' ';
}

/* A cell's header: "[plot] code: modified, moved from 3 to 2". */
static char *
cell_header(const msgpack_object *c, char st)
{
	struct gl_buf	 b;
	size_t		 n;
	const char	*p;
	const msgpack_object *oi = rpc_map_get(c, "old_index");
	const msgpack_object *ni = rpc_map_get(c, "new_index");
	bool		 moved = rpc_map_bool(c, "moved", false);

	gl_buf_init(&b);
	p = rpc_map_str(c, "id", &n);
	gl_buf_addc(&b, '[');
	gl_buf_add(&b, p != NULL ? p : "?", p != NULL ? n : 1);
	gl_buf_adds(&b, "] ");
	p = rpc_map_str(c, "kind", &n);
	gl_buf_add(&b, p != NULL ? p : "", p != NULL ? n : 0);
	if ((p = rpc_map_str(c, "title", &n)) != NULL && n > 0) {
		gl_buf_addc(&b, ' ');
		gl_buf_add(&b, p, n);
	}
	switch (st) {
	case '+':
		gl_buf_adds(&b, ": added");
		break;
	case '-':
		gl_buf_adds(&b, ": removed");
		break;
	case '~':
		gl_buf_adds(&b, ": modified");
		break;
	case '>':
		gl_buf_adds(&b, ": moved");
		break;
	}
	if ((moved || st == '>') && oi != NULL && ni != NULL &&
	    oi->type == MSGPACK_OBJECT_POSITIVE_INTEGER &&
	    ni->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
		gl_buf_addf(&b, "%s from cell %llu to %llu", st == '>' ? "" :
		    ", moved", (unsigned long long)oi->via.u64 + 1,
		    (unsigned long long)ni->via.u64 + 1);
	return gl_buf_take(&b, NULL);
}

static void
add_cell(struct rview *rv, struct ilist *l, int fi, const msgpack_object *c)
{
	struct rview_file *f = &rv->files[fi];
	const msgpack_object *st = rpc_map_get(c, "status");
	const msgpack_object *meta = arr(c, "metadata");
	const msgpack_object *ni = rpc_map_get(c, "new_index");
	struct rview_cell *cell;
	size_t		 n;
	const char	*src;
	char		 s;
	int		 ci;

	if (rpc_obj_streq(st, "unchanged") && rpc_map_get(c, "count") != NULL) {
		int64_t	 k = rpc_map_int(c, "count", 0);

		ilist_add(l, RVIEW_FOLD, fi, -1, xasprintf("\xe2\x80\xa6 %lld "
		    "unchanged cell%s", (long long)k, k == 1 ? "" : "s"));
		return;
	}
	s = status_char(st);
	f->cells = xrealloc(f->cells, (f->ncells + 1) * sizeof *f->cells);
	ci = (int)f->ncells;
	cell = &f->cells[f->ncells++];
	cell->id = rpc_map_strdup(c, "id");
	if (cell->id == NULL)
		cell->id = xstrdup("?");
	cell->status = s;
	cell->has_new = ni != NULL && ni->type == MSGPACK_OBJECT_POSITIVE_INTEGER;
	ilist_add(l, RVIEW_CELL, fi, ci, cell_header(c, s));
	if (rpc_map_get(c, "old_kind") != NULL) {
		char	*ok = rpc_map_strdup(c, "old_kind");
		char	*nk = rpc_map_strdup(c, "kind");

		ilist_add(l, RVIEW_META, fi, ci, xasprintf("kind: %s -> %s",
		    ok != NULL ? ok : "?", nk != NULL ? nk : "?"));
		free(ok);
		free(nk);
	}
	if (rpc_map_get(c, "old_title") != NULL) {
		char	*ot = rpc_map_strdup(c, "old_title");
		char	*nt = rpc_map_strdup(c, "title");

		ilist_add(l, RVIEW_META, fi, ci, xasprintf("title: \"%s\" -> "
		    "\"%s\"", ot != NULL ? ot : "", nt != NULL ? nt : ""));
		free(ot);
		free(nt);
	}
	for (uint32_t i = 0; i < arr_n(meta); i++) {
		const msgpack_object *m = &meta->via.array.ptr[i];
		struct gl_buf	 b;
		const char	*k = rpc_map_str(m, "key", &n);

		gl_buf_init(&b);
		gl_buf_add(&b, k != NULL ? k : "?", k != NULL ? n : 1);
		gl_buf_adds(&b, ": ");
		put_value(&b, rpc_map_get(m, "old"));
		gl_buf_adds(&b, " -> ");
		put_value(&b, rpc_map_get(m, "new"));
		ilist_add(l, RVIEW_META, fi, ci, gl_buf_take(&b, NULL));
	}
	if ((src = rpc_map_str(c, "source", &n)) != NULL)
		add_source(l, fi, ci, s == '+' ? '+' : s == '-' ? '-' : ' ',
		    src, n);
	add_hunks(l, fi, ci, arr(c, "hunks"), false);
	if (arr(c, "output_hunks") != NULL) {
		ilist_add(l, RVIEW_NOTE, fi, ci, xstrdup("outputs:"));
		add_hunks(l, fi, ci, arr(c, "output_hunks"), true);
	}
}

/* "trips.nb.lua (notebook: 1 added, 2 modified; +4 -1 lines)" */
static char *
file_header(const msgpack_object *f, const char *path)
{
	const msgpack_object *st = rpc_map_get(f, "stats");
	struct gl_buf	 b;
	char		*old = rpc_map_strdup(f, "old_path");
	char		*fmt = rpc_map_strdup(f, "format");
	char		*status = rpc_map_strdup(f, "status");
	static const char *const names[] = { "cells_added", "added",
	    "cells_removed", "removed", "cells_modified", "modified",
	    "cells_moved", "moved" };
	bool		 cells = fmt != NULL && (strcmp(fmt, "notebook") == 0 ||
			    strcmp(fmt, "ipynb") == 0), any = false;

	gl_buf_init(&b);
	if (old != NULL && strcmp(old, path) != 0)
		gl_buf_addf(&b, "%s -> ", old);
	gl_buf_addf(&b, "%s (", path);
	if (status != NULL && strcmp(status, "modified") != 0)
		gl_buf_addf(&b, "%s, ", status);
	gl_buf_adds(&b, fmt != NULL ? fmt : "?");
	for (size_t i = 0; cells && i < 8; i += 2) {
		int64_t	 k = rpc_map_int(st, names[i], 0);

		if (k > 0) {
			gl_buf_addf(&b, "%s %lld %s", any ? "," : ":",
			    (long long)k, names[i + 1]);
			any = true;
		}
	}
	if (fmt == NULL || strcmp(fmt, "binary") != 0)
		gl_buf_addf(&b, "%s+%lld -%lld lines", any ? "; " : ": ",
		    (long long)rpc_map_int(st, "lines_added", 0),
		    (long long)rpc_map_int(st, "lines_removed", 0));
	gl_buf_addc(&b, ')');
	free(old);
	free(fmt);
	free(status);
	return gl_buf_take(&b, NULL);
}

static void
add_file(struct rview *rv, struct ilist *l, const msgpack_object *f)
{
	struct rview_file *rf;
	const msgpack_object *cells = arr(f, "cells");
	int		 fi = (int)rv->nfiles;
	char		*w;

	rv->files = xrealloc(rv->files, (rv->nfiles + 1) * sizeof *rv->files);
	rf = &rv->files[rv->nfiles++];
	memset(rf, 0, sizeof *rf);
	if ((rf->path = rpc_map_strdup(f, "new_path")) == NULL &&
	    (rf->path = rpc_map_strdup(f, "old_path")) == NULL)
		rf->path = xstrdup("?");
	if ((rf->format = rpc_map_strdup(f, "format")) == NULL)
		rf->format = xstrdup("text");
	ilist_add(l, RVIEW_FILE, fi, -1, file_header(f, rf->path));
	if ((w = rpc_map_strdup(f, "warning")) != NULL)
		ilist_add(l, RVIEW_NOTE, fi, -1, w);
	if (rpc_map_bool(f, "binary_changed", false))
		ilist_add(l, RVIEW_NOTE, fi, -1, xstrdup("binary file "
		    "changed"));
	for (uint32_t i = 0; i < arr_n(cells); i++)
		add_cell(rv, l, fi, &cells->via.array.ptr[i]);
	add_hunks(l, fi, -1, arr(f, "hunks"), false);
}

static void
read_thread(struct rview_thread *t, const msgpack_object *o)
{
	const msgpack_object *lines = arr(o, "lines");
	const msgpack_object *pos = rpc_map_get(o, "position");
	const msgpack_object *now = arr(pos, "lines");
	const msgpack_object *rep = arr(o, "replies");

	memset(t, 0, sizeof *t);
	t->id = rpc_map_strdup(o, "id");
	t->author = rpc_map_strdup(o, "author");
	t->at = rpc_map_strdup(o, "at");
	t->path = rpc_map_strdup(o, "path");
	t->body = rpc_map_strdup(o, "body");
	t->cell = rpc_map_strdup(o, "cell");
	t->text = rpc_map_strdup(o, "text");
	t->suggestion = rpc_map_strdup(o, "suggestion");
	t->commit = rpc_map_strdup(o, "commit");
	t->where = rpc_map_strdup(pos, "status");
	t->resolved = rpc_map_bool(o, "resolved", false);
	t->moved = rpc_map_bool(pos, "moved", false);
	t->applied = rpc_map_bool(pos, "applied", false);
	if (arr_n(lines) == 2) {
		t->line0 = (unsigned)lines->via.array.ptr[0].via.u64;
		t->line1 = (unsigned)lines->via.array.ptr[1].via.u64;
	}
	if (arr_n(now) == 2) {
		t->now0 = (unsigned)now->via.array.ptr[0].via.u64;
		t->now1 = (unsigned)now->via.array.ptr[1].via.u64;
	}
	if (arr_n(rep) > 0)
		t->replies = xcalloc(arr_n(rep), sizeof *t->replies);
	for (uint32_t i = 0; i < arr_n(rep); i++) {
		t->replies[i].author = rpc_map_strdup(&rep->via.array.ptr[i],
		    "author");
		t->replies[i].body = rpc_map_strdup(&rep->via.array.ptr[i],
		    "body");
		if (t->replies[i].author == NULL)
			t->replies[i].author = xstrdup("?");
		if (t->replies[i].body == NULL)
			t->replies[i].body = xstrdup("");
	}
	t->nreplies = arr_n(rep);
	/* Every string the layout reads is there. */
	if (t->id == NULL)
		t->id = xstrdup("?");
	if (t->author == NULL)
		t->author = xstrdup("?");
	if (t->path == NULL)
		t->path = xstrdup("?");
	if (t->body == NULL)
		t->body = xstrdup("");
	if (t->text == NULL)
		t->text = xstrdup("");
	if (t->commit == NULL)
		t->commit = xstrdup("");
	if (t->where == NULL)
		t->where = xstrdup("current");
}

static void
read_review(struct rview *rv, const msgpack_object *r)
{
	const msgpack_object *rev = arr(r, "reviewers");
	const msgpack_object *ver = arr(r, "verdicts");
	const msgpack_object *th = arr(r, "threads");

	rv->id = rpc_map_strdup(r, "id");
	rv->title = rpc_map_strdup(r, "title");
	rv->author = rpc_map_strdup(r, "author");
	rv->status = rpc_map_strdup(r, "status");
	if (arr_n(rev) > 0)
		rv->reviewers = xcalloc(arr_n(rev), sizeof *rv->reviewers);
	for (uint32_t i = 0; i < arr_n(rev); i++)
		if ((rv->reviewers[rv->nreviewers] = rpc_obj_strdup(
		    &rev->via.array.ptr[i])) != NULL)
			rv->nreviewers++;
	if (arr_n(ver) > 0)
		rv->verdicts = xcalloc(arr_n(ver), sizeof *rv->verdicts);
	for (uint32_t i = 0; i < arr_n(ver); i++) {
		struct rview_verdict *v = &rv->verdicts[rv->nverdicts];

		v->author = rpc_map_strdup(&ver->via.array.ptr[i], "author");
		v->verdict = rpc_map_strdup(&ver->via.array.ptr[i], "verdict");
		if (v->author != NULL && v->verdict != NULL)
			rv->nverdicts++;
		else {
			free(v->author);
			free(v->verdict);
		}
	}
	if (arr_n(th) > 0)
		rv->threads = xcalloc(arr_n(th), sizeof *rv->threads);
	for (uint32_t i = 0; i < arr_n(th); i++)
		read_thread(&rv->threads[rv->nthreads++],
		    &th->via.array.ptr[i]);
}

int
rview_parse(const msgpack_object *res, struct rview *out,
    struct gl_err *err)
{
	const msgpack_object *files = arr(res, "files");
	const msgpack_object *r = rpc_map_get(res, "review");
	const msgpack_object *w = arr(res, "warnings");
	struct ilist	 l = { NULL, 0, 0 };
	size_t		 n;
	const char	*p;

	rview_init(out);
	if (res == NULL || res->type != MSGPACK_OBJECT_MAP || files == NULL)
		return gl_err_set(err, GL_EPROTO, "review.open: the answer has "
		    "no files");
	if (r != NULL && r->type == MSGPACK_OBJECT_MAP)
		read_review(out, r);
	else if (r != NULL && r->type != MSGPACK_OBJECT_NIL)
		return gl_err_set(err, GL_EPROTO, "review.open: review is "
		    "neither a map nor nil");
	out->base = rpc_map_strdup(res, "base");
	out->head = rpc_map_strdup(res, "head");
	if ((p = rpc_map_str(res, "base_commit", &n)) != NULL)
		snprintf(out->base_commit, sizeof out->base_commit, "%.*s",
		    (int)n, p);
	if ((p = rpc_map_str(res, "head_commit", &n)) != NULL)
		snprintf(out->head_commit, sizeof out->head_commit, "%.*s",
		    (int)n, p);
	if (arr_n(w) > 0)
		out->warning = rpc_obj_strdup(&w->via.array.ptr[0]);
	for (uint32_t i = 0; i < arr_n(files); i++)
		add_file(out, &l, &files->via.array.ptr[i]);
	if (arr_n(files) == 0)
		ilist_add(&l, RVIEW_NOTE, -1, -1, xstrdup("(no changes in "
		    "this range)"));
	build_threads(out, l.v, l.n);
	free(l.v);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Threads among the diff                                               */
/* ------------------------------------------------------------------ */

/* "Ann" of "Ann <ann@example.org>". */
static char *
name_of(const char *who)
{
	const char	*lt = strstr(who, " <");

	return lt != NULL && lt > who ? xstrndup(who, (size_t)(lt - who)) :
	    xstrdup(who);
}

static int
find_file(const struct rview *rv, const char *path)
{
	for (size_t i = 0; i < rv->nfiles; i++)
		if (strcmp(rv->files[i].path, path) == 0)
			return (int)i;
	return -1;
}

static int
find_cell(const struct rview_file *f, const char *id)
{
	for (size_t i = 0; i < f->ncells; i++)
		if (f->cells[i].has_new && strcmp(f->cells[i].id, id) == 0)
			return (int)i;
	return -1;
}

/* Where thread t goes: after diff item *at, with its lines shown there
 * (*lines_shown); false: among the other threads. */
static bool
place_thread(const struct rview *rv, const struct rview_thread *t,
    const struct rview_item *diff, size_t ndiff, size_t *at,
    bool *lines_shown)
{
	int	 fi = find_file(rv, t->path), ci = -1;
	bool	 found = false;

	*lines_shown = false;
	if (fi < 0 || strcmp(t->where, "gone") == 0)
		return false;
	if (t->cell != NULL && (ci = find_cell(&rv->files[fi], t->cell)) < 0)
		return false;
	for (size_t i = 0; i < ndiff; i++) {
		const struct rview_item *it = &diff[i];

		if (it->file != fi || (t->cell != NULL && it->cell != ci))
			continue;
		/* After the last item of its cell or file... */
		if (!*lines_shown) {
			*at = i;
			found = true;
		}
		/* ... or right after its last line, when it is shown. */
		if (it->kind == RVIEW_LINE && it->op != '-' && t->line0 > 0 &&
		    strcmp(t->where, "current") == 0 && it->new_no == t->now1) {
			*at = i;
			*lines_shown = true;
		}
	}
	return found;
}

/* The lines of text, each an item of kind after prefix (first line) or
 * pad (the others). */
static void
add_text_lines(struct ilist *l, enum rview_kind kind, int ti,
    const char *prefix, const char *pad, const char *text)
{
	const char	*p = text;

	do {
		const char	*nl = strchr(p, '\n');
		size_t		 n = nl != NULL ? (size_t)(nl - p) : strlen(p);
		struct rview_item *it;

		it = ilist_add(l, kind, -1, -1, xasprintf("%s%.*s", p == text ?
		    prefix : pad, (int)n, p));
		it->thread = ti;
		p += n + (nl != NULL);
	} while (*p != '\0');
}

static void
add_thread(const struct rview *rv, struct ilist *l, int ti,
    bool lines_shown, bool elsewhere)
{
	const struct rview_thread *t = &rv->threads[ti];
	struct gl_buf	 b;
	char		*who = name_of(t->author);
	struct rview_item *it;
	unsigned	 a = t->line0, z = t->line1;

	gl_buf_init(&b);
	gl_buf_addf(&b, "[%s] %s \xc2\xb7 %s", t->id, t->resolved ?
	    "resolved" : "open", who);
	if (elsewhere)
		gl_buf_addf(&b, " \xc2\xb7 %s%s%s", t->path, t->cell != NULL ?
		    " cell " : "", t->cell != NULL ? t->cell : "");
	else if (t->cell != NULL && t->line0 == 0)
		gl_buf_adds(&b, " \xc2\xb7 the cell");
	if (strcmp(t->where, "current") == 0 && t->now0 > 0) {
		a = t->now0;
		z = t->now1;
	}
	if (a > 0)
		gl_buf_addf(&b, a == z ? " \xc2\xb7 line %u" :
		    " \xc2\xb7 lines %u-%u", a, z);
	if (strcmp(t->where, "outdated") == 0)
		gl_buf_addf(&b, " \xc2\xb7 outdated (made on %.7s)", t->commit);
	else if (strcmp(t->where, "gone") == 0)
		gl_buf_adds(&b, t->cell != NULL ? " \xc2\xb7 its cell is gone" :
		    " \xc2\xb7 its file is gone");
	else if (t->moved)
		gl_buf_adds(&b, " \xc2\xb7 cell moved");
	it = ilist_add(l, RVIEW_THREAD, -1, -1, gl_buf_take(&b, NULL));
	it->thread = ti;
	if (t->line0 > 0 && !lines_shown && *t->text != '\0')
		add_text_lines(l, RVIEW_QUOTE, ti, "> ", "> ", t->text);
	add_text_lines(l, RVIEW_BODY, ti, "", "", t->body);
	if (t->suggestion != NULL) {
		add_text_lines(l, RVIEW_BODY, ti, t->applied ?
		    "suggested (applied):" : "suggested (a applies it):", "",
		    "");
		add_text_lines(l, RVIEW_SUGG, ti, "", "", t->suggestion);
	}
	for (size_t i = 0; i < t->nreplies; i++) {
		char	*rw = name_of(t->replies[i].author);
		char	*pre = xasprintf("%s: ", rw);

		add_text_lines(l, RVIEW_BODY, ti, pre, "", t->replies[i].body);
		free(pre);
		free(rw);
	}
	free(who);
}

static void
build_threads(struct rview *rv, struct rview_item *diff, size_t ndiff)
{
	struct ilist	 l = { NULL, 0, 0 };
	size_t		*at = xcalloc(rv->nthreads + 1, sizeof *at);
	bool		*shown = xcalloc(rv->nthreads + 1, sizeof *shown);
	bool		*placed = xcalloc(rv->nthreads + 1, sizeof *placed);
	size_t		 other = 0;

	for (size_t t = 0; t < rv->nthreads; t++) {
		placed[t] = place_thread(rv, &rv->threads[t], diff, ndiff,
		    &at[t], &shown[t]);
		other += !placed[t];
	}
	for (size_t i = 0; i < ndiff; i++) {
		*ilist_slot(&l) = diff[i];	/* moved */
		for (size_t t = 0; t < rv->nthreads; t++)
			if (placed[t] && at[t] == i)
				add_thread(rv, &l, (int)t, shown[t], false);
	}
	if (other > 0) {
		ilist_add(&l, RVIEW_NOTE, -1, -1, xasprintf("other threads "
		    "(their lines are not in this diff): %zu", other));
		for (size_t t = 0; t < rv->nthreads; t++)
			if (!placed[t])
				add_thread(rv, &l, (int)t, false, true);
	}
	rv->items = l.v;
	rv->nitems = l.n;
	free(at);
	free(shown);
	free(placed);
}

/* ------------------------------------------------------------------ */
/* Layout                                                               */
/* ------------------------------------------------------------------ */

static void
add_row(struct rview *rv, size_t *cap, size_t item, size_t off, size_t len,
    bool first)
{
	if (rv->nrows == *cap) {
		*cap = *cap ? 2 * *cap : 256;
		rv->rows = xrealloc(rv->rows, *cap * sizeof *rv->rows);
	}
	rv->rows[rv->nrows++] = (struct rview_row){ item, off, len, first };
}

/* Bytes of s[0..len) that fit in cols columns, broken at a blank when
 * there is one. */
static size_t
wrap_at(const char *s, size_t len, int cols)
{
	size_t	 i = 0, blank = 0;
	int	 c = 0;

	while (i < len) {
		uint32_t cp;
		size_t	 k = view_utf8_decode(s + i, len - i, &cp);
		int	 w = cp == '\t' ? 4 : view_cp_width(cp);

		if (c + w > cols)
			break;
		if (cp == ' ')
			blank = i + 1;
		c += w;
		i += k;
	}
	if (i < len && blank > 0)
		return blank;
	return i > 0 ? i : (len > 0 ? view_utf8_decode(s, len,
	    &(uint32_t){ 0 }) : 0);
}

void
rview_layout(struct rview *rv, int width)
{
	size_t	 cap = 0, item = rv->nrows > 0 ? rv->rows[rv->cur].item : 0;
	size_t	 anchor = rv->sel && rv->nrows > 0 ?
		    rv->rows[rv->sel_anchor].item : 0;

	if (width == rv->width && rv->rows != NULL)
		return;
	free(rv->rows);
	rv->rows = NULL;
	rv->nrows = 0;
	rv->width = width;
	for (size_t i = 0; i < rv->nitems; i++) {
		const struct rview_item *it = &rv->items[i];
		size_t		 len = strlen(it->text), off = 0;
		int		 cols = width - THREAD_INDENT;

		if (it->kind != RVIEW_BODY || cols < 8) {
			add_row(rv, &cap, i, 0, len, true);
			continue;
		}
		do {
			size_t	 n = wrap_at(it->text + off, len - off, cols);

			add_row(rv, &cap, i, off, n, off == 0);
			off += n;
		} while (off < len);
	}
	rv->cur = 0;
	for (size_t r = 0; r < rv->nrows; r++) {
		if (rv->rows[r].item == item && rv->rows[r].first)
			rv->cur = r;
		if (rv->sel && rv->rows[r].item == anchor && rv->rows[r].first)
			rv->sel_anchor = r;
	}
}

/* ------------------------------------------------------------------ */
/* Where the user is                                                    */
/* ------------------------------------------------------------------ */

void
rview_move_to(struct rview *rv, size_t row)
{
	if (rv->nrows == 0) {
		rv->cur = 0;
		return;
	}
	rv->cur = row < rv->nrows ? row : rv->nrows - 1;
}

void
rview_move(struct rview *rv, long delta)
{
	long	 r = (long)rv->cur + delta;

	rview_move_to(rv, r < 0 ? 0 : (size_t)r);
}

static const struct rview_item *
row_item(const struct rview *rv, size_t r)
{
	return &rv->items[rv->rows[r].item];
}

/* True if item i starts a change: a changed cell's header, or the first
 * of a run of removed and added lines after context or a hunk's head. */
static bool
is_change(const struct rview *rv, size_t i)
{
	const struct rview_item *it = &rv->items[i];
	const struct rview_item *prev = i > 0 ? &rv->items[i - 1] : NULL;

	if (it->kind == RVIEW_CELL)
		return rv->files[it->file].cells[it->cell].status != ' ';
	if (it->kind != RVIEW_LINE || it->op == ' ')
		return false;
	return prev == NULL || prev->kind == RVIEW_HUNK ||
	    (prev->kind == RVIEW_LINE && prev->op == ' ') ||
	    (prev->kind == RVIEW_FILE);
}

static bool
is_goal(const struct rview *rv, size_t r, enum rview_goal goal)
{
	const struct rview_item *it = row_item(rv, r);

	if (!rv->rows[r].first)
		return false;
	switch (goal) {
	case RVIEW_TO_CHANGE:
		return is_change(rv, rv->rows[r].item);
	case RVIEW_TO_THREAD:
		return it->kind == RVIEW_THREAD;
	case RVIEW_TO_FILE:
		return it->kind == RVIEW_FILE;
	}
	return false;
}

bool
rview_next(struct rview *rv, enum rview_goal goal, int dir)
{
	size_t	 r = rv->cur;

	while (dir > 0 ? r + 1 < rv->nrows : r > 0) {
		r = dir > 0 ? r + 1 : r - 1;
		if (is_goal(rv, r, goal)) {
			rv->cur = r;
			return true;
		}
	}
	return false;
}

bool
rview_goto_thread(struct rview *rv, const char *id)
{
	for (size_t r = 0; r < rv->nrows; r++) {
		const struct rview_item *it = row_item(rv, r);

		if (it->kind == RVIEW_THREAD &&
		    strcmp(rv->threads[it->thread].id, id) == 0) {
			rv->cur = r;
			return true;
		}
	}
	return false;
}

void
rview_select(struct rview *rv, bool on)
{
	rv->sel = on && rv->nrows > 0;
	rv->sel_anchor = rv->cur;
}

bool
rview_selection(const struct rview *rv, size_t *lo, size_t *hi)
{
	if (!rv->sel || rv->nrows == 0)
		return false;
	*lo = rv->sel_anchor < rv->cur ? rv->sel_anchor : rv->cur;
	*hi = rv->sel_anchor < rv->cur ? rv->cur : rv->sel_anchor;
	return true;
}

size_t
rview_open_threads(const struct rview *rv)
{
	size_t	 n = 0;

	for (size_t i = 0; i < rv->nthreads; i++)
		n += !rv->threads[i].resolved;
	return n;
}

/* The target of one item (no selection). */
static bool
item_target(const struct rview *rv, const struct rview_item *it,
    struct rview_target *t, struct gl_err *err)
{
	const struct rview_file *f = it->file >= 0 ? &rv->files[it->file] :
	    NULL;
	const struct rview_cell *c = f != NULL && it->cell >= 0 ?
	    &f->cells[it->cell] : NULL;

	t->file = it->file;
	t->cell_index = it->cell;
	if (f == NULL) {
		gl_err_set(err, GL_EINVAL, "nothing to comment on here: put "
		    "the cursor on a cell or a line");
		return false;
	}
	if (it->kind == RVIEW_FOLD) {
		gl_err_set(err, GL_EINVAL, "these cells did not change: "
		    "comment on a cell or a line of the diff");
		return false;
	}
	if (c != NULL && !c->has_new) {
		gl_err_set(err, GL_EINVAL, "cell %s was removed: it is not at "
		    "the head to comment on", c->id);
		return false;
	}
	if (it->kind == RVIEW_LINE && it->op == '-') {
		gl_err_set(err, GL_EINVAL, "a removed line is not at the head: "
		    "comment on a line that is, or on the cell (its header)");
		return false;
	}
	if (it->kind == RVIEW_LINE && it->new_no == 0) {
		gl_err_set(err, GL_EINVAL, "an output is not a line of the "
		    "cell: comment on the cell (its header)");
		return false;
	}
	t->path = f->path;
	if (c != NULL) {
		t->cell = c->id;
		if (it->kind == RVIEW_LINE)
			t->line0 = t->line1 = it->new_no;
		return true;
	}
	if (it->kind == RVIEW_LINE) {
		t->line0 = t->line1 = it->new_no;
		return true;
	}
	gl_err_set(err, GL_EINVAL, "%s: put the cursor on a %s", f->path,
	    strcmp(f->format, "text") == 0 ? "line of the file" :
	    "cell or a line of one");
	t->path = NULL;
	return false;
}

bool
rview_target(const struct rview *rv, struct rview_target *t,
    struct gl_err *err)
{
	const struct rview_item *it;
	size_t		 lo, hi;

	memset(t, 0, sizeof *t);
	t->thread = -1;
	t->file = t->cell_index = -1;
	if (rv->nrows == 0) {
		gl_err_set(err, GL_EINVAL, "nothing here");
		return false;
	}
	it = row_item(rv, rv->cur);
	t->thread = it->thread;
	if (it->thread >= 0 && !rv->sel) {
		gl_err_set(err, GL_EINVAL, "the cursor is on a thread: r "
		    "replies to it, x resolves it");
		return false;
	}
	if (!rview_selection(rv, &lo, &hi))
		return item_target(rv, it, t, err);
	/* Lines of one cell (or file) at the head. */
	for (size_t r = lo; r <= hi; r++) {
		const struct rview_item *x = row_item(rv, r);

		if (x->kind != RVIEW_LINE || x->op == '-' || x->new_no == 0)
			continue;
		if (t->path == NULL) {
			if (!item_target(rv, x, t, err))
				return false;
		} else if (x->file != t->file || x->cell != t->cell_index) {
			gl_err_set(err, GL_EINVAL, "the selection spans cells: "
			    "select lines of one cell");
			t->path = NULL;
			return false;
		} else {
			if (x->new_no < t->line0)
				t->line0 = x->new_no;
			if (x->new_no > t->line1)
				t->line1 = x->new_no;
		}
	}
	if (t->path == NULL) {
		gl_err_set(err, GL_EINVAL, "the selection has no lines that are "
		    "at the head");
		return false;
	}
	return true;
}

char *
rview_lines_text(const struct rview *rv, const struct rview_target *t,
    struct gl_err *err)
{
	struct gl_buf	 b;
	unsigned	 next = t->line0;

	if (t->path == NULL || t->line0 == 0) {
		gl_err_set(err, GL_EINVAL, "a suggestion replaces lines: "
		    "select them (V) or put the cursor on one");
		return NULL;
	}
	gl_buf_init(&b);
	for (size_t i = 0; i < rv->nitems && next <= t->line1; i++) {
		const struct rview_item *it = &rv->items[i];

		if (it->kind != RVIEW_LINE || it->op == '-' ||
		    it->file != t->file || it->cell != t->cell_index ||
		    it->new_no != next)
			continue;
		if (next > t->line0)
			gl_buf_addc(&b, '\n');
		gl_buf_adds(&b, it->text);
		next++;
	}
	if (next <= t->line1) {
		gl_buf_fini(&b);
		gl_err_set(err, GL_EINVAL, "line %u is not shown (it is "
		    "between two hunks): select lines of one hunk", next);
		return NULL;
	}
	if (b.data == NULL)
		gl_buf_adds(&b, "");
	return gl_buf_take(&b, NULL);
}

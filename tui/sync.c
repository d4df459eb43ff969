/*
 * sync.c - the client half of server-centred OT, op inversion and an undo
 * history that survives other people's edits.
 *
 * Design
 * ------
 * Jupiter, client side. The local doc is the kernel's doc at `version`
 * plus our unacknowledged ops: `inflight` (sent in one doc.edit, waiting
 * for its answer) then `buffer` (made since). Only one doc.edit is in
 * flight: the kernel rebases an edit over everything accepted since the
 * version it names, so a second edit sent before the first is answered
 * would be rebased over the first, which it already follows.
 *
 * When the kernel's doc.ops arrive they were made on `version`, before
 * any of our pending ops; ot_transform_ops() turns them into ops that
 * apply after inflight then buffer (our local state), and turns inflight
 * and buffer into ops that apply after them (what the kernel will make of
 * ours). The kernel gives its own ops priority in ties (ot_rebase), so
 * the remote side passes a_first = true here: both sides agree.
 *
 * The client library queues responses apart from notifications, so the
 * order in which an ack and a doc.ops arrived is lost; versions recover
 * it. An edit of ours acknowledged at version A took the kernel to A; a
 * batch of n ops ending at version V began at V - n, and it came after
 * our edit if and only if V - n >= A (sync_after_ack()).
 *
 * Rejoining. The kernel may go away with edits of ours unacknowledged
 * (in flight, buffered, or made since), and come back with a document
 * that moved: its journal replayed after a crash (which may hold the
 * edit in flight, whose answer never came), other clients' edits, or a
 * file changed on disk. So the client keeps `shadow`, the kernel's doc at
 * `version` (remote ops are applied to it as they come, acknowledged ops
 * when their answer comes), and tags each doc.edit: on reconnecting it
 * asks the kernel whether the edit in flight was applied (session.open's
 * "edit"), then sync_rejoin() treats the difference between the shadow
 * (plus that edit, if applied) and the kernel's document as one more
 * batch of remote ops (ot_diff()), which transforms the unacknowledged
 * ops as any remote batch would: they are sent again, rebased, none lost
 * and none twice.
 *
 * History. Each undo group holds the ops that revert one change, in the
 * order they apply, valid on the current doc for the top group, on the
 * doc after undoing the top group for the next one, and so on. When a
 * remote op r arrives (expressed on the current doc), each group op g on
 * the way down is transformed against r and r against g (the pair of
 * TP1), so r always sits on the state the next op applies to. Redo works
 * the same way. An op whose cell someone deleted becomes a no-op and is
 * dropped.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/mem.h"
#include "tui/sync.h"

#define MERGE_MS	2000

struct group {
	struct ot_op	*ops;		/* owned */
	size_t		 n;
	char		 cell[NB_ID_MAX + 1];
	size_t		 offset;
	enum sync_group	 kind;
	int64_t		 t;
};

struct stack {
	struct group	*g;		/* owned */
	size_t		 n, cap;
};

struct sync {
	uint64_t	 version;
	struct ot_op	*inflight;	/* owned */
	size_t		 ninflight;
	bool		 in_flight;
	struct ot_op	*buffer;	/* owned */
	size_t		 nbuffer, capbuffer;
	struct stack	 undo, redo;
	bool		 brk;
	struct nb_doc	*shadow;	/* owned: the kernel's doc at version,
					 * or NULL if not known */
	uint64_t	 client;	/* tags: "g<client>.<n>" */
	uint64_t	 ntags;
	char		 tag[SYNC_TAG_MAX];	/* the in-flight edit's */
};

static void	 stack_clear(struct stack *st);
static struct group *stack_push(struct stack *st);
static void	 stack_transform(struct stack *st, const struct ot_op *r);

struct sync *
sync_new(uint64_t version)
{
	struct sync	*s = xcalloc(1, sizeof *s);

	s->version = version;
	return s;
}

void
sync_free(struct sync *s)
{
	if (s == NULL)
		return;
	ot_ops_free(s->inflight, s->ninflight);
	ot_ops_free(s->buffer, s->nbuffer);
	stack_clear(&s->undo);
	stack_clear(&s->redo);
	free(s->undo.g);
	free(s->redo.g);
	nb_doc_free(s->shadow);
	free(s);
}

uint64_t
sync_version(const struct sync *s)
{
	return s->version;
}

void
sync_reset(struct sync *s, uint64_t version)
{
	ot_ops_free(s->inflight, s->ninflight);
	ot_ops_free(s->buffer, s->nbuffer);
	s->inflight = s->buffer = NULL;
	s->ninflight = s->nbuffer = s->capbuffer = 0;
	s->in_flight = false;
	stack_clear(&s->undo);
	stack_clear(&s->redo);
	nb_doc_free(s->shadow);
	s->shadow = NULL;
	s->tag[0] = '\0';
	s->version = version;
}

void
sync_set_base(struct sync *s, const struct nb_doc *doc)
{
	nb_doc_free(s->shadow);
	s->shadow = nb_doc_clone(doc);
}

struct nb_doc *
sync_base(struct sync *s)
{
	return s->shadow;
}

void
sync_set_client(struct sync *s, uint64_t id)
{
	s->client = id;
}

const char *
sync_inflight_tag(const struct sync *s)
{
	return s->in_flight ? s->tag : "";
}

size_t
sync_unsent(const struct sync *s)
{
	return s->ninflight + s->nbuffer;
}

/* Applies ops[0..n) to the shadow; one that fails (which only a bug
 * gives) means the shadow is no longer the kernel's doc: dropped. */
static void
shadow_apply(struct sync *s, const struct ot_op *ops, size_t n)
{
	for (size_t i = 0; i < n && s->shadow != NULL; i++) {
		if (ot_apply(s->shadow, &ops[i], NULL) != 0) {
			nb_doc_free(s->shadow);
			s->shadow = NULL;
		}
	}
}

void
sync_local(struct sync *s, const struct ot_op *op)
{
	if (s->nbuffer == s->capbuffer) {
		s->capbuffer = s->capbuffer ? s->capbuffer * 2 : 16;
		s->buffer = xrealloc(s->buffer,
		    s->capbuffer * sizeof *s->buffer);
	}
	ot_op_copy(&s->buffer[s->nbuffer++], op);
}

size_t
sync_take_send(struct sync *s, const struct ot_op **ops, uint64_t *version)
{
	if (s->in_flight || s->nbuffer == 0)
		return 0;
	s->inflight = s->buffer;
	s->ninflight = s->nbuffer;
	s->buffer = NULL;
	s->nbuffer = s->capbuffer = 0;
	s->in_flight = true;
	snprintf(s->tag, sizeof s->tag, "g%016" PRIx64 ".%" PRIu64,
	    s->client, ++s->ntags);
	*ops = s->inflight;
	*version = s->version;
	return s->ninflight;
}

bool
sync_in_flight(const struct sync *s)
{
	return s->in_flight;
}

bool
sync_pending(const struct sync *s)
{
	return s->in_flight || s->nbuffer > 0;
}

void
sync_ack(struct sync *s, uint64_t version)
{
	/* As the kernel applied them: sync_remote() transformed them over
	 * what it had accepted first. */
	shadow_apply(s, s->inflight, s->ninflight);
	ot_ops_free(s->inflight, s->ninflight);
	s->inflight = NULL;
	s->ninflight = 0;
	s->in_flight = false;
	if (version > s->version)
		s->version = version;
}

bool
sync_after_ack(uint64_t version, size_t n, uint64_t ack_version)
{
	return version >= n && version - n >= ack_version;
}

void
sync_remote(struct sync *s, struct ot_op *ops, size_t *n, uint64_t version)
{
	/* As the kernel applied them, before ours. */
	shadow_apply(s, ops, *n);
	if (s->ninflight > 0)
		ot_transform_ops(ops, n, s->inflight, &s->ninflight, true);
	if (s->nbuffer > 0)
		ot_transform_ops(ops, n, s->buffer, &s->nbuffer, true);
	for (size_t i = 0; i < *n; i++) {
		stack_transform(&s->undo, &ops[i]);
		stack_transform(&s->redo, &ops[i]);
	}
	if (version > s->version)
		s->version = version;
}

bool
sync_rejoin(struct sync *s, const struct nb_doc *kdoc, uint64_t version,
    bool applied, const struct nb_doc *keep, struct ot_op **ops, size_t *n)
{
	struct nb_doc	*base = s->shadow;
	struct ot_op	*pend, *d = NULL;
	size_t		 npend = 0, nd;

	*ops = NULL;
	*n = 0;
	if (base == NULL)
		return false;
	s->shadow = NULL;
	/* Ours, in order: the edit in flight (unless the kernel has it:
	 * then it is part of the base), then the rest. */
	if (s->in_flight && applied) {
		for (size_t i = 0; i < s->ninflight; i++)
			(void)ot_apply(base, &s->inflight[i], NULL);
		ot_ops_free(s->inflight, s->ninflight);
		s->inflight = NULL;
		s->ninflight = 0;
	}
	pend = xcalloc(s->ninflight + s->nbuffer + 1, sizeof *pend);
	for (size_t i = 0; i < s->ninflight; i++)
		pend[npend++] = s->inflight[i];
	for (size_t i = 0; i < s->nbuffer; i++)
		pend[npend++] = s->buffer[i];
	free(s->inflight);
	free(s->buffer);
	s->inflight = NULL;
	s->ninflight = 0;
	s->in_flight = false;
	s->buffer = pend;
	s->nbuffer = s->capbuffer = npend;
	if (keep != NULL) {
		/* What we have is what counts (the user wrote it to the file
		 * while the kernel was away): the ops to send are those from
		 * the kernel's doc to ours; nothing changes here. */
		ot_ops_free(pend, npend);
		s->buffer = NULL;
		s->nbuffer = s->capbuffer = 0;
		nd = ot_diff(kdoc, keep, &d);
		for (size_t i = 0; i < nd; i++)
			sync_local(s, &d[i]);
		ot_ops_free(d, nd);
		d = NULL;
		nd = 0;
	} else {
		/* The kernel's changes since base, as one remote batch. */
		nd = ot_diff(base, kdoc, &d);
		if (s->nbuffer > 0)
			ot_transform_ops(d, &nd, s->buffer, &s->nbuffer, true);
		for (size_t i = 0; i < nd; i++) {
			stack_transform(&s->undo, &d[i]);
			stack_transform(&s->redo, &d[i]);
		}
	}
	nb_doc_free(base);
	s->shadow = nb_doc_clone(kdoc);
	s->version = version;
	s->tag[0] = '\0';
	*ops = d;
	*n = nd;
	return true;
}

/* ------------------------------------------------------------------ */
/* Inversion */

void
sync_text_op(struct ot_op *op, const char *id, size_t len, size_t pos,
    size_t del, const char *ins, size_t n)
{
	memset(op, 0, sizeof *op);
	op->kind = OT_TEXT;
	snprintf(op->id, sizeof op->id, "%s", id);
	op->comps = xcalloc(4, sizeof *op->comps);
	if (pos > 0)
		op->comps[op->ncomps++] = (struct ot_comp){ OT_RETAIN, pos,
		    NULL };
	if (del > 0)
		op->comps[op->ncomps++] = (struct ot_comp){ OT_DELETE, del,
		    NULL };
	if (n > 0)
		op->comps[op->ncomps++] = (struct ot_comp){ OT_INSERT, n,
		    xstrndup(ins, n) };
	if (len > pos + del)
		op->comps[op->ncomps++] = (struct ot_comp){ OT_RETAIN,
		    len - pos - del, NULL };
}

static size_t
invert_text(const struct nb_cell *c, const struct ot_op *op, struct ot_op *out)
{
	size_t		 len, pos = 0;
	const char	*src = nb_cell_source(c, &len);

	memset(out, 0, sizeof *out);
	out->kind = OT_TEXT;
	memcpy(out->id, op->id, sizeof out->id);
	out->comps = xcalloc(op->ncomps ? op->ncomps : 1, sizeof *out->comps);
	for (size_t i = 0; i < op->ncomps; i++) {
		const struct ot_comp *k = &op->comps[i];
		struct ot_comp	*o = &out->comps[out->ncomps++];

		switch (k->kind) {
		case OT_RETAIN:
			*o = (struct ot_comp){ OT_RETAIN, k->n, NULL };
			pos += k->n;
			break;
		case OT_INSERT:
			*o = (struct ot_comp){ OT_DELETE, k->n, NULL };
			break;
		case OT_DELETE:
			if (pos + k->n > len) {
				ot_op_fini(out);
				return 0;
			}
			*o = (struct ot_comp){ OT_INSERT, k->n,
			    xstrndup(src + pos, k->n) };
			pos += k->n;
			break;
		}
	}
	return 1;
}

size_t
sync_invert(const struct nb_doc *doc, const struct ot_op *op,
    struct ot_op *out, size_t max)
{
	struct nb_cell	*c = NULL;
	size_t		 idx = 0, n = 0, len;
	const char	*src;

	if (max == 0)
		return 0;
	if (op->kind != OT_INSERT_CELL &&
	    (c = nb_doc_find(doc, op->id, &idx)) == NULL)
		return 0;
	memset(out, 0, sizeof *out);
	memcpy(out->id, op->id, sizeof out->id);
	switch (op->kind) {
	case OT_INSERT_CELL:
		out->kind = OT_DELETE_CELL;
		out->from = op->index;
		return 1;
	case OT_DELETE_CELL:
		src = nb_cell_source(c, &len);
		out->kind = OT_INSERT_CELL;
		out->index = idx;
		out->cell_kind = nb_cell_kind(c);
		out->text = xstrndup(src, len);
		n = 1;
		for (size_t i = 0; i < nb_cell_meta_count(c) && n < max; i++) {
			const char	*k, *v;

			nb_cell_meta_at(c, i, &k, &v);
			if (strcmp(k, "id") == 0)
				continue;
			memset(&out[n], 0, sizeof out[n]);
			out[n].kind = OT_SET_META;
			memcpy(out[n].id, op->id, sizeof out[n].id);
			out[n].key = xstrdup(k);
			out[n].text = xstrdup(v);
			n++;
		}
		return n;
	case OT_MOVE_CELL:
		out->kind = OT_MOVE_CELL;
		out->from = op->index;
		out->index = idx;
		return 1;
	case OT_SET_KIND:
		out->kind = OT_SET_KIND;
		out->cell_kind = nb_cell_kind(c);
		return 1;
	case OT_SET_META: {
		const char *v = nb_cell_meta(c, op->key);

		out->kind = OT_SET_META;
		out->key = xstrdup(op->key);
		out->text = v != NULL ? xstrdup(v) : NULL;
		return 1;
	}
	case OT_TEXT:
		return invert_text(c, op, out);
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* History */

static void
stack_clear(struct stack *st)
{
	for (size_t i = 0; i < st->n; i++)
		ot_ops_free(st->g[i].ops, st->g[i].n);
	st->n = 0;
}

static struct group *
stack_push(struct stack *st)
{
	struct group	*g;

	if (st->n == st->cap) {
		st->cap = st->cap ? st->cap * 2 : 16;
		st->g = xrealloc(st->g, st->cap * sizeof *st->g);
	}
	g = &st->g[st->n++];
	memset(g, 0, sizeof *g);
	return g;
}

/* Rebases every group of st over r, a op on the current doc. */
static void
stack_transform(struct stack *st, const struct ot_op *r0)
{
	struct ot_op	 r;
	bool		 alive = true;

	ot_op_copy(&r, r0);
	for (size_t gi = st->n; gi-- > 0 && alive; ) {
		struct group	*g = &st->g[gi];
		size_t		 k = 0;

		for (size_t j = 0; j < g->n; j++) {
			struct ot_op	 a;
			int		 keep;

			if (!alive) {
				g->ops[k++] = g->ops[j];
				continue;
			}
			ot_op_copy(&a, &g->ops[j]);
			keep = ot_transform(&g->ops[j], &r, false);
			alive = ot_transform(&r, &a, true) != 0;
			ot_op_fini(&a);
			if (keep)
				g->ops[k++] = g->ops[j];
			else
				ot_op_fini(&g->ops[j]);
		}
		g->n = k;
	}
	ot_op_fini(&r);
	/* Drop groups that became empty. */
	{
		size_t	 k = 0;

		for (size_t i = 0; i < st->n; i++) {
			if (st->g[i].n == 0)
				free(st->g[i].ops);
			else
				st->g[k++] = st->g[i];
		}
		st->n = k;
	}
}

/* Puts inv[0..n) before the ops of g (the newest change is undone
 * first). */
static void
group_prepend(struct group *g, struct ot_op *inv, size_t n)
{
	struct ot_op	*ops = xcalloc(g->n + n, sizeof *ops);

	if (n > 0)
		memcpy(ops, inv, n * sizeof *ops);
	if (g->n > 0)
		memcpy(ops + n, g->ops, g->n * sizeof *ops);
	free(inv);			/* its ops now live in g */
	free(g->ops);
	g->ops = ops;
	g->n += n;
}

static void
push_group(struct stack *st, struct ot_op *inv, size_t n, enum sync_group kind,
    const char *cell, size_t offset, int64_t now)
{
	struct group	*g = stack_push(st);

	group_prepend(g, inv, n);
	snprintf(g->cell, sizeof g->cell, "%s", cell ? cell : "");
	g->offset = offset;
	g->kind = kind;
	g->t = now;
}

void
sync_push(struct sync *s, struct ot_op *inv, size_t n, enum sync_group kind,
    const char *cell, size_t offset, int64_t now_ms)
{
	struct group	*last = s->undo.n ? &s->undo.g[s->undo.n - 1] : NULL;

	stack_clear(&s->redo);
	if (n == 0) {
		free(inv);
		return;
	}
	if (last != NULL && !s->brk && kind != SYNC_G_OTHER &&
	    last->kind == kind && cell != NULL && strcmp(last->cell, cell) == 0 &&
	    now_ms - last->t < MERGE_MS) {
		group_prepend(last, inv, n);
		last->t = now_ms;
		return;
	}
	push_group(&s->undo, inv, n, kind, cell, offset, now_ms);
	s->brk = false;
}

void
sync_break(struct sync *s)
{
	s->brk = true;
}

static bool
pop_group(struct stack *st, struct ot_op **ops, size_t *n,
    char cell[NB_ID_MAX + 1], size_t *offset)
{
	struct group	*g;

	if (st->n == 0)
		return false;
	g = &st->g[--st->n];
	*ops = g->ops;
	*n = g->n;
	memcpy(cell, g->cell, NB_ID_MAX + 1);
	*offset = g->offset;
	return true;
}

bool
sync_undo(struct sync *s, struct ot_op **ops, size_t *n,
    char cell[NB_ID_MAX + 1], size_t *offset)
{
	s->brk = true;
	return pop_group(&s->undo, ops, n, cell, offset);
}

bool
sync_redo(struct sync *s, struct ot_op **ops, size_t *n,
    char cell[NB_ID_MAX + 1], size_t *offset)
{
	s->brk = true;
	return pop_group(&s->redo, ops, n, cell, offset);
}

void
sync_inv_prepend(struct ot_op **arr, size_t *n, struct ot_op *inv, size_t k)
{
	struct ot_op	*ops = xcalloc(*n + k + 1, sizeof *ops);

	if (k > 0)
		memcpy(ops, inv, k * sizeof *ops);
	if (*n > 0)
		memcpy(ops + k, *arr, *n * sizeof *ops);
	free(*arr);
	*arr = ops;
	*n += k;
}

void
sync_push_redo(struct sync *s, struct ot_op *inv, size_t n, const char *cell,
    size_t offset)
{
	if (n > 0)
		push_group(&s->redo, inv, n, SYNC_G_OTHER, cell, offset, 0);
	else
		free(inv);
}

void
sync_push_undo_keep(struct sync *s, struct ot_op *inv, size_t n,
    const char *cell, size_t offset)
{
	if (n > 0)
		push_group(&s->undo, inv, n, SYNC_G_OTHER, cell, offset, 0);
	else
		free(inv);
	s->brk = true;
}

size_t
sync_undo_depth(const struct sync *s)
{
	return s->undo.n;
}

size_t
sync_redo_depth(const struct sync *s)
{
	return s->redo.n;
}

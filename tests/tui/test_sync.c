/*
 * test_sync.c - the TUI's side of shared editing: inversion and undo over
 * real docs, and a randomized convergence check of several clients
 * against a simulated kernel that rebases edits exactly as
 * kernel/session.c does (ot_rebase over the ops accepted since the
 * client's version). Prints its seed.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "core/err.h"
#include "core/mem.h"
#include "core/notebook.h"
#include "core/ot.h"
#include "core/util.h"
#include "tui/sync.h"

static struct nb_doc *
parse(const char *text)
{
	struct nb_doc	*doc = NULL;
	struct gl_err	 err = { 0 };

	if (nb_parse(text, strlen(text), "t.nb.lua", &doc, &err) != 0)
		fail_msg("parse: %s", err.msg);
	return doc;
}

static char *
print(const struct nb_doc *doc)
{
	struct gl_buf	 b;

	gl_buf_init(&b);
	nb_print(doc, &b);
	return gl_buf_take(&b, NULL);
}

static void
apply(struct nb_doc *doc, struct ot_op *op)
{
	struct gl_err	 err = { 0 };

	if (ot_apply(doc, op, &err) != 0)
		fail_msg("apply: %s", err.msg);
}

/* Applies op through the history: inverse recorded, then applied. */
static void
do_op(struct sync *s, struct nb_doc *doc, struct ot_op *op, const char *cell)
{
	struct ot_op	 inv[8];
	size_t		 n;

	ot_op_locate(doc, op, NULL);
	n = sync_invert(doc, op, inv, 8);
	assert_true(n > 0);
	apply(doc, op);
	sync_local(s, op);
	{
		struct ot_op *heap = xcalloc(n, sizeof *heap);

		memcpy(heap, inv, n * sizeof *heap);
		sync_push(s, heap, n, SYNC_G_OTHER, cell, 0, 0);
	}
}

/* Undoes the last group, recording its inverse for redo. */
static bool
undo(struct sync *s, struct nb_doc *doc, bool redo)
{
	struct ot_op	*ops, *inv;
	size_t		 n, ninv = 0, off;
	char		 cell[NB_ID_MAX + 1];

	if (!(redo ? sync_redo : sync_undo)(s, &ops, &n, cell, &off))
		return false;
	inv = NULL;
	for (size_t i = 0; i < n; i++) {
		struct ot_op	 one[8];
		size_t		 k;

		ot_op_locate(doc, &ops[i], NULL);
		k = sync_invert(doc, &ops[i], one, 8);
		sync_inv_prepend(&inv, &ninv, one, k);
		apply(doc, &ops[i]);
		sync_local(s, &ops[i]);
		ot_op_fini(&ops[i]);
	}
	free(ops);
	if (redo)
		sync_push_undo_keep(s, inv, ninv, cell, off);
	else
		sync_push_redo(s, inv, ninv, cell, off);
	return true;
}

static void
test_every_op_kind_inverts(void **state)
{
	const char	*text = "-- %% id=\"a\" tags=[\"x\"]\nlocal a = 1\n\n"
			    "-- %% [markdown] id=\"b\"\n-- # B\n\n"
			    "-- %% id=\"c\"\nc()\n";
	struct nb_doc	*doc = parse(text);
	struct sync	*s = sync_new(0);
	char		*before = print(doc), *after;
	struct ot_op	 op;

	/* delete a (with its metadata), move c first, set b to code, set a
	 * key, edit text, insert a cell; then undo everything. */
	memset(&op, 0, sizeof op);
	op.kind = OT_DELETE_CELL;
	strcpy(op.id, "a");
	do_op(s, doc, &op, "a");
	memset(&op, 0, sizeof op);
	op.kind = OT_MOVE_CELL;
	strcpy(op.id, "c");
	op.index = 0;
	do_op(s, doc, &op, "c");
	memset(&op, 0, sizeof op);
	op.kind = OT_SET_KIND;
	strcpy(op.id, "b");
	op.cell_kind = NB_CODE;
	do_op(s, doc, &op, "b");
	memset(&op, 0, sizeof op);
	op.kind = OT_SET_META;
	strcpy(op.id, "b");
	op.key = xstrdup("tags");
	op.text = xstrdup("[\"slow\"]");
	do_op(s, doc, &op, "b");
	ot_op_fini(&op);
	sync_text_op(&op, "c", 3, 1, 2, "allme()", 7);
	do_op(s, doc, &op, "c");
	ot_op_fini(&op);
	memset(&op, 0, sizeof op);
	op.kind = OT_INSERT_CELL;
	strcpy(op.id, "n");
	op.index = 1;
	op.text = xstrdup("new");
	do_op(s, doc, &op, "n");
	ot_op_fini(&op);
	assert_int_equal(sync_undo_depth(s), 6);
	while (undo(s, doc, false))
		;
	after = print(doc);
	/* Undone cells print canonically; compare the cells instead of the
	 * bytes. */
	{
		struct nb_doc *orig = parse(text);

		assert_int_equal(nb_doc_count(doc), nb_doc_count(orig));
		for (size_t i = 0; i < nb_doc_count(doc); i++) {
			struct nb_cell *x = nb_doc_cell(doc, i);
			struct nb_cell *y = nb_doc_cell(orig, i);

			assert_string_equal(nb_cell_id(x), nb_cell_id(y));
			assert_int_equal(nb_cell_kind(x), nb_cell_kind(y));
			assert_string_equal(nb_cell_source(x, NULL),
			    nb_cell_source(y, NULL));
			assert_int_equal(nb_cell_has_tag(x, "x"),
			    nb_cell_has_tag(y, "x"));
			assert_false(nb_cell_has_tag(x, "slow"));
		}
		nb_doc_free(orig);
	}
	assert_int_equal(sync_redo_depth(s), 6);
	/* Redo everything, then undo again: same doc. */
	while (undo(s, doc, true))
		;
	assert_int_equal(nb_doc_count(doc), 3);
	assert_string_equal(nb_cell_id(nb_doc_cell(doc, 0)), "c");
	assert_string_equal(nb_cell_source(nb_doc_cell(doc, 0), NULL),
	    "callme()");
	/* And undo once more: a's deletion is undone again, tags and all
	 * (the inverse of a delete is several ops, kept in order). */
	while (undo(s, doc, false))
		;
	assert_non_null(nb_doc_find(doc, "a", NULL));
	assert_true(nb_cell_has_tag(nb_doc_find(doc, "a", NULL), "x"));
	assert_int_equal(nb_doc_count(doc), 3);
	free(before);
	free(after);
	sync_free(s);
	nb_doc_free(doc);
}

static void
test_typing_merges_into_one_undo(void **state)
{
	struct nb_doc	*doc = parse("-- %% id=\"a\"\n\n");
	struct sync	*s = sync_new(0);
	const char	*word = "hello";

	for (size_t i = 0; i < strlen(word); i++) {
		struct ot_op	 op, *inv = xcalloc(1, sizeof *inv);

		sync_text_op(&op, "a", i, i, 0, word + i, 1);
		assert_int_equal(sync_invert(doc, &op, inv, 1), 1);
		apply(doc, &op);
		sync_push(s, inv, 1, SYNC_G_TYPE, "a", i, (int64_t)i * 100);
		ot_op_fini(&op);
	}
	assert_int_equal(sync_undo_depth(s), 1);
	assert_true(undo(s, doc, false));
	assert_string_equal(nb_cell_source(nb_doc_cell(doc, 0), NULL), "");
	sync_free(s);
	nb_doc_free(doc);
}

/* My edit, then someone inserts text before it: undo removes mine only. */
static void
test_undo_survives_a_remote_edit(void **state)
{
	struct nb_doc	*doc = parse("-- %% id=\"a\"\nabc\n");
	struct sync	*s = sync_new(5);
	struct ot_op	 op, remote[1];
	size_t		 n = 1;

	sync_text_op(&op, "a", 3, 3, 0, "XYZ", 3);
	do_op(s, doc, &op, "a");		/* abcXYZ, pending */
	ot_op_fini(&op);
	/* The kernel accepted someone's "123" at 0 before our edit. */
	sync_text_op(&remote[0], "a", 3, 0, 0, "123", 3);
	sync_remote(s, remote, &n, 6);
	assert_int_equal(n, 1);
	apply(doc, &remote[0]);
	ot_op_fini(&remote[0]);
	assert_string_equal(nb_cell_source(nb_doc_cell(doc, 0), NULL),
	    "123abcXYZ");
	assert_int_equal(sync_version(s), 6);
	assert_true(undo(s, doc, false));
	assert_string_equal(nb_cell_source(nb_doc_cell(doc, 0), NULL),
	    "123abc");
	sync_free(s);
	nb_doc_free(doc);
}

static void
test_ack_ordering_by_version(void **state)
{
	/* Our edit acked at 10. A batch of 2 ending at 8 came before it; a
	 * batch of 1 ending at 11 after; a batch of 3 ending at 10 with our
	 * edit a no-op (ack 10 too) came before. */
	assert_false(sync_after_ack(8, 2, 10));
	assert_true(sync_after_ack(11, 1, 10));
	assert_false(sync_after_ack(10, 3, 10));
}

/* ------------------------------------------------------------------ */
/* Convergence: clients and a simulated kernel. */

enum msg_kind { M_EDIT, M_ACK, M_OPS };

struct msg {
	enum msg_kind	 kind;
	uint64_t	 version;
	struct ot_op	*ops;
	size_t		 n;
	char		 tag[SYNC_TAG_MAX];	/* an edit's */
	struct msg	*next;
};

struct queue {
	struct msg	*head, *tail;
};

struct client {
	struct nb_doc	*doc;
	struct sync	*s;
	struct queue	 to_kernel, from_kernel;
	int		 ids;
	bool		 away;		/* its kernel crashed: not rejoined */
};

/* A kernel as kernel/session*.c: what it applied survives a crash (the
 * journal), with the tags of the edits; versions start again at 0. */
struct kernel {
	struct nb_doc	*doc;
	uint64_t	 version;
	struct ot_op	*hist;
	size_t		 nhist;
	char		(*tags)[SYNC_TAG_MAX];
	size_t		 ntags;
};

#define NCLIENTS 3

static void
q_push(struct queue *q, enum msg_kind kind, uint64_t v, const struct ot_op *ops,
    size_t n)
{
	struct msg	*m = xcalloc(1, sizeof *m);

	m->kind = kind;
	m->version = v;
	m->n = n;
	m->ops = xcalloc(n + 1, sizeof *m->ops);
	for (size_t i = 0; i < n; i++)
		ot_op_copy(&m->ops[i], &ops[i]);
	if (q->tail)
		q->tail->next = m;
	else
		q->head = m;
	q->tail = m;
}

static struct msg *
q_pop(struct queue *q)
{
	struct msg	*m = q->head;

	if (m != NULL) {
		q->head = m->next;
		if (q->head == NULL)
			q->tail = NULL;
	}
	return m;
}

static void
msg_free(struct msg *m)
{
	for (size_t i = 0; i < m->n; i++)
		ot_op_fini(&m->ops[i]);
	free(m->ops);
	free(m);
}

static void
client_send(struct client *c)
{
	const struct ot_op	*ops;
	uint64_t		 v;
	size_t			 n;

	if (c->away || (n = sync_take_send(c->s, &ops, &v)) == 0)
		return;
	q_push(&c->to_kernel, M_EDIT, v, ops, n);
	snprintf(c->to_kernel.tail->tag, sizeof c->to_kernel.tail->tag,
	    "%s", sync_inflight_tag(c->s));
}

static void
client_edit(struct client *c, int who, struct gl_rng *rng)
{
	size_t		 count = nb_doc_count(c->doc), len;
	struct ot_op	 op;
	struct nb_cell	*cell;
	uint64_t	 r = gl_rng_below(rng, 10);

	memset(&op, 0, sizeof op);
	if (count == 0 || r == 0) {
		op.kind = OT_INSERT_CELL;
		snprintf(op.id, sizeof op.id, "c%d-%d", who, c->ids++);
		op.index = (size_t)gl_rng_below(rng, count + 1);
		op.text = xstrdup("x");
	} else if (r == 1 && count > 1) {
		op.kind = OT_DELETE_CELL;
		snprintf(op.id, sizeof op.id, "%s", nb_cell_id(nb_doc_cell(
		    c->doc, (size_t)gl_rng_below(rng, count))));
	} else if (r == 2 && count > 1) {
		op.kind = OT_MOVE_CELL;
		snprintf(op.id, sizeof op.id, "%s", nb_cell_id(nb_doc_cell(
		    c->doc, (size_t)gl_rng_below(rng, count))));
		op.index = (size_t)gl_rng_below(rng, count);
	} else if (r == 3) {
		op.kind = OT_SET_KIND;
		cell = nb_doc_cell(c->doc, (size_t)gl_rng_below(rng, count));
		snprintf(op.id, sizeof op.id, "%s", nb_cell_id(cell));
		op.cell_kind = gl_rng_below(rng, 2) ? NB_CODE : NB_MARKDOWN;
	} else {
		size_t	 pos, del;
		char	 ins[4] = { 0 };

		cell = nb_doc_cell(c->doc, (size_t)gl_rng_below(rng, count));
		nb_cell_source(cell, &len);
		pos = (size_t)gl_rng_below(rng, len + 1);
		del = gl_rng_below(rng, 3) == 0 && pos < len ?
		    (size_t)gl_rng_below(rng, len - pos) + 1 : 0;
		ins[0] = (char)('a' + gl_rng_below(rng, 26));
		sync_text_op(&op, nb_cell_id(cell), len, pos, del, ins,
		    gl_rng_below(rng, 4) ? 1 : 0);
		if (del == 0 && op.ncomps == 1 &&
		    op.comps[0].kind == OT_RETAIN) {
			ot_op_fini(&op);
			return;
		}
	}
	if (ot_op_locate(c->doc, &op, NULL) != 0 ||
	    ot_apply(c->doc, &op, NULL) != 0) {
		ot_op_fini(&op);
		return;
	}
	sync_local(c->s, &op);
	ot_op_fini(&op);
	client_send(c);
}

static void
kernel_take(struct kernel *k, struct client *cl, int who)
{
	struct msg	*m = q_pop(&cl[who].to_kernel);
	size_t		 n, first = k->nhist;

	if (m == NULL)
		return;
	assert_true(m->version <= k->version);
	n = m->n;
	ot_rebase(m->ops, &n, k->hist + m->version, k->nhist - m->version);
	m->n = n;
	for (size_t i = 0; i < n; i++) {
		struct gl_err err = { 0 };

		if (ot_apply(k->doc, &m->ops[i], &err) != 0)
			fail_msg("kernel apply: %s", err.msg);
		k->hist = xrealloc(k->hist, (k->nhist + 1) * sizeof *k->hist);
		ot_op_copy(&k->hist[k->nhist++], &m->ops[i]);
		k->version++;
	}
	k->tags = xrealloc(k->tags, (k->ntags + 1) * sizeof *k->tags);
	snprintf(k->tags[k->ntags++], SYNC_TAG_MAX, "%s", m->tag);
	q_push(&cl[who].from_kernel, M_ACK, k->version, NULL, 0);
	if (n > 0)
		for (int j = 0; j < NCLIENTS; j++)
			if (j != who && !cl[j].away)
				q_push(&cl[j].from_kernel, M_OPS, k->version,
				    k->hist + first, n);
	msg_free(m);
}

static void
client_take(struct client *c)
{
	struct msg	*m = q_pop(&c->from_kernel);

	if (m == NULL)
		return;
	if (m->kind == M_ACK) {
		sync_ack(c->s, m->version);
		client_send(c);
	} else {
		size_t	 n = m->n;

		sync_remote(c->s, m->ops, &n, m->version);
		for (size_t i = 0; i < n; i++) {
			struct gl_err err = { 0 };

			if (ot_apply(c->doc, &m->ops[i], &err) != 0)
				fail_msg("client apply: %s", err.msg);
		}
		m->n = n;
	}
	msg_free(m);
}

/* Delivers every message on the way until none is left. */
static void
drain(struct kernel *k, struct client *cl)
{
	for (bool busy = true; busy; ) {
		busy = false;
		for (int i = 0; i < NCLIENTS; i++) {
			if (cl[i].to_kernel.head) {
				kernel_take(k, cl, i);
				busy = true;
			}
			if (cl[i].from_kernel.head) {
				client_take(&cl[i]);
				busy = true;
			}
		}
	}
}

/* The kernel dies (kill -9): what it applied stays, with its tags;
 * every message on the way is lost, and every client must rejoin. */
static void
kernel_crash(struct kernel *k, struct client *cl)
{
	struct msg	*m;

	for (size_t i = 0; i < k->nhist; i++)
		ot_op_fini(&k->hist[i]);
	free(k->hist);
	k->hist = NULL;
	k->nhist = 0;
	k->version = 0;
	for (int i = 0; i < NCLIENTS; i++) {
		while ((m = q_pop(&cl[i].to_kernel)) != NULL)
			msg_free(m);
		while ((m = q_pop(&cl[i].from_kernel)) != NULL)
			msg_free(m);
		cl[i].away = true;
	}
}

/* A client reconnects: session.open with its in-flight tag. */
static void
client_rejoin(struct kernel *k, struct client *c)
{
	const char	*tag = sync_inflight_tag(c->s);
	bool		 applied = false;
	struct ot_op	*ops;
	size_t		 n;

	for (size_t i = 0; *tag != '\0' && i < k->ntags; i++)
		applied |= strcmp(k->tags[i], tag) == 0;
	assert_true(sync_rejoin(c->s, k->doc, k->version, applied, NULL, &ops,
	    &n));
	for (size_t i = 0; i < n; i++) {
		apply(c->doc, &ops[i]);
		ot_op_fini(&ops[i]);
	}
	free(ops);
	c->away = false;
	client_send(c);
}

static void
test_clients_converge(void **state)
{
	struct gl_rng	 rng;
	uint64_t	 seed = (uint64_t)time(NULL);
	const char	*text = "-- %% id=\"a\"\nabc\n\n-- %% id=\"b\"\ndef\n";
	char		*env = getenv("GALLEY_SEED");

	if (env != NULL)
		seed = strtoull(env, NULL, 10);
	print_message("seed %" PRIu64 " (GALLEY_SEED to replay)\n", seed);
	gl_rng_seed(&rng, seed);
	for (int round = 0; round < 40; round++) {
		struct kernel	 k = { parse(text), 0, NULL, 0, NULL, 0 };
		struct client	 cl[NCLIENTS];
		char		*want;

		memset(cl, 0, sizeof cl);
		for (int i = 0; i < NCLIENTS; i++) {
			cl[i].doc = parse(text);
			cl[i].s = sync_new(0);
			sync_set_base(cl[i].s, cl[i].doc);
			sync_set_client(cl[i].s, (uint64_t)i);
		}
		for (int step = 0; step < 300; step++) {
			int who = (int)gl_rng_below(&rng, NCLIENTS);

			/* Now and then the kernel dies, in the middle of
			 * everything; clients rejoin in their own time. */
			if (round % 2 == 1 && gl_rng_below(&rng, 60) == 0)
				kernel_crash(&k, cl);
			if (cl[who].away) {
				if (gl_rng_below(&rng, 2) == 0)
					client_edit(&cl[who], who, &rng);
				else
					client_rejoin(&k, &cl[who]);
				continue;
			}
			switch (gl_rng_below(&rng, 3)) {
			case 0:
				client_edit(&cl[who], who, &rng);
				break;
			case 1:
				kernel_take(&k, cl, who);
				break;
			default:
				client_take(&cl[who]);
				break;
			}
		}
		/* Drain. */
		for (int i = 0; i < NCLIENTS; i++)
			if (cl[i].away)
				client_rejoin(&k, &cl[i]);
		drain(&k, cl);
		want = print(k.doc);
		for (int i = 0; i < NCLIENTS; i++) {
			char	*got = print(cl[i].doc);

			assert_false(sync_pending(cl[i].s));
			assert_int_equal(sync_version(cl[i].s), k.version);
			if (strcmp(got, want) != 0)
				fail_msg("seed %" PRIu64 " round %d: client %d "
				    "diverged:\n%s\nkernel:\n%s", seed, round,
				    i, got, want);
			free(got);
			sync_free(cl[i].s);
			nb_doc_free(cl[i].doc);
		}
		free(want);
		for (size_t i = 0; i < k.nhist; i++)
			ot_op_fini(&k.hist[i]);
		free(k.hist);
		free(k.tags);
		nb_doc_free(k.doc);
	}
}

/* Typing while the kernel dies and comes back: every letter reaches the
 * kernel exactly once, whether it had applied the edit in flight (its
 * answer lost) or not, and whatever another client did meanwhile. */
static void
test_rejoin_keeps_every_edit_once(void **state)
{
	const char *text = "-- %% id=\"a\"\nab\n\n-- %% id=\"b\"\nxy\n";

	for (int applied = 0; applied < 2; applied++) {
		struct kernel	 k = { parse(text), 0, NULL, 0, NULL, 0 };
		struct client	 cl[NCLIENTS];
		struct ot_op	 op;
		char		*got, *want;

		memset(cl, 0, sizeof cl);
		for (int i = 0; i < NCLIENTS; i++) {
			cl[i].doc = parse(text);
			cl[i].s = sync_new(0);
			sync_set_base(cl[i].s, cl[i].doc);
			sync_set_client(cl[i].s, (uint64_t)i);
		}
		/* Client 0 types "1" (sent, in flight), then "2". */
		sync_text_op(&op, "a", 2, 2, 0, "1", 1);
		apply(cl[0].doc, &op);
		sync_local(cl[0].s, &op);
		ot_op_fini(&op);
		client_send(&cl[0]);
		sync_text_op(&op, "a", 3, 3, 0, "2", 1);
		apply(cl[0].doc, &op);
		sync_local(cl[0].s, &op);
		ot_op_fini(&op);
		/* The kernel takes "1" (or not) and dies before the answer
		 * leaves; client 1 then edits cell b on the new kernel. */
		if (applied)
			kernel_take(&k, cl, 0);
		kernel_crash(&k, cl);
		client_rejoin(&k, &cl[1]);
		sync_text_op(&op, "b", 2, 0, 0, "Z", 1);
		apply(cl[1].doc, &op);
		sync_local(cl[1].s, &op);
		ot_op_fini(&op);
		client_send(&cl[1]);
		kernel_take(&k, cl, 1);
		/* Client 0 types "3" while away, then rejoins. */
		sync_text_op(&op, "a", 4, 4, 0, "3", 1);
		apply(cl[0].doc, &op);
		sync_local(cl[0].s, &op);
		ot_op_fini(&op);
		client_rejoin(&k, &cl[0]);
		client_rejoin(&k, &cl[2]);
		drain(&k, cl);
		want = print(k.doc);
		assert_string_equal(want, "-- %% id=\"a\"\nab123\n\n"
		    "-- %% id=\"b\"\nZxy\n");
		for (int i = 0; i < NCLIENTS; i++) {
			got = print(cl[i].doc);
			assert_string_equal(got, want);
			free(got);
			sync_free(cl[i].s);
			nb_doc_free(cl[i].doc);
		}
		free(want);
		for (size_t i = 0; i < k.nhist; i++)
			ot_op_fini(&k.hist[i]);
		free(k.hist);
		free(k.tags);
		nb_doc_free(k.doc);
	}
}

/* The user wrote galley's copy to the file while the kernel was away:
 * on rejoining, that copy wins over whatever the kernel came back with
 * (here an older state of the same cell). */
static void
test_rejoin_keeping_the_local_doc(void **state)
{
	struct nb_doc	*k = parse("-- %% id=\"a\"\nx = 1 +\n");
	struct nb_doc	*local = parse("-- %% id=\"a\"\nx = 1\n");
	struct sync	*s = sync_new(4);
	struct ot_op	 op, *ops;
	const struct ot_op *send;
	size_t		 n;
	uint64_t	 v;

	sync_set_base(s, local);
	sync_text_op(&op, "a", 5, 5, 0, " + 2", 4);
	apply(local, &op);
	sync_local(s, &op);
	ot_op_fini(&op);
	assert_true(sync_rejoin(s, k, 9, false, local, &ops, &n));
	assert_int_equal(n, 0);
	free(ops);
	assert_int_equal(sync_version(s), 9);
	assert_true(sync_pending(s));
	assert_int_equal(n = sync_take_send(s, &send, &v), 1);
	assert_int_equal(v, 9);
	for (size_t i = 0; i < n; i++) {
		struct ot_op c;

		ot_op_copy(&c, &send[i]);
		apply(k, &c);
		ot_op_fini(&c);
	}
	{
		char *a = print(k), *b = print(local);

		assert_string_equal(a, b);
		free(a);
		free(b);
	}
	sync_free(s);
	nb_doc_free(k);
	nb_doc_free(local);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_op_kind_inverts),
		cmocka_unit_test(test_typing_merges_into_one_undo),
		cmocka_unit_test(test_undo_survives_a_remote_edit),
		cmocka_unit_test(test_ack_ordering_by_version),
		cmocka_unit_test(test_clients_converge),
		cmocka_unit_test(test_rejoin_keeps_every_edit_once),
		cmocka_unit_test(test_rejoin_keeping_the_local_doc),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

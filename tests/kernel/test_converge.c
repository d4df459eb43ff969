/*
 * test_converge.c - many members editing one notebook at once converge
 * (issue 12, DESIGN section 7): 8 simulated clients on loopback TCP make
 * thousands of concurrent edits of every kind (text inserts and deletes,
 * cell insert, delete, move, kind, metadata) in a random interleaving
 * with random pauses and random disconnects; at the end every client's
 * document, the file a save writes and a replay of the journal (after
 * kill -9 of the kernel) are the same bytes.
 *
 * Each client is a Jupiter client as the TUI is: one edit in flight,
 * later local edits buffered; the kernel's doc.ops are transformed
 * against both (ot_transform_ops, the kernel's ops first) and applied.
 * A client that disconnects keeps its buffer, attaches again, sends it
 * on the version it was made on and reloads with doc.get.
 *
 * Seeded: GL_SEED=N replays a run; the seed is printed on failure.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <time.h>

#include "kfixture.h"
#include "core/ot.h"

#define NCLIENTS	8
#define NSTEPS		12000	/* scheduler steps: about 4000 edits */
#define WAIT_MS		20000

static unsigned long	 seed;
static unsigned long	 rng_state;

static unsigned
rnd(unsigned n)
{
	rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
	return n == 0 ? 0 : (unsigned)((rng_state >> 33) % n);
}

#define CHECK(c) do {							\
	if (!(c)) {							\
		fprintf(stderr, "converge: GL_SEED=%lu: %s:%d: %s\n",	\
		    seed, __FILE__, __LINE__, #c);			\
		fail();							\
	}								\
} while (0)

struct sim {
	int		 n;		/* which client */
	struct kc	*k;		/* NULL while disconnected */
	struct nb_doc	*doc;		/* kernel@version + infl + buf */
	uint64_t	 version;
	struct ot_op	*infl, *buf;	/* in flight; made after it */
	size_t		 ninfl, nbuf;
	bool		 sent;		/* an edit is in flight */
	uint32_t	 id;
	uint64_t	 ids;		/* new cells' ids */
	size_t		 edits;
};

static char		*sid;
static char		*addr, *token_file;

static void
sim_send(struct sim *s)
{
	struct rpc_writer	*w;
	struct gl_err		 err;

	if (s->sent || s->nbuf == 0 || s->k == NULL)
		return;
	ot_ops_free(s->infl, s->ninfl);
	s->infl = s->buf;
	s->ninfl = s->nbuf;
	s->buf = NULL;
	s->nbuf = 0;
	w = cl_begin(s->k->conn, "doc.edit", &s->id);
	msgpack_pack_map(&w->pk, 3);
	rpc_pack_kv_str(&w->pk, "session", sid);
	rpc_pack_kv_int(&w->pk, "version", (int64_t)s->version);
	rpc_pack_key(&w->pk, "ops");
	msgpack_pack_array(&w->pk, s->ninfl);
	for (size_t i = 0; i < s->ninfl; i++)
		ot_encode(&w->pk, &s->infl[i]);
	CHECK(cl_send(s->k->conn, &err) == 0);
	s->sent = true;
}

/* The kernel's ops (a doc.ops): transformed against what s has not had
 * acknowledged, applied. */
static void
sim_on_ops(struct sim *s, const msgpack_object *args)
{
	const msgpack_object	*ao = rpc_map_get(args, "ops");
	struct ot_op		*ops;
	size_t			 n;
	struct gl_err		 err;

	CHECK(ao != NULL && ao->type == MSGPACK_OBJECT_ARRAY);
	n = ao->via.array.size;
	ops = xcalloc(n + 1, sizeof *ops);
	for (size_t i = 0; i < n; i++)
		CHECK(ot_decode(&ao->via.array.ptr[i], &ops[i], &err) == 0);
	if ((uint64_t)rpc_map_int(args, "version", 0) != s->version + n)
		fprintf(stderr, "client %d at %llu: doc.ops of %zu to %lld\n",
		    s->n, (unsigned long long)s->version, n,
		    (long long)rpc_map_int(args, "version", 0));
	CHECK((uint64_t)rpc_map_int(args, "version", 0) == s->version + n);
	s->version += n;
	ot_transform_ops(ops, &n, s->infl, &s->ninfl, true);
	ot_transform_ops(ops, &n, s->buf, &s->nbuf, true);
	for (size_t i = 0; i < n; i++) {
		int rc = ot_apply(s->doc, &ops[i], &err);

		if (rc != 0)
			fprintf(stderr, "client %d: %s\n", s->n, err.msg);
		CHECK(rc == 0);
	}
	ot_ops_free(ops, n);
}

static void
sim_on_ack(struct sim *s, uint64_t version)
{
	s->sent = false;
	ot_ops_free(s->infl, s->ninfl);
	s->infl = NULL;
	s->ninfl = 0;
	s->version = version;
}

/* Takes what arrived, in the kernel's order: doc.ops made before the
 * acknowledged edit (their first version is below the answer's) go
 * first. */
static void
sim_poll(struct sim *s)
{
	struct rpc_msg	 m, resp;
	struct gl_err	 err;
	bool		 acked = false;
	uint64_t	 av = 0;
	int		 rc;

	if (s->k == NULL)
		return;
	for (;;) {
		int nrc = cl_next_notify(s->k->conn, &m, 0, &err);

		/* Reading a notification may have read the answer too
		 * (before or after it: versions tell). */
		if (s->sent && !acked) {
			rc = cl_wait(s->k->conn, s->id, &resp, 0, &err);
			if (rc == 0) {
				acked = true;
				av = (uint64_t)rpc_map_int(resp.result,
				    "version", 0);
				rpc_msg_fini(&resp);
			} else if (rc != GL_ETIMEDOUT) {
				fprintf(stderr, "client %d: doc.edit: %s\n",
				    s->n, err.msg);
				CHECK(rc == GL_ETIMEDOUT);
			}
		}
		if ((rc = nrc) != 1) {
			/* Taking the answer may have read notifications
			 * sent before it. */
			if (rc == 0 && cl_has_notify(s->k->conn))
				continue;
			break;
		}
		if (strcmp(m.method, "doc.ops") == 0) {
			const msgpack_object *ao = rpc_map_get(m.args, "ops");
			uint64_t v = (uint64_t)rpc_map_int(m.args, "version",
			    0);

			if (acked && ao != NULL && v - ao->via.array.size >=
			    av) {
				sim_on_ack(s, av);
				acked = false;
			}
			sim_on_ops(s, m.args);
		}
		rpc_msg_fini(&m);
	}
	CHECK(rc == 0);
	if (acked)
		sim_on_ack(s, av);
	sim_send(s);
}

/* A random edit of s's document, applied locally and buffered. */
static void
sim_edit(struct sim *s)
{
	size_t		 nc = nb_doc_count(s->doc), len, off, d;
	struct ot_op	 op;
	struct nb_cell	*c;
	struct gl_err	 err;
	unsigned	 what = rnd(20);
	char		 id[32];
	static const char *const keys[] = { "x", "y" };

	memset(&op, 0, sizeof op);
	if (nc == 0 || what == 0) {
		snprintf(id, sizeof id, "c%dn%llu", s->n,
		    (unsigned long long)++s->ids);
		op.kind = OT_INSERT_CELL;
		snprintf(op.id, sizeof op.id, "%s", id);
		op.index = rnd((unsigned)nc + 1);
		op.cell_kind = rnd(2) ? NB_CODE : NB_MARKDOWN;
		op.text = xstrdup(rnd(2) ? "new" : "");
	} else {
		c = nb_doc_cell(s->doc, rnd((unsigned)nc));
		snprintf(op.id, sizeof op.id, "%s", nb_cell_id(c));
		if (what == 1 && nc > 3) {
			op.kind = OT_DELETE_CELL;
		} else if (what == 2) {
			op.kind = OT_MOVE_CELL;
			op.index = rnd((unsigned)nc);
		} else if (what == 3) {
			op.kind = OT_SET_KIND;
			op.cell_kind = nb_cell_kind(c) == NB_CODE ?
			    NB_MARKDOWN : NB_CODE;
		} else if (what == 4) {
			op.kind = OT_SET_META;
			op.key = xstrdup(keys[rnd(2)]);
			op.text = rnd(3) == 0 ? NULL :
			    xasprintf("\"v%u\"", rnd(100));
		} else {
			(void)nb_cell_source(c, &len);
			op.kind = OT_TEXT;
			op.comps = xcalloc(3, sizeof *op.comps);
			off = rnd((unsigned)len + 1);
			if (off > 0) {
				op.comps[op.ncomps].kind = OT_RETAIN;
				op.comps[op.ncomps++].n = off;
			}
			if (len > off && rnd(3) == 0) {
				d = 1 + rnd((unsigned)(len - off < 3 ?
				    len - off : 3));
				op.comps[op.ncomps].kind = OT_DELETE;
				op.comps[op.ncomps++].n = d;
				off += d;
			} else {
				static const char *const ins[] = { "a", "bc",
				    "\n", "xyz" };
				const char *t = ins[rnd(4)];

				op.comps[op.ncomps].kind = OT_INSERT;
				op.comps[op.ncomps].s = xstrdup(t);
				op.comps[op.ncomps++].n = strlen(t);
			}
			if (len > off) {
				op.comps[op.ncomps].kind = OT_RETAIN;
				op.comps[op.ncomps++].n = len - off;
			}
		}
	}
	if (ot_op_locate(s->doc, &op, &err) != 0 ||
	    ot_apply(s->doc, &op, &err) != 0) {
		ot_op_fini(&op);	/* e.g. a move to where it is */
		return;
	}
	s->buf = xrealloc(s->buf, (s->nbuf + 1) * sizeof *s->buf);
	s->buf[s->nbuf++] = op;
	s->edits++;
}

/* The kernel's document as doc.get gives it, as a client builds it. */
static struct nb_doc *
doc_of(const msgpack_object *cells)
{
	struct nb_doc	*doc = nb_doc_new();
	struct gl_err	 err;

	for (uint32_t i = 0; i < cells->via.array.size; i++) {
		const msgpack_object	*c = &cells->via.array.ptr[i];
		const msgpack_object	*meta = rpc_map_get(c, "meta");
		const char		*src;
		size_t			 len = 0;
		char			*id = rpc_map_strdup(c, "id");

		src = rpc_map_str(c, "source", &len);
		CHECK(nb_doc_insert(doc, i, rpc_obj_streq(rpc_map_get(c,
		    "kind"), "markdown") ? NB_MARKDOWN : NB_CODE, id, src,
		    len, NULL, &err) != NULL);
		for (uint32_t j = 0; meta != NULL && j < meta->via.map.size;
		    j++) {
			struct ot_op	 op;
			const msgpack_object *k = &meta->via.map.ptr[j].key;
			const msgpack_object *v = &meta->via.map.ptr[j].val;

			memset(&op, 0, sizeof op);
			op.kind = OT_SET_META;
			snprintf(op.id, sizeof op.id, "%s", id);
			op.key = xstrndup(k->via.str.ptr, k->via.str.size);
			if (strcmp(op.key, "id") != 0) {
				op.text = xstrndup(v->via.str.ptr,
				    v->via.str.size);
				CHECK(ot_apply(doc, &op, &err) == 0);
			}
			ot_op_fini(&op);
		}
		free(id);
	}
	return doc;
}

static void
pack_session(msgpack_packer *pk, void *ctx)
{
	(void)ctx;
	msgpack_pack_map(pk, 1);
	rpc_pack_kv_str(pk, "session", sid);
}

/* s, disconnected, comes back: attaches, sends its buffer on the
 * version it was made on, and reloads. */
static void
sim_reconnect(struct sim *s)
{
	struct rpc_msg	 m;
	struct gl_err	 err;
	uint64_t	 got;
	int		 rc;

	CHECK((s->k = kc_connect_tcp(addr, token_file)) != NULL);
	CHECK(cl_call(s->k->conn, "session.attach", pack_session, NULL, &m,
	    WAIT_MS, &err) == 0);
	rpc_msg_fini(&m);
	sim_send(s);
	if (s->sent) {
		CHECK(cl_wait(s->k->conn, s->id, &m, WAIT_MS, &err) == 0);
		rpc_msg_fini(&m);
		sim_on_ack(s, 0);
	}
	CHECK(cl_call(s->k->conn, "doc.get", pack_session, NULL, &m, WAIT_MS,
	    &err) == 0);
	nb_doc_free(s->doc);
	s->doc = doc_of(rpc_map_get(m.result, "cells"));
	s->version = (uint64_t)rpc_map_int(m.result, "version", 0);
	rpc_msg_fini(&m);
	/* What came before the reload is in it. */
	while ((rc = cl_next_notify(s->k->conn, &m, 0, &err)) == 1) {
		if (strcmp(m.method, "doc.ops") == 0) {
			got = (uint64_t)rpc_map_int(m.args, "version", 0);
			if (got > s->version)
				sim_on_ops(s, m.args);
		}
		rpc_msg_fini(&m);
	}
	CHECK(rc == 0);
}

static char *
print_doc(const struct nb_doc *doc)
{
	struct gl_buf	 b;
	size_t		 len;

	gl_buf_init(&b);
	nb_print(doc, &b);
	return gl_buf_take(&b, &len);
}

static void
test_converge(void **state)
{
	struct kt	*t = *state;
	struct sim	 sims[NCLIENTS];
	struct nb_doc	*init = nb_doc_new();
	struct gl_err	 err;
	struct kc	*k;
	json_t		*r;
	char		*text, *nb, *want, *disk;
	const char	*env = getenv("GL_SEED");
	size_t		 edits = 0, drops = 0;
	uint64_t	 deadline, final;
	bool		 busy;

	seed = env != NULL ? strtoul(env, NULL, 10) :
	    (unsigned long)time(NULL);
	rng_state = seed;
	fprintf(stderr, "# GL_SEED=%lu\n", seed);
	for (int i = 0; i < 5; i++) {
		char id[8], src[32];

		snprintf(id, sizeof id, "c%d", i);
		snprintf(src, sizeof src, "cell %d", i);
		CHECK(nb_doc_insert(init, (size_t)i, NB_CODE, id, src,
		    strlen(src), NULL, &err) != NULL);
	}
	text = print_doc(init);
	nb_doc_free(init);
	nb = kt_write(t->proj, "conv.nb.lua", text);
	t->listen = "127.0.0.1:0";
	CHECK(kt_start(t) > 0);
	addr = kt_listen_addr(t);
	token_file = xasprintf("%s/token", t->run);
	k = kt_conn(t);
	r = kc_call(k, "session.open", json_pack("{s:s}", "path", nb));
	CHECK(r != NULL);
	sid = xstrdup(kj_str(r, "session"));
	memset(sims, 0, sizeof sims);
	for (int i = 0; i < NCLIENTS; i++) {
		struct sim *s = &sims[i];

		s->n = i;
		CHECK(nb_parse(text, strlen(text), "conv", &s->doc, &err) ==
		    0);
		CHECK((s->k = kc_connect_tcp(addr, token_file)) != NULL);
		json_decref(kc_call(s->k, "session.attach", json_pack(
		    "{s:s}", "session", sid)));
	}
	/* Random interleaving: a step is one client's edit, read,
	 * disconnect or return; some clients sit still for a while. */
	for (int step = 0; step < NSTEPS; step++) {
		struct sim *s = &sims[rnd(NCLIENTS)];
		unsigned what = rnd(100);

		if (s->k == NULL) {
			if (what < 10)
				sim_reconnect(s);
			continue;
		}
		if (what < 35)
			sim_edit(s);
		else if (what < 40 && !s->sent) {
			kc_free(s->k);
			s->k = NULL;
			drops++;
			continue;
		}
		sim_poll(s);
	}
	/* Everyone back and everything acknowledged. */
	for (int i = 0; i < NCLIENTS; i++)
		if (sims[i].k == NULL)
			sim_reconnect(&sims[i]);
	deadline = kc_now_ms() + WAIT_MS;
	do {
		busy = false;
		for (int i = 0; i < NCLIENTS; i++) {
			sim_poll(&sims[i]);
			busy |= sims[i].sent || sims[i].nbuf > 0;
		}
	} while (busy && kc_now_ms() < deadline);
	CHECK(!busy);
	json_decref(r);
	r = kc_call(k, "doc.get", json_pack("{s:s}", "session", sid));
	CHECK(r != NULL);
	final = (uint64_t)kj_int(r, "version");
	json_decref(r);
	do {
		busy = false;
		for (int i = 0; i < NCLIENTS; i++) {
			sim_poll(&sims[i]);
			busy |= sims[i].version != final;
		}
	} while (busy && kc_now_ms() < deadline);
	CHECK(!busy);
	want = print_doc(sims[0].doc);
	for (int i = 0; i < NCLIENTS; i++) {
		char *got = print_doc(sims[i].doc);

		if (strcmp(got, want) != 0)
			fprintf(stderr, "client %d differs:\n%s\n---\n%s\n",
			    i, got, want);
		CHECK(strcmp(got, want) == 0);
		free(got);
		edits += sims[i].edits;
	}
	fprintf(stderr, "# %zu edits, %zu disconnects, version %llu\n",
	    edits, drops, (unsigned long long)final);
	CHECK(edits > 2000);
	/* The journal replays to the same document: kill -9, reopen,
	 * save. */
	for (int i = 0; i < NCLIENTS; i++) {
		kc_free(sims[i].k);
		nb_doc_free(sims[i].doc);
		ot_ops_free(sims[i].infl, sims[i].ninfl);
		ot_ops_free(sims[i].buf, sims[i].nbuf);
	}
	kc_free(k);
	kt_kill9(t);
	CHECK(kt_start(t) > 0);
	k = kt_conn(t);
	r = kc_call(k, "session.open", json_pack("{s:s}", "path", nb));
	CHECK(r != NULL);
	CHECK((uint64_t)kj_int(r, "version") == final);
	json_decref(kc_call(k, "doc.save", json_pack("{s:s}", "session",
	    kj_str(r, "session"))));
	disk = kt_read(nb);
	if (strcmp(disk, want) != 0)
		fprintf(stderr, "saved file differs:\n%s\n---\n%s\n", disk,
		    want);
	CHECK(strcmp(disk, want) == 0);
	free(disk);
	json_decref(r);
	kc_free(k);
	CHECK(kt_stop(t) == 0);
	free(want);
	free(text);
	free(nb);
	free(addr);
	free(token_file);
	free(sid);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_converge, kt_setup,
		    kt_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

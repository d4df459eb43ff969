/*
 * test_ot.c - edit ops on a notebook: applying each op, every validation
 * error, the msgpack wire form (round trips and malformed maps), TP1 for
 * every pair of list ops on small docs, TP1 for random pairs on random
 * docs, and a Jupiter simulation: a server ordering the random edits of
 * 3 to 5 clients over FIFO links, after which every client's doc prints
 * as the server's. Random tests print their seed; GALLEY_OT_SEED=N
 * repeats a run.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/mem.h"
#include "core/notebook.h"
#include "core/ot.h"
#include "core/rpc.h"
#include "core/util.h"

static uint64_t seed;

/* Helpers: docs. */

static struct nb_doc *
parse(const char *text)
{
	struct nb_doc	*doc = NULL;
	struct gl_err	 err;

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
assert_doc(const struct nb_doc *doc, const char *want)
{
	char	*got = print(doc);

	if (strcmp(got, want) != 0) {
		fprintf(stderr, "--- want\n%s--- got\n%s---\n", want, got);
		free(got);
		fail_msg("doc differs");
	}
	free(got);
}

/* Everything a user could see of a doc, for comparing two docs. */
static char *
dump(const struct nb_doc *doc)
{
	struct gl_buf	 b;
	const char	*k, *v;

	gl_buf_init(&b);
	nb_print(doc, &b);
	gl_buf_adds(&b, "\n=====\n");
	for (size_t i = 0; i < nb_doc_count(doc); i++) {
		struct nb_cell *c = nb_doc_cell(doc, i);

		gl_buf_addf(&b, "[%s %s%s]", nb_cell_id(c),
		    nb_kind_name(nb_cell_kind(c)),
		    nb_cell_is_header(c) ? " header" : "");
		for (size_t j = 0; j < nb_cell_meta_count(c); j++) {
			nb_cell_meta_at(c, j, &k, &v);
			gl_buf_addf(&b, " %s=%s", k, v);
		}
		gl_buf_addf(&b, "\n%s\n", nb_cell_source(c, NULL));
	}
	return gl_buf_take(&b, NULL);
}

/* A doc holding only a header cell (a file whose only cell has no marker
 * is a code cell, so make one with a marker and drop that). */
static struct nb_doc *
header_doc(void)
{
	struct nb_doc	*doc = parse("-- header\nlocal x = 1\n\n"
			    "-- %% id=\"zz\"\nx\n");
	struct gl_err	 err;

	assert_true(nb_cell_is_header(nb_doc_cell(doc, 0)));
	assert_int_equal(nb_doc_remove(doc, 1, &err), 0);
	assert_int_equal(nb_doc_count(doc), 1);
	return doc;
}

/* Helpers: ops. */

static void
op_ins(struct ot_op *op, size_t index, const char *id, enum nb_kind kind,
    const char *src)
{
	memset(op, 0, sizeof *op);
	op->kind = OT_INSERT_CELL;
	op->index = index;
	snprintf(op->id, sizeof op->id, "%s", id);
	op->cell_kind = kind;
	op->text = xstrdup(src);
}

static void
op_del(struct ot_op *op, const char *id, size_t from)
{
	memset(op, 0, sizeof *op);
	op->kind = OT_DELETE_CELL;
	snprintf(op->id, sizeof op->id, "%s", id);
	op->from = from;
}

static void
op_mov(struct ot_op *op, const char *id, size_t from, size_t to)
{
	memset(op, 0, sizeof *op);
	op->kind = OT_MOVE_CELL;
	snprintf(op->id, sizeof op->id, "%s", id);
	op->from = from;
	op->index = to;
}

static void
op_kind(struct ot_op *op, const char *id, enum nb_kind kind)
{
	memset(op, 0, sizeof *op);
	op->kind = OT_SET_KIND;
	snprintf(op->id, sizeof op->id, "%s", id);
	op->cell_kind = kind;
}

static void
op_meta(struct ot_op *op, const char *id, const char *key, const char *json)
{
	memset(op, 0, sizeof *op);
	op->kind = OT_SET_META;
	snprintf(op->id, sizeof op->id, "%s", id);
	op->key = xstrdup(key);
	op->text = json != NULL ? xstrdup(json) : NULL;
}

static void
comp_add(struct ot_op *op, enum ot_comp_kind kind, size_t n, const char *s)
{
	struct ot_comp *c;

	op->comps = xrealloc(op->comps, (op->ncomps + 1) * sizeof *op->comps);
	c = &op->comps[op->ncomps++];
	c->kind = kind;
	c->n = n;
	c->s = s != NULL ? xstrndup(s, n) : NULL;
}

/* A text op from a spec: "=3" retains 3, "-2" deletes 2, anything else
 * inserts itself; NULL ends. */
static void
op_text(struct ot_op *op, const char *id, ...)
{
	va_list		 ap;
	const char	*s;

	memset(op, 0, sizeof *op);
	op->kind = OT_TEXT;
	snprintf(op->id, sizeof op->id, "%s", id);
	va_start(ap, id);
	while ((s = va_arg(ap, const char *)) != NULL) {
		if (s[0] == '=' && s[1] != '\0')
			comp_add(op, OT_RETAIN, strtoul(s + 1, NULL, 10), NULL);
		else if (s[0] == '-' && s[1] >= '0' && s[1] <= '9')
			comp_add(op, OT_DELETE, strtoul(s + 1, NULL, 10), NULL);
		else
			comp_add(op, OT_INSERT, strlen(s), s);
	}
	va_end(ap);
}

static void
describe(const struct ot_op *op, struct gl_buf *b)
{
	switch (op->kind) {
	case OT_INSERT_CELL:
		gl_buf_addf(b, "ins(%s @%zu %s \"%s\")", op->id, op->index,
		    nb_kind_name(op->cell_kind), op->text);
		break;
	case OT_DELETE_CELL:
		gl_buf_addf(b, "del(%s @%zu)", op->id, op->from);
		break;
	case OT_MOVE_CELL:
		gl_buf_addf(b, "mov(%s %zu->%zu)", op->id, op->from, op->index);
		break;
	case OT_SET_KIND:
		gl_buf_addf(b, "kind(%s %s)", op->id,
		    nb_kind_name(op->cell_kind));
		break;
	case OT_SET_META:
		gl_buf_addf(b, "meta(%s %s=%s)", op->id, op->key,
		    op->text != NULL ? op->text : "(nil)");
		break;
	case OT_TEXT:
		gl_buf_addf(b, "text(%s", op->id);
		for (size_t i = 0; i < op->ncomps; i++) {
			const struct ot_comp *c = &op->comps[i];

			if (c->kind == OT_RETAIN)
				gl_buf_addf(b, " =%zu", c->n);
			else if (c->kind == OT_DELETE)
				gl_buf_addf(b, " -%zu", c->n);
			else
				gl_buf_addf(b, " \"%.*s\"", (int)c->n, c->s);
		}
		gl_buf_addc(b, ')');
		break;
	}
}

static char *
describe_str(const struct ot_op *op)
{
	struct gl_buf	 b;

	gl_buf_init(&b);
	describe(op, &b);
	return gl_buf_take(&b, NULL);
}

/* Applies op to a fresh parse of before and compares with after. */
static void
check_apply(const char *before, const struct ot_op *op, const char *after)
{
	struct nb_doc	*doc = parse(before);
	struct gl_err	 err;

	if (ot_apply(doc, op, &err) != 0)
		fail_msg("apply: %s", err.msg);
	assert_doc(doc, after);
	nb_doc_free(doc);
}

/* Applying op to before fails with code, err naming each of the words,
 * and the doc prints as before. */
static void
check_fails(const char *before, struct ot_op *op, int code, const char *w1,
    const char *w2, const char *w3)
{
	struct nb_doc	*doc = parse(before);
	struct gl_err	 err;
	const char	*w[3] = { w1, w2, w3 };
	int		 rc;

	gl_err_clear(&err);
	rc = ot_apply(doc, op, &err);
	if (rc != code)
		fail_msg("want %s, got %s (%s)", gl_err_name(code),
		    gl_err_name(rc), err.msg);
	assert_int_equal(err.code, code);
	for (int i = 0; i < 3; i++)
		if (w[i] != NULL && strstr(err.msg, w[i]) == NULL)
			fail_msg("message \"%s\" does not name \"%s\"", err.msg,
			    w[i]);
	assert_doc(doc, before);
	nb_doc_free(doc);
	ot_op_fini(op);
}

/* Applying each op. */

static const char nb1[] =
    "-- %% id=\"a\"\n"
    "x = 1\n"
    "\n"
    "-- %% [markdown] id=\"b\"\n"
    "-- # Title\n"
    "\n"
    "-- %% id=\"c\" tags=[\"slow\"]\n"
    "y = 2\n";

static void
test_apply_insert(void **state)
{
	struct ot_op	 op;

	op_ins(&op, 1, "n", NB_CODE, "z = 3");
	check_apply(nb1, &op,
	    "-- %% id=\"a\"\n"
	    "x = 1\n"
	    "\n"
	    "-- %% id=\"n\"\n"
	    "z = 3\n"
	    "\n"
	    "-- %% [markdown] id=\"b\"\n"
	    "-- # Title\n"
	    "\n"
	    "-- %% id=\"c\" tags=[\"slow\"]\n"
	    "y = 2\n");
	ot_op_fini(&op);

	op_ins(&op, 3, "m", NB_MARKDOWN, "# End\nbye");
	check_apply(nb1, &op,
	    "-- %% id=\"a\"\n"
	    "x = 1\n"
	    "\n"
	    "-- %% [markdown] id=\"b\"\n"
	    "-- # Title\n"
	    "\n"
	    "-- %% id=\"c\" tags=[\"slow\"]\n"
	    "y = 2\n"
	    "\n"
	    "-- %% [markdown] id=\"m\"\n"
	    "-- # End\n"
	    "-- bye\n");
	ot_op_fini(&op);
}

static void
test_apply_delete(void **state)
{
	struct ot_op	 op;

	op_del(&op, "b", 1);
	check_apply(nb1, &op,
	    "-- %% id=\"a\"\n"
	    "x = 1\n"
	    "\n"
	    "-- %% id=\"c\" tags=[\"slow\"]\n"
	    "y = 2\n");
	ot_op_fini(&op);
}

static void
test_apply_move(void **state)
{
	struct ot_op	 op;
	struct nb_doc	*doc;
	struct gl_err	 err;

	/* The index is the destination after removal: a goes after b. */
	op_mov(&op, "a", 0, 1);
	check_apply(nb1, &op,
	    "-- %% [markdown] id=\"b\"\n"
	    "-- # Title\n"
	    "\n"
	    "-- %% id=\"a\"\n"
	    "x = 1\n"
	    "\n"
	    "-- %% id=\"c\" tags=[\"slow\"]\n"
	    "y = 2\n");
	ot_op_fini(&op);

	/* To where it is: nothing changes. */
	op_mov(&op, "b", 1, 1);
	check_apply(nb1, &op, nb1);
	ot_op_fini(&op);

	/* The last cell to the front (canonical doc: the moved cells' own
	 * bytes are not in question here). */
	doc = parse(nb1);
	nb_doc_normalize(doc);
	op_mov(&op, "c", 2, 0);
	assert_int_equal(ot_apply(doc, &op, &err), 0);
	assert_doc(doc,
	    "-- %% id=\"c\" tags=[\"slow\"]\n"
	    "y = 2\n"
	    "\n"
	    "-- %% id=\"a\"\n"
	    "x = 1\n"
	    "\n"
	    "-- %% [markdown] id=\"b\"\n"
	    "-- # Title\n");
	ot_op_fini(&op);
	nb_doc_free(doc);
}

static void
test_apply_set_kind(void **state)
{
	struct ot_op	 op;

	op_kind(&op, "b", NB_CODE);
	check_apply(nb1, &op,
	    "-- %% id=\"a\"\n"
	    "x = 1\n"
	    "\n"
	    "-- %% id=\"b\"\n"
	    "# Title\n"
	    "\n"
	    "-- %% id=\"c\" tags=[\"slow\"]\n"
	    "y = 2\n");
	ot_op_fini(&op);

	op_kind(&op, "a", NB_RAW);
	check_apply(nb1, &op,
	    "-- %% [raw] id=\"a\"\n"
	    "-- x = 1\n"
	    "\n"
	    "-- %% [markdown] id=\"b\"\n"
	    "-- # Title\n"
	    "\n"
	    "-- %% id=\"c\" tags=[\"slow\"]\n"
	    "y = 2\n");
	ot_op_fini(&op);
}

static void
test_apply_set_meta(void **state)
{
	struct ot_op	 op;

	op_meta(&op, "a", "tags", "[\"io\"]");
	check_apply(nb1, &op,
	    "-- %% id=\"a\" tags=[\"io\"]\n"
	    "x = 1\n"
	    "\n"
	    "-- %% [markdown] id=\"b\"\n"
	    "-- # Title\n"
	    "\n"
	    "-- %% id=\"c\" tags=[\"slow\"]\n"
	    "y = 2\n");
	ot_op_fini(&op);

	/* NULL removes. */
	op_meta(&op, "c", "tags", NULL);
	check_apply(nb1, &op,
	    "-- %% id=\"a\"\n"
	    "x = 1\n"
	    "\n"
	    "-- %% [markdown] id=\"b\"\n"
	    "-- # Title\n"
	    "\n"
	    "-- %% id=\"c\"\n"
	    "y = 2\n");
	ot_op_fini(&op);
}

static void
test_apply_text(void **state)
{
	struct ot_op	 op;
	struct nb_doc	*doc;
	struct gl_err	 err;
	const char	*src;
	size_t		 len;

	/* "x = 1" -> "local x = 10\nprint(x)" */
	op_text(&op, "a", "local ", "=4", "-1", "10\nprint(x)", NULL);
	check_apply(nb1, &op,
	    "-- %% id=\"a\"\n"
	    "local x = 10\n"
	    "print(x)\n"
	    "\n"
	    "-- %% [markdown] id=\"b\"\n"
	    "-- # Title\n"
	    "\n"
	    "-- %% id=\"c\" tags=[\"slow\"]\n"
	    "y = 2\n");
	ot_op_fini(&op);

	/* Markdown: the source has no "-- "; a new line gets one. */
	op_text(&op, "b", "=7", " and more\nsecond line", NULL);
	check_apply(nb1, &op,
	    "-- %% id=\"a\"\n"
	    "x = 1\n"
	    "\n"
	    "-- %% [markdown] id=\"b\"\n"
	    "-- # Title and more\n"
	    "-- second line\n"
	    "\n"
	    "-- %% id=\"c\" tags=[\"slow\"]\n"
	    "y = 2\n");
	ot_op_fini(&op);

	/* Multi-byte characters kept whole. */
	doc = parse("-- %% id=\"u\"\ns = \"h\xc3\xa9\xe2\x82\xac\"\n");
	op_text(&op, "u", "=6", "-2", "\xf0\x9f\x98\x80", "=4", NULL);
	assert_int_equal(ot_apply(doc, &op, &err), 0);
	src = nb_cell_source(nb_doc_find(doc, "u", NULL), &len);
	assert_string_equal(src, "s = \"h\xf0\x9f\x98\x80\xe2\x82\xac\"");
	ot_op_fini(&op);
	nb_doc_free(doc);
}

static void
test_apply_header(void **state)
{
	static const char hdr[] =
	    "-- pinned: frame 1.2\n"
	    "local x = 1\n"
	    "\n"
	    "-- %% id=\"a\"\n"
	    "y = 2\n";
	struct nb_doc	*doc = parse(hdr);
	struct ot_op	 op;
	const char	*hid;

	assert_true(nb_cell_is_header(nb_doc_cell(doc, 0)));
	hid = nb_cell_id(nb_doc_cell(doc, 0));

	op_ins(&op, 0, "n", NB_CODE, "z");
	check_fails(hdr, &op, GL_EINVAL, "header", "\"n\"", NULL);
	op_mov(&op, "a", 1, 0);
	check_fails(hdr, &op, GL_EINVAL, "header", "\"a\"", NULL);
	op_mov(&op, hid, 0, 1);
	check_fails(hdr, &op, GL_EINVAL, "header", hid, NULL);
	op_kind(&op, hid, NB_MARKDOWN);
	check_fails(hdr, &op, GL_EINVAL, "header", hid, NULL);
	op_meta(&op, hid, "k", "1");
	check_fails(hdr, &op, GL_EINVAL, "header", hid, NULL);

	/* After the header is fine; its text can be edited. */
	op_ins(&op, 1, "n", NB_CODE, "z = 0");
	check_apply(hdr, &op,
	    "-- pinned: frame 1.2\n"
	    "local x = 1\n"
	    "\n"
	    "-- %% id=\"n\"\n"
	    "z = 0\n"
	    "\n"
	    "-- %% id=\"a\"\n"
	    "y = 2\n");
	ot_op_fini(&op);
	op_text(&op, hid, "=21", "-11", "local x = 2", NULL);
	check_apply(hdr, &op,
	    "-- pinned: frame 1.2\n"
	    "local x = 2\n"
	    "\n"
	    "-- %% id=\"a\"\n"
	    "y = 2\n");
	ot_op_fini(&op);
	nb_doc_free(doc);
}

static void
test_apply_errors(void **state)
{
	struct ot_op	 op;

	/* Unknown cell, for each op that names one. */
	op_del(&op, "nope", 0);
	check_fails(nb1, &op, GL_ENOTFOUND, "\"nope\"", NULL, NULL);
	op_mov(&op, "nope", 0, 1);
	check_fails(nb1, &op, GL_ENOTFOUND, "\"nope\"", NULL, NULL);
	op_kind(&op, "nope", NB_RAW);
	check_fails(nb1, &op, GL_ENOTFOUND, "\"nope\"", NULL, NULL);
	op_meta(&op, "nope", "k", "1");
	check_fails(nb1, &op, GL_ENOTFOUND, "\"nope\"", NULL, NULL);
	op_text(&op, "nope", "x", NULL);
	check_fails(nb1, &op, GL_ENOTFOUND, "\"nope\"", NULL, NULL);

	/* A text op that does not cover the source ("x = 1", 5 bytes). */
	op_text(&op, "a", "=3", "hi", NULL);
	check_fails(nb1, &op, GL_ECONFLICT, "\"a\"", "3 bytes", "has 5");
	op_text(&op, "a", "=3", "-3", NULL);
	check_fails(nb1, &op, GL_ECONFLICT, "\"a\"", "6 bytes", "has 5");
	op_text(&op, "a", "hi", NULL);
	check_fails(nb1, &op, GL_ECONFLICT, "\"a\"", "0 bytes", "has 5");

	/* A delete or move made on another state of the doc. */
	op_del(&op, "b", 2);
	check_fails(nb1, &op, GL_ECONFLICT, "\"b\"", "index 1", "says 2");
	op_mov(&op, "b", 0, 2);
	check_fails(nb1, &op, GL_ECONFLICT, "\"b\"", "index 1", "says 0");

	/* Duplicate id. */
	op_ins(&op, 1, "c", NB_CODE, "");
	check_fails(nb1, &op, GL_EEXIST, "\"c\"", NULL, NULL);

	/* Index out of range. */
	op_ins(&op, 4, "n", NB_CODE, "");
	check_fails(nb1, &op, GL_EINVAL, "\"n\"", "index 4", NULL);
	op_mov(&op, "a", 0, 3);
	check_fails(nb1, &op, GL_EINVAL, "\"a\"", "index 3", NULL);

	/* Metadata: the id, bad JSON, a key a marker cannot hold; an id a
	 * marker cannot hold. */
	op_meta(&op, "a", "id", "\"x\"");
	check_fails(nb1, &op, GL_EPERM, "\"a\"", "id", NULL);
	op_meta(&op, "a", "k", "{bad");
	check_fails(nb1, &op, GL_ESYNTAX, "\"a\"", "\"k\"", "JSON");
	op_meta(&op, "a", "9k", "1");
	check_fails(nb1, &op, GL_EINVAL, "\"a\"", "\"9k\"", NULL);
	op_ins(&op, 1, "a b", NB_CODE, "");
	check_fails(nb1, &op, GL_EINVAL, "\"a b\"", NULL, NULL);

	/* Bad kinds. */
	op_kind(&op, "a", (enum nb_kind)7);
	check_fails(nb1, &op, GL_EINVAL, "\"a\"", "kind", NULL);
	op_ins(&op, 0, "n", (enum nb_kind)9, "");
	check_fails(nb1, &op, GL_EINVAL, "\"n\"", "kind", NULL);
}

static void
test_apply_utf8_errors(void **state)
{
	static const char u[] = "-- %% id=\"u\"\n\xc3\xa9\xe2\x82\xac\n";
	struct ot_op	 op;

	/* The source is "é€": bytes c3 a9 e2 82 ac. */
	op_text(&op, "u", "=1", "-1", "=3", NULL);
	check_fails(u, &op, GL_EINVAL, "\"u\"", "splits", "byte 1");
	op_text(&op, "u", "=3", "x", "=2", NULL);
	check_fails(u, &op, GL_EINVAL, "\"u\"", "inside", "byte 3");
	op_text(&op, "u", "=2", "-2", "=1", NULL);
	check_fails(u, &op, GL_EINVAL, "\"u\"", "splits", "byte 4");
	op_text(&op, "u", "=5", "\xe2\x82", NULL);
	check_fails(u, &op, GL_EINVAL, "\"u\"", "invalid UTF-8", NULL);
	op_text(&op, "u", "\xff", "=5", NULL);
	check_fails(u, &op, GL_EINVAL, "\"u\"", "invalid UTF-8", NULL);
	op_ins(&op, 1, "n", NB_CODE, "bad \xc3");
	check_fails(u, &op, GL_EINVAL, "\"n\"", "UTF-8", NULL);

	/* Two deletes in a row are one cut: deleting "é" in two steps and a
	 * retain split in two are fine. */
	op_text(&op, "u", "-1", "-1", "=1", "=2", NULL);
	check_apply(u, &op, "-- %% id=\"u\"\n\xe2\x82\xac\n");
	ot_op_fini(&op);
}

/* The wire form. */

static int
roundtrip(const struct ot_op *op, struct ot_op *out)
{
	msgpack_sbuffer		 sb;
	msgpack_packer		 pk;
	msgpack_unpacked	 up;
	size_t			 off = 0;
	struct gl_err		 err;
	int			 rc;

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	ot_encode(&pk, op);
	msgpack_unpacked_init(&up);
	assert_int_equal(msgpack_unpack_next(&up, sb.data, sb.size, &off),
	    MSGPACK_UNPACK_SUCCESS);
	assert_int_equal(off, sb.size);
	rc = ot_decode(&up.data, out, &err);
	if (rc != 0)
		fprintf(stderr, "decode: %s\n", err.msg);
	msgpack_unpacked_destroy(&up);
	msgpack_sbuffer_destroy(&sb);
	return rc;
}

static void
check_roundtrip(struct ot_op *op)
{
	struct ot_op	 back;

	assert_int_equal(roundtrip(op, &back), 0);
	assert_true(ot_op_equal(op, &back));
	ot_op_fini(&back);
	ot_op_fini(op);
}

static void
test_codec_roundtrip(void **state)
{
	struct ot_op	 op;
	char		 id[NB_ID_MAX + 1];

	op_ins(&op, 3, "cell-1", NB_MARKDOWN, "# h\xc3\xa9\nline");
	check_roundtrip(&op);
	op_ins(&op, 0, "e", NB_RAW, "");
	check_roundtrip(&op);
	op_del(&op, "x", 7);
	check_roundtrip(&op);
	op_mov(&op, "x", 2, 0);
	check_roundtrip(&op);
	op_kind(&op, "x", NB_CODE);
	check_roundtrip(&op);
	op_meta(&op, "x", "tags", "[\"a\", \"b\"]");
	check_roundtrip(&op);
	op_meta(&op, "x", "tags", NULL);
	check_roundtrip(&op);
	op_text(&op, "x", "=3", "abc", "-2", "\xe2\x82\xac", "=1", NULL);
	check_roundtrip(&op);
	op_text(&op, "x", NULL);
	check_roundtrip(&op);

	/* Longest id and largest index. */
	memset(id, 'i', NB_ID_MAX);
	id[NB_ID_MAX] = '\0';
	op_mov(&op, id, OT_INT_MAX, OT_INT_MAX);
	check_roundtrip(&op);
}

/* Decodes the msgpack in sb; expects rc and, on failure, err naming
 * want (and op left zeroed); on success returns the op in *out. */
static void
decode_sb(msgpack_sbuffer *sb, int rc, const char *want, struct ot_op *out,
    const char *what)
{
	msgpack_unpacked	 up;
	struct ot_op		 op, zero;
	struct gl_err		 err;
	size_t			 off = 0;
	int			 got;

	msgpack_unpacked_init(&up);
	assert_int_equal(msgpack_unpack_next(&up, sb->data, sb->size, &off),
	    MSGPACK_UNPACK_SUCCESS);
	gl_err_clear(&err);
	memset(&op, 0x5a, sizeof op);
	got = ot_decode(&up.data, &op, &err);
	if (got != rc)
		fail_msg("%s: want %s, got %s (%s)", what, gl_err_name(rc),
		    gl_err_name(got), err.msg);
	if (rc != 0) {
		memset(&zero, 0, sizeof zero);
		assert_memory_equal(&op, &zero, sizeof op);
		if (want != NULL && strstr(err.msg, want) == NULL)
			fail_msg("%s: message \"%s\" does not name \"%s\"",
			    what, err.msg, want);
	} else if (out != NULL)
		*out = op;
	else
		ot_op_fini(&op);
	msgpack_unpacked_destroy(&up);
}

static void
decode_json(const char *json, int rc, const char *want, struct ot_op *out)
{
	msgpack_sbuffer		 sb;
	msgpack_packer		 pk;
	json_error_t		 jerr;
	json_t			*j;

	j = json_loads(json, JSON_ALLOW_NUL | JSON_DECODE_ANY, &jerr);
	if (j == NULL)
		fail_msg("test JSON %s: %s", json, jerr.text);
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	rpc_pack_json(&pk, j);
	json_decref(j);
	decode_sb(&sb, rc, want, out, json);
	msgpack_sbuffer_destroy(&sb);
}

static void
test_codec_wire_form(void **state)
{
	struct ot_op	 op;

	decode_json("{\"t\": \"text\", \"id\": \"a\", "
	    "\"ops\": [3, \"xy\", -2]}", 0, NULL, &op);
	assert_int_equal(op.kind, OT_TEXT);
	assert_string_equal(op.id, "a");
	assert_int_equal(op.ncomps, 3);
	assert_int_equal(op.comps[0].kind, OT_RETAIN);
	assert_int_equal(op.comps[0].n, 3);
	assert_int_equal(op.comps[1].kind, OT_INSERT);
	assert_string_equal(op.comps[1].s, "xy");
	assert_int_equal(op.comps[2].kind, OT_DELETE);
	assert_int_equal(op.comps[2].n, 2);
	ot_op_fini(&op);

	decode_json("{\"t\": \"insert_cell\", \"id\": \"n\", \"index\": 2, "
	    "\"kind\": \"markdown\", \"source\": \"# x\"}", 0, NULL, &op);
	assert_int_equal(op.kind, OT_INSERT_CELL);
	assert_int_equal(op.index, 2);
	assert_int_equal(op.cell_kind, NB_MARKDOWN);
	assert_string_equal(op.text, "# x");
	ot_op_fini(&op);

	decode_json("{\"t\": \"move_cell\", \"id\": \"n\", \"from\": 4, "
	    "\"index\": 1}", 0, NULL, &op);
	assert_int_equal(op.kind, OT_MOVE_CELL);
	assert_int_equal(op.from, 4);
	assert_int_equal(op.index, 1);
	ot_op_fini(&op);

	decode_json("{\"t\": \"set_meta\", \"id\": \"n\", \"key\": \"k\", "
	    "\"value\": null}", 0, NULL, &op);
	assert_int_equal(op.kind, OT_SET_META);
	assert_string_equal(op.key, "k");
	assert_null(op.text);
	ot_op_fini(&op);
}

static void
test_codec_malformed(void **state)
{
	static const struct {
		const char	*json;
		const char	*want;
	} bad[] = {
		{ "[1, 2]", "not a map" },
		{ "\"text\"", "not a map" },
		{ "{}", "missing field \"t\"" },
		{ "{\"id\": \"a\"}", "missing field \"t\"" },
		{ "{\"t\": 1, \"id\": \"a\"}", "\"t\": expected a string" },
		{ "{\"t\": \"frobnicate\", \"id\": \"a\"}", "\"frobnicate\"" },
		{ "{\"t\": \"delete_cell\", \"id\": \"a\", \"from\": 0, "
		  "\"color\": 1}", "unknown field \"color\"" },
		{ "{\"t\": \"delete_cell\", \"from\": 0}",
		  "delete_cell: missing field \"id\"" },
		{ "{\"t\": \"delete_cell\", \"id\": \"a\"}",
		  "missing field \"from\"" },
		{ "{\"t\": \"delete_cell\", \"id\": \"a\", \"from\": 0, "
		  "\"index\": 1}", "\"index\" does not belong" },
		{ "{\"t\": \"delete_cell\", \"id\": 7, \"from\": 0}",
		  "\"id\": expected a string" },
		{ "{\"t\": \"delete_cell\", \"id\": \"\", \"from\": 0}",
		  "\"id\": empty" },
		{ "{\"t\": \"delete_cell\", \"id\": \"a\\u0000b\", "
		  "\"from\": 0}",
		  "\"id\": contains a NUL" },
		{ "{\"t\": \"delete_cell\", \"id\": \"a\", \"from\": -1}",
		  "\"from\": negative" },
		{ "{\"t\": \"delete_cell\", \"id\": \"a\", \"from\": 1.5}",
		  "\"from\": expected a non-negative integer" },
		{ "{\"t\": \"delete_cell\", \"id\": \"a\", \"from\": \"1\"}",
		  "\"from\": expected a non-negative integer" },
		{ "{\"t\": \"move_cell\", \"id\": \"a\", \"from\": 0, "
		  "\"index\": 2147483648}",
		  "\"index\": 2147483648 is too large" },
		{ "{\"t\": \"insert_cell\", \"id\": \"a\", \"index\": 0, "
		  "\"kind\": \"python\", \"source\": \"\"}",
		  "\"kind\": \"python\"" },
		{ "{\"t\": \"insert_cell\", \"id\": \"a\", \"index\": 0, "
		  "\"kind\": 0, \"source\": \"\"}",
		  "\"kind\": expected a string" },
		{ "{\"t\": \"insert_cell\", \"id\": \"a\", \"index\": 0, "
		  "\"kind\": \"code\"}", "missing field \"source\"" },
		{ "{\"t\": \"insert_cell\", \"id\": \"a\", \"index\": 0, "
		  "\"kind\": \"code\", \"source\": null}",
		  "\"source\": expected a string" },
		{ "{\"t\": \"insert_cell\", \"id\": \"a\", \"index\": 0, "
		  "\"kind\": \"code\", \"source\": \"x\\u0000\"}",
		  "\"source\": contains a NUL" },
		{ "{\"t\": \"set_kind\", \"id\": \"a\"}",
		  "missing field \"kind\"" },
		{ "{\"t\": \"set_meta\", \"id\": \"a\", \"key\": \"k\"}",
		  "missing field \"value\"" },
		{ "{\"t\": \"set_meta\", \"id\": \"a\", \"key\": \"\", "
		  "\"value\": \"1\"}", "\"key\": empty" },
		{ "{\"t\": \"set_meta\", \"id\": \"a\", \"key\": [], "
		  "\"value\": \"1\"}", "\"key\": expected a string" },
		{ "{\"t\": \"set_meta\", \"id\": \"a\", \"key\": \"k\", "
		  "\"value\": 1}", "\"value\": expected a string or nil" },
		{ "{\"t\": \"text\", \"id\": \"a\"}", "missing field \"ops\"" },
		{ "{\"t\": \"text\", \"id\": \"a\", \"ops\": {}}",
		  "\"ops\": expected an array" },
		{ "{\"t\": \"text\", \"id\": \"a\", \"ops\": [1, 0]}",
		  "\"ops\"[1]: zero-length" },
		{ "{\"t\": \"text\", \"id\": \"a\", \"ops\": [\"\"]}",
		  "\"ops\"[0]: zero-length" },
		{ "{\"t\": \"text\", \"id\": \"a\", \"ops\": [1, null]}",
		  "\"ops\"[1]: expected an integer or a string" },
		{ "{\"t\": \"text\", \"id\": \"a\", \"ops\": [[1]]}",
		  "\"ops\"[0]: expected an integer or a string" },
		{ "{\"t\": \"text\", \"id\": \"a\", \"ops\": [2.0]}",
		  "\"ops\"[0]: expected an integer or a string" },
		{ "{\"t\": \"text\", \"id\": \"a\", \"ops\": "
		  "[-9223372036854775808]}", "\"ops\"[0]: length "
		  "9223372036854775808 is too large" },
		{ "{\"t\": \"text\", \"id\": \"a\", "
		  "\"ops\": [9223372036854775807]}",
		  "\"ops\"[0]: length 9223372036854775807 is too large" },
		{ "{\"t\": \"text\", \"id\": \"a\", \"ops\": "
		  "[2147483647, \"x\", -2147483647]}",
		  "\"ops\"[2]: lengths add up" },
		{ "{\"t\": \"text\", \"id\": \"a\", "
		  "\"ops\": [1, \"a\\u0000\"]}",
		  "\"ops\"[1]: contains a NUL" },
	};
	msgpack_sbuffer		 sb;
	msgpack_packer		 pk;
	char			 longid[NB_ID_MAX + 2];

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		decode_json(bad[i].json, GL_EPROTO, bad[i].want, NULL);

	/* Maps JSON cannot write. */
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);

	/* An id one byte too long. */
	memset(longid, 'x', NB_ID_MAX + 1);
	longid[NB_ID_MAX + 1] = '\0';
	msgpack_pack_map(&pk, 3);
	msgpack_pack_str_with_body(&pk, "t", 1);
	msgpack_pack_str_with_body(&pk, "delete_cell", 11);
	msgpack_pack_str_with_body(&pk, "id", 2);
	msgpack_pack_str_with_body(&pk, longid, NB_ID_MAX + 1);
	msgpack_pack_str_with_body(&pk, "from", 4);
	msgpack_pack_uint64(&pk, 0);
	decode_sb(&sb, GL_EPROTO, "\"id\": too long", NULL, "long id");
	msgpack_sbuffer_clear(&sb);

	/* A key that is not a string. */
	msgpack_pack_map(&pk, 1);
	msgpack_pack_int(&pk, 1);
	msgpack_pack_nil(&pk);
	decode_sb(&sb, GL_EPROTO, "unknown field (a non-string", NULL,
	    "int key");
	msgpack_sbuffer_clear(&sb);

	/* A field given twice. */
	msgpack_pack_map(&pk, 4);
	msgpack_pack_str_with_body(&pk, "t", 1);
	msgpack_pack_str_with_body(&pk, "delete_cell", 11);
	msgpack_pack_str_with_body(&pk, "id", 2);
	msgpack_pack_str_with_body(&pk, "a", 1);
	msgpack_pack_str_with_body(&pk, "from", 4);
	msgpack_pack_uint64(&pk, 0);
	msgpack_pack_str_with_body(&pk, "id", 2);
	msgpack_pack_str_with_body(&pk, "b", 1);
	decode_sb(&sb, GL_EPROTO, "\"id\" given twice", NULL, "dup key");
	msgpack_sbuffer_clear(&sb);

	/* A binary where a string belongs. */
	msgpack_pack_map(&pk, 3);
	msgpack_pack_str_with_body(&pk, "t", 1);
	msgpack_pack_str_with_body(&pk, "text", 4);
	msgpack_pack_str_with_body(&pk, "id", 2);
	msgpack_pack_bin_with_body(&pk, "a", 1);
	msgpack_pack_str_with_body(&pk, "ops", 3);
	msgpack_pack_array(&pk, 0);
	decode_sb(&sb, GL_EPROTO, "\"id\": expected a string", NULL, "bin id");
	msgpack_sbuffer_clear(&sb);

	/* An index over 2^63. */
	msgpack_pack_map(&pk, 3);
	msgpack_pack_str_with_body(&pk, "t", 1);
	msgpack_pack_str_with_body(&pk, "delete_cell", 11);
	msgpack_pack_str_with_body(&pk, "id", 2);
	msgpack_pack_str_with_body(&pk, "a", 1);
	msgpack_pack_str_with_body(&pk, "from", 4);
	msgpack_pack_uint64(&pk, UINT64_MAX);
	decode_sb(&sb, GL_EPROTO, "\"from\": 18446744073709551615 is too large",
	    NULL, "huge from");
	msgpack_sbuffer_clear(&sb);

	/* Components failing after some were decoded free them (ASan). */
	msgpack_pack_map(&pk, 3);
	msgpack_pack_str_with_body(&pk, "t", 1);
	msgpack_pack_str_with_body(&pk, "text", 4);
	msgpack_pack_str_with_body(&pk, "id", 2);
	msgpack_pack_str_with_body(&pk, "a", 1);
	msgpack_pack_str_with_body(&pk, "ops", 3);
	msgpack_pack_array(&pk, 3);
	msgpack_pack_str_with_body(&pk, "abc", 3);
	msgpack_pack_str_with_body(&pk, "def", 3);
	msgpack_pack_true(&pk);
	decode_sb(&sb, GL_EPROTO, "\"ops\"[2]", NULL, "late bad comp");
	msgpack_sbuffer_destroy(&sb);
}

/* Transforms of specific pairs. */

/* The cell ids of a dump(), in order, separated by spaces. */
static void
assert_order(const char *d, const char *want)
{
	struct gl_buf	 b;
	const char	*p = strstr(d, "\n=====\n");

	assert_non_null(p);
	gl_buf_init(&b);
	for (p += 7; *p != '\0'; p = strchr(p, '\n') + 1) {
		if (*p == '[') {
			if (b.len > 0)
				gl_buf_addc(&b, ' ');
			gl_buf_add(&b, p + 1, strcspn(p + 1, " "));
		}
		if (strchr(p, '\n') == NULL)
			break;
	}
	if (strcmp(b.data != NULL ? b.data : "", want) != 0)
		fail_msg("order \"%s\", want \"%s\"", b.data, want);
	gl_buf_fini(&b);
}

/* Checks TP1 for a and b on doc; returns the converged dump (caller
 * frees) or fails with a description. */
static char *
tp1(const struct nb_doc *doc, const struct ot_op *a, const struct ot_op *b,
    bool a_first, const char *ctx)
{
	struct nb_doc	*s1 = nb_doc_clone(doc), *s2 = nb_doc_clone(doc);
	struct ot_op	 a2, b2;
	struct gl_err	 err;
	char		*d1 = NULL, *d2 = NULL, *sa, *sb, *sa2, *sb2, *s0;
	int		 ka, kb, rc1 = 0, rc2 = 0;

	ot_op_copy(&a2, a);
	ot_op_copy(&b2, b);
	ka = ot_transform(&a2, b, a_first);
	kb = ot_transform(&b2, a, !a_first);
	if (ot_apply(s1, b, &err) != 0)
		fail_msg("%s: b does not apply: %s", ctx, err.msg);
	if (ka && (rc1 = ot_apply(s1, &a2, &err)) != 0)
		goto bad;
	if (ot_apply(s2, a, &err) != 0)
		fail_msg("%s: a does not apply: %s", ctx, err.msg);
	if (kb && (rc2 = ot_apply(s2, &b2, &err)) != 0)
		goto bad;
	d1 = dump(s1);
	d2 = dump(s2);
	if (strcmp(d1, d2) == 0) {
		free(d2);
		nb_doc_free(s1);
		nb_doc_free(s2);
		ot_op_fini(&a2);
		ot_op_fini(&b2);
		return d1;
	}
bad:
	s0 = dump(doc);
	sa = describe_str(a);
	sb = describe_str(b);
	sa2 = describe_str(&a2);
	sb2 = describe_str(&b2);
	fprintf(stderr, "%s (seed %" PRIu64 "): TP1 fails, a_first=%d\n"
	    "S:\n%s\na  = %s\nb  = %s\na' = %s%s\nb' = %s%s\n", ctx, seed,
	    a_first, s0, sa, sb, sa2, ka ? "" : " (no-op)", sb2,
	    kb ? "" : " (no-op)");
	if (rc1 || rc2)
		fprintf(stderr, "apply: %s\n", err.msg);
	else
		fprintf(stderr, "S.b.a':\n%s\nS.a.b':\n%s\n", d1, d2);
	fail_msg("TP1");
	return NULL;
}

static void
test_transform_pairs(void **state)
{
	struct nb_doc	*doc = parse(nb1);
	struct ot_op	 a, b, c;
	char		*d;

	/* Concurrent inserts at one offset: the author with priority first. */
	op_text(&a, "a", "=5", "A", NULL);
	op_text(&b, "a", "=5", "B", NULL);
	d = tp1(doc, &a, &b, true, "text tie");
	assert_non_null(strstr(d, "x = 1AB\n"));
	free(d);
	d = tp1(doc, &a, &b, false, "text tie");
	assert_non_null(strstr(d, "x = 1BA\n"));
	free(d);
	ot_op_fini(&a);
	ot_op_fini(&b);

	/* Overlapping deletes, an insert inside a deleted range. */
	op_text(&a, "a", "-3", "=2", NULL);
	op_text(&b, "a", "=1", "-3", "Z", "=1", NULL);
	d = tp1(doc, &a, &b, true, "overlap");
	assert_non_null(strstr(d, "Z1\n"));
	free(d);
	ot_op_fini(&a);
	ot_op_fini(&b);

	/* Both delete the same text: what is left of each only retains. */
	op_text(&a, "a", "-2", "=3", NULL);
	ot_op_copy(&b, &a);
	assert_int_equal(ot_transform(&b, &a, false), 1);
	assert_int_equal(b.ncomps, 1);
	assert_int_equal(b.comps[0].kind, OT_RETAIN);
	assert_int_equal(b.comps[0].n, 3);
	ot_op_fini(&b);
	ot_op_fini(&a);

	/* Editing a deleted cell is a no-op; a delete wins over anything. */
	op_del(&b, "a", 0);
	op_text(&a, "a", "=5", "!", NULL);
	assert_int_equal(ot_transform(&a, &b, true), 0);
	ot_op_fini(&a);
	op_kind(&a, "a", NB_RAW);
	assert_int_equal(ot_transform(&a, &b, true), 0);
	ot_op_fini(&a);
	op_meta(&a, "a", "k", "1");
	assert_int_equal(ot_transform(&a, &b, true), 0);
	ot_op_fini(&a);
	op_mov(&a, "a", 0, 2);
	assert_int_equal(ot_transform(&a, &b, true), 0);
	ot_op_fini(&a);
	op_del(&a, "a", 0);
	assert_int_equal(ot_transform(&a, &b, true), 0);
	ot_op_fini(&a);
	/* ... but an insert next to it only shifts. */
	op_ins(&a, 1, "n", NB_CODE, "");
	assert_int_equal(ot_transform(&a, &b, false), 1);
	assert_int_equal(a.index, 0);
	ot_op_fini(&a);
	ot_op_fini(&b);

	/* Two moves of one cell: the one with priority decides. */
	op_mov(&a, "a", 0, 2);
	op_mov(&b, "a", 0, 1);
	d = tp1(doc, &a, &b, true, "move/move");
	assert_order(d, "b c a");
	free(d);
	d = tp1(doc, &a, &b, false, "move/move");
	assert_order(d, "b a c");
	free(d);
	ot_op_fini(&a);
	ot_op_fini(&b);

	/* Set kind, set meta: priority wins; other keys are independent. */
	op_kind(&a, "b", NB_RAW);
	op_kind(&b, "b", NB_CODE);
	d = tp1(doc, &a, &b, true, "kind/kind");
	assert_non_null(strstr(d, "[b raw]"));
	free(d);
	d = tp1(doc, &a, &b, false, "kind/kind");
	assert_non_null(strstr(d, "[b code]"));
	free(d);
	ot_op_fini(&a);
	ot_op_fini(&b);

	/* Two cells moved to one place: the priority author's cell first. */
	op_mov(&a, "a", 0, 2);
	op_mov(&b, "b", 1, 2);
	d = tp1(doc, &a, &b, true, "move/move tie");
	assert_order(d, "c a b");
	free(d);
	d = tp1(doc, &a, &b, false, "move/move tie");
	assert_order(d, "c b a");
	free(d);
	ot_op_fini(&a);
	ot_op_fini(&b);

	/* Concurrent moves of different cells. */
	op_mov(&a, "a", 0, 2);
	op_mov(&b, "c", 2, 0);
	d = tp1(doc, &a, &b, true, "move/move other");
	assert_order(d, "c b a");
	free(d);
	ot_op_fini(&a);
	ot_op_fini(&b);
	op_meta(&a, "c", "tags", "[\"x\"]");
	op_meta(&b, "c", "tags", NULL);
	op_meta(&c, "c", "owner", "\"ann\"");
	d = tp1(doc, &a, &b, false, "meta/meta");
	assert_null(strstr(d, "tags"));
	free(d);
	d = tp1(doc, &a, &c, false, "meta/meta other key");
	assert_non_null(strstr(d, "tags=[\"x\"]"));
	assert_non_null(strstr(d, "owner=\"ann\""));
	free(d);
	ot_op_fini(&a);
	ot_op_fini(&b);
	ot_op_fini(&c);

	/* Two new keys on one cell: one order on both sides. */
	op_meta(&a, "a", "zeta", "1");
	op_meta(&b, "a", "alpha", "2");
	d = tp1(doc, &a, &b, true, "meta/meta new keys");
	assert_non_null(strstr(d, "-- %% id=\"a\" alpha=2 zeta=1\n"));
	free(d);
	ot_op_fini(&a);
	ot_op_fini(&b);

	/* Identical inserts collapse; a move of the cell an insert sits
	 * next to. */
	op_ins(&a, 1, "n", NB_CODE, "q");
	ot_op_copy(&b, &a);
	assert_int_equal(ot_transform(&b, &a, true), 0);
	ot_op_fini(&b);
	op_mov(&b, "a", 0, 2);
	d = tp1(doc, &a, &b, true, "ins/move");
	free(d);
	ot_op_fini(&a);
	ot_op_fini(&b);
	nb_doc_free(doc);
}

/* Every pair of list ops (insert at each index, delete of each cell,
 * move of each cell to each index) on docs of 0 to 4 cells, with and
 * without a header cell, both priorities. */
static void
test_transform_lists_exhaustive(void **state)
{
	struct ot_op	*ops = NULL;
	size_t		 nops, cap = 0, pairs = 0;
	char		 ctx[64];

	for (int hdr = 0; hdr <= 1; hdr++)
	for (size_t n = 0; n <= 4; n++) {
		struct nb_doc	*doc;
		struct gl_err	 err;
		size_t		 total, h = (size_t)hdr;
		char		 id[32];

		doc = hdr ? header_doc() : nb_doc_new();
		for (size_t i = 0; i < n; i++) {
			snprintf(id, sizeof id, "c%zu", i);
			assert_non_null(nb_doc_insert(doc, h + i, NB_CODE, id,
			    id, strlen(id), NULL, &err));
		}
		nb_doc_normalize(doc);
		total = h + n;
		nops = 0;
		for (int side = 0; side < 2; side++) {
			const char *nid = side ? "xb" : "xa";

			if (cap < nops + 64) {
				cap = nops + 64;
				ops = xrealloc(ops, cap * sizeof *ops);
			}
			for (size_t i = h; i <= total; i++)
				op_ins(&ops[nops++], i, nid, NB_CODE, nid);
		}
		for (size_t k = 0; k < total; k++) {
			const char *cid = nb_cell_id(nb_doc_cell(doc, k));

			if (cap < nops + 64) {
				cap = nops + 64;
				ops = xrealloc(ops, cap * sizeof *ops);
			}
			op_del(&ops[nops++], cid, k);
			if (k < h)
				continue;
			for (size_t t = h; t < total; t++)
				op_mov(&ops[nops++], cid, k, t);
		}
		for (size_t i = 0; i < nops; i++)
		for (size_t j = 0; j < nops; j++)
		for (int af = 0; af <= 1; af++) {
			/* Inserts of one id are made by one side only. */
			if (ops[i].kind == OT_INSERT_CELL &&
			    ops[j].kind == OT_INSERT_CELL &&
			    strcmp(ops[i].id, ops[j].id) == 0)
				continue;
			snprintf(ctx, sizeof ctx, "lists hdr=%d n=%zu", hdr, n);
			free(tp1(doc, &ops[i], &ops[j], af, ctx));
			pairs++;
		}
		for (size_t i = 0; i < nops; i++)
			ot_op_fini(&ops[i]);
		nb_doc_free(doc);
	}
	free(ops);
	assert_true(pairs > 1000);
}

/* Random docs and ops. */

static const char *const pieces[] = {
	"a", "b", "x", " ", "\n", "=", "\xc3\xa9", "\xe2\x82\xac",
	"\xf0\x9f\x98\x80", "--", "\n\n",
};
#define NPIECES (sizeof pieces / sizeof pieces[0])

static char *
rand_text(struct gl_rng *r, size_t max_pieces)
{
	struct gl_buf	 b;
	size_t		 n = gl_rng_below(r, max_pieces + 1);

	gl_buf_init(&b);
	for (size_t i = 0; i < n; i++)
		gl_buf_adds(&b, pieces[gl_rng_below(r, NPIECES)]);
	return gl_buf_take(&b, NULL);
}

/* Length of the UTF-8 character that starts with byte c. */
static size_t
u8len(unsigned char c)
{
	return c < 0x80 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
}

static void
rand_text_op(struct gl_rng *r, const char *id, const char *src, size_t len,
    struct ot_op *op)
{
	size_t	 pos = 0, n;
	char	*s;

	memset(op, 0, sizeof *op);
	op->kind = OT_TEXT;
	snprintf(op->id, sizeof op->id, "%s", id);
	for (;;) {
		if (gl_rng_below(r, 3) == 0) {
			s = rand_text(r, 3);
			if (s[0] != '\0')
				comp_add(op, OT_INSERT, strlen(s), s);
			free(s);
		}
		if (pos == len)
			break;
		/* A run of 1-3 whole characters, kept or deleted. */
		n = 0;
		for (int k = 1 + (int)gl_rng_below(r, 3);
		    k > 0 && pos + n < len; k--)
			n += u8len((unsigned char)src[pos + n]);
		comp_add(op, gl_rng_below(r, 3) == 0 ? OT_DELETE : OT_RETAIN,
		    n, NULL);
		pos += n;
	}
}

static const char *const meta_keys[] = { "tags", "owner", "k" };
static const char *const meta_vals[] = { "1", "\"ann\"", "[\"slow\"]", NULL };

/* A random op valid on doc. *idn makes fresh ids. */
static void
rand_op(struct gl_rng *r, const struct nb_doc *doc, const char *idpfx,
    unsigned *idn, struct ot_op *op)
{
	size_t		 count = nb_doc_count(doc), h, k, nmov;
	struct nb_cell	*c;
	char		 id[32], *src;
	unsigned	 what;

	h = count > 0 && nb_cell_is_header(nb_doc_cell(doc, 0));
	nmov = count - h;
	for (;;) {
		what = (unsigned)gl_rng_below(r, 20);
		if (count == 0 || what < 3) {
			snprintf(id, sizeof id, "%s%u", idpfx, (*idn)++);
			src = rand_text(r, 5);
			op_ins(op, h + gl_rng_below(r, count - h + 1), id,
			    (enum nb_kind)gl_rng_below(r, 3), src);
			free(src);
			return;
		}
		k = gl_rng_below(r, count);
		c = nb_doc_cell(doc, k);
		if (what < 5) {
			op_del(op, nb_cell_id(c), k);
			return;
		}
		if (what < 9) {
			if (nmov == 0)
				continue;
			k = h + gl_rng_below(r, nmov);
			op_mov(op, nb_cell_id(nb_doc_cell(doc, k)), k,
			    h + gl_rng_below(r, nmov));
			return;
		}
		if (what < 11) {
			if (nb_cell_is_header(c))
				continue;
			op_kind(op, nb_cell_id(c),
			    (enum nb_kind)gl_rng_below(r, 3));
			return;
		}
		if (what < 13) {
			if (nb_cell_is_header(c))
				continue;
			op_meta(op, nb_cell_id(c),
			    meta_keys[gl_rng_below(r, 3)],
			    meta_vals[gl_rng_below(r, 4)]);
			return;
		}
		{
			size_t		 len;
			const char	*s = nb_cell_source(c, &len);

			rand_text_op(r, nb_cell_id(c), s, len, op);
			return;
		}
	}
}

/* A random doc parsed from a file in anything but the canonical form:
 * CRLF or LF, odd spacing in markers, titles, cells without ids, extra
 * or missing blank lines, no final newline. Unchanged cells print their
 * own bytes, so this checks that every side marks the same cells. */
static struct nb_doc *
rand_file_doc(struct gl_rng *r)
{
	static const char *const metas[] = {
		" owner=\"bob\"", " tags=[\"slow\"]", " z=1", "  k=[1, 2]",
	};
	struct gl_buf	 b;
	struct nb_doc	*doc;
	const char	*eol = gl_rng_below(r, 3) == 0 ? "\r\n" : "\n";
	const char	*p, *nl;
	size_t		 n = gl_rng_below(r, 6);
	char		*src;

	gl_buf_init(&b);
	if (gl_rng_below(r, 3) == 0)
		gl_buf_addf(&b, "-- header%slocal x = 1%s%s", eol, eol,
		    gl_rng_below(r, 2) ? eol : "");
	for (size_t i = 0; i < n; i++) {
		unsigned kind = (unsigned)gl_rng_below(r, 3);

		gl_buf_adds(&b, gl_rng_below(r, 2) ? "-- %%" : "-- %%  ");
		if (kind != NB_CODE)
			gl_buf_addf(&b, " [%s]", nb_kind_name(kind));
		if (gl_rng_below(r, 3) == 0)
			gl_buf_adds(&b, " A title");
		if (gl_rng_below(r, 4) != 0)
			gl_buf_addf(&b, "%sid=\"f%zu\"",
			    gl_rng_below(r, 2) ? " " : "   ", i);
		for (size_t k = 0; k < 4; k++)
			if (gl_rng_below(r, 3) == 0)
				gl_buf_adds(&b, metas[(i + k) % 4]);
		gl_buf_adds(&b, eol);
		src = rand_text(r, 6);
		for (p = src; *p != '\0'; p = nl + 1) {
			size_t	 len;

			nl = strchr(p, '\n');
			len = nl != NULL ? (size_t)(nl - p) : strlen(p);
			if (kind != NB_CODE)
				gl_buf_adds(&b, len > 0 ? "-- " : "--");
			gl_buf_add(&b, p, len);
			gl_buf_adds(&b, eol);
			if (nl == NULL)
				break;
		}
		free(src);
		for (unsigned k = (unsigned)gl_rng_below(r, 3); k > 0; k--)
			gl_buf_adds(&b, eol);
	}
	if (b.len > 0 && gl_rng_below(r, 4) == 0)
		while (b.len > 0 && (b.data[b.len - 1] == '\n' ||
		    b.data[b.len - 1] == '\r'))
			b.data[--b.len] = '\0';
	doc = parse(b.data != NULL ? b.data : "");
	gl_buf_fini(&b);
	return doc;
}

static struct nb_doc *
rand_doc(struct gl_rng *r)
{
	struct nb_doc	*doc;
	struct gl_err	 err;
	size_t		 n, h;
	char		 id[32], *src;

	if (gl_rng_below(r, 2) == 0)
		return rand_file_doc(r);
	n = gl_rng_below(r, 6);
	doc = gl_rng_below(r, 4) == 0 ? header_doc() : nb_doc_new();
	h = nb_doc_count(doc);
	for (size_t i = 0; i < n; i++) {
		snprintf(id, sizeof id, "d%zu", i);
		src = rand_text(r, 6);
		assert_non_null(nb_doc_insert(doc, h + i,
		    (enum nb_kind)gl_rng_below(r, 3), id, src, strlen(src),
		    NULL, &err));
		free(src);
	}
	nb_doc_normalize(doc);
	return doc;
}

/* The cells as the ops see them (ids, order, kinds, metadata, sources),
 * without titles or the file's spacing. */
static int
cmp_str(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

static char *
cells_dump(const struct nb_doc *doc)
{
	struct gl_buf	 b;
	const char	*k, *v;
	char		*kv[32];
	size_t		 nkv = 0;

	gl_buf_init(&b);
	for (size_t i = 0; i < nb_doc_count(doc); i++) {
		struct nb_cell *c = nb_doc_cell(doc, i);

		/* (Not whether it is the header: one only b has comes as
		 * an ordinary cell.) */
		gl_buf_addf(&b, "[%s %s]", nb_cell_id(c),
		    nb_kind_name(nb_cell_kind(c)));
		/* (Metadata sorted: ops keep it sorted, a file need not.) */
		for (size_t j = 0; j < nb_cell_meta_count(c); j++) {
			nb_cell_meta_at(c, j, &k, &v);
			if (strcmp(k, "id") != 0)
				kv[nkv++] = xasprintf(" %s=%s", k, v);
		}
		qsort(kv, nkv, sizeof *kv, cmp_str);
		for (size_t j = 0; j < nkv; j++) {
			gl_buf_adds(&b, kv[j]);
			free(kv[j]);
		}
		nkv = 0;
		gl_buf_addf(&b, "\n%s\n", nb_cell_source(c, NULL));
	}
	return gl_buf_take(&b, NULL);
}

/* Applies ot_diff(a, b) to a copy of a: it must hold b's cells. Returns
 * how many ops it took. */
static size_t
check_diff(const struct nb_doc *a, const struct nb_doc *b, const char *ctx)
{
	struct nb_doc	*w = nb_doc_clone(a);
	struct ot_op	*ops;
	struct gl_err	 err;
	size_t		 n = ot_diff(a, b, &ops);
	char		*got, *want;

	for (size_t i = 0; i < n; i++) {
		if (ot_apply(w, &ops[i], &err) != 0) {
			char *d = describe_str(&ops[i]);

			fail_msg("%s: op %zu %s: %s", ctx, i, d, err.msg);
		}
	}
	got = cells_dump(w);
	want = cells_dump(b);
	if (strcmp(got, want) != 0) {
		fprintf(stderr, "%s\n--- want\n%s--- got\n%s---\n", ctx, want,
		    got);
		fail_msg("diff does not reach b");
	}
	free(got);
	free(want);
	for (size_t i = 0; i < n; i++)
		ot_op_fini(&ops[i]);
	free(ops);
	nb_doc_free(w);
	return n;
}

static void
test_diff(void **state)
{
	struct nb_doc	*a, *b;
	struct gl_rng	 r;
	unsigned	 idn = 0;
	char		 ctx[64];

	/* Equal docs: nothing. */
	a = parse(nb1);
	b = parse(nb1);
	assert_int_equal(check_diff(a, b, "equal"), 0);
	nb_doc_free(b);
	/* One cell moved to the end is one move; an edit in the middle of
	 * a multi-byte character is cut at character boundaries. */
	b = parse("-- %% [markdown] id=\"b\"\n-- # Title\n\n"
	    "-- %% id=\"c\" tags=[\"fast\"]\ny = 2\n\n"
	    "-- %% id=\"a\"\nx = 1\n");
	assert_int_equal(check_diff(a, b, "move"), 2);
	nb_doc_free(b);
	nb_doc_free(a);
	a = parse("-- %% id=\"u\"\ns = \"\xc3\xa9t\xc3\xa9\"\n");
	b = parse("-- %% id=\"u\"\ns = \"\xc3\xa8t\xc3\xa9\"\n");
	assert_int_equal(check_diff(a, b, "utf8"), 1);
	nb_doc_free(b);
	nb_doc_free(a);
	/* Random docs and the docs random ops make of them. */
	gl_rng_seed(&r, seed);
	for (int it = 0; it < 3000; it++) {
		a = rand_doc(&r);
		b = nb_doc_clone(a);
		for (int k = (int)gl_rng_below(&r, 6); k > 0; k--) {
			struct ot_op	 op;
			struct gl_err	 err;

			rand_op(&r, b, "n", &idn, &op);
			(void)ot_apply(b, &op, &err);
			ot_op_fini(&op);
		}
		snprintf(ctx, sizeof ctx, "seed %" PRIu64 " iteration %d",
		    seed, it);
		check_diff(a, b, ctx);
		check_diff(b, a, ctx);
		nb_doc_free(a);
		nb_doc_free(b);
	}
}

static void
test_transform_random_tp1(void **state)
{
	struct gl_rng	 r;
	struct nb_doc	*doc;
	struct ot_op	 a, b;
	unsigned	 ida = 0, idb = 0;
	char		 ctx[64];
	int		 iters = 5000;

	gl_rng_seed(&r, seed);
	for (int it = 0; it < iters; it++) {
		doc = rand_doc(&r);
		rand_op(&r, doc, "a", &ida, &a);
		/* Half the time, b works on a's cell: conflicts are where
		 * transforms go wrong. */
		rand_op(&r, doc, "b", &idb, &b);
		if (gl_rng_below(&r, 2) == 0 &&
		    a.kind == OT_TEXT && b.kind != OT_INSERT_CELL) {
			struct nb_cell	*c = nb_doc_find(doc, a.id, NULL);
			size_t		 len;
			const char	*s = nb_cell_source(c, &len);

			ot_op_fini(&b);
			rand_text_op(&r, a.id, s, len, &b);
		}
		snprintf(ctx, sizeof ctx, "random iteration %d", it);
		free(tp1(doc, &a, &b, gl_rng_below(&r, 2), ctx));
		ot_op_fini(&a);
		ot_op_fini(&b);
		nb_doc_free(doc);
	}
}

/* The Jupiter simulation. */

struct sim_msg {
	int		 author;	/* the client who made the ops */
	size_t		 version;	/* to the server: the base */
	struct ot_op	*ops;
	size_t		 n;
};

struct sim_queue {
	struct sim_msg	*v;
	size_t		 head, n, cap;
};

struct sim_client {
	struct nb_doc	*doc;
	size_t		 version;
	struct ot_op	*inflight;	/* sent, not acknowledged */
	size_t		 ninflight;
	bool		 waiting;
	struct ot_op	*buffer;	/* not sent yet */
	size_t		 nbuffer;
	struct sim_queue up, down;	/* to the server, from the server */
	char		 pfx[16];
	unsigned	 idn;
};

/* What the simulation went through, printed as a figure. */
static struct {
	size_t	 ops;		/* local edits */
	size_t	 rebased;	/* client ops moved over others */
	size_t	 dropped;	/* ... that became no-ops */
	size_t	 max_behind;	/* most ops one message missed */
} sim_stats;

struct sim {
	struct nb_doc	*doc;
	struct ot_op	*hist;
	size_t		 nhist, caphist;
	struct sim_client c[5];
	int		 nclients;
};

static struct ot_op *
ops_dup(const struct ot_op *ops, size_t n)
{
	struct ot_op	*v = xcalloc(n ? n : 1, sizeof *v);

	for (size_t i = 0; i < n; i++)
		ot_op_copy(&v[i], &ops[i]);
	return v;
}

static void
q_push(struct sim_queue *q, struct sim_msg m)
{
	if (q->head + q->n == q->cap) {
		q->cap = q->cap ? q->cap * 2 : 16;
		q->v = xrealloc(q->v, q->cap * sizeof *q->v);
	}
	q->v[q->head + q->n++] = m;
}

static struct sim_msg
q_pop(struct sim_queue *q)
{
	struct sim_msg	 m = q->v[q->head++];

	q->n--;
	return m;
}

static void
sim_send(struct sim_client *cl, int who)
{
	struct sim_msg	 m;

	if (cl->waiting || cl->nbuffer == 0)
		return;
	cl->inflight = cl->buffer;
	cl->ninflight = cl->nbuffer;
	cl->buffer = NULL;
	cl->nbuffer = 0;
	cl->waiting = true;
	m.author = who;
	m.version = cl->version;
	m.ops = ops_dup(cl->inflight, cl->ninflight);
	m.n = cl->ninflight;
	q_push(&cl->up, m);
}

static void
sim_local_edit(struct sim *s, struct gl_rng *r, int who)
{
	struct sim_client *cl = &s->c[who];
	struct ot_op	 op;
	struct gl_err	 err;

	rand_op(r, cl->doc, cl->pfx, &cl->idn, &op);
	sim_stats.ops++;
	if (ot_apply(cl->doc, &op, &err) != 0)
		fail_msg("client %d: local op: %s", who, err.msg);
	cl->buffer = xrealloc(cl->buffer, (cl->nbuffer + 1) *
	    sizeof *cl->buffer);
	cl->buffer[cl->nbuffer++] = op;
	if (gl_rng_below(r, 2) == 0)
		sim_send(cl, who);
}

static void
sim_server_receive(struct sim *s, int who)
{
	struct sim_msg	 m = q_pop(&s->c[who].up), out;
	struct gl_err	 err;

	assert_true(m.version <= s->nhist);
	if (s->nhist > m.version) {
		size_t	 before = m.n;

		sim_stats.rebased += m.n;
		if (s->nhist - m.version > sim_stats.max_behind)
			sim_stats.max_behind = s->nhist - m.version;
		ot_rebase(m.ops, &m.n, s->hist + m.version,
		    s->nhist - m.version);
		sim_stats.dropped += before - m.n;
	}
	for (size_t i = 0; i < m.n; i++) {
		if (ot_apply(s->doc, &m.ops[i], &err) != 0) {
			char *d = describe_str(&m.ops[i]);

			fail_msg("server: client %d's op %s: %s (seed %" PRIu64
			    ")", who, d, err.msg, seed);
		}
		if (s->nhist == s->caphist) {
			s->caphist = s->caphist ? s->caphist * 2 : 64;
			s->hist = xrealloc(s->hist, s->caphist *
			    sizeof *s->hist);
		}
		ot_op_copy(&s->hist[s->nhist++], &m.ops[i]);
	}
	for (int k = 0; k < s->nclients; k++) {
		out.author = who;
		out.version = 0;
		out.ops = ops_dup(m.ops, m.n);
		out.n = m.n;
		q_push(&s->c[k].down, out);
	}
	ot_ops_free(m.ops, m.n);
}

static void
sim_client_receive(struct sim *s, int who)
{
	struct sim_client *cl = &s->c[who];
	struct sim_msg	 m = q_pop(&cl->down);
	struct gl_err	 err;
	size_t		 n = m.n;

	if (m.author == who) {
		/* Our own ops as the server accepted them: by now the
		 * in-flight ops were transformed exactly as the server did. */
		assert_true(cl->waiting);
		assert_int_equal(m.n, cl->ninflight);
		for (size_t i = 0; i < n; i++)
			assert_true(ot_op_equal(&m.ops[i], &cl->inflight[i]));
		ot_ops_free(cl->inflight, cl->ninflight);
		cl->inflight = NULL;
		cl->ninflight = 0;
		cl->waiting = false;
		cl->version += n;
		ot_ops_free(m.ops, m.n);
		sim_send(cl, who);
		return;
	}
	ot_transform_ops(m.ops, &m.n, cl->inflight, &cl->ninflight, true);
	ot_transform_ops(m.ops, &m.n, cl->buffer, &cl->nbuffer, true);
	for (size_t i = 0; i < m.n; i++)
		if (ot_apply(cl->doc, &m.ops[i], &err) != 0)
			fail_msg("client %d: server op: %s (seed %" PRIu64 ")",
			    who, err.msg, seed);
	cl->version += n;
	ot_ops_free(m.ops, m.n);
}

static void
sim_run(uint64_t run_seed, int nclients, int steps)
{
	struct sim	 s;
	struct gl_rng	 r;
	char		*want, *got;
	bool		 busy;

	memset(&s, 0, sizeof s);
	gl_rng_seed(&r, run_seed);
	s.doc = rand_doc(&r);
	s.nclients = nclients;
	for (int k = 0; k < nclients; k++) {
		s.c[k].doc = nb_doc_clone(s.doc);
		snprintf(s.c[k].pfx, sizeof s.c[k].pfx, "k%d_", k);
	}
	for (int step = 0; step < steps; step++) {
		int	 k = (int)gl_rng_below(&r, (uint64_t)nclients);

		switch (gl_rng_below(&r, 3)) {
		case 0:
			sim_local_edit(&s, &r, k);
			break;
		case 1:
			if (s.c[k].up.n > 0)
				sim_server_receive(&s, k);
			else
				sim_send(&s.c[k], k);
			break;
		default:
			if (s.c[k].down.n > 0)
				sim_client_receive(&s, k);
			break;
		}
	}
	/* Quiesce: send what is buffered, deliver everything. */
	do {
		busy = false;
		for (int k = 0; k < nclients; k++) {
			sim_send(&s.c[k], k);
			if (s.c[k].up.n > 0) {
				sim_server_receive(&s, k);
				busy = true;
			}
			if (s.c[k].down.n > 0) {
				sim_client_receive(&s, k);
				busy = true;
			}
			busy = busy || s.c[k].waiting || s.c[k].nbuffer > 0;
		}
	} while (busy);

	want = dump(s.doc);
	for (int k = 0; k < nclients; k++) {
		got = dump(s.c[k].doc);
		if (strcmp(want, got) != 0) {
			fprintf(stderr, "server:\n%s\nclient %d:\n%s\n", want,
			    k, got);
			fail_msg("client %d diverged (seed %" PRIu64 ", run "
			    "seed %" PRIu64 ")", k, seed, run_seed);
		}
		assert_int_equal(s.c[k].version, s.nhist);
		free(got);
		nb_doc_free(s.c[k].doc);
		free(s.c[k].up.v);
		free(s.c[k].down.v);
		ot_ops_free(s.c[k].inflight, s.c[k].ninflight);
		ot_ops_free(s.c[k].buffer, s.c[k].nbuffer);
	}
	free(want);
	ot_ops_free(s.hist, s.nhist);
	nb_doc_free(s.doc);
}

static void
test_jupiter_simulation(void **state)
{
	struct gl_rng	 r;

	gl_rng_seed(&r, seed ^ 0x6a75706974657221ULL);
	memset(&sim_stats, 0, sizeof sim_stats);
	for (int run = 0; run < 100; run++)
		sim_run(gl_rng_next(&r), 3 + run % 3, 300);
	fprintf(stderr, "jupiter: 100 runs, %zu edits, %zu rebased over "
	    "concurrent ones (%zu dropped), up to %zu behind\n", sim_stats.ops,
	    sim_stats.rebased, sim_stats.dropped, sim_stats.max_behind);
	/* The runs must have been concurrent for the test to mean much. */
	assert_true(sim_stats.rebased > sim_stats.ops / 4);
}

static void
test_rebase(void **state)
{
	struct nb_doc	*doc = parse(nb1);
	struct ot_op	 acc[2], mine[2];
	struct gl_err	 err;
	size_t		 n = 2;

	/* Accepted meanwhile: a deleted, "!" appended to c. */
	op_del(&acc[0], "a", 0);
	op_text(&acc[1], "c", "=5", "!", NULL);
	/* The client, on the old version: a line after a, then an edit of
	 * a (which is gone). */
	op_ins(&mine[0], 1, "n", NB_CODE, "new");
	op_text(&mine[1], "a", "=5", "?", NULL);
	ot_rebase(mine, &n, acc, 2);
	assert_int_equal(n, 1);
	assert_int_equal(mine[0].kind, OT_INSERT_CELL);
	assert_int_equal(mine[0].index, 0);
	for (int i = 0; i < 2; i++)
		assert_int_equal(ot_apply(doc, &acc[i], &err), 0);
	assert_int_equal(ot_apply(doc, &mine[0], &err), 0);
	assert_doc(doc,
	    "-- %% id=\"n\"\n"
	    "new\n"
	    "\n"
	    "-- %% [markdown] id=\"b\"\n"
	    "-- # Title\n"
	    "\n"
	    "-- %% id=\"c\" tags=[\"slow\"]\n"
	    "y = 2!\n");
	ot_op_fini(&mine[0]);
	ot_op_fini(&acc[0]);
	ot_op_fini(&acc[1]);
	nb_doc_free(doc);
}

static void
test_locate(void **state)
{
	struct nb_doc	*doc = parse(nb1);
	struct ot_op	 op;
	struct gl_err	 err;

	op_del(&op, "c", 0);
	assert_int_equal(ot_op_locate(doc, &op, &err), 0);
	assert_int_equal(op.from, 2);
	ot_op_fini(&op);
	op_mov(&op, "zz", 0, 0);
	assert_int_equal(ot_op_locate(doc, &op, &err), GL_ENOTFOUND);
	assert_non_null(strstr(err.msg, "\"zz\""));
	ot_op_fini(&op);
	nb_doc_free(doc);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_apply_insert),
		cmocka_unit_test(test_apply_delete),
		cmocka_unit_test(test_apply_move),
		cmocka_unit_test(test_apply_set_kind),
		cmocka_unit_test(test_apply_set_meta),
		cmocka_unit_test(test_apply_text),
		cmocka_unit_test(test_apply_header),
		cmocka_unit_test(test_apply_errors),
		cmocka_unit_test(test_apply_utf8_errors),
		cmocka_unit_test(test_codec_roundtrip),
		cmocka_unit_test(test_codec_wire_form),
		cmocka_unit_test(test_codec_malformed),
		cmocka_unit_test(test_transform_pairs),
		cmocka_unit_test(test_transform_lists_exhaustive),
		cmocka_unit_test(test_transform_random_tp1),
		cmocka_unit_test(test_rebase),
		cmocka_unit_test(test_diff),
		cmocka_unit_test(test_locate),
		cmocka_unit_test(test_jupiter_simulation),
	};
	const char	*env = getenv("GALLEY_OT_SEED");
	struct gl_rng	 r;

	if (env != NULL && *env != '\0')
		seed = strtoull(env, NULL, 10);
	else {
		gl_rng_seed_random(&r);
		seed = gl_rng_next(&r);
	}
	fprintf(stderr, "test_ot: seed %" PRIu64 " (GALLEY_OT_SEED=%" PRIu64
	    " repeats this run)\n", seed, seed);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

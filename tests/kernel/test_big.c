/*
 * test_big.c - a notebook bigger than one reply may be (issue 10): a
 * file of about 60 MB opens (its cells come in pages, doc.cells, put
 * together by the client library), runs and saves; a page asked for on
 * a version that is gone is refused, and the client reads again.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "kfixture.h"

#define BIG_CELLS	600
#define BIG_LINES	1100		/* lines of about 100 bytes a cell */

/* Writes the big notebook: cell 0 sets x, cell BIG_CELLS - 1 shows
 * x + 1, and every cell carries BIG_LINES comment lines. */
static char *
big_write(const char *dir, size_t *len)
{
	struct gl_buf	 b;
	char		 line[128];
	char		*path, *text;

	gl_buf_init(&b);
	memset(line, 'x', sizeof line);
	for (int i = 0; i < BIG_CELLS; i++) {
		char	 head[64];

		snprintf(head, sizeof head, "-- %%%% id=\"b%05d\"\n", i);
		gl_buf_adds(&b, head);
		for (int j = 0; j < BIG_LINES; j++) {
			gl_buf_adds(&b, "-- ");
			gl_buf_add(&b, line, 96);
			gl_buf_adds(&b, "\n");
		}
		gl_buf_adds(&b, i == 0 ? "x = 41\n" : i == BIG_CELLS - 1 ?
		    "x + 1\n" : "y = 0\n");
		if (i < BIG_CELLS - 1)
			gl_buf_adds(&b, "\n");
	}
	*len = b.len;
	text = gl_buf_take(&b, NULL);
	path = kt_write(dir, "big.nb.lua", text);
	free(text);
	return path;
}

static void
pack_open(msgpack_packer *pk, void *ctx)
{
	msgpack_pack_map(pk, 1);
	rpc_pack_kv_str(pk, "path", ctx);
}

static void
pack_stale_page(msgpack_packer *pk, void *ctx)
{
	msgpack_pack_map(pk, 3);
	rpc_pack_kv_str(pk, "session", ctx);
	rpc_pack_kv_int(pk, "version", 0);
	rpc_pack_kv_int(pk, "from", 1);
}

/* Checks that the cells of reply m are the big notebook's, all of them
 * in order, with source_len bytes in the last one's source. */
static void
big_check_cells(const struct rpc_msg *m, size_t last_len)
{
	const msgpack_object	*cs = rpc_map_get(m->result, "cells");
	const msgpack_object	*c = NULL;
	size_t			 len;
	char			 id[16];

	assert_non_null(cs);
	assert_int_equal(cs->type, MSGPACK_OBJECT_ARRAY);
	assert_int_equal(cs->via.array.size, BIG_CELLS);
	assert_null(rpc_map_get(m->result, "next"));
	for (uint32_t i = 0; i < cs->via.array.size; i++) {
		c = &cs->via.array.ptr[i];
		snprintf(id, sizeof id, "b%05u", i);
		assert_true(rpc_obj_streq(rpc_map_get(c, "id"), id));
	}
	assert_non_null(rpc_map_str(c, "source", &len));
	assert_int_equal(len, last_len);
}

static void
test_big_open_run_save(void **state)
{
	struct kt	*t = *state;
	struct kc	*k = kt_conn(t);
	struct rpc_msg	 m;
	struct gl_err	 err;
	size_t		 len, got;
	char		*nb = big_write(t->proj, &len), *sid, *text, *out;
	long long	 version;
	json_t		*r, *note;
	const size_t	 last = (size_t)BIG_LINES * 100 + 5;

	assert_true(len > (size_t)60 << 20);
	/* More than the kernel lets queue for one client, in one reply. */
	assert_int_equal(cl_call_doc(k->conn, "session.open", pack_open, nb,
	    &m, KC_WAIT_MS * 3, &err), 0);
	big_check_cells(&m, last);
	sid = rpc_map_strdup(m.result, "session");
	version = rpc_map_int(m.result, "version", -1);
	rpc_msg_fini(&m);

	/* It runs: the first cell and the last. */
	r = kc_call(k, "cell.run", json_pack("{s:s, s:[s, s]}", "session",
	    sid, "cells", "b00000", "b00599"));
	assert_non_null(r);
	json_decref(r);
	note = kc_note(k, "cell.done", "cell", json_string("b00599"),
	    KC_WAIT_MS);
	assert_non_null(note);
	assert_string_equal(kj_str(note, "status"), "ok");
	json_decref(note);

	/* An edit, then a page of the version before it is refused. */
	r = kc_insert_text(k, sid, version, "b00300", 0, "z = 1\n", last);
	assert_non_null(r);
	json_decref(r);
	assert_int_equal(cl_call(k->conn, "doc.cells", pack_stale_page, sid,
	    &m, KC_WAIT_MS, &err), GL_ECONFLICT);

	/* doc.get comes in pages too, with the outputs of the run. */
	assert_int_equal(cl_call_doc(k->conn, "doc.get", cl_pack_session, sid,
	    &m, KC_WAIT_MS * 3, &err), 0);
	big_check_cells(&m, last);
	{
		const msgpack_object *cs = rpc_map_get(m.result, "cells");
		const msgpack_object *c = &cs->via.array.ptr[BIG_CELLS - 1];
		const msgpack_object *outs = rpc_map_get(c, "outputs");

		assert_non_null(outs);
		assert_int_equal(outs->via.array.size, 1);
		out = rpc_map_strdup(&outs->via.array.ptr[0], "text");
		assert_non_null(out);
		assert_string_equal(out, "42");
		free(out);
	}
	rpc_msg_fini(&m);

	/* It saves: the file is what it was, with the edit. */
	r = kc_call(k, "doc.save", json_pack("{s:s}", "session", sid));
	assert_non_null(r);
	json_decref(r);
	text = kt_read(nb);
	assert_non_null(text);
	got = strlen(text);
	assert_int_equal(got, len + 6);
	assert_non_null(strstr(text, "-- %% id=\"b00300\"\nz = 1\n-- xxx"));
	free(text);
	free(sid);
	free(nb);
	kc_free(k);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_big_open_run_save,
		    kt_setup_started, kt_teardown_stopped),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

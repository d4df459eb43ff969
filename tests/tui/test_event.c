/*
 * test_event.c - the kernel's messages decoded (tui/event.c): each
 * notification the TUI handles built as real msgpack-RPC and decoded
 * into its typed event; the replies it reads (the document, the ack,
 * cell.outputs, session.list); and every field of every notification
 * taken away or given the wrong type, which must give either the event or
 * a GL_EPROTO naming the method, never a crash.
 */
#include "tui_fixture.h"

#include "core/rpc.h"
#include "tui/event.h"
#include "tui/sync.h"

/* A notification as the kernel writes it, decoded back. */
struct note {
	struct rpc_writer w;
	struct rpc_msg	 m;
};

static msgpack_packer *
note_begin(struct note *n, const char *method)
{
	rpc_writer_init(&n->w);
	rpc_begin_notify(&n->w, method);
	return &n->w.pk;
}

static const struct rpc_msg *
note_end(struct note *n)
{
	struct gl_err	 err = { 0 };

	if (rpc_decode(n->w.sbuf.data, n->w.sbuf.size, &n->m, &err) != 0)
		fail_msg("rpc_decode: %s", err.msg);
	return &n->m;
}

static void
note_fini(struct note *n)
{
	rpc_msg_fini(&n->m);
	rpc_writer_fini(&n->w);
}

static void
pack_stream(msgpack_packer *pk, const char *name, const char *text)
{
	msgpack_pack_map(pk, 3);
	rpc_pack_kv_str(pk, "type", "stream");
	rpc_pack_kv_str(pk, "name", name);
	rpc_pack_kv_str(pk, "text", text);
}

/* ------------------------------------------------------------------ */
/* Notifications */

static void
test_cell_notifications(void **state)
{
	struct note	 n;
	struct event	 ev;
	struct gl_err	 err = { 0 };
	msgpack_packer	*pk;

	pk = note_begin(&n, "cell.started");
	msgpack_pack_map(pk, 3);
	rpc_pack_kv_str(pk, "session", "s1");
	rpc_pack_kv_str(pk, "cell", "a");
	rpc_pack_kv_int(pk, "run", 4);
	assert_int_equal(event_decode(note_end(&n), &ev, &err), 0);
	assert_int_equal(ev.kind, EVENT_CELL_STARTED);
	assert_string_equal(ev.session, "s1");
	assert_true(ev.has_cell);
	assert_string_equal(ev.cell, "a");
	event_fini(&ev);
	note_fini(&n);

	pk = note_begin(&n, "cell.output");
	msgpack_pack_map(pk, 3);
	rpc_pack_kv_str(pk, "session", "s1");
	rpc_pack_kv_str(pk, "cell", "a");
	rpc_pack_key(pk, "output");
	pack_stream(pk, "stderr", "oops\n");
	assert_int_equal(event_decode(note_end(&n), &ev, &err), 0);
	assert_int_equal(ev.kind, EVENT_CELL_OUTPUT);
	assert_int_equal(ev.u.output->kind, VIEW_OUT_STREAM);
	assert_true(ev.u.output->is_stderr);
	assert_string_equal(ev.u.output->text, "oops\n");
	event_fini(&ev);
	note_fini(&n);

	/* A failed run: its error is an error output, as the kernel keeps
	 * it among the cell's outputs. */
	pk = note_begin(&n, "cell.done");
	msgpack_pack_map(pk, 6);
	rpc_pack_kv_str(pk, "session", "s1");
	rpc_pack_kv_str(pk, "cell", "a");
	rpc_pack_kv_str(pk, "status", "error");
	rpc_pack_kv_int(pk, "elapsed_ms", 1500);
	rpc_pack_key(pk, "error");
	msgpack_pack_map(pk, 4);
	rpc_pack_kv_str(pk, "type", "error");
	rpc_pack_kv_str(pk, "message", "a.lua:1: boom");
	rpc_pack_kv_str(pk, "traceback", "stack traceback:\n\t[C]: in ?");
	rpc_pack_kv_int(pk, "line", 1);
	rpc_pack_kv_str(pk, "message", "");
	assert_int_equal(event_decode(note_end(&n), &ev, &err), 0);
	assert_int_equal(ev.kind, EVENT_CELL_DONE);
	assert_int_equal(ev.u.done.run, GL_RUN_ERROR);
	assert_int_equal(ev.u.done.elapsed_ms, 1500);
	assert_non_null(ev.u.done.error);
	assert_int_equal(ev.u.done.error->kind, VIEW_OUT_ERROR);
	assert_string_equal(ev.u.done.error->text, "a.lua:1: boom");
	assert_string_equal(ev.u.done.error->traceback,
	    "stack traceback:\n\t[C]: in ?");
	assert_int_equal(ev.u.done.error->line, 1);
	assert_string_equal(ev.message, "");
	event_fini(&ev);
	note_fini(&n);

	/* Statuses: each known one, and one this TUI does not know. */
	{
		static const struct {
			const char	*status;
			enum gl_run_status	 run;
		} st[] = {
			{ "ok", GL_RUN_OK },
			{ "interrupted", GL_RUN_INTERRUPTED },
			{ "cancelled", GL_RUN_CANCELLED },
			{ "died", GL_RUN_DIED },
			{ "vanished", GL_RUN_DIED },
		};

		for (size_t i = 0; i < sizeof st / sizeof st[0]; i++) {
			pk = note_begin(&n, "cell.done");
			msgpack_pack_map(pk, 3);
			rpc_pack_kv_str(pk, "session", "s1");
			rpc_pack_kv_str(pk, "cell", "a");
			rpc_pack_kv_str(pk, "status", st[i].status);
			assert_int_equal(event_decode(note_end(&n), &ev, &err),
			    0);
			assert_int_equal(ev.u.done.run, st[i].run);
			assert_int_equal(ev.u.done.elapsed_ms, -1);
			assert_null(ev.u.done.error);
			assert_null(ev.message);
			event_fini(&ev);
			note_fini(&n);
		}
	}
}

static void
test_outputs_of_every_type(void **state)
{
	struct mp	 m;
	msgpack_packer	*pk = &m.pk;
	const msgpack_object *arr;
	struct view_output *o;

	mp_init(&m);
	msgpack_pack_array(pk, 7);
	/* A table: numbers become text, a short row leaves cells empty. */
	msgpack_pack_map(pk, 3);
	rpc_pack_kv_str(pk, "type", "table");
	rpc_pack_key(pk, "columns");
	msgpack_pack_array(pk, 2);
	rpc_pack_str(pk, "k");
	rpc_pack_str(pk, "v");
	rpc_pack_key(pk, "rows");
	msgpack_pack_array(pk, 2);
	msgpack_pack_array(pk, 2);
	rpc_pack_str(pk, "x");
	msgpack_pack_double(pk, 1.5);
	msgpack_pack_array(pk, 1);
	msgpack_pack_int(pk, -3);
	/* A progress output of a job. */
	msgpack_pack_map(pk, 5);
	rpc_pack_kv_str(pk, "type", "progress");
	rpc_pack_kv_int(pk, "job", 7);
	rpc_pack_kv_int(pk, "done", 3);
	rpc_pack_kv_int(pk, "total", 10);
	rpc_pack_kv_str(pk, "text", "map");
	/* An error with its line. */
	msgpack_pack_map(pk, 3);
	rpc_pack_kv_str(pk, "type", "error");
	rpc_pack_kv_str(pk, "message", "bad");
	rpc_pack_kv_int(pk, "line", 3);
	/* A displayed value. */
	msgpack_pack_map(pk, 2);
	rpc_pack_kv_str(pk, "type", "result");
	rpc_pack_kv_str(pk, "text", "42");
	/* A type this TUI does not draw, with and without text. */
	msgpack_pack_map(pk, 2);
	rpc_pack_kv_str(pk, "type", "image");
	rpc_pack_kv_str(pk, "text", "[png]");
	msgpack_pack_map(pk, 1);
	rpc_pack_kv_str(pk, "type", "image");
	/* A table without columns is shown as another type. */
	msgpack_pack_map(pk, 1);
	rpc_pack_kv_str(pk, "type", "table");
	arr = mp_obj(&m);

	o = event_output(&arr->via.array.ptr[0]);
	assert_int_equal(o->kind, VIEW_OUT_TABLE);
	assert_int_equal(o->ncols, 2);
	assert_int_equal(o->nrows, 2);
	assert_string_equal(o->cells[0], "k");
	assert_string_equal(o->cells[3], "1.5");
	assert_string_equal(o->cells[4], "-3");
	assert_null(o->cells[5]);
	view_output_free(o);

	o = event_output(&arr->via.array.ptr[1]);
	assert_int_equal(o->kind, VIEW_OUT_PROGRESS);
	assert_string_equal(o->key, "job:7");
	assert_string_equal(o->text, "map");
	assert_true(o->done == 3 && o->total == 10);
	assert_int_equal(o->busy, -1);
	view_output_free(o);

	o = event_output(&arr->via.array.ptr[2]);
	assert_int_equal(o->kind, VIEW_OUT_ERROR);
	assert_int_equal(o->line, 3);
	view_output_free(o);

	o = event_output(&arr->via.array.ptr[3]);
	assert_int_equal(o->kind, VIEW_OUT_RESULT);
	assert_string_equal(o->text, "42");
	view_output_free(o);

	o = event_output(&arr->via.array.ptr[4]);
	assert_int_equal(o->kind, VIEW_OUT_OTHER);
	assert_string_equal(o->text, "[png]");
	view_output_free(o);

	o = event_output(&arr->via.array.ptr[5]);
	assert_string_equal(o->text, "[image output]");
	view_output_free(o);

	o = event_output(&arr->via.array.ptr[6]);
	assert_int_equal(o->kind, VIEW_OUT_OTHER);
	assert_string_equal(o->text, "[table output]");
	view_output_free(o);

	assert_null(event_output(NULL));
	mp_fini(&m);
}

static void
test_session_notifications(void **state)
{
	struct note	 n;
	struct event	 ev;
	struct gl_err	 err = { 0 };
	msgpack_packer	*pk;
	struct ot_op	 op;

	pk = note_begin(&n, "runtime.status");
	msgpack_pack_map(pk, 3);
	rpc_pack_kv_str(pk, "session", "s1");
	rpc_pack_kv_str(pk, "state", "dead");
	rpc_pack_kv_str(pk, "message", "killed by signal 9");
	assert_int_equal(event_decode(note_end(&n), &ev, &err), 0);
	assert_int_equal(ev.kind, EVENT_RUNTIME_STATUS);
	assert_string_equal(ev.u.state, "dead");
	assert_string_equal(ev.message, "killed by signal 9");
	assert_false(ev.has_cell);
	event_fini(&ev);
	note_fini(&n);

	/* Progress of a job, for the running cell (no cell named). */
	pk = note_begin(&n, "cluster.progress");
	msgpack_pack_map(pk, 7);
	rpc_pack_kv_str(pk, "session", "s1");
	rpc_pack_kv_str(pk, "job", "j2");
	rpc_pack_kv_int(pk, "done", 5);
	rpc_pack_kv_int(pk, "total", 8);
	rpc_pack_kv_int(pk, "failed", 1);
	rpc_pack_kv_int(pk, "busy", 2);
	rpc_pack_kv_str(pk, "label", "squares");
	assert_int_equal(event_decode(note_end(&n), &ev, &err), 0);
	assert_int_equal(ev.kind, EVENT_CLUSTER_PROGRESS);
	assert_false(ev.has_cell);
	assert_int_equal(ev.u.progress->kind, VIEW_OUT_PROGRESS);
	assert_string_equal(ev.u.progress->key, "job:j2");
	assert_string_equal(ev.u.progress->text, "squares");
	assert_true(ev.u.progress->failed == 1);
	assert_int_equal(ev.u.progress->busy, 2);
	event_fini(&ev);
	note_fini(&n);

	/* Another client's edit. */
	sync_text_op(&op, "a", 3, 3, 0, "!", 1);
	pk = note_begin(&n, "doc.ops");
	msgpack_pack_map(pk, 4);
	rpc_pack_kv_str(pk, "session", "s1");
	rpc_pack_kv_int(pk, "version", 9);
	rpc_pack_kv_int(pk, "client", 2);
	rpc_pack_key(pk, "ops");
	msgpack_pack_array(pk, 1);
	ot_encode(pk, &op);
	ot_op_fini(&op);
	assert_int_equal(event_decode(note_end(&n), &ev, &err), 0);
	assert_int_equal(ev.kind, EVENT_DOC_OPS);
	assert_int_equal(ev.u.ops.version, 9);
	assert_int_equal(ev.u.ops.n, 1);
	assert_int_equal(ev.u.ops.ops[0].kind, OT_TEXT);
	assert_string_equal(ev.u.ops.ops[0].id, "a");
	event_fini(&ev);
	note_fini(&n);

	pk = note_begin(&n, "doc.saved");
	msgpack_pack_map(pk, 3);
	rpc_pack_kv_str(pk, "session", "s1");
	rpc_pack_kv_str(pk, "path", "/tmp/x.nb.lua");
	rpc_pack_kv_int(pk, "version", 9);
	assert_int_equal(event_decode(note_end(&n), &ev, &err), 0);
	assert_int_equal(ev.kind, EVENT_DOC_SAVED);
	event_fini(&ev);
	note_fini(&n);

	/* The file changed on disk and was merged. */
	pk = note_begin(&n, "doc.changed");
	msgpack_pack_map(pk, 7);
	rpc_pack_kv_str(pk, "session", "s1");
	rpc_pack_kv_str(pk, "path", "/tmp/x.nb.lua");
	rpc_pack_kv_int(pk, "version", 12);
	rpc_pack_kv_str(pk, "how", "merged");
	rpc_pack_kv_int(pk, "conflicts", 2);
	rpc_pack_kv_bool(pk, "dirty", true);
	rpc_pack_kv_str(pk, "message", "x.nb.lua changed on disk: merged");
	assert_int_equal(event_decode(note_end(&n), &ev, &err), 0);
	assert_int_equal(ev.kind, EVENT_DOC_CHANGED);
	assert_string_equal(ev.u.changed.how, "merged");
	assert_int_equal(ev.u.changed.conflicts, 2);
	assert_int_equal(ev.u.changed.dirty, 1);
	assert_string_equal(ev.message, "x.nb.lua changed on disk: merged");
	event_fini(&ev);
	note_fini(&n);

	/* Refused: no session needed. */
	pk = note_begin(&n, "kernel.refused");
	msgpack_pack_map(pk, 1);
	rpc_pack_kv_str(pk, "message", "too many clients");
	assert_int_equal(event_decode(note_end(&n), &ev, &err), 0);
	assert_int_equal(ev.kind, EVENT_REFUSED);
	assert_null(ev.session);
	assert_string_equal(ev.message, "too many clients");
	event_fini(&ev);
	note_fini(&n);

	/* A method this TUI does not know is no error. */
	pk = note_begin(&n, "review.comment");
	msgpack_pack_map(pk, 1);
	rpc_pack_kv_str(pk, "session", "s1");
	assert_int_equal(event_decode(note_end(&n), &ev, &err), 0);
	assert_int_equal(ev.kind, EVENT_NONE);
	event_fini(&ev);
	note_fini(&n);
}

/* The people of a shared session: who joins, leaves, moves, talks and
 * gets another role; who started a run; a save the TUI writes itself. */
static void
test_pair_notifications(void **state)
{
	struct note	 n;
	struct event	 ev;
	struct gl_err	 err = { 0 };
	msgpack_packer	*pk;

	pk = note_begin(&n, "session.joined");
	msgpack_pack_map(pk, 5);
	rpc_pack_kv_str(pk, "session", "s1");
	rpc_pack_kv_int(pk, "client", 7);
	rpc_pack_kv_str(pk, "name", "alice");
	rpc_pack_kv_str(pk, "role", "editor");
	rpc_pack_kv_int(pk, "color", 3);
	assert_int_equal(event_decode(note_end(&n), &ev, &err), 0);
	assert_int_equal(ev.kind, EVENT_PEER_JOINED);
	assert_string_equal(ev.session, "s1");
	assert_int_equal(ev.u.peer.client, 7);
	assert_string_equal(ev.u.peer.name, "alice");
	assert_string_equal(ev.u.peer.role, "editor");
	assert_int_equal(ev.u.peer.color, 3);
	event_fini(&ev);
	note_fini(&n);

	pk = note_begin(&n, "session.left");
	msgpack_pack_map(pk, 3);
	rpc_pack_kv_str(pk, "session", "s1");
	rpc_pack_kv_int(pk, "client", 7);
	rpc_pack_kv_str(pk, "name", "alice");
	assert_int_equal(event_decode(note_end(&n), &ev, &err), 0);
	assert_int_equal(ev.kind, EVENT_PEER_LEFT);
	assert_int_equal(ev.u.peer.client, 7);
	assert_int_equal(ev.u.peer.color, -1);
	event_fini(&ev);
	note_fini(&n);

	/* A cursor in insert mode; a name with a line break is one line. */
	pk = note_begin(&n, "doc.cursor");
	msgpack_pack_map(pk, 7);
	rpc_pack_kv_str(pk, "session", "s1");
	rpc_pack_kv_int(pk, "client", 7);
	rpc_pack_kv_str(pk, "name", "al\nice");
	rpc_pack_kv_int(pk, "color", 1);
	rpc_pack_kv_str(pk, "cell", "b");
	rpc_pack_kv_int(pk, "offset", 12);
	rpc_pack_kv_str(pk, "mode", "insert");
	assert_int_equal(event_decode(note_end(&n), &ev, &err), 0);
	assert_int_equal(ev.kind, EVENT_PEER_CURSOR);
	assert_true(ev.has_cell);
	assert_string_equal(ev.cell, "b");
	assert_string_equal(ev.u.peer.name, "al ice");
	assert_int_equal(ev.u.peer.offset, 12);
	assert_true(ev.u.peer.insert);
	event_fini(&ev);
	note_fini(&n);

	/* An older kernel's cursor: no colour, no mode. */
	pk = note_begin(&n, "doc.cursor");
	msgpack_pack_map(pk, 5);
	rpc_pack_kv_str(pk, "session", "s1");
	rpc_pack_kv_int(pk, "client", 7);
	rpc_pack_kv_str(pk, "name", "alice");
	rpc_pack_kv_str(pk, "cell", "b");
	rpc_pack_kv_int(pk, "offset", 0);
	assert_int_equal(event_decode(note_end(&n), &ev, &err), 0);
	assert_int_equal(ev.u.peer.color, -1);
	assert_false(ev.u.peer.insert);
	event_fini(&ev);
	note_fini(&n);

	pk = note_begin(&n, "session.said");
	msgpack_pack_map(pk, 5);
	rpc_pack_kv_str(pk, "session", "s1");
	rpc_pack_kv_int(pk, "client", 7);
	rpc_pack_kv_str(pk, "name", "alice");
	rpc_pack_kv_str(pk, "text", "look at cell b");
	rpc_pack_kv_int(pk, "time", 1700000000000);
	assert_int_equal(event_decode(note_end(&n), &ev, &err), 0);
	assert_int_equal(ev.kind, EVENT_PEER_SAID);
	assert_string_equal(ev.message, "look at cell b");
	assert_int_equal(ev.u.peer.time_ms, 1700000000000);
	event_fini(&ev);
	note_fini(&n);

	pk = note_begin(&n, "session.role");
	msgpack_pack_map(pk, 4);
	rpc_pack_kv_str(pk, "session", "s1");
	rpc_pack_kv_int(pk, "client", 7);
	rpc_pack_kv_str(pk, "name", "alice");
	rpc_pack_kv_str(pk, "role", "viewer");
	assert_int_equal(event_decode(note_end(&n), &ev, &err), 0);
	assert_int_equal(ev.kind, EVENT_PEER_ROLE);
	assert_string_equal(ev.u.peer.role, "viewer");
	event_fini(&ev);
	note_fini(&n);

	/* Who started a run; a long name is cut where a character starts. */
	pk = note_begin(&n, "cell.started");
	msgpack_pack_map(pk, 4);
	rpc_pack_kv_str(pk, "session", "s1");
	rpc_pack_kv_str(pk, "cell", "a");
	rpc_pack_kv_int(pk, "run", 4);
	rpc_pack_kv_str(pk, "by", "bob");
	assert_int_equal(event_decode(note_end(&n), &ev, &err), 0);
	assert_string_equal(ev.u.peer.name, "bob");
	event_fini(&ev);
	note_fini(&n);
	{
		char	 name[EVENT_NAME_MAX + 8];

		memset(name, 'x', sizeof name - 1);
		name[sizeof name - 1] = '\0';
		memcpy(name + EVENT_NAME_MAX - 1, "\xc3\xa9", 2);
		pk = note_begin(&n, "cell.started");
		msgpack_pack_map(pk, 3);
		rpc_pack_kv_str(pk, "session", "s1");
		rpc_pack_kv_str(pk, "cell", "a");
		rpc_pack_kv_str(pk, "by", name);
		assert_int_equal(event_decode(note_end(&n), &ev, &err), 0);
		assert_int_equal(strlen(ev.u.peer.name), EVENT_NAME_MAX - 1);
		event_fini(&ev);
		note_fini(&n);
	}

	pk = note_begin(&n, "cell.queued");
	msgpack_pack_map(pk, 5);
	rpc_pack_kv_str(pk, "session", "s1");
	rpc_pack_kv_str(pk, "cell", "c");
	rpc_pack_kv_int(pk, "run", 5);
	rpc_pack_kv_str(pk, "by", "bob");
	rpc_pack_kv_int(pk, "client", 3);
	assert_int_equal(event_decode(note_end(&n), &ev, &err), 0);
	assert_int_equal(ev.kind, EVENT_CELL_QUEUED);
	assert_string_equal(ev.cell, "c");
	assert_string_equal(ev.u.peer.name, "bob");
	assert_int_equal(ev.u.peer.client, 3);
	event_fini(&ev);
	note_fini(&n);

	/* A save of a notebook the kernel has no file of. */
	pk = note_begin(&n, "doc.write");
	msgpack_pack_map(pk, 3);
	rpc_pack_kv_str(pk, "session", "s1");
	rpc_pack_kv_int(pk, "version", 12);
	rpc_pack_kv_str(pk, "text", "-- %% id=\"a\"\nx = 1\n");
	assert_int_equal(event_decode(note_end(&n), &ev, &err), 0);
	assert_int_equal(ev.kind, EVENT_DOC_WRITE);
	assert_int_equal(ev.u.write.version, 12);
	assert_int_equal(ev.u.write.len, 19);
	assert_string_equal(ev.u.write.text, "-- %% id=\"a\"\nx = 1\n");
	event_fini(&ev);
	note_fini(&n);

	/* Revoked: the reason tells it from other refusals. */
	pk = note_begin(&n, "kernel.refused");
	msgpack_pack_map(pk, 2);
	rpc_pack_kv_str(pk, "reason", "revoked");
	rpc_pack_kv_str(pk, "message", "alice was revoked");
	assert_int_equal(event_decode(note_end(&n), &ev, &err), 0);
	assert_string_equal(ev.u.reason, "revoked");
	assert_string_equal(ev.message, "alice was revoked");
	event_fini(&ev);
	note_fini(&n);
}

/* Decodes n, which must fail as kind with the message want (or, when
 * want ends with a blank, a message starting with it); finis it. */
static void
refused(struct note *n, enum event_kind kind, const char *want)
{
	struct event	 ev;
	struct gl_err	 err = { 0 };
	size_t		 wl = strlen(want);

	assert_int_equal(event_decode(note_end(n), &ev, &err), GL_EPROTO);
	assert_int_equal(ev.kind, kind);
	if (wl > 0 && want[wl - 1] == ' ')
		assert_true(strncmp(err.msg, want, wl) == 0);
	else
		assert_string_equal(err.msg, want);
	event_fini(&ev);
	note_fini(n);
}

/* Clear errors for what is missing or malformed. */
static void
test_bad_notifications(void **state)
{
	struct note	 n;
	struct event	 ev;
	struct gl_err	 err = { 0 };
	msgpack_packer	*pk;
	char		 id[NB_ID_MAX + 2];

	pk = note_begin(&n, "cell.started");
	msgpack_pack_map(pk, 1);
	rpc_pack_kv_str(pk, "cell", "a");
	refused(&n, EVENT_CELL_STARTED, "cell.started: no session");

	pk = note_begin(&n, "cell.output");
	msgpack_pack_map(pk, 3);
	rpc_pack_kv_str(pk, "session", "s1");
	rpc_pack_kv_str(pk, "cell", "a");
	rpc_pack_kv_str(pk, "output", "hello");
	refused(&n, EVENT_CELL_OUTPUT, "cell.output: no output map");

	pk = note_begin(&n, "cell.done");
	msgpack_pack_map(pk, 2);
	rpc_pack_kv_str(pk, "session", "s1");
	rpc_pack_kv_str(pk, "cell", "a");
	refused(&n, EVENT_CELL_DONE, "cell.done: no status");

	/* A cell id longer than any cell's. */
	memset(id, 'x', sizeof id - 1);
	id[sizeof id - 1] = '\0';
	pk = note_begin(&n, "cell.started");
	msgpack_pack_map(pk, 2);
	rpc_pack_kv_str(pk, "session", "s1");
	rpc_pack_kv_str(pk, "cell", id);
	refused(&n, EVENT_CELL_STARTED, "cell.started: cell is too long (65 "
	    "bytes)");

	/* ...names no cell where none is needed. */
	pk = note_begin(&n, "cluster.progress");
	msgpack_pack_map(pk, 2);
	rpc_pack_kv_str(pk, "session", "s1");
	rpc_pack_kv_str(pk, "cell", id);
	assert_int_equal(event_decode(note_end(&n), &ev, &err), 0);
	assert_false(ev.has_cell);
	event_fini(&ev);
	note_fini(&n);

	pk = note_begin(&n, "doc.ops");
	msgpack_pack_map(pk, 3);
	rpc_pack_kv_str(pk, "session", "s1");
	rpc_pack_kv_int(pk, "version", 4);
	rpc_pack_key(pk, "ops");
	msgpack_pack_array(pk, 1);
	msgpack_pack_map(pk, 1);
	rpc_pack_kv_str(pk, "op", "explode");
	refused(&n, EVENT_DOC_OPS, "doc.ops: ");

	pk = note_begin(&n, "runtime.status");
	msgpack_pack_map(pk, 2);
	rpc_pack_kv_str(pk, "session", "s1");
	rpc_pack_kv_int(pk, "state", 3);
	refused(&n, EVENT_RUNTIME_STATUS, "runtime.status: no state");

	/* No arguments at all. */
	pk = note_begin(&n, "doc.saved");
	msgpack_pack_nil(pk);
	refused(&n, EVENT_DOC_SAVED, "doc.saved: no session");
}

/* Every field of every notification, missing or of each wrong type:
 * the event or GL_EPROTO naming the method, never a crash (ASan and
 * UBSan watch), nothing leaked. */
enum val { V_GOOD, V_ABSENT, V_NIL, V_INT, V_NEG, V_STR, V_ARRAY, V_MAP,
    V_FLOAT, V_BIG, V_COUNT };

static void
pack_good(msgpack_packer *pk, const char *key)
{
	if (strcmp(key, "output") == 0)
		pack_stream(pk, "stdout", "x");
	else if (strcmp(key, "error") == 0) {
		msgpack_pack_map(pk, 2);
		rpc_pack_kv_str(pk, "type", "error");
		rpc_pack_kv_str(pk, "message", "x");
	}
	else if (strcmp(key, "ops") == 0) {
		struct ot_op	 op;

		sync_text_op(&op, "a", 1, 0, 1, "b", 1);
		msgpack_pack_array(pk, 1);
		ot_encode(pk, &op);
		ot_op_fini(&op);
	} else if (strcmp(key, "matches") == 0) {
		msgpack_pack_array(pk, 1);
		msgpack_pack_map(pk, 2);
		rpc_pack_kv_str(pk, "text", "print");
		rpc_pack_kv_str(pk, "kind", "function");
	} else if (strcmp(key, "found") == 0)
		msgpack_pack_true(pk);
	else if (strcmp(key, "version") == 0 || strcmp(key, "done") == 0 ||
	    strcmp(key, "client") == 0 || strcmp(key, "color") == 0 ||
	    strcmp(key, "offset") == 0 || strcmp(key, "time") == 0 ||
	    strcmp(key, "total") == 0 || strcmp(key, "elapsed_ms") == 0 ||
	    strcmp(key, "request") == 0 || strcmp(key, "start") == 0 ||
	    strcmp(key, "end") == 0)
		msgpack_pack_uint64(pk, 3);
	else if (strcmp(key, "status") == 0)
		rpc_pack_str(pk, "ok");
	else if (strcmp(key, "state") == 0)
		rpc_pack_str(pk, "idle");
	else
		rpc_pack_str(pk, "a");
}

static void
pack_val(msgpack_packer *pk, const char *key, enum val v)
{
	switch (v) {
	case V_GOOD:
		pack_good(pk, key);
		break;
	case V_ABSENT:
	case V_COUNT:
		break;
	case V_NIL:
		msgpack_pack_nil(pk);
		break;
	case V_INT:
		msgpack_pack_int(pk, 7);
		break;
	case V_NEG:
		msgpack_pack_int64(pk, INT64_MIN);
		break;
	case V_STR:
		rpc_pack_str(pk, "\xff\xfe");
		break;
	case V_ARRAY:
		msgpack_pack_array(pk, 2);
		msgpack_pack_nil(pk);
		msgpack_pack_map(pk, 0);
		break;
	case V_MAP:
		msgpack_pack_map(pk, 1);
		rpc_pack_kv_int(pk, "type", 1);
		break;
	case V_FLOAT:
		msgpack_pack_double(pk, -1e300);
		break;
	case V_BIG:
		msgpack_pack_uint64(pk, UINT64_MAX);
		break;
	}
}

static void
test_every_field_broken(void **state)
{
	static const struct {
		const char	*method;
		const char	*keys[8];
	} notes[] = {
		{ "kernel.refused", { "message" } },
		{ "cell.started", { "session", "cell", "run" } },
		{ "cell.output", { "session", "cell", "run", "output" } },
		{ "cell.done", { "session", "cell", "status", "error",
		    "message", "elapsed_ms" } },
		{ "runtime.status", { "session", "state", "message" } },
		{ "cluster.progress", { "session", "cell", "job", "done",
		    "total", "failed", "busy", "label" } },
		{ "doc.ops", { "session", "version", "client", "ops" } },
		{ "doc.saved", { "session", "path", "version" } },
		{ "doc.changed", { "session", "path", "version", "how",
		    "conflicts", "dirty", "message" } },
		{ "cell.completion", { "session", "request", "matches",
		    "start", "end", "source", "note" } },
		{ "cell.inspection", { "session", "request", "found", "name",
		    "type", "summary", "doc", "message" } },
		{ "session.joined", { "session", "client", "name", "role",
		    "color" } },
		{ "session.left", { "session", "client", "name" } },
		{ "doc.cursor", { "session", "client", "name", "color", "cell",
		    "offset", "mode" } },
		{ "session.said", { "session", "client", "name", "text",
		    "time" } },
		{ "session.role", { "session", "client", "name", "role" } },
		{ "doc.write", { "session", "version", "text" } },
		{ "cell.queued", { "session", "cell", "run", "by",
		    "client" } },
		{ "kernel.refused", { "message", "reason" } },
	};
	size_t	 decoded = 0, refused = 0;

	for (size_t i = 0; i < sizeof notes / sizeof notes[0]; i++) {
		size_t	 nk = 0;

		while (nk < 8 && notes[i].keys[nk] != NULL)
			nk++;
		for (size_t k = 0; k < nk; k++)
			for (int v = 0; v < V_COUNT; v++) {
				struct note	 n;
				struct event	 ev;
				struct gl_err	 err = { 0 };
				msgpack_packer	*pk = note_begin(&n,
				    notes[i].method);
				int		 rc;

				msgpack_pack_map(pk, v == V_ABSENT ? nk - 1 :
				    nk);
				for (size_t j = 0; j < nk; j++) {
					if (j == k && v == V_ABSENT)
						continue;
					rpc_pack_key(pk, notes[i].keys[j]);
					pack_val(pk, notes[i].keys[j],
					    j == k ? (enum val)v : V_GOOD);
				}
				rc = event_decode(note_end(&n), &ev, &err);
				if (rc == 0) {
					decoded++;
				} else {
					assert_int_equal(rc, GL_EPROTO);
					assert_true(strncmp(err.msg,
					    notes[i].method,
					    strlen(notes[i].method)) == 0);
					refused++;
				}
				assert_int_not_equal(ev.kind, EVENT_NONE);
				event_fini(&ev);
				note_fini(&n);
			}
	}
	/* Both outcomes happen: the test reaches the checks it means to. */
	assert_true(decoded > 0 && refused > 0);
}

/* ------------------------------------------------------------------ */
/* Replies */

static void
pack_cell(msgpack_packer *pk, const char *id, const char *kind, bool header,
    const char *title, const char *source, const char *tags)
{
	msgpack_pack_map(pk, 6);
	rpc_pack_kv_str(pk, "id", id);
	rpc_pack_kv_str(pk, "kind", kind);
	rpc_pack_kv_bool(pk, "header", header);
	rpc_pack_kv_str(pk, "title", title);
	rpc_pack_key(pk, "meta");
	msgpack_pack_map(pk, tags ? 2 : 1);
	{
		char	*j = xasprintf("\"%s\"", id);

		rpc_pack_kv_str(pk, "id", j);
		free(j);
	}
	if (tags)
		rpc_pack_kv_str(pk, "tags", tags);
	rpc_pack_kv_str(pk, "source", source);
}

static void
test_doc_from_kernel_cells(void **state)
{
	msgpack_sbuffer	 sb;
	msgpack_packer	 pk;
	msgpack_unpacked up;
	struct nb_doc	*doc = NULL;
	struct gl_err	 err = { 0 };

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_array(&pk, 4);
	pack_cell(&pk, "hdr", "code", true, "", "-- requires: x\nlocal v = 1",
	    NULL);
	pack_cell(&pk, "m", "markdown", false, "", "# T\n\ntext", NULL);
	pack_cell(&pk, "c", "code", false, "Sum", "x = 1\n\ny = 2", "[\"p\"]");
	/* A source the format cannot hold as is: a marker-like line. */
	pack_cell(&pk, "d", "code", false, "", "-- %% not a cell\nz", NULL);
	msgpack_unpacked_init(&up);
	assert_int_equal(msgpack_unpack_next(&up, sb.data, sb.size, NULL),
	    MSGPACK_UNPACK_SUCCESS);
	assert_int_equal(event_doc_from_cells(&up.data, &doc, &err), 0);
	assert_int_equal(nb_doc_count(doc), 4);
	assert_string_equal(nb_cell_id(nb_doc_cell(doc, 1)), "m");
	assert_int_equal(nb_cell_kind(nb_doc_cell(doc, 1)), NB_MARKDOWN);
	assert_string_equal(nb_cell_source(nb_doc_cell(doc, 1), NULL),
	    "# T\n\ntext");
	assert_string_equal(nb_cell_source(nb_doc_cell(doc, 2), NULL),
	    "x = 1\n\ny = 2");
	assert_string_equal(nb_cell_title(nb_doc_cell(doc, 2)), "Sum");
	assert_true(nb_cell_has_tag(nb_doc_cell(doc, 2), "p"));
	assert_string_equal(nb_cell_source(nb_doc_cell(doc, 3), NULL),
	    "-- %% not a cell\nz");
	assert_string_equal(nb_cell_id(nb_doc_cell(doc, 0)), "hdr");
	nb_doc_free(doc);
	msgpack_unpacked_destroy(&up);
	msgpack_sbuffer_destroy(&sb);
}

/* A cell as session.open sends it, with its outputs and state. */
static void
pack_open_cell(msgpack_packer *pk, const char *id, const char *out,
    bool stale, bool running)
{
	msgpack_pack_map(pk, 6);
	rpc_pack_kv_str(pk, "id", id);
	rpc_pack_kv_str(pk, "kind", "code");
	rpc_pack_kv_str(pk, "source", "x = 1");
	rpc_pack_key(pk, "outputs");
	msgpack_pack_array(pk, out ? 2 : 0);
	if (out) {
		pack_stream(pk, "stdout", out);
		rpc_pack_str(pk, "not an output");
	}
	rpc_pack_kv_bool(pk, "stale", stale);
	rpc_pack_key(pk, "running");
	if (running)
		msgpack_pack_uint64(pk, 12);
	else
		msgpack_pack_nil(pk);
}

static void
test_open_reply(void **state)
{
	struct mp	 m;
	msgpack_packer	*pk = &m.pk;
	struct event_doc d;
	struct event_cell c;
	struct gl_err	 err = { 0 };

	mp_init(&m);
	msgpack_pack_map(pk, 6);
	rpc_pack_kv_str(pk, "session", "s9");
	rpc_pack_kv_int(pk, "version", 17);
	rpc_pack_kv_bool(pk, "dirty", true);
	rpc_pack_kv_int(pk, "recovered", 2);
	rpc_pack_key(pk, "warnings");
	msgpack_pack_array(pk, 2);
	rpc_pack_str(pk, "the file changed on disk");
	rpc_pack_str(pk, "3 edits were merged");
	rpc_pack_key(pk, "cells");
	msgpack_pack_array(pk, 2);
	pack_open_cell(pk, "a", "hi\n", true, false);
	pack_open_cell(pk, "b", NULL, false, true);
	assert_int_equal(event_doc_decode(mp_obj(&m), &d, &err), 0);
	assert_string_equal(d.session, "s9");
	assert_int_equal(d.version, 17);
	assert_int_equal(d.dirty, 1);
	assert_int_equal(d.recovered, 2);
	assert_string_equal(d.warning, "the file changed on disk; 3 edits "
	    "were merged");
	assert_int_equal(nb_doc_count(d.doc), 2);
	assert_int_equal(d.ncells, 2);
	assert_int_equal(event_doc_cell(&d, 0, &c), 1);
	assert_string_equal(c.id, "a");
	assert_int_equal(c.nout, 1);
	assert_string_equal(c.out[0]->text, "hi\n");
	assert_true(c.stale);
	assert_false(c.running);
	event_cell_fini(&c);
	assert_int_equal(event_doc_cell(&d, 1, &c), 1);
	assert_int_equal(c.nout, 0);
	assert_true(c.running);
	event_cell_fini(&c);
	event_doc_fini(&d);
	mp_fini(&m);

	/* doc.get: no session, no dirty flag... but no version is an
	 * error. */
	mp_init(&m);
	pk = &m.pk;
	msgpack_pack_map(pk, 1);
	rpc_pack_key(pk, "cells");
	msgpack_pack_array(pk, 0);
	assert_int_equal(event_doc_decode(mp_obj(&m), &d, &err), GL_EPROTO);
	assert_non_null(strstr(err.msg, "no version"));
	event_doc_fini(&d);
	mp_fini(&m);

	mp_init(&m);
	pk = &m.pk;
	msgpack_pack_map(pk, 2);
	rpc_pack_kv_int(pk, "version", 3);
	rpc_pack_kv_str(pk, "cells", "none");
	assert_int_equal(event_doc_decode(mp_obj(&m), &d, &err), GL_EPROTO);
	assert_string_equal(err.msg, "no cells from the kernel");
	event_doc_fini(&d);
	mp_fini(&m);

	mp_init(&m);
	pk = &m.pk;
	msgpack_pack_map(pk, 2);
	rpc_pack_kv_int(pk, "version", 3);
	rpc_pack_key(pk, "cells");
	msgpack_pack_array(pk, 0);
	assert_int_equal(event_doc_decode(mp_obj(&m), &d, &err), 0);
	assert_null(d.session);
	assert_int_equal(d.dirty, -1);
	assert_null(d.warning);
	event_doc_fini(&d);
	mp_fini(&m);
}

static void
test_small_replies(void **state)
{
	struct mp	 m;
	msgpack_packer	*pk;
	struct gl_err	 err = { 0 };
	struct event_cell c;
	uint64_t	 v = 0;
	int		 members = 1;

	mp_init(&m);
	pk = &m.pk;
	msgpack_pack_map(pk, 1);
	rpc_pack_kv_int(pk, "version", 31);
	assert_int_equal(event_ack_decode(mp_obj(&m), &v, &err), 0);
	assert_int_equal(v, 31);
	mp_fini(&m);

	mp_init(&m);
	pk = &m.pk;
	msgpack_pack_map(pk, 1);
	rpc_pack_kv_str(pk, "version", "31");
	assert_int_equal(event_ack_decode(mp_obj(&m), &v, &err), GL_EPROTO);
	assert_string_equal(err.msg, "doc.edit: no version in the answer");
	mp_fini(&m);

	mp_init(&m);
	pk = &m.pk;
	msgpack_pack_map(pk, 3);
	rpc_pack_key(pk, "outputs");
	msgpack_pack_array(pk, 1);
	pack_stream(pk, "stdout", "back\n");
	rpc_pack_kv_bool(pk, "stale", true);
	rpc_pack_kv_int(pk, "bytes", 120);
	assert_int_equal(event_outputs_decode(mp_obj(&m), &c, &err), 0);
	assert_int_equal(c.nout, 1);
	assert_string_equal(c.out[0]->text, "back\n");
	assert_true(c.stale);
	assert_int_equal(event_save_bytes(&m.u.data), 120);
	event_cell_fini(&c);
	mp_fini(&m);

	mp_init(&m);
	pk = &m.pk;
	msgpack_pack_nil(pk);
	assert_int_equal(event_outputs_decode(mp_obj(&m), &c, &err),
	    GL_EPROTO);
	assert_string_equal(err.msg, "cell.outputs: no outputs array");
	event_cell_fini(&c);
	assert_int_equal(event_save_bytes(&m.u.data), 0);
	mp_fini(&m);

	mp_init(&m);
	pk = &m.pk;
	msgpack_pack_array(pk, 3);
	msgpack_pack_map(pk, 2);
	rpc_pack_kv_str(pk, "session", "s1");
	rpc_pack_kv_int(pk, "clients", 1);
	msgpack_pack_nil(pk);
	msgpack_pack_map(pk, 2);
	rpc_pack_kv_str(pk, "session", "s2");
	rpc_pack_kv_int(pk, "clients", 3);
	assert_int_equal(event_members(mp_obj(&m), "s2", &members), 1);
	assert_int_equal(members, 3);
	assert_int_equal(event_members(&m.u.data, "s3", &members), 0);
	assert_int_equal(members, 3);
	mp_fini(&m);
}

/* session.members and kernel.members; session.share; our own client,
 * role and name in a session.open reply. */
static void
test_member_replies(void **state)
{
	struct mp	 m;
	msgpack_packer	*pk;
	struct gl_err	 err = { 0 };
	struct event_member *mem;
	struct event_invite iv;
	struct event_doc d;
	size_t		 n;

	mp_init(&m);
	pk = &m.pk;
	msgpack_pack_array(pk, 4);
	msgpack_pack_map(pk, 8);
	rpc_pack_kv_int(pk, "client", 1);
	rpc_pack_kv_str(pk, "name", "carol");
	rpc_pack_kv_str(pk, "role", "owner");
	rpc_pack_kv_int(pk, "color", 0);
	rpc_pack_kv_str(pk, "cell", "a");
	rpc_pack_kv_int(pk, "offset", 3);
	rpc_pack_kv_str(pk, "mode", "insert");
	rpc_pack_kv_str(pk, "activity", "editing a");
	msgpack_pack_map(pk, 1);
	rpc_pack_kv_str(pk, "role", "editor");		/* no name: skipped */
	msgpack_pack_nil(pk);				/* not a map: skipped */
	msgpack_pack_map(pk, 4);
	rpc_pack_kv_str(pk, "name", "dave");
	rpc_pack_kv_str(pk, "role", "viewer");
	rpc_pack_kv_bool(pk, "connected", false);
	rpc_pack_kv_str(pk, "expires", "2026-12-01 18:00");
	assert_int_equal(event_members_decode(mp_obj(&m), &mem, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_string_equal(mem[0].p.name, "carol");
	assert_int_equal(mem[0].p.client, 1);
	assert_true(mem[0].p.insert);
	assert_string_equal(mem[0].cell, "a");
	assert_string_equal(mem[0].activity, "editing a");
	assert_int_equal(mem[0].connected, -1);
	assert_string_equal(mem[1].p.name, "dave");
	assert_int_equal(mem[1].connected, 0);
	assert_string_equal(mem[1].expires, "2026-12-01 18:00");
	free(mem);
	mp_fini(&m);

	/* A map holding the list reads the same; anything else is not. */
	mp_init(&m);
	pk = &m.pk;
	msgpack_pack_map(pk, 1);
	rpc_pack_key(pk, "members");
	msgpack_pack_array(pk, 0);
	assert_int_equal(event_members_decode(mp_obj(&m), &mem, &n, &err), 0);
	assert_int_equal(n, 0);
	free(mem);
	mp_fini(&m);
	mp_init(&m);
	pk = &m.pk;
	rpc_pack_str(pk, "everyone");
	assert_int_equal(event_members_decode(mp_obj(&m), &mem, &n, &err),
	    GL_EPROTO);
	assert_null(mem);
	mp_fini(&m);

	mp_init(&m);
	pk = &m.pk;
	msgpack_pack_map(pk, 5);
	rpc_pack_kv_str(pk, "invite", "galley1:abc");
	rpc_pack_kv_str(pk, "name", "guest-1a2b");
	rpc_pack_kv_str(pk, "role", "viewer");
	rpc_pack_kv_bool(pk, "local", false);
	msgpack_pack_nil(pk);
	msgpack_pack_nil(pk);
	assert_int_equal(event_invite_decode(mp_obj(&m), &iv, &err), 0);
	assert_string_equal(iv.invite, "galley1:abc");
	assert_string_equal(iv.name, "guest-1a2b");
	assert_string_equal(iv.role, "viewer");
	assert_string_equal(iv.expires, "");
	assert_false(iv.local);
	event_invite_fini(&iv);
	mp_fini(&m);
	mp_init(&m);
	pk = &m.pk;
	msgpack_pack_map(pk, 1);
	rpc_pack_kv_str(pk, "name", "guest-1a2b");
	assert_int_equal(event_invite_decode(mp_obj(&m), &iv, &err),
	    GL_EPROTO);
	assert_string_equal(err.msg, "session.share: no invite");
	event_invite_fini(&iv);
	mp_fini(&m);

	mp_init(&m);
	pk = &m.pk;
	msgpack_pack_map(pk, 5);
	rpc_pack_kv_int(pk, "version", 1);
	rpc_pack_kv_int(pk, "client", 4);
	rpc_pack_kv_str(pk, "role", "viewer");
	rpc_pack_kv_str(pk, "member", "erin");
	rpc_pack_key(pk, "cells");
	msgpack_pack_array(pk, 0);
	assert_int_equal(event_doc_decode(mp_obj(&m), &d, &err), 0);
	assert_int_equal(d.client, 4);
	assert_string_equal(d.role, "viewer");
	assert_string_equal(d.member, "erin");
	event_doc_fini(&d);
	mp_fini(&m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cell_notifications),
		cmocka_unit_test(test_outputs_of_every_type),
		cmocka_unit_test(test_session_notifications),
		cmocka_unit_test(test_pair_notifications),
		cmocka_unit_test(test_bad_notifications),
		cmocka_unit_test(test_every_field_broken),
		cmocka_unit_test(test_doc_from_kernel_cells),
		cmocka_unit_test(test_open_reply),
		cmocka_unit_test(test_small_replies),
		cmocka_unit_test(test_member_replies),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * event.c - the kernel's notifications and replies, decoded.
 *
 * Each notification the TUI handles has one entry in methods[]: its name,
 * its kind and the function that reads its arguments. What every entry
 * shares (the session, the cell) is read once in event_decode(). Reading
 * is strict where the TUI could only guess (a cell.done without a status,
 * a doc.ops without a version): those are GL_EPROTO with the method and
 * the field named. Optional fields (a label, a message) of the wrong type
 * read as absent, as docs/protocol.md lets a kernel leave them out.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "client/client.h"
#include "core/err.h"
#include "core/mem.h"
#include "core/notebook.h"
#include "core/ot.h"
#include "core/rpc.h"
#include "tui/event.h"
#include "tui/view.h"

static int	 decode_refused(const msgpack_object *args, struct event *ev,
		     struct gl_err *err);
static int	 decode_started(const msgpack_object *args, struct event *ev,
		     struct gl_err *err);
static int	 decode_output(const msgpack_object *args, struct event *ev,
		     struct gl_err *err);
static int	 decode_done(const msgpack_object *args, struct event *ev,
		     struct gl_err *err);
static int	 decode_runtime(const msgpack_object *args, struct event *ev,
		     struct gl_err *err);
static int	 decode_progress(const msgpack_object *args, struct event *ev,
		     struct gl_err *err);
static int	 decode_ops(const msgpack_object *args, struct event *ev,
		     struct gl_err *err);
static int	 decode_saved(const msgpack_object *args, struct event *ev,
		     struct gl_err *err);
static int	 decode_changed(const msgpack_object *args, struct event *ev,
		     struct gl_err *err);
static int	 decode_completion(const msgpack_object *args,
		     struct event *ev, struct gl_err *err);
static int	 decode_inspection(const msgpack_object *args,
		     struct event *ev, struct gl_err *err);
static int	 decode_joined(const msgpack_object *args, struct event *ev,
		     struct gl_err *err);
static int	 decode_peer(const msgpack_object *args, struct event *ev,
		     struct gl_err *err);
static int	 decode_said(const msgpack_object *args, struct event *ev,
		     struct gl_err *err);
static int	 decode_role(const msgpack_object *args, struct event *ev,
		     struct gl_err *err);
static int	 decode_write(const msgpack_object *args, struct event *ev,
		     struct gl_err *err);

/* The notifications the TUI handles. */
static const struct {
	const char	*method;
	enum event_kind	 kind;
	bool		 cell;		/* names a cell (required) */
	int		(*decode)(const msgpack_object *, struct event *,
			    struct gl_err *);
} methods[] = {
	{ "kernel.refused", EVENT_REFUSED, false, decode_refused },
	{ "kernel.stopping", EVENT_KERNEL_STOPPING, false, decode_refused },
	{ "cell.started", EVENT_CELL_STARTED, true, decode_started },
	{ "cell.output", EVENT_CELL_OUTPUT, true, decode_output },
	{ "cell.done", EVENT_CELL_DONE, true, decode_done },
	{ "runtime.status", EVENT_RUNTIME_STATUS, false, decode_runtime },
	{ "cluster.progress", EVENT_CLUSTER_PROGRESS, false, decode_progress },
	{ "doc.ops", EVENT_DOC_OPS, false, decode_ops },
	{ "doc.saved", EVENT_DOC_SAVED, false, decode_saved },
	{ "doc.changed", EVENT_DOC_CHANGED, false, decode_changed },
	{ "cell.completion", EVENT_COMPLETION, false, decode_completion },
	{ "cell.inspection", EVENT_INSPECTION, false, decode_inspection },
	{ "session.joined", EVENT_PEER_JOINED, false, decode_joined },
	{ "session.left", EVENT_PEER_LEFT, false, decode_peer },
	{ "doc.cursor", EVENT_PEER_CURSOR, false, decode_peer },
	{ "session.said", EVENT_PEER_SAID, false, decode_said },
	{ "session.role", EVENT_PEER_ROLE, false, decode_role },
	{ "cell.queued", EVENT_CELL_QUEUED, true, decode_started },
	{ "doc.write", EVENT_DOC_WRITE, false, decode_write },
};

/* ------------------------------------------------------------------ */
/* Fields */

/* Any scalar as text (table cells). Caller frees. */
static char *
obj_text(const msgpack_object *o)
{
	char	 buf[64];

	switch (o->type) {
	case MSGPACK_OBJECT_STR:
		return xstrndup(o->via.str.ptr, o->via.str.size);
	case MSGPACK_OBJECT_BIN:
		return xstrndup(o->via.bin.ptr, o->via.bin.size);
	case MSGPACK_OBJECT_POSITIVE_INTEGER:
		snprintf(buf, sizeof buf, "%" PRIu64, o->via.u64);
		return xstrdup(buf);
	case MSGPACK_OBJECT_NEGATIVE_INTEGER:
		snprintf(buf, sizeof buf, "%" PRId64, o->via.i64);
		return xstrdup(buf);
	case MSGPACK_OBJECT_FLOAT32:
	case MSGPACK_OBJECT_FLOAT64:
		snprintf(buf, sizeof buf, "%.14g", o->via.f64);
		return xstrdup(buf);
	case MSGPACK_OBJECT_BOOLEAN:
		return xstrdup(o->via.boolean ? "true" : "false");
	case MSGPACK_OBJECT_NIL:
		return xstrdup("");
	default:
		return xstrdup("?");
	}
}

/* A number field; 0 if absent or not a number. */
static double
obj_num(const msgpack_object *map, const char *key)
{
	const msgpack_object *o = rpc_map_get(map, key);

	if (o == NULL)
		return 0;
	switch (o->type) {
	case MSGPACK_OBJECT_POSITIVE_INTEGER:
		return (double)o->via.u64;
	case MSGPACK_OBJECT_NEGATIVE_INTEGER:
		return (double)o->via.i64;
	case MSGPACK_OBJECT_FLOAT32:
	case MSGPACK_OBJECT_FLOAT64:
		return o->via.f64;
	default:
		return 0;
	}
}

/* A string field into buf[0..n): 1, 0 if absent (or not a string), or
 * GL_EPROTO if it does not fit. */
static int
obj_str(const msgpack_object *map, const char *key, char *buf, size_t n,
    struct gl_err *err)
{
	size_t		 len;
	const char	*s = rpc_map_str(map, key, &len);

	buf[0] = '\0';
	if (s == NULL)
		return 0;
	if (len >= n)
		return gl_err_set(err, GL_EPROTO, "%s is too long (%zu bytes)",
		    key, len);
	memcpy(buf, s, len);
	buf[len] = '\0';
	return 1;
}

/* The key that ties the progress bars of one cluster job together: the
 * kernel's progress outputs and its cluster.progress notifications both
 * name the job. NULL without a job. Caller frees. */
static char *
job_key(const msgpack_object *map)
{
	const msgpack_object *j = rpc_map_get(map, "job");
	char		*t, *k;

	if (j == NULL || j->type == MSGPACK_OBJECT_NIL)
		return NULL;
	t = obj_text(j);
	k = xasprintf("job:%s", t);
	free(t);
	return k;
}

/* A string field into buf[0..n), cut at a character's start when it is
 * longer (names are shown, not compared with what the kernel keeps). */
static void
obj_str_cut(const msgpack_object *map, const char *key, char *buf, size_t n)
{
	size_t		 len;
	const char	*s = rpc_map_str(map, key, &len);

	buf[0] = '\0';
	if (s == NULL)
		return;
	if (len >= n) {
		len = n - 1;
		while (len > 0 && ((unsigned char)s[len] & 0xc0) == 0x80)
			len--;
	}
	memcpy(buf, s, len);
	buf[len] = '\0';
	/* One line on a screen. */
	for (char *p = buf; *p; p++)
		if ((unsigned char)*p < 0x20)
			*p = ' ';
}

/* The person a message names: client, name (under key), role, colour,
 * cursor offset and mode, time. Every field is optional here; decoders
 * require what they need. */
static void
peer_read(const msgpack_object *args, struct event_peer *p, const char *key)
{
	const msgpack_object *o = rpc_map_get(args, "client");

	memset(p, 0, sizeof *p);
	if (o != NULL && o->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
		p->client = o->via.u64;
	obj_str_cut(args, key, p->name, sizeof p->name);
	obj_str_cut(args, "role", p->role, sizeof p->role);
	o = rpc_map_get(args, "color");
	p->color = o != NULL && o->type == MSGPACK_OBJECT_POSITIVE_INTEGER &&
	    o->via.u64 < 1024 ? (int)o->via.u64 : -1;
	p->offset = rpc_map_int(args, "offset", 0);
	if (p->offset < 0)
		p->offset = 0;
	p->insert = rpc_obj_streq(rpc_map_get(args, "mode"), "insert");
	p->time_ms = rpc_map_int(args, "time", 0);
}

/* ------------------------------------------------------------------ */
/* Outputs */

static struct view_output *
output_table(const msgpack_object *o)
{
	const msgpack_object *cols = rpc_map_get(o, "columns");
	const msgpack_object *rows = rpc_map_get(o, "rows");
	struct view_output *v;
	size_t		 nc, nr;

	if (cols == NULL || cols->type != MSGPACK_OBJECT_ARRAY)
		return NULL;
	nc = cols->via.array.size;
	nr = rows && rows->type == MSGPACK_OBJECT_ARRAY ?
	    rows->via.array.size : 0;
	v = view_output_new(VIEW_OUT_TABLE, NULL, 0);
	view_output_table(v, nc, nr);
	for (size_t c = 0; c < nc; c++) {
		char	*t = obj_text(&cols->via.array.ptr[c]);

		view_output_table_set(v, 0, c, t, strlen(t));
		free(t);
	}
	for (size_t r = 0; r < nr; r++) {
		const msgpack_object *row = &rows->via.array.ptr[r];

		if (row->type != MSGPACK_OBJECT_ARRAY)
			continue;
		for (size_t c = 0; c < nc && c < row->via.array.size; c++) {
			char	*t = obj_text(&row->via.array.ptr[c]);

			view_output_table_set(v, r + 1, c, t, strlen(t));
			free(t);
		}
	}
	v->more = (size_t)(rpc_map_int(o, "more", 0) > 0 ?
	    rpc_map_int(o, "more", 0) : 0);
	v->more_cols = (size_t)(rpc_map_int(o, "more_columns", 0) > 0 ?
	    rpc_map_int(o, "more_columns", 0) : 0);
	return v;
}

/* A tree: {nodes: [[depth, key, value, entries, more]]}; a node of
 * another shape is skipped. NULL without a nodes array. */
static struct view_output *
output_tree(const msgpack_object *o)
{
	const msgpack_object *nodes = rpc_map_get(o, "nodes");
	struct view_output *v;

	if (nodes == NULL || nodes->type != MSGPACK_OBJECT_ARRAY)
		return NULL;
	v = view_output_new(VIEW_OUT_TREE, NULL, 0);
	for (uint32_t i = 0; i < nodes->via.array.size; i++) {
		const msgpack_object *nd = &nodes->via.array.ptr[i], *f;
		char	*key, *val;
		int64_t	 num[3];

		if (nd->type != MSGPACK_OBJECT_ARRAY ||
		    nd->via.array.size < 5)
			continue;
		f = nd->via.array.ptr;
		for (int k = 0; k < 3; k++) {
			const msgpack_object *x = &f[k == 0 ? 0 : k + 2];

			num[k] = x->type == MSGPACK_OBJECT_POSITIVE_INTEGER ?
			    (int64_t)x->via.u64 :
			    x->type == MSGPACK_OBJECT_NEGATIVE_INTEGER ?
			    x->via.i64 : 0;
		}
		key = obj_text(&f[1]);
		val = obj_text(&f[2]);
		view_output_node_add(v, (int)(num[0] > 1000 ? 1000 : num[0]),
		    key, val, (long)num[1], num[2] > 0 ? (size_t)num[2] : 0);
		free(key);
		free(val);
	}
	return v;
}

/* A progress bar from a progress output or a cluster.progress
 * notification (the label may be called text in the former). */
static struct view_output *
output_progress(const msgpack_object *o, bool text_label)
{
	struct view_output *v;
	size_t		 len;
	const char	*s = rpc_map_str(o, "label", &len);

	if (s == NULL && text_label)
		s = rpc_map_str(o, "text", &len);
	v = view_output_new(VIEW_OUT_PROGRESS, s, s ? len : 0);
	v->done = obj_num(o, "done");
	v->total = obj_num(o, "total");
	v->failed = obj_num(o, "failed");
	v->busy = (int)rpc_map_int(o, "busy", -1);
	/* A job's bar is one bar, whoever updates it. */
	v->key = job_key(o);
	return v;
}

/* An error output: its message, traceback and line. */
static struct view_output *
output_error(const msgpack_object *o)
{
	struct view_output *v;
	size_t		 len;
	const char	*s = rpc_map_str(o, "message", &len);

	v = view_output_new(VIEW_OUT_ERROR, s ? s : "error", s ? len : 5);
	v->traceback = rpc_map_strdup(o, "traceback");
	v->line = (int)rpc_map_int(o, "line", 0);
	return v;
}

struct view_output *
event_output(const msgpack_object *o)
{
	char			 type[32];
	size_t			 len;
	const char		*s;
	struct view_output	*v;

	if (o == NULL || o->type != MSGPACK_OBJECT_MAP)
		return NULL;
	if (obj_str(o, "type", type, sizeof type, NULL) < 0)
		type[0] = '\0';
	if (strcmp(type, "stream") == 0 || strcmp(type, "result") == 0) {
		s = rpc_map_str(o, "text", &len);
		v = view_output_new(type[0] == 's' ? VIEW_OUT_STREAM :
		    VIEW_OUT_RESULT, s ? s : "", s ? len : 0);
		v->is_stderr = rpc_obj_streq(rpc_map_get(o, "name"), "stderr");
		return v;
	}
	if (strcmp(type, "error") == 0)
		return output_error(o);
	if (strcmp(type, "table") == 0 && (v = output_table(o)) != NULL)
		return v;
	if (strcmp(type, "tree") == 0 && (v = output_tree(o)) != NULL)
		return v;
	if (strcmp(type, "progress") == 0) {
		v = output_progress(o, true);
		if (v->key == NULL)
			v->key = rpc_map_strdup(o, "key");
		return v;
	}
	s = rpc_map_str(o, "text", &len);
	if (s != NULL)
		return view_output_new(VIEW_OUT_OTHER, s, len);
	{
		char	*t = xasprintf("[%s output]", *type ? type : "an");

		v = view_output_new(VIEW_OUT_OTHER, t, strlen(t));
		free(t);
		return v;
	}
}

/* ------------------------------------------------------------------ */
/* Notifications */

int
event_decode(const struct rpc_msg *m, struct event *ev, struct gl_err *err)
{
	const msgpack_object *args = m->args;
	size_t		 i, n = sizeof methods / sizeof methods[0];
	int		 rc;

	memset(ev, 0, sizeof *ev);
	ev->kind = EVENT_NONE;
	for (i = 0; i < n; i++)
		if (strcmp(m->method, methods[i].method) == 0)
			break;
	if (i == n)
		return 0;
	ev->kind = methods[i].kind;
	if (ev->kind != EVENT_REFUSED && ev->kind != EVENT_KERNEL_STOPPING &&
	    (ev->session = rpc_map_strdup(args, "session")) == NULL)
		return gl_err_set(err, GL_EPROTO, "%s: no session", m->method);
	/* A cell's id too long to be one is an error only where a cell must
	 * be named; elsewhere it names no cell. */
	if ((rc = obj_str(args, "cell", ev->cell, sizeof ev->cell,
	    methods[i].cell ? err : NULL)) < 0) {
		if (methods[i].cell)
			return gl_err_prefix(err, "%s", m->method);
		rc = 0;
	}
	ev->has_cell = rc == 1;
	if (methods[i].cell && !ev->has_cell)
		return gl_err_set(err, GL_EPROTO, "%s: no cell", m->method);
	if ((rc = methods[i].decode(args, ev, err)) != 0)
		gl_err_prefix(err, "%s", m->method);
	return rc;
}

void
event_fini(struct event *ev)
{
	switch (ev->kind) {
	case EVENT_CELL_OUTPUT:
		view_output_free(ev->u.output);
		break;
	case EVENT_CELL_DONE:
		view_output_free(ev->u.done.error);
		break;
	case EVENT_CLUSTER_PROGRESS:
		view_output_free(ev->u.progress);
		break;
	case EVENT_DOC_OPS:
		for (size_t i = 0; i < ev->u.ops.n; i++)
			ot_op_fini(&ev->u.ops.ops[i]);
		free(ev->u.ops.ops);
		break;
	case EVENT_COMPLETION:
		for (size_t i = 0; i < ev->u.completion.n; i++) {
			free(ev->u.completion.text[i]);
			free(ev->u.completion.kind[i]);
		}
		free(ev->u.completion.text);
		free(ev->u.completion.kind);
		break;
	case EVENT_DOC_WRITE:
		free(ev->u.write.text);
		break;
	case EVENT_INSPECTION:
		free(ev->u.inspection.name);
		free(ev->u.inspection.type);
		free(ev->u.inspection.summary);
		free(ev->u.inspection.doc);
		break;
	default:
		break;
	}
	free(ev->session);
	free(ev->message);
	memset(ev, 0, sizeof *ev);
}

/* kernel.refused {message, reason?}; kernel.stopping {reason, message} */
static int
decode_refused(const msgpack_object *args, struct event *ev,
    struct gl_err *err)
{
	ev->message = rpc_map_strdup(args, "message");
	if (obj_str(args, "reason", ev->u.reason, sizeof ev->u.reason,
	    NULL) < 0)
		ev->u.reason[0] = '\0';
	return 0;
}

/* cell.started and cell.queued {session, cell, run, by?, client?} */
static int
decode_started(const msgpack_object *args, struct event *ev,
    struct gl_err *err)
{
	peer_read(args, &ev->u.peer, "by");
	return 0;
}

/* cell.output {session, cell, run, output} */
static int
decode_output(const msgpack_object *args, struct event *ev,
    struct gl_err *err)
{
	if ((ev->u.output = event_output(rpc_map_get(args, "output"))) == NULL)
		return gl_err_set(err, GL_EPROTO, "no output map");
	return 0;
}

/* cell.done {session, cell, run, status, error?, message?, elapsed_ms} */
static int
decode_done(const msgpack_object *args, struct event *ev, struct gl_err *err)
{
	struct cl_done	 d;
	int		 rc;

	if ((rc = cl_done_read(args, &d, err)) != 0)
		return rc;
	ev->u.done.run = d.status;
	ev->u.done.elapsed_ms = d.elapsed_ms;
	/* The run's error is an error output, read as every output is. */
	if (d.error != NULL)
		ev->u.done.error = event_output(d.error);
	if (d.message != NULL)
		ev->message = xstrndup(d.message, d.message_len);
	return 0;
}

/* runtime.status {session, state, message} */
static int
decode_runtime(const msgpack_object *args, struct event *ev,
    struct gl_err *err)
{
	int	 rc = obj_str(args, "state", ev->u.state, sizeof ev->u.state,
		    err);

	if (rc < 0)
		return rc;
	if (rc == 0)
		return gl_err_set(err, GL_EPROTO, "no state");
	ev->message = rpc_map_strdup(args, "message");
	return 0;
}

/* cluster.progress {session, cell, job, done, total, failed, busy} */
static int
decode_progress(const msgpack_object *args, struct event *ev,
    struct gl_err *err)
{
	ev->u.progress = output_progress(args, false);
	return 0;
}

/* doc.ops {session, version, client, ops} */
static int
decode_ops(const msgpack_object *args, struct event *ev, struct gl_err *err)
{
	const msgpack_object *ao = rpc_map_get(args, "ops");
	const msgpack_object *vo = rpc_map_get(args, "version");
	size_t		 n;
	int		 rc;

	if (vo == NULL || vo->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
		return gl_err_set(err, GL_EPROTO, "no version");
	if (ao == NULL || ao->type != MSGPACK_OBJECT_ARRAY)
		return gl_err_set(err, GL_EPROTO, "no ops array");
	n = ao->via.array.size;
	ev->u.ops.version = vo->via.u64;
	ev->u.ops.ops = xcalloc(n + 1, sizeof *ev->u.ops.ops);
	for (size_t i = 0; i < n; i++) {
		if ((rc = ot_decode(&ao->via.array.ptr[i], &ev->u.ops.ops[i],
		    err)) != 0)
			return rc;
		ev->u.ops.n = i + 1;
	}
	return 0;
}

/* doc.saved {session, path, version} */
static int
decode_saved(const msgpack_object *args, struct event *ev, struct gl_err *err)
{
	return 0;
}

/* doc.changed {session, path, version, how, conflicts, dirty, message} */
static int
decode_changed(const msgpack_object *args, struct event *ev,
    struct gl_err *err)
{
	const msgpack_object	*d = rpc_map_get(args, "dirty");
	int			 rc;

	if ((rc = obj_str(args, "how", ev->u.changed.how,
	    sizeof ev->u.changed.how, err)) < 0)
		return rc;
	if (rc == 0)
		return gl_err_set(err, GL_EPROTO, "no how");
	ev->u.changed.conflicts = rpc_map_int(args, "conflicts", 0);
	ev->u.changed.dirty = d != NULL && d->type == MSGPACK_OBJECT_BOOLEAN ?
	    d->via.boolean : -1;
	ev->message = rpc_map_strdup(args, "message");
	return 0;
}

/* session.joined {session, client, name, role, color} */
static int
decode_joined(const msgpack_object *args, struct event *ev,
    struct gl_err *err)
{
	peer_read(args, &ev->u.peer, "name");
	if (ev->u.peer.client == 0)
		return gl_err_set(err, GL_EPROTO, "no client");
	if (ev->u.peer.name[0] == '\0')
		return gl_err_set(err, GL_EPROTO, "no name");
	return 0;
}

/* session.left {session, client, name} and doc.cursor {session, client,
 * name, color, cell, offset, mode}: someone, named by connection. */
static int
decode_peer(const msgpack_object *args, struct event *ev,
    struct gl_err *err)
{
	peer_read(args, &ev->u.peer, "name");
	if (ev->u.peer.client == 0)
		return gl_err_set(err, GL_EPROTO, "no client");
	return 0;
}

/* session.said {session, client, name, text, time} */
static int
decode_said(const msgpack_object *args, struct event *ev,
    struct gl_err *err)
{
	peer_read(args, &ev->u.peer, "name");
	if ((ev->message = rpc_map_strdup(args, "text")) == NULL)
		return gl_err_set(err, GL_EPROTO, "no text");
	return 0;
}

/* session.role {session, client, name, role} */
static int
decode_role(const msgpack_object *args, struct event *ev,
    struct gl_err *err)
{
	peer_read(args, &ev->u.peer, "name");
	if (ev->u.peer.name[0] == '\0')
		return gl_err_set(err, GL_EPROTO, "no name");
	if (ev->u.peer.role[0] == '\0')
		return gl_err_set(err, GL_EPROTO, "no role");
	return 0;
}

/* doc.write {session, version, text} */
static int
decode_write(const msgpack_object *args, struct event *ev,
    struct gl_err *err)
{
	const msgpack_object *vo = rpc_map_get(args, "version");
	const char	*t;
	size_t		 len;

	if (vo == NULL || vo->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
		return gl_err_set(err, GL_EPROTO, "no version");
	if ((t = rpc_map_str(args, "text", &len)) == NULL)
		return gl_err_set(err, GL_EPROTO, "no text");
	ev->u.write.version = vo->via.u64;
	ev->u.write.text = xstrndup(t, len);
	ev->u.write.len = len;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Replies */

static void
cell_init(struct event_cell *c)
{
	memset(c, 0, sizeof *c);
}

void
event_cell_fini(struct event_cell *c)
{
	for (size_t i = 0; i < c->nout; i++)
		view_output_free(c->out[i]);
	free(c->out);
	cell_init(c);
}

/* The outputs array of a cell map or a cell.outputs result. */
static void
read_outputs(const msgpack_object *outs, struct event_cell *c)
{
	/* Most cells of a large notebook have none: no allocation then. */
	if (outs == NULL || outs->type != MSGPACK_OBJECT_ARRAY ||
	    outs->via.array.size == 0)
		return;
	c->out = xcalloc(outs->via.array.size, sizeof *c->out);
	for (uint32_t j = 0; j < outs->via.array.size; j++) {
		struct view_output *o = event_output(&outs->via.array.ptr[j]);

		if (o != NULL)
			c->out[c->nout++] = o;
	}
}

int
event_doc_decode(const msgpack_object *result, struct event_doc *out,
    struct gl_err *err)
{
	const msgpack_object *cells = rpc_map_get(result, "cells");
	const msgpack_object *vo = rpc_map_get(result, "version");
	const msgpack_object *dirty = rpc_map_get(result, "dirty");
	int		 rc;

	memset(out, 0, sizeof *out);
	out->dirty = -1;
	if (vo == NULL || vo->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
		return gl_err_set(err, GL_EPROTO, "the kernel's document has "
		    "no version");
	out->version = vo->via.u64;
	if ((rc = event_doc_from_cells(cells, &out->doc, err)) != 0)
		return rc;
	out->session = rpc_map_strdup(result, "session");
	if (dirty != NULL && dirty->type == MSGPACK_OBJECT_BOOLEAN)
		out->dirty = dirty->via.boolean;
	/* All of them: one may say where the journal went, the next that
	 * unsaved edits were merged. */
	out->warning = event_warnings(result);
	out->recovered = rpc_map_int(result, "recovered", 0);
	{
		const msgpack_object *ea = rpc_map_get(result, "edit_applied");

		out->edit_applied = ea != NULL &&
		    ea->type == MSGPACK_OBJECT_BOOLEAN ? ea->via.boolean : -1;
	}
	{
		const msgpack_object *c = rpc_map_get(result, "client");

		if (c != NULL && c->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
			out->client = c->via.u64;
	}
	obj_str_cut(result, "role", out->role, sizeof out->role);
	obj_str_cut(result, "member", out->member, sizeof out->member);
	out->cells = cells;
	out->ncells = cells->via.array.size;
	return 0;
}

int
event_doc_cell(const struct event_doc *d, size_t k, struct event_cell *c)
{
	const msgpack_object *o = &d->cells->via.array.ptr[k];
	const msgpack_object *run = rpc_map_get(o, "running");

	/* event_doc_from_cells() checked every cell is a map with an id
	 * string; one too long to be an id names no cell. */
	cell_init(c);
	if (obj_str(o, "id", c->id, sizeof c->id, NULL) != 1)
		return 0;
	read_outputs(rpc_map_get(o, "outputs"), c);
	c->stale = rpc_map_bool(o, "stale", false);
	c->running = run != NULL && run->type != MSGPACK_OBJECT_NIL;
	return 1;
}

void
event_doc_fini(struct event_doc *d)
{
	nb_doc_free(d->doc);
	free(d->session);
	free(d->warning);
	memset(d, 0, sizeof *d);
	d->dirty = -1;
}

int
event_ack_decode(const msgpack_object *result, uint64_t *version,
    struct gl_err *err)
{
	const msgpack_object *vo = rpc_map_get(result, "version");

	if (vo == NULL || vo->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
		return gl_err_set(err, GL_EPROTO, "doc.edit: no version in "
		    "the answer");
	*version = vo->via.u64;
	return 0;
}

int
event_outputs_decode(const msgpack_object *result, struct event_cell *out,
    struct gl_err *err)
{
	const msgpack_object *outs = rpc_map_get(result, "outputs");

	cell_init(out);
	if (outs == NULL || outs->type != MSGPACK_OBJECT_ARRAY)
		return gl_err_set(err, GL_EPROTO, "cell.outputs: no outputs "
		    "array");
	read_outputs(outs, out);
	out->stale = rpc_map_bool(result, "stale", false);
	return 0;
}

int64_t
event_save_bytes(const msgpack_object *result)
{
	return rpc_map_int(result, "bytes", 0);
}

int
event_members(const msgpack_object *result, const char *session, int *n)
{
	int	 found = 0;

	if (result == NULL || result->type != MSGPACK_OBJECT_ARRAY ||
	    session == NULL)
		return 0;
	for (uint32_t i = 0; i < result->via.array.size; i++) {
		const msgpack_object *s = &result->via.array.ptr[i];

		if (rpc_obj_streq(rpc_map_get(s, "session"), session)) {
			*n = (int)rpc_map_int(s, "clients", 1);
			found = 1;
		}
	}
	return found;
}

/* An expiry as the kernel says it: a string as it is, a number of Unix
 * ms as a local date. */
static void
expires_text(const msgpack_object *map, char *buf, size_t n)
{
	const msgpack_object *o = rpc_map_get(map, "expires");

	buf[0] = '\0';
	if (o == NULL)
		return;
	if (o->type == MSGPACK_OBJECT_STR)
		obj_str_cut(map, "expires", buf, n);
	else if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER && o->via.u64 > 0) {
		time_t	 t = (time_t)(o->via.u64 / 1000);
		struct tm tm;

		if (localtime_r(&t, &tm) != NULL)
			strftime(buf, n, "%Y-%m-%d %H:%M", &tm);
	}
}

int
event_members_decode(const msgpack_object *result, struct event_member **out,
    size_t *n, struct gl_err *err)
{
	*out = NULL;
	*n = 0;
	if (result != NULL && result->type == MSGPACK_OBJECT_MAP)
		result = rpc_map_get(result, "members");
	if (result == NULL || result->type != MSGPACK_OBJECT_ARRAY)
		return gl_err_set(err, GL_EPROTO, "the members are not a list");
	*out = xcalloc(result->via.array.size + 1, sizeof **out);
	for (uint32_t i = 0; i < result->via.array.size; i++) {
		const msgpack_object *o = &result->via.array.ptr[i];
		struct event_member *m = &(*out)[*n];
		const msgpack_object *c;

		if (o->type != MSGPACK_OBJECT_MAP)
			continue;
		peer_read(o, &m->p, "name");
		if (m->p.name[0] == '\0')
			continue;
		obj_str_cut(o, "cell", m->cell, sizeof m->cell);
		obj_str_cut(o, "activity", m->activity, sizeof m->activity);
		expires_text(o, m->expires, sizeof m->expires);
		c = rpc_map_get(o, "connected");
		m->connected = c == NULL ? -1 :
		    c->type == MSGPACK_OBJECT_BOOLEAN ? c->via.boolean :
		    c->type == MSGPACK_OBJECT_POSITIVE_INTEGER ?
		    (int)(c->via.u64 > 1000 ? 1000 : c->via.u64) : -1;
		(*n)++;
	}
	return 0;
}

int
event_invite_decode(const msgpack_object *result, struct event_invite *out,
    struct gl_err *err)
{
	memset(out, 0, sizeof *out);
	if ((out->invite = rpc_map_strdup(result, "invite")) == NULL ||
	    *out->invite == '\0')
		return gl_err_set(err, GL_EPROTO, "session.share: no invite");
	obj_str_cut(result, "name", out->name, sizeof out->name);
	obj_str_cut(result, "role", out->role, sizeof out->role);
	expires_text(result, out->expires, sizeof out->expires);
	out->local = rpc_map_bool(result, "local", false);
	return 0;
}

void
event_invite_fini(struct event_invite *iv)
{
	free(iv->invite);
	memset(iv, 0, sizeof *iv);
}

/* ------------------------------------------------------------------ */
/* A doc from the kernel's cells */

struct wcell {
	const char	*id, *title, *src;
	size_t		 idlen, titlelen, srclen;
	enum nb_kind	 kind;
	bool		 header;
	const msgpack_object *meta;
};

static int
read_cell(const msgpack_object *o, struct wcell *c, struct gl_err *err)
{
	const msgpack_object *h;
	size_t		 klen;
	const char	*k;
	char		 kname[16];

	memset(c, 0, sizeof *c);
	if (o->type != MSGPACK_OBJECT_MAP ||
	    (c->id = rpc_map_str(o, "id", &c->idlen)) == NULL ||
	    (c->src = rpc_map_str(o, "source", &c->srclen)) == NULL ||
	    (k = rpc_map_str(o, "kind", &klen)) == NULL || klen >= sizeof kname)
		return gl_err_set(err, GL_EPROTO,
		    "a cell from the kernel lacks id, kind or source");
	memcpy(kname, k, klen);
	kname[klen] = '\0';
	if (nb_kind_parse(kname, &c->kind) != 0)
		return gl_err_set(err, GL_EPROTO, "cell kind '%s'?", kname);
	c->title = rpc_map_str(o, "title", &c->titlelen);
	if ((h = rpc_map_get(o, "header")) != NULL &&
	    h->type == MSGPACK_OBJECT_BOOLEAN)
		c->header = h->via.boolean;
	c->meta = rpc_map_get(o, "meta");
	if (c->meta != NULL && c->meta->type != MSGPACK_OBJECT_MAP)
		c->meta = NULL;
	return 0;
}

static void
print_cell(struct gl_buf *b, const struct wcell *c)
{
	bool	 comment = c->kind != NB_CODE;
	size_t	 pos = 0;

	if (!c->header) {
		gl_buf_adds(b, "-- %%");
		if (c->kind == NB_MARKDOWN)
			gl_buf_adds(b, " [markdown]");
		else if (c->kind == NB_RAW)
			gl_buf_adds(b, " [raw]");
		if (c->titlelen > 0) {
			gl_buf_addc(b, ' ');
			gl_buf_add(b, c->title, c->titlelen);
		}
		for (uint32_t i = 0; c->meta && i < c->meta->via.map.size;
		    i++) {
			const msgpack_object_kv *kv = &c->meta->via.map.ptr[i];

			if (kv->key.type != MSGPACK_OBJECT_STR ||
			    kv->val.type != MSGPACK_OBJECT_STR)
				continue;
			gl_buf_addc(b, ' ');
			gl_buf_add(b, kv->key.via.str.ptr, kv->key.via.str.size);
			gl_buf_addc(b, '=');
			gl_buf_add(b, kv->val.via.str.ptr, kv->val.via.str.size);
		}
		gl_buf_addc(b, '\n');
	} else
		comment = false;
	while (c->srclen > 0) {
		const char	*nl = memchr(c->src + pos, '\n', c->srclen - pos);
		size_t		 end = nl ? (size_t)(nl - c->src) : c->srclen;

		if (comment)
			gl_buf_adds(b, end > pos ? "-- " : "--");
		gl_buf_add(b, c->src + pos, end - pos);
		gl_buf_addc(b, '\n');
		if (nl == NULL)
			break;
		pos = end + 1;
	}
	gl_buf_addc(b, '\n');
}

/* Appends cell w to doc, as it is but for a header: the header cell
 * comes only from the percent format (event_doc_from_cells()). */
static int
append_cell(struct nb_doc *doc, const struct wcell *w, struct gl_err *err)
{
	char		*id = xstrndup(w->id, w->idlen);
	struct nb_cell	*c = nb_doc_insert(doc, nb_doc_count(doc), w->kind, id,
			    w->src, w->srclen, NULL, err);

	free(id);
	if (c == NULL)
		return err ? err->code : GL_EPROTO;
	if (w->titlelen > 0) {
		char	*t = xstrndup(w->title, w->titlelen);

		nb_cell_set_title(c, t);
		free(t);
	}
	for (uint32_t k = 0; w->meta && k < w->meta->via.map.size; k++) {
		const msgpack_object_kv *kv = &w->meta->via.map.ptr[k];
		char	*key, *val;

		key = rpc_obj_strdup(&kv->key);
		val = rpc_obj_strdup(&kv->val);
		if (key != NULL && val != NULL && strcmp(key, "id") != 0)
			(void)nb_cell_set_meta(c, key, val, NULL);
		free(key);
		free(val);
	}
	return 0;
}

static bool
doc_matches(const struct nb_doc *doc, const struct wcell *w, size_t n)
{
	if (nb_doc_count(doc) != n)
		return false;
	for (size_t i = 0; i < n; i++) {
		const struct nb_cell *c = nb_doc_cell(doc, i);
		size_t		 len;
		const char	*src = nb_cell_source(c, &len);

		if (strlen(nb_cell_id(c)) != w[i].idlen ||
		    memcmp(nb_cell_id(c), w[i].id, w[i].idlen) != 0 ||
		    nb_cell_kind(c) != w[i].kind ||
		    nb_cell_is_header(c) != w[i].header ||
		    len != w[i].srclen || memcmp(src, w[i].src, len) != 0)
			return false;
	}
	return true;
}

int
event_doc_from_cells(const msgpack_object *cells, struct nb_doc **out,
    struct gl_err *err)
{
	struct wcell	*w = NULL;
	struct gl_buf	 b;
	struct nb_doc	*doc = NULL;
	size_t		 n;
	int		 rc;

	*out = NULL;
	gl_buf_init(&b);
	if (cells == NULL || cells->type != MSGPACK_OBJECT_ARRAY)
		return gl_err_set(err, GL_EPROTO, "no cells from the kernel");
	n = cells->via.array.size;
	w = xcalloc(n + 1, sizeof *w);
	for (size_t i = 0; i < n; i++)
		if ((rc = read_cell(&cells->via.array.ptr[i], &w[i], err)) != 0)
			goto fail;
	/* The percent format is the one way to make a header cell: print the
	 * cells and parse them. */
	for (size_t i = 0; i < n; i++)
		print_cell(&b, &w[i]);
	if (nb_parse(b.data ? b.data : "", b.len, "(kernel)", &doc, NULL) == 0 &&
	    doc_matches(doc, w, n))
		goto done;
	/* A source the format cannot carry (a line that looks like a
	 * marker, say): build the cells one by one. */
	nb_doc_free(doc);
	doc = nb_doc_new();
	for (size_t i = 0; i < n; i++)
		if ((rc = append_cell(doc, &w[i], err)) != 0)
			goto fail;
done:
	free(w);
	gl_buf_fini(&b);
	*out = doc;
	return 0;
fail:
	free(w);
	gl_buf_fini(&b);
	nb_doc_free(doc);
	return rc;
}

int
event_doc_append_cells(const msgpack_object *cells, struct nb_doc *doc,
    struct gl_err *err)
{
	struct wcell	 w;
	int		 rc;

	if (cells == NULL || cells->type != MSGPACK_OBJECT_ARRAY)
		return gl_err_set(err, GL_EPROTO, "no cells from the kernel");
	for (uint32_t i = 0; i < cells->via.array.size; i++) {
		if ((rc = read_cell(&cells->via.array.ptr[i], &w, err)) != 0)
			return rc;
		if (w.header)
			return gl_err_set(err, GL_EPROTO, "a header cell after "
			    "the first page");
		if ((rc = append_cell(doc, &w, err)) != 0)
			return rc;
	}
	return 0;
}

/* The request number of an answer (required). */
static int
answer_request(const msgpack_object *args, uint64_t *request,
    struct gl_err *err)
{
	const msgpack_object *r = rpc_map_get(args, "request");

	if (r == NULL || r->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
		return gl_err_set(err, GL_EPROTO, "no request");
	*request = r->via.u64;
	return 0;
}

/* cell.completion {session, request, matches: [{text, kind}], start, end,
 * source, note?} */
static int
decode_completion(const msgpack_object *args, struct event *ev,
    struct gl_err *err)
{
	const msgpack_object *ms = rpc_map_get(args, "matches");
	int64_t		 start = rpc_map_int(args, "start", -1);
	int64_t		 end = rpc_map_int(args, "end", -1);
	int		 rc;

	if ((rc = answer_request(args, &ev->u.completion.request, err)) != 0)
		return rc;
	if (ms == NULL || ms->type != MSGPACK_OBJECT_ARRAY)
		return gl_err_set(err, GL_EPROTO, "no matches array");
	if (start < 0 || end < start)
		return gl_err_set(err, GL_EPROTO, "no start and end");
	ev->u.completion.start = (size_t)start;
	ev->u.completion.end = (size_t)end;
	ev->u.completion.notebook = rpc_obj_streq(rpc_map_get(args, "source"),
	    "notebook");
	ev->message = rpc_map_strdup(args, "note");
	ev->u.completion.text = xcalloc(ms->via.array.size + 1, sizeof(char *));
	ev->u.completion.kind = xcalloc(ms->via.array.size + 1, sizeof(char *));
	for (uint32_t i = 0; i < ms->via.array.size; i++) {
		const msgpack_object *m = &ms->via.array.ptr[i];
		char	*t = rpc_map_strdup(m, "text");

		if (t == NULL || *t == '\0') {
			free(t);
			continue;
		}
		ev->u.completion.text[ev->u.completion.n] = t;
		ev->u.completion.kind[ev->u.completion.n++] =
		    rpc_map_strdup(m, "kind");
	}
	return 0;
}

/* cell.inspection {session, request, found, name?, type?, summary?, doc?,
 * message?, source} */
static int
decode_inspection(const msgpack_object *args, struct event *ev,
    struct gl_err *err)
{
	const msgpack_object *f = rpc_map_get(args, "found");
	int		 rc;

	if ((rc = answer_request(args, &ev->u.inspection.request, err)) != 0)
		return rc;
	if (f == NULL || f->type != MSGPACK_OBJECT_BOOLEAN)
		return gl_err_set(err, GL_EPROTO, "no found");
	ev->u.inspection.found = f->via.boolean;
	ev->u.inspection.name = rpc_map_strdup(args, "name");
	ev->u.inspection.type = rpc_map_strdup(args, "type");
	ev->u.inspection.summary = rpc_map_strdup(args, "summary");
	ev->u.inspection.doc = rpc_map_strdup(args, "doc");
	ev->message = rpc_map_strdup(args, "message");
	return 0;
}

char *
event_warnings(const msgpack_object *result)
{
	const msgpack_object	*warn = rpc_map_get(result, "warnings");
	struct gl_buf		 b;

	if (warn == NULL || warn->type != MSGPACK_OBJECT_ARRAY ||
	    warn->via.array.size == 0)
		return NULL;
	gl_buf_init(&b);
	for (uint32_t i = 0; i < warn->via.array.size; i++) {
		char *w = rpc_obj_strdup(&warn->via.array.ptr[i]);

		gl_buf_addf(&b, "%s%s", b.len > 0 ? "; " : "",
		    w != NULL ? w : "warning");
		free(w);
	}
	return gl_buf_take(&b, NULL);
}

/*
 * app-pair.c - the others in a shared session (docs/pairing.md): who is
 * attached and where their cursors are (tui/pair.c keeps them; the view
 * draws them), our own cursor told to the kernel, our role (a viewer's
 * changes are refused here, before anything is applied locally, so
 * nothing flickers), :follow, what people say, and the box that shows an
 * invite.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "client/client.h"
#include "core/err.h"
#include "core/mem.h"
#include "core/util.h"
#include "core/rpc.h"
#include "tui/app_int.h"
#include "tui/cmd.h"
#include "tui/event.h"
#include "tui/pair.h"
#include "tui/view.h"

/* The others as session.members lists them (a kernel without it: we
 * learn of them as they move). */
static void
members_load(struct app *a)
{
	struct rpc_msg	 resp;
	struct gl_err	 err = { 0 };
	struct event_member *m;
	size_t		 n;

	if (app_call(a, "session.members", cl_pack_session, a->session, &resp,
	    &err) != 0)
		return;
	if (event_members_decode(resp.result, &m, &n, &err) == 0) {
		for (size_t i = 0; i < n; i++) {
			struct pair_peer *q;

			/* We are on the list too: who we are. */
			if (a->pair.self != 0 && m[i].p.client == a->pair.self) {
				if (a->pair.role == PAIR_ROLE_NONE)
					a->pair.role = pair_role_parse(
					    m[i].p.role);
				if (a->pair.name[0] == '\0')
					snprintf(a->pair.name,
					    sizeof a->pair.name, "%s",
					    m[i].p.name);
				continue;
			}
			if ((q = pair_cursor(&a->pair, &m[i].p,
			    m[i].cell)) != NULL &&
			    strncmp(m[i].activity, "running ", 8) == 0)
				snprintf(q->running, sizeof q->running, "%s",
				    m[i].activity + 8);
		}
		free(m);
	}
	rpc_msg_fini(&resp);
}

void
app_pair_opened(struct app *a, const struct event_doc *d)
{
	pair_clear(&a->pair);
	a->pair.self = d->client;
	a->pair.role = pair_role_parse(d->role);
	snprintf(a->pair.name, sizeof a->pair.name, "%s", d->member);
	a->cursor_req = 0;
	a->cursor_sent = false;
	if (a->session != NULL)
		members_load(a);
	if (a->pair.n > 0)
		a->members = (int)a->pair.n + 1;
}

/* Our role changed (the owner's :role): a viewer leaves insert mode. */
static void
self_role(struct app *a, enum pair_role r)
{
	if (r == a->pair.role || r == PAIR_ROLE_NONE)
		return;
	a->pair.role = r;
	pair_log(&a->pair, gl_wall_ms(), "you are now %s %s",
	    r == PAIR_ROLE_EDITOR || r == PAIR_ROLE_OWNER ? "an" : "a",
	    pair_role_name(r));
	if (r == PAIR_ROLE_VIEWER) {
		app_insert_leave(a);
		app_msg(a, true, "you are now a viewer: you can read and "
		    "follow, not edit or run");
	} else
		app_msg(a, false, "you are now %s %s: you can edit and run",
		    r == PAIR_ROLE_OWNER ? "the" : "an", pair_role_name(r));
}

static void
on_role(struct app *a, const struct event_peer *e)
{
	enum pair_role	 r = pair_role_parse(e->role);
	bool		 any = false;

	if ((a->pair.self != 0 && e->client == a->pair.self) ||
	    (e->client == 0 && a->pair.name[0] != '\0' &&
	    strcmp(e->name, a->pair.name) == 0)) {
		self_role(a, r);
		return;
	}
	/* Each connection of the member takes the new role. */
	for (size_t i = 0; i < a->pair.n; i++)
		if ((e->client != 0 && a->pair.peers[i].client == e->client) ||
		    strcmp(a->pair.peers[i].name, e->name) == 0) {
			a->pair.peers[i].role = r;
			any = true;
		}
	if (any || e->client == 0) {
		pair_log(&a->pair, gl_wall_ms(), "%s is now %s %s", e->name,
		    r == PAIR_ROLE_EDITOR || r == PAIR_ROLE_OWNER ? "an" : "a",
		    pair_role_name(r));
		app_msg(a, false, "%s is now %s %s", e->name,
		    r == PAIR_ROLE_EDITOR || r == PAIR_ROLE_OWNER ? "an" : "a",
		    pair_role_name(r));
	}
}

/* The cell someone's cursor is at, kept on screen while we follow. */
static void
follow_to(struct app *a, const struct pair_peer *q)
{
	size_t	 i;

	if (q->cell[0] != '\0' && nb_doc_find(a->doc, q->cell, &i) != NULL &&
	    a->mode == KEYMAP_NORMAL)
		view_set_cursor(a->view, i);
}

void
app_pair_event(struct app *a, struct event *ev)
{
	struct pair_peer *q;
	char		 name[EVENT_NAME_MAX + 1];
	int64_t		 now = gl_wall_ms();

	switch (ev->kind) {
	case EVENT_PEER_JOINED:
		if (ev->u.peer.client == a->pair.self && a->pair.self != 0) {
			self_role(a, pair_role_parse(ev->u.peer.role));
			break;
		}
		if ((q = pair_seen(&a->pair, &ev->u.peer)) == NULL)
			break;
		pair_log(&a->pair, now, "%s joined%s%s%s", q->name,
		    q->role != PAIR_ROLE_NONE ? " (" : "",
		    pair_role_name(q->role),
		    q->role != PAIR_ROLE_NONE ? ")" : "");
		app_msg(a, false, "%s joined%s%s", q->name,
		    q->role != PAIR_ROLE_NONE ? " as " : "",
		    pair_role_name(q->role));
		a->members = (int)a->pair.n + 1;
		/* They see where we are. */
		a->cursor_sent = false;
		break;
	case EVENT_PEER_LEFT:
		if (!pair_left(&a->pair, ev->u.peer.client, name))
			break;
		pair_log(&a->pair, now, "%s left", name);
		if (a->follow == ev->u.peer.client) {
			a->follow = 0;
			app_msg(a, false, "%s left: no longer following", name);
		} else
			app_msg(a, false, "%s left", name);
		a->members = (int)a->pair.n + 1;
		break;
	case EVENT_PEER_CURSOR:
		q = pair_cursor(&a->pair, &ev->u.peer, ev->has_cell ?
		    ev->cell : NULL);
		if (q != NULL && a->follow == q->client)
			follow_to(a, q);
		a->members = (int)a->pair.n + 1;
		break;
	case EVENT_PEER_SAID:
		/* Ours too: the kernel's order is everyone's. */
		pair_log(&a->pair, ev->u.peer.time_ms > 0 ?
		    ev->u.peer.time_ms : now, "%s: %s", ev->u.peer.name[0] ?
		    ev->u.peer.name : "someone", ev->message);
		app_msg(a, false, "%s: %s", ev->u.peer.name[0] ?
		    ev->u.peer.name : "someone", ev->message);
		break;
	case EVENT_PEER_ROLE:
		on_role(a, &ev->u.peer);
		break;
	default:
		break;
	}
}

/* Cell idx's run shows who asked for it when there is someone else. */
static void
run_by(struct app *a, size_t idx, const char *by)
{
	struct pair_peer *q;

	if (by == NULL || *by == '\0' || (a->pair.n == 0 &&
	    (a->pair.name[0] == '\0' || strcmp(by, a->pair.name) == 0))) {
		view_set_run_by(a->view, idx, NULL, -1);
		return;
	}
	q = pair_find_name(&a->pair, by);
	view_set_run_by(a->view, idx, by, q != NULL && (a->pair.name[0] ==
	    '\0' || strcmp(by, a->pair.name) != 0) ? q->color : -1);
}

void
app_pair_run(struct app *a, const char *cell, const char *by, bool started)
{
	size_t	 i;

	if (!started) {
		pair_running(&a->pair, cell, NULL);
		return;
	}
	pair_running(&a->pair, cell, by);
	if (nb_doc_find(a->doc, cell, &i) != NULL)
		run_by(a, i, by);
}

void
app_pair_queued(struct app *a, const char *cell, const char *by)
{
	size_t	 i;

	if (nb_doc_find(a->doc, cell, &i) != NULL)
		run_by(a, i, by);
}

/* ------------------------------------------------------------------ */
/* Our cursor */

static void
pack_cursor(msgpack_packer *pk, void *ctx)
{
	struct app	*a = ctx;

	msgpack_pack_map(pk, 4);
	rpc_pack_kv_str(pk, "session", a->session);
	rpc_pack_kv_str(pk, "cell", a->cursor_cell);
	rpc_pack_kv_int(pk, "offset", (int64_t)a->cursor_off);
	rpc_pack_kv_str(pk, "mode", a->cursor_ins ? "insert" : "normal");
}

void
app_pair_cursor(struct app *a)
{
	struct rpc_writer *w;
	struct rpc_msg	 resp;
	struct gl_err	 err = { 0 };
	const struct nb_cell *c;
	const char	*cell;
	size_t		 off = 0;
	bool		 ins;
	uint32_t	 id;
	int		 rc;

	if (a->lost || a->conn == NULL || a->session == NULL)
		return;
	if (a->cursor_req != 0) {
		rc = cl_wait(a->conn, a->cursor_req, &resp, 0, &err);
		if (rc == GL_ETIMEDOUT || rc == GL_EINTR)
			return;
		a->cursor_req = 0;
		if (rc == 0)
			rpc_msg_fini(&resp);
		else if (rc == GL_ECLOSED) {
			app_conn_lost(a, err.msg);
			return;
		}
	}
	/* Alone, nobody is told; whoever joins is told at once. */
	if (a->pair.n == 0)
		return;
	ins = a->mode == KEYMAP_INSERT || (a->mode == KEYMAP_CMDLINE &&
	    a->cl_return == KEYMAP_INSERT) || a->mode == KEYMAP_MENU;
	if (ins) {
		cell = a->ed.id;
		off = a->ed.cur;
	} else if ((c = nb_doc_count(a->doc) > 0 ? nb_doc_cell(a->doc,
	    view_cursor(a->view) < nb_doc_count(a->doc) ?
	    view_cursor(a->view) : nb_doc_count(a->doc) - 1) : NULL) != NULL)
		cell = nb_cell_id(c);
	else
		return;
	if (a->cursor_sent && a->cursor_ins == ins && a->cursor_off == off &&
	    strcmp(a->cursor_cell, cell) == 0)
		return;
	snprintf(a->cursor_cell, sizeof a->cursor_cell, "%s", cell);
	a->cursor_off = off;
	a->cursor_ins = ins;
	a->cursor_sent = true;
	w = cl_begin(a->conn, "doc.cursor", &id);
	pack_cursor(&w->pk, a);
	if (cl_send(a->conn, &err) != 0) {
		app_conn_lost(a, err.msg);
		return;
	}
	a->cursor_req = id;
}

/* ------------------------------------------------------------------ */

void
app_pair_paint(struct app *a, struct view_status *st)
{
	struct view_peer *vp = NULL;
	size_t		 n = 0, idx;

	if (a->pair.n > 0)
		vp = xcalloc(a->pair.n, sizeof *vp);
	for (size_t i = 0; i < a->pair.n; i++) {
		const struct pair_peer *q = &a->pair.peers[i];

		if (q->cell[0] == '\0' ||
		    nb_doc_find(a->doc, q->cell, &idx) == NULL)
			continue;
		vp[n++] = (struct view_peer){ idx, q->offset, q->insert,
		    q->name, q->color };
	}
	view_set_peers(a->view, vp, n);
	free(vp);
	if (st == NULL)
		return;
	if (a->pair.n > a->npeople_cap) {
		a->npeople_cap = a->pair.n;
		a->people = xrealloc(a->people, a->npeople_cap *
		    sizeof *a->people);
	}
	st->npeople = pair_people(&a->pair, a->people, a->npeople_cap);
	st->people = a->people;
	if (a->pair.n > 0)
		st->members = (int)a->pair.n + 1;
	if (a->pair.role == PAIR_ROLE_VIEWER)
		st->role = "viewer";
}

/* Why a viewer may not do what. */
static void
refusal(struct app *a, const char *what, char *buf, size_t n)
{
	snprintf(buf, n, "%s%sa viewer here: you can read and follow, not %s "
	    "(the owner can make you an editor)",
	    a->pair.name[0] ? a->pair.name : "you",
	    a->pair.name[0] ? " is " : " are ", what);
}

bool
app_pair_may_write(struct app *a, const char *what)
{
	char	 why[256];

	if (a->pair.role != PAIR_ROLE_VIEWER)
		return true;
	refusal(a, what, why, sizeof why);
	app_msg(a, true, "%s", why);
	return false;
}

int
app_pair_guard(struct app *a, const struct cmd_entry *e, struct gl_err *err)
{
	char	 why[256];

	if (e->flags & CMD_F_MOVE)
		app_pair_unfollow(a, true);
	if (!(e->flags & CMD_F_WRITE) || a->pair.role != PAIR_ROLE_VIEWER)
		return 0;
	refusal(a, strncmp(e->name, "run", 3) == 0 ||
	    strcmp(e->name, "interrupt") == 0 ||
	    strcmp(e->name, "cancel") == 0 ||
	    strcmp(e->name, "restart") == 0 ? "run cells" :
	    strcmp(e->name, "scale") == 0 ? "scale the cluster" : "edit",
	    why, sizeof why);
	return gl_err_set(err, GL_EPERM, "%s", why);
}

void
app_pair_unfollow(struct app *a, bool say)
{
	struct pair_peer *q;

	if (a->follow == 0)
		return;
	q = pair_find(&a->pair, a->follow);
	if (say)
		app_msg(a, false, "stopped following %s (you moved)",
		    q != NULL ? q->name : "them");
	a->follow = 0;
}

/* ------------------------------------------------------------------ */
/* The box */

bool
app_pair_box(struct app *a, struct view_popup *p)
{
	memset(p, 0, sizeof *p);
	if (a->box == NULL)
		return false;
	p->lines = (const char *const *)a->box;
	p->n = a->nbox;
	p->sel = -1;
	p->row = 0;
	p->col = 1;
	p->bottom = 2;
	return true;
}

void
app_pair_box_close(struct app *a)
{
	for (size_t i = 0; i < a->nbox; i++)
		free(a->box[i]);
	free(a->box);
	a->box = NULL;
	a->nbox = 0;
}

void
app_pair_fini(struct app *a)
{
	app_pair_box_close(a);
	free(a->people);
	pair_fini(&a->pair);
}

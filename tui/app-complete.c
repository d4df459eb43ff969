/*
 * app-complete.c - completion and inspection as the TUI asks for them:
 * cell.complete and cell.inspect sent without waiting (the kernel
 * replies with a number and answers by a notification), the answer
 * applied when it comes if the editor is still where it was, the
 * completion menu and the inspection's box. The keys are
 * tui/cmd-complete.c's.
 *
 * A question is never waited for: the loop takes its reply when it is
 * there (as the cluster view's cluster.status) and gives up after
 * COMPLETE_MS, saying so. An answer for a cell, cursor or text that has
 * changed since is dropped: the user typed on.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/client.h"
#include "core/err.h"
#include "core/mem.h"
#include "core/notebook.h"
#include "core/ot.h"
#include "core/rpc.h"
#include "tui/app_int.h"
#include "tui/editor.h"
#include "tui/event.h"
#include "tui/sync.h"
#include "tui/view.h"

#define COMPLETE_MS	3000	/* an answer, at most */
#define MENU_ROWS	8
#define INFO_LINES	14

static void	 menu_free(struct app *a);
static void	 info_free(struct app *a);

void
app_complete_ask(struct app *a, bool inspect, const char *code, size_t len,
    size_t cursor)
{
	struct rpc_writer *w;
	struct gl_err	 err = { 0 };
	uint32_t	 id;

	app_complete_close(a);
	free(a->comp.before);
	a->comp.before = NULL;
	if (a->lost || a->conn == NULL) {
		app_msg(a, true, "no kernel to ask (reconnecting)");
		return;
	}
	w = cl_begin(a->conn, inspect ? "cell.inspect" : "cell.complete", &id);
	msgpack_pack_map(&w->pk, 3);
	rpc_pack_kv_str(&w->pk, "session", a->session);
	rpc_pack_key(&w->pk, "code");
	rpc_pack_strn(&w->pk, code, len);
	rpc_pack_kv_int(&w->pk, "cursor", (int64_t)cursor);
	if (cl_send(a->conn, &err) != 0) {
		app_conn_lost(a, err.msg);
		return;
	}
	a->comp.req = id;
	a->comp.request = 0;
	a->comp.inspect = inspect;
	a->comp.cursor = cursor;
	a->comp.deadline = a->now + COMPLETE_MS;
	a->comp.cell[0] = '\0';
	if (a->mode == KEYMAP_INSERT) {
		snprintf(a->comp.cell, sizeof a->comp.cell, "%s", a->ed.id);
		a->comp.before = xstrndup(code, cursor);
	}
}

void
app_complete_take(struct app *a)
{
	struct rpc_msg	 resp;
	struct gl_err	 err = { 0 };
	int		 rc;

	if (a->comp.req == 0 || a->lost || a->conn == NULL)
		return;
	if (a->comp.request == 0) {
		rc = cl_wait(a->conn, a->comp.req, &resp, 0, &err);
		if (rc == 0) {
			a->comp.request = (uint64_t)rpc_map_int(resp.result,
			    "request", 0);
			rpc_msg_fini(&resp);
		} else if (rc == GL_ECLOSED) {
			app_conn_lost(a, err.msg);
			return;
		} else if (rc != GL_ETIMEDOUT && rc != GL_EINTR) {
			a->comp.req = 0;
			app_msg(a, true, "%s: %s", a->comp.inspect ? "inspect" :
			    "complete", app_no_method(rc, &err) ? "this kernel "
			    "cannot" : err.msg);
			return;
		}
	}
	if (a->comp.req != 0 && a->now >= a->comp.deadline) {
		a->comp.req = 0;
		app_msg(a, true, "%s: no answer from the kernel in %d s",
		    a->comp.inspect ? "inspect" : "complete", COMPLETE_MS / 1000);
	}
}

int64_t
app_complete_at(const struct app *a)
{
	return a->comp.req != 0 ? a->comp.deadline : INT64_MAX;
}

/* Whether the editor is still where the question was asked. */
static bool
still_there(struct app *a, const char **src, size_t *len)
{
	struct nb_cell	*c;
	size_t		 bl;

	if (a->comp.cell[0] == '\0')
		return a->mode != KEYMAP_INSERT;
	if (a->mode != KEYMAP_INSERT || strcmp(a->ed.id, a->comp.cell) != 0 ||
	    a->ed.cur != a->comp.cursor || a->ed.sel ||
	    (c = nb_doc_find(a->doc, a->comp.cell, NULL)) == NULL)
		return false;
	*src = nb_cell_source(c, len);
	bl = strlen(a->comp.before);
	return *len >= bl && bl == a->comp.cursor &&
	    memcmp(*src, a->comp.before, bl) == 0;
}

/* Replaces the editor's cell's bytes [start, cursor) with text, as
 * typing. */
static void
replace_word(struct app *a, size_t start, const char *text)
{
	struct nb_cell	*c = nb_doc_find(a->doc, a->ed.id, NULL);
	size_t		 len, cur = a->ed.cur, tl = strlen(text);
	struct ot_op	 op;

	if (c == NULL)
		return;
	nb_cell_source(c, &len);
	if (start > cur || cur > len)
		return;
	if (cur - start == tl && memcmp(nb_cell_source(c, &len) + start, text,
	    tl) == 0)
		return;
	sync_text_op(&op, a->ed.id, len, start, cur - start, text, tl);
	if (app_change(a, &op, SYNC_G_TYPE, cur) == 0) {
		a->ed.cur = a->ed.anchor = start + tl;
		a->ed.sel = false;
		a->ed.goal = -1;
	}
}

/* The longest start every item shares. */
static size_t
common_prefix(char **v, size_t n)
{
	size_t	 k = strlen(v[0]);

	for (size_t i = 1; i < n; i++) {
		size_t	 j = 0;

		while (j < k && v[i][j] == v[0][j])
			j++;
		k = j;
	}
	return k;
}

static void
on_completion(struct app *a, struct event *ev)
{
	const char	*src;
	size_t		 len, start = ev->u.completion.start;
	size_t		 n = ev->u.completion.n, pre;
	char		*p;

	if (!still_there(a, &src, &len) || start > a->ed.cur ||
	    ev->u.completion.end != a->ed.cur)
		return;
	if (n == 0) {
		app_msg(a, false, "no completion%s%s%s", ev->message ? " (" :
		    "", ev->message ? ev->message : "", ev->message ? ")" : "");
		return;
	}
	if (n == 1) {
		replace_word(a, start, ev->u.completion.text[0]);
		return;
	}
	/* What they all share goes in; the menu offers the rest. */
	pre = common_prefix(ev->u.completion.text, n);
	if (pre > a->ed.cur - start) {
		p = xstrndup(ev->u.completion.text[0], pre);
		replace_word(a, start, p);
		free(p);
	}
	a->comp.items = ev->u.completion.text;
	a->comp.kinds = ev->u.completion.kind;
	a->comp.n = n;
	ev->u.completion.text = NULL;
	ev->u.completion.kind = NULL;
	ev->u.completion.n = 0;
	a->comp.sel = -1;
	a->comp.start = start;
	if (ev->message != NULL)
		app_msg(a, false, "%s", ev->message);
}

/* Splits text into the box's lines (at most INFO_LINES). */
static void
info_add(struct app *a, const char *text)
{
	while (text != NULL && *text != '\0' && a->comp.ninfo < INFO_LINES) {
		size_t	 n = strcspn(text, "\n");

		a->comp.info = xrealloc(a->comp.info, (a->comp.ninfo + 1) *
		    sizeof *a->comp.info);
		a->comp.info[a->comp.ninfo++] = xstrndup(text, n);
		text += n + (text[n] == '\n');
	}
}

static void
on_inspection(struct app *a, struct event *ev)
{
	const char	*src;
	size_t		 len;
	char		*head;

	if (!still_there(a, &src, &len))
		return;
	if (!ev->u.inspection.found) {
		app_msg(a, false, "%s%s%s", ev->u.inspection.name ?
		    ev->u.inspection.name : "", ev->u.inspection.name ? ": " :
		    "", ev->message ? ev->message : "nothing found");
		return;
	}
	head = xasprintf("%s: %s", ev->u.inspection.name ?
	    ev->u.inspection.name : "?", ev->u.inspection.summary ?
	    ev->u.inspection.summary : ev->u.inspection.type ?
	    ev->u.inspection.type : "?");
	info_add(a, head);
	free(head);
	info_add(a, ev->u.inspection.doc);
}

void
app_complete_event(struct app *a, struct event *ev)
{
	uint64_t	 request = ev->kind == EVENT_COMPLETION ?
			    ev->u.completion.request :
			    ev->u.inspection.request;

	/* The reply to the request comes first: take it if the loop has
	 * not yet. */
	if (a->comp.req != 0 && a->comp.request == 0)
		app_complete_take(a);
	if (a->comp.req == 0 || request != a->comp.request ||
	    (ev->kind == EVENT_INSPECTION) != a->comp.inspect)
		return;
	a->comp.req = 0;
	if (ev->kind == EVENT_COMPLETION)
		on_completion(a, ev);
	else
		on_inspection(a, ev);
	free(a->comp.before);
	a->comp.before = NULL;
}

bool
app_complete_popup(struct app *a, int row, int col, struct view_popup *p)
{
	memset(p, 0, sizeof *p);
	p->bottom = 2;
	p->row = row;
	if (a->comp.n > 0 && a->mode == KEYMAP_INSERT) {
		int	 w = a->ed.cur > a->comp.start ? view_text_cols(
			    a->comp.items[0], a->ed.cur - a->comp.start, 0, 8) :
			    0;

		p->lines = (const char *const *)a->comp.items;
		p->notes = (const char *const *)a->comp.kinds;
		p->n = a->comp.n;
		p->sel = a->comp.sel;
		/* Under the word being completed. */
		p->col = col > w ? col - w - 1 : 0;
		p->max_rows = MENU_ROWS;
		return true;
	}
	if (a->comp.ninfo > 0) {
		p->lines = (const char *const *)a->comp.info;
		p->n = a->comp.ninfo;
		p->sel = -1;
		p->col = col > 1 ? col - 1 : 0;
		p->max_rows = INFO_LINES;
		return true;
	}
	return false;
}

void
app_complete_accept(struct app *a)
{
	if (a->comp.n > 0 && a->comp.sel >= 0 && a->mode == KEYMAP_INSERT)
		replace_word(a, a->comp.start, a->comp.items[a->comp.sel]);
	menu_free(a);
}

static void
menu_free(struct app *a)
{
	for (size_t i = 0; i < a->comp.n; i++) {
		free(a->comp.items[i]);
		free(a->comp.kinds[i]);
	}
	free(a->comp.items);
	free(a->comp.kinds);
	a->comp.items = a->comp.kinds = NULL;
	a->comp.n = 0;
}

static void
info_free(struct app *a)
{
	for (size_t i = 0; i < a->comp.ninfo; i++)
		free(a->comp.info[i]);
	free(a->comp.info);
	a->comp.info = NULL;
	a->comp.ninfo = 0;
}

void
app_complete_close(struct app *a)
{
	menu_free(a);
	info_free(a);
}

void
app_complete_fini(struct app *a)
{
	app_complete_close(a);
	free(a->comp.before);
	a->comp.before = NULL;
	a->comp.req = 0;
}

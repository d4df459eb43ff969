/*
 * app-cluster.c - the requests behind the cluster view: cluster.status
 * once a second while the view is shown (sent without waiting, its answer
 * taken when it comes), read by tui/cluview.c into what the view paints.
 */
#include <stdint.h>
#include <stdio.h>

#include "client/client.h"
#include "core/err.h"
#include "core/rpc.h"
#include "tui/app_int.h"
#include "tui/cluview.h"
#include "tui/keymap.h"

#define CLUSTER_MS	1000	/* cluster.status while the view is shown */
#define CLUSTER_FIRST_MS 300	/* the second answer, for CPU % */

bool
app_cluster_shown(const struct app *a)
{
	return a->mode == KEYMAP_CLUSTER || (a->mode == KEYMAP_CMDLINE &&
	    a->cl_return == KEYMAP_CLUSTER);
}

/* Takes a cluster.status answer: the new state, or why there is none. */
void
app_cluster_answer(struct app *a, int rc, struct rpc_msg *resp,
    const struct gl_err *err)
{
	struct view_cluster next;
	struct gl_err	 perr = { 0 };
	bool		 first = !a->clu_have;

	if (rc == 0) {
		if (view_cluster_parse(resp->result, a->clu_have ? &a->clu :
		    NULL, a->now, &next, &perr) == 0) {
			view_cluster_fini(&a->clu);
			a->clu = next;
			a->clu_have = true;
			a->clu_note[0] = '\0';
			/* A second answer soon, so CPU % shows early. */
			if (first)
				a->clu_next = a->now + CLUSTER_FIRST_MS;
		} else {
			view_cluster_fini(&next);
			snprintf(a->clu_note, sizeof a->clu_note, "%s",
			    perr.msg);
		}
		return;
	}
	if (app_no_method(rc, err) || rc == GL_EUNSUPPORTED) {
		/* An older kernel, or one built without the cluster: say so
		 * and stop asking. */
		a->clu_nosvc = true;
		view_cluster_fini(&a->clu);
		a->clu_have = false;
		snprintf(a->clu_note, sizeof a->clu_note, "This kernel has no "
		    "cluster service (it answered \"%.400s\"), so there are no "
		    "workers to show.", err->msg);
		return;
	}
	snprintf(a->clu_note, sizeof a->clu_note, "cluster.status failed: "
	    "%.450s", err->msg);
}

/* Takes the answer to the cluster.status in flight if it came (also after
 * the view closed, so that it does not stay queued). */
void
app_cluster_take(struct app *a)
{
	struct rpc_msg	 resp;
	struct gl_err	 err = { 0 };
	int		 rc;

	if (a->clu_req == 0 || a->lost || a->conn == NULL)
		return;
	rc = cl_wait(a->conn, a->clu_req, &resp, 0, &err);
	if (rc == GL_ETIMEDOUT || rc == GL_EINTR)
		return;
	a->clu_req = 0;
	if (rc == GL_ECLOSED) {
		app_conn_lost(a, err.msg);
		return;
	}
	app_cluster_answer(a, rc, &resp, &err);
	if (rc == 0)
		rpc_msg_fini(&resp);
}

/* Asks for cluster.status once a second while the view is shown, one
 * request at a time, without waiting for the answer. */
void
app_cluster_poll(struct app *a)
{
	struct rpc_writer *w;
	struct gl_err	 err = { 0 };
	uint32_t	 id;

	if (!app_cluster_shown(a) || a->clu_nosvc || a->clu_req != 0 ||
	    a->lost || a->conn == NULL || a->now < a->clu_next)
		return;
	w = cl_begin(a->conn, "cluster.status", &id);
	msgpack_pack_map(&w->pk, 0);
	if (cl_send(a->conn, &err) != 0) {
		app_conn_lost(a, err.msg);
		return;
	}
	a->clu_req = id;
	a->clu_next = a->now + CLUSTER_MS;
}

void
app_cluster_open(struct app *a)
{
	if (a->mode == KEYMAP_CLUSTER)
		return;
	a->clu_return = a->mode == KEYMAP_CMDLINE ? a->cl_return :
	    a->mode == KEYMAP_PAGER ? a->pager_return : a->mode;
	if (a->clu_return == KEYMAP_CLUSTER)
		a->clu_return = KEYMAP_NORMAL;
	a->mode = KEYMAP_CLUSTER;
	/* Fresh figures each time (a kernel may have been replaced). */
	view_cluster_fini(&a->clu);
	a->clu_have = false;
	a->clu_nosvc = false;
	a->clu_note[0] = '\0';
	a->clu_next = 0;
	a->clu_scroll = 0;
	a->msg[0] = '\0';
	keymap_reset(a->km);
}


int64_t
app_cluster_at(const struct app *a)
{
	if (!app_cluster_shown(a) || a->clu_nosvc || a->clu_req != 0)
		return INT64_MAX;
	return a->clu_next;
}

/*
 * cmd-cluster.c - the commands of the cluster view: opening it (cluster),
 * asking for more or fewer workers (scale), and, in the view, scrolling
 * the worker list, asking for its state now and closing it (cv-*). The
 * requests behind the view are tui/app-cluster.c's.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/rpc.h"
#include "tui/app_int.h"
#include "tui/cluview.h"
#include "tui/cmd.h"
#include "tui/cmd_int.h"

static void
pack_empty(msgpack_packer *pk, void *ctx)
{
	(void)ctx;
	msgpack_pack_map(pk, 0);
}

/* What :scale asks for: n workers (-1: on demand, "auto"), or a cap
 * (max >= 0). */
struct scale_ask {
	int64_t		 n;
	int64_t		 max;
};

static void
pack_scale(msgpack_packer *pk, void *ctx)
{
	const struct scale_ask *s = ctx;

	msgpack_pack_map(pk, 1);
	if (s->max >= 0)
		rpc_pack_kv_int(pk, "max", s->max);
	else if (s->n < 0)
		rpc_pack_kv_bool(pk, "auto", true);
	else
		rpc_pack_kv_int(pk, "n", s->n);
}

/* The message for a failed cluster request. */
static int
scale_failed(int rc, struct gl_err *err)
{
	if (app_no_method(rc, err))
		return gl_err_set(err, rc, "scale: this kernel has no cluster "
		    "service");
	return gl_err_prefix(err, "scale");
}

int
cmd_cluster_open(struct app *a, const struct cmd_entry *self,
    const char *arg, struct gl_err *err)
{
	app_cluster_open(a);
	return 0;
}

/* scale N, +N, -N, auto, max N. A relative count starts from the
 * workers up and starting in the last cluster.status (asked for now if
 * there is none). */
int
cmd_cluster_scale(struct app *a, const struct cmd_entry *self,
    const char *arg, struct gl_err *err)
{
	struct rpc_msg	 resp;
	struct scale_ask ask = { -1, -1 };
	char		*end;
	long		 k;
	int64_t		 n;
	int		 rc;
	bool		 rel = arg != NULL && (*arg == '+' || *arg == '-');

	if (arg != NULL && strcmp(arg, "auto") == 0) {
		if ((rc = app_call(a, "cluster.scale", pack_scale, &ask, &resp,
		    err)) != 0)
			return scale_failed(rc, err);
		rpc_msg_fini(&resp);
		app_msg(a, false, "workers on demand again (idle ones stop "
		    "after the idle timeout)");
		a->clu_next = 0;
		return 0;
	}
	if (arg != NULL && strncmp(arg, "max ", 4) == 0) {
		k = strtol(arg + 4, &end, 10);
		if (*end != '\0' || end == arg + 4 || k < 0 || k > 100000)
			return gl_err_set(err, GL_EINVAL, "scale: max N (0: "
			    "the configuration's)");
		ask.max = k;
		if ((rc = app_call(a, "cluster.scale", pack_scale, &ask, &resp,
		    err)) != 0)
			return scale_failed(rc, err);
		app_msg(a, false, "work may start %" PRId64 " worker%s at most",
		    rpc_map_int(resp.result, "max", k),
		    rpc_map_int(resp.result, "max", k) == 1 ? "" : "s");
		rpc_msg_fini(&resp);
		a->clu_next = 0;
		return 0;
	}
	if (arg == NULL || (k = strtol(arg, &end, 10), *end != '\0') ||
	    end == arg || (!rel && k < 0) || k > 100000 || k < -100000)
		return gl_err_set(err, GL_EINVAL, "scale: a number of workers "
		    "(4), +N / -N, auto, or max N");
	n = k;
	if (rel) {
		if (!a->clu_have || !app_cluster_shown(a)) {
			if ((rc = app_call(a, "cluster.status", pack_empty,
			    NULL, &resp, err)) != 0)
				return scale_failed(rc, err);
			a->now = gl_now_ms();
			app_cluster_answer(a, 0, &resp, err);
			rpc_msg_fini(&resp);
			if (!a->clu_have)
				return gl_err_set(err, GL_EPROTO, "scale: %s",
				    a->clu_note);
		}
		n = (int64_t)view_cluster_count(&a->clu) + k;
		if (n < 0)
			n = 0;
	}
	ask.n = n;
	if ((rc = app_call(a, "cluster.scale", pack_scale, &ask, &resp,
	    err)) != 0)
		return scale_failed(rc, err);
	rpc_msg_fini(&resp);
	if (n == 0)
		app_msg(a, false, "scaled to 0: no worker starts until :scale "
		    "N or :scale auto");
	else
		app_msg(a, false, "the cluster keeps %" PRId64 " worker%s "
		    "(work may use more; :scale auto gives them back)", n,
		    n == 1 ? "" : "s");
	a->clu_next = 0;	/* show the change soon */
	return 0;
}

int
cmd_cluster_down(struct app *a, const struct cmd_entry *self,
    const char *arg, struct gl_err *err)
{
	a->clu_scroll += cmd_arg_count(arg);
	return 0;
}

int
cmd_cluster_up(struct app *a, const struct cmd_entry *self, const char *arg,
    struct gl_err *err)
{
	a->clu_scroll -= cmd_arg_count(arg);
	return 0;
}

int
cmd_cluster_refresh(struct app *a, const struct cmd_entry *self,
    const char *arg, struct gl_err *err)
{
	a->clu_nosvc = false;
	a->clu_next = 0;
	return 0;
}

int
cmd_cluster_close(struct app *a, const struct cmd_entry *self,
    const char *arg, struct gl_err *err)
{
	a->mode = a->clu_return;
	return 0;
}

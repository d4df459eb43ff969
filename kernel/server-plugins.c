/*
 * server-plugins.c - the server's part of the plugins (kernel/hooks.h):
 * the plugins.list method, and the before_run hook of a runtime's
 * cluster work (a cluster.map's size is known only when it is asked for,
 * so a policy on it runs here, between the session that forwards the
 * runtime's request and the cluster service that would take it).
 */
#include "kernel/server_int.h"

#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/mem.h"
#include "core/rpc.h"
#include "kernel/hooks.h"
#include "kernel/req.h"
#include "kernel/session.h"

/* plugins.list {project?}: the kernel-side plugins of that project. */
int
srv_rpc_plugins_list(struct client *c, struct req *r, struct gl_err *err)
{
	char		*project = rpc_map_strdup(r->args, "project");
	msgpack_packer	*pk;

	(void)err;
	if (project != NULL && project[0] != '/') {
		free(project);
		return gl_err_set(err, GL_EINVAL, "plugins.list: project must "
		    "be an absolute directory");
	}
	pk = req_reply_begin(r);
	hooks_pack_list(c->srv->hooks, project, pk);
	req_reply_end(r);
	free(project);
	return 0;
}

bool
srv_hook_cluster(struct srv *s, struct sess *sess, uint64_t run,
    const struct rpc_msg *m)
{
	struct plg_result	 res = { 0 };
	const msgpack_object	*items;
	const char		*what;
	char			*project;
	int64_t			 n = 1;
	bool			 refused;

	if (strcmp(m->method, "cluster.map") == 0) {
		what = "map";
		items = rpc_map_get(m->args, "items");
		n = rpc_map_int(m->args, "total", items != NULL &&
		    items->type == MSGPACK_OBJECT_ARRAY ?
		    (int64_t)items->via.array.size : 0);
	} else if (strcmp(m->method, "cluster.submit") == 0)
		what = "submit";
	else
		return false;
	project = sess_project_dir(sess);
	if (!plg_hook_wanted(hooks_host(s->hooks, project, false),
	    PLG_BEFORE_RUN)) {
		free(project);
		return false;
	}
	{
		struct plg_val	 ev[] = {
			PLG_STR("what", what),
			PLG_INT("items", n),
			PLG_STR("session", sess_id(sess)),
			PLG_STR("notebook", sess_notebook(sess)),
			PLG_STR("cell", sess_run_cell(sess, run)),
			PLG_STR("user", sess_run_user(sess, run) != NULL ?
			    sess_run_user(sess, run) : req_kernel_user()),
		};

		hooks_run(s->hooks, project, PLG_BEFORE_RUN, ev,
		    sizeof ev / sizeof ev[0], &res);
	}
	free(project);
	for (size_t i = 0; i < res.nwarnings; i++)
		sess_run_note(sess, run, res.warnings[i]);
	if ((refused = res.refused)) {
		struct rpc_writer w;

		rpc_writer_init(&w);
		rpc_write_error(&w, m->id, GL_EPERM, res.message);
		(void)sess_runtime_send(sess, sess_runtime_gen(sess),
		    w.sbuf.data, w.sbuf.size);
		rpc_writer_fini(&w);
	}
	plg_result_fini(&res);
	return refused;
}

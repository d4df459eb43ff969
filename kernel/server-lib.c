/*
 * server-lib.c - the server's part of the library registry (kernel/lib.h):
 * a runtime's lib.load (require of a registry module in a cell), the
 * lib.who_uses method, the modules a job's tasks get on a worker, and the
 * libs database's place ($XDG_STATE_HOME/galley/libs.db, beside the usage
 * database: load records outlive reboots).
 */
#include "kernel/server_int.h"

#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/mem.h"
#include "core/paths.h"
#include "core/rpc.h"
#include "kernel/lib.h"
#include "kernel/log.h"
#include "kernel/req.h"
#include "kernel/session.h"

void
srv_lib_open(struct srv *s)
{
	const char	*env;
	char		*state, *path;
	struct gl_err	 err;

	if ((env = getenv("XDG_STATE_HOME")) != NULL && *env == '/')
		state = xasprintf("%s/galley", env);
	else if ((env = getenv("HOME")) != NULL && *env == '/')
		state = xasprintf("%s/.local/state/galley", env);
	else
		state = xstrdup(s->dir);
	path = gl_path_join(state, "libs.db");
	gl_err_clear(&err);
	if (lib_new(path, &s->lib, &err) != 0)
		log_info("lib: %s (library loads are not recorded)", err.msg);
	free(path);
	free(state);
}

bool
srv_lib_request(struct srv *s, struct sess *sess, uint64_t run,
    struct rpc_msg *m)
{
	struct rpc_writer w;
	struct lib_from	 f;
	struct gl_err	 err;
	char		*name, *project, *warning = NULL;
	int		 rc;

	if (strcmp(m->method, "lib.load") != 0)
		return false;
	rpc_writer_init(&w);
	name = rpc_map_strdup(m->args, "name");
	project = sess_project_dir(sess);
	memset(&f, 0, sizeof f);
	f.session = sess_id(sess);
	f.notebook = sess_notebook(sess);
	f.project = project;
	f.header = sess_header(sess, &f.header_len);
	/* The member who started the run that loads it. */
	f.user = sess_run_user(sess, run) != NULL ? sess_run_user(sess, run) :
	    req_kernel_user();
	gl_err_clear(&err);
	if (name == NULL)
		rc = gl_err_set(&err, GL_EINVAL, "lib.load: wants {name}");
	else if (s->lib == NULL)
		rc = gl_err_set(&err, GL_EIO, "the kernel's libs database "
		    "could not be opened (kernel.log says why)");
	else {
		rpc_begin_response(&w, m->id);
		rc = lib_load(s->lib, &f, name, &w.pk, &warning, &err);
	}
	if (rc != 0) {
		rpc_writer_reset(&w);
		rpc_write_error(&w, m->id, rc, err.msg);
	}
	if (warning != NULL)
		sess_run_note(sess, run, warning);
	(void)sess_runtime_send(sess, sess_runtime_gen(sess), w.sbuf.data,
	    w.sbuf.size);
	rpc_writer_fini(&w);
	free(warning);
	free(project);
	free(name);
	return true;
}

/* lib.who_uses {module, below?} */
int
srv_rpc_lib_who_uses(struct client *c, struct req *r, struct gl_err *err)
{
	struct srv	*s = c->srv;
	char		*module = rpc_map_strdup(r->args, "module");
	char		*below = rpc_map_strdup(r->args, "below");
	struct rpc_writer w;
	msgpack_packer	*pk;
	int		 rc;

	if (module == NULL)
		rc = gl_err_set(err, GL_EINVAL, "lib.who_uses: wants {module, "
		    "below?}");
	else if (s->lib == NULL)
		rc = gl_err_set(err, GL_EIO, "the kernel's libs database "
		    "could not be opened (kernel.log says why)");
	else {
		/* Packed aside first: a failure part way replies an error. */
		rpc_writer_init(&w);
		if ((rc = lib_who_uses(s->lib, module, below, &w.pk,
		    err)) == 0) {
			pk = req_reply_begin(r);
			pk->callback(pk->data, w.sbuf.data, w.sbuf.size);
			req_reply_end(r);
		}
		rpc_writer_fini(&w);
	}
	free(module);
	free(below);
	return rc;
}

void
srv_lib_pack_job(void *ctx, struct sess *sess, const char *host,
    const char *user, msgpack_packer *pk)
{
	struct srv	*s = ctx;

	if (s->lib == NULL || sess == NULL) {
		msgpack_pack_nil(pk);
		return;
	}
	lib_pack_session(s->lib, sess_id(sess), user != NULL ? user :
	    req_kernel_user(), sess_notebook(sess), host, pk);
}

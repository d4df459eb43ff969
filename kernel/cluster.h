/*
 * cluster.h - the kernel's cluster service (DESIGN section 9): the
 * listener workers connect to (authenticated with the cluster secret,
 * `cluster.secret` in the runtime directory), the scheduler
 * (kernel/sched.h) driven by worker messages and a timer, the launcher
 * that starts and stops workers, the runtimes' cluster.* requests
 * (cluster.map, cluster.submit, ...), progress for clients, usage
 * records and limits (the kernel's usage database), and the client
 * methods cluster.status, cluster.scale and usage.report.
 *
 * One per kernel, made and owned by kernel/server.c, which forwards the
 * sessions' requests to it and gives it a struct clu_host to report
 * through: results and cluster.done go to a session's runtime, progress
 * and task outputs to a session's clients, all by way of the host. The
 * client methods below are called from the method table
 * (kernel/server-client.c). The service never sees the server's or the
 * sessions' structures (a session is an opaque pointer here). Runs on the
 * kernel's libuv loop; never runs Lua (worker functions travel as bytes,
 * decoded only on workers). docs/protocol.md has the wire ("Workers",
 * "The runtime pipe", "cluster.*"), docs/cluster.md the user's view.
 */
#ifndef GL_CLUSTER_H
#define GL_CLUSTER_H

#include <msgpack.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

struct clu;
struct gl_err;
struct req;
struct rpc_msg;
struct sess;		/* the host's session: opaque here */

/* What the service needs from its owner. Callbacks get ctx first. */
struct clu_host {
	void		*ctx;
	uv_loop_t	*loop;		/* borrowed: the kernel's loop */
	const char	*dir;		/* the runtime directory: where
					 * cluster.secret is */
	const char	*exe;		/* galley binary for local workers;
					 * NULL = /proc/self/exe */
	unsigned	 auth_ms;	/* a worker must authenticate within
					 * this (ms) */
	unsigned	 pending_max;	/* connections that may wait to
					 * authenticate at once */
	/* Sends whole messages to the runtime of s if it is still runtime
	 * number gen; GL_ECLOSED (nothing sent) otherwise. */
	int	(*runtime_send)(void *ctx, struct sess *s, uint64_t gen,
		    const void *p, size_t n);
	/* Sends a notification (whole messages) to the clients of s. */
	void	(*notify)(void *ctx, struct sess *s, const void *p, size_t n);
	/* An output of run of s (a map as in cell.output): a task's print,
	 * the progress of a job. */
	void	(*run_output)(void *ctx, struct sess *s, uint64_t run,
		    const msgpack_object *output);
	/* The project directory of s (where .galley/ is), or NULL; the
	 * caller frees. */
	char	*(*project_dir)(void *ctx, struct sess *s);
	/* Packs the registry modules s loaded (a map, or nil), which go to
	 * a worker on host with a job's first tasks (docs/registry.md);
	 * their loads there are user's. */
	void	(*pack_libs)(void *ctx, struct sess *s, const char *host,
		    const char *user, msgpack_packer *pk);
	/* Whether cluster work is outstanding changed (clu_busy()). */
	void	(*on_activity)(void *ctx);
};

/* Who asks for cluster work: a session's runtime. Borrowed for the call. */
struct clu_from {
	struct sess	*sess;		/* until clu_session_reset() for it */
	const char	*session;	/* its id, "s1" */
	const char	*notebook;	/* its path, or NULL */
	const char	*cell;		/* the cell running, or NULL */
	uint64_t	 run;		/* the running run, or 0 */
	uint64_t	 gen;		/* its runtime's generation */
	const char	*user;		/* the member who started the run: its
					 * usage and limits; NULL: the
					 * kernel's user */
};

/* The service for host (copied): creates (or reads) the cluster secret
 * and listens for workers (cluster.listen, default 127.0.0.1:0). NULL
 * with err. */
struct clu *clu_new(const struct clu_host *host, struct gl_err *err);
/* Stops every worker, cancels the work, closes the listener; c frees
 * itself once its handles are closed (the loop keeps running until
 * then). No host callback after this returns. */
void	 clu_close(struct clu *c);
/* True while cluster work is outstanding (tasks queued or running, jobs
 * not done): the kernel does not exit idle then. */
bool	 clu_busy(const struct clu *c);
/* "HOST:PORT" of the worker listener; borrowed. */
const char *clu_addr(const struct clu *c);

/* A request from a session's runtime (cluster.map, cluster.add,
 * cluster.submit, cluster.cancel, cluster.workers, cluster.scale).
 * Answers it on the runtime pipe; may keep m (see
 * rth_cbs.on_request). */
void	 clu_runtime_request(struct clu *c, const struct clu_from *from,
	     struct rpc_msg *m);
/* Run `run` of s ended: its futures' job takes no more tasks (those it
 * has still run and their results still reach the runtime). */
void	 clu_run_done(struct clu *c, struct sess *s, uint64_t run);
/* s's runtime died or restarted, or s is closing: its cluster work is
 * cancelled and nothing more is sent for it. */
void	 clu_session_reset(struct clu *c, struct sess *s);

/* Client methods (docs/protocol.md). */
int	 clu_rpc_status(struct clu *c, struct req *r, struct gl_err *err);
int	 clu_rpc_scale(struct clu *c, struct req *r, struct gl_err *err);
int	 clu_rpc_usage(struct clu *c, struct req *r, struct gl_err *err);

#endif

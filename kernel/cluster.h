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
 * One per kernel, made by kernel/server.c; runs on the kernel's libuv
 * loop; never runs Lua (worker functions travel as bytes, decoded only on
 * workers). docs/protocol.md has the wire ("Workers", "The runtime
 * pipe", "cluster.*"), docs/cluster.md the user's view.
 */
#ifndef GL_CLUSTER_H
#define GL_CLUSTER_H

#include <stdbool.h>
#include <stdint.h>

struct clu;
struct gl_err;
struct rpc_msg;
struct sess;
struct srv;
struct srv_req;

/* The service for srv: creates (or reads) the cluster secret and listens
 * for workers (cluster.listen, default 127.0.0.1:0). NULL with err. */
struct clu *clu_new(struct srv *srv, struct gl_err *err);
/* Stops every worker, cancels the work, closes the listener; c frees
 * itself once its handles are closed (the loop keeps running until
 * then). No callback into sessions after this returns. */
void	 clu_close(struct clu *c);
/* True while cluster work is outstanding (tasks queued or running, jobs
 * not done): the kernel does not exit idle then. */
bool	 clu_busy(const struct clu *c);
/* "HOST:PORT" of the worker listener; borrowed. */
const char *clu_addr(const struct clu *c);

/* A request from session s's runtime (cluster.map, cluster.add,
 * cluster.submit, cluster.cancel, cluster.workers, cluster.scale) during
 * run (0 if none). Answers it on the runtime pipe; may keep m (see
 * rth_cbs.on_request). */
void	 clu_runtime_request(struct clu *c, struct sess *s, uint64_t run,
	     struct rpc_msg *m);
/* Run `run` of s ended: its futures' job takes no more tasks (those it
 * has still run and their results still reach the runtime). */
void	 clu_run_done(struct clu *c, struct sess *s, uint64_t run);
/* s's runtime died or restarted, or s is closing: its cluster work is
 * cancelled and nothing more is sent for it. */
void	 clu_session_reset(struct clu *c, struct sess *s);

/* Client methods (docs/protocol.md). */
int	 clu_rpc_status(struct srv_req *r, struct gl_err *err);
int	 clu_rpc_scale(struct srv_req *r, struct gl_err *err);
int	 clu_rpc_usage(struct srv_req *r, struct gl_err *err);

#endif

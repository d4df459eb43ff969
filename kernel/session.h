/*
 * session.h - sessions: one open notebook each (DESIGN section 7), with its
 * document, version and history of accepted ops (for operational
 * transform), its attached clients, its runtime (started at the first
 * cell.run) and its FIFO run queue. Implements the session.*, doc.*, cell.*
 * and runtime.* methods of docs/protocol.md, and git.* and review.* (the
 * notebook's repository, through review/). File sessions journal every
 * accepted edit and store outputs in the project's store (kernel/store.h);
 * ephemeral sessions do neither and end with their client.
 *
 * The kernel's sessions are one struct sess_set, made and owned by the
 * server (kernel/server.c); its method table (kernel/server-client.c)
 * calls the handlers below with a request (kernel/req.h). Sessions report
 * back only through the struct sess_host the server gives them: a
 * runtime's cluster.* requests, the end of a run and a session's reset go
 * there (the server forwards them to the cluster service), and so does
 * every change that may make the kernel idle. Sessions never see the
 * server's or the cluster's structures. Runs on the kernel's libuv loop.
 */
#ifndef GL_SESSION_H
#define GL_SESSION_H

#include <msgpack.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

struct gl_err;
struct hooks;
struct req;
struct req_client;
struct rpc_msg;
struct sess;
struct sess_set;

/* What sessions need from their owner. Callbacks get ctx first; none may
 * free the session it is called about. */
struct sess_host {
	void		*ctx;
	uv_loop_t	*loop;		/* borrowed: the kernel's loop */
	const char	*exe;		/* galley binary for runtimes; NULL =
					 * /proc/self/exe */
	size_t		 memory_limit;	/* per runtime, bytes */
	struct hooks	*hooks;		/* borrowed: the plugins' hooks
					 * (kernel/hooks.h), or NULL */
	/* s's runtime asks for cluster work (cluster.map in a cell, ...)
	 * during run (0 if none). 0 if the host took m: it answers on the
	 * runtime pipe (sess_runtime_send) and may keep m as
	 * rth_serve_requests says; else the session refuses it. */
	int	(*on_cluster_request)(void *ctx, struct sess *s, uint64_t run,
		    struct rpc_msg *m);
	/* Run `run` of s ended. */
	void	(*on_run_done)(void *ctx, struct sess *s, uint64_t run);
	/* s's runtime died or restarts, or s is closing: its cluster work
	 * ends, and nothing more may be sent for s. */
	void	(*on_reset)(void *ctx, struct sess *s);
	/* Runs started or ended, a client left a session: the host checks
	 * whether the kernel is idle. */
	void	(*on_activity)(void *ctx);
};

/* The kernel's sessions, reporting to host (copied). */
struct sess_set *sess_set_new(const struct sess_host *host);
/* Closes every session (kernel shutdown): runtimes are stopped; each
 * session is freed once its runtime is gone. Stores are released. */
void	 sess_set_close(struct sess_set *ss);
/* Frees ss once the loop ran every session's close to its end. NULL is
 * a no-op. */
void	 sess_set_free(struct sess_set *ss);
/* True if any session has a cell running or queued. */
bool	 sess_set_busy(const struct sess_set *ss);
/* Open sessions. */
size_t	 sess_set_count(const struct sess_set *ss);
/* Client c is going away: it is detached from every session (an
 * ephemeral session it owns is closed). */
void	 sess_set_drop_client(struct sess_set *ss, struct req_client *c);
/* Client c became held or no longer is (req_client_held(): it does not
 * keep up with what it is sent): the runtimes of the sessions it is
 * attached to stop or start being read. */
void	 sess_set_client_flow(struct sess_set *ss, struct req_client *c);

/* Ends the group commit of this loop turn now: the doc.edit requests
 * applied since it began are committed to the journal, then answered
 * and sent to the other clients (or refused, and undone, if the commit
 * failed). The server calls it before any other request, so answers
 * keep their order and nothing reads an edit not yet durable; a check
 * handle calls it at the end of each loop turn. */
void	 sess_set_flush(struct sess_set *ss);

/* Method handlers (docs/protocol.md). */
int	 sess_rpc_open(struct sess_set *ss, struct req *r,
	     struct gl_err *err);
int	 sess_rpc_attach(struct sess_set *ss, struct req *r,
	     struct gl_err *err);
int	 sess_rpc_list(struct sess_set *ss, struct req *r,
	     struct gl_err *err);
int	 sess_rpc_close(struct sess_set *ss, struct req *r,
	     struct gl_err *err);
int	 sess_rpc_doc_get(struct sess_set *ss, struct req *r,
	     struct gl_err *err);
int	 sess_rpc_doc_cells(struct sess_set *ss, struct req *r,
	     struct gl_err *err);
int	 sess_rpc_doc_edit(struct sess_set *ss, struct req *r,
	     struct gl_err *err);
int	 sess_rpc_doc_save(struct sess_set *ss, struct req *r,
	     struct gl_err *err);
int	 sess_rpc_doc_cursor(struct sess_set *ss, struct req *r,
	     struct gl_err *err);
int	 sess_rpc_cell_run(struct sess_set *ss, struct req *r,
	     struct gl_err *err);
int	 sess_rpc_cell_interrupt(struct sess_set *ss, struct req *r,
	     struct gl_err *err);
int	 sess_rpc_cell_cancel(struct sess_set *ss, struct req *r,
	     struct gl_err *err);
int	 sess_rpc_cell_outputs(struct sess_set *ss, struct req *r,
	     struct gl_err *err);
int	 sess_rpc_runtime_restart(struct sess_set *ss, struct req *r,
	     struct gl_err *err);
/* git.* (kernel/session-git.c) and review.* (kernel/session-review.c):
 * the notebook's repository, through review/. */
int	 sess_rpc_git_status(struct sess_set *ss, struct req *r,
	     struct gl_err *err);
int	 sess_rpc_git_commit(struct sess_set *ss, struct req *r,
	     struct gl_err *err);
int	 sess_rpc_git_log(struct sess_set *ss, struct req *r,
	     struct gl_err *err);
int	 sess_rpc_git_show_cell(struct sess_set *ss, struct req *r,
	     struct gl_err *err);
int	 sess_rpc_review_open(struct sess_set *ss, struct req *r,
	     struct gl_err *err);
int	 sess_rpc_review_comment(struct sess_set *ss, struct req *r,
	     struct gl_err *err);
int	 sess_rpc_review_reply(struct sess_set *ss, struct req *r,
	     struct gl_err *err);
int	 sess_rpc_review_resolve(struct sess_set *ss, struct req *r,
	     struct gl_err *err);
int	 sess_rpc_review_verdict(struct sess_set *ss, struct req *r,
	     struct gl_err *err);
int	 sess_rpc_review_apply(struct sess_set *ss, struct req *r,
	     struct gl_err *err);
int	 sess_rpc_cell_complete(struct sess_set *ss, struct req *r,
	     struct gl_err *err);
/* session.members, session.say (kernel/session-pair.c). */
int	 sess_rpc_members(struct sess_set *ss, struct req *r,
	     struct gl_err *err);
int	 sess_rpc_say(struct sess_set *ss, struct req *r,
	     struct gl_err *err);
/* The session r names, which r's client must be attached to, for
 * session.share: its notebook's path ("" for one from text) and *sid its
 * id, both borrowed; NULL with err (GL_EPERM for an ephemeral session,
 * which is private). */
const char *sess_share_path(struct sess_set *ss, struct req *r,
	     const char **sid, struct gl_err *err);
/* c's role or name changed (kernel.member_role): each session it is
 * attached to tells its clients (session.role). */
void	 sess_set_client_changed(struct sess_set *ss, struct req_client *c);
int	 sess_rpc_cell_inspect(struct sess_set *ss, struct req *r,
	     struct gl_err *err);

/* For the host, about a session it was called about (the server passes
 * these on to the cluster service). */

/* "s1"; borrowed. */
const char *sess_id(const struct sess *s);
/* The notebook's absolute path, or NULL (a notebook from text); borrowed. */
const char *sess_notebook(const struct sess *s);
/* The project directory of the notebook (where .galley/ is), or NULL.
 * Caller frees. */
char	*sess_project_dir(const struct sess *s);
/* The cell id of run if it is the running run, else NULL; borrowed. */
const char *sess_run_cell(const struct sess *s, uint64_t run);
/* The member who asked for run if it is the running run, else NULL:
 * whom its cluster work and library loads are attributed to. Borrowed. */
const char *sess_run_user(const struct sess *s, uint64_t run);
/* Counts the runtimes the session started (see rth_generation): 0 before
 * the first. */
uint64_t sess_runtime_gen(const struct sess *s);
/* Sends whole messages to the session's runtime if it is still runtime
 * number gen; GL_ECLOSED otherwise. */
int	 sess_runtime_send(struct sess *s, uint64_t gen, const void *p,
	     size_t n);
/* Sends n bytes of whole messages (a notification) to every client
 * attached to s. */
void	 sess_notify(struct sess *s, const void *p, size_t n);
/* An output of run (a map as in cell.output) that does not come from the
 * runtime: a task's print, the progress of cluster work. Kept and
 * broadcast like the runtime's; dropped unless run is running. A
 * "progress" output replaces the kept one of the same job. */
void	 sess_run_output(struct sess *s, uint64_t run,
	     const msgpack_object *output);
/* The source of the notebook's header cell (its file-level metadata:
 * library pins), or NULL; borrowed until the document changes. */
const char *sess_header(const struct sess *s, size_t *len);
/* A note of galley's in run's outputs (a stderr stream output "galley:
 * text"): a plugin's warning (kernel/session-plugins.c). */
void	 sess_run_note(struct sess *s, uint64_t run, const char *text);

#endif

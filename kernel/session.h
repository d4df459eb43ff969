/*
 * session.h - sessions: one open notebook each (DESIGN section 7), with its
 * document, version and history of accepted ops (for operational
 * transform), its attached clients, its runtime (started at the first
 * cell.run) and its FIFO run queue. Implements the session.*, doc.*, cell.*
 * and runtime.* methods of docs/protocol.md. File sessions journal every
 * accepted edit and store outputs in the project's store (kernel/store.h);
 * ephemeral sessions do neither and end with their client.
 *
 * Used by kernel/server.c only; runs on the kernel's libuv loop. Handlers
 * take a request (kernel/server_int.h) and either reply or return a GL_E*
 * code with err set.
 */
#ifndef GL_SESSION_H
#define GL_SESSION_H

#include <msgpack.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct client;
struct gl_err;
struct sess;
struct srv;
struct srv_req;

/* Method handlers (docs/protocol.md). */
int	 sess_rpc_open(struct srv_req *r, struct gl_err *err);
int	 sess_rpc_attach(struct srv_req *r, struct gl_err *err);
int	 sess_rpc_list(struct srv_req *r, struct gl_err *err);
int	 sess_rpc_close(struct srv_req *r, struct gl_err *err);
int	 sess_rpc_doc_get(struct srv_req *r, struct gl_err *err);
int	 sess_rpc_doc_edit(struct srv_req *r, struct gl_err *err);
int	 sess_rpc_doc_save(struct srv_req *r, struct gl_err *err);
int	 sess_rpc_doc_cursor(struct srv_req *r, struct gl_err *err);
int	 sess_rpc_cell_run(struct srv_req *r, struct gl_err *err);
int	 sess_rpc_cell_interrupt(struct srv_req *r, struct gl_err *err);
int	 sess_rpc_cell_cancel(struct srv_req *r, struct gl_err *err);
int	 sess_rpc_cell_outputs(struct srv_req *r, struct gl_err *err);
int	 sess_rpc_runtime_restart(struct srv_req *r, struct gl_err *err);

/* Detaches c from s; an ephemeral session whose client leaves is closed.
 * Called for every attached session when a client goes away. */
void	 sess_detach(struct sess *s, struct client *c);
/* Closes every session (kernel shutdown): runtimes are stopped; each
 * session is freed once its runtime is gone. Stores are released. */
void	 sess_close_all(struct srv *srv);
/* True if any session has a cell running or queued. */
bool	 sess_any_busy(const struct srv *srv);

/* For the cluster service (kernel/cluster.c). */

/* "s1"; borrowed. */
const char *sess_id(const struct sess *s);
/* The notebook's absolute path, or NULL (a notebook from text); borrowed. */
const char *sess_notebook(const struct sess *s);
/* The project directory of the notebook (where .galley/ is), or NULL.
 * Caller frees. */
char	*sess_project_dir(const struct sess *s);
/* The cell id of run if it is the running run, else NULL; borrowed. */
const char *sess_run_cell(const struct sess *s, uint64_t run);
/* Counts the runtimes the session started (see rth_generation): 0 before
 * the first. */
uint64_t sess_runtime_gen(const struct sess *s);
/* Sends whole messages to the session's runtime if it is still runtime
 * number gen; GL_ECLOSED otherwise. */
int	 sess_runtime_send(struct sess *s, uint64_t gen, const void *p,
	     size_t n);
/* Sends the server's scratch notification (srv_note_begin) to every
 * client attached to s. */
void	 sess_notify(struct sess *s);
/* An output of run (a map as in cell.output) that does not come from the
 * runtime: a task's print, the progress of cluster work. Kept and
 * broadcast like the runtime's; dropped unless run is running. A
 * "progress" output replaces the kept one of the same job. */
void	 sess_run_output(struct sess *s, uint64_t run,
	     const msgpack_object *output);

#endif

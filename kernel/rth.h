/*
 * rth.h - the kernel's host for a runtime process (one per session): the
 * narrow interface of DESIGN section 2 (start, run cell, interrupt, stream
 * outputs, restart, stop). It spawns `galley runtime --fd 3`, speaks
 * msgpack-RPC with it over a pipe on fd 3 (docs/protocol.md, "runtime
 * pipe"), turns its stdout/stderr into stream outputs, and restarts it
 * when it dies. Runs on the kernel's libuv loop; callbacks never run Lua.
 * Used by kernel/session-run.c (and kernel/session.c, which closes it).
 */
#ifndef GL_RTH_H
#define GL_RTH_H

#include <msgpack.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "core/run.h"

struct gl_err;
struct rpc_msg;

enum rth_state {
	RTH_STARTING,
	RTH_IDLE,
	RTH_BUSY,
	RTH_DEAD,		/* died; a restart follows at once */
	RTH_STOPPED,		/* rth_close() was called */
};

struct rth_cbs {
	/* One typed output while a cell runs: output is the map of
	 * docs/protocol.md ("type", "text", ...) and raw[0..rawlen) its
	 * bytes as the runtime encoded them, to be passed on as they are;
	 * raw is NULL for an output the kernel made (what the runtime wrote
	 * to its stdout or stderr). Both borrowed for the call. */
	void	(*on_output)(void *ctx, uint64_t run,
		    const msgpack_object *output, const char *raw,
		    size_t rawlen);
	/* The cell finished: status is GL_RUN_OK, GL_RUN_ERROR (the cell
	 * raised), GL_RUN_INTERRUPTED or GL_RUN_DIED (the runtime died or
	 * was killed under it). error[0..errlen) is the run's error for
	 * ERROR/INTERRUPTED, an error output ({type = "error", message,
	 * traceback, line}) encoded by the runtime, to be passed on as it
	 * is; else NULL. message: NULL for OK, else the error's message
	 * or why the runtime died ("runtime died (signal 9)", "runtime
	 * restarted"). Both borrowed for the call. All outputs of the run,
	 * including what the runtime wrote to its stdout/stderr, come
	 * before it. The state is IDLE during the call (DEAD or STARTING
	 * after a death), so on_done may start the next run. */
	void	(*on_done)(void *ctx, uint64_t run, enum gl_run_status status,
		    const char *error, size_t errlen, const char *message);
	/* State changes, with a human message ("runtime died (signal 9),
	 * restarting"). Also called from within rth_run() (BUSY) and
	 * rth_restart() (STARTING); never from rth_new() (which starts in
	 * STARTING) nor after rth_close(). A runtime that dies before it is
	 * ready 3 times in a row stays DEAD ("...; not restarting") until
	 * rth_restart(). */
	void	(*on_state)(void *ctx, enum rth_state state, const char *message);
	/* The answer m (a response, borrowed for the call) to a request sent
	 * with rth_request(); m->id is the id it gave. Optional. Requests
	 * of a runtime that dies are never answered: on_state says DEAD or
	 * STARTING first. */
	void	(*on_reply)(void *ctx, const struct rpc_msg *m);
	/* begin: the messages of one read of the runtime's pipe are about
	 * to be handled (outputs, ends of runs); !begin: they were. What the
	 * callbacks in between send may go out together. Not called after
	 * rth_close(), nor for a process being replaced: the owner undoes
	 * what begin did then itself. Optional. */
	void	(*on_io)(void *ctx, bool begin);
};

struct rth_opts {
	const char	*exe;		/* galley binary; NULL = /proc/self/exe */
	const char	*cwd;		/* the notebook's directory; NULL = inherit */
	size_t		 memory_limit;	/* bytes for the Lua heap; 0 = none */
	const char	*session;	/* for messages */
};

struct rth;

/* Starts a runtime. The rth lives until rth_close()'s callback. */
struct rth *rth_new(uv_loop_t *loop, const struct rth_opts *opts,
	     const struct rth_cbs *cbs, void *ctx, struct gl_err *err);
/* Runs sent to a runtime behind the one it runs, at most. */
#define RTH_AHEAD_MAX	64

/* Runs code (a cell's source) as run number run, of batch (the cell.run
 * request; 0 for none). chunkname ("@path") and first_line (file line of
 * the code's first line) make error messages name the file and line.
 * GL_EBUSY if the runtime is not ready yet, or a cell is running and
 * rth_can_run_ahead() is false: the session keeps the queue. A run sent
 * while another runs waits in the runtime and starts the moment the one
 * before ends (its on_done comes first); when a run of a batch does not
 * end ok, the runtime answers the later runs of that batch it was sent
 * "cancelled" without running them, and when it dies they end
 * GL_RUN_CANCELLED. */
int	 rth_run(struct rth *h, uint64_t run, uint64_t batch,
	     const char *cell_id, const char *code, size_t len,
	     const char *chunkname, unsigned first_line, struct gl_err *err);
/* Whether rth_run() would send a run now behind the running one of the
 * same batch: a cell runs and fewer than RTH_AHEAD_MAX wait. */
bool	 rth_can_run_ahead(const struct rth *h);
/* Sends request method to the runtime between runs, pack packing its
 * args map (with arg); *id gets the request's id, which on_reply's answer
 * carries. GL_EBUSY while a cell runs or the runtime starts, GL_ECLOSED
 * without a live runtime. */
int	 rth_request(struct rth *h, const char *method,
	     void (*pack)(msgpack_packer *pk, const void *arg), const void *arg,
	     uint32_t *id, struct gl_err *err);
/* First call during a run: SIGINT (the cell stops with "interrupted" in
 * well under 100 ms; the runs sent behind it end "cancelled"). A second
 * call during the same run kills the runtime (GL_RUN_DIED, then a
 * restart). No-op when idle. */
void	 rth_interrupt(struct rth *h);
/* With held, reads nothing more from the runtime (its RPC pipe, stdout
 * and stderr) until called again without: the runtime blocks in its next
 * write once a pipe is full. What was read is still delivered. Holds the
 * processes started later too. */
void	 rth_hold(struct rth *h, bool held);
bool	 rth_held(const struct rth *h);
/* Kills and restarts the runtime (a running cell ends GL_RUN_DIED). */
void	 rth_restart(struct rth *h);
enum rth_state rth_get_state(const struct rth *h);
/* The runtime's pid, or 0. */
int	 rth_pid(const struct rth *h);
/*
 * Serves the runtime's requests (the cluster.* calls of a cell) with cb,
 * called with the ctx of rth_new(): run is the running run, or 0 when
 * idle. cb answers now or later with rth_send() (a response [1, m->id,
 * ...]). It may keep the message: copy *m and set m->up.zone to NULL, and
 * rth's rpc_msg_fini() after the call frees nothing. Without a cb (the
 * default) requests are refused with EUNSUPPORTED.
 */
void	 rth_serve_requests(struct rth *h,
	     void (*cb)(void *ctx, uint64_t run, struct rpc_msg *m));
/* Writes n bytes (whole msgpack-RPC messages: responses to requests,
 * notifications) to the live runtime. GL_ECLOSED, nothing sent, if there
 * is none (dead, restarting, closed). */
int	 rth_send(struct rth *h, const void *p, size_t n);
/* Counts runtime processes started: changes when the runtime is
 * replaced, so an answer meant for a process that died can be dropped. */
uint64_t rth_generation(const struct rth *h);
/* Stops the runtime (SIGKILL if it does not exit on request) and frees h
 * once libuv is done with it; then calls on_closed(ctx) if not NULL. No
 * callback of cbs runs after rth_close() returns. */
void	 rth_close(struct rth *h, void (*on_closed)(void *ctx));

#endif

/*
 * sched.h - the cluster scheduler as a pure model (DESIGN section 9,
 * STYLE section 6): events and now_ms in, actions out. No sockets, no
 * clocks, no libuv, no Lua. The kernel's cluster service
 * (kernel/cluster*.c) turns worker messages, launcher results and a
 * timer into sched_* calls, then drains sched_next_action() and carries
 * the actions out (sends task batches, starts and stops workers, hands
 * results and progress to sessions).
 * kernel/sched.c opens with the design and its invariants.
 *
 * Ids. Jobs and tasks get ids from the model (never 0). Workers are named
 * by the kernel's id for the connection (never 0). Payloads and results
 * are the kernel's handles (opaque uint64_t): the model passes them along
 * and says when the kernel may free them.
 *
 * Contract the kernel relies on:
 *  - every task the model accepts yields exactly one SCHED_ACT_RESULT
 *    (ok, error, failed for good, or cancelled), after which the model
 *    never mentions it again; the kernel frees its payload then;
 *  - an ordered job's (cluster.map's) RESULTs come in item order;
 *  - every job yields exactly one SCHED_ACT_JOB_DONE, after its RESULTs.
 */
#ifndef GL_SCHED_H
#define GL_SCHED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sched;

struct sched_config {
	int	 max_workers;	/* workers work may start at most (nproc, or
				 * the launcher's count); sched_set_max()
				 * changes it */
	int	 prefetch;	/* tasks a worker holds per slot, at least (2) */
	int	 max_window;	/* ... and at most (256) */
	int64_t	 batch_us;	/* hold enough short tasks per slot to cover
				 * this long (2000): small tasks batch */
	size_t	 max_batch_bytes; /* payload bytes in one send, at most (1 MB;
				 * a bigger single task goes alone) */
	int	 max_attempts;	/* a task whose worker dies under it this many
				 * times fails for good (3) */
	int64_t	 heartbeat_timeout_ms;	/* silent this long: dead (10 s) */
	int64_t	 idle_timeout_ms;	/* idle this long: stopped (5 min) */
	int64_t	 progress_ms;	/* progress per job at most this often (100) */
	int64_t	 steal_min_us;	/* steal only tasks whose job's mean run
				 * time is at least this (1000) */
	int	 max_start_failures;	/* consecutive failed starts with no
				 * worker up before queued work fails (3) */
};

/* Fills cfg with the defaults above (max_workers = 1). */
void	 sched_config_default(struct sched_config *cfg);

/* A new scheduler; cfg is copied. Caller frees with sched_free(). */
struct sched *sched_new(const struct sched_config *cfg);
/* Frees s and everything it holds. Payloads of tasks never reported are
 * the kernel's to free (it knows them). */
void	 sched_free(struct sched *s);

/* --- jobs and tasks --- */

enum sched_errors {
	SCHED_ERRORS_RAISE,	/* the first failed task fails the job; the
				 * rest are cancelled */
	SCHED_ERRORS_COLLECT,	/* failed tasks are results like the others */
};

struct sched_job_opts {
	bool		 ordered;	/* cluster.map: results in item order */
	enum sched_errors errors;
	/* Accounting, copied (NULL allowed): who runs it, from where. */
	const char	*user;
	const char	*notebook;
	const char	*cell;
};

/* A new job (a cluster.map, or the cluster.submit futures of a cell).
 * Returns its id. */
uint64_t sched_job_new(struct sched *s, const struct sched_job_opts *opts,
	     int64_t now_ms);
/* Adds n tasks to job: payloads[i] is the kernel's handle for the
 * encoded task of item (items so far + i); bytes[i] its size (NULL: all
 * small). ids (NULL allowed) gets the n task ids. Returns 0, or
 * GL_ENOTFOUND if job is unknown, closed or finished (nothing added). */
int	 sched_submit(struct sched *s, uint64_t job, size_t n,
	     const uint64_t *payloads, const size_t *bytes, uint64_t *ids,
	     int64_t now_ms);
/* No more tasks for job; it is done once its tasks are. Unknown: no-op. */
void	 sched_job_close(struct sched *s, uint64_t job, int64_t now_ms);
/* Cancels a job (cluster.map interrupted) or one task (future:cancel()):
 * their unfinished tasks yield SCHED_CANCELLED results; tasks on workers
 * are called back with SCHED_ACT_CANCEL. Unknown ids: no-op. */
void	 sched_cancel_job(struct sched *s, uint64_t job, int64_t now_ms);
void	 sched_cancel_task(struct sched *s, uint64_t task, int64_t now_ms);
/* Accounting of a live job, borrowed (NULL if unknown or done). */
const struct sched_job_opts *sched_job_info(const struct sched *s,
	     uint64_t job);

/* --- workers --- */

/* Why a worker went away. */
enum sched_loss {
	SCHED_LOSS_CRASHED,	/* the process died (kill -9, crash) */
	SCHED_LOSS_DISCONNECTED, /* the connection was lost */
	SCHED_LOSS_SILENT,	/* no heartbeat for heartbeat_timeout_ms */
	SCHED_LOSS_PREEMPTED,	/* its Slurm job ended under it (preempted,
				 * time limit, scancel): the tasks' attempts
				 * are not counted and a replacement starts
				 * while work remains */
};

/* A worker connected and authenticated: host for messages, slots = tasks
 * it runs at once (1 for a galley worker). A known id: no-op. */
void	 sched_worker_joined(struct sched *s, uint64_t worker,
	     const char *host, int slots, int64_t now_ms);
/* A worker exited cleanly (after SCHED_ACT_STOP). Tasks it still held
 * are queued again without counting an attempt. */
void	 sched_worker_left(struct sched *s, uint64_t worker, int64_t now_ms);
/* A worker died: its tasks are retried elsewhere (the ones it was running
 * count an attempt, except for SCHED_LOSS_PREEMPTED). why is the detail
 * for messages ("killed by signal 9"), copied. */
void	 sched_worker_died(struct sched *s, uint64_t worker,
	     enum sched_loss loss, const char *why, int64_t now_ms);
/* Anything heard from the worker (its heartbeat message). */
void	 sched_heartbeat(struct sched *s, uint64_t worker, int64_t now_ms);
/* The worker's answer to SCHED_ACT_RELEASE: the tasks it gave back (not
 * started); the others it keeps and will finish. */
void	 sched_worker_released(struct sched *s, uint64_t worker,
	     const uint64_t *tasks, size_t n, int64_t now_ms);
/* The launcher could not start n of the workers asked for. */
void	 sched_start_failed(struct sched *s, int n, const char *why,
	     int64_t now_ms);
/* The size the user asks for (cluster.scale): n workers are started at
 * once and kept (idle ones above n stop now; idle_timeout never takes
 * the pool below n), while work may use more, up to max_workers; n == 0
 * holds: no worker starts (tasks wait) and idle ones stop, until a scale
 * above 0; n < 0 is the default, workers on demand only. */
void	 sched_scale(struct sched *s, int n, int64_t now_ms);
/* The most workers work may start (the configuration's count, or what
 * the user set); idle workers above it stop. */
void	 sched_set_max(struct sched *s, int max, int64_t now_ms);
/* The last sched_scale() (-1: none, workers on demand). */
int	 sched_get_scale(const struct sched *s);

enum sched_status {
	SCHED_OK,		/* result = the task's return values */
	SCHED_ERROR,		/* result = its error and traceback */
	SCHED_FAILED,		/* failed for good: msg says why */
	SCHED_CANCELLED,	/* cancelled, or its job failed first */
};

/* A task finished on worker (SCHED_OK or SCHED_ERROR) after run_us of
 * running; result is the kernel's handle for the encoded values. Ignored
 * (returns false: free the result) if worker does not hold the task (a
 * late answer from a worker given up on, a cancelled task). */
bool	 sched_task_finished(struct sched *s, uint64_t worker, uint64_t task,
	     enum sched_status status, uint64_t result, int64_t run_us,
	     int64_t now_ms);

/* Time passes: heartbeats, idle timeouts, throttled progress, starts
 * deferred after failures. Call every few hundred ms. */
void	 sched_tick(struct sched *s, int64_t now_ms);

/* --- actions --- */

enum sched_act_kind {
	SCHED_ACT_SEND,		/* worker, n tasks (+ payloads): send them in
				 * one message; the worker runs them in order */
	SCHED_ACT_RELEASE,	/* worker, n tasks: ask for them back if not
				 * started (stealing); answer with
				 * sched_worker_released() */
	SCHED_ACT_CANCEL,	/* worker, n tasks: drop them, no answer */
	SCHED_ACT_START,	/* n: start this many workers */
	SCHED_ACT_STOP,		/* worker, msg: stop it (idle, scaled down) or
				 * kill it (silent); then no more events about
				 * it are needed */
	SCHED_ACT_RESULT,	/* job, task, item, status, payload (free it),
				 * result (deliver it, SCHED_OK/ERROR), worker
				 * that ran it (0 if none), msg (FAILED) */
	SCHED_ACT_PROGRESS,	/* job, done, failed, total, busy */
	SCHED_ACT_JOB_DONE,	/* job, status (OK, ERROR: raised,
				 * CANCELLED), done, failed, total, item and
				 * msg of the task that raised */
};

struct sched_action {
	enum sched_act_kind kind;
	uint64_t	 worker;
	uint64_t	 job;
	uint64_t	 task;
	uint64_t	 item;
	enum sched_status status;
	uint64_t	 payload;
	uint64_t	 result;
	size_t		 n;
	const uint64_t	*tasks;		/* borrowed, n */
	const uint64_t	*payloads;	/* borrowed, n (SEND) */
	const char	*msg;		/* borrowed or NULL */
	size_t		 done, failed, total, busy;
};

/* The next action, or false when there is none. Pointers in *a stay valid
 * until the next sched_* call. Drain after each batch of events: tasks
 * are placed when actions are drained, so the results of one worker
 * message yield one send. */
bool	 sched_next_action(struct sched *s, struct sched_action *a);

/* --- for views (cluster.workers(), the TUI's cluster view) --- */

struct sched_worker_info {
	uint64_t	 id;
	const char	*host;		/* borrowed */
	int		 slots;
	bool		 stopping;
	size_t		 held;		/* tasks sent, not finished */
	uint64_t	 done;		/* tasks finished here */
	int64_t		 idle_since_ms;	/* -1 while busy */
};

/* Workers up (joined, not gone); fills at most max. */
size_t	 sched_workers(const struct sched *s, struct sched_worker_info *out,
	     size_t max);
/* Counts: tasks queued, tasks held by workers, workers up, workers
 * asked for and not yet joined. NULL pointers allowed. */
void	 sched_counts(const struct sched *s, size_t *queued, size_t *held,
	     size_t *up, size_t *starting);

/* Checks the model's invariants (the counts against the queues, windows
 * and lists they summarise; every task in one place). O(tasks + jobs +
 * workers): for tests and debugging. */
bool	 sched_check(const struct sched *s);

#endif

/*
 * launch.h - launchers: how the kernel's cluster service obtains worker
 * processes and gives them back (DESIGN section 9). One small interface
 * over four kinds, chosen by the configuration (lua/config.h):
 *
 *   local    N processes on this machine (uv_spawn), killed and reaped
 *   command  a start (and optional stop) template run with /bin/sh, for
 *            Kubernetes, PBS, a custom script
 *   ssh      one `ssh -o BatchMode=yes HOST <worker command>` per worker;
 *            the secret goes on the session's stdin (--secret-file -)
 *   slurm    one sbatch job per launch_start(), one srun step per worker;
 *            squeue/sacct polled from a timer to notice a job that ended
 *
 * Every worker runs `<galley> worker --connect ADDR --secret-file PATH
 * --name NAME` (docs/cluster.md) and connects back to the kernel's cluster
 * listener; the launcher knows nothing of that connection beyond what the
 * cluster service tells it (launch_worker_up, launch_worker_lost). It
 * reports, through one callback, workers that failed to start and workers
 * whose process or job ended under them, with the launcher's stderr, exit
 * status or Slurm state in the message, and a flag for ends that are the
 * cluster's doing (Slurm PREEMPTED, TIMEOUT, CANCELLED, NODE_FAIL,
 * BOOT_FAIL, DEADLINE) so the scheduler counts no attempt against the
 * tasks (SCHED_LOSS_PREEMPTED).
 *
 * Runs on the kernel's libuv loop and never blocks it: every command
 * (sbatch, squeue, scancel, sacct, ssh, the templates) is a child process
 * started with uv_spawn and read through pipes. Callbacks never run Lua.
 * launch_close() cleans up everything it started: processes killed and
 * reaped, ssh sessions closed, Slurm jobs scancel'ed and gone from squeue,
 * stop commands run, its scripts and job output files removed.
 *
 * Used by the cluster service (kernel/cluster.c makes and closes it and
 * takes its events; kernel/cluster-worker.c tells it of connections) and
 * tests. It takes the cluster configuration's own structs
 * (lua/config.h) and copies them.
 */
#ifndef GL_LAUNCH_H
#define GL_LAUNCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "lua/config.h"

struct gl_err;
struct launch;

enum launch_event_kind {
	/* The worker ended (or could not be started) before
	 * launch_worker_up() was called for it: for the scheduler,
	 * sched_start_failed(1, msg). */
	LAUNCH_EV_FAILED,
	/* The worker's process or job ended after launch_worker_up(), or
	 * after launch_worker_lost(): sched_worker_died(w,
	 * not_task_fault ? SCHED_LOSS_PREEMPTED : SCHED_LOSS_CRASHED, msg). */
	LAUNCH_EV_ENDED,
	/* Something for the kernel's log that is not a worker's end: a stop
	 * command or scancel that failed, squeue failing. name may be NULL. */
	LAUNCH_EV_NOTICE,
};

struct launch_event {
	enum launch_event_kind kind;
	const char	*name;		/* the worker; NULL for some notices */
	bool		 not_task_fault; /* the cluster ended it: count no
					 * attempt against its tasks */
	const char	*state;		/* Slurm job state ("CANCELLED",
					 * "TIMEOUT"), or NULL */
	int		 exit_status;	/* of the worker's process (local,
					 * ssh, command), or -1 */
	int		 term_signal;	/* signal that ended it, or 0 */
	const char	*msg;		/* for people: "worker slurm-3: slurm
					 * job 42 CANCELLED", "worker
					 * local-2 exited before it
					 * connected: exit status 3: <its
					 * stderr>" */
};

/* Borrowed pointers in ev are valid during the call only. The callback
 * may call any launch_* function, launch_close() included. */
typedef void (*launch_cb)(void *ctx, const struct launch_event *ev);

struct launch_opts {
	/* The launcher kind and its options (copied: the caller may free
	 * cfg after launch_new returns). NULL = defaults (local). */
	const struct cfg_cluster *cfg;
	/* "HOST:PORT" of the kernel's cluster listener as the workers must
	 * reach it (127.0.0.1:PORT for local workers; a name the ssh hosts
	 * or Slurm nodes resolve otherwise). */
	const char	*addr;
	/* The cluster secret's file (0600). Local, command and slurm
	 * workers get its path (for slurm it must be readable on the nodes:
	 * a shared file system); ssh workers, and command workers with
	 * secret_on_stdin, get its contents on stdin instead. */
	const char	*secret_file;
	/* This galley binary; NULL = /proc/self/exe. The worker program
	 * unless cfg names a remote_galley for the kind. */
	const char	*exe;
	/* A private directory for Slurm job scripts and outputs (on a shared
	 * file system for multi-node Slurm); NULL = a new directory under
	 * $TMPDIR or /tmp, removed at close. */
	const char	*work_dir;
	/* Worker names are this followed by a number; NULL = "<kind>-"
	 * ("local-1", "slurm-7"). */
	const char	*name_prefix;
	/* Tests only: replaces `<galley> worker` in the worker command line
	 * (NULL-terminated; copied). The launcher appends --connect,
	 * --secret-file and --name as for the real worker. */
	const char *const *worker_argv;
};

/* A new launcher on loop. NULL with err (GL_EINVAL) for a bad option (a
 * command template with an unknown placeholder, ssh without hosts, no
 * addr or secret_file). Lives until launch_close()'s callback. */
struct launch *launch_new(uv_loop_t *loop, const struct launch_opts *opts,
	     launch_cb cb, void *ctx, struct gl_err *err);

/*
 * Starts n workers. names (n slots, or NULL) gets the name of each worker
 * started, owned by the caller. Returns how many were started (their
 * launch is under way: each later comes up, or is reported FAILED), or a
 * negative GL_E* code. Fewer than n (or an error) fills err with why: no
 * ssh host has room left (cluster.ssh.workers_per_host), a program that
 * cannot be run, the launcher closing. Asynchronous failures (ssh refused,
 * sbatch rejected the job) come as LAUNCH_EV_FAILED events.
 */
int	 launch_start(struct launch *l, int n, char **names,
	     struct gl_err *err);

/* The cluster service saw worker `name` connect and authenticate. From now
 * on its end is LAUNCH_EV_ENDED, and the start timeout no longer applies.
 * GL_ENOTFOUND for a name this launcher does not know (or stopped). */
int	 launch_worker_up(struct launch *l, const char *name);

/*
 * The connection of worker `name` was lost. The launcher finds out why
 * and reports exactly one LAUNCH_EV_ENDED (or FAILED if it was not up)
 * for it soon: at once for a process that exited; for Slurm after polling
 * the job (ENDED with its state if the job ended; else, after at most
 * 10 s, "connection lost" and its step is cancelled); a process still
 * running after a short grace is killed. GL_ENOTFOUND if unknown, stopped,
 * or already reported (its event came first: use that one).
 */
int	 launch_worker_lost(struct launch *l, const char *name);

/* Stops worker `name` (after the kernel sent it worker.stop, or because it
 * must go): local and command processes get SIGTERM, then SIGKILL after
 * cluster.stop_grace; an ssh session's stdin is closed (the remote worker
 * exits at EOF), then the same signals; a Slurm worker's step is
 * scancel'ed, or its whole job once none of the job's workers is wanted;
 * a command stop template runs. No event is reported for it afterwards.
 * GL_ENOTFOUND if unknown. */
int	 launch_stop(struct launch *l, const char *name);
/* Stops every worker. */
void	 launch_stop_all(struct launch *l);

/* Workers started and not yet stopped or reported ended. */
int	 launch_count(const struct launch *l);
/* True when nothing this launcher started is left: no worker, process,
 * command or Slurm job (squeue shows none of its jobs). */
bool	 launch_idle(const struct launch *l);
/* The kind's name: "local", "command", "ssh", "slurm". Static. */
const char *launch_kind(const struct launch *l);
/* The Slurm job name the launcher submits under ("galley-slurm-1a2b3c"),
 * for squeue --name; NULL for other kinds. Borrowed. */
const char *launch_slurm_job_name(const struct launch *l);

/*
 * Stops every worker and frees l once everything it started is gone
 * (processes reaped, Slurm jobs no longer in squeue, stop commands done),
 * within about a minute at most; then calls on_closed(ctx, problem) if
 * not NULL, with problem NULL, or what could not be confirmed ("slurm job
 * 42 still in squeue after 60 s"). No launch_cb runs after this returns.
 */
void	 launch_close(struct launch *l,
	     void (*on_closed)(void *ctx, const char *problem), void *ctx);

#endif

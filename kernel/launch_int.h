/*
 * launch_int.h - what the launcher's files share (kernel/launch.c: the
 * interface of kernel/launch.h, worker records, the tick; launch-proc.c:
 * the process runner; launch-local.c, launch-ssh.c, launch-command.c,
 * launch-slurm.c: one kind each): the launcher's structures and the calls
 * between its files. Not for use outside the launch*.c files.
 */
#ifndef GL_LAUNCH_INT_H
#define GL_LAUNCH_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "core/mem.h"
#include "kernel/launch.h"
#include "lua/config.h"

struct gl_err;

#define LAUNCH_TICK_MS		100
#define LAUNCH_HELPER_MS	60000	/* a helper command must end by then */
#define LAUNCH_LOST_MS		1000	/* a lost worker's process, then kill */
#define LAUNCH_LOST_SLURM_MS	10000	/* wait for the job's state */
#define LAUNCH_CLOSE_MS		60000
#define LAUNCH_STEP_GRACE_MS	10000	/* a step not listed: ended */
#define LAUNCH_ERR_TAIL		2048
#define LAUNCH_OUT_MAX		(1u << 20)
#define LAUNCH_RBUF		65536

enum launch_worker_state {
	LAUNCH_WORKER_STARTING,
	LAUNCH_WORKER_UP,
};

struct launch;
struct launch_proc;

typedef void (*launch_proc_fn)(struct launch_proc *p);

struct launch_proc {
	struct launch	*l;
	struct launch_proc *prev, *next;
	uv_process_t	 proc;
	uv_pipe_t	 in, out, err;
	bool		 has_in, has_out;
	int		 pending;	/* handles not yet closed */
	bool		 closing;
	bool		 exited;
	int64_t		 status;
	int		 sig;
	int		 pid;
	struct gl_buf	 outb;		/* stdout (helpers), up to OUT_MAX */
	struct gl_buf	 errb;		/* stderr's tail */
	launch_proc_fn	 on_exit;
	void		*data;		/* the worker or job, or NULL */
	char		*arg;		/* owned: what the handler needs */
	uint64_t	 term_at;	/* SIGTERM then (0 = not asked) */
	uint64_t	 kill_at;	/* SIGKILL then (0 = not asked) */
	bool		 term_sent, kill_sent;
	char		 what[48];	/* "sbatch", "ssh", "worker" */
};

struct launch_job;

struct launch_worker {
	struct launch	*l;
	struct launch_worker *prev, *next;
	char		*name;
	enum launch_worker_state state;
	bool		 reported;	/* no more events for it */
	uint64_t	 started_ms;
	struct launch_proc *proc;	/* its process (or command's start) */
	bool		 stop_running;	/* a stop template runs for it */
	bool		 stop_wanted;	/* stop once its start command ends */
	char		*id;		/* command: start's stdout; owned */
	int		 host;		/* ssh: index in hosts, or -1 */
	struct launch_job *job;	/* slurm: its job while live */
	bool		 cancel_step;	/* slurm: scancel its step */
	bool		 lost;		/* launch_worker_lost() was called */
	uint64_t	 lost_at;	/* ... decide by then */
};

struct launch_job {
	struct launch	*l;
	struct launch_job *prev, *next;
	char		 id[32];	/* empty until sbatch answered */
	bool		 submitting;
	bool		 cancel_sent;
	bool		 terminal;
	bool		 steps_busy;	/* a step listing runs */
	bool		 sacct_busy;
	char		 state[32];
	char		 reason[64];
	uint64_t	 submitted_ms;
	uint64_t	 known_ms;	/* when sbatch gave its id */
	uint64_t	 running_ms;	/* first seen RUNNING, or 0 */
	char		*script;	/* owned paths */
	char		*output;
};

struct launch {
	uv_loop_t	*loop;
	enum cfg_launcher kind;
	launch_cb	 cb;
	void		*ctx;
	char		*addr, *secret_file, *exe, *prefix, *work_dir;
	bool		 own_work_dir;
	char		**wargv;	/* worker program and subcommand */
	size_t		 nwargv;
	int64_t		 start_timeout_ms, stop_grace_ms;
	/* The cluster configuration, the launcher's own copy
	 * (cfg_cluster_dup), with the kind's defaults filled in. */
	struct cfg_cluster cfg;
	struct {
		char	  jobname[64];
		bool	  poll_busy;
		bool	  poll_now;
		uint64_t  next_poll;
		bool	  poll_failing;
		uint64_t  poll_started;
	} squeue;			/* slurm: polling its jobs */
	struct launch_worker *workers;
	struct launch_proc *procs;
	struct launch_job *jobs;
	uint64_t	 seq, jobseq;
	uv_timer_t	 tick;
	bool		 tick_on;
	bool		 closing;
	bool		 freeing;	/* the timer is being closed */
	uint64_t	 close_deadline;
	void		(*on_closed)(void *ctx, const char *problem);
	void		*closed_ctx;
	char		 problem[512];
	char		 rbuf[LAUNCH_RBUF];
};

/* launch.c: what every kind shares */

/* A copy of n strings (NULL-terminated; NULL for n 0); caller frees
 * with launch_strv_free(). */
char	**launch_strv_dup(char *const *v, size_t n);
void	 launch_strv_free(char **v, size_t n);
/* Appends s as one word for /bin/sh. */
void	 launch_sh_quote(struct gl_buf *b, const char *s);
/* "exit status 3", "killed by signal 9". */
void	 launch_exit_info(char *buf, size_t n, int64_t status, int sig);
/* The last lines of b on one line (" | " between), for messages. */
void	 launch_tail_line(const struct gl_buf *b, char *out, size_t n);
/* The cluster secret, one line; *out is the caller's (wipe, then free). */
int	 launch_read_secret(struct launch *l, char **out,
	     struct gl_err *err);
/* Frees w once it is reported and nothing of it runs any more. */
void	 launch_worker_maybe_free(struct launch_worker *w);
/* The worker's end, told once (FAILED becomes ENDED for a worker that
 * was up); may call back into anything and free w. */
void	 launch_worker_report(struct launch_worker *w,
	     enum launch_event_kind kind, bool not_task_fault,
	     const char *state, int64_t status, int sig,
	     const char *fmt, ...)
	     __attribute__((format(printf, 7, 8)));
/* The worker's command line (program, --connect, --secret-file PATH or
 * "-" with stdin_secret, --name); caller frees with launch_strv_free(). */
void	 launch_worker_argv(struct launch *l, const char *name,
	     bool stdin_secret, char ***argvp, size_t *np);
/* The exit handler of a process that is the worker (local, ssh, a
 * command without a stop template). */
void	 launch_worker_exited(struct launch_proc *p);
/* A LAUNCH_EV_NOTICE for the kernel's log. */
void	 launch_notice(struct launch *l, const char *name,
	     const char *fmt, ...)
	     __attribute__((format(printf, 3, 4)));
/* Starts the tick if it is not running. */
void	 launch_tick_start(struct launch *l);
/* Frees l (on the loop) once it is closing and its lists are empty. */
void	 launch_check_closed(struct launch *l);

/* launch-proc.c: child processes */

/*
 * Runs argv (env: NULL = ours) in its own process group. stdin_data, if
 * not NULL, is written to its stdin, which stays open with keep_stdin;
 * capture_out keeps its stdout in outb (stderr's tail is always in errb).
 * on_exit(p) runs once it exited, with data; a deadline_ms > 0 kills it
 * after that long. NULL with err if it could not be started.
 */
struct launch_proc *launch_proc_spawn(struct launch *l, char **argv,
	     char **env, const char *stdin_data, bool keep_stdin,
	     bool capture_out, launch_proc_fn on_exit, void *data,
	     const char *what, uint64_t deadline_ms,
	     struct gl_err *err);
/* sig to p's process group (to p if that fails); no-op once it exited. */
void	 launch_proc_signal(struct launch_proc *p, int sig);
void	 launch_proc_close_stdin(struct launch_proc *p);
/* SIGTERM after term_delay ms (0: now), SIGKILL cluster.stop_grace later. */
void	 launch_proc_stop(struct launch_proc *p, uint64_t term_delay);
/* Appends n bytes to b up to cap: the first cap bytes, or with tail the
 * last. */
void	 launch_buf_add_capped(struct gl_buf *b, const char *p,
	     size_t n, bool tail, size_t cap);

/* launch-local.c */

/* Starts worker w as a local process. */
int	 launch_local_start(struct launch *l, struct launch_worker *w,
	     struct gl_err *err);

/* launch-ssh.c */

/* Starts worker w over ssh on host w->host. */
int	 launch_ssh_start(struct launch *l, struct launch_worker *w,
	     struct gl_err *err);

/* launch-command.c */

/* Runs the start template for w, the i-th of n started together. */
int	 launch_command_start(struct launch *l, struct launch_worker *w,
	     int i, int n, struct gl_err *err);
/* Runs the stop template for w (reported already). */
void	 launch_command_stop(struct launch_worker *w);
/* w's connection was lost long enough ago: stopped, reported ENDED. */
void	 launch_command_lost(struct launch_worker *w);

/* launch-slurm.c */

/* Submits one job for the n workers ws. */
int	 launch_slurm_start(struct launch *l, int n,
	     struct launch_worker **ws, struct gl_err *err);
/* scancels j once none of its workers is wanted. */
void	 launch_job_check_stopped(struct launch_job *j);
/* w's connection was lost long enough ago: reported ENDED, step
 * cancelled. */
void	 launch_slurm_lost(struct launch_worker *w);
/* The tick's part: squeue when due. */
void	 launch_slurm_tick(struct launch *l, uint64_t now);
/* Closing took too long: the jobs left are given up. */
void	 launch_slurm_give_up(struct launch *l);

#endif

/*
 * launch.c - launchers (kernel/launch.h).
 *
 * Design. A struct launch holds three lists:
 *
 *  - workers (struct launch_worker): one per worker name handed out by
 *    launch_start(). A worker is STARTING until the cluster service says
 *    it is up, and `reported` once the kernel must hear nothing more of
 *    it (it was stopped, or its FAILED/ENDED event was given). A reported
 *    worker lingers only while something of it still runs: its process,
 *    its stop command, its Slurm job.
 *  - procs (struct launch_proc): every child process, workers and helper
 *    commands alike (sbatch, squeue, scancel, sacct, stop templates). Each
 *    runs in its own process group (UV_PROCESS_DETACHED) so a signal
 *    reaches what it started; stdout and stderr are pipes read into
 *    buffers (stderr keeps its tail for messages). On exit the pipes are
 *    drained without blocking, the proc's handler runs, and the handles
 *    close; the struct is freed in the last close callback.
 *  - jobs (struct launch_job, Slurm only): one per sbatch. A job is live until
 *    squeue (or sacct) shows it in a terminal state; then its workers
 *    that were not reported are, with the state, and it is freed.
 *
 * One repeating timer (tick, 100 ms, running only while any list is
 * non-empty) does everything time-driven: signals after a grace, helper
 * deadlines, the start timeout, the lost-connection deadline, the Slurm
 * poll. So events reach the callback only from libuv callbacks (an exit,
 * the tick), never from inside a launch_* call, and the callback may call
 * back into the launcher freely: every loop that calls it restarts its
 * walk afterwards, and nothing is freed while a walk holds it.
 *
 * Invariants:
 *  - at most one FAILED or ENDED event per worker, none after launch_stop()
 *    or launch_close();
 *  - a worker struct is freed only when reported and it holds no proc, no
 *    running stop command and no live job;
 *  - a job is freed only when terminal (or given up at close) and not
 *    being submitted;
 *  - l is freed only when closing and all three lists are empty, from the
 *    tick timer's close callback.
 */
#include "kernel/launch.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "core/err.h"
#include "core/mem.h"
#include "core/util.h"

extern char **environ;

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
	/* The kind's configuration, copied (launch_cfg_copy), with its
	 * defaults filled in; only the kind's own struct is set. */
	struct cfg_ssh	 ssh;
	struct cfg_slurm slurm;
	struct cfg_command command;
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

/* --- helpers: strings --- */

static char	**launch_strv_dup(char *const *v, size_t n);
static void	 launch_strv_free(char **v, size_t n);
static void	 launch_sh_quote(struct gl_buf *b, const char *s);
static void	 launch_exit_info(char *buf, size_t n, int64_t status, int sig);
static void	 launch_tail_line(const struct gl_buf *b, char *out, size_t n);
static int	 launch_read_secret(struct launch *l, char **out,
		     struct gl_err *err);
static char	*launch_slurm_bin(struct launch *l, const char *tool);
static char	*launch_strdup_or(const char *s, const char *dflt);
static void	 launch_cfg_ssh_copy(struct cfg_ssh *d,
		     const struct cfg_ssh *s);
static void	 launch_cfg_slurm_copy(struct cfg_slurm *d,
		     const struct cfg_slurm *s, const char *exe);
static void	 launch_cfg_command_copy(struct cfg_command *d,
		     const struct cfg_command *s, const char *exe);
static void	 launch_cfg_fini(struct launch *l);
/* --- processes --- */
static struct launch_proc *launch_proc_spawn(struct launch *l, char **argv,
		     char **env, const char *stdin_data, bool keep_stdin,
		     bool capture_out, launch_proc_fn on_exit, void *data,
		     const char *what, uint64_t deadline_ms,
		     struct gl_err *err);
static void	 launch_proc_signal(struct launch_proc *p, int sig);
static void	 launch_proc_close_stdin(struct launch_proc *p);
static void	 launch_proc_stop(struct launch_proc *p, uint64_t term_delay);
static void	 launch_proc_drain(struct launch_proc *p);
static void	 launch_proc_close(struct launch_proc *p);
static void	 launch_proc_on_exit(uv_process_t *pp, int64_t status, int sig);
static void	 launch_proc_on_alloc(uv_handle_t *h, size_t size,
		     uv_buf_t *buf);
static void	 launch_proc_on_read(uv_stream_t *s, ssize_t n,
		     const uv_buf_t *buf);
static void	 launch_proc_on_close(uv_handle_t *h);
static void	 launch_proc_on_write(uv_write_t *req, int status);
static void	 launch_buf_add_capped(struct gl_buf *b, const char *p,
		     size_t n, bool tail, size_t cap);
/* --- workers --- */
static struct launch_worker *launch_worker_new(struct launch *l);
static struct launch_worker *launch_worker_find(const struct launch *l,
		     const char *name);
static void	 launch_worker_maybe_free(struct launch_worker *w);
static void	 launch_worker_report(struct launch_worker *w,
		     enum launch_event_kind kind, bool not_task_fault,
		     const char *state, int64_t status, int sig,
		     const char *fmt, ...)
		     __attribute__((format(printf, 7, 8)));
static void	 launch_worker_stop(struct launch_worker *w);
static void	 launch_worker_argv(struct launch *l, const char *name,
		     bool stdin_secret, char ***argvp, size_t *np);
static void	 launch_emit(struct launch *l, const struct launch_event *ev);
static void	 launch_notice(struct launch *l, const char *name,
		     const char *fmt, ...)
		     __attribute__((format(printf, 3, 4)));
/* --- kinds --- */
static int	 launch_local_start(struct launch *l, struct launch_worker *w,
		     struct gl_err *err);
static int	 launch_ssh_start(struct launch *l, struct launch_worker *w,
		     struct gl_err *err);
static int	 launch_command_start(struct launch *l, struct launch_worker *w,
		     int i, int n, struct gl_err *err);
static char	*launch_command_expand(struct launch *l, const char *tmpl,
		     const struct launch_worker *w, int i, int n);
static void	 launch_command_stop(struct launch_worker *w);
static int	 launch_slurm_start(struct launch *l, int n,
		     struct launch_worker **ws, struct gl_err *err);
static void	 launch_worker_exited(struct launch_proc *p);
static void	 launch_command_submitted(struct launch_proc *p);
static void	 launch_command_stopped(struct launch_proc *p);
static void	 launch_slurm_sbatch_done(struct launch_proc *p);
static void	 launch_slurm_squeue_done(struct launch_proc *p);
static void	 launch_slurm_steps_done(struct launch_proc *p);
static void	 launch_slurm_scancel_done(struct launch_proc *p);
static void	 launch_slurm_sacct_done(struct launch_proc *p);
static void	 launch_job_cancel(struct launch_job *j);
static void	 launch_job_end(struct launch_job *j, const char *state,
		     const char *reason);
static void	 launch_job_maybe_free(struct launch_job *j);
static void	 launch_job_check_stopped(struct launch_job *j);
static struct launch_job *launch_job_find(struct launch *l, const char *id);
static void	 launch_slurm_poll(struct launch *l);
static void	 launch_slurm_lost(struct launch_worker *w);
static void	 launch_slurm_tick(struct launch *l, uint64_t now);
static void	 launch_slurm_give_up(struct launch *l);
static void	 launch_command_lost(struct launch_worker *w);
static void	 launch_slurm_steps(struct launch_job *j);
static void	 launch_slurm_sacct(struct launch_job *j);
static bool	 launch_slurm_terminal(const char *state);
static bool	 launch_slurm_not_task_fault(const char *state);
/* --- the tick --- */
static void	 launch_tick_start(struct launch *l);
static void	 launch_on_tick(uv_timer_t *t);
static void	 launch_check_closed(struct launch *l);
static void	 launch_on_tick_close(uv_handle_t *h);

struct launch *
launch_new(uv_loop_t *loop, const struct launch_opts *o, launch_cb cb,
    void *ctx, struct gl_err *err)
{
	struct launch		*l = xcalloc(1, sizeof *l);
	struct cfg		*defs = NULL;
	const struct cfg_cluster *cc = o->cfg;
	char			 self[4096], *tmp;
	const char		*galley, *td;
	unsigned char		 rnd[3];
	ssize_t			 n;

	if (cc == NULL) {
		defs = cfg_defaults();
		cc = &defs->cluster;
	}
	l->loop = loop;
	l->kind = cc->launcher;
	l->cb = cb;
	l->ctx = ctx;
	if (o->addr == NULL || o->addr[0] == '\0' || o->secret_file == NULL ||
	    o->secret_file[0] == '\0') {
		gl_err_set(err, GL_EINVAL, "launcher: no %s given",
		    o->addr == NULL || o->addr[0] == '\0' ? "address" :
		    "secret file");
		goto fail;
	}
	l->addr = xstrdup(o->addr);
	l->secret_file = xstrdup(o->secret_file);
	if (o->exe != NULL)
		l->exe = xstrdup(o->exe);
	else {
		if ((n = readlink("/proc/self/exe", self,
		    sizeof self - 1)) < 0) {
			gl_err_set(err, gl_err_from_errno(errno), "launcher: "
			    "cannot find the galley binary: %s",
			    strerror(errno));
			goto fail;
		}
		self[n] = '\0';
		l->exe = xstrdup(self);
	}
	l->prefix = o->name_prefix != NULL ? xstrdup(o->name_prefix) :
	    xasprintf("%s-", cfg_launcher_name(l->kind));
	l->start_timeout_ms = cc->start_timeout_ms;
	if (l->start_timeout_ms < 0)
		l->start_timeout_ms = l->kind == CFG_LAUNCH_LOCAL ? 30000 :
		    l->kind == CFG_LAUNCH_SSH ? 60000 :
		    l->kind == CFG_LAUNCH_COMMAND ? 120000 : 0;
	l->stop_grace_ms = cc->stop_grace_ms;

	switch (l->kind) {
	case CFG_LAUNCH_LOCAL:
		galley = l->exe;
		break;
	case CFG_LAUNCH_SSH:
		if (cc->ssh.nhosts == 0) {
			gl_err_set(err, GL_EINVAL, "launcher ssh: "
			    "cluster.ssh.hosts is empty");
			goto fail;
		}
		launch_cfg_ssh_copy(&l->ssh, &cc->ssh);
		galley = l->ssh.remote_galley;
		break;
	case CFG_LAUNCH_SLURM:
		launch_cfg_slurm_copy(&l->slurm, &cc->slurm, l->exe);
		randombytes_buf(rnd, sizeof rnd);
		snprintf(l->squeue.jobname, sizeof l->squeue.jobname,
		    "galley-%.24s%02x%02x%02x", l->prefix, rnd[0], rnd[1],
		    rnd[2]);
		galley = l->slurm.remote_galley;
		break;
	case CFG_LAUNCH_COMMAND:
		if (cc->command.start == NULL || cc->command.start[0] == '\0') {
			gl_err_set(err, GL_EINVAL, "launcher command: "
			    "cluster.command.start is not set");
			goto fail;
		}
		if (cfg_template_check(cc->command.start,
		    "cluster.command.start", err) != 0 ||
		    (cc->command.stop != NULL && cfg_template_check(
		    cc->command.stop, "cluster.command.stop", err) != 0)) {
			if (err != NULL)
				err->code = GL_EINVAL;
			goto fail;
		}
		launch_cfg_command_copy(&l->command, &cc->command, l->exe);
		galley = l->command.remote_galley;
		break;
	default:
		gl_err_set(err, GL_EINVAL, "launcher: unknown kind %d",
		    (int)l->kind);
		goto fail;
	}
	if (o->worker_argv != NULL && o->worker_argv[0] != NULL) {
		for (n = 0; o->worker_argv[n] != NULL; n++)
			;
		l->wargv = launch_strv_dup((char *const *)o->worker_argv,
		    (size_t)n);
		l->nwargv = (size_t)n;
	} else {
		char	*v[2] = { (char *)galley, "worker" };

		l->wargv = launch_strv_dup(v, 2);
		l->nwargv = 2;
	}
	if (o->work_dir != NULL)
		l->work_dir = xstrdup(o->work_dir);
	else if (l->kind == CFG_LAUNCH_SLURM) {
		td = getenv("TMPDIR");
		tmp = xasprintf("%s/galley-launch-XXXXXX",
		    td != NULL && *td == '/' ? td : "/tmp");
		if (mkdtemp(tmp) == NULL) {
			gl_err_set(err, gl_err_from_errno(errno), "launcher: "
			    "cannot create %s: %s", tmp, strerror(errno));
			free(tmp);
			goto fail;
		}
		l->work_dir = tmp;
		l->own_work_dir = true;
	}
	uv_timer_init(loop, &l->tick);
	l->tick.data = l;
	cfg_free(defs);
	return l;
fail:
	cfg_free(defs);
	free(l->addr);
	free(l->secret_file);
	free(l->exe);
	free(l->prefix);
	launch_cfg_fini(l);
	launch_strv_free(l->wargv, l->nwargv);
	free(l);
	return NULL;
}

int
launch_start(struct launch *l, int n, char **names, struct gl_err *err)
{
	struct launch_worker **ws = NULL;
	int		 started = 0, rc = 0;
	size_t		*load = NULL;
	struct launch_worker *w;

	if (l->closing)
		return gl_err_set(err, GL_ECLOSED, "launcher: closing");
	if (n <= 0)
		return 0;
	if (l->kind == CFG_LAUNCH_SLURM) {
		ws = xcalloc((size_t)n, sizeof *ws);
		for (int i = 0; i < n; i++)
			ws[i] = launch_worker_new(l);
		if ((rc = launch_slurm_start(l, n, ws, err)) != 0) {
			for (int i = 0; i < n; i++) {
				ws[i]->reported = true;
				launch_worker_maybe_free(ws[i]);
			}
			free(ws);
			return rc;
		}
		for (int i = 0; i < n; i++)
			if (names != NULL)
				names[i] = xstrdup(ws[i]->name);
		free(ws);
		launch_tick_start(l);
		return n;
	}
	if (l->kind == CFG_LAUNCH_SSH) {
		load = xcalloc(l->ssh.nhosts, sizeof *load);
		for (w = l->workers; w != NULL; w = w->next)
			if (w->host >= 0 && !w->reported)
				load[w->host]++;
	}
	for (int i = 0; i < n; i++) {
		w = launch_worker_new(l);
		switch (l->kind) {
		case CFG_LAUNCH_SSH: {
			size_t	 best = 0;

			for (size_t h = 1; h < l->ssh.nhosts; h++)
				if (load[h] < load[best])
					best = h;
			if (load[best] >= (size_t)l->ssh.workers_per_host) {
				rc = gl_err_set(err, GL_ELIMIT, "launcher ssh: "
				    "all %zu host%s already run %d worker%s "
				    "(cluster.ssh.workers_per_host)",
				    l->ssh.nhosts, l->ssh.nhosts == 1 ? "" :
				    "s", l->ssh.workers_per_host,
				    l->ssh.workers_per_host == 1 ? "" : "s");
				break;
			}
			w->host = (int)best;
			if ((rc = launch_ssh_start(l, w, err)) == 0)
				load[best]++;
			break;
		}
		case CFG_LAUNCH_COMMAND:
			rc = launch_command_start(l, w, i, n, err);
			break;
		default:
			rc = launch_local_start(l, w, err);
			break;
		}
		if (rc != 0) {
			w->reported = true;
			launch_worker_maybe_free(w);
			break;
		}
		if (names != NULL)
			names[started] = xstrdup(w->name);
		started++;
	}
	free(load);
	if (started > 0)
		launch_tick_start(l);
	return started > 0 ? started : rc;
}

int
launch_worker_up(struct launch *l, const char *name)
{
	struct launch_worker	*w = launch_worker_find(l, name);

	if (w == NULL)
		return GL_ENOTFOUND;
	w->state = LAUNCH_WORKER_UP;
	w->cancel_step = false;
	return 0;
}

int
launch_worker_lost(struct launch *l, const char *name)
{
	struct launch_worker *w = launch_worker_find(l, name);
	uint64_t	 now = uv_now(l->loop);

	if (w == NULL)
		return GL_ENOTFOUND;
	if (w->lost)
		return 0;
	w->lost = true;
	if (l->kind == CFG_LAUNCH_SLURM) {
		w->lost_at = now + LAUNCH_LOST_SLURM_MS;
		l->squeue.poll_now = true;
	} else if (w->proc != NULL && !(l->kind == CFG_LAUNCH_COMMAND &&
	    l->command.stop != NULL))
		w->lost_at = now + LAUNCH_LOST_MS;
	else
		w->lost_at = now;	/* decided at the next tick */
	launch_tick_start(l);
	return 0;
}

int
launch_stop(struct launch *l, const char *name)
{
	struct launch_worker	*w = launch_worker_find(l, name);

	if (w == NULL)
		return GL_ENOTFOUND;
	launch_worker_stop(w);
	return 0;
}

void
launch_stop_all(struct launch *l)
{
	struct launch_worker	*w, *next;

	for (w = l->workers; w != NULL; w = next) {
		next = w->next;
		if (!w->reported)
			launch_worker_stop(w);
	}
	/* Jobs whose workers all went already (reported) but still run. */
	for (struct launch_job *j = l->jobs; j != NULL; j = j->next)
		launch_job_check_stopped(j);
}

int
launch_count(const struct launch *l)
{
	int	 n = 0;

	for (struct launch_worker *w = l->workers; w != NULL; w = w->next)
		if (!w->reported)
			n++;
	return n;
}

bool
launch_idle(const struct launch *l)
{
	return l->workers == NULL && l->procs == NULL && l->jobs == NULL;
}

const char *
launch_kind(const struct launch *l)
{
	return cfg_launcher_name(l->kind);
}

const char *
launch_slurm_job_name(const struct launch *l)
{
	return l->kind == CFG_LAUNCH_SLURM ? l->squeue.jobname : NULL;
}

void
launch_close(struct launch *l, void (*on_closed)(void *ctx,
    const char *problem), void *ctx)
{
	if (l->closing)
		return;
	launch_stop_all(l);
	l->closing = true;
	l->on_closed = on_closed;
	l->closed_ctx = ctx;
	l->close_deadline = uv_now(l->loop) + LAUNCH_CLOSE_MS;
	launch_tick_start(l);
}

/* --- the configuration --- */

/* Copies of the kind's configuration (kernel/config.h), defaults filled
 * in: the launcher outlives the cluster service's struct cfg (a closing
 * launcher still stops workers after the configuration was reloaded). */
static void
launch_cfg_ssh_copy(struct cfg_ssh *d, const struct cfg_ssh *s)
{
	d->hosts = launch_strv_dup(s->hosts, s->nhosts);
	d->nhosts = s->nhosts;
	d->workers_per_host = s->workers_per_host > 0 ? s->workers_per_host :
	    1;
	d->options = launch_strv_dup(s->options, s->noptions);
	d->noptions = s->noptions;
	d->identity_file = launch_strdup_or(s->identity_file, NULL);
	d->remote_galley = launch_strdup_or(s->remote_galley, "galley");
	d->command = launch_strdup_or(s->command, "ssh");
}

static void
launch_cfg_slurm_copy(struct cfg_slurm *d, const struct cfg_slurm *s,
    const char *exe)
{
	d->partition = launch_strdup_or(s->partition, NULL);
	d->time_limit = launch_strdup_or(s->time_limit, NULL);
	d->cpus_per_worker = s->cpus_per_worker > 0 ? s->cpus_per_worker : 1;
	d->mem_per_worker = launch_strdup_or(s->mem_per_worker, NULL);
	d->account = launch_strdup_or(s->account, NULL);
	d->extra_sbatch_flags = launch_strv_dup(s->extra_sbatch_flags,
	    s->nextra_sbatch_flags);
	d->nextra_sbatch_flags = s->nextra_sbatch_flags;
	d->remote_galley = launch_strdup_or(s->remote_galley, exe);
	d->poll_interval_ms = s->poll_interval_ms >= 100 ?
	    s->poll_interval_ms : 2000;
	d->bin_dir = launch_strdup_or(s->bin_dir, NULL);
}

static void
launch_cfg_command_copy(struct cfg_command *d, const struct cfg_command *s,
    const char *exe)
{
	d->start = launch_strdup_or(s->start, NULL);
	d->stop = s->stop != NULL && s->stop[0] != '\0' ? xstrdup(s->stop) :
	    NULL;
	d->cpus_per_worker = s->cpus_per_worker > 0 ? s->cpus_per_worker : 1;
	d->mem_per_worker = launch_strdup_or(s->mem_per_worker, "");
	d->secret_on_stdin = s->secret_on_stdin;
	d->remote_galley = launch_strdup_or(s->remote_galley, exe);
}

static void
launch_cfg_fini(struct launch *l)
{
	launch_strv_free(l->ssh.hosts, l->ssh.nhosts);
	launch_strv_free(l->ssh.options, l->ssh.noptions);
	free(l->ssh.identity_file);
	free(l->ssh.remote_galley);
	free(l->ssh.command);
	free(l->slurm.partition);
	free(l->slurm.time_limit);
	free(l->slurm.mem_per_worker);
	free(l->slurm.account);
	launch_strv_free(l->slurm.extra_sbatch_flags,
	    l->slurm.nextra_sbatch_flags);
	free(l->slurm.remote_galley);
	free(l->slurm.bin_dir);
	free(l->command.start);
	free(l->command.stop);
	free(l->command.mem_per_worker);
	free(l->command.remote_galley);
}

/* --- strings --- */

/* A copy of s, else of dflt; NULL if both are. */
static char *
launch_strdup_or(const char *s, const char *dflt)
{
	if (s == NULL)
		s = dflt;
	return s != NULL ? xstrdup(s) : NULL;
}

static char **
launch_strv_dup(char *const *v, size_t n)
{
	char	**d;

	if (n == 0)
		return NULL;
	d = xcalloc(n + 1, sizeof *d);
	for (size_t i = 0; i < n; i++)
		d[i] = xstrdup(v[i]);
	return d;
}

static void
launch_strv_free(char **v, size_t n)
{
	if (v == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* Appends s as one word for /bin/sh: as it is when it is plain, else in
 * single quotes. */
static void
launch_sh_quote(struct gl_buf *b, const char *s)
{
	const char	*p;
	bool		 plain = *s != '\0';

	for (p = s; *p != '\0' && plain; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("@%+=:,./_-", *p)))
			plain = false;
	if (plain) {
		gl_buf_adds(b, s);
		return;
	}
	gl_buf_addc(b, '\'');
	for (p = s; *p != '\0'; p++) {
		if (*p == '\'')
			gl_buf_adds(b, "'\\''");
		else
			gl_buf_addc(b, *p);
	}
	gl_buf_addc(b, '\'');
}

static void
launch_exit_info(char *buf, size_t n, int64_t status, int sig)
{
	if (sig != 0)
		snprintf(buf, n, "killed by signal %d", sig);
	else
		snprintf(buf, n, "exit status %lld", (long long)status);
}

/* The last lines of what a process wrote (up to n bytes), on one line:
 * newlines become " | ". Empty if nothing. */
static void
launch_tail_line(const struct gl_buf *b, char *out, size_t n)
{
	size_t		 len = b->len, start, o = 0;
	const char	*p = b->data;

	out[0] = '\0';
	if (p == NULL)
		return;
	while (len > 0 && (p[len - 1] == '\n' || p[len - 1] == '\r' ||
	    p[len - 1] == ' '))
		len--;
	start = len > n - 1 ? len - (n - 1) : 0;
	/* Start at a line's beginning when one is in reach. */
	for (size_t i = start; i < len && start > 0; i++)
		if (p[i] == '\n') {
			start = i + 1;
			break;
		}
	for (size_t i = start; i < len && o + 4 < n; i++) {
		if (p[i] == '\n') {
			memcpy(out + o, " | ", 3);
			o += 3;
		} else if (p[i] != '\r')
			out[o++] = (unsigned char)p[i] < 0x20 ? ' ' : p[i];
	}
	out[o] = '\0';
}

static int
launch_read_secret(struct launch *l, char **out, struct gl_err *err)
{
	size_t	 len;
	int	 rc;

	if ((rc = gl_file_read(l->secret_file, out, &len, err)) != 0) {
		gl_err_prefix(err, "launcher: the cluster secret");
		return rc;
	}
	while (len > 0 && ((*out)[len - 1] == '\n' || (*out)[len - 1] == '\r' ||
	    (*out)[len - 1] == ' ' || (*out)[len - 1] == '\t'))
		(*out)[--len] = '\0';
	if (len == 0 || strchr(*out, '\n') != NULL) {
		free(*out);
		*out = NULL;
		return gl_err_set(err, GL_EINVAL,
		    "launcher: the cluster secret "
		    "%s is empty or holds more than one line", l->secret_file);
	}
	return 0;
}

static char *
launch_slurm_bin(struct launch *l, const char *tool)
{
	if (l->slurm.bin_dir != NULL)
		return xasprintf("%s/%s", l->slurm.bin_dir, tool);
	return xstrdup(tool);
}

/* --- processes --- */

static struct launch_proc *
launch_proc_spawn(struct launch *l, char **argv, char **env,
    const char *stdin_data, bool keep_stdin, bool capture_out,
    launch_proc_fn on_exit, void *data, const char *what, uint64_t deadline_ms,
    struct gl_err *err)
{
	struct launch_proc	*p = xcalloc(1, sizeof *p);
	uv_process_options_t	 o;
	uv_stdio_container_t	 io[3];
	uv_write_t		*wr;
	uv_buf_t		 b;
	size_t			 len;
	int			 rc;

	p->l = l;
	p->on_exit = on_exit;
	p->data = data;
	snprintf(p->what, sizeof p->what, "%s", what);
	gl_buf_init(&p->outb);
	gl_buf_init(&p->errb);
	p->has_in = stdin_data != NULL;
	p->has_out = capture_out;
	memset(io, 0, sizeof io);
	memset(&o, 0, sizeof o);
	if (p->has_in) {
		uv_pipe_init(l->loop, &p->in, 0);
		p->in.data = p;
		io[0].flags = UV_CREATE_PIPE | UV_READABLE_PIPE;
		io[0].data.stream = (uv_stream_t *)&p->in;
	} else
		io[0].flags = UV_IGNORE;
	if (p->has_out) {
		uv_pipe_init(l->loop, &p->out, 0);
		p->out.data = p;
		io[1].flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE;
		io[1].data.stream = (uv_stream_t *)&p->out;
	} else
		io[1].flags = UV_IGNORE;
	uv_pipe_init(l->loop, &p->err, 0);
	p->err.data = p;
	io[2].flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE;
	io[2].data.stream = (uv_stream_t *)&p->err;
	p->proc.data = p;
	o.exit_cb = launch_proc_on_exit;
	o.file = argv[0];
	o.args = argv;
	o.env = env;
	o.flags = UV_PROCESS_DETACHED;
	o.stdio_count = 3;
	o.stdio = io;
	/* Linked first: launch_proc_close() unlinks it when its handles
	 * are gone. */
	p->next = l->procs;
	if (l->procs != NULL)
		l->procs->prev = p;
	l->procs = p;
	if ((rc = uv_spawn(l->loop, &p->proc, &o)) != 0) {
		gl_err_set(err, rc == UV_ENOENT ? GL_ENOTFOUND : GL_EIO,
		    "launcher: cannot run %s: %s", argv[0], uv_strerror(rc));
		p->exited = true;
		p->on_exit = NULL;
		p->data = NULL;
		launch_proc_close(p);
		return NULL;
	}
	p->pid = p->proc.pid;
	if (p->has_out)
		uv_read_start((uv_stream_t *)&p->out, launch_proc_on_alloc,
		    launch_proc_on_read);
	uv_read_start((uv_stream_t *)&p->err, launch_proc_on_alloc,
	    launch_proc_on_read);
	if (p->has_in) {
		len = strlen(stdin_data);
		wr = xmalloc(sizeof *wr + len + 1);
		memcpy((char *)(wr + 1), stdin_data, len);
		b = uv_buf_init((char *)(wr + 1), (unsigned)len);
		wr->data = p;
		if (len == 0 || uv_write(wr, (uv_stream_t *)&p->in, &b, 1,
		    launch_proc_on_write) != 0)
			free(wr);
		if (!keep_stdin)
			launch_proc_close_stdin(p);
	}
	if (deadline_ms > 0)
		p->kill_at = uv_now(l->loop) + deadline_ms;
	return p;
}

static void
launch_proc_on_write(uv_write_t *req, int status)
{
	(void)status;	/* a failed write: the process is going */
	free(req);
}

static void
launch_proc_signal(struct launch_proc *p, int sig)
{
	if (p->exited || p->pid <= 0)
		return;
	if (kill(-p->pid, sig) != 0)
		kill(p->pid, sig);
}

static void
launch_proc_close_stdin(struct launch_proc *p)
{
	if (!p->has_in || uv_is_closing((uv_handle_t *)&p->in))
		return;
	p->pending++;
	uv_close((uv_handle_t *)&p->in, launch_proc_on_close);
}

/* SIGTERM after term_delay ms (0: now), SIGKILL a grace later. */
static void
launch_proc_stop(struct launch_proc *p, uint64_t term_delay)
{
	struct launch	*l = p->l;
	uint64_t	 now = uv_now(l->loop), grace;

	if (p->exited)
		return;
	grace = l->stop_grace_ms > 0 ? (uint64_t)l->stop_grace_ms : 0;
	if (term_delay == 0 && !p->term_sent) {
		p->term_sent = true;
		launch_proc_signal(p, SIGTERM);
	} else if (p->term_at == 0 || p->term_at > now + term_delay)
		p->term_at = now + term_delay;
	if (p->kill_at == 0 || p->kill_at > now + term_delay + grace)
		p->kill_at = now + term_delay + grace;
	if (grace == 0 && term_delay == 0) {
		p->kill_sent = true;
		launch_proc_signal(p, SIGKILL);
	}
	launch_tick_start(l);
}

static void
launch_buf_add_capped(struct gl_buf *b, const char *p, size_t n, bool tail,
    size_t cap)
{
	if (!tail) {
		if (b->len >= cap)
			return;
		gl_buf_add(b, p, n > cap - b->len ? cap - b->len : n);
		return;
	}
	if (n >= cap) {
		gl_buf_reset(b);
		gl_buf_add(b, p + n - cap, cap);
		return;
	}
	if (b->len + n > cap) {
		size_t drop = b->len + n - cap;

		memmove(b->data, b->data + drop, b->len - drop);
		b->len -= drop;
		b->data[b->len] = '\0';
	}
	gl_buf_add(b, p, n);
}

static void
launch_proc_on_alloc(uv_handle_t *h, size_t size, uv_buf_t *buf)
{
	struct launch_proc	*p = h->data;

	(void)size;
	*buf = uv_buf_init(p->l->rbuf, sizeof p->l->rbuf);
}

static void
launch_proc_on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct launch_proc	*p = s->data;

	if (n < 0) {
		uv_read_stop(s);
		return;
	}
	if (n == 0)
		return;
	if (s == (uv_stream_t *)&p->out)
		launch_buf_add_capped(&p->outb, buf->base, (size_t)n, false,
		    LAUNCH_OUT_MAX);
	else
		launch_buf_add_capped(&p->errb, buf->base, (size_t)n, true,
		    LAUNCH_ERR_TAIL);
}

/* Reads what the pipes hold now, without blocking (libuv's pipe fds are
 * non-blocking). A grandchild may keep them open: EOF is not waited for. */
static void
launch_proc_drain(struct launch_proc *p)
{
	uv_os_fd_t	 fd;
	ssize_t		 n;

	for (int k = 0; k < 2; k++) {
		uv_pipe_t *pp = k == 0 ? &p->out : &p->err;

		if ((k == 0 && !p->has_out) ||
		    uv_is_closing((uv_handle_t *)pp) ||
		    uv_fileno((uv_handle_t *)pp, &fd) != 0)
			continue;
		for (int i = 0; i < 64; i++) {
			n = read(fd, p->l->rbuf, sizeof p->l->rbuf);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break;
			if (k == 0)
				launch_buf_add_capped(&p->outb, p->l->rbuf,
				    (size_t)n, false, LAUNCH_OUT_MAX);
			else
				launch_buf_add_capped(&p->errb, p->l->rbuf,
				    (size_t)n, true, LAUNCH_ERR_TAIL);
		}
	}
}

static void
launch_proc_on_exit(uv_process_t *pp, int64_t status, int sig)
{
	struct launch_proc	*p = pp->data;

	p->exited = true;
	p->status = status;
	p->sig = sig;
	launch_proc_drain(p);
	if (p->on_exit != NULL)
		p->on_exit(p);
	p->on_exit = NULL;
	launch_proc_close(p);
}

static void
launch_proc_close(struct launch_proc *p)
{
	if (p->closing)
		return;
	p->closing = true;
	p->pending++;
	uv_close((uv_handle_t *)&p->proc, launch_proc_on_close);
	if (p->has_in && !uv_is_closing((uv_handle_t *)&p->in)) {
		p->pending++;
		uv_close((uv_handle_t *)&p->in, launch_proc_on_close);
	}
	if (p->has_out) {
		p->pending++;
		uv_close((uv_handle_t *)&p->out, launch_proc_on_close);
	}
	p->pending++;
	uv_close((uv_handle_t *)&p->err, launch_proc_on_close);
}

static void
launch_proc_on_close(uv_handle_t *h)
{
	struct launch_proc *p = h->data;
	struct launch	*l = p->l;

	if (--p->pending > 0 || !p->closing)
		return;
	if (p->prev != NULL)
		p->prev->next = p->next;
	else
		l->procs = p->next;
	if (p->next != NULL)
		p->next->prev = p->prev;
	gl_buf_fini(&p->outb);
	gl_buf_fini(&p->errb);
	free(p->arg);
	free(p);
	launch_check_closed(l);
}

/* --- workers --- */

static struct launch_worker *
launch_worker_new(struct launch *l)
{
	struct launch_worker	*w = xcalloc(1, sizeof *w);

	w->l = l;
	w->name = xasprintf("%s%llu", l->prefix,
	    (unsigned long long)++l->seq);
	w->host = -1;
	w->state = LAUNCH_WORKER_STARTING;
	w->started_ms = uv_now(l->loop);
	w->next = l->workers;
	if (l->workers != NULL)
		l->workers->prev = w;
	l->workers = w;
	return w;
}

static struct launch_worker *
launch_worker_find(const struct launch *l, const char *name)
{
	for (struct launch_worker *w = l->workers; w != NULL; w = w->next)
		if (!w->reported && strcmp(w->name, name) == 0)
			return w;
	return NULL;
}

static void
launch_worker_maybe_free(struct launch_worker *w)
{
	struct launch	*l = w->l;

	if (!w->reported || w->proc != NULL || w->stop_running ||
	    w->job != NULL)
		return;
	if (w->prev != NULL)
		w->prev->next = w->next;
	else
		l->workers = w->next;
	if (w->next != NULL)
		w->next->prev = w->prev;
	free(w->name);
	free(w->id);
	free(w);
	launch_check_closed(l);
}

static void
launch_emit(struct launch *l, const struct launch_event *ev)
{
	if (l->closing || l->cb == NULL)
		return;
	l->cb(l->ctx, ev);
}

static void
launch_notice(struct launch *l, const char *name, const char *fmt, ...)
{
	struct launch_event	 ev;
	char			 msg[1024];
	va_list			 ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	memset(&ev, 0, sizeof ev);
	ev.kind = LAUNCH_EV_NOTICE;
	ev.name = name;
	ev.exit_status = -1;
	ev.msg = msg;
	launch_emit(l, &ev);
}

/*
 * The worker's end, told once: marks it reported, then calls the callback
 * (which may do anything, launch_close() included), then frees it if
 * nothing of it runs. kind FAILED becomes ENDED for a worker that was up.
 */
static void
launch_worker_report(struct launch_worker *w, enum launch_event_kind kind,
    bool not_task_fault, const char *state, int64_t status, int sig,
    const char *fmt, ...)
{
	struct launch		*l = w->l;
	struct launch_event	 ev;
	char			 msg[1536], name[128];
	size_t			 o;
	va_list			 ap;

	if (w->reported)
		return;
	w->reported = true;
	snprintf(name, sizeof name, "%s", w->name);
	if (kind == LAUNCH_EV_FAILED && w->state == LAUNCH_WORKER_UP)
		kind = LAUNCH_EV_ENDED;
	o = (size_t)snprintf(msg, sizeof msg, "worker %s: ", name);
	va_start(ap, fmt);
	vsnprintf(msg + o, sizeof msg - o, fmt, ap);
	va_end(ap);
	memset(&ev, 0, sizeof ev);
	ev.kind = kind;
	ev.name = name;
	ev.not_task_fault = not_task_fault;
	ev.state = state;
	ev.exit_status = (int)status;
	ev.term_signal = sig;
	ev.msg = msg;
	launch_worker_maybe_free(w);		/* w may be gone from here on */
	launch_emit(l, &ev);
}

static void
launch_worker_stop(struct launch_worker *w)
{
	struct launch	*l = w->l;

	if (w->reported)
		return;
	w->reported = true;
	switch (l->kind) {
	case CFG_LAUNCH_SLURM:
		if (w->job != NULL) {
			w->cancel_step = true;
			launch_job_check_stopped(w->job);
			l->squeue.poll_now = true;
		}
		break;
	case CFG_LAUNCH_COMMAND:
		if (l->command.stop != NULL) {
			if (w->proc != NULL)
				w->stop_wanted = true;
			else
				launch_command_stop(w);
			break;
		}
		/* The start command is the worker: */
		/* FALLTHROUGH */
	default:
		if (w->proc != NULL) {
			if (w->proc->has_in) {
				/* EOF first: the worker exits by itself. */
				launch_proc_close_stdin(w->proc);
				launch_proc_stop(w->proc, l->stop_grace_ms > 0 ?
				    (uint64_t)l->stop_grace_ms : 0);
			} else
				launch_proc_stop(w->proc, 0);
		}
		break;
	}
	launch_tick_start(l);
	launch_worker_maybe_free(w);
}

/* The worker's command line: the program, then --connect, --secret-file
 * (the path, or "-" when the secret comes on stdin) and --name. */
static void
launch_worker_argv(struct launch *l, const char *name, bool stdin_secret,
    char ***argvp, size_t *np)
{
	size_t	 n = l->nwargv + 6, i;
	char	**v = xcalloc(n + 1, sizeof *v);

	for (i = 0; i < l->nwargv; i++)
		v[i] = xstrdup(l->wargv[i]);
	v[i++] = xstrdup("--connect");
	v[i++] = xstrdup(l->addr);
	v[i++] = xstrdup("--secret-file");
	v[i++] = xstrdup(stdin_secret ? "-" : l->secret_file);
	v[i++] = xstrdup("--name");
	v[i++] = xstrdup(name);
	*argvp = v;
	*np = n;
}

/* --- local --- */

static int
launch_local_start(struct launch *l, struct launch_worker *w,
    struct gl_err *err)
{
	char	**argv;
	size_t	 n;

	launch_worker_argv(l, w->name, false, &argv, &n);
	w->proc = launch_proc_spawn(l, argv, NULL, NULL, false, false,
	    launch_worker_exited, w, "worker", 0, err);
	launch_strv_free(argv, n);
	if (w->proc == NULL) {
		gl_err_prefix(err, "worker %s", w->name);
		return err != NULL ? err->code : GL_EIO;
	}
	return 0;
}

/* A worker's process ended (local, ssh, a command without stop). */
static void
launch_worker_exited(struct launch_proc *p)
{
	struct launch_worker *w = p->data;
	struct launch	*l = p->l;
	char		 how[64], tail[LAUNCH_ERR_TAIL + 64];
	bool		 ssh = l->kind == CFG_LAUNCH_SSH;

	w->proc = NULL;
	if (w->reported) {
		launch_worker_maybe_free(w);
		return;
	}
	launch_exit_info(how, sizeof how, p->status, p->sig);
	launch_tail_line(&p->errb, tail, sizeof tail);
	if (ssh && p->status == 255 && p->sig == 0)
		snprintf(how, sizeof how, "ssh failed (exit status 255)");
	if (w->lost)
		launch_worker_report(w, LAUNCH_EV_ENDED, false, NULL, p->status,
		    p->sig, "connection lost; %s%s%s%s", p->sig == SIGKILL &&
		    p->kill_sent ? "then killed: " : "", how,
		    tail[0] != '\0' ? ": " : "", tail);
	else if (w->state == LAUNCH_WORKER_STARTING)
		launch_worker_report(w, LAUNCH_EV_FAILED, false, NULL,
		    p->status, p->sig, "%sexited before it connected: %s%s%s",
		    ssh ? "ssh session " : "", how,
		    tail[0] != '\0' ? ": " : "", tail);
	else
		launch_worker_report(w, LAUNCH_EV_ENDED, false, NULL, p->status,
		    p->sig, "%s%s%s%s", ssh ? "ssh session ended: " :
		    "exited: ", how, tail[0] != '\0' ? ": " : "", tail);
}

/* --- ssh --- */

static int
launch_ssh_start(struct launch *l, struct launch_worker *w, struct gl_err *err)
{
	const char	*spec = l->ssh.hosts[w->host];
	char		*host = NULL, *port = NULL, *secret = NULL, *line;
	char		**wargv, **argv = NULL;
	const char	*c;
	size_t		 nw, n = 0, cap;
	struct gl_buf	 cmd;
	int		 rc;

	if ((rc = launch_read_secret(l, &secret, err)) != 0)
		return rc;
	/* user@host:port, [v6]:port, host */
	if (spec[0] == '[' && (c = strchr(spec, ']')) != NULL) {
		host = xstrndup(spec + 1, (size_t)(c - spec - 1));
		if (c[1] == ':')
			port = xstrdup(c + 2);
	} else if ((c = strrchr(spec, ':')) != NULL &&
	    strchr(spec, ':') == c && c[1] != '\0') {
		host = xstrndup(spec, (size_t)(c - spec));
		port = xstrdup(c + 1);
	} else
		host = xstrdup(spec);
	if (host[0] == '@' || strchr(host, '[') != NULL) {
		/* "user@[v6]:port" */
		char *at = strchr(spec, '@');

		if (at != NULL && at[1] == '[' && (c = strchr(at, ']'))) {
			free(host);
			free(port);
			port = c[1] == ':' ? xstrdup(c + 2) : NULL;
			host = xasprintf("%.*s@%.*s", (int)(at - spec), spec,
			    (int)(c - at - 2), at + 2);
		}
	}
	launch_worker_argv(l, w->name, true, &wargv, &nw);
	gl_buf_init(&cmd);
	gl_buf_adds(&cmd, "exec");
	for (size_t i = 0; i < nw; i++) {
		gl_buf_addc(&cmd, ' ');
		launch_sh_quote(&cmd, wargv[i]);
	}
	launch_strv_free(wargv, nw);
	cap = 16 + 2 * l->ssh.noptions;
	argv = xcalloc(cap + 1, sizeof *argv);
	argv[n++] = xstrdup(l->ssh.command);
	argv[n++] = xstrdup("-T");
	argv[n++] = xstrdup("-o");
	argv[n++] = xstrdup("BatchMode=yes");
	argv[n++] = xstrdup("-o");
	argv[n++] = xstrdup("ServerAliveInterval=10");
	argv[n++] = xstrdup("-o");
	argv[n++] = xstrdup("ConnectTimeout=20");
	if (port != NULL) {
		argv[n++] = xstrdup("-p");
		argv[n++] = xstrdup(port);
	}
	if (l->ssh.identity_file != NULL) {
		argv[n++] = xstrdup("-i");
		argv[n++] = xstrdup(l->ssh.identity_file);
	}
	for (size_t i = 0; i < l->ssh.noptions; i++) {
		argv[n++] = xstrdup("-o");
		argv[n++] = xstrdup(l->ssh.options[i]);
	}
	argv[n++] = xstrdup("--");
	argv[n++] = xstrdup(host);
	argv[n++] = gl_buf_take(&cmd, NULL);
	line = xasprintf("%s\n", secret);
	sodium_memzero(secret, strlen(secret));
	free(secret);
	w->proc = launch_proc_spawn(l, argv, NULL, line, true, false,
	    launch_worker_exited, w, "ssh", 0, err);
	sodium_memzero(line, strlen(line));
	free(line);
	launch_strv_free(argv, n);
	free(host);
	free(port);
	if (w->proc == NULL) {
		gl_err_prefix(err, "worker %s on %s", w->name, spec);
		return err != NULL ? err->code : GL_EIO;
	}
	return 0;
}

/* --- command --- */

/* Environment for a template: ours plus GALLEY_* values. Caller frees. */
static char **
launch_command_env(struct launch *l, const struct launch_worker *w,
    const char *worker_cmd)
{
	size_t	 n = 0, i;
	char	**e;

	while (environ[n] != NULL)
		n++;
	e = xcalloc(n + 6, sizeof *e);
	for (i = 0; i < n; i++)
		e[i] = xstrdup(environ[i]);
	e[i++] = xasprintf("GALLEY_ADDR=%s", l->addr);
	e[i++] = xasprintf("GALLEY_SECRET_FILE=%s", l->secret_file);
	e[i++] = xasprintf("GALLEY_WORKER_NAME=%s", w->name);
	e[i++] = xasprintf("GALLEY_WORKER_CMD=%s", worker_cmd);
	e[i++] = xasprintf("GALLEY_WORKER_ID=%s", w->id != NULL ? w->id : "");
	e[i] = NULL;
	return e;
}

static void
launch_env_free(char **e)
{
	if (e == NULL)
		return;
	for (size_t i = 0; e[i] != NULL; i++)
		free(e[i]);
	free(e);
}

static char *
launch_worker_cmd_line(struct launch *l, const struct launch_worker *w,
    bool stdin_secret)
{
	struct gl_buf	 b;
	char		**v;
	size_t		 n;

	launch_worker_argv(l, w->name, stdin_secret, &v, &n);
	gl_buf_init(&b);
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			gl_buf_addc(&b, ' ');
		launch_sh_quote(&b, v[i]);
	}
	launch_strv_free(v, n);
	return gl_buf_take(&b, NULL);
}

/* Expands a template (checked by cfg_template_check at launch_new). */
static char *
launch_command_expand(struct launch *l, const char *tmpl,
    const struct launch_worker *w, int i, int n)
{
	struct gl_buf	 b;
	const char	*p, *q;
	char		 num[32], *wc;
	size_t		 k;

	gl_buf_init(&b);
	wc = launch_worker_cmd_line(l, w, l->command.secret_on_stdin);
	for (p = tmpl; *p != '\0'; p++) {
		if (*p != '{' || (p > tmpl && p[-1] == '$')) {
			gl_buf_addc(&b, *p);
			continue;
		}
		if (p[1] == '{') {
			gl_buf_addc(&b, '{');
			p++;
			continue;
		}
		if ((q = strchr(p, '}')) == NULL) {
			gl_buf_adds(&b, p);
			break;
		}
		k = (size_t)(q - p - 1);
#define IS(s) (k == strlen(s) && strncmp(p + 1, (s), k) == 0)
		if (IS("addr"))
			launch_sh_quote(&b, l->addr);
		else if (IS("secret_file"))
			launch_sh_quote(&b, l->secret_file);
		else if (IS("name"))
			launch_sh_quote(&b, w->name);
		else if (IS("n") || IS("i") || IS("cpus")) {
			snprintf(num, sizeof num, "%d", IS("n") ? n :
			    IS("i") ? i : l->command.cpus_per_worker);
			gl_buf_adds(&b, num);
		} else if (IS("galley"))
			launch_sh_quote(&b, l->command.remote_galley);
		else if (IS("mem"))
			launch_sh_quote(&b, l->command.mem_per_worker);
		else if (IS("worker_cmd"))
			gl_buf_adds(&b, wc);
		else if (IS("id"))
			launch_sh_quote(&b, w->id != NULL ? w->id : "");
		else
			gl_buf_add(&b, p, k + 2);
#undef IS
		p = q;
	}
	free(wc);
	return gl_buf_take(&b, NULL);
}

static int
launch_command_start(struct launch *l, struct launch_worker *w, int i, int n,
    struct gl_err *err)
{
	char	*cmd, *wc, **env, *secret = NULL, *line = NULL;
	char	*argv[4];
	int	 rc;

	if (l->command.secret_on_stdin &&
	    (rc = launch_read_secret(l, &secret, err)) != 0)
		return rc;
	cmd = launch_command_expand(l, l->command.start, w, i, n);
	wc = launch_worker_cmd_line(l, w, l->command.secret_on_stdin);
	env = launch_command_env(l, w, wc);
	argv[0] = "/bin/sh";
	argv[1] = "-c";
	argv[2] = cmd;
	argv[3] = NULL;
	if (secret != NULL) {
		line = xasprintf("%s\n", secret);
		sodium_memzero(secret, strlen(secret));
		free(secret);
	}
	w->proc = launch_proc_spawn(l, argv, env, line, l->command.stop == NULL,
	    l->command.stop != NULL, l->command.stop != NULL ?
	    launch_command_submitted : launch_worker_exited, w, "start command",
	    0, err);
	if (line != NULL) {
		sodium_memzero(line, strlen(line));
		free(line);
	}
	launch_env_free(env);
	free(wc);
	free(cmd);
	if (w->proc == NULL) {
		gl_err_prefix(err, "worker %s", w->name);
		return err != NULL ? err->code : GL_EIO;
	}
	return 0;
}

/* The start command of a launcher with a stop template ended: it
 * submitted the worker (exit 0; its last stdout line is the id) or not. */
static void
launch_command_submitted(struct launch_proc *p)
{
	struct launch_worker *w = p->data;
	char		 how[64], tail[LAUNCH_ERR_TAIL + 64];
	const char	*s, *e;

	w->proc = NULL;
	if (p->status == 0 && p->sig == 0) {
		/* The id: the last non-empty line of stdout, trimmed. */
		s = p->outb.data != NULL ? p->outb.data : "";
		e = s + p->outb.len;
		while (e > s && (e[-1] == '\n' || e[-1] == '\r' ||
		    e[-1] == ' ' || e[-1] == '\t'))
			e--;
		const char *b = e;
		while (b > s && b[-1] != '\n')
			b--;
		while (b < e && (*b == ' ' || *b == '\t'))
			b++;
		free(w->id);
		w->id = xstrndup(b, (size_t)(e - b > 256 ? 256 : e - b));
		if (w->stop_wanted)
			launch_command_stop(w);
		launch_worker_maybe_free(w);
		return;
	}
	if (w->reported) {
		launch_worker_maybe_free(w);
		return;
	}
	launch_exit_info(how, sizeof how, p->status, p->sig);
	launch_tail_line(&p->errb, tail, sizeof tail);
	launch_worker_report(w, LAUNCH_EV_FAILED, false, NULL, p->status,
	    p->sig, "start command failed: %s%s%s", how,
	    tail[0] != '\0' ? ": " : "", tail);
}

/* Runs the stop template for w (reported already). */
static void
launch_command_stop(struct launch_worker *w)
{
	struct launch	*l = w->l;
	struct gl_err	 err = { 0 };
	char		*cmd, *wc, **env, *argv[4];
	struct launch_proc *p;

	if (l->command.stop == NULL || w->stop_running)
		return;
	cmd = launch_command_expand(l, l->command.stop, w, 0, 1);
	wc = launch_worker_cmd_line(l, w, l->command.secret_on_stdin);
	env = launch_command_env(l, w, wc);
	argv[0] = "/bin/sh";
	argv[1] = "-c";
	argv[2] = cmd;
	argv[3] = NULL;
	p = launch_proc_spawn(l, argv, env, NULL, false, false,
	    launch_command_stopped, w, "stop command", LAUNCH_HELPER_MS, &err);
	if (p != NULL)
		w->stop_running = true;
	else
		launch_notice(l, w->name,
		    "worker %s: cannot run the stop command: %s", w->name,
		    err.msg);
	launch_env_free(env);
	free(wc);
	free(cmd);
}

static void
launch_command_stopped(struct launch_proc *p)
{
	struct launch_worker *w = p->data;
	char		 how[64], tail[LAUNCH_ERR_TAIL + 64];

	w->stop_running = false;
	if (p->status != 0 || p->sig != 0) {
		launch_exit_info(how, sizeof how, p->status, p->sig);
		launch_tail_line(&p->errb, tail, sizeof tail);
		launch_notice(p->l, w->name,
		    "worker %s: stop command failed: %s%s%s", w->name, how,
		    tail[0] != '\0' ? ": " : "", tail);
	}
	launch_worker_maybe_free(w);
}

/* --- slurm --- */

/* Slurm sizes to megabytes per CPU for --mem-per-cpu (rounded up). */
static long long
launch_slurm_mem_mb(const char *s)
{
	char		*end;
	long long	 v = strtoll(s, &end, 10);

	switch (*end) {
	case 'K': case 'k':
		return (v + 1023) / 1024;
	case 'G': case 'g':
		return v * 1024;
	case 'T': case 't':
		return v * 1024 * 1024;
	default:
		return v;
	}
}

static int
launch_slurm_start(struct launch *l, int n, struct launch_worker **ws,
    struct gl_err *err)
{
	struct launch_job *j = xcalloc(1, sizeof *j);
	struct gl_buf	 s;
	char		**wargv, **argv = NULL, *memarg = NULL;
	size_t		 nw, na = 0;
	long long	 mb = 0;
	int		 rc;

	j->l = l;
	j->script = xasprintf("%s/job-%llu.sh", l->work_dir,
	    (unsigned long long)++l->jobseq);
	j->output = NULL;
	if (l->slurm.mem_per_worker != NULL) {
		mb = launch_slurm_mem_mb(l->slurm.mem_per_worker);
		mb = (mb + l->slurm.cpus_per_worker - 1) /
		    l->slurm.cpus_per_worker;
		if (mb < 1)
			mb = 1;
		memarg = xasprintf("--mem-per-cpu=%lldM", mb);
	}
	/* One step per worker, so one can be cancelled alone (scancel
	 * JOB.STEP); --exact keeps each to its share of the allocation. */
	gl_buf_init(&s);
	gl_buf_addf(&s, "#!/bin/sh\n# galley workers (%s), written by the "
	    "kernel's slurm launcher\n", l->squeue.jobname);
	for (int i = 0; i < n; i++) {
		gl_buf_addf(&s, "srun --ntasks=1 --nodes=1 --cpus-per-task=%d "
		    "--exact --kill-on-bad-exit=0", l->slurm.cpus_per_worker);
		if (memarg != NULL)
			gl_buf_addf(&s, " %s", memarg);
		gl_buf_adds(&s, " --job-name=");
		launch_sh_quote(&s, ws[i]->name);
		gl_buf_adds(&s, " --");
		launch_worker_argv(l, ws[i]->name, false, &wargv, &nw);
		for (size_t k = 0; k < nw; k++) {
			gl_buf_addc(&s, ' ');
			launch_sh_quote(&s, wargv[k]);
		}
		launch_strv_free(wargv, nw);
		gl_buf_adds(&s, " &\n");
	}
	gl_buf_adds(&s, "wait\n");
	rc = gl_file_write_atomic(j->script, s.data, s.len, 0700, err);
	gl_buf_fini(&s);
	if (rc != 0)
		goto fail;

	argv = xcalloc(24 + l->slurm.nextra_sbatch_flags, sizeof *argv);
	argv[na++] = launch_slurm_bin(l, "sbatch");
	argv[na++] = xstrdup("--parsable");
	argv[na++] = xasprintf("--job-name=%s", l->squeue.jobname);
	argv[na++] = xasprintf("--ntasks=%d", n);
	argv[na++] = xasprintf("--cpus-per-task=%d", l->slurm.cpus_per_worker);
	if (memarg != NULL)
		argv[na++] = xstrdup(memarg);
	if (l->slurm.partition != NULL)
		argv[na++] = xasprintf("--partition=%s", l->slurm.partition);
	if (l->slurm.time_limit != NULL)
		argv[na++] = xasprintf("--time=%s", l->slurm.time_limit);
	if (l->slurm.account != NULL)
		argv[na++] = xasprintf("--account=%s", l->slurm.account);
	/* A preempted job ends (PREEMPTED) instead of queueing again: the
	 * scheduler starts replacements while work remains. */
	argv[na++] = xstrdup("--no-requeue");
	argv[na++] = xasprintf("--output=%s/slurm-%%j.out", l->work_dir);
	argv[na++] = xasprintf("--chdir=%s", l->work_dir);
	for (size_t i = 0; i < l->slurm.nextra_sbatch_flags; i++)
		argv[na++] = xstrdup(l->slurm.extra_sbatch_flags[i]);
	argv[na++] = xstrdup(j->script);
	argv[na] = NULL;
	j->submitting = true;
	j->submitted_ms = uv_now(l->loop);
	j->next = l->jobs;
	if (l->jobs != NULL)
		l->jobs->prev = j;
	l->jobs = j;
	for (int i = 0; i < n; i++)
		ws[i]->job = j;
	if (launch_proc_spawn(l, argv, NULL, NULL, false, true,
	    launch_slurm_sbatch_done, j, "sbatch", LAUNCH_HELPER_MS,
	    err) == NULL) {
		j->submitting = false;
		j->terminal = true;
		for (int i = 0; i < n; i++)
			ws[i]->job = NULL;
		unlink(j->script);
		launch_job_maybe_free(j);
		rc = err != NULL ? err->code : GL_EIO;
		j = NULL;
		goto fail;
	}
	launch_strv_free(argv, na);
	free(memarg);
	return 0;
fail:
	launch_strv_free(argv, na);
	free(memarg);
	if (j != NULL) {
		free(j->script);
		free(j);
	}
	return rc;
}

static void
launch_slurm_sbatch_done(struct launch_proc *p)
{
	struct launch_job *j = p->data;
	struct launch	*l = p->l;
	char		 how[64], tail[LAUNCH_ERR_TAIL + 64];
	const char	*s = p->outb.data != NULL ? p->outb.data : "";
	size_t		 k = 0;

	j->submitting = false;
	unlink(j->script);
	while (s[k] >= '0' && s[k] <= '9' && k < sizeof j->id - 1)
		k++;
	if (p->status == 0 && p->sig == 0 && k > 0) {
		memcpy(j->id, s, k);
		j->id[k] = '\0';
		snprintf(j->state, sizeof j->state, "PENDING");
		j->known_ms = uv_now(l->loop);
		free(j->output);
		j->output = xasprintf("%s/slurm-%s.out", l->work_dir, j->id);
		l->squeue.poll_now = true;
		launch_job_check_stopped(j);
		return;
	}
	launch_exit_info(how, sizeof how, p->status, p->sig);
	launch_tail_line(&p->errb, tail, sizeof tail);
	if (tail[0] == '\0')
		launch_tail_line(&p->outb, tail, sizeof tail);
	j->terminal = true;
	/* Report each worker; the callback may close l, so walk again. */
	for (;;) {
		struct launch_worker *w;

		for (w = l->workers; w != NULL; w = w->next)
			if (w->job == j)
				break;
		if (w == NULL)
			break;
		w->job = NULL;
		if (w->reported)
			launch_worker_maybe_free(w);
		else
			launch_worker_report(w, LAUNCH_EV_FAILED, false, NULL,
			    p->status, p->sig, "sbatch failed: %s%s%s", how,
			    tail[0] != '\0' ? ": " : "", tail);
	}
	launch_job_maybe_free(j);
}

static struct launch_job *
launch_job_find(struct launch *l, const char *id)
{
	for (struct launch_job *j = l->jobs; j != NULL; j = j->next)
		if (j->id[0] != '\0' && strcmp(j->id, id) == 0)
			return j;
	return NULL;
}

/* If no worker of j is wanted any more, scancel it. */
static void
launch_job_check_stopped(struct launch_job *j)
{
	struct launch	*l = j->l;

	if (j->terminal || j->cancel_sent || j->submitting)
		return;
	for (struct launch_worker *w = l->workers; w != NULL; w = w->next)
		if (w->job == j && !w->reported)
			return;
	launch_job_cancel(j);
}

static void
launch_job_cancel(struct launch_job *j)
{
	struct launch	*l = j->l;
	struct gl_err	 err = { 0 };
	char		*argv[3];

	if (j->cancel_sent || j->terminal || j->id[0] == '\0')
		return;
	argv[0] = launch_slurm_bin(l, "scancel");
	argv[1] = j->id;
	argv[2] = NULL;
	if (launch_proc_spawn(l, argv, NULL, NULL, false, false,
	    launch_slurm_scancel_done, NULL, "scancel", LAUNCH_HELPER_MS,
	    &err) != NULL)
		j->cancel_sent = true;
	else
		launch_notice(l, NULL, "cannot cancel slurm job %s: %s", j->id,
		    err.msg);
	free(argv[0]);
	l->squeue.poll_now = true;
	launch_tick_start(l);
}

static void
launch_slurm_scancel_done(struct launch_proc *p)
{
	char	 how[64], tail[LAUNCH_ERR_TAIL + 64];

	if (p->status == 0 && p->sig == 0)
		return;
	launch_exit_info(how, sizeof how, p->status, p->sig);
	launch_tail_line(&p->errb, tail, sizeof tail);
	launch_notice(p->l, NULL, "scancel failed: %s%s%s", how,
	    tail[0] != '\0' ? ": " : "", tail);
}

static bool
launch_slurm_terminal(const char *st)
{
	static const char *const t[] = { "COMPLETED", "CANCELLED", "FAILED",
	    "TIMEOUT", "PREEMPTED", "NODE_FAIL", "BOOT_FAIL", "DEADLINE",
	    "OUT_OF_MEMORY", "SPECIAL_EXIT", "REVOKED", "GONE", NULL };

	for (int i = 0; t[i] != NULL; i++)
		if (strcmp(st, t[i]) == 0)
			return true;
	return false;
}

/* The cluster's doing, not the tasks': no attempt is counted. */
static bool
launch_slurm_not_task_fault(const char *st)
{
	return strcmp(st, "PREEMPTED") == 0 || strcmp(st, "TIMEOUT") == 0 ||
	    strcmp(st, "CANCELLED") == 0 || strcmp(st, "NODE_FAIL") == 0 ||
	    strcmp(st, "BOOT_FAIL") == 0 || strcmp(st, "DEADLINE") == 0;
}

/* j reached a terminal state: its workers not reported are, and it goes. */
static void
launch_job_end(struct launch_job *j, const char *state, const char *reason)
{
	struct launch	*l = j->l;
	char		 tail[LAUNCH_ERR_TAIL + 64] = "", id[32];
	char		 st[32], rs[64];
	bool		 ntf = launch_slurm_not_task_fault(state);
	struct gl_buf	 b;
	char		*text = NULL;
	size_t		 len;

	if (j->terminal)
		return;
	j->terminal = true;
	/* state and reason may point into j. */
	snprintf(st, sizeof st, "%s", state);
	snprintf(rs, sizeof rs, "%s", reason != NULL ? reason : "");
	memcpy(j->state, st, sizeof st);
	memcpy(j->reason, rs, sizeof rs);
	state = j->state;
	snprintf(id, sizeof id, "%s", j->id);
	/* The job's output says why workers never came (srun's errors). */
	if (!ntf && j->output != NULL &&
	    gl_file_read(j->output, &text, &len, NULL) == 0) {
		gl_buf_init(&b);
		launch_buf_add_capped(&b, text, len, true, 400);
		launch_tail_line(&b, tail, sizeof tail);
		gl_buf_fini(&b);
		free(text);
	}
	for (;;) {
		struct launch_worker *w;

		for (w = l->workers; w != NULL; w = w->next)
			if (w->job == j)
				break;
		if (w == NULL)
			break;
		w->job = NULL;
		if (w->reported) {
			launch_worker_maybe_free(w);
			continue;
		}
		launch_worker_report(w, LAUNCH_EV_FAILED, ntf, state, -1, 0,
		    "slurm job %s %s%s%s%s%s%s%s", id, state,
		    w->state == LAUNCH_WORKER_STARTING ?
		    " before the worker connected" : "",
		    j->reason[0] != '\0' && strcmp(j->reason, "None") != 0 ?
		    " (" : "", j->reason[0] != '\0' &&
		    strcmp(j->reason, "None") != 0 ? j->reason : "",
		    j->reason[0] != '\0' && strcmp(j->reason, "None") != 0 ?
		    ")" : "", tail[0] != '\0' ? ": " : "", tail);
	}
	launch_job_maybe_free(j);
}

static void
launch_job_maybe_free(struct launch_job *j)
{
	struct launch	*l = j->l;

	if (!j->terminal || j->submitting || j->steps_busy || j->sacct_busy)
		return;
	for (struct launch_worker *w = l->workers; w != NULL; w = w->next)
		if (w->job == j)
			return;
	if (j->prev != NULL)
		j->prev->next = j->next;
	else
		l->jobs = j->next;
	if (j->next != NULL)
		j->next->prev = j->prev;
	if (j->output != NULL)
		unlink(j->output);
	free(j->output);
	free(j->script);
	free(j);
	launch_check_closed(l);
}

static void
launch_slurm_poll(struct launch *l)
{
	struct gl_err	 err = { 0 };
	char		*argv[8];
	bool		 any = false;

	for (struct launch_job *j = l->jobs; j != NULL; j = j->next)
		if (!j->terminal && j->id[0] != '\0')
			any = true;
	if (!any || l->squeue.poll_busy)
		return;
	argv[0] = launch_slurm_bin(l, "squeue");
	argv[1] = "-h";
	argv[2] = "-t";
	argv[3] = "all";
	argv[4] = xasprintf("--name=%s", l->squeue.jobname);
	argv[5] = "-o";
	argv[6] = "%i|%T|%r";
	argv[7] = NULL;
	if (launch_proc_spawn(l, argv, NULL, NULL, false, true,
	    launch_slurm_squeue_done, NULL, "squeue", LAUNCH_HELPER_MS,
	    &err) != NULL)
		l->squeue.poll_busy = true;
	else if (!l->squeue.poll_failing) {
		l->squeue.poll_failing = true;
		launch_notice(l, NULL, "cannot poll slurm jobs: %s", err.msg);
	}
	/* Jobs known after this may be missing from its answer. */
	l->squeue.poll_started = uv_now(l->loop);
	free(argv[0]);
	free(argv[4]);
}

static void
launch_slurm_squeue_done(struct launch_proc *p)
{
	struct launch	*l = p->l;
	char		 how[64], tail[LAUNCH_ERR_TAIL + 64], *line, *save;
	char		*f[3], *text;
	uint64_t	 now = uv_now(l->loop);
	struct launch_job *j;
	bool		 again;

	l->squeue.poll_busy = false;
	l->squeue.next_poll = now + (uint64_t)l->slurm.poll_interval_ms;
	if (p->status != 0 || p->sig != 0) {
		if (!l->squeue.poll_failing) {
			l->squeue.poll_failing = true;
			launch_exit_info(how, sizeof how, p->status, p->sig);
			launch_tail_line(&p->errb, tail, sizeof tail);
			launch_notice(l, NULL, "squeue failed: %s%s%s", how,
			    tail[0] != '\0' ? ": " : "", tail);
		}
		return;
	}
	l->squeue.poll_failing = false;
	text = xstrndup(p->outb.data != NULL ? p->outb.data : "",
	    p->outb.len);
	struct seen { char id[32]; } *seen = NULL;
	size_t nseen = 0;
	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		f[0] = line;
		f[1] = strchr(f[0], '|');
		if (f[1] == NULL)
			continue;
		*f[1]++ = '\0';
		f[2] = strchr(f[1], '|');
		if (f[2] != NULL)
			*f[2]++ = '\0';
		seen = xrealloc(seen, (nseen + 1) * sizeof *seen);
		snprintf(seen[nseen++].id, sizeof seen->id, "%s", f[0]);
		if ((j = launch_job_find(l, f[0])) == NULL || j->terminal)
			continue;
		/* "CANCELLED by 0" from some versions: the first word. */
		f[1][strcspn(f[1], " +")] = '\0';
		snprintf(j->state, sizeof j->state, "%s", f[1]);
		if (f[2] != NULL)
			snprintf(j->reason, sizeof j->reason, "%s", f[2]);
		if (strcmp(j->state, "RUNNING") == 0 && j->running_ms == 0)
			j->running_ms = now;
	}
	free(text);
	/* Terminal jobs end (the callback may change the lists: restart). */
	do {
		again = false;
		for (j = l->jobs; j != NULL; j = j->next) {
			if (j->terminal || j->id[0] == '\0')
				continue;
			if (launch_slurm_terminal(j->state)) {
				launch_job_end(j, j->state, j->reason);
				again = true;
				break;
			}
		}
	} while (again);
	/* Jobs squeue no longer knows (purged after MinJobAge): sacct. */
	for (j = l->jobs; j != NULL; j = j->next) {
		size_t k;

		if (j->terminal || j->id[0] == '\0' ||
		    j->known_ms >= l->squeue.poll_started)
			continue;
		for (k = 0; k < nseen; k++)
			if (strcmp(seen[k].id, j->id) == 0)
				break;
		if (k == nseen)
			launch_slurm_sacct(j);
	}
	free(seen);
	/* Steps to cancel. */
	for (j = l->jobs; j != NULL; j = j->next) {
		if (j->terminal || j->id[0] == '\0' || j->cancel_sent ||
		    strcmp(j->state, "RUNNING") != 0)
			continue;
		for (struct launch_worker *w = l->workers; w != NULL; w =
		    w->next)
			if (w->job == j && w->cancel_step) {
				launch_slurm_steps(j);
				break;
			}
	}
}

static void
launch_slurm_sacct(struct launch_job *j)
{
	struct launch	*l = j->l;
	struct launch_proc *p;
	struct gl_err	 err = { 0 };
	char		*argv[10];

	if (j->sacct_busy)
		return;
	argv[0] = launch_slurm_bin(l, "sacct");
	argv[1] = "-n";
	argv[2] = "-X";
	argv[3] = "-P";
	argv[4] = "-j";
	argv[5] = j->id;
	argv[6] = "-o";
	argv[7] = "State";
	argv[8] = NULL;
	if ((p = launch_proc_spawn(l, argv, NULL, NULL, false, true,
	    launch_slurm_sacct_done, NULL, "sacct", LAUNCH_HELPER_MS,
	    &err)) != NULL) {
		p->arg = xstrdup(j->id);
		j->sacct_busy = true;
	} else
		launch_job_end(j, "GONE", "no longer in squeue");
	free(argv[0]);
}

static void
launch_slurm_sacct_done(struct launch_proc *p)
{
	struct launch	*l = p->l;
	char		*id = p->arg, st[32] = "";
	const char	*s = p->outb.data != NULL ? p->outb.data : "";
	struct launch_job *j;
	size_t		 k;

	if ((j = launch_job_find(l, id)) == NULL)
		return;
	j->sacct_busy = false;
	k = strcspn(s, " +\n|");
	if (p->status == 0 && k > 0 && k < sizeof st) {
		memcpy(st, s, k);
		st[k] = '\0';
	}
	if (j->terminal) {
		launch_job_maybe_free(j);
		return;
	}
	if (st[0] != '\0' && launch_slurm_terminal(st))
		launch_job_end(j, st, "from sacct");
	else if (st[0] == '\0')
		launch_job_end(j, "GONE",
		    "no longer in squeue; sacct has no record");
}

static void
launch_slurm_steps(struct launch_job *j)
{
	struct launch	*l = j->l;
	struct launch_proc *p;
	struct gl_err	 err = { 0 };
	char		*argv[8];

	if (j->steps_busy)
		return;
	argv[0] = launch_slurm_bin(l, "squeue");
	argv[1] = "-h";
	argv[2] = "-s";
	argv[3] = "-j";
	argv[4] = j->id;
	argv[5] = "-o";
	argv[6] = "%i|%j";
	argv[7] = NULL;
	if ((p = launch_proc_spawn(l, argv, NULL, NULL, false, true,
	    launch_slurm_steps_done, NULL, "squeue -s", LAUNCH_HELPER_MS,
	    &err)) != NULL) {
		p->arg = xstrdup(j->id);
		j->steps_busy = true;
	}
	free(argv[0]);
}

/* The step listing of a job: scancel the steps of stopped workers. */
static void
launch_slurm_steps_done(struct launch_proc *p)
{
	struct launch	*l = p->l;
	char		*id = p->arg, *text, *line, *save, *bar;
	struct launch_job *j;
	struct gl_buf	 steps;
	uint64_t	 now = uv_now(l->loop);
	char		**argv = NULL;
	size_t		 n = 0, cap = 4;
	struct gl_err	 err = { 0 };

	if ((j = launch_job_find(l, id)) == NULL)
		return;
	j->steps_busy = false;
	if (j->terminal || p->status != 0 || p->sig != 0) {
		launch_job_maybe_free(j);
		return;
	}
	gl_buf_init(&steps);
	argv = xcalloc(cap + 1, sizeof *argv);
	argv[n++] = launch_slurm_bin(l, "scancel");
	text = xstrndup(p->outb.data != NULL ? p->outb.data : "",
	    p->outb.len);
	for (struct launch_worker *w = l->workers; w != NULL; w = w->next) {
		bool found = false;

		if (w->job != j || !w->cancel_step)
			continue;
		gl_buf_reset(&steps);
		gl_buf_adds(&steps, text);
		for (line = strtok_r(steps.data, "\n", &save); line != NULL;
		    line = strtok_r(NULL, "\n", &save)) {
			if ((bar = strchr(line, '|')) == NULL)
				continue;
			*bar = '\0';
			if (strcmp(bar + 1, w->name) != 0)
				continue;
			found = true;
			if (n + 1 >= cap) {
				cap *= 2;
				argv = xrealloc(argv, (cap + 1) * sizeof *argv);
			}
			argv[n++] = xstrdup(line);
		}
		/* Not listed: ended already, or not started yet; a worker
		 * that was up, or a job running a while, means ended. */
		if (found || w->state == LAUNCH_WORKER_UP || (j->running_ms !=
		    0 && now > j->running_ms + LAUNCH_STEP_GRACE_MS))
			w->cancel_step = false;
	}
	free(text);
	gl_buf_fini(&steps);
	argv[n] = NULL;
	if (n > 1 && launch_proc_spawn(l, argv, NULL, NULL, false, false,
	    launch_slurm_scancel_done, NULL, "scancel", LAUNCH_HELPER_MS,
	    &err) == NULL)
		launch_notice(l, NULL, "cannot cancel slurm job steps: %s",
		    err.msg);
	launch_strv_free(argv, n);
	/* Stopped workers whose step is settled no longer hold the job. */
	for (;;) {
		struct launch_worker *w;

		for (w = l->workers; w != NULL; w = w->next)
			if (w->job == j && w->reported && !w->cancel_step)
				break;
		if (w == NULL)
			break;
		w->job = NULL;
		launch_worker_maybe_free(w);
	}
	launch_job_maybe_free(j);
}

/* Worker w's connection was lost and its job did not end meanwhile: it
 * is reported ENDED with the job's state, and its step cancelled. */
static void
launch_slurm_lost(struct launch_worker *w)
{
	struct launch *l = w->l;

	w->cancel_step = true;
	l->squeue.poll_now = true;
	launch_worker_report(w, LAUNCH_EV_ENDED, false, w->job != NULL ?
	    w->job->state : NULL, -1, 0, "connection lost (slurm job %s "
	    "still %s)", w->job != NULL ? w->job->id : "?", w->job != NULL ?
	    w->job->state : "?");
}

/* squeue when due or asked. */
static void
launch_slurm_tick(struct launch *l, uint64_t now)
{
	bool any = false;

	if (!l->squeue.poll_now && now < l->squeue.next_poll)
		return;
	for (struct launch_job *j = l->jobs; j != NULL; j = j->next)
		if (!j->terminal && j->id[0] != '\0')
			any = true;
	if (any && !l->squeue.poll_busy) {
		l->squeue.poll_now = false;
		l->squeue.next_poll = now + (uint64_t)l->slurm.poll_interval_ms;
		launch_slurm_poll(l);
	}
}

/* Closing took too long: jobs still in squeue are named in the problem
 * and forgotten, with their workers. */
static void
launch_slurm_give_up(struct launch *l)
{
	struct launch_worker	*w;
	struct launch_job	*j;

	for (j = l->jobs; j != NULL; j = j->next)
		if (!j->terminal && l->problem[0] == '\0')
			snprintf(l->problem, sizeof l->problem,
			    "slurm job %s still in squeue (%s) after %d s",
			    j->id[0] != '\0' ? j->id : "?", j->state,
			    LAUNCH_CLOSE_MS / 1000);
	for (j = l->jobs; j != NULL; j = j->next)
		if (!j->terminal && !j->submitting)
			j->terminal = true;
	for (w = l->workers; w != NULL; w = w->next)
		w->cancel_step = false;
	for (;;) {
		for (w = l->workers; w != NULL; w = w->next)
			if (w->job != NULL && !w->job->submitting)
				break;
		if (w == NULL)
			break;
		w->job = NULL;
		launch_worker_maybe_free(w);
	}
	for (;;) {
		for (j = l->jobs; j != NULL; j = j->next)
			if (j->terminal && !j->submitting &&
			    !j->steps_busy && !j->sacct_busy)
				break;
		if (j == NULL)
			break;
		launch_job_maybe_free(j);
		if (l->freeing)
			return;
	}
}

/* A worker of a command launcher with a stop template lost its
 * connection: the template stops it, and it is reported ENDED. */
static void
launch_command_lost(struct launch_worker *w)
{
	if (w->proc != NULL)
		w->stop_wanted = true;
	else
		launch_command_stop(w);
	launch_worker_report(w, LAUNCH_EV_ENDED, false, NULL, -1, 0,
	    "connection lost");
}

/* --- the tick --- */

static void
launch_tick_start(struct launch *l)
{
	if (l->tick_on || l->freeing)
		return;
	l->tick_on = true;
	uv_timer_start(&l->tick, launch_on_tick, LAUNCH_TICK_MS,
	    LAUNCH_TICK_MS);
}

static void
launch_on_tick(uv_timer_t *t)
{
	struct launch	*l = t->data;
	uint64_t	 now = uv_now(l->loop);
	struct launch_proc *p;
	struct launch_worker *w;
	bool		 again;

	/* Signals that are due. */
	for (p = l->procs; p != NULL; p = p->next) {
		if (p->exited)
			continue;
		if (p->term_at != 0 && now >= p->term_at && !p->term_sent) {
			p->term_sent = true;
			launch_proc_signal(p, SIGTERM);
		}
		if (p->kill_at != 0 && now >= p->kill_at && !p->kill_sent) {
			p->kill_sent = true;
			launch_proc_signal(p, SIGKILL);
		}
	}
	/* Start timeouts and lost workers (the callback may change the
	 * list: restart the walk after each report). */
	do {
		again = false;
		for (w = l->workers; w != NULL; w = w->next) {
			if (w->reported)
				continue;
			if (w->lost && now >= w->lost_at) {
				if (w->proc != NULL && l->kind !=
				    CFG_LAUNCH_SLURM && !(l->kind ==
				    CFG_LAUNCH_COMMAND && l->command.stop !=
				    NULL)) {
					/* Still running: kill it; its exit
					 * reports. */
					if (!w->proc->kill_sent) {
						w->proc->kill_sent = true;
						launch_proc_signal(w->proc,
						    SIGKILL);
					}
					continue;
				}
				if (l->kind == CFG_LAUNCH_SLURM)
					launch_slurm_lost(w);
				else	/* a command with a stop template */
					launch_command_lost(w);
				again = true;
				break;
			}
			if (w->state == LAUNCH_WORKER_STARTING && !w->lost &&
			    l->start_timeout_ms > 0 && now >= w->started_ms +
			    (uint64_t)l->start_timeout_ms) {
				struct launch_event	 ev;
				char			 nm[128], msg[256];

				snprintf(nm, sizeof nm, "%s", w->name);
				snprintf(msg, sizeof msg, "worker %s: did not "
				    "connect within %.1f s (cluster."
				    "start_timeout)", nm,
				    (double)l->start_timeout_ms / 1000);
				/* Reported now; may free w. */
				launch_worker_stop(w);
				memset(&ev, 0, sizeof ev);
				ev.kind = LAUNCH_EV_FAILED;
				ev.name = nm;
				ev.exit_status = -1;
				ev.msg = msg;
				launch_emit(l, &ev);
				again = true;
				break;
			}
		}
	} while (again && !l->freeing);
	if (l->freeing)
		return;
	if (l->kind == CFG_LAUNCH_SLURM)
		launch_slurm_tick(l, now);
	/* Closing: past the deadline, kill what is left and give up. */
	if (l->closing && now >= l->close_deadline) {
		for (p = l->procs; p != NULL; p = p->next)
			if (!p->exited && !p->kill_sent) {
				p->kill_sent = true;
				launch_proc_signal(p, SIGKILL);
			}
		if (l->kind == CFG_LAUNCH_SLURM)
			launch_slurm_give_up(l);
	}
	if (l->freeing)
		return;
	if (!l->closing && launch_idle(l)) {
		uv_timer_stop(&l->tick);
		l->tick_on = false;
	}
	launch_check_closed(l);
}

static void
launch_check_closed(struct launch *l)
{
	if (!l->closing || l->freeing || !launch_idle(l))
		return;
	l->freeing = true;
	uv_timer_stop(&l->tick);
	uv_close((uv_handle_t *)&l->tick, launch_on_tick_close);
}

static void
launch_on_tick_close(uv_handle_t *h)
{
	struct launch	*l = h->data;
	void		(*cb)(void *, const char *) = l->on_closed;
	void		*ctx = l->closed_ctx;
	char		 problem[512];
	bool		 had = l->problem[0] != '\0';

	snprintf(problem, sizeof problem, "%s", l->problem);
	if (l->own_work_dir)
		rmdir(l->work_dir);
	free(l->addr);
	free(l->secret_file);
	free(l->exe);
	free(l->prefix);
	free(l->work_dir);
	launch_cfg_fini(l);
	launch_strv_free(l->wargv, l->nwargv);
	free(l);
	if (cb != NULL)
		cb(ctx, had ? problem : NULL);
}

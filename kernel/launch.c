/*
 * launch.c - launchers (kernel/launch.h): what every kind shares. The
 * interface, the worker records, the events, the tick; the process runner
 * is launch-proc.c, and each kind has a file of its own (launch-local.c,
 * launch-ssh.c, launch-command.c, launch-slurm.c). kernel/launch_int.h is
 * what they share.
 *
 * Design. A struct launch holds three lists:
 *
 *  - workers (struct launch_worker): one per worker name handed out by
 *    launch_start(). A worker is STARTING until the cluster service says
 *    it is up, and `reported` once the kernel must hear nothing more of
 *    it (it was stopped, or its FAILED/ENDED event was given). A reported
 *    worker lingers only while something of it still runs: its process,
 *    its stop command, its Slurm job.
 *  - procs (struct launch_proc, launch-proc.c): every child process,
 *    workers and helper commands alike (sbatch, squeue, scancel, sacct,
 *    stop templates), freed in the close callback of its last handle.
 *  - jobs (struct launch_job, Slurm only, launch-slurm.c): one per sbatch.
 *    A job is live until squeue (or sacct) shows it in a terminal state;
 *    then its workers that were not reported are, with the state, and it
 *    is freed.
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
#include "kernel/launch_int.h"

static void	 launch_cfg_defaults(struct launch *l);
static void	 launch_str_default(char **s, const char *dflt);
static struct launch_worker *launch_worker_new(struct launch *l);
static struct launch_worker *launch_worker_find(const struct launch *l,
		     const char *name);
static void	 launch_emit(struct launch *l, const struct launch_event *ev);
static void	 launch_worker_stop(struct launch_worker *w);
static void	 launch_on_tick(uv_timer_t *t);
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

	cfg_cluster_dup(&l->cfg, cc);
	launch_cfg_defaults(l);
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
		galley = l->cfg.ssh.remote_galley;
		break;
	case CFG_LAUNCH_SLURM:
		randombytes_buf(rnd, sizeof rnd);
		snprintf(l->squeue.jobname, sizeof l->squeue.jobname,
		    "galley-%.24s%02x%02x%02x", l->prefix, rnd[0], rnd[1],
		    rnd[2]);
		galley = l->cfg.slurm.remote_galley;
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
		galley = l->cfg.command.remote_galley;
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
	cfg_cluster_fini(&l->cfg);
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
		load = xcalloc(l->cfg.ssh.nhosts, sizeof *load);
		for (w = l->workers; w != NULL; w = w->next)
			if (w->host >= 0 && !w->reported)
				load[w->host]++;
	}
	for (int i = 0; i < n; i++) {
		w = launch_worker_new(l);
		switch (l->kind) {
		case CFG_LAUNCH_SSH: {
			size_t	 best = 0;

			for (size_t h = 1; h < l->cfg.ssh.nhosts; h++)
				if (load[h] < load[best])
					best = h;
			if (load[best] >= (size_t)l->cfg.ssh.workers_per_host) {
				rc = gl_err_set(err, GL_ELIMIT, "launcher ssh: "
				    "all %zu host%s already run %d worker%s "
				    "(cluster.ssh.workers_per_host)",
				    l->cfg.ssh.nhosts,
				    l->cfg.ssh.nhosts == 1 ? "" : "s",
				    l->cfg.ssh.workers_per_host,
				    l->cfg.ssh.workers_per_host == 1 ? "" :
				    "s");
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
	    l->cfg.command.stop != NULL))
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

/* The defaults of the kind's part of the configuration, filled in the
 * launcher's copy (lua/config.h leaves them to the launcher). The copy
 * is the launcher's own: it outlives the cluster service's struct cfg
 * (a closing launcher still stops workers after the configuration was
 * reloaded). */
static void
launch_cfg_defaults(struct launch *l)
{
	struct cfg_ssh		*ssh = &l->cfg.ssh;
	struct cfg_slurm	*slurm = &l->cfg.slurm;
	struct cfg_command	*cmd = &l->cfg.command;

	if (ssh->workers_per_host <= 0)
		ssh->workers_per_host = 1;
	launch_str_default(&ssh->remote_galley, "galley");
	launch_str_default(&ssh->command, "ssh");
	if (slurm->cpus_per_worker <= 0)
		slurm->cpus_per_worker = 1;
	launch_str_default(&slurm->remote_galley, l->exe);
	if (slurm->poll_interval_ms < 100)
		slurm->poll_interval_ms = 2000;
	if (cmd->stop != NULL && cmd->stop[0] == '\0') {
		free(cmd->stop);
		cmd->stop = NULL;
	}
	if (cmd->cpus_per_worker <= 0)
		cmd->cpus_per_worker = 1;
	launch_str_default(&cmd->mem_per_worker, "");
	launch_str_default(&cmd->remote_galley, l->exe);
}

/* --- strings --- */

/* A copy of dflt in *s if *s is NULL. */
static void
launch_str_default(char **s, const char *dflt)
{
	if (*s == NULL)
		*s = xstrdup(dflt);
}

char **
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

void
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
void
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

void
launch_exit_info(char *buf, size_t n, int64_t status, int sig)
{
	if (sig != 0)
		snprintf(buf, n, "killed by signal %d", sig);
	else
		snprintf(buf, n, "exit status %lld", (long long)status);
}

/* The last lines of what a process wrote (up to n bytes), on one line:
 * newlines become " | ". Empty if nothing. */
void
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

int
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

void
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

void
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
void
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
		if (l->cfg.command.stop != NULL) {
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
void
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

/* A worker's process ended (local, ssh, a command without stop). */
void
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

/* --- the tick --- */

void
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
				    CFG_LAUNCH_COMMAND && l->cfg.command.stop !=
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

void
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
	cfg_cluster_fini(&l->cfg);
	launch_strv_free(l->wargv, l->nwargv);
	free(l);
	if (cb != NULL)
		cb(ctx, had ? problem : NULL);
}

/*
 * launch-slurm.c - the Slurm launcher (kernel/launch.h): one sbatch job
 * per launch_start() with one srun step per worker (so a single worker
 * can be cancelled with scancel JOB.STEP). A job (struct launch_job) is
 * live until squeue, polled from the tick, or sacct for a job squeue has
 * forgotten, shows it in a terminal state; then its workers that were not
 * reported are, with the state (PREEMPTED, TIMEOUT, ... are the cluster's
 * doing, not the tasks').
 */
#include "kernel/launch_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/err.h"
#include "core/mem.h"
#include "core/util.h"

static long long launch_slurm_mem_mb(const char *s);
static void	 launch_slurm_sbatch_done(struct launch_proc *p);
static struct launch_job *launch_job_find(struct launch *l, const char *id);
static void	 launch_job_cancel(struct launch_job *j);
static void	 launch_slurm_scancel_done(struct launch_proc *p);
static bool	 launch_slurm_terminal(const char *state);
static bool	 launch_slurm_not_task_fault(const char *state);
static void	 launch_job_end(struct launch_job *j, const char *state,
		     const char *reason);
static void	 launch_job_maybe_free(struct launch_job *j);
static void	 launch_slurm_poll(struct launch *l);
static void	 launch_slurm_squeue_done(struct launch_proc *p);
static void	 launch_slurm_sacct(struct launch_job *j);
static void	 launch_slurm_sacct_done(struct launch_proc *p);
static void	 launch_slurm_steps(struct launch_job *j);
static void	 launch_slurm_steps_done(struct launch_proc *p);
static char	*launch_slurm_bin(struct launch *l, const char *tool);

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

int
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
	if (l->cfg.slurm.mem_per_worker != NULL) {
		mb = launch_slurm_mem_mb(l->cfg.slurm.mem_per_worker);
		mb = (mb + l->cfg.slurm.cpus_per_worker - 1) /
		    l->cfg.slurm.cpus_per_worker;
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
		    "--exact --kill-on-bad-exit=0",
		    l->cfg.slurm.cpus_per_worker);
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

	argv = xcalloc(24 + l->cfg.slurm.nextra_sbatch_flags, sizeof *argv);
	argv[na++] = launch_slurm_bin(l, "sbatch");
	argv[na++] = xstrdup("--parsable");
	argv[na++] = xasprintf("--job-name=%s", l->squeue.jobname);
	argv[na++] = xasprintf("--ntasks=%d", n);
	argv[na++] = xasprintf("--cpus-per-task=%d",
	    l->cfg.slurm.cpus_per_worker);
	if (memarg != NULL)
		argv[na++] = xstrdup(memarg);
	if (l->cfg.slurm.partition != NULL)
		argv[na++] = xasprintf("--partition=%s",
		    l->cfg.slurm.partition);
	if (l->cfg.slurm.time_limit != NULL)
		argv[na++] = xasprintf("--time=%s", l->cfg.slurm.time_limit);
	if (l->cfg.slurm.account != NULL)
		argv[na++] = xasprintf("--account=%s", l->cfg.slurm.account);
	/* A preempted job ends (PREEMPTED) instead of queueing again: the
	 * scheduler starts replacements while work remains. */
	argv[na++] = xstrdup("--no-requeue");
	argv[na++] = xasprintf("--output=%s/slurm-%%j.out", l->work_dir);
	argv[na++] = xasprintf("--chdir=%s", l->work_dir);
	for (size_t i = 0; i < l->cfg.slurm.nextra_sbatch_flags; i++)
		argv[na++] = xstrdup(l->cfg.slurm.extra_sbatch_flags[i]);
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
void
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
	l->squeue.next_poll = now + (uint64_t)l->cfg.slurm.poll_interval_ms;
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
void
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
void
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
		l->squeue.next_poll = now +
		    (uint64_t)l->cfg.slurm.poll_interval_ms;
		launch_slurm_poll(l);
	}
}

/* Closing took too long: jobs still in squeue are named in the problem
 * and forgotten, with their workers. */
void
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

static char *
launch_slurm_bin(struct launch *l, const char *tool)
{
	if (l->cfg.slurm.bin_dir != NULL)
		return xasprintf("%s/%s", l->cfg.slurm.bin_dir, tool);
	return xstrdup(tool);
}

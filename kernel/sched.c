/*
 * sched.c - the cluster scheduler, a pure model (kernel/sched.h).
 *
 * Design.
 *
 * State. Jobs (a cluster.map, or the futures of a cell) own their tasks:
 * an array by item (for ordered delivery and cancelling) and a FIFO queue
 * of tasks not yet placed. Workers hold a window: the tasks sent to them,
 * in the order sent, which is the order they run them in, `slots` at a
 * time. The model never knows which tasks a worker has started; it
 * presumes the oldest `slots` of the window are running and the rest wait
 * there (prefetched).
 *
 * Placement (pump(), run when actions are drained, so that all the events
 * of one message place tasks once). Each worker's window is filled up to
 * its cap = slots x clamp(batch_us / mean run time of the job, prefetch,
 * max_window): long tasks get `prefetch` per slot (2: the next one is
 * already there when one ends, so a worker never waits on a round trip);
 * short tasks get enough to cover batch_us, which is what batches them
 * (one SEND carries many). A worker is refilled once its window is down
 * to half its cap, so sends stay large; a send stops at max_batch_bytes of
 * payload. Idle workers are filled first. Jobs with queued tasks are
 * served round robin, so two cells share the workers.
 *
 * Stealing. When nothing is queued and a worker is idle, the worker with
 * the most waiting (prefetched) tasks is asked to RELEASE the newer half
 * of them (one request per victim at a time; only for jobs whose tasks
 * run at least steal_min_us, or are not measured yet). What it gives back
 * goes to the front of the job's queue and, idle workers being filled
 * first, to the idle worker; what it had started it keeps.
 *
 * Failures. A worker that dies gives its tasks back to the front of their
 * queues, in order. The ones it was presumed to be running count an
 * attempt (a kill -9, a lost connection, missed heartbeats), except when
 * its Slurm job ended (SCHED_LOSS_PREEMPTED): that is not the task's
 * fault. A task at max_attempts fails for good with a message naming the
 * worker, its host and the reason. A task's own error (SCHED_ERROR) is
 * never retried: running it again gives the same error. Under
 * SCHED_ERRORS_RAISE the first failure fails the job at once: the rest
 * of its tasks are cancelled (CANCEL to the workers holding them).
 *
 * Workers come and go. While tasks are outstanding, min(max_workers,
 * outstanding tasks) workers are wanted, and never fewer than the scale
 * the user asked for (sched_scale(): a floor, not a ceiling; scale 0
 * holds every start back); missing ones are STARTed (which also replaces
 * dead and preempted workers). Failed starts back off (1 s, 2 s, ...
 * 30 s); after max_start_failures in a row with no worker up, the queued
 * tasks fail with the launcher's reason, so a cell never waits forever
 * (except under scale 0, which the user set and undoes). A worker idle
 * for idle_timeout_ms is STOPped unless the scale keeps it; one silent
 * for heartbeat_timeout_ms is declared dead and STOPped (killed).
 *
 * Invariants (sched_check() verifies them; tests/kernel/test_sched.c's
 * simulations call it after every step):
 *  - a task is in exactly one place: its job's queue, one worker's
 *    window, or finished and waiting for ordered delivery;
 *  - a result is accepted only from the worker whose window holds the
 *    task, so every task yields exactly one RESULT, whatever the deaths
 *    and late answers;
 *  - an ordered job's RESULTs come in item order, and its JOB_DONE last;
 *  - queued + held counts always equal the sums over jobs and windows.
 *
 * Progress. The jobs that changed are reported together, at most every
 * progress_ms, and each once more just before its JOB_DONE.
 *
 * Costs. Task ids name a slot in a chunked pool (slot + generation), so
 * finding a task is an index, not a hash; jobs are found through an
 * open-addressing table; jobs with queued tasks sit on a ready list (the
 * round robin) and jobs with progress to report on a dirty list. Events
 * are O(1) per task except a worker's death (O(its window)), cancelling
 * (O(the job)), and the steal and tick scans (O(workers)).
 */
#include "kernel/sched.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/mem.h"

#define CHUNK_BITS	12
#define CHUNK_SIZE	(1u << CHUNK_BITS)

enum tstate {
	T_FREE,			/* in the pool */
	T_QUEUED,		/* in its job's queue */
	T_HELD,			/* in a worker's window */
	T_DONE,			/* finished, waiting for ordered delivery */
	T_DELIVERED,		/* reported; freed once out of the queue */
};

struct task {
	uint64_t	 id;
	uint64_t	 payload;
	uint64_t	 result;
	uint64_t	 item;
	uint64_t	 ran_on;	/* worker that finished it, or 0 */
	size_t		 bytes;
	struct job	*job;		/* borrowed */
	struct worker	*w;		/* holder while T_HELD */
	struct task	*prev, *next;	/* the holder's window */
	char		*msg;		/* owned: why it failed for good */
	uint32_t	 gen;		/* of this slot, in the id */
	int		 attempts;
	unsigned char	 state;		/* enum tstate */
	unsigned char	 status;	/* enum sched_status once finished */
	bool		 stealing;	/* asked back from its worker */
	bool		 in_queue;	/* referenced by its job's queue */
};

enum jstate {
	J_RUNNING,
	J_RAISED,		/* a task failed under SCHED_ERRORS_RAISE */
	J_CANCELLED,
};

struct job {
	uint64_t	 id;
	struct sched_job_opts opts;	/* strings owned */
	enum jstate	 state;
	bool		 closed;
	struct task	**items;	/* owned; by item, NULL once reported */
	size_t		 total, itemcap;
	size_t		 next;		/* first item not reported (ordered) */
	size_t		 reported;	/* RESULTs emitted */
	size_t		 done, failed;	/* finished, and of those failed */
	struct task	**q;		/* owned ring: tasks to place */
	size_t		 qhead, qlen, qcap;
	size_t		 queued;	/* T_QUEUED tasks in q */
	double		 mean_us;	/* run time, moving average */
	uint64_t	 nmean;
	bool		 dirty;		/* on s's dirty list: progress due */
	bool		 ready;		/* on s's ready list: queued > 0 */
	uint64_t	 fail_task, fail_item;
	char		*fail_msg;	/* owned */
	struct job	*prev, *next_job;	/* all jobs, oldest first */
	struct job	*rprev, *rnext;		/* ready list */
	struct job	*dprev, *dnext;		/* dirty list */
};

struct worker {
	uint64_t	 id;
	char		*host;		/* owned */
	int		 slots;
	bool		 stopping;
	bool		 steal_pending;
	struct task	*head, *tail;	/* window, oldest first */
	size_t		 held;
	size_t		 stealing;	/* of held, asked back */
	size_t		 cap;		/* window cap at the last fill */
	size_t		 waiting;	/* its share of s->waiting */
	int64_t		 last_seen;
	int64_t		 idle_since;
	uint64_t	 done;
};

/* An action as stored: arrays as offsets into s->ids, msg into s->strs. */
struct act {
	struct sched_action a;
	size_t		 ids_off;	/* tasks at ids_off, payloads after */
	size_t		 msg_off;	/* SIZE_MAX: none */
};

struct sched {
	struct sched_config cfg;
	int64_t		 now;
	/* Task pool: chunks of CHUNK_SIZE, free slots on a stack. */
	struct task	**chunks;
	size_t		 nchunks;
	uint32_t	*freeslots;
	size_t		 nfree, freecap;
	/* Jobs, oldest first; by id (open addressing, linear probing);
	 * those with queued tasks (ready), rr where placement resumes;
	 * those with progress to report (dirty). */
	struct job	*jobs, *jobs_tail;
	struct job	**jmap;
	size_t		 jmapcap, njobs;
	struct job	*ready, *ready_tail, *rr;
	struct job	*dirtyjobs;
	int64_t		 next_progress;
	uint64_t	 next_job_id;
	/* Workers, in join order. */
	struct worker	**workers;
	size_t		 nworkers, workcap;
	size_t		 up;		/* not stopping */
	size_t		 busy;		/* holding a task */
	int		 starting;	/* asked for, not joined */
	int		 start_failures;
	int64_t		 next_start;
	char		*start_why;	/* owned: the last failed start */
	size_t		 queued, held, waiting;
	int		 scale;		/* sched_scale(): workers kept (a
					 * floor), 0: none start (paused),
					 * -1: on demand only */
	bool		 dirty;		/* pump() before the next action */
	/* Actions not yet drained. */
	struct act	*acts;
	size_t		 nacts, actcap, ahead;
	uint64_t	*ids;
	size_t		 nids, idcap;
	struct gl_buf	 strs;
};

static void	 pump(struct sched *s);
static void	 ready_add(struct sched *s, struct job *j);
static void	 ready_remove(struct sched *s, struct job *j);
static void	 job_finish_task(struct sched *s, struct task *t,
		     enum sched_status status, uint64_t result,
		     const char *msg);
static void	 job_stop_all(struct sched *s, struct job *j,
		     enum jstate state);
static void	 worker_gone(struct sched *s, struct worker *w,
		     enum sched_loss loss, bool counts, const char *why);

/* ------------------------------------------------------------------ */
/* Helpers: pool, actions, windows, queues                              */
/* ------------------------------------------------------------------ */

static struct task *
task_at(const struct sched *s, uint32_t slot)
{
	return &s->chunks[slot >> CHUNK_BITS][slot & (CHUNK_SIZE - 1)];
}

static struct task *
task_alloc(struct sched *s)
{
	struct task	*t;
	uint32_t	 slot;

	if (s->nfree == 0) {
		uint32_t base = (uint32_t)(s->nchunks * CHUNK_SIZE);

		s->chunks = xrealloc(s->chunks,
		    (s->nchunks + 1) * sizeof *s->chunks);
		s->chunks[s->nchunks++] = xcalloc(CHUNK_SIZE,
		    sizeof(struct task));
		/* Room for every slot to be free at once. */
		s->freecap = s->nchunks * CHUNK_SIZE;
		s->freeslots = xrealloc(s->freeslots,
		    s->freecap * sizeof *s->freeslots);
		for (uint32_t i = CHUNK_SIZE; i > 0; i--)
			s->freeslots[s->nfree++] = base + i - 1;
	}
	slot = s->freeslots[--s->nfree];
	t = task_at(s, slot);
	t->gen++;
	if (t->gen == 0)
		t->gen = 1;
	t->id = ((uint64_t)t->gen << 32) | ((uint64_t)slot + 1);
	t->payload = t->result = t->item = t->ran_on = 0;
	t->bytes = 0;
	t->job = NULL;
	t->w = NULL;
	t->prev = t->next = NULL;
	t->msg = NULL;
	t->attempts = 0;
	t->state = T_QUEUED;
	t->status = SCHED_OK;
	t->stealing = false;
	t->in_queue = false;
	return t;
}

static void
task_free(struct sched *s, struct task *t)
{
	uint32_t slot = (uint32_t)(t->id & 0xffffffffu) - 1;

	free(t->msg);
	t->msg = NULL;
	t->state = T_FREE;
	t->id = 0;
	s->freeslots[s->nfree++] = slot;
}

/* The live task with this id, or NULL. */
static struct task *
task_find(const struct sched *s, uint64_t id)
{
	uint64_t	 slot = (id & 0xffffffffu);
	struct task	*t;

	if (slot == 0 || slot > s->nchunks * CHUNK_SIZE)
		return NULL;
	t = task_at(s, (uint32_t)(slot - 1));
	if (t->id != id || t->state == T_FREE || t->state == T_DELIVERED)
		return NULL;
	return t;
}

static struct act *
act_new(struct sched *s, enum sched_act_kind kind)
{
	struct act	*a;

	if (s->nacts == s->actcap) {
		s->actcap = s->actcap ? s->actcap * 2 : 64;
		s->acts = xrealloc(s->acts, s->actcap * sizeof *s->acts);
	}
	a = &s->acts[s->nacts++];
	memset(a, 0, sizeof *a);
	a->a.kind = kind;
	a->msg_off = SIZE_MAX;
	return a;
}

static void
act_msg(struct sched *s, struct act *a, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
act_msg(struct sched *s, struct act *a, const char *fmt, ...)
{
	va_list	 ap;

	a->msg_off = s->strs.len;
	va_start(ap, fmt);
	gl_buf_vaddf(&s->strs, fmt, ap);
	va_end(ap);
	gl_buf_addc(&s->strs, '\0');
}

static void
ids_reserve(struct sched *s, size_t n)
{
	if (s->nids + n > s->idcap) {
		while (s->nids + n > s->idcap)
			s->idcap = s->idcap ? s->idcap * 2 : 256;
		s->ids = xrealloc(s->ids, s->idcap * sizeof *s->ids);
	}
}

/* A task-list action (RELEASE, CANCEL) for worker with n ids to fill at
 * s->ids + a->ids_off. */
static struct act *
act_tasks(struct sched *s, enum sched_act_kind kind, uint64_t worker,
    size_t n)
{
	struct act	*a = act_new(s, kind);

	ids_reserve(s, n);
	a->a.worker = worker;
	a->a.n = n;
	a->ids_off = s->nids;
	s->nids += n;
	return a;
}

static void
worker_update_waiting(struct sched *s, struct worker *w)
{
	size_t	 live = w->held - w->stealing;
	size_t	 waiting = live > (size_t)w->slots ? live - (size_t)w->slots :
	    0;

	s->waiting = s->waiting - w->waiting + waiting;
	w->waiting = waiting;
}

static void
window_add(struct sched *s, struct worker *w, struct task *t)
{
	t->w = w;
	t->state = T_HELD;
	t->prev = w->tail;
	t->next = NULL;
	if (w->tail != NULL)
		w->tail->next = t;
	else
		w->head = t;
	w->tail = t;
	if (w->held++ == 0) {
		s->busy++;
		w->idle_since = -1;
	}
	s->held++;
	worker_update_waiting(s, w);
}

static void
window_remove(struct sched *s, struct task *t)
{
	struct worker	*w = t->w;

	if (t->prev != NULL)
		t->prev->next = t->next;
	else
		w->head = t->next;
	if (t->next != NULL)
		t->next->prev = t->prev;
	else
		w->tail = t->prev;
	t->prev = t->next = NULL;
	t->w = NULL;
	if (t->stealing) {
		t->stealing = false;
		w->stealing--;
	}
	if (--w->held == 0) {
		s->busy--;
		w->idle_since = s->now;
	}
	s->held--;
	worker_update_waiting(s, w);
	s->dirty = true;
}

static void
queue_grow(struct job *j)
{
	size_t		 ncap = j->qcap ? j->qcap * 2 : 16;
	struct task	**nq = xmalloc(ncap * sizeof *nq);

	for (size_t i = 0; i < j->qlen; i++)
		nq[i] = j->q[(j->qhead + i) % j->qcap];
	free(j->q);
	j->q = nq;
	j->qcap = ncap;
	j->qhead = 0;
}

static void
queue_push_back(struct sched *s, struct job *j, struct task *t)
{
	if (j->qlen == j->qcap)
		queue_grow(j);
	j->q[(j->qhead + j->qlen++) % j->qcap] = t;
	t->in_queue = true;
	t->state = T_QUEUED;
	if (j->queued++ == 0)
		ready_add(s, j);
	s->queued++;
	s->dirty = true;
}

static void
queue_push_front(struct sched *s, struct job *j, struct task *t)
{
	if (j->qlen == j->qcap)
		queue_grow(j);
	j->qhead = (j->qhead + j->qcap - 1) % j->qcap;
	j->q[j->qhead] = t;
	j->qlen++;
	t->in_queue = true;
	t->state = T_QUEUED;
	if (j->queued++ == 0)
		ready_add(s, j);
	s->queued++;
	s->dirty = true;
}

/* The first queued task of j, out of the queue; NULL if none. Drops the
 * tombstones of tasks finished while queued (cancelled). */
static struct task *
queue_pop(struct sched *s, struct job *j)
{
	while (j->qlen > 0) {
		struct task *t = j->q[j->qhead];

		j->qhead = (j->qhead + 1) % j->qcap;
		j->qlen--;
		t->in_queue = false;
		if (t->state == T_QUEUED) {
			if (--j->queued == 0)
				ready_remove(s, j);
			s->queued--;
			return t;
		}
		if (t->state == T_DELIVERED)
			task_free(s, t);
	}
	return NULL;
}

static size_t
jmap_home(const struct sched *s, uint64_t id)
{
	return (size_t)((id * 0x9e3779b97f4a7c15ull) >> 32) &
	    (s->jmapcap - 1);
}

static struct job *
job_find(const struct sched *s, uint64_t id)
{
	size_t	 i;

	if (s->jmapcap == 0)
		return NULL;
	for (i = jmap_home(s, id); s->jmap[i] != NULL;
	    i = (i + 1) & (s->jmapcap - 1))
		if (s->jmap[i]->id == id)
			return s->jmap[i];
	return NULL;
}

static void
jmap_put(struct sched *s, struct job *j)
{
	size_t	 i;

	if ((s->njobs + 1) * 2 > s->jmapcap) {
		struct job	**old = s->jmap;
		size_t		 ocap = s->jmapcap;

		s->jmapcap = ocap ? ocap * 2 : 16;
		s->jmap = xcalloc(s->jmapcap, sizeof *s->jmap);
		for (size_t k = 0; k < ocap; k++) {
			if (old[k] == NULL)
				continue;
			for (i = jmap_home(s, old[k]->id); s->jmap[i] != NULL;
			    i = (i + 1) & (s->jmapcap - 1))
				;
			s->jmap[i] = old[k];
		}
		free(old);
	}
	for (i = jmap_home(s, j->id); s->jmap[i] != NULL;
	    i = (i + 1) & (s->jmapcap - 1))
		;
	s->jmap[i] = j;
	s->njobs++;
}

/* Removes j, shifting back the entries after it (no tombstones). */
static void
jmap_del(struct sched *s, const struct job *j)
{
	size_t	 mask = s->jmapcap - 1, i, k, home;

	for (i = jmap_home(s, j->id); s->jmap[i] != j; i = (i + 1) & mask)
		;
	s->jmap[i] = NULL;
	for (k = (i + 1) & mask; s->jmap[k] != NULL; k = (k + 1) & mask) {
		home = jmap_home(s, s->jmap[k]->id);
		/* Move it back if its home is not in (i, k]. */
		if ((k > i && (home <= i || home > k)) ||
		    (k < i && home <= i && home > k)) {
			s->jmap[i] = s->jmap[k];
			s->jmap[k] = NULL;
			i = k;
		}
	}
	s->njobs--;
}

static void
ready_add(struct sched *s, struct job *j)
{
	if (j->ready)
		return;
	j->ready = true;
	j->rnext = NULL;
	j->rprev = s->ready_tail;
	if (s->ready_tail != NULL)
		s->ready_tail->rnext = j;
	else
		s->ready = j;
	s->ready_tail = j;
}

static void
ready_remove(struct sched *s, struct job *j)
{
	if (!j->ready)
		return;
	if (s->rr == j)
		s->rr = j->rnext;
	if (j->rprev != NULL)
		j->rprev->rnext = j->rnext;
	else
		s->ready = j->rnext;
	if (j->rnext != NULL)
		j->rnext->rprev = j->rprev;
	else
		s->ready_tail = j->rprev;
	j->rprev = j->rnext = NULL;
	j->ready = false;
}

/* j has progress to report. */
static void
job_dirty(struct sched *s, struct job *j)
{
	s->dirty = true;
	if (j->dirty)
		return;
	j->dirty = true;
	j->dprev = NULL;
	j->dnext = s->dirtyjobs;
	if (s->dirtyjobs != NULL)
		s->dirtyjobs->dprev = j;
	s->dirtyjobs = j;
}

static void
job_clean(struct sched *s, struct job *j)
{
	if (!j->dirty)
		return;
	if (j->dprev != NULL)
		j->dprev->dnext = j->dnext;
	else
		s->dirtyjobs = j->dnext;
	if (j->dnext != NULL)
		j->dnext->dprev = j->dprev;
	j->dprev = j->dnext = NULL;
	j->dirty = false;
}

static struct worker *
worker_find(const struct sched *s, uint64_t id, size_t *pos)
{
	for (size_t i = 0; i < s->nworkers; i++)
		if (s->workers[i]->id == id) {
			if (pos != NULL)
				*pos = i;
			return s->workers[i];
		}
	return NULL;
}

static void
begin(struct sched *s, int64_t now)
{
	if (now > s->now)
		s->now = now;
	if (s->ahead == s->nacts) {
		/* Everything drained: the storage can be reused. */
		s->nacts = s->ahead = 0;
		s->nids = 0;
		gl_buf_reset(&s->strs);
	}
}

/* ------------------------------------------------------------------ */
/* Public functions                                                     */
/* ------------------------------------------------------------------ */

void
sched_config_default(struct sched_config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->max_workers = 1;
	cfg->prefetch = 2;
	cfg->max_window = 256;
	cfg->batch_us = 2000;
	cfg->max_batch_bytes = (size_t)1 << 20;
	cfg->max_attempts = 3;
	cfg->heartbeat_timeout_ms = 10000;
	cfg->idle_timeout_ms = 300000;
	cfg->progress_ms = 100;
	cfg->steal_min_us = 1000;
	cfg->max_start_failures = 3;
}

struct sched *
sched_new(const struct sched_config *cfg)
{
	struct sched	*s = xcalloc(1, sizeof *s);

	s->cfg = *cfg;
	if (s->cfg.prefetch < 1)
		s->cfg.prefetch = 1;
	if (s->cfg.max_window < s->cfg.prefetch)
		s->cfg.max_window = s->cfg.prefetch;
	if (s->cfg.max_attempts < 1)
		s->cfg.max_attempts = 1;
	if (s->cfg.max_workers < 0)
		s->cfg.max_workers = 0;
	s->next_job_id = 1;
	s->scale = -1;
	s->now = INT64_MIN;
	s->next_progress = INT64_MIN;
	s->next_start = INT64_MIN;
	gl_buf_init(&s->strs);
	return s;
}

static void
job_free(struct job *j)
{
	free((char *)j->opts.user);
	free((char *)j->opts.notebook);
	free((char *)j->opts.cell);
	free(j->items);
	free(j->q);
	free(j->fail_msg);
	free(j);
}

void
sched_free(struct sched *s)
{
	struct job	*j, *next;

	if (s == NULL)
		return;
	for (j = s->jobs; j != NULL; j = next) {
		next = j->next_job;
		job_free(j);
	}
	for (size_t i = 0; i < s->nworkers; i++) {
		free(s->workers[i]->host);
		free(s->workers[i]);
	}
	for (size_t c = 0; c < s->nchunks; c++) {
		for (size_t i = 0; i < CHUNK_SIZE; i++)
			free(s->chunks[c][i].msg);
		free(s->chunks[c]);
	}
	free(s->chunks);
	free(s->jmap);
	free(s->freeslots);
	free(s->workers);
	free(s->acts);
	free(s->ids);
	free(s->start_why);
	gl_buf_fini(&s->strs);
	free(s);
}

uint64_t
sched_job_new(struct sched *s, const struct sched_job_opts *opts,
    int64_t now_ms)
{
	struct job	*j = xcalloc(1, sizeof *j);

	begin(s, now_ms);
	j->id = s->next_job_id++;
	j->opts.ordered = opts->ordered;
	j->opts.errors = opts->errors;
	j->opts.user = opts->user ? xstrdup(opts->user) : NULL;
	j->opts.notebook = opts->notebook ? xstrdup(opts->notebook) : NULL;
	j->opts.cell = opts->cell ? xstrdup(opts->cell) : NULL;
	jmap_put(s, j);
	j->prev = s->jobs_tail;
	if (s->jobs_tail != NULL)
		s->jobs_tail->next_job = j;
	else
		s->jobs = j;
	s->jobs_tail = j;
	return j->id;
}

int
sched_submit(struct sched *s, uint64_t job, size_t n,
    const uint64_t *payloads, const size_t *bytes, uint64_t *ids,
    int64_t now_ms)
{
	struct job	*j;

	begin(s, now_ms);
	if ((j = job_find(s, job)) == NULL || j->closed ||
	    j->state != J_RUNNING)
		return GL_ENOTFOUND;
	if (j->total + n > j->itemcap) {
		size_t cap = j->itemcap ? j->itemcap : 16;

		while (cap < j->total + n)
			cap *= 2;
		j->items = xrealloc(j->items, cap * sizeof *j->items);
		j->itemcap = cap;
	}
	while (j->qcap - j->qlen < n)
		queue_grow(j);
	for (size_t i = 0; i < n; i++) {
		struct task *t = task_alloc(s);

		t->job = j;
		t->payload = payloads[i];
		t->bytes = bytes != NULL ? bytes[i] : 0;
		t->item = j->total;
		j->items[j->total++] = t;
		queue_push_back(s, j, t);
		if (ids != NULL)
			ids[i] = t->id;
	}
	job_dirty(s, j);
	return 0;
}

/* Emits final progress and JOB_DONE if j is complete; frees it. */
static void
job_maybe_done(struct sched *s, struct job *j)
{
	struct act	*a;

	if (!j->closed || j->reported < j->total)
		return;
	a = act_new(s, SCHED_ACT_PROGRESS);
	a->a.job = j->id;
	a->a.done = j->done;
	a->a.failed = j->failed;
	a->a.total = j->total;
	a->a.busy = s->busy;
	a = act_new(s, SCHED_ACT_JOB_DONE);
	a->a.job = j->id;
	a->a.done = j->done;
	a->a.failed = j->failed;
	a->a.total = j->total;
	a->a.status = j->state == J_RAISED ? SCHED_ERROR :
	    j->state == J_CANCELLED ? SCHED_CANCELLED : SCHED_OK;
	if (j->state == J_RAISED) {
		a->a.task = j->fail_task;
		a->a.item = j->fail_item;
		if (j->fail_msg != NULL)
			act_msg(s, a, "%s", j->fail_msg);
	}
	/* Out of the list; any tombstones left in its queue go too. */
	while (queue_pop(s, j) != NULL)
		;	/* cannot happen: all its tasks are reported */
	if (j->prev != NULL)
		j->prev->next_job = j->next_job;
	else
		s->jobs = j->next_job;
	if (j->next_job != NULL)
		j->next_job->prev = j->prev;
	else
		s->jobs_tail = j->prev;
	ready_remove(s, j);
	job_clean(s, j);
	jmap_del(s, j);
	job_free(j);
}

void
sched_job_close(struct sched *s, uint64_t job, int64_t now_ms)
{
	struct job	*j;

	begin(s, now_ms);
	if ((j = job_find(s, job)) == NULL || j->closed)
		return;
	j->closed = true;
	job_maybe_done(s, j);
}

void
sched_cancel_job(struct sched *s, uint64_t job, int64_t now_ms)
{
	struct job	*j;

	begin(s, now_ms);
	if ((j = job_find(s, job)) == NULL)
		return;
	if (j->state == J_RUNNING)
		job_stop_all(s, j, J_CANCELLED);
	j->closed = true;
	job_maybe_done(s, j);
}

void
sched_cancel_task(struct sched *s, uint64_t task, int64_t now_ms)
{
	struct task	*t;
	struct act	*a;

	begin(s, now_ms);
	if ((t = task_find(s, task)) == NULL || t->state == T_DONE)
		return;
	if (t->state == T_HELD) {
		a = act_tasks(s, SCHED_ACT_CANCEL, t->w->id, 1);
		s->ids[a->ids_off] = t->id;
		window_remove(s, t);
	} else if (t->state == T_QUEUED) {
		/* Stays in the queue as a tombstone. */
		if (--t->job->queued == 0)
			ready_remove(s, t->job);
		s->queued--;
	}
	job_finish_task(s, t, SCHED_CANCELLED, 0, NULL);
}

const struct sched_job_opts *
sched_job_info(const struct sched *s, uint64_t job)
{
	struct job	*j = job_find(s, job);

	return j != NULL ? &j->opts : NULL;
}

void
sched_worker_joined(struct sched *s, uint64_t worker, const char *host,
    int slots, int64_t now_ms)
{
	struct worker	*w;

	begin(s, now_ms);
	if (worker == 0 || worker_find(s, worker, NULL) != NULL)
		return;
	w = xcalloc(1, sizeof *w);
	w->id = worker;
	w->host = xstrdup(host != NULL ? host : "?");
	w->slots = slots > 0 ? slots : 1;
	w->cap = (size_t)s->cfg.prefetch * (size_t)w->slots;
	w->last_seen = s->now;
	w->idle_since = s->now;
	if (s->nworkers == s->workcap) {
		s->workcap = s->workcap ? s->workcap * 2 : 16;
		s->workers = xrealloc(s->workers,
		    s->workcap * sizeof *s->workers);
	}
	s->workers[s->nworkers++] = w;
	s->up++;
	if (s->starting > 0)
		s->starting--;
	s->start_failures = 0;
	s->dirty = true;
}

void
sched_worker_left(struct sched *s, uint64_t worker, int64_t now_ms)
{
	struct worker	*w;

	begin(s, now_ms);
	if ((w = worker_find(s, worker, NULL)) != NULL)
		worker_gone(s, w, SCHED_LOSS_DISCONNECTED, false, "it left");
}

void
sched_worker_died(struct sched *s, uint64_t worker, enum sched_loss loss,
    const char *why, int64_t now_ms)
{
	struct worker	*w;

	begin(s, now_ms);
	if ((w = worker_find(s, worker, NULL)) != NULL)
		worker_gone(s, w, loss, loss != SCHED_LOSS_PREEMPTED,
		    why != NULL ? why : "");
}

void
sched_heartbeat(struct sched *s, uint64_t worker, int64_t now_ms)
{
	struct worker	*w;

	begin(s, now_ms);
	if ((w = worker_find(s, worker, NULL)) != NULL)
		w->last_seen = s->now;
}

void
sched_worker_released(struct sched *s, uint64_t worker,
    const uint64_t *tasks, size_t n, int64_t now_ms)
{
	struct worker	*w;

	begin(s, now_ms);
	if ((w = worker_find(s, worker, NULL)) == NULL)
		return;
	w->last_seen = s->now;
	w->steal_pending = false;
	/* Given back: to the front of their queues, keeping their order
	 * (the list is oldest first, so push from its end). */
	for (size_t i = n; i > 0; i--) {
		struct task *t = task_find(s, tasks[i - 1]);

		if (t == NULL || t->state != T_HELD || t->w != w ||
		    !t->stealing)
			continue;
		window_remove(s, t);
		queue_push_front(s, t->job, t);
	}
	/* The rest it started: no longer asked for. */
	for (struct task *t = w->head; t != NULL; t = t->next)
		if (t->stealing) {
			t->stealing = false;
			w->stealing--;
		}
	worker_update_waiting(s, w);
	s->dirty = true;
}

void
sched_start_failed(struct sched *s, int n, const char *why, int64_t now_ms)
{
	int64_t	 backoff;

	begin(s, now_ms);
	s->starting = n > s->starting ? 0 : s->starting - n;
	s->start_failures++;
	free(s->start_why);
	s->start_why = xstrdup(why != NULL ? why : "unknown reason");
	backoff = (int64_t)1000 << (s->start_failures < 6 ?
	    s->start_failures - 1 : 5);
	s->next_start = s->now + (backoff > 30000 ? 30000 : backoff);
	if (s->up == 0 && s->starting == 0 &&
	    s->start_failures >= s->cfg.max_start_failures) {
		/* Nobody will run the queued tasks: fail them. A failure
		 * may end (and free) its job, which leaves the ready list. */
		char	*msg = xasprintf("cannot start workers (%d attempts): "
		    "%s", s->start_failures, s->start_why);
		struct task *t;

		while (s->ready != NULL)
			if ((t = queue_pop(s, s->ready)) != NULL)
				job_finish_task(s, t, SCHED_FAILED, 0, msg);
		free(msg);
	}
	s->dirty = true;
}

/* Stops idle workers, the newest first, until keep are up. */
static void
stop_idle_above(struct sched *s, size_t keep, const char *why)
{
	for (size_t i = s->nworkers; i > 0 && s->up > keep; i--) {
		struct worker	*w = s->workers[i - 1];
		struct act	*a;

		if (w->stopping || w->held > 0)
			continue;
		w->stopping = true;
		s->up--;
		a = act_new(s, SCHED_ACT_STOP);
		a->a.worker = w->id;
		act_msg(s, a, "%s", why);
	}
}

void
sched_scale(struct sched *s, int n, int64_t now_ms)
{
	char	 why[64];

	begin(s, now_ms);
	s->scale = n < 0 ? -1 : n;
	if (n >= 0) {
		snprintf(why, sizeof why, "scaled down to %d workers", n);
		stop_idle_above(s, (size_t)n, why);
		if ((int)(s->up + (size_t)s->starting) < n &&
		    s->now >= s->next_start) {
			struct act *a = act_new(s, SCHED_ACT_START);

			a->a.n = (size_t)(n - (int)s->up - s->starting);
			s->starting += (int)a->a.n;
		}
	}
	s->dirty = true;
}

void
sched_set_max(struct sched *s, int max, int64_t now_ms)
{
	begin(s, now_ms);
	s->cfg.max_workers = max < 0 ? 0 : max;
	s->dirty = true;
}

int
sched_get_scale(const struct sched *s)
{
	return s->scale;
}

bool
sched_task_finished(struct sched *s, uint64_t worker, uint64_t task,
    enum sched_status status, uint64_t result, int64_t run_us,
    int64_t now_ms)
{
	struct task	*t;
	struct worker	*w;
	struct job	*j;

	begin(s, now_ms);
	if ((t = task_find(s, task)) == NULL || t->state != T_HELD ||
	    t->w->id != worker)
		return false;
	w = t->w;
	w->last_seen = s->now;
	w->done++;
	window_remove(s, t);
	t->ran_on = worker;
	j = t->job;
	if (run_us < 0)
		run_us = 0;
	if (j->nmean < 16) {
		/* A plain mean at first, then a moving one. */
		j->mean_us = (j->mean_us * (double)j->nmean + (double)run_us) /
		    (double)(j->nmean + 1);
	} else
		j->mean_us = 0.9 * j->mean_us + 0.1 * (double)run_us;
	j->nmean++;
	if (status != SCHED_OK && status != SCHED_ERROR)
		status = SCHED_ERROR;
	job_finish_task(s, t, status, result, NULL);
	return true;
}

void
sched_tick(struct sched *s, int64_t now_ms)
{
	begin(s, now_ms);
	for (size_t i = 0; i < s->nworkers; i++) {
		struct worker	*w = s->workers[i];
		struct act	*a;

		if (s->cfg.heartbeat_timeout_ms > 0 &&
		    s->now - w->last_seen > s->cfg.heartbeat_timeout_ms) {
			char	 why[96];
			uint64_t id = w->id;

			snprintf(why, sizeof why, "no heartbeat for %.1f s",
			    (double)(s->now - w->last_seen) / 1000.0);
			worker_gone(s, w, SCHED_LOSS_SILENT, true, why);
			a = act_new(s, SCHED_ACT_STOP);
			a->a.worker = id;
			act_msg(s, a, "%s", why);
			i--;		/* the array shifted */
			continue;
		}
		/* Idle too long, unless the workers kept (the scale) would
		 * go with it. */
		if (!w->stopping && w->held == 0 && s->queued == 0 &&
		    s->cfg.idle_timeout_ms > 0 &&
		    s->now - w->idle_since >= s->cfg.idle_timeout_ms &&
		    (s->scale < 0 || s->up > (size_t)s->scale)) {
			w->stopping = true;
			s->up--;
			a = act_new(s, SCHED_ACT_STOP);
			a->a.worker = w->id;
			act_msg(s, a, "idle for %lld s",
			    (long long)((s->now - w->idle_since) / 1000));
		}
	}
	s->dirty = true;
}

bool
sched_next_action(struct sched *s, struct sched_action *out)
{
	struct act	*a;

	if (s->dirty)
		pump(s);
	if (s->ahead == s->nacts)
		return false;
	a = &s->acts[s->ahead++];
	*out = a->a;
	if (a->a.kind == SCHED_ACT_SEND || a->a.kind == SCHED_ACT_RELEASE ||
	    a->a.kind == SCHED_ACT_CANCEL) {
		out->tasks = s->ids + a->ids_off;
		out->payloads = a->a.kind == SCHED_ACT_SEND ?
		    s->ids + a->ids_off + a->a.n : NULL;
	}
	out->msg = a->msg_off != SIZE_MAX ? s->strs.data + a->msg_off : NULL;
	return true;
}

size_t
sched_workers(const struct sched *s, struct sched_worker_info *out,
    size_t max)
{
	size_t	 n = 0;

	for (size_t i = 0; i < s->nworkers && n < max; i++) {
		const struct worker *w = s->workers[i];

		out[n].id = w->id;
		out[n].host = w->host;
		out[n].slots = w->slots;
		out[n].stopping = w->stopping;
		out[n].held = w->held;
		out[n].done = w->done;
		out[n].idle_since_ms = w->held > 0 ? -1 : w->idle_since;
		n++;
	}
	return n;
}

void
sched_counts(const struct sched *s, size_t *queued, size_t *held,
    size_t *up, size_t *starting)
{
	if (queued != NULL)
		*queued = s->queued;
	if (held != NULL)
		*held = s->held;
	if (up != NULL)
		*up = s->up;
	if (starting != NULL)
		*starting = (size_t)s->starting;
}

bool
sched_check(const struct sched *s)
{
	size_t	 queued = 0, held = 0, busy = 0, up = 0, waiting = 0;
	size_t	 njobs = 0, nready = 0;

	for (const struct job *j = s->jobs; j != NULL; j = j->next_job) {
		size_t	 q = 0, live = 0;

		njobs++;
		if (job_find(s, j->id) != j)
			return false;
		for (size_t i = 0; i < j->qlen; i++) {
			const struct task *t = j->q[(j->qhead + i) % j->qcap];

			if (!t->in_queue || t->job != j)
				return false;
			q += t->state == T_QUEUED;
		}
		if (q != j->queued || j->ready != (q > 0))
			return false;
		queued += q;
		for (size_t i = j->opts.ordered ? j->next : 0; i < j->total;
		    i++) {
			const struct task *t = j->items[i];

			if (t == NULL)
				continue;
			if (t->job != j || t->item != i)
				return false;
			if (t->state != T_QUEUED && t->state != T_HELD &&
			    t->state != T_DONE)
				return false;
			if (t->state == T_QUEUED && !t->in_queue)
				return false;
			live += t->state != T_DONE;
		}
		if (j->reported + live > j->total)
			return false;
	}
	if (njobs != s->njobs)
		return false;
	for (const struct job *j = s->ready; j != NULL; j = j->rnext)
		if (!j->ready || ++nready > njobs)
			return false;
	for (size_t i = 0; i < s->nworkers; i++) {
		const struct worker *w = s->workers[i];
		size_t		 n = 0, stealing = 0, live;

		for (const struct task *t = w->head; t != NULL; t = t->next) {
			if (t->w != w || t->state != T_HELD ||
			    (t->next == NULL && w->tail != t))
				return false;
			n++;
			stealing += t->stealing;
		}
		if (n != w->held || stealing != w->stealing)
			return false;
		live = n - stealing;
		if (w->waiting != (live > (size_t)w->slots ?
		    live - (size_t)w->slots : 0))
			return false;
		held += n;
		waiting += w->waiting;
		busy += n > 0;
		up += !w->stopping;
	}
	if (nready != 0 && s->queued == 0)
		return false;
	return queued == s->queued && held == s->held && busy == s->busy &&
	    up == s->up && waiting == s->waiting;
}

/* ------------------------------------------------------------------ */
/* Finishing tasks and jobs                                             */
/* ------------------------------------------------------------------ */

static void
emit_result(struct sched *s, struct task *t)
{
	struct job	*j = t->job;
	struct act	*a = act_new(s, SCHED_ACT_RESULT);

	a->a.job = j->id;
	a->a.task = t->id;
	a->a.item = t->item;
	a->a.status = (enum sched_status)t->status;
	a->a.payload = t->payload;
	a->a.result = t->result;
	a->a.worker = t->ran_on;
	if (t->msg != NULL)
		act_msg(s, a, "%s", t->msg);
	j->items[t->item] = NULL;
	j->reported++;
	if (t->in_queue)
		t->state = T_DELIVERED;	/* freed when popped */
	else
		task_free(s, t);
}

/* Reports what can be reported: in item order for an ordered job. */
static void
job_deliver(struct sched *s, struct job *j, struct task *t)
{
	if (!j->opts.ordered) {
		if (t != NULL && t->state == T_DONE)
			emit_result(s, t);
		return;
	}
	while (j->next < j->total && j->items[j->next] != NULL &&
	    j->items[j->next]->state == T_DONE)
		emit_result(s, j->items[j->next++]);
}

/* Marks t finished; under SCHED_ERRORS_RAISE a failure stops its job. */
static void
job_finish_task(struct sched *s, struct task *t, enum sched_status status,
    uint64_t result, const char *msg)
{
	struct job	*j = t->job;

	t->state = T_DONE;
	t->status = (unsigned char)status;
	t->result = result;
	if (msg != NULL) {
		free(t->msg);
		t->msg = xstrdup(msg);
	}
	if (status != SCHED_CANCELLED)
		j->done++;
	if (status == SCHED_ERROR || status == SCHED_FAILED)
		j->failed++;
	job_dirty(s, j);
	if (j->state == J_RUNNING && j->opts.errors == SCHED_ERRORS_RAISE &&
	    (status == SCHED_ERROR || status == SCHED_FAILED)) {
		j->fail_task = t->id;
		j->fail_item = t->item;
		free(j->fail_msg);
		j->fail_msg = msg != NULL ? xstrdup(msg) : NULL;
		job_deliver(s, j, t);
		job_stop_all(s, j, J_RAISED);
		j->closed = true;
		job_maybe_done(s, j);
		return;
	}
	job_deliver(s, j, t);
	job_maybe_done(s, j);
}

/* Cancels every unfinished task of j (raised or cancelled): out of its
 * queue, called back from the workers holding them. */
static void
job_stop_all(struct sched *s, struct job *j, enum jstate state)
{
	struct task	*t;

	j->state = state;
	/* Held tasks: one CANCEL per worker. */
	for (size_t i = 0; i < s->nworkers; i++) {
		struct worker	*w = s->workers[i];
		struct task	*next;
		struct act	*a;
		size_t		 n = 0, k = 0;

		for (t = w->head; t != NULL; t = t->next)
			n += t->job == j;
		if (n == 0)
			continue;
		a = act_tasks(s, SCHED_ACT_CANCEL, w->id, n);
		for (t = w->head; t != NULL; t = next) {
			next = t->next;
			if (t->job != j)
				continue;
			s->ids[a->ids_off + k++] = t->id;
			window_remove(s, t);
			t->state = T_DONE;
			t->status = SCHED_CANCELLED;
		}
	}
	/* Queued tasks. */
	while ((t = queue_pop(s, j)) != NULL) {
		t->state = T_DONE;
		t->status = SCHED_CANCELLED;
	}
	/* Report all that is left, in item order. */
	for (size_t i = j->opts.ordered ? j->next : 0; i < j->total; i++) {
		if ((t = j->items[i]) == NULL)
			continue;
		if (t->state != T_DONE) {
			/* Set aside by worker_gone(), about to fail. */
			t->state = T_DONE;
			t->status = SCHED_CANCELLED;
		}
		emit_result(s, t);
	}
	j->next = j->total;
	job_dirty(s, j);
}

/* A worker is gone (left, died, declared dead): its tasks go back to
 * their queues or, out of attempts, fail for good. */
static void
worker_gone(struct sched *s, struct worker *w, enum sched_loss loss,
    bool counts, const char *why)
{
	static const char *const losses[] = {
		[SCHED_LOSS_CRASHED] = "died",
		[SCHED_LOSS_DISCONNECTED] = "was disconnected",
		[SCHED_LOSS_SILENT] = "went silent",
		[SCHED_LOSS_PREEMPTED] = "lost its Slurm job",
	};
	struct task	*t, *prev;
	uint64_t	*fail = NULL;
	size_t		 pos = 0, k, nfail = 0, running = (size_t)w->slots;

	worker_find(s, w->id, &pos);
	if (w->held > 0)
		fail = xmalloc(w->held * sizeof *fail);
	/* From the newest, pushing to the front, keeps the order. The oldest
	 * `slots` tasks were presumably running: they count an attempt. */
	for (t = w->tail, k = w->held; t != NULL; t = prev, k--) {
		prev = t->prev;
		window_remove(s, t);
		t->ran_on = w->id;
		if (counts && k <= running &&
		    ++t->attempts >= s->cfg.max_attempts) {
			/* Set aside (held by nobody) until the others are
			 * back in their queues. */
			t->state = T_HELD;
			fail[nfail++] = t->id;
			continue;
		}
		queue_push_front(s, t->job, t);
	}
	/* Out of attempts: fail them now. A failure may stop its job (which
	 * reports the others set aside), so look each one up again. */
	for (size_t i = nfail; i > 0; i--) {
		char *msg;

		if ((t = task_find(s, fail[i - 1])) == NULL ||
		    t->state != T_HELD || t->w != NULL)
			continue;
		msg = xasprintf("item %llu: gave up after %d attempts: "
		    "worker %llu on %s %s (%s)",
		    (unsigned long long)t->item + 1, t->attempts,
		    (unsigned long long)w->id, w->host, losses[loss], why);
		job_finish_task(s, t, SCHED_FAILED, 0, msg);
		free(msg);
	}
	free(fail);
	if (!w->stopping)
		s->up--;
	s->waiting -= w->waiting;
	memmove(&s->workers[pos], &s->workers[pos + 1],
	    (s->nworkers - pos - 1) * sizeof *s->workers);
	s->nworkers--;
	free(w->host);
	free(w);
	s->dirty = true;
}

/* ------------------------------------------------------------------ */
/* Placement                                                            */
/* ------------------------------------------------------------------ */

/* Window cap of w for tasks of j. */
static size_t
cap_for(const struct sched *s, const struct worker *w, const struct job *j)
{
	size_t	 per = (size_t)s->cfg.prefetch;

	if (j != NULL && j->nmean > 0) {
		double	 m = j->mean_us < 1.0 ? 1.0 : j->mean_us;
		double	 k = ceil((double)s->cfg.batch_us / m);

		if (k > (double)s->cfg.max_window)
			k = (double)s->cfg.max_window;
		if (k > (double)per)
			per = (size_t)k;
	}
	return per * (size_t)w->slots;
}

/* The next job with queued tasks, round robin from s->rr. */
static struct job *
next_job(struct sched *s)
{
	if (s->rr == NULL)
		s->rr = s->ready;
	return s->rr;
}

/* Fills w's window from the queues: one SEND per batch. */
static void
fill(struct sched *s, struct worker *w)
{
	struct job	*j;

	while (s->queued > 0 && (j = next_job(s)) != NULL) {
		size_t		 cap = cap_for(s, w, j), bytes = 0, n = 0;
		struct act	*a;
		size_t		 room;

		w->cap = cap;
		if (w->held >= cap)
			return;
		room = cap - w->held;
		if (room > j->queued)
			room = j->queued;
		/* Task ids, then payloads, room of each at most. */
		a = act_new(s, SCHED_ACT_SEND);
		a->a.worker = w->id;
		ids_reserve(s, 2 * room);
		a->ids_off = s->nids;
		while (n < room) {
			struct task *t = queue_pop(s, j);

			if (t == NULL)
				break;
			if (n > 0 && bytes + t->bytes >
			    s->cfg.max_batch_bytes) {
				queue_push_front(s, j, t);
				break;
			}
			bytes += t->bytes;
			s->ids[a->ids_off + n] = t->id;
			s->ids[a->ids_off + room + n] = t->payload;
			n++;
			window_add(s, w, t);
		}
		if (n < room)	/* payloads right after the ids */
			memmove(s->ids + a->ids_off + n,
			    s->ids + a->ids_off + room, n * sizeof *s->ids);
		a->a.n = n;
		s->nids += 2 * n;
		if (n == 0)
			s->nacts--;	/* nothing sent */
		/* An emptied job left the ready list (and rr moved on);
		 * after a full window, the next worker starts with the next
		 * job: round robin. */
		if (j->ready && n == room)
			s->rr = j->rnext;
	}
}

/* An idle worker and nothing queued: ask the worker with the most
 * waiting tasks to give back the newer half. */
static void
steal(struct sched *s)
{
	struct worker	*victim = NULL;
	struct act	*a;
	struct task	*t;
	size_t		 n, k = 0;

	for (size_t i = 0; i < s->nworkers; i++) {
		struct worker *w = s->workers[i];

		if (w->steal_pending || w->waiting == 0)
			continue;
		if (w->tail != NULL && w->tail->job->nmean > 0 &&
		    w->tail->job->mean_us < (double)s->cfg.steal_min_us)
			continue;
		if (victim == NULL || w->waiting > victim->waiting)
			victim = w;
	}
	if (victim == NULL)
		return;
	n = (victim->waiting + 1) / 2;
	a = act_tasks(s, SCHED_ACT_RELEASE, victim->id, n);
	for (t = victim->tail; t != NULL && k < n; t = t->prev) {
		if (t->stealing)
			continue;
		t->stealing = true;
		victim->stealing++;
		s->ids[a->ids_off + n - 1 - k++] = t->id;	/* oldest first */
	}
	victim->steal_pending = true;
	worker_update_waiting(s, victim);
}

/* Progress of the jobs that changed, all at once, at most every
 * progress_ms. */
static void
progress(struct sched *s)
{
	struct job	*j;

	if (s->dirtyjobs == NULL || s->now < s->next_progress)
		return;
	while ((j = s->dirtyjobs) != NULL) {
		struct act *a = act_new(s, SCHED_ACT_PROGRESS);

		a->a.job = j->id;
		a->a.done = j->done;
		a->a.failed = j->failed;
		a->a.total = j->total;
		a->a.busy = s->busy;
		job_clean(s, j);
	}
	s->next_progress = s->now + s->cfg.progress_ms;
}

static void
pump(struct sched *s)
{
	size_t	 outstanding = s->queued + s->held, want;

	s->dirty = false;
	/* Idle workers first, then those down to half their window. */
	for (int pass = 0; pass < 2 && s->queued > 0; pass++)
		for (size_t i = 0; i < s->nworkers && s->queued > 0; i++) {
			struct worker *w = s->workers[i];

			if (w->stopping)
				continue;
			if (pass == 0 ? w->held == 0 : w->held > 0 &&
			    w->held <= w->cap / 2)
				fill(s, w);
		}
	if (s->queued == 0 && s->waiting > 0 && s->busy < s->up)
		steal(s);
	/* Workers wanted: what the work needs up to the cap, and never
	 * fewer than the scale asked for; none while scaled to 0. */
	want = outstanding < (size_t)s->cfg.max_workers ? outstanding :
	    (size_t)s->cfg.max_workers;
	if (s->scale > 0 && want < (size_t)s->scale)
		want = (size_t)s->scale;
	if (s->scale == 0)
		want = 0;
	if (s->up + (size_t)s->starting < want && s->now >= s->next_start) {
		struct act *a = act_new(s, SCHED_ACT_START);

		a->a.n = want - s->up - (size_t)s->starting;
		s->starting += (int)a->a.n;
	}
	/* Above the cap (it was lowered), or any while scaled to 0: idle
	 * workers stop, the newest first. */
	{
		size_t	 keep = s->scale == 0 ? 0 : (size_t)s->cfg.max_workers;
		char	 why[64];

		if (s->scale > 0 && keep < (size_t)s->scale)
			keep = (size_t)s->scale;
		snprintf(why, sizeof why, "scaled down to %zu workers", keep);
		if (s->up > keep)
			stop_idle_above(s, keep, why);
	}
	progress(s);
}

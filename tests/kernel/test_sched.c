/*
 * test_sched.c - the scheduler model: randomized simulations of workers
 * that run tasks, die, freeze and come back (every task reported exactly
 * once, map results in item order, the right values), and one scripted
 * test per policy: prefetch, batching, stealing, retries and their limit,
 * preemption, heartbeats, idle timeout, throttled progress, errors
 * raised or collected, cancelling, starting and scaling workers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/err.h"
#include "core/mem.h"
#include "core/util.h"
#include "kernel/sched.h"

/* ------------------------------------------------------------------ */
/* A simulated cluster                                                  */
/* ------------------------------------------------------------------ */

#define SIM_MAX_WORKERS	64
#define SIM_MAX_JOBS	8

struct msg {				/* a SEND in flight, or a task */
	uint64_t	 task, payload;
};

struct simw {
	uint64_t	 id;
	bool		 up;		/* joined, not dead */
	bool		 frozen;	/* no heartbeats, no progress */
	int64_t		 zombie_until;	/* killed, still answering (late) */
	int64_t		 join_at;	/* started: joins then (-1: no) */
	struct msg	*fifo;		/* received, not started */
	size_t		 nfifo, capfifo;
	struct msg	 run;		/* running, if run.task */
	int64_t		 run_end;
	int64_t		 last_hb;
	int64_t		 idle_ms;	/* idle while work was queued */
};

struct simjob {
	uint64_t	 id;
	bool		 ordered;
	size_t		 total;
	uint64_t	*payloads;	/* by item */
	int		*reported;	/* RESULTs per item */
	uint64_t	 next_item;	/* ordered: expected next */
	bool		 done;
	enum sched_status done_status;
	size_t		 ok, failed, cancelled;
};

struct sim {
	struct sched	*s;
	struct sched_config cfg;
	struct gl_rng	 rng;
	int64_t		 now;
	struct simw	 w[SIM_MAX_WORKERS];
	size_t		 nw;
	uint64_t	 next_wid;
	struct simjob	 jobs[SIM_MAX_JOBS];
	size_t		 njobs;
	int		 min_run, max_run;	/* task run time, ms */
	int		 join_delay;
	size_t		 sends, sent_tasks, max_send;
	size_t		 steals, starts, stops;
	size_t		 progress;
	size_t		 late;		/* answers the model ignored */
	char		 last_failed[512];
	char		 last_stop[256];
};

static void
sim_init(struct sim *m, const struct sched_config *cfg, uint64_t seed)
{
	memset(m, 0, sizeof *m);
	m->cfg = *cfg;
	m->s = sched_new(cfg);
	gl_rng_seed(&m->rng, seed);
	m->now = 1000;
	m->next_wid = 100;
	m->min_run = m->max_run = 1;
	m->join_delay = 2;
}

static void
sim_fini(struct sim *m)
{
	for (size_t i = 0; i < m->nw; i++)
		free(m->w[i].fifo);
	for (size_t i = 0; i < m->njobs; i++) {
		free(m->jobs[i].payloads);
		free(m->jobs[i].reported);
	}
	sched_free(m->s);
}

static struct simw *
sim_worker(struct sim *m, uint64_t id)
{
	for (size_t i = 0; i < m->nw; i++)
		if (m->w[i].id == id)
			return &m->w[i];
	return NULL;
}

static struct simjob *
sim_job(struct sim *m, uint64_t id)
{
	for (size_t i = 0; i < m->njobs; i++)
		if (m->jobs[i].id == id)
			return &m->jobs[i];
	return NULL;
}

/* A worker process the launcher started: it joins join_delay ms later. */
static struct simw *
sim_spawn(struct sim *m)
{
	struct simw *w;

	assert_true(m->nw < SIM_MAX_WORKERS);
	w = &m->w[m->nw++];
	memset(w, 0, sizeof *w);
	w->id = m->next_wid++;
	w->join_at = m->now + m->join_delay;
	return w;
}

static void
fifo_push(struct simw *w, uint64_t task, uint64_t payload)
{
	if (w->nfifo == w->capfifo) {
		w->capfifo = w->capfifo ? w->capfifo * 2 : 16;
		w->fifo = xrealloc(w->fifo, w->capfifo * sizeof *w->fifo);
	}
	w->fifo[w->nfifo].task = task;
	w->fifo[w->nfifo].payload = payload;
	w->nfifo++;
}

static bool
fifo_remove(struct simw *w, uint64_t task)
{
	for (size_t i = 0; i < w->nfifo; i++)
		if (w->fifo[i].task == task) {
			memmove(&w->fifo[i], &w->fifo[i + 1],
			    (w->nfifo - i - 1) * sizeof *w->fifo);
			w->nfifo--;
			return true;
		}
	return false;
}

/* What a task computes: the tests check every result against it. */
static uint64_t
task_value(uint64_t payload)
{
	return payload * 10 + 1;
}

/* Carries out every pending action. */
static void
sim_drain(struct sim *m)
{
	struct sched_action a;

	while (sched_next_action(m->s, &a)) {
		struct simw	*w;
		struct simjob	*j;

		switch (a.kind) {
		case SCHED_ACT_SEND:
			assert_true(a.n > 0);
			w = sim_worker(m, a.worker);
			assert_non_null(w);
			assert_true(w->up);
			m->sends++;
			m->sent_tasks += a.n;
			if (a.n > m->max_send)
				m->max_send = a.n;
			for (size_t i = 0; i < a.n; i++)
				fifo_push(w, a.tasks[i], a.payloads[i]);
			break;
		case SCHED_ACT_RELEASE: {
			uint64_t given[256];
			size_t	 n = 0;

			w = sim_worker(m, a.worker);
			assert_non_null(w);
			m->steals++;
			if (!w->up || w->frozen)
				break;	/* it will die or come back */
			for (size_t i = 0; i < a.n && n < 256; i++)
				if (fifo_remove(w, a.tasks[i]))
					given[n++] = a.tasks[i];
			sched_worker_released(m->s, w->id, given, n, m->now);
			break;
		}
		case SCHED_ACT_CANCEL:
			w = sim_worker(m, a.worker);
			assert_non_null(w);
			for (size_t i = 0; i < a.n; i++)
				fifo_remove(w, a.tasks[i]);
			break;
		case SCHED_ACT_START:
			m->starts += a.n;
			for (size_t i = 0; i < a.n; i++)
				sim_spawn(m);
			break;
		case SCHED_ACT_STOP:
			m->stops++;
			snprintf(m->last_stop, sizeof m->last_stop, "%s",
			    a.msg != NULL ? a.msg : "");
			w = sim_worker(m, a.worker);
			assert_non_null(w);
			if (w->up && w->frozen) {
				/* Declared dead while hung: it thaws and
				 * answers a little before the kill lands. */
				w->frozen = false;
				w->zombie_until = m->now + 30;
			} else if (w->up) {
				w->up = false;
				w->nfifo = 0;
				w->run.task = 0;
				sched_worker_left(m->s, w->id, m->now);
			}
			break;
		case SCHED_ACT_RESULT:
			j = sim_job(m, a.job);
			assert_non_null(j);
			assert_false(j->done);
			assert_true(a.item < j->total);
			assert_int_equal(j->reported[a.item], 0);
			j->reported[a.item]++;
			assert_int_equal(a.payload, j->payloads[a.item]);
			if (j->ordered) {
				assert_int_equal(a.item, j->next_item);
				j->next_item++;
			}
			switch (a.status) {
			case SCHED_OK:
				assert_int_equal(a.result,
				    task_value(a.payload));
				j->ok++;
				break;
			case SCHED_ERROR:
				j->failed++;
				break;
			case SCHED_FAILED:
				assert_non_null(a.msg);
				snprintf(m->last_failed, sizeof m->last_failed,
				    "%s", a.msg);
				j->failed++;
				break;
			case SCHED_CANCELLED:
				j->cancelled++;
				break;
			}
			break;
		case SCHED_ACT_PROGRESS:
			m->progress++;
			j = sim_job(m, a.job);
			assert_non_null(j);
			assert_false(j->done);
			assert_true(a.done <= a.total);
			break;
		case SCHED_ACT_JOB_DONE:
			j = sim_job(m, a.job);
			assert_non_null(j);
			assert_false(j->done);
			for (size_t i = 0; i < j->total; i++)
				assert_int_equal(j->reported[i], 1);
			j->done = true;
			j->done_status = a.status;
			break;
		}
	}
}

static struct simjob *
sim_submit(struct sim *m, bool ordered, enum sched_errors errors,
    size_t n, bool close)
{
	struct sched_job_opts opts = { ordered, errors, "ann", "nb.nb.lua",
	    "c1" };
	struct simjob	*j;

	assert_true(m->njobs < SIM_MAX_JOBS);
	j = &m->jobs[m->njobs++];
	memset(j, 0, sizeof *j);
	j->id = sched_job_new(m->s, &opts, m->now);
	j->ordered = ordered;
	j->total = n;
	j->payloads = xcalloc(n ? n : 1, sizeof *j->payloads);
	j->reported = xcalloc(n ? n : 1, sizeof *j->reported);
	for (size_t i = 0; i < n; i++)
		j->payloads[i] = (uint64_t)(m->njobs * 1000000 + i);
	if (n > 0)
		assert_int_equal(sched_submit(m->s, j->id, n, j->payloads,
		    NULL, NULL, m->now), 0);
	if (close)
		sched_job_close(m->s, j->id, m->now);
	sim_drain(m);
	return j;
}

/* Kills worker w the way loss says. */
static void
sim_kill(struct sim *m, struct simw *w, enum sched_loss loss,
    const char *why)
{
	w->up = false;
	w->nfifo = 0;
	w->run.task = 0;
	sched_worker_died(m->s, w->id, loss, why, m->now);
}

/* One millisecond of the world. */
static void
sim_step(struct sim *m)
{
	size_t queued;

	m->now++;
	sched_counts(m->s, &queued, NULL, NULL, NULL);
	for (size_t i = 0; i < m->nw; i++) {
		struct simw *w = &m->w[i];

		if (w->join_at > 0 && m->now >= w->join_at) {
			w->join_at = -1;
			w->up = true;
			w->last_hb = m->now;
			sched_worker_joined(m->s, w->id, "host-a", 1, m->now);
			continue;
		}
		if (!w->up || w->frozen)
			continue;
		if (w->zombie_until > 0 && m->now >= w->zombie_until) {
			w->up = false;
			continue;
		}
		if (m->max_run == 0) {
			/* Tiny tasks: up to 50 a millisecond, 10 us each. */
			for (int k = 0; k < 50 && w->nfifo > 0; k++) {
				struct msg t = w->fifo[0];

				memmove(&w->fifo[0], &w->fifo[1],
				    (w->nfifo - 1) * sizeof *w->fifo);
				w->nfifo--;
				if (!sched_task_finished(m->s, w->id, t.task,
				    SCHED_OK, task_value(t.payload), 10,
				    m->now))
					m->late++;
			}
			goto heartbeat;
		}
		if (w->run.task != 0 && m->now >= w->run_end) {
			bool taken = sched_task_finished(m->s, w->id,
			    w->run.task, SCHED_OK, task_value(w->run.payload),
			    (w->run_end - (m->now - 1)) * 1000, m->now);

			if (!taken)
				m->late++;
			w->run.task = 0;
		}
		if (w->run.task == 0 && w->nfifo > 0) {
			int span = m->max_run - m->min_run + 1;

			w->run = w->fifo[0];
			memmove(&w->fifo[0], &w->fifo[1],
			    (w->nfifo - 1) * sizeof *w->fifo);
			w->nfifo--;
			w->run_end = m->now + m->min_run +
			    (int)gl_rng_below(&m->rng, (uint64_t)span);
		}
		if (w->run.task == 0 && queued > 0)
			w->idle_ms++;
heartbeat:
		if (m->now - w->last_hb >= 100 && w->zombie_until == 0) {
			w->last_hb = m->now;
			sched_heartbeat(m->s, w->id, m->now);
		}
	}
	if (m->now % 50 == 0)
		sched_tick(m->s, m->now);
	sim_drain(m);
	if (!sched_check(m->s))
		fail_msg("invariants broken at %lld ms", (long long)m->now);
}

/* The first seed: $SCHED_SEED to replay a printed one, else the time. */
static uint64_t
first_seed(uint64_t scale)
{
	const char *env = getenv("SCHED_SEED");

	if (env != NULL && *env != '\0')
		return strtoull(env, NULL, 10);
	return (uint64_t)time(NULL) * scale;
}

static bool
sim_all_done(const struct sim *m)
{
	for (size_t i = 0; i < m->njobs; i++)
		if (!m->jobs[i].done)
			return false;
	return true;
}

static void
sim_run(struct sim *m, int64_t max_ms)
{
	int64_t end = m->now + max_ms;

	while (!sim_all_done(m) && m->now < end)
		sim_step(m);
	if (!sim_all_done(m))
		fail_msg("jobs not done after %lld ms", (long long)max_ms);
}

/* ------------------------------------------------------------------ */
/* Randomized simulations                                               */
/* ------------------------------------------------------------------ */

static void
test_random_simulations(void **state)
{
	uint64_t base = first_seed(1);

	size_t	 tasks = 0, deaths = 0, steals = 0, late = 0, sends = 0;
	size_t	 sent = 0, maxsend = 0;

	print_message("sched simulation seeds %llu..%llu\n",
	    (unsigned long long)base, (unsigned long long)base + 39);
	for (uint64_t seed = base; seed < base + 40; seed++) {
		struct sched_config cfg;
		struct sim	 m;
		size_t		 queued, held, up, starting;

		sched_config_default(&cfg);
		cfg.max_workers = 2 + (int)(seed % 5);
		cfg.max_attempts = 1000;	/* deaths never exhaust it */
		cfg.heartbeat_timeout_ms = 300;
		cfg.idle_timeout_ms = 400;
		cfg.steal_min_us = 0;
		sim_init(&m, &cfg, seed);
		m.min_run = 1;
		m.max_run = seed % 4 == 0 ? 0 : 1 + (int)(seed % 7);
		sim_submit(&m, true, SCHED_ERRORS_COLLECT,
		    50 + gl_rng_below(&m.rng, 400), true);
		sim_submit(&m, false, SCHED_ERRORS_COLLECT,
		    gl_rng_below(&m.rng, 200), true);
		sim_submit(&m, true, SCHED_ERRORS_RAISE,
		    gl_rng_below(&m.rng, 100), true);
		while (!sim_all_done(&m) && m.now < 200000) {
			uint64_t r = gl_rng_below(&m.rng, 1000);

			if (r < 8 && m.nw > 0) {
				/* Something happens to a worker. */
				struct simw *w = &m.w[gl_rng_below(&m.rng,
				    m.nw)];
				static const enum sched_loss losses[] = {
					SCHED_LOSS_CRASHED,
					SCHED_LOSS_DISCONNECTED,
					SCHED_LOSS_PREEMPTED,
				};

				if (w->zombie_until > 0) {
					/* already on its way out */
				} else if (w->up && !w->frozen && r < 6) {
					sim_kill(&m, w, losses[r % 3], "sim");
					deaths++;
				} else if (w->up && !w->frozen) {
					/* Freezes: declared dead after the
					 * heartbeat timeout, then answers
					 * late (ignored) if it thaws. */
					w->frozen = true;
				} else if (w->frozen && r == 7) {
					w->frozen = false;
				}
			}
			sim_step(&m);
		}
		if (!sim_all_done(&m))
			fail_msg("seed %llu: not done",
			    (unsigned long long)seed);
		for (size_t i = 0; i < m.njobs; i++) {
			struct simjob *j = &m.jobs[i];

			if (j->done_status == SCHED_OK)
				assert_int_equal(j->ok, j->total);
			assert_int_equal(j->ok + j->failed + j->cancelled,
			    j->total);
			if (j->ordered)
				assert_int_equal(j->next_item, j->total);
		}
		sched_counts(m.s, &queued, &held, &up, &starting);
		assert_int_equal(queued, 0);
		assert_int_equal(held, 0);
		/* The idle timeout stops everyone in the end. */
		for (int k = 0; k < 1000 && up > 0; k++) {
			sim_step(&m);
			sched_counts(m.s, NULL, NULL, &up, NULL);
		}
		assert_int_equal(up, 0);
		for (size_t i = 0; i < m.njobs; i++)
			tasks += m.jobs[i].total;
		steals += m.steals;
		late += m.late;
		sends += m.sends;
		sent += m.sent_tasks;
		if (m.max_send > maxsend)
			maxsend = m.max_send;
		sim_fini(&m);
	}
	print_message("%zu tasks, %zu sends of %zu tasks (%zu at most), "
	    "%zu worker deaths, "
	    "%zu steals, %zu late answers ignored\n", tasks, sends, sent,
	    maxsend, deaths, steals, late);
	/* The runs did exercise the failure paths. */
	assert_true(deaths > 10);
	assert_true(steals > 0);
	assert_true(late > 0);
	assert_true(maxsend >= 32);	/* tiny tasks were batched */
	assert_true(sent > tasks);	/* retries */
}

/* Deaths that use up attempts: tasks fail for good or finish, each
 * exactly once; under "raise" the job fails at the first. */
static void
test_random_with_attempts_running_out(void **state)
{
	uint64_t base = first_seed(7);

	print_message("sched attempts seeds %llu..%llu\n",
	    (unsigned long long)base, (unsigned long long)base + 19);
	for (uint64_t seed = base; seed < base + 20; seed++) {
		struct sched_config cfg;
		struct sim	 m;

		sched_config_default(&cfg);
		cfg.max_workers = 3;
		cfg.max_attempts = 2;
		cfg.steal_min_us = 0;
		sim_init(&m, &cfg, seed);
		m.max_run = 20;
		sim_submit(&m, true, SCHED_ERRORS_COLLECT, 80, true);
		sim_submit(&m, true, SCHED_ERRORS_RAISE, 80, true);
		while (!sim_all_done(&m) && m.now < 100000) {
			if (gl_rng_below(&m.rng, 100) < 3 && m.nw > 0) {
				struct simw *w = &m.w[gl_rng_below(&m.rng,
				    m.nw)];

				if (w->up)
					sim_kill(&m, w, SCHED_LOSS_CRASHED,
					    "killed by signal 9");
			}
			sim_step(&m);
		}
		assert_true(sim_all_done(&m));
		for (size_t i = 0; i < m.njobs; i++) {
			struct simjob *j = &m.jobs[i];

			assert_int_equal(j->ok + j->failed + j->cancelled,
			    j->total);
			assert_int_equal(j->next_item, j->total);
			if (j->failed > 0 && i == 1)
				assert_int_equal(j->done_status, SCHED_ERROR);
			if (i == 0)
				assert_int_equal(j->cancelled, 0);
		}
		sim_fini(&m);
	}
}

/* ------------------------------------------------------------------ */
/* One test per policy                                                  */
/* ------------------------------------------------------------------ */

/* Drains into a list the test inspects. */
struct acts {
	struct sched_action a[256];
	uint64_t	 ids[256][64];
	char		 msg[256][200];
	size_t		 n;
};

static size_t
drain(struct sched *s, struct acts *out)
{
	struct sched_action a;

	out->n = 0;
	assert_true(sched_check(s));
	while (sched_next_action(s, &a)) {
		size_t k = out->n++;

		assert_true(k < 256);
		out->a[k] = a;
		for (size_t i = 0; a.tasks != NULL && i < a.n && i < 64; i++)
			out->ids[k][i] = a.tasks[i];
		out->a[k].tasks = out->ids[k];
		snprintf(out->msg[k], sizeof out->msg[k], "%s",
		    a.msg != NULL ? a.msg : "");
		out->a[k].msg = out->msg[k];
	}
	assert_true(sched_check(s));
	return out->n;
}

static const struct sched_action *
find(const struct acts *x, enum sched_act_kind kind, size_t nth)
{
	for (size_t i = 0; i < x->n; i++)
		if (x->a[i].kind == kind && nth-- == 0)
			return &x->a[i];
	return NULL;
}

static size_t
count(const struct acts *x, enum sched_act_kind kind)
{
	size_t n = 0;

	for (size_t i = 0; i < x->n; i++)
		n += x->a[i].kind == kind;
	return n;
}

static uint64_t
new_job(struct sched *s, bool ordered, enum sched_errors errors,
    size_t n, uint64_t *ids, int64_t now)
{
	struct sched_job_opts opts = { ordered, errors, "ann", "nb", "c" };
	uint64_t	 job = sched_job_new(s, &opts, now);
	uint64_t	 payloads[64];

	assert_true(n <= 64);
	for (size_t i = 0; i < n; i++)
		payloads[i] = 500 + i;
	assert_int_equal(sched_submit(s, job, n, payloads, NULL, ids, now),
	    0);
	sched_job_close(s, job, now);
	return job;
}

static void
test_prefetch_keeps_workers_busy(void **state)
{
	struct sched_config cfg;
	struct sim	 m;
	size_t		 total_idle = 0;

	/* Tasks of 10 ms; a worker holds the next task before it finishes
	 * the current one, so it never waits while work is queued. */
	sched_config_default(&cfg);
	cfg.max_workers = 4;
	sim_init(&m, &cfg, 1);
	m.min_run = m.max_run = 10;
	sim_submit(&m, true, SCHED_ERRORS_RAISE, 200, true);
	sim_run(&m, 100000);
	for (size_t i = 0; i < m.nw; i++)
		total_idle += (size_t)m.w[i].idle_ms;
	/* Only before a worker's first send (it joined, the send is
	 * drained the same millisecond) can it be idle. */
	assert_true(total_idle <= m.nw);
	assert_int_equal(m.starts, 4);
	/* 200 tasks x 10 ms on 4 workers: 500 ms and a bit. */
	assert_true(m.now - 1000 < 520);
	assert_int_equal(m.steals, 0);
	sim_fini(&m);
}

static void
test_small_tasks_are_batched(void **state)
{
	struct sched_config cfg;
	struct sched	*s;
	struct acts	*x = xcalloc(1, sizeof *x);
	const struct sched_action *send;
	uint64_t	 ids[64];
	size_t		 n;

	sched_config_default(&cfg);
	cfg.max_workers = 1;
	s = sched_new(&cfg);
	new_job(s, true, SCHED_ERRORS_RAISE, 64, ids, 0);
	sched_worker_joined(s, 7, "h", 1, 0);
	drain(s, x);
	/* Not measured yet: prefetch (2) per slot. */
	send = find(x, SCHED_ACT_SEND, 0);
	assert_non_null(send);
	assert_int_equal(send->n, 2);
	/* Tasks of 20 us: the window grows to cover batch_us (2 ms). */
	assert_true(sched_task_finished(s, 7, ids[0], SCHED_OK, 1, 20, 1));
	assert_true(sched_task_finished(s, 7, ids[1], SCHED_OK, 1, 20, 1));
	drain(s, x);
	send = find(x, SCHED_ACT_SEND, 0);
	assert_non_null(send);
	assert_int_equal(send->n, 62);	/* all that is left, one message */
	assert_int_equal(send->tasks[0], ids[2]);
	n = count(x, SCHED_ACT_RESULT);
	assert_int_equal(n, 2);
	sched_free(s);

	/* Big payloads: max_batch_bytes splits the sends. */
	cfg.max_batch_bytes = 1000;
	s = sched_new(&cfg);
	{
		struct sched_job_opts opts = { true, SCHED_ERRORS_RAISE, NULL,
		    NULL, NULL };
		uint64_t job = sched_job_new(s, &opts, 0);
		uint64_t payloads[4] = { 1, 2, 3, 4 };
		size_t	 bytes[4] = { 600, 600, 300, 2000 };

		assert_int_equal(sched_submit(s, job, 4, payloads, bytes,
		    ids, 0), 0);
		sched_worker_joined(s, 7, "h", 2, 0);	/* window 4 */
		drain(s, x);
		assert_int_equal(count(x, SCHED_ACT_SEND), 3);
		assert_int_equal(find(x, SCHED_ACT_SEND, 0)->n, 1);
		assert_int_equal(find(x, SCHED_ACT_SEND, 1)->n, 2);
		assert_int_equal(find(x, SCHED_ACT_SEND, 2)->n, 1);
	}
	sched_free(s);
	free(x);
}

static void
test_stealing_moves_work_to_idle_worker(void **state)
{
	struct sched_config cfg;
	struct sched	*s;
	struct acts	*x = xcalloc(1, sizeof *x);
	const struct sched_action *a;
	uint64_t	 ids[64];

	sched_config_default(&cfg);
	cfg.max_workers = 2;
	cfg.prefetch = 4;
	s = sched_new(&cfg);
	new_job(s, true, SCHED_ERRORS_RAISE, 4, ids, 0);
	sched_worker_joined(s, 1, "busy", 1, 0);
	drain(s, x);
	assert_int_equal(find(x, SCHED_ACT_SEND, 0)->n, 4);
	/* A second worker joins with nothing queued: worker 1 runs task 0
	 * and has 3 waiting; it is asked for the newer half (2). */
	sched_worker_joined(s, 2, "idle", 1, 1);
	drain(s, x);
	a = find(x, SCHED_ACT_RELEASE, 0);
	assert_non_null(a);
	assert_int_equal(a->worker, 1);
	assert_int_equal(a->n, 2);
	assert_int_equal(a->tasks[0], ids[2]);
	assert_int_equal(a->tasks[1], ids[3]);
	/* Worker 1 had started task 2 meanwhile: it gives back task 3. */
	sched_worker_released(s, 1, &ids[3], 1, 2);
	drain(s, x);
	a = find(x, SCHED_ACT_SEND, 0);
	assert_non_null(a);
	assert_int_equal(a->worker, 2);
	assert_int_equal(a->n, 1);
	assert_int_equal(a->tasks[0], ids[3]);
	/* Everything finishes once, results in order. */
	assert_true(sched_task_finished(s, 2, ids[3], SCHED_OK, 13, 5000, 3));
	assert_false(sched_task_finished(s, 1, ids[3], SCHED_OK, 13, 1, 3));
	for (int i = 0; i < 3; i++)
		assert_true(sched_task_finished(s, 1, ids[i], SCHED_OK,
		    (uint64_t)10 + i, 5000, 4));
	drain(s, x);
	assert_int_equal(count(x, SCHED_ACT_RESULT), 4);
	for (size_t i = 0; i < 4; i++)
		assert_int_equal(find(x, SCHED_ACT_RESULT, i)->item, i);
	assert_int_equal(find(x, SCHED_ACT_RESULT, 3)->result, 13);
	assert_int_equal(find(x, SCHED_ACT_RESULT, 3)->worker, 2);
	assert_non_null(find(x, SCHED_ACT_JOB_DONE, 0));
	sched_free(s);
	free(x);
}

static void
test_retry_limit_names_worker_and_reason(void **state)
{
	struct sched_config cfg;
	struct sched	*s;
	struct acts	*x = xcalloc(1, sizeof *x);
	const struct sched_action *a;
	uint64_t	 ids[64];

	sched_config_default(&cfg);
	cfg.max_workers = 1;
	cfg.max_attempts = 2;
	s = sched_new(&cfg);
	new_job(s, true, SCHED_ERRORS_RAISE, 1, ids, 0);
	drain(s, x);
	assert_int_equal(find(x, SCHED_ACT_START, 0)->n, 1);
	sched_worker_joined(s, 1, "node1", 1, 10);
	drain(s, x);
	sched_worker_died(s, 1, SCHED_LOSS_CRASHED, "killed by signal 9", 20);
	drain(s, x);
	/* Retried: a replacement starts and gets the task. */
	assert_null(find(x, SCHED_ACT_RESULT, 0));
	assert_int_equal(find(x, SCHED_ACT_START, 0)->n, 1);
	sched_worker_joined(s, 2, "node2", 1, 30);
	drain(s, x);
	a = find(x, SCHED_ACT_SEND, 0);
	assert_int_equal(a->worker, 2);
	assert_int_equal(a->tasks[0], ids[0]);
	sched_worker_died(s, 2, SCHED_LOSS_DISCONNECTED, "connection reset "
	    "by peer", 40);
	drain(s, x);
	a = find(x, SCHED_ACT_RESULT, 0);
	assert_non_null(a);
	assert_int_equal(a->status, SCHED_FAILED);
	assert_int_equal(a->worker, 2);
	assert_string_equal(a->msg, "item 1: gave up after 2 attempts: worker "
	    "2 on node2 was disconnected (connection reset by peer)");
	a = find(x, SCHED_ACT_JOB_DONE, 0);
	assert_non_null(a);
	assert_int_equal(a->status, SCHED_ERROR);
	assert_int_equal(a->item, 0);
	assert_string_equal(a->msg, "item 1: gave up after 2 attempts: worker "
	    "2 on node2 was disconnected (connection reset by peer)");
	/* Nothing left: no more workers started. */
	assert_null(find(x, SCHED_ACT_START, 0));
	sched_free(s);
	free(x);
}

static void
test_preemption_does_not_count(void **state)
{
	struct sched_config cfg;
	struct sched	*s;
	struct acts	*x = xcalloc(1, sizeof *x);
	const struct sched_action *a;
	uint64_t	 ids[64];

	sched_config_default(&cfg);
	cfg.max_workers = 1;
	cfg.max_attempts = 1;	/* one counted loss fails a task */
	s = sched_new(&cfg);
	new_job(s, true, SCHED_ERRORS_RAISE, 2, ids, 0);
	sched_worker_joined(s, 1, "node1", 1, 0);
	drain(s, x);
	assert_int_equal(find(x, SCHED_ACT_SEND, 0)->n, 2);
	for (uint64_t w = 1; w <= 3; w++) {
		/* Its Slurm job ends (time limit): not the tasks' fault. */
		sched_worker_died(s, w, SCHED_LOSS_PREEMPTED,
		    "slurm job 42 TIMEOUT", (int64_t)w * 10);
		drain(s, x);
		assert_int_equal(count(x, SCHED_ACT_RESULT), 0);
		a = find(x, SCHED_ACT_START, 0);
		assert_non_null(a);	/* a replacement, work remains */
		assert_int_equal(a->n, 1);
		sched_worker_joined(s, w + 1, "node", 1, (int64_t)w * 10 + 5);
		drain(s, x);
		a = find(x, SCHED_ACT_SEND, 0);
		assert_int_equal(a->n, 2);
		assert_int_equal(a->tasks[0], ids[0]);
	}
	/* A crash counts, but only for the task it was running: the
	 * prefetched one is retried. */
	sched_worker_died(s, 4, SCHED_LOSS_CRASHED, "segfault", 100);
	drain(s, x);
	a = find(x, SCHED_ACT_RESULT, 0);
	assert_non_null(a);
	assert_int_equal(a->item, 0);
	assert_int_equal(a->status, SCHED_FAILED);
	assert_int_equal(find(x, SCHED_ACT_RESULT, 1)->status,
	    SCHED_CANCELLED);	/* raise: the job failed */
	sched_free(s);

	/* Same with errors collected: item 2 still runs. */
	s = sched_new(&cfg);
	new_job(s, true, SCHED_ERRORS_COLLECT, 2, ids, 0);
	sched_worker_joined(s, 1, "node1", 1, 0);
	drain(s, x);
	sched_worker_died(s, 1, SCHED_LOSS_CRASHED, "segfault", 10);
	drain(s, x);
	assert_int_equal(find(x, SCHED_ACT_RESULT, 0)->status, SCHED_FAILED);
	sched_worker_joined(s, 2, "node2", 1, 20);
	drain(s, x);
	a = find(x, SCHED_ACT_SEND, 0);
	assert_int_equal(a->tasks[0], ids[1]);
	assert_true(sched_task_finished(s, 2, ids[1], SCHED_OK, 9, 10, 30));
	drain(s, x);
	a = find(x, SCHED_ACT_RESULT, 0);
	assert_int_equal(a->status, SCHED_OK);
	assert_int_equal(a->item, 1);
	assert_int_equal(find(x, SCHED_ACT_JOB_DONE, 0)->failed, 1);
	sched_free(s);
	free(x);
}

static void
test_silent_worker_is_replaced(void **state)
{
	struct sched_config cfg;
	struct sched	*s;
	struct acts	*x = xcalloc(1, sizeof *x);
	const struct sched_action *a;
	uint64_t	 ids[64];

	sched_config_default(&cfg);
	cfg.max_workers = 2;
	cfg.heartbeat_timeout_ms = 1000;
	s = sched_new(&cfg);
	new_job(s, true, SCHED_ERRORS_RAISE, 1, ids, 0);
	sched_worker_joined(s, 1, "hung", 1, 0);
	sched_worker_joined(s, 2, "ok", 1, 0);
	drain(s, x);
	assert_int_equal(find(x, SCHED_ACT_SEND, 0)->worker, 1);
	sched_heartbeat(s, 2, 900);
	sched_tick(s, 1000);
	drain(s, x);
	assert_int_equal(count(x, SCHED_ACT_STOP), 0);
	sched_tick(s, 1001);
	drain(s, x);
	a = find(x, SCHED_ACT_STOP, 0);
	assert_non_null(a);
	assert_int_equal(a->worker, 1);
	assert_string_equal(a->msg, "no heartbeat for 1.0 s");
	a = find(x, SCHED_ACT_SEND, 0);
	assert_non_null(a);
	assert_int_equal(a->worker, 2);
	assert_int_equal(a->tasks[0], ids[0]);
	/* The hung worker's late answer is ignored. */
	assert_false(sched_task_finished(s, 1, ids[0], SCHED_OK, 1, 1, 1100));
	assert_true(sched_task_finished(s, 2, ids[0], SCHED_OK, 2, 1, 1100));
	drain(s, x);
	assert_int_equal(find(x, SCHED_ACT_RESULT, 0)->result, 2);
	sched_free(s);
	free(x);
}

static void
test_idle_timeout_stops_workers(void **state)
{
	struct sched_config cfg;
	struct sched	*s;
	struct acts	*x = xcalloc(1, sizeof *x);
	const struct sched_action *a;
	uint64_t	 ids[64];

	sched_config_default(&cfg);
	cfg.max_workers = 2;
	cfg.idle_timeout_ms = 60000;
	s = sched_new(&cfg);
	new_job(s, true, SCHED_ERRORS_RAISE, 1, ids, 0);
	sched_worker_joined(s, 1, "a", 1, 0);
	sched_worker_joined(s, 2, "b", 1, 0);
	drain(s, x);
	assert_true(sched_task_finished(s, 1, ids[0], SCHED_OK, 1, 1, 5000));
	drain(s, x);
	for (int64_t t = 0; t < 65000; t += 500) {
		sched_heartbeat(s, 1, t);
		sched_heartbeat(s, 2, t);
		sched_tick(s, t);
		drain(s, x);
		a = find(x, SCHED_ACT_STOP, 0);
		if (t < 60000)
			assert_null(a);
		else if (t == 60000) {
			/* Worker 2 was idle from the start. */
			assert_non_null(a);
			assert_int_equal(a->worker, 2);
			assert_string_equal(a->msg, "idle for 60 s");
			assert_int_equal(count(x, SCHED_ACT_STOP), 1);
		} else if (t == 65000 - 500 + 0 && a != NULL)
			assert_int_equal(a->worker, 1);
	}
	sched_tick(s, 65000);
	drain(s, x);
	a = find(x, SCHED_ACT_STOP, 0);
	assert_non_null(a);
	assert_int_equal(a->worker, 1);
	sched_worker_left(s, 1, 65001);
	sched_worker_left(s, 2, 65001);
	{
		size_t up;

		sched_counts(s, NULL, NULL, &up, NULL);
		assert_int_equal(up, 0);
	}
	/* New work starts workers again. */
	new_job(s, true, SCHED_ERRORS_RAISE, 3, ids, 70000);
	drain(s, x);
	assert_int_equal(find(x, SCHED_ACT_START, 0)->n, 2);
	sched_free(s);
	free(x);
}

static void
test_progress_is_throttled(void **state)
{
	struct sched_config cfg;
	struct sched	*s;
	struct acts	*x = xcalloc(1, sizeof *x);
	const struct sched_action *a;
	uint64_t	 ids[64];
	size_t		 progress = 0;

	sched_config_default(&cfg);
	cfg.max_workers = 1;
	cfg.progress_ms = 100;
	cfg.prefetch = 64;
	s = sched_new(&cfg);
	new_job(s, false, SCHED_ERRORS_COLLECT, 50, ids, 0);
	sched_worker_joined(s, 1, "a", 1, 0);
	drain(s, x);
	progress += count(x, SCHED_ACT_PROGRESS);
	assert_int_equal(progress, 1);	/* the first one at once */
	/* 49 tasks finish within 99 ms: no progress in between. */
	for (int i = 0; i < 49; i++) {
		assert_true(sched_task_finished(s, 1, ids[i], SCHED_OK, 1, 10,
		    1 + i * 2));
		drain(s, x);
		assert_int_equal(count(x, SCHED_ACT_PROGRESS), 0);
		assert_int_equal(count(x, SCHED_ACT_RESULT), 1);
	}
	/* A tick after the interval reports the change. */
	sched_tick(s, 100);
	drain(s, x);
	a = find(x, SCHED_ACT_PROGRESS, 0);
	assert_non_null(a);
	assert_int_equal(a->done, 49);
	assert_int_equal(a->total, 50);
	assert_int_equal(a->busy, 1);
	/* Nothing changed: nothing more. */
	sched_tick(s, 300);
	drain(s, x);
	assert_int_equal(count(x, SCHED_ACT_PROGRESS), 0);
	/* The last task: a final progress before JOB_DONE, unthrottled. */
	assert_true(sched_task_finished(s, 1, ids[49], SCHED_OK, 1, 10, 301));
	drain(s, x);
	assert_int_equal(count(x, SCHED_ACT_PROGRESS), 1);
	a = find(x, SCHED_ACT_PROGRESS, 0);
	assert_int_equal(a->done, 50);
	assert_non_null(find(x, SCHED_ACT_JOB_DONE, 0));
	sched_free(s);
	free(x);
}

static void
test_errors_raise_or_collect(void **state)
{
	struct sched_config cfg;
	struct sched	*s;
	struct acts	*x = xcalloc(1, sizeof *x);
	const struct sched_action *a;
	uint64_t	 ids[64];

	sched_config_default(&cfg);
	cfg.max_workers = 2;
	s = sched_new(&cfg);
	/* Collect: the error is a result in its place. */
	new_job(s, true, SCHED_ERRORS_COLLECT, 3, ids, 0);
	sched_worker_joined(s, 1, "a", 1, 0);
	drain(s, x);
	assert_true(sched_task_finished(s, 1, ids[1], SCHED_ERROR, 77, 1, 1));
	assert_true(sched_task_finished(s, 1, ids[0], SCHED_OK, 76, 1, 1));
	drain(s, x);
	assert_int_equal(count(x, SCHED_ACT_RESULT), 2);
	assert_int_equal(find(x, SCHED_ACT_RESULT, 0)->item, 0);
	a = find(x, SCHED_ACT_RESULT, 1);
	assert_int_equal(a->item, 1);
	assert_int_equal(a->status, SCHED_ERROR);
	assert_int_equal(a->result, 77);
	assert_true(sched_task_finished(s, 1, ids[2], SCHED_OK, 78, 1, 2));
	drain(s, x);
	a = find(x, SCHED_ACT_JOB_DONE, 0);
	assert_int_equal(a->status, SCHED_OK);
	assert_int_equal(a->failed, 1);
	assert_int_equal(a->done, 3);

	/* Raise: the first error ends the job; held tasks are called
	 * back, queued ones dropped; results still in item order. */
	new_job(s, true, SCHED_ERRORS_RAISE, 10, ids, 10);
	drain(s, x);
	assert_int_equal(find(x, SCHED_ACT_SEND, 0)->n, 2);
	assert_true(sched_task_finished(s, 1, ids[1], SCHED_ERROR, 88, 1,
	    11));
	drain(s, x);
	assert_int_equal(count(x, SCHED_ACT_RESULT), 10);
	assert_int_equal(find(x, SCHED_ACT_RESULT, 0)->status,
	    SCHED_CANCELLED);
	assert_int_equal(find(x, SCHED_ACT_RESULT, 1)->status, SCHED_ERROR);
	assert_int_equal(find(x, SCHED_ACT_RESULT, 1)->result, 88);
	for (size_t i = 0; i < 10; i++)
		assert_int_equal(find(x, SCHED_ACT_RESULT, i)->item, i);
	a = find(x, SCHED_ACT_JOB_DONE, 0);
	assert_int_equal(a->status, SCHED_ERROR);
	assert_int_equal(a->item, 1);
	assert_int_equal(a->task, ids[1]);
	a = find(x, SCHED_ACT_CANCEL, 0);
	assert_int_equal(a->worker, 1);
	assert_int_equal(a->n, 1);
	assert_int_equal(a->tasks[0], ids[0]);
	/* Late answers for its tasks are ignored. */
	assert_false(sched_task_finished(s, 1, ids[0], SCHED_OK, 1, 1, 12));
	sched_free(s);
	free(x);
}

static void
test_cancel(void **state)
{
	struct sched_config cfg;
	struct sched	*s;
	struct acts	*x = xcalloc(1, sizeof *x);
	const struct sched_action *a;
	uint64_t	 ids[64], job;
	size_t		 queued, held;

	sched_config_default(&cfg);
	cfg.max_workers = 1;
	s = sched_new(&cfg);
	/* One future cancelled while queued, one while held. */
	{
		struct sched_job_opts opts = { false, SCHED_ERRORS_COLLECT,
		    NULL, NULL, NULL };
		uint64_t payloads[3] = { 1, 2, 3 };

		job = sched_job_new(s, &opts, 0);
		assert_int_equal(sched_submit(s, job, 3, payloads, NULL, ids,
		    0), 0);
	}
	sched_worker_joined(s, 1, "a", 1, 0);
	drain(s, x);
	assert_int_equal(find(x, SCHED_ACT_SEND, 0)->n, 2);
	sched_cancel_task(s, ids[2], 1);	/* queued */
	sched_cancel_task(s, ids[1], 1);	/* held, waiting */
	drain(s, x);
	a = find(x, SCHED_ACT_CANCEL, 0);
	assert_non_null(a);
	assert_int_equal(a->tasks[0], ids[1]);
	assert_int_equal(count(x, SCHED_ACT_RESULT), 2);
	assert_int_equal(find(x, SCHED_ACT_RESULT, 0)->status,
	    SCHED_CANCELLED);
	assert_int_equal(find(x, SCHED_ACT_RESULT, 0)->item, 2);
	sched_cancel_task(s, ids[2], 2);	/* twice: nothing */
	drain(s, x);
	assert_int_equal(x->n, 0);
	assert_true(sched_task_finished(s, 1, ids[0], SCHED_OK, 5, 1, 3));
	drain(s, x);
	assert_null(find(x, SCHED_ACT_JOB_DONE, 0));	/* still open */
	sched_job_close(s, job, 4);
	drain(s, x);
	assert_non_null(find(x, SCHED_ACT_JOB_DONE, 0));

	/* A map cancelled (the cell interrupted). */
	job = new_job(s, true, SCHED_ERRORS_RAISE, 20, ids, 10);
	drain(s, x);
	sched_cancel_job(s, job, 11);
	drain(s, x);
	assert_int_equal(count(x, SCHED_ACT_RESULT), 20);
	a = find(x, SCHED_ACT_JOB_DONE, 0);
	assert_int_equal(a->status, SCHED_CANCELLED);
	sched_counts(s, &queued, &held, NULL, NULL);
	assert_int_equal(queued, 0);
	assert_int_equal(held, 0);
	sched_free(s);
	free(x);
}

static void
test_start_failures_back_off_then_fail(void **state)
{
	struct sched_config cfg;
	struct sched	*s;
	struct acts	*x = xcalloc(1, sizeof *x);
	const struct sched_action *a;
	uint64_t	 ids[64];

	sched_config_default(&cfg);
	cfg.max_workers = 4;
	s = sched_new(&cfg);
	/* Two tasks want two workers, not four. */
	new_job(s, true, SCHED_ERRORS_COLLECT, 2, ids, 0);
	drain(s, x);
	assert_int_equal(find(x, SCHED_ACT_START, 0)->n, 2);
	sched_start_failed(s, 2, "sbatch: error: invalid partition", 10);
	drain(s, x);
	assert_null(find(x, SCHED_ACT_START, 0));	/* backing off */
	sched_tick(s, 1009);
	drain(s, x);
	assert_null(find(x, SCHED_ACT_START, 0));
	sched_tick(s, 1010);
	drain(s, x);
	assert_int_equal(find(x, SCHED_ACT_START, 0)->n, 2);
	sched_start_failed(s, 2, "sbatch: error: invalid partition", 1020);
	sched_tick(s, 3020);
	drain(s, x);
	assert_int_equal(find(x, SCHED_ACT_START, 0)->n, 2);
	sched_start_failed(s, 2, "sbatch: error: invalid partition", 3030);
	drain(s, x);
	assert_int_equal(count(x, SCHED_ACT_RESULT), 2);
	a = find(x, SCHED_ACT_RESULT, 0);
	assert_int_equal(a->status, SCHED_FAILED);
	assert_string_equal(a->msg, "cannot start workers (3 attempts): "
	    "sbatch: error: invalid partition");
	assert_non_null(find(x, SCHED_ACT_JOB_DONE, 0));
	sched_free(s);
	free(x);
}

static void
test_scale(void **state)
{
	struct sched_config cfg;
	struct sched	*s;
	struct acts	*x = xcalloc(1, sizeof *x);
	size_t		 up;

	sched_config_default(&cfg);
	cfg.max_workers = 1;
	s = sched_new(&cfg);
	sched_scale(s, 3, 0);
	drain(s, x);
	assert_int_equal(find(x, SCHED_ACT_START, 0)->n, 3);
	sched_worker_joined(s, 1, "a", 1, 1);
	sched_worker_joined(s, 2, "b", 1, 1);
	sched_worker_joined(s, 3, "c", 1, 1);
	drain(s, x);
	assert_null(find(x, SCHED_ACT_START, 0));
	sched_scale(s, 1, 2);
	drain(s, x);
	assert_int_equal(count(x, SCHED_ACT_STOP), 2);
	assert_string_equal(find(x, SCHED_ACT_STOP, 0)->msg,
	    "scaled down to 1 workers");
	sched_counts(s, NULL, NULL, &up, NULL);
	assert_int_equal(up, 1);
	{
		struct sched_worker_info info[4];

		assert_int_equal(sched_workers(s, info, 4), 3);
		assert_false(info[0].stopping);	/* the oldest stays */
		assert_true(info[1].stopping);
		assert_true(info[2].stopping);
		assert_string_equal(info[0].host, "a");
	}
	sched_free(s);
	free(x);
}

/* cluster.scale sets a floor, not a ceiling: one worker kept, and a big
 * job still gets the cap; idle workers above the floor go, the floor
 * stays; scale 0 holds every start back until raised; auto undoes it. */
static void
test_scale_is_a_floor(void **state)
{
	struct sched_config cfg;
	struct sched	*s;
	struct acts	*x = xcalloc(1, sizeof *x);
	uint64_t	 ids[64];
	size_t		 up, queued, starting;

	sched_config_default(&cfg);
	cfg.max_workers = 4;
	cfg.idle_timeout_ms = 1000;
	s = sched_new(&cfg);
	sched_scale(s, 1, 0);
	drain(s, x);
	assert_int_equal(find(x, SCHED_ACT_START, 0)->n, 1);
	sched_worker_joined(s, 1, "a", 1, 0);
	drain(s, x);
	/* A job of 10: three more start, up to the cap of 4. */
	new_job(s, true, SCHED_ERRORS_RAISE, 10, ids, 10);
	drain(s, x);
	assert_int_equal(find(x, SCHED_ACT_START, 0)->n, 3);
	sched_worker_joined(s, 2, "b", 1, 20);
	sched_worker_joined(s, 3, "c", 1, 20);
	sched_worker_joined(s, 4, "d", 1, 20);
	drain(s, x);
	for (int i = 0; i < 10; i++) {
		struct sched_worker_info w[4];
		size_t	 n = sched_workers(s, w, 4);

		/* Whoever holds task i finishes it. */
		for (size_t k = 0; k < n; k++)
			if (sched_task_finished(s, w[k].id, ids[i], SCHED_OK,
			    1, 1, 30))
				break;
		drain(s, x);
	}
	sched_counts(s, &queued, NULL, &up, NULL);
	assert_int_equal(queued, 0);
	assert_int_equal(up, 4);
	/* Idle long enough: all go but the one kept. */
	for (int64_t t = 100; t <= 3000; t += 100) {
		for (uint64_t w = 1; w <= 4; w++)
			sched_heartbeat(s, w, t);
		sched_tick(s, t);
		drain(s, x);
	}
	sched_counts(s, NULL, NULL, &up, NULL);
	assert_int_equal(up, 1);
	assert_int_equal(sched_get_scale(s), 1);
	/* Scale 0: the idle one stops and a new job starts nobody. */
	sched_scale(s, 0, 3100);
	drain(s, x);
	assert_int_equal(count(x, SCHED_ACT_STOP), 1);
	new_job(s, true, SCHED_ERRORS_RAISE, 5, ids, 3200);
	for (int64_t t = 3200; t <= 60000; t += 1000) {
		sched_tick(s, t);
		drain(s, x);
		assert_null(find(x, SCHED_ACT_START, 0));
		assert_int_equal(count(x, SCHED_ACT_RESULT), 0);
	}
	sched_counts(s, &queued, NULL, &up, &starting);
	assert_int_equal(queued, 5);
	assert_int_equal(up, 0);
	assert_int_equal(starting, 0);
	/* Raised: workers start for the waiting tasks (the cap, 4, for 5
	 * tasks). */
	sched_scale(s, 2, 61000);
	drain(s, x);
	sched_counts(s, NULL, NULL, NULL, &starting);
	assert_int_equal(starting, 4);
	assert_non_null(find(x, SCHED_ACT_START, 0));
	/* Auto: no floor any more. */
	sched_scale(s, -1, 62000);
	assert_int_equal(sched_get_scale(s), -1);
	sched_free(s);
	free(x);
}

static void
test_accounting_and_unknown_ids(void **state)
{
	struct sched_config cfg;
	struct sched	*s;
	struct acts	*x = xcalloc(1, sizeof *x);
	const struct sched_job_opts *info;
	uint64_t	 ids[64], job;

	sched_config_default(&cfg);
	s = sched_new(&cfg);
	job = new_job(s, true, SCHED_ERRORS_RAISE, 1, ids, 0);
	info = sched_job_info(s, job);
	assert_non_null(info);
	assert_string_equal(info->user, "ann");
	assert_string_equal(info->notebook, "nb");
	assert_string_equal(info->cell, "c");
	assert_int_equal(sched_submit(s, 999, 1, ids, NULL, NULL, 0),
	    GL_ENOTFOUND);
	assert_int_equal(sched_submit(s, job, 1, ids, NULL, NULL, 0),
	    GL_ENOTFOUND);	/* closed */
	assert_false(sched_task_finished(s, 5, ids[0], SCHED_OK, 1, 1, 1));
	assert_false(sched_task_finished(s, 5, 12345, SCHED_OK, 1, 1, 1));
	sched_heartbeat(s, 77, 1);
	sched_worker_died(s, 77, SCHED_LOSS_CRASHED, "x", 1);
	sched_cancel_task(s, 0, 1);
	drain(s, x);
	/* An empty map is done at once. */
	job = new_job(s, true, SCHED_ERRORS_RAISE, 0, ids, 2);
	drain(s, x);
	assert_non_null(find(x, SCHED_ACT_JOB_DONE, 0));
	assert_null(sched_job_info(s, job));
	sched_free(s);
	free(x);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_simulations),
		cmocka_unit_test(test_random_with_attempts_running_out),
		cmocka_unit_test(test_prefetch_keeps_workers_busy),
		cmocka_unit_test(test_small_tasks_are_batched),
		cmocka_unit_test(test_stealing_moves_work_to_idle_worker),
		cmocka_unit_test(test_retry_limit_names_worker_and_reason),
		cmocka_unit_test(test_preemption_does_not_count),
		cmocka_unit_test(test_silent_worker_is_replaced),
		cmocka_unit_test(test_idle_timeout_stops_workers),
		cmocka_unit_test(test_progress_is_throttled),
		cmocka_unit_test(test_errors_raise_or_collect),
		cmocka_unit_test(test_cancel),
		cmocka_unit_test(test_start_failures_back_off_then_fail),
		cmocka_unit_test(test_scale),
		cmocka_unit_test(test_scale_is_a_floor),
		cmocka_unit_test(test_accounting_and_unknown_ids),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

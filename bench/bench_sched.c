/*
 * bench_sched.c - the scheduler model alone (issue 5): 100,000 no-op
 * tasks submitted as one cluster.map, placed, finished and reported in
 * item order, with 2 workers and with 64; and 100,000 single-task jobs
 * (cluster.submit futures). Prints tasks/s of CPU time (target: 100,000
 * tasks in well under 100 ms).
 * usage: bench_sched [TASKS]
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "core/mem.h"
#include "kernel/sched.h"

struct held {
	uint64_t	 worker, task;
};

static double
cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Drains actions; tasks sent are noted to be finished after the drain
 * (pointers from the model are valid until the next call). */
static size_t
drain(struct sched *s, struct held **h, size_t *nh, size_t *cap,
    size_t *results, size_t *sends)
{
	struct sched_action a;
	size_t		 done = 0;

	while (sched_next_action(s, &a)) {
		switch (a.kind) {
		case SCHED_ACT_SEND:
			(*sends)++;
			if (*nh + a.n > *cap) {
				while (*nh + a.n > *cap)
					*cap = *cap ? *cap * 2 : 1024;
				*h = xrealloc(*h, *cap * sizeof **h);
			}
			for (size_t i = 0; i < a.n; i++) {
				(*h)[*nh].worker = a.worker;
				(*h)[(*nh)++].task = a.tasks[i];
			}
			break;
		case SCHED_ACT_RESULT:
			(*results)++;
			break;
		case SCHED_ACT_JOB_DONE:
			done++;
			break;
		default:
			break;
		}
	}
	return done;
}

static void
run_map(size_t ntasks, int nworkers, size_t per_job)
{
	struct sched_config cfg;
	struct sched	*s;
	struct held	*h = NULL;
	size_t		 nh = 0, cap = 0, results = 0, sends = 0, jobs = 0;
	size_t		 njobs = (ntasks + per_job - 1) / per_job;
	uint64_t	*payloads = xmalloc(per_job * sizeof *payloads);
	struct sched_job_opts opts = { per_job > 1, SCHED_ERRORS_RAISE,
	    "bench", "bench.nb.lua", "c1" };
	double		 t0, t;
	int64_t		 now = 0;

	sched_config_default(&cfg);
	cfg.max_workers = nworkers;
	s = sched_new(&cfg);
	for (int i = 0; i < nworkers; i++)
		sched_worker_joined(s, (uint64_t)i + 1, "localhost", 1, 0);
	for (size_t i = 0; i < per_job; i++)
		payloads[i] = i + 1;

	t0 = cpu_s();
	for (size_t k = 0; k < njobs; k++) {
		uint64_t job = sched_job_new(s, &opts, now);

		sched_submit(s, job, per_job, payloads, NULL, NULL, now);
		sched_job_close(s, job, now);
	}
	jobs += drain(s, &h, &nh, &cap, &results, &sends);
	while (jobs < njobs) {
		size_t n = nh;

		if (n == 0) {
			fprintf(stderr, "bench_sched: stuck\n");
			exit(1);
		}
		now++;
		nh = 0;
		/* Each worker answers its batch; each answer is one
		 * message: finish all, then drain once. */
		for (size_t i = 0; i < n; i++)
			sched_task_finished(s, h[i].worker, h[i].task,
			    SCHED_OK, 7, 5, now);
		jobs += drain(s, &h, &nh, &cap, &results, &sends);
	}
	t = cpu_s() - t0;
	if (results != njobs * per_job) {
		fprintf(stderr, "bench_sched: %zu results for %zu tasks\n",
		    results, njobs * per_job);
		exit(1);
	}
	printf("%7zu tasks in %6zu job(s), %2d workers: %7.2f ms CPU, "
	    "%10.0f tasks/s, %6zu sends\n", njobs * per_job, njobs, nworkers,
	    t * 1e3, (double)(njobs * per_job) / t, sends);
	free(h);
	free(payloads);
	sched_free(s);
}

int
main(int argc, char **argv)
{
	size_t	 n = argc > 1 ? (size_t)atol(argv[1]) : 100000;

	printf("scheduler model alone (no I/O): submit, place, finish, "
	    "report\n");
	run_map(n, 2, n);
	run_map(n, 64, n);
	run_map(n, 2, 1);
	run_map(n, 8, 100);
	return 0;
}

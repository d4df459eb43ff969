/*
 * cluster_int.h - what the cluster service's files share
 * (kernel/cluster.c: the service, its listener, configuration, launcher,
 * tick and drain; cluster-worker.c: worker connections; cluster-job.c:
 * jobs and the runtimes' requests; cluster-usage.c: usage and limits):
 * the service's structures and the calls between its files. Not for use
 * outside the cluster*.c files.
 */
#ifndef GL_CLUSTER_INT_H
#define GL_CLUSTER_INT_H

#include <msgpack.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "core/auth.h"
#include "core/mem.h"
#include "core/rpc.h"
#include "kernel/cluster.h"
#include "kernel/log.h"
#include "kernel/sched.h"

struct cfg;
struct conn;
struct gl_err;
struct launch;
struct store;

#define CLU_TICK_MS		100
#define CLU_LOST_MS		15000	/* the launcher must say why by then */
#define CLU_FRAME_ANON		4096
#define CLU_FRAME_MAX		(300u << 20)
/* What one message from a worker may decode to: task.done carries
 * results (CLU_DONE_*), anything else is small. */
#define CLU_ELEMS_MAX		(64u << 10)
#define CLU_DECODED_MAX		((uint64_t)16 << 20)
#define CLU_DONE_ELEMS_MAX	(4u << 20)
#define CLU_DONE_DECODED_MAX	((uint64_t)CLU_FRAME_MAX + (128u << 20))
#define CLU_QUEUED_MAX		((size_t)1 << 30)
#define CLU_KEEP_MAX		((size_t)4 << 20)	/* staging kept */
#define CLU_USAGE_MS		1000	/* usage rows are written this often */
#define CLU_RESULTS_BYTES	((size_t)4 << 20)	/* a cluster.results */

enum clu_worker_state {
	WS_HELLO,		/* connected, not authenticated */
	WS_UP,			/* a worker of the scheduler */
	WS_STOPPING,		/* we sent worker.stop */
	WS_LOST,		/* dropped: waiting for the launcher's word */
	WS_DEAD,		/* the scheduler knows it is gone */
};

struct clu_worker {
	struct conn	*conn;		/* owned until closed, then NULL */
	struct clu	*c;		/* borrowed */
	struct clu_worker *prev, *next;
	enum clu_worker_state state;
	bool		 closing;	/* conn_close called */
	bool		 closed;	/* ... and done */
	bool		 pending;	/* counted in clu.npending */
	bool		 launched;	/* the launcher knows its name */
	uint64_t	 id;		/* the scheduler's worker id */
	char		 peer[128];
	char		 name[64];
	char		 host[128];
	int		 pid;
	unsigned char	 nonce[AUTH_NONCE_LEN];
	uint64_t	*fns;		/* owned: jobs whose function it has */
	size_t		 nfns, capfns;
	uint64_t	 tasks;		/* results it sent */
	double		 task_cpu_s;	/* their CPU time */
	double		 cpu_s;		/* the process's, from heartbeats */
	int64_t		 rss;
	int64_t		 since_ms;	/* connected */
	int64_t		 lost_ms;
};

struct clu_lsn {		/* the listener (rebound when config says) */
	uv_tcp_t	 tcp;
	struct clu	*c;
};

struct clu_item {
	const char	*p;		/* in a message the job keeps, or
					 * NULL: at off in the job's arena */
	size_t		 off;
	size_t		 len;
};

struct clu_use {		/* a job's work on one host, not yet written */
	char		 host[128];
	uint64_t	 tasks;
	double		 cpu_s, wall_s;
};

struct clu_job {
	uint64_t	 id;		/* the scheduler's */
	uint32_t	 slot;		/* in c->jobs: payload handles */
	struct sess	*sess;		/* borrowed; NULL once reset */
	char		 session[24];	/* its id */
	uint64_t	 gen;		/* its runtime's generation */
	uint64_t	 run;
	uint64_t	 ref;		/* map: the runtime's ref; 0: futures */
	bool		 submit;	/* the futures of a run */
	bool		 closed;	/* takes no more tasks */
	char		*cell;		/* owned */
	char		*notebook;	/* owned */
	char		*user;		/* owned: who pays (clu_from.user) */
	char		*group;		/* owned: the user's group */
	const char	*fn;		/* map: the encoded function */
	size_t		 fnlen;
	struct rpc_msg	*msgs;		/* owned: hold the items */
	size_t		 nmsgs, capmsgs;
	struct clu_item	*items;		/* owned */
	size_t		 nitems, capitems;
	struct gl_buf	 arena;		/* submit: the units, copied (a
					 * message per submit is not kept) */
	uint64_t	*refs;		/* submit: future ref per item */
	uint64_t	*tids;		/* submit: task id per item */
	size_t		 caprefs;
	struct gl_buf	 rbuf;		/* results for the runtime */
	msgpack_packer	 rpk;		/* packs into rbuf */
	size_t		 nr;
	bool		 queued;	/* on c->flushq */
	struct clu_job	*qnext;
	struct clu_use	*use;		/* owned */
	size_t		 nuse;
	size_t		 done, failed, total;
};

struct clu_res;

struct clu_resmsg {		/* one task.done, kept until delivered */
	struct rpc_msg	 m;
	size_t		 refs;
	char		 worker[200];	/* "local-1 (host)" */
	char		 host[128];
	struct clu_res	*r;		/* points just past the struct */
};

struct clu_res {
	struct clu_resmsg *h;
	const msgpack_object *value;
	int64_t		 run_us, cpu_us;
	const char	*out;		/* what the task printed, or NULL */
	size_t		 outlen;
};

struct clu {
	struct clu_host	 host;
	uv_loop_t	*loop;		/* borrowed */
	int		 handles;	/* open handles */
	int		 launchers;	/* launchers closing */
	bool		 closing;
	struct clu_lsn	*lsn;		/* the listener, or NULL */
	char		 listen_spec[128];	/* what it was bound for */
	char		 listen_addr[128];	/* where it listens */
	uv_timer_t	 tick;
	bool		 ticking;
	char		*secret_path;	/* owned */
	char		 secret[AUTH_TOKEN_LEN + 1];
	char		*exe;		/* owned, or NULL: /proc/self/exe */
	struct cfg	*cfg;		/* owned */
	struct launch	*launch;	/* owned; NULL until used */
	struct sched	*sched;		/* owned */
	struct clu_worker *workers;	/* owned list */
	size_t		 nworkers;
	size_t		 npending;	/* connections not authenticated */
	struct log_limit refused;	/* lines about refused peers */
	uint64_t	 next_worker;
	struct clu_job	**jobs;		/* owned, by slot; NULL = free */
	size_t		 capjobs, njobs;
	struct clu_job	*flushq;	/* jobs with results to send */
	struct rpc_writer w;		/* scratch for runtime messages */
	struct store	*usage;		/* the usage database, or NULL */
	char		*usage_path;	/* owned */
	int64_t		 usage_ms;	/* last flush */
	bool		 was_busy;
	char		 user[64];
	char		 group[64];
	/* What cluster.scale asked for, kept across configurations read
	 * again: the scale (-1: workers on demand) and a cap (0: the
	 * configuration's count). */
	int		 scale;
	int		 max_user;
	char		 rbuf[65536];
};

/* cluster.c */

/* Milliseconds on the loop's clock. */
int64_t	 clu_now(struct clu *c);
/* Carries out the scheduler's actions, sends what they packed, and
 * starts or stops the tick. */
void	 clu_drain(struct clu *c);
/* Frees c once it is closing and nothing of it is open. */
void	 clu_free_maybe(struct clu *c);
/* The configuration (read again, with s's project, when idle) and a
 * launcher, before work. */
int	 clu_ensure(struct clu *c, struct sess *s, struct gl_err *err);
/* Starts the 100 ms tick if it is not running. */
void	 clu_tick_start(struct clu *c);
/* cluster.scale {n?, max?, auto?} from a client or a runtime (s, or
 * NULL): applies it and packs the answer {n, max, auto} with pk. GL_EINVAL
 * with err for arguments out of range. */
int	 clu_scale(struct clu *c, struct sess *s, const msgpack_object *args,
	     msgpack_packer *pk, struct gl_err *err);
/* The cap work may start workers up to. */
int	 clu_max_workers(const struct clu *c);

/* cluster-job.c */

/* RESULT: to the job's runtime (batched), its usage, its output. */
void	 clu_act_result(struct clu *c, const struct sched_action *a);
/* PROGRESS: cluster.progress and a progress output of the cell. */
void	 clu_act_progress(struct clu *c, const struct sched_action *a);
/* JOB_DONE: the map's end to its runtime; the job freed. */
void	 clu_act_job_done(struct clu *c, const struct sched_action *a);
/* Sends the results gathered for j to its runtime. */
void	 clu_flush_results(struct clu *c, struct clu_job *j);
/* Frees j: at its JOB_DONE, or with the service. */
void	 clu_job_free(struct clu *c, struct clu_job *j);
/* The job of a task's payload handle (slot << 32 | item), or NULL. */
struct clu_job *clu_job_of_payload(struct clu *c, uint64_t payload);

/* cluster-usage.c */

/* Adds result r, run on host, to j's usage tally. */
void	 clu_job_account(struct clu_job *j, const char *host,
	     const struct clu_res *r);
/* Writes the tallies of every job (or of only) as usage rows. */
void	 clu_usage_flush(struct clu *c, struct clu_job *only);
/* GL_ELIMIT if user (of group) or one of their groups used up a limit. */
int	 clu_check_limits(struct clu *c, const char *user, const char *group,
	     struct gl_err *err);
/* The group usage of user is counted in (caller frees): the kernel's
 * group for the kernel's user, else the Unix group of a user of that
 * name, else "members" (a team kernel's member with no account here). */
char	*clu_user_group(const struct clu *c, const char *user);

/* cluster-worker.c */

/* The listener's callback: a worker connection to authenticate. */
void	 clu_on_conn(uv_stream_t *l, int status);
/* The worker of that name (not HELLO, not DEAD), or NULL. */
struct clu_worker *clu_worker_by_name(struct clu *c, const char *name);
/* Begins a notification to w (the caller packs one map); the next
 * flush sends it. */
msgpack_packer *clu_worker_note(struct clu_worker *w,
	     const char *method);
/* Sends what was packed for w (nothing once it is closed). */
void	 clu_worker_flush(struct clu_worker *w);
/* Closes w's connection at once (queued bytes are dropped). */
void	 clu_worker_close(struct clu_worker *w);
/* Sends kernel.refused {msg} (NULL: nothing more) and closes w after
 * the peer has read it (conn_refuse()). */
void	 clu_worker_refuse(struct clu_worker *w, const char *msg);
/* Frees w once its handle is closed, unless the scheduler still counts
 * it (LOST). */
void	 clu_worker_maybe_free(struct clu_worker *w);
/* SEND: one task.run to the worker. */
void	 clu_act_send(struct clu *c, const struct sched_action *a);
/* RELEASE, CANCEL: {tasks} to the worker. */
void	 clu_act_ids(struct clu *c, const struct sched_action *a,
	     const char *method);
/* STOP: worker.stop, then the launcher stops its process. */
void	 clu_act_stop(struct clu *c, const struct sched_action *a);
/* Drops a result's hold on its task.done message. */
void	 clu_res_release(struct clu_res *r);
/* The workers up or stopping, as cluster.workers lists them. */
void	 clu_pack_workers(struct clu *c, msgpack_packer *pk);

#endif

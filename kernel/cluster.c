/*
 * cluster.c - the kernel's cluster service (kernel/cluster.h).
 *
 * Design.
 *
 * The service is the edge around two pure pieces: the scheduler
 * (kernel/sched.h), which decides, and the codec's bytes, which it only
 * carries. Everything that happens (a runtime's request, a worker's
 * message, a launcher event, the 100 ms timer) becomes sched_* calls, then
 * one drain of sched_next_action() carries the actions out: task batches
 * to workers, worker starts and stops through the launcher
 * (kernel/launch.h), results and progress to sessions.
 *
 * Workers. A worker connects to the listener and gets auth.challenge
 * {nonce}; it answers worker.hello {hmac, nonce, name, host, pid, slots}
 * with HMAC(cluster secret, our nonce); we answer {worker, hmac} with the
 * HMAC of its nonce, so each side knows the other holds the secret, which
 * never crosses the wire. Before that a peer may send 4 KiB frames and
 * gets nothing but the challenge and a refusal. A connection is a struct
 * clu_worker, whose state walks HELLO -> UP -> STOPPING (we sent
 * worker.stop) or LOST (the connection dropped; the launcher is asked
 * why, and its ENDED event says "killed by signal 9") -> DEAD (the
 * scheduler knows it is gone). A worker is freed once DEAD (or never UP)
 * and its handle closed.
 *
 * Jobs. A cluster.map is a job of the scheduler; the futures of one run
 * (cluster.submit) share one unordered job, closed when the run ends. The
 * request messages that carry the items are kept whole by the job (no
 * copy, no allocation per task); a task's payload handle is (job slot <<
 * 32 | item index). A worker's task.done message is kept whole too, with
 * one small array of result records (one allocation per message, not per
 * task); a result handle points at its record, and the message is freed
 * when its last record was delivered.
 *
 * Results reach the runtime as cluster.results notifications, batched per
 * job and drain (item order for maps: the scheduler guarantees it), then
 * cluster.done at the end of a map. What a task printed becomes a stream
 * output of the cell, in item order, with its result. Progress (throttled
 * by the scheduler) becomes cluster.progress for the session's clients
 * and a "progress" output of the cell (kept once per job).
 *
 * Usage. Each result adds its CPU and wall time to the job's tally for
 * the worker's host; tallies become rows of the kernel's usage database
 * (one transaction per flush: every second, at the end of a job, and
 * before a limit is checked), never a transaction per task. Limits
 * (cluster.limits) are checked when a job is made.
 *
 * Configuration is read when the cluster is first used and again when it
 * is idle (no worker, no job), so an edited config.lua takes effect the
 * next time workers start; a broken one refuses cluster work with its
 * message.
 *
 * Invariants: every handle of the service is counted in c->handles, and
 * c is freed when closing and the count and closing launchers reach 0;
 * a job is freed only at its JOB_DONE (after all its RESULTs); nothing is
 * sent to a session after clu_session_reset() for it.
 */
#define _GNU_SOURCE
#include "kernel/cluster.h"

#include <errno.h>
#include <grp.h>
#include <inttypes.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include <sodium.h>

#include "core/auth.h"
#include "core/err.h"
#include "core/mem.h"
#include "core/paths.h"
#include "core/rpc.h"
#include "core/util.h"
#include "kernel/config.h"
#include "kernel/conn.h"
#include "kernel/launch.h"
#include "kernel/log.h"
#include "kernel/req.h"
#include "kernel/sched.h"
#include "kernel/store.h"

#define CLU_TICK_MS		100
#define CLU_HELLO_MS		10000	/* a peer must authenticate by then */
#define CLU_LOST_MS		15000	/* the launcher must say why by then */
#define CLU_FRAME_ANON		4096
#define CLU_FRAME_MAX		(300u << 20)
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
	char		 rbuf[65536];
};

static void	 clu_free_maybe(struct clu *c);
static void	 clu_on_handle_closed(uv_handle_t *h);
static int	 clu_listen(struct clu *c, const char *spec,
		     struct gl_err *err);
static void	 clu_on_lsn_closed(uv_handle_t *h);
static void	 clu_on_conn(uv_stream_t *l, int status);
static int	 clu_ensure(struct clu *c, struct sess *s, struct gl_err *err);
static bool	 clu_idle(const struct clu *c);
static void	 clu_make_sched(struct clu *c);
static int	 clu_make_launcher(struct clu *c, struct gl_err *err);
static void	 clu_on_launch(void *ctx, const struct launch_event *ev);
static void	 clu_on_launch_closed(void *ctx, const char *problem);
static void	 clu_on_tick(uv_timer_t *t);
static void	 clu_drain(struct clu *c);
static void	 clu_act_send(struct clu *c, const struct sched_action *a);
static void	 clu_act_ids(struct clu *c, const struct sched_action *a,
		     const char *method);
static void	 clu_act_stop(struct clu *c, const struct sched_action *a);
static void	 clu_act_result(struct clu *c, const struct sched_action *a);
static void	 clu_act_progress(struct clu *c, const struct sched_action *a);
static void	 clu_act_job_done(struct clu *c, const struct sched_action *a);
static void	 clu_flush_results(struct clu *c, struct clu_job *j);
static int64_t	 clu_now(struct clu *c);
static struct clu_worker *clu_worker_by_id(struct clu *c, uint64_t id);
static struct clu_worker *clu_worker_by_name(struct clu *c, const char *name);
static msgpack_packer *clu_worker_note(struct clu_worker *w,
		     const char *method);
static void	 clu_worker_flush(struct clu_worker *w);
static void	 clu_worker_close(struct clu_worker *w);
static void	 clu_worker_maybe_free(struct clu_worker *w);
static int	 clu_buf_write(void *data, const char *buf, size_t len);
static void	 clu_worker_lost(struct clu_worker *w, const char *why);
static void	 clu_worker_on_msg(void *ctx, struct rpc_msg *m);
static void	 clu_worker_on_read(void *ctx);
static void	 clu_worker_on_end(void *ctx, enum conn_end why,
		     const char *msg, size_t queued);
static void	 clu_worker_on_closed(void *ctx);
static void	 clu_worker_handle(struct clu_worker *w, struct rpc_msg *m);
static void	 clu_worker_hello(struct clu_worker *w,
		     const struct rpc_msg *m);
static void	 clu_worker_task_done(struct clu_worker *w, struct rpc_msg *m);
static void	 clu_res_release(struct clu_res *r);
static struct clu_job *clu_job_new(struct clu *c, const struct clu_from *f,
		     uint64_t ref, bool submit, enum sched_errors errors);
static void	 clu_job_free(struct clu *c, struct clu_job *j);
static struct clu_job *clu_job_find(struct clu *c, uint64_t id);
static struct clu_job *clu_job_of_payload(struct clu *c, uint64_t payload);
static struct clu_job *clu_job_by_ref(struct clu *c, struct sess *s,
		     uint64_t ref);
static void	 clu_job_keep(struct clu_job *j, struct rpc_msg *m);
static int	 clu_job_add_items(struct clu *c, struct clu_job *j,
		     const msgpack_object *items, uint64_t *ids,
		     struct gl_err *err);
static void	 clu_job_account(struct clu_job *j, const char *host,
		     const struct clu_res *r);
static void	 clu_usage_flush(struct clu *c, struct clu_job *only);
static int	 clu_usage_open(struct clu *c, struct gl_err *err);
static int	 clu_check_limits(struct clu *c, struct gl_err *err);
static void	 clu_reply(struct clu *c, struct sess *s, uint64_t gen);
static void	 clu_pack_workers(struct clu *c, msgpack_packer *pk);
static void	 clu_output(struct clu *c, struct clu_job *j, const char *type,
		     const char *text, size_t len);

/* --- the service --- */

struct clu *
clu_new(const struct clu_host *host, struct gl_err *err)
{
	struct clu	*c = xcalloc(1, sizeof *c);
	struct gl_err	 e;
	struct passwd	*pw;
	struct group	*gr;
	const char	*env;
	char		*state;

	c->host = *host;
	c->loop = host->loop;
	c->exe = host->exe != NULL ? xstrdup(host->exe) : NULL;
	rpc_writer_init(&c->w);
	c->secret_path = gl_path_join(host->dir, "cluster.secret");
	if (auth_token_load_or_create(c->secret_path, c->secret, err) != 0) {
		gl_err_prefix(err, "cluster secret");
		goto fail;
	}
	/* Who pays: the kernel's user (a Unix-socket client must be the
	 * same uid; a TCP client proved it holds this user's token). */
	if ((pw = getpwuid(geteuid())) != NULL) {
		snprintf(c->user, sizeof c->user, "%s", pw->pw_name);
		if ((gr = getgrgid(pw->pw_gid)) != NULL)
			snprintf(c->group, sizeof c->group, "%s", gr->gr_name);
		else
			snprintf(c->group, sizeof c->group, "%u",
			    (unsigned)pw->pw_gid);
	} else {
		env = getenv("USER");
		snprintf(c->user, sizeof c->user, "%s", env != NULL ? env :
		    "unknown");
		snprintf(c->group, sizeof c->group, "%u", (unsigned)getegid());
	}
	/* The usage database outlives reboots: not in the runtime dir. */
	if ((env = getenv("XDG_STATE_HOME")) != NULL && *env == '/')
		state = xasprintf("%s/galley", env);
	else if ((env = getenv("HOME")) != NULL && *env == '/')
		state = xasprintf("%s/.local/state/galley", env);
	else
		state = xstrdup(host->dir);
	c->usage_path = gl_path_join(state, "usage.db");
	free(state);

	/* The user's file now (the listener's address may be there); the
	 * project's at first use. A broken file is reported then. */
	gl_err_clear(&e);
	if ((c->cfg = cfg_load(NULL, &e)) == NULL) {
		log_info("cluster: %s (using the defaults until it is fixed)",
		    e.msg);
		c->cfg = cfg_defaults();
	}
	clu_make_sched(c);
	uv_timer_init(c->loop, &c->tick);
	c->tick.data = c;
	c->handles++;
	if (clu_listen(c, NULL, err) != 0) {
		clu_close(c);
		return NULL;
	}
	return c;
fail:
	rpc_writer_fini(&c->w);
	free(c->secret_path);
	free(c->usage_path);
	free(c->exe);
	free(c);
	return NULL;
}

void
clu_close(struct clu *c)
{
	struct clu_worker	*w, *next;
	msgpack_packer		*wpk;

	if (c->closing)
		return;
	c->closing = true;
	clu_usage_flush(c, NULL);
	for (w = c->workers; w != NULL; w = next) {
		next = w->next;
		if (w->state == WS_UP) {
			wpk = clu_worker_note(w, "worker.stop");
			msgpack_pack_map(wpk, 1);
			rpc_pack_kv_str(wpk, "reason", "the kernel is "
			    "stopping");
			clu_worker_flush(w);
		}
		w->state = WS_DEAD;
		clu_worker_close(w);
	}
	if (c->launch != NULL) {
		c->launchers++;
		launch_close(c->launch, clu_on_launch_closed, c);
		c->launch = NULL;
	}
	if (c->lsn != NULL) {
		uv_close((uv_handle_t *)&c->lsn->tcp, clu_on_lsn_closed);
		c->lsn = NULL;
	}
	uv_timer_stop(&c->tick);
	uv_close((uv_handle_t *)&c->tick, clu_on_handle_closed);
}

bool
clu_busy(const struct clu *c)
{
	size_t queued = 0, held = 0;

	if (c->sched != NULL)
		sched_counts(c->sched, &queued, &held, NULL, NULL);
	return c->njobs > 0 || queued > 0 || held > 0;
}

const char *
clu_addr(const struct clu *c)
{
	return c->listen_addr;
}

/* Frees c once nothing of it is open. */
static void
clu_free_maybe(struct clu *c)
{
	if (!c->closing || c->handles > 0 || c->launchers > 0)
		return;
	for (size_t i = 0; i < c->capjobs; i++)
		if (c->jobs[i] != NULL)
			clu_job_free(c, c->jobs[i]);
	free(c->jobs);
	sched_free(c->sched);
	cfg_free(c->cfg);
	store_unref(c->usage, __func__);
	rpc_writer_fini(&c->w);
	sodium_memzero(c->secret, sizeof c->secret);
	free(c->secret_path);
	free(c->usage_path);
	free(c->exe);
	free(c);
}

static void
clu_on_handle_closed(uv_handle_t *h)
{
	struct clu *c = h->data;

	c->handles--;
	clu_free_maybe(c);
}

static void
clu_on_launch_closed(void *ctx, const char *problem)
{
	struct clu *c = ctx;

	if (problem != NULL)
		log_info("cluster: launcher closed: %s", problem);
	c->launchers--;
	clu_free_maybe(c);
}

/* Binds the worker listener for spec (NULL: the configuration's). */
static int
clu_listen(struct clu *c, const char *spec, struct gl_err *err)
{
	const struct cfg_cluster *cc = &c->cfg->cluster;
	struct clu_lsn		*l;
	int			 rc;

	if (spec == NULL)
		spec = cc->listen != NULL ? cc->listen :
		    cc->launcher == CFG_LAUNCH_LOCAL ? "127.0.0.1:0" :
		    "0.0.0.0:0";
	if (c->lsn != NULL && strcmp(spec, c->listen_spec) == 0)
		return 0;
	l = xcalloc(1, sizeof *l);
	l->c = c;
	uv_tcp_init(c->loop, &l->tcp);
	l->tcp.data = l;
	c->handles++;
	if ((rc = conn_tcp_listen(&l->tcp, "cluster.listen", spec, clu_on_conn,
	    c->listen_addr, sizeof c->listen_addr, err)) != 0) {
		uv_close((uv_handle_t *)&l->tcp, clu_on_lsn_closed);
		return rc;
	}
	if (c->lsn != NULL)
		uv_close((uv_handle_t *)&c->lsn->tcp, clu_on_lsn_closed);
	c->lsn = l;
	snprintf(c->listen_spec, sizeof c->listen_spec, "%s", spec);
	return 0;
}

static void
clu_on_lsn_closed(uv_handle_t *h)
{
	struct clu_lsn	*l = h->data;
	struct clu	*c = l->c;

	free(l);
	c->handles--;
	clu_free_maybe(c);
}

/* True when no worker, job or launched process exists: the moment the
 * configuration may be read again. */
static bool
clu_idle(const struct clu *c)
{
	size_t up = 0, starting = 0;

	if (c->sched != NULL)
		sched_counts(c->sched, NULL, NULL, &up, &starting);
	return c->nworkers == 0 && c->njobs == 0 && up == 0 && starting == 0 &&
	    (c->launch == NULL || (launch_count(c->launch) == 0 &&
	    launch_idle(c->launch)));
}

/* The configuration and a launcher before work: read again (with s's
 * project) when idle. */
static int
clu_ensure(struct clu *c, struct sess *s, struct gl_err *err)
{
	struct cfg	*cfg;
	char		*project;

	if (c->closing)
		return gl_err_set(err, GL_ECLOSED, "the kernel is stopping");
	if (clu_idle(c)) {
		project = s != NULL ? c->host.project_dir(c->host.ctx, s) :
		    NULL;
		cfg = cfg_load(project, err);
		free(project);
		if (cfg == NULL)
			return gl_err_prefix(err, "cluster configuration");
		cfg_free(c->cfg);
		c->cfg = cfg;
		clu_make_sched(c);
		if (c->launch != NULL) {
			c->launchers++;
			launch_close(c->launch, clu_on_launch_closed, c);
			c->launch = NULL;
		}
		if (c->nworkers == 0 && clu_listen(c, NULL, err) != 0)
			return err != NULL ? err->code : GL_EIO;
	}
	if (c->launch == NULL)
		return clu_make_launcher(c, err);
	return 0;
}

static void
clu_make_sched(struct clu *c)
{
	const struct cfg_cluster *cc = &c->cfg->cluster;
	struct sched_config	 sc;

	sched_config_default(&sc);
	sc.max_workers = cfg_cluster_workers(cc);
	if (sc.max_workers < 1)
		sc.max_workers = 1;
	if (cc->idle_timeout_ms > 0)
		sc.idle_timeout_ms = cc->idle_timeout_ms;
	if (cc->heartbeat_timeout_ms > 0)
		sc.heartbeat_timeout_ms = cc->heartbeat_timeout_ms;
	if (cc->max_attempts > 0)
		sc.max_attempts = cc->max_attempts;
	sched_free(c->sched);
	c->sched = sched_new(&sc);
}

static int
clu_make_launcher(struct clu *c, struct gl_err *err)
{
	const struct cfg_cluster *cc = &c->cfg->cluster;
	struct launch_opts	 o;
	char			 host[256], *addr;
	const char		*port = strrchr(c->listen_addr, ':');

	if (cc->advertise != NULL && strchr(cc->advertise, ':') != NULL &&
	    cc->advertise[0] != '[')
		addr = xstrdup(cc->advertise);
	else if (cc->advertise != NULL && cc->advertise[0] == '[' &&
	    strstr(cc->advertise, "]:") != NULL)
		addr = xstrdup(cc->advertise);
	else if (cc->advertise != NULL)
		addr = xasprintf("%s%s", cc->advertise, port != NULL ? port :
		    ":0");
	else if (cc->launcher == CFG_LAUNCH_LOCAL || strncmp(c->listen_addr,
	    "127.", 4) == 0)
		addr = xasprintf("127.0.0.1%s", port != NULL ? port : ":0");
	else {
		if (gethostname(host, sizeof host) != 0)
			snprintf(host, sizeof host, "localhost");
		host[sizeof host - 1] = '\0';
		addr = xasprintf("%s%s", host, port != NULL ? port : ":0");
	}
	memset(&o, 0, sizeof o);
	o.cfg = cc;
	o.addr = addr;
	o.secret_file = c->secret_path;
	o.exe = c->exe;
	c->launch = launch_new(c->loop, &o, clu_on_launch, c, err);
	free(addr);
	if (c->launch == NULL)
		return gl_err_prefix(err, "cluster launcher");
	return 0;
}

static int64_t
clu_now(struct clu *c)
{
	return (int64_t)uv_now(c->loop);
}

/* --- launcher events --- */

static void
clu_on_launch(void *ctx, const struct launch_event *ev)
{
	struct clu	*c = ctx;
	struct clu_worker *w;

	if (c->closing)
		return;
	switch (ev->kind) {
	case LAUNCH_EV_FAILED:
		log_info("cluster: %s", ev->msg);
		sched_start_failed(c->sched, 1, ev->msg, clu_now(c));
		break;
	case LAUNCH_EV_ENDED:
		if (ev->name == NULL ||
		    (w = clu_worker_by_name(c, ev->name)) == NULL)
			break;
		if (w->state == WS_UP || w->state == WS_LOST) {
			log_info("cluster: %s", ev->msg);
			sched_worker_died(c->sched, w->id, ev->not_task_fault ?
			    SCHED_LOSS_PREEMPTED : SCHED_LOSS_CRASHED,
			    ev->msg, clu_now(c));
			w->state = WS_DEAD;
		}
		clu_worker_close(w);
		clu_worker_maybe_free(w);
		break;
	case LAUNCH_EV_NOTICE:
		log_info("cluster: %s", ev->msg);
		break;
	}
	clu_drain(c);
}

/* --- the timer --- */

static void
clu_on_tick(uv_timer_t *t)
{
	struct clu	*c = t->data;
	struct clu_worker *w, *next;
	int64_t		 now = clu_now(c);

	for (w = c->workers; w != NULL; w = next) {
		next = w->next;
		if (w->state == WS_HELLO && !w->closing &&
		    now - w->since_ms > CLU_HELLO_MS) {
			log_info("cluster: %s: did not authenticate within "
			    "%d s", w->peer, CLU_HELLO_MS / 1000);
			clu_worker_close(w);
		} else if (w->state == WS_LOST &&
		    now - w->lost_ms > CLU_LOST_MS) {
			sched_worker_died(c->sched, w->id,
			    SCHED_LOSS_DISCONNECTED, "connection lost", now);
			w->state = WS_DEAD;
			clu_worker_close(w);
			clu_worker_maybe_free(w);
		}
	}
	sched_tick(c->sched, now);
	if (now - c->usage_ms >= CLU_USAGE_MS)
		clu_usage_flush(c, NULL);
	clu_drain(c);
}

/* --- draining the scheduler --- */

static void
clu_drain(struct clu *c)
{
	struct sched_action	 a;
	struct clu_worker	*w, *next;
	struct clu_job		*j;
	bool			 busy, need;
	size_t			 starting = 0;

	if (c->closing)
		return;
	while (sched_next_action(c->sched, &a)) {
		switch (a.kind) {
		case SCHED_ACT_SEND:
			clu_act_send(c, &a);
			break;
		case SCHED_ACT_RELEASE:
			clu_act_ids(c, &a, "task.release");
			break;
		case SCHED_ACT_CANCEL:
			clu_act_ids(c, &a, "task.cancel");
			break;
		case SCHED_ACT_START: {
			struct gl_err	 err;
			int		 n;

			gl_err_clear(&err);
			n = c->launch != NULL ? launch_start(c->launch,
			    (int)a.n, NULL, &err) : gl_err_set(&err,
			    GL_ECLOSED, "no launcher");
			if (n < 0)
				n = 0;
			if ((size_t)n < a.n) {
				log_info("cluster: started %d of %zu workers: "
				    "%s", n, a.n, err.msg);
				sched_start_failed(c->sched, (int)a.n - n,
				    err.msg, clu_now(c));
			}
			break;
		}
		case SCHED_ACT_STOP:
			clu_act_stop(c, &a);
			break;
		case SCHED_ACT_RESULT:
			clu_act_result(c, &a);
			break;
		case SCHED_ACT_PROGRESS:
			clu_act_progress(c, &a);
			break;
		case SCHED_ACT_JOB_DONE:
			clu_act_job_done(c, &a);
			break;
		}
	}
	while ((j = c->flushq) != NULL) {
		c->flushq = j->qnext;
		j->queued = false;
		clu_flush_results(c, j);
	}
	for (w = c->workers; w != NULL; w = next) {
		next = w->next;
		clu_worker_flush(w);
	}
	sched_counts(c->sched, NULL, NULL, NULL, &starting);
	need = c->nworkers > 0 || c->njobs > 0 || starting > 0;
	if (need && !c->ticking) {
		uv_timer_start(&c->tick, clu_on_tick, CLU_TICK_MS, CLU_TICK_MS);
		c->ticking = true;
	} else if (!need && c->ticking) {
		uv_timer_stop(&c->tick);
		c->ticking = false;
		clu_usage_flush(c, NULL);
	}
	busy = clu_busy(c);
	if (busy != c->was_busy) {
		c->was_busy = busy;
		c->host.on_activity(c->host.ctx);
	}
}

/* SEND: one task.run {job, fn?|inline, tasks: [[task, item], ...]}. */
static void
clu_act_send(struct clu *c, const struct sched_action *a)
{
	struct clu_worker	*w = clu_worker_by_id(c, a->worker);
	struct clu_job		*j;
	msgpack_packer		*wpk;
	bool			 fn = false;

	if (w == NULL || w->state != WS_UP || a->n == 0 ||
	    (j = clu_job_of_payload(c, a->payloads[0])) == NULL)
		return;		/* a dropped worker: retried on its death */
	if (!j->submit) {
		fn = true;
		for (size_t i = 0; i < w->nfns && fn; i++)
			fn = w->fns[i] != j->id;
		if (fn) {
			if (w->nfns == w->capfns) {
				w->capfns = w->capfns ? 2 * w->capfns : 4;
				w->fns = xrealloc(w->fns, w->capfns *
				    sizeof *w->fns);
			}
			w->fns[w->nfns++] = j->id;
		}
	}
	wpk = clu_worker_note(w, "task.run");
	msgpack_pack_map(wpk, fn || j->submit ? 3 : 2);
	rpc_pack_key(wpk, "job");
	msgpack_pack_uint64(wpk, j->id);
	if (fn) {
		rpc_pack_key(wpk, "fn");
		msgpack_pack_bin(wpk, j->fnlen);
		msgpack_pack_bin_body(wpk, j->fn, j->fnlen);
	} else if (j->submit)
		rpc_pack_kv_bool(wpk, "inline", true);
	rpc_pack_key(wpk, "tasks");
	msgpack_pack_array(wpk, a->n);
	for (size_t i = 0; i < a->n; i++) {
		const struct clu_item *it = &j->items[a->payloads[i] &
		    0xffffffffu];

		msgpack_pack_array(wpk, 2);
		msgpack_pack_uint64(wpk, a->tasks[i]);
		msgpack_pack_bin(wpk, it->len);
		msgpack_pack_bin_body(wpk, it->p != NULL ? it->p :
		    j->arena.data + it->off, it->len);
	}
}

/* RELEASE, CANCEL: {tasks: [...]}. */
static void
clu_act_ids(struct clu *c, const struct sched_action *a, const char *method)
{
	struct clu_worker	*w = clu_worker_by_id(c, a->worker);
	msgpack_packer		*wpk;

	if (w == NULL || w->state != WS_UP)
		return;
	wpk = clu_worker_note(w, method);
	msgpack_pack_map(wpk, 1);
	rpc_pack_key(wpk, "tasks");
	msgpack_pack_array(wpk, a->n);
	for (size_t i = 0; i < a->n; i++)
		msgpack_pack_uint64(wpk, a->tasks[i]);
}

/* STOP: idle or scaled down (worker.stop, then the launcher stops the
 * process), or silent (declared dead: killed). */
static void
clu_act_stop(struct clu *c, const struct sched_action *a)
{
	struct clu_worker	*w = clu_worker_by_id(c, a->worker);
	msgpack_packer		*wpk;
	bool			 silent = a->msg != NULL &&
				    strncmp(a->msg, "no heartbeat", 12) == 0;

	if (w == NULL)
		return;
	log_info("cluster: stopping worker %s (%s): %s", w->name, w->host,
	    a->msg != NULL ? a->msg : "");
	if (w->state == WS_UP && !silent) {
		wpk = clu_worker_note(w, "worker.stop");
		msgpack_pack_map(wpk, 1);
		rpc_pack_kv_str(wpk, "reason", a->msg != NULL ? a->msg :
		    "stopped");
		clu_worker_flush(w);
	}
	if (w->launched && c->launch != NULL)
		(void)launch_stop(c->launch, w->name);
	w->launched = false;
	if (silent) {
		w->state = WS_DEAD;	/* the scheduler dropped it */
		clu_worker_close(w);
	} else if (w->state == WS_UP)
		w->state = WS_STOPPING;
}

/* RESULT: to the job's runtime (batched), its usage, its output. */
static void
clu_act_result(struct clu *c, const struct sched_action *a)
{
	struct clu_job	*j = clu_job_of_payload(c, a->payload);
	struct clu_res	*r = a->result != 0 ? (struct clu_res *)(uintptr_t)
			    a->result : NULL;
	msgpack_packer	*pk;
	uint64_t	 key;

	if (j == NULL) {
		if (r != NULL)
			clu_res_release(r);
		return;
	}
	if (r != NULL) {
		clu_job_account(j, r->h->host, r);
		if (r->outlen > 0)
			clu_output(c, j, "stream", r->out, r->outlen);
	}
	if (j->sess != NULL && a->status != SCHED_CANCELLED) {
		key = j->submit ? (a->item < j->nitems ? j->refs[a->item] :
		    0) : a->item;
		pk = &j->rpk;
		msgpack_pack_array(pk, 3);
		msgpack_pack_uint64(pk, key);
		msgpack_pack_int(pk, (int)a->status);
		if (a->status == SCHED_OK && r != NULL &&
		    r->value->type == MSGPACK_OBJECT_BIN)
			msgpack_pack_object(pk, *r->value);
		else if (a->status == SCHED_ERROR && r != NULL) {
			size_t		 len = 0, tlen = 0;
			const char	*m = rpc_map_str(r->value, "message",
					    &len);
			const char	*tb = rpc_map_str(r->value,
					    "traceback", &tlen);

			msgpack_pack_map(pk, 3);
			rpc_pack_key(pk, "message");
			rpc_pack_strn(pk, m != NULL ? m : "error", m != NULL ?
			    len : 5);
			rpc_pack_key(pk, "traceback");
			rpc_pack_strn(pk, tb != NULL ? tb : "", tlen);
			rpc_pack_kv_str(pk, "worker", r->h->worker);
		} else {
			msgpack_pack_map(pk, 1);
			rpc_pack_kv_str(pk, "message", a->msg != NULL ?
			    a->msg : "the task failed");
		}
		j->nr++;
		if (!j->queued) {
			j->queued = true;
			j->qnext = c->flushq;
			c->flushq = j;
		}
		if (j->rbuf.len >= CLU_RESULTS_BYTES)
			clu_flush_results(c, j);
	}
	if (r != NULL)
		clu_res_release(r);
}

/* Sends the results gathered for j to its runtime. */
static void
clu_flush_results(struct clu *c, struct clu_job *j)
{
	if (j->nr == 0)
		return;
	if (j->sess != NULL) {
		rpc_writer_reset(&c->w);
		rpc_begin_notify(&c->w, "cluster.results");
		msgpack_pack_map(&c->w.pk, 2);
		rpc_pack_key(&c->w.pk, "ref");
		msgpack_pack_uint64(&c->w.pk, j->ref);
		rpc_pack_key(&c->w.pk, "results");
		msgpack_pack_array(&c->w.pk, j->nr);
		msgpack_sbuffer_write(&c->w.sbuf, j->rbuf.data, j->rbuf.len);
		(void)c->host.runtime_send(c->host.ctx, j->sess, j->gen,
		    c->w.sbuf.data, c->w.sbuf.size);
		rpc_writer_reset(&c->w);
	}
	gl_buf_reset(&j->rbuf);
	j->nr = 0;
}

/* PROGRESS: cluster.progress to the session's clients, and a progress
 * output of the cell. */
static void
clu_act_progress(struct clu *c, const struct sched_action *a)
{
	struct clu_job		*j = clu_job_find(c, a->job);
	msgpack_packer		*pk;
	msgpack_object_kv	 kv[5];
	msgpack_object		 o;

	if (j == NULL)
		return;
	j->done = a->done;
	j->failed = a->failed;
	j->total = a->total;
	if (j->sess == NULL)
		return;
	rpc_writer_reset(&c->w);
	rpc_begin_notify(&c->w, "cluster.progress");
	pk = &c->w.pk;
	msgpack_pack_map(pk, 7);
	rpc_pack_kv_str(pk, "session", j->session);
	rpc_pack_kv_str(pk, "cell", j->cell);
	rpc_pack_kv_int(pk, "job", (int64_t)j->id);
	rpc_pack_kv_int(pk, "done", (int64_t)a->done);
	rpc_pack_kv_int(pk, "total", (int64_t)a->total);
	rpc_pack_kv_int(pk, "failed", (int64_t)a->failed);
	rpc_pack_kv_int(pk, "busy", (int64_t)a->busy);
	c->host.notify(c->host.ctx, j->sess, c->w.sbuf.data, c->w.sbuf.size);
	rpc_writer_reset(&c->w);
#define KV_STR(i, k, v) do {						\
	kv[i].key = (msgpack_object){ .type = MSGPACK_OBJECT_STR,	\
	    .via.str = { (uint32_t)strlen(k), k } };			\
	kv[i].val = (msgpack_object){ .type = MSGPACK_OBJECT_STR,	\
	    .via.str = { (uint32_t)strlen(v), v } };			\
} while (0)
#define KV_INT(i, k, v) do {						\
	kv[i].key = (msgpack_object){ .type = MSGPACK_OBJECT_STR,	\
	    .via.str = { (uint32_t)strlen(k), k } };			\
	kv[i].val = (msgpack_object){					\
	    .type = MSGPACK_OBJECT_POSITIVE_INTEGER,			\
	    .via.u64 = (uint64_t)(v) };					\
} while (0)
	KV_STR(0, "type", "progress");
	KV_INT(1, "job", j->id);
	KV_INT(2, "done", a->done);
	KV_INT(3, "total", a->total);
	KV_INT(4, "failed", a->failed);
	o = (msgpack_object){ .type = MSGPACK_OBJECT_MAP,
	    .via.map = { 5, kv } };
	c->host.run_output(c->host.ctx, j->sess, j->run, &o);
}

/* A job's output of type stream (what a task printed). */
static void
clu_output(struct clu *c, struct clu_job *j, const char *type, const char *text,
    size_t len)
{
	msgpack_object_kv	 kv[3];
	msgpack_object		 o;

	if (j->sess == NULL)
		return;
	KV_STR(0, "type", type);
	KV_STR(1, "name", "stdout");
	kv[2].key = (msgpack_object){ .type = MSGPACK_OBJECT_STR,
	    .via.str = { 4, "text" } };
	kv[2].val = (msgpack_object){ .type = MSGPACK_OBJECT_STR,
	    .via.str = { (uint32_t)len, text } };
	o = (msgpack_object){ .type = MSGPACK_OBJECT_MAP,
	    .via.map = { 3, kv } };
	c->host.run_output(c->host.ctx, j->sess, j->run, &o);
}
#undef KV_STR
#undef KV_INT

static const char *const clu_job_status_names[] = {
	[SCHED_OK] = "ok",
	[SCHED_ERROR] = "error",
	[SCHED_FAILED] = "failed",
	[SCHED_CANCELLED] = "cancelled",
};

/* JOB_DONE: the map's end to its runtime; its usage written; the workers
 * forget its function; the job freed. */
static void
clu_act_job_done(struct clu *c, const struct sched_action *a)
{
	struct clu_job		*j = clu_job_find(c, a->job);
	struct clu_worker	*w;
	msgpack_packer		*pk = &c->w.pk, *wpk;

	if (j == NULL)
		return;
	clu_flush_results(c, j);
	if (j->sess != NULL && !j->submit) {
		rpc_writer_reset(&c->w);
		rpc_begin_notify(&c->w, "cluster.done");
		msgpack_pack_map(pk, a->msg != NULL ? 7 : 6);
		rpc_pack_key(pk, "ref");
		msgpack_pack_uint64(pk, j->ref);
		rpc_pack_kv_str(pk, "status", clu_job_status_names[a->status]);
		rpc_pack_kv_int(pk, "done", (int64_t)a->done);
		rpc_pack_kv_int(pk, "failed", (int64_t)a->failed);
		rpc_pack_kv_int(pk, "total", (int64_t)a->total);
		rpc_pack_kv_int(pk, "item", (int64_t)a->item + 1);
		if (a->msg != NULL)
			rpc_pack_kv_str(pk, "message", a->msg);
		(void)c->host.runtime_send(c->host.ctx, j->sess, j->gen,
		    c->w.sbuf.data, c->w.sbuf.size);
		rpc_writer_reset(&c->w);
	}
	for (w = c->workers; w != NULL; w = w->next) {
		for (size_t i = 0; i < w->nfns; i++) {
			if (w->fns[i] != j->id)
				continue;
			w->fns[i] = w->fns[--w->nfns];
			if (w->state == WS_UP) {
				wpk = clu_worker_note(w, "job.forget");
				msgpack_pack_map(wpk, 1);
				rpc_pack_key(wpk, "jobs");
				msgpack_pack_array(wpk, 1);
				msgpack_pack_uint64(wpk, j->id);
			}
			break;
		}
	}
	clu_usage_flush(c, j);
	clu_job_free(c, j);
}

/* --- jobs --- */

static struct clu_job *
clu_job_new(struct clu *c, const struct clu_from *f, uint64_t ref, bool submit,
    enum sched_errors errors)
{
	struct clu_job		*j = xcalloc(1, sizeof *j);
	struct sched_job_opts	 o;
	size_t			 slot;

	for (slot = 0; slot < c->capjobs && c->jobs[slot] != NULL; slot++)
		;
	if (slot == c->capjobs) {
		size_t cap = c->capjobs ? 2 * c->capjobs : 16;

		c->jobs = xrealloc(c->jobs, cap * sizeof *c->jobs);
		memset(c->jobs + c->capjobs, 0, (cap - c->capjobs) *
		    sizeof *c->jobs);
		c->capjobs = cap;
	}
	j->slot = (uint32_t)slot;
	j->sess = f->sess;
	snprintf(j->session, sizeof j->session, "%s", f->session);
	j->gen = f->gen;
	j->run = f->run;
	j->ref = ref;
	j->submit = submit;
	j->cell = xstrdup(f->cell != NULL ? f->cell : "");
	j->notebook = xstrdup(f->notebook != NULL ? f->notebook : "");
	gl_buf_init(&j->rbuf);
	gl_buf_init(&j->arena);
	msgpack_packer_init(&j->rpk, &j->rbuf, clu_buf_write);
	memset(&o, 0, sizeof o);
	o.ordered = !submit;
	o.errors = errors;
	o.user = c->user;
	o.notebook = j->notebook;
	o.cell = j->cell;
	j->id = sched_job_new(c->sched, &o, clu_now(c));
	c->jobs[slot] = j;
	c->njobs++;
	return j;
}

static void
clu_job_free(struct clu *c, struct clu_job *j)
{
	if (j->queued) {
		struct clu_job **pp;

		for (pp = &c->flushq; *pp != NULL; pp = &(*pp)->qnext)
			if (*pp == j) {
				*pp = j->qnext;
				break;
			}
	}
	c->jobs[j->slot] = NULL;
	c->njobs--;
	for (size_t i = 0; i < j->nmsgs; i++)
		rpc_msg_fini(&j->msgs[i]);
	free(j->msgs);
	free(j->items);
	free(j->refs);
	free(j->tids);
	free(j->use);
	free(j->cell);
	free(j->notebook);
	gl_buf_fini(&j->rbuf);
	gl_buf_fini(&j->arena);
	free(j);
}

static struct clu_job *
clu_job_find(struct clu *c, uint64_t id)
{
	for (size_t i = 0; i < c->capjobs; i++)
		if (c->jobs[i] != NULL && c->jobs[i]->id == id)
			return c->jobs[i];
	return NULL;
}

static struct clu_job *
clu_job_of_payload(struct clu *c, uint64_t payload)
{
	uint64_t slot = payload >> 32;

	return slot < c->capjobs ? c->jobs[slot] : NULL;
}

/* The live map job ref of s, or (ref 0) the open futures job of run. */
static struct clu_job *
clu_job_by_ref(struct clu *c, struct sess *s, uint64_t ref)
{
	for (size_t i = 0; i < c->capjobs; i++) {
		struct clu_job *j = c->jobs[i];

		if (j != NULL && j->sess == s && !j->submit && j->ref == ref)
			return j;
	}
	return NULL;
}

/* Keeps m (its items stay where they are); m is left empty. */
static void
clu_job_keep(struct clu_job *j, struct rpc_msg *m)
{
	if (j->nmsgs == j->capmsgs) {
		j->capmsgs = j->capmsgs ? 2 * j->capmsgs : 4;
		j->msgs = xrealloc(j->msgs, j->capmsgs * sizeof *j->msgs);
	}
	j->msgs[j->nmsgs++] = *m;
	m->up.zone = NULL;	/* rpc_msg_fini(m) frees nothing now */
}

/* Submits items (an array of bins, in a message j keeps) as tasks; ids
 * (NULL allowed) gets their task ids. */
static int
clu_job_add_items(struct clu *c, struct clu_job *j, const msgpack_object *items,
    uint64_t *ids, struct gl_err *err)
{
	uint64_t	*payloads;
	size_t		*bytes, n, first = j->nitems;
	int		 rc;

	if (items == NULL || items->type != MSGPACK_OBJECT_ARRAY)
		return gl_err_set(err, GL_EINVAL, "items: expected an array");
	n = items->via.array.size;
	for (size_t i = 0; i < n; i++)
		if (items->via.array.ptr[i].type != MSGPACK_OBJECT_BIN)
			return gl_err_set(err, GL_EINVAL, "items[%zu]: "
			    "expected encoded bytes", i);
	if (j->nitems + n > j->capitems) {
		j->capitems = j->capitems * 2 > j->nitems + n ?
		    j->capitems * 2 : j->nitems + n;
		j->items = xrealloc(j->items, j->capitems * sizeof *j->items);
	}
	payloads = xmalloc((n + 1) * sizeof *payloads);
	bytes = xmalloc((n + 1) * sizeof *bytes);
	for (size_t i = 0; i < n; i++) {
		const msgpack_object *o = &items->via.array.ptr[i];

		if (j->submit) {
			j->items[first + i].p = NULL;
			j->items[first + i].off = j->arena.len;
			gl_buf_add(&j->arena, o->via.bin.ptr, o->via.bin.size);
		} else {
			j->items[first + i].p = o->via.bin.ptr;
			j->items[first + i].off = 0;
		}
		j->items[first + i].len = o->via.bin.size;
		payloads[i] = (uint64_t)j->slot << 32 | (first + i);
		bytes[i] = o->via.bin.size;
	}
	j->nitems += n;
	rc = sched_submit(c->sched, j->id, n, payloads, bytes, ids,
	    clu_now(c));
	free(payloads);
	free(bytes);
	if (rc != 0)
		return gl_err_set(err, rc, "job %" PRIu64 " takes no more "
		    "tasks", j->id);
	return 0;
}

static void
clu_job_account(struct clu_job *j, const char *host, const struct clu_res *r)
{
	struct clu_use *u = NULL;

	for (size_t i = 0; i < j->nuse; i++)
		if (strcmp(j->use[i].host, host) == 0) {
			u = &j->use[i];
			break;
		}
	if (u == NULL) {
		j->use = xrealloc(j->use, (j->nuse + 1) * sizeof *j->use);
		u = &j->use[j->nuse++];
		memset(u, 0, sizeof *u);
		snprintf(u->host, sizeof u->host, "%s", host);
	}
	u->tasks++;
	u->cpu_s += (double)r->cpu_us / 1e6;
	u->wall_s += (double)r->run_us / 1e6;
}

/* --- usage --- */

static int
clu_usage_open(struct clu *c, struct gl_err *err)
{
	if (c->usage != NULL)
		return 0;
	if (store_open_db(c->usage_path, &c->usage, err) != 0)
		return gl_err_prefix(err, "usage database");
	return 0;
}

/* Writes the tallies of every job (or of only) as usage rows, in one
 * transaction. */
static void
clu_usage_flush(struct clu *c, struct clu_job *only)
{
	struct store_usage	*rows = NULL;
	struct gl_err		 err;
	size_t			 n = 0, cap = 0;
	struct timespec		 ts;
	int64_t			 now;

	clock_gettime(CLOCK_REALTIME, &ts);
	now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	c->usage_ms = clu_now(c);
	for (size_t i = 0; i < c->capjobs; i++) {
		struct clu_job *j = c->jobs[i];

		if (j == NULL || (only != NULL && j != only))
			continue;
		for (size_t k = 0; k < j->nuse; k++) {
			struct clu_use *u = &j->use[k];

			if (u->tasks == 0)
				continue;
			if (n == cap) {
				cap = cap ? 2 * cap : 8;
				rows = xrealloc(rows, cap * sizeof *rows);
			}
			rows[n].ts_ms = now;
			rows[n].user = c->user;
			rows[n].group = c->group;
			rows[n].notebook = j->notebook;
			rows[n].cell = j->cell;
			rows[n].host = u->host;
			rows[n].tasks = u->tasks;
			rows[n].cpu_s = u->cpu_s;
			rows[n].wall_s = u->wall_s;
			n++;
		}
	}
	if (n > 0) {
		gl_err_clear(&err);
		if (clu_usage_open(c, &err) != 0 ||
		    store_usage_add(c->usage, rows, n, &err) != 0)
			log_info("cluster: usage not recorded: %s", err.msg);
		for (size_t i = 0; i < c->capjobs; i++) {
			struct clu_job *j = c->jobs[i];

			if (j == NULL || (only != NULL && j != only))
				continue;
			for (size_t k = 0; k < j->nuse; k++) {
				j->use[k].tasks = 0;
				j->use[k].cpu_s = j->use[k].wall_s = 0;
			}
		}
	}
	free(rows);
}

/* Local midnight of the day, Monday or first of the month of now. */
static int64_t
clu_period_start(enum cfg_period p)
{
	time_t		 now = time(NULL);
	struct tm	 tm;

	if (p == CFG_PERIOD_TOTAL)
		return 0;
	localtime_r(&now, &tm);
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	tm.tm_isdst = -1;
	if (p == CFG_PERIOD_WEEK)
		tm.tm_mday -= (tm.tm_wday + 6) % 7;
	else if (p == CFG_PERIOD_MONTH)
		tm.tm_mday = 1;
	return (int64_t)mktime(&tm) * 1000;
}

static void
clu_hours(char *buf, size_t len, double h)
{
	if (h != 0 && h < 0.1)
		snprintf(buf, len, "%.2g", h);
	else
		snprintf(buf, len, "%.1f", h);
}

/* One limit against what was used: GL_ELIMIT with whose and how much. */
static int
clu_limit_one(struct clu *c, const struct cfg_limit *l, bool group,
    struct gl_err *err)
{
	double		 cpu = 0, wall = 0;
	int64_t		 since = clu_period_start(l->period);
	char		 used[32], max[32], when[64];
	const char	*who = group ? "group" : "user";
	const char	*name = group ? (strcmp(l->name, "*") == 0 ? c->group :
			    l->name) : c->user;
	int		 rc;

	if (l->cpu_hours < 0 && l->wall_hours < 0)
		return 0;
	if (group)
		rc = store_usage_sum(c->usage, NULL, name, l->members,
		    l->nmembers, since, &cpu, &wall, err);
	else
		rc = store_usage_sum(c->usage, c->user, NULL, NULL, 0, since,
		    &cpu, &wall, err);
	if (rc != 0)
		return rc;
	if (since > 0) {
		time_t		 t = (time_t)(since / 1000);
		struct tm	 tm;

		localtime_r(&t, &tm);
		strftime(when, sizeof when, " since %Y-%m-%d", &tm);
	} else
		snprintf(when, sizeof when, " in total");
	if (l->cpu_hours >= 0 && cpu / 3600 >= l->cpu_hours) {
		clu_hours(used, sizeof used, cpu / 3600);
		clu_hours(max, sizeof max, l->cpu_hours);
		return gl_err_set(err, GL_ELIMIT, "cpu limit of %s %s reached: "
		    "%s of %s CPU-hours used%s", who, name, used, max, when);
	}
	if (l->wall_hours >= 0 && wall / 3600 >= l->wall_hours) {
		clu_hours(used, sizeof used, wall / 3600);
		clu_hours(max, sizeof max, l->wall_hours);
		return gl_err_set(err, GL_ELIMIT, "wall-time limit of %s %s "
		    "reached: %s of %s task-hours used%s", who, name, used,
		    max, when);
	}
	return 0;
}

/* The user's limit and those of the groups the user is in. */
static int
clu_check_limits(struct clu *c, struct gl_err *err)
{
	const struct cfg_limits	*ls = &c->cfg->cluster.limits;
	const struct cfg_limit	*l;
	int			 rc;

	if (ls->nusers == 0 && ls->ngroups == 0)
		return 0;
	clu_usage_flush(c, NULL);
	if ((rc = clu_usage_open(c, err)) != 0)
		return rc;
	if ((l = cfg_limit_user(c->cfg, c->user)) != NULL &&
	    (rc = clu_limit_one(c, l, false, err)) != 0)
		return rc;
	for (size_t i = 0; i < ls->ngroups; i++) {
		bool in = false;

		l = &ls->groups[i];
		if (l->members != NULL) {
			for (size_t k = 0; k < l->nmembers && !in; k++)
				in = strcmp(l->members[k], c->user) == 0;
		} else
			in = strcmp(l->name, c->group) == 0 ||
			    (strcmp(l->name, "*") == 0 &&
			    cfg_limit_group(c->cfg, c->group) == l);
		if (in && (rc = clu_limit_one(c, l, true, err)) != 0)
			return rc;
	}
	return 0;
}

/* --- runtime requests --- */

/* Sends c->w to s's runtime gen. */
static void
clu_reply(struct clu *c, struct sess *s, uint64_t gen)
{
	(void)c->host.runtime_send(c->host.ctx, s, gen, c->w.sbuf.data,
	    c->w.sbuf.size);
	rpc_writer_reset(&c->w);
}

void
clu_runtime_request(struct clu *c, const struct clu_from *f,
    struct rpc_msg *m)
{
	const msgpack_object	*args = m->args;
	struct sess		*s = f->sess;
	struct gl_err		 err;
	uint64_t		 gen = f->gen, run = f->run, ref;
	uint32_t		 id = m->id;
	struct clu_job		*j;
	msgpack_packer		*pk = &c->w.pk;
	int			 rc = 0;

	gl_err_clear(&err);
	rpc_writer_reset(&c->w);
	ref = (uint64_t)rpc_map_int(args, "ref", 0);
	if (strcmp(m->method, "cluster.map") == 0) {
		const msgpack_object *fn = rpc_map_get(args, "fn");
		enum sched_errors errors = rpc_obj_streq(rpc_map_get(args,
		    "errors"), "collect") ? SCHED_ERRORS_COLLECT :
		    SCHED_ERRORS_RAISE;

		if (fn == NULL || fn->type != MSGPACK_OBJECT_BIN || ref == 0) {
			rc = gl_err_set(&err, GL_EINVAL, "cluster.map: wants "
			    "{ref, fn, items, errors, more}");
			goto fail;
		}
		if ((rc = clu_ensure(c, s, &err)) != 0 ||
		    (rc = clu_check_limits(c, &err)) != 0)
			goto fail;
		j = clu_job_new(c, f, ref, false, errors);
		clu_job_keep(j, m);	/* args stay valid: same memory */
		j->fn = fn->via.bin.ptr;
		j->fnlen = fn->via.bin.size;
		if ((rc = clu_job_add_items(c, j, rpc_map_get(args, "items"),
		    NULL, &err)) != 0) {
			j->closed = true;
			sched_job_close(c->sched, j->id, clu_now(c));
			sched_cancel_job(c->sched, j->id, clu_now(c));
			j->sess = NULL;
			goto fail;
		}
		if (!rpc_map_bool(args, "more", false)) {
			j->closed = true;
			sched_job_close(c->sched, j->id, clu_now(c));
		}
		rpc_begin_response(&c->w, id);
		msgpack_pack_map(pk, 2);
		rpc_pack_kv_int(pk, "job", (int64_t)j->id);
		rpc_pack_kv_int(pk, "n", (int64_t)j->nitems);
	} else if (strcmp(m->method, "cluster.add") == 0) {
		if ((j = clu_job_by_ref(c, s, ref)) == NULL || j->closed) {
			rc = gl_err_set(&err, GL_ENOTFOUND, "cluster.add: no "
			    "open map %" PRIu64, ref);
			goto fail;
		}
		clu_job_keep(j, m);
		if ((rc = clu_job_add_items(c, j, rpc_map_get(args, "items"),
		    NULL, &err)) != 0)
			goto fail;
		if (!rpc_map_bool(args, "more", false)) {
			j->closed = true;
			sched_job_close(c->sched, j->id, clu_now(c));
		}
		rpc_begin_response(&c->w, id);
		msgpack_pack_map(pk, 1);
		rpc_pack_kv_int(pk, "n", (int64_t)j->nitems);
	} else if (strcmp(m->method, "cluster.submit") == 0) {
		const msgpack_object	*unit = rpc_map_get(args, "unit");
		msgpack_object		 one;
		uint64_t		 tid = 0;

		if (unit == NULL || unit->type != MSGPACK_OBJECT_BIN ||
		    ref == 0) {
			rc = gl_err_set(&err, GL_EINVAL, "cluster.submit: "
			    "wants {ref, unit}");
			goto fail;
		}
		j = NULL;
		for (size_t i = 0; i < c->capjobs && j == NULL; i++)
			if (c->jobs[i] != NULL && c->jobs[i]->sess == s &&
			    c->jobs[i]->submit && c->jobs[i]->run == run &&
			    !c->jobs[i]->closed)
				j = c->jobs[i];
		if (j == NULL) {
			if ((rc = clu_ensure(c, s, &err)) != 0 ||
			    (rc = clu_check_limits(c, &err)) != 0)
				goto fail;
			j = clu_job_new(c, f, 0, true, SCHED_ERRORS_COLLECT);
		}
		one = (msgpack_object){ .type = MSGPACK_OBJECT_ARRAY,
		    .via.array = { 1, (msgpack_object *)unit } };
		if (j->nitems == j->caprefs) {
			j->caprefs = j->caprefs ? 2 * j->caprefs : 16;
			j->refs = xrealloc(j->refs, j->caprefs *
			    sizeof *j->refs);
			j->tids = xrealloc(j->tids, j->caprefs *
			    sizeof *j->tids);
		}
		j->refs[j->nitems] = ref;
		/* The unit is copied into the job's arena: m goes. */
		if ((rc = clu_job_add_items(c, j, &one, &tid, &err)) != 0)
			goto fail;
		j->tids[j->nitems - 1] = tid;	/* for a cancel by ref */
		rpc_begin_response(&c->w, id);
		msgpack_pack_map(pk, 1);
		rpc_pack_kv_int(pk, "job", (int64_t)j->id);
	} else if (strcmp(m->method, "cluster.cancel") == 0) {
		const msgpack_object *mo = rpc_map_get(args, "map");

		if (mo != NULL && mo->type == MSGPACK_OBJECT_POSITIVE_INTEGER) {
			if ((j = clu_job_by_ref(c, s, mo->via.u64)) != NULL)
				sched_cancel_job(c->sched, j->id, clu_now(c));
		} else if (ref != 0) {
			for (size_t i = 0; i < c->capjobs; i++) {
				j = c->jobs[i];
				if (j == NULL || j->sess != s || !j->submit)
					continue;
				for (size_t k = 0; k < j->nitems; k++)
					if (j->refs[k] == ref && j->tids[k])
						sched_cancel_task(c->sched,
						    j->tids[k], clu_now(c));
			}
		}
		rpc_begin_response(&c->w, id);
		msgpack_pack_map(pk, 0);
	} else if (strcmp(m->method, "cluster.workers") == 0) {
		rpc_begin_response(&c->w, id);
		msgpack_pack_map(pk, 1);
		rpc_pack_key(pk, "workers");
		clu_pack_workers(c, pk);
	} else if (strcmp(m->method, "cluster.scale") == 0) {
		int64_t n = rpc_map_int(args, "n", -1);

		if (n < 0 || n > 100000) {
			rc = gl_err_set(&err, GL_EINVAL, "cluster.scale: n "
			    "must be 0 to 100000");
			goto fail;
		}
		if ((rc = clu_ensure(c, s, &err)) != 0)
			goto fail;
		sched_scale(c->sched, (int)n, clu_now(c));
		rpc_begin_response(&c->w, id);
		msgpack_pack_map(pk, 1);
		rpc_pack_kv_int(pk, "n", n);
	} else {
		rc = gl_err_set(&err, GL_EINVAL, "no method %s on the runtime "
		    "pipe", m->method);
		goto fail;
	}
	clu_reply(c, s, gen);
	clu_drain(c);
	return;
fail:
	rpc_writer_reset(&c->w);
	rpc_write_error(&c->w, id, rc, err.msg);
	clu_reply(c, s, gen);
	clu_drain(c);
}

void
clu_run_done(struct clu *c, struct sess *s, uint64_t run)
{
	for (size_t i = 0; i < c->capjobs; i++) {
		struct clu_job *j = c->jobs[i];

		if (j == NULL || j->sess != s || j->run != run || j->closed)
			continue;
		j->closed = true;
		sched_job_close(c->sched, j->id, clu_now(c));
	}
	clu_drain(c);
}

void
clu_session_reset(struct clu *c, struct sess *s)
{
	bool any = false;

	for (size_t i = 0; i < c->capjobs; i++) {
		struct clu_job *j = c->jobs[i];

		if (j == NULL || j->sess != s)
			continue;
		j->sess = NULL;
		if (!j->closed) {
			j->closed = true;
			sched_job_close(c->sched, j->id, clu_now(c));
		}
		sched_cancel_job(c->sched, j->id, clu_now(c));
		any = true;
	}
	if (any)
		clu_drain(c);
}

/* --- client methods --- */

static void
clu_pack_workers(struct clu *c, msgpack_packer *pk)
{
	struct sched_worker_info *wi = NULL;
	size_t			 n = 0, k = 0;
	int64_t			 now = clu_now(c);
	struct clu_worker	*w;

	for (w = c->workers; w != NULL; w = w->next)
		if (w->state == WS_UP || w->state == WS_STOPPING)
			n++;
	if (n > 0) {
		wi = xcalloc(n, sizeof *wi);
		n = sched_workers(c->sched, wi, n);
	}
	for (w = c->workers; w != NULL; w = w->next)
		if (w->state == WS_UP || w->state == WS_STOPPING)
			k++;
	msgpack_pack_array(pk, k);
	for (w = c->workers; w != NULL; w = w->next) {
		const struct sched_worker_info *info = NULL;
		const char *state;

		if (w->state != WS_UP && w->state != WS_STOPPING)
			continue;
		for (size_t i = 0; i < n; i++)
			if (wi[i].id == w->id)
				info = &wi[i];
		state = w->state == WS_STOPPING || (info != NULL &&
		    info->stopping) ? "stopping" : info != NULL &&
		    info->held > 0 ? "busy" : "idle";
		msgpack_pack_map(pk, 10);
		rpc_pack_kv_int(pk, "id", (int64_t)w->id);
		rpc_pack_kv_str(pk, "name", w->name);
		rpc_pack_kv_str(pk, "host", w->host);
		rpc_pack_kv_int(pk, "pid", w->pid);
		rpc_pack_kv_str(pk, "state", state);
		rpc_pack_kv_int(pk, "tasks", (int64_t)w->tasks);
		rpc_pack_kv_int(pk, "held", info != NULL ?
		    (int64_t)info->held : 0);
		rpc_pack_key(pk, "cpu");
		msgpack_pack_double(pk, w->cpu_s > w->task_cpu_s ? w->cpu_s :
		    w->task_cpu_s);
		rpc_pack_kv_int(pk, "rss", w->rss);
		rpc_pack_kv_int(pk, "idle_ms", info != NULL &&
		    info->idle_since_ms >= 0 ? now - info->idle_since_ms : 0);
	}
	free(wi);
}

/* cluster.status {} */
int
clu_rpc_status(struct clu *c, struct req *r, struct gl_err *err)
{
	msgpack_packer	*pk;
	size_t		 queued = 0, held = 0, up = 0, starting = 0, nj = 0;

	(void)err;
	sched_counts(c->sched, &queued, &held, &up, &starting);
	for (size_t i = 0; i < c->capjobs; i++)
		nj += c->jobs[i] != NULL;
	pk = req_reply_begin(r);
	msgpack_pack_map(pk, 10);
	rpc_pack_kv_str(pk, "listen", c->listen_addr);
	rpc_pack_kv_str(pk, "launcher",
	    cfg_launcher_name(c->cfg->cluster.launcher));
	rpc_pack_kv_int(pk, "max_workers",
	    (int64_t)cfg_cluster_workers(&c->cfg->cluster));
	rpc_pack_kv_int(pk, "up", (int64_t)up);
	rpc_pack_kv_int(pk, "starting", (int64_t)starting);
	rpc_pack_kv_int(pk, "queued", (int64_t)queued);
	rpc_pack_kv_int(pk, "held", (int64_t)held);
	rpc_pack_kv_str(pk, "user", c->user);
	rpc_pack_key(pk, "workers");
	clu_pack_workers(c, pk);
	rpc_pack_key(pk, "jobs");
	msgpack_pack_array(pk, nj);
	for (size_t i = 0; i < c->capjobs; i++) {
		struct clu_job *j = c->jobs[i];

		if (j == NULL)
			continue;
		msgpack_pack_map(pk, 8);
		rpc_pack_kv_int(pk, "job", (int64_t)j->id);
		rpc_pack_kv_str(pk, "kind", j->submit ? "submit" : "map");
		rpc_pack_kv_str(pk, "session", j->sess != NULL ?
		    j->session : NULL);
		rpc_pack_kv_str(pk, "cell", j->cell);
		rpc_pack_kv_int(pk, "done", (int64_t)j->done);
		rpc_pack_kv_int(pk, "failed", (int64_t)j->failed);
		rpc_pack_kv_int(pk, "total", (int64_t)(j->total > j->nitems ?
		    j->total : j->nitems));
		rpc_pack_kv_str(pk, "notebook", j->notebook);
	}
	req_reply_end(r);
	return 0;
}

/* cluster.scale {n} */
int
clu_rpc_scale(struct clu *c, struct req *r, struct gl_err *err)
{
	int64_t		 n = rpc_map_int(r->args, "n", -1);
	msgpack_packer	*pk;
	int		 rc;

	if (n < 0 || n > 100000)
		return gl_err_set(err, GL_EINVAL, "cluster.scale: wants {n} "
		    "with 0 <= n <= 100000");
	if ((rc = clu_ensure(c, NULL, err)) != 0)
		return rc;
	sched_scale(c->sched, (int)n, clu_now(c));
	clu_drain(c);
	pk = req_reply_begin(r);
	msgpack_pack_map(pk, 1);
	rpc_pack_kv_int(pk, "n", n);
	req_reply_end(r);
	return 0;
}

struct clu_usage_rows {
	msgpack_sbuffer	 sb;
	msgpack_packer	 pk;
	size_t		 n;
	uint64_t	 tasks;
	double		 cpu, wall;
};

static int
clu_usage_row(void *ctx, const char *key, uint64_t tasks, double cpu_s,
    double wall_s)
{
	struct clu_usage_rows *u = ctx;

	msgpack_pack_map(&u->pk, 4);
	rpc_pack_kv_str(&u->pk, "key", key);
	rpc_pack_kv_int(&u->pk, "tasks", (int64_t)tasks);
	rpc_pack_key(&u->pk, "cpu_hours");
	msgpack_pack_double(&u->pk, cpu_s / 3600);
	rpc_pack_key(&u->pk, "wall_hours");
	msgpack_pack_double(&u->pk, wall_s / 3600);
	u->n++;
	u->tasks += tasks;
	u->cpu += cpu_s;
	u->wall += wall_s;
	return 0;
}

/* usage.report {by?, since?} */
int
clu_rpc_usage(struct clu *c, struct req *r, struct gl_err *err)
{
	struct clu_usage_rows	 u;
	msgpack_packer		*pk;
	char			*by;
	int64_t			 since = rpc_map_int(r->args, "since", 0);
	int			 rc;

	by = rpc_map_strdup(r->args, "by");
	clu_usage_flush(c, NULL);
	if ((rc = clu_usage_open(c, err)) != 0) {
		free(by);
		return rc;
	}
	memset(&u, 0, sizeof u);
	msgpack_sbuffer_init(&u.sb);
	msgpack_packer_init(&u.pk, &u.sb, msgpack_sbuffer_write);
	rc = store_usage_report(c->usage, by != NULL ? by : "user", since,
	    clu_usage_row, &u, err);
	if (rc != 0) {
		msgpack_sbuffer_destroy(&u.sb);
		free(by);
		return rc;
	}
	pk = req_reply_begin(r);
	msgpack_pack_map(pk, 5);
	rpc_pack_kv_str(pk, "by", by != NULL ? by : "user");
	rpc_pack_kv_int(pk, "since", since);
	rpc_pack_kv_str(pk, "database", c->usage_path);
	rpc_pack_key(pk, "rows");
	msgpack_pack_array(pk, u.n);
	pk->callback(pk->data, u.sb.data, u.sb.size);
	rpc_pack_key(pk, "total");
	msgpack_pack_map(pk, 3);
	rpc_pack_kv_int(pk, "tasks", (int64_t)u.tasks);
	rpc_pack_key(pk, "cpu_hours");
	msgpack_pack_double(pk, u.cpu / 3600);
	rpc_pack_key(pk, "wall_hours");
	msgpack_pack_double(pk, u.wall / 3600);
	req_reply_end(r);
	msgpack_sbuffer_destroy(&u.sb);
	free(by);
	return 0;
}

/* --- worker connections --- */

static struct clu_worker *
clu_worker_by_id(struct clu *c, uint64_t id)
{
	for (struct clu_worker *w = c->workers; w != NULL; w = w->next)
		if (w->id == id && w->state != WS_HELLO)
			return w;
	return NULL;
}

static struct clu_worker *
clu_worker_by_name(struct clu *c, const char *name)
{
	for (struct clu_worker *w = c->workers; w != NULL; w = w->next)
		if (w->state != WS_HELLO && w->state != WS_DEAD &&
		    strcmp(w->name, name) == 0)
			return w;
	return NULL;
}

static int
clu_buf_write(void *data, const char *buf, size_t len)
{
	gl_buf_add(data, buf, len);
	return 0;
}

static void
clu_on_conn(uv_stream_t *l, int status)
{
	static const struct conn_cbs cbs = {
		.on_msg = clu_worker_on_msg,
		.on_read = clu_worker_on_read,
		.on_end = clu_worker_on_end,
		.on_closed = clu_worker_on_closed,
	};
	struct clu_lsn		*ls = l->data;
	struct clu		*c = ls->c;
	struct clu_worker	*w;
	struct conn_opts	 o = {
		.frame_max = CLU_FRAME_ANON,
		.queue_max = CLU_QUEUED_MAX,
		.keep = CLU_KEEP_MAX,
		.rbuf = c->rbuf,
		.rbuflen = sizeof c->rbuf,
	};
	char			 name[64];
	unsigned		 port;
	msgpack_packer		*wpk;

	if (status < 0 || c->closing)
		return;
	w = xcalloc(1, sizeof *w);
	if ((w->conn = conn_accept(l, &o, &cbs, w)) == NULL) {
		free(w);
		return;
	}
	w->c = c;
	w->state = WS_HELLO;
	w->since_ms = clu_now(c);
	c->handles++;
	w->next = c->workers;
	if (c->workers != NULL)
		c->workers->prev = w;
	c->workers = w;
	c->nworkers++;
	conn_peer(w->conn, name, sizeof name, &port);
	snprintf(w->peer, sizeof w->peer, "worker connection from %s port %u",
	    name, port);
	auth_nonce(w->nonce);
	wpk = clu_worker_note(w, "auth.challenge");
	msgpack_pack_map(wpk, 2);
	rpc_pack_key(wpk, "nonce");
	msgpack_pack_bin(wpk, AUTH_NONCE_LEN);
	msgpack_pack_bin_body(wpk, w->nonce, AUTH_NONCE_LEN);
	rpc_pack_kv_int(wpk, "version", 1);
	clu_worker_flush(w);
	conn_start(w->conn);
	if (!c->ticking) {
		uv_timer_start(&c->tick, clu_on_tick, CLU_TICK_MS, CLU_TICK_MS);
		c->ticking = true;
	}
}

/* Begins a notification to w ([2, method, [ ... ]]): the caller packs
 * one map; clu_drain() (or clu_worker_flush()) sends it. */
static msgpack_packer *
clu_worker_note(struct clu_worker *w, const char *method)
{
	struct rpc_writer *wr = conn_writer(w->conn);

	rpc_begin_notify(wr, method);
	return &wr->pk;
}

static void
clu_worker_flush(struct clu_worker *w)
{
	if (w->conn != NULL)
		conn_flush(w->conn);
}

static void
clu_worker_close(struct clu_worker *w)
{
	if (w->closing)
		return;
	w->closing = true;
	conn_close(w->conn, false);
}

/* The connection ended (EOF, an error, garbage). */
static void
clu_worker_lost(struct clu_worker *w, const char *why)
{
	struct clu	*c = w->c;
	int64_t		 now = clu_now(c);

	switch (w->state) {
	case WS_HELLO:
		break;
	case WS_UP:
		/* Ask the launcher why (its ENDED event says "killed by
		 * signal 9"); a worker it does not know died now. */
		if (w->launched && c->launch != NULL &&
		    launch_worker_lost(c->launch, w->name) == 0) {
			w->state = WS_LOST;
			w->lost_ms = now;
			log_info("cluster: worker %s (%s): connection lost: %s",
			    w->name, w->host, why);
			break;
		}
		log_info("cluster: worker %s (%s): connection lost: %s",
		    w->name, w->host, why);
		sched_worker_died(c->sched, w->id, SCHED_LOSS_DISCONNECTED,
		    why, now);
		w->state = WS_DEAD;
		break;
	case WS_STOPPING:
		sched_worker_left(c->sched, w->id, now);
		w->state = WS_DEAD;
		break;
	case WS_LOST:
	case WS_DEAD:
		break;
	}
	clu_worker_close(w);
}

static void
clu_worker_on_closed(void *ctx)
{
	struct clu_worker	*w = ctx;
	struct clu		*c = w->c;

	w->conn = NULL;
	w->closed = true;
	c->handles--;
	/* Closed with the scheduler still counting it (it should have
	 * been told on the way here; this keeps it true). */
	if (!c->closing && w->state == WS_UP) {
		sched_worker_died(c->sched, w->id, SCHED_LOSS_DISCONNECTED,
		    "connection closed", clu_now(c));
		w->state = WS_DEAD;
	} else if (!c->closing && w->state == WS_STOPPING) {
		sched_worker_left(c->sched, w->id, clu_now(c));
		w->state = WS_DEAD;
	}
	clu_worker_maybe_free(w);
	if (!c->closing)
		clu_drain(c);
	clu_free_maybe(c);
}

/* Frees w once its handle is closed, unless the scheduler still counts
 * it (LOST: the launcher has not said why yet). */
static void
clu_worker_maybe_free(struct clu_worker *w)
{
	struct clu *c = w->c;

	if (!w->closed || (w->state == WS_LOST && !c->closing))
		return;
	if (w->prev != NULL)
		w->prev->next = w->next;
	else
		c->workers = w->next;
	if (w->next != NULL)
		w->next->prev = w->prev;
	c->nworkers--;
	free(w->fns);
	free(w);
}

static void
clu_worker_on_msg(void *ctx, struct rpc_msg *m)
{
	clu_worker_handle(ctx, m);
}

/* Any bytes from a worker are a sign of life. */
static void
clu_worker_on_read(void *ctx)
{
	struct clu_worker	*w = ctx;
	struct clu		*c = w->c;

	if (w->state != WS_HELLO && !w->closing && c->sched != NULL)
		sched_heartbeat(c->sched, w->id, clu_now(c));
	clu_drain(c);
}

/* The slow-reader policy for workers: one that stopped reading is lost
 * like one whose connection dropped. */
static void
clu_worker_on_end(void *ctx, enum conn_end why, const char *msg,
    size_t queued)
{
	struct clu_worker *w = ctx;

	(void)queued;
	switch (why) {
	case CONN_EOF:
		clu_worker_lost(w, "connection closed");
		break;
	case CONN_PROTOCOL:
		log_info("cluster: %s: %s", w->state == WS_HELLO ? w->peer :
		    w->name, msg);
		clu_worker_lost(w, "protocol error");
		break;
	case CONN_FULL:
		clu_worker_lost(w, "it stopped reading");
		break;
	case CONN_READ_ERROR:
	case CONN_WRITE_ERROR:
		clu_worker_lost(w, msg);
		break;
	}
}

static void
clu_worker_handle(struct clu_worker *w, struct rpc_msg *m)
{
	struct clu		*c = w->c;
	const msgpack_object	*o;

	if (w->state == WS_HELLO) {
		clu_worker_hello(w, m);
		return;
	}
	if (w->state != WS_UP && w->state != WS_STOPPING)
		return;		/* given up on: late words are ignored */
	if (m->type != RPC_NOTIFY)
		return;
	if (strcmp(m->method, "task.done") == 0) {
		clu_worker_task_done(w, m);
	} else if (strcmp(m->method, "worker.heartbeat") == 0) {
		if ((o = rpc_map_get(m->args, "cpu")) != NULL &&
		    (o->type == MSGPACK_OBJECT_FLOAT64 ||
		    o->type == MSGPACK_OBJECT_FLOAT32))
			w->cpu_s = o->via.f64;
		w->rss = rpc_map_int(m->args, "rss", w->rss);
	} else if (strcmp(m->method, "task.released") == 0) {
		uint64_t	*ids;
		size_t		 n = 0;

		o = rpc_map_get(m->args, "tasks");
		if (o == NULL || o->type != MSGPACK_OBJECT_ARRAY)
			return;
		ids = xmalloc((o->via.array.size + 1) * sizeof *ids);
		for (uint32_t i = 0; i < o->via.array.size; i++)
			if (o->via.array.ptr[i].type ==
			    MSGPACK_OBJECT_POSITIVE_INTEGER)
				ids[n++] = o->via.array.ptr[i].via.u64;
		sched_worker_released(c->sched, w->id, ids, n, clu_now(c));
		free(ids);
	} else if (strcmp(m->method, "worker.leaving") == 0) {
		char		 why[200];
		size_t		 len = 0;
		const char	*r = rpc_map_str(m->args, "reason", &len);

		snprintf(why, sizeof why, "it left (%.*s)", r != NULL ?
		    (int)(len > 150 ? 150 : len) : 7, r != NULL ? r :
		    "no reason");
		log_info("cluster: worker %s (%s): %s", w->name, w->host, why);
		if (w->state == WS_UP)
			sched_worker_died(c->sched, w->id,
			    SCHED_LOSS_PREEMPTED, why, clu_now(c));
		else
			sched_worker_left(c->sched, w->id, clu_now(c));
		w->state = WS_DEAD;
		if (w->launched && c->launch != NULL)
			(void)launch_stop(c->launch, w->name);
		w->launched = false;
		clu_worker_close(w);
	}
}

/* worker.hello {hmac, nonce, name, host, pid, slots}: the secret, proved
 * both ways. */
static void
clu_worker_hello(struct clu_worker *w, const struct rpc_msg *m)
{
	struct clu		*c = w->c;
	const msgpack_object	*mac, *nonce;
	struct rpc_writer	*wr = conn_writer(w->conn);
	msgpack_packer		*wpk = &wr->pk;
	unsigned char		 proof[AUTH_MAC_LEN];
	char			*s;
	int64_t			 slots;

	if (m->type != RPC_REQUEST || strcmp(m->method, "worker.hello") != 0) {
		log_info("cluster: %s: %s before authenticating", w->peer,
		    m->method);
		goto refuse;
	}
	mac = rpc_map_get(m->args, "hmac");
	nonce = rpc_map_get(m->args, "nonce");
	if (mac == NULL || mac->type != MSGPACK_OBJECT_BIN ||
	    mac->via.bin.size != AUTH_MAC_LEN || nonce == NULL ||
	    nonce->type != MSGPACK_OBJECT_BIN ||
	    nonce->via.bin.size != AUTH_NONCE_LEN ||
	    !auth_verify(c->secret, w->nonce,
	    (const unsigned char *)mac->via.bin.ptr)) {
		log_info("cluster: %s: wrong cluster secret", w->peer);
		goto refuse;
	}
	s = rpc_map_strdup(m->args, "name");
	snprintf(w->name, sizeof w->name, "%s", s != NULL ? s : "worker");
	free(s);
	s = rpc_map_strdup(m->args, "host");
	snprintf(w->host, sizeof w->host, "%s", s != NULL ? s : "?");
	free(s);
	w->pid = (int)rpc_map_int(m->args, "pid", 0);
	slots = rpc_map_int(m->args, "slots", 1);
	w->id = ++c->next_worker;
	w->state = WS_UP;
	conn_set_frame_max(w->conn, CLU_FRAME_MAX);
	auth_hmac(c->secret, (const unsigned char *)nonce->via.bin.ptr, proof);
	rpc_begin_response(wr, m->id);
	msgpack_pack_map(wpk, 2);
	rpc_pack_kv_int(wpk, "worker", (int64_t)w->id);
	rpc_pack_key(wpk, "hmac");
	msgpack_pack_bin(wpk, AUTH_MAC_LEN);
	msgpack_pack_bin_body(wpk, proof, AUTH_MAC_LEN);
	clu_worker_flush(w);
	w->launched = c->launch != NULL &&
	    launch_worker_up(c->launch, w->name) == 0;
	log_info("cluster: worker %s (%s, pid %d) joined as worker %" PRIu64,
	    w->name, w->host, w->pid, w->id);
	sched_worker_joined(c->sched, w->id, w->host, slots > 0 &&
	    slots < 1024 ? (int)slots : 1, clu_now(c));
	return;
refuse:
	rpc_write_error(wr, m->type == RPC_REQUEST ? m->id : 0, GL_EAUTH,
	    "wrong cluster secret");
	clu_worker_flush(w);
	/* Let the refusal reach it, then close. */
	conn_read_stop(w->conn);
	clu_worker_close(w);
}

/* task.done {results: [[task, status, value, run_us, cpu_us, out], ...]} */
static void
clu_worker_task_done(struct clu_worker *w, struct rpc_msg *m)
{
	struct clu		*c = w->c;
	const msgpack_object	*list = rpc_map_get(m->args, "results");
	struct clu_resmsg	*h;
	size_t			 n;
	int64_t			 now = clu_now(c);

	if (list == NULL || list->type != MSGPACK_OBJECT_ARRAY)
		return;
	n = list->via.array.size;
	h = xmalloc(sizeof *h + (n + 1) * sizeof *h->r);
	h->r = (struct clu_res *)(h + 1);
	h->m = *m;
	m->up.zone = NULL;	/* ours now */
	h->refs = 1;
	snprintf(h->worker, sizeof h->worker, "%s (%s)", w->name, w->host);
	snprintf(h->host, sizeof h->host, "%s", w->host);
	for (size_t i = 0; i < n; i++) {
		const msgpack_object	*e = &list->via.array.ptr[i];
		const msgpack_object	*o;
		struct clu_res		*r = &h->r[i];
		enum sched_status	 st;

		if (e->type != MSGPACK_OBJECT_ARRAY || e->via.array.size < 5 ||
		    e->via.array.ptr[0].type !=
		    MSGPACK_OBJECT_POSITIVE_INTEGER)
			continue;
		o = e->via.array.ptr;
		st = o[1].type == MSGPACK_OBJECT_POSITIVE_INTEGER &&
		    o[1].via.u64 == 0 ? SCHED_OK : SCHED_ERROR;
		r->h = h;
		r->value = &o[2];
		r->run_us = o[3].type == MSGPACK_OBJECT_POSITIVE_INTEGER ?
		    (int64_t)o[3].via.u64 : 0;
		r->cpu_us = o[4].type == MSGPACK_OBJECT_POSITIVE_INTEGER ?
		    (int64_t)o[4].via.u64 : 0;
		r->out = NULL;
		r->outlen = 0;
		if (e->via.array.size > 5 &&
		    o[5].type == MSGPACK_OBJECT_STR) {
			r->out = o[5].via.str.ptr;
			r->outlen = o[5].via.str.size;
		}
		w->tasks++;
		w->task_cpu_s += (double)r->cpu_us / 1e6;
		h->refs++;
		if (!sched_task_finished(c->sched, w->id, o[0].via.u64, st,
		    (uint64_t)(uintptr_t)r, r->run_us, now))
			h->refs--;	/* late: dropped */
	}
	clu_res_release(&(struct clu_res){ .h = h });
}

static void
clu_res_release(struct clu_res *r)
{
	struct clu_resmsg *h = r->h;

	if (--h->refs > 0)
		return;
	rpc_msg_fini(&h->m);
	free(h);
}

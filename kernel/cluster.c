/*
 * cluster.c - the kernel's cluster service (kernel/cluster.h): its
 * lifecycle, the worker listener, the configuration and the launcher,
 * the tick, and the drain that carries out the scheduler's actions. The
 * other files of the family: cluster-worker.c (worker connections),
 * cluster-job.c (jobs, the runtimes' requests, results and progress),
 * cluster-usage.c (usage records and limits); kernel/cluster_int.h is
 * what they share.
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

#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include <sodium.h>

#include "core/auth.h"
#include "core/err.h"
#include "core/mem.h"
#include "core/paths.h"
#include "core/rpc.h"
#include "core/util.h"
#include "kernel/cluster_int.h"
#include "kernel/conn.h"
#include "kernel/launch.h"
#include "kernel/log.h"
#include "kernel/req.h"
#include "kernel/sched.h"
#include "kernel/store.h"
#include "lua/config.h"

static void	 clu_on_handle_closed(uv_handle_t *h);
static void	 clu_on_launch_closed(void *ctx, const char *problem);
static int	 clu_listen(struct clu *c, const char *spec,
		     struct gl_err *err);
static void	 clu_on_lsn_closed(uv_handle_t *h);
static bool	 clu_idle(const struct clu *c);
static void	 clu_make_sched(struct clu *c);
static int	 clu_floor(const struct clu *c);
static int	 clu_make_launcher(struct clu *c, struct gl_err *err);
static void	 clu_on_launch(void *ctx, const struct launch_event *ev);
static void	 clu_on_tick(uv_timer_t *t);

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
	c->scale = -1;
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
	if ((state = gl_state_dir()) == NULL)
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
	log_limit_init(&c->refused, "refused worker connections", 10, 10000);
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
	(void)log_limit_flush(&c->refused, clu_now(c), true);
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
void
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
int
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
	sc.max_workers = clu_max_workers(c);
	if (cc->idle_timeout_ms > 0)
		sc.idle_timeout_ms = cc->idle_timeout_ms;
	if (cc->heartbeat_timeout_ms > 0)
		sc.heartbeat_timeout_ms = cc->heartbeat_timeout_ms;
	if (cc->max_attempts > 0)
		sc.max_attempts = cc->max_attempts;
	sched_free(c->sched);
	c->sched = sched_new(&sc);
	/* What the user asked for outlives the configuration's reading. */
	if (c->scale >= 0)
		sched_scale(c->sched, clu_floor(c), clu_now(c));
}

/* The workers kept: the scale asked for, held to a cap the user set
 * (the configuration's count does not hold it: asking is explicit). */
static int
clu_floor(const struct clu *c)
{
	if (c->scale > 0 && c->max_user > 0 && c->scale > c->max_user)
		return c->max_user;
	return c->scale;
}

int
clu_max_workers(const struct clu *c)
{
	int	 n;

	if (c->max_user > 0)
		return c->max_user;
	n = c->cfg != NULL ? cfg_cluster_workers(&c->cfg->cluster) : 1;
	return n < 1 ? 1 : n;
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

int64_t
clu_now(struct clu *c)
{
	return (int64_t)uv_now(c->loop);
}

/* Starts the 100 ms tick if it is not running. */
void
clu_tick_start(struct clu *c)
{
	if (c->ticking)
		return;
	uv_timer_start(&c->tick, clu_on_tick, CLU_TICK_MS, CLU_TICK_MS);
	c->ticking = true;
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

	(void)log_limit_flush(&c->refused, now, false);
	for (w = c->workers; w != NULL; w = next) {
		next = w->next;
		if (w->state == WS_LOST &&
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

void
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
	need = c->nworkers > 0 || c->njobs > 0 || starting > 0 ||
	    c->refused.dropped > 0;
	if (need)
		clu_tick_start(c);
	else if (c->ticking) {
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

/* --- client methods --- */

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
	msgpack_pack_map(pk, 11);
	rpc_pack_kv_str(pk, "listen", c->listen_addr);
	rpc_pack_kv_str(pk, "launcher",
	    cfg_launcher_name(c->cfg->cluster.launcher));
	rpc_pack_kv_int(pk, "max_workers", (int64_t)clu_max_workers(c));
	rpc_pack_key(pk, "scale");
	if (c->scale >= 0)
		msgpack_pack_int(pk, c->scale);
	else
		msgpack_pack_nil(pk);
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
		msgpack_pack_map(pk, 9);
		rpc_pack_kv_int(pk, "job", (int64_t)j->id);
		rpc_pack_kv_str(pk, "user", j->user);
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

int
clu_scale(struct clu *c, struct sess *s, const msgpack_object *args,
    msgpack_packer *pk, struct gl_err *err)
{
	const msgpack_object *no = rpc_map_get(args, "n");
	const msgpack_object *mo = rpc_map_get(args, "max");
	const msgpack_object *ao = rpc_map_get(args, "auto");
	bool		 autoscale = ao != NULL &&
			    ao->type == MSGPACK_OBJECT_BOOLEAN && ao->via.boolean;
	int64_t		 n = rpc_map_int(args, "n", -1);
	int64_t		 max = rpc_map_int(args, "max", -1);
	int		 rc;

	if ((no == NULL && mo == NULL && !autoscale) ||
	    (no != NULL && (n < 0 || n > 100000)) ||
	    (mo != NULL && (max < 0 || max > 100000)))
		return gl_err_set(err, GL_EINVAL, "cluster.scale: wants {n} "
		    "with 0 <= n <= 100000, {max} (0: the configuration's), "
		    "or {auto = true}");
	if ((rc = clu_ensure(c, s, err)) != 0)
		return rc;
	if (mo != NULL) {
		c->max_user = (int)max;
		sched_set_max(c->sched, clu_max_workers(c), clu_now(c));
	}
	if (autoscale)
		c->scale = -1;
	else if (no != NULL)
		c->scale = (int)n;
	if (autoscale || no != NULL || mo != NULL)
		sched_scale(c->sched, clu_floor(c), clu_now(c));
	msgpack_pack_map(pk, 3);
	rpc_pack_kv_int(pk, "n", c->scale);
	rpc_pack_kv_int(pk, "max", clu_max_workers(c));
	rpc_pack_kv_bool(pk, "auto", c->scale < 0);
	return 0;
}

/* cluster.scale {n?, max?, auto?} */
int
clu_rpc_scale(struct clu *c, struct req *r, struct gl_err *err)
{
	struct rpc_writer w;
	int		 rc;

	/* Packed aside: an error must not leave half a reply. */
	rpc_writer_init(&w);
	if ((rc = clu_scale(c, NULL, r->args, &w.pk, err)) == 0) {
		msgpack_packer *pk = req_reply_begin(r);

		pk->callback(pk->data, w.sbuf.data, w.sbuf.size);
		req_reply_end(r);
	}
	rpc_writer_fini(&w);
	clu_drain(c);
	return rc;
}

/* --- worker connections --- */

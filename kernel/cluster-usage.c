/*
 * cluster-usage.c - the cluster service's usage records and limits
 * (kernel/cluster.h): per-host tallies of each job, the kernel's usage
 * database, cluster.limits, and usage.report.
 *
 * Usage. Each result adds its CPU and wall time to the job's tally for
 * the worker's host; tallies become rows of the kernel's usage database
 * (one transaction per flush: every second, at the end of a job, and
 * before a limit is checked), never a transaction per task. Limits
 * (cluster.limits) are checked when a job is made.
 */
#include "kernel/cluster_int.h"

#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/err.h"
#include "core/mem.h"
#include "core/util.h"
#include "core/rpc.h"
#include "kernel/log.h"
#include "kernel/req.h"
#include "kernel/store.h"
#include "lua/config.h"

static int	 clu_usage_open(struct clu *c, struct gl_err *err);
static int64_t	 clu_period_start(enum cfg_period p);
static void	 clu_hours(char *buf, size_t len, double h);
static int	 clu_limit_one(struct clu *c, const struct cfg_limit *l,
		     bool group, const char *user, const char *ugroup,
		     struct gl_err *err);
static int	 clu_usage_row(void *ctx, const char *key, uint64_t tasks,
		     double cpu_s, double wall_s);

struct clu_usage_rows {
	msgpack_sbuffer	 sb;
	msgpack_packer	 pk;
	size_t		 n;
	uint64_t	 tasks;
	double		 cpu, wall;
};

void
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
void
clu_usage_flush(struct clu *c, struct clu_job *only)
{
	struct store_usage	*rows = NULL;
	struct gl_err		 err;
	size_t			 n = 0, cap = 0;
	int64_t			 now;

	now = gl_wall_ms();
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
			rows[n].user = j->user;
			rows[n].group = j->group;
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

/* One limit of user (of ugroup) against what was used: GL_ELIMIT with
 * whose and how much. */
static int
clu_limit_one(struct clu *c, const struct cfg_limit *l, bool group,
    const char *user, const char *ugroup, struct gl_err *err)
{
	double		 cpu = 0, wall = 0;
	int64_t		 since = clu_period_start(l->period);
	char		 used[32], max[32], when[64];
	const char	*who = group ? "group" : "user";
	const char	*name = group ? (strcmp(l->name, "*") == 0 ? ugroup :
			    l->name) : user;
	int		 rc;

	if (l->cpu_hours < 0 && l->wall_hours < 0)
		return 0;
	if (group)
		rc = store_usage_sum(c->usage, NULL, name, l->members,
		    l->nmembers, since, &cpu, &wall, err);
	else
		rc = store_usage_sum(c->usage, user, NULL, NULL, 0, since,
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
int
clu_check_limits(struct clu *c, const char *user, const char *group,
    struct gl_err *err)
{
	const struct cfg_limits	*ls = &c->cfg->cluster.limits;
	const struct cfg_limit	*l;
	int			 rc;

	if (ls->nusers == 0 && ls->ngroups == 0)
		return 0;
	clu_usage_flush(c, NULL);
	if ((rc = clu_usage_open(c, err)) != 0)
		return rc;
	if ((l = cfg_limit_user(c->cfg, user)) != NULL &&
	    (rc = clu_limit_one(c, l, false, user, group, err)) != 0)
		return rc;
	for (size_t i = 0; i < ls->ngroups; i++) {
		bool in = false;

		l = &ls->groups[i];
		if (l->members != NULL) {
			for (size_t k = 0; k < l->nmembers && !in; k++)
				in = strcmp(l->members[k], user) == 0;
		} else
			in = strcmp(l->name, group) == 0 ||
			    (strcmp(l->name, "*") == 0 &&
			    cfg_limit_group(c->cfg, group) == l);
		if (in && (rc = clu_limit_one(c, l, true, user, group,
		    err)) != 0)
			return rc;
	}
	return 0;
}

char *
clu_user_group(const struct clu *c, const char *user)
{
	struct passwd	*pw;
	struct group	*gr;

	if (strcmp(user, c->user) == 0)
		return xstrdup(c->group);
	if ((pw = getpwnam(user)) == NULL)
		return xstrdup("members");
	if ((gr = getgrgid(pw->pw_gid)) != NULL)
		return xstrdup(gr->gr_name);
	return xasprintf("%u", (unsigned)pw->pw_gid);
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

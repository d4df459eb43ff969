/*
 * config-cluster.c - the `cluster` part of the configuration
 * (lua/config.h): its defaults, applying a file's `cluster` table onto a
 * struct cfg, checking the result, and what the kernel asks of it
 * (workers wanted, limits, launcher templates).
 *
 * A file's `cluster` table is read with raw accesses only (lua_rawget,
 * lua_next: no metamethod of the file's runs outside the protected call)
 * and applied key by key onto the struct: the user file first, then the
 * project's, over the defaults. So merging is per key at every level of
 * nesting, and every bad value is reported with the file it came from
 * and the key's full name.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "core/err.h"
#include "core/mem.h"
#include "lua/config_int.h"

static const char *const cfg_placeholders[] = {
	"addr", "secret_file", "name", "n", "i", "galley", "cpus", "mem",
	"worker_cmd", "id", NULL
};

static int	 cfg_apply_ssh(struct cfg_walk *w, int idx);
static int	 cfg_apply_slurm(struct cfg_walk *w, int idx);
static int	 cfg_apply_command(struct cfg_walk *w, int idx);
static int	 cfg_apply_limits(struct cfg_walk *w, int idx);
static int	 cfg_apply_limit_list(struct cfg_walk *w, int idx,
		     const char *what, struct cfg_limit **list, size_t *n);
static int	 cfg_apply_limit(struct cfg_walk *w, int idx,
		     const char *what, const char *name,
		     struct cfg_limit *lim);
static int	 cfg_get_hours(struct cfg_walk *w, int idx, const char *key,
		     double *out);
static bool	 cfg_mem_ok(const char *s);
static bool	 cfg_time_ok(const char *s);
static void	 cfg_limit_fini(struct cfg_limit *l);
static char	*cfg_strdup(const char *s);
static char	**cfg_strv_dup(char *const *v, size_t n);
static struct cfg_limit *cfg_limits_dup(const struct cfg_limit *v,
		     size_t n);

struct cfg *
cfg_defaults(void)
{
	struct cfg		*c = xcalloc(1, sizeof *c);
	struct cfg_cluster	*cc = &c->cluster;

	cc->launcher = CFG_LAUNCH_LOCAL;
	cc->workers = 0;
	cc->idle_timeout_ms = 300000;
	cc->kernel_idle_timeout_ms = 3600000;
	cc->heartbeat_timeout_ms = 10000;
	cc->max_attempts = 3;
	cc->start_timeout_ms = -1;
	cc->stop_grace_ms = 3000;
	cc->ssh.workers_per_host = 1;
	cc->slurm.cpus_per_worker = 1;
	cc->slurm.poll_interval_ms = 2000;
	cc->command.cpus_per_worker = 1;
	cfg_plugins_defaults(c);
	return c;
}

void
cfg_free(struct cfg *c)
{
	if (c == NULL)
		return;
	cfg_plugins_fini(c);
	cfg_cluster_fini(&c->cluster);
	free(c->user_path);
	free(c->project_path);
	free(c);
}

void
cfg_cluster_fini(struct cfg_cluster *cc)
{
	free(cc->listen);
	free(cc->advertise);
	cfg_strv_free(cc->ssh.hosts, cc->ssh.nhosts);
	cfg_strv_free(cc->ssh.options, cc->ssh.noptions);
	free(cc->ssh.identity_file);
	free(cc->ssh.remote_galley);
	free(cc->ssh.command);
	free(cc->slurm.partition);
	free(cc->slurm.time_limit);
	free(cc->slurm.mem_per_worker);
	free(cc->slurm.account);
	cfg_strv_free(cc->slurm.extra_sbatch_flags,
	    cc->slurm.nextra_sbatch_flags);
	free(cc->slurm.remote_galley);
	free(cc->slurm.bin_dir);
	free(cc->command.start);
	free(cc->command.stop);
	free(cc->command.mem_per_worker);
	free(cc->command.remote_galley);
	for (size_t i = 0; i < cc->limits.nusers; i++)
		cfg_limit_fini(&cc->limits.users[i]);
	for (size_t i = 0; i < cc->limits.ngroups; i++)
		cfg_limit_fini(&cc->limits.groups[i]);
	free(cc->limits.users);
	free(cc->limits.groups);
	memset(cc, 0, sizeof *cc);
}

void
cfg_cluster_dup(struct cfg_cluster *d, const struct cfg_cluster *s)
{
	*d = *s;
	d->listen = cfg_strdup(s->listen);
	d->advertise = cfg_strdup(s->advertise);
	d->ssh.hosts = cfg_strv_dup(s->ssh.hosts, s->ssh.nhosts);
	d->ssh.options = cfg_strv_dup(s->ssh.options, s->ssh.noptions);
	d->ssh.identity_file = cfg_strdup(s->ssh.identity_file);
	d->ssh.remote_galley = cfg_strdup(s->ssh.remote_galley);
	d->ssh.command = cfg_strdup(s->ssh.command);
	d->slurm.partition = cfg_strdup(s->slurm.partition);
	d->slurm.time_limit = cfg_strdup(s->slurm.time_limit);
	d->slurm.mem_per_worker = cfg_strdup(s->slurm.mem_per_worker);
	d->slurm.account = cfg_strdup(s->slurm.account);
	d->slurm.extra_sbatch_flags = cfg_strv_dup(
	    s->slurm.extra_sbatch_flags, s->slurm.nextra_sbatch_flags);
	d->slurm.remote_galley = cfg_strdup(s->slurm.remote_galley);
	d->slurm.bin_dir = cfg_strdup(s->slurm.bin_dir);
	d->command.start = cfg_strdup(s->command.start);
	d->command.stop = cfg_strdup(s->command.stop);
	d->command.mem_per_worker = cfg_strdup(s->command.mem_per_worker);
	d->command.remote_galley = cfg_strdup(s->command.remote_galley);
	d->limits.users = cfg_limits_dup(s->limits.users, s->limits.nusers);
	d->limits.groups = cfg_limits_dup(s->limits.groups,
	    s->limits.ngroups);
}

int
cfg_cluster_workers(const struct cfg_cluster *cc)
{
	long	 n;

	if (cc->workers > 0)
		return cc->workers;
	switch (cc->launcher) {
	case CFG_LAUNCH_LOCAL:
		n = sysconf(_SC_NPROCESSORS_ONLN);
		return n > 0 ? (int)n : 1;
	case CFG_LAUNCH_SSH:
		n = (long)cc->ssh.nhosts * (cc->ssh.workers_per_host > 0 ?
		    cc->ssh.workers_per_host : 1);
		return n > 0 ? (int)n : 1;
	case CFG_LAUNCH_SLURM:
	case CFG_LAUNCH_COMMAND:
		return 4;
	}
	return 1;
}

const struct cfg_limit *
cfg_limit_user(const struct cfg *c, const char *user)
{
	const struct cfg_limits	*l = &c->cluster.limits;
	const struct cfg_limit	*any = NULL;

	for (size_t i = 0; i < l->nusers; i++) {
		if (user != NULL && strcmp(l->users[i].name, user) == 0)
			return &l->users[i];
		if (strcmp(l->users[i].name, "*") == 0)
			any = &l->users[i];
	}
	return any;
}

const struct cfg_limit *
cfg_limit_group(const struct cfg *c, const char *group)
{
	const struct cfg_limits	*l = &c->cluster.limits;
	const struct cfg_limit	*any = NULL;

	for (size_t i = 0; i < l->ngroups; i++) {
		if (group != NULL && strcmp(l->groups[i].name, group) == 0)
			return &l->groups[i];
		if (strcmp(l->groups[i].name, "*") == 0)
			any = &l->groups[i];
	}
	return any;
}

const char *
cfg_launcher_name(enum cfg_launcher k)
{
	switch (k) {
	case CFG_LAUNCH_LOCAL:
		return "local";
	case CFG_LAUNCH_COMMAND:
		return "command";
	case CFG_LAUNCH_SSH:
		return "ssh";
	case CFG_LAUNCH_SLURM:
		return "slurm";
	}
	return "?";
}

int
cfg_template_check(const char *tmpl, const char *what, struct gl_err *err)
{
	const char	*p, *q;
	size_t		 n;
	int		 i;

	for (p = tmpl; (p = strchr(p, '{')) != NULL; p = q + 1) {
		/* ${VAR} is the shell's; {{ is a literal brace. */
		if ((p > tmpl && p[-1] == '$') || p[1] == '{') {
			q = p[1] == '{' ? p + 1 : p;
			continue;
		}
		if ((q = strchr(p, '}')) == NULL)
			return gl_err_set(err, GL_ESYNTAX, "%s: '{' at offset "
			    "%td has no closing '}'", what, p - tmpl);
		n = (size_t)(q - p - 1);
		for (i = 0; cfg_placeholders[i] != NULL; i++)
			if (strlen(cfg_placeholders[i]) == n &&
			    strncmp(cfg_placeholders[i], p + 1, n) == 0)
				break;
		if (cfg_placeholders[i] == NULL)
			return gl_err_set(err, GL_ESYNTAX, "%s: unknown "
			    "placeholder {%.*s} (known: {addr} {secret_file} "
			    "{name} {n} {i} {galley} {cpus} {mem} {worker_cmd} "
			    "{id})", what, (int)n, p + 1);
	}
	return 0;
}

/* --- applying a table (raw accesses only: see the top comment) --- */

/* Iterates the string keys of the table at idx: for each, k is the key
 * and the value is on top of the stack. A non-string key is an error. */
#define CFG_EACH(w, idx, prefix, k)					\
	for (lua_pushnil((w)->L); lua_next((w)->L, (idx)) != 0;	\
	    lua_pop((w)->L, 1))						\
		if (lua_type((w)->L, -2) != LUA_TSTRING) {		\
			lua_pop((w)->L, 2);				\
			return cfg_bad((w), (prefix), "keys must be "	\
			    "names (got a %s key)",			\
			    cfg_typename((w)->L, -1));			\
		} else if (((k) = lua_tostring((w)->L, -2)), 0) {	\
		} else

int
cfg_apply_cluster(struct cfg_walk *w, int idx)
{
	struct cfg_cluster	*cc = &w->c->cluster;
	lua_State		*L = w->L;
	const char		*k;
	char			*s;
	int			 rc = 0, top;

	CFG_EACH(w, idx, "cluster", k) {
		top = lua_gettop(L);
		if (strcmp(k, "launcher") == 0) {
			if ((rc = cfg_get_str(w, top, "cluster.launcher",
			    &s)) != 0)
				goto fail;
			if (strcmp(s, "local") == 0)
				cc->launcher = CFG_LAUNCH_LOCAL;
			else if (strcmp(s, "command") == 0)
				cc->launcher = CFG_LAUNCH_COMMAND;
			else if (strcmp(s, "ssh") == 0)
				cc->launcher = CFG_LAUNCH_SSH;
			else if (strcmp(s, "slurm") == 0)
				cc->launcher = CFG_LAUNCH_SLURM;
			else {
				rc = cfg_bad(w, "cluster.launcher", "unknown "
				    "launcher \"%s\" (local, ssh, slurm or "
				    "command)", s);
				free(s);
				goto fail;
			}
			free(s);
		} else if (strcmp(k, "workers") == 0)
			rc = cfg_get_int(w, top, "cluster.workers", 0, 100000,
			    &cc->workers);
		else if (strcmp(k, "idle_timeout") == 0)
			rc = cfg_get_secs(w, top, "cluster.idle_timeout",
			    false, &cc->idle_timeout_ms);
		else if (strcmp(k, "kernel_idle_timeout") == 0)
			rc = cfg_get_secs(w, top, "cluster.kernel_idle_timeout",
			    false, &cc->kernel_idle_timeout_ms);
		else if (strcmp(k, "heartbeat_timeout") == 0)
			rc = cfg_get_secs(w, top, "cluster.heartbeat_timeout",
			    false, &cc->heartbeat_timeout_ms);
		else if (strcmp(k, "start_timeout") == 0)
			rc = cfg_get_secs(w, top, "cluster.start_timeout",
			    false, &cc->start_timeout_ms);
		else if (strcmp(k, "stop_grace") == 0)
			rc = cfg_get_secs(w, top, "cluster.stop_grace", false,
			    &cc->stop_grace_ms);
		else if (strcmp(k, "max_attempts") == 0)
			rc = cfg_get_int(w, top, "cluster.max_attempts", 1, 1000,
			    &cc->max_attempts);
		else if (strcmp(k, "listen") == 0) {
			if ((rc = cfg_get_str(w, top, "cluster.listen", &s)) == 0) {
				free(cc->listen);
				cc->listen = s;
			}
		} else if (strcmp(k, "advertise") == 0) {
			if ((rc = cfg_get_str(w, top, "cluster.advertise",
			    &s)) == 0) {
				free(cc->advertise);
				cc->advertise = s;
			}
		} else if (strcmp(k, "ssh") == 0)
			rc = cfg_apply_ssh(w, top);
		else if (strcmp(k, "slurm") == 0)
			rc = cfg_apply_slurm(w, top);
		else if (strcmp(k, "command") == 0)
			rc = cfg_apply_command(w, top);
		else if (strcmp(k, "limits") == 0)
			rc = cfg_apply_limits(w, top);
		else
			rc = cfg_bad(w, "cluster", "unknown key '%s'", k);
		if (rc != 0)
			goto fail;
	}
	return 0;
fail:
	lua_settop(L, idx);
	return rc;
}

#define CFG_TABLE_OR_FAIL(w, idx, name) do {				\
	if (lua_type((w)->L, (idx)) != LUA_TTABLE)			\
		return cfg_bad((w), (name), "expected a table, got %s",\
		    cfg_typename((w)->L, (idx)));			\
} while (0)

#define CFG_SET_STR(field, key) do {					\
	char *s_;							\
	if ((rc = cfg_get_str(w, top, (key), &s_)) == 0) {		\
		free(field);						\
		field = s_;						\
	}								\
} while (0)

static int
cfg_apply_ssh(struct cfg_walk *w, int idx)
{
	struct cfg_ssh	*s = &w->c->cluster.ssh;
	const char	*k;
	int		 rc = 0, top;

	CFG_TABLE_OR_FAIL(w, idx, "cluster.ssh");
	CFG_EACH(w, idx, "cluster.ssh", k) {
		top = lua_gettop(w->L);
		if (strcmp(k, "hosts") == 0) {
			rc = cfg_get_list(w, top, "cluster.ssh.hosts",
			    &s->hosts, &s->nhosts);
			for (size_t i = 0; rc == 0 && i < s->nhosts; i++)
				if (s->hosts[i][0] == '\0' ||
				    strpbrk(s->hosts[i], " \t\n'\"") != NULL)
					rc = cfg_bad(w, "cluster.ssh.hosts",
					    "bad host \"%s\"", s->hosts[i]);
		} else if (strcmp(k, "workers_per_host") == 0)
			rc = cfg_get_int(w, top, "cluster.ssh.workers_per_host",
			    1, 10000, &s->workers_per_host);
		else if (strcmp(k, "ssh_options") == 0)
			rc = cfg_get_list(w, top, "cluster.ssh.ssh_options",
			    &s->options, &s->noptions);
		else if (strcmp(k, "identity_file") == 0)
			CFG_SET_STR(s->identity_file,
			    "cluster.ssh.identity_file");
		else if (strcmp(k, "remote_galley") == 0)
			CFG_SET_STR(s->remote_galley,
			    "cluster.ssh.remote_galley");
		else if (strcmp(k, "ssh_command") == 0)
			CFG_SET_STR(s->command, "cluster.ssh.ssh_command");
		else
			rc = cfg_bad(w, "cluster.ssh", "unknown key '%s'", k);
		if (rc != 0) {
			lua_settop(w->L, idx);
			return rc;
		}
	}
	return 0;
}

static int
cfg_apply_slurm(struct cfg_walk *w, int idx)
{
	struct cfg_slurm *s = &w->c->cluster.slurm;
	const char	*k;
	int		 rc = 0, top;

	CFG_TABLE_OR_FAIL(w, idx, "cluster.slurm");
	CFG_EACH(w, idx, "cluster.slurm", k) {
		top = lua_gettop(w->L);
		if (strcmp(k, "partition") == 0)
			CFG_SET_STR(s->partition, "cluster.slurm.partition");
		else if (strcmp(k, "time_limit") == 0) {
			CFG_SET_STR(s->time_limit, "cluster.slurm.time_limit");
			if (rc == 0 && !cfg_time_ok(s->time_limit))
				rc = cfg_bad(w, "cluster.slurm.time_limit",
				    "\"%s\" is not a Slurm time (minutes, "
				    "HH:MM:SS, D-HH:MM:SS ...)", s->time_limit);
		} else if (strcmp(k, "cpus_per_worker") == 0)
			rc = cfg_get_int(w, top, "cluster.slurm.cpus_per_worker",
			    1, 100000, &s->cpus_per_worker);
		else if (strcmp(k, "mem_per_worker") == 0) {
			CFG_SET_STR(s->mem_per_worker,
			    "cluster.slurm.mem_per_worker");
			if (rc == 0 && !cfg_mem_ok(s->mem_per_worker))
				rc = cfg_bad(w, "cluster.slurm.mem_per_worker",
				    "\"%s\" is not a size (512M, 2G ...)",
				    s->mem_per_worker);
		} else if (strcmp(k, "account") == 0)
			CFG_SET_STR(s->account, "cluster.slurm.account");
		else if (strcmp(k, "extra_sbatch_flags") == 0)
			rc = cfg_get_list(w, top,
			    "cluster.slurm.extra_sbatch_flags",
			    &s->extra_sbatch_flags, &s->nextra_sbatch_flags);
		else if (strcmp(k, "remote_galley") == 0)
			CFG_SET_STR(s->remote_galley,
			    "cluster.slurm.remote_galley");
		else if (strcmp(k, "bin_dir") == 0)
			CFG_SET_STR(s->bin_dir, "cluster.slurm.bin_dir");
		else if (strcmp(k, "poll_interval") == 0) {
			rc = cfg_get_secs(w, top, "cluster.slurm.poll_interval",
			    false, &s->poll_interval_ms);
			if (rc == 0 && s->poll_interval_ms < 100)
				rc = cfg_bad(w, "cluster.slurm.poll_interval",
				    "at least 0.1 s");
		} else
			rc = cfg_bad(w, "cluster.slurm", "unknown key '%s'", k);
		if (rc != 0) {
			lua_settop(w->L, idx);
			return rc;
		}
	}
	return 0;
}

static int
cfg_apply_command(struct cfg_walk *w, int idx)
{
	struct cfg_command *s = &w->c->cluster.command;
	const char	*k;
	int		 rc = 0, top;

	CFG_TABLE_OR_FAIL(w, idx, "cluster.command");
	CFG_EACH(w, idx, "cluster.command", k) {
		top = lua_gettop(w->L);
		if (strcmp(k, "start") == 0) {
			CFG_SET_STR(s->start, "cluster.command.start");
			if (rc == 0 && (rc = cfg_template_check(s->start,
			    "cluster.command.start", w->err)) != 0)
				gl_err_prefix(w->err, "%s", w->path);
		} else if (strcmp(k, "stop") == 0) {
			CFG_SET_STR(s->stop, "cluster.command.stop");
			if (rc == 0 && (rc = cfg_template_check(s->stop,
			    "cluster.command.stop", w->err)) != 0)
				gl_err_prefix(w->err, "%s", w->path);
		} else if (strcmp(k, "cpus_per_worker") == 0)
			rc = cfg_get_int(w, top,
			    "cluster.command.cpus_per_worker", 1, 100000,
			    &s->cpus_per_worker);
		else if (strcmp(k, "mem_per_worker") == 0)
			CFG_SET_STR(s->mem_per_worker,
			    "cluster.command.mem_per_worker");
		else if (strcmp(k, "secret_on_stdin") == 0)
			rc = cfg_get_bool(w, top,
			    "cluster.command.secret_on_stdin",
			    &s->secret_on_stdin);
		else if (strcmp(k, "remote_galley") == 0)
			CFG_SET_STR(s->remote_galley,
			    "cluster.command.remote_galley");
		else
			rc = cfg_bad(w, "cluster.command", "unknown key '%s'",
			    k);
		if (rc != 0) {
			lua_settop(w->L, idx);
			return rc;
		}
	}
	return 0;
}

static int
cfg_apply_limits(struct cfg_walk *w, int idx)
{
	struct cfg_limits *l = &w->c->cluster.limits;
	const char	*k;
	int		 rc = 0, top;

	CFG_TABLE_OR_FAIL(w, idx, "cluster.limits");
	CFG_EACH(w, idx, "cluster.limits", k) {
		top = lua_gettop(w->L);
		if (strcmp(k, "users") == 0)
			rc = cfg_apply_limit_list(w, top, "users", &l->users,
			    &l->nusers);
		else if (strcmp(k, "groups") == 0)
			rc = cfg_apply_limit_list(w, top, "groups", &l->groups,
			    &l->ngroups);
		else
			rc = cfg_bad(w, "cluster.limits", "unknown key '%s' "
			    "(users or groups)", k);
		if (rc != 0) {
			lua_settop(w->L, idx);
			return rc;
		}
	}
	return 0;
}

/* users = { alice = {...}, ["*"] = {...} }: an entry replaces the one of
 * the same name from an earlier file. */
static int
cfg_apply_limit_list(struct cfg_walk *w, int idx, const char *what,
    struct cfg_limit **list, size_t *n)
{
	struct cfg_limit lim;
	char		 key[64];
	const char	*k;
	size_t		 i;
	int		 rc;

	snprintf(key, sizeof key, "cluster.limits.%s", what);
	CFG_TABLE_OR_FAIL(w, idx, key);
	CFG_EACH(w, idx, key, k) {
		memset(&lim, 0, sizeof lim);
		if ((rc = cfg_apply_limit(w, lua_gettop(w->L), what, k,
		    &lim)) != 0) {
			cfg_limit_fini(&lim);
			lua_settop(w->L, idx);
			return rc;
		}
		for (i = 0; i < *n; i++)
			if (strcmp((*list)[i].name, k) == 0)
				break;
		if (i < *n)
			cfg_limit_fini(&(*list)[i]);
		else {
			*list = xrealloc(*list, (*n + 1) * sizeof **list);
			(*n)++;
		}
		(*list)[i] = lim;
	}
	return 0;
}

static int
cfg_apply_limit(struct cfg_walk *w, int idx, const char *what,
    const char *name, struct cfg_limit *lim)
{
	char		 key[160], sub[200];
	const char	*k;
	char		*s;
	int		 rc = 0, top;

	snprintf(key, sizeof key, "cluster.limits.%s.%s", what, name);
	lim->name = xstrdup(name);
	lim->cpu_hours = -1;
	lim->wall_hours = -1;
	lim->period = CFG_PERIOD_TOTAL;
	CFG_TABLE_OR_FAIL(w, idx, key);
	CFG_EACH(w, idx, key, k) {
		top = lua_gettop(w->L);
		snprintf(sub, sizeof sub, "%s.%s", key, k);
		if (strcmp(k, "cpu_hours") == 0)
			rc = cfg_get_hours(w, top, sub, &lim->cpu_hours);
		else if (strcmp(k, "wall_hours") == 0)
			rc = cfg_get_hours(w, top, sub, &lim->wall_hours);
		else if (strcmp(k, "period") == 0) {
			if ((rc = cfg_get_str(w, top, sub, &s)) != 0)
				break;
			if (strcmp(s, "total") == 0)
				lim->period = CFG_PERIOD_TOTAL;
			else if (strcmp(s, "day") == 0)
				lim->period = CFG_PERIOD_DAY;
			else if (strcmp(s, "week") == 0)
				lim->period = CFG_PERIOD_WEEK;
			else if (strcmp(s, "month") == 0)
				lim->period = CFG_PERIOD_MONTH;
			else
				rc = cfg_bad(w, sub, "\"%s\": expected "
				    "\"total\", \"day\", \"week\" or "
				    "\"month\"", s);
			free(s);
		} else if (strcmp(k, "members") == 0 &&
		    strcmp(what, "groups") == 0)
			rc = cfg_get_list(w, top, sub, &lim->members,
			    &lim->nmembers);
		else
			rc = cfg_bad(w, key, "unknown key '%s'", k);
		if (rc != 0)
			break;
	}
	if (rc != 0)
		lua_settop(w->L, idx);
	return rc;
}

/* --- values --- */

int
cfg_bad(struct cfg_walk *w, const char *key, const char *fmt, ...)
{
	char	 msg[400];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return gl_err_set(w->err, GL_ESYNTAX, "%s: %s: %s", w->path, key, msg);
}

int
cfg_get_str(struct cfg_walk *w, int idx, const char *key, char **out)
{
	size_t		 n;
	const char	*s;

	if (lua_type(w->L, idx) != LUA_TSTRING)
		return cfg_bad(w, key, "expected a string, got %s",
		    cfg_typename(w->L, idx));
	s = lua_tolstring(w->L, idx, &n);
	if (strlen(s) != n)
		return cfg_bad(w, key, "contains a NUL byte");
	*out = xstrdup(s);
	return 0;
}

int
cfg_get_int(struct cfg_walk *w, int idx, const char *key, int min, int max,
    int *out)
{
	lua_Number	 d;
	lua_Integer	 v;

	if (lua_type(w->L, idx) != LUA_TNUMBER)
		return cfg_bad(w, key, "expected an integer, got %s",
		    cfg_typename(w->L, idx));
	if (lua_isinteger(w->L, idx))
		v = lua_tointeger(w->L, idx);
	else {
		d = lua_tonumber(w->L, idx);
		if (d != floor(d) || d < min || d > max)
			return cfg_bad(w, key, "expected an integer from %d "
			    "to %d, got %g", min, max, (double)d);
		v = (lua_Integer)d;
	}
	if (v < min || v > max)
		return cfg_bad(w, key, "expected an integer from %d to %d, "
		    "got %lld", min, max, (long long)v);
	*out = (int)v;
	return 0;
}

int
cfg_get_secs(struct cfg_walk *w, int idx, const char *key, bool allow_neg,
    int64_t *out_ms)
{
	lua_Number	 d;

	if (lua_type(w->L, idx) != LUA_TNUMBER)
		return cfg_bad(w, key, "expected seconds (a number), got %s",
		    cfg_typename(w->L, idx));
	d = lua_tonumber(w->L, idx);
	if (d != d || (!allow_neg && d < 0) || d > 1e9 || d < -1e9)
		return cfg_bad(w, key, "expected seconds from 0 to 1e9, "
		    "got %g", (double)d);
	*out_ms = (int64_t)llround(d * 1000.0);
	return 0;
}

int
cfg_get_bool(struct cfg_walk *w, int idx, const char *key, bool *out)
{
	if (lua_type(w->L, idx) != LUA_TBOOLEAN)
		return cfg_bad(w, key, "expected true or false, got %s",
		    cfg_typename(w->L, idx));
	*out = lua_toboolean(w->L, idx);
	return 0;
}

static int
cfg_get_hours(struct cfg_walk *w, int idx, const char *key, double *out)
{
	lua_Number	 d;

	if (lua_type(w->L, idx) != LUA_TNUMBER)
		return cfg_bad(w, key, "expected hours (a number), got %s",
		    cfg_typename(w->L, idx));
	d = lua_tonumber(w->L, idx);
	if (d != d || d < 0 || d > 1e12)
		return cfg_bad(w, key, "expected hours from 0 up, got %g",
		    (double)d);
	*out = d;
	return 0;
}

/* A list of strings { "a", "b" } replaces *out whole. */
int
cfg_get_list(struct cfg_walk *w, int idx, const char *key, char ***out,
    size_t *n)
{
	lua_State	*L = w->L;
	char		**v = NULL;
	size_t		 len, cnt = 0, i;
	const char	*s;
	size_t		 sl;

	if (lua_type(L, idx) == LUA_TSTRING) {
		/* A single string is a list of one. */
		s = lua_tolstring(L, idx, &sl);
		if (strlen(s) != sl)
			return cfg_bad(w, key, "contains a NUL byte");
		cfg_strv_free(*out, *n);
		*out = xcalloc(1, sizeof **out);
		(*out)[0] = xstrdup(s);
		*n = 1;
		return 0;
	}
	if (lua_type(L, idx) != LUA_TTABLE)
		return cfg_bad(w, key, "expected a list of strings, got %s",
		    cfg_typename(L, idx));
	len = (size_t)lua_rawlen(L, idx);
	for (lua_pushnil(L); lua_next(L, idx) != 0; lua_pop(L, 1))
		cnt++;
	if (cnt != len)
		return cfg_bad(w, key, "expected a list of strings "
		    "{\"a\", \"b\"}, got a table with other keys");
	v = xcalloc(len + 1, sizeof *v);
	for (i = 0; i < len; i++) {
		lua_rawgeti(L, idx, (lua_Integer)(i + 1));
		if (lua_type(L, -1) != LUA_TSTRING) {
			int rc = cfg_bad(w, key, "item %zu: expected a string, "
			    "got %s", i + 1, cfg_typename(L, -1));

			lua_pop(L, 1);
			cfg_strv_free(v, i);
			return rc;
		}
		s = lua_tolstring(L, -1, &sl);
		if (strlen(s) != sl) {
			lua_pop(L, 1);
			cfg_strv_free(v, i);
			return cfg_bad(w, key, "item %zu contains a NUL byte",
			    i + 1);
		}
		v[i] = xstrdup(s);
		lua_pop(L, 1);
	}
	cfg_strv_free(*out, *n);
	*out = v;
	*n = len;
	return 0;
}

/* What the merged configuration must hold together. */
int
cfg_check(struct cfg *c, struct gl_err *err)
{
	struct cfg_cluster	*cc = &c->cluster;
	const char		*where = c->project_path != NULL ?
	    c->project_path : c->user_path != NULL ? c->user_path :
	    "configuration";

	if (cc->launcher == CFG_LAUNCH_SSH && cc->ssh.nhosts == 0)
		return gl_err_set(err, GL_ESYNTAX, "%s: cluster.launcher is "
		    "\"ssh\" but cluster.ssh.hosts is empty", where);
	if (cc->launcher == CFG_LAUNCH_COMMAND && (cc->command.start == NULL ||
	    cc->command.start[0] == '\0'))
		return gl_err_set(err, GL_ESYNTAX, "%s: cluster.launcher is "
		    "\"command\" but cluster.command.start is not set", where);
	return 0;
}

/* Slurm sizes: digits, then an optional K, M, G or T. */
static bool
cfg_mem_ok(const char *s)
{
	const char	*p = s;

	while (*p >= '0' && *p <= '9')
		p++;
	if (p == s)
		return false;
	if (*p == '\0')
		return true;
	if (strchr("KMGTkmgt", *p) == NULL)
		return false;
	p++;
	if (*p == 'B' || *p == 'b')
		p++;
	return *p == '\0';
}

/* Slurm times: M, M:S, H:M:S, D-H, D-H:M, D-H:M:S, or UNLIMITED. */
static bool
cfg_time_ok(const char *s)
{
	const char	*p = s;
	int		 fields = 0, days = 0;

	if (strcasecmp(s, "unlimited") == 0 || strcasecmp(s, "infinite") == 0)
		return true;
	for (;;) {
		const char *q = p;

		while (*p >= '0' && *p <= '9')
			p++;
		if (p == q || p - q > 6)
			return false;
		fields++;
		if (*p == '-' && !days && fields == 1) {
			days = 1;
			fields = 0;
			p++;
			continue;
		}
		if (*p == ':') {
			p++;
			continue;
		}
		break;
	}
	return *p == '\0' && fields >= 1 && fields <= 3;
}

void
cfg_strv_free(char **v, size_t n)
{
	if (v == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static void
cfg_limit_fini(struct cfg_limit *l)
{
	free(l->name);
	cfg_strv_free(l->members, l->nmembers);
	memset(l, 0, sizeof *l);
}

/* A copy of s, or NULL. */
static char *
cfg_strdup(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

/* A copy of v[0..n), NULL-terminated; NULL for NULL (an empty list is
 * not NULL: group members {} are no one, NULL the Unix group). */
static char **
cfg_strv_dup(char *const *v, size_t n)
{
	char	**d;

	if (v == NULL)
		return NULL;
	d = xcalloc(n + 1, sizeof *d);
	for (size_t i = 0; i < n; i++)
		d[i] = xstrdup(v[i]);
	return d;
}

static struct cfg_limit *
cfg_limits_dup(const struct cfg_limit *v, size_t n)
{
	struct cfg_limit *d;

	if (n == 0)
		return NULL;
	d = xcalloc(n, sizeof *d);
	for (size_t i = 0; i < n; i++) {
		d[i] = v[i];
		d[i].name = cfg_strdup(v[i].name);
		d[i].members = cfg_strv_dup(v[i].members, v[i].nmembers);
	}
	return d;
}

const char *
cfg_typename(lua_State *L, int idx)
{
	switch (lua_type(L, idx)) {
	case LUA_TNIL:
		return "nil";
	case LUA_TBOOLEAN:
		return "a boolean";
	case LUA_TNUMBER:
		return "a number";
	case LUA_TSTRING:
		return "a string";
	case LUA_TTABLE:
		return "a table";
	case LUA_TFUNCTION:
		return "a function";
	default:
		return lua_typename(L, lua_type(L, idx));
	}
}

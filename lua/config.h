/*
 * config.h - galley's configuration files (DESIGN sections 9 and 12):
 * `.galley/config.lua` in a project and `~/.config/galley/init.lua` for the
 * user ($XDG_CONFIG_HOME/galley/init.lua when that is set). Both are Lua,
 * run one after the other (user, then project) in one sandboxed Lua host
 * (base functions less file and code loading, string, table, math, utf8,
 * coroutine, os.getenv and the clock; bounded in instructions and
 * memory), so a bad or hostile file is an error naming its path and line,
 * never a crash or a hang of the process that reads it. A file sets
 * globals (`cluster = { ... }`, `plugins = { ... }`, `registry = "..."`)
 * or returns a table holding them, and calls the `galley` API
 * (galley.keymap.set, galley.keymap.del, galley.set). Plugins
 * (lua/plugin.h) run in the same host after the files.
 *
 * The same files are read by two sides, each taking its own part and
 * leaving the other recorded but unused: the kernel reads the `cluster`
 * table (launchers, workers, timeouts, usage limits) into a struct cfg;
 * the terminal UI reads what the galley.* calls asked for (key bindings
 * and options, each with its file and line) as a struct cfg_tui of plain
 * strings, which it checks itself. Cluster values merge project over user
 * over the defaults, table by table (`cluster.slurm.partition` in the
 * project keeps the user's `cluster.slurm.account`); lists (hosts, flags)
 * are replaced whole. docs/cluster.md and docs/tui.md are the user's
 * reference.
 *
 * Called by the kernel's cluster service (kernel/cluster.c: cfg_load;
 * kernel/launch.c keeps a copy, cfg_cluster_dup), by usage accounting (the
 * limits), by `galley kernel` (cli/cmd_kernel.c: the idle timeout), and
 * by the terminal UI (tui/app.c: cfg_host_*). Depends on Lua and core/
 * only: never on kernel/ or tui/. No libuv.
 */
#ifndef GL_CONFIG_H
#define GL_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct gl_err;

enum cfg_launcher {
	CFG_LAUNCH_LOCAL,	/* processes on this machine (default) */
	CFG_LAUNCH_COMMAND,	/* a start/stop command template */
	CFG_LAUNCH_SSH,		/* one ssh session per worker */
	CFG_LAUNCH_SLURM,	/* one Slurm job, one step per worker */
};

/* cluster.ssh */
struct cfg_ssh {
	char	**hosts;	/* owned: "host", "user@host", "user@host:port",
				 * "[::1]:port" */
	size_t	  nhosts;
	int	  workers_per_host;	/* default 1 */
	char	**options;	/* owned: each passed as `-o OPTION` */
	size_t	  noptions;
	char	 *identity_file;	/* owned, or NULL */
	char	 *remote_galley;	/* owned: galley on the hosts; NULL =
					 * "galley" (found on the remote PATH) */
	char	 *command;	/* owned: the ssh client; NULL = "ssh" */
};

/* cluster.slurm */
struct cfg_slurm {
	char	 *partition;	/* owned, or NULL = the cluster's default */
	char	 *time_limit;	/* owned, Slurm syntax ("00:30:00"), or NULL */
	int	  cpus_per_worker;	/* default 1 */
	char	 *mem_per_worker;	/* owned: "512M", "2G"; NULL = default */
	char	 *account;	/* owned, or NULL */
	char	**extra_sbatch_flags;	/* owned: passed to sbatch as they are */
	size_t	  nextra_sbatch_flags;
	char	 *remote_galley;	/* owned: galley on the nodes; NULL =
					 * this kernel's own binary path */
	int64_t	  poll_interval_ms;	/* squeue every ... (default 2000) */
	char	 *bin_dir;	/* owned: where sbatch, squeue, scancel and
				 * sacct are; NULL = PATH */
};

/* cluster.command */
struct cfg_command {
	char	 *start;	/* owned template; NULL until configured */
	char	 *stop;		/* owned template, or NULL */
	int	  cpus_per_worker;	/* {cpus}, default 1 */
	char	 *mem_per_worker;	/* {mem}, owned; NULL = "" */
	bool	  secret_on_stdin;	/* the worker reads --secret-file - */
	char	 *remote_galley;	/* {galley}; owned, NULL = this binary */
};

enum cfg_period {
	CFG_PERIOD_TOTAL,	/* since records began (default) */
	CFG_PERIOD_DAY,		/* the current calendar day, local time */
	CFG_PERIOD_WEEK,	/* the current ISO week (from Monday) */
	CFG_PERIOD_MONTH,	/* the current calendar month */
};

/* One entry of cluster.limits.users or .groups. */
struct cfg_limit {
	char	 *name;		/* owned: user or group; "*" = everyone not
				 * listed by name */
	double	  cpu_hours;	/* < 0: no limit on CPU time */
	double	  wall_hours;	/* < 0: no limit on wall time */
	enum cfg_period period;
	char	**members;	/* owned (groups only): users in the group;
				 * NULL = the Unix group of that name */
	size_t	  nmembers;
};

struct cfg_limits {
	struct cfg_limit *users;	/* owned */
	size_t	  nusers;
	struct cfg_limit *groups;	/* owned */
	size_t	  ngroups;
};

struct cfg_cluster {
	enum cfg_launcher launcher;
	int	  workers;	/* wanted at most; 0 = the launcher's default
				 * (cfg_cluster_workers()) */
	int64_t	  idle_timeout_ms;	/* an idle worker stops (300 s) */
	int64_t	  kernel_idle_timeout_ms; /* no clients, no work: the kernel
					 * stops (3600 s); 0 = never */
	int64_t	  heartbeat_timeout_ms;	/* silent worker is dead (10 s) */
	int	  max_attempts;	/* per task (3) */
	int64_t	  start_timeout_ms;	/* a worker must connect by then;
					 * -1 = the launcher's default (local
					 * 30 s, ssh 60 s, command 120 s,
					 * slurm none: jobs may queue); 0 =
					 * no limit */
	int64_t	  stop_grace_ms;	/* SIGTERM, then SIGKILL after (3 s) */
	char	 *listen;	/* owned: where the cluster listener binds,
				 * "HOST:PORT"; NULL = 127.0.0.1:0 for local,
				 * 0.0.0.0:0 otherwise */
	char	 *advertise;	/* owned: the host (or HOST:PORT) workers
				 * connect to; NULL = 127.0.0.1 for local,
				 * this machine's host name otherwise */
	struct cfg_ssh	   ssh;
	struct cfg_slurm   slurm;
	struct cfg_command command;
	struct cfg_limits  limits;
};

/*
 * plugins = { ... } (docs/plugins.md): how plugins are loaded and bounded.
 * The table's other keys are plugins' own settings (plugins.NAME = { ...
 * }), kept in the host's Lua state for the plugin named NAME.
 */
struct cfg_plugins {
	bool	  allow_io;	/* kernel-side plugins get io and os; only
				 * the user's file may set it */
	int64_t	  budget;	/* VM instructions a plugin's call may run
				 * (10,000,000) */
	size_t	  memory;	/* bytes one call may add to the heap
				 * (16 MB) */
	char	**enable;	/* owned: bundled plugins to load, by name */
	size_t	  nenable;
	char	**disable;	/* owned: plugins not to load, by name */
	size_t	  ndisable;
};

struct cfg {
	struct cfg_cluster cluster;
	struct cfg_plugins plugins;
	char	 *registry;	/* owned: the team library registry (a path
				 * or a URL), or NULL */
	char	 *user_path;	/* owned: the user file read, or NULL */
	char	 *project_path;	/* owned: the project file read, or NULL */
};

/* The defaults alone (no file read). Caller frees with cfg_free(). */
struct cfg *cfg_defaults(void);

/* One galley.keymap.set(mode, keys, command) or galley.keymap.del(mode,
 * keys) call, as written: the TUI checks the mode, keys and command. */
struct cfg_key {
	char	 *mode;		/* owned: "normal", "insert", ... */
	char	 *keys;		/* owned: "dd", "<C-r>" */
	char	 *command;	/* owned: a command line ("run all"); NULL
				 * for galley.keymap.del */
	char	 *path;		/* owned: the file of the call */
	int	  line;		/* the line of the call in path */
};

/* One galley.set(name, value) call. */
struct cfg_option {
	char	 *name;		/* owned: "fold_lines" */
	char	 *value;	/* owned: the value as text: "20", "true" */
	char	 *path;		/* owned: the file of the call */
	int	  line;
};

/* What the files asked of the terminal UI, in the order they asked. */
struct cfg_tui {
	struct cfg_key	  *keys;	/* owned */
	size_t		   nkeys;
	struct cfg_option *options;	/* owned */
	size_t		   noptions;
};

enum cfg_side {
	CFG_SIDE_KERNEL,	/* takes the cluster part */
	CFG_SIDE_TUI,		/* takes the keys and options */
};

/*
 * The configuration host: one sandboxed Lua state (lua/config.c) with the
 * galley API, which runs the files and keeps what they set. It may stay
 * alive after loading (the plugin API will call into it); the caller
 * frees it with cfg_host_free().
 */
struct cfg_host;

/* A host for side. NULL with err (GL_ENOMEM) if no Lua state can be
 * made. */
struct cfg_host *cfg_host_new(enum cfg_side side, struct gl_err *err);
/*
 * Runs user_path, then project_path (either may be NULL; a missing file
 * is skipped). The kernel side applies each file's `cluster` table as the
 * file ends and checks the merged result. On failure returns a GL_E*
 * code with err as cfg_load() says; what the files recorded before the
 * error stays in the host (the TUI applies it).
 */
int	 cfg_host_load(struct cfg_host *h, const char *user_path,
	     const char *project_path, struct gl_err *err);
/* The kernel side's cluster configuration, after a load that succeeded;
 * NULL otherwise and on the TUI side. Borrowed from h. */
const struct cfg *cfg_host_cluster(const struct cfg_host *h);
/* The keys and options the files asked for (both sides record them).
 * Borrowed from h. */
const struct cfg_tui *cfg_host_tui(const struct cfg_host *h);
/* What both sides read of the files whatever the result of the load:
 * `plugins` and `registry` (and, on the kernel side, the cluster part as
 * far as it was applied). Borrowed from h. */
const struct cfg *cfg_host_config(const struct cfg_host *h);
void	 cfg_host_free(struct cfg_host *h);

/*
 * The kernel side in one call: loads the user file and then
 * project_dir/.galley/config.lua (project_dir NULL: none) over the
 * defaults in a host it frees. A missing file is skipped. On failure
 * returns NULL and fills err: GL_ESYNTAX for a Lua error ("PATH:LINE:
 * ...") or a bad value ("PATH: cluster.workers: expected ..."), GL_EIO
 * or GL_EPERM for an unreadable file, GL_ELIMIT for a file that ran too
 * long or used too much memory. Caller frees the result with cfg_free().
 */
struct cfg *cfg_load(const char *project_dir, struct gl_err *err);

/* Same with explicit paths (either may be NULL or missing). */
struct cfg *cfg_load_files(const char *user_path, const char *project_path,
	     struct gl_err *err);

/* The team library registry the configuration names (`registry = URL`
 * in the user's file or project_dir's; the project's wins), or NULL.
 * A file that fails is in err (what it set before stays). Caller frees. */
char	*cfg_registry(const char *project_dir, struct gl_err *err);

/* The user file's path: $XDG_CONFIG_HOME/galley/init.lua, else
 * $HOME/.config/galley/init.lua; NULL without HOME. Caller frees. */
char	*cfg_user_path(void);

void	 cfg_free(struct cfg *c);

/* A deep copy of src into *dst (every string and list its own), for a
 * part that outlives its struct cfg (kernel/launch.c: a closing launcher
 * still stops its workers after the configuration was reloaded). The
 * caller frees what dst owns with cfg_cluster_fini(). */
void	 cfg_cluster_dup(struct cfg_cluster *dst,
	     const struct cfg_cluster *src);
/* Frees what cc owns and zeroes it (not cc itself). */
void	 cfg_cluster_fini(struct cfg_cluster *cc);

/* The number of workers wanted: cluster.workers, else the launcher's
 * default (local: the CPUs online; ssh: hosts x workers_per_host; slurm
 * and command: 4). */
int	 cfg_cluster_workers(const struct cfg_cluster *cc);

/* The limit that applies to user (by name, else "*"), or NULL; borrowed
 * from c. */
const struct cfg_limit *cfg_limit_user(const struct cfg *c,
	     const char *user);
/* The group limit named group (by name, else "*"), or NULL; borrowed. */
const struct cfg_limit *cfg_limit_group(const struct cfg *c,
	     const char *group);

/* Checks a command launcher template (cluster.command.start or .stop):
 * every {name} must be a known placeholder ({addr} {secret_file} {name}
 * {n} {i} {galley} {cpus} {mem} {worker_cmd} {id}); ${VAR} is left to
 * the shell and {{ is a literal brace. GL_ESYNTAX naming `what` if not. */
int	 cfg_template_check(const char *tmpl, const char *what,
	     struct gl_err *err);

/* "local", "command", "ssh", "slurm". Static. */
const char *cfg_launcher_name(enum cfg_launcher k);

#endif

/*
 * cluview.h - the cluster view of the notebook TUI (`C` or `:cluster`): a
 * full-screen table of the kernel's workers (name, host, state, tasks
 * done, CPU seconds and CPU %, idle time) under a summary of the cluster
 * (workers busy of up, tasks queued, the running jobs with done / total /
 * failed). Pure: a cluster.status answer (docs/protocol.md) and now_ms in,
 * a struct view_cluster and a painted struct view_grid out; no curses,
 * sockets or clocks. tui/app-cluster.c polls cluster.status once a second
 * while the view is shown and reads each answer with view_cluster_parse();
 * tui/app.c paints it with view_cluster_render(); `scale +N`
 * (tui/cmd-cluster.c) counts from view_cluster_count().
 */
#ifndef GL_TUI_CLUVIEW_H
#define GL_TUI_CLUVIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <msgpack.h>

struct gl_err;
struct view_grid;

/* One worker as the view shows it. */
struct view_cworker {
	char		*id;		/* owned: the kernel's id, as text */
	char		*name;		/* owned: "local-3"; the id if none */
	char		*host;		/* owned; NULL: unknown */
	char		*state;		/* owned: "idle", "busy", "starting",
					 * "stopping", ...; NULL: unknown */
	int64_t		 tasks_done;	/* -1: unknown */
	int64_t		 held;		/* tasks it holds now; -1: unknown */
	double		 cpu_s;		/* CPU seconds used; < 0: unknown */
	double		 cpu_pct;	/* CPU use now, % of one CPU; < 0:
					 * unknown */
	int64_t		 idle_ms;	/* idle for that long; < 0: busy or
					 * unknown */
};

/* A job (one cluster.map or a cell's submits) with work left or just
 * finished. */
struct view_cjob {
	char		*label;		/* owned: "job 7 [cell]" */
	double		 done, total, failed;
};

struct view_cluster {
	struct view_cworker *w;		/* owned */
	size_t		 nw;
	struct view_cjob *jobs;		/* owned */
	size_t		 njobs;
	int64_t		 busy;		/* workers holding tasks; -1: count
					 * them from the states */
	int64_t		 queued;	/* tasks not yet on a worker; -1 */
	int64_t		 starting;	/* workers asked for, not joined; -1 */
	int64_t		 wanted;	/* the most workers it may start; -1 */
	int64_t		 scale;		/* the workers cluster.scale keeps
					 * (0: none start); -1: on demand */
	char		*launcher;	/* owned; NULL: not said */
	int64_t		 at_ms;		/* when the answer came */
};

void	 view_cluster_init(struct view_cluster *c);
void	 view_cluster_fini(struct view_cluster *c);

/* Reads a cluster.status answer ({workers: [...], jobs: [...], ...}) taken
 * at now_ms into *out (initialised here; the caller finis it, also on
 * failure). Field names the kernel may use for the same thing are all
 * read (tasks_done or done, cpu_s or cpu_ms, idle_ms or idle_s, state or
 * status ...). A worker's CPU % is the kernel's cpu_pct when it sends one,
 * else the CPU seconds it used since prev (the last answer, or NULL)
 * over the time between the two answers. GL_EPROTO if res is not a map
 * with a workers array. */
int	 view_cluster_parse(const msgpack_object *res,
	     const struct view_cluster *prev, int64_t now_ms,
	     struct view_cluster *out, struct gl_err *err);
/* Workers that hold tasks: c->busy, or counted from the states. */
size_t	 view_cluster_busy(const struct view_cluster *c);
/* Workers up plus those starting: what `+` and `-` scale from. */
size_t	 view_cluster_count(const struct view_cluster *c);

/* What the screen shows around the table. Strings are borrowed for the
 * call. */
struct view_cluster_screen {
	const char	*note;		/* shown instead of the table (the
					 * kernel has no cluster service, an
					 * error), or NULL */
	bool		 loading;	/* no answer yet */
	const char	*msg;		/* the message line, or NULL */
	bool		 msg_error;
	const char	*cmdline;	/* the open command line (without
					 * ':'), or NULL */
	size_t		 cmdline_cur;	/* byte offset of its cursor */
	int		 scroll;	/* first worker row shown; clamped by
					 * view_cluster_render() */
	bool		 ascii;		/* no block glyphs in the bars */
};

/* Paints the whole grid: a title row, the summary and job rows, the
 * worker table (scrolled by s->scroll), the message or command line and a
 * last row saying which keys do what. c may be NULL (nothing yet). */
void	 view_cluster_render(const struct view_cluster *c,
	     struct view_cluster_screen *s, struct view_grid *g);

#endif

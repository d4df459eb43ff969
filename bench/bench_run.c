/*
 * bench_run.c - big notebooks, against the targets of issue 10:
 *   `galley run` of notebooks of 1,000, 10,000 and 100,000 one-line cells,
 *     beside `lua5.4` running the same file as a plain script (medians of
 *     three runs each): the time galley adds per cell (target <= 30 us,
 *     the same at every size). A run longer than RUN_CAP_S is cut, and
 *     the figure says how far it got;
 *   `galley run` of a 100 MB notebook (it opens, all its cells run);
 *   opening the same notebook in the terminal UI, `galley open` on a pty
 *     to its first full paint with the kernel running (target <= 1 s), or
 *     why it could not be opened.
 * usage: bench_run GALLEY_BINARY [MAX_CELLS [NOTEBOOK_MB]]
 * MAX_CELLS 0 skips the runs by size; NOTEBOOK_MB 0 the big notebook.
 * BENCH_RUN_NO_BIG_RUN=1 in the environment skips `galley run` of the big
 * notebook (about 25 s), to time the TUI's open alone.
 * Runs in a private runtime directory and stops what it starts.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/mem.h"

#define RUN_CAP_S	60.0	/* a run longer than this is cut */
#define OPEN_CAP_S	120.0	/* waiting for the TUI's first paint */
#define BIG_RUN_CAP_S	300.0	/* galley run of the big notebook */
#define ROWS		50
#define COLS		160

static char	 dir[] = "/tmp/galley-bench-run.XXXXXX";
static const char *galley;

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
die(const char *what)
{
	fprintf(stderr, "bench_run: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* A notebook of n one-line code cells, each printing one line, so the
 * lines read tell how many cells ran. Globals, not locals: a plain Lua
 * chunk holds at most 200 locals. */
static char *
make_run_notebook(size_t n)
{
	char	*path = xasprintf("%s/cells-%zu.nb.lua", dir, n);
	FILE	*f = fopen(path, "w");

	if (f == NULL)
		die(path);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "-- %%%% id=\"c%07zu\"\nx = (x or 0) + 1 print(x)\n\n",
		    i);
	if (fclose(f) != 0)
		die(path);
	return path;
}

/* A notebook of at least mb megabytes: a cell making t, then cells of
 * ten 100-byte lines adding to it. */
static char *
make_big_notebook(size_t mb, size_t *ncells)
{
	char	*path = xasprintf("%s/big.nb.lua", dir);
	FILE	*f = fopen(path, "w");
	size_t	 bytes = 0, want = mb << 20;
	char	 line[128];

	if (f == NULL)
		die(path);
	memset(line, 'x', sizeof line);
	bytes = (size_t)fprintf(f, "-- %%%% id=\"t\"\nt = {}\n\n");
	*ncells = 1;
	while (bytes < want) {
		int	 k = fprintf(f, "-- %%%% id=\"b%07zu\"\n", *ncells);

		bytes += (size_t)k;
		for (int j = 0; j < 10; j++) {
			k = fprintf(f, "t[#t + 1] = \"%.*s\"\n", 84, line);
			bytes += (size_t)k;
		}
		bytes += (size_t)fprintf(f, "\n");
		(*ncells)++;
	}
	if (fclose(f) != 0)
		die(path);
	return path;
}

/*
 * Runs argv with standard output on a pipe (standard error discarded),
 * counting the lines it prints, for at most cap seconds (then it is
 * killed and *cut set). Returns the seconds it took; *status is its exit
 * status (127: could not be started).
 */
static double
run_timed(char *const argv[], double cap, size_t *lines, bool *cut,
    int *status)
{
	int	 p[2], st;
	pid_t	 pid;
	double	 t0 = now_s(), end = t0 + cap;
	char	 buf[65536];

	*lines = 0;
	*cut = false;
	if (pipe(p) != 0)
		die("pipe");
	if ((pid = fork()) < 0)
		die("fork");
	if (pid == 0) {
		int	 nul = open("/dev/null", O_RDWR);

		dup2(nul, 0);
		dup2(p[1], 1);
		dup2(nul, 2);
		close(p[0]);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(p[1]);
	for (;;) {
		double		 left = end - now_s();
		struct pollfd	 pf = { .fd = p[0], .events = POLLIN };
		ssize_t		 n;

		if (left <= 0) {
			*cut = true;
			kill(pid, SIGKILL);
			break;
		}
		if (poll(&pf, 1, (int)(left * 1000) + 1) <= 0)
			continue;
		if ((n = read(p[0], buf, sizeof buf)) <= 0)
			break;
		for (ssize_t i = 0; i < n; i++)
			*lines += buf[i] == '\n';
	}
	close(p[0]);
	waitpid(pid, &st, 0);
	*status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	return now_s() - t0;
}

static double
galley_run(const char *nb, double cap, size_t *lines, bool *cut)
{
	char	*argv[] = { (char *)galley, "run", "-q", (char *)nb, NULL };
	int	 status;
	double	 t = run_timed(argv, cap, lines, cut, &status);

	if (!*cut && status != 0) {
		fprintf(stderr, "bench_run: galley run %s exited %d\n", nb,
		    status);
		exit(1);
	}
	return t;
}

/* lua5.4 on the same file; -1 if there is no lua5.4. */
static double
lua_run(const char *nb, size_t want)
{
	char	*argv[] = { "lua5.4", (char *)nb, NULL };
	size_t	 lines;
	bool	 cut;
	int	 status;
	double	 t = run_timed(argv, RUN_CAP_S, &lines, &cut, &status);

	if (status == 127)
		return -1;
	if (status != 0 || lines != want) {
		fprintf(stderr, "bench_run: lua5.4 %s exited %d after %zu "
		    "lines\n", nb, status, lines);
		exit(1);
	}
	return t;
}

static double
median3(double a, double b, double c)
{
	if (a > b) {
		double t = a;

		a = b;
		b = t;
	}
	return c < a ? a : c > b ? b : c;
}

/* The median of three runs; one that is cut is not run again. */
static double
galley_median(const char *nb, size_t *lines, bool *cut)
{
	double	 t[3];

	for (int i = 0; i < 3; i++) {
		t[i] = galley_run(nb, RUN_CAP_S, lines, cut);
		if (*cut)
			return t[i];
	}
	return median3(t[0], t[1], t[2]);
}

static double
lua_median(const char *nb, size_t want)
{
	double	 t0 = lua_run(nb, want);

	if (t0 < 0)
		return t0;
	return median3(t0, lua_run(nb, want), lua_run(nb, want));
}

static void
bench_run_sizes(size_t max_cells)
{
	static const size_t sizes[] = { 1000, 10000, 100000 };
	char	*one = make_run_notebook(1);
	double	 fixed = 1e9, lua_fixed = 0;
	size_t	 lines;
	bool	 cut;

	/* The first run starts the kernel; then a one-cell run is the
	 * fixed cost of every run (connect, a fresh runtime, close). */
	galley_run(one, RUN_CAP_S, &lines, &cut);
	for (int i = 0; i < 5; i++) {
		double t = galley_run(one, RUN_CAP_S, &lines, &cut);

		if (t < fixed)
			fixed = t;
	}
	lua_fixed = lua_run(one, 1);
	printf("run: one cell, the kernel running: galley run %.1f ms, "
	    "lua5.4 %.1f ms\n", fixed * 1e3, lua_fixed * 1e3);
	free(one);

	for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++) {
		size_t	 n = sizes[k];
		char	*nb;
		double	 tg, tl;

		if (n > max_cells)
			break;
		nb = make_run_notebook(n);
		tl = lua_median(nb, n);
		tg = galley_median(nb, &lines, &cut);
		if (cut) {
			printf("run: %zu cells: cut after %.0f s, %zu cells "
			    "ran (%.0f us per cell so far; lua5.4 runs them "
			    "all in %.3f s) (target <= 30 us per cell)\n", n,
			    RUN_CAP_S, lines, lines ? (tg - fixed) / lines *
			    1e6 : 0.0, tl);
		} else {
			/* What a cell costs beyond what the script's own
			 * line costs, net of the fixed cost of a run. */
			double per = ((tg - fixed) - (tl - lua_fixed)) /
			    (double)(n - 1) * 1e6;

			printf("run: %zu cells: galley run %.3f s, lua5.4 "
			    "%.3f s: %.1f us per cell over lua (target <= 30 "
			    "us, the same at every size)\n", n, tg, tl, per);
		}
		unlink(nb);
		free(nb);
	}
}

/* ------------------------------------------------------------------ */
/* `galley open` of a big notebook on a pty */

struct child {
	pid_t	 pid;
	int	 fd;
	char	 tail[65536];	/* the last bytes it wrote */
	size_t	 ntail;
	bool	 painted;
};

static bool
seen(const struct child *c, const char *what)
{
	size_t	 k = strlen(what);

	for (size_t i = 0; i + k <= c->ntail; i++)
		if (memcmp(c->tail + i, what, k) == 0)
			return true;
	return false;
}

/* Reads what the child writes until it shows what, exits, or the
 * deadline; true if what was seen. */
static bool
child_wait_for(struct child *c, const char *what, double deadline)
{
	char	 buf[65536];

	while (now_s() < deadline) {
		struct pollfd pf = { .fd = c->fd, .events = POLLIN };
		ssize_t	 n;

		if (poll(&pf, 1, 100) <= 0)
			continue;
		if ((n = read(c->fd, buf, sizeof buf)) <= 0)
			return false;	/* it exited */
		if (c->ntail + (size_t)n > sizeof c->tail) {
			size_t	 drop = c->ntail + (size_t)n - sizeof c->tail;

			if (drop > c->ntail)
				drop = c->ntail;
			memmove(c->tail, c->tail + drop, c->ntail - drop);
			c->ntail -= drop;
		}
		if ((size_t)n > sizeof c->tail)
			n = sizeof c->tail;
		memcpy(c->tail + c->ntail, buf, (size_t)n);
		c->ntail += (size_t)n;
		if (seen(c, what))
			return true;
	}
	return false;
}

/* The "galley: ..." line galley printed last, or NULL. */
static char *
child_error(const struct child *c)
{
	for (size_t i = c->ntail; i-- > 0;) {
		if (i + 8 <= c->ntail && memcmp(c->tail + i, "galley: ", 8) ==
		    0) {
			size_t	 e = i;

			while (e < c->ntail && c->tail[e] != '\r' &&
			    c->tail[e] != '\n')
				e++;
			return xstrndup(c->tail + i, e - i);
		}
	}
	return NULL;
}

static void
bench_open_big(size_t mb)
{
	struct winsize	 ws = { .ws_row = ROWS, .ws_col = COLS };
	struct child	*c = xcalloc(1, sizeof *c);
	size_t		 ncells;
	char		*nb = make_big_notebook(mb, &ncells);
	struct stat	 st;
	double		 t0;
	int		 status;

	stat(nb, &st);
	if (getenv("BENCH_RUN_NO_BIG_RUN") == NULL) {
		size_t	 lines;
		bool	 cut;
		double	 t = galley_run(nb, BIG_RUN_CAP_S, &lines, &cut);

		if (cut)
			printf("run: a %.0f MB notebook (%zu cells): cut after "
			    "%.0f s\n", st.st_size / 1048576.0, ncells,
			    BIG_RUN_CAP_S);
		else
			printf("run: a %.0f MB notebook (%zu cells): galley "
			    "run %.3f s, %.1f us per cell\n",
			    st.st_size / 1048576.0, ncells, t,
			    t / (double)ncells * 1e6);
	}
	setenv("TERM", "xterm-256color", 1);
	c->pid = forkpty(&c->fd, NULL, NULL, &ws);
	if (c->pid < 0)
		die("forkpty");
	if (c->pid == 0) {
		execl(galley, "galley", "open", nb, (char *)NULL);
		_exit(127);
	}
	t0 = now_s();
	if (child_wait_for(c, "NORMAL", t0 + OPEN_CAP_S)) {
		printf("tui: first paint of a %.0f MB notebook (%zu cells), "
		    "`galley open` end to end, the kernel running: %.3f s "
		    "(target <= 1 s)\n", st.st_size / 1048576.0, ncells,
		    now_s() - t0);
		(void)!write(c->fd, ":q!\r", 4);
		child_wait_for(c, "\001never\001", now_s() + 10);
	} else if (now_s() - t0 >= OPEN_CAP_S) {
		printf("tui: a %.0f MB notebook (%zu cells) did not paint "
		    "within %.0f s (target <= 1 s)\n", st.st_size / 1048576.0,
		    ncells, OPEN_CAP_S);
	} else {
		char	*msg = child_error(c);

		printf("tui: a %.0f MB notebook (%zu cells) cannot be opened "
		    "(target <= 1 s to first paint): %s\n",
		    st.st_size / 1048576.0, ncells,
		    msg ? msg : "galley exited before painting");
		free(msg);
	}
	if (waitpid(c->pid, &status, WNOHANG) == 0) {
		kill(c->pid, SIGKILL);
		waitpid(c->pid, &status, 0);
	}
	close(c->fd);
	unlink(nb);
	free(nb);
	free(c);
}

/* Stops the kernel of our runtime directory, by force if it does not go
 * (a kernel still busy with a cut run, say). */
static void
stop_kernel(const char *rundir)
{
	char	*pidpath = xasprintf("%s/kernel.pid", rundir);
	char	 text[32] = "";
	pid_t	 pid, kpid = 0;
	FILE	*f;
	int	 status;

	if ((f = fopen(pidpath, "r")) != NULL) {
		if (fgets(text, sizeof text, f) != NULL)
			kpid = (pid_t)atoi(text);
		fclose(f);
	}
	free(pidpath);
	if ((pid = fork()) == 0) {
		int	 nul = open("/dev/null", O_RDWR);

		dup2(nul, 1);
		dup2(nul, 2);
		execl(galley, "galley", "kernel", "stop", (char *)NULL);
		_exit(127);
	}
	waitpid(pid, &status, 0);
	if (kpid > 0 && kill(kpid, 0) == 0)
		kill(kpid, SIGKILL);
}

int
main(int argc, char **argv)
{
	size_t	 max_cells = argc > 2 ? strtoul(argv[2], NULL, 10) : 100000;
	size_t	 mb = argc > 3 ? strtoul(argv[3], NULL, 10) : 100;
	char	*rundir, *cmd;

	if (argc < 2) {
		fprintf(stderr, "usage: bench_run GALLEY_BINARY [MAX_CELLS "
		    "[NOTEBOOK_MB]]\n");
		return 2;
	}
	galley = argv[1];
	if (mkdtemp(dir) == NULL)
		die("mkdtemp");
	rundir = xasprintf("%s/run", dir);
	mkdir(rundir, 0700);
	setenv("GALLEY_RUNTIME_DIR", rundir, 1);
	unsetenv("GALLEY_KERNEL");
	setvbuf(stdout, NULL, _IOLBF, 0);

	bench_run_sizes(max_cells);
	if (mb > 0)
		bench_open_big(mb);

	stop_kernel(rundir);
	cmd = xasprintf("rm -rf '%s'", dir);
	(void)!system(cmd);
	free(cmd);
	free(rundir);
	return 0;
}

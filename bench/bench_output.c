/*
 * bench_output.c - the output path: what one cell prints, from the
 *   runtime through the kernel to `galley run`'s standard output.
 *   a cell printing 1 GB in 1 KB lines (print of a 1023-byte string),
 *     `galley run -q` to /dev/null: MB/s (target >= 500 MB/s), beside
 *     `yes | head -c 1G > /dev/null` on the same machine at the same time
 *   the same for 48 MB (the figure earlier versions printed: a client
 *     that fell 64 MiB behind was dropped then)
 *   a cell with 100,000 small prints (print(i)): ms, and us per print
 * Each figure is the median of ROUNDS runs (default 3) with a kernel
 * already running, so it measures the outputs, not the start. Beside
 * the time, the CPU time the kernel spent on the run (from /proc): the
 * wall time of a path through three processes on a shared machine moves
 * with the load, the kernel's own work much less.
 * usage: bench_output GALLEY_BINARY [ROUNDS]
 * Runs in a private runtime directory and stops what it starts.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/mem.h"
#include "core/util.h"

#define BIG_LINES	49152		/* 1 KB lines: 48 MB */
#define GB_LINES	1048576		/* 1 KB lines: 1 GB */
#define SMALL_PRINTS	100000
#define MAX_ROUNDS	99

static char	 dir[] = "/tmp/galley-bench-output.XXXXXX";
static const char *galley;

static void	 cleanup(bool log);

static void
die(const char *what)
{
	fprintf(stderr, "bench_output: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* The CPU seconds (user + system) the kernel has used so far, or 0. */
static double
kernel_cpu_s(void)
{
	char	*path = xasprintf("%s/kernel.pid", dir), buf[1024], *p;
	FILE	*f = fopen(path, "r");
	long	 pid = 0;
	unsigned long ut = 0, st = 0;

	free(path);
	if (f == NULL)
		return 0;
	if (fscanf(f, "%ld", &pid) != 1)
		pid = 0;
	fclose(f);
	snprintf(buf, sizeof buf, "/proc/%ld/stat", pid);
	if (pid <= 0 || (f = fopen(buf, "r")) == NULL)
		return 0;
	p = fgets(buf, sizeof buf, f);
	fclose(f);
	/* Fields 14 and 15 (utime, stime), after the ")" that ends the
	 * command name. */
	if (p == NULL || (p = strrchr(buf, ')')) == NULL ||
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
	    &ut, &st) != 2)
		return 0;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* Seconds `yes | head -c 1G > /dev/null` takes. */
static double
run_yes(void)
{
	double	 t0 = gl_now_us() / 1e6;

	if (system("yes 2>/dev/null | head -c 1G > /dev/null") != 0)
		fprintf(stderr, "bench_output: yes | head failed\n");
	return gl_now_us() / 1e6 - t0;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static char *
write_notebook(const char *name, const char *text)
{
	char	*path = xasprintf("%s/%s", dir, name);
	FILE	*f = fopen(path, "w");

	if (f == NULL)
		die(path);
	fputs(text, f);
	if (fclose(f) != 0)
		die(path);
	return path;
}

/* Runs `galley a1 a2 [a3]` with its stdout and stderr on /dev/null;
 * returns the seconds it took. Exits on failure. */
static double
run_galley(const char *a1, const char *a2, const char *a3)
{
	pid_t	 pid;
	int	 st;
	double	 t0 = gl_now_us() / 1e6;

	if ((pid = fork()) < 0)
		die("fork");
	if (pid == 0) {
		int	 nul = open("/dev/null", O_RDWR);

		dup2(nul, 0);
		dup2(nul, 1);
		dup2(nul, 2);
		execl(galley, galley, a1, a2, a3, (char *)NULL);
		_exit(127);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			die("waitpid");
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fprintf(stderr, "bench_output: galley %s %s %s failed; the "
		    "kernel's log ends:\n", a1, a2, a3 != NULL ? a3 : "");
		cleanup(true);
		exit(1);
	}
	return gl_now_us() / 1e6 - t0;
}

/* Stops the kernel (if one runs) and removes the directory; with log,
 * shows the end of the kernel's log first. */
static void
cleanup(bool log)
{
	char	 cmd[256];
	pid_t	 pid;
	int	 st;

	if (log) {
		snprintf(cmd, sizeof cmd, "tail -n 5 %s/kernel.log >&2", dir);
		if (system(cmd) != 0)
			fprintf(stderr, "(no log)\n");
	}
	if ((pid = fork()) == 0) {
		int	 nul = open("/dev/null", O_RDWR);

		dup2(nul, 1);
		dup2(nul, 2);
		execl(galley, galley, "kernel", "stop", (char *)NULL);
		_exit(127);
	}
	if (pid > 0)
		while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
			;
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "bench_output: could not remove %s\n", dir);
}

int
main(int argc, char **argv)
{
	int	 rounds = argc > 2 ? atoi(argv[2]) : 3;
	double	 big[MAX_ROUNDS], small[MAX_ROUNDS], gb[MAX_ROUNDS];
	double	 yes[MAX_ROUNDS];
	double	 bigcpu[MAX_ROUNDS], smallcpu[MAX_ROUNDS], gbcpu[MAX_ROUNDS];
	char	*nb_big, *nb_small, *nb_one, *nb_gb;

	if (argc < 2) {
		fprintf(stderr, "usage: bench_output GALLEY_BINARY [ROUNDS]\n");
		return 2;
	}
	galley = argv[1];
	if (rounds < 1 || rounds > MAX_ROUNDS)
		rounds = 3;
	if (mkdtemp(dir) == NULL)
		die("mkdtemp");
	setenv("GALLEY_RUNTIME_DIR", dir, 1);
	signal(SIGPIPE, SIG_IGN);
	{
		char *t = xasprintf("-- %%%% id=\"big\"\n"
		    "local s = string.rep(\"x\", 1023)\n"
		    "for i = 1, %d do print(s) end\n", BIG_LINES);

		nb_big = write_notebook("big.nb.lua", t);
		free(t);
		t = xasprintf("-- %%%% id=\"gb\"\n"
		    "local s = string.rep(\"x\", 1023)\n"
		    "for i = 1, %d do print(s) end\n", GB_LINES);
		nb_gb = write_notebook("gb.nb.lua", t);
		free(t);
		t = xasprintf("-- %%%% id=\"small\"\n"
		    "for i = 1, %d do print(i) end\n", SMALL_PRINTS);
		nb_small = write_notebook("small.nb.lua", t);
		free(t);
	}
	nb_one = write_notebook("one.nb.lua", "-- %% id=\"a\"\nprint(1)\n");
	/* The first run starts the kernel. */
	run_galley("run", "-q", nb_one);
	for (int i = 0; i < rounds; i++) {
		double	 c0 = kernel_cpu_s(), c1, c2, c3;

		gb[i] = run_galley("run", "-q", nb_gb);
		c1 = kernel_cpu_s();
		yes[i] = run_yes();
		big[i] = run_galley("run", "-q", nb_big);
		c2 = kernel_cpu_s();
		small[i] = run_galley("run", "-q", nb_small);
		c3 = kernel_cpu_s();
		gbcpu[i] = c1 - c0;
		bigcpu[i] = c2 - c1;
		smallcpu[i] = c3 - c2;
	}
	qsort(gb, (size_t)rounds, sizeof *gb, cmp_double);
	qsort(yes, (size_t)rounds, sizeof *yes, cmp_double);
	qsort(gbcpu, (size_t)rounds, sizeof *gbcpu, cmp_double);
	qsort(big, (size_t)rounds, sizeof *big, cmp_double);
	qsort(small, (size_t)rounds, sizeof *small, cmp_double);
	qsort(bigcpu, (size_t)rounds, sizeof *bigcpu, cmp_double);
	qsort(smallcpu, (size_t)rounds, sizeof *smallcpu, cmp_double);
	printf("output, 1 GB in 1 KB lines:   %7.1f MB/s  (%.2f s, kernel "
	    "CPU %.0f ms; median of %d) (target >= 500 MB/s)\n",
	    GB_LINES / 1024.0 / gb[rounds / 2], gb[rounds / 2],
	    gbcpu[rounds / 2] * 1000, rounds);
	printf("  yes | head -c 1G > /dev/null: %7.1f MB/s  (%.2f s; median of "
	    "%d, taken between the runs above)\n", 1024.0 / yes[rounds / 2],
	    yes[rounds / 2], rounds);
	printf("output, 48 MB in 1 KB lines:  %7.1f MB/s  (%.2f s, kernel "
	    "CPU %.0f ms; median of %d)\n", BIG_LINES / 1024.0 /
	    big[rounds / 2], big[rounds / 2], bigcpu[rounds / 2] * 1000,
	    rounds);
	printf("output, 100,000 small prints: %7.0f ms    (%.1f us a print, "
	    "kernel CPU %.0f ms; median of %d)\n", small[rounds / 2] * 1000,
	    small[rounds / 2] * 1e6 / SMALL_PRINTS, smallcpu[rounds / 2] *
	    1000, rounds);
	cleanup(false);
	free(nb_big);
	free(nb_gb);
	free(nb_small);
	free(nb_one);
	return 0;
}

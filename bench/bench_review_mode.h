/*
 * bench_review_mode.h - opening the TUI's review mode on bench_review's
 * change (two 5,000-cell notebooks differing in 100 cells, committed on
 * main and on a branch of a repository made here with review/repo.h),
 * measured as bench/bench_tui.c measures a first paint:
 *   - review.open in the kernel: the request to its answer (git reads,
 *     the cell diff, the threads, the answer packed and sent);
 *   - the client's share: the answer read into the model, laid out,
 *     painted and drawn with curses on a pty;
 *   - `galley review` on a pty with the kernel running, from exec to the
 *     first screen showing the review (target <= 100 ms).
 * Included by bench_review.c only (static functions); it runs its own
 * kernel in a private runtime directory and stops it.
 */
#ifndef GL_BENCH_REVIEW_MODE_H
#define GL_BENCH_REVIEW_MODE_H

#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "client/client.h"
#include "core/err.h"
#include "core/mem.h"
#include "core/rpc.h"
#include "review/repo.h"
#include "tui/draw.h"
#include "tui/review.h"
#include "tui/term.h"
#include "tui/view.h"

#define RM_ROWS		50
#define RM_COLS		160
#define RM_RUNS		9
#define RM_TARGET_MS	100.0

struct rm_args {
	const char	*dir;
};

static void
rm_pack_open(msgpack_packer *pk, void *ctx)
{
	const struct rm_args *a = ctx;

	msgpack_pack_map(pk, 1);
	rpc_pack_kv_str(pk, "path", a->dir);
}

/* Reads the pty until what shows up, or ms pass; false if it did not. */
static bool
rm_wait_for(int fd, const char *what, int ms)
{
	char	*seen = NULL;
	size_t	 n = 0;
	double	 end = now_ms() + ms;
	bool	 found = false;

	while (!found && now_ms() < end) {
		struct pollfd	 p = { .fd = fd, .events = POLLIN };
		char		 buf[65536];
		ssize_t		 k;

		if (poll(&p, 1, 5) <= 0)
			continue;
		if ((k = read(fd, buf, sizeof buf)) <= 0)
			break;
		seen = xrealloc(seen, n + (size_t)k + 1);
		memcpy(seen + n, buf, (size_t)k);
		n += (size_t)k;
		seen[n] = '\0';
		for (size_t i = 0; !found && i + strlen(what) <= n; i++)
			found = memcmp(seen + i, what, strlen(what)) == 0;
	}
	free(seen);
	return found;
}

/* Drains the pty for ms. */
static void
rm_drain(int fd, int ms)
{
	(void)rm_wait_for(fd, "\001never\001", ms);
}

/* The repository: the notebooks on main and on feature, HEAD on
 * feature (`galley review` reviews the branch against main). */
static bool
rm_repo(const char *path, const char *ta, size_t la, const char *tb,
    size_t lb)
{
	struct repo	*r = NULL;
	struct gl_err	 err;
	char		*head;
	FILE		*f;
	bool		 ok;

	if (repo_init(path, false, &r, &err) != 0) {
		fprintf(stderr, "bench_review: %s\n", err.msg);
		return false;
	}
	repo_config_set(r, "user.name", "Bench", NULL);
	repo_config_set(r, "user.email", "bench@example.org", NULL);
	ok = repo_commit_blob(r, "main", "bench.nb.lua", ta, la, "base", NULL,
	    &err) == 0 && repo_branch_create(r, "feature", "main", &err) == 0 &&
	    repo_commit_blob(r, "feature", "bench.nb.lua", tb, lb,
	    "100 cells", NULL, &err) == 0;
	if (!ok)
		fprintf(stderr, "bench_review: %s\n", err.msg);
	/* No checkout in repo.h: HEAD is a file naming the branch. */
	head = xasprintf("%sHEAD", repo_gitdir(r));
	if (ok && (f = fopen(head, "w")) != NULL) {
		fputs("ref: refs/heads/feature\n", f);
		fclose(f);
	}
	free(head);
	repo_free(r);
	return ok;
}

/* CPU time (user + system) of the kernel serving run, in ms; -1 if
 * unknown. */
static double
rm_kernel_cpu(const char *run)
{
	char	*path = xasprintf("%s/kernel.pid", run), buf[1024], *p;
	long	 pid = -1;
	unsigned long long ut = 0, st = 0;
	FILE	*f;

	if ((f = fopen(path, "r")) != NULL) {
		if (fscanf(f, "%ld", &pid) != 1)
			pid = -1;
		fclose(f);
	}
	free(path);
	if (pid <= 0)
		return -1;
	path = xasprintf("/proc/%ld/stat", pid);
	f = fopen(path, "r");
	free(path);
	if (f == NULL)
		return -1;
	p = fgets(buf, sizeof buf, f);
	fclose(f);
	/* After the command's ")": fields 14 and 15 are utime, stime. */
	if (p == NULL || (p = strrchr(buf, ')')) == NULL ||
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu "
	    "%llu", &ut, &st) != 2)
		return -1;
	return (double)(ut + st) * 1000.0 / (double)sysconf(_SC_CLK_TCK);
}

static void
rm_kernel_stop(const char *galley)
{
	pid_t	 pid = fork();
	int	 st;

	if (pid == 0) {
		int	 dn = open("/dev/null", O_RDWR);

		dup2(dn, 1);
		dup2(dn, 2);
		execl(galley, "galley", "kernel", "stop", (char *)NULL);
		_exit(127);
	}
	waitpid(pid, &st, 0);
}

/* The client's share of a first paint: answer -> model -> layout ->
 * grid -> curses, on a pty. */
static double
rm_client_paint(const msgpack_object *answer)
{
	struct winsize	 ws = { .ws_row = RM_ROWS, .ws_col = RM_COLS };
	struct term_opts to;
	struct rview	 rv;
	struct view_grid g;
	struct draw	*d;
	struct gl_err	 err = { 0 };
	int		 master, slave;
	FILE		*out;
	double		 t0, t;

	if (openpty(&master, &slave, NULL, NULL, &ws) != 0)
		return -1;
	out = fdopen(slave, "r+");
	memset(&to, 0, sizeof to);
	to.out = out;
	to.in = out;
	to.no_signals = true;
	if (term_init(&to, &err) != 0) {
		fclose(out);
		close(master);
		return -1;
	}
	t0 = now_ms();
	if (rview_parse(answer, &rv, &err) != 0) {
		fprintf(stderr, "bench_review: %s\n", err.msg);
		t = -1;
	} else {
		struct rview_screen s = { .mode = "REVIEW" };

		view_grid_init(&g, RM_ROWS, RM_COLS);
		d = draw_new();
		rview_render(&rv, &s, &g);
		draw_grid(d, &g);
		t = now_ms() - t0;
		draw_free(d);
		view_grid_fini(&g);
	}
	rview_fini(&rv);
	term_fini();
	fclose(out);
	rm_drain(master, 20);
	close(master);
	return t;
}

/* Prints the figures; false if the target was missed (or not
 * measured for a failure). */
static bool
bench_review_mode(const char *galley, const char *ta, size_t la,
    const char *tb, size_t lb)
{
	char		 dir[] = "/tmp/galley-bench-rm.XXXXXX";
	char		*repo, *run, *sock, *exe;
	struct rm_args	 args;
	struct cl_opts	 o;
	struct cl_conn	*conn = NULL;
	struct rpc_msg	 resp;
	struct gl_err	 err = { 0 };
	struct winsize	 ws = { .ws_row = RM_ROWS, .ws_col = RM_COLS };
	double		 t_open[RM_RUNS], t_e2e[RM_RUNS], client = -1;
	double		 cpu0 = -1, cpu1 = -1;
	int		 ne2e = 0;
	bool		 met = false;

	if (galley == NULL) {
		printf("review mode open:        not measured (give the galley "
		    "binary)\n");
		return true;
	}
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return false;
	}
	/* `galley review` runs in the repository: an absolute path. */
	if ((exe = realpath(galley, NULL)) == NULL)
		exe = xstrdup(galley);
	repo = xasprintf("%s/repo", dir);
	run = xasprintf("%s/run", dir);
	sock = xasprintf("%s/kernel.sock", run);
	mkdir(run, 0700);
	setenv("GALLEY_RUNTIME_DIR", run, 1);
	setenv("HOME", dir, 1);
	setenv("GIT_CONFIG_NOSYSTEM", "1", 1);
	unsetenv("GALLEY_KERNEL");
	if (!rm_repo(repo, ta, la, tb, lb))
		goto out;
	if (cl_start_kernel(galley, 10000, &err) != 0) {
		fprintf(stderr, "bench_review: %s\n", err.msg);
		goto out;
	}
	cl_opts_init(&o);
	o.kernel = sock;
	o.autostart = false;
	if (cl_connect(&o, &conn, &err) != 0) {
		fprintf(stderr, "bench_review: %s\n", err.msg);
		goto stop;
	}
	args.dir = repo;
	cpu0 = rm_kernel_cpu(run);
	for (int i = 0; i < RM_RUNS; i++) {
		double	 t0 = now_ms();

		if (cl_call(conn, "review.open", rm_pack_open, &args, &resp,
		    30000, &err) != 0) {
			fprintf(stderr, "bench_review: review.open: %s\n",
			    err.msg);
			goto stop;
		}
		t_open[i] = now_ms() - t0;
		if (i == RM_RUNS - 1)
			client = rm_client_paint(resp.result);
		rpc_msg_fini(&resp);
	}
	cpu1 = rm_kernel_cpu(run);
	setenv("TERM", "xterm-256color", 1);
	for (int i = 0; i < RM_RUNS; i++) {
		int	 fd, st;
		pid_t	 pid = forkpty(&fd, NULL, NULL, &ws);
		double	 t0;

		if (pid < 0)
			break;
		if (pid == 0) {
			if (chdir(repo) != 0)
				_exit(126);
			execl(exe, "galley", "review", (char *)NULL);
			_exit(127);
		}
		t0 = now_ms();
		/* The status row's mode: the review is on screen. */
		if (rm_wait_for(fd, "REVIEW", 30000))
			t_e2e[ne2e++] = now_ms() - t0;
		rm_drain(fd, 50);
		(void)!write(fd, "q", 1);
		rm_drain(fd, 200);
		if (waitpid(pid, &st, WNOHANG) == 0) {
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
		}
		close(fd);
	}
	printf("review mode: review.open in the kernel (git reads, cell "
	    "diff, answer): %.2f ms median of %d", median(t_open, RM_RUNS),
	    RM_RUNS);
	if (cpu0 >= 0 && cpu1 >= 0)
		printf(", the kernel's CPU %.1f ms each", (cpu1 - cpu0) /
		    RM_RUNS);
	printf("\n");
	printf("review mode: first paint, client side (answer -> model -> "
	    "layout -> curses): %.2f ms\n", client);
	if (ne2e > 0) {
		double	 m = median(t_e2e, (size_t)ne2e);

		printf("review mode open:        %8.2f ms median of %d, `galley "
		    "review` on a pty to the first screen (kernel running; "
		    "target <= %.0f ms)  %s\n", m, ne2e, RM_TARGET_MS,
		    m <= RM_TARGET_MS ? "ok" : "MISSED");
		met = m <= RM_TARGET_MS;
	} else
		printf("review mode open:        `galley review` did not "
		    "paint\n");
stop:
	cl_close(conn);
	rm_kernel_stop(galley);
out:
	{
		char	*cmd = xasprintf("rm -rf '%s'", dir);

		(void)!system(cmd);
		free(cmd);
	}
	free(repo);
	free(run);
	free(sock);
	free(exe);
	return met;
}

#endif

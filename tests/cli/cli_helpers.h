/*
 * cli_helpers.h - run the real galley binary from a test: capture stdout,
 * stderr and the exit status with a bounded wait, in a private runtime
 * directory whose kernel is stopped at the end.
 */
#ifndef GL_TEST_CLI_HELPERS_H
#define GL_TEST_CLI_HELPERS_H

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct cmd_result {
	char	*out;
	char	*err;
	int	 status;	/* exit code, or 128+signal */
};

static inline const char *
galley_bin(void)
{
	const char *b = getenv("GALLEY_BIN");

	if (b == NULL) {
		fprintf(stderr, "GALLEY_BIN is not set (run through ctest)\n");
		exit(1);
	}
	return b;
}

static inline long long
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static inline void
cmd_result_free(struct cmd_result *r)
{
	free(r->out);
	free(r->err);
	memset(r, 0, sizeof *r);
}

static inline void
buf_append(char **s, size_t *n, const char *p, size_t k)
{
	*s = realloc(*s, *n + k + 1);
	memcpy(*s + *n, p, k);
	*n += k;
	(*s)[*n] = '\0';
}

/*
 * Starts galley with args (NULL-terminated) in cwd; when until is not NULL,
 * sends signal sig as soon as stdout contains until. Waits at most
 * timeout_ms, then kills it (status 128+9).
 */
static inline int
galley_run_full(struct cmd_result *r, const char *cwd, const char *until,
    int sig, int timeout_ms, const char *const *args)
{
	int		 po[2], pe[2], status, sent = 0;
	size_t		 no = 0, ne = 0;
	long long	 deadline = mono_ms() + timeout_ms;
	pid_t		 pid;
	const char	*argv[32];
	int		 n = 0;

	memset(r, 0, sizeof *r);
	argv[n++] = galley_bin();
	for (; args[n - 1] != NULL && n < 31; n++)
		argv[n] = args[n - 1];
	argv[n] = NULL;
	if (pipe(po) != 0 || pipe(pe) != 0)
		return -1;
	if ((pid = fork()) == 0) {
		int nul = open("/dev/null", O_RDONLY);

		dup2(nul, 0);
		dup2(po[1], 1);
		dup2(pe[1], 2);
		close(po[0]);
		close(pe[0]);
		if (cwd != NULL && chdir(cwd) != 0)
			_exit(126);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(po[1]);
	close(pe[1]);
	r->out = calloc(1, 1);
	r->err = calloc(1, 1);
	for (int open_fds = 2; open_fds > 0;) {
		struct pollfd	 p[2] = { { po[0], POLLIN, 0 }, { pe[0], POLLIN, 0 } };
		long long	 left = deadline - mono_ms();
		char		 buf[4096];

		if (left <= 0) {
			kill(pid, SIGKILL);
			break;
		}
		if (poll(p, 2, (int)left) <= 0)
			continue;
		for (int i = 0; i < 2; i++) {
			ssize_t k;

			if (!(p[i].revents & (POLLIN | POLLHUP)) || p[i].fd < 0)
				continue;
			k = read(p[i].fd, buf, sizeof buf);
			if (k <= 0) {
				close(i == 0 ? po[0] : pe[0]);
				if (i == 0)
					po[0] = -1;
				else
					pe[0] = -1;
				open_fds--;
				continue;
			}
			if (i == 0)
				buf_append(&r->out, &no, buf, (size_t)k);
			else
				buf_append(&r->err, &ne, buf, (size_t)k);
		}
		if (until != NULL && !sent && strstr(r->out, until) != NULL) {
			kill(pid, sig);
			sent = 1;
		}
	}
	if (po[0] >= 0)
		close(po[0]);
	if (pe[0] >= 0)
		close(pe[0]);
	waitpid(pid, &status, 0);
	r->status = WIFEXITED(status) ? WEXITSTATUS(status) :
	    128 + WTERMSIG(status);
	return 0;
}

static inline int
galley_run(struct cmd_result *r, const char *cwd, ...)
{
	const char	*args[32];
	int		 n = 0;
	va_list		 ap;

	va_start(ap, cwd);
	while (n < 31 && (args[n] = va_arg(ap, const char *)) != NULL)
		n++;
	va_end(ap);
	args[n] = NULL;
	return galley_run_full(r, cwd, NULL, 0, 60000, args);
}

static inline void
write_file(const char *dir, const char *name, const char *text)
{
	char	 path[512];
	FILE	*f;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
}

static inline char *
read_file(const char *dir, const char *name)
{
	char	 path[512];
	FILE	*f;
	char	*s = NULL;
	size_t	 n = 0;
	char	 buf[4096];
	size_t	 k;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	if ((f = fopen(path, "r")) == NULL)
		return NULL;
	s = calloc(1, 1);
	while ((k = fread(buf, 1, sizeof buf, f)) > 0)
		buf_append(&s, &n, buf, k);
	fclose(f);
	return s;
}

/*
 * Starts galley with args (NULL-terminated) in cwd, stdin from /dev/null,
 * stdout and stderr on out and err (-1: /dev/null). Returns its pid.
 */
static inline pid_t
galley_spawn(const char *cwd, int out, int err, const char *const *args)
{
	const char	*argv[32];
	int		 n = 0;
	pid_t		 pid;

	argv[n++] = galley_bin();
	for (; args[n - 1] != NULL && n < 31; n++)
		argv[n] = args[n - 1];
	argv[n] = NULL;
	if ((pid = fork()) == 0) {
		int nul = open("/dev/null", O_RDWR);

		dup2(nul, 0);
		dup2(out >= 0 ? out : nul, 1);
		dup2(err >= 0 ? err : nul, 2);
		if (cwd != NULL && chdir(cwd) != 0)
			_exit(126);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	return pid;
}

/* Waits at most timeout_ms for our child pid: its exit code or
 * 128+signal, or -1 if it was still running (it is then killed). */
static inline int
wait_exit(pid_t pid, int timeout_ms)
{
	long long	 deadline = mono_ms() + timeout_ms;
	int		 status;

	for (;;) {
		pid_t got = waitpid(pid, &status, WNOHANG);

		if (got == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) :
			    128 + WTERMSIG(status);
		if (got < 0 && errno != EINTR)
			return -1;
		if (mono_ms() >= deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			return -1;
		}
		poll(NULL, 0, 10);	/* bounded poll of the child */
	}
}

/* True while pid runs: false once it exited, also as a zombie nobody
 * reaps (a kernel started in the background is init's child, and not
 * every container's init reaps; one of ours is reaped here). */
static inline int
proc_running(pid_t pid)
{
	char	 path[64], text[256], *rp;
	FILE	*f;
	size_t	 n;

	if (waitpid(pid, NULL, WNOHANG) == pid || kill(pid, 0) != 0)
		return 0;
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	n = fread(text, 1, sizeof text - 1, f);
	fclose(f);
	text[n] = '\0';
	if ((rp = strrchr(text, ')')) == NULL || rp[1] == '\0')
		return 1;
	return rp[2] != 'Z' && rp[2] != 'X';
}

/* Stops the kernel of the current GALLEY_RUNTIME_DIR, and makes sure it is
 * gone (by its pid file) so no process is left behind. */
static inline void
stop_kernel(void)
{
	struct cmd_result	 r;
	const char		*rd = getenv("GALLEY_RUNTIME_DIR");
	char			*pidtext;
	long long		 deadline = mono_ms() + 10000;
	pid_t			 pid;

	if (rd == NULL)
		return;
	pidtext = read_file(rd, "kernel.pid");
	galley_run(&r, NULL, "kernel", "stop", NULL);
	cmd_result_free(&r);
	if (pidtext == NULL)
		return;
	pid = (pid_t)atoi(pidtext);
	free(pidtext);
	if (pid <= 0)
		return;
	while (proc_running(pid) && mono_ms() < deadline)
		poll(NULL, 0, 10);	/* bounded poll of a process we do not own */
	if (proc_running(pid))
		kill(pid, SIGKILL);
}

#endif

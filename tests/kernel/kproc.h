/*
 * kproc.h - the kernel under test, as a process: kt_* forks a kernel
 * (srv_run()) in a temporary directory (runtime dir <root>/run, project
 * dir <root>/proj), stops it with SIGTERM and reaps it; its exit status
 * says whether it shut down cleanly (LeakSanitizer makes a leaking kernel
 * exit non-zero). Also the tests' clock, the files they write and read,
 * and the reaping of every process a test left. Nothing here speaks the
 * protocol: kclient.h does, over client/. Static inline so each test
 * program can include it (CMake compiles only tests/<mod>/test_*.c).
 */
#ifndef GL_TEST_KPROC_H
#define GL_TEST_KPROC_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/auth.h"
#include "core/err.h"
#include "core/mem.h"
#include "core/util.h"
#include "kernel/server.h"

/* How long any wait of a protocol test may last before it fails. */
#define KC_WAIT_MS	20000

static inline uint64_t
kc_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

struct kt {
	char		 root[128];	/* /tmp/galley-kt-XXXXXX */
	char		 run[160];	/* root/run: runtime directory */
	char		 proj[160];	/* root/proj: a project directory */
	char		 sock[200];
	char		 token[AUTH_TOKEN_LEN + 1];
	pid_t		 pid;
	const char	*listen;
	unsigned	 idle_ms;
	size_t		 memory_limit;
	const char	*exe;		/* runtime binary; NULL = $GALLEY_BIN */
	unsigned	 auth_ms;	/* srv_opts: 0 = the defaults */
	unsigned	 pending_max;
	rlim_t		 nofile_soft;	/* the kernel's open-file limits, if
					 * not 0 */
	rlim_t		 nofile_hard;
};

static inline void
kt_init(struct kt *t)
{
	/* Runtimes orphaned by a killed kernel become our children, so
	 * kt_fini() can kill and reap them. */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	memset(t, 0, sizeof *t);
	snprintf(t->root, sizeof t->root, "/tmp/galley-kt-XXXXXX");
	if (mkdtemp(t->root) == NULL) {
		perror("mkdtemp");
		abort();
	}
	snprintf(t->run, sizeof t->run, "%s/run", t->root);
	snprintf(t->proj, sizeof t->proj, "%s/proj", t->root);
	snprintf(t->sock, sizeof t->sock, "%s/kernel.sock", t->run);
	mkdir(t->run, 0700);
	mkdir(t->proj, 0755);
	t->pid = -1;
}

/* Forks a kernel serving t->run. Returns its pid once it is serving, or
 * -1 (its exit status in *status if not NULL). */
static inline pid_t
kt_spawn(struct kt *t, int *status)
{
	int	 p[2];
	pid_t	 pid;
	char	 c;
	struct pollfd pfd;

	/* Without it the kernel would start this test program as its
	 * runtime, which would run the tests again, and so on. */
	if (t->exe == NULL && getenv("GALLEY_BIN") == NULL) {
		fprintf(stderr, "GALLEY_BIN is not set: run the kernel tests "
		    "through ctest, or set it to the galley binary\n");
		exit(2);
	}
	if (pipe(p) != 0)
		abort();
	fflush(NULL);
	if ((pid = fork()) == 0) {
		struct srv_opts	 o;
		struct gl_err	 err;
		int		 rc;

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(p[0]);
		if (getenv("KT_LOG") == NULL) {
			char log[256];
			int fd;

			snprintf(log, sizeof log, "%s/kernel.log", t->root);
			fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);
			if (fd >= 0) {
				dup2(fd, 2);
				close(fd);
			}
		}
		if (t->nofile_hard > 0) {
			struct rlimit rl = { t->nofile_soft, t->nofile_hard };

			if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
				_exit(13);
		}
		memset(&o, 0, sizeof o);
		o.auth_ms = t->auth_ms;
		o.pending_max = t->pending_max;
		o.runtime_dir = t->run;
		o.listen = t->listen;
		o.ready_fd = p[1];
		o.idle_exit_ms = t->idle_ms;
		o.memory_limit = t->memory_limit;
		o.exe = t->exe != NULL ? t->exe : getenv("GALLEY_BIN");
		gl_err_clear(&err);
		rc = srv_run(&o, &err);
		if (rc != 0)
			fprintf(stderr, "srv_run: %s (%s)\n", err.msg,
			    gl_err_name(rc));
		exit(rc == 0 ? 0 : rc == GL_EBUSY ? 11 : 12);
	}
	close(p[1]);
	pfd.fd = p[0];
	pfd.events = POLLIN;
	if (poll(&pfd, 1, KC_WAIT_MS) == 1 && read(p[0], &c, 1) == 1) {
		close(p[0]);
		return pid;
	}
	close(p[0]);
	if (waitpid(pid, status, 0) != pid && status != NULL)
		*status = -1;
	return -1;
}

static inline pid_t
kt_start(struct kt *t)
{
	char	 path[256];
	struct gl_err err;

	t->pid = kt_spawn(t, NULL);
	if (t->pid > 0) {
		snprintf(path, sizeof path, "%s/token", t->run);
		if (auth_token_load(path, t->token, &err) != 0)
			fprintf(stderr, "token: %s\n", err.msg);
	}
	return t->pid;
}

/* Waits for pid to exit, up to timeout_ms; returns its wait status or -1
 * if it is still running. */
static inline int
kt_reap(pid_t pid, int timeout_ms)
{
	uint64_t	 deadline = kc_now_ms() + (uint64_t)timeout_ms;
	int		 st;

	for (;;) {
		pid_t r = waitpid(pid, &st, WNOHANG);

		if (r == pid)
			return st;
		if (r < 0)
			return -2;
		if (kc_now_ms() >= deadline)
			return -1;
		{
			struct timespec ts = { 0, 5 * 1000 * 1000 };

			nanosleep(&ts, NULL);	/* polling interval only */
		}
	}
}

/* SIGTERM, then SIGKILL after a deadline; returns the wait status. */
static inline int
kt_stop(struct kt *t)
{
	int st;

	if (t->pid <= 0)
		return 0;
	kill(t->pid, SIGTERM);
	if ((st = kt_reap(t->pid, KC_WAIT_MS)) == -1) {
		kill(t->pid, SIGKILL);
		st = kt_reap(t->pid, KC_WAIT_MS);
		st = st >= 0 ? -1 : st;
	}
	t->pid = -1;
	return st;
}

static inline void
kt_kill9(struct kt *t)
{
	if (t->pid <= 0)
		return;
	kill(t->pid, SIGKILL);
	(void)kt_reap(t->pid, KC_WAIT_MS);
	t->pid = -1;
}

/* rm -rf path (no symlinks followed). */
static inline void
kt_rmtree(const char *path)
{
	struct stat	 sb;
	DIR		*d;
	struct dirent	*de;

	if (lstat(path, &sb) != 0)
		return;
	if (S_ISDIR(sb.st_mode) && (d = opendir(path)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			char *sub;

			if (strcmp(de->d_name, ".") == 0 ||
			    strcmp(de->d_name, "..") == 0)
				continue;
			sub = xasprintf("%s/%s", path, de->d_name);
			kt_rmtree(sub);
			free(sub);
		}
		closedir(d);
		rmdir(path);
	} else
		unlink(path);
}

/* Kills and reaps every child process left (runtimes of a kernel that
 * was killed, after a failed test). */
static inline void
kt_kill_children(void)
{
	DIR		*d = opendir("/proc");
	struct dirent	*de;
	char		 path[64], *stat, *p;
	size_t		 len;
	int		 ppid;

	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		pid_t pid = (pid_t)atoi(de->d_name);

		if (pid <= 0)
			continue;
		snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
		if (gl_file_read(path, &stat, &len, NULL) != 0)
			continue;
		p = strrchr(stat, ')');
		if (p != NULL && sscanf(p + 2, "%*c %d", &ppid) == 1 &&
		    ppid == getpid()) {
			kill(pid, SIGKILL);
			(void)kt_reap(pid, KC_WAIT_MS);
		}
		free(stat);
	}
	closedir(d);
}

static inline void
kt_fini(struct kt *t)
{
	if (t->pid > 0)
		kt_kill9(t);
	kt_kill_children();
	if (getenv("KT_KEEP") == NULL)
		kt_rmtree(t->root);
}

/* True once no process pid exists (polled up to timeout_ms). */
static inline bool
kt_pid_gone(pid_t pid, int timeout_ms)
{
	uint64_t deadline = kc_now_ms() + (uint64_t)timeout_ms;

	while (kc_now_ms() < deadline) {
		char	 path[64], *stat = NULL, *p;
		size_t	 len;

		if (kill(pid, 0) != 0 && errno == ESRCH)
			return true;
		/* A zombie counts as gone: it runs nothing. */
		snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
		if (gl_file_read(path, &stat, &len, NULL) == 0) {
			p = strrchr(stat, ')');
			if (p != NULL && p[1] == ' ' && p[2] == 'Z') {
				free(stat);
				return true;
			}
			free(stat);
		}
		{
			struct timespec ts = { 0, 5 * 1000 * 1000 };

			nanosleep(&ts, NULL);
		}
	}
	return false;
}

/* Writes text to dir/name; returns the malloc'd path. */
static inline char *
kt_write(const char *dir, const char *name, const char *text)
{
	char	*path = xasprintf("%s/%s", dir, name);
	FILE	*f = fopen(path, "w");

	if (f == NULL)
		abort();
	fputs(text, f);
	fclose(f);
	return path;
}

/* Reads a whole file (caller frees) or NULL. */
static inline char *
kt_read(const char *path)
{
	char	*text = NULL;
	size_t	 len;

	if (gl_file_read(path, &text, &len, NULL) != 0)
		return NULL;
	return text;
}

#endif

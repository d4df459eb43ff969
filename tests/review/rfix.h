/*
 * rfix.h - what the review tests share: a private temporary directory (it
 * is $HOME too, so neither libgit2 nor git reads the user's config, and
 * holds the runtime directory, so no kernel of the user's is reached),
 * files, repositories made through review/repo.h with an identity, and
 * the `git` command (when installed) to check what libgit2 wrote.
 */
#ifndef GL_TEST_RFIX_H
#define GL_TEST_RFIX_H

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/err.h"
#include "core/mem.h"
#include "core/util.h"
#include "review/repo.h"

static char rfix_dir[64];

/* A fresh temporary directory, also $HOME. */
static inline const char *
rfix_setup(void)
{
	strcpy(rfix_dir, "/tmp/galley-review-XXXXXX");
	if (mkdtemp(rfix_dir) == NULL) {
		perror("mkdtemp");
		exit(1);
	}
	setenv("HOME", rfix_dir, 1);
	setenv("XDG_CONFIG_HOME", rfix_dir, 1);
	setenv("GIT_CONFIG_NOSYSTEM", "1", 1);
	/* No kernel of the user's: `galley review apply` would go through
	 * one. */
	{
		char	 run[96];

		snprintf(run, sizeof run, "%s/run", rfix_dir);
		setenv("GALLEY_RUNTIME_DIR", run, 1);
	}
	unsetenv("GIT_DIR");
	unsetenv("GIT_WORK_TREE");
	unsetenv("NO_COLOR");
	return rfix_dir;
}

static inline void
rfix_teardown(void)
{
	char	 cmd[128];

	snprintf(cmd, sizeof cmd, "rm -rf '%s'", rfix_dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", rfix_dir);
}

/* cmocka's setup and teardown for tests that use rfix_dir. */
static inline int
rfix_cm_setup(void **state)
{
	(void)state;
	rfix_setup();
	return 0;
}

static inline int
rfix_cm_teardown(void **state)
{
	(void)state;
	rfix_teardown();
	return 0;
}

/* A cmocka test in its own temporary directory. */
#define RFIX_TEST(f)							\
	cmocka_unit_test_setup_teardown(f, rfix_cm_setup, rfix_cm_teardown)

/* A randomized test's seed: GALLEY_SEED, else the time; printed so a
 * failure can be repeated. */
static inline uint64_t
rfix_seed(void)
{
	const char	*s = getenv("GALLEY_SEED");
	uint64_t	 seed = s != NULL ? strtoull(s, NULL, 10) :
	    (uint64_t)time(NULL);

	printf("seed %llu (GALLEY_SEED to repeat)\n",
	    (unsigned long long)seed);
	return seed;
}

/* rfix_dir + "/" + name, in a static buffer that the fourth call after
 * reuses: copy it to keep it. */
static inline const char *
rfix_path(const char *name)
{
	static char	 p[4][512];
	static int	 k;

	k = (k + 1) % 4;
	snprintf(p[k], sizeof p[k], "%s/%s", rfix_dir, name);
	return p[k];
}

static inline void
rfix_write(const char *path, const char *text)
{
	FILE	*f = fopen(path, "w");

	if (f == NULL) {
		perror(path);
		exit(1);
	}
	fputs(text, f);
	fclose(f);
}

/* The whole file, or NULL; caller frees. */
static inline char *
rfix_read(const char *path)
{
	char		*s = NULL;
	size_t		 n;

	if (gl_file_read(path, &s, &n, NULL) != 0)
		return NULL;
	return s;
}

/* A new repository at rfix_dir/name whose config holds an identity. */
static inline struct repo *
rfix_repo(const char *name, bool bare, const char *who)
{
	struct repo	*r = NULL;
	struct gl_err	 err;

	if (repo_init(rfix_path(name), bare, &r, &err) != 0) {
		fprintf(stderr, "repo_init: %s\n", err.msg);
		exit(1);
	}
	repo_config_set(r, "user.name", who, NULL);
	repo_config_set(r, "user.email", "x@example.org", NULL);
	return r;
}

/* True if the git command is installed. */
static inline bool
rfix_have_git(void)
{
	static int	 have = -1;

	if (have < 0)
		have = system("git --version >/dev/null 2>&1") == 0;
	return have == 1;
}

/*
 * Runs argv (NULL-terminated; argv[0] looked up in PATH) in cwd with stdin
 * from /dev/null; *out (if not NULL) gets stdout and stderr together,
 * which the caller frees. Returns the exit status (128+signal), -1 if it
 * cannot run, and kills it after 60 s.
 */
static inline int
rfix_runv(const char *cwd, char **out, const char *const *argv)
{
	int		 p[2], status;
	pid_t		 pid;
	struct gl_buf	 b;
	long		 waited = 0;

	if (pipe(p) != 0)
		return -1;
	if ((pid = fork()) < 0)
		return -1;
	if (pid == 0) {
		int nul = open("/dev/null", O_RDONLY);

		dup2(nul, 0);
		dup2(p[1], 1);
		dup2(p[1], 2);
		close(p[0]);
		if (cwd != NULL && chdir(cwd) != 0)
			_exit(126);
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(p[1]);
	gl_buf_init(&b);
	for (;;) {
		struct pollfd	 pf = { p[0], POLLIN, 0 };
		char		 buf[4096];
		ssize_t		 k;

		if (poll(&pf, 1, 100) == 0) {
			if ((waited += 100) > 60000) {
				kill(pid, SIGKILL);
				break;
			}
			continue;
		}
		if ((k = read(p[0], buf, sizeof buf)) <= 0)
			break;
		gl_buf_add(&b, buf, (size_t)k);
	}
	close(p[0]);
	waitpid(pid, &status, 0);
	if (out != NULL)
		*out = gl_buf_take(&b, NULL);
	else
		gl_buf_fini(&b);
	return WIFEXITED(status) ? WEXITSTATUS(status) :
	    128 + WTERMSIG(status);
}

static inline int
rfix_run(const char *cwd, char **out, ...)
{
	const char	*argv[40];
	int		 n = 0;
	va_list		 ap;

	va_start(ap, out);
	while (n < 39 && (argv[n] = va_arg(ap, const char *)) != NULL)
		n++;
	va_end(ap);
	argv[n] = NULL;
	return rfix_runv(cwd, out, argv);
}

#endif

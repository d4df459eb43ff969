/*
 * bench_util.h - what the benchmarks that drive a kernel share (static
 * inline, for each benchmark's only .c file): a clock, a median's sort
 * order, and stopping the kernel of the current GALLEY_RUNTIME_DIR.
 */
#ifndef GL_BENCH_UTIL_H
#define GL_BENCH_UTIL_H

#include <fcntl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static inline double
bk_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

/* For qsort() of doubles. */
static inline int
bk_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* `galley kernel stop`, quietly, waited for. */
static inline void
bk_stop_kernel(const char *galley)
{
	pid_t	 pid = fork();
	int	 st;

	if (pid == 0) {
		int fd = open("/dev/null", O_WRONLY);

		dup2(fd, 1);
		dup2(fd, 2);
		execl(galley, galley, "kernel", "stop", (char *)NULL);
		_exit(127);
	}
	waitpid(pid, &st, 0);
}

#endif

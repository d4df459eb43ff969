/*
 * cmd_kernel.c - `galley kernel`, `galley kernel status|stop`, and the
 * internal `galley runtime`.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "client/client.h"
#include "core/err.h"
#include "core/mem.h"
#include "core/paths.h"
#include "core/rpc.h"
#include "core/util.h"
#include "kernel/server.h"
#include "lua/config.h"
#include "lua/runtime.h"

static void
kernel_pack_listen(msgpack_packer *pk, void *ctx)
{
	msgpack_pack_map(pk, 1);
	rpc_pack_kv_str(pk, "listen", ctx);
}

/*
 * After kernel.shutdown: waits (bounded) until the kernel has really
 * gone, so `galley kernel stop; galley run nb` starts a fresh kernel
 * instead of reaching the old one on its way out. The connection's end
 * says the kernel closed its sockets; for the local kernel, the lock it
 * holds until it exits says the rest.
 */
static void
kernel_wait_gone(struct cl_conn *c, const char *addr)
{
	struct rpc_msg	 m;
	struct gl_err	 err;
	char		*rd = NULL, *lock;
	int		 fd, rc;
	int64_t		 end = gl_now_ms() + 10000;

	while ((rc = cl_next_notify(c, &m, 200, &err)) >= 0 &&
	    gl_now_ms() < end)
		if (rc == 1)
			rpc_msg_fini(&m);
	if (addr != NULL || getenv("GALLEY_KERNEL") != NULL ||
	    gl_runtime_dir(&rd, NULL) != 0)
		return;
	lock = gl_path_join(rd, "kernel.lock");
	free(rd);
	if ((fd = open(lock, O_RDWR | O_CLOEXEC)) >= 0) {
		while (flock(fd, LOCK_EX | LOCK_NB) != 0 &&
		    gl_now_ms() < end) {
			struct timespec ts = { 0, 10 * 1000 * 1000 };

			nanosleep(&ts, NULL);	/* polls a lock, bounded */
		}
		close(fd);
	}
	free(lock);
}

static int
kernel_remote(const char *what, const char *addr)
{
	struct cl_opts		 o;
	struct cl_conn		*c = NULL;
	struct rpc_msg		 m;
	struct gl_err		 err = { 0 };
	int			 rc;

	cl_opts_init(&o);
	o.kernel = addr;
	o.autostart = false;
	if (cl_connect(&o, &c, &err) != 0) {
		if (strcmp(what, "status") == 0 && err.code == GL_ECLOSED) {
			printf("no kernel running\n");
			return CLI_FAILED;
		}
		cli_errorf("%s", err.msg);
		return strcmp(what, "stop") == 0 && err.code == GL_ECLOSED ?
		    CLI_OK : CLI_KERNEL;
	}
	rc = cl_call(c, strcmp(what, "stop") == 0 ? "kernel.shutdown" :
	    "kernel.info", NULL, NULL, &m, 10000, &err);
	if (rc != 0) {
		cli_errorf("%s", err.msg);
		cl_close(c);
		return CLI_KERNEL;
	}
	if (strcmp(what, "status") == 0) {
		const msgpack_object *r = m.result;
		size_t vlen = 0;
		const char *v = rpc_map_str(r, "version", &vlen);

		printf("kernel %s: pid %lld, galley %.*s, %lld session(s), up %lld s\n",
		    cl_addr(c), (long long)rpc_map_int(r, "pid", 0),
		    (int)vlen, v ? v : "?",
		    (long long)rpc_map_int(r, "sessions", 0),
		    (long long)rpc_map_int(r, "uptime_ms", 0) / 1000);
	} else {
		rpc_msg_fini(&m);
		kernel_wait_gone(c, addr);
		printf("kernel stopped\n");
		cl_close(c);
		return CLI_OK;
	}
	rpc_msg_fini(&m);
	cl_close(c);
	return CLI_OK;
}

/*
 * `galley kernel --listen ADDR` while a kernel already serves: asks that
 * one to listen on ADDR too (kernel.listen, over its Unix socket), so a
 * kernel started in the background by `galley open` can be shared
 * without stopping it. busy is srv_run()'s message; others names the
 * options that only a new kernel takes, or is NULL.
 */
static int
kernel_listen_running(const char *addr, const char *busy, const char *others)
{
	struct cl_opts	 o;
	struct cl_conn	*c = NULL;
	struct rpc_msg	 m;
	struct gl_err	 err = { 0 };
	size_t		 len = 0;
	const char	*where;
	char		*rd = NULL, *sock = NULL;

	/* The kernel of this runtime directory, whatever GALLEY_KERNEL
	 * names. */
	cl_opts_init(&o);
	o.autostart = false;
	if (gl_runtime_dir(&rd, &err) == 0) {
		sock = xasprintf("unix:%s/kernel.sock", rd);
		o.kernel = sock;
	}
	free(rd);
	if (sock != NULL && cl_connect(&o, &c, &err) == 0 &&
	    cl_call(c, "kernel.listen", kernel_pack_listen, (void *)addr, &m,
	    10000, &err) == 0) {
		where = rpc_map_str(m.result, "listen", &len);
		printf("galley: %s; it now listens on tcp %.*s too (galley "
		    "kernel stop stops it)\n", busy, (int)len,
		    where != NULL ? where : addr);
		if (others != NULL)
			printf("galley: %s applies to a new kernel only: stop "
			    "this one first to change it\n", others);
		rpc_msg_fini(&m);
		cl_close(c);
		free(sock);
		return CLI_OK;
	}
	if (c != NULL)
		cl_close(c);
	free(sock);
	cli_errorf("%s and could not listen on %s too: %s", busy, addr,
	    err.msg);
	cli_errorf("stop it with `galley kernel stop`, then run `galley "
	    "kernel --listen %s`", addr);
	return CLI_FAILED;
}

/* Seconds ("90", "0.5") as milliseconds; -1 if s is not a number of
 * seconds a timer can hold. */
static long long
kernel_parse_seconds(const char *s)
{
	char	*end;
	double	 v;

	errno = 0;
	v = strtod(s, &end);
	if (end == s || *end != '\0' || errno != 0 || !isfinite(v) || v < 0 ||
	    v * 1000 > UINT_MAX)
		return -1;
	return (long long)(v * 1000);
}

/* A kernel started in the background stops after cluster.kernel_idle_timeout
 * of the user's configuration (an hour by default) with no client and no
 * work. A configuration that does not load is reported and the default
 * used: the kernel must start all the same. */
static unsigned
kernel_config_idle_ms(void)
{
	struct gl_err	 err = { 0 };
	struct cfg	*cfg = cfg_load(NULL, &err);
	int64_t		 ms = 3600 * 1000;

	if (cfg == NULL)
		cli_errorf("%s (using kernel_idle_timeout = 3600)", err.msg);
	else {
		ms = cfg->cluster.kernel_idle_timeout_ms;
		cfg_free(cfg);
	}
	if (ms < 0)
		ms = 0;
	return ms > UINT_MAX ? UINT_MAX : (unsigned)ms;
}

/* Writes byte, then msg (if not NULL), on the ready pipe of a background
 * start (client/client.c reads it) and closes it. */
static void
kernel_ready_say(int fd, char byte, const char *msg)
{
	char	 buf[600];
	size_t	 n = 0, off = 0;
	ssize_t	 w;

	n = (size_t)snprintf(buf, sizeof buf, "%c%s", byte, msg ? msg : "");
	if (n >= sizeof buf)
		n = sizeof buf - 1;
	while (off < n) {
		if ((w = write(fd, buf + off, n - off)) < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	close(fd);
}

int
cli_kernel(int argc, char **argv)
{
	struct srv_opts	 o;
	struct gl_err	 err = { 0 };
	const char	*v, *addr = NULL, *others = NULL;
	long long	 n;
	int		 rc, idle_set = 0;

	memset(&o, 0, sizeof o);
	o.ready_fd = -1;
	if ((v = getenv("GALLEY_MEMORY_LIMIT")) != NULL && *v != '\0') {
		if ((n = cli_parse_size(v)) < 0)
			return cli_usage("kernel", "GALLEY_MEMORY_LIMIT=%s is not a size", v);
		o.memory_limit = (size_t)n;
	}
	if (argc > 1 && strcmp(argv[1], "member") == 0)
		return cli_kernel_member(argc - 1, argv + 1);
	if (argc > 1 && (strcmp(argv[1], "status") == 0 ||
	    strcmp(argv[1], "stop") == 0)) {
		for (int i = 2; i < argc; i++) {
			if ((v = cli_optval("kernel", argc, argv, &i, "--kernel")) != NULL)
				addr = v;
			else
				return cli_usage("kernel", "unknown option %s", argv[i]);
		}
		if ((rc = cli_check_kernel("kernel", addr)) != CLI_OK)
			return rc;
		return kernel_remote(argv[1], addr);
	}
	for (int i = 1; i < argc; i++) {
		if ((v = cli_optval("kernel", argc, argv, &i, "--listen")) != NULL)
			o.listen = v;
		else if ((v = cli_optval("kernel", argc, argv, &i, "--memory-limit")) != NULL) {
			if ((n = cli_parse_size(v)) <= 0)
				return cli_usage("kernel", "--memory-limit %s is not a size", v);
			o.memory_limit = (size_t)n;
			others = "--memory-limit";
		} else if ((v = cli_optval("kernel", argc, argv, &i, "--idle-exit")) != NULL) {
			others = "--idle-exit";
			if ((n = kernel_parse_seconds(v)) < 0)
				return cli_usage("kernel",
				    "--idle-exit %s is not a number of seconds",
				    v);
			o.idle_exit_ms = (unsigned)n;
			idle_set = 1;
		} else if ((v = cli_optval("kernel", argc, argv, &i, "--ready-fd")) != NULL) {
			o.ready_fd = atoi(v);
		} else
			return cli_usage("kernel", "unknown option %s", argv[i]);
	}
	if (o.listen != NULL &&
	    (rc = cli_check_hostport("kernel", "--listen", o.listen)) != CLI_OK)
		return rc;
	if (!idle_set) {
		if ((v = getenv("GALLEY_KERNEL_IDLE")) != NULL && *v != '\0') {
			if ((n = kernel_parse_seconds(v)) < 0)
				return cli_usage("kernel", "GALLEY_KERNEL_IDLE=%s "
				    "is not a number of seconds", v);
			o.idle_exit_ms = (unsigned)n;
		} else if (o.ready_fd >= 0)
			o.idle_exit_ms = kernel_config_idle_ms();
	}
	rc = srv_run(&o, &err);
	if (rc == GL_EBUSY && o.ready_fd >= 0 && o.listen == NULL) {
		/* Another kernel holds the lock: not an error for a
		 * background start. 'B' tells the client that started us to
		 * wait for that kernel (it may be starting or stopping)
		 * rather than report a failed start. */
		kernel_ready_say(o.ready_fd, 'B', NULL);
		return CLI_OK;
	}
	if (rc == GL_EBUSY && o.listen != NULL && o.ready_fd < 0 &&
	    strstr(err.msg, "already serves") != NULL)
		return kernel_listen_running(o.listen, err.msg, others);
	if (rc == GL_EBUSY) {
		cli_errorf("%s", err.msg);
		if (strstr(err.msg, "already serves") != NULL)
			cli_errorf("`galley kernel stop` stops it; `galley kernel "
			    "--listen HOST:PORT` makes it listen on TCP too");
		return CLI_FAILED;
	}
	if (rc != 0) {
		cli_errorf("kernel: %s", err.msg);
		/* Also on the ready pipe: kernel.log may be where the
		 * failure is (a full disk), so it may hold nothing. */
		if (o.ready_fd >= 0)
			kernel_ready_say(o.ready_fd, 'E', err.msg);
		return CLI_KERNEL;
	}
	return CLI_OK;
}

int
cli_runtime(int argc, char **argv)
{
	struct lx_runtime_opts	 o = { .fd = -1 };
	const char		*v;
	long long		 n;

	for (int i = 1; i < argc; i++) {
		if ((v = cli_optval("runtime", argc, argv, &i, "--fd")) != NULL)
			o.fd = atoi(v);
		else if ((v = cli_optval("runtime", argc, argv, &i, "--memory-limit")) != NULL) {
			if ((n = cli_parse_size(v)) < 0)
				return cli_usage("runtime", "bad --memory-limit %s", v);
			o.memory_limit = (size_t)n;
		} else
			return cli_usage("runtime", "unknown option %s", argv[i]);
	}
	if (o.fd < 0)
		return cli_usage("runtime", "--fd is required");
	return lx_runtime_main(&o);
}

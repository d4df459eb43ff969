/*
 * server.c - the kernel process: the loop, the runtime directory, the
 * listeners, signals, idle exit, shutdown; and the host of the sessions
 * and the cluster service (kernel/session.h, kernel/cluster.h), passing
 * what one reports on to the other. Clients are server-client.c.
 *
 * One libuv loop. Files in the runtime directory: kernel.lock (flock held
 * while serving; never removed), kernel.sock (the Unix socket), kernel.pid
 * and token (mode 0600).
 *
 * Ownership is a tree: the server owns the clients, the sessions (one
 * struct sess_set) and the cluster service; neither of the last two sees
 * the server's structures or the other's. A session's runtime asking for
 * cluster work reaches the cluster through sess_host.on_cluster_request
 * here; results for that runtime come back through clu_host.runtime_send
 * here.
 */
#include "kernel/server.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/auth.h"
#include "core/err.h"
#include "core/mem.h"
#include "core/paths.h"
#include "core/rpc.h"
#include "core/util.h"
#include "kernel/cluster.h"
#include "kernel/conn.h"
#include "kernel/hooks.h"
#include "kernel/lib.h"
#include "kernel/log.h"
#include "kernel/member.h"
#include "kernel/server_int.h"
#include "kernel/session.h"

#define SRV_GRACE_MS	2000	/* clients get this long to drain at exit */

static void	 srv_raise_nofile(void);
static int	 srv_dir_prepare(const char *dir, struct gl_err *err);
static int	 srv_lock(struct srv *s, struct gl_err *err);
static int	 srv_listen_unix(struct srv *s, struct gl_err *err);
static int	 srv_write_pid(struct srv *s, struct gl_err *err);
static void	 srv_say_stopping(struct srv *s, const char *why);
static void	 srv_on_signal(uv_signal_t *h, int signum);
static void	 srv_on_idle(uv_timer_t *t);
static void	 srv_on_grace(uv_timer_t *t);
static void	 srv_on_refused_log(uv_timer_t *t);
static void	 srv_on_unix_conn(uv_stream_t *l, int status);
static void	 srv_on_tcp_conn(uv_stream_t *l, int status);
static void	 srv_on_handle_closed(uv_handle_t *h);
static void	 srv_on_walk_close(uv_handle_t *h, void *arg);
static void	 srv_on_activity(void *ctx);
static int	 srv_sess_on_cluster_request(void *ctx, struct sess *sess,
		     uint64_t run, struct rpc_msg *m);
static void	 srv_sess_on_run_done(void *ctx, struct sess *sess,
		     uint64_t run);
static void	 srv_sess_on_reset(void *ctx, struct sess *sess);
static int	 srv_clu_runtime_send(void *ctx, struct sess *sess,
		     uint64_t gen, const void *p, size_t n);
static void	 srv_clu_notify(void *ctx, struct sess *sess, const void *p,
		     size_t n);
static void	 srv_clu_run_output(void *ctx, struct sess *sess, uint64_t run,
		     const msgpack_object *output);
static char	*srv_clu_project_dir(void *ctx, struct sess *sess);
int
srv_run(const struct srv_opts *opts, struct gl_err *err)
{
	struct srv		*s = xcalloc(1, sizeof *s);
	struct sess_host	 sess_host = {
		.ctx = s,
		.loop = &s->loop,
		.exe = opts->exe,
		.on_cluster_request = srv_sess_on_cluster_request,
		.on_run_done = srv_sess_on_run_done,
		.on_reset = srv_sess_on_reset,
		.on_activity = srv_on_activity,
	};
	struct clu_host		 clu_host = {
		.ctx = s,
		.loop = &s->loop,
		.exe = opts->exe,
		.runtime_send = srv_clu_runtime_send,
		.notify = srv_clu_notify,
		.run_output = srv_clu_run_output,
		.project_dir = srv_clu_project_dir,
		.pack_libs = srv_lib_pack_job,
		.on_activity = srv_on_activity,
	};
	struct sigaction	 sa, old_pipe;
	char			*token_path = NULL;
	bool			 loop_on = false, created = false;
	int			 rc;

	s->opts = opts;
	s->lock_fd = -1;
	s->auth_ms = opts->auth_ms > 0 ? opts->auth_ms : SRV_AUTH_MS;
	s->pending_max = opts->pending_max > 0 ? opts->pending_max :
	    SRV_PENDING_MAX;
	log_limit_init(&s->refused, "refused peers", SRV_REFUSED_LOG_PER_S,
	    SRV_REFUSED_LOG_MS);
	srv_raise_nofile();
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, &old_pipe);
	if (opts->ready_fd >= 0)
		(void)fcntl(opts->ready_fd, F_SETFD, FD_CLOEXEC);
	if (opts->runtime_dir != NULL) {
		s->dir = xstrdup(opts->runtime_dir);
		if ((rc = srv_dir_prepare(s->dir, err)) != 0)
			goto out;
	} else if ((rc = gl_runtime_dir(&s->dir, err)) != 0)
		goto out;
	s->sock_path = gl_path_join(s->dir, "kernel.sock");
	s->pid_path = gl_path_join(s->dir, "kernel.pid");
	s->lock_path = gl_path_join(s->dir, "kernel.lock");
	token_path = gl_path_join(s->dir, "token");
	if ((rc = srv_lock(s, err)) != 0)
		goto out;
	if (opts->memory_limit > 0)
		s->memory_limit = opts->memory_limit;
	else {
		long pages = sysconf(_SC_PHYS_PAGES);
		long psize = sysconf(_SC_PAGESIZE);

		s->memory_limit = pages > 0 && psize > 0 ?
		    (size_t)pages * (size_t)psize / 2 : 0;
	}
	sess_host.memory_limit = s->memory_limit;
	clu_host.dir = s->dir;
	clu_host.auth_ms = s->auth_ms;
	clu_host.pending_max = s->pending_max;
	if ((rc = uv_loop_init(&s->loop)) != 0) {
		rc = gl_err_set(err, GL_EIO, "cannot start the event loop: %s",
		    uv_strerror(rc));
		goto out;
	}
	loop_on = true;
	s->loop.data = s;
	s->hooks = hooks_new();
	sess_host.hooks = s->hooks;
	srv_lib_open(s);
	s->sessions = sess_set_new(&sess_host);
	s->started_ms = uv_hrtime() / 1000000;
	uv_signal_init(&s->loop, &s->sigterm);
	uv_signal_init(&s->loop, &s->sigint);
	uv_timer_init(&s->loop, &s->idle);
	uv_timer_init(&s->loop, &s->grace);
	uv_timer_init(&s->loop, &s->refused_t);
	s->sigterm.data = s->sigint.data = s->idle.data = s->grace.data = s;
	s->refused_t.data = s;
	s->handles_on = true;
	if ((rc = auth_token_load_or_create(token_path, s->token, err)) != 0)
		goto stop;
	if ((rc = srv_members_open(s, err)) != 0)
		goto stop;
	if ((rc = srv_listen_unix(s, err)) != 0)
		goto stop;
	created = true;
	if (opts->listen != NULL &&
	    (rc = srv_listen_tcp(s, opts->listen, err)) != 0)
		goto stop;
	if ((rc = srv_write_pid(s, err)) != 0)
		goto stop;
	if ((s->clu = clu_new(&clu_host, err)) == NULL) {
		rc = err != NULL ? err->code : GL_EIO;
		goto stop;
	}
	uv_signal_start(&s->sigterm, srv_on_signal, SIGTERM);
	uv_signal_start(&s->sigint, srv_on_signal, SIGINT);
	log_info("serving %s (pid %d)%s%s", s->sock_path, (int)getpid(),
	    s->tcp_on ? " and tcp " : "", s->tcp_on ? s->listen_addr : "");
	srv_idle_check(s);
	if (opts->ready_fd >= 0) {
		ssize_t n;

		do
			n = write(opts->ready_fd, "R", 1);
		while (n < 0 && errno == EINTR);
		close(opts->ready_fd);
	}
	uv_run(&s->loop, UV_RUN_DEFAULT);
	rc = 0;
	goto done;
stop:
	srv_stop(s, NULL);
	uv_run(&s->loop, UV_RUN_DEFAULT);
done:
	if (uv_loop_close(&s->loop) == UV_EBUSY) {
		log_info("handles left open at exit; closing them");
		uv_walk(&s->loop, srv_on_walk_close, NULL);
		uv_run(&s->loop, UV_RUN_DEFAULT);
		(void)uv_loop_close(&s->loop);
	}
	loop_on = false;
	if (created) {
		unlink(s->sock_path);
		unlink(s->pid_path);
	}
	if (rc == 0)
		log_info("stopped");
out:
	if (loop_on)
		(void)uv_loop_close(&s->loop);
	if (s->lock_fd >= 0)
		close(s->lock_fd);
	sess_set_free(s->sessions);
	hooks_free(s->hooks);
	lib_free(s->lib);
	mbr_set_free(s->members);
	free(s->dir);
	free(s->sock_path);
	free(s->pid_path);
	free(s->lock_path);
	free(token_path);
	memset(s->token, 0, sizeof s->token);
	free(s);
	sigaction(SIGPIPE, &old_pipe, NULL);
	return rc;
}

/* Services to the server's parts. */

void
srv_idle_check(struct srv *s)
{
	if (s->opts->idle_exit_ms == 0 || s->stopping || !s->handles_on)
		return;
	if (s->nclients == 0 && !sess_set_busy(s->sessions) &&
	    (s->clu == NULL || !clu_busy(s->clu))) {
		if (!uv_is_active((uv_handle_t *)&s->idle))
			uv_timer_start(&s->idle, srv_on_idle,
			    s->opts->idle_exit_ms, 0);
	} else
		uv_timer_stop(&s->idle);
}

void
srv_client_gone(struct srv *s)
{
	srv_idle_check(s);
	if (s->stopping && s->nclients == 0 &&
	    !uv_is_closing((uv_handle_t *)&s->grace))
		uv_close((uv_handle_t *)&s->grace, srv_on_handle_closed);
}

void
srv_log_refused(struct srv *s, const char *fmt, ...)
{
	char	 line[512];
	va_list	 ap;
	int64_t	 due;

	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	log_limited(&s->refused, (int64_t)uv_now(&s->loop), "%s", line);
	due = log_limit_flush(&s->refused, (int64_t)uv_now(&s->loop), false);
	if (due >= 0 && s->handles_on && !s->stopping &&
	    !uv_is_active((uv_handle_t *)&s->refused_t))
		uv_timer_start(&s->refused_t, srv_on_refused_log,
		    (uint64_t)due + 1, 0);
}

static void
srv_on_refused_log(uv_timer_t *t)
{
	struct srv	*s = t->data;
	int64_t		 due;

	due = log_limit_flush(&s->refused, (int64_t)uv_now(&s->loop), false);
	if (due >= 0)
		uv_timer_start(&s->refused_t, srv_on_refused_log,
		    (uint64_t)due + 1, 0);
}

/* The sessions' and the cluster's host: the server passes what one
 * reports on to the other. */

static void
srv_on_activity(void *ctx)
{
	srv_idle_check(ctx);
}

static int
srv_sess_on_cluster_request(void *ctx, struct sess *sess, uint64_t run,
    struct rpc_msg *m)
{
	struct srv	*s = ctx;
	struct clu_from	 f;

	if (s->clu == NULL)
		return GL_ECLOSED;
	if (srv_lib_request(s, sess, run, m))
		return 0;	/* require of a registry module; answered */
	if (srv_hook_cluster(s, sess, run, m))
		return 0;	/* a plugin refused it; answered */
	f.sess = sess;
	f.session = sess_id(sess);
	f.notebook = sess_notebook(sess);
	f.cell = sess_run_cell(sess, run);
	f.run = run;
	f.gen = sess_runtime_gen(sess);
	f.user = sess_run_user(sess, run);
	clu_runtime_request(s->clu, &f, m);
	return 0;
}

static void
srv_sess_on_run_done(void *ctx, struct sess *sess, uint64_t run)
{
	struct srv *s = ctx;

	if (s->clu != NULL)
		clu_run_done(s->clu, sess, run);
}

static void
srv_sess_on_reset(void *ctx, struct sess *sess)
{
	struct srv *s = ctx;

	if (s->lib != NULL)
		lib_session_gone(s->lib, sess_id(sess));
	if (s->clu != NULL)
		clu_session_reset(s->clu, sess);
}

static int
srv_clu_runtime_send(void *ctx, struct sess *sess, uint64_t gen,
    const void *p, size_t n)
{
	(void)ctx;
	return sess_runtime_send(sess, gen, p, n);
}

static void
srv_clu_notify(void *ctx, struct sess *sess, const void *p, size_t n)
{
	(void)ctx;
	sess_notify(sess, p, n);
}

static void
srv_clu_run_output(void *ctx, struct sess *sess, uint64_t run,
    const msgpack_object *output)
{
	(void)ctx;
	sess_run_output(sess, run, output);
}

static char *
srv_clu_project_dir(void *ctx, struct sess *sess)
{
	(void)ctx;
	return sess_project_dir(sess);
}

/* Start-up. */

/*
 * Raises the open-file soft limit to the hard limit: every client,
 * worker, runtime pipe and store holds descriptors, and the usual soft
 * limit of 1024 is a few hundred connections away. Runtimes and workers
 * inherit it.
 */
static void
srv_raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == rl.rlim_max)
		return;
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
		log_info("cannot raise the open-file limit to %llu: %s",
		    (unsigned long long)rl.rlim_max, strerror(errno));
}

static int
srv_dir_prepare(const char *dir, struct gl_err *err)
{
	struct stat st;

	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return gl_err_set(err, gl_err_from_errno(errno),
		    "cannot create runtime directory %s: %s", dir,
		    strerror(errno));
	if (lstat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
		return gl_err_set(err, GL_EPERM, "%s is not a directory", dir);
	if (st.st_uid != geteuid() || (st.st_mode & 077) != 0)
		return gl_err_set(err, GL_EPERM, "runtime directory %s must be "
		    "owned by uid %u with mode 0700", dir,
		    (unsigned)geteuid());
	return 0;
}

static int
srv_lock(struct srv *s, struct gl_err *err)
{
	char	*pid = NULL;
	size_t	 len;
	int	 e;

	s->lock_fd = open(s->lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (s->lock_fd < 0)
		return gl_err_set(err, gl_err_from_errno(errno),
		    "cannot open %s: %s", s->lock_path, strerror(errno));
	if (flock(s->lock_fd, LOCK_EX | LOCK_NB) == 0)
		return 0;
	e = errno;
	close(s->lock_fd);
	s->lock_fd = -1;
	if (e != EWOULDBLOCK)
		return gl_err_set(err, GL_EIO, "cannot lock %s: %s",
		    s->lock_path, strerror(e));
	if (gl_file_read(s->pid_path, &pid, &len, NULL) == 0) {
		pid[strcspn(pid, "\n")] = '\0';
		gl_err_set(err, GL_EBUSY, "a kernel (pid %s) already serves %s",
		    pid, s->dir);
		free(pid);
		return GL_EBUSY;
	}
	return gl_err_set(err, GL_EBUSY, "a kernel already serves %s", s->dir);
}

static int
srv_listen_unix(struct srv *s, struct gl_err *err)
{
	int rc;

	/* We hold the lock: any socket file left here is stale. */
	if (unlink(s->sock_path) != 0 && errno != ENOENT)
		return gl_err_set(err, gl_err_from_errno(errno),
		    "cannot remove stale %s: %s", s->sock_path,
		    strerror(errno));
	if ((rc = uv_pipe_init(&s->loop, &s->unix_l, 0)) != 0)
		return gl_err_set(err, GL_EIO, "%s: %s", s->sock_path,
		    uv_strerror(rc));
	s->unix_l.data = s;
	s->unix_on = true;
	if ((rc = uv_pipe_bind(&s->unix_l, s->sock_path)) != 0 ||
	    (rc = uv_listen((uv_stream_t *)&s->unix_l, 128,
	    srv_on_unix_conn)) != 0)
		return gl_err_set(err, GL_EIO, "cannot listen on %s: %s",
		    s->sock_path, uv_strerror(rc));
	(void)chmod(s->sock_path, 0600);
	return 0;
}

/* kernel.pid, replaced whole by a rename. No fsync: it only names the
 * kernel in messages and dies with it; kernel start-up is on the path of
 * `galley run`. */
static int
srv_write_pid(struct srv *s, struct gl_err *err)
{
	char	*tmp = xasprintf("%s.tmp", s->pid_path);
	char	 pid[32];
	int	 fd, n, rc;

	n = snprintf(pid, sizeof pid, "%d\n", (int)getpid());
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0644)) < 0)
		goto fail;
	if (write(fd, pid, (size_t)n) != n) {
		close(fd);
		goto fail;
	}
	if (close(fd) != 0 || rename(tmp, s->pid_path) != 0)
		goto fail;
	free(tmp);
	return 0;
fail:
	rc = gl_err_set(err, gl_err_from_errno(errno), "cannot write %s: %s",
	    s->pid_path, strerror(errno));
	unlink(tmp);
	free(tmp);
	return rc;
}

/* A listener that failed is closed; another may start once it is. */
static void
srv_on_tcp_closed(uv_handle_t *h)
{
	struct srv	*s = h->data;

	s->tcp_closing = false;
}

int
srv_listen_tcp(struct srv *s, const char *spec, struct gl_err *err)
{
	int	 rc;

	if (s->tcp_on || s->tcp_closing)
		return gl_err_set(err, GL_EEXIST, "the kernel listens on "
		    "%s already", s->tcp_on ? s->listen_addr : "TCP");
	uv_tcp_init(&s->loop, &s->tcp_l);
	s->tcp_l.data = s;
	if ((rc = conn_tcp_listen(&s->tcp_l, "--listen", spec,
	    srv_on_tcp_conn, s->listen_addr, sizeof s->listen_addr,
	    err)) != 0) {
		s->tcp_closing = true;
		uv_close((uv_handle_t *)&s->tcp_l, srv_on_tcp_closed);
		return rc;
	}
	s->tcp_on = true;
	return 0;
}

/* Shutdown. */

void
srv_stop(struct srv *s, const char *why)
{
	if (s->stopping)
		return;
	s->stopping = true;
	if (why != NULL)
		log_info("shutting down: %s", why);
	if (s->unix_on)
		uv_close((uv_handle_t *)&s->unix_l, srv_on_handle_closed);
	if (s->tcp_on)
		uv_close((uv_handle_t *)&s->tcp_l, srv_on_handle_closed);
	s->unix_on = s->tcp_on = false;
	srv_say_stopping(s, why);
	(void)log_limit_flush(&s->refused, (int64_t)uv_now(&s->loop), true);
	if (s->handles_on) {
		uv_close((uv_handle_t *)&s->sigterm, srv_on_handle_closed);
		uv_close((uv_handle_t *)&s->sigint, srv_on_handle_closed);
		uv_close((uv_handle_t *)&s->idle, srv_on_handle_closed);
		uv_close((uv_handle_t *)&s->refused_t, srv_on_handle_closed);
	}
	srv_client_close_all(s, true);
	sess_set_close(s->sessions);
	if (s->clu != NULL) {
		clu_close(s->clu);	/* frees itself once closed */
		s->clu = NULL;
	}
	if (s->handles_on) {
		if (s->nclients > 0)
			uv_timer_start(&s->grace, srv_on_grace, SRV_GRACE_MS,
			    0);
		else
			uv_close((uv_handle_t *)&s->grace,
			    srv_on_handle_closed);
	}
}

/* kernel.stopping {reason, message} to every client before they are
 * closed: a client can tell a kernel stopped on purpose from one that
 * died, and need not start a new one behind its user's back. */
static void
srv_say_stopping(struct srv *s, const char *why)
{
	struct rpc_writer	 w;
	const char		*reason = "stopped", *msg = why;

	if (why == NULL)
		return;			/* a failed start: no clients */
	if (strcmp(why, "kernel.shutdown") == 0)
		msg = "galley kernel stop";
	else if (strncmp(why, "SIG", 3) == 0)
		reason = "signal";
	else if (strncmp(why, "idle", 4) == 0)
		reason = "idle";
	rpc_writer_init(&w);
	rpc_begin_notify(&w, "kernel.stopping");
	msgpack_pack_map(&w.pk, 2);
	rpc_pack_kv_str(&w.pk, "reason", reason);
	rpc_pack_kv_str(&w.pk, "message", msg);
	srv_client_notify_all(s, w.sbuf.data, w.sbuf.size);
	rpc_writer_fini(&w);
}

static void
srv_on_signal(uv_signal_t *h, int signum)
{
	struct srv *s = h->data;

	srv_stop(s, signum == SIGTERM ? "SIGTERM" : "SIGINT");
}

static void
srv_on_idle(uv_timer_t *t)
{
	struct srv	*s = t->data;
	char		 why[64];

	if (s->nclients > 0 || sess_set_busy(s->sessions) ||
	    (s->clu != NULL && clu_busy(s->clu)))
		return;
	snprintf(why, sizeof why, "idle for %u ms", s->opts->idle_exit_ms);
	srv_stop(s, why);
}

static void
srv_on_grace(uv_timer_t *t)
{
	struct srv	*s = t->data;

	log_info("closing %zu clients that did not drain", s->nclients);
	srv_client_close_all(s, false);
	uv_close((uv_handle_t *)&s->grace, srv_on_handle_closed);
}

static void
srv_on_handle_closed(uv_handle_t *h)
{
	(void)h;
}

static void
srv_on_walk_close(uv_handle_t *h, void *arg)
{
	(void)arg;
	if (!uv_is_closing(h))
		uv_close(h, NULL);
}

/* Listeners. */

static void
srv_on_unix_conn(uv_stream_t *l, int status)
{
	struct srv *s = l->data;

	if (status < 0) {
		log_info("accept on %s: %s", s->sock_path, uv_strerror(status));
		return;
	}
	srv_client_accept(s, l, false);
}

static void
srv_on_tcp_conn(uv_stream_t *l, int status)
{
	struct srv *s = l->data;

	if (status < 0) {
		log_info("accept on %s: %s", s->listen_addr,
		    uv_strerror(status));
		return;
	}
	srv_client_accept(s, l, true);
}

/* Methods of the kernel itself. */

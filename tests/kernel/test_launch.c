/*
 * test_launch.c - the launchers (kernel/launch.c) with real processes: a
 * TCP listener on 127.0.0.1 stands in for the kernel's cluster service,
 * and the workers the launcher starts connect back to it and say who they
 * are (the --name, --connect and secret they were given). The worker is
 * this very test program run as `test_launch fake-worker ...` (the
 * launcher's worker_argv option): a real process that connects, reads its
 * secret from the file or from stdin, and exits when its connection
 * closes, or at EOF on stdin when the secret came that way (the rule the
 * real `galley worker --secret-file -` follows, docs/cluster.md).
 *
 * local and command run everywhere; ssh brings up a private sshd
 * (scripts/sshd-up.sh) on a free loopback port, slurm a private one-node
 * Slurm (scripts/slurm-up.sh); each is skipped, saying so, only when its
 * packages are not installed (scripts/setup.sh installs them). Every test
 * checks that nothing it started is left: processes gone, Slurm jobs gone
 * from squeue, daemons stopped by pid.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <uv.h>

#include "core/err.h"
#include "core/mem.h"
#include "core/util.h"
#include "kernel/launch.h"
#include "lua/config.h"

#define DEADLINE_MS	30000
#define MAXC		32

/* --- the fake worker (a mode of this program) --- */

static int
fake_worker(int argc, char **argv)
{
	const char	*connect_to = NULL, *file = NULL, *name = NULL;
	char		 secret[512] = "", host[256], line[2048];
	struct sockaddr_in sa;
	struct pollfd	 pf[2];
	char		*colon;
	FILE		*fp;
	int		 fd, n, nfds;

	for (int i = 2; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--connect") == 0)
			connect_to = argv[i + 1];
		else if (strcmp(argv[i], "--secret-file") == 0)
			file = argv[i + 1];
		else if (strcmp(argv[i], "--name") == 0)
			name = argv[i + 1];
	}
	if (connect_to == NULL || file == NULL || name == NULL) {
		fprintf(stderr, "fake-worker: missing --connect, "
		    "--secret-file or --name\n");
		return 2;
	}
	if (strcmp(file, "-") == 0) {
		/* One line from stdin, read byte by byte so nothing after
		 * it is taken from the pipe. */
		size_t k = 0;
		char c;

		while (k < sizeof secret - 1 && read(0, &c, 1) == 1 &&
		    c != '\n')
			secret[k++] = c;
		secret[k] = '\0';
	} else {
		if ((fp = fopen(file, "r")) == NULL) {
			fprintf(stderr, "fake-worker: %s: %s\n", file,
			    strerror(errno));
			return 3;
		}
		if (fgets(secret, sizeof secret, fp) == NULL)
			secret[0] = '\0';
		fclose(fp);
		secret[strcspn(secret, "\r\n")] = '\0';
	}
	snprintf(host, sizeof host, "%s", connect_to);
	if ((colon = strrchr(host, ':')) == NULL)
		return 4;
	*colon = '\0';
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)atoi(colon + 1));
	if (inet_pton(AF_INET, host, &sa.sin_addr) != 1)
		return 4;
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) < 0 ||
	    connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
		fprintf(stderr, "fake-worker: connect %s: %s\n", connect_to,
		    strerror(errno));
		return 5;
	}
	n = snprintf(line, sizeof line, "hello pid=%d name=%s connect=%s "
	    "file=%s secret=%s\n", (int)getpid(), name, connect_to, file,
	    secret);
	if (write(fd, line, (size_t)n) != n)
		return 6;
	/* Until the connection closes, or stdin ends (secret from stdin). */
	pf[0].fd = fd;
	pf[0].events = POLLIN;
	pf[1].fd = 0;
	pf[1].events = POLLIN;
	nfds = strcmp(file, "-") == 0 ? 2 : 1;
	for (;;) {
		if (poll(pf, (nfds_t)nfds, -1) < 0) {
			if (errno == EINTR)
				continue;
			return 7;
		}
		if (pf[0].revents != 0) {
			if (read(fd, line, sizeof line) <= 0)
				break;
		}
		if (nfds == 2 && pf[1].revents != 0) {
			if (read(0, line, sizeof line) <= 0)
				break;
		}
	}
	close(fd);
	return 0;
}

/* --- the fixture --- */

struct conn {
	uv_tcp_t	 h;
	struct fx	*f;
	char		 buf[2048];
	size_t		 len;
	bool		 hello;
	bool		 eof;
	bool		 closed;
	int		 pid;
	char		 name[128], connect[128], file[512], secret[256];
};

struct lev {
	enum launch_event_kind kind;
	char		*name;
	bool		 ntf;
	char		*state;
	int		 status, sig;
	char		*msg;
};

struct fx {
	uv_loop_t	 loop;
	uv_tcp_t	 server;
	uv_timer_t	 wake;
	char		 dir[64];
	char		 secret_path[128];
	char		 secret[80];
	char		 addr[64];
	char		 self[4096];
	struct conn	*c[MAXC];
	size_t		 nc;
	struct lev	 ev[64];
	size_t		 nev;
	struct launch	*l;
	bool		 closed;
	char		*problem;
	int		 late;		/* callbacks after launch_close */
	bool		 closing;
	char		*sshd_dir;	/* brought up: taken down at teardown */
	char		*slurm_dir;
};

static const char *fx_worker_argv[3];

static int	 run_script(const char *name, const char *arg);

static int64_t
now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
on_alloc(uv_handle_t *h, size_t size, uv_buf_t *buf)
{
	struct conn	*c = h->data;

	(void)size;
	*buf = uv_buf_init(c->buf + c->len, (unsigned)(sizeof c->buf - 1 -
	    c->len));
}

static void
on_conn_close(uv_handle_t *h)
{
	struct conn	*c = h->data;

	c->closed = true;
}

static void
conn_close(struct conn *c)
{
	if (!uv_is_closing((uv_handle_t *)&c->h))
		uv_close((uv_handle_t *)&c->h, on_conn_close);
}

static void
on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct conn	*c = s->data;
	char		*nl;

	(void)buf;
	if (n < 0) {
		c->eof = true;
		conn_close(c);
		return;
	}
	c->len += (size_t)n;
	c->buf[c->len] = '\0';
	if (!c->hello && (nl = strchr(c->buf, '\n')) != NULL) {
		*nl = '\0';
		if (sscanf(c->buf, "hello pid=%d name=%127s connect=%127s "
		    "file=%511s secret=%255s", &c->pid, c->name, c->connect,
		    c->file, c->secret) == 5)
			c->hello = true;
		c->len = 0;
	}
	if (c->len >= sizeof c->buf - 1)
		c->len = 0;
}

static void
on_connection(uv_stream_t *server, int status)
{
	struct fx	*f = server->data;
	struct conn	*c;

	if (status != 0 || f->nc == MAXC)
		return;
	c = xcalloc(1, sizeof *c);
	c->f = f;
	uv_tcp_init(&f->loop, &c->h);
	c->h.data = c;
	if (uv_accept(server, (uv_stream_t *)&c->h) != 0) {
		uv_close((uv_handle_t *)&c->h, NULL);
		free(c);
		return;
	}
	f->c[f->nc++] = c;
	uv_read_start((uv_stream_t *)&c->h, on_alloc, on_read);
}

static void
on_event(void *ctx, const struct launch_event *e)
{
	struct fx	*f = ctx;
	struct lev	*v;

	if (f->closing)
		f->late++;
	if (e->kind == LAUNCH_EV_NOTICE) {
		fprintf(stderr, "# notice: %s\n", e->msg);
		return;
	}
	if (f->nev == sizeof f->ev / sizeof f->ev[0])
		return;
	v = &f->ev[f->nev++];
	v->kind = e->kind;
	v->name = xstrdup(e->name != NULL ? e->name : "");
	v->ntf = e->not_task_fault;
	v->state = e->state != NULL ? xstrdup(e->state) : NULL;
	v->status = e->exit_status;
	v->sig = e->term_signal;
	v->msg = xstrdup(e->msg);
	fprintf(stderr, "# event: %s\n", e->msg);
}

static void
on_wake(uv_timer_t *t)
{
	(void)t;
}

/* Runs the loop until pred holds, waking every 10 ms to look. */
static bool
run_until(struct fx *f, bool (*pred)(struct fx *, const void *),
    const void *arg, int ms)
{
	int64_t	 end = now_ms() + ms;

	uv_timer_start(&f->wake, on_wake, 10, 10);
	while (!pred(f, arg) && now_ms() < end)
		uv_run(&f->loop, UV_RUN_ONCE);
	uv_timer_stop(&f->wake);
	return pred(f, arg);
}

#define WAIT(f, pred, arg, what) do {					\
	if (!run_until((f), (pred), (arg), DEADLINE_MS))		\
		fail_msg("timed out waiting for %s", (what));		\
} while (0)

static int
fx_setup(void **state)
{
	struct fx		*f = xcalloc(1, sizeof *f);
	struct sockaddr_in	 sa;
	struct sockaddr_storage	 ss;
	int			 len = sizeof ss, fd;
	unsigned char		 r[16];
	ssize_t			 n;
	FILE			*fp;

	snprintf(f->dir, sizeof f->dir, "/tmp/gl-launch-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->secret_path, sizeof f->secret_path, "%s/secret", f->dir);
	fp = fopen("/dev/urandom", "r");
	assert_non_null(fp);
	assert_int_equal(fread(r, 1, sizeof r, fp), sizeof r);
	fclose(fp);
	for (size_t i = 0; i < sizeof r; i++)
		snprintf(f->secret + 2 * i, 3, "%02x", r[i]);
	fd = open(f->secret_path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	assert_true(write(fd, f->secret, strlen(f->secret)) > 0);
	assert_int_equal(write(fd, "\n", 1), 1);
	close(fd);
	n = readlink("/proc/self/exe", f->self, sizeof f->self - 1);
	assert_true(n > 0);
	f->self[n] = '\0';
	fx_worker_argv[0] = f->self;
	fx_worker_argv[1] = "fake-worker";
	fx_worker_argv[2] = NULL;

	assert_int_equal(uv_loop_init(&f->loop), 0);
	uv_timer_init(&f->loop, &f->wake);
	uv_tcp_init(&f->loop, &f->server);
	f->server.data = f;
	uv_ip4_addr("127.0.0.1", 0, &sa);
	assert_int_equal(uv_tcp_bind(&f->server, (struct sockaddr *)&sa, 0), 0);
	assert_int_equal(uv_listen((uv_stream_t *)&f->server, 64,
	    on_connection), 0);
	assert_int_equal(uv_tcp_getsockname(&f->server,
	    (struct sockaddr *)&ss, &len), 0);
	snprintf(f->addr, sizeof f->addr, "127.0.0.1:%d",
	    ntohs(((struct sockaddr_in *)&ss)->sin_port));
	*state = f;
	return 0;
}

static void
rm_rf(const char *dir)
{
	char	*cmd = xasprintf("rm -rf '%s'", dir);

	if (system(cmd) != 0)
		fprintf(stderr, "# could not remove %s\n", dir);
	free(cmd);
}

static bool
is_closed(struct fx *f, const void *arg)
{
	(void)arg;
	return f->closed;
}

static void
on_closed(void *ctx, const char *problem)
{
	struct fx	*f = ctx;

	f->closed = true;
	f->problem = problem != NULL ? xstrdup(problem) : NULL;
}

/* Closes the launcher (if any) and waits for its callback. */
static void
fx_close_launcher(struct fx *f)
{
	if (f->l == NULL)
		return;
	f->closing = true;
	f->closed = false;
	launch_close(f->l, on_closed, f);
	f->l = NULL;
	WAIT(f, is_closed, NULL, "launch_close to finish");
	assert_int_equal(f->late, 0);
	if (f->problem != NULL)
		fail_msg("launch_close: %s", f->problem);
	f->closing = false;
}

static bool
all_conns_closed(struct fx *f, const void *arg)
{
	(void)arg;
	for (size_t i = 0; i < f->nc; i++)
		if (!f->c[i]->closed)
			return false;
	return true;
}

static int
fx_teardown(void **state)
{
	struct fx	*f = *state;

	fx_close_launcher(f);
	for (size_t i = 0; i < f->nc; i++)
		conn_close(f->c[i]);
	run_until(f, all_conns_closed, NULL, 5000);
	/* A failed test still leaves no daemon behind. */
	if (f->slurm_dir != NULL && run_script("slurm-down.sh",
	    f->slurm_dir) != 0)
		fprintf(stderr, "# slurm-down.sh %s failed\n", f->slurm_dir);
	if (f->sshd_dir != NULL && run_script("sshd-down.sh",
	    f->sshd_dir) != 0)
		fprintf(stderr, "# sshd-down.sh %s failed\n", f->sshd_dir);
	free(f->slurm_dir);
	free(f->sshd_dir);
	uv_close((uv_handle_t *)&f->server, NULL);
	uv_close((uv_handle_t *)&f->wake, NULL);
	uv_run(&f->loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&f->loop), 0);
	for (size_t i = 0; i < f->nc; i++)
		free(f->c[i]);
	for (size_t i = 0; i < f->nev; i++) {
		free(f->ev[i].name);
		free(f->ev[i].state);
		free(f->ev[i].msg);
	}
	free(f->problem);
	rm_rf(f->dir);
	free(f);
	return 0;
}

static struct launch *
fx_launcher(struct fx *f, const struct cfg_cluster *cc,
    const char *const *wargv)
{
	struct launch_opts	 o;
	struct gl_err		 err = { 0 };
	struct launch		*l;

	memset(&o, 0, sizeof o);
	o.cfg = cc;
	o.addr = f->addr;
	o.secret_file = f->secret_path;
	o.worker_argv = wargv != NULL ? wargv : fx_worker_argv;
	o.work_dir = NULL;
	l = launch_new(&f->loop, &o, on_event, f, &err);
	if (l == NULL)
		fail_msg("launch_new: %s", err.msg);
	f->l = l;
	return l;
}

static struct conn *
conn_named(struct fx *f, const char *name)
{
	for (size_t i = 0; i < f->nc; i++)
		if (f->c[i]->hello && strcmp(f->c[i]->name, name) == 0)
			return f->c[i];
	return NULL;
}

static bool
hellos_at_least(struct fx *f, const void *arg)
{
	size_t	 n = 0;

	for (size_t i = 0; i < f->nc; i++)
		if (f->c[i]->hello)
			n++;
	return n >= *(const size_t *)arg;
}

static bool
events_at_least(struct fx *f, const void *arg)
{
	return f->nev >= *(const size_t *)arg;
}

/* A process is gone: no such pid, or a zombie some other parent has not
 * reaped yet (init in a container may be slow to). */
static bool
pid_gone(int pid)
{
	char	 path[64], buf[512], *p;
	FILE	*fp;
	bool	 zombie = false;

	if (kill(pid, 0) != 0 && errno == ESRCH)
		return true;
	snprintf(path, sizeof path, "/proc/%d/stat", pid);
	if ((fp = fopen(path, "r")) == NULL)
		return true;
	if (fgets(buf, sizeof buf, fp) != NULL &&
	    (p = strrchr(buf, ')')) != NULL && p[1] == ' ' && p[2] == 'Z')
		zombie = true;
	fclose(fp);
	return zombie;
}

static bool
pids_gone(struct fx *f, const void *arg)
{
	(void)arg;
	for (size_t i = 0; i < f->nc; i++)
		if (f->c[i]->hello && !pid_gone(f->c[i]->pid))
			return false;
	return true;
}

static bool
conn_eof(struct fx *f, const void *arg)
{
	(void)f;
	return ((const struct conn *)arg)->eof;
}

static bool
pid_gone_pred(struct fx *f, const void *arg)
{
	(void)f;
	return pid_gone(*(const int *)arg);
}

/* Checks the hellos of names[0..n): each came with the name, our address
 * and the secret, from the file (or "-": stdin). */
static void
check_hellos(struct fx *f, char **names, int n, bool stdin_secret)
{
	for (int i = 0; i < n; i++) {
		struct conn *c = conn_named(f, names[i]);

		if (c == NULL)
			fail_msg("no worker said hello as %s", names[i]);
		assert_string_equal(c->connect, f->addr);
		assert_string_equal(c->secret, f->secret);
		assert_string_equal(c->file, stdin_secret ? "-" :
		    f->secret_path);
		assert_true(c->pid > 0);
	}
}

static void
free_names(char **names, int n)
{
	for (int i = 0; i < n; i++)
		free(names[i]);
}

/* --- local --- */

static void
test_local_start_stop(void **state)
{
	struct fx	*f = *state;
	struct cfg	*c = cfg_defaults();
	struct gl_err	 err = { 0 };
	char		*names[3] = { 0 };
	size_t		 want = 3;
	struct conn	*c0;
	int		 pid0;

	fx_launcher(f, &c->cluster, NULL);
	assert_string_equal(launch_kind(f->l), "local");
	assert_int_equal(launch_start(f->l, 3, names, &err), 3);
	assert_int_equal(launch_count(f->l), 3);
	WAIT(f, hellos_at_least, &want, "3 local workers to connect");
	check_hellos(f, names, 3, false);
	/* Three distinct names and processes. */
	assert_string_not_equal(names[0], names[1]);
	assert_string_not_equal(names[1], names[2]);
	for (int i = 0; i < 3; i++)
		assert_int_equal(launch_worker_up(f->l, names[i]), 0);
	assert_int_equal(launch_worker_up(f->l, "nobody"), GL_ENOTFOUND);

	/* Stopping one: its process goes, no event, the others stay. */
	c0 = conn_named(f, names[0]);
	pid0 = c0->pid;
	assert_int_equal(launch_stop(f->l, names[0]), 0);
	assert_int_equal(launch_stop(f->l, names[0]), GL_ENOTFOUND);
	assert_int_equal(launch_count(f->l), 2);
	WAIT(f, conn_eof, c0, "the stopped worker's connection to close");
	WAIT(f, pid_gone_pred, &pid0, "the stopped worker's process to go");
	assert_false(conn_named(f, names[1])->eof);
	assert_int_equal(f->nev, 0);

	/* Closing stops and reaps the rest. */
	fx_close_launcher(f);
	WAIT(f, pids_gone, NULL, "every worker process to go");
	assert_int_equal(f->nev, 0);
	free_names(names, 3);
	cfg_free(c);
}

static void
test_local_death_is_reported(void **state)
{
	struct fx	*f = *state;
	struct cfg	*c = cfg_defaults();
	struct gl_err	 err = { 0 };
	char		*names[1] = { 0 };
	size_t		 one = 1;
	struct conn	*w;

	fx_launcher(f, &c->cluster, NULL);
	assert_int_equal(launch_start(f->l, 1, names, &err), 1);
	WAIT(f, hellos_at_least, &one, "the worker to connect");
	w = conn_named(f, names[0]);
	assert_int_equal(launch_worker_up(f->l, names[0]), 0);
	assert_int_equal(kill(w->pid, SIGKILL), 0);
	WAIT(f, events_at_least, &one, "the death to be reported");
	assert_int_equal(f->ev[0].kind, LAUNCH_EV_ENDED);
	assert_string_equal(f->ev[0].name, names[0]);
	assert_int_equal(f->ev[0].sig, SIGKILL);
	assert_false(f->ev[0].ntf);
	assert_non_null(strstr(f->ev[0].msg, "signal 9"));
	assert_int_equal(launch_count(f->l), 0);
	/* Reported once: the name is gone. */
	assert_int_equal(launch_worker_lost(f->l, names[0]), GL_ENOTFOUND);
	free_names(names, 1);
	cfg_free(c);
}

static void
test_local_failed_start(void **state)
{
	struct fx	*f = *state;
	struct cfg	*c = cfg_defaults();
	struct gl_err	 err = { 0 };
	char		*names[2] = { 0 };
	size_t		 two = 2;
	const char	*boom[] = { "/bin/sh", "-c",
	    "echo 'worker: cannot load the codec' >&2; exit 3", "sh", NULL };
	const char	*missing[] = { "/nonexistent/galley", "worker", NULL };

	fx_launcher(f, &c->cluster, boom);
	assert_int_equal(launch_start(f->l, 2, names, &err), 2);
	WAIT(f, events_at_least, &two, "two start failures");
	for (int i = 0; i < 2; i++) {
		assert_int_equal(f->ev[i].kind, LAUNCH_EV_FAILED);
		assert_int_equal(f->ev[i].status, 3);
		assert_non_null(strstr(f->ev[i].msg, "exit status 3"));
		assert_non_null(strstr(f->ev[i].msg,
		    "cannot load the codec"));
		assert_non_null(strstr(f->ev[i].msg, "before it connected"));
	}
	free_names(names, 2);
	fx_close_launcher(f);

	/* A program that cannot run: refused at once, naming it. */
	fx_launcher(f, &c->cluster, missing);
	assert_int_equal(launch_start(f->l, 1, NULL, &err), GL_ENOTFOUND);
	assert_non_null(strstr(err.msg, "/nonexistent/galley"));
	assert_int_equal(launch_count(f->l), 0);
	cfg_free(c);
}

static void
test_local_start_timeout(void **state)
{
	struct fx	*f = *state;
	struct cfg	*c = cfg_defaults();
	struct gl_err	 err = { 0 };
	char		*names[1] = { 0 };
	size_t		 one = 1;
	const char	*mute[] = { "/bin/sh", "-c", "echo $$ >\"$0\"; "
	    "exec sleep 60", NULL, NULL };
	char		*pidfile = xasprintf("%s/mute.pid", f->dir), *text;
	size_t		 len;
	int		 pid;

	mute[3] = pidfile;
	c->cluster.start_timeout_ms = 300;
	c->cluster.stop_grace_ms = 200;
	fx_launcher(f, &c->cluster, mute);
	assert_int_equal(launch_start(f->l, 1, names, &err), 1);
	WAIT(f, events_at_least, &one, "the start timeout");
	assert_int_equal(f->ev[0].kind, LAUNCH_EV_FAILED);
	assert_non_null(strstr(f->ev[0].msg, "did not connect"));
	assert_int_equal(gl_file_read(pidfile, &text, &len, NULL), 0);
	pid = atoi(text);
	free(text);
	WAIT(f, pid_gone_pred, &pid, "the silent worker to be killed");
	assert_int_equal(f->nev, 1);
	free(pidfile);
	free_names(names, 1);
	cfg_free(c);
}

static void
test_local_lost_connection(void **state)
{
	struct fx	*f = *state;
	struct cfg	*c = cfg_defaults();
	struct gl_err	 err = { 0 };
	char		*names[1] = { 0 };
	size_t		 one = 1;
	struct conn	*w;
	int		 pid;
	const char	*deaf[] = { "/bin/sh", "-c", "echo $$ >\"$FAKE_PIDFILE\"; "
	    "\"$0\" fake-worker \"$@\"; exec sleep 60", NULL, NULL };
	char		*pidfile = xasprintf("%s/deaf.pid", f->dir), *text;
	size_t		 len;

	/* A worker that stays alive after its connection went: the
	 * launcher kills it and reports the loss. */
	deaf[3] = f->self;
	setenv("FAKE_PIDFILE", pidfile, 1);
	fx_launcher(f, &c->cluster, deaf);
	assert_int_equal(launch_start(f->l, 1, names, &err), 1);
	WAIT(f, hellos_at_least, &one, "the worker to connect");
	assert_int_equal(launch_worker_up(f->l, names[0]), 0);
	w = conn_named(f, names[0]);
	assert_int_equal(gl_file_read(pidfile, &text, &len, NULL), 0);
	pid = atoi(text);
	free(text);
	conn_close(w);
	assert_int_equal(launch_worker_lost(f->l, names[0]), 0);
	WAIT(f, events_at_least, &one, "the loss to be reported");
	assert_int_equal(f->ev[0].kind, LAUNCH_EV_ENDED);
	assert_non_null(strstr(f->ev[0].msg, "connection lost"));
	assert_non_null(strstr(f->ev[0].msg, "killed"));
	assert_false(f->ev[0].ntf);
	WAIT(f, pid_gone_pred, &pid, "the worker to be gone");
	unsetenv("FAKE_PIDFILE");
	free(pidfile);
	free_names(names, 1);
	cfg_free(c);
}

/* --- command --- */

static void
test_command_without_stop(void **state)
{
	struct fx	*f = *state;
	struct cfg	*c = cfg_defaults();
	struct gl_err	 err = { 0 };
	char		*names[2] = { 0 };
	size_t		 two = 2;

	/* The start command is the worker's lifetime. */
	c->cluster.launcher = CFG_LAUNCH_COMMAND;
	c->cluster.command.start = xstrdup("test \"$GALLEY_WORKER_NAME\" = "
	    "{name} && test {n} = 2 && test {cpus} = 3 && exec {worker_cmd}");
	c->cluster.command.cpus_per_worker = 3;
	fx_launcher(f, &c->cluster, NULL);
	assert_int_equal(launch_start(f->l, 2, names, &err), 2);
	WAIT(f, hellos_at_least, &two, "2 command workers to connect");
	check_hellos(f, names, 2, false);
	assert_int_equal(launch_stop(f->l, names[0]), 0);
	WAIT(f, conn_eof, conn_named(f, names[0]), "worker 1 to stop");
	fx_close_launcher(f);
	WAIT(f, pids_gone, NULL, "the command workers to go");
	assert_int_equal(f->nev, 0);
	free_names(names, 2);
	cfg_free(c);
}

static void
test_command_with_stop(void **state)
{
	struct fx	*f = *state;
	struct cfg	*c = cfg_defaults();
	struct gl_err	 err = { 0 };
	char		*names[2] = { 0 };
	size_t		 two = 2;
	struct conn	*w0, *w1;

	/* A submitter: starts the worker in the background and prints its
	 * id; the stop template ends it by that id (as `kubectl delete pod
	 * {id}` or `qdel {id}` would). */
	c->cluster.launcher = CFG_LAUNCH_COMMAND;
	c->cluster.command.start = xstrdup("{worker_cmd} </dev/null "
	    ">/dev/null 2>&1 & echo \"submitted {name}\" >&2; echo $!");
	c->cluster.command.stop = xstrdup("kill {id}");
	fx_launcher(f, &c->cluster, NULL);
	assert_int_equal(launch_start(f->l, 2, names, &err), 2);
	WAIT(f, hellos_at_least, &two, "2 submitted workers to connect");
	check_hellos(f, names, 2, false);
	w0 = conn_named(f, names[0]);
	w1 = conn_named(f, names[1]);
	assert_int_equal(launch_worker_up(f->l, names[0]), 0);
	assert_int_equal(launch_stop(f->l, names[0]), 0);
	WAIT(f, pid_gone_pred, &w0->pid, "kill {id} to stop worker 1");
	assert_false(pid_gone(w1->pid));
	fx_close_launcher(f);
	WAIT(f, pid_gone_pred, &w1->pid, "close to stop worker 2");
	assert_int_equal(f->nev, 0);
	free_names(names, 2);
	cfg_free(c);
}

static void
test_command_secret_on_stdin(void **state)
{
	struct fx	*f = *state;
	struct cfg	*c = cfg_defaults();
	struct gl_err	 err = { 0 };
	char		*names[1] = { 0 };
	size_t		 one = 1;
	struct conn	*w;

	c->cluster.launcher = CFG_LAUNCH_COMMAND;
	c->cluster.command.start = xstrdup("exec {worker_cmd}");
	c->cluster.command.secret_on_stdin = true;
	c->cluster.stop_grace_ms = 20000;	/* EOF must do it, not a signal */
	fx_launcher(f, &c->cluster, NULL);
	assert_int_equal(launch_start(f->l, 1, names, &err), 1);
	WAIT(f, hellos_at_least, &one, "the worker to connect");
	check_hellos(f, names, 1, true);
	w = conn_named(f, names[0]);
	assert_int_equal(launch_stop(f->l, names[0]), 0);
	WAIT(f, pid_gone_pred, &w->pid, "the worker to exit at EOF");
	free_names(names, 1);
	cfg_free(c);
}

static void
test_command_bad_template(void **state)
{
	struct fx		*f = *state;
	struct cfg		*c = cfg_defaults();
	struct launch_opts	 o;
	struct gl_err		 err = { 0 };

	c->cluster.launcher = CFG_LAUNCH_COMMAND;
	c->cluster.command.start = xstrdup("kubectl run {name} --image=x "
	    "-- {worker_command}");
	memset(&o, 0, sizeof o);
	o.cfg = &c->cluster;
	o.addr = f->addr;
	o.secret_file = f->secret_path;
	assert_null(launch_new(&f->loop, &o, on_event, f, &err));
	assert_int_equal(err.code, GL_EINVAL);
	assert_non_null(strstr(err.msg, "{worker_command}"));
	cfg_free(c);
}

/* --- ssh --- */

static bool
have_prog(const char *path)
{
	return access(path, X_OK) == 0;
}

/* Reads KEY=value from an env file the scripts write. Caller frees. */
static char *
env_get(const char *file, const char *key)
{
	FILE	*fp = fopen(file, "r");
	char	 line[1024], *v = NULL;
	size_t	 k = strlen(key);

	if (fp == NULL)
		return NULL;
	while (fgets(line, sizeof line, fp) != NULL) {
		char *p = line;

		if (strncmp(p, "export ", 7) == 0)
			p += 7;
		if (strncmp(p, key, k) == 0 && p[k] == '=') {
			p[strcspn(p, "\n")] = '\0';
			v = xstrdup(p + k + 1);
			break;
		}
	}
	fclose(fp);
	return v;
}

static int
run_script(const char *name, const char *arg)
{
	const char	*src = getenv("GALLEY_SRC");
	char		*cmd;
	int		 rc;

	cmd = xasprintf("sh '%s/scripts/%s' '%s' >/dev/null", src != NULL ? src :
	    ".", name, arg);
	rc = system(cmd);
	free(cmd);
	return rc;
}

static void
test_ssh(void **state)
{
	struct fx	*f = *state;
	struct cfg	*c;
	struct gl_err	 err = { 0 };
	char		*names[3] = { 0 }, *sdir, *envf, *host, *key, *kh;
	char		*opts[3];
	size_t		 two = 2, one = 1;
	struct conn	*w0, *w1;

	if (!have_prog("/usr/sbin/sshd") || !have_prog("/usr/bin/ssh")) {
		fprintf(stderr, "# skipped: openssh-server/openssh-client not "
		    "installed (scripts/setup.sh installs them)\n");
		skip();
	}
	sdir = xasprintf("%s/sshd", f->dir);
	f->sshd_dir = xstrdup(sdir);
	if (run_script("sshd-up.sh", sdir) != 0)
		fail_msg("scripts/sshd-up.sh failed");
	envf = xasprintf("%s/env", sdir);
	host = env_get(envf, "GALLEY_SSH_HOST");
	key = env_get(envf, "GALLEY_SSH_KEY");
	kh = env_get(envf, "GALLEY_SSH_KNOWN_HOSTS");
	assert_non_null(host);
	assert_non_null(key);
	assert_non_null(kh);

	c = cfg_defaults();
	c->cluster.launcher = CFG_LAUNCH_SSH;
	c->cluster.ssh.hosts = xcalloc(2, sizeof *c->cluster.ssh.hosts);
	c->cluster.ssh.hosts[0] = xstrdup(host);
	c->cluster.ssh.nhosts = 1;
	c->cluster.ssh.workers_per_host = 2;
	c->cluster.ssh.identity_file = xstrdup(key);
	opts[0] = xasprintf("UserKnownHostsFile=%s", kh);
	opts[1] = xstrdup("StrictHostKeyChecking=yes");
	opts[2] = xstrdup("IdentitiesOnly=yes");
	c->cluster.ssh.options = xcalloc(4, sizeof *opts);
	memcpy(c->cluster.ssh.options, opts, sizeof opts);
	c->cluster.ssh.noptions = 3;
	c->cluster.stop_grace_ms = 20000;	/* EOF must do it */
	fx_launcher(f, &c->cluster, NULL);
	assert_int_equal(launch_start(f->l, 2, names, &err), 2);
	WAIT(f, hellos_at_least, &two, "2 workers over ssh to connect");
	/* The secret came on the session's stdin, never on a command line. */
	check_hellos(f, names, 2, true);
	for (int i = 0; i < 2; i++)
		assert_int_equal(launch_worker_up(f->l, names[i]), 0);
	/* The host is full. */
	assert_int_equal(launch_start(f->l, 1, NULL, &err), GL_ELIMIT);
	assert_non_null(strstr(err.msg, "workers_per_host"));

	/* Stopping closes the session; the remote worker exits at EOF. */
	w0 = conn_named(f, names[0]);
	w1 = conn_named(f, names[1]);
	assert_int_equal(launch_stop(f->l, names[0]), 0);
	WAIT(f, pid_gone_pred, &w0->pid, "the remote worker to exit");
	assert_false(pid_gone(w1->pid));
	/* Room again on the host. */
	assert_int_equal(launch_start(f->l, 1, &names[2], &err), 1);
	WAIT(f, hellos_at_least, (size_t[]){ 3 }, "a third worker");
	fx_close_launcher(f);
	WAIT(f, pids_gone, NULL, "every remote worker to go");
	assert_int_equal(f->nev, 0);
	free_names(names, 3);
	cfg_free(c);

	/* A host that refuses: FAILED with ssh's own words. */
	c = cfg_defaults();
	c->cluster.launcher = CFG_LAUNCH_SSH;
	c->cluster.ssh.hosts = xcalloc(2, sizeof *c->cluster.ssh.hosts);
	c->cluster.ssh.hosts[0] = xstrdup("127.0.0.1:1");
	c->cluster.ssh.nhosts = 1;
	c->cluster.ssh.identity_file = xstrdup(key);
	fx_launcher(f, &c->cluster, NULL);
	assert_int_equal(launch_start(f->l, 1, NULL, &err), 1);
	WAIT(f, events_at_least, &one, "the refused ssh to be reported");
	assert_int_equal(f->ev[0].kind, LAUNCH_EV_FAILED);
	assert_non_null(strstr(f->ev[0].msg, "ssh"));
	assert_non_null(strstr(f->ev[0].msg, "refused"));
	fx_close_launcher(f);
	cfg_free(c);

	assert_int_equal(run_script("sshd-down.sh", sdir), 0);
	free(f->sshd_dir);
	f->sshd_dir = NULL;
	free(sdir);
	free(envf);
	free(host);
	free(key);
	free(kh);
}

/* --- slurm --- */

/* The output of a shell command (first line), or NULL. Caller frees. */
static char *
sh_out(const char *fmt, ...)
{
	va_list	 ap;
	char	 cmd[1024], buf[4096];
	size_t	 n;
	FILE	*fp;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	fp = popen(cmd, "r");
	if (fp == NULL)
		return NULL;
	n = fread(buf, 1, sizeof buf - 1, fp);
	buf[n] = '\0';
	if (pclose(fp) != 0)
		return NULL;
	return xstrdup(buf);
}

static bool
squeue_empty(struct fx *f, const void *arg)
{
	char	*out = sh_out("squeue -h --name='%s' -o %%i 2>&1",
	    (const char *)arg);
	bool	 empty = out != NULL && out[0] == '\0';

	(void)f;
	free(out);
	return empty;
}

static void
slurm_cfg(struct cfg *c)
{
	c->cluster.launcher = CFG_LAUNCH_SLURM;
	c->cluster.slurm.partition = xstrdup("debug");
	c->cluster.slurm.time_limit = xstrdup("00:05:00");
	c->cluster.slurm.mem_per_worker = xstrdup("64M");
	c->cluster.slurm.cpus_per_worker = 1;
	c->cluster.slurm.poll_interval_ms = 200;
	c->cluster.stop_grace_ms = 2000;
}

static void
test_slurm(void **state)
{
	struct fx	*f = *state;
	struct cfg	*c;
	struct gl_err	 err = { 0 };
	char		*names[2] = { 0 }, *sdir, *envf, *conf, *job, *out;
	char		 jobname[128];
	size_t		 two = 2, four = 4;
	const char	*missing[] = { "/nonexistent/galley", "worker", NULL };
	struct conn	*w0, *w1;

	if (!have_prog("/usr/sbin/slurmctld") || !have_prog("/usr/sbin/slurmd")
	    || !have_prog("/usr/sbin/munged") || !have_prog("/usr/bin/sbatch")) {
		fprintf(stderr, "# skipped: slurmctld, slurmd, slurm-client or "
		    "munge not installed (scripts/setup.sh installs them)\n");
		skip();
	}
	/* munged wants every directory above its socket searchable. */
	assert_int_equal(chmod(f->dir, 0711), 0);
	sdir = xasprintf("%s/slurm", f->dir);
	f->slurm_dir = xstrdup(sdir);
	if (run_script("slurm-up.sh", sdir) != 0)
		fail_msg("scripts/slurm-up.sh failed");
	envf = xasprintf("%s/env", sdir);
	conf = env_get(envf, "SLURM_CONF");
	assert_non_null(conf);
	setenv("SLURM_CONF", conf, 1);

	/* 1. Two workers as one job; the job is cancelled from outside:
	 * both are reported ended, CANCELLED, not the tasks' fault. */
	c = cfg_defaults();
	slurm_cfg(c);
	fx_launcher(f, &c->cluster, NULL);
	snprintf(jobname, sizeof jobname, "%s", launch_slurm_job_name(f->l));
	assert_int_equal(launch_start(f->l, 2, names, &err), 2);
	WAIT(f, hellos_at_least, &two, "2 slurm workers to connect");
	check_hellos(f, names, 2, false);
	for (int i = 0; i < 2; i++)
		assert_int_equal(launch_worker_up(f->l, names[i]), 0);
	job = sh_out("squeue -h --name='%s' -o %%i", jobname);
	assert_non_null(job);
	job[strcspn(job, "\n")] = '\0';
	assert_true(job[0] != '\0');
	w0 = conn_named(f, names[0]);
	out = sh_out("scancel %s", job);
	assert_non_null(out);
	free(out);
	/* As the kernel does when a connection drops: ask why. The answer
	 * waits for the job's state, not "connection lost". */
	WAIT(f, conn_eof, w0, "the cancelled worker's connection to drop");
	if (f->nev == 0)
		assert_int_equal(launch_worker_lost(f->l, names[0]), 0);
	WAIT(f, events_at_least, &two, "the cancelled job to be reported");
	for (int i = 0; i < 2; i++) {
		assert_int_equal(f->ev[i].kind, LAUNCH_EV_ENDED);
		assert_true(f->ev[i].ntf);
		assert_non_null(f->ev[i].state);
		assert_string_equal(f->ev[i].state, "CANCELLED");
		assert_non_null(strstr(f->ev[i].msg, job));
		assert_non_null(strstr(f->ev[i].msg, "CANCELLED"));
	}
	assert_int_equal(launch_count(f->l), 0);
	WAIT(f, pids_gone, NULL, "the cancelled workers to go");
	free(job);
	free_names(names, 2);

	/* 2. Again; stop one worker (its step is cancelled, the other runs
	 * on), then close: the job is scancel'ed and gone from squeue. */
	assert_int_equal(launch_start(f->l, 2, names, &err), 2);
	WAIT(f, hellos_at_least, &four, "2 more slurm workers");
	check_hellos(f, names, 2, false);
	w0 = conn_named(f, names[0]);
	w1 = conn_named(f, names[1]);
	for (int i = 0; i < 2; i++)
		assert_int_equal(launch_worker_up(f->l, names[i]), 0);
	assert_int_equal(launch_stop(f->l, names[0]), 0);
	WAIT(f, conn_eof, w0, "the stopped worker's step to end");
	assert_false(w1->eof);
	fx_close_launcher(f);
	assert_true(squeue_empty(f, jobname));
	WAIT(f, pids_gone, NULL, "every slurm worker to go");
	assert_int_equal(f->nev, 2);
	free_names(names, 2);
	cfg_free(c);

	/* 3. sbatch refuses: each worker FAILED with sbatch's message. */
	c = cfg_defaults();
	slurm_cfg(c);
	free(c->cluster.slurm.partition);
	c->cluster.slurm.partition = xstrdup("nosuchpartition");
	fx_launcher(f, &c->cluster, NULL);
	assert_int_equal(launch_start(f->l, 2, NULL, &err), 2);
	WAIT(f, events_at_least, &four, "sbatch's refusal");
	for (size_t i = 2; i < 4; i++) {
		assert_int_equal(f->ev[i].kind, LAUNCH_EV_FAILED);
		assert_non_null(strstr(f->ev[i].msg, "sbatch failed"));
		assert_non_null(strstr(f->ev[i].msg, "artition"));
	}
	fx_close_launcher(f);
	free(c->cluster.slurm.partition);
	c->cluster.slurm.partition = xstrdup("debug");

	/* 4. The job runs but the worker program cannot: FAILED, with
	 * srun's words from the job's output. */
	fx_launcher(f, &c->cluster, missing);
	assert_int_equal(launch_start(f->l, 1, NULL, &err), 1);
	WAIT(f, events_at_least, (size_t[]){ 5 }, "the failed step");
	assert_int_equal(f->ev[4].kind, LAUNCH_EV_FAILED);
	assert_non_null(strstr(f->ev[4].msg, "/nonexistent/galley"));
	fx_close_launcher(f);
	cfg_free(c);

	assert_int_equal(run_script("slurm-down.sh", sdir), 0);
	free(f->slurm_dir);
	f->slurm_dir = NULL;
	unsetenv("SLURM_CONF");
	free(conf);
	free(sdir);
	free(envf);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_local_start_stop,
		    fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_local_death_is_reported,
		    fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_local_failed_start,
		    fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_local_start_timeout,
		    fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_local_lost_connection,
		    fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_command_without_stop,
		    fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_command_with_stop,
		    fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_command_secret_on_stdin,
		    fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_command_bad_template,
		    fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_ssh, fx_setup,
		    fx_teardown),
		cmocka_unit_test_setup_teardown(test_slurm, fx_setup,
		    fx_teardown),
	};

	if (argc > 1 && strcmp(argv[1], "fake-worker") == 0)
		return fake_worker(argc, argv);
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

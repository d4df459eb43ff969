/*
 * launch-proc.c - the launcher's child processes (kernel/launch_int.h):
 * workers and helper commands alike (sbatch, squeue, scancel, sacct, ssh,
 * the command templates). Each runs in its own process group
 * (UV_PROCESS_DETACHED) so a signal reaches what it started; stdout and
 * stderr are pipes read into buffers (stderr keeps its tail for
 * messages). On exit the pipes are drained without blocking, the
 * handler runs, and the handles close; the struct is freed in the last
 * close callback. Signals due later are sent by the launcher's tick.
 */
#include "kernel/launch_int.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/err.h"
#include "core/mem.h"

static void	 launch_proc_on_write(uv_write_t *req, int status);
static void	 launch_proc_on_alloc(uv_handle_t *h, size_t size,
		     uv_buf_t *buf);
static void	 launch_proc_on_read(uv_stream_t *s, ssize_t n,
		     const uv_buf_t *buf);
static void	 launch_proc_drain(struct launch_proc *p);
static void	 launch_proc_on_exit(uv_process_t *pp, int64_t status, int sig);
static void	 launch_proc_close(struct launch_proc *p);
static void	 launch_proc_on_close(uv_handle_t *h);

struct launch_proc *
launch_proc_spawn(struct launch *l, char **argv, char **env,
    const char *stdin_data, bool keep_stdin, bool capture_out,
    launch_proc_fn on_exit, void *data, const char *what, uint64_t deadline_ms,
    struct gl_err *err)
{
	struct launch_proc	*p = xcalloc(1, sizeof *p);
	uv_process_options_t	 o;
	uv_stdio_container_t	 io[3];
	uv_write_t		*wr;
	uv_buf_t		 b;
	size_t			 len;
	int			 rc;

	p->l = l;
	p->on_exit = on_exit;
	p->data = data;
	snprintf(p->what, sizeof p->what, "%s", what);
	gl_buf_init(&p->outb);
	gl_buf_init(&p->errb);
	p->has_in = stdin_data != NULL;
	p->has_out = capture_out;
	memset(io, 0, sizeof io);
	memset(&o, 0, sizeof o);
	if (p->has_in) {
		uv_pipe_init(l->loop, &p->in, 0);
		p->in.data = p;
		io[0].flags = UV_CREATE_PIPE | UV_READABLE_PIPE;
		io[0].data.stream = (uv_stream_t *)&p->in;
	} else
		io[0].flags = UV_IGNORE;
	if (p->has_out) {
		uv_pipe_init(l->loop, &p->out, 0);
		p->out.data = p;
		io[1].flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE;
		io[1].data.stream = (uv_stream_t *)&p->out;
	} else
		io[1].flags = UV_IGNORE;
	uv_pipe_init(l->loop, &p->err, 0);
	p->err.data = p;
	io[2].flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE;
	io[2].data.stream = (uv_stream_t *)&p->err;
	p->proc.data = p;
	o.exit_cb = launch_proc_on_exit;
	o.file = argv[0];
	o.args = argv;
	o.env = env;
	o.flags = UV_PROCESS_DETACHED;
	o.stdio_count = 3;
	o.stdio = io;
	/* Linked first: launch_proc_close() unlinks it when its handles
	 * are gone. */
	p->next = l->procs;
	if (l->procs != NULL)
		l->procs->prev = p;
	l->procs = p;
	if ((rc = uv_spawn(l->loop, &p->proc, &o)) != 0) {
		gl_err_set(err, rc == UV_ENOENT ? GL_ENOTFOUND : GL_EIO,
		    "launcher: cannot run %s: %s", argv[0], uv_strerror(rc));
		p->exited = true;
		p->on_exit = NULL;
		p->data = NULL;
		launch_proc_close(p);
		return NULL;
	}
	p->pid = p->proc.pid;
	if (p->has_out)
		uv_read_start((uv_stream_t *)&p->out, launch_proc_on_alloc,
		    launch_proc_on_read);
	uv_read_start((uv_stream_t *)&p->err, launch_proc_on_alloc,
	    launch_proc_on_read);
	if (p->has_in) {
		len = strlen(stdin_data);
		wr = xmalloc(sizeof *wr + len + 1);
		memcpy((char *)(wr + 1), stdin_data, len);
		b = uv_buf_init((char *)(wr + 1), (unsigned)len);
		wr->data = p;
		if (len == 0 || uv_write(wr, (uv_stream_t *)&p->in, &b, 1,
		    launch_proc_on_write) != 0)
			free(wr);
		if (!keep_stdin)
			launch_proc_close_stdin(p);
	}
	if (deadline_ms > 0)
		p->kill_at = uv_now(l->loop) + deadline_ms;
	return p;
}

static void
launch_proc_on_write(uv_write_t *req, int status)
{
	(void)status;	/* a failed write: the process is going */
	free(req);
}

void
launch_proc_signal(struct launch_proc *p, int sig)
{
	if (p->exited || p->pid <= 0)
		return;
	if (kill(-p->pid, sig) != 0)
		kill(p->pid, sig);
}

void
launch_proc_close_stdin(struct launch_proc *p)
{
	if (!p->has_in || uv_is_closing((uv_handle_t *)&p->in))
		return;
	p->pending++;
	uv_close((uv_handle_t *)&p->in, launch_proc_on_close);
}

/* SIGTERM after term_delay ms (0: now), SIGKILL a grace later. */
void
launch_proc_stop(struct launch_proc *p, uint64_t term_delay)
{
	struct launch	*l = p->l;
	uint64_t	 now = uv_now(l->loop), grace;

	if (p->exited)
		return;
	grace = l->stop_grace_ms > 0 ? (uint64_t)l->stop_grace_ms : 0;
	if (term_delay == 0 && !p->term_sent) {
		p->term_sent = true;
		launch_proc_signal(p, SIGTERM);
	} else if (p->term_at == 0 || p->term_at > now + term_delay)
		p->term_at = now + term_delay;
	if (p->kill_at == 0 || p->kill_at > now + term_delay + grace)
		p->kill_at = now + term_delay + grace;
	if (grace == 0 && term_delay == 0) {
		p->kill_sent = true;
		launch_proc_signal(p, SIGKILL);
	}
	launch_tick_start(l);
}

void
launch_buf_add_capped(struct gl_buf *b, const char *p, size_t n, bool tail,
    size_t cap)
{
	if (!tail) {
		if (b->len >= cap)
			return;
		gl_buf_add(b, p, n > cap - b->len ? cap - b->len : n);
		return;
	}
	if (n >= cap) {
		gl_buf_reset(b);
		gl_buf_add(b, p + n - cap, cap);
		return;
	}
	if (b->len + n > cap) {
		size_t drop = b->len + n - cap;

		memmove(b->data, b->data + drop, b->len - drop);
		b->len -= drop;
		b->data[b->len] = '\0';
	}
	gl_buf_add(b, p, n);
}

static void
launch_proc_on_alloc(uv_handle_t *h, size_t size, uv_buf_t *buf)
{
	struct launch_proc	*p = h->data;

	(void)size;
	*buf = uv_buf_init(p->l->rbuf, sizeof p->l->rbuf);
}

static void
launch_proc_on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct launch_proc	*p = s->data;

	if (n < 0) {
		uv_read_stop(s);
		return;
	}
	if (n == 0)
		return;
	if (s == (uv_stream_t *)&p->out)
		launch_buf_add_capped(&p->outb, buf->base, (size_t)n, false,
		    LAUNCH_OUT_MAX);
	else
		launch_buf_add_capped(&p->errb, buf->base, (size_t)n, true,
		    LAUNCH_ERR_TAIL);
}

/* Reads what the pipes hold now, without blocking (libuv's pipe fds are
 * non-blocking). A grandchild may keep them open: EOF is not waited for. */
static void
launch_proc_drain(struct launch_proc *p)
{
	uv_os_fd_t	 fd;
	ssize_t		 n;

	for (int k = 0; k < 2; k++) {
		uv_pipe_t *pp = k == 0 ? &p->out : &p->err;

		if ((k == 0 && !p->has_out) ||
		    uv_is_closing((uv_handle_t *)pp) ||
		    uv_fileno((uv_handle_t *)pp, &fd) != 0)
			continue;
		for (int i = 0; i < 64; i++) {
			n = read(fd, p->l->rbuf, sizeof p->l->rbuf);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break;
			if (k == 0)
				launch_buf_add_capped(&p->outb, p->l->rbuf,
				    (size_t)n, false, LAUNCH_OUT_MAX);
			else
				launch_buf_add_capped(&p->errb, p->l->rbuf,
				    (size_t)n, true, LAUNCH_ERR_TAIL);
		}
	}
}

static void
launch_proc_on_exit(uv_process_t *pp, int64_t status, int sig)
{
	struct launch_proc	*p = pp->data;

	p->exited = true;
	p->status = status;
	p->sig = sig;
	launch_proc_drain(p);
	if (p->on_exit != NULL)
		p->on_exit(p);
	p->on_exit = NULL;
	launch_proc_close(p);
}

static void
launch_proc_close(struct launch_proc *p)
{
	if (p->closing)
		return;
	p->closing = true;
	p->pending++;
	uv_close((uv_handle_t *)&p->proc, launch_proc_on_close);
	if (p->has_in && !uv_is_closing((uv_handle_t *)&p->in)) {
		p->pending++;
		uv_close((uv_handle_t *)&p->in, launch_proc_on_close);
	}
	if (p->has_out) {
		p->pending++;
		uv_close((uv_handle_t *)&p->out, launch_proc_on_close);
	}
	p->pending++;
	uv_close((uv_handle_t *)&p->err, launch_proc_on_close);
}

static void
launch_proc_on_close(uv_handle_t *h)
{
	struct launch_proc *p = h->data;
	struct launch	*l = p->l;

	if (--p->pending > 0 || !p->closing)
		return;
	if (p->prev != NULL)
		p->prev->next = p->next;
	else
		l->procs = p->next;
	if (p->next != NULL)
		p->next->prev = p->prev;
	gl_buf_fini(&p->outb);
	gl_buf_fini(&p->errb);
	free(p->arg);
	free(p);
	launch_check_closed(l);
}

/*
 * client.c - blocking kernel client.
 *
 * Over TCP, once the kernel has checked our proof, everything both ways
 * is sealed (core/seal.h): the kernel's answer to auth.response is its
 * first record, and opening it is the kernel's proof that it holds the
 * token too. Its refusal of a wrong proof comes in the clear instead,
 * which the first byte of its answer tells apart (seal_is_record()).
 */
#include "client/client.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sodium.h>

#include "core/auth.h"
#include "core/err.h"
#include "core/mem.h"
#include "core/paths.h"
#include "core/seal.h"
#include "core/util.h"

#define CL_MAX_FRAME	(512u << 20)
#define CL_READ		(256u << 10)	/* read at once, in the clear */

struct cl_queued {
	struct rpc_msg		 msg;
	struct cl_queued	*next;
};

struct cl_conn {
	int			 fd;
	char			*addr;		/* owned */
	uint32_t		 next_id;
	struct rpc_reader	*reader;	/* owned */
	struct rpc_writer	 w;
	struct cl_queued	*head, *tail;	/* owned: queued messages */
	bool			 closed;
	struct seal		*seal;		/* owned: TCP, once proved */
	bool			 answer;	/* waiting for the kernel's
						 * answer to our proof: sealed,
						 * or a refusal in the clear */
	struct gl_buf		 sealed;	/* records being sent */
};

static int
cl_left(int64_t deadline)
{
	int64_t left;

	if (deadline < 0)
		return -1;
	left = deadline - gl_now_ms();
	return left < 0 ? 0 : (int)left;
}

void
cl_opts_init(struct cl_opts *o)
{
	memset(o, 0, sizeof *o);
	o->autostart = true;
	o->timeout_ms = 10000;
}

static void
cl_enqueue(struct cl_conn *c, struct rpc_msg *m)
{
	struct cl_queued *q = xcalloc(1, sizeof *q);

	q->msg = *m;
	if (c->tail != NULL)
		c->tail->next = q;
	else
		c->head = q;
	c->tail = q;
}

/* Reads once (after poll said readable, or non-blocking) and queues every
 * whole message. */
static int
cl_read_some(struct cl_conn *c, struct gl_err *err)
{
	char		 buf[65536];
	ssize_t		 n;
	struct rpc_msg	 m;
	struct gl_err	 fe;
	int		 rc, frc;

	bool		 plain = c->seal == NULL && !c->answer;
	size_t		 room;
	char		*p = plain ? rpc_reader_space(c->reader, CL_READ, &room) :
			    buf;

	/* In the clear, straight into the reader: one copy fewer of what
	 * may be a cell's gigabyte. */
	n = recv(c->fd, p, plain ? room : sizeof buf, MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return 0;
	if (n <= 0) {
		c->closed = true;
		return gl_err_set(err, GL_ECLOSED, "the kernel at %s closed the connection",
		    c->addr);
	}
	gl_err_clear(&fe);
	if (plain) {
		rpc_reader_commit(c->reader, (size_t)n);
		frc = 0;
	} else
		frc = seal_read(&c->seal, &c->answer, buf, (size_t)n,
		    c->reader, &fe);
	while ((rc = rpc_reader_next(c->reader, &m, err)) == 1)
		cl_enqueue(c, &m);
	if (frc != 0) {
		/* What opened before the bad record stays queued. */
		c->closed = true;
		return gl_err_set(err, frc, "the kernel at %s: %s", c->addr,
		    fe.msg);
	}
	if (rc < 0) {
		c->closed = true;
		return gl_err_prefix(err, "bad message from the kernel at %s",
		    c->addr);
	}
	return 0;
}

static int
cl_wait_readable(struct cl_conn *c, int64_t deadline, struct gl_err *err)
{
	struct pollfd	 p = { .fd = c->fd, .events = POLLIN };
	int		 rc;

	for (;;) {
		rc = poll(&p, 1, cl_left(deadline));
		if (rc < 0 && errno == EINTR)
			return GL_EINTR;
		if (rc < 0)
			return gl_err_set(err, GL_EIO, "poll: %s", strerror(errno));
		if (rc == 0)
			return gl_err_set(err, GL_ETIMEDOUT,
			    "no answer from the kernel at %s", c->addr);
		return cl_read_some(c, err);
	}
}

int
cl_pump(struct cl_conn *c, struct gl_err *err)
{
	if (c->closed)
		return gl_err_set(err, GL_ECLOSED, "connection to %s is closed", c->addr);
	return cl_read_some(c, err);
}

bool
cl_has_response(const struct cl_conn *c, uint32_t id)
{
	for (struct cl_queued *q = c->head; q != NULL; q = q->next)
		if (q->msg.type == RPC_RESPONSE && q->msg.id == id)
			return true;
	return false;
}

bool
cl_has_notify(const struct cl_conn *c)
{
	for (struct cl_queued *q = c->head; q != NULL; q = q->next)
		if (q->msg.type != RPC_RESPONSE)
			return true;
	return false;
}

int
cl_fd(const struct cl_conn *c)
{
	return c->fd;
}

const char *
cl_addr(const struct cl_conn *c)
{
	return c->addr;
}

struct rpc_writer *
cl_begin(struct cl_conn *c, const char *method, uint32_t *id)
{
	rpc_writer_reset(&c->w);
	*id = ++c->next_id;
	rpc_begin_request(&c->w, *id, method);
	return &c->w;
}

int
cl_send(struct cl_conn *c, struct gl_err *err)
{
	const char	*p = c->w.sbuf.data;
	size_t		 left = c->w.sbuf.size;

	if (c->seal != NULL && !c->answer) {
		gl_buf_reset(&c->sealed);
		seal_wrap(c->seal, p, left, &c->sealed);
		p = c->sealed.data;
		left = c->sealed.len;
	}
	while (left > 0) {
		ssize_t n = send(c->fd, p, left, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			c->closed = true;
			return gl_err_set(err, GL_ECLOSED,
			    "cannot send to the kernel at %s: %s", c->addr,
			    strerror(errno));
		}
		p += n;
		left -= (size_t)n;
	}
	rpc_writer_reset(&c->w);
	if (c->sealed.cap > (1u << 20))
		gl_buf_fini(&c->sealed);
	return 0;
}

/* Moves the queued message *pp out of the queue into *out. */
static void
cl_unlink(struct cl_conn *c, struct cl_queued **pp, struct rpc_msg *out)
{
	struct cl_queued *q = *pp;

	*pp = q->next;
	if (c->tail == q) {
		c->tail = NULL;
		for (struct cl_queued *t = c->head; t != NULL; t = t->next)
			c->tail = t;
	}
	*out = q->msg;
	free(q);
}

/* Takes the queued response to id. */
static bool
cl_take(struct cl_conn *c, uint32_t id, struct rpc_msg *out)
{
	struct cl_queued **pp, *q;

	for (pp = &c->head; (q = *pp) != NULL; pp = &q->next)
		if (q->msg.type == RPC_RESPONSE && q->msg.id == id) {
			cl_unlink(c, pp, out);
			return true;
		}
	return false;
}

/* Takes the first queued notification (or request from the kernel) named
 * method (NULL: any) that match accepts (NULL: any). */
static bool
cl_take_notify(struct cl_conn *c, const char *method,
    bool (*match)(const struct rpc_msg *, void *), void *ctx,
    struct rpc_msg *out)
{
	struct cl_queued **pp, *q;

	for (pp = &c->head; (q = *pp) != NULL; pp = &q->next) {
		if (q->msg.type == RPC_RESPONSE)
			continue;
		if (method != NULL && strcmp(q->msg.method, method) != 0)
			continue;
		if (match != NULL && !match(&q->msg, ctx))
			continue;
		cl_unlink(c, pp, out);
		return true;
	}
	return false;
}

int
cl_wait(struct cl_conn *c, uint32_t id, struct rpc_msg *resp, int timeout_ms,
    struct gl_err *err)
{
	int64_t	 deadline = timeout_ms < 0 ? -1 : gl_now_ms() + timeout_ms;
	int	 rc;

	for (;;) {
		if (cl_take(c, id, resp)) {
			if ((rc = rpc_msg_error(resp, err)) != 0) {
				rpc_msg_fini(resp);
				return rc;
			}
			return 0;
		}
		if (c->closed)
			return gl_err_set(err, GL_ECLOSED,
			    "the kernel at %s closed the connection", c->addr);
		rc = cl_wait_readable(c, deadline, err);
		if (rc == GL_EINTR)
			continue;
		if (rc != 0)
			return rc;
	}
}

int
cl_call(struct cl_conn *c, const char *method,
    void (*pack)(msgpack_packer *pk, void *ctx), void *ctx,
    struct rpc_msg *resp, int timeout_ms, struct gl_err *err)
{
	struct rpc_writer	*w;
	uint32_t		 id;
	int			 rc;

	w = cl_begin(c, method, &id);
	if (pack != NULL)
		pack(&w->pk, ctx);
	else
		msgpack_pack_map(&w->pk, 0);
	if ((rc = cl_send(c, err)) != 0)
		return rc;
	return cl_wait(c, id, resp, timeout_ms, err);
}

struct cl_page_args {
	const char	*session;
	int64_t		 version;
	int64_t		 from;
};

static void
cl_pack_page(msgpack_packer *pk, void *ctx)
{
	struct cl_page_args *a = ctx;

	msgpack_pack_map(pk, 3);
	rpc_pack_kv_str(pk, "session", a->session);
	rpc_pack_kv_int(pk, "version", a->version);
	rpc_pack_kv_int(pk, "from", a->from);
}

void
cl_pack_session(msgpack_packer *pk, void *ctx)
{
	msgpack_pack_map(pk, 1);
	rpc_pack_kv_str(pk, "session", ctx);
}

/* The pages of a document being read (cl_call_doc): the first reply's
 * cells (with_head) or those of a doc.get that read it again, then those
 * of doc.cells. */
struct cl_pages {
	const struct rpc_msg *head;	/* borrowed: the first reply */
	bool		 with_head;
	struct rpc_msg	*msgs;		/* owned, each */
	size_t		 n, cap;
};

static const struct rpc_msg *
cl_pages_last(const struct cl_pages *p)
{
	return p->n > 0 ? &p->msgs[p->n - 1] : p->head;
}

static void
cl_pages_clear(struct cl_pages *p)
{
	for (size_t i = 0; i < p->n; i++)
		rpc_msg_fini(&p->msgs[i]);
	p->n = 0;
	p->with_head = false;
}

/* Takes page m into p, unless it has no cells (GL_EPROTO). */
static int
cl_pages_take(struct cl_pages *p, struct rpc_msg *m, struct gl_err *err)
{
	const msgpack_object *cs = rpc_map_get(m->result, "cells");

	if (cs == NULL || cs->type != MSGPACK_OBJECT_ARRAY) {
		rpc_msg_fini(m);
		return gl_err_set(err, GL_EPROTO, "the kernel's answer has "
		    "no cells");
	}
	if (p->n == p->cap) {
		p->cap = p->cap ? 2 * p->cap : 16;
		p->msgs = xrealloc(p->msgs, p->cap * sizeof *p->msgs);
	}
	p->msgs[p->n++] = *m;
	return 0;
}

/* Reads the pages that follow the last one taken, of its version. */
static int
cl_pages_read(struct cl_conn *c, const char *session, struct cl_pages *p,
    int timeout_ms, struct gl_err *err)
{
	struct cl_page_args	 a = { .session = session };
	struct rpc_msg		 m;
	int			 rc;

	a.version = rpc_map_int(cl_pages_last(p)->result, "version", -1);
	while ((a.from = rpc_map_int(cl_pages_last(p)->result, "next",
	    -1)) >= 0) {
		if ((rc = cl_call(c, "doc.cells", cl_pack_page, &a, &m,
		    timeout_ms, err)) != 0 ||
		    (rc = cl_pages_take(p, &m, err)) != 0)
			return rc;
	}
	return 0;
}

static void
cl_zone_free(void *z)
{
	msgpack_zone_free(z);
}

/* The cells of page m: an array (cl_pages_take checked). */
static const msgpack_object *
cl_page_cells(const struct rpc_msg *m)
{
	return rpc_map_get(m->result, "cells");
}

/* Makes head's result the whole document: its keys but "next", with
 * every page's cells (the objects as decoded, not copied: head's zone
 * takes the pages' zones) and the version of the first page read. The
 * frame no longer says what the result is, so head has none from now
 * on. */
static int
cl_pages_join(struct rpc_msg *head, struct cl_pages *p, struct gl_err *err)
{
	msgpack_zone		*z = head->up.zone;
	const msgpack_object	*r = head->result, *cs;
	const struct rpc_msg	*first = p->with_head ? head : &p->msgs[0];
	msgpack_object		*map, *cells;
	msgpack_object_kv	*kv;
	uint64_t		 version;
	uint32_t		 k = 0;
	size_t			 n = 0, at = 0;

	version = (uint64_t)rpc_map_int(first->result, "version", 0);
	if (p->with_head)
		n = cl_page_cells(head)->via.array.size;
	for (size_t i = 0; i < p->n; i++)
		n += cl_page_cells(&p->msgs[i])->via.array.size;
	map = msgpack_zone_malloc(z, sizeof *map);
	kv = msgpack_zone_malloc(z, r->via.map.size * sizeof *kv);
	cells = msgpack_zone_malloc(z, (n + 1) * sizeof *cells);
	if (map == NULL || kv == NULL || cells == NULL)
		return gl_err_set(err, GL_ENOMEM, "no memory for the "
		    "notebook's cells");
	if (p->with_head) {
		cs = cl_page_cells(head);
		memcpy(cells, cs->via.array.ptr, cs->via.array.size *
		    sizeof *cells);
		at = cs->via.array.size;
	}
	for (size_t i = 0; i < p->n; i++) {
		cs = cl_page_cells(&p->msgs[i]);
		memcpy(cells + at, cs->via.array.ptr, cs->via.array.size *
		    sizeof *cells);
		at += cs->via.array.size;
		if (!msgpack_zone_push_finalizer(z, cl_zone_free,
		    p->msgs[i].up.zone))
			return gl_err_set(err, GL_ENOMEM, "no memory for the "
			    "notebook's cells");
		p->msgs[i].up.zone = NULL;
	}
	for (uint32_t i = 0; i < r->via.map.size; i++) {
		const msgpack_object_kv *o = &r->via.map.ptr[i];

		if (rpc_obj_streq(&o->key, "next"))
			continue;
		kv[k] = *o;
		if (rpc_obj_streq(&o->key, "cells")) {
			kv[k].val.type = MSGPACK_OBJECT_ARRAY;
			kv[k].val.via.array.size = (uint32_t)n;
			kv[k].val.via.array.ptr = cells;
		} else if (rpc_obj_streq(&o->key, "version")) {
			kv[k].val.type = MSGPACK_OBJECT_POSITIVE_INTEGER;
			kv[k].val.via.u64 = version;
		}
		k++;
	}
	map->type = MSGPACK_OBJECT_MAP;
	map->via.map.size = k;
	map->via.map.ptr = kv;
	head->result = map;
	head->frame = NULL;
	head->frame_len = 0;
	return 0;
}

int
cl_call_doc(struct cl_conn *c, const char *method,
    void (*pack)(msgpack_packer *pk, void *ctx), void *ctx,
    struct rpc_msg *resp, int timeout_ms, struct gl_err *err)
{
	struct rpc_msg	 head, m;
	struct cl_pages	 p = { .head = &head, .with_head = true };
	const msgpack_object *cs;
	char		*session = NULL;
	int		 rc, tries = 0;

	if ((rc = cl_call(c, method, pack, ctx, &head, timeout_ms,
	    err)) != 0)
		return rc;
	if (rpc_map_get(head.result, "next") == NULL) {
		*resp = head;
		return 0;
	}
	cs = cl_page_cells(&head);
	session = rpc_map_strdup(head.result, "session");
	if (cs == NULL || cs->type != MSGPACK_OBJECT_ARRAY ||
	    head.result->type != MSGPACK_OBJECT_MAP || session == NULL) {
		rc = gl_err_set(err, GL_EPROTO, "the kernel's answer has no "
		    "session or cells");
		goto out;
	}
	while ((rc = cl_pages_read(c, session, &p, timeout_ms, err)) ==
	    GL_ECONFLICT && ++tries < 8) {
		cl_pages_clear(&p);
		if ((rc = cl_call(c, "doc.get", cl_pack_session, session, &m,
		    timeout_ms, err)) != 0 ||
		    (rc = cl_pages_take(&p, &m, err)) != 0)
			break;
	}
	if (rc == 0)
		rc = cl_pages_join(&head, &p, err);
out:
	cl_pages_clear(&p);
	free(p.msgs);
	free(session);
	if (rc != 0) {
		rpc_msg_fini(&head);
		return rc;
	}
	*resp = head;
	return 0;
}

int
cl_wait_notify(struct cl_conn *c, const char *method,
    bool (*match)(const struct rpc_msg *msg, void *ctx), void *ctx,
    struct rpc_msg *msg, int timeout_ms, struct gl_err *err)
{
	int64_t	 deadline = timeout_ms < 0 ? -1 : gl_now_ms() + timeout_ms;
	int	 rc;

	for (;;) {
		if (cl_take_notify(c, method, match, ctx, msg))
			return 1;
		if (c->closed)
			return gl_err_set(err, GL_ECLOSED,
			    "the kernel at %s closed the connection", c->addr);
		rc = cl_wait_readable(c, deadline, err);
		if (rc == GL_ETIMEDOUT)
			return 0;
		if (rc != 0)
			return rc;
	}
}

int
cl_next_notify(struct cl_conn *c, struct rpc_msg *msg, int timeout_ms,
    struct gl_err *err)
{
	return cl_wait_notify(c, NULL, NULL, NULL, msg, timeout_ms, err);
}

int
cl_done_read(const msgpack_object *args, struct cl_done *d,
    struct gl_err *err)
{
	const msgpack_object *st = rpc_map_get(args, "status");
	const msgpack_object *e = rpc_map_get(args, "error");

	memset(d, 0, sizeof *d);
	if (st == NULL || st->type != MSGPACK_OBJECT_STR)
		return gl_err_set(err, GL_EPROTO, "no status");
	if (gl_run_status_parse(st->via.str.ptr, st->via.str.size,
	    &d->status) != 0 || !GL_RUN_ENDED(d->status))
		d->status = GL_RUN_DIED;
	d->elapsed_ms = rpc_map_int(args, "elapsed_ms", -1);
	d->error = e != NULL && e->type == MSGPACK_OBJECT_MAP ? e : NULL;
	d->message = rpc_map_str(args, "message", &d->message_len);
	return 0;
}

void
cl_close(struct cl_conn *c)
{
	struct cl_queued *q, *n;

	if (c == NULL)
		return;
	for (q = c->head; q != NULL; q = n) {
		n = q->next;
		rpc_msg_fini(&q->msg);
		free(q);
	}
	if (c->fd >= 0)
		close(c->fd);
	rpc_reader_free(c->reader);
	rpc_writer_fini(&c->w);
	seal_free(c->seal);
	gl_buf_fini(&c->sealed);
	free(c->addr);
	free(c);
}

static struct cl_conn *
cl_conn_new(int fd, char *addr)
{
	struct cl_conn *c = xcalloc(1, sizeof *c);

	c->fd = fd;
	c->addr = addr;
	c->reader = rpc_reader_new(CL_MAX_FRAME);
	rpc_writer_init(&c->w);
	gl_buf_init(&c->sealed);
	return c;
}

static int
cl_unix_connect(const char *path, int *fdp, struct gl_err *err)
{
	struct sockaddr_un	 sun;
	int			 fd;

	if (strlen(path) >= sizeof sun.sun_path)
		return gl_err_set(err, GL_EINVAL, "socket path too long: %s", path);
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	strcpy(sun.sun_path, path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return gl_err_set(err, GL_EIO, "socket: %s", strerror(errno));
	if (connect(fd, (struct sockaddr *)&sun, sizeof sun) != 0) {
		int e = errno;

		close(fd);
		return gl_err_set(err, GL_ECLOSED, "no kernel at %s: %s", path,
		    strerror(e));
	}
	*fdp = fd;
	return 0;
}

/*
 * The last words of a kernel that exited before serving: the first
 * "galley: " line it added to the log after offset from (the CLI's error),
 * else its last non-empty line, into buf.
 */
static void
cl_log_reason(const char *log, off_t from, char *buf, size_t size)
{
	char	 text[4096], *line, *last = NULL, *save = NULL;
	ssize_t	 n;
	int	 fd;

	snprintf(buf, size, "it exited without a word");
	if ((fd = open(log, O_RDONLY | O_CLOEXEC)) < 0)
		return;
	n = pread(fd, text, sizeof text - 1, from);
	close(fd);
	if (n <= 0)
		return;
	text[n] = '\0';
	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "galley: ", 8) == 0) {
			snprintf(buf, size, "%s", line + 8);
			return;
		}
		if (line[strspn(line, " \t\r")] != '\0')
			last = line;
	}
	if (last != NULL)
		snprintf(buf, size, "%s", last);
}

/* The error a kernel that failed to start wrote on the ready pipe after
 * its 'E' (it may have had nowhere else to write it: kernel.log is in the
 * runtime directory, which may be full). False if it wrote nothing. */
static bool
cl_ready_reason(int fd, char *buf, size_t size)
{
	size_t	 off = 0;
	ssize_t	 n;

	while (off + 1 < size) {
		if ((n = read(fd, buf + off, size - 1 - off)) < 0 &&
		    errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	buf[off] = '\0';
	if (strncmp(buf, "kernel: ", 8) == 0)
		memmove(buf, buf + 8, off - 8 + 1);
	return off > 0;
}

/* "; DIR is full" when the runtime directory's file system has no room
 * (blocks or inodes) left for an unprivileged user, else "". Static. */
static const char *
cl_dir_full(const char *rd)
{
	static char	 buf[300];
	struct statvfs	 sv;

	if (statvfs(rd, &sv) != 0 || (sv.f_bavail > 0 &&
	    (sv.f_files == 0 || sv.f_favail > 0)))
		return "";
	snprintf(buf, sizeof buf, "; the runtime directory %s is full", rd);
	return buf;
}

/*
 * Starts `exe kernel --ready-fd N` detached, its stderr appended to
 * rd/kernel.log, and waits for its one byte: 'R' it serves, 'B' another
 * kernel holds the lock (one starting or stopping; *busy is set), 'E'
 * and its error it failed. EOF means it exited without serving: an
 * error quoting its log.
 */
static int
cl_spawn_kernel(const char *exe, const char *rd, int64_t deadline,
    bool *busy, struct gl_err *err)
{
	char		 self[4096], fdarg[16], *log;
	int		 pfd[2], status, rc;
	pid_t		 pid;
	ssize_t		 n;
	char		 byte;
	struct stat	 st;
	off_t		 logsize;

	*busy = false;
	if (exe == NULL) {
		n = readlink("/proc/self/exe", self, sizeof self - 1);
		if (n < 0)
			return gl_err_set(err, GL_EIO, "cannot find the galley binary");
		self[n] = '\0';
		exe = self;
	}
	log = gl_path_join(rd, "kernel.log");
	logsize = stat(log, &st) == 0 ? st.st_size : 0;
	/* Close-on-exec so that no other child of ours holds the pipe (its
	 * EOF tells us the kernel is gone); the kernel's end is kept open
	 * across its exec below. */
	if (pipe(pfd) != 0) {
		rc = gl_err_set(err, GL_EIO, "pipe: %s", strerror(errno));
		goto out;
	}
	(void)fcntl(pfd[0], F_SETFD, FD_CLOEXEC);
	(void)fcntl(pfd[1], F_SETFD, FD_CLOEXEC);
	snprintf(fdarg, sizeof fdarg, "%d", pfd[1]);
	if ((pid = fork()) < 0) {
		rc = gl_err_set(err, GL_EIO, "fork: %s", strerror(errno));
		close(pfd[0]);
		close(pfd[1]);
		goto out;
	}
	if (pid == 0) {
		/* Detach twice so the kernel is nobody's child but init's. */
		int	 fd;

		close(pfd[0]);
		setsid();
		if (fork() != 0)
			_exit(0);
		if ((fd = open("/dev/null", O_RDONLY)) >= 0) {
			dup2(fd, 0);
			close(fd);
		}
		if ((fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600)) >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
			close(fd);
		}
		/* The kernel outlives us: it must hold none of our fds (a
		 * caller's pipe would never see EOF), only the ready pipe. */
		for (fd = 3; fd < 1024; fd++)
			if (fd != pfd[1])
				close(fd);
		(void)fcntl(pfd[1], F_SETFD, 0);
		execl(exe, exe, "kernel", "--ready-fd", fdarg, (char *)NULL);
		_exit(127);
	}
	close(pfd[1]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	for (;;) {
		struct pollfd	 p = { .fd = pfd[0], .events = POLLIN };

		rc = poll(&p, 1, cl_left(deadline));
		if (rc < 0 && errno == EINTR)
			continue;	/* SIGWINCH, SIGINT: keep waiting */
		break;
	}
	if (rc == 0)
		rc = gl_err_set(err, GL_ETIMEDOUT,
		    "the kernel did not start in time (see %s)", log);
	else if (rc < 0)
		rc = gl_err_set(err, GL_EIO, "poll: %s", strerror(errno));
	else {
		do
			n = read(pfd[0], &byte, 1);
		while (n < 0 && errno == EINTR);
		if (n == 1 && byte == 'B') {
			*busy = true;
			rc = 0;
		} else if (n == 1 && byte != 'E')
			rc = 0;
		else {
			char	 why[400];

			if (n != 1 || !cl_ready_reason(pfd[0], why,
			    sizeof why))
				cl_log_reason(log, logsize, why, sizeof why);
			rc = gl_err_set(err, GL_ECLOSED,
			    "the kernel did not start: %s%s (see %s)", why,
			    cl_dir_full(rd), log);
		}
	}
	close(pfd[0]);
out:
	free(log);
	return rc;
}

int
cl_start_kernel(const char *exe, int timeout_ms, struct gl_err *err)
{
	char	*rd = NULL;
	bool	 busy;
	int	 rc;

	if ((rc = gl_runtime_dir(&rd, err)) != 0)
		return rc;
	rc = cl_spawn_kernel(exe, rd, gl_now_ms() + timeout_ms, &busy, err);
	free(rd);
	return rc;
}

/*
 * Connects to the local kernel, starting one if none answers. A kernel
 * that holds the lock but does not accept is starting (not listening yet)
 * or stopping (no longer listening): the start attempts are repeated,
 * with a growing pause, until one serves or the timeout passes.
 */
static int
cl_connect_local(const struct cl_opts *o, struct cl_conn **out,
    struct gl_err *err)
{
	char	*rd = NULL, *sock;
	int	 fd = -1, rc, pause_ms = 5;
	int64_t	 deadline = gl_now_ms() + o->timeout_ms;
	bool	 busy;

	if ((rc = gl_runtime_dir(&rd, err)) != 0)
		return rc;
	sock = gl_path_join(rd, "kernel.sock");
	while ((rc = cl_unix_connect(sock, &fd, err)) == GL_ECLOSED &&
	    o->autostart) {
		if ((rc = cl_spawn_kernel(o->exe, rd, deadline, &busy,
		    err)) != 0)
			break;
		if (!busy) {
			rc = cl_unix_connect(sock, &fd, err);
			break;
		}
		if (cl_left(deadline) == 0) {
			rc = gl_err_set(err, GL_ETIMEDOUT,
			    "a kernel holds %s/kernel.lock but did not serve "
			    "%s within %d ms", rd, sock, o->timeout_ms);
			break;
		}
		(void)poll(NULL, 0, pause_ms);
		if (pause_ms < 100)
			pause_ms *= 2;
	}
	if (rc == 0)
		*out = cl_conn_new(fd, xasprintf("unix:%s", sock));
	free(sock);
	free(rd);
	return rc;
}

static int
cl_load_token(const struct cl_opts *o, char tok[AUTH_TOKEN_LEN + 1],
    struct gl_err *err)
{
	const char	*env;
	char		*rd = NULL, *path;
	int		 rc;

	if (o->token != NULL) {
		if (!auth_token_valid(o->token))
			return gl_err_set(err, GL_EAUTH,
			    "the token is not %d hex digits", AUTH_TOKEN_LEN);
		memcpy(tok, o->token, AUTH_TOKEN_LEN + 1);
		return 0;
	}
	if (o->token_file == NULL && (env = getenv("GALLEY_TOKEN")) != NULL &&
	    *env != '\0') {
		if (strlen(env) != AUTH_TOKEN_LEN)
			return gl_err_set(err, GL_EAUTH,
			    "GALLEY_TOKEN is not a %d-digit token", AUTH_TOKEN_LEN);
		memcpy(tok, env, AUTH_TOKEN_LEN + 1);
		return 0;
	}
	if (o->token_file != NULL)
		path = xstrdup(o->token_file);
	else if ((env = getenv("GALLEY_TOKEN_FILE")) != NULL && *env != '\0')
		path = xstrdup(env);
	else {
		if ((rc = gl_runtime_dir(&rd, err)) != 0)
			return rc;
		path = gl_path_join(rd, "token");
		free(rd);
	}
	rc = auth_token_load(path, tok, err);
	if (rc != 0) {
		/* A token file that is there but unusable (readable by
		 * others, not a token) says so on its own. */
		if (rc == GL_ENOTFOUND)
			gl_err_prefix(err, "no token for a TCP kernel (set "
			    "GALLEY_TOKEN or GALLEY_TOKEN_FILE)");
		err != NULL ? (void)(err->code = GL_EAUTH) : (void)0;
		rc = GL_EAUTH;
	}
	free(path);
	return rc;
}

/* The message of a kernel.refused the kernel sent, or NULL; borrowed
 * from the queue. */
static const char *
cl_refusal(struct cl_conn *c, size_t *len)
{
	for (struct cl_queued *q = c->head; q != NULL; q = q->next)
		if (q->msg.type == RPC_NOTIFY &&
		    strcmp(q->msg.method, "kernel.refused") == 0)
			return rpc_map_str(q->msg.args, "message", len);
	return NULL;
}

/*
 * The handshake: the kernel's auth.challenge {nonce, version}; we answer
 * auth.response {hmac, nonce} with our proof over both nonces, then seal:
 * the kernel's answer is its first sealed record (or a refusal in the
 * clear).
 */
static int
cl_authenticate(struct cl_conn *c, const struct cl_opts *o, int64_t deadline,
    struct gl_err *err)
{
	char			 tok[AUTH_TOKEN_LEN + 1];
	const char		*member = o->member;
	unsigned char		 mac[AUTH_MAC_LEN], mine[AUTH_NONCE_LEN];
	unsigned char		 theirs[AUTH_NONCE_LEN];
	struct rpc_msg		 m;
	const msgpack_object	*nonce;
	const char		*why;
	struct rpc_writer	*w;
	uint32_t		 id;
	size_t			 len = 0;
	int64_t			 version;
	int			 rc;

	if ((rc = cl_load_token(o, tok, err)) != 0)
		return rc;
	if (member == NULL && (member = getenv("GALLEY_MEMBER")) != NULL &&
	    *member == '\0')
		member = NULL;
	if (member != NULL) {
		/* A member proves and seals with its key, as the kernel
		 * keeps it, not with the token itself. */
		char key[AUTH_TOKEN_LEN + 1];

		auth_member_key(tok, key);
		memcpy(tok, key, sizeof key);
		sodium_memzero(key, sizeof key);
	}
	for (;;) {
		if (cl_take_notify(c, NULL, NULL, NULL, &m))
			break;
		if (c->closed)
			return gl_err_set(err, GL_ECLOSED, "%s closed the connection", c->addr);
		if ((rc = cl_wait_readable(c, deadline, err)) != 0 && rc != GL_EINTR)
			return rc;
	}
	if (strcmp(m.method, "kernel.refused") == 0) {
		why = rpc_map_str(m.args, "message", &len);
		rc = gl_err_set(err, GL_ECLOSED, "the kernel at %s refused "
		    "the connection: %.*s", c->addr, why != NULL ? (int)len :
		    0, why != NULL ? why : "");
		rpc_msg_fini(&m);
		return rc;
	}
	nonce = rpc_map_get(m.args, "nonce");
	version = rpc_map_int(m.args, "version", 0);
	if (strcmp(m.method, "auth.challenge") != 0 || nonce == NULL ||
	    nonce->type != MSGPACK_OBJECT_BIN ||
	    nonce->via.bin.size != AUTH_NONCE_LEN) {
		rpc_msg_fini(&m);
		return gl_err_set(err, GL_EPROTO,
		    "%s did not send a galley auth challenge", c->addr);
	}
	if (version != AUTH_VERSION) {
		rpc_msg_fini(&m);
		return gl_err_set(err, GL_EPROTO, "the kernel at %s speaks "
		    "auth version %lld, this galley %d: use the same galley "
		    "on both sides", c->addr, (long long)version,
		    AUTH_VERSION);
	}
	memcpy(theirs, nonce->via.bin.ptr, AUTH_NONCE_LEN);
	rpc_msg_fini(&m);
	auth_nonce(mine);
	auth_proof(tok, "client", AUTH_BY_PEER, theirs, mine, mac);
	w = cl_begin(c, "auth.response", &id);
	msgpack_pack_map(&w->pk, member != NULL ? 3 : 2);
	if (member != NULL)
		rpc_pack_kv_str(&w->pk, "member", member);
	rpc_pack_key(&w->pk, "hmac");
	msgpack_pack_bin(&w->pk, AUTH_MAC_LEN);
	msgpack_pack_bin_body(&w->pk, mac, AUTH_MAC_LEN);
	rpc_pack_key(&w->pk, "nonce");
	msgpack_pack_bin(&w->pk, AUTH_NONCE_LEN);
	msgpack_pack_bin_body(&w->pk, mine, AUTH_NONCE_LEN);
	c->seal = seal_new(tok, "client", theirs, mine, SEAL_PEER);
	c->answer = true;
	sodium_memzero(tok, sizeof tok);
	if ((rc = cl_send(c, err)) != 0)
		return rc;
	rc = cl_wait(c, id, &m, cl_left(deadline), err);
	if (rc == 0 && c->seal == NULL) {
		rpc_msg_fini(&m);
		return gl_err_set(err, GL_EPROTO, "the kernel at %s answered "
		    "in the clear: not a galley kernel of this version?",
		    c->addr);
	}
	if (rc != 0) {
		if ((why = cl_refusal(c, &len)) != NULL)
			return gl_err_set(err, rc, "the kernel at %s refused "
			    "us: %.*s", c->addr, (int)len, why);
		if (rc == GL_EPROTO && c->seal != NULL && c->closed)
			return gl_err_prefix(err, "the kernel at %s did not "
			    "prove it holds the token", c->addr);
		return gl_err_prefix(err, "the kernel at %s refused us",
		    c->addr);
	}
	rpc_msg_fini(&m);
	return 0;
}

/*
 * Connects to one address by the deadline (a host that drops packets
 * would otherwise hold connect() for minutes). 0 and *fdp a blocking
 * socket, or the errno (ETIMEDOUT when the deadline passed).
 */
static int
cl_tcp_connect(const struct addrinfo *ai, int64_t deadline, int *fdp)
{
	struct pollfd	 p;
	socklen_t	 len = sizeof(int);
	int		 fd, e = 0, n;

	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC |
	    SOCK_NONBLOCK, ai->ai_protocol);
	if (fd < 0)
		return errno;
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
		if (errno != EINPROGRESS) {
			e = errno;
			goto fail;
		}
		p.fd = fd;
		p.events = POLLOUT;
		while ((n = poll(&p, 1, cl_left(deadline))) < 0 &&
		    errno == EINTR)
			;
		if (n <= 0) {
			e = n == 0 ? ETIMEDOUT : errno;
			goto fail;
		}
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &len) != 0)
			e = errno;
		if (e != 0)
			goto fail;
	}
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) != 0) {
		e = errno;
		goto fail;
	}
	*fdp = fd;
	return 0;
fail:
	close(fd);
	return e;
}

static int
cl_connect_tcp(const struct cl_opts *o, const char *hostport,
    struct cl_conn **out, struct gl_err *err)
{
	char		*host, *port;
	struct addrinfo	 hints, *res = NULL, *ai;
	int		 fd = -1, rc, e = 0;
	int64_t		 deadline = gl_now_ms() + o->timeout_ms;

	if ((rc = gl_hostport_split(hostport, &host, &port, err)) != 0)
		return gl_err_prefix(err, "bad kernel address");
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if ((rc = getaddrinfo(host, port, &hints, &res)) != 0) {
		rc = gl_err_set(err, GL_EINVAL, "kernel address %s: %s",
		    hostport, gai_strerror(rc));
		goto out;
	}
	for (ai = res; ai != NULL && fd < 0; ai = ai->ai_next) {
		if ((e = cl_tcp_connect(ai, deadline, &fd)) == ETIMEDOUT)
			break;
	}
	if (fd < 0) {
		rc = gl_err_set(err, e == ETIMEDOUT ? GL_ETIMEDOUT : GL_ECLOSED,
		    "no kernel at %s: %s", hostport, strerror(e));
		goto out;
	}
	{
		int one = 1;

		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	}
	*out = cl_conn_new(fd, xasprintf("tcp:%s", hostport));
	rc = cl_authenticate(*out, o, deadline, err);
	if (rc != 0) {
		cl_close(*out);
		*out = NULL;
	}
out:
	if (res != NULL)
		freeaddrinfo(res);
	free(host);
	free(port);
	return rc;
}

int
cl_connect(const struct cl_opts *opts, struct cl_conn **out,
    struct gl_err *err)
{
	const char	*k = opts->kernel;
	int		 fd, rc;

	*out = NULL;
	if (k == NULL || *k == '\0')
		k = getenv("GALLEY_KERNEL");
	if (k == NULL || *k == '\0')
		return cl_connect_local(opts, out, err);
	if (k[0] == '/' || strncmp(k, "unix:", 5) == 0) {
		const char *path = k[0] == '/' ? k : k + 5;

		if ((rc = cl_unix_connect(path, &fd, err)) != 0)
			return rc;
		*out = cl_conn_new(fd, xasprintf("unix:%s", path));
		return 0;
	}
	if (strncmp(k, "tcp:", 4) == 0)
		k += 4;
	return cl_connect_tcp(opts, k, out, err);
}

bool
cl_kernel_is_remote(const char *kernel)
{
	const char *k = kernel;

	if (k == NULL || k[0] == '\0')
		k = getenv("GALLEY_KERNEL");
	if (k == NULL || k[0] == '\0')
		return false;
	if (strncmp(k, "tcp:", 4) == 0)
		return true;
	return !(k[0] == '/' || strncmp(k, "unix:", 5) == 0);
}

char *
cl_file_label(const char *path, struct gl_err *err)
{
	char	 host[256];
	char	*abs, *label;

	if ((abs = gl_path_abs(path, err)) == NULL)
		return NULL;
	if (gethostname(host, sizeof host) != 0 || host[0] == '\0')
		snprintf(host, sizeof host, "localhost");
	host[sizeof host - 1] = '\0';
	label = xasprintf("%s:%s", host, abs);
	free(abs);
	return label;
}

int
cl_file_write(const char *path, const msgpack_object *result,
    struct gl_err *err)
{
	const char	*text;
	size_t		 len = 0;
	struct stat	 st;
	unsigned	 mode = 0644;

	if ((text = rpc_map_str(result, "text", &len)) == NULL)
		return gl_err_set(err, GL_EPROTO, "the kernel's save of %s "
		    "has no text: is it a client_file session?", path);
	if (stat(path, &st) == 0)
		mode = (unsigned)(st.st_mode & 07777);
	return gl_file_write_atomic(path, text, len, mode, err);
}

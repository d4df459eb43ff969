/*
 * server-client.c - the kernel's clients: accepting them (a Unix peer of
 * our uid, or a TCP peer after the token's challenge), reading their
 * requests, and the method table that hands each to the part of the
 * kernel that serves it (the server itself, the sessions, the cluster
 * service); the kernel.* methods.
 *
 * A client is a kernel/conn.h connection. Messages are handled in arrival
 * order and every handler answers before the next message is read, so
 * responses leave in request order.
 *
 * Trust. A Unix peer is accepted if its uid (SO_PEERCRED) is ours; another
 * uid gets kernel.refused and is closed. A TCP peer gets auth.challenge at
 * once and may only send auth.response (frames of at most 4 KiB) until
 * its proof verifies; it is attached to nothing and receives nothing else
 * before that, and must be done within auth_ms; at most pending_max such
 * peers wait at once (more are refused as they connect). Its answer and
 * everything after it travel in sealed records (core/seal.h), keyed from
 * the token and both nonces. Garbage gets an EPROTO error (id 0) and a
 * close of that connection only. Every refusal is written before the
 * close (conn_refuse()), and lines about refused peers are rate-limited
 * (srv_log_refused()).
 *
 * Limits. Once a peer is in, what one message may decode to is bounded
 * per method (client_limit(): SRV_M_BIG methods carry notebooks); a
 * request over it is answered ELIMIT and the connection carries on.
 *
 * Output. Replies and notifications are packed into the client's staging
 * buffer and handed to the socket at once. Bytes libuv holds for a client
 * are counted. A slow reader is never cut off for its pace: past
 * SRV_HELD_HIGH bytes the client is held (client_on_flow) and the
 * sessions it is attached to stop reading their runtimes, which block in
 * their writes until it caught up (SRV_HELD_LOW). Only a client that let
 * SRV_QUEUED_MAX pile up (it stopped reading altogether while others
 * edit) is dropped (client_on_end), so it cannot make the kernel grow
 * without bound. One that is gone is seen by its socket (end, error, TCP
 * keepalive).
 */
#define _GNU_SOURCE		/* struct ucred */
#include "kernel/server_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/auth.h"
#include "core/err.h"
#include "core/mem.h"
#include "core/rpc.h"
#include "core/seal.h"
#include "kernel/cluster.h"
#include "kernel/conn.h"
#include "kernel/log.h"
#include "kernel/member.h"
#include "kernel/req.h"
#include "kernel/session.h"

/* May be called before the client authenticated. */
#define SRV_M_ANON	0x1
/* Carries a notebook: a message may decode to SRV_BIG_* (not SRV_*). */
#define SRV_M_BIG	0x2

/* A method of the protocol: exactly one of srv, sess, clu is set, and
 * says which part of the kernel handles it; need is the role a client
 * must have (docs/security.md), checked before the handler for every
 * request: R a viewer may (reads, presence, talk), W needs an editor
 * (changes a notebook, runs code, uses the cluster), O the owner (the
 * kernel and its members). */
struct srv_method {
	const char	*name;
	int		 flags;		/* SRV_M_* */
	enum req_role	 need;
	int		(*srv)(struct client *c, struct req *r,
			    struct gl_err *err);
	int		(*sess)(struct sess_set *ss, struct req *r,
			    struct gl_err *err);
	int		(*clu)(struct clu *cl, struct req *r,
			    struct gl_err *err);
};

#define R	REQ_ROLE_VIEWER
#define W	REQ_ROLE_EDITOR
#define O	REQ_ROLE_OWNER

static int	 srv_rpc_auth(struct client *c, struct req *r,
		     struct gl_err *err);
static int	 srv_rpc_info(struct client *c, struct req *r,
		     struct gl_err *err);
static int	 srv_rpc_shutdown(struct client *c, struct req *r,
		     struct gl_err *err);
static int	 srv_rpc_listen(struct client *c, struct req *r,
		     struct gl_err *err);

/* The protocol's methods (docs/protocol.md), in its order. */
static const struct srv_method srv_methods[] = {
	{ "auth.response", SRV_M_ANON, R, .srv = srv_rpc_auth },
	{ "kernel.info", 0, R, .srv = srv_rpc_info },
	{ "kernel.shutdown", 0, O, .srv = srv_rpc_shutdown },
	{ "kernel.listen", 0, O, .srv = srv_rpc_listen },
	{ "kernel.member_add", 0, O, .srv = srv_rpc_member_add },
	{ "kernel.member_remove", 0, O, .srv = srv_rpc_member_remove },
	{ "kernel.member_role", 0, O, .srv = srv_rpc_member_role },
	{ "kernel.members", 0, O, .srv = srv_rpc_members },
	{ "session.open", SRV_M_BIG, W, .sess = sess_rpc_open },
	{ "session.attach", 0, R, .sess = sess_rpc_attach },
	{ "session.list", 0, R, .sess = sess_rpc_list },
	{ "session.close", 0, R, .sess = sess_rpc_close },
	{ "session.members", 0, R, .sess = sess_rpc_members },
	{ "session.say", 0, R, .sess = sess_rpc_say },
	{ "session.share", 0, O, .srv = srv_rpc_share },
	{ "doc.get", 0, R, .sess = sess_rpc_doc_get },
	{ "doc.cells", 0, R, .sess = sess_rpc_doc_cells },
	{ "doc.edit", SRV_M_BIG, W, .sess = sess_rpc_doc_edit },
	{ "doc.save", 0, W, .sess = sess_rpc_doc_save },
	{ "doc.cursor", 0, R, .sess = sess_rpc_doc_cursor },
	{ "cell.run", SRV_M_BIG, W, .sess = sess_rpc_cell_run },
	{ "cell.interrupt", 0, W, .sess = sess_rpc_cell_interrupt },
	{ "cell.cancel", 0, W, .sess = sess_rpc_cell_cancel },
	{ "cell.outputs", 0, R, .sess = sess_rpc_cell_outputs },
	{ "cell.complete", 0, R, .sess = sess_rpc_cell_complete },
	{ "cell.inspect", 0, R, .sess = sess_rpc_cell_inspect },
	{ "runtime.restart", 0, W, .sess = sess_rpc_runtime_restart },
	{ "git.status", 0, R, .sess = sess_rpc_git_status },
	{ "git.commit", 0, W, .sess = sess_rpc_git_commit },
	{ "git.log", 0, R, .sess = sess_rpc_git_log },
	{ "git.show_cell", 0, R, .sess = sess_rpc_git_show_cell },
	{ "review.open", 0, R, .sess = sess_rpc_review_open },
	{ "review.comment", 0, W, .sess = sess_rpc_review_comment },
	{ "review.reply", 0, W, .sess = sess_rpc_review_reply },
	{ "review.resolve", 0, W, .sess = sess_rpc_review_resolve },
	{ "review.verdict", 0, W, .sess = sess_rpc_review_verdict },
	{ "review.apply", 0, W, .sess = sess_rpc_review_apply },
	{ "cluster.status", 0, R, .clu = clu_rpc_status },
	{ "cluster.scale", 0, W, .clu = clu_rpc_scale },
	{ "usage.report", 0, R, .clu = clu_rpc_usage },
	{ "plugins.list", 0, R, .srv = srv_rpc_plugins_list },
	{ "lib.who_uses", 0, R, .srv = srv_rpc_lib_who_uses },
};

#undef R
#undef W
#undef O

static struct client *client_new(struct srv *s, uv_stream_t *l, bool tcp);
static void	 client_challenge(struct client *c);
static void	 client_in(struct client *c, const char *name,
		     enum req_role role);
static void	 client_refuse(struct client *c, const char *msg);
static const struct srv_method *client_method(const char *name);
static void	 client_limit(void *ctx, enum rpc_type type,
		     const char *method, struct rpc_limit *l);
static void	 client_on_msg(void *ctx, struct rpc_msg *m);
static void	 client_on_over_limit(void *ctx, const struct rpc_msg *m,
		     const char *why);
static void	 client_on_end(void *ctx, enum conn_end why, const char *msg,
		     size_t queued);
static void	 client_on_closed(void *ctx);
static void	 client_on_flow(void *ctx, bool held);
static void	 client_handle(struct client *c, struct rpc_msg *m);
static void	 client_error(struct client *c, uint32_t id, int code,
		     const char *msg);
static void	 client_fail(struct client *c, int code, const char *msg);

void
srv_client_accept(struct srv *s, uv_stream_t *l, bool tcp)
{
	struct client		*c;
	struct ucred		 cred;
	socklen_t		 clen = sizeof cred;
	uv_os_fd_t		 fd;
	char			 msg[128], name[INET6_ADDRSTRLEN];
	unsigned		 port;

	if ((c = client_new(s, l, tcp)) == NULL) {
		if (!tcp)
			log_info("accept on %s failed", s->sock_path);
		return;
	}
	if (tcp) {
		conn_peer(c->rc.conn, name, sizeof name, &port);
		snprintf(c->peer, sizeof c->peer, "tcp %s port %u", name,
		    port);
		client_challenge(c);
		return;
	}
	if (uv_fileno((uv_handle_t *)conn_stream(c->rc.conn), &fd) != 0 ||
	    getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) != 0) {
		log_info("accept on %s failed", s->sock_path);
		conn_close(c->rc.conn, false);
		return;
	}
	snprintf(c->peer, sizeof c->peer, "unix pid %d uid %u", (int)cred.pid,
	    (unsigned)cred.uid);
	if (cred.uid != geteuid()) {
		srv_log_refused(s, "client %" PRIu64 " (%s): refused: not "
		    "uid %u", c->rc.id, c->peer, (unsigned)geteuid());
		snprintf(msg, sizeof msg, "this kernel serves uid %u only",
		    (unsigned)geteuid());
		client_refuse(c, msg);
		return;
	}
	client_in(c, req_kernel_user(), REQ_ROLE_OWNER);
	conn_start(c->rc.conn);
}

/* A TCP peer: refused at once if too many wait to authenticate, else
 * challenged, with auth_ms to answer. */
static void
client_challenge(struct client *c)
{
	struct srv		*s = c->srv;
	struct rpc_writer	*w = conn_writer(c->rc.conn);
	char			 msg[128];

	if (s->npending >= s->pending_max) {
		srv_log_refused(s, "client %" PRIu64 " (%s): refused: %zu "
		    "connections already wait to authenticate", c->rc.id,
		    c->peer, s->npending);
		snprintf(msg, sizeof msg, "too many connections wait to "
		    "authenticate (%u); try again", s->pending_max);
		rpc_begin_notify(w, "kernel.refused");
		msgpack_pack_map(&w->pk, 1);
		rpc_pack_kv_str(&w->pk, "message", msg);
		conn_refuse(c->rc.conn, false);
		return;
	}
	c->pending = true;
	s->npending++;
	auth_nonce(c->nonce);
	rpc_begin_notify(w, "auth.challenge");
	msgpack_pack_map(&w->pk, 2);
	rpc_pack_key(&w->pk, "nonce");
	msgpack_pack_bin(&w->pk, AUTH_NONCE_LEN);
	msgpack_pack_bin_body(&w->pk, c->nonce, AUTH_NONCE_LEN);
	rpc_pack_kv_int(&w->pk, "version", AUTH_VERSION);
	conn_flush(c->rc.conn);
	conn_set_deadline(c->rc.conn, s->auth_ms);
	conn_start(c->rc.conn);
}

/* c is in, as member name with role: it may send large messages, within
 * each method's limit. */
static void
client_in(struct client *c, const char *name, enum req_role role)
{
	c->authed = true;
	req_client_set_name(&c->rc, name, strlen(name));
	c->rc.role = role;
	if (c->pending) {
		c->pending = false;
		c->srv->npending--;
	}
	conn_set_deadline(c->rc.conn, 0);
	conn_set_frame_max(c->rc.conn, SRV_FRAME_MAX);
	conn_set_limit(c->rc.conn, client_limit, c);
}

/* kernel.refused {message}, then the close (the peer reads it first). */
static void
client_refuse(struct client *c, const char *msg)
{
	struct rpc_writer *w = conn_writer(c->rc.conn);

	rpc_begin_notify(w, "kernel.refused");
	msgpack_pack_map(&w->pk, 1);
	rpc_pack_kv_str(&w->pk, "message", msg);
	conn_refuse(c->rc.conn, true);
}

void
srv_client_notify_all(struct srv *s, const void *p, size_t n)
{
	for (struct client *c = s->clients; c != NULL; c = c->next)
		if (c->authed)
			req_client_send(&c->rc, p, n);
}

void
srv_client_close_all(struct srv *s, bool graceful)
{
	struct client *c, *next;

	for (c = s->clients; c != NULL; c = next) {
		next = c->next;
		conn_close(c->rc.conn, graceful);
	}
}

/* A client for a connection waiting on l; NULL if the accept failed. Its
 * reader takes small frames until it authenticates. */
static struct client *
client_new(struct srv *s, uv_stream_t *l, bool tcp)
{
	static const struct conn_cbs cbs = {
		.on_msg = client_on_msg,
		.on_over_limit = client_on_over_limit,
		.on_end = client_on_end,
		.on_closed = client_on_closed,
		.on_flow = client_on_flow,
	};
	struct conn_opts	 o = {
		.frame_max = SRV_FRAME_ANON,
		.queue_max = SRV_QUEUED_MAX,
		.queue_high = SRV_HELD_HIGH,
		.queue_low = SRV_HELD_LOW,
		.keep = SRV_KEEP_MAX,
		.rbuf = s->rbuf,
		.rbuflen = sizeof s->rbuf,
	};
	struct client		*c = xcalloc(1, sizeof *c);

	if ((c->rc.conn = conn_accept(l, &o, &cbs, c)) == NULL) {
		free(c);
		return NULL;
	}
	c->srv = s;
	c->rc.id = ++s->next_client;
	c->tcp = tcp;
	c->next = s->clients;
	if (s->clients != NULL)
		s->clients->prev = c;
	s->clients = c;
	s->nclients++;
	srv_idle_check(s);
	return c;
}

static void
client_on_msg(void *ctx, struct rpc_msg *m)
{
	client_handle(ctx, m);
}

/* A message over its method's limit: a request is answered ELIMIT, a
 * notification dropped; the connection carries on. */
static void
client_on_over_limit(void *ctx, const struct rpc_msg *m, const char *why)
{
	struct client *c = ctx;

	log_info("client %" PRIu64 " (%s): refused %s", c->rc.id, c->peer,
	    why);
	if (m->type == RPC_REQUEST)
		client_error(c, m->id, GL_ELIMIT, why);
}

static void
client_limit(void *ctx, enum rpc_type type, const char *method,
    struct rpc_limit *l)
{
	const struct srv_method *meth = client_method(method);

	(void)ctx;
	if (type != RPC_RESPONSE && meth != NULL &&
	    (meth->flags & SRV_M_BIG)) {
		l->elems = SRV_BIG_ELEMS_MAX;
		l->bytes = SRV_BIG_DECODED_MAX;
	} else {
		l->elems = SRV_ELEMS_MAX;
		l->bytes = SRV_DECODED_MAX;
	}
}

/* How a client's conversation ended; a client that let SRV_QUEUED_MAX
 * pile up (it stopped reading altogether) is dropped. */
static void
client_on_end(void *ctx, enum conn_end end, const char *msg, size_t queued)
{
	struct client	*c = ctx;
	char		 why[128];

	switch (end) {
	case CONN_EOF:
		conn_close(c->rc.conn, true);
		break;
	case CONN_READ_ERROR:
		conn_close(c->rc.conn, false);
		break;
	case CONN_PROTOCOL:
		if (c->authed)
			log_info("client %" PRIu64 " (%s): %s", c->rc.id,
			    c->peer, msg);
		else
			srv_log_refused(c->srv, "client %" PRIu64 " (%s): %s",
			    c->rc.id, c->peer, msg);
		client_fail(c, GL_EPROTO, msg);
		break;
	case CONN_WRITE_ERROR:
		log_info("client %" PRIu64 " (%s): write: %s", c->rc.id,
		    c->peer, msg);
		conn_close(c->rc.conn, false);
		break;
	case CONN_FULL:
		log_info("client %" PRIu64 " (%s): dropped: %zu bytes queued "
		    "and it reads nothing", c->rc.id, c->peer, queued);
		conn_close(c->rc.conn, false);
		break;
	case CONN_DEADLINE:
		if (c->authed)
			break;
		srv_log_refused(c->srv, "client %" PRIu64 " (%s): did not "
		    "authenticate within %u ms", c->rc.id, c->peer,
		    c->srv->auth_ms);
		snprintf(why, sizeof why, "did not authenticate within %u "
		    "ms", c->srv->auth_ms);
		client_refuse(c, why);
		break;
	}
}

/* The flow control of output: a held client holds the runtimes of its
 * sessions (kernel/session.c, sess_flow()). */
static void
client_on_flow(void *ctx, bool held)
{
	struct client	*c = ctx;

	if (c->authed)
		log_info("client %" PRIu64 " (%s): %s", c->rc.id, c->peer,
		    held ? "does not keep up: its sessions' output waits" :
		    "caught up");
	sess_set_client_flow(c->srv->sessions, &c->rc);
}

static void
client_on_closed(void *ctx)
{
	struct client	*c = ctx;
	struct srv	*s = c->srv;

	sess_set_drop_client(s->sessions, &c->rc);
	if (c->pending)
		s->npending--;
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		s->clients = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	s->nclients--;
	if (c->authed)
		log_info("client %" PRIu64 " (%s) disconnected", c->rc.id,
		    c->peer);
	free(c->rc.name);
	free(c);
	srv_client_gone(s);
}

static const struct srv_method *
client_method(const char *name)
{
	for (size_t i = 0; i < sizeof srv_methods / sizeof srv_methods[0];
	    i++) {
		if (strcmp(srv_methods[i].name, name) == 0)
			return &srv_methods[i];
	}
	return NULL;
}

/* "a viewer", "an editor", "the owner". */
static const char *
client_role_a(enum req_role role)
{
	switch (role) {
	case REQ_ROLE_VIEWER:
		return "a viewer";
	case REQ_ROLE_EDITOR:
		return "an editor";
	case REQ_ROLE_OWNER:
		return "the owner";
	default:
		return "not authenticated";
	}
}

/* One message from c: a request is looked up in srv_methods and handed to
 * the part of the kernel that serves it; before c authenticated, only
 * methods marked SRV_M_ANON are. */
static void
client_handle(struct client *c, struct rpc_msg *m)
{
	struct srv		*s = c->srv;
	const struct srv_method	*meth;
	struct req		 r;
	struct gl_err		 e;
	msgpack_packer		*pk;
	char			 msg[256];
	int			 rc;

	if (m->type == RPC_RESPONSE) {
		client_fail(c, GL_EPROTO, "unexpected response: clients send "
		    "requests");
		return;
	}
	meth = m->type == RPC_REQUEST ? client_method(m->method) : NULL;
	/* The turn's edits are answered before anything else is done,
	 * refusals included. */
	if (meth == NULL || meth->sess != sess_rpc_doc_edit)
		sess_set_flush(s->sessions);
	if (!c->authed && (meth == NULL || !(meth->flags & SRV_M_ANON))) {
		srv_log_refused(s, "client %" PRIu64 " (%s): %s before "
		    "authenticating", c->rc.id, c->peer, m->method);
		client_error(c, m->type == RPC_REQUEST ? m->id : 0, GL_EAUTH,
		    "authenticate first");
		conn_refuse(c->rc.conn, true);
		return;
	}
	if (m->type == RPC_NOTIFY) {
		log_info("client %" PRIu64 ": ignored notification %s",
		    c->rc.id, m->method);
		return;
	}
	if (meth == NULL) {
		snprintf(msg, sizeof msg, "no method %s", m->method);
		client_error(c, m->id, GL_EINVAL, msg);
		return;
	}
	if (c->authed && !srv_member_check(c))
		return;
	if (c->authed && c->rc.role < meth->need) {
		snprintf(msg, sizeof msg, "%s is %s: %s needs %s",
		    req_client_user(&c->rc), client_role_a(c->rc.role),
		    m->method, client_role_a(meth->need));
		client_error(c, m->id, GL_EPERM, msg);
		return;
	}
	r.client = &c->rc;
	r.id = m->id;
	r.args = m->args;
	r.replied = false;
	gl_err_clear(&e);
	if (meth->sess != NULL)
		rc = meth->sess(s->sessions, &r, &e);
	else if (meth->clu != NULL)
		rc = s->clu != NULL ? meth->clu(s->clu, &r, &e) :
		    gl_err_set(&e, GL_ECLOSED, "the kernel is stopping");
	else
		rc = meth->srv(c, &r, &e);
	if (rc != 0 && !r.replied)
		client_error(c, m->id, rc, e.msg[0] != '\0' ? e.msg :
		    gl_err_desc(rc));
	else if (rc != 0)
		log_info("%s: error after replying: %s", m->method, e.msg);
	else if (!r.replied) {
		pk = req_reply_begin(&r);
		msgpack_pack_map(pk, 0);
		req_reply_end(&r);
	}
}

static void
client_error(struct client *c, uint32_t id, int code, const char *msg)
{
	rpc_write_error(conn_writer(c->rc.conn), id, code, msg);
	conn_flush(c->rc.conn);
}

/* A protocol error: tell the peer (id 0) and close this connection. */
static void
client_fail(struct client *c, int code, const char *msg)
{
	client_error(c, 0, code, msg);
	conn_refuse(c->rc.conn, true);
}

/* A bin (or str, as some msgpack libraries send bytes) of n bytes. */
static const unsigned char *
client_arg_bytes(const msgpack_object *args, const char *key, size_t n)
{
	const msgpack_object *o = rpc_map_get(args, key);

	if (o != NULL && o->type == MSGPACK_OBJECT_BIN &&
	    o->via.bin.size == n)
		return (const unsigned char *)o->via.bin.ptr;
	if (o != NULL && o->type == MSGPACK_OBJECT_STR &&
	    o->via.str.size == n)
		return (const unsigned char *)o->via.str.ptr;
	return NULL;
}

/* auth.response {hmac, nonce, member?}: before authenticating, checks
 * the proof over both nonces (a wrong one is refused and the connection
 * closed): with the kernel's token (the owner) or, naming a member, with
 * that member's key; then seals the connection with keys from that
 * secret and both nonces and answers in the first sealed record. After,
 * only says who the client is. */
static int
srv_rpc_auth(struct client *c, struct req *r, struct gl_err *err)
{
	const unsigned char	*mac, *nonce;
	const struct mbr	*m = NULL;
	msgpack_packer		*pk;
	const char		*why = "wrong token";
	char			*member;

	(void)err;
	if (!c->authed) {
		mac = client_arg_bytes(r->args, "hmac", AUTH_MAC_LEN);
		nonce = client_arg_bytes(r->args, "nonce", AUTH_NONCE_LEN);
		member = rpc_map_strdup(r->args, "member");
		if (mac != NULL && nonce == NULL)
			why = "auth.response without a nonce: this kernel "
			    "speaks auth version 2 (upgrade the client)";
		if (mac != NULL && nonce != NULL && member != NULL)
			why = srv_member_auth(c->srv, member, c->nonce, nonce,
			    mac, &m);
		else if (mac != NULL && nonce != NULL &&
		    auth_proof_check(c->srv->token, "client", AUTH_BY_PEER,
		    c->nonce, nonce, mac))
			why = NULL;
		if (why != NULL) {
			srv_log_refused(c->srv, "client %" PRIu64 " (%s): %s%s%s",
			    c->rc.id, c->peer, why, member != NULL ?
			    " for member " : "", member != NULL ? member : "");
			client_error(c, r->id, GL_EAUTH, why);
			r->replied = true;
			conn_refuse(c->rc.conn, true);
			free(member);
			return 0;
		}
		free(member);
		if (m != NULL) {
			client_in(c, m->name, m->role);
			c->member = true;
			c->expires_ms = m->expires_ms;
		} else
			client_in(c, req_kernel_user(), REQ_ROLE_OWNER);
		conn_seal(c->rc.conn, seal_new(m != NULL ? m->key :
		    c->srv->token, "client", c->nonce, nonce, SEAL_KERNEL));
		log_info("client %" PRIu64 " (%s): authenticated as %s (%s)",
		    c->rc.id, c->peer, c->rc.name, req_role_name(c->rc.role));
	}
	pk = req_reply_begin(r);
	msgpack_pack_map(pk, 3);
	rpc_pack_kv_int(pk, "client", (int64_t)c->rc.id);
	rpc_pack_kv_str(pk, "name", c->rc.name);
	rpc_pack_kv_str(pk, "role", req_role_name(c->rc.role));
	req_reply_end(r);
	return 0;
}

static int
srv_rpc_info(struct client *c, struct req *r, struct gl_err *err)
{
	struct srv	*s = c->srv;
	msgpack_packer	*pk = req_reply_begin(r);

	(void)err;
	msgpack_pack_map(pk, 12);
	rpc_pack_kv_str(pk, "version", GALLEY_VERSION);
	rpc_pack_kv_str(pk, "name", c->rc.name);
	rpc_pack_kv_str(pk, "role", req_role_name(c->rc.role));
	rpc_pack_kv_int(pk, "pid", (int64_t)getpid());
	rpc_pack_kv_int(pk, "uid", (int64_t)geteuid());
	rpc_pack_kv_int(pk, "sessions", (int64_t)sess_set_count(s->sessions));
	rpc_pack_kv_int(pk, "clients", (int64_t)s->nclients);
	rpc_pack_kv_int(pk, "client", (int64_t)c->rc.id);
	rpc_pack_kv_int(pk, "uptime_ms",
	    (int64_t)(uv_hrtime() / 1000000 - s->started_ms));
	rpc_pack_kv_str(pk, "runtime_dir", s->dir);
	rpc_pack_kv_str(pk, "listen", s->tcp_on ? s->listen_addr : NULL);
	rpc_pack_kv_int(pk, "memory_limit", (int64_t)s->memory_limit);
	req_reply_end(r);
	return 0;
}

static int
srv_rpc_shutdown(struct client *c, struct req *r, struct gl_err *err)
{
	msgpack_packer *pk = req_reply_begin(r);

	(void)err;
	msgpack_pack_map(pk, 0);
	req_reply_end(r);
	srv_stop(c->srv, "kernel.shutdown");
	return 0;
}

/* kernel.listen {listen}: TCP too, on a kernel already running; its
 * owner only (a Unix peer: the kernel's uid). */
static int
srv_rpc_listen(struct client *c, struct req *r, struct gl_err *err)
{
	struct srv	*s = c->srv;
	msgpack_packer	*pk;
	char		*spec;
	int		 rc;

	if (c->tcp)
		return gl_err_set(err, GL_EPERM, "kernel.listen: only over "
		    "the kernel's Unix socket");
	if ((spec = rpc_map_strdup(r->args, "listen")) == NULL)
		return gl_err_set(err, GL_EINVAL, "kernel.listen: wants "
		    "{listen: \"HOST:PORT\"}");
	rc = srv_listen_tcp(s, spec, err);
	free(spec);
	if (rc != 0)
		return gl_err_prefix(err, "kernel.listen");
	log_info("listening on tcp %s too (kernel.listen from client %"
	    PRIu64 ")", s->listen_addr, c->rc.id);
	pk = req_reply_begin(r);
	msgpack_pack_map(pk, 1);
	rpc_pack_kv_str(pk, "listen", s->listen_addr);
	req_reply_end(r);
	return 0;
}

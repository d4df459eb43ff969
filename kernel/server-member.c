/*
 * server-member.c - the server's members (kernel/member.h): who a TCP
 * client proves to be, the owner's kernel.member_* methods, and
 * session.share, which makes a member and the invite that carries its
 * token.
 *
 * Who is who. A Unix-socket client (the kernel's uid) and a TCP client
 * that proves it holds the kernel's token are the owner, named as the
 * kernel's user. A TCP client that names a member in auth.response and
 * proves it holds that member's key is that member, with its role
 * (kernel/req.h); srv_member_auth() checks the proof and the expiry.
 *
 * At once. Removing a member closes its connections after telling them
 * (kernel.refused {reason: "revoked"}); a role change holds for its
 * next request and every session it is in hears session.role; a member
 * whose time runs out is refused at its next request
 * (srv_member_check()). The file is written before the change takes
 * effect (kernel/member.h), so what the kernel enforces is what the file
 * says: a change the file cannot take is refused, and no connection is
 * closed or told a new role.
 */
#include "kernel/server_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/err.h"
#include "core/invite.h"
#include "core/mem.h"
#include "core/util.h"
#include "core/paths.h"
#include "core/rpc.h"
#include "kernel/conn.h"
#include "kernel/log.h"
#include "kernel/member.h"
#include "kernel/req.h"
#include "kernel/session.h"

static void	 srv_member_pack(struct srv *s, msgpack_packer *pk,
		     const struct mbr *m);
static void	 srv_member_refuse(struct client *c, const char *reason,
		     const char *msg);
static int	 srv_member_args(struct req *r, const char *method,
		     enum req_role *role, int64_t *expires, bool need_role,
		     struct gl_err *err);

int
srv_members_open(struct srv *s, struct gl_err *err)
{
	char	*path = gl_path_join(s->dir, MBR_FILE);
	int	 rc;

	rc = mbr_set_load(path, &s->members, err);
	free(path);
	if (rc == 0 && mbr_set_count(s->members) > 0)
		log_info("%zu member%s in %s/%s", mbr_set_count(s->members),
		    mbr_set_count(s->members) == 1 ? "" : "s", s->dir,
		    MBR_FILE);
	return rc;
}

const char *
srv_member_auth(struct srv *s, const char *name,
    const unsigned char *kernel_nonce, const unsigned char *peer_nonce,
    const unsigned char *mac, const struct mbr **out)
{
	const struct mbr *m = mbr_set_find(s->members, name);

	/* One answer whether the name or the proof is wrong: a stranger
	 * learns no member's name from it. */
	if (m == NULL || !auth_proof_check(m->key, "client", AUTH_BY_PEER,
	    kernel_nonce, peer_nonce, mac))
		return "wrong token (or no such member)";
	if (mbr_expired(m, gl_wall_ms()))
		return "this member's invitation has expired";
	*out = m;
	return NULL;
}

bool
srv_member_check(struct client *c)
{
	char msg[128];

	if (!c->member || c->expires_ms == 0 ||
	    gl_wall_ms() < c->expires_ms)
		return true;
	snprintf(msg, sizeof msg, "member %s's invitation expired",
	    c->rc.name);
	log_info("client %" PRIu64 " (%s): %s", c->rc.id, c->peer, msg);
	srv_member_refuse(c, "expired", msg);
	return false;
}

/* kernel.member_add {name?, role, expires?} */
int
srv_rpc_member_add(struct client *c, struct req *r, struct gl_err *err)
{
	struct srv		*s = c->srv;
	const struct mbr	*m;
	char			 token[AUTH_TOKEN_LEN + 1], *name;
	enum req_role		 role;
	int64_t			 expires;
	msgpack_packer		*pk;
	int			 rc;

	if ((rc = srv_member_args(r, "kernel.member_add", &role, &expires,
	    true, err)) != 0)
		return rc;
	name = rpc_map_strdup(r->args, "name");
	rc = mbr_set_add(s->members, name, role, expires, c->rc.name,
	    gl_wall_ms(), token, &m, err);
	free(name);
	if (rc != 0)
		return gl_err_prefix(err, "kernel.member_add");
	log_info("member %s added (%s) by %s", m->name, req_role_name(role),
	    c->rc.name);
	pk = req_reply_begin(r);
	msgpack_pack_map(pk, 4);
	rpc_pack_kv_str(pk, "name", m->name);
	rpc_pack_kv_str(pk, "role", req_role_name(m->role));
	rpc_pack_kv_str(pk, "token", token);
	rpc_pack_key(pk, "expires");
	if (m->expires_ms > 0)
		msgpack_pack_int64(pk, m->expires_ms);
	else
		msgpack_pack_nil(pk);
	req_reply_end(r);
	memset(token, 0, sizeof token);
	return 0;
}

/* kernel.member_remove {name}: and its connections closed, told first. */
int
srv_rpc_member_remove(struct client *c, struct req *r, struct gl_err *err)
{
	struct srv	*s = c->srv;
	struct client	*o, *next;
	char		*name, msg[160];
	size_t		 closed = 0;
	msgpack_packer	*pk;
	int		 rc;

	if ((name = rpc_map_strdup(r->args, "name")) == NULL)
		return gl_err_set(err, GL_EINVAL,
		    "kernel.member_remove: wants {name}");
	if ((rc = mbr_set_remove(s->members, name, err)) != 0) {
		free(name);
		return gl_err_prefix(err, "kernel.member_remove");
	}
	snprintf(msg, sizeof msg, "member %s was removed by %s", name,
	    c->rc.name);
	for (o = s->clients; o != NULL; o = next) {
		next = o->next;
		if (o->authed && o->member && strcmp(o->rc.name, name) == 0 &&
		    !conn_closing(o->rc.conn)) {
			srv_member_refuse(o, "revoked", msg);
			closed++;
		}
	}
	log_info("%s (%zu connection%s closed)", msg, closed,
	    closed == 1 ? "" : "s");
	pk = req_reply_begin(r);
	msgpack_pack_map(pk, 2);
	rpc_pack_kv_str(pk, "name", name);
	rpc_pack_kv_int(pk, "closed", (int64_t)closed);
	req_reply_end(r);
	free(name);
	return 0;
}

/* kernel.member_role {name, role}: at once, for its open connections. */
int
srv_rpc_member_role(struct client *c, struct req *r, struct gl_err *err)
{
	struct srv	*s = c->srv;
	enum req_role	 role;
	int64_t		 expires;
	char		*name;
	msgpack_packer	*pk;
	int		 rc;

	if ((rc = srv_member_args(r, "kernel.member_role", &role, &expires,
	    true, err)) != 0)
		return rc;
	if ((name = rpc_map_strdup(r->args, "name")) == NULL)
		return gl_err_set(err, GL_EINVAL,
		    "kernel.member_role: wants {name, role}");
	if ((rc = mbr_set_role(s->members, name, role, err)) != 0) {
		free(name);
		return gl_err_prefix(err, "kernel.member_role");
	}
	log_info("member %s is %s %s now (by %s)", name,
	    role == REQ_ROLE_OWNER ? "an" : "a", req_role_name(role),
	    c->rc.name);
	pk = req_reply_begin(r);
	msgpack_pack_map(pk, 2);
	rpc_pack_kv_str(pk, "name", name);
	rpc_pack_kv_str(pk, "role", req_role_name(role));
	req_reply_end(r);
	for (struct client *o = s->clients; o != NULL; o = o->next) {
		if (o->authed && o->member && strcmp(o->rc.name, name) == 0 &&
		    o->rc.role != role) {
			o->rc.role = role;
			sess_set_client_changed(s->sessions, &o->rc);
		}
	}
	free(name);
	return 0;
}

/* kernel.members {} */
int
srv_rpc_members(struct client *c, struct req *r, struct gl_err *err)
{
	struct srv	*s = c->srv;
	msgpack_packer	*pk = req_reply_begin(r);
	size_t		 n = mbr_set_count(s->members);

	(void)err;
	msgpack_pack_array(pk, n);
	for (size_t i = 0; i < n; i++)
		srv_member_pack(s, pk, mbr_set_at(s->members, i));
	req_reply_end(r);
	return 0;
}

/*
 * session.share {session, role, name?, expires?, host?}: a member for
 * someone to join the session with, and the invite that carries it. A
 * kernel that serves no TCP can only be joined by its own user on this
 * machine, who is its owner anyway: the invite then names the Unix
 * socket and the session, and no member is made.
 */
int
srv_rpc_share(struct client *c, struct req *r, struct gl_err *err)
{
	struct srv		*s = c->srv;
	const struct mbr	*m = NULL;
	struct inv		 inv;
	const char		*path, *sid, *colon;
	char			 token[AUTH_TOKEN_LEN + 1], host[256];
	char			*name = NULL, *want_host, *invite;
	enum req_role		 role;
	int64_t			 expires;
	msgpack_packer		*pk;
	int			 rc;

	if ((rc = srv_member_args(r, "session.share", &role, &expires, true,
	    err)) != 0)
		return rc;
	if ((path = sess_share_path(s->sessions, r, &sid, err)) == NULL)
		return gl_err_prefix(err, "session.share");
	memset(&inv, 0, sizeof inv);
	inv.session = (char *)sid;
	inv.path = path[0] != '\0' ? (char *)path : NULL;
	if (!s->tcp_on) {
		inv.kernel = xasprintf("unix:%s", s->sock_path);
		invite = inv_encode(&inv);
		pk = req_reply_begin(r);
		msgpack_pack_map(pk, 7);
		rpc_pack_kv_str(pk, "invite", invite);
		rpc_pack_kv_str(pk, "session", sid);
		rpc_pack_kv_str(pk, "kernel", inv.kernel);
		rpc_pack_kv_str(pk, "name", req_kernel_user());
		rpc_pack_kv_str(pk, "role", "owner");
		rpc_pack_kv_bool(pk, "local", true);
		rpc_pack_kv_str(pk, "expires", NULL);
		req_reply_end(r);
		free(invite);
		free(inv.kernel);
		return 0;
	}
	name = rpc_map_strdup(r->args, "name");
	rc = mbr_set_add(s->members, name, role, expires, c->rc.name,
	    gl_wall_ms(), token, &m, err);
	free(name);
	if (rc != 0)
		return gl_err_prefix(err, "session.share");
	/* Where others reach us: a wildcard address is this host's name. */
	colon = strrchr(s->listen_addr, ':');
	want_host = rpc_map_strdup(r->args, "host");
	if (want_host != NULL)
		snprintf(host, sizeof host, "%s", want_host);
	else if (strncmp(s->listen_addr, "0.0.0.0:", 8) == 0 ||
	    strncmp(s->listen_addr, "[::]:", 5) == 0) {
		if (gethostname(host, sizeof host) != 0)
			snprintf(host, sizeof host, "localhost");
		host[sizeof host - 1] = '\0';
	} else
		snprintf(host, sizeof host, "%.*s",
		    (int)(colon - s->listen_addr), s->listen_addr);
	free(want_host);
	inv.kernel = xasprintf("tcp:%s%s", host, colon);
	inv.member = (char *)m->name;
	memcpy(inv.token, token, sizeof token);
	invite = inv_encode(&inv);
	memset(inv.token, 0, sizeof inv.token);
	memset(token, 0, sizeof token);
	log_info("member %s added (%s) by %s to share %s", m->name,
	    req_role_name(role), c->rc.name, sid);
	pk = req_reply_begin(r);
	msgpack_pack_map(pk, 7);
	rpc_pack_kv_str(pk, "invite", invite);
	rpc_pack_kv_str(pk, "session", sid);
	rpc_pack_kv_str(pk, "kernel", inv.kernel);
	rpc_pack_kv_str(pk, "name", m->name);
	rpc_pack_kv_str(pk, "role", req_role_name(m->role));
	rpc_pack_kv_bool(pk, "local", false);
	rpc_pack_key(pk, "expires");
	if (m->expires_ms > 0)
		msgpack_pack_int64(pk, m->expires_ms);
	else
		msgpack_pack_nil(pk);
	req_reply_end(r);
	memset(invite, 0, strlen(invite));
	free(invite);
	free(inv.kernel);
	return 0;
}

static void
srv_member_pack(struct srv *s, msgpack_packer *pk, const struct mbr *m)
{
	size_t connected = 0;

	for (struct client *c = s->clients; c != NULL; c = c->next)
		if (c->authed && c->member && strcmp(c->rc.name, m->name) == 0)
			connected++;
	msgpack_pack_map(pk, 6);
	rpc_pack_kv_str(pk, "name", m->name);
	rpc_pack_kv_str(pk, "role", req_role_name(m->role));
	rpc_pack_key(pk, "expires");
	if (m->expires_ms > 0)
		msgpack_pack_int64(pk, m->expires_ms);
	else
		msgpack_pack_nil(pk);
	rpc_pack_kv_int(pk, "created", m->created_ms);
	rpc_pack_kv_str(pk, "by", m->by);
	rpc_pack_kv_int(pk, "connected", (int64_t)connected);
}

/* kernel.refused {reason, message} to c, then its close (it reads it
 * first). */
static void
srv_member_refuse(struct client *c, const char *reason, const char *msg)
{
	struct rpc_writer *w = conn_writer(c->rc.conn);

	rpc_begin_notify(w, "kernel.refused");
	msgpack_pack_map(&w->pk, 2);
	rpc_pack_kv_str(&w->pk, "reason", reason);
	rpc_pack_kv_str(&w->pk, "message", msg);
	conn_refuse(c->rc.conn, true);
}

/* role (required with need_role) and expires? ("8h", or seconds) of a
 * request. */
static int
srv_member_args(struct req *r, const char *method, enum req_role *role,
    int64_t *expires, bool need_role, struct gl_err *err)
{
	const msgpack_object	*e = rpc_map_get(r->args, "expires");
	const char		*rs;
	size_t			 rlen;
	char			 buf[32];
	int64_t			 ms;

	*expires = 0;
	rs = rpc_map_str(r->args, "role", &rlen);
	if (rs == NULL && need_role)
		return gl_err_set(err, GL_EINVAL, "%s: wants a role (viewer, "
		    "editor or owner)", method);
	if (rs != NULL && req_role_parse(rs, rlen, role) != 0)
		return gl_err_set(err, GL_EINVAL, "%s: a role is viewer, "
		    "editor or owner, not %.*s", method, (int)rlen, rs);
	if (e == NULL || e->type == MSGPACK_OBJECT_NIL)
		return 0;
	if (e->type == MSGPACK_OBJECT_POSITIVE_INTEGER && e->via.u64 > 0 &&
	    e->via.u64 < (uint64_t)100 * 365 * 86400)
		ms = (int64_t)e->via.u64 * 1000;
	else if (e->type == MSGPACK_OBJECT_STR && e->via.str.size > 0 &&
	    e->via.str.size < sizeof buf) {
		memcpy(buf, e->via.str.ptr, e->via.str.size);
		buf[e->via.str.size] = '\0';
		if (mbr_duration_parse(buf, &ms, err) != 0)
			return gl_err_prefix(err, "%s", method);
	} else
		return gl_err_set(err, GL_EINVAL, "%s: expires is a duration "
		    "(\"8h\") or seconds", method);
	*expires = gl_wall_ms() + ms;
	return 0;
}

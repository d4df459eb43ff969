/*
 * req.h - a client's request as the kernel's method handlers see it: the
 * arguments, a packer for the reply, and who asks (an id, a display name,
 * where notifications for that client go). The narrow interface between
 * the server, which owns the clients and dispatches their requests
 * (kernel/server-client.c), and the handlers of the session and cluster
 * families (kernel/session.h, kernel/cluster.h), which never see the
 * server's structures.
 *
 * Runs on the kernel's libuv loop; replies go out through kernel/conn.h.
 */
#ifndef GL_REQ_H
#define GL_REQ_H

#include <msgpack.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct conn;

/* What a client may do (docs/security.md): each method of the table
 * needs one of these (kernel/server-client.c), checked before its
 * handler runs. Ordered: a role may do what the ones below it may. */
enum req_role {
	REQ_ROLE_NONE = 0,	/* not authenticated */
	REQ_ROLE_VIEWER,	/* reads, cursors, talk */
	REQ_ROLE_EDITOR,	/* edits, runs, saves */
	REQ_ROLE_OWNER,		/* members, the kernel itself */
};

/* A client of the kernel as handlers know it. The server embeds one in
 * each client and keeps it until the client is gone; sessions keep
 * borrowed pointers to it while the client is attached. */
struct req_client {
	uint64_t	 id;		/* "client" in replies, notifications */
	struct conn	*conn;		/* borrowed: where its messages go */
	char		*name;		/* owned: the member it is (the kernel's
					 * user for the owner), set when it
					 * authenticates; NULL before */
	enum req_role	 role;		/* what it may do; changes at once
					 * with kernel.member_role */
	size_t		 held;		/* doc.edit answers waiting for the
					 * journal's commit (session-doc.c):
					 * its other requests wait behind
					 * them, so answers keep their order */
};

/* One request being handled. A handler either packs its result between
 * req_reply_begin() and req_reply_end(), or returns 0 without replying
 * (the server answers {}), or returns a GL_E* code with err set (the
 * server answers with that error). */
struct req {
	struct req_client *client;	/* borrowed: who asks */
	uint32_t	 id;
	const msgpack_object *args;	/* a map, or nil */
	bool		 replied;
};

/* Begins the response to r; the caller packs exactly one value (the
 * result), then calls req_reply_end(). The packer is borrowed. */
msgpack_packer *req_reply_begin(struct req *r);
void	 req_reply_end(struct req *r);
/* Sends n bytes of whole messages (a packed notification) to c; c is
 * dropped if it stopped reading (kernel/conn.h). */
void	 req_client_send(struct req_client *c, const void *p, size_t n);
/* Sends p[0..n) then q[0..m), a message cut in two (kernel/conn.h's
 * conn_send2()). */
/* Corked, what is sent to c goes out together when uncorked (conn_cork). */
void	 req_client_cork(struct req_client *c, bool corked);
void	 req_client_send2(struct req_client *c, const void *p, size_t n,
	     const void *q, size_t m);
/* True while more of c's messages wait to be sent than the kernel lets
 * pile up (kernel/conn.h's high watermark) until they drained. */
bool	 req_client_held(const struct req_client *c);
/* Sets c's name (the member it is) to the len bytes at name (copied). */
void	 req_client_set_name(struct req_client *c, const char *name,
	     size_t len);
/* Whom the kernel attributes what c does: the member c authenticated as
 * (a team kernel's member, or the owner); with c NULL (what no client
 * asked for) the user the kernel runs as (kernel/req-user.c). Borrowed:
 * c's until it is gone, else static. */
const char *req_client_user(const struct req_client *c);
/* The user the kernel runs as (its owner's name). Static. */
const char *req_kernel_user(void);
/* "viewer", "editor", "owner" ("none" before authentication). */
const char *req_role_name(enum req_role role);
/* The role named s[0..len): 0, or GL_EINVAL. */
int	 req_role_parse(const char *s, size_t len, enum req_role *out);

#endif

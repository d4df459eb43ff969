/*
 * server_int.h - what the server's files share (kernel/server.c: the
 * loop, listeners and lifecycle; kernel/server-client.c: the client
 * connections and the method table): the server and client structures
 * and the few calls between them. Sessions and the cluster service do not
 * include it: they reach the server through their host interfaces
 * (kernel/session.h, kernel/cluster.h) and see clients as struct
 * req_client (kernel/req.h). Not for use outside kernel/.
 */
#ifndef GL_SERVER_INT_H
#define GL_SERVER_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <msgpack.h>
#include <uv.h>

#include "core/auth.h"
#include "kernel/log.h"
#include "kernel/req.h"
#include "kernel/server.h"

struct clu;
struct hooks;
struct lib;
struct mbr;
struct mbr_set;
struct rpc_msg;
struct sess;
struct sess_set;

/* Frame limits: a peer that has not authenticated may send small
 * messages only. */
#define SRV_FRAME_ANON		(4u << 10)
#define SRV_FRAME_MAX		(256u << 20)
/* What one message may decode to (core/rpc.h): most methods are small;
 * those marked SRV_M_BIG (doc.edit, session.open, cell.run) carry
 * notebooks, or all their cell ids. */
#define SRV_ELEMS_MAX		(64u << 10)
#define SRV_DECODED_MAX		((uint64_t)16 << 20)
#define SRV_BIG_ELEMS_MAX	(1u << 20)
#define SRV_BIG_DECODED_MAX	((uint64_t)SRV_FRAME_MAX + (64u << 20))
/* Unauthenticated TCP peers: the time they get and how many may wait at
 * once (srv_opts can change both). */
#define SRV_AUTH_MS		5000
#define SRV_PENDING_MAX		64
/* Lines a second about refused peers, and how often the rest are
 * summed up. */
#define SRV_REFUSED_LOG_PER_S	10
#define SRV_REFUSED_LOG_MS	10000
/* Flow control (client_on_flow()): once more than SRV_HELD_HIGH bytes
 * wait for a client, the runtimes of its sessions are not read until
 * they drained to SRV_HELD_LOW. What is not flow-controlled (edits of
 * others, cluster output) piling up past SRV_QUEUED_MAX means the client
 * stopped reading altogether: it is dropped (client_on_end()). */
#define SRV_HELD_HIGH		((size_t)4 << 20)
#define SRV_HELD_LOW		((size_t)1 << 20)
#define SRV_QUEUED_MAX		((size_t)1 << 30)
/* A client's staging buffer past this is freed after a flush. */
#define SRV_KEEP_MAX		((size_t)1 << 20)

struct client {
	struct req_client rc;		/* what handlers see: id, conn (owned:
					 * freed after its on_closed), name */
	struct srv	*srv;		/* borrowed */
	struct client	*prev, *next;	/* the server's list */
	char		 peer[96];	/* for logs: "unix pid 12", "tcp ..." */
	bool		 tcp;
	bool		 authed;
	bool		 pending;	/* counted in srv.npending */
	bool		 member;	/* a team kernel's member (rc.name),
					 * not the owner */
	int64_t		 expires_ms;	/* the member's expiry; 0: never */
	unsigned char	 nonce[AUTH_NONCE_LEN];
};

struct srv {
	uv_loop_t	 loop;
	const struct srv_opts *opts;	/* borrowed */
	char		*dir;		/* runtime directory */
	char		*sock_path, *pid_path, *lock_path;
	int		 lock_fd;
	char		 token[AUTH_TOKEN_LEN + 1];
	uv_pipe_t	 unix_l;
	bool		 unix_on;
	uv_tcp_t	 tcp_l;
	bool		 tcp_on;
	bool		 tcp_closing;	/* a listener that failed closes */
	char		 listen_addr[96];	/* "127.0.0.1:4567" */
	uv_signal_t	 sigterm, sigint;
	uv_timer_t	 idle;
	uv_timer_t	 grace;		/* forces clients closed at shutdown */
	bool		 handles_on;
	struct client	*clients;	/* owned list */
	size_t		 nclients;
	size_t		 npending;	/* TCP clients not authenticated */
	unsigned	 auth_ms;	/* opts->auth_ms, or the default */
	unsigned	 pending_max;
	struct log_limit refused;	/* lines about refused peers */
	uv_timer_t	 refused_t;	/* sums up the lines dropped */
	struct sess_set	*sessions;	/* owned */
	struct clu	*clu;		/* owned: the cluster service */
	struct hooks	*hooks;		/* owned: plugins (kernel/hooks.h) */
	struct lib	*lib;		/* owned: library loads (kernel/lib.h),
					 * or NULL */
	struct mbr_set	*members;	/* owned: kernel/member.h */
	uint64_t	 next_client;
	uint64_t	 started_ms;
	size_t		 memory_limit;
	bool		 stopping;
	char		 rbuf[64 << 10];	/* every client's reads */
};

/* server.c */

/* Re-arms or stops the idle-exit timer after clients or runs changed. */
void	 srv_idle_check(struct srv *s);
/* Stops serving (why, for the log, or NULL): listeners and clients close,
 * sessions and the cluster service stop; the loop ends once all is
 * closed. */
void	 srv_stop(struct srv *s, const char *why);
/* Closes the grace timer once the last client of a stopping server is
 * gone. */
void	 srv_client_gone(struct srv *s);
/* Listens on TCP at spec ("HOST:PORT") too (--listen, kernel.listen);
 * s->listen_addr says where. GL_EEXIST if it listens already, GL_EBUSY
 * for an address in use, GL_EINVAL or GL_EIO else. */
int	 srv_listen_tcp(struct srv *s, const char *spec, struct gl_err *err);
/* Logs a line about a refused peer, within the budget of s->refused. */
void	 srv_log_refused(struct srv *s, const char *fmt, ...)
	     __attribute__((format(printf, 2, 3)));

/* server-client.c */

/* Accepts a client on listener l (the Unix socket, or TCP with tcp);
 * Unix peers of another uid are refused, TCP peers get auth.challenge. */
void	 srv_client_accept(struct srv *s, uv_stream_t *l, bool tcp);
/* Sends n bytes of whole messages (a notification) to every client that
 * authenticated. */
void	 srv_client_notify_all(struct srv *s, const void *p, size_t n);
/* Closes every client; graceful lets their queued output drain first. */
void	 srv_client_close_all(struct srv *s, bool graceful);

/* server-plugins.c */

/* plugins.list {project?} */
int	 srv_rpc_plugins_list(struct client *c, struct req *r,
	     struct gl_err *err);
/* Runs before_run for a runtime's cluster.map or cluster.submit m of
 * run in sess: true if a plugin refused it (the runtime got the error
 * answer; nothing more is to be done with m). */
bool	 srv_hook_cluster(struct srv *s, struct sess *sess, uint64_t run,
	     const struct rpc_msg *m);

/* server-member.c */

/* Reads the members file of the runtime directory into s->members. */
int	 srv_members_open(struct srv *s, struct gl_err *err);
/* Checks that the peer of a handshake with these nonces, whose proof is
 * mac, is member name and has not expired: NULL and *out the member, or
 * why not (for the peer). */
const char *srv_member_auth(struct srv *s, const char *name,
	     const unsigned char *kernel_nonce, const unsigned char *peer_nonce,
	     const unsigned char *mac, const struct mbr **out);
/* False (and c refused and closing) if c is a member whose invitation
 * expired; checked before each request. */
bool	 srv_member_check(struct client *c);
/* kernel.member_add, kernel.member_remove, kernel.member_role,
 * kernel.members, session.share */
int	 srv_rpc_member_add(struct client *c, struct req *r,
	     struct gl_err *err);
int	 srv_rpc_member_remove(struct client *c, struct req *r,
	     struct gl_err *err);
int	 srv_rpc_member_role(struct client *c, struct req *r,
	     struct gl_err *err);
int	 srv_rpc_members(struct client *c, struct req *r, struct gl_err *err);
int	 srv_rpc_share(struct client *c, struct req *r, struct gl_err *err);

/* server-lib.c */

/* Opens the libs database (s->lib; NULL, logged, if it cannot). */
void	 srv_lib_open(struct srv *s);
/* A runtime's lib.load m of run in sess, answered: true; false for any
 * other method. */
bool	 srv_lib_request(struct srv *s, struct sess *sess, uint64_t run,
	     struct rpc_msg *m);
/* lib.who_uses {module, below?} */
int	 srv_rpc_lib_who_uses(struct client *c, struct req *r,
	     struct gl_err *err);
/* clu_host.pack_libs: the modules sess loaded, for a worker on host, in
 * a job of user's. */
void	 srv_lib_pack_job(void *ctx, struct sess *sess, const char *host,
	     const char *user, msgpack_packer *pk);

#endif

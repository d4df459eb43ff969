/*
 * server_int.h - what kernel/server.c and kernel/session.c share: the
 * server and client structures and the server's services to sessions
 * (replies, sending to a client, logging, the idle check). Not for use
 * outside kernel/.
 */
#ifndef GL_SERVER_INT_H
#define GL_SERVER_INT_H

#include <msgpack.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "core/auth.h"
#include "core/mem.h"
#include "core/rpc.h"
#include "kernel/server.h"

struct clu;
struct conn;
struct sess;
struct store;

/* Frame limits: a peer that has not authenticated may send small
 * messages only. */
#define SRV_FRAME_ANON		(4u << 10)
#define SRV_FRAME_MAX		(256u << 20)
/* Output queued for one client beyond this drops the client. */
#define SRV_QUEUED_MAX		((size_t)64 << 20)
/* A client's staging buffer past this is freed after a flush. */
#define SRV_KEEP_MAX		((size_t)1 << 20)

struct client {
	struct conn	*conn;		/* owned: freed after its on_closed */
	struct srv	*srv;		/* borrowed */
	struct client	*prev, *next;	/* the server's list */
	uint64_t	 id;
	char		 peer[96];	/* for logs: "unix pid 12", "tcp ..." */
	bool		 tcp;
	bool		 authed;
	unsigned char	 nonce[AUTH_NONCE_LEN];
	struct sess	**sess;		/* borrowed: attached sessions */
	size_t		 nsess, capsess;
	char		*name;		/* owned: display name, or NULL */
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
	char		 listen_addr[96];	/* "127.0.0.1:4567" */
	uv_signal_t	 sigterm, sigint;
	uv_timer_t	 idle;
	uv_timer_t	 grace;		/* forces clients closed at shutdown */
	bool		 handles_on;
	struct client	*clients;	/* owned list */
	size_t		 nclients;
	struct sess	**sessions;	/* owned */
	size_t		 nsessions, capsessions;
	size_t		 nclosing;	/* sessions waiting for their runtime */
	struct store	**stores;	/* counted: one per project */
	size_t		 nstores, capstores;
	uint64_t	 next_client, next_sess;
	uint64_t	 started_ms;
	size_t		 memory_limit;
	struct clu	*clu;		/* owned: the cluster service */
	bool		 stopping;
	struct rpc_writer note;		/* scratch for notifications */
	char		 rbuf[64 << 10];	/* read buffer */
};

/* One request being handled. A handler either packs its result between
 * srv_reply_begin() and srv_reply_end(), or returns 0 without replying
 * (the server answers {}), or returns a GL_E* code with err set (the
 * server answers with that error). */
struct srv_req {
	struct srv	*srv;
	struct client	*client;
	uint32_t	 id;
	const msgpack_object *args;	/* a map, or nil */
	bool		 replied;
};

msgpack_packer *srv_reply_begin(struct srv_req *r);
void	 srv_reply_end(struct srv_req *r);
/* Queues bytes for c and starts writing them (kernel/conn.h); a client
 * with more than SRV_QUEUED_MAX queued is dropped. No-op for a closing
 * client. */
void	 srv_client_send(struct client *c, const void *p, size_t n);
/* Begins a notification in the server's scratch writer (s->note, reset
 * first); the caller packs the args map, then sends s->note.sbuf to
 * clients with srv_client_send(). */
msgpack_packer *srv_note_begin(struct srv *s, const char *method);
/* Re-arms or stops the idle-exit timer after clients or runs changed. */
void	 srv_idle_check(struct srv *s);
/* Logs one line to stderr (the kernel.log of a background kernel). */
void	 srv_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Milliseconds on the loop's clock. */
uint64_t srv_now_ms(struct srv *s);

#endif

/*
 * client.h - the client side of the kernel protocol: connect to the local
 * kernel (starting one in the background when none runs, as tmux starts
 * its server) or to a remote one over TCP with the token challenge, send
 * requests, wait for their responses, and receive notifications.
 * Blocking, plain POSIX sockets and poll(); no libuv. Used by cli/, tui/,
 * tests and bench.
 */
#ifndef GL_CLIENT_H
#define GL_CLIENT_H

#include <stdbool.h>
#include <stdint.h>

#include "core/rpc.h"
#include "core/run.h"

struct gl_err;

struct cl_opts {
	/* "HOST:PORT" ("[::1]:PORT" for IPv6) for TCP, a path to a Unix
	 * socket, or NULL: $GALLEY_KERNEL if set, else the local kernel. */
	const char	*kernel;
	/* TCP token: NULL = $GALLEY_TOKEN (the token text), else the file
	 * $GALLEY_TOKEN_FILE, else the runtime directory's token file. */
	const char	*token_file;
	/* A team kernel's member to be (TCP), with its token's text; NULL:
	 * $GALLEY_MEMBER, else the kernel's owner (the token above). The
	 * member proves it holds the token with K = BLAKE2b(token)
	 * (auth_member_key()), as the kernel keeps it. */
	const char	*member;
	/* The token's text itself (64 hex digits), before token_file and
	 * the environment; NULL: as above. */
	const char	*token;
	/* Start a local kernel if none answers (default true via
	 * cl_opts_init). */
	bool		 autostart;
	/* Binary to start the kernel with; NULL = /proc/self/exe. */
	const char	*exe;
	/* Bounds connecting, starting and authenticating. */
	int		 timeout_ms;
};

struct cl_conn;

void	 cl_opts_init(struct cl_opts *o);
/* Connects as opts say. *out is the caller's to cl_close(). Errors:
 * GL_ECLOSED (nothing listens, or a started kernel exited: the message
 * quotes its log), GL_EAUTH (token refused or missing), GL_ETIMEDOUT,
 * GL_EPROTO, GL_EINVAL (a malformed address). */
int	 cl_connect(const struct cl_opts *opts, struct cl_conn **out,
	     struct gl_err *err);
void	 cl_close(struct cl_conn *c);
/* "unix:/run/.../kernel.sock" or "tcp:HOST:PORT"; borrowed. */
const char *cl_addr(const struct cl_conn *c);

/* Begins a request: pack exactly one value (the args map) into the
 * returned writer's pk, then call cl_send(). *id gets the request id. */
struct rpc_writer *cl_begin(struct cl_conn *c, const char *method,
	     uint32_t *id);
int	 cl_send(struct cl_conn *c, struct gl_err *err);
/* Waits up to timeout_ms (-1 = forever) for the response to id; other
 * messages are queued. On success *resp is filled (caller rpc_msg_fini()s
 * it) and 0 returned; an error response returns its GL_E* code with err
 * set to the kernel's message and *resp left empty. */
int	 cl_wait(struct cl_conn *c, uint32_t id, struct rpc_msg *resp,
	     int timeout_ms, struct gl_err *err);
/* cl_begin + pack args via fn + cl_send + cl_wait. */
int	 cl_call(struct cl_conn *c, const char *method,
	     void (*pack)(msgpack_packer *pk, void *ctx), void *ctx,
	     struct rpc_msg *resp, int timeout_ms, struct gl_err *err);
/* Packs {session = ctx} (ctx: the session id, a string): the
 * arguments of the many methods that name only their session. */
void	 cl_pack_session(msgpack_packer *pk, void *ctx);
/* cl_call() for a method answering a document (session.open,
 * session.attach, doc.get): a notebook too big for one reply comes in
 * pages (the reply's "next"), which this reads with doc.cells and puts
 * together, so *resp is one reply with every cell and no "next". If the
 * document changes between two pages, its cells are read again (doc.get).
 * Fails as cl_call() does. */
int	 cl_call_doc(struct cl_conn *c, const char *method,
	     void (*pack)(msgpack_packer *pk, void *ctx), void *ctx,
	     struct rpc_msg *resp, int timeout_ms, struct gl_err *err);
/* Next notification: 1 and *msg filled (caller finis), 0 on timeout, or
 * a negative GL_E* (GL_ECLOSED when the kernel went away). */
int	 cl_next_notify(struct cl_conn *c, struct rpc_msg *msg,
	     int timeout_ms, struct gl_err *err);
/* Waits up to timeout_ms (-1 = forever) for the first notification named
 * method (NULL = any) that match accepts (NULL = any), for example the
 * cell.done of one run; every other message stays queued, in order.
 * match may see the same message more than once and must not keep it.
 * Returns as cl_next_notify() does; a matching notification that arrived
 * before the kernel closed the connection is still returned. */
int	 cl_wait_notify(struct cl_conn *c, const char *method,
	     bool (*match)(const struct rpc_msg *msg, void *ctx), void *ctx,
	     struct rpc_msg *msg, int timeout_ms, struct gl_err *err);
/* The socket, for callers that poll it with other fds. */
int	 cl_fd(const struct cl_conn *c);
/* Reads what is available without blocking and queues it; for callers
 * that poll cl_fd() themselves. Returns 0 or a negative GL_E*. */
int	 cl_pump(struct cl_conn *c, struct gl_err *err);
/* True if a notification is queued. */
bool	 cl_has_notify(const struct cl_conn *c);
/* True if the response to request id is queued (a call that waited for
 * another answer read it off the socket, so poll() will not tell). */
bool	 cl_has_response(const struct cl_conn *c, uint32_t id);

/* A cell.done notification (docs/protocol.md), read: what cli/cmd_run.c
 * and tui/event.c take from it. Strings and the error are borrowed from
 * the message (valid until its rpc_msg_fini()). */
struct cl_done {
	/* How the run ended; a status this build does not know reads as
	 * GL_RUN_DIED (the run ended all the same). */
	enum gl_run_status status;
	int64_t		 elapsed_ms;	/* -1: not said */
	const msgpack_object *error;	/* the run's error, or NULL */
	const char	*message;	/* not NUL-terminated; NULL if absent */
	size_t		 message_len;
};

/* Reads the args of a cell.done into *d. GL_EPROTO ("no status") if it
 * has no status string. */
int	 cl_done_read(const msgpack_object *args, struct cl_done *d,
	     struct gl_err *err);

/*
 * A local notebook on a remote kernel (session.open's client_file,
 * docs/protocol.md): the kernel holds the session and journal, the file
 * stays the client's. cl_file_label() gives path's label, "HOST:/abs/path"
 * (this host's name; caller frees), which names the session for this
 * member, so opening it again after a dropped link rejoins it. A
 * client_file session's doc.save answer, and the doc.write notification,
 * carry "text": cl_file_write() writes it to path atomically (temporary
 * file, fsync, rename; path's mode is kept, else 0644).
 */
char	*cl_file_label(const char *path, struct gl_err *err);
int	 cl_file_write(const char *path, const msgpack_object *result,
	     struct gl_err *err);
/* True if kernel (cl_opts.kernel) names a TCP kernel, "HOST:PORT": the
 * kernel's file system is not this one. */
bool	 cl_kernel_is_remote(const char *kernel);

/* Starts a local kernel in the background (detached, its stderr to
 * kernel.log in the runtime directory) and waits until it serves or
 * timeout_ms passes. 0 also when another kernel holds the runtime
 * directory's lock (serving, starting or stopping); GL_ECLOSED with the
 * kernel's own error from kernel.log when it exited without serving. */
int	 cl_start_kernel(const char *exe, int timeout_ms, struct gl_err *err);

#endif

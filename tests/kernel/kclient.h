/*
 * kclient.h - a small blocking msgpack-RPC client and a kernel fixture for
 * the kernel's protocol tests. Static inline so each test program can
 * include it (CMake compiles only tests/<mod>/test_*.c).
 *
 * - kt_*: a kernel started by fork() + srv_run() in a temporary directory
 *   (runtime dir <root>/run, project dir <root>/proj), stopped with
 *   SIGTERM and reaped; its exit status says whether it shut down cleanly
 *   (LeakSanitizer makes a leaking kernel exit non-zero).
 * - kc_*: a client over the Unix socket or TCP; arguments and results are
 *   jansson values (msgpack binary becomes a hex string). Every wait has
 *   a deadline.
 */
#ifndef KCLIENT_H
#define KCLIENT_H

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/auth.h"
#include "core/err.h"
#include "core/mem.h"
#include "core/rpc.h"
#include "core/util.h"
#include "kernel/server.h"

#define KC_WAIT_MS	20000

static inline uint64_t
kc_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* JSON <-> msgpack. */

static inline json_t *
kc_to_json(const msgpack_object *o)
{
	json_t *j;

	switch (o->type) {
	case MSGPACK_OBJECT_NIL:
		return json_null();
	case MSGPACK_OBJECT_BOOLEAN:
		return json_boolean(o->via.boolean);
	case MSGPACK_OBJECT_POSITIVE_INTEGER:
		return json_integer((json_int_t)o->via.u64);
	case MSGPACK_OBJECT_NEGATIVE_INTEGER:
		return json_integer((json_int_t)o->via.i64);
	case MSGPACK_OBJECT_FLOAT32:
	case MSGPACK_OBJECT_FLOAT64:
		return json_real(o->via.f64);
	case MSGPACK_OBJECT_STR:
		j = json_stringn(o->via.str.ptr, o->via.str.size);
		return j != NULL ? j : json_string("<invalid utf-8>");
	case MSGPACK_OBJECT_BIN: {
		char *hex = xmalloc(2 * o->via.bin.size + 1);

		sodium_bin2hex(hex, 2 * o->via.bin.size + 1,
		    (const unsigned char *)o->via.bin.ptr, o->via.bin.size);
		j = json_string(hex);
		free(hex);
		return j;
	}
	case MSGPACK_OBJECT_ARRAY:
		j = json_array();
		for (uint32_t i = 0; i < o->via.array.size; i++)
			json_array_append_new(j,
			    kc_to_json(&o->via.array.ptr[i]));
		return j;
	case MSGPACK_OBJECT_MAP:
		j = json_object();
		for (uint32_t i = 0; i < o->via.map.size; i++) {
			const msgpack_object *k = &o->via.map.ptr[i].key;
			char *key;

			if (k->type != MSGPACK_OBJECT_STR)
				continue;
			key = xstrndup(k->via.str.ptr, k->via.str.size);
			json_object_set_new(j, key,
			    kc_to_json(&o->via.map.ptr[i].val));
			free(key);
		}
		return j;
	default:
		return json_null();
	}
}

static inline void
kc_pack_json(msgpack_packer *pk, const json_t *j)
{
	const char	*k;
	json_t		*v;
	size_t		 i;

	switch (json_typeof(j)) {
	case JSON_OBJECT:
		msgpack_pack_map(pk, json_object_size(j));
		json_object_foreach((json_t *)j, k, v) {
			rpc_pack_str(pk, k);
			kc_pack_json(pk, v);
		}
		break;
	case JSON_ARRAY:
		msgpack_pack_array(pk, json_array_size(j));
		json_array_foreach(j, i, v)
			kc_pack_json(pk, v);
		break;
	case JSON_STRING:
		rpc_pack_strn(pk, json_string_value(j), json_string_length(j));
		break;
	case JSON_INTEGER:
		msgpack_pack_int64(pk, json_integer_value(j));
		break;
	case JSON_REAL:
		msgpack_pack_double(pk, json_real_value(j));
		break;
	case JSON_TRUE:
		msgpack_pack_true(pk);
		break;
	case JSON_FALSE:
		msgpack_pack_false(pk);
		break;
	default:
		msgpack_pack_nil(pk);
		break;
	}
}

/* The client. */

struct kc {
	int		 fd;
	struct rpc_reader *rd;
	uint32_t	 next_id;
	json_t		*notes;		/* [[method, params], ...] */
	json_t		*responses;	/* "id" -> [error, result] */
	bool		 eof;
	int		 code;		/* last error: GL_E* */
	char		 msg[512];
	unsigned char	 nonce[AUTH_NONCE_LEN];
	bool		 have_nonce;
};

static inline struct kc *
kc_from_fd(int fd)
{
	struct kc *k = xcalloc(1, sizeof *k);

	k->fd = fd;
	k->rd = rpc_reader_new((size_t)1 << 30);
	k->next_id = 1;
	k->notes = json_array();
	k->responses = json_object();
	return k;
}

static inline struct kc *
kc_connect_unix(const char *path)
{
	struct sockaddr_un	 sun;
	int			 fd;

	if (strlen(path) >= sizeof sun.sun_path)
		return NULL;
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return NULL;
	if (connect(fd, (struct sockaddr *)&sun, sizeof sun) != 0) {
		close(fd);
		return NULL;
	}
	return kc_from_fd(fd);
}

/* host:port as the kernel's kernel.info "listen" gives it. */
static inline struct kc *
kc_connect_tcp(const char *addr)
{
	struct addrinfo	 hints, *res = NULL;
	char		*host = xstrdup(addr), *port, *colon;
	int		 fd = -1, one = 1;

	if (host[0] == '[' && (colon = strstr(host, "]:")) != NULL) {
		*colon = '\0';
		port = colon + 2;
		memmove(host, host + 1, strlen(host));
	} else {
		colon = strrchr(host, ':');
		*colon = '\0';
		port = colon + 1;
	}
	memset(&hints, 0, sizeof hints);
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	if (getaddrinfo(host, port, &hints, &res) != 0)
		goto fail;
	if ((fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		goto fail;
	if (connect(fd, res->ai_addr, res->ai_addrlen) != 0) {
		close(fd);
		fd = -1;
		goto fail;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
fail:
	if (res != NULL)
		freeaddrinfo(res);
	free(host);
	return fd >= 0 ? kc_from_fd(fd) : NULL;
}

static inline void
kc_free(struct kc *k)
{
	if (k == NULL)
		return;
	if (k->fd >= 0)
		close(k->fd);
	rpc_reader_free(k->rd);
	json_decref(k->notes);
	json_decref(k->responses);
	free(k);
}

static inline int
kc_send_raw(struct kc *k, const void *p, size_t n)
{
	const char *q = p;

	while (n > 0) {
		ssize_t w = send(k->fd, q, n, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		q += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Sends a request; args is stolen (NULL = {}). Returns its id. */
static inline uint32_t
kc_send(struct kc *k, const char *method, json_t *args)
{
	struct rpc_writer	 w;
	uint32_t		 id = k->next_id++;

	rpc_writer_init(&w);
	rpc_begin_request(&w, id, method);
	if (args != NULL)
		kc_pack_json(&w.pk, args);
	else
		msgpack_pack_map(&w.pk, 0);
	(void)kc_send_raw(k, w.sbuf.data, w.sbuf.size);
	rpc_writer_fini(&w);
	json_decref(args);
	return id;
}

/* Reads what arrives until deadline (absolute ms) or one read's worth.
 * Returns 1 if something was read, 0 on timeout, -1 at EOF/error. */
static inline int
kc_pump(struct kc *k, uint64_t deadline)
{
	struct pollfd	 pfd = { .fd = k->fd, .events = POLLIN };
	char		 buf[65536];
	uint64_t	 now = kc_now_ms();
	struct rpc_msg	 m;
	struct gl_err	 e;
	ssize_t		 n;
	int		 rc;

	if (k->eof)
		return -1;
	if (poll(&pfd, 1, now >= deadline ? 0 : (int)(deadline - now)) <= 0)
		return 0;
	n = read(k->fd, buf, sizeof buf);
	if (n <= 0) {
		k->eof = true;
		return -1;
	}
	rpc_reader_feed(k->rd, buf, (size_t)n);
	while ((rc = rpc_reader_next(k->rd, &m, &e)) == 1) {
		if (m.type == RPC_RESPONSE) {
			char id[16];
			json_t *pair = json_array();

			json_array_append_new(pair, kc_to_json(m.error));
			json_array_append_new(pair, kc_to_json(m.result));
			snprintf(id, sizeof id, "%u", m.id);
			json_object_set_new(k->responses, id, pair);
		} else if (m.type == RPC_NOTIFY) {
			json_t *pair = json_array();
			const msgpack_object *nonce;

			if (strcmp(m.method, "auth.challenge") == 0 &&
			    (nonce = rpc_map_get(m.args, "nonce")) != NULL &&
			    nonce->type == MSGPACK_OBJECT_BIN &&
			    nonce->via.bin.size == AUTH_NONCE_LEN) {
				memcpy(k->nonce, nonce->via.bin.ptr,
				    AUTH_NONCE_LEN);
				k->have_nonce = true;
			}
			json_array_append_new(pair, json_string(m.method));
			json_array_append_new(pair, kc_to_json(m.args));
			json_array_append_new(k->notes, pair);
		}
		rpc_msg_fini(&m);
	}
	if (rc < 0) {
		fprintf(stderr, "kclient: %s\n", e.msg);
		k->eof = true;
		return -1;
	}
	return 1;
}

/* Waits for the response to id. Returns the result (caller decrefs), or
 * NULL with k->code and k->msg set (GL_ETIMEDOUT / GL_ECLOSED when no
 * response came). */
static inline json_t *
kc_wait(struct kc *k, uint32_t id, int timeout_ms)
{
	uint64_t	 deadline = kc_now_ms() + (uint64_t)timeout_ms;
	char		 key[16];
	json_t		*pair, *error, *result;

	snprintf(key, sizeof key, "%u", id);
	k->code = 0;
	k->msg[0] = '\0';
	for (;;) {
		if ((pair = json_object_get(k->responses, key)) != NULL)
			break;
		if (kc_now_ms() >= deadline) {
			k->code = GL_ETIMEDOUT;
			snprintf(k->msg, sizeof k->msg, "no response to %u",
			    id);
			return NULL;
		}
		if (kc_pump(k, deadline) < 0) {
			if ((pair = json_object_get(k->responses, key)) != NULL)
				break;
			k->code = GL_ECLOSED;
			snprintf(k->msg, sizeof k->msg, "connection closed");
			return NULL;
		}
	}
	error = json_array_get(pair, 0);
	result = json_incref(json_array_get(pair, 1));
	if (!json_is_null(error)) {
		k->code = -(int)json_integer_value(json_array_get(error, 0));
		snprintf(k->msg, sizeof k->msg, "%s",
		    json_string_value(json_array_get(error, 1)) != NULL ?
		    json_string_value(json_array_get(error, 1)) : "?");
		json_decref(result);
		result = NULL;
	}
	json_object_del(k->responses, key);
	return result;
}

/* A call: args stolen (may be NULL). With KT_LOG set, errors are
 * printed. */
static inline json_t *
kc_call(struct kc *k, const char *method, json_t *args)
{
	json_t *r = kc_wait(k, kc_send(k, method, args), KC_WAIT_MS);

	if (r == NULL && getenv("KT_LOG") != NULL)
		fprintf(stderr, "kclient: %s: %s (%s)\n", method, k->msg,
		    gl_err_name(k->code));
	return r;
}

/* Waits for a notification named method whose params have key == value
 * (value stolen; NULL = any). Removes it from the queue and returns its
 * params (caller decrefs), or NULL at the deadline or at EOF. */
static inline json_t *
kc_note(struct kc *k, const char *method, const char *key, json_t *value,
    int timeout_ms)
{
	uint64_t	 deadline = kc_now_ms() + (uint64_t)timeout_ms;
	json_t		*res = NULL;

	for (;;) {
		size_t	 i;
		json_t	*pair;

		json_array_foreach(k->notes, i, pair) {
			json_t *params = json_array_get(pair, 1);

			if (strcmp(json_string_value(json_array_get(pair, 0)),
			    method) != 0)
				continue;
			if (key != NULL && (value == NULL ||
			    !json_equal(json_object_get(params, key), value)))
				continue;
			res = json_incref(params);
			json_array_remove(k->notes, i);
			goto out;
		}
		if (kc_now_ms() >= deadline || kc_pump(k, deadline) < 0) {
			/* One last look after EOF. */
			if (k->eof && kc_now_ms() < deadline) {
				deadline = 0;
				continue;
			}
			goto out;
		}
	}
out:
	json_decref(value);
	return res;
}

/* Count of queued notifications named method (NULL = any). */
static inline size_t
kc_count_notes(struct kc *k, const char *method)
{
	size_t	 i, n = 0;
	json_t	*pair;

	json_array_foreach(k->notes, i, pair) {
		if (method == NULL || strcmp(json_string_value(
		    json_array_get(pair, 0)), method) == 0)
			n++;
	}
	return n;
}

/* True if the kernel closed the connection before the deadline. */
static inline bool
kc_wait_closed(struct kc *k, int timeout_ms)
{
	uint64_t deadline = kc_now_ms() + (uint64_t)timeout_ms;

	while (!k->eof && kc_now_ms() < deadline)
		(void)kc_pump(k, deadline);
	return k->eof;
}

/* Answers the challenge already received with the HMAC of token.
 * Returns 0 or the error code. */
static inline int
kc_auth_answer(struct kc *k, const char *token)
{
	struct rpc_writer	 w;
	unsigned char		 mac[AUTH_MAC_LEN];
	json_t			*res;
	uint32_t		 id;

	if (!k->have_nonce)
		return GL_EPROTO;
	auth_hmac(token, k->nonce, mac);
	id = k->next_id++;
	rpc_writer_init(&w);
	rpc_begin_request(&w, id, "auth.response");
	msgpack_pack_map(&w.pk, 1);
	rpc_pack_key(&w.pk, "hmac");
	msgpack_pack_bin(&w.pk, AUTH_MAC_LEN);
	msgpack_pack_bin_body(&w.pk, mac, AUTH_MAC_LEN);
	(void)kc_send_raw(k, w.sbuf.data, w.sbuf.size);
	rpc_writer_fini(&w);
	res = kc_wait(k, id, KC_WAIT_MS);
	if (res == NULL)
		return k->code;
	json_decref(res);
	return 0;
}

/* The TCP handshake: waits for auth.challenge and answers it. */
static inline int
kc_auth(struct kc *k, const char *token)
{
	json_t *ch;

	if ((ch = kc_note(k, "auth.challenge", NULL, NULL, KC_WAIT_MS)) == NULL)
		return GL_ECLOSED;
	json_decref(ch);
	return kc_auth_answer(k, token);
}

/* doc.edit of one text op inserting text at byte off of cell, whose
 * source is srclen bytes; returns the result (caller decrefs) or NULL. */
static inline json_t *
kc_insert_text(struct kc *k, const char *sid, long long version,
    const char *cell, size_t off, const char *text, size_t srclen)
{
	json_t *comps = json_array();

	if (off > 0)
		json_array_append_new(comps, json_integer((json_int_t)off));
	json_array_append_new(comps, json_string(text));
	if (srclen > off)
		json_array_append_new(comps,
		    json_integer((json_int_t)(srclen - off)));
	return kc_call(k, "doc.edit", json_pack("{s:s, s:I, s:[{s:s, s:s, "
	    "s:o}]}", "session", sid, "version", (json_int_t)version, "ops",
	    "t", "text", "id", cell, "ops", comps));
}

/* The kernel fixture. */

struct kt {
	char		 root[128];	/* /tmp/galley-kt-XXXXXX */
	char		 run[160];	/* root/run: runtime directory */
	char		 proj[160];	/* root/proj: a project directory */
	char		 sock[200];
	char		 token[AUTH_TOKEN_LEN + 1];
	pid_t		 pid;
	const char	*listen;
	unsigned	 idle_ms;
	size_t		 memory_limit;
	const char	*exe;		/* runtime binary; NULL = $GALLEY_BIN */
};

static inline void
kt_init(struct kt *t)
{
	/* Runtimes orphaned by a killed kernel become our children, so
	 * kt_fini() can kill and reap them. */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	memset(t, 0, sizeof *t);
	snprintf(t->root, sizeof t->root, "/tmp/galley-kt-XXXXXX");
	if (mkdtemp(t->root) == NULL) {
		perror("mkdtemp");
		abort();
	}
	snprintf(t->run, sizeof t->run, "%s/run", t->root);
	snprintf(t->proj, sizeof t->proj, "%s/proj", t->root);
	snprintf(t->sock, sizeof t->sock, "%s/kernel.sock", t->run);
	mkdir(t->run, 0700);
	mkdir(t->proj, 0755);
	t->pid = -1;
}

/* Forks a kernel serving t->run. Returns its pid once it is serving, or
 * -1 (its exit status in *status if not NULL). */
static inline pid_t
kt_spawn(struct kt *t, int *status)
{
	int	 p[2];
	pid_t	 pid;
	char	 c;
	struct pollfd pfd;

	if (pipe(p) != 0)
		abort();
	fflush(NULL);
	if ((pid = fork()) == 0) {
		struct srv_opts	 o;
		struct gl_err	 err;
		int		 rc;

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(p[0]);
		if (getenv("KT_LOG") == NULL) {
			char log[256];
			int fd;

			snprintf(log, sizeof log, "%s/kernel.log", t->root);
			fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);
			if (fd >= 0) {
				dup2(fd, 2);
				close(fd);
			}
		}
		memset(&o, 0, sizeof o);
		o.runtime_dir = t->run;
		o.listen = t->listen;
		o.ready_fd = p[1];
		o.idle_exit_ms = t->idle_ms;
		o.memory_limit = t->memory_limit;
		o.exe = t->exe != NULL ? t->exe : getenv("GALLEY_BIN");
		gl_err_clear(&err);
		rc = srv_run(&o, &err);
		if (rc != 0)
			fprintf(stderr, "srv_run: %s (%s)\n", err.msg,
			    gl_err_name(rc));
		exit(rc == 0 ? 0 : rc == GL_EBUSY ? 11 : 12);
	}
	close(p[1]);
	pfd.fd = p[0];
	pfd.events = POLLIN;
	if (poll(&pfd, 1, KC_WAIT_MS) == 1 && read(p[0], &c, 1) == 1) {
		close(p[0]);
		return pid;
	}
	close(p[0]);
	if (waitpid(pid, status, 0) != pid && status != NULL)
		*status = -1;
	return -1;
}

static inline pid_t
kt_start(struct kt *t)
{
	char	 path[256];
	struct gl_err err;

	t->pid = kt_spawn(t, NULL);
	if (t->pid > 0) {
		snprintf(path, sizeof path, "%s/token", t->run);
		if (auth_token_load(path, t->token, &err) != 0)
			fprintf(stderr, "token: %s\n", err.msg);
	}
	return t->pid;
}

/* Waits for pid to exit, up to timeout_ms; returns its wait status or -1
 * if it is still running. */
static inline int
kt_reap(pid_t pid, int timeout_ms)
{
	uint64_t	 deadline = kc_now_ms() + (uint64_t)timeout_ms;
	int		 st;

	for (;;) {
		pid_t r = waitpid(pid, &st, WNOHANG);

		if (r == pid)
			return st;
		if (r < 0)
			return -2;
		if (kc_now_ms() >= deadline)
			return -1;
		{
			struct timespec ts = { 0, 5 * 1000 * 1000 };

			nanosleep(&ts, NULL);	/* polling interval only */
		}
	}
}

/* SIGTERM, then SIGKILL after a deadline; returns the wait status. */
static inline int
kt_stop(struct kt *t)
{
	int st;

	if (t->pid <= 0)
		return 0;
	kill(t->pid, SIGTERM);
	if ((st = kt_reap(t->pid, KC_WAIT_MS)) == -1) {
		kill(t->pid, SIGKILL);
		st = kt_reap(t->pid, KC_WAIT_MS);
		st = st >= 0 ? -1 : st;
	}
	t->pid = -1;
	return st;
}

static inline void
kt_kill9(struct kt *t)
{
	if (t->pid <= 0)
		return;
	kill(t->pid, SIGKILL);
	(void)kt_reap(t->pid, KC_WAIT_MS);
	t->pid = -1;
}

/* rm -rf path (no symlinks followed). */
static inline void
kt_rmtree(const char *path)
{
	struct stat	 sb;
	DIR		*d;
	struct dirent	*de;

	if (lstat(path, &sb) != 0)
		return;
	if (S_ISDIR(sb.st_mode) && (d = opendir(path)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			char *sub;

			if (strcmp(de->d_name, ".") == 0 ||
			    strcmp(de->d_name, "..") == 0)
				continue;
			sub = xasprintf("%s/%s", path, de->d_name);
			kt_rmtree(sub);
			free(sub);
		}
		closedir(d);
		rmdir(path);
	} else
		unlink(path);
}

/* Kills and reaps every child process left (runtimes of a kernel that
 * was killed, after a failed test). */
static inline void
kt_kill_children(void)
{
	DIR		*d = opendir("/proc");
	struct dirent	*de;
	char		 path[64], *stat, *p;
	size_t		 len;
	int		 ppid;

	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		pid_t pid = (pid_t)atoi(de->d_name);

		if (pid <= 0)
			continue;
		snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
		if (gl_file_read(path, &stat, &len, NULL) != 0)
			continue;
		p = strrchr(stat, ')');
		if (p != NULL && sscanf(p + 2, "%*c %d", &ppid) == 1 &&
		    ppid == getpid()) {
			kill(pid, SIGKILL);
			(void)kt_reap(pid, KC_WAIT_MS);
		}
		free(stat);
	}
	closedir(d);
}

static inline void
kt_fini(struct kt *t)
{
	if (t->pid > 0)
		kt_kill9(t);
	kt_kill_children();
	if (getenv("KT_KEEP") == NULL)
		kt_rmtree(t->root);
}

/* True once no process pid exists (polled up to timeout_ms). */
static inline bool
kt_pid_gone(pid_t pid, int timeout_ms)
{
	uint64_t deadline = kc_now_ms() + (uint64_t)timeout_ms;

	while (kc_now_ms() < deadline) {
		char	 path[64], *stat = NULL, *p;
		size_t	 len;

		if (kill(pid, 0) != 0 && errno == ESRCH)
			return true;
		/* A zombie counts as gone: it runs nothing. */
		snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
		if (gl_file_read(path, &stat, &len, NULL) == 0) {
			p = strrchr(stat, ')');
			if (p != NULL && p[1] == ' ' && p[2] == 'Z') {
				free(stat);
				return true;
			}
			free(stat);
		}
		{
			struct timespec ts = { 0, 5 * 1000 * 1000 };

			nanosleep(&ts, NULL);
		}
	}
	return false;
}

/* Writes text to dir/name; returns the malloc'd path. */
static inline char *
kt_write(const char *dir, const char *name, const char *text)
{
	char	*path = xasprintf("%s/%s", dir, name);
	FILE	*f = fopen(path, "w");

	if (f == NULL)
		abort();
	fputs(text, f);
	fclose(f);
	return path;
}

/* Reads a whole file (caller frees) or NULL. */
static inline char *
kt_read(const char *path)
{
	char	*text = NULL;
	size_t	 len;

	if (gl_file_read(path, &text, &len, NULL) != 0)
		return NULL;
	return text;
}

/* Convenience accessors on results. */
static inline const char *
kj_str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static inline long long
kj_int(const json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key));
}

/* The cell with id in a cells array, or NULL. */
static inline json_t *
kj_cell(const json_t *cells, const char *id)
{
	size_t	 i;
	json_t	*c;

	json_array_foreach(cells, i, c) {
		if (strcmp(kj_str(c, "id"), id) == 0)
			return c;
	}
	return NULL;
}

/* Concatenated text of a cell's outputs array. Caller frees. */
static inline char *
kj_outputs_text(const json_t *outputs)
{
	struct gl_buf	 b;
	size_t		 i;
	json_t		*o;

	gl_buf_init(&b);
	json_array_foreach(outputs, i, o) {
		const char *t = kj_str(o, "text");

		if (t == NULL)
			t = kj_str(o, "message");
		if (t != NULL)
			gl_buf_adds(&b, t);
	}
	gl_buf_addc(&b, '\0');
	return gl_buf_take(&b, NULL);
}

#endif

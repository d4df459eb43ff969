/*
 * bench_pair.c - many members in one session (issue 12; targets: an
 * edit reaches every other member in p99 <= 2 ms; one session accepts
 * >= 50,000 edits/s with the journal on):
 *   edit to arrival: 10 clients on loopback TCP (sealed) attached to
 *     one file session; one at a time sends a one-op doc.edit, and the
 *     time until each of the 9 others has read its doc.ops is taken
 *   edits/s: clients pipeline one-op doc.edits (set_meta on their cell,
 *     a window of 64 each, each on the newest version it knows, so the
 *     kernel transforms them) for 2 s; the kernel journals every one
 *     (group commit);
 *     measured with 1 client (what the session accepts) and with 10
 *     (each edit also sent to 9 others)
 * Each client edits a cell of its own, so it knows its cell's length.
 * The machine's load falls on the clients (this one process) and the
 * kernel alike, so the kernel's CPU time an edit costs is printed too.
 * usage: bench_pair GALLEY_BINARY [ROUNDS]
 * Runs in a private runtime directory and stops the kernel it starts.
 */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench/bench_util.h"
#include "client/client.h"
#include "core/err.h"
#include "core/mem.h"
#include "core/paths.h"
#include "core/util.h"

#define NCLIENTS	10
#define WINDOW		64
#define SECONDS		2

struct member {
	struct cl_conn	*c;
	char		 cell[16];
	size_t		 len;		/* its cell's length, all sent */
	uint64_t	 version;	/* newest known */
	uint32_t	 ids[WINDOW];	/* in flight, oldest first */
	size_t		 head, n;
	uint64_t	 acked, notes;
};

static char	*sess;

static void
die(const char *what, const struct gl_err *err)
{
	fprintf(stderr, "bench_pair: %s: %s\n", what, err ? err->msg : "");
	exit(1);
}

static void
pack_open(msgpack_packer *pk, void *ctx)
{
	msgpack_pack_map(pk, 1);
	rpc_pack_kv_str(pk, "path", ctx);
}

/* Sends one op on m's cell: an "x" in front, or the first byte off once
 * it holds 8, so cells stay small (made on the current version: one in
 * flight); or, with meta, metadata "n" set (an op that does not depend
 * on the cell's length, so it can be made on any version: pipelined). */
static void
member_send(struct member *m, bool meta)
{
	struct rpc_writer	*w;
	struct gl_err		 err;
	uint32_t		 id;

	w = cl_begin(m->c, "doc.edit", &id);
	msgpack_pack_map(&w->pk, 3);
	rpc_pack_kv_str(&w->pk, "session", sess);
	rpc_pack_kv_int(&w->pk, "version", (int64_t)m->version);
	rpc_pack_key(&w->pk, "ops");
	msgpack_pack_array(&w->pk, 1);
	if (meta) {
		char v[32];

		snprintf(v, sizeof v, "%llu", (unsigned long long)m->acked);
		msgpack_pack_map(&w->pk, 4);
		rpc_pack_kv_str(&w->pk, "t", "set_meta");
		rpc_pack_kv_str(&w->pk, "id", m->cell);
		rpc_pack_kv_str(&w->pk, "key", "n");
		rpc_pack_kv_str(&w->pk, "value", v);
		goto send;
	}
	msgpack_pack_map(&w->pk, 3);
	rpc_pack_kv_str(&w->pk, "t", "text");
	rpc_pack_kv_str(&w->pk, "id", m->cell);
	rpc_pack_key(&w->pk, "ops");
	if (m->len < 8) {
		msgpack_pack_array(&w->pk, m->len > 0 ? 2 : 1);
		rpc_pack_str(&w->pk, "x");
		if (m->len > 0)
			msgpack_pack_int64(&w->pk, (int64_t)m->len);
		m->len++;
	} else {
		msgpack_pack_array(&w->pk, 2);
		msgpack_pack_int64(&w->pk, -1);
		msgpack_pack_int64(&w->pk, (int64_t)m->len - 1);
		m->len--;
	}
send:
	if (cl_send(m->c, &err) != 0)
		die("doc.edit", &err);
	m->ids[(m->head + m->n++) % WINDOW] = id;
}

/* Takes what m has been sent, without waiting: answers (in order) and
 * doc.ops. */
static void
member_drain(struct member *m)
{
	struct rpc_msg	 r;
	struct gl_err	 err;
	int		 rc;

	while (m->n > 0) {
		rc = cl_wait(m->c, m->ids[m->head], &r, 0, &err);
		if (rc == GL_ETIMEDOUT)
			break;
		if (rc != 0)
			die("doc.edit", &err);
		m->version = (uint64_t)rpc_map_int(r.result, "version", 0);
		rpc_msg_fini(&r);
		m->head = (m->head + 1) % WINDOW;
		m->n--;
		m->acked++;
	}
	while ((rc = cl_next_notify(m->c, &r, 0, &err)) == 1) {
		uint64_t v = (uint64_t)rpc_map_int(r.args, "version", 0);

		if (v > m->version)
			m->version = v;
		m->notes++;
		rpc_msg_fini(&r);
	}
	if (rc < 0)
		die("doc.ops", &err);
}

static void
members_open(struct member *ms, int n, const char *addr, const char *token,
    const char *nb)
{
	struct cl_opts	 o;
	struct rpc_msg	 m;
	struct gl_err	 err;

	memset(ms, 0, sizeof *ms * (size_t)n);
	for (int i = 0; i < n; i++) {
		cl_opts_init(&o);
		o.kernel = addr;
		o.token_file = token;
		o.autostart = false;
		if (cl_connect(&o, &ms[i].c, &err) != 0)
			die(addr, &err);
		if (cl_call(ms[i].c, "session.open", pack_open, (void *)nb,
		    &m, 10000, &err) != 0)
			die("session.open", &err);
		if (sess == NULL)
			sess = rpc_map_strdup(m.result, "session");
		ms[i].version = (uint64_t)rpc_map_int(m.result, "version", 0);
		rpc_msg_fini(&m);
		snprintf(ms[i].cell, sizeof ms[i].cell, "m%d", i);
		ms[i].len = 1;
	}
}

static void
members_close(struct member *ms, int n)
{
	for (int i = 0; i < n; i++)
		cl_close(ms[i].c);
}

/* A notebook with a cell for each member. */
static char *
write_nb(const char *dir, const char *name)
{
	struct gl_buf	 b;
	struct gl_err	 err;
	char		*path = gl_path_join(dir, name);

	gl_buf_init(&b);
	for (int i = 0; i < NCLIENTS; i++)
		gl_buf_addf(&b, "-- %%%% id=\"m%d\"\nx\n", i);
	if (gl_file_write_atomic(path, b.data, b.len, 0644, &err) != 0)
		die(path, &err);
	gl_buf_fini(&b);
	return path;
}

/* Edit to arrival at every other member, in us. */
static void
bench_arrival(const char *addr, const char *token, const char *dir,
    int rounds)
{
	struct member	 ms[NCLIENTS];
	char		*nb = write_nb(dir, "arrival.nb.lua");
	size_t		 n = 0;
	double		*t = xcalloc((size_t)rounds * NCLIENTS, sizeof *t);

	members_open(ms, NCLIENTS, addr, token, nb);
	for (int r = -200; r < rounds; r++) {	/* 200 to warm up */
		struct member	*s = &ms[(r + 200) % NCLIENTS];
		struct pollfd	 p[NCLIENTS];
		bool		 got[NCLIENTS] = { false };
		int		 left = NCLIENTS - 1;
		double		 t0 = bk_now_us();

		member_send(s, false);
		while (left > 0 || s->n > 0) {
			for (int i = 0; i < NCLIENTS; i++) {
				p[i].fd = cl_fd(ms[i].c);
				p[i].events = POLLIN;
			}
			if (poll(p, NCLIENTS, 5000) <= 0)
				die("no doc.ops within 5 s", NULL);
			for (int i = 0; i < NCLIENTS; i++) {
				uint64_t before = ms[i].notes;

				if (!(p[i].revents & POLLIN) &&
				    !cl_has_notify(ms[i].c))
					continue;
				member_drain(&ms[i]);
				if (&ms[i] != s && !got[i] &&
				    ms[i].notes > before) {
					got[i] = true;
					left--;
					if (r >= 0)
						t[n++] = bk_now_us() - t0;
				}
			}
		}
	}
	qsort(t, n, sizeof *t, bk_cmp_double);
	printf("edit to arrival, %d clients, TCP+seal: p50 %6.1f us  p99 "
	    "%6.1f us  (target p99 <= 2000 us; %zu arrivals)\n", NCLIENTS,
	    t[n / 2], t[n * 99 / 100], n);
	members_close(ms, NCLIENTS);
	free(t);
	free(nb);
	free(sess);
	sess = NULL;
}

/* Sustained edits/s of nc pipelining clients. */
static void
bench_rate(const char *addr, const char *token, const char *dir, int nc,
    pid_t pid)
{
	struct member	 ms[NCLIENTS];
	char		 name[32], *nb;
	uint64_t	 acked = 0, base = 0;
	double		 t0 = 0, end, k0 = 0, secs;
	bool		 warm = false;

	snprintf(name, sizeof name, "rate%d.nb.lua", nc);
	nb = write_nb(dir, name);
	members_open(ms, nc, addr, token, nb);
	end = bk_now_us() + 0.5e6;		/* half a second to warm up */
	for (;;) {
		double now = bk_now_us();

		if (!warm && now >= end) {
			warm = true;
			t0 = now;
			k0 = bk_proc_cpu_us(pid);
			end = now + SECONDS * 1e6;
			for (int i = 0; i < nc; i++)
				base += ms[i].acked;
		} else if (warm && now >= end)
			break;
		for (int i = 0; i < nc; i++) {
			member_drain(&ms[i]);
			while (ms[i].n < WINDOW)
				member_send(&ms[i], true);
		}
	}
	for (int i = 0; i < nc; i++)
		acked += ms[i].acked;
	acked -= base;
	secs = (bk_now_us() - t0) / 1e6;
	k0 = bk_proc_cpu_us(pid) - k0;
	printf("edits/s, %2d client%s pipelining, journal on: %8.0f  "
	    "(target >= 50000); kernel CPU %.1f us an edit: %.0f/s on a "
	    "core of its own\n", nc, nc == 1 ? " " : "s", acked / secs,
	    k0 / acked, acked * 1e6 / k0);
	members_close(ms, nc);
	free(nb);
	free(sess);
	sess = NULL;
}

int
main(int argc, char **argv)
{
	char	 dir[] = "/tmp/galley-bench-XXXXXX";
	char	 addr[128], *token, cmd[128];
	int	 rounds = argc > 2 ? atoi(argv[2]) : 2000, st;
	pid_t	 pid;

	if (argc < 2) {
		fprintf(stderr, "usage: bench_pair GALLEY_BINARY [ROUNDS]\n");
		return 2;
	}
	if (mkdtemp(dir) == NULL)
		die("mkdtemp", NULL);
	setenv("GALLEY_RUNTIME_DIR", dir, 1);
	signal(SIGPIPE, SIG_IGN);
	pid = bk_start_kernel_tcp(argv[1], dir, addr, sizeof addr);
	token = gl_path_join(dir, "token");
	bench_arrival(addr, token, dir, rounds);
	bench_rate(addr, token, dir, 1, pid);
	bench_rate(addr, token, dir, NCLIENTS, pid);
	kill(pid, SIGTERM);
	waitpid(pid, &st, 0);
	free(token);
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0)
		return 1;
	return 0;
}

/*
 * bench_tui.c - terminal UI figures against the targets of issue 4:
 *   time from start to first full paint of a 10,000-cell notebook
 *     (target <= 100 ms), measured twice: the client's own work (cells as
 *     the kernel sends them -> local doc -> layout -> curses on a pty),
 *     and `galley open` end to end on a pty with a kernel running;
 *   memory of that client (target <= 60 MB RSS);
 *   handling a keystroke in insert mode and redrawing (target p99 <= 5 ms),
 *     in process and end to end;
 *   bytes written to the terminal per keystroke (should stay near the
 *     size of the change).
 * usage: bench_tui GALLEY_BINARY [KEYSTROKES]
 * Runs in a private runtime directory and stops what it starts.
 */
#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <poll.h>
#include <pthread.h>
#include <pty.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/err.h"
#include "core/mem.h"
#include "core/notebook.h"
#include "core/ot.h"
#include "core/rpc.h"
#include "tui/draw.h"
#include "tui/editor.h"
#include "tui/event.h"
#include "tui/sync.h"
#include "tui/term.h"
#include "tui/view.h"

#define NCELLS	10000
#define ROWS	50
#define COLS	160

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
pct(double *v, size_t n, double p)
{
	qsort(v, n, sizeof *v, cmp_double);
	return v[(size_t)(p * (double)(n - 1))];
}

static long
rss_kb(pid_t pid)
{
	char	 path[64], line[256];
	FILE	*f;
	long	 kb = -1;

	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof line, f) != NULL)
		if (strncmp(line, "VmRSS:", 6) == 0)
			kb = strtol(line + 6, NULL, 10);
	fclose(f);
	return kb;
}

/* The notebook: code cells of a few lines, every tenth one markdown. */
static char *
make_notebook(size_t *lenp)
{
	struct gl_buf	 b;

	gl_buf_init(&b);
	for (int i = 0; i < NCELLS; i++) {
		if (i % 10 == 0)
			gl_buf_addf(&b, "-- %%%% [markdown] id=\"c%05d\"\n"
			    "-- ## Step %d\n-- Reads *part* %d of the data and "
			    "sums `fare` per day.\n\n", i, i, i);
		else
			gl_buf_addf(&b, "-- %%%% id=\"c%05d\"\n"
			    "local t%d = {}\nfor i = 1, %d do t%d[i] = i * i "
			    "end\nprint(#t%d, \"rows\")\n\n", i, i, i % 97, i,
			    i);
	}
	return gl_buf_take(&b, lenp);
}

/* The cells array of a session.open reply for doc, as msgpack. */
static void
pack_cells(const struct nb_doc *doc, msgpack_sbuffer *sb)
{
	msgpack_packer	 pk;
	size_t		 n = nb_doc_count(doc);

	msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
	msgpack_pack_array(&pk, n);
	for (size_t i = 0; i < n; i++) {
		const struct nb_cell *c = nb_doc_cell(doc, i);
		size_t		 len;
		const char	*src = nb_cell_source(c, &len);

		msgpack_pack_map(&pk, 8);
		rpc_pack_kv_str(&pk, "id", nb_cell_id(c));
		rpc_pack_kv_str(&pk, "kind", nb_kind_name(nb_cell_kind(c)));
		rpc_pack_kv_bool(&pk, "header", false);
		rpc_pack_kv_str(&pk, "title", "");
		rpc_pack_key(&pk, "meta");
		msgpack_pack_map(&pk, 1);
		{
			char	*j = xasprintf("\"%s\"", nb_cell_id(c));

			rpc_pack_kv_str(&pk, "id", j);
			free(j);
		}
		rpc_pack_key(&pk, "source");
		rpc_pack_strn(&pk, src, len);
		rpc_pack_key(&pk, "outputs");
		msgpack_pack_array(&pk, 1);
		msgpack_pack_map(&pk, 3);
		rpc_pack_kv_str(&pk, "type", "stream");
		rpc_pack_kv_str(&pk, "name", "stdout");
		rpc_pack_kv_str(&pk, "text", "42\trows\n");
		rpc_pack_kv_bool(&pk, "stale", false);
	}
}

/* A thread that drains the pty master and counts the bytes. */
static atomic_long	 pty_bytes;
static int		 pty_master = -1;
static atomic_int	 pty_stop;

static void *
drain_pty(void *arg)
{
	char	 buf[65536];

	(void)arg;
	while (!atomic_load(&pty_stop)) {
		struct pollfd p = { .fd = pty_master, .events = POLLIN };

		if (poll(&p, 1, 50) <= 0)
			continue;
		ssize_t n = read(pty_master, buf, sizeof buf);

		if (n > 0)
			atomic_fetch_add(&pty_bytes, n);
		else if (n < 0 && errno != EINTR && errno != EAGAIN)
			break;
	}
	return NULL;
}

/* Waits until the master has nothing left to read. */
static void
pty_settle(void)
{
	int	 n;

	for (int i = 0; i < 1000; i++) {
		if (ioctl(pty_master, FIONREAD, &n) == 0 && n == 0)
			return;
		usleep(50);
	}
}

static void
bench_in_process(int keys)
{
	struct winsize	 ws = { .ws_row = ROWS, .ws_col = COLS };
	struct term_opts to;
	struct gl_err	 err = { 0 };
	msgpack_sbuffer	 sb;
	msgpack_unpacked up;
	struct nb_doc	*doc, *local = NULL;
	struct view	*v;
	struct view_grid g;
	struct draw	*d;
	struct ed	 ed;
	pthread_t	 th;
	int		 slave;
	FILE		*out;
	size_t		 len;
	char		*text;
	double		 t0, t1, *lat, *bytes;
	long		 rss0, rss1;

	text = make_notebook(&len);
	if (nb_parse(text, len, "bench.nb.lua", &doc, &err) != 0) {
		fprintf(stderr, "bench_tui: %s\n", err.msg);
		exit(1);
	}
	msgpack_sbuffer_init(&sb);
	pack_cells(doc, &sb);
	nb_doc_free(doc);
	free(text);
	msgpack_unpacked_init(&up);
	msgpack_unpack_next(&up, sb.data, sb.size, NULL);

	if (openpty(&pty_master, &slave, NULL, NULL, &ws) != 0) {
		perror("openpty");
		exit(1);
	}
	pthread_create(&th, NULL, drain_pty, NULL);
	out = fdopen(slave, "r+");
	memset(&to, 0, sizeof to);
	to.out = out;
	to.in = out;
	to.no_signals = true;
	rss0 = rss_kb(getpid());

	/* Start to first full paint: what the client does with the reply
	 * to session.open. */
	t0 = now_ms();
	if (event_doc_from_cells(&up.data, &local, &err) != 0) {
		fprintf(stderr, "bench_tui: %s\n", err.msg);
		exit(1);
	}
	v = view_new(NULL);
	view_sync(v, local);
	for (size_t i = 0; i < nb_doc_count(local); i++)
		view_out_add(v, i, view_output_new(VIEW_OUT_STREAM,
		    "42\trows\n", 8));
	if (term_init(&to, &err) != 0) {
		fprintf(stderr, "bench_tui: %s\n", err.msg);
		exit(1);
	}
	view_grid_init(&g, ROWS, COLS);
	d = draw_new();
	{
		struct view_status st = { .mode = "NORMAL",
		    .path = "bench.nb.lua", .kernel = "local",
		    .runtime = "idle", .members = 1 };

		view_set_cursor(v, 1);
		view_render(v, local, &st, 0, &g);
		draw_grid(d, &g);
	}
	t1 = now_ms();
	pty_settle();
	rss1 = rss_kb(getpid());
	printf("tui: first full paint of %d cells, client side "
	    "(reply -> doc -> layout -> curses): %.1f ms (target <= 100 ms)\n",
	    NCELLS, t1 - t0);
	printf("tui: cells laid out for it (measured or painted): %zu of %d\n",
	    view_layouts_done(v), NCELLS);
	printf("tui: memory for %d cells, in process: +%.1f MB RSS\n",
	    NCELLS, (double)(rss1 - rss0) / 1024.0);

	/* Keystrokes in insert mode in cell 1: handle, apply, lay out,
	 * draw. */
	lat = xcalloc((size_t)keys, sizeof *lat);
	bytes = xcalloc((size_t)keys, sizeof *bytes);
	ed_init(&ed, nb_cell_id(nb_doc_cell(local, 1)), 0);
	for (int k = 0; k < keys; k++) {
		struct view_status st = { .mode = "INSERT",
		    .path = "bench.nb.lua", .dirty = true, .kernel = "local",
		    .runtime = "idle", .members = 1 };
		struct ot_op	 op;
		size_t		 slen, idx, lo, hi;
		const char	*src;
		long		 b0;
		char		 ch = (char)('a' + k % 26);

		pty_settle();
		b0 = atomic_load(&pty_bytes);
		t0 = now_ms();
		nb_doc_find(local, ed.id, &idx);
		src = nb_cell_source(nb_doc_cell(local, idx), &slen);
		if (k % 40 == 39)
			ed_newline(&ed, src, slen, &op);
		else
			ed_insert(&ed, src, slen, &ch, 1, &op);
		ot_apply(local, &op, NULL);
		view_apply_op(v, local, &op);
		ot_op_fini(&op);
		ed_selection(&ed, &lo, &hi);
		view_set_edit(v, (long)idx, ed.cur, lo, hi);
		view_render(v, local, &st, 0, &g);
		draw_grid(d, &g);
		lat[k] = now_ms() - t0;
		pty_settle();
		bytes[k] = (double)(atomic_load(&pty_bytes) - b0);
	}
	printf("tui: keystroke in insert mode, handle + redraw (in process): "
	    "p50 %.3f ms, p99 %.3f ms (target p99 <= 5 ms)\n",
	    pct(lat, (size_t)keys, 0.5), pct(lat, (size_t)keys, 0.99));
	{
		/* pct() sorts in place: take each figure in turn (argument
		 * order is unspecified). */
		double	 med = pct(bytes, (size_t)keys, 0.5);
		double	 p99 = pct(bytes, (size_t)keys, 0.99);
		double	 max = pct(bytes, (size_t)keys, 1.0);

		printf("tui: bytes to the terminal per keystroke (one "
		    "character typed): median %.0f, p99 %.0f, max %.0f\n",
		    med, p99, max);
	}
	free(lat);
	free(bytes);
	draw_free(d);
	view_grid_fini(&g);
	term_fini();
	fclose(out);
	atomic_store(&pty_stop, 1);
	pthread_join(th, NULL);
	close(pty_master);
	view_free(v);
	nb_doc_free(local);
	msgpack_unpacked_destroy(&up);
	msgpack_sbuffer_destroy(&sb);
}

/* ------------------------------------------------------------------ */
/* End to end: `galley open` on a pty */

struct child {
	pid_t	 pid;
	int	 fd;
	char	*seen;		/* the output so far (bounded) */
	size_t	 nseen;
};

/* Reads what the child wrote for up to ms; returns the bytes read. */
static long
child_read(struct child *c, int ms)
{
	char	 buf[65536];
	long	 total = 0;
	double	 end = now_ms() + ms;

	for (;;) {
		int	 left = (int)(end - now_ms());
		struct pollfd p = { .fd = c->fd, .events = POLLIN };

		if (left <= 0 || poll(&p, 1, left) <= 0)
			break;
		ssize_t n = read(c->fd, buf, sizeof buf);

		if (n <= 0)
			break;
		total += n;
		if (c->nseen > (1u << 20)) {
			c->nseen = 0;
		}
		c->seen = xrealloc(c->seen, c->nseen + (size_t)n + 1);
		memcpy(c->seen + c->nseen, buf, (size_t)n);
		c->nseen += (size_t)n;
		c->seen[c->nseen] = '\0';
	}
	return total;
}

static bool
contains(const char *hay, size_t n, const char *needle)
{
	size_t	 k = strlen(needle);

	for (size_t i = 0; i + k <= n; i++)
		if (memcmp(hay + i, needle, k) == 0)
			return true;
	return false;
}

static bool
child_wait_for(struct child *c, const char *what, int ms)
{
	double	 end = now_ms() + ms;

	c->nseen = 0;
	if (c->seen)
		c->seen[0] = '\0';
	while (now_ms() < end) {
		child_read(c, 5);
		if (c->seen != NULL && contains(c->seen, c->nseen, what))
			return true;
	}
	return false;
}

/* Reads until the output has been quiet for quiet_ms; returns the time
 * of the first byte (ms after t0) and the bytes. */
static long
child_frame(struct child *c, double t0, int quiet_ms, double *first)
{
	char	 buf[65536];
	long	 total = 0;

	*first = -1;
	for (;;) {
		struct pollfd p = { .fd = c->fd, .events = POLLIN };
		int	 rc = poll(&p, 1, total == 0 ? 2000 : quiet_ms);

		if (rc <= 0)
			break;
		ssize_t n = read(c->fd, buf, sizeof buf);

		if (n <= 0)
			break;
		if (total == 0)
			*first = now_ms() - t0;
		total += n;
	}
	return total;
}

static void
bench_end_to_end(const char *galley, int keys)
{
	char		 dir[] = "/tmp/galley-bench-tui.XXXXXX";
	char		*nb, *text, *rundir;
	size_t		 len;
	struct winsize	 ws = { .ws_row = ROWS, .ws_col = COLS };
	struct child	 c = { 0 };
	double		 t0, first, *lat, *bytes;
	int		 status, n = 0;
	FILE		*f;

	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		exit(1);
	}
	nb = xasprintf("%s/big.nb.lua", dir);
	rundir = xasprintf("%s/run", dir);
	mkdir(rundir, 0700);
	text = make_notebook(&len);
	f = fopen(nb, "w");
	fwrite(text, 1, len, f);
	fclose(f);
	free(text);
	setenv("GALLEY_RUNTIME_DIR", rundir, 1);
	unsetenv("GALLEY_KERNEL");
	setenv("TERM", "xterm-256color", 1);
	/* Round 0 starts the kernel, which parses the file; round 1 is a
	 * user coming back to a notebook the kernel has open. */
	for (int round = 0; round < 2; round++) {
		c.pid = forkpty(&c.fd, NULL, NULL, &ws);
		if (c.pid < 0) {
			perror("forkpty");
			exit(1);
		}
		if (c.pid == 0) {
			execl(galley, "galley", "open", nb, (char *)NULL);
			_exit(127);
		}
		t0 = now_ms();
		if (!child_wait_for(&c, "NORMAL", 30000)) {
			fprintf(stderr, "bench_tui: galley open did not paint\n");
			kill(c.pid, SIGKILL);
			waitpid(c.pid, &status, 0);
			exit(1);
		}
		if (round == 1)
			printf("tui: first full paint of %d cells, `galley open` "
			    "end to end (kernel running): %.1f ms (target <= "
			    "100 ms)\n", NCELLS, now_ms() - t0);
		else
			printf("tui: the same, the kernel starting and parsing "
			    "the file first: %.1f ms\n", now_ms() - t0);
		child_read(&c, 100);
		if (round == 1)
			break;
		(void)!write(c.fd, ":q!\r", 4);
		child_read(&c, 2000);
		waitpid(c.pid, &status, 0);
		close(c.fd);
	}
	printf("tui: client RSS with %d cells: %.1f MB (target <= 60 MB)\n",
	    NCELLS, (double)rss_kb(c.pid) / 1024.0);

	(void)!write(c.fd, "i", 1);
	child_wait_for(&c, "INSERT", 5000);
	child_read(&c, 50);
	lat = xcalloc((size_t)keys, sizeof *lat);
	bytes = xcalloc((size_t)keys, sizeof *bytes);
	for (int k = 0; k < keys; k++) {
		char	 ch = (char)('a' + k % 26);

		t0 = now_ms();
		(void)!write(c.fd, &ch, 1);
		bytes[n] = (double)child_frame(&c, t0, 3, &first);
		if (first >= 0)
			lat[n++] = first;
	}
	if (n > 0) {
		printf("tui: keystroke in insert mode, key to redrawn screen "
		    "(galley on a pty, edit sent to the kernel): p50 %.3f ms, "
		    "p99 %.3f ms (target p99 <= 5 ms)\n",
		    pct(lat, (size_t)n, 0.5), pct(lat, (size_t)n, 0.99));
		printf("tui: bytes to the terminal per keystroke, end to end: "
		    "median %.0f, p99 %.0f\n", pct(bytes, (size_t)n, 0.5),
		    pct(bytes, (size_t)n, 0.99));
	}
	free(lat);
	free(bytes);
	(void)!write(c.fd, "\033", 1);
	child_read(&c, 100);
	(void)!write(c.fd, ":q!\r", 4);
	child_read(&c, 2000);
	if (waitpid(c.pid, &status, WNOHANG) == 0) {
		kill(c.pid, SIGKILL);
		waitpid(c.pid, &status, 0);
	}
	close(c.fd);
	free(c.seen);
	{
		pid_t	 pid = fork();

		if (pid == 0) {
			int	 dn = open("/dev/null", O_RDWR);

			dup2(dn, 1);
			dup2(dn, 2);
			execl(galley, "galley", "kernel", "stop", (char *)NULL);
			_exit(127);
		}
		waitpid(pid, &status, 0);
	}
	{
		char	*cmd = xasprintf("rm -rf '%s'", dir);

		(void)!system(cmd);
		free(cmd);
	}
	free(nb);
	free(rundir);
}

int
main(int argc, char **argv)
{
	int	 keys = argc > 2 ? atoi(argv[2]) : 500;

	if (argc < 2) {
		fprintf(stderr, "usage: bench_tui GALLEY_BINARY [KEYSTROKES]\n");
		return 2;
	}
	if (keys < 10)
		keys = 10;
	setlocale(LC_ALL, "C.UTF-8");
	if (getenv("TERM") == NULL)
		setenv("TERM", "xterm-256color", 1);
	bench_in_process(keys);
	bench_end_to_end(argv[1], keys);
	return 0;
}

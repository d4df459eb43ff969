/*
 * cluview.c - the cluster view: a cluster.status answer read into a
 * struct view_cluster, and painted as a full-screen table.
 *
 * Reading is lenient on purpose: the kernel's answer is the contract of
 * docs/protocol.md, but a field it does not send (an older kernel, a
 * launcher that cannot tell a worker's host) shows as "-" rather than
 * failing the view, and the few names one quantity may carry (cpu_s or
 * cpu_ms, idle_ms or idle_s) are all understood. Only an answer that is
 * not a map with a workers array is an error.
 *
 * CPU %: what a worker uses now, as top(1) shows it. When the kernel does
 * not send it, it is the difference of the worker's CPU seconds between
 * two answers over the time between them; the first answer has none
 * ("-").
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/mem.h"
#include "core/rpc.h"
#include "tui/cluview.h"
#include "tui/view.h"

#define BAR_MAX		20
#define NAME_MAX_W	24
#define HOST_MAX_W	24
#define MIN_DT_MS	200	/* answers closer than this keep the last % */

static bool	 num(const msgpack_object *map, const char *key, double *out);
static char	*text(const msgpack_object *o);

/* ------------------------------------------------------------------ */
/* Reading */

void
view_cluster_init(struct view_cluster *c)
{
	memset(c, 0, sizeof *c);
	c->busy = c->queued = c->starting = c->wanted = c->scale = -1;
}

void
view_cluster_fini(struct view_cluster *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->nw; i++) {
		free(c->w[i].id);
		free(c->w[i].name);
		free(c->w[i].host);
		free(c->w[i].state);
	}
	free(c->w);
	for (size_t i = 0; i < c->njobs; i++)
		free(c->jobs[i].label);
	free(c->jobs);
	free(c->launcher);
	view_cluster_init(c);
}

/* A number under key (integer or float): true and *out set. */
static bool
num(const msgpack_object *map, const char *key, double *out)
{
	const msgpack_object *o;

	if (map == NULL || map->type != MSGPACK_OBJECT_MAP ||
	    (o = rpc_map_get(map, key)) == NULL)
		return false;
	switch (o->type) {
	case MSGPACK_OBJECT_POSITIVE_INTEGER:
		*out = (double)o->via.u64;
		return true;
	case MSGPACK_OBJECT_NEGATIVE_INTEGER:
		*out = (double)o->via.i64;
		return true;
	case MSGPACK_OBJECT_FLOAT32:
	case MSGPACK_OBJECT_FLOAT64:
		*out = o->via.f64;
		return true;
	default:
		return false;
	}
}

/* The first of keys (NULL-terminated) that is a number, times scale. */
static bool
num_any(const msgpack_object *map, const char *const *keys,
    const double *scale, double *out)
{
	for (size_t i = 0; keys[i] != NULL; i++)
		if (num(map, keys[i], out)) {
			*out *= scale ? scale[i] : 1.0;
			return true;
		}
	return false;
}

/* An id, name or state as text: strings as they are, numbers printed. */
static char *
text(const msgpack_object *o)
{
	if (o == NULL)
		return NULL;
	switch (o->type) {
	case MSGPACK_OBJECT_STR:
		return xstrndup(o->via.str.ptr, o->via.str.size);
	case MSGPACK_OBJECT_POSITIVE_INTEGER:
		return xasprintf("%" PRIu64, o->via.u64);
	case MSGPACK_OBJECT_NEGATIVE_INTEGER:
		return xasprintf("%" PRId64, o->via.i64);
	default:
		return NULL;
	}
}

static char *
text_any(const msgpack_object *map, const char *const *keys)
{
	for (size_t i = 0; keys[i] != NULL; i++) {
		char	*s = text(rpc_map_get(map, keys[i]));

		if (s != NULL)
			return s;
	}
	return NULL;
}

/* A count at the top of the answer or in its "counts" map; -1 if none. */
static int64_t
count_any(const msgpack_object *res, const char *const *keys)
{
	const msgpack_object *counts = rpc_map_get(res, "counts");
	double	 d;

	if (num_any(res, keys, NULL, &d) ||
	    (counts != NULL && num_any(counts, keys, NULL, &d)))
		return d < 0 ? -1 : (int64_t)d;
	return -1;
}

static const struct view_cworker *
prev_worker(const struct view_cluster *prev, const char *id)
{
	if (prev == NULL || id == NULL)
		return NULL;
	for (size_t i = 0; i < prev->nw; i++)
		if (prev->w[i].id != NULL && strcmp(prev->w[i].id, id) == 0)
			return &prev->w[i];
	return NULL;
}

static void
read_worker(const msgpack_object *o, const struct view_cluster *prev,
    int64_t now_ms, struct view_cworker *w)
{
	static const char *const id_keys[] = { "id", "name", NULL };
	static const char *const name_keys[] = { "name", "id", NULL };
	static const char *const host_keys[] = { "host", "hostname", NULL };
	static const char *const state_keys[] = { "state", "status", NULL };
	static const char *const done_keys[] = { "tasks_done", "done",
	    "tasks", NULL };
	static const char *const held_keys[] = { "held", "running",
	    "tasks_held", "inflight", NULL };
	static const char *const cpu_keys[] = { "cpu_s", "cpu_ms", "cpu_us",
	    "cpu", NULL };
	static const double cpu_scale[] = { 1, 1e-3, 1e-6, 1 };
	static const char *const pct_keys[] = { "cpu_pct", "cpu_percent",
	    NULL };
	static const char *const idle_keys[] = { "idle_ms", "idle_s",
	    "idle", NULL };
	static const double idle_scale[] = { 1, 1000, 1000 };
	const struct view_cworker *p;
	double	 d;

	memset(w, 0, sizeof *w);
	w->tasks_done = w->held = w->idle_ms = -1;
	w->cpu_s = w->cpu_pct = -1;
	if (o->type != MSGPACK_OBJECT_MAP)
		return;
	w->id = text_any(o, id_keys);
	w->name = text_any(o, name_keys);
	w->host = text_any(o, host_keys);
	w->state = text_any(o, state_keys);
	if (num_any(o, done_keys, NULL, &d) && d >= 0)
		w->tasks_done = (int64_t)d;
	if (num_any(o, held_keys, NULL, &d) && d >= 0)
		w->held = (int64_t)d;
	if (num_any(o, cpu_keys, cpu_scale, &d) && d >= 0)
		w->cpu_s = d;
	if (num_any(o, idle_keys, idle_scale, &d) && d >= 0)
		w->idle_ms = (int64_t)d;
	if (w->state == NULL && w->held >= 0)
		w->state = xstrdup(w->held > 0 ? "busy" : "idle");
	if (w->state != NULL && strcmp(w->state, "idle") != 0)
		w->idle_ms = -1;
	if (num_any(o, pct_keys, NULL, &d) && d >= 0) {
		w->cpu_pct = d;
		return;
	}
	if ((p = prev_worker(prev, w->id)) == NULL || w->cpu_s < 0 ||
	    p->cpu_s < 0)
		return;
	if (now_ms - prev->at_ms < MIN_DT_MS)
		w->cpu_pct = p->cpu_pct;
	else
		w->cpu_pct = (w->cpu_s > p->cpu_s ? w->cpu_s - p->cpu_s : 0) *
		    1000.0 * 100.0 / (double)(now_ms - prev->at_ms);
}

static void
read_job(const msgpack_object *o, struct view_cjob *j)
{
	static const char *const id_keys[] = { "job", "id", NULL };
	char	*id, *cell, *label, *kind;

	memset(j, 0, sizeof *j);
	if (o->type != MSGPACK_OBJECT_MAP) {
		j->label = xstrdup("job");
		return;
	}
	id = text_any(o, id_keys);
	cell = text(rpc_map_get(o, "cell"));
	label = text(rpc_map_get(o, "label"));
	kind = text(rpc_map_get(o, "kind"));
	if (label == NULL && kind != NULL)
		label = xasprintf("%s job%s%s", kind, id ? " " : "",
		    id ? id : "");
	if (label != NULL)
		j->label = xasprintf("%s%s%s%s", label, cell ? " [" : "",
		    cell ? cell : "", cell ? "]" : "");
	else
		j->label = xasprintf("job%s%s%s%s%s", id ? " " : "",
		    id ? id : "", cell ? " [" : "", cell ? cell : "",
		    cell ? "]" : "");
	(void)num(o, "done", &j->done);
	(void)num(o, "total", &j->total);
	(void)num(o, "failed", &j->failed);
	free(id);
	free(cell);
	free(label);
	free(kind);
}

int
view_cluster_parse(const msgpack_object *res, const struct view_cluster *prev,
    int64_t now_ms, struct view_cluster *out, struct gl_err *err)
{
	static const char *const busy_keys[] = { "busy", "workers_busy",
	    NULL };
	static const char *const queued_keys[] = { "queued", "tasks_queued",
	    NULL };
	static const char *const starting_keys[] = { "starting", NULL };
	static const char *const wanted_keys[] = { "max_workers", "wanted",
	    "target", NULL };
	static const char *const scale_keys[] = { "scale", NULL };
	const msgpack_object *ws, *js;

	view_cluster_init(out);
	out->at_ms = now_ms;
	if (res == NULL || res->type != MSGPACK_OBJECT_MAP ||
	    (ws = rpc_map_get(res, "workers")) == NULL ||
	    ws->type != MSGPACK_OBJECT_ARRAY)
		return gl_err_set(err, GL_EPROTO, "cluster.status: the "
		    "answer has no workers array");
	out->nw = ws->via.array.size;
	out->w = xcalloc(out->nw + 1, sizeof *out->w);
	for (size_t i = 0; i < out->nw; i++)
		read_worker(&ws->via.array.ptr[i], prev, now_ms, &out->w[i]);
	js = rpc_map_get(res, "jobs");
	if (js != NULL && js->type == MSGPACK_OBJECT_ARRAY) {
		out->njobs = js->via.array.size;
		out->jobs = xcalloc(out->njobs + 1, sizeof *out->jobs);
		for (size_t i = 0; i < out->njobs; i++)
			read_job(&js->via.array.ptr[i], &out->jobs[i]);
	}
	out->busy = count_any(res, busy_keys);
	out->queued = count_any(res, queued_keys);
	out->starting = count_any(res, starting_keys);
	out->wanted = count_any(res, wanted_keys);
	out->scale = count_any(res, scale_keys);
	out->launcher = text(rpc_map_get(res, "launcher"));
	if (out->launcher == NULL) {
		const msgpack_object *cfg = rpc_map_get(res, "config");

		if (cfg != NULL && cfg->type == MSGPACK_OBJECT_MAP)
			out->launcher = text(rpc_map_get(cfg, "launcher"));
	}
	return 0;
}

size_t
view_cluster_busy(const struct view_cluster *c)
{
	size_t	 n = 0;

	if (c->busy >= 0)
		return (size_t)c->busy;
	for (size_t i = 0; i < c->nw; i++)
		if (c->w[i].held > 0 || (c->w[i].state != NULL &&
		    strcmp(c->w[i].state, "busy") == 0))
			n++;
	return n;
}

size_t
view_cluster_count(const struct view_cluster *c)
{
	size_t	 n = 0;

	for (size_t i = 0; i < c->nw; i++)
		if (c->w[i].state == NULL ||
		    strcmp(c->w[i].state, "stopping") != 0)
			n++;
	return n + (c->starting > 0 ? (size_t)c->starting : 0);
}

/* ------------------------------------------------------------------ */
/* Painting */

static void
fill_row(struct view_grid *g, int row, uint16_t attr)
{
	if (row < 0 || row >= g->rows)
		return;
	for (int c = 0; c < g->cols; c++) {
		struct view_gcell *gc = view_grid_at(g, row, c);

		memset(gc->cp, 0, sizeof gc->cp);
		gc->cp[0] = ' ';
		gc->width = 1;
		gc->attr = attr;
	}
}

/* Display columns of s. */
static int
cols_of(const char *s)
{
	return s ? view_text_cols(s, strlen(s), 0, 8) : 0;
}

/* s cut to w columns (with "…" at the cut), into out. */
static void
fit(const char *s, int w, bool ascii, char *out, size_t n)
{
	size_t		 len = strlen(s), i = 0, o = 0;
	int		 col = 0;
	const char	*ell = ascii ? "~" : "\u2026";

	if (cols_of(s) <= w) {
		snprintf(out, n, "%s", s);
		return;
	}
	while (i < len) {
		uint32_t cp;
		size_t	 k = view_utf8_decode(s + i, len - i, &cp);
		int	 cw = view_cp_width(cp);

		if (col + cw > w - 1 || o + k + 4 >= n)
			break;
		memcpy(out + o, s + i, k);
		o += k;
		i += k;
		col += cw;
	}
	snprintf(out + o, n - o, "%s", w >= 1 ? ell : "");
}

/* Puts s at col, right-aligned in w columns when right. */
static void
put_cell(struct view_grid *g, int row, int col, int w, const char *s,
    bool right, bool ascii, uint16_t attr)
{
	char	 buf[256];
	int	 pad;

	fit(s, w, ascii, buf, sizeof buf);
	pad = right ? w - cols_of(buf) : 0;
	view_grid_puts(g, row, col + (pad > 0 ? pad : 0), buf, attr);
}

static void
fmt_dur(char *buf, size_t n, int64_t ms)
{
	if (ms < 10000)
		snprintf(buf, n, "%.1fs", (double)ms / 1000.0);
	else if (ms < 60000)
		snprintf(buf, n, "%ds", (int)(ms / 1000));
	else if (ms < 3600000)
		snprintf(buf, n, "%dm%02ds", (int)(ms / 60000),
		    (int)(ms / 1000 % 60));
	else
		snprintf(buf, n, "%dh%02dm", (int)(ms / 3600000),
		    (int)(ms / 60000 % 60));
}

static uint16_t
state_style(const char *state)
{
	if (state == NULL)
		return VIEW_S_DIM;
	if (strcmp(state, "busy") == 0)
		return VIEW_S_RUNNING;
	if (strcmp(state, "idle") == 0)
		return VIEW_S_NORMAL;
	if (strcmp(state, "dead") == 0 || strcmp(state, "lost") == 0 ||
	    strcmp(state, "failed") == 0)
		return VIEW_S_FAILED;
	return VIEW_S_DIM;
}

/* "12/40" with integers printed without decimals. */
static void
fmt_num(char *buf, size_t n, double d)
{
	if (d == (double)(int64_t)d)
		snprintf(buf, n, "%" PRId64, (int64_t)d);
	else
		snprintf(buf, n, "%.1f", d);
}

static void
paint_job(struct view_grid *g, int row, const struct view_cjob *j,
    bool ascii)
{
	char	 d[32], t[32], f[48], tail[96];
	int	 col, bw, fill;
	double	 frac;

	col = view_grid_puts(g, row, 1, j->label ? j->label : "job",
	    VIEW_S_NORMAL);
	col += 2;
	fmt_num(d, sizeof d, j->done);
	fmt_num(t, sizeof t, j->total);
	if (j->total > 0) {
		frac = j->done / j->total;
		frac = frac < 0 ? 0 : frac > 1 ? 1 : frac;
		bw = g->cols - col - (int)strlen(d) - (int)strlen(t) - 16;
		bw = bw > BAR_MAX ? BAR_MAX : bw;
		if (bw >= 4) {
			fill = (int)(frac * bw + 0.5);
			for (int k = 0; k < bw; k++)
				col = view_grid_puts(g, row, col, k < fill ?
				    (ascii ? "#" : "\u2588") :
				    (ascii ? "-" : "\u2591"), k < fill ?
				    VIEW_S_PROGRESS : VIEW_S_DIM);
			col++;
		}
		snprintf(tail, sizeof tail, "%s/%s", d, t);
	} else
		snprintf(tail, sizeof tail, "%s done", d);
	col = view_grid_puts(g, row, col, tail, VIEW_S_NORMAL);
	if (j->failed > 0) {
		fmt_num(d, sizeof d, j->failed);
		snprintf(f, sizeof f, "  %s failed", d);
		view_grid_puts(g, row, col, f, VIEW_S_ERROR);
	}
}

/* The summary row: workers busy of up, starting, queued, launcher. */
static void
paint_summary(struct view_grid *g, int row, const struct view_cluster *c)
{
	char	 buf[256];
	size_t	 l;

	l = (size_t)snprintf(buf, sizeof buf, "workers %zu busy / %zu up",
	    view_cluster_busy(c), c->nw);
	if (c->starting > 0 && l < sizeof buf)
		l += (size_t)snprintf(buf + l, sizeof buf - l, ", %" PRId64
		    " starting", c->starting);
	if (c->wanted > 0 && l < sizeof buf)
		l += (size_t)snprintf(buf + l, sizeof buf - l, " (at most %"
		    PRId64 ")", c->wanted);
	if (c->scale == 0 && l < sizeof buf)
		l += (size_t)snprintf(buf + l, sizeof buf - l, "   scaled to 0: "
		    "none start");
	else if (c->scale > 0 && l < sizeof buf)
		l += (size_t)snprintf(buf + l, sizeof buf - l, "   keeping %"
		    PRId64, c->scale);
	if (c->queued >= 0 && l < sizeof buf)
		l += (size_t)snprintf(buf + l, sizeof buf - l, "   tasks "
		    "queued %" PRId64, c->queued);
	if (c->launcher != NULL && l < sizeof buf)
		snprintf(buf + l, sizeof buf - l, "   launcher %s",
		    c->launcher);
	view_grid_puts(g, row, 1, buf, VIEW_S_NORMAL);
}

/* Column widths of the worker table. */
struct cols {
	int	 name, host, state;
};

static const int W_TASKS = 7, W_CPUS = 8, W_PCT = 6, W_IDLE = 7, GAP = 2;

static void
table_cols(const struct view_cluster *c, int width, struct cols *k)
{
	int	 fixed, over;

	k->name = 4;
	k->host = 4;
	k->state = 5;
	for (size_t i = 0; i < c->nw; i++) {
		int	 n = cols_of(c->w[i].name), h = cols_of(c->w[i].host),
			 s = cols_of(c->w[i].state);

		k->name = n > k->name ? n : k->name;
		k->host = h > k->host ? h : k->host;
		k->state = s > k->state ? s : k->state;
	}
	k->name = k->name > NAME_MAX_W ? NAME_MAX_W : k->name;
	k->host = k->host > HOST_MAX_W ? HOST_MAX_W : k->host;
	k->state = k->state > 10 ? 10 : k->state;
	fixed = 1 + W_TASKS + W_CPUS + W_PCT + W_IDLE + 6 * GAP;
	over = fixed + k->name + k->host + k->state - width;
	/* Too wide: the host gives way first, then the name. */
	while (over > 0 && k->host > 4) {
		k->host--;
		over--;
	}
	while (over > 0 && k->name > 4) {
		k->name--;
		over--;
	}
}

static void
paint_table_row(struct view_grid *g, int row, const struct cols *k,
    const char *const v[7], const uint16_t attr[7], bool ascii)
{
	int	 col = 1;
	const int w[7] = { k->name, k->host, k->state, W_TASKS, W_CPUS,
	    W_PCT, W_IDLE };

	for (int i = 0; i < 7; i++) {
		put_cell(g, row, col, w[i], v[i], i >= 3, ascii, attr[i]);
		col += w[i] + GAP;
	}
}

static void
paint_worker(struct view_grid *g, int row, const struct cols *k,
    const struct view_cworker *w, bool ascii)
{
	char		 done[24], cpu[24], pct[24], idle[24];
	const char	*v[7];
	uint16_t	 attr[7] = { VIEW_S_NORMAL, VIEW_S_NORMAL,
			    state_style(w->state), VIEW_S_NORMAL,
			    VIEW_S_NORMAL, VIEW_S_NORMAL, VIEW_S_NORMAL };

	if (w->tasks_done >= 0)
		snprintf(done, sizeof done, "%" PRId64, w->tasks_done);
	else
		snprintf(done, sizeof done, "-");
	if (w->cpu_s >= 0)
		snprintf(cpu, sizeof cpu, w->cpu_s < 1000 ? "%.1f" : "%.0f",
		    w->cpu_s);
	else
		snprintf(cpu, sizeof cpu, "-");
	if (w->cpu_pct >= 0)
		snprintf(pct, sizeof pct, "%.0f%%", w->cpu_pct);
	else
		snprintf(pct, sizeof pct, "-");
	if (w->idle_ms >= 0)
		fmt_dur(idle, sizeof idle, w->idle_ms);
	else
		snprintf(idle, sizeof idle, "-");
	v[0] = w->name ? w->name : "?";
	v[1] = w->host ? w->host : "-";
	v[2] = w->state ? w->state : "-";
	v[3] = done;
	v[4] = cpu;
	v[5] = pct;
	v[6] = idle;
	paint_table_row(g, row, k, v, attr, ascii);
}

static void
paint_msg(struct view_grid *g, int row, const struct view_cluster_screen *s)
{
	if (row < 1)
		return;
	if (s->cmdline != NULL) {
		int	 col = view_grid_puts(g, row, 0, ":", VIEW_S_NORMAL);
		int	 c = 1 + view_text_cols(s->cmdline, s->cmdline_cur, 0,
			    8);

		view_grid_puts(g, row, col, s->cmdline, VIEW_S_NORMAL);
		g->cur_row = row;
		g->cur_col = c < g->cols ? c : g->cols - 1;
		g->cur_visible = true;
	} else if (s->msg != NULL)
		view_grid_puts(g, row, 0, s->msg, s->msg_error ?
		    VIEW_S_MSGERR : VIEW_S_MSG);
}

/* text word-wrapped from row to row last, a column in from each side. */
static void
paint_wrapped(struct view_grid *g, int row, int last, const char *text)
{
	const char	*p = text;
	int		 w = g->cols - 2;

	while (*p != '\0' && row <= last && w > 0) {
		const char *brk = NULL, *q = p;
		int	 col = 0;
		char	*line;

		/* The longest run of words that fits (or a cut word). */
		while (*q != '\0') {
			uint32_t cp;
			size_t	 k = view_utf8_decode(q, strlen(q), &cp);
			int	 cw = view_cp_width(cp);

			if (col + cw > w)
				break;
			if (*q == ' ')
				brk = q;
			col += cw;
			q += k;
		}
		if (*q == ' ')
			brk = q;
		if (*q != '\0' && brk != NULL && brk > p)
			q = brk;
		if (q == p)
			q += view_utf8_decode(p, strlen(p), &(uint32_t){ 0 });
		line = xstrndup(p, (size_t)(q - p));
		view_grid_puts(g, row++, 1, line, VIEW_S_NORMAL);
		free(line);
		p = q;
		while (*p == ' ')
			p++;
	}
}

void
view_cluster_render(const struct view_cluster *c,
    struct view_cluster_screen *s, struct view_grid *g)
{
	static const char *const heads[7] = { "NAME", "HOST", "STATE",
	    "TASKS", "CPU s", "CPU %", "IDLE" };
	static const uint16_t th[7] = { VIEW_S_TH, VIEW_S_TH, VIEW_S_TH,
	    VIEW_S_TH, VIEW_S_TH, VIEW_S_TH, VIEW_S_TH };
	int		 row = 1, last = g->rows - 3, area, first, shown = 0;
	char		 foot[160];
	struct cols	 k;

	view_grid_clear(g);
	fill_row(g, 0, VIEW_S_HDRCUR);
	view_grid_puts(g, 0, 1, "galley cluster  (updated every second)",
	    VIEW_S_HDRCUR);
	if (s->note != NULL) {
		paint_wrapped(g, 2, last, s->note);
		s->scroll = 0;
	} else if (c == NULL) {
		view_grid_puts(g, 2, 1, s->loading ? "asking the kernel..." :
		    "no answer from the kernel yet", VIEW_S_DIM);
		s->scroll = 0;
	} else {
		paint_summary(g, row++, c);
		if (c->njobs == 0 && row <= last)
			view_grid_puts(g, row++, 1, "no job running",
			    VIEW_S_DIM);
		for (size_t i = 0; i < c->njobs && row <= last; i++)
			paint_job(g, row++, &c->jobs[i], s->ascii);
		row++;
		table_cols(c, g->cols, &k);
		if (row <= last)
			paint_table_row(g, row++, &k, heads, th, s->ascii);
		area = last - row + 1;
		if (area < 1)
			area = 1;
		if (s->scroll > (int)c->nw - area)
			s->scroll = (int)c->nw - area;
		if (s->scroll < 0)
			s->scroll = 0;
		first = s->scroll;
		if (c->nw == 0 && row <= last)
			view_grid_puts(g, row, 1, "no workers up: a "
			    "cluster.map in a cell starts them", VIEW_S_DIM);
		for (size_t i = (size_t)first; i < c->nw && row <= last; i++) {
			paint_worker(g, row++, &k, &c->w[i], s->ascii);
			shown++;
		}
		if (shown > 0 && (size_t)shown < c->nw) {
			char	 more[64];

			snprintf(more, sizeof more, " workers %d-%d of %zu ",
			    first + 1, first + shown, c->nw);
			if (g->cols - cols_of(more) >= 40)
				view_grid_puts(g, 0, g->cols - cols_of(more),
				    more, VIEW_S_HDRCUR);
		}
	}
	paint_msg(g, g->rows - 2, s);
	if (g->rows >= 2) {
		snprintf(foot, sizeof foot, " q close  + / - a worker more / "
		    "fewer  :scale N  j k scroll");
		fill_row(g, g->rows - 1, VIEW_S_STATUS);
		view_grid_puts(g, g->rows - 1, 0, foot, VIEW_S_STATUS);
	}
}

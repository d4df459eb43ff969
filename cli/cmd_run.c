/*
 * cmd_run.c - `galley run`: run a notebook headless through a kernel, in
 * an ephemeral session of its own (a fresh runtime; the notebook's
 * interactive session, if one is open, is not touched).
 *
 * Parameters are injected as papermill does: a code cell tagged
 * "injected-parameters" holding `name = value` lines goes right after the
 * cell tagged "parameters" (or first, with a warning, if there is none),
 * so the notebook's defaults run and are then overridden.
 */
#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "client/client.h"
#include "core/err.h"
#include "core/mem.h"
#include "core/notebook.h"
#include "core/paths.h"
#include "core/util.h"
#include "tui/event.h"
#include "tui/view.h"

struct run_param {
	char		*name;		/* owned */
	const char	*value;		/* borrowed from argv: as typed */
};

struct run_ctx {
	const char	*path;		/* as found: nb.path */
	struct cli_nb	 nb;
	char		*abspath;	/* owned */
	char		*text;		/* owned: the notebook to send */
	size_t		 len;
	char		*session;	/* owned */
	char		*injected;	/* owned: the -p cell's id, or NULL */
	int		 quiet;
	int		 progress;	/* stderr is a terminal */
	int		 status_shown;
	int		 ncode;		/* code cells to run */
	int		 started;	/* cells started so far */
	char		 at_cell[NB_ID_MAX + 1];	/* the last started */
	bool		 at_shown;	/* the progress line names it */
	int64_t		 at_ms;		/* when the line was drawn */
	char		*refused;	/* owned: why a plugin refused the
					 * cell after the last queued */
};

/* The progress line is redrawn at most this often while cells start. */
#define RUN_PROGRESS_MS	100

/* Cells sent in one cell.run (the kernel takes about a million values
 * in one message). */
#define RUN_PART	500000

static volatile sig_atomic_t run_interrupts;

static void
run_on_sigint(int sig)
{
	(void)sig;
	run_interrupts++;
}

static int
run_is_ident(const char *s)
{
	if (!isalpha((unsigned char)*s) && *s != '_')
		return 0;
	for (s++; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && *s != '_')
			return 0;
	return 1;
}

/* A Lua literal for a -p value: numbers, booleans and nil as they are,
 * anything else as a quoted string. */
static void
run_literal(struct gl_buf *b, const char *v)
{
	const char	*digits = v + (*v == '-');
	char		*end;

	if (strcmp(v, "true") == 0 || strcmp(v, "false") == 0 ||
	    strcmp(v, "nil") == 0) {
		gl_buf_adds(b, v);
		return;
	}
	/* Only what Lua reads as a numeral (an optional minus, then a digit
	 * or a point): strtod also takes "+5", "inf" and "nan", which Lua
	 * would read as a syntax error or a global variable. */
	if (isdigit((unsigned char)*digits) || (*digits == '.' &&
	    isdigit((unsigned char)digits[1]))) {
		errno = 0;
		(void)strtod(v, &end);
		if (*end == '\0' && errno == 0) {
			gl_buf_adds(b, v);
			return;
		}
	}
	gl_buf_addc(b, '"');
	for (const unsigned char *p = (const unsigned char *)v; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			gl_buf_addf(b, "\\%c", *p);
		else if (*p == '\n')
			gl_buf_adds(b, "\\n");
		else if (*p < 0x20 || *p == 0x7f)
			gl_buf_addf(b, "\\%03u", *p);
		else
			gl_buf_addc(b, (char)*p);
	}
	gl_buf_addc(b, '"');
}

/* True if src assigns name at the start of a line ("x =" or "local x ="). */
static int
run_assigns(const char *src, const char *name)
{
	size_t	 n = strlen(name);

	for (const char *l = src; l != NULL && *l != '\0';) {
		const char *p = l;

		while (*p == ' ' || *p == '\t')
			p++;
		if (strncmp(p, "local ", 6) == 0)
			for (p += 6; *p == ' ' || *p == '\t'; p++)
				;
		if (strncmp(p, name, n) == 0 && !isalnum((unsigned char)p[n]) &&
		    p[n] != '_') {
			for (p += n; *p == ' ' || *p == '\t'; p++)
				;
			if (*p == '=' && p[1] != '=')
				return 1;
		}
		l = strchr(l, '\n');
		if (l != NULL)
			l++;
	}
	return 0;
}

static int
run_inject(struct run_ctx *r, struct run_param *ps, size_t np)
{
	struct gl_err	 err = { 0 };
	struct nb_doc	*doc = NULL;
	struct nb_cell	*params = NULL, *cell;
	struct gl_buf	 src, out;
	size_t		 at = 0, n;
	struct gl_rng	 rng;

	if (nb_parse(r->text, r->len, r->path, &doc, &err) != 0) {
		cli_errorf("%s", err.msg);
		return CLI_BADINPUT;
	}
	n = nb_doc_count(doc);
	for (size_t i = 0; i < n; i++) {
		cell = nb_doc_cell(doc, i);
		if (nb_cell_has_tag(cell, "parameters")) {
			params = cell;
			at = i + 1;
			break;
		}
	}
	if (params == NULL) {
		cli_errorf("warning: %s has no cell tagged \"parameters\"; "
		    "the values are set before the first cell", r->path);
		at = n > 0 && nb_cell_is_header(nb_doc_cell(doc, 0)) ? 1 : 0;
	}
	gl_buf_init(&src);
	for (size_t i = 0; i < np; i++) {
		if (params != NULL && !run_assigns(nb_cell_source(params, NULL),
		    ps[i].name))
			cli_errorf("warning: parameter '%s' is not assigned in "
			    "the parameters cell", ps[i].name);
		gl_buf_addf(&src, "%s = ", ps[i].name);
		run_literal(&src, ps[i].value);
		gl_buf_addc(&src, '\n');
	}
	if (src.len > 0)
		src.data[--src.len] = '\0';
	gl_rng_seed(&rng, 1);
	cell = nb_doc_insert(doc, at, NB_CODE, NULL, src.data ? src.data : "",
	    src.len, &rng, &err);
	if (cell == NULL ||
	    nb_cell_set_meta(cell, "tags", "[\"injected-parameters\"]", &err) != 0) {
		cli_errorf("%s", err.msg);
		gl_buf_fini(&src);
		nb_doc_free(doc);
		return CLI_FAILED;
	}
	r->injected = xstrdup(nb_cell_id(cell));
	gl_buf_fini(&src);
	gl_buf_init(&out);
	nb_print(doc, &out);
	nb_doc_free(doc);
	free(r->text);
	r->text = gl_buf_take(&out, &r->len);
	return CLI_OK;
}

static void
run_status_clear(struct run_ctx *r)
{
	if (r->status_shown) {
		fputs("\r\033[K", stderr);
		r->status_shown = 0;
	}
}

static void
run_pack_open(msgpack_packer *pk, void *ctx)
{
	struct run_ctx *r = ctx;

	msgpack_pack_map(pk, 3);
	rpc_pack_kv_str(pk, "path", r->abspath);
	rpc_pack_key(pk, "text");
	rpc_pack_strn(pk, r->text, r->len);
	rpc_pack_kv_bool(pk, "ephemeral", true);
}

/*
 * A code cell to run. Cells are numbered as the TUI numbers them: from 1,
 * among all the notebook's cells (markdown and the header included), the
 * injected parameters cell not counted, as it is not in the file.
 */
struct run_cell {
	char	*id;		/* owned */
	int	 index;		/* 1-based; 0 for the injected cell */
};

/* "NB: cell "id" (cell 2 of 5)": how errors name a cell. */
static void
run_cell_name(const struct run_ctx *r, const struct run_cell *cell,
    int ncells, char *buf, size_t size)
{
	if (cell->index == 0)
		snprintf(buf, size, "%s: the injected parameters cell \"%s\"",
		    r->path, cell->id);
	else
		snprintf(buf, size, "%s: cell \"%s\" (cell %d of %d)", r->path,
		    cell->id, cell->index, ncells);
}

/* An answer's warnings (what plugins said, what could not be recovered),
 * on stderr. */
static void
run_print_warnings(struct run_ctx *r, const msgpack_object *result)
{
	const msgpack_object *w = rpc_map_get(result, "warnings");

	if (w == NULL || w->type != MSGPACK_OBJECT_ARRAY)
		return;
	run_status_clear(r);
	for (uint32_t i = 0; i < w->via.array.size; i++)
		if (w->via.array.ptr[i].type == MSGPACK_OBJECT_STR)
			fprintf(stderr, "galley: %.*s\n",
			    (int)w->via.array.ptr[i].via.str.size,
			    w->via.array.ptr[i].via.str.ptr);
}

/* One cell.run of every code cell: the kernel sends them to the runtime
 * ahead, and it runs them back to back, stopping at the first that does
 * not succeed. A cell a plugin refuses is queued with none after it:
 * *nqueued says how many were, r->refused why it stopped there. */
static int
run_send_cells(struct cl_conn *c, struct run_ctx *r,
    const struct run_cell *cells, int ncode, int *nqueued, struct gl_err *err)
{
	const msgpack_object	*ref;
	struct rpc_writer	*w;
	struct rpc_msg		 m;
	uint32_t		 rid;
	int			 rc;

	w = cl_begin(c, "cell.run", &rid);
	msgpack_pack_map(&w->pk, 3);
	rpc_pack_kv_str(&w->pk, "session", r->session);
	rpc_pack_kv_bool(&w->pk, "until_refused", true);
	rpc_pack_key(&w->pk, "cells");
	msgpack_pack_array(&w->pk, (uint32_t)ncode);
	for (int i = 0; i < ncode; i++)
		rpc_pack_str(&w->pk, cells[i].id);
	if ((rc = cl_send(c, err)) != 0)
		return rc;
	if ((rc = cl_wait(c, rid, &m, 30000, err)) != 0)
		return rc;
	run_print_warnings(r, m.result);
	*nqueued = ncode;
	if ((ref = rpc_map_get(m.result, "refused")) != NULL) {
		const msgpack_object *id = rpc_map_get(ref, "cell");

		if ((r->refused = rpc_map_strdup(ref, "message")) == NULL)
			r->refused = xstrdup("a plugin refused a cell");
		for (int i = 0; i < ncode; i++)
			if (rpc_obj_streq(id, cells[i].id))
				*nqueued = i;
	}
	rpc_msg_fini(&m);
	return 0;
}

/* Whether what reads our standard output has gone (a pipe whose reader
 * closed it): then nothing is run for nobody. */
static bool
run_reader_gone(void)
{
	struct pollfd	 pf = { .fd = 1, .events = POLLOUT };

	return poll(&pf, 1, 0) == 1 && (pf.revents & POLLERR) != 0;
}

/* A write to standard output failed because its reader left. SIGPIPE
 * kills us first unless it is ignored (some CI runners and daemons
 * start their children so): then the run stops here all the same. */
static bool
run_stdout_broken(void)
{
	return ferror(stdout) && run_reader_gone();
}

static void	 run_progress_flush(struct run_ctx *r);

/* "[3/10] cell "id"" on a terminal's stderr as each cell starts. */
static void
run_show_progress(struct run_ctx *r, const msgpack_object *cell)
{
	if (cell == NULL || cell->type != MSGPACK_OBJECT_STR)
		return;
	r->started++;
	snprintf(r->at_cell, sizeof r->at_cell, "%.*s",
	    (int)cell->via.str.size, cell->via.str.ptr);
	r->at_shown = false;
	/* Thousands of short cells a second: a terminal is not redrawn
	 * for each; the line catches up when galley run waits. */
	if (gl_now_ms() - r->at_ms >= RUN_PROGRESS_MS)
		run_progress_flush(r);
}

/* The progress line names the cell that started last, if it does not
 * yet. */
static void
run_progress_flush(struct run_ctx *r)
{
	if (!r->progress || r->at_shown || r->started == 0)
		return;
	fflush(stdout);
	fprintf(stderr, "\r\033[K[%d/%d] cell \"%s\"", r->started, r->ncode,
	    r->at_cell);
	r->status_shown = 1;
	r->at_shown = true;
	r->at_ms = gl_now_ms();
}

static void
run_print_output(struct run_ctx *r, const msgpack_object *out)
{
	size_t		 len = 0;
	const char	*text = rpc_map_str(out, "text", &len);
	const msgpack_object *type = rpc_map_get(out, "type");

	if (rpc_obj_streq(type, "progress")) {
		/* A live bar belongs on a terminal's stderr, never in the
		 * output a pipe carries. */
		if (r->progress) {
			int64_t done = rpc_map_int(out, "done", 0);
			int64_t total = rpc_map_int(out, "total", 0);
			int64_t failed = rpc_map_int(out, "failed", 0);

			fflush(stdout);
			fprintf(stderr, "\r\033[K  progress: %lld/%lld",
			    (long long)done, (long long)total);
			if (failed > 0)
				fprintf(stderr, ", %lld failed", (long long)failed);
			r->status_shown = 1;
		}
		return;
	}
	if (rpc_obj_streq(type, "table") || rpc_obj_streq(type, "tree")) {
		/* Aligned text, as the TUI's pager shows it. */
		struct view_output *o = event_output(out);
		struct gl_buf	 b;

		if (o == NULL)
			return;
		run_status_clear(r);
		gl_buf_init(&b);
		view_output_text(o, &b);
		fwrite(b.data, 1, b.len, stdout);
		fputc('\n', stdout);
		fflush(stdout);
		gl_buf_fini(&b);
		view_output_free(o);
		return;
	}
	if (text == NULL)
		return;
	run_status_clear(r);
	if (rpc_obj_streq(type, "stream")) {
		if (rpc_obj_streq(rpc_map_get(out, "name"), "stderr")) {
			fflush(stdout);
			fwrite(text, 1, len, stderr);
		} else
			fwrite(text, 1, len, stdout);
	} else if (rpc_obj_streq(type, "result")) {
		fwrite(text, 1, len, stdout);
		fputc('\n', stdout);
	}
}

static int
run_report_failure(struct run_ctx *r, const struct run_cell *cell, int ncells,
    const struct cl_done *d)
{
	size_t			 mlen = 0, tlen = 0;
	const char		*msg = rpc_map_str(d->error, "message", &mlen);
	const char		*tb = rpc_map_str(d->error, "traceback", &tlen);
	int64_t			 line = rpc_map_int(d->error, "line", 0);
	char			 name[512];

	fflush(stdout);
	run_status_clear(r);
	run_cell_name(r, cell, ncells, name, sizeof name);
	if (d->status == GL_RUN_INTERRUPTED) {
		fprintf(stderr, "galley: %s interrupted\n", name);
		return CLI_INTERRUPTED;
	}
	if (d->status == GL_RUN_DIED) {
		fprintf(stderr, "galley: %s failed: %.*s\n", name,
		    d->message ? (int)d->message_len : 20,
		    d->message ? d->message : "the runtime died");
		return run_interrupts ? CLI_INTERRUPTED : CLI_FAILED;
	}
	if (line > 0)
		fprintf(stderr, "galley: %s failed at line %lld\n", name,
		    (long long)line);
	else
		fprintf(stderr, "galley: %s failed\n", name);
	if (msg != NULL)
		fprintf(stderr, "%.*s\n", (int)mlen, msg);
	if (tb != NULL && tlen > 0)
		fprintf(stderr, "%.*s%s", (int)tlen, tb,
		    tb[tlen - 1] == '\n' ? "" : "\n");
	return CLI_FAILED;
}

/* Waits for the cell's done, printing its outputs. Returns CLI_OK or the
 * exit code. */
static int
run_wait_cell(struct cl_conn *c, struct run_ctx *r, const struct run_cell *cell,
    int ncells)
{
	struct gl_err	 err = { 0 };
	struct rpc_msg	 m;
	int		 rc, sent = 0;

	for (;;) {
		/* One interrupt per Ctrl-C (the kernel kills the runtime at
		 * the second), sent without waiting for the answer, so a
		 * third Ctrl-C is seen at once: it stops waiting for a
		 * kernel that does not end the cell. */
		if (run_interrupts >= 3) {
			char	 name[512];

			fflush(stdout);
			run_status_clear(r);
			run_cell_name(r, cell, ncells, name, sizeof name);
			cli_errorf("interrupted; %s did not stop, not waiting "
			    "for it", name);
			return CLI_INTERRUPTED;
		}
		while (sent < run_interrupts) {
			struct rpc_writer *w;
			uint32_t	   id;

			w = cl_begin(c, "cell.interrupt", &id);
			cl_pack_session(&w->pk, r->session);
			if (cl_send(c, &err) != 0)
				break;
			sent++;
		}
		/* Outputs stream: whoever reads the pipe sees them as cells
		 * run, written together when several came at once. */
		if ((rc = cl_next_notify(c, &m, 0, &err)) == 0) {
			run_progress_flush(r);
			fflush(stdout);
			if (run_stdout_broken())
				return CLI_PIPE;
			rc = cl_next_notify(c, &m, 200, &err);
		}
		if (rc == 0 || rc == GL_EINTR)
			continue;
		if (rc < 0) {
			fflush(stdout);
			run_status_clear(r);
			cli_errorf("%s", err.msg);
			return CLI_KERNEL;
		}
		if (strcmp(m.method, "cell.output") == 0) {
			run_print_output(r, rpc_map_get(m.args, "output"));
			if (run_stdout_broken()) {
				rpc_msg_fini(&m);
				return CLI_PIPE;
			}
		} else if (strcmp(m.method, "cell.started") == 0 && r->progress)
			run_show_progress(r, rpc_map_get(m.args, "cell"));
		else if (strcmp(m.method, "cell.done") == 0 &&
		    rpc_obj_streq(rpc_map_get(m.args, "cell"), cell->id)) {
			struct cl_done	 d;

			if (cl_done_read(m.args, &d, &err) != 0) {
				rpc_msg_fini(&m);
				fflush(stdout);
				run_status_clear(r);
				cli_errorf("cell.done: %s", err.msg);
				return CLI_KERNEL;
			}
			rc = d.status == GL_RUN_OK ? CLI_OK :
			    run_report_failure(r, cell, ncells, &d);
			rpc_msg_fini(&m);
			return rc;
		}
		rpc_msg_fini(&m);
	}
}

int
cli_run(int argc, char **argv)
{
	struct run_ctx		 r;
	struct run_param	*ps = NULL;
	size_t			 np = 0;
	struct cl_opts		 o;
	struct cl_conn		*c = NULL;
	struct gl_err		 err = { 0 };
	struct rpc_msg		 m;
	struct run_cell		*cells = NULL;
	int			 ncode = 0, ncells = 0, nqueued = 0;
	int			 rc = CLI_OK;
	const char		*v;
	struct sigaction	 sa;

	memset(&r, 0, sizeof r);
	cl_opts_init(&o);
	for (int i = 1; i < argc; i++) {
		if ((v = cli_optval("run", argc, argv, &i, "--kernel")) != NULL)
			o.kernel = v;
		else if ((v = cli_optval("run", argc, argv, &i, "-p")) != NULL ||
		    (v = cli_optval("run", argc, argv, &i, "--param")) != NULL) {
			const char *eq = strchr(v, '=');

			if (eq == NULL || eq == v) {
				free(ps);
				return cli_usage("run", "-p wants NAME=VALUE, not '%s'", v);
			}
			ps = xrealloc(ps, (np + 1) * sizeof *ps);
			ps[np].name = xstrndup(v, (size_t)(eq - v));
			ps[np].value = eq + 1;
			if (!run_is_ident(ps[np].name)) {
				cli_usage("run", "-p %s: '%s' is not a Lua name", v,
				    ps[np].name);
				np++;
				rc = CLI_USAGE;
				goto out;
			}
			np++;
		} else if (strcmp(argv[i], "-q") == 0 ||
		    strcmp(argv[i], "--quiet") == 0)
			r.quiet = 1;
		else if (argv[i][0] == '-' && argv[i][1] != '\0') {
			rc = cli_usage("run", "unknown option %s", argv[i]);
			goto out;
		} else if (r.path == NULL)
			r.path = argv[i];	/* resolved below */
		else {
			rc = cli_usage("run", "one notebook at a time");
			goto out;
		}
	}
	if (r.path == NULL) {
		rc = cli_usage("run", "which notebook?");
		goto out;
	}
	if ((rc = cli_check_kernel("run", o.kernel)) != CLI_OK)
		goto out;
	/* "galley run analysis" finds analysis.nb.lua. */
	cli_nb_resolve(r.path, &r.nb);
	r.path = r.nb.path;
	if ((rc = cli_nb_check_kind(&r.nb)) != CLI_OK)
		goto out;
	r.progress = !r.quiet && isatty(2);
	if (gl_file_read(r.path, &r.text, &r.len, &err) != 0) {
		cli_errorf("%s", err.msg);
		rc = CLI_BADINPUT;
		goto out;
	}
	if ((r.abspath = gl_path_abs(r.path, &err)) == NULL) {
		cli_errorf("%s", err.msg);
		rc = CLI_BADINPUT;
		goto out;
	}
	if (np > 0 && (rc = run_inject(&r, ps, np)) != CLI_OK)
		goto out;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = run_on_sigint;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	/* SIGPIPE stays fatal, as for any filter: `galley run nb | head`
	 * stops at once when head has read enough, instead of running the
	 * rest of the notebook for nobody (the socket is written with
	 * MSG_NOSIGNAL). */

	if (cl_connect(&o, &c, &err) != 0) {
		cli_errorf("%s", err.msg);
		rc = CLI_KERNEL;
		goto out;
	}
	if (cl_call_doc(c, "session.open", run_pack_open, &r, &m, 60000, &err) != 0) {
		cli_errorf("%s", err.msg);
		rc = err.code == GL_ESYNTAX ? CLI_BADINPUT : CLI_KERNEL;
		goto out;
	}
	r.session = rpc_map_strdup(m.result, "session");
	run_print_warnings(&r, m.result);
	{
		const msgpack_object *cs = rpc_map_get(m.result, "cells");

		if (r.session == NULL || cs == NULL ||
		    cs->type != MSGPACK_OBJECT_ARRAY) {
			rpc_msg_fini(&m);
			cli_errorf("the kernel's session.open answer has no session or cells");
			rc = CLI_KERNEL;
			goto out;
		}
		cells = xcalloc(cs->via.array.size + 1, sizeof *cells);
		for (uint32_t i = 0; i < cs->via.array.size; i++) {
			const msgpack_object *cell = &cs->via.array.ptr[i];
			bool injected = r.injected != NULL && rpc_obj_streq(
			    rpc_map_get(cell, "id"), r.injected);

			if (!injected)
				ncells++;
			if (!rpc_obj_streq(rpc_map_get(cell, "kind"), "code"))
				continue;
			cells[ncode].id = rpc_map_strdup(cell, "id");
			cells[ncode].index = injected ? 0 : ncells;
			if (cells[ncode].id != NULL)
				ncode++;
		}
	}
	rpc_msg_fini(&m);

	if (ncode > 0 && run_reader_gone()) {
		raise(SIGPIPE);
		rc = CLI_PIPE;
	}
	r.ncode = ncode;
	/* A cell.run holds at most about a million values: a bigger
	 * notebook goes in parts, each sent when the one before ended. */
	for (int from = 0; from < ncode && rc == CLI_OK && r.refused == NULL;
	    from += RUN_PART) {
		int	 n = ncode - from < RUN_PART ? ncode - from : RUN_PART;

		if (run_interrupts) {
			rc = CLI_INTERRUPTED;
			break;
		}
		if (run_send_cells(c, &r, cells + from, n, &nqueued,
		    &err) != 0) {
			cli_errorf("%s", err.msg);
			rc = CLI_KERNEL;
			break;
		}
		for (int i = from; i < from + nqueued && rc == CLI_OK; i++)
			rc = run_wait_cell(c, &r, &cells[i], ncells);
	}
	if (rc == CLI_OK && r.refused != NULL) {
		/* As the kernel refuses a cell.run: its word, exit 4. */
		fflush(stdout);
		run_status_clear(&r);
		cli_errorf("%s", r.refused);
		rc = CLI_KERNEL;
	}
	fflush(stdout);
	if (rc == CLI_OK && run_stdout_broken())
		rc = CLI_PIPE;
	run_status_clear(&r);
	if (r.session != NULL && rc != CLI_KERNEL) {
		if (cl_call(c, "session.close", cl_pack_session, r.session, &m,
		    10000, &err) == 0)
			rpc_msg_fini(&m);
	}
out:
	if (cells != NULL)
		for (int i = 0; i < ncode; i++)
			free(cells[i].id);
	free(cells);
	cl_close(c);
	for (size_t i = 0; i < np; i++)
		free(ps[i].name);
	free(ps);
	free(r.text);
	free(r.abspath);
	free(r.session);
	free(r.injected);
	free(r.refused);
	cli_nb_fini(&r.nb);
	return rc;
}

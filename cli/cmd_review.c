/*
 * cmd_review.c - `galley review ...`: reviews stored in git notes, from
 * the command line (review/review.h does the work). Each subcommand is an
 * entry of review_cmds; every one prints text for people or, with
 * --json, one JSON object (docs/review.md).
 */
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "client/client.h"
#include "core/err.h"
#include "core/mem.h"
#include "core/paths.h"
#include "core/rpc.h"
#include "core/util.h"
#include "kernel/req.h"
#include "lua/plugin.h"
#include "review/ndiff.h"
#include "review/repo.h"
#include "review/review.h"
#include "tui/app.h"

#define C_RESET		"\033[m"
#define C_BOLD		"\033[1m"
#define C_DIM		"\033[2m"
#define C_CYAN		"\033[36m"
#define C_YELLOW	"\033[33m"
#define C_GREEN		"\033[32m"
#define C_RED		"\033[31m"

/* What every subcommand gets. */
struct rctx {
	struct repo		*r;
	struct rev_store	*s;
	int			 json;
	int			 color;
};

struct review_cmd {
	const char	*name;
	int		(*fn)(struct rctx *c, int argc, char **argv);
	const char	*usage;
};

static int	 rv_start(struct rctx *, int, char **);
static int	 rv_list(struct rctx *, int, char **);
static int	 rv_show(struct rctx *, int, char **);
static int	 rv_comment(struct rctx *, int, char **);
static int	 rv_reply(struct rctx *, int, char **);
static int	 rv_resolve(struct rctx *, int, char **);
static int	 rv_approve(struct rctx *, int, char **);
static int	 rv_request(struct rctx *, int, char **);
static int	 rv_apply(struct rctx *, int, char **);
static int	 rv_sync(struct rctx *, int, char **);

static const struct review_cmd review_cmds[] = {
	{ "start", rv_start, "galley review start [BASE..HEAD] [--title T] "
	  "[--reviewer NAME]... [--json]" },
	{ "list", rv_list, "galley review list [--json]" },
	{ "show", rv_show, "galley review show [ID] [--no-diff] [--json]" },
	{ "comment", rv_comment, "galley review comment [ID] --path P "
	  "[--cell CELL] [--lines A-B] [--suggest FILE|-] -m MSG [--json]" },
	{ "reply", rv_reply, "galley review reply THREAD -m MSG [--json]" },
	{ "resolve", rv_resolve, "galley review resolve THREAD [--reopen] "
	  "[--json]" },
	{ "approve", rv_approve, "galley review approve [ID] [-m MSG] "
	  "[--json]" },
	{ "request-changes", rv_request, "galley review request-changes [ID] "
	  "[-m MSG] [--json]" },
	{ "apply", rv_apply, "galley review apply THREAD [--json]" },
	{ "sync", rv_sync, "galley review sync [REMOTE] [--json]" },
};

#define NREVIEW_CMDS (sizeof review_cmds / sizeof review_cmds[0])

static const struct review_cmd *
rv_find_cmd(const char *name)
{
	for (size_t i = 0; i < NREVIEW_CMDS; i++)
		if (strcmp(review_cmds[i].name, name) == 0)
			return &review_cmds[i];
	return NULL;
}

static int
rv_usage(const char *sub, const char *fmt, const char *arg)
{
	const struct review_cmd	*rc = rv_find_cmd(sub);

	fputs("galley: ", stderr);
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	if (rc != NULL)
		fprintf(stderr, "usage: %s\n", rc->usage);
	return CLI_USAGE;
}

/* An exit status for a failed review operation. */
static int
rv_fail(const struct gl_err *err)
{
	cli_errorf("%s", err->msg);
	return err->code == GL_ESYNTAX ? CLI_BADINPUT : CLI_FAILED;
}

static void
col(struct rctx *c, struct gl_buf *b, const char *code)
{
	if (c->color)
		gl_buf_adds(b, code);
}

/* (Re)reads the store, printing what was skipped. */
static int
rv_load(struct rctx *c)
{
	struct gl_err	 err;

	rev_store_free(c->s);
	c->s = NULL;
	if (rev_store_load(c->r, &c->s, &err) != 0) {
		cli_errorf("%s", err.msg);
		return CLI_GIT;
	}
	for (size_t i = 0; i < c->s->nwarnings; i++)
		cli_errorf("warning: %s", c->s->warnings[i]);
	return CLI_OK;
}

static json_t *
rv_json_top(struct rctx *c)
{
	json_t	*o = json_object(), *w = json_array();

	for (size_t i = 0; c->s != NULL && i < c->s->nwarnings; i++)
		json_array_append_new(w, json_string(c->s->warnings[i]));
	json_object_set_new(o, "warnings", w);
	return o;
}

/* The common options: --json and, for subcommands that name a review,
 * one optional ID. Returns the index of the first other argument's
 * handling: a small parser each subcommand drives. */
struct rv_opts {
	const char	*pos[2];	/* positional arguments */
	int		 npos;
	const char	*msg;		/* -m */
	const char	*title;
	const char	*path, *cell, *lines, *suggest;
	const char	**reviewers;
	size_t		 nreviewers;
	int		 reopen, no_diff;
};

static int
rv_parse(struct rctx *c, const char *sub, int argc, char **argv,
    struct rv_opts *o, int maxpos)
{
	const char	*v;

	memset(o, 0, sizeof *o);
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			c->json = 1;
		else if ((v = cli_optval("review", argc, argv, &i, "-m")) !=
		    NULL || (v = cli_optval("review", argc, argv, &i,
		    "--message")) != NULL)
			o->msg = v;
		else if ((v = cli_optval("review", argc, argv, &i,
		    "--title")) != NULL)
			o->title = v;
		else if ((v = cli_optval("review", argc, argv, &i,
		    "--reviewer")) != NULL) {
			o->reviewers = xrealloc(o->reviewers,
			    (o->nreviewers + 1) * sizeof *o->reviewers);
			o->reviewers[o->nreviewers++] = v;
		} else if ((v = cli_optval("review", argc, argv, &i,
		    "--path")) != NULL)
			o->path = v;
		else if ((v = cli_optval("review", argc, argv, &i,
		    "--cell")) != NULL)
			o->cell = v;
		else if ((v = cli_optval("review", argc, argv, &i,
		    "--lines")) != NULL || (v = cli_optval("review", argc,
		    argv, &i, "--line")) != NULL)
			o->lines = v;
		else if ((v = cli_optval("review", argc, argv, &i,
		    "--suggest")) != NULL)
			o->suggest = v;
		else if (strcmp(argv[i], "--reopen") == 0)
			o->reopen = 1;
		else if (strcmp(argv[i], "--no-diff") == 0)
			o->no_diff = 1;
		else if (argv[i][0] == '-' && argv[i][1] != '\0') {
			free(o->reviewers);
			return rv_usage(sub, "unknown option %s", argv[i]);
		} else if (o->npos < maxpos)
			o->pos[o->npos++] = argv[i];
		else {
			free(o->reviewers);
			return rv_usage(sub, "unexpected argument %s", argv[i]);
		}
	}
	return CLI_OK;
}

/* ------------------------------------------------------------------ */
/* Printing                                                             */
/* ------------------------------------------------------------------ */

/* "2025-01-31 12:00" from a record time. */
static void
short_time(const char *at, char out[20])
{
	snprintf(out, 20, "%.16s", at);
	if (strlen(out) > 10)
		out[10] = ' ';
}

/* Lines of text, each behind prefix. */
static void
put_lines(struct gl_buf *b, const char *prefix, const char *text)
{
	const char	*p = text;

	do {
		const char	*nl = strchr(p, '\n');
		size_t		 n = nl != NULL ? (size_t)(nl - p) : strlen(p);

		gl_buf_adds(b, prefix);
		gl_buf_add(b, p, n);
		gl_buf_addc(b, '\n');
		p = nl != NULL ? nl + 1 : p + n;
	} while (*p != '\0');
}

static void
put_thread(struct rctx *c, struct gl_buf *b, const struct rev_thread *t)
{
	char	 when[20];

	short_time(t->at, when);
	gl_buf_adds(b, "  | ");
	col(c, b, t->resolved ? C_DIM : C_CYAN);
	gl_buf_addf(b, "[%s] %s", t->id, t->resolved ? "resolved" : "open");
	if (t->cell != NULL)
		gl_buf_addf(b, ", cell %s", t->cell);
	if (t->line0 > 0) {
		unsigned	 a = t->line0, z = t->line1;

		if (t->where == REV_CURRENT) {
			a = t->now0;
			z = t->now1;
		}
		if (a == z)
			gl_buf_addf(b, ", line %u", a);
		else
			gl_buf_addf(b, ", lines %u-%u", a, z);
	}
	gl_buf_addf(b, " of %s", t->path);
	col(c, b, C_RESET);
	if (t->where == REV_OUTDATED)
		gl_buf_addf(b, " (outdated: made on %.7s)", t->commit);
	else if (t->where == REV_GONE)
		gl_buf_adds(b, t->cell != NULL ? " (its cell is gone)" :
		    " (its file is gone)");
	else if (t->moved)
		gl_buf_adds(b, " (cell moved)");
	gl_buf_addc(b, '\n');
	if (t->where != REV_CURRENT && t->line0 > 0 && *t->text != '\0')
		put_lines(b, "  |   > ", t->text);
	gl_buf_addf(b, "  | %s, %s:\n", t->author, when);
	put_lines(b, "  |     ", t->body);
	if (t->suggestion != NULL) {
		gl_buf_addf(b, "  |   suggests%s:\n", t->applied ?
		    " (applied)" : "");
		col(c, b, C_GREEN);
		put_lines(b, "  |   + ", *t->suggestion != '\0' ?
		    t->suggestion : "");
		col(c, b, C_RESET);
	}
	for (size_t i = 0; i < t->nreplies; i++) {
		short_time(t->replies[i].at, when);
		gl_buf_addf(b, "  | %s, %s:\n", t->replies[i].author, when);
		put_lines(b, "  |     ", t->replies[i].body);
	}
}

/* True if reviewer names who ("bob", "Bob <b@x>", "b@x"). */
static bool
is_person(const char *reviewer, const char *who)
{
	const char	*lt = strchr(who, '<');
	size_t		 n = strlen(reviewer);

	if (strcmp(reviewer, who) == 0)
		return true;
	if (lt != NULL && (size_t)(lt - who) == n + 1 &&
	    strncmp(who, reviewer, n) == 0)
		return true;	/* the name */
	return lt != NULL && strncmp(lt + 1, reviewer, n) == 0 &&
	    lt[1 + n] == '>';	/* the email */
}

static const char *
verdict_words(enum rev_verdict v)
{
	return v == REV_APPROVE ? "approved" : v == REV_REQUEST_CHANGES ?
	    "requested changes" : "no verdict yet";
}

/* How much of a stored revision name to print: a commit id (what
 * "HEAD~1" was stored as) is shown short. */
static int
name_width(const char *name)
{
	size_t	 n = strlen(name);

	if (n == 40 && strspn(name, "0123456789abcdef") == 40)
		return 7;
	return (int)n;
}

static void
put_header(struct rctx *c, struct gl_buf *b, const struct rev_review *rv)
{
	char	 when[20], bshort[REPO_OID_HEX], hshort[REPO_OID_HEX];
	char	 head[REPO_OID_HEX];
	bool	*listed = xcalloc(rv->nverdicts + 1, 1);

	short_time(rv->at, when);
	repo_short(c->r, rv->base_commit, bshort);
	if (rev_head(c->r, rv, head, NULL) != 0)
		snprintf(head, sizeof head, "%s", rv->head_commit);
	repo_short(c->r, head, hshort);
	col(c, b, C_BOLD);
	gl_buf_addf(b, "review %s: %s\n", rv->id, rv->title);
	col(c, b, C_RESET);
	gl_buf_addf(b, "  %.*s..%.*s (%s..%s), by %s, %s\n",
	    name_width(rv->base), rv->base, name_width(rv->head), rv->head,
	    bshort, hshort, rv->author, when);
	for (size_t i = 0; i < rv->nreviewers; i++) {
		enum rev_verdict v = REV_NO_VERDICT;

		for (size_t k = 0; k < rv->nverdicts; k++)
			if (is_person(rv->reviewers[i],
			    rv->verdicts[k].author)) {
				v = rv->verdicts[k].verdict;
				listed[k] = true;
			}
		gl_buf_addf(b, "  reviewer %s: %s\n", rv->reviewers[i],
		    verdict_words(v));
	}
	for (size_t k = 0; k < rv->nverdicts; k++)
		if (!listed[k])
			gl_buf_addf(b, "  %s %s\n", rv->verdicts[k].author,
			    verdict_words(rv->verdicts[k].verdict));
	gl_buf_adds(b, "  status: ");
	col(c, b, strcmp(rev_status(rv), "approved") == 0 ? C_GREEN :
	    strcmp(rev_status(rv), "open") == 0 ? C_YELLOW : C_RED);
	gl_buf_adds(b, rev_status(rv));
	col(c, b, C_RESET);
	gl_buf_addf(b, "; %zu open thread%s of %zu\n", rev_open_threads(rv),
	    rev_open_threads(rv) == 1 ? "" : "s", rv->nthreads);
	free(listed);
}

/* Threads shown inline with the diff, and which were. */
struct inline_threads {
	struct rctx		*c;
	struct rev_review	*rv;
	bool			*shown;
};

static const char *
cell_path(const struct ndiff *d)
{
	return d->new_path != NULL ? d->new_path : d->old_path;
}

static bool
thread_on(const struct rev_thread *t, const struct ndiff *d,
    const struct ndiff_cellchange *cc)
{
	const struct ndiff_cell	*x = cc->new != NULL ? cc->new : cc->old;

	return t->cell != NULL && strcmp(t->path, cell_path(d)) == 0 &&
	    strcmp(t->cell, x->id) == 0 && t->where != REV_GONE;
}

static bool
on_want(void *arg, const struct ndiff *d, const struct ndiff_cellchange *cc)
{
	struct inline_threads	*it = arg;

	for (size_t i = 0; i < it->rv->nthreads; i++)
		if (thread_on(&it->rv->threads[i], d, cc))
			return true;
	return false;
}

static void
on_after(void *arg, const struct ndiff *d, const struct ndiff_cellchange *cc,
    struct gl_buf *out)
{
	struct inline_threads	*it = arg;

	for (size_t i = 0; i < it->rv->nthreads; i++)
		if (!it->shown[i] && thread_on(&it->rv->threads[i], d, cc)) {
			put_thread(it->c, out, &it->rv->threads[i]);
			it->shown[i] = true;
		}
}

static int
show_review(struct rctx *c, struct rev_review *rv, bool with_diff)
{
	struct inline_threads	 it = { c, rv, NULL };
	struct gl_buf		 b;
	struct gl_err		 err;
	size_t			 rest = 0;
	int			 rc = CLI_OK;

	if (rev_locate(c->r, rv, &err) != 0)
		cli_errorf("warning: %s", err.msg);
	if (c->json) {
		json_t	*top = rv_json_top(c);

		json_object_set_new(top, "review", rev_review_json(rv, true));
		cli_json_print(top);
		return CLI_OK;
	}
	gl_buf_init(&b);
	put_header(c, &b, rv);
	fwrite(b.data, 1, b.len, stdout);
	gl_buf_reset(&b);
	it.shown = xcalloc(rv->nthreads + 1, sizeof *it.shown);
	if (with_diff) {
		struct repo_side	 a = { REPO_COMMIT, "" };
		struct repo_side	 h = { REPO_COMMIT, "" };
		struct ndiff_print	 o = { c->color, 3, on_want, on_after,
		    &it };

		if (rev_base(c->r, rv, a.oid, &err) != 0 ||
		    rev_head(c->r, rv, h.oid, &err) != 0) {
			cli_errorf("%s", err.msg);
			rc = CLI_GIT;
		} else {
			putchar('\n');
			fflush(stdout);
			rc = cli_diff_sides(c->r, &a, &h, NULL, 0, &o, 0, NULL,
			    NULL);
		}
	}
	for (size_t i = 0; i < rv->nthreads; i++)
		rest += !it.shown[i];
	if (rest > 0) {
		gl_buf_addf(&b, "\n%s:\n", with_diff ? "other threads" :
		    "threads");
		for (size_t i = 0; i < rv->nthreads; i++)
			if (!it.shown[i])
				put_thread(c, &b, &rv->threads[i]);
		fwrite(b.data, 1, b.len, stdout);
	}
	gl_buf_fini(&b);
	free(it.shown);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Subcommands                                                          */
/* ------------------------------------------------------------------ */

/* The review named by id (NULL: the current branch's). */
static struct rev_review *
rv_named(struct rctx *c, const char *id)
{
	struct gl_err		 err;
	struct rev_review	*rv = rev_find(c->s, c->r, id, &err);

	if (rv == NULL)
		cli_errorf("%s", err.msg);
	return rv;
}

static int
rv_start(struct rctx *c, int argc, char **argv)
{
	struct rev_start_req	 q = { 0 };
	struct rv_opts		 o;
	struct gl_err		 err;
	char			 id[REV_ID_LEN + 1], *base = NULL, *head = NULL;
	int			 rc;

	if ((rc = rv_parse(c, "start", argc, argv, &o, 1)) != CLI_OK)
		return rc;
	if (o.npos == 1 && strstr(o.pos[0], "..") != NULL) {
		const char	*dots = strstr(o.pos[0], "..");

		base = xstrndup(o.pos[0], (size_t)(dots - o.pos[0]));
		head = xstrdup(dots[2] != '\0' ? dots + 2 : "HEAD");
	} else if (o.npos == 1) {
		base = xstrdup(o.pos[0]);
		head = xstrdup("HEAD");
	} else {
		if (repo_default_base(c->r, &base, &err) != 0) {
			rc = rv_fail(&err);
			goto out;
		}
		head = xstrdup("HEAD");
	}
	if (*base == '\0') {
		rc = rv_usage("start", "no base in %s", o.pos[0]);
		goto out;
	}
	q.base = base;
	q.head = head;
	q.title = o.title;
	q.reviewers = o.reviewers;
	q.nreviewers = o.nreviewers;
	if (rev_start(c->r, &q, id, &err) != 0) {
		rc = rv_fail(&err);
		goto out;
	}
	if ((rc = rv_load(c)) != CLI_OK)
		goto out;
	if (c->json) {
		json_t			*top = rv_json_top(c);
		struct rev_review	*rv = rev_find(c->s, c->r, id, NULL);

		json_object_set_new(top, "review", rv != NULL ?
		    rev_review_json(rv, true) : json_null());
		cli_json_print(top);
	} else {
		struct rev_review	*rv = rev_find(c->s, c->r, id, NULL);

		if (rv != NULL)
			printf("started review %s: %s\n  %.*s..%.*s\n", id,
			    rv->title, name_width(rv->base), rv->base,
			    name_width(rv->head), rv->head);
		else
			printf("started review %s\n", id);
	}
out:
	free(base);
	free(head);
	free(o.reviewers);
	return rc;
}

static int
rv_list(struct rctx *c, int argc, char **argv)
{
	struct rv_opts	 o;
	int		 rc;

	if ((rc = rv_parse(c, "list", argc, argv, &o, 0)) != CLI_OK)
		return rc;
	if (c->json) {
		json_t	*top = rv_json_top(c), *a = json_array();

		for (size_t i = c->s->n; i-- > 0;)
			json_array_append_new(a,
			    rev_review_json(&c->s->reviews[i], false));
		json_object_set_new(top, "reviews", a);
		cli_json_print(top);
		return CLI_OK;
	}
	if (c->s->n == 0)
		printf("no reviews (galley review start BASE..HEAD starts "
		    "one)\n");
	/* Newest first, as git log. */
	for (size_t i = c->s->n; i-- > 0;) {
		const struct rev_review	*rv = &c->s->reviews[i];
		char			 when[20];

		short_time(rv->at, when);
		printf("%s  %-17s  %.*s..%.*s  %s (%zu open of %zu; %s, %s)\n",
		    rv->id, rev_status(rv), name_width(rv->base), rv->base,
		    name_width(rv->head), rv->head, rv->title,
		    rev_open_threads(rv), rv->nthreads, rv->author, when);
	}
	return CLI_OK;
}

static int
rv_show(struct rctx *c, int argc, char **argv)
{
	struct rv_opts		 o;
	struct rev_review	*rv;
	int			 rc;

	if ((rc = rv_parse(c, "show", argc, argv, &o, 1)) != CLI_OK)
		return rc;
	if ((rv = rv_named(c, o.npos > 0 ? o.pos[0] : NULL)) == NULL)
		return CLI_FAILED;
	return show_review(c, rv, !o.no_diff);
}

/* "A-B" or "A" into 1-based lines. */
static bool
parse_lines(const char *s, unsigned *a, unsigned *b)
{
	char		*end;
	unsigned long	 x, y;

	x = strtoul(s, &end, 10);
	if (end == s || x == 0 || x > 10000000)
		return false;
	y = x;
	if (*end == '-') {
		const char	*s2 = end + 1;

		y = strtoul(s2, &end, 10);
		if (end == s2 || y < x || y > 10000000)
			return false;
	}
	if (*end != '\0')
		return false;
	*a = (unsigned)x;
	*b = (unsigned)y;
	return true;
}

/* The thread (after a reload) as JSON, or null. */
static json_t *
thread_json_of(struct rctx *c, const char *tid)
{
	struct rev_review	*rv;
	struct rev_thread	*t;

	if (rv_load(c) != CLI_OK ||
	    (t = rev_find_thread(c->s, tid, &rv, NULL)) == NULL)
		return json_null();
	rev_locate(c->r, rv, NULL);
	return rev_thread_json(t);
}

/* Plugins' on_review_comment hooks, before a comment or a reply is
 * recorded (docs/plugins.md): CLI_OK, or CLI_FAILED after a refusal. */
static int
rv_hook_comment(struct rctx *c, const struct rev_review *rv,
    const char *path, const char *cell, unsigned line0, unsigned line1,
    const char *body)
{
	char		*author = NULL;
	int		 rc;

	(void)repo_identity(c->r, &author, NULL);
	{
		struct plg_val	 ev[] = {
			PLG_STR("review", rv->id),
			PLG_STR("path", path),
			PLG_STR("cell", cell),
			PLG_INT("line0", line0),
			PLG_INT("line1", line1),
			PLG_STR("body", body),
			PLG_STR("author", author),
			PLG_STR("user", req_client_user(NULL)),
		};

		rc = cli_plugin_hook(PLG_ON_REVIEW_COMMENT, ev,
		    sizeof ev / sizeof ev[0]);
	}
	free(author);
	return rc;
}

static int
rv_comment(struct rctx *c, int argc, char **argv)
{
	struct rev_comment_req	 q = { 0 };
	struct rv_opts		 o;
	struct rev_review	*rv;
	struct gl_err		 err;
	char			 tid[REV_ID_LEN + 1], *path = NULL;
	char			*sugg = NULL;
	int			 rc;

	if ((rc = rv_parse(c, "comment", argc, argv, &o, 1)) != CLI_OK)
		return rc;
	free(o.reviewers);
	if (o.path == NULL)
		return rv_usage("comment", "%s", "which file? (--path)");
	if (o.msg == NULL)
		return rv_usage("comment", "%s", "no message (-m)");
	if (o.lines != NULL && !parse_lines(o.lines, &q.line0, &q.line1))
		return rv_usage("comment", "--lines takes A-B or A (from 1), "
		    "not %s", o.lines);
	if (o.cell == NULL && o.lines == NULL)
		return rv_usage("comment", "%s", "on what? --cell ID, --lines "
		    "A-B, or both");
	if (o.suggest != NULL) {
		size_t	 n;

		if (gl_file_read(strcmp(o.suggest, "-") == 0 ? "/dev/stdin" :
		    o.suggest, &sugg, &n, &err) != 0) {
			cli_errorf("%s", err.msg);
			return CLI_FAILED;
		}
	}
	if ((rv = rv_named(c, o.npos > 0 ? o.pos[0] : NULL)) == NULL) {
		free(sugg);
		return CLI_FAILED;
	}
	path = cli_repo_path(c->r, o.path);
	q.path = path;
	q.cell = o.cell;
	q.body = o.msg;
	q.suggestion = sugg;
	rc = rv_hook_comment(c, rv, path, o.cell, q.line0, q.line1, o.msg);
	if (rc != CLI_OK)
		goto out;
	if (rev_comment(c->r, rv, &q, tid, &err) != 0)
		rc = rv_fail(&err);
	else if (c->json) {
		json_t	*top = rv_json_top(c);

		json_object_set_new(top, "thread", thread_json_of(c, tid));
		cli_json_print(top);
	} else {
		printf("comment %s on %s", tid, path);
		if (o.cell != NULL)
			printf(" cell %s", o.cell);
		if (q.line0 > 0)
			printf(q.line0 == q.line1 ? " line %u" :
			    " lines %u-%u", q.line0, q.line1);
		printf("%s\n", sugg != NULL ? " (with a suggested change)" :
		    "");
	}
out:
	free(path);
	free(sugg);
	return rc;
}

/* The thread named by the one positional argument. */
static struct rev_thread *
rv_thread_arg(struct rctx *c, const struct rv_opts *o, const char *sub,
    struct rev_review **rv)
{
	struct gl_err		 err;
	struct rev_thread	*t;

	if (o->npos != 1) {
		rv_usage(sub, "%s", "which thread? (its id, from galley review "
		    "show)");
		return NULL;
	}
	if ((t = rev_find_thread(c->s, o->pos[0], rv, &err)) == NULL)
		cli_errorf("%s", err.msg);
	return t;
}

static int
rv_reply(struct rctx *c, int argc, char **argv)
{
	struct rv_opts		 o;
	struct rev_review	*rv;
	struct rev_thread	*t;
	struct gl_err		 err;
	char			 id[REV_ID_LEN + 1], tid[REV_ID_LEN + 1];
	int			 rc;

	if ((rc = rv_parse(c, "reply", argc, argv, &o, 1)) != CLI_OK)
		return rc;
	free(o.reviewers);
	if ((t = rv_thread_arg(c, &o, "reply", &rv)) == NULL)
		return o.npos != 1 ? CLI_USAGE : CLI_FAILED;
	if (o.msg == NULL)
		return rv_usage("reply", "%s", "no message (-m)");
	snprintf(tid, sizeof tid, "%s", t->id);
	if ((rc = rv_hook_comment(c, rv, t->path, t->cell, t->line0, t->line1,
	    o.msg)) != CLI_OK)
		return rc;
	if (rev_reply(c->r, rv, t, o.msg, id, &err) != 0)
		return rv_fail(&err);
	if (c->json) {
		json_t	*top = rv_json_top(c);

		json_object_set_new(top, "reply", json_pack("{s:s,s:s}", "id",
		    id, "thread", tid));
		json_object_set_new(top, "thread", thread_json_of(c, tid));
		cli_json_print(top);
	} else
		printf("reply %s to thread %s\n", id, tid);
	return CLI_OK;
}

static int
rv_resolve(struct rctx *c, int argc, char **argv)
{
	struct rv_opts		 o;
	struct rev_review	*rv;
	struct rev_thread	*t;
	struct gl_err		 err;
	char			 tid[REV_ID_LEN + 1];
	int			 rc;

	if ((rc = rv_parse(c, "resolve", argc, argv, &o, 1)) != CLI_OK)
		return rc;
	free(o.reviewers);
	if ((t = rv_thread_arg(c, &o, "resolve", &rv)) == NULL)
		return o.npos != 1 ? CLI_USAGE : CLI_FAILED;
	snprintf(tid, sizeof tid, "%s", t->id);
	if (rev_resolve(c->r, rv, t, !o.reopen, &err) != 0)
		return rv_fail(&err);
	if (c->json) {
		json_t	*top = rv_json_top(c);

		json_object_set_new(top, "thread", thread_json_of(c, tid));
		cli_json_print(top);
	} else
		printf("%s thread %s\n", o.reopen ? "reopened" : "resolved",
		    tid);
	return CLI_OK;
}

static int
rv_verdict(struct rctx *c, int argc, char **argv, const char *sub,
    enum rev_verdict v)
{
	struct rv_opts		 o;
	struct rev_review	*rv;
	struct gl_err		 err;
	char			 id[REV_ID_LEN + 1];
	int			 rc;

	if ((rc = rv_parse(c, sub, argc, argv, &o, 1)) != CLI_OK)
		return rc;
	free(o.reviewers);
	if ((rv = rv_named(c, o.npos > 0 ? o.pos[0] : NULL)) == NULL)
		return CLI_FAILED;
	snprintf(id, sizeof id, "%s", rv->id);
	if (rev_give_verdict(c->r, rv, v, o.msg, &err) != 0)
		return rv_fail(&err);
	if ((rc = rv_load(c)) != CLI_OK)
		return rc;
	rv = rev_find(c->s, c->r, id, NULL);
	if (c->json) {
		json_t	*top = rv_json_top(c);

		json_object_set_new(top, "review", rv != NULL ?
		    rev_review_json(rv, false) : json_null());
		cli_json_print(top);
	} else
		printf("%s review %s (%s)\n", v == REV_APPROVE ? "approved" :
		    "requested changes on", id, rv != NULL ? rev_status(rv) :
		    "");
	return CLI_OK;
}

static int
rv_approve(struct rctx *c, int argc, char **argv)
{
	return rv_verdict(c, argc, argv, "approve", REV_APPROVE);
}

static int
rv_request(struct rctx *c, int argc, char **argv)
{
	return rv_verdict(c, argc, argv, "request-changes",
	    REV_REQUEST_CHANGES);
}

struct apply_args {
	const char	*dir;
	const char	*thread;
};

static void
pack_apply(msgpack_packer *pk, void *ctx)
{
	const struct apply_args	*a = ctx;

	msgpack_pack_map(pk, 2);
	rpc_pack_kv_str(pk, "path", a->dir);
	rpc_pack_kv_str(pk, "thread", a->thread);
}

/*
 * Applies t's suggestion through the local kernel when one runs (never
 * starting one, never a remote one: this is the local repository), so
 * that a session with the notebook open gets it as an edit rather than a
 * file written under it. 1: the kernel applied it (*session gets the
 * session's id, or NULL if none had the file open; caller frees); 0: no
 * kernel (or one without review.apply), apply it here; < 0: the kernel
 * refused, err says why.
 */
static int
apply_via_kernel(struct rctx *c, const struct rev_thread *t, char **session,
    struct gl_err *err)
{
	struct apply_args	 a = { repo_workdir(c->r), t->id };
	struct cl_opts		 o;
	struct cl_conn		*conn = NULL;
	struct rpc_msg		 resp;
	char			*dir = NULL, *sock;
	int			 rc;

	*session = NULL;
	if (a.dir == NULL || gl_runtime_dir(&dir, NULL) != 0)
		return 0;
	sock = gl_path_join(dir, "kernel.sock");
	free(dir);
	cl_opts_init(&o);
	o.kernel = sock;	/* a path: the local kernel's socket */
	o.autostart = false;
	o.timeout_ms = 2000;
	if (cl_connect(&o, &conn, NULL) != 0) {
		free(sock);
		return 0;
	}
	rc = cl_call(conn, "review.apply", pack_apply, &a, &resp, 30000, err);
	if (rc == 0) {
		*session = rpc_map_strdup(resp.result, "session");
		rpc_msg_fini(&resp);
		rc = 1;
	} else if (rc == GL_EINVAL && strncmp(err->msg, "no method", 9) == 0)
		rc = 0;		/* an older kernel */
	cl_close(conn);
	free(sock);
	return rc;
}

static int
rv_apply(struct rctx *c, int argc, char **argv)
{
	struct rv_opts		 o;
	struct rev_review	*rv;
	struct rev_thread	*t;
	struct gl_err		 err;
	char			*path = NULL, *session = NULL;
	int			 rc;

	if ((rc = rv_parse(c, "apply", argc, argv, &o, 1)) != CLI_OK)
		return rc;
	free(o.reviewers);
	if ((t = rv_thread_arg(c, &o, "apply", &rv)) == NULL)
		return o.npos != 1 ? CLI_USAGE : CLI_FAILED;
	if ((rc = apply_via_kernel(c, t, &session, &err)) < 0)
		return rv_fail(&err);
	if (rc == 0 && rev_apply(c->r, t, &path, &err) != 0)
		return rv_fail(&err);
	if (c->json) {
		json_t	*top = rv_json_top(c);

		json_object_set_new(top, "applied", json_pack("{s:s,s:s,s:o,"
		    "s:o}", "thread", t->id, "path", t->path, "cell",
		    t->cell != NULL ? json_string(t->cell) : json_null(),
		    "session", session != NULL ? json_string(session) :
		    json_null()));
		cli_json_print(top);
	} else if (session != NULL)
		printf("applied the suggestion of %s to %s%s%s as an edit of "
		    "session %s, which has it open; it is written when the "
		    "session saves\n", t->id, t->path, t->cell != NULL ?
		    ", cell " : "", t->cell != NULL ? t->cell : "", session);
	else
		printf("applied the suggestion of %s to %s%s%s; review and "
		    "commit it\n", t->id, t->path, t->cell != NULL ?
		    ", cell " : "", t->cell != NULL ? t->cell : "");
	free(session);
	free(path);
	return CLI_OK;
}

static int
rv_sync(struct rctx *c, int argc, char **argv)
{
	struct repo_sync	 s = { 0 };
	struct rv_opts		 o;
	struct gl_err		 err;
	const char		*remote;
	int			 rc;

	if ((rc = rv_parse(c, "sync", argc, argv, &o, 1)) != CLI_OK)
		return rc;
	free(o.reviewers);
	remote = o.npos > 0 ? o.pos[0] : NULL;
	if (rev_sync(c->r, remote, &s, &err) != 0) {
		cli_errorf("%s", err.msg);
		repo_sync_fini(&s);
		return CLI_GIT;
	}
	if (c->json) {
		json_t	*top = json_object(), *u = json_array();
		json_t	*p = json_array();

		for (size_t i = 0; i < s.nupdated; i++)
			json_array_append_new(u, json_string(s.updated[i]));
		for (size_t i = 0; i < s.npushed; i++)
			json_array_append_new(p, json_string(s.pushed[i]));
		json_object_set_new(top, "remote", json_string(remote != NULL ?
		    remote : "origin"));
		json_object_set_new(top, "updated", u);
		json_object_set_new(top, "pushed", p);
		cli_json_print(top);
	} else {
		printf("synced reviews with %s: ", remote != NULL ? remote :
		    "origin");
		if (s.nupdated + s.npushed == 0)
			printf("already up to date\n");
		else
			printf("%zu ref%s updated here, %zu pushed\n",
			    s.nupdated, s.nupdated == 1 ? "" : "s", s.npushed);
	}
	repo_sync_fini(&s);
	return CLI_OK;
}

/* `galley review` alone: the current branch's review, or, before there
 * is one, what it would review. */
static int
rv_default(struct rctx *c, int argc, char **argv)
{
	struct rv_opts		 o;
	struct rev_review	*rv;
	struct repo_side	 a = { REPO_COMMIT, "" };
	struct repo_side	 h = { REPO_COMMIT, "" };
	struct ndiff_print	 po = { .context = 3 };
	struct gl_err		 err;
	char			*base = NULL;
	json_t			*files = NULL;
	int			 rc;

	if ((rc = rv_parse(c, "show", argc, argv, &o, 0)) != CLI_OK)
		return rc;
	free(o.reviewers);
	if ((rv = rev_find(c->s, c->r, NULL, NULL)) != NULL)
		return show_review(c, rv, !o.no_diff);
	if (repo_default_base(c->r, &base, &err) != 0 ||
	    repo_resolve(c->r, base, a.oid, &err) != 0 ||
	    repo_resolve(c->r, "HEAD", h.oid, &err) != 0) {
		free(base);
		return rv_fail(&err);
	}
	po.color = c->color;
	if (c->json)
		files = json_array();
	else
		printf("no review of this branch yet (galley review start "
		    "starts one); its changes against %s:\n\n", base);
	fflush(stdout);
	rc = cli_diff_sides(c->r, &a, &h, NULL, 0, &po, 0, files, NULL);
	if (c->json && rc == CLI_OK) {
		json_t	*top = rv_json_top(c);

		json_object_set_new(top, "review", json_null());
		json_object_set_new(top, "base", json_string(base));
		json_object_set_new(top, "files", files);
		cli_json_print(top);
	} else
		json_decref(files);
	free(base);
	return rc;
}

/* `galley review` on a terminal: the TUI's review mode, no notebook. */
static int
rv_tui(const char *kernel)
{
	struct app_opts	 o = { .kernel = kernel, .review = "" };
	struct gl_err	 err = { 0 };
	int		 rc;

	if ((rc = cli_check_kernel("review", kernel)) != CLI_OK)
		return rc;
	if (app_run(&o, &err) == 0)
		return CLI_OK;
	cli_errorf("%s", err.msg);
	return err.code == GL_ENOTFOUND || err.code == GL_EINVAL ? CLI_FAILED :
	    err.code == GL_ECLOSED || err.code == GL_EAUTH ||
	    err.code == GL_ETIMEDOUT || err.code == GL_EPROTO ? CLI_KERNEL :
	    CLI_GIT;
}

int
cli_review(int argc, char **argv)
{
	const struct review_cmd	*cmd = NULL;
	struct rctx		 c = { 0 };
	const char		*v;
	int			 rc;

	/* Alone, or with --kernel only, on a terminal: the review mode. A
	 * script (output not a terminal) gets the text as before. */
	if (isatty(STDIN_FILENO) && isatty(STDOUT_FILENO)) {
		const char	*kernel = NULL;
		bool		 tui = true;

		for (int i = 1; i < argc && tui; i++)
			if ((v = cli_optval("review", argc, argv, &i,
			    "--kernel")) != NULL)
				kernel = v;
			else
				tui = false;
		if (tui) {
			/* Not a repository: as the printed form says it. */
			if ((c.r = cli_repo_open()) == NULL)
				return CLI_GIT;
			repo_free(c.r);
			return rv_tui(kernel);
		}
	}

	if (argc >= 2 && argv[1][0] != '-' &&
	    (cmd = rv_find_cmd(argv[1])) == NULL) {
		cli_errorf("no review command '%s' (see galley help review)",
		    argv[1]);
		return CLI_USAGE;
	}
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--json") == 0)
			c.json = 1;
	c.color = !c.json && cli_color("auto");
	if ((c.r = cli_repo_open()) == NULL)
		return CLI_GIT;
	if ((rc = rv_load(&c)) == CLI_OK)
		rc = cmd != NULL ? cmd->fn(&c, argc - 1, argv + 1) :
		    rv_default(&c, argc, argv);
	rev_store_free(c.s);
	repo_free(c.r);
	return rc;
}

/*
 * cmd_lib.c - `galley lib`: the team library registry (review/registry.h,
 * docs/registry.md): publish a reviewed module, search, info, add (pin),
 * outdated, update, and who-uses (the kernel's load records).
 *
 * publish runs, in order: the module's checks (a name, init.lua,
 * test.lua, no uncommitted change under DIR), its tests (test.lua in a
 * kernel's runtime, the sandbox a cell has, with require "NAME" loading
 * DIR), the reviews (an approval of HEAD by someone else, in the
 * repository's review records), the plugins' before_publish hooks, then
 * the publish itself (which refuses a version that exists or goes
 * backwards). Each refusal says why and what to do.
 */
#define _GNU_SOURCE		/* strcasestr */
#include <jansson.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "client/client.h"
#include "core/err.h"
#include "core/mem.h"
#include "core/notebook.h"
#include "core/paths.h"
#include "core/rpc.h"
#include "core/util.h"
#include "kernel/req.h"
#include "lua/config.h"
#include "lua/plugin.h"
#include "review/registry.h"
#include "review/repo.h"
#include "review/review.h"

/* What every subcommand gets. */
struct lctx {
	const char	*registry;	/* --registry, or NULL */
	bool		 json;
	const char	*kernel;	/* --kernel */
	char		*project;	/* owned */
	char		**pos;		/* positional arguments (borrowed) */
	size_t		 npos;
	const char	*version;	/* --version */
	const char	*msg;		/* -m */
};

struct lib_cmd {
	const char	*name;
	int		(*fn)(struct lctx *c);
	const char	*usage;
	size_t		 minpos, maxpos;
};

static int	 lib_publish(struct lctx *c);
static int	 lib_search(struct lctx *c);
static int	 lib_info(struct lctx *c);
static int	 lib_add(struct lctx *c);
static int	 lib_outdated(struct lctx *c);
static int	 lib_update(struct lctx *c);
static int	 lib_who_uses(struct lctx *c);

static const struct lib_cmd lib_cmds[] = {
	{ "publish", lib_publish, "galley lib publish DIR --version X [-m "
	  "CHANGES]", 1, 1 },
	{ "search", lib_search, "galley lib search [TEXT]", 0, 1 },
	{ "info", lib_info, "galley lib info NAME", 1, 1 },
	{ "add", lib_add, "galley lib add NAME[@CONSTRAINT] [NOTEBOOK]", 1, 2 },
	{ "outdated", lib_outdated, "galley lib outdated", 0, 0 },
	{ "update", lib_update, "galley lib update NAME[@CONSTRAINT] "
	  "[NOTEBOOK...]", 1, 64 },
	{ "who-uses", lib_who_uses, "galley lib who-uses NAME[@<VERSION]", 1,
	  1 },
};

#define NLIB (sizeof lib_cmds / sizeof lib_cmds[0])

static int
lib_usage(const char *sub, const char *fmt, const char *what)
{
	cli_errorf(fmt, what);
	for (size_t i = 0; i < NLIB; i++)
		if (sub != NULL && strcmp(lib_cmds[i].name, sub) == 0)
			fprintf(stderr, "usage: %s\n", lib_cmds[i].usage);
	return CLI_USAGE;
}

/* The registry to use: --registry, else the configuration's. NULL after
 * a message. */
static struct reg *
lib_registry(struct lctx *c)
{
	struct reg	*g;
	struct gl_err	 err;
	char		*url;

	gl_err_clear(&err);
	url = c->registry != NULL ? xstrdup(c->registry) :
	    cfg_registry(c->project, &err);
	if (url == NULL) {
		if (err.msg[0] != '\0')
			cli_errorf("%s", err.msg);
		cli_errorf("no registry: set registry = \"URL\" in "
		    "~/.config/galley/init.lua or .galley/config.lua, or give "
		    "--registry URL");
		return NULL;
	}
	if (reg_open(url, &g, &err) != 0) {
		cli_errorf("%s", err.msg);
		free(url);
		return NULL;
	}
	free(url);
	return g;
}

/* Fetches; offline, says so and goes on with what the mirror has (strict:
 * fails). CLI_OK or CLI_GIT. */
static int
lib_fetch(struct reg *g, bool strict)
{
	struct gl_err	 err;

	if (reg_fetch(g, &err) == 0)
		return CLI_OK;
	cli_errorf("%s", err.msg);
	if (strict)
		return CLI_GIT;
	cli_errorf("(using what was fetched last)");
	return CLI_OK;
}

/* The registry, fetched (offline: what was fetched last), and the
 * versions of module (NULL: all). CLI_OK, else a CLI_* after a
 * message. */
static int
lib_versions(struct lctx *c, const char *module, struct reg **g,
    struct reg_version **v, size_t *n)
{
	struct gl_err	 err;
	int		 rc;

	*v = NULL;
	*n = 0;
	if ((*g = lib_registry(c)) == NULL)
		return CLI_FAILED;
	if ((rc = lib_fetch(*g, false)) == CLI_OK &&
	    reg_versions(*g, module, v, n, &err) != 0) {
		cli_errorf("%s", err.msg);
		rc = CLI_GIT;
	}
	if (rc != CLI_OK) {
		reg_free(*g);
		*g = NULL;
	}
	return rc;
}

static void
lib_date(int64_t t, char *buf, size_t len)
{
	time_t		 tt = (time_t)t;
	struct tm	 tm;

	localtime_r(&tt, &tm);
	strftime(buf, len, "%Y-%m-%d", &tm);
}

/* --- publish --- */

static void
lib_pack_run(msgpack_packer *pk, void *ctx)
{
	const char *const *a = ctx;

	msgpack_pack_map(pk, 2);
	rpc_pack_kv_str(pk, "session", a[0]);
	rpc_pack_key(pk, "cells");
	msgpack_pack_array(pk, 1);
	rpc_pack_str(pk, a[1]);
}

static void
lib_pack_open(msgpack_packer *pk, void *ctx)
{
	const char *const *a = ctx;

	msgpack_pack_map(pk, 3);
	rpc_pack_kv_str(pk, "path", a[0]);
	rpc_pack_kv_str(pk, "text", a[1]);
	rpc_pack_kv_bool(pk, "ephemeral", true);
}

/* s as a Lua string literal. */
static void
lib_quote(struct gl_buf *b, const char *s)
{
	gl_buf_addc(b, '"');
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			gl_buf_addc(b, '\\');
		if (*s == '\n')
			gl_buf_adds(b, "\\n");
		else
			gl_buf_addc(b, *s);
	}
	gl_buf_addc(b, '"');
}

/*
 * Runs dir/test.lua in a kernel's runtime (an ephemeral session beside
 * it), with require "name" loading dir/init.lua. Prints what failed.
 */
static int
lib_run_test(struct lctx *c, const char *name, const char *dir,
    const char *test)
{
	struct cl_opts	 o;
	struct cl_conn	*conn = NULL;
	struct rpc_msg	 m;
	struct gl_err	 err = { 0 };
	char		*parent = xstrdup(dir), *slash = strrchr(parent, '/');
	char		*text, *path, *sid = NULL, **ids = NULL;
	struct gl_buf	 b;
	size_t		 nids = 0;
	int		 rc = CLI_OK;

	if (slash != NULL)
		*slash = '\0';
	/* The module under test comes before any pinned one (preload is
	 * the first searcher). */
	gl_buf_init(&b);
	gl_buf_adds(&b, "-- %% id=\"galley-publish\"\npackage.path = ");
	lib_quote(&b, parent);
	gl_buf_adds(&b, " .. \"/?.lua;\" .. ");
	lib_quote(&b, parent);
	gl_buf_adds(&b, " .. \"/?/init.lua;\" .. package.path\n"
	    "package.preload[");
	lib_quote(&b, name);
	gl_buf_adds(&b, "] = function(...)\n  return dofile(");
	lib_quote(&b, dir);
	gl_buf_adds(&b, " .. \"/init.lua\")\nend\n\n-- %% id=\"test\"\n");
	gl_buf_adds(&b, test);
	text = gl_buf_take(&b, NULL);
	path = xasprintf("%s/test.lua", dir);
	cl_opts_init(&o);
	o.kernel = c->kernel;
	if (cl_connect(&o, &conn, &err) != 0) {
		cli_errorf("%s", err.msg);
		rc = CLI_KERNEL;
		goto out;
	}
	{
		const char *args[] = { path, text };

		if (cl_call_doc(conn, "session.open", lib_pack_open, args, &m,
		    60000, &err) != 0) {
			cli_errorf("%s: %s", path, err.msg);
			rc = err.code == GL_ESYNTAX ? CLI_BADINPUT : CLI_KERNEL;
			goto out;
		}
	}
	sid = rpc_map_strdup(m.result, "session");
	{
		const msgpack_object *cs = rpc_map_get(m.result, "cells");

		for (uint32_t i = 0; cs != NULL && cs->type ==
		    MSGPACK_OBJECT_ARRAY && i < cs->via.array.size; i++) {
			const msgpack_object *cell = &cs->via.array.ptr[i];

			if (!rpc_obj_streq(rpc_map_get(cell, "kind"), "code"))
				continue;
			ids = xrealloc(ids, (nids + 1) * sizeof *ids);
			ids[nids++] = rpc_map_strdup(cell, "id");
		}
	}
	rpc_msg_fini(&m);
	for (size_t i = 0; i < nids && rc == CLI_OK; i++) {
		const char	*args[] = { sid, ids[i] };
		struct gl_buf	 out;
		bool		 done = false;

		if (cl_call(conn, "cell.run", lib_pack_run, args, &m, 30000,
		    &err) != 0) {
			cli_errorf("%s: %s", path, err.msg);
			rc = CLI_FAILED;
			break;
		}
		rpc_msg_fini(&m);
		gl_buf_init(&out);
		while (!done) {
			const msgpack_object *o2;
			const char	*s;
			size_t		 len;

			if (cl_next_notify(conn, &m, 600000, &err) != 1) {
				cli_errorf("%s: %s", path, err.msg);
				rc = CLI_FAILED;
				break;
			}
			if (strcmp(m.method, "cell.output") == 0 &&
			    (o2 = rpc_map_get(m.args, "output")) != NULL &&
			    (s = rpc_map_str(o2, "text", &len)) != NULL)
				gl_buf_add(&out, s, len);
			else if (strcmp(m.method, "cell.done") == 0 &&
			    rpc_obj_streq(rpc_map_get(m.args, "cell"),
			    ids[i])) {
				const msgpack_object *e = rpc_map_get(m.args,
				    "error");

				done = true;
				if (!rpc_obj_streq(rpc_map_get(m.args,
				    "status"), "ok")) {
					char *msg, *tb;

					msg = rpc_map_strdup(e, "message");
					tb = rpc_map_strdup(e, "traceback");

					if (out.len > 0)
						fprintf(stderr, "%.*s",
						    (int)out.len, out.data);
					cli_errorf("%s failed: %s", path, msg ?
					    msg : "the test did not pass");
					if (tb != NULL && *tb != '\0')
						fprintf(stderr, "%s\n", tb);
					free(msg);
					free(tb);
					rc = CLI_FAILED;
				}
			}
			rpc_msg_fini(&m);
		}
		gl_buf_fini(&out);
	}
	if (sid != NULL && cl_call(conn, "session.close", cl_pack_session,
	    sid, &m, 10000, &err) == 0)
		rpc_msg_fini(&m);
out:
	for (size_t i = 0; i < nids; i++)
		free(ids[i]);
	free(ids);
	free(sid);
	cl_close(conn);
	free(path);
	free(text);
	free(parent);
	return rc;
}

/* The approvals of commit head in r's reviews, as a msgpack array of
 * {author, review, at} (into sb), and who gave them; none by author. */
static size_t
lib_approvals(struct repo *r, const char *head, const char *author,
    msgpack_sbuffer *sb, char ***who, size_t *nwho)
{
	struct rev_store	*s = NULL;
	struct gl_err		 err;
	msgpack_packer		 pk;
	size_t			 n = 0;

	msgpack_sbuffer_init(sb);
	msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
	*who = NULL;
	*nwho = 0;
	if (rev_store_load(r, &s, &err) != 0) {
		msgpack_pack_array(&pk, 0);
		return 0;
	}
	for (int pass = 0; pass < 2; pass++) {
		if (pass == 1)
			msgpack_pack_array(&pk, n);
		n = 0;
		for (size_t i = 0; i < s->n; i++) {
			struct rev_review *rv = &s->reviews[i];

			for (size_t k = 0; k < rv->nverdicts; k++) {
				struct rev_verdict_of *v = &rv->verdicts[k];

				if (v->verdict != REV_APPROVE ||
				    strcmp(v->commit, head) != 0 ||
				    strcmp(v->author, author) == 0)
					continue;
				n++;
				if (pass == 0)
					continue;
				msgpack_pack_map(&pk, 3);
				rpc_pack_kv_str(&pk, "author", v->author);
				rpc_pack_kv_str(&pk, "review", rv->id);
				rpc_pack_kv_str(&pk, "at", v->at);
				*who = xrealloc(*who, (*nwho + 1) *
				    sizeof **who);
				(*who)[(*nwho)++] = xstrdup(v->author);
			}
		}
	}
	rev_store_free(s);
	return n;
}

static int
lib_publish(struct lctx *c)
{
	struct repo		*r = NULL;
	struct reg		*g = NULL;
	struct repo_file	*files = NULL;
	struct repo_change	*ch = NULL;
	struct gl_err		 err = { 0 };
	struct reg_semver	 sv;
	struct repo_side	 a, b;
	msgpack_sbuffer		 sb;
	msgpack_unpacked	 u;
	char			 head[REPO_OID_HEX], commit[REPO_OID_HEX];
	char			*dir = NULL, *rel = NULL, *name, *author = NULL;
	char			**who = NULL;
	const char		*test = NULL;
	size_t			 nfiles = 0, nch = 0, nwho = 0, napp;
	bool			 init = false;
	struct stat		 st;
	int			 rc;

	msgpack_sbuffer_init(&sb);
	msgpack_unpacked_init(&u);
	if (c->version == NULL)
		return lib_usage("publish", "%s", "which version? (--version "
		    "X.Y.Z)");
	if (reg_semver_parse(c->version, &sv) != 0)
		return lib_usage("publish", "--version %s: expected "
		    "MAJOR.MINOR.PATCH, as 1.2.0", c->version);
	if (stat(c->pos[0], &st) != 0 || !S_ISDIR(st.st_mode)) {
		cli_errorf("%s is not a directory (a module's)", c->pos[0]);
		return CLI_FAILED;
	}
	if ((dir = gl_path_abs(c->pos[0], &err)) == NULL) {
		cli_errorf("%s", err.msg);
		return CLI_FAILED;
	}
	name = strrchr(dir, '/') + 1;
	if (!reg_name_ok(name)) {
		cli_errorf("'%s' is not a module name (letters, digits, _ and "
		    "-): the directory names the module", name);
		rc = CLI_FAILED;
		goto out;
	}
	if (repo_open(dir, &r, &err) != 0) {
		cli_errorf("%s: a module is published from a git repository "
		    "(its reviews are there)", err.msg);
		rc = CLI_GIT;
		goto out;
	}
	rel = cli_repo_path(r, dir);
	if (repo_resolve(r, "HEAD", head, &err) != 0 ||
	    repo_identity(r, &author, &err) != 0) {
		cli_errorf("%s", err.msg);
		rc = CLI_GIT;
		goto out;
	}
	/* What is published is what was reviewed: HEAD's files. */
	a.where = REPO_COMMIT;
	memcpy(a.oid, head, sizeof a.oid);
	b.where = REPO_WORKTREE;
	if (repo_changes(r, &a, &b, (const char *const *)&rel, 1, &ch, &nch,
	    &err) != 0) {
		cli_errorf("%s", err.msg);
		rc = CLI_GIT;
		goto out;
	}
	if (nch > 0) {
		cli_errorf("%s has changes not committed (%s): commit them "
		    "and have them reviewed first", c->pos[0],
		    ch[0].new_path != NULL ? ch[0].new_path : ch[0].old_path);
		rc = CLI_FAILED;
		goto out;
	}
	if (repo_dir_files(r, head, rel, &files, &nfiles, &err) != 0) {
		cli_errorf("%s: %s", c->pos[0], err.msg);
		rc = CLI_FAILED;
		goto out;
	}
	for (size_t i = 0; i < nfiles; i++) {
		init |= strcmp(files[i].path, "init.lua") == 0;
		if (strcmp(files[i].path, "test.lua") == 0)
			test = files[i].data;
	}
	if (!init || test == NULL) {
		cli_errorf("%s has no %s: a module is NAME/init.lua, tested by "
		    "NAME/test.lua", c->pos[0], init ? "test.lua" : "init.lua");
		rc = CLI_FAILED;
		goto out;
	}
	/* Its tests, in the sandbox a cell has. */
	if ((rc = lib_run_test(c, name, dir, test)) != CLI_OK)
		goto out;
	/* An approving review of HEAD, by someone else. */
	napp = lib_approvals(r, head, author, &sb, &who, &nwho);
	if (napp == 0) {
		char	 s[REPO_OID_HEX];

		repo_short(r, head, s);
		cli_errorf("%s (HEAD) has no approving galley review: start "
		    "one (galley review start) and have a reviewer approve "
		    "it (galley review approve)", s);
		rc = CLI_FAILED;
		goto out;
	}
	if ((g = lib_registry(c)) == NULL) {
		rc = CLI_FAILED;
		goto out;
	}
	/* The team's policy (plugins' before_publish, e.g. two_approvals). */
	(void)msgpack_unpack_next(&u, sb.data, sb.size, NULL);
	{
		struct plg_val	 ev[] = {
			PLG_STR("module", name),
			PLG_STR("version", c->version),
			PLG_STR("head", head),
			PLG_STR("author", author),
			PLG_STR("user", req_client_user(NULL)),
			PLG_STR("registry", reg_url(g)),
			PLG_OBJ("approvals", &u.data),
		};

		if ((rc = cli_plugin_hook(PLG_BEFORE_PUBLISH, ev,
		    sizeof ev / sizeof ev[0])) != CLI_OK)
			goto out;
	}
	{
		struct reg_publish p = {
			.name = name, .version = c->version, .files = files,
			.nfiles = nfiles, .author = author,
			.changelog = c->msg, .reviewers = who,
			.nreviewers = nwho, .source = head,
		};

		if (reg_publish(g, &p, commit, &err) != 0) {
			cli_errorf("%s", err.msg);
			rc = err.code == GL_EEXIST || err.code == GL_EINVAL ?
			    CLI_FAILED : CLI_GIT;
			goto out;
		}
	}
	if (c->json) {
		json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:s}", "module",
		    name, "version", c->version, "commit", commit, "source",
		    head, "registry", reg_url(g));

		cli_json_print(j);
	} else
		printf("published %s %s to %s\n", name, c->version,
		    reg_url(g));
	rc = CLI_OK;
out:
	for (size_t i = 0; i < nwho; i++)
		free(who[i]);
	free(who);
	msgpack_unpacked_destroy(&u);
	msgpack_sbuffer_destroy(&sb);
	repo_changes_free(ch, nch);
	repo_files_free(files, nfiles);
	reg_free(g);
	free(author);
	free(rel);
	repo_free(r);
	free(dir);
	return rc;
}

/* --- search, info --- */

/* A module's one-line description: the first comment line of its
 * init.lua ("-- stats: descriptive statistics", without "stats:"). */
static char *
lib_describe(const struct reg_module *m)
{
	for (size_t i = 0; i < m->nfiles; i++) {
		const char	*p = m->files[i].data, *nl;

		if (strcmp(m->files[i].path, "init.lua") != 0)
			continue;
		while (*p == '-' || *p == ' ')
			p++;
		/* "-- stats: what it is": without the name. */
		if (strncmp(p, m->name, strlen(m->name)) == 0 &&
		    p[strlen(m->name)] == ':')
			for (p += strlen(m->name) + 1; *p == ' '; p++)
				;
		nl = strchr(p, '\n');
		if (m->files[i].data[0] == '-')
			return xstrndup(p, nl != NULL ? (size_t)(nl - p) :
			    strlen(p));
	}
	return xstrdup("");
}

static int
lib_search(struct lctx *c)
{
	struct reg		*g;
	struct reg_version	*v = NULL;
	size_t			 n = 0;
	struct gl_err		 err;
	json_t			*arr;
	int			 rc, found = 0;

	if ((rc = lib_versions(c, NULL, &g, &v, &n)) != CLI_OK)
		return rc;
	arr = json_array();
	for (size_t i = 0; i < n; i++) {
		struct reg_module m;
		char		*desc = NULL;
		bool		 hit;

		/* The newest version of each module. */
		if (i + 1 < n && strcmp(v[i + 1].module, v[i].module) == 0)
			continue;
		if (reg_module_get(g, v[i].module, v[i].version, NULL, &m,
		    &err) == 0) {
			desc = lib_describe(&m);
			reg_module_fini(&m);
		} else
			desc = xstrdup("");
		hit = c->npos == 0 || strcasestr(v[i].module, c->pos[0]) !=
		    NULL || strcasestr(desc, c->pos[0]) != NULL;
		if (hit) {
			found++;
			if (c->json)
				json_array_append_new(arr, json_pack("{s:s, "
				    "s:s, s:s}", "module", v[i].module,
				    "version", v[i].version, "description",
				    desc));
			else
				printf("%-20s %-10s %s\n", v[i].module,
				    v[i].version, desc);
		}
		free(desc);
	}
	if (c->json)
		cli_json_print(json_pack("{s:o}", "modules", arr));
	else {
		json_decref(arr);
		if (found == 0)
			printf("no module matches\n");
	}
	reg_versions_free(v, n);
	reg_free(g);
	return CLI_OK;
}

static int
lib_info(struct lctx *c)
{
	struct reg		*g;
	struct reg_version	*v = NULL;
	size_t			 n = 0;
	json_t			*arr;
	char			 day[32];
	int			 rc;

	if ((rc = lib_versions(c, c->pos[0], &g, &v, &n)) != CLI_OK)
		return rc;
	if (n == 0) {
		cli_errorf("the registry %s has no module %s", reg_url(g),
		    c->pos[0]);
		reg_free(g);
		return CLI_FAILED;
	}
	arr = json_array();
	if (!c->json)
		printf("%s (%s)\n", c->pos[0], reg_url(g));
	/* Newest first. */
	for (size_t i = n; i > 0; i--) {
		struct reg_version *x = &v[i - 1];
		json_t	*rv = json_array();

		lib_date(x->time, day, sizeof day);
		for (size_t k = 0; k < x->nreviewers; k++)
			json_array_append_new(rv, json_string(x->reviewers[k]));
		if (c->json) {
			json_array_append_new(arr, json_pack("{s:s, s:s, s:s, "
			    "s:I, s:o, s:s, s:s?}", "version", x->version,
			    "commit", x->commit, "author", x->author, "time",
			    (json_int_t)x->time, "reviewers", rv, "changelog",
			    x->changelog, "source", x->source));
			continue;
		}
		json_decref(rv);
		printf("  %-10s %s  %s\n", x->version, day, x->author);
		if (x->nreviewers > 0) {
			printf("             reviewed by ");
			for (size_t k = 0; k < x->nreviewers; k++)
				printf("%s%s", k ? ", " : "", x->reviewers[k]);
			printf("\n");
		}
		for (const char *p = x->changelog; *p != '\0'; ) {
			const char *nl = strchr(p, '\n');
			size_t	 ll = nl ? (size_t)(nl - p) : strlen(p);

			printf("             %.*s\n", (int)ll, p);
			p += ll + (nl != NULL);
		}
	}
	if (c->json)
		cli_json_print(json_pack("{s:s, s:s, s:o}", "module", c->pos[0],
		    "registry", reg_url(g), "versions", arr));
	else
		json_decref(arr);
	reg_versions_free(v, n);
	reg_free(g);
	return CLI_OK;
}

/* --- pins: add, outdated, update --- */

/* Splits "name@constraint". */
static int
lib_name_arg(const char *sub, const char *arg, char **name, char **cons)
{
	const char	*at = strchr(arg, '@');

	*name = at != NULL ? xstrndup(arg, (size_t)(at - arg)) : xstrdup(arg);
	*cons = xstrdup(at != NULL ? at + 1 : "");
	if (!reg_name_ok(*name) || !reg_constraint_ok(*cons)) {
		free(*name);
		free(*cons);
		return lib_usage(sub, "%s: expected NAME or NAME@CONSTRAINT "
		    "(1.2.0, ^1.2, ~1.2.3, >=1.0)", arg);
	}
	return CLI_OK;
}

/* Pins name at version in notebook nb's header cell (made if it has
 * none), writing the file atomically. */
static int
lib_pin_notebook(const char *nb, const char *name, const char *version)
{
	struct nb_doc	*doc = NULL;
	struct gl_err	 err = { 0 };
	struct gl_buf	 out;
	char		*text = NULL, *src;
	size_t		 len, sl;
	int		 rc = CLI_OK;

	if (gl_file_read(nb, &text, &len, &err) != 0 ||
	    nb_parse(text, len, nb, &doc, &err) != 0) {
		cli_errorf("%s", err.msg);
		free(text);
		return CLI_BADINPUT;
	}
	gl_buf_init(&out);
	if (nb_doc_count(doc) > 0 && nb_cell_is_header(nb_doc_cell(doc, 0))) {
		struct nb_cell	*h = nb_doc_cell(doc, 0);
		const char	*old = nb_cell_source(h, &sl);

		src = reg_header_set(old, sl, name, version, &sl);
		nb_cell_set_source(h, src, sl);
		free(src);
		nb_print(doc, &out);
	} else {
		/* No header: one before the first marker. */
		src = reg_header_set("", 0, name, version, &sl);
		gl_buf_add(&out, src, sl);
		gl_buf_adds(&out, "\n\n");
		gl_buf_add(&out, text, len);
		free(src);
	}
	if (gl_file_write_atomic(nb, out.data, out.len, 0644, &err) != 0) {
		cli_errorf("%s", err.msg);
		rc = CLI_FAILED;
	}
	gl_buf_fini(&out);
	nb_doc_free(doc);
	free(text);
	return rc;
}

/* Pins name (at the newest version matching cons) in galley.lock and the
 * notebooks nbs. */
static int
lib_pin(struct lctx *c, const char *sub, const char *arg, char **nbs,
    size_t nnbs)
{
	struct reg		*g;
	struct reg_version	*v = NULL;
	const struct reg_version *best;
	struct reg_module	 m = { 0 };
	struct reg_pin		*pins = NULL, pin;
	size_t			 n = 0, npins = 0;
	struct gl_err		 err = { 0 };
	char			*name, *cons;
	int			 rc;

	if ((rc = lib_name_arg(sub, arg, &name, &cons)) != CLI_OK)
		return rc;
	if ((rc = lib_versions(c, name, &g, &v, &n)) != CLI_OK)
		goto out;
	if ((best = reg_best(v, n, name, cons)) == NULL) {
		if (n == 0)
			cli_errorf("the registry %s has no module %s",
			    reg_url(g), name);
		else
			cli_errorf("no version of %s matches %s (galley lib "
			    "info %s lists them)", name, cons, name);
		rc = CLI_FAILED;
		goto out;
	}
	/* Fetched once now, into the cache, so it loads offline. */
	if (reg_module_get(g, name, best->version, NULL, &m, &err) != 0) {
		cli_errorf("%s", err.msg);
		rc = CLI_GIT;
		goto out;
	}
	if (reg_lock_read(c->project, &pins, &npins, &err) != 0) {
		cli_errorf("%s", err.msg);
		rc = CLI_FAILED;
		goto out;
	}
	memset(&pin, 0, sizeof pin);
	pin.name = name;
	pin.version = best->version;
	memcpy(pin.commit, m.commit, sizeof pin.commit);
	memcpy(pin.hash, m.hash, sizeof pin.hash);
	reg_pins_set(&pins, &npins, &pin);
	if (reg_lock_write(c->project, pins, npins, &err) != 0) {
		cli_errorf("%s", err.msg);
		rc = CLI_FAILED;
		goto out;
	}
	for (size_t i = 0; i < nnbs && rc == CLI_OK; i++)
		rc = lib_pin_notebook(nbs[i], name, best->version);
	if (rc == CLI_OK && c->json)
		cli_json_print(json_pack("{s:s, s:s, s:s, s:s}", "module", name,
		    "version", best->version, "commit", m.commit, "hash",
		    m.hash));
	else if (rc == CLI_OK) {
		printf("%s %s pinned in galley.lock", name, best->version);
		for (size_t i = 0; i < nnbs; i++)
			printf("%s%s", i ? ", " : " and ", nbs[i]);
		printf("\n");
	}
out:
	reg_module_fini(&m);
	reg_pins_free(pins, npins);
	reg_versions_free(v, n);
	reg_free(g);
	free(name);
	free(cons);
	return rc;
}

static int
lib_add(struct lctx *c)
{
	return lib_pin(c, "add", c->pos[0], c->pos + 1, c->npos - 1);
}

static int
lib_update(struct lctx *c)
{
	return lib_pin(c, "update", c->pos[0], c->pos + 1, c->npos - 1);
}

static int
lib_outdated(struct lctx *c)
{
	struct reg		*g;
	struct reg_version	*v = NULL;
	struct reg_pin		*pins = NULL;
	size_t			 n = 0, npins = 0, old = 0;
	struct gl_err		 err = { 0 };
	json_t			*arr = json_array();
	int			 rc = CLI_OK;

	if (reg_lock_read(c->project, &pins, &npins, &err) != 0) {
		cli_errorf("%s", err.msg);
		json_decref(arr);
		return CLI_FAILED;
	}
	if (npins == 0) {
		if (c->json)
			cli_json_print(json_pack("{s:o}", "outdated", arr));
		else {
			json_decref(arr);
			printf("nothing pinned (galley lib add NAME)\n");
		}
		return CLI_OK;
	}
	if ((rc = lib_versions(c, NULL, &g, &v, &n)) != CLI_OK)
		goto out;
	for (size_t i = 0; i < npins; i++) {
		const struct reg_version *best = reg_best(v, n, pins[i].name,
		    NULL);
		struct reg_semver sv;

		if (best == NULL || reg_semver_parse(pins[i].version,
		    &sv) != 0 || reg_semver_cmp(&best->v, &sv) <= 0)
			continue;
		old++;
		if (c->json)
			json_array_append_new(arr, json_pack("{s:s, s:s, s:s}",
			    "module", pins[i].name, "pinned", pins[i].version,
			    "newest", best->version));
		else
			printf("%-20s %-10s -> %s\n", pins[i].name,
			    pins[i].version, best->version);
	}
	if (c->json)
		cli_json_print(json_pack("{s:o}", "outdated", arr));
	else {
		json_decref(arr);
		if (old == 0)
			printf("every pinned module is at its newest "
			    "version\n");
	}
	arr = NULL;
out:
	json_decref(arr);
	reg_versions_free(v, n);
	reg_pins_free(pins, npins);
	reg_free(g);
	return rc;
}

/* --- who-uses --- */

struct lib_who_args {
	const char	*module;
	const char	*below;
};

static void
lib_pack_who(msgpack_packer *pk, void *ctx)
{
	struct lib_who_args *a = ctx;

	msgpack_pack_map(pk, a->below != NULL ? 2 : 1);
	rpc_pack_kv_str(pk, "module", a->module);
	if (a->below != NULL)
		rpc_pack_kv_str(pk, "below", a->below);
}

static int
lib_who_uses(struct lctx *c)
{
	struct lib_who_args	 a = { NULL, NULL };
	struct cl_opts		 o;
	struct cl_conn		*conn = NULL;
	struct rpc_msg		 m;
	struct gl_err		 err = { 0 };
	struct reg_semver	 sv;
	const msgpack_object	*rows;
	char			*name, *at;
	int			 rc = CLI_OK;

	name = xstrdup(c->pos[0]);
	if ((at = strchr(name, '@')) != NULL) {
		*at++ = '\0';
		if (*at != '<' || reg_semver_parse(at + 1, &sv) != 0) {
			free(name);
			return lib_usage("who-uses", "%s: expected NAME or "
			    "NAME@<VERSION (who still runs a version below "
			    "VERSION)", c->pos[0]);
		}
		a.below = at + 1;
	}
	a.module = name;
	if (!reg_name_ok(name)) {
		free(name);
		return lib_usage("who-uses", "%s: not a module name",
		    c->pos[0]);
	}
	cl_opts_init(&o);
	o.kernel = c->kernel;
	if (cl_connect(&o, &conn, &err) != 0) {
		cli_errorf("%s", err.msg);
		free(name);
		return CLI_KERNEL;
	}
	if (cl_call(conn, "lib.who_uses", lib_pack_who, &a, &m, 30000,
	    &err) != 0) {
		cli_errorf("who-uses: %s", err.msg);
		cl_close(conn);
		free(name);
		return CLI_FAILED;
	}
	rows = rpc_map_get(m.result, "rows");
	if (c->json) {
		json_t *arr = json_array();

		for (uint32_t i = 0; rows != NULL && rows->type ==
		    MSGPACK_OBJECT_ARRAY && i < rows->via.array.size; i++) {
			const msgpack_object *r = &rows->via.array.ptr[i];
			char	*u = rpc_map_strdup(r, "user");
			char	*nb = rpc_map_strdup(r, "notebook");
			char	*v = rpc_map_strdup(r, "version");
			char	*h = rpc_map_strdup(r, "host");

			json_array_append_new(arr, json_pack("{s:s, s:s, s:s, "
			    "s:s, s:I, s:I}", "user", u ? u : "", "notebook",
			    nb ? nb : "", "version", v ? v : "", "host",
			    h ? h : "", "last", (json_int_t)rpc_map_int(r,
			    "last_ms", 0), "loads", (json_int_t)rpc_map_int(r,
			    "loads", 0)));
			free(u);
			free(nb);
			free(v);
			free(h);
		}
		cli_json_print(json_pack("{s:s, s:s?, s:o}", "module", name,
		    "below", a.below, "rows", arr));
	} else if (rows == NULL || rows->type != MSGPACK_OBJECT_ARRAY ||
	    rows->via.array.size == 0)
		printf("nobody loaded %s%s%s\n", name, a.below ? " below " :
		    "", a.below ? a.below : "");
	else {
		printf("%-12s %-10s %-20s %-8s %s\n", "USER", "VERSION",
		    "LAST", "LOADS", "NOTEBOOK");
		for (uint32_t i = 0; i < rows->via.array.size; i++) {
			const msgpack_object *r = &rows->via.array.ptr[i];
			char	*u = rpc_map_strdup(r, "user");
			char	*nb = rpc_map_strdup(r, "notebook");
			char	*v = rpc_map_strdup(r, "version");
			time_t	 t = (time_t)(rpc_map_int(r, "last_ms", 0) /
			    1000);
			struct tm tm;
			char	 when[32];

			localtime_r(&t, &tm);
			strftime(when, sizeof when, "%Y-%m-%d %H:%M", &tm);
			printf("%-12s %-10s %-20s %-8lld %s\n", u ? u : "",
			    v ? v : "", when, (long long)rpc_map_int(r,
			    "loads", 0), nb ? nb : "");
			free(u);
			free(nb);
			free(v);
		}
	}
	rpc_msg_fini(&m);
	cl_close(conn);
	free(name);
	return rc;
}

int
cli_lib(int argc, char **argv)
{
	struct lctx	 c;
	const struct lib_cmd *cmd = NULL;
	const char	*v;
	int		 rc;

	memset(&c, 0, sizeof c);
	if (argc < 2)
		return cli_usage("lib", "which command? (publish, search, "
		    "info, add, outdated, update, who-uses)");
	for (size_t i = 0; i < NLIB; i++)
		if (strcmp(lib_cmds[i].name, argv[1]) == 0)
			cmd = &lib_cmds[i];
	if (cmd == NULL)
		return cli_usage("lib", "no command %s (publish, search, info, "
		    "add, outdated, update, who-uses)", argv[1]);
	c.pos = xcalloc((size_t)argc, sizeof *c.pos);
	for (int i = 2; i < argc; i++) {
		if ((v = cli_optval("lib", argc, argv, &i,
		    "--registry")) != NULL)
			c.registry = v;
		else if ((v = cli_optval("lib", argc, argv, &i,
		    "--kernel")) != NULL)
			c.kernel = v;
		else if ((v = cli_optval("lib", argc, argv, &i,
		    "--version")) != NULL)
			c.version = v;
		else if ((v = cli_optval("lib", argc, argv, &i, "-m")) != NULL)
			c.msg = v;
		else if (strcmp(argv[i], "--json") == 0)
			c.json = true;
		else if (argv[i][0] == '-' && argv[i][1] != '\0') {
			free(c.pos);
			return lib_usage(cmd->name, "unknown option %s",
			    argv[i]);
		} else
			c.pos[c.npos++] = argv[i];
	}
	if (c.npos < cmd->minpos || c.npos > cmd->maxpos) {
		free(c.pos);
		fprintf(stderr, "usage: %s\n", cmd->usage);
		return CLI_USAGE;
	}
	if ((rc = cli_check_kernel("lib", c.kernel)) != CLI_OK) {
		free(c.pos);
		return rc;
	}
	c.project = cli_project_dir();
	rc = cmd->fn(&c);
	free(c.project);
	free(c.pos);
	return rc;
}

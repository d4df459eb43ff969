/*
 * session-plugins.c - the plugin hooks of a session's actions
 * (kernel/hooks.h, docs/plugins.md): on_join (session.open,
 * session.attach), before_save (doc.save), before_run (cell.run) and
 * after_run (a run's end). Each builds the hook's event from the session
 * and runs it in the session's project's plugin host; a refusal becomes
 * the request's error (GL_EPERM, the plugin's message), which is what the
 * user sees. The call sites in session.c, session-doc.c and
 * session-run.c are one call each.
 *
 * after_run cannot refuse (the cell ran): its warnings, and a refusal
 * turned into one, become stderr outputs of the run, shown under the
 * cell and kept with its outputs.
 */
#include "kernel/session_int.h"

#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/mem.h"
#include "core/notebook.h"
#include "core/paths.h"
#include "core/rpc.h"
#include "kernel/hooks.h"
#include "kernel/req.h"

static const char *sess_hook_project(struct sess *s);
static int	 sess_hook_refused(struct plg_result *res, struct gl_err *err);

int
sess_hook_join(struct sess_set *ss, struct sess *s, const char *path,
    struct req *r, struct plg_result *res, struct gl_err *err)
{
	char		*project = NULL;
	struct plg_val	 ev[] = {
		PLG_STR("session", s != NULL ? s->id : NULL),
		PLG_STR("notebook", path),
		PLG_STR("user", req_client_user(r->client)),
		PLG_INT("client", r->client->id),
		PLG_INT("members", s != NULL ? s->nclients : 0),
	};

	if (ss->host.hooks == NULL)
		return 0;
	if (s != NULL) {
		const char *dir = s->path != NULL || s->store != NULL ?
		    sess_hook_project(s) : NULL;

		project = dir != NULL ? xstrdup(dir) : NULL;
	} else if (path != NULL)
		project = gl_project_dir(path);
	/* Someone joins: the time to see whether plugins changed. */
	(void)hooks_host(ss->host.hooks, project, true);
	hooks_run(ss->host.hooks, project, PLG_ON_JOIN, ev,
	    sizeof ev / sizeof ev[0], res);
	free(project);
	return sess_hook_refused(res, err);
}

int
sess_hook_review_comment(struct sess_set *ss, struct req *r,
    const char *dir, const struct sess_comment_ev *c, struct plg_result *res,
    struct gl_err *err)
{
	struct plg_val	 ev[] = {
		PLG_STR("review", c->review),
		PLG_STR("path", c->path),
		PLG_STR("cell", c->cell),
		PLG_INT("line0", c->line0),
		PLG_INT("line1", c->line1),
		PLG_STR("body", c->body),
		PLG_STR("author", c->author),
		PLG_STR("user", req_client_user(r->client)),
	};
	char		*probe, *project;

	if (ss->host.hooks == NULL)
		return 0;
	/* The project of the repository's directory, as for a notebook
	 * in it. */
	probe = gl_path_join(dir, "x");
	project = gl_project_dir(probe);
	free(probe);
	hooks_run(ss->host.hooks, project, PLG_ON_REVIEW_COMMENT, ev,
	    sizeof ev / sizeof ev[0], res);
	free(project);
	return sess_hook_refused(res, err);
}

int
sess_hook_save(struct sess *s, struct req *r, const char *text, size_t len,
    struct plg_result *res, struct gl_err *err)
{
	struct plg_val	 ev[] = {
		PLG_STR("session", s->id),
		PLG_STR("notebook", s->path),
		PLG_STR("user", req_client_user(r->client)),
		PLG_INT("version", s->version),
		PLG_STRN("text", text != NULL ? text : "", len),
	};

	if (s->set->host.hooks == NULL)
		return 0;
	hooks_run(s->set->host.hooks, sess_hook_project(s), PLG_BEFORE_SAVE,
	    ev, sizeof ev / sizeof ev[0], res);
	return sess_hook_refused(res, err);
}

int
sess_hook_run(struct sess *s, struct req *r, const char *cell,
    struct plg_result *res, struct gl_err *err)
{
	struct nb_cell	*c;
	const char	*src = NULL;
	size_t		 len = 0;
	static const char *const kinds[] = {
		[NB_CODE] = "code", [NB_MARKDOWN] = "markdown",
		[NB_RAW] = "raw",
	};

	if (s->set->host.hooks == NULL || !plg_hook_wanted(hooks_host(
	    s->set->host.hooks, sess_hook_project(s), false), PLG_BEFORE_RUN))
		return 0;
	if ((c = nb_doc_find(s->doc, cell, NULL)) != NULL)
		src = nb_cell_source(c, &len);
	{
		struct plg_val	 ev[] = {
			PLG_STR("what", "cell"),
			PLG_STR("session", s->id),
			PLG_STR("notebook", s->path),
			PLG_STR("user", req_client_user(r->client)),
			PLG_STR("cell", cell),
			PLG_STR("kind", c != NULL ? kinds[nb_cell_kind(c)] :
			    NULL),
			PLG_STRN("source", src, len),
		};

		hooks_run(s->set->host.hooks, sess_hook_project(s),
		    PLG_BEFORE_RUN, ev, sizeof ev / sizeof ev[0], res);
	}
	return sess_hook_refused(res, err);
}

/* A stderr output of the running run. */
void
sess_run_note(struct sess *s, uint64_t run, const char *text)
{
	msgpack_sbuffer		 sb;
	msgpack_packer		 pk;
	msgpack_unpacked	 u;
	char			*line = xasprintf("galley: %s\n", text);

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_map(&pk, 3);
	rpc_pack_kv_str(&pk, "type", "stream");
	rpc_pack_kv_str(&pk, "name", "stderr");
	rpc_pack_kv_str(&pk, "text", line);
	msgpack_unpacked_init(&u);
	if (msgpack_unpack_next(&u, sb.data, sb.size, NULL) ==
	    MSGPACK_UNPACK_SUCCESS)
		sess_run_output(s, run, &u.data);
	msgpack_unpacked_destroy(&u);
	msgpack_sbuffer_destroy(&sb);
	free(line);
}

void
sess_hook_after_run(struct sess *s, const struct sess_run *run,
    const char *status, const char *message)
{
	struct plg_result	 res = { 0 };
	struct nb_cell		*c;
	const char		*src = NULL;
	size_t			 len = 0;

	if (s->set->host.hooks == NULL || !plg_hook_wanted(hooks_host(
	    s->set->host.hooks, sess_hook_project(s), false), PLG_AFTER_RUN))
		return;
	if ((c = nb_doc_find(s->doc, run->cell, NULL)) != NULL)
		src = nb_cell_source(c, &len);
	{
		struct plg_val	 ev[] = {
			PLG_STR("what", "cell"),
			PLG_STR("session", s->id),
			PLG_STR("notebook", s->path),
			PLG_STR("user", req_client_user(NULL)),
			PLG_STR("cell", run->cell),
			PLG_STRN("source", src, len),
			PLG_STR("status", status),
			PLG_STR("message", message),
			PLG_INT("elapsed_ms", run->code ?
			    (uv_hrtime() - run->t0) / 1000000 : 0),
		};

		hooks_run(s->set->host.hooks, sess_hook_project(s),
		    PLG_AFTER_RUN, ev, sizeof ev / sizeof ev[0], &res);
	}
	for (size_t i = 0; i < res.nwarnings; i++)
		sess_run_note(s, run->id, res.warnings[i]);
	if (res.refused) {
		char *m = xasprintf("%s (after_run cannot refuse: the cell "
		    "ran)", res.message);

		sess_run_note(s, run->id, m);
		free(m);
	}
	plg_result_fini(&res);
}

/* The project whose plugins serve s, or NULL; borrowed from s. */
static const char *
sess_hook_project(struct sess *s)
{
	if (!s->hook_project_known) {
		s->hook_project = sess_project_dir(s);
		s->hook_project_known = true;
	}
	return s->hook_project;
}

static int
sess_hook_refused(struct plg_result *res, struct gl_err *err)
{
	if (!res->refused)
		return 0;
	return gl_err_set(err, GL_EPERM, "%s", res->message);
}

void
sess_pack_warnings(msgpack_packer *pk, const struct plg_result *res)
{
	if (res->nwarnings == 0)
		return;
	rpc_pack_key(pk, "warnings");
	msgpack_pack_array(pk, res->nwarnings);
	for (size_t i = 0; i < res->nwarnings; i++)
		rpc_pack_str(pk, res->warnings[i]);
}

char **
sess_hook_warnings(struct plg_result *res, char **more, size_t nmore,
    size_t *n)
{
	if (nmore > 0) {
		res->warnings = xrealloc(res->warnings,
		    (res->nwarnings + nmore) * sizeof *res->warnings);
		for (size_t i = 0; i < nmore; i++)
			res->warnings[res->nwarnings++] = xstrdup(more[i]);
	}
	*n = res->nwarnings;
	return res->warnings;
}

const char *
sess_header(const struct sess *s, size_t *len)
{
	struct nb_cell	*c;

	*len = 0;
	if (nb_doc_count(s->doc) == 0 ||
	    !nb_cell_is_header(c = nb_doc_cell(s->doc, 0)))
		return NULL;
	return nb_cell_source(c, len);
}

/*
 * plugins.c - the terminal UI's plugins (lua/plugin.h, docs/plugins.md):
 * the TUI side's plugin host, which also reads the configuration files
 * (init.lua, the project's .galley/config.lua) that the keys and options
 * come from; the plugins' commands and views as entries of the one
 * command table (tui/cmd.c), so `:name args` runs them and keys bind to
 * them like to any command; their status-line parts; and what the TUI
 * lends plugins while they run (the message line, the pager, command
 * lines, requests to the kernel, the current cell).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/mem.h"
#include "core/notebook.h"
#include "core/paths.h"
#include "lua/plugin.h"
#include "tui/app_int.h"
#include "tui/cmd.h"
#include "tui/keymap.h"

static void	 plugins_on_message(void *ctx, bool error, const char *text);
static void	 plugins_on_show(void *ctx, const char *title,
		     const char *text);
static int	 plugins_on_exec(void *ctx, const char *line,
		     struct gl_err *err);
static int	 plugins_on_call(void *ctx, const char *method,
		     void (*pack)(msgpack_packer *, void *), void *pctx,
		     struct rpc_msg *resp, struct gl_err *err);
static void	 plugins_on_doc(void *ctx, struct plg_doc *d);
static int	 plugins_exec(struct app *a, const struct cmd_entry *self,
		     const char *arg, struct gl_err *err);
static void	 plugins_complete(struct app *a, const struct cmd_entry *self,
		     const char *word, struct cmd_matches *m);

int
app_plugins_load(struct app *a, struct gl_err *err)
{
	struct plg_opts	 o = {
		.side = CFG_SIDE_TUI,
		.user_config = a->o->config,
	};
	struct plg_tui_ops ops = {
		.ctx = a,
		.message = plugins_on_message,
		.show = plugins_on_show,
		.exec = plugins_on_exec,
		.call = plugins_on_call,
		.doc = plugins_on_doc,
	};
	char		*project = NULL;
	const struct plg_info *first = NULL;
	size_t		 nfailed = 0;
	struct gl_err	 cerr;
	int		 rc = 0;

	if (a->abspath != NULL)
		o.project_dir = project = gl_project_dir(a->abspath);
	a->plg = plg_host_new(&o, err);
	free(project);
	if (a->plg == NULL)
		return err != NULL ? err->code : GL_ENOMEM;
	plg_host_set_tui(a->plg, &ops);
	/* Commands first: the keys may bind to them. */
	for (size_t i = 0; i < plg_command_count(a->plg); i++) {
		const struct plg_command *c = plg_command_at(a->plg, i);
		struct cmd_entry e = {
			.name = c->name,
			.args = c->args,
			.help = c->help,
			.exec = plugins_exec,
			.complete = c->complete ? plugins_complete : NULL,
			.data = (void *)(uintptr_t)i,
		};

		gl_err_clear(&cerr);
		if (cmd_table_add(a->cmds, &e, &cerr) != 0 && rc == 0)
			rc = gl_err_set(err, cerr.code, "plugin %s: %s",
			    c->plugin, cerr.msg);
	}
	gl_err_clear(&cerr);
	if (keymap_apply_config(a->km, cfg_host_tui(plg_host_cfg(a->plg)),
	    &cerr) != 0)
		return gl_err_set(err, cerr.code, "%s", cerr.msg);
	if (rc != 0)
		return rc;
	/* Else the first file that failed (a plugin plugins.disable
	 * names is as asked). */
	for (size_t i = 0; i < plg_count(a->plg); i++) {
		const struct plg_info *p = plg_at(a->plg, i);

		if (p->state != PLG_FAILED && (p->state != PLG_DISABLED ||
		    strstr(p->error, "plugins.disable") != NULL))
			continue;
		if (nfailed++ == 0)
			first = p;
	}
	if (nfailed == 0)
		return 0;
	gl_err_set(err, GL_ESYNTAX, "%s%s%s%s%s", first->origin != PLG_CONFIG ?
	    "plugin " : "", first->origin != PLG_CONFIG ? first->name : "",
	    first->origin != PLG_CONFIG ? ": " : "", first->error,
	    nfailed > 1 ? " (and more: galley plugins lists them)" : "");
	return GL_ESYNTAX;
}

void
app_plugins_free(struct app *a)
{
	plg_host_free(a->plg);
	a->plg = NULL;
}

void
app_plugins_tick(struct app *a)
{
	a->plg_status = a->plg != NULL ? plg_status_line(a->plg, a->now) :
	    NULL;
	if (a->plg_status != NULL && *a->plg_status == '\0')
		a->plg_status = NULL;
}

int64_t
app_plugins_due(const struct app *a)
{
	return a->plg != NULL ? plg_status_due(a->plg) : INT64_MAX;
}

/* A plugin's command or view (self->data: its index in the host). */
static int
plugins_exec(struct app *a, const struct cmd_entry *self, const char *arg,
    struct gl_err *err)
{
	return plg_command_run(a->plg, (size_t)(uintptr_t)self->data, arg,
	    err);
}

static void
plugins_add_match(void *ctx, const char *s)
{
	cmd_matches_add(ctx, s);
}

static void
plugins_complete(struct app *a, const struct cmd_entry *self,
    const char *word, struct cmd_matches *m)
{
	plg_command_complete(a->plg, (size_t)(uintptr_t)self->data, word,
	    plugins_add_match, m);
}

/* What plugins are lent. */

static void
plugins_on_message(void *ctx, bool error, const char *text)
{
	app_msg(ctx, error, "%s", text);
}

static void
plugins_on_show(void *ctx, const char *title, const char *text)
{
	app_pager_open(ctx, title, text);
}

static int
plugins_on_exec(void *ctx, const char *line, struct gl_err *err)
{
	struct app	*a = ctx;

	return cmd_exec(a->cmds, a, a->mode, line, err);
}

static int
plugins_on_call(void *ctx, const char *method,
    void (*pack)(msgpack_packer *, void *), void *pctx,
    struct rpc_msg *resp, struct gl_err *err)
{
	return app_call(ctx, method, pack, pctx, resp, err);
}

static void
plugins_on_doc(void *ctx, struct plg_doc *d)
{
	struct app	*a = ctx;
	struct nb_cell	*c;
	size_t		 idx = 0;

	d->path = a->abspath;
	d->ncells = a->doc != NULL ? nb_doc_count(a->doc) : 0;
	d->mode = keymap_mode_name(a->mode);
	if (a->doc == NULL || (c = app_cur_cell(a, &idx)) == NULL)
		return;
	d->index = idx;
	d->cell = nb_cell_id(c);
	d->kind = nb_kind_name(nb_cell_kind(c));
	d->source = nb_cell_source(c, &d->len);
}

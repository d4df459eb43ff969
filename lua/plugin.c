/*
 * plugin.c - the plugin host (lua/plugin.h): finding the plugin files,
 * running them in the configuration host's state, the list `galley
 * plugins` prints, and every call into a plugin within its bounds.
 *
 * Loading. The configuration files run first (lua/config.c), so their
 * `plugins` table says what to load and how. Candidates are the bundled
 * plugins plugins.enable names, then the user's directory, then the
 * project's, each sorted by name; a name met again shadows the earlier
 * file (the most local wins), and plugins.disable removes names. Each
 * file runs as a configuration file does, with its own globals reading
 * through a copy of the sandbox's prototype, plus galley.settings (its
 * plugins.NAME table, copied), galley.side, and io and os when the host
 * allows them. What a file registers while it runs (plugin-api.c) is
 * kept as references to its functions; a file that fails leaves nothing
 * registered (its key bindings too are forgotten) and is listed with its
 * error.
 *
 * Calls. Every call into a plugin goes through plg_call(): one lua_pcall
 * of a C trampoline that pushes the function and its arguments (so that
 * building them is protected too) under lx_host_msgh, with a count hook
 * that stops the call past plugins.budget instructions and a heap limit
 * of what the heap holds plus plugins.memory. A call that runs too long
 * or runs out of memory disables its plugin: its hooks, commands and
 * status parts do nothing after that, with a message saying why. An error
 * is only an error (a message naming the file and line). Once a call is
 * over its budget the hook fires at every instruction, so a plugin that
 * catches the error with pcall cannot keep running. Calls may nest (a
 * command that runs another plugin's command through galley.exec); each
 * has its own budget.
 */
#include "lua/plugin_int.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <lauxlib.h>
#include <lualib.h>

#include "core/err.h"
#include "core/mem.h"
#include "core/util.h"
#include "lua/config_int.h"
#include "lua/lua_int.h"

#define PLG_HOOK_EVERY	1000
#define PLG_STATUS_MS	5000	/* a status part's default period */

static const char *const plg_hook_names[PLG_NHOOKS] = {
	[PLG_BEFORE_SAVE] = "before_save",
	[PLG_BEFORE_RUN] = "before_run",
	[PLG_AFTER_RUN] = "after_run",
	[PLG_BEFORE_PUBLISH] = "before_publish",
	[PLG_ON_REVIEW_COMMENT] = "on_review_comment",
	[PLG_ON_JOIN] = "on_join",
};

/* What a call of a hook is, for a plugin stopped in one. */
static const char *const plg_hook_calls[PLG_NHOOKS] = {
	[PLG_BEFORE_SAVE] = "hook before_save",
	[PLG_BEFORE_RUN] = "hook before_run",
	[PLG_AFTER_RUN] = "hook after_run",
	[PLG_BEFORE_PUBLISH] = "hook before_publish",
	[PLG_ON_REVIEW_COMMENT] = "hook on_review_comment",
	[PLG_ON_JOIN] = "hook on_join",
};

/* A call's function and how to push its arguments (plg_tramp). */
struct plg_cc {
	int		 ref;
	int		(*push)(lua_State *L, void *ctx);
	void		*ctx;
	int		 nres;
};

static size_t	 plg_add(struct plg_host *h, const char *name,
		     const char *path, enum plg_origin origin,
		     const struct plg_bundled *b);
static void	 plg_scan(struct plg_host *h, const char *dir,
		     enum plg_origin origin);
static void	 plg_load(struct plg_host *h, size_t p);
static char	*plg_chunkname(const struct plg_plugin *pl);
static int	 plg_env(lua_State *L);
static int	 plg_call(struct plg_host *h, size_t p, int ref,
		     int (*push)(lua_State *, void *), void *ctx, int nres,
		     const char *what, struct gl_err *err);
static int	 plg_tramp(lua_State *L);
static void	 plg_on_count(lua_State *L, lua_Debug *ar);
static void	 plg_fail(struct plg_host *h, size_t p, enum plg_state st,
		     const char *msg);
static void	 plg_forget(struct plg_host *h, size_t from);
static void	 plg_sync(struct plg_plugin *pl);
static bool	 plg_usable(const struct plg_host *h, size_t p);
static void	 plg_warn(struct plg_host *h, bool error, const char *msg);
static int	 plg_push_arg(lua_State *L, void *ctx);
static int	 plg_push_ev(lua_State *L, void *ctx);

struct plg_host *
plg_host_new(const struct plg_opts *o, struct gl_err *err)
{
	struct plg_host	*h = xcalloc(1, sizeof *h);
	const struct cfg *c;
	struct gl_err	 cerr;
	char		*user, *proj = NULL, *dir;

	h->side = o->side;
	h->loading = h->calling = -1;
	gl_buf_init(&h->status);
	gl_buf_init(&h->scratch);
	/* The cluster part is the cluster service's to read: this host
	 * reads the files as the TUI does, whatever its side. */
	if ((h->cfg = cfg_host_new(CFG_SIDE_TUI, err)) == NULL) {
		gl_buf_fini(&h->status);
		gl_buf_fini(&h->scratch);
		free(h);
		return NULL;
	}
	h->cfg->plg = h;
	h->L = h->cfg->lua.L;
	/* Hooks make a little short-lived garbage at every call (their
	 * event tables): what the generational collector is for. */
	lua_gc(h->L, LUA_GCGEN, 0, 0);
	user = o->no_user_config ? NULL : o->user_config != NULL ?
	    xstrdup(o->user_config) : cfg_user_path();
	if (o->project_dir != NULL)
		proj = xasprintf("%s/.galley/config.lua", o->project_dir);
	gl_err_clear(&cerr);
	if (cfg_host_load(h->cfg, user, proj, &cerr) != 0) {
		size_t p = plg_add(h, "config", proj != NULL ? proj : user,
		    PLG_CONFIG, NULL);

		plg_fail(h, p, PLG_FAILED, cerr.msg);
	}
	free(user);
	free(proj);
	c = cfg_host_config(h->cfg);
	h->allow_io = h->side == CFG_SIDE_TUI || c->plugins.allow_io;
	h->budget = c->plugins.budget;
	h->memory = c->plugins.memory;

	/* Candidates: enabled bundled ones, the user's, the project's. */
	for (size_t i = 0; i < c->plugins.nenable; i++) {
		const char	*name = c->plugins.enable[i];
		const struct plg_bundled *b = NULL;
		char		*path;

		for (size_t k = 0; k < plg_bundled_count; k++)
			if (strcmp(plg_bundled_list[k].name, name) == 0)
				b = &plg_bundled_list[k];
		path = xasprintf("plugins/%s.lua", name);
		plg_add(h, name, path, PLG_BUNDLED, b);
		free(path);
	}
	dir = o->user_dir != NULL ? xstrdup(o->user_dir) : plg_user_dir();
	if (dir != NULL)
		plg_scan(h, dir, PLG_USER);
	free(dir);
	if (o->project_dir != NULL) {
		dir = xasprintf("%s/.galley/plugins", o->project_dir);
		plg_scan(h, dir, PLG_PROJECT);
		free(dir);
	}
	/* The most local file of a name wins; disable removes names. */
	for (size_t i = 0; i < h->nplugins; i++) {
		struct plg_plugin *pl = &h->plugins[i];

		if (pl->info.origin == PLG_CONFIG)
			continue;
		for (size_t k = i + 1; k < h->nplugins; k++) {
			if (h->plugins[k].info.origin != PLG_CONFIG &&
			    strcmp(h->plugins[k].name, pl->name) == 0) {
				char *m = xasprintf("shadowed by %s",
				    h->plugins[k].path);

				plg_fail(h, i, PLG_SHADOWED, m);
				free(m);
				break;
			}
		}
		for (size_t k = 0; k < c->plugins.ndisable; k++)
			if (pl->info.state == PLG_LOADED &&
			    strcmp(c->plugins.disable[k], pl->name) == 0)
				plg_fail(h, i, PLG_DISABLED, "plugins.disable "
				    "names it");
		if (pl->info.state == PLG_LOADED &&
		    pl->info.origin == PLG_BUNDLED && pl->bundled == NULL)
			plg_fail(h, i, PLG_FAILED, "plugins.enable names it, "
			    "but there is no bundled plugin of that name");
	}
	for (size_t i = 0; i < h->nplugins; i++)
		if (h->plugins[i].info.state == PLG_LOADED &&
		    h->plugins[i].info.origin != PLG_CONFIG)
			plg_load(h, i);
	for (size_t i = 0; i < h->nregs; i++) {
		if (h->regs[i].kind != PLG_K_COMMAND)
			continue;
		h->cmds = xrealloc(h->cmds, (h->ncmds + 1) * sizeof *h->cmds);
		h->cmds[h->ncmds++] = i;
	}
	return h;
}

void
plg_host_free(struct plg_host *h)
{
	if (h == NULL)
		return;
	if (h->have_pending)
		rpc_msg_fini(&h->pending);
	cfg_host_free(h->cfg);
	for (size_t i = 0; i < h->nplugins; i++) {
		struct plg_plugin *pl = &h->plugins[i];

		free(pl->name);
		free(pl->path);
		free(pl->error);
		for (size_t k = 0; k < pl->info.nprovides; k++)
			free(pl->provides[k]);
		free(pl->provides);
	}
	for (size_t i = 0; i < h->nregs; i++) {
		struct plg_reg *r = &h->regs[i];

		free((char *)r->cmd.name);
		free((char *)r->cmd.args);
		free((char *)r->cmd.help);
		free((char *)r->cmd.words);
		free(r->title);
		free(r->text);
	}
	free(h->plugins);
	free(h->regs);
	free(h->cmds);
	gl_buf_fini(&h->status);
	gl_buf_fini(&h->scratch);
	free(h);
}

struct cfg_host *
plg_host_cfg(struct plg_host *h)
{
	return h->cfg;
}

size_t
plg_count(const struct plg_host *h)
{
	return h->nplugins;
}

const struct plg_info *
plg_at(const struct plg_host *h, size_t i)
{
	return i < h->nplugins ? &h->plugins[i].info : NULL;
}

const char *
plg_state_name(enum plg_state s)
{
	static const char *const names[] = {
		[PLG_LOADED] = "loaded", [PLG_FAILED] = "failed",
		[PLG_DISABLED] = "disabled", [PLG_SHADOWED] = "shadowed",
	};

	return names[s];
}

const char *
plg_origin_name(enum plg_origin o)
{
	static const char *const names[] = {
		[PLG_BUNDLED] = "bundled", [PLG_USER] = "user",
		[PLG_PROJECT] = "project", [PLG_CONFIG] = "config",
	};

	return names[o];
}

const char *
plg_hook_name(enum plg_hook k)
{
	return k < PLG_NHOOKS ? plg_hook_names[k] : "?";
}

char *
plg_user_dir(void)
{
	const char	*x = getenv("XDG_CONFIG_HOME"), *h = getenv("HOME");

	if (x != NULL && *x == '/')
		return xasprintf("%s/galley/plugins", x);
	if (h == NULL || *h == '\0')
		return NULL;
	return xasprintf("%s/.config/galley/plugins", h);
}

struct plg_host *
plg_host_of(lua_State *L)
{
	return cfg_host_of(L)->plg;
}

const char *
plg_name(const struct plg_host *h, long p)
{
	return p >= 0 && (size_t)p < h->nplugins ? h->plugins[p].name :
	    "(configuration)";
}

void
plg_provide(struct plg_host *h, size_t p, const char *fmt, ...)
{
	struct plg_plugin	*pl = &h->plugins[p];
	va_list			 ap;
	char			 buf[256];

	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (pl->info.nprovides == pl->capprov) {
		pl->capprov = pl->capprov ? 2 * pl->capprov : 4;
		pl->provides = xrealloc(pl->provides,
		    pl->capprov * sizeof *pl->provides);
	}
	pl->provides[pl->info.nprovides++] = xstrdup(buf);
	plg_sync(pl);
}

size_t
plg_reg_add(struct plg_host *h, const struct plg_reg *r)
{
	if (h->nregs == h->capregs) {
		h->capregs = h->capregs ? 2 * h->capregs : 16;
		h->regs = xrealloc(h->regs, h->capregs * sizeof *h->regs);
	}
	h->regs[h->nregs] = *r;
	if (r->kind == PLG_K_HOOK)
		h->nhooks[r->hook]++;
	return h->nregs++;
}

/* --- hooks --- */

void
plg_result_fini(struct plg_result *r)
{
	free(r->message);
	for (size_t i = 0; i < r->nwarnings; i++)
		free(r->warnings[i]);
	free(r->warnings);
	memset(r, 0, sizeof *r);
}

bool
plg_hook_wanted(const struct plg_host *h, enum plg_hook hook)
{
	return h != NULL && hook < PLG_NHOOKS && h->nhooks[hook] > 0;
}

struct plg_evctx {
	const struct plg_val *ev;
	size_t		 n;
};

void
plg_hook_run(struct plg_host *h, enum plg_hook hook,
    const struct plg_val *ev, size_t n, struct plg_result *res)
{
	struct plg_result	*saved;
	struct plg_evctx	 ec = { ev, n };
	struct gl_err		 err;

	if (!plg_hook_wanted(h, hook))
		return;
	saved = h->res;
	h->res = res;
	for (size_t i = 0; i < h->nregs && !res->refused; i++) {
		struct plg_reg	*r = &h->regs[i];
		const char	*why;

		if (r->kind != PLG_K_HOOK || r->hook != hook ||
		    !plg_usable(h, r->plugin))
			continue;
		if (plg_call(h, r->plugin, r->ref, plg_push_ev, &ec, 2,
		    plg_hook_calls[hook], &err) != 0) {
			plg_warn(h, true, err.msg);
			continue;
		}
		if (lua_type(h->L, -2) == LUA_TBOOLEAN &&
		    !lua_toboolean(h->L, -2)) {
			why = lua_type(h->L, -1) == LUA_TSTRING ||
			    lua_type(h->L, -1) == LUA_TNUMBER ?
			    lua_tostring(h->L, -1) : "refused";
			res->refused = true;
			res->message = xasprintf("plugin %s: %s",
			    h->plugins[r->plugin].name, why);
		}
		lua_pop(h->L, 2);
	}
	h->res = saved;
}

/* --- commands and status parts --- */

void
plg_host_set_tui(struct plg_host *h, const struct plg_tui_ops *ops)
{
	h->tui = *ops;
	h->have_tui = true;
}

size_t
plg_command_count(const struct plg_host *h)
{
	return h->ncmds;
}

const struct plg_command *
plg_command_at(const struct plg_host *h, size_t i)
{
	return i < h->ncmds ? &h->regs[h->cmds[i]].cmd : NULL;
}

int
plg_command_run(struct plg_host *h, size_t i, const char *arg,
    struct gl_err *err)
{
	struct plg_reg	*r;
	char		 what[96];
	const char	*s;

	if (i >= h->ncmds)
		return gl_err_set(err, GL_ENOTFOUND, "no such command");
	r = &h->regs[h->cmds[i]];
	if (!plg_usable(h, r->plugin))
		return gl_err_set(err, GL_EPERM, "plugin %s is %s: %s",
		    h->plugins[r->plugin].name,
		    plg_state_name(h->plugins[r->plugin].info.state),
		    h->plugins[r->plugin].error ?
		    h->plugins[r->plugin].error : "");
	snprintf(what, sizeof what, "%s %s", r->cmd.view ? "view" :
	    "command", r->cmd.name);
	if (plg_call(h, r->plugin, r->ref, plg_push_arg, (void *)arg, 1,
	    what, err) != 0)
		return GL_ERUNTIME;
	s = lua_type(h->L, -1) == LUA_TSTRING ||
	    lua_type(h->L, -1) == LUA_TNUMBER ? lua_tostring(h->L, -1) : NULL;
	if (r->cmd.view) {
		if (h->have_tui && h->tui.show != NULL)
			h->tui.show(h->tui.ctx, r->title, s != NULL ? s : "");
	} else if (s != NULL && h->have_tui && h->tui.message != NULL)
		h->tui.message(h->tui.ctx, false, s);
	lua_pop(h->L, 1);
	return 0;
}

void
plg_command_complete(struct plg_host *h, size_t i, const char *word,
    void (*add)(void *actx, const char *s), void *actx)
{
	struct plg_reg	*r;
	struct gl_err	 err;
	lua_State	*L = h->L;
	int		 t;
	size_t		 wl = strlen(word);

	if (i >= h->ncmds)
		return;
	r = &h->regs[h->cmds[i]];
	if (r->cref == LUA_NOREF || !plg_usable(h, r->plugin))
		return;
	if (lua_rawgeti(L, LUA_REGISTRYINDEX, r->cref) == LUA_TFUNCTION) {
		lua_pop(L, 1);
		if (plg_call(h, r->plugin, r->cref, plg_push_arg,
		    (void *)word, 1, "completion", &err) != 0) {
			plg_warn(h, true, err.msg);
			return;
		}
	}
	t = lua_gettop(L);
	if (lua_type(L, t) == LUA_TTABLE) {
		for (lua_Integer k = 1; lua_rawgeti(L, t, k) == LUA_TSTRING;
		    k++) {
			const char *s = lua_tostring(L, -1);

			if (strncmp(s, word, wl) == 0)
				add(actx, s);
			lua_pop(L, 1);
		}
		lua_pop(L, 1);
	}
	lua_pop(L, 1);
}

const char *
plg_status_line(struct plg_host *h, int64_t now_ms)
{
	struct gl_err	 err;

	gl_buf_reset(&h->status);
	for (size_t i = 0; i < h->nregs; i++) {
		struct plg_reg	*r = &h->regs[i];
		const char	*s;

		if (r->kind != PLG_K_STATUS || !plg_usable(h, r->plugin))
			continue;
		if (now_ms >= r->due_ms) {
			char what[96];

			r->due_ms = now_ms + r->every_ms;
			free(r->text);
			r->text = NULL;
			snprintf(what, sizeof what, "status %s", r->cmd.name);
			if (plg_call(h, r->plugin, r->ref, NULL, NULL, 1, what,
			    &err) != 0)
				plg_warn(h, true, err.msg);
			else {
				s = lua_type(h->L, -1) == LUA_TSTRING ||
				    lua_type(h->L, -1) == LUA_TNUMBER ?
				    lua_tostring(h->L, -1) : NULL;
				if (s != NULL && *s != '\0')
					r->text = xstrdup(s);
				lua_pop(h->L, 1);
			}
			/* The call may have disabled it. */
			if (!plg_usable(h, r->plugin))
				continue;
		}
		if (r->text == NULL)
			continue;
		if (h->status.len > 0)
			gl_buf_adds(&h->status, "  ");
		for (const char *p = r->text; *p != '\0'; p++)
			gl_buf_addc(&h->status, *p == '\n' || *p == '\t' ?
			    ' ' : *p);
	}
	if (h->status.data == NULL)
		gl_buf_add(&h->status, "", 0);
	return h->status.data;
}

int64_t
plg_status_due(const struct plg_host *h)
{
	int64_t	 due = INT64_MAX;

	for (size_t i = 0; i < h->nregs; i++)
		if (h->regs[i].kind == PLG_K_STATUS &&
		    plg_usable(h, h->regs[i].plugin) &&
		    h->regs[i].due_ms < due)
			due = h->regs[i].due_ms;
	return due;
}

/* --- loading --- */

/* A candidate plugin; returns its index. */
static size_t
plg_add(struct plg_host *h, const char *name, const char *path,
    enum plg_origin origin, const struct plg_bundled *b)
{
	struct plg_plugin *pl;

	if (h->nplugins == h->capplugins) {
		h->capplugins = h->capplugins ? 2 * h->capplugins : 8;
		h->plugins = xrealloc(h->plugins,
		    h->capplugins * sizeof *h->plugins);
	}
	pl = &h->plugins[h->nplugins];
	memset(pl, 0, sizeof *pl);
	pl->name = xstrdup(name);
	pl->path = xstrdup(path != NULL ? path : "");
	pl->bundled = b;
	pl->info.origin = origin;
	pl->info.state = PLG_LOADED;
	plg_sync(pl);
	return h->nplugins++;
}

static int
plg_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The *.lua files of dir, by name. A missing directory has none. */
static void
plg_scan(struct plg_host *h, const char *dir, enum plg_origin origin)
{
	DIR		*d;
	struct dirent	*e;
	char		**names = NULL;
	size_t		 n = 0;

	if ((d = opendir(dir)) == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		size_t	 len = strlen(e->d_name);

		if (len > 4 && e->d_name[0] != '.' &&
		    strcmp(e->d_name + len - 4, ".lua") == 0) {
			names = xrealloc(names, (n + 1) * sizeof *names);
			names[n++] = xstrdup(e->d_name);
		}
	}
	closedir(d);
	if (n > 0)
		qsort(names, n, sizeof *names, plg_cmp);
	for (size_t i = 0; i < n; i++) {
		char		*path = xasprintf("%s/%s", dir, names[i]);
		struct stat	 sb;

		names[i][strlen(names[i]) - 4] = '\0';
		if (stat(path, &sb) == 0 && S_ISREG(sb.st_mode))
			plg_add(h, names[i], path, origin, NULL);
		free(path);
		free(names[i]);
	}
	free(names);
}

struct plg_envctx {
	struct plg_host	*h;
	size_t		 p;
};

/* Runs plugin p's file. */
static void
plg_load(struct plg_host *h, size_t p)
{
	struct plg_plugin	*pl = &h->plugins[p];
	const struct cfg_tui	*t = cfg_host_tui(h->cfg);
	lua_State		*L = h->L;
	struct plg_envctx	 ec = { h, p };
	struct gl_err		 err;
	char			*buf = NULL, *chunk;
	const char		*text;
	size_t			 len, nregs = h->nregs, nkeys = t->nkeys;
	size_t			 noptions = t->noptions;
	int			 rc, ref;

	if (pl->bundled != NULL) {
		text = pl->bundled->text;
		len = pl->bundled->len;
	} else {
		if (gl_file_read(pl->path, &buf, &len, &err) != 0) {
			plg_fail(h, p, PLG_FAILED, err.msg);
			return;
		}
		text = buf;
	}
	lua_settop(L, 0);
	chunk = plg_chunkname(pl);
	rc = luaL_loadbufferx(L, text, len, chunk, "t");
	free(chunk);
	free(buf);
	if (rc != LUA_OK) {
		plg_fail(h, p, PLG_FAILED, lua_type(L, -1) == LUA_TSTRING ?
		    lua_tostring(L, -1) : "cannot load the file");
		lua_settop(L, 0);
		return;
	}
	/* Its environment, made under protection (it allocates). */
	lua_pushcfunction(L, plg_env);
	lua_pushlightuserdata(L, &ec);
	if (lua_pcall(L, 1, 1, 0) != LUA_OK) {
		plg_fail(h, p, PLG_FAILED, "not enough memory to load it");
		lua_settop(L, 0);
		return;
	}
	if (lua_setupvalue(L, 1, 1) == NULL)
		lua_pop(L, 1);
	ref = luaL_ref(L, LUA_REGISTRYINDEX);
	h->loading = (long)p;
	rc = plg_call(h, p, ref, NULL, NULL, 0, "its file", &err);
	h->loading = -1;
	luaL_unref(L, LUA_REGISTRYINDEX, ref);
	lua_settop(L, 0);
	if (rc != 0) {
		plg_forget(h, nregs);
		cfg_tui_truncate((struct cfg_tui *)t, nkeys, noptions);
		for (size_t i = 0; i < pl->info.nprovides; i++)
			free(pl->provides[i]);
		pl->info.nprovides = 0;
		if (pl->info.state == PLG_LOADED) {
			/* The list names the plugin already. */
			const char	*m = err.msg;
			size_t		 n = strlen(pl->name);

			if (strncmp(m, "plugin ", 7) == 0 &&
			    strncmp(m + 7, pl->name, n) == 0 &&
			    strncmp(m + 7 + n, ": ", 2) == 0)
				m += 9 + n;
			plg_fail(h, p, PLG_FAILED, m);
		}
		return;
	}
	for (size_t i = nkeys; i < t->nkeys; i++)
		plg_provide(h, p, "key %s %s", t->keys[i].mode,
		    t->keys[i].keys);
}

/*
 * The name errors give a plugin's file: Lua cuts names past 60 bytes, so
 * a project's plugin is named from the project (".galley/plugins/x.lua")
 * and a user's from the home directory ("~/.config/galley/plugins/
 * x.lua"); a bundled one is "plugins/x.lua" already. Caller frees.
 */
static char *
plg_chunkname(const struct plg_plugin *pl)
{
	const char	*home = getenv("HOME"), *p;
	size_t		 n;

	if (pl->info.origin == PLG_PROJECT &&
	    (p = strstr(pl->path, "/.galley/plugins/")) != NULL)
		return xasprintf("@%s", p + 1);
	if (pl->info.origin == PLG_USER && home != NULL &&
	    (n = strlen(home)) > 1 && strncmp(pl->path, home, n) == 0 &&
	    pl->path[n] == '/')
		return xasprintf("@~%s", pl->path + n);
	return xasprintf("@%s", pl->path);
}

/* Pushes the environment of the plugin of the plg_envctx argument: a
 * configuration file's, with galley.settings and galley.side, and io and
 * os (less exit) when the host allows them. [-1, +1, m] */
static int
plg_env(lua_State *L)
{
	struct plg_envctx *ec = lua_touserdata(L, 1);
	struct plg_host	*h = ec->h;

	lua_settop(L, 0);
	cfg_file_env(L);				/* env */
	lua_getmetatable(L, 1);
	lua_getfield(L, -1, "__index");			/* env mt proto */
	lua_getfield(L, -1, "galley");			/* ... galley */
	cfg_plugin_settings(L, h->plugins[ec->p].name);
	lua_setfield(L, -2, "settings");
	lua_pushstring(L, h->side == CFG_SIDE_TUI ? "tui" : "kernel");
	lua_setfield(L, -2, "side");
	lua_pushstring(L, h->plugins[ec->p].name);
	lua_setfield(L, -2, "plugin");
	lua_pop(L, 1);
	if (h->allow_io) {
		luaL_requiref(L, "io", luaopen_io, 0);
		lua_setfield(L, -2, "io");
		luaL_requiref(L, "os", luaopen_os, 0);
		lua_newtable(L);
		for (lua_pushnil(L); lua_next(L, -3) != 0; ) {
			lua_pushvalue(L, -2);
			lua_insert(L, -2);
			lua_rawset(L, -4);
		}
		lua_pushnil(L);
		lua_setfield(L, -2, "exit");
		lua_setfield(L, -3, "os");
		lua_pop(L, 1);
	}
	lua_settop(L, 1);
	return 1;
}

/* --- calling --- */

/*
 * Calls function ref for plugin p with the arguments push() pushes (none
 * without push), within the plugin's bounds. On 0 its nres results are on
 * the top of the stack. On failure the stack is as before and err says
 * "plugin NAME: ..." (what names the call for a plugin stopped: "hook
 * before_run"); a plugin that went over a bound is disabled.
 */
static int
plg_call(struct plg_host *h, size_t p, int ref,
    int (*push)(lua_State *, void *), void *ctx, int nres, const char *what,
    struct gl_err *err)
{
	lua_State	*L = h->L;
	struct lx_host	*lx = &h->cfg->lua;
	struct plg_cc	 cc = { ref, push, ctx, nres };
	long		 calling = h->calling;
	int64_t		 steps = h->steps;
	bool		 over = h->over, failed;
	size_t		 limit = lx->heap.limit, want;
	int		 base = lua_gettop(L), st;
	char		*msg;

	if (!lua_checkstack(L, 8))
		return gl_err_set(err, GL_ENOMEM, "plugin %s: no stack",
		    h->plugins[p].name);
	lua_pushcfunction(L, lx_host_msgh);
	lua_pushcfunction(L, plg_tramp);
	lua_pushlightuserdata(L, &cc);
	h->calling = (long)p;
	h->steps = 0;
	h->over = false;
	want = lx->heap.used + h->memory;
	if (limit == 0 || want < limit)
		lx->heap.limit = want;
	lx->heap.failed = 0;
	lua_sethook(L, plg_on_count, LUA_MASKCOUNT, PLG_HOOK_EVERY);
	h->depth++;
	st = lua_pcall(L, 1, nres, base + 1);
	h->depth--;
	if (h->depth == 0)
		lua_sethook(L, NULL, 0, 0);
	else
		lua_sethook(L, plg_on_count, LUA_MASKCOUNT, PLG_HOOK_EVERY);
	failed = lx->heap.failed != 0;
	lx->heap.limit = limit;
	lx->heap.failed = 0;
	h->calling = calling;
	h->steps = steps;
	lx->in_msgh = 0;
	if (st == LUA_OK) {
		lua_remove(L, base + 1);
		h->over = over;
		return 0;
	}
	msg = xstrdup(lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) :
	    "(an error that is not a string)");
	lua_settop(L, base);
	if (h->over || st == LUA_ERRMEM || failed) {
		char	*why;

		if (h->over)
			why = xasprintf("%s ran too long (over %lld "
			    "instructions; plugins.budget)", what,
			    (long long)h->budget);
		else
			why = xasprintf("%s used more than %zu MB of memory "
			    "(plugins.memory)", what, h->memory >> 20);
		gl_err_set(err, GL_ELIMIT, "plugin %s disabled: %s",
		    h->plugins[p].name, why);
		plg_fail(h, p, PLG_DISABLED, why);
		free(why);
		lua_gc(L, LUA_GCCOLLECT, 0);
	} else
		gl_err_set(err, GL_ERUNTIME, "plugin %s: %s",
		    h->plugins[p].name, msg);
	h->over = over;
	free(msg);
	return err != NULL ? err->code : GL_ERUNTIME;
}

/* The protected part of a call: the function, its arguments, the call.
 * [-1, +nres, e] */
static int
plg_tramp(lua_State *L)
{
	struct plg_cc	*cc = lua_touserdata(L, 1);
	int		 n = 0;

	lua_pop(L, 1);
	lua_rawgeti(L, LUA_REGISTRYINDEX, cc->ref);
	if (cc->push != NULL)
		n = cc->push(L, cc->ctx);
	lua_call(L, n, cc->nres);
	return cc->nres;
}

/* The count hook: the budget of the call running. */
static void
plg_on_count(lua_State *L, lua_Debug *ar)
{
	struct plg_host	*h = plg_host_of(L);

	(void)ar;
	if (h == NULL || lx_host_of(L)->in_msgh)
		return;
	h->steps += h->over ? 1 : PLG_HOOK_EVERY;
	if (!h->over && h->steps <= h->budget)
		return;
	if (!h->over) {
		h->over = true;
		lua_sethook(L, plg_on_count, LUA_MASKCOUNT, 1);
	}
	luaL_error(L, "ran too long");
}

/* --- helpers --- */

/* Marks plugin p failed, disabled or shadowed, with msg; a plugin
 * disabled while loaded loses its hooks and says so. */
static void
plg_fail(struct plg_host *h, size_t p, enum plg_state st, const char *msg)
{
	struct plg_plugin *pl = &h->plugins[p];

	if (pl->info.state == PLG_LOADED)
		for (size_t i = 0; i < h->nregs; i++)
			if (h->regs[i].plugin == p &&
			    h->regs[i].kind == PLG_K_HOOK)
				h->nhooks[h->regs[i].hook]--;
	pl->info.state = st;
	free(pl->error);
	pl->error = xstrdup(msg);
	plg_sync(pl);
}

/* Drops the registrations from index from on (a file that failed). */
static void
plg_forget(struct plg_host *h, size_t from)
{
	while (h->nregs > from) {
		struct plg_reg *r = &h->regs[--h->nregs];

		/* A plugin disabled lost its hooks' counts already. */
		if (r->kind == PLG_K_HOOK && plg_usable(h, r->plugin))
			h->nhooks[r->hook]--;
		luaL_unref(h->L, LUA_REGISTRYINDEX, r->ref);
		luaL_unref(h->L, LUA_REGISTRYINDEX, r->cref);
		free((char *)r->cmd.name);
		free((char *)r->cmd.args);
		free((char *)r->cmd.help);
		free((char *)r->cmd.words);
		free(r->title);
		free(r->text);
	}
}

static void
plg_sync(struct plg_plugin *pl)
{
	pl->info.name = pl->name;
	pl->info.path = pl->path;
	pl->info.error = pl->error;
	pl->info.provides = pl->provides;
}

static bool
plg_usable(const struct plg_host *h, size_t p)
{
	return p < h->nplugins && h->plugins[p].info.state == PLG_LOADED;
}

/* A message about a plugin outside a hook's answer: a hook's warning, or
 * the TUI's message line. */
static void
plg_warn(struct plg_host *h, bool error, const char *msg)
{
	if (h->res != NULL) {
		struct plg_result *r = h->res;

		r->warnings = xrealloc(r->warnings,
		    (r->nwarnings + 1) * sizeof *r->warnings);
		r->warnings[r->nwarnings++] = xstrdup(msg);
	} else if (h->have_tui && h->tui.message != NULL)
		h->tui.message(h->tui.ctx, error, msg);
}

void
plg_host_warn(struct plg_host *h, bool error, const char *msg)
{
	plg_warn(h, error, msg);
}

/* A command's argument (a string or nil). */
static int
plg_push_arg(lua_State *L, void *ctx)
{
	if (ctx != NULL)
		lua_pushstring(L, ctx);
	else
		lua_pushnil(L);
	return 1;
}

static int
plg_push_ev(lua_State *L, void *ctx)
{
	struct plg_evctx *ec = ctx;

	plg_push_event(L, ec->ev, ec->n);
	return 1;
}

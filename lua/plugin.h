/*
 * plugin.h - Lua plugins (DESIGN section 12; docs/plugins.md is the
 * user's reference). A plugin is one Lua file from plugins/ (bundled:
 * compiled into the binary, loaded when the configuration's
 * plugins.enable names it), ~/.config/galley/plugins/ or a project's
 * .galley/plugins/; a project's file shadows a user's of the same name,
 * which shadows a bundled one.
 *
 * One API, two hosts. A plugin host is the configuration host of
 * lua/config.h (struct cfg_host: one sandboxed Lua state, one `galley`
 * table) kept alive after the configuration files ran, with every plugin
 * file run in it, each with its own globals. Both sides run the same
 * files: the terminal UI uses what they add for it (commands, views,
 * status-line parts, key bindings through galley.keymap.set), the kernel
 * uses their policy hooks (before_save, before_run, after_run,
 * before_publish, on_review_comment, on_join), each side ignoring the
 * other's part.
 *
 * Bounds. Every call into a plugin (its file's load, a hook, a command, a
 * status part) runs under an instruction budget and may add at most so
 * many bytes to the heap (plugins.budget, plugins.memory); a plugin that
 * goes over either is stopped and disabled, with a message that names it.
 * A plugin's error is a message naming its file and line; nothing a
 * plugin does takes the process down. On the kernel side plugins have no
 * io and no os beyond the clock and getenv unless the user's init.lua sets
 * plugins.allow_io; on the TUI side they have io and os (less os.exit).
 *
 * Used by the kernel (kernel/hooks.c: one host per project), the terminal
 * UI (tui/plugins.c), `galley plugins` and `galley lib publish` (cli/).
 * Depends on Lua, msgpack and core/ only.
 */
#ifndef GL_PLUGIN_H
#define GL_PLUGIN_H

#include <msgpack.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lua/config.h"

struct gl_err;
struct rpc_msg;

/* The kernel side's hooks, in the order docs/plugins.md lists them. */
enum plg_hook {
	PLG_BEFORE_SAVE,
	PLG_BEFORE_RUN,
	PLG_AFTER_RUN,
	PLG_BEFORE_PUBLISH,
	PLG_ON_REVIEW_COMMENT,
	PLG_ON_JOIN,
	PLG_NHOOKS
};

enum plg_origin {
	PLG_BUNDLED,		/* plugins/ of the source tree, compiled in */
	PLG_USER,		/* ~/.config/galley/plugins/ */
	PLG_PROJECT,		/* .galley/plugins/ of the project */
	PLG_CONFIG,		/* not a plugin: the configuration files
				 * (listed when they failed) */
};

enum plg_state {
	PLG_LOADED,
	PLG_FAILED,		/* its file did not load (error says why) */
	PLG_DISABLED,		/* stopped: too long, too much memory, or
				 * plugins.disable */
	PLG_SHADOWED,		/* a more local file has its name */
};

/* One plugin as `galley plugins` lists it. Borrowed from the host. */
struct plg_info {
	const char	*name;		/* "lint" */
	const char	*path;		/* "plugins/lint.lua" (bundled), else
					 * the file's path */
	enum plg_origin	 origin;
	enum plg_state	 state;
	const char	*error;		/* why not loaded, or NULL */
	char	* const	*provides;	/* "hook after_run", "command todo",
					 * "view todo", "status usage", "key
					 * normal gt" */
	size_t		 nprovides;
};

/* Where a host finds its files. */
struct plg_opts {
	enum cfg_side	 side;
	const char	*user_config;	/* init.lua; NULL = cfg_user_path() */
	bool		 no_user_config;	/* read no init.lua at all */
	const char	*project_dir;	/* its .galley/config.lua and
					 * .galley/plugins/; NULL = none */
	const char	*user_dir;	/* NULL = plg_user_dir() */
};

struct plg_host;

/*
 * Makes a host for o->side and loads the configuration files and then the
 * plugins. A broken configuration file or plugin does not fail the host:
 * it is listed (PLG_FAILED, with its message) and the rest loads. NULL
 * with err only when no Lua state can be made. Caller frees.
 */
struct plg_host *plg_host_new(const struct plg_opts *o, struct gl_err *err);
void	 plg_host_free(struct plg_host *h);
/* The configuration host underneath (keys, options, cluster). Borrowed. */
struct cfg_host *plg_host_cfg(struct plg_host *h);
/* The plugins found, in load order (bundled, user, project), and the
 * configuration files when they failed. */
size_t	 plg_count(const struct plg_host *h);
const struct plg_info *plg_at(const struct plg_host *h, size_t i);
/* "loaded", "failed", "disabled", "shadowed"; "bundled", "user",
 * "project", "config"; "before_save", ... Static. */
const char *plg_state_name(enum plg_state s);
const char *plg_origin_name(enum plg_origin o);
const char *plg_hook_name(enum plg_hook k);
/* $XDG_CONFIG_HOME/galley/plugins, else $HOME/.config/galley/plugins;
 * NULL without HOME. Caller frees. */
char	*plg_user_dir(void);

/* --- the kernel side: hooks --- */

/* One field of a hook's event table (ev.key). */
enum plg_vtype {
	PLG_V_STR,		/* s, len ((size_t)-1: strlen); s NULL is
				 * nil */
	PLG_V_INT,		/* i */
	PLG_V_BOOL,		/* i != 0 */
	PLG_V_OBJ,		/* o: a msgpack value, as a Lua value */
};

struct plg_val {
	const char	*key;
	enum plg_vtype	 type;
	const char	*s;
	size_t		 len;
	int64_t		 i;
	const msgpack_object *o;
};

#define PLG_STR(k, v)	{ .key = (k), .type = PLG_V_STR, .s = (v),	\
			  .len = (size_t)-1 }
#define PLG_STRN(k, v, n) { .key = (k), .type = PLG_V_STR, .s = (v),	\
			  .len = (n) }
#define PLG_INT(k, v)	{ .key = (k), .type = PLG_V_INT, .i = (int64_t)(v) }
#define PLG_BOOL(k, v)	{ .key = (k), .type = PLG_V_BOOL, .i = (v) != 0 }
#define PLG_OBJ(k, v)	{ .key = (k), .type = PLG_V_OBJ, .o = (v) }

/* What the hooks said. */
struct plg_result {
	bool		 refused;
	char		*message;	/* owned: why, "plugin NAME: ..." */
	char		**warnings;	/* owned: galley.warn() texts, plugin
					 * errors, plugins disabled */
	size_t		 nwarnings;
};

void	 plg_result_fini(struct plg_result *r);
/* True if some loaded plugin has a function for hook (nothing else need
 * be done otherwise: the cost of a hook nobody uses is this call). */
bool	 plg_hook_wanted(const struct plg_host *h, enum plg_hook hook);
/*
 * Calls every function registered for hook, in load order, with one table
 * made of ev[0..n) (a new one for each). A function lets the action go on
 * by returning nothing (or true), refuses it with `return false, "why"`;
 * the first refusal stops the walk (res->refused, res->message). Errors
 * and plugins stopped are warnings, and the action goes on. res is the
 * caller's to plg_result_fini(), filled or not.
 */
void	 plg_hook_run(struct plg_host *h, enum plg_hook hook,
	     const struct plg_val *ev, size_t n, struct plg_result *res);

/* --- the TUI side: commands, views, status parts --- */

/* What the terminal UI lends plugins while they run (galley.message,
 * galley.show, galley.exec, galley.kernel, galley.notebook). */
struct plg_doc {
	const char	*path;		/* the notebook */
	size_t		 ncells;
	size_t		 index;		/* of the current cell */
	const char	*cell;		/* its id, or NULL */
	const char	*kind;		/* "code", "markdown", "raw" */
	const char	*source;
	size_t		 len;
	const char	*mode;		/* "normal", ... */
};

struct plg_tui_ops {
	void	*ctx;
	void	(*message)(void *ctx, bool error, const char *text);
	/* Opens the pager on text (lines). */
	void	(*show)(void *ctx, const char *title, const char *text);
	/* Runs a command line. */
	int	(*exec)(void *ctx, const char *line, struct gl_err *err);
	/* A request to the kernel: pack(pk, pctx) packs its arguments; the
	 * result is in *resp (rpc_msg_fini()ed by the caller) on 0. */
	int	(*call)(void *ctx, const char *method,
		    void (*pack)(msgpack_packer *, void *), void *pctx,
		    struct rpc_msg *resp, struct gl_err *err);
	void	(*doc)(void *ctx, struct plg_doc *out);
};

/* Lends ops (copied) to the TUI side's calls. */
void	 plg_host_set_tui(struct plg_host *h, const struct plg_tui_ops *ops);

/* A command or a view a plugin added (a view is a command that opens the
 * pager on the text its function returns). Borrowed from the host. */
struct plg_command {
	const char	*name;
	const char	*args;
	const char	*help;
	const char	*words;		/* argument words for Tab, or NULL */
	bool		 view;
	bool		 complete;	/* has a completion function */
	const char	*plugin;	/* its plugin's name */
};

size_t	 plg_command_count(const struct plg_host *h);
const struct plg_command *plg_command_at(const struct plg_host *h,
	     size_t i);
/* Runs command i with arg (NULL: none). A failure (an error of the
 * plugin, the plugin disabled or stopped) is GL_ERUNTIME with err saying
 * "plugin NAME: PATH:LINE: ...". */
int	 plg_command_run(struct plg_host *h, size_t i, const char *arg,
	     struct gl_err *err);
/* The completions of word for command i: add(actx, s) for each. */
void	 plg_command_complete(struct plg_host *h, size_t i, const char *word,
	     void (*add)(void *actx, const char *s), void *actx);

/* The status parts' texts, joined by two blanks (those whose function
 * returned nothing left out), recomputed when due at now_ms (each part
 * says how often, 5 s by default). Borrowed until the next call. */
const char *plg_status_line(struct plg_host *h, int64_t now_ms);
/* When the next status part is due, or INT64_MAX. */
int64_t	 plg_status_due(const struct plg_host *h);

#endif

/*
 * hooks.h - the kernel's plugins (lua/plugin.h, docs/plugins.md): one
 * plugin host per project the kernel serves (the bundled plugins the
 * configuration enables, the user's, and that project's .galley/plugins/),
 * made at the project's first use, and the policy hooks run in it. A
 * host is made again when a configuration or plugin file changed since
 * it loaded; that is checked when someone joins a session and when the
 * plugins are listed, not on every hook (a hook nobody registered costs
 * a lookup and a counter).
 *
 * Owned by the server (kernel/server.c); sessions (kernel/session*.c)
 * and the server's handlers (kernel/server-plugins.c) run hooks through
 * it. Depends on lua/ and core/; runs on the kernel's loop, and every
 * plugin call is bounded (lua/plugin.h), so a plugin cannot stall it for
 * longer than its budget.
 */
#ifndef GL_HOOKS_H
#define GL_HOOKS_H

#include <msgpack.h>
#include <stdbool.h>
#include <stddef.h>

#include "lua/plugin.h"

struct hooks;

struct hooks *hooks_new(void);
void	 hooks_free(struct hooks *hk);
/* The plugin host of project (an absolute directory; NULL: none, only
 * the bundled and user plugins), made if needed; with check, made again
 * first if its files changed. NULL only if no Lua state can be made
 * (logged). Borrowed until the next call. */
struct plg_host *hooks_host(struct hooks *hk, const char *project,
	     bool check);
/* Runs hook in project's host with the event ev[0..n) (plg_hook_run):
 * res is the caller's to plg_result_fini(). Refusals and warnings are
 * logged. */
void	 hooks_run(struct hooks *hk, const char *project, enum plg_hook hook,
	     const struct plg_val *ev, size_t n, struct plg_result *res);
/* Packs the plugins of project's host (checked first) as the
 * plugins.list method answers: {project, plugins: [{name, path, origin,
 * state, error, provides}]}. */
void	 hooks_pack_list(struct hooks *hk, const char *project,
	     msgpack_packer *pk);
/* Packs one host's plugins as an array of those maps (for the CLI's own
 * TUI-side host too). */
void	 hooks_pack_plugins(const struct plg_host *h, msgpack_packer *pk);

#endif

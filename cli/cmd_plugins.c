/*
 * cmd_plugins.c - `galley plugins`: the plugins of both hosts (lua/plugin.h)
 * for the current directory's project: what the kernel loaded (the
 * plugins.list method) and what the terminal UI loads (a TUI-side host
 * made here, as `galley open` would make it), from where, and what failed
 * and why. Both lists are read as the kernel packs them
 * (kernel/hooks.h), so they print, and turn into JSON, the same way.
 */
#include <jansson.h>
#include <limits.h>
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
#include "kernel/hooks.h"
#include "lua/plugin.h"

static void
plugins_pack_args(msgpack_packer *pk, void *ctx)
{
	msgpack_pack_map(pk, 1);
	rpc_pack_kv_str(pk, "project", ctx);
}

/* A msgpack value as JSON (strings, numbers, booleans, nil, arrays and
 * maps with string keys: what the lists hold). */
static json_t *
plugins_json(const msgpack_object *o)
{
	json_t	*j;

	switch (o->type) {
	case MSGPACK_OBJECT_STR:
		return json_stringn(o->via.str.ptr, o->via.str.size);
	case MSGPACK_OBJECT_POSITIVE_INTEGER:
		return json_integer((json_int_t)o->via.u64);
	case MSGPACK_OBJECT_NEGATIVE_INTEGER:
		return json_integer((json_int_t)o->via.i64);
	case MSGPACK_OBJECT_BOOLEAN:
		return json_boolean(o->via.boolean);
	case MSGPACK_OBJECT_ARRAY:
		j = json_array();
		for (uint32_t i = 0; i < o->via.array.size; i++)
			json_array_append_new(j,
			    plugins_json(&o->via.array.ptr[i]));
		return j;
	case MSGPACK_OBJECT_MAP:
		j = json_object();
		for (uint32_t i = 0; i < o->via.map.size; i++) {
			const msgpack_object_kv *kv = &o->via.map.ptr[i];
			char	*k = rpc_obj_strdup(&kv->key);

			if (k != NULL)
				json_object_set_new(j, k,
				    plugins_json(&kv->val));
			free(k);
		}
		return j;
	default:
		return json_null();
	}
}

/* The plugins of a list ({project, plugins}) that failed to load. */
static size_t
plugins_failed(const msgpack_object *list)
{
	const msgpack_object	*pl = rpc_map_get(list, "plugins");
	size_t			 n = 0;

	for (uint32_t i = 0; pl != NULL && pl->type == MSGPACK_OBJECT_ARRAY &&
	    i < pl->via.array.size; i++)
		n += rpc_obj_streq(rpc_map_get(&pl->via.array.ptr[i], "state"),
		    "failed");
	return n;
}

/* Prints one host's list ({project, plugins}). */
static void
plugins_print(const char *title, const msgpack_object *list)
{
	const msgpack_object	*pl = rpc_map_get(list, "plugins");
	uint32_t		 n = pl != NULL && pl->type ==
	    MSGPACK_OBJECT_ARRAY ? pl->via.array.size : 0;

	printf("%s:\n", title);
	if (n == 0)
		printf("  (none)\n");
	for (uint32_t i = 0; i < n; i++) {
		const msgpack_object	*p = &pl->via.array.ptr[i];
		const msgpack_object	*prov = rpc_map_get(p, "provides");
		char			*name = rpc_map_strdup(p, "name");
		char			*state = rpc_map_strdup(p, "state");
		char			*path = rpc_map_strdup(p, "path");
		char			*origin = rpc_map_strdup(p, "origin");
		char			*error = rpc_map_strdup(p, "error");

		printf("  %-16s %-9s %s (%s)\n", name ? name : "?",
		    state ? state : "?", path ? path : "", origin ? origin :
		    "?");
		if (error != NULL)
			printf("      %s\n", error);
		else if (prov != NULL && prov->type == MSGPACK_OBJECT_ARRAY &&
		    prov->via.array.size > 0) {
			printf("     ");
			for (uint32_t k = 0; k < prov->via.array.size; k++) {
				char *s = rpc_obj_strdup(
				    &prov->via.array.ptr[k]);

				printf("%s %s", k ? "," : "", s ? s : "");
				free(s);
			}
			printf("\n");
		}
		free(name);
		free(state);
		free(path);
		free(origin);
		free(error);
	}
}

int
cli_plugins(int argc, char **argv)
{
	struct cl_opts		 o;
	struct cl_conn		*c = NULL;
	struct rpc_msg		 m;
	struct gl_err		 err = { 0 };
	struct plg_host		*h;
	struct plg_opts		 po = { .side = CFG_SIDE_TUI };
	msgpack_sbuffer		 sb;
	msgpack_packer		 pk;
	msgpack_unpacked	 tui;
	char			*project;
	const char		*v;
	bool			 json = false, have_kernel = false;
	size_t			 nfailed = 0;
	int			 rc = CLI_OK;

	cl_opts_init(&o);
	for (int i = 1; i < argc; i++) {
		if ((v = cli_optval("plugins", argc, argv, &i,
		    "--kernel")) != NULL)
			o.kernel = v;
		else if (strcmp(argv[i], "--json") == 0)
			json = true;
		else
			return cli_usage("plugins", "unknown option %s",
			    argv[i]);
	}
	if ((rc = cli_check_kernel("plugins", o.kernel)) != CLI_OK)
		return rc;
	project = cli_project_dir();

	/* The terminal UI's side, made here. */
	po.project_dir = project;
	if ((h = plg_host_new(&po, &err)) == NULL) {
		cli_errorf("%s", err.msg);
		free(project);
		return CLI_FAILED;
	}
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_map(&pk, 2);
	rpc_pack_kv_str(&pk, "project", project);
	rpc_pack_key(&pk, "plugins");
	hooks_pack_plugins(h, &pk);
	plg_host_free(h);
	msgpack_unpacked_init(&tui);
	(void)msgpack_unpack_next(&tui, sb.data, sb.size, NULL);

	/* The kernel's. */
	if (cl_connect(&o, &c, &err) != 0)
		cli_errorf("%s", err.msg);
	else if (cl_call(c, "plugins.list", plugins_pack_args, project, &m,
	    30000, &err) != 0)
		cli_errorf("plugins: %s", err.msg);
	else
		have_kernel = true;
	if (json) {
		json_t	*out = json_object();
		char	*text;

		json_object_set_new(out, "kernel", have_kernel ?
		    plugins_json(m.result) : json_null());
		json_object_set_new(out, "tui", plugins_json(&tui.data));
		text = json_dumps(out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		printf("%s\n", text);
		free(text);
		json_decref(out);
	} else {
		char *title;

		if (have_kernel) {
			title = xasprintf("kernel (project %s)", project);
			plugins_print(title, m.result);
			free(title);
		}
		plugins_print("terminal UI", &tui.data);
	}
	nfailed = plugins_failed(&tui.data) + (have_kernel ?
	    plugins_failed(m.result) : 0);
	if (have_kernel)
		rpc_msg_fini(&m);
	cl_close(c);
	msgpack_unpacked_destroy(&tui);
	msgpack_sbuffer_destroy(&sb);
	free(project);
	if (!have_kernel)
		return CLI_KERNEL;
	return nfailed > 0 ? CLI_FAILED : CLI_OK;
}

char *
cli_project_dir(void)
{
	char	 cwd[PATH_MAX], *probe, *project;

	if (getcwd(cwd, sizeof cwd) == NULL)
		snprintf(cwd, sizeof cwd, ".");
	/* The project of a notebook in this directory. */
	probe = xasprintf("%s/-", cwd);
	project = gl_project_dir(probe);
	free(probe);
	return project;
}

int
cli_plugin_hook(enum plg_hook hook, const struct plg_val *ev, size_t n)
{
	struct plg_opts		 o = { .side = CFG_SIDE_KERNEL };
	struct plg_result	 res = { 0 };
	struct plg_host		*h;
	struct gl_err		 err = { 0 };
	int			 rc = CLI_OK;

	o.project_dir = cli_project_dir();
	h = plg_host_new(&o, &err);
	free((char *)o.project_dir);
	if (h == NULL) {
		cli_errorf("plugins: %s", err.msg);
		return CLI_FAILED;
	}
	plg_hook_run(h, hook, ev, n, &res);
	for (size_t i = 0; i < res.nwarnings; i++)
		cli_errorf("%s", res.warnings[i]);
	if (res.refused) {
		cli_errorf("%s", res.message);
		rc = CLI_FAILED;
	}
	plg_result_fini(&res);
	plg_host_free(h);
	return rc;
}

/*
 * hooks.c - the kernel's plugin hosts, one per project (kernel/hooks.h).
 *
 * A host remembers a stamp of the files it was made from: the path, size
 * and modification time of the user's init.lua, the project's
 * .galley/config.lua and every file of the two plugin directories,
 * hashed. A check computes the stamp again (a few stat calls) and makes a
 * new host when it differs, so a plugin edited or added takes effect at
 * the next join without a kernel restart.
 */
#include "kernel/hooks.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/err.h"
#include "core/mem.h"
#include "core/rpc.h"
#include "core/util.h"
#include "kernel/log.h"

struct hooks_proj {
	char		*project;	/* owned; "" for none */
	struct plg_host	*host;		/* owned */
	char		 stamp[GL_HASH_HEX];
};

struct hooks {
	struct hooks_proj *v;		/* owned */
	size_t		 n;
};

static void	 hooks_stamp(const char *project, char out[GL_HASH_HEX]);
static struct plg_host *hooks_make(const char *project);

struct hooks *
hooks_new(void)
{
	return xcalloc(1, sizeof(struct hooks));
}

void
hooks_free(struct hooks *hk)
{
	if (hk == NULL)
		return;
	for (size_t i = 0; i < hk->n; i++) {
		free(hk->v[i].project);
		plg_host_free(hk->v[i].host);
	}
	free(hk->v);
	free(hk);
}

struct plg_host *
hooks_host(struct hooks *hk, const char *project, bool check)
{
	struct hooks_proj *p = NULL;
	char		 stamp[GL_HASH_HEX];

	if (project == NULL)
		project = "";
	for (size_t i = 0; i < hk->n && p == NULL; i++)
		if (strcmp(hk->v[i].project, project) == 0)
			p = &hk->v[i];
	if (p != NULL && !check)
		return p->host;
	hooks_stamp(project, stamp);
	if (p != NULL && p->host != NULL && strcmp(stamp, p->stamp) == 0)
		return p->host;
	if (p == NULL) {
		hk->v = xrealloc(hk->v, (hk->n + 1) * sizeof *hk->v);
		p = &hk->v[hk->n++];
		memset(p, 0, sizeof *p);
		p->project = xstrdup(project);
	} else {
		log_info("plugins: reloading for %s: files changed",
		    *project ? project : "sessions without a project");
		plg_host_free(p->host);
	}
	memcpy(p->stamp, stamp, sizeof stamp);
	p->host = hooks_make(project);
	return p->host;
}

void
hooks_run(struct hooks *hk, const char *project, enum plg_hook hook,
    const struct plg_val *ev, size_t n, struct plg_result *res)
{
	struct plg_host	*h = hooks_host(hk, project, false);

	if (!plg_hook_wanted(h, hook))
		return;
	plg_hook_run(h, hook, ev, n, res);
	for (size_t i = 0; i < res->nwarnings; i++)
		log_info("%s: %s", plg_hook_name(hook), res->warnings[i]);
	if (res->refused)
		log_info("%s: refused: %s", plg_hook_name(hook), res->message);
}

void
hooks_pack_plugins(const struct plg_host *h, msgpack_packer *pk)
{
	size_t	 n = h != NULL ? plg_count(h) : 0;

	msgpack_pack_array(pk, n);
	for (size_t i = 0; i < n; i++) {
		const struct plg_info *p = plg_at(h, i);

		msgpack_pack_map(pk, 6);
		rpc_pack_kv_str(pk, "name", p->name);
		rpc_pack_kv_str(pk, "path", p->path);
		rpc_pack_kv_str(pk, "origin", plg_origin_name(p->origin));
		rpc_pack_kv_str(pk, "state", plg_state_name(p->state));
		rpc_pack_kv_str(pk, "error", p->error);
		rpc_pack_key(pk, "provides");
		msgpack_pack_array(pk, p->nprovides);
		for (size_t k = 0; k < p->nprovides; k++)
			rpc_pack_str(pk, p->provides[k]);
	}
}

void
hooks_pack_list(struct hooks *hk, const char *project, msgpack_packer *pk)
{
	struct plg_host	*h = hooks_host(hk, project, true);

	msgpack_pack_map(pk, 2);
	rpc_pack_kv_str(pk, "project", project);
	rpc_pack_key(pk, "plugins");
	hooks_pack_plugins(h, pk);
}

/* Adds what identifies path's version to b. */
static void
hooks_stamp_file(struct gl_buf *b, const char *path)
{
	struct stat	 sb;

	if (stat(path, &sb) != 0)
		return;
	gl_buf_addf(b, "%s %lld %lld.%09ld\n", path, (long long)sb.st_size,
	    (long long)sb.st_mtim.tv_sec, sb.st_mtim.tv_nsec);
}

static void
hooks_stamp_dir(struct gl_buf *b, const char *dir)
{
	DIR		*d;
	struct dirent	*e;

	if (dir == NULL)
		return;
	hooks_stamp_file(b, dir);
	if ((d = opendir(dir)) == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		char	*path;

		if (e->d_name[0] == '.')
			continue;
		path = xasprintf("%s/%s", dir, e->d_name);
		hooks_stamp_file(b, path);
		free(path);
	}
	closedir(d);
}

/* The hash of what the host of project was made from (the order of a
 * directory's entries is the file system's: a change of order alone
 * only makes a host again). */
static void
hooks_stamp(const char *project, char out[GL_HASH_HEX])
{
	struct gl_buf	 b;
	char		*p;

	gl_buf_init(&b);
	p = cfg_user_path();
	if (p != NULL)
		hooks_stamp_file(&b, p);
	free(p);
	p = plg_user_dir();
	hooks_stamp_dir(&b, p);
	free(p);
	if (*project != '\0') {
		p = xasprintf("%s/.galley/config.lua", project);
		hooks_stamp_file(&b, p);
		free(p);
		p = xasprintf("%s/.galley/plugins", project);
		hooks_stamp_dir(&b, p);
		free(p);
	}
	gl_hash_hex(b.data != NULL ? b.data : "", b.len, out);
	gl_buf_fini(&b);
}

static struct plg_host *
hooks_make(const char *project)
{
	struct plg_opts	 o = {
		.side = CFG_SIDE_KERNEL,
		.project_dir = *project != '\0' ? project : NULL,
	};
	struct gl_err	 err;
	struct plg_host	*h;

	gl_err_clear(&err);
	if ((h = plg_host_new(&o, &err)) == NULL) {
		log_info("plugins: %s", err.msg);
		return NULL;
	}
	for (size_t i = 0; i < plg_count(h); i++) {
		const struct plg_info *p = plg_at(h, i);

		if (p->state == PLG_FAILED || p->state == PLG_DISABLED)
			log_info("plugins: %s (%s) %s: %s", p->name, p->path,
			    plg_state_name(p->state), p->error);
	}
	return h;
}

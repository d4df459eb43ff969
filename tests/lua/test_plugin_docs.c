/*
 * test_plugin_docs.c - every plugin docs/plugins.md shows, and every
 * bundled plugin, runs: each ```lua file=.../plugins/NAME.lua block of the
 * document is saved as a plugin, then loaded into a host of each side
 * with every bundled plugin enabled; each must load, each command and
 * view must run (with and without an argument, and complete), each
 * status part must render, and each hook must take an event with every
 * field without an error. (tests/cli/t_docs.sh runs the document's shell
 * sessions; this runs what they cannot: the terminal UI's part.)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/err.h"
#include "core/mem.h"
#include "core/rpc.h"
#include "core/util.h"
#include "lua/plugin.h"

static char	 dir[64];
static int	 nsaved;
static char	 msg[1024];
static int	 nshown;

static void
save_examples(void)
{
	const char	*src = getenv("GALLEY_SRC");
	char		*path, *text = NULL, *p, *end, *file;
	size_t		 len;

	assert_non_null(src);
	path = xasprintf("%s/docs/plugins.md", src);
	assert_int_equal(gl_file_read(path, &text, &len, NULL), 0);
	free(path);
	for (p = text; (p = strstr(p, "```lua file=")) != NULL; p = end) {
		const char	*name = p + 12, *nl = strchr(name, '\n');
		const char	*slash;
		FILE		*fp;

		assert_non_null(nl);
		end = strstr(nl, "\n```");
		assert_non_null(end);
		if (strncmp(name, ".galley/plugins/", 16) != 0) {
			end += 4;
			continue;
		}
		slash = name + 16;
		file = xasprintf("%s/plugins/%.*s", dir, (int)(nl - slash),
		    slash);
		fp = fopen(file, "w");
		assert_non_null(fp);
		fwrite(nl + 1, 1, (size_t)(end + 1 - (nl + 1)), fp);
		fclose(fp);
		free(file);
		nsaved++;
		end += 4;
	}
	free(text);
}

static void
fake_message(void *ctx, bool error, const char *text)
{
	(void)ctx;
	snprintf(msg, sizeof msg, "%s", text);
	if (error)
		fail_msg("a plugin said an error: %s", text);
}

static void
fake_show(void *ctx, const char *title, const char *text)
{
	(void)ctx;
	assert_non_null(title);
	assert_true(strlen(text) > 0);
	nshown++;
}

static int
fake_exec(void *ctx, const char *line, struct gl_err *err)
{
	(void)ctx;
	(void)line;
	(void)err;
	return 0;
}

/* session.list and usage.report, as a kernel answers them. */
static int
fake_call(void *ctx, const char *method,
    void (*pack)(msgpack_packer *, void *), void *pctx,
    struct rpc_msg *resp, struct gl_err *err)
{
	struct rpc_writer	 w;
	msgpack_sbuffer		 sb;
	msgpack_packer		 pk;
	int			 rc;

	(void)ctx;
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	pack(&pk, pctx);
	msgpack_sbuffer_destroy(&sb);
	rpc_writer_init(&w);
	rpc_begin_response(&w, 1);
	if (strcmp(method, "session.list") == 0) {
		msgpack_pack_array(&w.pk, 1);
		msgpack_pack_map(&w.pk, 2);
		rpc_pack_kv_str(&w.pk, "path", "/p/a.nb.lua");
		rpc_pack_kv_int(&w.pk, "clients", 2);
	} else if (strcmp(method, "usage.report") == 0) {
		msgpack_pack_map(&w.pk, 1);
		rpc_pack_key(&w.pk, "rows");
		msgpack_pack_array(&w.pk, 0);
	} else {
		rpc_writer_fini(&w);
		return gl_err_set(err, GL_EINVAL, "no method %s", method);
	}
	rc = rpc_decode(w.sbuf.data, w.sbuf.size, resp, err);
	rpc_writer_fini(&w);
	return rc;
}

static void
fake_doc(void *ctx, struct plg_doc *d)
{
	(void)ctx;
	d->path = "/p/a.nb.lua";
	d->ncells = 2;
	d->index = 0;
	d->cell = "intro";
	d->kind = "code";
	d->source = "x = 1";
	d->len = 5;
	d->mode = "normal";
}

static void
add_word(void *ctx, const char *s)
{
	(*(int *)ctx)++;
	(void)s;
}

static struct plg_host *
host(enum cfg_side side)
{
	struct plg_opts	 o = { .side = side, .no_user_config = true };
	struct gl_err	 err = { 0 };
	char		*init = xasprintf("%s/init.lua", dir);
	char		*udir = xasprintf("%s/plugins", dir);
	struct plg_host	*h;

	o.user_config = init;
	o.no_user_config = false;
	o.user_dir = udir;
	h = plg_host_new(&o, &err);
	if (h == NULL)
		fail_msg("%s", err.msg);
	free(init);
	free(udir);
	for (size_t i = 0; i < plg_count(h); i++) {
		const struct plg_info *p = plg_at(h, i);

		if (p->state != PLG_LOADED)
			fail_msg("%s (%s) %s: %s", p->name, p->path,
			    plg_state_name(p->state), p->error);
	}
	return h;
}

static void
test_every_example_runs(void **state)
{
	static const struct plg_tui_ops ops = {
		.message = fake_message, .show = fake_show, .exec = fake_exec,
		.call = fake_call, .doc = fake_doc,
	};
	struct plg_host	*h;
	struct gl_err	 err;
	char		*path;
	FILE		*fp;
	size_t		 nviews = 0;

	(void)state;
	/* Every bundled plugin. */
	path = xasprintf("%s/init.lua", dir);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs("plugins = { enable = { 'lint', 'two_approvals', "
	    "'usage_status', 'working_hours' } }\n", fp);
	fclose(fp);
	free(path);
	assert_true(nsaved >= 5);

	h = host(CFG_SIDE_TUI);
	assert_int_equal(plg_count(h), (size_t)nsaved + 4);
	plg_host_set_tui(h, &ops);
	for (size_t i = 0; i < plg_command_count(h); i++) {
		const struct plg_command *c = plg_command_at(h, i);
		int	 nwords = 0;

		gl_err_clear(&err);
		if (plg_command_run(h, i, NULL, &err) != 0)
			fail_msg(":%s: %s", c->name, err.msg);
		if (plg_command_run(h, i, "world", &err) != 0)
			fail_msg(":%s world: %s", c->name, err.msg);
		plg_command_complete(h, i, "", add_word, &nwords);
		assert_true(!c->complete || nwords > 0);
		nviews += c->view;
	}
	assert_true(nviews > 0);
	assert_int_equal(nshown, 2 * (int)nviews);
	/* Every status part renders (people: "2 here"). */
	assert_non_null(strstr(plg_status_line(h, 0), "2 here"));
	assert_non_null(strstr(plg_status_line(h, 0), "cluster 0 s today"));
	plg_host_free(h);

	/* Every hook takes every field. */
	h = host(CFG_SIDE_KERNEL);
	for (int k = 0; k < PLG_NHOOKS; k++) {
		struct plg_result r = { 0 };
		struct plg_val	 ev[] = {
			PLG_STR("session", "s1"), PLG_STR("notebook", "/p/a"),
			PLG_STR("user", "ann"), PLG_INT("client", 1),
			PLG_INT("members", 1), PLG_INT("version", 3),
			PLG_STR("text", "-- %% id=\"a\"\nx = 1\n"),
			PLG_STR("what", "cell"), PLG_STR("cell", "a"),
			PLG_STR("kind", "code"), PLG_STR("source", "x = 1"),
			PLG_STR("status", "ok"), PLG_INT("elapsed_ms", 5),
			PLG_INT("items", 10), PLG_STR("module", "stats"),
			PLG_STR("version", "1.0.0"), PLG_STR("head", "abc"),
			PLG_STR("author", "Ann <a@x>"),
			PLG_STR("review", "r1"), PLG_STR("path", "a.nb.lua"),
			PLG_STR("body", "looks good"),
		};

		plg_hook_run(h, (enum plg_hook)k, ev, sizeof ev / sizeof ev[0],
		    &r);
		for (size_t i = 0; i < r.nwarnings; i++)
			if (strstr(r.warnings[i], ".lua:") != NULL)
				fail_msg("%s: %s", plg_hook_name(
				    (enum plg_hook)k), r.warnings[i]);
		plg_result_fini(&r);
	}
	plg_host_free(h);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_example_runs),
	};
	char	*p;
	int	 rc;

	snprintf(dir, sizeof dir, "/tmp/gl-plgdoc-XXXXXX");
	if (mkdtemp(dir) == NULL)
		return 1;
	p = xasprintf("%s/plugins", dir);
	mkdir(p, 0700);
	free(p);
	save_examples();
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	p = xasprintf("rm -rf '%s'", dir);
	if (system(p) != 0)
		rc = 1;
	free(p);
	return rc;
}

/*
 * test_roles.c - roles are the kernel's to enforce, for every method
 * (docs/protocol.md, "Members and roles"): a viewer, over TCP with a
 * member token, calls every method the protocol document lists. Each
 * one that changes anything is refused with EPERM naming the member,
 * its role and the role needed, and changes nothing; each read-only one
 * works. The list of methods is read from docs/protocol.md, so a method
 * documented without a verdict here fails the test.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "kfixture.h"
#include "review/repo.h"

#define NB_V1	"-- %% id=\"a\"\nx = 1\n-- %% id=\"b\"\nprint(x)\n"
#define NB_V2	"-- %% id=\"a\"\nx = 2\n-- %% id=\"b\"\nprint(x)\n"

enum need { READ, EDITOR, OWNER };

struct call {
	const char	*method;
	enum need	 need;
};

/* Every method of docs/protocol.md, and what it needs. In the order they
 * are called: session.close last but one (it detaches), session.attach
 * after it. */
static const struct call calls[] = {
	{ "auth.response", READ },
	{ "kernel.info", READ },
	{ "kernel.shutdown", OWNER },
	{ "kernel.listen", OWNER },
	{ "kernel.member_add", OWNER },
	{ "kernel.member_remove", OWNER },
	{ "kernel.member_role", OWNER },
	{ "kernel.members", OWNER },
	{ "session.open", EDITOR },
	{ "session.list", READ },
	{ "session.members", READ },
	{ "session.say", READ },
	{ "session.share", OWNER },
	{ "doc.get", READ },
	{ "doc.cells", READ },
	{ "doc.edit", EDITOR },
	{ "doc.save", EDITOR },
	{ "doc.cursor", READ },
	{ "cell.run", EDITOR },
	{ "cell.interrupt", EDITOR },
	{ "cell.cancel", EDITOR },
	{ "cell.outputs", READ },
	{ "cell.complete", READ },
	{ "cell.inspect", READ },
	{ "runtime.restart", EDITOR },
	{ "git.status", READ },
	{ "git.commit", EDITOR },
	{ "git.log", READ },
	{ "git.show_cell", READ },
	{ "review.open", READ },
	{ "review.comment", EDITOR },
	{ "review.reply", EDITOR },
	{ "review.resolve", EDITOR },
	{ "review.verdict", EDITOR },
	{ "review.apply", EDITOR },
	{ "cluster.status", READ },
	{ "cluster.scale", EDITOR },
	{ "usage.report", READ },
	{ "plugins.list", READ },
	{ "lib.who_uses", READ },
	{ "session.close", READ },
	{ "session.attach", READ },
};

#define NCALLS	(sizeof calls / sizeof calls[0])

/* Arguments a caller with the right would send (sid: the session, nb:
 * its path). */
static json_t *
args_for(const char *m, const char *sid, const char *nb, long long version)
{
	if (strcmp(m, "auth.response") == 0)
		return json_pack("{s:s, s:s}", "hmac", "00", "nonce", "00");
	if (strcmp(m, "kernel.listen") == 0)
		return json_pack("{s:s}", "listen", "127.0.0.1:0");
	if (strcmp(m, "kernel.member_add") == 0)
		return json_pack("{s:s, s:s}", "name", "mal", "role", "owner");
	if (strcmp(m, "kernel.member_remove") == 0)
		return json_pack("{s:s}", "name", "vic");
	if (strcmp(m, "kernel.member_role") == 0)
		return json_pack("{s:s, s:s}", "name", "vic", "role", "owner");
	if (strcmp(m, "session.open") == 0)
		return json_pack("{s:s}", "path", nb);
	if (strcmp(m, "session.say") == 0)
		return json_pack("{s:s, s:s}", "session", sid, "text", "hi");
	if (strcmp(m, "session.share") == 0)
		return json_pack("{s:s, s:s}", "session", sid, "role",
		    "editor");
	if (strcmp(m, "doc.edit") == 0)
		return json_pack("{s:s, s:I, s:[{s:s, s:s, s:[s, i]}]}",
		    "session", sid, "version", (json_int_t)version, "ops",
		    "t", "text", "id", "a", "ops", "-- ", 5);
	if (strcmp(m, "doc.save") == 0)
		return json_pack("{s:s, s:b}", "session", sid, "force", 1);
	if (strcmp(m, "doc.cells") == 0)
		return json_pack("{s:s, s:I, s:i}", "session", sid, "version",
		    (json_int_t)version, "from", 0);
	if (strcmp(m, "doc.cursor") == 0)
		return json_pack("{s:s, s:s, s:i}", "session", sid, "cell",
		    "a", "offset", 2);
	if (strcmp(m, "cell.run") == 0)
		return json_pack("{s:s, s:[s]}", "session", sid, "cells", "a");
	if (strcmp(m, "cell.outputs") == 0)
		return json_pack("{s:s, s:s}", "session", sid, "cell", "b");
	if (strcmp(m, "cell.complete") == 0 || strcmp(m, "cell.inspect") == 0)
		return json_pack("{s:s, s:s, s:i}", "session", sid, "code",
		    "pri", "cursor", 3);
	if (strcmp(m, "git.commit") == 0)
		return json_pack("{s:s, s:s}", "session", sid, "message",
		    "by a viewer");
	if (strcmp(m, "git.log") == 0)
		return json_pack("{s:s}", "session", sid);
	if (strcmp(m, "git.show_cell") == 0)
		return json_pack("{s:s, s:s, s:s}", "session", sid, "cell",
		    "a", "rev", "HEAD~1");
	if (strcmp(m, "review.open") == 0)
		return json_pack("{s:s, s:s}", "session", sid, "range",
		    "HEAD~1..HEAD");
	if (strcmp(m, "review.comment") == 0)
		return json_pack("{s:s, s:s, s:s, s:s, s:s}", "session", sid,
		    "range", "HEAD~1..HEAD", "file", "r.nb.lua", "cell", "a",
		    "body", "no");
	if (strcmp(m, "review.reply") == 0 || strcmp(m, "review.resolve") == 0 ||
	    strcmp(m, "review.apply") == 0)
		return json_pack("{s:s, s:s, s:s}", "session", sid, "thread",
		    "t1", "body", "no");
	if (strcmp(m, "review.verdict") == 0)
		return json_pack("{s:s, s:s, s:s}", "session", sid, "range",
		    "HEAD~1..HEAD", "verdict", "approve");
	if (strcmp(m, "cluster.scale") == 0)
		return json_pack("{s:i}", "n", 3);
	if (strcmp(m, "usage.report") == 0)
		return json_pack("{s:s}", "by", "user");
	if (strcmp(m, "lib.who_uses") == 0)
		return json_pack("{s:s}", "module", "json");
	if (strncmp(m, "session.", 8) == 0 || strncmp(m, "doc.", 4) == 0 ||
	    strncmp(m, "cell.", 5) == 0 || strncmp(m, "runtime.", 8) == 0 ||
	    strncmp(m, "git.", 4) == 0)
		return json_pack("{s:s}", "session", sid);
	return NULL;
}

/* The methods docs/protocol.md lists (its "## Methods" part). */
static json_t *
doc_methods(void)
{
	const char	*src = getenv("GALLEY_SRC");
	char		*path, *text, *line, *save = NULL;
	json_t		*names = json_array();
	bool		 on = false;

	assert_non_null(src);
	path = xasprintf("%s/docs/protocol.md", src);
	assert_non_null(text = kt_read(path));
	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		char name[64];

		if (strncmp(line, "## ", 3) == 0)
			on = strcmp(line, "## Methods") == 0;
		else if (on && sscanf(line, "- `%63[a-z_.] {", name) == 1 &&
		    strchr(name, '.') != NULL) {
			size_t	 k;
			json_t	*d;
			bool	 seen = false;

			/* A method may have a second entry (session.open's
			 * and doc.save's client_file forms). */
			json_array_foreach(names, k, d)
				seen |= strcmp(json_string_value(d), name) == 0;
			if (!seen)
				json_array_append_new(names,
				    json_string(name));
		}
	}
	free(text);
	free(path);
	return names;
}

static int
setup(void **state)
{
	struct kt	*t;
	struct repo	*r;
	struct gl_err	 err;
	char		*nb, st[256];

	kt_setup(state);
	t = *state;
	setenv("HOME", t->root, 1);
	setenv("XDG_CONFIG_HOME", t->root, 1);
	snprintf(st, sizeof st, "%s/state", t->root);
	mkdir(st, 0700);
	setenv("XDG_STATE_HOME", st, 1);
	setenv("GIT_CONFIG_NOSYSTEM", "1", 1);
	assert_int_equal(repo_init(t->proj, false, &r, &err), 0);
	repo_config_set(r, "user.name", "Ann", NULL);
	repo_config_set(r, "user.email", "ann@example.org", NULL);
	nb = kt_write(t->proj, "r.nb.lua", NB_V1);
	assert_int_equal(repo_commit_file(r, "r.nb.lua", "v1", NULL, &err),
	    0);
	free(nb);
	nb = kt_write(t->proj, "r.nb.lua", NB_V2);
	assert_int_equal(repo_commit_file(r, "r.nb.lua", "v2", NULL, &err),
	    0);
	free(nb);
	repo_free(r);
	t->listen = "127.0.0.1:0";
	assert_true(kt_start(t) > 0);
	return 0;
}

static void
test_viewer_every_method(void **state)
{
	struct kt	*t = *state;
	struct kc	*o = kt_conn(t), *v;
	char		*addr = kt_listen_addr(t), *nb, *before, *after;
	json_t		*docs, *r, *open, *res, *g;
	const char	*sid;
	long long	 version;
	size_t		 i, refused = 0, worked = 0;

	/* The test's list is the document's list. */
	docs = doc_methods();
	assert_int_equal(json_array_size(docs), NCALLS);
	for (i = 0; i < NCALLS; i++) {
		size_t	 j;
		json_t	*d;
		bool	 found = false;

		json_array_foreach(docs, j, d)
			found |= strcmp(json_string_value(d),
			    calls[i].method) == 0;
		if (!found)
			fail_msg("%s is not in docs/protocol.md",
			    calls[i].method);
	}
	json_decref(docs);

	nb = xasprintf("%s/r.nb.lua", t->proj);
	open = kc_call(o, "session.open", json_pack("{s:s}", "path", nb));
	assert_non_null(open);
	sid = kj_str(open, "session");
	version = kj_int(open, "version");
	r = kc_call(o, "kernel.member_add", json_pack("{s:s, s:s}", "name",
	    "vic", "role", "viewer"));
	assert_non_null(r);
	v = kc_connect_member(addr, "vic", kj_str(r, "token"), NULL);
	assert_non_null(v);
	json_decref(r);
	json_decref(kc_call(v, "session.attach", json_pack("{s:s}",
	    "session", sid)));
	before = kt_read(nb);

	for (i = 0; i < NCALLS; i++) {
		const struct call *c = &calls[i];
		char	 want[160];

		res = kc_call(v, c->method, args_for(c->method, sid, nb,
		    version));
		if (c->need == READ) {
			if (res == NULL)
				fail_msg("%s, a read, failed for a viewer: %s",
				    c->method, v->msg);
			worked++;
		} else {
			snprintf(want, sizeof want, "vic is a viewer: %s needs "
			    "%s", c->method, c->need == OWNER ? "the owner" :
			    "an editor");
			if (res != NULL)
				fail_msg("%s worked for a viewer", c->method);
			assert_int_equal(v->code, GL_EPERM);
			assert_string_equal(v->msg, want);
			refused++;
		}
		json_decref(res);
	}
	assert_int_equal(refused + worked, NCALLS);

	/* Nothing changed: the document, the file, the members, the
	 * kernel. */
	g = kc_call(o, "doc.get", json_pack("{s:s}", "session", sid));
	assert_non_null(g);
	assert_int_equal(kj_int(g, "version"), version);
	assert_false(json_is_true(json_object_get(g, "dirty")));
	json_decref(g);
	after = kt_read(nb);
	assert_string_equal(before, after);
	r = kc_call(o, "kernel.members", NULL);
	assert_int_equal(json_array_size(r), 1);
	assert_string_equal(kj_str(json_array_get(r, 0), "role"), "viewer");
	json_decref(r);
	r = kc_call(o, "kernel.info", NULL);
	assert_non_null(r);
	assert_false(json_is_null(json_object_get(r, "listen")));
	json_decref(r);

	free(before);
	free(after);
	json_decref(open);
	kc_free(v);
	kc_free(o);
	free(nb);
	free(addr);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_viewer_every_method,
		    setup, kt_teardown_stopped),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

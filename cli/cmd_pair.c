/*
 * cmd_pair.c - pairing from the command line (docs/pairing.md):
 * `galley share NB` prints an invite to the notebook's session,
 * `galley attach INVITE` opens the terminal UI on the session an invite
 * names (connecting as the member it carries), `galley members [NB]`
 * lists who is in a session and what each is doing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "client/client.h"
#include "core/err.h"
#include "core/invite.h"
#include "core/mem.h"
#include "core/util.h"
#include "core/paths.h"
#include "core/rpc.h"
#include "kernel/member.h"
#include "kernel/req.h"
#include "tui/app.h"

struct share_args {
	const char	*session;
	const char	*role;
	const char	*name;
	const char	*expires;
	const char	*host;
};

static void
pack_path(msgpack_packer *pk, void *ctx)
{
	msgpack_pack_map(pk, 1);
	rpc_pack_kv_str(pk, "path", ctx);
}

static void
pack_share(msgpack_packer *pk, void *ctx)
{
	const struct share_args *a = ctx;

	msgpack_pack_map(pk, 2 + (a->name != NULL) + (a->expires != NULL) +
	    (a->host != NULL));
	rpc_pack_kv_str(pk, "session", a->session);
	rpc_pack_kv_str(pk, "role", a->role);
	if (a->name != NULL)
		rpc_pack_kv_str(pk, "name", a->name);
	if (a->expires != NULL)
		rpc_pack_kv_str(pk, "expires", a->expires);
	if (a->host != NULL)
		rpc_pack_kv_str(pk, "host", a->host);
}

/* The exit status for a failed call. */
static int
pair_status(int code)
{
	switch (code) {
	case GL_ECLOSED:
	case GL_EAUTH:
	case GL_ETIMEDOUT:
	case GL_EPROTO:
		return CLI_KERNEL;
	default:
		return CLI_FAILED;
	}
}

int
cli_share(int argc, char **argv)
{
	struct share_args	 a = { .role = "editor" };
	struct cl_opts		 o;
	struct cl_conn		*c = NULL;
	struct rpc_msg		 m, sm;
	struct gl_err		 err = { 0 };
	struct cli_nb		 nb = { 0 };
	const char		*v, *arg = NULL, *kernel = NULL;
	char			*abs = NULL, *sid = NULL, *invite = NULL;
	char			*name = NULL, *role = NULL, when[64];
	enum req_role		 r;
	int64_t			 ms;
	int			 rc;

	for (int i = 1; i < argc; i++) {
		if ((v = cli_optval("share", argc, argv, &i, "--role")) != NULL)
			a.role = v;
		else if ((v = cli_optval("share", argc, argv, &i,
		    "--name")) != NULL)
			a.name = v;
		else if ((v = cli_optval("share", argc, argv, &i,
		    "--expires")) != NULL)
			a.expires = v;
		else if ((v = cli_optval("share", argc, argv, &i,
		    "--host")) != NULL)
			a.host = v;
		else if ((v = cli_optval("share", argc, argv, &i,
		    "--kernel")) != NULL)
			kernel = v;
		else if (argv[i][0] == '-' && argv[i][1] != '\0')
			return cli_usage("share", "unknown option %s", argv[i]);
		else if (arg == NULL)
			arg = argv[i];
		else
			return cli_usage("share", "one notebook at a time");
	}
	if (arg == NULL)
		return cli_usage("share", "which notebook?");
	if (req_role_parse(a.role, strlen(a.role), &r) != 0 ||
	    r == REQ_ROLE_OWNER)
		return cli_usage("share", "--role is editor or viewer, not %s",
		    a.role);
	if (a.name != NULL && mbr_name_check(a.name, &err) != 0)
		return cli_usage("share", "--name: %s", err.msg);
	if (a.expires != NULL && mbr_duration_parse(a.expires, &ms,
	    &err) != 0)
		return cli_usage("share", "--expires: %s", err.msg);
	if ((rc = cli_check_kernel("share", kernel)) != CLI_OK)
		return rc;
	cli_nb_resolve(arg, &nb);
	if ((rc = cli_nb_check_kind(&nb)) != CLI_OK)
		goto out;
	if (kernel == NULL && getenv("GALLEY_KERNEL") == NULL && !nb.exists) {
		cli_errorf("%s does not exist", nb.path);
		rc = CLI_BADINPUT;
		goto out;
	}
	if ((abs = gl_path_abs(nb.path, &err)) == NULL) {
		cli_errorf("%s", err.msg);
		rc = CLI_BADINPUT;
		goto out;
	}
	/* The notebook's session, opened if no one has it open yet (it
	 * stays open for the invitee after we leave). */
	cl_opts_init(&o);
	o.kernel = kernel;
	if (cl_connect(&o, &c, &err) != 0) {
		cli_errorf("%s", err.msg);
		rc = CLI_KERNEL;
		goto out;
	}
	if (cl_call(c, "session.open", pack_path, abs, &m, 30000,
	    &err) != 0) {
		cli_errorf("%s", err.msg);
		rc = pair_status(err.code);
		goto out;
	}
	sid = rpc_map_strdup(m.result, "session");
	rpc_msg_fini(&m);
	a.session = sid;
	rc = cl_call(c, "session.share", pack_share, &a, &sm, 10000, &err);
	if (cl_call(c, "session.close", cl_pack_session, sid, &m, 10000,
	    NULL) == 0)
		rpc_msg_fini(&m);
	if (rc != 0) {
		cli_errorf("%s", err.msg);
		rc = pair_status(err.code);
		goto out;
	}
	invite = rpc_map_strdup(sm.result, "invite");
	name = rpc_map_strdup(sm.result, "name");
	role = rpc_map_strdup(sm.result, "role");
	if (rpc_map_bool(sm.result, "local", false))
		printf("invite to %s for %s on this machine (a kernel without "
		    "TCP is its user's alone; `galley kernel --listen "
		    "HOST:PORT` serves others):\n", nb.path, name);
	else {
		mbr_expiry_text(rpc_map_int(sm.result, "expires", 0),
		    gl_wall_ms(), when, sizeof when);
		printf("invite to %s for %s (%s, expires %s):\n", nb.path,
		    name, role, when);
	}
	printf("%s\n", invite);
	printf("(`galley attach INVITE` opens it; the invite is as secret "
	    "as a password)\n");
	rpc_msg_fini(&sm);
	rc = CLI_OK;
out:
	if (invite != NULL)
		memset(invite, 0, strlen(invite));
	free(invite);
	free(name);
	free(role);
	free(sid);
	free(abs);
	cl_close(c);
	cli_nb_fini(&nb);
	return rc;
}

int
cli_attach(int argc, char **argv)
{
	struct app_opts	 o;
	struct inv	 inv;
	struct gl_err	 err = { 0 };
	struct gl_buf	 arg;
	char		*notice;
	int		 rc;

	/* Several words are one invite pasted in pieces (:share's box
	 * breaks a long one over lines). */
	gl_buf_init(&arg);
	for (int i = 1; i < argc; i++) {
		if (argv[i][0] == '-' && argv[i][1] != '\0') {
			gl_buf_fini(&arg);
			return cli_usage("attach", "unknown option %s", argv[i]);
		}
		if (arg.len > 0)
			gl_buf_addc(&arg, ' ');
		gl_buf_adds(&arg, argv[i]);
	}
	if (arg.len == 0) {
		gl_buf_fini(&arg);
		return cli_usage("attach", "which invite? (`galley share NB` "
		    "or :share makes one)");
	}
	rc = inv_decode(arg.data, &inv, &err);
	gl_buf_fini(&arg);
	if (rc != 0) {
		inv_fini(&inv);
		return cli_usage("attach", "%s", err.msg);
	}
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		cli_errorf("galley attach needs a terminal");
		inv_fini(&inv);
		return CLI_FAILED;
	}
	memset(&o, 0, sizeof o);
	o.kernel = inv.kernel;
	o.session = inv.session;
	o.label = inv.path;
	o.member = inv.member;
	o.token = inv.member != NULL ? inv.token : NULL;
	notice = xasprintf("attached to %s%s%s", inv.path != NULL ? inv.path :
	    inv.session, inv.member != NULL ? " as " : "",
	    inv.member != NULL ? inv.member : "");
	o.notice = notice;
	rc = app_run(&o, &err);
	if (rc != 0)
		cli_errorf("%s", err.msg);
	free(notice);
	inv_fini(&inv);
	return rc == 0 ? CLI_OK : pair_status(rc);
}

/* The members of one session, printed. */
static int
members_print(struct cl_conn *c, const char *sid, const char *path)
{
	struct rpc_msg		 m;
	struct gl_err		 err = { 0 };
	const msgpack_object	*r;

	if (cl_call(c, "session.members", cl_pack_session, (void *)sid, &m,
	    10000, &err) != 0) {
		cli_errorf("%s", err.msg);
		return pair_status(err.code);
	}
	r = m.result;
	printf("%s (%s):\n", path, sid);
	for (uint32_t i = 0; r->type == MSGPACK_OBJECT_ARRAY &&
	    i < r->via.array.size; i++) {
		const msgpack_object *p = &r->via.array.ptr[i];
		char *name = rpc_map_strdup(p, "name");
		char *role = rpc_map_strdup(p, "role");
		char *what = rpc_map_strdup(p, "activity");

		printf("  %-20s %-7s client %-4lld %s\n", name != NULL ? name :
		    "?", role != NULL ? role : "?",
		    (long long)rpc_map_int(p, "client", 0),
		    what != NULL ? what : "");
		free(name);
		free(role);
		free(what);
	}
	rpc_msg_fini(&m);
	return CLI_OK;
}

int
cli_members(int argc, char **argv)
{
	struct cl_opts		 o;
	struct cl_conn		*c = NULL;
	struct rpc_msg		 m;
	struct gl_err		 err = { 0 };
	const char		*v, *arg = NULL, *kernel = NULL;
	char			*abs = NULL;
	const msgpack_object	*r;
	int			 rc = CLI_OK, shown = 0;

	for (int i = 1; i < argc; i++) {
		if ((v = cli_optval("members", argc, argv, &i, "--kernel")) != NULL)
			kernel = v;
		else if (argv[i][0] == '-' && argv[i][1] != '\0')
			return cli_usage("members", "unknown option %s",
			    argv[i]);
		else if (arg == NULL)
			arg = argv[i];
		else
			return cli_usage("members", "one notebook at a time");
	}
	if ((rc = cli_check_kernel("members", kernel)) != CLI_OK)
		return rc;
	if (arg != NULL) {
		struct cli_nb nb;

		cli_nb_resolve(arg, &nb);
		abs = gl_path_abs(nb.path, NULL);
		cli_nb_fini(&nb);
	}
	cl_opts_init(&o);
	o.kernel = kernel;
	o.autostart = false;
	if (cl_connect(&o, &c, &err) != 0) {
		if (err.code == GL_ECLOSED && kernel == NULL)
			printf("no kernel running\n");
		else
			cli_errorf("%s", err.msg);
		free(abs);
		return err.code == GL_ECLOSED && kernel == NULL ? CLI_FAILED :
		    CLI_KERNEL;
	}
	if (cl_call(c, "session.list", NULL, NULL, &m, 10000, &err) != 0) {
		cli_errorf("%s", err.msg);
		cl_close(c);
		free(abs);
		return pair_status(err.code);
	}
	r = m.result;
	for (uint32_t i = 0; rc == CLI_OK && r->type == MSGPACK_OBJECT_ARRAY &&
	    i < r->via.array.size; i++) {
		const msgpack_object *s = &r->via.array.ptr[i];
		char *sid = rpc_map_strdup(s, "session");
		char *path = rpc_map_strdup(s, "path");

		if (!rpc_map_bool(s, "ephemeral", false) && sid != NULL &&
		    (abs == NULL ? rpc_map_int(s, "clients", 0) > 0 :
		    path != NULL && strcmp(path, abs) == 0)) {
			rc = members_print(c, sid, path != NULL ? path :
			    "(no file)");
			shown++;
		}
		free(sid);
		free(path);
	}
	rpc_msg_fini(&m);
	cl_close(c);
	if (rc == CLI_OK && shown == 0) {
		if (abs != NULL) {
			printf("%s is not open in the kernel\n", abs);
			rc = CLI_FAILED;
		} else
			printf("no one is in a notebook\n");
	}
	free(abs);
	return rc;
}

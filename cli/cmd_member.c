/*
 * cmd_member.c - `galley kernel member add|remove|role|list`: a team
 * kernel's members (docs/security.md). Through the running kernel's
 * owner-only methods (kernel.member_*), so a change holds at once for
 * the members' connections; when no kernel runs (and no --kernel is
 * given), on the members file of the runtime directory
 * (kernel/member.h), which the next kernel reads. A token is printed
 * once, when its member is made, and never again.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "client/client.h"
#include "core/err.h"
#include "core/mem.h"
#include "core/util.h"
#include "core/paths.h"
#include "core/rpc.h"
#include "kernel/member.h"
#include "kernel/req.h"

struct member_args {
	const char	*what;		/* add, remove, role, list */
	const char	*name;
	const char	*role;
	const char	*expires;
	const char	*kernel;
};

static void
member_pack(msgpack_packer *pk, void *ctx)
{
	const struct member_args *a = ctx;

	msgpack_pack_map(pk, (a->name != NULL) + (a->role != NULL) +
	    (a->expires != NULL));
	if (a->name != NULL)
		rpc_pack_kv_str(pk, "name", a->name);
	if (a->role != NULL)
		rpc_pack_kv_str(pk, "role", a->role);
	if (a->expires != NULL)
		rpc_pack_kv_str(pk, "expires", a->expires);
}

/* "member ada (editor, expires in 7h 59m)" and the token, once. */
static void
member_print_added(const char *name, const char *role, int64_t expires,
    const char *token)
{
	char	 when[64];

	mbr_expiry_text(expires, gl_wall_ms(), when, sizeof when);
	printf("member %s added: %s, expires %s\n", name, role, when);
	printf("token: %s\n", token);
	printf("(shown this once: give it to %s, who connects with "
	    "GALLEY_MEMBER=%s GALLEY_TOKEN=TOKEN and --kernel HOST:PORT, or "
	    "send an invite from `galley share`)\n", name, name);
}

static void
member_print_head(void)
{
	printf("%-20s %-7s %-22s %-9s %s\n", "NAME", "ROLE", "EXPIRES",
	    "CONNECTED", "ADDED BY");
}

static void
member_print_row(const char *name, const char *role, int64_t expires,
    const char *by, long long connected)
{
	char	 when[64], conn[32];

	mbr_expiry_text(expires, gl_wall_ms(), when, sizeof when);
	if (connected < 0)
		snprintf(conn, sizeof conn, "-");
	else
		snprintf(conn, sizeof conn, "%lld", connected);
	printf("%-20s %-7s %-22s %-9s %s\n", name, role, when, conn, by);
}

/* Through the running kernel: CLI_OK, or an error printed. */
static int
member_remote(struct cl_conn *c, struct member_args *a)
{
	static const struct {
		const char	*what, *method;
	} methods[] = {
		{ "add", "kernel.member_add" },
		{ "remove", "kernel.member_remove" },
		{ "role", "kernel.member_role" },
		{ "list", "kernel.members" },
	};
	const char	*method = NULL;
	struct rpc_msg	 m;
	struct gl_err	 err = { 0 };
	const msgpack_object *r;
	size_t		 len;

	for (size_t i = 0; i < sizeof methods / sizeof *methods; i++)
		if (strcmp(methods[i].what, a->what) == 0)
			method = methods[i].method;
	if (cl_call(c, method, member_pack, a, &m, 10000, &err) != 0) {
		cli_errorf("%s", err.msg);
		/* The kernel refused the change (who may, which member, or
		 * a members file it cannot write), or it was not heard. */
		return err.code == GL_ECLOSED || err.code == GL_ETIMEDOUT ||
		    err.code == GL_EPROTO || err.code == GL_EAUTH ?
		    CLI_KERNEL : CLI_FAILED;
	}
	r = m.result;
	if (strcmp(a->what, "add") == 0) {
		const char *name = rpc_map_str(r, "name", &len);
		char *n = xstrndup(name != NULL ? name : "", name != NULL ?
		    len : 0);
		char *tok = rpc_map_strdup(r, "token");

		member_print_added(n, a->role, rpc_map_int(r, "expires", 0),
		    tok != NULL ? tok : "?");
		free(n);
		free(tok);
	} else if (strcmp(a->what, "remove") == 0) {
		long long n = rpc_map_int(r, "closed", 0);

		printf("member %s removed (%lld connection%s closed)\n",
		    a->name, n, n == 1 ? "" : "s");
	} else if (strcmp(a->what, "role") == 0)
		printf("member %s is %s %s now\n", a->name,
		    strcmp(a->role, "viewer") == 0 ? "a" : "an", a->role);
	else {
		if (r->type != MSGPACK_OBJECT_ARRAY || r->via.array.size == 0)
			printf("no members\n");
		else
			member_print_head();
		for (uint32_t i = 0; r->type == MSGPACK_OBJECT_ARRAY &&
		    i < r->via.array.size; i++) {
			const msgpack_object *o = &r->via.array.ptr[i];
			char *name = rpc_map_strdup(o, "name");
			char *role = rpc_map_strdup(o, "role");
			char *by = rpc_map_strdup(o, "by");

			member_print_row(name != NULL ? name : "?",
			    role != NULL ? role : "?",
			    rpc_map_int(o, "expires", 0), by != NULL ? by : "",
			    rpc_map_int(o, "connected", 0));
			free(name);
			free(role);
			free(by);
		}
	}
	rpc_msg_fini(&m);
	return CLI_OK;
}

/* On the members file, no kernel running. */
static int
member_file(struct member_args *a)
{
	struct mbr_set		*ms = NULL;
	const struct mbr	*m;
	struct gl_err		 err = { 0 };
	enum req_role		 role = REQ_ROLE_EDITOR;
	char			*rd = NULL, *path, token[AUTH_TOKEN_LEN + 1];
	int64_t			 expires = 0;
	int			 rc = CLI_FAILED;

	if (gl_runtime_dir(&rd, &err) != 0) {
		cli_errorf("%s", err.msg);
		return CLI_FAILED;
	}
	path = gl_path_join(rd, MBR_FILE);
	free(rd);
	if (mbr_set_load(path, &ms, &err) != 0) {
		cli_errorf("%s", err.msg);
		goto out;
	}
	if (a->role != NULL)
		(void)req_role_parse(a->role, strlen(a->role), &role);
	if (a->expires != NULL) {
		(void)mbr_duration_parse(a->expires, &expires, NULL);
		expires += gl_wall_ms();
	}
	if (strcmp(a->what, "list") == 0) {
		if (mbr_set_count(ms) == 0)
			printf("no members\n");
		else
			member_print_head();
		for (size_t i = 0; i < mbr_set_count(ms); i++) {
			m = mbr_set_at(ms, i);
			member_print_row(m->name, req_role_name(m->role),
			    m->expires_ms, m->by, -1);
		}
		rc = CLI_OK;
		goto out;
	}
	if (strcmp(a->what, "add") == 0)
		rc = mbr_set_add(ms, a->name, role, expires, req_kernel_user(),
		    gl_wall_ms(), token, &m, &err);
	else if (strcmp(a->what, "remove") == 0)
		rc = mbr_set_remove(ms, a->name, &err);
	else
		rc = mbr_set_role(ms, a->name, role, &err);
	if (rc != 0) {
		cli_errorf("%s", err.msg);
		rc = CLI_FAILED;
		goto out;
	}
	if (strcmp(a->what, "add") == 0)
		member_print_added(m->name, req_role_name(m->role),
		    m->expires_ms, token);
	else if (strcmp(a->what, "remove") == 0)
		printf("member %s removed\n", a->name);
	else
		printf("member %s is %s %s now\n", a->name,
		    role == REQ_ROLE_VIEWER ? "a" : "an", req_role_name(role));
	rc = CLI_OK;
out:
	memset(token, 0, sizeof token);
	mbr_set_free(ms);
	free(path);
	return rc;
}

/* galley kernel member add|remove|role|list ...; argv[0] is "member". */
int
cli_kernel_member(int argc, char **argv)
{
	struct member_args	 a = { 0 };
	struct cl_opts		 o;
	struct cl_conn		*c = NULL;
	struct gl_err		 err = { 0 };
	enum req_role		 role;
	int64_t			 ms;
	const char		*v;
	int			 rc, npos = 0;

	if (argc < 2)
		return cli_usage("kernel", "kernel member: add, remove, role "
		    "or list?");
	a.what = argv[1];
	if (strcmp(a.what, "add") != 0 && strcmp(a.what, "remove") != 0 &&
	    strcmp(a.what, "role") != 0 && strcmp(a.what, "list") != 0)
		return cli_usage("kernel", "kernel member %s: not add, remove, "
		    "role or list", a.what);
	for (int i = 2; i < argc; i++) {
		if ((v = cli_optval("kernel", argc, argv, &i, "--role")) != NULL)
			a.role = v;
		else if ((v = cli_optval("kernel", argc, argv, &i,
		    "--expires")) != NULL)
			a.expires = v;
		else if ((v = cli_optval("kernel", argc, argv, &i,
		    "--kernel")) != NULL)
			a.kernel = v;
		else if (argv[i][0] == '-' && argv[i][1] != '\0')
			return cli_usage("kernel", "unknown option %s", argv[i]);
		else if (npos == 0 && strcmp(a.what, "list") != 0) {
			a.name = argv[i];
			npos++;
		} else if (npos == 1 && strcmp(a.what, "role") == 0) {
			a.role = argv[i];
			npos++;
		} else
			return cli_usage("kernel", "kernel member %s: "
			    "unexpected %s", a.what, argv[i]);
	}
	if (strcmp(a.what, "list") != 0 && a.name == NULL)
		return cli_usage("kernel", "kernel member %s: which member?",
		    a.what);
	if (strcmp(a.what, "role") == 0 && a.role == NULL)
		return cli_usage("kernel", "kernel member role NAME ROLE: "
		    "which role?");
	/* An option that would change nothing is refused, not ignored. */
	if (a.expires != NULL && strcmp(a.what, "add") != 0)
		return cli_usage("kernel", "kernel member %s: --expires is "
		    "set when a member is added (remove and add again to "
		    "change it)", a.what);
	if (a.role != NULL && (strcmp(a.what, "remove") == 0 ||
	    strcmp(a.what, "list") == 0))
		return cli_usage("kernel", "kernel member %s: --role is for "
		    "add and role", a.what);
	if (strcmp(a.what, "add") == 0 && a.role == NULL)
		a.role = "editor";
	if (a.role != NULL && req_role_parse(a.role, strlen(a.role),
	    &role) != 0)
		return cli_usage("kernel", "a role is viewer, editor or owner, "
		    "not %s", a.role);
	if (a.name != NULL && mbr_name_check(a.name, &err) != 0)
		return cli_usage("kernel", "%s", err.msg);
	if (a.expires != NULL && mbr_duration_parse(a.expires, &ms,
	    &err) != 0)
		return cli_usage("kernel", "--expires: %s", err.msg);
	if ((rc = cli_check_kernel("kernel", a.kernel)) != CLI_OK)
		return rc;
	cl_opts_init(&o);
	o.kernel = a.kernel;
	o.autostart = false;
	if (cl_connect(&o, &c, &err) != 0) {
		/* No kernel here: the file the next one reads. */
		if (err.code == GL_ECLOSED && a.kernel == NULL &&
		    getenv("GALLEY_KERNEL") == NULL)
			return member_file(&a);
		cli_errorf("%s", err.msg);
		return CLI_KERNEL;
	}
	rc = member_remote(c, &a);
	cl_close(c);
	return rc;
}

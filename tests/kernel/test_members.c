/*
 * test_members.c - a team kernel's members (kernel/member.h,
 * docs/security.md): the members file (hashed keys, mode 0600, no token
 * in it); a member connects over TCP with its own token and is named
 * and limited by its role; a wrong or unknown token is refused alike;
 * removing a member closes its connections at once, after telling
 * them; a role change holds at once and every session hears it; an
 * expired member is refused, also mid-connection; session.share makes a
 * member and an invite that joins the session; a change that cannot be
 * saved (a full disk) is refused and changes nothing.
 */
#define _GNU_SOURCE		/* unshare() */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sys/stat.h>

#include "fullfs.h"
#include "kfixture.h"
#include "core/invite.h"
#include "kernel/member.h"
#include "kernel/req.h"

static void
ok(json_t *r)
{
	assert_non_null(r);
	json_decref(r);
}

/* t's kernel listening on TCP (loopback, any port), started. */
static void
start_tcp(struct kt *t)
{
	t->listen = "127.0.0.1:0";
	assert_true(kt_start(t) > 0);
}

/* kernel.member_add as the owner (over Unix): the new token. */
static char *
add_member(struct kt *t, const char *name, const char *role,
    const char *expires)
{
	struct kc	*o = kt_conn(t);
	json_t		*r;
	char		*tok;

	r = kc_call(o, "kernel.member_add", expires != NULL ?
	    json_pack("{s:s, s:s, s:s}", "name", name, "role", role,
	    "expires", expires) : json_pack("{s:s, s:s}", "name", name,
	    "role", role));
	assert_non_null(r);
	assert_string_equal(kj_str(r, "name"), name);
	assert_string_equal(kj_str(r, "role"), role);
	tok = xstrdup(kj_str(r, "token"));
	assert_true(auth_token_valid(tok));
	json_decref(r);
	kc_free(o);
	return tok;
}

static void
test_member_file(void **state)
{
	struct kt		*t = *state;
	char			*path = xasprintf("%s/%s", t->run, MBR_FILE);
	struct mbr_set		*ms;
	const struct mbr	*m;
	struct gl_err		 err;
	char			 tok[AUTH_TOKEN_LEN + 1], key[AUTH_TOKEN_LEN + 1];
	char			*text;
	struct stat		 st;
	int64_t			 ms8;

	assert_int_equal(mbr_set_load(path, &ms, &err), 0);
	assert_int_equal(mbr_set_count(ms), 0);
	assert_int_equal(mbr_set_add(ms, "ada", REQ_ROLE_EDITOR, 0, "me",
	    1000, tok, &m, &err), 0);
	assert_string_equal(m->name, "ada");
	auth_member_key(tok, key);
	assert_string_equal(m->key, key);
	assert_int_equal(mbr_set_add(ms, "ada", REQ_ROLE_VIEWER, 0, "me",
	    1000, tok, &m, &err), GL_EEXIST);
	assert_int_equal(mbr_set_add(ms, req_kernel_user(), REQ_ROLE_VIEWER,
	    0, "me", 1000, tok, &m, &err), GL_EEXIST);
	assert_int_equal(mbr_set_add(ms, "no way", REQ_ROLE_VIEWER, 0, "me",
	    1000, tok, &m, &err), GL_EINVAL);
	assert_int_equal(mbr_set_add(ms, "-x", REQ_ROLE_VIEWER, 0, "me",
	    1000, tok, &m, &err), GL_EINVAL);
	assert_int_equal(mbr_set_add(ms, NULL, REQ_ROLE_VIEWER, 5000, "me",
	    1000, tok, &m, &err), 0);
	assert_true(strncmp(m->name, "guest-", 6) == 0);
	assert_int_equal(mbr_set_save(ms, &err), 0);
	mbr_set_free(ms);

	/* Private, and no token in it: only keys. */
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	text = kt_read(path);
	assert_null(strstr(text, tok));
	assert_non_null(strstr(text, "\"ada\""));
	free(text);

	assert_int_equal(mbr_set_load(path, &ms, &err), 0);
	assert_int_equal(mbr_set_count(ms), 2);
	m = mbr_set_at(ms, 1);
	assert_int_equal(m->expires_ms, 5000);
	assert_true(mbr_expired(m, 5000));
	assert_false(mbr_expired(m, 4999));
	assert_false(mbr_expired(mbr_set_find(ms, "ada"), INT64_MAX));
	assert_int_equal(mbr_set_role(ms, "ada", REQ_ROLE_VIEWER, &err), 0);
	assert_int_equal(mbr_set_find(ms, "ada")->role, REQ_ROLE_VIEWER);
	assert_int_equal(mbr_set_remove(ms, "ada", &err), 0);
	assert_int_equal(mbr_set_remove(ms, "ada", &err), GL_ENOTFOUND);
	mbr_set_free(ms);

	/* A file others may read is refused. */
	chmod(path, 0644);
	assert_int_equal(mbr_set_load(path, &ms, &err), GL_EPERM);
	assert_non_null(strstr(err.msg, "chmod 600"));

	assert_int_equal(mbr_duration_parse("8h", &ms8, &err), 0);
	assert_int_equal(ms8, 8 * 3600 * 1000);
	assert_int_equal(mbr_duration_parse("90", &ms8, &err), 0);
	assert_int_equal(ms8, 90 * 1000);
	assert_int_equal(mbr_duration_parse("2d", &ms8, &err), 0);
	assert_int_equal(mbr_duration_parse("8x", &ms8, &err), GL_EINVAL);
	assert_int_equal(mbr_duration_parse("-1h", &ms8, &err), GL_EINVAL);
	assert_int_equal(mbr_duration_parse("8hh", &ms8, &err), GL_EINVAL);
	free(path);
}

/* A member connects with its token, is named and held to its role; a
 * wrong token and an unknown member are refused with one message. */
static void
test_member_connects(void **state)
{
	struct kt	*t = *state;
	struct kc	*k, *o;
	char		*addr, *tok, *why, bad[AUTH_TOKEN_LEN + 1];
	json_t		*r, *row;

	start_tcp(t);
	addr = kt_listen_addr(t);
	tok = add_member(t, "ada", "editor", NULL);
	k = kc_connect_member(addr, "ada", tok, NULL);
	assert_non_null(k);
	r = kc_call(k, "kernel.info", NULL);
	assert_non_null(r);
	assert_string_equal(kj_str(r, "name"), "ada");
	assert_string_equal(kj_str(r, "role"), "editor");
	json_decref(r);
	/* Owner methods are the owner's. */
	assert_null(kc_call(k, "kernel.member_add", json_pack("{s:s, s:s}",
	    "name", "eve", "role", "owner")));
	assert_int_equal(k->code, GL_EPERM);
	assert_string_equal(k->msg, "ada is an editor: kernel.member_add "
	    "needs the owner");
	assert_null(kc_call(k, "kernel.shutdown", NULL));
	assert_int_equal(k->code, GL_EPERM);

	o = kt_conn(t);
	r = kc_call(o, "kernel.members", NULL);
	assert_non_null(r);
	assert_int_equal(json_array_size(r), 1);
	row = json_array_get(r, 0);
	assert_string_equal(kj_str(row, "name"), "ada");
	assert_string_equal(kj_str(row, "role"), "editor");
	assert_int_equal(kj_int(row, "connected"), 1);
	assert_string_equal(kj_str(row, "by"), req_kernel_user());
	assert_true(json_is_null(json_object_get(row, "expires")));
	json_decref(r);
	kc_free(o);

	auth_token_new(bad);
	assert_null(kc_connect_member(addr, "ada", bad, &why));
	assert_non_null(strstr(why, "wrong token (or no such member)"));
	free(why);
	assert_null(kc_connect_member(addr, "nobody", tok, &why));
	assert_non_null(strstr(why, "wrong token (or no such member)"));
	free(why);
	/* The member's token is not the kernel's: without the member's
	 * name it proves nothing. */
	assert_null(kc_connect_member(addr, NULL, tok, &why));
	assert_non_null(strstr(why, "wrong token"));
	free(why);

	kc_free(k);
	free(tok);
	free(addr);
}

/* Removing a member closes its connection at once, after telling it why;
 * the others in its session see it leave; it cannot come back. */
static void
test_revoke(void **state)
{
	struct kt	*t = *state;
	struct kc	*k, *o;
	char		*addr, *tok, *why, *nb;
	json_t		*r, *n;
	const char	*sid;
	struct rpc_msg	 m;
	struct gl_err	 err;
	bool		 told = false;
	uint64_t	 deadline;

	start_tcp(t);
	addr = kt_listen_addr(t);
	tok = add_member(t, "bob", "editor", NULL);
	nb = kt_write(t->proj, "rv.nb.lua", "-- %% id=\"a\"\nx = 1\n");
	o = kt_conn(t);
	r = kc_call(o, "session.open", json_pack("{s:s}", "path", nb));
	assert_non_null(r);
	sid = kj_str(r, "session");
	k = kc_connect_member(addr, "bob", tok, NULL);
	assert_non_null(k);
	ok(kc_call(k, "session.attach", json_pack("{s:s}", "session", sid)));
	n = kc_note(o, "session.joined", NULL, NULL, KC_WAIT_MS);
	assert_string_equal(kj_str(n, "name"), "bob");
	assert_string_equal(kj_str(n, "role"), "editor");
	json_decref(n);

	ok(kc_call(o, "kernel.member_remove", json_pack("{s:s}", "name",
	    "bob")));
	/* Bob reads why, then the end. */
	deadline = kc_now_ms() + KC_WAIT_MS;
	while (!told && kc_now_ms() < deadline) {
		int rc = cl_wait_notify(k->conn, "kernel.refused", NULL, NULL,
		    &m, 1000, &err);

		if (rc == 1) {
			json_t *a = kc_to_json(m.args);

			assert_string_equal(kj_str(a, "reason"), "revoked");
			assert_non_null(strstr(kj_str(a, "message"),
			    "member bob was removed by"));
			json_decref(a);
			rpc_msg_fini(&m);
			told = true;
		} else if (rc < 0)
			break;
	}
	assert_true(told);
	assert_true(kc_wait_closed(k, KC_WAIT_MS));
	n = kc_note(o, "session.left", NULL, NULL, KC_WAIT_MS);
	assert_non_null(n);
	assert_string_equal(kj_str(n, "name"), "bob");
	json_decref(n);
	assert_null(kc_connect_member(addr, "bob", tok, &why));
	free(why);
	assert_null(kc_call(o, "kernel.member_remove", json_pack("{s:s}",
	    "name", "bob")));
	assert_int_equal(o->code, GL_ENOTFOUND);

	json_decref(r);
	kc_free(k);
	kc_free(o);
	free(nb);
	free(tok);
	free(addr);
}

/* A viewer cannot edit; made an editor, the same connection can at
 * once, and everyone in the session hears session.role. */
static void
test_role_change(void **state)
{
	struct kt	*t = *state;
	struct kc	*k, *o;
	char		*addr, *tok, *nb;
	json_t		*r, *n, *e;
	const char	*sid;

	start_tcp(t);
	addr = kt_listen_addr(t);
	tok = add_member(t, "cy", "viewer", NULL);
	nb = kt_write(t->proj, "rc.nb.lua", "-- %% id=\"a\"\nx = 1\n");
	o = kt_conn(t);
	r = kc_call(o, "session.open", json_pack("{s:s}", "path", nb));
	assert_non_null(r);
	sid = kj_str(r, "session");
	k = kc_connect_member(addr, "cy", tok, NULL);
	assert_non_null(k);
	ok(kc_call(k, "session.attach", json_pack("{s:s}", "session", sid)));
	assert_null(kc_insert_text(k, sid, kj_int(r, "version"), "a", 0,
	    "y = 2\n", 5));
	assert_int_equal(k->code, GL_EPERM);
	assert_string_equal(k->msg, "cy is a viewer: doc.edit needs an "
	    "editor");

	ok(kc_call(o, "kernel.member_role", json_pack("{s:s, s:s}", "name",
	    "cy", "role", "editor")));
	for (int i = 0; i < 2; i++) {
		n = kc_note(i == 0 ? o : k, "session.role", NULL, NULL,
		    KC_WAIT_MS);
		assert_non_null(n);
		assert_string_equal(kj_str(n, "name"), "cy");
		assert_string_equal(kj_str(n, "role"), "editor");
		json_decref(n);
	}
	e = kc_insert_text(k, sid, kj_int(r, "version"), "a", 0, "y = 2\n",
	    5);
	assert_non_null(e);
	json_decref(e);
	/* And back: refused again at once. */
	ok(kc_call(o, "kernel.member_role", json_pack("{s:s, s:s}", "name",
	    "cy", "role", "viewer")));
	assert_null(kc_call(k, "doc.save", json_pack("{s:s}", "session",
	    sid)));
	assert_int_equal(k->code, GL_EPERM);
	assert_null(kc_call(o, "kernel.member_role", json_pack("{s:s, s:s}",
	    "name", "cy", "role", "boss")));
	assert_int_equal(o->code, GL_EINVAL);

	json_decref(r);
	kc_free(k);
	kc_free(o);
	free(nb);
	free(tok);
	free(addr);
}

/* An expired member is refused; one that expires while connected is
 * told and closed at its next request. */
static void
test_expiry(void **state)
{
	struct kt		*t = *state;
	char			*path = xasprintf("%s/%s", t->run, MBR_FILE);
	struct mbr_set		*ms;
	const struct mbr	*m;
	struct gl_err		 err;
	char			 tok[AUTH_TOKEN_LEN + 1], *addr, *why, *soon;
	struct kc		*k;
	json_t			*r = NULL;
	uint64_t		 deadline;

	assert_int_equal(mbr_set_load(path, &ms, &err), 0);
	assert_int_equal(mbr_set_add(ms, "old", REQ_ROLE_EDITOR, 1000, "me",
	    500, tok, &m, &err), 0);
	assert_int_equal(mbr_set_save(ms, &err), 0);
	mbr_set_free(ms);
	start_tcp(t);
	addr = kt_listen_addr(t);
	assert_null(kc_connect_member(addr, "old", tok, &why));
	assert_non_null(strstr(why, "expired"));
	free(why);

	soon = add_member(t, "soon", "editor", "1");
	k = kc_connect_member(addr, "soon", soon, NULL);
	assert_non_null(k);
	/* Polled: within a second or so its calls are refused. */
	deadline = kc_now_ms() + KC_WAIT_MS;
	while (kc_now_ms() < deadline &&
	    (r = kc_call(k, "kernel.info", NULL)) != NULL) {
		json_decref(r);
		(void)kc_pump(k, kc_now_ms() + 50);
	}
	assert_null(r);
	r = kc_note(k, "kernel.refused", NULL, NULL, KC_WAIT_MS);
	assert_non_null(r);
	assert_string_equal(kj_str(r, "reason"), "expired");
	json_decref(r);
	kc_free(k);
	free(soon);
	free(addr);
	free(path);
}

/* session.share on a TCP kernel makes a member and an invite that gets
 * its holder into the session with that role; on a kernel without TCP
 * the invite names the Unix socket and makes no member. */
static void
test_share(void **state)
{
	struct kt	*t = *state;
	struct kc	*o, *k;
	char		*nb, *addr;
	json_t		*r, *s, *a;
	struct inv	 inv;
	struct gl_err	 err;
	const char	*sid;

	start_tcp(t);
	addr = kt_listen_addr(t);
	nb = kt_write(t->proj, "sh.nb.lua", "-- %% id=\"a\"\nx = 1\n");
	o = kt_conn(t);
	r = kc_call(o, "session.open", json_pack("{s:s}", "path", nb));
	assert_non_null(r);
	sid = kj_str(r, "session");
	s = kc_call(o, "session.share", json_pack("{s:s, s:s, s:s}",
	    "session", sid, "role", "viewer", "expires", "8h"));
	assert_non_null(s);
	assert_true(strncmp(kj_str(s, "name"), "guest-", 6) == 0);
	assert_string_equal(kj_str(s, "role"), "viewer");
	assert_true(kj_int(s, "expires") > 0);
	assert_int_equal(inv_decode(kj_str(s, "invite"), &inv, &err), 0);
	assert_string_equal(inv.session, sid);
	assert_string_equal(inv.member, kj_str(s, "name"));
	assert_non_null(strstr(inv.kernel, addr));
	assert_non_null(strstr(inv.path, "sh.nb.lua"));
	k = kc_connect_member(inv.kernel + 4, inv.member, inv.token, NULL);
	assert_non_null(k);
	a = kc_call(k, "session.attach", json_pack("{s:s}", "session",
	    inv.session));
	assert_non_null(a);
	json_decref(a);
	assert_null(kc_call(k, "cell.run", json_pack("{s:s, s:[s]}",
	    "session", sid, "cells", "a")));
	assert_int_equal(k->code, GL_EPERM);
	/* Only the owner shares. */
	assert_null(kc_call(k, "session.share", json_pack("{s:s, s:s}",
	    "session", sid, "role", "editor")));
	assert_int_equal(k->code, GL_EPERM);
	inv_fini(&inv);
	json_decref(s);
	/* A named member, and a name that is taken. */
	s = kc_call(o, "session.share", json_pack("{s:s, s:s, s:s}",
	    "session", sid, "role", "editor", "name", "dee"));
	assert_non_null(s);
	assert_string_equal(kj_str(s, "name"), "dee");
	json_decref(s);
	assert_null(kc_call(o, "session.share", json_pack("{s:s, s:s, s:s}",
	    "session", sid, "role", "editor", "name", "dee")));
	assert_int_equal(o->code, GL_EEXIST);
	kc_free(k);
	kc_free(o);
	json_decref(r);
	free(nb);
	free(addr);
}

static void
test_share_local(void **state)
{
	struct kt	*t = *state;
	struct kc	*o = kt_conn(t);
	char		*nb = kt_write(t->proj, "shl.nb.lua", "x = 1\n");
	json_t		*r, *s;
	struct inv	 inv;
	struct gl_err	 err;

	r = kc_call(o, "session.open", json_pack("{s:s}", "path", nb));
	assert_non_null(r);
	s = kc_call(o, "session.share", json_pack("{s:s, s:s}", "session",
	    kj_str(r, "session"), "role", "editor"));
	assert_non_null(s);
	assert_true(json_is_true(json_object_get(s, "local")));
	assert_int_equal(inv_decode(kj_str(s, "invite"), &inv, &err), 0);
	assert_true(strncmp(inv.kernel, "unix:", 5) == 0);
	assert_non_null(strstr(inv.kernel, t->sock));
	assert_null(inv.member);
	inv_fini(&inv);
	json_decref(s);
	ok(kc_call(o, "kernel.members", NULL));
	json_decref(r);
	kc_free(o);
	free(nb);
}

/* k's role as the kernel sees it (kernel.info). */
static void
assert_role(struct kc *k, const char *role)
{
	json_t *r = kc_call(k, "kernel.info", NULL);

	assert_non_null(r);
	assert_string_equal(kj_str(r, "role"), role);
	json_decref(r);
}

/* The row of kernel.members naming name, or NULL; the caller decrefs
 * *all. */
static json_t *
member_row(struct kc *o, const char *name, json_t **all)
{
	size_t	 i;
	json_t	*row;

	*all = kc_call(o, "kernel.members", NULL);
	assert_non_null(*all);
	json_array_foreach(*all, i, row)
		if (strcmp(kj_str(row, "name"), name) == 0)
			return row;
	return NULL;
}

/* A member change the kernel cannot save (its runtime directory is full)
 * is refused, naming the file and the error, and changes nothing: not
 * the members the kernel knows, not the open connections (a removed
 * member's stays open, a changed role is not in force), not the file, so
 * a restarted kernel agrees. */
static void
test_unsaved_change(void **state)
{
	struct kt	*t = *state;
	struct kc	*o, *b, *c;
	char		*addr, *bob, *cy, *filler;
	json_t		*all, *row;

	if (!fullfs_mount(t->run, "256k"))
		skip();
	filler = xasprintf("%s/filler", t->run);
	start_tcp(t);
	addr = kt_listen_addr(t);
	bob = add_member(t, "bob", "editor", NULL);
	cy = add_member(t, "cy", "viewer", "8h");
	b = kc_connect_member(addr, "bob", bob, NULL);
	assert_non_null(b);
	c = kc_connect_member(addr, "cy", cy, NULL);
	assert_non_null(c);
	o = kt_conn(t);
	assert_int_equal(fullfs_fill(filler), 0);

	assert_null(kc_call(o, "kernel.member_remove", json_pack("{s:s}",
	    "name", "bob")));
	assert_int_equal(o->code, GL_ENOSPC);
	assert_non_null(strstr(o->msg, "kernel.member_remove: member bob "
	    "not removed"));
	assert_non_null(strstr(o->msg, MBR_FILE));
	assert_non_null(strstr(o->msg, "No space left on device"));
	assert_null(kc_call(o, "kernel.member_role", json_pack("{s:s, s:s}",
	    "name", "cy", "role", "owner")));
	assert_int_equal(o->code, GL_ENOSPC);
	assert_non_null(strstr(o->msg, "kernel.member_role: member cy's role "
	    "not changed"));
	assert_non_null(strstr(o->msg, MBR_FILE));
	assert_null(kc_call(o, "kernel.member_add", json_pack("{s:s, s:s}",
	    "name", "dee", "role", "editor")));
	assert_int_equal(o->code, GL_ENOSPC);
	assert_non_null(strstr(o->msg, MBR_FILE));

	/* Nothing changed: bob's connection is open and bob can connect
	 * again; cy is still a viewer, on its connection and in the list;
	 * there is no dee. */
	assert_role(b, "editor");
	kc_free(b);
	b = kc_connect_member(addr, "bob", bob, NULL);
	assert_non_null(b);
	assert_role(b, "editor");
	assert_role(c, "viewer");
	assert_null(kc_call(c, "kernel.members", NULL));
	assert_int_equal(c->code, GL_EPERM);
	assert_non_null(row = member_row(o, "cy", &all));
	assert_string_equal(kj_str(row, "role"), "viewer");
	assert_true(kj_int(row, "expires") > 0);
	assert_int_equal(json_array_size(all), 2);
	json_decref(all);
	kc_free(b);
	kc_free(c);
	kc_free(o);

	/* Room again, and a new kernel: the file says the same. */
	assert_int_equal(unlink(filler), 0);
	assert_int_equal(kt_stop(t), 0);
	start_tcp(t);
	free(addr);
	addr = kt_listen_addr(t);
	b = kc_connect_member(addr, "bob", bob, NULL);
	assert_non_null(b);
	assert_role(b, "editor");
	c = kc_connect_member(addr, "cy", cy, NULL);
	assert_non_null(c);
	assert_role(c, "viewer");
	o = kt_conn(t);
	assert_null(member_row(o, "dee", &all));
	assert_int_equal(json_array_size(all), 2);
	json_decref(all);
	/* And with room the same change is made. */
	ok(kc_call(o, "kernel.member_role", json_pack("{s:s, s:s}", "name",
	    "cy", "role", "editor")));
	assert_role(c, "editor");
	ok(kc_call(o, "kernel.member_remove", json_pack("{s:s}", "name",
	    "bob")));
	assert_true(kc_wait_closed(b, KC_WAIT_MS));

	kc_free(b);
	kc_free(c);
	kc_free(o);
	assert_int_equal(kt_stop(t), 0);
	umount2(t->run, MNT_DETACH);
	free(filler);
	free(bob);
	free(cy);
	free(addr);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_member_file,
		    kt_setup, kt_teardown),
		cmocka_unit_test_setup_teardown(test_member_connects,
		    kt_setup, kt_teardown_stopped),
		cmocka_unit_test_setup_teardown(test_revoke,
		    kt_setup, kt_teardown_stopped),
		cmocka_unit_test_setup_teardown(test_role_change,
		    kt_setup, kt_teardown_stopped),
		cmocka_unit_test_setup_teardown(test_expiry,
		    kt_setup, kt_teardown_stopped),
		cmocka_unit_test_setup_teardown(test_share,
		    kt_setup, kt_teardown_stopped),
		cmocka_unit_test_setup_teardown(test_share_local,
		    kt_setup_started, kt_teardown_stopped),
		cmocka_unit_test_setup_teardown(test_unsaved_change,
		    kt_setup, kt_teardown_stopped),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

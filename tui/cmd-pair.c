/*
 * cmd-pair.c - the commands of a shared session (docs/pairing.md):
 * :share prints an invite, :members lists who is there, :role and
 * :revoke are the owner's, :follow keeps someone's cursor on screen,
 * :say talks to everyone and :messages shows what was said.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/mem.h"
#include "core/util.h"
#include "core/rpc.h"
#include "tui/app_int.h"
#include "tui/cmd.h"
#include "tui/cmd_int.h"
#include "tui/event.h"
#include "tui/pair.h"

/* Columns of the invite's pieces in its box. */
#define BOX_COLS	64

/* The first word of arg into buf (of n bytes); returns what follows it,
 * its blanks skipped. */
static const char *
first_word(const char *arg, char *buf, size_t n)
{
	size_t	 len = strcspn(arg, " \t");

	snprintf(buf, n, "%.*s", (int)len, arg);
	arg += len;
	while (*arg == ' ' || *arg == '\t')
		arg++;
	return arg;
}

/* A request of the session's whose answer is only read for success. */
struct kv {
	struct app	*a;
	const char	*k1, *v1, *k2, *v2;
	bool		 session;
};

static void
pack_kv(msgpack_packer *pk, void *ctx)
{
	struct kv	*kv = ctx;

	msgpack_pack_map(pk, (kv->session ? 1 : 0) + (kv->k1 ? 1 : 0) +
	    (kv->k2 ? 1 : 0));
	if (kv->session)
		rpc_pack_kv_str(pk, "session", kv->a->session);
	if (kv->k1)
		rpc_pack_kv_str(pk, kv->k1, kv->v1);
	if (kv->k2)
		rpc_pack_kv_str(pk, kv->k2, kv->v2);
}

/* A failed request as the user should read it. */
static int
refused(struct app *a, const char *method, int rc, struct gl_err *err)
{
	if (app_no_method(rc, err))
		return gl_err_set(err, GL_EUNSUPPORTED, "this kernel cannot "
		    "share sessions (no %s): it is older than this galley",
		    method);
	(void)a;
	return rc;
}

/* :share [editor|viewer]: an invite in a box to copy, and in :messages. */
int
cmd_pair_share(struct app *a, const struct cmd_entry *self, const char *arg,
    struct gl_err *err)
{
	char		 role[16];
	struct kv	 kv = { a, "role", role, NULL, NULL, true };
	struct rpc_msg	 resp;
	struct event_invite iv;
	struct gl_buf	 b;
	size_t		 len, n = 0;
	int		 rc;

	(void)self;
	snprintf(role, sizeof role, "%s", arg != NULL ? arg : "editor");
	if (pair_role_parse(role) != PAIR_ROLE_EDITOR &&
	    pair_role_parse(role) != PAIR_ROLE_VIEWER)
		return gl_err_set(err, GL_EINVAL, "share as editor or viewer, "
		    "not '%s'", role);
	if ((rc = app_call(a, "session.share", pack_kv, &kv, &resp,
	    err)) != 0)
		return refused(a, "session.share", rc, err);
	if ((rc = event_invite_decode(resp.result, &iv, err)) != 0) {
		event_invite_fini(&iv);
		rpc_msg_fini(&resp);
		return rc;
	}
	rpc_msg_fini(&resp);
	/* The box: what it is, the invite in pieces that fit, how to use
	 * it. */
	app_pair_box_close(a);
	len = strlen(iv.invite);
	a->box = xcalloc(len / BOX_COLS + 8, sizeof *a->box);
	gl_buf_init(&b);
	if (iv.local)
		gl_buf_adds(&b, "Invite for another terminal of yours on this "
		    "machine (this kernel has no TCP):");
	else
		gl_buf_addf(&b, "Invite for %s, %s%s%s:", iv.name[0] ? iv.name :
		    "a new member", iv.role[0] ? iv.role : role,
		    iv.expires[0] ? ", expires " : "", iv.expires);
	a->box[n++] = gl_buf_take(&b, NULL);
	a->box[n++] = xstrdup("");
	for (size_t off = 0; off < len; off += BOX_COLS)
		a->box[n++] = xstrndup(iv.invite + off, len - off < BOX_COLS ?
		    len - off : BOX_COLS);
	a->box[n++] = xstrdup("");
	a->box[n++] = xasprintf("They run: galley attach INVITE%s",
	    len > BOX_COLS ? " (its line breaks do not matter)" : "");
	a->box[n++] = xstrdup("It is in :messages too. Any key closes this.");
	a->nbox = n;
	pair_log(&a->pair, gl_wall_ms(), "invite for %s (%s%s%s): %s",
	    iv.local ? "this machine" : iv.name[0] ? iv.name : "a new member",
	    iv.role[0] ? iv.role : role, iv.expires[0] ? ", expires " : "",
	    iv.expires, iv.invite);
	app_msg(a, false, "invite for %s made (in the box and in :messages)",
	    iv.local ? "this machine" : iv.name[0] ? iv.name :
	    "a new member");
	event_invite_fini(&iv);
	return 0;
}

/* :members: who is there, their role and what they do, in the pager. */
int
cmd_pair_members(struct app *a, const struct cmd_entry *self,
    const char *arg, struct gl_err *err)
{
	struct kv	 kv = { a, NULL, NULL, NULL, NULL, true };
	struct rpc_msg	 resp;
	struct event_member *m;
	struct gl_buf	 b;
	size_t		 n;
	int		 rc;

	(void)self;
	(void)arg;
	if ((rc = app_call(a, "session.members", pack_kv, &kv, &resp,
	    err)) != 0)
		return refused(a, "session.members", rc, err);
	rc = event_members_decode(resp.result, &m, &n, err);
	rpc_msg_fini(&resp);
	if (rc != 0)
		return rc;
	gl_buf_init(&b);
	pair_members_text(m, n, a->pair.self, &b);
	free(m);
	if (a->pair.role == PAIR_ROLE_OWNER)
		gl_buf_adds(&b, "\n:role NAME editor|viewer changes a role, "
		    ":revoke NAME closes their access, :share invites.\n");
	app_pager_take(a, "members", gl_buf_take(&b, NULL), true);
	return 0;
}

/* :role NAME editor|viewer (the owner's). */
int
cmd_pair_role(struct app *a, const struct cmd_entry *self, const char *arg,
    struct gl_err *err)
{
	char		 name[EVENT_NAME_MAX + 1];
	const char	*role;
	struct kv	 kv = { a, "name", name, "role", NULL, false };
	int		 rc;

	(void)self;
	if (arg == NULL || *(role = first_word(arg, name, sizeof name)) ==
	    '\0' || pair_role_parse(role) == PAIR_ROLE_NONE ||
	    pair_role_parse(role) == PAIR_ROLE_OWNER)
		return gl_err_set(err, GL_EINVAL, "usage: :role NAME "
		    "editor|viewer");
	kv.v2 = role;
	if ((rc = app_call(a, "kernel.member_role", pack_kv, &kv, NULL,
	    err)) != 0)
		return refused(a, "kernel.member_role", rc, err);
	/* Their sessions hear session.role (and log it); this is ours. */
	app_msg(a, false, "%s is now %s %s", name,
	    pair_role_parse(role) == PAIR_ROLE_EDITOR ? "an" : "a", role);
	return 0;
}

/* :revoke NAME (the owner's): their token goes, their connections
 * close. */
int
cmd_pair_revoke(struct app *a, const struct cmd_entry *self,
    const char *arg, struct gl_err *err)
{
	char		 name[EVENT_NAME_MAX + 1];
	struct kv	 kv = { a, "name", name, NULL, NULL, false };
	int		 rc;

	(void)self;
	if (arg == NULL || *first_word(arg, name, sizeof name) != '\0' ||
	    name[0] == '\0')
		return gl_err_set(err, GL_EINVAL, "usage: :revoke NAME");
	if ((rc = app_call(a, "kernel.member_remove", pack_kv, &kv, NULL,
	    err)) != 0)
		return refused(a, "kernel.member_remove", rc, err);
	pair_log(&a->pair, gl_wall_ms(), "revoked %s", name);
	app_msg(a, false, "revoked %s: their access is gone", name);
	return 0;
}

/* :follow NAME: their cursor stays on screen until we move. */
int
cmd_pair_follow(struct app *a, const struct cmd_entry *self,
    const char *arg, struct gl_err *err)
{
	struct pair_peer *q;
	size_t		 i;

	(void)self;
	if (arg == NULL) {
		if (a->follow != 0) {
			app_pair_unfollow(a, false);
			app_msg(a, false, "no longer following");
			return 0;
		}
		return gl_err_set(err, GL_EINVAL, "follow whom? (:members "
		    "lists them)");
	}
	if ((q = pair_find_name(&a->pair, arg)) == NULL)
		return gl_err_set(err, GL_ENOTFOUND, "%s is not in this "
		    "session (:members lists who is)", arg);
	a->follow = q->client;
	if (q->cell[0] != '\0' && nb_doc_find(a->doc, q->cell, &i) != NULL)
		view_set_cursor(a->view, i);
	app_msg(a, false, "following %s (any motion stops)", q->name);
	return 0;
}

/* Names of the others, for Tab after :follow, :role and :revoke. */
void
cmd_pair_name_complete(struct app *a, const struct cmd_entry *self,
    const char *word, struct cmd_matches *m)
{
	size_t	 wl = strlen(word);

	(void)self;
	for (size_t i = 0; i < a->pair.n; i++)
		if (strncmp(a->pair.peers[i].name, word, wl) == 0)
			cmd_matches_add(m, a->pair.peers[i].name);
}

/* :say TEXT: a line at the bottom of everyone's screen. */
int
cmd_pair_say(struct app *a, const struct cmd_entry *self, const char *arg,
    struct gl_err *err)
{
	struct kv	 kv = { a, "text", arg, NULL, NULL, true };
	int		 rc;

	(void)self;
	if (arg == NULL)
		return gl_err_set(err, GL_EINVAL, "say what? (:say TEXT)");
	/* What we said comes back as session.said, as everyone's does. */
	if ((rc = app_call(a, "session.say", pack_kv, &kv, NULL, err)) != 0)
		return refused(a, "session.say", rc, err);
	return 0;
}

/* :messages: what was said, who came and went, invites. */
int
cmd_pair_messages(struct app *a, const struct cmd_entry *self,
    const char *arg, struct gl_err *err)
{
	struct gl_buf	 b;

	(void)self;
	(void)arg;
	(void)err;
	gl_buf_init(&b);
	pair_log_text(&a->pair, &b);
	if (b.len == 0)
		gl_buf_adds(&b, "(no messages yet: :say TEXT talks to everyone "
		    "in the session)\n");
	app_pager_take(a, "messages", gl_buf_take(&b, NULL), true);
	/* The newest at the bottom of the screen, as they came. */
	a->pager_scroll = (int)pair_log_count(&a->pair);
	return 0;
}

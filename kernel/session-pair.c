/*
 * session-pair.c - who is in a session and what they do (kernel/session.h):
 * presence for pairing (DESIGN section 7, issue 12).
 *
 * Each attached client is a peer of its session with a colour, its
 * cursor and its mode. The colour is a small integer the kernel picks
 * when the client attaches: the one another client of the same member
 * already has, else the smallest no attached peer has; it stays while
 * the client is attached, so every client draws one person in one
 * colour. Clients hear of each other through notifications to the
 * session's other clients: session.joined and session.left as peers come
 * and go, doc.cursor as they move, session.role when the owner changes a
 * member's role; session.said (from session.say) goes to every client,
 * the speaker too, so everyone's scrollback has the same lines in the
 * same order. session.members lists the peers with what each is doing
 * (running the cell it started, editing in insert mode, or idle).
 *
 * A peer's name is the member it authenticated as (kernel/req.h), never
 * what it says of itself: a viewer cannot pass for someone else.
 */
#include "kernel/session_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/err.h"
#include "core/mem.h"
#include "core/rpc.h"
#include "core/util.h"
#include "kernel/req.h"

static struct sess_peer *sess_peer_find(const struct sess *s,
		     const struct req_client *c);
static int	 sess_peer_color(const struct sess *s,
		     const struct req_client *c);

void
sess_peer_join(struct sess *s, struct req_client *c)
{
	struct sess_peer	*p;
	msgpack_packer		*pk;

	if (sess_peer_find(s, c) != NULL)
		return;
	if (s->npeers == s->cappeers) {
		s->cappeers = s->cappeers ? 2 * s->cappeers : 4;
		s->peers = xrealloc(s->peers, s->cappeers * sizeof *s->peers);
	}
	p = &s->peers[s->npeers];
	memset(p, 0, sizeof *p);
	p->c = c;
	p->color = sess_peer_color(s, c);
	s->npeers++;
	if (s->nclients < 2)
		return;
	pk = sess_note_begin(s->set, "session.joined");
	msgpack_pack_map(pk, 5);
	rpc_pack_kv_str(pk, "session", s->id);
	rpc_pack_kv_int(pk, "client", (int64_t)c->id);
	rpc_pack_kv_str(pk, "name", req_client_user(c));
	rpc_pack_kv_str(pk, "role", req_role_name(c->role));
	rpc_pack_kv_int(pk, "color", p->color);
	sess_broadcast(s, c);
}

void
sess_peer_leave(struct sess *s, struct req_client *c)
{
	struct sess_peer	*p = sess_peer_find(s, c);
	msgpack_packer		*pk;

	if (p == NULL)
		return;
	memmove(p, p + 1, (size_t)(s->peers + s->npeers - p - 1) *
	    sizeof *p);
	s->npeers--;
	if (s->closing || s->nclients == 0)
		return;
	pk = sess_note_begin(s->set, "session.left");
	msgpack_pack_map(pk, 3);
	rpc_pack_kv_str(pk, "session", s->id);
	rpc_pack_kv_int(pk, "client", (int64_t)c->id);
	rpc_pack_kv_str(pk, "name", req_client_user(c));
	sess_broadcast(s, c);
}

void
sess_peers_free(struct sess *s)
{
	free(s->peers);
	s->peers = NULL;
	s->npeers = s->cappeers = 0;
}

void
sess_peer_activity(const struct sess *s, const struct req_client *c,
    char *buf, size_t len)
{
	const struct sess_peer *p = sess_peer_find(s, c);

	if (s->cur != NULL && s->cur->by_client == c->id)
		snprintf(buf, len, "running %s", s->cur->cell);
	else if (p != NULL && p->insert && p->cell[0] != '\0')
		snprintf(buf, len, "editing %s", p->cell);
	else
		snprintf(buf, len, "idle");
}

/* session.members {session}: also for a client not attached (galley
 * members asks without joining, which the others would see). */
int
sess_rpc_members(struct sess_set *ss, struct req *r, struct gl_err *err)
{
	struct sess	*s;
	msgpack_packer	*pk;
	char		 what[NB_ID_MAX + 16];

	if ((s = sess_get(ss, r, false, err)) == NULL)
		return err->code;
	pk = req_reply_begin(r);
	msgpack_pack_array(pk, s->npeers);
	for (size_t i = 0; i < s->npeers; i++) {
		const struct sess_peer *p = &s->peers[i];

		sess_peer_activity(s, p->c, what, sizeof what);
		msgpack_pack_map(pk, 8);
		rpc_pack_kv_int(pk, "client", (int64_t)p->c->id);
		rpc_pack_kv_str(pk, "name", req_client_user(p->c));
		rpc_pack_kv_str(pk, "role", req_role_name(p->c->role));
		rpc_pack_kv_int(pk, "color", p->color);
		rpc_pack_key(pk, "cell");
		if (p->cell[0] != '\0')
			rpc_pack_str(pk, p->cell);
		else
			msgpack_pack_nil(pk);
		rpc_pack_kv_int(pk, "offset", p->offset);
		rpc_pack_kv_str(pk, "mode", p->insert ? "insert" : "normal");
		rpc_pack_kv_str(pk, "activity", what);
	}
	req_reply_end(r);
	return 0;
}

/* doc.cursor {session, cell, offset, mode?}: presence. */
int
sess_rpc_doc_cursor(struct sess_set *ss, struct req *r, struct gl_err *err)
{
	struct sess		*s;
	struct sess_peer	*p;
	const char		*cell, *mode;
	size_t			 clen, mlen = 0;
	msgpack_packer		*pk;

	if ((s = sess_get(ss, r, true, err)) == NULL)
		return err->code;
	if ((cell = rpc_map_str(r->args, "cell", &clen)) == NULL ||
	    clen > NB_ID_MAX)
		return gl_err_set(err, GL_EINVAL,
		    "doc.cursor: wants {session, cell, offset, mode?}");
	mode = rpc_map_str(r->args, "mode", &mlen);
	if (mode != NULL && !(mlen == 6 && memcmp(mode, "insert", 6) == 0) &&
	    !(mlen == 6 && memcmp(mode, "normal", 6) == 0))
		return gl_err_set(err, GL_EINVAL, "doc.cursor: mode is "
		    "\"normal\" or \"insert\"");
	if ((p = sess_peer_find(s, r->client)) == NULL)
		return gl_err_set(err, GL_EPERM, "not attached to session %s",
		    s->id);
	memcpy(p->cell, cell, clen);
	p->cell[clen] = '\0';
	p->offset = rpc_map_int(r->args, "offset", 0);
	if (mode != NULL)
		p->insert = mode[0] == 'i';
	pk = sess_note_begin(ss, "doc.cursor");
	msgpack_pack_map(pk, 7);
	rpc_pack_kv_str(pk, "session", s->id);
	rpc_pack_kv_int(pk, "client", (int64_t)r->client->id);
	rpc_pack_kv_str(pk, "name", req_client_user(r->client));
	rpc_pack_kv_int(pk, "color", p->color);
	rpc_pack_kv_str(pk, "cell", p->cell);
	rpc_pack_kv_int(pk, "offset", p->offset);
	rpc_pack_kv_str(pk, "mode", p->insert ? "insert" : "normal");
	sess_broadcast(s, r->client);
	return 0;
}

/* session.say {session, text} */
int
sess_rpc_say(struct sess_set *ss, struct req *r, struct gl_err *err)
{
	struct sess	*s;
	const char	*text;
	size_t		 len;
	msgpack_packer	*pk;

	if ((s = sess_get(ss, r, true, err)) == NULL)
		return err->code;
	if ((text = rpc_map_str(r->args, "text", &len)) == NULL || len == 0)
		return gl_err_set(err, GL_EINVAL,
		    "session.say: wants {session, text}");
	if (len > SESS_SAY_MAX)
		return gl_err_set(err, GL_EINVAL, "session.say: a message is "
		    "at most %d bytes (this one is %zu)", SESS_SAY_MAX, len);
	if (!gl_utf8_valid(text, len, NULL) || memchr(text, '\0', len) != NULL)
		return gl_err_set(err, GL_EINVAL,
		    "session.say: text is not UTF-8");
	pk = sess_note_begin(ss, "session.said");
	msgpack_pack_map(pk, 5);
	rpc_pack_kv_str(pk, "session", s->id);
	rpc_pack_kv_int(pk, "client", (int64_t)r->client->id);
	rpc_pack_kv_str(pk, "name", req_client_user(r->client));
	rpc_pack_key(pk, "text");
	rpc_pack_strn(pk, text, len);
	rpc_pack_kv_int(pk, "time", gl_wall_ms());
	sess_broadcast(s, NULL);
	return 0;
}

const char *
sess_share_path(struct sess_set *ss, struct req *r, const char **sid,
    struct gl_err *err)
{
	struct sess *s;

	if ((s = sess_get(ss, r, true, err)) == NULL)
		return NULL;
	if (s->ephemeral) {
		gl_err_set(err, GL_EPERM, "session %s is private to the "
		    "client that opened it: it cannot be shared", s->id);
		return NULL;
	}
	*sid = s->id;
	return s->path != NULL ? s->path : "";
}

void
sess_set_client_changed(struct sess_set *ss, struct req_client *c)
{
	msgpack_packer *pk;

	for (size_t i = 0; i < ss->nsessions; i++) {
		struct sess *s = ss->sessions[i];

		if (sess_peer_find(s, c) == NULL)
			continue;
		pk = sess_note_begin(ss, "session.role");
		msgpack_pack_map(pk, 4);
		rpc_pack_kv_str(pk, "session", s->id);
		rpc_pack_kv_int(pk, "client", (int64_t)c->id);
		rpc_pack_kv_str(pk, "name", req_client_user(c));
		rpc_pack_kv_str(pk, "role", req_role_name(c->role));
		sess_broadcast(s, NULL);
	}
}

static struct sess_peer *
sess_peer_find(const struct sess *s, const struct req_client *c)
{
	for (size_t i = 0; i < s->npeers; i++)
		if (s->peers[i].c == c)
			return &s->peers[i];
	return NULL;
}

/* The colour of c's member if another of its clients is here, else the
 * smallest no peer has. */
static int
sess_peer_color(const struct sess *s, const struct req_client *c)
{
	const char	*who = req_client_user(c);
	int		 color;
	bool		 used;

	for (size_t i = 0; i < s->npeers; i++)
		if (strcmp(req_client_user(s->peers[i].c), who) == 0)
			return s->peers[i].color;
	for (color = 1;; color++) {
		used = false;
		for (size_t i = 0; i < s->npeers && !used; i++)
			used = s->peers[i].color == color;
		if (!used)
			return color;
	}
}

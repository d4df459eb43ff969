/*
 * pair.h - the people of a shared session as the TUI knows them: who is
 * attached (name, role, colour), where each one's cursor is and what each
 * is doing (editing a cell, running one), the user's own role, and the
 * session's messages (:say, people coming and going, role changes,
 * invites) kept for :messages. Pure: the kernel's notifications come in
 * as tui/event.h's struct event_peer, the view's people and cursors go
 * out; no I/O, no clock (times come in as Unix ms). Used by
 * tui/app-pair.c and tui/cmd-pair.c.
 */
#ifndef GL_TUI_PAIR_H
#define GL_TUI_PAIR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/notebook.h"
#include "tui/event.h"

struct gl_buf;
struct view_person;

enum pair_role {
	PAIR_ROLE_NONE,		/* not said (an older kernel: all may edit) */
	PAIR_ROLE_VIEWER,
	PAIR_ROLE_EDITOR,
	PAIR_ROLE_OWNER,
};

/* "viewer" -> PAIR_ROLE_VIEWER, ...; anything else PAIR_ROLE_NONE. */
enum pair_role pair_role_parse(const char *s);
/* "viewer", "editor", "owner", or "" for PAIR_ROLE_NONE. */
const char *pair_role_name(enum pair_role r);

/* Someone else attached to the session (one per connection). */
struct pair_peer {
	uint64_t	 client;
	char		 name[EVENT_NAME_MAX + 1];
	enum pair_role	 role;
	int		 color;		/* the kernel's index; -1: not said */
	char		 cell[NB_ID_MAX + 1];	/* where their cursor is; "" */
	size_t		 offset;	/* ... its byte in the cell */
	bool		 insert;	/* editing (insert mode) */
	char		 running[NB_ID_MAX + 1];	/* a cell they started
						 * that runs; "" */
};

/* Messages kept for :messages (the oldest go first beyond this). */
#define PAIR_LOG_MAX	500

struct pair {
	uint64_t	 self;		/* our connection, 0: not known */
	char		 name[EVENT_NAME_MAX + 1];	/* ours; "" */
	enum pair_role	 role;		/* ours */
	struct pair_peer *peers;	/* owned */
	size_t		 n, cap;
	char		**log;		/* owned: PAIR_LOG_MAX slots, a ring */
	size_t		 log_first, log_n;
};

void	 pair_init(struct pair *p);
void	 pair_fini(struct pair *p);
/* Forgets the others (the connection broke: they are told again). */
void	 pair_clear(struct pair *p);

/* Someone's connection, or NULL. */
struct pair_peer *pair_find(struct pair *p, uint64_t client);
/* The one named name exactly, else the first named so ignoring case, or
 * NULL. */
struct pair_peer *pair_find_name(struct pair *p, const char *name);
/* Someone joined or was seen (a cursor, a member list): added, or what
 * e says (a name, a role, a colour) updated. NULL for ourselves (e's
 * client is self) and for client 0. */
struct pair_peer *pair_seen(struct pair *p, const struct event_peer *e);
/* Someone left: true if they were known (their name copied to name, of
 * EVENT_NAME_MAX + 1 bytes, when not NULL). */
bool	 pair_left(struct pair *p, uint64_t client, char *name);
/* A cursor moved: to cell (NULL or "": none) at e's offset and mode.
 * Returns the peer, or NULL for ourselves. */
struct pair_peer *pair_cursor(struct pair *p, const struct event_peer *e,
	     const char *cell);
/* A run of cell started by the member named by (the first of that name
 * is shown running it; "" or NULL: nobody known), or ended (by NULL). */
void	 pair_running(struct pair *p, const char *cell, const char *by);
/* What q is doing, for the status line and :members: "editing a",
 * "running b", "at c", "idle". */
void	 pair_activity(const struct pair_peer *q, char *buf, size_t n);
/* The people for the status line: at most max into out (names borrowed
 * from p until it changes); returns how many there are. */
size_t	 pair_people(const struct pair *p, struct view_person *out,
	     size_t max);

/* Appends a line to the messages, prefixed with its local time (HH:MM)
 * taken from now_ms. One line: breaks become blanks. */
void	 pair_log(struct pair *p, int64_t now_ms, const char *fmt, ...)
	     __attribute__((format(printf, 3, 4)));
/* The messages, oldest first, one per line, appended to out. */
void	 pair_log_text(const struct pair *p, struct gl_buf *out);
size_t	 pair_log_count(const struct pair *p);

/* A member list (session.members) as :members shows it: a line per
 * member, name, role and what they do, aligned. Appended to out. */
void	 pair_members_text(const struct event_member *m, size_t n,
	     uint64_t self, struct gl_buf *out);

#endif

/*
 * pair.c - the people of a shared session and its messages.
 *
 * People are kept by connection (a member attached twice is two
 * entries, each with its own cursor), in the order they came, so the
 * status line does not reorder as cursors move. The messages are a ring
 * of PAIR_LOG_MAX lines.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/mem.h"
#include "tui/event.h"
#include "tui/pair.h"
#include "tui/view.h"

static const char *const role_names[] = {
	[PAIR_ROLE_NONE] = "",
	[PAIR_ROLE_VIEWER] = "viewer",
	[PAIR_ROLE_EDITOR] = "editor",
	[PAIR_ROLE_OWNER] = "owner",
};

enum pair_role
pair_role_parse(const char *s)
{
	for (size_t i = 1; s != NULL && i < sizeof role_names /
	    sizeof role_names[0]; i++)
		if (strcmp(s, role_names[i]) == 0)
			return (enum pair_role)i;
	return PAIR_ROLE_NONE;
}

const char *
pair_role_name(enum pair_role r)
{
	return (size_t)r < sizeof role_names / sizeof role_names[0] ?
	    role_names[r] : "";
}

void
pair_init(struct pair *p)
{
	memset(p, 0, sizeof *p);
}

void
pair_fini(struct pair *p)
{
	if (p->log != NULL)
		for (size_t i = 0; i < PAIR_LOG_MAX; i++)
			free(p->log[i]);
	free(p->log);
	free(p->peers);
	memset(p, 0, sizeof *p);
}

void
pair_clear(struct pair *p)
{
	p->n = 0;
}

struct pair_peer *
pair_find(struct pair *p, uint64_t client)
{
	for (size_t i = 0; i < p->n; i++)
		if (p->peers[i].client == client)
			return &p->peers[i];
	return NULL;
}

struct pair_peer *
pair_find_name(struct pair *p, const char *name)
{
	/* The kernel's names are case-sensitive; a typed :follow need
	 * not be, when no name matches exactly. */
	for (size_t i = 0; i < p->n; i++)
		if (strcmp(p->peers[i].name, name) == 0)
			return &p->peers[i];
	for (size_t i = 0; i < p->n; i++)
		if (strcasecmp(p->peers[i].name, name) == 0)
			return &p->peers[i];
	return NULL;
}

struct pair_peer *
pair_seen(struct pair *p, const struct event_peer *e)
{
	struct pair_peer *q;

	if (e->client == 0 || e->client == p->self)
		return NULL;
	if ((q = pair_find(p, e->client)) == NULL) {
		if (p->n == p->cap) {
			p->cap = p->cap ? p->cap * 2 : 8;
			p->peers = xrealloc(p->peers, p->cap * sizeof *p->peers);
		}
		q = &p->peers[p->n++];
		memset(q, 0, sizeof *q);
		q->client = e->client;
		q->color = -1;
		snprintf(q->name, sizeof q->name, "#%llu",
		    (unsigned long long)e->client);
	}
	if (e->name[0] != '\0')
		snprintf(q->name, sizeof q->name, "%s", e->name);
	if (e->role[0] != '\0')
		q->role = pair_role_parse(e->role);
	if (e->color >= 0)
		q->color = e->color;
	return q;
}

bool
pair_left(struct pair *p, uint64_t client, char *name)
{
	struct pair_peer *q = pair_find(p, client);
	size_t		 i;

	if (q == NULL)
		return false;
	if (name != NULL)
		snprintf(name, EVENT_NAME_MAX + 1, "%s", q->name);
	i = (size_t)(q - p->peers);
	memmove(q, q + 1, (p->n - i - 1) * sizeof *q);
	p->n--;
	return true;
}

struct pair_peer *
pair_cursor(struct pair *p, const struct event_peer *e, const char *cell)
{
	struct pair_peer *q = pair_seen(p, e);

	if (q == NULL)
		return NULL;
	snprintf(q->cell, sizeof q->cell, "%s", cell != NULL ? cell : "");
	q->offset = (size_t)e->offset;
	q->insert = e->insert && q->cell[0] != '\0';
	return q;
}

void
pair_running(struct pair *p, const char *cell, const char *by)
{
	struct pair_peer *q;

	/* One cell runs at a time per session: whoever ran it is done. */
	for (size_t i = 0; i < p->n; i++)
		if (strcmp(p->peers[i].running, cell) == 0)
			p->peers[i].running[0] = '\0';
	if (by != NULL && *by != '\0' && (q = pair_find_name(p, by)) != NULL)
		snprintf(q->running, sizeof q->running, "%s", cell);
}

void
pair_activity(const struct pair_peer *q, char *buf, size_t n)
{
	if (q->running[0] != '\0')
		snprintf(buf, n, "running %s", q->running);
	else if (q->insert)
		snprintf(buf, n, "editing %s", q->cell);
	else if (q->cell[0] != '\0')
		snprintf(buf, n, "at %s", q->cell);
	else
		snprintf(buf, n, "idle");
}

size_t
pair_people(const struct pair *p, struct view_person *out, size_t max)
{
	for (size_t i = 0; i < p->n && i < max; i++) {
		const struct pair_peer *q = &p->peers[i];

		memset(&out[i], 0, sizeof out[i]);
		out[i].name = q->name;
		out[i].color = q->color;
		if (q->running[0] != '\0') {
			out[i].doing = VIEW_DOING_RUNNING;
			out[i].cell = q->running;
		} else if (q->insert) {
			out[i].doing = VIEW_DOING_EDITING;
			out[i].cell = q->cell;
		} else
			out[i].doing = VIEW_DOING_IDLE;
	}
	return p->n;
}

/* ------------------------------------------------------------------ */
/* Messages */

void
pair_log(struct pair *p, int64_t now_ms, const char *fmt, ...)
{
	char		 when[16] = "", text[1024], *line;
	time_t		 t = (time_t)(now_ms / 1000);
	struct tm	 tm;
	size_t		 slot;
	va_list		 ap;

	if (localtime_r(&t, &tm) != NULL)
		strftime(when, sizeof when, "%H:%M", &tm);
	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	line = xasprintf("%s %s", when, text);
	for (char *c = line; *c; c++)
		if (*c == '\n' || *c == '\t' || *c == '\r')
			*c = ' ';
	if (p->log == NULL)
		p->log = xcalloc(PAIR_LOG_MAX, sizeof *p->log);
	if (p->log_n == PAIR_LOG_MAX) {
		free(p->log[p->log_first]);
		p->log[p->log_first] = line;
		p->log_first = (p->log_first + 1) % PAIR_LOG_MAX;
		return;
	}
	slot = (p->log_first + p->log_n) % PAIR_LOG_MAX;
	p->log[slot] = line;
	p->log_n++;
}

void
pair_log_text(const struct pair *p, struct gl_buf *out)
{
	for (size_t i = 0; i < p->log_n; i++) {
		gl_buf_adds(out, p->log[(p->log_first + i) % PAIR_LOG_MAX]);
		gl_buf_addc(out, '\n');
	}
}

size_t
pair_log_count(const struct pair *p)
{
	return p->log_n;
}

/* ------------------------------------------------------------------ */

void
pair_members_text(const struct event_member *m, size_t n, uint64_t self,
    struct gl_buf *out)
{
	int	 w = 4;

	for (size_t i = 0; i < n; i++) {
		int	 l = (int)strlen(m[i].p.name) +
			    (self != 0 && m[i].p.client == self ? 6 : 0);

		if (l > w)
			w = l;
	}
	for (size_t i = 0; i < n; i++) {
		char	 name[EVENT_NAME_MAX + 8];
		const char *what = m[i].activity[0] ? m[i].activity :
			    m[i].cell[0] ? "" : "idle";

		snprintf(name, sizeof name, "%s%s", m[i].p.name,
		    self != 0 && m[i].p.client == self ? " (you)" : "");
		gl_buf_addf(out, "%-*s  %-6s  %s", w, name,
		    m[i].p.role[0] ? m[i].p.role : "-", what);
		if (!m[i].activity[0] && m[i].cell[0])
			gl_buf_addf(out, "at %s", m[i].cell);
		if (m[i].connected == 0)
			gl_buf_adds(out, "  (not connected)");
		if (m[i].expires[0])
			gl_buf_addf(out, "  expires %s", m[i].expires);
		gl_buf_addc(out, '\n');
	}
}

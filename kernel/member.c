/*
 * member.c - a team kernel's members and their file (kernel/member.h).
 *
 * The file is JSON: {"members": [{name, role, key, expires, created,
 * by}]}, times in Unix ms (expires 0: never). It is read whole and
 * written whole through gl_file_write_atomic(), so a reader never sees
 * half a file; it is refused when others may read it, as the token file
 * is.
 *
 * A change is made on a draft, a copy of the members, which is written
 * and only then becomes the set (mbr_set_commit()): a change the file
 * cannot take (a full disk, a quota, a read-only directory) leaves the
 * set as it was, so the set in memory is always what the file says.
 */
#include "kernel/member.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/err.h"
#include "core/mem.h"
#include "core/util.h"

struct mbr_set {
	char		*path;		/* owned */
	struct mbr	*v;		/* owned */
	size_t		 n, cap;
};

static struct mbr *mbr_set_push(struct mbr_set *ms);
static void	 mbr_set_draft(const struct mbr_set *ms, struct mbr_set *d);
static int	 mbr_set_commit(struct mbr_set *ms, struct mbr_set *d,
		     struct gl_err *err);
static int	 mbr_read_one(json_t *o, struct mbr *m);

int
mbr_set_load(const char *path, struct mbr_set **out, struct gl_err *err)
{
	struct mbr_set	*ms = xcalloc(1, sizeof *ms);
	struct stat	 st;
	char		*text = NULL;
	size_t		 len, i;
	json_t		*j = NULL, *arr, *o;
	json_error_t	 je;
	int		 rc;

	ms->path = xstrdup(path);
	*out = NULL;
	if ((rc = gl_file_read(path, &text, &len, err)) == GL_ENOTFOUND) {
		gl_err_clear(err);
		*out = ms;
		return 0;
	}
	if (rc != 0)
		goto fail;
	if (stat(path, &st) == 0 && (st.st_mode & 077) != 0) {
		rc = gl_err_set(err, GL_EPERM, "%s: the members file must not "
		    "be readable by others (chmod 600)", path);
		goto fail;
	}
	if ((j = json_loadb(text, len, 0, &je)) == NULL ||
	    !json_is_array(arr = json_object_get(j, "members"))) {
		rc = gl_err_set(err, GL_ESYNTAX, "%s:%d: not a members file%s%s",
		    path, j == NULL ? je.line : 1, j == NULL ? ": " : "",
		    j == NULL ? je.text : "");
		goto fail;
	}
	json_array_foreach(arr, i, o) {
		if (mbr_read_one(o, mbr_set_push(ms)) != 0) {
			rc = gl_err_set(err, GL_ESYNTAX, "%s: member %zu is "
			    "malformed", path, i + 1);
			goto fail;
		}
	}
	json_decref(j);
	sodium_memzero(text, len);
	free(text);
	*out = ms;
	return 0;
fail:
	json_decref(j);
	if (text != NULL) {
		sodium_memzero(text, len);
		free(text);
	}
	mbr_set_free(ms);
	return rc;
}

void
mbr_set_free(struct mbr_set *ms)
{
	if (ms == NULL)
		return;
	if (ms->v != NULL)
		sodium_memzero(ms->v, ms->cap * sizeof *ms->v);
	free(ms->v);
	free(ms->path);
	free(ms);
}

int
mbr_set_save(struct mbr_set *ms, struct gl_err *err)
{
	json_t	*j = json_object(), *arr = json_array();
	char	*text;
	int	 rc;

	for (size_t i = 0; i < ms->n; i++) {
		const struct mbr *m = &ms->v[i];

		json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:I, "
		    "s:I, s:s}", "name", m->name, "role",
		    req_role_name(m->role), "key", m->key, "expires",
		    (json_int_t)m->expires_ms, "created",
		    (json_int_t)m->created_ms, "by", m->by));
	}
	json_object_set_new(j, "members", arr);
	text = json_dumps(j, JSON_INDENT(1));
	json_decref(j);
	if (text == NULL)
		return gl_err_set(err, GL_EIO, "%s: cannot encode", ms->path);
	rc = gl_file_write_atomic(ms->path, text, strlen(text), 0600, err);
	sodium_memzero(text, strlen(text));
	free(text);
	return rc;
}

size_t
mbr_set_count(const struct mbr_set *ms)
{
	return ms->n;
}

const struct mbr *
mbr_set_at(const struct mbr_set *ms, size_t i)
{
	return i < ms->n ? &ms->v[i] : NULL;
}

const struct mbr *
mbr_set_find(const struct mbr_set *ms, const char *name)
{
	for (size_t i = 0; i < ms->n; i++)
		if (strcmp(ms->v[i].name, name) == 0)
			return &ms->v[i];
	return NULL;
}

int
mbr_set_add(struct mbr_set *ms, const char *name, enum req_role role,
    int64_t expires_ms, const char *by, int64_t now_ms,
    char token[AUTH_TOKEN_LEN + 1], const struct mbr **added,
    struct gl_err *err)
{
	char		 guest[MBR_NAME_MAX + 1];
	struct mbr_set	 d;
	struct mbr	*m;
	int		 rc;

	if (role < REQ_ROLE_VIEWER || role > REQ_ROLE_OWNER)
		return gl_err_set(err, GL_EINVAL, "a role is viewer, editor "
		    "or owner");
	if (name == NULL) {
		/* A guest: four random hex digits, again if taken. */
		do {
			unsigned char r[2];

			randombytes_buf(r, sizeof r);
			snprintf(guest, sizeof guest, "guest-%02x%02x", r[0],
			    r[1]);
		} while (mbr_set_find(ms, guest) != NULL);
		name = guest;
	}
	if ((rc = mbr_name_check(name, err)) != 0)
		return rc;
	if (strcmp(name, req_kernel_user()) == 0)
		return gl_err_set(err, GL_EEXIST, "%s is the kernel's own user "
		    "(its owner): choose another name", name);
	if (mbr_set_find(ms, name) != NULL)
		return gl_err_set(err, GL_EEXIST, "there is a member %s "
		    "already", name);
	mbr_set_draft(ms, &d);
	m = mbr_set_push(&d);
	snprintf(m->name, sizeof m->name, "%s", name);
	m->role = role;
	m->expires_ms = expires_ms;
	m->created_ms = now_ms;
	snprintf(m->by, sizeof m->by, "%s", by != NULL ? by : "");
	auth_token_new(token);
	auth_member_key(token, m->key);
	if ((rc = mbr_set_commit(ms, &d, err)) != 0) {
		sodium_memzero(token, AUTH_TOKEN_LEN + 1);
		return gl_err_prefix(err, "member %s not added", name);
	}
	*added = &ms->v[ms->n - 1];
	return 0;
}

int
mbr_set_remove(struct mbr_set *ms, const char *name, struct gl_err *err)
{
	struct mbr_set	 d;
	size_t		 i;

	for (i = 0; i < ms->n; i++)
		if (strcmp(ms->v[i].name, name) == 0)
			break;
	if (i == ms->n)
		return gl_err_set(err, GL_ENOTFOUND, "no member %s", name);
	mbr_set_draft(ms, &d);
	memmove(&d.v[i], &d.v[i + 1], (d.n - i - 1) * sizeof *d.v);
	d.n--;
	sodium_memzero(&d.v[d.n], sizeof *d.v);
	if (mbr_set_commit(ms, &d, err) != 0)
		return gl_err_prefix(err, "member %s not removed", name);
	return 0;
}

int
mbr_set_role(struct mbr_set *ms, const char *name, enum req_role role,
    struct gl_err *err)
{
	const struct mbr	*m = mbr_set_find(ms, name);
	struct mbr_set		 d;

	if (m == NULL)
		return gl_err_set(err, GL_ENOTFOUND, "no member %s", name);
	if (role < REQ_ROLE_VIEWER || role > REQ_ROLE_OWNER)
		return gl_err_set(err, GL_EINVAL, "a role is viewer, editor "
		    "or owner");
	mbr_set_draft(ms, &d);
	d.v[m - ms->v].role = role;
	if (mbr_set_commit(ms, &d, err) != 0)
		return gl_err_prefix(err, "member %s's role not changed", name);
	return 0;
}

bool
mbr_expired(const struct mbr *m, int64_t now_ms)
{
	return m->expires_ms > 0 && now_ms >= m->expires_ms;
}

int
mbr_name_check(const char *name, struct gl_err *err)
{
	size_t	 n = strlen(name);

	if (n == 0 || n > MBR_NAME_MAX)
		return gl_err_set(err, GL_EINVAL, "a member's name is 1 to %d "
		    "bytes", MBR_NAME_MAX);
	if (name[0] == '-' || name[0] == '.')
		return gl_err_set(err, GL_EINVAL, "a member's name may not "
		    "begin with '%c'", name[0]);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];

		if (!isalnum(c) && c != '.' && c != '_' && c != '-')
			return gl_err_set(err, GL_EINVAL, "a member's name "
			    "has letters, digits, '.', '_' and '-' only: "
			    "not \"%s\"", name);
	}
	return 0;
}

int
mbr_duration_parse(const char *s, int64_t *ms, struct gl_err *err)
{
	char	*end;
	double	 v;
	int64_t	 unit = 1000;

	errno = 0;
	v = strtod(s, &end);
	if (end == s || errno != 0 || v <= 0)
		goto bad;
	switch (*end) {
	case '\0':
	case 's':
		break;
	case 'm':
		unit = 60 * 1000;
		break;
	case 'h':
		unit = 3600 * 1000;
		break;
	case 'd':
		unit = 86400 * 1000;
		break;
	case 'w':
		unit = 7 * 86400 * (int64_t)1000;
		break;
	default:
		goto bad;
	}
	if (*end != '\0' && end[1] != '\0')
		goto bad;
	if (v * (double)unit > 100.0 * 365 * 86400 * 1000)
		goto bad;
	*ms = (int64_t)(v * (double)unit);
	if (*ms <= 0)
		goto bad;
	return 0;
bad:
	return gl_err_set(err, GL_EINVAL, "%s is not a duration (such as "
	    "90s, 30m, 8h, 2d, 1w)", s);
}

void
mbr_expiry_text(int64_t expires_ms, int64_t now_ms, char *buf, size_t len)
{
	int64_t	 d = expires_ms - now_ms, m;
	bool	 past = d < 0;

	if (expires_ms == 0) {
		snprintf(buf, len, "never");
		return;
	}
	m = (past ? -d : d) / 60000;
	if (m >= 48 * 60)
		snprintf(buf, len, "%s%" PRId64 "d %" PRId64 "h%s",
		    past ? "expired " : "in ", m / 1440, m % 1440 / 60,
		    past ? " ago" : "");
	else if (m >= 60)
		snprintf(buf, len, "%s%" PRId64 "h %" PRId64 "m%s",
		    past ? "expired " : "in ", m / 60, m % 60,
		    past ? " ago" : "");
	else
		snprintf(buf, len, "%s%" PRId64 "m%s", past ? "expired " :
		    "in ", m, past ? " ago" : "");
}

static struct mbr *
mbr_set_push(struct mbr_set *ms)
{
	if (ms->n == ms->cap) {
		size_t		 cap = ms->cap ? 2 * ms->cap : 8;
		struct mbr	*v = xcalloc(cap, sizeof *v);

		/* Copied, so no key is left behind in freed memory. */
		if (ms->n > 0)
			memcpy(v, ms->v, ms->n * sizeof *v);
		if (ms->v != NULL)
			sodium_memzero(ms->v, ms->cap * sizeof *ms->v);
		free(ms->v);
		ms->v = v;
		ms->cap = cap;
	}
	memset(&ms->v[ms->n], 0, sizeof *ms->v);
	return &ms->v[ms->n++];
}

/* A draft of ms to change: its members copied, with room for one more;
 * its path is ms's (borrowed). mbr_set_commit() ends it. */
static void
mbr_set_draft(const struct mbr_set *ms, struct mbr_set *d)
{
	d->path = ms->path;
	d->cap = ms->n + 1;
	d->n = ms->n;
	d->v = xcalloc(d->cap, sizeof *d->v);
	if (ms->n > 0)
		memcpy(d->v, ms->v, ms->n * sizeof *d->v);
}

/* Writes the draft d and, if that worked, makes it ms's members; either
 * way d is ended (no key is left behind in freed memory). On failure ms
 * is as it was. */
static int
mbr_set_commit(struct mbr_set *ms, struct mbr_set *d, struct gl_err *err)
{
	int	 rc;

	if ((rc = mbr_set_save(d, err)) == 0) {
		struct mbr	*v = ms->v;
		size_t		 cap = ms->cap;

		ms->v = d->v;
		ms->n = d->n;
		ms->cap = d->cap;
		d->v = v;
		d->cap = cap;
	}
	if (d->v != NULL)
		sodium_memzero(d->v, d->cap * sizeof *d->v);
	free(d->v);
	d->v = NULL;
	return rc;
}

static int
mbr_read_one(json_t *o, struct mbr *m)
{
	const char	*name = json_string_value(json_object_get(o, "name"));
	const char	*role = json_string_value(json_object_get(o, "role"));
	const char	*key = json_string_value(json_object_get(o, "key"));
	const char	*by = json_string_value(json_object_get(o, "by"));

	if (name == NULL || role == NULL || key == NULL ||
	    mbr_name_check(name, NULL) != 0 || !auth_token_valid(key) ||
	    req_role_parse(role, strlen(role), &m->role) != 0)
		return -1;
	snprintf(m->name, sizeof m->name, "%s", name);
	memcpy(m->key, key, AUTH_TOKEN_LEN + 1);
	m->expires_ms = json_integer_value(json_object_get(o, "expires"));
	m->created_ms = json_integer_value(json_object_get(o, "created"));
	snprintf(m->by, sizeof m->by, "%s", by != NULL ? by : "");
	return 0;
}

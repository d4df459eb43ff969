/*
 * review-write.c - writing reviews: each call appends one record to the
 * note on the review's anchor commit (the head it started on), with the
 * author from git config and the time now; syncing notes with a remote
 * by the union of their records.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/err.h"
#include "core/mem.h"
#include "core/util.h"
#include "review/ldiff.h"
#include "review/review.h"
#include "review/review_int.h"

/* "2025-01-31T12:00:00.123Z": UTC with milliseconds, sorts as text. */
static void
now_iso(char out[32])
{
	struct timespec	 ts;
	struct tm	 tm;
	char		 s[24];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(s, sizeof s, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, 32, "%.19s.%03dZ", s, (int)(ts.tv_nsec / 1000000));
}

static void
new_id(char *out)
{
	static const char	 digits[] =
	    "0123456789abcdefghijklmnopqrstuvwxyz";
	struct gl_rng		 rng;

	gl_rng_seed_random(&rng);
	for (int i = 0; i < REV_ID_LEN; i++)
		out[i] = digits[gl_rng_below(&rng, sizeof digits - 1)];
	out[REV_ID_LEN] = '\0';
}

/* A record's common fields; NULL review for a review record. */
static json_t *
record(struct repo *r, const char *type, const char *review,
    struct gl_err *err)
{
	char	 at[32], *who;
	json_t	*j;

	if (repo_identity(r, &who, err) != 0)
		return NULL;
	now_iso(at);
	j = json_object();
	json_object_set_new(j, "v", json_integer(REV_VERSION));
	json_object_set_new(j, "type", json_string(type));
	json_object_set_new(j, "at", json_string(at));
	json_object_set_new(j, "author", json_string(who));
	if (review != NULL)
		json_object_set_new(j, "review", json_string(review));
	free(who);
	return j;
}

/* Appends j (consumed) as one line to the note on anchor. */
static int
append(struct repo *r, const char *anchor, json_t *j, struct gl_err *err)
{
	char	*line = json_dumps(j, JSON_COMPACT | JSON_ENSURE_ASCII);
	char	*text;
	int	 rc;

	json_decref(j);
	if (line == NULL)
		return gl_err_set(err, GL_EINVAL, "cannot encode a record");
	text = xasprintf("%s\n", line);
	rc = repo_note_append(r, REV_NOTES_REF, anchor, text, strlen(text),
	    err);
	free(text);
	free(line);
	return rc;
}

/* The name a revision is stored under, to be resolved again later: HEAD
 * becomes the branch it is on, so the review follows the branch; an
 * expression relative to something that moves ("HEAD~1", "main^") becomes
 * the commit it names now (oid). Caller frees. */
static char *
rev_name(struct repo *r, const char *name, const char *oid)
{
	char	*branch;

	if (strcmp(name, "HEAD") == 0)
		return repo_head_branch(r, &branch, NULL) == 0 ? branch :
		    xstrdup(oid);
	if (strpbrk(name, "~^@:{") != NULL)
		return xstrdup(oid);
	return xstrdup(name);
}

int
rev_start(struct repo *r, const struct rev_start_req *q, char *out,
    struct gl_err *err)
{
	char			 base[REPO_OID_HEX], head[REPO_OID_HEX];
	char			 id[REV_ID_LEN + 1];
	char			*bname = NULL, *hname = NULL, *title = NULL;
	struct repo_commit	*log = NULL;
	size_t			 nlog = 0;
	json_t			*j, *list;
	int			 rc;

	if ((rc = repo_resolve(r, q->base, base, err)) != 0 ||
	    (rc = repo_resolve(r, q->head, head, err)) != 0)
		return rc;
	if (strcmp(base, head) == 0)
		return gl_err_set(err, GL_EINVAL, "%s..%s is empty: both are "
		    "commit %.7s", q->base, q->head, base);
	bname = rev_name(r, q->base, base);
	hname = rev_name(r, q->head, head);
	if (q->title != NULL && *q->title != '\0')
		title = xstrdup(q->title);
	else if (repo_log(r, head, NULL, 1, &log, &nlog, NULL) == 0 &&
	    nlog == 1)
		title = xstrdup(log[0].summary);
	else
		title = xstrdup(hname);
	repo_log_free(log, nlog);
	if ((j = record(r, "review", NULL, err)) == NULL) {
		rc = err->code;
		goto out;
	}
	new_id(id);
	json_object_set_new(j, "id", json_string(id));
	json_object_set_new(j, "title", json_string(title));
	json_object_set_new(j, "base", json_string(bname));
	json_object_set_new(j, "head", json_string(hname));
	json_object_set_new(j, "base_commit", json_string(base));
	json_object_set_new(j, "head_commit", json_string(head));
	list = json_array();
	for (size_t i = 0; i < q->nreviewers; i++)
		json_array_append_new(list, json_string(q->reviewers[i]));
	json_object_set_new(j, "reviewers", list);
	if ((rc = append(r, head, j, err)) == 0 && out != NULL)
		memcpy(out, id, sizeof id);
out:
	free(bname);
	free(hname);
	free(title);
	return rc;
}

/* Lines l0..l1 (1-based) of text joined with "\n"; caller frees. */
static char *
lines_of(const char *text, size_t len, unsigned l0, unsigned l1)
{
	struct ldiff_lines	 l;
	struct gl_buf		 b;

	ldiff_lines_init(&l, text, len);
	gl_buf_init(&b);
	for (unsigned i = l0; i <= l1 && i <= l.n; i++) {
		size_t		 n;
		const char	*p = ldiff_line(&l, i - 1, &n);

		if (i > l0)
			gl_buf_addc(&b, '\n');
		gl_buf_add(&b, p, n);
	}
	ldiff_lines_fini(&l);
	if (b.data == NULL)
		gl_buf_adds(&b, "");
	return gl_buf_take(&b, NULL);
}

static size_t
count_lines(const char *text, size_t len)
{
	struct ldiff_lines	 l;
	size_t			 n;

	ldiff_lines_init(&l, text, len);
	n = l.n;
	ldiff_lines_fini(&l);
	return n;
}

int
rev_comment(struct repo *r, const struct rev_review *rv,
    const struct rev_comment_req *q, char *out, struct gl_err *err)
{
	char			 head[REPO_OID_HEX], where[80];
	char			 id[REV_ID_LEN + 1], *snap = NULL;
	struct ndiff_side	*side = NULL;
	const char		*text;
	size_t			 len, n;
	json_t			*j;
	int			 rc;

	if (q->body == NULL || *q->body == '\0')
		return gl_err_set(err, GL_EINVAL, "a comment needs a message "
		    "(-m)");
	if ((q->line0 == 0) != (q->line1 == 0) || q->line1 < q->line0)
		return gl_err_set(err, GL_EINVAL, "lines %u-%u are not a "
		    "range", q->line0, q->line1);
	if (q->cell == NULL && q->line0 == 0)
		return gl_err_set(err, GL_EINVAL, "comment on a cell (--cell) "
		    "or on lines (--lines)");
	if ((rc = rev_head(r, rv, head, err)) != 0)
		return rc;
	snprintf(where, sizeof where, "%s (%.7s)", rv->head, head);
	if ((rc = rev_side_at(r, head, q->path, &side, err)) != 0) {
		gl_err_prefix(err, "review %s", rv->id);
		return rc;
	}
	if ((rc = rev_side_text(side, q->path, q->cell, where, &text, &len,
	    NULL, err)) != 0)
		goto out;
	n = count_lines(text, len);
	if (q->line1 > n) {
		rc = gl_err_set(err, GL_ENOTFOUND, "%s%s%s has %zu line%s at "
		    "%s; no line %u", q->path, q->cell != NULL ? " cell " : "",
		    q->cell != NULL ? q->cell : "", n, n == 1 ? "" : "s",
		    where, q->line1);
		goto out;
	}
	snap = q->line0 > 0 ? lines_of(text, len, q->line0, q->line1) :
	    xstrndup(text, len);
	if ((j = record(r, "comment", rv->id, err)) == NULL) {
		rc = err->code;
		goto out;
	}
	new_id(id);
	json_object_set_new(j, "id", json_string(id));
	json_object_set_new(j, "commit", json_string(head));
	json_object_set_new(j, "path", json_string(q->path));
	if (q->cell != NULL)
		json_object_set_new(j, "cell", json_string(q->cell));
	if (q->line0 > 0)
		json_object_set_new(j, "lines", json_pack("[ii]",
		    (int)q->line0, (int)q->line1));
	json_object_set_new(j, "text", json_string(snap));
	json_object_set_new(j, "body", json_string(q->body));
	if (q->suggestion != NULL) {
		size_t	 sl = strlen(q->suggestion);

		/* Replacement lines, without a final newline. */
		if (sl > 0 && q->suggestion[sl - 1] == '\n')
			sl--;
		json_object_set_new(j, "suggestion",
		    json_stringn(q->suggestion, sl));
	}
	if ((rc = append(r, rv->anchor, j, err)) == 0 && out != NULL)
		memcpy(out, id, sizeof id);
out:
	free(snap);
	ndiff_side_free(side);
	return rc;
}

int
rev_reply(struct repo *r, const struct rev_review *rv,
    const struct rev_thread *t, const char *body, char *out,
    struct gl_err *err)
{
	char	 id[REV_ID_LEN + 1];
	json_t	*j;
	int	 rc;

	if (body == NULL || *body == '\0')
		return gl_err_set(err, GL_EINVAL, "a reply needs a message "
		    "(-m)");
	if ((j = record(r, "reply", rv->id, err)) == NULL)
		return err->code;
	new_id(id);
	json_object_set_new(j, "id", json_string(id));
	json_object_set_new(j, "thread", json_string(t->id));
	json_object_set_new(j, "body", json_string(body));
	if ((rc = append(r, rv->anchor, j, err)) == 0 && out != NULL)
		memcpy(out, id, sizeof id);
	return rc;
}

int
rev_resolve(struct repo *r, const struct rev_review *rv,
    const struct rev_thread *t, bool resolved, struct gl_err *err)
{
	json_t	*j;

	if ((j = record(r, "resolve", rv->id, err)) == NULL)
		return err->code;
	json_object_set_new(j, "thread", json_string(t->id));
	json_object_set_new(j, "resolved", json_boolean(resolved));
	return append(r, rv->anchor, j, err);
}

int
rev_give_verdict(struct repo *r, const struct rev_review *rv,
    enum rev_verdict v, const char *body, struct gl_err *err)
{
	char	 head[REPO_OID_HEX];
	json_t	*j;
	int	 rc;

	if (v != REV_APPROVE && v != REV_REQUEST_CHANGES)
		return gl_err_set(err, GL_EINVAL, "no such verdict");
	if ((rc = rev_head(r, rv, head, err)) != 0)
		return rc;
	if ((j = record(r, "verdict", rv->id, err)) == NULL)
		return err->code;
	json_object_set_new(j, "verdict", json_string(rev_verdict_name(v)));
	json_object_set_new(j, "commit", json_string(head));
	json_object_set_new(j, "body", json_string(body != NULL ? body : ""));
	return append(r, rv->anchor, j, err);
}

/* ------------------------------------------------------------------ */
/* Sync                                                                 */
/* ------------------------------------------------------------------ */

char *
rev_union(const char *ours, size_t ours_len, const char *theirs,
    size_t theirs_len, void *arg)
{
	struct slot {
		const char	*p;
		size_t		 n;
		uint64_t	 h;
	}		*seen;
	struct gl_buf	 b;
	size_t		 cap = 16, lines = 1;
	const char	*texts[2] = { ours, theirs };
	size_t		 lens[2] = { ours_len, theirs_len };

	for (int side = 0; side < 2; side++)
		for (size_t i = 0; i < lens[side]; i++)
			lines += texts[side][i] == '\n';
	while (cap < lines * 2)
		cap <<= 1;
	seen = xcalloc(cap, sizeof *seen);
	gl_buf_init(&b);
	/* Ours' lines as they are, then theirs' lines ours lacks. */
	for (int side = 0; side < 2; side++) {
		const char	*t = texts[side];
		size_t		 len = lens[side];

		for (size_t pos = 0; pos < len;) {
			const char	*nl = memchr(t + pos, '\n', len - pos);
			size_t		 end = nl != NULL ? (size_t)(nl - t) :
			    len, n = end - pos, i;
			uint64_t	 h = ldiff_hash(t + pos, n);
			bool		 dup = false;

			for (i = (size_t)h & (cap - 1); seen[i].p != NULL;
			    i = (i + 1) & (cap - 1))
				if (seen[i].h == h && seen[i].n == n &&
				    memcmp(seen[i].p, t + pos, n) == 0) {
					dup = true;
					break;
				}
			if (!dup && n > 0) {
				seen[i] = (struct slot){ t + pos, n, h };
				gl_buf_add(&b, t + pos, n);
				gl_buf_addc(&b, '\n');
			}
			pos = end + 1;
		}
	}
	free(seen);
	if (b.data == NULL)
		gl_buf_adds(&b, "");
	return gl_buf_take(&b, NULL);
}

int
rev_sync(struct repo *r, const char *remote, struct repo_sync *s,
    struct gl_err *err)
{
	return repo_notes_sync(r, remote, REV_NOTES_PREFIX, rev_union, NULL, s,
	    err);
}

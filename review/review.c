/*
 * review.c - reading reviews: records parsed from notes, reviews
 * assembled from them, lookups, JSON (see review.h, docs/review.md).
 *
 * Records are append-only and merged by union, so the notes of a review
 * are a set of lines with no order git can promise. Every record carries
 * its time ("at", UTC with milliseconds, so it sorts as text); records are
 * applied in (at, position) order: a reply joins its thread, a resolve
 * record sets its thread's state, and of one person's verdicts the latest
 * wins. A line that is not a valid record is skipped with a warning that
 * names the note's commit and the line; nothing else is lost. Unknown
 * fields are ignored, so later versions can add some; a higher "v" is
 * skipped (its meaning may have changed).
 */
#include "review/review.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/mem.h"

enum rec_type {
	REC_REVIEW,
	REC_COMMENT,
	REC_REPLY,
	REC_RESOLVE,
	REC_VERDICT,
};

/* A record as parsed, before assembly. */
struct rev_rec {
	enum rec_type	 type;
	json_t		*j;		/* owned */
	char		*anchor;	/* owned */
	size_t		 seq;		/* position, for ties */
	size_t		 line;		/* in its note */
};

static const char *const type_names[] = { "review", "comment", "reply",
	"resolve", "verdict" };

/* ------------------------------------------------------------------ */
/* Parsing records                                                      */
/* ------------------------------------------------------------------ */

struct rev_store *
rev_store_new(void)
{
	return xcalloc(1, sizeof(struct rev_store));
}

static void
warn(struct rev_store *s, const char *anchor, size_t line, const char *why)
{
	s->warnings = xrealloc(s->warnings, (s->nwarnings + 1) *
	    sizeof *s->warnings);
	s->warnings[s->nwarnings++] = xasprintf("%s: note on commit %.7s, "
	    "line %zu: %s; skipped", REV_NOTES_REF, anchor, line, why);
}

static const char *
str_field(json_t *j, const char *key)
{
	return json_string_value(json_object_get(j, key));
}

/* Checks that the string fields named in keys (NULL-terminated) are
 * present; returns the first missing, or NULL. */
static const char *
missing(json_t *j, const char *const *keys)
{
	for (size_t i = 0; keys[i] != NULL; i++)
		if (str_field(j, keys[i]) == NULL)
			return keys[i];
	return NULL;
}

/* Why j is not a valid record, or NULL; *type gets its type. */
static const char *
rec_check(json_t *j, enum rec_type *type, char *why, size_t whylen)
{
	static const char *const common[] = { "type", "at", "author", NULL };
	static const char *const need_review[] = { "id", "base", "head",
	    "base_commit", "head_commit", "title", NULL };
	static const char *const need_comment[] = { "id", "review", "commit",
	    "path", "body", NULL };
	static const char *const need_reply[] = { "id", "review", "thread",
	    "body", NULL };
	static const char *const need_resolve[] = { "review", "thread",
	    NULL };
	static const char *const need_verdict[] = { "review", "verdict",
	    "commit", NULL };
	static const char *const *const need[] = { need_review, need_comment,
	    need_reply, need_resolve, need_verdict };
	const char	*t, *m;
	json_t		*v, *lines;
	size_t		 k;

	if (!json_is_object(j))
		return "not a JSON object";
	v = json_object_get(j, "v");
	if (!json_is_integer(v))
		return "no version (\"v\")";
	if (json_integer_value(v) > REV_VERSION) {
		snprintf(why, whylen, "record version %lld is newer than "
		    "this galley's (%d)", (long long)json_integer_value(v),
		    REV_VERSION);
		return why;
	}
	if ((m = missing(j, common)) != NULL) {
		snprintf(why, whylen, "no \"%s\"", m);
		return why;
	}
	t = str_field(j, "type");
	for (k = 0; k < sizeof type_names / sizeof *type_names; k++)
		if (strcmp(t, type_names[k]) == 0)
			break;
	if (k == sizeof type_names / sizeof *type_names) {
		snprintf(why, whylen, "unknown record type \"%.40s\"", t);
		return why;
	}
	*type = (enum rec_type)k;
	if ((m = missing(j, need[k])) != NULL) {
		snprintf(why, whylen, "%s record without \"%s\"", t, m);
		return why;
	}
	switch (*type) {
	case REC_REVIEW:
		if ((v = json_object_get(j, "reviewers")) != NULL) {
			json_t	*x;
			size_t	 i;

			if (!json_is_array(v))
				return "reviewers is not a list";
			json_array_foreach(v, i, x)
				if (!json_is_string(x))
					return "a reviewer is not a string";
		}
		break;
	case REC_COMMENT:
		if ((lines = json_object_get(j, "lines")) != NULL) {
			json_t	*a = json_array_get(lines, 0);
			json_t	*b = json_array_get(lines, 1);

			if (!json_is_array(lines) ||
			    json_array_size(lines) != 2 ||
			    !json_is_integer(a) || !json_is_integer(b) ||
			    json_integer_value(a) < 1 ||
			    json_integer_value(b) < json_integer_value(a) ||
			    json_integer_value(b) > 10000000)
				return "lines is not [first, last]";
		}
		if ((v = json_object_get(j, "cell")) != NULL &&
		    !json_is_string(v))
			return "cell is not a string";
		if ((v = json_object_get(j, "text")) != NULL &&
		    !json_is_string(v))
			return "text is not a string";
		if ((v = json_object_get(j, "suggestion")) != NULL &&
		    !json_is_string(v))
			return "suggestion is not a string";
		break;
	case REC_RESOLVE:
		if (!json_is_boolean(json_object_get(j, "resolved")))
			return "resolve record without \"resolved\": true or "
			    "false";
		break;
	case REC_VERDICT:
		t = str_field(j, "verdict");
		if (strcmp(t, "approve") != 0 &&
		    strcmp(t, "request-changes") != 0)
			return "verdict is not approve or request-changes";
		break;
	case REC_REPLY:
		break;
	}
	return NULL;
}

void
rev_store_add_note(struct rev_store *s, const char *anchor, const char *text,
    size_t len)
{
	size_t	 lineno = 0;

	for (size_t pos = 0; pos < len;) {
		const char	*nl = memchr(text + pos, '\n', len - pos);
		size_t		 end = nl != NULL ? (size_t)(nl - text) : len;
		json_error_t	 je;
		json_t		*j;
		enum rec_type	 type = REC_REVIEW;
		const char	*why;
		char		 whybuf[160];
		bool		 blank = true;

		lineno++;
		for (size_t i = pos; i < end; i++)
			if (text[i] != ' ' && text[i] != '\t' &&
			    text[i] != '\r')
				blank = false;
		if (blank) {
			pos = end + 1;
			continue;
		}
		j = json_loadb(text + pos, end - pos, JSON_REJECT_DUPLICATES,
		    &je);
		if (j == NULL) {
			snprintf(whybuf, sizeof whybuf, "not JSON (%.100s)",
			    je.text);
			warn(s, anchor, lineno, whybuf);
		} else if ((why = rec_check(j, &type, whybuf,
		    sizeof whybuf)) != NULL) {
			warn(s, anchor, lineno, why);
			json_decref(j);
		} else {
			if (s->nrecs == s->caprecs) {
				s->caprecs = s->caprecs ? s->caprecs * 2 : 32;
				s->recs = xrealloc(s->recs, s->caprecs *
				    sizeof *s->recs);
			}
			s->recs[s->nrecs] = (struct rev_rec){ type, j,
			    xstrdup(anchor), s->nrecs, lineno };
			s->nrecs++;
		}
		pos = end + 1;
	}
}

/* ------------------------------------------------------------------ */
/* Assembly                                                             */
/* ------------------------------------------------------------------ */

static int
rec_cmp(const void *x, const void *y)
{
	const struct rev_rec	*a = x, *b = y;
	int			 c = strcmp(str_field(a->j, "at"),
	    str_field(b->j, "at"));

	if (c != 0)
		return c;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static char *
dup_field(json_t *j, const char *key)
{
	const char	*s = str_field(j, key);

	return s != NULL ? xstrdup(s) : NULL;
}

static struct rev_review *
review_by_id(struct rev_store *s, const char *id)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->reviews[i].id, id) == 0)
			return &s->reviews[i];
	return NULL;
}

static struct rev_thread *
thread_by_id(struct rev_review *rv, const char *id)
{
	for (size_t i = 0; i < rv->nthreads; i++)
		if (strcmp(rv->threads[i].id, id) == 0)
			return &rv->threads[i];
	return NULL;
}

static bool
reply_seen(const struct rev_thread *t, const char *id)
{
	for (size_t i = 0; i < t->nreplies; i++)
		if (strcmp(t->replies[i].id, id) == 0)
			return true;
	return false;
}

static void
add_review(struct rev_store *s, const struct rev_rec *r)
{
	struct rev_review	*rv;
	json_t			*list = json_object_get(r->j, "reviewers"), *x;
	size_t			 i;

	if (review_by_id(s, str_field(r->j, "id")) != NULL)
		return;		/* the first start record counts */
	s->reviews = xrealloc(s->reviews, (s->n + 1) * sizeof *s->reviews);
	rv = &s->reviews[s->n++];
	memset(rv, 0, sizeof *rv);
	rv->id = dup_field(r->j, "id");
	rv->title = dup_field(r->j, "title");
	rv->author = dup_field(r->j, "author");
	rv->at = dup_field(r->j, "at");
	rv->base = dup_field(r->j, "base");
	rv->head = dup_field(r->j, "head");
	rv->base_commit = dup_field(r->j, "base_commit");
	rv->head_commit = dup_field(r->j, "head_commit");
	rv->anchor = xstrdup(r->anchor);
	if (json_is_array(list)) {
		rv->reviewers = xcalloc(json_array_size(list) + 1,
		    sizeof *rv->reviewers);
		json_array_foreach(list, i, x)
			rv->reviewers[rv->nreviewers++] =
			    xstrdup(json_string_value(x));
	}
}

static void
add_comment(struct rev_review *rv, const struct rev_rec *r)
{
	struct rev_thread	*t;
	json_t			*lines = json_object_get(r->j, "lines");

	if (thread_by_id(rv, str_field(r->j, "id")) != NULL)
		return;
	rv->threads = xrealloc(rv->threads, (rv->nthreads + 1) *
	    sizeof *rv->threads);
	t = &rv->threads[rv->nthreads++];
	memset(t, 0, sizeof *t);
	t->id = dup_field(r->j, "id");
	t->author = dup_field(r->j, "author");
	t->at = dup_field(r->j, "at");
	t->body = dup_field(r->j, "body");
	t->commit = dup_field(r->j, "commit");
	t->path = dup_field(r->j, "path");
	t->cell = dup_field(r->j, "cell");
	t->text = dup_field(r->j, "text");
	if (t->text == NULL)
		t->text = xstrdup("");
	t->suggestion = dup_field(r->j, "suggestion");
	if (lines != NULL) {
		t->line0 = (unsigned)json_integer_value(json_array_get(lines,
		    0));
		t->line1 = (unsigned)json_integer_value(json_array_get(lines,
		    1));
	}
}

static void
add_verdict(struct rev_review *rv, const struct rev_rec *r)
{
	const char		*who = str_field(r->j, "author");
	struct rev_verdict_of	*v = NULL;

	for (size_t i = 0; i < rv->nverdicts; i++)
		if (strcmp(rv->verdicts[i].author, who) == 0)
			v = &rv->verdicts[i];
	if (v == NULL) {
		rv->verdicts = xrealloc(rv->verdicts, (rv->nverdicts + 1) *
		    sizeof *rv->verdicts);
		v = &rv->verdicts[rv->nverdicts++];
		memset(v, 0, sizeof *v);
		v->author = xstrdup(who);
	}
	free(v->at);
	free(v->commit);
	free(v->body);
	v->verdict = strcmp(str_field(r->j, "verdict"), "approve") == 0 ?
	    REV_APPROVE : REV_REQUEST_CHANGES;
	v->at = dup_field(r->j, "at");
	v->commit = dup_field(r->j, "commit");
	v->body = dup_field(r->j, "body");
	if (v->body == NULL)
		v->body = xstrdup("");
}

void
rev_store_finish(struct rev_store *s)
{
	if (s->nrecs > 0)
		qsort(s->recs, s->nrecs, sizeof *s->recs, rec_cmp);
	for (size_t i = 0; i < s->nrecs; i++)
		if (s->recs[i].type == REC_REVIEW)
			add_review(s, &s->recs[i]);
	for (size_t i = 0; i < s->nrecs; i++) {
		const struct rev_rec	*r = &s->recs[i];
		struct rev_review	*rv;
		struct rev_thread	*t = NULL;
		char			 why[200];

		if (r->type == REC_REVIEW)
			continue;
		if ((rv = review_by_id(s, str_field(r->j, "review"))) ==
		    NULL) {
			snprintf(why, sizeof why, "a %s of review %.20s, which "
			    "has no start record", type_names[r->type],
			    str_field(r->j, "review"));
			warn(s, r->anchor, r->line, why);
			continue;
		}
		if (r->type == REC_REPLY || r->type == REC_RESOLVE) {
			if ((t = thread_by_id(rv, str_field(r->j,
			    "thread"))) == NULL) {
				snprintf(why, sizeof why, "a %s of thread "
				    "%.20s, which is not in review %s",
				    type_names[r->type], str_field(r->j,
				    "thread"), rv->id);
				warn(s, r->anchor, r->line, why);
				continue;
			}
		}
		switch (r->type) {
		case REC_COMMENT:
			add_comment(rv, r);
			break;
		case REC_REPLY:
			if (reply_seen(t, str_field(r->j, "id")))
				break;	/* the same record twice */
			t->replies = xrealloc(t->replies, (t->nreplies + 1) *
			    sizeof *t->replies);
			t->replies[t->nreplies++] = (struct rev_reply){
			    dup_field(r->j, "id"), dup_field(r->j, "author"),
			    dup_field(r->j, "at"), dup_field(r->j, "body") };
			break;
		case REC_RESOLVE:
			t->resolved = json_is_true(json_object_get(r->j,
			    "resolved"));
			free(t->resolved_by);
			t->resolved_by = dup_field(r->j, "author");
			break;
		case REC_VERDICT:
			add_verdict(rv, r);
			break;
		case REC_REVIEW:
			break;
		}
	}
	for (size_t i = 0; i < s->nrecs; i++) {
		json_decref(s->recs[i].j);
		free(s->recs[i].anchor);
	}
	free(s->recs);
	s->recs = NULL;
	s->nrecs = s->caprecs = 0;
}

static void
thread_free(struct rev_thread *t)
{
	free(t->id);
	free(t->author);
	free(t->at);
	free(t->body);
	free(t->commit);
	free(t->path);
	free(t->cell);
	free(t->text);
	free(t->suggestion);
	free(t->resolved_by);
	for (size_t i = 0; i < t->nreplies; i++) {
		free(t->replies[i].id);
		free(t->replies[i].author);
		free(t->replies[i].at);
		free(t->replies[i].body);
	}
	free(t->replies);
}

void
rev_store_free(struct rev_store *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->n; i++) {
		struct rev_review	*rv = &s->reviews[i];

		free(rv->id);
		free(rv->title);
		free(rv->author);
		free(rv->at);
		free(rv->base);
		free(rv->head);
		free(rv->base_commit);
		free(rv->head_commit);
		free(rv->anchor);
		for (size_t k = 0; k < rv->nreviewers; k++)
			free(rv->reviewers[k]);
		free(rv->reviewers);
		for (size_t k = 0; k < rv->nthreads; k++)
			thread_free(&rv->threads[k]);
		free(rv->threads);
		for (size_t k = 0; k < rv->nverdicts; k++) {
			free(rv->verdicts[k].author);
			free(rv->verdicts[k].at);
			free(rv->verdicts[k].commit);
			free(rv->verdicts[k].body);
		}
		free(rv->verdicts);
	}
	free(s->reviews);
	for (size_t i = 0; i < s->nwarnings; i++)
		free(s->warnings[i]);
	free(s->warnings);
	for (size_t i = 0; i < s->nrecs; i++) {
		json_decref(s->recs[i].j);
		free(s->recs[i].anchor);
	}
	free(s->recs);
	free(s);
}

static int
on_note(const char *oid, const char *text, size_t len, void *arg)
{
	rev_store_add_note(arg, oid, text, len);
	return 0;
}

int
rev_store_load(struct repo *r, struct rev_store **out, struct gl_err *err)
{
	struct rev_store	*s = rev_store_new();
	int			 rc;

	*out = NULL;
	if ((rc = repo_notes_foreach(r, REV_NOTES_REF, on_note, s,
	    err)) != 0) {
		rev_store_free(s);
		return rc;
	}
	rev_store_finish(s);
	*out = s;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Lookups and state                                                    */
/* ------------------------------------------------------------------ */

struct rev_review *
rev_find(struct rev_store *s, struct repo *r, const char *id,
    struct gl_err *err)
{
	struct rev_review	*found = NULL;
	char			*branch = NULL, head[REPO_OID_HEX];
	size_t			 n = 0;

	if (id != NULL) {
		size_t	 len = strlen(id);

		for (size_t i = 0; i < s->n; i++)
			if (len > 0 && strncmp(s->reviews[i].id, id, len) ==
			    0) {
				found = &s->reviews[i];
				n++;
			}
		if (n == 1)
			return found;
		gl_err_set(err, n == 0 ? GL_ENOTFOUND : GL_EINVAL, n == 0 ?
		    "no review %s (galley review list shows them)" :
		    "review id %s is ambiguous: give more of it", id);
		return NULL;
	}
	/* The newest review of the current branch, open ones first. */
	if (repo_head_branch(r, &branch, NULL) != 0)
		branch = NULL;
	if (repo_resolve(r, "HEAD", head, NULL) != 0)
		head[0] = '\0';
	for (int pass = 0; pass < 2 && found == NULL; pass++)
		for (size_t i = s->n; i-- > 0 && found == NULL;) {
			struct rev_review	*rv = &s->reviews[i];
			bool			 mine;

			mine = (branch != NULL && strcmp(rv->head, branch) ==
			    0) || strcmp(rv->head_commit, head) == 0;
			if (mine && (pass == 1 ||
			    strcmp(rev_status(rv), "approved") != 0))
				found = rv;
		}
	if (found == NULL)
		gl_err_set(err, GL_ENOTFOUND, "no review of %s yet (galley "
		    "review start BASE..%s starts one)", branch != NULL ?
		    branch : "HEAD", branch != NULL ? branch : "HEAD");
	free(branch);
	return found;
}

struct rev_thread *
rev_find_thread(struct rev_store *s, const char *id, struct rev_review **rv,
    struct gl_err *err)
{
	struct rev_thread	*found = NULL;
	size_t			 n = 0, len = strlen(id);

	*rv = NULL;
	for (size_t i = 0; i < s->n; i++)
		for (size_t k = 0; k < s->reviews[i].nthreads; k++)
			if (len > 0 && strncmp(s->reviews[i].threads[k].id, id,
			    len) == 0) {
				found = &s->reviews[i].threads[k];
				*rv = &s->reviews[i];
				n++;
			}
	if (n == 1)
		return found;
	*rv = NULL;
	gl_err_set(err, n == 0 ? GL_ENOTFOUND : GL_EINVAL, n == 0 ?
	    "no comment thread %s (galley review show lists them)" :
	    "thread id %s is ambiguous: give more of it", id);
	return NULL;
}

static int
resolve_or(struct repo *r, const char *name, const char *fallback,
    char out[REPO_OID_HEX], struct gl_err *err)
{
	if (repo_resolve(r, name, out, NULL) == 0)
		return 0;
	if (repo_resolve(r, fallback, out, NULL) == 0)
		return 0;
	return gl_err_set(err, GL_ENOTFOUND, "neither %s nor commit %.7s is "
	    "in this repository (fetch them?)", name, fallback);
}

int
rev_head(struct repo *r, const struct rev_review *rv, char out[REPO_OID_HEX],
    struct gl_err *err)
{
	return resolve_or(r, rv->head, rv->head_commit, out, err);
}

int
rev_base(struct repo *r, const struct rev_review *rv, char out[REPO_OID_HEX],
    struct gl_err *err)
{
	return resolve_or(r, rv->base, rv->base_commit, out, err);
}

size_t
rev_open_threads(const struct rev_review *rv)
{
	size_t	 n = 0;

	for (size_t i = 0; i < rv->nthreads; i++)
		n += !rv->threads[i].resolved;
	return n;
}

const char *
rev_status(const struct rev_review *rv)
{
	bool	 approved = false;

	for (size_t i = 0; i < rv->nverdicts; i++) {
		if (rv->verdicts[i].verdict == REV_REQUEST_CHANGES)
			return "changes-requested";
		if (rv->verdicts[i].verdict == REV_APPROVE)
			approved = true;
	}
	return approved ? "approved" : "open";
}

const char *
rev_verdict_name(enum rev_verdict v)
{
	switch (v) {
	case REV_APPROVE:
		return "approve";
	case REV_REQUEST_CHANGES:
		return "request-changes";
	case REV_NO_VERDICT:
		break;
	}
	return "";
}

/* ------------------------------------------------------------------ */
/* JSON                                                                 */
/* ------------------------------------------------------------------ */

static json_t *
jstr_or_null(const char *s)
{
	return s != NULL ? json_string(s) : json_null();
}

static const char *const where_names[] = { "unknown", "current", "outdated",
	"gone" };

json_t *
rev_thread_json(const struct rev_thread *t)
{
	json_t	*o = json_object(), *replies = json_array(), *pos;

	json_object_set_new(o, "id", json_string(t->id));
	json_object_set_new(o, "author", json_string(t->author));
	json_object_set_new(o, "at", json_string(t->at));
	json_object_set_new(o, "path", json_string(t->path));
	json_object_set_new(o, "cell", jstr_or_null(t->cell));
	json_object_set_new(o, "lines", t->line0 > 0 ? json_pack("[ii]",
	    (int)t->line0, (int)t->line1) : json_null());
	json_object_set_new(o, "commit", json_string(t->commit));
	json_object_set_new(o, "text", json_string(t->text));
	json_object_set_new(o, "body", json_string(t->body));
	json_object_set_new(o, "suggestion", jstr_or_null(t->suggestion));
	json_object_set_new(o, "resolved", json_boolean(t->resolved));
	for (size_t i = 0; i < t->nreplies; i++)
		json_array_append_new(replies, json_pack("{s:s,s:s,s:s,s:s}",
		    "id", t->replies[i].id, "author", t->replies[i].author,
		    "at", t->replies[i].at, "body", t->replies[i].body));
	json_object_set_new(o, "replies", replies);
	pos = json_object();
	json_object_set_new(pos, "status", json_string(where_names[t->where]));
	if (t->where == REV_CURRENT && t->line0 > 0)
		json_object_set_new(pos, "lines", json_pack("[ii]",
		    (int)t->now0, (int)t->now1));
	if (t->where == REV_CURRENT || t->where == REV_OUTDATED) {
		if (t->cell != NULL)
			json_object_set_new(pos, "cell_index",
			    json_integer((json_int_t)t->cell_index));
		json_object_set_new(pos, "moved", json_boolean(t->moved));
	}
	if (t->suggestion != NULL)
		json_object_set_new(pos, "applied", json_boolean(t->applied));
	json_object_set_new(o, "position", pos);
	return o;
}

json_t *
rev_review_json(const struct rev_review *rv, bool threads)
{
	json_t	*o = json_object(), *a;

	json_object_set_new(o, "id", json_string(rv->id));
	json_object_set_new(o, "title", json_string(rv->title));
	json_object_set_new(o, "author", json_string(rv->author));
	json_object_set_new(o, "at", json_string(rv->at));
	json_object_set_new(o, "base", json_string(rv->base));
	json_object_set_new(o, "head", json_string(rv->head));
	json_object_set_new(o, "base_commit", json_string(rv->base_commit));
	json_object_set_new(o, "head_commit", json_string(rv->head_commit));
	json_object_set_new(o, "anchor", json_string(rv->anchor));
	a = json_array();
	for (size_t i = 0; i < rv->nreviewers; i++)
		json_array_append_new(a, json_string(rv->reviewers[i]));
	json_object_set_new(o, "reviewers", a);
	a = json_array();
	for (size_t i = 0; i < rv->nverdicts; i++)
		json_array_append_new(a, json_pack("{s:s,s:s,s:s,s:s,s:s}",
		    "author", rv->verdicts[i].author, "verdict",
		    rev_verdict_name(rv->verdicts[i].verdict), "at",
		    rv->verdicts[i].at, "commit", rv->verdicts[i].commit,
		    "body", rv->verdicts[i].body));
	json_object_set_new(o, "verdicts", a);
	json_object_set_new(o, "status", json_string(rev_status(rv)));
	json_object_set_new(o, "threads_open",
	    json_integer((json_int_t)rev_open_threads(rv)));
	json_object_set_new(o, "threads_total",
	    json_integer((json_int_t)rv->nthreads));
	if (threads) {
		a = json_array();
		for (size_t i = 0; i < rv->nthreads; i++)
			json_array_append_new(a,
			    rev_thread_json(&rv->threads[i]));
		json_object_set_new(o, "threads", a);
	}
	return o;
}

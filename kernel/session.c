/*
 * session.c - sessions (kernel/session.h): their set and lifecycle.
 *
 * A session is one open notebook. File sessions are shared: opening the
 * same absolute path again joins the session. They stay open, runtime
 * alive, after their last client leaves, until the kernel exits (so a
 * client can come back to its variables). Ephemeral sessions belong to
 * the connection that opened them and end when it detaches or goes away.
 *
 * The files of the family: this one (the set of sessions, open, attach,
 * list, close, the clients); session-doc.c (the document, edits, journal,
 * save); session-run.c (the run queue and the runtime); session-out.c
 * (outputs). kernel/session_int.h is what they share.
 */
#include "kernel/session.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <uv.h>

#include "core/err.h"
#include "core/mem.h"
#include "core/notebook.h"
#include "core/ot.h"
#include "core/paths.h"
#include "core/rpc.h"
#include "core/util.h"
#include "kernel/log.h"
#include "kernel/req.h"
#include "kernel/rth.h"
#include "kernel/session_int.h"
#include "kernel/store.h"
#include "lua/plugin.h"

static struct sess *sess_find_path(struct sess_set *ss, const char *path);
static struct sess *sess_find_client_file(struct sess_set *ss,
		     const char *member, const char *label);
static int	 sess_store_attach_client(struct sess_set *ss,
		     struct sess *s, const char *member, struct gl_err *err);
static void	 sess_attach(struct sess *s, struct req_client *c);
static void	 sess_unlink_client(struct sess *s, struct req_client *c);
static void	 sess_detach(struct sess *s, struct req_client *c);
static void	 sess_close(struct sess *s);
static void	 sess_on_rt_closed(void *ctx);
static void	 sess_free(struct sess *s);
static int	 sess_store_attach(struct sess_set *ss, struct sess *s,
		     char **warning, struct gl_err *err);
static int	 sess_store_get(struct sess_set *ss, const char *project,
		     const char *db, struct store **out, struct gl_err *err);
static void	 sess_reply_state(struct req *r, struct sess *s,
		     size_t recovered, char **warnings, size_t nwarnings);
static int	 sess_edit_arg(struct req *r, const char **tag, size_t *len,
		     struct gl_err *err);
static void	 sess_on_hash(void *arg);

/* A notebook at least this big is hashed on a thread of its own while it
 * parses: BLAKE2b of 100 MB takes half as long as parsing it. */
#define SESS_HASH_THREAD_MIN	((size_t)4 << 20)

/* The hash of a notebook's bytes, made beside the parse. */
struct sess_hash_job {
	const char	*bytes;		/* borrowed */
	size_t		 len;
	char		 hex[GL_HASH_HEX];
};

/* session.open {path, text?, ephemeral?, client_file?} */
int
sess_rpc_open(struct sess_set *ss, struct req *r, struct gl_err *err)
{
	struct sess	*s = NULL, *old;
	char		*path = NULL, *abs = NULL, *bytes = NULL;
	char		*warnings[4] = { NULL, NULL, NULL, NULL };
	char		**all;
	const char	*text, *tag;
	size_t		 tlen = 0, len = 0, nwarn = 0, ntemp, recovered = 0;
	size_t		 taglen, nall;
	bool		 ephemeral, client_file;
	struct nb_doc	*doc = NULL;
	struct plg_result hr = { 0 };
	struct sess_hash_job hj;
	uv_thread_t	 hth;
	bool		 hthread;
	int		 rc;

	if ((rc = sess_edit_arg(r, &tag, &taglen, err)) != 0)
		goto fail;
	path = rpc_map_strdup(r->args, "path");
	text = rpc_map_str(r->args, "text", &tlen);
	ephemeral = rpc_map_bool(r->args, "ephemeral", false);
	client_file = rpc_map_bool(r->args, "client_file", false);
	if (client_file && (path == NULL || text == NULL || ephemeral ||
	    path[0] == '\0')) {
		rc = gl_err_set(err, GL_EINVAL, "session.open: client_file "
		    "wants {path: a label, text}, and is not ephemeral");
		goto fail;
	}
	if (client_file) {
		/* The file is the client's: path only names it. */
		abs = path;
		path = NULL;
		old = sess_find_client_file(ss, req_client_user(r->client),
		    abs);
		if (old != NULL) {
			/* A client back after its link dropped: the live
			 * session is the truth (its unsaved edits). */
			sess_attach(old, r->client);
			sess_reply_state(r, old, 0, NULL, 0);
			free(abs);
			return 0;
		}
		bytes = xstrndup(text, tlen);
		len = tlen;
		goto parse;
	}
	if (path == NULL && (!ephemeral || text == NULL)) {
		rc = gl_err_set(err, GL_EINVAL,
		    "session.open: path is required (text alone only with "
		    "ephemeral: true)");
		goto fail;
	}
	if (path != NULL && (abs = gl_path_abs(path, err)) == NULL) {
		rc = err != NULL ? err->code : GL_ENOTFOUND;
		goto fail;
	}
	if (!ephemeral && (old = sess_find_path(ss, abs)) != NULL) {
		if (text != NULL) {
			rc = gl_err_set(err, GL_EEXIST, "%s is open already: "
			    "open it without text", abs);
			goto fail;
		}
		if ((rc = sess_hook_join(ss, old, abs, r, &hr, err)) != 0)
			goto fail;
		sess_attach(old, r->client);
		sess_reply_state(r, old, 0, hr.warnings, hr.nwarnings);
		plg_result_fini(&hr);
		free(path);
		free(abs);
		return 0;
	}
	if ((rc = sess_hook_join(ss, NULL, abs, r, &hr, err)) != 0)
		goto fail;
	if (text != NULL && ephemeral) {
		bytes = xstrndup(text, tlen);
		len = tlen;
	} else {
		rc = gl_file_read_regular(abs, &bytes, &len, err);
		if (rc == GL_ENOTFOUND && text != NULL) {
			/* A new notebook: nothing on disk until doc.save. */
			gl_err_clear(err);
			bytes = xstrndup(text, tlen);
			len = tlen;
		} else if (rc != 0) {
			goto fail;
		} else if (text != NULL) {
			rc = gl_err_set(err, GL_EEXIST,
			    "%s already exists: open it without text", abs);
			goto fail;
		}
	}
parse:
	hj.bytes = bytes;
	hj.len = len;
	hthread = len >= SESS_HASH_THREAD_MIN &&
	    uv_thread_create(&hth, sess_on_hash, &hj) == 0;
	rc = nb_parse(bytes, len, abs != NULL ? abs : "<text>", &doc, err);
	if (hthread)
		uv_thread_join(&hth);
	else if (rc == 0)
		sess_on_hash(&hj);
	if (rc != 0)
		goto fail;
	(void)nb_doc_assign_ids(doc);

	s = xcalloc(1, sizeof *s);
	s->set = ss;
	snprintf(s->id, sizeof s->id, "s%" PRIu64, ++ss->next_sess);
	s->path = abs;
	abs = NULL;
	s->ephemeral = ephemeral;
	s->doc = doc;
	doc = NULL;
	s->next_run = 1;
	s->on_disk = text == NULL || ephemeral || client_file;
	s->client_file = client_file;
	memcpy(s->base_hash, hj.hex, sizeof s->base_hash);
	if (!ephemeral) {
		s->base_text = bytes;
		s->base_len = len;
		bytes = NULL;
	}
	if (s->path != NULL && !client_file) {
		char *slash = strrchr(s->path, '/');

		s->dir = xstrndup(s->path, slash == s->path ? 1 :
		    (size_t)(slash - s->path));
		s->chunk = xasprintf("@%s", slash + 1);
	} else {
		char cwd[4096];

		s->dir = xstrdup(getcwd(cwd, sizeof cwd) != NULL ? cwd : "/");
		s->chunk = xstrdup("@notebook");
		if (client_file) {
			const char *slash = strrchr(s->path, '/');

			free(s->chunk);
			s->chunk = xasprintf("@%s", slash != NULL ? slash + 1 :
			    s->path);
		}
	}
	if (ephemeral)
		s->owner = r->client;
	else {
		if (client_file)
			rc = sess_store_attach_client(ss, s,
			    req_client_user(r->client), err);
		else
			rc = sess_store_attach(ss, s, &warnings[nwarn], err);
		if (rc != 0)
			goto fail;
		if (warnings[nwarn] != NULL)
			nwarn++;

		if (s->on_disk && !client_file &&
		    (ntemp = gl_file_clean_temps(s->path)) > 0)
			log_info("%s: removed %zu temporary file%s a killed "
			    "save of %s left", s->id, ntemp, ntemp == 1 ? "" :
			    "s", s->path);

		if ((rc = sess_file_recover(s, warnings, &nwarn, &recovered,
		    err)) != 0)
			goto fail;
		if ((rc = store_outputs_load(s->store, s->key,
		    sess_load_output, s, err)) != 0)
			goto fail;
		sess_outs_sweep(s);
	}
	if (ss->nsessions == ss->capsessions) {
		ss->capsessions = ss->capsessions ? 2 * ss->capsessions : 8;
		ss->sessions = xrealloc(ss->sessions,
		    ss->capsessions * sizeof *ss->sessions);
	}
	ss->sessions[ss->nsessions++] = s;
	sess_file_watch(s);
	sess_attach(s, r->client);
	log_info("%s: opened %s%s (client %" PRIu64 ")", s->id,
	    s->path != NULL ? s->path : "<text>",
	    ephemeral ? " (ephemeral)" : "", r->client->id);
	all = sess_hook_warnings(&hr, warnings, nwarn, &nall);
	sess_reply_state(r, s, recovered, all, nall);
	plg_result_fini(&hr);
	for (size_t i = 0; i < nwarn; i++)
		free(warnings[i]);
	free(bytes);
	free(path);
	return 0;
fail:
	plg_result_fini(&hr);
	for (size_t i = 0; i < nwarn; i++)
		free(warnings[i]);
	if (s != NULL)
		sess_free(s);
	nb_doc_free(doc);
	free(bytes);
	free(abs);
	free(path);
	return rc;
}

/* The hash of the bytes a session is parsed from (its base_hash). */
static void
sess_on_hash(void *arg)
{
	struct sess_hash_job *j = arg;

	gl_hash_hex(j->bytes, j->len, j->hex);
}

/* session.attach {session}: joins a file session by id. */
int
sess_rpc_attach(struct sess_set *ss, struct req *r, struct gl_err *err)
{
	struct sess	*s;
	struct plg_result hr = { 0 };
	const char	*tag;
	size_t		 len;

	if (sess_edit_arg(r, &tag, &len, err) != 0)
		return err->code;
	if ((s = sess_get(ss, r, false, err)) == NULL)
		return err->code;
	if (s->ephemeral && s->owner != r->client)
		return gl_err_set(err, GL_EPERM,
		    "session %s is private to the client that opened it",
		    s->id);
	if (sess_hook_join(ss, s, s->path, r, &hr, err) != 0) {
		plg_result_fini(&hr);
		return err->code;
	}
	sess_attach(s, r->client);
	sess_reply_state(r, s, 0, hr.warnings, hr.nwarnings);
	plg_result_fini(&hr);
	return 0;
}

/* session.list {} */
int
sess_rpc_list(struct sess_set *ss, struct req *r, struct gl_err *err)
{
	msgpack_packer	*pk;
	size_t		 n = 0, queued;

	for (size_t i = 0; i < ss->nsessions; i++) {
		struct sess *s = ss->sessions[i];

		if (!s->ephemeral || s->owner == r->client)
			n++;
	}
	pk = req_reply_begin(r);
	msgpack_pack_array(pk, n);
	for (size_t i = 0; i < ss->nsessions; i++) {
		struct sess	*s = ss->sessions[i];
		bool		 attached = false;

		if (s->ephemeral && s->owner != r->client)
			continue;
		queued = 0;
		for (struct sess_run *q = s->shead; q != NULL; q = q->next)
			queued++;
		for (struct sess_run *q = s->qhead; q != NULL; q = q->next)
			queued++;
		for (size_t j = 0; j < s->nclients; j++)
			attached |= s->clients[j] == r->client;
		msgpack_pack_map(pk, 12);
		rpc_pack_kv_str(pk, "session", s->id);
		rpc_pack_kv_str(pk, "path", s->path);
		rpc_pack_kv_bool(pk, "ephemeral", s->ephemeral);
		rpc_pack_kv_int(pk, "clients", (int64_t)s->nclients);
		rpc_pack_kv_str(pk, "runtime", sess_runtime_state(s));
		rpc_pack_kv_int(pk, "runtime_pid",
		    s->rt == NULL ? 0 : rth_pid(s->rt));
		rpc_pack_kv_int(pk, "version", (int64_t)s->version);
		rpc_pack_kv_bool(pk, "dirty", s->version != s->saved_version);
		rpc_pack_kv_bool(pk, "attached", attached);
		rpc_pack_key(pk, "running");
		if (s->cur != NULL)
			rpc_pack_str(pk, s->cur->cell);
		else
			msgpack_pack_nil(pk);
		rpc_pack_kv_int(pk, "queued", (int64_t)queued);
		rpc_pack_kv_bool(pk, "held", s->held);
	}
	req_reply_end(r);
	return 0;
}

/* session.close {session}: detaches this client. */
int
sess_rpc_close(struct sess_set *ss, struct req *r, struct gl_err *err)
{
	struct sess *s;

	if ((s = sess_get(ss, r, true, err)) == NULL)
		return err->code;
	sess_detach(s, r->client);
	return 0;
}

struct sess_set *
sess_set_new(const struct sess_host *host)
{
	struct sess_set *ss = xcalloc(1, sizeof *ss);

	ss->host = *host;
	rpc_writer_init(&ss->note);
	msgpack_sbuffer_init(&ss->ack_bytes);
	return ss;
}

void
sess_set_close(struct sess_set *ss)
{
	sess_set_flush(ss);
	if (ss->batch_check_on && !ss->batch_check_closed) {
		uv_close((uv_handle_t *)&ss->batch_check, NULL);
		ss->batch_check_closed = true;
	}
	while (ss->nsessions > 0)
		sess_close(ss->sessions[ss->nsessions - 1]);
	for (size_t i = 0; i < ss->nstores; i++)
		store_unref(ss->stores[i], __func__);
	ss->nstores = 0;
}

void
sess_set_free(struct sess_set *ss)
{
	if (ss == NULL)
		return;
	sess_git_release(ss);
	rpc_writer_fini(&ss->note);
	msgpack_sbuffer_destroy(&ss->ack_bytes);
	free(ss->acks);
	free(ss->sessions);
	free(ss->stores);
	free(ss);
}

bool
sess_set_busy(const struct sess_set *ss)
{
	for (size_t i = 0; i < ss->nsessions; i++) {
		if (ss->sessions[i]->cur != NULL ||
		    ss->sessions[i]->qhead != NULL)
			return true;
	}
	return false;
}

size_t
sess_set_count(const struct sess_set *ss)
{
	return ss->nsessions;
}

void
sess_set_client_flow(struct sess_set *ss, struct req_client *c)
{
	for (size_t i = 0; i < ss->nsessions; i++) {
		struct sess *s = ss->sessions[i];

		for (size_t j = 0; j < s->nclients; j++) {
			if (s->clients[j] == c) {
				sess_flow(s);
				break;
			}
		}
	}
}

void
sess_set_drop_client(struct sess_set *ss, struct req_client *c)
{
	/* Its held answers go (or are dropped by its closing conn). */
	sess_set_flush(ss);
	/* Newest first; a session closed by this leaves the array, so the
	 * walk goes down. */
	for (size_t i = ss->nsessions; i > 0; i--) {
		struct sess *s;

		if (i > ss->nsessions)
			continue;
		s = ss->sessions[i - 1];
		for (size_t j = 0; j < s->nclients; j++) {
			if (s->clients[j] == c) {
				sess_detach(s, c);	/* may free s */
				break;
			}
		}
	}
}

const char *
sess_id(const struct sess *s)
{
	return s->id;
}

const char *
sess_notebook(const struct sess *s)
{
	return s->path;
}

char *
sess_project_dir(const struct sess *s)
{
	if (s->project != NULL)
		return xstrdup(s->project);
	/* A client's own file is not on this host: its path is a label. */
	if (s->client_file)
		return NULL;
	return s->path != NULL ? gl_project_dir(s->path) : NULL;
}

void
sess_notify(struct sess *s, const void *p, size_t n)
{
	for (size_t i = 0; i < s->nclients; i++)
		req_client_send(s->clients[i], p, n);
}

/* Sessions, clients, stores. */

/* Begins a notification in the set's scratch writer (reset first); the
 * caller packs the args map, then sess_broadcast() sends it. */
msgpack_packer *
sess_note_begin(struct sess_set *ss, const char *method)
{
	rpc_writer_reset(&ss->note);
	rpc_begin_notify(&ss->note, method);
	return &ss->note.pk;
}

void
sess_activity(struct sess_set *ss)
{
	ss->host.on_activity(ss->host.ctx);
}

/* Output is flow-controlled: while a client of s does not keep up, the
 * runtime is not read, so it blocks in its writes (kernel/rth.h). */
void
sess_flow(struct sess *s)
{
	bool held = false;

	for (size_t i = 0; i < s->nclients && !held; i++)
		held = req_client_held(s->clients[i]);
	if (held == s->held)
		return;
	s->held = held;
	log_info("%s: %s", s->id, held ? "output held: a client does not "
	    "keep up" : "output flows again");
	if (s->rt != NULL)
		rth_hold(s->rt, held);
}

struct sess *
sess_get(struct sess_set *ss, struct req *r, bool attached,
    struct gl_err *err)
{
	const char	*id;
	size_t		 len;

	if ((id = rpc_map_str(r->args, "session", &len)) == NULL) {
		gl_err_set(err, GL_EINVAL, "session is required");
		return NULL;
	}
	for (size_t i = 0; i < ss->nsessions; i++) {
		struct sess *s = ss->sessions[i];

		if (strlen(s->id) != len || memcmp(s->id, id, len) != 0)
			continue;
		if (s->ephemeral && s->owner != r->client)
			break;	/* private: as if it did not exist */
		if (!attached)
			return s;
		for (size_t j = 0; j < s->nclients; j++) {
			if (s->clients[j] == r->client)
				return s;
		}
		gl_err_set(err, GL_EPERM, "not attached to session %s "
		    "(session.open or session.attach it first)", s->id);
		return NULL;
	}
	gl_err_set(err, GL_ENOTFOUND, "no session %.*s", (int)len, id);
	return NULL;
}

static struct sess *
sess_find_path(struct sess_set *ss, const char *path)
{
	for (size_t i = 0; i < ss->nsessions; i++) {
		struct sess *s = ss->sessions[i];

		if (!s->ephemeral && !s->client_file && s->path != NULL &&
		    strcmp(s->path, path) == 0)
			return s;
	}
	return NULL;
}

/* The session of a client's own file: member's, named label. */
static struct sess *
sess_find_client_file(struct sess_set *ss, const char *member,
    const char *label)
{
	for (size_t i = 0; i < ss->nsessions; i++) {
		struct sess *s = ss->sessions[i];

		if (s->client_file && strcmp(s->member, member) == 0 &&
		    strcmp(s->path, label) == 0)
			return s;
	}
	return NULL;
}

static void
sess_attach(struct sess *s, struct req_client *c)
{
	for (size_t i = 0; i < s->nclients; i++) {
		if (s->clients[i] == c)
			return;
	}
	if (s->nclients == s->capclients) {
		s->capclients = s->capclients ? 2 * s->capclients : 4;
		s->clients = xrealloc(s->clients,
		    s->capclients * sizeof *s->clients);
	}
	s->clients[s->nclients++] = c;
	sess_flow(s);
	sess_peer_join(s, c);
}

static void
sess_unlink_client(struct sess *s, struct req_client *c)
{
	for (size_t i = 0; i < s->nclients; i++) {
		if (s->clients[i] == c) {
			if (s->corked)
				req_client_cork(c, false);
			memmove(&s->clients[i], &s->clients[i + 1],
			    (s->nclients - i - 1) * sizeof *s->clients);
			s->nclients--;
			sess_peer_leave(s, c);
			break;
		}
	}
	if (!s->closing)
		sess_flow(s);
}

/* Detaches c from s; an ephemeral session whose client leaves is closed. */
static void
sess_detach(struct sess *s, struct req_client *c)
{
	struct sess_set *ss = s->set;

	sess_unlink_client(s, c);
	if (s->ephemeral && s->owner == c)
		sess_close(s);		/* may free s */
	sess_activity(ss);
}

static void
sess_close(struct sess *s)
{
	struct sess_set *ss = s->set;

	if (s->closing)
		return;
	sess_set_flush(ss);	/* its held answers */
	s->closing = true;
	log_info("%s: closed%s", s->id, s->ephemeral ? " (ephemeral)" : "");
	for (size_t i = 0; i < ss->nsessions; i++) {
		if (ss->sessions[i] == s) {
			memmove(&ss->sessions[i], &ss->sessions[i + 1],
			    (ss->nsessions - i - 1) * sizeof *ss->sessions);
			ss->nsessions--;
			break;
		}
	}
	while (s->nclients > 0)
		sess_unlink_client(s, s->clients[s->nclients - 1]);
	sess_file_unwatch(s);
	ss->host.on_reset(ss->host.ctx, s);
	sess_asks_fail(s, false);
	if (s->rt != NULL) {
		rth_close(s->rt, sess_on_rt_closed);	/* may free s */
		return;
	}
	sess_free(s);
}

static void
sess_on_rt_closed(void *ctx)
{
	struct sess *s = ctx;

	s->rt = NULL;
	sess_free(s);
}

static void
sess_free(struct sess *s)
{
	struct sess_run *run, *next;

	if (s->nclients != 0)
		gl_fatal("sess_free: %s still has clients", s->id);
	free(s->cur);
	for (run = s->shead; run != NULL; run = next) {
		next = run->next;
		free(run);
	}
	for (run = s->qhead; run != NULL; run = next) {
		next = run->next;
		free(run);
	}
	for (size_t i = 0; i < s->nhist; i++)
		ot_op_fini(&s->hist[i]);
	free(s->hist);
	for (size_t i = 0; i < s->nouts; i++) {
		sess_outs_clear(s->outs[i]);
		free(s->outs[i]->items);
		free(s->outs[i]);
	}
	free(s->outs);
	gl_map_fini(&s->outs_by_id);
	free(s->clients);
	sess_peers_free(s);
	nb_doc_free(s->doc);
	sess_batch_forget(s);
	store_unref(s->store, __func__);
	free(s->path);
	free(s->base_text);
	free(s->project);
	free(s->key);
	free(s->dir);
	free(s->chunk);
	free(s->hook_project);
	free(s->member);
	free(s);
}

/*
 * Gives file session s its store and its key there: the project's
 * .galley/store.db, keyed by the notebook's path within the project; or,
 * when the project directory cannot be written (no permission, a
 * read-only file system), the user's <state dir>/journal.db keyed by the
 * absolute path, and *warning (the caller's to free) says so. Opening a
 * notebook never creates .galley/ where the user cannot write, and its
 * edits are journaled all the same.
 */
static int
sess_store_attach(struct sess_set *ss, struct sess *s, char **warning,
    struct gl_err *err)
{
	char		*gdir, *state, *db;
	const char	*base;
	bool		 writable;
	int		 rc;

	*warning = NULL;
	s->project = gl_project_dir(s->path);
	gdir = gl_path_join(s->project, ".galley");
	writable = access(access(gdir, F_OK) == 0 ? gdir : s->project,
	    W_OK) == 0;
	free(gdir);
	if (writable) {
		if ((rc = sess_store_get(ss, s->project, NULL, &s->store,
		    err)) != 0)
			return rc;
		base = s->path + strlen(s->project);
		if (strncmp(s->path, s->project, strlen(s->project)) == 0 &&
		    *base == '/')
			s->key = xstrdup(base + 1);
		else
			s->key = xstrdup(s->path);
		return 0;
	}
	if ((state = gl_state_dir()) == NULL)
		return gl_err_set(err, GL_EPERM, "%s cannot be written, and "
		    "there is no state directory for the journal (set HOME "
		    "or XDG_STATE_HOME)", s->project);
	db = gl_path_join(state, "journal.db");
	free(state);
	if ((rc = sess_store_get(ss, NULL, db, &s->store, err)) == 0) {
		s->key = xstrdup(s->path);
		*warning = xasprintf("%s cannot be written: unsaved edits and "
		    "outputs of this notebook are kept in %s instead (saving "
		    "needs write access to the directory)", s->project, db);
		log_info("%s: %s is not writable: journal in %s", s->id,
		    s->project, db);
	}
	free(db);
	return rc;
}

/*
 * A client's own file (session.open's client_file): the kernel's host
 * has no file and no project for it, so its journal and outputs live in
 * the kernel's <state dir>/journal.db, keyed by the member and the
 * client's label: two members' "laptop:/home/a.nb.lua" never meet.
 */
static int
sess_store_attach_client(struct sess_set *ss, struct sess *s,
    const char *member, struct gl_err *err)
{
	char	*state, *db;
	int	 rc;

	s->member = xstrdup(member);
	if ((state = gl_state_dir()) == NULL)
		return gl_err_set(err, GL_EPERM, "the kernel has no state "
		    "directory for the journal of %s (set HOME or "
		    "XDG_STATE_HOME)", s->path);
	db = gl_path_join(state, "journal.db");
	free(state);
	rc = sess_store_get(ss, NULL, db, &s->store, err);
	free(db);
	if (rc == 0)
		s->key = xasprintf("client:%s:%s", s->member, s->path);
	return rc;
}

/* The store of project's .galley/ (db NULL) or of the database file db,
 * shared by the sessions that use it. */
static int
sess_store_get(struct sess_set *ss, const char *project, const char *db,
    struct store **out, struct gl_err *err)
{
	struct store	*st;
	char		*want, *gdir = NULL;
	int		 rc;

	if (db != NULL)
		want = xstrdup(db);
	else {
		gdir = gl_path_join(project, ".galley");
		want = gl_path_join(gdir, "store.db");
		free(gdir);
	}

	for (size_t i = 0; i < ss->nstores; i++) {
		if (strcmp(store_db_path(ss->stores[i]), want) == 0) {
			store_ref(ss->stores[i]);
			*out = ss->stores[i];
			free(want);
			return 0;
		}
	}
	free(want);
	rc = db != NULL ? store_open_db(db, &st, err) :
	    store_open(project, &st, err);
	if (rc != 0)
		return rc;
	if (ss->nstores == ss->capstores) {
		ss->capstores = ss->capstores ? 2 * ss->capstores : 4;
		ss->stores = xrealloc(ss->stores,
		    ss->capstores * sizeof *ss->stores);
	}
	ss->stores[ss->nstores++] = st;	/* the registry's reference */
	store_ref(st);
	*out = st;
	return 0;
}

/* session.open's and attach's "edit": a client's tag of a doc.edit
 * whose answer it never got (the connection broke), to learn whether it
 * was applied. *tag NULL if not asked. */
static int
sess_edit_arg(struct req *r, const char **tag, size_t *len,
    struct gl_err *err)
{
	*tag = rpc_map_str(r->args, "edit", len);
	if (*tag != NULL && (*len == 0 || *len > SESS_TAG_MAX ||
	    memchr(*tag, '\0', *len) != NULL))
		return gl_err_set(err, GL_EINVAL, "edit is a tag of 1 to %d "
		    "bytes", SESS_TAG_MAX);
	return 0;
}

static void
sess_reply_state(struct req *r, struct sess *s, size_t recovered,
    char **warnings, size_t nwarnings)
{
	msgpack_packer	*pk = req_reply_begin(r);
	const char	*tag;
	size_t		 len, end = sess_cells_page(s, 0);

	(void)sess_edit_arg(r, &tag, &len, NULL);
	msgpack_pack_map(pk, 9 + (tag != NULL) +
	    (end < nb_doc_count(s->doc)));
	if (tag != NULL)
		rpc_pack_kv_bool(pk, "edit_applied",
		    sess_tag_known(s, tag, len));
	rpc_pack_kv_str(pk, "session", s->id);
	rpc_pack_kv_str(pk, "path", s->path);
	rpc_pack_kv_bool(pk, "ephemeral", s->ephemeral);
	rpc_pack_kv_int(pk, "version", (int64_t)s->version);
	rpc_pack_kv_int(pk, "client", (int64_t)r->client->id);
	rpc_pack_kv_int(pk, "recovered", (int64_t)recovered);
	rpc_pack_key(pk, "warnings");
	msgpack_pack_array(pk, nwarnings);
	for (size_t i = 0; i < nwarnings; i++)
		rpc_pack_str(pk, warnings[i]);
	rpc_pack_kv_bool(pk, "dirty", s->version != s->saved_version);
	sess_pack_cells(s, pk, 0, end);
	req_reply_end(r);
}

void
sess_broadcast_tail(struct sess *s, const void *tail, size_t n)
{
	struct rpc_writer *w = &s->set->note;

	for (size_t i = 0; i < s->nclients; i++)
		req_client_send2(s->clients[i], w->sbuf.data, w->sbuf.size,
		    tail, n);
}

/* Sends the scratch notification (sess_note_begin) to the clients of s
 * but except. */
void
sess_broadcast(struct sess *s, struct req_client *except)
{
	struct rpc_writer *w = &s->set->note;

	for (size_t i = 0; i < s->nclients; i++) {
		if (s->clients[i] != except)
			req_client_send(s->clients[i], w->sbuf.data,
			    w->sbuf.size);
	}
}

/* Runtime callbacks. */

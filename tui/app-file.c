/*
 * app-file.c - saving the notebook (doc.save, after every local edit is
 * acknowledged; with no kernel, :w! writes the TUI's own copy), autosave
 * after a quiet spell, and quitting, which refuses while changes are
 * unsaved, unsent or a cell runs unless forced.
 */
#include <inttypes.h>
#include <stdint.h>

#include "core/err.h"
#include "core/mem.h"
#include "core/notebook.h"
#include "core/rpc.h"
#include "core/util.h"
#include "tui/app_int.h"
#include "tui/event.h"
#include "tui/keymap.h"
#include "tui/sync.h"

static void
pack_save(msgpack_packer *pk, void *ctx)
{
	struct app	*a = ((void **)ctx)[0];
	bool		 force = ((void **)ctx)[1] != NULL;

	msgpack_pack_map(pk, force ? 2 : 1);
	rpc_pack_kv_str(pk, "session", a->session);
	if (force)
		rpc_pack_kv_bool(pk, "force", true);
}

/*
 * :w! with no kernel: the TUI writes its own copy of the notebook to the
 * file (atomically, as the kernel would), so edits the kernel has not
 * got are safe on disk. When the kernel comes back, that copy wins over
 * what it has (tui/app-kernel.c).
 */
static int
save_here(struct app *a, bool quiet)
{
	struct gl_buf	 b;
	struct gl_err	 err = { 0 };
	int		 rc;

	gl_buf_init(&b);
	nb_print(a->doc, &b);
	rc = gl_file_write_atomic(a->abspath, b.data != NULL ? b.data : "",
	    b.len, 0644, &err);
	if (rc == 0) {
		gl_hash_hex(b.data != NULL ? b.data : "", b.len,
		    a->wrote_hash);
		a->wrote_away = true;
		a->dirty = false;
		if (!quiet)
			app_msg(a, false, "no kernel: wrote galley's copy to %s "
			    "(%zu bytes)", a->o->path, b.len);
	} else
		app_msg(a, true, "not saved: %s", err.msg);
	gl_buf_fini(&b);
	return rc;
}

int
app_save(struct app *a, bool force, bool quiet)
{
	struct rpc_msg	 resp;
	struct gl_err	 err = { 0 };
	void		*ctx[2] = { a, force ? a : NULL };
	char		*warn;
	int		 rc;

	a->save_tried_ms = a->now;
	if (a->lost && force)
		return save_here(a, quiet);
	if (a->lost) {
		app_msg(a, true, "no kernel: not saved; galley keeps your "
		    "edits and sends them when it reconnects (:w! writes them "
		    "to the file now)");
		return GL_ECLOSED;
	}
	if (!app_flush_edits(a))
		return GL_ECLOSED;
	if ((rc = app_call(a, "doc.save", pack_save, ctx, &resp, &err)) != 0) {
		if (rc == GL_ECONFLICT)
			app_msg(a, true, "%s (:w! overwrites it)", err.msg);
		else
			app_msg(a, true, "not saved: %s", err.msg);
		return rc;
	}
	a->dirty = sync_pending(a->sync);
	/* A plugin's before_save warning matters more than "saved". */
	if ((warn = event_warnings(resp.result)) != NULL)
		app_msg(a, true, "saved, but: %s", warn);
	else if (!quiet)
		app_msg(a, false, "saved %s (%" PRId64 " bytes)", a->o->path,
		    event_save_bytes(resp.result));
	free(warn);
	rpc_msg_fini(&resp);
	app_git_refresh(a);
	return 0;
}

void
app_quit(struct app *a, bool force, bool write)
{
	const struct keymap_config *cfg = keymap_config(a->km);

	if (!force && a->lost && sync_pending(a->sync)) {
		app_msg(a, true, "%zu edits the kernel has not got: :w! writes "
		    "them to the file, :q! drops them",
		    sync_unsent(a->sync));
		return;
	}
	if (write || (!force && a->dirty && cfg->autosave > 0 && !a->lost)) {
		if (app_save(a, false, true) != 0 && !force)
			return;
	}
	if (!force && !write && a->running[0] != '\0') {
		app_msg(a, true, "cell [%s] is running: Ctrl-C interrupts it, "
		    ":q! leaves it running in the kernel", a->running);
		return;
	}
	if (!force && a->dirty) {
		app_msg(a, true, "unsaved changes: :w saves, :wq saves and "
		    "quits, :q! quits without saving");
		return;
	}
	a->quit = true;
}


int64_t
app_autosave_at(const struct app *a)
{
	const struct keymap_config *cfg = keymap_config(a->km);

	if (!a->dirty || cfg->autosave <= 0)
		return INT64_MAX;
	return (a->last_edit_ms > a->save_tried_ms ? a->last_edit_ms :
	    a->save_tried_ms) + (int64_t)cfg->autosave * 1000;
}

void
app_autosave(struct app *a)
{
	const struct keymap_config *cfg = keymap_config(a->km);
	int64_t		 quiet = (int64_t)cfg->autosave * 1000;

	/* Not while a command is being typed: a save would put its
	 * message over the line. */
	if (a->dirty && !a->lost && cfg->autosave > 0 &&
	    a->now - a->last_edit_ms >= quiet &&
	    a->now - a->save_tried_ms >= quiet &&
	    a->mode != KEYMAP_CMDLINE) {
		if (app_save(a, false, true) == 0)
			app_msg(a, false, "saved (autosave)");
	}
}

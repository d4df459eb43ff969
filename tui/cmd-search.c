/*
 * cmd-search.c - the search commands: / and ? (a pattern typed on the
 * bottom line, tui/search.h says how it reads), n and N, :noh, and
 * :s / :%s substitution. In the notebook a search walks the cells'
 * sources (and their outputs with the search_outputs option) from the
 * current cell, wrapping around as vim does; in a pager (the help
 * screen, a cell's outputs opened with O) it walks the pager's text.
 *
 * The current match is remembered by cell id, part and offset, so n goes
 * on from it while the cursor stays on its cell and starts from the
 * cursor's cell otherwise. A match in a source becomes where the editor
 * opens (i), so "/name" then "i" edits at the name. A substitution is a
 * text op per changed cell, all recorded as one undo step.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/mem.h"
#include "core/notebook.h"
#include "core/ot.h"
#include "tui/app_int.h"
#include "tui/cmd.h"
#include "tui/cmd_int.h"
#include "tui/cmdline.h"
#include "tui/editor.h"
#include "tui/keymap.h"
#include "tui/search.h"
#include "tui/sync.h"
#include "tui/view.h"

static bool	 in_pager(const struct app *a);
static bool	 run_search(struct app *a, bool back, long times);

/* ------------------------------------------------------------------ */
/* What a search reads */

static size_t
src_nparts(void *ctx, size_t cell)
{
	struct app	*a = ctx;

	if (!keymap_config(a->km)->search_outputs)
		return 1;
	return 1 + view_out_count(a->view, cell);
}

static const char *
src_text(void *ctx, size_t cell, size_t part, size_t *len)
{
	struct app	*a = ctx;
	const struct view_output *o;

	if (part == 0)
		return nb_cell_source(nb_doc_cell(a->doc, cell), len);
	gl_buf_reset(&a->srch.text);
	if ((o = view_out_get(a->view, cell, part - 1)) != NULL)
		view_output_text(o, &a->srch.text);
	*len = a->srch.text.len;
	return a->srch.text.data != NULL ? a->srch.text.data : "";
}

static size_t
pager_nparts(void *ctx, size_t cell)
{
	(void)ctx;
	(void)cell;
	return 1;
}

static const char *
pager_text(void *ctx, size_t cell, size_t part, size_t *len)
{
	struct app	*a = ctx;

	(void)cell;
	(void)part;
	*len = a->pager != NULL ? strlen(a->pager) : 0;
	return a->pager != NULL ? a->pager : "";
}

/* ------------------------------------------------------------------ */

static bool
in_pager(const struct app *a)
{
	return a->mode == KEYMAP_PAGER || (a->mode == KEYMAP_CMDLINE &&
	    a->cl_return == KEYMAP_PAGER);
}

/* (Re)compiles text as the pattern with the options now. */
static int
set_pattern(struct app *a, const char *text, struct gl_err *err)
{
	const struct keymap_config *cfg = keymap_config(a->km);
	struct search	 s;

	if (search_compile(&s, text, cfg->ignorecase, cfg->smartcase,
	    err) != 0) {
		search_fini(&s);
		return err->code;
	}
	if (a->srch.have)
		search_fini(&a->srch.pat);
	a->srch.pat = s;
	a->srch.have = true;
	a->srch.hl = true;
	return 0;
}

/* The pager scrolled so its line at byte off is on screen. */
static void
pager_show(struct app *a, size_t off)
{
	int	 line = 0, body = a->rows > 3 ? a->rows - 2 : 1;

	for (size_t i = 0; i < off && a->pager[i] != '\0'; i++)
		line += a->pager[i] == '\n';
	if (line < a->pager_scroll || line >= a->pager_scroll + body)
		a->pager_scroll = line > body / 3 ? line - body / 3 : 0;
}

/* Searches times times from the current match or the cursor; the message
 * line says where it went. False (and a message) without a match. */
static bool
run_search(struct app *a, bool back, long times)
{
	struct search_src src = { 0, src_nparts, src_text, a };
	struct search_pos from, at;
	size_t		 len, cur = 0, idx;
	bool		 wrapped = false, w, at_from, pager = in_pager(a);
	struct gl_err	 err = { 0 };

	if (!a->srch.have) {
		app_msg(a, true, "no previous search (/ or ? to search)");
		return false;
	}
	/* The options may have changed since: compile again. */
	if (set_pattern(a, a->srch.pat.text, &err) != 0) {
		app_msg(a, true, "%s", err.msg);
		return false;
	}
	if (pager) {
		src.ncells = 1;
		src.nparts = pager_nparts;
		src.text = pager_text;
		from.cell = from.part = 0;
		if (a->srch.pg_off >= 0) {
			from.off = (size_t)a->srch.pg_off;
			at_from = false;
		} else {
			/* From the first line shown. */
			from.off = 0;
			for (int l = 0; l < a->pager_scroll &&
			    a->pager[from.off] != '\0'; from.off++)
				l += a->pager[from.off] == '\n';
			at_from = !back;
		}
	} else {
		src.ncells = nb_doc_count(a->doc);
		app_cur_cell(a, &cur);
		if (a->srch.cell[0] != '\0' &&
		    nb_doc_find(a->doc, a->srch.cell, &idx) != NULL &&
		    idx == cur) {
			from.cell = cur;
			from.part = a->srch.part;
			from.off = a->srch.off;
			at_from = false;
		} else {
			from.cell = cur;
			from.part = from.off = 0;
			at_from = !back;
		}
	}
	for (long k = 0; k < times; k++) {
		if (!search_walk(&a->srch.pat, &src, &from, back, at_from,
		    &at, &len, &w)) {
			app_msg(a, true, "not found: %s", a->srch.pat.text);
			return false;
		}
		wrapped |= w;
		from = at;
		at_from = false;
	}
	if (pager) {
		a->srch.pg_off = (long)at.off;
		a->srch.len = len;
		pager_show(a, at.off);
	} else {
		struct nb_cell	*c = nb_doc_cell(a->doc, at.cell);

		snprintf(a->srch.cell, sizeof a->srch.cell, "%s",
		    nb_cell_id(c));
		a->srch.part = at.part;
		a->srch.off = at.off;
		a->srch.len = len;
		app_csel_clear(a);
		view_set_cursor(a->view, at.cell);
		if (at.part > 0)
			view_unfold(a->view, at.cell);
		else {
			/* i edits at the match. */
			snprintf(a->last_id, sizeof a->last_id, "%s",
			    nb_cell_id(c));
			a->last_off = at.off;
		}
		view_set_match(a->view, (long)at.cell, at.part, at.off, len);
	}
	if (wrapped)
		app_msg(a, false, "search hit %s, continuing at %s",
		    back ? "TOP" : "BOTTOM", back ? "BOTTOM" : "TOP");
	else
		app_msg(a, false, "%c%s", back ? '?' : '/',
		    a->srch.pat.text);
	return true;
}

void
app_search(struct app *a, const char *pattern, bool back)
{
	struct gl_err	 err = { 0 };

	if (pattern != NULL && *pattern != '\0') {
		if (set_pattern(a, pattern, &err) != 0) {
			app_msg(a, true, "%s", err.msg);
			return;
		}
		a->srch.cell[0] = '\0';
		a->srch.pg_off = -1;
	}
	a->srch.back = back;
	a->srch.hl = true;
	(void)run_search(a, back, 1);
}

void
app_search_fini(struct app *a)
{
	if (a->srch.have)
		search_fini(&a->srch.pat);
	a->srch.have = false;
	gl_buf_fini(&a->srch.text);
	free(a->srch.subst);
	a->srch.subst = NULL;
}

/* ------------------------------------------------------------------ */
/* The commands */

/* Opens the bottom line for a pattern after prompt ('/' or '?'). */
static void
open_prompt(struct app *a, char prompt)
{
	a->cl_return = a->mode == KEYMAP_PAGER ? KEYMAP_PAGER :
	    KEYMAP_NORMAL;
	a->mode = KEYMAP_CMDLINE;
	a->cl_prompt = prompt;
	cmdline_swap_history(&a->cl, &a->cl_shist);
	cmdline_open(&a->cl);
	a->msg[0] = '\0';
}

/* search [PATTERN]: without one, the / line asks for it. */
int
cmd_search_forward(struct app *a, const struct cmd_entry *self,
    const char *arg, struct gl_err *err)
{
	if (arg == NULL)
		open_prompt(a, '/');
	else
		app_search(a, arg, false);
	return 0;
}

int
cmd_search_backward(struct app *a, const struct cmd_entry *self,
    const char *arg, struct gl_err *err)
{
	if (arg == NULL)
		open_prompt(a, '?');
	else
		app_search(a, arg, true);
	return 0;
}

int
cmd_search_next(struct app *a, const struct cmd_entry *self,
    const char *arg, struct gl_err *err)
{
	a->srch.hl = true;
	(void)run_search(a, a->srch.back, app_count(a, arg));
	return 0;
}

int
cmd_search_prev(struct app *a, const struct cmd_entry *self,
    const char *arg, struct gl_err *err)
{
	a->srch.hl = true;
	(void)run_search(a, !a->srch.back, app_count(a, arg));
	return 0;
}

/* nohlsearch: matches are no longer highlighted until the next search. */
int
cmd_search_clear(struct app *a, const struct cmd_entry *self,
    const char *arg, struct gl_err *err)
{
	a->srch.hl = false;
	view_set_match(a->view, -1, 0, 0, 0);
	a->srch.pg_off = -1;
	return 0;
}

/* One cell's source with sub applied: a text op on it replacing only
 * the bytes that changed. False if nothing changed. */
static bool
subst_cell(struct app *a, size_t i, const struct search *s,
    const struct search_subst *sub, struct ot_op *op, size_t *count)
{
	struct nb_cell	*c = nb_doc_cell(a->doc, i);
	size_t		 len, n, pre = 0, suf = 0;
	const char	*src = nb_cell_source(c, &len);
	struct gl_buf	 out;

	gl_buf_init(&out);
	n = search_substitute(s, src, len, sub->rep, sub->global, &out);
	*count += n;
	if (n == 0 || sub->count_only || (out.len == len &&
	    memcmp(out.data, src, len) == 0)) {
		gl_buf_fini(&out);
		return false;
	}
	while (pre < len && pre < out.len && src[pre] == out.data[pre])
		pre++;
	while (suf < len - pre && suf < out.len - pre &&
	    src[len - 1 - suf] == out.data[out.len - 1 - suf])
		suf++;
	sync_text_op(op, nb_cell_id(c), len, pre, len - pre - suf,
	    out.data + pre, out.len - pre - suf);
	gl_buf_fini(&out);
	return true;
}

/* substitute [%]/PAT/REP/[FLAGS]: in the current cell, or with % in
 * every cell, as one change. ":s/..." and ":%s/..." are its spellings;
 * without a pattern it repeats the last one. */
int
cmd_search_substitute(struct app *a, const struct cmd_entry *self,
    const char *arg, struct gl_err *err)
{
	struct search_subst sub;
	struct search	 s;
	struct ot_op	*inv = NULL;
	size_t		 ninv = 0, lo, hi, count = 0, cells = 0, cur = 0;
	char		 first[NB_ID_MAX + 1] = "";
	const char	*spec = arg != NULL ? arg : "";
	const struct keymap_config *cfg = keymap_config(a->km);
	bool		 all = *spec == '%';
	int		 rc;

	if (all)
		spec++;
	/* The name, when the line was spelled as in vim (":%s/a/b/"). */
	if (strncmp(spec, "substitute", 10) == 0)
		spec += 10;
	else if (*spec == 's')
		spec++;
	if (*spec == '\0') {
		if (a->srch.subst == NULL)
			return gl_err_set(err, GL_EINVAL, "substitute: no "
			    "previous substitution");
		spec = a->srch.subst;
	}
	if ((rc = search_subst_parse(spec, &sub, err)) != 0) {
		search_subst_fini(&sub);
		return rc;
	}
	if (spec != a->srch.subst) {
		free(a->srch.subst);
		a->srch.subst = xstrdup(spec);
	}
	if (*sub.pat == '\0' && !a->srch.have) {
		search_subst_fini(&sub);
		return gl_err_set(err, GL_EINVAL, "substitute: no previous "
		    "pattern");
	}
	if ((rc = search_compile(&s, *sub.pat ? sub.pat : a->srch.pat.text,
	    sub.icase >= 0 ? sub.icase == 1 : cfg->ignorecase,
	    sub.icase >= 0 ? false : cfg->smartcase, err)) != 0) {
		search_fini(&s);
		search_subst_fini(&sub);
		return gl_err_prefix(err, "substitute");
	}
	if (sub.icase >= 0)
		s.icase = sub.icase == 1;
	/* The pattern is the last search now, as in vim. */
	if (*sub.pat != '\0')
		(void)set_pattern(a, sub.pat, err);
	if (a->mode == KEYMAP_INSERT && nb_doc_find(a->doc, a->ed.id, &cur))
		lo = hi = cur;
	else if (app_cur_cell(a, &cur) == NULL) {
		search_fini(&s);
		search_subst_fini(&sub);
		return 0;
	} else
		lo = hi = cur;
	if (all) {
		lo = 0;
		hi = nb_doc_count(a->doc) - 1;
	}
	for (size_t i = lo; i <= hi; i++) {
		struct ot_op	 op;

		if (!subst_cell(a, i, &s, &sub, &op, &count))
			continue;
		if (first[0] == '\0')
			snprintf(first, sizeof first, "%s", op.id);
		if (app_apply_op(a, &op, &inv, &ninv) == 0) {
			cells++;
			if (a->mode == KEYMAP_INSERT &&
			    strcmp(op.id, a->ed.id) == 0)
				ed_transform(&a->ed, &op);
		}
		ot_op_fini(&op);
	}
	if (cells > 0) {
		sync_push(a->sync, inv, ninv, SYNC_G_OTHER, first, 0, a->now);
		app_send_edits(a);
	} else
		free(inv);
	a->srch.cell[0] = '\0';
	view_set_match(a->view, -1, 0, 0, 0);
	if (count == 0)
		rc = gl_err_set(err, GL_ENOTFOUND, "not found: %s",
		    *sub.pat ? sub.pat : a->srch.pat.text);
	else if (sub.count_only)
		app_msg(a, false, "%zu match%s", count, count == 1 ? "" :
		    "es");
	else
		app_msg(a, false, "%zu substitution%s in %zu cell%s (u "
		    "undoes)", count, count == 1 ? "" : "s", cells,
		    cells == 1 ? "" : "s");
	search_fini(&s);
	search_subst_fini(&sub);
	return rc;
}

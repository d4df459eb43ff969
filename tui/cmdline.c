/*
 * cmdline.c - the command line's text, cursor, history and completion
 * cycle.
 *
 * The cursor is a byte offset on a character boundary: moving and
 * deleting by character step over UTF-8 continuation bytes. A word is a
 * run of non-blanks, as the command line splits its arguments.
 */
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "tui/cmdline.h"

static size_t	 prev_char(const char *s, size_t p);
static size_t	 next_char(const char *s, size_t len, size_t p);
static void	 cut(struct cmdline *cl, size_t from, size_t to);

void
cmdline_init(struct cmdline *cl)
{
	memset(cl, 0, sizeof *cl);
	gl_buf_init(&cl->text);
	gl_buf_adds(&cl->text, "");
}

void
cmdline_fini(struct cmdline *cl)
{
	cmdline_complete_end(cl);
	for (size_t i = 0; i < cl->nhist; i++)
		free(cl->hist[i]);
	free(cl->hist);
	gl_buf_fini(&cl->text);
	memset(cl, 0, sizeof *cl);
}

void
cmdline_open(struct cmdline *cl)
{
	cmdline_set(cl, "");
	cl->hist_pos = cl->nhist;
	cmdline_complete_end(cl);
}

const char *
cmdline_text(const struct cmdline *cl)
{
	return cl->text.data ? cl->text.data : "";
}

void
cmdline_set(struct cmdline *cl, const char *s)
{
	gl_buf_reset(&cl->text);
	gl_buf_adds(&cl->text, s);
	cl->cur = cl->text.len;
}

void
cmdline_insert(struct cmdline *cl, const char *s, size_t n)
{
	struct gl_buf	 b;

	gl_buf_init(&b);
	gl_buf_add(&b, cmdline_text(cl), cl->cur);
	for (size_t i = 0; i < n; i++)
		if (s[i] != '\n' && s[i] != '\r' && s[i] != '\t')
			gl_buf_addc(&b, s[i]);
		else
			gl_buf_addc(&b, ' ');
	gl_buf_add(&b, cmdline_text(cl) + cl->cur, cl->text.len - cl->cur);
	cl->cur += n;
	gl_buf_fini(&cl->text);
	cl->text = b;
	if (cl->text.data == NULL)
		gl_buf_adds(&cl->text, "");
}

void
cmdline_move(struct cmdline *cl, enum cmdline_move m)
{
	const char	*s = cmdline_text(cl);
	size_t		 len = cl->text.len;

	switch (m) {
	case CMDLINE_LEFT:
		cl->cur = prev_char(s, cl->cur);
		break;
	case CMDLINE_RIGHT:
		cl->cur = next_char(s, len, cl->cur);
		break;
	case CMDLINE_HOME:
		cl->cur = 0;
		break;
	case CMDLINE_END:
		cl->cur = len;
		break;
	case CMDLINE_WORD_LEFT:
		while (cl->cur > 0 && s[cl->cur - 1] == ' ')
			cl->cur--;
		while (cl->cur > 0 && s[cl->cur - 1] != ' ')
			cl->cur--;
		break;
	case CMDLINE_WORD_RIGHT:
		while (cl->cur < len && s[cl->cur] == ' ')
			cl->cur++;
		while (cl->cur < len && s[cl->cur] != ' ')
			cl->cur++;
		break;
	}
}

bool
cmdline_backspace(struct cmdline *cl)
{
	if (cl->text.len == 0)
		return false;
	cut(cl, prev_char(cmdline_text(cl), cl->cur), cl->cur);
	return true;
}

void
cmdline_delete(struct cmdline *cl)
{
	cut(cl, cl->cur, next_char(cmdline_text(cl), cl->text.len, cl->cur));
}

void
cmdline_delete_word(struct cmdline *cl)
{
	const char	*s = cmdline_text(cl);
	size_t		 p = cl->cur;

	while (p > 0 && s[p - 1] == ' ')
		p--;
	while (p > 0 && s[p - 1] != ' ')
		p--;
	cut(cl, p, cl->cur);
}

void
cmdline_clear(struct cmdline *cl)
{
	cut(cl, 0, cl->cur);
}

void
cmdline_history_push(struct cmdline *cl, const char *line)
{
	if (*line == '\0' || (cl->nhist > 0 &&
	    strcmp(cl->hist[cl->nhist - 1], line) == 0))
		return;
	if (cl->nhist == CMDLINE_HIST_MAX) {
		free(cl->hist[0]);
		memmove(cl->hist, cl->hist + 1,
		    (CMDLINE_HIST_MAX - 1) * sizeof *cl->hist);
		cl->nhist--;
	}
	cl->hist = xrealloc(cl->hist, (cl->nhist + 1) * sizeof *cl->hist);
	cl->hist[cl->nhist++] = xstrdup(line);
}

void
cmdline_history_up(struct cmdline *cl)
{
	if (cl->hist_pos > 0)
		cmdline_set(cl, cl->hist[--cl->hist_pos]);
}

void
cmdline_history_down(struct cmdline *cl)
{
	if (cl->hist_pos + 1 < cl->nhist)
		cmdline_set(cl, cl->hist[++cl->hist_pos]);
	else {
		cl->hist_pos = cl->nhist;
		cmdline_set(cl, "");
	}
}

size_t
cmdline_word_start(const struct cmdline *cl)
{
	const char	*s = cmdline_text(cl);
	size_t		 ws = cl->cur;

	while (ws > 0 && s[ws - 1] != ' ')
		ws--;
	return ws;
}

/* Replaces the word from comp_at to the cursor with s. */
static void
replace_word(struct cmdline *cl, const char *s)
{
	struct gl_buf	 b;

	gl_buf_init(&b);
	gl_buf_add(&b, cmdline_text(cl), cl->comp_at);
	gl_buf_adds(&b, s);
	gl_buf_add(&b, cmdline_text(cl) + cl->cur, cl->text.len - cl->cur);
	cl->cur = cl->comp_at + strlen(s);
	gl_buf_fini(&cl->text);
	cl->text = b;
	if (cl->text.data == NULL)
		gl_buf_adds(&cl->text, "");
}

void
cmdline_complete_start(struct cmdline *cl, char **v, size_t n, size_t at,
    bool back)
{
	cmdline_complete_end(cl);
	cl->comp = v;
	cl->ncomp = n;
	cl->comp_at = at;
	cl->comp_on = true;
	cl->comp_i = back ? n - 1 : 0;
	replace_word(cl, cl->comp[cl->comp_i]);
}

bool
cmdline_complete_next(struct cmdline *cl, bool back)
{
	if (!cl->comp_on || cl->ncomp == 0)
		return false;
	cl->comp_i = back ? (cl->comp_i + cl->ncomp - 1) % cl->ncomp :
	    (cl->comp_i + 1) % cl->ncomp;
	replace_word(cl, cl->comp[cl->comp_i]);
	return true;
}

void
cmdline_complete_end(struct cmdline *cl)
{
	for (size_t i = 0; i < cl->ncomp; i++)
		free(cl->comp[i]);
	free(cl->comp);
	cl->comp = NULL;
	cl->ncomp = cl->comp_i = 0;
	cl->comp_on = false;
}

/* ------------------------------------------------------------------ */

static size_t
prev_char(const char *s, size_t p)
{
	if (p == 0)
		return 0;
	p--;
	while (p > 0 && ((unsigned char)s[p] & 0xc0) == 0x80)
		p--;
	return p;
}

static size_t
next_char(const char *s, size_t len, size_t p)
{
	if (p >= len)
		return len;
	p++;
	while (p < len && ((unsigned char)s[p] & 0xc0) == 0x80)
		p++;
	return p;
}

/* Deletes [from, to) and puts the cursor at from. */
static void
cut(struct cmdline *cl, size_t from, size_t to)
{
	if (to <= from)
		return;
	memmove(cl->text.data + from, cl->text.data + to, cl->text.len - to);
	cl->text.len -= to - from;
	cl->text.data[cl->text.len] = '\0';
	cl->cur = from;
}

void
cmdline_swap_history(struct cmdline *a, struct cmdline *b)
{
	char	**h = a->hist;
	size_t	 n = a->nhist, pos = a->hist_pos;

	a->hist = b->hist;
	a->nhist = b->nhist;
	a->hist_pos = b->hist_pos;
	b->hist = h;
	b->nhist = n;
	b->hist_pos = pos;
}

/*
 * tui_fixture.h - shared helpers of the tui unit tests: a parsed notebook,
 * a view and a grid, and picture comparison (STYLE example E).
 */
#ifndef GL_TUI_FIXTURE_H
#define GL_TUI_FIXTURE_H

#include <locale.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <msgpack.h>

#include "core/err.h"
#include "core/mem.h"
#include "core/notebook.h"
#include "core/ot.h"
#include "tui/view.h"

struct fixture {
	struct nb_doc	*doc;
	struct view	*view;
	struct view_grid grid;
};

static inline void
fx_load(struct fixture *f, const char *text)
{
	struct gl_err	 err = { 0 };

	nb_doc_free(f->doc);
	f->doc = NULL;
	if (nb_parse(text, strlen(text), "test.nb.lua", &f->doc, &err) != 0)
		fail_msg("parse: %s", err.msg);
	view_sync(f->view, f->doc);
}

static inline size_t
fx_index(struct fixture *f, const char *id)
{
	size_t	 i;

	if (nb_doc_find(f->doc, id, &i) == NULL)
		fail_msg("no cell %s", id);
	return i;
}

/* Removes the spaces before each row's closing '|' so pictures can be
 * written without trailing blanks. */
static inline char *
fx_normalize(const char *s)
{
	char	*out = xmalloc(strlen(s) + 1), *o = out;

	for (; *s; s++) {
		if (*s == '|' && (s[1] == '\n' || s[1] == '\0')) {
			while (o > out && o[-1] == ' ')
				o--;
		}
		*o++ = *s;
	}
	*o = '\0';
	return out;
}

#define assert_grid(g, want) do {					\
	char	*got_ = view_grid_picture(g);				\
	char	*want_ = fx_normalize(want);				\
	if (strcmp(got_, want_) != 0) {					\
		print_error("got:\n%s\nwant:\n%s\n", got_, want_);	\
		free(got_);						\
		free(want_);						\
		fail();							\
	}								\
	free(got_);							\
	free(want_);							\
} while (0)

static inline int
fx_setup_size(void **state, int rows, int cols, const struct view_opts *o)
{
	struct fixture	*f = xcalloc(1, sizeof *f);

	setlocale(LC_CTYPE, "C.UTF-8");
	f->view = view_new(o);
	view_grid_init(&f->grid, rows, cols);
	*state = f;
	return 0;
}

static inline int
fx_teardown(void **state)
{
	struct fixture	*f = *state;

	view_free(f->view);
	nb_doc_free(f->doc);
	view_grid_fini(&f->grid);
	free(f);
	return 0;
}

/* Applies op to the doc and tells the view. */
static inline void
fx_apply(struct fixture *f, struct ot_op *op)
{
	struct gl_err	 err = { 0 };

	ot_op_locate(f->doc, op, NULL);
	if (ot_apply(f->doc, op, &err) != 0)
		fail_msg("apply: %s", err.msg);
	view_apply_op(f->view, f->doc, op);
}

/* A msgpack value built in a test. */
struct mp {
	msgpack_sbuffer	 sb;
	msgpack_packer	 pk;
	msgpack_unpacked u;
};

static inline void
mp_init(struct mp *m)
{
	msgpack_sbuffer_init(&m->sb);
	msgpack_packer_init(&m->pk, &m->sb, msgpack_sbuffer_write);
	msgpack_unpacked_init(&m->u);
}

static inline const msgpack_object *
mp_obj(struct mp *m)
{
	size_t	 off = 0;

	assert_int_equal(msgpack_unpack_next(&m->u, m->sb.data, m->sb.size,
	    &off), MSGPACK_UNPACK_SUCCESS);
	return &m->u.data;
}

static inline void
mp_fini(struct mp *m)
{
	msgpack_unpacked_destroy(&m->u);
	msgpack_sbuffer_destroy(&m->sb);
}

#endif

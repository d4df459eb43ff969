/*
 * fuzz_review_answer.c - libFuzzer target for the review mode's reading
 * of a review.open answer (tui/review.c) and its painting
 * (tui/view-review.c): the input is the result of a response, framed
 * and decoded as the client library decodes what a kernel (perhaps a
 * remote one) sends (core/rpc.h measures a frame before msgpack-c
 * decodes it). For any input:
 *   - rview_parse() gives a model or a clean GL_EPROTO, never a crash or
 *     a leak;
 *   - laid out at several widths, every row names an item there is, the
 *     cursor can go to every change, thread and file, and what a comment
 *     would be on is found (or refused) from every row;
 *   - it paints into small and large grids.
 * Seeds: none needed (libFuzzer builds msgpack from scratch quickly); the
 * shapes it must reach are those of docs/protocol.md's review.open.
 */
#include <locale.h>
#include <msgpack.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/mem.h"
#include "core/rpc.h"
#include "tui/review.h"
#include "tui/view.h"

int	 LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static _Noreturn void
fuzz_fail(const char *what)
{
	fprintf(stderr, "fuzz_review_answer: %s\n", what);
	abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int	 widths[] = { 12, 40, 200 };
	struct rpc_msg		 m;
	struct rview		 rv;
	struct gl_err		 err;
	/* [1, 0, nil, input]: a response whose result is the input. */
	unsigned char		*frame = xmalloc(size + 4);

	setlocale(LC_CTYPE, "C.UTF-8");
	memcpy(frame, "\x94\x01\x00\xc0", 4);
	memcpy(frame + 4, data, size);
	if (rpc_decode(frame, size + 4, &m, &err) != 0) {
		free(frame);
		return 0;
	}
	if (rview_parse(m.result, &rv, &err) != 0) {
		if (err.code != GL_EPROTO)
			fuzz_fail("a failed read with another code than EPROTO");
		rview_fini(&rv);
		rpc_msg_fini(&m);
		free(frame);
		return 0;
	}
	for (size_t w = 0; w < sizeof widths / sizeof widths[0]; w++) {
		struct view_grid	 g;
		struct rview_screen	 s = { .mode = "REVIEW" };
		struct rview_target	 t;

		rview_layout(&rv, widths[w]);
		for (size_t r = 0; r < rv.nrows; r++) {
			char	*text;

			if (rv.rows[r].item >= rv.nitems)
				fuzz_fail("a row of no item");
			rview_move_to(&rv, r);
			if (rview_target(&rv, &t, NULL) && t.line0 > 0 &&
			    (text = rview_lines_text(&rv, &t, NULL)) != NULL)
				free(text);
		}
		rview_move_to(&rv, 0);
		while (rview_next(&rv, RVIEW_TO_CHANGE, 1))
			;
		while (rview_next(&rv, RVIEW_TO_THREAD, -1))
			;
		rview_select(&rv, true);
		rview_move(&rv, 3);
		rview_target(&rv, &t, NULL);
		rview_select(&rv, false);
		view_grid_init(&g, w == 0 ? 6 : 30, widths[w]);
		rview_render(&rv, &s, &g);
		view_grid_fini(&g);
	}
	rview_fini(&rv);
	rpc_msg_fini(&m);
	free(frame);
	return 0;
}

/*
 * fuzz_notebook.c - libFuzzer target for the notebook format
 * (core/notebook.c). For any input that parses:
 *   - print(parse(x)) == x byte for byte;
 *   - the canonical form (normalize, print) parses again, to the same
 *     model, and is a fixed point (normalize + print of its parse gives
 *     the same bytes);
 *   - nb_doc_source_line() agrees with where the print puts each cell.
 * Inputs that do not parse must fail cleanly (no crash, no leak). Seeds:
 * fuzz/corpus/notebook/.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/mem.h"
#include "core/notebook.h"

int	 LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static _Noreturn void
fuzz_fail(const char *what, const char *text, size_t len)
{
	fprintf(stderr, "fuzz_notebook: %s\n--- text ---\n%.*s\n--- end ---\n",
	    what, (int)len, text);
	abort();
}

/* Same cells, ids, kinds, titles, sources and metadata (the id's place
 * in the marker aside). */
static void
check_same(const struct nb_doc *a, const struct nb_doc *b, const char *text,
    size_t len)
{
	if (nb_doc_count(a) != nb_doc_count(b))
		fuzz_fail("the canonical form has another cell count", text,
		    len);
	for (size_t i = 0; i < nb_doc_count(a); i++) {
		const struct nb_cell	*x = nb_doc_cell(a, i);
		const struct nb_cell	*y = nb_doc_cell(b, i);
		size_t			 nx, ny, kx = 0, ky = 0;
		const char		*sx = nb_cell_source(x, &nx);
		const char		*sy = nb_cell_source(y, &ny);

		if (strcmp(nb_cell_id(x), nb_cell_id(y)) != 0 ||
		    nb_cell_kind(x) != nb_cell_kind(y) ||
		    nb_cell_is_header(x) != nb_cell_is_header(y) ||
		    strcmp(nb_cell_title(x), nb_cell_title(y)) != 0 ||
		    nx != ny || memcmp(sx, sy, nx) != 0 ||
		    nb_cell_meta_count(x) != nb_cell_meta_count(y))
			fuzz_fail("the canonical form reads back as another "
			    "cell", text, len);
		for (;;) {
			const char	*k1 = NULL, *j1 = NULL, *k2 = NULL;
			const char	*j2 = NULL;

			for (; kx < nb_cell_meta_count(x); kx++) {
				nb_cell_meta_at(x, kx, &k1, &j1);
				if (strcmp(k1, "id") != 0)
					break;
			}
			for (; ky < nb_cell_meta_count(y); ky++) {
				nb_cell_meta_at(y, ky, &k2, &j2);
				if (strcmp(k2, "id") != 0)
					break;
			}
			if (kx >= nb_cell_meta_count(x) ||
			    ky >= nb_cell_meta_count(y))
				break;
			if (strcmp(k1, k2) != 0 || strcmp(j1, j2) != 0)
				fuzz_fail("the canonical form changed metadata",
				    text, len);
			kx++;
			ky++;
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char	*in = (const char *)data;
	struct nb_doc	*doc = NULL, *again = NULL;
	struct gl_buf	 out, out2;
	struct gl_err	 err;

	if (nb_parse(in, size, "fuzz.nb.lua", &doc, &err) != 0) {
		if (doc != NULL || err.code != GL_ESYNTAX)
			fuzz_fail("a failed parse left a doc or a wrong "
			    "code", in, size);
		return 0;
	}
	gl_buf_init(&out);
	gl_buf_init(&out2);
	nb_print(doc, &out);
	if (out.len != size || memcmp(out.data, in, size) != 0)
		fuzz_fail("print(parse(x)) != x", in, size);

	nb_doc_normalize(doc);
	gl_buf_reset(&out);
	nb_print(doc, &out);
	if (nb_parse(out.data, out.len, "canonical.nb.lua", &again, &err) != 0)
		fuzz_fail(err.msg, out.data, out.len);
	check_same(doc, again, out.data, out.len);
	for (size_t i = 0; i < nb_doc_count(doc); i++) {
		const struct nb_cell	*c = nb_doc_cell(again, i);
		unsigned		 want = nb_cell_is_header(c) ? 1 :
		    nb_cell_line(c) + 1;

		if (nb_doc_source_line(doc, i) != want)
			fuzz_fail("nb_doc_source_line() disagrees with "
			    "the print", out.data, out.len);
	}
	nb_doc_normalize(again);
	nb_print(again, &out2);
	if (out2.len != out.len || memcmp(out2.data, out.data, out.len) != 0)
		fuzz_fail("the canonical form is not a fixed point", out.data,
		    out.len);

	nb_doc_free(again);
	nb_doc_free(doc);
	gl_buf_fini(&out);
	gl_buf_fini(&out2);
	return 0;
}

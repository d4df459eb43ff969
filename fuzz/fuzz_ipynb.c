/*
 * fuzz_ipynb.c - libFuzzer target for the .ipynb reader (review/ipynb.c)
 * and the diff on top of it. For any input:
 *   - ipynb_parse() gives a notebook or a clean GL_ESYNTAX /
 *     GL_EUNSUPPORTED, never a crash or a leak;
 *   - output summaries are short lines (no base64 dumped): none longer
 *     than a label, IPYNB_LINE_MAX bytes and a little more;
 *   - a notebook diffed with itself has no changes, and its JSON form
 *     encodes.
 * Seeds: fuzz/corpus/ipynb/.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "review/ipynb.h"
#include "review/ndiff.h"

int	 LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static _Noreturn void
fuzz_fail(const char *what)
{
	fprintf(stderr, "fuzz_ipynb: %s\n", what);
	abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char	*in = (const char *)data;
	struct ipynb	*nb = NULL;
	struct ndiff	*d = NULL;
	struct gl_err	 err;
	json_t		*j;
	char		*text;

	if (ipynb_parse(in, size, "fuzz.ipynb", &nb, &err) != 0) {
		if (nb != NULL || (err.code != GL_ESYNTAX &&
		    err.code != GL_EUNSUPPORTED))
			fuzz_fail("a failed parse left a notebook or a wrong "
			    "code");
		return 0;
	}
	for (size_t i = 0; i < nb->ncells; i++) {
		const char	*p = nb->cells[i].outputs;
		size_t		 n = nb->cells[i].outlen, line = 0;

		if (nb->cells[i].id == NULL || nb->cells[i].kind == NULL ||
		    nb->cells[i].src == NULL)
			fuzz_fail("a cell without id, kind or source");
		for (size_t k = 0; p != NULL && k < n; k++) {
			if (p[k] == '\n') {
				line = 0;
				continue;
			}
			/* "[label] " + cut text + "..." or a summary. */
			if (++line > IPYNB_LINE_MAX + 200 + 64)
				fuzz_fail("an output summary line is too long");
		}
	}
	ipynb_free(nb);

	if (ndiff_new("fuzz.ipynb", in, size, "fuzz.ipynb", in, size, &d,
	    &err) != 0)
		fuzz_fail(err.msg);
	if (!ndiff_empty(d))
		fuzz_fail("a notebook differs from itself");
	j = ndiff_json(d, 3);
	if ((text = json_dumps(j, JSON_COMPACT)) == NULL)
		fuzz_fail("the diff's JSON does not encode");
	free(text);
	json_decref(j);
	ndiff_free(d);
	return 0;
}

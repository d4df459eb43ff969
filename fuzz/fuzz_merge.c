/*
 * fuzz_merge.c - libFuzzer target for the three-way merge (review/
 * merge.c). The input is split into base, ours and theirs at the first two
 * "\n===\n" (what is missing is empty); its first byte chooses a notebook
 * path or a text path. For any input:
 *   - nmerge_files() merges (by cell or by line), never crashes or leaks;
 *   - a merge by cell is a notebook that parses;
 *   - merge(base, ours, base) is ours, byte for byte, either way;
 *   - merge(x, x, x) is x.
 * Seeds: fuzz/corpus/merge/.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/notebook.h"
#include "review/merge.h"

int	 LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static _Noreturn void
fuzz_fail(const char *what, const char *text, size_t len)
{
	fprintf(stderr, "fuzz_merge: %s\n--- result ---\n%.*s\n--- end ---\n",
	    what, (int)len, text);
	abort();
}

static const char *
part(const char **p, const char *end, size_t *len)
{
	const char	*start = *p, *sep;

	for (sep = start; sep + 5 <= end; sep++)
		if (memcmp(sep, "\n===\n", 5) == 0)
			break;
	if (sep + 5 > end) {
		*len = (size_t)(end - start);
		*p = end;
		return start;
	}
	*len = (size_t)(sep - start) + 1;	/* keep the newline */
	*p = sep + 5;
	return start;
}

static void
check_identity(const char *path, const char *o, size_t ol, const char *a,
    size_t al)
{
	struct nmerge_result	 r;
	struct gl_err		 err;

	if (nmerge_files(path, o, ol, a, al, o, ol, NULL, &r, &err) != 0)
		fuzz_fail(err.msg, "", 0);
	if (r.conflicts != 0 || r.len != al || memcmp(r.text, a, al) != 0)
		fuzz_fail("merge(base, ours, base) is not ours", r.text, r.len);
	nmerge_result_fini(&r);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char		*p, *end, *o, *a, *b;
	const char		*path;
	size_t			 ol, al, bl;
	struct nmerge_result	 r;
	struct gl_err		 err;

	if (size == 0)
		return 0;
	path = data[0] & 1 ? "fuzz.nb.lua" : "fuzz.txt";
	p = (const char *)data + 1;
	end = (const char *)data + size;
	o = part(&p, end, &ol);
	a = part(&p, end, &al);
	b = part(&p, end, &bl);

	if (nmerge_files(path, o, ol, a, al, b, bl, NULL, &r, &err) != 0)
		fuzz_fail(err.msg, "", 0);
	if (!r.by_lines) {
		struct nb_doc	*doc = NULL;

		if (nb_parse(r.text, r.len, "merged.nb.lua", &doc,
		    &err) != 0)
			fuzz_fail("a merge by cell does not parse", r.text,
			    r.len);
		nb_doc_free(doc);
	}
	nmerge_result_fini(&r);

	check_identity(path, o, ol, a, al);
	check_identity(path, a, al, a, al);
	return 0;
}

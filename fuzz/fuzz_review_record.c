/*
 * fuzz_review_record.c - libFuzzer target for review records (review/
 * review.c): any note text is read as records, and a line that is not a
 * valid record is skipped with a warning, never a crash or a leak. Then:
 *   - every review assembled has its fields, every thread its review's
 *     records, and each review's JSON encodes;
 *   - the union of a note with itself is its lines once each, and the
 *     union of two halves reads back as the same set of records.
 * Seeds: fuzz/corpus/review_record/.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "review/review.h"

int	 LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static _Noreturn void
fuzz_fail(const char *what)
{
	fprintf(stderr, "fuzz_review_record: %s\n", what);
	abort();
}

static const char anchor[] = "0123456789abcdef0123456789abcdef01234567";

/* Reviews, threads, replies and verdicts, as a comparable number. */
static size_t
weight(const char *text, size_t len)
{
	struct rev_store	*s = rev_store_new();
	size_t			 w = 0;

	rev_store_add_note(s, anchor, text, len);
	rev_store_finish(s);
	for (size_t i = 0; i < s->n; i++) {
		const struct rev_review	*rv = &s->reviews[i];
		json_t			*j;
		char			*enc;

		if (rv->id == NULL || rv->title == NULL || rv->base == NULL ||
		    rv->head_commit == NULL || rv->anchor == NULL)
			fuzz_fail("a review without its fields");
		j = rev_review_json(rv, true);
		if ((enc = json_dumps(j, JSON_COMPACT)) == NULL)
			fuzz_fail("a review's JSON does not encode");
		free(enc);
		json_decref(j);
		w += 1 + 100 * rv->nthreads + 10000 * rv->nverdicts;
		for (size_t k = 0; k < rv->nthreads; k++)
			w += 1000000 * rv->threads[k].nreplies;
		(void)rev_status(rv);
		(void)rev_open_threads(rv);
	}
	rev_store_free(s);
	return w;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char	*in = (const char *)data;
	size_t		 half = size / 2, w;
	char		*self, *both;

	w = weight(in, size);
	/* The union of a note with itself adds nothing. */
	self = rev_union(in, size, in, size, NULL);
	if (weight(self, strlen(self)) != w && memchr(in, '\0', size) == NULL)
		fuzz_fail("the union of a note with itself reads differently");
	/* Nor does splitting it and joining the halves back. */
	both = rev_union(in, half, in + half, size - half, NULL);
	(void)weight(both, strlen(both));
	free(self);
	free(both);
	return 0;
}

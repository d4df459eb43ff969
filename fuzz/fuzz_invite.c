/*
 * fuzz_invite.c - libFuzzer target for the invite decoder (core/invite.h),
 * which reads what a person pastes into `galley attach`. Arbitrary text is
 * decoded; what decodes is encoded again and must decode to the same
 * fields. No crash, no leak, no read past the text.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/invite.h"
#include "core/mem.h"

int	 LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
same(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct inv	 a, b;
	struct gl_err	 err;
	char		*text, *again;

	/* The decoder takes a C string: the input up to its first NUL. */
	text = xstrndup((const char *)data, size);
	memset(&a, 0, sizeof a);
	memset(&b, 0, sizeof b);
	if (inv_decode(text, &a, &err) == 0) {
		again = inv_encode(&a);
		if (inv_decode(again, &b, &err) != 0 ||
		    !same(a.kernel, b.kernel) || !same(a.session, b.session) ||
		    !same(a.path, b.path) || !same(a.member, b.member) ||
		    strcmp(a.token, b.token) != 0)
			abort();
		free(again);
	}
	inv_fini(&a);
	inv_fini(&b);
	free(text);
	return 0;
}

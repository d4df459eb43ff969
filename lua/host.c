/*
 * host.c - what the two Lua hosts (runtime and worker) share: the
 * counting allocator and the traceback filter (lua_int.h).
 */
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "lua/lua_int.h"

void *
lx_heap_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
	struct lx_heap	*h = ud;
	size_t		 old = ptr != NULL ? osize : 0;
	void		*p;

	if (nsize == 0) {
		free(ptr);
		h->used -= old;
		return NULL;
	}
	if (h->limit != 0 && nsize > old &&
	    nsize - old > (h->limit > h->used ? h->limit - h->used : 0)) {
		h->failed = 1;
		return NULL;
	}
	if ((p = realloc(ptr, nsize)) == NULL)
		return NULL;
	h->used = h->used - old + nsize;
	return p;
}

void
lx_traceback_clean(const char *tb, struct gl_buf *out)
{
	const char	*nl;

	gl_buf_reset(out);
	for (; tb != NULL && *tb != '\0'; tb = nl) {
		size_t	 n;

		nl = strchr(tb, '\n');
		nl = nl != NULL ? nl + 1 : tb + strlen(tb);
		n = (size_t)(nl - tb);
		/* Frames of C functions without a name are the host's. */
		if (strncmp(tb, "\t[C]: in ?", 10) == 0 &&
		    (n == 10 || tb[10] == '\n'))
			continue;
		gl_buf_add(out, tb, n);
	}
	while (out->len > 0 && out->data[out->len - 1] == '\n')
		out->data[--out->len] = '\0';
}

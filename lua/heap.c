/*
 * heap.c - the counting allocator of the Lua hosts (lua_int.h).
 */
#include <stdlib.h>

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

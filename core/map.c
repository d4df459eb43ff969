/*
 * map.c - the hash map of core/map.h.
 *
 * Linear probing in a table of a power of two slots, at most 3/4 full
 * (it doubles before passing that). Removal shifts the entries after the
 * removed one back into the hole when their home slot allows, so there
 * are no tombstones and a lookup stops at the first empty slot. Each slot
 * keeps its key's hash, so a probe compares strings only when the hashes
 * match.
 */
#include "core/map.h"

#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "core/util.h"

static struct gl_map_slot *gl_map_find(const struct gl_map *m,
		     const char *key, size_t len, uint32_t h);
static void	 gl_map_grow(struct gl_map *m);

void
gl_map_init(struct gl_map *m)
{
	memset(m, 0, sizeof *m);
}

void
gl_map_fini(struct gl_map *m)
{
	free(m->slots);
	memset(m, 0, sizeof *m);
}

void *
gl_map_get(const struct gl_map *m, const char *key, size_t len)
{
	struct gl_map_slot *sl;

	if (m->n == 0)
		return NULL;
	sl = gl_map_find(m, key, len, gl_fnv1a(key, len));
	return sl->key != NULL ? sl->val : NULL;
}

void *
gl_map_put(struct gl_map *m, const char *key, size_t len, void *val)
{
	uint32_t	 h = gl_fnv1a(key, len);
	struct gl_map_slot *sl;
	void		*old;

	if ((m->n + 1) * 4 > m->cap * 3)
		gl_map_grow(m);
	sl = gl_map_find(m, key, len, h);
	if (sl->key != NULL) {
		old = sl->val;
		sl->key = key;
		sl->val = val;
		return old;
	}
	sl->key = key;
	sl->len = len;
	sl->hash = h;
	sl->val = val;
	m->n++;
	return NULL;
}

void *
gl_map_del(struct gl_map *m, const char *key, size_t len)
{
	size_t		 mask = m->cap - 1, i, j, home;
	struct gl_map_slot *sl;
	void		*val;

	if (m->n == 0)
		return NULL;
	sl = gl_map_find(m, key, len, gl_fnv1a(key, len));
	if (sl->key == NULL)
		return NULL;
	val = sl->val;
	i = (size_t)(sl - m->slots);
	/* Shift back every entry after the hole whose home is not between
	 * the hole and it (cyclically): it would not be found otherwise. */
	for (j = (i + 1) & mask; m->slots[j].key != NULL; j = (j + 1) & mask) {
		home = m->slots[j].hash & mask;
		if (((j - home) & mask) >= ((j - i) & mask)) {
			m->slots[i] = m->slots[j];
			i = j;
		}
	}
	m->slots[i].key = NULL;
	m->n--;
	return val;
}

size_t
gl_map_count(const struct gl_map *m)
{
	return m->n;
}

/* The slot holding key, or the empty slot where it would go. The table
 * has at least one empty slot. */
static struct gl_map_slot *
gl_map_find(const struct gl_map *m, const char *key, size_t len,
    uint32_t h)
{
	size_t		 mask = m->cap - 1, i;
	struct gl_map_slot *sl;

	for (i = h & mask;; i = (i + 1) & mask) {
		sl = &m->slots[i];
		if (sl->key == NULL)
			return sl;
		if (sl->hash == h && sl->len == len &&
		    memcmp(sl->key, key, len) == 0)
			return sl;
	}
}

static void
gl_map_grow(struct gl_map *m)
{
	struct gl_map_slot *old = m->slots;
	size_t		 oldcap = m->cap;

	m->cap = oldcap ? 2 * oldcap : 16;
	m->slots = xcalloc(m->cap, sizeof *m->slots);
	for (size_t i = 0; i < oldcap; i++) {
		struct gl_map_slot *sl;

		if (old[i].key == NULL)
			continue;
		for (sl = &m->slots[old[i].hash & (m->cap - 1)];
		    sl->key != NULL;
		    sl = sl == &m->slots[m->cap - 1] ? m->slots : sl + 1)
			;
		*sl = old[i];
	}
	free(old);
}

/*
 * map.h - the one hash map by string key (a cell id, mostly): open
 * addressing with linear probing over gl_fnv1a, so that every lookup by
 * id costs the same whatever the number of cells. Pure memory; used by
 * kernel/ (a session's outputs by cell) and anything else that looks
 * things up by name. Depends on core/util.h only.
 *
 * Keys are borrowed: the map keeps the pointer and length it was given,
 * so a key must stay where it is, unchanged, while its entry is in the
 * map (make it part of the value, as struct sess_cell_out's id is).
 * Values are borrowed pointers too; the map frees neither.
 */
#ifndef GL_MAP_H
#define GL_MAP_H

#include <stddef.h>
#include <stdint.h>

struct gl_map_slot {
	const char	*key;		/* borrowed; NULL: empty */
	size_t		 len;
	uint32_t	 hash;
	void		*val;		/* borrowed */
};

struct gl_map {
	struct gl_map_slot *slots;	/* owned; cap of them */
	size_t		 cap;		/* 0 or a power of two */
	size_t		 n;
};

/* An empty map; so is a zeroed struct gl_map. */
void	 gl_map_init(struct gl_map *m);
/* Frees the table, not the keys or values. */
void	 gl_map_fini(struct gl_map *m);
/* The value of key[0..len), or NULL. */
void	*gl_map_get(const struct gl_map *m, const char *key, size_t len);
/* Sets key[0..len) (borrowed, see above) to val (not NULL), replacing
 * (and returning) the value it had, else returning NULL. */
void	*gl_map_put(struct gl_map *m, const char *key, size_t len,
	     void *val);
/* Removes key[0..len); returns its value, or NULL if it had none. */
void	*gl_map_del(struct gl_map *m, const char *key, size_t len);
size_t	 gl_map_count(const struct gl_map *m);

#endif

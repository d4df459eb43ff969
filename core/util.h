/*
 * util.h - small pure helpers every process shares: a seeded RNG, content
 * and table hashes, UTF-8 validation.
 * Pure except gl_rng_seed_random() (reads the OS's entropy), the clock
 * and the file helpers at the bottom (the one place core touches files:
 * atomic writes are needed by kernel/ and cli/ alike). Core's models
 * (notebook, ot, rpc) never read the clock: they take now_ms from their
 * caller; the clock is for the edges (client/, tui/, cli/, the worker).
 */
#ifndef GL_UTIL_H
#define GL_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct gl_err;

/* xoshiro-style generator; the caller seeds it (tests print the seed). */
struct gl_rng {
	uint64_t s[4];
};
void	 gl_rng_seed(struct gl_rng *r, uint64_t seed);
void	 gl_rng_seed_random(struct gl_rng *r);	/* from libsodium */
uint64_t gl_rng_next(struct gl_rng *r);
/* Uniform in [0, n); n > 0. */
uint64_t gl_rng_below(struct gl_rng *r, uint64_t n);

/* Content hash of len bytes as 32 lowercase hex digits + NUL (BLAKE2b-128). */
#define GL_HASH_HEX 33
void	 gl_hash_hex(const void *p, size_t len, char out[GL_HASH_HEX]);

/* FNV-1a (32 bits) of p[0..len): for hash tables, not for content (use
 * gl_hash_hex for that). */
uint32_t gl_fnv1a(const void *p, size_t len);

/* A longest strictly increasing subsequence of seq[0..n) (patience
 * sorting, O(n log n)), skipping entries equal to skip: on return
 * keep[i] is true for its members and false for every other i. The diff
 * of cells (review/ndiff.c, core/ot.c's ot_diff) names as moved the cells
 * off it, the fewest there can be. */
void	 gl_lis(const size_t *seq, size_t n, size_t skip, bool *keep);

/* True if p[0..len) is valid UTF-8 (no overlongs, no surrogates). On false
 * *bad (if not NULL) is the offset of the first bad byte. */
bool	 gl_utf8_valid(const char *p, size_t len, size_t *bad);

/* Splits "HOST:PORT" or "[V6HOST]:PORT" into new strings *host and *port
 * (the caller frees both). GL_EINVAL, with err saying what is wanted, if
 * either part is empty or PORT is not all digits or is over 65535. */
int	 gl_hostport_split(const char *spec, char **host, char **port,
	     struct gl_err *err);

/* The monotonic clock (CLOCK_MONOTONIC), in milliseconds and in
 * microseconds: for timeouts, deadlines and durations. */
int64_t	 gl_now_ms(void);
int64_t	 gl_now_us(void);
/* The wall clock (CLOCK_REALTIME) in Unix milliseconds: for times people
 * read and that outlive the process (expiries, messages' times). */
int64_t	 gl_wall_ms(void);

/* Reads a whole file; *out is NUL-terminated, caller frees. */
int	 gl_file_read(const char *path, char **out, size_t *lenp,
	     struct gl_err *err);
/* As gl_file_read(), for a file that must be a regular file (a
 * notebook): anything else (a FIFO, a device, a directory) is GL_EINVAL
 * saying what it is, without blocking on it or reading it. */
int	 gl_file_read_regular(const char *path, char **out, size_t *lenp,
	     struct gl_err *err);
/* Writes len bytes to path atomically: a temp file in the same directory,
 * fsync, rename, fsync of the directory. On failure (a full disk, say)
 * the old file is untouched and the temp file removed. mode is used for
 * a new file; an existing file keeps its mode. A symbolic link is
 * followed: its target is replaced and the link stays. */
int	 gl_file_write_atomic(const char *path, const void *p, size_t len,
	     unsigned mode, struct gl_err *err);
/* Removes the temporary files gl_file_write_atomic() left next to path
 * when its process was killed mid-write: PATH.tmp.XXXXXX, regular, not
 * locked (a writer holds a lock on its file until the rename) and not
 * written for GL_TEMP_STALE_S seconds. Nothing else is touched. Returns
 * how many were removed. */
#define GL_TEMP_STALE_S	10
size_t	 gl_file_clean_temps(const char *path);

#endif

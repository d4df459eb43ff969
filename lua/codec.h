/*
 * codec.h - the value codec: Lua values, functions included, to bytes and
 * back (DESIGN section 9). cluster.map and cluster.submit encode a task's
 * function with its upvalues, its arguments and the session globals the
 * function reads on the runtime's state; a worker decodes them on its own
 * state, runs the task and encodes the result the same way.
 *
 * The wire form is msgpack with galley's own ext types (docs/codec.md):
 * integers and floats stay apart (math.type survives, -0.0 and NaN
 * included), strings keep every byte, tables keep their identity within
 * one encoded unit (cycles, shared references, table keys), a Lua function
 * travels as its bytecode (lua_dump, not stripped, so tracebacks keep
 * their lines) plus its upvalues, shared upvalues stay shared, and the
 * globals a function reads that the session defined travel with it.
 * C functions and library tables of the standard library (and any the
 * host registers) travel by name. What cannot travel (a coroutine, a
 * userdata with no encoder, a C function nobody named) is refused with
 * GL_EINVAL and a message naming its path:
 *   "cannot send upvalue 'conn' field 'socket': a userdata (FILE*) has
 *    no encoder".
 *
 * Trust: the decoder never trusts its input: any bytes give values or an
 * error, never a crash or an allocation out of proportion to the input.
 * Bytecode is checked structurally before lua_load (header, sizes, upvalue
 * descriptors, debug info), but Lua cannot verify bytecode, and running
 * crafted bytecode can crash the VM. Therefore the kernel and workers
 * decode functions only from peers that authenticated with the cluster
 * secret; anything else decodes with CODEC_DEC_NOFUNC.
 *
 * Pure: bytes and lua_States in, bytes and values out; needs Lua and
 * core/ (err, mem, util), nothing else. Called by the Lua hosts of lua/
 * only: the runtime's cluster binding (lua/cluster.c encodes tasks and
 * decodes their results; lua/runtime.c names its print and display) and
 * the worker (lua/worker.c decodes tasks and encodes results); and by
 * tests/lua/test_codec.c, bench/bench_codec.c and fuzz/fuzz_codec.c. The
 * kernel carries the bytes without decoding them and does not include it.
 */
#ifndef GL_CODEC_H
#define GL_CODEC_H

#include <lua.h>
#include <stddef.h>

struct gl_buf;
struct gl_err;

/* Deepest nesting of tables, functions and userdata payloads. */
#define CODEC_MAX_DEPTH		200
/* Most values in one encoded unit (codec_encode's n). */
#define CODEC_MAX_VALUES	250
/* Default cap on one encoded unit, bytes. */
#define CODEC_DEFAULT_MAX_BYTES	((size_t)256 << 20)

/* codec_decode() flags. */
enum codec_flags {
	/* Refuse function values (GL_EPERM) after checking their bytecode's
	 * structure: for bytes from a peer that did not authenticate, and
	 * for the fuzzer. */
	CODEC_DEC_NOFUNC = 1 << 0,
	/* A library reference (a package.loaded module) that the decoding
	 * state has not loaded is require()d; without this flag it is an
	 * error. */
	CODEC_DEC_REQUIRE = 1 << 1,
};

/* A codec context: the names of the standard library's C functions and
 * tables (read once from a fresh state), the host's registrations, and
 * scratch memory reused between calls. One per Lua host; not thread-safe;
 * reentrant use (a __galley_encode that encodes) is allowed. */
struct codec;

/* A new context. Caller frees with codec_free(). */
struct codec *codec_new(void);
void	 codec_free(struct codec *c);

/* Caps one encoded unit at max bytes (CODEC_DEFAULT_MAX_BYTES until set);
 * bigger values are refused with GL_ELIMIT. Applies to decoding too. */
void	 codec_set_max_bytes(struct codec *c, size_t max);

/* Lets the C function fn travel by name (the host's print, display, ...).
 * Both sides must register the same names. A later registration of the
 * same name replaces the earlier one. name is copied. */
void	 codec_register_cfunc(struct codec *c, const char *name,
	     lua_CFunction fn);

/* Registers the decoder for userdata of type_name (its metatable's
 * __name). A userdata travels when its metatable has __galley_encode: the
 * encoder calls it with the userdata and encodes the value it returns (a
 * string or a table, typically) as the payload; the decoder calls
 * decode(payload, type_name), which returns the new value. Both may
 * raise errors; they become GL_ERUNTIME. name is copied. */
void	 codec_register_udata(struct codec *c, const char *type_name,
	     lua_CFunction decode);

/* Never ships the session global name with a function (a name the host
 * defines on both sides: cluster, galley, ...). name is copied. */
void	 codec_exclude_global(struct codec *c, const char *name);

/*
 * Encodes the n values at idx, idx+1, ... of L (1 <= n <= CODEC_MAX_VALUES)
 * as one unit, appended to out (identity is kept across the n values).
 * env is the stack index of the session's globals table, or 0: a function
 * whose _ENV is env carries the globals it reads whose values env holds
 * (recursively: a helper that calls a helper), except excluded names and
 * standard library values under their own name; env itself travels as
 * "the session globals". labels (NULL allowed) name the values in error
 * paths: labels[k] for value k+1, NULL or "" for none.
 * Leaves L's stack as it was. On failure out is as it was and returns
 * GL_EINVAL (a value that cannot travel, err naming its path), GL_ELIMIT
 * (too deep or too big), GL_ERUNTIME (a __galley_encode raised) or
 * GL_ENOMEM (L's allocator refused).
 */
int	 codec_encode(struct codec *c, lua_State *L, int idx, int n, int env,
	     const char *const *labels, struct gl_buf *out, struct gl_err *err);

/*
 * Decodes one unit from buf[0..len) and pushes its values onto L; *nout
 * (NULL allowed) gets how many. env is the stack index of the table that
 * the travelling globals fall back to (the worker's globals), or 0 for
 * L's global table: functions that read session globals get, as _ENV, a
 * new table holding the globals that travelled, with __index = env. One
 * such table per decoded unit, shared by all its functions. No decoded
 * code runs, except registered userdata decoders (and require with
 * CODEC_DEC_REQUIRE). On failure pushes nothing and returns GL_ESYNTAX
 * (malformed input, err saying what and at which byte), GL_EPERM (a
 * function under CODEC_DEC_NOFUNC), GL_ENOTFOUND (a C function, library
 * or userdata type unknown on this side), GL_ELIMIT, GL_ENOMEM or
 * GL_ERUNTIME (a userdata decoder raised).
 */
int	 codec_decode(struct codec *c, lua_State *L, const void *buf,
	     size_t len, int env, unsigned flags, int *nout,
	     struct gl_err *err);

#endif

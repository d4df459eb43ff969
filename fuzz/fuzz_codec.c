/*
 * fuzz_codec.c - libFuzzer target for the value codec's decoder: arbitrary
 * bytes decode into a fresh Lua state to values or a clean error, never a
 * crash, a leak or an allocation out of proportion to the input. A value
 * that decodes is encoded again (which may only fail on the depth limit:
 * a shared table reached by a longer path the second time) and that
 * encoding must decode.
 *
 * Decoding uses CODEC_DEC_NOFUNC: Lua cannot verify bytecode and running
 * crafted bytecode can crash the VM, so function values (Lua and C) are
 * refused after their bytecode's structure is checked (dp_check, which is
 * fuzzed this way) and nothing from the input is ever called. The real
 * hosts load functions only from peers holding the cluster secret
 * (lua/codec.h). Seeds: fuzz/corpus/codec/.
 */
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "core/err.h"
#include "core/mem.h"
#include "lua/codec.h"

int	 LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct codec *fuzz_codec;	/* one for the whole run */

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	lua_State	*L;
	struct gl_buf	 b;
	struct gl_err	 err;
	int		 n, n2, rc;

	if (fuzz_codec == NULL)
		fuzz_codec = codec_new();
	if ((L = luaL_newstate()) == NULL)
		return 0;
	luaL_openlibs(L);
	gl_buf_init(&b);
	rc = codec_decode(fuzz_codec, L, data, size, 0, CODEC_DEC_NOFUNC, &n,
	    &err);
	if (rc == 0) {
		if (n < 1 || lua_gettop(L) != n)
			abort();
		rc = codec_encode(fuzz_codec, L, 1, n, 0, NULL, &b, &err);
		if (rc != 0 && rc != GL_ELIMIT)
			abort();
		if (rc == 0) {
			lua_settop(L, 0);
			rc = codec_decode(fuzz_codec, L, b.data, b.len, 0,
			    CODEC_DEC_NOFUNC, &n2, &err);
			if (rc != 0 || n2 != n)
				abort();
		}
	} else if (lua_gettop(L) != 0)
		abort();
	gl_buf_fini(&b);
	lua_close(L);
	return 0;
}

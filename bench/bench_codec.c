/*
 * bench_codec.c - value codec figures (issue 5):
 *   encode and decode of a small task (a function with two upvalues and a
 *     number argument), 100,000 times each (target: a few microseconds)
 *   throughput for a 1 MB table of numbers (131,072 floats) and for a
 *     table of 131,072 small integers, encode and decode
 * usage: bench_codec [ITERATIONS]
 */
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "core/err.h"
#include "core/mem.h"
#include "lua/codec.h"

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
die(const char *what, const struct gl_err *err)
{
	fprintf(stderr, "bench_codec: %s: %s\n", what, err->msg);
	exit(1);
}

static lua_State *
new_state(void)
{
	lua_State *L = luaL_newstate();

	if (L == NULL) {
		fprintf(stderr, "bench_codec: no Lua state\n");
		exit(1);
	}
	luaL_openlibs(L);
	return L;
}

static void
bench_table(struct codec *c, lua_State *src, lua_State *dst,
    const char *what, const char *code, int rounds)
{
	struct gl_buf	 b;
	struct gl_err	 err;
	double		 t0, tenc, tdec;
	int		 n;

	gl_buf_init(&b);
	if (luaL_dostring(src, code) != LUA_OK) {
		fprintf(stderr, "bench_codec: %s\n", lua_tostring(src, -1));
		exit(1);
	}
	t0 = now_s();
	for (int i = 0; i < rounds; i++) {
		gl_buf_reset(&b);
		if (codec_encode(c, src, -1, 1, 0, NULL, &b, &err) != 0)
			die("encode", &err);
	}
	tenc = (now_s() - t0) / rounds;
	t0 = now_s();
	for (int i = 0; i < rounds; i++) {
		if (codec_decode(c, dst, b.data, b.len, 0, 0, &n, &err) != 0)
			die("decode", &err);
		lua_settop(dst, 0);
	}
	tdec = (now_s() - t0) / rounds;
	printf("%-32s %8zu bytes  encode %6.1f MB/s (%6.2f ms)  "
	    "decode %6.1f MB/s (%6.2f ms)\n", what, b.len,
	    b.len / tenc / 1e6, tenc * 1e3, b.len / tdec / 1e6, tdec * 1e3);
	lua_settop(src, 0);
	gl_buf_fini(&b);
}

int
main(int argc, char **argv)
{
	int		 iters = argc > 1 ? atoi(argv[1]) : 100000;
	struct codec	*c = codec_new();
	lua_State	*src = new_state(), *dst = new_state();
	struct gl_buf	 b;
	struct gl_err	 err;
	double		 t0, tenc, tdec, trt;
	int		 n;

	gl_buf_init(&b);
	if (luaL_dostring(src, "local scale, offset = 3, {base = 0.5}\n"
	    "return function(x) return x * scale + offset.base end, 7") !=
	    LUA_OK) {
		fprintf(stderr, "bench_codec: %s\n", lua_tostring(src, -1));
		return 1;
	}
	lua_pushglobaltable(src);

	t0 = now_s();
	for (int i = 0; i < iters; i++) {
		gl_buf_reset(&b);
		if (codec_encode(c, src, 1, 2, 3, NULL, &b, &err) != 0)
			die("encode", &err);
	}
	tenc = (now_s() - t0) / iters;

	t0 = now_s();
	for (int i = 0; i < iters; i++) {
		if (codec_decode(c, dst, b.data, b.len, 0, 0, &n, &err) != 0)
			die("decode", &err);
		lua_settop(dst, 0);
	}
	tdec = (now_s() - t0) / iters;

	/* Encode, decode, call and encode the result: what a task costs
	 * the two Lua hosts apart from the network. */
	t0 = now_s();
	for (int i = 0; i < iters; i++) {
		gl_buf_reset(&b);
		if (codec_encode(c, src, 1, 2, 3, NULL, &b, &err) != 0)
			die("encode", &err);
		if (codec_decode(c, dst, b.data, b.len, 0, 0, &n, &err) != 0)
			die("decode", &err);
		lua_call(dst, 1, 1);
		gl_buf_reset(&b);
		if (codec_encode(c, dst, -1, 1, 0, NULL, &b, &err) != 0)
			die("encode result", &err);
		lua_settop(dst, 0);
	}
	trt = (now_s() - t0) / iters;

	printf("small task (fn with 2 upvalues + a number), %d iterations\n",
	    iters);
	gl_buf_reset(&b);
	codec_encode(c, src, 1, 2, 3, NULL, &b, &err);
	printf("  encoded size          %zu bytes\n", b.len);
	printf("  encode                %.2f us\n", tenc * 1e6);
	printf("  decode                %.2f us\n", tdec * 1e6);
	printf("  encode+decode+call+encode result  %.2f us\n", trt * 1e6);

	/* The per-task part when a map's function travels once per job
	 * (docs/cluster-design.md): one number. */
	t0 = now_s();
	for (int i = 0; i < iters; i++) {
		gl_buf_reset(&b);
		if (codec_encode(c, src, 2, 1, 0, NULL, &b, &err) != 0)
			die("encode", &err);
	}
	tenc = (now_s() - t0) / iters;
	t0 = now_s();
	for (int i = 0; i < iters; i++) {
		if (codec_decode(c, dst, b.data, b.len, 0, 0, &n, &err) != 0)
			die("decode", &err);
		lua_settop(dst, 0);
	}
	tdec = (now_s() - t0) / iters;
	printf("one item (a number), %zu bytes: encode %.2f us, decode "
	    "%.2f us\n", b.len, tenc * 1e6, tdec * 1e6);
	lua_settop(src, 0);

	bench_table(c, src, dst, "1 MB table of 131072 floats",
	    "local t = {} for i = 1, 131072 do t[i] = i * 0.5 end return t",
	    20);
	bench_table(c, src, dst, "table of 131072 small integers",
	    "local t = {} for i = 1, 131072 do t[i] = i % 100 end return t",
	    20);
	bench_table(c, src, dst, "10000 records {id, name, score}",
	    "local t = {} for i = 1, 10000 do t[i] = {id = i, name = "
	    "'row' .. i, score = i / 3} end return t", 20);

	gl_buf_fini(&b);
	lua_close(src);
	lua_close(dst);
	codec_free(c);
	return 0;
}

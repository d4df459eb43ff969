/*
 * chunk.c - line information of a compiled chunk moved (lua/chunk.h).
 *
 * A Lua 5.4 function keeps, for each instruction, its line as a signed
 * byte added to the line before it (lineinfo; the first one's base is
 * linedefined), and every so often an absolute line (abslineinfo: pc,
 * line) where lineinfo holds ABSLINEINFO. Moving a nested function is
 * adding off to linedefined, lastlinedefined and the absolute lines. The
 * main function's linedefined must stay 0 (that is what makes it
 * "main"), so its first instruction becomes an absolute line instead:
 * lineinfo[0] = ABSLINEINFO and an entry {0, line + off} first in
 * abslineinfo (ldebug.c's getbaseline() finds it as any other).
 *
 * The chunk is read from lua_dump's bytes and written anew, every field
 * copied but those; sizes are lundump.c's varints (7 bits a byte, most
 * significant first, the last byte marked with 0x80).
 */
#include "lua/chunk.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>

#include "core/mem.h"

#define CH_HEADER_LEN	31		/* ldump.c's dumpHeader() */
#define CH_ABSLINEINFO	(-0x80)		/* ldebug.h */

struct ch {
	const unsigned char *p, *end;
	struct gl_buf	*out;
	long		 off;
	int		 depth;
	bool		 bad;
};

static int	 ch_writer(lua_State *L, const void *p, size_t n, void *ud);
static size_t	 ch_int(struct ch *c);
static void	 ch_put_int(struct ch *c, size_t x);
static void	 ch_copy(struct ch *c, size_t n);
static void	 ch_string(struct ch *c);
static void	 ch_function(struct ch *c, bool main);

int
lx_chunk_shift(lua_State *L, const char *chunkname, long off)
{
	struct gl_buf	 in, out;
	struct ch	 c;
	int		 st;

	gl_buf_init(&in);
	gl_buf_init(&out);
	if (lua_dump(L, ch_writer, &in, 0) != 0 || in.len < CH_HEADER_LEN ||
	    memcmp(in.data, LUA_SIGNATURE "\x54\x00", 6) != 0) {
		st = LUA_ERRERR;
		goto out;
	}
	memset(&c, 0, sizeof c);
	c.p = (const unsigned char *)in.data;
	c.end = c.p + in.len;
	c.out = &out;
	c.off = off;
	ch_copy(&c, CH_HEADER_LEN + 1);	/* and the main's upvalue count */
	ch_function(&c, true);
	if (c.bad || c.p != c.end) {
		st = LUA_ERRERR;
		goto out;
	}
	lua_pop(L, 1);
	st = luaL_loadbufferx(L, out.data, out.len, chunkname, "b");
out:
	gl_buf_fini(&in);
	gl_buf_fini(&out);
	return st;
}

bool
lx_chunk_msg_line(const char *msg, const char **at, long *line)
{
	const char	*p;
	char		*end;

	if (msg == NULL)
		return false;
	for (p = strchr(msg, ':'); p != NULL; p = strchr(p + 1, ':')) {
		if (p[1] < '0' || p[1] > '9')
			continue;
		*line = strtol(p + 1, &end, 10);
		if (*end != ':')
			continue;
		*at = p;
		return true;
	}
	return false;
}

void
lx_chunk_shift_msg(lua_State *L, long off)
{
	const char	*msg = lua_tostring(L, -1), *p, *end;
	long		 line;

	if (!lx_chunk_msg_line(msg, &p, &line))
		return;
	end = strchr(p + 1, ':');
	lua_pushlstring(L, msg, (size_t)(p + 1 - msg));
	lua_pushfstring(L, "%I%s", (lua_Integer)(line + off), end);
	lua_concat(L, 2);
	lua_remove(L, -2);
}

static int
ch_writer(lua_State *L, const void *p, size_t n, void *ud)
{
	(void)L;
	gl_buf_add(ud, p, n);
	return 0;
}

static size_t
ch_int(struct ch *c)
{
	size_t	 x = 0;
	unsigned b;

	do {
		if (c->p >= c->end || x >> 56 != 0) {
			c->bad = true;
			return 0;
		}
		b = *c->p++;
		x = (x << 7) | (b & 0x7f);
	} while ((b & 0x80) == 0);
	return x;
}

static void
ch_put_int(struct ch *c, size_t x)
{
	unsigned char	 b[16];
	int		 n = 0;

	do {
		b[sizeof b - ++n] = x & 0x7f;
		x >>= 7;
	} while (x != 0);
	b[sizeof b - 1] |= 0x80;
	gl_buf_add(c->out, b + sizeof b - n, (size_t)n);
}

static void
ch_copy(struct ch *c, size_t n)
{
	if (c->bad || n > (size_t)(c->end - c->p)) {
		c->bad = true;
		return;
	}
	gl_buf_add(c->out, c->p, n);
	c->p += n;
}

/* A string: size 0 (NULL), else size - 1 bytes. */
static void
ch_string(struct ch *c)
{
	size_t	 n = ch_int(c);

	ch_put_int(c, n);
	if (n > 0)
		ch_copy(c, n - 1);
}

static void
ch_function(struct ch *c, bool main)
{
	size_t	 n, nli, nabs, pc, line;
	const unsigned char *li;
	bool	 first;

	if (c->bad || ++c->depth > 200) {
		c->bad = true;
		return;
	}
	ch_string(c);				/* source */
	for (int i = 0; i < 2; i++) {		/* linedefined, last */
		n = ch_int(c);
		ch_put_int(c, main ? n : n + (size_t)c->off);
	}
	ch_copy(c, 3);			/* numparams, is_vararg, maxstack */
	n = ch_int(c);				/* code */
	ch_put_int(c, n);
	ch_copy(c, n > SIZE_MAX / 4 ? SIZE_MAX : n * 4);
	n = ch_int(c);				/* constants */
	ch_put_int(c, n);
	for (size_t i = 0; i < n && !c->bad; i++) {
		unsigned t = c->p < c->end ? *c->p : 0xff;

		ch_copy(c, 1);
		if (t == 0x03 || t == 0x13)		/* integer, float */
			ch_copy(c, 8);
		else if (t == 0x04 || t == 0x14)	/* strings */
			ch_string(c);
		else if (t != 0x00 && t != 0x01 && t != 0x11)
			c->bad = true;
	}
	n = ch_int(c);				/* upvalues */
	ch_put_int(c, n);
	ch_copy(c, n > SIZE_MAX / 3 ? SIZE_MAX : n * 3);
	n = ch_int(c);				/* nested functions */
	ch_put_int(c, n);
	for (size_t i = 0; i < n && !c->bad; i++)
		ch_function(c, false);

	/* Line information. */
	nli = ch_int(c);
	li = c->p;
	ch_put_int(c, nli);
	ch_copy(c, nli);
	if (c->bad)
		return;
	first = main && nli > 0 && (signed char)li[0] != CH_ABSLINEINFO;
	if (first)
		c->out->data[c->out->len - nli] = (char)(unsigned char)0x80;
	nabs = ch_int(c);
	ch_put_int(c, nabs + first);
	if (first) {
		ch_put_int(c, 0);
		ch_put_int(c, (size_t)((long)(signed char)li[0] + c->off));
	}
	for (size_t i = 0; i < nabs && !c->bad; i++) {
		pc = ch_int(c);
		line = ch_int(c);
		ch_put_int(c, pc);
		ch_put_int(c, line + (size_t)c->off);
	}
	n = ch_int(c);				/* local variables */
	ch_put_int(c, n);
	for (size_t i = 0; i < n && !c->bad; i++) {
		ch_string(c);
		ch_put_int(c, ch_int(c));
		ch_put_int(c, ch_int(c));
	}
	n = ch_int(c);				/* upvalue names */
	ch_put_int(c, n);
	for (size_t i = 0; i < n && !c->bad; i++)
		ch_string(c);
	c->depth--;
}

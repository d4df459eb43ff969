/*
 * host.c - what every Lua host of galley shares (lua_int.h): the counting
 * allocator, the state set-up (extra space, panic, the standard libraries,
 * print and display, package.path), the message handler and its
 * traceback filter. The runtime (lua/runtime.c) and the worker
 * (lua/worker.c) are full hosts; the configuration loader (lua/config.c)
 * is a bare one that builds its own sandbox on the same heap.
 *
 * print and display format their values into a C buffer of the host (no
 * Lua string is made for the line) and hand the text to the host's ops:
 * the runtime streams it to the kernel, the worker keeps it with the
 * task's result.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <lualib.h>

#include "core/err.h"
#include "core/mem.h"
#include "lua/lua_int.h"

/* A scratch buffer grown past this by one big print is given back. */
#define LX_TEXT_KEEP	(1u << 20)

static int	 lx_host_panic(lua_State *L);
static int	 lx_host_setup(lua_State *L);

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

int
lx_host_init(struct lx_host *h, const struct lx_host_opts *opts,
    struct gl_err *err)
{
	memset(h, 0, sizeof *h);
	gl_buf_init(&h->tb);
	gl_buf_init(&h->text);
	h->name = opts->name;
	h->ops = opts->ops;
	h->ud = opts->ud;
	h->heap.limit = opts->memory_limit;
	if ((h->L = lua_newstate(lx_heap_alloc, &h->heap)) == NULL)
		return gl_err_set(err, GL_ENOMEM, "cannot create a Lua state "
		    "within %zu bytes", h->heap.limit);
	*(struct lx_host **)lua_getextraspace(h->L) = h;
	lua_atpanic(h->L, lx_host_panic);
	if ((opts->flags & LX_HOST_STDLIB) == 0)
		return 0;
	lua_pushcfunction(h->L, lx_host_setup);
	lua_pushlightuserdata(h->L, (void *)opts->path_first);
	if (lua_pcall(h->L, 1, 0, 0) != LUA_OK) {
		int rc = gl_err_set(err, GL_ENOMEM, "setup failed: %s",
		    lua_tostring(h->L, -1));

		lua_pop(h->L, 1);
		return rc;
	}
	return 0;
}

void
lx_host_fini(struct lx_host *h)
{
	if (h->L != NULL)
		lua_close(h->L);
	h->L = NULL;
	gl_buf_fini(&h->tb);
	gl_buf_fini(&h->text);
}

struct lx_host *
lx_host_of(lua_State *L)
{
	return *(struct lx_host **)lua_getextraspace(L);
}

int
lx_host_msgh(lua_State *L)
{
	struct lx_host	*h = lx_host_of(L);

	h->in_msgh = 1;
	if (lua_type(L, 1) != LUA_TSTRING) {
		luaL_tolstring(L, 1, NULL);
		lua_replace(L, 1);
	}
	lua_settop(L, 1);
	if (h->ops != NULL && h->ops->on_error != NULL)
		h->ops->on_error(h->ud, L);
	luaL_traceback(L, L, NULL, 1);
	lx_traceback_clean(lua_tostring(L, -1), &h->tb);
	lua_settop(L, 1);
	h->in_msgh = 0;
	return 1;
}

const char *
lx_host_format(struct lx_host *h, lua_State *L, int first, int last,
    size_t *len)
{
	const char	*s;
	size_t		 n;

	if (h->text.cap > LX_TEXT_KEEP) {
		gl_buf_fini(&h->text);
		gl_buf_init(&h->text);
	}
	gl_buf_reset(&h->text);
	for (int i = first; i <= last; i++) {
		if (i > first)
			gl_buf_addc(&h->text, '\t');
		s = luaL_tolstring(L, i, &n);
		gl_buf_add(&h->text, s, n);
		lua_pop(L, 1);
	}
	if (h->text.data == NULL)
		gl_buf_add(&h->text, "", 0);
	*len = h->text.len;
	return h->text.data;
}

/* print(...): the values, tab-separated, and a newline, to ops->print.
 * [-n, +0, e] */
int
lx_host_print(lua_State *L)
{
	struct lx_host	*h = lx_host_of(L);
	size_t		 len;

	lx_host_format(h, L, 1, lua_gettop(L), &len);
	gl_buf_addc(&h->text, '\n');
	h->ops->print(h->ud, h->text.data, h->text.len);
	return 0;
}

/* display(...): the values as the REPL shows them, to ops->display;
 * nothing for no values. [-n, +0, e] */
int
lx_host_display(lua_State *L)
{
	struct lx_host	*h = lx_host_of(L);
	const char	*s;
	size_t		 len;

	if (lua_gettop(L) == 0)
		return 0;
	s = lx_host_format(h, L, 1, lua_gettop(L), &len);
	h->ops->display(h->ud, s, len);
	return 0;
}

static int
lx_host_panic(lua_State *L)
{
	struct lx_host	*h = lx_host_of(L);
	const char	*msg = lua_tostring(L, -1);

	fprintf(stderr, "galley %s: unprotected Lua error: %s\n",
	    h != NULL && h->name != NULL ? h->name : "lua",
	    msg != NULL ? msg : "(not a string)");
	return 0;	/* Lua aborts */
}

/* The standard libraries, print, display, package.path (its first part
 * is the light userdata argument, or NULL). [-1, +0, m] */
static int
lx_host_setup(lua_State *L)
{
	const char	*first = lua_touserdata(L, 1);
	const char	*extra = getenv("GALLEY_LUA_PATH");
	luaL_Buffer	 b;

	lua_settop(L, 0);
	luaL_openlibs(L);
	lua_pushcfunction(L, lx_host_print);
	lua_setglobal(L, "print");
	lua_pushcfunction(L, lx_host_display);
	lua_setglobal(L, "display");

	lua_getglobal(L, "package");
	luaL_buffinit(L, &b);
	if (first != NULL) {
		luaL_addstring(&b, first);
		luaL_addchar(&b, ';');
	}
	if (extra != NULL && *extra != '\0') {
		luaL_addstring(&b, extra);
		luaL_addchar(&b, ';');
	}
	lua_getfield(L, 1, "path");
	if (lua_type(L, -1) == LUA_TSTRING)
		luaL_addvalue(&b);
	else
		lua_pop(L, 1);
	luaL_pushresult(&b);
	lua_setfield(L, 1, "path");
	lua_pop(L, 1);
	return 0;
}

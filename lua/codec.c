/*
 * codec.c - the value codec (docs/codec.md has the wire format).
 *
 * Design.
 *
 * One encoded unit is the msgpack array [1, v1, ..., vn, globals]: the
 * format version, the values, and a map from global names to the values
 * that travel with the unit's functions. Plain values are plain msgpack
 * (integers as msgpack ints, floats always as float64, strings as str
 * when valid UTF-8 and bin otherwise, sequences 1..n as arrays, other
 * tables as maps); what msgpack lacks is an ext type (CX_*).
 *
 * Identity. Every table, Lua function and userdata gets the next reference
 * number when the encoder first meets it (a userdata: once its payload is
 * written, since the decoder can only make it after decoding the payload);
 * meeting it again writes CX_REF n. The decoder numbers objects in the
 * same order (tables and functions as soon as they are created, before
 * their contents), so cycles and shared references come back as they were.
 * Upvalues are shared cells in Lua: the encoder remembers each upvalue's
 * lua_upvalueid with the (function reference, upvalue number) where it
 * was first met, and a later function capturing the same cell writes
 * CX_UPJOIN instead of the value; the decoder lua_upvaluejoin()s.
 *
 * Globals. A function's bytecode is parsed (dp_*) for GETTABUP
 * instructions on an upvalue that holds the session's env table (or, in a
 * nested prototype, captures such an upvalue of its parent); their
 * constant keys are the global names it reads. After the values, each name
 * not excluded, present in env and not the standard library's own value
 * under that name is encoded into the globals map, which may add names
 * (a helper calling a helper) until none is left. The decoder puts the
 * globals into a fresh table whose __index is the worker's globals and
 * makes that table the _ENV of every function of the unit.
 *
 * Invariants. The encoder leaves the Lua stack as it found it and the
 * output buffer as it found it on failure; all Lua calls run inside one
 * lua_pcall so a raised error never skips C cleanup (C memory lives in
 * struct enc / struct dec, owned by the caller of the pcall). The decoder
 * bounds every allocation by the bytes left (an array header claiming n
 * elements needs n more bytes), nests at most CODEC_MAX_DEPTH levels, and
 * checks bytecode with dp_check() before lua_load().
 */
#include "lua/codec.h"

#include <lauxlib.h>
#include <lualib.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/mem.h"
#include "core/util.h"

/* The ext types (docs/codec.md). Never renumber. */
enum {
	CX_REF = 1,		/* uint: an object met before */
	CX_TABLE_MT = 2,	/* array|map, metatable */
	CX_FUNC = 3,		/* bin bytecode, uint n, n upvalues */
	CX_UPJOIN = 4,		/* uint function ref, uint upvalue number */
	CX_CFUNC = 5,		/* str name */
	CX_LIB = 6,		/* str package.loaded name */
	CX_ENV = 7,		/* empty: the unit's globals table */
	CX_GLOBALS = 8,		/* empty: the decoding state's _G */
	CX_UDATA = 9,		/* str type name, payload */
};

#define CODEC_VERSION	1
#define DUMP_HEADER_LEN	31	/* Lua 5.4 binary chunk header */
#define OP_GETTABUP	11	/* Lua 5.4 opcode number */
#define MAXIWTHABS	128	/* Lua 5.4 ldebug.h */
#define MAX_UPVALS	255
#define PATH_SEGS	512

/* --- registries of names --- */

struct regent {
	char		*name;		/* owned */
	size_t		 len;
	lua_CFunction	 fn;
	unsigned	 std : 1;	/* from a fresh standard state */
	unsigned	 closure : 1;	/* a C closure there: resolved by path */
};

/* A vector of entries plus hash indexes by name and by function pointer
 * (slot values are entry index + 1; 0 is empty), rebuilt on change:
 * registrations are rare, lookups hot. */
struct reg {
	struct regent	*v;
	size_t		 n, cap;
	uint32_t	*byname, *byptr;
	size_t		 icap;		/* power of two */
};

/* Pointer -> two numbers, cleared in O(1) by bumping gen. */
struct pslot {
	const void	*key;
	uint32_t	 gen;
	uint32_t	 a, b;
};

struct pmap {
	struct pslot	*s;
	uint32_t	 mask;
	uint32_t	 n;
	uint32_t	 gen;
};

struct codec {
	struct reg	 cfuncs;	/* C functions that travel by name */
	struct reg	 udata;		/* userdata decoders by type name */
	struct reg	 excluded;	/* globals never shipped */
	struct reg	 stdlibs;	/* package.loaded names of a fresh state */
	unsigned char	 header[DUMP_HEADER_LEN];
	size_t		 max_bytes;
	struct enc	*spare;		/* owned; NULL while lent out */
};

/* --- encoder state --- */

enum seg_kind {
	SEG_LABEL, SEG_UPVAL, SEG_FSTR, SEG_FINT, SEG_FNUM, SEG_FOTHER,
	SEG_KEY, SEG_META, SEG_GLOBAL, SEG_PAYLOAD,
};

struct seg {
	enum seg_kind	 kind;
	const char	*s;		/* borrowed from the Lua stack */
	size_t		 len;
	lua_Integer	 i;
	lua_Number	 d;
};

struct dpk {
	const unsigned char *s;		/* string constant, or NULL */
	size_t		 len;
};

struct enc {
	/* Kept from call to call (the codec keeps one struct enc). */
	struct pmap	*seen;		/* owned: object -> ref (a) */
	struct pmap	*ups;		/* owned: upvalue id -> (ref, n) */
	const void	**libs;		/* owned: package.loaded tables */
	size_t		 libscap;
	struct dpk	*k;		/* owned: dp_check's scratch */
	size_t		 kcap;
	/* Cleared by each call, from here to path. */
	struct codec	*c;
	lua_State	*L;
	struct gl_buf	*b;
	size_t		 limit;		/* b->len never exceeds it */
	const char *const *labels;
	int		 nvals;
	int		 env;		/* stack slot or 0 */
	int		 globals;	/* stack slot of L's _G */
	int		 anchors;	/* stack slot: table or nil */
	int		 names;		/* stack slot: table or nil */
	lua_Integer	 nanchors;
	lua_Integer	 nnames;
	uint32_t	 nrefs;
	int		 depth;
	int		 npath;
	size_t		 nlibs;
	bool		 libs_built;
	int		 rc;
	struct gl_err	*err;
	/* Last: not cleared. One more than PATH_SEGS, the sink for
	 * segments pushed past the end. */
	struct seg	 path[PATH_SEGS + 1];
};

/* --- decoder state --- */

struct dec {
	struct codec	*c;
	lua_State	*L;
	const unsigned char *start, *p, *end;
	unsigned	 flags;
	int		 refs;		/* stack slot: ref n -> object */
	int		 base;		/* stack slot: __index of the env */
	int		 envslot;	/* stack slot: the env table or nil */
	lua_Integer	 nrefs;
	int		 depth;
	int		 rc;
	struct gl_err	*err;
};

/* --- bytecode parser --- */

struct dp {
	const unsigned char *start, *p, *end;
	int		 depth;
	struct dpk	*k;		/* scratch, lent by the caller */
	size_t		 kcap;
	void		(*on_name)(void *, const char *, size_t);
	void		*ud;
	const char	*why;		/* static: what was wrong */
};

static void	 reg_fini(struct reg *r);
static struct regent *reg_find(const struct reg *r, const char *name,
		     size_t len);
static struct regent *reg_find_fn(const struct reg *r, lua_CFunction fn);
static struct regent *reg_put(struct reg *r, const char *name, size_t len,
		     lua_CFunction fn);
static void	 pmap_free(struct pmap *m);
static struct pmap *pmap_new(void);
static void	 pmap_begin(struct pmap *m);
static void	 enc_free(struct enc *e);
static struct pslot *pmap_find(const struct pmap *m, const void *key);
static struct pslot *pmap_put(struct pmap *m, const void *key);
static void	 codec_scan_fresh(struct codec *c);
static int	 enc_main(lua_State *L);
static int	 enc_value(struct enc *e, int idx);
static int	 dec_main(lua_State *L);
static int	 dp_check(struct dp *d, const unsigned char *hdr,
		     const unsigned char *buf, size_t len,
		     const unsigned char *envish, int *nups);

/* ------------------------------------------------------------------ */
/* Public functions                                                     */
/* ------------------------------------------------------------------ */

struct codec *
codec_new(void)
{
	struct codec	*c = xcalloc(1, sizeof *c);

	c->max_bytes = CODEC_DEFAULT_MAX_BYTES;
	codec_scan_fresh(c);
	return c;
}

void
codec_free(struct codec *c)
{
	if (c == NULL)
		return;
	reg_fini(&c->cfuncs);
	reg_fini(&c->udata);
	reg_fini(&c->excluded);
	reg_fini(&c->stdlibs);
	enc_free(c->spare);
	free(c);
}

void
codec_set_max_bytes(struct codec *c, size_t max)
{
	c->max_bytes = max;
}

void
codec_register_cfunc(struct codec *c, const char *name, lua_CFunction fn)
{
	struct regent	*ent = reg_put(&c->cfuncs, name, strlen(name), fn);

	ent->std = 0;
	ent->closure = 0;
}

void
codec_register_udata(struct codec *c, const char *type_name,
    lua_CFunction decode)
{
	reg_put(&c->udata, type_name, strlen(type_name), decode);
}

void
codec_exclude_global(struct codec *c, const char *name)
{
	reg_put(&c->excluded, name, strlen(name), NULL);
}

int
codec_encode(struct codec *c, lua_State *L, int idx, int n, int env,
    const char *const *labels, struct gl_buf *out, struct gl_err *err)
{
	struct enc	*e;
	size_t		 base = out->len;
	int		 top = lua_gettop(L), st, rc;

	if (n < 1 || n > CODEC_MAX_VALUES)
		return gl_err_set(err, GL_EINVAL, "codec: cannot send %d "
		    "values at once (1 to %d)", n, CODEC_MAX_VALUES);
	idx = lua_absindex(L, idx);
	if (idx < 1 || idx + n - 1 > top)
		return gl_err_set(err, GL_EINVAL, "codec: no values at stack "
		    "index %d", idx);
	if (env != 0) {
		env = lua_absindex(L, env);
		if (lua_type(L, env) != LUA_TTABLE)
			return gl_err_set(err, GL_EINVAL, "codec: the globals "
			    "to send with functions are not a table");
	}
	if (!lua_checkstack(L, n + 8))
		return gl_err_set(err, GL_ENOMEM, "codec: Lua stack full");
	if ((e = c->spare) != NULL)
		c->spare = NULL;
	else {
		/* The first call, or a reentrant one. */
		e = xmalloc(sizeof *e);
		memset(e, 0, offsetof(struct enc, c));
		e->seen = pmap_new();
		e->ups = pmap_new();
	}
	memset(&e->c, 0, offsetof(struct enc, path) -
	    offsetof(struct enc, c));
	pmap_begin(e->seen);
	pmap_begin(e->ups);
	e->c = c;
	e->L = L;
	e->b = out;
	e->limit = c->max_bytes > SIZE_MAX - base ? SIZE_MAX :
	    base + c->max_bytes;
	e->labels = labels;
	e->nvals = n;
	e->err = err;
	lua_pushcfunction(L, enc_main);
	lua_pushlightuserdata(L, e);
	if (env != 0)
		lua_pushvalue(L, env);
	else
		lua_pushnil(L);
	for (int i = 0; i < n; i++)
		lua_pushvalue(L, idx + i);
	st = lua_pcall(L, n + 2, 0, 0);
	rc = e->rc;
	if (st != LUA_OK && rc == 0) {
		const char *msg = lua_tostring(L, -1);

		rc = gl_err_set(err, st == LUA_ERRMEM ? GL_ENOMEM :
		    GL_ERUNTIME, "cannot send the value: %s",
		    msg != NULL ? msg : "error object is not a string");
	}
	if (rc != 0) {
		out->len = base;
		if (out->data != NULL)
			out->data[base] = '\0';
	} else if (out->data != NULL)
		out->data[out->len] = '\0';
	lua_settop(L, top);
	if (c->spare == NULL && e->seen->mask <= 65535 &&
	    e->ups->mask <= 65535)
		c->spare = e;
	else
		enc_free(e);	/* do not keep huge tables after huge values */
	return rc;
}

int
codec_decode(struct codec *c, lua_State *L, const void *buf, size_t len,
    int env, unsigned flags, int *nout, struct gl_err *err)
{
	struct dec	 d;
	int		 top = lua_gettop(L), st, rc;

	if (nout != NULL)
		*nout = 0;
	if (len > c->max_bytes)
		return gl_err_set(err, GL_ELIMIT, "cannot receive a value of "
		    "%zu bytes: the limit is %zu", len, c->max_bytes);
	if (env != 0) {
		env = lua_absindex(L, env);
		if (lua_type(L, env) != LUA_TTABLE)
			return gl_err_set(err, GL_EINVAL, "codec: the globals "
			    "to decode into are not a table");
	}
	if (!lua_checkstack(L, 8))
		return gl_err_set(err, GL_ENOMEM, "codec: Lua stack full");
	memset(&d, 0, sizeof d);
	d.c = c;
	d.L = L;
	d.start = d.p = buf;
	d.end = d.start + len;
	d.flags = flags;
	d.err = err;
	lua_pushcfunction(L, dec_main);
	lua_pushlightuserdata(L, &d);
	if (env != 0)
		lua_pushvalue(L, env);
	else
		lua_pushnil(L);
	st = lua_pcall(L, 2, LUA_MULTRET, 0);
	rc = d.rc;
	if (st != LUA_OK && rc == 0) {
		const char *msg = lua_tostring(L, -1);

		rc = gl_err_set(err, st == LUA_ERRMEM ? GL_ENOMEM :
		    GL_ERUNTIME, "cannot receive the value: %s",
		    msg != NULL ? msg : "error object is not a string");
	}
	if (rc != 0) {
		lua_settop(L, top);
		return rc;
	}
	if (nout != NULL)
		*nout = lua_gettop(L) - top;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Registries                                                           */
/* ------------------------------------------------------------------ */

static uint32_t
hash_ptr(const void *p)
{
	uint64_t x = (uint64_t)(uintptr_t)p;

	x ^= x >> 29;
	x *= 0x9e3779b97f4a7c15ull;
	return (uint32_t)(x >> 32);
}

static uint32_t
hash_fn(lua_CFunction fn)
{
	uintptr_t u;

	memcpy(&u, &fn, sizeof u < sizeof fn ? sizeof u : sizeof fn);
	return hash_ptr((const void *)u);
}

static void
reg_rebuild(struct reg *r)
{
	size_t	 cap = 16;

	while (cap < r->n * 2 + 2)
		cap *= 2;
	free(r->byname);
	free(r->byptr);
	r->byname = xcalloc(cap, sizeof *r->byname);
	r->byptr = xcalloc(cap, sizeof *r->byptr);
	r->icap = cap;
	for (size_t i = 0; i < r->n; i++) {
		struct regent	*ent = &r->v[i];
		size_t		 h;

		h = gl_fnv1a(ent->name, ent->len) & (cap - 1);
		while (r->byname[h] != 0)
			h = (h + 1) & (cap - 1);
		r->byname[h] = (uint32_t)i + 1;
		if (ent->fn == NULL || reg_find_fn(r, ent->fn) != NULL)
			continue;	/* the first name of a function wins */
		h = hash_fn(ent->fn) & (cap - 1);
		while (r->byptr[h] != 0)
			h = (h + 1) & (cap - 1);
		r->byptr[h] = (uint32_t)i + 1;
	}
}

static void
reg_fini(struct reg *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->v[i].name);
	free(r->v);
	free(r->byname);
	free(r->byptr);
	memset(r, 0, sizeof *r);
}

static struct regent *
reg_find(const struct reg *r, const char *name, size_t len)
{
	size_t	 h;

	if (r->icap == 0)
		return NULL;
	h = gl_fnv1a(name, len) & (r->icap - 1);
	while (r->byname[h] != 0) {
		struct regent *ent = &r->v[r->byname[h] - 1];

		if (ent->len == len && memcmp(ent->name, name, len) == 0)
			return ent;
		h = (h + 1) & (r->icap - 1);
	}
	return NULL;
}

static struct regent *
reg_find_fn(const struct reg *r, lua_CFunction fn)
{
	size_t	 h;

	if (r->icap == 0)
		return NULL;
	h = hash_fn(fn) & (r->icap - 1);
	while (r->byptr[h] != 0) {
		struct regent *ent = &r->v[r->byptr[h] - 1];

		if (ent->fn == fn)
			return ent;
		h = (h + 1) & (r->icap - 1);
	}
	return NULL;
}

/* Adds or replaces name; rebuilds the indexes. */
static struct regent *
reg_put(struct reg *r, const char *name, size_t len, lua_CFunction fn)
{
	struct regent	*ent = reg_find(r, name, len);

	if (ent == NULL) {
		if (r->n == r->cap) {
			r->cap = r->cap ? r->cap * 2 : 32;
			r->v = xrealloc(r->v, r->cap * sizeof *r->v);
		}
		ent = &r->v[r->n++];
		memset(ent, 0, sizeof *ent);
		ent->name = xstrndup(name, len);
		ent->len = len;
	}
	ent->fn = fn;
	reg_rebuild(r);
	return reg_find(r, name, len);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
dump_to_buf(lua_State *L, const void *p, size_t sz, void *ud)
{
	gl_buf_add(ud, p, sz);
	return 0;
}

/* Reads a fresh standard state once: every C function of every library
 * (by "name" for _G's, "lib.name" for the others), the library names,
 * and the binary chunk header this Lua writes. */
static void
codec_scan_fresh(struct codec *c)
{
	lua_State	*L = luaL_newstate();
	char		**libs = NULL;
	size_t		 nlibs = 0;
	struct gl_buf	 b, name;

	if (L == NULL)
		gl_fatal("codec: cannot create a Lua state");
	luaL_openlibs(L);
	gl_buf_init(&b);
	gl_buf_init(&name);
	if (luaL_loadstring(L, "return") != LUA_OK)
		gl_fatal("codec: cannot compile a chunk");
	lua_dump(L, dump_to_buf, &b, 0);
	if (b.len < DUMP_HEADER_LEN)
		gl_fatal("codec: unexpected binary chunk");
	memcpy(c->header, b.data, DUMP_HEADER_LEN);
	lua_pop(L, 1);

	lua_getfield(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
	lua_pushnil(L);
	while (lua_next(L, -2)) {
		if (lua_type(L, -2) == LUA_TSTRING &&
		    lua_type(L, -1) == LUA_TTABLE) {
			libs = xrealloc(libs, (nlibs + 1) * sizeof *libs);
			libs[nlibs++] = xstrdup(lua_tostring(L, -2));
		}
		lua_pop(L, 1);
	}
	qsort(libs, nlibs, sizeof *libs, cmp_str);
	for (size_t i = 0; i < nlibs; i++) {
		bool	 g = strcmp(libs[i], "_G") == 0;

		reg_put(&c->stdlibs, libs[i], strlen(libs[i]), NULL);
		lua_getfield(L, -1, libs[i]);
		lua_pushnil(L);
		while (lua_next(L, -2)) {
			if (lua_type(L, -2) == LUA_TSTRING &&
			    lua_iscfunction(L, -1)) {
				lua_CFunction	 fn = lua_tocfunction(L, -1);
				struct regent	*ent;
				bool		 closure;

				closure = lua_getupvalue(L, -1, 1) != NULL;
				if (closure)
					lua_pop(L, 1);
				gl_buf_reset(&name);
				if (!g)
					gl_buf_addf(&name, "%s.", libs[i]);
				gl_buf_adds(&name, lua_tostring(L, -2));
				if (reg_find(&c->cfuncs, name.data,
				    name.len) == NULL) {
					/* Inlined reg_put without a rebuild
					 * per entry. */
					struct reg *r = &c->cfuncs;

					if (r->n == r->cap) {
						r->cap = r->cap ? r->cap * 2 :
						    256;
						r->v = xrealloc(r->v, r->cap *
						    sizeof *r->v);
					}
					ent = &r->v[r->n++];
					memset(ent, 0, sizeof *ent);
					ent->name = xstrndup(name.data,
					    name.len);
					ent->len = name.len;
					ent->fn = fn;
					ent->std = 1;
					ent->closure = closure;
				}
			}
			lua_pop(L, 1);
		}
		lua_pop(L, 1);
		free(libs[i]);
	}
	reg_rebuild(&c->cfuncs);
	free(libs);
	gl_buf_fini(&b);
	gl_buf_fini(&name);
	lua_close(L);
}

/* ------------------------------------------------------------------ */
/* Pointer maps                                                         */
/* ------------------------------------------------------------------ */

static struct pmap *
pmap_new(void)
{
	struct pmap	*m = xcalloc(1, sizeof *m);

	m->mask = 63;
	m->s = xcalloc(m->mask + 1, sizeof *m->s);
	return m;
}

/* Empties m. */
static void
pmap_begin(struct pmap *m)
{
	m->n = 0;
	if (++m->gen == 0) {
		memset(m->s, 0, (m->mask + 1) * sizeof *m->s);
		m->gen = 1;
	}
}

static void
pmap_free(struct pmap *m)
{
	if (m == NULL)
		return;
	free(m->s);
	free(m);
}

static void
enc_free(struct enc *e)
{
	if (e == NULL)
		return;
	pmap_free(e->seen);
	pmap_free(e->ups);
	free(e->libs);
	free(e->k);
	free(e);
}

static struct pslot *
pmap_find(const struct pmap *m, const void *key)
{
	uint32_t h = hash_ptr(key) & m->mask;

	for (;;) {
		struct pslot *s = &m->s[h];

		if (s->gen != m->gen)
			return NULL;
		if (s->key == key)
			return s;
		h = (h + 1) & m->mask;
	}
}

/* key must not be present. */
static struct pslot *
pmap_put(struct pmap *m, const void *key)
{
	struct pslot	*s;
	uint32_t	 h;

	if ((m->n + 1) * 2 > m->mask + 1) {
		struct pslot	*old = m->s;
		uint32_t	 omask = m->mask;

		m->mask = omask * 2 + 1;
		m->s = xcalloc((size_t)m->mask + 1, sizeof *m->s);
		for (uint32_t i = 0; i <= omask; i++) {
			if (old[i].gen != m->gen)
				continue;
			h = hash_ptr(old[i].key) & m->mask;
			while (m->s[h].gen == m->gen)
				h = (h + 1) & m->mask;
			m->s[h] = old[i];
		}
		free(old);
	}
	h = hash_ptr(key) & m->mask;
	while (m->s[h].gen == m->gen)
		h = (h + 1) & m->mask;
	s = &m->s[h];
	s->key = key;
	s->gen = m->gen;
	s->a = s->b = 0;
	m->n++;
	return s;
}

/* ------------------------------------------------------------------ */
/* Encoder                                                              */
/* ------------------------------------------------------------------ */

static void
path_add_quoted(struct gl_buf *b, const char *s, size_t len)
{
	size_t	 n = len > 40 ? 40 : len;

	gl_buf_addc(b, '\'');
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch < 0x20 || ch == 0x7f || ch == '\'' || ch == '\\')
			gl_buf_addf(b, "\\x%02x", ch);
		else
			gl_buf_addc(b, (char)ch);
	}
	if (n < len)
		gl_buf_adds(b, "...");
	gl_buf_addc(b, '\'');
}

static void
path_format(const struct enc *e, struct gl_buf *b)
{
	int	 n = e->npath < PATH_SEGS ? e->npath : PATH_SEGS;

	for (int i = 0; i < n; i++) {
		const struct seg *s = &e->path[i];

		if (s->kind == SEG_LABEL && (s->s == NULL || *s->s == '\0'))
			continue;
		if (b->len > 0)
			gl_buf_addc(b, ' ');
		switch (s->kind) {
		case SEG_LABEL:
			gl_buf_adds(b, s->s);
			break;
		case SEG_UPVAL:
			gl_buf_adds(b, "upvalue ");
			if (s->len > 0 && s->s[0] != '(')
				path_add_quoted(b, s->s, s->len);
			else
				gl_buf_addf(b, "#%lld", (long long)s->i);
			break;
		case SEG_FSTR:
			gl_buf_adds(b, "field ");
			path_add_quoted(b, s->s, s->len);
			break;
		case SEG_FINT:
			gl_buf_addf(b, "field [%lld]", (long long)s->i);
			break;
		case SEG_FNUM:
			gl_buf_addf(b, "field [%.14g]", (double)s->d);
			break;
		case SEG_FOTHER:
			gl_buf_addf(b, "field [a %s]", s->s);
			break;
		case SEG_KEY:
			gl_buf_adds(b, "table key");
			break;
		case SEG_META:
			gl_buf_adds(b, "metatable");
			break;
		case SEG_GLOBAL:
			gl_buf_adds(b, "global ");
			path_add_quoted(b, s->s, s->len);
			break;
		case SEG_PAYLOAD:
			gl_buf_adds(b, "__galley_encode result");
			break;
		}
	}
}

static int
enc_fail(struct enc *e, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int
enc_fail(struct enc *e, int code, const char *fmt, ...)
{
	struct gl_buf	 path;
	char		 what[256];
	va_list		 ap;
	const char	*p;

	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	gl_buf_init(&path);
	path_format(e, &path);
	p = path.len > 0 ? path.data : "the value";
	if (path.len > 300) {
		/* Keep where it starts and where it fails. */
		gl_err_set(e->err, code, "cannot send %.120s ... %s: %s", p,
		    p + path.len - 160, what);
	} else
		gl_err_set(e->err, code, "cannot send %s: %s", p, what);
	gl_buf_fini(&path);
	e->rc = code;
	return code;
}

static struct seg *
seg_push(struct enc *e, enum seg_kind kind)
{
	struct seg	*s;

	s = &e->path[e->npath < PATH_SEGS ? e->npath : PATH_SEGS];
	e->npath++;
	s->kind = kind;
	s->s = NULL;
	s->len = 0;
	return s;
}

static void
seg_pop(struct enc *e)
{
	e->npath--;
}

static int
enc_too_big(struct enc *e)
{
	return enc_fail(e, GL_ELIMIT, "the encoded value is over the limit "
	    "of %zu bytes", e->c->max_bytes);
}

static int
enc_put(struct enc *e, const void *p, size_t n)
{
	struct gl_buf	*b = e->b;

	if (n > e->limit - b->len)
		return enc_too_big(e);
	if (b->cap - b->len <= n)
		gl_buf_reserve(b, n);
	memcpy(b->data + b->len, p, n);
	b->len += n;
	return 0;
}

/* Where to write up to 16 bytes at once, when the buffer has that much
 * slack and the limit that much room; else NULL (take the slow path). */
static unsigned char *
fast_room(struct enc *e)
{
	struct gl_buf	*b = e->b;

	if (b->cap - b->len > 16 && e->limit - b->len >= 16)
		return (unsigned char *)b->data + b->len;
	return NULL;
}

/* The first n (<= 16) bytes of w. */
static int
put_small(struct enc *e, const unsigned char *w, size_t n)
{
	unsigned char	*p = fast_room(e);

	if (p == NULL)
		return enc_put(e, w, n);
	memcpy(p, w, n);
	e->b->len += n;
	return 0;
}

static void
be16(unsigned char *w, uint16_t v)
{
	w[0] = (unsigned char)(v >> 8);
	w[1] = (unsigned char)v;
}

static void
be32(unsigned char *w, uint32_t v)
{
	w[0] = (unsigned char)(v >> 24);
	w[1] = (unsigned char)(v >> 16);
	w[2] = (unsigned char)(v >> 8);
	w[3] = (unsigned char)v;
}

static void
be64(unsigned char *w, uint64_t v)
{
	for (int i = 7; i >= 0; i--) {
		w[i] = (unsigned char)v;
		v >>= 8;
	}
}

/* msgpack integer into w (9 bytes of room); returns its length. */
static size_t
mp_int(unsigned char *w, lua_Integer v)
{
	if (v >= 0) {
		uint64_t u = (uint64_t)v;

		if (u < 128) {
			w[0] = (unsigned char)u;
			return 1;
		}
		if (u <= 0xff) {
			w[0] = 0xcc;
			w[1] = (unsigned char)u;
			return 2;
		}
		if (u <= 0xffff) {
			w[0] = 0xcd;
			be16(w + 1, (uint16_t)u);
			return 3;
		}
		if (u <= 0xffffffffu) {
			w[0] = 0xce;
			be32(w + 1, (uint32_t)u);
			return 5;
		}
		w[0] = 0xcf;
		be64(w + 1, u);
		return 9;
	}
	if (v >= -32) {
		w[0] = (unsigned char)(0xe0 | (v & 0x1f));
		return 1;
	}
	if (v >= INT8_MIN) {
		w[0] = 0xd0;
		w[1] = (unsigned char)(int8_t)v;
		return 2;
	}
	if (v >= INT16_MIN) {
		w[0] = 0xd1;
		be16(w + 1, (uint16_t)(int16_t)v);
		return 3;
	}
	if (v >= INT32_MIN) {
		w[0] = 0xd2;
		be32(w + 1, (uint32_t)(int32_t)v);
		return 5;
	}
	w[0] = 0xd3;
	be64(w + 1, (uint64_t)v);
	return 9;
}

static int
put_int(struct enc *e, lua_Integer v)
{
	unsigned char	 w[9], *p = fast_room(e);

	if (p == NULL)
		return enc_put(e, w, mp_int(w, v));
	e->b->len += mp_int(p, v);
	return 0;
}

static int
put_float(struct enc *e, lua_Number d)
{
	unsigned char	 w[9], *p = fast_room(e);
	double		 x = (double)d;
	uint64_t	 u;

	memcpy(&u, &x, sizeof u);
	if (p == NULL)
		p = w;
	p[0] = 0xcb;
	be64(p + 1, u);
	if (p == w)
		return enc_put(e, w, 9);
	e->b->len += 9;
	return 0;
}

/* A str or bin header for len bytes. */
static int
put_strhdr(struct enc *e, size_t len, bool bin)
{
	unsigned char	 w[16];
	size_t		 n;

	if (len > 0xffffffffu)
		return enc_fail(e, GL_ELIMIT, "a string of %zu bytes is too "
		    "long", len);
	if (!bin && len < 32) {
		w[0] = (unsigned char)(0xa0 | len);
		n = 1;
	} else if (len <= 0xff) {
		w[0] = bin ? 0xc4 : 0xd9;
		w[1] = (unsigned char)len;
		n = 2;
	} else if (len <= 0xffff) {
		w[0] = bin ? 0xc5 : 0xda;
		be16(w + 1, (uint16_t)len);
		n = 3;
	} else {
		w[0] = bin ? 0xc6 : 0xdb;
		be32(w + 1, (uint32_t)len);
		n = 5;
	}
	return put_small(e, w, n);
}

static int
put_str(struct enc *e, const char *s, size_t len)
{
	int	 rc;

	if ((rc = put_strhdr(e, len, !gl_utf8_valid(s, len, NULL))) != 0)
		return rc;
	return enc_put(e, s, len);
}

static int
put_hdr(struct enc *e, size_t n, bool map)
{
	unsigned char	 w[16];
	size_t		 k;

	if (n > 0xffffffffu)
		return enc_fail(e, GL_ELIMIT, "a table of %zu entries is too "
		    "big", n);
	if (n < 16) {
		w[0] = (unsigned char)((map ? 0x80 : 0x90) | n);
		k = 1;
	} else if (n <= 0xffff) {
		w[0] = map ? 0xde : 0xdc;
		be16(w + 1, (uint16_t)n);
		k = 3;
	} else {
		w[0] = map ? 0xdf : 0xdd;
		be32(w + 1, (uint32_t)n);
		k = 5;
	}
	return put_small(e, w, k);
}

/* An ext of unknown length: ext32, patched by ext_end(). */
static int
ext_begin(struct enc *e, int type, size_t *pos)
{
	unsigned char	 w[16] = { 0xc9, 0, 0, 0, 0, (unsigned char)type };

	*pos = e->b->len;
	return put_small(e, w, 6);
}

static void
ext_end(struct enc *e, size_t pos)
{
	be32((unsigned char *)e->b->data + pos + 1,
	    (uint32_t)(e->b->len - pos - 6));
}

/* An ext whose payload is one or two msgpack uints. */
static int
put_ext_uints(struct enc *e, int type, lua_Integer a, int nargs,
    lua_Integer b2)
{
	unsigned char	 w[24];
	size_t		 n;

	n = mp_int(w + 3, a);
	if (nargs == 2)
		n += mp_int(w + 3 + n, b2);
	if (n == 1 || n == 2) {
		/* fixext1 / fixext2 */
		w[1] = n == 1 ? 0xd4 : 0xd5;
		w[2] = (unsigned char)type;
		return put_small(e, w + 1, n + 2);
	}
	w[0] = 0xc7;
	w[1] = (unsigned char)n;
	w[2] = (unsigned char)type;
	return put_small(e, w, n + 3);
}

static int
put_ext_empty(struct enc *e, int type)
{
	unsigned char	 w[16] = { 0xc7, 0, (unsigned char)type };

	return put_small(e, w, 3);
}

static int
put_ext_str(struct enc *e, int type, const char *s, size_t len)
{
	size_t	 pos;
	int	 rc;

	if ((rc = ext_begin(e, type, &pos)) != 0 ||
	    (rc = put_str(e, s, len)) != 0)
		return rc;
	ext_end(e, pos);
	return 0;
}

/* A fresh table in the (nil-initialised) stack slot, lazily. */
static void
enc_slot_table(struct enc *e, int slot)
{
	if (lua_type(e->L, slot) != LUA_TTABLE) {
		lua_newtable(e->L);
		lua_replace(e->L, slot);
	}
}

/* Keeps the value on top alive until the end (pops it). */
static void
enc_anchor(struct enc *e)
{
	enc_slot_table(e, e->anchors);
	lua_rawseti(e->L, e->anchors, ++e->nanchors);
}

/* The package.loaded tables of L, once per encode (pointers only: names
 * are looked up again in the rare case one is needed). */
static void
enc_build_libs(struct enc *e)
{
	lua_State	*L = e->L;

	e->libs_built = true;
	lua_getfield(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
	if (lua_type(L, -1) != LUA_TTABLE) {
		lua_pop(L, 1);
		return;
	}
	lua_pushnil(L);
	while (lua_next(L, -2)) {
		if (lua_type(L, -2) == LUA_TSTRING &&
		    lua_type(L, -1) == LUA_TTABLE) {
			if (e->nlibs == e->libscap) {
				e->libscap = e->libscap ? e->libscap * 2 : 32;
				e->libs = xrealloc(e->libs,
				    e->libscap * sizeof *e->libs);
			}
			e->libs[e->nlibs++] = lua_topointer(L, -1);
		}
		lua_pop(L, 1);
	}
	lua_pop(L, 1);
}

/* True if the table at idx is a package.loaded module; then pushes its
 * name. */
static bool
enc_push_lib_name(struct enc *e, int idx)
{
	lua_State	*L = e->L;
	const void	*p = lua_topointer(L, idx);
	size_t		 i;

	if (!e->libs_built)
		enc_build_libs(e);
	for (i = 0; i < e->nlibs; i++)
		if (e->libs[i] == p)
			break;
	if (i == e->nlibs)
		return false;
	lua_getfield(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
	lua_pushnil(L);
	while (lua_next(L, -2)) {
		if (lua_type(L, -2) == LUA_TSTRING &&
		    lua_rawequal(L, -1, idx)) {
			lua_pop(L, 1);
			lua_remove(L, -2);
			return true;
		}
		lua_pop(L, 1);
	}
	lua_pop(L, 1);
	return false;	/* changed under us: send it by value */
}

/* Records a global name a function reads (the dp_check callback). */
static void
enc_on_name(void *ud, const char *s, size_t len)
{
	struct enc	*e = ud;
	lua_State	*L = e->L;

	enc_slot_table(e, e->names);
	lua_pushlstring(L, s, len);
	lua_pushvalue(L, -1);
	if (lua_rawget(L, e->names) != LUA_TNIL) {
		lua_pop(L, 2);
		return;
	}
	lua_pop(L, 1);
	lua_pushvalue(L, -1);
	lua_pushboolean(L, 1);
	lua_rawset(L, e->names);
	lua_rawseti(L, e->names, ++e->nnames);
}

static int
enc_enter(struct enc *e)
{
	if (++e->depth > CODEC_MAX_DEPTH)
		return enc_fail(e, GL_ELIMIT, "nested deeper than %d levels",
		    CODEC_MAX_DEPTH);
	if (!lua_checkstack(e->L, 10))
		return enc_fail(e, GL_ENOMEM, "the Lua stack is full");
	return 0;
}

/* The segment naming the value of key (at idx) in a table. */
static void
seg_field(struct enc *e, int key)
{
	lua_State	*L = e->L;
	struct seg	*s;

	switch (lua_type(L, key)) {
	case LUA_TSTRING:
		s = seg_push(e, SEG_FSTR);
		s->s = lua_tolstring(L, key, &s->len);
		break;
	case LUA_TNUMBER:
		if (lua_isinteger(L, key)) {
			s = seg_push(e, SEG_FINT);
			s->i = lua_tointeger(L, key);
		} else {
			s = seg_push(e, SEG_FNUM);
			s->d = lua_tonumber(L, key);
		}
		break;
	default:
		s = seg_push(e, SEG_FOTHER);
		s->s = luaL_typename(L, key);
		break;
	}
}

static int
enc_table_body(struct enc *e, int t)
{
	lua_State	*L = e->L;
	lua_Unsigned	 n = lua_rawlen(L, t);
	size_t		 count = 0, done = 0;
	bool		 seq = true;
	int		 rc;

	lua_pushnil(L);
	while (lua_next(L, t)) {
		count++;
		if (seq) {
			lua_Integer k;
			int	    isint = 0;

			/* Float keys are never integral (Lua normalises
			 * them), strings are not numbers here. */
			if (lua_type(L, -2) != LUA_TNUMBER)
				seq = false;
			else if ((k = lua_tointegerx(L, -2, &isint)),
			    !isint || k < 1 || (lua_Unsigned)k > n)
				seq = false;
		}
		lua_pop(L, 1);
	}
	if (seq && count == n && n > 0) {
		if ((rc = put_hdr(e, n, false)) != 0)
			return rc;
		for (lua_Unsigned i = 1; i <= n; i++) {
			struct seg *s;
			int	    type = lua_rawgeti(L, t, (lua_Integer)i);

			if (type == LUA_TNUMBER) {
				/* The common case of big arrays, inline. */
				if (lua_isinteger(L, -1))
					rc = put_int(e, lua_tointeger(L, -1));
				else
					rc = put_float(e, lua_tonumber(L, -1));
				lua_pop(L, 1);
				if (rc != 0)
					return rc;
				continue;
			}
			if (type == LUA_TNIL) {
				lua_pop(L, 1);
				return enc_fail(e, GL_EINVAL, "the table "
				    "changed while it was being sent");
			}
			s = seg_push(e, SEG_FINT);
			s->i = (lua_Integer)i;
			rc = enc_value(e, lua_gettop(L));
			seg_pop(e);
			lua_pop(L, 1);
			if (rc != 0)
				return rc;
		}
		return 0;
	}
	if ((rc = put_hdr(e, count, true)) != 0)
		return rc;
	lua_pushnil(L);
	while (lua_next(L, t)) {
		int	 top = lua_gettop(L);

		if (++done > count) {
			lua_pop(L, 2);
			return enc_fail(e, GL_EINVAL, "the table changed "
			    "while it was being sent");
		}
		seg_field(e, top - 1);
		if (lua_type(L, top - 1) == LUA_TSTRING ||
		    lua_type(L, top - 1) == LUA_TNUMBER)
			rc = enc_value(e, top - 1);
		else {
			seg_push(e, SEG_KEY);
			rc = enc_value(e, top - 1);
			seg_pop(e);
		}
		if (rc == 0)
			rc = enc_value(e, top);
		seg_pop(e);
		lua_pop(L, 1);
		if (rc != 0) {
			lua_pop(L, 1);
			return rc;
		}
	}
	if (done != count)
		return enc_fail(e, GL_EINVAL, "the table changed while it "
		    "was being sent");
	return 0;
}

static int
enc_table(struct enc *e, int t)
{
	lua_State	*L = e->L;
	struct pslot	*s;
	const char	*name;
	size_t		 pos, len;
	int		 rc;

	if (enc_push_lib_name(e, t)) {
		name = lua_tolstring(L, -1, &len);
		rc = put_ext_str(e, CX_LIB, name, len);
		lua_pop(L, 1);
		return rc;
	}
	if ((rc = enc_enter(e)) != 0)
		return rc;
	s = pmap_put(e->seen, lua_topointer(L, t));
	s->a = ++e->nrefs;
	if (!lua_getmetatable(L, t)) {
		rc = enc_table_body(e, t);
		e->depth--;
		return rc;
	}
	if ((rc = ext_begin(e, CX_TABLE_MT, &pos)) != 0 ||
	    (rc = enc_table_body(e, t)) != 0) {
		lua_pop(L, 1);
		return rc;
	}
	seg_push(e, SEG_META);
	rc = enc_value(e, lua_gettop(L));
	seg_pop(e);
	lua_pop(L, 1);
	if (rc != 0)
		return rc;
	ext_end(e, pos);
	e->depth--;
	return 0;
}

static int
enc_writer(lua_State *L, const void *p, size_t sz, void *ud)
{
	struct enc	*e = ud;

	/* lua_dump writes byte by byte, mostly. */
	if (sz <= 16)
		return put_small(e, p, sz) != 0;
	return enc_put(e, p, sz) != 0;
}

static int
enc_function(struct enc *e, int f)
{
	lua_State	*L = e->L;
	unsigned char	 envish[MAX_UPVALS + 1];
	struct pslot	*s;
	struct dp	 d;
	const char	*name;
	size_t		 pos, binpos;
	uint32_t	 ref;
	int		 nups = 0, dnups, rc, st;

	if (lua_iscfunction(L, f)) {
		struct regent	*ent;

		ent = reg_find_fn(&e->c->cfuncs, lua_tocfunction(L, f));
		if (ent == NULL)
			return enc_fail(e, GL_EINVAL, "a C function that is "
			    "neither in the standard library nor registered "
			    "with the codec");
		return put_ext_str(e, CX_CFUNC, ent->name, ent->len);
	}
	if ((rc = enc_enter(e)) != 0)
		return rc;
	ref = ++e->nrefs;
	s = pmap_put(e->seen, lua_topointer(L, f));
	s->a = ref;
	memset(envish, 0, sizeof envish);
	while (nups < MAX_UPVALS && lua_getupvalue(L, f, nups + 1) != NULL) {
		envish[nups] = e->env != 0 && lua_rawequal(L, -1, e->env);
		lua_pop(L, 1);
		nups++;
	}
	if ((rc = ext_begin(e, CX_FUNC, &pos)) != 0 ||
	    (rc = put_strhdr(e, 0xffffffffu, true)) != 0)	/* bin32 */
		return rc;
	binpos = e->b->len;
	lua_pushvalue(L, f);
	st = lua_dump(L, enc_writer, e, 0);
	lua_pop(L, 1);
	if (e->rc != 0)
		return e->rc;
	if (st != 0)
		return enc_fail(e, GL_EINVAL, "lua_dump failed (%d)", st);
	be32((unsigned char *)e->b->data + binpos - 4,
	    (uint32_t)(e->b->len - binpos));
	memset(&d, 0, sizeof d);
	if (e->env != 0) {
		d.on_name = enc_on_name;
		d.ud = e;
		d.k = e->k;
		d.kcap = e->kcap;
	}
	rc = dp_check(&d, e->c->header, (unsigned char *)e->b->data + binpos,
	    e->b->len - binpos, envish, &dnups);
	if (e->env != 0) {
		e->k = d.k;
		e->kcap = d.kcap;
	}
	if (rc != 0)
		return enc_fail(e, GL_EINVAL, "its bytecode is not understood "
		    "(%s)", d.why);
	if (dnups != nups)
		return enc_fail(e, GL_EINVAL, "its bytecode has %d upvalues, "
		    "not %d", dnups, nups);
	if ((rc = put_int(e, nups)) != 0)
		return rc;
	for (int i = 1; i <= nups; i++) {
		void		*id = lua_upvalueid(L, f, i);
		struct pslot	*u = pmap_find(e->ups, id);
		struct seg	*seg;

		if (u != NULL) {
			if ((rc = put_ext_uints(e, CX_UPJOIN, u->a, 2,
			    u->b)) != 0)
				return rc;
			continue;
		}
		u = pmap_put(e->ups, id);
		u->a = ref;
		u->b = (uint32_t)i;
		name = lua_getupvalue(L, f, i);
		seg = seg_push(e, SEG_UPVAL);
		seg->s = name;
		seg->len = strlen(name);
		seg->i = i;
		rc = enc_value(e, lua_gettop(L));
		seg_pop(e);
		lua_pop(L, 1);
		if (rc != 0)
			return rc;
	}
	ext_end(e, pos);
	e->depth--;
	return 0;
}

static int
enc_udata(struct enc *e, int u)
{
	lua_State	*L = e->L;
	const void	*p = lua_topointer(L, u);
	struct pslot	*s;
	const char	*tname = NULL;
	size_t		 tlen = 0, pos;
	int		 rc;

	if ((s = pmap_find(e->seen, p)) != NULL) {
		if (s->a == 0)
			return enc_fail(e, GL_EINVAL, "a userdata whose "
			    "__galley_encode result contains itself");
		return put_ext_uints(e, CX_REF, s->a, 1, 0);
	}
	if (!lua_getmetatable(L, u))
		return enc_fail(e, GL_EINVAL, "a userdata has no encoder");
	if (lua_getfield(L, -1, "__name") == LUA_TSTRING)
		tname = lua_tolstring(L, -1, &tlen);
	if (lua_getfield(L, -2, "__galley_encode") != LUA_TFUNCTION) {
		if (tname != NULL)
			rc = enc_fail(e, GL_EINVAL, "a userdata (%s) has no "
			    "encoder", tname);
		else
			rc = enc_fail(e, GL_EINVAL, "a userdata has no "
			    "encoder");
		lua_pop(L, 3);
		return rc;
	}
	if (tname == NULL) {
		lua_pop(L, 3);
		return enc_fail(e, GL_EINVAL, "a userdata with "
		    "__galley_encode but no __name in its metatable");
	}
	if ((rc = enc_enter(e)) != 0) {
		lua_pop(L, 3);
		return rc;
	}
	pmap_put(e->seen, p);		/* a == 0: in progress */
	lua_pushvalue(L, u);
	if (lua_pcall(L, 1, 1, 0) != LUA_OK) {
		const char *msg = lua_tostring(L, -1);

		rc = enc_fail(e, GL_ERUNTIME, "__galley_encode of %s failed: "
		    "%s", tname, msg != NULL ? msg : "(error object is not "
		    "a string)");
		lua_pop(L, 3);
		return rc;
	}
	lua_pushvalue(L, -1);
	enc_anchor(e);
	if ((rc = ext_begin(e, CX_UDATA, &pos)) == 0 &&
	    (rc = put_str(e, tname, tlen)) == 0) {
		seg_push(e, SEG_PAYLOAD);
		rc = enc_value(e, lua_gettop(L));
		seg_pop(e);
	}
	lua_pop(L, 3);
	if (rc != 0)
		return rc;
	ext_end(e, pos);
	s = pmap_find(e->seen, p);
	s->a = ++e->nrefs;
	e->depth--;
	return 0;
}

static int
enc_value(struct enc *e, int idx)
{
	lua_State	*L = e->L;
	struct pslot	*s;
	size_t		 len;
	const char	*str;

	switch (lua_type(L, idx)) {
	case LUA_TNIL:
		return enc_put(e, "\xc0", 1);
	case LUA_TBOOLEAN:
		return enc_put(e, lua_toboolean(L, idx) ? "\xc3" : "\xc2", 1);
	case LUA_TNUMBER:
		if (lua_isinteger(L, idx))
			return put_int(e, lua_tointeger(L, idx));
		return put_float(e, lua_tonumber(L, idx));
	case LUA_TSTRING:
		str = lua_tolstring(L, idx, &len);
		return put_str(e, str, len);
	case LUA_TTABLE:
		if (e->env != 0 && lua_rawequal(L, idx, e->env))
			return put_ext_empty(e, CX_ENV);
		if (lua_rawequal(L, idx, e->globals))
			return put_ext_empty(e, CX_GLOBALS);
		if ((s = pmap_find(e->seen, lua_topointer(L, idx))) != NULL)
			return put_ext_uints(e, CX_REF, s->a, 1, 0);
		return enc_table(e, idx);
	case LUA_TFUNCTION:
		if ((s = pmap_find(e->seen, lua_topointer(L, idx))) != NULL)
			return put_ext_uints(e, CX_REF, s->a, 1, 0);
		return enc_function(e, idx);
	case LUA_TUSERDATA:
		return enc_udata(e, idx);
	case LUA_TLIGHTUSERDATA:
		return enc_fail(e, GL_EINVAL, "a light userdata cannot "
		    "travel");
	case LUA_TTHREAD:
		return enc_fail(e, GL_EINVAL, "a coroutine cannot travel");
	default:
		return enc_fail(e, GL_EINVAL, "a %s cannot travel",
		    luaL_typename(L, idx));
	}
}

/* True if v (at idx) is what a fresh state holds under the global name:
 * the standard library's own function or table. */
static bool
enc_is_std_global(struct enc *e, const char *name, size_t len, int idx)
{
	lua_State	*L = e->L;

	if (lua_iscfunction(L, idx)) {
		struct regent *ent = reg_find_fn(&e->c->cfuncs,
		    lua_tocfunction(L, idx));

		return ent != NULL && ent->len == len &&
		    memcmp(ent->name, name, len) == 0;
	}
	if (lua_type(L, idx) == LUA_TTABLE &&
	    reg_find(&e->c->stdlibs, name, len) != NULL) {
		bool	 same;

		lua_getfield(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
		lua_pushlstring(L, name, len);
		lua_rawget(L, -2);
		same = lua_rawequal(L, -1, idx);
		lua_pop(L, 2);
		return same;
	}
	return false;
}

/* The globals map: names the unit's functions read, until none is left. */
static int
enc_globals(struct enc *e)
{
	lua_State	*L = e->L;
	unsigned char	 hdr[5] = { 0xdf, 0, 0, 0, 0 };
	uint32_t	 count = 0;
	size_t		 pos = e->b->len;
	int		 rc;

	if (e->env == 0 || lua_type(L, e->names) != LUA_TTABLE)
		return enc_put(e, "\x80", 1);
	if ((rc = enc_put(e, hdr, 5)) != 0)
		return rc;
	for (lua_Integer k = 1; k <= e->nnames; k++) {
		const char	*name;
		size_t		 len;
		struct seg	*s;

		lua_rawgeti(L, e->names, k);
		name = lua_tolstring(L, -1, &len);
		if (reg_find(&e->c->excluded, name, len) != NULL) {
			lua_pop(L, 1);
			continue;
		}
		lua_pushvalue(L, -1);
		if (lua_rawget(L, e->env) == LUA_TNIL ||
		    enc_is_std_global(e, name, len, lua_gettop(L))) {
			lua_pop(L, 2);
			continue;
		}
		s = seg_push(e, SEG_GLOBAL);
		s->s = name;
		s->len = len;
		rc = put_str(e, name, len);
		if (rc == 0)
			rc = enc_value(e, lua_gettop(L));
		seg_pop(e);
		lua_pop(L, 2);
		if (rc != 0)
			return rc;
		count++;
	}
	be32((unsigned char *)e->b->data + pos + 1, count);
	return 0;
}

/* [-0, +0, e] with the enc, env and the values as arguments. */
static int
enc_main(lua_State *L)
{
	struct enc	*e = lua_touserdata(L, 1);
	int		 rc;

	e->env = lua_isnil(L, 2) ? 0 : 2;
	lua_pushglobaltable(L);
	e->globals = lua_gettop(L);
	lua_pushnil(L);
	e->anchors = lua_gettop(L);
	lua_pushnil(L);
	e->names = lua_gettop(L);
	if ((rc = put_hdr(e, (size_t)e->nvals + 2, false)) != 0 ||
	    (rc = put_int(e, CODEC_VERSION)) != 0)
		return 0;
	for (int i = 0; i < e->nvals; i++) {
		struct seg *s = seg_push(e, SEG_LABEL);

		s->s = e->labels != NULL ? e->labels[i] : NULL;
		rc = enc_value(e, 3 + i);
		seg_pop(e);
		if (rc != 0)
			return 0;
	}
	(void)enc_globals(e);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Bytecode parser (Lua 5.4 binary chunks, ldump.c / lundump.c)         */
/* ------------------------------------------------------------------ */

static int
dp_fail(struct dp *d, const char *why)
{
	d->why = why;
	return -1;
}

static int
dp_byte(struct dp *d, unsigned *v)
{
	if (d->p >= d->end)
		return dp_fail(d, "truncated chunk");
	*v = *d->p++;
	return 0;
}

/* lundump's loadUnsigned with the limit of loadInt: MSB first, 7 bits a
 * byte, the last byte marked with 0x80. */
static int
dp_int(struct dp *d, size_t *v)
{
	size_t	 x = 0, limit = (size_t)0x7fffffff >> 7;
	unsigned b;

	do {
		if (dp_byte(d, &b) != 0)
			return -1;
		if (x >= limit)
			return dp_fail(d, "integer overflow");
		x = (x << 7) | (b & 0x7f);
	} while ((b & 0x80) == 0);
	*v = x;
	return 0;
}

static int
dp_skip(struct dp *d, size_t n)
{
	if (n > (size_t)(d->end - d->p))
		return dp_fail(d, "truncated chunk");
	d->p += n;
	return 0;
}

/* A string: size 0 is NULL (*s = NULL), else size - 1 bytes. */
static int
dp_string(struct dp *d, const unsigned char **s, size_t *len)
{
	size_t	 n;

	if (dp_int(d, &n) != 0)
		return -1;
	if (n == 0) {
		*s = NULL;
		*len = 0;
		return 0;
	}
	*s = d->p;
	*len = n - 1;
	return dp_skip(d, n - 1);
}

static int
dp_function(struct dp *d, bool main, const unsigned char *penvish,
    size_t pnups, unsigned pmaxstack, const unsigned char *menvish,
    size_t mnups)
{
	unsigned char	 envish[MAX_UPVALS + 1];
	const unsigned char *code, *s;
	size_t		 sizecode, nk, nups, n, len, kbase;
	unsigned	 numparams, vararg, maxstack, b;

	if (++d->depth > 200)
		return dp_fail(d, "functions nested too deep");
	if (dp_string(d, &s, &len) != 0 ||	/* source */
	    dp_int(d, &n) != 0 || dp_int(d, &n) != 0 ||	/* lines */
	    dp_byte(d, &numparams) != 0 || dp_byte(d, &vararg) != 0 ||
	    dp_byte(d, &maxstack) != 0)
		return -1;
	if (vararg > 1 || numparams > maxstack)
		return dp_fail(d, "bad function header");
	if (dp_int(d, &sizecode) != 0)
		return -1;
	if (sizecode == 0)
		return dp_fail(d, "function without code");
	code = d->p;
	if (sizecode > (size_t)(d->end - d->p) / 4)
		return dp_fail(d, "truncated code");
	d->p += sizecode * 4;

	/* Constants: string ones are kept for the GETTABUP scan. */
	if (dp_int(d, &nk) != 0)
		return -1;
	if (nk > (size_t)(d->end - d->p))
		return dp_fail(d, "truncated constants");
	kbase = 0;
	if (d->on_name != NULL) {
		/* This prototype's constants sit after the parent's
		 * (which are done with): reuse the scratch from 0. */
		if (nk > d->kcap) {
			d->kcap = nk;
			d->k = xrealloc(d->k, nk * sizeof *d->k);
		}
	}
	for (size_t i = 0; i < nk; i++) {
		const unsigned char *ks = NULL;
		size_t		 klen = 0;

		if (dp_byte(d, &b) != 0)
			return -1;
		switch (b) {
		case 0x00: case 0x01: case 0x11:	/* nil, false, true */
			break;
		case 0x03: case 0x13:		/* integer, float */
			if (dp_skip(d, 8) != 0)
				return -1;
			break;
		case 0x04: case 0x14:		/* short, long string */
			if (dp_string(d, &ks, &klen) != 0)
				return -1;
			if (ks == NULL)
				return dp_fail(d, "bad constant string");
			break;
		default:
			return dp_fail(d, "bad constant type");
		}
		if (d->on_name != NULL) {
			d->k[kbase + i].s = ks;
			d->k[kbase + i].len = klen;
		}
	}

	/* Upvalue descriptors. */
	if (dp_int(d, &nups) != 0)
		return -1;
	if (nups > MAX_UPVALS)
		return dp_fail(d, "too many upvalues");
	if (main && nups != mnups)
		return dp_fail(d, "upvalue count differs from the header");
	for (size_t i = 0; i < nups; i++) {
		unsigned instack, idx, kind;

		if (dp_byte(d, &instack) != 0 || dp_byte(d, &idx) != 0 ||
		    dp_byte(d, &kind) != 0)
			return -1;
		if (instack > 1 || kind > 3)
			return dp_fail(d, "bad upvalue descriptor");
		if (main) {
			envish[i] = menvish != NULL && menvish[i];
			continue;
		}
		if (instack ? idx >= pmaxstack : idx >= pnups)
			return dp_fail(d, "upvalue refers outside its parent");
		envish[i] = !instack && penvish[idx];
	}

	/* Global names: GETTABUP A B C on an env upvalue B, key K[C]. */
	if (d->on_name != NULL) {
		for (size_t pc = 0; pc < sizecode; pc++) {
			uint32_t ins;
			unsigned ub, uc;

			memcpy(&ins, code + pc * 4, 4);
			if ((ins & 0x7f) != OP_GETTABUP)
				continue;
			ub = (ins >> 16) & 0xff;
			uc = (ins >> 24) & 0xff;
			if (ub < nups && envish[ub] && uc < nk &&
			    d->k[uc].s != NULL)
				d->on_name(d->ud, (const char *)d->k[uc].s,
				    d->k[uc].len);
		}
	}

	/* Nested prototypes. */
	if (dp_int(d, &n) != 0)
		return -1;
	if (n > (size_t)(d->end - d->p))
		return dp_fail(d, "truncated prototypes");
	for (size_t i = 0; i < n; i++)
		if (dp_function(d, false, envish, nups, maxstack, NULL,
		    0) != 0)
			return -1;

	/* Debug information, checked where ldebug.c would read past it. */
	if (dp_int(d, &n) != 0)
		return -1;
	if (n != 0 && n != sizecode)
		return dp_fail(d, "line info does not match the code");
	if (dp_skip(d, n) != 0)
		return -1;
	{
		size_t	 nabs, last = 0, pc, line;
		size_t	 need = sizecode > MAXIWTHABS ?
		    (sizecode - 1) / MAXIWTHABS : 0;

		if (dp_int(d, &nabs) != 0)
			return -1;
		if (nabs > (size_t)(d->end - d->p) / 2)
			return dp_fail(d, "truncated line info");
		if (n != 0 && nabs < need)
			return dp_fail(d, "too little absolute line info");
		for (size_t i = 0; i < nabs; i++) {
			if (dp_int(d, &pc) != 0 || dp_int(d, &line) != 0)
				return -1;
			if (pc >= sizecode || (i > 0 && pc <= last) ||
			    pc > (i + 1) * MAXIWTHABS)
				return dp_fail(d, "bad absolute line info");
			last = pc;
		}
	}
	if (dp_int(d, &n) != 0)		/* local variables */
		return -1;
	if (n > (size_t)(d->end - d->p) / 3)
		return dp_fail(d, "truncated local variables");
	for (size_t i = 0; i < n; i++) {
		size_t	 pc;

		if (dp_string(d, &s, &len) != 0 || dp_int(d, &pc) != 0 ||
		    dp_int(d, &pc) != 0)
			return -1;
	}
	if (dp_int(d, &n) != 0)		/* upvalue names */
		return -1;
	if (n > nups)
		return dp_fail(d, "more upvalue names than upvalues");
	for (size_t i = 0; i < n; i++)
		if (dp_string(d, &s, &len) != 0)
			return -1;
	d->depth--;
	return 0;
}

/* Checks a whole binary chunk: this Lua's header, then a function whose
 * structure lundump.c will accept and ldebug.c can read. *nups gets the
 * main function's upvalue count. With d->on_name, reports the global
 * names read through the main function's upvalues flagged in envish
 * (and what nested functions capture of them). */
static int
dp_check(struct dp *d, const unsigned char *hdr, const unsigned char *buf,
    size_t len, const unsigned char *envish, int *nups)
{
	unsigned	 n;

	d->start = d->p = buf;
	d->end = buf + len;
	d->depth = 0;
	if (len < DUMP_HEADER_LEN + 1 ||
	    memcmp(buf, hdr, DUMP_HEADER_LEN) != 0)
		return dp_fail(d, "not a binary chunk of this Lua");
	d->p += DUMP_HEADER_LEN;
	if (dp_byte(d, &n) != 0)
		return -1;
	*nups = (int)n;
	if (dp_function(d, true, NULL, 0, 0, envish, n) != 0)
		return -1;
	if (d->p != d->end)
		return dp_fail(d, "bytes after the chunk");
	return 0;
}

/* ------------------------------------------------------------------ */
/* Decoder                                                              */
/* ------------------------------------------------------------------ */

static int
dec_fail(struct dec *d, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int
dec_fail(struct dec *d, int code, const char *fmt, ...)
{
	char	 what[256];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	if (code == GL_ESYNTAX)
		gl_err_set(d->err, code, "cannot decode the value: byte %zu: "
		    "%s", (size_t)(d->p - d->start), what);
	else
		gl_err_set(d->err, code, "cannot decode the value: %s", what);
	d->rc = code;
	return code;
}

static int
dec_need(struct dec *d, size_t n)
{
	if (n > (size_t)(d->end - d->p))
		return dec_fail(d, GL_ESYNTAX, "truncated");
	return 0;
}

static uint64_t
rd_be(const unsigned char *p, int n)
{
	uint64_t v = 0;

	for (int i = 0; i < n; i++)
		v = (v << 8) | p[i];
	return v;
}

/* Reads a msgpack unsigned integer into *v. */
static int
dec_uint(struct dec *d, uint64_t *v)
{
	unsigned	 b;
	int		 n;

	if (dec_need(d, 1) != 0)
		return d->rc;
	b = *d->p++;
	if (b < 0x80) {
		*v = b;
		return 0;
	}
	switch (b) {
	case 0xcc: n = 1; break;
	case 0xcd: n = 2; break;
	case 0xce: n = 4; break;
	case 0xcf: n = 8; break;
	default:
		d->p--;
		return dec_fail(d, GL_ESYNTAX, "expected an unsigned integer");
	}
	if (dec_need(d, (size_t)n) != 0)
		return d->rc;
	*v = rd_be(d->p, n);
	d->p += n;
	return 0;
}

/* Reads a str or bin: *s and *len get its bytes. */
static int
dec_str(struct dec *d, const char **s, size_t *len)
{
	unsigned	 b;
	size_t		 n;
	int		 k;

	if (dec_need(d, 1) != 0)
		return d->rc;
	b = *d->p++;
	if ((b & 0xe0) == 0xa0) {
		n = b & 0x1f;
	} else {
		switch (b) {
		case 0xd9: case 0xc4: k = 1; break;
		case 0xda: case 0xc5: k = 2; break;
		case 0xdb: case 0xc6: k = 4; break;
		default:
			d->p--;
			return dec_fail(d, GL_ESYNTAX, "expected a string");
		}
		if (dec_need(d, (size_t)k) != 0)
			return d->rc;
		n = (size_t)rd_be(d->p, k);
		d->p += k;
	}
	if (dec_need(d, n) != 0)
		return d->rc;
	*s = (const char *)d->p;
	*len = n;
	d->p += n;
	return 0;
}

/* Reads an ext header: *type and the payload's length (checked to fit). */
static bool
is_ext(unsigned b)
{
	return (b >= 0xc7 && b <= 0xc9) || (b >= 0xd4 && b <= 0xd8);
}

static int
dec_ext_hdr(struct dec *d, int *type, size_t *len)
{
	unsigned	 b;
	int		 k = 0;

	if (dec_need(d, 1) != 0)
		return d->rc;
	b = *d->p++;
	switch (b) {
	case 0xd4: *len = 1; break;
	case 0xd5: *len = 2; break;
	case 0xd6: *len = 4; break;
	case 0xd7: *len = 8; break;
	case 0xd8: *len = 16; break;
	case 0xc7: k = 1; break;
	case 0xc8: k = 2; break;
	case 0xc9: k = 4; break;
	default:
		d->p--;
		return dec_fail(d, GL_ESYNTAX, "expected an ext");
	}
	if (dec_need(d, (size_t)k + 1) != 0)
		return d->rc;
	if (k > 0) {
		*len = (size_t)rd_be(d->p, k);
		d->p += k;
	}
	*type = (signed char)*d->p++;
	return dec_need(d, *len);
}

static int	 dec_value(struct dec *d);

static int
dec_enter(struct dec *d)
{
	if (++d->depth > CODEC_MAX_DEPTH)
		return dec_fail(d, GL_ESYNTAX, "nested deeper than %d levels",
		    CODEC_MAX_DEPTH);
	if (!lua_checkstack(d->L, 10))
		return dec_fail(d, GL_ENOMEM, "the Lua stack is full");
	return 0;
}

static void
dec_register(struct dec *d)
{
	lua_pushvalue(d->L, -1);
	lua_rawseti(d->L, d->refs, ++d->nrefs);
}

/* An array or map at p: a new table, registered, on the stack. */
static int
dec_table(struct dec *d)
{
	lua_State	*L = d->L;
	unsigned	 b;
	size_t		 n;
	bool		 map;
	int		 t, k = 0, rc;

	if (dec_need(d, 1) != 0)
		return d->rc;
	b = *d->p++;
	if ((b & 0xf0) == 0x80 || (b & 0xf0) == 0x90) {
		map = (b & 0xf0) == 0x80;
		n = b & 0x0f;
	} else {
		switch (b) {
		case 0xdc: map = false; k = 2; break;
		case 0xdd: map = false; k = 4; break;
		case 0xde: map = true; k = 2; break;
		case 0xdf: map = true; k = 4; break;
		default:
			d->p--;
			return dec_fail(d, GL_ESYNTAX, "expected a table");
		}
		if (dec_need(d, (size_t)k) != 0)
			return d->rc;
		n = (size_t)rd_be(d->p, k);
		d->p += k;
	}
	/* Each element takes at least one byte: refuse claims the input
	 * cannot back before allocating for them. */
	if (n > (size_t)(d->end - d->p) / (map ? 2 : 1))
		return dec_fail(d, GL_ESYNTAX, "a table of %zu entries in "
		    "%zu bytes", n, (size_t)(d->end - d->p));
	if ((rc = dec_enter(d)) != 0)
		return rc;
	if (map)
		lua_createtable(L, 0, (int)(n > INT32_MAX ? 0 : n));
	else
		lua_createtable(L, (int)(n > INT32_MAX ? 0 : n), 0);
	t = lua_gettop(L);
	dec_register(d);
	for (size_t i = 0; i < n; i++) {
		if (!map) {
			if ((rc = dec_value(d)) != 0)
				return rc;
			lua_rawseti(L, t, (lua_Integer)i + 1);
			continue;
		}
		if ((rc = dec_value(d)) != 0)
			return rc;
		if (lua_isnil(L, -1))
			return dec_fail(d, GL_ESYNTAX, "a nil table key");
		if (lua_type(L, -1) == LUA_TNUMBER && !lua_isinteger(L, -1) &&
		    isnan(lua_tonumber(L, -1)))
			return dec_fail(d, GL_ESYNTAX, "a NaN table key");
		if ((rc = dec_value(d)) != 0)
			return rc;
		lua_rawset(L, t);
	}
	d->depth--;
	return 0;
}

/* Decodes the ext payload [p, p + len) with f, which must consume it. */
static int
dec_in(struct dec *d, size_t len, int (*f)(struct dec *, void *), void *arg)
{
	const unsigned char *end = d->end;
	int		 rc;

	d->end = d->p + len;
	if ((rc = f(d, arg)) != 0)
		return rc;
	if (d->p != d->end)
		return dec_fail(d, GL_ESYNTAX, "%zu stray bytes in an ext",
		    (size_t)(d->end - d->p));
	d->end = end;
	return 0;
}

static int
dec_ref(struct dec *d, void *arg)
{
	uint64_t	 n = 0;
	int		 rc;

	if ((rc = dec_uint(d, &n)) != 0)
		return rc;
	if (n < 1 || n > (uint64_t)d->nrefs)
		return dec_fail(d, GL_ESYNTAX, "reference %llu to nothing",
		    (unsigned long long)n);
	lua_rawgeti(d->L, d->refs, (lua_Integer)n);
	return 0;
}

static int
dec_table_mt(struct dec *d, void *arg)
{
	lua_State	*L = d->L;
	int		 rc;

	if ((rc = dec_table(d)) != 0)
		return rc;
	if ((rc = dec_enter(d)) != 0 || (rc = dec_value(d)) != 0)
		return rc;
	d->depth--;
	if (lua_type(L, -1) != LUA_TTABLE)
		return dec_fail(d, GL_ESYNTAX, "a metatable that is a %s",
		    luaL_typename(L, -1));
	lua_setmetatable(L, -2);
	return 0;
}

static int
dec_cfunc(struct dec *d, void *arg)
{
	lua_State	*L = d->L;
	struct regent	*ent;
	const char	*s, *dot;
	size_t		 len;
	int		 rc;

	if ((rc = dec_str(d, &s, &len)) != 0)
		return rc;
	if (d->flags & CODEC_DEC_NOFUNC)
		return dec_fail(d, GL_EPERM, "functions are refused here");
	if ((ent = reg_find(&d->c->cfuncs, s, len)) == NULL)
		return dec_fail(d, GL_ENOTFOUND, "no C function named "
		    "'%.*s' on this side", (int)(len > 64 ? 64 : len), s);
	if (!ent->closure) {
		lua_pushcfunction(L, ent->fn);
		return 0;
	}
	/* A C closure (require): this state's own, by its path. */
	lua_getfield(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
	dot = memchr(ent->name, '.', ent->len);
	if (dot == NULL) {
		lua_getfield(L, -1, "_G");
		lua_getfield(L, -1, ent->name);
	} else {
		lua_pushlstring(L, ent->name, (size_t)(dot - ent->name));
		lua_rawget(L, -2);
		if (lua_type(L, -1) == LUA_TTABLE)
			lua_getfield(L, -1, dot + 1);
		else
			lua_pushnil(L);
	}
	if (!lua_iscfunction(L, -1) || lua_tocfunction(L, -1) != ent->fn)
		return dec_fail(d, GL_ENOTFOUND, "C function '%s' is not "
		    "loaded on this side", ent->name);
	lua_replace(L, -3);
	lua_pop(L, 1);
	return 0;
}

static int
dec_lib(struct dec *d, void *arg)
{
	lua_State	*L = d->L;
	const char	*s = NULL;
	size_t		 len = 0;
	int		 rc;

	if ((rc = dec_str(d, &s, &len)) != 0)
		return rc;
	lua_getfield(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
	lua_pushlstring(L, s, len);
	if (lua_rawget(L, -2) != LUA_TNIL) {
		lua_remove(L, -2);
		return 0;
	}
	lua_pop(L, 2);
	if (!(d->flags & CODEC_DEC_REQUIRE))
		return dec_fail(d, GL_ENOTFOUND, "module '%.*s' is not loaded "
		    "on this side", (int)(len > 64 ? 64 : len), s);
	lua_getglobal(L, "require");
	lua_pushlstring(L, s, len);
	lua_call(L, 1, 1);
	return 0;
}

static int
dec_env(struct dec *d)
{
	lua_State	*L = d->L;

	if (lua_type(L, d->envslot) != LUA_TTABLE) {
		lua_newtable(L);
		lua_createtable(L, 0, 1);
		lua_pushvalue(L, d->base);
		lua_setfield(L, -2, "__index");
		lua_setmetatable(L, -2);
		lua_replace(L, d->envslot);
	}
	lua_pushvalue(L, d->envslot);
	return 0;
}

static int
dec_udata(struct dec *d, void *arg)
{
	lua_State	*L = d->L;
	struct regent	*ent;
	const char	*s;
	size_t		 len;
	int		 rc;

	if ((rc = dec_str(d, &s, &len)) != 0)
		return rc;
	if ((ent = reg_find(&d->c->udata, s, len)) == NULL)
		return dec_fail(d, GL_ENOTFOUND, "no decoder for userdata "
		    "type '%.*s' on this side", (int)(len > 64 ? 64 : len),
		    s);
	if ((rc = dec_enter(d)) != 0)
		return rc;
	lua_pushcfunction(L, ent->fn);
	if ((rc = dec_value(d)) != 0)
		return rc;
	lua_pushlstring(L, s, len);
	if (lua_pcall(L, 2, 1, 0) != LUA_OK) {
		const char *msg = lua_tostring(L, -1);

		return dec_fail(d, GL_ERUNTIME, "the decoder of %s failed: %s",
		    ent->name, msg != NULL ? msg : "(error object is not a "
		    "string)");
	}
	dec_register(d);
	d->depth--;
	return 0;
}

static const char *
dec_reader(lua_State *L, void *ud, size_t *size)
{
	struct dpk	*k = ud;
	const char	*s = (const char *)k->s;

	*size = k->len;
	k->s = NULL;
	k->len = 0;
	return s;
}

static int
dec_func(struct dec *d, void *arg)
{
	lua_State	*L = d->L;
	struct dp	 dp;
	struct dpk	 chunk;
	const char	*code;
	size_t		 len;
	uint64_t	 nups;
	int		 dnups, f, rc;

	if ((rc = dec_str(d, &code, &len)) != 0)
		return rc;
	memset(&dp, 0, sizeof dp);
	if (dp_check(&dp, d->c->header, (const unsigned char *)code, len,
	    NULL, &dnups) != 0) {
		free(dp.k);
		return dec_fail(d, GL_ESYNTAX, "bad bytecode: %s", dp.why);
	}
	free(dp.k);
	if (d->flags & CODEC_DEC_NOFUNC)
		return dec_fail(d, GL_EPERM, "functions are refused here");
	if ((rc = dec_enter(d)) != 0)
		return rc;
	chunk.s = (const unsigned char *)code;
	chunk.len = len;
	if (lua_load(L, dec_reader, &chunk, "=?", "b") != LUA_OK)
		return dec_fail(d, GL_ESYNTAX, "bad bytecode: %s",
		    lua_tostring(L, -1));
	f = lua_gettop(L);
	dec_register(d);
	if ((rc = dec_uint(d, &nups)) != 0)
		return rc;
	if (nups != (uint64_t)dnups)
		return dec_fail(d, GL_ESYNTAX, "%llu upvalues for a function "
		    "with %d", (unsigned long long)nups, dnups);
	for (int i = 1; i <= dnups; i++) {
		const unsigned char *save = d->p;
		int		 type;
		size_t		 elen;

		if (d->p < d->end && is_ext(*d->p)) {
			if ((rc = dec_ext_hdr(d, &type, &elen)) != 0)
				return rc;
			if (type == CX_UPJOIN) {
				const unsigned char *end = d->end;
				uint64_t	 r, n;

				d->end = d->p + elen;
				if ((rc = dec_uint(d, &r)) != 0 ||
				    (rc = dec_uint(d, &n)) != 0)
					return rc;
				if (d->p != d->end)
					return dec_fail(d, GL_ESYNTAX,
					    "stray bytes in an upvalue join");
				d->end = end;
				if (r < 1 || r > (uint64_t)d->nrefs ||
				    lua_rawgeti(L, d->refs,
				    (lua_Integer)r) != LUA_TFUNCTION ||
				    lua_iscfunction(L, -1) || n < 1 ||
				    n > MAX_UPVALS ||
				    lua_getupvalue(L, -1, (int)n) == NULL)
					return dec_fail(d, GL_ESYNTAX,
					    "bad upvalue join");
				lua_pop(L, 1);
				lua_upvaluejoin(L, f, i, -1, (int)n);
				lua_pop(L, 1);
				continue;
			}
			d->p = save;
		}
		if ((rc = dec_value(d)) != 0)
			return rc;
		lua_setupvalue(L, f, i);
	}
	d->depth--;
	return 0;
}

static int
dec_ext(struct dec *d)
{
	int	 type, rc;
	size_t	 len;

	if ((rc = dec_ext_hdr(d, &type, &len)) != 0)
		return rc;
	switch (type) {
	case CX_REF:
		return dec_in(d, len, dec_ref, NULL);
	case CX_TABLE_MT:
		return dec_in(d, len, dec_table_mt, NULL);
	case CX_FUNC:
		return dec_in(d, len, dec_func, NULL);
	case CX_CFUNC:
		return dec_in(d, len, dec_cfunc, NULL);
	case CX_LIB:
		return dec_in(d, len, dec_lib, NULL);
	case CX_ENV:
		if (len != 0)
			return dec_fail(d, GL_ESYNTAX, "bad env ext");
		return dec_env(d);
	case CX_GLOBALS:
		if (len != 0)
			return dec_fail(d, GL_ESYNTAX, "bad globals ext");
		lua_pushglobaltable(d->L);
		return 0;
	case CX_UDATA:
		return dec_in(d, len, dec_udata, NULL);
	case CX_UPJOIN:
		return dec_fail(d, GL_ESYNTAX, "an upvalue join outside a "
		    "function");
	default:
		return dec_fail(d, GL_ESYNTAX, "unknown ext type %d", type);
	}
}

static int
dec_value(struct dec *d)
{
	lua_State	*L = d->L;
	unsigned	 b;
	const char	*s;
	size_t		 len;
	uint64_t	 u;

	if (dec_need(d, 1) != 0)
		return d->rc;
	b = *d->p;
	if (b < 0x80) {
		d->p++;
		lua_pushinteger(L, (lua_Integer)b);
		return 0;
	}
	if (b >= 0xe0) {
		d->p++;
		lua_pushinteger(L, (lua_Integer)(int8_t)b);
		return 0;
	}
	if ((b & 0xe0) == 0xa0)
		goto string;
	if ((b & 0xe0) == 0x80)		/* fixmap, fixarray */
		return dec_table(d);
	switch (b) {
	case 0xc0:
		d->p++;
		lua_pushnil(L);
		return 0;
	case 0xc2:
	case 0xc3:
		d->p++;
		lua_pushboolean(L, b == 0xc3);
		return 0;
	case 0xc4: case 0xc5: case 0xc6:
	case 0xd9: case 0xda: case 0xdb:
		goto string;
	case 0xc7: case 0xc8: case 0xc9:
	case 0xd4: case 0xd5: case 0xd6: case 0xd7: case 0xd8:
		return dec_ext(d);
	case 0xca: {
		float	 f;
		uint32_t v;

		d->p++;
		if (dec_need(d, 4) != 0)
			return d->rc;
		v = (uint32_t)rd_be(d->p, 4);
		memcpy(&f, &v, 4);
		d->p += 4;
		lua_pushnumber(L, (lua_Number)f);
		return 0;
	}
	case 0xcb: {
		double	 x;

		d->p++;
		if (dec_need(d, 8) != 0)
			return d->rc;
		u = rd_be(d->p, 8);
		memcpy(&x, &u, 8);
		d->p += 8;
		lua_pushnumber(L, (lua_Number)x);
		return 0;
	}
	case 0xcc: case 0xcd: case 0xce: case 0xcf:
		if (dec_uint(d, &u) != 0)
			return d->rc;
		if (u > INT64_MAX)
			return dec_fail(d, GL_ESYNTAX, "integer %llu out of "
			    "range", (unsigned long long)u);
		lua_pushinteger(L, (lua_Integer)u);
		return 0;
	case 0xd0: case 0xd1: case 0xd2: case 0xd3: {
		int	 n = 1 << (b - 0xd0);
		int64_t	 v;

		d->p++;
		if (dec_need(d, (size_t)n) != 0)
			return d->rc;
		u = rd_be(d->p, n);
		d->p += n;
		switch (n) {
		case 1: v = (int8_t)u; break;
		case 2: v = (int16_t)u; break;
		case 4: v = (int32_t)u; break;
		default: v = (int64_t)u; break;
		}
		lua_pushinteger(L, (lua_Integer)v);
		return 0;
	}
	case 0xdc: case 0xdd: case 0xde: case 0xdf:
		return dec_table(d);
	default:
		return dec_fail(d, GL_ESYNTAX, "bad msgpack byte 0x%02x", b);
	}
string:
	if (dec_str(d, &s, &len) != 0)
		return d->rc;
	lua_pushlstring(L, s, len);
	return 0;
}

/* [-0, +n, e] with the dec and the env base as arguments. */
static int
dec_main(lua_State *L)
{
	struct dec	*d = lua_touserdata(L, 1);
	uint64_t	 u;
	size_t		 n, count;
	int		 first, rc;

	if (lua_isnil(L, 2)) {
		lua_pushglobaltable(L);
		lua_replace(L, 2);
	}
	d->base = 2;
	lua_newtable(L);
	d->refs = lua_gettop(L);
	lua_pushnil(L);
	d->envslot = lua_gettop(L);
	first = d->envslot + 1;

	if (dec_need(d, 1) != 0)
		return 0;
	if ((*d->p & 0xf0) == 0x90) {
		n = *d->p++ & 0x0f;
	} else if (*d->p == 0xdc) {
		d->p++;
		if (dec_need(d, 2) != 0)
			return 0;
		n = (size_t)rd_be(d->p, 2);
		d->p += 2;
	} else {
		dec_fail(d, GL_ESYNTAX, "not an encoded value");
		return 0;
	}
	if (n < 3 || n - 2 > CODEC_MAX_VALUES) {
		dec_fail(d, GL_ESYNTAX, "a unit of %zu elements", n);
		return 0;
	}
	if (dec_uint(d, &u) != 0)
		return 0;
	if (u != CODEC_VERSION) {
		dec_fail(d, GL_ESYNTAX, "format version %llu, not %d",
		    (unsigned long long)u, CODEC_VERSION);
		return 0;
	}
	if (!lua_checkstack(L, (int)n + 10)) {
		dec_fail(d, GL_ENOMEM, "the Lua stack is full");
		return 0;
	}
	for (size_t i = 0; i < n - 2; i++)
		if (dec_value(d) != 0)
			return 0;

	/* The globals that travelled, into the env. */
	if (dec_need(d, 1) != 0)
		return 0;
	if ((*d->p & 0xf0) == 0x80) {
		count = *d->p++ & 0x0f;
	} else if (*d->p == 0xde || *d->p == 0xdf) {
		int k = *d->p == 0xde ? 2 : 4;

		d->p++;
		if (dec_need(d, (size_t)k) != 0)
			return 0;
		count = (size_t)rd_be(d->p, k);
		d->p += k;
	} else {
		dec_fail(d, GL_ESYNTAX, "expected the globals map");
		return 0;
	}
	if (count > (size_t)(d->end - d->p) / 2) {
		dec_fail(d, GL_ESYNTAX, "%zu globals in %zu bytes", count,
		    (size_t)(d->end - d->p));
		return 0;
	}
	if (count > 0) {
		dec_env(d);
		for (size_t i = 0; i < count; i++) {
			const char	*s;
			size_t		 len;

			if (dec_str(d, &s, &len) != 0)
				return 0;
			lua_pushlstring(L, s, len);
			if (dec_value(d) != 0)
				return 0;
			lua_rawset(L, -3);
		}
		lua_pop(L, 1);
	}
	if (d->p != d->end) {
		dec_fail(d, GL_ESYNTAX, "%zu bytes after the value",
		    (size_t)(d->end - d->p));
		return 0;
	}
	rc = lua_gettop(L) - first + 1;
	return rc;
}

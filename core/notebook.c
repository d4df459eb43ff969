/*
 * notebook.c - the notebook model and its text format (docs/format.md).
 *
 * Design. nb_parse() makes one pass over the bytes. The doc keeps one copy
 * of the input (doc->text) and every cell remembers the byte range it came
 * from: its marker line, its body and the blank separator lines after it.
 * nb_print() writes an unchanged cell's range as it is, so a doc nobody
 * changed prints back its input byte for byte (CRLF, mixed endings, BOM,
 * no final newline, odd spacing in markers, unknown metadata, ...). A
 * mutator marks its cell changed; a changed cell is printed from the model
 * in the canonical form. Cells that merely moved keep their bytes.
 *
 * Invariants:
 * - A header cell, if any, is doc->cells[0]; nothing moves before it.
 * - Every cell has an id, unique in the doc and indexed in doc->tab (open
 *   addressing, linear probing, backward-shift deletion).
 * - A cell's source has its lines joined by "\n", never the file's line
 *   endings; a code cell's source never ends in an empty line (those are
 *   the separator) and no line of a parsed source ends in '\r' (a run of
 *   '\r' before '\n' belongs to the line ending).
 * - The text of a doc is valid UTF-8 without NUL bytes; mutators replace
 *   bad bytes with U+FFFD so every print parses again.
 * - When every line of a code cell's source ends in a bare "\n", the
 *   source is a slice of doc->text: the byte after the slice (the start of
 *   its line ending) is overwritten with NUL and kept in the cell, and the
 *   printer puts it back. Parsed docs stay near the size of their file and
 *   parsing copies nothing for most code cells.
 * - Strings made at parse time (titles, metadata, markdown sources, ids)
 *   live in doc->arena; a mutator replaces them with malloc'd copies that
 *   the cell owns (flags C_*_OWNED).
 *
 * A "-- %%" line inside a Lua long string or long comment of a code cell
 * is not a marker: lx_line() follows long brackets, short strings (with
 * their escapes, "\" at the end of a line and "\z") and line comments
 * from line to line, as Lua's lexer does.
 */
#include "core/notebook.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/mem.h"
#include "core/util.h"

#define NB_BOM		"\xef\xbb\xbf"
#define NB_FFFD		"\xef\xbf\xbd"
#define NB_MARK		"-- %%"
#define NB_MARK_LEN	5

/* Cell flags. */
enum {
	C_HEADER	= 1 << 0,	/* the lines before the first marker */
	C_CHANGED	= 1 << 1,	/* printed from the model */
	C_IDGEN		= 1 << 2,	/* id made at parse time, not in text */
	C_SRC_OWNED	= 1 << 3,	/* src is malloc'd */
	C_SRC_TEXT	= 1 << 4,	/* src points into doc->text */
	C_TITLE_OWNED	= 1 << 5,	/* title is malloc'd */
	C_META_OWNED	= 1 << 6,	/* meta and its strings are malloc'd */
	C_HAS_NUL	= 1 << 7,	/* a NUL replaces nul_saved */
	C_ORIG_LAST	= 1 << 8,	/* the last cell of the parsed file */
	C_RAW_NOEOL	= 1 << 9,	/* its bytes end without "\n" */
	C_RAW_BLANK	= 1 << 10,	/* its bytes end with an empty line */
	C_IN_BLOCK	= 1 << 11,	/* the struct lives in a doc block */
};

struct nb_meta {
	const char	*key;		/* arena or owned, see C_META_OWNED */
	const char	*json;		/* raw JSON text as written */
};

struct nb_cell {
	struct nb_doc	*doc;		/* borrowed: the owner */
	const char	*id;		/* in doc->arena */
	const char	*src;		/* see C_SRC_*; else arena or static */
	size_t		 srclen;
	const char	*title;		/* "" if none; see C_TITLE_OWNED */
	struct nb_meta	*meta;		/* id included; see C_META_OWNED */
	size_t		 raw_off;	/* its bytes in doc->text */
	size_t		 raw_len;
	size_t		 nul_rel;	/* C_HAS_NUL: offset in its bytes */
	size_t		 index;		/* valid while doc->index_ok */
	uint32_t	 nmeta;
	uint32_t	 id_pos;	/* index of "id" in meta */
	uint32_t	 hash;		/* of id */
	unsigned	 nsrclines;	/* lines the source prints as */
	unsigned	 line;		/* marker line in the parsed file */
	unsigned	 raw_lines;	/* lines its bytes hold */
	uint16_t	 flags;
	uint8_t		 kind;
	char		 nul_saved;
};

struct nb_chunk {
	struct nb_chunk	*next;
	size_t		 used;
	size_t		 cap;
	max_align_t	 data[];
};

struct nb_block {
	struct nb_block	*next;
	size_t		 n;
	size_t		 cap;
	struct nb_cell	 cells[];
};

struct nb_doc {
	char		*text;		/* owned: the parsed bytes, see above */
	size_t		 text_len;
	struct nb_block	*blocks;	/* owned: cells made by nb_parse */
	struct nb_chunk	*arena;		/* owned: strings made by nb_parse */
	struct nb_cell	**cells;	/* owned array of cells (owned) */
	size_t		 ncells;
	size_t		 cap;
	struct nb_cell	**tab;		/* owned: id index */
	size_t		 tabcap;	/* 0 or a power of two */
	size_t		 tabused;
	unsigned	*lines;		/* owned: start line of each cell */
	size_t		 linescap;
	bool		 lines_ok;
	bool		 index_ok;
	bool		 crlf;
	bool		 bom;
	struct gl_rng	 rng;		/* ids when the caller gives no rng */
};

/* The lexer's state between lines of code. */
enum lx_state {
	LX_CODE,
	LX_LONG,			/* long string or long comment */
	LX_STR,				/* short string */
};

struct nb_lexer {
	enum lx_state	 state;
	size_t		 level;		/* LX_LONG: how many '=' */
	char		 quote;		/* LX_STR: ' or " */
	bool		 zskip;		/* LX_STR: after \z, skipping spaces */
	bool		 esc;		/* LX_STR: the line ended in a '\' */
};

/* A slot of the parser's set of the keys of one marker: it holds
 * scratch[idx] if gen is the parser's kgen. */
struct nb_kslot {
	uint32_t	 gen;
	uint32_t	 idx;
};

struct nb_parser {
	struct nb_doc	*doc;
	const char	*path;
	char		*text;		/* doc->text */
	size_t		 len;
	struct gl_err	*err;
	unsigned	 lineno;
	size_t		 content;	/* start of the current line */
	struct nb_meta	*scratch;	/* owned: metadata of one marker */
	size_t		 nscratch;
	size_t		 scratchcap;
	struct nb_kslot	*kset;		/* owned: its keys, to find twins */
	size_t		 ksetcap;	/* 0 or a power of two */
	uint32_t	 kgen;		/* slots of this marker have it */
	/* The cell being read. */
	struct nb_cell	*cell;
	size_t		 body;		/* its first body line */
	size_t		 src_end;	/* end of its last non-empty line */
	unsigned	 nlines;	/* body lines so far */
	unsigned	 src_lines;	/* lines up to the last non-empty */
	bool		 bad_eol;	/* a body line ended other than "\n" */
	bool		 slice_ok;	/* the source can be a slice */
	bool		 last_blank;	/* the last body line was empty */
	struct nb_lexer	 lx;
};

static const char *const kind_names[] = { "code", "markdown", "raw" };

/* Bytes that start something the lexer follows in code. */
static const bool lx_special[256] = {
	['-'] = true, ['['] = true, ['\''] = true, ['"'] = true,
};

static void	*arena_alloc(struct nb_doc *, size_t);
static char	*arena_strndup(struct nb_doc *, const char *, size_t);
static struct nb_cell *doc_new_parse_cell(struct nb_doc *);
static void	 doc_push(struct nb_doc *, struct nb_cell *);
static uint32_t	 id_hash(const char *);
static struct nb_cell *tab_find(const struct nb_doc *, const char *);
static void	 tab_insert(struct nb_doc *, struct nb_cell *);
static void	 tab_remove(struct nb_doc *, struct nb_cell *);
static void	 doc_reindex(const struct nb_doc *);
static void	 cell_release(struct nb_cell *);
static void	 cell_touch(struct nb_cell *);
static void	 meta_own(struct nb_cell *);
static int	 parse_text(struct nb_parser *);
static void	 print_cell(const struct nb_doc *, const struct nb_cell *, bool,
		     struct gl_buf *);
static char	*text_clean(const char *, size_t, size_t *);
static char	*title_clean(const char *);
static unsigned	 count_lines(const char *, size_t);
static bool	 key_valid(const char *);
static bool	 json_one_line(const char *, char **, struct gl_err *);
static void	 gen_parse_id(struct nb_doc *, struct nb_cell *, size_t);

/* ------------------------------------------------------------------ */
/* Parsing                                                              */
/* ------------------------------------------------------------------ */

int
nb_parse(const char *buf, size_t len, const char *path, struct nb_doc **out,
    struct gl_err *err)
{
	struct nb_parser	 p;
	struct nb_doc		*doc = NULL;
	const char		*nul;
	size_t			 bad = len, off;
	int			 rc;

	*out = NULL;
	if (path == NULL)
		path = "(notebook)";
	if (buf == NULL)
		len = 0;
	/* The whole text must be UTF-8 without NUL: name the first bad byte. */
	if (len == 0 || gl_utf8_valid(buf, len, &bad))
		bad = len;
	nul = len > 0 ? memchr(buf, '\0', bad) : NULL;
	if (nul != NULL || bad < len) {
		unsigned	 line = 1, col = 1;
		size_t		 ls = 0;

		off = nul != NULL ? (size_t)(nul - buf) : bad;
		for (size_t i = 0; i < off; i++)
			if (buf[i] == '\n') {
				line++;
				ls = i + 1;
			}
		if (ls == 0 && len >= 3 && memcmp(buf, NB_BOM, 3) == 0 &&
		    off >= 3)
			ls = 3;
		for (size_t i = ls; i < off; i++)
			if (((unsigned char)buf[i] & 0xc0) != 0x80)
				col++;
		return gl_err_set(err, GL_ESYNTAX, "%s:%u:%u: %s", path, line,
		    col, nul != NULL ? "NUL byte (a notebook is text)" :
		    "invalid UTF-8");
	}

	doc = nb_doc_new();
	doc->text = xmalloc(len + 1);
	if (len > 0)
		memcpy(doc->text, buf, len);
	doc->text[len] = '\0';
	doc->text_len = len;

	memset(&p, 0, sizeof p);
	p.doc = doc;
	p.path = path;
	p.text = doc->text;
	p.len = len;
	p.err = err;
	rc = parse_text(&p);
	free(p.scratch);
	free(p.kset);
	if (rc != 0) {
		nb_doc_free(doc);
		return rc;
	}
	*out = doc;
	return 0;
}

static bool
lx_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\v' || c == '\f' || c == '\r';
}

/* Length of a long bracket "[" "="* "[" at p (p[0] == '['), or 0. */
static size_t
lx_long_open(const char *p, const char *e, size_t *level)
{
	const char	*q = p + 1;

	while (q < e && *q == '=')
		q++;
	if (q < e && *q == '[') {
		*level = (size_t)(q - p - 1);
		return (size_t)(q - p + 1);
	}
	return 0;
}

/* Follows Lua's lexer through one line of code, [p, e). */
static void
lx_line(struct nb_lexer *lx, const char *p, const char *e)
{
	size_t	 n;

	while (p < e) {
		if (lx->state == LX_LONG) {
			const char	*q = memchr(p, ']', (size_t)(e - p));

			if (q == NULL)
				return;
			p = q + 1;
			n = 0;
			while (p < e && *p == '=') {
				p++;
				n++;
			}
			if (n == lx->level && p < e && *p == ']') {
				p++;
				lx->state = LX_CODE;
			}
			continue;
		}
		if (lx->state == LX_STR) {
			for (; p < e; p++) {
				unsigned char	 c = (unsigned char)*p;

				if (lx->zskip) {
					if (lx_space(c))
						continue;
					lx->zskip = false;
				}
				if (c == '\\') {
					if (p + 1 == e) {
						/* Escaped line break. */
						lx->esc = true;
						return;
					}
					p++;
					if (*p == 'z')
						lx->zskip = true;
					continue;
				}
				if (c == (unsigned char)lx->quote) {
					lx->state = LX_CODE;
					p++;
					break;
				}
			}
			continue;
		}
		while (p < e && !lx_special[(unsigned char)*p])
			p++;
		if (p == e)
			return;
		switch (*p) {
		case '-':
			if (p + 1 < e && p[1] == '-') {
				if (p + 2 < e && p[2] == '[' && (n =
				    lx_long_open(p + 2, e, &lx->level)) != 0) {
					lx->state = LX_LONG;
					p += 2 + n;
					continue;
				}
				return;		/* a line comment */
			}
			p++;
			break;
		case '[':
			if ((n = lx_long_open(p, e, &lx->level)) != 0) {
				lx->state = LX_LONG;
				p += n;
			} else
				p++;
			break;
		default:
			lx->state = LX_STR;
			lx->quote = *p;
			lx->zskip = lx->esc = false;
			p++;
			break;
		}
	}
}

/* The line break after a line of code. */
static void
lx_eol(struct nb_lexer *lx)
{
	if (lx->state != LX_STR)
		return;
	if (lx->esc) {
		lx->esc = false;
		return;
	}
	/* A short string ends at a raw line break (Lua calls it an error)
	 * unless \z is skipping white space. */
	if (!lx->zskip)
		lx->state = LX_CODE;
}

static bool
is_ws(char c)
{
	return c == ' ' || c == '\t';
}

static bool
key_start(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool
key_char(char c)
{
	return key_start(c) || (c >= '0' && c <= '9') || c == '.' || c == '-';
}

/* Length of a key at s, or 0. */
static size_t
key_len(const char *s, const char *e)
{
	const char	*q = s;

	if (q == e || !key_start(*q))
		return 0;
	while (q < e && key_char(*q))
		q++;
	return (size_t)(q - s);
}

/* True if [s, e) starts with "key=". */
static bool
is_key_token(const char *s, const char *e)
{
	size_t	 n = key_len(s, e);

	return n > 0 && s + n < e && s[n] == '=';
}

/* Length of a kind word ("[markdown]", "[raw]", "[code]") that ends at a
 * space, a tab or e; 0 if none. */
static size_t
kind_word(const char *s, const char *e, enum nb_kind *kind)
{
	static const struct {
		const char	*w;
		size_t		 n;
		enum nb_kind	 k;
	} words[] = {
		{ "[markdown]", 10, NB_MARKDOWN },
		{ "[raw]", 5, NB_RAW },
		{ "[code]", 6, NB_CODE },
	};

	for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
		size_t	 n = words[i].n;

		if ((size_t)(e - s) >= n && memcmp(s, words[i].w, n) == 0 &&
		    (s + n == e || is_ws(s[n]))) {
			if (kind != NULL)
				*kind = words[i].k;
			return n;
		}
	}
	return 0;
}

static bool
id_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
}

static bool
id_valid_n(const char *s, size_t n)
{
	if (n == 0 || n > NB_ID_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!id_char(s[i]))
			return false;
	return true;
}

/* 1-based column (in characters) of at on the current line. */
static unsigned
parse_col(const struct nb_parser *p, const char *at)
{
	unsigned	 col = 1;

	for (const char *q = p->text + p->content; q < at; q++)
		if (((unsigned char)*q & 0xc0) != 0x80)
			col++;
	return col;
}

static int
parse_fail(struct nb_parser *p, const char *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
parse_fail(struct nb_parser *p, const char *at, const char *fmt, ...)
{
	char	 msg[400];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return gl_err_set(p->err, GL_ESYNTAX, "%s:%u:%u: %s", p->path,
	    p->lineno, parse_col(p, at), msg);
}

/* Where the JSON value at v (in a line ending at e) ends, or NULL with why
 * filled. Plain strings, the common case (ids), need no decoder. */
static const char *
json_end(const char *v, const char *e, char *why, size_t whylen)
{
	json_error_t	 je;
	json_t		*j;

	if (*v == '"') {
		const char	*q = v + 1;

		while (q < e && *q != '"' && *q != '\\' &&
		    (unsigned char)*q >= 0x20)
			q++;
		if (q < e && *q == '"')
			return q + 1;
	}
	j = json_loadb(v, (size_t)(e - v),
	    JSON_DISABLE_EOF_CHECK | JSON_DECODE_ANY, &je);
	if (j == NULL) {
		snprintf(why, whylen, "%s", je.text);
		return NULL;
	}
	json_decref(j);
	if (je.position <= 0 || je.position > e - v) {
		snprintf(why, whylen, "unreadable value");
		return NULL;
	}
	return v + je.position;
}

static uint32_t
key_hash(const char *s, size_t n)
{
	uint32_t	 h = 2166136261u;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619u;
	return h;
}

/* True if this marker has key [k, k + n) already (scratch[1..]);
 * otherwise notes that it is about to (as scratch[nscratch]). A hash set
 * keeps a marker with many keys linear. */
static bool
key_seen(struct nb_parser *p, const char *k, size_t n)
{
	size_t	 mask, i;

	if (2 * (p->nscratch + 1) > p->ksetcap || p->kgen == 0) {
		/* Grow (or, when kgen wrapped, clear) and put back the keys
		 * this marker has so far. */
		size_t	 cap = p->ksetcap < 16 ? 16 : p->ksetcap;

		while (2 * (p->nscratch + 1) > cap)
			cap *= 2;
		free(p->kset);
		p->kset = xcalloc(cap, sizeof *p->kset);
		p->ksetcap = cap;
		p->kgen = 1;
		for (size_t j = 1; j < p->nscratch; j++) {
			const char	*kj = p->scratch[j].key;

			i = key_hash(kj, strlen(kj)) & (cap - 1);
			while (p->kset[i].gen == p->kgen)
				i = (i + 1) & (cap - 1);
			p->kset[i].gen = p->kgen;
			p->kset[i].idx = (uint32_t)j;
		}
	}
	mask = p->ksetcap - 1;
	for (i = key_hash(k, n) & mask; p->kset[i].gen == p->kgen;
	    i = (i + 1) & mask) {
		const char	*kj = p->scratch[p->kset[i].idx].key;

		if (strncmp(kj, k, n) == 0 && kj[n] == '\0')
			return true;
	}
	p->kset[i].gen = p->kgen;
	p->kset[i].idx = (uint32_t)p->nscratch;
	return false;
}

static void
scratch_push(struct nb_parser *p, const char *key, const char *json)
{
	if (p->nscratch == p->scratchcap) {
		p->scratchcap = p->scratchcap ? 2 * p->scratchcap : 8;
		p->scratch = xrealloc(p->scratch,
		    p->scratchcap * sizeof *p->scratch);
	}
	p->scratch[p->nscratch].key = key;
	p->scratch[p->nscratch].json = json;
	p->nscratch++;
}

/* The id value [v, end) of the marker of c: a JSON string of id chars,
 * unique in the doc. */
static int
parse_id(struct nb_parser *p, struct nb_cell *c, const char *v,
    const char *end)
{
	const char	*s = NULL;
	size_t		 n = 0;
	json_t		*j = NULL;
	struct nb_cell	*other;
	int		 rc;

	if (*v != '"')
		return parse_fail(p, v, "cell id must be a JSON string");
	if (memchr(v + 1, '\\', (size_t)(end - v - 1)) == NULL) {
		s = v + 1;
		n = (size_t)(end - v - 2);
	} else {
		json_error_t	 je;

		j = json_loadb(v, (size_t)(end - v), JSON_DECODE_ANY, &je);
		if (j == NULL || !json_is_string(j)) {
			rc = parse_fail(p, v, "cell id must be a JSON string");
			goto fail;
		}
		s = json_string_value(j);
		n = json_string_length(j);
	}
	if (n == 0) {
		rc = parse_fail(p, v, "empty cell id");
		goto fail;
	}
	if (n > NB_ID_MAX) {
		rc = parse_fail(p, v, "cell id is longer than %d bytes",
		    NB_ID_MAX);
		goto fail;
	}
	if (!id_valid_n(s, n)) {
		rc = parse_fail(p, v, "cell id %.*s may hold only letters, "
		    "digits, '-', '_' and '.'", (int)(end - v), v);
		goto fail;
	}
	c->id = arena_strndup(p->doc, s, n);
	if ((other = tab_find(p->doc, c->id)) != NULL) {
		rc = parse_fail(p, v, "duplicate cell id \"%s\" (also on line "
		    "%u)", c->id, other->line);
		goto fail;
	}
	c->hash = id_hash(c->id);
	tab_insert(p->doc, c);
	json_decref(j);
	return 0;
fail:
	json_decref(j);
	return rc;
}

/* Reads the marker line [s, e) (s at "-- %%") into c. */
static int
parse_marker(struct nb_parser *p, struct nb_cell *c, const char *s,
    const char *e)
{
	const char	*q = s + NB_MARK_LEN, *tstart, *tend;
	enum nb_kind	 kind = NB_CODE;
	size_t		 n;
	bool		 has_id = false;
	int		 rc;

	while (q < e && is_ws(*q))
		q++;
	if ((n = kind_word(q, e, &kind)) != 0) {
		q += n;
		while (q < e && is_ws(*q))
			q++;
	}
	c->kind = (uint8_t)kind;

	/* The title runs up to the first key= word. */
	tstart = tend = q;
	while (q < e && !is_key_token(q, e)) {
		while (q < e && !is_ws(*q))
			q++;
		tend = q;
		while (q < e && is_ws(*q))
			q++;
	}
	c->title = tend > tstart ?
	    arena_strndup(p->doc, tstart, (size_t)(tend - tstart)) : "";

	/* Then key=value pairs with JSON values, to the end of the line. */
	p->nscratch = 0;
	p->kgen++;
	scratch_push(p, "id", NULL);	/* slot for a generated id */
	while (q < e) {
		const char	*k = q, *v, *end;
		char		 why[200], *key;

		if ((n = key_len(q, e)) == 0 || q + n == e || q[n] != '=')
			return parse_fail(p, q, "expected key=value metadata "
			    "after the title");
		v = q + n + 1;
		if (v == e || is_ws(*v))
			return parse_fail(p, v, "metadata \"%.*s\" has no "
			    "value", (int)n, k);
		if ((end = json_end(v, e, why, sizeof why)) == NULL)
			return parse_fail(p, v, "bad JSON in metadata "
			    "\"%.*s\": %s", (int)n, k, why);
		if (end < e && !is_ws(*end))
			return parse_fail(p, end, "expected a space after the "
			    "value of metadata \"%.*s\"", (int)n, k);
		if (key_seen(p, k, n))
			return parse_fail(p, k, "duplicate metadata "
			    "key \"%.*s\"", (int)n, k);
		if (n == 2 && memcmp(k, "id", 2) == 0) {
			if ((rc = parse_id(p, c, v, end)) != 0)
				return rc;
			has_id = true;
			key = "id";
		} else
			key = arena_strndup(p->doc, k, n);
		scratch_push(p, key, arena_strndup(p->doc, v,
		    (size_t)(end - v)));
		q = end;
		while (q < e && is_ws(*q))
			q++;
	}
	if (has_id) {
		/* Drop the slot: the id is where it was written. */
		c->nmeta = (uint32_t)(p->nscratch - 1);
		c->meta = arena_alloc(p->doc, c->nmeta * sizeof *c->meta);
		memcpy(c->meta, p->scratch + 1, c->nmeta * sizeof *c->meta);
		for (uint32_t i = 0; i < c->nmeta; i++)
			if (c->meta[i].key[0] == 'i' &&
			    strcmp(c->meta[i].key, "id") == 0)
				c->id_pos = i;
	} else {
		c->flags |= C_IDGEN;
		c->nmeta = (uint32_t)p->nscratch;
		c->meta = arena_alloc(p->doc, c->nmeta * sizeof *c->meta);
		memcpy(c->meta, p->scratch, c->nmeta * sizeof *c->meta);
		c->id_pos = 0;
	}
	return 0;
}

/* True if [s, e) is "%%" after any number of backslashes: a markdown or
 * raw line that gets one more backslash behind its "-- " (else "%% x"
 * would print as a marker). */
static bool
pct_escaped(const char *s, const char *e)
{
	while (s < e && *s == '\\')
		s++;
	return e - s >= 2 && s[0] == '%' && s[1] == '%';
}

/* Copies the source of c out of its body lines [body, end): the lines
 * joined by "\n", markdown and raw lines without their "-- ". */
static void
build_source(struct nb_parser *p, struct nb_cell *c, size_t body, size_t end)
{
	const char	*t = p->text;
	bool		 strip = c->kind != NB_CODE;
	char		*out = arena_alloc(p->doc, end - body + 1);
	size_t		 n = 0, q = body;

	while (q < end) {
		const char	*nl = memchr(t + q, '\n', end - q);
		size_t		 le = nl != NULL ? (size_t)(nl - t) : end;
		size_t		 ce = le;

		if (nl != NULL)
			while (ce > q && t[ce - 1] == '\r')
				ce--;
		if (strip) {
			if (ce - q >= 3 && memcmp(t + q, "-- ", 3) == 0) {
				q += 3;
				/* "-- \\%%" holds "%%", which would be a marker
				 * behind "-- ": drop the escaping backslash. */
				if (t[q] == '\\' && pct_escaped(t + q, t + ce))
					q++;
			} else if (ce - q == 2 && memcmp(t + q, "--", 2) == 0)
				q += 2;
		}
		memcpy(out + n, t + q, ce - q);
		n += ce - q;
		if (nl != NULL) {
			out[n++] = '\n';
			q = le + 1;
		} else
			q = end;
	}
	out[n] = '\0';
	c->src = out;
	c->srclen = n;
}

/* Ends the cell being read at raw_end. */
static void
cell_end(struct nb_parser *p, size_t raw_end)
{
	struct nb_cell	*c = p->cell;

	if (c == NULL)
		return;
	c->raw_len = raw_end - c->raw_off;
	c->raw_lines = p->nlines + ((c->flags & C_HEADER) ? 0 : 1);
	if (p->nlines > 0 && p->last_blank)
		c->flags |= C_RAW_BLANK;
	if (c->raw_len == 0 || p->text[raw_end - 1] != '\n')
		c->flags |= C_RAW_NOEOL;
	if (p->src_lines == 0) {
		c->src = "";
		c->srclen = 0;
	} else if (c->kind == NB_CODE && p->slice_ok) {
		c->src = p->text + p->body;
		c->srclen = p->src_end - p->body;
		c->flags |= C_SRC_TEXT;
		if (p->src_end < p->len) {
			c->nul_rel = p->src_end - c->raw_off;
			c->nul_saved = p->text[p->src_end];
			p->text[p->src_end] = '\0';
			c->flags |= C_HAS_NUL;
		}
	} else
		build_source(p, c, p->body, p->src_end);
	/* Lines the source prints as: a markdown body of one "--" line is
	 * source "", which prints as no line, like any other "". */
	c->nsrclines = c->srclen == 0 ? 0 : p->src_lines;
	p->cell = NULL;
}

static void
cell_begin(struct nb_parser *p, struct nb_cell *c, size_t raw_off,
    size_t body)
{
	p->cell = c;
	c->raw_off = raw_off;
	c->line = p->lineno;
	p->body = body;
	p->src_end = body;
	p->nlines = p->src_lines = 0;
	p->bad_eol = p->last_blank = false;
	p->slice_ok = true;
	memset(&p->lx, 0, sizeof p->lx);
}

static int
parse_text(struct nb_parser *p)
{
	struct nb_doc	*doc = p->doc;
	const char	*t = p->text;
	size_t		 pos = 0, len = p->len;
	bool		 first_eol = true;
	int		 rc;

	if (len >= 3 && memcmp(t, NB_BOM, 3) == 0) {
		doc->bom = true;
		pos = 3;
	}
	while (pos < len) {
		const char	*nl = memchr(t + pos, '\n', len - pos);
		size_t		 le = nl != NULL ? (size_t)(nl - t) : len;
		size_t		 ce = le, next = nl != NULL ? le + 1 : len;
		struct nb_cell	*c = p->cell;

		/* A run of '\r' before the break belongs to the line ending
		 * (at the end of the text too), never to the line. */
		while (ce > pos && t[ce - 1] == '\r')
			ce--;
		if (nl != NULL && first_eol) {
			doc->crlf = le > pos && t[le - 1] == '\r';
			first_eol = false;
		}
		p->lineno++;
		p->content = pos;
		if (p->lx.state == LX_CODE && ce - pos >= NB_MARK_LEN &&
		    memcmp(t + pos, NB_MARK, NB_MARK_LEN) == 0 &&
		    (ce - pos == NB_MARK_LEN || is_ws(t[pos + NB_MARK_LEN]))) {
			cell_end(p, pos);
			c = doc_new_parse_cell(doc);
			cell_begin(p, c, pos, next);
			if ((rc = parse_marker(p, c, t + pos, t + ce)) != 0)
				return rc;
			pos = next;
			continue;
		}
		if (c == NULL) {
			/* Lines before the first marker: the header cell. */
			c = doc_new_parse_cell(doc);
			c->flags |= C_HEADER | C_IDGEN;
			c->kind = NB_CODE;
			c->title = "";
			c->nmeta = 1;
			c->meta = arena_alloc(doc, sizeof *c->meta);
			c->meta[0].key = "id";
			c->meta[0].json = NULL;
			cell_begin(p, c, pos, pos);
		}
		p->nlines++;
		if (ce > pos) {
			p->slice_ok = !p->bad_eol;
			p->src_end = ce;
			p->src_lines = p->nlines;
			p->last_blank = false;
		} else
			p->last_blank = true;
		if (nl == NULL || ce != le)
			p->bad_eol = true;
		/* Lua skips a first line starting with '#' (a shebang). */
		if (c->kind == NB_CODE && !(p->lineno == 1 && t[pos] == '#')) {
			lx_line(&p->lx, t + pos, t + ce);
			lx_eol(&p->lx);
		}
		pos = next;
	}
	if (p->cell != NULL) {
		p->cell->flags |= C_ORIG_LAST;
		cell_end(p, len);
	}
	for (size_t i = 0; i < doc->ncells; i++)
		if (doc->cells[i]->flags & C_IDGEN)
			gen_parse_id(doc, doc->cells[i], i);
	return 0;
}

/* A deterministic id for a cell whose marker has none: from its index and
 * source (the header cell's from nothing, so it keeps its id while its
 * text changes), unique in the doc. */
static void
gen_parse_id(struct nb_doc *doc, struct nb_cell *c, size_t index)
{
	char	 src[GL_HASH_HEX], h[GL_HASH_HEX], in[96], id[9], *json;

	if (c->flags & C_HEADER)
		snprintf(src, sizeof src, "header");
	else
		gl_hash_hex(c->src, c->srclen, src);
	for (unsigned k = 0;; k++) {
		int	 n;

		n = snprintf(in, sizeof in, "%zu:%s:%u", index, src, k);
		gl_hash_hex(in, (size_t)n, h);
		memcpy(id, h, 8);
		id[8] = '\0';
		if (tab_find(doc, id) == NULL)
			break;
	}
	c->id = arena_strndup(doc, id, 8);
	c->hash = id_hash(c->id);
	json = arena_alloc(doc, 11);
	snprintf(json, 11, "\"%s\"", id);
	c->meta[c->id_pos].json = json;
	tab_insert(doc, c);
}

/* ------------------------------------------------------------------ */
/* Printing                                                             */
/* ------------------------------------------------------------------ */

static size_t
print_bound(const struct nb_doc *doc)
{
	size_t	 n = doc->bom ? 3 : 0;

	for (size_t i = 0; i < doc->ncells; i++) {
		const struct nb_cell *c = doc->cells[i];

		if (!(c->flags & C_CHANGED)) {
			n += c->raw_len + 4;
			continue;
		}
		n += 32 + strlen(c->title) + strlen(c->id);
		for (uint32_t k = 0; k < c->nmeta; k++)
			n += 2 + strlen(c->meta[k].key) +
			    strlen(c->meta[k].json);
		n += c->srclen + 6 * (size_t)c->nsrclines + 4;
	}
	return n;
}

void
nb_print(const struct nb_doc *doc, struct gl_buf *out)
{
	size_t	 need = print_bound(doc) + 1;

	/* Grow once, to what is needed (gl_buf would double past it). */
	if (out->cap < out->len + need) {
		out->data = xrealloc(out->data, out->len + need);
		out->cap = out->len + need;
		out->data[out->len] = '\0';
	}
	if (doc->bom)
		gl_buf_add(out, NB_BOM, 3);
	for (size_t i = 0; i < doc->ncells; i++)
		print_cell(doc, doc->cells[i], i + 1 == doc->ncells, out);
	if (out->data == NULL)
		gl_buf_reserve(out, 0);
}

/* True if a title starts with a word the parser would take for a kind. */
static bool
title_looks_kind(const char *title)
{
	return title[0] == '[' &&
	    kind_word(title, title + strlen(title), NULL) != 0;
}

static void
print_cell(const struct nb_doc *doc, const struct nb_cell *c, bool last,
    struct gl_buf *out)
{
	const char	*eol = doc->crlf ? "\r\n" : "\n";
	size_t		 eoln = doc->crlf ? 2 : 1;
	const char	*s, *e;

	if (!(c->flags & C_CHANGED)) {
		const char	*base = doc->text + c->raw_off;

		if (c->flags & C_HAS_NUL) {
			gl_buf_add(out, base, c->nul_rel);
			gl_buf_add(out, &c->nul_saved, 1);
			gl_buf_add(out, base + c->nul_rel + 1,
			    c->raw_len - c->nul_rel - 1);
		} else
			gl_buf_add(out, base, c->raw_len);
		/* It ended the file; now a cell follows it. */
		if (!last && (c->flags & C_ORIG_LAST)) {
			if (c->flags & C_RAW_NOEOL)
				gl_buf_add(out, eol, eoln);
			if (!(c->flags & C_RAW_BLANK))
				gl_buf_add(out, eol, eoln);
		}
		return;
	}
	if (!(c->flags & C_HEADER)) {
		gl_buf_add(out, NB_MARK, NB_MARK_LEN);
		if (c->kind == NB_MARKDOWN)
			gl_buf_add(out, " [markdown]", 11);
		else if (c->kind == NB_RAW)
			gl_buf_add(out, " [raw]", 6);
		else if (title_looks_kind(c->title))
			gl_buf_add(out, " [code]", 7);
		if (c->title[0] != '\0') {
			gl_buf_addc(out, ' ');
			gl_buf_adds(out, c->title);
		}
		gl_buf_add(out, " id=\"", 5);
		gl_buf_adds(out, c->id);
		gl_buf_addc(out, '"');
		for (uint32_t k = 0; k < c->nmeta; k++) {
			if (k == c->id_pos)
				continue;
			gl_buf_addc(out, ' ');
			gl_buf_adds(out, c->meta[k].key);
			gl_buf_addc(out, '=');
			gl_buf_adds(out, c->meta[k].json);
		}
		gl_buf_add(out, eol, eoln);
	}
	s = c->src;
	e = c->src + c->srclen;
	for (unsigned k = 0; k < c->nsrclines; k++) {
		const char	*nl = memchr(s, '\n', (size_t)(e - s));
		const char	*le = nl != NULL ? nl : e;

		if (c->kind != NB_CODE) {
			if (le == s)
				gl_buf_add(out, "--", 2);
			else
				gl_buf_add(out, "-- ", 3);
			if (pct_escaped(s, le))
				gl_buf_addc(out, '\\');
		}
		gl_buf_add(out, s, (size_t)(le - s));
		gl_buf_add(out, eol, eoln);
		s = nl != NULL ? nl + 1 : e;
	}
	if (!last || ((c->flags & C_HEADER) && c->nsrclines == 0))
		gl_buf_add(out, eol, eoln);
}

/* Lines cell c takes in the output when another cell follows it. */
static unsigned
cell_print_lines(const struct nb_cell *c)
{
	if (c->flags & C_CHANGED)
		return ((c->flags & C_HEADER) ? 0 : 1) + c->nsrclines + 1;
	return c->raw_lines + ((c->flags & C_ORIG_LAST) &&
	    !(c->flags & C_RAW_BLANK) ? 1 : 0);
}

unsigned
nb_doc_source_line(struct nb_doc *doc, size_t i)
{
	if (i >= doc->ncells)
		return 0;
	if (!doc->lines_ok) {
		unsigned	 line = 1;

		if (doc->linescap < doc->ncells) {
			doc->linescap = doc->ncells;
			free(doc->lines);
			doc->lines = xmalloc(doc->linescap *
			    sizeof *doc->lines);
		}
		for (size_t k = 0; k < doc->ncells; k++) {
			doc->lines[k] = line;
			line += cell_print_lines(doc->cells[k]);
		}
		doc->lines_ok = true;
	}
	return doc->lines[i] + ((doc->cells[i]->flags & C_HEADER) ? 0 : 1);
}

/* ------------------------------------------------------------------ */
/* The doc                                                              */
/* ------------------------------------------------------------------ */

struct nb_doc *
nb_doc_new(void)
{
	struct nb_doc	*doc = xcalloc(1, sizeof *doc);

	gl_rng_seed(&doc->rng, 0x6e6f7465626f6f6bULL);
	return doc;
}

void
nb_doc_free(struct nb_doc *doc)
{
	struct nb_block	*b, *bn;
	struct nb_chunk	*k, *kn;

	if (doc == NULL)
		return;
	for (size_t i = 0; i < doc->ncells; i++)
		cell_release(doc->cells[i]);
	for (b = doc->blocks; b != NULL; b = bn) {
		bn = b->next;
		free(b);
	}
	for (k = doc->arena; k != NULL; k = kn) {
		kn = k->next;
		free(k);
	}
	free(doc->cells);
	free(doc->tab);
	free(doc->lines);
	free(doc->text);
	free(doc);
}

struct nb_doc *
nb_doc_clone(const struct nb_doc *doc)
{
	struct nb_doc	*d = nb_doc_new();

	d->crlf = doc->crlf;
	d->bom = doc->bom;
	d->rng = doc->rng;
	if (doc->text != NULL) {
		d->text = xmalloc(doc->text_len + 1);
		memcpy(d->text, doc->text, doc->text_len + 1);
		d->text_len = doc->text_len;
	}
	for (size_t i = 0; i < doc->ncells; i++) {
		const struct nb_cell	*o = doc->cells[i];
		struct nb_cell		*c = xmalloc(sizeof *c);

		*c = *o;
		c->doc = d;
		c->flags &= (uint16_t)~(C_IN_BLOCK | C_SRC_OWNED |
		    C_TITLE_OWNED | C_META_OWNED);
		c->id = arena_strndup(d, o->id, strlen(o->id));
		if (o->flags & C_SRC_TEXT)
			c->src = d->text + (o->src - doc->text);
		else if (o->srclen > 0) {
			c->src = xstrndup(o->src, o->srclen);
			c->flags |= C_SRC_OWNED;
		} else
			c->src = "";
		if (o->title[0] != '\0') {
			c->title = xstrdup(o->title);
			c->flags |= C_TITLE_OWNED;
		} else
			c->title = "";
		c->meta = xmalloc((o->nmeta + 1) * sizeof *c->meta);
		for (uint32_t k = 0; k < o->nmeta; k++) {
			c->meta[k].key = xstrdup(o->meta[k].key);
			c->meta[k].json = xstrdup(o->meta[k].json);
		}
		c->flags |= C_META_OWNED;
		doc_push(d, c);
		tab_insert(d, c);
	}
	return d;
}

size_t
nb_doc_count(const struct nb_doc *doc)
{
	return doc->ncells;
}

struct nb_cell *
nb_doc_cell(const struct nb_doc *doc, size_t i)
{
	return i < doc->ncells ? doc->cells[i] : NULL;
}

struct nb_cell *
nb_doc_find(const struct nb_doc *doc, const char *id, size_t *index)
{
	struct nb_cell	*c;

	if (id == NULL || (c = tab_find(doc, id)) == NULL)
		return NULL;
	if (index != NULL) {
		doc_reindex(doc);
		*index = c->index;
	}
	return c;
}

bool
nb_doc_crlf(const struct nb_doc *doc)
{
	return doc->crlf;
}

size_t
nb_doc_assign_ids(struct nb_doc *doc)
{
	size_t	 n = 0;

	for (size_t i = 0; i < doc->ncells; i++) {
		struct nb_cell	*c = doc->cells[i];

		if ((c->flags & C_IDGEN) && !(c->flags & C_HEADER)) {
			c->flags &= (uint16_t)~C_IDGEN;
			cell_touch(c);
			n++;
		}
	}
	return n;
}

void
nb_doc_normalize(struct nb_doc *doc)
{
	nb_doc_assign_ids(doc);
	for (size_t i = 0; i < doc->ncells; i++)
		cell_touch(doc->cells[i]);
}

bool
nb_id_valid(const char *id)
{
	return id != NULL && id_valid_n(id, strlen(id));
}

void
nb_id_generate(const struct nb_doc *doc, struct gl_rng *rng,
    char out[NB_ID_MAX + 1])
{
	static const char	 alpha[] =
	    "abcdefghijklmnopqrstuvwxyz0123456789";

	do {
		for (int i = 0; i < 8; i++)
			out[i] = alpha[gl_rng_below(rng, 36)];
		out[8] = '\0';
	} while (tab_find(doc, out) != NULL);
}

struct nb_cell *
nb_doc_insert(struct nb_doc *doc, size_t index, enum nb_kind kind,
    const char *id, const char *source, size_t source_len, struct gl_rng *rng,
    struct gl_err *err)
{
	struct nb_cell	*c;
	char		 gen[NB_ID_MAX + 1], *json;

	if (index > doc->ncells) {
		gl_err_set(err, GL_EINVAL, "cell index %zu is past the end "
		    "(%zu cells)", index, doc->ncells);
		return NULL;
	}
	if (index == 0 && doc->ncells > 0 &&
	    (doc->cells[0]->flags & C_HEADER)) {
		gl_err_set(err, GL_EINVAL, "no cell can go before the header "
		    "cell");
		return NULL;
	}
	if (kind != NB_CODE && kind != NB_MARKDOWN && kind != NB_RAW) {
		gl_err_set(err, GL_EINVAL, "bad cell kind %d", (int)kind);
		return NULL;
	}
	if (id != NULL) {
		if (!nb_id_valid(id)) {
			gl_err_set(err, GL_EINVAL, "bad cell id \"%.*s\": 1 "
			    "to %d letters, digits, '-', '_' or '.'",
			    NB_ID_MAX + 8, id, NB_ID_MAX);
			return NULL;
		}
		if (tab_find(doc, id) != NULL) {
			gl_err_set(err, GL_EEXIST, "cell id \"%s\" is taken",
			    id);
			return NULL;
		}
	} else {
		nb_id_generate(doc, rng != NULL ? rng : &doc->rng, gen);
		id = gen;
	}
	c = xcalloc(1, sizeof *c);
	c->doc = doc;
	c->kind = (uint8_t)kind;
	c->id = arena_strndup(doc, id, strlen(id));
	c->hash = id_hash(c->id);
	c->title = "";
	c->flags = C_CHANGED | C_META_OWNED;
	c->meta = xmalloc(sizeof *c->meta);
	c->meta[0].key = xstrdup("id");
	json = xasprintf("\"%s\"", id);
	c->meta[0].json = json;
	c->nmeta = 1;
	c->src = "";
	nb_cell_set_source(c, source != NULL ? source : "",
	    source != NULL ? source_len : 0);
	doc_push(doc, c);
	memmove(doc->cells + index + 1, doc->cells + index,
	    (doc->ncells - 1 - index) * sizeof *doc->cells);
	doc->cells[index] = c;
	tab_insert(doc, c);
	doc->index_ok = doc->lines_ok = false;
	return c;
}

int
nb_doc_remove(struct nb_doc *doc, size_t i, struct gl_err *err)
{
	struct nb_cell	*c;

	if (i >= doc->ncells)
		return gl_err_set(err, GL_EINVAL, "no cell at index %zu (%zu "
		    "cells)", i, doc->ncells);
	c = doc->cells[i];
	tab_remove(doc, c);
	memmove(doc->cells + i, doc->cells + i + 1,
	    (doc->ncells - i - 1) * sizeof *doc->cells);
	doc->ncells--;
	cell_release(c);
	doc->index_ok = doc->lines_ok = false;
	return 0;
}

int
nb_doc_move(struct nb_doc *doc, size_t from, size_t to, struct gl_err *err)
{
	struct nb_cell	*c;

	if (from >= doc->ncells || to >= doc->ncells)
		return gl_err_set(err, GL_EINVAL, "cannot move cell %zu to %zu "
		    "(%zu cells)", from, to, doc->ncells);
	if ((doc->cells[0]->flags & C_HEADER) && (from == 0 || to == 0))
		return gl_err_set(err, GL_EINVAL, "the header cell stays "
		    "first");
	if (from == to)
		return 0;
	c = doc->cells[from];
	if (from < to)
		memmove(doc->cells + from, doc->cells + from + 1,
		    (to - from) * sizeof *doc->cells);
	else
		memmove(doc->cells + to + 1, doc->cells + to,
		    (from - to) * sizeof *doc->cells);
	doc->cells[to] = c;
	doc->index_ok = doc->lines_ok = false;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Cells                                                                */
/* ------------------------------------------------------------------ */

const char *
nb_cell_id(const struct nb_cell *c)
{
	return c->id;
}

enum nb_kind
nb_cell_kind(const struct nb_cell *c)
{
	return (enum nb_kind)c->kind;
}

bool
nb_cell_is_header(const struct nb_cell *c)
{
	return (c->flags & C_HEADER) != 0;
}

bool
nb_cell_id_generated(const struct nb_cell *c)
{
	/* A changed cell prints from the model, id included. */
	if (c->flags & C_HEADER)
		return true;
	return (c->flags & C_IDGEN) && !(c->flags & C_CHANGED);
}

const char *
nb_cell_title(const struct nb_cell *c)
{
	return c->title;
}

const char *
nb_cell_source(const struct nb_cell *c, size_t *len)
{
	if (len != NULL)
		*len = c->srclen;
	return c->src;
}

const char *
nb_cell_meta(const struct nb_cell *c, const char *key)
{
	for (uint32_t i = 0; i < c->nmeta; i++)
		if (strcmp(c->meta[i].key, key) == 0)
			return c->meta[i].json;
	return NULL;
}

size_t
nb_cell_meta_count(const struct nb_cell *c)
{
	return c->nmeta;
}

void
nb_cell_meta_at(const struct nb_cell *c, size_t i, const char **key,
    const char **json)
{
	if (i >= c->nmeta) {
		*key = *json = NULL;
		return;
	}
	*key = c->meta[i].key;
	*json = c->meta[i].json;
}

bool
nb_cell_has_tag(const struct nb_cell *c, const char *tag)
{
	const char	*tags = nb_cell_meta(c, "tags");
	json_t		*j, *v;
	size_t		 i;
	bool		 found = false;

	if (tags == NULL || tag == NULL)
		return false;
	if ((j = json_loads(tags, JSON_DECODE_ANY, NULL)) == NULL)
		return false;
	if (json_is_array(j))
		json_array_foreach(j, i, v)
			if (json_is_string(v) &&
			    strcmp(json_string_value(v), tag) == 0) {
				found = true;
				break;
			}
	json_decref(j);
	return found;
}

unsigned
nb_cell_line(const struct nb_cell *c)
{
	return c->line;
}

bool
nb_cell_changed(const struct nb_cell *c)
{
	return (c->flags & C_CHANGED) != 0;
}

void
nb_cell_mark_changed(struct nb_cell *c)
{
	cell_touch(c);
}

void
nb_cell_set_source(struct nb_cell *c, const char *src, size_t len)
{
	size_t	 n;
	char	*s;

	if (src == NULL)
		len = 0;
	if (len == c->srclen && (len == 0 || memcmp(src, c->src, len) == 0))
		return;
	s = text_clean(src != NULL ? src : "", len, &n);
	if (c->flags & C_SRC_OWNED)
		free((char *)c->src);
	c->flags &= (uint16_t)~C_SRC_TEXT;
	c->flags |= C_SRC_OWNED;
	c->src = s;
	c->srclen = n;
	c->nsrclines = count_lines(s, n);
	cell_touch(c);
}

int
nb_cell_set_kind(struct nb_cell *c, enum nb_kind kind, struct gl_err *err)
{
	if (c->flags & C_HEADER)
		return gl_err_set(err, GL_EINVAL, "the header cell is always "
		    "code");
	if (kind != NB_CODE && kind != NB_MARKDOWN && kind != NB_RAW)
		return gl_err_set(err, GL_EINVAL, "bad cell kind %d",
		    (int)kind);
	if (c->kind == kind)
		return 0;
	c->kind = (uint8_t)kind;
	cell_touch(c);
	return 0;
}

void
nb_cell_set_title(struct nb_cell *c, const char *title)
{
	char	*t;

	if (c->flags & C_HEADER)
		return;		/* it has no marker to hold one */
	t = title_clean(title != NULL ? title : "");
	if (strcmp(t, c->title) == 0) {
		free(t);
		return;
	}
	if (c->flags & C_TITLE_OWNED)
		free((char *)c->title);
	if (t[0] == '\0') {
		free(t);
		c->title = "";
		c->flags &= (uint16_t)~C_TITLE_OWNED;
	} else {
		c->title = t;
		c->flags |= C_TITLE_OWNED;
	}
	cell_touch(c);
}

int
nb_cell_set_meta(struct nb_cell *c, const char *key, const char *json,
    struct gl_err *err)
{
	char	*val = NULL;

	if (key == NULL || !key_valid(key))
		return gl_err_set(err, GL_EINVAL, "bad metadata key \"%s\": "
		    "letters, digits, '_', '.' and '-', not starting with a "
		    "digit, '.' or '-'", key != NULL ? key : "(null)");
	if (strcmp(key, "id") == 0)
		return gl_err_set(err, GL_EPERM, "cell %s: the id never "
		    "changes", c->id);
	if (c->flags & C_HEADER)
		return gl_err_set(err, GL_EINVAL, "the header cell has no "
		    "marker to hold metadata");
	if (json != NULL) {
		if (!json_one_line(json, &val, err))
			return gl_err_prefix(err, "metadata \"%s\"", key);
	}
	for (uint32_t i = 0; i < c->nmeta; i++) {
		if (strcmp(c->meta[i].key, key) != 0)
			continue;
		if (val != NULL && strcmp(c->meta[i].json, val) == 0) {
			free(val);
			return 0;
		}
		meta_own(c);
		if (val == NULL) {
			free((char *)c->meta[i].key);
			free((char *)c->meta[i].json);
			memmove(c->meta + i, c->meta + i + 1,
			    (c->nmeta - i - 1) * sizeof *c->meta);
			c->nmeta--;
			if (c->id_pos > i)
				c->id_pos--;
		} else {
			free((char *)c->meta[i].json);
			c->meta[i].json = val;
		}
		cell_touch(c);
		return 0;
	}
	if (val == NULL)
		return 0;
	meta_own(c);
	c->meta = xrealloc(c->meta, (c->nmeta + 1) * sizeof *c->meta);
	c->meta[c->nmeta].key = xstrdup(key);
	c->meta[c->nmeta].json = val;
	c->nmeta++;
	cell_touch(c);
	return 0;
}

const char *
nb_kind_name(enum nb_kind kind)
{
	if ((unsigned)kind < sizeof kind_names / sizeof kind_names[0])
		return kind_names[kind];
	return "unknown";
}

int
nb_kind_parse(const char *name, enum nb_kind *out)
{
	for (size_t i = 0; i < sizeof kind_names / sizeof kind_names[0]; i++)
		if (name != NULL && strcmp(name, kind_names[i]) == 0) {
			*out = (enum nb_kind)i;
			return 0;
		}
	return GL_EINVAL;
}

/* ------------------------------------------------------------------ */
/* Helpers                                                              */
/* ------------------------------------------------------------------ */

/* Bump allocation for strings made while parsing; freed with the doc. */
static void *
arena_alloc(struct nb_doc *doc, size_t n)
{
	struct nb_chunk	*k = doc->arena;
	size_t		 a = sizeof(max_align_t), cap;
	char		*p;

	n = (n + a - 1) / a * a;
	if (n == 0)
		n = a;
	if (k == NULL || k->cap - k->used < n) {
		cap = 65536 - sizeof *k;
		if (n > cap / 4) {
			/* A big string gets its own chunk, behind the
			 * current one, which keeps its room. */
			k = xmalloc(sizeof *k + n);
			k->cap = k->used = n;
			if (doc->arena != NULL) {
				k->next = doc->arena->next;
				doc->arena->next = k;
			} else {
				k->next = NULL;
				doc->arena = k;
			}
			return k->data;
		}
		k = xmalloc(sizeof *k + cap);
		k->cap = cap;
		k->used = 0;
		k->next = doc->arena;
		doc->arena = k;
	}
	p = (char *)k->data + k->used;
	k->used += n;
	return p;
}

static char *
arena_strndup(struct nb_doc *doc, const char *s, size_t n)
{
	char	*p = arena_alloc(doc, n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

/* A cell struct for the parser, from a block of them. */
static struct nb_cell *
doc_new_parse_cell(struct nb_doc *doc)
{
	struct nb_block	*b = doc->blocks;
	struct nb_cell	*c;

	if (b == NULL || b->n == b->cap) {
		size_t	 cap = b == NULL ? 8 : (b->cap < 4096 ? 2 * b->cap :
		    4096);

		b = xmalloc(sizeof *b + cap * sizeof b->cells[0]);
		b->n = 0;
		b->cap = cap;
		b->next = doc->blocks;
		doc->blocks = b;
	}
	c = &b->cells[b->n++];
	memset(c, 0, sizeof *c);
	c->doc = doc;
	c->flags = C_IN_BLOCK;
	c->title = "";
	c->src = "";
	doc_push(doc, c);
	return c;
}

/* Appends c to the cells array. */
static void
doc_push(struct nb_doc *doc, struct nb_cell *c)
{
	if (doc->ncells == doc->cap) {
		doc->cap = doc->cap ? 2 * doc->cap : 16;
		doc->cells = xrealloc(doc->cells,
		    doc->cap * sizeof *doc->cells);
	}
	doc->cells[doc->ncells++] = c;
	doc->index_ok = doc->lines_ok = false;
}

static void
doc_reindex(const struct nb_doc *cdoc)
{
	/* The index is a cache; filling it does not change the doc. */
	struct nb_doc	*doc = (struct nb_doc *)cdoc;

	if (doc->index_ok)
		return;
	for (size_t i = 0; i < doc->ncells; i++)
		doc->cells[i]->index = i;
	doc->index_ok = true;
}

static uint32_t
id_hash(const char *s)
{
	uint32_t	 h = 2166136261u;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

static struct nb_cell *
tab_find(const struct nb_doc *doc, const char *id)
{
	size_t	 mask, i;

	if (doc->tabcap == 0)
		return NULL;
	mask = doc->tabcap - 1;
	for (i = id_hash(id) & mask; doc->tab[i] != NULL; i = (i + 1) & mask)
		if (strcmp(doc->tab[i]->id, id) == 0)
			return doc->tab[i];
	return NULL;
}

static void
tab_put(struct nb_cell **tab, size_t cap, struct nb_cell *c)
{
	size_t	 i;

	for (i = c->hash & (cap - 1); tab[i] != NULL; i = (i + 1) & (cap - 1))
		;
	tab[i] = c;
}

static void
tab_insert(struct nb_doc *doc, struct nb_cell *c)
{
	if (2 * (doc->tabused + 1) > doc->tabcap) {
		size_t		 cap = doc->tabcap ? 2 * doc->tabcap : 16;
		struct nb_cell	**tab = xcalloc(cap, sizeof *tab);

		for (size_t i = 0; i < doc->tabcap; i++)
			if (doc->tab[i] != NULL)
				tab_put(tab, cap, doc->tab[i]);
		free(doc->tab);
		doc->tab = tab;
		doc->tabcap = cap;
	}
	tab_put(doc->tab, doc->tabcap, c);
	doc->tabused++;
}

static void
tab_remove(struct nb_doc *doc, struct nb_cell *c)
{
	size_t	 mask = doc->tabcap - 1, i, j, k;

	if (doc->tabcap == 0)
		return;
	for (i = c->hash & mask; doc->tab[i] != c; i = (i + 1) & mask)
		if (doc->tab[i] == NULL)
			return;
	doc->tab[i] = NULL;
	doc->tabused--;
	/* Backward-shift: move later entries of the run into the hole. */
	for (j = (i + 1) & mask; doc->tab[j] != NULL; j = (j + 1) & mask) {
		k = doc->tab[j]->hash & mask;
		if ((j > i && (k <= i || k > j)) ||
		    (j < i && (k <= i && k > j))) {
			doc->tab[i] = doc->tab[j];
			doc->tab[j] = NULL;
			i = j;
		}
	}
}

static void
cell_release(struct nb_cell *c)
{
	if (c->flags & C_SRC_OWNED)
		free((char *)c->src);
	if (c->flags & C_TITLE_OWNED)
		free((char *)c->title);
	if (c->flags & C_META_OWNED) {
		for (uint32_t i = 0; i < c->nmeta; i++) {
			free((char *)c->meta[i].key);
			free((char *)c->meta[i].json);
		}
		free(c->meta);
	}
	if (!(c->flags & C_IN_BLOCK))
		free(c);
}

/* Gives c its own copy of its metadata, to change it. */
static void
meta_own(struct nb_cell *c)
{
	struct nb_meta	*m;

	if (c->flags & C_META_OWNED)
		return;
	m = xmalloc((c->nmeta + 1) * sizeof *m);
	for (uint32_t i = 0; i < c->nmeta; i++) {
		m[i].key = xstrdup(c->meta[i].key);
		m[i].json = xstrdup(c->meta[i].json);
	}
	c->meta = m;
	c->flags |= C_META_OWNED;
}

/* Marks c changed: from now on it prints from the model. */
static void
cell_touch(struct nb_cell *c)
{
	if (!(c->flags & C_CHANGED)) {
		char	 json[NB_ID_MAX + 3];

		c->flags |= C_CHANGED;
		/* The printer writes id="ID"; the model says the same. */
		snprintf(json, sizeof json, "\"%s\"", c->id);
		if (strcmp(c->meta[c->id_pos].json, json) != 0) {
			meta_own(c);
			free((char *)c->meta[c->id_pos].json);
			c->meta[c->id_pos].json = xstrdup(json);
		}
	}
	c->doc->lines_ok = false;
}

static unsigned
count_lines(const char *s, size_t n)
{
	unsigned	 lines = 0;
	const char	*e = s + n;

	if (n == 0)
		return 0;
	while ((s = memchr(s, '\n', (size_t)(e - s))) != NULL) {
		lines++;
		s++;
	}
	return lines + 1;
}

/* A copy of s[0..len) with NUL bytes and invalid UTF-8 replaced by U+FFFD,
 * so the doc always prints as a file that parses. Caller frees. */
static char *
text_clean(const char *s, size_t len, size_t *outlen)
{
	struct gl_buf	 b;
	size_t		 bad;

	if (gl_utf8_valid(s, len, &bad) && memchr(s, '\0', len) == NULL) {
		*outlen = len;
		return xstrndup(s, len);
	}
	gl_buf_init(&b);
	gl_buf_reserve(&b, len + 16);
	while (len > 0) {
		const char	*z;
		size_t		 ok = len;

		if (!gl_utf8_valid(s, len, &bad))
			ok = bad;
		if ((z = memchr(s, '\0', ok)) != NULL)
			ok = (size_t)(z - s);
		gl_buf_add(&b, s, ok);
		if (ok == len)
			break;
		gl_buf_add(&b, NB_FFFD, 3);
		s += ok + 1;
		len -= ok + 1;
	}
	return gl_buf_take(&b, outlen);
}

/* A title as the marker can hold it: one line of valid UTF-8 without
 * control characters, no spaces around it, and no word that reads as
 * metadata ("x=1" becomes "x =1"). Caller frees. */
static char *
title_clean(const char *title)
{
	struct gl_buf	 b;
	size_t		 n;
	char		*s = text_clean(title, strlen(title), &n), *p, *e;

	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			s[i] = ' ';
	p = s;
	e = s + n;
	while (p < e && *p == ' ')
		p++;
	while (e > p && e[-1] == ' ')
		e--;
	gl_buf_init(&b);
	while (p < e) {
		if ((p == s || p[-1] == ' ') && is_key_token(p, e)) {
			size_t	 k = key_len(p, e);

			gl_buf_add(&b, p, k);
			gl_buf_addc(&b, ' ');
			p += k;
		}
		gl_buf_addc(&b, *p++);
	}
	free(s);
	return gl_buf_take(&b, NULL);
}

static bool
key_valid(const char *key)
{
	size_t	 n = strlen(key);

	return n > 0 && key_len(key, key + n) == n;
}

/* Checks that json is one JSON value and gives it as one line: JSON white
 * space around it dropped, line breaks inside it (white space between
 * tokens; strings cannot hold them raw) made spaces. */
static bool
json_one_line(const char *json, char **out, struct gl_err *err)
{
	json_error_t	 je;
	json_t		*j;
	const char	*s = json, *e = json + strlen(json);
	char		*v;

	*out = NULL;
	j = json_loads(json, JSON_DECODE_ANY, &je);
	if (j == NULL) {
		gl_err_set(err, GL_ESYNTAX, "bad JSON: %s", je.text);
		return false;
	}
	json_decref(j);
	while (s < e && (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r'))
		s++;
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' ||
	    e[-1] == '\r'))
		e--;
	v = xstrndup(s, (size_t)(e - s));
	for (char *q = v; *q != '\0'; q++)
		if (*q == '\n' || *q == '\r')
			*q = ' ';
	*out = v;
	return true;
}

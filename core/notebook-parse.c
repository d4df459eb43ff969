/*
 * notebook-parse.c - nb_parse(): the notebook's text format
 * (docs/format.md) read into the model (core/notebook.c) in one pass,
 * as described at the top of that file.
 *
 * A "-- %%" line inside a Lua long string or long comment of a code cell
 * is not a marker: nb_lex_line() follows long brackets, short strings
 * (with their escapes, "\" at the end of a line and "\z") and line
 * comments from line to line, as Lua's lexer does.
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
#include "core/notebook_int.h"
#include "core/util.h"

/* The lexer's state between lines of code. */
enum nb_lex_state {
	NB_LEX_CODE,
	NB_LEX_LONG,		/* long string or long comment */
	NB_LEX_STR,		/* short string */
};

struct nb_lexer {
	enum nb_lex_state state;
	size_t		 level;		/* NB_LEX_LONG: how many '=' */
	char		 quote;		/* NB_LEX_STR: ' or " */
	bool		 zskip;		/* NB_LEX_STR: after \z, skip spaces */
	bool		 esc;		/* NB_LEX_STR: line ended in '\' */
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
	struct nb_lexer	 lex;
};

/* Bytes that start something the lexer follows in code. */
static const bool nb_lex_special[256] = {
	['-'] = true, ['['] = true, ['\''] = true, ['"'] = true,
};

static int	 parse_text(struct nb_parser *);
static void	 gen_parse_id(struct nb_doc *, struct nb_cell *, size_t);

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
nb_lex_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\v' || c == '\f' || c == '\r';
}

/* Length of a long bracket "[" "="* "[" at p (p[0] == '['), or 0. */
static size_t
nb_lex_long_open(const char *p, const char *e, size_t *level)
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
nb_lex_line(struct nb_lexer *lex, const char *p, const char *e)
{
	size_t	 n;

	while (p < e) {
		if (lex->state == NB_LEX_LONG) {
			const char	*q = memchr(p, ']', (size_t)(e - p));

			if (q == NULL)
				return;
			p = q + 1;
			n = 0;
			while (p < e && *p == '=') {
				p++;
				n++;
			}
			if (n == lex->level && p < e && *p == ']') {
				p++;
				lex->state = NB_LEX_CODE;
			}
			continue;
		}
		if (lex->state == NB_LEX_STR) {
			/* Most strings hold no escape: find the closing quote
			 * and any backslash before it with memchr rather than
			 * byte by byte (a 100 MB notebook of string lines
			 * parses twice as fast). */
			if (!lex->zskip) {
				const char *q = memchr(p, lex->quote,
				    (size_t)(e - p));
				const char *b = memchr(p, '\\',
				    (size_t)((q != NULL ? q : e) - p));

				if (b == NULL) {
					if (q == NULL)
						return;
					lex->state = NB_LEX_CODE;
					p = q + 1;
					continue;
				}
				p = b;
			}
			for (; p < e; p++) {
				unsigned char	 c = (unsigned char)*p;

				if (lex->zskip) {
					if (nb_lex_space(c))
						continue;
					lex->zskip = false;
				}
				if (c == '\\') {
					if (p + 1 == e) {
						/* Escaped line break. */
						lex->esc = true;
						return;
					}
					p++;
					if (*p == 'z')
						lex->zskip = true;
					continue;
				}
				if (c == (unsigned char)lex->quote) {
					lex->state = NB_LEX_CODE;
					p++;
					break;
				}
			}
			continue;
		}
		while (p < e && !nb_lex_special[(unsigned char)*p])
			p++;
		if (p == e)
			return;
		switch (*p) {
		case '-':
			if (p + 1 < e && p[1] == '-') {
				if (p + 2 < e && p[2] == '[' &&
				    (n = nb_lex_long_open(p + 2, e,
				    &lex->level)) != 0) {
					lex->state = NB_LEX_LONG;
					p += 2 + n;
					continue;
				}
				return;		/* a line comment */
			}
			p++;
			break;
		case '[':
			if ((n = nb_lex_long_open(p, e, &lex->level)) != 0) {
				lex->state = NB_LEX_LONG;
				p += n;
			} else
				p++;
			break;
		default:
			lex->state = NB_LEX_STR;
			lex->quote = *p;
			lex->zskip = lex->esc = false;
			p++;
			break;
		}
	}
}

/* The line break after a line of code. */
static void
nb_lex_eol(struct nb_lexer *lex)
{
	if (lex->state != NB_LEX_STR)
		return;
	if (lex->esc) {
		lex->esc = false;
		return;
	}
	/* A short string ends at a raw line break (Lua calls it an error)
	 * unless \z is skipping white space. */
	if (!lex->zskip)
		lex->state = NB_LEX_CODE;
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

			i = gl_fnv1a(kj, strlen(kj)) & (cap - 1);
			while (p->kset[i].gen == p->kgen)
				i = (i + 1) & (cap - 1);
			p->kset[i].gen = p->kgen;
			p->kset[i].idx = (uint32_t)j;
		}
	}
	mask = p->ksetcap - 1;
	for (i = gl_fnv1a(k, n) & mask; p->kset[i].gen == p->kgen;
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
	c->id = nb_arena_strndup(p->doc, s, n);
	if ((other = nb_tab_find(p->doc, c->id)) != NULL) {
		rc = parse_fail(p, v, "duplicate cell id \"%s\" (also on line "
		    "%u)", c->id, other->line);
		goto fail;
	}
	c->hash = gl_fnv1a(c->id, strlen(c->id));
	nb_tab_insert(p->doc, c);
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
	    nb_arena_strndup(p->doc, tstart, (size_t)(tend - tstart)) : "";

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
			key = nb_arena_strndup(p->doc, k, n);
		scratch_push(p, key, nb_arena_strndup(p->doc, v,
		    (size_t)(end - v)));
		q = end;
		while (q < e && is_ws(*q))
			q++;
	}
	if (has_id) {
		/* Drop the slot: the id is where it was written. */
		c->nmeta = (uint32_t)(p->nscratch - 1);
		c->meta = nb_arena_alloc(p->doc, c->nmeta * sizeof *c->meta);
		memcpy(c->meta, p->scratch + 1, c->nmeta * sizeof *c->meta);
		for (uint32_t i = 0; i < c->nmeta; i++)
			if (c->meta[i].key[0] == 'i' &&
			    strcmp(c->meta[i].key, "id") == 0)
				c->id_pos = i;
	} else {
		c->flags |= C_IDGEN;
		c->nmeta = (uint32_t)p->nscratch;
		c->meta = nb_arena_alloc(p->doc, c->nmeta * sizeof *c->meta);
		memcpy(c->meta, p->scratch, c->nmeta * sizeof *c->meta);
		c->id_pos = 0;
	}
	return 0;
}

/* Copies the source of c out of its body lines [body, end): the lines
 * joined by "\n", markdown and raw lines without their "-- ". */
static void
build_source(struct nb_parser *p, struct nb_cell *c, size_t body, size_t end)
{
	const char	*t = p->text;
	bool		 strip = c->kind != NB_CODE;
	char		*out = nb_arena_alloc(p->doc, end - body + 1);
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
	memset(&p->lex, 0, sizeof p->lex);
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
		if (p->lex.state == NB_LEX_CODE && ce - pos >= NB_MARK_LEN &&
		    memcmp(t + pos, NB_MARK, NB_MARK_LEN) == 0 &&
		    (ce - pos == NB_MARK_LEN || is_ws(t[pos + NB_MARK_LEN]))) {
			cell_end(p, pos);
			c = nb_block_cell_new(doc);
			cell_begin(p, c, pos, next);
			if ((rc = parse_marker(p, c, t + pos, t + ce)) != 0)
				return rc;
			pos = next;
			continue;
		}
		if (c == NULL) {
			/* Lines before the first marker: the header cell. */
			c = nb_block_cell_new(doc);
			c->flags |= C_HEADER | C_IDGEN;
			c->kind = NB_CODE;
			c->title = "";
			c->nmeta = 1;
			c->meta = nb_arena_alloc(doc, sizeof *c->meta);
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
			nb_lex_line(&p->lex, t + pos, t + ce);
			nb_lex_eol(&p->lex);
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
		if (nb_tab_find(doc, id) == NULL)
			break;
	}
	c->id = nb_arena_strndup(doc, id, 8);
	c->hash = gl_fnv1a(c->id, strlen(c->id));
	json = nb_arena_alloc(doc, 11);
	snprintf(json, 11, "\"%s\"", id);
	c->meta[c->id_pos].json = json;
	nb_tab_insert(doc, c);
}

/*
 * notebook_int.h - what the three files of the notebook module share; no
 * other file includes it (the rest of galley uses core/notebook.h):
 * - core/notebook.c, the model: the doc and its cells, ids, mutators,
 *   and the allocation and id index the parser fills;
 * - core/notebook-parse.c, the parser (with its Lua lexer);
 * - core/notebook-print.c, the printer.
 * The parser calls into the model; the printer reads the structs; the
 * model calls neither. The design and the invariants these structs keep
 * are at the top of core/notebook.c.
 */
#ifndef GL_NOTEBOOK_INT_H
#define GL_NOTEBOOK_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/notebook.h"
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

/*
 * The format's lexical rules, which the parser reads by and the printer
 * and the mutators write by: inline, as the parser runs them for every
 * byte of a marker line.
 */

static inline bool
is_ws(char c)
{
	return c == ' ' || c == '\t';
}

static inline bool
key_start(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static inline bool
key_char(char c)
{
	return key_start(c) || (c >= '0' && c <= '9') || c == '.' || c == '-';
}

/* Length of a key at s, or 0. */
static inline size_t
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
static inline bool
is_key_token(const char *s, const char *e)
{
	size_t	 n = key_len(s, e);

	return n > 0 && s + n < e && s[n] == '=';
}

/* Length of a kind word ("[markdown]", "[raw]", "[code]") that ends at a
 * space, a tab or e; 0 if none. */
static inline size_t
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

static inline bool
id_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
}

static inline bool
id_valid_n(const char *s, size_t n)
{
	if (n == 0 || n > NB_ID_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!id_char(s[i]))
			return false;
	return true;
}

/* True if [s, e) is "%%" after any number of backslashes: a markdown or
 * raw line that gets one more backslash behind its "-- " (else "%% x"
 * would print as a marker). */
static inline bool
pct_escaped(const char *s, const char *e)
{
	while (s < e && *s == '\\')
		s++;
	return e - s >= 2 && s[0] == '%' && s[1] == '%';
}

/* The model's side of parsing (core/notebook.c). */

/* Bump allocation for strings and arrays made while parsing; freed with
 * the doc. Never NULL. */
void	*nb_arena_alloc(struct nb_doc *doc, size_t n);
/* A NUL-terminated copy of s[0..n) in the arena. */
char	*nb_arena_strndup(struct nb_doc *doc, const char *s, size_t n);
/* A zeroed cell ("" title and source) appended to doc's cells, carved
 * from a block of them (C_IN_BLOCK): the parser's cells. */
struct nb_cell *nb_block_cell_new(struct nb_doc *doc);
/* The id index: the cell with an id (or NULL), and adding a cell whose
 * id and hash (c->hash, gl_fnv1a of the id) are set. */
struct nb_cell *nb_tab_find(const struct nb_doc *doc, const char *id);
void	 nb_tab_insert(struct nb_doc *doc, struct nb_cell *c);

#endif

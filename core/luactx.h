/*
 * luactx.h - where a cursor is in Lua code, for completion and
 * inspection: after a chain of names ("io.std", "obj:me"), inside a
 * string (a file path, or the module of a require), or in a comment;
 * the name a cursor is on; the identifiers of a text; Lua's keywords.
 * Pure: bytes in, offsets out. Used by the runtime (lua/complete.c),
 * which resolves the names in the live session, and by the kernel
 * (kernel/session-complete.c), which answers from the notebook's words
 * when the runtime cannot. Knows nothing of Lua's C API.
 */
#ifndef GL_LUACTX_H
#define GL_LUACTX_H

#include <stdbool.h>
#include <stddef.h>

enum luactx_kind {
	LUACTX_NONE,		/* nothing to complete here (a number...) */
	LUACTX_NAME,		/* a name, perhaps after a chain: "foo.ba" */
	LUACTX_STRING,		/* inside a string literal: a path */
	LUACTX_REQUIRE,		/* inside require's string: a module */
	LUACTX_COMMENT,		/* in a comment */
};

struct luactx {
	enum luactx_kind kind;
	/* LUACTX_NAME: the names before the one being typed, joined by
	 * the separators the code has ("io", "a.b"), and the separator
	 * before the word ('.', ':', or 0 for a bare name). */
	size_t		 chain, chain_len;	/* offset and length */
	char		 sep;
	/* The word being completed: code[word, cursor). For a string,
	 * its content so far. */
	size_t		 word;
};

/* Reads code[0..len) up to cursor (clamped to len). */
void	 luactx_at(const char *code, size_t len, size_t cursor,
	     struct luactx *out);

/* The whole chain of names the cursor is on or just after ("io.stdout"
 * with the cursor in "std"): *start and *end bound it. False if the
 * cursor is on no name. */
bool	 luactx_expr(const char *code, size_t len, size_t cursor,
	     size_t *start, size_t *end);

/* True for s[0..n) a Lua name that is no reserved word (ASCII letters,
 * digits and '_', not starting with a digit). */
bool	 luactx_is_name(const char *s, size_t n);
/* True for a Lua reserved word s[0..n). */
bool	 luactx_is_keyword(const char *s, size_t n);
/* Lua's reserved words, NULL-terminated. */
extern const char *const luactx_keywords[];

/* Calls fn for each identifier of text[0..len) (outside comments, and
 * outside strings), with its offset and length, until fn returns
 * false. */
void	 luactx_words(const char *text, size_t len,
	     bool (*fn)(void *ctx, const char *w, size_t n), void *ctx);

#endif

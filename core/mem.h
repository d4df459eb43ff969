/*
 * mem.h - allocation that never returns NULL, and a growable byte buffer.
 * x* functions abort on exhaustion (the Lua hosts use a counting allocator
 * with a limit instead). Pure; used everywhere.
 */
#ifndef GL_MEM_H
#define GL_MEM_H

#include <stdarg.h>
#include <stddef.h>

void	*xmalloc(size_t n);
void	*xcalloc(size_t nmemb, size_t size);
void	*xrealloc(void *p, size_t n);
/* Caller frees. */
char	*xstrdup(const char *s);
char	*xstrndup(const char *s, size_t n);
char	*xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A growable buffer; data is always NUL-terminated (not counted in len). */
struct gl_buf {
	char	*data;		/* owned; NULL until the first add */
	size_t	 len;
	size_t	 cap;
};

void	 gl_buf_init(struct gl_buf *b);
void	 gl_buf_fini(struct gl_buf *b);
void	 gl_buf_reset(struct gl_buf *b);	/* len = 0, keeps memory */
void	 gl_buf_reserve(struct gl_buf *b, size_t extra);
void	 gl_buf_add(struct gl_buf *b, const void *p, size_t n);
void	 gl_buf_adds(struct gl_buf *b, const char *s);
void	 gl_buf_addc(struct gl_buf *b, char c);
void	 gl_buf_addf(struct gl_buf *b, const char *fmt, ...)
	     __attribute__((format(printf, 2, 3)));
void	 gl_buf_vaddf(struct gl_buf *b, const char *fmt, va_list ap);
/* Returns the data (caller frees; never NULL) and empties b. */
char	*gl_buf_take(struct gl_buf *b, size_t *lenp);

#endif

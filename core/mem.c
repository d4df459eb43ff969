/*
 * mem.c - never-NULL allocation and the byte buffer.
 */
#include "core/mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"

void *
xmalloc(size_t n)
{
	void	*p = malloc(n ? n : 1);

	if (p == NULL)
		gl_fatal("out of memory (%zu bytes)", n);
	return p;
}

void *
xcalloc(size_t nmemb, size_t size)
{
	void	*p = calloc(nmemb ? nmemb : 1, size ? size : 1);

	if (p == NULL)
		gl_fatal("out of memory (%zu x %zu bytes)", nmemb, size);
	return p;
}

void *
xrealloc(void *p, size_t n)
{
	void	*q = realloc(p, n ? n : 1);

	if (q == NULL)
		gl_fatal("out of memory (%zu bytes)", n);
	return q;
}

char *
xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *
xstrndup(const char *s, size_t n)
{
	char	*p = xmalloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *
xasprintf(const char *fmt, ...)
{
	struct gl_buf	 b;
	va_list		 ap;

	gl_buf_init(&b);
	va_start(ap, fmt);
	gl_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	return gl_buf_take(&b, NULL);
}

void
gl_buf_init(struct gl_buf *b)
{
	b->data = NULL;
	b->len = b->cap = 0;
}

void
gl_buf_fini(struct gl_buf *b)
{
	free(b->data);
	gl_buf_init(b);
}

void
gl_buf_reset(struct gl_buf *b)
{
	b->len = 0;
	if (b->data != NULL)
		b->data[0] = '\0';
}

void
gl_buf_reserve(struct gl_buf *b, size_t extra)
{
	size_t	 need = b->len + extra + 1;

	if (need <= b->cap)
		return;
	if (b->cap == 0)
		b->cap = 64;
	while (b->cap < need)
		b->cap *= 2;
	b->data = xrealloc(b->data, b->cap);
	b->data[b->len] = '\0';
}

void
gl_buf_add(struct gl_buf *b, const void *p, size_t n)
{
	gl_buf_reserve(b, n);
	if (n > 0)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void
gl_buf_adds(struct gl_buf *b, const char *s)
{
	gl_buf_add(b, s, strlen(s));
}

void
gl_buf_addc(struct gl_buf *b, char c)
{
	gl_buf_add(b, &c, 1);
}

void
gl_buf_vaddf(struct gl_buf *b, const char *fmt, va_list ap)
{
	va_list	 ap2;
	int	 n;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return;
	gl_buf_reserve(b, (size_t)n);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
}

void
gl_buf_addf(struct gl_buf *b, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	gl_buf_vaddf(b, fmt, ap);
	va_end(ap);
}

char *
gl_buf_take(struct gl_buf *b, size_t *lenp)
{
	char	*p;

	if (b->data == NULL)
		gl_buf_reserve(b, 0);
	p = b->data;
	if (lenp != NULL)
		*lenp = b->len;
	gl_buf_init(b);
	return p;
}

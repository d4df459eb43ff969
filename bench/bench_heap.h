/*
 * bench_heap.h - what the benchmarks share: a clock, medians, and heap
 * accounting. Include it once, in a benchmark's only .c file: it defines
 * malloc, calloc, realloc and free, which wrap glibc's and count the usable
 * size of live blocks, so a measurement sees every allocation (galley's,
 * jansson's, libgit2's) and its peak. Under a sanitizer, or without glibc,
 * BENCH_NO_HEAP is defined and there is no accounting.
 */
#ifndef GL_BENCH_HEAP_H
#define GL_BENCH_HEAP_H

#include <stdlib.h>
#include <time.h>

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define BENCH_NO_HEAP 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || \
    __has_feature(memory_sanitizer)
#define BENCH_NO_HEAP 1
#endif
#endif
/* __GLIBC__ comes with <stdio.h>; the wrappers below need glibc. */
#if !defined(__GLIBC__)
#define BENCH_NO_HEAP 1
#endif

#ifndef BENCH_NO_HEAP
/*
 * Heap accounting: this program's malloc, calloc, realloc and free wrap
 * glibc's and count the usable size of live blocks, so a measurement sees
 * every allocation (galley's, jansson's, libsodium's) and its peak.
 */
#include <malloc.h>

extern void	*__libc_malloc(size_t);
extern void	*__libc_calloc(size_t, size_t);
extern void	*__libc_realloc(void *, size_t);
extern void	 __libc_free(void *);

static long long heap_cur, heap_peak;

static void
heap_add(long long n)
{
	heap_cur += n;
	if (heap_cur > heap_peak)
		heap_peak = heap_cur;
}

void *
malloc(size_t n)
{
	void	*p = __libc_malloc(n);

	if (p != NULL)
		heap_add((long long)malloc_usable_size(p));
	return p;
}

void *
calloc(size_t a, size_t b)
{
	void	*p = __libc_calloc(a, b);

	if (p != NULL)
		heap_add((long long)malloc_usable_size(p));
	return p;
}

void *
realloc(void *p, size_t n)
{
	long long	 old = p != NULL ? (long long)malloc_usable_size(p) : 0;
	void		*q = __libc_realloc(p, n);

	if (q != NULL) {
		heap_cur -= old;
		heap_add((long long)malloc_usable_size(q));
	} else if (n == 0)
		heap_cur -= old;
	return q;
}

void
free(void *p)
{
	if (p != NULL)
		heap_cur -= (long long)malloc_usable_size(p);
	__libc_free(p);
}

/* Starts a measurement: the peak from now on, above what is live now. */
static long long
heap_mark(void)
{
	heap_peak = heap_cur;
	return heap_cur;
}
#endif

static double
now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int
cmp_double(const void *a, const void *b)
{
	double	 x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
median(double *v, size_t n)
{
	qsort(v, n, sizeof *v, cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

#endif

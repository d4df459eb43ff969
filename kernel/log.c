/*
 * log.c - the kernel's log (kernel/log.h).
 */
#include "kernel/log.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

static void	 log_vline(const char *fmt, va_list ap);
static const char *log_count(uint64_t n, char *buf, size_t len);

void
log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vline(fmt, ap);
	va_end(ap);
}

void
log_limit_init(struct log_limit *l, const char *what, unsigned per_s,
    unsigned summary_ms)
{
	l->what = what;
	l->per_s = per_s;
	l->summary_ms = summary_ms;
	l->sec = -1;
	l->lines = 0;
	l->dropped = 0;
	l->since_ms = 0;
}

void
log_limited(struct log_limit *l, int64_t now_ms, const char *fmt, ...)
{
	va_list ap;

	(void)log_limit_flush(l, now_ms, false);
	if (now_ms / 1000 != l->sec) {
		l->sec = now_ms / 1000;
		l->lines = 0;
	}
	if (l->lines >= l->per_s) {
		if (l->dropped++ == 0)
			l->since_ms = now_ms;
		return;
	}
	l->lines++;
	va_start(ap, fmt);
	log_vline(fmt, ap);
	va_end(ap);
}

int64_t
log_limit_flush(struct log_limit *l, int64_t now_ms, bool force)
{
	char	 n[32];
	int64_t	 span;

	if (l->dropped == 0)
		return -1;
	span = now_ms - l->since_ms;
	if (!force && span < (int64_t)l->summary_ms)
		return (int64_t)l->summary_ms - span;
	log_info("... and %s more %s in the last %" PRId64 " s",
	    log_count(l->dropped, n, sizeof n), l->what,
	    span < 1000 ? 1 : (span + 999) / 1000);
	l->dropped = 0;
	return -1;
}

static void
log_vline(const char *fmt, va_list ap)
{
	char		 line[1024], ts[32];
	struct tm	 tm;
	time_t		 now = time(NULL);

	localtime_r(&now, &tm);
	strftime(ts, sizeof ts, "%Y-%m-%d %H:%M:%S", &tm);
	vsnprintf(line, sizeof line, fmt, ap);
	fprintf(stderr, "%s galley kernel[%d]: %s\n", ts, (int)getpid(), line);
}

/* n with thousands separated: "1,934". */
static const char *
log_count(uint64_t n, char *buf, size_t len)
{
	char	 digits[32];
	int	 k = snprintf(digits, sizeof digits, "%" PRIu64, n);
	size_t	 o = 0;

	for (int i = 0; i < k && o + 2 < len; i++) {
		if (i > 0 && (k - i) % 3 == 0)
			buf[o++] = ',';
		buf[o++] = digits[i];
	}
	buf[o] = '\0';
	return buf;
}

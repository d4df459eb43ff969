/*
 * log.c - the kernel's log (kernel/log.h).
 */
#include "kernel/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

void
log_info(const char *fmt, ...)
{
	char		 line[1024], ts[32];
	struct tm	 tm;
	time_t		 now = time(NULL);
	va_list		 ap;

	localtime_r(&now, &tm);
	strftime(ts, sizeof ts, "%Y-%m-%d %H:%M:%S", &tm);
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s galley kernel[%d]: %s\n", ts, (int)getpid(), line);
}

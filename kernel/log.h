/*
 * log.h - the kernel's log: one line per event on stderr, which is
 * kernel.log for a kernel a client started in the background.
 *
 * Used by every part of the kernel that has something to tell whoever
 * runs it (server, sessions, cluster service); depends on nothing.
 */
#ifndef GL_LOG_H
#define GL_LOG_H

/* Logs one line, "2024-05-01 12:00:00 galley kernel[PID]: " and the
 * formatted text (up to 1 KiB). */
void	 log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif

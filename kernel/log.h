/*
 * log.h - the kernel's log: one line per event on stderr, which is
 * kernel.log for a kernel a client started in the background.
 *
 * Events a peer can cause at will (connections refused before they
 * authenticate) go through a struct log_limit: a few lines a second, the
 * rest counted and summed up in one line, so that a flood of garbage
 * connections cannot fill the disk through the log.
 *
 * Used by every part of the kernel that has something to tell whoever
 * runs it (server, sessions, cluster service); depends on nothing.
 */
#ifndef GL_LOG_H
#define GL_LOG_H

#include <stdbool.h>
#include <stdint.h>

/* Logs one line, "2024-05-01 12:00:00 galley kernel[PID]: " and the
 * formatted text (up to 1 KiB). */
void	 log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A budget of lines for one kind of event. Times are the caller's clock
 * in ms (the loop's), so the limiter itself reads no clock. */
struct log_limit {
	const char	*what;		/* "refused peers" (borrowed) */
	unsigned	 per_s;		/* lines logged a second, at most */
	unsigned	 summary_ms;	/* dropped lines are summed up this
					 * long after the first of them */
	int64_t		 sec;		/* the second being counted */
	unsigned	 lines;		/* lines logged in it */
	uint64_t	 dropped;	/* lines dropped since the summary */
	int64_t		 since_ms;	/* when the first of them was */
};

void	 log_limit_init(struct log_limit *l, const char *what,
	     unsigned per_s, unsigned summary_ms);
/* Logs the line if this second's budget allows, else counts it; first
 * the summary, if one is due. */
void	 log_limited(struct log_limit *l, int64_t now_ms, const char *fmt,
	     ...) __attribute__((format(printf, 3, 4)));
/* Logs the summary ("... and 1,934 more refused peers in the last 10 s")
 * if lines were dropped and it is due (or force). Returns the ms until
 * one will be due, or -1 if no line is waiting to be summed up: the
 * caller's timer calls again then. */
int64_t	 log_limit_flush(struct log_limit *l, int64_t now_ms, bool force);

#endif

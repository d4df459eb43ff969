/*
 * fullfs.h - a full disk for tests that check what galley does when a
 * write fails for want of space: a small tmpfs mounted on a directory of
 * the test's own, in a mount namespace private to the test process and
 * the processes it starts (a kernel, the galley binary), and a file that
 * fills it to the last block. Needs root (CAP_SYS_ADMIN); a test that
 * cannot have it skips. Include after defining _GNU_SOURCE (unshare()).
 * Static inline, as tests/kernel/kproc.h, so any test program can use it.
 */
#ifndef GL_TEST_FULLFS_H
#define GL_TEST_FULLFS_H

#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

/* Mounts a tmpfs of size (such as "256k"), mode 0700, on dir, which
 * exists; false where that cannot be had (not root, no namespaces). The
 * test umount2(dir, MNT_DETACH)s it before removing dir. */
static inline bool
fullfs_mount(const char *dir, const char *size)
{
	char	 opts[64];

	snprintf(opts, sizeof opts, "size=%s,mode=0700", size);
	return geteuid() == 0 && unshare(CLONE_NEWNS) == 0 &&
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0 &&
	    mount("tmpfs", dir, "tmpfs", 0, opts) == 0;
}

/* Fills the file system path is on, to the last block, with the file
 * path; 0, or -1 if path cannot be made. Unlinking path makes room
 * again. */
static inline int
fullfs_fill(const char *path)
{
	static char	 chunk[4096];
	FILE		*f = fopen(path, "w");

	if (f == NULL)
		return -1;
	memset(chunk, 'f', sizeof chunk);
	while (fwrite(chunk, 1, sizeof chunk, f) == sizeof chunk &&
	    fflush(f) == 0)
		;
	fclose(f);
	return 0;
}

#endif

/*
 * util.c - RNG, hashes, UTF-8 validation, the monotonic clock, whole-file
 * read and atomic write.
 */
#include "core/util.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/err.h"
#include "core/mem.h"
#include "core/paths.h"

static uint64_t
splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

void
gl_rng_seed(struct gl_rng *r, uint64_t seed)
{
	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix64(&seed);
}

void
gl_rng_seed_random(struct gl_rng *r)
{
	uint64_t seed;

	if (sodium_init() < 0)
		gl_fatal("libsodium failed to initialise");
	randombytes_buf(&seed, sizeof seed);
	gl_rng_seed(r, seed);
}

static uint64_t
rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

uint64_t
gl_rng_next(struct gl_rng *r)
{
	uint64_t *s = r->s;
	uint64_t result = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

uint64_t
gl_rng_below(struct gl_rng *r, uint64_t n)
{
	uint64_t lim = UINT64_MAX - UINT64_MAX % n, x;

	do
		x = gl_rng_next(r);
	while (x >= lim);
	return x % n;
}

void
gl_hash_hex(const void *p, size_t len, char out[GL_HASH_HEX])
{
	unsigned char h[16];

	crypto_generichash(h, sizeof h, p, len, NULL, 0);
	sodium_bin2hex(out, GL_HASH_HEX, h, sizeof h);
}

uint32_t
gl_fnv1a(const void *p, size_t len)
{
	const unsigned char	*s = p;
	uint32_t		 h = 2166136261u;

	for (size_t i = 0; i < len; i++)
		h = (h ^ s[i]) * 16777619u;
	return h;
}

void
gl_lis(const size_t *seq, size_t n, size_t skip, bool *keep)
{
	size_t	*tail = xmalloc((n + 1) * sizeof *tail);	/* its index */
	size_t	*prev = xmalloc((n + 1) * sizeof *prev);
	size_t	 len = 0;

	for (size_t i = 0; i < n; i++) {
		size_t	 lo = 0, hi = len;

		keep[i] = false;
		if (seq[i] == skip)
			continue;
		while (lo < hi) {
			size_t	 mid = (lo + hi) / 2;

			if (seq[tail[mid]] < seq[i])
				lo = mid + 1;
			else
				hi = mid;
		}
		prev[i] = lo > 0 ? tail[lo - 1] : SIZE_MAX;
		tail[lo] = i;
		if (lo == len)
			len++;
	}
	for (size_t i = len > 0 ? tail[len - 1] : SIZE_MAX; i != SIZE_MAX;
	    i = prev[i])
		keep[i] = true;
	free(tail);
	free(prev);
}

int64_t
gl_wall_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
gl_now_us(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t
gl_now_ms(void)
{
	return gl_now_us() / 1000;
}

bool
gl_utf8_valid(const char *s, size_t len, size_t *bad)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	while (i < len) {
		unsigned c = p[i];
		size_t n;
		uint32_t cp, min;

		if (c < 0x80) {
			i++;
			/* Most text is ASCII: skip it eight bytes at a time
			 * (notebooks are validated whole on every parse). */
			while (i + 8 <= len) {
				uint64_t	 w;

				memcpy(&w, p + i, 8);
				if (w & 0x8080808080808080ull)
					break;
				i += 8;
			}
			continue;
		}
		if ((c & 0xe0) == 0xc0) {
			n = 1;
			cp = c & 0x1f;
			min = 0x80;
		} else if ((c & 0xf0) == 0xe0) {
			n = 2;
			cp = c & 0x0f;
			min = 0x800;
		} else if ((c & 0xf8) == 0xf0) {
			n = 3;
			cp = c & 0x07;
			min = 0x10000;
		} else
			goto fail;
		for (size_t k = 1; k <= n; k++) {
			if (i + k >= len || (p[i + k] & 0xc0) != 0x80)
				goto fail;
			cp = (cp << 6) | (p[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			goto fail;
		i += n + 1;
	}
	return true;
fail:
	if (bad != NULL)
		*bad = i;
	return false;
}

int
gl_hostport_split(const char *spec, char **host, char **port,
    struct gl_err *err)
{
	const char	*colon, *h, *he;
	unsigned long	 port_num = 0;

	*host = *port = NULL;
	if (spec[0] == '[') {
		if ((colon = strstr(spec, "]:")) == NULL)
			goto bad;
		h = spec + 1;
		he = colon;
		colon++;
	} else {
		if ((colon = strrchr(spec, ':')) == NULL)
			goto bad;
		h = spec;
		he = colon;
	}
	if (he == h || colon[1] == '\0' ||
	    strspn(colon + 1, "0123456789") != strlen(colon + 1))
		goto bad;
	/* getaddrinfo takes the port modulo 65536: 70000 would quietly be
	 * 4464. */
	for (const char *d = colon + 1; *d != '\0'; d++)
		if ((port_num = port_num * 10 + (unsigned long)(*d - '0')) >
		    65535)
			return gl_err_set(err, GL_EINVAL, "%s: port %s is over "
			    "65535", spec, colon + 1);
	*host = xstrndup(h, (size_t)(he - h));
	*port = xstrdup(colon + 1);
	return 0;
bad:
	return gl_err_set(err, GL_EINVAL, "%s: want HOST:PORT (e.g. "
	    "127.0.0.1:7878 or [::1]:7878)", spec);
}

/* Reads fd to its end into *out (NUL-terminated); closes fd. */
static int
file_read_fd(int fd, const char *path, char **out, size_t *lenp,
    struct gl_err *err)
{
	struct gl_buf	 b;
	char		 chunk[65536];
	ssize_t		 n;

	gl_buf_init(&b);
	for (;;) {
		n = read(fd, chunk, sizeof chunk);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;

			close(fd);
			gl_buf_fini(&b);
			return gl_err_set(err, gl_err_from_errno(e), "%s: %s",
			    path, strerror(e));
		}
		if (n == 0)
			break;
		gl_buf_add(&b, chunk, (size_t)n);
	}
	close(fd);
	*out = gl_buf_take(&b, lenp);
	return 0;
}

int
gl_file_read(const char *path, char **out, size_t *lenp, struct gl_err *err)
{
	int	 fd;

	*out = NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return gl_err_set(err, gl_err_from_errno(errno), "%s: %s",
		    path, strerror(errno));
	return file_read_fd(fd, path, out, lenp, err);
}

static const char *
file_kind(mode_t m)
{
	if (S_ISDIR(m))
		return "a directory";
	if (S_ISFIFO(m))
		return "a FIFO";
	if (S_ISSOCK(m))
		return "a socket";
	if (S_ISCHR(m))
		return "a character device";
	if (S_ISBLK(m))
		return "a block device";
	return "not a regular file";
}

int
gl_file_read_regular(const char *path, char **out, size_t *lenp,
    struct gl_err *err)
{
	struct stat	 sb;
	int		 fd, e;

	*out = NULL;
	/* O_NONBLOCK: opening a FIFO must not wait for a writer. */
	if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY |
	    O_CLOEXEC)) < 0)
		return gl_err_set(err, gl_err_from_errno(errno), "%s: %s",
		    path, strerror(errno));
	if (fstat(fd, &sb) != 0) {
		e = errno;
		close(fd);
		return gl_err_set(err, gl_err_from_errno(e), "%s: %s", path,
		    strerror(e));
	}
	if (!S_ISREG(sb.st_mode)) {
		close(fd);
		return gl_err_set(err, GL_EINVAL, "%s is %s, not a notebook "
		    "file", path, file_kind(sb.st_mode));
	}
	(void)fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	return file_read_fd(fd, path, out, lenp, err);
}

int
gl_file_write_atomic(const char *path, const void *p, size_t len,
    unsigned mode, struct gl_err *err)
{
	char		*real, *tmp, *dcopy = NULL;
	const char	*q = p, *shown = path;
	struct stat	 st;
	bool		 existed = false;
	int		 fd, dfd, rc, e;

	/* Renaming over a symbolic link would replace the link with a file
	 * and leave its target as it was: write the target instead. */
	if ((real = realpath(path, NULL)) != NULL)
		path = real;
	tmp = xasprintf("%s.tmp.XXXXXX", path);
	if ((fd = mkstemp(tmp)) < 0) {
		e = errno;
		rc = gl_err_set(err, gl_err_from_errno(e),
		    "%s: cannot create a temporary file: %s", shown,
		    strerror(e));
		free(tmp);
		free(real);
		return rc;
	}
	/* Held until the rename: gl_file_clean_temps() leaves a locked
	 * temporary file alone (a live process is writing it). */
	(void)flock(fd, LOCK_EX);
	if ((existed = stat(path, &st) == 0))
		mode = st.st_mode & 07777;
	if (fchmod(fd, mode) != 0)
		goto fail;
	while (len > 0) {
		ssize_t n = write(fd, q, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto fail;
		q += n;
		len -= (size_t)n;
	}
	if (fsync(fd) != 0)
		goto fail;
	if (close(fd) != 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) != 0)
		goto fail;
	dcopy = xstrdup(path);
	if ((dfd = open(dirname(dcopy), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		(void)fsync(dfd);
		close(dfd);
	}
	free(dcopy);
	free(tmp);
	free(real);
	return 0;
fail:
	e = errno;
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	free(tmp);
	free(real);
	return gl_err_set(err, gl_err_from_errno(e), "%s: not written: %s%s",
	    shown, strerror(e), e == ENOSPC && existed ?
	    " (the file on disk is unchanged)" : "");
}

/* True if name is base + ".tmp." + the six characters mkstemp() puts
 * there. */
static bool
temp_name_of(const char *name, const char *base)
{
	size_t	 n = strlen(base);

	if (strncmp(name, base, n) != 0 || strncmp(name + n, ".tmp.", 5) != 0)
		return false;
	name += n + 5;
	if (strlen(name) != 6)
		return false;
	for (; *name != '\0'; name++) {
		if (!((*name >= 'a' && *name <= 'z') ||
		    (*name >= 'A' && *name <= 'Z') ||
		    (*name >= '0' && *name <= '9')))
			return false;
	}
	return true;
}

size_t
gl_file_clean_temps(const char *path)
{
	char		*real, *dir, *slash;
	const char	*base;
	DIR		*d;
	struct dirent	*de;
	size_t		 removed = 0;
	time_t		 now = time(NULL);

	if ((real = realpath(path, NULL)) == NULL)
		real = xstrdup(path);
	if ((slash = strrchr(real, '/')) == NULL) {
		free(real);
		return 0;
	}
	dir = slash == real ? xstrdup("/") : xstrndup(real, (size_t)(slash -
	    real));
	base = slash + 1;
	if ((d = opendir(dir)) == NULL)
		goto out;
	while ((de = readdir(d)) != NULL) {
		struct stat	 sb, now_sb;
		char		*p;
		int		 fd;

		if (!temp_name_of(de->d_name, base))
			continue;
		p = gl_path_join(dir, de->d_name);
		fd = open(p, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY |
		    O_CLOEXEC);
		/* Stale: a regular file no one holds locked, last written
		 * a while ago (a writer locks its file right after
		 * creating it), still the file of that name. */
		if (fd >= 0 && fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) &&
		    now - sb.st_mtime >= GL_TEMP_STALE_S &&
		    flock(fd, LOCK_EX | LOCK_NB) == 0 &&
		    lstat(p, &now_sb) == 0 && now_sb.st_ino == sb.st_ino &&
		    now_sb.st_dev == sb.st_dev && unlink(p) == 0)
			removed++;
		if (fd >= 0)
			close(fd);
		free(p);
	}
	closedir(d);
out:
	free(dir);
	free(real);
	return removed;
}

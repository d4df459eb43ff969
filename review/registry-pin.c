/*
 * registry-pin.c - the pure part of the library registry
 * (review/registry.h): versions and constraints, galley.lock's text, and
 * the pins of a notebook's header cell. Text in, text out; only
 * reg_lock_read() and reg_lock_write() touch a file.
 *
 * galley.lock, at the project's top (beside .galley/), one module a line:
 *
 *   # galley.lock: library versions pinned by `galley lib add`
 *   stats 1.2.0 3f2a...(commit) 9c1e...(hash of the files)
 *
 * A notebook's header cell pins with comment lines `-- lib: stats@1.2.0`
 * (the header is a notebook's file-level metadata, docs/format.md), so the
 * notebook says which versions it was written against even when it
 * travels without its project; galley.lock records the commit and the
 * content hash each version had.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/mem.h"
#include "core/util.h"
#include "review/registry.h"

#define REG_HEADER_TAG	"-- lib: "

int
reg_semver_parse(const char *s, struct reg_semver *v)
{
	unsigned long	 part[3];
	char		*end;

	if (*s == 'v')
		s++;
	for (int i = 0; i < 3; i++) {
		if (!isdigit((unsigned char)*s))
			return -1;
		errno = 0;
		part[i] = strtoul(s, &end, 10);
		if (errno != 0 || part[i] > 999999 ||
		    (end - s > 1 && *s == '0'))
			return -1;
		s = end;
		if (i < 2 && *s++ != '.')
			return -1;
	}
	if (*s != '\0')
		return -1;
	v->major = (unsigned)part[0];
	v->minor = (unsigned)part[1];
	v->patch = (unsigned)part[2];
	return 0;
}

int
reg_semver_cmp(const struct reg_semver *a, const struct reg_semver *b)
{
	if (a->major != b->major)
		return a->major < b->major ? -1 : 1;
	if (a->minor != b->minor)
		return a->minor < b->minor ? -1 : 1;
	if (a->patch != b->patch)
		return a->patch < b->patch ? -1 : 1;
	return 0;
}

/* A constraint's operator and version ("^1.2" is ^1.2.0; *parts says how
 * many were written). -1 if malformed. */
static int
reg_constraint_split(const char *c, char *op, struct reg_semver *v,
    int *parts)
{
	char	 buf[64];
	int	 dots = 0;

	*op = '=';
	if (c[0] == '^' || c[0] == '~' || c[0] == '<')
		*op = *c++;
	else if (c[0] == '>' && c[1] == '=') {
		*op = '>';
		c += 2;
	}
	if (strlen(c) >= sizeof buf - 5)
		return -1;
	for (const char *p = c; *p; p++)
		dots += *p == '.';
	if (dots > 2)
		return -1;
	snprintf(buf, sizeof buf, "%s%s", c, dots == 0 ? ".0.0" : dots == 1 ?
	    ".0" : "");
	*parts = dots + 1;
	if (*op == '=' && dots < 2)
		return -1;	/* "1.2" alone is ambiguous: say ^ or ~ */
	return reg_semver_parse(buf, v);
}

bool
reg_constraint_ok(const char *c)
{
	struct reg_semver v;
	char		 op;
	int		 parts;

	return c == NULL || *c == '\0' || strcmp(c, "*") == 0 ||
	    reg_constraint_split(c, &op, &v, &parts) == 0;
}

bool
reg_constraint_match(const char *c, const struct reg_semver *v)
{
	struct reg_semver w;
	char		 op;
	int		 parts, cmp;

	if (c == NULL || *c == '\0' || strcmp(c, "*") == 0)
		return true;
	if (reg_constraint_split(c, &op, &w, &parts) != 0)
		return false;
	cmp = reg_semver_cmp(v, &w);
	switch (op) {
	case '=':
		return cmp == 0;
	case '>':
		return cmp >= 0;
	case '<':
		return cmp < 0;
	case '^':
		return cmp >= 0 && v->major == w.major;
	case '~':
		return cmp >= 0 && v->major == w.major &&
		    (parts == 1 || v->minor == w.minor);
	}
	return false;
}

bool
reg_name_ok(const char *name)
{
	size_t	 n = strlen(name);

	if (n == 0 || n > 64 || name[0] == '-')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)name[i]) && name[i] != '_' &&
		    name[i] != '-')
			return false;
	return true;
}

void
reg_pins_free(struct reg_pin *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].name);
		free(v[i].version);
	}
	free(v);
}

static bool
reg_hex_ok(const char *s, size_t n)
{
	if (strlen(s) != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]))
			return false;
	return true;
}

int
reg_lock_parse(const char *text, size_t len, const char *path,
    struct reg_pin **out, size_t *n, struct gl_err *err)
{
	const char	*p = text, *end = text + len;
	unsigned	 lineno = 0;

	*out = NULL;
	*n = 0;
	while (p < end) {
		const char	*nl = memchr(p, '\n', (size_t)(end - p));
		size_t		 ll = nl != NULL ? (size_t)(nl - p) :
				    (size_t)(end - p);
		char		*line = xstrndup(p, ll), name[80], ver[40];
		char		 commit[64], hash[160];
		struct reg_semver v;
		struct reg_pin	 pin;
		int		 k;

		lineno++;
		p += ll + (nl != NULL);
		if (line[strspn(line, " \t\r")] == '\0' ||
		    line[strspn(line, " \t")] == '#') {
			free(line);
			continue;
		}
		k = sscanf(line, "%79s %39s %63s %159s", name, ver, commit,
		    hash);
		free(line);
		if (k != 4 || !reg_name_ok(name) ||
		    reg_semver_parse(ver, &v) != 0 ||
		    !reg_hex_ok(commit, REPO_OID_HEX - 1) ||
		    !reg_hex_ok(hash, GL_HASH_HEX - 1)) {
			reg_pins_free(*out, *n);
			*out = NULL;
			*n = 0;
			return gl_err_set(err, GL_ESYNTAX, "%s:%u: expected "
			    "NAME VERSION COMMIT HASH", path, lineno);
		}
		memset(&pin, 0, sizeof pin);
		pin.name = name;
		pin.version = ver;
		memcpy(pin.commit, commit, REPO_OID_HEX);
		memcpy(pin.hash, hash, GL_HASH_HEX);
		pin.line = lineno;
		reg_pins_set(out, n, &pin);
	}
	return 0;
}

static int
reg_pin_cmp(const void *a, const void *b)
{
	return strcmp(((const struct reg_pin *)a)->name,
	    ((const struct reg_pin *)b)->name);
}

char *
reg_lock_format(const struct reg_pin *v, size_t n)
{
	struct gl_buf	 b;
	struct reg_pin	*s = xcalloc(n + 1, sizeof *s);

	memcpy(s, v, n * sizeof *s);
	qsort(s, n, sizeof *s, reg_pin_cmp);
	gl_buf_init(&b);
	gl_buf_adds(&b, "# galley.lock: the library versions this project "
	    "pins (galley lib add, update).\n# NAME VERSION COMMIT HASH\n");
	for (size_t i = 0; i < n; i++)
		gl_buf_addf(&b, "%s %s %s %s\n", s[i].name, s[i].version,
		    s[i].commit, s[i].hash);
	free(s);
	return gl_buf_take(&b, NULL);
}

int
reg_lock_read(const char *project, struct reg_pin **out, size_t *n,
    struct gl_err *err)
{
	char	*path = xasprintf("%s/galley.lock", project), *text = NULL;
	size_t	 len;
	int	 rc;

	*out = NULL;
	*n = 0;
	rc = gl_file_read(path, &text, &len, err);
	if (rc == GL_ENOTFOUND) {
		gl_err_clear(err);
		rc = 0;
	} else if (rc == 0)
		rc = reg_lock_parse(text, len, path, out, n, err);
	free(text);
	free(path);
	return rc;
}

int
reg_lock_write(const char *project, const struct reg_pin *v, size_t n,
    struct gl_err *err)
{
	char	*path = xasprintf("%s/galley.lock", project);
	char	*text = reg_lock_format(v, n);
	int	 rc;

	rc = gl_file_write_atomic(path, text, strlen(text), 0644, err);
	free(text);
	free(path);
	return rc;
}

void
reg_pins_set(struct reg_pin **v, size_t *n, const struct reg_pin *p)
{
	struct reg_pin	*d = NULL;

	for (size_t i = 0; i < *n && d == NULL; i++)
		if (strcmp((*v)[i].name, p->name) == 0)
			d = &(*v)[i];
	if (d == NULL) {
		*v = xrealloc(*v, (*n + 1) * sizeof **v);
		d = &(*v)[(*n)++];
		d->name = xstrdup(p->name);
	} else
		free(d->version);
	d->version = xstrdup(p->version);
	memcpy(d->commit, p->commit, sizeof d->commit);
	memcpy(d->hash, p->hash, sizeof d->hash);
	d->line = p->line;
}

const struct reg_pin *
reg_pins_find(const struct reg_pin *v, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i].name, name) == 0)
			return &v[i];
	return NULL;
}

/* Whether line[0..ll) is a pin line; its name and version then. */
static bool
reg_header_line(const char *line, size_t ll, char *name, size_t nsz,
    char *ver, size_t vsz)
{
	size_t		 tl = strlen(REG_HEADER_TAG), k;
	const char	*at;
	struct reg_semver v;

	if (ll <= tl || strncmp(line, REG_HEADER_TAG, tl) != 0)
		return false;
	line += tl;
	ll -= tl;
	while (ll > 0 && (line[ll - 1] == ' ' || line[ll - 1] == '\r'))
		ll--;
	if ((at = memchr(line, '@', ll)) == NULL ||
	    (k = (size_t)(at - line)) >= nsz || ll - k - 1 >= vsz)
		return false;
	snprintf(name, nsz, "%.*s", (int)k, line);
	snprintf(ver, vsz, "%.*s", (int)(ll - k - 1), at + 1);
	return reg_name_ok(name) && reg_semver_parse(ver, &v) == 0;
}

int
reg_header_pins(const char *src, size_t len, struct reg_pin **out,
    size_t *n)
{
	const char	*p = src, *end = src + len;
	unsigned	 lineno = 0;

	*out = NULL;
	*n = 0;
	while (p != NULL && p < end) {
		const char	*nl = memchr(p, '\n', (size_t)(end - p));
		size_t		 ll = nl != NULL ? (size_t)(nl - p) :
				    (size_t)(end - p);
		char		 name[80], ver[40];
		struct reg_pin	 pin;

		lineno++;
		if (reg_header_line(p, ll, name, sizeof name, ver,
		    sizeof ver)) {
			memset(&pin, 0, sizeof pin);
			pin.name = name;
			pin.version = ver;
			pin.line = lineno;
			reg_pins_set(out, n, &pin);
		}
		p = nl != NULL ? nl + 1 : NULL;
	}
	return 0;
}

char *
reg_header_set(const char *src, size_t len, const char *name,
    const char *version, size_t *outlen)
{
	const char	*p = src, *end = src + len;
	struct gl_buf	 b;
	bool		 done = false;

	gl_buf_init(&b);
	while (p != NULL && p < end) {
		const char	*nl = memchr(p, '\n', (size_t)(end - p));
		size_t		 ll = nl != NULL ? (size_t)(nl - p) :
				    (size_t)(end - p);
		char		 n[80], v[40];

		if (!done && reg_header_line(p, ll, n, sizeof n, v, sizeof v) &&
		    strcmp(n, name) == 0) {
			gl_buf_addf(&b, REG_HEADER_TAG "%s@%s", name, version);
			done = true;
		} else
			gl_buf_add(&b, p, ll);
		if (nl != NULL)
			gl_buf_addc(&b, '\n');
		p = nl != NULL ? nl + 1 : NULL;
	}
	if (!done) {
		if (b.len > 0 && b.data[b.len - 1] != '\n')
			gl_buf_addc(&b, '\n');
		gl_buf_addf(&b, REG_HEADER_TAG "%s@%s", name, version);
	}
	if (b.data == NULL)
		gl_buf_add(&b, "", 0);
	return gl_buf_take(&b, outlen);
}

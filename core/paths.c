/*
 * paths.c - runtime and project directories.
 */
#include "core/paths.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/err.h"
#include "core/mem.h"

char *
gl_path_join(const char *dir, const char *name)
{
	size_t	 n = strlen(dir);

	while (n > 1 && dir[n - 1] == '/')
		n--;
	return xasprintf("%.*s/%s", (int)n, dir, name);
}

int
gl_mkdir_p(const char *dir, unsigned mode, struct gl_err *err)
{
	char	*p = xstrdup(dir), *s;
	int	 rc = 0;

	for (s = p + 1; ; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		char c = *s;

		*s = '\0';
		if (mkdir(p, mode) != 0 && errno != EEXIST) {
			rc = gl_err_set(err, gl_err_from_errno(errno),
			    "cannot create %s: %s", p, strerror(errno));
			break;
		}
		*s = c;
		if (c == '\0')
			break;
	}
	free(p);
	return rc;
}

int
gl_runtime_dir(char **out, struct gl_err *err)
{
	const char	*env;
	char		*dir;
	struct stat	 st;

	*out = NULL;
	if ((env = getenv("GALLEY_RUNTIME_DIR")) != NULL && *env != '\0')
		dir = xstrdup(env);
	else if ((env = getenv("XDG_RUNTIME_DIR")) != NULL && *env != '\0')
		dir = gl_path_join(env, "galley");
	else
		dir = xasprintf("/tmp/galley-%u", (unsigned)getuid());
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		int rc = gl_err_set(err, gl_err_from_errno(errno),
		    "cannot create runtime directory %s: %s", dir,
		    strerror(errno));
		free(dir);
		return rc;
	}
	if (lstat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		int rc = gl_err_set(err, GL_EPERM,
		    "runtime directory %s is not a directory", dir);

		free(dir);
		return rc;
	}
	if (st.st_uid != getuid() || (st.st_mode & 077) != 0) {
		int rc = gl_err_set(err, GL_EPERM,
		    "runtime directory %s must be owned by uid %u with mode 0700",
		    dir, (unsigned)getuid());
		free(dir);
		return rc;
	}
	*out = dir;
	return 0;
}

char *
gl_path_abs(const char *path, struct gl_err *err)
{
	char	 buf[PATH_MAX], *dir, *base, *slash, *res;

	if (realpath(path, buf) != NULL)
		return xstrdup(buf);
	/* The file may not exist yet: resolve its directory. */
	dir = xstrdup(path);
	slash = strrchr(dir, '/');
	if (slash == NULL) {
		base = xstrdup(path);
		free(dir);
		dir = xstrdup(".");
	} else {
		base = xstrdup(slash + 1);
		if (slash == dir)
			slash[1] = '\0';
		else
			*slash = '\0';
	}
	if (realpath(dir, buf) == NULL) {
		gl_err_set(err, gl_err_from_errno(errno), "%s: %s", dir,
		    strerror(errno));
		free(dir);
		free(base);
		return NULL;
	}
	res = gl_path_join(buf, base);
	free(dir);
	free(base);
	return res;
}

char *
gl_state_dir(void)
{
	const char *env;

	if ((env = getenv("XDG_STATE_HOME")) != NULL && *env == '/')
		return xasprintf("%s/galley", env);
	if ((env = getenv("HOME")) != NULL && *env == '/')
		return xasprintf("%s/.local/state/galley", env);
	return NULL;
}

char *
gl_project_dir(const char *nb_path)
{
	char		*dir = xstrdup(nb_path), *s, *probe;
	struct stat	 st;

	if ((s = strrchr(dir, '/')) != NULL)
		*(s == dir ? s + 1 : s) = '\0';
	for (char *cur = xstrdup(dir);; ) {
		probe = gl_path_join(cur, ".galley");
		int found = stat(probe, &st) == 0 && S_ISDIR(st.st_mode);

		free(probe);
		if (!found) {
			probe = gl_path_join(cur, ".git");
			found = stat(probe, &st) == 0;
			free(probe);
		}
		if (found) {
			free(dir);
			return cur;
		}
		if ((s = strrchr(cur, '/')) == NULL || strcmp(cur, "/") == 0) {
			free(cur);
			return dir;
		}
		*(s == cur ? s + 1 : s) = '\0';
	}
}

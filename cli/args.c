/*
 * args.c - what several commands read from their arguments the same way:
 *
 * - notebook names: `galley NAME`, `galley open NAME`, `galley run NAME`
 *   and `galley fmt NAME` all find NAME, else NAME.nb.lua, NAME.nb.py or
 *   NAME.ipynb, through cli_nb_resolve(); notebooks galley cannot read
 *   yet (.nb.py, .ipynb) are refused with a message that says so, before
 *   a Lua parser sees them;
 * - kernel addresses (HOST:PORT), checked before anything connects, so a
 *   malformed one is a usage error (exit 2) and not "no kernel" (exit 4).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "core/err.h"
#include "core/mem.h"
#include "core/util.h"

static bool
ends_with(const char *s, const char *suffix)
{
	size_t	 n = strlen(s), k = strlen(suffix);

	return n > k && strcmp(s + n - k, suffix) == 0;
}

static bool
is_file(const char *path)
{
	struct stat	 st;

	return stat(path, &st) == 0 && !S_ISDIR(st.st_mode);
}

static bool
is_dir(const char *path)
{
	struct stat	 st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

enum cli_nb_kind
cli_nb_kind(const char *path)
{
	if (ends_with(path, ".ipynb"))
		return CLI_NB_IPYNB;
	if (ends_with(path, ".py"))
		return CLI_NB_PY;
	return CLI_NB_LUA;
}

bool
cli_nb_has_suffix(const char *name)
{
	return ends_with(name, ".lua") || ends_with(name, ".py") ||
	    ends_with(name, ".ipynb");
}

char *
cli_nb_filename(const char *name)
{
	if (cli_nb_has_suffix(name))
		return xstrdup(name);
	return xasprintf("%s.nb.lua", name);
}

void
cli_nb_resolve(const char *name, struct cli_nb *nb)
{
	static const char *const suffixes[] = { ".nb.lua", ".nb.py",
	    ".ipynb" };

	memset(nb, 0, sizeof *nb);
	if (is_file(name)) {
		nb->path = xstrdup(name);
		nb->exists = true;
	} else if (!cli_nb_has_suffix(name)) {
		for (size_t i = 0; i < sizeof suffixes / sizeof *suffixes;
		    i++) {
			char	*p = xasprintf("%s%s", name, suffixes[i]);

			if (is_file(p)) {
				nb->path = p;
				nb->exists = true;
				break;
			}
			free(p);
		}
	}
	if (nb->path == NULL && is_dir(name)) {
		nb->path = xstrdup(name);
		nb->kind = CLI_NB_DIR;
		return;
	}
	if (nb->path == NULL)
		nb->path = cli_nb_filename(name);
	nb->kind = cli_nb_kind(nb->path);
}

void
cli_nb_fini(struct cli_nb *nb)
{
	free(nb->path);
	nb->path = NULL;
}

int
cli_nb_check_kind(const struct cli_nb *nb)
{
	switch (nb->kind) {
	case CLI_NB_LUA:
		return CLI_OK;
	case CLI_NB_DIR:
		cli_errorf("%s is a directory, not a notebook", nb->path);
		break;
	case CLI_NB_IPYNB:
		cli_errorf("%s is a Jupyter notebook: .ipynb files are "
		    "imported with `galley import %s`, which this galley does "
		    "not have yet (it reads .nb.lua notebooks)", nb->path,
		    nb->path);
		break;
	case CLI_NB_PY:
		cli_errorf("%s is a Python notebook: its cells need the "
		    "Jupyter runtime, which this galley does not have yet (it "
		    "runs .nb.lua notebooks)", nb->path);
		break;
	}
	return CLI_BADINPUT;
}

int
cli_check_hostport(const char *cmd, const char *what, const char *v)
{
	struct gl_err	 err = { 0 };
	char		*host, *port;

	if (gl_hostport_split(v, &host, &port, &err) != 0)
		return cli_usage(cmd, "%s: %s", what, err.msg);
	free(host);
	free(port);
	return CLI_OK;
}

int
cli_check_kernel(const char *cmd, const char *v)
{
	const char	*what = "--kernel";

	if (v == NULL || *v == '\0') {
		v = getenv("GALLEY_KERNEL");
		what = "GALLEY_KERNEL";
	}
	/* The forms cl_connect() reads: a socket path, unix:PATH,
	 * tcp:HOST:PORT or HOST:PORT. */
	if (v == NULL || *v == '\0' || v[0] == '/' ||
	    strncmp(v, "unix:", 5) == 0)
		return CLI_OK;
	if (strncmp(v, "tcp:", 4) == 0)
		v += 4;
	return cli_check_hostport(cmd, what, v);
}

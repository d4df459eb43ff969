/*
 * cmd_open.c - `galley open NB` / `galley NB`: the terminal UI (tui/app.h).
 *
 * A notebook that does not exist is created first, as `galley new` does,
 * after asking when a person is at the terminal. `--dump-keys` (hidden)
 * prints docs/keys.md from the keymap, so the key reference cannot drift
 * from the code.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/err.h"
#include "core/mem.h"
#include "tui/app.h"
#include "tui/keymap.h"

static int
dump_keys(void)
{
	struct keymap	*km = keymap_new();
	struct gl_buf	 b;

	gl_buf_init(&b);
	keymap_markdown(km, &b);
	fwrite(b.data, 1, b.len, stdout);
	gl_buf_fini(&b);
	keymap_free(km);
	return fflush(stdout) == 0 ? CLI_OK : CLI_FAILED;
}

static bool
ask_create(const char *path)
{
	char	 line[64];

	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))
		return false;
	printf("galley: %s does not exist. Create it? [Y/n] ", path);
	fflush(stdout);
	if (fgets(line, sizeof line, stdin) == NULL)
		return false;
	return line[0] != 'n' && line[0] != 'N';
}

static int
exit_code(int rc)
{
	switch (rc) {
	case GL_ECLOSED:
	case GL_EAUTH:
	case GL_ETIMEDOUT:
	case GL_EPROTO:
		return CLI_KERNEL;
	case GL_ENOTFOUND:
	case GL_ESYNTAX:
	case GL_EIO:
	case GL_EPERM:
		return CLI_BADINPUT;
	default:
		return CLI_FAILED;
	}
}

int
cli_open(int argc, char **argv)
{
	struct app_opts	 o;
	struct gl_err	 err = { 0 };
	struct cli_nb	 nb;
	const char	*arg = NULL, *v;
	char		*notice = NULL;
	int		 rc;

	memset(&o, 0, sizeof o);
	for (int i = 1; i < argc; i++) {
		if ((v = cli_optval("open", argc, argv, &i, "--kernel")) != NULL)
			o.kernel = v;
		else if (strcmp(argv[i], "--dump-keys") == 0)
			return dump_keys();
		else if (argv[i][0] == '-' && argv[i][1] != '\0')
			return cli_usage("open", "unknown option %s", argv[i]);
		else if (arg == NULL)
			arg = argv[i];
		else
			return cli_usage("open", "one notebook at a time");
	}
	if (arg == NULL)
		return cli_usage("open", "which notebook?");
	if ((rc = cli_check_kernel("open", o.kernel)) != CLI_OK)
		return rc;
	/* "galley open analysis" finds analysis.nb.lua, as `galley new`
	 * names it. */
	cli_nb_resolve(arg, &nb);
	if ((rc = cli_nb_check_kind(&nb)) != CLI_OK)
		goto out;
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		cli_errorf("galley open needs a terminal; `galley run %s` runs "
		    "a notebook without one", nb.path);
		rc = CLI_FAILED;
		goto out;
	}
	/* A remote kernel reads its own file system. */
	if (!nb.exists && o.kernel == NULL && getenv("GALLEY_KERNEL") == NULL) {
		char	*nv[] = { "new", nb.path, NULL };

		if (!ask_create(nb.path)) {
			cli_errorf("%s does not exist (`galley new %s` creates "
			    "it)", nb.path, nb.path);
			rc = CLI_BADINPUT;
			goto out;
		}
		if ((rc = cli_new(2, nv)) != CLI_OK)
			goto out;
		notice = xasprintf("created %s", nb.path);
	}
	o.path = nb.path;
	o.notice = notice;
	rc = app_run(&o, &err);
	if (rc != 0)
		cli_errorf("%s", err.msg);
	rc = rc == 0 ? CLI_OK : exit_code(rc);
out:
	cli_nb_fini(&nb);
	free(notice);
	return rc;
}

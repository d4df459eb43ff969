/*
 * cmd_nb.c - `galley new` and `galley fmt`: notebook files without a
 * kernel.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/err.h"
#include "core/mem.h"
#include "core/notebook.h"
#include "core/util.h"

static char *
nb_filename(const char *arg)
{
	size_t	 n = strlen(arg);

	if (n > 7 && strcmp(arg + n - 7, ".nb.lua") == 0)
		return xstrdup(arg);
	if (n > 4 && strcmp(arg + n - 4, ".lua") == 0)
		return xstrdup(arg);
	return xasprintf("%s.nb.lua", arg);
}

int
cli_new(int argc, char **argv)
{
	struct gl_rng	 rng;
	struct gl_err	 err = { 0 };
	struct nb_doc	*doc;
	struct gl_buf	 out;
	const char	*name = NULL, *base;
	char		*path, *title, *stem;
	int		 force = 0, rc = CLI_OK;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--force") == 0 || strcmp(argv[i], "-f") == 0)
			force = 1;
		else if (argv[i][0] == '-' && argv[i][1] != '\0')
			return cli_usage("new", "unknown option %s", argv[i]);
		else if (name == NULL)
			name = argv[i];
		else
			return cli_usage("new", "one notebook at a time");
	}
	if (name == NULL)
		return cli_usage("new", "which notebook?");
	path = nb_filename(name);
	if (!force && access(path, F_OK) == 0) {
		cli_errorf("%s already exists (use --force to replace it)", path);
		free(path);
		return CLI_FAILED;
	}
	base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	stem = xstrdup(base);
	if (strstr(stem, ".nb.lua") != NULL)
		*strstr(stem, ".nb.lua") = '\0';
	else if (strstr(stem, ".lua") != NULL)
		*strstr(stem, ".lua") = '\0';
	title = xasprintf("# %s\n\nWhat this notebook is for.", stem);
	gl_rng_seed_random(&rng);
	doc = nb_doc_new();
	if (nb_doc_insert(doc, 0, NB_MARKDOWN, NULL, title, strlen(title), &rng,
	    &err) == NULL ||
	    nb_doc_insert(doc, 1, NB_CODE, NULL, "", 0, &rng, &err) == NULL) {
		cli_errorf("%s", err.msg);
		rc = CLI_FAILED;
		goto out;
	}
	gl_buf_init(&out);
	nb_print(doc, &out);
	if (gl_file_write_atomic(path, out.data, out.len, 0644, &err) != 0) {
		cli_errorf("%s", err.msg);
		rc = CLI_FAILED;
	} else
		printf("created %s\n", path);
	gl_buf_fini(&out);
out:
	nb_doc_free(doc);
	free(title);
	free(stem);
	free(path);
	return rc;
}

int
cli_fmt(int argc, char **argv)
{
	int	 check = 0, n = 0, worst = CLI_OK;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--check") == 0)
			check = 1;
		else if (argv[i][0] == '-' && argv[i][1] != '\0')
			return cli_usage("fmt", "unknown option %s", argv[i]);
		else
			n++;
	}
	if (n == 0)
		return cli_usage("fmt", "which notebook?");
	for (int i = 1; i < argc; i++) {
		struct gl_err	 err = { 0 };
		struct nb_doc	*doc = NULL;
		struct gl_buf	 out;
		char		*text = NULL;
		size_t		 len;

		if (argv[i][0] == '-' && argv[i][1] != '\0')
			continue;
		if (gl_file_read(argv[i], &text, &len, &err) != 0) {
			cli_errorf("%s", err.msg);
			worst = CLI_BADINPUT;
			continue;
		}
		if (nb_parse(text, len, argv[i], &doc, &err) != 0) {
			cli_errorf("%s (file left unchanged)", err.msg);
			free(text);
			worst = CLI_BADINPUT;
			continue;
		}
		nb_doc_normalize(doc);
		gl_buf_init(&out);
		nb_print(doc, &out);
		if (out.len != len || memcmp(out.data, text, len) != 0) {
			if (check) {
				printf("%s: not formatted\n", argv[i]);
				if (worst == CLI_OK)
					worst = CLI_FAILED;
			} else if (gl_file_write_atomic(argv[i], out.data,
			    out.len, 0644, &err) != 0) {
				cli_errorf("%s", err.msg);
				worst = CLI_FAILED;
			} else
				printf("formatted %s\n", argv[i]);
		}
		gl_buf_fini(&out);
		nb_doc_free(doc);
		free(text);
	}
	return worst;
}

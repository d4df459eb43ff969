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
	{
		struct cli_nb nb = { .path = cli_nb_filename(name) };

		nb.kind = cli_nb_kind(nb.path);
		if ((rc = cli_nb_check_kind(&nb)) != CLI_OK) {
			cli_nb_fini(&nb);
			return rc;
		}
		path = nb.path;
	}
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

		struct cli_nb	 nb;
		const char	*path;

		if (argv[i][0] == '-' && argv[i][1] != '\0')
			continue;
		cli_nb_resolve(argv[i], &nb);
		path = nb.path;
		if (cli_nb_check_kind(&nb) != CLI_OK ||
		    gl_file_read(path, &text, &len, &err) != 0) {
			if (nb.kind == CLI_NB_LUA)
				cli_errorf("%s", err.msg);
			cli_nb_fini(&nb);
			worst = CLI_BADINPUT;
			continue;
		}
		if (nb_parse(text, len, path, &doc, &err) != 0) {
			cli_errorf("%s (file left unchanged)", err.msg);
			free(text);
			cli_nb_fini(&nb);
			worst = CLI_BADINPUT;
			continue;
		}
		nb_doc_normalize(doc);
		gl_buf_init(&out);
		nb_print(doc, &out);
		if (out.len != len || memcmp(out.data, text, len) != 0) {
			if (check) {
				printf("%s: not formatted\n", path);
				if (worst == CLI_OK)
					worst = CLI_FAILED;
			} else if (gl_file_write_atomic(path, out.data,
			    out.len, 0644, &err) != 0) {
				cli_errorf("%s", err.msg);
				worst = CLI_FAILED;
			} else
				printf("formatted %s\n", path);
		}
		gl_buf_fini(&out);
		nb_doc_free(doc);
		free(text);
		cli_nb_fini(&nb);
	}
	return worst;
}

/*
 * args.c - what several commands read from their arguments the same way:
 * kernel addresses (HOST:PORT) checked before anything connects, so a
 * malformed one is a usage error (exit 2) and not "no kernel" (exit 4).
 */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/err.h"
#include "core/util.h"

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

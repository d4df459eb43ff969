/*
 * cmd_worker.c - `galley worker`: a cluster worker process, started by a
 * launcher (local, ssh, slurm, command) on the kernel's behalf.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "lua/worker.h"

int
cli_worker(int argc, char **argv)
{
	struct lx_worker_opts	 o;
	const char		*v;
	long long		 n;
	int			 rc;

	memset(&o, 0, sizeof o);
	for (int i = 1; i < argc; i++) {
		if ((v = cli_optval("worker", argc, argv, &i, "--connect")) != NULL)
			o.connect = v;
		else if ((v = cli_optval("worker", argc, argv, &i, "--secret-file")) != NULL)
			o.secret_file = v;
		else if ((v = cli_optval("worker", argc, argv, &i, "--name")) != NULL)
			o.name = v;
		else if ((v = cli_optval("worker", argc, argv, &i, "--memory-limit")) != NULL) {
			if ((n = cli_parse_size(v)) < 0)
				return cli_usage("worker", "--memory-limit %s is not a size", v);
			o.memory_limit = (size_t)n;
		} else
			return cli_usage("worker", "unknown option %s", argv[i]);
	}
	if (o.connect == NULL)
		return cli_usage("worker", "--connect HOST:PORT is required");
	if ((rc = cli_check_hostport("worker", "--connect", o.connect)) !=
	    CLI_OK)
		return rc;
	if (o.secret_file == NULL)
		return cli_usage("worker", "--secret-file PATH is required");
	return lx_worker_main(&o) == 0 ? CLI_OK : CLI_FAILED;
}

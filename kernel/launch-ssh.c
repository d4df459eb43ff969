/*
 * launch-ssh.c - the ssh launcher (kernel/launch.h): one
 * `ssh -T -o BatchMode=yes HOST exec <worker command>` per worker, on the
 * least loaded host of cluster.ssh.hosts. The cluster secret goes on the
 * session's stdin (--secret-file -); closing stdin makes the remote
 * worker exit, which is how it is stopped.
 */
#include "kernel/launch_int.h"

#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "core/err.h"
#include "core/mem.h"

int
launch_ssh_start(struct launch *l, struct launch_worker *w, struct gl_err *err)
{
	const char	*spec = l->cfg.ssh.hosts[w->host];
	char		*host = NULL, *port = NULL, *secret = NULL, *line;
	char		**wargv, **argv = NULL;
	const char	*c;
	size_t		 nw, n = 0, cap;
	struct gl_buf	 cmd;
	int		 rc;

	if ((rc = launch_read_secret(l, &secret, err)) != 0)
		return rc;
	/* user@host:port, [v6]:port, host */
	if (spec[0] == '[' && (c = strchr(spec, ']')) != NULL) {
		host = xstrndup(spec + 1, (size_t)(c - spec - 1));
		if (c[1] == ':')
			port = xstrdup(c + 2);
	} else if ((c = strrchr(spec, ':')) != NULL &&
	    strchr(spec, ':') == c && c[1] != '\0') {
		host = xstrndup(spec, (size_t)(c - spec));
		port = xstrdup(c + 1);
	} else
		host = xstrdup(spec);
	if (host[0] == '@' || strchr(host, '[') != NULL) {
		/* "user@[v6]:port" */
		char *at = strchr(spec, '@');

		if (at != NULL && at[1] == '[' && (c = strchr(at, ']'))) {
			free(host);
			free(port);
			port = c[1] == ':' ? xstrdup(c + 2) : NULL;
			host = xasprintf("%.*s@%.*s", (int)(at - spec), spec,
			    (int)(c - at - 2), at + 2);
		}
	}
	launch_worker_argv(l, w->name, true, &wargv, &nw);
	gl_buf_init(&cmd);
	gl_buf_adds(&cmd, "exec");
	for (size_t i = 0; i < nw; i++) {
		gl_buf_addc(&cmd, ' ');
		launch_sh_quote(&cmd, wargv[i]);
	}
	launch_strv_free(wargv, nw);
	cap = 16 + 2 * l->cfg.ssh.noptions;
	argv = xcalloc(cap + 1, sizeof *argv);
	argv[n++] = xstrdup(l->cfg.ssh.command);
	argv[n++] = xstrdup("-T");
	argv[n++] = xstrdup("-o");
	argv[n++] = xstrdup("BatchMode=yes");
	argv[n++] = xstrdup("-o");
	argv[n++] = xstrdup("ServerAliveInterval=10");
	argv[n++] = xstrdup("-o");
	argv[n++] = xstrdup("ConnectTimeout=20");
	if (port != NULL) {
		argv[n++] = xstrdup("-p");
		argv[n++] = xstrdup(port);
	}
	if (l->cfg.ssh.identity_file != NULL) {
		argv[n++] = xstrdup("-i");
		argv[n++] = xstrdup(l->cfg.ssh.identity_file);
	}
	for (size_t i = 0; i < l->cfg.ssh.noptions; i++) {
		argv[n++] = xstrdup("-o");
		argv[n++] = xstrdup(l->cfg.ssh.options[i]);
	}
	argv[n++] = xstrdup("--");
	argv[n++] = xstrdup(host);
	argv[n++] = gl_buf_take(&cmd, NULL);
	line = xasprintf("%s\n", secret);
	sodium_memzero(secret, strlen(secret));
	free(secret);
	w->proc = launch_proc_spawn(l, argv, NULL, line, true, false,
	    launch_worker_exited, w, "ssh", 0, err);
	sodium_memzero(line, strlen(line));
	free(line);
	launch_strv_free(argv, n);
	free(host);
	free(port);
	if (w->proc == NULL) {
		gl_err_prefix(err, "worker %s on %s", w->name, spec);
		return err != NULL ? err->code : GL_EIO;
	}
	return 0;
}

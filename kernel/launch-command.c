/*
 * launch-command.c - the command launcher (kernel/launch.h): a start
 * template (cluster.command.start) run with /bin/sh per worker, with the
 * {placeholders} expanded and GALLEY_* in its environment. Without a stop
 * template the start command is the worker; with one, the start command
 * submits it (its last stdout line is the worker's {id}) and the stop
 * template ends it.
 */
#include "kernel/launch_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "core/err.h"
#include "core/mem.h"

extern char **environ;

static char	**launch_command_env(struct launch *l,
		     const struct launch_worker *w, const char *worker_cmd);
static void	 launch_env_free(char **e);
static char	*launch_worker_cmd_line(struct launch *l,
		     const struct launch_worker *w, bool stdin_secret);
static char	*launch_command_expand(struct launch *l, const char *tmpl,
		     const struct launch_worker *w, int i, int n);
static void	 launch_command_submitted(struct launch_proc *p);
static void	 launch_command_stopped(struct launch_proc *p);

/* Environment for a template: ours plus GALLEY_* values. Caller frees. */
static char **
launch_command_env(struct launch *l, const struct launch_worker *w,
    const char *worker_cmd)
{
	size_t	 n = 0, i;
	char	**e;

	while (environ[n] != NULL)
		n++;
	e = xcalloc(n + 6, sizeof *e);
	for (i = 0; i < n; i++)
		e[i] = xstrdup(environ[i]);
	e[i++] = xasprintf("GALLEY_ADDR=%s", l->addr);
	e[i++] = xasprintf("GALLEY_SECRET_FILE=%s", l->secret_file);
	e[i++] = xasprintf("GALLEY_WORKER_NAME=%s", w->name);
	e[i++] = xasprintf("GALLEY_WORKER_CMD=%s", worker_cmd);
	e[i++] = xasprintf("GALLEY_WORKER_ID=%s", w->id != NULL ? w->id : "");
	e[i] = NULL;
	return e;
}

static void
launch_env_free(char **e)
{
	if (e == NULL)
		return;
	for (size_t i = 0; e[i] != NULL; i++)
		free(e[i]);
	free(e);
}

static char *
launch_worker_cmd_line(struct launch *l, const struct launch_worker *w,
    bool stdin_secret)
{
	struct gl_buf	 b;
	char		**v;
	size_t		 n;

	launch_worker_argv(l, w->name, stdin_secret, &v, &n);
	gl_buf_init(&b);
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			gl_buf_addc(&b, ' ');
		launch_sh_quote(&b, v[i]);
	}
	launch_strv_free(v, n);
	return gl_buf_take(&b, NULL);
}

/* Expands a template (checked by cfg_template_check at launch_new). */
static char *
launch_command_expand(struct launch *l, const char *tmpl,
    const struct launch_worker *w, int i, int n)
{
	struct gl_buf	 b;
	const char	*p, *q;
	char		 num[32], *wc;
	size_t		 k;

	gl_buf_init(&b);
	wc = launch_worker_cmd_line(l, w, l->cfg.command.secret_on_stdin);
	for (p = tmpl; *p != '\0'; p++) {
		if (*p != '{' || (p > tmpl && p[-1] == '$')) {
			gl_buf_addc(&b, *p);
			continue;
		}
		if (p[1] == '{') {
			gl_buf_addc(&b, '{');
			p++;
			continue;
		}
		if ((q = strchr(p, '}')) == NULL) {
			gl_buf_adds(&b, p);
			break;
		}
		k = (size_t)(q - p - 1);
#define IS(s) (k == strlen(s) && strncmp(p + 1, (s), k) == 0)
		if (IS("addr"))
			launch_sh_quote(&b, l->addr);
		else if (IS("secret_file"))
			launch_sh_quote(&b, l->secret_file);
		else if (IS("name"))
			launch_sh_quote(&b, w->name);
		else if (IS("n") || IS("i") || IS("cpus")) {
			snprintf(num, sizeof num, "%d", IS("n") ? n :
			    IS("i") ? i : l->cfg.command.cpus_per_worker);
			gl_buf_adds(&b, num);
		} else if (IS("galley"))
			launch_sh_quote(&b, l->cfg.command.remote_galley);
		else if (IS("mem"))
			launch_sh_quote(&b, l->cfg.command.mem_per_worker);
		else if (IS("worker_cmd"))
			gl_buf_adds(&b, wc);
		else if (IS("id"))
			launch_sh_quote(&b, w->id != NULL ? w->id : "");
		else
			gl_buf_add(&b, p, k + 2);
#undef IS
		p = q;
	}
	free(wc);
	return gl_buf_take(&b, NULL);
}

int
launch_command_start(struct launch *l, struct launch_worker *w, int i, int n,
    struct gl_err *err)
{
	char	*cmd, *wc, **env, *secret = NULL, *line = NULL;
	char	*argv[4];
	int	 rc;

	if (l->cfg.command.secret_on_stdin &&
	    (rc = launch_read_secret(l, &secret, err)) != 0)
		return rc;
	cmd = launch_command_expand(l, l->cfg.command.start, w, i, n);
	wc = launch_worker_cmd_line(l, w, l->cfg.command.secret_on_stdin);
	env = launch_command_env(l, w, wc);
	argv[0] = "/bin/sh";
	argv[1] = "-c";
	argv[2] = cmd;
	argv[3] = NULL;
	if (secret != NULL) {
		line = xasprintf("%s\n", secret);
		sodium_memzero(secret, strlen(secret));
		free(secret);
	}
	w->proc = launch_proc_spawn(l, argv, env, line,
	    l->cfg.command.stop == NULL, l->cfg.command.stop != NULL,
	    l->cfg.command.stop != NULL ? launch_command_submitted :
	    launch_worker_exited, w, "start command", 0, err);
	if (line != NULL) {
		sodium_memzero(line, strlen(line));
		free(line);
	}
	launch_env_free(env);
	free(wc);
	free(cmd);
	if (w->proc == NULL) {
		gl_err_prefix(err, "worker %s", w->name);
		return err != NULL ? err->code : GL_EIO;
	}
	return 0;
}

/* The start command of a launcher with a stop template ended: it
 * submitted the worker (exit 0; its last stdout line is the id) or not. */
static void
launch_command_submitted(struct launch_proc *p)
{
	struct launch_worker *w = p->data;
	char		 how[64], tail[LAUNCH_ERR_TAIL + 64];
	const char	*s, *e;

	w->proc = NULL;
	if (p->status == 0 && p->sig == 0) {
		/* The id: the last non-empty line of stdout, trimmed. */
		s = p->outb.data != NULL ? p->outb.data : "";
		e = s + p->outb.len;
		while (e > s && (e[-1] == '\n' || e[-1] == '\r' ||
		    e[-1] == ' ' || e[-1] == '\t'))
			e--;
		const char *b = e;
		while (b > s && b[-1] != '\n')
			b--;
		while (b < e && (*b == ' ' || *b == '\t'))
			b++;
		free(w->id);
		w->id = xstrndup(b, (size_t)(e - b > 256 ? 256 : e - b));
		if (w->stop_wanted)
			launch_command_stop(w);
		launch_worker_maybe_free(w);
		return;
	}
	if (w->reported) {
		launch_worker_maybe_free(w);
		return;
	}
	launch_exit_info(how, sizeof how, p->status, p->sig);
	launch_tail_line(&p->errb, tail, sizeof tail);
	launch_worker_report(w, LAUNCH_EV_FAILED, false, NULL, p->status,
	    p->sig, "start command failed: %s%s%s", how,
	    tail[0] != '\0' ? ": " : "", tail);
}

/* Runs the stop template for w (reported already). */
void
launch_command_stop(struct launch_worker *w)
{
	struct launch	*l = w->l;
	struct gl_err	 err = { 0 };
	char		*cmd, *wc, **env, *argv[4];
	struct launch_proc *p;

	if (l->cfg.command.stop == NULL || w->stop_running)
		return;
	cmd = launch_command_expand(l, l->cfg.command.stop, w, 0, 1);
	wc = launch_worker_cmd_line(l, w, l->cfg.command.secret_on_stdin);
	env = launch_command_env(l, w, wc);
	argv[0] = "/bin/sh";
	argv[1] = "-c";
	argv[2] = cmd;
	argv[3] = NULL;
	p = launch_proc_spawn(l, argv, env, NULL, false, false,
	    launch_command_stopped, w, "stop command", LAUNCH_HELPER_MS, &err);
	if (p != NULL)
		w->stop_running = true;
	else
		launch_notice(l, w->name,
		    "worker %s: cannot run the stop command: %s", w->name,
		    err.msg);
	launch_env_free(env);
	free(wc);
	free(cmd);
}

static void
launch_command_stopped(struct launch_proc *p)
{
	struct launch_worker *w = p->data;
	char		 how[64], tail[LAUNCH_ERR_TAIL + 64];

	w->stop_running = false;
	if (p->status != 0 || p->sig != 0) {
		launch_exit_info(how, sizeof how, p->status, p->sig);
		launch_tail_line(&p->errb, tail, sizeof tail);
		launch_notice(p->l, w->name,
		    "worker %s: stop command failed: %s%s%s", w->name, how,
		    tail[0] != '\0' ? ": " : "", tail);
	}
	launch_worker_maybe_free(w);
}

/* A worker of a command launcher with a stop template lost its
 * connection: the template stops it, and it is reported ENDED. */
void
launch_command_lost(struct launch_worker *w)
{
	if (w->proc != NULL)
		w->stop_wanted = true;
	else
		launch_command_stop(w);
	launch_worker_report(w, LAUNCH_EV_ENDED, false, NULL, -1, 0,
	    "connection lost");
}

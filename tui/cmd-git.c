/*
 * cmd-git.c - the commands on the notebook in git: commit (save, then
 * commit with a message), log (its commits, in the pager) and show (the
 * current cell at a revision, and what changed since). The requests are
 * tui/app-git.c's.
 */
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/mem.h"
#include "tui/app_int.h"
#include "tui/cmd.h"
#include "tui/cmd_int.h"

/* A commit message as typed: "-m MSG", "--message MSG" or "MSG", with
 * one pair of quotes around it dropped. Caller frees; NULL if empty. */
static char *
commit_message(const char *arg)
{
	char	*m;
	size_t	 n;

	if (arg == NULL)
		return NULL;
	if (strncmp(arg, "-m", 2) == 0 && (arg[2] == ' ' || arg[2] == '\0'))
		arg += 2;
	else if (strncmp(arg, "--message", 9) == 0 && (arg[9] == ' ' ||
	    arg[9] == '=' || arg[9] == '\0'))
		arg += 10 - (arg[9] == '\0');
	arg += strspn(arg, " ");
	m = xstrdup(arg);
	n = strlen(m);
	while (n > 0 && m[n - 1] == ' ')
		m[--n] = '\0';
	if (n >= 2 && (m[0] == '"' || m[0] == '\'') && m[n - 1] == m[0]) {
		memmove(m, m + 1, n - 2);
		m[n - 2] = '\0';
	}
	if (*m == '\0') {
		free(m);
		return NULL;
	}
	return m;
}

int
cmd_git_commit(struct app *a, const struct cmd_entry *self,
    const char *arg, struct gl_err *err)
{
	char	*msg = commit_message(arg);
	int	 rc;

	if (msg == NULL)
		return gl_err_set(err, GL_EINVAL, "commit: a message, please "
		    "(:commit -m \"what changed\")");
	rc = app_git_commit(a, msg, err);
	free(msg);
	return rc;
}

int
cmd_git_log(struct app *a, const struct cmd_entry *self, const char *arg,
    struct gl_err *err)
{
	return app_git_log(a, err);
}

int
cmd_git_show(struct app *a, const struct cmd_entry *self, const char *arg,
    struct gl_err *err)
{
	return app_git_show(a, arg, err);
}

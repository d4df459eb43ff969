/*
 * cmd-file.c - the commands that save and quit: write (w), write with
 * force over a file changed on disk, or with no kernel galley's own copy
 * (w!, write!), quit (q), quit anyway (q!), save and quit (wq, x); and
 * connect, which reaches the kernel again (starting one) after it was
 * stopped. What they do is tui/app-file.c's and tui/app-kernel.c's.
 */
#include <stdbool.h>

#include "tui/app_int.h"
#include "tui/cmd.h"
#include "tui/cmd_int.h"

int
cmd_file_write(struct app *a, const struct cmd_entry *self, const char *arg,
    struct gl_err *err)
{
	app_save(a, false, false);
	return 0;
}

int
cmd_file_write_force(struct app *a, const struct cmd_entry *self,
    const char *arg, struct gl_err *err)
{
	app_save(a, true, false);
	return 0;
}

int
cmd_file_quit(struct app *a, const struct cmd_entry *self, const char *arg,
    struct gl_err *err)
{
	app_quit(a, false, false);
	return 0;
}

int
cmd_file_quit_force(struct app *a, const struct cmd_entry *self,
    const char *arg, struct gl_err *err)
{
	app_quit(a, true, false);
	return 0;
}

int
cmd_file_write_quit(struct app *a, const struct cmd_entry *self,
    const char *arg, struct gl_err *err)
{
	app_quit(a, false, true);
	return 0;
}

int
cmd_file_connect(struct app *a, const struct cmd_entry *self,
    const char *arg, struct gl_err *err)
{
	if (!a->lost) {
		app_msg(a, false, "connected to the kernel (%s)", a->kernel);
		return 0;
	}
	/* Asked for: retry on its own from now on if this fails. */
	a->stopped = false;
	app_reconnect(a);
	if (a->lost)
		app_msg(a, true, "cannot reach the kernel; trying again "
		    "(your edits are kept; :w! writes them to the file)");
	return 0;
}

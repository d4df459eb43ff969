/*
 * cmd-file.c - the commands that save and quit: write (w), write with
 * force over a file changed on disk (w!, write!), quit (q), quit anyway
 * (q!), save and quit (wq, x). What saving and quitting do is
 * tui/app-file.c's.
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

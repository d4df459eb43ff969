/*
 * cmd-config.c - the commands that change the session's configuration:
 * set (an option, as galley.set in init.lua) and map (a key binding, as
 * galley.keymap.set). The options and bindings are tui/keymap.c's.
 */
#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "tui/app_int.h"
#include "tui/cmd.h"
#include "tui/cmd_int.h"
#include "tui/keymap.h"
#include "tui/term.h"
#include "tui/view.h"

/* set OPTION VALUE: the view, the editor and the terminal follow. */
int
cmd_config_set(struct app *a, const struct cmd_entry *self, const char *arg,
    struct gl_err *err)
{
	char		 name[64];
	const char	*val;
	const struct keymap_config *cfg;
	struct view_opts vo;

	if (arg == NULL || sscanf(arg, "%63s", name) != 1)
		return gl_err_set(err, GL_EINVAL, "set: OPTION VALUE");
	if ((val = strchr(arg, ' ')) != NULL) {
		while (*val == ' ')
			val++;
	}
	/* vim's spellings of a switch: "set number", "set nonumber". */
	if (val == NULL || *val == '\0') {
		if (strncmp(name, "no", 2) == 0 &&
		    keymap_option_is_bool(name + 2)) {
			memmove(name, name + 2, strlen(name + 2) + 1);
			val = "false";
		} else if (keymap_option_is_bool(name))
			val = "true";
		else
			return gl_err_set(err, GL_EINVAL, "set: OPTION VALUE "
			    "(%s)", keymap_option_names());
	}
	if (keymap_set_option(a->km, name, val, err) != 0)
		return gl_err_prefix(err, "set");
	cfg = keymap_config(a->km);
	app_view_opts(cfg, &vo);
	view_set_opts(a->view, &vo);
	a->ed.indent = cfg->indent;
	a->ed.tab = cfg->tab;
	if (a->term_on)
		term_mouse(cfg->mouse);
	app_msg(a, false, "%s = %s", name, val);
	return 0;
}

/* map MODE KEYS COMMAND */
int
cmd_config_map(struct app *a, const struct cmd_entry *self, const char *arg,
    struct gl_err *err)
{
	char		 mode[16], keys[64];
	int		 n = 0, m;

	if (arg == NULL || sscanf(arg, "%15s %63s %n", mode, keys, &n) < 2 ||
	    n == 0)
		return gl_err_set(err, GL_EINVAL, "map: MODE KEYS COMMAND");
	if ((m = keymap_mode_parse(mode)) < 0)
		return gl_err_set(err, GL_EINVAL, "map: no mode %s", mode);
	if (keymap_set(a->km, (enum keymap_mode)m, keys, arg + n, err) != 0)
		return gl_err_prefix(err, "map");
	app_msg(a, false, "%s %s: %s", mode, keys, arg + n);
	return 0;
}

/* The modes' names. */
void
cmd_config_map_complete(struct app *a, const struct cmd_entry *self,
    const char *word, struct cmd_matches *m)
{
	for (int i = 0; i < KEYMAP_NMODES; i++) {
		const char *name = keymap_mode_name((enum keymap_mode)i);

		if (strncmp(name, word, strlen(word)) == 0)
			cmd_matches_add(m, name);
	}
}

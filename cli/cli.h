/*
 * cli.h - the galley command: one function per subcommand, shared option
 * helpers and exit codes. Only cli/ may exit().
 */
#ifndef GL_CLI_H
#define GL_CLI_H

#include <stdbool.h>
#include <stddef.h>

/* Exit codes (docs/cli.md). */
enum cli_exit {
	CLI_OK = 0,
	CLI_FAILED = 1,		/* a cell failed; fmt --check found changes */
	CLI_USAGE = 2,		/* bad command line */
	CLI_BADINPUT = 3,	/* a notebook that cannot be read or parsed */
	CLI_KERNEL = 4,		/* no kernel, refused, or protocol failure */
	CLI_GIT = 5,		/* not a git repository, an unknown
				   revision, or a git operation failed */
	CLI_INTERRUPTED = 130,	/* stopped by Ctrl-C */
	CLI_PIPE = 141,		/* standard output's reader left, and
				   SIGPIPE is ignored: what it would give */
};

struct cli_cmd {
	const char	*name;
	int		(*fn)(int argc, char **argv);
	const char	*usage;		/* "galley run NB [-p NAME=VALUE]..." */
	const char	*summary;	/* one line */
	const char	*help;		/* the rest of `galley help NAME` */
	int		 hidden;
};

int	 cli_open(int argc, char **argv);
int	 cli_run(int argc, char **argv);
int	 cli_new(int argc, char **argv);
int	 cli_fmt(int argc, char **argv);
int	 cli_kernel(int argc, char **argv);
int	 cli_runtime(int argc, char **argv);
int	 cli_worker(int argc, char **argv);
int	 cli_usage_cmd(int argc, char **argv);
int	 cli_diff(int argc, char **argv);
int	 cli_merge_driver(int argc, char **argv);
int	 cli_review(int argc, char **argv);
int	 cli_plugins(int argc, char **argv);
int	 cli_lib(int argc, char **argv);
/* cmd_member.c: galley kernel member ... (argv[0] is "member"). */
int	 cli_kernel_member(int argc, char **argv);
/* cmd_pair.c */
int	 cli_share(int argc, char **argv);
int	 cli_attach(int argc, char **argv);
int	 cli_members(int argc, char **argv);

/* cmd_plugins.c, for commands that act themselves (review comments,
 * library publishing). */
enum plg_hook;
struct plg_val;
/* The project of the current directory (gl_project_dir). Caller frees. */
char	*cli_project_dir(void);
/* Runs hook on the kernel side of the current project's plugins, in this
 * process: warnings on stderr; CLI_OK, or CLI_FAILED once a refusal is
 * printed. */
int	 cli_plugin_hook(enum plg_hook hook, const struct plg_val *ev,
	     size_t n);

/*
 * Shared by cmd_diff.c and cmd_review.c.
 */
struct repo;
struct repo_side;
struct ndiff_print;
struct json_t;

/* Whether to colour stdout: when is "always", "never" or "auto" (a
 * terminal, or git's pager; never with NO_COLOR set). */
int	 cli_color(const char *when);
/* Opens the repository holding the current directory; NULL after an
 * error message. */
struct repo *cli_repo_open(void);
/* A path given on the command line as a path inside the repository
 * (relative to its top). Caller frees. */
char	*cli_repo_path(struct repo *r, const char *arg);
/* Prints the diff from side a to side b of the paths (none: all) to
 * stdout, as text (o: colour, context, hooks; stat: one line a file) or,
 * when files is not NULL, appends each file's JSON object to it. *changed
 * (may be NULL) says whether anything differs. Returns a CLI_* code. */
int	 cli_diff_sides(struct repo *r, const struct repo_side *a,
	     const struct repo_side *b, const char *const *paths,
	     size_t npaths, const struct ndiff_print *o, int stat,
	     struct json_t *files, int *changed);
/* Prints j to stdout (indented) and frees it. */
void	 cli_json_print(struct json_t *j);

/* Prints "galley: " + message to stderr. */
void	 cli_errorf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Usage error for cmd: prints the message and the usage; returns
 * CLI_USAGE. */
int	 cli_usage(const char *cmd, const char *fmt, ...)
	     __attribute__((format(printf, 2, 3)));
/* Parses "512M", "2G", "1048576" into bytes; -1 if malformed. */
long long cli_parse_size(const char *s);
/* The value of option opt ("--kernel") at argv[*i]: either "--kernel=X"
 * or "--kernel X" (advancing *i). NULL if argv[*i] is not that option;
 * exits with a usage error if the value is missing. */
const char *cli_optval(const char *cmd, int argc, char **argv, int *i,
	     const char *opt);

/* args.c */
enum cli_nb_kind {
	CLI_NB_LUA,		/* NAME.nb.lua, and any file not below */
	CLI_NB_PY,		/* NAME.nb.py (# %% cells; no runtime yet) */
	CLI_NB_IPYNB,		/* Jupyter's JSON (galley import, later) */
	CLI_NB_DIR,		/* a directory and no NAME.nb.* beside it */
};

/* The notebook a NAME on the command line means. */
struct cli_nb {
	char		*path;		/* owned */
	enum cli_nb_kind kind;
	bool		 exists;
};

/* Finds the notebook name means: name itself if it is a file; else, for a
 * name without a notebook suffix (.lua, .py, .ipynb), the first of
 * name.nb.lua, name.nb.py and name.ipynb that exists; else a directory
 * name is CLI_NB_DIR; else (exists false) the file `galley new name`
 * creates. nb is the caller's to cli_nb_fini(). */
void	 cli_nb_resolve(const char *name, struct cli_nb *nb);
void	 cli_nb_fini(struct cli_nb *nb);
/* What kind of notebook path is, by its suffix. */
enum cli_nb_kind cli_nb_kind(const char *path);
/* True if name ends in .lua, .py or .ipynb. */
bool	 cli_nb_has_suffix(const char *name);
/* The file `galley new name` creates: name itself with a notebook suffix,
 * else name.nb.lua. Caller frees. */
char	*cli_nb_filename(const char *name);
/* CLI_OK for a notebook galley reads; for .nb.py and .ipynb prints what
 * they are and what (not yet) reads them, for a directory that it is
 * one, and returns CLI_BADINPUT. */
int	 cli_nb_check_kind(const struct cli_nb *nb);

/* CLI_OK if v is HOST:PORT ([V6]:PORT) with a port up to 65535, else a
 * usage error of cmd naming what ("--listen") and the problem. */
int	 cli_check_hostport(const char *cmd, const char *what, const char *v);
/* Checks the kernel address v (a --kernel value, or $GALLEY_KERNEL when v
 * is NULL) as the client will read it: CLI_OK, or a usage error of cmd. */
int	 cli_check_kernel(const char *cmd, const char *v);

#endif

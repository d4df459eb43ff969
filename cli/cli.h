/*
 * cli.h - the galley command: one function per subcommand, shared option
 * helpers and exit codes. Only cli/ may exit().
 */
#ifndef GL_CLI_H
#define GL_CLI_H

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

#endif

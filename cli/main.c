/*
 * main.c - the galley command: dispatch, --help, --version.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

static int	 cli_help(int argc, char **argv);
static int	 cli_version(int argc, char **argv);

static const struct cli_cmd cli_cmds[] = {
	{ "open", cli_open, "galley open NOTEBOOK [--kernel ADDR]\n       galley NOTEBOOK",
	  "open a notebook in the terminal UI",
	  "Opens the notebook full-screen, attached to the kernel's session for it\n"
	  "(the local kernel, started if needed, or --kernel HOST:PORT). Press ? for\n"
	  "every key.\n", 0 },
	{ "run", cli_run, "galley run NOTEBOOK [-p NAME=VALUE]... [--kernel ADDR]",
	  "run every code cell of a notebook, headless",
	  "Runs the notebook's code cells in order in a fresh runtime of a kernel\n"
	  "(the local one, started if needed, or --kernel HOST:PORT / $GALLEY_KERNEL)\n"
	  "and stops at the first failing cell.\n"
	  "\n"
	  "Standard output gets what the cells print and the values they display,\n"
	  "as `lua` would show them; errors, tracebacks and progress go to standard\n"
	  "error, so pipes work.\n"
	  "\n"
	  "  -p, --param NAME=VALUE  override an assignment of the cell tagged\n"
	  "                          \"parameters\" (numbers, true/false/nil are\n"
	  "                          Lua values; anything else is a string)\n"
	  "  --kernel ADDR           run on the kernel at HOST:PORT (TCP, token from\n"
	  "                          $GALLEY_TOKEN or $GALLEY_TOKEN_FILE)\n"
	  "  -q, --quiet             no progress on standard error\n"
	  "\n"
	  "Exit status: 0 all cells ran; 1 a cell failed (its cell and line are\n"
	  "named); 2 usage; 3 the notebook cannot be read or parsed; 4 no kernel or\n"
	  "refused; 130 interrupted.\n", 0 },
	{ "new", cli_new, "galley new NOTEBOOK [--force]",
	  "create a new notebook",
	  "Creates NOTEBOOK (\".nb.lua\" is added to a name without \".lua\") with\n"
	  "a title cell\n"
	  "and an empty code cell. Refuses to overwrite an existing file unless\n"
	  "--force is given.\n", 0 },
	{ "fmt", cli_fmt, "galley fmt [--check] NOTEBOOK...",
	  "normalise notebooks to the canonical form",
	  "Rewrites each notebook in the canonical form: every cell gets an id,\n"
	  "markers are written the standard way, one blank line between cells.\n"
	  "Cell contents are not changed. A notebook that does not parse is left\n"
	  "untouched and reported.\n"
	  "\n"
	  "  --check   change nothing; exit 1 if a notebook is not canonical\n", 0 },
	{ "kernel", cli_kernel, "galley kernel [--listen HOST:PORT] [--memory-limit SIZE] [--idle-exit SECONDS]\n"
	  "       galley kernel status|stop [--kernel ADDR]\n"
	  "       galley kernel member add NAME [--role ROLE] [--expires 8h] [--kernel ADDR]\n"
	  "       galley kernel member remove NAME | role NAME ROLE | list [--kernel ADDR]",
	  "run, query or stop the kernel",
	  "The kernel owns open notebooks and runs their cells in runtime processes.\n"
	  "Clients start one in the background when none runs, so you rarely need\n"
	  "this command except for a team server.\n"
	  "\n"
	  "  --listen HOST:PORT     also serve TCP; clients must prove they hold the\n"
	  "                         token in the runtime directory's `token` file\n"
	  "  --memory-limit SIZE    Lua heap limit per runtime (e.g. 512M, 2G;\n"
	  "                         default half the machine's memory, or\n"
	  "                         $GALLEY_MEMORY_LIMIT)\n"
	  "  --idle-exit SECONDS    exit after this long with no clients and no work\n"
	  "                         (default 0: never for a foreground kernel,\n"
	  "                         3600 for one started in the background)\n"
	  "  status                 print the running kernel's pid, version, sessions\n"
	  "  stop                   ask the running kernel to exit\n"
	  "\n"
	  "A kernel serving TCP knows members, each with a token of their own and a\n"
	  "role (viewer, editor, owner), kept hashed in the runtime directory's\n"
	  "members.json (docs/security.md). Through the running kernel, so changes\n"
	  "hold at once; with no kernel running, on the file.\n"
	  "  member add NAME        a new member (--role, default editor; --expires\n"
	  "                         8h, 30m, 2d...); prints its token, once\n"
	  "  member remove NAME     revoke: its connections are closed at once\n"
	  "  member role NAME ROLE  change its role, at once\n"
	  "  member list            the members, their roles, expiry, connections\n", 0 },
	{ "share", cli_share, "galley share NOTEBOOK [--role editor|viewer] [--name NAME] [--expires 8h] [--host HOST] [--kernel ADDR]",
	  "invite someone into a notebook's session",
	  "Prints an invite: one word that `galley attach` accepts. On a kernel that\n"
	  "serves TCP (galley kernel --listen) it makes a member with the role\n"
	  "(default editor) and carries the kernel's address and the member's token;\n"
	  "on a kernel without TCP it names the local socket and the session (for\n"
	  "the same user on this machine). docs/pairing.md tells how to pair.\n"
	  "\n"
	  "  --role ROLE     editor (edit and run) or viewer (read, follow, talk)\n"
	  "  --name NAME     the member's name (default guest-XXXX)\n"
	  "  --expires D     the invite stops working after D (8h, 30m, 2d)\n"
	  "  --host HOST     the host name others reach the kernel by\n"
	  "  --kernel ADDR   the kernel at HOST:PORT instead of the local one\n", 0 },
	{ "attach", cli_attach, "galley attach INVITE",
	  "join the notebook session an invite names",
	  "Opens the terminal UI on the session of INVITE (from `galley share` or\n"
	  "the TUI's :share), on its kernel, as the member it names.\n"
	  "\n"
	  "Exit status: 0; 2 not an invite; 4 the kernel cannot be reached or\n"
	  "refused the invite (revoked, expired).\n", 0 },
	{ "members", cli_members, "galley members [NOTEBOOK] [--kernel ADDR]",
	  "who is in a notebook's session, and what each is doing",
	  "Lists the people attached to NOTEBOOK's session (or to every session\n"
	  "someone is in): name, role, client and activity (running CELL, editing\n"
	  "CELL, idle).\n", 0 },
	{ "runtime", cli_runtime, "galley runtime --fd N [--memory-limit BYTES]",
	  "(internal) a runtime process, started by the kernel", "", 1 },
	{ "usage", cli_usage_cmd, "galley usage [--by user|group|notebook|cell|host|day] [--since DATE] [--json] [--kernel ADDR]",
	  "report the CPU and wall time cluster tasks used",
	  "Prints the CPU and wall hours of every cluster task the kernel ran, from\n"
	  "its usage database, grouped by user (default), the user's group, the\n"
	  "notebook, the cell, the worker host or the day.\n"
	  "\n"
	  "  --by KEY        user, group, notebook, cell, host or day\n"
	  "  --since DATE    only work since DATE: YYYY-MM-DD, today, or Nd (N days\n"
	  "                  ago)\n"
	  "  --json          one JSON object: {by, since, rows: [...], total}\n"
	  "  --kernel ADDR   ask the kernel at HOST:PORT instead of the local one\n", 0 },
	{ "worker", cli_worker, "galley worker --connect HOST:PORT --secret-file PATH|- [--name NAME] [--memory-limit SIZE]",
	  "run a cluster worker (launchers start these)",
	  "Connects to a kernel's cluster listener, proves it holds the cluster\n"
	  "secret (the `cluster.secret` file in the kernel's runtime directory; `-`\n"
	  "reads it from the first line of standard input, and the worker then\n"
	  "exits when standard input ends) and runs the tasks the kernel sends it\n"
	  "until it is stopped, the connection ends, or SIGTERM.\n", 0 },
	{ "diff", cli_diff, "galley diff [--stat] [--json] [--cached] [-U N] [--color=WHEN] [REV [REV]] [-- PATHS]\n"
	  "       galley diff --no-index FILE FILE",
	  "show changes, notebooks cell by cell",
	  "Like git diff: no REV compares the work tree with the index, one REV the\n"
	  "work tree with REV (or A..B two revisions), two REVs one with the other.\n"
	  "Notebooks (.nb.lua, .ipynb) are compared as cells: added, removed, moved,\n"
	  "modified (a line diff inside, changed words highlighted), metadata;\n"
	  "unchanged cells are folded. Other files get a unified diff. git can run\n"
	  "it as an external diff driver (docs/git.md).\n"
	  "\n"
	  "  --stat         one line a file: cells and lines changed\n"
	  "  --json         one JSON object {version, files: [...]} (docs/git.md)\n"
	  "  --cached       the index against HEAD (or REV)\n"
	  "  -U, --unified N  lines of context (default 3)\n"
	  "  --color[=WHEN] always, never or auto (a terminal; not with NO_COLOR)\n"
	  "  --no-index     compare two files, in a repository or not\n"
	  "  --exit-code    exit 1 when something differs\n"
	  "\n"
	  "Exit status: 0 (1 with --exit-code and differences); 2 usage; 3 a file\n"
	  "cannot be read; 5 not a git repository or an unknown revision.\n", 0 },
	{ "merge-driver", cli_merge_driver, "galley merge-driver BASE OURS THEIRS [PATH] [--marker-size N]",
	  "git's merge driver for notebooks (docs/git.md)",
	  "Merges OURS and THEIRS (both from BASE) into OURS, as git's %O %A %B %P.\n"
	  "Notebooks merge by cell: edits of different cells, or a move and an\n"
	  "edit, merge cleanly; a cell both sides changed merges by lines, and what\n"
	  "still conflicts is marked in that cell (conflict=true, git's markers in\n"
	  "its source). Other files merge by lines.\n"
	  "\n"
	  "Exit status: 0 merged; 1 conflicts written; 2 usage; 3 unreadable input.\n", 0 },
	{ "review", cli_review, "galley review [start|list|show|comment|reply|resolve|approve|request-changes|apply|sync] ...",
	  "review changes as cells, with comments stored in git",
	  "Reviews live in git notes (refs/notes/galley/*) and travel with\n"
	  "`galley review sync`. With no command: the review of the current branch\n"
	  "(or, before there is one, its changes against its upstream or main), in\n"
	  "the terminal UI's review mode when run on a terminal (--kernel ADDR as\n"
	  "for galley open), else printed.\n"
	  "\n"
	  "  start [BASE..HEAD] [--title T] [--reviewer NAME]...\n"
	  "                       start a review (default: upstream or main..HEAD)\n"
	  "  list                 every review, newest first\n"
	  "  show [ID] [--no-diff] a review: verdicts, the diff, threads inline\n"
	  "  comment [ID] --path P [--cell CELL] [--lines A-B] [--suggest FILE|-] -m MSG\n"
	  "                       comment on a cell or lines at the review's head;\n"
	  "                       --suggest gives replacement lines\n"
	  "  reply THREAD -m MSG  answer a thread\n"
	  "  resolve THREAD [--reopen]\n"
	  "  approve [ID] [-m MSG], request-changes [ID] [-m MSG]\n"
	  "  apply THREAD         apply a suggested change to the work tree (or, when\n"
	  "                       a running kernel has the notebook open, to it)\n"
	  "  sync [REMOTE]        fetch and push the reviews (a remote, path or URL)\n"
	  "\n"
	  "ID and THREAD may be abbreviated; ID defaults to the current branch's\n"
	  "review. Every command takes --json (docs/review.md).\n"
	  "\n"
	  "Exit status: 0 done; 1 refused or not found (the message says why);\n"
	  "2 usage; 3 a notebook that cannot be parsed; 5 not a git repository or a\n"
	  "git operation failed.\n", 0 },
	{ "lib", cli_lib, "galley lib publish|search|info|add|outdated|update|who-uses ...",
	  "the team library registry: publish, find, pin, who uses what",
	  "A registry is a git repository of Lua modules, one directory per module,\n"
	  "each version a tag NAME/vX.Y.Z (docs/registry.md). Name it with\n"
	  "registry = \"URL\" in init.lua or .galley/config.lua, or --registry URL.\n"
	  "\n"
	  "  publish DIR --version X [-m CHANGES]\n"
	  "                       publish the module DIR (DIR/init.lua): its tests\n"
	  "                       (DIR/test.lua) must pass, its HEAD must have an\n"
	  "                       approving galley review, the version must be new\n"
	  "                       and above the last\n"
	  "  search [TEXT]        modules whose name or description has TEXT\n"
	  "  info NAME            versions, authors, reviewers, changelog\n"
	  "  add NAME[@C] [NB]    pin the newest version matching C (1.2.0, ^1.2,\n"
	  "                       ~1.2.3, >=1.0) in galley.lock and notebook NB\n"
	  "  outdated             pinned modules with newer versions\n"
	  "  update NAME[@C] [NB...]  pin a newer version\n"
	  "  who-uses NAME[@<V]   who loaded NAME (below version V), when last, from\n"
	  "                       which notebook (the kernel's records)\n"
	  "\n"
	  "Every command takes --json. Exit status: 0; 1 refused or not found;\n"
	  "2 usage; 4 no kernel; 5 the registry or a repository failed.\n", 0 },
	{ "plugins", cli_plugins, "galley plugins [--json] [--kernel ADDR]",
	  "list the plugins, where they come from, what failed",
	  "Lists the plugins of the current directory's project on both sides: the\n"
	  "kernel's (policy hooks; asked of the kernel, which loads them again if a\n"
	  "file changed) and the terminal UI's (commands, keys, status parts,\n"
	  "views; loaded here as `galley open` would). For each: its state (loaded,\n"
	  "failed, disabled, shadowed), its file and origin (bundled, user,\n"
	  "project), then what it provides or why it did not load (with the file\n"
	  "and line). docs/plugins.md is the plugin API.\n"
	  "\n"
	  "  --json          one JSON object: {kernel: {project, plugins: [...]},\n"
	  "                  tui: {...}}\n"
	  "  --kernel ADDR   ask the kernel at HOST:PORT instead of the local one\n"
	  "\n"
	  "Exit status: 0; 1 a plugin failed to load; 4 no kernel (the terminal\n"
	  "UI's list is still printed).\n", 0 },
	{ "help", cli_help, "galley help [COMMAND]", "show help for a command", "", 0 },
	{ "version", cli_version, "galley version", "print the version", "", 0 },
};

#define NCMDS (sizeof cli_cmds / sizeof cli_cmds[0])

static const struct cli_cmd *
cli_find(const char *name)
{
	for (size_t i = 0; i < NCMDS; i++)
		if (strcmp(cli_cmds[i].name, name) == 0)
			return &cli_cmds[i];
	return NULL;
}

/*
 * Edit distance between a and b counting an insertion, a deletion, a
 * substitution or a swap of two neighbours as one ("rnu" is one from
 * "run"). Names are short: longer ones are not commands anyway.
 */
static size_t
cli_distance(const char *a, const char *b)
{
	size_t	 d[33][33], na = strlen(a), nb = strlen(b);

	if (na > 32 || nb > 32)
		return SIZE_MAX;
	for (size_t i = 0; i <= na; i++)
		d[i][0] = i;
	for (size_t j = 0; j <= nb; j++)
		d[0][j] = j;
	for (size_t i = 1; i <= na; i++) {
		for (size_t j = 1; j <= nb; j++) {
			size_t	 best = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);

			if (d[i - 1][j] + 1 < best)
				best = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < best)
				best = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] &&
			    a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < best)
				best = d[i - 2][j - 2] + 1;
			d[i][j] = best;
		}
	}
	return d[na][nb];
}

/* The visible command name nearest to name: one edit away, else the only
 * one name begins, else two edits away (and fewer edits than name has
 * letters); or NULL. */
static const char *
cli_suggest(const char *name)
{
	const char	*best = NULL, *prefixed = NULL;
	size_t		 bestd = 3, len = strlen(name);
	int		 nprefixed = 0;

	for (size_t i = 0; i < NCMDS; i++) {
		size_t	 d;

		if (cli_cmds[i].hidden)
			continue;
		d = cli_distance(name, cli_cmds[i].name);
		if (d < bestd && d < len) {
			bestd = d;
			best = cli_cmds[i].name;
		}
		if (len >= 2 && strncmp(cli_cmds[i].name, name, len) == 0) {
			prefixed = cli_cmds[i].name;
			nprefixed++;
		}
	}
	/* One letter off beats a unique beginning ("ver"), which beats two
	 * letters off. */
	if ((best == NULL || bestd > 1) && nprefixed == 1)
		best = prefixed;
	return best;
}

/* "unknown command 'rnu'; did you mean 'run'?" Returns CLI_USAGE. */
static int
cli_unknown(const char *name)
{
	const char	*near = cli_suggest(name);

	if (near != NULL)
		cli_errorf("unknown command '%s'; did you mean '%s'?", name,
		    near);
	else
		cli_errorf("unknown command '%s' (see galley --help; `galley "
		    "new %s` creates a notebook)", name, name);
	return CLI_USAGE;
}

/*
 * `galley NAME`, NAME not a command: true if it is meant as a notebook to
 * open, as `vim FILE` opens a file. That is when NAME resolves to a
 * notebook that exists (NAME, NAME.nb.lua, NAME.nb.py, NAME.ipynb), or
 * looks like a path (a notebook suffix, a '/'), which `galley open` then
 * offers to create. A bare word that is neither is a mistyped command.
 */
static bool
cli_names_notebook(const char *name)
{
	struct cli_nb	 nb;
	bool		 found;

	cli_nb_resolve(name, &nb);
	found = nb.exists;
	cli_nb_fini(&nb);
	return found || cli_nb_has_suffix(name) || strchr(name, '/') != NULL;
}

static void
cli_print_main_help(FILE *f)
{
	fputs("usage: galley COMMAND [ARGS]\n"
	    "       galley NOTEBOOK      (as galley open NOTEBOOK)\n"
	    "       galley --help | --version\n"
	    "\n"
	    "galley is a terminal notebook: Lua notebooks in plain text, cells run in\n"
	    "a kernel, clean diffs in git.\n"
	    "\n"
	    "Commands:\n", f);
	for (size_t i = 0; i < NCMDS; i++)
		if (!cli_cmds[i].hidden)
			fprintf(f, "  %-12s %s\n", cli_cmds[i].name, cli_cmds[i].summary);
	fputs("\n`galley help COMMAND` tells more. Exit status: 0 success, 1 failure,\n"
	    "2 usage, 3 bad notebook, 4 kernel unreachable or refused, 5 git, 130\n"
	    "interrupted.\n",
	    f);
}

static int
cli_help(int argc, char **argv)
{
	const struct cli_cmd *c;

	if (argc < 2) {
		cli_print_main_help(stdout);
		return CLI_OK;
	}
	if ((c = cli_find(argv[1])) == NULL)
		return cli_unknown(argv[1]);
	printf("usage: %s\n\n%s\n%s", c->usage, c->summary, *c->help ? "\n" : "");
	fputs(c->help, stdout);
	return CLI_OK;
}

static int
cli_version(int argc, char **argv)
{
	printf("galley %s\n", GALLEY_VERSION);
	return CLI_OK;
}

void
cli_errorf(const char *fmt, ...)
{
	va_list	 ap;

	fputs("galley: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int
cli_usage(const char *cmd, const char *fmt, ...)
{
	const struct cli_cmd	*c = cli_find(cmd);
	va_list			 ap;

	fputs("galley: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (c != NULL)
		fprintf(stderr, "usage: %s\n", c->usage);
	return CLI_USAGE;
}

long long
cli_parse_size(const char *s)
{
	char		*end;
	long long	 v;
	int		 shift;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (end == s || v < 0 || errno != 0)
		return -1;
	switch (*end) {
	case '\0':
		return v;
	case 'k': case 'K':
		shift = 10;
		break;
	case 'm': case 'M':
		shift = 20;
		break;
	case 'g': case 'G':
		shift = 30;
		break;
	default:
		return -1;
	}
	if (v > (LLONG_MAX >> shift))
		return -1;	/* would overflow: not a size we can use */
	v <<= shift;
	end++;
	if (*end == 'i' || *end == 'I')
		end++;
	if (*end == 'b' || *end == 'B')
		end++;
	return *end == '\0' ? v : -1;
}

const char *
cli_optval(const char *cmd, int argc, char **argv, int *i, const char *opt)
{
	size_t	 n = strlen(opt);
	char	*a = argv[*i];

	if (strncmp(a, opt, n) != 0)
		return NULL;
	if (a[n] == '=')
		return a + n + 1;
	if (a[n] != '\0')
		return NULL;
	if (*i + 1 >= argc) {
		cli_usage(cmd, "%s needs a value", opt);
		exit(CLI_USAGE);
	}
	return argv[++*i];
}

int
main(int argc, char **argv)
{
	const struct cli_cmd *c;

	if (argc < 2) {
		cli_print_main_help(stderr);
		return CLI_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		cli_print_main_help(stdout);
		return CLI_OK;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0)
		return cli_version(argc, argv);
	/* A command name wins over a file of that name (`galley open run`
	 * opens the file); then a notebook; then a near command name. */
	if ((c = cli_find(argv[1])) == NULL) {
		if (argv[1][0] == '-' && argv[1][1] != '\0') {
			cli_errorf("unknown option %s (see galley --help)",
			    argv[1]);
			return CLI_USAGE;
		}
		if (cli_names_notebook(argv[1]))
			return cli_open(argc, argv);
		return cli_unknown(argv[1]);
	}
	if (argc > 2 && !c->hidden && (strcmp(argv[2], "--help") == 0 ||
	    strcmp(argv[2], "-h") == 0)) {
		char *hv[] = { "help", argv[1], NULL };

		return cli_help(2, hv);
	}
	return c->fn(argc - 1, argv + 1);
}

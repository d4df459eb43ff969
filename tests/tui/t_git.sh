# t_git.sh - the notebook in git, in the TUI: the status line says how
# the notebook stands against HEAD and the gutter marks the cells that
# differ (after a save), :commit commits (the marks go), :log lists the
# commits, :show REV shows the cell then and what changed since; the
# commit is checked with git itself.
. "$(dirname "$0")/lib.sh"

R="$WORK/repo"
tui_git_repo "$R" "Ann Tester" ann@example.org
cat >"$R/trips.nb.lua" <<'NB'
-- %% id="a"
x = 1

-- %% id="b"
y = 2

-- %% id="c"
z = 3
NB
git -C "$R" add trips.nb.lua
git -C "$R" commit -q -m "first"

tui_start 90 24 open repo/trips.nb.lua
tui_expect '^ NORMAL +repo/trips\.nb\.lua +git main +kernel local'
tui_screen | grep -q '^.[~+>]\[' && fail "a mark before anything changed"

# Edit b, save: it is marked modified.
tui_keys j
tui_expect '^▎ \[b\]'
tui_keys A
tui_expect '^ INSERT '
tui_type ' + 1'
tui_keys Escape
tui_expect '^ NORMAL '
tui_keys :
tui_type 'w'
tui_keys Enter
tui_expect 'saved repo/trips\.nb\.lua'
tui_expect '^▎~\[b\]'
tui_expect 'git main ~1 +kernel'

# A new cell below: marked added.
tui_keys b
tui_expect '^ INSERT '
tui_type 'print(z)'
tui_keys Escape
tui_expect '^ NORMAL '
tui_keys :
tui_type 'w'
tui_keys Enter
tui_expect '^▎\+\[[a-z0-9]+\]'
tui_expect ' ~\[b\]'
tui_expect 'git main \+1 ~1 +kernel'

# Commit: the marks go, git has it.
tui_keys :
tui_type 'commit -m "second: b and a new cell"'
tui_keys Enter
tui_expect 'committed [0-9a-f]{7,} on main: second: b and a new cell'
tui_expect 'git main +kernel'
tui_screen | grep -q '^.[~+>]\[' && fail "marks stayed after the commit"
[ "$(git -C "$R" log -1 --format=%s)" = "second: b and a new cell" ] ||
	fail "git log: $(git -C "$R" log -1 --format=%s)"
[ "$(git -C "$R" log -1 --format='%an <%ae>')" = \
    "Ann Tester <ann@example.org>" ] || fail "author from git config"
[ -z "$(git -C "$R" status --porcelain trips.nb.lua)" ] ||
	fail "the notebook is not as committed: $(git -C "$R" status --short)"
git -C "$R" show HEAD:trips.nb.lua | grep -q '^y = 2 + 1$' ||
	fail "the commit lacks the edit"

# Nothing more to commit.
tui_keys :
tui_type 'commit -m again'
tui_keys Enter
tui_expect 'nothing to commit: trips\.nb\.lua is as in HEAD'

# :log lists both commits.
tui_keys :
tui_type 'log'
tui_keys Enter
tui_expect '^ git log'
tui_expect '[0-9a-f]{7,} +[0-9-]+ [0-9:]+  Ann Tester  second: b and a new cell'
tui_expect '[0-9a-f]{7,} +[0-9-]+ [0-9:]+  Ann Tester  first$'
tui_keys q
tui_expect '^ NORMAL '

# :show HEAD~1 on b: the cell then, and the change since.
tui_keys k
tui_expect '^▎ \[b\]'
tui_keys :
tui_type 'show HEAD~1'
tui_keys Enter
tui_expect '^ cell b at HEAD~1'
tui_expect 'cell b at [0-9a-f]{7,} \(HEAD~1\): first'
tui_expect '^   y = 2$'
tui_expect '^ -y = 2$'
tui_expect '^ \+y = 2 \+ 1$'
tui_keys q
tui_expect '^ NORMAL '

tui_keys :
tui_type 'q'
tui_keys Enter
tui_exit_ok
echo "ok"

# t_shared.sh - two people on one notebook: each sees the other's typing,
# cell deletions and outputs at once; undo reverts only one's own change;
# both end with the same text, which is what gets saved.
. "$(dirname "$0")/lib.sh"

cat >"$WORK/pair.nb.lua" <<'NB'
-- %% id="a"
local x = 1

-- %% id="b"
print("b")
NB

on() {
	TUI_T=$1
}

on t
tui_start 80 16 open pair.nb.lua
tui_expect '^ NORMAL '
on u
tui_start 80 16 open pair.nb.lua
tui_expect '^ NORMAL '
# The status line names the other person in the session (both are the
# same user here).
me=$(id -un)
tui_expect " runtime idle  $me " 15
# Where the other's cursor is in insert mode, their name follows the row.
at="( +$me)?"

# A types at the end of cell a; B sees it.
on t
tui_keys A
tui_expect '^ INSERT '
tui_type ' -- from A'
on u
tui_expect "^▎ local x = 1 -- from A$at$"
# B types at the start of the same line at the same time as A goes on.
tui_keys i
tui_expect '^ INSERT '
tui_keys Home Home
tui_type 'B: '
on t
tui_type '!'
tui_expect "^▎ B: local x = 1 -- from A!$at$"
on u
tui_expect "^▎ B: local x = 1 -- from A!$at$"
tui_keys Escape
tui_expect '^ NORMAL '

# B runs cell b; A sees the output.
tui_keys j Enter
on t
tui_expect '^ +b$'
tui_keys Escape
tui_expect '^ NORMAL '

# A deletes b; B sees it go; A's undo brings it back for both.
tui_keys j
tui_expect '2/2'
tui_keys d d
on u
tui_expect_gone '\[b\]'
on t
tui_keys u
on u
tui_expect '\[b\]'
# B's undo reverts only B's typing, not A's.
tui_keys u
tui_expect "^[▎ ] local x = 1 -- from A!$at$"
on t
tui_expect "^[▎ ] local x = 1 -- from A!$at$"

tui_keys :
tui_type wq
tui_keys Enter
tui_exit_ok
grep -q '^local x = 1 -- from A!$' "$WORK/pair.nb.lua" ||
	fail "the saved file lacks the shared edit"
grep -q '^print("b")$' "$WORK/pair.nb.lua" || fail "cell b was not restored"
on u
tui_keys :
tui_type 'q!'
tui_keys Enter
tui_exit_ok
echo ok

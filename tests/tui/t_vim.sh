# t_vim.sh - vim habits: an Esc typed just before a key (one burst from the
# terminal, an Alt chord to the decoder) is Esc and then that key when no
# binding takes the chord; counts before keys (3j, 5dd, 5G, 2J), :N and
# :set number.
. "$(dirname "$0")/lib.sh"

cat >"$WORK/v.nb.lua" <<'NB'
-- %% id="a"
print("A")

-- %% id="b"
print("B")

-- %% id="c"
print("C")
NB

tui_start 80 24 open v.nb.lua
tui_expect '^ NORMAL '
# Esc : in one burst opens the command line (it used to add a cell and
# type "ll" into it).
tui_keys M-:
tui_expect '^:$'
tui_type 'run all'
tui_keys Enter
tui_expect '^[▎ ]   C$'
tui_screen | grep -q '^ NORMAL .* 1/3 *$' || fail "a cell was added"

# In insert mode: Esc : leaves it and opens the command line.
tui_keys i
tui_expect '^ INSERT '
tui_type 'x = 1 '
tui_keys M-:
tui_expect '^:$'
tui_type 'goto c'
tui_keys Enter
tui_expect '^ NORMAL .* 3/3 *$'
tui_expect '^[▎ ] x = 1 print\("A"\)$'

tui_type ':q!'
tui_keys Enter
tui_exit_ok
tui_kill_session

# Counts: ten cells c1..c10.
i=1
: >"$WORK/n.nb.lua"
while [ $i -le 10 ]; do
	printf -- '-- %%%% id="c%d"\nx = %d\n\n' $i $i >>"$WORK/n.nb.lua"
	i=$((i + 1))
done
tui_start 80 30 open n.nb.lua
tui_expect '^ NORMAL .* 1/10 *$'
tui_keys 3 j
tui_expect '^ NORMAL .* 4/10 *$'
tui_keys 2 k
tui_expect '^ NORMAL .* 2/10 *$'
# 5G and :7 go to cells 5 and 7; G and gg still go to the ends.
tui_keys 5 G
tui_expect '^ NORMAL .* 5/10 *$'
tui_type ':7'
tui_keys Enter
tui_expect '^ NORMAL .* 7/10 *$'
tui_keys G
tui_expect '^ NORMAL .* 10/10 *$'
tui_keys g g
tui_expect '^ NORMAL .* 1/10 *$'
tui_keys 2 g g
tui_expect '^ NORMAL .* 2/10 *$'
# The count shows while it is typed.
tui_keys 1 2
tui_expect '^12$'
tui_keys Escape
tui_expect_gone '^12$'
# 3dd deletes three cells (c2, c3, c4) as one change; u brings them back.
tui_keys 3 d d
tui_expect 'deleted 3 cells'
tui_expect '^ NORMAL .* 2/7 *$'
tui_expect_gone '\[c3\]'
tui_screen | grep -q '\[c5\]' || fail "c5 went too"
tui_keys u
tui_expect '\[c3\]'
tui_expect '^ NORMAL .* 2/10 *$'
# 2J moves c2 two places down.
tui_keys 2 J
tui_expect '^ NORMAL .* 4/10 *$'
tui_screen | grep -A8 '\[c4\]' | grep -q '\[c2\]' || fail "c2 is not below c4"
# :set number shows the numbers; :set nonumber hides them.
tui_type ':set number'
tui_keys Enter
tui_expect '^[▎ ]  4 \[c2\]'
tui_expect '^   1 \[c1\]'
tui_type ':set nonumber'
tui_keys Enter
tui_expect '^▎ \[c2\]'
tui_type ':q!'
tui_keys Enter
tui_exit_ok

# t_vim.sh - vim habits: an Esc typed just before a key (one burst from the
# terminal, an Alt chord to the decoder) is Esc and then that key when no
# binding takes the chord.
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

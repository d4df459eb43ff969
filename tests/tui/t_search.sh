# t_search.sh - / ? n N across cells (and outputs with search_outputs),
# i editing at the match, :s in a cell and :%s across cells as one undo
# step, / in the help screen.
. "$(dirname "$0")/lib.sh"

cat >"$WORK/s.nb.lua" <<'NB'
-- %% id="a"
local total = 0

-- %% id="b"
for i = 1, 3 do total = total + i end

-- %% id="c"
print(("x"):rep(3), total)

-- %% [markdown] id="d"
-- The total is printed above.
NB

tui_start 80 30 open s.nb.lua
tui_expect '^ NORMAL .* 1/4 *$'
tui_keys :
tui_type 'run all'
tui_keys Enter
tui_expect '^[▎ ]   xxx +6$'

# / from the first cell finds its own match first; n goes on, across
# cells, and wraps with vim's message.
tui_keys /
tui_expect '^/$'
tui_type 'total'
tui_keys Enter
tui_expect '^ NORMAL .* 1/4 *$'
tui_expect '^/total$'
tui_keys n
tui_expect '^ NORMAL .* 2/4 *$'
tui_keys n
tui_expect '^ NORMAL .* 2/4 *$'
tui_keys n
tui_expect '^ NORMAL .* 3/4 *$'
tui_keys n
tui_expect '^ NORMAL .* 4/4 *$'
tui_keys n
tui_expect 'search hit BOTTOM, continuing at TOP'
tui_expect '^ NORMAL .* 1/4 *$'
# N goes back, wrapping the other way; 2n skips one.
tui_keys N
tui_expect 'search hit TOP, continuing at BOTTOM'
tui_expect '^ NORMAL .* 4/4 *$'
tui_keys g g 2 n
tui_expect '^ NORMAL .* 2/4 *$'
# ? searches backward; n then goes on backward.
tui_keys G ?
tui_expect '^\?$'
tui_type 'for'
tui_keys Enter
tui_expect '^ NORMAL .* 2/4 *$'
tui_expect '^\?for$'
# Not found says so.
tui_keys /
tui_type 'nowhere'
tui_keys Enter
tui_expect 'not found: nowhere'

# Outputs are searched with search_outputs only.
tui_keys g g /
tui_type 'xxx'
tui_keys Enter
tui_expect 'not found: xxx'
tui_type ':set search_outputs'
tui_keys Enter
tui_keys /
tui_type 'xxx'
tui_keys Enter
tui_expect '^/xxx$'
tui_expect '^ NORMAL .* 3/4 *$'

# i edits at the match.
tui_keys g g /
tui_type 'i = 1'
tui_keys Enter
tui_expect '^ NORMAL .* 2/4 *$'
tui_keys i
tui_expect '^ INSERT '
tui_type 'j, '
tui_expect '^▎ for j, i = 1, 3 do'
tui_keys Escape
tui_expect '^ NORMAL '
tui_keys u
tui_expect '^▎ for i = 1, 3 do'

# :s in the current cell (b): only its first match per line, or all
# with g; :%s in every cell; one u undoes the lot.
tui_type ':s/total/sum/'
tui_keys Enter
tui_expect '1 substitution in 1 cell'
tui_expect '^▎ for i = 1, 3 do sum = total \+ i end$'
tui_keys u
tui_expect '^▎ for i = 1, 3 do total = total \+ i end$'
tui_type ':%s/total/sum/g'
tui_keys Enter
tui_expect '5 substitutions in 4 cells'
tui_expect '^  local sum = 0$'
tui_expect '^▎ for i = 1, 3 do sum = sum \+ i end$'
tui_expect '^  print\(\("x"\):rep\(3\), sum\)$'
tui_keys u
tui_expect '^[▎ ] local total = 0$'
tui_expect '^[▎ ] for i = 1, 3 do total = total \+ i end$'
tui_expect '^[▎ ] print\(\("x"\):rep\(3\), total\)$'
tui_expect '^[▎ ] The total is printed above\.$'
tui_keys C-r
tui_expect '^[▎ ] local sum = 0$'
tui_expect '^[▎ ] The sum is printed above\.$'

# The help screen searches too.
tui_type ':help'
tui_keys Enter
tui_expect 'galley help'
tui_keys /
tui_type 'suspend galley'
tui_keys Enter
tui_expect 'suspend galley'
tui_keys q
tui_expect '^ NORMAL '

tui_type ':q!'
tui_keys Enter
tui_exit_ok

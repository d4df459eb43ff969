# t_outputs.sh - a displayed table is drawn as aligned columns or a
# folded tree (never "table: 0x..."); o unfolds the tree; O opens a
# cell's outputs in a pager where G and gg go to the end and the start
# and / searches.
. "$(dirname "$0")/lib.sh"

cat >"$WORK/o.nb.lua" <<'NB'
-- %% id="rec"
{ {day = "mon", fare = 12.5}, {day = "tuesday", fare = 3} }

-- %% id="tree"
config = {name = "galley", ports = {80, 443}, sub = {deep = {x = 1}}}
config

-- %% id="long"
for i = 1, 300 do print("line " .. i) end
NB

tui_start 80 30 open o.nb.lua
tui_expect '^ NORMAL '
tui_type ':run all'
tui_keys Enter
tui_expect '^[▎ ]   day      fare$'
tui_expect '^[▎ ]   mon      12\.5$'
tui_expect '^[▎ ]   tuesday     3$'
tui_expect '^[▎ ]   \{3 entries\}$'
tui_expect '^[▎ ]     name = "galley"$'
tui_expect '^[▎ ]   ▸ sub = \{1 entry\}$'
tui_expect '^[▎ ]     \(o: unfold\)$'
tui_screen | grep -q 'table: 0x' && fail "a table drawn as table: 0x..."
tui_screen | grep -q 'deep = {1 entry}' && fail "the folded tree shows a second level"

# o unfolds every level.
tui_keys 2 G o
tui_expect '^▎   ▾ sub = \{1 entry\}$'
tui_expect '^▎     ▾ deep = \{1 entry\}$'
tui_expect '^▎         x = 1$'

# O: the long output whole in a pager; G, gg, / and n.
tui_keys 3 G O
tui_expect '\[long\] outputs'
tui_expect '^ line 1$'
tui_keys G
tui_expect '^ line 300$'
tui_expect_gone '^ line 1$'
tui_keys g g
tui_expect '^ line 1$'
tui_keys /
tui_type 'line 250'
tui_keys Enter
tui_expect '^ line 250$'
tui_expect_gone '^ line 1$'
tui_keys q
tui_expect '^ NORMAL '

tui_type ':q!'
tui_keys Enter
tui_exit_ok

# t_complete.sh - Tab in insert mode completes names from the live
# session (one match goes in, several open a menu), Shift-Tab shows what a
# name is, Tab after blanks still indents, and a busy runtime answers
# from the notebook's words at once.
. "$(dirname "$0")/lib.sh"

cat >"$WORK/c.nb.lua" <<'NB'
-- %% id="a"
trips = {count = 3, clear = function() end}
local function fare(day, km) return km end

-- %% id="b"


-- %% id="slow"
local t = os.clock()
while os.clock() - t < 30 do end
NB

tui_start 80 24 open c.nb.lua
tui_expect '^ NORMAL '
tui_keys Enter
tui_expect '\[a\] .*ok'
tui_keys j i
tui_expect '^ INSERT '
# One match: it goes in.
tui_type 'tri'
tui_keys Tab
tui_expect '^▎ trips$'
# Several: what they share goes in, and a menu offers them.
tui_type '.'
tui_keys Tab
tui_expect '^▎ trips\.c$'
tui_expect 'clear +function'
tui_expect 'count +number'
tui_keys Tab Enter
tui_expect '^▎ trips\.clear$'
tui_expect_gone 'count +number'
# Another key closes the menu and does what it does.
tui_keys Enter
tui_type 'trips.c'
tui_keys Tab
tui_expect 'count +number'
tui_type 'o'
tui_expect_gone 'count +number'
tui_expect '^▎ trips\.co$'
# Shift-Tab: a function's parameters and where it was defined.
tui_keys Enter
tui_type 'fare'
tui_keys BTab
tui_expect 'fare: function\(day, km\)'
tui_expect 'defined at .*c\.nb\.lua:3'
tui_keys Escape
tui_expect_gone 'fare: function'
tui_expect '^ INSERT '
# After blanks Tab indents, as before.
tui_keys Enter
tui_keys Tab
tui_type 'x'
tui_expect '^▎   x$'
tui_keys Escape
tui_expect '^ NORMAL '

# A runtime busy with a cell answers at once, from the notebook.
tui_keys G Enter
tui_expect 'running'
tui_keys k A Enter
tui_type 'tr'
tui_keys Tab
tui_expect 'the runtime is busy'
tui_expect 'trips +word'
tui_expect 'true +keyword'
tui_keys Escape
tui_expect_gone 'trips +word'
tui_keys Escape
tui_expect '^ NORMAL '
tui_keys C-c
tui_expect 'interrupted'
tui_type ':q!'
tui_keys Enter
tui_exit_ok

# t_interrupt.sh - Ctrl-C stops an endless loop; the runtime lives on (its
# variables too); the running cell shows its clock; :restart starts a
# fresh runtime.
. "$(dirname "$0")/lib.sh"

cat >"$WORK/loop.nb.lua" <<'NB'
-- %% id="setup"
kept = 41

-- %% id="loop"
local n = 0
while true do n = n + 1 end

-- %% id="after"
print("alive", kept + 1)
NB

tui_start 80 20 open loop.nb.lua
tui_expect '^ NORMAL '
tui_keys Enter
tui_expect '\[setup\] +ok'
tui_keys j
tui_expect '2/3'
tui_keys Enter
tui_expect '\[loop\] +running [0-9.]+(ms|s)'
# The clock moves while it runs.
tui_expect '\[loop\] +running [1-9][0-9.]*s'
tui_keys C-c
tui_expect '\[loop\] +interrupted'
tui_expect '^[▎ ]   interrupted'
tui_keys j Enter
tui_expect '^[▎ ]   alive	?[[:space:]]*42$'
tui_expect 'runtime idle'

# :restart forgets the variables.
tui_keys :
tui_type restart
tui_keys Enter
tui_expect 'restart'
tui_keys Enter
tui_expect "attempt to perform arithmetic on a nil value \\(global 'kept'\\)"
tui_keys :
tui_type 'q!'
tui_keys Enter
tui_exit_ok
echo ok

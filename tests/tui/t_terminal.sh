# t_terminal.sh - galley behaves on a real terminal: Ctrl-Z gives the
# shell a sane terminal and fg brings the screen back; the terminal is
# restored on exit and after a crash; colours turn off with NO_COLOR and
# on a vt100, where attributes still mark the status line.
. "$(dirname "$0")/lib.sh"

printf -- '-- %%%% id="a"\nprint("hi")\n' >"$WORK/t.nb.lua"
tmx new-session -d -x 80 -y 20 -s t \
    "cd '$WORK' && PS1='$ ' exec bash --norc --noprofile -i"
tui_expect '^\$ ?$'
sh_run() {
	tui_type "$1"
	tui_keys Enter
}
sh_run 'stty -g > before'
sh_run "'$GALLEY_BIN' open t.nb.lua"
tui_expect '^ NORMAL '
tui_keys C-z
tui_expect 'Stopped'
sh_run 'stty -g > stopped; cmp -s before stopped && echo SANE-WHILE-STOPPED'
tui_expect '^SANE-WHILE-STOPPED$'
sh_run 'fg'
tui_expect '^ NORMAL '
tui_expect '^▎ print\("hi"\)$'
tui_keys Enter
tui_expect '^▎   hi$'
tui_type ':q'
tui_keys Enter
tui_expect '^\$ ?$'
sh_run 'echo "[exit $?]"; stty -g > after; cmp -s before after && echo RESTORED'
tui_expect '^\[exit 0\]$'
tui_expect '^RESTORED$'

# A crash: the terminal is restored, the process still dies of it.
sh_run 'clear'
sh_run "'$GALLEY_BIN' open t.nb.lua"
tui_expect '^ NORMAL '
shell=$(tmx display-message -p -t "$TUI_T" '#{pane_pid}')
pid=$(pgrep -P "$shell" -f 'galley open t.nb.lua' | head -n 1)
[ -n "$pid" ] || fail "no galley process"
kill -SEGV "$pid"
tui_expect '^\$ ?$'
sh_run 's=$?; clear; echo "[exit $s]"; stty -g > crashed; cmp -s before crashed && echo RESTORED-AFTER-CRASH'
# 139 (SIGSEGV), or the sanitizer's exit status in a sanitized build.
tui_expect '^\[exit [1-9][0-9]*\]$'
tui_expect '^RESTORED-AFTER-CRASH$'

# Colours: on by default, off with NO_COLOR and on a vt100; the status
# line is then drawn reversed.
sh_run 'clear'
sh_run "'$GALLEY_BIN' open t.nb.lua"
tui_expect '^ NORMAL '
tmx capture-pane -e -p -t "$TUI_T" | grep -q '38;5;' || fail "no 256 colours"
tui_type ':q!'
tui_keys Enter
tui_expect '^\$ ?$'
for env in NO_COLOR=1 TERM=vt100; do
	sh_run 'clear'
	sh_run "$env '$GALLEY_BIN' open t.nb.lua"
	tui_expect '^ NORMAL '
	screen=$(tmx capture-pane -e -p -t t)
	echo "$screen" | grep -q '38;5;' && fail "colours with $env"
	echo "$screen" | grep -q "$(printf '\033')\\[7m NORMAL" ||
		echo "$screen" | grep -q "$(printf '\033')\\[[0-9;]*7m NORMAL" ||
		fail "the status line is not reversed with $env"
	tui_type ':q!'
	tui_keys Enter
	tui_expect '^\$ ?$'
done
echo ok

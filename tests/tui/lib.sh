# lib.sh - shared by the end-to-end TUI tests (tests/tui/t_*.sh): the real
# galley binary in a private tmux server, keys in with send-keys, the
# screen out with capture-pane, polled against a deadline (never a fixed
# sleep). Everything lives in one temporary directory: HOME, the tmux
# socket (TMUX_TMPDIR), the kernel's runtime directory, the notebooks.
# At the end the tmux server, galley and its kernel are stopped and the
# directory removed.
#
# Source it, then:
#   tui_start COLS ROWS ARGS...   start `galley ARGS` in a COLS x ROWS pane
#                                 (in $WORK, or $TUI_DIR when set; with
#                                 the VAR=value words of $TUI_ENV)
#   tui_keys KEY...               tmux send-keys (Enter, Escape, C-c, ...)
#   tui_type TEXT                 type TEXT literally
#   tui_expect REGEX [SECONDS]    wait until a screen line matches (grep -E)
#   tui_expect_gone REGEX [SEC]   wait until no line matches
#   tui_exit [SECONDS]            wait for galley to exit; status in TUI_STATUS
#   tui_exit_ok                   wait for galley to exit with 0
#   tui_screen                    the screen now
#   tui_git_repo DIR NAME EMAIL   a git repository with an identity
#   tui_kernel_tcp [PORT]         start the kernel of $GALLEY_RUNTIME_DIR
#                                 and make it listen on 127.0.0.1:PORT
#                                 (default a free one); TUI_ADDR names it
#   fail MESSAGE                  report (with the screen) and exit 1

set -eu

: "${GALLEY_BIN:?GALLEY_BIN must name the galley binary}"
: "${GALLEY_SRC:?GALLEY_SRC must name the source tree}"

T=$(mktemp -d /tmp/galley-tui.XXXXXX)
export TMUX_TMPDIR="$T/tmux"
export GALLEY_RUNTIME_DIR="$T/run"
export HOME="$T/home"
export XDG_CONFIG_HOME="$HOME/.config"
export LANG=C.UTF-8
export LC_ALL=C.UTF-8
unset TMUX GALLEY_KERNEL GALLEY_TOKEN GALLEY_TOKEN_FILE XDG_RUNTIME_DIR \
    NO_COLOR 2>/dev/null || true
mkdir -p "$TMUX_TMPDIR" "$HOME" "$T/work"
mkdir -m 700 "$GALLEY_RUNTIME_DIR"
WORK="$T/work"
TMUX_SOCK="galley-test-$$"
TUI_DEADLINE=${TUI_DEADLINE:-15}
# The tmux session the functions act on; a test with two clients sets
# TUI_T=u for the second one.
TUI_T=t

# exit-empty off: a test that ends a session and starts another must not
# race the server shutting down after its last session ("server exited
# unexpectedly"); tui_cleanup kills the server.
cat >"$T/tmux.conf" <<'EOF'
set -g exit-empty off
set -g remain-on-exit on
set -g status off
set -g default-terminal "tmux-256color"
set -g history-limit 100
EOF

tmx() {
	tmux -L "$TMUX_SOCK" -f "$T/tmux.conf" "$@"
}

tui_cleanup() {
	status=$?
	tmx kill-server >/dev/null 2>&1 || true
	"$GALLEY_BIN" kernel stop >/dev/null 2>&1 || true
	# The kernel exits after the stop request; make sure it is gone.
	if [ -f "$GALLEY_RUNTIME_DIR/kernel.pid" ]; then
		pid=$(cat "$GALLEY_RUNTIME_DIR/kernel.pid" 2>/dev/null || true)
		i=0
		# (A zombie is gone too: some containers' init never reaps.)
		while [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null &&
		    ! grep -q '^[0-9]* (.*) Z' "/proc/$pid/stat" 2>/dev/null &&
		    [ $i -lt 100 ]; do
			sleep 0.05
			i=$((i + 1))
		done
		[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null || true
	fi
	rm -rf "$T"
	exit $status
}
trap tui_cleanup EXIT
trap 'exit 1' INT TERM HUP

tui_screen() {
	tmx capture-pane -p -t "=$TUI_T:" 2>/dev/null || true
}

fail() {
	echo "FAIL: $*" >&2
	echo "--- screen ---" >&2
	tui_screen >&2
	echo "--------------" >&2
	if [ -n "${TUI_DEBUG:-}" ]; then
		ps -eo pid,ppid,stat,wchan:20,args | grep -E 'galley|tmux' |
		    grep -v grep >&2
	fi
	if [ -f "$GALLEY_RUNTIME_DIR/kernel.log" ]; then
		echo "--- kernel.log (tail) ---" >&2
		tail -n 20 "$GALLEY_RUNTIME_DIR/kernel.log" >&2
	fi
	exit 1
}

# galley runs under a small shell that prints its exit status and then
# waits: the status is read from the screen. (tmux 3.3a sometimes leaves
# a dead pane's process unreaped, so #{pane_dead_status} is not reliable.)
tui_status() {
	tui_screen | sed -n 's/^\[galley exited \([0-9]*\)\]$/\1/p' | tail -n 1
}

tui_dead() {
	[ -n "$(tui_status)" ]
}

# tui_start COLS ROWS ARGS...: galley ARGS in a fresh pane, in $WORK (or
# in $TUI_DIR when set).
tui_start() {
	cols=$1
	rows=$2
	shift 2
	cmd="cd '${TUI_DIR:-$WORK}' && ${TUI_ENV:+env $TUI_ENV }'$GALLEY_BIN'"
	for a in "$@"; do
		cmd="$cmd '$a'"
	done
	cmd="$cmd; echo \"[galley exited \$?]\"; read x"
	tmx new-session -d -x "$cols" -y "$rows" -s "$TUI_T" "$cmd"
}

tui_keys() {
	tmx send-keys -t "=$TUI_T:" "$@"
}

tui_type() {
	tmx send-keys -t "=$TUI_T:" -l -- "$1"
}

_deadline() {
	echo $(( $(date +%s) + ${1:-$TUI_DEADLINE} ))
}

tui_expect() {
	dl=$(_deadline "${2:-}")
	while :; do
		if tui_screen | grep -Eq -- "$1"; then
			return 0
		fi
		if tui_dead; then
			# What galley printed as it exited may have come after
			# the look above: the screen is final now, look again.
			tui_screen | grep -Eq -- "$1" && return 0
			fail "galley exited (status $(tui_status)) while" \
			    "waiting for /$1/"
		fi
		[ "$(date +%s)" -ge "$dl" ] && fail "no /$1/ on the screen"
		sleep 0.05
	done
}

tui_expect_gone() {
	dl=$(_deadline "${2:-}")
	while tui_screen | grep -Eq -- "$1"; do
		if tui_dead; then
			tui_screen | grep -Eq -- "$1" || return 0
			fail "galley exited while waiting for /$1/ to go"
		fi
		[ "$(date +%s)" -ge "$dl" ] && fail "/$1/ stays on the screen"
		sleep 0.05
	done
}

# tui_exit [SECONDS]: waits until galley exits; its exit status goes to
# TUI_STATUS. (Not a command substitution: a subshell would run the EXIT
# trap and tear everything down.)
tui_exit() {
	dl=$(_deadline "${1:-}")
	while :; do
		TUI_STATUS=$(tui_status)
		[ -n "$TUI_STATUS" ] && return 0
		[ "$(date +%s)" -ge "$dl" ] && fail "galley did not exit"
		sleep 0.05
	done
}

# tui_exit_ok: waits for galley to exit with status 0.
tui_exit_ok() {
	tui_exit "$@"
	[ "$TUI_STATUS" = 0 ] || fail "galley exited with status $TUI_STATUS"
}

# tui_git_repo DIR NAME EMAIL: a new git repository at DIR (branch main)
# whose config holds an identity, for the tests of galley's git side. A
# test on a machine without the git command is skipped.
tui_git_repo() {
	if ! command -v git >/dev/null 2>&1; then
		echo "skipped: no git command to build the repository with"
		exit 0
	fi
	export GIT_CONFIG_NOSYSTEM=1
	mkdir -p "$1"
	git -C "$1" init -q -b main
	git -C "$1" config user.name "$2"
	git -C "$1" config user.email "$3"
}

# tui_kill_session: ends the pane (after an exit) so a new one can start.
tui_kill_session() {
	tmx kill-session -t "=$TUI_T" >/dev/null 2>&1 || true
}

# tui_kernel_tcp [PORT]: the kernel of this runtime directory, started if
# none runs, listening on TCP 127.0.0.1:PORT (0 or none: a free port); its
# address goes to TUI_ADDR. Its owner's token is the runtime directory's
# token file, which a client reads by default.
tui_kernel_tcp() {
	# A kernel started in the background, as `galley open` starts one.
	printf -- '-- %%%% id="k"\nlocal k = 1\n' >"$T/kstart.nb.lua"
	"$GALLEY_BIN" run "$T/kstart.nb.lua" >/dev/null ||
	    fail "no kernel started"
	out=$("$GALLEY_BIN" kernel --listen "127.0.0.1:${1:-0}") ||
	    fail "the kernel does not listen on TCP: $out"
	TUI_ADDR=$(echo "$out" | sed -n 's/.*listens on tcp \([0-9.:]*\).*/\1/p')
	[ -n "$TUI_ADDR" ] || fail "no address in: $out"
}

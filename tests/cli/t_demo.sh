# t_demo.sh - `make demo` leaves galley where a new shell finds it: the
# binary is installed in ~/.local/bin (as a user; /usr/local/bin as root,
# not tried here), the script says where, and a new login shell with
# Debian's ~/.profile runs it. Without a terminal the demo runs the tour
# headless. Everything happens in a temporary HOME with a stand-in `id`
# that answers a user's uid; the kernel the demo starts is stopped.
set -eu
: "${GALLEY_BIN:?GALLEY_BIN must name the galley binary}"
: "${GALLEY_SRC:?GALLEY_SRC must name the source tree}"

T=$(mktemp -d /tmp/galley-demo.XXXXXX)
export HOME="$T/home"
export GALLEY_RUNTIME_DIR="$T/run"
unset GALLEY_KERNEL GALLEY_TOKEN GALLEY_TOKEN_FILE XDG_RUNTIME_DIR \
    2>/dev/null || true
mkdir -p "$HOME" "$T/shim" "$T/build"
mkdir -m 700 "$GALLEY_RUNTIME_DIR"

cleanup() {
	status=$?
	"$GALLEY_BIN" kernel stop >/dev/null 2>&1 || true
	rm -rf "$T"
	exit $status
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

fail() {
	echo "FAIL: $*" >&2
	echo "--- stderr of the demo:" >&2
	cat "$T/err" >&2 2>/dev/null || true
	exit 1
}

# A user's uid, whoever runs the test.
printf '#!/bin/sh\n[ "${1:-}" = -u ] && { echo 1000; exit 0; }\nexec /usr/bin/id "$@"\n' \
    >"$T/shim/id"
chmod +x "$T/shim/id"
# The demo copies its example next to the binary: a copy of the binary
# keeps that out of the build tree.
cp "$GALLEY_BIN" "$T/build/galley"
# A PATH without any ~/.local/bin, as on a fresh account.
path=$(echo "$PATH" | tr ':' '\n' | grep -v '/\.local/bin$' | paste -sd: -)

# No ~/.profile that adds ~/.local/bin: the demo says what to add.
PATH="$T/shim:$path" sh "$GALLEY_SRC/scripts/demo.sh" "$T/build/galley" \
    </dev/null >"$T/out" 2>"$T/err" || fail "demo exited $?"
[ -x "$HOME/.local/bin/galley" ] || fail "not installed in ~/.local/bin"
grep -qF "galley: installed $HOME/.local/bin/galley" "$T/err" ||
    fail "the demo did not say where galley went"
grep -qF "export PATH=\"$HOME/.local/bin:\$PATH\"" "$T/err" ||
    fail "the demo did not say how to put ~/.local/bin on PATH"
grep -q '^first 10 Fibonacci numbers:$' "$T/out" ||
    fail "the headless demo did not run the tour"
[ -f "$T/build/demo/tour.nb.lua" ] || fail "no copy of the tour"

# With Debian's ~/.profile, a new login shell finds it; the demo says so.
cp /etc/skel/.profile "$HOME/.profile" 2>/dev/null ||
    printf 'if [ -d "$HOME/.local/bin" ] ; then\n    PATH="$HOME/.local/bin:$PATH"\nfi\n' \
    >"$HOME/.profile"
PATH="$T/shim:$path" sh "$GALLEY_SRC/scripts/demo.sh" "$T/build/galley" \
    </dev/null >"$T/out" 2>"$T/err" || fail "second demo exited $?"
grep -qF "$HOME/.local/bin is on your PATH in a new login shell" "$T/err" ||
    fail "the demo did not say a new shell finds galley"
found=$(env -i HOME="$HOME" TERM=dumb sh -lc 'command -v galley') ||
    fail "a new login shell does not find galley"
[ "$found" = "$HOME/.local/bin/galley" ] ||
    fail "a new login shell finds $found"
env -i HOME="$HOME" TERM=dumb sh -lc 'galley --version' | grep -q '^galley ' ||
    fail "galley --version in a new shell"
echo ok

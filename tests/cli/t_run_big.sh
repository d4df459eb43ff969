# t_run_big.sh - `galley run nb >file` of a cell that prints 100 MiB gets
# every byte, in order: a client that falls behind a cell printing as
# fast as it can is held, not dropped (tests/kernel/test_server.c checks
# the kernel's memory meanwhile). Each line carries its number, so a lost
# or repeated line shows.
set -eu
: "${GALLEY_BIN:?GALLEY_BIN must name the galley binary}"

T=$(mktemp -d /tmp/galley-runbig.XXXXXX)
export GALLEY_RUNTIME_DIR="$T/run"
unset GALLEY_KERNEL GALLEY_TOKEN GALLEY_TOKEN_FILE XDG_RUNTIME_DIR \
    2>/dev/null || true
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
	exit 1
}

# 1,048,576 lines of 100 bytes: "%09d " then 89 x's and a newline.
cat >"$T/big.nb.lua" <<'NB'
-- %% id="big"
local pad = string.rep("x", 89)
for i = 1, 1048576 do print(string.format("%09d %s", i, pad)) end
NB

"$GALLEY_BIN" run -q "$T/big.nb.lua" >"$T/out" 2>"$T/err" ||
    { cat "$T/err" >&2; fail "galley run exited $?"; }
size=$(wc -c <"$T/out")
[ "$size" -eq 104857600 ] || fail "got $size bytes, not 104857600"
awk -v pad="$(printf '%089d' 0 | tr 0 x)" '
	$0 != sprintf("%09d %s", NR, pad) { print "line " NR ": " $0; bad = 1; exit }
	END { if (!bad && NR != 1048576) { print NR " lines"; bad = 1 }
	      exit bad }' "$T/out" >"$T/bad" || fail "$(cat "$T/bad")"

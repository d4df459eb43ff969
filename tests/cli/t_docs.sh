# t_docs.sh - the documents' shell sessions do what their text says.
# Every ```console block of README.md, docs/getting-started.md,
# docs/format.md and docs/plugins.md runs, command by command, after the
# ```lua file=NAME blocks before it are saved (doc_steps.awk says the
# marks; NAME may be in a directory, made if missing); each command
# must exit as shown and print exactly the lines shown (doc_match.awk).
# Each document runs in a directory of its own holding a copy of
# examples/, as in a checkout, with `galley` on PATH, in a temporary HOME
# and runtime directory, with EDITOR=true (the tour opens an editor). The
# kernel the sessions start is stopped at the end.
set -eu
: "${GALLEY_BIN:?GALLEY_BIN must name the galley binary}"
: "${GALLEY_SRC:?GALLEY_SRC must name the source tree}"

here=$(cd "$(dirname "$0")" && pwd)
T=$(mktemp -d /tmp/galley-docs.XXXXXX)
export HOME="$T/home"
export GALLEY_RUNTIME_DIR="$T/run"
export XDG_CONFIG_HOME="$HOME/.config"
export EDITOR=true
export LANG=C.UTF-8 LC_ALL=C.UTF-8
unset GALLEY_KERNEL GALLEY_TOKEN GALLEY_TOKEN_FILE XDG_RUNTIME_DIR \
    XDG_STATE_HOME 2>/dev/null || true
mkdir -p "$HOME" "$T/bin"
mkdir -m 700 "$GALLEY_RUNTIME_DIR"
ln -s "$GALLEY_BIN" "$T/bin/galley"
export PATH="$T/bin:$PATH"

cleanup() {
	status=$?
	"$GALLEY_BIN" kernel stop >/dev/null 2>&1 || true
	if [ -f "$GALLEY_RUNTIME_DIR/kernel.pid" ]; then
		pid=$(cat "$GALLEY_RUNTIME_DIR/kernel.pid" 2>/dev/null || true)
		i=0
		# Bounded wait for the kernel to go (a zombie counts as gone).
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
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

failures=0
steps=0

doc_error() {
	echo "FAIL $1: $2" >&2
	failures=$((failures + 1))
}

doc_file() {
	mkdir -p "$(dirname "$1")"
	cat >"$1"
}

doc_cmd() {
	where=$1
	cmd=$2
	cat >"$T/want"
	want_status=0
	last=$(tail -n 1 "$T/want")
	case $last in
	"[exit "*"]")
		want_status=${last#\[exit }
		want_status=${want_status%\]}
		sed '$d' "$T/want" >"$T/want.lines"
		;;
	*)
		cp "$T/want" "$T/want.lines"
		;;
	esac
	steps=$((steps + 1))
	status=0
	timeout 120 sh -c "$cmd" </dev/null >"$T/got" 2>&1 || status=$?
	if [ "$status" != "$want_status" ] ||
	    ! awk -f "$here/doc_match.awk" "$T/want.lines" "$T/got"; then
		{
			echo "FAIL $where: \$ $cmd"
			echo "--- the text shows (exit $want_status):"
			cat "$T/want.lines"
			echo "--- it printed (exit $status):"
			cat "$T/got"
			echo "---"
		} >&2
		failures=$((failures + 1))
	fi
}

for doc in README.md docs/getting-started.md docs/format.md \
    docs/plugins.md; do
	name=$(echo "$doc" | tr '/.' '__')
	mkdir -p "$T/$name"
	cp -R "$GALLEY_SRC/examples" "$T/$name/examples"
	before=$steps
	(cd "$GALLEY_SRC" && awk -f "$here/doc_steps.awk" "$doc") \
	    >"$T/$name.steps"
	# The steps run in this shell (doc_cmd counts), in the document's
	# directory.
	cd "$T/$name"
	. "$T/$name.steps"
	cd "$T"
	[ "$steps" -gt "$before" ] || doc_error "$doc" "no \`\`\`console block ran"
done
if [ "$failures" -gt 0 ]; then
	echo "$failures of $steps documented commands did not do what the text says" >&2
	exit 1
fi
echo "ok: $steps documented commands"

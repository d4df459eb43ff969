#!/bin/sh
# demo.sh GALLEY - installs GALLEY where a new shell finds it (~/.local/bin,
# or /usr/local/bin as root) and says where, so the README's tour works as
# written; then opens the example notebook in the terminal UI with a local
# kernel. The example is copied next to the binary first (build/demo/ for
# `make demo`), so what you change there leaves the repository's copy
# alone. Without a terminal (in a pipe, in CI) it runs the notebook
# headless instead.
set -eu
galley=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
src=$(cd "$(dirname "$0")/.." && pwd)
demo=$(dirname "$galley")/demo

if [ "$(id -u)" = 0 ]; then
	bindir=/usr/local/bin
else
	bindir=$HOME/.local/bin
fi
mkdir -p "$bindir"
# Copy then rename: a kernel started by an earlier demo may be running the
# old file, which a plain copy over it could not replace (text file busy).
cp "$galley" "$bindir/.galley.$$"
chmod 0755 "$bindir/.galley.$$"
mv -f "$bindir/.galley.$$" "$bindir/galley"
echo "galley: installed $bindir/galley" >&2
case ":${PATH:-}:" in
*":$bindir:"*)
	found=$(command -v galley || true)
	if [ "$found" != "$bindir/galley" ]; then
		echo "galley: note: \`galley\` in this shell is $found, found" \
		    "before $bindir/galley on your PATH" >&2
	fi
	;;
*)
	if [ "$bindir" = "$HOME/.local/bin" ] &&
	    grep -qs '\.local/bin' "$HOME/.profile"; then
		echo "galley: $bindir is on your PATH in a new login shell" \
		    "(~/.profile adds it)" >&2
	else
		echo "galley: $bindir is not on your PATH; add this line to" \
		    "~/.profile (or your shell's rc file):" >&2
		echo "    export PATH=\"$bindir:\$PATH\"" >&2
	fi
	;;
esac

mkdir -p "$demo"
[ -f "$demo/tour.nb.lua" ] || cp "$src/examples/tour.nb.lua" "$demo/tour.nb.lua"
if [ -t 0 ] && [ -t 1 ]; then
	exec "$galley" open "$demo/tour.nb.lua"
fi
echo "no terminal: galley run $demo/tour.nb.lua" >&2
exec "$galley" run "$demo/tour.nb.lua"

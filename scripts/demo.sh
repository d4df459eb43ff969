#!/bin/sh
# demo.sh GALLEY - opens the example notebook in the terminal UI with a
# local kernel. The example is copied to build/demo/ first, so what you
# change there leaves the repository's copy alone. Without a terminal
# (in a pipe, in CI) it runs the notebook headless instead.
set -eu
galley=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
cd "$(dirname "$0")/.."
mkdir -p build/demo
[ -f build/demo/tour.nb.lua ] || cp examples/tour.nb.lua build/demo/tour.nb.lua
if [ -t 0 ] && [ -t 1 ]; then
	exec "$galley" open build/demo/tour.nb.lua
fi
echo "no terminal: galley run build/demo/tour.nb.lua" >&2
exec "$galley" run build/demo/tour.nb.lua

#!/bin/sh
# demo.sh GALLEY - opens the example notebook. Until the terminal UI lands
# it runs the notebook headless through a local kernel, then stops that
# kernel if this script started it.
set -eu
galley=$1
cd "$(dirname "$0")/.."
had_kernel=0
"$galley" kernel status >/dev/null 2>&1 && had_kernel=1
echo "galley run examples/tour.nb.lua" >&2
status=0
"$galley" run examples/tour.nb.lua || status=$?
[ "$had_kernel" = 1 ] || "$galley" kernel stop >/dev/null 2>&1 || true
exit $status

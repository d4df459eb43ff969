#!/bin/sh
# run.sh BUILD - prints every benchmark's figures (an optimised build).
set -eu
b=$1
echo "== notebook parse/print"
"$b/bench_notebook"
echo "== kernel"
"$b/bench_kernel" "$b/galley"

#!/bin/sh
# run.sh BUILD - prints every benchmark's figures (an optimised build).
set -eu
b=$1
run() {
	name=$1
	shift
	if [ -x "$b/$name" ]; then
		echo "== $name"
		"$b/$name" "$@"
	fi
}
run bench_notebook
run bench_kernel "$b/galley"
run bench_secure "$b/galley"
run bench_pair "$b/galley"
run bench_codec
run bench_sched
run bench_cluster "$b/galley"
run bench_tui "$b/galley"
run bench_run "$b/galley"
run bench_output "$b/galley"
run bench_review "$b/galley"
run bench_plugins "$b/galley"
run bench_registry "$b/galley"

#!/bin/sh
# run.sh BUILD SECONDS - runs every fuzz target for SECONDS each, from its
# seed corpus (fuzz/corpus/NAME), in a scratch copy so seeds stay clean.
# What a failing target leaves (crash-*, leak-*, timeout-* inputs) is kept
# in BUILD/fuzz-artifacts/ to reproduce with `BUILD/fuzz_NAME FILE`.
set -eu
build=$1
secs=$2
src=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
artifacts="$build/fuzz-artifacts"
mkdir -p "$artifacts"
status=0
ran=0
for bin in "$build"/fuzz_*; do
	[ -x "$bin" ] || continue
	ran=$((ran + 1))
	name=$(basename "$bin" | sed 's/^fuzz_//')
	mkdir -p "$work/$name"
	if [ -d "$src/corpus/$name" ]; then
		cp -r "$src/corpus/$name/." "$work/$name/" 2>/dev/null || true
	fi
	echo "fuzz: $name for ${secs}s"
	if ! "$bin" -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 \
	    -print_final_stats=0 -artifact_prefix="$artifacts/$name-" \
	    "$work/$name" >"$work/$name.log" 2>&1; then
		echo "fuzz: $name FAILED"
		tail -n 40 "$work/$name.log"
		ls "$artifacts/$name"-* 2>/dev/null || true
		status=1
	else
		grep -E '^#[0-9]+.*DONE' "$work/$name.log" | tail -n 1 || true
	fi
done
if [ "$ran" -eq 0 ]; then
	echo "fuzz: no fuzz_* targets in $build (build with -DGALLEY_FUZZ=ON)" >&2
	exit 1
fi
echo "fuzz: done"
exit $status

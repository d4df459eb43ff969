#!/bin/sh
# sshd-down.sh - stop the private sshd that scripts/sshd-up.sh started in
# DIR, by the pid in its pid file (never by name): SIGTERM, then SIGKILL
# after 5 s. A session it still serves runs in a per-connection sshd, a
# child of the listener that outlives it: those children are stopped the
# same way, and so is what their commands started. Idempotent. Leaves
# DIR (the log is worth reading); the caller removes it.
set -u

dir=${1:-}
if [ -z "$dir" ]; then
	echo "usage: sshd-down.sh DIR" >&2
	exit 2
fi
[ -d "$dir" ] || exit 0
dir=$(cd "$dir" && pwd -P)

alive_pid() {
	case "$1" in ''|*[!0-9]*) return 1 ;; esac
	[ -d "/proc/$1" ] || return 1
	st=$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "/proc/$1/status" \
	    2>/dev/null || true)
	[ -n "$st" ] && [ "$st" != Z ]
}

stop_pid() {
	kill -TERM "$1" 2>/dev/null || return 0
	i=0
	while alive_pid "$1" && [ $i -lt 50 ]; do
		sleep 0.1
		i=$(( i + 1 ))
	done
	alive_pid "$1" && kill -KILL "$1" 2>/dev/null
	return 0
}

# The children of pid $1 (the ppid field of /proc/*/stat).
children() {
	awk -v pp="$1" '{ sub(/^.*\) /, ""); if ($2 == pp) {
	    split(FILENAME, a, "/"); print a[3] } }' /proc/[0-9]*/stat \
	    2>/dev/null || true
}

pid=$(cat "$dir/sshd.pid" 2>/dev/null || true)
if alive_pid "$pid" &&
    { tr '\0' ' ' <"/proc/$pid/cmdline"; } 2>/dev/null | grep -qF "$dir/"; then
	# The whole tree under the listener, gathered before anything dies
	# (orphans are re-parented and could not be found afterwards).
	tree=""
	todo=$pid
	while [ -n "$todo" ]; do
		next=""
		for t in $todo; do
			c=$(children "$t")
			tree="$tree $c"
			next="$next $c"
		done
		# shellcheck disable=SC2086
		todo=$(printf '%s ' $next)
		todo=${todo% }
	done
	stop_pid "$pid"
	for k in $tree; do
		alive_pid "$k" && stop_pid "$k"
	done
fi
rm -f "$dir/sshd.pid"
exit 0

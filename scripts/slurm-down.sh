#!/bin/sh
# slurm-down.sh - stop the private Slurm that scripts/slurm-up.sh started in
# DIR (or $GALLEY_SLURM_DIR): scancel the jobs left, wait (bounded) until
# squeue is empty, then stop slurmd, slurmctld and munged by the pids in
# their pid files, never by name. A job step's slurmstepd can outlive
# slurmd: what still carries the marker the daemons were started with
# (GALLEY_SLURM_DAEMON=DIR in its environment) is killed last.
# Idempotent: safe to run twice, or on a directory whose daemons are gone.
# Leaves DIR itself (logs are worth reading); the caller removes it.
set -u

dir=${1:-${GALLEY_SLURM_DIR:-}}
if [ -z "$dir" ]; then
	echo "usage: slurm-down.sh DIR (or set GALLEY_SLURM_DIR)" >&2
	exit 2
fi
[ -d "$dir" ] || exit 0
dir=$(cd "$dir" && pwd -P)
PATH=$PATH:/usr/sbin:/sbin
wait_s=${GALLEY_SLURM_DOWN_TIMEOUT:-30}

alive_pid() {
	case "$1" in ''|*[!0-9]*) return 1 ;; esac
	[ -d "/proc/$1" ] || return 1
	st=$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "/proc/$1/status" \
	    2>/dev/null || true)
	[ -n "$st" ] && [ "$st" != Z ]
}
pid_of() {
	[ -s "$dir/run/$1.pid" ] && cat "$dir/run/$1.pid" 2>/dev/null
}
# The pid file must name the daemon we started with this directory's
# config or socket: a stale pid file whose pid was reused is left alone.
ours() {
	alive_pid "$1" || return 1
	{ tr '\0' ' ' <"/proc/$1/cmdline"; } 2>/dev/null | grep -qF "$dir/"
}

# stop NAME: SIGTERM by pid, wait up to 10 s, then SIGKILL.
stop() {
	p=$(pid_of "$1" || true)
	if [ -n "$p" ] && ours "$p"; then
		kill -TERM "$p" 2>/dev/null || true
		i=0
		while alive_pid "$p" && [ $i -lt 100 ]; do
			sleep 0.1
			i=$(( i + 1 ))
		done
		if alive_pid "$p"; then
			echo "slurm-down: $1 (pid $p) ignored SIGTERM; killing" >&2
			kill -KILL "$p" 2>/dev/null || true
		fi
	fi
	rm -f "$dir/run/$1.pid"
}

if [ -s "$dir/slurm.conf" ]; then
	export SLURM_CONF="$dir/slurm.conf"
	ctld=$(pid_of slurmctld || true)
	if [ -n "$ctld" ] && ours "$ctld"; then
		jobs=$(squeue -h -o %A 2>/dev/null || true)
		if [ -n "$jobs" ]; then
			# shellcheck disable=SC2086
			scancel $jobs 2>/dev/null || true
			start=$(date +%s)
			while [ -n "$(squeue -h -o %A 2>/dev/null || true)" ]; do
				if [ $(( $(date +%s) - start )) -ge "$wait_s" ]; then
					echo "slurm-down: jobs still in squeue" \
					    "after ${wait_s}s:" >&2
					squeue >&2 2>/dev/null || true
					break
				fi
				sleep 0.2
			done
		fi
	fi
fi

stop slurmd
stop slurmctld

# Leftovers of this directory's daemons (a slurmstepd, a job's process).
marker="GALLEY_SLURM_DAEMON=$dir"
for e in /proc/[0-9]*/environ; do
	p=${e#/proc/}
	p=${p%/environ}
	[ "$p" = "$$" ] && continue
	if { tr '\0' '\n' <"$e"; } 2>/dev/null | grep -qxF "$marker"; then
		# munged is stopped last, by its pid file.
		[ "$p" = "$(pid_of munged || true)" ] && continue
		kill -KILL "$p" 2>/dev/null || true
	fi
done

stop munged
rm -f "$dir/munge/munge.socket" "$dir/munge/munge.socket.lock"
exit 0

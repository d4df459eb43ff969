#!/bin/sh
# slurm-up.sh - bring up a private single-node Slurm on this machine: munged,
# slurmctld and slurmd from Debian's packages, started without systemd, with
# everything (config, state, spool, logs, pid files, munge socket and key) in
# one directory. For the cluster tests (tests/kernel/test_launch.c) and for
# trying the slurm launcher by hand. Facts it rests on: shared/SLURM-NOTES.md.
#
#   scripts/slurm-up.sh [DIR]        (or $GALLEY_SLURM_DIR)
#
# Ready when `sinfo -h -n NODE -o %T` prints idle. It then writes DIR/env,
# which a shell or a test sources, and prints it:
#
#   export SLURM_CONF=DIR/slurm.conf
#   export GALLEY_SLURM_NODE=NODE GALLEY_SLURM_PARTITION=debug
#
# Environment: GALLEY_SLURM_CPUS (CPUs the node advertises; default
# max(nproc, 8), so tests can run more workers than cores),
# GALLEY_SLURM_TIMEOUT (seconds to wait for idle; default 60).
# Idempotent: daemons already running from DIR are kept. Stop everything
# with scripts/slurm-down.sh DIR (by pid, never by name).
set -eu

dir=${1:-${GALLEY_SLURM_DIR:-}}
if [ -z "$dir" ]; then
	echo "usage: slurm-up.sh DIR (or set GALLEY_SLURM_DIR)" >&2
	exit 2
fi
for t in munged mungekey slurmctld slurmd sinfo; do
	if ! command -v "$t" >/dev/null 2>&1 &&
	    ! [ -x "/usr/sbin/$t" ]; then
		echo "slurm-up: $t not found (scripts/setup.sh installs" \
		    "slurmctld slurmd slurm-client munge)" >&2
		exit 3
	fi
done
PATH=$PATH:/usr/sbin:/sbin
mkdir -p "$dir"
dir=$(cd "$dir" && pwd -P)
timeout=${GALLEY_SLURM_TIMEOUT:-60}
user=$(id -un)
node=$(hostname -s)

# alive PIDFILE: true when the pid in PIDFILE runs (and is not a zombie).
alive() {
	[ -s "$1" ] || return 1
	p=$(cat "$1" 2>/dev/null) || return 1
	case "$p" in ''|*[!0-9]*) return 1 ;; esac
	[ -d "/proc/$p" ] || return 1
	st=$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "/proc/$p/status" \
	    2>/dev/null || true)
	[ "$st" != Z ]
}

# free_port: a TCP port nothing listens on (from /proc/net/tcp{,6}).
used_ports() {
	cat /proc/net/tcp /proc/net/tcp6 2>/dev/null |
	    awk 'NR > 1 && $4 == "0A" { split($2, a, ":"); print a[2] }'
}
free_port() {
	used=$(used_ports)
	p=$(( 20000 + ($$ * 7 + $1) % 30000 ))
	i=0
	while [ $i -lt 500 ]; do
		hex=$(printf '%04X' "$p")
		if ! echo "$used" | grep -qx "$hex"; then
			echo "$p"
			return 0
		fi
		p=$(( p + 1 ))
		[ $p -gt 60000 ] && p=20000
		i=$(( i + 1 ))
	done
	echo "slurm-up: no free TCP port" >&2
	return 1
}

log() { echo "slurm-up: $*" >&2; }
fail() {
	log "$*"
	for f in slurmctld.log slurmd.log munged.log; do
		if [ -s "$dir/log/$f" ]; then
			echo "--- $dir/log/$f (last lines)" >&2
			tail -n 15 "$dir/log/$f" >&2
		fi
	done
	exit 1
}

mkdir -p "$dir/state" "$dir/spool" "$dir/log" "$dir/run" "$dir/munge" \
    "$dir/munge-key"
chmod 0755 "$dir" "$dir/munge" "$dir/run"
chmod 0700 "$dir/munge-key"

# The daemons and everything they start carry this marker in their
# environment: slurm-down.sh finds a leftover slurmstepd by it, never by name.
marker="GALLEY_SLURM_DAEMON=$dir"

# --- munge
sock="$dir/munge/munge.socket"
# munged refuses a socket under a directory others cannot search.
d=$dir
while [ "$d" != / ] && [ -n "$d" ]; do
	if [ -z "$(find "$d" -maxdepth 0 -perm -o=x 2>/dev/null)" ]; then
		fail "munged needs every directory above its socket to be" \
		    "searchable by all: $d is not (chmod o+x $d)"
	fi
	d=$(dirname "$d")
done
if ! alive "$dir/run/munged.pid"; then
	if [ ! -s "$dir/munge-key/munge.key" ]; then
		mungekey --create --keyfile="$dir/munge-key/munge.key" ||
		    fail "mungekey failed"
	fi
	chmod 0400 "$dir/munge-key/munge.key"
	rm -f "$sock" "$sock.lock"
	env "$marker" munged --socket="$sock" \
	    --key-file="$dir/munge-key/munge.key" \
	    --pid-file="$dir/run/munged.pid" \
	    --log-file="$dir/log/munged.log" \
	    --seed-file="$dir/munge/munged.seed" ||
	    fail "munged did not start"
fi
if ! munge -S "$sock" -n | unmunge -S "$sock" >/dev/null 2>&1; then
	fail "munge credential round trip failed on $sock"
fi

# --- slurm.conf (kept if it exists: its ports belong to the running daemons)
conf="$dir/slurm.conf"
if [ ! -s "$conf" ]; then
	cpus_real=$(nproc)
	cpus=${GALLEY_SLURM_CPUS:-$(( cpus_real > 8 ? cpus_real : 8 ))}
	mem=$(slurmd -C 2>/dev/null | sed -n 's/.*RealMemory=\([0-9]*\).*/\1/p')
	[ -n "$mem" ] || mem=1024
	mem=$(( mem * 9 / 10 ))
	ctld_port=$(free_port 0)
	slurmd_port=$(free_port 1)
	[ "$slurmd_port" = "$ctld_port" ] && slurmd_port=$(free_port 3)
	overrides=""
	[ "$cpus" -gt "$cpus_real" ] && overrides="SlurmdParameters=config_overrides"
	cat >"$conf.tmp" <<CONF
# Written by galley's scripts/slurm-up.sh: a private single-node Slurm.
ClusterName=galley
SlurmctldHost=$node(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=$user
SlurmdUser=$user
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$sock
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool/%n
SlurmctldPidFile=$dir/run/slurmctld.pid
SlurmdPidFile=$dir/run/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SwitchType=switch/none
MpiDefault=none
MailProg=/bin/true
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
SchedulerParameters=batch_sched_delay=0
KillWait=5
InactiveLimit=20
MinJobAge=300
$overrides
NodeName=$node NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=$node Default=YES MaxTime=INFINITE State=UP
CONF
	mv "$conf.tmp" "$conf"
fi
export SLURM_CONF="$conf"

# --- slurmctld, slurmd
if ! alive "$dir/run/slurmctld.pid"; then
	env "$marker" slurmctld -f "$conf" || fail "slurmctld did not start"
fi
if ! alive "$dir/run/slurmd.pid"; then
	env "$marker" slurmd -f "$conf" || fail "slurmd did not start"
fi

# --- wait for the node to be idle
start=$(date +%s)
state=""
while :; do
	state=$(sinfo -h -n "$node" -o %T 2>/dev/null | head -n 1 || true)
	case "$state" in
	idle) break ;;
	drain*)
		fail "node $node is $state: $(sinfo -h -R 2>/dev/null)" ;;
	esac
	if [ $(( $(date +%s) - start )) -ge "$timeout" ]; then
		fail "node $node not idle after ${timeout}s (state '$state')"
	fi
	sleep 0.2
done

cat >"$dir/env.tmp" <<ENV
export SLURM_CONF=$conf
export GALLEY_SLURM_DIR=$dir
export GALLEY_SLURM_NODE=$node
export GALLEY_SLURM_PARTITION=debug
ENV
mv "$dir/env.tmp" "$dir/env"
cat "$dir/env"

#!/bin/sh
# sshd-up.sh - a private sshd on a loopback port, for the ssh launcher's
# tests and for trying it by hand: a throwaway host key and user key, an
# authorized_keys for the current user, the config, pid file and log, all
# in one directory. Stop it with scripts/sshd-down.sh DIR (by pid).
#
#   scripts/sshd-up.sh DIR [PORT]     (PORT: a free one is picked)
#
# When sshd answers (a real `ssh ... true` through it succeeds) it writes
# DIR/env, which a shell or a test sources, and prints it:
#
#   export GALLEY_SSHD_PORT=PORT GALLEY_SSH_HOST=USER@127.0.0.1:PORT
#   export GALLEY_SSH_KEY=DIR/user_key GALLEY_SSH_CONFIG=DIR/ssh_config
#
# DIR/ssh_config holds the client options (key, known_hosts with the
# throwaway host key, strict checking): `ssh -F DIR/ssh_config galley-test`.
# Idempotent: an sshd already running from DIR is kept.
set -eu

dir=${1:-}
port=${2:-}
if [ -z "$dir" ]; then
	echo "usage: sshd-up.sh DIR [PORT]" >&2
	exit 2
fi
sshd=/usr/sbin/sshd
if [ ! -x "$sshd" ] || ! command -v ssh >/dev/null 2>&1 ||
    ! command -v ssh-keygen >/dev/null 2>&1; then
	echo "sshd-up: sshd, ssh or ssh-keygen not found (scripts/setup.sh" \
	    "installs openssh-server openssh-client)" >&2
	exit 3
fi
mkdir -p "$dir"
dir=$(cd "$dir" && pwd -P)
chmod 0700 "$dir"
user=$(id -un)
timeout=${GALLEY_SSHD_TIMEOUT:-20}

alive() {
	[ -s "$1" ] || return 1
	p=$(cat "$1" 2>/dev/null) || return 1
	case "$p" in ''|*[!0-9]*) return 1 ;; esac
	[ -d "/proc/$p" ] || return 1
	st=$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "/proc/$p/status" \
	    2>/dev/null || true)
	[ -n "$st" ] && [ "$st" != Z ]
}

used_ports() {
	cat /proc/net/tcp /proc/net/tcp6 2>/dev/null |
	    awk 'NR > 1 && $4 == "0A" { split($2, a, ":"); print a[2] }'
}
free_port() {
	used=$(used_ports)
	p=$(( 20000 + ($$ * 13) % 30000 ))
	i=0
	while [ $i -lt 500 ]; do
		if ! echo "$used" | grep -qx "$(printf '%04X' "$p")"; then
			echo "$p"
			return 0
		fi
		p=$(( p + 1 ))
		[ $p -gt 60000 ] && p=20000
		i=$(( i + 1 ))
	done
	echo "sshd-up: no free TCP port" >&2
	return 1
}

fail() {
	echo "sshd-up: $*" >&2
	if [ -s "$dir/sshd.log" ]; then
		echo "--- $dir/sshd.log (last lines)" >&2
		tail -n 15 "$dir/sshd.log" >&2
	fi
	exit 1
}

if [ -s "$dir/port" ]; then
	port=$(cat "$dir/port")
fi
if ! alive "$dir/sshd.pid"; then
	[ -s "$dir/host_key" ] ||
	    ssh-keygen -q -t ed25519 -N '' -C galley-test-host \
	        -f "$dir/host_key" >/dev/null
	[ -s "$dir/user_key" ] ||
	    ssh-keygen -q -t ed25519 -N '' -C galley-test-user \
	        -f "$dir/user_key" >/dev/null
	cp "$dir/user_key.pub" "$dir/authorized_keys"
	chmod 0600 "$dir/authorized_keys"
	[ -n "$port" ] || port=$(free_port)
	echo "$port" >"$dir/port"
	# sshd's privilege separation needs its empty directory (Debian's
	# unit creates it at boot; nothing does without systemd).
	if [ "$(id -u)" -eq 0 ] && [ ! -d /run/sshd ]; then
		mkdir -p /run/sshd
		chmod 0755 /run/sshd
	fi
	cat >"$dir/sshd_config" <<CONF
# Written by galley's scripts/sshd-up.sh: a private test sshd.
ListenAddress 127.0.0.1:$port
HostKey $dir/host_key
PidFile $dir/sshd.pid
AuthorizedKeysFile $dir/authorized_keys
AllowUsers $user
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
UsePAM no
StrictModes no
PermitUserEnvironment no
X11Forwarding no
AllowTcpForwarding no
PrintMotd no
PrintLastLog no
MaxStartups 64:30:128
MaxSessions 64
LogLevel VERBOSE
CONF
	"$sshd" -f "$dir/sshd_config" -E "$dir/sshd.log" ||
	    fail "sshd did not start"
fi

# Client side: known_hosts with the throwaway host key, and a config.
printf '[127.0.0.1]:%s %s\n' "$port" "$(cut -d' ' -f1,2 "$dir/host_key.pub")" \
    >"$dir/known_hosts"
cat >"$dir/ssh_config" <<CONF
Host galley-test
	HostName 127.0.0.1
	Port $port
	User $user
	IdentityFile $dir/user_key
	IdentitiesOnly yes
	UserKnownHostsFile $dir/known_hosts
	StrictHostKeyChecking yes
	BatchMode yes
CONF

start=$(date +%s)
while :; do
	if alive "$dir/sshd.pid" &&
	    ssh -F "$dir/ssh_config" -o ConnectTimeout=5 galley-test true \
	    </dev/null >/dev/null 2>"$dir/probe.err"; then
		break
	fi
	if [ $(( $(date +%s) - start )) -ge "$timeout" ]; then
		fail "no ssh login through 127.0.0.1:$port after ${timeout}s:" \
		    "$(cat "$dir/probe.err" 2>/dev/null)"
	fi
	sleep 0.1
done
rm -f "$dir/probe.err"

cat >"$dir/env.tmp" <<ENV
export GALLEY_SSHD_DIR=$dir
export GALLEY_SSHD_PORT=$port
export GALLEY_SSH_HOST=$user@127.0.0.1:$port
export GALLEY_SSH_KEY=$dir/user_key
export GALLEY_SSH_KNOWN_HOSTS=$dir/known_hosts
export GALLEY_SSH_CONFIG=$dir/ssh_config
ENV
mv "$dir/env.tmp" "$dir/env"
cat "$dir/env"

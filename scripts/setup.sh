#!/bin/sh
# setup.sh - install the Debian packages galley needs to build, test and run.
# Idempotent: quiet when nothing is missing; runs apt-get update first when
# something must be installed (a fresh machine has no package lists).
#
# The cluster tests bring up their own sshd and single-node Slurm (munge,
# slurmctld, slurmd) by pid in a private directory (scripts/sshd-up.sh,
# scripts/slurm-up.sh). The packages' maintainer scripts would start the
# system's daemons on install: a /usr/sbin/policy-rc.d that exits 101 stops
# them, and is removed afterwards only if this script created it.
set -eu

PKGS="build-essential cmake pkg-config git
libncurses-dev libuv1-dev liblua5.4-dev lua5.4 libgit2-dev libsqlite3-dev sqlite3
libcmocka-dev libmsgpack-dev libjansson-dev libsodium-dev
tmux clang libclang-rt-14-dev
slurmctld slurmd slurm-client munge openssh-server openssh-client"

missing=""
for p in $PKGS; do
	st=$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null || true)
	case "$st" in
	ii*) ;;
	*) missing="$missing $p" ;;
	esac
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	SUDO=sudo
else
	SUDO=
fi
echo "setup: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive

policy=/usr/sbin/policy-rc.d
made_policy=
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\n# galley setup.sh: no daemons started on install\nexit 101\n' |
	    $SUDO tee "$policy" >/dev/null
	$SUDO chmod 0755 "$policy"
	made_policy=1
fi
cleanup() {
	if [ -n "$made_policy" ]; then
		$SUDO rm -f "$policy"
	fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null

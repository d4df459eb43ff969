#!/bin/sh
# setup.sh - install the Debian packages galley needs to build, test and run.
# Idempotent: quiet when nothing is missing; runs apt-get update first when
# something must be installed (a fresh machine has no package lists).
set -eu

PKGS="build-essential cmake pkg-config git
libncurses-dev libuv1-dev liblua5.4-dev lua5.4 libgit2-dev libsqlite3-dev sqlite3
libcmocka-dev libmsgpack-dev libjansson-dev libsodium-dev
tmux clang libclang-rt-14-dev"

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
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null

#!/bin/sh
# Install what pmm needs to build and test on Debian 12 (run as root).
set -e
PKGS="build-essential autoconf automake autoconf-archive pkg-config
      libsystemd-dev libevent-dev libjson-c-dev libudev-dev libndctl-dev libdaxctl-dev
      dbus-daemon umockdev libumockdev-dev util-linux bsdutils jq python3 ndctl daxctl systemd
      clang libclang-rt-14-dev valgrind"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "install-deps: installing$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Installs the Debian packages a Paw job needs, only when one is missing.
# Usage: scripts/install-deps.sh [build] [test] [vm] [bench]   (default: build test)
set -eu

build="make gcc clang llvm pkg-config bpftool libbpf-dev libmnl-dev libnl-3-dev
libnl-route-3-dev libsqlite3-dev libjansson-dev libsodium-dev libinih-dev libcmocka-dev"
test="iproute2 ethtool jq xxd sqlite3 iputils-ping iperf3 socat tcpdump procps kmod valgrind"
vm="qemu-system-x86 busybox-static cpio zstd xz-utils kmod e2fsprogs"
bench="gnuplot-nox"

want=""
[ $# -eq 0 ] && set -- build test
for group in "$@"; do
	case "$group" in
	build) want="$want $build" ;;
	test) want="$want $test" ;;
	vm) want="$want $vm" ;;
	bench) want="$want $bench" ;;
	*) echo "install-deps: unknown group '$group'" >&2; exit 2 ;;
	esac
done

missing=""
for p in $want; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: missing Debian packages:$missing" >&2
	echo "install-deps: run as root (sudo) to install them" >&2
	exit 1
fi
echo "install-deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
